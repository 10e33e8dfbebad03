/*
 * kern.h: the simulated machine: the model's kernel (model/) joined to the runtime's threads
 * and images (sim.h), the mock MIG stubs' common part, traces and fault plans.
 *
 * A simulated task is a sim_task (its memory image) and a ktask_t (its ports and name space)
 * known to each other; a simulated thread is a sim_thread and a kthread_t. The stubs
 * (sim/kern/mig_mach.c) are what simulated-process code calls: each RPC is one scheduling point,
 * one call into the model, one trace event.
 */
#ifndef FORKSIM_KERN_H
#define FORKSIM_KERN_H

#include <stdio.h>

#include "model.h"
#include "sim.h"

/* --- Fault plans ----------------------------------------------------------------------- */

typedef enum kern_fault_kind {
    KF_NONE = 0,
    KF_SEND_FAILS,      /* the request is never delivered: MACH_SEND_INVALID_DEST, nothing done */
    KF_ROUTINE_FAILS,   /* the routine returns `error`; rights carried in are destroyed (I4, M11) */
    KF_REPLY_LOST,      /* the routine acts, the reply is destroyed: MIG_SERVER_DIED (M12) */
    KF_PORT_DEATH,      /* before the RPC runs, task `task_id` loses every right under `name` */
    KF_CALL,            /* before the RPC runs, call(call_arg): another actor's doing */
} kern_fault_kind;

struct kern_rpc;

/* One planned fault: it fires at the nth RPC (1-based) whose routine is `routine` (any routine
 * when routine is NULL) and that `match` accepts (every RPC when match is NULL). A call's number
 * is taken as it begins; an `after` event fires once that call has ended (its trace line
 * written), before its thread goes on. */
typedef struct kern_fault {
    kern_fault_kind kind;
    const char *routine;
    unsigned nth;
    kern_return_t error;        /* KF_ROUTINE_FAILS */
    int task_id;                /* KF_PORT_DEATH: the sim task id holding the right */
    mach_port_name_t name;      /* KF_PORT_DEATH */
    void (*call)(void *arg);    /* KF_CALL */
    void *call_arg;
    bool after;                 /* KF_PORT_DEATH, KF_CALL: after the call instead of before it */
    bool (*match)(const struct kern_rpc *r, void *arg);  /* further conditions (scenario anchors) */
    void *match_arg;
} kern_fault;

#define KERN_MAX_FAULTS 16

typedef struct kern_config {
    sim_config sim;
    world_config_t world;
    FILE *trace;                /* trace lines (version line first), or NULL */
    const char *trace_path;     /* or a file: written as PATH.tmp, renamed to PATH at
                                 * kern_close (or when the run stops on an unmodelled call,
                                 * with a last line saying so) */
    kern_fault faults[KERN_MAX_FAULTS];
    unsigned nfaults;
    bool sites;                 /* annotate each RPC with its call site (kern_set_site_fn) */
} kern_config;

/* Turns the return addresses of an RPC's stack (innermost first) into a call site such as
 * "_Fork.c:264"; returns 0 when none is known. The code under test supplies it (sites are
 * the code under test's business; the runtime only unwinds). */
typedef int (*kern_site_fn)(void *const *pcs, int n, char *buf, size_t len);
void kern_set_site_fn(kern_site_fn fn);

/* Replaces the fault plan (before or during a run: faults count RPCs from kern_open). */
void kern_set_faults(const kern_fault *faults, unsigned n);
/* RPCs made since the fault plan was set. */
uint64_t kern_rpcs_since_faults(void);
/* A world restored from a snapshot (sim/rt/snapshot.c) taken after the plan was set: its plan
 * becomes faults[0..n), as if set then, the calls made since counted. Only a plan that never
 * fired, replaced by faults by number among all calls (no routine, no match) that are all
 * still ahead, can be: else false, and nothing changed. */
bool kern_faults_replace(const kern_fault *faults, unsigned n);
/* Restores a world taken with sim_snapshot_take (closed before, open after), the model's
 * memory with it: what kern_open would have made and the run made since. */
void kern_snapshot_restore(const sim_snapshot *s);

/* Call sites are looked up for every RPC from now on even when the trace does not show them
 * (a fault plan that matches calls by their site needs them). kern_open turns it off. */
void kern_need_sites(bool on);

/* Calls fn(arg) once, just before the trace line numbered step is written (forksim
 * --stop-at). 0 removes it. */
void kern_set_step_hook(uint64_t step, void (*fn)(void *arg), void *arg);

/* Opens the runtime and an empty world. Returns 0, or -1 (sim_open's errno). */
int kern_open(const kern_config *cfg);

/* Closes everything: tasks still there are reclaimed. Returns the number of objects left
 * behind: model objects still allocated once every task was terminated, plus host
 * allocations the runtime still holds. 0 is clean. */
size_t kern_close(void);

world_t *kern_world(void);

/* A boot task: a new task with a fresh image and one runnable thread starting at fn(arg), as
 * the bootstrap creates the first processes. *thp (if not NULL) gets the thread. */
sim_task *kern_boot_task(void (*fn)(void *), void *arg, sim_thread **thp);

/* The same for host code that needs no image (sim_task_create_host): the simulated servers. Its
 * thread's reply port cell is in the thread's host TLS block, so an RPC to or from it never
 * saves or loads an image. */
sim_task *kern_boot_host_task(void (*fn)(void *), void *arg, sim_thread **thp);

ktask_t *kern_ktask(const sim_task *task);
kthread_t *kern_kthread(const sim_thread *thread);
sim_task *kern_sim_task(const ktask_t *task);
sim_thread *kern_sim_thread(const kthread_t *thread);
kthread_t *kern_self(void);     /* the running thread's kernel half; NULL on the host */

/* Number of RPCs and traps made so far, and the trace step counter. */
uint64_t kern_rpc_count(void);
/* Faults that fired so far. */
unsigned kern_faults_fired(void);
/* Whether fault i of the plan has fired (its call came). */
bool kern_fault_has_fired(unsigned i);

/* --- Observing RPCs (forksim explore: which RPCs a fork makes, and where a fault landed) ---- */

/* One RPC or trap, as it ends. */
typedef struct kern_rpc_note {
    uint64_t nth;               /* its number as a fault plan counts it: 1-based, every RPC and
                                 * trap of every thread since kern_open or kern_set_faults */
    const char *routine;        /* a string constant of the stubs: valid for the program's life */
    int task, thread;           /* the caller's sim ids */
    uint64_t step;              /* its trace line's step */
    const char *site;           /* "_Fork.c:LINE" with kern_config.sites, else "" */
    kern_return_t kr;           /* what the caller saw (for a self trap: KERN_SUCCESS) */
    kern_fault_kind fault;      /* the fault that fired for it, or KF_NONE */
    const mach_port_name_t *names;  /* the port names it operates on (kern_rpc.names) */
    int nnames;
    const char *args;           /* its trace arguments, as the trace line shows them ("" without
                                 * a trace) */
    const char *outs;           /* what came back, as the trace line shows it */
    bool trap;                  /* a GNU Mach system call, no message ("trap" in the trace) */
    bool fallback;              /* a trap shortcut that fell back to the RPC (K8): both */
    uint64_t ms;                /* the virtual clock's move while the call was in progress
                                 * (sim_now at its end less at its start; rule CO2 of
                                 * docs/cost-rules.md) */
} kern_rpc_note;

/* Calls fn(note, arg) on the calling simulated thread as each RPC ends. Kept across kern_open
 * and kern_close (install it before the run); NULL removes it. */
typedef void (*kern_rpc_observer_fn)(const kern_rpc_note *note, void *arg);
void kern_set_rpc_observer(kern_rpc_observer_fn fn, void *arg);
/* Whether an observer is installed (a boot restored from a snapshot would not show it the
 * boot's RPCs: forksim_open boots for real then). */
bool kern_rpc_observed(void);

/* --- Thread state ---------------------------------------------------------------------- */

/* forksim's machine thread state (glibc 2.36 has no x86_64 Hurd port, so the layout is ours):
 * a thread that never ran either starts by calling pc(arg) on stack sp, or resumes by
 * longjmp(env, value) in its task's image; either way with the TLS pointer given. A thread
 * that ran is PARKED: pc says where (the code above the kernel publishes it:
 * kern_self_state_publish), sysreturn what its trap returns. thread_set_state on a thread
 * that ran with a parked state changes what its trap returns and, when its pc moved, where it
 * is parked (glibc's _hurdsig_abort_rpcs backs a call out so); with a call state and another
 * pc it makes the thread call pc(arg) first when it runs again (sim_thread_inject: a signal
 * frame). 16 words of natural_t. */
#define KERN_THREAD_STATE_FLAVOR 0x7f01
enum { KERN_STATE_NONE = 0, KERN_STATE_CALL = 1, KERN_STATE_LONGJMP = 2, KERN_STATE_PARKED = 3 };
typedef struct kern_thread_state {
    uint64_t kind;
    uint64_t pc, sp, arg;       /* KERN_STATE_CALL */
    uint64_t env, value;        /* KERN_STATE_LONGJMP */
    uint64_t tls;               /* the thread's TLS pointer (an image address), 0 to keep */
    uint64_t sysreturn;         /* KERN_STATE_PARKED: what the trap it is in returns */
} kern_thread_state;

/* The running thread says where it is parked from now on (pc) and what its trap returns
 * (sysreturn), in the registers thread_get_state reads; the generation of its state moves
 * when thread_set_state or thread_abort changes them (kern_self_state_gen). */
void kern_self_state_publish(uint64_t pc, uint64_t sysreturn);
void kern_self_state_read(kern_thread_state *out);
uint64_t kern_self_state_gen(void);
/* The mach_msg trap itself for code above the kernel that makes its own retries (glibc's
 * intr-msg.c): no retry on interruption, no trace line of its own (the RPC's covers it). */
mach_msg_return_t kern_mach_msg_trap(mach_msg_header_t *msg, mach_msg_option_t option,
                                     mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                     mach_port_t rcv_name, mach_msg_timeout_t timeout);
#define KERN_THREAD_STATE_COUNT ((mach_msg_type_number_t)(sizeof(kern_thread_state) / sizeof(natural_t)))

/* --- What the stubs share (sim/mig_*.c) --------------------------------------------------- */

/* The running thread's MIG reply port cell (M10): where its reply port's name is kept. By
 * default a word in a per-thread block of the task's image; the code under test may supply
 * its own (glibc keeps it in its thread variables). */
typedef mach_port_t *(*kern_reply_cell_fn)(void);
void kern_set_reply_cell_fn(kern_reply_cell_fn fn);

/* An RPC in progress. */
#define KERN_RPC_MAX_NAMES 2
typedef struct kern_rpc {
    const char *routine;
    bool trap;
    kthread_t *self;
    kern_fault_kind fault;      /* the fault that fires for this call, if any */
    kern_return_t fault_error;
    char site[40];              /* call site, with kern_config.sites */
    bool fallback;              /* a trap shortcut that fell back to the RPC (K8) */
    uint64_t nth;               /* kern_rpc_note.nth */
    mach_port_name_t names[KERN_RPC_MAX_NAMES];  /* the port names the call operates on, in the
                                 * caller's or the target task's space (not the target task's
                                 * own name, nor a server's port): what a scenario's "on LABEL"
                                 * anchor compares with */
    int nnames;
    unsigned after_faults;      /* bit i: fault i fires when this call ends */
    bool intr;                  /* an interruptible RPC (H11): sent through kern_set_intr_msg_fn */
    uint64_t t0;                /* sim_now() as the call began (after its scheduling point) */
} kern_rpc;

/* The send and receive of the interruptible RPCs (H11: proc_*, the interfaces the Hurd declares
 * INTR_INTERFACE): glibc's _hurd_intr_rpc_mach_msg (hurd/intr-msg.c), which the code above
 * the kernel installs. Without it they go as __mach_msg would send them. */
typedef mach_msg_return_t (*kern_intr_msg_fn)(mach_msg_header_t *msg, mach_msg_option_t option,
                                              mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                              mach_port_t rcv_name, mach_msg_timeout_t timeout,
                                              mach_port_t notify);
void kern_set_intr_msg_fn(kern_intr_msg_fn fn);
kern_intr_msg_fn kern_intr_msg(void);
/* Whether the running thread is inside an RPC's own send and receive (an interruptible RPC's
 * glibc code): a __mach_msg made there is that RPC's, with no trace line of its own. */
bool kern_in_rpc_trap(void);

/* Starts an RPC: the scheduling point, the reply port (created on a thread's first RPC), and
 * the fault plan, and with sites on the call site. Returns the calling thread's kernel half.
 * Traps get no reply port. */
kthread_t *kern_rpc_begin(kern_rpc *r, const char *routine, bool trap);
/* The same, for a call that operates on port names (up to KERN_RPC_MAX_NAMES; MACH_PORT_NULL
 * for none): the fault plan sees them. */
kthread_t *kern_rpc_begin_on(kern_rpc *r, const char *routine, bool trap, mach_port_name_t a,
                             mach_port_name_t b);

/* Ends it: the MIG stub's handling of a failed send (the reply port is deallocated, M12 step
 * 1), then one trace line "routine(args) = CODE outs" (args and outs already formatted; either
 * may be ""). Returns kr. */
kern_return_t kern_rpc_end(kern_rpc *r, kern_return_t kr, const char *args, const char *outs);
/* Ends a trap that returns a name (mach_task_self, mach_thread_self, mach_reply_port): the
 * trace line is "trap routine() = NAME". */
void kern_rpc_end_name(kern_rpc *r, mach_port_name_t name);

/* A trap shortcut's trap said MACH_SEND_INTERRUPTED and glibc's wrapper now makes the RPC
 * (K8): the call becomes an RPC, with the thread's reply port (M10, made here if the thread has
 * none) and M12's handling of a failed send. kern_rpc_end traces the trap's line first. */
void kern_rpc_fallback(kern_rpc *r);

/* Releases a right that arrived in a reply the fault plan lost (the reply message destroyed):
 * the caller's name for it loses what the copy-out added. kind is a MACH_PORT_RIGHT_*. */
void kern_rpc_drop_reply_right(kern_rpc *r, mach_port_name_t name, mach_port_right_t kind);

/* For MIG stubs that send real messages (sim/kern/mig.c): the running thread's reply port as
 * kern_rpc_begin left it (MACH_PORT_NULL on the host), and glibc's __mig_dealloc_reply_port
 * for it (M10: the cell is cleared, then the receive right destroyed). */
mach_port_t kern_reply_port(void);
void kern_reply_port_dealloc(kthread_t *self);

/* Memory in the running thread's task, as vm_allocate gives it (page-aligned): the image heap,
 * or for a host task (kern_boot_host_task) host memory kept here, whatever a host task leaves
 * freed at kern_close and counted as left behind. alloc returns NULL when full; block_size is
 * sim_heap_block_size's rule (the size asked for at a block's start, else 0). */
void *kern_mem_alloc(size_t size);
size_t kern_mem_block_size(const void *p);
void kern_mem_free(void *p);

/* Blocks the running thread in mach_msg until the model ends its wait (wake hook). */
void kern_wait_msg(kthread_t *self, const char *what);

/* Out-of-line memory (docs/mach-rules.md O1-O6): a task's address space is its image, so the
 * page size is i386's and no region can be larger than the image arena. */
#define KERN_PAGE_SIZE 4096u
#define KERN_OOL_MAX ((size_t)64 << 20)

/* vm_deallocate in the running task's own image, as its __vm_deallocate does (whole heap
 * blocks only; anything else ends the run as unmodelled). */
void kern_vm_deallocate_own(uintptr_t address, size_t size);

/* The simulated clock's rate: GNU Mach's HZ on i386 (i386/i386/mach_param.h). */
#define KERN_HZ 100

/* Finishes a mach_msg call the model left blocked (mr == MK_MSG_BLOCKED; any other mr is
 * returned as is): parks the thread until the model ends its wait, then continues the call, as
 * often as it blocks again. A wait of a phase with a timeout (MACH_SEND_TIMEOUT while sending,
 * MACH_RCV_TIMEOUT while receiving) ends at kern_msg_deadline(timeout) at the latest: the trace
 * gets a note "clock T ms: tA.B's WHAT timed out (OPTION N ms)" and the call gives up with
 * MACH_SEND_TIMED_OUT (the message pseudo-received, M4) or MACH_RCV_TIMED_OUT (M7). Rules
 * V1-V3 of docs/mach-rules.md. Returns the call's code. */
mach_msg_return_t kern_msg_wait(kthread_t *self, mach_msg_return_t mr, mach_msg_option_t option,
                                mach_msg_timeout_t timeout, const char *what);
/* The same, WHAT being "mach_msg on PORT", formatted without snprintf (every blocking
 * mach_msg passes here). */
mach_msg_return_t kern_msg_wait_port(kthread_t *self, mach_msg_return_t mr,
                                     mach_msg_option_t option, mach_msg_timeout_t timeout,
                                     mach_port_t port);

/* The clock time (sim_now, ms) at which a wait with this timeout, starting now, times out. */
uint64_t kern_msg_deadline(mach_msg_timeout_t timeout);

/* A call the simulation does not model: ends the run (exit status 3 in the forksim command). */
_Noreturn void kern_unmodelled(const char *what);

/* Appends one free-form line to the trace ("# ..." notes, fault firings), with a step number. */
void kern_trace_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether trace lines are being written: what only a trace shows need not be worked out. */
bool kern_tracing(void);
/* Formats a stub's trace arguments or outputs into buf, as snprintf, when there is a trace;
 * without one leaves buf "" and returns 0, its values not even computed (a macro: the call of a
 * varargs function, its registers saved for va_start, was about 1% of a world's time when it
 * only emptied buf). */
#define kern_fmt(buf, len, ...)                                                                   \
    (kern_tracing() ? kern_fmt_traced((buf), (len), __VA_ARGS__) : kern_fmt_none((buf), (len)))
int kern_fmt_traced(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline int kern_fmt_none(char *buf, size_t len)
{
    if (len > 0)
        buf[0] = '\0';
    return 0;
}

/* Message ids by name, for a server's trace lines ("id 24025 proc_mark_exit"): the layer
 * that knows an interface registers its names (sim/hurd for the Hurd's); Mach's own
 * notifications (mach/notify.h) are known here. kern_open forgets the function. */
typedef const char *(*kern_msg_id_fn)(mach_msg_id_t id);
void kern_set_msg_id_fn(kern_msg_id_fn fn);
/* The routine id carries ("proc_mark_exit", "proc_mark_exit reply"), or NULL. */
const char *kern_msg_id_name(mach_msg_id_t id);

/* A server's requests and their answers, for the trace: the running thread received a request
 * (id) whose reply right it holds as reply, on the trace line just written; and later sends id
 * to dest: which request's step that answers (0 for none). Each request is answered once. */
void kern_request_received(kthread_t *self, mach_port_name_t reply, mach_msg_id_t id);
uint64_t kern_request_answered(kthread_t *self, mach_port_name_t dest, mach_msg_id_t id);

/* Names for trace arguments. */
const char *kern_right_name(mach_port_right_t right);
const char *kern_msgt_name(mach_msg_type_name_t type);

#endif
