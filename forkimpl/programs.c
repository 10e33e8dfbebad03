/*
 * programs.c: forksim's built-in programs, the files of the simulated root file system that
 * exec can start (sim/hurd/srv_fs.c keeps them by path, srv_exec.c starts them at
 * fi_exec_entry). Each is a main of a simulated process: its return value is its exit status.
 */
#include "forkimpl.h"
#include "servers.h"
#include "kern.h"

static int main_true(void *arg)
{
    (void)arg;
    return 0;
}

static int main_false(void *arg)
{
    (void)arg;
    return 1;
}

static int main_sigwait(void *arg)
{
    (void)arg;
    fi_wait_for_signal();
    return 0;
}

/* The signals the program started with, as its signal state holds them after the start-up
 * applied INIT_SIGMASK, INIT_SIGPENDING and INIT_SIGIGN (Hurd sigset_t bits). */
static int main_sigreport(void *arg)
{
    (void)arg;
    unsigned long blocked, pending, ignored;
    fi_signals_now(&blocked, &pending, &ignored);
    kern_trace_note("sigreport in t%d: blocked %#lx, pending %#lx, ignored %#lx",
                    sim_task_id(sim_task_self()), blocked, pending, ignored);
    return 0;
}

/* sigreport's note, then every signal unblocked with glibc's sigprocmask (sysdeps/mach/hurd/
 * sigprocmask.c, compiled unmodified): a signal the program inherited pending and blocked is
 * acted on there, as sigprocmask asks the signal thread to look (rule EX18); a second note says
 * the program got past it. */
static int main_sigunblock(void *arg)
{
    main_sigreport(arg);
    for (int signo = 1; signo < 32; signo++)
        fi_signal_block(signo, false);
    kern_trace_note("sigunblock in t%d: every signal unblocked, still running",
                    sim_task_id(sim_task_self()));
    return 0;
}

static const fi_builtin builtins[] = {
    {"/bin/true", main_true},
    {"/bin/false", main_false},
    {"/bin/sigwait", main_sigwait},
    {"/bin/sigreport", main_sigreport},
    {"/bin/sigunblock", main_sigunblock},
};

int fi_programs_install(void)
{
    fi_exec_install();
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (hurd_program_add(builtins[i].path, fi_exec_entry, (void *)&builtins[i]) != 0)
            return -1;
    return 0;
}

void fi_wait_for_signal(void)
{
    mach_port_t self = __mach_task_self();
    mach_port_t port = MACH_PORT_NULL;
    if (__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
        kern_unmodelled("could not make the port a program waits for a signal on");
    mach_msg_header_t h;
    mach_msg_return_t mr;
    do
        mr = __mach_msg(&h, MACH_RCV_MSG | MACH_RCV_INTERRUPT, 0, sizeof h, port, 0,
                        MACH_PORT_NULL);
    while (mr == MACH_MSG_SUCCESS); /* a message is not a signal; an interruption is */
    __mach_port_mod_refs(self, port, MACH_PORT_RIGHT_RECEIVE, -1);
}
