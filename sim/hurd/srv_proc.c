/*
 * srv_proc.c: the simulated proc server (the Hurd's proc/: hash.c, mgt.c, info.c, msg.c,
 * wait.c, dead-name.c), as far as glibc's fork, wait and kill need it. Rules P1-P11 of
 * docs/spec-rules.md.
 *
 * One daemon thread of its own task serves every proc port from one port set, so requests are
 * serialized as under proc's global lock (P3). The server's state is host memory (the server
 * is host code and is never forked); everything it does to ports it does by RPCs of its own
 * thread (mach_port_*, task_*, thread_*), so the model sees the server's space change as the
 * real server's would. A blocking routine (wait, getmsgport) answers MIG_NO_REPLY and keeps
 * the reply right; the reply goes out when the condition changes.
 *
 * Entries are made as the Hurd's proc makes them (P1): when the kernel's mach_notify_new_task
 * (id 4400, rule NT2) reports a task whose parent proc knows (S_mach_notify_new_task), or when a
 * request names a task proc has not met (task_find). At boot proc registers the kernel's entry's
 * proc port for those notifications (proc/main.c: register_new_task_notification with
 * MAKE_SEND, rule NT1).
 *
 * Added rules (forksim's, where the simulation has no counterpart):
 * - task_find does not rescan the host's tasks (Amendment P1): a miss creates an entry for
 *   that task only, if it is a live task. The tasks proc would meet in a rescan and not through
 *   the notification are the boot tasks of forksim's processes and servers (made before proc
 *   registered, or without task_create); a child made by task_create from a known parent has
 *   its entry from the notification, before any request names it.
 * - proc's host_priv right is given by the kernel just before proc registers (the Hurd's
 *   startup gives it in startup_procinit's reply, early in main), and proc drops it at once:
 *   forksim's proc makes no other host_priv call. The name it took is free again, so proc's
 *   later names are those it had without the registration.
 * - Task namespaces (p_task_namespace, the relay of the notification) are not modelled.
 * - Ids are one uid per process. An entry created through a request on init's proc port gets
 *   init's ids (root): the stand-in for startup setting the ids of the processes it starts.
 *   Other new entries are unowned (P1) until proc_child gives them the parent's (P9).
 * - Process groups have no sessions; a group is orphaned when no member's parent is alive in
 *   another group.
 * - The pid counter does not double its wrap limit (Amendment P2).
 * - The entries made at boot (init, startup, the kernel, proc itself) and those of the simulated
 *   Hurd servers' tasks are important (proc_mark_important), as init is made (proc/mgt.c:
 *   create_init_proc) and startup marks the rest (startup/startup.c); no other process is.
 *   Rule PG1 of docs/exec-rules.md.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <stdlib.h>
#include <string.h>

#define PENDING_MAX 64
#define HELPER_MAX 16
#define PID_INIT 1
#define PID_STARTUP 2
#define PID_PROC 4

typedef struct proc {
    bool p_used;
    pid_t p_pid;
    mach_port_t p_task;         /* send right (dead name once dead); NULL: no task */
    mach_port_t p_port;         /* receive right of the proc port, in the port set */
    struct proc *p_parent;
    pid_t p_pgrp;
    mach_port_t p_msgport;
    int p_uid;                  /* -1: no ids */
    bool p_noowner;
    int p_owner;
    bool p_deadmsg, p_parentset, p_dead, p_waited, p_exiting, p_stopped, p_stop_seen;
    bool p_continued;           /* proc_mark_cont since the last stop (proc/wait.c) */
    bool p_important;           /* proc_mark_important: left out of proc_getpgrppids */
    unsigned p_gseq;            /* when it joined its group: pg_plist is newest first */
    int p_status, p_sigcode;
    vm_address_t p_argv, p_envp;
} proc_t;

typedef enum { PEND_NONE, PEND_WAIT, PEND_GETMSGPORT } pend_kind;

/* A request answered MIG_NO_REPLY: its reply right and what it waits for. */
typedef struct pending {
    pend_kind kind;
    proc_t *caller;
    mach_port_t reply;
    mach_msg_type_name_t reply_type;
    mach_msg_id_t id;
    pid_t pid;                  /* wait: which children */
    int options;
    proc_t *target;             /* getmsgport */
} pending_t;

SIM_WORLD_STATE static struct procsrv {  /* world state (sim/rt/snapshot.c) */
    mach_port_t self;           /* the server's name for its own task port */
    mach_port_t pset;           /* every proc port and the notify port */
    mach_port_t notify;         /* dead-name notifications (the generic port) */
    struct proc *kernel_proc;   /* the kernel's entry: its port gets the new-task notifications */
    /* Every entry, each allocated once and never moved (pending requests and parents point
     * at entries); a free entry is reused. No limit but memory, as in the Hurd's proc. */
    proc_t **procs;
    int nprocs;
    pending_t pend[PENDING_MAX]; /* FIFO by index order of arrival: see pend_seq */
    unsigned pend_seq[PENDING_MAX], seq;
    mig_msg_t helper_msg[HELPER_MAX]; /* SIGCHLD sends retried by helper threads (P11) */
    bool helper_busy[HELPER_MAX];
    pid_t nextpid;
    unsigned gseq;              /* join_pgrp's order (p_gseq) */
    bool ready;
    /* proc_getsidport: a session id port per process group (forksim's groups have no
     * sessions: each group stands for its session), made on first request (proc/pgrp.c). */
    struct { pid_t pgrp; mach_port_t port; } sess[16];
    int nsess;
} S;

void proc_server_reset(void)
{
    /* The entries are in the world heap: with snapshots, sim_open has emptied it already. */
    if (!sim_snapshots_supported()) {
        for (int i = 0; i < S.nprocs; i++)
            sim_wfree(S.procs[i]);
        sim_wfree(S.procs);
    }
    memset(&S, 0, sizeof S);
}

mach_port_t proc_server_boot_port(void)
{
    return S.ready && S.nprocs > 0 ? S.procs[0]->p_port : MACH_PORT_NULL;
}

/* --- lookups -------------------------------------------------------------------------------- */

static proc_t *pid_find(pid_t pid)
{
    for (int i = 0; i < S.nprocs; i++)
        if (S.procs[i]->p_used && S.procs[i]->p_pid == pid)
            return S.procs[i];
    return NULL;
}

static proc_t *init_proc(void)
{
    return pid_find(PID_INIT);
}

/* The live entry whose proc port is `port` (begin_using_proc_port), or NULL. */
static proc_t *port_find(mach_port_t port)
{
    if (!MACH_PORT_VALID(port))
        return NULL;
    for (int i = 0; i < S.nprocs; i++)
        if (S.procs[i]->p_used && !S.procs[i]->p_dead && S.procs[i]->p_port == port)
            return S.procs[i];
    return NULL;
}

/* The entry (live or zombie) holding `task` under that name. */
static proc_t *task_entry(mach_port_t task)
{
    if (!MACH_PORT_VALID(task))
        return NULL;
    for (int i = 0; i < S.nprocs; i++)
        if (S.procs[i]->p_used && S.procs[i]->p_task == task)
            return S.procs[i];
    return NULL;
}

/* P2: a pid no live or zombie process, nor a process group, uses. */
static bool pid_in_use(pid_t pid)
{
    for (int i = 0; i < S.nprocs; i++)
        if (S.procs[i]->p_used && (S.procs[i]->p_pid == pid || S.procs[i]->p_pgrp == pid))
            return true;
    return false;
}

static pid_t genpid(void)
{
    for (;;) {
        pid_t pid = S.nextpid++;
        if (S.nextpid > 30000)
            S.nextpid = 100;
        if (!pid_in_use(pid))
            return pid;
    }
}

/* --- entries (P1) ----------------------------------------------------------------------------- */

/* A new entry for task (NULL for the task-less entries of init, startup, kernel) with pid: a
 * proc port in the set, parent init and init's group, no ids, no message port; a dead-name
 * request on the task port. The entry keeps the caller's uref on task. */
static proc_t *new_proc(mach_port_t task, pid_t pid)
{
    proc_t *p = NULL;
    for (int i = 0; i < S.nprocs && p == NULL; i++)
        if (!S.procs[i]->p_used)
            p = S.procs[i];
    if (p == NULL) {
        S.procs = sim_wrealloc(S.procs, (size_t)(S.nprocs + 1) * sizeof *S.procs);
        p = sim_walloc(sizeof *p);
        S.procs[S.nprocs++] = p;
    }
    memset(p, 0, sizeof *p);
    p->p_used = true;
    p->p_pid = pid;
    p->p_task = task;
    p->p_uid = -1;
    p->p_noowner = true;
    p->p_owner = -1;
    __mach_port_allocate(S.self, MACH_PORT_RIGHT_RECEIVE, &p->p_port);
    __mach_port_move_member(S.self, p->p_port, S.pset);
    proc_t *init = pid == PID_INIT ? p : init_proc();
    p->p_parent = init;
    p->p_pgrp = init == p ? pid : init->p_pgrp;
    p->p_gseq = ++S.gseq; /* complete_proc: join_pgrp */
    if (MACH_PORT_VALID(task) && task != S.self) {
        mach_port_t prev = MACH_PORT_NULL;
        __mach_port_request_notification(S.self, task, MACH_NOTIFY_DEAD_NAME, 1, S.notify,
                                         MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
        if (prev != MACH_PORT_NULL)
            __mach_port_deallocate(S.self, prev);
    }
    return p;
}

/* Whether the task named `task` in the server's space is one of the simulated Hurd servers'
 * (startup marks each important: startup.c, S_startup_essential_task and its boot). */
static bool server_task(mach_port_t task)
{
    ktask_t *kt = ktask_by_name(kern_ktask(sim_task_self()), task);
    for (int w = 0; kt != NULL && w < HURD_NSERVERS; w++) {
        sim_task *st = hurd_server_task((enum hurd_server)w);
        if (st != NULL && kern_ktask(st) == kt)
            return true;
    }
    return false;
}

/* task_find: the live entry for the task named `task` in the server's space, creating one for
 * a live task proc has not met (P1; Added rule: no rescan). NULL for a dead or unknown task
 * (MACH_PORT_DEAD included). *created tells whether the request's uref became the entry's. */
static proc_t *task_find(mach_port_t task, bool *created)
{
    *created = false;
    if (!MACH_PORT_VALID(task))
        return NULL;
    proc_t *p = task_entry(task);
    if (p != NULL)
        return p->p_dead ? NULL : p;
    sim_task *me = sim_task_self();
    if (ktask_by_name(kern_ktask(me), task) == NULL)
        return NULL; /* not a live task: what a rescan would not find */
    *created = true;
    proc_t *p2 = new_proc(task, genpid());
    p2->p_important = server_task(task);
    return p2;
}

/* The routine consumes the task right (P3): an existing entry already holds one uref. */
static void task_consume(mach_port_t task, bool created)
{
    if (!created)
        __mach_port_deallocate(S.self, task);
}

static bool check_owner(const proc_t *p1, const proc_t *p2)
{
    return p1->p_uid == 0 || (!p2->p_noowner && p2->p_owner == p1->p_uid);
}

static int pgrp_orphaned(pid_t pgrp)
{
    for (int i = 0; i < S.nprocs; i++) {
        proc_t *m = S.procs[i];
        if (m->p_used && !m->p_dead && m->p_pgrp == pgrp && m->p_parent != NULL &&
            m->p_parent != m && !m->p_parent->p_dead && m->p_parent->p_pgrp != pgrp)
            return 0;
    }
    return 1;
}

/* --- messages the server sends ------------------------------------------------------------ */

/* One-way msg_proc_newids (P9, P10 step 4): no reply port, no timeout (it may block proc). */
static void send_newids(proc_t *p)
{
    if (!MACH_PORT_VALID(p->p_msgport))
        return;
    mig_msg_t m;
    mig_oneway_init(&m, p->p_msgport, MACH_MSG_TYPE_COPY_SEND, MSG_ID_PROC_NEWIDS);
    mig_put_port(&m, p->p_task, MACH_MSG_TYPE_COPY_SEND);
    mig_put_int32(&m, p->p_parent->p_pid);
    mig_put_int32(&m, p->p_pgrp);
    mig_put_int32(&m, pgrp_orphaned(p->p_pgrp));
    __mach_msg(&m.head, MACH_SEND_MSG, m.len, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* The helper thread of P11: the SIGCHLD that timed out, sent again without a timeout. */
static void sigchld_helper(void *arg)
{
    mig_msg_t *m = arg;
    __mach_msg(&m->head, MACH_SEND_MSG, m->len, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    S.helper_busy[m - S.helper_msg] = false;
    __thread_terminate(__mach_thread_self());
}

/* send_signal (P11): a hand-built msg_sig_post (COMPLEX, no reply port) with the parent's task
 * as refport, first with a zero timeout; on MACH_SEND_TIMED_OUT a helper thread sends it again
 * without one. Other errors are ignored. */
static void send_sigchld(proc_t *parent, int sigcode)
{
    if (!MACH_PORT_VALID(parent->p_msgport))
        return;
    mig_msg_t m;
    mig_oneway_init(&m, parent->p_msgport, MACH_MSG_TYPE_COPY_SEND, MSG_ID_SIG_POST);
    mig_put_int32(&m, HURD_SIGCHLD);
    mig_put_int32(&m, sigcode);
    mig_put_port(&m, parent->p_task, MACH_MSG_TYPE_COPY_SEND);
    mig_msg_t copy = m;
    mach_msg_return_t mr = __mach_msg(&m.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, m.len, 0,
                                      MACH_PORT_NULL, 0, MACH_PORT_NULL);
    if (mr != MACH_SEND_TIMED_OUT)
        return;
    /* M4: the pseudo-receive gave back a uref on the destination and on the refport. */
    __mach_port_deallocate(S.self, m.head.msgh_remote_port);
    mach_port_t ref;
    m.pos = sizeof(mach_msg_header_t);
    int32_t skip;
    mig_get_int32(&m, &skip);
    mig_get_int32(&m, &skip);
    if (mig_get_port(&m, &ref, NULL))
        __mach_port_deallocate(S.self, ref);
    int slot = -1;
    for (int i = 0; i < HELPER_MAX && slot < 0; i++)
        if (!S.helper_busy[i])
            slot = i;
    if (slot < 0)
        return; /* dropped, as the real server drops it when it cannot make a thread */
    S.helper_busy[slot] = true;
    S.helper_msg[slot] = copy;
    mach_port_t th;
    if (__thread_create(S.self, &th) != KERN_SUCCESS) {
        S.helper_busy[slot] = false;
        return;
    }
    kern_thread_state ts;
    memset(&ts, 0, sizeof ts);
    ts.kind = KERN_STATE_CALL;
    ts.pc = (uintptr_t)sigchld_helper;
    ts.arg = (uintptr_t)&S.helper_msg[slot];
    __thread_set_state(th, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts, KERN_THREAD_STATE_COUNT);
    sim_thread *sth = kern_sim_thread(kthread_by_name(kern_ktask(sim_task_self()), th));
    if (sth != NULL)
        sim_thread_set_daemon(sth, true);
    __thread_resume(th);
    __mach_port_deallocate(S.self, th);
}

/* --- pending requests ---------------------------------------------------------------------- */

static pending_t *pend_add(pend_kind kind, proc_t *caller, mig_msg_t *in)
{
    for (int i = 0; i < PENDING_MAX; i++) {
        pending_t *w = &S.pend[i];
        if (w->kind != PEND_NONE)
            continue;
        memset(w, 0, sizeof *w);
        w->kind = kind;
        w->caller = caller;
        w->reply = in->head.msgh_remote_port;
        w->reply_type = MACH_MSGH_BITS_REMOTE(in->head.msgh_bits);
        w->id = in->head.msgh_id;
        S.pend_seq[i] = ++S.seq;
        return w;
    }
    kern_unmodelled("more than PENDING_MAX requests waiting in proc");
}

/* Answers a pending request: code, and for success the out-items filled by fill. */
static void pend_answer(pending_t *w, kern_return_t code, void (*fill)(mig_msg_t *, void *),
                        void *arg)
{
    mig_msg_t out;
    mig_reply_init_to(&out, w->reply, w->reply_type, w->id);
    if (code == KERN_SUCCESS && fill != NULL)
        fill(&out, arg);
    mig_set_retcode(&out, code);
    w->kind = PEND_NONE;
    mig_send_reply(&out);
}

/* The pending requests in arrival order. */
static int pend_next(unsigned after_seq, unsigned *seq)
{
    int best = -1;
    for (int i = 0; i < PENDING_MAX; i++)
        if (S.pend[i].kind != PEND_NONE && S.pend_seq[i] > after_seq &&
            (best < 0 || S.pend_seq[i] < S.pend_seq[best]))
            best = i;
    if (best >= 0)
        *seq = S.pend_seq[best];
    return best;
}

/* --- wait (P11) ------------------------------------------------------------------------------- */

static bool wait_matches(const proc_t *parent, const proc_t *c, pid_t pid)
{
    if (!c->p_used || c == parent || c->p_parent != parent)
        return false;
    if (pid > 0)
        return c->p_pid == pid;
    if (pid == 0)
        return c->p_pgrp == parent->p_pgrp;
    if (pid < -1)
        return c->p_pgrp == -pid;
    return true;
}

static bool wait_ready(const proc_t *c, int options)
{
    return (c->p_dead && !c->p_waited) ||
           ((options & HURD_WUNTRACED) && c->p_stopped && !c->p_stop_seen && !c->p_dead);
}

/* complete_exit: the reaped zombie leaves the tables; its task name goes. */
static void complete_exit(proc_t *p)
{
    if (MACH_PORT_VALID(p->p_task))
        __mach_port_deallocate(S.self, p->p_task);
    memset(p, 0, sizeof *p);
}

typedef struct wait_result {
    int status, sigcode;
    pid_t pid;
} wait_result;

static void fill_wait(mig_msg_t *out, void *arg)
{
    wait_result *r = arg;
    rusage_t ru;
    memset(&ru, 0, sizeof ru);
    mig_put_int32(out, r->status);
    mig_put_int32(out, r->sigcode);
    mig_put_bytes(out, &ru, sizeof ru);
    mig_put_int32(out, r->pid);
}

/* Looks for a ready child: 0 and *res filled (the child reaped or marked, unless WNOWAIT),
 * ECHILD if nothing matches, EAGAIN if nothing is ready. */
static kern_return_t wait_try(proc_t *parent, pid_t pid, int options, wait_result *res)
{
    bool any = false;
    for (int i = 0; i < S.nprocs; i++) {
        proc_t *c = S.procs[i];
        if (!wait_matches(parent, c, pid))
            continue;
        any = true;
        if (!wait_ready(c, options))
            continue;
        res->status = c->p_status;
        res->sigcode = c->p_sigcode;
        res->pid = c->p_pid;
        if (!(options & HURD_WNOWAIT)) {
            if (c->p_dead) {
                c->p_waited = true;
                complete_exit(c);
            } else {
                c->p_stop_seen = true;
            }
        }
        return KERN_SUCCESS;
    }
    return any ? HURD_EAGAIN : HURD_ECHILD;
}

static void fill_port(mig_msg_t *out, void *arg)
{
    mig_put_port(out, *(mach_port_t *)arg, MACH_MSG_TYPE_COPY_SEND);
}

/* Wakes the waiters (a child died or stopped, or a process went away): each pending wait and
 * getmsgport is looked at again, oldest first. */
static void recheck_pending(void)
{
    unsigned seq = 0;
    int i;
    while ((i = pend_next(seq, &seq)) >= 0) {
        pending_t *w = &S.pend[i];
        if (w->caller->p_dead || !w->caller->p_used) {
            pend_answer(w, HURD_EOPNOTSUPP, NULL, NULL); /* the caller died (P7) */
            continue;
        }
        if (w->kind == PEND_WAIT) {
            wait_result res;
            kern_return_t kr = wait_try(w->caller, w->pid, w->options, &res);
            if (kr != HURD_EAGAIN)
                pend_answer(w, kr, fill_wait, &res);
        } else if (w->kind == PEND_GETMSGPORT) {
            proc_t *t = w->target;
            if (t->p_used && !t->p_dead && t->p_deadmsg)
                continue;
            mach_port_t port = t->p_used ? t->p_msgport : MACH_PORT_NULL;
            pend_answer(w, KERN_SUCCESS, fill_port, &port);
        }
    }
}

/* --- task death (P10) ---------------------------------------------------------------------- */

static void process_has_exited(proc_t *p)
{
    if (p->p_dead)
        return;
    /* 1. alert_parent */
    if (!p->p_exiting) {
        p->p_status = HURD_W_EXITCODE(0, HURD_SIGKILL);
        p->p_sigcode = -1;
    }
    send_sigchld(p->p_parent, HURD_CLD_EXITED);
    /* 2. the message port */
    if (MACH_PORT_VALID(p->p_msgport))
        __mach_port_deallocate(S.self, p->p_msgport);
    p->p_msgport = MACH_PORT_NULL;
    /* 3. the proc port: holders' names become dead names, queued requests are destroyed */
    __mach_port_mod_refs(S.self, p->p_port, MACH_PORT_RIGHT_RECEIVE, -1);
    p->p_port = MACH_PORT_NULL;
    /* 4. children to init */
    proc_t *init = init_proc();
    for (int i = 0; i < S.nprocs; i++) {
        proc_t *c = S.procs[i];
        if (c->p_used && c != p && c->p_parent == p) {
            c->p_parent = init;
            if (!c->p_dead)
                send_newids(c);
        }
    }
    /* 5. dead: a zombie until reaped; the caller wakes the waiters */
    p->p_dead = true;
}

/* MACH_NOTIFY_DEAD_NAME on a task name (dead-name.c). The notification's uref is dropped. */
static void do_dead_name(mig_msg_t *in)
{
    int32_t word;
    if (!mig_get_int32_of(in, MACH_MSG_TYPE_PORT_NAME, &word))
        return;
    mach_port_t name = (mach_port_t)word;
    proc_t *p = task_entry(name);
    if (p != NULL)
        process_has_exited(p);
    __mach_port_deallocate(S.self, name);
    recheck_pending();
}

/* --- routines ------------------------------------------------------------------------------- */

/* The live entry holding the task named `task`, without making one (task_find_nocreate). */
static proc_t *task_find_nocreate(mach_port_t task)
{
    proc_t *p = task_entry(task);
    return p != NULL && !p->p_dead ? p : NULL;
}

/* mach_notify_new_task (P1; S_mach_notify_new_task, proc/mgt.c): only on the kernel's entry's
 * port, the one registered (else EOPNOTSUPP); ESRCH for a dead task or a parent proc does not
 * know, the notification's rights then destroyed by the server loop (M11). Otherwise the child
 * gets an entry (new_proc, with a uref of its own) unless it has one, and the notification's
 * two urefs are dropped. A simpleroutine: there is no reply. */
static kern_return_t S_mach_notify_new_task(proc_t *notified, mig_msg_t *in)
{
    mach_port_t task, parent;
    if (!mig_get_port(in, &task, NULL) || !mig_get_port(in, &parent, NULL))
        return MIG_BAD_ARGUMENTS;
    if (notified == NULL || notified != S.kernel_proc)
        return HURD_EOPNOTSUPP;
    if (task == MACH_PORT_DEAD)
        return HURD_ESRCH;
    if (task_find_nocreate(parent) == NULL)
        return HURD_ESRCH;
    if (task_find_nocreate(task) == NULL) {
        __mach_port_mod_refs(S.self, task, MACH_PORT_RIGHT_SEND, +1);
        proc_t *c = new_proc(task, genpid());
        c->p_important = server_task(task);
    }
    __mach_port_deallocate(S.self, task);
    __mach_port_deallocate(S.self, parent);
    return KERN_SUCCESS;
}

static kern_return_t S_task2proc(proc_t *caller, mig_msg_t *in, mig_msg_t *out)
{
    mach_port_t task;
    if (!mig_get_port(in, &task, NULL))
        return MIG_BAD_ARGUMENTS;
    bool created;
    proc_t *p = task_find(task, &created);
    if (p == NULL)
        return HURD_ESRCH;
    if (created && caller != NULL && caller->p_pid == PID_INIT) {
        p->p_uid = caller->p_uid; /* Added rule: started by init, with init's ids */
        p->p_noowner = false;
        p->p_owner = caller->p_uid;
    }
    task_consume(task, created);
    mig_put_port(out, p->p_port, MACH_MSG_TYPE_MAKE_SEND);
    return KERN_SUCCESS;
}

static kern_return_t S_task2pid(mig_msg_t *in, mig_msg_t *out)
{
    mach_port_t task;
    if (!mig_get_port(in, &task, NULL))
        return MIG_BAD_ARGUMENTS;
    bool created;
    proc_t *p = task_find(task, &created);
    if (p == NULL)
        return HURD_ESRCH;
    task_consume(task, created);
    mig_put_int32(out, p->p_pid);
    return KERN_SUCCESS;
}

static kern_return_t S_pid2task(proc_t *caller, mig_msg_t *in, mig_msg_t *out)
{
    int32_t pid;
    if (!mig_get_int32(in, &pid))
        return MIG_BAD_ARGUMENTS;
    proc_t *p = pid_find(pid);
    if (p == NULL)
        return HURD_ESRCH;
    if (!check_owner(caller, p))
        return HURD_EPERM;
    mig_put_port(out, p->p_dead ? MACH_PORT_NULL : p->p_task, MACH_MSG_TYPE_COPY_SEND);
    return KERN_SUCCESS;
}

static kern_return_t S_child(proc_t *caller, mig_msg_t *in)
{
    mach_port_t task;
    if (!mig_get_port(in, &task, NULL))
        return MIG_BAD_ARGUMENTS;
    bool created;
    proc_t *c = task_find(task, &created);
    if (c == NULL)
        return HURD_ESRCH;
    if (c->p_parentset)
        return HURD_EBUSY;
    task_consume(task, created);
    c->p_uid = caller->p_uid;
    c->p_noowner = caller->p_noowner;
    c->p_owner = caller->p_owner;
    c->p_parent = caller;
    if (c->p_pgrp != caller->p_pgrp)
        c->p_gseq = ++S.gseq; /* leave_pgrp, join_pgrp: the new group's head */
    c->p_pgrp = caller->p_pgrp;
    send_newids(c);
    c->p_parentset = true;
    return KERN_SUCCESS;
}

static kern_return_t S_setmsgport(proc_t *caller, mig_msg_t *in, mig_msg_t *out)
{
    mach_port_t port;
    if (!mig_get_port(in, &port, NULL))
        return MIG_BAD_ARGUMENTS;
    mach_port_t old = caller->p_msgport;
    caller->p_msgport = port;
    caller->p_deadmsg = false;
    mig_put_port(out, old, MACH_MSG_TYPE_MOVE_SEND);
    recheck_pending();
    return KERN_SUCCESS;
}

/* check_msgport_death: a stored port that became a dead name is dropped. */
static void check_msgport_death(proc_t *p)
{
    if (!MACH_PORT_VALID(p->p_msgport))
        return;
    mach_port_type_t type = 0;
    kern_return_t kr = __mach_port_type(S.self, p->p_msgport, &type);
    if (kr != KERN_SUCCESS || (type & MACH_PORT_TYPE_DEAD_NAME)) {
        __mach_port_deallocate(S.self, p->p_msgport);
        p->p_msgport = MACH_PORT_NULL;
        p->p_deadmsg = true;
    }
}

static kern_return_t S_getmsgport(proc_t *caller, mig_msg_t *in, mig_msg_t *out)
{
    int32_t pid;
    if (!mig_get_int32(in, &pid))
        return MIG_BAD_ARGUMENTS;
    proc_t *p = pid_find(pid);
    if (p == NULL)
        return HURD_ESRCH;
    check_msgport_death(p);
    if (!p->p_dead && p->p_deadmsg) {
        pending_t *w = pend_add(PEND_GETMSGPORT, caller, in);
        w->target = p;
        return MIG_NO_REPLY;
    }
    mig_put_port(out, p->p_msgport, MACH_MSG_TYPE_COPY_SEND);
    return KERN_SUCCESS;
}

static kern_return_t S_getpids(proc_t *caller, mig_msg_t *out)
{
    mig_put_int32(out, caller->p_pid);
    mig_put_int32(out, caller->p_parent->p_pid);
    mig_put_int32(out, pgrp_orphaned(caller->p_pgrp));
    return KERN_SUCCESS;
}

static kern_return_t S_set_arg_locations(proc_t *caller, mig_msg_t *in)
{
    int64_t argv, envp;
    if (!mig_get_int64(in, &argv) || !mig_get_int64(in, &envp))
        return MIG_BAD_ARGUMENTS;
    caller->p_argv = (vm_address_t)argv;
    caller->p_envp = (vm_address_t)envp;
    return KERN_SUCCESS;
}

static kern_return_t S_get_arg_locations(proc_t *caller, mig_msg_t *out)
{
    mig_put_int64(out, (int64_t)caller->p_argv);
    mig_put_int64(out, (int64_t)caller->p_envp);
    return KERN_SUCCESS;
}

/* P6: suspend every thread but contthread, with the task held meanwhile. */
static kern_return_t S_dostop(proc_t *caller, mig_msg_t *in)
{
    mach_port_t cont;
    if (!mig_get_port(in, &cont, NULL))
        return MIG_BAD_ARGUMENTS;
    kern_return_t kr = __task_suspend(caller->p_task);
    if (kr != KERN_SUCCESS)
        return kr;
    mach_port_t *threads = NULL;
    mach_msg_type_number_t n = 0;
    kr = __task_threads(caller->p_task, &threads, &n);
    if (kr != KERN_SUCCESS) {
        __task_resume(caller->p_task);
        return kr;
    }
    for (mach_msg_type_number_t i = 0; i < n; i++)
        if (threads[i] != cont)
            __thread_suspend(threads[i]);
    for (mach_msg_type_number_t i = 0; i < n; i++)
        __mach_port_deallocate(S.self, threads[i]);
    __vm_deallocate(S.self, (vm_address_t)threads, n * sizeof *threads);
    kr = __task_resume(caller->p_task);
    if (MACH_PORT_VALID(cont))
        __mach_port_deallocate(S.self, cont); /* consumed */
    return kr;
}

static kern_return_t S_mark_exit(proc_t *caller, mig_msg_t *in)
{
    int32_t status, sigcode;
    if (!mig_get_int32(in, &status) || !mig_get_int32(in, &sigcode))
        return MIG_BAD_ARGUMENTS;
    if ((status & 0xff) == 0x7f)
        return HURD_EINVAL; /* a stopped status */
    if (caller->p_exiting)
        return HURD_EBUSY;
    caller->p_exiting = true;
    caller->p_status = status;
    caller->p_sigcode = sigcode;
    return KERN_SUCCESS;
}

static kern_return_t S_mark_stop(proc_t *caller, mig_msg_t *in)
{
    int32_t signo, sigcode;
    if (!mig_get_int32(in, &signo) || !mig_get_int32(in, &sigcode))
        return MIG_BAD_ARGUMENTS;
    caller->p_stopped = true;
    caller->p_continued = false;
    caller->p_stop_seen = false;
    caller->p_status = HURD_W_STOPCODE(signo);
    caller->p_sigcode = sigcode;
    send_sigchld(caller->p_parent, HURD_CLD_STOPPED);
    recheck_pending();
    return KERN_SUCCESS;
}

/* proc/wait.c: S_proc_mark_cont: no longer stopped, continued; the waiting parent is woken
 * and sent SIGCHLD with CLD_CONTINUED (forksim's parents never ask for no stop SIGCHLD). */
static kern_return_t S_mark_cont(proc_t *caller)
{
    caller->p_stopped = false;
    caller->p_continued = true;
    caller->p_stop_seen = false;
    caller->p_status = HURD_W_CONTINUED;
    if (caller->p_parent != NULL)
        send_sigchld(caller->p_parent, HURD_CLD_CONTINUED);
    recheck_pending();
    return KERN_SUCCESS;
}

/* proc/pgrp.c: S_proc_getsidport: a send right (MAKE_SEND) to the session id port of the
 * caller's group, a receive right of proc's made on first request; NULL with no group. */
static kern_return_t S_getsidport(proc_t *caller, mig_msg_t *out)
{
    mach_port_t port = MACH_PORT_NULL;
    for (int i = 0; i < S.nsess && port == MACH_PORT_NULL; i++)
        if (S.sess[i].pgrp == caller->p_pgrp)
            port = S.sess[i].port;
    if (port == MACH_PORT_NULL && caller->p_pgrp != 0) {
        if (S.nsess == (int)(sizeof S.sess / sizeof S.sess[0]))
            kern_unmodelled("more than 16 sessions asked for their id port");
        kern_return_t kr = __mach_port_allocate(S.self, MACH_PORT_RIGHT_RECEIVE, &port);
        if (kr != KERN_SUCCESS)
            return kr;
        S.sess[S.nsess].pgrp = caller->p_pgrp;
        S.sess[S.nsess++].port = port;
    }
    mig_put_port(out, port, MACH_MSG_TYPE_MAKE_SEND);
    return KERN_SUCCESS;
}

/* PG1, proc/pgrp.c: S_proc_getpgrppids: group 0 is the caller's own; another group that no
 * entry is in (live or zombie: a process leaves its group when reaped, complete_exit) is
 * ESRCH; the pids of the members that are not important, in pg_plist's order (join_pgrp puts
 * each new member at the head: the newest first). The array goes in the reply (MIG sends it
 * out of line only past the server's inline buffer: more members than forksim's limit). */
static kern_return_t S_getpgrppids(proc_t *caller, mig_msg_t *in, mig_msg_t *out)
{
    int32_t pgid;
    if (!mig_get_int32(in, &pgid))
        return MIG_BAD_ARGUMENTS;
    if (pgid == 0 && caller == NULL)
        return HURD_EOPNOTSUPP; /* Added rule: the Hurd's would use a null caller */
    pid_t g = pgid == 0 ? caller->p_pgrp : pgid;
    bool exists = false;
    uint32_t pids[256], n = 0;
    unsigned after = ~0u;
    for (;;) {
        proc_t *next = NULL;
        for (int i = 0; i < S.nprocs; i++) {
            proc_t *m = S.procs[i];
            if (!m->p_used || m->p_pgrp != g)
                continue;
            exists = true;
            if (!m->p_important && m->p_gseq < after && (next == NULL || m->p_gseq > next->p_gseq))
                next = m;
        }
        if (next == NULL)
            break;
        if (n == sizeof pids / sizeof pids[0])
            kern_unmodelled("proc_getpgrppids: more than 256 members in a process group");
        pids[n++] = (uint32_t)next->p_pid;
        after = next->p_gseq;
    }
    if (!exists)
        return HURD_ESRCH;
    mig_put_words(out, MACH_MSG_TYPE_INTEGER_32, pids, n);
    return KERN_SUCCESS;
}

static kern_return_t S_wait(proc_t *caller, mig_msg_t *in, mig_msg_t *out)
{
    int32_t pid, options;
    if (!mig_get_int32(in, &pid) || !mig_get_int32(in, &options))
        return MIG_BAD_ARGUMENTS;
    wait_result res;
    kern_return_t kr = wait_try(caller, pid, options, &res);
    if (kr == KERN_SUCCESS)
        fill_wait(out, &res);
    if (kr != HURD_EAGAIN || (options & HURD_WNOHANG))
        return kr;
    pending_t *w = pend_add(PEND_WAIT, caller, in);
    w->pid = pid;
    w->options = options;
    return MIG_NO_REPLY;
}

static kern_return_t proc_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    mach_msg_id_t id = in->head.msgh_id;
    if (id == MACH_NOTIFY_DEAD_NAME) {
        do_dead_name(in);
        return MIG_NO_REPLY;
    }
    if (id >= MACH_NOTIFY_FIRST && id <= MACH_NOTIFY_LAST)
        return MIG_NO_REPLY; /* nothing else is asked for */
    proc_t *caller = port_find(in->head.msgh_local_port);
    if (id == TASK_NOTIFY_ID_NEW_TASK)
        return S_mach_notify_new_task(caller, in);
    switch (id) {
    case PROC_ID_TASK2PROC:
        return S_task2proc(caller, in, out); /* ignores the caller (Amendment P3) */
    case PROC_ID_TASK2PID:
        return S_task2pid(in, out);
    case PROC_ID_GETPGRPPIDS:
        return S_getpgrppids(caller, in, out); /* "No need to check CALLERP" (pgrp.c) */
    case PROC_ID_CHILD:
    case PROC_ID_SETMSGPORT:
    case PROC_ID_GETPIDS:
    case PROC_ID_SET_ARG_LOCATIONS:
    case PROC_ID_GET_ARG_LOCATIONS:
    case PROC_ID_GETMSGPORT:
    case PROC_ID_WAIT:
    case PROC_ID_DOSTOP:
    case PROC_ID_MARK_STOP:
    case PROC_ID_MARK_CONT:
    case PROC_ID_GETSIDPORT:
    case PROC_ID_MARK_EXIT:
    case PROC_ID_PID2TASK:
        if (caller == NULL)
            return HURD_EOPNOTSUPP; /* P3 */
        break;
    default:
        return MIG_BAD_ID;
    }
    switch (id) {
    case PROC_ID_CHILD: return S_child(caller, in);
    case PROC_ID_SETMSGPORT: return S_setmsgport(caller, in, out);
    case PROC_ID_GETPIDS: return S_getpids(caller, out);
    case PROC_ID_SET_ARG_LOCATIONS: return S_set_arg_locations(caller, in);
    case PROC_ID_GET_ARG_LOCATIONS: return S_get_arg_locations(caller, out);
    case PROC_ID_GETMSGPORT: return S_getmsgport(caller, in, out);
    case PROC_ID_WAIT: return S_wait(caller, in, out);
    case PROC_ID_DOSTOP: return S_dostop(caller, in);
    case PROC_ID_MARK_STOP: return S_mark_stop(caller, in);
    case PROC_ID_MARK_CONT: return S_mark_cont(caller);
    case PROC_ID_GETSIDPORT: return S_getsidport(caller, out);
    case PROC_ID_MARK_EXIT: return S_mark_exit(caller, in);
    case PROC_ID_PID2TASK: return S_pid2task(caller, in, out);
    }
    return MIG_BAD_ID;
}

/* interrupt_operation on a proc port (EX12): the caller's blocked wait or getmsgport answers
 * EINTR (hurd_condition_wait cancelled, proc/wait.c and msg.c). */
static void proc_cancel(void *ctx, mach_port_t port)
{
    (void)ctx;
    proc_t *caller = port_find(port);
    unsigned seq = 0;
    int i;
    while ((i = pend_next(seq, &seq)) >= 0)
        if (S.pend[i].caller == caller && caller != NULL)
            pend_answer(&S.pend[i], HURD_EINTR, NULL, NULL);
}

/* --- the server thread --------------------------------------------------------------------- */

void proc_server_main(void *arg)
{
    (void)arg;
    S.self = __mach_task_self();
    __mach_port_allocate(S.self, MACH_PORT_RIGHT_PORT_SET, &S.pset);
    __mach_port_allocate(S.self, MACH_PORT_RIGHT_RECEIVE, &S.notify);
    __mach_port_move_member(S.self, S.notify, S.pset);
    S.nextpid = 1;
    /* P2: init 1, startup 2, proc itself 4; the kernel gets the first free pid, 3. */
    proc_t *init = new_proc(MACH_PORT_NULL, PID_INIT);
    init->p_important = true; /* create_init_proc */
    init->p_uid = 0;
    init->p_noowner = false;
    init->p_owner = 0;
    init->p_parentset = true;
    /* startup marks itself, proc and the kernel important (startup.c: proc_mark_important) */
    proc_t *boot[3] = {new_proc(MACH_PORT_NULL, PID_STARTUP), new_proc(S.self, PID_PROC),
                       new_proc(MACH_PORT_NULL, genpid())};
    for (int i = 0; i < 3; i++)
        boot[i]->p_parentset = boot[i]->p_important = true;
    /* main.c: the kernel found, register for new-task notifications on its entry's port (P1,
     * NT1); the host_priv right for it only (Added rule). */
    S.kernel_proc = boot[2];
    mach_port_t host_priv = world_give_host_priv(kern_ktask(sim_task_self()));
    kern_return_t kr = __register_new_task_notification(host_priv, S.kernel_proc->p_port,
                                                        MACH_MSG_TYPE_MAKE_SEND);
    if (kr != KERN_SUCCESS)
        kern_trace_note("proc: registering task notifications failed: %s",
                        mk_return_name(kr) ? mk_return_name(kr) : "?");
    __mach_port_deallocate(S.self, host_priv);
    S.ready = true;
    hurd_serve(HURD_SRV_PROC, S.pset, proc_demux, NULL, proc_cancel);
}

/* --- inspection ---------------------------------------------------------------------------- */

bool hurd_proc_peek(pid_t pid, hurd_proc_info *out)
{
    proc_t *p = pid_find(pid);
    if (p == NULL)
        return false;
    memset(out, 0, sizeof *out);
    out->pid = p->p_pid;
    out->ppid = p->p_parent != NULL ? p->p_parent->p_pid : 0;
    out->pgrp = p->p_pgrp;
    out->task = p->p_task;
    out->port = p->p_port;
    out->msgport = p->p_msgport;
    out->dead = p->p_dead;
    out->parentset = p->p_parentset;
    out->deadmsg = p->p_deadmsg;
    out->exiting = p->p_exiting;
    out->stopped = p->p_stopped;
    out->waited = p->p_waited;
    out->status = p->p_status;
    out->sigcode = p->p_sigcode;
    out->argv = p->p_argv;
    out->envp = p->p_envp;
    return true;
}

pid_t hurd_proc_pid_of_task(ktask_t *task)
{
    sim_task *srv = hurd_server_task(HURD_SRV_PROC);
    if (srv == NULL)
        return 0;
    for (int i = 0; i < S.nprocs; i++)
        if (S.procs[i]->p_used && MACH_PORT_VALID(S.procs[i]->p_task) &&
            ktask_by_name(kern_ktask(srv), S.procs[i]->p_task) == task)
            return S.procs[i]->p_pid;
    return 0;
}

mach_port_t hurd_proc_notify_port(void)
{
    return S.notify;
}

unsigned hurd_proc_pending(void)
{
    unsigned n = 0;
    for (int i = 0; i < PENDING_MAX; i++)
        n += S.pend[i].kind != PEND_NONE;
    return n;
}

int hurd_proc_delay_reply(const char *routine, uint64_t ms)
{
    static const struct { const char *name; mach_msg_id_t id; } routines[] = {
        {"proc_child", PROC_ID_CHILD},
        {"proc_setmsgport", PROC_ID_SETMSGPORT},
        {"proc_getpids", PROC_ID_GETPIDS},
        {"proc_set_arg_locations", PROC_ID_SET_ARG_LOCATIONS},
        {"proc_get_arg_locations", PROC_ID_GET_ARG_LOCATIONS},
        {"proc_getmsgport", PROC_ID_GETMSGPORT},
        {"proc_wait", PROC_ID_WAIT},
        {"proc_dostop", PROC_ID_DOSTOP},
        {"proc_mark_stop", PROC_ID_MARK_STOP},
        {"proc_mark_exit", PROC_ID_MARK_EXIT},
        {"proc_mark_cont", PROC_ID_MARK_CONT},
        {"proc_getsidport", PROC_ID_GETSIDPORT},
        {"proc_getpgrppids", PROC_ID_GETPGRPPIDS},
        {"proc_pid2task", PROC_ID_PID2TASK},
        {"proc_task2pid", PROC_ID_TASK2PID},
        {"proc_task2proc", PROC_ID_TASK2PROC},
    };
    for (size_t i = 0; i < sizeof routines / sizeof routines[0]; i++)
        if (strcmp(routines[i].name, routine) == 0)
            return hurd_server_delay_locked(HURD_SRV_PROC, routines[i].id, ms);
    return -1;
}
