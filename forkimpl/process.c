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

pid_t fi_fork(void)
{
    return fork_variant == FI_FORK_GLIBC_NDEBUG ? forksim_glibc_fork_ndebug() : forksim_glibc_fork();
}

/* --- the signal thread ----------------------------------------------------------------------- */

static kern_return_t msg_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    (void)out;
    switch (in->head.msgh_id) {
    case MSG_ID_SIG_POST: {
        int32_t signo = 0, sigcode = 0;
        mach_port_t refport = MACH_PORT_NULL;
        mach_msg_type_name_t type;
        if (!mig_get_int32(in, &signo) || !mig_get_int32(in, &sigcode) ||
            !mig_get_port(in, &refport, &type))
            return MIG_BAD_ARGUMENTS;
        struct hurd_sigstate *g = _hurd_global_sigstate;
        if (g != NULL && signo > 0 && signo < 64)
            g->pending |= 1UL << (signo - 1);
        fi_signal_note(sim_task_id(sim_task_self()), signo, sigcode);
        if (MACH_PORT_VALID(refport))
            __mach_port_deallocate(__mach_task_self_, refport);
        return KERN_SUCCESS;
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

/* glibc's name for the signal thread's function: _Fork starts the child's signal thread here. */
void _hurd_msgport_receive(void)
{
    sim_thread_set_daemon(sim_self(), true); /* blocked in receive is its resting state */
    mig_server_loop(_hurd_msgport, msg_demux, NULL);
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
     * glibc's _hurdsig_init does): no mach_thread_self of its own, so no extra uref. */
    tls->ss = fi_sigstate_new(thread);
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

/* Runs on the process's main thread, started by hurd_spawn with its ports in hand. */
static int process_start(void *arg)
{
    const fi_program *program = arg;
    __mach_task_self_ = mach_task_self(); /* the trap, as glibc's start-up does */
    _hurd_ports[INIT_PORT_PROC].port = hurd_port(HURD_PORT_PROC);
    _hurd_ports[INIT_PORT_AUTH].port = hurd_port(HURD_PORT_AUTH);
    _hurd_ports[INIT_PORT_CRDIR].port = hurd_port(HURD_PORT_CRDIR);
    _hurd_ports[INIT_PORT_CWDIR].port = hurd_port(HURD_PORT_CWDIR);
    _hurd_pid = hurd_pid();

    /* The main thread's own send right, as the thread library keeps one (glibc's libpthread:
     * the thread's kernel_thread): without it the sigstate's name would be freed below. */
    (void)__mach_thread_self();
    /* The sigstates: main thread's, and the global one. */
    struct hurd_sigstate *ss = _hurd_self_sigstate();
    _hurd_global_sigstate = fi_sigstate_new(MACH_PORT_NULL);
    _hurd_sigstate_set_global_rcv(ss);

    /* The message port: receive right and send right under one name, given to proc. */
    if (__mach_port_allocate(__mach_task_self_, MACH_PORT_RIGHT_RECEIVE, &_hurd_msgport) !=
            KERN_SUCCESS ||
        __mach_port_insert_right(__mach_task_self_, _hurd_msgport, _hurd_msgport,
                                 MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
        kern_unmodelled("could not make the message port");
    start_signal_thread();
    mach_port_t old = MACH_PORT_NULL;
    if (__proc_setmsgport(_hurd_ports[INIT_PORT_PROC].port, _hurd_msgport, &old) == KERN_SUCCESS &&
        MACH_PORT_VALID(old))
        __mach_port_deallocate(__mach_task_self_, old);
    fi_dtable_start();
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
