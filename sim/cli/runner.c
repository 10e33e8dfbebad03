/*
 * runner.c: runs a scenario (scenario.h) on the simulated Hurd with glibc's real fork.
 *
 * The scenario's parent is a simulated Hurd process (forkimpl's start-up) whose main thread
 * interprets the file: it first makes what the "have" lines ask for, with ordinary RPCs (so the
 * trace shows how the rights came to be), then runs the parent's steps; its "fork" step is
 * glibc's _Fork, and in the child the same code runs the child's steps. Rights to "another
 * task's ports" are to ports whose receive rights the parent hands to a peer process, an idle
 * Hurd process of the scenario's world.
 *
 * The interpreter's own bookkeeping (labels, what each process saw) is host memory, outside
 * the images: the harness, not the simulated program.
 */
#include "runner.h"

#include "servers.h"
#include "forkimpl.h"
#include "source.h"
#include "shim/hurd/fd.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEER_SLOT_BASE 0x1000
/* Every label a scenario can define: the built-in ones, one per have line, one per rpc step
 * that names a new right. A full table would drop a label silently. */
#define RUN_MAX_LABELS (8 + SCN_MAX_ITEMS + SCN_MAX_STEPS)

/* --- host-side state of one run ---------------------------------------------------------- */

/* A label denotes a right, not just a name: besides the name, the port (by serial) the name
 * held in the parent when the label was made, and in the child when it started (or when a
 * child's step made the label). A name that later holds another port has been reused for
 * another right (scenario expectations say so). */
typedef struct label_entry {
    char label[SCN_MAX_LABEL];
    mach_port_name_t name;
    uint32_t port_parent, port_child;
    bool child_bound;           /* made by a child's step */
} label_entry;

/* World state, copied by snapshots with the rest of the world (sim/rt/snapshot.c): the set-up
 * made these labels, and a run restored from a snapshot goes on with them. */
SIM_WORLD_STATE static struct {
    const scenario *s;
    run_result *r;
    label_entry labels[RUN_MAX_LABELS];
    size_t nlabels;
    mach_port_name_t peer_name;     /* the parent's name for the peer's task port */
    /* Tasks by id, never by pointer: a process's sim_task is freed when it ends (its exit, an
     * abort, a task_terminate step), and an actor or a hook runs later. sim_task_by_id says
     * whether it still exists. */
    int parent_id, child_id, peer_id;
    bool fork_failed;
    size_t notes_cap;
    unsigned threads_created;   /* thread_create calls since the last task_create (--explain) */
    bool steps_begun;           /* the set-up is done: the scenario's steps run */
    /* The child's names when fork returned in it (malloc'ed, ascending): what the fork made,
     * before the child's own steps. */
    mach_port_name_t *child_at_fork;
    size_t nchild_at_fork;
    /* "anywhere kill": the killer process's thread, and the kills it has yet to make */
    int killer_thread;
    int killer_id;              /* its task: neither a child of the parent's nor left behind */
    pid_t parent_pid;
    int kill_sig[8];
    char kill_to[8][SCN_MAX_LABEL];     /* child, parent or a process's NAME */
    unsigned nkills;
    /* The named processes (scenario.h, scn_process), by index: the pid each is known by (0:
     * not yet), its task, and the threads waiting for its pid (a kill to it, scripted). */
    pid_t proc_pid[SCN_MAX_PROCS];
    int proc_task[SCN_MAX_PROCS];
    int proc_waiters[SCN_MAX_PROCS][4];
    /* fork as NAME under way: the newest task id when the fork began (0: none); the first
     * child task made after it is NAME's, from its task_create on (named_task) */
    int proc_fork_floor[SCN_MAX_PROCS];
} R;

static scn_proc proc_of_task(int task_id);

/* The named process a task is (process NAME, or the child of fork as NAME), or -1; spawned:
 * only those of "process NAME", which are no child of the parent's. */
static int named_of_task(int task, bool spawned_only)
{
    for (unsigned k = 0; R.s != NULL && k < R.s->nprocs; k++)
        if (task != 0 && R.proc_task[k] == task && (!spawned_only || !R.s->procs[k].forked))
            return (int)k;
    return -1;
}

/* A task that is no child of the parent's though made after it: the peer, the killer, a
 * named process. */
static bool task_is_other(int task)
{
    return task == R.peer_id || task == R.killer_id || named_of_task(task, true) >= 0;
}

/*
 * How a sender learns the pid of the process NAME: it is handed it, as the runner records it,
 * the pid fork returned in the parent (fork as NAME) or the pid the process got from proc at
 * its start (process NAME). Not by proc lookups: a Hurd process has no call that maps a name
 * to a pid either (proc_getallpids and proc_getprocinfo would give every process's pid and
 * argv, which forksim's proc does not model), and GNUnet's ARM knows its services' pids from
 * fork's return, the way a third process would learn them from a pid file or a message. The
 * kill itself is glibc's (kill.c: proc_getmsgport ... msg_sig_post) with that pid.
 * Sets the pid, or waits for it when wait is true (a scripted kill before the fork that makes
 * NAME has returned in the parent: a reader of a pid file not yet written); 0 when not known.
 * An anchored kill placed inside NAME's own fork does not wait: it reads proc's table
 * (pid_in_fork).
 */
SIM_WORLD_STATE static pid_t last_child;

static pid_t named_pid(int k, bool wait)
{
    while (wait && R.proc_pid[k] == 0) {
        int w = 0;
        while (w < 4 && R.proc_waiters[k][w] != 0)
            w++;
        if (w == 4)
            break;
        R.proc_waiters[k][w] = sim_thread_id(sim_self());
        char what[80];
        snprintf(what, sizeof what, "the pid of %s (its fork has not returned)", R.s->procs[k].name);
        sim_block(what);
    }
    return R.proc_pid[k];
}

static void named_known(int k, pid_t pid, int task)
{
    if (pid > 0)
        R.proc_pid[k] = pid;
    if (task != 0)
        R.proc_task[k] = task;
    for (int w = 0; w < 4 && pid > 0; w++) {
        sim_thread *th = R.proc_waiters[k][w] != 0 ? sim_thread_by_id(R.proc_waiters[k][w]) : NULL;
        R.proc_waiters[k][w] = 0;
        if (th != NULL)
            (void)sim_unblock(th);
    }
}

/* The pid a kill "to WHO" names, from the calling process: child (the parent's last child),
 * parent (the parent; from the child, its own parent as glibc knows it), self, or NAME. */
static pid_t target_pid(const char *to, bool wait)
{
    if (strcmp(to, "child") == 0)
        return last_child;
    if (strcmp(to, "self") == 0)
        return _hurd_pid;
    if (strcmp(to, "parent") == 0) /* a named process's: the scenario's parent */
        return named_of_task(sim_task_id(sim_task_self()), true) >= 0 ? R.parent_pid : _hurd_ppid;
    int k = scn_process_find(R.s, to);
    return k >= 0 ? named_pid(k, wait) : 0;
}

/* The newest task's id (ids are never reused: sim/rt/sched.c gives them in order). */
static int task_id_newest(void)
{
    int newest = 0;
    for (int id = 1, gap = 0; gap < 64; id++, gap++)
        if (sim_task_by_id(id) != NULL)
            newest = id, gap = 0;
    return newest;
}

/* The task of the named process k, or 0: a process NAME's from its start; fork as NAME's from
 * the moment its fork's task_create made the child task (the first child task made since the
 * fork began), before fork has returned in either process, so that "in NAME" anchors count
 * the child's own calls inside _Fork and a killer can look NAME's task up in proc's table. */
static int named_task(int k)
{
    if (R.proc_task[k] != 0 || R.proc_fork_floor[k] == 0)
        return R.proc_task[k];
    int newest = task_id_newest();
    for (int id = R.proc_fork_floor[k] + 1; id <= newest; id++)
        if (sim_task_by_id(id) != NULL && proc_of_task(id) == PROC_CHILD)
            return R.proc_task[k] = id;
    return 0;
}

static void child_names_at_fork(void)
{
    ktask_t *task = kthread_task(kern_self());
    size_t n = ktask_names(task, NULL, 0);
    free(R.child_at_fork);
    R.child_at_fork = malloc((n + 1) * sizeof *R.child_at_fork);
    R.nchild_at_fork = R.child_at_fork != NULL ? ktask_names(task, R.child_at_fork, n) : 0;
}

static bool child_had_at_fork(mach_port_name_t name)
{
    for (size_t i = 0; i < R.nchild_at_fork; i++)
        if (R.child_at_fork[i] == name)
            return true;
    return false;
}

static void vmessage(const char *fmt, va_list ap)
{
    run_result *r = R.r;
    if (r->nmessages == RUN_MAX_MESSAGES) {
        r->messages_dropped++; /* counted, said at the end: never lost silently */
        return;
    }
    vsnprintf(r->messages[r->nmessages++], sizeof r->messages[0], fmt, ap);
}

/* A note in the summary (an abort, a report): not by itself a failed expectation. */
static void message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
}

/* Something the scenario expected did not happen, or a step could not run: the run fails. */
static void failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failure(const char *fmt, ...)
{
    R.r->failures++;
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
}

/* The port (serial) name holds in the running process's space, 0 for none. */
static uint32_t port_here(mach_port_name_t name)
{
    name_info_t info;
    kthread_t *self = kern_self();
    return self != NULL && space_peek(kthread_task(self), name, &info) ? info.port_id : 0;
}

static void label_set(const char *label, mach_port_name_t name)
{
    label_entry *e = NULL;
    for (size_t i = 0; i < R.nlabels && e == NULL; i++)
        if (strcmp(R.labels[i].label, label) == 0)
            e = &R.labels[i];
    if (e == NULL && R.nlabels < sizeof R.labels / sizeof R.labels[0]) {
        e = &R.labels[R.nlabels++];
        memset(e, 0, sizeof *e);
        snprintf(e->label, SCN_MAX_LABEL, "%s", label);
    }
    if (e == NULL)
        return;
    e->name = name;
    bool in_child = R.parent_id != 0 && sim_task_self() != NULL &&
                    sim_task_id(sim_task_self()) != R.parent_id;
    if (in_child) {
        e->port_child = port_here(name);
        e->child_bound = true;
    } else {
        e->port_parent = port_here(name);
    }
}

/* A child starts: what each label it inherited denotes in it. */
static void labels_child_start(void)
{
    for (size_t i = 0; i < R.nlabels; i++) {
        R.labels[i].child_bound = false;
        R.labels[i].port_child = port_here(R.labels[i].name);
    }
}

static bool label_get(const char *label, mach_port_name_t *name)
{
    for (size_t i = 0; i < R.nlabels; i++)
        if (strcmp(R.labels[i].label, label) == 0) {
            *name = R.labels[i].name;
            return true;
        }
    return false;
}

static const char *label_of(mach_port_name_t name)
{
    for (size_t i = 0; i < R.nlabels; i++)
        if (R.labels[i].name == name)
            return R.labels[i].label;
    return "";
}

const char *run_verdict_name(run_verdict v)
{
    switch (v) {
    case VERDICT_OK: return "ok";
    case VERDICT_EXPECTATION_FAILED: return "expectation failed";
    case VERDICT_ABORT: return "simulated abort";
    case VERDICT_DEADLOCK: return "deadlock";
    case VERDICT_LIVELOCK: return "livelock";
    case VERDICT_DIVERGED: return "replay diverged";
    case VERDICT_UNMODELLED: return "unmodelled";
    }
    return "?";
}

/* --- snapshots ------------------------------------------------------------------------------ */

static const char *server_name(ktask_t *task)
{
    static const char *const names[] = {"proc", "auth", "fs", "term"};
    for (int i = 0; i < HURD_NSERVERS; i++) {
        sim_task *st = hurd_server_task((enum hurd_server)i);
        if (st != NULL && kern_ktask(st) == task)
            return names[i];
    }
    return NULL;
}

static void describe(ktask_t *self, const forksim_name *n, char *buf, size_t len)
{
    port_owner_t o;
    if (n->type & MACH_PORT_TYPE_PORT_SET) {
        snprintf(buf, len, "port set");
        return;
    }
    if (n->port == 0 || !port_owner(kern_world(), n->port, &o)) {
        snprintf(buf, len, "-");
        return;
    }
    if (!o.active) {
        snprintf(buf, len, "dead port");
    } else if (o.kobject_task != NULL) {
        sim_task *t = kern_sim_task(o.kobject_task);
        snprintf(buf, len, "task %d", t != NULL ? sim_task_id(t) : 0);
    } else if (o.kobject_thread != NULL) {
        /* A kernel thread outlives its simulated thread when the code returned without
         * terminating it (a failed task_terminate at exit): then only its task is known. */
        sim_thread *th = kern_sim_thread(o.kobject_thread);
        sim_task *t = kern_sim_task(kthread_task(o.kobject_thread));
        if (th != NULL)
            snprintf(buf, len, "thread %d.%d", sim_task_id(sim_thread_task(th)), sim_thread_id(th));
        else
            snprintf(buf, len, "ended thread of task %d", t != NULL ? sim_task_id(t) : 0);
    } else if (o.receiver != NULL) {
        const char *srv = server_name(o.receiver);
        sim_task *t = kern_sim_task(o.receiver);
        if (o.receiver == self)
            snprintf(buf, len, "own port");
        else if (srv != NULL)
            snprintf(buf, len, "port of %s", srv);
        else if (t != NULL && R.peer_id != 0 && sim_task_id(t) == R.peer_id)
            snprintf(buf, len, "port of the peer");
        else
            snprintf(buf, len, "port of task %d", t != NULL ? sim_task_id(t) : 0);
    } else {
        snprintf(buf, len, "port in transit");
    }
}

/* Clears a space but its names array (the last member): only names[0..n) are ever read, and
 * snapshot writes each of them whole. The array is 1.5 MB; zeroing three of them a run was
 * most of a sweep run's time (issue 11, item 4). */
_Static_assert(offsetof(run_space, names) + RUN_MAX_NAMES * sizeof(run_name) == sizeof(run_space),
               "names is run_space's last member");
static void space_reset(run_space *sp)
{
    memset(sp, 0, offsetof(run_space, names));
}

/* Clears a result but its bulk: the three spaces' names arrays and the texts of the messages
 * and findings, which are read only up to their counts. */
static void result_reset(run_result *r)
{
    struct bulk {
        size_t off, len;
    } bulk[] = {
        {offsetof(run_result, parent) + offsetof(run_space, names), sizeof r->parent.names},
        {offsetof(run_result, child) + offsetof(run_space, names), sizeof r->child.names},
        {offsetof(run_result, before_fork) + offsetof(run_space, names), sizeof r->before_fork.names},
        {offsetof(run_result, messages), sizeof r->messages},
        {offsetof(run_result, findings), sizeof r->findings},
    };
    size_t nb = sizeof bulk / sizeof bulk[0];
    for (size_t i = 1; i < nb; i++) /* by offset, whatever the member order */
        for (size_t j = i; j > 0 && bulk[j - 1].off > bulk[j].off; j--) {
            struct bulk t = bulk[j];
            bulk[j] = bulk[j - 1];
            bulk[j - 1] = t;
        }
    unsigned char *base = (unsigned char *)r;
    size_t at = 0;
    for (size_t i = 0; i < nb; i++) {
        memset(base + at, 0, bulk[i].off - at);
        at = bulk[i].off + bulk[i].len;
    }
    memset(base + at, 0, sizeof *r - at);
    r->messages[0][0] = '\0';
    r->findings[0][0] = '\0';
}

/* Each name is looked up and described in one step: at 100,000 names a second pass over the
 * ports missed the cache on every one (issue 11, item 6). */
static void snapshot(sim_task *task, run_space *sp)
{
    static mach_port_name_t names[RUN_MAX_NAMES];
    space_reset(sp);
    sp->taken = true;
    sp->task = sim_task_id(task);
    sp->total = ktask_names(kern_ktask(task), names, RUN_MAX_NAMES);
    sp->n = sp->total < RUN_MAX_NAMES ? sp->total : RUN_MAX_NAMES;
    for (size_t i = 0; i < sp->n; i++) {
        run_name *rn = &sp->names[i];
        forksim_name fn;
        forksim_name_info(task, names[i], &fn);
        rn->name = fn.name;
        rn->type = fn.dead && !(fn.type & MACH_PORT_TYPE_RECEIVE) ? MACH_PORT_TYPE_DEAD_NAME : fn.type;
        rn->urefs = fn.urefs;
        rn->port = fn.port;
        describe(kern_ktask(task), &fn, rn->denotes, sizeof rn->denotes);
        snprintf(rn->label, sizeof rn->label, "%s", label_of(rn->name));
    }
}

/* The running process's descriptor table (its image is in place), ports by serial. */
static void snapshot_fds(run_space *sp)
{
    ktask_t *task = kthread_task(kern_self());
    sp->nfds = 0;
    for (int i = 0; i < _hurd_dtablesize && i < RUN_MAX_FDS; i++) {
        run_fd *f = &sp->fds[i];
        memset(f, 0, sizeof *f);
        struct hurd_fd *d = _hurd_dtable != NULL ? _hurd_dtable[i] : NULL;
        if (d != NULL && d->port.port != MACH_PORT_NULL) {
            name_info_t info;
            f->open = true;
            f->port_name = d->port.port;
            f->ctty_name = d->ctty.port;
            f->port = space_peek(task, f->port_name, &info) ? info.port_id : 0;
            f->ctty = f->ctty_name != MACH_PORT_NULL && space_peek(task, f->ctty_name, &info)
                          ? info.port_id : 0;
            f->cloexec = (d->flags & FD_CLOEXEC) != 0;
        }
        sp->nfds = i + 1;
    }
}

/* --stop-at: both spaces as they are just before that trace line. */
static void stop_hook(void *arg)
{
    (void)arg;
    R.r->stopped = true;
    sim_task *p = R.parent_id ? sim_task_by_id(R.parent_id) : NULL;
    sim_task *c = R.child_id ? sim_task_by_id(R.child_id) : NULL;
    if (c == NULL) {
        /* a child task_create made but whose thread has not run yet */
        ktask_t *newest = world_newest_task(kern_world());
        sim_task *t = newest != NULL ? kern_sim_task(newest) : NULL;
        if (t != NULL && sim_task_id(t) > R.parent_id && !task_is_other(sim_task_id(t)))
            c = t;
    }
    if (p != NULL)
        snapshot(p, &R.r->parent);
    if (c != NULL)
        snapshot(c, &R.r->child);
}

/* --- the simulated programs ----------------------------------------------------------------- */

mach_port_t mach_task_self(void); /* the trap */

static void idle_thread(void *arg)
{
    (void)arg;
    sim_thread_set_daemon(sim_self(), true);
    for (;;)
        sim_block("an idle thread of the scenario");
}

static int peer_main(void *arg)
{
    (void)arg;
    sim_thread_set_daemon(sim_self(), true);
    for (;;)
        sim_block("the peer process, holding ports for the scenario");
    return 0;
}

static void ensure_peer(void)
{
    if (R.peer_name != MACH_PORT_NULL)
        return;
    sim_task *peer = sim_task_by_id(R.peer_id);
    if (peer == NULL)
        return;
    R.peer_name = world_give_task_port(kthread_task(kern_self()), kern_ktask(peer));
    kern_trace_note("scenario: the parent is given the peer's task port as %u", R.peer_name);
    label_set("peer", R.peer_name);
}

static bool ok(kern_return_t kr, int line, const char *what)
{
    if (kr != KERN_SUCCESS)
        failure("%s:%d: setting up %s failed: %s", R.s->path, line, what,
                mk_return_name(kr) ? mk_return_name(kr) : "error");
    return kr == KERN_SUCCESS;
}

/* A receive right whose receive half goes to the peer: *name keeps what the caller made. */
static void give_receive_to_peer(mach_port_name_t r, unsigned slot, int line)
{
    ensure_peer();
    ok(__mach_port_insert_right(R.peer_name, PEER_SLOT_BASE + slot, r, MACH_MSG_TYPE_MOVE_RECEIVE),
       line, "a port of the peer");
}

static void make_have(const scn_have *h, unsigned index)
{
    mach_port_t self = __mach_task_self_, n = MACH_PORT_NULL;
    switch (h->kind) {
    case HAVE_RECEIVE:
        if (!ok(__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &n), h->line, h->label))
            return;
        if (h->count > 0) {
            ok(__mach_port_insert_right(self, n, n, MACH_MSG_TYPE_MAKE_SEND), h->line, h->label);
            if (h->count > 1)
                ok(__mach_port_mod_refs(self, n, MACH_PORT_RIGHT_SEND, (int)h->count - 1), h->line,
                   h->label);
        }
        break;
    case HAVE_SEND:
        if (!ok(__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &n), h->line, h->label))
            return;
        ok(__mach_port_insert_right(self, n, n, MACH_MSG_TYPE_MAKE_SEND), h->line, h->label);
        if (h->count > 1)
            ok(__mach_port_mod_refs(self, n, MACH_PORT_RIGHT_SEND, (int)h->count - 1), h->line, h->label);
        give_receive_to_peer(n, index, h->line);
        break;
    case HAVE_SEND_ONCE: {
        mach_port_t r, so;
        mach_msg_type_name_t t;
        if (!ok(__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r), h->line, h->label))
            return;
        ok(__mach_port_extract_right(self, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t), h->line, h->label);
        give_receive_to_peer(r, index, h->line);
        n = so;
        break;
    }
    case HAVE_DEAD_NAME:
        if (!ok(__mach_port_allocate(self, MACH_PORT_RIGHT_DEAD_NAME, &n), h->line, h->label))
            return;
        if (h->count > 1)
            ok(__mach_port_mod_refs(self, n, MACH_PORT_RIGHT_DEAD_NAME, (int)h->count - 1), h->line,
               h->label);
        break;
    case HAVE_PORT_SET:
        ok(__mach_port_allocate(self, MACH_PORT_RIGHT_PORT_SET, &n), h->line, h->label);
        break;
    case HAVE_THREAD: {
        thread_t t;
        if (!ok(__thread_create(self, &t), h->line, "a thread"))
            return;
        struct machine_thread_state st;
        memset(&st, 0, sizeof st);
        char *stack = _hurd_malloc(16384);
        fi_tls *tls = sim_heap_calloc(1, sizeof *tls);
        MACHINE_THREAD_STATE_SET_PC(&st, (uintptr_t)idle_thread);
        st.SP = (uintptr_t)(stack + 16384);
        st.tls = (uintptr_t)tls;
        ok(__thread_set_state(t, MACHINE_THREAD_STATE_FLAVOR, (natural_t *)&st,
                              MACHINE_THREAD_STATE_COUNT), h->line, "a thread");
        ok(__thread_resume(t), h->line, "a thread");
        return;
    }
    case HAVE_NAMES:
        for (unsigned i = 0; h->names_of && i < h->count; i++) {
            /* one kind (issue 13, item 3): send rights and dead names with 1 uref; the peer's
             * slots after those of the mixed kinds below (at most 20000 * 8) */
            scn_have one = {.line = h->line, .kind = h->of, .count = 1};
            make_have(&one, SCN_MAX_ITEMS + 20001 * 8 + i);
        }
        for (unsigned i = 0; !h->names_of && i < h->count; i++) {
            scn_have one = {.line = h->line};
            static const scn_have_kind kinds[] = {HAVE_RECEIVE, HAVE_RECEIVE, HAVE_SEND, HAVE_SEND,
                                                  HAVE_DEAD_NAME, HAVE_SEND_ONCE, HAVE_PORT_SET};
            static const unsigned counts[] = {0, 2, 1, 3, 2, 0, 0};
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                one.kind = kinds[k];
                one.count = counts[k];
                make_have(&one, SCN_MAX_ITEMS + i * 8 + (unsigned)k);
            }
        }
        return;
    case HAVE_FD: {
        /* glibc's _hurd_intern_fd takes a send right (consumed): a new uref of the console's io
         * port (a terminal, so a ctty port unless O_IGNORE_CTTY), or of the root directory (no
         * terminal, no ctty). */
        mach_port_t port = h->tty ? _hurd_dtable[0]->port.port : _hurd_ports[INIT_PORT_CRDIR].port;
        int flags = (h->no_ctty ? O_IGNORE_CTTY : 0) | (h->cloexec ? O_CLOEXEC : 0);
        for (unsigned i = 0; i < (h->times ? h->times : 1); i++) {
            ok(__mach_port_mod_refs(self, port, MACH_PORT_RIGHT_SEND, 1), h->line, "a descriptor");
            if (_hurd_intern_fd(port, flags, 1) < 0) {
                failure("%s:%d: have fd: _hurd_intern_fd failed", R.s->path, h->line);
                return;
            }
        }
        return;
    }
    case HAVE_PEG: {
        mach_port_name_t name;
        mach_port_urefs_t refs = 0;
        if (!label_get(h->label, &name)) {
            failure("%s:%d: peg: no label '%s' yet", R.s->path, h->line, h->label);
            return;
        }
        ok(__mach_port_get_refs(self, name, MACH_PORT_RIGHT_SEND, &refs), h->line, "peg");
        if (refs > 0 && refs != h->count)
            ok(__mach_port_mod_refs(self, name, MACH_PORT_RIGHT_SEND, (int)h->count - (int)refs),
               h->line, "peg");
        return;
    }
    }
    if (h->label[0] != '\0')
        label_set(h->label, n);
}

static bool parse_right(const char *w, mach_port_right_t *right)
{
    static const char *const names[] = {"SEND", "RECEIVE", "SEND_ONCE", "PORT_SET", "DEAD_NAME"};
    for (mach_port_right_t i = 0; i < 5; i++)
        if (strcmp(w, names[i]) == 0) {
            *right = i;
            return true;
        }
    return false;
}

static bool parse_disposition(const char *w, mach_msg_type_name_t *t)
{
    static const char *const names[] = {"MOVE_RECEIVE", "MOVE_SEND", "MOVE_SEND_ONCE",
                                        "COPY_SEND", "MAKE_SEND", "MAKE_SEND_ONCE"};
    for (unsigned i = 0; i < 6; i++)
        if (strcmp(w, names[i]) == 0) {
            *t = MACH_MSG_TYPE_MOVE_RECEIVE + i;
            return true;
        }
    return false;
}

/* A name argument: a label, a number, or MACH_PORT_NULL / MACH_PORT_DEAD. */
static bool name_arg(const char *w, mach_port_name_t *name)
{
    if (label_get(w, name))
        return true;
    if (strcmp(w, "MACH_PORT_NULL") == 0 || strcmp(w, "MACH_PORT_DEAD") == 0) {
        *name = strcmp(w, "MACH_PORT_NULL") == 0 ? MACH_PORT_NULL : MACH_PORT_DEAD;
        return true;
    }
    char *end;
    unsigned long v = strtoul(w, &end, 0);
    if (*end != '\0' || w[0] == '\0')
        return false;
    *name = (mach_port_name_t)v;
    return true;
}

/* The stubs of mach_stubs.h that glibc's code does not call, so the shim does not declare. */
kern_return_t __mach_ports_register(mach_port_t task, mach_port_t *ports,
                                    mach_msg_type_number_t count);
kern_return_t __mach_ports_lookup(mach_port_t task, mach_port_t **ports,
                                  mach_msg_type_number_t *count);

static void bad_arg(const scn_step *st, const char *what)
{
    failure("%s:%d: rpc %s: %s", R.s->path, st->line, st->routine, what);
}

static void run_rpc(const scn_step *st)
{
    int nargs = st->nargs;
    mach_port_t task = __mach_task_self_;
    if (nargs >= 2 && strcmp(st->args[nargs - 2], "in") == 0) {
        if (!name_arg(st->args[nargs - 1], &task))
            return bad_arg(st, "unknown task label");
        nargs -= 2;
    }
    const char (*a)[SCN_MAX_LABEL] = st->args;
    const char *r = st->routine;
    kern_return_t kr;
    mach_port_name_t n, p;
    mach_port_right_t right;
    mach_msg_type_name_t disp;
    int delta;
    if (strcmp(r, "mach_port_mod_refs") == 0) {
        if (nargs != 3 || !name_arg(a[0], &n) || !parse_right(a[1], &right) ||
            sscanf(a[2], "%d", &delta) != 1)
            return bad_arg(st, "NAME RIGHT DELTA [in TASK]");
        kr = __mach_port_mod_refs(task, n, right, delta);
    } else if (strcmp(r, "mach_port_deallocate") == 0 || strcmp(r, "mach_port_destroy") == 0) {
        if (nargs != 1 || !name_arg(a[0], &n))
            return bad_arg(st, "NAME [in TASK]");
        kr = strcmp(r, "mach_port_deallocate") == 0 ? __mach_port_deallocate(task, n)
                                                    : __mach_port_destroy(task, n);
    } else if (strcmp(r, "mach_port_get_refs") == 0) {
        mach_port_urefs_t refs;
        if (nargs != 2 || !name_arg(a[0], &n) || !parse_right(a[1], &right))
            return bad_arg(st, "NAME RIGHT [in TASK]");
        kr = __mach_port_get_refs(task, n, right, &refs);
    } else if (strcmp(r, "mach_port_allocate_name") == 0) {
        if (nargs != 2 || !parse_right(a[0], &right) || !name_arg(a[1], &n))
            return bad_arg(st, "RIGHT NAME [in TASK]");
        kr = __mach_port_allocate_name(task, right, n);
    } else if (strcmp(r, "mach_port_insert_right") == 0) {
        if (nargs != 3 || !name_arg(a[0], &n) || !name_arg(a[1], &p) || !parse_disposition(a[2], &disp))
            return bad_arg(st, "NAME POLY DISPOSITION [in TASK]");
        kr = __mach_port_insert_right(task, n, p, disp);
    } else if (strcmp(r, "mach_port_allocate") == 0) {
        if (nargs != 2 || !parse_right(a[0], &right))
            return bad_arg(st, "RIGHT LABEL [in TASK]");
        kr = __mach_port_allocate(task, right, &n);
        if (kr == KERN_SUCCESS)
            label_set(a[1], n);
    } else if (strcmp(r, "mach_thread_self") == 0 || strcmp(r, "mach_task_self") == 0) {
        if (nargs != 1)
            return bad_arg(st, "LABEL");
        n = strcmp(r, "mach_thread_self") == 0 ? __mach_thread_self() : mach_task_self();
        label_set(a[0], n);
        kr = KERN_SUCCESS;
    } else if (strcmp(r, "task_create") == 0) {
        if (nargs != 1)
            return bad_arg(st, "LABEL [in PARENT]");
        kr = __task_create(task, 0, &n);
        if (kr == KERN_SUCCESS)
            label_set(a[0], n);
    } else if (strcmp(r, "task_terminate") == 0) {
        if (nargs != 1 || !name_arg(a[0], &n))
            return bad_arg(st, "TASK");
        kr = __task_terminate(n);
    } else if (strcmp(r, "thread_create") == 0) {
        if (nargs != 1)
            return bad_arg(st, "LABEL [in TASK]");
        kr = __thread_create(task, &n);
        if (kr == KERN_SUCCESS)
            label_set(a[0], n);
    } else if (strcmp(r, "mach_ports_register") == 0) {
        mach_port_t ports[5];
        for (int i = 0; i < nargs; i++)
            if (i >= 5 || !name_arg(a[i], &ports[i]))
                return bad_arg(st, "NAME... (0 to 5) [in TASK]");
        kr = __mach_ports_register(task, ports, (mach_msg_type_number_t)nargs);
    } else if (strcmp(r, "mach_ports_lookup") == 0) {
        /* PR6: the slots arrive out of line, in new memory of this task, which it frees */
        mach_port_t *ports = NULL;
        mach_msg_type_number_t count = 0;
        kr = __mach_ports_lookup(task, &ports, &count);
        if (kr == KERN_SUCCESS) {
            if (count != (mach_msg_type_number_t)nargs)
                failure("%s:%d: rpc mach_ports_lookup: %u slots returned, the step names %d",
                        R.s->path, st->line, count, nargs);
            for (int i = 0; i < nargs && (mach_msg_type_number_t)i < count; i++)
                label_set(a[i], ports[i]);
            __vm_deallocate(__mach_task_self_, (vm_address_t)ports, count * sizeof *ports);
        }
    } else {
        return bad_arg(st, "not supported");
    }
    if (st->has_expect && kr != st->expect_code) {
        const char *want = mk_return_name(st->expect_code), *got = mk_return_name(kr);
        failure("%s:%d: rpc %s: expected %s, got %s", R.s->path, st->line, r,
                want ? want : "?", got ? got : "?");
    }
}

static int run_steps(scn_who who, size_t from);

/* The steps of who from the index from on; one: only the step from (a handler's action,
 * whatever its who), and no snapshot after it. */
static int run_steps_from(scn_who who, size_t from, bool one)
{
    for (size_t i = from; i < R.s->nsteps; i++) {
        const scn_step *st = &R.s->steps[i];
        if (one && i != from)
            return 0;
        if (!one && (st->who != who || st->handler_body))
            continue;
        switch (st->kind) {
        case STEP_FORK: {
            if (R.r->fork_step == 0)
                R.r->fork_step = sim_steps();
            snapshot(sim_task_self(), &R.r->before_fork);
            snapshot_fds(&R.r->before_fork);
            int as = st->nargs == 1 ? scn_process_find(R.s, st->args[0]) : -1;
            if (as >= 0 && R.proc_task[as] == 0)
                R.proc_fork_floor[as] = task_id_newest();
            pid_t pid = st->vfork ? fi_vfork() : fi_fork();
            if (R.r->nfork_returns < RUN_MAX_FORK_RETURNS)
                R.r->fork_returns[R.r->nfork_returns++] = (run_fork_return){
                    sim_task_id(sim_task_self()), pid, pid < 0 ? fi_self_tls()->err : 0};
            int named = st->nargs == 1 ? scn_process_find(R.s, st->args[0]) : -1;
            if (named >= 0 && pid != 0 && R.proc_fork_floor[named] != 0) {
                /* back in the parent (or failed): NAME's task is known now, or never will be */
                (void)named_task(named);
                R.proc_fork_floor[named] = 0;
            }
            if (pid == 0) {
                child_names_at_fork();
                R.child_id = sim_task_id(sim_task_self());
                if (named >= 0)
                    named_known(named, 0, R.child_id);
                labels_child_start();
                return run_steps(WHO_CHILD, 0);
            }
            if (pid < 0 && R.parent_id != 0 && sim_task_id(sim_task_self()) != R.parent_id) {
                /* The child's own part of fork failed (proc_getpids, its signal thread's
                 * resume): fork returned -1 in the child, which now takes itself for the
                 * parent. The parent's steps are the parent's: the child's end here. */
                child_names_at_fork();
                R.child_id = sim_task_id(sim_task_self());
                snapshot(sim_task_self(), &R.r->child);
                return 0;
            }
            if (pid < 0) {
                R.fork_failed = true;
                int err = errno; /* the simulated thread's (forkimpl's errno) */
                if (st->has_errno && err != st->expect_code) {
                    const char *want = mk_return_name(st->expect_code), *got = mk_return_name(err);
                    if (want == NULL)
                        want = hurd_errno_name(st->expect_code);
                    if (got == NULL)
                        got = hurd_errno_name(err);
                    failure("%s:%d: fork failed with errno %s, expected %s", R.s->path, st->line,
                            got ? got : "?", want ? want : "?");
                }
                if (!(st->has_expect && st->expect_value == 0))
                    failure("%s:%d: fork failed", R.s->path, st->line);
            } else {
                last_child = pid;
                R.r->child_pid = pid;
                if (named >= 0)
                    named_known(named, pid, 0);
                if (st->has_expect && st->expect_value == 0)
                    failure("%s:%d: fork succeeded, expected an error", R.s->path, st->line);
            }
            break;
        }
        case STEP_EXIT:
            if (!R.r->stopped && who <= WHO_CHILD) {
                run_space *sp = who == WHO_PARENT ? &R.r->parent : &R.r->child;
                snapshot(sim_task_self(), sp);
                snapshot_fds(sp);
            }
            return st->expect_value;
        case STEP_WAIT: {
            int status = 0;
            kern_return_t kr;
            if (st->untraced) { /* wait untraced -> stopped SIG: glibc's waitpid (WUNTRACED) */
                int sigcode = 0;
                pid_t got = 0;
                rusage_t ru;
                kr = __proc_wait(_hurd_ports[INIT_PORT_PROC].port, last_child, HURD_WUNTRACED,
                                 &status, &sigcode, &ru, &got);
            } else {
                kr = forksim_wait(st->nargs == 1 ? target_pid(st->args[0], false) : last_child,
                                  &status);
            }
            if (st->untraced && kr == KERN_SUCCESS) {
                if (status != HURD_W_STOPCODE(st->expect_value))
                    failure("%s:%d: wait: expected a stop by signal %s, got status 0x%x", R.s->path,
                            st->line, fi_signal_name(st->expect_value), (unsigned)status);
            } else if (st->has_errno) { /* wait -> error CODE */
                if (kr != st->expect_code)
                    failure("%s:%d: wait: expected the error %s, got %s", R.s->path, st->line,
                            hurd_errno_name(st->expect_code) ? hurd_errno_name(st->expect_code) : "?",
                            kr == KERN_SUCCESS ? "success"
                            : hurd_errno_name(kr) ? hurd_errno_name(kr) : "another error");
            } else if (kr != KERN_SUCCESS)
                failure("%s:%d: wait failed: %s", R.s->path, st->line,
                        hurd_errno_name(kr) ? hurd_errno_name(kr) : "error");
            else if (st->has_expect && st->by_signal && status != st->expect_value)
                failure("%s:%d: wait: expected the end by signal %s, got status 0x%x", R.s->path,
                        st->line, fi_signal_name(st->expect_value), (unsigned)status);
            else if (st->has_expect && !st->by_signal && status != (st->expect_value << 8))
                failure("%s:%d: wait: expected exit status %d, got status 0x%x", R.s->path,
                        st->line, st->expect_value, (unsigned)status);
            break;
        }
        case STEP_YIELD:
            sim_yield("scenario yield");
            break;
        case STEP_KILL: {
            /* glibc's kill (kill.c): proc_getmsgport, proc_pid2task, msg_sig_post (P12) */
            pid_t pid = target_pid(st->args[0], true);
            if (pid == 0 && (who >= WHO_NAMED || strcmp(st->args[0], "child") != 0)) {
                /* kill (0) would be the process group: a named process's kill to a child that
                 * is not there, or a name whose pid never came */
                failure("%s:%d: kill %s to %s: no pid for it", R.s->path, st->line,
                        fi_signal_name(st->signo), st->args[0]);
                break;
            }
            int err = fi_kill(pid, st->signo);
            if (err != 0)
                failure("%s:%d: kill %s to %s (pid %d): %s", R.s->path, st->line,
                        fi_signal_name(st->signo), st->args[0], (int)pid,
                        hurd_errno_name(err) ? hurd_errno_name(err) : "error");
            break;
        }
        case STEP_HANDLER: {
            fi_sig_act act = strcmp(st->routine, "record") == 0   ? FI_ACT_RECORD
                             : strcmp(st->routine, "ignore") == 0 ? FI_ACT_IGNORE
                             : strcmp(st->routine, "exit") == 0   ? FI_ACT_EXIT
                             : strcmp(st->routine, "do") == 0     ? FI_ACT_DO
                                                                  : FI_ACT_DEFAULT;
            int err = fi_signal_action(st->signo, act, st->expect_value);
            if (err != 0)
                failure("%s:%d: handler %s: sigaction failed: %s", R.s->path, st->line,
                        fi_signal_name(st->signo),
                        hurd_errno_name(err) ? hurd_errno_name(err) : "error");
            break;
        }
        case STEP_PAUSE:
            fi_pause();
            break;
        case STEP_EXEC: {
            /* glibc's execve (hurdexec.c): on success this thread is gone with its program */
            int err = fi_exec(st->args[0]);
            if (!st->has_expect)
                failure("%s:%d: exec %s failed: %s", R.s->path, st->line, st->args[0],
                        hurd_errno_name(err) ? hurd_errno_name(err) : "error");
            else if (err != st->expect_code)
                failure("%s:%d: exec %s failed with %s, expected %s", R.s->path, st->line,
                        st->args[0], hurd_errno_name(err) ? hurd_errno_name(err) : "?",
                        hurd_errno_name(st->expect_code) ? hurd_errno_name(st->expect_code) : "?");
            break;
        }
        case STEP_SPAWN: {
            /* glibc's posix_spawn (spawni.c): the child is the last child, for wait and kill */
            _Static_assert(SCN_SPAWN_RESETIDS == FI_SPAWN_RESETIDS &&
                           SCN_SPAWN_SETPGROUP == FI_SPAWN_SETPGROUP &&
                           SCN_SPAWN_SETSIGDEF == FI_SPAWN_SETSIGDEF &&
                           SCN_SPAWN_SETSIGMASK == FI_SPAWN_SETSIGMASK &&
                           SCN_MAX_SPAWN_ACTIONS <= FI_SPAWN_MAX_ACTIONS, "spawn flags");
            const scn_spawn *sp = &R.s->spawns[st->expect_value];
            fi_spawn_request req;
            memset(&req, 0, sizeof req);
            req.path = st->args[0];
            for (unsigned a = 0; a < sp->nactions; a++) {
                req.actions[a].kind = sp->actions[a].kind == 'o'   ? FI_SPAWN_OPEN
                                      : sp->actions[a].kind == 'c' ? FI_SPAWN_CLOSE
                                                                   : FI_SPAWN_DUP2;
                req.actions[a].fd = sp->actions[a].fd;
                req.actions[a].newfd = sp->actions[a].newfd;
                snprintf(req.actions[a].path, sizeof req.actions[a].path, "%s",
                         sp->actions[a].path);
            }
            req.nactions = sp->nactions;
            req.flags = sp->flags;
            req.sigmask = sp->sigmask;
            req.sigdefault = sp->sigdefault;
            req.pgroup = sp->pgroup;
            pid_t pid = 0;
            int err = fi_posix_spawn(&req, &pid);
            const char *got = err == 0 ? "success" : hurd_errno_name(err);
            if (err == 0) {
                last_child = pid;
                R.r->child_pid = pid;
            }
            if (!st->has_expect && err != 0)
                failure("%s:%d: spawn %s failed: %s", R.s->path, st->line, st->args[0],
                        got ? got : "error");
            else if (st->has_expect && err != st->expect_code)
                failure("%s:%d: spawn %s: expected %s, got %s", R.s->path, st->line,
                        st->args[0],
                        hurd_errno_name(st->expect_code) ? hurd_errno_name(st->expect_code) : "?",
                        got ? got : "another error");
            break;
        }
        case STEP_MASK: {
            int err = fi_signal_block(st->signo, strcmp(st->routine, "block") == 0);
            if (err != 0)
                failure("%s:%d: %s %s: sigprocmask failed", R.s->path, st->line, st->routine,
                        fi_signal_name(st->signo));
            break;
        }
        case STEP_RPC:
            run_rpc(st);
            break;
        }
    }
    if (!R.r->stopped && !one && who <= WHO_CHILD) {
        run_space *sp = who == WHO_PARENT ? &R.r->parent : &R.r->child;
        snapshot(sim_task_self(), sp);
        snapshot_fds(sp);
    }
    return 0;
}

static int run_steps(scn_who who, size_t from)
{
    return run_steps_from(who, from, false);
}

/* "handler SIG do ACTION": glibc's trampoline stand-in (forkimpl/sigrt.c) has called the
 * scenario's handler (forkimpl/sigapi.c) on the thread that took the signal, on its stack,
 * before sigreturn; the handler calls this with the action's step. */
static void handler_action(int signo, int index, int depth, void *arg)
{
    (void)arg;
    const scn_step *st = &R.s->steps[index];
    int task = sim_task_id(sim_task_self());
    kern_trace_note("handler SIG%s on t%d (depth %d): line %d's action begins", fi_signal_name(signo),
                    task, depth, st->line);
    run_steps_from(st->who, (size_t)index, true);
    /* an exec that succeeded does not come back here */
    kern_trace_note("handler SIG%s on t%d (depth %d): line %d's action ends", fi_signal_name(signo),
                    task, depth, st->line);
}

/* The main program of a process NAME: it learns its pid (the runner hands it to senders),
 * then runs its steps; its return is its exit status. */
static int named_main(void *arg)
{
    int k = (int)(uintptr_t)arg;
    if (R.s->procs[k].daemon)
        sim_thread_set_daemon(sim_self(), true);
    named_known(k, _hurd_pid, sim_task_id(sim_task_self()));
    kern_trace_note("scenario: process %s is t%d, pid %d", R.s->procs[k].name,
                    sim_task_id(sim_task_self()), (int)_hurd_pid);
    return run_steps((scn_who)(WHO_NAMED + k), 0);
}

/* "at rpc N insert NAME into child same|other": another actor (a task holding rights to the
 * child's task, as the proc server does) puts a send right under NAME into the newest child:
 * the parent's own right under NAME (same), or a right to a port of the peer (other). */
SIM_WORLD_STATE static struct insert_action {
    char label[SCN_MAX_LABEL];
    bool same;
} insert_actions[KERN_MAX_FAULTS];

static void insert_into_child(void *arg)
{
    const struct insert_action *a = arg;
    /* The parent and the peer may have ended before this RPC (an abort, a task_terminate
     * step): looked up by id, here and now. */
    sim_task *parent = R.parent_id != 0 ? sim_task_by_id(R.parent_id) : NULL;
    sim_task *peer = R.peer_id != 0 ? sim_task_by_id(R.peer_id) : NULL;
    ktask_t *child = world_newest_task(kern_world()); /* the child task_create just made */
    if (child != NULL && parent != NULL && child == kern_ktask(parent))
        child = NULL;
    mach_port_name_t name;
    if (child == NULL || parent == NULL || !label_get(a->label, &name)) {
        kern_trace_note("actor: no child to insert %s into", a->label);
        return;
    }
    kern_return_t kr;
    if (a->same) {
        kr = world_insert_right(child, name, kern_ktask(parent), name, MACH_MSG_TYPE_COPY_SEND);
    } else if (peer != NULL) {
        mach_port_name_t peer_port = PEER_SLOT_BASE + SCN_MAX_ITEMS * 64;
        kr = world_insert_right(child, name, kern_ktask(peer), peer_port, MACH_MSG_TYPE_MAKE_SEND);
    } else {
        kr = KERN_INVALID_TASK; /* the peer, holder of the other port, has ended */
    }
    kern_trace_note("actor: inserts %s a send right under %u (%s) into task %d: %s",
                    a->same ? "the parent's own" : "another port's", name, a->label,
                    kern_sim_task(child) != NULL ? sim_task_id(kern_sim_task(child)) : 0, mk_return_name(kr) ? mk_return_name(kr) : "?");
}

/* Which of the scenario's processes a task is: the parent, one of its children (tasks made
 * after it, but the peer), or neither (a server, the peer). */
static scn_proc proc_of_task(int task_id)
{
    if (task_id == R.parent_id)
        return PROC_PARENT;
    if (R.parent_id != 0 && task_id > R.parent_id && !task_is_other(task_id))
        return PROC_CHILD;
    return PROC_OURS; /* neither */
}

/* A fault plan's further conditions for an anchor by meaning (scenario.h, scn_anchor): the
 * routine is the kernel's own test; this one checks the process, the label and the site. */
static bool anchor_match(const kern_rpc *rpc, void *arg)
{
    const scn_anchor *a = arg;
    sim_thread *th = kern_sim_thread(rpc->self);
    int task = th != NULL ? sim_task_id(sim_thread_task(th)) : 0;
    scn_proc who = task != 0 ? proc_of_task(task) : PROC_OURS;
    if (a->proc == PROC_NAMED) { /* in NAME: a call NAME's own task makes */
        int k = scn_process_find(R.s, a->proc_name);
        if (k < 0 || task == 0 || named_task(k) != task)
            return false;
    } else if (who == PROC_OURS || (a->proc != PROC_OURS && a->proc != who)) {
        return false;
    }
    if (a->label[0] != '\0') {
        mach_port_name_t name;
        bool on = false;
        if (!label_get(a->label, &name))
            return false;
        for (int i = 0; i < rpc->nnames && !on; i++)
            on = rpc->names[i] == name;
        if (!on)
            return false;
    }
    /* the site through the lookup forksim --sites shows */
    return a->text[0] == '\0' || fi_source_site_has(rpc->site, a->text);
}

static bool event_kill(const char *arg);

/* "before|after CALL kill SIG to child|parent": the killer is given the kill at that point
 * (an anchored "anywhere kill"); it sends it when the scheduler next runs it. */
static void kill_at_anchor(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    char what[64];
    const char *to = R.s->fault_kill_to[i][0] != '\0' ? R.s->fault_kill_to[i]
                     : R.s->fault_kill_child[i]    ? "child"
                                                   : "parent";
    snprintf(what, sizeof what, "%d %s", R.s->fault_kill_sig[i], to);
    if (R.killer_thread == 0 && R.nkills < sizeof R.kill_sig / sizeof R.kill_sig[0]) {
        /* the killer has not run yet: it finds the kill queued when it first does */
        R.kill_sig[R.nkills] = R.s->fault_kill_sig[i];
        snprintf(R.kill_to[R.nkills], SCN_MAX_LABEL, "%s", to);
        R.nkills++;
        kern_trace_note("event: the killer is to send SIG%s to %s%s",
                        fi_signal_name(R.s->fault_kill_sig[i]),
                        scn_process_find(R.s, to) >= 0 ? "" : "the ", to);
    } else if (!event_kill(what)) {
        kern_trace_note("event: no killer to send SIG%s", fi_signal_name(R.s->fault_kill_sig[i]));
    }
}

/* "before proc_ROUTINE ... delay reply MS": proc answers that request MS ms late, under its
 * global lock (sim/hurd/servers.h, hurd_server_delay_locked). */
static void delay_at_anchor(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    int rc = hurd_proc_delay_reply(R.s->anchors[i].routine, R.s->fault_delay_ms[i]);
    kern_trace_note("event: proc is to answer %s %u ms late%s", R.s->anchors[i].routine,
                    R.s->fault_delay_ms[i], rc == 0 ? "" : ": no such proc routine");
}

/* The fault plan of R.s, as the kernel glue takes it; returns whether it needs call sites. */
static bool faults_build(kern_fault faults[KERN_MAX_FAULTS])
{
    memcpy(faults, R.s->faults, KERN_MAX_FAULTS * sizeof faults[0]);
    bool need_sites = false;
    for (unsigned i = 0; i < R.s->nfaults; i++) {
        if (R.s->anchors[i].meaning) {
            faults[i].match = anchor_match;
            faults[i].match_arg = (void *)&R.s->anchors[i];
            faults[i].after = R.s->anchors[i].after;
            need_sites |= R.s->anchors[i].text[0] != '\0';
        }
        if (faults[i].kind == KF_CALL && R.s->fault_delay_ms[i] != 0) {
            faults[i].call = delay_at_anchor;
            faults[i].call_arg = (void *)(uintptr_t)i;
            continue;
        }
        if (faults[i].kind == KF_CALL && R.s->fault_kill_sig[i] != 0) {
            faults[i].call = kill_at_anchor;
            faults[i].call_arg = (void *)(uintptr_t)i;
            continue;
        }
        if (faults[i].kind == KF_CALL) {
            snprintf(insert_actions[i].label, SCN_MAX_LABEL, "%s", R.s->fault_labels[i]);
            insert_actions[i].same = R.s->fault_insert_same[i];
            faults[i].call = insert_into_child;
            faults[i].call_arg = &insert_actions[i];
            continue;
        }
        if (faults[i].kind != KF_PORT_DEATH)
            continue;
        /* Port deaths named by label: the peer's name for that port. */
        faults[i].task_id = R.peer_id;
        for (size_t h = 0; h < R.s->nhaves; h++)
            if (strcmp(R.s->haves[h].label, R.s->fault_labels[i]) == 0)
                faults[i].name = PEER_SLOT_BASE + (mach_port_name_t)h;
    }
    return need_sites;
}

static int parent_main(void *arg)
{
    (void)arg;
    R.parent_id = sim_task_id(sim_task_self());
    R.parent_pid = _hurd_pid;
    label_set("task-self", __mach_task_self_);
    label_set("thread-self", fi_self_thread_name());
    label_set("sigthread", _hurd_msgport_thread);
    label_set("proc", _hurd_ports[INIT_PORT_PROC].port);
    label_set("msgport", _hurd_msgport);
    for (size_t i = 0; i < R.s->nhaves; i++)
        make_have(&R.s->haves[i], (unsigned)i);
    /* The "other" right an insert action uses: a receive right of the peer's. */
    bool wants_other = false;
    for (unsigned i = 0; i < R.s->nfaults; i++)
        wants_other |= R.s->faults[i].kind == KF_CALL && R.s->fault_kill_sig[i] == 0 &&
                       R.s->fault_delay_ms[i] == 0 && !R.s->fault_insert_same[i];
    if (wants_other) {
        mach_port_t r;
        ok(__mach_port_allocate(__mach_task_self_, MACH_PORT_RIGHT_RECEIVE, &r), 0, "an actor's port");
        give_receive_to_peer(r, SCN_MAX_ITEMS * 64, 0);
    }
    kern_fault faults[KERN_MAX_FAULTS];
    bool need_sites = faults_build(faults);
    /* Faults count RPCs from here: the scenario's RPC numbers start after the set-up. */
    kern_need_sites(need_sites);
    kern_set_faults(faults, R.s->nfaults);
    R.steps_begun = true;
    kern_trace_note("scenario: set-up done; the scenario's steps begin");
    return run_steps(WHO_PARENT, 0);
}

/* --- --explain ------------------------------------------------------------------------------ */

static bool label_is(const char *label, mach_port_name_t name)
{
    mach_port_name_t n;
    return name != MACH_PORT_NULL && label_get(label, &n) && n == name;
}

/* The note for one RPC of the parent or a child, from what its arguments denote now that it
 * has ended (the caller's and the target task's spaces), and who made it. glibc's _Fork.c
 * makes each call at one place for one purpose; the arguments tell the places apart where a
 * routine alone does not (thread_resume: the parent's own signal thread in resume_threads,
 * the child's main thread at the end, the child's signal thread in the child). */
static void explain_rpc(const kern_rpc_note *n, char *buf, size_t len)
{
    const char *r = n->routine;
    bool child = proc_of_task(n->task) == PROC_CHILD;
    kthread_t *self = kern_self();
    ktask_t *space = self != NULL ? kthread_task(self) : NULL;
    unsigned a0 = 0, a1 = 0, a2 = 0;
    char word[40] = "";
    sscanf(n->args, "%u, %u, %u", &a0, &a1, &a2);
    buf[0] = '\0';
    if (!strcmp(r, "thread_resume") || !strcmp(r, "thread_abort") || !strcmp(r, "thread_get_state")) {
        kthread_t *t = space != NULL ? kthread_by_name(space, a0) : NULL;
        bool own = t != NULL && kthread_task(t) == space;
        bool sig = own && label_is("sigthread", a0);
        if (!strcmp(r, "thread_abort"))
            snprintf(buf, len, sig ? "this process's stopped signal thread is pulled out of its kernel call"
                                   : "a stopped thread is pulled out of its kernel call");
        else if (!strcmp(r, "thread_get_state"))
            snprintf(buf, len, sig ? "this process's signal thread's registers: the base of the child's threads'"
                                   : "a thread's registers");
        else if (sig && child)
            snprintf(buf, len, "the child starts its own signal thread: from now on it answers signals");
        else if (sig)
            snprintf(buf, len, "this process's own signal thread runs again (proc_dostop had stopped it)");
        else if (own)
            snprintf(buf, len, "another thread of this process runs again (proc_dostop had stopped it)");
        else if (t != NULL)
            snprintf(buf, len, "the child's main thread runs: the child starts, and fork returns 0 in it");
        return;
    }
    if (!strcmp(r, "thread_create")) {
        if (label_is("task-self", a0)) {
            snprintf(buf, len, "a new thread of this process");
            return;
        }
        R.threads_created++;
        snprintf(buf, len, R.threads_created == 1 ? "the child's main thread, made suspended (it will return from fork)"
                           : R.threads_created == 2 ? "the child's signal thread, made suspended"
                                                    : "a thread of the child, made suspended");
        return;
    }
    if (!strcmp(r, "thread_set_state")) {
        snprintf(buf, len, strstr(n->outs, "longjmp") ? "the child's main thread will return 1 from fork's setjmp"
                           : strstr(n->outs, "function") ? "the child's signal thread will start in its message loop"
                                                         : "a thread's registers are set");
        return;
    }
    if (!strcmp(r, "task_create")) {
        R.threads_created = 0;
        snprintf(buf, len, "the child task: a copy of this memory, an empty name space");
        return;
    }
    if (!strcmp(r, "mach_port_insert_right")) {
        ktask_t *target = space != NULL ? ktask_by_name(space, a0) : NULL;
        name_info_t info;
        port_owner_t o;
        if (n->kr == KERN_NAME_EXISTS)
            snprintf(buf, len, "the child already holds a right under this name: refused");
        else if (n->kr != KERN_SUCCESS)
            snprintf(buf, len, "the right does not go into the child");
        else if (target == NULL || target == space || !space_peek(target, a1, &info) ||
                 !port_owner(kern_world(), info.port_id, &o))
            snprintf(buf, len, "a send right inserted under this name");
        else if (kern_sim_task(target) == NULL ||
                 proc_of_task(sim_task_id(kern_sim_task(target))) != PROC_CHILD)
            snprintf(buf, len, "a right put into another task's name space (task %d)",
                     kern_sim_task(target) != NULL ? sim_task_id(kern_sim_task(target)) : 0);
        else if (o.kobject_task == target)
            snprintf(buf, len, "the child's own task port, under the name this process uses for its own");
        else if (o.kobject_thread != NULL && kthread_task(o.kobject_thread) == target)
            snprintf(buf, len, label_is("thread-self", a1) ? "the child's main thread, under the name of this process's main thread"
                               : label_is("sigthread", a1) ? "the child's signal thread, under the name of this process's signal thread"
                                                           : "a thread of the child, under this name");
        else if (o.receiver == target)
            snprintf(buf, len, "a send right to the child's own new port (its receive right has this name)");
        else if (label_is("proc", a1))
            snprintf(buf, len, "the child's own proc port, under this process's proc name");
        else if (a1 == a2)
            snprintf(buf, len, "this process's send right, copied into the child under the same name");
        else
            snprintf(buf, len, "a send right into the child, under this name");
        return;
    }
    if (!strcmp(r, "mach_port_mod_refs")) {
        snprintf(buf, len, label_is("thread-self", a1) ? "the child's main-thread name gets this process's other user references"
                           : label_is("sigthread", a1) ? "the child's signal-thread name gets this process's other user references"
                                                       : "the child gets as many user references as this process has");
        return;
    }
    if (!strcmp(r, "mach_port_allocate_name") || !strcmp(r, "mach_port_extract_right")) {
        if (!strcmp(r, "mach_port_allocate_name"))
            sscanf(n->args, "%*u, %39[A-Z_], %u", word, &a2); /* task, right, name */
        else
            sscanf(n->args, "%*u, %*u, %39[A-Z_]", word);     /* task, name, disposition */
        if (!strcmp(r, "mach_port_allocate_name"))
            snprintf(buf, len, !strcmp(word, "RECEIVE") ? "a new port of the child's own, under the same name"
                               : !strcmp(word, "DEAD_NAME") ? (label_is("thread-self", a2) || label_is("sigthread", a2)
                                                                   ? "a dead-name placeholder, so the name stays free for the child's thread port"
                                                                   : "a dead name in the child, as this process has one")
                                                            : "a name allocated in the child");
        else
            snprintf(buf, len, !strcmp(word, "MAKE_SEND") ? "a send right to the child's new port"
                               : !strcmp(word, "MAKE_SEND_ONCE") ? "a send-once right to the child's new port"
                                                                 : "the right the child holds under this name, to compare with this process's");
        return;
    }
    if (!strcmp(r, "mach_port_deallocate")) {
        bool in_child = space != NULL && a0 != MACH_PORT_NULL && !label_is("task-self", a0);
        snprintf(buf, len, in_child && (label_is("thread-self", a1) || label_is("sigthread", a1))
                               ? "the placeholder dead name goes, so the child's thread port can take the name"
                           : child ? "in the child: a reference given back"
                                   : "a reference this fork took is given back");
        return;
    }
    if (!strcmp(r, "task_terminate")) {
        snprintf(buf, len, label_is("task-self", a0) ? "the process ends (_exit)"
                                                     : "the half-built child task is terminated: fork failed");
        return;
    }
    static const struct {
        const char *routine, *note;
    } plain[] = {
        {"proc_dostop", "the proc server stops this process's other threads while it is copied"},
        {"mach_port_names", "every name this process holds, with its rights: what must be copied"},
        {"task_threads", "this process's threads: their names are not copied (+1 uref each, F1)"},
        {"proc_task2proc", "the child's own proc port, from the proc server"},
        {"mach_port_get_refs", "how many user references this process holds under the name"},
        {"proc_setmsgport", "the child's message port, registered with the proc server"},
        {"task_set_special_port", "the child's message port is also its exception port"},
        {"proc_get_arg_locations", "where this process's argv and envp are..."},
        {"proc_set_arg_locations", "...are the child's too (it has the same memory)"},
        {"proc_task2pid", "the child's pid"},
        {"proc_child", "the proc server makes it this process's child: now a POSIX process"},
        {"vm_deallocate", "an array mach_port_names or task_threads returned is freed"},
        {"proc_getpids", "in the child: its own pid and its parent's"},
        {"term_open_ctty", "in the child: the fd table re-opens the controlling terminal with its pid"},
        {"proc_wait", "the parent waits for the child and collects its exit status"},
        {"proc_mark_exit", "exit status recorded with the proc server"},
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!strcmp(r, plain[i].routine))
            snprintf(buf, len, "%s", plain[i].note);
}

/* A simulated process aborts (an assertion in the fork): its task is about to end, and with
 * it the name space the summary would show. The first time, both spaces are kept as they are
 * now: the parent's and the newest child's (the half-built one when the parent aborted
 * mid-fork). */
static void abort_snapshot(const fi_abort_record *a, void *arg)
{
    (void)a, (void)arg;
    run_result *r = R.r;
    if (r == NULL || r->at_abort != NULL || R.parent_id == 0)
        return;
    r->at_abort = calloc(2, sizeof *r->at_abort);
    if (r->at_abort == NULL)
        return;
    sim_task *p = sim_task_by_id(R.parent_id);
    ktask_t *newest = world_newest_task(kern_world());
    sim_task *c = newest != NULL ? kern_sim_task(newest) : NULL;
    if (c != NULL && (sim_task_id(c) <= R.parent_id || sim_task_id(c) == R.peer_id ||
                      sim_task_id(c) == R.killer_id))
        c = NULL;
    if (p != NULL)
        snapshot(p, &r->at_abort[0]);
    if (c != NULL)
        snapshot(c, &r->at_abort[1]);
    /* the descriptor table of the process that aborts: its image is the one in place */
    if (sim_task_self() == p && p != NULL)
        snapshot_fds(&r->at_abort[0]);
    else if (sim_task_self() == c && c != NULL)
        snapshot_fds(&r->at_abort[1]);
}

static void explain_observer(const kern_rpc_note *n, void *arg)
{
    (void)arg;
    if (!R.steps_begun || proc_of_task(n->task) == PROC_OURS)
        return; /* the set-up's calls are not the scenario's */
    char text[160];
    explain_rpc(n, text, sizeof text);
    if (text[0] == '\0')
        return;
    run_result *r = R.r;
    if (r->nnotes == R.notes_cap) {
        size_t cap = R.notes_cap ? 2 * R.notes_cap : 128;
        run_note *m = realloc(r->notes, cap * sizeof *m);
        if (m == NULL)
            return;
        r->notes = m;
        R.notes_cap = cap;
    }
    run_note *note = &r->notes[r->nnotes++];
    note->step = n->step;
    note->task = n->task;
    snprintf(note->routine, sizeof note->routine, "%s", n->routine);
    snprintf(note->text, sizeof note->text, "%s", text);
}

/* Labels must be defined before use, and port deaths must name a port of the peer. */
static int check_labels(const scenario *s, char *err, size_t len)
{
    static const char *const builtin[] = {"task-self", "thread-self", "sigthread", "proc",
                                          "msgport", "peer"};
    char defined[RUN_MAX_LABELS][SCN_MAX_LABEL];
    size_t nd = 0;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        snprintf(defined[nd++], SCN_MAX_LABEL, "%s", builtin[i]);
#define DEFINED(w)                                                        \
    ({                                                                    \
        bool f_ = false;                                                  \
        for (size_t k_ = 0; k_ < nd && !f_; k_++)                         \
            f_ = strcmp(defined[k_], (w)) == 0;                           \
        f_;                                                               \
    })
    for (size_t i = 0; i < s->nhaves; i++) {
        const scn_have *h = &s->haves[i];
        if (h->kind == HAVE_PEG && !DEFINED(h->label)) {
            snprintf(err, len, "%s:%d: peg: '%s' is not defined above", s->path, h->line, h->label);
            return -1;
        }
        if (h->label[0] != '\0' && h->kind != HAVE_PEG && nd < RUN_MAX_LABELS)
            snprintf(defined[nd++], SCN_MAX_LABEL, "%s", h->label);
    }
    for (size_t i = 0; i < s->nsteps; i++) {
        const scn_step *st = &s->steps[i];
        if (st->kind != STEP_RPC)
            continue;
        bool defines_last = strcmp(st->routine, "mach_port_allocate") == 0 ||
                            strcmp(st->routine, "mach_thread_self") == 0 ||
                            strcmp(st->routine, "mach_task_self") == 0 ||
                            strcmp(st->routine, "task_create") == 0 ||
                            strcmp(st->routine, "thread_create") == 0;
        bool defines_all = strcmp(st->routine, "mach_ports_lookup") == 0;
        int nargs = st->nargs;
        int last = nargs >= 2 && strcmp(st->args[nargs - 2], "in") == 0 ? nargs - 3 : nargs - 1;
        for (int k = 0; k < nargs; k++) {
            const char *w = st->args[k];
            if (defines_all && k <= last) {
                if (nd < SCN_MAX_ITEMS + 64)
                    snprintf(defined[nd++], SCN_MAX_LABEL, "%s", w);
                continue;
            }
            if ((k == last && defines_last) || strcmp(w, "in") == 0)
                continue;
            bool word = w[0] >= 'A' && w[0] <= 'Z';
            bool number = w[0] >= '0' && w[0] <= '9';
            if (!word && !number && !(w[0] == '-') && !DEFINED(w)) {
                snprintf(err, len, "%s:%d: '%s' is not defined above", s->path, st->line, w);
                return -1;
            }
        }
        if (defines_last && last >= 0 && nd < RUN_MAX_LABELS)
            snprintf(defined[nd++], SCN_MAX_LABEL, "%s", st->args[last]);
    }
    /* Labels an anchor names ("on LABEL") may be made by a later step: any label of the file. */
    for (unsigned i = 0; i < s->nfaults; i++) {
        const scn_anchor *a = &s->anchors[i];
        char where[200];
        scn_anchor_format(a, where, sizeof where);
        int line = s->fault_lines[i];
        if (a->meaning && a->label[0] != '\0' && !DEFINED(a->label)) {
            snprintf(err, len, "%s:%d: %s: '%s' is not a label of this scenario", s->path, line,
                     where, a->label);
            return -1;
        }
        if (a->meaning && a->text[0] != '\0' && fi_source_count(a->text, NULL) == 0) {
            snprintf(err, len, "%s:%d: %s: no statement of the compiled _Fork.c contains \"%s\"",
                     s->path, line, where, a->text);
            return -1;
        }
        if (s->faults[i].kind == KF_CALL && s->fault_kill_sig[i] == 0 && s->fault_delay_ms[i] == 0 && !DEFINED(s->fault_labels[i])) {
            snprintf(err, len, "%s:%d: insert %s: '%s' is not defined above (a label of the parent's)",
                     s->path, line, s->fault_labels[i], s->fault_labels[i]);
            return -1;
        }
        if (s->faults[i].kind != KF_PORT_DEATH)
            continue;
        bool found = false;
        for (size_t h = 0; h < s->nhaves && !found; h++)
            found = strcmp(s->haves[h].label, s->fault_labels[i]) == 0 &&
                    (s->haves[h].kind == HAVE_SEND || s->haves[h].kind == HAVE_SEND_ONCE);
        if (!found) {
            snprintf(err, len, "%s:%d: destroy %s: '%s' is not a send or send-once right to a port of the peer (a have send or have send-once line)",
                     s->path, line, s->fault_labels[i], s->fault_labels[i]);
            return -1;
        }
    }
    for (size_t i = 0; i < s->nexpects; i++) {
        const scn_expect *e = &s->expects[i];
        if (e->kind == EXPECT_ABORT_AT && e->text[0] != '\0' && fi_source_count(e->text, NULL) == 0) {
            snprintf(err, len, "%s:%d: expect abort at \"%s\": no statement of the compiled _Fork.c contains it",
                     s->path, e->line, e->text);
            return -1;
        }
    }
    for (size_t i = 0; i < s->nexpects; i++) {
        const scn_expect *e = &s->expects[i];
        if ((e->kind == EXPECT_NAME || e->kind == EXPECT_ABSENT) && !DEFINED(e->label)) {
            snprintf(err, len, "%s:%d: expect: '%s' is not defined", s->path, e->line, e->label);
            return -1;
        }
    }
#undef DEFINED
    return 0;
}

static void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void finding(const char *fmt, ...)
{
    run_result *r = R.r;
    if (r->nfindings == RUN_MAX_MESSAGES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->findings[r->nfindings++], sizeof r->findings[0], fmt, ap);
    va_end(ap);
}

static const run_name *space_find(const run_space *sp, mach_port_name_t name)
{
    for (size_t k = 0; k < sp->n; k++)
        if (sp->names[k].name == name)
            return &sp->names[k];
    return NULL;
}

/*
 * The fork's intent (the comments of _Fork.c, and the issue's statement of it): the child has
 * every name the parent had, with the same type and urefs, except that the task-self name
 * denotes the child's task, the proc name the child's proc port, the two thread names the
 * child's threads, the ctty ports the child's own, the parent's other thread names are absent,
 * and receive rights are new ports of the child with the same send urefs. Differences known to
 * come from glibc are findings (F1); anything else fails the expectation.
 */
static void check_copies(const scenario *s, const scn_expect *e, const run_result *r)
{
    const run_space *p = &r->before_fork, *c = &r->child;
    if (!p->taken || !c->taken) {
        failure("%s:%d: expect child copies-parent: no fork happened", s->path, e->line);
        return;
    }
    mach_port_name_t task_self = 0, proc = 0, thread_self = 0, sigthread = 0;
    label_get("task-self", &task_self);
    label_get("proc", &proc);
    label_get("thread-self", &thread_self);
    label_get("sigthread", &sigthread);
    unsigned failures = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0;
    for (size_t i = 0; i < p->n; i++) {
        const run_name *pn = &p->names[i], *cn = space_find(c, pn->name);
        char why[160] = "";
        bool own_thread = pn->name == thread_self || pn->name == sigthread;
        if (pn->name == task_self) {
            if (cn == NULL || cn->type != pn->type || strncmp(cn->denotes, "task ", 5) != 0 ||
                cn->port == pn->port)
                snprintf(why, sizeof why, "the task-self name should denote the child's task");
        } else if (pn->name == proc) {
            if (cn == NULL || cn->type != MACH_PORT_TYPE_SEND || cn->port == pn->port)
                snprintf(why, sizeof why, "the proc name should denote the child's proc port");
        } else if (own_thread) {
            if (cn == NULL || cn->type != MACH_PORT_TYPE_SEND || strncmp(cn->denotes, "thread ", 7) != 0)
                snprintf(why, sizeof why, "should denote the child's own thread");
            else if (cn->urefs == pn->urefs + 1)
                f1++;
            else if (cn->urefs != pn->urefs)
                snprintf(why, sizeof why, "urefs %u, the parent had %u", cn->urefs, pn->urefs);
        } else if (strncmp(pn->denotes, "thread ", 7) == 0) {
            if (cn != NULL)
                snprintf(why, sizeof why, "another thread's name should be absent in the child");
        } else if (cn == NULL && pn->type == MACH_PORT_TYPE_SEND_ONCE) {
            f3++; /* finding F3 */
        } else if (cn == NULL && pn->type == MACH_PORT_TYPE_PORT_SET) {
            f4++; /* finding F4 */
        } else if (cn == NULL) {
            snprintf(why, sizeof why, "missing in the child");
        } else if (pn->type == MACH_PORT_TYPE_DEAD_NAME && cn->type == pn->type &&
                   pn->urefs > 1 && cn->urefs == 1) {
            f2++; /* finding F2 */
        } else if (cn->type != pn->type) {
            snprintf(why, sizeof why, "%s in the child, %s in the parent", scn_type_name(cn->type),
                     scn_type_name(pn->type));
        } else if (pn->type & MACH_PORT_TYPE_RECEIVE) {
            if (cn->port == pn->port || cn->urefs != pn->urefs)
                snprintf(why, sizeof why, "should be a new port with the parent's %u send urefs (got %u)",
                         pn->urefs, cn->urefs);
        } else if (strcmp(pn->denotes, "port of term") == 0 && cn->port != pn->port) {
            /* a ctty port: the child's own, re-opened by the fd table's fork hook */
        } else if (cn->urefs != pn->urefs || (cn->port != pn->port && pn->port != 0)) {
            snprintf(why, sizeof why, "%s urefs %u of port %u, the parent had urefs %u of port %u",
                     scn_type_name(cn->type), cn->urefs, cn->port, pn->urefs, pn->port);
        }
        if (why[0] != '\0') {
            failures++;
            failure("%s:%d: child name %u (%s): %s", s->path, e->line, pn->name, pn->label, why);
        }
    }
    if (f1 > 0)
        finding("F1: the child's %u thread name(s) have one more uref than the parent's "
                "(task_threads' reference counted by get_refs; traces/README.md)", f1);
    if (f2 > 0)
        finding("F2: %u dead name(s) with several urefs have 1 in the child (get_refs asks for "
                "SEND, which a dead name answers with 0: rule R2)", f2);
    if (f3 > 0)
        finding("F3: %u send-once right(s) are not in the child (the copy loop has no case for "
                "them; only a receiver can make one)", f3);
    if (f4 > 0)
        finding("F4: %u port set(s) are not in the child (the copy loop has no case for them; "
                "the child's receive rights belong to no set)", f4);
    /* Names the child has that the parent did not: the fork intends none. A name the child's
     * own steps made after fork returned is the scenario's, not the fork's. */
    for (size_t k = 0; k < c->n; k++) {
        const run_name *cn = &c->names[k];
        if (space_find(p, cn->name) != NULL || !child_had_at_fork(cn->name))
            continue;
        failures++;
        failure("%s:%d: child name %u (%s): %s, %s: not in the parent, a name the fork did "
                "not intend", s->path, e->line, cn->name, cn->label[0] ? cn->label : "no label",
                scn_type_name(cn->type), cn->denotes);
    }
    if (failures > 0)
        failure("%s:%d: expect child copies-parent: %u name(s) differ from the fork's intent "
                "(the parent had %zu, the child has %zu)", s->path, e->line, failures, p->n, c->n);
}

/* Whether the name of e's label now holds another right than the label denoted in that
 * process (the process reused the name): if so, what it denotes, in why. */
static void label_reuse(const scn_expect *e, const run_name *found, char *why, size_t len)
{
    why[0] = '\0';
    const label_entry *l = NULL;
    for (size_t i = 0; i < R.nlabels && l == NULL; i++)
        if (strcmp(R.labels[i].label, e->label) == 0)
            l = &R.labels[i];
    if (l == NULL || found == NULL || found->port == 0 || found->type == MACH_PORT_TYPE_DEAD_NAME)
        return;
    uint32_t was = e->who == WHO_PARENT ? l->port_parent : l->port_child;
    if (was == 0 || was == found->port)
        return;
    const char *other = NULL;
    for (size_t i = 0; i < R.nlabels && other == NULL; i++) {
        const label_entry *m = &R.labels[i];
        uint32_t now = e->who == WHO_PARENT ? m->port_parent : m->port_child;
        if (m != l && m->name == l->name && now == found->port)
            other = m->label;
    }
    snprintf(why, len, "%s now denotes %s%s (%s urefs %u, %s)", e->label, other ? other : "another right",
             other ? "'s right" : "", scn_type_name(found->type), found->urefs, found->denotes);
}

static void check_expectations(const scenario *s, run_result *r)
{
    for (size_t i = 0; i < s->nexpects; i++) {
        const scn_expect *e = &s->expects[i];
        if (e->kind == EXPECT_VERDICT)
            continue;
        if (e->kind == EXPECT_COPIES) {
            check_copies(s, e, r);
            continue;
        }
        if (e->kind == EXPECT_ABORT_AT) {
            const fi_abort_record *ab;
            unsigned n = fi_aborts(&ab);
            bool found = false;
            for (unsigned k = 0; k < n && !found; k++) {
                if (e->text[0] == '\0') {
                    found = strcmp(ab[k].site, e->word) == 0;
                    continue;
                }
                scn_proc who = proc_of_task(ab[k].task);
                found = fi_source_site_has(ab[k].site, e->text) &&
                        (e->proc == PROC_OURS ? who != PROC_OURS : e->proc == who);
            }
            if (!found && e->text[0] != '\0')
                failure("%s:%d: expected an abort%s at \"%s\"; none there", s->path, e->line,
                        e->proc == PROC_PARENT ? " of the parent" : e->proc == PROC_CHILD ? " of a child" : "",
                        e->text);
            else if (!found)
                failure("%s:%d: expected an abort at %s; none there", s->path, e->line, e->word);
            continue;
        }
        const run_space *sp = e->who == WHO_PARENT ? &r->parent : &r->child;
        const char *who = e->who == WHO_PARENT ? "parent" : "child";
        if (e->kind == EXPECT_FD) {
            int fd = (int)e->urefs;
            const run_fd *f = fd < sp->nfds ? &sp->fds[fd] : NULL;
            const run_fd *pf = fd < r->before_fork.nfds ? &r->before_fork.fds[fd] : NULL;
            bool open = f != NULL && f->open;
            bool holds;
            if (strcmp(e->word, "open") == 0)
                holds = open;
            else if (strcmp(e->word, "absent") == 0)
                holds = !open;
            else if (strcmp(e->word, "cloexec") == 0)
                holds = open && f->cloexec;
            else if (strcmp(e->word, "ctty-none") == 0)
                holds = open && f->ctty == 0;
            else if (strcmp(e->word, "ctty-same") == 0)
                holds = open && f->ctty != 0 && pf != NULL && f->ctty == pf->ctty;
            else /* ctty-own: a ctty port other than the parent's */
                holds = open && f->ctty != 0 && pf != NULL && pf->ctty != 0 && f->ctty != pf->ctty;
            if (!holds)
                failure("%s:%d: %s fd %d: expected %s; got %s (port %u, ctty port %u, parent's ctty port %u)",
                        s->path, e->line, who, fd, e->word, open ? "open" : "not open",
                        open ? f->port : 0, open ? f->ctty : 0, pf != NULL ? pf->ctty : 0);
            continue;
        }
        mach_port_name_t name;
        if (!label_get(e->label, &name) || !sp->taken) {
            failure("%s:%d: expect %s %s: no such process or name", s->path, e->line, who, e->label);
            continue;
        }
        const run_name *found = NULL;
        for (size_t k = 0; k < sp->n; k++)
            if (sp->names[k].name == name)
                found = &sp->names[k];
        if (e->kind == EXPECT_PORT) {
            const run_name *before = space_find(&r->before_fork, name);
            bool same = found != NULL && before != NULL && found->port == before->port;
            if (found == NULL || before == NULL || same != (strcmp(e->word, "same") == 0))
                failure("%s:%d: child name %u (%s): expected the %s port as the parent's, got %s",
                        s->path, e->line, name, e->label, strcmp(e->word, "same") == 0 ? "same" : "another",
                        found == NULL || before == NULL ? "no such name" : same ? "the same" : "another");
            continue;
        }
        char reused[200] = "";
        label_reuse(e, found, reused, sizeof reused);
        if (e->kind == EXPECT_ABSENT) {
            if (found != NULL && reused[0] == '\0')
                failure("%s:%d: %s name %u (%s): expected absent, got %s urefs %u", s->path,
                        e->line, who, name, e->label, scn_type_name(found->type), found->urefs);
            continue; /* reused: the right the label denoted is absent */
        }
        if (reused[0] != '\0')
            failure("%s:%d: %s name %u (%s): expected %s urefs %u; the right %s denoted is gone: %s",
                    s->path, e->line, who, name, e->label, scn_type_name(e->type),
                    e->has_urefs ? e->urefs : found->urefs, e->label, reused);
        else if (found == NULL)
            failure("%s:%d: %s name %u (%s): expected %s, got no such name", s->path, e->line,
                    who, name, e->label, scn_type_name(e->type));
        else if (found->type != e->type || (e->has_urefs && found->urefs != e->urefs))
            failure("%s:%d: %s name %u (%s): expected %s urefs %u, got %s urefs %u", s->path,
                    e->line, who, name, e->label, scn_type_name(e->type),
                    e->has_urefs ? e->urefs : found->urefs, scn_type_name(found->type),
                    found->urefs);
    }
}

/* --- snapshots: runs that start where the runs of a sweep part ------------------------------ */

struct run_snapshot {
    sim_snapshot *world;        /* everything of the world, R included (SIM_WORLD_STATE) */
    const run_result *result;   /* the result it wrote to: restores write to the same */
    bool ndebug, x86_64_layout, ipc_compat, fork_ours, copy_names;
    int policy;
    uint64_t seed;
    bool steps_begun;           /* the set-up was done: a restore replaces the fault plan */
    uint64_t rpcs;              /* RPCs since the plan was set (kern_rpcs_since_faults) */
    /* what the run had put in its result by then */
    size_t nmessages, messages_dropped, nfindings;
    unsigned failures;
    char (*messages)[1024];
    char (*findings)[256];
};

void run_snapshot_free(run_snapshot *sn)
{
    if (sn == NULL)
        return;
    sim_snapshot_free(sn->world);
    free(sn->messages);
    free(sn->findings);
    free(sn);
}

size_t run_snapshot_bytes(const run_snapshot *sn) { return sim_snapshot_bytes(sn->world); }

/* Runs that may start from a snapshot, or take one: no output but the result's, nothing
 * replayed, nothing stopped early. */
static bool snapshot_options_ok(const run_options *o, const scenario *s)
{
    return sim_snapshots_supported() && o->no_trace && !o->explain && o->stop_at == 0 &&
           !o->sites && o->replay == NULL && !o->has_seed && s->decisions[0] == '\0';
}

/* s may start from sn: the same world and set-up, and faults that the glue can take over
 * (kern_faults_replace: by number among all calls, still ahead). */
static bool restorable(const scenario *s, const run_options *o, const run_snapshot *sn,
                       const run_result *r)
{
    if (sn == NULL || sn->result != r || !snapshot_options_ok(o, s) || sn->ndebug != s->ndebug ||
        sn->x86_64_layout != s->x86_64_layout || sn->ipc_compat != s->ipc_compat ||
        sn->fork_ours != s->fork_ours || sn->copy_names != s->copy_names ||
        sn->policy != (int)s->policy || sn->seed != s->seed)
        return false;
    for (unsigned i = 0; i < s->nfaults; i++)
        if (s->faults[i].kind == KF_CALL || s->anchors[i].meaning || s->fault_routines[i][0] != '\0' ||
            (sn->steps_begun && s->faults[i].nth <= sn->rpcs))
            return false;
    return true;
}

static const run_options *snap_options;
static const scenario *snap_scenario;

/* The scenario a world reads, at one address for every run that takes or restores a snapshot:
 * a snapshot's simulated stacks hold pointers into it (the have line being made, the step
 * being run), and so does R.r's result (the caller's, the same for both: restorable). */
static scenario snap_scn;

/* sim_at_step's function: the world between two picks, taken whole. */
static void snapshot_take_now(void *arg)
{
    (void)arg;
    run_snapshot *sn = calloc(1, sizeof *sn);
    if (sn == NULL)
        return;
    const scenario *s = snap_scenario;
    sn->world = sim_snapshot_take();
    sn->ndebug = s->ndebug;
    sn->x86_64_layout = s->x86_64_layout;
    sn->ipc_compat = s->ipc_compat;
    sn->fork_ours = s->fork_ours;
    sn->copy_names = s->copy_names;
    sn->policy = (int)s->policy;
    sn->seed = s->seed;
    sn->steps_begun = R.steps_begun;
    sn->result = R.r;
    sn->rpcs = kern_rpcs_since_faults();
    const run_result *r = R.r;
    sn->nmessages = r->nmessages;
    sn->messages_dropped = r->messages_dropped;
    sn->failures = r->failures;
    sn->nfindings = r->nfindings;
    sn->messages = malloc((r->nmessages + 1) * sizeof *sn->messages);
    sn->findings = malloc((r->nfindings + 1) * sizeof *sn->findings);
    if (sn->messages == NULL || sn->findings == NULL) {
        run_snapshot_free(sn);
        return;
    }
    memcpy(sn->messages, r->messages, r->nmessages * sizeof *sn->messages);
    memcpy(sn->findings, r->findings, r->nfindings * sizeof *sn->findings);
    *snap_options->snap_out = sn;
}

/* Puts sn's world back for s, as forksim_open, the set-up and the steps up to it would have. */
static void snapshot_restore(const scenario *s, run_result *r, const run_snapshot *sn)
{
    kern_snapshot_restore(sn->world);
    R.s = s;    /* the snapshot's R pointed to its own run's */
    R.r = r;
    r->restored = true;
    r->nmessages = sn->nmessages;
    r->messages_dropped = sn->messages_dropped;
    r->failures = sn->failures;
    r->nfindings = sn->nfindings;
    memcpy(r->messages, sn->messages, sn->nmessages * sizeof *sn->messages);
    memcpy(r->findings, sn->findings, sn->nfindings * sizeof *sn->findings);
    if (sn->steps_begun) {
        kern_fault faults[KERN_MAX_FAULTS];
        faults_build(faults);
        if (!kern_faults_replace(faults, s->nfaults))
        {
            fprintf(stderr, "forksim: runner: a fault plan restorable() let through was refused\n");
            abort();
        }
    }
}

bool run_steps_begun(void) { return R.steps_begun; }

/* A task by its part in the scenario. */
static const char *task_role(int task, char *buf, size_t len)
{
    if (task == R.parent_id)
        return "the parent";
    if (task == R.child_id)
        return "the child";
    if (R.killer_thread != 0 && sim_thread_by_id(R.killer_thread) != NULL &&
        task == sim_task_id(sim_thread_task(sim_thread_by_id(R.killer_thread))))
        return "the killer";
    if (named_of_task(task, false) >= 0) {
        snprintf(buf, len, "%s", R.s->procs[named_of_task(task, false)].name);
        return buf;
    }
    if (task == R.peer_id && R.peer_id != 0)
        return "the peer";
    /* a newer child than the one whose steps run (its fork has not returned there) */
    snprintf(buf, len, task > R.parent_id ? "a child, task %d" : "task %d", task);
    return buf;
}

/* After a deadlock, the threads left waiting for a lock, by role and lock name (issue 10, item
 * 9: the outcome names the lock, and a lock held by a thread of another task was copied held). */
static void lock_waits_describe(run_result *r)
{
    sim_lock_wait w[8];
    size_t n = sim_lock_waits(w, 8);
    size_t o = 0;
    r->lock_waits[0] = '\0';
    for (size_t i = 0; i < n && i < 8 && o < sizeof r->lock_waits; i++) {
        char a[40], b[40];
        const char *waiter = task_role(w[i].task, a, sizeof a);
        const char *holder = w[i].holder_task != 0 ? task_role(w[i].holder_task, b, sizeof b) : NULL;
        o += (size_t)snprintf(r->lock_waits + o, sizeof r->lock_waits - o, "%s%s waits for %s, held by %s%s",
                              i ? "; " : "", waiter, w[i].name,
                              holder ? (w[i].holder_task == w[i].task ? "its own thread" : "a thread of ")
                                     : "a thread that has ended",
                              holder && w[i].holder_task != w[i].task ? holder : "");
        if (holder && w[i].holder_task != w[i].task && o < sizeof r->lock_waits)
            o += (size_t)snprintf(r->lock_waits + o, sizeof r->lock_waits - o, " (copied held)");
    }
}

/* --- events at scheduling points (issue 10, item 2) ------------------------------------------ */

/* The peer's name for the port of the scenario's right NAME (have send|send-once NAME). */
static bool peer_slot_of(const scenario *s, const char *label, mach_port_name_t *name)
{
    for (size_t h = 0; s != NULL && h < s->nhaves; h++)
        if ((s->haves[h].kind == HAVE_SEND || s->haves[h].kind == HAVE_SEND_ONCE) &&
            strcmp(s->haves[h].label, label) == 0) {
            *name = PEER_SLOT_BASE + (mach_port_name_t)h;
            return true;
        }
    return false;
}

/* "destroy NAME": the peer destroys the port NAME, as a scenario's "at ... destroy NAME". */
static bool event_destroy(const char *label)
{
    mach_port_name_t name;
    sim_task *peer = R.peer_id != 0 ? sim_task_by_id(R.peer_id) : NULL;
    if (!peer_slot_of(R.s, label, &name) || peer == NULL)
        return false;
    sim_touch(SIM_OBJ_TASK | (uint64_t)R.peer_id);
    kern_return_t kr = world_port_destroy(kern_ktask(peer), name);
    kern_trace_note("event: the peer destroys %s (its name %u) = %s", label, name,
                    mk_return_name(kr) ? mk_return_name(kr) : "?");
    return true;
}

/*
 * A kill to NAME while NAME's own fork is under way (fork as NAME has not returned the pid in
 * the parent): the killer looks NAME's task up in proc's table, as a Hurd process could see
 * the newest process there (proc_getallpids; forksim's proc does not model that call, so the
 * lookup is hurd_proc_pid_of_task, the table itself). What the table holds then follows
 * proc: an entry, and so a pid, exists for a task once proc has met it. For a fork's child
 * that is when proc handles the kernel's mach_notify_new_task, which task_create sends to the
 * port proc registered at boot (S_mach_notify_new_task, proc/mgt.c: new_proc, pid from genpid;
 * rules NT2, P1), or else at the first request naming the task (task_find, proc/hash.c), in
 * _Fork.c the parent's proc_task2proc (line 200). proc handles the notification when the
 * scheduler next runs it after task_create, so between task_create and that point the killer
 * finds no pid, as a Hurd killer would not. The pid found, or 0 with a note saying why there
 * is none: no task yet, or no entry in proc's table for it yet.
 */
static pid_t pid_in_fork(const char *to, int sig)
{
    int k = scn_process_find(R.s, to);
    if (k < 0 || !R.s->procs[k].forked || R.proc_fork_floor[k] == 0)
        return 0;
    int task = named_task(k);
    sim_task *t = task != 0 ? sim_task_by_id(task) : NULL;
    pid_t pid = t != NULL ? hurd_proc_pid_of_task(kern_ktask(t)) : 0;
    if (t == NULL)
        kern_trace_note("event: %s's fork has made no task yet: the killer has no pid for it, "
                        "SIG%s not sent", to, fi_signal_name(sig));
    else if (pid == 0)
        kern_trace_note("event: proc's table has no entry for %s's task t%d yet (proc makes it "
                        "when it handles task_create's mach_notify_new_task, or at the first "
                        "request naming the task): the killer has no pid for it, SIG%s not sent",
                        to, task, fi_signal_name(sig));
    else
        kern_trace_note("event: the killer finds %s's pid %d in proc's table (task t%d; its "
                        "fork has not returned)", to, (int)pid, task);
    return pid;
}

/* The killer: a process of the scenario's that sends, with glibc's kill, each signal an
 * "anywhere kill" event gave it, when the scheduler next runs it (so the send itself is a step
 * the explorer places too). */
static int killer_main(void *arg)
{
    (void)arg;
    R.killer_thread = sim_thread_id(sim_self());
    sim_thread_set_daemon(sim_self(), true);
    for (;;) {
        while (R.nkills == 0)
            sim_block("the killer waits for an event");
        int sig = R.kill_sig[0];
        char to[SCN_MAX_LABEL];
        memcpy(to, R.kill_to[0], sizeof to);
        R.nkills--;
        memmove(R.kill_sig, R.kill_sig + 1, R.nkills * sizeof R.kill_sig[0]);
        memmove(R.kill_to, R.kill_to + 1, R.nkills * sizeof R.kill_to[0]);
        bool named = scn_process_find(R.s, to) >= 0;
        pid_t pid = strcmp(to, "child") == 0 ? last_child
                    : named                  ? target_pid(to, false)
                                             : R.parent_pid;
        if (pid == 0 && named)
            pid = pid_in_fork(to, sig);
        if (pid > 0) {
            int err = fi_kill(pid, sig);
            kern_trace_note("event: the killer sends SIG%s to %s%s (pid %d): %s",
                            fi_signal_name(sig), named ? "" : "the ", to, (int)pid,
                            err == 0 ? "sent" : (hurd_errno_name(err) ? hurd_errno_name(err) : "error"));
        } else if (named && R.proc_fork_floor[scn_process_find(R.s, to)] == 0) {
            /* (a fork under way: pid_in_fork has said why there is no pid) */
            kern_trace_note("event: the killer has no pid for %s yet: SIG%s not sent", to,
                            fi_signal_name(sig));
        }
    }
    return 0;
}

/* "kill SIG child|parent": the killer is given the kill and made runnable. */
static bool event_kill(const char *arg)
{
    int sig;
    char to[SCN_MAX_LABEL];
    if (sscanf(arg, "%d %31s", &sig, to) != 2 || R.killer_thread == 0 ||
        R.nkills == sizeof R.kill_sig / sizeof R.kill_sig[0])
        return false;
    bool named = scn_process_find(R.s, to) >= 0;
    if (!named && strcmp(to, "child") != 0)
        snprintf(to, sizeof to, "parent"); /* as before names: anything else was the parent */
    R.kill_sig[R.nkills] = sig;
    snprintf(R.kill_to[R.nkills], SCN_MAX_LABEL, "%s", to);
    R.nkills++;
    kern_trace_note("event: the killer is to send SIG%s to %s%s", fi_signal_name(sig),
                    named ? "" : "the ", to);
    sim_thread *killer = sim_thread_by_id(R.killer_thread);
    if (killer == NULL)
        return false;
    /* waiting for an event: woken; still starting, or sending: it takes this one next */
    (void)sim_unblock(killer);
    sim_event_wakes(killer);
    return true;
}

/* "delay proc_ROUTINE MS": proc answers the next request of ROUTINE MS ms late, holding its
 * global lock, as "before proc_ROUTINE ... delay reply MS" makes it (PL1; hurd_proc_delay_reply).
 * False when proc has no such routine or its table of delays is full (the run then diverges,
 * said so, rather than go on without the delay). */
static bool event_delay(const char *arg)
{
    char routine[40];
    unsigned ms;
    if (sscanf(arg, "%39s %u", routine, &ms) != 2 || ms == 0)
        return false;
    int rc = hurd_proc_delay_reply(routine, ms);
    kern_trace_note("event: proc is to answer %s %u ms late%s", routine, ms,
                    rc == 0 ? "" : ": no such proc routine, or too many delays");
    return rc == 0;
}

/* The kinds: a new one is one more entry. */
static const struct run_event_kind {
    const char *word;
    bool (*fire)(const char *arg);
} run_event_kinds[] = {
    {"destroy", event_destroy},
    {"kill", event_kill},
    {"delay", event_delay},
};

bool run_event_fire(const char *what, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < sizeof run_event_kinds / sizeof run_event_kinds[0]; i++) {
        size_t n = strlen(run_event_kinds[i].word);
        if (strncmp(what, run_event_kinds[i].word, n) == 0 && what[n] == ' ')
            return run_event_kinds[i].fire(what + n + 1);
    }
    return false;
}

/* By the ids the run kept (its tasks may be gone: the simulation has closed). */
const char *run_task_role(int task)
{
    if (task != 0 && task == R.parent_id)
        return "parent";
    if (task != 0 && task == R.killer_id)
        return "killer";
    if (task != 0 && task == R.peer_id)
        return "peer";
    int k = named_of_task(task, false);
    if (k >= 0) { /* a named process, or the child fork as NAME made */
        static char role[SCN_MAX_LABEL + 16];
        snprintf(role, sizeof role, "%s %s", R.s->procs[k].forked ? "child" : "process",
                 R.s->procs[k].name);
        return role;
    }
    return "child";
}

bool run_event_valid(const scenario *s, const char *what, char *err, size_t len)
{
    mach_port_name_t name;
    if (strncmp(what, "destroy ", 8) == 0 && !peer_slot_of(s, what + 8, &name)) {
        snprintf(err, len, "'%s': no 'have send|send-once %s' for the peer to destroy", what, what + 8);
        return false;
    }
    for (size_t i = 0; i < sizeof run_event_kinds / sizeof run_event_kinds[0]; i++) {
        size_t n = strlen(run_event_kinds[i].word);
        if (strncmp(what, run_event_kinds[i].word, n) == 0 && what[n] == ' ') {
            if (err != NULL && len > 0)
                err[0] = '\0';
            return true;
        }
    }
    snprintf(err, len, "'%s': unknown event (known: destroy NAME, kill SIG child|parent, delay proc_ROUTINE MS)", what);
    return false;
}

int run_scenario(const scenario *s, const run_options *o, run_result *r)
{
    if ((o->snap_out != NULL || o->snap_from != NULL) && s != &snap_scn) {
        memcpy(&snap_scn, s, sizeof snap_scn);
        s = &snap_scn;
    }
    result_reset(r);
    memset(&R, 0, sizeof R);
    last_child = 0;
    R.s = s;
    R.r = r;
    char err[900];
    if (check_labels(s, err, sizeof err) != 0) {
        snprintf(r->messages[0], sizeof r->messages[0], "%s", err);
        r->nmessages = 1;
        return -1;
    }
    sim_decisions *from_file = NULL;
    if (o->replay == NULL && s->decisions[0] != '\0') {
        char derr[600];
        from_file = sim_decisions_read(s->decisions, derr, sizeof derr);
        if (from_file == NULL) {
            /* An error inside the list names its own file:line; one opening it (a missing
             * file) is the scenario's decisions line's. */
            size_t plen = strlen(s->decisions);
            bool inside = strncmp(derr, s->decisions, plen) == 0 && derr[plen] == ':' &&
                          derr[plen + 1] >= '0' && derr[plen + 1] <= '9';
            if (inside)
                snprintf(r->messages[0], sizeof r->messages[0], "%s", derr);
            else
                snprintf(r->messages[0], sizeof r->messages[0], "%.300s:%d: decisions: %.600s", s->path,
                         s->decisions_line, derr);
            r->nmessages = 1;
            return -1;
        }
    }
    bool listed = from_file != NULL;
    FILE *trace = NULL;
    if (restorable(s, o, o->snap_from, r)) {
        snapshot_restore(s, r, o->snap_from);
        sim_set_lock_namer(fi_lock_name);   /* as a whole run names its locks, below */
        r->sim = forksim_run();
        sim_set_lock_namer(NULL);
        if (r->sim == FORKSIM_DEADLOCK)
            lock_waits_describe(r);
        goto ran;
    }
    trace = o->no_trace ? NULL : open_memstream(&r->trace, &r->trace_len);
    forksim_options fo = FORKSIM_DEFAULTS;
    fo.fork = s->fork_ours ? FORKSIM_FORK_OURS
              : s->ndebug  ? FORKSIM_FORK_GLIBC_NDEBUG
                           : FORKSIM_FORK_GLIBC;
    fo.copy_names = s->copy_names;
    fo.policy = (enum forksim_policy)s->policy; /* same numbers (api.c) */
    fo.seed = o->has_seed ? o->seed : s->seed;
    fo.trace = trace;
    fo.sites = o->sites;
    fo.ipc_compat = s->ipc_compat;
    fo.x86_64_layout = s->x86_64_layout;
    fo.replay = o->replay != NULL ? o->replay : from_file;
    if (from_file != NULL)
        fo.seed = from_file->seed;
    forksim_set_scheduler(o->policy, run_event_fire, NULL);
    forksim_set_exec(s->with_exec);
    if (forksim_open(&fo) != 0) {
        if (trace != NULL)
            fclose(trace);
        free(r->trace);
        r->trace = NULL;
        /* The boot ran under the scheduler too: a decision list can diverge there. */
        char why[700];
        snprintf(why, sizeof why, "%s", forksim_run_report());
        why[strcspn(why, "\n")] = '\0';
        if (from_file != NULL)
            snprintf(r->messages[0], sizeof r->messages[0], "%.200s:%d: decisions %.200s: the simulation could not start: %.500s",
                     s->path, s->decisions_line, s->decisions, why[0] ? why : "no reason given");
        else
            snprintf(r->messages[0], sizeof r->messages[0], "%.300s: the simulation could not start: %.600s",
                     s->path, why[0] ? why : "no reason given");
        r->nmessages = 1;
        if (from_file != NULL)
            sim_decisions_free(from_file);
        return -1;
    }
    if (s->exec_delay_ms != 0 || s->exec_delay_forever)
        hurd_server_delay(HURD_SRV_EXEC, EXEC_ID_EXEC_PATHS,
                          s->exec_delay_forever ? SIM_FOREVER : s->exec_delay_ms);
    if (o->snap_out != NULL && o->snap_step != 0 && snapshot_options_ok(o, s)) {
        snap_options = o;
        snap_scenario = s;
        sim_at_step(o->snap_step, snapshot_take_now, NULL);
    }
    if (o->stop_at != 0)
        kern_set_step_hook(o->stop_at, stop_hook, NULL);
    if (o->explain)
        kern_set_rpc_observer(explain_observer, NULL);
    fi_set_abort_hook(abort_snapshot, NULL);
    bool peer_needed = false;
    for (size_t i = 0; i < s->nhaves; i++)
        peer_needed |= s->haves[i].kind == HAVE_SEND || s->haves[i].kind == HAVE_SEND_ONCE ||
                       s->haves[i].kind == HAVE_NAMES;
    for (unsigned i = 0; i < s->nfaults; i++)
        peer_needed |= s->faults[i].kind == KF_CALL && s->fault_kill_sig[i] == 0 &&
                       s->fault_delay_ms[i] == 0 && !s->fault_insert_same[i];
    if (peer_needed) {
        R.peer_id = sim_task_id(forksim_spawn(peer_main, NULL));
    }
    forksim_spawn(parent_main, NULL);
    /* A killer process for "anywhere kill" events (after the parent, whose task id stays). Only
     * under the explorer (or a replay of its schedule) do events fire; a plain run leaves it
     * waiting, a daemon. */
    bool killer_needed = false;
    for (unsigned i = 0; i < s->nchoices; i++)
        killer_needed |= strncmp(s->choices[i].what, "kill ", 5) == 0;
    for (unsigned i = 0; i < s->nfaults; i++)
        killer_needed |= s->fault_kill_sig[i] != 0; /* "before|after CALL kill SIG to ..." */
    if (killer_needed) {
        sim_thread *kth = NULL;
        R.killer_id = sim_task_id(fi_spawn(killer_main, NULL, &kth));
        R.killer_thread = kth != NULL ? sim_thread_id(kth) : 0;
    }
    /* The named processes (process NAME), after the killer: the ids of the others stay. Each
     * starts as any simulated process does (fi_spawn: glibc's start-up, its signal thread, its
     * message port given to proc). */
    for (unsigned k = 0; k < s->nprocs; k++)
        if (!s->procs[k].forked)
            R.proc_task[k] = sim_task_id(fi_spawn(named_main, (void *)(uintptr_t)k, NULL));
    fi_set_handler_action(handler_action, NULL);
    sim_set_lock_namer(fi_lock_name);
    r->sim = forksim_run();
    sim_set_lock_namer(NULL);
    fi_set_abort_hook(NULL, NULL);
    if (o->explain)
        kern_set_rpc_observer(NULL, NULL);
    if (r->sim == FORKSIM_DEADLOCK)
        lock_waits_describe(r);
ran:;
    char why[300];
    snprintf(why, sizeof why, "%s", r->sim == FORKSIM_DIVERGED ? forksim_run_report() : "");
    why[strcspn(why, "\n")] = '\0';
    if (r->sim == FORKSIM_UNMODELLED) {
        const char *rep = forksim_run_report();
        if (strncmp(rep, "stopped: ", 9) == 0)
            rep += 9;
        snprintf(r->unmodelled, sizeof r->unmodelled, "%.*s", (int)strcspn(rep, "\n"), rep);
    }
    if (o->after_run != NULL)
        o->after_run(o->after_run_arg);

    /* Which task is which, for reading the trace. */
    static const char *const server_names[] = {"proc", "auth", "fs", "term", "exec"};
    _Static_assert(sizeof server_names / sizeof server_names[0] == HURD_NSERVERS, "a name per server");
    size_t lo = 0;
    for (int i = 0; i < HURD_NSERVERS; i++) {
        sim_task *st = hurd_server_task((enum hurd_server)i);
        if (st != NULL)
            lo += (size_t)snprintf(r->legend + lo, sizeof r->legend - lo, "t%d %s, ",
                                   sim_task_id(st), server_names[i]);
    }
    if (R.peer_id)
        lo += (size_t)snprintf(r->legend + lo, sizeof r->legend - lo, "t%d the peer, ", R.peer_id);
    lo += (size_t)snprintf(r->legend + lo, sizeof r->legend - lo, "t%d the parent", R.parent_id);
    unsigned forks = 0;
    for (size_t i = 0; i < s->nsteps; i++)
        forks += s->steps[i].kind == STEP_FORK;
    if (R.child_id)
        lo += (size_t)snprintf(r->legend + lo, sizeof r->legend - lo, ", t%d the %schild", R.child_id,
                               forks > 1 ? "last " : "");
    for (unsigned k = 0; k < s->nprocs && lo < sizeof r->legend; k++) /* process NAME */
        if (!s->procs[k].forked && R.proc_task[k] != 0)
            lo += (size_t)snprintf(r->legend + lo, sizeof r->legend - lo, ", t%d %s", R.proc_task[k],
                                   s->procs[k].name);

    const fi_abort_record *ab;
    unsigned naborts = fi_aborts(&ab);
    for (unsigned i = 0; i < naborts; i++) {
        char line[512];
        forksim_abort_describe(&ab[i], line, sizeof line);
        message("%s", line);
    }
    if (r->sim != FORKSIM_OK &&
        (naborts == 0 || r->sim == FORKSIM_DEADLOCK || r->sim == FORKSIM_LIVELOCK))
        message("%s", forksim_run_report()); /* where each thread waits, after an abort too */
    /* A child the fork created but nobody terminated (the parent aborted mid-fork). */
    ktask_t *newest = world_newest_task(kern_world());
    sim_task *newest_task = newest != NULL ? kern_sim_task(newest) : NULL;
    if (newest_task != NULL && R.parent_id != 0 && sim_task_id(newest_task) > R.parent_id &&
        !task_is_other(sim_task_id(newest_task)))
        message("task %d is left behind, never terminated: a half-built child",
                sim_task_id(newest_task));
    char diags[16][MODEL_DIAG_LEN];
    r->invariant_violations = model_check(kern_world(), diags, 16);
    for (size_t i = 0; i < r->invariant_violations && i < 16; i++)
        message("model_check: %s", diags[i]);
    const sim_decisions *d = sim_decisions_made();
    r->decisions = calloc(1, sizeof *r->decisions);
    *r->decisions = *d;
    r->decisions->picks = malloc((d->npicks + 1) * sizeof *d->picks);
    memcpy(r->decisions->picks, d->picks, d->npicks * sizeof *d->picks);
    r->decisions->cap = d->npicks;
    r->decisions->events = malloc((d->nevents + 1) * sizeof *d->events);
    if (d->nevents != 0)
        memcpy(r->decisions->events, d->events, d->nevents * sizeof *d->events);
    r->decisions->ecap = d->nevents;
    if (r->stopped)
        message("--stop-at: the spaces shown are those of that step; expectations about names are not checked");
    if (!r->stopped)
        check_expectations(s, r);
    /* Each fault or event that never landed, by its line: the call it names never came (a
     * patch may have removed it, or the anchor counts too far). */
    for (unsigned i = 0; i < s->nfaults; i++) {
        if (kern_fault_has_fired(i))
            continue;
        char where[200];
        scn_anchor_format(&s->anchors[i], where, sizeof where);
        if (s->fault_lines[i] > 0)
            failure("%s:%d: '%s' never landed: no such call in the run", s->path,
                    s->fault_lines[i], where);
        else
            failure("%s: a fault at '%s' never landed: no such call in the run", s->path, where);
    }
    bool failed = r->failures > 0;
    free(R.child_at_fork);
    R.child_at_fork = NULL;
    R.nchild_at_fork = 0;
    r->leaked = forksim_close();
    if (trace != NULL)
        fclose(trace);
    if (from_file != NULL)
        sim_decisions_free(from_file);

    /* A decision list that ran out or no longer fits stopped the run wherever it was: the
     * steps after that point never ran, so nothing about them may pass. */
    /* An assertion that failed is an abort only if the process then ended: glibc's abort path
     * (issue 9, item 7) may leave it unable to finish, a deadlock or livelock like any other. */
    run_verdict actual = r->sim == FORKSIM_UNMODELLED   ? VERDICT_UNMODELLED
                         : r->sim == FORKSIM_DIVERGED   ? VERDICT_DIVERGED
                         : r->sim == FORKSIM_DEADLOCK   ? VERDICT_DEADLOCK
                         : r->sim == FORKSIM_LIVELOCK   ? VERDICT_LIVELOCK
                         : naborts > 0                  ? VERDICT_ABORT
                                                        : VERDICT_OK;
    const char *want = "ok";
    for (size_t i = 0; i < s->nexpects; i++)
        if (s->expects[i].kind == EXPECT_VERDICT)
            want = s->expects[i].word;
    static const char *const words[] = {"ok", "", "abort", "deadlock", "livelock", "diverged",
                                        "unmodelled"};
    bool cut_short = actual == VERDICT_DIVERGED || actual == VERDICT_UNMODELLED;
    r->expected = !failed && !cut_short && strcmp(words[actual], want) == 0;
    r->verdict = failed && !cut_short ? VERDICT_EXPECTATION_FAILED : actual;
    if (actual == VERDICT_DIVERGED && listed) {
        snprintf(r->error, sizeof r->error, "%.300s:%d: decisions %.300s: the list does not fit this run "
                 "(%s; the program or the scenario changed): the steps after that point never ran",
                 s->path, s->decisions_line, s->decisions, why);
        message("%s", r->error);
    }
    if (strcmp(words[actual], want) != 0)
        message("verdict: expected %s, got %s", want, run_verdict_name(actual));
    return 0;
}

void run_result_free(run_result *r)
{
    free(r->at_abort);
    r->at_abort = NULL;
    free(r->notes);
    r->notes = NULL;
    r->nnotes = 0;
    free(r->trace);
    if (r->decisions != NULL) {
        free(r->decisions->picks);
        free(r->decisions->events);
        free(r->decisions);
    }
    r->trace = NULL;
    r->decisions = NULL;
}
