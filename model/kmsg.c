/*
 * kmsg.c: messages, their queues, and mach_msg.
 *
 * Models GNU Mach's ipc/ipc_kmsg.c (copy-in of header and body, copy-out, clean-up of a
 * destroyed message), ipc/ipc_mqueue.c (send with the queue limit, receive, wake-ups) and
 * ipc/mach_msg.c (the trap: send, then receive). Rules M1-M8.
 *
 * Messages are in the typed (Mach 3) format GNU Mach uses: after the header, each item is a
 * type descriptor followed by its inline data, or by the address of out-of-line data, in one of
 * two layouts (msgfmt.c: Debian's headers, or current GNU Mach on x86_64; rules W1-W3). Port
 * items carry names; copy-in replaces them by rights (kmsg_right_t), copy-out writes the
 * receiver's names back at the same offsets. Out-of-line data is copied out of the sender's
 * task at copy-in (kmsg_ool_t, through the world's VM hooks) and into a new region of the
 * receiver's at copy-out (rules O1-O6 of docs/mach-rules.md).
 *
 * The model does not schedule. A send to a full queue or a receive on an empty one leaves the
 * thread blocked (th_wait) and returns MK_MSG_BLOCKED; whatever later frees it (a receive, a
 * message, a port death, thread_abort) clears th_wait, and the runtime then calls
 * mk_mach_msg_continue on that thread to finish the call.
 *
 * Added rules: a message sent to a kernel port is answered with MIG_BAD_ID (M6), since kernel routines are reached through the
 * mk_* calls, not through messages; when the destination and reply names are the same, the two
 * rights are copied in one after the other, except the combinations GNU Mach refuses up front
 * (see kmsg_copyin).
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

/* --- allocation and destruction ------------------------------------------------------------ */

kmsg_t *kmsg_alloc(world_t *world, size_t body_len)
{
    kmsg_t *kmsg = world_alloc(world, sizeof *kmsg);
    kmsg->ikm_world = world;
    world->w_counts.kmsgs++;
    if (body_len > 0)
        kmsg->ikm_body = world_alloc(world, body_len);
    kmsg->ikm_body_len = body_len;
    kmsg->ikm_size = sizeof(mach_msg_header_t) + body_len;
    return kmsg;
}

static void kmsg_free(kmsg_t *kmsg)
{
    world_t *world = kmsg->ikm_world;
    for (unsigned i = 0; i < kmsg->ikm_nool; i++)
        world_free(world, kmsg->ikm_ool[i].ko_data);
    world_free(world, kmsg->ikm_ool);
    world_free(world, kmsg->ikm_body);
    world_free(world, kmsg->ikm_rights);
    world_free(world, kmsg);
}

/* ipc_kmsg_clean: every right the message carries is released (M8 step 3): the destination
 * and reply rights as unused rights (a send-once right notifies its port, D8), send rights in
 * the body lower srights, receive rights destroy their ports, inline or in out-of-line
 * arrays; out-of-line memory is discarded (O5: nobody gets it back). */
void kmsg_destroy(kmsg_t *kmsg)
{
    port_release_naked(kmsg->ikm_remote);
    port_release_naked(kmsg->ikm_local);
    for (unsigned i = 0; i < kmsg->ikm_nrights; i++)
        port_release_naked(kmsg->ikm_rights[i].kr_right);
    kmsg_free(kmsg);
}

/* --- queues and wait queues ------------------------------------------------------------------ */

static void queue_append(kmsg_queue_t *q, kmsg_t *kmsg)
{
    kmsg->ikm_next = NULL;
    if (q->tail != NULL)
        q->tail->ikm_next = kmsg;
    else
        q->head = kmsg;
    q->tail = kmsg;
}

static kmsg_t *queue_take(kmsg_queue_t *q)
{
    kmsg_t *kmsg = q->head;
    if (kmsg != NULL) {
        q->head = kmsg->ikm_next;
        if (q->head == NULL)
            q->tail = NULL;
        kmsg->ikm_next = NULL;
    }
    return kmsg;
}

/* Moves the messages of `from` whose destination is `only` (all if NULL) to the end of `to`,
 * keeping their order (ipc_mqueue_move). */
void mqueue_move(kmsg_queue_t *from, kmsg_queue_t *to, port_t *only)
{
    kmsg_queue_t keep = {NULL, NULL};
    kmsg_t *kmsg;
    while ((kmsg = queue_take(from)) != NULL) {
        if (only == NULL || kmsg->ikm_remote.port == only)
            queue_append(to, kmsg);
        else
            queue_append(&keep, kmsg);
    }
    *from = keep;
}

static void waitq_push(waitq_t *q, kthread_t *thread)
{
    thread->th_wait_next = NULL;
    if (q->tail != NULL)
        q->tail->th_wait_next = thread;
    else
        q->head = thread;
    q->tail = thread;
}

static kthread_t *waitq_pop(waitq_t *q)
{
    kthread_t *thread = q->head;
    if (thread != NULL) {
        q->head = thread->th_wait_next;
        if (q->head == NULL)
            q->tail = NULL;
        thread->th_wait_next = NULL;
    }
    return thread;
}

void waitq_remove(waitq_t *q, kthread_t *thread)
{
    kthread_t **pp = &q->head, *prev = NULL;
    while (*pp != NULL && *pp != thread) {
        prev = *pp;
        pp = &(*pp)->th_wait_next;
    }
    if (*pp == NULL)
        return;
    *pp = thread->th_wait_next;
    if (q->tail == thread)
        q->tail = prev;
    thread->th_wait_next = NULL;
}

static void wake(kthread_t *thread, mach_msg_return_t result)
{
    thread->th_wait = MK_WAIT_NONE;
    thread->th_wait_port = NULL;
    thread->th_wait_pset = NULL;
    thread->th_wake_result = result;
    world_t *world = thread->th_task->tk_world;
    if (world->w_wake_hook != NULL)
        world->w_wake_hook(thread, world->w_wake_arg);
}

/* Port death wakes blocked senders, which then find the port dead (M5), and its receivers
 * with MACH_RCV_PORT_DIED (M7). */
void mqueue_port_died(port_t *port)
{
    kthread_t *t;
    while ((t = waitq_pop(&port->ip_blocked)) != NULL)
        wake(t, 0);
    while ((t = waitq_pop(&port->ip_receivers)) != NULL)
        wake(t, MACH_RCV_PORT_DIED);
}

/* The receive right moved out (MACH_RCV_PORT_DIED) or into a set (MACH_RCV_PORT_CHANGED). */
void mqueue_port_moved(port_t *port, mach_msg_return_t why)
{
    kthread_t *t;
    while ((t = waitq_pop(&port->ip_receivers)) != NULL)
        wake(t, why);
}

void mqueue_pset_changed(pset_t *pset, mach_msg_return_t why)
{
    kthread_t *t;
    while ((t = waitq_pop(&pset->ips_receivers)) != NULL)
        wake(t, why);
}

void mqueue_destroy_messages(port_t *port)
{
    kmsg_t *kmsg;
    while ((kmsg = queue_take(&port->ip_messages)) != NULL) {
        port->ip_msgcount--;
        kmsg_destroy(kmsg);
    }
}

/* A message leaves the count when its receive completes (M3 amendment, H5): one blocked
 * sender may go on. */
/* Hands the messages of q to threads blocked receiving on it, oldest first, as ipc_mqueue_move
 * does for a port's backlog entering a set (M3: a waiting receiver gets a message directly).
 * The messages stay counted in their ports' msgcount until the receives complete. */
static kthread_t *receiver_for(waitq_t *receivers, const kmsg_t *kmsg);

void mqueue_feed_receivers(kmsg_queue_t *q, waitq_t *receivers)
{
    kthread_t *t;
    while (q->head != NULL && (t = receiver_for(receivers, q->head)) != NULL) {
        kmsg_t *kmsg = queue_take(q);
        wake(t, 0);
        t->th_handoff = kmsg;
    }
}

/* mach_port_set_qlimit raised the limit from old to new (M3): up to new - old blocked senders
 * wake, in FIFO order. */
void mqueue_qlimit_raised(port_t *port, unsigned old, unsigned new)
{
    for (unsigned i = old; i < new; i++) {
        kthread_t *t = waitq_pop(&port->ip_blocked);
        if (t == NULL)
            break;
        wake(t, 0);
    }
}

void mqueue_received(port_t *port)
{
    port->ip_msgcount--;
    if (port->ip_msgcount < port->ip_qlimit) {
        kthread_t *t = waitq_pop(&port->ip_blocked);
        if (t != NULL)
            wake(t, 0);
    }
}

/* Puts a message on its destination's queue, or hands it to a waiting receiver (M3, H5). */
/* The first waiting receiver that can take kmsg. One waiting with MACH_RCV_LARGE and too small
 * a buffer is woken with MACH_RCV_TOO_LARGE and the size instead, and the next one is tried
 * (ipc_mqueue_send, ipc_mqueue_move; M7). NULL when none can. */
static kthread_t *receiver_for(waitq_t *receivers, const kmsg_t *kmsg)
{
    kthread_t *t;
    while ((t = waitq_pop(receivers)) != NULL) {
        if (kmsg->ikm_size > t->th_rcv_size && (t->th_option & MACH_RCV_LARGE)) {
            t->th_msg->msgh_size = kmsg->ikm_size;
            wake(t, MACH_RCV_TOO_LARGE);
            continue;
        }
        return t;
    }
    return NULL;
}

static void mqueue_deliver(kmsg_t *kmsg)
{
    port_t *port = kmsg->ikm_remote.port;
    if (!IO_VALID(port) || !port->ip_active) {
        kmsg_destroy(kmsg); /* M5: the send still succeeds */
        return;
    }
    WORLD_TOUCH(port->ip_world, NULL, port->ip_id);
    if (port->ip_receiver != NULL)
        WORLD_TOUCH(port->ip_world, port->ip_receiver->is_task, 0);
    port->ip_msgcount++;
    waitq_t *waiters = port->ip_pset != NULL ? &port->ip_pset->ips_receivers : &port->ip_receivers;
    kthread_t *receiver = receiver_for(waiters, kmsg);
    if (receiver != NULL) {
        wake(receiver, 0);
        receiver->th_handoff = kmsg;
        return;
    }
    queue_append(port->ip_pset != NULL ? &port->ip_pset->ips_messages : &port->ip_messages, kmsg);
}

void kmsg_send_kernel(kmsg_t *kmsg)
{
    mqueue_deliver(kmsg);
}

/* --- copy-in ----------------------------------------------------------------------------------- */

static bool is_port_disposition(unsigned t)
{
    return t >= MACH_MSG_TYPE_MOVE_RECEIVE && t <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

/* Whether right_copyin would succeed, without doing it (R0's conversion aside). */
static kern_return_t copyin_check(space_t *space, mach_port_name_t name, unsigned msgt,
                                  bool allow_dead)
{
    entry_t *entry = space_lookup(space, name);
    if (entry == NULL)
        return KERN_INVALID_NAME;
    right_check(space, entry);
    mach_port_type_t type = entry->ie_type;
    switch (msgt) {
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
    case MACH_MSG_TYPE_MOVE_RECEIVE:
        return (type & MACH_PORT_TYPE_RECEIVE) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MOVE_SEND:
        if (type & MACH_PORT_TYPE_DEAD_NAME)
            return allow_dead ? KERN_SUCCESS : KERN_INVALID_RIGHT;
        return (type & MACH_PORT_TYPE_SEND) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
        if (type & MACH_PORT_TYPE_DEAD_NAME)
            return allow_dead ? KERN_SUCCESS : KERN_INVALID_RIGHT;
        return (type & MACH_PORT_TYPE_SEND_ONCE) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
    }
    return KERN_INVALID_VALUE;
}

static void kmsg_add_right(kmsg_t *kmsg, size_t type_offset, size_t offset, unsigned ool,
                           naked_t right, unsigned *cap)
{
    if (kmsg->ikm_nrights == *cap) {
        unsigned ncap = *cap ? *cap * 2 : 4;
        kmsg_right_t *v = world_alloc(kmsg->ikm_world, ncap * sizeof *v);
        if (kmsg->ikm_nrights > 0)
            memcpy(v, kmsg->ikm_rights, kmsg->ikm_nrights * sizeof *v);
        world_free(kmsg->ikm_world, kmsg->ikm_rights);
        kmsg->ikm_rights = v;
        *cap = ncap;
    }
    kmsg_right_t *r = &kmsg->ikm_rights[kmsg->ikm_nrights++];
    r->kr_type_offset = type_offset;
    r->kr_offset = offset;
    r->kr_ool = ool;
    r->kr_right = right;
}

static kmsg_ool_t *kmsg_add_ool(kmsg_t *kmsg, size_t type_offset, size_t addr_offset)
{
    kmsg_ool_t *v = world_alloc(kmsg->ikm_world, (kmsg->ikm_nool + 1) * sizeof *v);
    if (kmsg->ikm_nool > 0)
        memcpy(v, kmsg->ikm_ool, kmsg->ikm_nool * sizeof *v);
    world_free(kmsg->ikm_world, kmsg->ikm_ool);
    kmsg->ikm_ool = v;
    kmsg_ool_t *o = &v[kmsg->ikm_nool++];
    o->ko_type_offset = type_offset;
    o->ko_addr_offset = addr_offset;
    return o;
}

/* Rewrites fields of the descriptor at off, in the layout it was read in. */
static void item_update(mk_msg_layout_t layout, uint8_t *body, size_t off, int name, int size,
                        int deallocate)
{
    mk_msg_type_t t;
    mk_msg_type_read(layout, body + off, SIZE_MAX, &t);
    if (name >= 0)
        t.name = (unsigned)name;
    if (size >= 0)
        t.size = (unsigned)size;
    if (deallocate >= 0)
        t.deallocate = deallocate;
    mk_msg_type_write(layout, body + off, &t);
}

static bool vm_readable(world_t *w, ktask_t *task, uint64_t addr, uint64_t len)
{
    return w->w_vm.readable != NULL && len <= SIZE_MAX && addr + len >= addr &&
           w->w_vm.readable(w->w_vm.arg, task, addr, (size_t)len);
}

/*
 * One out-of-line item's memory (ipc_kmsg_copyin_body; rules O1, O2). Length 0 carries nothing
 * (the address is not looked at, deallocate is ignored). Otherwise every byte must be readable;
 * the bytes are copied now (vm_map_copyin: the sender's later writes do not reach the message),
 * and with deallocate the sender's pages go. Data is kept in o; a port array's names go to
 * *names (the caller copies the rights in and frees them).
 * Returns MACH_MSG_SUCCESS or MACH_SEND_INVALID_MEMORY (nothing of this item kept).
 */
static mach_msg_return_t ool_copyin(kthread_t *self, kmsg_t *kmsg, kmsg_ool_t *o, uint64_t addr,
                                    uint64_t length, bool dealloc, bool is_port,
                                    uint8_t **names)
{
    world_t *w = kmsg->ikm_world;
    ktask_t *task = self->th_task;
    o->ko_ports = is_port;
    if (length == 0)
        return MACH_MSG_SUCCESS;
    if (!vm_readable(w, task, addr, length))
        return MACH_SEND_INVALID_MEMORY;
    uint8_t *buf = world_alloc(w, (size_t)length);
    w->w_vm.read(w->w_vm.arg, task, addr, buf, (size_t)length);
    if (dealloc && w->w_vm.deallocate(w->w_vm.arg, task, addr, (size_t)length) != KERN_SUCCESS) {
        world_free(w, buf);
        return MACH_SEND_INVALID_MEMORY;
    }
    o->ko_len = (size_t)length;
    o->ko_page_offset = (size_t)(addr % MK_PAGE_SIZE);
    if (is_port)
        *names = buf;
    else
        o->ko_data = buf;
    return MACH_MSG_SUCCESS;
}

/*
 * The body (ipc_kmsg_copyin_body; rules M2 step 6, O1-O3, W1-W3), item by item, each checked
 * in GNU Mach's order: the descriptor fits (else MACH_SEND_MSG_TOO_SMALL); its fields are
 * legal (MACH_SEND_INVALID_TYPE); its data or address fits (MACH_SEND_MSG_TOO_SMALL);
 * out-of-line memory (MACH_SEND_INVALID_MEMORY); then its rights (MACH_SEND_INVALID_RIGHT).
 * A message marked COMPLEX that carries neither rights nor out-of-line memory loses the bit.
 * On failure the caller destroys the kmsg, and with it everything copied in so far.
 */
static mach_msg_return_t kmsg_copyin_body(kthread_t *self, kmsg_t *kmsg)
{
    space_t *space = self->th_task->tk_space;
    mk_msg_layout_t layout = world_msg_layout(kmsg->ikm_world);
    bool wide = layout == MK_LAYOUT_X86_64;
    uint8_t *body = kmsg->ikm_body;
    size_t body_len = kmsg->ikm_body_len;
    unsigned cap = 0;
    bool complex = false;
    size_t off = 0;
    while (off < body_len) {
        mk_msg_type_t it;
        if (!mk_msg_type_read(layout, body + off, body_len - off, &it))
            return MACH_SEND_MSG_TOO_SMALL;
        bool is_port = is_port_disposition(it.name);
        /* W1, W2: an inline right is PORT_T_SIZE_IN_BITS, an out-of-line array 32-bit names */
        unsigned port_bits = it.is_inline ? mk_msg_port_bits(layout) : 32;
        if ((is_port && it.size != port_bits) || (!wide && it.longform && it.long_header_set) ||
            it.unused != 0 || (it.deallocate && it.is_inline))
            return MACH_SEND_INVALID_TYPE;
        size_t data = off + it.hdr;
        uint64_t length = ((uint64_t)it.number * it.size + 7) >> 3;
        size_t next;
        uint8_t *names = NULL;
        unsigned ool = 0;
        if (it.is_inline) {
            /* Debian: the data padded to 4 must fit; x86_64: the data itself (W1, W2) */
            uint64_t need = wide ? length : (length + 3) & ~(uint64_t)3;
            if (need > body_len - data)
                return MACH_SEND_MSG_TOO_SMALL;
            next = data + (size_t)length;
            names = body + data;
        } else {
            uint64_t addr;
            if (body_len - data < sizeof addr)
                return MACH_SEND_MSG_TOO_SMALL;
            memcpy(&addr, body + data, sizeof addr);
            memset(body + data, 0, sizeof addr);
            kmsg_ool_t *o = kmsg_add_ool(kmsg, off, data);
            ool = kmsg->ikm_nool;
            mach_msg_return_t mr = ool_copyin(self, kmsg, o, addr, length, it.deallocate,
                                              is_port, &names);
            if (mr != MACH_MSG_SUCCESS)
                return mr;
            next = data + sizeof addr;
            complex = true;
        }
        if (is_port) {
            size_t elem = it.is_inline ? port_bits / 8 : sizeof(mach_port_name_t);
            mach_msg_return_t mr = MACH_MSG_SUCCESS;
            for (uint32_t i = 0; i < it.number && names != NULL; i++) {
                mach_port_name_t name;
                memcpy(&name, names + (size_t)i * elem, sizeof name);
                naked_t right = {NULL, right_carried_type(it.name)};
                if (name == MACH_PORT_DEAD)
                    right.port = IO_DEAD;
                else if (name != MACH_PORT_NULL &&
                         right_copyin(space, name, it.name, true, &right) != KERN_SUCCESS) {
                    mr = MACH_SEND_INVALID_RIGHT;
                    break;
                }
                kmsg_add_right(kmsg, off, it.is_inline ? data + (size_t)i * elem : i, ool, right,
                               &cap);
                if (it.is_inline)
                    memset(body + data + (size_t)i * elem, 0, elem);
            }
            if (!it.is_inline)
                world_free(kmsg->ikm_world, names);
            if (mr != MACH_MSG_SUCCESS)
                return mr;
            item_update(layout, body, off, (int)right_carried_type(it.name), -1, -1);
            complex = true;
        }
        off = mk_msg_align(layout, next);
    }
    if (!complex)
        kmsg->ikm_bits &= ~MACH_MSGH_BITS_COMPLEX;
    return MACH_MSG_SUCCESS;
}

/*
 * Copies a user message into a kmsg (M1, M2). On failure nothing is consumed for header errors
 * (steps 1-5); for body errors (step 6) every right already copied in is destroyed.
 */
static mach_msg_return_t kmsg_copyin(kthread_t *self, const mach_msg_header_t *msg,
                                     mach_msg_size_t send_size, kmsg_t **kmsgp)
{
    space_t *space = self->th_task->tk_space;
    mk_msg_layout_t layout = world_msg_layout(space->is_world);
    /* ipc_kmsg_get: at least a header, and a multiple of the layout's alignment (W1, W2) */
    if (send_size < sizeof(mach_msg_header_t) || mk_msg_align(layout, send_size) != send_size)
        return MACH_SEND_MSG_TOO_SMALL;
    mach_msg_bits_t bits = msg->msgh_bits;
    unsigned dest_type = MACH_MSGH_BITS_REMOTE(bits);
    unsigned reply_type = MACH_MSGH_BITS_LOCAL(bits);
    if (dest_type < MACH_MSG_TYPE_MOVE_SEND || dest_type > MACH_MSG_TYPE_MAKE_SEND_ONCE)
        return MACH_SEND_INVALID_HEADER;
    if (reply_type == 0 ? msg->msgh_local_port != MACH_PORT_NULL
                        : (reply_type < MACH_MSG_TYPE_MOVE_SEND ||
                           reply_type > MACH_MSG_TYPE_MAKE_SEND_ONCE))
        return MACH_SEND_INVALID_HEADER;
    if (!space->is_active)
        return MACH_SEND_INVALID_DEST;
    mach_port_name_t dest = msg->msgh_remote_port, reply = msg->msgh_local_port;
    if (space_lookup(space, dest) == NULL)
        return MACH_SEND_INVALID_DEST;
    bool reply_named = reply_type != 0 && MACH_PORT_VALID(reply);
    if (reply_named && copyin_check(space, reply, reply_type, true) != KERN_SUCCESS)
        return MACH_SEND_INVALID_REPLY;
    if (copyin_check(space, dest, dest_type, false) != KERN_SUCCESS)
        return MACH_SEND_INVALID_DEST;
    /* One name for both (ipc_kmsg_copyin_header, dest_name == reply_name): a move-send-once
     * cannot serve twice and two move-sends need two urefs, so these fail with INVALID_DEST
     * before anything is consumed (M2 step 5); a move-send with a copy-send copies first. */
    bool same = reply_named && reply == dest;
    if (same && (dest_type == MACH_MSG_TYPE_MOVE_SEND_ONCE ||
                 reply_type == MACH_MSG_TYPE_MOVE_SEND_ONCE ||
                 (dest_type == MACH_MSG_TYPE_MOVE_SEND && reply_type == MACH_MSG_TYPE_MOVE_SEND &&
                  space_lookup(space, dest)->ie_urefs < 2)))
        return MACH_SEND_INVALID_DEST;
    bool reply_first = same && dest_type == MACH_MSG_TYPE_MOVE_SEND;

    size_t body_len = send_size - sizeof(mach_msg_header_t);
    kmsg_t *kmsg = kmsg_alloc(space->is_world, body_len);
    if (body_len > 0)
        memcpy(kmsg->ikm_body, (const uint8_t *)msg + sizeof(mach_msg_header_t), body_len);
    kmsg->ikm_id = msg->msgh_id;
    if (reply_first)
        right_copyin(space, reply, reply_type, true, &kmsg->ikm_local); /* checked above */
    if (right_copyin(space, dest, dest_type, false, &kmsg->ikm_remote) != KERN_SUCCESS) {
        kmsg_destroy(kmsg);
        return MACH_SEND_INVALID_DEST;
    }
    if (reply_named) {
        if (!reply_first &&
            right_copyin(space, reply, reply_type, true, &kmsg->ikm_local) != KERN_SUCCESS) {
            kmsg_destroy(kmsg);
            return MACH_SEND_INVALID_REPLY;
        }
    } else if (reply_type != 0) {
        kmsg->ikm_local.port = reply == MACH_PORT_DEAD ? IO_DEAD : NULL;
        kmsg->ikm_local.type = right_carried_type(reply_type);
    }
    kmsg->ikm_bits = MACH_MSGH_BITS(kmsg->ikm_remote.type, reply_type ? kmsg->ikm_local.type : 0);
    if (!(bits & MACH_MSGH_BITS_COMPLEX)) {
        *kmsgp = kmsg;
        return MACH_MSG_SUCCESS;
    }
    kmsg->ikm_bits |= MACH_MSGH_BITS_COMPLEX;
    mach_msg_return_t mr = kmsg_copyin_body(self, kmsg);
    if (mr != MACH_MSG_SUCCESS) {
        kmsg_destroy(kmsg);
        return mr;
    }
    *kmsgp = kmsg;
    return MACH_MSG_SUCCESS;
}

/* --- copy-out ------------------------------------------------------------------------------------ */

/* A right arriving in `space` by message: overflow allowed (T5). A copy-out that fails for want
 * of space destroys the right and gives MACH_PORT_NULL. */
static mach_port_name_t copyout_right(space_t *space, naked_t right)
{
    mach_port_name_t name;
    if (right_copyout(space, right, true, &name) != KERN_SUCCESS) {
        port_release_naked(right);
        return MACH_PORT_NULL;
    }
    return name;
}

/* A right of the body (ipc_kmsg_copyout_object; rule O4): as copyout_right, and a right that
 * finds no room adds MACH_MSG_IPC_KERNEL (a resource shortage) or MACH_MSG_IPC_SPACE to *mr. */
static mach_port_name_t copyout_body_right(space_t *space, naked_t right, mach_msg_return_t *mr)
{
    mach_port_name_t name;
    kern_return_t kr = right_copyout(space, right, true, &name);
    if (kr == KERN_SUCCESS)
        return name;
    port_release_naked(right);
    *mr |= kr == KERN_RESOURCE_SHORTAGE ? MACH_MSG_IPC_KERNEL : MACH_MSG_IPC_SPACE;
    return MACH_PORT_NULL;
}

/*
 * Places one out-of-line item in the receiving task (ipc_kmsg_copyout_body; rules O4, O6): a
 * new region anywhere, and deallocate set in the descriptor, the receiver owning the memory.
 * Data keeps its offset within the page (vm_map_copyout); a port array becomes a fresh array
 * (vm_allocate) of the receiver's names for its n rights, ikm_rights[first...], copied out in
 * order. When no region can be had, the item's rights are destroyed, its address and size
 * read 0, and the result says MACH_MSG_VM_SPACE (MACH_MSG_VM_KERNEL for a resource shortage).
 */
static mach_msg_return_t ool_copyout(kmsg_t *kmsg, kmsg_ool_t *o, unsigned first, unsigned n,
                                     uint8_t *body, space_t *space)
{
    world_t *w = kmsg->ikm_world;
    mk_msg_layout_t layout = world_msg_layout(w);
    ktask_t *task = space->is_task;
    mach_msg_return_t mr = MACH_MSG_SUCCESS;
    uint64_t addr = 0;
    if (o->ko_len > 0) {
        kern_return_t kr = KERN_NO_SPACE;
        if (w->w_vm.allocate != NULL)
            kr = w->w_vm.allocate(w->w_vm.arg, task, o->ko_len, o->ko_ports ? 0 : o->ko_page_offset,
                                  &addr);
        if (kr != KERN_SUCCESS) {
            for (unsigned j = 0; j < n; j++) {
                port_release_naked(kmsg->ikm_rights[first + j].kr_right);
                kmsg->ikm_rights[first + j].kr_right.port = NULL;
            }
            addr = 0;
            item_update(layout, body, o->ko_type_offset, -1, 0, -1);
            mr = kr == KERN_RESOURCE_SHORTAGE ? MACH_MSG_VM_KERNEL : MACH_MSG_VM_SPACE;
        } else if (o->ko_ports) {
            uint8_t *names = world_alloc(w, o->ko_len);
            for (unsigned j = 0; j < n; j++) {
                kmsg_right_t *r = &kmsg->ikm_rights[first + j];
                mach_port_name_t name = copyout_body_right(space, r->kr_right, &mr);
                r->kr_right.port = NULL;
                memcpy(names + r->kr_offset * sizeof name, &name, sizeof name);
            }
            w->w_vm.write(w->w_vm.arg, task, addr, names, o->ko_len);
            world_free(w, names);
        } else {
            w->w_vm.write(w->w_vm.arg, task, addr, o->ko_data, o->ko_len);
        }
    }
    item_update(layout, body, o->ko_type_offset, -1, -1, 1);
    memcpy(body + o->ko_addr_offset, &addr, sizeof addr);
    return mr;
}

/* Writes the body into the receiver's buffer, copying out its rights and out-of-line memory
 * item by item, in body order (so names are chosen in GNU Mach's order, N3). Returns
 * MACH_MSG_SUCCESS or the MACH_MSG_IPC_* and MACH_MSG_VM_* bits of what found no room (the
 * copy-out goes on regardless). The kmsg keeps no right after. */
static mach_msg_return_t write_body(kmsg_t *kmsg, mach_msg_header_t *msg, space_t *space)
{
    mk_msg_layout_t layout = world_msg_layout(kmsg->ikm_world);
    size_t slot = mk_msg_port_bits(layout) / 8;
    uint8_t *body = (uint8_t *)msg + sizeof(mach_msg_header_t);
    if (kmsg->ikm_body_len > 0)
        memcpy(body, kmsg->ikm_body, kmsg->ikm_body_len);
    mach_msg_return_t mr = MACH_MSG_SUCCESS;
    unsigned ri = 0, oi = 0;
    while (ri < kmsg->ikm_nrights || oi < kmsg->ikm_nool) {
        kmsg_right_t *r = ri < kmsg->ikm_nrights ? &kmsg->ikm_rights[ri] : NULL;
        if (oi < kmsg->ikm_nool &&
            (r == NULL || kmsg->ikm_ool[oi].ko_type_offset <= r->kr_type_offset)) {
            unsigned n = 0;
            while (ri + n < kmsg->ikm_nrights && kmsg->ikm_rights[ri + n].kr_ool == oi + 1)
                n++;
            mr |= ool_copyout(kmsg, &kmsg->ikm_ool[oi], ri, n, body, space);
            ri += n;
            oi++;
            continue;
        }
        uint64_t name = copyout_body_right(space, r->kr_right, &mr); /* zero-extended (W2) */
        r->kr_right.port = NULL;
        memcpy(body + r->kr_offset, &name, slot);
        ri++;
    }
    return mr;
}

/* M4: a send that gives up hands every right back to the sender, buffer rewritten with the new
 * names and carried types; the header is not swapped. */
static void pseudo_receive(kthread_t *self, kmsg_t *kmsg)
{
    space_t *space = self->th_task->tk_space;
    mach_msg_header_t *msg = self->th_msg;
    msg->msgh_remote_port = copyout_right(space, kmsg->ikm_remote);
    msg->msgh_local_port = copyout_right(space, kmsg->ikm_local);
    msg->msgh_bits = kmsg->ikm_bits;
    (void)write_body(kmsg, msg, space); /* memory that finds no room is lost (O4) */
    kmsg_free(kmsg);
}

/* Completes a receive of kmsg (dequeued from a queue or handed over) into self (M7). */
static mach_msg_return_t receive_complete(kthread_t *self, kmsg_t *kmsg)
{
    space_t *space = self->th_task->tk_space;
    mach_msg_header_t *msg = self->th_msg;
    port_t *port = kmsg->ikm_remote.port;
    mqueue_received(port);

    msg->msgh_size = kmsg->ikm_size;
    msg->msgh_id = kmsg->ikm_id;
    /* Added rule (M7 is silent): a message handed over before its port died is still
     * received, its local name MACH_PORT_DEAD (ipc_kmsg_copyout_header, inactive dest). */
    msg->msgh_local_port = port->ip_active ? port->ip_receiver_name : MACH_PORT_DEAD;
    msg->msgh_seqno = port->ip_seqno++;
    /* The destination right is used up by the receive (no send-once notification). */
    if (kmsg->ikm_remote.type == MACH_MSG_TYPE_PORT_SEND_ONCE) {
        port->ip_sorights--;
        RIGHT_DESTROYED(port, WORLD_RIGHT_SEND_ONCE);
        port_release(port);
    } else {
        port_release_send(port);
    }
    kmsg->ikm_remote.port = NULL;
    mach_msg_bits_t complex = kmsg->ikm_bits & MACH_MSGH_BITS_COMPLEX;
    mach_msg_type_name_t local_type = MACH_MSGH_BITS_LOCAL(kmsg->ikm_bits);
    if (kmsg->ikm_size > self->th_rcv_size) {
        /* M7: without MACH_RCV_LARGE the message is dropped after the header. The bits keep
         * the reply's carried type though its right is destroyed (ipc_kmsg_copyout_dest). */
        msg->msgh_remote_port = kmsg->ikm_local.port == IO_DEAD ? MACH_PORT_DEAD : MACH_PORT_NULL;
        msg->msgh_bits = MACH_MSGH_BITS(local_type, kmsg->ikm_remote.type) | complex;
        kmsg_destroy(kmsg);
        return MACH_RCV_TOO_LARGE;
    }
    msg->msgh_remote_port = copyout_right(space, kmsg->ikm_local);
    kmsg->ikm_local.port = NULL;
    msg->msgh_bits = MACH_MSGH_BITS(local_type, MACH_MSGH_BITS_REMOTE(kmsg->ikm_bits)) | complex;
    mach_msg_return_t body_mr = write_body(kmsg, msg, space);
    kmsg_free(kmsg);
    /* ipc_kmsg_copyout: the message is received; the body's trouble is reported (O4) */
    return body_mr == MACH_MSG_SUCCESS ? MACH_MSG_SUCCESS : MACH_RCV_BODY_ERROR | body_mr;
}

/* --- send and receive ------------------------------------------------------------------------ */

/* M6: a kernel port answers at once. The model reaches kernel routines through mk_* calls, so
 * any message id is unknown here: MIG_BAD_ID, request rights destroyed but the reply right. */
static void kernel_server(kmsg_t *request)
{
    naked_t reply_right = request->ikm_local;
    request->ikm_local.port = NULL;
    mach_msg_id_t id = request->ikm_id;
    world_t *world = request->ikm_world;
    kmsg_destroy(request);
    if (!IO_VALID(reply_right.port))
        return;
    mk_msg_layout_t layout = world_msg_layout(world);
    kmsg_t *reply = kmsg_alloc(world, mk_msg_inline_size(layout, 32, 1));
    reply->ikm_remote = reply_right;
    reply->ikm_bits = MACH_MSGH_BITS(reply_right.type, 0);
    reply->ikm_id = id + 100;
    reply->ikm_kernel = true;
    kern_return_t code = MIG_BAD_ID;
    mk_msg_put_inline(layout, reply->ikm_body, 0, MACH_MSG_TYPE_INTEGER_32, 32, 1, &code);
    mqueue_deliver(reply);
}

static mach_msg_return_t send_enqueue(kthread_t *self, kmsg_t *kmsg)
{
    port_t *port = kmsg->ikm_remote.port;
    if (!port->ip_active) {
        kmsg_destroy(kmsg); /* M5 */
        return MACH_MSG_SUCCESS;
    }
    if (port->ip_kernel) {
        kernel_server(kmsg);
        return MACH_MSG_SUCCESS;
    }
    if (kmsg->ikm_remote.type == MACH_MSG_TYPE_PORT_SEND && !kmsg->ikm_kernel &&
        port->ip_msgcount >= port->ip_qlimit) {
        if ((self->th_option & MACH_SEND_TIMEOUT) && self->th_timeout == 0) {
            pseudo_receive(self, kmsg);
            return MACH_SEND_TIMED_OUT;
        }
        self->th_send_kmsg = kmsg;
        self->th_wait = MK_WAIT_SEND;
        self->th_wait_port = port;
        self->th_wake_result = 0;
        waitq_push(&port->ip_blocked, self);
        return MK_MSG_BLOCKED;
    }
    /* A receive right sent into a cycle (to its own port, or to a port whose receive right
     * travels to it) could never be received or destroyed: GNU Mach marks the message
     * MACH_MSGH_BITS_CIRCULAR at copy-in and ipc_mqueue_send destroys it, the send succeeding.
     * Added rule: the cycle is judged here, when the message would be queued. */
    for (unsigned i = 0; i < kmsg->ikm_nrights; i++) {
        naked_t r = kmsg->ikm_rights[i].kr_right;
        if (r.type == MACH_MSG_TYPE_PORT_RECEIVE && IO_VALID(r.port) &&
            port_check_circularity(r.port, port)) {
            kmsg_destroy(kmsg);
            return MACH_MSG_SUCCESS;
        }
    }
    mqueue_deliver(kmsg);
    return MACH_MSG_SUCCESS;
}

static mach_msg_return_t receive(kthread_t *self)
{
    space_t *space = self->th_task->tk_space;
    if (!space->is_active)
        return MACH_RCV_INVALID_NAME;
    entry_t *entry = space_lookup(space, self->th_rcv_name);
    if (entry == NULL || !(entry->ie_type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET)))
        return MACH_RCV_INVALID_NAME;
    kmsg_queue_t *queue;
    waitq_t *waiters;
    if (entry->ie_type & MACH_PORT_TYPE_RECEIVE) {
        port_t *port = entry->ie_port;
        if (port->ip_pset != NULL)
            return MACH_RCV_IN_SET;
        queue = &port->ip_messages;
        waiters = &port->ip_receivers;
        self->th_wait_port = port;
    } else {
        queue = &entry->ie_pset->ips_messages;
        waiters = &entry->ie_pset->ips_receivers;
        self->th_wait_pset = entry->ie_pset;
    }
    kmsg_t *kmsg = queue->head;
    if (kmsg == NULL) {
        if ((self->th_option & MACH_RCV_TIMEOUT) && self->th_timeout == 0) {
            self->th_wait_port = NULL;
            self->th_wait_pset = NULL;
            return MACH_RCV_TIMED_OUT;
        }
        self->th_wait = MK_WAIT_RECEIVE;
        self->th_wake_result = 0;
        waitq_push(waiters, self);
        return MK_MSG_BLOCKED;
    }
    self->th_wait_port = NULL;
    self->th_wait_pset = NULL;
    if (kmsg->ikm_size > self->th_rcv_size && (self->th_option & MACH_RCV_LARGE)) {
        self->th_msg->msgh_size = kmsg->ikm_size; /* stays queued */
        return MACH_RCV_TOO_LARGE;
    }
    queue_take(queue);
    return receive_complete(self, kmsg);
}

/*
 * mk_mach_msg: the mach_msg trap (ipc/mach_msg.c: mach_msg_trap); rules M1-M8.
 * Send first; a send error returns at once. Then the receive, whose errors are receive errors.
 * Returns MACH_MSG_SUCCESS, MACH_SEND_* (M2-M4), MACH_RCV_* (M7), or MK_MSG_BLOCKED.
 */
mach_msg_return_t mk_mach_msg(kthread_t *self, mach_msg_header_t *msg, mach_msg_option_t option,
                              mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                              mach_port_name_t rcv_name, mach_msg_timeout_t timeout)
{
    self->th_msg = msg;
    self->th_option = option;
    self->th_rcv_size = rcv_size;
    self->th_rcv_name = rcv_name;
    self->th_timeout = timeout;
    self->th_wake_result = 0;
    self->th_handoff = NULL;
    if (option & MACH_SEND_MSG) {
        kmsg_t *kmsg;
        mach_msg_return_t mr = kmsg_copyin(self, msg, send_size, &kmsg);
        if (mr != MACH_MSG_SUCCESS)
            return mr;
        mr = send_enqueue(self, kmsg);
        if (mr != MACH_MSG_SUCCESS)
            return mr;
    }
    if (option & MACH_RCV_MSG)
        return receive(self);
    return MACH_MSG_SUCCESS;
}

mach_msg_return_t mk_mach_msg_continue(kthread_t *self)
{
    if (self->th_wait != MK_WAIT_NONE)
        return MK_MSG_BLOCKED;
    mach_msg_return_t why = self->th_wake_result;
    self->th_wake_result = 0;
    if (self->th_send_kmsg != NULL) {
        kmsg_t *kmsg = self->th_send_kmsg;
        self->th_send_kmsg = NULL;
        if (why == MACH_SEND_INTERRUPTED || why == MACH_SEND_TIMED_OUT) {
            pseudo_receive(self, kmsg);
            return why;
        }
        mach_msg_return_t mr = send_enqueue(self, kmsg);
        if (mr != MACH_MSG_SUCCESS)
            return mr;
        if (self->th_option & MACH_RCV_MSG)
            return receive(self);
        return MACH_MSG_SUCCESS;
    }
    if (self->th_handoff != NULL) {
        kmsg_t *kmsg = self->th_handoff;
        self->th_handoff = NULL;
        /* A handed message never needs MACH_RCV_LARGE's "stay queued": a receiver that asked for
         * it with too small a buffer is woken with MACH_RCV_TOO_LARGE instead of being handed
         * the message (receiver_for, as ipc_mqueue_send does). */
        return receive_complete(self, kmsg);
    }
    if (why != 0)
        return why;
    return receive(self);
}

/* Ends a blocked call early: a timeout, or thread_abort (H6). A receiver already handed a
 * message completes normally. */
void kthread_abort_wait(kthread_t *thread, bool timeout)
{
    if (thread->th_wait == MK_WAIT_RECEIVE) {
        if (thread->th_wait_port != NULL)
            waitq_remove(&thread->th_wait_port->ip_receivers, thread);
        if (thread->th_wait_pset != NULL)
            waitq_remove(&thread->th_wait_pset->ips_receivers, thread);
        wake(thread, timeout ? MACH_RCV_TIMED_OUT : MACH_RCV_INTERRUPTED);
    } else if (thread->th_wait == MK_WAIT_SEND) {
        waitq_remove(&thread->th_wait_port->ip_blocked, thread);
        wake(thread, timeout ? MACH_SEND_TIMED_OUT : MACH_SEND_INTERRUPTED);
    }
}

mach_msg_return_t mk_mach_msg_interrupt(kthread_t *self, bool timeout)
{
    kthread_abort_wait(self, timeout);
    return mk_mach_msg_continue(self);
}

mk_wait_t mk_thread_blocked(const kthread_t *thread, uint32_t *port_id)
{
    if (port_id != NULL)
        *port_id = thread->th_wait_port != NULL ? thread->th_wait_port->ip_id
                 : thread->th_wait_pset != NULL ? thread->th_wait_pset->ips_id : 0;
    return thread->th_wait;
}

bool mk_queue_peek(ktask_t *task, mach_port_name_t name, size_t i, mach_msg_id_t *id,
                   bool *reply, void *body, size_t len, size_t *body_len)
{
    if (task->tk_space == NULL)
        return false;
    entry_t *entry = space_lookup(task->tk_space, name);
    if (entry == NULL || !(entry->ie_type & MACH_PORT_TYPE_RECEIVE))
        return false;
    port_t *port = entry->ie_port;
    kmsg_queue_t *q = port->ip_pset != NULL ? &port->ip_pset->ips_messages : &port->ip_messages;
    for (kmsg_t *k = q->head; k != NULL; k = k->ikm_next) {
        if (k->ikm_remote.port != port || i-- > 0)
            continue;
        *id = k->ikm_id;
        *reply = k->ikm_local.port != NULL;
        memcpy(body, k->ikm_body, k->ikm_body_len < len ? k->ikm_body_len : len);
        *body_len = k->ikm_body_len;
        return true;
    }
    return false;
}

size_t mk_queue_ids(ktask_t *task, mach_port_name_t name, mach_msg_id_t *ids, size_t max)
{
    if (task->tk_space == NULL)
        return 0;
    entry_t *entry = space_lookup(task->tk_space, name);
    if (entry == NULL)
        return 0;
    kmsg_queue_t *q;
    if (entry->ie_type & MACH_PORT_TYPE_RECEIVE)
        q = entry->ie_port->ip_pset != NULL ? &entry->ie_port->ip_pset->ips_messages
                                            : &entry->ie_port->ip_messages;
    else if (entry->ie_type & MACH_PORT_TYPE_PORT_SET)
        q = &entry->ie_pset->ips_messages;
    else
        return 0;
    size_t n = 0;
    for (kmsg_t *k = q->head; k != NULL; k = k->ikm_next) {
        if (entry->ie_type & MACH_PORT_TYPE_RECEIVE && k->ikm_remote.port != entry->ie_port)
            continue;
        if (n < max)
            ids[n] = k->ikm_id;
        n++;
    }
    return n;
}
