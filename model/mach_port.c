/*
 * mach_port.c: the mach_port_* calls as user space makes them.
 *
 * Models GNU Mach's ipc/mach_port.c (the kernel routines), the request message around each of
 * them (the task port as COPY_SEND destination, M10; rights passed in the request copied in
 * from the caller first, I1; rights in the reply copied out into the caller, X2), and the trap
 * shortcuts of kern/ipc_mig.c (K8). Every routine's checks run in the order the spec's rules
 * give (A2, R2, R3, I2, X1).
 */
#include "model_int.h"

#include <stdlib.h>

static bool name_valid(mach_port_name_t name)
{
    return MACH_PORT_VALID(name);
}

/* Looks up a name for a routine that writes (ipc_right_lookup_write): a dead space gives
 * KERN_INVALID_TASK, an unused name KERN_INVALID_NAME. */
static entry_t *lookup_write(space_t *space, mach_port_name_t name, kern_return_t *kr)
{
    if (!space->is_active) {
        *kr = KERN_INVALID_TASK;
        return NULL;
    }
    entry_t *entry = space_lookup(space, name);
    *kr = entry != NULL ? KERN_SUCCESS : KERN_INVALID_NAME;
    return entry;
}

/* Throws away a port nobody saw (its entry could not be made). */
static void port_discard(port_t *port)
{
    port_destroy(port);
    port_release(port);
}

/* --- allocate ---------------------------------------------------------------------------------- */

static kern_return_t port_allocate_in(space_t *space, mach_port_right_t right,
                                      mach_port_name_t *namep)
{
    entry_t *entry;
    kern_return_t kr;
    switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
        if (!space->is_active)
            return KERN_INVALID_TASK;
        port_t *port = port_alloc(space->is_world);
        if (port == NULL)
            return KERN_RESOURCE_SHORTAGE;
        kr = space_entry_alloc(space, &entry);
        if (kr != KERN_SUCCESS) {
            port_discard(port);
            return kr;
        }
        entry->ie_type = MACH_PORT_TYPE_RECEIVE;
        entry->ie_urefs = 0;
        entry->ie_port = port;
        port->ip_receiver = space;
        port->ip_receiver_name = entry->ie_name;
        space_rev_add(space, entry);
        *namep = entry->ie_name;
        return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_PORT_SET: {
        if (!space->is_active)
            return KERN_INVALID_TASK;
        pset_t *pset = pset_alloc(space->is_world);
        if (pset == NULL)
            return KERN_RESOURCE_SHORTAGE;
        kr = space_entry_alloc(space, &entry);
        if (kr != KERN_SUCCESS) {
            world_free(space->is_world, pset);
            return kr;
        }
        entry->ie_type = MACH_PORT_TYPE_PORT_SET;
        entry->ie_pset = pset;
        pset->ips_space = space;
        pset->ips_name = entry->ie_name;
        *namep = entry->ie_name;
        return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_DEAD_NAME:
        kr = space_entry_alloc(space, &entry);
        if (kr != KERN_SUCCESS)
            return kr;
        entry->ie_type = MACH_PORT_TYPE_DEAD_NAME;
        entry->ie_urefs = 1;
        *namep = entry->ie_name;
        return KERN_SUCCESS;
    }
    return KERN_INVALID_VALUE;
}

kern_return_t mk_mach_port_allocate(kthread_t *self, mach_port_name_t task,
                                    mach_port_right_t right, mach_port_name_t *name)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    return port_allocate_in(space, right, name);
}

static kern_return_t port_allocate_name_in(space_t *space, mach_port_right_t right,
                                           mach_port_name_t name)
{
    if (!name_valid(name))
        return KERN_INVALID_VALUE;
    if (right != MACH_PORT_RIGHT_RECEIVE && right != MACH_PORT_RIGHT_PORT_SET &&
        right != MACH_PORT_RIGHT_DEAD_NAME)
        return KERN_INVALID_VALUE;
    /*
     * The object is allocated before the name is reserved, as ipc_object_alloc_name does, so a
     * memory failure leaves no name behind (N3 step 6 lists only rename and insert_right).
     * Added rule: KERN_RESOURCE_SHORTAGE comes after A2 steps 4-5. A2 does not place it; in
     * GNU Mach the object is allocated before the space is checked, so there it would win.
     */
    if (!space->is_active)
        return KERN_INVALID_TASK;
    if (space_lookup(space, name) != NULL)
        return KERN_NAME_EXISTS;
    port_t *port = NULL;
    pset_t *pset = NULL;
    if (right == MACH_PORT_RIGHT_RECEIVE && (port = port_alloc(space->is_world)) == NULL)
        return KERN_RESOURCE_SHORTAGE;
    if (right == MACH_PORT_RIGHT_PORT_SET && (pset = pset_alloc(space->is_world)) == NULL)
        return KERN_RESOURCE_SHORTAGE;
    entry_t *entry;
    kern_return_t kr = space_entry_alloc_name(space, name, &entry);
    if (kr != KERN_SUCCESS) {
        if (port != NULL)
            port_discard(port);
        if (pset != NULL)
            world_free(space->is_world, pset);
        return kr;
    }
    switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
        entry->ie_type = MACH_PORT_TYPE_RECEIVE;
        entry->ie_port = port;
        port->ip_receiver = space;
        port->ip_receiver_name = name;
        space_rev_add(space, entry);
        break;
    }
    case MACH_PORT_RIGHT_PORT_SET: {
        entry->ie_type = MACH_PORT_TYPE_PORT_SET;
        entry->ie_pset = pset;
        pset->ips_space = space;
        pset->ips_name = name;
        break;
    }
    default:
        entry->ie_type = MACH_PORT_TYPE_DEAD_NAME;
        entry->ie_urefs = 1;
        break;
    }
    return KERN_SUCCESS;
}

kern_return_t mk_mach_port_allocate_name(kthread_t *self, mach_port_name_t task,
                                         mach_port_right_t right, mach_port_name_t name)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    return port_allocate_name_in(space, right, name);
}

mach_port_name_t mk_mach_reply_port(kthread_t *self)
{
    mach_port_name_t name;
    if (port_allocate_in(self->th_task->tk_space, MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS)
        return MACH_PORT_NULL;
    return name;
}

/* --- names, type, refs --------------------------------------------------------------------------- */

kern_return_t mk_mach_port_names(kthread_t *self, mach_port_name_t task,
                                 mach_port_name_t **names, mach_port_type_t **types,
                                 mach_msg_type_number_t *count)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    if (!space->is_active)
        return KERN_INVALID_TASK;
    *count = (mach_msg_type_number_t)space_names(space, names, types);
    return KERN_SUCCESS;
}

kern_return_t mk_mach_port_type(kthread_t *self, mach_port_name_t task, mach_port_name_t name,
                                mach_port_type_t *type)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    *type = right_info(space, entry);
    return KERN_SUCCESS;
}

kern_return_t mk_mach_port_get_refs(kthread_t *self, mach_port_name_t task,
                                    mach_port_name_t name, mach_port_right_t right,
                                    mach_port_urefs_t *refs)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    if (right >= MACH_PORT_RIGHT_NUMBER)
        return KERN_INVALID_VALUE;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    right_check(space, entry);
    mach_port_type_t type = entry->ie_type;
    if (!(type & MACH_PORT_TYPE(right)))
        *refs = 0;
    else if (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_DEAD_NAME)
        *refs = entry->ie_urefs;
    else
        *refs = 1;
    return KERN_SUCCESS;
}

/* --- mod_refs, deallocate, destroy, rename --------------------------------------------------------- */

kern_return_t mk_mach_port_mod_refs(kthread_t *self, mach_port_name_t task,
                                    mach_port_name_t name, mach_port_right_t right,
                                    mach_port_delta_t delta)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    if (right >= MACH_PORT_RIGHT_NUMBER)
        return KERN_INVALID_VALUE;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    return right_delta(space, entry, right, delta);
}

static kern_return_t port_deallocate_in(space_t *space, mach_port_name_t name)
{
    kern_return_t kr;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    return right_dealloc(space, entry);
}

kern_return_t mk_mach_port_deallocate(kthread_t *self, mach_port_name_t task,
                                      mach_port_name_t name)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    return port_deallocate_in(space, name);
}

kern_return_t mk_mach_port_destroy(kthread_t *self, mach_port_name_t task,
                                   mach_port_name_t name)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    right_destroy(space, entry);
    return KERN_SUCCESS;
}

kern_return_t mk_mach_port_rename(kthread_t *self, mach_port_name_t task,
                                  mach_port_name_t old_name, mach_port_name_t new_name)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    if (!name_valid(new_name))
        return KERN_INVALID_VALUE;
    return right_rename(space, old_name, new_name);
}

kern_return_t mk_mach_port_move_member(kthread_t *self, mach_port_name_t task,
                                       mach_port_name_t member, mach_port_name_t after)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    entry_t *mentry = lookup_write(space, member, &kr);
    if (mentry == NULL)
        return kr;
    entry_t *aentry = NULL;
    if (after != MACH_PORT_NULL) {
        aentry = space_lookup(space, after);
        if (aentry == NULL)
            return KERN_INVALID_NAME;
        if (!(aentry->ie_type & MACH_PORT_TYPE_PORT_SET))
            return KERN_INVALID_RIGHT;
    }
    if (!(mentry->ie_type & MACH_PORT_TYPE_RECEIVE))
        return KERN_INVALID_RIGHT;
    port_t *port = mentry->ie_port;
    if (aentry == NULL && port->ip_pset == NULL)
        return KERN_NOT_IN_SET;
    if (port->ip_pset != NULL)
        pset_remove(port);
    if (aentry != NULL)
        pset_add(aentry->ie_pset, port);
    return KERN_SUCCESS;
}

/* --- requests ------------------------------------------------------------------------------------- */

/* Copies in a right the caller passes in a request body (I1), dead rights allowed. NULL and
 * MACH_PORT_DEAD travel as themselves. */
kern_return_t body_copyin(kthread_t *self, mach_port_name_t name,
                          mach_msg_type_name_t disposition, naked_t *out)
{
    out->type = right_carried_type(disposition);
    out->port = NULL;
    if (out->type == 0)
        return MACH_SEND_INVALID_TYPE;
    if (name == MACH_PORT_NULL)
        return KERN_SUCCESS;
    if (name == MACH_PORT_DEAD) {
        out->port = IO_DEAD;
        return KERN_SUCCESS;
    }
    if (!self->th_task->tk_space->is_active)
        return MACH_SEND_INVALID_RIGHT;
    if (right_copyin(self->th_task->tk_space, name, disposition, true, out) != KERN_SUCCESS)
        return MACH_SEND_INVALID_RIGHT;
    return KERN_SUCCESS;
}

/* Copies a reply right out into the caller (X2: overflow allowed). */
static mach_port_name_t reply_copyout(kthread_t *self, naked_t right)
{
    mach_port_name_t name;
    if (right_copyout(self->th_task->tk_space, right, true, &name) != KERN_SUCCESS) {
        port_release_naked(right);
        return MACH_PORT_NULL;
    }
    return name;
}

static void dnrequest_add(space_t *space, entry_t *entry, port_t *port, port_t *notify)
{
    dnreq_t *req = world_alloc(space->is_world, sizeof *req);
    req->dr_port = port;
    req->dr_notify = notify;
    req->dr_space = space;
    req->dr_name = entry->ie_name;
    req->dr_next = port->ip_dnrequests;
    if (port->ip_dnrequests != NULL)
        port->ip_dnrequests->dr_prev = req;
    port->ip_dnrequests = req;
    entry->ie_request = req;
}

/* The routine of mach_port_request_notification (ipc/mach_port.c), after the null-space
 * check. On success `notify` has been consumed and *previous holds the old request's
 * send-once right (or NULL).
 * Conditions: space is not null. notify was copied in (NULL, DEAD or a send-once right).
 * Returns, in this order (rule D5, amended): KERN_INVALID_CAPABILITY when notify is DEAD, for
 *         every id, before the id, sync or the name is looked at; then KERN_INVALID_VALUE for
 *         an unknown id; then each id's own checks. */
static kern_return_t request_notification(space_t *space, mach_port_name_t name, mach_msg_id_t id,
                                          mach_port_mscount_t sync, port_t *notify,
                                          port_t **previous)
{
    kern_return_t kr;
    *previous = NULL;
    if (notify == IO_DEAD)
        return KERN_INVALID_CAPABILITY; /* D5: first, whatever the id */
    switch (id) {
    case MACH_NOTIFY_PORT_DESTROYED: {
        if (sync != 0)
            return KERN_INVALID_VALUE;
        entry_t *entry = lookup_write(space, name, &kr);
        if (entry == NULL)
            return kr;
        if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        *previous = entry->ie_port->ip_pdrequest;
        entry->ie_port->ip_pdrequest = notify;
        return KERN_SUCCESS;
    }
    case MACH_NOTIFY_NO_SENDERS: {
        entry_t *entry = lookup_write(space, name, &kr);
        if (entry == NULL)
            return kr;
        if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        port_t *port = entry->ie_port;
        *previous = port->ip_nsrequest;
        port->ip_nsrequest = NULL;
        if (notify != NULL && port->ip_srights == 0 && sync <= port->ip_mscount)
            notify_no_senders(notify, port->ip_mscount); /* D7: fires at once */
        else
            port->ip_nsrequest = notify;
        return KERN_SUCCESS;
    }
    case MACH_NOTIFY_DEAD_NAME: {
        entry_t *entry = lookup_write(space, name, &kr);
        if (entry == NULL)
            return kr;
        right_check(space, entry);
        if (entry->ie_type & MACH_PORT_TYPE_PORT_SET)
            return KERN_INVALID_RIGHT;
        if (entry->ie_type & MACH_PORT_TYPE_DEAD_NAME) {
            if (sync == 0 || notify == NULL)
                return KERN_INVALID_ARGUMENT;
            if (UREFS_OVERFLOW(entry->ie_urefs, 1))
                return KERN_UREFS_OVERFLOW;
            entry->ie_urefs++;
            notify_dead_name(notify, name);
            return KERN_SUCCESS;
        }
        port_t *port = entry->ie_port;
        if (entry->ie_request != NULL) {
            dnreq_t *req = entry->ie_request;
            *previous = req->dr_notify;
            req->dr_notify = NULL;
            port_dnrequest_cancel(port, req, name); /* no notification: dr_notify taken */
            entry->ie_request = NULL;
        }
        if (notify != NULL)
            dnrequest_add(space, entry, port, notify);
        return KERN_SUCCESS;
    }
    }
    return KERN_INVALID_VALUE;
}

kern_return_t mk_mach_port_request_notification(kthread_t *self, mach_port_name_t task,
                                                mach_port_name_t name, mach_msg_id_t id,
                                                mach_port_mscount_t sync,
                                                mach_port_name_t notify,
                                                mach_msg_type_name_t notify_type,
                                                mach_port_name_t *previous)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL && kr == MACH_SEND_INVALID_DEST)
        return kr;
    if (notify_type != MACH_MSG_TYPE_MAKE_SEND_ONCE && notify_type != MACH_MSG_TYPE_MOVE_SEND_ONCE)
        return MACH_SEND_INVALID_TYPE;
    naked_t right;
    kr = body_copyin(self, notify, notify_type, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    port_t *prev = NULL;
    kr = space == NULL ? KERN_INVALID_TASK
                       : request_notification(space, name, id, sync, right.port, &prev);
    if (kr != KERN_SUCCESS) {
        port_release_naked(right); /* the request's rights are destroyed (M11) */
        return kr;
    }
    naked_t p = {prev, MACH_MSG_TYPE_PORT_SEND_ONCE};
    *previous = reply_copyout(self, p);
    return KERN_SUCCESS;
}

/* --- insert_right and extract_right ---------------------------------------------------------------- */

/* The routine of mach_port_insert_right from I2 step 1, with the carried right; destroys it on
 * failure (I4). */
static kern_return_t insert_right_routine(space_t *space, mach_port_name_t name, naked_t right)
{
    kern_return_t kr;
    if (space == NULL)
        kr = KERN_INVALID_TASK;
    else if (!name_valid(name) || right.type < MACH_MSG_TYPE_PORT_RECEIVE ||
             right.type > MACH_MSG_TYPE_PORT_SEND_ONCE)
        kr = KERN_INVALID_VALUE;
    else if (!IO_VALID(right.port))
        kr = KERN_INVALID_CAPABILITY;
    else
        kr = right_copyout_name(space, name, right);
    if (kr != KERN_SUCCESS)
        port_release_naked(right);
    return kr;
}

kern_return_t mk_mach_port_insert_right(kthread_t *self, mach_port_name_t task,
                                        mach_port_name_t name, mach_port_name_t poly,
                                        mach_msg_type_name_t poly_type)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL && kr == MACH_SEND_INVALID_DEST)
        return kr;
    /* A poly_type that is not a port disposition travels as plain data (ipc_kmsg_copyin_body
     * copies in only MACH_MSG_TYPE_PORT_ANY items, and MIG's server stub does not check a
     * polymorphic argument's type name): the routine sees that type, KERN_INVALID_VALUE after
     * the null-space check (I2 steps 1-2). */
    if (right_carried_type(poly_type) == 0) {
        naked_t data = {NULL, poly_type};
        return insert_right_routine(space, name, data);
    }
    naked_t right;
    kr = body_copyin(self, poly, poly_type, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    world_t *world = self->th_task->tk_world;
    if (world->w_after_copyin != NULL)
        world->w_after_copyin(world, world->w_after_copyin_arg);
    return insert_right_routine(space, name, right);
}

kern_return_t mk_mach_port_extract_right(kthread_t *self, mach_port_name_t task,
                                         mach_port_name_t name, mach_msg_type_name_t desired,
                                         mach_port_name_t *poly, mach_msg_type_name_t *poly_type)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    if (desired < MACH_MSG_TYPE_MOVE_RECEIVE || desired > MACH_MSG_TYPE_MAKE_SEND_ONCE)
        return KERN_INVALID_VALUE;
    if (!space->is_active)
        return KERN_INVALID_TASK;
    naked_t right;
    kr = right_copyin(space, name, desired, true, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    *poly_type = right.type;
    *poly = reply_copyout(self, right);
    return KERN_SUCCESS;
}

/* --- queue limit, make-send count ------------------------------------------------------------------- */

kern_return_t mk_mach_port_set_qlimit(kthread_t *self, mach_port_name_t task,
                                      mach_port_name_t name, mach_port_msgcount_t qlimit)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    if (qlimit > QLIMIT_MAX)
        return KERN_INVALID_VALUE;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
        return KERN_INVALID_RIGHT;
    port_t *port = entry->ie_port;
    unsigned old = port->ip_qlimit;
    port->ip_qlimit = qlimit;
    /* Raising the limit wakes up to (new - old) blocked senders (M3), through the wake hook. */
    mqueue_qlimit_raised(port, old, qlimit);
    return KERN_SUCCESS;
}

kern_return_t mk_mach_port_set_mscount(kthread_t *self, mach_port_name_t task,
                                       mach_port_name_t name, mach_port_mscount_t mscount)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    if (space == NULL)
        return kr;
    entry_t *entry = lookup_write(space, name, &kr);
    if (entry == NULL)
        return kr;
    if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
        return KERN_INVALID_RIGHT;
    entry->ie_port->ip_mscount = mscount;
    return KERN_SUCCESS;
}

/* --- trap shortcuts (K8) ------------------------------------------------------------------------------ */

/* port_name_to_space: the caller's send right to an active task's port, or NULL.
 * Added rule: a name whose port died is converted to a dead name here (R0), as the slow path of
 * port_name_to_space does through ipc_object_copyin(COPY_SEND); K8 does not say. */
static space_t *trap_space(kthread_t *self, mach_port_name_t task)
{
    kern_return_t kr;
    space_t *space = mk_space_of_task_name(self, task, &kr);
    return kr == KERN_SUCCESS ? space : NULL;
}

kern_return_t mk_trap_mach_port_allocate(kthread_t *self, mach_port_name_t task,
                                         mach_port_right_t right, mach_port_name_t *name)
{
    space_t *space = trap_space(self, task);
    if (space == NULL)
        return MACH_SEND_INTERRUPTED;
    return port_allocate_in(space, right, name);
}

kern_return_t mk_trap_mach_port_deallocate(kthread_t *self, mach_port_name_t task,
                                           mach_port_name_t name)
{
    space_t *space = trap_space(self, task);
    if (space == NULL)
        return MACH_SEND_INTERRUPTED;
    return port_deallocate_in(space, name);
}

kern_return_t mk_trap_mach_port_allocate_name(kthread_t *self, mach_port_name_t task,
                                              mach_port_right_t right, mach_port_name_t name)
{
    space_t *space = trap_space(self, task);
    if (space == NULL)
        return MACH_SEND_INTERRUPTED;
    return port_allocate_name_in(space, right, name);
}

kern_return_t mk_trap_mach_port_insert_right(kthread_t *self, mach_port_name_t task,
                                             mach_port_name_t name, mach_port_name_t poly,
                                             mach_msg_type_name_t poly_type)
{
    space_t *space = trap_space(self, task);
    if (space == NULL)
        return MACH_SEND_INTERRUPTED;
    if (right_carried_type(poly_type) == 0)
        return KERN_INVALID_VALUE;
    naked_t right = {NULL, right_carried_type(poly_type)};
    if (poly == MACH_PORT_DEAD) {
        right.port = IO_DEAD;
    } else if (poly != MACH_PORT_NULL) {
        kern_return_t kr = right_copyin(self->th_task->tk_space, poly, poly_type, true, &right);
        if (kr != KERN_SUCCESS)
            return kr;
    }
    world_t *world = self->th_task->tk_world;
    if (world->w_after_copyin != NULL)
        world->w_after_copyin(world, world->w_after_copyin_arg);
    return insert_right_routine(space, name, right);
}
