/*
 * test_insert.c: putting rights into a space and taking them out, allocating, renaming and
 * listing names (rules I1-I4, X1-X2, A1-A4, L1-L4, K8), model/mach_port.c and model/right.c.
 *
 * Each test asserts what docs/spec-rules.md says, rule by rule; where a call fails, it also
 * asserts what the failure leaves behind (a snapshot of the space before and after, and the
 * port counters), since side effects that survive errors are observable (spec section 12).
 */
#include "testlib.h"

#include <string.h>

/* --- helpers ------------------------------------------------------------------------------- */

/* An empty task the fixture can reach (no names at all), and the fixture's name for it. */
static ktask_t *empty_task(fx_t *fx, mach_port_name_t *name)
{
    ktask_t *t = world_boot_task(fx->w, NULL);
    *name = world_give_task_port(fx->task, t);
    return t;
}

static mach_port_name_t alloc_in(fx_t *fx, mach_port_name_t task, mach_port_right_t right)
{
    mach_port_name_t n = MACH_PORT_NULL;
    check_kr(mk_mach_port_allocate(fx->th, task, right, &n), KERN_SUCCESS);
    return n;
}

/* A send (or, with MAKE_SEND_ONCE, a send-once) right in the fixture's space to a port whose
 * receive right is *rname in the task named tn. */
static mach_port_name_t foreign_right(fx_t *fx, mach_port_name_t tn, mach_port_name_t *rname,
                                      mach_msg_type_name_t how)
{
    *rname = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t s = MACH_PORT_NULL;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, *rname, how, &s, &type), KERN_SUCCESS);
    return s;
}

/* A notification: header, one type descriptor, one word (a name, a count or a right). */
typedef struct notif {
    mach_msg_header_t head;
    mach_msg_type_t type;
    uint32_t value;
    uint8_t spare[64];
} notif_t;

/* Receives one message queued on the fixture's receive right rcv. Returns its id, 0 if none
 * was queued; *value gets the word after the first type descriptor (if value is not NULL). */
static mach_msg_id_t take_msg(fx_t *fx, mach_port_name_t rcv, uint32_t *value)
{
    notif_t m;
    memset(&m, 0, sizeof m);
    mach_msg_return_t mr = recv_now(fx->th, rcv, &m, sizeof m);
    if (mr == MACH_RCV_TIMED_OUT)
        return 0;
    check_kr(mr, MACH_MSG_SUCCESS);
    if (value != NULL)
        *value = m.value;
    return m.head.msgh_id;
}

/* Sends an empty message to name (MAKE_SEND or COPY_SEND per how) from the fixture. */
static void send_empty(fx_t *fx, mach_port_name_t name, mach_msg_type_name_t how)
{
    mach_msg_header_t m;
    memset(&m, 0, sizeof m);
    m.msgh_bits = MACH_MSGH_BITS(how, 0);
    m.msgh_remote_port = name;
    m.msgh_size = sizeof m;
    m.msgh_id = 4242;
    check_kr(mk_mach_msg(fx->th, &m, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0),
             MACH_MSG_SUCCESS);
}

static mach_port_type_t type_of(fx_t *fx, mach_port_name_t task, mach_port_name_t name)
{
    mach_port_type_t type = 0;
    check_kr(mk_mach_port_type(fx->th, task, name, &type), KERN_SUCCESS);
    return type;
}

static bool peek_dead(ktask_t *t, mach_port_name_t name)
{
    name_info_t info;
    return space_peek(t, name, &info) && info.dead;
}

/* The hook of I2 step 7: destroys the fixture's receive right *(arg) between copy-in and
 * the routine. */
typedef struct kill_arg {
    fx_t *fx;
    mach_port_name_t rcv;
} kill_arg_t;

static void kill_port_hook(world_t *w, void *arg)
{
    (void)w;
    kill_arg_t *k = arg;
    check_kr(mk_mach_port_mod_refs(k->fx->th, k->fx->self, k->rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* ========================================================================================== */
/* I1: the caller's side                                                                      */
/* ========================================================================================== */

static void test_I1_make_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 5, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, p).mscount, 1); /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule I1 */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0); /* rule I1 */
    check_name(t, 5, MACH_PORT_TYPE_SEND, 1);           /* rules I1 I2 */
    assert_int_equal(port_of(t, 5), p);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 6, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS);
    assert_int_equal(port_info(fx->w, p).mscount, 2); /* rules I1 I4 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule I4 */
}

static void test_I1_make_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 5, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, p).sorights, 1); /* rule I1 */
    assert_int_equal(port_info(fx->w, p).mscount, 0);  /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 0);  /* rule I1 */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0); /* rule I1 */
    check_name(t, 5, MACH_PORT_TYPE_SEND_ONCE, 1);      /* rules I1 I2 */
}

static void test_I1_copy_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 2);       /* rule I1 */
    assert_int_equal(port_info(fx->w, p).mscount, 1);       /* rule I1 */
    check_name(t, 9, MACH_PORT_TYPE_SEND, 1);                /* rule I1 */
}

static void test_I1_move_send_keeps_name_above_one_uref(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 2);       /* rule I1 */
    check_name(t, 9, MACH_PORT_TYPE_SEND, 1);
}

/* The last uref of a SEND|RECEIVE name: the entry stays RECEIVE, the holder moves out. */
static void test_I1_move_send_last_uref_leaves_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    make_send(fx, r);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0); /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 1);   /* rule I1 */
    check_name(t, 9, MACH_PORT_TYPE_SEND, 1);
}

/* The last uref of a SEND name: the name is freed; its dead-name request is cancelled with a
 * port-deleted notification carrying the name. */
static void test_I1_move_send_last_uref_frees_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    uint32_t p = port_of(fx->task, s);
    dnrequest(fx, fx->self, s, notify);
    assert_int_equal(port_info(fx->w, p).dnrequests, 1);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, s, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_no_name(fx->task, s);                        /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 1);  /* rule I1 */
    assert_int_equal(port_info(fx->w, p).dnrequests, 0); /* rule I1 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED); /* rule I1 */
    assert_int_equal(value, s);                                               /* rule I1 */
    assert_int_equal(take_msg(fx, notify, NULL), 0);
    check_name(t, 9, MACH_PORT_TYPE_SEND, 1);
    assert_int_equal(port_of(t, 9), p);
}

static void test_I1_move_send_once(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t so = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    uint32_t p = port_of(fx->task, so);
    dnrequest(fx, fx->self, so, notify);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_SUCCESS);
    check_no_name(fx->task, so);                        /* rule I1 */
    assert_int_equal(port_info(fx->w, p).sorights, 1);  /* rule I1 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED); /* rule I1 */
    assert_int_equal(value, so);                                              /* rule I1 */
    check_name(t, 9, MACH_PORT_TYPE_SEND_ONCE, 1);                           /* rule I1 */
}

/* MOVE_RECEIVE of SEND|RECEIVE: the name stays SEND with its urefs and its dead-name request;
 * the port leaves its set; mscount and seqno restart. */
static void test_I1_move_receive_from_send_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    make_send(fx, r);
    make_send(fx, r);
    send_empty(fx, r, MACH_MSG_TYPE_COPY_SEND);
    assert_int_equal(take_msg(fx, r, NULL), 4242);
    assert_int_equal(port_info(fx->w, p).seqno, 1);
    assert_int_equal(port_info(fx->w, p).mscount, 2);
    mach_port_name_t set = alloc_in(fx, fx->self, MACH_PORT_RIGHT_PORT_SET);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, r, set), KERN_SUCCESS);
    dnrequest(fx, fx->self, r, notify);

    check_kr(mk_mach_port_insert_right(fx->th, tn, 7, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_name(fx->task, r, MACH_PORT_TYPE_SEND, 2);                     /* rule I1 */
    assert_true(type_of(fx, fx->self, r) & MACH_PORT_TYPE_DNREQUEST);    /* rule I1 */
    assert_int_equal(port_info(fx->w, p).mscount, 0);                    /* rule I1 */
    assert_int_equal(port_info(fx->w, p).seqno, 0);                      /* rule I1 */
    assert_int_equal(port_info(fx->w, p).srights, 1);                    /* rule I1 */
    check_name(t, 7, MACH_PORT_TYPE_RECEIVE, 0);                         /* rule I2 */
    check_kr(mk_mach_port_move_member(fx->th, tn, 7, MACH_PORT_NULL), KERN_NOT_IN_SET); /* rule I1 */
    assert_int_equal(take_msg(fx, notify, NULL), 0); /* no port-deleted: the request stays */
    /* the request still watches the port from its old holder */
    check_kr(mk_mach_port_mod_refs(fx->th, tn, 7, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_DEAD_NAME); /* rule I1 */
    assert_int_equal(value, r);
}

static void test_I1_move_receive_only_frees_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    dnrequest(fx, fx->self, r, notify);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 7, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_no_name(fx->task, r); /* rule I1 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED); /* rule I1 */
    assert_int_equal(value, r);                                               /* rule I1 */
    assert_int_equal(port_info(fx->w, p).dnrequests, 0);                      /* rule I1 */
    check_name(t, 7, MACH_PORT_TYPE_RECEIVE, 0);
    assert_int_equal(port_of(t, 7), p);
}

/* Dead rights travel as MACH_PORT_DEAD (so the routine answers KERN_INVALID_CAPABILITY), and a
 * MOVE still takes one dead-name uref from the caller. */
static void test_I1_dead_rights_travel_as_dead(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn, rn2;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t d = alloc_in(fx, fx->self, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, d, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, d, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_CAPABILITY);                       /* rule I1 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 2);    /* rule I1 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, d, MACH_MSG_TYPE_MOVE_SEND),
             KERN_INVALID_CAPABILITY);                       /* rule I1 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1);    /* rule I1 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, d, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_INVALID_CAPABILITY);                       /* rule I1 */
    check_no_name(fx->task, d);                              /* rule I1 */

    /* a send right to a port that died: converted, then the MOVE takes a uref */
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, un, rn, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    assert_true(peek_dead(fx->task, s));
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, s, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_CAPABILITY);                       /* rule I1 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 3);    /* rule I1 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, s, MACH_MSG_TYPE_MOVE_SEND),
             KERN_INVALID_CAPABILITY);                       /* rule I1 */
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 2);    /* rule I1 */

    /* a send-once right to a dead port */
    mach_port_name_t so = foreign_right(fx, un, &rn2, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    check_kr(mk_mach_port_mod_refs(fx->th, un, rn2, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_INVALID_CAPABILITY);                       /* rule I1 */
    check_no_name(fx->task, so);                             /* rule I1 */
    assert_int_equal(space_count(t), 0);
}

/* The wrong kind of right fails the send itself: nothing changes anywhere. */
static void test_I1_wrong_kind_invalid_right(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn, rn2;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t r = alloc_rcv(fx);
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    mach_port_name_t so = foreign_right(fx, un, &rn2, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    mach_port_name_t set = alloc_in(fx, fx->self, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t d = alloc_in(fx, fx->self, MACH_PORT_RIGHT_DEAD_NAME);
    uint32_t p = port_of(fx->task, r), ps = port_of(fx->task, s);
    snapshot_t before, tbefore;
    snapshot_take(fx->task, &before);
    snapshot_take(t, &tbefore);
    const struct { mach_port_name_t name; mach_msg_type_name_t how; } bad[] = {
        {s, MACH_MSG_TYPE_MAKE_SEND},         {s, MACH_MSG_TYPE_MAKE_SEND_ONCE},
        {s, MACH_MSG_TYPE_MOVE_RECEIVE},      {s, MACH_MSG_TYPE_MOVE_SEND_ONCE},
        {r, MACH_MSG_TYPE_COPY_SEND},         {r, MACH_MSG_TYPE_MOVE_SEND},
        {r, MACH_MSG_TYPE_MOVE_SEND_ONCE},    {so, MACH_MSG_TYPE_COPY_SEND},
        {so, MACH_MSG_TYPE_MOVE_SEND},        {so, MACH_MSG_TYPE_MAKE_SEND},
        {set, MACH_MSG_TYPE_COPY_SEND},       {set, MACH_MSG_TYPE_MOVE_RECEIVE},
        {d, MACH_MSG_TYPE_MAKE_SEND},         {d, MACH_MSG_TYPE_MOVE_RECEIVE},
        {77, MACH_MSG_TYPE_COPY_SEND},        {77, MACH_MSG_TYPE_MAKE_SEND},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_kr(mk_mach_port_insert_right(fx->th, tn, 9, bad[i].name, bad[i].how),
                 MACH_SEND_INVALID_RIGHT); /* rule I1 */
    check_snapshot_same(fx->task, &before); /* rule I1 */
    check_snapshot_same(t, &tbefore);       /* rule I1 */
    assert_int_equal(port_info(fx->w, p).mscount, 0);  /* rule I1 */
    assert_int_equal(port_info(fx->w, ps).srights, 1); /* rule I1 */
}

/* A task name that is not a send right fails the send before the right is copied in. */
static void test_I1_bad_task_name_invalid_dest(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    make_send(fx, r);
    mach_port_name_t d = alloc_in(fx, fx->self, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t rcv_only = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    const mach_port_name_t bad_tasks[] = {MACH_PORT_NULL, 500, d, rcv_only, MACH_PORT_DEAD};
    for (size_t i = 0; i < sizeof bad_tasks / sizeof bad_tasks[0]; i++) {
        check_kr(mk_mach_port_insert_right(fx->th, bad_tasks[i], 9, r, MACH_MSG_TYPE_MOVE_SEND),
                 MACH_SEND_INVALID_DEST); /* rule I1 */
        check_kr(mk_mach_port_insert_right(fx->th, bad_tasks[i], 9, r, MACH_MSG_TYPE_MAKE_SEND),
                 MACH_SEND_INVALID_DEST); /* rule I1 */
    }
    check_snapshot_same(fx->task, &before);           /* rule I1 */
    assert_int_equal(port_info(fx->w, p).mscount, 1); /* rule I1 */
    assert_int_equal(space_count(t), 0);
}

/* ========================================================================================== */
/* I2: the routine's checks, in order                                                         */
/* ========================================================================================== */

/* Step 1: a request port that is not a task port gives a null space. The request was sent, so
 * the carried right is destroyed (I4). Step 1 comes before step 2 and 3. */
static void test_I2_step1_null_space(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, thread, 9, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_TASK);                          /* rule I2 */
    assert_int_equal(port_info(fx->w, p).mscount, 1);     /* rule I4 */
    assert_int_equal(port_info(fx->w, p).srights, 0);     /* rule I4 */
    check_kr(mk_mach_port_insert_right(fx->th, thread, 0, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_TASK);                          /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, thread, 0, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_TASK);                          /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, thread, 9, 0, MACH_MSG_TYPE_PORT_NAME),
             KERN_INVALID_TASK);                          /* rule I2 */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0);
}

/* Step 2: a bad name or a carried type that is not a port right (a polymorphic argument sent
 * as plain data reaches the routine: MIG does not check its type name). */
static void test_I2_step2_invalid_value(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    check_kr(mk_mach_port_insert_right(fx->th, tn, MACH_PORT_NULL, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_VALUE); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, MACH_PORT_DEAD, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_VALUE); /* rule I2 */
    assert_int_equal(port_info(fx->w, p).mscount, 2); /* rule I4 */
    assert_int_equal(port_info(fx->w, p).srights, 0); /* rule I4 */
    /* before step 3: a null right under a bad name */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 0, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_VALUE); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 0, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND),
             KERN_INVALID_VALUE); /* rule I2 */
    /* a carried type that is not 16-18: the "right" travels as data */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_PORT_NAME),
             KERN_INVALID_VALUE); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_INTEGER_32),
             KERN_INVALID_VALUE); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, MACH_PORT_NULL, MACH_MSG_TYPE_PORT_NAME),
             KERN_INVALID_VALUE); /* rule I2 */
    check_snapshot_same(fx->task, &before);
    assert_int_equal(space_count(t), 0);
    assert_int_equal(port_info(fx->w, p).mscount, 2);
}

/* Step 3: a null or dead right. Before the dead-space check and the name checks. */
static void test_I2_step3_invalid_capability(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    snapshot_t before;
    snapshot_take(t, &before);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_CAPABILITY); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND),
             KERN_INVALID_CAPABILITY); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_CAPABILITY); /* rule I2 */
    check_snapshot_same(t, &before);   /* rule I2 */
    world_kill_space(t);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 9, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_INVALID_CAPABILITY); /* rule I2 */
}

/* Step 4: a dead target space, and lack of memory. Before steps 5-7. */
static void test_I2_step4_dead_space(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    world_kill_space(t);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 20, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_TASK); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_TASK); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_TASK); /* rule I2 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule I4 */
    assert_int_equal(port_info(fx->w, p).mscount, 4); /* rule I4 */
    /* a receive right inserted into a dead space dies with the message */
    mach_port_name_t r2 = alloc_rcv(fx);
    uint32_t p2 = port_of(fx->task, r2);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 30, r2, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_INVALID_TASK);                       /* rule I2 */
    check_no_name(fx->task, r2);                       /* rule I4 */
    assert_false(port_info(fx->w, p2).active);         /* rule I4 */
}

static void test_I2_step4_resource_shortage(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(t, &before);
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 20, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RESOURCE_SHORTAGE); /* rule I2 */
    assert_int_equal(world_failed_allocations(fx->w), 1);
    check_snapshot_same(t, &before);                   /* rule I2 */
    assert_int_equal(port_info(fx->w, p).srights, 1);  /* rule I4 */
    /* a fresh port: the memory failure comes before the name checks */
    mach_port_name_t r2 = alloc_rcv(fx);
    uint32_t p2 = port_of(fx->task, r2);
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 40, r2, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_RESOURCE_SHORTAGE); /* rule I2 */
    check_snapshot_same(t, &before);
    assert_int_equal(port_info(fx->w, p2).sorights, 1);                 /* rule I4 */
    assert_int_equal(take_msg(fx, r2, NULL), MACH_NOTIFY_SEND_ONCE);    /* rule I4 */
    assert_int_equal(port_info(fx->w, p2).sorights, 0);
    /* the name already in the tree needs no allocation: the same call then succeeds */
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_name(t, 10, MACH_PORT_TYPE_SEND, 2); /* rule I3 */
    world_fail_allocations(fx->w, -1, 0);
}

/* Step 5: the port is already in the target under another name: RIGHT_EXISTS, even if the
 * name asked for is in use; the name reserved for the call goes back (N3 step 6). */
static void test_I2_step5_right_exists(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t other = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    snapshot_t before;
    snapshot_take(t, &before);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 20, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS); /* rule I2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, other, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS); /* rule I2 */
    check_snapshot_same(t, &before);                  /* rule I2 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule I4 */
    assert_int_equal(port_info(fx->w, p).mscount, 4); /* rule I4 */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 20); /* rule N3 */
    /* the receive right: same check, and the failed call destroys the port (I4) */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 30, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_RIGHT_EXISTS);                 /* rule I2 */
    check_no_name(fx->task, r);                  /* rule I4 */
    assert_false(port_info(fx->w, p).active);    /* rule I4 */
    assert_true(peek_dead(t, 10));
    assert_int_equal(type_of(fx, tn, 10), MACH_PORT_TYPE_DEAD_NAME); /* rule I4 */
}

/* Step 6: name holds any right that step 5 did not merge with. */
static void test_I2_step6_name_exists(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    /* a send-once right to the same port */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t other = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 50, s, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(t, &before);
    const mach_port_name_t used[] = {10, d, other, set, 50};
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
        check_kr(mk_mach_port_insert_right(fx->th, tn, used[i], r, MACH_MSG_TYPE_MAKE_SEND),
                 KERN_NAME_EXISTS); /* rule I2 */
        check_kr(mk_mach_port_insert_right(fx->th, tn, used[i], r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                 KERN_NAME_EXISTS); /* rule I2 */
    }
    check_snapshot_same(t, &before);                   /* rule I2 */
    assert_int_equal(port_info(fx->w, p).srights, 0);  /* rule I4 */
    assert_int_equal(port_info(fx->w, p).mscount, 5);  /* rule I4 */
    /* five send-once notifications for the five destroyed send-once rights */
    for (int i = 0; i < 5; i++)
        assert_int_equal(take_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE); /* rule I4 */
    assert_int_equal(take_msg(fx, r, NULL), 0);
    assert_int_equal(port_info(fx->w, p).sorights, 1);
    /* a send right inserted at a send-once name for the same port: send-once never merges */
    check_name(t, 10, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule I2 */
}

/* Step 7: the port died between copy-in and the routine. */
static void test_I2_step7_port_died_since_copyin(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t keep = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME); /* 1 */
    assert_int_equal(keep, 1);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    kill_arg_t k = {fx, r};
    world_set_after_copyin_hook(fx->w, kill_port_hook, &k);
    snapshot_t before;
    snapshot_take(t, &before);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 40, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_CAPABILITY); /* rule I2 */
    world_set_after_copyin_hook(fx->w, NULL, NULL);
    check_snapshot_same(t, &before);   /* rule I2 */
    check_no_name(fx->task, r);
    assert_false(port_info(fx->w, p).active);
    /* the reserved name went to the head of the free list (N3 step 6) */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 40); /* rule N3 */

    /* step 6 before step 7: a name in use answers NAME_EXISTS even though the port died */
    mach_port_name_t r2 = alloc_rcv(fx);
    k.rcv = r2;
    world_set_after_copyin_hook(fx->w, kill_port_hook, &k);
    check_kr(mk_mach_port_insert_right(fx->th, tn, keep, r2, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_NAME_EXISTS); /* rule I2 */
    world_set_after_copyin_hook(fx->w, NULL, NULL);

    /* step 5 sees only live ports: the target's old name for the dead port is no merge and
     * no RIGHT_EXISTS */
    mach_port_name_t r3 = alloc_rcv(fx);
    uint32_t p3 = port_of(fx->task, r3);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 60, r3, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    k.rcv = r3;
    world_set_after_copyin_hook(fx->w, kill_port_hook, &k);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 61, r3, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_CAPABILITY); /* rule I2 */
    world_set_after_copyin_hook(fx->w, NULL, NULL);
    check_no_name(t, 61);                                             /* rule I2 */
    assert_int_equal(type_of(fx, tn, 60), MACH_PORT_TYPE_DEAD_NAME);  /* rule I2 */
    (void)p3;
}

/* Step 8: a fresh entry: SEND 1, SEND_ONCE 1, RECEIVE 0 with the port's receiver the name. */
static void test_I2_step8_fresh_entry(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    kthread_t *tth = world_boot_thread(t);
    mach_port_name_t a = alloc_rcv(fx), b = alloc_rcv(fx), c = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 0x1000, a, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 0x2000, b, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    make_send(fx, c);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 0x3000, c, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_name(t, 0x1000, MACH_PORT_TYPE_SEND, 1);      /* rule I2 */
    check_name(t, 0x2000, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule I2 */
    check_name(t, 0x3000, MACH_PORT_TYPE_RECEIVE, 0);   /* rule I2 */
    /* a message to the port arrives at the receiver name 0x3000 */
    send_empty(fx, c, MACH_MSG_TYPE_COPY_SEND);
    notif_t m;
    memset(&m, 0, sizeof m);
    check_kr(recv_now(tth, 0x3000, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_local_port, 0x3000); /* rule I2 */
    assert_int_equal(m.head.msgh_id, 4242);
}

/* ========================================================================================== */
/* I3: merging                                                                                */
/* ========================================================================================== */

static void test_I3_make_send_idiom(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);                                  /* rule I3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 1);       /* rule I3 */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);                                  /* rule I3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 1);       /* rule I3 */
    assert_int_equal(port_info(fx->w, p).mscount, 2);       /* rule I3 */
    snapshot_t before;
    snapshot_take(fx->task, &before);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r + 1000, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS);                 /* rule I3 */
    check_snapshot_same(fx->task, &before);
    /* COPY_SEND and MOVE_SEND of the name into itself */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_COPY_SEND),
             KERN_SUCCESS);                                  /* rule I3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule I3 */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MOVE_SEND),
             KERN_SUCCESS);                                  /* rule I3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 1);
}

static void test_I3_merge_kinds(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    /* send into SEND: urefs + 1, one holder */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_name(t, 10, MACH_PORT_TYPE_SEND, 2);         /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule I3 */
    /* receive into SEND: SEND|RECEIVE keeping the urefs */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);                              /* rule I3 */
    check_no_name(fx->task, r);
    check_name(t, 10, MACH_PORT_TYPE_SEND_RECEIVE, 2);  /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 1);   /* rule I3 */
    assert_int_equal(port_info(fx->w, p).mscount, 0);

    /* send into RECEIVE-only: SEND|RECEIVE with urefs 1, the right moves in */
    mach_port_name_t r2 = alloc_rcv(fx);
    uint32_t p2 = port_of(fx->task, r2);
    make_send(fx, r2);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 20, r2, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    check_name(t, 20, MACH_PORT_TYPE_RECEIVE, 0);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 20, r2, MACH_MSG_TYPE_MOVE_SEND),
             KERN_SUCCESS);                              /* rule I3 */
    check_no_name(fx->task, r2);
    check_name(t, 20, MACH_PORT_TYPE_SEND_RECEIVE, 1);  /* rule I3 */
    assert_int_equal(port_info(fx->w, p2).srights, 1);  /* rule I3 */
}

/* Merging at 65534 urefs: no overflow allowed, KERN_UREFS_OVERFLOW; the carried right is
 * released (I4) and the entry is as it was. */
static void test_I3_merge_overflow(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, tn, 10, MACH_PORT_RIGHT_SEND, 65532), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_name(t, 10, MACH_PORT_TYPE_SEND, 65534); /* rule I3 */
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, r, MACH_NOTIFY_NO_SENDERS, 0,
                                               notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(t, &before);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_UREFS_OVERFLOW);                    /* rule I3 */
    check_snapshot_same(t, &before);                  /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule I4 */
    assert_int_equal(port_info(fx->w, p).mscount, 3); /* rule I4 */
    assert_true(port_info(fx->w, p).has_nsrequest);  /* one holder is left: no no-senders */
    assert_int_equal(take_msg(fx, notify, NULL), 0);
    /* the same in the caller's own space, with the I3 idiom */
    make_send(fx, r);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_SEND, 65533), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_UREFS_OVERFLOW);                                   /* rule I3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 65534);     /* rule I3 */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_COPY_SEND),
             KERN_UREFS_OVERFLOW);                                   /* rule I3 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 65534);     /* rule I3 */
    assert_int_equal(port_info(fx->w, p).srights, 2);
}

/* ========================================================================================== */
/* I4: the carried right is destroyed on failure                                              */
/* ========================================================================================== */

static void test_I4_send_released_no_senders_fires(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    empty_task(fx, &tn);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, r, MACH_NOTIFY_NO_SENDERS, 1,
                                               notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    assert_true(port_info(fx->w, p).has_nsrequest);
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_NAME_EXISTS);                              /* rule I2 */
    assert_int_equal(port_info(fx->w, p).srights, 0);       /* rule I4 */
    assert_int_equal(port_info(fx->w, p).mscount, 1);       /* rule I4 */
    assert_false(port_info(fx->w, p).has_nsrequest);        /* rule I4 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_NO_SENDERS); /* rule I4 */
    assert_int_equal(value, 1);                                             /* rule I4 */
    check_name(fx->task, r, MACH_PORT_TYPE_RECEIVE, 0);
}

static void test_I4_send_once_notifies(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_NAME_EXISTS);
    notif_t m;
    memset(&m, 0, sizeof m);
    check_kr(recv_now(fx->th, r, &m, sizeof m), MACH_MSG_SUCCESS); /* rule I4 */
    assert_int_equal(m.head.msgh_id, MACH_NOTIFY_SEND_ONCE);       /* rule I4 */
    assert_int_equal(m.head.msgh_local_port, r);
    assert_int_equal(port_info(fx->w, p).sorights, 0);             /* rule I4 */
    /* a moved send-once right too */
    mach_port_name_t so = MACH_PORT_NULL;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
                                        &type), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 0, so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_INVALID_VALUE);
    check_no_name(fx->task, so);                                      /* rule I4 */
    assert_int_equal(take_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);   /* rule I4 */
    assert_int_equal(port_info(fx->w, p).sorights, 0);
}

/* The receive right dies with the failed request: other holders' names become dead names and
 * their dead-name requests fire. */
static void test_I4_receive_destroyed(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un;
    empty_task(fx, &tn);
    ktask_t *u = empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, un, 9, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    dnrequest(fx, un, 9, notify);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_NAME_EXISTS);
    check_no_name(fx->task, r);                                      /* rule I4 */
    assert_false(port_info(fx->w, p).active);                        /* rule I4 */
    check_name(u, 9, MACH_PORT_TYPE_SEND, 1);  /* not converted until touched (D3) */
    assert_true(peek_dead(u, 9));                                    /* rule I4 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_DEAD_NAME); /* rule I4 */
    assert_int_equal(value, 9);
    assert_int_equal(type_of(fx, un, 9), MACH_PORT_TYPE_DEAD_NAME);  /* rule I4 */
    check_name(u, 9, MACH_PORT_TYPE_DEAD_NAME, 2);
}

/* With a port-destroyed request the port survives: its receive right goes to the request. */
static void test_I4_receive_to_port_destroyed_request(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un;
    empty_task(fx, &tn);
    ktask_t *u = empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_mach_port_insert_right(fx->th, un, 9, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_name_t prev;
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, r, MACH_NOTIFY_PORT_DESTROYED,
                                               0, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_insert_right(fx->th, tn, d, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_NAME_EXISTS);
    check_no_name(fx->task, r);
    assert_true(port_info(fx->w, p).active);  /* rule I4 */
    assert_false(peek_dead(u, 9));            /* rule I4 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DESTROYED); /* rule I4 */
    check_name(fx->task, value, MACH_PORT_TYPE_RECEIVE, 0);                     /* rule I4 */
    assert_int_equal(port_of(fx->task, value), p);                              /* rule I4 */
    check_name(u, 9, MACH_PORT_TYPE_SEND, 1);
}

/* ========================================================================================== */
/* X1: extract_right's checks and what happens in the target                                  */
/* ========================================================================================== */

static void test_X1_checks(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    mach_port_name_t r = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t poly = 77;
    mach_msg_type_name_t type = 77;
    snapshot_t before, tbefore;
    snapshot_take(fx->task, &before);
    snapshot_take(t, &tbefore);
    check_kr(mk_mach_port_extract_right(fx->th, thread, r, MACH_MSG_TYPE_MAKE_SEND, &poly, &type),
             KERN_INVALID_TASK); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, thread, r, 99, &poly, &type),
             KERN_INVALID_TASK); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_PORT_NAME, &poly, &type),
             KERN_INVALID_VALUE); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, 22, &poly, &type),
             KERN_INVALID_VALUE); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 500, 22, &poly, &type),
             KERN_INVALID_VALUE); /* rule X1 */
    for (mach_msg_type_name_t how = MACH_MSG_TYPE_MOVE_RECEIVE;
         how <= MACH_MSG_TYPE_MAKE_SEND_ONCE; how++) {
        check_kr(mk_mach_port_extract_right(fx->th, tn, 500, how, &poly, &type),
                 KERN_INVALID_NAME); /* rule X1 */
        check_kr(mk_mach_port_extract_right(fx->th, tn, MACH_PORT_NULL, how, &poly, &type),
                 KERN_INVALID_NAME); /* rule X1 */
    }
    check_snapshot_same(fx->task, &before); /* rule X1 */
    check_snapshot_same(t, &tbefore);       /* rule X1 */
    assert_int_equal(poly, 77);
    world_kill_space(t);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &poly, &type),
             KERN_INVALID_TASK); /* rule X1 */
    /* the desired type is checked before the space is found dead */
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, 22, &poly, &type),
             KERN_INVALID_VALUE); /* rule X1 */
}

/* Each disposition needs its kind of right; otherwise KERN_INVALID_RIGHT and nothing changes. */
static void test_X1_wrong_kind_invalid_right(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 11, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    mach_port_name_t rcv = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t dead = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    const struct { mach_port_name_t name; mach_msg_type_name_t how; } bad[] = {
        {10, MACH_MSG_TYPE_MAKE_SEND},      {10, MACH_MSG_TYPE_MAKE_SEND_ONCE},
        {10, MACH_MSG_TYPE_MOVE_RECEIVE},   {10, MACH_MSG_TYPE_MOVE_SEND_ONCE},
        {11, MACH_MSG_TYPE_COPY_SEND},      {11, MACH_MSG_TYPE_MOVE_SEND},
        {11, MACH_MSG_TYPE_MAKE_SEND},      {11, MACH_MSG_TYPE_MOVE_RECEIVE},
        {rcv, MACH_MSG_TYPE_COPY_SEND},     {rcv, MACH_MSG_TYPE_MOVE_SEND},
        {rcv, MACH_MSG_TYPE_MOVE_SEND_ONCE},
        {set, MACH_MSG_TYPE_MAKE_SEND},     {set, MACH_MSG_TYPE_COPY_SEND},
        {set, MACH_MSG_TYPE_MOVE_RECEIVE},  {set, MACH_MSG_TYPE_MOVE_SEND_ONCE},
        {dead, MACH_MSG_TYPE_MAKE_SEND},    {dead, MACH_MSG_TYPE_MAKE_SEND_ONCE},
        {dead, MACH_MSG_TYPE_MOVE_RECEIVE},
    };
    snapshot_t before, tbefore;
    snapshot_take(fx->task, &before);
    snapshot_take(t, &tbefore);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mach_port_name_t poly;
        mach_msg_type_name_t type;
        check_kr(mk_mach_port_extract_right(fx->th, tn, bad[i].name, bad[i].how, &poly, &type),
                 KERN_INVALID_RIGHT); /* rule X1 */
    }
    check_snapshot_same(fx->task, &before); /* rule X1 */
    check_snapshot_same(t, &tbefore);       /* rule X1 */
}

static void test_X1_send_dispositions(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_in(fx, un, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t s = MACH_PORT_NULL;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, un, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, s, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, tn, 10, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
    dnrequest(fx, tn, 10, notify);
    uint32_t p = port_of(t, 10);

    mach_port_name_t got = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, 10, MACH_MSG_TYPE_COPY_SEND, &got, &type),
             KERN_SUCCESS);
    check_name(t, 10, MACH_PORT_TYPE_SEND, 2);         /* rule X1 */
    assert_int_equal(port_info(fx->w, p).srights, 2); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 10, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    check_name(t, 10, MACH_PORT_TYPE_SEND, 1);         /* rule X1 */
    check_name(fx->task, got, MACH_PORT_TYPE_SEND, 2);
    assert_int_equal(port_info(fx->w, p).srights, 2); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 10, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    check_no_name(t, 10);                              /* rule X1 */
    assert_int_equal(port_info(fx->w, p).srights, 1); /* rule X1 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED); /* rule X1 */
    assert_int_equal(value, 10);                                              /* rule X1 */
    check_name(fx->task, got, MACH_PORT_TYPE_SEND, 3);

    /* SEND|RECEIVE with its last uref moved keeps RECEIVE */
    mach_port_name_t r2 = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r2, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, r2, got, MACH_MSG_TYPE_MOVE_SEND),
             KERN_SUCCESS);
    check_name(t, r2, MACH_PORT_TYPE_SEND_RECEIVE, 1);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r2, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    check_name(t, r2, MACH_PORT_TYPE_RECEIVE, 0); /* rule X1 */

    /* MAKE_SEND, MAKE_SEND_ONCE from a receive right */
    uint32_t p2 = port_of(t, r2);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r2, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, p2).mscount, 2); /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, r2, MACH_MSG_TYPE_MAKE_SEND_ONCE, &got,
                                        &type), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, p2).sorights, 1); /* rule X1 */
    check_name(t, r2, MACH_PORT_TYPE_RECEIVE, 0);       /* rule X1 */

    /* MOVE_SEND_ONCE frees the name, port-deleted for its request */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 30, got, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_SUCCESS);
    dnrequest(fx, tn, 30, notify);
    check_kr(mk_mach_port_extract_right(fx->th, tn, 30, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got,
                                        &type), KERN_SUCCESS);
    check_no_name(t, 30);                                                       /* rule X1 */
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED);   /* rule X1 */
    assert_int_equal(value, 30);
    check_name(fx->task, got, MACH_PORT_TYPE_SEND_ONCE, 1);
}

/* A dead source is no error for COPY_SEND, MOVE_SEND, MOVE_SEND_ONCE: MACH_PORT_DEAD; COPY
 * leaves the urefs, MOVE takes one. */
static void test_X1_dead_sources(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_mod_refs(fx->th, tn, d, MACH_PORT_RIGHT_DEAD_NAME, 2), KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    mach_port_name_t got = 0;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, d, MACH_MSG_TYPE_COPY_SEND, &got, &type),
             KERN_SUCCESS);                               /* rule X1 */
    assert_int_equal(got, MACH_PORT_DEAD);                /* rule X1 */
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND);      /* rule X2 */
    check_name(t, d, MACH_PORT_TYPE_DEAD_NAME, 3);        /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, d, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);                               /* rule X1 */
    assert_int_equal(got, MACH_PORT_DEAD);                /* rule X1 */
    check_name(t, d, MACH_PORT_TYPE_DEAD_NAME, 2);        /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, d, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got, &type),
             KERN_SUCCESS);                               /* rule X1 */
    assert_int_equal(got, MACH_PORT_DEAD);                /* rule X1 */
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND_ONCE); /* rule X2 */
    check_name(t, d, MACH_PORT_TYPE_DEAD_NAME, 1);        /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, d, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    check_no_name(t, d);                                  /* rule X1 */
    check_snapshot_same(fx->task, &before);               /* rule X2 */

    /* a send right and a send-once right to a port that died: converted first */
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 11, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 12, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    check_kr(mk_mach_port_extract_right(fx->th, tn, 10, MACH_MSG_TYPE_COPY_SEND, &got, &type),
             KERN_SUCCESS);                                /* rule X1 */
    assert_int_equal(got, MACH_PORT_DEAD);                 /* rule X1 */
    check_name(t, 10, MACH_PORT_TYPE_DEAD_NAME, 2);        /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 10, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);                                /* rule X1 */
    check_name(t, 10, MACH_PORT_TYPE_DEAD_NAME, 1);        /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 11, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got, &type),
             KERN_SUCCESS);                                /* rule X1 */
    assert_int_equal(got, MACH_PORT_DEAD);                 /* rule X1 */
    check_no_name(t, 11);                                  /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 12, MACH_MSG_TYPE_COPY_SEND, &got, &type),
             KERN_SUCCESS);                                /* rule X1 */
    assert_int_equal(got, MACH_PORT_DEAD);                 /* rule X1 */
    check_name(t, 12, MACH_PORT_TYPE_DEAD_NAME, 1);        /* rule X1 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, 12, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_INVALID_RIGHT);                          /* rule X1 */
}

/* MOVE_RECEIVE out of the target: as I1 (SEND|RECEIVE stays SEND with its request; a
 * RECEIVE-only name is freed with port-deleted; set left; mscount and seqno reset). */
static void test_X1_move_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    kthread_t *tth = world_boot_thread(t);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    uint32_t p = port_of(t, r);
    mach_port_name_t got = 0;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, r, got, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    send_empty(fx, got, MACH_MSG_TYPE_COPY_SEND);
    notif_t m;
    check_kr(recv_now(tth, r, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(port_info(fx->w, p).seqno, 1);
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);
    check_kr(mk_mach_port_move_member(fx->th, tn, r, set), KERN_SUCCESS);
    dnrequest(fx, tn, r, notify);

    mach_port_name_t rr = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MOVE_RECEIVE, &rr, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_RECEIVE);                 /* rule X2 */
    check_name(t, r, MACH_PORT_TYPE_SEND, 1);                           /* rule X1 */
    assert_true(type_of(fx, tn, r) & MACH_PORT_TYPE_DNREQUEST);         /* rule X1 */
    assert_int_equal(port_info(fx->w, p).mscount, 0);                   /* rule X1 */
    assert_int_equal(port_info(fx->w, p).seqno, 0);                     /* rule X1 */
    /* it merged with the caller's send right to the port (X2) */
    assert_int_equal(rr, got);                                          /* rule X2 */
    check_name(fx->task, rr, MACH_PORT_TYPE_SEND_RECEIVE, 1);           /* rule X2 */
    check_kr(mk_mach_port_move_member(fx->th, fx->self, rr, MACH_PORT_NULL),
             KERN_NOT_IN_SET);                                          /* rule X1 */
    assert_int_equal(take_msg(fx, notify, NULL), 0);

    /* RECEIVE-only: the name is freed and its request cancelled */
    mach_port_name_t r2 = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    dnrequest(fx, tn, r2, notify);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r2, MACH_MSG_TYPE_MOVE_RECEIVE, &rr, &type),
             KERN_SUCCESS);
    check_no_name(t, r2);                                                     /* rule X1 */
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED); /* rule X1 */
    assert_int_equal(value, r2);                                              /* rule X1 */
    check_name(fx->task, rr, MACH_PORT_TYPE_RECEIVE, 0);                      /* rule X2 */
}

/* ========================================================================================== */
/* X2: what the caller gets                                                                   */
/* ========================================================================================== */

static void test_X2_acquired_types(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    empty_task(fx, &tn);
    mach_port_name_t r = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_CAPABILITY);
    mach_port_name_t got = 0, so = 0;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND); /* rule X2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 20, got, MACH_MSG_TYPE_MAKE_SEND),
             MACH_SEND_INVALID_RIGHT);
    check_kr(mk_mach_port_insert_right(fx->th, tn, r, got, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_COPY_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND); /* rule X2 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND); /* rule X2 */
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND_ONCE); /* rule X2 */
    check_kr(mk_mach_port_insert_right(fx->th, tn, 30, so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_extract_right(fx->th, tn, 30, MACH_MSG_TYPE_MOVE_SEND_ONCE, &so, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND_ONCE); /* rule X2 */
    mach_port_name_t rr = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MOVE_RECEIVE, &rr, &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_RECEIVE); /* rule X2 */
    assert_int_equal(rr, got);                          /* rule X2 */
    check_name(fx->task, got, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule X2 */
    check_name(fx->task, so, MACH_PORT_TYPE_SEND_ONCE, 1);
}

/* Send rights merge with the caller's name for the port and peg at 65534 (overflow allowed);
 * send-once rights always get a fresh name. */
static void test_X2_copyout_merge_and_peg(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    empty_task(fx, &tn);
    mach_port_name_t r = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t s = 0, got = 0, so1 = 0, so2 = 0;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    uint32_t p = port_of(fx->task, s);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(got, s);                           /* rule X2 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 2);    /* rule X2 */
    assert_int_equal(port_info(fx->w, p).srights, 1);  /* rule X2 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 65532),
             KERN_SUCCESS);
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 65534);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &got, &type),
             KERN_SUCCESS);                             /* rule X2 */
    assert_int_equal(got, s);                           /* rule X2 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 65534); /* rule X2 */
    assert_int_equal(port_info(fx->w, p).srights, 1);  /* rule X2 */
    assert_int_equal(port_info(fx->w, p).mscount, 3);

    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so1, &type),
             KERN_SUCCESS);
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so2, &type),
             KERN_SUCCESS);
    assert_int_not_equal(so1, so2);                         /* rule X2 */
    assert_int_not_equal(so1, s);                           /* rule X2 */
    check_name(fx->task, so1, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule X2 */
    check_name(fx->task, so2, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule X2 */

    /* a send right extracted from the caller's own receive right merges into it */
    mach_port_name_t own = alloc_rcv(fx);
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, own, MACH_MSG_TYPE_MAKE_SEND, &got,
                                        &type), KERN_SUCCESS);
    assert_int_equal(got, own);                                /* rule X2 */
    check_name(fx->task, own, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule X2 */
}

/* The caller's own space: a freed name comes back through the free list. */
static void test_X2_move_send_own_last_uref_same_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t un, rn;
    empty_task(fx, &un);
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    uint32_t p = port_of(fx->task, s);
    mach_port_name_t got = 0;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, s, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(got, s);                          /* rule X2 */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 1);   /* rule X2 */
    assert_int_equal(port_of(fx->task, s), p);
    assert_int_equal(port_info(fx->w, p).srights, 1);
    /* a send-once right moved out and back also reuses the freed name */
    mach_port_name_t so = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got,
                                        &type), KERN_SUCCESS);
    assert_int_equal(got, so);                              /* rule X2 */
    check_name(fx->task, so, MACH_PORT_TYPE_SEND_ONCE, 1);  /* rule X2 */
    /* a dead name moved out: MACH_PORT_DEAD, and the name is gone */
    mach_port_name_t d = alloc_in(fx, fx->self, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, d, MACH_MSG_TYPE_MOVE_SEND, &got, &type),
             KERN_SUCCESS);
    assert_int_equal(got, MACH_PORT_DEAD); /* rule X2 */
    check_no_name(fx->task, d);            /* rule X2 */
}

/* ========================================================================================== */
/* A1-A4: allocate, allocate_name, mach_reply_port, rename                                    */
/* ========================================================================================== */

static void test_A1_allocate(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t r = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    check_name(t, r, MACH_PORT_TYPE_RECEIVE, 0); /* rule A1 */
    port_info_t pi = port_info(fx->w, port_of(t, r));
    assert_true(pi.active);
    assert_int_equal(pi.mscount, 0);                     /* rule A1 */
    assert_int_equal(pi.srights, 0);                     /* rule A1 */
    assert_int_equal(pi.sorights, 0);                    /* rule A1 */
    assert_int_equal(pi.seqno, 0);                       /* rule A1 */
    assert_int_equal(pi.qlimit, MACH_PORT_QLIMIT_DEFAULT); /* rule A1 */
    assert_int_equal(pi.qlimit, 5);                      /* rule A1 */
    assert_false(pi.has_nsrequest);                      /* rule A1 */
    assert_false(pi.has_pdrequest);                      /* rule A1 */
    assert_int_equal(pi.dnrequests, 0);                  /* rule A1 */
    assert_false(type_of(fx, tn, r) & MACH_PORT_TYPE_DNREQUEST);
    check_kr(mk_mach_port_move_member(fx->th, tn, r, MACH_PORT_NULL), KERN_NOT_IN_SET); /* rule A1 */
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);
    check_name(t, set, MACH_PORT_TYPE_PORT_SET, 0); /* rule A1 */
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    check_name(t, d, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule A1 */
    assert_int_equal(r, 1);
    assert_int_equal(set, 2);
    assert_int_equal(d, 3);

    snapshot_t before;
    snapshot_take(t, &before);
    const mach_port_right_t bad[] = {MACH_PORT_RIGHT_SEND, MACH_PORT_RIGHT_SEND_ONCE,
                                     MACH_PORT_RIGHT_NUMBER, 6, 100, (mach_port_right_t)-1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mach_port_name_t n = 77;
        check_kr(mk_mach_port_allocate(fx->th, tn, bad[i], &n), KERN_INVALID_VALUE); /* rule A1 */
    }
    check_snapshot_same(t, &before);                        /* rule A1 */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 4); /* rule A1 */
}

static void test_A1_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    mach_port_name_t n = 77;
    check_kr(mk_mach_port_allocate(fx->th, thread, MACH_PORT_RIGHT_RECEIVE, &n),
             KERN_INVALID_TASK); /* rule A1 */
    for (mach_port_right_t right = MACH_PORT_RIGHT_RECEIVE; right <= MACH_PORT_RIGHT_DEAD_NAME;
         right++) {
        if (right == MACH_PORT_RIGHT_SEND_ONCE)
            continue;
        world_fail_allocations(fx->w, 0, 1);
        check_kr(mk_mach_port_allocate(fx->th, tn, right, &n), KERN_RESOURCE_SHORTAGE); /* rule A1 */
        assert_int_equal(space_count(t), 0);                                         /* rule A1 */
    }
    world_fail_allocations(fx->w, -1, 0);
    world_kill_space(t);
    check_kr(mk_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, &n),
             KERN_INVALID_TASK); /* rule A1 */
    check_kr(mk_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_PORT_SET, &n),
             KERN_INVALID_TASK); /* rule A1 */
    check_kr(mk_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, &n),
             KERN_INVALID_TASK); /* rule A1 */
    assert_int_equal(n, 77);
}

/* A2: the checks in order, each step's code, and the earlier step winning. */
static void test_A2_check_order(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    mach_port_name_t used = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    /* 1: null space, before everything */
    check_kr(mk_mach_port_allocate_name(fx->th, thread, MACH_PORT_RIGHT_SEND, 0),
             KERN_INVALID_TASK); /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, thread, MACH_PORT_RIGHT_RECEIVE, 50),
             KERN_INVALID_TASK); /* rule A2 */
    /* 2: bad name, before a bad right */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_SEND, MACH_PORT_NULL),
             KERN_INVALID_VALUE); /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_DEAD),
             KERN_INVALID_VALUE); /* rule A2 */
    /* 3: bad right, before NAME_EXISTS */
    const mach_port_right_t bad[] = {MACH_PORT_RIGHT_SEND, MACH_PORT_RIGHT_SEND_ONCE, 5, 9};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_kr(mk_mach_port_allocate_name(fx->th, tn, bad[i], 50), KERN_INVALID_VALUE); /* rule A2 */
        check_kr(mk_mach_port_allocate_name(fx->th, tn, bad[i], used),
                 KERN_INVALID_VALUE); /* rule A2 */
    }
    /* 5: the name holds any right, the same kind included */
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);
    mach_port_name_t dead = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 60, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 61, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(t, &before);
    const mach_port_name_t names[] = {used, set, dead, 60, 61};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (mach_port_right_t right = MACH_PORT_RIGHT_RECEIVE;
             right <= MACH_PORT_RIGHT_DEAD_NAME; right++)
            if (right != MACH_PORT_RIGHT_SEND_ONCE)
                check_kr(mk_mach_port_allocate_name(fx->th, tn, right, names[i]),
                         KERN_NAME_EXISTS); /* rule A2 */
    check_snapshot_same(t, &before); /* rule A2 */
    /* 4: a dead space, after the value checks and before NAME_EXISTS */
    world_kill_space(t);
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_SEND, 50),
             KERN_INVALID_VALUE); /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, 0),
             KERN_INVALID_VALUE); /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, used),
             KERN_INVALID_TASK); /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, 50),
             KERN_INVALID_TASK); /* rule A2 */
}

static void test_A2_allocate_name_success(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, 0x12345678),
             KERN_SUCCESS);                                   /* rule A2 */
    check_name(t, 0x12345678, MACH_PORT_TYPE_RECEIVE, 0);     /* rule A2 */
    port_info_t pi = port_info(fx->w, port_of(t, 0x12345678));
    assert_int_equal(pi.mscount, 0);                          /* rule A2 */
    assert_int_equal(pi.srights + pi.sorights + pi.seqno, 0); /* rule A2 */
    assert_int_equal(pi.qlimit, 5);                           /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_PORT_SET, 7), KERN_SUCCESS);
    check_name(t, 7, MACH_PORT_TYPE_PORT_SET, 0);             /* rule A2 */
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, 0xFFFFFFFE),
             KERN_SUCCESS);
    check_name(t, 0xFFFFFFFE, MACH_PORT_TYPE_DEAD_NAME, 1);   /* rule A2 */
    /* memory failure leaves nothing behind */
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, 8),
             KERN_RESOURCE_SHORTAGE); /* rule A2 */
    check_no_name(t, 8);
    world_fail_allocations(fx->w, 1, 1);
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_PORT_SET, 8),
             KERN_RESOURCE_SHORTAGE); /* rule A2 */
    check_no_name(t, 8);
    assert_int_equal(space_count(t), 3);
    world_fail_allocations(fx->w, -1, 0);
    /* a failed allocate_name reserves no name: the next kernel choice is still the lowest key,
     * not 8 (only rename and insert_right give back a reserved name, N3 step 6) */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 1); /* rule A2 */
    /* the trap shortcut: the same routine */
    check_kr(mk_trap_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, 7),
             KERN_NAME_EXISTS); /* rule K8 */
    check_kr(mk_trap_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_SEND, 0),
             KERN_INVALID_VALUE); /* rule K8 */
    check_kr(mk_trap_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, 9),
             KERN_SUCCESS); /* rule K8 */
    check_name(t, 9, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule K8 */
}

static void test_A3_reply_port(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t expect = alloc_rcv(fx);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, expect), KERN_SUCCESS);
    mach_port_name_t n = mk_mach_reply_port(fx->th);
    assert_int_equal(n, expect);                         /* rule A3 */
    check_name(fx->task, n, MACH_PORT_TYPE_RECEIVE, 0);  /* rule A3 */
    port_info_t pi = port_info(fx->w, port_of(fx->task, n));
    assert_int_equal(pi.mscount + pi.srights + pi.sorights + pi.seqno, 0); /* rule A3 */
    assert_int_equal(pi.qlimit, 5);                                        /* rule A3 */
    mach_port_name_t n2 = mk_mach_reply_port(fx->th);
    assert_int_not_equal(n2, n);                         /* rule A3 */
    snapshot_t before;
    snapshot_take(fx->task, &before);
    world_fail_allocations(fx->w, 0, 1);
    assert_int_equal(mk_mach_reply_port(fx->th), MACH_PORT_NULL); /* rule A3 */
    world_fail_allocations(fx->w, 1, 1);
    assert_int_equal(mk_mach_reply_port(fx->th), MACH_PORT_NULL); /* rule A3 */
    world_fail_allocations(fx->w, -1, 0);
    check_snapshot_same(fx->task, &before);                       /* rule A3 */
}

/* A thread in a task whose space died gets MACH_PORT_NULL. */
static void test_A3_reply_port_dead_space(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    kthread_t *tth = world_boot_thread(t);
    assert_int_not_equal(mk_mach_reply_port(tth), MACH_PORT_NULL);
    world_kill_space(t);
    assert_int_equal(mk_mach_reply_port(tth), MACH_PORT_NULL); /* rule A3 */
}

static void test_A4_rename_checks(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t a = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    mach_port_name_t b = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    snapshot_t before;
    snapshot_take(t, &before);
    check_kr(mk_mach_port_rename(fx->th, tn, a, MACH_PORT_NULL), KERN_INVALID_VALUE); /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, a, MACH_PORT_DEAD), KERN_INVALID_VALUE); /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, 500, MACH_PORT_NULL),
             KERN_INVALID_VALUE); /* rule A4 */
    /* NAME_EXISTS before the old name is looked at */
    check_kr(mk_mach_port_rename(fx->th, tn, a, b), KERN_NAME_EXISTS);   /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, 500, b), KERN_NAME_EXISTS); /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, 0, b), KERN_NAME_EXISTS);   /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, a, a), KERN_NAME_EXISTS);   /* rule A4 */
    check_snapshot_same(t, &before);                                     /* rule A4 */
    /* old unused, or old == new (unused): INVALID_NAME, the new name to the free list head */
    check_kr(mk_mach_port_rename(fx->th, tn, 500, 100), KERN_INVALID_NAME); /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, 0, 101), KERN_INVALID_NAME);   /* rule A4 */
    check_kr(mk_mach_port_rename(fx->th, tn, 102, 102), KERN_INVALID_NAME); /* rule A4 */
    check_snapshot_same(t, &before);                                        /* rule A4 */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 102);     /* rules A4 N3 */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 101);     /* rules A4 N3 */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), 100);     /* rules A4 N3 */
    /* memory and a dead space */
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_mach_port_rename(fx->th, tn, a, 200), KERN_RESOURCE_SHORTAGE); /* rule A4 */
    world_fail_allocations(fx->w, -1, 0);
    check_name(t, a, MACH_PORT_TYPE_RECEIVE, 0);
    check_no_name(t, 200);
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    check_kr(mk_mach_port_rename(fx->th, thread, a, 200), KERN_INVALID_TASK); /* rule A4 */
    world_kill_space(t);
    check_kr(mk_mach_port_rename(fx->th, tn, a, 200), KERN_INVALID_TASK);     /* rule A4 */
}

/* What moves: type, urefs, the dead-name request; the receiver name; the old name is freed. */
static void test_A4_rename_moves_everything(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    kthread_t *tth = world_boot_thread(t);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    uint32_t p = port_of(t, r);
    mach_port_name_t s = 0;
    mach_msg_type_name_t type;
    check_kr(mk_mach_port_extract_right(fx->th, tn, r, MACH_MSG_TYPE_MAKE_SEND, &s, &type),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, r, s, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, tn, r, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    dnrequest(fx, tn, r, notify);
    check_kr(mk_mach_port_rename(fx->th, tn, r, 0x4000), KERN_SUCCESS);   /* rule A4 */
    check_no_name(t, r);                                                  /* rule A4 */
    check_name(t, 0x4000, MACH_PORT_TYPE_SEND_RECEIVE, 3);                /* rule A4 */
    assert_int_equal(port_of(t, 0x4000), p);                              /* rule A4 */
    assert_true(type_of(fx, tn, 0x4000) & MACH_PORT_TYPE_DNREQUEST);      /* rule A4 */
    assert_int_equal(port_info(fx->w, p).srights, 2);
    /* the old name was freed: it is the next kernel choice */
    assert_int_equal(alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME), r);     /* rule A4 */
    /* the receive right answers under its new name */
    send_empty(fx, s, MACH_MSG_TYPE_COPY_SEND);
    notif_t m;
    check_kr(recv_now(tth, 0x4000, &m, sizeof m), MACH_MSG_SUCCESS);
    assert_int_equal(m.head.msgh_local_port, 0x4000);                     /* rule A4 */
    /* the request now names the new name */
    check_kr(mk_mach_port_mod_refs(fx->th, tn, 0x4000, MACH_PORT_RIGHT_SEND, -3), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, tn, 0x4000), KERN_SUCCESS);
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_PORT_DELETED);
    assert_int_equal(value, 0x4000);                                      /* rule A4 */

    /* a port set and a dead name move too */
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);
    check_kr(mk_mach_port_rename(fx->th, tn, set, 0x5000), KERN_SUCCESS);
    check_name(t, 0x5000, MACH_PORT_TYPE_PORT_SET, 0);                    /* rule A4 */
    mach_port_name_t r2 = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    check_kr(mk_mach_port_move_member(fx->th, tn, r2, 0x5000), KERN_SUCCESS); /* rule A4 */
    mach_port_name_t d = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_mod_refs(fx->th, tn, d, MACH_PORT_RIGHT_DEAD_NAME, 4), KERN_SUCCESS);
    check_kr(mk_mach_port_rename(fx->th, tn, d, 0x6000), KERN_SUCCESS);
    check_name(t, 0x6000, MACH_PORT_TYPE_DEAD_NAME, 5);                   /* rule A4 */
}

/* A request on a port that died: the entry converts first (+1) and a dead name moves. */
static void test_A4_rename_converts_dead_first(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, s, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, tn, 10, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
    dnrequest(fx, tn, 10, notify);
    check_kr(mk_mach_port_mod_refs(fx->th, un, rn, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    uint32_t value = 0;
    assert_int_equal(take_msg(fx, notify, &value), MACH_NOTIFY_DEAD_NAME);
    assert_int_equal(value, 10);
    check_name(t, 10, MACH_PORT_TYPE_SEND, 2); /* not converted yet */
    check_kr(mk_mach_port_rename(fx->th, tn, 10, 20), KERN_SUCCESS);
    check_no_name(t, 10);                                            /* rule A4 */
    check_name(t, 20, MACH_PORT_TYPE_DEAD_NAME, 3);                  /* rule A4 */
    assert_int_equal(type_of(fx, tn, 20), MACH_PORT_TYPE_DEAD_NAME); /* rule A4 */
    assert_int_equal(take_msg(fx, notify, NULL), 0);
}

/* ========================================================================================== */
/* L1-L4: mach_port_names                                                                     */
/* ========================================================================================== */

static void test_L1_lists_every_kind(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn;
    empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t *names = (mach_port_name_t *)1;
    mach_port_type_t *types = (mach_port_type_t *)1;
    mach_msg_type_number_t count = 99;
    check_kr(mk_mach_port_names(fx->th, tn, &names, &types, &count), KERN_SUCCESS);
    assert_int_equal(count, 0);     /* rule L1 */
    assert_null(names);             /* rule L1 */
    assert_null(types);             /* rule L1 */

    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 900, s, MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 800, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 700, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 700, r, MACH_MSG_TYPE_MOVE_RECEIVE),
             KERN_SUCCESS);
    mach_port_name_t rcv = alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);     /* 1 */
    mach_port_name_t set = alloc_in(fx, tn, MACH_PORT_RIGHT_PORT_SET);    /* 2 */
    mach_port_name_t dead = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);  /* 3 */
    mach_port_name_t gone = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);  /* 4, freed */
    check_kr(mk_mach_port_deallocate(fx->th, tn, gone), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, 0xFFFFFFFE),
             KERN_SUCCESS);
    dnrequest(fx, tn, 900, notify);

    check_kr(mk_mach_port_names(fx->th, tn, &names, &types, &count), KERN_SUCCESS);
    const mach_port_name_t want_names[] = {rcv, set, dead, 700, 800, 900, 0xFFFFFFFE};
    const mach_port_type_t want_types[] = {
        MACH_PORT_TYPE_RECEIVE,  MACH_PORT_TYPE_PORT_SET,  MACH_PORT_TYPE_DEAD_NAME,
        MACH_PORT_TYPE_SEND_RECEIVE, MACH_PORT_TYPE_SEND_ONCE,
        MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST, MACH_PORT_TYPE_DEAD_NAME,
    };
    assert_int_equal(count, 7); /* rule L1 */
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(names[i], want_names[i]); /* rules L1 L2 */
        assert_int_equal(types[i], want_types[i]); /* rules L1 L3 */
    }
    free(names);
    free(types);
}

static void test_L1_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    mach_port_name_t *names = NULL;
    mach_port_type_t *types = NULL;
    mach_msg_type_number_t count = 0;
    kern_return_t kr = mk_mach_port_names(fx->th, thread, &names, &types, &count);
    check_kr(kr, KERN_INVALID_TASK); /* rule L1 */
    alloc_in(fx, tn, MACH_PORT_RIGHT_RECEIVE);
    world_kill_space(t);
    kr = mk_mach_port_names(fx->th, tn, &names, &types, &count);
    check_kr(kr, KERN_INVALID_TASK); /* rule L1 */
    assert_null(names);
    check_kr(mk_mach_port_names(fx->th, 4000, &names, &types, &count), MACH_SEND_INVALID_DEST);
}

/* Ascending order whatever the order of creation. */
static void test_L2_ascending(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    empty_task(fx, &tn);
    const mach_port_name_t chosen[] = {0x80000000, 5, 0x7FFFFFFF, 300, 6, 0xFFFFFFFE, 2};
    for (size_t i = 0; i < sizeof chosen / sizeof chosen[0]; i++)
        check_kr(mk_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, chosen[i]),
                 KERN_SUCCESS);
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, tn, &names, &types, &count), KERN_SUCCESS);
    const mach_port_name_t want[] = {2, 5, 6, 300, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE};
    assert_int_equal(count, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(names[i], want[i]); /* rule L2 */
    free(names);
    free(types);
}

/* A send or send-once right to a port that died is reported DEAD_NAME without flags, and the
 * entry is not converted. */
static void test_L3_dead_reported_unconverted(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 10, r, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 11, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, tn, 12, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    dnrequest(fx, tn, 10, notify);
    dnrequest(fx, tn, 12, notify);
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, tn, &names, &types, &count), KERN_SUCCESS);
    assert_int_equal(count, 3);
    assert_int_equal(types[0], MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);      /* rule L3 */
    assert_int_equal(types[1], MACH_PORT_TYPE_SEND_ONCE);                            /* rule L3 */
    assert_int_equal(types[2], MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DNREQUEST); /* rule L3 */
    free(names);
    free(types);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(t, &before);
    check_kr(mk_mach_port_names(fx->th, tn, &names, &types, &count), KERN_SUCCESS);
    assert_int_equal(count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(names[i], 10 + i);
        assert_int_equal(types[i], MACH_PORT_TYPE_DEAD_NAME); /* rule L3 */
    }
    free(names);
    free(types);
    check_snapshot_same(t, &before);             /* rule L3 */
    check_name(t, 10, MACH_PORT_TYPE_SEND, 1);   /* rule L3 */
    assert_true(peek_dead(t, 10));               /* rule L3 */
    check_name(t, 11, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule L3 */
    /* converted on the next access, with the +1 for the request */
    assert_int_equal(type_of(fx, tn, 10), MACH_PORT_TYPE_DEAD_NAME);
    check_name(t, 10, MACH_PORT_TYPE_DEAD_NAME, 2);
}

/* The names the RPC machinery creates are listed: a reply port. */
static void test_L4_reply_port_listed(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t reply = mk_mach_reply_port(fx->th);
    assert_int_not_equal(reply, MACH_PORT_NULL);
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, fx->self, &names, &types, &count), KERN_SUCCESS);
    bool found_reply = false, found_self = false;
    for (mach_msg_type_number_t i = 0; i < count; i++) {
        if (names[i] == reply) {
            found_reply = true;
            assert_int_equal(types[i], MACH_PORT_TYPE_RECEIVE); /* rule L4 */
        }
        if (names[i] == fx->self) {
            found_self = true;
            assert_int_equal(types[i], MACH_PORT_TYPE_SEND);    /* rule L4 */
        }
    }
    assert_true(found_reply); /* rule L4 */
    assert_true(found_self);  /* rule L4 */
    assert_int_equal(count, space_count(fx->task)); /* rule L4 */
    free(names);
    free(types);
}

/* ========================================================================================== */
/* K8: the trap shortcuts                                                                     */
/* ========================================================================================== */

static void test_K8_bad_task_name_interrupted(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    empty_task(fx, &tn);
    check_kr(mk_task_terminate(fx->th, tn), KERN_SUCCESS);
    mach_port_name_t thread = mk_mach_thread_self(fx->th);
    mach_port_name_t r = alloc_rcv(fx);
    make_send(fx, r);
    mach_port_name_t d = alloc_in(fx, fx->self, MACH_PORT_RIGHT_DEAD_NAME);
    /* the terminated task's name converts on its first use (R0), whichever call uses it */
    check_kr(mk_trap_mach_port_deallocate(fx->th, tn, r), MACH_SEND_INTERRUPTED); /* rule K8 */
    check_name(fx->task, tn, MACH_PORT_TYPE_DEAD_NAME, 1);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    uint32_t p = port_of(fx->task, r);
    const mach_port_name_t bad[] = {MACH_PORT_NULL, 4000, d, thread, tn, r, MACH_PORT_DEAD};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mach_port_name_t n = 77;
        check_kr(mk_trap_mach_port_allocate(fx->th, bad[i], MACH_PORT_RIGHT_RECEIVE, &n),
                 MACH_SEND_INTERRUPTED); /* rule K8 */
        assert_int_equal(n, 77);
        check_kr(mk_trap_mach_port_deallocate(fx->th, bad[i], r),
                 MACH_SEND_INTERRUPTED); /* rule K8 */
        check_kr(mk_trap_mach_port_allocate_name(fx->th, bad[i], MACH_PORT_RIGHT_RECEIVE, 50),
                 MACH_SEND_INTERRUPTED); /* rule K8 */
        check_kr(mk_trap_mach_port_insert_right(fx->th, bad[i], 50, r, MACH_MSG_TYPE_MOVE_SEND),
                 MACH_SEND_INTERRUPTED); /* rule K8 */
        check_kr(mk_trap_mach_port_insert_right(fx->th, bad[i], 50, r, 99),
                 MACH_SEND_INTERRUPTED); /* rule K8 */
    }
    check_snapshot_same(fx->task, &before);           /* rule K8 */
    assert_int_equal(port_info(fx->w, p).mscount, 1); /* rule K8 */
}

static void test_K8_insert_trap_codes(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn, un, rn;
    ktask_t *t = empty_task(fx, &tn);
    empty_task(fx, &un);
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    mach_port_name_t s = foreign_right(fx, un, &rn, MACH_MSG_TYPE_MAKE_SEND);
    mach_port_name_t used = alloc_in(fx, tn, MACH_PORT_RIGHT_DEAD_NAME);
    snapshot_t before, tbefore;
    snapshot_take(fx->task, &before);
    snapshot_take(t, &tbefore);
    /* a bad disposition, before the copy-in */
    const mach_msg_type_name_t bad[] = {0, MACH_MSG_TYPE_INTEGER_32, MACH_MSG_TYPE_PORT_NAME, 22,
                                        99};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, r, bad[i]),
                 KERN_INVALID_VALUE); /* rule K8 */
        check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, 4000, bad[i]),
                 KERN_INVALID_VALUE); /* rule K8 */
    }
    /* copy-in failures give their own code */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, 4000, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_NAME);  /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 0, 4000, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_NAME);  /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, s, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_RIGHT); /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_RIGHT); /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_MOVE_SEND_ONCE),
             KERN_INVALID_RIGHT); /* rule K8 */
    check_snapshot_same(fx->task, &before); /* rule K8 */
    check_snapshot_same(t, &tbefore);       /* rule K8 */
    assert_int_equal(port_info(fx->w, p).mscount, 0);
    /* the routine's codes, with the right destroyed on failure (I4) */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
             KERN_INVALID_CAPABILITY); /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND),
             KERN_INVALID_CAPABILITY); /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, used, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_NAME_EXISTS);                       /* rule K8 */
    assert_int_equal(port_info(fx->w, p).mscount, 1); /* rule K8 */
    assert_int_equal(port_info(fx->w, p).srights, 0); /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 0, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_INVALID_VALUE);                                        /* rule K8 */
    assert_int_equal(take_msg(fx, r, NULL), MACH_NOTIFY_SEND_ONCE);      /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, used, s, MACH_MSG_TYPE_MOVE_SEND),
             KERN_NAME_EXISTS);                                          /* rule K8 */
    check_no_name(fx->task, s);                                          /* rule K8 */
    check_snapshot_same(t, &tbefore);
    /* success, the same routine */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 9, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);                           /* rule K8 */
    check_name(t, 9, MACH_PORT_TYPE_SEND, 1);         /* rule K8 */
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 20, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS);                      /* rule K8 */
    /* a dead name copied in by the trap: MACH_PORT_DEAD, the uref taken by MOVE */
    mach_port_name_t d = alloc_in(fx, fx->self, MACH_PORT_RIGHT_DEAD_NAME);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, d, MACH_PORT_RIGHT_DEAD_NAME, 1),
             KERN_SUCCESS);
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 30, d, MACH_MSG_TYPE_MOVE_SEND),
             KERN_INVALID_CAPABILITY);                       /* rule K8 */
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1);    /* rule K8 */
}

static void test_K8_allocate_deallocate_traps(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t tn;
    ktask_t *t = empty_task(fx, &tn);
    mach_port_name_t n = 0;
    check_kr(mk_trap_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, &n),
             KERN_SUCCESS);                      /* rule K8 */
    assert_int_equal(n, 1);                      /* rule K8 */
    check_name(t, 1, MACH_PORT_TYPE_RECEIVE, 0); /* rule K8 */
    check_kr(mk_trap_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_SEND, &n),
             KERN_INVALID_VALUE);                /* rule K8 */
    check_kr(mk_trap_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_DEAD_NAME, &n),
             KERN_SUCCESS);
    check_kr(mk_trap_mach_port_deallocate(fx->th, tn, n), KERN_SUCCESS); /* rule K8 */
    check_no_name(t, n);                                                  /* rule K8 */
    check_kr(mk_trap_mach_port_deallocate(fx->th, tn, n), KERN_INVALID_NAME); /* rule K8 */
    check_kr(mk_trap_mach_port_deallocate(fx->th, tn, 1), KERN_INVALID_RIGHT); /* rule K8 */
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_trap_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, &n),
             KERN_RESOURCE_SHORTAGE); /* rule K8 */
    world_fail_allocations(fx->w, -1, 0);
    /* a dead space resolves (it is a space): the routine's own code, not INTERRUPTED */
    world_kill_space(t);
    check_kr(mk_trap_mach_port_allocate(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, &n),
             KERN_INVALID_TASK); /* rule K8 */
    check_kr(mk_trap_mach_port_deallocate(fx->th, tn, 1), KERN_INVALID_TASK); /* rule K8 */
    check_kr(mk_trap_mach_port_allocate_name(fx->th, tn, MACH_PORT_RIGHT_RECEIVE, 5),
             KERN_INVALID_TASK); /* rule K8 */
    mach_port_name_t r = alloc_rcv(fx);
    uint32_t p = port_of(fx->task, r);
    check_kr(mk_trap_mach_port_insert_right(fx->th, tn, 5, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_TASK);                      /* rule K8 */
    assert_int_equal(port_info(fx->w, p).srights, 0); /* rule K8 */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_I1_make_send),
        FX_TEST(test_I1_make_send_once),
        FX_TEST(test_I1_copy_send),
        FX_TEST(test_I1_move_send_keeps_name_above_one_uref),
        FX_TEST(test_I1_move_send_last_uref_leaves_receive),
        FX_TEST(test_I1_move_send_last_uref_frees_name),
        FX_TEST(test_I1_move_send_once),
        FX_TEST(test_I1_move_receive_from_send_receive),
        FX_TEST(test_I1_move_receive_only_frees_name),
        FX_TEST(test_I1_dead_rights_travel_as_dead),
        FX_TEST(test_I1_wrong_kind_invalid_right),
        FX_TEST(test_I1_bad_task_name_invalid_dest),
        FX_TEST(test_I2_step1_null_space),
        FX_TEST(test_I2_step2_invalid_value),
        FX_TEST(test_I2_step3_invalid_capability),
        FX_TEST(test_I2_step4_dead_space),
        FX_TEST(test_I2_step4_resource_shortage),
        FX_TEST(test_I2_step5_right_exists),
        FX_TEST(test_I2_step6_name_exists),
        FX_TEST(test_I2_step7_port_died_since_copyin),
        FX_TEST(test_I2_step8_fresh_entry),
        FX_TEST(test_I3_make_send_idiom),
        FX_TEST(test_I3_merge_kinds),
        FX_TEST(test_I3_merge_overflow),
        FX_TEST(test_I4_send_released_no_senders_fires),
        FX_TEST(test_I4_send_once_notifies),
        FX_TEST(test_I4_receive_destroyed),
        FX_TEST(test_I4_receive_to_port_destroyed_request),
        FX_TEST(test_X1_checks),
        FX_TEST(test_X1_wrong_kind_invalid_right),
        FX_TEST(test_X1_send_dispositions),
        FX_TEST(test_X1_dead_sources),
        FX_TEST(test_X1_move_receive),
        FX_TEST(test_X2_acquired_types),
        FX_TEST(test_X2_copyout_merge_and_peg),
        FX_TEST(test_X2_move_send_own_last_uref_same_name),
        FX_TEST(test_A1_allocate),
        FX_TEST(test_A1_errors),
        FX_TEST(test_A2_check_order),
        FX_TEST(test_A2_allocate_name_success),
        FX_TEST(test_A3_reply_port),
        FX_TEST(test_A3_reply_port_dead_space),
        FX_TEST(test_A4_rename_checks),
        FX_TEST(test_A4_rename_moves_everything),
        FX_TEST(test_A4_rename_converts_dead_first),
        FX_TEST(test_L1_lists_every_kind),
        FX_TEST(test_L1_errors),
        FX_TEST(test_L2_ascending),
        FX_TEST(test_L3_dead_reported_unconverted),
        FX_TEST(test_L4_reply_port_listed),
        FX_TEST(test_K8_bad_task_name_interrupted),
        FX_TEST(test_K8_insert_trap_codes),
        FX_TEST(test_K8_allocate_deallocate_traps),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
