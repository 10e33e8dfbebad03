/*
 * port.c: ports, the rights that exist for them, their death, and the notifications the kernel
 * sends about them.
 *
 * Models GNU Mach's ipc/ipc_port.c (ipc_port_alloc, ipc_port_destroy, ipc_port_make_send,
 * ipc_port_copy_send, ipc_port_release_send, ipc_port_release_sonce, the dead-name, no-senders
 * and port-destroyed requests) and ipc/ipc_notify.c (the notification messages, M9). Rules D1,
 * D2, D4-D8, M8 (port death and the queue).
 *
 * Accounting (D6): ip_srights counts holders of a send right (a space entry with the SEND bit,
 * whatever its urefs, or a naked right), ip_sorights the send-once rights. Every holder, named
 * or naked, also holds one ip_references; the port's memory goes with the last reference.
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

port_t *port_alloc(world_t *world)
{
    port_t *port = world_alloc_fallible(world, sizeof *port);
    if (port == NULL)
        return NULL;
    port->ip_id = world->w_next_port_id++;
    port->ip_active = true;
    port->ip_references = 1; /* the receive right's */
    world->w_counts.made[WORLD_RIGHT_RECEIVE]++;
    port->ip_qlimit = QLIMIT_DEFAULT; /* A1 */
    port->ip_world = world;
    if (port->ip_id >= world->w_port_by_id_cap) {
        size_t cap = world->w_port_by_id_cap ? world->w_port_by_id_cap : 256;
        while (cap <= port->ip_id)
            cap *= 2;
        port_t **v = model_realloc(world->w_port_by_id, cap * sizeof *v);
        memset(v + world->w_port_by_id_cap, 0, (cap - world->w_port_by_id_cap) * sizeof *v);
        world->w_port_by_id = v;
        world->w_port_by_id_cap = cap;
    }
    world->w_port_by_id[port->ip_id] = port;
    return port;
}

void port_reference(port_t *port)
{
    port->ip_references++;
}

/* Drops a reference; the last one of a dead port frees it. A live port always has at least
 * its receive right's reference. */
void port_release(port_t *port)
{
    if (--port->ip_references > 0 || port->ip_active)
        return;
    world_t *world = port->ip_world;
    world->w_port_by_id[port->ip_id] = NULL;
    world_free(world, port);
}

/* ipc_port_make_send: a new send right from the receive right (D6: mscount counts them). */
void port_make_send(port_t *port)
{
    port->ip_mscount++;
    port->ip_srights++;
    RIGHT_MADE(port, WORLD_RIGHT_SEND);
    port->ip_references++;
}

/* ipc_port_copy_send on a right known to be live. */
void port_copy_send(port_t *port)
{
    port->ip_srights++;
    RIGHT_MADE(port, WORLD_RIGHT_SEND);
    port->ip_references++;
}

void port_make_send_once(port_t *port)
{
    port->ip_sorights++;
    RIGHT_MADE(port, WORLD_RIGHT_SEND_ONCE);
    port->ip_references++;
}

/* ipc_port_copy_send on a kernel-held right (D4): NULL stays NULL, a dead port gives IO_DEAD. */
port_t *port_copy_send_kernel(port_t *port)
{
    if (port == NULL || port == IO_DEAD)
        return port;
    if (!port->ip_active)
        return IO_DEAD;
    port_copy_send(port);
    return port;
}

/* ipc_port_release_send: the holder goes; at zero holders a no-senders request fires (D7). */
void port_release_send(port_t *port)
{
    port->ip_srights--;
    RIGHT_DESTROYED(port, WORLD_RIGHT_SEND);
    if (port->ip_active && port->ip_srights == 0 && port->ip_nsrequest != NULL) {
        port_t *notify = port->ip_nsrequest;
        port->ip_nsrequest = NULL;
        notify_no_senders(notify, port->ip_mscount);
    }
    port_release(port);
}

/* ipc_port_release_sonce: an unused send-once right notifies its port (D8). The right itself
 * travels in that notification as its destination, so the counters change only when the
 * notification is received or destroyed. */
void port_release_send_once(port_t *port)
{
    if (port->ip_active) {
        notify_send_once(port);
        return;
    }
    port->ip_sorights--;
    RIGHT_DESTROYED(port, WORLD_RIGHT_SEND_ONCE);
    port_release(port);
}

void port_release_naked(naked_t right)
{
    if (!IO_VALID(right.port))
        return;
    switch (right.type) {
    case MACH_MSG_TYPE_PORT_SEND:
        port_release_send(right.port);
        break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
        port_release_send_once(right.port);
        break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
        /* A receive right in transit is destroyed with whatever holds it (D1). */
        port_destroy(right.port);
        port_release(right.port);
        break;
    }
}

/* Takes the port out of its space or set, as a receive right leaving (ipc_port_clear_receiver):
 * mscount and seqno restart (I1 MOVE_RECEIVE). */
void port_clear_receiver(port_t *port)
{
    if (port->ip_pset != NULL)
        pset_remove(port);
    mqueue_port_moved(port, MACH_RCV_PORT_DIED);
    port->ip_receiver = NULL;
    port->ip_receiver_name = MACH_PORT_NULL;
    port->ip_mscount = 0;
    port->ip_seqno = 0;
}

/* Removes a live dead-name request for `name` and sends port-deleted through it (D5). A
 * request that already fired (the port died) is only freed. */
/* Takes a live dead-name request off its port's list (nothing is sent); a fired one has no
 * port and stays as it is. */
void port_dnrequest_unlink(dnreq_t *req)
{
    port_t *p = req->dr_port;
    if (p == NULL)
        return;
    if (req->dr_prev != NULL)
        req->dr_prev->dr_next = req->dr_next;
    else
        p->ip_dnrequests = req->dr_next;
    if (req->dr_next != NULL)
        req->dr_next->dr_prev = req->dr_prev;
    req->dr_next = req->dr_prev = NULL;
}

void port_dnrequest_cancel(port_t *port, dnreq_t *req, mach_port_name_t name)
{
    (void)port;
    world_t *world = req->dr_port != NULL ? req->dr_port->ip_world
                   : req->dr_space != NULL ? req->dr_space->is_world : NULL;
    bool live = req->dr_port != NULL;
    port_dnrequest_unlink(req);
    if (live && req->dr_notify != NULL)
        notify_port_deleted(req->dr_notify, name);
    port_dnrequest_free(world, req);
}

void port_dnrequest_free(world_t *world, dnreq_t *req)
{
    world_free(world, req);
}

/*
 * port_destroy: the receive right goes away (D1, D2, M8). Models ipc_port_destroy.
 * Conditions: port is active and its receive right is being destroyed by its holder (the
 * holder's reference is the caller's to drop).
 * With a port-destroyed request the port survives: its receive right is sent to the request
 * in MACH_NOTIFY_PORT_DESTROYED (unless that is circular: the request is a send-once right to
 * the port itself, which is then dropped and the port dies). Otherwise, in this order: the port
 * is marked dead and its blocked senders and receivers woken; a no-senders request is answered
 * with a send-once notification; queued messages are destroyed with their rights; every
 * dead-name request gets MACH_NOTIFY_DEAD_NAME with its requester's name.
 * Circularity is ipc_port_check_circularity's (port_check_circularity below): the request is a
 * send-once right to the port itself, or to a port whose receive right travels, directly or
 * through a chain of messages, in a message queued on this port.
 */
void port_destroy(port_t *port)
{
    if (!port->ip_active)
        return;
    port_t *pd = port->ip_pdrequest;
    if (pd != NULL) {
        port->ip_pdrequest = NULL;
        if (!port_check_circularity(port, pd)) {
            port_clear_receiver(port);
            port->ip_receiver = NULL;
            port->ip_kernel = false;
            port_reference(port); /* the receive right, now in the notification */
            notify_port_destroyed(pd, port);
            return;
        }
        /* circular: drop the request silently (ipc_port_release_sonce: no notification) */
        pd->ip_sorights--;
        RIGHT_DESTROYED(pd, WORLD_RIGHT_SEND_ONCE);
        port_release(pd);
    }
    if (port->ip_pset != NULL)
        pset_remove(port);
    port->ip_active = false;
    RIGHT_DESTROYED(port, WORLD_RIGHT_RECEIVE);
    port->ip_receiver = NULL;
    port->ip_receiver_name = MACH_PORT_NULL;
    mqueue_port_died(port);
    if (port->ip_nsrequest != NULL) {
        port_t *ns = port->ip_nsrequest;
        port->ip_nsrequest = NULL;
        notify_send_once(ns);
    }
    mqueue_destroy_messages(port);
    while (port->ip_dnrequests != NULL) {
        dnreq_t *req = port->ip_dnrequests;
        port->ip_dnrequests = req->dr_next;
        if (req->dr_next != NULL)
            req->dr_next->dr_prev = NULL;
        req->dr_port = NULL;
        req->dr_next = req->dr_prev = NULL;
        port_t *notify = req->dr_notify;
        req->dr_notify = NULL;
        if (notify != NULL)
            notify_dead_name(notify, req->dr_name);
        if (req->dr_orphan)
            port_dnrequest_free(port->ip_world, req);
    }
    /* Send rights leaked into dead names (R3) go with the port. */
    port->ip_references -= port->ip_leaked_srights;
    port->ip_leaked_srights = 0;
}

/* The port a message carrying `port`'s receive right is queued on (GNU Mach's ip_destination),
 * or NULL when the right is not in a queued message. Found by search: receive rights in transit
 * are rare, so no field is kept up to date for it. */
static bool kmsg_carries_receive(const kmsg_t *kmsg, const port_t *port)
{
    for (unsigned i = 0; i < kmsg->ikm_nrights; i++)
        if (kmsg->ikm_rights[i].kr_right.port == port &&
            kmsg->ikm_rights[i].kr_right.type == MACH_MSG_TYPE_PORT_RECEIVE)
            return true;
    return false;
}

static port_t *transit_destination(const port_t *port)
{
    world_t *world = port->ip_world;
    WORLD_FOR_PORTS(world, p) {
        for (kmsg_t *k = p->ip_messages.head; k != NULL; k = k->ikm_next)
            if (kmsg_carries_receive(k, port))
                return k->ikm_remote.port;
        if (p->ip_pset != NULL)
            for (kmsg_t *k = p->ip_pset->ips_messages.head; k != NULL; k = k->ikm_next)
                if (kmsg_carries_receive(k, port))
                    return k->ikm_remote.port;
    }
    for (ktask_t *t = world->w_tasks; t != NULL; t = t->tk_next)
        for (kthread_t *th = t->tk_threads; th != NULL; th = th->th_next) {
            if (th->th_send_kmsg != NULL && kmsg_carries_receive(th->th_send_kmsg, port))
                return th->th_send_kmsg->ikm_remote.port;
            if (th->th_handoff != NULL && kmsg_carries_receive(th->th_handoff, port))
                return th->th_handoff->ikm_remote.port;
        }
    return NULL;
}

/*
 * port_check_circularity: would sending `port`'s receive right to `dest` make a cycle of ports
 * whose receive rights sit in each other's queues (so that nothing could ever receive or
 * destroy them)? Models ipc_port_check_circularity: true if dest is port, or dest's receive
 * right is in transit in a message to a port that is (recursively) port.
 */
bool port_check_circularity(port_t *port, port_t *dest)
{
    for (unsigned hops = 0; IO_VALID(dest) && hops < 1000000; hops++) {
        if (dest == port)
            return true;
        if (!dest->ip_active || dest->ip_receiver != NULL || dest->ip_kernel)
            return false;
        dest = transit_destination(dest);
    }
    return false;
}

/* --- notifications (ipc/ipc_notify.c, M9) -------------------------------------------------- */

/* A notification: a kernel message to a send-once right, no reply port, never blocking. */
static kmsg_t *notify_alloc(port_t *notify, mach_msg_id_t id, size_t body_len)
{
    kmsg_t *kmsg = kmsg_alloc(notify->ip_world, body_len);
    notify->ip_world->w_counts.notifications++;
    kmsg->ikm_remote.port = notify;
    kmsg->ikm_remote.type = MACH_MSG_TYPE_PORT_SEND_ONCE;
    kmsg->ikm_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0);
    kmsg->ikm_id = id;
    kmsg->ikm_kernel = true;
    return kmsg;
}

/* One inline item of 32-bit elements, in the world's layout (W1, W2: a name or an integer is
 * 32 bits in both; ipc/ipc_notify.c uses PORT_NAME_T_SIZE_IN_BITS for names). */
static void notify_word(port_t *notify, mach_msg_id_t id, unsigned type, uint32_t word)
{
    mk_msg_layout_t layout = world_msg_layout(notify->ip_world);
    kmsg_t *kmsg = notify_alloc(notify, id, mk_msg_inline_size(layout, 32, 1));
    mk_msg_put_inline(layout, kmsg->ikm_body, 0, type, 32, 1, &word);
    kmsg_send_kernel(kmsg);
}

void notify_port_deleted(port_t *notify, mach_port_name_t name)
{
    notify_word(notify, MACH_NOTIFY_PORT_DELETED, MACH_MSG_TYPE_PORT_NAME, name);
}

void notify_dead_name(port_t *notify, mach_port_name_t name)
{
    notify_word(notify, MACH_NOTIFY_DEAD_NAME, MACH_MSG_TYPE_PORT_NAME, name);
}

void notify_no_senders(port_t *notify, mach_port_mscount_t mscount)
{
    notify_word(notify, MACH_NOTIFY_NO_SENDERS, MACH_MSG_TYPE_INTEGER_32, mscount);
}

void notify_send_once(port_t *notify)
{
    kmsg_send_kernel(notify_alloc(notify, MACH_NOTIFY_SEND_ONCE, 0));
}

/* Carries `right`'s receive right (the caller's reference moves into the message); a port
 * right inline, so a 64-bit slot in the x86_64 layout (PORT_T_SIZE_IN_BITS, W2). */
void notify_port_destroyed(port_t *notify, port_t *right)
{
    mk_msg_layout_t layout = world_msg_layout(notify->ip_world);
    unsigned bits = mk_msg_port_bits(layout);
    kmsg_t *kmsg = notify_alloc(notify, MACH_NOTIFY_PORT_DESTROYED,
                                mk_msg_inline_size(layout, bits, 1));
    kmsg->ikm_bits |= MACH_MSGH_BITS_COMPLEX;
    mk_msg_put_inline(layout, kmsg->ikm_body, 0, MACH_MSG_TYPE_PORT_RECEIVE, bits, 1, NULL);
    kmsg->ikm_rights = world_alloc(notify->ip_world, sizeof *kmsg->ikm_rights);
    kmsg->ikm_nrights = 1;
    kmsg->ikm_rights[0].kr_offset = mk_msg_type_size(layout, false);
    kmsg->ikm_rights[0].kr_right.port = right;
    kmsg->ikm_rights[0].kr_right.type = MACH_MSG_TYPE_PORT_RECEIVE;
    kmsg_send_kernel(kmsg);
}

port_t *port_lookup_id(world_t *world, uint32_t port_id)
{
    return port_id < world->w_port_by_id_cap ? world->w_port_by_id[port_id] : NULL;
}

bool port_peek(world_t *world, uint32_t port_id, port_info_t *info)
{
    port_t *port = port_lookup_id(world, port_id);
    if (port == NULL)
        return false;
    memset(info, 0, sizeof *info);
    info->id = port->ip_id;
    info->active = port->ip_active;
    info->srights = port->ip_srights;
    info->sorights = port->ip_sorights;
    info->mscount = port->ip_mscount;
    info->seqno = port->ip_seqno;
    info->qlimit = port->ip_qlimit;
    info->msgcount = port->ip_msgcount;
    info->has_nsrequest = port->ip_nsrequest != NULL;
    info->has_pdrequest = port->ip_pdrequest != NULL;
    for (dnreq_t *r = port->ip_dnrequests; r != NULL; r = r->dr_next)
        info->dnrequests++;
    return true;
}
