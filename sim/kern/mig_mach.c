/*
 * mig_mach.c: the mock MIG stubs of GNU Mach's interfaces (mach.defs, mach_port.defs, the
 * traps), standing in for the user stubs glibc generates with MIG and for glibc's trap
 * shortcuts (mach/shortcut.awk: the trap first, the RPC when the trap says
 * MACH_SEND_INTERRUPTED; rule K8).
 *
 * A stub only marshals, schedules, traces and injects faults around the model's user-level
 * call: kern_rpc_begin (scheduling point, reply port, fault plan), the model, kern_rpc_end (one
 * trace line). Fault kinds (kern.h): a failed send does nothing; a failed routine destroys the
 * rights the request carried (mk_request_discard, M11); a lost reply lets the routine act and
 * destroys the rights the reply carried (kern_rpc_drop_reply_right), the caller seeing
 * MIG_SERVER_DIED.
 *
 * Most stubs are generated from the routine table sim/kern/mach.stubs by tools/stubgen.py, as
 * MIG generates glibc's from the .defs files (the build writes mach.stubs.c beside this file's
 * object, and it is included below). This file holds what the generated stubs share (the hooks
 * a table line names with effect= and made=) and the stubs that do what no table line says:
 * out-of-line arrays (mach_port_names, task_threads, mach_ports_register, mach_ports_lookup),
 * thread_abort, thread_set_state, vm_allocate, vm_deallocate, the self traps and mach_msg.
 *
 * Where the simulated machine owns the effect (a task's memory, a thread's start state,
 * suspension), the stub carries it to the runtime after the model succeeds: task_create copies
 * the parent's image, thread_create makes a coroutine, thread_set_state gives it its start,
 * suspend counts follow the model's.
 *
 * Added rule: task_create, task_terminate, task_suspend and task_set_special_port are traps too
 * (gnumach's syscall_sw.h); they are traced as traps with the routine's result, the RPC
 * fallback being invisible in the result.
 */
#include "kern.h"
#include "mach_stubs.h"

#include <mach/vm_param.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096

#define ALIAS(name) __typeof(__##name) name __attribute__((alias("__" #name)));

/* The fault plan before the call: a failed send or routine skips it. */
#define FAULT_OR(r, kr, discard)                   \
    if ((r).fault == KF_SEND_FAILS) {              \
        kr = MACH_SEND_INVALID_DEST;               \
    } else if ((r).fault == KF_ROUTINE_FAILS) {    \
        discard;                                   \
        kr = (r).fault_error;                      \
    } else

static bool reply_lost(kern_rpc *r, kern_return_t kr)
{
    return r->fault == KF_REPLY_LOST && kr == KERN_SUCCESS;
}

/* The caller's runtime objects for a task or thread name. */
static sim_task *sim_task_named(kthread_t *self, mach_port_name_t name)
{
    ktask_t *kt = ktask_by_name(kthread_task(self), name);
    return kt != NULL ? kern_sim_task(kt) : NULL;
}

static kthread_t *kthread_named(kthread_t *self, mach_port_name_t name)
{
    return kthread_by_name(kthread_task(self), name);
}

/* The runtime's suspend count follows the model's (H1). For the running thread, going up is
 * where it stops. */
static void sync_suspend(kthread_t *kth)
{
    sim_thread *th = kern_sim_thread(kth);
    if (th == NULL || !kthread_active(kth))
        return;
    int want = (int)kthread_suspend_count(kth);
    while (sim_thread_suspend_count(th) > want)
        sim_thread_resume(th);
    while (sim_thread_suspend_count(th) < want) {
        sim_thread_suspend(th);
        want = (int)kthread_suspend_count(kth);
    }
}

/* After a task hold changes, every thread of the task follows; the caller last, since for
 * the caller following a hold means stopping here. */
static void sync_task_suspend(ktask_t *task, kthread_t *self)
{
    /* As many threads as the task has (GNU Mach sets no limit on a task's threads). The
     * list is taken before any thread stops: the caller, last, may stop in sync_suspend. */
    size_t n = ktask_threads_list(task, NULL, 0);
    kthread_t **threads = malloc((n + 1) * sizeof *threads);
    if (threads == NULL)
        kern_unmodelled("out of host memory for a task's threads");
    n = ktask_threads_list(task, threads, n);
    for (size_t i = 0; i < n; i++)
        if (threads[i] != self)
            sync_suspend(threads[i]);
    bool own = self != NULL && kthread_task(self) == task;
    free(threads);
    if (own)
        sync_suspend(self);
}

/* --- what the table's hooks do (mach.stubs: effect=, made=) ----------------------------------- */

/* What an effect's _before takes hold of, for its _after: the call's target, looked up while
 * its name still names it. */
typedef struct stub_hold {
    ktask_t *task;
    kthread_t *thread;
    sim_task *sim;
} stub_hold;

/* task_create: the new task's memory, a copy of the parent's image as of now (record trap 3). */
static void task_made(kthread_t *self, mach_port_t parent, boolean_t inherit_memory,
                      mach_port_name_t child)
{
    ktask_t *kchild = ktask_by_name(kthread_task(self), child);
    sim_task *sparent = sim_task_named(self, parent);
    sim_task *schild = sim_task_create(sparent, inherit_memory && sparent != NULL);
    sim_task_set_ktask(schild, kchild);
    ktask_set_user(kchild, schild);
}

/* thread_create: a coroutine, suspended once as the model's thread is (H1). */
static void thread_made(kthread_t *self, mach_port_t task, mach_port_name_t thread)
{
    (void)task;
    kthread_t *kth = kthread_named(self, thread);
    sim_task *st = kern_sim_task(kthread_task(kth));
    sim_thread *th = sim_thread_create(st);
    sim_thread_set_kthread(th, kth);
    kthread_set_user(kth, th);
}

/* task_terminate: the runtime's task goes when the model's did (a lost reply too: the routine
 * acted). Does not return when it is the caller's own task. */
static stub_hold task_end_before(kthread_t *self, mach_port_t task)
{
    return (stub_hold){.sim = sim_task_named(self, task)};
}

static void task_end_after(stub_hold h, kthread_t *self, const kern_rpc *r, kern_return_t kr)
{
    (void)self;
    if ((kr == KERN_SUCCESS || kr == MIG_SERVER_DIED) && h.sim != NULL &&
        r->fault != KF_SEND_FAILS && r->fault != KF_ROUTINE_FAILS)
        sim_task_destroy(h.sim);
}

/* task_suspend, task_resume: every thread of the task follows the hold, the caller last. */
static stub_hold task_hold_before(kthread_t *self, mach_port_t task)
{
    return (stub_hold){.task = ktask_by_name(kthread_task(self), task)};
}

static void task_hold_after(stub_hold h, kthread_t *self, const kern_rpc *r, kern_return_t kr)
{
    (void)r;
    if (h.task != NULL && (kr == KERN_SUCCESS || kr == MIG_SERVER_DIED))
        sync_task_suspend(h.task, self);
}

#define task_release_before task_hold_before
static void task_release_after(stub_hold h, kthread_t *self, const kern_rpc *r, kern_return_t kr)
{
    (void)self;
    task_hold_after(h, NULL, r, kr);
}

/* thread_suspend, thread_resume, thread_abort: the thread's suspend count follows (H1). */
static stub_hold thread_count_before(kthread_t *self, mach_port_t thread)
{
    return (stub_hold){.thread = kthread_named(self, thread)};
}

static void thread_count_after(stub_hold h, kthread_t *self, const kern_rpc *r, kern_return_t kr)
{
    (void)self, (void)r;
    if (h.thread != NULL && (kr == KERN_SUCCESS || kr == MIG_SERVER_DIED))
        sync_suspend(h.thread);
}

/* thread_terminate: the coroutine goes with the model's thread; not for the caller itself. */
#define thread_end_before thread_count_before
static void thread_end_after(stub_hold h, kthread_t *self, const kern_rpc *r, kern_return_t kr)
{
    (void)self, (void)r, (void)kr;
    kthread_t *target = h.thread;
    if (target != NULL && !kthread_active(target) && kern_sim_thread(target) != NULL) {
        sim_thread *th = kern_sim_thread(target);
        kthread_set_user(target, NULL);
        sim_thread_destroy(th); /* does not return for the caller itself */
    }
}

/* mach_port_extract_right: the right a reply carried, by the type it came as. */
static mach_port_right_t stub_poly_right(mach_msg_type_name_t type)
{
    return type == MACH_MSG_TYPE_PORT_RECEIVE ? MACH_PORT_RIGHT_RECEIVE : MACH_PORT_RIGHT_SEND;
}

static const char *stub_poly_name(mach_msg_type_name_t type)
{
    return type == MACH_MSG_TYPE_PORT_RECEIVE ? "PORT_RECEIVE"
           : type == MACH_MSG_TYPE_PORT_SEND_ONCE ? "PORT_SEND_ONCE" : "PORT_SEND";
}

/* The stubs of the routine table (tools/stubgen.py from sim/kern/mach.stubs). */
#define STUB_ALIAS(name) ALIAS(name)
#include "mach.stubs.c"

/* --- mach_port_* -------------------------------------------------------------------------- */

/* Copies an array into the caller's image, page-aligned as vm_allocate would give it. */
static void *ool_copy(const void *src, size_t len)
{
    if (len == 0)
        return NULL;
    void *dst = kern_mem_alloc(len);
    if (dst == NULL)
        kern_unmodelled("image heap exhausted for an out-of-line array");
    memcpy(dst, src, len);
    return dst;
}

kern_return_t __mach_port_names(mach_port_t task, mach_port_t **names,
                                mach_msg_type_number_t *namesCnt, mach_port_type_t **types,
                                mach_msg_type_number_t *typesCnt)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "mach_port_names", false);
    kern_return_t kr;
    mach_port_name_t *n = NULL;
    mach_port_type_t *t = NULL;
    mach_msg_type_number_t count = 0;
    FAULT_OR(r, kr, (void)0)
        kr = mk_mach_port_names(self, task, &n, &t, &count);
    if (reply_lost(&r, kr))
        kr = MIG_SERVER_DIED;
    char args[16], outs[32] = "";
    kern_fmt(args, sizeof args, "%u", task);
    if (kr == KERN_SUCCESS) {
        *names = ool_copy(n, count * sizeof *n);
        *types = ool_copy(t, count * sizeof *t);
        *namesCnt = *typesCnt = count;
        kern_fmt(outs, sizeof outs, "%u names", count);
    }
    free(n);
    free(t);
    return kern_rpc_end(&r, kr, args, outs);
}
ALIAS(mach_port_names)

/* --- tasks ---------------------------------------------------------------------------------- */

kern_return_t __task_threads(mach_port_t task, mach_port_t **threads, mach_msg_type_number_t *count)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "task_threads", false);
    kern_return_t kr;
    mach_port_name_t *v = NULL;
    mach_msg_type_number_t n = 0;
    FAULT_OR(r, kr, (void)0)
        kr = mk_task_threads(self, task, &v, &n);
    if (reply_lost(&r, kr)) {
        for (mach_msg_type_number_t i = 0; i < n; i++)
            kern_rpc_drop_reply_right(&r, v[i], MACH_PORT_RIGHT_SEND);
        kr = MIG_SERVER_DIED;
    }
    char args[16], outs[96] = "";
    kern_fmt(args, sizeof args, "%u", task);
    if (kr == KERN_SUCCESS) {
        *threads = ool_copy(v, n * sizeof *v);
        *count = n;
        size_t o = 0;
        for (mach_msg_type_number_t i = 0; i < n && o + 12 < sizeof outs; i++)
            o += (size_t)kern_fmt(outs + o, sizeof outs - o, "%s%u", i ? " " : "{", v[i]);
        kern_fmt(outs + o, sizeof outs - o, "}");
    }
    free(v);
    return kern_rpc_end(&r, kr, args, outs);
}
ALIAS(task_threads)

kern_return_t __mach_ports_register(mach_port_t task, mach_port_t *ports,
                                    mach_msg_type_number_t count)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "mach_ports_register", false);
    kern_return_t kr;
    FAULT_OR(r, kr, for (mach_msg_type_number_t i = 0; i < count; i++)
                        mk_request_discard(self, ports[i], MACH_MSG_TYPE_COPY_SEND))
        kr = mk_mach_ports_register(self, task, ports, count);
    if (reply_lost(&r, kr))
        kr = MIG_SERVER_DIED;
    /* the names as sent, as task_threads' reply shows its array */
    char args[96];
    size_t o = (size_t)kern_fmt(args, sizeof args, "%u, {", task);
    mach_msg_type_number_t i = 0;
    for (; i < count && o + 20 < sizeof args; i++)
        o += (size_t)kern_fmt(args + o, sizeof args - o, "%s%u", i ? " " : "", ports[i]);
    kern_fmt(args + o, sizeof args - o, "%s}", i < count ? " ..." : "");
    return kern_rpc_end(&r, kr, args, "");
}
ALIAS(mach_ports_register)

kern_return_t __mach_ports_lookup(mach_port_t task, mach_port_t **ports,
                                  mach_msg_type_number_t *count)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "mach_ports_lookup", false);
    kern_return_t kr;
    mach_port_name_t *v = NULL;
    mach_msg_type_number_t n = 0;
    FAULT_OR(r, kr, (void)0)
        kr = mk_mach_ports_lookup(self, task, &v, &n);
    if (reply_lost(&r, kr)) {
        for (mach_msg_type_number_t i = 0; i < n; i++)
            kern_rpc_drop_reply_right(&r, v[i], MACH_PORT_RIGHT_SEND);
        kr = MIG_SERVER_DIED;
    }
    char args[16], outs[64] = "";
    kern_fmt(args, sizeof args, "%u", task);
    if (kr == KERN_SUCCESS) {
        *ports = ool_copy(v, n * sizeof *v);
        *count = n;
        kern_fmt(outs, sizeof outs, "{%u %u %u %u}", v[0], v[1], v[2], v[3]);
    }
    free(v);
    return kern_rpc_end(&r, kr, args, outs);
}
ALIAS(mach_ports_lookup)

/* --- threads -------------------------------------------------------------------------------- */

/* After thread_abort, a thread that was blocked in mach_msg reports the interruption as
 * what its trap returns (H6: GNU Mach's thread leaves the kernel with it before it halts). */
kern_return_t __thread_abort(mach_port_t thread)
{
    kthread_t *target = kern_self() != NULL ? kthread_named(kern_self(), thread) : NULL;
    mk_wait_t was = target != NULL ? mk_thread_blocked(target, NULL) : MK_WAIT_NONE;
    kern_return_t kr = thread_abort_rpc(thread);
    if (kr == KERN_SUCCESS && target != NULL && was != MK_WAIT_NONE &&
        kern_sim_thread(target) != NULL) {
        natural_t *words = kthread_state_words(target, KERN_THREAD_STATE_FLAVOR);
        kern_thread_state ts; /* the model's words are 4-byte aligned: copied, not cast */
        memcpy(&ts, words, sizeof ts);
        ts.sysreturn = was == MK_WAIT_RECEIVE ? MACH_RCV_INTERRUPTED : MACH_SEND_INTERRUPTED;
        memcpy(words, &ts, sizeof ts);
        sim_thread_gen_bump(kern_sim_thread(target));
    }
    return kr;
}
ALIAS(thread_abort)

kern_return_t __thread_set_state(mach_port_t thread, int flavor, natural_t *state,
                                 mach_msg_type_number_t count)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin_on(&r, "thread_set_state", false, thread, MACH_PORT_NULL);
    kern_return_t kr;
    kthread_t *target = kthread_named(self, thread);
    kern_thread_state before;
    memset(&before, 0, sizeof before);
    if (target != NULL)
        memcpy(&before, kthread_state_words(target, KERN_THREAD_STATE_FLAVOR), sizeof before);
    FAULT_OR(r, kr, (void)0)
        kr = mk_thread_set_state(self, thread, flavor, state, count);
    char outs[48] = "";
    sim_thread *started = target != NULL && kern_sim_thread(target) != NULL &&
                                  sim_thread_started(kern_sim_thread(target))
                              ? kern_sim_thread(target) : NULL;
    if (kr == KERN_SUCCESS && flavor == KERN_THREAD_STATE_FLAVOR && started != NULL) {
        /* A thread that ran: a call state with a new pc is a call it makes first (a signal
         * frame); a parked state changes what its trap returns, and where it is parked when
         * its pc moved (hurdsig.c's _hurdsig_abort_rpcs backs a call out by moving the pc
         * to _hurd_intr_rpc_msg_in_trap: a label, not a function; the code above the
         * kernel reads it, sim/kern/kern.h). */
        kern_thread_state ts;
        memcpy(&ts, state, sizeof ts);
        if (ts.kind == KERN_STATE_CALL && ts.pc != before.pc) {
            sim_thread_inject(started, (void (*)(void *))(uintptr_t)ts.pc, (void *)(uintptr_t)ts.arg);
            kern_fmt(outs, sizeof outs, "a call first (a signal frame)");
        } else if (ts.kind == KERN_STATE_LONGJMP) {
            kern_unmodelled("thread_set_state: a longjmp state for a thread that has run");
        } else {
            kern_fmt(outs, sizeof outs, "trap returns %#llx", (unsigned long long)ts.sysreturn);
        }
        sim_thread_gen_bump(started);
    } else if (kr == KERN_SUCCESS && flavor == KERN_THREAD_STATE_FLAVOR && target != NULL) {
        kern_thread_state ts;
        memcpy(&ts, state, sizeof ts);
        sim_thread *th = kern_sim_thread(target);
        if (ts.tls != 0)
            sim_thread_set_tls(th, (void *)(uintptr_t)ts.tls);
        if (ts.kind == KERN_STATE_CALL || ts.kind == KERN_STATE_PARKED) {
            sim_thread_set_start(th, (void (*)(void *))(uintptr_t)ts.pc, (void *)(uintptr_t)ts.arg,
                                 (void *)(uintptr_t)ts.sp);
            kern_fmt(outs, sizeof outs, "start at a function");
        } else if (ts.kind == KERN_STATE_LONGJMP) {
            sim_thread_set_longjmp(th, (void *)(uintptr_t)ts.env, (int)ts.value);
            kern_fmt(outs, sizeof outs, "resume by longjmp(env, %d)", (int)ts.value);
        }
    }
    if (reply_lost(&r, kr))
        kr = MIG_SERVER_DIED;
    char args[48];
    kern_fmt(args, sizeof args, "%u, %d", thread, flavor);
    return kern_rpc_end(&r, kr, args, outs);
}
ALIAS(thread_set_state)

/* --- memory ---------------------------------------------------------------------------------- */

/* Only the caller's own task: the image in place is the caller's. */
static bool own_task(kthread_t *self, mach_port_t task)
{
    return ktask_by_name(kthread_task(self), task) == kthread_task(self);
}

kern_return_t __vm_allocate(mach_port_t task, vm_address_t *address, vm_size_t size,
                            boolean_t anywhere)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "vm_allocate", true);
    kern_return_t kr;
    void *p = NULL;
    FAULT_OR(r, kr, (void)0)
    {
        if (!own_task(self, task))
            kern_unmodelled("vm_allocate in another task's address space");
        if (!anywhere)
            kern_unmodelled("vm_allocate at a fixed address");
        p = kern_mem_alloc(size ? size : 1);
        kr = p != NULL ? KERN_SUCCESS : KERN_NO_SPACE;
        if (p != NULL)
            memset(p, 0, size);
    }
    char args[48];
    kern_fmt(args, sizeof args, "%u, %zu bytes", task, (size_t)size);
    if (kr == KERN_SUCCESS)
        *address = (vm_address_t)(uintptr_t)p;
    return kern_rpc_end(&r, kr, args, "");
}
ALIAS(vm_allocate)

/* vm_deallocate frees the pages [trunc_page(address), round_page(address + size)). The image
 * heap stands in for the address space and frees whole blocks, so only a range that is one
 * block the heap gave is modelled: its first page is the block's (the block starts at
 * trunc_page(address): out-of-line data arrives at its sender's offset within the page) and it
 * ends on the block's last page. glibc passes an array's exact size (count * sizeof element),
 * which is such a range; part of a block, or pages past it, end the run. Address 0 or size 0:
 * nothing to free. Returns the block's start. */
static uintptr_t dealloc_check(vm_address_t address, vm_size_t size)
{
    uintptr_t start = (uintptr_t)address & ~(uintptr_t)(PAGE - 1);
    size_t have = kern_mem_block_size((const void *)start);
    if (have == 0 && start != address)
        have = kern_mem_block_size((const void *)(start = address));
    if (have == 0)
        kern_unmodelled("vm_deallocate of part of an allocation (not the start of a block "
                        "the image heap gave)");
    uintptr_t a = address;
    uintptr_t block_end = (start + have + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    uintptr_t end = size > UINTPTR_MAX - a - PAGE ? UINTPTR_MAX /* past anything */
                                                  : (a + size + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    char what[96];
    if (end < block_end) {
        kern_fmt(what, sizeof what, "vm_deallocate of part of an allocation (%zu of %zu bytes)",
                 (size_t)size, have);
        kern_unmodelled(what);
    }
    if (end > block_end) {
        kern_fmt(what, sizeof what,
                 "vm_deallocate past the end of an allocation (%zu bytes for %zu)",
                 (size_t)size, have);
        kern_unmodelled(what);
    }
    return start;
}

void kern_vm_deallocate_own(uintptr_t address, size_t size)
{
    if (address != 0 && size != 0)
        kern_mem_free((void *)dealloc_check(address, size));
}

kern_return_t __vm_deallocate(mach_port_t task, vm_address_t address, vm_size_t size)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "vm_deallocate", true);
    kern_return_t kr;
    FAULT_OR(r, kr, (void)0)
    {
        sim_task *other = own_task(self, task) ? NULL : sim_task_named(self, task);
        if (other != NULL && address == VM_MIN_ADDRESS &&
            size >= VM_MAX_ADDRESS - VM_MIN_ADDRESS) {
            /* The whole address space of a task whose threads are gone (exec): a fresh image.
             * Anything else in another task's space is not modelled. */
            if (!sim_task_reset_image(other))
                kern_unmodelled("vm_deallocate of the whole address space of a task with threads");
        } else if (!own_task(self, task)) {
            kern_unmodelled("vm_deallocate in another task's address space");
        } else {
            kern_vm_deallocate_own(address, size);
        }
        kr = KERN_SUCCESS;
    }
    char args[48];
    kern_fmt(args, sizeof args, "%u, %zu bytes", task, (size_t)size);
    return kern_rpc_end(&r, kr, args, "");
}
ALIAS(vm_deallocate)

/* --- traps ------------------------------------------------------------------------------------ */

/* The self traps return a name, not a code: traced "trap mach_task_self() = 1", as the
 * reply port made on a thread's first RPC is. */
static mach_port_t self_trap(const char *routine, mach_port_name_t (*call)(kthread_t *))
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, routine, true);
    mach_port_name_t n = call(self);
    kern_rpc_end_name(&r, n);
    return n;
}

mach_port_t __mach_reply_port(void) { return self_trap("mach_reply_port", mk_mach_reply_port); }
ALIAS(mach_reply_port)
mach_port_t __mach_thread_self(void) { return self_trap("mach_thread_self", mk_mach_thread_self); }
ALIAS(mach_thread_self)
mach_port_t __mach_task_self(void) { return self_trap("mach_task_self", mk_mach_task_self); }
ALIAS(mach_task_self)

mach_msg_return_t kern_mach_msg_trap(mach_msg_header_t *msg, mach_msg_option_t option,
                                     mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                     mach_port_t rcv_name, mach_msg_timeout_t timeout)
{
    kthread_t *self = kern_self();
    mach_port_t dest = (option & MACH_SEND_MSG) ? msg->msgh_remote_port : MACH_PORT_NULL;
    mach_msg_return_t mr = mk_mach_msg(self, msg, option, send_size, rcv_size, rcv_name, timeout);
    if (mr == MK_MSG_BLOCKED)
        mr = kern_msg_wait_port(self, mr, option, timeout, (option & MACH_RCV_MSG) ? rcv_name : dest);
    return mr;
}

/* glibc's __mach_msg (mach/msg.c; H10): the trap, repeated on interruptions the caller did not
 * ask to see. A wait parks the thread until the model ends it. */
mach_msg_return_t __mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
                             mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                             mach_port_t rcv_name, mach_msg_timeout_t timeout, mach_port_t notify)
{
    (void)notify;
    if (kern_in_rpc_trap()) {
        /* glibc's intr-msg.c falling back to __mach_msg inside an RPC the stub traces: the
         * trap and H10's retries, no line of its own */
        mach_msg_return_t mr;
        for (;;) {
            mr = kern_mach_msg_trap(msg, option, send_size, rcv_size, rcv_name, timeout);
            if (mr == MACH_SEND_INTERRUPTED || mr == MACH_RCV_INTERRUPTED)
                sim_run_injected();
            if (mr == MACH_SEND_INTERRUPTED && !(option & MACH_SEND_INTERRUPT))
                continue;
            if (mr == MACH_RCV_INTERRUPTED && !(option & MACH_RCV_INTERRUPT)) {
                option &= ~MACH_SEND_MSG;
                send_size = 0;
                continue;
            }
            return mr;
        }
    }
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "mach_msg", true);
    mach_msg_id_t id = (option & MACH_SEND_MSG) ? msg->msgh_id : 0;
    mach_port_t dest = (option & MACH_SEND_MSG) ? msg->msgh_remote_port : MACH_PORT_NULL;
    mach_msg_return_t mr = mk_mach_msg(self, msg, option, send_size, rcv_size, rcv_name, timeout);
    for (;;) {
        if (mr == MK_MSG_BLOCKED) {
            mach_port_t waited = (option & MACH_RCV_MSG) ? rcv_name : dest;
            mr = kern_msg_wait_port(self, mr, option, timeout, waited);
        }
        /* Back in user code between the tries: a signal frame set meanwhile runs here. */
        if (mr == MACH_SEND_INTERRUPTED || mr == MACH_RCV_INTERRUPTED)
            sim_run_injected();
        if (mr == MACH_SEND_INTERRUPTED && !(option & MACH_SEND_INTERRUPT))
            mr = mk_mach_msg(self, msg, option, send_size, rcv_size, rcv_name, timeout);
        else if (mr == MACH_RCV_INTERRUPTED && !(option & MACH_RCV_INTERRUPT))
            mr = mk_mach_msg(self, msg, option & ~MACH_SEND_MSG, 0, rcv_size, rcv_name, timeout);
        else
            break;
    }
    /* A server's lines say which routine a message carries, and a reply which request (the
     * step of its receive) it answers. */
    char args[128], outs[96] = "";
    bool tracing = kern_tracing();  /* the routines' names are for the trace lines only */
    const char *sent = (option & MACH_SEND_MSG) && tracing ? kern_msg_id_name(id) : NULL;
    uint64_t answers = (option & MACH_SEND_MSG) && mr == MACH_MSG_SUCCESS
                           ? kern_request_answered(self, dest, id) : 0;
    kern_fmt(args, sizeof args, "%s%s, dest %u, id %d%s%s, rcv %u",
             (option & MACH_SEND_MSG) ? "SEND" : "", (option & MACH_RCV_MSG) ? "|RCV" : "", dest, id,
             sent != NULL ? " " : "", sent != NULL ? sent : "", (option & MACH_RCV_MSG) ? rcv_name : 0);
    bool received = mr == MACH_MSG_SUCCESS && (option & MACH_RCV_MSG);
    if (received) {
        const char *name = tracing ? kern_msg_id_name(msg->msgh_id) : NULL;
        kern_fmt(outs, sizeof outs, "id %d%s%s", msg->msgh_id, name != NULL ? " " : "",
                 name != NULL ? name : "");
    } else if (answers != 0) {
        kern_fmt(outs, sizeof outs, "answers the request of step %llu", (unsigned long long)answers);
    }
    mach_msg_id_t got = received ? msg->msgh_id : 0;
    mach_port_name_t reply = received ? msg->msgh_remote_port : MACH_PORT_NULL;
    kern_return_t kr = kern_rpc_end(&r, mr, args, outs);
    if (received)
        kern_request_received(self, reply, got);
    return kr;
}
ALIAS(mach_msg)
