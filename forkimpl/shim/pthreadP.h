/* pthreadP.h (forksim shim): a simulated process has no thread library (glibc's Hurd code
 * falls back to bare Mach threads when __pthread_create is null, as hurd/hurdsig.c's
 * _hurdsig_init does). The names are forksim's own, so that the host's libpthread can never
 * answer for them: they stay undefined weak symbols, that is null. */
#ifndef FORKIMPL_PTHREADP_H
#define FORKIMPL_PTHREADP_H
#include <pthread.h>
#define __pthread_create forksim_no_pthread_create
#define __pthread_detach forksim_no_pthread_detach
#define __pthread_getattr_np forksim_no_pthread_getattr_np
#define __pthread_attr_getstack forksim_no_pthread_attr_getstack
extern int __attribute__((weak)) __pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
extern int __attribute__((weak)) __pthread_detach(pthread_t);
extern int __attribute__((weak)) __pthread_getattr_np(pthread_t, pthread_attr_t *);
extern int __attribute__((weak)) __pthread_attr_getstack(const pthread_attr_t *, void **, size_t *);
#endif
