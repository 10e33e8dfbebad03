/*
 * test_host.c: the host_priv port, register_new_task_notification and the message task_create
 * sends to the port registered there (model/host.c; rule K1 of docs/spec-rules.md, rules NT1
 * and NT2 of docs/mach-rules.md).
 *
 * The oracle is GNU Mach's text: kern/task.c (register_new_task_notification: KERN_INVALID_HOST
 * for a null host, KERN_NO_ACCESS when a port is registered already; task_create_kernel:
 * convert_task_to_port of the child and of the parent, a make-send each, into
 * mach_notify_new_task), include/mach/task_notify.defs (subsystem 4400, a simpleroutine: no
 * reply port; task and parent as MOVE_SEND) and ipc/ipc_mqueue.c (a dead destination destroys
 * the message). The fixture's teardown checks the invariants and audits leaks.
 */
#include "testmsg.h"

#include <string.h>

/* The fixture task's name for the host_priv port (a send right, as startup gives proc). */
static mach_port_name_t host_priv(fx_t *fx)
{
    mach_port_name_t h = world_give_host_priv(fx->task);
    assert_true(MACH_PORT_VALID(h));
    return h;
}

/* The two port items of a 4400 message: their type names and the names they carry. */
static void new_task_items(fx_t *fx, const msgbuf_t *m, unsigned types[2], mach_port_name_t names[2])
{
    mk_msg_layout_t layout = world_msg_layout(fx->w);
    size_t off = 0;
    for (int i = 0; i < 2; i++) {
        mk_msg_type_t t;
        assert_true(mk_msg_type_read(layout, m->body + off, sizeof m->body - off, &t));
        assert_int_equal(t.number, 1);
        assert_true(t.is_inline);
        types[i] = t.name;
        names[i] = word_at(m, off + t.hdr);
        off = mk_msg_align(layout, off + t.hdr + (t.size / 8) * t.number);
    }
}

static void test_NT1_register_checks(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t h = host_priv(fx);
    mach_port_name_t r = alloc_rcv(fx), other = alloc_rcv_send(fx);
    uint32_t pr = port_of(fx->task, r);
    /* a request to no send right: the send fails, nothing is copied in */
    check_kr(mk_register_new_task_notification(fx->th, 0x4242, r, MACH_MSG_TYPE_MAKE_SEND),
             MACH_SEND_INVALID_DEST); /* rule NT1 */
    assert_int_equal(port_info(fx->w, pr).mscount, 0);
    /* a send right to a port that is not the host's: KERN_INVALID_HOST, the right released */
    check_kr(mk_register_new_task_notification(fx->th, other, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_HOST); /* rule NT1 */
    assert_int_equal(port_info(fx->w, pr).srights, 0); /* rule NT1 */
    /* a right that cannot be copied in */
    check_kr(mk_register_new_task_notification(fx->th, h, 0x4343, MACH_MSG_TYPE_COPY_SEND),
             MACH_SEND_INVALID_RIGHT); /* rule NT1 */
    /* a send-once right: refused (Added rule), released */
    check_kr(mk_register_new_task_notification(fx->th, h, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_INVALID_VALUE); /* rule NT1 */
    msgbuf_t m; /* the unused send-once right destroyed with the request (D8) */
    check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE); /* rule NT1 */
    assert_int_equal(port_info(fx->w, pr).sorights, 0); /* rule NT1 */
    /* the first registration: the kernel keeps a send right */
    unsigned ms = port_info(fx->w, pr).mscount;
    check_kr(mk_register_new_task_notification(fx->th, h, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS); /* rule NT1 */
    assert_int_equal(port_info(fx->w, pr).srights, 1); /* rule NT1 */
    assert_int_equal(port_info(fx->w, pr).mscount, ms + 1); /* rule NT1 */
    /* a second one: KERN_NO_ACCESS, its right released, the first stays */
    mach_port_name_t r2 = alloc_rcv(fx);
    uint32_t pr2 = port_of(fx->task, r2);
    check_kr(mk_register_new_task_notification(fx->th, h, r2, MACH_MSG_TYPE_MAKE_SEND),
             KERN_NO_ACCESS); /* rule NT1 */
    assert_int_equal(port_info(fx->w, pr2).srights, 0); /* rule NT1 */
    mach_port_name_t c;
    check_kr(mk_task_create(fx->th, fx->self, FALSE, &c), KERN_SUCCESS);
    mach_msg_id_t ids[4];
    assert_int_equal(queued(fx->task, r, ids, 4), 1); /* rule NT1 */
    assert_int_equal(ids[0], 4400);
    assert_int_equal(queued(fx->task, r2, ids, 4), 0); /* rule NT1 */
    check_model_clean(fx->w);
}

/* Nothing registered: task_create sends nothing and makes no extra right (K1's mscounts). */
static void test_NT2_nothing_registered(void **state)
{
    fx_t *fx = *state;
    uint32_t pself = port_of(fx->task, fx->self);
    port_info_t before = port_info(fx->w, pself);
    mach_port_name_t c;
    check_kr(mk_task_create(fx->th, fx->self, FALSE, &c), KERN_SUCCESS);
    port_info_t pc = port_info(fx->w, port_of(fx->task, c));
    assert_int_equal(pc.mscount, 2); /* rule NT2: the kernel's and the caller's */
    assert_int_equal(port_info(fx->w, pself).mscount, before.mscount); /* rule NT2 */
    assert_int_equal(port_info(fx->w, pself).srights, before.srights); /* rule NT2 */
}

/* A port registered: one message, id 4400, no reply port, the child's then the parent's task
 * port as send rights; mscount +1 on each task port (K1). */
static void test_NT2_message(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t h = host_priv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_register_new_task_notification(fx->th, h, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    uint32_t pself = port_of(fx->task, fx->self);
    port_info_t before = port_info(fx->w, pself);
    mach_port_name_t c;
    check_kr(mk_task_create(fx->th, fx->self, FALSE, &c), KERN_SUCCESS);
    uint32_t pc = port_of(fx->task, c);
    /* child: the kernel's self right, the message's, the caller's */
    assert_int_equal(port_info(fx->w, pc).mscount, 3);                      /* rule K1 */
    assert_int_equal(port_info(fx->w, pself).mscount, before.mscount + 1); /* rule K1 */
    assert_int_equal(port_info(fx->w, pself).srights, before.srights + 1); /* rule NT2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 2);   /* rule NT2 */

    msgbuf_t m;
    check_kr(recv_msg(fx->th, r, &m), MACH_MSG_SUCCESS);
    assert_int_equal(m.h.msgh_id, 4400);                                    /* rule NT2 */
    assert_int_equal(m.h.msgh_remote_port, MACH_PORT_NULL);                 /* rule NT2 */
    assert_int_equal(m.h.msgh_local_port, r);                               /* rule NT2 */
    assert_true(m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);                    /* rule NT2 */
    assert_int_equal(MACH_MSGH_BITS_REMOTE(m.h.msgh_bits), 0);              /* rule NT2 */
    unsigned types[2];
    mach_port_name_t names[2];
    new_task_items(fx, &m, types, names);
    assert_int_equal(types[0], MACH_MSG_TYPE_PORT_SEND);                    /* rule NT2 */
    assert_int_equal(types[1], MACH_MSG_TYPE_PORT_SEND);                    /* rule NT2 */
    assert_int_equal(names[0], c);       /* rule NT2: the child first, merged with ours */
    assert_int_equal(names[1], fx->self); /* rule NT2: then the parent */
    check_name(fx->task, c, MACH_PORT_TYPE_SEND, 2);                        /* rule NT2 */
    /* the destination's copy went with the receive: the kernel's registration is left */
    assert_int_equal(port_info(fx->w, port_of(fx->task, r)).srights, 1);   /* rule NT2 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, c), KERN_SUCCESS);
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, fx->self), KERN_SUCCESS);
    check_model_clean(fx->w);
}

/* The registered port dies: task_create still succeeds; the message is destroyed, its two send
 * rights released, the mscounts left one higher (ipc_mqueue_send on a dead port). */
static void test_NT2_dead_destination(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t h = host_priv(fx);
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_register_new_task_notification(fx->th, h, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, r, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
    uint32_t pself = port_of(fx->task, fx->self);
    port_info_t before = port_info(fx->w, pself);
    mach_port_name_t c;
    check_kr(mk_task_create(fx->th, fx->self, FALSE, &c), KERN_SUCCESS); /* rule NT2 */
    port_info_t pc = port_info(fx->w, port_of(fx->task, c));
    assert_int_equal(pc.mscount, 3);                                        /* rule NT2 */
    assert_int_equal(pc.srights, 2);                                        /* rule NT2 */
    assert_int_equal(port_info(fx->w, pself).mscount, before.mscount + 1); /* rule NT2 */
    assert_int_equal(port_info(fx->w, pself).srights, before.srights);     /* rule NT2 */
    check_model_clean(fx->w);
}

/* A registered dead name: nothing is sent and no right is made (Added rule of model/host.c). */
static void test_NT2_dead_name_registered(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t h = host_priv(fx);
    check_kr(mk_register_new_task_notification(fx->th, h, MACH_PORT_DEAD,
                                                MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    mach_port_name_t c;
    check_kr(mk_task_create(fx->th, fx->self, FALSE, &c), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, port_of(fx->task, c)).mscount, 2); /* rule NT2 */
    /* the dead name counts as registered: a second registration is refused */
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_register_new_task_notification(fx->th, h, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_NO_ACCESS); /* rule NT1 */
    check_model_clean(fx->w);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_NT1_register_checks),
        FX_TEST(test_NT2_nothing_registered),
        FX_TEST(test_NT2_message),
        FX_TEST(test_NT2_dead_destination),
        FX_TEST(test_NT2_dead_name_registered),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
