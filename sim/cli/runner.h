/*
 * runner.h: runs a scenario on the simulated Hurd with glibc's real fork, and what came of it.
 */
#ifndef FORKSIM_RUNNER_H
#define FORKSIM_RUNNER_H

#include "forksim.h"
#include "scenario.h"

typedef enum run_verdict {
    VERDICT_OK,
    VERDICT_EXPECTATION_FAILED,
    VERDICT_ABORT,          /* a simulated process aborted (an assertion in the fork) */
    VERDICT_DEADLOCK,
    VERDICT_LIVELOCK,
    VERDICT_DIVERGED,       /* a decision list (decisions PATH, a recorded run) did not fit */
    VERDICT_UNMODELLED,     /* a call forksim does not model stopped the run (its own limit) */
} run_verdict;

const char *run_verdict_name(run_verdict v);

#define RUN_MAX_NAMES 16384
#define RUN_MAX_MESSAGES 64

/* A name as the summary shows it. */
typedef struct run_name {
    mach_port_name_t name;
    mach_port_type_t type;
    mach_port_urefs_t urefs;
    uint32_t port;          /* the port's serial: says whether two names are the same port */
    char denotes[48];
    char label[SCN_MAX_LABEL];
} run_name;

/* A descriptor as the summary and the expectations see it (ports by serial). */
typedef struct run_fd {
    bool open;
    uint32_t port, ctty;    /* port serials; 0 for none */
    mach_port_name_t port_name, ctty_name;
    bool cloexec;
} run_fd;
#define RUN_MAX_FDS 32

typedef struct run_space {
    bool taken;
    run_fd fds[RUN_MAX_FDS];
    int nfds;
    int task;               /* sim task id */
    size_t n, total;
    run_name names[RUN_MAX_NAMES];
} run_space;

typedef struct run_options {
    uint64_t seed;          /* overrides the scenario's when has_seed */
    bool has_seed;
    bool sites;
    bool explain;           /* a note for each RPC of the parent and the child (run_result.notes) */
    bool no_trace;          /* no trace is formatted (r->trace stays NULL): for callers that
                             * read only the verdict, the spaces and the messages */
    uint64_t stop_at;       /* 0: none */
    const sim_decisions *replay;
    void (*after_run)(void *arg);   /* on the host once the run ended, before the simulation
                                     * closes (forksim explore audits tasks and proc here) */
    void *after_run_arg;
    /* Snapshots (issue 11, items 2 and 5; sim/rt/snapshot.c). snap_step and snap_out: take one
     * into *snap_out between the picks when snap_step picks have been made (a fork_step - 1 of
     * an earlier run of the same scenario: just before the parent's first fork step). snap_from:
     * instead of booting and setting up, restore it and go on from there; the scenario must be
     * the one it was taken from but for fault lines by RPC number that land after it, and the
     * result the same object (a run that does not fit is made whole, as without snap_from). Trace off, no --explain,
     * --stop-at, --sites, replay or decisions file: those runs are always made whole. */
    uint64_t snap_step;
    struct run_snapshot **snap_out;
    const struct run_snapshot *snap_from;
    const sim_policy *policy;       /* the scheduler's policy instead of the scenario's (the
                                     * race explorer's, sim/cli/schedules.c), or NULL */
} run_options;

/* A world taken by run_scenario (run_options.snap_out); free with run_snapshot_free. */
typedef struct run_snapshot run_snapshot;
void run_snapshot_free(run_snapshot *s);
/* What a restore copies, in bytes. */
size_t run_snapshot_bytes(const run_snapshot *s);

/* What one fork call returned, in the process it returned in. */
typedef struct run_fork_return {
    int task;               /* sim task id of the process fi_fork returned in */
    pid_t pid;              /* the child's pid, 0 in the child, -1 on failure */
    int err;                /* errno when pid is -1 */
} run_fork_return;
#define RUN_MAX_FORK_RETURNS 8

/* --explain: what one RPC of the scenario's parent or child did, chosen from its routine, its
 * arguments (what the names it carries denote, looked up in the kernel as it ends), and
 * which process made it; for the trace line numbered step. */
typedef struct run_note {
    uint64_t step;
    int task;               /* the caller's sim task id */
    char routine[40];
    char text[160];
} run_note;

typedef struct run_result {
    run_verdict verdict;            /* what happened */
    bool expected;                  /* the scenario's expectations all held */
    enum forksim_result sim;
    char *trace;                    /* malloc'ed, the whole trace text */
    size_t trace_len;
    run_space parent, child;        /* at the end of their steps, or at --stop-at */
    run_space before_fork;          /* the parent just before its (last) fork */
    bool stopped;                   /* --stop-at reached */
    run_space *at_abort;            /* [0] the parent, [1] the newest child, as the first
                                     * abort of a simulated process began, before its task
                                     * ended (malloc'ed), or NULL: the JSON output's spaces
                                     * after an abort (the text summary keeps its own) */
    char messages[RUN_MAX_MESSAGES][1024];   /* failed expectations, aborts, reports */
    size_t nmessages;
    size_t messages_dropped;        /* messages past RUN_MAX_MESSAGES, counted */
    unsigned failures;              /* failed expectations and steps that could not run */
    char findings[RUN_MAX_MESSAGES][256];    /* where glibc differs from the fork's intent,
                                              * as recorded findings (not failures) */
    size_t nfindings;
    size_t invariant_violations;    /* model_check after the run: forksim's own bug if not 0 */
    size_t leaked;                  /* objects left at close: forksim's own bug if not 0 */
    pid_t child_pid;
    char legend[200];               /* which task is which: "t1 proc, t2 auth, ..." */
    run_fork_return fork_returns[RUN_MAX_FORK_RETURNS];  /* in the order they returned */
    size_t nfork_returns;
    sim_decisions *decisions;       /* the run's decisions (malloc'ed copy) */
    run_note *notes;                /* with run_options.explain, by step (malloc'ed) */
    size_t nnotes;
    char unmodelled[300];           /* what stopped the run (an unmodelled call), or "" */
    char lock_waits[400];           /* after a deadlock: who waits for which lock, held by whom */
    char error[1024];               /* an error in the user's input found by running it
                                     * ("file:line: what is wrong", exit 2), or "" */
    uint64_t fork_step;             /* picks made when the parent's first fork step began (0: none) */
    bool restored;                  /* the run began from run_options.snap_from */
} run_result;

/* Runs s. Returns 0 when the run happened (whatever its verdict), -1 if forksim could not
 * start it (message in r->messages). Free with run_result_free. */
int run_scenario(const scenario *s, const run_options *o, run_result *r);
void run_result_free(run_result *r);

/* True once the run's set-up is done and the scenario's steps run (the explorer branches
 * only from there: the boot and the set-up are forksim's, not the scenario's). */
bool run_steps_begun(void);

/* The events a scheduling point may carry (issue 10, item 2), acted out on the host between
 * two steps: "destroy NAME" (the peer destroys the port NAME). One table in runner.c: a new
 * kind is one more entry. Returns false for a text it does not know, or a NAME not the
 * peer's. Given to the runtime as sim_config.event_fire for every run. */
bool run_event_fire(const char *what, void *arg);
/* Whether what is an event the table knows, with a NAME scenario s gives the peer ("" in
 * err), or why not. */
bool run_event_valid(const scenario *s, const char *what, char *err, size_t len);
/* Which of the last run's processes sim task id task was: "parent", "killer" (anywhere kill's),
 * "peer", else "child" (a process the scenario's forks made, exec'd or not; the servers are
 * never sent a signal by a scenario). */
const char *run_task_role(int task);

/* For runner.c: the next forksim_open's custom policy and event hook (api.c; not public). */
void forksim_set_scheduler(const sim_policy *custom, bool (*event_fire)(const char *, void *),
                           void *event_arg);
/* For runner.c: the next forksim_open also boots the exec server and registers the built-in
 * programs (a scenario that execs; api.c; not public), then forgets it. */
void forksim_set_exec(bool with_exec);
/* For the benchmarks (api.c; not public): whether forksim_open may restore the booted servers
 * from a snapshot of an earlier boot with the same options (on by default), or must boot. */
void forksim_set_boot_restore(bool on);
/* How many forksim_open calls restored the boot so far (tests/test_boot.c). */
unsigned long forksim_boots_restored(void);
/* For runner.c (api.c; not public): the runtime's report of the last run or failed open, as
 * forksim_report gives it but without the aborts it opens with (the runner prints those
 * itself, before it). */
const char *forksim_run_report(void);
/* One abort as "abort: task T at SITE: WHAT[: ERROR]", the error by name; the line
 * forksim_report and the scenario summary print. */
struct fi_abort_record;
void forksim_abort_describe(const struct fi_abort_record *a, char *buf, size_t len);

#endif
