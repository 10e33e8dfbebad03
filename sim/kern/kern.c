/*
 * kern.c: the simulated machine, joining the model's kernel to the runtime.
 *
 * Stands in for the parts of GNU Mach that glue IPC to threads: the trap entry (every RPC a
 * scheduling point), the wait of a thread in mach_msg (ipc/ipc_mqueue.c blocks a thread; here
 * the model records the wait and this file parks the coroutine until the model's wake hook
 * fires), and the MIG user side of glibc (mach/mig-reply.c: one reply port per thread, created
 * by mach_reply_port on the thread's first RPC and destroyed when a send fails).
 *
 * Traces: one line per event, "forksim-trace 1" first. A line is
 *     STEP tTASK.THREAD [trap ]routine(args) = CODE[ -> outs]
 * with names in decimal as rpctrace prints them, codes by their KERN_* names, and nothing that
 * depends on the host (no addresses). Notes (fault firings) are "STEP # text".
 */
#include "kern.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct kern {
    bool open;
    world_t *world;
    FILE *trace;
    uint64_t step;              /* trace step: every event line */
    uint64_t rpcs;              /* RPCs and traps made */
    uint64_t fault_base;        /* K.rpcs when the fault plan was set: faults count from here */
    kern_fault faults[KERN_MAX_FAULTS];
    unsigned nfaults;
    unsigned seen[KERN_MAX_FAULTS]; /* matching calls so far, per fault */
    bool fired[KERN_MAX_FAULTS];
    unsigned nfired;
    kern_reply_cell_fn reply_cell;
    bool sites;
    kern_site_fn site_fn;
    char trace_path[4096];      /* when the trace is a file of ours: renamed at close */
    uint64_t hook_step;
    void (*hook_fn)(void *);
    void *hook_arg;
} K;

/* Outside K: installed before kern_open, kept across runs. */
static kern_rpc_observer_fn rpc_observer;
static void *rpc_observer_arg;

void kern_set_rpc_observer(kern_rpc_observer_fn fn, void *arg)
{
    rpc_observer = fn;
    rpc_observer_arg = arg;
}

/* The RPC's trace line was just written (its step is K.step): tell the observer. */
static void rpc_observe(const kern_rpc *r, kern_return_t kr)
{
    if (rpc_observer == NULL || r->self == NULL)
        return;
    sim_thread *th = kthread_user(r->self);
    kern_rpc_note note = {
        .nth = r->nth,
        .routine = r->routine,
        .task = th != NULL ? sim_task_id(sim_thread_task(th)) : 0,
        .thread = th != NULL ? sim_thread_id(th) : 0,
        .step = K.step,
        .site = r->site,
        .kr = kr,
        .fault = r->fault,
    };
    rpc_observer(&note, rpc_observer_arg);
}

void kern_set_faults(const kern_fault *faults, unsigned n)
{
    K.nfaults = n < KERN_MAX_FAULTS ? n : KERN_MAX_FAULTS;
    memcpy(K.faults, faults, K.nfaults * sizeof K.faults[0]);
    K.fault_base = K.rpcs;
    memset(K.seen, 0, sizeof K.seen);
    memset(K.fired, 0, sizeof K.fired);
    K.nfired = 0;
}

void kern_set_step_hook(uint64_t step, void (*fn)(void *), void *arg)
{
    K.hook_step = step;
    K.hook_fn = fn;
    K.hook_arg = arg;
}

/* The next trace line is numbered K.step + 1: run the --stop-at hook first. */
static void step_hook(void)
{
    if (K.hook_fn != NULL && K.step + 1 == K.hook_step) {
        void (*fn)(void *) = K.hook_fn;
        K.hook_fn = NULL;
        fn(K.hook_arg);
    }
}

/* The per-thread block of the default reply cell, in the task's image. */
typedef struct kern_tls {
    mach_port_t reply_port;
} kern_tls;

static void on_wake(kthread_t *thread, void *arg)
{
    (void)arg;
    sim_thread *th = kthread_user(thread);
    if (th != NULL)
        sim_unblock(th);
}

/* A trace file of ours is complete: renamed from PATH.tmp to PATH. */
static void trace_file_finish(void)
{
    if (K.trace == NULL)
        return;
    fflush(K.trace);
    if (K.trace_path[0] == '\0')
        return;
    fclose(K.trace);
    K.trace = NULL;
    char tmp[sizeof K.trace_path + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", K.trace_path);
    if (rename(tmp, K.trace_path) != 0)
        fprintf(stderr, "forksim: cannot rename %s to %s\n", tmp, K.trace_path);
    K.trace_path[0] = '\0';
}

/* A simulated task or thread was freed: its kernel object no longer points back at it (a
 * thread whose code returned, or whose own task_terminate failed, keeps its kernel thread and
 * port; describing that port must not reach the freed thread). */
static void task_freed(void *ktask) { ktask_set_user(ktask, NULL); }
static void thread_freed(void *kthread) { kthread_set_user(kthread, NULL); }

int kern_open(const kern_config *cfg)
{
    kern_config none;
    if (cfg == NULL) {
        memset(&none, 0, sizeof none);
        cfg = &none;
    }
    if (sim_open(&cfg->sim) != 0)
        return -1;
    memset(&K, 0, sizeof K);
    K.world = world_create(&cfg->world);
    sim_set_free_hooks(task_freed, thread_freed);
    world_set_wake_hook(K.world, on_wake, NULL);
    world_register_state_flavor(K.world, KERN_THREAD_STATE_FLAVOR, KERN_THREAD_STATE_COUNT);
    K.trace = cfg->trace;
    K.trace_path[0] = '\0';
    if (K.trace == NULL && cfg->trace_path != NULL) {
        snprintf(K.trace_path, sizeof K.trace_path, "%s", cfg->trace_path);
        char tmp[sizeof K.trace_path + 8];
        snprintf(tmp, sizeof tmp, "%s.tmp", K.trace_path);
        K.trace = fopen(tmp, "w");
        if (K.trace == NULL) {
            sim_close();
            world_destroy(K.world);
            return -1;
        }
    }
    K.sites = cfg->sites;
    K.nfaults = cfg->nfaults < KERN_MAX_FAULTS ? cfg->nfaults : KERN_MAX_FAULTS;
    memcpy(K.faults, cfg->faults, K.nfaults * sizeof K.faults[0]);
    K.open = true;
    if (K.trace != NULL)
        fprintf(K.trace, "forksim-trace 1\n");
    return 0;
}

size_t kern_close(void)
{
    if (!K.open)
        return 0;
    /* Tasks still here (processes that never exited) are reclaimed, not leaks; what must be
     * gone afterwards is every model object and every host allocation of the runtime. */
    world_set_wake_hook(K.world, NULL, NULL); /* the runtime's threads go first */
    sim_close();
    size_t leaked = world_destroy(K.world) + sim_host_allocations(NULL);
    trace_file_finish();
    K.open = false;
    K.world = NULL;
    return leaked;
}

world_t *kern_world(void) { return K.world; }
uint64_t kern_rpc_count(void) { return K.rpcs; }
unsigned kern_faults_fired(void) { return K.nfired; }
ktask_t *kern_ktask(const sim_task *task) { return sim_task_ktask(task); }
kthread_t *kern_kthread(const sim_thread *thread) { return sim_thread_kthread(thread); }
sim_task *kern_sim_task(const ktask_t *task) { return ktask_user(task); }
sim_thread *kern_sim_thread(const kthread_t *thread) { return kthread_user(thread); }

kthread_t *kern_self(void)
{
    sim_thread *th = sim_self();
    return th != NULL ? sim_thread_kthread(th) : NULL;
}

sim_task *kern_boot_task(void (*fn)(void *), void *arg, sim_thread **thp)
{
    sim_task *task = sim_task_create(NULL, 0);
    ktask_t *kt = world_boot_task(K.world, NULL);
    sim_task_set_ktask(task, kt);
    ktask_set_user(kt, task);
    kthread_t *kth = world_boot_thread(kt);
    sim_thread *th = sim_thread_spawn(task, fn, arg);
    sim_thread_set_kthread(th, kth);
    kthread_set_user(kth, th);
    if (thp != NULL)
        *thp = th;
    return task;
}

void kern_set_site_fn(kern_site_fn fn)
{
    K.site_fn = fn;
}

void kern_set_reply_cell_fn(kern_reply_cell_fn fn)
{
    K.reply_cell = fn;
}

static mach_port_t *default_reply_cell(void)
{
    sim_thread *th = sim_self();
    kern_tls *tls = sim_thread_tls(th);
    if (tls == NULL) {
        tls = sim_heap_calloc(1, sizeof *tls);
        if (tls == NULL)
            kern_unmodelled("image heap exhausted for a thread block");
        sim_thread_set_tls(th, tls);
    }
    return &tls->reply_port;
}

static mach_port_t *reply_cell(void)
{
    return K.reply_cell != NULL ? K.reply_cell() : default_reply_cell();
}

/* --- trace ----------------------------------------------------------------------------------- */

static void trace_prefix(kthread_t *self)
{
    step_hook();
    K.step++;
    if (K.trace == NULL)
        return;
    sim_thread *th = self != NULL ? kthread_user(self) : NULL;
    if (th != NULL)
        fprintf(K.trace, "%6llu t%d.%d ", (unsigned long long)K.step,
                sim_task_id(sim_thread_task(th)), sim_thread_id(th));
    else
        fprintf(K.trace, "%6llu host ", (unsigned long long)K.step);
}

void kern_trace_note(const char *fmt, ...)
{
    step_hook();
    K.step++;
    if (K.trace == NULL)
        return;
    fprintf(K.trace, "%6llu # ", (unsigned long long)K.step);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(K.trace, fmt, ap);
    va_end(ap);
    fputc('\n', K.trace);
}

int kern_fmt(char *buf, size_t len, const char *fmt, ...)
{
    if (K.trace == NULL) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

static const char *code_name(kern_return_t kr, char *buf, size_t len)
{
    const char *name = mk_return_name(kr);
    if (name != NULL)
        return name;
    snprintf(buf, len, "0x%x", (unsigned)kr);
    return buf;
}

const char *kern_right_name(mach_port_right_t right)
{
    static const char *const names[] = {"SEND", "RECEIVE", "SEND_ONCE", "PORT_SET", "DEAD_NAME"};
    return right < 5 ? names[right] : "BAD_RIGHT";
}

const char *kern_msgt_name(mach_msg_type_name_t type)
{
    switch (type) {
    case MACH_MSG_TYPE_MOVE_RECEIVE: return "MOVE_RECEIVE";
    case MACH_MSG_TYPE_MOVE_SEND: return "MOVE_SEND";
    case MACH_MSG_TYPE_MOVE_SEND_ONCE: return "MOVE_SEND_ONCE";
    case MACH_MSG_TYPE_COPY_SEND: return "COPY_SEND";
    case MACH_MSG_TYPE_MAKE_SEND: return "MAKE_SEND";
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: return "MAKE_SEND_ONCE";
    }
    return "BAD_TYPE";
}

/* --- RPCs ------------------------------------------------------------------------------------ */

static bool fault_matches(const kern_fault *f, const char *routine)
{
    return f->routine == NULL || strcmp(f->routine, routine) == 0;
}

/* glibc's __mig_get_reply_port: the thread's reply port, made on its first RPC (M10). */
static void reply_port_get(kthread_t *self)
{
    mach_port_t *cell = reply_cell();
    if (*cell == MACH_PORT_NULL) {
        *cell = mk_mach_reply_port(self);
        trace_prefix(self);
        if (K.trace != NULL)
            fprintf(K.trace, "trap mach_reply_port() = %u\n", *cell);
    }
}

kthread_t *kern_rpc_begin(kern_rpc *r, const char *routine, bool trap)
{
    kthread_t *self = kern_self();
    if (self == NULL)
        kern_unmodelled("an RPC from the host, not from a simulated thread");
    sim_yield(routine);
    memset(r, 0, sizeof *r);
    r->routine = routine;
    r->trap = trap;
    r->self = self;
    if (K.sites && K.site_fn != NULL) {
        void *pcs[48];
        int n = unw_backtrace(pcs, 48);
        K.site_fn(pcs, n, r->site, sizeof r->site);
    }
    K.rpcs++;
    r->nth = K.rpcs - K.fault_base;
    if (!trap)
        reply_port_get(self);
    for (unsigned i = 0; i < K.nfaults; i++) {
        kern_fault *f = &K.faults[i];
        if (K.fired[i] || !fault_matches(f, routine) || ++K.seen[i] != f->nth)
            continue;
        K.fired[i] = true;
        K.nfired++;
        if (f->kind == KF_CALL) {
            if (f->call != NULL)
                f->call(f->call_arg);
            continue;
        }
        if (f->kind == KF_PORT_DEATH) {
            sim_task *victim = sim_task_by_id(f->task_id);
            kern_return_t kr = victim != NULL ? world_port_destroy(kern_ktask(victim), f->name)
                                              : KERN_INVALID_TASK;
            char buf[16];
            kern_trace_note("fault: task %d's name %u destroyed before %s = %s", f->task_id,
                            f->name, routine, code_name(kr, buf, sizeof buf));
            continue;
        }
        r->fault = f->kind;
        r->fault_error = f->error;
        kern_trace_note("fault: %s %s", routine,
                        f->kind == KF_SEND_FAILS     ? "send fails"
                        : f->kind == KF_REPLY_LOST   ? "reply lost"
                                                     : "routine fails");
    }
    return self;
}

/* glibc's __mig_dealloc_reply_port: clear the cell, destroy the receive right. */
static void reply_port_dealloc(kthread_t *self)
{
    mach_port_t *cell = reply_cell();
    mach_port_t port = *cell;
    *cell = MACH_PORT_NULL;
    if (port != MACH_PORT_NULL)
        world_port_destroy(kthread_task(self), port);
}

/* --- for sim/kern/mig.c: MIG over real messages -------------------------------------------------- */

mach_port_t kern_reply_port(void)
{
    return sim_self() != NULL ? *reply_cell() : MACH_PORT_NULL;
}

void kern_reply_port_dealloc(kthread_t *self)
{
    reply_port_dealloc(self);
}
/* --- end of sim/kern/mig.c's part ---------------------------------------------------------------- */

void kern_rpc_fallback(kern_rpc *r)
{
    r->fallback = true;
}

kern_return_t kern_rpc_end(kern_rpc *r, kern_return_t kr, const char *args, const char *outs)
{
    if (r->fallback) {
        /* K8: the trap's own result, then the RPC glibc's shortcut made, with its reply port. */
        trace_prefix(r->self);
        if (K.trace != NULL)
            fprintf(K.trace, "trap %s(%s) = MACH_SEND_INTERRUPTED\n", r->routine, args);
        reply_port_get(r->self);
        r->trap = false;
    }
    /* M12 step 1: a mach_msg error (the send failed) deallocates the reply port. */
    if (!r->trap && (kr & 0xfff00000) == 0x10000000 && kr != MACH_MSG_SUCCESS)
        reply_port_dealloc(r->self);
    trace_prefix(r->self);
    if (K.trace != NULL) {
        char buf[16];
        fprintf(K.trace, "%s%s(%s) = %s", r->trap ? "trap " : "", r->routine, args,
                code_name(kr, buf, sizeof buf));
        if (outs != NULL && outs[0] != '\0')
            fprintf(K.trace, " -> %s", outs);
        if (r->site[0] != '\0')
            fprintf(K.trace, "  @ %s", r->site);
        fputc('\n', K.trace);
    }
    rpc_observe(r, kr);
    return kr;
}

void kern_rpc_end_name(kern_rpc *r, mach_port_name_t name)
{
    trace_prefix(r->self);
    if (K.trace != NULL) {
        fprintf(K.trace, "trap %s() = %u", r->routine, name);
        if (r->site[0] != '\0')
            fprintf(K.trace, "  @ %s", r->site);
        fputc('\n', K.trace);
    }
    rpc_observe(r, KERN_SUCCESS);
}

void kern_rpc_drop_reply_right(kern_rpc *r, mach_port_name_t name, mach_port_right_t kind)
{
    if (!MACH_PORT_VALID(name))
        return;
    ktask_t *task = kthread_task(r->self);
    /* Only the right the reply carried goes: destroying the message destroys a receive right
     * (the port dies, M8 step 3), and a send right the caller already held under the merged
     * name becomes a dead name (D3), as mod_refs(RECEIVE, -1) leaves it (R3). */
    if (kind == MACH_PORT_RIGHT_RECEIVE)
        world_port_mod_refs(task, name, MACH_PORT_RIGHT_RECEIVE, -1);
    else
        world_port_deallocate(task, name);
}

void kern_wait_msg(kthread_t *self, const char *what)
{
    while (mk_thread_blocked(self, NULL) != MK_WAIT_NONE)
        sim_block(what);
}

_Noreturn void kern_unmodelled(const char *what)
{
    kern_trace_note("stopped: unmodelled: %s", what);
    if (sim_self() != NULL) {
        /* The run ends here and the host closes it as any other: nothing is left held (an
         * exit from here left the whole simulation allocated). */
        char why[256];
        snprintf(why, sizeof why, "unmodelled: %s", what);
        sim_stop(why);
    }
    trace_file_finish();
    fprintf(stderr, "forksim: unmodelled: %s\n", what);
    exit(3);
}
