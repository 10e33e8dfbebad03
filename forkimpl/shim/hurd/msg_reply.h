/* hurd/msg_reply.h (forksim shim): the reply side of msg_sig_post (the Hurd's
 * hurd/msg_reply.defs, subsystem 23100: a simpleroutine with the return code only). */
#ifndef FORKIMPL_HURD_MSG_REPLY_H
#define FORKIMPL_HURD_MSG_REPLY_H
#include <mach/mach_types.h>
#include <mach/message.h>
kern_return_t __msg_sig_post_reply(mach_port_t reply_port, mach_msg_type_name_t reply_portPoly,
                                   kern_return_t return_code);
kern_return_t __msg_sig_post_untraced_reply(mach_port_t reply_port,
                                            mach_msg_type_name_t reply_portPoly,
                                            kern_return_t return_code);
#endif
