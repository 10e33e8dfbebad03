/*
 * test_notify.c: port death and notifications (rules D1, D2, D4, D5, D7, D8 of docs/spec-rules.md),
 * model/port.c with the request routines of model/mach_port.c.
 *
 * Notifications are checked where user space sees them: as messages queued on the notify port,
 * by id and in order, and received where their content matters. A second task holds rights to
 * the ports under test, so that a port's death shows in another space too.
 */
#include "testlib.h"
#include "testmsg.h"

#include <string.h>

#define HDR ((mach_msg_size_t)sizeof(mach_msg_header_t))
#define TYPE_LEN ((mach_msg_size_t)sizeof(mach_msg_type_t))
#define TYPE_MASK (~(MACH_PORT_TYPE_DNREQUEST | MACH_PORT_TYPE_MAREQUEST | MACH_PORT_TYPE_COMPAT))

/* A message to dest carrying one port item (disposition disp, name) when disp != 0. */
static mach_msg_return_t send_port(kthread_t *th, mach_port_name_t dest,
                                   mach_msg_type_name_t dest_disp, mach_msg_type_name_t reply_disp,
                                   mach_port_name_t reply, mach_msg_type_name_t disp,
                                   mach_port_name_t name, mach_msg_id_t id)
{
    msgbuf_t m;
    memset(&m, 0, sizeof m);
    m.h.msgh_bits = MACH_MSGH_BITS(dest_disp, reply_disp);
    m.h.msgh_remote_port = dest;
    m.h.msgh_local_port = reply;
    m.h.msgh_id = id;
    if (disp != 0) {
        mach_msg_type_t t;
        memset(&t, 0, sizeof t);
        t.msgt_name = disp;
        t.msgt_size = 32;
        t.msgt_number = 1;
        t.msgt_inline = 1;
        memcpy(m.body, &t, sizeof t);
        memcpy(m.body + sizeof t, &name, sizeof name);
        m.len = sizeof t + sizeof name;
        m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    }
    mach_msg_size_t size = HDR + (mach_msg_size_t)m.len;
    m.h.msgh_size = size;
    return mk_mach_msg(th, &m.h, MACH_SEND_MSG, size, 0, MACH_PORT_NULL, 0);
}

/* Receives one message on name now and returns its id, or -1 if there was none. */
static mach_msg_id_t next_id(kthread_t *th, mach_port_name_t name)
{
    msgbuf_t m;
    if (recv_msg(th, name, &m) != MACH_MSG_SUCCESS)
        return -1;
    return m.h.msgh_id;
}

static kern_return_t request(fx_t *fx, mach_port_name_t task, mach_port_name_t name,
                             mach_msg_id_t id, mach_port_mscount_t sync, mach_port_name_t notify,
                             mach_port_name_t *prev)
{
    mach_port_name_t dummy;
    return mk_mach_port_request_notification(fx->th, task, name, id, sync, notify,
                                             MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                             prev != NULL ? prev : &dummy);
}

/* The type `name` reports in task `t` (through the RPC, so with R0's conversion). */
static mach_port_type_t type_of(fx_t *fx, mach_port_name_t t, mach_port_name_t name)
{
    mach_port_type_t type = 0;
    check_kr(mk_mach_port_type(fx->th, t, name, &type), KERN_SUCCESS);
    return type;
}

/* --- D1: what destroys a port ------------------------------------------------------------------ */

/* Each way a port dies: its send right in another task becomes a dead name. */
static void test_D1_what_destroys_a_port(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t r;
    uint32_t id;

    /* mod_refs(RECEIVE, -1) */
    r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x101, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    id = port_of(fx->task, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    assert_int_equal(type_of(fx, other, 0x101) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */

    /* mach_port_destroy on a name holding receive (here with send) */
    r = alloc_rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x102, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    id = port_of(fx->task, r);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    check_no_name(fx->task, r); /* rule D1 */
    assert_int_equal(type_of(fx, other, 0x102) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */

    /* termination of the task holding the receive right, which also destroys its task port */
    mach_port_name_t victim, vrcv;
    fx_new_task(fx, NULL, &victim);
    mach_port_name_t s = remote_send(fx, victim, &vrcv);
    id = port_of(fx->task, s);
    uint32_t tid = port_of(fx->task, victim);
    check_kr(mk_task_terminate(fx->th, victim), KERN_SUCCESS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    assert_false(port_info(fx->w, tid).active); /* rule D1 */
    assert_int_equal(type_of(fx, fx->self, s) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */
    assert_int_equal(type_of(fx, fx->self, victim) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */

    /* termination of a thread destroys its kernel port */
    mach_port_name_t thname;
    check_kr(mk_thread_create(fx->th, other, &thname), KERN_SUCCESS);
    id = port_of(fx->task, thname);
    check_kr(mk_thread_terminate(fx->th, thname), KERN_SUCCESS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    assert_int_equal(type_of(fx, fx->self, thname) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */

    /* destruction of a message carrying the receive right */
    mach_port_name_t q = alloc_rcv(fx);
    r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x103, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    id = port_of(fx->task, r);
    check_kr(send_port(fx->th, q, MACH_MSG_TYPE_MAKE_SEND, 0, 0, MACH_MSG_TYPE_MOVE_RECEIVE, r, 1),
             MACH_MSG_SUCCESS);
    assert_true(port_info(fx->w, id).active); /* rule D1 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, q, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    assert_int_equal(type_of(fx, other, 0x103) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */

    /* I4: a receive right carried to insert_right that fails is destroyed */
    r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x104, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    id = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x101, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_RIGHT_EXISTS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    assert_int_equal(type_of(fx, other, 0x104) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */
}

/* With a port-destroyed request the port survives: its receive right arrives in notification 69
 * and its queue stays as it was (M8 amendment). */
static void test_D1_port_destroyed_request(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n = alloc_rcv(fx), n2 = alloc_rcv(fx), r = alloc_rcv(fx), prev;
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x100, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(send_port(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0, 0, 500), MACH_MSG_SUCCESS);
    uint32_t id = port_of(fx->task, r);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 0, n2, &prev), KERN_SUCCESS);
    assert_int_equal(prev, MACH_PORT_NULL); /* rule D1 */
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 0, n, &prev), KERN_SUCCESS);
    check_name(fx->task, prev, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule D1 */
    assert_int_equal(port_of(fx->task, prev), port_of(fx->task, n2)); /* rule D1 */
    assert_true(port_info(fx->w, id).has_pdrequest);

    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    check_no_name(fx->task, r); /* rule D1 */
    port_info_t pi = port_info(fx->w, id);
    assert_true(pi.active); /* rule D1 */
    assert_false(pi.has_pdrequest); /* rule D1 */
    assert_int_equal(type_of(fx, other, 0x100) & TYPE_MASK, MACH_PORT_TYPE_SEND); /* rule D1 */

    msgbuf_t m;
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED); /* rule D1 */
    assert_int_equal(type_at(&m, 0).msgt_name, MACH_MSG_TYPE_PORT_RECEIVE); /* rule D1 */
    mach_port_name_t nr = word_at(&m, TYPE_LEN);
    check_name(fx->task, nr, MACH_PORT_TYPE_RECEIVE, 0); /* rule D1 */
    assert_int_equal(port_of(fx->task, nr), id); /* rule D1 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, nr, ids), 1); /* rules D1 M8 */
    assert_int_equal(ids[0], 500); /* rules D1 M8 */
    assert_int_equal(ids_of(fx->task, n2, ids), 0); /* rule D1 */

    /* the same when the holder's task terminates */
    mach_port_name_t victim, vrcv;
    fx_new_task(fx, NULL, &victim);
    mach_port_name_t s = remote_send(fx, victim, &vrcv);
    id = port_of(fx->task, s);
    check_kr(request(fx, victim, vrcv, MACH_NOTIFY_PORT_DESTROYED, 0, n, NULL), KERN_SUCCESS);
    check_kr(mk_task_terminate(fx->th, victim), KERN_SUCCESS);
    assert_true(port_info(fx->w, id).active); /* rule D1 */
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED); /* rule D1 */
    nr = word_at(&m, TYPE_LEN);
    assert_int_equal(nr, s); /* rule D1 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule D1 */
}

/* A port in a set, with a port-destroyed request: its receive right leaves the set and its
 * messages come back with it; a receiver blocked on the set stays blocked. */
static void test_D1_port_destroyed_in_set(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx), r2 = alloc_rcv(fx), ps;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, ps), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r2, ps), KERN_SUCCESS);
    check_kr(send_port(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0, 0, 1), MACH_MSG_SUCCESS);
    check_kr(send_port(fx->th, r2, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0, 0, 2), MACH_MSG_SUCCESS);
    check_kr(send_port(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0, 0, 3), MACH_MSG_SUCCESS);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 0, n, NULL), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, ps, ids), 1); /* rule D1 */
    assert_int_equal(ids[0], 2); /* rule D1 */
    msgbuf_t m;
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED); /* rule D1 */
    mach_port_name_t nr = word_at(&m, TYPE_LEN);
    assert_int_equal(ids_of(fx->task, nr, ids), 2); /* rules D1 M8 */
    assert_int_equal(ids[0], 1); /* rules D1 M8 */
    assert_int_equal(ids[1], 3); /* rules D1 M8 */
    check_kr(recv_msg(fx->th, nr, &m), MACH_MSG_SUCCESS); /* rule D1 */
    assert_int_equal(m.h.msgh_id, 1); /* rule D1 */
}

/* The task holding both the port and the request's notify port terminates: whichever its
 * space cleans first, the port ends up dead and nothing leaks. */
static void test_D1_port_destroyed_owner_and_notify_die(void **state)
{
    fx_t *fx = *state;
    for (int order = 0; order < 2; order++) {
        mach_port_name_t victim;
        fx_new_task(fx, NULL, &victim);
        mach_port_name_t rname = order == 0 ? 0x10 : 0x20, nname = order == 0 ? 0x20 : 0x10;
        check_kr(mk_mach_port_allocate_name(fx->th, victim, MACH_PORT_RIGHT_RECEIVE, rname),
                 KERN_SUCCESS);
        check_kr(mk_mach_port_allocate_name(fx->th, victim, MACH_PORT_RIGHT_RECEIVE, nname),
                 KERN_SUCCESS);
        mach_port_name_t s, prev;
        mach_msg_type_name_t t;
        check_kr(mk_mach_port_extract_right(fx->th, victim, rname, MACH_MSG_TYPE_MAKE_SEND, &s, &t),
                 KERN_SUCCESS);
        mach_port_name_t so;
        check_kr(mk_mach_port_extract_right(fx->th, victim, nname, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
                                            &t),
                 KERN_SUCCESS);
        check_kr(mk_mach_port_request_notification(fx->th, victim, rname,
                                                   MACH_NOTIFY_PORT_DESTROYED, 0, so,
                                                   MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
                 KERN_SUCCESS);
        uint32_t id = port_of(fx->task, s);
        check_kr(mk_task_terminate(fx->th, victim), KERN_SUCCESS);
        assert_false(port_info(fx->w, id).active); /* rule D1 */
        assert_int_equal(type_of(fx, fx->self, s) & TYPE_MASK, MACH_PORT_TYPE_DEAD_NAME); /* rule D1 */
        check_model_clean(fx->w);
    }
}

/* Circular: the request is a send-once right to the port itself. It is dropped without a
 * notification and the port dies as in D2. */
static void test_D1_port_destroyed_circular(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx), prev;
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x100, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(request(fx, other, 0x100, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS);
    uint32_t id = port_of(fx->task, r);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 0, r, &prev), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, id).sorights, 1);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_false(port_info(fx->w, id).active); /* rule D1 */
    check_no_name(fx->task, r); /* rule D1 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule D1 */
    assert_int_equal(ids[0], MACH_NOTIFY_DEAD_NAME); /* rule D1 */
    assert_int_equal(port_info(fx->w, id).sorights, 0); /* rule D1 */
}

/* --- D2: what happens when a port dies --------------------------------------------------------- */

/* A pending no-senders request is answered with a send-once notification, never 70. */
static void test_D2_nsrequest_gets_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x100, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, n, NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule D2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule D2 */
    /* the last sender going away later sends nothing either */
    check_kr(mk_mach_port_deallocate(fx->th, other, 0x100), KERN_SUCCESS);
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule D2 */
    assert_int_equal(next_id(fx->th, n), MACH_NOTIFY_SEND_ONCE); /* rule D2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, n)).sorights, 0); /* rule D2 */
}

/* Queued messages are destroyed with their rights: a reply send-once right notifies its port, a
 * carried send right lowers srights (and may fire no-senders). */
static void test_D2_queue_destroyed(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx), p = alloc_rcv(fx), n = alloc_rcv(fx);
    check_kr(request(fx, fx->self, p, MACH_NOTIFY_NO_SENDERS, 1, n, NULL), KERN_SUCCESS);
    check_kr(send_port(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp,
                       MACH_MSG_TYPE_MAKE_SEND, p, 7),
             MACH_MSG_SUCCESS);
    uint32_t pid = port_of(fx->task, p), rpid = port_of(fx->task, rp);
    assert_int_equal(port_info(fx->w, pid).srights, 1);
    assert_int_equal(port_info(fx->w, rpid).sorights, 1);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule D2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule D2 */
    assert_int_equal(port_info(fx->w, pid).srights, 0); /* rule D2 */
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule D2 */
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS); /* rule D2 */
    assert_int_equal(next_id(fx->th, rp), MACH_NOTIFY_SEND_ONCE);
    assert_int_equal(port_info(fx->w, rpid).sorights, 0); /* rule D2 */
}

/* Dead-name notifications carry the requester's name for the port. */
static void test_D2_dead_name_carries_requester_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t2, t3;
    fx_new_task(fx, NULL, &t2);
    kthread_t *th3 = fx_new_task(fx, NULL, &t3);
    mach_port_name_t n = alloc_rcv(fx), r2;
    mach_port_name_t s = remote_send(fx, t2, &r2);
    check_kr(mk_mach_port_insert_right(fx->th, t3, 0x77, s, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS);
    check_kr(request(fx, t3, 0x77, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS);
    assert_int_not_equal(s, 0x77);
    check_kr(mk_mach_port_destroy(fx->th, t2, r2), KERN_SUCCESS);
    msgbuf_t a, b;
    check_kr(recv_msg(fx->th, n, &a), MACH_MSG_SUCCESS);
    check_kr(recv_msg(fx->th, n, &b), MACH_MSG_SUCCESS);
    assert_int_equal(a.h.msgh_id, MACH_NOTIFY_DEAD_NAME); /* rule D2 */
    assert_int_equal(b.h.msgh_id, MACH_NOTIFY_DEAD_NAME); /* rule D2 */
    mach_port_name_t na = word_at(&a, TYPE_LEN), nb = word_at(&b, TYPE_LEN);
    assert_true((na == s && nb == 0x77) || (na == 0x77 && nb == s)); /* rule D2 */
    /* each requester's name gained the uref the notification carries */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, s), KERN_SUCCESS);
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule D2 */
    mach_port_urefs_t refs;
    check_kr(mk_mach_port_get_refs(fx->th, t3, 0x77, MACH_PORT_RIGHT_DEAD_NAME, &refs), KERN_SUCCESS);
    assert_int_equal(refs, 2); /* rule D2 */
    check_name(kthread_task(th3), 0x77, MACH_PORT_TYPE_DEAD_NAME, 2); /* rule D2 */

    /* the requester's name at the time of death: a renamed entry's new name */
    mach_port_name_t s2 = remote_send(fx, t2, &r2);
    check_kr(request(fx, fx->self, s2, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS);
    check_kr(mk_mach_port_rename(fx->th, fx->self, s2, 0x4444), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t2, r2), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &a), MACH_MSG_SUCCESS);
    assert_int_equal(a.h.msgh_id, MACH_NOTIFY_DEAD_NAME); /* rule D2 */
    assert_int_equal(word_at(&a, TYPE_LEN), 0x4444); /* rule D2 */
}

/* The order of D2's steps, seen on one notify port: the no-senders request's send-once (step 2),
 * then what destroying the queue sends (step 3), then dead-name notifications (step 4). */
static void test_D2_death_order(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx), p = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x100, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, n, NULL), KERN_SUCCESS);
    check_kr(request(fx, other, 0x100, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS);
    check_kr(request(fx, fx->self, p, MACH_NOTIFY_NO_SENDERS, 1, n, NULL), KERN_SUCCESS);
    check_kr(send_port(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, MACH_MSG_TYPE_MAKE_SEND, p, 7),
             MACH_MSG_SUCCESS);
    /* step 1: a blocked sender is woken (its message then goes nowhere, M5) */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r, 1), KERN_SUCCESS);
    check_kr(send_port(th2, r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0, 0, 8), MK_MSG_BLOCKED);

    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule D2 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule D2 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, n, ids), 3); /* rule D2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule D2 */
    assert_int_equal(ids[1], MACH_NOTIFY_NO_SENDERS); /* rule D2 */
    assert_int_equal(ids[2], MACH_NOTIFY_DEAD_NAME); /* rule D2 */
}

/* Step 1 also wakes the port's blocked receivers. */
static void test_D2_receivers_woken(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx);
    msgbuf_t m;
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_RECEIVE);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule D2 */
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_PORT_DIED); /* rule D2 */
}

/* --- D4: kernel-held rights to dead ports copy as MACH_PORT_DEAD ------------------------------ */

static void test_D4_kernel_held_rights(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv(fx), q = alloc_rcv(fx), got;
    make_send(fx, q);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, p,
                                      MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_EXCEPTION_PORT, q,
                                      MACH_MSG_TYPE_COPY_SEND),
             KERN_SUCCESS);
    mach_port_name_t regs[2] = {q, p};
    check_kr(mk_mach_ports_register(fx->th, fx->self, regs, 1), KERN_SUCCESS);
    /* alive, they copy out as send rights */
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, &got), KERN_SUCCESS);
    assert_int_equal(got, p); /* rule D4 */
    check_name(fx->task, p, MACH_PORT_TYPE_SEND_RECEIVE, 1);

    check_kr(mk_mach_port_destroy(fx->th, fx->self, p), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, q), KERN_SUCCESS);
    size_t names = space_count(fx->task);
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, &got), KERN_SUCCESS);
    assert_int_equal(got, MACH_PORT_DEAD); /* rule D4 */
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_EXCEPTION_PORT, &got), KERN_SUCCESS);
    assert_int_equal(got, MACH_PORT_DEAD); /* rule D4 */
    mach_port_name_t *ports;
    mach_msg_type_number_t count;
    check_kr(mk_mach_ports_lookup(fx->th, fx->self, &ports, &count), KERN_SUCCESS);
    assert_int_equal(count, TASK_PORT_REGISTER_MAX);
    assert_int_equal(ports[0], MACH_PORT_DEAD); /* rule D4 */
    assert_int_equal(ports[1], MACH_PORT_NULL); /* rule D4 */
    free(ports);
    assert_int_equal(space_count(fx->task), names); /* rule D4 */

    /* the task's and a thread's own kernel ports, interposed and dead: the self traps give DEAD */
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t th2name = mk_mach_thread_self(th2);
    mach_port_name_t k = alloc_rcv(fx), kt = alloc_rcv(fx);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_KERNEL_PORT, k, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(mk_thread_set_special_port(fx->th, th2name, THREAD_KERNEL_PORT, kt,
                                        MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    assert_int_equal(mk_mach_task_self(th2), k); /* rule D4 */
    assert_int_equal(mk_mach_thread_self(th2), kt); /* rule D4 */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, k), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, kt), KERN_SUCCESS);
    assert_int_equal(mk_mach_task_self(th2), MACH_PORT_DEAD); /* rule D4 */
    assert_int_equal(mk_mach_thread_self(th2), MACH_PORT_DEAD); /* rule D4 */

    /* a new task inherits the bootstrap port: a dead one stays dead */
    mach_port_name_t child;
    check_kr(mk_task_create(fx->th, fx->self, 0, &child), KERN_SUCCESS);
    check_kr(mk_task_get_special_port(fx->th, child, TASK_BOOTSTRAP_PORT, &got), KERN_SUCCESS);
    assert_int_equal(got, MACH_PORT_DEAD); /* rule D4 */
    check_kr(mk_task_terminate(fx->th, child), KERN_SUCCESS);
}

/* --- D5: dead-name requests -------------------------------------------------------------------- */

static void test_D5_previous_and_cancel(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other, r2, prev, prev2;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n1 = alloc_rcv(fx), n2 = alloc_rcv(fx);
    mach_port_name_t s = remote_send(fx, other, &r2);
    uint32_t pid = port_of(fx->task, s);
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n1, &prev), KERN_SUCCESS); /* rule D5 */
    assert_int_equal(prev, MACH_PORT_NULL); /* rule D5 */
    assert_true(type_of(fx, fx->self, s) & MACH_PORT_TYPE_DNREQUEST); /* rule D5 */
    assert_int_equal(port_info(fx->w, pid).dnrequests, 1); /* rule D5 */
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n2, &prev), KERN_SUCCESS); /* rule D5 */
    check_name(fx->task, prev, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule D5 */
    assert_int_equal(port_of(fx->task, prev), port_of(fx->task, n1)); /* rule D5 */
    assert_int_equal(port_info(fx->w, pid).dnrequests, 1); /* rule D5 */
    /* a null notify port cancels */
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, MACH_PORT_NULL, &prev2),
             KERN_SUCCESS); /* rule D5 */
    assert_int_equal(port_of(fx->task, prev2), port_of(fx->task, n2)); /* rule D5 */
    assert_false(type_of(fx, fx->self, s) & MACH_PORT_TYPE_DNREQUEST); /* rule D5 */
    assert_int_equal(port_info(fx->w, pid).dnrequests, 0); /* rule D5 */
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, MACH_PORT_NULL, &prev2),
             KERN_SUCCESS); /* rule D5 */
    assert_int_equal(prev2, MACH_PORT_NULL); /* rule D5 */
    check_kr(mk_mach_port_destroy(fx->th, other, r2), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n1, NULL, 0), 0); /* rule D5 */
    assert_int_equal(queued(fx->task, n2, NULL, 0), 0); /* rule D5 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 1);
    assert_int_equal(type_of(fx, fx->self, s), MACH_PORT_TYPE_DEAD_NAME); /* rule D5 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule D5 */
}

/* Requests on send-once and receive entries; DEAD notify; port sets. */
static void test_D5_kinds_of_entry(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx), ps;
    mach_port_name_t so = make_send_once(fx, r);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS); /* rule D5 */
    check_kr(request(fx, fx->self, so, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS); /* rule D5 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).dnrequests, 2); /* rule D5 */
    mach_port_name_t prev = 0x55;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, r, MACH_NOTIFY_DEAD_NAME, 0,
                                               MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
             KERN_INVALID_CAPABILITY); /* rule D5 */
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(request(fx, fx->self, ps, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_INVALID_RIGHT); /* rule D5 */
    check_snapshot_same(fx->task, &snap); /* rule D5 */
    /* the request's notify right was destroyed unused: a send-once notification (D8) */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule D8 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule D8 */
}

/* D5 (amended): a DEAD notify port is KERN_INVALID_CAPABILITY first, for every id, before the
 * id, sync or the name is looked at (ipc/mach_port.c: mach_port_request_notification tests it
 * right after the null space). Each call below has a second error a later check would give:
 * a bad sync for a port-destroyed request, a name that is not a receive right for no-senders,
 * an unknown name for a dead-name request, an unknown id. Nothing changes in the space. */
static void test_D5_dead_notify_first_for_every_id(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), so = make_send_once(fx, n);
    static const mach_msg_id_t ids[] = {MACH_NOTIFY_PORT_DESTROYED, MACH_NOTIFY_NO_SENDERS,
                                        MACH_NOTIFY_DEAD_NAME, 999};
    const mach_port_name_t names[] = {n, so, 0x7777, n};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        snapshot_t snap;
        snapshot_take(fx->task, &snap);
        mach_port_name_t prev = 0x55;
        check_kr(mk_mach_port_request_notification(fx->th, fx->self, names[i], ids[i], 1,
                                                   MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
                 KERN_INVALID_CAPABILITY); /* rule D5 */
        check_snapshot_same(fx->task, &snap); /* rule D5 */
    }
}

/* On a dead name: sync != 0 with a notify port adds a uref and notifies at once; otherwise
 * KERN_INVALID_ARGUMENT. */
static void test_D5_dead_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), d, prev;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &d), KERN_SUCCESS);
    check_kr(request(fx, fx->self, d, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_INVALID_ARGUMENT); /* rule D5 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule D5 */
    check_kr(request(fx, fx->self, d, MACH_NOTIFY_DEAD_NAME, 1, MACH_PORT_NULL, NULL),
             KERN_INVALID_ARGUMENT); /* rule D5 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule D5 */
    assert_int_equal(next_id(fx->th, n), MACH_NOTIFY_SEND_ONCE); /* the destroyed notify right */
    assert_int_equal(queued(fx->task, n, NULL, 0), 0);

    check_kr(request(fx, fx->self, d, MACH_NOTIFY_DEAD_NAME, 1, n, &prev), KERN_SUCCESS); /* rule D5 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 2); /* rule D5 */
    assert_int_equal(prev, MACH_PORT_NULL); /* rule D5 */
    msgbuf_t m;
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D5 */
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_DEAD_NAME); /* rule D5 */
    assert_int_equal(word_at(&m, TYPE_LEN), d); /* rule D5 */

    /* at 65535 urefs: KERN_UREFS_OVERFLOW */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, d, MACH_PORT_RIGHT_DEAD_NAME, 65533),
             KERN_SUCCESS);
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 65535);
    check_kr(request(fx, fx->self, d, MACH_NOTIFY_DEAD_NAME, 1, n, NULL), KERN_UREFS_OVERFLOW); /* rule D5 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 65535); /* rule D5 */

    /* a send right whose port died is a dead name here too */
    mach_port_name_t other, r2;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, &r2);
    check_kr(mk_mach_port_destroy(fx->th, other, r2), KERN_SUCCESS);
    while (next_id(fx->th, n) != -1)
        ;
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_INVALID_ARGUMENT); /* rule D5 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule D5 */
    check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 1, n, NULL), KERN_SUCCESS); /* rule D5 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 2); /* rule D5 */
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE); /* the failed request's notify right */
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_DEAD_NAME); /* rule D5 */
    assert_int_equal(word_at(&m, TYPE_LEN), s); /* rule D5 */
}

/* Removing the entry while the port lives sends MACH_NOTIFY_PORT_DELETED with the name. */
static void test_D5_port_deleted(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n = alloc_rcv(fx), q = alloc_rcv(fx);
    msgbuf_t m;
    for (int way = 0; way < 6; way++) {
        mach_port_name_t r2;
        mach_port_name_t s = remote_send(fx, other, &r2);
        if (way == 5) {
            check_kr(mk_mach_port_deallocate(fx->th, fx->self, s), KERN_SUCCESS);
            mach_msg_type_name_t t;
            check_kr(mk_mach_port_extract_right(fx->th, other, r2, MACH_MSG_TYPE_MAKE_SEND_ONCE, &s, &t),
                     KERN_SUCCESS);
        }
        uint32_t pid = port_of(fx->task, s);
        check_kr(request(fx, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n, NULL), KERN_SUCCESS);
        switch (way) {
        case 0:
            check_kr(mk_mach_port_deallocate(fx->th, fx->self, s), KERN_SUCCESS);
            break;
        case 1:
            check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
            break;
        case 2:
            check_kr(mk_mach_port_destroy(fx->th, fx->self, s), KERN_SUCCESS);
            break;
        case 3: /* the last right moved out in a message body */
            check_kr(send_port(fx->th, q, MACH_MSG_TYPE_MAKE_SEND, 0, 0, MACH_MSG_TYPE_MOVE_SEND, s, 1),
                     MACH_MSG_SUCCESS);
            break;
        case 4: /* moved out as a message's destination */
            check_kr(send_port(fx->th, s, MACH_MSG_TYPE_MOVE_SEND, 0, 0, 0, 0, 1), MACH_MSG_SUCCESS);
            break;
        case 5: /* a send-once right deallocated: also notifies its port (D8) */
            check_kr(mk_mach_port_deallocate(fx->th, fx->self, s), KERN_SUCCESS);
            break;
        }
        check_no_name(fx->task, s); /* rule D5 */
        assert_true(port_info(fx->w, pid).active); /* rule D5 */
        assert_int_equal(port_info(fx->w, pid).dnrequests, 0); /* rule D5 */
        check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D5 */
        assert_int_equal(m.h.msgh_id, MACH_NOTIFY_PORT_DELETED); /* rule D5 */
        assert_int_equal(word_at(&m, TYPE_LEN), s); /* rule D5 */
        assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D5 */
    }
}

/* --- D7: no-senders notifications -------------------------------------------------------------- */

static void test_D7_fires_at_zero_srights(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x100, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    uint32_t id = port_of(fx->task, r);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, n, NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    assert_true(port_info(fx->w, id).has_nsrequest); /* rule D7 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    check_kr(mk_mach_port_mod_refs(fx->th, other, 0x100, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
    msgbuf_t m;
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D7 */
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_NO_SENDERS); /* rule D7 */
    assert_int_equal(word_at(&m, TYPE_LEN), 2); /* rule D7 */
    assert_false(port_info(fx->w, id).has_nsrequest); /* rule D7 */
    /* consumed: a later zero sends nothing */
    make_send(fx, r);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */

    /* the receipt of a message uses up its destination send right */
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 4, n, NULL), KERN_SUCCESS);
    check_kr(send_port(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0, 0, 9), MACH_MSG_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    assert_int_equal(next_id(fx->th, r), 9);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D7 */
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_NO_SENDERS); /* rule D7 */
    assert_int_equal(word_at(&m, TYPE_LEN), 4); /* rule D7 */

    /* a send right the kernel holds counts too: replacing a special port releases it */
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, r,
                                      MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, n, NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, MACH_PORT_NULL,
                                      MACH_MSG_TYPE_COPY_SEND),
             KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D7 */
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_NO_SENDERS); /* rule D7 */
    assert_int_equal(word_at(&m, TYPE_LEN), 5); /* rule D7 */
}

/* With srights at 0, sync <= mscount fires at once; sync > mscount waits. */
static void test_D7_immediate(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx), prev;
    uint32_t id = port_of(fx->task, r);
    msgbuf_t m;
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, n, &prev), KERN_SUCCESS);
    assert_int_equal(prev, MACH_PORT_NULL);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D7 */
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_NO_SENDERS); /* rule D7 */
    assert_int_equal(word_at(&m, TYPE_LEN), 0); /* rule D7 */
    assert_false(port_info(fx->w, id).has_nsrequest); /* rule D7 */

    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 1, n, NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    assert_true(port_info(fx->w, id).has_nsrequest); /* rule D7 */
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, MACH_PORT_NULL, &prev), KERN_SUCCESS);
    assert_int_equal(port_of(fx->task, prev), port_of(fx->task, n)); /* rule D7 */
    assert_false(port_info(fx->w, id).has_nsrequest); /* rule D7 */

    check_kr(mk_mach_port_set_mscount(fx->th, fx->self, r, 5), KERN_SUCCESS);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 6, n, NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 5, n, &prev), KERN_SUCCESS);
    check_name(fx->task, prev, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule D7 */
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D7 */
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_NO_SENDERS); /* rule D7 */
    assert_int_equal(word_at(&m, TYPE_LEN), 5); /* rule D7 */
    /* with senders it waits whatever sync says */
    make_send(fx, r);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0, n, NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, n, NULL, 0), 0); /* rule D7 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule D7 */
    assert_int_equal(word_at(&m, TYPE_LEN), 6); /* rule D7 */
}

static void test_D7_pdrequest_needs_sync_zero(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), r = alloc_rcv(fx);
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 1, n, NULL), KERN_INVALID_VALUE); /* rule D7 */
    assert_false(port_info(fx->w, port_of(fx->task, r)).has_pdrequest); /* rule D7 */
    check_kr(request(fx, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 0, n, NULL), KERN_SUCCESS); /* rule D7 */
    assert_true(port_info(fx->w, port_of(fx->task, r)).has_pdrequest); /* rule D7 */
}

/* --- D8: unused send-once rights notify their port ---------------------------------------------- */

static void test_D8_unused_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv(fx), q = alloc_rcv(fx), so;
    uint32_t pid = port_of(fx->task, p);

    so = make_send_once(fx, p);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, so), KERN_SUCCESS);
    assert_int_equal(next_id(fx->th, p), MACH_NOTIFY_SEND_ONCE); /* rule D8 */

    so = make_send_once(fx, p);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_SEND_ONCE, -1), KERN_SUCCESS);
    assert_int_equal(next_id(fx->th, p), MACH_NOTIFY_SEND_ONCE); /* rule D8 */

    so = make_send_once(fx, p);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, so), KERN_SUCCESS);
    assert_int_equal(next_id(fx->th, p), MACH_NOTIFY_SEND_ONCE); /* rule D8 */

    /* task termination (space teardown) */
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x200, p, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    assert_int_equal(queued(fx->task, p, NULL, 0), 0);
    check_kr(mk_task_terminate(fx->th, other), KERN_SUCCESS);
    assert_int_equal(next_id(fx->th, p), MACH_NOTIFY_SEND_ONCE); /* rule D8 */

    /* destruction of a message carrying it */
    check_kr(send_port(fx->th, q, MACH_MSG_TYPE_MAKE_SEND, 0, 0, MACH_MSG_TYPE_MAKE_SEND_ONCE, p, 1),
             MACH_MSG_SUCCESS);
    assert_int_equal(queued(fx->task, p, NULL, 0), 0);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, q), KERN_SUCCESS);
    assert_int_equal(next_id(fx->th, p), MACH_NOTIFY_SEND_ONCE); /* rule D8 */

    /* as a message's reply right, or a send-once destination, the same */
    q = alloc_rcv(fx);
    so = make_send_once(fx, p);
    check_kr(send_port(fx->th, q, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE, so, 0, 0, 2),
             MACH_MSG_SUCCESS);
    check_kr(send_port(fx->th, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0, 0, 0, 0, 3), MACH_MSG_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, q), KERN_SUCCESS);
    assert_int_equal(next_id(fx->th, p), 3);
    assert_int_equal(next_id(fx->th, p), MACH_NOTIFY_SEND_ONCE); /* rule D8 */
    assert_int_equal(queued(fx->task, p, NULL, 0), 0); /* rule D8 */
    assert_int_equal(port_info(fx->w, pid).sorights, 0); /* rule D8 */

    /* a used send-once right (a message's destination, received) sends nothing */
    so = make_send_once(fx, p);
    check_kr(send_port(fx->th, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0, 0, 0, 0, 4), MACH_MSG_SUCCESS);
    assert_int_equal(next_id(fx->th, p), 4);
    assert_int_equal(queued(fx->task, p, NULL, 0), 0); /* rule D8 */
    assert_int_equal(port_info(fx->w, pid).sorights, 0); /* rule D8 */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_D1_what_destroys_a_port),
        FX_TEST(test_D1_port_destroyed_request),
        FX_TEST(test_D1_port_destroyed_in_set),
        FX_TEST(test_D1_port_destroyed_owner_and_notify_die),
        FX_TEST(test_D1_port_destroyed_circular),
        FX_TEST(test_D2_nsrequest_gets_send_once),
        FX_TEST(test_D2_queue_destroyed),
        FX_TEST(test_D2_dead_name_carries_requester_name),
        FX_TEST(test_D2_death_order),
        FX_TEST(test_D2_receivers_woken),
        FX_TEST(test_D4_kernel_held_rights),
        FX_TEST(test_D5_previous_and_cancel),
        FX_TEST(test_D5_kinds_of_entry),
        FX_TEST(test_D5_dead_notify_first_for_every_id),
        FX_TEST(test_D5_dead_name),
        FX_TEST(test_D5_port_deleted),
        FX_TEST(test_D7_fires_at_zero_srights),
        FX_TEST(test_D7_immediate),
        FX_TEST(test_D7_pdrequest_needs_sync_zero),
        FX_TEST(test_D8_unused_send_once),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
