/*
 * task.c: tasks, their kernel ports and special ports.
 *
 * Models GNU Mach's kern/task.c (task_create, task_terminate, task_threads, task_suspend,
 * task_resume) and kern/ipc_tt.c (ipc_task_init, ipc_task_terminate, mach_task_self,
 * task_get/set_special_port, convert_task_to_port). Rules K1, K2, K4-K7, H4, C2. The
 * registered ports (mach_ports_register/lookup, rules PR1-PR7 of docs/ports-register.md) are
 * model/ports_register.c's; a task keeps their slots (tk_registered).
 *
 * A task's port is a receive right the kernel holds (tk_self, ip_kernel) with a naked send
 * right beside it (tk_sself: what mach_task_self copies; set_special_port(KERNEL) interposes
 * it). Every RPC to a task names a send right to that port in the caller's space.
 *
 * task_create's new-task notification (K1) and register_new_task_notification are
 * model/host.c's (rules NT1, NT2 of docs/mach-rules.md).
 */
#include "model_int.h"

#include <stdlib.h>

static port_t *kernel_port_alloc(world_t *world, int kotype, void *object)
{
    port_t *port = port_alloc(world);
    if (port == NULL)
        return NULL;
    port->ip_kernel = true;
    port->ip_kotype = kotype;
    port->ip_kobject = object;
    return port;
}

/*
 * ktask_alloc: a new task, with the IPC state of ipc_task_init plus task_create_kernel's
 * inheritance (K1). Models ipc_task_init; rules K1, C2, PR7.
 * Conditions: parent is NULL (a boot task) or an active task.
 * Returns the task, or NULL if its port cannot be allocated (nothing is left behind).
 * With a parent, the child holds kernel copies (port_copy_send_kernel: null stays null, a dead
 * port becomes IO_DEAD, a live one srights+1) of the parent's bootstrap and exception ports and
 * of its TASK_PORT_REGISTER_MAX registered slots (PR7). None of them gets a name in the
 * child's space: only mach_ports_lookup (PR5) or task_get_special_port makes one.
 */
static ktask_t *ktask_alloc(world_t *world, ktask_t *parent)
{
    ktask_t *task = world_alloc(world, sizeof *task);
    task->tk_world = world;
    task->tk_id = world->w_next_task_id++;
    task->tk_active = true;
    task->tk_self = kernel_port_alloc(world, IKOT_TASK, task);
    if (task->tk_self == NULL) {
        world->w_next_task_id--;
        world_free(world, task);
        return NULL;
    }
    task->tk_space = space_create(world, task);
    port_make_send(task->tk_self);
    task->tk_sself = task->tk_self;
    if (parent != NULL) {
        task->tk_bootstrap = port_copy_send_kernel(parent->tk_bootstrap);
        task->tk_exception = port_copy_send_kernel(parent->tk_exception);
        registered_ports_inherit(task, parent);     /* PR7 (ports_register.c) */
    }
    if (world->w_config.ipc_compat) {
        /* C2: the space starts with a receive right for the task's notify port, and the kernel
         * keeps a send right to it (is_notify). */
        mach_port_name_t name;
        entry_t *entry;
        port_t *notify = port_alloc(world);
        if (notify != NULL && space_entry_alloc(task->tk_space, &entry) == KERN_SUCCESS) {
            entry->ie_type = MACH_PORT_TYPE_RECEIVE;
            entry->ie_port = notify;
            notify->ip_receiver = task->tk_space;
            notify->ip_receiver_name = name = entry->ie_name;
            space_rev_add(task->tk_space, entry);
            port_make_send(notify);
            task->tk_notify = notify;
        } else if (notify != NULL) {
            port_destroy(notify);
            port_release(notify);
        }
    }
    /* Oldest first: the world's list is kept in creation order. */
    ktask_t **pp = &world->w_tasks;
    while (*pp != NULL)
        pp = &(*pp)->tk_next;
    *pp = task;
    return task;
}

ktask_t *world_boot_task(world_t *world, ktask_t *parent)
{
    return ktask_alloc(world, parent);
}

mach_port_name_t world_give_task_port(ktask_t *task, ktask_t *target)
{
    naked_t right = {target->tk_self, MACH_MSG_TYPE_PORT_SEND};
    port_make_send(target->tk_self);
    mach_port_name_t name;
    if (right_copyout(task->tk_space, right, true, &name) != KERN_SUCCESS) {
        port_release_naked(right);
        return MACH_PORT_NULL;
    }
    return name;
}

uint32_t ktask_id(const ktask_t *task) { return task->tk_id; }
bool ktask_active(const ktask_t *task) { return task->tk_active; }
void ktask_set_user(ktask_t *task, void *user) { task->tk_user = user; }
void *ktask_user(const ktask_t *task) { return task->tk_user; }

ktask_t *ktask_by_name(ktask_t *task, mach_port_name_t name)
{
    if (task->tk_space == NULL)
        return NULL;
    entry_t *e = space_lookup(task->tk_space, name);
    if (e == NULL || !IO_VALID(e->ie_port) || !(e->ie_type & MACH_PORT_TYPE_SEND_RECEIVE))
        return NULL;
    return e->ie_port->ip_kotype == IKOT_TASK ? e->ie_port->ip_kobject : NULL;
}

/* Copies a send right the kernel holds out into the caller, overflow allowed (T5, K2, K7). */
mach_port_name_t mk_kernel_right_copyout(kthread_t *self, port_t *held)
{
    naked_t right = {port_copy_send_kernel(held), MACH_MSG_TYPE_PORT_SEND};
    mach_port_name_t name;
    if (right_copyout(self->th_task->tk_space, right, true, &name) != KERN_SUCCESS) {
        port_release_naked(right);
        return MACH_PORT_NULL;
    }
    return name;
}

mach_port_name_t mk_mach_task_self(kthread_t *self)
{
    return mk_kernel_right_copyout(self, self->th_task->tk_sself);
}

/* --- task_create, task_terminate ------------------------------------------------------------------ */

kern_return_t mk_task_create(kthread_t *self, mach_port_name_t parent_name,
                             boolean_t inherit_memory, mach_port_name_t *child)
{
    (void)inherit_memory; /* the address space is the runtime's */
    kern_return_t kr;
    ktask_t *parent = mk_task_of_name(self, parent_name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (parent == NULL)
        return KERN_INVALID_TASK;
    ktask_t *task = ktask_alloc(self->th_task->tk_world, parent);
    if (task == NULL)
        return KERN_RESOURCE_SHORTAGE;
    new_task_notify(task, parent); /* NT2: before ipc_task_enable, before the caller's right */
    *child = world_give_task_port(self->th_task, task);
    return KERN_SUCCESS;
}

/* Releases the naked send rights the task holds (K5 step 2). */
void ktask_release_kernel_rights(ktask_t *task)
{
    port_t *rights[4 + TASK_PORT_REGISTER_MAX];
    int n = 0;
    rights[n++] = task->tk_sself;
    rights[n++] = task->tk_exception;
    rights[n++] = task->tk_bootstrap;
    rights[n++] = task->tk_notify;
    n += registered_ports_take(task, rights + n);   /* PR7 (ports_register.c) */
    task->tk_sself = task->tk_exception = task->tk_bootstrap = task->tk_notify = NULL;
    for (int i = 0; i < n; i++)
        if (IO_VALID(rights[i]))
            port_release_send(rights[i]);
}

/* task_terminate's work, in K5's order. */
void ktask_terminate_internal(ktask_t *task)
{
    if (!task->tk_active)
        return;
    task->tk_active = false;
    /* 0: the port no longer converts to the task */
    task->tk_self->ip_kotype = IKOT_NONE;
    task->tk_self->ip_kobject = NULL;
    /* 1: threads, and their ports */
    for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next)
        kthread_terminate_internal(th);
    /* 2: naked send rights */
    ktask_release_kernel_rights(task);
    /* 3: the space */
    space_t *space = task->tk_space;
    task->tk_space = NULL;
    space_destroy(space);
    /* 4: the task port; holders' names become dead names */
    port_t *self_port = task->tk_self;
    task->tk_self = NULL;
    port_destroy(self_port);
    port_release(self_port);
}

kern_return_t mk_task_terminate(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task == NULL)
        return KERN_INVALID_ARGUMENT;
    if (!task->tk_active)
        return KERN_FAILURE;
    ktask_terminate_internal(task);
    return KERN_SUCCESS;
}

/* --- task_threads, suspend, resume ------------------------------------------------------------------- */

/* Added rule (H9): a terminated thread is not listed. GNU Mach lists it as MACH_PORT_NULL only
 * while something still holds a reference to the thread object (a call in flight); thread_terminate
 * here is synchronous and drops the last one, so that window never shows. */
kern_return_t mk_task_threads(kthread_t *self, mach_port_name_t name, mach_port_name_t **threads,
                              mach_msg_type_number_t *count)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task == NULL)
        return KERN_INVALID_ARGUMENT;
    if (!task->tk_active)
        return KERN_FAILURE;
    size_t n = 0;
    for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next)
        if (th->th_active)
            n++;
    *threads = n ? malloc(n * sizeof **threads) : NULL;
    if (n && *threads == NULL)
        abort();
    size_t i = 0;
    for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next) {
        if (!th->th_active)
            continue;
        /* A new send right per thread (make-send), merged into the caller (K4). */
        port_make_send(th->th_self);
        naked_t right = {th->th_self, MACH_MSG_TYPE_PORT_SEND};
        if (right_copyout(self->th_task->tk_space, right, true, &(*threads)[i]) != KERN_SUCCESS) {
            port_release_naked(right);
            (*threads)[i] = MACH_PORT_NULL;
        }
        i++;
    }
    *count = (mach_msg_type_number_t)n;
    return KERN_SUCCESS;
}

/* H4. A task hold is one suspend_count on each of its threads while user_stop_count > 0. */
kern_return_t mk_task_suspend(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task == NULL)
        return KERN_INVALID_ARGUMENT;
    if (task->tk_user_stop_count++ > 0)
        return task->tk_active ? KERN_SUCCESS : KERN_FAILURE;
    if (!task->tk_active)
        return KERN_FAILURE;
    task->tk_suspend_count++;
    for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next)
        if (th->th_active)
            th->th_suspend_count++;
    return KERN_SUCCESS;
}

kern_return_t mk_task_resume(kthread_t *self, mach_port_name_t name)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task == NULL)
        return KERN_INVALID_ARGUMENT;
    if (task->tk_user_stop_count == 0)
        return KERN_FAILURE;
    if (--task->tk_user_stop_count > 0)
        return KERN_SUCCESS;
    task->tk_suspend_count--;
    for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next)
        if (th->th_active && th->th_suspend_count > 0)
            th->th_suspend_count--;
    return KERN_SUCCESS;
}

/* --- special and registered ports (K6, K7) ----------------------------------------------------------- */

/* A kernel slot takes a new send right (or NULL or IO_DEAD) and releases the one it held. */
void mk_slot_replace(port_t **slot, port_t *right)
{
    port_t *old = *slot;
    *slot = right;
    if (IO_VALID(old))
        port_release_send(old);
}

static port_t **task_slot(ktask_t *task, int which)
{
    switch (which) {
    case TASK_KERNEL_PORT:
        return &task->tk_sself;
    case TASK_EXCEPTION_PORT:
        return &task->tk_exception;
    case TASK_BOOTSTRAP_PORT:
        return &task->tk_bootstrap;
    }
    return NULL;
}

kern_return_t mk_task_get_special_port(kthread_t *self, mach_port_name_t name, int which,
                                       mach_port_name_t *port)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    port_t **slot = task != NULL ? task_slot(task, which) : NULL;
    if (slot == NULL)
        return KERN_INVALID_ARGUMENT;
    if (!task->tk_active)
        return KERN_FAILURE;
    *port = mk_kernel_right_copyout(self, *slot);
    return KERN_SUCCESS;
}

/* Copies in a send right passed in a request body; NULL and DEAD pass as themselves. */
kern_return_t mk_send_right_copyin(kthread_t *self, mach_port_name_t name,
                                       mach_msg_type_name_t type, naked_t *out)
{
    out->type = MACH_MSG_TYPE_PORT_SEND;
    out->port = NULL;
    if (right_carried_type(type) != MACH_MSG_TYPE_PORT_SEND)
        return MACH_SEND_INVALID_TYPE;
    if (name == MACH_PORT_NULL)
        return KERN_SUCCESS;
    if (name == MACH_PORT_DEAD) {
        out->port = IO_DEAD;
        return KERN_SUCCESS;
    }
    if (right_copyin(self->th_task->tk_space, name, type, true, out) != KERN_SUCCESS)
        return MACH_SEND_INVALID_RIGHT;
    return KERN_SUCCESS;
}

kern_return_t mk_task_set_special_port(kthread_t *self, mach_port_name_t name, int which,
                                       mach_port_name_t port, mach_msg_type_name_t port_type)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    naked_t right;
    kr = mk_send_right_copyin(self, port, port_type, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    port_t **slot = task != NULL ? task_slot(task, which) : NULL;
    if (slot == NULL || !task->tk_active) {
        port_release_naked(right);
        return slot == NULL ? KERN_INVALID_ARGUMENT : KERN_FAILURE;
    }
    mk_slot_replace(slot, right.port);
    return KERN_SUCCESS;
}

