/*
 * forkimpl.h: forksim's side of the code under test: the runtime beneath glibc's Hurd code
 * (hurdrt.c) and what a test or the forksim command needs from it.
 */
#ifndef FORKSIM_FORKIMPL_H
#define FORKSIM_FORKIMPL_H

#include "shim/forkimpl-glibc.h"

#include "sim.h"


/* Makes the stubs keep each thread's reply port in its block. Call after kern_open. */
void fi_install(void);
/* The runtime's lock namer for glibc's locks (locknames.c). */
void fi_lock_name(uintptr_t addr, char *buf, size_t len);

/* The calling thread's name for itself, as its sigstate keeps it (glibc's hurdsig.c). */
thread_t fi_self_thread_name(void);

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

/* What glibc's start-up hands a process before main (hurd/hurdinit.c: _hurd_init, hurd/hurdsig.c:
 * _hurdsig_init): its ports by INIT_PORT_* index, its pid, the init ints by INIT_* index of the
 * Hurd's hurd_types.h (none: NULL, 0) and its descriptors: with dtable_given, the ndtable names
 * exec gave in the region at dtable (NULL when empty), which becomes glibc's _hurd_init_dtable
 * and init_dtable gives back; without, descriptors 0-2 on the console, as fi_dtable_start
 * gives a process hurd_spawn started. */
typedef struct fi_start_info {
    mach_port_t ports[INIT_PORT_MAX];
    pid_t pid;
    const int *ints;
    unsigned nints;
    bool dtable_given;
    mach_port_t *dtable;
    unsigned ndtable;
} fi_start_info;

/* The start-up of a simulated process on its main thread, up to its main: the port cells and
 * __mach_task_self_, the sigstates and the signal settings of the ints (fi_start_signals), the
 * message port given to proc and served by a new signal thread, the descriptors. */
void fi_process_init(const fi_start_info *si);

/* Applies the init ints a process was given to its signal state, as _hurdsig_init does:
 * INIT_SIGMASK to the main thread's blocked set, INIT_SIGPENDING to the global sigstate's
 * pending set, INIT_SIGIGN as ignored signals (forkimpl/exec.c; its body goes when glibc's
 * own _hurdsig_init runs). Indexes beyond n are not read. */
void fi_start_signals(const int *ints, unsigned n);

/* glibc's fork as compiled: as shipped (asserts active) or with -DNDEBUG. */
/* FI_FORK_OURS: forksim's own fork, forkimpl/fork_ours.c (issue 13 item 5) */
typedef enum fi_fork_variant { FI_FORK_GLIBC, FI_FORK_GLIBC_NDEBUG, FI_FORK_OURS } fi_fork_variant;
void fi_set_fork_variant(fi_fork_variant v);
fi_fork_variant fi_get_fork_variant(void);

/* Forks the calling simulated process with glibc's real _Fork: the child's pid in the parent,
 * 0 in the child, -1 with errno on failure. */
pid_t fi_fork(void);
/* glibc's vfork (posix/vfork.c, compiled unmodified: on the Hurd it is fork). */
pid_t fi_vfork(void);

/* --- the file descriptor table (fdrt.c beneath glibc's hurd/dtable.c) --------------------- */

/* At start-up, on the main thread, once the port cells and _hurd_pid are set: the process's
 * ctty id (the console's), its process group (1) and descriptors 0-2 on the console, built by
 * glibc's own init_dtable (the _hurd_subinit hooks), each with a ctty port of its own. */
void fi_dtable_start(void);

/* The calling process's blocked (its thread's), pending (the global sigstate's) and ignored
 * signal sets, as Hurd sigset_t bits (signal n is bit n-1). forkimpl/exec.c. */
void fi_signals_now(unsigned long *blocked, unsigned long *pending, unsigned long *ignored);

/* --- exec: built-in programs and their start (forkimpl/exec.c, programs.c) ----------------- */

/* A built-in program: its path in the simulated file system and its main. */
typedef struct fi_builtin {
    const char *path;
    fi_main_fn main;
} fi_builtin;

/* Registers the built-in programs with the file system (hurd_program_add): /bin/true (exits
 * 0), /bin/false (exits 1), /bin/sigwait (waits for a signal: fi_wait_for_signal, then exits
 * 0), /bin/sigreport (a trace note with the signals blocked, pending and ignored at its start,
 * then exits 0), /bin/sigunblock (sigreport's note, then unblocks every signal with glibc's
 * sigprocmask, a second note, exits 0). Call after hurd_boot_ex(HURD_BOOT_EXEC). Returns 0, -1 if the file system is
 * full. */
int fi_programs_install(void);

/* The calling simulated process execs path with glibc's own execve (sysdeps/mach/hurd/
 * execve.c, execveat.c, hurd/hurdexec.c: dir_lookup, then _hurd_exec_paths' file_exec_paths),
 * argv {path}, no environment (forkimpl/execrt.c). Returns only when the exec failed, with
 * the error (a Hurd errno value); on success the calling thread is gone with its program. */
int fi_exec(const char *path);

/* A failed exec, and the locks of _hurd_exec_paths it left held (forkimpl/execrt.c). */
typedef struct fi_exec_failure {
    int task;
    int err;
    bool critical_section, dtable_lock, id_lock;
} fi_exec_failure;
unsigned fi_exec_failures(const fi_exec_failure **failures);
void fi_exec_failures_reset(void);
/* "critical section, fd-table lock", or "nothing". */
void fi_exec_held(const fi_exec_failure *f, char *buf, size_t len);

/* Installs the exec server's commit hook that notes "signal SIG to tT: lost at exec" for each
 * signal the old program had pending that the exec request's INIT_SIGPENDING does not carry
 * (rule EX15). fi_programs_install calls it. */
void fi_exec_install(void);

/* The entry the exec server starts a built-in program at (arg: its fi_builtin). */
void fi_exec_entry(void *arg);

/* Blocks the calling thread until a signal ends the wait (a receive on a port of its own, with
 * MACH_RCV_INTERRUPT: thread_abort ends it; a default action ends the task). Stands where
 * sigsuspend with an empty mask goes once glibc's signal code runs. */
void fi_wait_for_signal(void);

/* What each program exec started had before its main (host log, in order). Names are in the
 * task's space. */
#define FI_MAX_EXECS 16
#define FI_EXEC_DTABLE_MAX 8
typedef struct fi_exec_record {
    int task;
    const char *path;
    pid_t pid;
    mach_port_t ports[INIT_PORT_MAX];   /* the port cells, by INIT_PORT_* */
    uint32_t port_ids[INIT_PORT_MAX];   /* the ports they name (0: none) */
    unsigned nports;                     /* how many exec_startup_get_info gave */
    mach_port_t dtable[FI_EXEC_DTABLE_MAX];
    uint32_t dtable_ids[FI_EXEC_DTABLE_MAX];
    unsigned ndtable;                    /* of those kept above */
    unsigned ndtable_given;              /* descriptors exec_startup_get_info gave */
    unsigned ndtable_live;               /* of them, those naming a port in the task's space */
    size_t nnames;                       /* names in the task's space then */
    int ints[5];
    unsigned nints;
    unsigned long blocked, pending, ignored;
} fi_exec_record;
unsigned fi_execs(const fi_exec_record **records);
void fi_execs_reset(void);

/* The same with the descriptors a process was given (exec): n send rights, one per entry
 * (MACH_PORT_NULL for a closed one), in a region of the task's (the array exec_startup_get_info
 * placed out of line, NULL when n is 0), which becomes _hurd_init_dtable as glibc's init1 makes
 * it (sysdeps/mach/hurd/i386/init-first.c): glibc's init_dtable gives it back with
 * vm_deallocate. The ctty id is the port cell's. */
void fi_dtable_start_given(mach_port_t *dtable, unsigned n);

/* Signals that reached a process's signal thread (host log, in order). */
typedef struct fi_signal_record {
    int task, signo, sigcode;
} fi_signal_record;
void fi_signal_note(int task, int signo, int sigcode);
unsigned fi_signals(const fi_signal_record **records);

/* --- signals through glibc's own calls (sigapi.c) --------------------------------------------- */

/* The Hurd's signal names and numbers (sigapi.c): the one table, in number order with aliases
 * after the signal they alias; a signal's first name ("TERM"), or its number as text. */
#define FI_SIGNAL_MAX 32
typedef struct fi_signame {
    int sig;
    const char *name;
} fi_signame;
const fi_signame *fi_signal_table(int *n);
const char *fi_signal_name(int signo);
/* What a scenario's handler does: the Hurd's default, ignore, or the one handler function,
 * which records the signal, or ends the process with an exit code. */
typedef enum fi_sig_act { FI_ACT_DEFAULT, FI_ACT_IGNORE, FI_ACT_RECORD, FI_ACT_EXIT, FI_ACT_DO } fi_sig_act;
/* FI_ACT_DO: the handler calls the action hook (fi_set_handler_action) with the signal, the
 * code and the depth, inside the handler frame, on the thread that takes the signal, before
 * sigreturn (depth counts the handlers of the process running at once: 2 is a handler inside
 * a handler). */
void fi_set_handler_action(void (*fn)(int signo, int code, int depth, void *arg), void *arg);
/* Each run of a scenario handler, in order (host log, reset with the signal log): the task,
 * the signal, the depth, and the address of a local of the handler's frame (the stack the
 * handler ran on: the signal frame is pushed below the interrupted code's frames). */
#define FI_MAX_HANDLER_RUNS 32
typedef struct fi_handler_run {
    int task, thread, signo, depth;
    uintptr_t frame;
} fi_handler_run;
unsigned fi_handler_runs(const fi_handler_run **runs);
/* From a simulated thread: glibc's sigaction (SA_RESTART), kill and sigprocmask. Return 0 or
 * the error. */
int fi_signal_action(int signo, fi_sig_act act, int code);
int fi_kill(pid_t pid, int signo);
int fi_signal_block(int signo, bool block);
/* pause(): glibc's sigsuspend with the mask as it is, until a handler has run. */
void fi_pause(void);
/* A trace note "# signal SIGNAME to tT: what" for the running task (fi_signal_log). */
void fi_signal_event(int signo, const char *what);
/* The same for task T, logged too: what became of the signal there (sigapi.c's notes: pending,
 * blocked, ignored, handler, default terminate|stop|continue; exec.c's lost at exec). The log,
 * in order, for the run since fi_aborts_reset (at most 64). */
typedef struct fi_signal_event_record {
    int task, signo;
    char what[24];
} fi_signal_event_record;
void fi_signal_log(int task, int signo, const char *what);
unsigned fi_signal_events(const fi_signal_event_record **records);
/* The signal thread's note after glibc's msg_sig_post routine returned. */
void fi_signal_posted(int signo);

/* The host's errno while no simulated thread runs. */
extern int errno_host;


/* --- posix_spawn (issue 13, item 1; forkimpl/spawnrt.c) ----------------------------------- */

/* What a scenario's spawn step asks for: glibc's posix_spawn of a built-in program with file
 * actions (in order) and attributes. The flags are posix/spawn.h's POSIX_SPAWN_* values. */
#define FI_SPAWN_RESETIDS 0x01
#define FI_SPAWN_SETPGROUP 0x02
#define FI_SPAWN_SETSIGDEF 0x04
#define FI_SPAWN_SETSIGMASK 0x08
#define FI_SPAWN_MAX_ACTIONS 8
typedef enum fi_spawn_action_kind { FI_SPAWN_OPEN, FI_SPAWN_CLOSE, FI_SPAWN_DUP2 } fi_spawn_action_kind;
typedef struct fi_spawn_action {
    fi_spawn_action_kind kind;
    int fd, newfd;              /* open and close: fd; dup2: fd to newfd */
    char path[64];              /* open: the file, opened O_RDONLY */
} fi_spawn_action;
typedef struct fi_spawn_request {
    const char *path;
    fi_spawn_action actions[FI_SPAWN_MAX_ACTIONS];
    unsigned nactions;
    short flags;
    unsigned long sigmask, sigdefault;  /* Hurd sigset_t bits (1 << (signo - 1)) */
    pid_t pgroup;
} fi_spawn_request;
/* From a simulated process: glibc's posix_spawn (posix/spawn.c, sysdeps/mach/hurd/spawni.c),
 * the file actions and attributes made with glibc's own posix_spawn_file_actions_* and
 * posix_spawnattr_* functions, argv {path}, no environment. Returns 0 and the child's pid in
 * *pid, or the error (a Hurd errno value: posix_spawn's return). */
int fi_posix_spawn(const fi_spawn_request *req, pid_t *pid);

#endif
