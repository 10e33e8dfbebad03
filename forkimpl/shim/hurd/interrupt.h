/* hurd/interrupt.h (forksim shim): the Hurd's interrupt interface (hurd/interrupt.defs,
 * subsystem 33000): interrupt_operation, with a send timeout in milliseconds. */
#ifndef FORKIMPL_HURD_INTERRUPT_H
#define FORKIMPL_HURD_INTERRUPT_H
#include <mach/mach_types.h>
#include <mach/message.h>
kern_return_t __interrupt_operation(mach_port_t server, mach_msg_timeout_t timeout);
#endif
