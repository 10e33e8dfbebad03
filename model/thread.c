/*
 * thread.c: threads, their ports, suspension and state.
 *
 * Models GNU Mach's kern/thread.c (thread_create, thread_suspend, thread_resume, thread_abort,
 * thread_terminate, thread_get_state, thread_set_state) and kern/ipc_tt.c (ipc_thread_init,
 * ipc_thread_terminate, mach_thread_self, thread special ports). Rules K2, K3, K7, H1-H3, H6-H8.
 *
 * Suspension (H1): th_user_stop_count is what thread_suspend and thread_resume count;
 * th_suspend_count counts holds: one while th_user_stop_count > 0 and one per task hold. A
 * thread runs only at suspend_count 0; the runtime asks kthread_suspend_count before running
 * one. A thread blocked in mach_msg stays blocked while suspended (H2) and still takes a
 * message handed to it (H5): it completes the receive when it runs again.
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

static kthread_t *kthread_alloc(ktask_t *task, unsigned user_stop)
{
    world_t *world = task->tk_world;
    port_t *self_port = port_alloc(world);
    if (self_port == NULL)
        return NULL;
    kthread_t *thread = world_alloc(world, sizeof *thread);
    thread->th_id = world->w_next_thread_id++;
    thread->th_active = true;
    thread->th_task = task;
    self_port->ip_kernel = true;
    self_port->ip_kotype = IKOT_THREAD;
    self_port->ip_kobject = thread;
    thread->th_self = self_port;
    port_make_send(self_port);
    thread->th_sself = self_port;
    thread->th_user_stop_count = user_stop;
    thread->th_suspend_count = task->tk_suspend_count + (user_stop > 0 ? 1 : 0);
    kthread_t **pp = &task->tk_threads;
    while (*pp != NULL)
        pp = &(*pp)->th_next;
    *pp = thread;
    return thread;
}

kthread_t *world_boot_thread(ktask_t *task)
{
    return kthread_alloc(task, 0);
}

uint32_t kthread_id(const kthread_t *thread) { return thread->th_id; }
ktask_t *kthread_task(const kthread_t *thread) { return thread->th_task; }
bool kthread_active(const kthread_t *thread) { return thread->th_active; }
unsigned kthread_suspend_count(const kthread_t *thread) { return thread->th_suspend_count; }
unsigned kthread_user_stop_count(const kthread_t *thread) { return thread->th_user_stop_count; }
/* A self-stop lasts while the thread is held: once every hold is released (thread_resume,
 * task_resume) it may run again (H1). */
bool kthread_must_stop(const kthread_t *thread)
{
    return !thread->th_active || (thread->th_must_stop && thread->th_suspend_count > 0);
}
void kthread_set_user(kthread_t *thread, void *user) { thread->th_user = user; }
void *kthread_user(const kthread_t *thread) { return thread->th_user; }

kthread_t *kthread_by_name(ktask_t *task, mach_port_name_t name)
{
    if (task->tk_space == NULL)
        return NULL;
    entry_t *e = space_lookup(task->tk_space, name);
    if (e == NULL || !IO_VALID(e->ie_port) || !(e->ie_type & MACH_PORT_TYPE_SEND_RECEIVE))
        return NULL;
    return e->ie_port->ip_kotype == IKOT_THREAD ? e->ie_port->ip_kobject : NULL;
}

mach_port_name_t mk_mach_thread_self(kthread_t *self)
{
    return mk_kernel_right_copyout(self, self->th_sself);
}

kern_return_t mk_thread_create(kthread_t *self, mach_port_name_t task_name,
                               mach_port_name_t *thread_name)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, task_name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task == NULL)
        return KERN_INVALID_ARGUMENT;
    if (!task->tk_active)
        return KERN_FAILURE;
    kthread_t *thread = kthread_alloc(task, 1);
    if (thread == NULL)
        return KERN_RESOURCE_SHORTAGE;
    port_make_send(thread->th_self); /* convert_thread_to_port */
    naked_t right = {thread->th_self, MACH_MSG_TYPE_PORT_SEND};
    if (right_copyout(self->th_task->tk_space, right, true, thread_name) != KERN_SUCCESS) {
        port_release_naked(right);
        *thread_name = MACH_PORT_NULL;
    }
    return KERN_SUCCESS;
}

/* Converts the request port for a thread_* call: MACH_SEND_INVALID_DEST, or NULL with
 * KERN_INVALID_ARGUMENT (M6: a thread being torn down converts to null). */
static kthread_t *thread_arg(kthread_t *self, mach_port_name_t name, kern_return_t *kr)
{
    kthread_t *thread = mk_thread_of_name(self, name, kr);
    if (*kr != KERN_SUCCESS)
        return NULL;
    if (thread == NULL || !thread->th_active) {
        *kr = KERN_INVALID_ARGUMENT;
        return NULL;
    }
    return thread;
}

kern_return_t mk_thread_suspend(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    if (thread->th_user_stop_count++ == 0)
        thread->th_suspend_count++;
    if (thread == self)
        thread->th_must_stop = true; /* stops on the way out of the kernel (H2) */
    return KERN_SUCCESS;
}

kern_return_t mk_thread_resume(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    if (thread->th_user_stop_count == 0)
        return KERN_FAILURE;
    if (--thread->th_user_stop_count == 0) {
        thread->th_suspend_count--;
        if (thread->th_suspend_count == 0)
            thread->th_must_stop = false;
    }
    return KERN_SUCCESS;
}

kern_return_t mk_thread_abort(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    if (thread == self)
        return KERN_INVALID_ARGUMENT;
    kthread_abort_wait(thread, false);
    return KERN_SUCCESS;
}

/* H8 and K5 step 1: the thread stops for good; its port dies; its rights go. */
void kthread_terminate_internal(kthread_t *thread)
{
    if (!thread->th_active)
        return;
    thread->th_active = false;
    thread->th_must_stop = true;
    if (thread->th_wait != MK_WAIT_NONE)
        kthread_abort_wait(thread, false);
    /* A blocked send's message and a handed-over message go with the thread. */
    if (thread->th_send_kmsg != NULL) {
        kmsg_destroy(thread->th_send_kmsg);
        thread->th_send_kmsg = NULL;
    }
    if (thread->th_handoff != NULL) {
        kmsg_t *kmsg = thread->th_handoff;
        thread->th_handoff = NULL;
        if (IO_VALID(kmsg->ikm_remote.port))
            mqueue_received(kmsg->ikm_remote.port); /* the count drops; a blocked sender may go */
        kmsg_destroy(kmsg);
    }
    port_t *self_port = thread->th_self;
    self_port->ip_kotype = IKOT_NONE;
    self_port->ip_kobject = NULL;
    if (IO_VALID(thread->th_sself))
        port_release_send(thread->th_sself);
    if (IO_VALID(thread->th_exception))
        port_release_send(thread->th_exception);
    thread->th_sself = thread->th_exception = NULL;
    thread->th_self = NULL;
    port_destroy(self_port);
    port_release(self_port);
}

kern_return_t mk_thread_terminate(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    kthread_t *thread = mk_thread_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (thread == NULL)
        return KERN_INVALID_ARGUMENT;
    if (!thread->th_active)
        return KERN_FAILURE;
    kthread_terminate_internal(thread);
    return KERN_SUCCESS;
}

/* i386 flavors the amendment to H7 allows on the calling thread (i386/i386/pcb.c). */
#define STATE_FLAVOR_DEBUG 6 /* i386_DEBUG_STATE */
#define STATE_FLAVOR_FSGS 7  /* i386_FSGS_BASE_STATE */

/* The saved registers of one flavor: each flavor is its own register set, so setting the debug
 * registers leaves the general ones alone. Conditions: flavor is registered. */
static natural_t *state_words(kthread_t *thread, int flavor)
{
    world_t *world = thread->th_task->tk_world;
    for (unsigned i = 0; i < world->w_nflavors; i++)
        if (world->w_flavors[i].flavor == flavor)
            return thread->th_state[i];
    abort();
}

static int flavor_count(world_t *world, int flavor)
{
    for (unsigned i = 0; i < world->w_nflavors; i++)
        if (world->w_flavors[i].flavor == flavor)
            return (int)world->w_flavors[i].count;
    return -1;
}

natural_t *kthread_state_words(kthread_t *thread, int flavor)
{
    if (flavor_count(thread->th_task->tk_world, flavor) < 0)
        return NULL;
    return state_words(thread, flavor);
}

kern_return_t mk_thread_get_state(kthread_t *self, mach_port_name_t name, int flavor,
                                  natural_t *state, mach_msg_type_number_t *count)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    int need = flavor_count(self->th_task->tk_world, flavor);
    /* H7 amendment: i386_DEBUG_STATE may be read on the calling thread itself. */
    if ((thread == self && flavor != STATE_FLAVOR_DEBUG) || need < 0 ||
        *count < (mach_msg_type_number_t)need)
        return KERN_INVALID_ARGUMENT;
    memcpy(state, state_words(thread, flavor), (size_t)need * sizeof *state);
    *count = (mach_msg_type_number_t)need;
    return KERN_SUCCESS;
}

kern_return_t mk_thread_set_state(kthread_t *self, mach_port_name_t name, int flavor,
                                  const natural_t *state, mach_msg_type_number_t count)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    int need = flavor_count(self->th_task->tk_world, flavor);
    /* H7 amendment: DEBUG and FSGS may be set on the calling thread itself. */
    if ((thread == self && flavor != STATE_FLAVOR_DEBUG && flavor != STATE_FLAVOR_FSGS) ||
        need < 0 || count < (mach_msg_type_number_t)need)
        return KERN_INVALID_ARGUMENT;
    memcpy(state_words(thread, flavor), state, (size_t)need * sizeof *state);
    thread->th_state_flavor = flavor;
    return KERN_SUCCESS;
}

static port_t **thread_slot(kthread_t *thread, int which)
{
    switch (which) {
    case THREAD_KERNEL_PORT:
        return &thread->th_sself;
    case THREAD_EXCEPTION_PORT:
        return &thread->th_exception;
    }
    return NULL;
}

kern_return_t mk_thread_get_special_port(kthread_t *self, mach_port_name_t name, int which,
                                         mach_port_name_t *port)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    port_t **slot = thread_slot(thread, which);
    if (slot == NULL)
        return KERN_INVALID_ARGUMENT;
    *port = mk_kernel_right_copyout(self, *slot);
    return KERN_SUCCESS;
}

kern_return_t mk_thread_set_special_port(kthread_t *self, mach_port_name_t name, int which,
                                         mach_port_name_t port, mach_msg_type_name_t port_type)
{
    kern_return_t kr;
    kthread_t *thread = thread_arg(self, name, &kr);
    if (thread == NULL)
        return kr;
    naked_t right;
    kr = mk_send_right_copyin(self, port, port_type, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    port_t **slot = thread_slot(thread, which);
    if (slot == NULL) {
        port_release_naked(right);
        return KERN_INVALID_ARGUMENT;
    }
    mk_slot_replace(slot, right.port);
    return KERN_SUCCESS;
}
