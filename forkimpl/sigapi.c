/*
 * sigapi.c: signals as a scenario or a test asks for them, through glibc's own calls (the
 * Hurd's sigaction, kill, sigprocmask, compiled unmodified from the package), and the trace
 * notes that say what became of each signal.
 *
 * Callers above forkimpl (sim/cli) never see the Hurd's signal ABI: they pass signal numbers
 * (the Hurd's, fi_signal_number) and actions by kind. The handler a scenario installs is one
 * C function whose behaviour per signal is in host memory, so that a forked child runs "the
 * parent's handler" exactly as a real child runs the parent's code.
 *
 * Trace notes (issue 9, item 5), one line per signal event, written where glibc's code makes
 * the decision visible:
 *   # signal SIGNAME to tT: pending|blocked   glibc's post_signal left it pending (after the
 *                                             signal thread's msg_sig_post routine returned)
 *   # signal SIGNAME to tT: ignored           its action is to ignore it
 *   # signal SIGNAME to tT: handler           the handler runs (sigrt.c's trampoline)
 *   # signal SIGNAME to tT: default terminate the process ends by it (_hurd_exit)
 *   # signal SIGNAME to tT: default stop|default continue
 */
#include "forkimpl.h"
#include "kern.h"

#include <hurd/signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* The Hurd's signal names, by number, aliases after the signal they alias: the one table of
 * them (sim/cli/signames.c reads it for the command line and the scenario language). The
 * numbers are ./shim/signal.h's, the Hurd's ABI the signal code is compiled against; the names
 * glibc 2.36's (bits/signum-generic.h, sysdeps/mach/hurd/bits/signum-arch.h).
 * tools/check-signames.sh compares the table with the headers of the glibc tarball. */
static const fi_signame signal_names[] = {
    {SIGHUP, "HUP"},   {SIGINT, "INT"},       {SIGQUIT, "QUIT"},   {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"},     {SIGIOT, "IOT"},     {SIGEMT, "EMT"},
    {SIGFPE, "FPE"},   {SIGKILL, "KILL"},     {SIGBUS, "BUS"},     {SIGSEGV, "SEGV"},
    {SIGSYS, "SYS"},   {SIGPIPE, "PIPE"},     {SIGALRM, "ALRM"},   {SIGTERM, "TERM"},
    {SIGURG, "URG"},   {SIGSTOP, "STOP"},     {SIGTSTP, "TSTP"},   {SIGCONT, "CONT"},
    {SIGCHLD, "CHLD"}, {SIGCLD, "CLD"},       {SIGTTIN, "TTIN"},   {SIGTTOU, "TTOU"},
    {SIGPOLL, "POLL"}, {SIGIO, "IO"},         {SIGXCPU, "XCPU"},   {SIGXFSZ, "XFSZ"},
    {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"}, {SIGINFO, "INFO"},
    {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"},     {SIGLOST, "LOST"},
};
_Static_assert(NSIG - 1 == FI_SIGNAL_MAX, "the Hurd has 32 signals (_NSIG 33)");

const fi_signame *fi_signal_table(int *n)
{
    *n = (int)(sizeof signal_names / sizeof signal_names[0]);
    return signal_names;
}

const char *fi_signal_name(int signo)
{
    static char other[16];
    for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
        if (signal_names[i].sig == signo)
            return signal_names[i].name;
    snprintf(other, sizeof other, "%d", signo);
    return other;
}

/* What became of each signal, as the trace notes say it: the race explorer's outcomes name
 * where signals were delivered without a trace (world state, as the rest of the run's). */
#define FI_MAX_SIGNAL_EVENTS 64
SIM_WORLD_STATE static fi_signal_event_record sigevents[FI_MAX_SIGNAL_EVENTS];
SIM_WORLD_STATE static unsigned nsigevents;

void fi_signal_log(int task, int signo, const char *what)
{
    kern_trace_note("signal SIG%s to t%d: %s", fi_signal_name(signo), task, what);
    if (nsigevents < FI_MAX_SIGNAL_EVENTS) {
        fi_signal_event_record *e = &sigevents[nsigevents++];
        e->task = task;
        e->signo = signo;
        strncpy(e->what, what, sizeof e->what - 1);
        e->what[sizeof e->what - 1] = '\0';
    }
}

unsigned fi_signal_events(const fi_signal_event_record **records)
{
    if (records != NULL)
        *records = sigevents;
    return nsigevents;
}

/* Each run of the scenario's handler (fi_handler_runs): world state, as the event log. */
SIM_WORLD_STATE static fi_handler_run handler_runs[FI_MAX_HANDLER_RUNS];
SIM_WORLD_STATE static unsigned nhandler_runs;

unsigned fi_handler_runs(const fi_handler_run **runs)
{
    if (runs != NULL)
        *runs = handler_runs;
    return nhandler_runs;
}

/* From fi_aborts_reset (host.c), at each run's start. */
void fi_signal_events_reset_(void)
{
    nsigevents = 0;
    nhandler_runs = 0;
}

void fi_signal_event(int signo, const char *what)
{
    fi_signal_log(sim_task_id(sim_task_self()), signo, what);
}

/* --- the scenario's handler ------------------------------------------------------------------ */

/* In the process's image (SIM_GLOBAL): what the handler does is the program's data, so a
 * forked child has the parent's (its memory is a copy), and another process of the scenario
 * (process NAME) has its own: in host memory, a named process's handler would overwrite the
 * parent's. An exec'd program starts with a new image, as its handlers start at SIG_DFL. */
SIM_GLOBAL static struct {
    fi_sig_act act;
    int code;
} actions[NSIG];
/* Handlers of this process running at once (its scenario steps run on one thread, the main
 * thread, so per process is per thread here). */
SIM_GLOBAL static int handler_depth;

/* The action hook (sim/cli's runner: a scenario step): host memory, as program text. */
static void (*handler_action)(int signo, int code, int depth, void *arg);
static void *handler_action_arg;

void fi_set_handler_action(void (*fn)(int signo, int code, int depth, void *arg), void *arg)
{
    handler_action = fn;
    handler_action_arg = arg;
}

static void scenario_handler(int signo)
{
    int task = sim_task_id(sim_task_self());
    fi_signal_note(task, signo, 0);
    int depth = ++handler_depth;
    if (nhandler_runs < FI_MAX_HANDLER_RUNS) {
        volatile int here = 0; /* a local of this frame: where on the stack the handler runs */
        handler_runs[nhandler_runs++] = (fi_handler_run){task, sim_thread_id(sim_self()), signo,
                                                         depth, (uintptr_t)&here};
    }
    if (actions[signo].act == FI_ACT_EXIT)
        _hurd_exit(W_EXITCODE(actions[signo].code, 0));
    if (actions[signo].act == FI_ACT_DO && handler_action != NULL)
        handler_action(signo, actions[signo].code, depth, handler_action_arg);
    handler_depth--;
}

int fi_signal_action(int signo, fi_sig_act act, int code)
{
    if (signo <= 0 || signo >= NSIG)
        return EINVAL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = act == FI_ACT_DEFAULT ? SIG_DFL
                    : act == FI_ACT_IGNORE ? SIG_IGN
                                           : scenario_handler;
    sa.sa_flags = SA_RESTART;
    if (act == FI_ACT_RECORD || act == FI_ACT_EXIT || act == FI_ACT_DO) {
        actions[signo].act = act;
        actions[signo].code = code;
    }
    return __libc_sigaction(signo, &sa, NULL) == 0 ? 0 : errno;
}

int fi_kill(pid_t pid, int signo)
{
    return __kill(pid, signo) == 0 ? 0 : errno;
}

int fi_signal_block(int signo, bool block)
{
    sigset_t set = __sigmask(signo);
    return __sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL) == 0 ? 0 : errno;
}

void fi_pause(void)
{
    sigset_t mask;
    __sigprocmask(SIG_BLOCK, NULL, &mask);
    __sigsuspend(&mask);
}

/* After glibc's msg_sig_post routine returned on the signal thread: what became of signo
 * there, when it is visible in the sigstates (a handler's run and a termination are noted
 * where they happen). */
void fi_signal_posted(int signo)
{
    if (signo <= 0 || signo >= NSIG)
        return;
    sigset_t bit = __sigmask(signo);
    if (_hurd_global_sigstate != NULL && (_hurd_global_sigstate->pending & bit)) {
        fi_signal_event(signo, "pending");
        return;
    }
    for (struct hurd_sigstate *ss = _hurd_sigstates; ss != NULL; ss = ss->next)
        if (ss->pending & bit) {
            fi_signal_event(signo, (ss->blocked & bit) ? "blocked" : "pending");
            return;
        }
    struct sigaction *acts = _hurd_global_sigstate != NULL ? _hurd_global_sigstate->actions : NULL;
    if (acts == NULL)
        return;
    if (acts[signo].sa_handler == SIG_IGN) {
        fi_signal_event(signo, "ignored");
        return;
    }
    if (acts[signo].sa_handler == SIG_DFL) {
        switch (signo) {
        case SIGCONT: case SIGIO: case SIGURG: case SIGCHLD: case SIGWINCH:
            fi_signal_event(signo, signo == SIGCONT ? "default continue" : "ignored");
            break;
        case SIGTTIN: case SIGTTOU: case SIGSTOP: case SIGTSTP:
            fi_signal_event(signo, "default stop");
            break;
        }
    }
}
