/*
 * locknames.c: names for the locks of glibc's Hurd code, so that a thread left waiting for
 * one is reported by what the lock guards ("ss->lock (the sigstate of thread 6)") and not
 * only by its address in the image (issue 10, item 9: a deadlock outcome names the lock).
 *
 * fi_lock_name is the runtime's lock namer (sim_set_lock_namer): it runs on the thread that
 * is about to wait, in its own task, so the globals it reads are that task's copies: glibc's
 * list of sigstates (_hurd_sigstates, each with its lock and critical_section_lock, the
 * thread port name it belongs to in ->thread), the global sigstate, _hurd_siglock (hurdsig.c)
 * and the port cells (_hurd_ports). A lock it does not know gets no name ("").
 */
#include "forkimpl.h"
#include <hurd/signal.h>

#include <stdio.h>

void fi_lock_name(uintptr_t a, char *buf, size_t len)
{
    buf[0] = '\0';
    if (a == (uintptr_t)&_hurd_siglock) {
        snprintf(buf, len, "_hurd_siglock");
        return;
    }
    if (_hurd_global_sigstate != NULL && a == (uintptr_t)&_hurd_global_sigstate->lock) {
        snprintf(buf, len, "the global sigstate's lock");
        return;
    }
    for (struct hurd_sigstate *ss = _hurd_sigstates; ss != NULL; ss = ss->next) {
        if (a == (uintptr_t)&ss->lock) {
            snprintf(buf, len, "ss->lock, the sigstate of thread %u", (unsigned)ss->thread);
            return;
        }
        if (a == (uintptr_t)&ss->critical_section_lock) {
            snprintf(buf, len, "ss->critical_section_lock, the sigstate of thread %u",
                     (unsigned)ss->thread);
            return;
        }
    }
    for (unsigned i = 0; _hurd_ports != NULL && i < _hurd_nports; i++)
        if (a == (uintptr_t)&_hurd_ports[i].lock) {
            snprintf(buf, len, "_hurd_ports[%u].lock", i);
            return;
        }
}
