/*
 * test_kmsg.c: messages (rules M1-M9 of docs/spec-rules.md), model/kmsg.c.
 *
 * Each test builds typed (Mach 3) messages by hand, the way MIG lays them out: a header, then
 * for each item a mach_msg_type_t and its inline data padded to 4 bytes. A second thread in the
 * fixture task stands for a sender or receiver that blocks; another task stands for a server or
 * a client in another space. What a failed send leaves behind is checked with snapshots of the
 * space and the port counters.
 */
#include "testlib.h"
#include "testmsg.h"

#include <string.h>

/* --- building and reading messages ---------------------------------------------------------- */

#define HDR ((mach_msg_size_t)sizeof(mach_msg_header_t))
#define TYPE_LEN ((mach_msg_size_t)sizeof(mach_msg_type_t))

static void msg_init(msgbuf_t *m, mach_msg_type_name_t dest_disp, mach_port_name_t dest,
                     mach_msg_type_name_t reply_disp, mach_port_name_t reply, mach_msg_id_t id)
{
    memset(m, 0, sizeof *m);
    m->h.msgh_bits = MACH_MSGH_BITS(dest_disp, reply_disp);
    m->h.msgh_remote_port = dest;
    m->h.msgh_local_port = reply;
    m->h.msgh_id = id;
}

static void put_type(msgbuf_t *m, unsigned name, unsigned number)
{
    mach_msg_type_t t;
    memset(&t, 0, sizeof t);
    t.msgt_name = name;
    t.msgt_size = 32;
    t.msgt_number = number;
    t.msgt_inline = 1;
    memcpy(m->body + m->len, &t, sizeof t);
    m->len += sizeof t;
}

/* Appends a port item of one right; returns the body offset of its type descriptor (the name
 * follows it). Sets COMPLEX. */
static size_t add_port(msgbuf_t *m, mach_msg_type_name_t disp, mach_port_name_t name)
{
    size_t at = m->len;
    m->h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    put_type(m, disp, 1);
    memcpy(m->body + m->len, &name, sizeof name);
    m->len += sizeof name;
    return at;
}

static void add_int(msgbuf_t *m, uint32_t v)
{
    put_type(m, MACH_MSG_TYPE_INTEGER_32, 1);
    memcpy(m->body + m->len, &v, sizeof v);
    m->len += sizeof v;
}

static mach_msg_size_t msg_size(const msgbuf_t *m)
{
    return HDR + (mach_msg_size_t)m->len;
}

static mach_msg_return_t msg_send(kthread_t *th, msgbuf_t *m, mach_msg_option_t extra,
                                  mach_msg_timeout_t timeout)
{
    m->h.msgh_size = msg_size(m);
    return mk_mach_msg(th, &m->h, MACH_SEND_MSG | extra, msg_size(m), 0, MACH_PORT_NULL, timeout);
}

/* A header-only message to dest. */
static mach_msg_return_t send_simple(kthread_t *th, mach_port_name_t dest,
                                     mach_msg_type_name_t disp, mach_msg_id_t id)
{
    msgbuf_t m;
    msg_init(&m, disp, dest, 0, MACH_PORT_NULL, id);
    return msg_send(th, &m, 0, 0);
}

static mach_port_name_t alloc_kind(fx_t *fx, mach_port_right_t right)
{
    mach_port_name_t n = 0;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, right, &n), KERN_SUCCESS);
    return n;
}

static void fill(fx_t *fx, mach_port_name_t r, int n)
{
    for (int i = 0; i < n; i++)
        check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 1000 + i), MACH_MSG_SUCCESS);
}

/* --- M1: header bits ------------------------------------------------------------------------- */

static void test_M1_bad_bits(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    /* dest disposition, reply disposition, and whether a reply name is given */
    static const struct { unsigned dest, reply; bool named; } bad[] = {
        {0, 0, false},
        {MACH_MSG_TYPE_MOVE_RECEIVE, 0, false},
        {MACH_MSG_TYPE_PORT_NAME, 0, false},
        {MACH_MSG_TYPE_MAKE_SEND_ONCE + 1, 0, false},
        {MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_RECEIVE, true},
        {MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE + 1, true},
        {MACH_MSG_TYPE_MAKE_SEND, 255, true},
        {MACH_MSG_TYPE_MAKE_SEND, 0, true}, /* reply 0 needs a null reply name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msgbuf_t m;
        msg_init(&m, bad[i].dest, r, bad[i].reply, bad[i].named ? r : MACH_PORT_NULL, 7);
        check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_HEADER); /* rule M1 */
    }
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_DEAD, 7);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_HEADER); /* rule M1 */
    check_snapshot_same(fx->task, &snap); /* rules M1 M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M1 */
    port_info_t pi = port_info(fx->w, port_of(fx->task, r));
    assert_int_equal(pi.mscount, 0); /* rule M1 */
    assert_int_equal(pi.sorights, 0); /* rule M1 */
}

/* Every destination disposition 17-21 and reply disposition 0 or 17-21 is accepted; the id is
 * never interpreted. */
static void test_M1_good_bits_and_id(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 3), KERN_SUCCESS);
    mach_port_name_t so = make_send_once(fx, r);
    static const mach_msg_id_t ids[] = {0, -5, 0x7fffffff, MACH_NOTIFY_DEAD_NAME, 3200};
    unsigned dest[] = {MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE,
                       MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND,
                       MACH_MSG_TYPE_MAKE_SEND_ONCE};
    for (int i = 0; i < 5; i++) {
        msgbuf_t m;
        msg_init(&m, dest[i], dest[i] == MACH_MSG_TYPE_MOVE_SEND_ONCE ? so : r,
                 i == 0 ? 0 : MACH_MSG_TYPE_MAKE_SEND_ONCE, i == 0 ? MACH_PORT_NULL : rp, ids[i]);
        check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M1 */
    }
    /* every reply disposition 17-21 */
    mach_port_name_t rso = make_send_once(fx, rp);
    make_send(fx, rp);
    unsigned reply[] = {MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE,
                        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND,
                        MACH_MSG_TYPE_MAKE_SEND_ONCE};
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rp, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
    for (int i = 0; i < 5; i++) {
        msgbuf_t m;
        msg_init(&m, MACH_MSG_TYPE_MAKE_SEND_ONCE, r, reply[i],
                 reply[i] == MACH_MSG_TYPE_MOVE_SEND_ONCE ? rso : rp, 50 + i);
        check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M1 */
    }
    for (int i = 0; i < 5; i++) {
        msgbuf_t m;
        check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
        assert_int_equal(m.h.msgh_id, ids[i]); /* rule M1 */
    }
}

/* --- M2: send checks in order -------------------------------------------------------------- */

static void test_M2_size_and_header_first(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    msgbuf_t m;
    msg_init(&m, 0, 0x999, 0, MACH_PORT_NULL, 1); /* bad bits and an unused destination */
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG, HDR - 4, 0, 0, 0),
             MACH_SEND_MSG_TOO_SMALL); /* rule M2 */
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG, 0, 0, 0, 0),
             MACH_SEND_MSG_TOO_SMALL); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 1);
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG, HDR + 2, 0, 0, 0),
             MACH_SEND_MSG_TOO_SMALL); /* rule M2 */
    msg_init(&m, 0, 0x999, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_HEADER); /* rule M2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).mscount, 0); /* rule M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0);

    /* a dead space: bad bits still come first, then INVALID_DEST */
    mach_port_name_t self2;
    kthread_t *th2 = fx_new_task(fx, &self2, NULL);
    world_kill_space(kthread_task(th2));
    msg_init(&m, 0, self2, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(th2, &m, 0, 0), MACH_SEND_INVALID_HEADER); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, self2, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(th2, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
}

static void test_M2_dest_and_reply(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx);
    mach_port_name_t ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t d = alloc_kind(fx, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, NULL);
    uint32_t rid = port_of(fx->task, r), rpid = port_of(fx->task, rp);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    msgbuf_t m;

    /* step 4: an unused destination, before the reply */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, 0x999, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0x998, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    /* an unused or wrong-kind reply */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0x998, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND_ONCE, r, MACH_MSG_TYPE_COPY_SEND, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND_ONCE, r, MACH_MSG_TYPE_MOVE_SEND_ONCE, s, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND, ps, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    /* the reply is checked before the destination right's kind */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, d, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0x998, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, ps, MACH_MSG_TYPE_COPY_SEND, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 0x998, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_REPLY); /* rule M2 */
    /* step 5: the destination right's kind */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, d, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND, d, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, ps, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND, r, MACH_MSG_TYPE_MAKE_SEND, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND_ONCE, s, MACH_MSG_TYPE_MAKE_SEND, rp, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, s, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */

    /* none of these consumed anything */
    check_snapshot_same(fx->task, &snap); /* rule M2 */
    port_info_t pr = port_info(fx->w, rid), prp = port_info(fx->w, rpid);
    assert_int_equal(pr.mscount, 0); /* rule M2 */
    assert_int_equal(pr.srights, 0); /* rule M2 */
    assert_int_equal(pr.sorights, 0); /* rule M2 */
    assert_int_equal(prp.mscount, 0); /* rule M2 */
    assert_int_equal(prp.sorights, 0); /* rule M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M2 */
    assert_int_equal(queued(fx->task, rp, NULL, 0), 0); /* rule M2 */
}

/* A send right to a dead port is converted first (R0) and then refused; a dead reply right
 * travels as MACH_PORT_DEAD. */
static void test_M2_dead_rights(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    mach_port_name_t d = alloc_kind(fx, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t other, orcv;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, &orcv);
    check_kr(mk_mach_port_destroy(fx->th, other, orcv), KERN_SUCCESS);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, s, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_DEST); /* rule M2 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule M2 */

    /* a dead reply: COPY_SEND of a dead name, and a name that is now dead */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_COPY_SEND, d, 2);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M2 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1);
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MOVE_SEND, s, 3);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M2 */
    check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, 2);
    assert_int_equal(m.h.msgh_remote_port, MACH_PORT_DEAD); /* rule M2 */
    assert_int_equal(MACH_MSGH_BITS_REMOTE(m.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND); /* rule M2 */
    check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, 3);
    assert_int_equal(m.h.msgh_remote_port, MACH_PORT_DEAD); /* rule M2 */
}

/* Step 6: the first body right that cannot be copied in fails the send, and everything already
 * copied in is destroyed: the destination send right, moved rights, the reply send-once right. */
static void test_M2_body_right_failure(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx), n = alloc_rcv(fx);
    mach_port_name_t other, orcv, prev;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, &orcv);
    check_kr(mk_mach_port_request_notification(fx->th, other, orcv, MACH_NOTIFY_NO_SENDERS, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 5);
    add_int(&m, 42);
    add_port(&m, MACH_MSG_TYPE_MOVE_SEND, s);
    add_port(&m, MACH_MSG_TYPE_COPY_SEND, 0x999);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_RIGHT); /* rule M2 */
    check_no_name(fx->task, s); /* rule M2 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule M2 */
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS); /* rule M2 */
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M2 */
    port_info_t pr = port_info(fx->w, port_of(fx->task, r));
    assert_int_equal(pr.srights, 0); /* rule M2 */
    assert_int_equal(pr.mscount, 1); /* mscount stays incremented after the failed MAKE_SEND */

    /* a dead name in the body travels as MACH_PORT_DEAD */
    mach_port_name_t d = alloc_kind(fx, MACH_PORT_RIGHT_DEAD_NAME);
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 6);
    size_t at = add_port(&m, MACH_MSG_TYPE_COPY_SEND, d);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M2 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1);
    check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
    assert_int_equal(word_at(&m, at + TYPE_LEN), MACH_PORT_DEAD); /* rule M2 */
    assert_int_equal(type_at(&m, at).msgt_name, MACH_MSG_TYPE_PORT_SEND); /* rule M2 */
}

/* Amendment: a body that runs past the message is MACH_SEND_MSG_TOO_SMALL, with the same
 * clean-up. */
static void test_M2_body_too_small(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx), x = alloc_rcv(fx);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 5);
    add_port(&m, MACH_MSG_TYPE_MAKE_SEND_ONCE, x);
    put_type(&m, MACH_MSG_TYPE_INTEGER_32, 4); /* says 16 bytes follow */
    uint32_t one = 1;
    memcpy(m.body + m.len, &one, 4);
    m.len += 4;
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_MSG_TOO_SMALL); /* rule M2 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M2 */
    assert_int_equal(ids_of(fx->task, x, ids), 1); /* rule M2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 0); /* rule M2 */
}

/* Step 6 can also fail with MACH_SEND_INVALID_TYPE (a port item not 32 bits wide, out-of-line
 * data, which the model does not carry), with the same clean-up. */
static void test_M2_body_invalid_type(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 5);
    size_t at = add_port(&m, MACH_MSG_TYPE_COPY_SEND, fx->self);
    mach_msg_type_t t = type_at(&m, at);
    t.msgt_size = 16;
    memcpy(m.body + at, &t, sizeof t);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_SEND_INVALID_TYPE); /* rule M2 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M2 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 0); /* rule M2 */
}

/* Destination and reply under one name: a failure still consumes nothing. A move-send-once of
 * the one name cannot serve as both (the first would use it up). */
static void test_M2_same_name_dest_reply(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    mach_port_name_t so = make_send_once(fx, r);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND_ONCE, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, so, 1);
    mach_msg_return_t mr = msg_send(fx->th, &m, 0, 0);
    assert_int_equal(mr, MACH_SEND_INVALID_DEST); /* rule M2 */
    check_snapshot_same(fx->task, &snap); /* rule M2 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M2 */

    /* MOVE_SEND twice needs two urefs; COPY_SEND with MOVE_SEND works with one */
    mach_port_name_t other, orcv;
    kthread_t *oth = fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, &orcv);
    snapshot_take(fx->task, &snap);
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND, s, MACH_MSG_TYPE_MOVE_SEND, s, 2);
    mr = msg_send(fx->th, &m, 0, 0);
    assert_int_equal(mr, MACH_SEND_INVALID_DEST); /* rule M2 */
    check_snapshot_same(fx->task, &snap); /* rule M2 */
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND, s, MACH_MSG_TYPE_COPY_SEND, s, 3);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M2 */
    check_no_name(fx->task, s); /* rule M2 */
    check_kr(recv_msg(oth, orcv, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_bits,
                     MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND)); /* rule M2 */
    assert_int_equal(m.h.msgh_remote_port, orcv); /* rule M2 */
}

/* --- M3: queue limit ------------------------------------------------------------------------ */

static void test_M3_sixth_send_blocks(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t rid = port_of(fx->task, r);
    assert_int_equal(port_info(fx->w, rid).qlimit, MACH_PORT_QLIMIT_DEFAULT); /* rule M3 */
    fill(fx, r, 5);
    assert_int_equal(port_info(fx->w, rid).msgcount, 5); /* rule M3 */
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 1005);
    check_kr(msg_send(th2, &m, 0, 0), MK_MSG_BLOCKED); /* rule M3 */
    uint32_t pid = 0;
    assert_int_equal(mk_thread_blocked(th2, &pid), MK_WAIT_SEND); /* rule M3 */
    assert_int_equal(pid, rid); /* rule M3 */
    check_kr(mk_mach_msg_continue(th2), MK_MSG_BLOCKED); /* rule M3 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 5); /* rule M3 */

    msgbuf_t in;
    check_kr(recv_msg(fx->th, r, &in), MACH_MSG_SUCCESS);
    assert_int_equal(in.h.msgh_id, 1000);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M3 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule M3 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, r, ids), 5); /* rule M3 */
    for (int i = 0; i < 5; i++)
        assert_int_equal(ids[i], 1001 + i); /* rule M3 */
    assert_int_equal(port_info(fx->w, rid).msgcount, 5); /* rule M3 */
}

/* Blocked senders wake one per receive, in FIFO order. */
static void test_M3_senders_fifo(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task), *th3 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx);
    fill(fx, r, 5);
    msgbuf_t m2, m3, in;
    msg_init(&m2, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 2);
    msg_init(&m3, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 3);
    check_kr(msg_send(th2, &m2, 0, 0), MK_MSG_BLOCKED); /* rule M3 */
    check_kr(msg_send(th3, &m3, 0, 0), MK_MSG_BLOCKED); /* rule M3 */
    check_kr(recv_msg(fx->th, r, &in), MACH_MSG_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M3 */
    assert_int_equal(mk_thread_blocked(th3, NULL), MK_WAIT_SEND); /* rule M3 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS);
    check_kr(recv_msg(fx->th, r, &in), MACH_MSG_SUCCESS);
    assert_int_equal(mk_thread_blocked(th3, NULL), MK_WAIT_NONE); /* rule M3 */
    check_kr(mk_mach_msg_continue(th3), MACH_MSG_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, r, ids), 5);
    assert_int_equal(ids[3], 2); /* rule M3 */
    assert_int_equal(ids[4], 3); /* rule M3 */
}

/* Send-once destinations and kernel-generated messages ignore the limit. */
static void test_M3_exceptions(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t rid = port_of(fx->task, r);
    fill(fx, r, 5);
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 6), MACH_MSG_SUCCESS); /* rule M3 */
    mach_port_name_t so = make_send_once(fx, r);
    check_kr(send_simple(fx->th, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 7), MACH_MSG_SUCCESS); /* rule M3 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 7); /* rule M3 */
    /* a kernel reply to a send right (M6) */
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, fx->self, MACH_MSG_TYPE_MAKE_SEND, r, 3000);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rules M3 M6 */
    /* a notification: an immediate no-senders */
    mach_port_name_t x = alloc_rcv(fx), prev;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, x, MACH_NOTIFY_NO_SENDERS, 0, r,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, r, ids), 9); /* rule M3 */
    assert_int_equal(ids[7], 3100); /* rules M3 M6 */
    assert_int_equal(ids[8], MACH_NOTIFY_NO_SENDERS); /* rule M3 */
    assert_int_equal(port_info(fx->w, rid).msgcount, 9); /* rule M3 */
}

/* The runtime learns of every wake-up through the world's wake hook. */
typedef struct wakes {
    kthread_t *last;
    int count;
} wakes_t;

static void count_wake(kthread_t *thread, void *arg)
{
    wakes_t *w = arg;
    w->last = thread;
    w->count++;
}

static void test_M3_raise_qlimit_wakes(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task), *th3 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t rid = port_of(fx->task, r);
    fill(fx, r, 5);
    msgbuf_t m2, m3;
    msg_init(&m2, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 2);
    msg_init(&m3, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 3);
    check_kr(msg_send(th2, &m2, 0, 0), MK_MSG_BLOCKED);
    check_kr(msg_send(th3, &m3, 0, 0), MK_MSG_BLOCKED);
    wakes_t wakes = {NULL, 0};
    world_set_wake_hook(fx->w, count_wake, &wakes);
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r, 6), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M3 */
    assert_int_equal(mk_thread_blocked(th3, NULL), MK_WAIT_SEND); /* rule M3 */
    assert_int_equal(wakes.count, 1); /* rule M3 */
    assert_ptr_equal(wakes.last, th2); /* rule M3 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r, 9), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th3, NULL), MK_WAIT_NONE); /* rule M3 */
    assert_int_equal(wakes.count, 2); /* rule M3 */
    assert_ptr_equal(wakes.last, th3); /* rule M3 */
    world_set_wake_hook(fx->w, NULL, NULL);
    check_kr(mk_mach_msg_continue(th3), MACH_MSG_SUCCESS); /* rule M3 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 7); /* rule M3 */
    assert_int_equal(port_info(fx->w, rid).qlimit, 9); /* rule M3 */
    /* lowering it below the count: the next send blocks */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r, 1), KERN_SUCCESS);
    msg_init(&m2, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 4);
    check_kr(msg_send(th2, &m2, 0, 0), MK_MSG_BLOCKED); /* rule M3 */
}

static void test_M3_set_qlimit_order(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    make_send(fx, r); /* r names a send right to a port that is not a task's */
    mach_port_name_t other;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, NULL);
    check_kr(mk_mach_port_set_qlimit(fx->th, r, r, 17), KERN_INVALID_TASK); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, 0x999, 17), KERN_INVALID_VALUE); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, s, 17), KERN_INVALID_VALUE); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, 0x999, 16), KERN_INVALID_NAME); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, s, 16), KERN_INVALID_RIGHT); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r, 16), KERN_SUCCESS); /* rule M3 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).qlimit, 16); /* rule M3 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r, 0), KERN_SUCCESS); /* rule M3 */
    kthread_t *th2 = world_boot_thread(fx->task);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, 0, MACH_PORT_NULL, 1);
    check_kr(msg_send(th2, &m, 0, 0), MK_MSG_BLOCKED); /* rule M3 */
}

/* --- M4: timeout and pseudo-receive ------------------------------------------------------- */

static void test_M4_timeout_zero_pseudo_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx), x = alloc_rcv(fx);
    make_send(fx, r);
    fill(fx, r, 5);
    uint32_t rid = port_of(fx->task, r);
    unsigned srights = port_info(fx->w, rid).srights;
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 900);
    size_t at = add_port(&m, MACH_MSG_TYPE_MAKE_SEND, x);
    check_kr(msg_send(fx->th, &m, MACH_SEND_TIMEOUT, 0), MACH_SEND_TIMED_OUT); /* rule M4 */
    assert_int_equal(mk_thread_blocked(fx->th, NULL), MK_WAIT_NONE); /* rule M4 */
    /* the header is not swapped; bits are the carried types */
    assert_int_equal(m.h.msgh_remote_port, r); /* rule M4 */
    assert_int_equal(MACH_MSGH_BITS_REMOTE(m.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND); /* rule M4 */
    assert_int_equal(MACH_MSGH_BITS_LOCAL(m.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE); /* rule M4 */
    assert_true(m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX); /* rule M4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule M4 */
    mach_port_name_t so = m.h.msgh_local_port;
    assert_int_not_equal(so, rp); /* rule M4 */
    check_name(fx->task, so, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule M4 */
    assert_int_equal(port_of(fx->task, so), port_of(fx->task, rp)); /* rule M4 */
    assert_int_equal(type_at(&m, at).msgt_name, MACH_MSG_TYPE_PORT_SEND); /* rule M4 */
    assert_int_equal(word_at(&m, at + TYPE_LEN), x); /* rule M4 */
    check_name(fx->task, x, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule M4 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 5); /* rule M4 */
    assert_int_equal(port_info(fx->w, rid).srights, srights); /* rule M4 */
}

/* A receive right in the body comes back too, under a name of the sender's, typed 16. */
static void test_M4_pseudo_receive_receive_right(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), x = alloc_rcv(fx);
    make_send(fx, x);
    fill(fx, r, 5);
    uint32_t xid = port_of(fx->task, x);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 905);
    size_t at = add_port(&m, MACH_MSG_TYPE_MOVE_RECEIVE, x);
    check_kr(msg_send(fx->th, &m, MACH_SEND_TIMEOUT, 0), MACH_SEND_TIMED_OUT); /* rule M4 */
    assert_int_equal(type_at(&m, at).msgt_name, MACH_MSG_TYPE_PORT_RECEIVE); /* rule M4 */
    assert_int_equal(word_at(&m, at + TYPE_LEN), x); /* rule M4 */
    check_name(fx->task, x, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule M4 */
    assert_int_equal(port_of(fx->task, x), xid); /* rule M4 */
    assert_true(port_info(fx->w, xid).active); /* rule M4 */
    /* the destination came back as a send right merged into r */
    assert_int_equal(m.h.msgh_remote_port, r); /* rule M4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule M4 */
    assert_int_equal(m.h.msgh_bits, MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, 0) |
                                        MACH_MSGH_BITS_COMPLEX); /* rule M4 */
}

/* A positive timeout that expires, and an interrupted wait, give the same pseudo-receive. */
static void test_M4_timeout_later_and_interrupt(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx);
    make_send(fx, r);
    fill(fx, r, 5);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 901);
    check_kr(msg_send(th2, &m, MACH_SEND_TIMEOUT, 10), MK_MSG_BLOCKED); /* rule M4 */
    check_kr(mk_mach_msg_interrupt(th2, true), MACH_SEND_TIMED_OUT); /* rule M4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule M4 */
    check_name(fx->task, m.h.msgh_local_port, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule M4 */
    assert_int_equal(m.h.msgh_remote_port, r); /* rule M4 */

    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, 0, MACH_PORT_NULL, 902);
    check_kr(msg_send(th2, &m, 0, 0), MK_MSG_BLOCKED);
    check_kr(mk_mach_msg_interrupt(th2, false), MACH_SEND_INTERRUPTED); /* rule M4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule M4 */

    /* thread_abort does it too */
    mach_port_name_t th2name = mk_mach_thread_self(th2);
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, r, 0, MACH_PORT_NULL, 903);
    check_kr(msg_send(th2, &m, 0, 0), MK_MSG_BLOCKED);
    check_kr(mk_thread_abort(fx->th, th2name), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_SEND_INTERRUPTED); /* rule M4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 4); /* rule M4 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 5); /* rule M4 */
}

/* --- M5: the destination dies after copy-in ------------------------------------------------ */

static void test_M5_dest_dies_while_blocked(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx);
    fill(fx, r, 5);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 77);
    check_kr(msg_send(th2, &m, 0, 0), MK_MSG_BLOCKED);
    /* a sender in another task, blocked on the same port through its own send right */
    mach_port_name_t other;
    kthread_t *oth = fx_new_task(fx, NULL, &other);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x100, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    msgbuf_t mo;
    msg_init(&mo, MACH_MSG_TYPE_COPY_SEND, 0x100, 0, MACH_PORT_NULL, 78);
    check_kr(msg_send(oth, &mo, 0, 0), MK_MSG_BLOCKED);

    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M5 */
    assert_int_equal(mk_thread_blocked(oth, NULL), MK_WAIT_NONE); /* rule M5 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule M5 */
    check_kr(mk_mach_msg_continue(oth), MACH_MSG_SUCCESS); /* rule M5 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M5 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M5 */
    mach_port_type_t type;
    check_kr(mk_mach_port_type(fx->th, other, 0x100, &type), KERN_SUCCESS);
    assert_int_equal(type & ~0xE0000000u, MACH_PORT_TYPE_DEAD_NAME); /* rule M5 */
    check_name(kthread_task(oth), 0x100, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule M5 */
}

/* --- M6: kernel ports ---------------------------------------------------------------------- */

static void test_M6_kernel_port_bad_id(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rp = alloc_rcv(fx), n = alloc_rcv(fx), p = alloc_rcv(fx);
    mach_port_name_t other, orcv, prev;
    fx_new_task(fx, NULL, &other);
    mach_port_name_t s = remote_send(fx, other, &orcv);
    check_kr(mk_mach_port_request_notification(fx->th, other, orcv, MACH_NOTIFY_NO_SENDERS, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    mach_port_urefs_t self_refs;
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, fx->self, MACH_PORT_RIGHT_SEND, &self_refs),
             KERN_SUCCESS);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, fx->self, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 3204);
    add_port(&m, MACH_MSG_TYPE_MOVE_SEND, s);
    add_port(&m, MACH_MSG_TYPE_MAKE_SEND_ONCE, p);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M6 */
    /* RetCode MIG_BAD_ID: every request right but the reply right is destroyed */
    check_no_name(fx->task, s); /* rule M6 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, n, ids), 1); /* rule M6 */
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS); /* rule M6 */
    assert_int_equal(ids_of(fx->task, p, ids), 1); /* rule M6 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M6 */
    check_name(fx->task, fx->self, MACH_PORT_TYPE_SEND, self_refs); /* rule M6 */

    msgbuf_t in;
    check_kr(recv_msg(fx->th, rp, &in), MACH_MSG_SUCCESS);
    assert_int_equal(in.h.msgh_id, 3304); /* rule M6 */
    assert_int_equal(in.h.msgh_size, HDR + TYPE_LEN + sizeof(kern_return_t)); /* rule M6 */
    assert_int_equal(in.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE)); /* rule M6 */
    assert_int_equal(in.h.msgh_remote_port, MACH_PORT_NULL); /* rule M6 */
    assert_int_equal(in.h.msgh_local_port, rp); /* rule M6 */
    mach_msg_type_t t = type_at(&in, 0);
    assert_int_equal(t.msgt_name, MACH_MSG_TYPE_INTEGER_32); /* rule M6 */
    assert_int_equal((kern_return_t)word_at(&in, TYPE_LEN), MIG_BAD_ID); /* rule M6 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, rp)).sorights, 0); /* rule M6 */

    /* with no reply port the reply is discarded */
    check_kr(send_simple(fx->th, fx->self, MACH_MSG_TYPE_COPY_SEND, 3205), MACH_MSG_SUCCESS); /* rule M6 */
    assert_int_equal(queued(fx->task, rp, NULL, 0), 0); /* rule M6 */

    /* the reply ignores the reply port's queue limit; its disposition is the request's */
    fill(fx, rp, 5);
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, fx->self, MACH_MSG_TYPE_MAKE_SEND, rp, 3206);
    check_kr(msg_send(fx->th, &m, MACH_SEND_TIMEOUT, 0), MACH_MSG_SUCCESS); /* rule M6 */
    assert_int_equal(ids_of(fx->task, rp, ids), 6); /* rule M6 */
    assert_int_equal(ids[5], 3306); /* rule M6 */
    for (int i = 0; i < 5; i++)
        check_kr(recv_msg(fx->th, rp, &in), MACH_MSG_SUCCESS);
    check_kr(recv_msg(fx->th, rp, &in), MACH_MSG_SUCCESS);
    assert_int_equal(in.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND)); /* rule M6 */
    check_name(fx->task, rp, MACH_PORT_TYPE_RECEIVE, 0); /* the destination right is used up */
}

/* A kernel port never blocks the sender, whatever its queue holds. */
static void test_M6_kernel_port_ignores_qlimit(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rp = alloc_rcv(fx);
    for (int i = 0; i < 8; i++) {
        msgbuf_t m;
        msg_init(&m, MACH_MSG_TYPE_COPY_SEND, fx->self, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 10 + i);
        check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS); /* rule M6 */
    }
    assert_int_equal(queued(fx->task, rp, NULL, 0), 8); /* rule M6 */
}

/* --- M7: receive ----------------------------------------------------------------------------- */

static void test_M7_receive_names(void **state)
{
    fx_t *fx = *state;
    msgbuf_t m;
    mach_port_name_t r = alloc_rcv(fx), ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t d = alloc_kind(fx, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t so = make_send_once(fx, r);
    check_kr(recv_msg(fx->th, 0x999, &m), MACH_RCV_INVALID_NAME); /* rule M7 */
    check_kr(recv_msg(fx->th, fx->self, &m), MACH_RCV_INVALID_NAME); /* rule M7 */
    check_kr(recv_msg(fx->th, d, &m), MACH_RCV_INVALID_NAME); /* rule M7 */
    check_kr(recv_msg(fx->th, so, &m), MACH_RCV_INVALID_NAME); /* rule M7 */
    check_kr(recv_msg(fx->th, MACH_PORT_NULL, &m), MACH_RCV_INVALID_NAME); /* rule M7 */
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, ps), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, r, &m), MACH_RCV_IN_SET); /* rule M7 */
    check_kr(recv_msg(fx->th, ps, &m), MACH_RCV_TIMED_OUT); /* rule M7 */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, ps), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, r, &m), MACH_RCV_TIMED_OUT); /* rule M7 */
    /* a dead space */
    mach_port_name_t self2, r2;
    kthread_t *th2 = fx_new_task(fx, &self2, NULL);
    check_kr(mk_mach_port_allocate(th2, self2, MACH_PORT_RIGHT_RECEIVE, &r2), KERN_SUCCESS);
    world_kill_space(kthread_task(th2));
    check_kr(recv_msg(th2, r2, &m), MACH_RCV_INVALID_NAME); /* rule M7 */
}

static void test_M7_seqno_fifo_timeout(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    msgbuf_t m;
    check_kr(recv_msg(fx->th, r, &m), MACH_RCV_TIMED_OUT); /* rule M7 */
    assert_int_equal(mk_thread_blocked(fx->th, NULL), MK_WAIT_NONE); /* rule M7 */
    for (int i = 0; i < 3; i++)
        check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 10 + i), MACH_MSG_SUCCESS);
    for (int i = 0; i < 3; i++) {
        check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
        assert_int_equal(m.h.msgh_id, 10 + i); /* rule M7 */
        assert_int_equal(m.h.msgh_seqno, i); /* rule M7 */
    }
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).seqno, 3); /* rule M7 */
    check_kr(recv_msg(fx->th, r, &m), MACH_RCV_TIMED_OUT); /* rule M7 */
}

static void test_M7_too_large(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx), p = alloc_rcv(fx);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 77);
    add_port(&m, MACH_MSG_TYPE_MAKE_SEND_ONCE, p);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 78);
    add_int(&m, 5);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    mach_msg_size_t size = msg_size(&m);

    /* without MACH_RCV_LARGE: dequeued, reply and body destroyed, header written */
    msgbuf_t in;
    memset(&in, 0, sizeof in);
    check_kr(mk_mach_msg(fx->th, &in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, HDR, r, 0),
             MACH_RCV_TOO_LARGE); /* rule M7 */
    assert_int_equal(in.h.msgh_id, 77); /* rule M7 */
    assert_int_equal(in.h.msgh_local_port, r); /* rule M7 */
    assert_int_equal(in.h.msgh_remote_port, MACH_PORT_NULL); /* rule M7 */
    /* the header's bits are the received ones, the reply's type kept (ipc_kmsg_copyout_dest) */
    assert_int_equal(in.h.msgh_bits,
                     MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND) |
                         MACH_MSGH_BITS_COMPLEX); /* rule M7 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, r, ids), 1); /* rule M7 */
    assert_int_equal(ids[0], 78); /* rule M7 */
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M7 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M7 */
    assert_int_equal(ids_of(fx->task, p, ids), 1); /* rule M7 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M7 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 1); /* rule M7 */

    /* with MACH_RCV_LARGE: it stays queued, msgh_size says what is needed */
    memset(&in, 0, sizeof in);
    check_kr(mk_mach_msg(fx->th, &in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, HDR,
                         r, 0),
             MACH_RCV_TOO_LARGE); /* rule M7 */
    assert_int_equal(in.h.msgh_size, size); /* rule M7 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 1); /* rule M7 */
    check_kr(recv_msg(fx->th, r, &in), MACH_MSG_SUCCESS); /* rule M7 */
    assert_int_equal(in.h.msgh_id, 78); /* rule M7 */
    assert_int_equal(in.h.msgh_size, size); /* rule M7 */
    assert_int_equal(word_at(&in, TYPE_LEN), 5); /* rule M7 */

    /* a dead reply is no right to destroy: it still reads MACH_PORT_DEAD */
    mach_port_name_t d = alloc_kind(fx, MACH_PORT_RIGHT_DEAD_NAME);
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_COPY_SEND, d, 79);
    add_int(&m, 6);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    memset(&in, 0, sizeof in);
    check_kr(mk_mach_msg(fx->th, &in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, HDR, r, 0),
             MACH_RCV_TOO_LARGE); /* rule M7 */
    assert_int_equal(in.h.msgh_remote_port, MACH_PORT_DEAD); /* rule M7 */
    assert_int_equal(in.h.msgh_bits,
                     MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND)); /* rule M7 */
}

/* Wake-ups without a message: the receive right destroyed or moved out, or the port added to a
 * set. */
static void test_M7_wakeups(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    msgbuf_t m;
    mach_port_name_t q = alloc_rcv(fx), ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);

    mach_port_name_t r = alloc_rcv(fx);
    uint32_t pid;
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED); /* rule M7 */
    assert_int_equal(mk_thread_blocked(th2, &pid), MK_WAIT_RECEIVE); /* rule M7 */
    assert_int_equal(pid, port_of(fx->task, r)); /* rule M7 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M7 */
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_PORT_DIED); /* rule M7 */

    r = alloc_rcv(fx);
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    msgbuf_t out;
    msg_init(&out, MACH_MSG_TYPE_MAKE_SEND, q, 0, MACH_PORT_NULL, 1);
    add_port(&out, MACH_MSG_TYPE_MOVE_RECEIVE, r);
    check_kr(msg_send(fx->th, &out, 0, 0), MACH_MSG_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_PORT_DIED); /* rule M7 */

    r = alloc_rcv(fx);
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, ps), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_PORT_CHANGED); /* rule M7 */

    /* a message wakes the receiver with the message */
    r = alloc_rcv(fx);
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 55), MACH_MSG_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule M7 */
    assert_int_equal(m.h.msgh_id, 55); /* rule M7 */
    assert_int_equal(m.h.msgh_local_port, r); /* rule M7 */
    assert_int_equal(m.h.msgh_seqno, 0); /* rule M7 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).msgcount, 0); /* rule M7 */
}

/* A receive that waits gives up with MACH_RCV_TIMED_OUT or MACH_RCV_INTERRUPTED (thread_abort),
 * taking nothing from the queue. */
static void test_M7_receive_timeout_and_abort(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t th2name = mk_mach_thread_self(th2);
    mach_port_name_t r = alloc_rcv(fx);
    msgbuf_t m;
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, MSGBUF_SIZE, r, 10),
             MK_MSG_BLOCKED); /* rule M7 */
    check_kr(mk_mach_msg_interrupt(th2, true), MACH_RCV_TIMED_OUT); /* rule M7 */
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    check_kr(mk_thread_abort(fx->th, th2name), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M7 */
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_INTERRUPTED); /* rule M7 */
    /* the next message is not lost to the abandoned waits */
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 5), MACH_MSG_SUCCESS);
    assert_int_equal(queued(fx->task, r, NULL, 0), 1); /* rule M7 */
    check_kr(recv_msg(th2, r, &m), MACH_MSG_SUCCESS); /* rule M7 */
    assert_int_equal(m.h.msgh_id, 5);
}

/* A message arriving for blocked receivers: one waiting with MACH_RCV_LARGE and too small a
 * buffer is told the size (MACH_RCV_TOO_LARGE) and the message goes to the next waiting
 * receiver, directly (M3, ipc_mqueue_send). */
static void test_M7_large_waiter_passes_message_on(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task), *th3 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx);
    msgbuf_t m2, m3, out;
    check_kr(mk_mach_msg(th2, &m2.h, MACH_RCV_MSG | MACH_RCV_LARGE, 0, HDR, r, 0), MK_MSG_BLOCKED);
    check_kr(mk_mach_msg(th3, &m3.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    msg_init(&out, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 21);
    add_int(&out, 1);
    check_kr(msg_send(fx->th, &out, 0, 0), MACH_MSG_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M7 */
    assert_int_equal(mk_thread_blocked(th3, NULL), MK_WAIT_NONE); /* rules M3 M7 */
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_TOO_LARGE); /* rule M7 */
    assert_int_equal(m2.h.msgh_size, msg_size(&out)); /* rule M7 */
    check_kr(mk_mach_msg_continue(th3), MACH_MSG_SUCCESS); /* rules M3 M7 */
    assert_int_equal(m3.h.msgh_id, 21); /* rule M7 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 0); /* rule M7 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).msgcount, 0); /* rule M3 */
}

/* A message handed to a waiting receiver is the receiver's: the port dying before the receiver
 * runs does not take it back. Added rule (M7 is silent): the local name then reads
 * MACH_PORT_DEAD, as ipc_kmsg_copyout_header writes for an inactive destination. */
static void test_M7_handed_message_survives_port_death(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t r = alloc_rcv(fx);
    msgbuf_t m;
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, r, 0), MK_MSG_BLOCKED);
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 31), MACH_MSG_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule M7 */
    assert_int_equal(m.h.msgh_id, 31); /* rule M7 */
    assert_int_equal(m.h.msgh_local_port, MACH_PORT_DEAD); /* rule M7 */
}

/* The received header: remote is the reply right as copied out, local the receiver's name, bits
 * MACH_MSGH_BITS(reply carried type, dest carried type). */
static void test_M7_header_fields(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t self2, other;
    kthread_t *th2 = fx_new_task(fx, &self2, &other);
    ktask_t *t2 = kthread_task(th2);
    mach_port_name_t r2;
    check_kr(mk_mach_port_allocate(th2, self2, MACH_PORT_RIGHT_RECEIVE, &r2), KERN_SUCCESS);
    mach_port_name_t s, so;
    mach_msg_type_name_t t;
    check_kr(mk_mach_port_extract_right(fx->th, other, r2, MACH_MSG_TYPE_MAKE_SEND, &s, &t),
             KERN_SUCCESS);
    mach_port_name_t rp = alloc_rcv(fx);
    mach_port_name_t d = alloc_kind(fx, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_insert_right(fx->th, other, 0x300, rp, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    msgbuf_t m;

    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, s, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 40);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    check_kr(recv_msg(th2, r2, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_local_port, r2); /* rule M7 */
    assert_int_equal(m.h.msgh_bits,
                     MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND)); /* rule M7 */
    check_name(t2, m.h.msgh_remote_port, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule M7 */
    assert_int_equal(port_of(t2, m.h.msgh_remote_port), port_of(fx->task, rp)); /* rule M7 */
    assert_int_equal(m.h.msgh_size, HDR); /* rule M7 */

    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, s, MACH_MSG_TYPE_MAKE_SEND, rp, 41);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    check_kr(recv_msg(th2, r2, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_remote_port, 0x300); /* rule M7 */
    check_name(t2, 0x300, MACH_PORT_TYPE_SEND, 2); /* rule M7 */
    assert_int_equal(m.h.msgh_bits,
                     MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND)); /* rule M7 */

    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, s, MACH_MSG_TYPE_COPY_SEND, d, 42);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    check_kr(recv_msg(th2, r2, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_remote_port, MACH_PORT_DEAD); /* rule M7 */

    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, s, 0, MACH_PORT_NULL, 43);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    check_kr(recv_msg(th2, r2, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_remote_port, MACH_PORT_NULL); /* rule M7 */
    assert_int_equal(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND)); /* rule M7 */

    check_kr(mk_mach_port_extract_right(fx->th, other, r2, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
             KERN_SUCCESS);
    msg_init(&m, MACH_MSG_TYPE_MOVE_SEND_ONCE, so, 0, MACH_PORT_NULL, 44);
    add_port(&m, MACH_MSG_TYPE_COPY_SEND, s);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    check_kr(recv_msg(th2, r2, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE) |
                                        MACH_MSGH_BITS_COMPLEX); /* rule M7 */
    assert_int_equal(m.h.msgh_local_port, r2); /* rule M7 */
    /* the body's right, copied out: t2's own receive right, merged */
    assert_int_equal(word_at(&m, TYPE_LEN), r2); /* rule M7 */
    check_name(t2, r2, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule M7 */
}

/* --- M8: combined call, sets, port death ---------------------------------------------------- */

static void test_M8_combined(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rp = alloc_rcv(fx), r = alloc_rcv(fx);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, fx->self, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 3200);
    m.h.msgh_size = msg_size(&m);
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG | MACH_RCV_MSG, msg_size(&m), MSGBUF_SIZE,
                         rp, 0),
             MACH_MSG_SUCCESS); /* rule M8 */
    assert_int_equal(m.h.msgh_id, 3300); /* rule M8 */
    assert_int_equal(m.h.msgh_local_port, rp); /* rule M8 */

    /* a send error returns at once: nothing is received */
    check_kr(send_simple(fx->th, rp, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
    msg_init(&m, MACH_MSG_TYPE_COPY_SEND, 0x999, 0, MACH_PORT_NULL, 2);
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                         msg_size(&m), MSGBUF_SIZE, rp, 0),
             MACH_SEND_INVALID_DEST); /* rule M8 */
    assert_int_equal(queued(fx->task, rp, NULL, 0), 1); /* rule M8 */

    /* after a successful send, errors are receive errors and the request was delivered */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 3);
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                         msg_size(&m), MSGBUF_SIZE, 0x999, 0),
             MACH_RCV_INVALID_NAME); /* rule M8 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 1); /* rule M8 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 4);
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                         msg_size(&m), MSGBUF_SIZE, rp, 0),
             MACH_MSG_SUCCESS); /* rule M8 */
    assert_int_equal(m.h.msgh_id, 1); /* rule M8 */
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r, 0, MACH_PORT_NULL, 5);
    check_kr(mk_mach_msg(fx->th, &m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                         msg_size(&m), MSGBUF_SIZE, rp, 0),
             MACH_RCV_TIMED_OUT); /* rule M8 */
    assert_int_equal(queued(fx->task, r, NULL, 0), 3); /* rule M8 */
}

static void test_M8_set_backlog(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t r1 = alloc_rcv(fx), r2 = alloc_rcv(fx);
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r1, ps), KERN_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, ps, ids), 1); /* rule M8 */
    assert_int_equal(queued(fx->task, r1, NULL, 0), 1);
    check_kr(send_simple(fx->th, r2, MACH_MSG_TYPE_MAKE_SEND, 2), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r2, MACH_MSG_TYPE_MAKE_SEND, 3), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 4), MACH_MSG_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r2, ps), KERN_SUCCESS);
    /* the backlog is appended after the set's messages */
    assert_int_equal(ids_of(fx->task, ps, ids), 4); /* rule M8 */
    assert_int_equal(ids[0], 1); /* rule M8 */
    assert_int_equal(ids[1], 4); /* rule M8 */
    assert_int_equal(ids[2], 2); /* rule M8 */
    assert_int_equal(ids[3], 3); /* rule M8 */
    msgbuf_t m;
    static const struct { mach_msg_id_t id; int port; unsigned seqno; } want[] = {
        {1, 1, 0}, {4, 1, 1}, {2, 2, 0}};
    for (int i = 0; i < 3; i++) {
        check_kr(recv_msg(fx->th, ps, &m), MACH_MSG_SUCCESS); /* rule M8 */
        assert_int_equal(m.h.msgh_id, want[i].id); /* rule M8 */
        assert_int_equal(m.h.msgh_local_port, want[i].port == 1 ? r1 : r2); /* rule M8 */
        assert_int_equal(m.h.msgh_seqno, want[i].seqno); /* rule M8 */
    }
    /* removing the port moves its messages back */
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r2, MACH_PORT_NULL), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, ps, NULL, 0), 0); /* rule M8 */
    assert_int_equal(ids_of(fx->task, r2, ids), 1); /* rule M8 */
    assert_int_equal(ids[0], 3); /* rule M8 */
    check_kr(recv_msg(fx->th, r2, &m), MACH_MSG_SUCCESS); /* rule M8 */
    assert_int_equal(m.h.msgh_id, 3);
    assert_int_equal(m.h.msgh_seqno, 1); /* rule M8 */
}

/* Messages to members already in the set are received in arrival order; a set receive frees
 * queue space for the member's blocked sender (msgcount is the port's, M3). */
static void test_M8_set_arrival_order_and_qlimit(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t r1 = alloc_rcv(fx), r2 = alloc_rcv(fx);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r1, ps), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r2, ps), KERN_SUCCESS);
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r2, MACH_MSG_TYPE_MAKE_SEND, 2), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 3), MACH_MSG_SUCCESS);
    msgbuf_t m;
    for (int i = 1; i <= 3; i++) {
        check_kr(recv_msg(fx->th, ps, &m), MACH_MSG_SUCCESS); /* rule M8 */
        assert_int_equal(m.h.msgh_id, i); /* rule M8 */
    }
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, r1, 1), KERN_SUCCESS);
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 4), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r2, MACH_MSG_TYPE_MAKE_SEND, 5), MACH_MSG_SUCCESS);
    msgbuf_t out;
    msg_init(&out, MACH_MSG_TYPE_MAKE_SEND, r1, 0, MACH_PORT_NULL, 6);
    check_kr(msg_send(th2, &out, 0, 0), MK_MSG_BLOCKED); /* rules M3 M8 */
    check_kr(recv_msg(fx->th, ps, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, 4);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rules M3 M8 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rules M3 M8 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, ps, ids), 2); /* rule M8 */
    assert_int_equal(ids[0], 5); /* rule M8 */
    assert_int_equal(ids[1], 6); /* rule M8 */
}

static void test_M8_set_receivers(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task);
    mach_port_name_t ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t r1 = alloc_rcv(fx);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r1, ps), KERN_SUCCESS);
    msgbuf_t m;
    /* a blocked set receiver gets a member's message */
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, ps, 0), MK_MSG_BLOCKED); /* rule M8 */
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 9), MACH_MSG_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rule M8 */
    assert_int_equal(m.h.msgh_id, 9); /* rule M8 */
    assert_int_equal(m.h.msgh_local_port, r1); /* rule M8 */

    /* destroying the set wakes its receivers; members get their messages back */
    check_kr(send_simple(fx->th, r1, MACH_MSG_TYPE_MAKE_SEND, 10), MACH_MSG_SUCCESS);
    mach_port_name_t ps2 = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    check_kr(mk_mach_msg(th2, &m.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, ps2, 0), MK_MSG_BLOCKED);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, ps2), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rule M8 */
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_PORT_DIED); /* rule M8 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_PORT_SET, -1), KERN_SUCCESS);
    assert_int_equal(queued(fx->task, r1, NULL, 0), 1); /* rule M8 */
    check_kr(recv_msg(fx->th, r1, &m), MACH_MSG_SUCCESS); /* rule M8 */
    assert_int_equal(m.h.msgh_id, 10); /* rule M8 */
}

/* A receiver blocked on a set gets the backlog of a port added to the set: a waiting receiver
 * gets a message directly (M3), whether it was sent or moved in (ipc_mqueue_move). */
static void test_M8_set_add_feeds_blocked_receiver(void **state)
{
    fx_t *fx = *state;
    kthread_t *th2 = world_boot_thread(fx->task), *th3 = world_boot_thread(fx->task);
    mach_port_name_t ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 1), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 2), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r, MACH_MSG_TYPE_MAKE_SEND, 3), MACH_MSG_SUCCESS);
    msgbuf_t m2, m3;
    check_kr(mk_mach_msg(th2, &m2.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, ps, 0), MK_MSG_BLOCKED);
    check_kr(mk_mach_msg(th3, &m3.h, MACH_RCV_MSG, 0, MSGBUF_SIZE, ps, 0), MK_MSG_BLOCKED);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, ps), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rules M3 M8 */
    assert_int_equal(mk_thread_blocked(th3, NULL), MK_WAIT_NONE); /* rules M3 M8 */
    check_kr(mk_mach_msg_continue(th2), MACH_MSG_SUCCESS); /* rules M3 M8 */
    check_kr(mk_mach_msg_continue(th3), MACH_MSG_SUCCESS); /* rules M3 M8 */
    assert_int_equal(m2.h.msgh_id, 1); /* rule M8 */
    assert_int_equal(m3.h.msgh_id, 2); /* rule M8 */
    assert_int_equal(m2.h.msgh_local_port, r); /* rule M8 */
    assert_int_equal(m2.h.msgh_seqno, 0); /* rule M8 */
    assert_int_equal(m3.h.msgh_seqno, 1); /* rule M8 */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, ps, ids), 1); /* rule M8 */
    assert_int_equal(ids[0], 3); /* rule M8 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).msgcount, 1); /* rule M3 */
}

/* Port death: the queue's messages are destroyed (moved back out of a set first), each right
 * they carry released: send rights may fire no-senders, send-once rights notify, receive rights
 * destroy their ports. */
static void test_M8_port_death_destroys_queue(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t ps = alloc_kind(fx, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t r1 = alloc_rcv(fx), r2 = alloc_rcv(fx), rp = alloc_rcv(fx);
    mach_port_name_t n = alloc_rcv(fx), x = alloc_rcv(fx), z = alloc_rcv(fx), prev;
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r1, ps), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r2, ps), KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, x, MACH_NOTIFY_NO_SENDERS, 1, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    make_send(fx, z);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, z, MACH_NOTIFY_DEAD_NAME, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    msgbuf_t m;
    msg_init(&m, MACH_MSG_TYPE_MAKE_SEND, r1, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 1);
    add_port(&m, MACH_MSG_TYPE_MAKE_SEND, x);
    add_port(&m, MACH_MSG_TYPE_MOVE_RECEIVE, z);
    check_kr(msg_send(fx->th, &m, 0, 0), MACH_MSG_SUCCESS);
    check_kr(send_simple(fx->th, r2, MACH_MSG_TYPE_MAKE_SEND, 2), MACH_MSG_SUCCESS);
    check_name(fx->task, z, MACH_PORT_TYPE_SEND, 1);
    uint32_t zid = port_of(fx->task, z);

    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r1, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, ps, ids), 1); /* rule M8 */
    assert_int_equal(ids[0], 2); /* rule M8 */
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M8 */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M8 */
    assert_false(port_info(fx->w, zid).active); /* rule M8 */
    assert_int_equal(ids_of(fx->task, n, ids), 2); /* rule M8 */
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS); /* rule M8 */
    assert_int_equal(ids[1], MACH_NOTIFY_DEAD_NAME); /* rule M8 */
}

/* A suspended receiver waiting with MACH_RCV_LARGE and too small a buffer, and its port
 * destroyed before it runs again. Suspension does not change what the send does (H5): the
 * waiter is woken with the size (M7, ipc_mqueue_send: a receiver whose buffer is too small is
 * never handed the message) and the message stays queued and counted (M3). Port death then
 * destroys it with the rights it carries (M8); the resumed receiver reads MACH_RCV_TOO_LARGE
 * and the size, and nothing is left (the teardown's leak audit). */
static void test_M8_suspended_large_waiter_port_dies(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    check_kr(mk_thread_create(fx->th, fx->self, &t), KERN_SUCCESS);
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    kthread_t *th2 = kthread_by_name(fx->task, t);
    mach_port_name_t r = alloc_rcv(fx), rp = alloc_rcv(fx), x = alloc_rcv(fx);
    make_send(fx, x);
    uint32_t rid = port_of(fx->task, r), xid = port_of(fx->task, x);
    msgbuf_t in, out;
    memset(&in, 0, sizeof in);
    check_kr(mk_mach_msg(th2, &in.h, MACH_RCV_MSG | MACH_RCV_LARGE, 0, HDR, r, 0), MK_MSG_BLOCKED);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    msg_init(&out, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, rp, 41);
    add_port(&out, MACH_MSG_TYPE_COPY_SEND, x);
    check_kr(msg_send(fx->th, &out, 0, 0), MACH_MSG_SUCCESS);
    assert_int_equal(port_info(fx->w, xid).srights, 2); /* the name's and the message's */
    assert_int_equal(mk_thread_blocked(th2, NULL), MK_WAIT_NONE); /* rules H5 M7 */
    assert_int_equal(kthread_suspend_count(th2), 1); /* rule H5: still suspended */
    assert_int_equal(queued(fx->task, r, NULL, 0), 1); /* rule M7: not handed over */
    assert_int_equal(port_info(fx->w, rid).msgcount, 1); /* rule M3 */

    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_false(port_info(fx->w, rid).active);
    assert_int_equal(port_info(fx->w, xid).srights, 1); /* rule M8: the carried send right */
    mach_msg_id_t ids[16];
    assert_int_equal(ids_of(fx->task, rp, ids), 1); /* rule M8: the reply send-once right */
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule M8 */

    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(th2), MACH_RCV_TOO_LARGE); /* rules M7 M8 */
    assert_int_equal(in.h.msgh_size, msg_size(&out)); /* rule M7 */
}

/* --- M9: notification formats ---------------------------------------------------------------- */

static void check_notification_header(const msgbuf_t *m, mach_port_name_t n, mach_msg_id_t id,
                                      mach_msg_size_t size, bool complex)
{
    assert_int_equal(m->h.msgh_id, id);
    assert_int_equal(m->h.msgh_size, size);
    assert_int_equal(m->h.msgh_local_port, n);
    assert_int_equal(m->h.msgh_remote_port, MACH_PORT_NULL);
    assert_int_equal(m->h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE) |
                                         (complex ? MACH_MSGH_BITS_COMPLEX : 0));
}

static void test_M9_formats(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = alloc_rcv(fx), prev;
    mach_port_name_t other, orcv;
    fx_new_task(fx, NULL, &other);
    msgbuf_t m;
    mach_msg_type_t t;
    /* a notification never blocks, whatever the queue limit */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, n, 0), KERN_SUCCESS);

    /* 65: port deleted */
    mach_port_name_t s = remote_send(fx, other, &orcv);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, s), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule M9 */
    check_notification_header(&m, n, MACH_NOTIFY_PORT_DELETED, HDR + TYPE_LEN + 4, false);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_PORT_DELETED); /* rule M9 */
    assert_int_equal(m.h.msgh_size, HDR + TYPE_LEN + sizeof(mach_port_name_t)); /* rule M9 */
    assert_int_equal(m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE)); /* rule M9 */
    t = type_at(&m, 0);
    assert_int_equal(t.msgt_name, MACH_MSG_TYPE_PORT_NAME); /* rule M9 */
    assert_int_equal(t.msgt_size, 32); /* rule M9 */
    assert_int_equal(t.msgt_number, 1); /* rule M9 */
    assert_true(t.msgt_inline); /* rule M9 */
    assert_int_equal(word_at(&m, TYPE_LEN), s); /* rule M9 */

    /* 72: dead name, with the extra uref */
    s = remote_send(fx, other, &orcv);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, other, orcv), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule M9 */
    check_notification_header(&m, n, MACH_NOTIFY_DEAD_NAME, HDR + TYPE_LEN + 4, false);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_DEAD_NAME); /* rule M9 */
    assert_int_equal(m.h.msgh_size, HDR + TYPE_LEN + sizeof(mach_port_name_t)); /* rule M9 */
    t = type_at(&m, 0);
    assert_int_equal(t.msgt_name, MACH_MSG_TYPE_PORT_NAME); /* rule M9 */
    assert_int_equal(word_at(&m, TYPE_LEN), s); /* rule M9 */
    mach_port_urefs_t refs;
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, &refs),
             KERN_SUCCESS);
    assert_int_equal(refs, 2); /* rule M9 */

    /* 70: no senders */
    mach_port_name_t x = alloc_rcv(fx);
    check_kr(mk_mach_port_set_mscount(fx->th, fx->self, x, 7), KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, x, MACH_NOTIFY_NO_SENDERS, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule M9 */
    check_notification_header(&m, n, MACH_NOTIFY_NO_SENDERS, HDR + TYPE_LEN + 4, false);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_NO_SENDERS); /* rule M9 */
    assert_int_equal(m.h.msgh_size, HDR + TYPE_LEN + 4); /* rule M9 */
    t = type_at(&m, 0);
    assert_int_equal(t.msgt_name, MACH_MSG_TYPE_INTEGER_32); /* rule M9 */
    assert_int_equal(t.msgt_size, 32); /* rule M9 */
    assert_int_equal(word_at(&m, TYPE_LEN), 7); /* rule M9 */

    /* 71: send once, no body */
    mach_port_name_t so = make_send_once(fx, n);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, so), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule M9 */
    check_notification_header(&m, n, MACH_NOTIFY_SEND_ONCE, HDR, false);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE); /* rule M9 */
    assert_int_equal(m.h.msgh_size, HDR); /* rule M9 */

    /* 69: port destroyed, carrying the receive right */
    mach_port_name_t y = alloc_rcv(fx);
    uint32_t yid = port_of(fx->task, y);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, y, MACH_NOTIFY_PORT_DESTROYED, 0,
                                               n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, y), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, n, &m), MACH_MSG_SUCCESS); /* rule M9 */
    check_notification_header(&m, n, MACH_NOTIFY_PORT_DESTROYED, HDR + TYPE_LEN + 4, true);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED); /* rule M9 */
    assert_true(m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX); /* rule M9 */
    assert_int_equal(m.h.msgh_size, HDR + TYPE_LEN + 4); /* rule M9 */
    t = type_at(&m, 0);
    assert_int_equal(t.msgt_name, MACH_MSG_TYPE_PORT_RECEIVE); /* rule M9 */
    mach_port_name_t ny = word_at(&m, TYPE_LEN);
    check_name(fx->task, ny, MACH_PORT_TYPE_RECEIVE, 0); /* rule M9 */
    assert_int_equal(port_of(fx->task, ny), yid); /* rule M9 */
    assert_int_equal(queued(fx->task, n, NULL, 0), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_M1_bad_bits),
        FX_TEST(test_M1_good_bits_and_id),
        FX_TEST(test_M2_size_and_header_first),
        FX_TEST(test_M2_dest_and_reply),
        FX_TEST(test_M2_dead_rights),
        FX_TEST(test_M2_body_right_failure),
        FX_TEST(test_M2_body_too_small),
        FX_TEST(test_M2_body_invalid_type),
        FX_TEST(test_M2_same_name_dest_reply),
        FX_TEST(test_M3_sixth_send_blocks),
        FX_TEST(test_M3_senders_fifo),
        FX_TEST(test_M3_exceptions),
        FX_TEST(test_M3_raise_qlimit_wakes),
        FX_TEST(test_M3_set_qlimit_order),
        FX_TEST(test_M4_timeout_zero_pseudo_receive),
        FX_TEST(test_M4_pseudo_receive_receive_right),
        FX_TEST(test_M4_timeout_later_and_interrupt),
        FX_TEST(test_M5_dest_dies_while_blocked),
        FX_TEST(test_M6_kernel_port_bad_id),
        FX_TEST(test_M6_kernel_port_ignores_qlimit),
        FX_TEST(test_M7_receive_names),
        FX_TEST(test_M7_seqno_fifo_timeout),
        FX_TEST(test_M7_too_large),
        FX_TEST(test_M7_wakeups),
        FX_TEST(test_M7_receive_timeout_and_abort),
        FX_TEST(test_M7_large_waiter_passes_message_on),
        FX_TEST(test_M7_handed_message_survives_port_death),
        FX_TEST(test_M7_header_fields),
        FX_TEST(test_M8_combined),
        FX_TEST(test_M8_set_backlog),
        FX_TEST(test_M8_set_arrival_order_and_qlimit),
        FX_TEST(test_M8_set_receivers),
        FX_TEST(test_M8_set_add_feeds_blocked_receiver),
        FX_TEST(test_M8_port_death_destroys_queue),
        FX_TEST(test_M8_suspended_large_waiter_port_dies),
        FX_TEST(test_M9_formats),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
