/*
 * fork_ours.c: `fork ours`, a fork of forksim's own that copies the parent's port names into
 * the child with one kernel call, task_copy_names (issue 13, item 5), where glibc's _Fork.c
 * makes about two RPCs per name.
 *
 * Written for forksim, not taken from glibc. It does what a Hurd fork must do, in the order
 * glibc's sysdeps/mach/hurd/_Fork.c does it where that order matters (we follow its structure
 * on purpose, so that a trace of one reads like a trace of the other and the two can be
 * compared call by call): stop the other threads through proc (proc_dostop), create the task
 * with a copy of the memory, list the names, get the child's proc port, give the child its
 * rights, set up its message port with proc and as its exception port, create and start its
 * two threads (the main one returning from the setjmp below, the signal thread at
 * _hurd_msgport_receive), register it with proc (proc_child), resume it. The child's half
 * (port cells, sigstates, pids, pending signals, the fork hooks glibc's descriptor table adds)
 * is glibc's child half in meaning.
 *
 * What differs, and why:
 *  - The names. One task_copy_names call (docs/fork-ours-rules.md, TC1-TC8) copies every name
 *    with its rights and urefs: receive rights as new ports (with as many send urefs), send
 *    rights and dead names with the parent's urefs (glibc gives a dead name 1: F2), port sets
 *    with their members (glibc copies none: F4). The names that must denote the child's own
 *    objects (its task port, its proc port, its two threads) are copied from another right's
 *    port in the same call (TC4), so no placeholder names and no fix-up calls are needed: the
 *    child's threads are made before the copy. A send-once right cannot be copied (TC5): it is
 *    left out, as glibc leaves it out (F3).
 *  - Errors. A name the call could not copy fails the fork: the child task is terminated and
 *    fork returns -1 with errno set (glibc as shipped asserts there, F9, and with NDEBUG keeps
 *    another port silently, F5). No assert anywhere: every error goes to the clean-up.
 *  - glibc's thread_abort of the signal thread (its work-around for a kernel page-fault bug
 *    GNU Mach's model does not have) is not made.
 */
#include "forkimpl.h"
#include <hurd/signal.h>
#include <setjmp.h>
#include <thread_state.h>
#include "hurdmalloc.h"
#include "set-hooks.h"

/* The stub of forksim's own kernel call (sim/kern/mig_copy_names.c; mach_stubs.h declares it
 * too, but that header cannot follow glibc's, whose macros shadow the stubs' names). */
kern_return_t __task_copy_names(mach_port_t src_task, mach_port_t dst_task, mach_port_t *names,
                                mach_port_t *sources, mach_msg_type_number_t count,
                                kern_return_t *results);

#include <string.h>

/* The hooks and lock sets glibc's own files add to (hurd/dtable.c adds its lock and its child
 * hook); _Fork.c defines them, we only read them. */
symbol_set_declare(_hurd_fork_locks)
DEFINE_HOOK(_hurd_fork_prepare_hook, (void));
DEFINE_HOOK(_hurd_fork_child_hook, (void));
DEFINE_HOOK(_hurd_fork_parent_hook, (void));

void *_hurd_msgport_receive(void *arg);

static void fork_locks_lock(void)
{
    for (void *const *p = symbol_set_first_element(_hurd_fork_locks);
         !symbol_set_end_p(_hurd_fork_locks, p); ++p)
        __mutex_lock(*p);
}

static void fork_locks_unlock(void)
{
    for (void *const *p = symbol_set_first_element(_hurd_fork_locks);
         !symbol_set_end_p(_hurd_fork_locks, p); ++p)
        __mutex_unlock(*p);
}

static void port_cells_lock(void)
{
    for (unsigned i = 0; i < (unsigned)_hurd_nports; ++i)
        __spin_lock(&_hurd_ports[i].lock);
}

static void port_cells_unlock(void)
{
    for (unsigned i = 0; i < (unsigned)_hurd_nports; ++i)
        __spin_unlock(&_hurd_ports[i].lock);
}

/* What the parent's half made, for the clean-up. */
typedef struct fork_parts {
    task_t newtask;
    thread_t thread, sigthread;
    process_t newproc;
    mach_port_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t nnames, ntypes;
    thread_t *threads;
    mach_msg_type_number_t nthreads;
    mach_port_t *copy, *sources;
    kern_return_t *results;
    int stopped, cells_locked;
} fork_parts;

/* The name the child must hold another port under (TC4), or MACH_PORT_NULL for the right
 * itself; *skip for a name the child must not get (our name for the child's task and proc
 * ports; the parent's other threads, as glibc skips them). */
static mach_port_t name_source(const fork_parts *f, struct hurd_sigstate *ss, mach_port_t name,
                               mach_port_type_t type, int *skip)
{
    *skip = 0;
    if (type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET))
        return MACH_PORT_NULL;
    if (type & MACH_PORT_TYPE_SEND_ONCE) {
        *skip = 1; /* TC5: it cannot be copied */
        return MACH_PORT_NULL;
    }
    if (name == f->newtask || name == f->newproc) {
        *skip = 1;
        return MACH_PORT_NULL;
    }
    if (name == __mach_task_self())
        return f->newtask;
    if (name == _hurd_ports[INIT_PORT_PROC].port)
        return f->newproc;
    if (name == ss->thread)
        return f->thread;
    if (name == _hurd_msgport_thread)
        return f->sigthread;
    for (mach_msg_type_number_t j = 0; j < f->nthreads; ++j)
        if (name == f->threads[j]) {
            *skip = 1;
            return MACH_PORT_NULL;
        }
    return MACH_PORT_NULL;
}

/* The names, in one call. Returns 0 or the first name's error. */
static error_t names_copy(fork_parts *f, struct hurd_sigstate *ss)
{
    f->copy = malloc((f->nnames + 1) * sizeof *f->copy);
    f->sources = malloc((f->nnames + 1) * sizeof *f->sources);
    f->results = malloc((f->nnames + 1) * sizeof *f->results);
    if (f->copy == NULL || f->sources == NULL || f->results == NULL)
        return ENOMEM;
    mach_msg_type_number_t n = 0;
    for (mach_msg_type_number_t i = 0; i < f->nnames; ++i) {
        int skip;
        mach_port_t source = name_source(f, ss, f->names[i], f->types[i], &skip);
        if (skip)
            continue;
        f->copy[n] = f->names[i];
        f->sources[n] = source;
        n++;
    }
    error_t err = __task_copy_names(__mach_task_self(), f->newtask, f->copy, f->sources, n,
                                    f->results);
    if (err)
        return err;
    for (mach_msg_type_number_t i = 0; i < n; ++i)
        if (f->results[i] != KERN_SUCCESS)
            return f->results[i];
    return 0;
}

/* The child's message port: proc's idea of it and the child's exception port, through a send
 * right taken from the child's own (the copy made it with the parent's urefs). */
static error_t msgport_give(fork_parts *f)
{
    mach_port_t port = MACH_PORT_NULL, old = MACH_PORT_NULL;
    mach_msg_type_name_t poly;
    error_t err = __mach_port_extract_right(f->newtask, _hurd_msgport, MACH_MSG_TYPE_COPY_SEND,
                                            &port, &poly);
    if (err)
        return err;
    err = __proc_setmsgport(f->newproc, port, &old);
    if (!err && MACH_PORT_VALID(old))
        __mach_port_deallocate(__mach_task_self(), old);
    if (!err)
        err = __task_set_special_port(f->newtask, TASK_EXCEPTION_PORT, port);
    __mach_port_deallocate(__mach_task_self(), port);
    return err;
}

/* The child's two threads' start: the signal thread at _hurd_msgport_receive on the signal
 * stack copied with the memory, the main thread returning 1 from setjmp (env). */
static error_t threads_set(fork_parts *f, struct hurd_sigstate *ss, jmp_buf env)
{
    struct machine_thread_state state;
    mach_msg_type_number_t statecount = MACHINE_THREAD_STATE_COUNT;
    error_t err = __thread_get_state(_hurd_msgport_thread, MACHINE_THREAD_STATE_FLAVOR,
                                     (natural_t *)&state, &statecount);
    if (err)
        return err;
    state.SP = __hurd_sigthread_stack_end;
    MACHINE_THREAD_STATE_SET_PC(&state, (unsigned long int)_hurd_msgport_receive);
    if ((err = _hurd_tls_fork(f->sigthread, _hurd_msgport_thread, &state)) ||
        (err = __thread_set_state(f->sigthread, MACHINE_THREAD_STATE_FLAVOR, (natural_t *)&state,
                                  statecount)))
        return err;
    _hurd_longjmp_thread_state(&state, env, 1);
    if ((err = _hurd_tls_fork(f->thread, ss->thread, &state)))
        return err;
    return __thread_set_state(f->thread, MACHINE_THREAD_STATE_FLAVOR, (natural_t *)&state,
                              statecount);
}

static void threads_resume(fork_parts *f, struct hurd_sigstate *ss)
{
    if (!f->stopped)
        return;
    for (mach_msg_type_number_t i = 0; i < f->nthreads; ++i)
        if (f->threads[i] != ss->thread)
            __thread_resume(f->threads[i]);
    f->stopped = 0;
}

/* What the parent made, given back; the child task terminated when the fork failed. */
static void parts_release(fork_parts *f, struct hurd_sigstate *ss, error_t err)
{
    if (f->cells_locked)
        port_cells_unlock();
    f->cells_locked = 0;
    threads_resume(f, ss);
    mach_port_t self = __mach_task_self();
    if (f->newtask != MACH_PORT_NULL) {
        if (err)
            __task_terminate(f->newtask);
        __mach_port_deallocate(self, f->newtask);
    }
    if (f->thread != MACH_PORT_NULL)
        __mach_port_deallocate(self, f->thread);
    if (f->sigthread != MACH_PORT_NULL)
        __mach_port_deallocate(self, f->sigthread);
    if (f->newproc != MACH_PORT_NULL)
        __mach_port_deallocate(self, f->newproc);
    if (f->names != NULL)
        __vm_deallocate(self, (vm_address_t)f->names, f->nnames * sizeof *f->names);
    if (f->types != NULL)
        __vm_deallocate(self, (vm_address_t)f->types, f->ntypes * sizeof *f->types);
    if (f->threads != NULL) {
        for (mach_msg_type_number_t i = 0; i < f->nthreads; ++i)
            __mach_port_deallocate(self, f->threads[i]);
        __vm_deallocate(self, (vm_address_t)f->threads, f->nthreads * sizeof *f->threads);
    }
    free(f->copy);
    free(f->sources);
    free(f->results);
}

/* The parent's half. Returns 0 with *pid, or the error. */
static error_t fork_parent(struct hurd_sigstate *ss, jmp_buf env, pid_t *pid)
{
    fork_parts f;
    memset(&f, 0, sizeof f);
    error_t err;

    RUN_HOOK(_hurd_fork_prepare_hook, ());
    fork_locks_lock();
    __mutex_lock(&_hurd_siglock);
    _hurd_malloc_fork_prepare();
    /* the port cells stay locked while the names are copied: the child gets the names the
     * cells held then, and unlocks its own copies */
    port_cells_lock();
    f.cells_locked = 1;
    /* our sigstate locked while the other threads stop, so none holds it in the copy */
    __spin_lock(&ss->lock);
    err = __proc_dostop(_hurd_ports[INIT_PORT_PROC].port, ss->thread);
    __spin_unlock(&ss->lock);
    if (!err) {
        f.stopped = 1;
        err = __task_create(__mach_task_self(), 1, &f.newtask);
    }
    __mutex_unlock(&_hurd_siglock);
    if (err)
        goto out;

    if ((err = __mach_port_names(__mach_task_self(), &f.names, &f.nnames, &f.types, &f.ntypes)))
        goto out;
    if (f.nnames != f.ntypes) {
        err = EGRATUITOUS;
        goto out;
    }
    if ((err = __task_threads(__mach_task_self(), &f.threads, &f.nthreads)) ||
        (err = __proc_task2proc(_hurd_ports[INIT_PORT_PROC].port, f.newtask, &f.newproc)))
        goto out;
    /* the child's threads first: the copy puts them under our threads' names (TC4) */
    if ((err = __thread_create(f.newtask, &f.thread)) ||
        (err = __thread_create(f.newtask, &f.sigthread)))
        goto out;
    if ((err = names_copy(&f, ss)) || (err = msgport_give(&f)))
        goto out;
    port_cells_unlock();
    f.cells_locked = 0;
    threads_resume(&f, ss);

    /* proc's idea of where argv and envp are: the child has our memory */
    {
        vm_address_t argv, envp;
        err = __USEPORT(PROC, __proc_get_arg_locations(port, &argv, &envp))
                  ?: __proc_set_arg_locations(f.newproc, argv, envp);
        if (err)
            goto out;
    }
    if ((err = threads_set(&f, ss, env)))
        goto out;
    /* the pid before proc_child: after it, the child may be killed at any moment */
    if ((err = __USEPORT(PROC, __proc_task2pid(port, f.newtask, pid))) ||
        (err = __USEPORT(PROC, __proc_child(port, f.newtask))))
        goto out;
    /* committed: the child is a POSIX process now, so its start's result cannot fail fork */
    (void)__thread_resume(f.thread);
out:
    parts_release(&f, ss, err);
    _hurd_malloc_fork_parent();
    RUN_HOOK(_hurd_fork_parent_hook, ());
    return err;
}

/* The child's half: the state it inherited made its own. */
static error_t fork_child(struct hurd_sigstate *ss)
{
    port_cells_unlock();
    /* our sigstate is the only one of a live thread; the signal thread's comes back below */
    struct hurd_sigstate *oldstates = _hurd_sigstates;
    if (oldstates == ss)
        oldstates = ss->next;
    else {
        while (_hurd_sigstates->next != ss)
            _hurd_sigstates = _hurd_sigstates->next;
        _hurd_sigstates->next = ss->next;
    }
    ss->next = NULL;
    _hurd_sigstates = ss;
    __mutex_unlock(&_hurd_siglock);
    __spin_lock_init(&_hurd_global_sigstate->lock);
    _hurd_sigstate_set_global_rcv(ss);

    error_t err = __USEPORT(PROC, __proc_getpids(port, &_hurd_pid, &_hurd_ppid, &_hurd_orphaned));
    /* a new process: nothing pending, not traced */
    __sigemptyset(&_hurdsig_traced);
    __sigemptyset(&_hurd_global_sigstate->pending);
    __sigemptyset(&ss->pending);
    _hurd_malloc_fork_child();
    RUN_HOOK(_hurd_fork_child_hook, ());
    if (!err)
        err = __thread_resume(_hurd_msgport_thread);
    while (oldstates != NULL) {
        struct hurd_sigstate *next = oldstates->next;
        if (oldstates->thread == _hurd_msgport_thread) {
            _hurd_sigstates->next = oldstates;
            oldstates->next = NULL;
        } else
            free(oldstates);
        oldstates = next;
    }
    return err;
}

pid_t forksim_ours_fork(void)
{
    jmp_buf env;
    pid_t pid = 0;
    error_t err;
    struct hurd_sigstate *volatile ss = _hurd_self_sigstate();
retry:
    __spin_lock(&ss->critical_section_lock);
    if (!setjmp(env))
        err = fork_parent(ss, env, &pid);
    else {
        err = fork_child(ss);
        pid = 0;
    }
    fork_locks_unlock();
    _hurd_critical_section_unlock(ss);
    if (err == EINTR)
        goto retry; /* a signal arrived inside an RPC of the critical section */
    return err ? __hurd_fail(err) : pid;
}
