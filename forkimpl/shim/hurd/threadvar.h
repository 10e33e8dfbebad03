/*
 * hurd/threadvar.h (forksim shim): see forkimpl-glibc.h. The two stack variables are declared
 * only for code that names them (the feature probe, tools/glibc-features.sh): glibc 2.36 and
 * 2.37's _Fork.c reads them when the signal thread's stack is unknown; upstream 71232da3b3
 * (2.38) removed them from glibc's hurd/hurd/threadvar.h, so code of a later release that
 * named them would not compile there, and does not here. forkimpl/hurdrt.c defines them (0,
 * as glibc's start-up left them), for the releases that read them.
 */
#ifndef FORKIMPL_HURD_THREADVAR_H
#define FORKIMPL_HURD_THREADVAR_H
#include "../forkimpl-glibc.h"
#include "forksim-glibc-features.h"
#if FORKSIM_GLIBC_THREADVAR_STACK
extern unsigned long int __hurd_threadvar_stack_mask;
extern unsigned long int __hurd_threadvar_stack_offset;
#endif
#endif
