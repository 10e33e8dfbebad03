/* tls.h (forksim shim): the thread block glibc's Hurd code reaches through THREAD_SELF
 * (sysdeps/mach/hurd/x86/tls.h's macros, the same contract): fi_tls of forkimpl-glibc.h. */
#ifndef FORKIMPL_TLS_H
#define FORKIMPL_TLS_H
#include "forkimpl-glibc.h"
#define THREAD_SELF (fi_self_tls())
#define THREAD_GETMEM(descr, member) ((descr)->member)
#define THREAD_SETMEM(descr, member, value) ((descr)->member = (value))
/* The block of another (stopped) thread, from its state (hurdsig.c: the reply port of an
 * interrupted thread). */
#define THREAD_TCB(thread, thread_state) ((fi_tls *)(uintptr_t)(thread_state)->basic.tls)
#endif
