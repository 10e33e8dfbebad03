/*
 * process.c: a simulated Hurd process as glibc sets one up, and the fork entry points.
 *
 * Stands in for what glibc's start-up does before main on the Hurd (hurd/hurdinit.c,
 * hurd/hurdsig.c: _hurdsig_init, _hurd_init): the task's own name for its task port in
 * __mach_task_self_; the port cells (_hurd_ports: proc, auth, root and working directory) from
 * the ports the process was started with; the message port (a receive right with a send right
 * under the same name) registered with the proc server; the signal thread serving it on its own
 * stack; the sigstates of both threads; descriptors 0-2 on the console, through glibc's own
 * init_dtable (fdrt.c). Then the program's main runs on the main thread. The
 * servers and the start (a task whose thread got its ports) come from sim/hurd/servers.h.
 *
 * The signal thread (_hurd_msgport_receive, the function glibc's _Fork also starts in the
 * child) serves msg_sig_post and msg_proc_newids. Added rule: a posted signal is recorded on
 * the global sigstate and answered at once; delivery (handlers, default actions) comes with the
 * signal work of the race explorer.
 */
#include "forkimpl.h"
#include <hurd/signal.h>
#include <hurd/msg_server.h>
#include <mach/exc_server.h>
#include "servers.h" /* the simulated servers (sim/hurd/) */
#include "kern.h"
#include "mig.h"

#include <string.h>

#define SIGTHREAD_STACK 16384

mach_port_t mach_task_self(void); /* the trap (sim/kern/mig_mach.c); glibc's macro shadows __ */

/* The program a simulated process runs, given by fi_spawn (host memory: the same for all). */
typedef struct fi_program {
    fi_main_fn main;
    void *arg;
} fi_program;

SIM_WORLD_STATE static fi_fork_variant fork_variant = FI_FORK_GLIBC;  /* world state */

void fi_set_fork_variant(fi_fork_variant v) { fork_variant = v; }
fi_fork_variant fi_get_fork_variant(void) { return fork_variant; }

pid_t forksim_glibc_fork(void);
pid_t forksim_glibc_fork_ndebug(void);

pid_t forksim_ours_fork(void);

pid_t fi_fork(void)
{
    if (fork_variant == FI_FORK_OURS)
        return forksim_ours_fork();
    return fork_variant == FI_FORK_GLIBC_NDEBUG ? forksim_glibc_fork_ndebug() : forksim_glibc_fork();
}

/* Stands in for glibc 2.36's posix/fork.c (__libc_fork), which posix/vfork.c's __vfork calls
 * and which needs libio's, ld.so's and nss's internals to compile. In a simulated process it
 * reduces to _Fork: no pthread_atfork handlers are ever registered (so __run_prefork_handlers
 * and __run_postfork_handlers run none), and the process is single-threaded in fork.c's sense
 * (the signal thread is no pthread), so fork.c takes none of the stdio, malloc and nss locks;
 * what is left in the child (fork_system_setup, reclaim_stacks) touches nothing the Hurd's
 * _Fork has not already set up. */
pid_t forksim_posix_fork(void)
{
    return fi_fork();
}

pid_t forksim_glibc_vfork(void);

pid_t fi_vfork(void)
{
    return forksim_glibc_vfork();
}

/* --- the signal thread ----------------------------------------------------------------------- */

static kern_return_t msg_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    (void)out;
    switch (in->head.msgh_id) {
    case MSG_ID_SIG_POST: {
        /* MIG's demultiplexing of msg_sig_post, into glibc's own routine (hurdsig.c):
         * delivery, and the reply (now or later: MIG_NO_REPLY) are glibc's. */
        int32_t signo = 0, sigcode = 0;
        mach_port_t refport = MACH_PORT_NULL;
        mach_msg_type_name_t type;
        if (!mig_get_int32(in, &signo) || !mig_get_int32(in, &sigcode) ||
            !mig_get_port(in, &refport, &type))
            return MIG_BAD_ARGUMENTS;
        kern_return_t kr = _S_msg_sig_post(in->head.msgh_local_port, in->head.msgh_remote_port,
                                           MACH_MSGH_BITS_REMOTE(in->head.msgh_bits), signo,
                                           (natural_t)sigcode, refport);
        fi_signal_posted(signo);
        return kr;
    }
    case 2400: {
        /* exc.defs' exception_raise, as MIG's exc_server gives it to glibc's own
         * hurd/catch-exc.c (the message port is the task's exception port) */
        mach_port_t thread = MACH_PORT_NULL, task = MACH_PORT_NULL;
        mach_msg_type_name_t type;
        int32_t exc = 0, code = 0, subcode = 0;
        if (!mig_get_port(in, &thread, &type) || !mig_get_port(in, &task, &type) ||
            !mig_get_int32(in, &exc) || !mig_get_int32(in, &code) || !mig_get_int32(in, &subcode))
            return MIG_BAD_ARGUMENTS;
        return _S_catch_exception_raise(in->head.msgh_local_port, thread, task, exc, code,
                                        subcode);
    }
    case MSG_ID_PROC_NEWIDS: {
        mach_port_t task = MACH_PORT_NULL;
        mach_msg_type_name_t type;
        int32_t ppid = 0, pgrp = 0, orphaned = 0;
        if (!mig_get_port(in, &task, &type) || !mig_get_int32(in, &ppid) ||
            !mig_get_int32(in, &pgrp) || !mig_get_int32(in, &orphaned))
            return MIG_BAD_ARGUMENTS;
        _hurd_ppid = ppid;
        _hurd_pgrp = pgrp;
        _hurd_orphaned = orphaned;
        if (MACH_PORT_VALID(task))
            __mach_port_deallocate(__mach_task_self_, task);
        return MIG_NO_REPLY; /* a one-way message */
    }
    }
    return MIG_BAD_ID;
}

/* glibc's name for the signal thread's function (hurd/msgportdemux.c; _Fork starts the child's
 * signal thread here): it serves the message port, as glibc's does with __mach_msg_server. */
void *_hurd_msgport_receive(void *arg)
{
    (void)arg;
    sim_thread_set_daemon(sim_self(), true); /* blocked in receive is its resting state */
    mig_server_loop(_hurd_msgport, msg_demux, NULL);
    return NULL;
}

/* --- start-up ---------------------------------------------------------------------------------- */

static void start_signal_thread(void)
{
    char *stack = _hurd_malloc(SIGTHREAD_STACK);
    fi_tls *tls = sim_heap_calloc(1, sizeof *tls);
    if (stack == NULL || tls == NULL)
        kern_unmodelled("image heap exhausted starting a signal thread");
    __hurd_sigthread_stack_base = (vm_address_t)(uintptr_t)stack;
    __hurd_sigthread_stack_end = (vm_address_t)(uintptr_t)(stack + SIGTHREAD_STACK);
    thread_t thread;
    if (__thread_create(__mach_task_self_, &thread) != KERN_SUCCESS)
        kern_unmodelled("thread_create failed at process start-up");
    _hurd_msgport_thread = thread;
    /* Its sigstate is made here, by the main thread, under the name thread_create gave (as
     * glibc's _hurdsig_init does by its own thread's first RPC): glibc's _hurd_thread_sigstate. */
    tls->_hurd_sigstate = _hurd_thread_sigstate(thread);
    struct machine_thread_state state;
    memset(&state, 0, sizeof state);
    MACHINE_THREAD_STATE_SET_PC(&state, (uintptr_t)_hurd_msgport_receive);
    state.SP = __hurd_sigthread_stack_end;
    state.tls = (uintptr_t)tls;
    if (__thread_set_state(thread, MACHINE_THREAD_STATE_FLAVOR, (natural_t *)&state,
                           MACHINE_THREAD_STATE_COUNT) != KERN_SUCCESS ||
        __thread_resume(thread) != KERN_SUCCESS)
        kern_unmodelled("could not start the signal thread");
}

void fi_process_init(const fi_start_info *si)
{
    if (__mach_task_self_ == MACH_PORT_NULL)
        __mach_task_self_ = mach_task_self(); /* the trap, as glibc's start-up does */
    for (int i = 0; i < INIT_PORT_MAX; i++)
        _hurd_ports[i].port = si->ports[i];
    _hurd_pid = si->pid;

    /* The main thread's own send right, as the thread library keeps one (glibc's libpthread:
     * the thread's kernel_thread). */
    (void)__mach_thread_self();
    /* The signal state, in the order of glibc's _hurdsig_init (hurd/hurdsig.c): the lock, the
     * global sigstate blocking everything (threads take signals from its pending set), the main
     * thread's, made a global receiver. */
    __mutex_init(&_hurd_siglock);
    _hurd_global_sigstate = _hurd_thread_sigstate(MACH_PORT_NULL);
    __sigfillset(&_hurd_global_sigstate->blocked);
    struct hurd_sigstate *ss = _hurd_self_sigstate();
    _hurd_sigstate_set_global_rcv(ss);
    fi_start_signals(si->ints, si->nints);

    /* The message port: receive right and send right under one name, given to proc. */
    if (__mach_port_allocate(__mach_task_self_, MACH_PORT_RIGHT_RECEIVE, &_hurd_msgport) !=
            KERN_SUCCESS ||
        __mach_port_insert_right(__mach_task_self_, _hurd_msgport, _hurd_msgport,
                                 MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
        kern_unmodelled("could not make the message port");
    start_signal_thread();
    /* Exceptions go to the message port (_hurdsig_init: task_set_special_port (task,
     * TASK_EXCEPTION_PORT, _hurd_msgport)). Set on the model directly, untraced: the set-up's
     * trace (and every golden's step numbers) stays as it was before the abort path needed it. */
    if (mk_task_set_special_port(kern_self(), __mach_task_self_, TASK_EXCEPTION_PORT, _hurd_msgport,
                                 MACH_MSG_TYPE_COPY_SEND) != KERN_SUCCESS)
        kern_unmodelled("could not make the message port the task's exception port");
    /* glibc's _hurd_new_proc_init gives proc the message port through the proc port cell:
     * _hurd_port_get, whose hurd/port.h body is a critical section of its own (hurdrt.c). Its
     * end (HURD_CRITICAL_END: glibc's _hurd_critical_section_unlock) is the new program's
     * first look at its pending set: a signal the ints left pending and not blocked makes it
     * ask the signal thread, which delivers it (rule EX18). Then proc_setmsgport, then
     * _hurd_port_free's own critical section, in glibc's order. */
    struct hurd_userlink proc_link;
    mach_port_t procserver = _hurd_port_get(&_hurd_ports[INIT_PORT_PROC], &proc_link);
    mach_port_t old = MACH_PORT_NULL;
    if (__proc_setmsgport(procserver, _hurd_msgport, &old) == KERN_SUCCESS &&
        MACH_PORT_VALID(old))
        __mach_port_deallocate(__mach_task_self_, old);
    _hurd_port_free(&_hurd_ports[INIT_PORT_PROC], &proc_link, procserver);
    if (!si->dtable_given)
        fi_dtable_start();
    else
        fi_dtable_start_given(si->dtable, si->ndtable);
}

/* Runs on the process's main thread, started by hurd_spawn with its ports in hand. */
static int process_start(void *arg)
{
    const fi_program *program = arg;
    fi_start_info si;
    memset(&si, 0, sizeof si);
    si.ports[INIT_PORT_PROC] = hurd_port(HURD_PORT_PROC);
    si.ports[INIT_PORT_AUTH] = hurd_port(HURD_PORT_AUTH);
    si.ports[INIT_PORT_CRDIR] = hurd_port(HURD_PORT_CRDIR);
    si.ports[INIT_PORT_CWDIR] = hurd_port(HURD_PORT_CWDIR);
    si.pid = hurd_pid();
    fi_process_init(&si);
    return program->main(program->arg);
}

/* Called from the host; the program records are host memory, read by the new process's
 * start-up before main. */
sim_task *fi_spawn(fi_main_fn main, void *arg, sim_thread **thp)
{
    static fi_program programs[64];
    static unsigned nprograms;
    if (nprograms == sizeof programs / sizeof programs[0])
        nprograms = 0;
    fi_program *p = &programs[nprograms++];
    p->main = main;
    p->arg = arg;
    return hurd_spawn(process_start, p, thp);
}
