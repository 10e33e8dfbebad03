/*
 * scenario.h: forksim scenario files (the .fsim files of traces/), parsed.
 *
 * A scenario is line-oriented text: "forksim-scenario 1" first, then one directive a line
 * (the README's "Scenario files" section is the reference). Labels (the NAME of a right) stand
 * for the port names the kernel picks when the parent sets itself up; since fork keeps names,
 * the same label names the child's right. Errors are reported as "file:line: what is wrong".
 */
#ifndef FORKSIM_SCENARIO_H
#define FORKSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>
#include <mach/port.h>

#include "kern.h"

#define SCN_MAX_LABEL 32
#define SCN_MAX_ITEMS 256
#define SCN_MAX_STEPS 128
#define SCN_MAX_EXPECT 128
#define SCN_MAX_ARGS 7
#define SCN_MAX_TEXT 128

/* What the parent holds beyond the default start-up ("have" lines). */
typedef enum scn_have_kind {
    HAVE_RECEIVE,       /* have receive NAME [send N] */
    HAVE_SEND,          /* have send NAME [urefs N]: to a port the peer process receives */
    HAVE_SEND_ONCE,     /* have send-once NAME: to a port the peer receives */
    HAVE_DEAD_NAME,     /* have dead-name NAME [urefs N] */
    HAVE_PORT_SET,      /* have port-set NAME */
    HAVE_THREAD,        /* have thread: an extra thread, idle */
    HAVE_NAMES,         /* have names COUNT: COUNT of each kind above but threads; have names
                         * COUNT of KIND: COUNT names of that kind alone (issue 13, item 3) */
    HAVE_PEG,           /* peg NAME [N]: set NAME's send urefs to N (65534: pegged) */
    HAVE_FD,            /* have fd tty|file [no-ctty] [cloexec]: a descriptor, numbered next */
} scn_have_kind;

typedef struct scn_have {
    scn_have_kind kind;
    char label[SCN_MAX_LABEL];
    unsigned count;     /* urefs, send urefs, or number of names */
    bool tty, no_ctty, cloexec;     /* HAVE_FD */
    unsigned times;     /* HAVE_FD: this many descriptors alike (0: one) */
    bool names_of;      /* HAVE_NAMES: all of kind of (receive, send: 1 uref, send-once,
                         * dead-name: 1 uref, port-set) */
    scn_have_kind of;
    int line;
} scn_have;

/* Whose step: the parent's, the child's, or the kth named process's (WHO_NAMED + k, k from 0:
 * a "process NAME" line, whose steps are written "NAME STEP ..."; issue 9, item 3). */
typedef enum scn_who { WHO_PARENT, WHO_CHILD, WHO_NAMED } scn_who;

/* A process the scenario names (issue 9, item 3: kill by label): "process NAME [daemon]", a
 * further simulated process started as any is (glibc's start-up: its own signal thread, its
 * message port given to proc), whose steps are "NAME STEP ..."; or "parent fork as NAME", the
 * child that fork makes (its steps stay "child ..."). A kill names either: "kill SIG to NAME". */
#define SCN_MAX_PROCS 8
typedef struct scn_process {
    char name[SCN_MAX_LABEL];
    bool forked;                /* fork as NAME: the parent's child, not a process of its own */
    bool daemon;                /* process NAME daemon: left as it is when the others are done */
    int line;
} scn_process;

/* Which processes an anchor counts calls of: the scenario's parent and its children (the
 * default; not the servers, nor the peer), the parent only, its children only, or the named
 * process the anchor's proc_name names ("in NAME": a process NAME's task, or the child task
 * of fork as NAME, from the fork's task_create on; issue 9, item 3). */
typedef enum scn_proc { PROC_OURS = 0, PROC_PARENT, PROC_CHILD, PROC_NAMED } scn_proc;

/*
 * Where an event or a fault lands. By meaning: the Kth call (K from 1) among the calls of the
 * scenario's processes that fit every condition given: the routine, "on LABEL" (one of the
 * port names the call operates on is LABEL's), "in parent|child|NAME", "at TEXT" (the _Fork.c
 * statement its call site lies in contains TEXT, blanks compared loosely); an event lands just
 * before that call runs, or just after it returned. Low level (meaning false): the Nth RPC
 * after the set-up, of any thread of any task (servers included), or the Nth of routine R.
 * A zeroed anchor is the low-level one.
 */
typedef struct scn_anchor {
    bool meaning;
    bool after;
    unsigned nth;
    char routine[40];
    char label[SCN_MAX_LABEL];
    scn_proc proc;
    char text[SCN_MAX_TEXT];
    char proc_name[SCN_MAX_LABEL];      /* PROC_NAMED: the process's NAME */
} scn_anchor;

typedef enum scn_step_kind {
    STEP_FORK,          /* fork [-> ok|error] */
    STEP_EXIT,          /* exit N */
    STEP_WAIT,          /* wait [-> status N] */
    STEP_YIELD,         /* yield */
    STEP_RPC,           /* rpc ROUTINE ARGS... [-> CODE] */
    STEP_KILL,          /* kill SIG [to child|parent|self]: glibc's kill (default: the last child) */
    STEP_HANDLER,       /* handler SIG record|ignore|default|exit N|do ACTION: glibc's sigaction */
    STEP_MASK,          /* block SIG | unblock SIG: glibc's sigprocmask */
    STEP_PAUSE,         /* pause: glibc's sigsuspend, until a handler has run */
    STEP_EXEC,          /* exec PATH [-> CODE]: glibc's execve of a built-in program (hexec) */
    STEP_SPAWN,         /* spawn PATH [ACTION...] [-> CODE]: glibc's posix_spawn (issue 13,
                         * item 1); expect_value indexes scenario.spawns */
} scn_step_kind;

typedef struct scn_step {
    scn_who who;
    scn_step_kind kind;
    char routine[40];
    char args[SCN_MAX_ARGS][SCN_MAX_LABEL];
    int nargs;
    bool has_expect;
    bool has_errno;             /* fork -> error CODE: expect_code is the errno */
    kern_return_t expect_code;  /* rpc; fork's errno */
    int expect_value;           /* exit code, wait status, signal */
    bool by_signal;             /* wait -> signal SIG: expect_value is the signal */
    bool untraced;              /* wait untraced -> stopped SIG: WUNTRACED, stopped by SIG */
    bool vfork;                 /* vfork: glibc's vfork (posix/vfork.c), which is fork */
    int signo;                  /* kill, handler, block, unblock: the Hurd's number */
    /* handler SIG do ACTION: the action is the next step (expect_value is its index), marked
     * handler_body: it runs inside the handler, never in the steps' own order */
    bool handler_body;
    int line;
} scn_step;

typedef enum scn_expect_kind {
    EXPECT_NAME,        /* expect parent|child NAME TYPE [urefs N] */
    EXPECT_ABSENT,      /* expect parent|child NAME absent */
    EXPECT_VERDICT,     /* expect verdict ok|abort|deadlock|livelock */
    EXPECT_ABORT_AT,    /* expect abort FILE:LINE, or expect abort at "TEXT" [in parent|child] */
    EXPECT_COPIES,      /* expect child copies-parent: the fork's intent, name by name */
    EXPECT_PORT,        /* expect child NAME port same|other: the parent's port, or another */
    EXPECT_FD,          /* expect parent|child fd N open|absent|cloexec|ctty own|same|none */
} scn_expect_kind;

typedef struct scn_expect {
    scn_expect_kind kind;
    scn_who who;
    char label[SCN_MAX_LABEL];
    mach_port_type_t type;
    bool has_urefs;
    unsigned urefs;
    char word[64];
    char text[SCN_MAX_TEXT];    /* expect abort at "TEXT": a statement of _Fork.c */
    scn_proc proc;              /* expect abort ... in parent|child */
    int line;
} scn_expect;

/* An event the race explorer places at every scheduling point, within its bound (issue 10,
 * item 2): "anywhere destroy NAME [up to N]", "anywhere kill SIG to child|parent [up to N]",
 * "anywhere delay proc_ROUTINE MS [up to N]". A plain run ignores it. */
#define SCN_MAX_CHOICES 8
typedef struct scn_choice {
    char what[64];              /* as the decisions file writes it: "destroy NAME", "kill SIG
                                 * child|parent", "delay proc_ROUTINE MS" */
    unsigned times;             /* at most this many times in a run (1 by default) */
    int line;
} scn_choice;

/* A spawn step's file actions and attributes (issue 13, item 1): "open FD PATH", "close FD",
 * "dup2 FD NEWFD" in order; "setsigmask SIGS", "setsigdef SIGS", "setpgroup PGRP",
 * "resetids". The flags are posix/spawn.h's POSIX_SPAWN_* (forkimpl.h's FI_SPAWN_*). */
#define SCN_SPAWN_RESETIDS 0x01
#define SCN_SPAWN_SETPGROUP 0x02
#define SCN_SPAWN_SETSIGDEF 0x04
#define SCN_SPAWN_SETSIGMASK 0x08
#define SCN_MAX_SPAWNS 4
#define SCN_MAX_SPAWN_ACTIONS 8
typedef struct scn_spawn {
    struct {
        char kind;              /* 'o' open, 'c' close, 'd' dup2 */
        int fd, newfd;
        char path[SCN_MAX_LABEL];
    } actions[SCN_MAX_SPAWN_ACTIONS];
    unsigned nactions;
    short flags;
    unsigned long sigmask, sigdefault;  /* Hurd sigset_t bits */
    int pgroup;
} scn_spawn;

typedef struct scenario {
    char path[512];
    char title[160];
    bool ndebug;                /* fork glibc-ndebug */
    bool ipc_compat;            /* world ipc-compat */
    bool fork_ours;             /* fork ours (forkimpl/fork_ours.c; implies copy_names) */
    bool copy_names;            /* world fork-ours: the kernel has task_copy_names */
    bool x86_64_layout;         /* world layout x86_64 (docs/mach-rules.md W2) */
    uint64_t seed;
    enum sim_policy_kind policy;
    char decisions[512];        /* decisions PATH: a decision list to replay (sim's format) */
    int decisions_line;         /* the line of the decisions directive, for its errors */
    scn_have haves[SCN_MAX_ITEMS];
    size_t nhaves;
    scn_step steps[SCN_MAX_STEPS];
    size_t nsteps;
    scn_expect expects[SCN_MAX_EXPECT];
    size_t nexpects;
    kern_fault faults[KERN_MAX_FAULTS];
    char fault_routines[KERN_MAX_FAULTS][40];
    char fault_labels[KERN_MAX_FAULTS][SCN_MAX_LABEL]; /* events: destroy|insert NAME */
    bool fault_insert_same[KERN_MAX_FAULTS];           /* insert: the parent's own right */
    int fault_kill_sig[KERN_MAX_FAULTS];               /* kill SIG to child|parent: SIG (0: no kill) */
    bool fault_kill_child[KERN_MAX_FAULTS];            /* ... to the child */
    char fault_kill_to[KERN_MAX_FAULTS][SCN_MAX_LABEL]; /* ... to child|parent|NAME */
    unsigned fault_delay_ms[KERN_MAX_FAULTS];          /* delay reply MS: MS (0: no delay) */
    scn_anchor anchors[KERN_MAX_FAULTS];               /* where each fault or event lands */
    int fault_lines[KERN_MAX_FAULTS];                  /* its line in the file (0: added by
                                                        * forksim explore) */
    unsigned nfaults;
    scn_choice choices[SCN_MAX_CHOICES];
    unsigned nchoices;
    scn_process procs[SCN_MAX_PROCS];   /* named processes, in the order of their lines */
    unsigned nprocs;
    bool with_exec;             /* an exec step: the exec server and the programs boot too */
    unsigned exec_delay_ms;     /* delay exec_exec_paths MS|forever (0: none; hexec) */
    bool exec_delay_forever;
    int exec_delay_line;
    scn_spawn spawns[SCN_MAX_SPAWNS];   /* the spawn steps' (issue 13, item 1) */
    unsigned nspawns;
} scenario;

/* Parses path into *s. Returns 0, or -1 with "file:line: what is wrong" in err. */
int scenario_load(const char *path, scenario *s, char *err, size_t errlen);
/* The same for a scenario's text held in memory (a recording's), named path in messages. */
int scenario_load_text(const char *path, const char *text, size_t len, scenario *s, char *err,
                       size_t errlen);

/* Names for types and codes, as the scenario language writes them. */
bool scn_type_parse(const char *word, mach_port_type_t *type);
const char *scn_type_name(mach_port_type_t type);
bool scn_code_parse(const char *word, kern_return_t *code);

/* The index of the named process NAME in s->procs, or -1. */
int scn_process_find(const scenario *s, const char *name);

/* Whether routine makes RPCs forksim traces (a routine an anchor or a fault may name). */
bool scn_routine_known(const char *routine);

/* The anchor as the scenario language writes it ("before the 2nd thread_resume in parent"),
 * for messages. */
void scn_anchor_format(const scn_anchor *a, char *buf, size_t len);

#endif
