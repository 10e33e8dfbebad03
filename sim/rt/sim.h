/* sim.h: the forksim runtime, public API.
 *
 * The runtime runs simulated Hurd processes inside one Linux process on one host thread.
 * A simulated task owns a memory *image* (its globals, a heap, thread stacks); a simulated
 * thread is a coroutine running on a stack inside its task's image. Exactly one image is
 * in place at a time, at a fixed address; running a thread of another task swaps images.
 * A scheduler on the host stack picks which thread runs at every scheduling point, and
 * records each pick so that a run can be replayed. It stands in for the thread and task
 * machinery of GNU Mach (kern/thread.c, kern/task.c, kern/sched_prim.c) as far as glibc's
 * sysdeps/mach/hurd/_Fork.c needs it; the IPC side lives in model/.
 *
 * See sim/rt/sched.c for the overview of how scheduling, images and replay work.
 * Not thread-safe; one runtime per process (the arena is at a fixed address).
 */
#ifndef FORKSIM_SIM_H
#define FORKSIM_SIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Declares a global of simulated-process code: it lives in the image, so each task has
 * its own copy. Example: `SIM_GLOBAL int _hurd_pid;`. Do not mark such globals const. */
#define SIM_IMAGE_SECTION "forksim_image"
#define SIM_GLOBAL __attribute__((section(SIM_IMAGE_SECTION)))

/* Declares a host static that is part of a simulated world's state (the runtime's, the kernel
 * glue's, the servers', the runner's): snapshots copy the section whole (snapshot.c). Memory
 * such state points to comes from the world heap (sim_walloc). */
#define SIM_WORLD_STATE __attribute__((section("forksim_worldstate")))

typedef struct sim_task sim_task;
typedef struct sim_thread sim_thread;

/* --- Scheduling policy ---------------------------------------------------------------- */

/* A choice point: the scheduler asks the policy which runnable thread runs next. */
typedef struct sim_choice {
    uint64_t step;          /* number of picks made before this one */
    int prev;               /* id of the thread that ran last (0 if none or it exited) */
    const int *cands;       /* ids of the runnable threads, ascending */
    size_t ncands;          /* >= 1 */
    const char *why;        /* what made this a scheduling point ("yield", "lock", ...) */
} sim_choice;

/* A policy: pick returns an index into c->cands. The built-in ones below are made from
 * this; an explorer supplies its own (self is its state). */
typedef struct sim_policy {
    const char *name;
    size_t (*pick)(void *self, const sim_choice *c);
    void *self;
    /* Optional, for an explorer that places events at scheduling points (issue 10, item 2):
     * called at each choice point before pick, with the same choice. Returning true means it
     * fired an event there (through sim_decide_event): the runnable threads are collected
     * again and it is asked again, at the same step. */
    bool (*event)(void *self, const sim_choice *c);
} sim_policy;

enum sim_policy_kind {
    SIM_RUN_UNTIL_BLOCK = 0, /* keep running the last thread while it can run, else lowest id */
    SIM_ROUND_ROBIN,         /* next runnable id after the last one */
    SIM_RANDOM,              /* uniform among the runnable, from the seed */
    SIM_CUSTOM,              /* sim_config.custom */
};

/* An event decided at a scheduling point: before the pick numbered step, what (a text the
 * layer above gives meaning to, through sim_config.event_fire: "destroy NAME"). */
typedef struct sim_decided_event {
    uint64_t step;
    char what[64];
} sim_decided_event;

/* A run's decisions: the seed, the thread picked at each step, and the events decided. */
typedef struct sim_decisions {
    uint64_t seed;
    char policy[32];        /* informational: the policy that made them */
    int *picks;             /* thread id per step */
    size_t npicks, cap;
    sim_decided_event *events;  /* in the order they fired (steps ascending) */
    size_t nevents, ecap;
} sim_decisions;

typedef struct sim_config {
    enum sim_policy_kind policy;
    uint64_t seed;
    uint64_t max_steps;               /* step bound; 0 means 1,000,000 */
    const sim_policy *custom;         /* for SIM_CUSTOM */
    const sim_decisions *replay;      /* when set, picks come from here, not the policy */
    FILE *events;                     /* event log (one line per event), or NULL */
    size_t arena_size;                /* 0: 64 MiB */
    size_t stack_size;                /* per stack slot, guard page included; 0: 64 KiB */
    /* Acts out a decided event (a policy's, or a replayed list's), on the host between two
     * steps; returns false when what means nothing to it. NULL: events cannot be decided. */
    bool (*event_fire)(const char *what, void *arg);
    void *event_arg;
} sim_config;

/* Opens the runtime: maps the arena, keeps a pristine copy of the image globals.
 * Returns 0, or -1 with errno set (EBUSY if already open, or mmap's error); on failure
 * nothing is left mapped or allocated. */
int sim_open(const sim_config *cfg);

/* Closes the runtime: destroys every task left, unmaps the arena, puts the pristine
 * globals back. Returns the number of tasks it had to destroy (a leak for a test). */
int sim_close(void);

/* Image copies made since the process started: saves and loads (a task's image put in place),
 * and copies for an inheriting task_create; *bytes (if not NULL) gets the bytes copied. For
 * benchmarks. */
uint64_t sim_image_copies(uint64_t *bytes);

/* Host allocations the runtime holds now (count; *bytes if bytes != NULL). 0 after close. */
size_t sim_host_allocations(size_t *bytes);

/* --- World memory and snapshots (snapshot.c) ------------------------------------------- */

/* The world heap: host memory of an open world (zeroed; emptied at every sim_open), at the
 * same addresses in every world, so that a snapshot is a byte copy. */
void *sim_walloc(size_t n);
/* The same, not zeroed: for a caller that writes what it reads of it first. */
void *sim_walloc_uninit(size_t n);
void *sim_wrealloc(void *p, size_t n);
void sim_wfree(void *p);
/* Bytes of the world heap in use now, block headers included (0 under ASan: host malloc). */
size_t sim_world_heap_live(void);

/* A whole world (runtime, kernel, servers, images, host stacks, SIM_WORLD_STATE statics) as
 * it was between two picks, restored in place for sim_open. In-process copies only. */
typedef struct sim_snapshot sim_snapshot;
bool sim_snapshots_supported(void);        /* false under ASan */
/* Calls fn(arg) once, between picks, when `step` picks have been made (in sim_run). */
void sim_at_step(uint64_t step, void (*fn)(void *), void *arg);
uint64_t sim_steps(void);                  /* picks made so far */
sim_snapshot *sim_snapshot_take(void);     /* from a sim_at_step function */
sim_snapshot *sim_snapshot_take_idle(void); /* between runs: sim_run after its restore starts afresh */
void sim_snapshot_restore(const sim_snapshot *s); /* closed runtime -> open, as taken */
uint64_t sim_snapshot_steps(const sim_snapshot *s);
size_t sim_snapshot_bytes(const sim_snapshot *s);  /* what a restore copies (the rest it zeroes) */
void sim_snapshot_free(sim_snapshot *s);
/* Saves the image in place into its task's buffer (in the world heap) and leaves the arena to
 * nobody, as sim_snapshot_take does first. Between runs (no thread running). A snapshot taken
 * of a world changes that world this way (the save may grow the task's buffer); a caller that
 * keeps a snapshot of some worlds only calls this in the others too, so that every world is
 * the same whether a snapshot was taken of it or not (forksim_open's kept boot). */
void sim_image_save_in_place(void);

/* --- Running -------------------------------------------------------------------------- */

enum sim_result {
    SIM_OK = 0,       /* every non-daemon thread finished */
    SIM_DEADLOCK,     /* threads left, none runnable */
    SIM_STEP_BOUND,   /* max_steps picks made: a livelock, or a run too long */
    SIM_DIVERGED,     /* replay: a recorded pick was not runnable, or the list ran out */
    SIM_STOPPED,      /* a thread called sim_stop: the run cannot go on (an unmodelled call) */
};

/* From a simulated thread: ends the run here. The thread never runs again; sim_run returns
 * SIM_STOPPED with "stopped: why" in the report, and the host frees everything as after any
 * other ending (sim_close), instead of exiting with the process's memory held. */
_Noreturn void sim_stop(const char *why);

/* Runs the scheduler until one of the results above. Call from the host only.
 * The report (sim_report) says what happened for every result but SIM_OK. */
enum sim_result sim_run(void);
const char *sim_report(void);

/* The decisions made so far in this runtime (valid until sim_close). */
const sim_decisions *sim_decisions_made(void);

/* From a policy's event hook (on the host, at a choice point): acts out the event through
 * sim_config.event_fire and records it among the decisions, before this step's pick.
 * Returns event_fire's answer (false: not known, nothing recorded). */
bool sim_decide_event(const char *what);
/* Called by an event's fire function: th is the thread the event gives work to (a process
 * that acts the event out); sim_event_woken returns its id after sim_decide_event (0: none). */
void sim_event_wakes(const sim_thread *th);
int sim_event_woken(void);

/* --- What a step touched (for an explorer's independence of steps, issue 10 item 1) ----- */

/* Objects, as 64-bit keys: the kind in the top 8 bits, an id below. A step always touches its
 * own task (so two steps of one task are always dependent: they share memory). */
#define SIM_OBJ_TASK   (1ULL << 56)     /* | sim task id: its memory, its space, its threads */
#define SIM_OBJ_PORT   (2ULL << 56)     /* | the model's port serial */
#define SIM_OBJ_GLOBAL (3ULL << 56)     /* something every step may see (a global counter) */
#define SIM_OBJ_KIND(o) ((o) & (0xffULL << 56))
/* Notes that the running step touches obj (from a thread, or from the host during an event). */
void sim_touch(uint64_t obj);
/* The objects the last step touched (its task first), until the next step starts; the
 * list is SIM_OBJ_GLOBAL alone when it overflowed. Recorded under a SIM_CUSTOM policy only
 * (no built-in policy reads them): under the others, the step's task alone. */
size_t sim_step_touched(const uint64_t **objs);

/* Writes d to path in the text format (see sim/rt/decisions.c), through path.tmp renamed
 * at the end. Returns 0; -1 (errno) when path.tmp cannot be created (a bad path); -2 (errno)
 * when a write or the rename failed (a full disk): path.tmp is removed, path untouched. A
 * path that exists and is not a regular file (a device, a pipe) is written in place. */
int sim_decisions_write(const sim_decisions *d, const char *path);
/* Reads a file written by sim_decisions_write. Returns a new list (sim_decisions_free),
 * or NULL with "file:line: what is wrong" in err. */
sim_decisions *sim_decisions_read(const char *path, char *err, size_t errlen);
void sim_decisions_free(sim_decisions *d);

/* --- Tasks ---------------------------------------------------------------------------- */

/* Creates a task. inherit != 0: its image is a copy of parent's as of this call
 * (parent may be the running task); otherwise a fresh image (pristine globals, empty
 * heap, no stacks). Returns NULL only when out of host memory. */
sim_task *sim_task_create(sim_task *parent, int inherit);

/* Creates a task without an image, for code that is host code through and through (the
 * simulated Hurd's servers): its threads run on stacks in host memory, each with its TLS
 * pointer at a zeroed host block of SIM_HOST_TLS_SIZE bytes, and must never touch a SIM_GLOBAL
 * or the image heap (the heap calls are fatal there; a SIM_GLOBAL would be the in-place
 * image's). Running its threads leaves whatever image is in place where it is: an RPC to such
 * a task costs no image save or load. Its threads cannot start by longjmp, and no task can
 * inherit from it. Returns NULL only when out of host memory. */
#define SIM_HOST_TLS_SIZE 64
sim_task *sim_task_create_host(void);
bool sim_task_is_host(const sim_task *t);

/* Gives a task with no threads a fresh image, as sim_task_create(NULL, 0) does (exec's
 * vm_deallocate of the whole address space, then a new program). Returns false, changing
 * nothing, for a task that still has threads, a host task or a dying one. */
bool sim_task_reset_image(sim_task *t);

/* Destroys a task, its threads and its image. When the running thread belongs to it,
 * that thread stops here (does not return). */
void sim_task_destroy(sim_task *t);

int sim_task_id(const sim_task *t);
sim_task *sim_task_by_id(int id);                 /* NULL if no such task */
void *sim_task_ktask(const sim_task *t);          /* the model's object, opaque here */
void sim_task_set_ktask(sim_task *t, void *ktask);
/* Called as a task or thread is freed (it ended, or its task did), with the object given to
 * sim_task_set_ktask or sim_thread_set_kthread: the layer above forgets its pointer back to
 * it, for its kernel object (a thread port, say) may outlive it. Set after sim_open. */
void sim_set_free_hooks(void (*task_freed)(void *ktask), void (*thread_freed)(void *kthread));

/* Copies len bytes at addr (an image address: a SIM_GLOBAL or arena memory) as task t
 * sees them. (The host reading a SIM_GLOBAL directly sees whichever image is in place.) Returns 0, or -1 if the range is not in t's used image. Host or thread. */
int sim_task_peek(sim_task *t, const void *addr, void *out, size_t len);

/* --- Threads -------------------------------------------------------------------------- */

/* Creates a thread in t with no start state, suspended once (as Mach's thread_create).
 * Returns NULL only when out of host memory. */
sim_thread *sim_thread_create(sim_task *t);

/* Start state "call fn(arg) with this stack pointer". sp == NULL: a stack slot of the
 * task's image, owned by the thread and freed when it exits. fn returning ends the thread.
 * The thread must not be running; any earlier context is dropped. */
void sim_thread_set_start(sim_thread *th, void (*fn)(void *), void *arg, void *sp);

/* Start state "longjmp(env, value) in my task's image": env is an image address (a
 * jmp_buf filled by setjmp in an image the task's was copied from), on a stack slot. */
void sim_thread_set_longjmp(sim_thread *th, jmp_buf env, int value);

/* Suspend counts as in Mach. Resume returns -1 if the count was already 0, else 0.
 * Suspending the running thread is a scheduling point. */
int sim_thread_suspend(sim_thread *th);
int sim_thread_resume(sim_thread *th);

/* create + set_start(fn, arg, NULL) + resume. */
sim_thread *sim_thread_spawn(sim_task *t, void (*fn)(void *), void *arg);

/* Destroys a thread; if it is the running one, does not return. */
void sim_thread_destroy(sim_thread *th);
_Noreturn void sim_thread_exit(void);

/* A daemon thread left blocked at the end does not make the run a deadlock. */
void sim_thread_set_daemon(sim_thread *th, bool daemon);

sim_thread *sim_self(void);                   /* NULL on the host */
sim_thread *sim_thread_by_id(int id);         /* NULL if no such thread (it ended) */
sim_task *sim_task_self(void);                /* NULL on the host */
int sim_thread_id(const sim_thread *th);
sim_task *sim_thread_task(const sim_thread *th);
void *sim_thread_tls(const sim_thread *th);   /* the simulated TLS pointer */
/* The model's thread this one runs for (opaque here, like sim_task_ktask). */
void *sim_thread_kthread(const sim_thread *th);
void sim_thread_set_kthread(sim_thread *th, void *kthread);
int sim_thread_suspend_count(const sim_thread *th);
void sim_thread_set_tls(sim_thread *th, void *tls);

/* --- Injected calls (a signal frame) ------------------------------------------------------ */

/* Makes th, which has run and is parked, call fn(arg) on its own stack when it next leaves
 * its parking point, before the code it was parked in goes on (what thread_set_state with a
 * handler's PC does to a stopped thread). A thread parked in the kernel (between
 * sim_kernel_enter and sim_kernel_leave) makes the call only when the kernel code returns to
 * it through sim_run_injected. One call at a time: a second replaces the first. */
void sim_thread_inject(sim_thread *th, void (*fn)(void *), void *arg);
/* Whether th has ever run (a thread that never ran starts by sim_thread_set_start). */
bool sim_thread_started(const sim_thread *th);
void sim_kernel_enter(void);
void sim_kernel_leave(void);
/* From the running thread at its way back to user code: makes a pending injected call. */
void sim_run_injected(void);
/* A counter the layer above moves whenever another thread changes th's registers (the
 * kernel's thread_set_state, thread_abort), so th can tell on waking. */
uint64_t sim_thread_gen(const sim_thread *th);
/* A flag the kernel glue keeps per thread: inside an RPC's own send and receive. */
bool sim_thread_in_rpc_trap(const sim_thread *th);
void sim_thread_set_in_rpc_trap(sim_thread *th, bool in);
void sim_thread_gen_bump(sim_thread *th);

/* --- Scheduling points and blocking (for stubs and the model) ------------------------- */

/* A scheduling point: the scheduler may run another thread before this returns.
 * why is logged ("yield", "rpc mach_port_allocate", ...); it must stay valid. */
void sim_yield(const char *why);

/* Blocks the running thread until sim_unblock(it); a scheduling point. what says what
 * it waits for, for the deadlock report ("rpc reply on port 12"); copied. */
void sim_block(const char *what);
/* Makes a blocked thread runnable again. Returns -1 if it was not blocked in sim_block. */
int sim_unblock(sim_thread *th);

/* --- The virtual clock (sched.c: "Time") ------------------------------------------------- */

#define SIM_FOREVER UINT64_MAX

/* The simulated time in milliseconds since sim_open: 0 until a timed wait expires. */
uint64_t sim_now(void);

/* sim_block with a deadline: the wait ends at the latest when the clock reaches deadline (a
 * time in sim_now's milliseconds; SIM_FOREVER is sim_block). The clock only moves when no
 * thread can run. Returns true when the deadline ended the wait (sim_now() is then the
 * deadline, or later when the thread was suspended meanwhile), false when sim_unblock did. */
bool sim_block_until(const char *what, uint64_t deadline);

/* --- Locks in the image ---------------------------------------------------------------- */

/* A lock word: 0 free, else the id of the thread that took it. Lives in the image, so a
 * copied image copies the lock's state. Waiting for it is a scheduling point. */
typedef volatile unsigned int sim_lock_t;
void sim_lock(sim_lock_t *l);
/* A lock's name for people (the layer above knows its program's locks): fn(addr, buf, len)
 * runs on the thread about to wait for the lock at addr, in its task; "" for unknown. */
typedef void (*sim_lock_namer_fn)(uintptr_t addr, char *buf, size_t len);
void sim_set_lock_namer(sim_lock_namer_fn fn);
/* After a run: the threads left waiting for a lock, at most max of them into out; returns how
 * many there are. holder is the id the lock word holds, holder_task its task (0: no such
 * thread any more). */
typedef struct sim_lock_wait {
    int thread, task, holder, holder_task;
    char name[96];
} sim_lock_wait;
size_t sim_lock_waits(sim_lock_wait *out, size_t max);
bool sim_trylock(sim_lock_t *l);
void sim_unlock(sim_lock_t *l);

/* --- The image heap (the simulated process's malloc) ----------------------------------- */

/* These work on the image in place, so call them from a thread of the task. */
void *sim_heap_alloc(size_t size);                 /* 16-byte aligned; NULL when full */
void *sim_heap_alloc_aligned(size_t size, size_t align);
void *sim_heap_calloc(size_t n, size_t size);
void *sim_heap_realloc(void *p, size_t size);
void sim_heap_free(void *p);
/* The size asked for when the live block whose payload starts at p was allocated; 0 when p
 * is not such a start (inside a block, freed, outside the heap) or the block has 0 bytes.
 * Reads only: a walk over the blocks up to p. */
size_t sim_heap_block_size(const void *p);
/* Live allocations in the image in place (count; *bytes if not NULL). */
size_t sim_heap_allocations(size_t *bytes);

#endif
