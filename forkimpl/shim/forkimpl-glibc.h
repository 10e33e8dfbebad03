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

typedef mach_port_t process_t;
typedef unsigned long hurd_sigset_t;   /* the Hurd's sigset_t is a scalar */

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

struct hurd_userlink;
struct hurd_port {
    __spin_lock_t lock;
    struct hurd_userlink *users;
    mach_port_t port;
};
enum {
    INIT_PORT_CWDIR,
    INIT_PORT_CRDIR,
    INIT_PORT_AUTH,
    INIT_PORT_PROC,
    INIT_PORT_CTTYID,
    INIT_PORT_BOOTSTRAP,
    INIT_PORT_MAX
};
extern struct hurd_port *_hurd_ports;
extern unsigned int _hurd_nports;
mach_port_t _hurd_port_get(struct hurd_port *cell, struct hurd_userlink *link);
void _hurd_port_free(struct hurd_port *cell, struct hurd_userlink *link, mach_port_t used);

/* Runs expr with `port` naming the cell's port, as glibc's __USEPORT does. */
#define __USEPORT(which, expr)                                                 \
    ({                                                                         \
        mach_port_t port = _hurd_port_get(&_hurd_ports[INIT_PORT_##which], 0); \
        __typeof__(expr) __result = (expr);                                    \
        _hurd_port_free(&_hurd_ports[INIT_PORT_##which], 0, port);            \
        __result;                                                              \
    })

extern mach_port_t _hurd_msgport;
extern thread_t _hurd_msgport_thread;
extern pid_t _hurd_pid, _hurd_ppid, _hurd_pgrp;
extern int _hurd_orphaned;

/* --- signals (hurd/signal.h) ----------------------------------------------------------------- */
struct hurd_sigstate {
    __spin_lock_t critical_section_lock;
    __spin_lock_t lock;
    thread_t thread;
    struct hurd_sigstate *next;
    hurd_sigset_t blocked, pending;
    int sigcode;
    mach_port_t intr_port;
    int cancel;
};
extern struct hurd_sigstate *_hurd_sigstates;
extern struct hurd_sigstate *_hurd_global_sigstate;
extern struct mutex _hurd_siglock;
extern hurd_sigset_t _hurdsig_traced;
struct hurd_sigstate *_hurd_self_sigstate(void);
void _hurd_sigstate_set_global_rcv(struct hurd_sigstate *ss);
void _hurd_critical_section_unlock(void *our_lock);
void *_hurd_critical_section_lock(void);
void _hurdsig_fault_init(void);
void _hurd_msgport_receive(void);
#define __sigemptyset(set) (*(set) = 0, 0)

/* --- thread variables and stacks (hurd/threadvar.h) ------------------------------------------ */
/* __hurd_threadvar_stack_{mask,offset}: shim/hurd/threadvar.h, for the releases that have them */
extern vm_address_t __hurd_sigthread_stack_base, __hurd_sigthread_stack_end;

/* --- thread state (thread_state.h): forksim's own, see sim/kern/kern.h ---------------------------- */
struct machine_thread_state {
    uint64_t kind;              /* 1: call PC with SP; 2: longjmp */
    uint64_t PC, SP, arg;
    uint64_t env, value;
    uint64_t tls;
};
#define MACHINE_THREAD_STATE_FLAVOR 0x7f01
#define MACHINE_THREAD_STATE_COUNT \
    ((mach_msg_type_number_t)(sizeof(struct machine_thread_state) / sizeof(natural_t)))
#define MACHINE_THREAD_STATE_SET_PC(ts, pc) ((ts)->kind = 1, (ts)->PC = (pc))
struct __jmp_buf_tag;
void _hurd_longjmp_thread_state(void *state, struct __jmp_buf_tag *env, int value);
error_t _hurd_tls_fork(thread_t child, thread_t orig, struct machine_thread_state *state);

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

#endif
