/* sched.c: simulated threads and tasks, the scheduler, locks, replay.
 *
 * How forksim runs many simulated processes in one host thread
 * =============================================================
 *
 * Threads. A simulated thread is a coroutine: a stack pointer saved in its control block
 * (host memory) and, on its stack, the registers pushed by sim_ctx_swap (switch.c). The
 * stack is inside its task's image. Only one host thread exists; the scheduler runs on
 * the host stack and every simulated thread runs until it reaches a *scheduling point*,
 * where it swaps back to the scheduler. There is no preemption: what runs between two
 * points is atomic, exactly as the places a race explorer may interleave are exactly
 * the points. Points are: sim_yield (each RPC stub calls it, labelled with the RPC),
 * waiting for a lock held by another thread, sim_block (the model's "wait for a reply"),
 * suspending oneself, and a thread's end.
 *
 * A thread begins in one of two ways, as Mach's thread_set_state allows: "call fn(arg)
 * with this SP" (sim_thread_set_start; no SP means a stack slot of its own), or "longjmp
 * (env, value) in my task's image" (sim_thread_set_longjmp), which is how a forked
 * child's main thread returns from the parent's setjmp. The longjmp is made from a
 * landing pad laid just below the live part of the stack that holds env, so it jumps
 * within one stack (which ASan and fortified longjmp both accept).
 *
 * Images. Each task has its own globals (SIM_GLOBAL), heap and stacks; only one task's
 * image is in place at a time (image.c), at the same addresses for every task. Before a
 * thread runs, its task's image is put in place: the one there is saved to host memory
 * and the new one copied in, used ranges only. Nothing a task writes is seen by another.
 * Simulated errno and TLS are fields of the control block, swapped with the thread.
 *
 * Locks. A lock is a word in the image (sim_lock_t): 0 free, else its holder's id. A
 * child image copies it in whatever state it was, and the child unlocks it itself. Who
 * waits is recorded here, outside images, keyed by task and address (each blocked
 * thread's wait fields); unlocking wakes every waiter, and they take turns through the
 * scheduler. A contended lock never spins on the host.
 *
 * Scheduling. At each point sim_run collects the runnable threads (ready, not suspended,
 * not blocked) in ascending id and asks one function which runs next: the policy's pick.
 * Policies are interchangeable behind sim_policy: run-until-block (the last thread keeps
 * running while it can: the most natural order, and the reference run), round robin, and
 * seeded random. The explorer (sim/cli/schedules.c) is one more policy: bounded exhaustive
 * search over the choice points, PCT priorities. Its event hook may act out an event at a
 * point (a port dies now: sim_decide_event), recorded among the decisions and replayed at
 * the same step. For its independence of steps, each step notes what it touched
 * (sim_touch: its task always, and what the kernel glue says, ports and other tasks).
 *
 * Recording and replay. Every pick is a decision, recorded in order, even when there was
 * one candidate: a run is fully described by its seed and its decision list, and
 * sim_decisions_write saves both as text (decisions.c). Replay (sim_config.replay) feeds
 * the list back instead of asking the policy; the code in between is deterministic, so
 * the same points come up with the same candidates. If a recorded pick is not runnable,
 * or the list runs out while threads remain, the run stops as SIM_DIVERGED and says at
 * which step: the program changed, not the schedule.
 *
 * Time. The runtime keeps a virtual clock (sim_now, in milliseconds from 0) and nothing
 * else of time: a thread runs in zero simulated time, as in a discrete-event simulator.
 * A thread waits with a deadline through sim_block_until (the kernel glue's timed mach_msg
 * waits). The clock moves only when no thread can run and some blocked thread has a deadline:
 * it jumps to the earliest deadline, and every thread whose deadline that is becomes ready with
 * its wait timed out (a suspended one too, as Mach's timer fires regardless of suspension; it
 * runs once resumed). So a timeout never beats anything a runnable thread could still do, a
 * run without timed waits never moves the clock, and the clock is a function of the picks:
 * advancing it is not a decision, is not recorded, and replays by itself. The next pick's
 * reason is "timeout". The event log says "clock T ms: timeout tN".
 *
 * Endings. sim_run returns SIM_OK once every non-daemon thread has ended. When threads
 * remain and none can run, it is a deadlock: the report names each thread and what it
 * waits for (a lock, with its holder; a reply; a resume). A step bound (max_steps picks)
 * turns a livelock into a report naming the runnable threads and the last picks, instead
 * of a hang. The event log (sim_config.events) has one line per event, prefixed with the
 * step; it prints no host addresses, only image offsets, so it is the same on every run.
 *
 * Stands in for GNU Mach's kern/sched_prim.c, kern/thread.c and kern/task.c (thread and
 * task life, suspend counts), and for the lock words of glibc's lock-intern.h.
 */
#include "sim_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

SIM_WORLD_STATE struct sim_rt sim_rt;   /* snapshots copy it with the world (snapshot.c) */

/* --- Sanitizer fiber notes ------------------------------------------------------------------ */

/* On a thread's stack, as it starts or comes back to its parking point: below its SP the stack
 * is dead, but ASan's shadow there may still hold the redzones of frames that were never
 * returned through (a thread started again at an SP of a stack it had run deeper on, a signal
 * frame's handler, a child's copy of its parent's stack memory with its shadow): the frames the
 * thread makes now would be reported against them. Unpoisoned as a longjmp does it
 * (__asan_handle_no_return, which itself would trip on them: its sigaltstack call takes a stack
 * buffer). For a stack in the heap the bottom is the scheduler's guess (start_context): heap
 * redzones in the guessed part are unpoisoned too, which can hide an overflow there, never
 * report a false one. */
static inline __attribute__((always_inline)) void san_unpoison_below_sp(const sim_thread *th)
{
#if SIM_ASAN && defined(__x86_64__)
    uintptr_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    if (th != NULL && sp > th->stk_lo && sp <= th->stk_hi)
        __asan_unpoison_memory_region((void *)th->stk_lo, sp - th->stk_lo);
#else
    (void)th;
#endif
}

static inline void san_start(void **fake, const void *bottom, size_t size)
{
#if SIM_ASAN
    __sanitizer_start_switch_fiber(fake, bottom, size);
#else
    (void)fake, (void)bottom, (void)size;
#endif
}

static inline void san_finish(void *fake, const void **bottom_old, size_t *size_old)
{
#if SIM_ASAN
    __sanitizer_finish_switch_fiber(fake, bottom_old, size_old);
#else
    (void)fake, (void)bottom_old, (void)size_old;
#endif
}

/* --- Event log and report ------------------------------------------------------------------- */

void sim_event(const char *fmt, ...)
{
    FILE *f = sim_rt.cfg.events;
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "%" PRIu64 " ", sim_rt.steps);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
    struct sim_rt *r = &sim_rt;
    va_list ap;
    for (;;) {
        size_t room = r->report_cap - r->report_len;
        va_start(ap, fmt);
        int n = vsnprintf(r->report ? r->report + r->report_len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < room) {
            r->report_len += (size_t)n;
            return;
        }
        r->report_cap = 2 * r->report_cap + (size_t)n + 256;
        r->report = sim_xrealloc(r->report, r->report_cap);
    }
}

const char *sim_report(void) { return sim_rt.report ? sim_rt.report : ""; }

// Names an image address without host addresses: the globals section, the heap or a
// stack slot, plus an offset. Same on every run of the same binary.
void sim_describe_addr(uintptr_t a, char *buf, size_t len)
{
    struct sim_rt *r = &sim_rt;
    uintptr_t g = (uintptr_t)sim_globals_lo();
    if (a >= g && a < g + sim_globals_size())
        snprintf(buf, len, "globals+0x%" PRIxPTR, a - g);
    else if (a >= r->arena_lo && a < r->heap_limit)
        snprintf(buf, len, "heap+0x%" PRIxPTR, a - r->arena_lo);
    else if (a >= r->heap_limit && a < r->arena_hi) {
        size_t slot = (r->arena_hi - a - 1) / r->stack_size;
        snprintf(buf, len, "stack%zu+0x%" PRIxPTR, slot, a - (r->arena_hi - (slot + 1) * r->stack_size));
    } else
        snprintf(buf, len, "outside the image");
}

/* --- What a step touched ------------------------------------------------------------------------ */

/* Host memory outside sim_rt: reset at each step, read by the policy at the next point. */
#define STEP_TOUCH_MAX 64
static struct {
    uint64_t v[STEP_TOUCH_MAX];
    size_t n;
} step_touch;

void sim_touch(uint64_t obj)
{
    /* Only a custom policy reads them (sim_step_touched: the schedule explorer's); the policy is
     * set at sim_open and comes back with a snapshot's runtime, never changed between. */
    if (sim_rt.cfg.policy != SIM_CUSTOM)
        return;
    if (step_touch.n == 1 && step_touch.v[0] == SIM_OBJ_GLOBAL)
        return;     /* overflowed: touches everything already */
    for (size_t i = 0; i < step_touch.n; i++)
        if (step_touch.v[i] == obj) return;
    if (step_touch.n == STEP_TOUCH_MAX) {
        step_touch.v[0] = SIM_OBJ_GLOBAL;
        step_touch.n = 1;
        return;
    }
    step_touch.v[step_touch.n++] = obj;
}

size_t sim_step_touched(const uint64_t **objs)
{
    *objs = step_touch.v;
    return step_touch.n;
}

/* --- Policies ----------------------------------------------------------------------------------- */

static size_t index_of(const sim_choice *c, int id)
{
    for (size_t i = 0; i < c->ncands; i++)
        if (c->cands[i] == id) return i;
    return c->ncands;
}

static size_t pick_run_until_block(void *self, const sim_choice *c)
{
    (void)self;
    size_t i = index_of(c, c->prev);
    return i < c->ncands ? i : 0;
}

static size_t pick_round_robin(void *self, const sim_choice *c)
{
    (void)self;
    for (size_t i = 0; i < c->ncands; i++)
        if (c->cands[i] > c->prev) return i;
    return 0;
}

// splitmix64: small, well mixed, and the same everywhere.
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t pick_random(void *self, const sim_choice *c)
{
    return (size_t)(rng_next(self) % c->ncands);
}

/* --- Open and close ----------------------------------------------------------------------------- */

/* The decision list's buffer, kept from one world for the next (outside the world state):
 * a world of 100,000 names makes about 400,000 picks, and growing a fresh list by realloc
 * every run faulted in its pages again each time (issue 11, item 6). */
static int *spare_picks;
static size_t spare_cap;

int sim_open(const sim_config *cfg)
{
    struct sim_rt *r = &sim_rt;
    if (r->open) {
        errno = EBUSY;
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    if (!r->cfg.max_steps) r->cfg.max_steps = 1000000;
    if (!r->cfg.arena_size) r->cfg.arena_size = 64u << 20;
    if (!r->cfg.stack_size) r->cfg.stack_size = 64u << 10;
    r->rng = cfg->seed;
    switch (cfg->policy) {
    case SIM_RUN_UNTIL_BLOCK: r->policy = (sim_policy){ "run-until-block", pick_run_until_block, NULL, NULL }; break;
    case SIM_ROUND_ROBIN: r->policy = (sim_policy){ "round-robin", pick_round_robin, NULL, NULL }; break;
    case SIM_RANDOM: r->policy = (sim_policy){ "random", pick_random, &r->rng, NULL }; break;
    case SIM_CUSTOM:
        sim_api_check(cfg->custom && cfg->custom->pick, "SIM_CUSTOM without a policy");
        r->policy = *cfg->custom;
        break;
    default: errno = EINVAL; return -1;
    }
    if (image_arena_open(r->cfg.arena_size, r->cfg.stack_size) != 0) return -1;
    r->open = true;
    r->next_task_id = r->next_thread_id = 1;
    r->made.picks = spare_picks;
    r->made.cap = spare_cap;
    spare_picks = NULL;
    spare_cap = 0;
    r->made.seed = cfg->replay ? cfg->replay->seed : cfg->seed;
    snprintf(r->made.policy, sizeof r->made.policy, "%s", cfg->replay ? "replay" : r->policy.name);
    if (r->cfg.events) fprintf(r->cfg.events, "forksim-events 1\n");
    sim_event("open policy %s seed %" PRIu64, r->made.policy, r->made.seed);
    return 0;
}

static void task_free(sim_task *t);

int sim_close(void)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(r->open && !r->cur, "sim_close from a thread, or not open");
    int left = 0;
    while (r->tasks) {
        task_free(r->tasks);
        left++;
    }
    image_arena_close();
    if (r->made.cap > spare_cap) {
        free(spare_picks);
        spare_picks = r->made.picks;
        spare_cap = r->made.cap;
    } else {
        free(r->made.picks);
    }
    free(r->made.events);
    sim_xfree(r->report);
    sim_xfree(r->thread_by_id);
    memset(r, 0, sizeof *r);
    return left;
}

const sim_decisions *sim_decisions_made(void) { return &sim_rt.made; }

/* The thread the event being fired gives work to (sim_event_wakes), for the policy: set and
 * read at one scheduling point, so not world state. */
static int event_woken;

void sim_event_wakes(const sim_thread *th) { event_woken = th != NULL ? th->id : 0; }
int sim_event_woken(void) { return event_woken; }

bool sim_decide_event(const char *what)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(r->open && !r->cur, "sim_decide_event from a simulated thread, or not open");
    event_woken = 0;
    if (!r->cfg.event_fire) return false;
    step_touch.n = 0;   /* the event's own footprint, for the policy to read */
    if (!r->cfg.event_fire(what, r->cfg.event_arg)) return false;
    decisions_push_event(&r->made, r->steps, what);
    sim_event("event %s", what);
    return true;
}

/* --- Threads ------------------------------------------------------------------------------------- */

/* By the id table: the scheduler looks its pick up twice a step, and walking the list of
 * threads for it was a tenth of a world's scheduling (issue 11). */
static sim_thread *thread_find(int id)
{
    struct sim_rt *r = &sim_rt;
    return id > 0 && (size_t)id < r->thread_by_id_cap ? r->thread_by_id[id] : NULL;
}

static void thread_unlink_free(sim_thread *th)
{
    if (th->kthread && sim_rt.thread_freed) sim_rt.thread_freed(th->kthread);
    sim_thread **pp = &sim_rt.threads;
    while (*pp != th) pp = &(*pp)->next;
    *pp = th->next;
    sim_rt.thread_by_id[th->id] = NULL;
    if (th->slot >= 0) image_stack_release(&th->task->img, th->slot);
    if (th->host_stack) image_host_stack_put(th->host_stack);
#if SIM_VALGRIND
    if (th->vg_stack) VALGRIND_STACK_DEREGISTER(th->vg_stack);
#endif
    sim_xfree(th);
}

sim_thread *sim_thread_create(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(t && !t->dying, "thread in a dead task");
    sim_thread *th = sim_xalloc(sizeof *th);
    th->id = r->next_thread_id++;
    if ((size_t)th->id >= r->thread_by_id_cap) {
        size_t cap = r->thread_by_id_cap ? 2 * r->thread_by_id_cap : 64;
        r->thread_by_id = sim_xrealloc(r->thread_by_id, cap * sizeof *r->thread_by_id);
        memset(r->thread_by_id + r->thread_by_id_cap, 0,
               (cap - r->thread_by_id_cap) * sizeof *r->thread_by_id);
        r->thread_by_id_cap = cap;
    }
    r->thread_by_id[th->id] = th;
    th->task = t;
    th->state = TH_IDLE;
    th->suspend = 1;
    th->slot = -1;
    th->deadline = SIM_FOREVER;
    if (t->host) {      /* a host task's thread: a host stack with its TLS block (image.c) */
        th->host_stack = image_host_stack_get();
        th->tls = image_host_stack_tls(th->host_stack);
    }
    sim_thread **pp = &r->threads;
    while (*pp) pp = &(*pp)->next;
    *pp = th;
    sim_event("thread-create t%d in task %d", th->id, t->id);
    return th;
}

// Drops whatever context th had: it will start afresh from its new start state.
static void thread_reset(sim_thread *th)
{
    sim_api_check(th != sim_rt.cur, "setting the state of the running thread");
    sim_api_check(th->state != TH_DONE, "setting the state of an ended thread");
    th->ctx_sp = 0;
    th->inject_fn = NULL;
    th->inject_arg = NULL;
    th->kernel_depth = 0;
    th->wait = WAIT_NONE;
    th->deadline = SIM_FOREVER;
    th->timed_out = false;
    th->state = TH_READY;
}

void sim_thread_set_start(sim_thread *th, void (*fn)(void *), void *arg, void *sp)
{
    thread_reset(th);
    if (!sp && th->host_stack) sp = (void *)image_host_stack_top(th->host_stack);
    th->start = START_CALL;
    th->fn = fn;
    th->arg = arg;
    th->start_sp = (uintptr_t)sp;
    if (sp && th->slot >= 0) {
        image_stack_release(&th->task->img, th->slot);
        th->slot = -1;
    }
    if (!sp && th->slot < 0) {
        th->slot = image_stack_alloc(&th->task->img, th->id);
        if (th->slot < 0) sim_fatal("task %d: no stack slot left for thread %d", th->task->id, th->id);
    }
    sim_event("thread-set-start t%d call", th->id);
}

void sim_thread_set_longjmp(sim_thread *th, jmp_buf env, int value)
{
    sim_api_check(image_contains((uintptr_t)env, sizeof(jmp_buf)), "longjmp target outside the image");
    sim_api_check(!th->task->host, "a longjmp start in a task without an image");
    thread_reset(th);
    if (th->slot >= 0) {
        image_stack_release(&th->task->img, th->slot);
        th->slot = -1;
    }
    th->start = START_LONGJMP;
    th->env = env;
    th->env_value = value;
    char where[64];
    sim_describe_addr((uintptr_t)env, where, sizeof where);
    sim_event("thread-set-start t%d longjmp %s value %d", th->id, where, value);
}

sim_thread *sim_thread_spawn(sim_task *t, void (*fn)(void *), void *arg)
{
    sim_thread *th = sim_thread_create(t);
    sim_thread_set_start(th, fn, arg, NULL);
    sim_thread_resume(th);
    return th;
}

static void switch_out(const char *why);

int sim_thread_suspend(sim_thread *th)
{
    th->suspend++;
    sim_event("suspend t%d count %d", th->id, th->suspend);
    if (th == sim_rt.cur) switch_out("suspend");
    return 0;
}

int sim_thread_resume(sim_thread *th)
{
    if (th->suspend == 0) return -1;
    th->suspend--;
    sim_event("resume t%d count %d", th->id, th->suspend);
    return 0;
}

void sim_thread_set_daemon(sim_thread *th, bool daemon) { th->daemon = daemon; }
sim_thread *sim_self(void) { return sim_rt.cur; }
sim_thread *sim_thread_by_id(int id) { return thread_find(id); }
sim_task *sim_task_self(void) { return sim_rt.cur ? sim_rt.cur->task : NULL; }
int sim_thread_id(const sim_thread *th) { return th->id; }
sim_task *sim_thread_task(const sim_thread *th) { return th->task; }
void *sim_thread_tls(const sim_thread *th) { return th->tls; }
void sim_thread_set_tls(sim_thread *th, void *tls) { th->tls = tls; }
void *sim_thread_kthread(const sim_thread *th) { return th->kthread; }
void sim_thread_set_kthread(sim_thread *th, void *kthread) { th->kthread = kthread; }
int sim_thread_suspend_count(const sim_thread *th) { return th->suspend; }

_Noreturn void sim_thread_exit(void)
{
    struct sim_rt *r = &sim_rt;
    sim_thread *th = r->cur;
    sim_api_check(th, "sim_thread_exit from the host");
    th->state = TH_DONE;
    sim_event("exit t%d", th->id);
    san_start(NULL, r->host_stk_lo, r->host_stk_size);     /* this stack is done with */
    sim_ctx_swap(&th->ctx_sp, r->sched_sp);
    sim_fatal("an ended thread was resumed");
}

void sim_thread_destroy(sim_thread *th)
{
    if (th == sim_rt.cur) sim_thread_exit();
    sim_event("thread-destroy t%d", th->id);
    thread_unlink_free(th);
}

// Where every new context begins (entered from sim_ctx_entry, on the thread's stack).
// Reads the thread from sim_rt.cur after fn returns, not from a local: a forked child's
// thread returns through frames copied from its parent's thread.
void sim_thread_main(void)
{
    struct sim_rt *r = &sim_rt;
    san_finish(NULL, &r->host_stk_lo, &r->host_stk_size);
    san_unpoison_below_sp(r->cur);
    sim_thread *th = r->cur;
    errno = th->err;
    if (th->start == START_LONGJMP) _longjmp(th->env, th->env_value);
    th->fn(th->arg);
    sim_thread_exit();
}

// Lays th's first context on its stack; its task's image is in place.
static void start_context(sim_thread *th)
{
    struct sim_rt *r = &sim_rt;
    struct sim_image *img = &th->task->img;
    uintptr_t top;
    int s;
    if (th->start == START_LONGJMP) {
        s = image_stack_find(img, (uintptr_t)th->env);
        sim_api_check(s >= 0, "longjmp target not on a stack slot of the task");
        top = (img->stacks[s].live_lo - 256) & ~(uintptr_t)15;     /* below every live frame */
        sim_api_check(top > img->stacks[s].lo + r->page + 4096, "no room for the landing pad");
    } else if (th->start_sp) {
        top = th->start_sp & ~(uintptr_t)15;
        s = image_stack_find(img, top);
    } else {
        s = th->slot;
        top = img->stacks[s].hi - 64;
    }
    if (s >= 0) {
        th->stk_lo = img->stacks[s].lo + r->page;
        th->stk_hi = img->stacks[s].hi;
    } else if (th->host_stack) {  /* a host task's own stack */
        th->stk_lo = (uintptr_t)th->host_stack + r->page;
        th->stk_hi = (uintptr_t)th->host_stack + r->stack_size;
#if SIM_VALGRIND
        if (!th->vg_stack) th->vg_stack = VALGRIND_STACK_REGISTER(th->stk_lo, th->stk_hi);
#endif
    } else {    /* a stack in the heap (vm_allocate'd by the process): bounds unknown */
        th->stk_hi = top;
        th->stk_lo = top - r->arena_lo > (1u << 20) ? top - (1u << 20) : r->arena_lo;
#if SIM_VALGRIND
        if (!th->vg_stack) th->vg_stack = VALGRIND_STACK_REGISTER(th->stk_lo, th->stk_hi);
#endif
    }
    th->ctx_sp = sim_ctx_init(top);
}

static void handoff_done(void);

// Runs th until a scheduling point comes back to the scheduler (scheduler side, host stack):
// th's own, or that of a thread handed the run on the way (switch_out). Returns the id of the
// thread that came back, or 0 if it ended.
static int run_thread(sim_thread *th)
{
    struct sim_rt *r = &sim_rt;
    image_put_in_place(th->task);
    if (!th->ctx_sp) start_context(th);
    int host_errno = errno;     /* the host's errno is not the thread's */
    r->cur = th;
    san_start(&r->sched_fake, (const void *)th->stk_lo, th->stk_hi - th->stk_lo);
    sim_ctx_swap(&r->sched_sp, th->ctx_sp);
    san_finish(r->sched_fake, NULL, NULL);
    th = r->cur;    /* the thread that came back */
    r->cur = NULL;
    errno = host_errno;
    sim_task *t = th->task;
    if (th->state != TH_DONE) {
        image_note_sp(&t->img, th->ctx_sp);
        return th->id;
    }
    thread_unlink_free(th);
    if (t->dying) task_free(t);
    return 0;
}

static bool runnable(const sim_thread *th);

// A scheduling point where the scheduler would pick this same thread again: run-until-block,
// nothing that watches the step from the host (no replay, event hook, event log or sim_at_step
// due), the thread still runnable, no stop asked, under the step bound. sim_run's pick is then
// index_of(prev) = this thread, so the step is taken here, as sim_run takes it (the decision,
// the step count, the step's touched objects, the reason and the last pick), without the two
// context swaps to the scheduler and back: the same picks, the same run (issue 11).
static bool step_in_place(struct sim_rt *r, sim_thread *th, const char *why)
{
    if (r->policy.pick != pick_run_until_block || r->policy.event != NULL || r->cfg.replay != NULL ||
        r->cfg.events != NULL || r->stop || !runnable(th) || r->steps >= r->cfg.max_steps ||
        (r->at_step_fn != NULL && r->steps == r->at_step))
        return false;
    decisions_push(&r->made, th->id);
    r->steps++;
    step_touch.n = 1;
    step_touch.v[0] = SIM_OBJ_TASK | (uint64_t)th->task->id;
    r->run_why = why;
    r->run_prev = th->id;
    return true;
}

/* The thread that handed the run to the one now running (switch_out), its stack pointer not
 * noted yet: set and cleared across one context swap, never seen between picks. */
static sim_thread *handoff_from;

// On the thread handed the run, just after the swap: the one that handed it parked with its
// stack pointer saved, noted as run_thread notes it when a thread comes back.
static void handoff_done(void)
{
    sim_thread *from = handoff_from;
    if (from == NULL)
        return;
    handoff_from = NULL;
    image_note_sp(&from->task->img, from->ctx_sp);
}

// A scheduling point where the running thread cannot go on (it blocks, waits for a lock,
// suspends itself) under run-until-block, with nothing that watches the step from the host (as
// step_in_place). sim_run's next pick would be index_of(prev) = none, so the first runnable
// thread in id order: when it has started and needs no image put in place (a host task's, or
// its task's image is the one in place), the step is taken here, as sim_run takes it (the
// decision, the step count, the step's touched objects, the reason "exit" for a thread that
// ends), and the run handed to it directly: one context swap instead of two through sim_run
// (issue 11). Returns the thread to hand the run to, or NULL for the way through sim_run.
static sim_thread *handoff_pick(struct sim_rt *r, sim_thread *th, const char *why)
{
    if (r->policy.pick != pick_run_until_block || r->policy.event != NULL || r->cfg.replay != NULL ||
        r->cfg.events != NULL || r->stop || runnable(th) || r->steps >= r->cfg.max_steps ||
        (r->at_step_fn != NULL && r->steps == r->at_step))
        return NULL;
    sim_thread *next = r->threads;
    while (next != NULL && !runnable(next))
        next = next->next;
    if (next == NULL || next->ctx_sp == 0 || (!next->task->host && r->in_place != next->task))
        return NULL;
    decisions_push(&r->made, next->id);
    r->steps++;
    step_touch.n = 1;
    step_touch.v[0] = SIM_OBJ_TASK | (uint64_t)next->task->id;
    r->run_why = why;
    r->run_prev = th->id;
    r->why = "exit";
    return next;
}

// The thread side of a scheduling point: back to the scheduler (or straight to the thread it
// would pick, handoff_pick), and on from here when picked again.
static void switch_out(const char *why)
{
    struct sim_rt *r = &sim_rt;
    sim_thread *th = r->cur;
    sim_api_check(th, "a scheduling point on the host");
    if (step_in_place(r, th, why)) {
        if (th->inject_fn != NULL && th->kernel_depth == 0)
            sim_run_injected();
        return;
    }
    th->err = errno;
    sim_thread *next = handoff_pick(r, th, why);
    if (next != NULL) {
        handoff_from = th;
        r->cur = next;
        san_start(&th->fake_stack, (const void *)next->stk_lo, next->stk_hi - next->stk_lo);
        sim_ctx_swap(&th->ctx_sp, next->ctx_sp);
    } else {
        r->why = why;
        san_start(&th->fake_stack, r->host_stk_lo, r->host_stk_size);
        sim_ctx_swap(&th->ctx_sp, r->sched_sp);
    }
    san_finish(r->cur->fake_stack, NULL, NULL);
    handoff_done();
    san_unpoison_below_sp(r->cur);
    errno = r->cur->err;
    if (r->cur->inject_fn != NULL && r->cur->kernel_depth == 0)
        sim_run_injected();
}

void sim_yield(const char *why) { switch_out(why ? why : "yield"); }

/* --- Injected calls ------------------------------------------------------------------------------ */

void sim_thread_inject(sim_thread *th, void (*fn)(void *), void *arg)
{
    th->inject_fn = fn;
    th->inject_arg = arg;
    sim_event("inject t%d", th->id);
}

bool sim_thread_started(const sim_thread *th) { return th->ctx_sp != 0; }
uint64_t sim_thread_gen(const sim_thread *th) { return th->gen; }
bool sim_thread_in_rpc_trap(const sim_thread *th) { return th->in_rpc_trap; }
void sim_thread_set_in_rpc_trap(sim_thread *th, bool in) { th->in_rpc_trap = in; }
void sim_thread_gen_bump(sim_thread *th) { th->gen++; }

void sim_kernel_enter(void)
{
    sim_api_check(sim_rt.cur, "sim_kernel_enter from the host");
    sim_rt.cur->kernel_depth++;
}

void sim_kernel_leave(void)
{
    sim_api_check(sim_rt.cur && sim_rt.cur->kernel_depth > 0, "sim_kernel_leave without enter");
    sim_rt.cur->kernel_depth--;
}

/* The call runs on the thread's stack below its parked frames, as a signal frame does; it
 * may park itself, and may be given another injected call while it runs. */
void sim_run_injected(void)
{
    sim_thread *th = sim_rt.cur;
    sim_api_check(th, "sim_run_injected from the host");
    while (th->inject_fn != NULL && th->kernel_depth == 0) {
        void (*fn)(void *) = th->inject_fn;
        void *arg = th->inject_arg;
        th->inject_fn = NULL;
        th->inject_arg = NULL;
        fn(arg);
    }
}

_Noreturn void sim_stop(const char *why)
{
    struct sim_rt *r = &sim_rt;
    sim_thread *th = r->cur;
    sim_api_check(th, "sim_stop from the host");
    th->state = TH_BLOCKED;     /* for good: the run ends at this switch */
    th->wait = WAIT_BLOCK;
    th->deadline = SIM_FOREVER;
    snprintf(th->wait_what, sizeof th->wait_what, "the run's end (stopped)");
    report("stopped: %s\n", why);
    sim_event("stop t%d", th->id);
    r->stop = true;
    switch_out("stop");
    sim_fatal("a stopped thread was resumed");
}

bool sim_block_until(const char *what, uint64_t deadline)
{
    sim_thread *th = sim_rt.cur;
    sim_api_check(th, "sim_block from the host");
    th->state = TH_BLOCKED;
    th->wait = WAIT_BLOCK;
    th->deadline = deadline;
    th->timed_out = false;
    const char *w = what ? what : "an event";   /* copied, not formatted: every wait passes here */
    size_t len = strnlen(w, sizeof th->wait_what - 1);
    memcpy(th->wait_what, w, len);
    th->wait_what[len] = 0;
    if (deadline == SIM_FOREVER)
        sim_event("block t%d on %s", th->id, th->wait_what);
    else
        sim_event("block t%d on %s until %" PRIu64 " ms", th->id, th->wait_what, deadline);
    switch_out("block");
    bool timed_out = th->timed_out;
    th->timed_out = false;
    return timed_out;
}

void sim_block(const char *what) { (void)sim_block_until(what, SIM_FOREVER); }

int sim_unblock(sim_thread *th)
{
    if (th->state != TH_BLOCKED || th->wait != WAIT_BLOCK) return -1;
    th->state = TH_READY;
    th->wait = WAIT_NONE;
    th->deadline = SIM_FOREVER;
    sim_event("unblock t%d", th->id);
    return 0;
}

uint64_t sim_now(void) { return sim_rt.now; }

// No thread can run: moves the clock to the earliest deadline of a blocked thread and ends
// every wait due then, in id order. Returns false when no blocked thread has a deadline.
static bool clock_advance(void)
{
    struct sim_rt *r = &sim_rt;
    uint64_t next = SIM_FOREVER;
    for (sim_thread *th = r->threads; th; th = th->next)
        if (th->state == TH_BLOCKED && th->wait == WAIT_BLOCK && th->deadline < next)
            next = th->deadline;
    if (next == SIM_FOREVER) return false;
    if (next > r->now) r->now = next;
    for (sim_thread *th = r->threads; th; th = th->next)
        if (th->state == TH_BLOCKED && th->wait == WAIT_BLOCK && th->deadline <= r->now) {
            th->state = TH_READY;
            th->wait = WAIT_NONE;
            th->timed_out = true;   /* deadline stays: when it timed out, for the report */
            sim_event("clock %" PRIu64 " ms: timeout t%d", r->now, th->id);
        }
    return true;
}

/* --- Locks --------------------------------------------------------------------------------------- */

/* Names a lock for a reader (set by the layer above; host memory, kept across runs): called on
 * the thread about to wait, in its task, so it may read the task's globals. */
static sim_lock_namer_fn lock_namer;

void sim_set_lock_namer(sim_lock_namer_fn fn) { lock_namer = fn; }

void sim_lock(sim_lock_t *l)
{
    sim_thread *th = sim_rt.cur;
    sim_api_check(th, "sim_lock from the host");
    sim_api_check(image_contains((uintptr_t)l, sizeof *l), "lock word outside the image");
    while (*l != 0) {
        char where[64];
        sim_describe_addr((uintptr_t)l, where, sizeof where);
        th->state = TH_BLOCKED;
        th->wait = WAIT_LOCK;
        th->wait_addr = (uintptr_t)l;
        th->wait_what[0] = '\0';
        if (lock_namer != NULL)
            lock_namer((uintptr_t)l, th->wait_what, sizeof th->wait_what);
        th->wait_task = th->task->id;
        sim_event("block t%d on lock %s in task %d held by t%u", th->id, where, th->task->id, *l);
        switch_out("lock");
    }
    *l = (unsigned)th->id;
}

bool sim_trylock(sim_lock_t *l)
{
    sim_api_check(sim_rt.cur, "sim_trylock from the host");
    if (*l != 0) return false;
    *l = (unsigned)sim_rt.cur->id;
    return true;
}

void sim_unlock(sim_lock_t *l)
{
    sim_thread *th = sim_rt.cur;
    sim_api_check(th, "sim_unlock from the host");
    sim_api_check(*l != 0, "unlocking a free lock");
    *l = 0;
    for (sim_thread *w = sim_rt.threads; w; w = w->next)
        if (w->state == TH_BLOCKED && w->wait == WAIT_LOCK && w->wait_task == th->task->id &&
            w->wait_addr == (uintptr_t)l) {
            w->state = TH_READY;
            w->wait = WAIT_NONE;
            sim_event("wake t%d", w->id);
        }
}

/* --- Tasks ---------------------------------------------------------------------------------------- */

sim_task *sim_task_create(sim_task *parent, int inherit)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(r->open, "runtime not open");
    sim_api_check(!inherit || (parent && !parent->dying), "inheriting from no task");
    sim_task *t = sim_xalloc(sizeof *t);
    t->id = r->next_task_id++;
    if (inherit) {
        uintptr_t sp = (r->cur && r->cur->task == parent) ? sim_current_sp() : 0;
        image_init_copy(&t->img, parent, sp);
    } else {
        image_init_fresh(&t->img);
    }
    sim_task **pp = &r->tasks;
    while (*pp) pp = &(*pp)->next;
    *pp = t;
    if (inherit) sim_event("task-create %d copy of %d", t->id, parent->id);
    else sim_event("task-create %d fresh", t->id);
    return t;
}

sim_task *sim_task_create_host(void)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(r->open, "runtime not open");
    sim_task *t = sim_xalloc(sizeof *t);    /* img all zero: no stacks, nothing saved */
    t->id = r->next_task_id++;
    t->host = true;
    sim_task **pp = &r->tasks;
    while (*pp) pp = &(*pp)->next;
    *pp = t;
    sim_event("task-create %d host", t->id);
    return t;
}

bool sim_task_is_host(const sim_task *t) { return t->host; }

static void drop_if_in_place(sim_task *t);

bool sim_task_reset_image(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(r->open, "runtime not open");
    if (t->host || t->dying)
        return false;
    for (sim_thread *th = r->threads; th; th = th->next)
        if (th->task == t) return false;
    drop_if_in_place(t);
    image_free(&t->img);
    image_init_fresh(&t->img);
    sim_event("task-reset %d fresh", t->id);
    return true;
}

/* Drops t's image from the arena when it is in place. The runtime does it on behalf of the
 * running thread, which may be a host task's (a server that terminates or execs a task): the
 * heap check against host tasks is for their own code, not for this. */
static void drop_if_in_place(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    if (r->in_place != t) return;
    sim_thread *cur = r->cur;
    r->cur = NULL;
    image_drop_in_place();
    r->cur = cur;
}

static void task_free(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    for (sim_thread *th = r->threads, *n; th; th = n) {
        n = th->next;
        if (th->task == t) thread_unlink_free(th);
    }
    if (t->ktask && r->task_freed) r->task_freed(t->ktask);
    drop_if_in_place(t);
    image_free(&t->img);
    sim_task **pp = &r->tasks;
    while (*pp != t) pp = &(*pp)->next;
    *pp = t->next;
    sim_xfree(t);
}

void sim_task_destroy(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    sim_event("task-destroy %d", t->id);
    if (r->cur && r->cur->task == t) {
        /* its running thread cannot free the stack it stands on: the scheduler will */
        t->dying = true;
        for (sim_thread *th = r->threads, *n; th; th = n) {
            n = th->next;
            if (th->task == t && th != r->cur) thread_unlink_free(th);
        }
        sim_thread_exit();
    }
    task_free(t);
}

int sim_task_id(const sim_task *t) { return t->id; }
void *sim_task_ktask(const sim_task *t) { return t->ktask; }
sim_task *sim_task_by_id(int id)
{
    for (sim_task *t = sim_rt.tasks; t != NULL; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}
void sim_task_set_ktask(sim_task *t, void *ktask) { t->ktask = ktask; }

void sim_set_free_hooks(void (*task_freed)(void *ktask), void (*thread_freed)(void *kthread))
{
    sim_rt.task_freed = task_freed;
    sim_rt.thread_freed = thread_freed;
}

int sim_task_peek(sim_task *t, const void *addr, void *out, size_t len)
{
    if (sim_rt.cur && sim_rt.cur->task == t) image_note_sp(&t->img, sim_current_sp());
    return image_peek(t, addr, out, len);
}

/* --- The run ----------------------------------------------------------------------------------------- */

static bool runnable(const sim_thread *th) { return th->state == TH_READY && th->suspend == 0; }

static void describe_thread(const sim_thread *th)
{
    report("  thread %d (task %d)%s: ", th->id, th->task->id, th->daemon ? " daemon" : "");
    if (th->state == TH_BLOCKED && th->wait == WAIT_LOCK) {
        char where[64];
        sim_describe_addr(th->wait_addr, where, sizeof where);
        unsigned holder = 0;
        image_peek(th->task, (const void *)th->wait_addr, &holder, sizeof holder);
        report("waits for lock %s%s%s%s in task %d", where, th->wait_what[0] ? " (" : "",
               th->wait_what, th->wait_what[0] ? ")" : "", th->wait_task);
        if (!holder) report(", now free");
        else if (thread_find((int)holder) && thread_find((int)holder)->task == th->task)
            report(", held by thread %u", holder);
        else report(", held by thread %u, which is not in this task (copied locked?)", holder);
    } else if (th->state == TH_BLOCKED) {
        report("waits for %s", th->wait_what);
        if (th->deadline != SIM_FOREVER) report(", with a timeout at %" PRIu64 " ms", th->deadline);
    } else if (th->timed_out) {
        report("its wait for %s timed out at %" PRIu64 " ms, ", th->wait_what, th->deadline);
    } else if (th->state == TH_IDLE) {
        report("has no start state");
    } else if (!th->suspend) {
        report("runnable");
    }
    if (th->suspend) report("%ssuspended (count %d)", th->state == TH_READY ? "" : ", and ", th->suspend);
    report("\n");
}

size_t sim_lock_waits(sim_lock_wait *out, size_t max)
{
    size_t n = 0;
    for (sim_thread *th = sim_rt.threads; th; th = th->next) {
        if (th->state != TH_BLOCKED || th->wait != WAIT_LOCK)
            continue;
        if (n < max) {
            sim_lock_wait *w = &out[n];
            memset(w, 0, sizeof *w);
            w->thread = th->id;
            w->task = th->task->id;
            unsigned holder = 0;
            image_peek(th->task, (const void *)th->wait_addr, &holder, sizeof holder);
            w->holder = (int)holder;
            sim_thread *h = holder ? thread_find((int)holder) : NULL;
            w->holder_task = h != NULL ? h->task->id : 0;
            if (th->wait_what[0])
                snprintf(w->name, sizeof w->name, "%s", th->wait_what);
            else
                sim_describe_addr(th->wait_addr, w->name, sizeof w->name);
        }
        n++;
    }
    return n;
}

static enum sim_result finish(enum sim_result res)
{
    const char *name[] = { "ok", "deadlock", "step-bound", "diverged", "stopped" };
    sim_event("end %s", name[res]);
    return res;
}

void sim_at_step(uint64_t step, void (*fn)(void *), void *arg)
{
    sim_rt.at_step = step;
    sim_rt.at_step_fn = fn;
    sim_rt.at_step_arg = arg;
}

uint64_t sim_steps(void) { return sim_rt.steps; }

// Replay: acts out the recorded events due before this step's pick, once each (r->replay_ev
// counts those done). Returns true when one fired: the caller collects the runnable again.
static bool replay_events(struct sim_rt *r)
{
    const sim_decisions *d = r->cfg.replay;
    if (r->replay_ev >= d->nevents || d->events[r->replay_ev].step != r->steps) return false;
    const char *what = d->events[r->replay_ev++].what;
    if (!sim_decide_event(what)) {
        report("replay: event '%s' at step %" PRIu64 " cannot be acted out here\n", what, r->steps);
        r->stop = true;
    }
    return true;
}

enum sim_result sim_run(void)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(r->open && !r->cur, "sim_run from a simulated thread, or not open");
    r->report_len = 0;
    if (r->report) r->report[0] = 0;
    /* host memory of this call only, never the world's (a snapshot taken below must not hold it) */
    int *cands = NULL;
    size_t cap = 0;
    enum sim_result res;
    if (!r->resuming) {     /* a call of its own, not the rest of a restored snapshot's */
        r->run_prev = 0;
        r->run_why = "start";
    }
    r->resuming = false;
    for (;;) {
        /* The last pick and the next reason live in sim_rt: a snapshot taken here carries them,
         * and a sim_run after its restore goes on from them. */
        int prev = r->run_prev;
        const char *why = r->run_why;
        if (r->at_step_fn != NULL && r->steps == r->at_step) {
            void (*fn)(void *) = r->at_step_fn;
            r->at_step_fn = NULL;
            fn(r->at_step_arg);
        }
        size_t n = 0, live = 0;
        for (sim_thread *th = r->threads; th; th = th->next) {
            if (!th->daemon) live++;
            if (!runnable(th)) continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                cands = realloc(cands, cap * sizeof *cands);
                if (cands == NULL) sim_fatal("out of host memory");
            }
            cands[n++] = th->id;
        }
        if (n == 0) {
            if (live == 0) {
                res = finish(SIM_OK);
                break;
            }
            if (clock_advance()) {
                r->run_why = "timeout";
                continue;
            }
            report("deadlock at step %" PRIu64 ": no thread can run\n", r->steps);
            for (sim_thread *th = r->threads; th; th = th->next) describe_thread(th);
            res = finish(SIM_DEADLOCK);
            break;
        }
        if (r->stop) {     /* a replayed event that could not be acted out */
            r->stop = false;
            res = finish(SIM_DIVERGED);
            break;
        }
        if (r->steps >= r->cfg.max_steps) {
            report("step bound %" PRIu64 " reached: a livelock, or a run longer than the bound\n",
                   r->cfg.max_steps);
            for (sim_thread *th = r->threads; th; th = th->next) describe_thread(th);
            report("  last picks:");
            size_t k = r->made.npicks > 16 ? r->made.npicks - 16 : 0;
            for (; k < r->made.npicks; k++) report(" %d", r->made.picks[k]);
            report("\n");
            res = finish(SIM_STEP_BOUND);
            break;
        }
        int pick;
        if (r->cfg.replay && replay_events(r)) continue;
        if (!r->cfg.replay && r->policy.event) {
            sim_choice c = { r->steps, prev, cands, n, why };
            if (r->policy.event(r->policy.self, &c)) continue;
        }
        if (r->cfg.replay) {
            const sim_decisions *d = r->cfg.replay;
            if (r->steps >= d->npicks) {
                report("replay diverged at step %" PRIu64 ": the decision list ended, %zu thread(s) could run\n",
                       r->steps, n);
                res = finish(SIM_DIVERGED);
                break;
            }
            pick = d->picks[r->steps];
            sim_choice c = { r->steps, prev, cands, n, why };
            if (index_of(&c, pick) == n) {
                report("replay diverged at step %" PRIu64 ": recorded pick thread %d cannot run; runnable:",
                       r->steps, pick);
                for (size_t i = 0; i < n; i++) report(" %d", cands[i]);
                report("\n");
                res = finish(SIM_DIVERGED);
                break;
            }
        } else {
            sim_choice c = { r->steps, prev, cands, n, why };
            size_t i = r->policy.pick(r->policy.self, &c);
            sim_api_check(i < n, "policy picked outside the candidates");
            pick = cands[i];
        }
        decisions_push(&r->made, pick);
        if (r->cfg.events) {
            char line[256];
            int o = snprintf(line, sizeof line, "run t%d [%s] of", pick, why);
            for (size_t i = 0; i < n && o < (int)sizeof line - 16; i++)
                o += snprintf(line + o, sizeof line - (size_t)o, " t%d", cands[i]);
            sim_event("%s", line);
        }
        r->steps++;
        sim_thread *th = thread_find(pick);
        step_touch.n = 1;
        step_touch.v[0] = SIM_OBJ_TASK | (uint64_t)th->task->id;
        r->why = "exit";
        int back = run_thread(th);     /* th may be freed now */
        r->run_why = r->why;
        r->run_prev = back;
        if (r->stop) {
            r->stop = false;
            res = finish(SIM_STOPPED);
            break;
        }
    }
    free(cands);
    return res;
}
