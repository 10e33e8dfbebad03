/*
 * hurdrt.c: what stands beneath glibc's Hurd fork code: forksim's own implementations of the
 * glibc internals _Fork.c imports (the list is in ../shared/spec/glibc-fork-build.md), over the
 * runtime in sim/.
 *
 * Stands in for parts of glibc's hurd/ directory (port cells, sigstates, the signal thread's
 * message loop, __hurd_fail), mach/ (spin locks and mutexes) and the TLS of
 * sysdeps/mach/hurd. All of a simulated process's state lives in its image: the globals here
 * are SIM_GLOBALs, and the per-thread block (reply port, errno, sigstate) is on the image heap,
 * named by the simulated thread's TLS pointer. A forked child therefore has exactly what the
 * parent had when task_create copied the image, locks included.
 *
 * An assertion failure in simulated code ends the *simulated* process, as SIGABRT would (the
 * trace says which assertion, where, with which error), never the host process.
 */
#include "forkimpl.h"
#include "kern.h"
#include <hurd/signal.h>
#include "shim/hurd/port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the process's globals, one copy per image ------------------------------------------------ */

SIM_GLOBAL mach_port_t __mach_task_self_;
SIM_GLOBAL static struct hurd_port port_cells[INIT_PORT_MAX];
SIM_GLOBAL struct hurd_port *_hurd_ports = port_cells;
SIM_GLOBAL unsigned int _hurd_nports = INIT_PORT_MAX;
/* _hurd_msgport, _hurd_msgport_thread, _hurd_sigstates, _hurd_global_sigstate,
 * _hurd_siglock and the signal thread's stack bounds are glibc's (hurd/hurdsig.c). */
SIM_GLOBAL pid_t _hurd_pid, _hurd_ppid, _hurd_pgrp;
SIM_GLOBAL int _hurd_orphaned;
SIM_GLOBAL sigset_t _hurdsig_traced;
SIM_GLOBAL mode_t _hurd_umask = 022;
SIM_GLOBAL int __libc_enable_secure;
/* The page size of the simulated Mach (i386's 4 KiB), as start-up sets it. */
SIM_GLOBAL vm_size_t __vm_page_size = 4096;
/* Read by glibc 2.36 and 2.37's _Fork.c only (shim/hurd/threadvar.h); 0, as there. */
SIM_GLOBAL unsigned long int __hurd_threadvar_stack_mask;
SIM_GLOBAL unsigned long int __hurd_threadvar_stack_offset;

/* --- the per-thread block ----------------------------------------------------------------------- */

/* The simulated servers' threads (tasks without an image) have a zeroed host block instead. */
_Static_assert(sizeof(fi_tls) <= SIM_HOST_TLS_SIZE, "fits a host task's TLS block");

static fi_tls *tls_of_running(void)
{
    sim_thread *th = sim_self();
    fi_tls *tls = sim_thread_tls(th);
    if (tls == NULL) {
        tls = sim_heap_calloc(1, sizeof *tls);
        if (tls == NULL)
            kern_unmodelled("image heap exhausted for a thread block");
        sim_thread_set_tls(th, tls);
    }
    return tls;
}

fi_tls *fi_self_tls(void)
{
    return tls_of_running();
}

static mach_port_t *reply_cell(void)
{
    return &tls_of_running()->reply_port;
}

/* Outside a simulated thread (the host), errno is the host's. */
int *__forksim_errno_location(void)
{
    if (sim_self() == NULL)
        return &errno_host;
    return &tls_of_running()->err;
}

void fi_install(void)
{
    kern_set_reply_cell_fn(reply_cell);
    /* H11: the proc server's RPCs go through glibc's interruptible send and receive */
    kern_set_intr_msg_fn((kern_intr_msg_fn)_hurd_intr_rpc_mach_msg);
}

/* --- locks: the runtime's image locks; waiting is a scheduling point --------------------------- */

void __spin_lock(__spin_lock_t *lock) { sim_lock(lock); }
void __spin_unlock(__spin_lock_t *lock) { sim_unlock(lock); }
void __spin_lock_init(__spin_lock_t *lock) { *lock = 0; }
int __spin_try_lock(__spin_lock_t *lock) { return sim_trylock(lock); }
void __mutex_init(void *mutex) { ((struct mutex *)mutex)->lock = 0; }
void __mutex_lock(void *mutex) { sim_lock(&((struct mutex *)mutex)->lock); }
void __mutex_unlock(void *mutex) { sim_unlock(&((struct mutex *)mutex)->lock); }

/* --- port cells --------------------------------------------------------------------------------- */

/* Stand in for the extern inlines of glibc's hurd/port.h and hurd/userlink.h (2.36), with their
 * semantics: taking and releasing a use of a cell is a critical section of its own
 * (HURD_CRITICAL_BEGIN/END around the cell's spin lock), so a signal with a handler that
 * arrives then waits for that section's end, where _hurd_critical_section_unlock polls
 * (rule EX19, docs/exec-rules.md); the port is used outside it. A user is linked on the cell's chain while it uses
 * the port, and the last user of a port the cell no longer holds deallocates it. */
mach_port_t _hurd_port_get(struct hurd_port *cell, struct hurd_userlink *link)
{
    mach_port_t result;
    HURD_CRITICAL_BEGIN;
    __spin_lock(&cell->lock);
    result = _hurd_port_locked_get(cell, link);
    HURD_CRITICAL_END;
    return result;
}

void _hurd_port_free(struct hurd_port *cell, struct hurd_userlink *link, mach_port_t used)
{
    int dealloc;
    if (used == MACH_PORT_NULL)
        return; /* an empty cell links no user */
    HURD_CRITICAL_BEGIN;
    __spin_lock(&cell->lock);
    dealloc = _hurd_userlink_unlink(link);
    __spin_unlock(&cell->lock);
    HURD_CRITICAL_END;
    if (dealloc)
        __mach_port_deallocate(__mach_task_self(), used);
}

void _hurd_userlink_link(struct hurd_userlink **chainp, struct hurd_userlink *link)
{
    link->next = *chainp;
    if (link->next != NULL)
        link->next->prevp = &link->next;
    link->prevp = chainp;
    *chainp = link;
}

/* Nonzero when link was the last user of a port its cell no longer holds (the chain was
 * detached by _hurd_userlink_clear: a nil prevp and no next). */
int _hurd_userlink_unlink(struct hurd_userlink *link)
{
    int dealloc = link->next == NULL && link->prevp == NULL;
    if (link->prevp != NULL)
        *link->prevp = link->next;
    if (link->next != NULL)
        link->next->prevp = link->prevp;
    return dealloc;
}

/* --- sigstates: glibc's (hurd/hurdsig.c, hurd/signal.h's inline functions) ------------------ */

thread_t fi_self_thread_name(void)
{
    return _hurd_self_sigstate()->thread;
}

int __spin_lock_locked(__spin_lock_t *lock) { return *lock != 0; }

void _hurdsig_fault_init(void) {}
void __libc_unwind_link_after_fork(void) {}

/* --- thread state ----------------------------------------------------------------------------- */

void _hurd_longjmp_thread_state(void *state, jmp_buf env, int value)
{
    struct machine_thread_state *ts = state;
    ts->kind = KERN_STATE_LONGJMP;
    ts->env = (uintptr_t)env;
    ts->value = (uint64_t)value;
}

/* The new thread gets the block of the thread it copies: the same image address, so in the
 * child's image it holds what the parent's thread had (its reply port name, its sigstate). */
error_t _hurd_tls_fork(thread_t child, thread_t orig, struct machine_thread_state *state)
{
    (void)child;
    kthread_t *k = kthread_by_name(kthread_task(kern_self()), orig);
    sim_thread *th = k != NULL ? kern_sim_thread(k) : NULL;
    if (th == NULL)
        return EINVAL;
    state->tls = (uintptr_t)sim_thread_tls(th);
    return 0;
}

/* --- memory: the image heap has no lock to take (it never yields) -------------------------------- */

void *_hurd_malloc(size_t size) { return sim_heap_alloc(size); }
void *_hurd_realloc(void *p, size_t size) { return sim_heap_realloc(p, size); }
void _hurd_free(void *p) { sim_heap_free(p); }
void _hurd_malloc_fork_prepare(void) {}
void _hurd_malloc_fork_parent(void) {}
void _hurd_malloc_fork_child(void) {}

/* --- errors ------------------------------------------------------------------------------------- */

/* glibc's __hurd_fail (hurd/hurd.h): a dead server is EIEIO, a bad argument EINVAL. */
int __hurd_fail(error_t err)
{
    switch (err) {
    case MACH_SEND_INVALID_DEST:
    case MIG_SERVER_DIED:
        err = EIEIO;
        break;
    case KERN_INVALID_ADDRESS:
    case KERN_INVALID_ARGUMENT:
        err = EINVAL;
        break;
    }
    errno = err;
    return -1;
}

/* --- assertions --------------------------------------------------------------------------------- */

static const char *error_name(int err, char *buf, size_t len)
{
    const char *n = mk_return_name(err);
    if (n == NULL)
        n = hurd_errno_name(err);
    if (n == NULL) {
        snprintf(buf, len, "0x%x", (unsigned)err);
        n = buf;
    }
    return n;
}

_Noreturn void forksim_glibc_abort(void); /* glibc's stdlib/abort.c, compiled unmodified */

/* An assertion of the simulated process failed (glibc's assert/assert.c, assert-perr.c:
 * __assert_fail_base writes the message to stderr, then calls abort): recorded (the run's
 * "abort at" and expectations read it), traced, then glibc's own abort runs, and the run shows
 * whatever it does (issue 9, item 7). The message's write to stderr is not made: a trace note
 * says it instead. */
static _Noreturn void simulated_abort(const char *what, int err, const char *file, unsigned line,
                                     const char *function)
{
    const char *base = strrchr(file, '/');
    base = base != NULL ? base + 1 : file;
    char buf[16];
    fi_abort_record a;
    snprintf(a.what, sizeof a.what, "%s", what);
    snprintf(a.site, sizeof a.site, "%s:%u", base, line);
    a.err = err;
    a.task = sim_task_id(sim_task_self());
    fi_abort_note(&a);
    kern_trace_note("abort: task %d: %s:%u: %s: %s%s%s", sim_task_id(sim_task_self()), base, line,
                    function, what, err ? ": " : "", err ? error_name(err, buf, sizeof buf) : "");
    forksim_glibc_abort();
}

void __assert_fail(const char *assertion, const char *file, unsigned int line, const char *function)
{
    if (sim_self() == NULL) {
        fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, function, assertion);
        abort();
    }
    char what[160];
    snprintf(what, sizeof what, "assertion `%s' failed", assertion);
    simulated_abort(what, 0, file, line, function);
}

/* glibc's __libc_fatal: the simulated process dies with the message, as its abort would. */
void __libc_fatal(const char *message)
{
    if (sim_self() == NULL) {
        fputs(message, stderr);
        abort();
    }
    simulated_abort(message, 0, "__libc_fatal", 0, "__libc_fatal");
}

void __assert_perror_fail(int errnum, const char *file, unsigned int line, const char *function)
{
    if (sim_self() == NULL) {
        fprintf(stderr, "%s:%u: %s: Unexpected error %d.\n", file, line, function, errnum);
        abort();
    }
    simulated_abort("unexpected error", errnum, file, line, function);
}
