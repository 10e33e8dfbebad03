/*
 * right.c: what happens to the rights under one name.
 *
 * Models GNU Mach's ipc/ipc_right.c: the lazy dead-name conversion (ipc_right_check; rules R0,
 * D3), reported types (ipc_right_info; T6), changing user references (ipc_right_delta; R3),
 * deallocate and destroy (ipc_right_dealloc, ipc_right_destroy; R4, R5), the cleanup at space
 * teardown (ipc_right_clean; K5), copy-in from a space into a message (ipc_right_copyin; I1,
 * X1), copy-out from a message into a space (ipc_right_copyout, ipc_object_copyout_name; T3,
 * T5, I2, I3, X2), and rename (ipc_right_rename; A4).
 *
 * Dead-name requests: a live request is on its port's list and named by the entry; once the
 * port dies it has fired (its notification sent) and only the entry holds it, until the lazy
 * conversion turns it into the +1 uref (D3). An entry freed while its port lives cancels the
 * request with a port-deleted notification (D5).
 */
#include "model_int.h"

/* Takes the entry's dead-name request off it. Returns the send-once right to notify with
 * MACH_NOTIFY_PORT_DELETED if the request was live (the caller sends it after finishing, as
 * Mach does), NULL if there was none or it had fired. */
static port_t *request_detach(space_t *space, entry_t *entry)
{
    dnreq_t *req = entry->ie_request;
    if (req == NULL)
        return NULL;
    entry->ie_request = NULL;
    port_t *notify = req->dr_port != NULL ? req->dr_notify : NULL;
    port_dnrequest_unlink(req);
    port_dnrequest_free(space->is_world, req);
    return notify;
}

static void entry_set_port_entry(space_t *space, entry_t *entry)
{
    if (entry->ie_type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE))
        space_rev_add(space, entry);
    else
        space_rev_remove(space, entry);
}

/*
 * right_check: if the entry is a send or send-once right whose port has died, converts it to
 * a dead name now (ipc_right_check; R0, D3): same name; urefs n for send, 1 for send-once, +1
 * if it had a dead-name request (the uref the dead-name notification carried); no
 * notification. Returns true if it converted. The conversion stays whatever the caller then
 * returns.
 */
bool right_check(space_t *space, entry_t *entry)
{
    mach_port_type_t type = entry->ie_type;
    if (!(type & MACH_PORT_TYPE_SEND_RIGHTS) || (type & MACH_PORT_TYPE_RECEIVE))
        return false;
    port_t *port = entry->ie_port;
    if (port->ip_active)
        return false;
    mach_port_urefs_t urefs = (type & MACH_PORT_TYPE_SEND) ? entry->ie_urefs : 1;
    if (entry->ie_request != NULL) {
        urefs++;
        request_detach(space, entry);
    }
    space_rev_remove(space, entry);
    entry->ie_type = MACH_PORT_TYPE_DEAD_NAME;
    entry->ie_urefs = urefs;
    entry->ie_port = NULL;
    if (type & MACH_PORT_TYPE_SEND) {
        port->ip_srights--;
        RIGHT_DESTROYED(port, WORLD_RIGHT_SEND);
    } else {
        port->ip_sorights--;
        RIGHT_DESTROYED(port, WORLD_RIGHT_SEND_ONCE);
    }
    port_release(port);
    return true;
}

/* ipc_right_info: the type with T6's flags, after R0. */
mach_port_type_t right_info(space_t *space, entry_t *entry)
{
    right_check(space, entry);
    return entry->ie_type | (entry->ie_request != NULL ? MACH_PORT_TYPE_DNREQUEST : 0);
}

/* Frees a name whose rights the caller has taken. */
static void entry_free(space_t *space, entry_t *entry)
{
    space_entry_dealloc(space, entry);
}

/*
 * right_destroy_common: every right under the name goes (R5, and K5 step 3 when `clean`).
 * With clean the entry is left for the space teardown to free; otherwise it is freed first,
 * as ipc_right_destroy does before touching the object.
 */
static void right_destroy_common(space_t *space, entry_t *entry, bool clean)
{
    mach_port_type_t type = entry->ie_type;
    mach_port_name_t name = entry->ie_name;

    if (type & MACH_PORT_TYPE_DEAD_NAME) {
        if (entry->ie_request != NULL)
            request_detach(space, entry);
        if (!clean)
            entry_free(space, entry);
        return;
    }
    if (type & MACH_PORT_TYPE_PORT_SET) {
        pset_t *pset = entry->ie_pset;
        if (!clean)
            entry_free(space, entry);
        pset_destroy(pset);
        return;
    }
    port_t *port = entry->ie_port;
    if (!port->ip_active) {
        /* A send or send-once right to a dead port: freed, no notification (R5). */
        if (entry->ie_request != NULL)
            request_detach(space, entry);
        space_rev_remove(space, entry);
        if (type & MACH_PORT_TYPE_SEND) {
            port->ip_srights--;
            RIGHT_DESTROYED(port, WORLD_RIGHT_SEND);
        } else {
            port->ip_sorights--;
            RIGHT_DESTROYED(port, WORLD_RIGHT_SEND_ONCE);
        }
        entry->ie_port = NULL;
        if (!clean)
            entry_free(space, entry);
        port_release(port);
        return;
    }
    port_t *request = request_detach(space, entry);
    if (!clean)
        entry_free(space, entry);
    else
        space_rev_remove(space, entry);

    port_t *nsrequest = NULL;
    mach_port_mscount_t mscount = 0;
    if (type & MACH_PORT_TYPE_SEND) {
        RIGHT_DESTROYED(port, WORLD_RIGHT_SEND);
        if (--port->ip_srights == 0 && port->ip_nsrequest != NULL) {
            nsrequest = port->ip_nsrequest;
            port->ip_nsrequest = NULL;
            mscount = port->ip_mscount;
        }
        port_release(port);
    }
    if (type & MACH_PORT_TYPE_RECEIVE) {
        port_destroy(port);
        port_release(port);
    } else if (type & MACH_PORT_TYPE_SEND_ONCE) {
        port_release_send_once(port);
    }
    if (nsrequest != NULL)
        notify_no_senders(nsrequest, mscount);
    if (request != NULL)
        notify_port_deleted(request, name);
}

void right_destroy(space_t *space, entry_t *entry)
{
    right_destroy_common(space, entry, false);
}

void right_clean(space_t *space, entry_t *entry)
{
    right_destroy_common(space, entry, true);
}

/* Drops the send right held under entry (a SEND or SEND|RECEIVE entry with its last uref). */
static void entry_drop_send(space_t *space, entry_t *entry)
{
    port_t *port = entry->ie_port;
    if (entry->ie_type & MACH_PORT_TYPE_RECEIVE) {
        entry->ie_type &= ~MACH_PORT_TYPE_SEND;
        entry->ie_urefs = 0;
        port_release_send(port);
        return;
    }
    mach_port_name_t name = entry->ie_name;
    port_t *request = request_detach(space, entry);
    entry_free(space, entry);
    port_release_send(port);
    if (request != NULL)
        notify_port_deleted(request, name);
}

static void entry_drop_send_once(space_t *space, entry_t *entry)
{
    port_t *port = entry->ie_port;
    mach_port_name_t name = entry->ie_name;
    port_t *request = request_detach(space, entry);
    entry_free(space, entry);
    port_release_send_once(port);
    if (request != NULL)
        notify_port_deleted(request, name);
}

/* Destroys the receive right under entry (mod_refs RECEIVE -1; R3). */
static void entry_destroy_receive(space_t *space, entry_t *entry)
{
    port_t *port = entry->ie_port;
    mach_port_name_t name = entry->ie_name;
    if (entry->ie_type & MACH_PORT_TYPE_SEND) {
        /*
         * SEND|RECEIVE: the name becomes a dead name keeping its send urefs, +1 for a
         * dead-name request, which fires when the port dies. srights is not decremented: the
         * send right is leaked into the dead name. With a port-destroyed request the port
         * survives with that leaked right and the request stays registered on it.
         */
        dnreq_t *req = entry->ie_request;
        space_rev_remove(space, entry);
        entry->ie_type = MACH_PORT_TYPE_DEAD_NAME;
        entry->ie_urefs += (req != NULL) ? 1 : 0;
        entry->ie_port = NULL;
        entry->ie_request = NULL;
        if (req != NULL)
            req->dr_orphan = true; /* the port owns it now; freed when it fires */
        port->ip_leaked_srights++;
        port_destroy(port);
        port_release(port);
        return;
    }
    port_t *request = request_detach(space, entry);
    entry_free(space, entry);
    port_destroy(port);
    port_release(port);
    if (request != NULL)
        notify_port_deleted(request, name);
}

/*
 * right_delta: mach_port_mod_refs on an entry in use. Models ipc_right_delta; rule R3.
 * Conditions: right < MACH_PORT_RIGHT_NUMBER (the caller checked).
 * Returns: KERN_SUCCESS, KERN_INVALID_RIGHT, KERN_INVALID_VALUE, KERN_UREFS_OVERFLOW, in the
 * order R3 gives for each kind of right. For SEND and SEND_ONCE the delta checks run before the
 * death check, so an unconverted dead entry answers a bad delta with INVALID_VALUE or
 * UREFS_OVERFLOW (D3); the conversion stays.
 */
kern_return_t right_delta(space_t *space, entry_t *entry, mach_port_right_t right,
                          mach_port_delta_t delta)
{
    mach_port_type_t type = entry->ie_type;
    switch (right) {
    case MACH_PORT_RIGHT_RECEIVE:
        if (!(type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        if (delta == 0)
            return KERN_SUCCESS;
        if (delta != -1)
            return KERN_INVALID_VALUE;
        entry_destroy_receive(space, entry);
        return KERN_SUCCESS;

    case MACH_PORT_RIGHT_PORT_SET:
        if (!(type & MACH_PORT_TYPE_PORT_SET))
            return KERN_INVALID_RIGHT;
        if (delta == 0)
            return KERN_SUCCESS;
        if (delta != -1)
            return KERN_INVALID_VALUE;
        right_destroy(space, entry);
        return KERN_SUCCESS;

    case MACH_PORT_RIGHT_SEND_ONCE:
        if (!(type & MACH_PORT_TYPE_SEND_ONCE))
            return KERN_INVALID_RIGHT;
        if (delta > 0 || delta < -1)
            return KERN_INVALID_VALUE;
        if (right_check(space, entry))
            return KERN_INVALID_RIGHT;
        if (delta == 0)
            return KERN_SUCCESS;
        entry_drop_send_once(space, entry);
        return KERN_SUCCESS;

    case MACH_PORT_RIGHT_SEND:
        if (!(type & MACH_PORT_TYPE_SEND))
            return KERN_INVALID_RIGHT;
        if (UREFS_UNDERFLOW(entry->ie_urefs, delta))
            return KERN_INVALID_VALUE;
        if (UREFS_OVERFLOW(entry->ie_urefs + 1, delta))
            return KERN_UREFS_OVERFLOW;
        if (right_check(space, entry))
            return KERN_INVALID_RIGHT;
        if (entry->ie_urefs + delta == 0) {
            entry_drop_send(space, entry);
            return KERN_SUCCESS;
        }
        entry->ie_urefs += delta;
        return KERN_SUCCESS;

    case MACH_PORT_RIGHT_DEAD_NAME:
        if (type & MACH_PORT_TYPE_SEND_RIGHTS) {
            if (!right_check(space, entry))
                return KERN_INVALID_RIGHT; /* a live send or send-once right */
            type = entry->ie_type;
        }
        if (!(type & MACH_PORT_TYPE_DEAD_NAME))
            return KERN_INVALID_RIGHT;
        if (UREFS_UNDERFLOW(entry->ie_urefs, delta))
            return KERN_INVALID_VALUE;
        if (UREFS_OVERFLOW(entry->ie_urefs, delta))
            return KERN_UREFS_OVERFLOW;
        entry->ie_urefs += delta;
        if (entry->ie_urefs == 0)
            entry_free(space, entry);
        return KERN_SUCCESS;
    }
    return KERN_INVALID_VALUE;
}

/*
 * right_dealloc: mach_port_deallocate on an entry in use. Models ipc_right_dealloc; rule R4.
 * Returns KERN_SUCCESS, or KERN_INVALID_RIGHT for a receive-only name or a port set.
 */
kern_return_t right_dealloc(space_t *space, entry_t *entry)
{
    right_check(space, entry);
    mach_port_type_t type = entry->ie_type;
    if (type & MACH_PORT_TYPE_DEAD_NAME) {
        if (--entry->ie_urefs == 0)
            entry_free(space, entry);
        return KERN_SUCCESS;
    }
    if (type & MACH_PORT_TYPE_SEND_ONCE) {
        entry_drop_send_once(space, entry);
        return KERN_SUCCESS;
    }
    if (type & MACH_PORT_TYPE_SEND) {
        if (entry->ie_urefs == 1)
            entry_drop_send(space, entry);
        else
            entry->ie_urefs--;
        return KERN_SUCCESS;
    }
    return KERN_INVALID_RIGHT;
}

/* The carried type of a disposition (ipc_object_copyin_type; X2). */
mach_msg_type_name_t right_carried_type(mach_msg_type_name_t disposition)
{
    switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
        return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
        return MACH_MSG_TYPE_PORT_SEND_ONCE;
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
        return MACH_MSG_TYPE_PORT_SEND;
    }
    return 0;
}

/* A MOVE of a dead right removes one dead-name uref (I1, X1). */
static void dead_uref_drop(space_t *space, entry_t *entry)
{
    if (--entry->ie_urefs == 0)
        entry_free(space, entry);
}

/*
 * right_copyin: takes the right `name` with disposition msgt out of space into *out, with the
 * side effects on the entry that I1 (caller side) and X1 (target of extract_right) list.
 * Models ipc_right_copyin (with ipc_object_copyin's lookup).
 * Conditions: msgt is one of MACH_MSG_TYPE_MOVE_RECEIVE .. MAKE_SEND_ONCE (16-21).
 * Returns: KERN_SUCCESS       *out holds the right (IO_DEAD for a dead right when allow_dead).
 *          KERN_INVALID_NAME  the name is unused.
 *          KERN_INVALID_RIGHT the name does not hold what the disposition needs (or the right
 *                             is dead and allow_dead is false).
 * R0's conversion of a dead entry stays even on failure. Nothing else changes on failure.
 */
kern_return_t right_copyin(space_t *space, mach_port_name_t name, mach_msg_type_name_t msgt,
                           bool allow_dead, naked_t *out)
{
    entry_t *entry = space_lookup(space, name);
    if (entry == NULL)
        return KERN_INVALID_NAME;
    out->type = right_carried_type(msgt);
    out->port = NULL;
    port_t *port = entry->ie_port;

    switch (msgt) {
    case MACH_MSG_TYPE_MAKE_SEND:
        if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        port_make_send(port);
        out->port = port;
        return KERN_SUCCESS;

    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
        if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        port_make_send_once(port);
        out->port = port;
        return KERN_SUCCESS;

    case MACH_MSG_TYPE_MOVE_RECEIVE: {
        if (!(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        port_t *request = NULL;
        if (entry->ie_type & MACH_PORT_TYPE_SEND) {
            entry->ie_type = MACH_PORT_TYPE_SEND; /* keeps urefs and its request */
        } else {
            request = request_detach(space, entry);
            entry_free(space, entry);
        }
        port_clear_receiver(port);
        out->port = port;
        if (request != NULL)
            notify_port_deleted(request, name);
        return KERN_SUCCESS;
    }

    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MOVE_SEND:
        right_check(space, entry);
        if (entry->ie_type & MACH_PORT_TYPE_DEAD_NAME) {
            if (!allow_dead)
                return KERN_INVALID_RIGHT;
            out->port = IO_DEAD;
            if (msgt == MACH_MSG_TYPE_MOVE_SEND)
                dead_uref_drop(space, entry);
            return KERN_SUCCESS;
        }
        if (!(entry->ie_type & MACH_PORT_TYPE_SEND))
            return KERN_INVALID_RIGHT;
        out->port = port;
        if (msgt == MACH_MSG_TYPE_COPY_SEND) {
            port_copy_send(port);
        } else if (entry->ie_urefs > 1) {
            entry->ie_urefs--;
            port_copy_send(port); /* a second holder now: the entry keeps its own */
        } else if (entry->ie_type & MACH_PORT_TYPE_RECEIVE) {
            entry->ie_type = MACH_PORT_TYPE_RECEIVE; /* the holder moves out */
            entry->ie_urefs = 0;
        } else {
            port_t *request = request_detach(space, entry);
            entry_free(space, entry);
            if (request != NULL)
                notify_port_deleted(request, name);
        }
        return KERN_SUCCESS;

    case MACH_MSG_TYPE_MOVE_SEND_ONCE: {
        right_check(space, entry);
        if (entry->ie_type & MACH_PORT_TYPE_DEAD_NAME) {
            if (!allow_dead)
                return KERN_INVALID_RIGHT;
            out->port = IO_DEAD;
            dead_uref_drop(space, entry);
            return KERN_SUCCESS;
        }
        if (!(entry->ie_type & MACH_PORT_TYPE_SEND_ONCE))
            return KERN_INVALID_RIGHT;
        port_t *request = request_detach(space, entry);
        entry_free(space, entry);
        out->port = port;
        if (request != NULL)
            notify_port_deleted(request, name);
        return KERN_SUCCESS;
    }
    }
    return KERN_INVALID_VALUE;
}

/* Puts the receive right of port under entry (which may already hold its send right). */
static void entry_take_receive(space_t *space, entry_t *entry, port_t *port)
{
    entry->ie_type |= MACH_PORT_TYPE_RECEIVE;
    entry->ie_port = port;
    port->ip_receiver = space;
    port->ip_receiver_name = entry->ie_name;
    port->ip_kernel = false;
    entry_set_port_entry(space, entry);
}

/*
 * right_copyout: puts `right` into space under a kernel-chosen name, or merges it with the
 * name the space already has for that port (T3). Models ipc_object_copyout / ipc_right_copyout.
 * Conditions: the caller gives up `right`.
 * With overflow_ok (message receive, mach_task_self, RPC replies), a send right arriving at an
 * entry with 65534 urefs is absorbed and the call succeeds, pegged (T5); without it the call
 * fails with KERN_UREFS_OVERFLOW. A send-once right always gets a fresh name (T2). A right to a
 * dead port, or IO_DEAD, gives MACH_PORT_DEAD; NULL gives MACH_PORT_NULL.
 * Returns: KERN_SUCCESS (*namep set), KERN_UREFS_OVERFLOW, KERN_INVALID_TASK,
 *          KERN_RESOURCE_SHORTAGE. On failure the right is still the caller's.
 */
kern_return_t right_copyout(space_t *space, naked_t right, bool overflow_ok,
                            mach_port_name_t *namep)
{
    port_t *port = right.port;
    if (port == NULL) {
        *namep = MACH_PORT_NULL;
        return KERN_SUCCESS;
    }
    if (port == IO_DEAD) {
        *namep = MACH_PORT_DEAD;
        return KERN_SUCCESS;
    }
    if (!space->is_active)
        return KERN_INVALID_TASK;
    if (!port->ip_active) {
        port_release_naked(right);
        *namep = MACH_PORT_DEAD;
        return KERN_SUCCESS;
    }
    entry_t *entry = NULL;
    kern_return_t kr;
    switch (right.type) {
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
        kr = space_entry_alloc(space, &entry);
        if (kr != KERN_SUCCESS)
            return kr;
        entry->ie_type = MACH_PORT_TYPE_SEND_ONCE;
        entry->ie_urefs = 1;
        entry->ie_port = port;
        *namep = entry->ie_name;
        return KERN_SUCCESS;

    case MACH_MSG_TYPE_PORT_SEND:
        entry = space_reverse(space, port);
        if (entry != NULL) {
            if (entry->ie_type & MACH_PORT_TYPE_SEND) {
                if (entry->ie_urefs + 1 >= MACH_PORT_UREFS_MAX) {
                    if (!overflow_ok)
                        return KERN_UREFS_OVERFLOW;
                    /* pegged: the right is absorbed (T5) */
                } else {
                    entry->ie_urefs++;
                }
                port->ip_srights--; /* merged: one holder fewer (D6) */
                RIGHT_DESTROYED(port, WORLD_RIGHT_SEND);
                port_release(port);
            } else {
                entry->ie_type |= MACH_PORT_TYPE_SEND;
                entry->ie_urefs = 1;
            }
            *namep = entry->ie_name;
            return KERN_SUCCESS;
        }
        kr = space_entry_alloc(space, &entry);
        if (kr != KERN_SUCCESS)
            return kr;
        entry->ie_type = MACH_PORT_TYPE_SEND;
        entry->ie_urefs = 1;
        entry->ie_port = port;
        space_rev_add(space, entry);
        *namep = entry->ie_name;
        return KERN_SUCCESS;

    case MACH_MSG_TYPE_PORT_RECEIVE:
        entry = space_reverse(space, port);
        if (entry == NULL) {
            kr = space_entry_alloc(space, &entry);
            if (kr != KERN_SUCCESS)
                return kr;
            entry->ie_urefs = 0;
        } else {
            /* Its send right is already here: the holders merge (D6). */
        }
        entry_take_receive(space, entry, port);
        *namep = entry->ie_name;
        return KERN_SUCCESS;
    }
    return KERN_INVALID_VALUE;
}

/*
 * right_copyout_name: mach_port_insert_right's routine from its step 4 on (I2 steps 4-8, I3).
 * Models ipc_object_copyout_name.
 * Conditions: right.port is a port (not NULL or IO_DEAD: the caller returned
 *             KERN_INVALID_CAPABILITY for those, step 3); name is valid (step 2).
 * Returns: KERN_SUCCESS, KERN_INVALID_TASK (dead space), KERN_RESOURCE_SHORTAGE,
 *          KERN_RIGHT_EXISTS (the port is here under another name; wins over the name being in
 *          use), KERN_UREFS_OVERFLOW (merge at 65534), KERN_NAME_EXISTS, KERN_INVALID_CAPABILITY
 *          (the port died since copy-in). On failure the right is still the caller's; a name
 *          reserved for the call goes back to the free list head (N3 step 6).
 */
kern_return_t right_copyout_name(space_t *space, mach_port_name_t name, naked_t right)
{
    port_t *port = right.port;
    entry_t *entry;
    kern_return_t kr = space_entry_alloc_name(space, name, &entry);
    if (kr != KERN_SUCCESS)
        return kr;
    bool fresh = entry->ie_type == 0;

    if (right.type != MACH_MSG_TYPE_PORT_SEND_ONCE && port->ip_active) {
        entry_t *oentry = space_reverse(space, port);
        if (oentry != NULL && oentry != entry) {
            if (fresh)
                space_entry_dealloc(space, entry);
            return KERN_RIGHT_EXISTS;
        }
        if (oentry == entry) {
            /* merge (I3) */
            if (right.type == MACH_MSG_TYPE_PORT_SEND) {
                if (entry->ie_type & MACH_PORT_TYPE_SEND) {
                    if (entry->ie_urefs + 1 >= MACH_PORT_UREFS_MAX)
                        return KERN_UREFS_OVERFLOW;
                    entry->ie_urefs++;
                    port->ip_srights--;
                    RIGHT_DESTROYED(port, WORLD_RIGHT_SEND);
                    port_release(port);
                } else {
                    entry->ie_type |= MACH_PORT_TYPE_SEND;
                    entry->ie_urefs = 1;
                }
            } else {
                entry_take_receive(space, entry, port);
            }
            return KERN_SUCCESS;
        }
    }
    if (!fresh)
        return KERN_NAME_EXISTS;
    if (!port->ip_active) {
        space_entry_dealloc(space, entry);
        return KERN_INVALID_CAPABILITY;
    }
    entry->ie_port = port;
    switch (right.type) {
    case MACH_MSG_TYPE_PORT_SEND:
        entry->ie_type = MACH_PORT_TYPE_SEND;
        entry->ie_urefs = 1;
        space_rev_add(space, entry);
        break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
        entry->ie_type = MACH_PORT_TYPE_SEND_ONCE;
        entry->ie_urefs = 1;
        break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
        entry->ie_urefs = 0;
        entry_take_receive(space, entry, port);
        break;
    }
    return KERN_SUCCESS;
}

/*
 * right_rename: mach_port_rename's work after the new name is checked valid. Models
 * ipc_object_rename / ipc_right_rename; rules A4, N3 step 6.
 * Returns: KERN_SUCCESS, KERN_NAME_EXISTS (new in use; checked first), KERN_INVALID_NAME (old
 *          unused, or old == new), KERN_INVALID_TASK, KERN_RESOURCE_SHORTAGE. On failure a name
 *          reserved for new goes back to the free list head.
 */
kern_return_t right_rename(space_t *space, mach_port_name_t old_name, mach_port_name_t new_name)
{
    entry_t *nentry;
    kern_return_t kr = space_entry_alloc_name(space, new_name, &nentry);
    if (kr != KERN_SUCCESS)
        return kr;
    if (nentry->ie_type != 0)
        return KERN_NAME_EXISTS;
    entry_t *oentry = space_lookup(space, old_name);
    if (oentry == NULL || oentry == nentry) {
        space_entry_dealloc(space, nentry);
        return KERN_INVALID_NAME;
    }
    /* A request on a dead port converts first: a dead name moves (A4). */
    if (oentry->ie_request != NULL)
        right_check(space, oentry);

    nentry->ie_type = oentry->ie_type;
    nentry->ie_urefs = oentry->ie_urefs;
    nentry->ie_port = oentry->ie_port;
    nentry->ie_pset = oentry->ie_pset;
    nentry->ie_request = oentry->ie_request;
    if (nentry->ie_request != NULL)
        nentry->ie_request->dr_name = new_name;
    if (oentry->ie_in_rev)
        space_rev_remove(space, oentry);
    if (nentry->ie_type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE))
        space_rev_add(space, nentry);
    if (nentry->ie_type & MACH_PORT_TYPE_RECEIVE)
        nentry->ie_port->ip_receiver_name = new_name;
    if (nentry->ie_type & MACH_PORT_TYPE_PORT_SET)
        nentry->ie_pset->ips_name = new_name;
    oentry->ie_request = NULL;
    oentry->ie_port = NULL;
    oentry->ie_pset = NULL;
    space_entry_dealloc(space, oentry);
    return KERN_SUCCESS;
}
