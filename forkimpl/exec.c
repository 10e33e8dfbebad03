/*
 * exec.c: a simulated process's side of exec: the signal settings a new program starts with,
 * from the init ints it was given.
 *
 * Stands in for the part of glibc's hurd/hurdsig.c (_hurdsig_init) that copies the inherited
 * signal settings: INIT_SIGMASK becomes the main thread's blocked set, INIT_SIGPENDING the
 * global sigstate's pending set, and each signal of INIT_SIGIGN gets SIG_IGN as its action
 * (index values: the Hurd's hurd/hurd_types.h, servers.h's HURD_INIT_*). Until glibc's own
 * _hurdsig_init runs here, the ignored set is kept in a global of the image, since forksim's
 * sigstate has no action table; fi_signals_now reads the three sets back.
 */
#include "forkimpl.h"
#include "servers.h"

SIM_GLOBAL static hurd_sigset_t sig_ignored;

void fi_start_signals(const int *ints, unsigned n)
{
    struct hurd_sigstate *ss = _hurd_self_sigstate();
    if (n > HURD_INIT_SIGMASK)
        ss->blocked = (hurd_sigset_t)(unsigned)ints[HURD_INIT_SIGMASK];
    if (n > HURD_INIT_SIGPENDING)
        _hurd_global_sigstate->pending = (hurd_sigset_t)(unsigned)ints[HURD_INIT_SIGPENDING];
    if (n > HURD_INIT_SIGIGN)
        sig_ignored = (hurd_sigset_t)(unsigned)ints[HURD_INIT_SIGIGN];
}

void fi_signals_now(unsigned long *blocked, unsigned long *pending, unsigned long *ignored)
{
    *blocked = _hurd_self_sigstate()->blocked;
    *pending = _hurd_global_sigstate->pending;
    *ignored = sig_ignored;
}
