/* hurd/msg_server.h (forksim shim): the server side of the msg interface that glibc's
 * hurd/hurdsig.c implements (_S_msg_sig_post, _S_msg_sig_post_untraced); the demultiplexer
 * that calls them is forksim's (forkimpl/msgrt.c), as MIG's generated one would be. */
#ifndef FORKIMPL_HURD_MSG_SERVER_H
#define FORKIMPL_HURD_MSG_SERVER_H
#include <mach/mach_types.h>
#include <mach/message.h>
kern_return_t _S_msg_sig_post(mach_port_t me, mach_port_t reply_port,
                              mach_msg_type_name_t reply_portPoly, int signo, natural_t sigcode,
                              mach_port_t refport);
kern_return_t _S_msg_sig_post_untraced(mach_port_t me, mach_port_t reply_port,
                                       mach_msg_type_name_t reply_portPoly, int signo,
                                       natural_t sigcode, mach_port_t refport);
#endif
