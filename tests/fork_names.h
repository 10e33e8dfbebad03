/*
 * fork_names.h: gives a simulated process many port names of every kind before it forks, for
 * tests/test_fork_scale.c and tests/bench_fork.c. Header-only (static functions): the bench
 * links libforksim.a alone, without the test library.
 *
 * Everything here runs inside a simulated process, through the mock MIG stubs (each call one
 * RPC of the process): the names are made as a program would make them. "Another process" is a
 * task the process creates itself (task_create without memory, no threads): a holder of ports
 * whose send rights the process extracts.
 */
#ifndef FORKSIM_FORK_NAMES_H
#define FORKSIM_FORK_NAMES_H

#include "kern.h"
#include "mach_stubs.h"

#include <stdlib.h>

extern mach_port_t __mach_task_self_; /* the process's own task name (forkimpl/hurdrt.c) */

/* The kinds of name fn_make gives. */
typedef enum fn_kind {
    FN_SEND1,           /* a send right, 1 uref, to a port of the other task */
    FN_SENDN,           /* a send right, several urefs, to a port of the other task */
    FN_RECV,            /* a receive right, no send right */
    FN_RECV_SEND,       /* a receive right with send rights (several urefs) under the same name */
    FN_SEND_ONCE_OWN,   /* a send-once right to one of the process's own receive rights */
    FN_SEND_ONCE_OTHER, /* a send-once right to a port of the other task */
    FN_DEAD1,           /* a dead name, 1 uref */
    FN_DEADN,           /* a dead name, several urefs */
    FN_PSET,            /* a port set holding one new receive right of the process */
    FN_NKINDS
} fn_kind;

/* The urefs the "several" kinds get: different per name, from 2 to 9. */
static inline mach_port_urefs_t fn_urefs(unsigned i) { return 2 + i % 8; }

/* A task with no threads and no memory: the other process whose ports the caller holds. Its
 * name in the caller, or MACH_PORT_NULL. */
static inline mach_port_t fn_other_task(void)
{
    mach_port_t other = MACH_PORT_NULL;
    if (__task_create(__mach_task_self_, 0, &other) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    return other;
}

/* Makes one name of the kind (the i-th of the run, for its urefs), in the calling process.
 * Returns the name, or MACH_PORT_NULL when a call failed. A FN_RECV_SEND, FN_SEND_ONCE_OWN or
 * FN_PSET makes one more name (the right they need) as a side effect, which *extra gets (or
 * MACH_PORT_NULL). */
static inline mach_port_t fn_make(fn_kind kind, unsigned i, mach_port_t other, mach_port_t *extra)
{
    mach_port_t self = __mach_task_self_, n = MACH_PORT_NULL, r = MACH_PORT_NULL;
    mach_msg_type_name_t poly;
    *extra = MACH_PORT_NULL;
    switch (kind) {
    case FN_SEND1:
    case FN_SENDN:
    case FN_SEND_ONCE_OTHER:
        if (__mach_port_allocate(other, MACH_PORT_RIGHT_RECEIVE, &r) != KERN_SUCCESS ||
            __mach_port_extract_right(other, r,
                                      kind == FN_SEND_ONCE_OTHER ? MACH_MSG_TYPE_MAKE_SEND_ONCE
                                                                 : MACH_MSG_TYPE_MAKE_SEND,
                                      &n, &poly) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        if (kind == FN_SENDN &&
            __mach_port_mod_refs(self, n, MACH_PORT_RIGHT_SEND, (int)fn_urefs(i) - 1) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        return n;
    case FN_RECV:
    case FN_RECV_SEND:
        if (__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &n) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        if (kind == FN_RECV_SEND &&
            (__mach_port_insert_right(self, n, n, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS ||
             __mach_port_mod_refs(self, n, MACH_PORT_RIGHT_SEND, (int)fn_urefs(i) - 1) != KERN_SUCCESS))
            return MACH_PORT_NULL;
        return n;
    case FN_SEND_ONCE_OWN:
        if (__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r) != KERN_SUCCESS ||
            __mach_port_extract_right(self, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &n, &poly) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        *extra = r;
        return n;
    case FN_DEAD1:
    case FN_DEADN:
        if (__mach_port_allocate(self, MACH_PORT_RIGHT_DEAD_NAME, &n) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        if (kind == FN_DEADN &&
            __mach_port_mod_refs(self, n, MACH_PORT_RIGHT_DEAD_NAME, (int)fn_urefs(i) - 1) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        return n;
    case FN_PSET:
        if (__mach_port_allocate(self, MACH_PORT_RIGHT_PORT_SET, &n) != KERN_SUCCESS ||
            __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r) != KERN_SUCCESS ||
            __mach_port_move_member(self, r, n) != KERN_SUCCESS)
            return MACH_PORT_NULL;
        *extra = r;
        return n;
    case FN_NKINDS:
        break;
    }
    return MACH_PORT_NULL;
}

#endif
