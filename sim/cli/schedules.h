/*
 * schedules.h: the race explorer (issue 10): every schedule of a run up to a preemption bound,
 * or PCT's random priorities; sleep-set pruning of schedules that differ only in the order of
 * independent steps; events placed at every scheduling point; runs grouped into outcomes, the
 * first schedule of each kept; shards of one search tree; a schedule shrunk to its smallest.
 *
 * The engine (sx_explore) knows nothing of scenarios: it drives any program that runs under a
 * sim_policy (sx_program.run), which is how tests/test_schedules.c checks it against programs
 * whose schedules can be counted by hand. The scenario side (forksim explore FILE --schedules,
 * forksim shrink, forksim merge) is schedules_command, shrink_command and merge_command.
 */
#ifndef FORKSIM_SCHEDULES_H
#define FORKSIM_SCHEDULES_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

#define SX_UNBOUNDED UINT_MAX
#define SX_MAX_EVENTS 8
#define SX_PREEMPTION_BUCKETS 32    /* schedules counted by preemptions: 0 .. 31, then 31+ */

/* What an outcome is, for --stop-on. */
enum { SX_STOP_ABORT = 1, SX_STOP_DEADLOCK = 2, SX_STOP_FINDING = 4, SX_STOP_EXPECTATION = 8 };

typedef struct sx_options {
    unsigned bound;             /* at most this many preemptions (SX_UNBOUNDED: every schedule) */
    bool prune;                 /* sleep sets */
    bool events_first;          /* at each point, an event before the threads (early placements first) */
    unsigned pct_depth;         /* 0: the bounded depth-first search; D >= 1: PCT, bug depth D */
    uint64_t pct_runs;          /* PCT: this many runs */
    uint64_t seed;              /* PCT: run i uses seed + i */
    unsigned shard, nshards;    /* this part of the tree (nshards 0 or 1: all of it) */
    unsigned stop_on;           /* SX_STOP_*: end at the first outcome that is one of them */
    uint64_t max_runs;          /* 0: no limit (a search that hits it says so) */
} sx_options;

/* What one run came to, as the program says. */
typedef struct sx_run {
    char *key;                  /* malloc'ed: equal keys are one outcome */
    char *title;                /* malloc'ed: the outcome in one line, for people */
    unsigned flags;             /* SX_STOP_* this outcome is */
    sim_decisions *decisions;   /* malloc'ed copy of the run's decisions (sim_decisions_free) */
} sx_run;

/* A program to explore. run: opens the runtime with pol as its custom policy, runs, closes;
 * returns 0, or -1 when it could not run (why in out->title). live: whether the scheduling
 * points now are the search's (before: the run-until-block pick, no branch); NULL: always.
 * events: what sim_decide_event may place at every live point, each at most times[i] times. */
typedef struct sx_program {
    int (*run)(void *arg, const sim_policy *pol, sx_run *out);
    bool (*live)(void *arg);
    void *arg;
    const char *events[SX_MAX_EVENTS];
    unsigned times[SX_MAX_EVENTS];
    unsigned nevents;
} sx_program;

typedef struct sx_outcome {
    char *key, *title;
    unsigned flags;
    uint64_t runs;              /* runs that reached it */
    uint64_t first_run;         /* the first (1-based, in this search's order) */
    unsigned first_preemptions, first_events;
    char *first_order;          /* where that run lies in the tree ("0.2.1": choices taken at
                                 * each branch, in the order explored): shards merge by it */
    sim_decisions *first;       /* its decisions */
} sx_outcome;

typedef struct sx_result {
    uint64_t runs, pruned;
    uint64_t by_preemptions[SX_PREEMPTION_BUCKETS];
    sx_outcome *outcomes;
    size_t noutcomes, cap;
    bool stopped;               /* --stop-on ended the search */
    bool truncated;             /* max_runs ended it */
    unsigned threads;           /* PCT: n, the threads seen in the first run's live part */
    uint64_t steps;             /* PCT: k, its live steps */
    double pct_bound;           /* PCT: 1 / (n k^(D-1)) */
    char error[512];            /* when sx_explore returns -1 */
} sx_result;

/* Called after each counted run: its number (1-based), its outcome's index, preemptions, and
 * the share of the tree done (negative when unknown). */
typedef void (*sx_on_run)(void *arg, const sx_result *res, uint64_t run, size_t outcome,
                          unsigned preemptions, double share);

/* Explores prog. Returns 0 (res filled; sx_result_free), -1 with res->error. */
int sx_explore(const sx_program *prog, const sx_options *o, sx_result *res, sx_on_run on_run,
               void *arg);
void sx_result_free(sx_result *res);

/* PCT's guaranteed lower bound on finding a bug of depth d per run: 1 / (n k^(d-1)). */
double sx_pct_bound(unsigned n, uint64_t k, unsigned d);

/* --- A schedule shrunk (forksim shrink) ------------------------------------------------- */

/* A schedule as its departures from the run-until-block order after the set-up: at live
 * point `at` (counted from 0), pick thread `thread`, or (thread 0) place event `event`. */
typedef struct sx_departure {
    uint64_t at;
    int thread;
    char event[64];
} sx_departure;

/* Shrinks d (a run of prog) to the fewest departures, then each as early as it can be, that
 * reach the same outcome key with no more preemptions (delta debugging: a change is kept only
 * when the outcome stays and the preemptions do not grow). Returns a new list (sim_decisions_free) and the
 * sizes before and after, or NULL with why in err. */
typedef struct sx_shrink_sizes {
    size_t picks, events, departures, preemptions;
} sx_shrink_sizes;
sim_decisions *sx_shrink(const sx_program *prog, const sim_decisions *d, sx_shrink_sizes *before,
                         sx_shrink_sizes *after, uint64_t *runs, char *err, size_t errlen);

/* --- A scenario as a program (schedules_cmd.c) ----------------------------------------------- */

struct scenario;
/* Makes p run scenario s (which must outlive p): its set-up is not searched, its "anywhere"
 * lines are p's events. Returns 0, or -1 with "file:line: what is wrong" on stderr. */
int sx_scenario_open(sx_program *p, const struct scenario *s);
void sx_scenario_close(sx_program *p);

/* --- The commands -------------------------------------------------------------------------- */

int schedules_command(int argc, char **argv);   /* forksim explore FILE --schedules ... */
int shrink_command(int argc, char **argv);      /* forksim shrink [SCENARIO] RUN.dec */
int merge_command(int argc, char **argv);       /* forksim merge FILE... */

#endif
