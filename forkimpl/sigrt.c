/*
 * sigrt.c: what stands beneath glibc's signal code (hurd/hurdsig.c, intr-msg.c, kill.c, ...,
 * compiled unmodified): forksim's C stand-ins for glibc's i386 assembly, and the RPC stubs the
 * code calls.
 *
 * - The interruptible trap (stands in for sysdeps/mach/hurd/i386/intr-msg.h's INTR_MSG_TRAP):
 *   while a thread is parked about to trap, or in the trap, its state's PC is one of the
 *   labels hurdsig.c compares with (_hurd_intr_rpc_msg_about_to, _in_trap), so the signal
 *   thread's _hurdsig_abort_rpcs tells the windows apart as on i386; what it writes into
 *   SYSRETURN is what the trap returns.
 * - The signal frame (stands in for sysdeps/mach/hurd/i386/trampoline.c's
 *   _hurd_setup_sighandler and the trampoline, and sigreturn.c's __sigreturn): a frame on the
 *   image heap; the state given back to thread_set_state makes the stopped thread call the
 *   trampoline first when it runs again (an injected call, sim_thread_inject), on its own stack
 *   below its parked frames, where i386 pushes the frame. The trampoline finishes an
 *   interrupted RPC's receive when asked (rpc_wait), runs the handler, and sigreturn restores
 *   the mask, intr_port and reply port, posts itself a signal 0 when unblocked signals are
 *   pending (as sigreturn.c does), and resumes the parked code with the context's SYSRETURN.
 *
 * Not modelled (a run that needs one stops as unmodelled, never silently): alternate signal
 * stacks, the fault catching of hurdfault.c (no simulated code faults), core dumps (there is no
 * crash server: __crash_dump_task fails, as with none registered), re-authentication.
 */
#include "forkimpl.h"
#include "kern.h"
#include "mig.h"
#include "servers.h"

#include <hurd/signal.h>
#include <hurd/msg_reply.h>
#include <hurd/interrupt.h>
#include <hurd/crash.h>
#include <hurd/sigpreempt.h>
#include <thread_state.h>
#include "hurdfault.h"
#include <hurd/id.h>

#include <string.h>
#include <sys/wait.h>

/* --- the labels of the interruptible trap ------------------------------------------------------- */

/* Five consecutive bytes, in the order of the i386 assembly's labels: hurdsig.c compares a
 * PC with their addresses as natural_t, so a parked thread reports that truncated value. */
__asm__(".section .rodata\n"
        ".globl _hurd_intr_rpc_msg_about_to\n_hurd_intr_rpc_msg_about_to: .byte 0\n"
        ".globl _hurd_intr_rpc_msg_cx_sp\n_hurd_intr_rpc_msg_cx_sp: .byte 0\n"
        ".globl _hurd_intr_rpc_msg_do_trap\n_hurd_intr_rpc_msg_do_trap: .byte 0\n"
        ".globl _hurd_intr_rpc_msg_in_trap\n_hurd_intr_rpc_msg_in_trap: .byte 0\n"
        ".globl _hurd_intr_rpc_msg_sp_restored\n_hurd_intr_rpc_msg_sp_restored: .byte 0\n"
        ".globl fi_pc_elsewhere\nfi_pc_elsewhere: .byte 0\n"
        ".previous\n");
extern const char _hurd_intr_rpc_msg_about_to[], _hurd_intr_rpc_msg_in_trap[], fi_pc_elsewhere[];

static uint64_t label_pc(const char *label)
{
    return (natural_t)(uintptr_t)label;
}

/* The same label, whether written truncated (a parked thread, hurdsig.c's comparisons) or
 * whole (MACHINE_THREAD_STATE_SET_PC). */
static bool pc_is(uint64_t pc, const char *label)
{
    return pc == label_pc(label) || pc == (uintptr_t)label;
}

/* The trap's arguments while a thread is in it, for a signal frame that must finish its
 * receive (trampoline.c changes them on the parked thread's stack). */
typedef struct intr_trap {
    mach_msg_header_t *msg;
    mach_msg_option_t *option;
    mach_msg_size_t rcv_size;
    mach_port_t rcv_name;
    mach_msg_timeout_t *timeout;
} intr_trap;

SIM_GLOBAL static intr_trap *trap_of_thread[64];   /* by simulated thread id modulo 64 */

static intr_trap **my_trap(void)
{
    return &trap_of_thread[sim_thread_id(sim_self()) % 64];
}

error_t fi_intr_msg_trap(mach_msg_header_t *msg, mach_msg_option_t *option,
                         mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                         mach_port_t rcv_name, mach_msg_timeout_t *timeout, mach_port_t notify,
                         volatile int *cancel_p, volatile mach_port_t *intr_port_p)
{
    (void)notify;
    intr_trap trap = {msg, option, rcv_size, rcv_name, timeout};
    kern_thread_state ts;
    error_t err;
    uint64_t gen = kern_self_state_gen();
    kern_self_state_publish(label_pc(_hurd_intr_rpc_msg_about_to), 0);
    sim_yield("about to trap (interruptible)");
    if (kern_self_state_gen() != gen) {
        /* The signal thread backed the call out (PC moved to in_trap, SYSRETURN set). */
        kern_self_state_read(&ts);
        if (pc_is(ts.pc, _hurd_intr_rpc_msg_in_trap)) {
            err = (error_t)ts.sysreturn;
            goto out;
        }
    }
    if (*cancel_p) {
        *intr_port_p = MACH_PORT_NULL;
        err = EINTR;
        goto out;
    }
    *my_trap() = &trap;
    gen = kern_self_state_gen();
    kern_self_state_publish(label_pc(_hurd_intr_rpc_msg_in_trap), 0);
    err = kern_mach_msg_trap(msg, *option, send_size, rcv_size, rcv_name, *timeout);
    sim_run_injected();
    *my_trap() = NULL;
    if (kern_self_state_gen() != gen) {
        kern_self_state_read(&ts);
        err = (error_t)ts.sysreturn;
    }
out:
    kern_self_state_publish(label_pc(fi_pc_elsewhere), 0);
    return err;
}

/* --- the signal frame ---------------------------------------------------------------------------- */

typedef struct sigframe {
    struct sigcontext ctx;      /* first: sigreturn's argument */
    struct hurd_sigstate *ss;
    int signo;
    long sigcode;
    __sighandler_t handler;
    int flags;
    int rpc_wait;
    siginfo_t info;
} sigframe;

static void trampoline(void *arg)
{
    sigframe *f = arg;
    if (f->rpc_wait) {
        /* trampoline.c's rpc_wait_trampoline: the request was sent; wait for the reply with the
         * limit _hurd_interrupted_rpc_timeout, and let sigreturn give its result. */
        intr_trap *t = *my_trap();
        if (t == NULL)
            kern_unmodelled("a signal frame waits for an RPC reply, but the thread is in no trap");
        *t->option = (*t->option & ~MACH_SEND_MSG) | MACH_RCV_TIMEOUT;
        *t->timeout = _hurd_interrupted_rpc_timeout;
        f->ctx.sc_sysreturn =
            kern_mach_msg_trap(t->msg, *t->option, 0, t->rcv_size, t->rcv_name, *t->timeout);
    }
    fi_signal_event(f->signo, "handler");
    if (f->flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))(void *)f->handler)(f->signo, &f->info, NULL);
    else
        ((void (*)(int, long, struct sigcontext *))(void *)f->handler)(f->signo, f->sigcode,
                                                                        &f->ctx);
    /* sigreturn puts the context back; the thread then goes on from its parking point with
     * the context's SYSRETURN (the frame is freed: f is not touched again). */
    if (__sigreturn(&f->ctx) != 0)
        kern_unmodelled("sigreturn refused the signal frame's context");
}

struct sigcontext *_hurd_setup_sighandler(struct hurd_sigstate *ss,
                                          const struct sigaction *action,
                                          __sighandler_t handler, int signo,
                                          struct hurd_signal_detail *detail, int rpc_wait,
                                          struct machine_thread_all_state *state)
{
    if (ss->context != NULL) {
        /* a context sigreturn was about to restore: the new frame is based on it */
        state->basic.PC = ss->context->sc_pc;
        state->basic.SP = ss->context->sc_sp;
        state->basic.SYSRETURN = ss->context->sc_sysreturn;
        state->set |= 1 << 1;
    }
    if (!machine_get_basic_state(ss->thread, state))
        return NULL;
    if ((action->sa_flags & SA_ONSTACK) && !(ss->sigaltstack.ss_flags & (SS_DISABLE | SS_ONSTACK)))
        kern_unmodelled("a handler on an alternate signal stack");
    sigframe *f = _hurd_malloc(sizeof *f);
    if (f == NULL)
        return NULL;
    memset(f, 0, sizeof *f);
    f->ss = ss;
    f->signo = signo;
    f->handler = handler;
    f->flags = action->sa_flags;
    f->rpc_wait = rpc_wait;
    f->sigcode = detail->exc ? detail->code : 0;
    if (!detail->exc)
        detail->code = 0;
    f->info.si_signo = signo;
    f->info.si_errno = detail->error;
    f->info.si_code = detail->code;
    f->info.si_pid = -1;
    f->info.si_uid = (uid_t)-1;
    struct sigcontext *scp = &f->ctx;
    scp->sc_onstack = 0;
    scp->sc_pc = state->basic.PC;
    scp->sc_sp = state->basic.SP;
    scp->sc_sysreturn = state->basic.SYSRETURN;
    state->basic.kind = KERN_STATE_CALL;
    state->basic.PC = (uintptr_t)trampoline;
    state->basic.arg = (uintptr_t)f;
    return scp;
}

/* sigreturn.c's __sigreturn: the frame's state back, then on from where the thread was. */
int __sigreturn(struct sigcontext *scp)
{
    if (scp == NULL || (scp->sc_mask & _SIG_CANT_MASK)) {
        errno = EINVAL;
        return -1;
    }
    struct hurd_sigstate *ss = _hurd_self_sigstate();
    _hurd_sigstate_lock(ss);
    ss->blocked = scp->sc_mask;
    ss->intr_port = scp->sc_intr_port;
    if (_hurd_sigstate_pending(ss) & ~ss->blocked) {
        /* pending signals just unblocked: the signal thread delivers them now */
        ss->context = scp;
        _hurd_sigstate_unlock(ss);
        __msg_sig_post(_hurd_msgport, 0, 0, __mach_task_self());
        _hurd_sigstate_lock(ss);
        ss->context = NULL;
    }
    mach_port_t *reply_port = &fi_self_tls()->reply_port;
    if (*reply_port != MACH_PORT_NULL) {
        mach_port_t port = *reply_port;
        *reply_port = MACH_PORT_DEAD;
        __mach_port_destroy(__mach_task_self(), port);
    }
    *reply_port = scp->sc_reply_port;
    uint64_t pc = scp->sc_pc, sysreturn = scp->sc_sysreturn;
    _hurd_sigstate_unlock(ss);
    _hurd_free(scp); /* the frame (scp is its first member) */
    kern_self_state_publish(pc, sysreturn);
    sim_thread_gen_bump(sim_self()); /* the parked trap returns what the context says */
    return 0;
}

/* --- hurdfault.c: no simulated code faults, so nothing is ever caught ------------------------------ */

SIM_GLOBAL jmp_buf _hurdsig_fault_env;
SIM_GLOBAL struct hurd_signal_preemptor _hurdsig_fault_preemptor;

/* --- RPCs the signal code makes ---------------------------------------------------------------------- */

/* msg_sig_post_reply (23100): a simpleroutine, the return code only, on the send-once right
 * the request carried (the Hurd's msg_reply.defs). */
kern_return_t __msg_sig_post_reply(mach_port_t reply_port, mach_msg_type_name_t reply_portPoly,
                                   kern_return_t return_code)
{
    mig_msg_t out;
    mig_reply_init_to(&out, reply_port, reply_portPoly, MSG_ID_SIG_POST);
    mig_set_retcode(&out, return_code);
    return mig_send_reply(&out);
}

kern_return_t __msg_sig_post_untraced_reply(mach_port_t reply_port,
                                            mach_msg_type_name_t reply_portPoly,
                                            kern_return_t return_code)
{
    return __msg_sig_post_reply(reply_port, reply_portPoly, return_code);
}

/* interrupt_operation: sim/hurd/hurd.stubs. */

kern_return_t __crash_dump_task(mach_port_t crashserver, mach_port_t task, file_t core_file,
                                int signo, integer_t sigcode, int sigerror, natural_t exc,
                                natural_t code, natural_t subcode, mach_port_t cttyid_port,
                                mach_msg_type_name_t cttyid_portPoly)
{
    (void)crashserver, (void)task, (void)core_file, (void)signo, (void)sigcode, (void)sigerror;
    (void)exc, (void)code, (void)subcode, (void)cttyid_port, (void)cttyid_portPoly;
    return MACH_SEND_INVALID_DEST; /* no crash server runs */
}

/* hurdsig.c's write_corefile looks the crash server up by name; none is there. */
mach_port_t __file_name_lookup(const char *file, int flags, mode_t mode)
{
    (void)file, (void)flags, (void)mode;
    errno = ENOENT;
    return MACH_PORT_NULL;
}

mach_port_t __file_name_split(const char *file, char **name)
{
    (void)file, (void)name;
    errno = ENOENT;
    return MACH_PORT_NULL;
}

kern_return_t __dir_mkfile(mach_port_t dir, int flags, mode_t mode, mach_port_t *newnode)
{
    (void)dir, (void)flags, (void)mode, (void)newnode;
    return EOPNOTSUPP;
}

kern_return_t __dir_link(mach_port_t dir, mach_port_t file, const char *name, int excl)
{
    (void)dir, (void)file, (void)name, (void)excl;
    return EOPNOTSUPP;
}

/* The process's end after a fatal signal (hurdsig.c: post_signal's "term"/"core"):
 * glibc's _hurd_exit (hurd/hurdexit? sysdeps/mach/hurd/_exit.c) tells proc the status and
 * terminates the task. */
_Noreturn void _hurd_exit(int status)
{
    if (WIFSIGNALED(status))
        fi_signal_event(WTERMSIG(status), "default terminate");
    __proc_mark_exit(_hurd_ports[INIT_PORT_PROC].port, status, 0);
    __task_terminate(__mach_task_self());
    kern_unmodelled("a simulated process survived its own task_terminate");
}

/* --- the abort path (issue 9, item 7): what glibc's stdlib/abort.c calls ------------------------ */

/* Stands in for glibc 2.36's sysdeps/htl/raise.c and sysdeps/hurd/htl/pt-kill.c: raise is
 * pthread_kill (pthread_self (), sig), which marks the signal pending on the calling thread's
 * sigstate (detail: no exception, code SIG) with glibc's own _hurd_raise_signal (hurd-raise.c,
 * compiled unmodified): that sends the process's signal thread a msg_sig_post of signal 0 and
 * waits for its reply. */
int forksim_glibc_raise(int sig)
{
    struct hurd_sigstate *ss = _hurd_self_sigstate();
    if (sig == 0)
        return 0;
    struct hurd_signal_detail detail;
    memset(&detail, 0, sizeof detail);
    detail.exc = 0;
    detail.code = sig;
    detail.error = 0;
    kern_trace_note("raise: SIG%s pending on thread %d; _hurd_raise_signal asks the signal "
                    "thread to look (msg_sig_post of signal 0)", fi_signal_name(sig),
                    sim_thread_id(sim_self()));
    __spin_lock(&ss->lock);
    int err = _hurd_raise_signal(ss, sig, &detail);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

/* glibc's sysdeps/mach/hurd/_exit.c: _hurd_exit (W_EXITCODE (status, 0)). */
_Noreturn void forksim_glibc__exit(int status)
{
    _hurd_exit(W_EXITCODE(status, 0));
}

/* glibc's signal/sigaction.c: a signal number out of range is EINVAL; the rest is
 * __libc_sigaction's (libc_sigaction.c, compiled unmodified). */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
    if (sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return -1;
    }
    return __libc_sigaction(sig, act, oact);
}

/* ABORT_INSTRUCTION (forkimpl/shim/abort-instr.h): i386's hlt, in user mode a general
 * protection fault. GNU Mach reports it as its kern/exception.c does: exception_raise
 * (exc.defs, id 2400: the thread, the task, EXC_BAD_INSTRUCTION, EXC_I386_GPFLT, error code 0,
 * from i386/i386/trap.c: user_trap) to the thread's exception port, else the task's (which
 * glibc's _hurdsig_init sets to the message port: the signal thread serves it), and the thread
 * waits for the reply; a reply of KERN_SUCCESS resumes it at the instruction, which faults
 * again. With no exception port (exception_no_server) the task is terminated. The message is
 * the kernel's: here the faulting thread sends it, with its own names for the rights the kernel
 * would hold, and gives back the reference it took. */
#define FI_EXC_ID_RAISE 2400
#define FI_EXC_BAD_INSTRUCTION 2
#define FI_EXC_I386_GPFLT 13
void fi_abort_instruction(void)
{
    kthread_t *self = kern_self();
    ktask_t *task = kthread_task(self);
    thread_t thread = fi_self_thread_name();
    for (;;) {
        mach_port_t port = MACH_PORT_NULL;
        if (mk_thread_get_special_port(self, thread, THREAD_EXCEPTION_PORT, &port) != KERN_SUCCESS ||
            !MACH_PORT_VALID(port)) {
            port = MACH_PORT_NULL;
            if (mk_task_get_special_port(self, __mach_task_self_, TASK_EXCEPTION_PORT, &port) !=
                    KERN_SUCCESS || !MACH_PORT_VALID(port))
                port = MACH_PORT_NULL;
        }
        kern_trace_note("fault: task %d thread %d: hlt in user mode (general protection): the "
                        "kernel sends exception_raise(EXC_BAD_INSTRUCTION, EXC_I386_GPFLT, 0) to %s",
                        sim_task_id(sim_task_self()), sim_thread_id(sim_self()),
                        port != MACH_PORT_NULL ? "its exception port" : "no exception port");
        if (port == MACH_PORT_NULL) {
            /* kern/exception.c: exception_no_server: the task is terminated */
            __task_terminate(__mach_task_self_);
            kern_unmodelled("a simulated process survived its own task_terminate");
        }
        kern_rpc r;
        mig_msg_t m;
        kern_rpc_begin(&r, "exception_raise", false);
        mig_request_init(&m, port, FI_EXC_ID_RAISE);
        mig_put_port(&m, thread, MACH_MSG_TYPE_COPY_SEND);
        mig_put_port(&m, __mach_task_self_, MACH_MSG_TYPE_COPY_SEND);
        mig_put_int32(&m, FI_EXC_BAD_INSTRUCTION);
        mig_put_int32(&m, FI_EXC_I386_GPFLT);
        mig_put_int32(&m, 0);
        kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
        world_port_deallocate(task, port); /* the reference the lookup gave */
        char args[64];
        kern_fmt(args, sizeof args, "%u, %u, %u, EXC_BAD_INSTRUCTION, EXC_I386_GPFLT, 0", port,
                 thread, __mach_task_self_);
        kern_rpc_end(&r, kr, args, "");
        if (kr != KERN_SUCCESS) {
            /* exception_raise_continue: a failed reply leaves the thread to no server */
            __task_terminate(__mach_task_self_);
            kern_unmodelled("a simulated process survived its own task_terminate");
        }
        /* KERN_SUCCESS: back at the instruction, which faults again */
    }
}

/* proc_mark_cont, proc_getsidport and proc_getpgrppids (stop and continue, kill's refport,
 * kill of a group): sim/hurd/hurd.stubs. */

/* Not modelled: a run that needs one of these stops and says so. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define UNMODELLED_RPC(name, ...)                                                             \
    kern_return_t name(__VA_ARGS__) { kern_unmodelled(#name); }
UNMODELLED_RPC(__proc_reauthenticate, process_t p, mach_port_t r, mach_msg_type_name_t t)
UNMODELLED_RPC(__proc_reauthenticate_complete, process_t p)
UNMODELLED_RPC(__proc_setowner, process_t p, uid_t o, int c)
UNMODELLED_RPC(__proc_mod_stopchild, process_t p, int d)
UNMODELLED_RPC(__io_get_icky_async_id, mach_port_t io, mach_port_t *id)
UNMODELLED_RPC(__mach_setup_thread, mach_port_t task, mach_port_t th, void *pc, vm_address_t *b,
               vm_size_t *s)
UNMODELLED_RPC(__mach_setup_tls, mach_port_t th)
UNMODELLED_RPC(__swtch_pri, int pri)

#pragma GCC diagnostic pop

void __mig_init(void *stack)
{
    (void)stack;
}

mach_port_t __mig_get_reply_port(void)
{
    mach_port_t *cell = &fi_self_tls()->reply_port;
    if (*cell == MACH_PORT_NULL || *cell == MACH_PORT_DEAD)
        *cell = __mach_reply_port();
    return *cell;
}

void __mig_dealloc_reply_port(mach_port_t port)
{
    mach_port_t *cell = &fi_self_tls()->reply_port;
    if (*cell == port)
        *cell = MACH_PORT_NULL;
    __mach_port_mod_refs(__mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* hurdsig.c's check of a refport (signal_allowed) against the process's ids: the simulated
 * processes all run as one user. */
SIM_GLOBAL struct hurd_id_data _hurd_id;
error_t _hurd_check_ids(void)
{
    return 0;
}

/* SIGINFO's handler for a session leader (hurdsig.c installs it): nothing to report. */
void _hurd_siginfo_handler(int signo)
{
    (void)signo;
}

SIM_GLOBAL char **__environ;
