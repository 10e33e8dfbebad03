/*
 * exec.c: a simulated process's side of exec: the signal settings a new program starts with,
 * from the init ints it was given.
 *
 * Stands in for the part of glibc's hurd/hurdsig.c (_hurdsig_init) that copies the inherited
 * signal settings, on glibc's own sigstates: INIT_SIGMASK becomes the main thread's blocked
 * set, INIT_SIGPENDING the global sigstate's pending set, and each signal of INIT_SIGIGN gets
 * SIG_IGN as its action (index values: the Hurd's hurd/hurd_types.h). fi_signals_now reads
 * the three sets back.
 *
 * And the new program's start in the task the exec server left (fi_exec_entry): glibc's
 * start-up (hurd/hurdstartup.c: exec_startup_get_info on the bootstrap port; hurd/hurdinit.c:
 * _hurd_init, _hurd_new_proc_init, _hurd_libc_proc_init) on the fresh image, then the built-in
 * program's main.
 */
#include "forkimpl.h"
#include <hurd/signal.h>
#include "servers.h"
#include "kern.h"
#include "mig.h"

#include <string.h>

void fi_start_signals(const int *ints, unsigned n)
{
    struct hurd_sigstate *ss = _hurd_self_sigstate();
    if (n > INIT_SIGMASK)
        ss->blocked = (sigset_t)(unsigned)ints[INIT_SIGMASK];
    if (n > INIT_SIGPENDING)
        _hurd_global_sigstate->pending = (sigset_t)(unsigned)ints[INIT_SIGPENDING];
    if (n > INIT_SIGIGN && ints[INIT_SIGIGN] != 0)
        for (int signo = 1; signo < NSIG; ++signo)
            if ((unsigned)ints[INIT_SIGIGN] & __sigmask(signo))
                _hurd_global_sigstate->actions[signo].sa_handler = SIG_IGN;
}

void fi_signals_now(unsigned long *blocked, unsigned long *pending, unsigned long *ignored)
{
    *blocked = _hurd_self_sigstate()->blocked;
    *pending = _hurd_global_sigstate->pending;
    *ignored = 0;
    for (int signo = 1; signo < NSIG; ++signo)
        if (_hurd_global_sigstate->actions[signo].sa_handler == SIG_IGN)
            *ignored |= __sigmask(signo);
}

/* --- the new program's start (glibc's hurd/hurdstartup.c, hurdinit.c) ------------------------ */

mach_port_t mach_task_self(void); /* the trap (sim/kern/mig_mach.c); glibc's macro shadows __ */
kern_return_t __task_get_special_port(mach_port_t task, int which, mach_port_t *port);

/* What each started program had before its main (host memory, in order of starts). */
SIM_WORLD_STATE static fi_exec_record records[FI_MAX_EXECS];
SIM_WORLD_STATE static unsigned nrecords;

unsigned fi_execs(const fi_exec_record **r)
{
    if (r != NULL)
        *r = records;
    return nrecords;
}

void fi_execs_reset(void)
{
    nrecords = 0;
}

/* The thread the exec server starts in the task (its entry, EX10): on a fresh image, the
 * start-up of glibc's _hurd_startup, _hurd_init and _hurd_libc_proc_init, then main, then _exit
 * as a spawned process's (proc_mark_exit, task_terminate). The arrays come out of line
 * (EX20); each region is given back where glibc's start-up gives it back: the descriptors'
 * by init_dtable (hurd/dtable.c, glibc's own code, run from fi_process_init), the ints' then
 * the ports' by _hurd_libc_proc_init (hurd/hurdinit.c) once the proc server has the message
 * port; argv's and envp's never (the program's argv and environ point into them). */
void fi_exec_entry(void *arg)
{
    const fi_builtin *prog = arg;
    __mach_task_self_ = mach_task_self();
    mach_port_t self = __mach_task_self_;
    /* _hurd_startup: exec_startup_get_info on the bootstrap port the exec server left, with
     * empty buffers (its argslen, envlen and data's sizes are 0: an array comes out of line or
     * not at all), then that right goes. */
    mach_port_t boot = MACH_PORT_NULL;
    if (__task_get_special_port(self, TASK_BOOTSTRAP_PORT, &boot) != KERN_SUCCESS ||
        !MACH_PORT_VALID(boot))
        kern_unmodelled("an exec'd program without a bootstrap port");
    char *argv = NULL, *envp = NULL;
    mach_port_t *dtable = NULL, *ports = NULL;
    int *ints = NULL;
    mach_msg_type_number_t nargv = 0, nenvp = 0, ndtable = 0, nports = 0, nints = 0;
    vm_address_t entry, phdr, stack;
    vm_size_t phdrsz, stacksz;
    int flags;
    if (__exec_startup_get_info(boot, &entry, &phdr, &phdrsz, &stack, &stacksz, &flags, &argv,
                                &nargv, &envp, &nenvp, &dtable, &ndtable, &ports, &nports, &ints,
                                &nints) != KERN_SUCCESS)
        kern_unmodelled("exec_startup_get_info failed at an exec'd program's start-up");
    __mach_port_deallocate(self, boot);
    /* _hurd_init: the bootstrap port the program was given becomes the task's again. */
    if (nports > HURD_INIT_PORT_BOOTSTRAP)
        __task_set_special_port(self, TASK_BOOTSTRAP_PORT, ports[HURD_INIT_PORT_BOOTSTRAP]);
    fi_start_info si;
    memset(&si, 0, sizeof si);
    for (unsigned i = 0; i < nports && i < INIT_PORT_MAX; i++)
        si.ports[i] = ports[i];
    /* The pids, as glibc's init_pids asks proc. */
    pid_t ppid;
    int orphaned;
    __proc_getpids(si.ports[INIT_PORT_PROC], &si.pid, &ppid, &orphaned);
    si.ints = ints;
    si.nints = nints;
    si.dtable_given = true; /* init1: _hurd_init_dtable = d->dtable, init_dtable frees it */
    si.dtable = dtable;
    si.ndtable = ndtable;
    /* What the record keeps of the descriptors, read before init_dtable gives the region back:
     * the first names, and how many name a port in the task's space. */
    ktask_t *kt = kthread_task(kern_self());
    name_info_t info;
    mach_port_t given[FI_EXEC_DTABLE_MAX];
    unsigned nkept = ndtable < FI_EXEC_DTABLE_MAX ? ndtable : FI_EXEC_DTABLE_MAX, live = 0;
    if (nkept > 0)
        memcpy(given, dtable, nkept * sizeof *dtable);
    for (unsigned i = 0; i < ndtable; i++)
        live += space_peek(kt, dtable[i], &info) && info.port_id != 0;
    fi_process_init(&si);

    if (nrecords < FI_MAX_EXECS) {
        fi_exec_record *r = &records[nrecords++];
        memset(r, 0, sizeof *r);
        r->task = sim_task_id(sim_task_self());
        r->path = prog->path;
        r->pid = si.pid;
        for (int i = 0; i < INIT_PORT_MAX; i++) {
            r->ports[i] = _hurd_ports[i].port;
            r->port_ids[i] = space_peek(kt, r->ports[i], &info) ? info.port_id : 0;
        }
        r->nports = nports;
        r->ndtable = nkept;
        r->ndtable_given = ndtable;
        r->ndtable_live = live;
        r->nnames = space_count(kt);
        memcpy(r->dtable, given, nkept * sizeof *given);
        for (unsigned i = 0; i < nkept; i++)
            r->dtable_ids[i] = space_peek(kt, r->dtable[i], &info) ? info.port_id : 0;
        r->nints = nints < HURD_INIT_INT_MAX ? nints : HURD_INIT_INT_MAX;
        memcpy(r->ints, ints, r->nints * sizeof *ints);
        fi_signals_now(&r->blocked, &r->pending, &r->ignored);
    }
    /* _hurd_libc_proc_init: "All done with init ints and ports." */
    __vm_deallocate(self, (vm_address_t)(uintptr_t)ints, nints * sizeof *ints);
    __vm_deallocate(self, (vm_address_t)(uintptr_t)ports, nports * sizeof *ports);
    int v = prog->main(NULL);
    __proc_mark_exit(_hurd_ports[INIT_PORT_PROC].port, HURD_W_EXITCODE(v, 0), 0);
    __task_terminate(__mach_task_self_);
}

/* --- signals lost or destroyed at exec (issue 9, item 5; rule EX15) ------------------------ */

/* The exec server is committed to overlaying task_id (forkimpl installs this as its commit
 * hook): every signal the old program's sigstates hold pending that the request's
 * INIT_SIGPENDING does not carry is lost with the old image. hurdexec.c packs the pending set
 * once, under the sigstate lock at its start (retry:); a signal the signal thread marks
 * pending after that (the thread in its critical section, or the signal blocked) is in no
 * ints the new program gets. Runs on the exec server's thread: the old image is read with
 * sim_task_peek, never in place. */
/* Rule EX15's second half: a msg_sig_post still queued on the old message port when the exec
 * server destroys it (hurdexec.c lists the port among the names to destroy: glibc's
 * _hurd_exec_paths knows it in no port cell or descriptor) goes with it, unreceived
 * (GNU Mach's ipc_port_destroy destroys the queued messages). Its reply right, a send-once
 * right, is destroyed too, which sends the sender's reply port a send-once notification: the
 * sender's msg_sig_post returns MIG_SERVER_DIED, and glibc's kill (HURD_MSGPORT_RPC) asks proc
 * for the message port again and sends the signal to the new program. One without a reply
 * port (proc's SIGCHLD) is lost. Each is noted before the destroy, from the model's queue. */
static void note_queued_signals(int task_id, sim_task *t, const uint32_t *destroy, unsigned n)
{
    mach_port_t msgport = MACH_PORT_NULL;
    if (sim_task_peek(t, &_hurd_msgport, &msgport, sizeof msgport) != 0 || !MACH_PORT_VALID(msgport))
        return;
    bool destroyed = false;
    for (unsigned i = 0; i < n && !destroyed; i++)
        destroyed = destroy[i] == msgport;
    if (!destroyed)
        return;
    ktask_t *kt = kern_ktask(t);
    mig_msg_t m;
    mach_msg_id_t id;
    bool reply;
    size_t blen;
    for (size_t i = 0;
         mk_queue_peek(kt, msgport, i, &id, &reply, m.bytes + sizeof m.head,
                       sizeof m.bytes - sizeof m.head, &blen);
         i++) {
        if (id != MSG_ID_SIG_POST)
            continue;
        m.len = (mach_msg_size_t)(sizeof m.head + (blen < sizeof m.bytes - sizeof m.head
                                                       ? blen : sizeof m.bytes - sizeof m.head));
        m.pos = sizeof m.head;
        m.bad = false;
        int32_t signo = 0;
        if (!mig_get_int32(&m, &signo) || signo <= 0 || signo >= NSIG)
            continue;
        if (!reply) {
            fi_signal_log(task_id, signo, "lost at exec");
            continue;
        }
        fi_signal_log(task_id, signo, "destroyed at exec");
        kern_trace_note("its msg_sig_post, queued on t%d's old message port, goes unreceived with "
                        "the port the exec destroys: the sender's reply port gets a send-once "
                        "notification (MIG_SERVER_DIED)", task_id);
    }
}

static void exec_commit(int task_id, const uint32_t *ints, unsigned nints, const uint32_t *destroy,
                        unsigned ndestroy)
{
    sim_task *t = sim_task_by_id(task_id);
    if (t == NULL)
        return;
    sigset_t passed = nints > INIT_SIGPENDING ? (sigset_t)ints[INIT_SIGPENDING] : 0;
    sigset_t pending = 0;
    struct hurd_sigstate *ss = NULL, *global = NULL;
    if (sim_task_peek(t, &_hurd_global_sigstate, &global, sizeof global) == 0 && global != NULL) {
        struct hurd_sigstate g;
        if (sim_task_peek(t, global, &g, sizeof g) == 0)
            pending |= g.pending;
    }
    if (sim_task_peek(t, &_hurd_sigstates, &ss, sizeof ss) != 0)
        ss = NULL;
    for (int guard = 0; ss != NULL && guard < 64; guard++) {
        struct hurd_sigstate one;
        if (sim_task_peek(t, ss, &one, sizeof one) != 0)
            break;
        pending |= one.pending;
        ss = one.next;
    }
    for (int signo = 1; signo < NSIG; ++signo)
        if ((pending & __sigmask(signo)) && !(passed & __sigmask(signo)))
            fi_signal_log(task_id, signo, "lost at exec");
    note_queued_signals(task_id, t, destroy, ndestroy);
}

void fi_exec_install(void)
{
    hurd_set_exec_commit_hook(exec_commit);
    fi_exec_failures_reset();
}
