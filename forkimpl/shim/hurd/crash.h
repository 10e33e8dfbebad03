/* hurd/crash.h (forksim shim): the crash server's interface (the Hurd's hurd/crash.defs).
 * forksim runs no crash server: the stub answers as a missing server would. */
#ifndef FORKIMPL_HURD_CRASH_H
#define FORKIMPL_HURD_CRASH_H
#include <mach/mach_types.h>
#include <mach/message.h>
#include "hurd_types.h"
kern_return_t __crash_dump_task(mach_port_t crashserver, mach_port_t task, file_t core_file,
                                int signo, integer_t sigcode, int sigerror, natural_t exc,
                                natural_t code, natural_t subcode, mach_port_t cttyid_port,
                                mach_msg_type_name_t cttyid_portPoly);
#endif
