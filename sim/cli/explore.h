/*
 * explore.h: forksim explore, the two sweeps over glibc's fork (issue 5, items 3 and 4).
 *
 * A sweep first runs the scenario once without faults and lists the RPCs its fork makes:
 * those of the forking thread and of the child's threads that come from _Fork.c (the call
 * site says so). Then it runs the scenario again once per RPC and fault:
 *
 *   EXPLORE_FAULTS       the RPC fails: its send fails (MACH_SEND_INVALID_DEST), its routine
 *                        fails with an error that routine can really return (explore_error),
 *                        or its reply is lost (MIG_SERVER_DIED);
 *   EXPLORE_PORT_DEATHS  just before the RPC, the peer process destroys one of the ports the
 *                        parent holds send or send-once rights to.
 *
 * After each run: model_check, and an audit against the parent as it was just before fork:
 * the rights it holds afterwards that it did not hold before (leaks), and what is left of the
 * child. Everything is deterministic: the same scenario gives the same rows.
 */
#ifndef FORKSIM_EXPLORE_H
#define FORKSIM_EXPLORE_H

#include "runner.h"

typedef enum explore_kind { EXPLORE_FAULTS, EXPLORE_PORT_DEATHS } explore_kind;

/* One RPC of the fork, as the run without faults made it. */
typedef struct explore_rpc {
    uint64_t nth;               /* its number as a fault plan counts it (kern_rpc_note.nth) */
    char routine[40];
    char call[96];              /* as the trace shows it: "mach_port_mod_refs(20, 18, SEND, 4)" */
    char site[40];              /* "_Fork.c:LINE" (the line table's, which varies by build) */
    int task, thread;           /* sim ids of the caller */
    uint64_t step;              /* its trace step */
    bool in_child;
} explore_rpc;

/* What is left of the child when the run ends. */
typedef enum explore_child {
    CHILD_NONE,                 /* no child task was made */
    CHILD_GONE,                 /* its task terminated, its proc entry gone */
    CHILD_TERMINATED,           /* its task terminated, its proc entry still there */
    CHILD_ORPHAN,               /* its task is alive, and no process will reap it: its parent
                                 * is gone or proc_child was never done */
    CHILD_STUCK,                /* its task is alive, its parent's, but it never runs */
} explore_child;

/* A name, as an audit shows it. */
typedef struct explore_name {
    mach_port_name_t name;
    mach_port_type_t type;
    mach_port_urefs_t urefs;
    char label[SCN_MAX_LABEL];
} explore_name;

#define EXPLORE_MAX_DIFF 16

/* One run of a sweep and what came of it. */
typedef struct explore_row {
    unsigned run;               /* 1-based, in sweep order (forksim explore --run N) */
    bool ndebug;                /* the fork built with -DNDEBUG */
    explore_rpc rpc;            /* where the fault or the port death happened */
    kern_fault_kind kind;       /* KF_SEND_FAILS, KF_ROUTINE_FAILS, KF_REPLY_LOST, KF_PORT_DEATH */
    kern_return_t error;        /* what the faulted call returns (faults) */
    char label[SCN_MAX_LABEL];  /* the port that died (port deaths) */

    /* How fork returned, in the parent and in the child (not at all after an abort). */
    bool parent_returned, child_returned;
    pid_t parent_pid, child_ret;
    int parent_err, child_err;
    /* The first assertion that failed. */
    unsigned naborts;
    char abort_site[64];
    int abort_err, abort_task;
    bool abort_in_child;
    run_verdict verdict;
    enum forksim_result sim;

    /* The child's exec, when it failed (a scenario with an exec step): its error and the
     * locks of _hurd_exec_paths left held ("critical section, fd-table lock", "nothing"). */
    bool exec_failed;
    int exec_err;
    char exec_held[64];

    explore_child child;
    int child_task;             /* sim id */
    pid_t child_pid;            /* its proc entry's pid (0: none) */
    bool child_parentset;       /* proc_child was done for it */
    /* Port deaths: the child's and the parent's rights under the dead port's name. */
    bool child_has_name, parent_has_name;
    bool child_space_known;     /* the child's names were seen (its steps ended, or it is alive) */
    explore_name child_name, parent_name;

    /* The parent against its snapshot before fork (when it survived: audited). */
    bool audited;
    explore_name leaks[EXPLORE_MAX_DIFF];   /* held afterwards, not before (or more urefs) */
    explore_name before[EXPLORE_MAX_DIFF];  /* the same name before fork (type 0: none) */
    unsigned nleaks;

    /* forksim's own problems: an invariant violation, objects left, a misplaced fault. */
    size_t violations, objects_left;
    char bug[256];
    char *trace;                /* the run's trace, with explore_options.keep_traces */
} explore_row;

typedef struct explore_summary {
    size_t runs, violations, leak_runs, bugs;
    size_t aborts, failures, ok, deadlocks;
    size_t orphans, terminated;          /* children left as orphans; terminated, entry left */
    size_t restored;                     /* runs that began from the snapshot (whole_runs) */
    /* A scenario that execs: runs whose exec failed, and those that left _hurd_exec_paths'
     * critical section or the fd-table lock held (hexec, issue 9 item 6). */
    size_t exec_failed, exec_crit_held, exec_dtable_held;
} explore_summary;

typedef struct explore_options {
    explore_kind kind;
    bool glibc, ndebug;         /* which builds of the fork (at least one) */
    const char *routine;        /* only the RPCs of this routine, or NULL */
    kern_fault_kind fault;      /* faults: only this kind, or KF_NONE for all three */
    unsigned only_run;          /* 0: every run; N: only run N */
    FILE *out;                  /* the rows and the summary lines, or NULL */
    FILE *progress;             /* the progress line (progress.h: on a terminal only), or NULL */
    unsigned progress_every;    /* unused: the line is paced by time */
    bool keep_traces;           /* explore_row.trace is set for the on_row callback */
    bool whole_runs;            /* every run boots and sets up; by default a run whose trace
                                 * nobody reads starts from a snapshot of the world taken just
                                 * before the fork (issue 11, item 5): the same rows either way */
    void (*on_row)(const explore_row *row, void *arg);
    void *on_row_arg;
} explore_options;

/* Runs the sweep o->kind over scenario s. Returns 0 when the sweep ran (whatever its rows
 * show), -1 when it could not (a message on o->out or stderr: the run without faults failed,
 * or a routine of the fork has no entry in the error table). */
int explore_run(const scenario *s, const explore_options *o, explore_summary *sum);

/* The error a routine-fails fault gives `routine`, and why that routine can return it.
 * Returns false for a routine that cannot fail (a trap that returns a name) or that the table
 * does not know. */
bool explore_error(const char *routine, kern_return_t *error, const char **why);

/* A code's name: KERN_*, MACH_*, MIG_* or a Hurd errno ("EIEIO"); else "0x..." in buf. */
const char *explore_code_name(kern_return_t code, char *buf, size_t len);

/* "send-fails", "routine-fails", "reply-lost", "port-death". */
const char *explore_kind_name(kern_fault_kind kind);
/* "no child", "task terminated, proc entry gone", ... */
const char *explore_child_name(explore_child c);

#endif
