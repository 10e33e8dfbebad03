/*
 * intr-msg.h (forksim shim): stands in for glibc 2.36's sysdeps/mach/hurd/i386/intr-msg.h, the
 * i386 assembly of the interruptible mach_msg trap (there is no x86_64 one in 2.36). Same
 * contract, in C (forkimpl/intr-msg.c): a last look at *CANCEL_P (EINTR, with *INTR_PORT_P
 * cleared, when set), then the trap; while the thread is parked in that window its state's PC
 * is one of the labels below, so the signal thread (hurdsig.c: _hurdsig_abort_rpcs) can tell
 * "about to trap" from "in the trap" and change the result (SYSRETURN), as it does on i386.
 * OPTION and TIMEOUT are in-out, as the assembly's are: a signal frame that must finish the
 * receive clears MACH_SEND_MSG in them.
 */
#ifndef FORKIMPL_INTR_MSG_H
#define FORKIMPL_INTR_MSG_H
#include "forkimpl-glibc.h"

error_t fi_intr_msg_trap(mach_msg_header_t *msg, mach_msg_option_t *option,
                         mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                         mach_port_t rcv_name, mach_msg_timeout_t *timeout, mach_port_t notify,
                         volatile int *cancel_p, volatile mach_port_t *intr_port_p);

#define INTR_MSG_TRAP(msg, option, send_size, rcv_size, rcv_name, timeout, notify, cancel_p,  \
                      intr_port_p)                                                            \
    fi_intr_msg_trap((msg), &(option), (send_size), (rcv_size), (rcv_name), &(timeout),      \
                     (notify), (cancel_p), (intr_port_p))

/* i386 moves the stack pointer back when the signal thread backs a thread out of the trap;
 * forksim's trap has no such window: nothing to do. */
#define INTR_MSG_BACK_OUT(state) ((void)(state))

/* hurdsig.c's report of what a thread waits for (report-wait) looks at a stopped thread's
 * trap arguments; forksim reports none (0: not in a system call). */
#define SYSCALL_EXAMINE(state, callno) (0)
#define MSG_EXAMINE(state, msgid, rcvname, send_name, opt, tmout) (-1)

#include "hurdfault.h"
#endif
