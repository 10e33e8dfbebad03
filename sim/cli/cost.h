/*
 * cost.h: what a run costs, counted call by call (issue 13, item 2; rules CO1-CO4 of
 * docs/cost-rules.md): the calls by routine, by the server that handles them and by the task
 * that makes them (a server's own kernel calls count, under the server as caller), the
 * messages, the port rights made and destroyed, and the virtual clock's time.
 *
 * The counter is an RPC observer (kern_set_rpc_observer) plus the model's counts
 * (world_get_counts): it changes nothing in the run it watches, so a run counted and a run not
 * counted print the same trace.
 */
#ifndef FORKSIM_COST_H
#define FORKSIM_COST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "runner.h"

/* Who handles a call (rule CO1): GNU Mach, or the Hurd server its routine's interface names. */
typedef enum cost_server {
    COST_KERNEL,
    COST_PROC,
    COST_AUTH,
    COST_FS,
    COST_TERM,
    COST_EXEC,
    COST_MSG,       /* msg.defs: a process's own message port (glibc's signal thread) */
    COST_OTHER,     /* interrupt_operation (to whichever server the interrupted call went to),
                     * and any routine of an interface not listed */
    COST_NSERVERS
} cost_server;

const char *cost_server_name(cost_server s);
/* The server that handles routine (its interface, by the routine's prefix). */
cost_server cost_server_of(const char *routine);

typedef struct cost_counts {
    uint64_t calls;         /* traps + rpcs */
    uint64_t traps;         /* GNU Mach system calls (no message) */
    uint64_t rpcs;          /* calls made by message */
    uint64_t messages;      /* rule CO1 */
    uint64_t made, destroyed;   /* port rights, rule CO3 (all kinds) */
    uint64_t ms;            /* rule CO2 */
} cost_counts;

#define COST_MAX_ROUTINES 160
#define COST_MAX_TASKS 64

typedef struct cost_routine {
    const char *routine;    /* a string constant of the stubs */
    cost_server server;
    cost_counts c;
} cost_routine;

typedef struct cost_report {
    bool all;                       /* count the boot and the set-up too */
    bool started;                   /* a counted call came */
    world_counts_t last;            /* the model's counts after the previous call */
    world_counts_t start, end;      /* at the start and the end of what was counted */
    uint64_t clock_start, clock_end;   /* sim_now, ms */
    uint64_t first_step, last_step; /* trace steps of the first and last calls counted */
    cost_routine routines[COST_MAX_ROUTINES];
    size_t nroutines;
    cost_counts servers[COST_NSERVERS];
    cost_counts callers[COST_MAX_TASKS][COST_NSERVERS];   /* by the caller's sim task id */
    cost_counts total;
    cost_counts tail;               /* rights made or destroyed after the last call counted */
    uint64_t live_end[WORLD_RIGHT_KINDS];   /* rights alive at the end, from the ports' own
                                             * counters (port_peek), as rule CO3 checks them */
    char legend[200];               /* which task is which (run_result.legend) */
    char path[512];
} cost_report;

/* Starts counting every call of the next runs until cost_stop (it installs the RPC observer:
 * not with --explain, which has its own). all: from the boot; else from the scenario's steps
 * (run_steps_begun), as the trace shows them by default. */
void cost_start(cost_report *c, bool all);
/* Takes the end counts (on the host, the world still open: run_options.after_run) and stops. */
void cost_stop(void *c);

/* Runs s counted. Returns run_scenario's value. */
int cost_run(const scenario *s, bool all, cost_report *c, run_result *r);

/* The report as tables (text) or as one JSON object a line (jsonl). */
void cost_print_text(FILE *out, const cost_report *c);
int cost_print_jsonl(FILE *out, const cost_report *c);

/* The caller's name for task id: "t6 the parent" from the legend, or "t6". */
void cost_caller_name(const cost_report *c, int task, char *buf, size_t len);

/* forksim cost FILE [--all] [--format=text|jsonl]: argv[0] is "cost"; its options' table
 * (sim/cli/cost_cmd.c, in the command only; a struct cli_command of cliopt.h). */
int cost_command(int argc, char **argv);
extern const struct cli_command cost_cmd;

#endif
