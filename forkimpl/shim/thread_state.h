/*
 * thread_state.h (forksim shim): the machine thread state is forksim's own (struct
 * machine_thread_state in forkimpl-glibc.h: "call PC on SP" or "longjmp"). What a release's
 * _Fork.c names beyond it comes from the feature probe's header (tools/glibc-features.sh
 * writes forksim-glibc-features.h into the build directory from the extracted sources).
 */
#ifndef FORKIMPL_THREAD_STATE_H
#define FORKIMPL_THREAD_STATE_H
#include "forkimpl-glibc.h"
#include "forksim-glibc-features.h"
#include <string.h>

/* What the signal code keeps of a stopped thread (the contract of glibc's
 * sysdeps/mach/thread_state.h): which flavors are fetched, and the basic state. forksim has
 * one flavor. */
struct machine_thread_all_state {
    int set;
    struct machine_thread_state basic;
};

/* Fetches THREAD's basic state into STATE unless already there (the contract of glibc's
 * machine_get_basic_state): 1 on success. */
static inline int machine_get_basic_state(thread_t thread, struct machine_thread_all_state *state)
{
    if (state->set & (1 << 1))
        return 1;
    mach_msg_type_number_t count = MACHINE_THREAD_STATE_COUNT;
    if (__thread_get_state(thread, MACHINE_THREAD_STATE_FLAVOR, (natural_t *)&state->basic,
                           &count) != KERN_SUCCESS ||
        count != MACHINE_THREAD_STATE_COUNT)
        return 0;
    state->set |= 1 << 1;
    return 1;
}

#if FORKSIM_GLIBC_SETUP_CALL
/* Stands in for MACHINE_THREAD_STATE_SETUP_CALL of glibc 2.38's sysdeps/mach/x86/thread_state.h
 * (defined by upstream 4a373ea7d6; _Fork.c starts the child's signal thread with it since
 * 9ffdcf5b79, in place of setting SP to the stack's end and MACHINE_THREAD_STATE_SET_PC). The
 * contract: make TS a call of FUNC on the stack [STACK, STACK + SIZE). On x86_64 the stack grows
 * down, and at a function's entry SP is 8 bytes below a 16-byte boundary, as if a call had just
 * pushed its return address: the end aligned down to 8, less 8 more when that is 16-aligned.
 * In forksim's state that is the "call" kind with PC and SP; the runtime builds the first
 * frame below SP (sim_thread_set_start). */
static inline void forksim_thread_state_setup_call(struct machine_thread_state *ts,
                                                   uintptr_t stack, uintptr_t size,
                                                   uintptr_t func)
{
    uintptr_t sp = (stack + size) & ~(uintptr_t)7;
    if ((sp & 15) == 0)
        sp -= 8;
    ts->kind = 1;
    ts->PC = func;
    ts->SP = sp;
}
#define MACHINE_THREAD_STATE_SETUP_CALL(ts, stack, size, func)                               \
    forksim_thread_state_setup_call((ts), (uintptr_t)(stack), (uintptr_t)(size),           \
                                    (uintptr_t)(func))
#endif

#endif
