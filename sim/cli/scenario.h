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

/* What the parent holds beyond the default start-up ("have" lines). */
typedef enum scn_have_kind {
    HAVE_RECEIVE,       /* have receive NAME [send N] */
    HAVE_SEND,          /* have send NAME [urefs N]: to a port the peer process receives */
    HAVE_SEND_ONCE,     /* have send-once NAME: to a port the peer receives */
    HAVE_DEAD_NAME,     /* have dead-name NAME [urefs N] */
    HAVE_PORT_SET,      /* have port-set NAME */
    HAVE_THREAD,        /* have thread: an extra thread, idle */
    HAVE_NAMES,         /* have names COUNT: COUNT of each kind above but threads */
    HAVE_PEG,           /* peg NAME [N]: set NAME's send urefs to N (65534: pegged) */
    HAVE_FD,            /* have fd tty|file [no-ctty] [cloexec]: a descriptor, numbered next */
} scn_have_kind;

typedef struct scn_have {
    scn_have_kind kind;
    char label[SCN_MAX_LABEL];
    unsigned count;     /* urefs, send urefs, or number of names */
    bool tty, no_ctty, cloexec;     /* HAVE_FD */
    int line;
} scn_have;

typedef enum scn_who { WHO_PARENT, WHO_CHILD } scn_who;

typedef enum scn_step_kind {
    STEP_FORK,          /* fork [-> ok|error] */
    STEP_EXIT,          /* exit N */
    STEP_WAIT,          /* wait [-> status N] */
    STEP_YIELD,         /* yield */
    STEP_RPC,           /* rpc ROUTINE ARGS... [-> CODE] */
    STEP_KILL,          /* kill SIGNAL: msg_sig_post to the last child */
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
    int line;
} scn_step;

typedef enum scn_expect_kind {
    EXPECT_NAME,        /* expect parent|child NAME TYPE [urefs N] */
    EXPECT_ABSENT,      /* expect parent|child NAME absent */
    EXPECT_VERDICT,     /* expect verdict ok|abort|deadlock|livelock */
    EXPECT_ABORT_AT,    /* expect abort FILE:LINE */
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
    int line;
} scn_expect;

typedef struct scenario {
    char path[512];
    char title[160];
    bool ndebug;                /* fork glibc-ndebug */
    bool ipc_compat;            /* world ipc-compat */
    uint64_t seed;
    enum sim_policy_kind policy;
    char decisions[512];        /* decisions PATH: a decision list to replay (sim's format) */
    scn_have haves[SCN_MAX_ITEMS];
    size_t nhaves;
    scn_step steps[SCN_MAX_STEPS];
    size_t nsteps;
    scn_expect expects[SCN_MAX_EXPECT];
    size_t nexpects;
    kern_fault faults[KERN_MAX_FAULTS];
    char fault_routines[KERN_MAX_FAULTS][40];
    char fault_labels[KERN_MAX_FAULTS][SCN_MAX_LABEL]; /* "at rpc N destroy|insert NAME" */
    bool fault_insert_same[KERN_MAX_FAULTS];           /* insert: the parent's own right */
    unsigned nfaults;
} scenario;

/* Parses path into *s. Returns 0, or -1 with "file:line: what is wrong" in err. */
int scenario_load(const char *path, scenario *s, char *err, size_t errlen);

/* Names for types and codes, as the scenario language writes them. */
bool scn_type_parse(const char *word, mach_port_type_t *type);
const char *scn_type_name(mach_port_type_t type);
bool scn_code_parse(const char *word, kern_return_t *code);

#endif
