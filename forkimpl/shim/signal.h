/*
 * signal.h (forksim shim): the Hurd's signal ABI, which glibc's Hurd signal code is written
 * against, in place of the host's (Linux's) <signal.h>. It is never the host's: a Linux
 * sigset_t is a 128-byte structure with other signal numbers, and code compiled here packs a
 * sigset_t into an int of the exec request (hurd/hurdexec.c), shifts by signal number
 * (__sigmask) and indexes arrays of _NSIG actions.
 *
 * The facts, from glibc 2.36: the numbers of bits/signum-generic.h and
 * sysdeps/mach/hurd/bits/signum-arch.h (SIGCHLD 20, SIGUSR1 30, SIGLOST 32, _NSIG 33); the
 * scalar sigset_t of bits/types/__sigset_t.h; struct sigaction, SA_* and SIG_BLOCK.. of the
 * generic bits/sigaction.h; the set operations of sysdeps/generic/sigsetops.h (a signal's bit
 * is 1 << (signo - 1)). struct sigcontext is forksim's own (forkimpl/sigframe.c): glibc 2.36
 * has only an i386 one, laid out for its assembly trampoline.
 *
 * The host's __sigset_t (inside jmp_buf) is left alone: only sigset_t is the Hurd's here.
 */
#ifndef FORKIMPL_SIGNAL_H
#define FORKIMPL_SIGNAL_H
#define _SIGNAL_H 1

#include <features.h>
#include <stddef.h>
#include <sys/types.h>
#include <bits/types/sigset_t.h>
#include <bits/types/stack_t.h>

/* --- numbers ------------------------------------------------------------------------------- */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGIOT SIGABRT
#define SIGEMT 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGBUS 10
#define SIGSEGV 11
#define SIGSYS 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGURG 16
#define SIGSTOP 17
#define SIGTSTP 18
#define SIGCONT 19
#define SIGCHLD 20
#define SIGCLD SIGCHLD
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGPOLL 23
#define SIGIO SIGPOLL
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGINFO 29
#define SIGUSR1 30
#define SIGUSR2 31
#define SIGLOST 32
#define __SIGRTMIN 32
#define __SIGRTMAX __SIGRTMIN
#define _NSIG (__SIGRTMAX + 1)
#define NSIG _NSIG

/* --- handlers and actions -------------------------------------------------------------------- */
typedef void (*__sighandler_t)(int);
typedef __sighandler_t sighandler_t;
typedef int sig_atomic_t;
#define SIG_ERR ((__sighandler_t)-1)
#define SIG_DFL ((__sighandler_t)0)
#define SIG_IGN ((__sighandler_t)1)

#include <bits/types/siginfo_t.h>
/* The POSIX si_code values of faults (glibc's bits/siginfo-consts.h: the same numbers). */
enum { ILL_ILLOPC = 1, ILL_ILLOPN, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG, ILL_COPROC,
       ILL_BADSTK };
enum { FPE_INTDIV = 1, FPE_INTOVF, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV,
       FPE_FLTSUB };
enum { SEGV_MAPERR = 1, SEGV_ACCERR };
enum { BUS_ADRALN = 1, BUS_ADRERR, BUS_OBJERR };
enum { TRAP_BRKPT = 1, TRAP_TRACE };
#define SI_USER 0
#define SI_QUEUE -1
#define SI_TIMER -2
#define SI_ASYNCIO -3
#define SI_MESGQ -4

#include <bits/sigaction.h>
struct sigaction {
    union {
        __sighandler_t sa_handler;
        void (*sa_sigaction)(int, siginfo_t *, void *);
    } __sigaction_handler;
#define sa_handler __sigaction_handler.sa_handler
#define sa_sigaction __sigaction_handler.sa_sigaction
    sigset_t sa_mask;
    int sa_flags;
};
#define SA_ONSTACK 0x0001
#define SA_RESTART 0x0002
#define SA_RESETHAND 0x0004
#define SA_NOCLDSTOP 0x0008
#define SA_NODEFER 0x0010
#define SA_SIGINFO 0x0040
#define SIG_BLOCK 1
#define SIG_UNBLOCK 2
#define SIG_SETMASK 3
#define SS_ONSTACK 1
#define SS_DISABLE 4
#define MINSIGSTKSZ 8192
#define SIGSTKSZ (MINSIGSTKSZ + 32768)

/* --- sets: bit signo - 1 of a word (sysdeps/generic/sigsetops.h's rule) ------------------------ */
#define __sigmask(sig) (((sigset_t)1) << ((sig) - 1))
static inline int __sigemptyset(sigset_t *set) { *set = 0; return 0; }
static inline int __sigfillset(sigset_t *set) { *set = ~(sigset_t)0; return 0; }
static inline int __sigisemptyset(const sigset_t *set) { return *set == 0; }
static inline int __sigismember(const sigset_t *set, int sig) { return (*set & __sigmask(sig)) != 0; }
static inline int __sigaddset(sigset_t *set, int sig) { *set |= __sigmask(sig); return 0; }
static inline int __sigdelset(sigset_t *set, int sig) { *set &= ~__sigmask(sig); return 0; }
static inline int __sigandset(sigset_t *dest, const sigset_t *a, const sigset_t *b)
{
    *dest = *a & *b;
    return 0;
}
static inline int __sigorset(sigset_t *dest, const sigset_t *a, const sigset_t *b)
{
    *dest = *a | *b;
    return 0;
}
#define sigemptyset __sigemptyset
#define sigfillset __sigfillset
#define sigismember __sigismember
#define sigaddset __sigaddset
#define sigdelset __sigdelset

/* --- the signal context a handler gets: forksim's own (forkimpl/sigframe.c) ---------------------- */
struct sigcontext {
    int sc_onstack;                 /* nonzero if running on the signal stack */
    sigset_t sc_mask;               /* blocked signals to restore */
    unsigned int sc_reply_port;     /* the MiG reply port the thread was using */
    unsigned int sc_intr_port;      /* the port of its interruptible RPC */
    int sc_error;                   /* the signal's error code */
    /* forksim's machine part: the interrupted state (struct machine_thread_state) */
    unsigned long sc_pc, sc_sp, sc_sysreturn;
    unsigned long sc_state[12];
};

/* The Hurd's older, non-POSIX codes a handler gets as its second argument, which the i386
 * exc2signal.c gives when not asked for POSIX ones (sysdeps/mach/hurd/i386/bits/sigcontext.h:
 * the same numbers). */
enum {
    FPE_INTOVF_TRAP = 1, FPE_INTDIV_FAULT, FPE_FLTOVF_FAULT, FPE_FLTDIV_FAULT, FPE_FLTUND_FAULT,
    FPE_SUBRNG_FAULT = 7, FPE_FLTDNR_FAULT, FPE_FLTINX_FAULT, FPE_EMERR_FAULT, FPE_EMBND_FAULT,
};
enum { ILL_INVOPR_FAULT = 1, ILL_STACK_FAULT, ILL_FPEOPR_FAULT };
enum { DBG_SINGLE_TRAP = 1, DBG_BRKPNT_FAULT };

/* --- the calls the code under test makes (defined by glibc's files compiled here) --------------- */
/* The host's libc exports some of these names (__sigaction, __libc_sigaction, __sigsuspend):
 * glibc's Hurd definitions get names of their own, so neither ever answers for the other. */
#define __sigprocmask forksim_hurd_sigprocmask
#define __sigsuspend forksim_hurd_sigsuspend
#define __libc_sigaction forksim_hurd_libc_sigaction
#define __sigaction forksim_hurd_sigaction
#define __kill forksim_hurd_kill
#define __sigreturn forksim_hurd_sigreturn
int __sigprocmask(int how, const sigset_t *set, sigset_t *oset);
int __sigsuspend(const sigset_t *set);
int __libc_sigaction(int sig, const struct sigaction *act, struct sigaction *oact);
int __sigaction(int sig, const struct sigaction *act, struct sigaction *oact);
int __kill(pid_t pid, int sig);
int raise(int sig);
int __sigreturn(struct sigcontext *scp);
#endif
