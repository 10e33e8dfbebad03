/*
 * forkimpl-glibc.h: the glibc-internal interfaces the compiled Hurd code uses, declared by
 * forksim (never copied from glibc). Every shim header of this directory includes it.
 *
 * The compiled glibc code (_Fork.c) sees the Hurd's world: Hurd errno values, ports as names,
 * port cells, sigstates, spin locks and mutexes in its image. Their implementations are in
 * forkimpl/hurdrt.c, over the runtime in sim/. Layouts are ours: no Hurd ABI is needed because
 * nothing but code compiled against these headers touches them.
 */
#ifndef FORKIMPL_GLIBC_H
#define FORKIMPL_GLIBC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mach/kern_return.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/task_special_ports.h>

#include "errno.h"
#include <assert.h>

#include "hurd/hurd_types.h"

/* --- locks (lock-intern.h): words in the image; waiting is a scheduling point ------------ */
typedef volatile unsigned int __spin_lock_t;
typedef __spin_lock_t spin_lock_t;
void __spin_lock(__spin_lock_t *lock);
void __spin_unlock(__spin_lock_t *lock);
void __spin_lock_init(__spin_lock_t *lock);
int __spin_try_lock(__spin_lock_t *lock);
struct mutex {
    __spin_lock_t lock;
};
void __mutex_init(void *mutex);
void __mutex_lock(void *mutex);
void __mutex_unlock(void *mutex);

/* --- the task's own ports (mach_init.h, hurd/port.h) ---------------------------------------- */
extern mach_port_t __mach_task_self_;
#define __mach_task_self() (__mach_task_self_)

/* hurd/userlink.h's link: a user of a cell's port on the cell's chain of users (its resource
 * list). Its per-thread list of active resources is read only by glibc's longjmp unwinding
 * (sysdeps/mach/hurd/jmp-unwind.c), which forksim does not build, so it is not kept. */
struct hurd_userlink {
    struct hurd_userlink *next, **prevp;
};
struct hurd_port {
    __spin_lock_t lock;
    struct hurd_userlink *users;
    mach_port_t port;
};
extern struct hurd_port *_hurd_ports;
extern unsigned int _hurd_nports;
mach_port_t _hurd_port_get(struct hurd_port *cell, struct hurd_userlink *link);
void _hurd_port_free(struct hurd_port *cell, struct hurd_userlink *link, mach_port_t used);

/* Runs expr with `port` naming the cell's port, as glibc's __USEPORT (hurd/hurd.h, through
 * hurd/port.h's HURD_PORT_USE) does: a link on the cell's users while expr runs. */
#define __USEPORT(which, expr)                                                       \
    ({                                                                               \
        struct hurd_userlink __link;                                                 \
        mach_port_t port = _hurd_port_get(&_hurd_ports[INIT_PORT_##which], &__link); \
        __typeof__(expr) __result = (expr);                                          \
        _hurd_port_free(&_hurd_ports[INIT_PORT_##which], &__link, port);            \
        __result;                                                                    \
    })

extern mach_port_t _hurd_msgport;
extern thread_t _hurd_msgport_thread;
extern pid_t _hurd_pid, _hurd_ppid, _hurd_pgrp;
extern int _hurd_orphaned;
extern mode_t _hurd_umask;

/* --- signals: glibc's own hurd/signal.h (the tree's hurd/hurd/signal.h), over ./signal.h ------- */
#include <bits/types/sigset_t.h>
#include <mach/mig_errors.h>
struct hurd_sigstate;
extern struct hurd_sigstate *_hurd_global_sigstate;
extern sigset_t _hurdsig_traced;       /* glibc's hurd.h: signals the tracer wants to see */
extern vm_size_t __vm_page_size;       /* mach_init.h */
extern int __libc_enable_secure;       /* set-user-id start: ignore the environment */
extern struct mutex _hurd_siglock;     /* hurdsig.c's: guards _hurd_sigstates */

/* --- thread variables and stacks (hurd/threadvar.h) ------------------------------------------ */
/* __hurd_threadvar_stack_{mask,offset}: shim/hurd/threadvar.h, for the releases that have them */
extern vm_address_t __hurd_sigthread_stack_base, __hurd_sigthread_stack_end;

/* --- thread state (thread_state.h): forksim's own, the layout of kern_thread_state ------------ */
/* glibc 2.36 has no x86_64 Hurd port: the machine state is forksim's. kind says how a thread
 * that never ran starts (call PC with SP, or longjmp); a thread that ran reports where it is
 * parked (PC: a label of forkimpl/intr-msg.c, or FI_PC_ELSEWHERE) and, in the trap, the value
 * the trap returns (SYSRETURN). Setting a parked thread's state to another PC makes it call
 * that function first when it runs again (a signal frame); see forkimpl/sigframe.c. */
struct machine_thread_state {
    uint64_t kind;              /* 1: call PC with SP; 2: longjmp; 3: parked */
    uint64_t PC, SP, arg;
    uint64_t env, value;
    uint64_t tls;
    uint64_t SYSRETURN;
};
#define MACHINE_THREAD_STATE_FLAVOR 0x7f01
#define MACHINE_THREAD_STATE_COUNT \
    ((mach_msg_type_number_t)(sizeof(struct machine_thread_state) / sizeof(natural_t)))
/* A thread that never ran starts there; a parked one keeps its kind (see above). */
#define MACHINE_THREAD_STATE_SET_PC(ts, pc) \
    ((ts)->kind = (ts)->kind == 3 ? 3 : 1, (ts)->PC = (uint64_t)(uintptr_t)(pc))
error_t _hurd_tls_fork(thread_t child, thread_t orig, struct machine_thread_state *state);

/* The per-thread block glibc keeps in its TCB (sysdeps/mach/hurd/x86/tls.h's tcbhead_t
 * members the Hurd code names), on the task's image heap, named by the thread's TLS
 * pointer (kern_thread_state.tls). */
typedef struct fi_tls {
    mach_port_t reply_port;         /* the MIG reply port (M10) */
    int err;                        /* errno */
    struct hurd_sigstate *_hurd_sigstate;
} fi_tls;
fi_tls *fi_self_tls(void);

/* --- memory (hurdmalloc.h, malloc-internal.h) ------------------------------------------------- */
void *_hurd_malloc(size_t size);
void *_hurd_realloc(void *p, size_t size);
void _hurd_free(void *p);
void _hurd_malloc_fork_prepare(void);
void _hurd_malloc_fork_parent(void);
void _hurd_malloc_fork_child(void);
extern void __malloc_fork_unlock_child(void) __attribute__((weak));
void __libc_unwind_link_after_fork(void);

/* --- errors (hurd.h) ----------------------------------------------------------------------------- */
int __hurd_fail(error_t err);
_Noreturn void __libc_fatal(const char *message);

/* --- the RPCs: the mock MIG stubs of sim/kern/mig_mach.c and the proc server's client side --------- */
kern_return_t __mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_t *name);
kern_return_t __mach_port_allocate_name(mach_port_t task, mach_port_right_t right, mach_port_t name);
kern_return_t __mach_port_deallocate(mach_port_t task, mach_port_t name);
kern_return_t __mach_port_destroy(mach_port_t task, mach_port_t name);
kern_return_t __mach_port_destroy(mach_port_t task, mach_port_t name);
kern_return_t __mach_port_extract_right(mach_port_t task, mach_port_t name,
                                        mach_msg_type_name_t msgt_name, mach_port_t *poly,
                                        mach_msg_type_name_t *polyPoly);
kern_return_t __mach_port_get_refs(mach_port_t task, mach_port_t name, mach_port_right_t right,
                                   mach_port_urefs_t *refs);
kern_return_t __mach_port_insert_right(mach_port_t task, mach_port_t name, mach_port_t poly,
                                       mach_msg_type_name_t polyPoly);
kern_return_t __mach_port_mod_refs(mach_port_t task, mach_port_t name, mach_port_right_t right,
                                   mach_port_delta_t delta);
kern_return_t __mach_port_names(mach_port_t task, mach_port_t **names,
                                mach_msg_type_number_t *namesCnt, mach_port_type_t **types,
                                mach_msg_type_number_t *typesCnt);
kern_return_t __task_create(mach_port_t parent, boolean_t inherit_memory, mach_port_t *child);
kern_return_t __task_terminate(mach_port_t task);
kern_return_t __task_threads(mach_port_t task, mach_port_t **threads,
                             mach_msg_type_number_t *count);
kern_return_t __task_set_special_port(mach_port_t task, int which, mach_port_t port);
kern_return_t __thread_create(mach_port_t task, mach_port_t *thread);
kern_return_t __thread_resume(mach_port_t thread);
kern_return_t __thread_abort(mach_port_t thread);
kern_return_t __thread_get_state(mach_port_t thread, int flavor, natural_t *state,
                                 mach_msg_type_number_t *count);
kern_return_t __thread_set_state(mach_port_t thread, int flavor, natural_t *state,
                                 mach_msg_type_number_t count);
mach_port_t __mach_thread_self(void);
mach_port_t __mach_reply_port(void);
kern_return_t __vm_deallocate(mach_port_t task, vm_address_t address, vm_size_t size);

kern_return_t __proc_dostop(process_t proc, thread_t contthread);
kern_return_t __proc_task2proc(process_t proc, mach_port_t task, process_t *newproc);
kern_return_t __proc_setmsgport(process_t proc, mach_port_t newmsgport, mach_port_t *oldmsgport);
kern_return_t __proc_get_arg_locations(process_t proc, vm_address_t *argv, vm_address_t *envp);
kern_return_t __proc_set_arg_locations(process_t proc, vm_address_t argv, vm_address_t envp);
kern_return_t __proc_task2pid(process_t proc, mach_port_t task, pid_t *pid);
kern_return_t __proc_child(process_t proc, mach_port_t child);
kern_return_t __proc_getpids(process_t proc, pid_t *pid, pid_t *ppid, int *orphaned);
kern_return_t __proc_getmsgport(process_t proc, pid_t pid, mach_port_t *msgport);
kern_return_t __proc_pid2task(process_t proc, pid_t pid, mach_port_t *task);
kern_return_t __proc_getsidport(process_t proc, mach_port_t *sessport);
kern_return_t __proc_getpgrppids(process_t proc, pid_t pgrp, pid_t **pids,
                                 mach_msg_type_number_t *npids);
kern_return_t __proc_mark_stop(process_t proc, int signo, int sigcode);
kern_return_t __proc_mark_cont(process_t proc);
kern_return_t __proc_mark_exit(process_t proc, int status, int sigcode);
kern_return_t __proc_reauthenticate(process_t proc, mach_port_t rendezvous,
                                    mach_msg_type_name_t rendezvousPoly);
kern_return_t __proc_reauthenticate_complete(process_t proc);
kern_return_t __proc_setowner(process_t proc, uid_t owner, int clear);
kern_return_t __task_suspend(mach_port_t task);
kern_return_t __task_resume(mach_port_t task);
kern_return_t __thread_suspend(mach_port_t thread);
kern_return_t __thread_terminate(mach_port_t thread);
kern_return_t __mach_port_set_qlimit(mach_port_t task, mach_port_t name,
                                     mach_port_msgcount_t qlimit);
mach_msg_return_t __mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
                             mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                             mach_port_t rcv_name, mach_msg_timeout_t timeout, mach_port_t notify);
mach_port_t __mig_get_reply_port(void);
void __mig_dealloc_reply_port(mach_port_t port);
void __mig_init(void *stack);
kern_return_t __mach_setup_thread(mach_port_t task, mach_port_t thread, void *pc,
                                  vm_address_t *stack_base, vm_size_t *stack_size);
kern_return_t __mach_setup_tls(mach_port_t thread);
kern_return_t __swtch_pri(int priority);
kern_return_t __proc_mod_stopchild(process_t proc, int doit);
kern_return_t __io_get_icky_async_id(mach_port_t io, mach_port_t *id);
_Noreturn void _hurd_exit(int status);      /* hurd/hurdexit? the process's end (proc_mark_exit, task_terminate) */
int __spin_lock_locked(__spin_lock_t *lock);
mach_port_t __file_name_split(const char *file, char **name);
mach_port_t __file_name_lookup(const char *file, int flags, mode_t mode);
kern_return_t __dir_link(mach_port_t dir, mach_port_t file, const char *name, int excl);
kern_return_t __dir_mkfile(mach_port_t dir, int flags, mode_t mode, mach_port_t *newnode);

#endif
