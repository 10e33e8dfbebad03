/*
 * testlib_sim.c: helpers for tests whose code runs as a simulated process (testsim.h).
 */
#include "testsim.h"

#include "kern.h"

#include <stdint.h>
#include <string.h>

mach_port_t start_thread(void (*fn)(void *), void *arg)
{
    mach_port_t t;
    __thread_create(__mach_task_self(), &t);
    kern_thread_state ts;
    memset(&ts, 0, sizeof ts);
    ts.kind = KERN_STATE_CALL;
    ts.pc = (uintptr_t)fn;
    ts.arg = (uintptr_t)arg;
    __thread_set_state(t, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts, KERN_THREAD_STATE_COUNT);
    __thread_resume(t);
    return t;
}
