/* hurd/sigpreempt.h (forksim shim): glibc's own hurd/hurd/sigpreempt.h, plus what glibc's
 * internal wrapper of it (sysdeps/hurd/include/hurd/sigpreempt.h) adds for libc's own code:
 * the test of whether a preemptor takes a signal, and the global preemptor chain. */
#ifndef FORKIMPL_HURD_SIGPREEMPT_H
#define FORKIMPL_HURD_SIGPREEMPT_H
#include_next <hurd/sigpreempt.h>
/* A preemptor takes SIGNO with SIGCODE when SIGNO is in its set and SIGCODE in its range. */
#define HURD_PREEMPT_SIGNAL_P(preemptor, signo, sigcode)                                 \
    (((preemptor)->signals & __sigmask(signo)) && (sigcode) >= (preemptor)->first &&      \
     (sigcode) <= (preemptor)->last)
extern struct hurd_signal_preemptor *_hurdsig_preemptors;
extern sigset_t _hurdsig_preempted_set;
#endif
