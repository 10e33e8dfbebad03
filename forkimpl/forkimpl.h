/*
 * forkimpl.h: forksim's side of the code under test: the runtime beneath glibc's Hurd code
 * (hurdrt.c) and what a test or the forksim command needs from it.
 */
#ifndef FORKSIM_FORKIMPL_H
#define FORKSIM_FORKIMPL_H

#include "shim/forkimpl-glibc.h"

#include "sim.h"

/* The per-thread block of a simulated Hurd thread, on its task's image heap, named by the
 * simulated thread's TLS pointer (glibc keeps these in its thread variables). */
typedef struct fi_tls {
    mach_port_t reply_port;         /* the MIG reply port (M10) */
    int err;                        /* errno */
    struct hurd_sigstate *ss;       /* the thread's sigstate */
} fi_tls;

fi_tls *fi_self_tls(void);

/* Makes the stubs keep each thread's reply port in its block. Call after kern_open. */
void fi_install(void);

/* A new sigstate for thread, chained on _hurd_sigstates; for MACH_PORT_NULL the global
 * sigstate, which (as glibc's hurdsig.c says) is on no list. From a thread of the process. */
struct hurd_sigstate *fi_sigstate_new(thread_t thread);

/* Assertion failures of simulated processes, in order (host memory). */
#define FI_MAX_ABORTS 16
typedef struct fi_abort_record {
    char what[160];     /* "assertion `...' failed", or "unexpected error" (assert_perror) */
    char site[64];      /* file:line of the assertion, e.g. _Fork.c:270 */
    int err;            /* the error of an assert_perror, else 0 */
    int task;           /* the sim task that aborted */
} fi_abort_record;
unsigned fi_aborts(const fi_abort_record **records);
void fi_abort_note(const fi_abort_record *record);
/* Calls fn(record, arg) from fi_abort_note, on the aborting simulated thread before its task
 * is terminated (the command snapshots the name spaces there: issue 14, item 3). NULL
 * removes it. */
void fi_set_abort_hook(void (*fn)(const fi_abort_record *record, void *arg), void *arg);
void fi_aborts_reset(void);

/* --- processes and fork (process.c) ------------------------------------------------------ */

/* The main program of a simulated process: its return value is its exit status. */
typedef int (*fi_main_fn)(void *arg);

/* Starts a simulated Hurd process (after kern_open, fi_install and hurd_boot): a task with its
 * proc, auth, root and working directory ports, a message port served by its signal thread,
 * sigstates, then main(arg) on its main thread. Call from the host. */
sim_task *fi_spawn(fi_main_fn main, void *arg, sim_thread **thp);

/* glibc's fork as compiled: as shipped (asserts active) or with -DNDEBUG. */
typedef enum fi_fork_variant { FI_FORK_GLIBC, FI_FORK_GLIBC_NDEBUG } fi_fork_variant;
void fi_set_fork_variant(fi_fork_variant v);
fi_fork_variant fi_get_fork_variant(void);

/* Forks the calling simulated process with glibc's real _Fork: the child's pid in the parent,
 * 0 in the child, -1 with errno on failure. */
pid_t fi_fork(void);

/* --- the file descriptor table (fdrt.c beneath glibc's hurd/dtable.c) --------------------- */

/* At start-up, on the main thread, once the port cells and _hurd_pid are set: the process's
 * ctty id (the console's), its process group (1) and descriptors 0-2 on the console, built by
 * glibc's own init_dtable (the _hurd_subinit hooks), each with a ctty port of its own. */
void fi_dtable_start(void);

/* Signals that reached a process's signal thread (host log, in order). */
typedef struct fi_signal_record {
    int task, signo, sigcode;
} fi_signal_record;
void fi_signal_note(int task, int signo, int sigcode);
unsigned fi_signals(const fi_signal_record **records);

/* The host's errno while no simulated thread runs. */
extern int errno_host;

#endif
