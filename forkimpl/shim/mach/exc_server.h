/* mach/exc_server.h (forksim shim): the server header MIG makes from GNU Mach's exc.defs
 * (subsystem exc 2400, ServerPrefix catch_; glibc's build adds its _S_ prefix) for
 * hurd/catch-exc.c: the routine the signal thread serves when the kernel reports a fault of
 * one of the task's threads (forkimpl/process.c demultiplexes it). */
#ifndef FORKSIM_SHIM_MACH_EXC_SERVER_H
#define FORKSIM_SHIM_MACH_EXC_SERVER_H
#include <mach.h>
kern_return_t _S_catch_exception_raise(mach_port_t exception_port, mach_port_t thread,
                                       mach_port_t task, integer_t exception, integer_t code,
                                       integer_t subcode);
#endif
