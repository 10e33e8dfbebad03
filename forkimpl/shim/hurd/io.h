/* hurd/io.h (forksim shim): the io.defs routine the fd code names (forkimpl/fdrt.c). */
#ifndef FORKIMPL_HURD_IO_H
#define FORKIMPL_HURD_IO_H
#include "../forkimpl-glibc.h"
kern_return_t __io_reauthenticate(mach_port_t io, mach_port_t rendezvous,
                                  mach_msg_type_name_t rendezvousPoly);
#endif
