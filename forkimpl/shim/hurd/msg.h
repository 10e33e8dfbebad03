/* hurd/msg.h (forksim shim): the client side of the Hurd's msg interface (the Hurd's
 * hurd/msg.defs, subsystem 23000; MIG would generate this header, and Debian has no MIG for
 * amd64). The stubs are forksim's (sim/hurd/srv_msg.c's ids; forkimpl/msgrt.c). */
#ifndef FORKIMPL_HURD_MSG_H
#define FORKIMPL_HURD_MSG_H
#include <mach/mach_types.h>
#include <mach/port.h>
#include <sys/types.h>
kern_return_t __msg_sig_post(mach_port_t process, int signal, natural_t sigcode,
                             mach_port_t refport);
kern_return_t __msg_sig_post_untraced(mach_port_t process, int signal, natural_t sigcode,
                                      mach_port_t refport);
kern_return_t __msg_proc_newids(mach_port_t process, mach_port_t task, pid_t ppid, pid_t pgrp,
                                int orphaned);
#endif
