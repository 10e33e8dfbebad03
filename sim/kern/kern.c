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

/* K, host_blocks and what they point to are world state: in the snapshot section and the world
 * heap (sim/rt/snapshot.c). */
SIM_WORLD_STATE static struct kern {
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
    bool sites;                 /* call sites shown in the trace */
    bool need_sites;            /* call sites looked up for the fault plan (kern_need_sites) */
    kern_site_fn site_fn;
    char trace_path[4096];      /* when the trace is a file of ours: renamed at close */
    uint64_t hook_step;
    void (*hook_fn)(void *);
    void *hook_arg;
    kern_msg_id_fn msg_id_fn;
    struct kern_request {       /* requests received, not answered yet (for the trace) */
        const ktask_t *task;
        mach_port_name_t reply;
        mach_msg_id_t id;
        uint64_t step;
    } requests[64];
    unsigned nrequests;
} K;

/* A host task's vm_allocate'd blocks (kern_mem_alloc): host memory, listed. */
typedef struct host_block {
    void *p;                    /* page-aligned, inside raw */
    void *raw;                  /* from the world heap */
    size_t size;
    struct host_block *next;
} host_block;
SIM_WORLD_STATE static host_block *host_blocks;

/* Outside K: installed before kern_open, kept across runs. */
static kern_rpc_observer_fn rpc_observer;
static void *rpc_observer_arg;

void kern_set_rpc_observer(kern_rpc_observer_fn fn, void *arg)
{
    rpc_observer = fn;
    rpc_observer_arg = arg;
}

bool kern_rpc_observed(void) { return rpc_observer != NULL; }

/* The RPC's trace line was just written (its step is K.step): tell the observer. */
static void rpc_observe(const kern_rpc *r, kern_return_t kr, const char *args, const char *outs)
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
        .names = r->names,
        .nnames = r->nnames,
        .args = args != NULL ? args : "",
        .outs = outs != NULL ? outs : "",
        .trap = r->trap,
        .fallback = r->fallback,
        .ms = sim_now() - r->t0,
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

uint64_t kern_rpcs_since_faults(void) { return K.rpcs - K.fault_base; }

void kern_snapshot_restore(const sim_snapshot *s)
{
    sim_snapshot_restore(s);    /* K and the world come back with it */
    world_set_host_memory(sim_walloc, sim_wrealloc, sim_wfree);
}

bool kern_faults_replace(const kern_fault *faults, unsigned n)
{
    uint64_t made = K.rpcs - K.fault_base;
    if (K.nfired != 0 || n > KERN_MAX_FAULTS)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (faults[i].routine != NULL || faults[i].match != NULL || faults[i].nth <= made)
            return false;
    K.nfaults = n;
    memcpy(K.faults, faults, n * sizeof K.faults[0]);
    for (unsigned i = 0; i < n; i++)
        K.seen[i] = (unsigned)made;     /* every call so far matched a fault by number */
    memset(K.fired, 0, sizeof K.fired);
    return true;
}

void kern_set_msg_id_fn(kern_msg_id_fn fn)
{
    K.msg_id_fn = fn;
}

const char *kern_msg_id_name(mach_msg_id_t id)
{
    /* GNU Mach's notifications (mach/notify.h: MACH_NOTIFY_FIRST 0100 + ...; task_notify.defs) */
    static const struct {
        mach_msg_id_t id;
        const char *name;
    } notify[] = {{MACH_NOTIFY_PORT_DELETED, "mach_notify_port_deleted"},
                  {MACH_NOTIFY_MSG_ACCEPTED, "mach_notify_msg_accepted"},
                  {MACH_NOTIFY_PORT_DESTROYED, "mach_notify_port_destroyed"},
                  {MACH_NOTIFY_NO_SENDERS, "mach_notify_no_senders"},
                  {MACH_NOTIFY_SEND_ONCE, "mach_notify_send_once"},
                  {MACH_NOTIFY_DEAD_NAME, "mach_notify_dead_name"},
                  /* task_notify.defs: subsystem 4400, task_create's message (NT2) */
                  {4400, "mach_notify_new_task"}};
    for (size_t i = 0; i < sizeof notify / sizeof notify[0]; i++)
        if (notify[i].id == id)
            return notify[i].name;
    return K.msg_id_fn != NULL ? K.msg_id_fn(id) : NULL;
}

void kern_request_received(kthread_t *self, mach_port_name_t reply, mach_msg_id_t id)
{
    if (!MACH_PORT_VALID(reply))
        return;
    if (K.nrequests == sizeof K.requests / sizeof K.requests[0]) /* the oldest is forgotten */
        memmove(K.requests, K.requests + 1, --K.nrequests * sizeof K.requests[0]);
    K.requests[K.nrequests++] = (struct kern_request){kthread_task(self), reply, id, K.step};
}

uint64_t kern_request_answered(kthread_t *self, mach_port_name_t dest, mach_msg_id_t id)
{
    for (unsigned i = K.nrequests; i-- > 0;) {
        struct kern_request *q = &K.requests[i];
        if (q->task == kthread_task(self) && q->reply == dest && q->id + 100 == id) {
            uint64_t step = q->step;
            memmove(q, q + 1, (--K.nrequests - i) * sizeof *q);
            return step;
        }
    }
    return 0;
}

void kern_need_sites(bool on)
{
    K.need_sites = on;
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
_Static_assert(sizeof(kern_tls) <= SIM_HOST_TLS_SIZE, "a host task's thread keeps it in its host block");

static void on_wake(kthread_t *thread, void *arg)
{
    (void)arg;
    sim_thread *th = kthread_user(thread);
    if (th != NULL)
        sim_unblock(th);
}

/* --- out-of-line memory: a task's address space is its image (docs/mach-rules.md O1-O6) --- */

/* Copy-in runs on the sender's thread and copy-out on the receiver's, so the task is always
 * the running one and its image is in place. */
static sim_task *vm_task(ktask_t *task)
{
    sim_thread *th = sim_self();
    if (th == NULL || kern_ktask(sim_thread_task(th)) != task)
        kern_unmodelled("out-of-line memory of a task that is not running");
    return sim_thread_task(th);
}

/* Not modelled: page protections, and pages freed inside the heap, which stay readable (the
 * image heap stands in for the address space: its used part is what is mapped). */
static bool vm_readable(void *arg, ktask_t *task, uint64_t addr, size_t len)
{
    (void)arg;
    sim_task *t = vm_task(task);
    if (len > KERN_OOL_MAX)
        return false;
    if (sim_task_is_host(t))
        return true;    /* a server's own host memory, handed over by our own server code */
    void *tmp = malloc(len);
    if (tmp == NULL)
        return false;
    bool ok = sim_task_peek(t, (const void *)(uintptr_t)addr, tmp, len) == 0;
    free(tmp);
    return ok;
}

static void vm_read(void *arg, ktask_t *task, uint64_t addr, void *buf, size_t len)
{
    (void)arg;
    vm_task(task);
    memcpy(buf, (const void *)(uintptr_t)addr, len);
}

static kern_return_t vm_deallocate(void *arg, ktask_t *task, uint64_t addr, size_t len)
{
    (void)arg;
    vm_task(task);
    kern_vm_deallocate_own((uintptr_t)addr, len);
    return KERN_SUCCESS;
}

static kern_return_t vm_allocate(void *arg, ktask_t *task, size_t len, size_t page_offset,
                                 uint64_t *addr)
{
    (void)arg;
    vm_task(task);
    if (len > KERN_OOL_MAX)
        return KERN_NO_SPACE;
    uint8_t *p = kern_mem_alloc(page_offset + len);   /* page-aligned; host memory for a server */
    if (p == NULL)
        return KERN_NO_SPACE;
    memset(p, 0, page_offset + len);
    *addr = (uint64_t)(uintptr_t)(p + page_offset);
    return KERN_SUCCESS;
}

static void vm_write(void *arg, ktask_t *task, uint64_t addr, const void *buf, size_t len)
{
    (void)arg;
    vm_task(task);
    memcpy((void *)(uintptr_t)addr, buf, len);
}

static const world_vm_t kern_vm = {
    .readable = vm_readable,
    .read = vm_read,
    .deallocate = vm_deallocate,
    .allocate = vm_allocate,
    .write = vm_write,
};

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

/* The model's touch hook: what the running step reached, for the explorer (sim_touch). */
static void on_touch(ktask_t *task, uint32_t port_id, void *arg)
{
    (void)arg;
    if (task == NULL) {
        sim_touch(SIM_OBJ_PORT | port_id);
        return;
    }
    sim_task *t = kern_sim_task(task);
    sim_touch(t != NULL ? SIM_OBJ_TASK | (uint64_t)sim_task_id(t) : SIM_OBJ_GLOBAL);
}
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
    world_set_host_memory(sim_walloc, sim_wrealloc, sim_wfree);  /* the world heap (sim_open emptied it) */
    K.world = world_create(&cfg->world);
    sim_set_free_hooks(task_freed, thread_freed);
    world_set_wake_hook(K.world, on_wake, NULL);
    /* only a custom policy reads what a step touched (sim_touch): without one the model need
     * not report it (the policy is fixed for the world, and comes back with its snapshots) */
    if (cfg->sim.policy == SIM_CUSTOM)
        world_set_touch_hook(K.world, on_touch, NULL);
    world_set_vm(K.world, &kern_vm);
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
            world_set_host_memory(NULL, NULL, NULL);
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
    world_set_host_memory(NULL, NULL, NULL);
    while (host_blocks != NULL) { /* what a host task never deallocated */
        host_block *b = host_blocks;
        host_blocks = b->next;
        sim_wfree(b->raw);
        sim_wfree(b);
        leaked++;
    }
    trace_file_finish();
    K.open = false;
    K.world = NULL;
    return leaked;
}

world_t *kern_world(void) { return K.world; }
uint64_t kern_rpc_count(void) { return K.rpcs; }
unsigned kern_faults_fired(void) { return K.nfired; }
bool kern_fault_has_fired(unsigned i) { return i < K.nfaults && K.fired[i]; }
ktask_t *kern_ktask(const sim_task *task) { return sim_task_ktask(task); }
kthread_t *kern_kthread(const sim_thread *thread) { return sim_thread_kthread(thread); }
sim_task *kern_sim_task(const ktask_t *task) { return ktask_user(task); }
sim_thread *kern_sim_thread(const kthread_t *thread) { return kthread_user(thread); }

kthread_t *kern_self(void)
{
    sim_thread *th = sim_self();
    return th != NULL ? sim_thread_kthread(th) : NULL;
}

static sim_task *boot_task(sim_task *task, void (*fn)(void *), void *arg, sim_thread **thp);

sim_task *kern_boot_task(void (*fn)(void *), void *arg, sim_thread **thp)
{
    return boot_task(sim_task_create(NULL, 0), fn, arg, thp);
}

sim_task *kern_boot_host_task(void (*fn)(void *), void *arg, sim_thread **thp)
{
    return boot_task(sim_task_create_host(), fn, arg, thp);
}

static sim_task *boot_task(sim_task *task, void (*fn)(void *), void *arg, sim_thread **thp)
{
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

/* --- a task's memory: the image heap, or host memory for a host task ---------------------------- */

static bool running_host_task(void)
{
    sim_thread *th = sim_self();
    return th != NULL && sim_task_is_host(sim_thread_task(th));
}

void *kern_mem_alloc(size_t size)
{
    enum { PAGE = 4096 };
    if (!running_host_task())
        return sim_heap_alloc_aligned(size, PAGE);
    host_block *b = sim_walloc(sizeof *b);
    size_t pages = (size + PAGE - 1) / PAGE * PAGE;
    /* zero-filled pages, as vm_allocate gives them; the alignment's slack around them is
     * never read, so not zeroed (it was half of the bytes zeroed here) */
    b->raw = sim_walloc_uninit(pages + PAGE);
    void *p = (void *)(((uintptr_t)b->raw + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
    memset(p, 0, pages);
    b->p = p;
    b->size = size;
    b->next = host_blocks;
    host_blocks = b;
    return p;
}

size_t kern_mem_block_size(const void *p)
{
    if (!running_host_task())
        return sim_heap_block_size(p);
    for (host_block *b = host_blocks; b != NULL; b = b->next)
        if (b->p == p)
            return b->size;
    return 0;
}

void kern_mem_free(void *p)
{
    if (!running_host_task()) {
        sim_heap_free(p);
        return;
    }
    for (host_block **pp = &host_blocks; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->p == p) {
            host_block *b = *pp;
            *pp = b->next;
            sim_wfree(b->raw);
            sim_wfree(b);
            return;
        }
    kern_unmodelled("vm_deallocate of memory a host task was not given");
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

bool kern_tracing(void) { return K.trace != NULL; }

int kern_fmt_traced(char *buf, size_t len, const char *fmt, ...)
{
    if (K.trace == NULL)
        return kern_fmt_none(buf, len);
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

static bool fault_matches(const kern_fault *f, const kern_rpc *r)
{
    return (f->routine == NULL || strcmp(f->routine, r->routine) == 0) &&
           (f->match == NULL || f->match(r, f->match_arg));
}

/* Another actor's doing, planned for this call (KF_CALL, KF_PORT_DEATH). */
static void fault_act(const kern_fault *f, const kern_rpc *r)
{
    if (f->kind == KF_CALL) {
        if (f->call != NULL)
            f->call(f->call_arg);
        return;
    }
    sim_task *victim = sim_task_by_id(f->task_id);
    kern_return_t kr = victim != NULL ? world_port_destroy(kern_ktask(victim), f->name)
                                      : KERN_INVALID_TASK;
    char buf[16];
    kern_trace_note("fault: task %d's name %u destroyed %s %s = %s", f->task_id, f->name,
                    f->after ? "after" : "before", r->routine, code_name(kr, buf, sizeof buf));
}

/* The events planned for just after r: its trace line is written. */
static void faults_after(kern_rpc *r)
{
    for (unsigned i = 0; i < K.nfaults && r->after_faults != 0; i++)
        if (r->after_faults & (1u << i)) {
            r->after_faults &= ~(1u << i);
            fault_act(&K.faults[i], r);
        }
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
    return kern_rpc_begin_on(r, routine, trap, MACH_PORT_NULL, MACH_PORT_NULL);
}

kthread_t *kern_rpc_begin_on(kern_rpc *r, const char *routine, bool trap, mach_port_name_t a,
                             mach_port_name_t b)
{
    kthread_t *self = kern_self();
    if (self == NULL)
        kern_unmodelled("an RPC from the host, not from a simulated thread");
    sim_yield(routine);
    /* Field by field, not a memset of the whole record (its rep stos was 2% of a world's
     * time): names past nnames and site past its NUL are never read. */
    r->routine = routine;
    r->trap = trap;
    r->self = self;
    r->fault = KF_NONE;
    r->fault_error = 0;
    r->site[0] = '\0';
    r->fallback = false;
    r->nth = 0;
    r->nnames = 0;
    r->after_faults = 0;
    r->intr = false;
    r->t0 = sim_now();
    if (a != MACH_PORT_NULL)
        r->names[r->nnames++] = a;
    if (b != MACH_PORT_NULL)
        r->names[r->nnames++] = b;
    if ((K.sites || K.need_sites) && K.site_fn != NULL) {
        void *pcs[48];
        int n = unw_backtrace(pcs, 48);
        K.site_fn(pcs, n, r->site, sizeof r->site);
    }
    K.rpcs++;
    r->nth = K.rpcs - K.fault_base;
    /* Planned faults count RPCs across threads: with any, every RPC's order matters. */
    if (K.nfaults != 0)
        sim_touch(SIM_OBJ_GLOBAL);
    if (!trap)
        reply_port_get(self);
    for (unsigned i = 0; i < K.nfaults; i++) {
        kern_fault *f = &K.faults[i];
        if (K.fired[i] || !fault_matches(f, r) || ++K.seen[i] != f->nth)
            continue;
        K.fired[i] = true;
        K.nfired++;
        if (f->kind == KF_CALL || f->kind == KF_PORT_DEATH) {
            if (f->after)
                r->after_faults |= 1u << i;
            else
                fault_act(f, r);
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
        if (K.sites && r->site[0] != '\0')
            fprintf(K.trace, "  @ %s", r->site);
        fputc('\n', K.trace);
    }
    rpc_observe(r, kr, args, outs);
    faults_after(r);
    return kr;
}

void kern_rpc_end_name(kern_rpc *r, mach_port_name_t name)
{
    trace_prefix(r->self);
    if (K.trace != NULL) {
        fprintf(K.trace, "trap %s() = %u", r->routine, name);
        if (K.sites && r->site[0] != '\0')
            fprintf(K.trace, "  @ %s", r->site);
        fputc('\n', K.trace);
    }
    rpc_observe(r, KERN_SUCCESS, "", "");
    faults_after(r);
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

/* When a timed wait that starts now ends (rule V2, docs/mach-rules.md): GNU Mach turns the
 * milliseconds into clock ticks rounding up, in 32-bit arithmetic (kern/sched_prim.h:
 * convert_ipc_timeout_to_ticks, hz 100 in i386/i386/mach_param.h), and starts counting after
 * the next tick (kern/mach_clock.c: set_timeout, t_time = elapsed_ticks + interval + 1). */
uint64_t kern_msg_deadline(mach_msg_timeout_t timeout)
{
    uint32_t ticks = (uint32_t)(timeout * (uint32_t)KERN_HZ + 999u) / 1000u;
    uint64_t elapsed = sim_now() / (1000 / KERN_HZ);
    return (elapsed + ticks + 1) * (1000 / KERN_HZ);
}

static mach_msg_return_t kern_msg_wait_in(kthread_t *self, mach_msg_return_t mr,
                                          mach_msg_option_t option, mach_msg_timeout_t timeout,
                                          const char *what);

/* --- a thread's own registers ------------------------------------------------------------------ */

/* The model keeps the registers as 4-byte words: they are copied, never cast. */
static natural_t *self_state_words(void)
{
    kthread_t *self = kern_self();
    if (self == NULL)
        kern_unmodelled("a thread's state from the host");
    return kthread_state_words(self, KERN_THREAD_STATE_FLAVOR);
}

void kern_self_state_publish(uint64_t pc, uint64_t sysreturn)
{
    natural_t *words = self_state_words();
    kern_thread_state ts;
    memcpy(&ts, words, sizeof ts);
    ts.kind = KERN_STATE_PARKED;
    ts.pc = pc;
    ts.sysreturn = sysreturn;
    ts.tls = (uintptr_t)sim_thread_tls(sim_self());
    memcpy(words, &ts, sizeof ts);
}

void kern_self_state_read(kern_thread_state *out)
{
    memcpy(out, self_state_words(), sizeof *out);
}

uint64_t kern_self_state_gen(void)
{
    return sim_thread_gen(sim_self());
}

mach_msg_return_t kern_msg_wait(kthread_t *self, mach_msg_return_t mr, mach_msg_option_t option,
                                mach_msg_timeout_t timeout, const char *what)
{
    /* Blocked in the kernel: an injected call waits for the trap's way back to its caller. */
    sim_kernel_enter();
    mr = kern_msg_wait_in(self, mr, option, timeout, what);
    sim_kernel_leave();
    return mr;
}

static mach_msg_return_t kern_msg_wait_in(kthread_t *self, mach_msg_return_t mr,
                                          mach_msg_option_t option, mach_msg_timeout_t timeout,
                                          const char *what)
{
    while (mr == MK_MSG_BLOCKED) {
        /* Each wait of a phase with a timeout gets the whole timeout (ipc_mqueue_send and
         * ipc_mqueue_receive call thread_will_wait_with_timeout at every block). */
        mk_wait_t phase = mk_thread_blocked(self, NULL);
        bool timed = (phase == MK_WAIT_SEND && (option & MACH_SEND_TIMEOUT)) ||
                     (phase == MK_WAIT_RECEIVE && (option & MACH_RCV_TIMEOUT));
        uint64_t deadline = timed ? kern_msg_deadline(timeout) : SIM_FOREVER;
        while (mk_thread_blocked(self, NULL) != MK_WAIT_NONE) {
            if (!sim_block_until(what, deadline))
                continue;
            /* A thread that timed out while suspended stays on the port's queue until it runs
             * (ipc_mqueue_receive: ith_state is checked before the wait result), so a message
             * handed to it meanwhile is received: the timeout is void. */
            if (mk_thread_blocked(self, NULL) == MK_WAIT_NONE)
                break;
            sim_thread *th = kthread_user(self);
            kern_trace_note("clock %llu ms: t%d.%d's %s timed out (%s %u ms)",
                            (unsigned long long)sim_now(), sim_task_id(sim_thread_task(th)),
                            sim_thread_id(th), what,
                            phase == MK_WAIT_SEND ? "MACH_SEND_TIMEOUT" : "MACH_RCV_TIMEOUT",
                            (unsigned)timeout);
            return mk_mach_msg_interrupt(self, true);
        }
        mr = mk_mach_msg_continue(self);
    }
    return mr;
}

/* kern_msg_wait for "mach_msg on PORT" (the deadlock report's words), formatted without
 * snprintf: every blocking mach_msg passes here. */
mach_msg_return_t kern_msg_wait_port(kthread_t *self, mach_msg_return_t mr,
                                     mach_msg_option_t option, mach_msg_timeout_t timeout,
                                     mach_port_t port)
{
    static const char head[] = "mach_msg on ";
    char what[sizeof head + 10], digits[10];
    int n = 0;
    do
        digits[n++] = (char)('0' + port % 10);
    while ((port /= 10) != 0);
    memcpy(what, head, sizeof head - 1);
    for (int i = 0; i < n; i++)
        what[sizeof head - 1 + i] = digits[n - 1 - i];
    what[sizeof head - 1 + n] = '\0';
    return kern_msg_wait(self, mr, option, timeout, what);
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
