/*
 * test_right.c: what a name holds and what the mach_port_* calls do to it: entry types and
 * user references (rules T1-T6), mach_port_type, get_refs, mod_refs, deallocate and destroy
 * (R0-R5), the lazy dead-name conversion (D3) and send-right accounting (D6). Model files:
 * model/right.c (ipc_right.c's twin) and model/mach_port.c.
 *
 * Each test asserts what docs/spec-rules.md says; where GNU Mach's ipc/ipc_right.c settles what
 * the spec leaves open, the test says so. Notifications are real messages: a test receives
 * them on its notify port and checks msgh_id and the word after the body's type descriptor.
 */
#include "testlib.h"

#include <limits.h>
#include <string.h>

/* --- helpers ------------------------------------------------------------------------------ */

/* A notification as received: header, one type descriptor, one 32-bit word (name or count). */
typedef struct notif {
    mach_msg_header_t head;
    mach_msg_type_t type;
    uint32_t word;
    uint8_t slack[64];
} notif_t;

/* A new receive right in the fixture's space. */
static mach_port_name_t rcv(fx_t *fx)
{
    mach_port_name_t n = MACH_PORT_NULL;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
    return n;
}

/* Another task (no threads) the fixture reaches through *t. */
static ktask_t *other(fx_t *fx, mach_port_name_t *t)
{
    ktask_t *task = world_boot_task(fx->w, NULL);
    *t = world_give_task_port(fx->task, task);
    return task;
}

/* A port whose receive right lives in another task: *t names the task, *r_in_t the receive
 * right there. Returns the fixture's name for a new send right to it, with `urefs` urefs. */
static mach_port_name_t remote_send_urefs(fx_t *fx, mach_port_name_t *t, mach_port_name_t *r_in_t,
                                    mach_port_urefs_t urefs)
{
    other(fx, t);
    check_kr(mk_mach_port_allocate(fx->th, *t, MACH_PORT_RIGHT_RECEIVE, r_in_t), KERN_SUCCESS);
    mach_port_name_t s = MACH_PORT_NULL;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, *t, *r_in_t, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    if (urefs > 1)
        check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND,
                                       (mach_port_delta_t)(urefs - 1)),
                 KERN_SUCCESS);
    return s;
}

/* A send-once right in the fixture to the receive right r_in_t held by task t. */
static mach_port_name_t remote_send_once(fx_t *fx, mach_port_name_t t, mach_port_name_t r_in_t)
{
    mach_port_name_t so = MACH_PORT_NULL;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, t, r_in_t, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
                                        &type),
             KERN_SUCCESS);
    return so;
}

/* Registers a no-senders request on the fixture's receive right r, notifying `notify`. */
static void nsrequest(fx_t *fx, mach_port_name_t r, mach_port_mscount_t sync,
                      mach_port_name_t notify)
{
    mach_port_name_t prev = 1234;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, r, MACH_NOTIFY_NO_SENDERS, sync,
                                               notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    assert_int_equal(prev, MACH_PORT_NULL);
}

/* Registers a port-destroyed request on the fixture's receive right r. */
static void pdrequest(fx_t *fx, mach_port_name_t r, mach_port_name_t notify)
{
    mach_port_name_t prev = 1234;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, r, MACH_NOTIFY_PORT_DESTROYED, 0,
                                               notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    assert_int_equal(prev, MACH_PORT_NULL);
}

/* Receives the next message on the fixture's receive right n: its msgh_id, or 0 when the queue
 * is empty. *word gets the 32-bit word after the body's type descriptor. */
static mach_msg_id_t next_msg(fx_t *fx, mach_port_name_t n, uint32_t *word)
{
    notif_t m;
    memset(&m, 0, sizeof m);
    mach_msg_return_t mr = recv_now(fx->th, n, &m, sizeof m);
    if (mr == MACH_RCV_TIMED_OUT)
        return 0;
    assert_int_equal(mr, MACH_MSG_SUCCESS);
    if (word != NULL)
        *word = m.word;
    return m.head.msgh_id;
}

/* Queued messages on the fixture's receive right n. */
static size_t nqueued(fx_t *fx, mach_port_name_t n)
{
    mach_msg_id_t ids[16];
    return queued(fx->task, n, ids, 16);
}

/* Entry of a send or send-once right whose port died and that nothing has touched since. */
static bool unconverted_dead(ktask_t *task, mach_port_name_t n)
{
    name_info_t info;
    return space_peek(task, n, &info) && info.dead &&
           (info.type == MACH_PORT_TYPE_SEND || info.type == MACH_PORT_TYPE_SEND_ONCE);
}

static mach_port_type_t type_of(fx_t *fx, mach_port_name_t n)
{
    mach_port_type_t type = 0;
    check_kr(mk_mach_port_type(fx->th, fx->self, n, &type), KERN_SUCCESS);
    return type;
}

static mach_port_urefs_t refs_of(fx_t *fx, mach_port_name_t n, mach_port_right_t right)
{
    mach_port_urefs_t refs = 0xdead;
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, n, right, &refs), KERN_SUCCESS);
    return refs;
}

#define FLAGS (MACH_PORT_TYPE_DNREQUEST | MACH_PORT_TYPE_MAREQUEST | MACH_PORT_TYPE_COMPAT)

/* --- T1, T2: types and urefs ---------------------------------------------------------------- */

/* Each combination a name can hold, with the type bits exactly the MACH_PORT_TYPE_* values and
 * the urefs T2's table gives. */
static void test_T1_T2_types_and_urefs(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0);                 /* rule T2 */
    assert_int_equal(type_of(fx, r), 0x20000);                          /* rule T1 */

    mach_port_name_t sr = rcv(fx);
    make_send(fx, sr);
    check_name(fx->task, sr, MACH_PORT_TYPE_SEND_RECEIVE, 1);           /* rule T2 */
    assert_int_equal(type_of(fx, sr), 0x30000);                         /* rule T1 */

    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 7);
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 7);                    /* rule T2 */
    assert_int_equal(type_of(fx, s), 0x10000);                          /* rule T1 */

    mach_port_name_t so = make_send_once(fx, r);
    check_name(fx->task, so, MACH_PORT_TYPE_SEND_ONCE, 1);              /* rule T2 */
    assert_int_equal(type_of(fx, so), 0x40000);                         /* rule T1 */

    mach_port_name_t ps;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    check_name(fx->task, ps, MACH_PORT_TYPE_PORT_SET, 0);               /* rule T2 */
    assert_int_equal(type_of(fx, ps), 0x80000);                         /* rule T1 */

    mach_port_name_t dn;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn),
             KERN_SUCCESS);
    check_name(fx->task, dn, MACH_PORT_TYPE_DEAD_NAME, 1);              /* rule T2 */
    assert_int_equal(type_of(fx, dn), 0x100000);                        /* rule T1 */

    /* urefs live in the low 16 bits: a dead name reaches 0xFFFF and no further, and the type
     * bits are untouched by the attempt */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 0xFFFE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_UREFS_OVERFLOW);                                      /* rule T1 */
    check_name(fx->task, dn, MACH_PORT_TYPE_DEAD_NAME, 0xFFFF);         /* rule T1 */
    assert_int_equal(type_of(fx, dn), MACH_PORT_TYPE_DEAD_NAME);        /* rule T1 */

    /* SEND|RECEIVE's urefs are the send urefs, at least 1 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, sr, MACH_PORT_RIGHT_SEND, 4), KERN_SUCCESS);
    check_name(fx->task, sr, MACH_PORT_TYPE_SEND_RECEIVE, 5);           /* rule T2 */
    assert_int_equal(refs_of(fx, sr, MACH_PORT_RIGHT_SEND), 5);         /* rule T2 */
}

/* Every send-once right gets its own fresh name; copy-out never merges it. */
static void test_T2_send_once_fresh_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    mach_port_name_t a = make_send_once(fx, r);
    mach_port_name_t b = make_send_once(fx, r);
    assert_int_not_equal(a, r);                                         /* rule T2 */
    assert_int_not_equal(b, r);                                         /* rule T2 */
    assert_int_not_equal(a, b);                                         /* rule T2 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1);            /* rule T2 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_ONCE, 1);               /* rule T2 */
    check_name(fx->task, b, MACH_PORT_TYPE_SEND_ONCE, 1);               /* rule T2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).sorights, 2);

    /* a send-once right to a port the space holds only a send right for: fresh name too */
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    mach_port_name_t c = remote_send_once(fx, t, rt);
    assert_int_not_equal(c, s);                                         /* rule T2 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 1);                    /* rule T2 */
    check_name(fx->task, c, MACH_PORT_TYPE_SEND_ONCE, 1);               /* rule T2 */

    /* it cannot join another right's name, not even its own port's receive right */
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_NAME_EXISTS);                                         /* rule T2 */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_NAME_EXISTS);                                         /* rule T2 */
    /* the failed inserts' send-once rights were destroyed: two send-once notifications */
    check_snapshot_same(fx->task, &snap);
    assert_int_equal(next_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);
    assert_int_equal(next_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);
    /* a receive right arriving where the space holds only a send-once right for its port gets
     * a name of its own; inserting it under the send-once right's name is NAME_EXISTS */
    mach_port_name_t t2, rt2;
    other(fx, &t2);
    check_kr(mk_mach_port_allocate(fx->th, t2, MACH_PORT_RIGHT_RECEIVE, &rt2), KERN_SUCCESS);
    mach_port_name_t so2 = remote_send_once(fx, t2, rt2);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, so2, so2, MACH_MSG_TYPE_MAKE_SEND),
             MACH_SEND_INVALID_RIGHT);                                  /* rule T2 */
    mach_port_name_t rr = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, t2, rt2, MACH_MSG_TYPE_MOVE_RECEIVE, &rr, &type),
             KERN_SUCCESS);
    assert_int_not_equal(rr, so2);                                      /* rule T2 */
    check_name(fx->task, so2, MACH_PORT_TYPE_SEND_ONCE, 1);             /* rule T2 */
    check_name(fx->task, rr, MACH_PORT_TYPE_RECEIVE, 0);                /* rule T2 */
    /* a send right for a port whose only entry in the target is a send-once right cannot go
     * under that name (t2 now holds just a send-once right for rr's port, under 500) */
    check_kr(mk_mach_port_insert_right(fx->th, t2, 500, rr, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, t2, 500, rr, MACH_MSG_TYPE_MAKE_SEND),
             KERN_NAME_EXISTS);                                         /* rule T2 */
    mach_port_type_t t2type;
    check_kr(mk_mach_port_type(fx->th, t2, 500, &t2type), KERN_SUCCESS);
    assert_int_equal(t2type, MACH_PORT_TYPE_SEND_ONCE);                 /* rule T2 */
    /* and its urefs stay 1 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, a, MACH_PORT_RIGHT_SEND_ONCE, 1),
             KERN_INVALID_VALUE);                                       /* rule T2 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_ONCE, 1);               /* rule T2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).sorights, 2);
}

/* --- T3: one name per port for send and receive ---------------------------------------------- */

static void test_T3_send_merges_with_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    size_t names = space_count(fx->task);
    mach_port_name_t s = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    assert_int_equal(s, r);                                             /* rule T3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1);            /* rule T3 */
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    assert_int_equal(s, r);                                             /* rule T3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2);            /* rule T3 */
    assert_int_equal(space_count(fx->task), names);                     /* rule T3 */
    /* a second name for the same port is refused */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, 100, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS);                                        /* rule T3 */
    check_no_name(fx->task, 100);                                       /* rule T3 */
}

static void test_T3_send_merges_with_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    size_t names = space_count(fx->task);
    mach_port_name_t s2 = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, t, rt, MACH_MSG_TYPE_MAKE_SEND, &s2, &type),
             KERN_SUCCESS);
    assert_int_equal(s2, s);                                            /* rule T3 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 2);                    /* rule T3 */
    assert_int_equal(space_count(fx->task), names);                     /* rule T3 */
    /* the receive right arriving merges into the send entry, keeping its urefs */
    check_kr(mk_mach_port_extract_right(fx->th, t, rt, MACH_MSG_TYPE_MOVE_RECEIVE, &s2, &type),
             KERN_SUCCESS);
    assert_int_equal(s2, s);                                            /* rule T3 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND_RECEIVE, 2);            /* rule T3 */
    assert_int_equal(space_count(fx->task), names);                     /* rule T3 */
}

/* Builds a one-item message to `dest` (made a send right of) carrying `item` with `disp`. */
typedef struct one_port_msg {
    mach_msg_header_t head;
    mach_msg_type_t type;
    mach_port_name_t name;
} one_port_msg_t;

static mach_msg_return_t send_port(fx_t *fx, mach_port_name_t dest, mach_port_name_t item,
                                   mach_msg_type_name_t disp)
{
    one_port_msg_t m;
    memset(&m, 0, sizeof m);
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.head.msgh_size = sizeof m;
    m.head.msgh_remote_port = dest;
    m.head.msgh_id = 4242;
    m.type.msgt_name = disp;
    m.type.msgt_size = 32;
    m.type.msgt_number = 1;
    m.type.msgt_inline = 1;
    m.name = item;
    return mk_mach_msg(fx->th, &m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0);
}

/* A send right arriving in a message merges into the receiver's entry for the port. */
static void test_T3_message_send_right_merges(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    assert_int_equal(send_port(fx, r, r, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
    /* in the queue: the destination's and the item's send rights are holders too */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 3); /* rule D6 */
    notif_t m;
    assert_int_equal(recv_now(fx->th, r, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_id, 4242);
    assert_int_equal(m.word, r);                                        /* rule T3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2);            /* rule T3 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 1); /* rule D6 */
}

/* --- T4: maximum urefs ------------------------------------------------------------------------ */

static void test_T4_send_capped_at_65534(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 65534),
             KERN_UREFS_OVERFLOW);                                      /* rule T4 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, INT_MAX),
             KERN_UREFS_OVERFLOW);                                      /* rule T4 */
    check_snapshot_same(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 65533),
             KERN_SUCCESS);                                             /* rule T4 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 65534);                /* rule T4 */
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 1),
             KERN_UREFS_OVERFLOW);                                      /* rule T4 */
    check_snapshot_same(fx->task, &snap);
    assert_int_equal(port_info(fx->w, port_of(fx->task, s)).srights, 1);

    /* the same cap on SEND|RECEIVE */
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 65533),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 1),
             KERN_UREFS_OVERFLOW);                                      /* rule T4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 65534);        /* rule T4 */
}

static void test_T4_dead_names_reach_65535(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t dn;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 65534),
             KERN_SUCCESS);                                             /* rule T4 */
    check_name(fx->task, dn, MACH_PORT_TYPE_DEAD_NAME, 65535);          /* rule T4 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_UREFS_OVERFLOW);                                      /* rule T4 */
    assert_int_equal(refs_of(fx, dn, MACH_PORT_RIGHT_DEAD_NAME), 65535); /* rule T4 */
    /* overflow includes wrapping, underflow a delta below -urefs */
    mach_port_name_t dn2;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn2),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn2, MACH_PORT_RIGHT_DEAD_NAME, INT_MAX),
             KERN_UREFS_OVERFLOW);                                      /* rule T4 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn2, MACH_PORT_RIGHT_DEAD_NAME, INT_MIN),
             KERN_INVALID_VALUE);                                       /* rule T4 */
    check_name(fx->task, dn2, MACH_PORT_TYPE_DEAD_NAME, 1);             /* rule T4 */

    /* the reserved uref: a send right at 65534 with a dead-name request becomes 65535 */
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 65534);
    dnrequest(fx, fx->self, s, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    assert_int_equal(type_of(fx, s), MACH_PORT_TYPE_DEAD_NAME);         /* rule T4 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 65535);           /* rule T4 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_DEAD_NAME);
    assert_int_equal(w, s);
}

/* --- T5: pegging on copy-out ------------------------------------------------------------------ */

/* mach_task_self into a name at 65534: stays 65534, succeeds, srights unchanged. */
static void test_T5_task_self_pegs(void **state)
{
    fx_t *fx = *state;
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, fx->self, MACH_PORT_RIGHT_SEND, 65533),
             KERN_SUCCESS);
    uint32_t pid = port_of(fx->task, fx->self);
    port_info_t before = port_info(fx->w, pid);
    assert_int_equal(mk_mach_task_self(fx->th), fx->self);              /* rule T5 */
    check_name(fx->task, fx->self, MACH_PORT_TYPE_SEND, 65534);         /* rule T5 */
    assert_int_equal(port_info(fx->w, pid).srights, before.srights);    /* rule T5 */
    assert_int_equal(mk_mach_task_self(fx->th), fx->self);              /* rule T5 */
    check_name(fx->task, fx->self, MACH_PORT_TYPE_SEND, 65534);         /* rule T5 */
    assert_int_equal(port_info(fx->w, pid).srights, before.srights);    /* rule T5 */
    check_model_clean(fx->w);
}

/* insert_right does not allow overflow: MAKE_SEND into a 65534 entry fails, and what remains is
 * only the make-send count. */
static void test_T5_insert_right_overflow(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 65533),
             KERN_SUCCESS);
    uint32_t pid = port_of(fx->task, r);
    port_info_t before = port_info(fx->w, pid);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_UREFS_OVERFLOW);                                      /* rule T5 */
    check_snapshot_same(fx->task, &snap);
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 65534);        /* rule T5 */
    port_info_t after = port_info(fx->w, pid);
    assert_int_equal(after.srights, before.srights);                    /* rule T5 */
    assert_int_equal(after.mscount, before.mscount + 1);                /* rule D6 */

    /* the same into a send-only entry of another task, with COPY_SEND */
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 65534);
    check_kr(mk_mach_port_insert_right(fx->th, t, rt, s, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    /* t's entry rt is SEND|RECEIVE now; push it to 65534 and try again */
    check_kr(mk_mach_port_mod_refs(fx->th, t, rt, MACH_PORT_RIGHT_SEND, 65533), KERN_SUCCESS);
    pid = port_of(fx->task, s);
    before = port_info(fx->w, pid);
    check_kr(mk_mach_port_insert_right(fx->th, t, rt, s, MACH_MSG_TYPE_COPY_SEND),
             KERN_UREFS_OVERFLOW);                                      /* rule T5 */
    assert_int_equal(port_info(fx->w, pid).srights, before.srights);    /* rule T5 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 65534);                /* rule T5 */
}

/* RPC replies and message receives allow overflow: the right is absorbed. */
static void test_T5_reply_and_receive_peg(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 65534);
    uint32_t pid = port_of(fx->task, s);
    assert_int_equal(port_info(fx->w, pid).srights, 1);
    mach_port_name_t got = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, t, rt, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);                                             /* rule T5 */
    assert_int_equal(got, s);                                           /* rule T5 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 65534);                /* rule T5 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule T5 */
    assert_int_equal(port_info(fx->w, pid).mscount, 2);                 /* rule D6 */

    /* a message receive */
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 65533),
             KERN_SUCCESS);
    assert_int_equal(send_port(fx, r, r, MACH_MSG_TYPE_MAKE_SEND), MACH_MSG_SUCCESS);
    notif_t m;
    assert_int_equal(recv_now(fx->th, r, &m, sizeof m), MACH_MSG_SUCCESS); /* rule T5 */
    assert_int_equal(m.word, r);                                        /* rule T5 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 65534);        /* rule T5 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 1); /* rule T5 */
    check_model_clean(fx->w);
}

/* --- T6: flags in reported types -------------------------------------------------------------- */

static void test_T6_dnrequest_flag(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    assert_int_equal(type_of(fx, s), MACH_PORT_TYPE_SEND);              /* rule T6 */
    dnrequest(fx, fx->self, s, n);
    assert_int_equal(type_of(fx, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST); /* rule T6 */

    /* on a receive right too, and mach_port_names reports the same flags */
    mach_port_name_t r = rcv(fx);
    dnrequest(fx, fx->self, r, n);
    assert_int_equal(type_of(fx, r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_DNREQUEST); /* rule T6 */
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, fx->self, &names, &types, &count), KERN_SUCCESS);
    for (mach_msg_type_number_t i = 0; i < count; i++) {
        if (names[i] == s || names[i] == r)
            assert_true(types[i] & MACH_PORT_TYPE_DNREQUEST);           /* rule T6 */
        else
            assert_false(types[i] & MACH_PORT_TYPE_DNREQUEST);          /* rule T6 */
        assert_false(types[i] & (MACH_PORT_TYPE_MAREQUEST | MACH_PORT_TYPE_COMPAT)); /* rule T6 */
    }
    free(names);
    free(types);

    /* cancelling clears it and hands back the registered send-once right */
    mach_port_name_t prev = MACH_PORT_NULL;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, s, MACH_NOTIFY_DEAD_NAME, 0,
                                               MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    assert_int_equal(type_of(fx, s), MACH_PORT_TYPE_SEND);              /* rule T6 */
    check_name(fx->task, prev, MACH_PORT_TYPE_SEND_ONCE, 1);
    assert_int_equal(port_of(fx->task, prev), port_of(fx->task, n));
}

/* --- R0, D3: lazy dead-name conversion ------------------------------------------------------- */

/* The conversion: same name, send urefs kept, +1 with a request (whose dead-name notification
 * fired at death), no port-deleted notification; names reports it dead without converting. */
static void test_D3_conversion(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 2);
    mach_port_name_t so = remote_send_once(fx, t, rt);
    /* a second port's send right, without a request, for contrast */
    mach_port_name_t t2, rt2;
    mach_port_name_t s2 = remote_send_urefs(fx, &t2, &rt2, 3);
    dnrequest(fx, fx->self, s, n);
    dnrequest(fx, fx->self, so, n);

    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t2, rt2), KERN_SUCCESS);
    /* the requests fired at death, carrying the names */
    uint32_t w1 = 0, w2 = 0;
    assert_int_equal(next_msg(fx, n, &w1), MACH_NOTIFY_DEAD_NAME);      /* rule D3 */
    assert_int_equal(next_msg(fx, n, &w2), MACH_NOTIFY_DEAD_NAME);      /* rule D3 */
    assert_true((w1 == s && w2 == so) || (w1 == so && w2 == s));        /* rule D3 */
    /* nothing converted yet */
    assert_true(unconverted_dead(fx->task, s));                         /* rule D3 */
    assert_true(unconverted_dead(fx->task, so));                        /* rule D3 */
    assert_true(unconverted_dead(fx->task, s2));                        /* rule D3 */

    /* mach_port_names: DEAD_NAME, no flags, entries untouched */
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, fx->self, &names, &types, &count), KERN_SUCCESS);
    int seen = 0;
    for (mach_msg_type_number_t i = 0; i < count; i++)
        if (names[i] == s || names[i] == so || names[i] == s2) {
            assert_int_equal(types[i], MACH_PORT_TYPE_DEAD_NAME);       /* rule D3 */
            seen++;
        }
    assert_int_equal(seen, 3);
    free(names);
    free(types);
    assert_true(unconverted_dead(fx->task, s));                         /* rule D3 */
    assert_true(unconverted_dead(fx->task, so));                        /* rule D3 */

    /* first access converts: same name, +1 for the request, no flag left */
    assert_int_equal(type_of(fx, s), MACH_PORT_TYPE_DEAD_NAME);         /* rule D3 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 3);               /* rule D3 */
    assert_int_equal(type_of(fx, so), MACH_PORT_TYPE_DEAD_NAME);        /* rule D3 */
    check_name(fx->task, so, MACH_PORT_TYPE_DEAD_NAME, 2);              /* rule D3 */
    assert_int_equal(type_of(fx, s2), MACH_PORT_TYPE_DEAD_NAME);        /* rule D3 */
    check_name(fx->task, s2, MACH_PORT_TYPE_DEAD_NAME, 3);              /* rule D3 */
    /* no port-deleted notification from the conversion */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule D3 */
}

/* A conversion made by a call that then fails stays made. */
static void test_R0_conversion_survives_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 2);
    mach_port_name_t so = remote_send_once(fx, t, rt);
    mach_port_name_t s3 = MACH_PORT_NULL;
    mach_port_name_t t3, rt3;
    s3 = remote_send_urefs(fx, &t3, &rt3, 1);
    dnrequest(fx, fx->self, s, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t3, rt3), KERN_SUCCESS);

    /* mod_refs(SEND, 0): converted, then KERN_INVALID_RIGHT */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 0),
             KERN_INVALID_RIGHT);                                       /* rule R0 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 3);               /* rule R0 */
    /* mod_refs(SEND_ONCE, -1) on a dead send-once right */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_SEND_ONCE, -1),
             KERN_INVALID_RIGHT);                                       /* rule R0 */
    check_name(fx->task, so, MACH_PORT_TYPE_DEAD_NAME, 1);              /* rule R0 */
    /* mod_refs(DEAD_NAME, -5): converted first, then the underflow */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s3, MACH_PORT_RIGHT_DEAD_NAME, -5),
             KERN_INVALID_VALUE);                                       /* rule R0 */
    check_name(fx->task, s3, MACH_PORT_TYPE_DEAD_NAME, 1);              /* rule R0 */
    /* mach_port_request_notification(DEAD_NAME) without sync: converted, then INVALID_ARGUMENT */
    mach_port_name_t t4, rt4;
    mach_port_name_t s4 = remote_send_urefs(fx, &t4, &rt4, 2);
    check_kr(mk_mach_port_destroy(fx->th, t4, rt4), KERN_SUCCESS);
    mach_port_name_t prev = MACH_PORT_NULL;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, s4, MACH_NOTIFY_DEAD_NAME, 0, n,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_INVALID_ARGUMENT);                                    /* rule R0 */
    check_name(fx->task, s4, MACH_PORT_TYPE_DEAD_NAME, 2);              /* rule R0 */
    /* n got: s's dead-name notification at death, then a send-once notification for the
     * failed request's destroyed send-once right (M11), and nothing from the conversions */
    uint32_t w;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_DEAD_NAME);
    assert_int_equal(w, s);
    assert_int_equal(next_msg(fx, n, NULL), MACH_NOTIFY_SEND_ONCE);
    assert_int_equal(nqueued(fx, n), 0);
}

/* --- R1: mach_port_type ------------------------------------------------------------------------ */

static void test_R1_type(void **state)
{
    fx_t *fx = *state;
    mach_port_type_t type = 0x12345;
    check_kr(mk_mach_port_type(fx->th, fx->self, 999, &type), KERN_INVALID_NAME); /* rule R1 */
    check_kr(mk_mach_port_type(fx->th, fx->self, MACH_PORT_NULL, &type),
             KERN_INVALID_NAME);                                        /* rule R1 */
    check_kr(mk_mach_port_type(fx->th, fx->self, MACH_PORT_DEAD, &type),
             KERN_INVALID_NAME);                                        /* rule R1 */
    assert_int_equal(type_of(fx, fx->self), MACH_PORT_TYPE_SEND);       /* rule R1 */

    /* R0 applies: a send right to a dead port reads as, and becomes, a dead name */
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 4);
    mach_port_name_t so = remote_send_once(fx, t, rt);
    dnrequest(fx, fx->self, s, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    assert_true(unconverted_dead(fx->task, s));
    assert_int_equal(type_of(fx, s), MACH_PORT_TYPE_DEAD_NAME);         /* rule R1 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 5);               /* rule R1 */
    assert_int_equal(type_of(fx, so), MACH_PORT_TYPE_DEAD_NAME);        /* rule R1 */
    check_name(fx->task, so, MACH_PORT_TYPE_DEAD_NAME, 1);              /* rule R1 */
    /* SEND|RECEIVE: never converted (its port is alive while the receive right is here) */
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    dnrequest(fx, fx->self, r, n);
    assert_int_equal(type_of(fx, r),
                     MACH_PORT_TYPE_SEND_RECEIVE | MACH_PORT_TYPE_DNREQUEST); /* rule R1 */
}

/* --- R2: mach_port_get_refs ----------------------------------------------------------------- */

static void test_R2_get_refs_checks(void **state)
{
    fx_t *fx = *state;
    mach_port_urefs_t refs = 77;
    /* right >= 5 is checked before the name */
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, 999, 5, &refs), KERN_INVALID_VALUE); /* rule R2 */
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, 999, 0xFFFFFFFF, &refs),
             KERN_INVALID_VALUE);                                       /* rule R2 */
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, fx->self, MACH_PORT_RIGHT_NUMBER, &refs),
             KERN_INVALID_VALUE);                                       /* rule R2 */
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, 999, MACH_PORT_RIGHT_SEND, &refs),
             KERN_INVALID_NAME);                                        /* rule R2 */
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND, &refs),
             KERN_INVALID_NAME);                                        /* rule R2 */
    assert_int_equal(refs, 77);
}

/* Every (entry type, right asked) pair: its count, or 0 with success when it lacks that right. */
static void test_R2_get_refs_values(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    mach_port_name_t sr = rcv(fx);
    make_send(fx, sr);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, sr, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 9);
    mach_port_name_t so = make_send_once(fx, r);
    mach_port_name_t ps, dn;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 5),
             KERN_SUCCESS);

    struct {
        mach_port_name_t name;
        mach_port_urefs_t want[MACH_PORT_RIGHT_NUMBER]; /* SEND, RECEIVE, SEND_ONCE, SET, DEAD */
    } cases[] = {
        {r, {0, 1, 0, 0, 0}},
        {sr, {3, 1, 0, 0, 0}},
        {s, {9, 0, 0, 0, 0}},
        {so, {0, 0, 1, 0, 0}},
        {ps, {0, 0, 0, 1, 0}},
        {dn, {0, 0, 0, 0, 6}},
    };
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (mach_port_right_t right = 0; right < MACH_PORT_RIGHT_NUMBER; right++) {
            mach_port_urefs_t refs = 0xdead;
            check_kr(mk_mach_port_get_refs(fx->th, fx->self, cases[i].name, right, &refs),
                     KERN_SUCCESS);                                     /* rule R2 */
            if (refs != cases[i].want[right])
                print_error("name 0x%x right %u: want %u got %u\n", cases[i].name, right,
                            cases[i].want[right], refs);
            assert_int_equal(refs, cases[i].want[right]);               /* rule R2 */
        }
    check_snapshot_same(fx->task, &snap);
}

/* get_refs converts first: SEND on a dead send right is 0; DEAD_NAME is the converted count. */
static void test_R2_get_refs_dead(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 3);
    mach_port_name_t so = remote_send_once(fx, t, rt);
    mach_port_name_t t2, rt2;
    mach_port_name_t s2 = remote_send_urefs(fx, &t2, &rt2, 3);
    dnrequest(fx, fx->self, s, n);
    dnrequest(fx, fx->self, s2, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t2, rt2), KERN_SUCCESS);

    assert_int_equal(refs_of(fx, s, MACH_PORT_RIGHT_SEND), 0);          /* rule R2 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 4);               /* rule R2 */
    assert_int_equal(refs_of(fx, s, MACH_PORT_RIGHT_DEAD_NAME), 4);     /* rule R2 */
    /* asked directly for DEAD_NAME on an untouched entry: the converted count */
    assert_int_equal(refs_of(fx, s2, MACH_PORT_RIGHT_DEAD_NAME), 4);    /* rule R2 */
    assert_int_equal(refs_of(fx, so, MACH_PORT_RIGHT_SEND_ONCE), 0);    /* rule R2 */
    assert_int_equal(refs_of(fx, so, MACH_PORT_RIGHT_DEAD_NAME), 1);    /* rule R2 */

    /* a dead send-once right with a request counts 2 */
    mach_port_name_t t3, rt3;
    other(fx, &t3);
    check_kr(mk_mach_port_allocate(fx->th, t3, MACH_PORT_RIGHT_RECEIVE, &rt3), KERN_SUCCESS);
    mach_port_name_t so3 = remote_send_once(fx, t3, rt3);
    dnrequest(fx, fx->self, so3, n);
    check_kr(mk_mach_port_destroy(fx->th, t3, rt3), KERN_SUCCESS);
    assert_int_equal(refs_of(fx, so3, MACH_PORT_RIGHT_DEAD_NAME), 2);   /* rule R2 */
    check_name(fx->task, so3, MACH_PORT_TYPE_DEAD_NAME, 2);             /* rule R2 */
}

/* --- R3: mach_port_mod_refs ------------------------------------------------------------------ */

static void test_R3_common_checks(void **state)
{
    fx_t *fx = *state;
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    /* right >= 5 first, then the name */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, 999, 5, 0), KERN_INVALID_VALUE); /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, fx->self, 7, -1),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, 999, MACH_PORT_RIGHT_SEND, 1),
             KERN_INVALID_NAME);                                        /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, MACH_PORT_NULL, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_INVALID_NAME);                                        /* rule R3 */
    check_snapshot_same(fx->task, &snap);
}

static void test_R3_receive_checks(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    mach_port_name_t ps, dn;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn),
             KERN_SUCCESS);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    /* no RECEIVE bit: INVALID_RIGHT, before the delta is looked at */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_RECEIVE, 5),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_RECEIVE, 0),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    /* delta 0 succeeds and changes nothing; anything but 0 or -1 is INVALID_VALUE */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, 0),
             KERN_SUCCESS);                                             /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, 1),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -2),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, INT_MIN),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_snapshot_same(fx->task, &snap);
    assert_true(port_info(fx->w, port_of(fx->task, r)).active);
}

/* RECEIVE -1 on a receive-only name: the port dies, the name is freed, its dead-name request
 * is cancelled with a port-deleted notification; others' send rights become dead. */
static void test_R3_receive_destroys(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t t;
    ktask_t *ot = other(fx, &t);
    check_kr(mk_mach_port_insert_right(fx->th, t, 50, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    dnrequest(fx, fx->self, r, n);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_no_name(fx->task, r);                                         /* rule R3 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R3 */
    assert_int_equal(w, r);                                             /* rule R3 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R3 */
    assert_true(unconverted_dead(ot, 50));                              /* rule R3 */
}

/* RECEIVE -1 on SEND|RECEIVE: a dead name keeping the send urefs, +1 for a dead-name request
 * (which fires as a dead-name notification); srights not decremented, no no-senders: a pending
 * no-senders request is answered with a send-once notification (D2). */
static void test_R3_receive_on_send_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    /* another holder keeps the (dead) port around so its counters can be read */
    mach_port_name_t t;
    ktask_t *ot = other(fx, &t);
    check_kr(mk_mach_port_insert_right(fx->th, t, 60, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    uint32_t pid = port_of(fx->task, r);
    assert_int_equal(port_info(fx->w, pid).srights, 2);
    dnrequest(fx, fx->self, r, n);
    nsrequest(fx, r, 0, ns);

    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, r, MACH_PORT_TYPE_DEAD_NAME, 4);               /* rule R3 */
    assert_int_equal(type_of(fx, r), MACH_PORT_TYPE_DEAD_NAME);         /* rule R3 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_DEAD_NAME);       /* rule R3 */
    assert_int_equal(w, r);                                             /* rule R3 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R3 */
    assert_int_equal(next_msg(fx, ns, NULL), MACH_NOTIFY_SEND_ONCE);    /* rule R3 */
    assert_int_equal(nqueued(fx, ns), 0);                               /* rule R3 */
    port_info_t pi = port_info(fx->w, pid);
    assert_false(pi.active);
    assert_int_equal(pi.srights, 2);                                    /* rule R3 */
    assert_true(unconverted_dead(ot, 60));

    /* without a request the dead name keeps exactly the send urefs; the entry held the only
     * send right, and still no no-senders: the pending request gets a send-once notification */
    mach_port_name_t r2 = rcv(fx);
    make_send(fx, r2);
    nsrequest(fx, r2, 0, ns);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r2, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, r2, MACH_PORT_TYPE_DEAD_NAME, 1);              /* rule R3 */
    assert_int_equal(next_msg(fx, ns, NULL), MACH_NOTIFY_SEND_ONCE);    /* rule R3 */
    assert_int_equal(nqueued(fx, ns), 0);                               /* rule R3 */
}

/* The port-destroyed variant where the task holding the dead name goes first: the request left
 * on the surviving port still fires, with the old name, when the port dies. */
static void test_R3_receive_on_send_receive_pdrequest_owner_gone(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), pd = rcv(fx);
    mach_port_name_t t;
    other(fx, &t);
    /* t gets a SEND|RECEIVE entry r: receive and send right moved over from the fixture */
    mach_port_name_t r0 = rcv(fx), r = 600;
    make_send(fx, r0);
    check_kr(mk_mach_port_insert_right(fx->th, t, r, r0, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, t, r, r0, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_no_name(fx->task, r0);
    dnrequest(fx, t, r, n);
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, t, r, MACH_NOTIFY_PORT_DESTROYED, 0, pd,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, t, r, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    mach_port_type_t type;
    check_kr(mk_mach_port_type(fx->th, t, r, &type), KERN_SUCCESS);
    assert_int_equal(type, MACH_PORT_TYPE_DEAD_NAME);                   /* rule R3 */
    check_kr(mk_task_terminate(fx->th, t), KERN_SUCCESS);
    assert_int_equal(nqueued(fx, n), 0);
    notif_t m;
    assert_int_equal(recv_now(fx->th, pd, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, m.word), KERN_SUCCESS);
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_DEAD_NAME);       /* rule R3 */
    assert_int_equal(w, r);                                             /* rule R3 */
    check_model_clean(fx->w);
}

/* The port-destroyed variant: the same conversion, but the port survives (handed to the
 * request) with the send right leaked, so no-senders never fires; the dead-name request stays
 * registered on the surviving port and fires when it really dies. */
static void test_R3_receive_on_send_receive_pdrequest(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), pd = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    uint32_t pid = port_of(fx->task, r);
    dnrequest(fx, fx->self, r, n);
    pdrequest(fx, r, pd);

    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, r, MACH_PORT_TYPE_DEAD_NAME, 2);               /* rule R3 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R3 */
    port_info_t pi = port_info(fx->w, pid);
    assert_true(pi.active);                                             /* rule R3 */
    assert_int_equal(pi.srights, 1);                                    /* rule R3 */
    assert_int_equal(pi.dnrequests, 1);                                 /* rule R3 */

    /* the receive right arrives in the port-destroyed notification */
    notif_t m;
    assert_int_equal(recv_now(fx->th, pd, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
    mach_port_name_t q = m.word;
    check_name(fx->task, q, MACH_PORT_TYPE_RECEIVE, 0);
    assert_int_equal(port_of(fx->task, q), pid);
    /* the leaked send right keeps srights above 0: a no-senders request never fires */
    nsrequest(fx, q, 0, ns);
    assert_int_equal(nqueued(fx, ns), 0);                               /* rule R3 */
    assert_true(port_info(fx->w, pid).has_nsrequest);                   /* rule R3 */

    /* the surviving port dies: the old request fires with the old name */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, q), KERN_SUCCESS);
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_DEAD_NAME);       /* rule R3 */
    assert_int_equal(w, r);                                             /* rule R3 */
    assert_int_equal(next_msg(fx, ns, NULL), MACH_NOTIFY_SEND_ONCE);
    check_name(fx->task, r, MACH_PORT_TYPE_DEAD_NAME, 2);               /* rule R3 */
}

static void test_R3_port_set(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t ps, r = rcv(fx);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, ps), KERN_SUCCESS);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_PORT_SET, 0),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_PORT_SET, 0),
             KERN_SUCCESS);                                             /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_PORT_SET, 1),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_PORT_SET, -2),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_snapshot_same(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_PORT_SET, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_no_name(fx->task, ps);                                        /* rule R3 */
    /* the member is alive and in no set */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0);                 /* rule R3 */
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, MACH_PORT_NULL),
             KERN_NOT_IN_SET);                                          /* rule R3 */
}

static void test_R3_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t so = make_send_once(fx, r);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    /* missing bit */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND_ONCE, -1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND_ONCE, 0),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    /* delta > 0 or < -1 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_SEND_ONCE, 1),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_SEND_ONCE, -2),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    /* 0 succeeds */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_SEND_ONCE, 0),
             KERN_SUCCESS);                                             /* rule R3 */
    check_snapshot_same(fx->task, &snap);
    assert_int_equal(nqueued(fx, r), 0);

    /* -1 removes it: a send-once notification to its port, its request cancelled */
    dnrequest(fx, fx->self, so, n);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_SEND_ONCE, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_no_name(fx->task, so);                                        /* rule R3 */
    assert_int_equal(next_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);     /* rule R3 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R3 */
    assert_int_equal(w, so);                                            /* rule R3 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).sorights, 0);

    /* dead port: the delta checks come first, then the conversion and INVALID_RIGHT */
    mach_port_name_t so2 = remote_send_once(fx, t, rt);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so2, MACH_PORT_RIGHT_SEND_ONCE, 1),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so2, MACH_PORT_RIGHT_SEND_ONCE, -2),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    assert_true(unconverted_dead(fx->task, so2));                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so2, MACH_PORT_RIGHT_SEND_ONCE, 0),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_name(fx->task, so2, MACH_PORT_TYPE_DEAD_NAME, 1);             /* rule R3 */
    /* converted: now the missing bit answers first */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so2, MACH_PORT_RIGHT_SEND_ONCE, 1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
}

/* The spec's example of lazy against eager conversion (D3): an untouched dead send entry
 * answers a bad delta with INVALID_VALUE or UREFS_OVERFLOW, a converted one KERN_INVALID_RIGHT. */
static void test_R3_send_check_order_on_dead_entry(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 2);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, -3),
             KERN_INVALID_VALUE);                                       /* rules R3 D3 */
    assert_true(unconverted_dead(fx->task, s));                         /* rules R3 D3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 65533),
             KERN_UREFS_OVERFLOW);                                      /* rules R3 D3 */
    assert_true(unconverted_dead(fx->task, s));                         /* rules R3 D3 */
    /* a good delta, even 0, converts and answers INVALID_RIGHT */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 0),
             KERN_INVALID_RIGHT);                                       /* rules R3 D3 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 2);               /* rules R3 D3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, -3),
             KERN_INVALID_RIGHT);                                       /* rules R3 D3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 65533),
             KERN_INVALID_RIGHT);                                       /* rules R3 D3 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 2);

    /* with a good nonzero delta on another untouched entry */
    mach_port_name_t t2, rt2;
    mach_port_name_t s2 = remote_send_urefs(fx, &t2, &rt2, 2);
    check_kr(mk_mach_port_destroy(fx->th, t2, rt2), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s2, MACH_PORT_RIGHT_SEND, -1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_name(fx->task, s2, MACH_PORT_TYPE_DEAD_NAME, 2);              /* rule R3 */
}

static void test_R3_send_live(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    mach_port_name_t ps;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    /* a receive-only name cannot gain send rights through mod_refs */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_SEND, 0),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_snapshot_same(fx->task, &snap);
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 0);

    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 1);
    uint32_t pid = port_of(fx->task, s);
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, -2),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, INT_MIN),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 65534),
             KERN_UREFS_OVERFLOW);                                      /* rule R3 */
    /* underflow is checked before overflow: neither can happen at once, but a negative delta
     * never reports overflow */
    check_snapshot_same(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 5),
             KERN_SUCCESS);                                             /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 0),
             KERN_SUCCESS);                                             /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, -2),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 4);                    /* rule R3 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule D6 */
}

/* Result 0 on SEND|RECEIVE: only the SEND bit goes, srights-1 (no-senders may fire), the
 * receive right and the dead-name request stay. */
static void test_R3_send_to_zero_on_send_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    dnrequest(fx, fx->self, r, n);
    nsrequest(fx, r, 0, ns);
    uint32_t pid = port_of(fx->task, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, -3),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0);                 /* rule R3 */
    assert_int_equal(type_of(fx, r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_DNREQUEST); /* rule R3 */
    assert_int_equal(port_info(fx->w, pid).srights, 0);                 /* rule R3 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R3 */
    assert_int_equal(w, 1);                                             /* rule R3 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R3 */
}

/* Result 0 on SEND only: the name is freed, its request cancelled (port-deleted), srights-1
 * and no-senders at zero. */
static void test_R3_send_to_zero_on_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t t;
    other(fx, &t);
    /* two holders: the fixture (under a name it gets by extracting from t) and t */
    check_kr(mk_mach_port_insert_right(fx->th, t, 70, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_name_t s = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    /* merges into r: move the receive right to t so the fixture holds a send-only right */
    assert_int_equal(s, r);
    check_kr(mk_mach_port_insert_right(fx->th, t, 70, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_name(fx->task, r, MACH_PORT_TYPE_SEND, 1);
    s = r;
    uint32_t pid = port_of(fx->task, s);
    assert_int_equal(port_info(fx->w, pid).srights, 2);
    /* the no-senders request is made from t's receive right, notifying the fixture's ns */
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, t, 70, MACH_NOTIFY_NO_SENDERS, 0, ns,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    dnrequest(fx, fx->self, s, n);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);

    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, -3),
             KERN_SUCCESS);                                             /* rule R3 */
    check_no_name(fx->task, s);                                         /* rule R3 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R3 */
    assert_int_equal(w, s);                                             /* rule R3 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule R3 */
    assert_int_equal(nqueued(fx, ns), 0);                               /* rule R3 */
    /* t's send right is the last holder: at zero, no-senders with the make-send count */
    check_kr(mk_mach_port_mod_refs(fx->th, t, 70, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).srights, 0);                 /* rule R3 */
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R3 */
    assert_int_equal(w, 0); /* mscount restarted when the receive right moved (D6) */
}

static void test_R3_dead_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t ps;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    mach_port_name_t so = make_send_once(fx, r);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 2);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    /* live send, live send-once, receive, set: no dead-name bit */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, -1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so, MACH_PORT_RIGHT_DEAD_NAME, 0),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, ps, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    make_send(fx, r);
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_DEAD_NAME, -1),
             KERN_INVALID_RIGHT);                                       /* rule R3 */
    check_snapshot_same(fx->task, &snap);

    /* a send right to a dead port is converted (+1 for its request) and accepted */
    dnrequest(fx, fx->self, s, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, 2),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 5);               /* rule R3 */
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, -6),
             KERN_INVALID_VALUE);                                       /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, 65531),
             KERN_UREFS_OVERFLOW);                                      /* rule R3 */
    check_snapshot_same(fx->task, &snap);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, 65530),
             KERN_SUCCESS);                                             /* rule R3 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 65535);           /* rule R3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_DEAD_NAME, -65535),
             KERN_SUCCESS);                                             /* rule R3 */
    check_no_name(fx->task, s);                                         /* rule R3 */

    /* a dead send-once right: converted to 1 uref, -1 frees it, no notification */
    mach_port_name_t t2, rt2;
    other(fx, &t2);
    check_kr(mk_mach_port_allocate(fx->th, t2, MACH_PORT_RIGHT_RECEIVE, &rt2), KERN_SUCCESS);
    mach_port_name_t so2 = remote_send_once(fx, t2, rt2);
    check_kr(mk_mach_port_destroy(fx->th, t2, rt2), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, so2, MACH_PORT_RIGHT_DEAD_NAME, -1),
             KERN_SUCCESS);                                             /* rule R3 */
    check_no_name(fx->task, so2);                                       /* rule R3 */
    assert_int_equal(next_msg(fx, n, NULL), MACH_NOTIFY_DEAD_NAME);
    assert_int_equal(nqueued(fx, n), 0);
}

/* --- R4: mach_port_deallocate ---------------------------------------------------------------- */

static void test_R4_deallocate_dead_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t dn;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_SUCCESS);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, dn), KERN_SUCCESS); /* rule R4 */
    check_name(fx->task, dn, MACH_PORT_TYPE_DEAD_NAME, 1);              /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, dn), KERN_SUCCESS); /* rule R4 */
    check_no_name(fx->task, dn);                                        /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, dn), KERN_INVALID_NAME); /* rule R4 */
}

static void test_R4_deallocate_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t t;
    other(fx, &t);
    /* the fixture holds a send-only right to r's port after moving the receive right to t */
    make_send(fx, r);
    check_kr(mk_mach_port_insert_right(fx->th, t, 80, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, t, 80, MACH_NOTIFY_NO_SENDERS, 0, ns,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    dnrequest(fx, fx->self, r, n);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
    uint32_t pid = port_of(fx->task, r);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS); /* rule R4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND, 1);                    /* rule R4 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule R4 */
    assert_int_equal(nqueued(fx, n) + nqueued(fx, ns), 0);              /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS); /* rule R4 */
    check_no_name(fx->task, r);                                         /* rule R4 */
    assert_int_equal(port_info(fx->w, pid).srights, 0);                 /* rule R4 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R4 */
    assert_int_equal(w, r);                                             /* rule R4 */
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R4 */

    /* a send right to a dead port is a dead name: urefs (+1 for a request) minus one */
    mach_port_name_t t2, rt2;
    mach_port_name_t s = remote_send_urefs(fx, &t2, &rt2, 3);
    dnrequest(fx, fx->self, s, n);
    check_kr(mk_mach_port_destroy(fx->th, t2, rt2), KERN_SUCCESS);
    assert_int_equal(next_msg(fx, n, NULL), MACH_NOTIFY_DEAD_NAME);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, s), KERN_SUCCESS); /* rule R4 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 3);               /* rule R4 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R4 */
}

static void test_R4_deallocate_send_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    make_send(fx, r);
    dnrequest(fx, fx->self, r, n);
    nsrequest(fx, r, 0, ns);
    uint32_t pid = port_of(fx->task, r);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS); /* rule R4 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1);            /* rule R4 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS); /* rule R4 */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0);                 /* rule R4 */
    assert_int_equal(port_info(fx->w, pid).srights, 0);                 /* rule R4 */
    assert_int_equal(type_of(fx, r), MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_DNREQUEST); /* rule R4 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R4 */
    assert_int_equal(w, 2);                                             /* rule R4 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R4 */
    /* receive-only now: INVALID_RIGHT, nothing changes */
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_INVALID_RIGHT); /* rule R4 */
    check_snapshot_same(fx->task, &snap);
    assert_true(port_info(fx->w, pid).active);
}

static void test_R4_deallocate_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t so = make_send_once(fx, r);
    dnrequest(fx, fx->self, so, n);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, so), KERN_SUCCESS); /* rule R4 */
    check_no_name(fx->task, so);                                        /* rule R4 */
    assert_int_equal(next_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);     /* rule R4 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R4 */
    assert_int_equal(w, so);                                            /* rule R4 */

    /* dead port: a converted dead name (1 uref, +1 with a request) loses one uref */
    mach_port_name_t t, rt;
    other(fx, &t);
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_RECEIVE, &rt), KERN_SUCCESS);
    mach_port_name_t a = remote_send_once(fx, t, rt);
    mach_port_name_t b = remote_send_once(fx, t, rt);
    dnrequest(fx, fx->self, b, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    assert_int_equal(next_msg(fx, n, NULL), MACH_NOTIFY_DEAD_NAME);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, a), KERN_SUCCESS); /* rule R4 */
    check_no_name(fx->task, a);                                         /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, b), KERN_SUCCESS); /* rule R4 */
    check_name(fx->task, b, MACH_PORT_TYPE_DEAD_NAME, 1);               /* rule R4 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R4 */
}

static void test_R4_deallocate_invalid(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    mach_port_name_t ps;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_INVALID_RIGHT);  /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, ps), KERN_INVALID_RIGHT); /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, 999), KERN_INVALID_NAME); /* rule R4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, MACH_PORT_NULL),
             KERN_INVALID_NAME);                                        /* rule R4 */
    check_snapshot_same(fx->task, &snap);
}

/* --- R5: mach_port_destroy ------------------------------------------------------------------- */

static void test_R5_destroy_dead_name_and_set(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t dn, ps, r = rcv(fx);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dn),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dn, MACH_PORT_RIGHT_DEAD_NAME, 6),
             KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, dn), KERN_SUCCESS); /* rule R5 */
    check_no_name(fx->task, dn);                                        /* rule R5 */
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &ps), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, ps), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, ps), KERN_SUCCESS); /* rule R5 */
    check_no_name(fx->task, ps);                                        /* rule R5 */
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, MACH_PORT_NULL),
             KERN_NOT_IN_SET);                                          /* rule R5 */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, ps), KERN_INVALID_NAME); /* rule R5 */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, MACH_PORT_NULL),
             KERN_INVALID_NAME);                                        /* rule R5 */
}

/* Send: the holder goes whatever its urefs (srights-1, no-senders at zero); a dead-name request
 * on it is cancelled with a port-deleted notification. */
static void test_R5_destroy_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t t;
    other(fx, &t);
    make_send(fx, r);
    check_kr(mk_mach_port_insert_right(fx->th, t, 90, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 4), KERN_SUCCESS);
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, t, 90, MACH_NOTIFY_NO_SENDERS, 0, ns,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    dnrequest(fx, fx->self, r, n);
    uint32_t pid = port_of(fx->task, r);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);  /* rule R5 */
    check_no_name(fx->task, r);                                         /* rule R5 */
    assert_int_equal(port_info(fx->w, pid).srights, 0);                 /* rule R5 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R5 */
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R5 */
    assert_int_equal(w, r);                                             /* rule R5 */
    assert_true(port_info(fx->w, pid).active);
}

static void test_R5_destroy_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t so = make_send_once(fx, r);
    dnrequest(fx, fx->self, so, n);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, so), KERN_SUCCESS); /* rule R5 */
    check_no_name(fx->task, so);                                        /* rule R5 */
    assert_int_equal(next_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);     /* rule R5 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R5 */
    assert_int_equal(w, so);                                            /* rule R5 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).sorights, 0);
}

/* Receive: the port dies (others' rights become dead names, their requests fire), or with a
 * port-destroyed request it is handed over instead. */
static void test_R5_destroy_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), pd = rcv(fx), own = rcv(fx);
    mach_port_name_t r = rcv(fx);
    mach_port_name_t t;
    ktask_t *ot = other(fx, &t);
    check_kr(mk_mach_port_insert_right(fx->th, t, 95, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    dnrequest(fx, t, 95, n);
    dnrequest(fx, fx->self, r, own);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);  /* rule R5 */
    check_no_name(fx->task, r);                                         /* rule R5 */
    assert_true(unconverted_dead(ot, 95));                              /* rule R5 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_DEAD_NAME);       /* rule R5 */
    assert_int_equal(w, 95);                                            /* rule R5 */
    assert_int_equal(next_msg(fx, own, &w), MACH_NOTIFY_PORT_DELETED);  /* rule R5 */
    assert_int_equal(w, r);                                             /* rule R5 */

    /* with a port-destroyed request */
    mach_port_name_t r2 = rcv(fx);
    uint32_t pid = port_of(fx->task, r2);
    pdrequest(fx, r2, pd);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r2), KERN_SUCCESS); /* rule R5 */
    check_no_name(fx->task, r2);                                        /* rule R5 */
    assert_true(port_info(fx->w, pid).active);                          /* rule R5 */
    notif_t m;
    assert_int_equal(recv_now(fx->th, pd, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_id, MACH_NOTIFY_PORT_DESTROYED);       /* rule R5 */
    assert_int_equal(port_of(fx->task, m.word), pid);                   /* rule R5 */
}

/* SEND|RECEIVE: a dead-name request is cancelled with port-deleted, not dead-name. */
static void test_R5_destroy_send_receive_port_deleted(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx), ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    make_send(fx, r);
    mach_port_name_t t;
    other(fx, &t);
    check_kr(mk_mach_port_insert_right(fx->th, t, 33, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    dnrequest(fx, fx->self, r, n);
    nsrequest(fx, r, 0, ns);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);  /* rule R5 */
    check_no_name(fx->task, r);                                         /* rule R5 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, n, &w), MACH_NOTIFY_PORT_DELETED);    /* rule R5 */
    assert_int_equal(w, r);                                             /* rule R5 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R5 */
    /* not the last send right (t holds one): the pending no-senders request is answered with a
     * send-once notification when the port dies (D2) */
    assert_int_equal(next_msg(fx, ns, NULL), MACH_NOTIFY_SEND_ONCE);    /* rule R5 */
    assert_int_equal(nqueued(fx, ns), 0);                               /* rule R5 */
}

/* SEND|RECEIVE holding the last send right, with a no-senders request: the request is taken off
 * first, the port destroyed, then a real no-senders notification is sent. */
static void test_R5_destroy_send_receive_last_send_nsrequest(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t ns = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    make_send(fx, r);
    check_kr(mk_mach_port_set_mscount(fx->th, fx->self, r, 7), KERN_SUCCESS);
    /* a send-once holder's dead-name request notifies the same port as the no-senders request,
     * so the queue shows the order: the port's death first, no-senders after */
    mach_port_name_t t;
    ktask_t *ot = other(fx, &t);
    check_kr(mk_mach_port_insert_right(fx->th, t, 44, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    dnrequest(fx, t, 44, ns);
    nsrequest(fx, r, 0, ns);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);  /* rule R5 */
    check_no_name(fx->task, r);                                         /* rule R5 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_DEAD_NAME);      /* rule R5 */
    assert_int_equal(w, 44);                                            /* rule R5 */
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R5 */
    assert_int_equal(w, 7);                                             /* rule R5 */
    assert_int_equal(nqueued(fx, ns), 0);                               /* rule R5 */
    assert_true(unconverted_dead(ot, 44));
}

/* The same with a port-destroyed request: the no-senders request was taken off before the port
 * was handed over, and is answered with a real no-senders notification. */
static void test_R5_destroy_send_receive_last_send_nsrequest_pdrequest(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t ns = rcv(fx), pd = rcv(fx);
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    uint32_t pid = port_of(fx->task, r);
    nsrequest(fx, r, 0, ns);
    pdrequest(fx, r, pd);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);  /* rule R5 */
    check_no_name(fx->task, r);                                         /* rule R5 */
    port_info_t pi = port_info(fx->w, pid);
    assert_true(pi.active);                                             /* rule R5 */
    assert_false(pi.has_nsrequest);                                     /* rule R5 */
    assert_int_equal(pi.srights, 0);                                    /* rule R5 */
    uint32_t w = 0;
    assert_int_equal(next_msg(fx, ns, &w), MACH_NOTIFY_NO_SENDERS);     /* rule R5 */
    assert_int_equal(w, 1);                                             /* rule R5 */
    notif_t m;
    assert_int_equal(recv_now(fx->th, pd, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_id, MACH_NOTIFY_PORT_DESTROYED);       /* rule R5 */
    assert_int_equal(port_of(fx->task, m.word), pid);                   /* rule R5 */
}

/* A send or send-once right to a dead port: simply freed, no notification. */
static void test_R5_destroy_dead_port_silent(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t n = rcv(fx);
    mach_port_name_t t, rt;
    mach_port_name_t s = remote_send_urefs(fx, &t, &rt, 3);
    mach_port_name_t so = remote_send_once(fx, t, rt);
    dnrequest(fx, fx->self, s, n);
    dnrequest(fx, fx->self, so, n);
    check_kr(mk_mach_port_destroy(fx->th, t, rt), KERN_SUCCESS);
    assert_int_equal(next_msg(fx, n, NULL), MACH_NOTIFY_DEAD_NAME);
    assert_int_equal(next_msg(fx, n, NULL), MACH_NOTIFY_DEAD_NAME);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, s), KERN_SUCCESS);  /* rule R5 */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, so), KERN_SUCCESS); /* rule R5 */
    check_no_name(fx->task, s);                                         /* rule R5 */
    check_no_name(fx->task, so);                                        /* rule R5 */
    assert_int_equal(nqueued(fx, n), 0);                                /* rule R5 */
}

/* --- D6: send-right accounting ---------------------------------------------------------------- */

static void test_D6_srights_counts_holders(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    uint32_t pid = port_of(fx->task, r);
    port_info_t pi = port_info(fx->w, pid);
    assert_int_equal(pi.srights, 0);
    assert_int_equal(pi.mscount, 0);
    make_send(fx, r);
    pi = port_info(fx->w, pid);
    assert_int_equal(pi.srights, 1);                                    /* rule D6 */
    assert_int_equal(pi.mscount, 1);                                    /* rule D6 */
    /* urefs are not holders */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 10), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule D6 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule D6 */
    /* a second holder in another task: MAKE_SEND counts, COPY_SEND does not */
    mach_port_name_t t;
    other(fx, &t);
    check_kr(mk_mach_port_insert_right(fx->th, t, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    pi = port_info(fx->w, pid);
    assert_int_equal(pi.srights, 2);                                    /* rule D6 */
    assert_int_equal(pi.mscount, 2);                                    /* rule D6 */
    mach_port_name_t t2;
    other(fx, &t2);
    check_kr(mk_mach_port_insert_right(fx->th, t2, 10, r, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    pi = port_info(fx->w, pid);
    assert_int_equal(pi.srights, 3);                                    /* rule D6 */
    assert_int_equal(pi.mscount, 2);                                    /* rule D6 */
    /* merging into an entry with SEND lowers srights again: make-send +1, merge -1 */
    check_kr(mk_mach_port_insert_right(fx->th, t, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    pi = port_info(fx->w, pid);
    assert_int_equal(pi.srights, 3);                                    /* rule D6 */
    assert_int_equal(pi.mscount, 3);                                    /* rule D6 */
    mach_port_name_t got;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND, &got,
                                        &(mach_msg_type_name_t){0}),
             KERN_SUCCESS);
    assert_int_equal(got, r);
    pi = port_info(fx->w, pid);
    assert_int_equal(pi.srights, 3);                                    /* rule D6 */
    assert_int_equal(pi.mscount, 4);                                    /* rule D6 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 11);
}

/* Merging into a RECEIVE-only entry: the right moves in, srights keeps it. */
static void test_D6_merge_into_receive_only(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    uint32_t pid = port_of(fx->task, r);
    mach_port_name_t got;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND, &got,
                                        &(mach_msg_type_name_t){0}),
             KERN_SUCCESS);
    assert_int_equal(got, r);
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1);            /* rule D6 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule D6 */
    assert_int_equal(port_info(fx->w, pid).mscount, 1);                 /* rule D6 */
}

/* mscount stays incremented after a failed MAKE_SEND; srights does not. It restarts when the
 * receive right moves, and can be set. */
static void test_D6_mscount_side_effects(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    make_send(fx, r);
    uint32_t pid = port_of(fx->task, r);
    mach_port_name_t t;
    other(fx, &t);
    mach_port_name_t dn_t;
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_DEAD_NAME, &dn_t), KERN_SUCCESS);
    snapshot_t snap;
    snapshot_take(fx->task, &snap);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, 200, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS);
    check_snapshot_same(fx->task, &snap);
    check_kr(mk_mach_port_insert_right(fx->th, t, dn_t, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_NAME_EXISTS);
    check_snapshot_same(fx->task, &snap);
    port_info_t pi = port_info(fx->w, pid);
    assert_int_equal(pi.mscount, 3);                                    /* rule D6 */
    assert_int_equal(pi.srights, 1);                                    /* rule D6 */
    check_kr(mk_mach_port_set_mscount(fx->th, fx->self, r, 40), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).mscount, 40);                /* rule D6 */
    check_kr(mk_mach_port_insert_right(fx->th, t, 300, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).mscount, 0);                 /* rule D6 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);                 /* rule D6 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND, 1);
}

/* --- the task argument ------------------------------------------------------------------------ */

/* Every routine here answers KERN_INVALID_TASK when the task port is not an active task's, or
 * the space is dead; a task name that is no send right fails the request message itself. */
static void test_R1_R5_task_argument(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = rcv(fx);
    make_send(fx, r); /* a send right, but not to a task */
    mach_port_type_t type;
    mach_port_urefs_t refs;
    check_kr(mk_mach_port_type(fx->th, r, fx->self, &type), KERN_INVALID_TASK);      /* rule R1 */
    check_kr(mk_mach_port_get_refs(fx->th, r, fx->self, 0, &refs), KERN_INVALID_TASK); /* rule R2 */
    check_kr(mk_mach_port_mod_refs(fx->th, r, fx->self, 0, 1), KERN_INVALID_TASK);   /* rule R3 */
    check_kr(mk_mach_port_deallocate(fx->th, r, fx->self), KERN_INVALID_TASK);       /* rule R4 */
    check_kr(mk_mach_port_destroy(fx->th, r, fx->self), KERN_INVALID_TASK);          /* rule R5 */
    check_kr(mk_mach_port_type(fx->th, 999, fx->self, &type), MACH_SEND_INVALID_DEST); /* rule R1 */
    check_kr(mk_mach_port_destroy(fx->th, 999, fx->self), MACH_SEND_INVALID_DEST);   /* rule R5 */

    mach_port_name_t t;
    ktask_t *ot = other(fx, &t);
    mach_port_name_t dn;
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_DEAD_NAME, &dn), KERN_SUCCESS);
    world_kill_space(ot);
    check_kr(mk_mach_port_type(fx->th, t, dn, &type), KERN_INVALID_TASK);            /* rule R1 */
    check_kr(mk_mach_port_get_refs(fx->th, t, dn, MACH_PORT_RIGHT_DEAD_NAME, &refs),
             KERN_INVALID_TASK);                                        /* rule R2 */
    check_kr(mk_mach_port_mod_refs(fx->th, t, dn, MACH_PORT_RIGHT_DEAD_NAME, -1),
             KERN_INVALID_TASK);                                        /* rule R3 */
    check_kr(mk_mach_port_deallocate(fx->th, t, dn), KERN_INVALID_TASK); /* rule R4 */
    check_kr(mk_mach_port_destroy(fx->th, t, dn), KERN_INVALID_TASK);   /* rule R5 */
    /* a dead space is found at the lookup, after the right's check */
    check_kr(mk_mach_port_get_refs(fx->th, t, dn, 5, &refs), KERN_INVALID_VALUE); /* rule R2 */
    check_kr(mk_mach_port_mod_refs(fx->th, t, dn, 5, 0), KERN_INVALID_VALUE);     /* rule R3 */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_T1_T2_types_and_urefs),
        FX_TEST(test_T2_send_once_fresh_name),
        FX_TEST(test_T3_send_merges_with_receive),
        FX_TEST(test_T3_send_merges_with_send),
        FX_TEST(test_T3_message_send_right_merges),
        FX_TEST(test_T4_send_capped_at_65534),
        FX_TEST(test_T4_dead_names_reach_65535),
        FX_TEST(test_T5_task_self_pegs),
        FX_TEST(test_T5_insert_right_overflow),
        FX_TEST(test_T5_reply_and_receive_peg),
        FX_TEST(test_T6_dnrequest_flag),
        FX_TEST(test_D3_conversion),
        FX_TEST(test_R0_conversion_survives_errors),
        FX_TEST(test_R1_type),
        FX_TEST(test_R2_get_refs_checks),
        FX_TEST(test_R2_get_refs_values),
        FX_TEST(test_R2_get_refs_dead),
        FX_TEST(test_R3_common_checks),
        FX_TEST(test_R3_receive_checks),
        FX_TEST(test_R3_receive_destroys),
        FX_TEST(test_R3_receive_on_send_receive),
        FX_TEST(test_R3_receive_on_send_receive_pdrequest),
        FX_TEST(test_R3_receive_on_send_receive_pdrequest_owner_gone),
        FX_TEST(test_R3_port_set),
        FX_TEST(test_R3_send_once),
        FX_TEST(test_R3_send_check_order_on_dead_entry),
        FX_TEST(test_R3_send_live),
        FX_TEST(test_R3_send_to_zero_on_send_receive),
        FX_TEST(test_R3_send_to_zero_on_send),
        FX_TEST(test_R3_dead_name),
        FX_TEST(test_R4_deallocate_dead_name),
        FX_TEST(test_R4_deallocate_send),
        FX_TEST(test_R4_deallocate_send_receive),
        FX_TEST(test_R4_deallocate_send_once),
        FX_TEST(test_R4_deallocate_invalid),
        FX_TEST(test_R5_destroy_dead_name_and_set),
        FX_TEST(test_R5_destroy_send),
        FX_TEST(test_R5_destroy_send_once),
        FX_TEST(test_R5_destroy_receive),
        FX_TEST(test_R5_destroy_send_receive_port_deleted),
        FX_TEST(test_R5_destroy_send_receive_last_send_nsrequest),
        FX_TEST(test_R5_destroy_send_receive_last_send_nsrequest_pdrequest),
        FX_TEST(test_R5_destroy_dead_port_silent),
        FX_TEST(test_D6_srights_counts_holders),
        FX_TEST(test_D6_merge_into_receive_only),
        FX_TEST(test_D6_mscount_side_effects),
        FX_TEST(test_R1_R5_task_argument),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
