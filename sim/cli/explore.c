/*
 * explore.c: forksim explore, the fault sweep and the port-death sweep over glibc's fork
 * (the record's case 6: every RPC fork makes can fail; a port can die at any point).
 *
 * How a sweep works. The scenario runs once without faults, with call sites on, and an RPC
 * observer (kern_set_rpc_observer) lists every RPC of the run with the number a fault plan
 * gives it (every RPC of every thread counts, from the end of the parent's set-up). The RPCs
 * whose call site is in _Fork.c are the fork's: the forking thread's, and the child's in its
 * part of fork. Since a run is deterministic, a run with one fault planned at RPC number N is
 * the same run as the one without faults up to RPC N, so the fault lands on the RPC the
 * listing names; the observer checks that it did (a misplaced fault is forksim's bug). Each
 * run is the scenario plus one fault line, as a person would write it:
 *
 *     fault rpc N routine-fails KERN_RESOURCE_SHORTAGE       (or send-fails, reply-lost)
 *     at rpc N destroy LABEL
 *
 * After each run: model_check (the runner runs it), the objects left at close, and an audit:
 * the parent's names against its snapshot just before fork (when it survived), and what is
 * left of the child, from the kernel's view (is its task alive?) and the proc server's (is
 * there an entry for its pid? did proc_child happen?).
 *
 * Stands in for nothing of GNU Mach or glibc: a harness around the runner, in the spirit of
 * SQLite's fault simulator (fail the Nth call, then audit).
 */
#include "explore.h"

#include "servers.h"
#include "forkimpl.h"
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the errors a routine of the fork can really return ------------------------------------ */

/* One per routine fork calls: what a routine-fails fault returns, and why the routine can
 * return it on a real Hurd (GNU Mach's kern/ and ipc/, the Hurd's proc/ and term/). */
static const struct explore_error_entry {
    const char *routine;
    kern_return_t error;
    const char *why;
} error_table[] = {
    {"proc_dostop", HURD_EOPNOTSUPP,
     "the proc port names no process any more (proc's intran gives NULL: S_proc_dostop's first check)"},
    {"thread_abort", KERN_INVALID_ARGUMENT,
     "the signal thread's port names no thread any more (it terminated: THREAD_NULL)"},
    {"task_create", KERN_RESOURCE_SHORTAGE,
     "no memory for the task or its copied address space (task_create's zalloc, vm_map_fork)"},
    /* fork ours (issue 13 item 5; docs/fork-ours-rules.md TC1): its one request fails whole */
    {"task_copy_names", KERN_INVALID_TASK,
     "the child task died before the call (terminated by another holder of its task port)"},
    {"mach_port_names", KERN_RESOURCE_SHORTAGE,
     "the name and type arrays cannot be allocated (mach_port_names' kmem_alloc)"},
    {"task_threads", KERN_RESOURCE_SHORTAGE,
     "the thread array cannot be allocated (task_threads' kalloc)"},
    {"proc_task2proc", HURD_ESRCH,
     "the proc server does not find the new task (task_find fails: the task died before proc looked)"},
    {"mach_port_get_refs", KERN_INVALID_NAME,
     "another holder of the parent's task port (a debugger) released the name after mach_port_names"},
    {"mach_port_insert_right", KERN_RESOURCE_SHORTAGE,
     "the child's IPC space cannot grow (ipc_entry_alloc_name cannot allocate)"},
    {"mach_port_allocate_name", KERN_RESOURCE_SHORTAGE,
     "no memory for the new port or the child's entry (ipc_port_alloc_name)"},
    {"mach_port_extract_right", KERN_INVALID_TASK,
     "the child task was terminated by another holder of its task port (proc has one since task2proc)"},
    {"mach_port_mod_refs", KERN_UREFS_OVERFLOW,
     "the child's urefs would pass 65534 (record case 1: the 2010 expect failure, error 19)"},
    {"mach_port_deallocate", KERN_INVALID_TASK,
     "the space is dead: the task it names was terminated (the child, by a holder of its task port)"},
    {"proc_setmsgport", HURD_EOPNOTSUPP,
     "the child's proc port names no process any more (proc dropped the entry when its task died)"},
    {"task_set_special_port", KERN_FAILURE,
     "the child task is inactive, being terminated (task_set_special_port's !task->active check)"},
    {"thread_resume", KERN_FAILURE,
     "the thread is not suspended (its suspend count is 0: another holder of its port resumed it)"},
    {"thread_create", KERN_RESOURCE_SHORTAGE,
     "no memory for the thread or its kernel stack (thread_create's zalloc)"},
    {"thread_get_state", KERN_INVALID_ARGUMENT,
     "the signal thread's port names no thread any more (it terminated)"},
    {"thread_set_state", KERN_FAILURE,
     "the new thread cannot be halted (thread_halt fails: its task is being terminated)"},
    {"proc_get_arg_locations", HURD_EOPNOTSUPP,
     "the parent's proc port names no process any more (proc's intran gives NULL)"},
    {"proc_set_arg_locations", HURD_EOPNOTSUPP,
     "the child's proc port names no process any more (proc dropped the entry)"},
    {"proc_task2pid", HURD_ESRCH,
     "the proc server no longer knows the child task (it died and proc dropped it)"},
    {"proc_child", HURD_ESRCH,
     "S_proc_child's task_find_nocreate fails: the child task died and proc dropped it"},
    {"proc_getpids", HURD_EOPNOTSUPP,
     "the child's proc port names no process any more (proc's intran gives NULL)"},
    {"term_open_ctty", HURD_EOPNOTSUPP,
     "the descriptor's port is no longer a terminal's (term's intran fails: revoked on hang-up)"},
    {"vm_deallocate", KERN_INVALID_ARGUMENT,
     "the range is not allocated or not page-aligned (vm_deallocate's checks)"},
    {"task_terminate", KERN_INVALID_ARGUMENT,
     "the task port names no task any more (it terminated already)"},
    {"task_suspend", KERN_INVALID_ARGUMENT, "the task port names no task any more"},
    {"task_resume", KERN_INVALID_ARGUMENT, "the task port names no task any more"},
    /* exec's (hurd/hurdexec.c, in a scenario with an exec step; hexec, issue 9 item 6) */
    {"file_exec_paths", HURD_EACCES,
     "the file system refuses the exec (libdiskfs file-exec.c: no execute permission for the caller)"},
    {"file_exec", HURD_EACCES,
     "the file system refuses the exec (libdiskfs file-exec.c: no execute permission for the caller)"},
};

/* Routines that cannot fail: traps that return a name (mach_task_self, mach_thread_self,
 * mach_reply_port), and mach_msg, which the fork never calls itself. */
static bool cannot_fail(const char *routine)
{
    return strcmp(routine, "mach_task_self") == 0 || strcmp(routine, "mach_thread_self") == 0 ||
           strcmp(routine, "mach_reply_port") == 0 || strcmp(routine, "mach_msg") == 0;
}

bool explore_error(const char *routine, kern_return_t *error, const char **why)
{
    if (cannot_fail(routine))
        return false;
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
        if (strcmp(error_table[i].routine, routine) == 0) {
            if (error != NULL)
                *error = error_table[i].error;
            if (why != NULL)
                *why = error_table[i].why;
            return true;
        }
    return false;
}

const char *explore_kind_name(kern_fault_kind kind)
{
    switch (kind) {
    case KF_SEND_FAILS: return "send-fails";
    case KF_ROUTINE_FAILS: return "routine-fails";
    case KF_REPLY_LOST: return "reply-lost";
    case KF_PORT_DEATH: return "port-death";
    default: return "?";
    }
}

const char *explore_child_name(explore_child c)
{
    switch (c) {
    case CHILD_NONE: return "no child task";
    case CHILD_GONE: return "task terminated, proc entry gone";
    case CHILD_TERMINATED: return "task terminated, proc entry left";
    case CHILD_ORPHAN: return "an orphan";
    case CHILD_STUCK: return "alive, never runs";
    }
    return "?";
}

const char *explore_code_name(kern_return_t code, char *buf, size_t len)
{
    const char *n = mk_return_name(code);
    if (n == NULL)
        n = hurd_errno_name(code);
    if (n == NULL) {
        snprintf(buf, len, "0x%x", (unsigned)code);
        n = buf;
    }
    return n;
}

/* --- the RPC observer (host memory) --------------------------------------------------------- */

typedef struct seen_rpc {
    uint64_t nth, step;
    const char *routine;        /* the stub's name for it: a string constant (kern.h) */
    char site[40];
    int task, thread;
    kern_return_t kr;
    kern_fault_kind fault;
} seen_rpc;

static struct {
    seen_rpc *v;
    size_t n, cap;
} OBS;

static void observe(const kern_rpc_note *note, void *arg)
{
    (void)arg;
    if (OBS.n == OBS.cap) {
        size_t cap = OBS.cap ? OBS.cap * 2 : 1024;
        seen_rpc *v = realloc(OBS.v, cap * sizeof *v);
        if (v == NULL)
            return;
        OBS.v = v;
        OBS.cap = cap;
    }
    seen_rpc *s = &OBS.v[OBS.n++];
    s->nth = note->nth;
    s->step = note->step;
    /* Called for every RPC of every run: no formatting (a run's RPCs are a few hundred). */
    s->routine = note->routine;
    size_t len = strnlen(note->site, sizeof s->site - 1);
    memcpy(s->site, note->site, len);
    s->site[len] = '\0';
    s->task = note->task;
    s->thread = note->thread;
    s->kr = note->kr;
    s->fault = note->fault;
}

/* The RPC a run's fault landed on: the one the fault plan marked (faults), or for a port
 * death the last RPC numbered nth (the numbering restarts at the end of the set-up, so earlier
 * RPCs of the boot may carry the same number). */
static const seen_rpc *seen_fault(kern_fault_kind kind, uint64_t nth)
{
    for (size_t i = OBS.n; i-- > 0;)
        if (kind == KF_PORT_DEATH ? OBS.v[i].nth == nth : OBS.v[i].fault == kind)
            return &OBS.v[i];
    return NULL;
}

/* --- the run without faults ----------------------------------------------------------------- */

typedef struct baseline {
    bool ndebug;
    explore_rpc *rpcs;
    size_t nrpcs;
    int parent_task, child_task;
    pid_t child_pid;
    uint64_t fork_step;         /* picks made when the parent's fork step began */
    run_snapshot *snap;         /* the world just before it (NULL: runs are made whole) */
} baseline;

/* The fork a row ran: with `fork ours` (issue 13 item 5) both builds run forksim's own fork. */
static bool explore_ours;
static const char *build_name(bool ndebug)
{
    return explore_ours ? "ours" : ndebug ? "glibc-ndebug" : "glibc";
}

static scenario *scenario_for(const scenario *s, bool ndebug)
{
    scenario *c = malloc(sizeof *c);
    if (c != NULL) {
        memcpy(c, s, sizeof *c);
        c->ndebug = ndebug;
    }
    return c;
}

static void say(const explore_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const explore_options *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->out != NULL ? o->out : stderr, fmt, ap);
    va_end(ap);
}

/* The call of the trace line numbered step ("routine(args)"), or the routine alone. */
static void call_of(const run_result *r, uint64_t step, const char *routine, char *buf, size_t len)
{
    snprintf(buf, len, "%s", routine);
    char head[32];
    int hl = snprintf(head, sizeof head, "%6llu t", (unsigned long long)step);
    for (const char *line = r->trace; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, head, (size_t)hl) == 0) {
            const char *p = strchr(line + hl, ' '), *stop = strstr(line, ") = ");
            if (p == NULL || stop == NULL || (end != NULL && stop > end))
                return;
            p++;
            if (strncmp(p, "trap ", 5) == 0)
                p += 5;
            int n = (int)(stop + 1 - p);
            snprintf(buf, len, "%.*s", n, p);
            return;
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

/* Runs s (one build) without faults: the fork's RPCs, the parent's and the child's tasks.
 * Returns 0, or -1 with a message when that run is not a successful fork. */
static int baseline_run(const scenario *s, bool ndebug, const explore_options *o, baseline *b,
                        run_result *r)
{
    memset(b, 0, sizeof *b);
    b->ndebug = ndebug;
    scenario *sc = scenario_for(s, ndebug);
    run_options ro = {.sites = true};
    OBS.n = 0;
    int rc = sc != NULL ? run_scenario(sc, &ro, r) : -1;
    free(sc);
    const char *build = build_name(ndebug);
    if (rc != 0) {
        say(o, "explore: %s: the run without faults could not start: %s\n", s->path, r->messages[0]);
        return -1;
    }
    for (size_t i = 0; i < r->nfork_returns; i++) {
        if (r->fork_returns[i].pid > 0 && b->parent_task == 0)
            b->parent_task = r->fork_returns[i].task;
        if (r->fork_returns[i].pid == 0 && b->child_task == 0)
            b->child_task = r->fork_returns[i].task;
    }
    b->child_pid = r->child_pid;
    b->fork_step = r->fork_step;
    if (b->parent_task == 0 || b->child_task == 0 || r->invariant_violations != 0 || r->leaked != 0 ||
        fi_aborts(NULL) != 0) {
        say(o, "explore: %s (fork %s): the run without faults is not a successful fork "
               "(verdict %s); fix the scenario first\n", s->path, build, run_verdict_name(r->verdict));
        for (size_t i = 0; i < r->nmessages; i++)
            say(o, "  %s\n", r->messages[i]);
        run_result_free(r);
        return -1;
    }
    b->rpcs = calloc(OBS.n + 1, sizeof *b->rpcs);
    for (size_t i = 0; i < OBS.n; i++) {
        const seen_rpc *v = &OBS.v[i];
        /* the fork's RPCs, and in a scenario that execs, the child's exec's (hurdexec.c) */
        bool of_exec = s->with_exec && v->task == b->child_task &&
                       strncmp(v->site, "hurdexec.c:", 11) == 0;
        /* fork ours' own (forkimpl/fork_ours.c, issue 13 item 5) too */
        bool of_fork = strncmp(v->site, "_Fork.c:", 8) == 0 || strncmp(v->site, "fork_ours.c:", 12) == 0;
        if ((!of_fork && !of_exec) ||
            (v->task != b->parent_task && v->task != b->child_task))
            continue;
        explore_rpc *e = &b->rpcs[b->nrpcs++];
        e->nth = v->nth;
        e->step = v->step;
        e->task = v->task;
        e->thread = v->thread;
        e->in_child = v->task == b->child_task;
        snprintf(e->routine, sizeof e->routine, "%s", v->routine);
        snprintf(e->site, sizeof e->site, "%s", v->site);
        call_of(r, v->step, v->routine, e->call, sizeof e->call);
    }
    /* A successful exec's file_exec_paths never returns to its caller (the exec server ends
     * the calling thread), so no note lists it: it is planned by routine (the child's first
     * file_exec_paths, nth 0 here) and placed from the run that faults it. */
    bool exec_call = false;
    for (size_t i = 0; i < b->nrpcs; i++)
        exec_call |= b->rpcs[i].in_child && strcmp(b->rpcs[i].routine, "file_exec_paths") == 0;
    if (s->with_exec && !exec_call) {
        explore_rpc *e = &b->rpcs[b->nrpcs++];
        memset(e, 0, sizeof *e);
        e->task = b->child_task;
        e->in_child = true;
        snprintf(e->routine, sizeof e->routine, "file_exec_paths");
        snprintf(e->site, sizeof e->site, "hurdexec.c");
        snprintf(e->call, sizeof e->call, "file_exec_paths(...) (the exec)");
    }
    run_result_free(r);
    return 0;
}

/* The world of s just before the parent's fork step, for the runs to start from (the point where
 * they part: every fault of a sweep is at an RPC of the fork). Taken in a run of its own, made
 * as the sweep's runs are (trace off): a sweep's output is the same with or without it. */
static run_snapshot *snapshot_run(const scenario *s, const baseline *b, run_result *r)
{
    if (b->fork_step < 2)
        return NULL;
    scenario *sc = scenario_for(s, b->ndebug);
    run_snapshot *sn = NULL;
    run_options ro = {.no_trace = true, .snap_step = b->fork_step - 1, .snap_out = &sn};
    OBS.n = 0;
    if (sc != NULL && run_scenario(sc, &ro, r) == 0)
        run_result_free(r);
    free(sc);
    return sn;
}

/* --- one run and its audit ------------------------------------------------------------------ */

typedef struct audit {
    const baseline *b;
    run_result *r;
    explore_row *row;
    mach_port_name_t victim;        /* port deaths: the parent's name for the dead port */
    bool has_victim;
    bool parent_alive;
    forksim_name *parent_names;     /* the parent at the end, when its steps never ended */
    size_t nparent;
} audit;

static void name_from(explore_name *e, const forksim_name *n)
{
    e->name = n->name;
    e->type = n->dead && !(n->type & MACH_PORT_TYPE_RECEIVE) ? MACH_PORT_TYPE_DEAD_NAME : n->type;
    e->urefs = n->urefs;
    e->label[0] = '\0';
}

/* The runner's after_run hook: the world is still there. */
static void audit_after_run(void *arg)
{
    audit *a = arg;
    explore_row *row = a->row;
    const baseline *b = a->b;
    sim_task *parent = sim_task_by_id(b->parent_task);
    a->parent_alive = parent != NULL && ktask_active(kern_ktask(parent));
    sim_task *child = sim_task_by_id(b->child_task);
    if (child == parent)
        child = NULL;
    bool alive = child != NULL && ktask_active(kern_ktask(child));
    bool made = alive;
    for (size_t i = 0; i < OBS.n && !made; i++)
        made = OBS.v[i].task == b->parent_task && strcmp(OBS.v[i].routine, "task_create") == 0 &&
               (OBS.v[i].kr == KERN_SUCCESS || OBS.v[i].fault == KF_REPLY_LOST);
    hurd_proc_info info;
    bool entry = b->child_pid > 0 && hurd_proc_peek(b->child_pid, &info);
    row->child_task = made ? b->child_task : 0;
    row->child_pid = entry ? info.pid : 0;
    row->child_parentset = entry && info.parentset;
    if (!made)
        row->child = CHILD_NONE;
    else if (!alive)
        row->child = entry ? CHILD_TERMINATED : CHILD_GONE;
    else if (row->child_parentset && a->parent_alive)
        row->child = CHILD_STUCK;
    else
        row->child = CHILD_ORPHAN;
    /* The dead port's name: the label's, in the parent's snapshot before fork. */
    for (size_t i = 0; a->has_victim && i < a->r->before_fork.n; i++)
        if (strcmp(a->r->before_fork.names[i].label, row->label) == 0)
            a->victim = a->r->before_fork.names[i].name;
    forksim_name n;
    if (a->has_victim && alive && !a->r->child.taken) {
        row->child_space_known = true;
        if (forksim_name_info(child, a->victim, &n)) {
            row->child_has_name = true;
            name_from(&row->child_name, &n);
        }
    }
    /* The child's failed exec, and what _hurd_exec_paths left held (forkimpl/execrt.c). */
    const fi_exec_failure *ef;
    unsigned nef = fi_exec_failures(&ef);
    for (unsigned i = 0; i < nef; i++)
        if (ef[i].task == b->child_task) {
            row->exec_failed = true;
            row->exec_err = ef[i].err;
            fi_exec_held(&ef[i], row->exec_held, sizeof row->exec_held);
        }
    if (a->parent_alive && !a->r->parent.taken) {
        size_t total = forksim_names(parent, NULL, 0);
        a->parent_names = calloc(total + 1, sizeof *a->parent_names);
        a->nparent = forksim_names(parent, a->parent_names, total);
    }
}

static const run_name *space_find(const run_space *sp, mach_port_name_t name)
{
    for (size_t i = 0; i < sp->n; i++)
        if (sp->names[i].name == name)
            return &sp->names[i];
    return NULL;
}

/* The parent's MIG reply ports: made on demand and destroyed when a send fails (M10, M12), so
 * a name that differs only by being the forking thread's reply port before or after is not a
 * leak. Its reply port is the receive right without send rights that the thread's RPCs used:
 * the run's own receive rights with no label and no senders are those. */
static bool reply_port_like(const run_name *n)
{
    return n->type == MACH_PORT_TYPE_RECEIVE && n->label[0] == '\0' &&
           strcmp(n->denotes, "own port") == 0;
}

static void leak_add(explore_row *row, const run_name *after, const forksim_name *live,
                     const run_name *before)
{
    if (row->nleaks == EXPLORE_MAX_DIFF) {
        row->nleaks++;
        return;
    }
    if (row->nleaks > EXPLORE_MAX_DIFF)
        return;
    explore_name *e = &row->leaks[row->nleaks], *w = &row->before[row->nleaks];
    if (after != NULL) {
        e->name = after->name;
        e->type = after->type;
        e->urefs = after->urefs;
        snprintf(e->label, sizeof e->label, "%s", after->label);
    } else {
        name_from(e, live);
    }
    memset(w, 0, sizeof *w);
    if (before != NULL) {
        w->name = before->name;
        w->type = before->type;
        w->urefs = before->urefs;
        snprintf(w->label, sizeof w->label, "%s", before->label);
        if (e->label[0] == '\0')
            snprintf(e->label, sizeof e->label, "%s", before->label);
    }
    row->nleaks++;
}

/* A right held after that was not held before: a new name, a new kind of right under a name
 * (a dead name turning into a dead name is not one), or more urefs of the same kind. */
static bool is_leak(mach_port_type_t type, mach_port_urefs_t urefs, const run_name *before)
{
    if (before == NULL)
        return true;
    mach_port_type_t gained = type & ~before->type;
    if (before->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE))
        gained &= ~MACH_PORT_TYPE_DEAD_NAME; /* the port died: the right became a dead name */
    if (gained != 0)
        return true;
    return type == before->type && urefs > before->urefs;
}

static void audit_parent(audit *a)
{
    run_result *r = a->r;
    explore_row *row = a->row;
    const run_space *before = &r->before_fork;
    /* A parent that aborted never returned from fork: what it holds is not what fork left it
     * (since glibc's own abort path runs, it may still hold everything, hung: issue 9 item 7). */
    if (!before->taken || (row->naborts > 0 && !row->abort_in_child))
        return;
    if (r->parent.taken) {
        row->audited = true;
        for (size_t i = 0; i < r->parent.n; i++) {
            const run_name *n = &r->parent.names[i], *b = space_find(before, n->name);
            if (reply_port_like(n) && (b == NULL || reply_port_like(b)))
                continue;
            if (is_leak(n->type, n->urefs, b))
                leak_add(row, n, NULL, b);
        }
    } else if (a->parent_names != NULL) {
        row->audited = true;
        for (size_t i = 0; i < a->nparent; i++) {
            explore_name e;
            name_from(&e, &a->parent_names[i]);
            const run_name *b = space_find(before, e.name);
            if (e.type == MACH_PORT_TYPE_RECEIVE && (b == NULL || reply_port_like(b)))
                continue;
            if (is_leak(e.type, e.urefs, b))
                leak_add(row, NULL, &a->parent_names[i], b);
        }
    }
    if (a->has_victim) {
        const run_name *pn = r->parent.taken ? space_find(&r->parent, a->victim) : NULL;
        if (pn != NULL) {
            row->parent_has_name = true;
            row->parent_name = (explore_name){pn->name, pn->type, pn->urefs, ""};
        }
        row->child_space_known |= r->child.taken;
        const run_name *cn = r->child.taken ? space_find(&r->child, a->victim) : NULL;
        if (cn != NULL) {
            row->child_has_name = true;
            row->child_name = (explore_name){cn->name, cn->type, cn->urefs, ""};
        }
    }
}

/* Runs the scenario with one fault and fills row. */
static void run_one(const scenario *s, const baseline *b, explore_row *row, run_result *r,
                    const explore_options *o)
{
    scenario *sc = scenario_for(s, b->ndebug);
    if (sc == NULL || sc->nfaults == KERN_MAX_FAULTS) {
        snprintf(row->bug, sizeof row->bug, "no room for one more fault in the scenario");
        free(sc);
        return;
    }
    kern_fault *f = &sc->faults[sc->nfaults];
    memset(f, 0, sizeof *f);
    f->kind = row->kind;
    f->nth = (unsigned)row->rpc.nth;
    f->error = row->error;
    sc->fault_routines[sc->nfaults][0] = '\0';
    if (row->rpc.nth == 0) {    /* the exec's call, by routine: its first */
        snprintf(sc->fault_routines[sc->nfaults], sizeof sc->fault_routines[0], "%s",
                 row->rpc.routine);
        f->routine = sc->fault_routines[sc->nfaults];
        f->nth = 1;
    }
    snprintf(sc->fault_labels[sc->nfaults], SCN_MAX_LABEL, "%s", row->label);
    sc->nfaults++;

    audit a = {.b = b, .r = r, .row = row, .has_victim = row->kind == KF_PORT_DEATH};
    /* The trace is formatted only when someone reads it: a kept trace, or --run N's. */
    run_options ro = {.after_run = audit_after_run, .after_run_arg = &a,
                      .no_trace = !o->keep_traces && o->only_run == 0, .snap_from = b->snap};
    OBS.n = 0;
    if (run_scenario(sc, &ro, r) != 0) {
        snprintf(row->bug, sizeof row->bug, "the run could not start: %.200s", r->messages[0]);
        free(sc);
        return;
    }
    free(sc);

    for (size_t i = 0; i < r->nfork_returns; i++) {
        const run_fork_return *fr = &r->fork_returns[i];
        if (fr->task == b->parent_task && !row->parent_returned) {
            row->parent_returned = true;
            row->parent_pid = fr->pid;
            row->parent_err = fr->err;
        } else if (fr->task != b->parent_task && !row->child_returned) {
            row->child_returned = true;
            row->child_ret = fr->pid;
            row->child_err = fr->err;
        }
    }
    const fi_abort_record *ab;
    row->naborts = fi_aborts(&ab);
    if (row->naborts > 0) {
        snprintf(row->abort_site, sizeof row->abort_site, "%s", ab[0].site);
        row->abort_err = ab[0].err;
        row->abort_task = ab[0].task;
        row->abort_in_child = ab[0].task != b->parent_task;
    }
    row->verdict = r->verdict;
    row->sim = r->sim;
    row->violations = r->invariant_violations;
    row->objects_left = r->leaked;
    audit_parent(&a);
    free(a.parent_names);

    const seen_rpc *hit = seen_fault(row->kind, row->rpc.nth);
    bool by_routine = row->rpc.nth == 0;
    if (by_routine && hit != NULL && strcmp(hit->routine, row->rpc.routine) == 0 &&
        hit->task == row->rpc.task) {
        /* placed now: the call the routine's fault landed on */
        row->rpc.nth = hit->nth;
        row->rpc.step = hit->step;
        row->rpc.thread = hit->thread;
        if (hit->site[0] != '\0')
            snprintf(row->rpc.site, sizeof row->rpc.site, "%s", hit->site);
    }
    if (by_routine && hit == NULL && row->kind == KF_REPLY_LOST) {
        /* the server acted: the exec went through and its caller is gone, reply and all */
    } else if (hit == NULL || hit->nth != row->rpc.nth || strcmp(hit->routine, row->rpc.routine) != 0 ||
        hit->task != row->rpc.task || hit->thread != row->rpc.thread)
        snprintf(row->bug, sizeof row->bug, "the fault landed on %s of t%d.%d, not on the fork's %s",
                 hit != NULL ? hit->routine : "no RPC", hit != NULL ? hit->task : 0,
                 hit != NULL ? hit->thread : 0, row->rpc.routine);
    else if (row->violations != 0)
        snprintf(row->bug, sizeof row->bug, "%zu invariant violation(s): %.200s", row->violations,
                 r->nmessages > 0 ? r->messages[r->nmessages - 1] : "");
    else if (row->objects_left != 0)
        snprintf(row->bug, sizeof row->bug, "%zu object(s) left at close", row->objects_left);
    else if (r->sim == FORKSIM_UNMODELLED)
        snprintf(row->bug, sizeof row->bug, "unmodelled: the run stopped");
    if (o->keep_traces && r->trace != NULL)
        row->trace = strdup(r->trace);
}

/* --- rows ------------------------------------------------------------------------------------- */

static void name_text(char *buf, size_t len, const explore_name *n)
{
    snprintf(buf, len, "%s urefs %u", scn_type_name(n->type), n->urefs);
}

/* One line: where, what, and what came of it:
 *   RUN BUILD rpc N step S tT.TH ROUTINE SITE WHAT => parent: ... | child: ... | child left: ...
 * then, for port deaths, both processes' rights under the dead port's name, and any leaks. */
static void row_print(FILE *out, const explore_row *row)
{
    char b1[32], what[96];
    const explore_rpc *e = &row->rpc;
    if (row->kind == KF_PORT_DEATH)
        snprintf(what, sizeof what, "%s dies", row->label);
    else if (row->kind == KF_ROUTINE_FAILS)
        snprintf(what, sizeof what, "routine-fails %s", explore_code_name(row->error, b1, sizeof b1));
    else
        snprintf(what, sizeof what, "%s", explore_kind_name(row->kind));
    fprintf(out, "%5u %-12s rpc %4llu step %5llu t%d.%-3d %-46s %-12s %-38s =>", row->run,
            build_name(row->ndebug), (unsigned long long)e->nth,
            (unsigned long long)e->step, e->task, e->thread, e->call, e->site, what);
    /* How fork returned, in the parent. */
    fprintf(out, " parent: ");
    if (row->naborts > 0 && !row->abort_in_child) {
        fprintf(out, "abort at %s", row->abort_site);
        if (row->abort_err != 0)
            fprintf(out, " (%s)", explore_code_name(row->abort_err, b1, sizeof b1));
    } else if (row->parent_returned && row->parent_pid < 0) {
        fprintf(out, "-1 (%s)", explore_code_name(row->parent_err, b1, sizeof b1));
    } else if (row->parent_returned) {
        fprintf(out, "%d", (int)row->parent_pid);
    } else {
        fprintf(out, "no return");
    }
    if (row->sim == FORKSIM_DEADLOCK || row->sim == FORKSIM_LIVELOCK)
        fprintf(out, ", then %s", row->sim == FORKSIM_LIVELOCK ? "a livelock" : "a deadlock");
    /* In the child. */
    fprintf(out, " | child: ");
    if (row->naborts > 0 && row->abort_in_child) {
        fprintf(out, "abort at %s", row->abort_site);
        if (row->abort_err != 0)
            fprintf(out, " (%s)", explore_code_name(row->abort_err, b1, sizeof b1));
    } else if (row->child_returned && row->child_ret < 0) {
        fprintf(out, "-1 (%s)", explore_code_name(row->child_err, b1, sizeof b1));
    } else if (row->child_returned) {
        fprintf(out, "%d", (int)row->child_ret);
    } else {
        fprintf(out, "-");
    }
    /* What is left of it. */
    if (row->exec_failed)
        fprintf(out, " | exec: -1 (%s), left held: %s",
                explore_code_name(row->exec_err, b1, sizeof b1), row->exec_held);
    fprintf(out, " | child left: %s", explore_child_name(row->child));
    if (row->child == CHILD_ORPHAN || row->child == CHILD_STUCK || row->child == CHILD_TERMINATED) {
        fprintf(out, " (task %d", row->child_task);
        if (row->child_pid <= 0)
            fprintf(out, ", not in proc");
        else if (row->child == CHILD_TERMINATED)
            fprintf(out, ", pid %d a zombie for %s to reap", (int)row->child_pid,
                    row->child_parentset ? "its parent" : "init");
        else
            fprintf(out, ", pid %d in proc%s", (int)row->child_pid,
                    row->child_parentset ? "" : ", proc_child never done");
        fputc(')', out);
    }
    if (row->kind == KF_PORT_DEATH) {
        char t[48];
        if (row->child_has_name)
            name_text(t, sizeof t, &row->child_name);
        fprintf(out, " | %s: child %s", row->label,
                row->child_has_name ? t : row->child_space_known ? "absent" : "-");
        if (row->parent_has_name)
            name_text(t, sizeof t, &row->parent_name);
        fprintf(out, ", parent %s", row->parent_has_name ? t : row->audited ? "absent" : "-");
    }
    if (row->nleaks > 0) {
        fprintf(out, " | leaks:");
        for (unsigned i = 0; i < row->nleaks && i < EXPLORE_MAX_DIFF; i++) {
            const explore_name *l = &row->leaks[i], *w = &row->before[i];
            fprintf(out, "%s %u%s%s%s %s urefs %u", i ? "," : "", l->name, l->label[0] ? " (" : "",
                    l->label, l->label[0] ? ")" : "", scn_type_name(l->type), l->urefs);
            if (w->type != 0)
                fprintf(out, " (before: %s urefs %u)", scn_type_name(w->type), w->urefs);
            else
                fprintf(out, " (new)");
        }
        if (row->nleaks > EXPLORE_MAX_DIFF)
            fprintf(out, ", ...");
    } else if (!row->audited && !(row->naborts > 0 && !row->abort_in_child)) {
        fprintf(out, " | parent not audited");
    }
    if (row->bug[0] != '\0')
        fprintf(out, " | FORKSIM BUG: %s", row->bug);
    fputc('\n', out);
}

/* --- the sweep -------------------------------------------------------------------------------- */

/* Abort sites, counted for the summary. */
typedef struct site_count {
    char site[64];
    bool ndebug;
    unsigned n;
} site_count;

static void count_site(site_count *v, size_t *n, size_t max, const explore_row *row)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].ndebug == row->ndebug && strcmp(v[i].site, row->abort_site) == 0) {
            v[i].n++;
            return;
        }
    if (*n < max) {
        snprintf(v[*n].site, sizeof v[*n].site, "%s", row->abort_site);
        v[*n].ndebug = row->ndebug;
        v[(*n)++].n = 1;
    }
}

static int site_cmp(const void *a, const void *b)
{
    const site_count *x = a, *y = b;
    if (x->ndebug != y->ndebug)
        return x->ndebug - y->ndebug;
    return strcmp(x->site, y->site);
}

/* The labels of the ports a port death can destroy: send and send-once rights to the peer's. */
static size_t victims(const scenario *s, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nhaves && n < max; i++)
        if ((s->haves[i].kind == HAVE_SEND || s->haves[i].kind == HAVE_SEND_ONCE) &&
            s->haves[i].label[0] != '\0')
            out[n++] = s->haves[i].label;
    return n;
}

int explore_run(const scenario *s, const explore_options *o, explore_summary *sum)
{
    explore_ours = s->fork_ours;
    memset(sum, 0, sizeof *sum);
    const char *sweep = o->kind == EXPLORE_FAULTS ? "fault sweep" : "port-death sweep";
    bool builds[2] = {o->glibc, o->ndebug};
    baseline base[2];
    memset(base, 0, sizeof base);
    run_result *r = calloc(1, sizeof *r);
    explore_row *row = calloc(1, sizeof *row);
    int rc = -1;
    if (r == NULL || row == NULL)
        goto out;
    kern_set_rpc_observer(observe, NULL);

    /* The runs, numbered over the full sweep: filters skip runs, never renumber them. */
    static const kern_fault_kind kinds[] = {KF_SEND_FAILS, KF_ROUTINE_FAILS, KF_REPLY_LOST};
    const char *labels[SCN_MAX_ITEMS];
    size_t nlabels = victims(s, labels, SCN_MAX_ITEMS);
    if (o->kind == EXPLORE_PORT_DEATHS && nlabels == 0) {
        say(o, "explore: %s: no send or send-once right to a port of another task (have send "
               "NAME) for a port to die\n", s->path);
        goto out;
    }
    size_t per_rpc = o->kind == EXPLORE_FAULTS ? 3 : nlabels;
    size_t total = 0, selected = 0;
    for (int k = 0; k < 2; k++) {
        if (!builds[k])
            continue;
        if (baseline_run(s, k == 1, o, &base[k], r) != 0)
            goto out;
        if (!o->whole_runs && o->only_run == 0 && !o->keep_traces)
            base[k].snap = snapshot_run(s, &base[k], r);
        for (size_t i = 0; i < base[k].nrpcs; i++) {
            const explore_rpc *e = &base[k].rpcs[i];
            if (o->kind == EXPLORE_FAULTS && cannot_fail(e->routine))
                continue;
            if (o->kind == EXPLORE_FAULTS && !explore_error(e->routine, NULL, NULL)) {
                say(o, "explore: the fork calls %s, which the error table does not know: add it "
                       "(sim/cli/explore.c, error_table)\n", e->routine);
                goto out;
            }
            for (size_t j = 0; j < per_rpc; j++) {
                total++;
                if ((o->routine == NULL || strcmp(o->routine, e->routine) == 0) &&
                    (o->kind != EXPLORE_FAULTS || o->fault == KF_NONE || o->fault == kinds[j]) &&
                    (o->only_run == 0 || o->only_run == total))
                    selected++;
            }
        }
        size_t in_child = 0;
        for (size_t i = 0; i < base[k].nrpcs; i++)
            in_child += base[k].rpcs[i].in_child;
        if (o->out != NULL && o->only_run == 0)
            fprintf(o->out, "%s: %s, fork %s: %zu RPCs of the fork (%zu in the child), %s\n", sweep,
                    s->path, build_name(k), base[k].nrpcs, in_child,
                    o->kind == EXPLORE_FAULTS ? "three faults each but the traps that cannot fail"
                                              : "one port death before each, per port");
    }

    site_count sites[64];
    size_t nsites = 0;
    unsigned run = 0;
    size_t done = 0;
    progress pg;    /* on a terminal only (progress.c, shared with the race explorer) */
    progress_open(&pg, o->progress, sweep);
    for (int k = 0; k < 2; k++) {
        if (!builds[k])
            continue;
        for (size_t i = 0; i < base[k].nrpcs; i++) {
            const explore_rpc *e = &base[k].rpcs[i];
            if (o->kind == EXPLORE_FAULTS && cannot_fail(e->routine))
                continue;
            for (size_t j = 0; j < per_rpc; j++) {
                run++;
                if ((o->routine != NULL && strcmp(o->routine, e->routine) != 0) ||
                    (o->kind == EXPLORE_FAULTS && o->fault != KF_NONE && o->fault != kinds[j]) ||
                    (o->only_run != 0 && o->only_run != run))
                    continue;
                memset(row, 0, sizeof *row);
                row->run = run;
                row->ndebug = k == 1;
                row->rpc = *e;
                if (o->kind == EXPLORE_FAULTS) {
                    row->kind = kinds[j];
                    row->error = kinds[j] == KF_SEND_FAILS  ? MACH_SEND_INVALID_DEST
                                 : kinds[j] == KF_REPLY_LOST ? MIG_SERVER_DIED
                                                             : 0;
                    if (kinds[j] == KF_ROUTINE_FAILS)
                        explore_error(e->routine, &row->error, NULL);
                } else {
                    row->kind = KF_PORT_DEATH;
                    snprintf(row->label, sizeof row->label, "%s", labels[j]);
                }
                run_one(s, &base[k], row, r, o);
                if (o->only_run != 0 && o->out != NULL && r->trace != NULL)
                    fwrite(r->trace, 1, r->trace_len, o->out);
                sum->runs++;
                sum->restored += r->restored;
                sum->violations += row->violations;
                sum->leak_runs += row->nleaks > 0;
                sum->bugs += row->bug[0] != '\0';
                if (row->naborts > 0) {
                    sum->aborts++;
                    count_site(sites, &nsites, sizeof sites / sizeof sites[0], row);
                } else if (row->sim == FORKSIM_DEADLOCK || row->sim == FORKSIM_LIVELOCK) {
                    sum->deadlocks++;
                } else if (row->parent_returned && row->parent_pid < 0) {
                    sum->failures++;
                } else {
                    sum->ok++;
                }
                sum->exec_failed += row->exec_failed;
                sum->exec_crit_held += row->exec_failed && strstr(row->exec_held, "critical section");
                sum->exec_dtable_held += row->exec_failed && strstr(row->exec_held, "fd-table lock");
                sum->orphans += row->child == CHILD_ORPHAN || row->child == CHILD_STUCK;
                sum->terminated += row->child == CHILD_TERMINATED;
                if (o->out != NULL)
                    row_print(o->out, row);
                if (o->on_row != NULL)
                    o->on_row(row, o->on_row_arg);
                free(row->trace);
                row->trace = NULL;
                run_result_free(r);
                done++;
                progress_update(&pg, done, SIZE_MAX, (double)done / (double)selected, done == selected);
            }
        }
    }
    progress_close(&pg);
    if (o->out != NULL) {
        fprintf(o->out, "%s: %zu runs, %zu invariant violations, %zu runs with leaks\n", sweep,
                sum->runs, sum->violations, sum->leak_runs);
        fprintf(o->out, "%s: %zu aborts, %zu forks failed, %zu forks returned, %zu deadlocks; "
                        "children left: %zu orphans or never run, %zu terminated with a proc entry "
                        "left; %zu forksim problems\n",
                sweep, sum->aborts, sum->failures, sum->ok, sum->deadlocks, sum->orphans,
                sum->terminated, sum->bugs);
        if (s->with_exec)
            fprintf(o->out, "%s: the child's exec failed in %zu runs; left held: the critical "
                            "section in %zu, the fd-table lock in %zu (signals with a handler "
                            "deferred for good)\n",
                    sweep, sum->exec_failed, sum->exec_crit_held, sum->exec_dtable_held);
        qsort(sites, nsites, sizeof sites[0], site_cmp);
        for (size_t i = 0; i < nsites; i++) {
            if (i == 0 || sites[i].ndebug != sites[i - 1].ndebug)
                fprintf(o->out, "%s%s: aborts of fork %s by site:", i ? "\n" : "", sweep,
                        build_name(sites[i].ndebug));
            fprintf(o->out, "%s %s x%u", i == 0 || sites[i].ndebug != sites[i - 1].ndebug ? "" : ",",
                    sites[i].site, sites[i].n);
        }
        if (nsites > 0)
            fputc('\n', o->out);
    }
    rc = 0;
out:
    kern_set_rpc_observer(NULL, NULL);
    for (int k = 0; k < 2; k++) {
        free(base[k].rpcs);
        run_snapshot_free(base[k].snap);
    }
    free(row);
    free(r);
    free(OBS.v);
    OBS.v = NULL;
    OBS.n = OBS.cap = 0;
    return rc;
}
