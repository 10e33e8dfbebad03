/* hurd/auth.h (forksim shim): the auth.defs routine the fd code names (forkimpl/fdrt.c). */
#ifndef FORKIMPL_HURD_AUTH_H
#define FORKIMPL_HURD_AUTH_H
#include "../forkimpl-glibc.h"
kern_return_t __auth_user_authenticate(mach_port_t auth, mach_port_t rendezvous,
                                       mach_msg_type_name_t rendezvousPoly,
                                       mach_port_t *newport);
#endif
