/*
 * forksim.h: forksim's public C API. Run C functions as simulated Hurd processes, fork them
 * with glibc's real _Fork.c, and inspect the tasks and name spaces, from a CMocka test or any
 * program built with `pkg-config --cflags --libs forksim`.
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
 *
 * This header stands alone: it is installed as <forksim/forksim.h> and includes only standard
 * headers. Its types are opaque handles or plain structures; the Mach values it hands out
 * (port names, types, return codes) have the widths and bit layouts of GNU Mach's, so a
 * program that also includes <mach/port.h> may compare them directly.
 */
#ifndef FORKSIM_H
#define FORKSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; only what is declared here is exported. */
#if defined(__GNUC__) && !defined(FORKSIM_API)
#define FORKSIM_API __attribute__((visibility("default")))
#elif !defined(FORKSIM_API)
#define FORKSIM_API
#endif

/* A simulated process (its task). Opaque: use the functions below. */
typedef struct sim_task forksim_process;
/* A run's recorded scheduling decisions, to replay (forksim run --save-decisions writes them;
 * forksim_decisions_read reads them). Opaque. */
typedef struct sim_decisions forksim_decisions;
/* The simulated kernel's world (ports, tasks, spaces): struct forksim_world, opaque. */
struct forksim_world;

enum forksim_fork {
    FORKSIM_FORK_GLIBC, FORKSIM_FORK_GLIBC_NDEBUG,
    FORKSIM_FORK_OURS,              /* forksim's own fork (forkimpl/fork_ours.c): needs copy_names */
};

/* Which runnable thread the scheduler picks at each step. */
enum forksim_policy {
    FORKSIM_RUN_UNTIL_BLOCK = 0,    /* the last thread while it can run, else the lowest id */
    FORKSIM_ROUND_ROBIN,            /* the next runnable id after the last one */
    FORKSIM_RANDOM,                 /* uniform among the runnable, from the seed */
};

/* A planned fault: it fires at the nth RPC (1-based) whose routine is `routine` (a MIG
 * routine name such as "proc_child"), or of any routine when routine is NULL. */
enum forksim_fault_kind {
    FORKSIM_FAULT_NONE = 0,
    FORKSIM_FAULT_SEND_FAILS,       /* the request is never delivered: MACH_SEND_INVALID_DEST */
    FORKSIM_FAULT_ROUTINE_FAILS,    /* the routine returns `error`, rights carried in destroyed */
    FORKSIM_FAULT_REPLY_LOST,       /* the routine acts, its reply is destroyed: MIG_SERVER_DIED */
    FORKSIM_FAULT_PORT_DEATH,       /* before the RPC, `process` loses every right under `name` */
    FORKSIM_FAULT_CALL,             /* before the RPC, call(call_arg) runs: another actor's doing */
};
typedef struct forksim_fault {
    enum forksim_fault_kind kind;
    const char *routine;
    unsigned nth;
    int error;                      /* FORKSIM_FAULT_ROUTINE_FAILS: a Mach or Hurd error code */
    int process;                    /* FORKSIM_FAULT_PORT_DEATH: a forksim_process_id */
    uint32_t name;                  /* FORKSIM_FAULT_PORT_DEATH: the name in that process */
    void (*call)(void *arg);        /* FORKSIM_FAULT_CALL */
    void *call_arg;
} forksim_fault;
#define FORKSIM_MAX_FAULTS 16

typedef struct forksim_options {
    enum forksim_fork fork;         /* which compiled fork forksim_fork runs */
    enum forksim_policy policy;
    uint64_t seed;
    uint64_t max_steps;             /* 0: the runtime's default bound */
    const forksim_decisions *replay; /* replay these decisions instead of the policy */
    FILE *trace;                    /* trace lines, or NULL */
    bool sites;                     /* annotate RPCs of the fork code with _Fork.c:LINE */
    bool ipc_compat;                /* new tasks start with a notify port (MACH_IPC_COMPAT, C2) */
    bool x86_64_layout;             /* messages in current GNU Mach's x86_64 layout, not the
                                     * Debian headers' (docs/mach-rules.md W1, W2) */
    forksim_fault faults[FORKSIM_MAX_FAULTS];
    unsigned nfaults;
    bool copy_names;                /* the kernel has forksim's task_copy_names (world fork-ours,
                                     * docs/fork-ours-rules.md); else it answers MIG_BAD_ID */
} forksim_options;

#define FORKSIM_DEFAULTS ((forksim_options){.fork = FORKSIM_FORK_GLIBC, .policy = FORKSIM_RUN_UNTIL_BLOCK})

enum forksim_result {
    FORKSIM_OK = 0,                 /* every process thread finished */
    FORKSIM_DEADLOCK,               /* threads left, none can run: forksim_report says who waits */
    FORKSIM_LIVELOCK,               /* the step bound was reached */
    FORKSIM_DIVERGED,               /* a replay that no longer matches */
    FORKSIM_UNMODELLED,             /* a call forksim does not model: forksim_report says which */
};

/* Opens a simulation: the kernel, the Hurd servers (proc, auth, fs, term). Returns 0, or -1.
 * The first open with given options boots the servers and keeps a copy of the world it booted;
 * a later open with the same options and nothing watching the boot (no trace, sites, replay or
 * fault plan) restores that copy instead of booting again: the same world, a few microseconds
 * instead of a boot. */
FORKSIM_API int forksim_open(const forksim_options *options);   /* forksim_report says why on -1 */

/* Closes it. Returns the number of objects left behind (0 for a clean run). */
FORKSIM_API size_t forksim_close(void);

/* A new simulated Hurd process running main(arg) on its main thread (its return value is its
 * exit status). Call from the host, before or between runs. */
FORKSIM_API forksim_process *forksim_spawn(int (*main)(void *arg), void *arg);

/* Runs until every process is done, or a deadlock or livelock. */
FORKSIM_API enum forksim_result forksim_run(void);
/* What happened, for any result but FORKSIM_OK; after a failed forksim_open, why. When a
 * simulated process failed an assertion (forksim_aborts), the report opens with one line for
 * each, "abort: task T at _Fork.c:LINE: WHAT[: ERROR]": glibc's abort does not return from
 * inside fork (its signal thread is stopped, or fork holds the critical section), so such a
 * run ends in a FORKSIM_DEADLOCK whose cause is the abort, not the waits listed after it. */
FORKSIM_API const char *forksim_report(void);

/* Decisions saved by `forksim run --save-decisions FILE`: NULL and a message in err (up to
 * len bytes) when the file cannot be read. Free them after the run that replays them. */
FORKSIM_API forksim_decisions *forksim_decisions_read(const char *path, char *err, size_t len);
FORKSIM_API void forksim_decisions_free(forksim_decisions *d);

/* --- From inside a simulated process ------------------------------------------------------ */

FORKSIM_API pid_t forksim_fork(void); /* glibc's real fork: pid, 0 in the child, -1 on error */
FORKSIM_API pid_t forksim_getpid(void);
/* proc_wait for pid: 0 (KERN_SUCCESS) and *status (W_EXITCODE form), or the Mach or Hurd
 * error code (a kern_return_t). */
FORKSIM_API int forksim_wait(pid_t pid, int *status);
FORKSIM_API forksim_process *forksim_self(void);

/* --- Inspection (host, or any simulated thread) ------------------------------------------- */

/* The type bits of a name, as GNU Mach's MACH_PORT_TYPE_* (1 << (right + 16)). */
#define FORKSIM_TYPE_SEND       (1u << 16)
#define FORKSIM_TYPE_RECEIVE    (1u << 17)
#define FORKSIM_TYPE_SEND_ONCE  (1u << 18)
#define FORKSIM_TYPE_PORT_SET   (1u << 19)
#define FORKSIM_TYPE_DEAD_NAME  (1u << 20)

typedef struct forksim_name {
    uint32_t name;                  /* a mach_port_name_t */
    uint32_t type;                  /* FORKSIM_TYPE_* bits (a mach_port_type_t) */
    uint32_t urefs;                 /* a mach_port_urefs_t */
    uint32_t port;                  /* the port's serial (0 for dead names and port sets) */
    bool dead;                      /* the port died; the name is not yet converted */
} forksim_name;

/* The process's names in ascending order: up to max into out; returns how many there are. */
FORKSIM_API size_t forksim_names(forksim_process *p, forksim_name *out, size_t max);
/* One name: true and *out filled if the name is in use. */
FORKSIM_API bool forksim_name_info(forksim_process *p, uint32_t name, forksim_name *out);
FORKSIM_API int forksim_process_id(forksim_process *p); /* the simulation's task number */
/* The world, for forksim's own invariant checks (model_check, with forksim's internal headers). */
FORKSIM_API struct forksim_world *forksim_world(void);

/* Assertion failures of simulated processes (glibc's assert and assert_perror in the fork),
 * in order: up to max into out; returns how many there were. */
typedef struct forksim_abort {
    int process;                    /* forksim_process_id of the process that aborted */
    char site[64];                  /* e.g. "_Fork.c:270" */
    char what[160];                 /* "assertion `...' failed" or "unexpected error" */
    int error;                      /* assert_perror's error code, else 0 */
} forksim_abort;
FORKSIM_API size_t forksim_aborts(forksim_abort *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif
