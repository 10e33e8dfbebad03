/*
 * forksim.h: forksim's public C API. Run C functions as simulated Hurd processes, fork them
 * with glibc's real _Fork.c, and inspect the tasks and name spaces, from a CMocka test or any
 * program linked with build/libforksim.a.
 *
 *     static int child_or_parent(void *arg) {
 *         pid_t pid = forksim_fork();          // glibc's fork, in the simulated process
 *         if (pid == 0) return 3;              // the child exits with 3
 *         int status; forksim_wait(pid, &status);
 *         return 0;
 *     }
 *     forksim_options o = FORKSIM_DEFAULTS;
 *     forksim_open(&o);
 *     forksim_process *p = forksim_spawn(child_or_parent, NULL);
 *     assert(forksim_run() == FORKSIM_OK);
 *     assert(forksim_close() == 0);            // 0: nothing leaked
 *
 * One simulation at a time per host process. Everything is deterministic: the same options
 * give the same trace, byte for byte.
 */
#ifndef FORKSIM_H
#define FORKSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <mach/kern_return.h>
#include <mach/port.h>

#include "kern.h"

typedef sim_task forksim_process;

enum forksim_fork { FORKSIM_FORK_GLIBC, FORKSIM_FORK_GLIBC_NDEBUG };

typedef struct forksim_options {
    enum forksim_fork fork;         /* which compiled fork forksim_fork runs */
    enum sim_policy_kind policy;    /* SIM_RUN_UNTIL_BLOCK, SIM_ROUND_ROBIN, SIM_RANDOM */
    uint64_t seed;
    uint64_t max_steps;             /* 0: the runtime's default bound */
    const sim_decisions *replay;    /* replay these decisions instead of the policy */
    FILE *trace;                    /* trace lines, or NULL */
    bool sites;                     /* annotate RPCs of the fork code with _Fork.c:LINE */
    bool ipc_compat;                /* new tasks start with a notify port (MACH_IPC_COMPAT, C2) */
    kern_fault faults[KERN_MAX_FAULTS];
    unsigned nfaults;
} forksim_options;

#define FORKSIM_DEFAULTS ((forksim_options){.fork = FORKSIM_FORK_GLIBC, .policy = SIM_RUN_UNTIL_BLOCK})

enum forksim_result {
    FORKSIM_OK = SIM_OK,              /* every process thread finished */
    FORKSIM_DEADLOCK = SIM_DEADLOCK,  /* threads left, none can run: forksim_report says who waits */
    FORKSIM_LIVELOCK = SIM_STEP_BOUND,
    FORKSIM_DIVERGED = SIM_DIVERGED,  /* a replay that no longer matches */
    FORKSIM_UNMODELLED = SIM_STOPPED, /* a call forksim does not model: forksim_report says which */
};

/* Opens a simulation: the kernel, the Hurd servers (proc, auth, fs, term). Returns 0, or -1. */
int forksim_open(const forksim_options *options);   /* 0, or -1: forksim_report says why */

/* Closes it. Returns the number of objects left behind (0 for a clean run). */
size_t forksim_close(void);

/* A new simulated Hurd process running main(arg) on its main thread (its return value is its
 * exit status). Call from the host, before or between runs. */
forksim_process *forksim_spawn(int (*main)(void *arg), void *arg);

/* Runs until every process is done, or a deadlock or livelock. */
enum forksim_result forksim_run(void);
const char *forksim_report(void);   /* what happened, for any result but FORKSIM_OK; after a failed forksim_open, why */

/* --- From inside a simulated process ------------------------------------------------------ */

pid_t forksim_fork(void);           /* glibc's real fork: pid, 0 in the child, -1 on error */
pid_t forksim_getpid(void);
/* proc_wait for pid: 0 and *status (W_EXITCODE form), or the error code. */
kern_return_t forksim_wait(pid_t pid, int *status);
forksim_process *forksim_self(void);

/* --- Inspection (host, or any simulated thread) ------------------------------------------- */

typedef struct forksim_name {
    mach_port_name_t name;
    mach_port_type_t type;          /* MACH_PORT_TYPE_* bits */
    mach_port_urefs_t urefs;
    uint32_t port;                  /* the port's serial (0 for dead names and port sets) */
    bool dead;                      /* the port died; the name is not yet converted */
} forksim_name;

/* The process's names in ascending order: up to max into out; returns how many there are. */
size_t forksim_names(forksim_process *p, forksim_name *out, size_t max);
/* One name: true and *out filled if the name is in use. */
bool forksim_name_info(forksim_process *p, mach_port_name_t name, forksim_name *out);
int forksim_process_id(forksim_process *p);     /* the simulation's task number */
world_t *forksim_world(void);                   /* for model_check */

/* Assertion failures of simulated processes (glibc's assert and assert_perror in the fork),
 * in order: up to max into out; returns how many there were. */
typedef struct forksim_abort {
    int process;                    /* forksim_process_id of the process that aborted */
    char site[64];                  /* e.g. "_Fork.c:270" */
    char what[160];                 /* "assertion `...' failed" or "unexpected error" */
    int error;                      /* assert_perror's error code, else 0 */
} forksim_abort;
size_t forksim_aborts(forksim_abort *out, size_t max);

#endif
