/*
 * test_task.c: tasks, their ports and special ports (rules K1, K2, K4-K7, C2, and PR1-PR7 of
 * docs/ports-register.md: the registered ports), model/task.c and
 * the self-port traps of model/thread.c.
 *
 * Each test builds the situation a rule describes through the mk_* calls, as a program would,
 * and reads the result back through the space (check_name, space_peek) and the port counters
 * (port_info). The fixture's teardown checks the invariants and audits leaks.
 */
#include "testlib.h"

#include <string.h>

/* --- helpers ----------------------------------------------------------------------------------- */

static mach_port_urefs_t send_refs(fx_t *fx, mach_port_name_t name)
{
    mach_port_urefs_t r = 0;
    check_kr(mk_mach_port_get_refs(fx->th, fx->self, name, MACH_PORT_RIGHT_SEND, &r),
             KERN_SUCCESS);
    return r;
}

static mach_port_type_t type_of(fx_t *fx, mach_port_name_t name)
{
    mach_port_type_t t = 0;
    check_kr(mk_mach_port_type(fx->th, fx->self, name, &t), KERN_SUCCESS);
    return t & ~(MACH_PORT_TYPE_DNREQUEST | MACH_PORT_TYPE_MAREQUEST | MACH_PORT_TYPE_COMPAT);
}

static mach_msg_type_number_t names_count(fx_t *fx, mach_port_name_t task)
{
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count = 0;
    check_kr(mk_mach_port_names(fx->th, task, &names, &types, &count), KERN_SUCCESS);
    free(names);
    free(types);
    return count;
}

/* task_create(self) from the fixture: the child task and the fixture's name for it. */
static ktask_t *create_child(fx_t *fx, mach_port_name_t *child)
{
    check_kr(mk_task_create(fx->th, fx->self, FALSE, child), KERN_SUCCESS);
    ktask_t *t = ktask_by_name(fx->task, *child);
    assert_non_null(t);
    return t;
}

/* mach_ports_lookup into the fixture; copies the 4 names to out. */
static void lookup4(fx_t *fx, mach_port_name_t task, mach_port_name_t out[4])
{
    mach_port_name_t *ports = NULL;
    mach_msg_type_number_t count = 0;
    check_kr(mk_mach_ports_lookup(fx->th, task, &ports, &count), KERN_SUCCESS);
    assert_int_equal(count, 4);
    memcpy(out, ports, 4 * sizeof *out);
    free(ports);
}

/* --- K1 task_create ------------------------------------------------------------------------------ */

static void test_K1_null_parent(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t child = 0x1234;
    mach_port_name_t r = alloc_rcv_send(fx); /* a live send right, but not to a task */
    check_kr(mk_task_create(fx->th, r, FALSE, &child), KERN_INVALID_TASK); /* rule K1 */
    mach_port_name_t th = mk_mach_thread_self(fx->th); /* a thread port is not a task either */
    check_kr(mk_task_create(fx->th, th, FALSE, &child), KERN_INVALID_TASK); /* rule K1 */
    assert_int_equal(child, 0x1234);
}

static void test_K1_child_space_empty(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    assert_int_equal(space_count(child), 0);  /* rule K1 */
    assert_int_equal(names_count(fx, c), 0); /* rule K1 */
    mach_port_name_t n;
    check_kr(mk_mach_port_allocate(fx->th, c, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
    assert_int_equal(n, 1); /* rule K1 */
    /* inherit_memory changes nothing on the IPC side */
    mach_port_name_t c2;
    check_kr(mk_task_create(fx->th, fx->self, TRUE, &c2), KERN_SUCCESS);
    assert_int_equal(names_count(fx, c2), 0); /* rule K1 */
}

/* The kernel keeps itk_self with itk_sself (mscount 1); the caller gets a make-send: mscount 2. */
static void test_K1_caller_gets_send_right(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    check_name(fx->task, c, MACH_PORT_TYPE_SEND, 1); /* rule K1 */
    port_info_t pi = port_info(fx->w, port_of(fx->task, c));
    assert_true(pi.active);
    assert_int_equal(pi.mscount, 2); /* rule K1 */
    assert_int_equal(pi.srights, 2); /* rule K1 */
    /* the child's own space gains no name for it until it asks (K2) */
    assert_int_equal(space_count(child), 0); /* rule K1 */
    kthread_t *cth = world_boot_thread(child);
    mach_port_name_t cself = mk_mach_task_self(cth);
    assert_int_equal(cself, 1);
    assert_int_equal(port_of(child, cself), pi.id); /* rule K1 */
}

/* Bootstrap, exception and the 4 registered ports are copied; null stays null, dead is dead;
 * later changes in the parent do not reach the child. */
static void test_K1_inherits_copies(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx), d = alloc_rcv_send(fx);
    mach_port_name_t boot = alloc_rcv_send(fx), exc = alloc_rcv_send(fx);
    mach_port_name_t reg[4] = {a, MACH_PORT_NULL, d, b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 4), KERN_SUCCESS);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, boot,
                                      MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_EXCEPTION_PORT, exc,
                                      MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    /* d dies before the child is created: the parent's slot holds a right to a dead port */
    uint32_t pd = port_of(fx->task, d);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, d, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
    uint32_t pa = port_of(fx->task, a), pb = port_of(fx->task, b);
    unsigned sa = port_info(fx->w, pa).srights, sboot = port_info(fx->w, port_of(fx->task, boot)).srights;

    mach_port_name_t c;
    create_child(fx, &c);
    /* the child holds its own kernel copies: one more holder each */
    assert_int_equal(port_info(fx->w, pa).srights, sa + 1); /* rule K1 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, boot)).srights, sboot + 1); /* rule K1 */

    mach_port_name_t got[4];
    lookup4(fx, c, got);
    assert_int_equal(got[0], a);              /* rule K1 */
    assert_int_equal(got[1], MACH_PORT_NULL); /* rule K1 */
    assert_int_equal(got[2], MACH_PORT_DEAD); /* rule K1 */
    assert_int_equal(got[3], b);              /* rule K1 */
    mach_port_name_t p;
    check_kr(mk_task_get_special_port(fx->th, c, TASK_BOOTSTRAP_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, boot); /* rule K1 */
    check_kr(mk_task_get_special_port(fx->th, c, TASK_EXCEPTION_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, exc); /* rule K1 */

    /* later changes in the parent are not propagated */
    mach_port_name_t reg2[1] = {b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg2, 1), KERN_SUCCESS);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, MACH_PORT_NULL,
                                      MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    lookup4(fx, c, got);
    assert_int_equal(got[0], a); /* rule K1 */
    assert_int_equal(got[3], b); /* rule K1 */
    check_kr(mk_task_get_special_port(fx->th, c, TASK_BOOTSTRAP_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, boot); /* rule K1 */
    (void)pb;
    (void)pd;
}

/* A child of a parent whose slots are all null has null slots. */
static void test_K1_null_copies(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    create_child(fx, &c);
    mach_port_name_t got[4];
    lookup4(fx, c, got);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], MACH_PORT_NULL); /* rule K1 */
    mach_port_name_t p = 0x77;
    check_kr(mk_task_get_special_port(fx->th, c, TASK_BOOTSTRAP_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, MACH_PORT_NULL); /* rule K1 */
}

/* --- C2 MACH_IPC_COMPAT ------------------------------------------------------------------------------- */

static void test_C2_compat_notify_port(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, c, &names, &types, &count), KERN_SUCCESS);
    assert_int_equal(count, 1);                                               /* rule C2 */
    assert_int_equal(types[0] & ~0xE0000000u, MACH_PORT_TYPE_RECEIVE);        /* rule C2 */
    assert_int_equal(names[0], 1);                                            /* rule C2 */
    check_name(child, names[0], MACH_PORT_TYPE_RECEIVE, 0);                   /* rule C2 */
    /* the kernel keeps a send right to it (is_notify) */
    port_info_t pi = port_info(fx->w, port_of(child, names[0]));
    assert_int_equal(pi.srights, 1); /* rule C2 */
    free(names);
    free(types);
    /* the next kernel-chosen name in the child is 2 */
    mach_port_name_t n;
    check_kr(mk_mach_port_allocate(fx->th, c, MACH_PORT_RIGHT_DEAD_NAME, &n), KERN_SUCCESS);
    assert_int_equal(n, 2); /* rule C2 */
}

static void test_C2_no_compat_empty(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    create_child(fx, &c);
    assert_int_equal(names_count(fx, c), 0); /* rules C2 K1 */
}

/* --- K2 mach_task_self, mach_thread_self ------------------------------------------------------------ */

static void test_K2_uref_per_call(void **state)
{
    fx_t *fx = *state;
    mach_port_urefs_t before = send_refs(fx, fx->self);
    uint32_t pid = port_of(fx->task, fx->self);
    unsigned srights = port_info(fx->w, pid).srights;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(mk_mach_task_self(fx->th), fx->self);  /* rule K2 */
        assert_int_equal(send_refs(fx, fx->self), before + (mach_port_urefs_t)i); /* rule K2 */
    }
    assert_int_equal(port_info(fx->w, pid).srights, srights); /* rule K2 */

    mach_port_name_t th = mk_mach_thread_self(fx->th);
    assert_true(MACH_PORT_VALID(th));
    check_name(fx->task, th, MACH_PORT_TYPE_SEND, 1); /* rule K2 */
    assert_int_equal(mk_mach_thread_self(fx->th), th); /* rule K2 */
    check_name(fx->task, th, MACH_PORT_TYPE_SEND, 2); /* rule K2 */
}

static void test_K2_pegged(void **state)
{
    fx_t *fx = *state;
    mach_port_urefs_t r = send_refs(fx, fx->self);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, fx->self, MACH_PORT_RIGHT_SEND,
                                   (mach_port_delta_t)(65533 - r)), KERN_SUCCESS);
    uint32_t pid = port_of(fx->task, fx->self);
    unsigned srights = port_info(fx->w, pid).srights;
    assert_int_equal(mk_mach_task_self(fx->th), fx->self);
    check_name(fx->task, fx->self, MACH_PORT_TYPE_SEND, 65534); /* rule K2 */
    assert_int_equal(mk_mach_task_self(fx->th), fx->self);     /* rule K2 */
    check_name(fx->task, fx->self, MACH_PORT_TYPE_SEND, 65534); /* rule K2 */
    assert_int_equal(port_info(fx->w, pid).srights, srights);  /* rule K2 */

    mach_port_name_t th = mk_mach_thread_self(fx->th);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, th, MACH_PORT_RIGHT_SEND, 65533),
             KERN_SUCCESS);
    assert_int_equal(mk_mach_thread_self(fx->th), th);
    check_name(fx->task, th, MACH_PORT_TYPE_SEND, 65534); /* rule K2 */
}

/* The first call merges into an entry the creator inserted. */
static void test_K2_merges_existing_entry(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    check_kr(mk_mach_port_insert_right(fx->th, c, 77, c, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    kthread_t *cth = world_boot_thread(child);
    assert_int_equal(mk_mach_task_self(cth), 77);    /* rule K2 */
    check_name(child, 77, MACH_PORT_TYPE_SEND, 2);   /* rule K2 */
    assert_int_equal(space_count(child), 1);         /* rule K2 */
}

static void test_K2_null_and_dead(void **state)
{
    fx_t *fx = *state;
    /* a null KERNEL special port: MACH_PORT_NULL */
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_KERNEL_PORT, MACH_PORT_NULL,
                                      MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    assert_int_equal(mk_mach_task_self(fx->th), MACH_PORT_NULL); /* rule K2 */
    /* interposed on a port that then dies: MACH_PORT_DEAD */
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_KERNEL_PORT, r,
                                      MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    assert_int_equal(mk_mach_task_self(fx->th), r); /* rule K2 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 1);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, r), KERN_SUCCESS);
    assert_int_equal(mk_mach_task_self(fx->th), MACH_PORT_DEAD); /* rule K2 */
    /* the same for the thread's port */
    mach_port_name_t th = mk_mach_thread_self(fx->th);
    check_kr(mk_thread_set_special_port(fx->th, th, THREAD_KERNEL_PORT, MACH_PORT_NULL,
                                        MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    assert_int_equal(mk_mach_thread_self(fx->th), MACH_PORT_NULL); /* rule K2 */
}

/* A copy-out that fails (no name can be made) gives MACH_PORT_NULL and destroys the right. */
static void test_K2_copyout_failure(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    kthread_t *cth = world_boot_thread(child);
    uint32_t pid = port_of(fx->task, c);
    unsigned srights = port_info(fx->w, pid).srights;
    world_fail_allocations(fx->w, 0, 1);
    assert_int_equal(mk_mach_task_self(cth), MACH_PORT_NULL); /* rule K2 */
    world_fail_allocations(fx->w, -1, 0);
    assert_int_equal(space_count(child), 0);                   /* rule K2 */
    assert_int_equal(port_info(fx->w, pid).srights, srights); /* rule K2 */
    assert_int_equal(mk_mach_task_self(cth), 1);              /* rule K2 */
}

/* thread_create and task_threads give the same port as mach_thread_self: one name. */
static void test_K2_thread_ports_share_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    check_kr(mk_thread_create(fx->th, fx->self, &t), KERN_SUCCESS);
    check_name(fx->task, t, MACH_PORT_TYPE_SEND, 1);
    kthread_t *nth = kthread_by_name(fx->task, t);
    assert_non_null(nth);
    assert_int_equal(mk_mach_thread_self(nth), t); /* rule K2 */
    check_name(fx->task, t, MACH_PORT_TYPE_SEND, 2); /* rule K2 */
    mach_port_name_t *threads;
    mach_msg_type_number_t n;
    check_kr(mk_task_threads(fx->th, fx->self, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 2);
    assert_int_equal(threads[1], t);                  /* rule K2 */
    assert_int_equal(threads[0], mk_mach_thread_self(fx->th)); /* rule K2 */
    free(threads);
    check_name(fx->task, t, MACH_PORT_TYPE_SEND, 3); /* rule K2 */
}

/* --- K4 task_threads ------------------------------------------------------------------------------------ */

static void test_K4_new_right_per_thread(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t1 = mk_mach_thread_self(fx->th), t2, t3;
    check_kr(mk_thread_create(fx->th, fx->self, &t2), KERN_SUCCESS);
    check_kr(mk_thread_create(fx->th, fx->self, &t3), KERN_SUCCESS);
    uint32_t p2 = port_of(fx->task, t2);
    port_info_t before = port_info(fx->w, p2);
    mach_port_name_t *threads;
    mach_msg_type_number_t n;
    check_kr(mk_task_threads(fx->th, fx->self, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 3);
    assert_int_equal(threads[0], t1); /* rule K4 */
    assert_int_equal(threads[1], t2); /* rule K4 */
    assert_int_equal(threads[2], t3); /* rule K4 */
    check_name(fx->task, t1, MACH_PORT_TYPE_SEND, 2); /* rule K4 */
    check_name(fx->task, t2, MACH_PORT_TYPE_SEND, 2); /* rule K4 */
    check_name(fx->task, t3, MACH_PORT_TYPE_SEND, 2); /* rule K4 */
    port_info_t after = port_info(fx->w, p2);
    assert_int_equal(after.mscount, before.mscount + 1); /* rule K4 */
    assert_int_equal(after.srights, before.srights);     /* rule K4 (merged: one holder) */
    /* the caller deallocates each name once: back to where it was */
    for (mach_msg_type_number_t i = 0; i < n; i++)
        check_kr(mk_mach_port_deallocate(fx->th, fx->self, threads[i]), KERN_SUCCESS);
    free(threads);
    check_name(fx->task, t1, MACH_PORT_TYPE_SEND, 1); /* rule K4 */
    check_name(fx->task, t2, MACH_PORT_TYPE_SEND, 1); /* rule K4 */
    check_name(fx->task, t3, MACH_PORT_TYPE_SEND, 1); /* rule K4 */
}

/* Names the caller did not have are new names; the listing is of another task. */
static void test_K4_other_task_new_names(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    mach_port_name_t *threads;
    mach_msg_type_number_t n = 99;
    check_kr(mk_task_threads(fx->th, c, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 0); /* rule K4 */
    free(threads);
    kthread_t *a = world_boot_thread(child);
    mach_port_name_t tb;
    check_kr(mk_thread_create(fx->th, c, &tb), KERN_SUCCESS);
    check_kr(mk_task_threads(fx->th, c, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 2);
    assert_true(MACH_PORT_VALID(threads[0]));
    assert_int_equal(kthread_by_name(fx->task, threads[0]), a); /* rule K4 */
    check_name(fx->task, threads[0], MACH_PORT_TYPE_SEND, 1);    /* rule K4 */
    assert_int_equal(threads[1], tb);                            /* rule K4 */
    check_name(fx->task, tb, MACH_PORT_TYPE_SEND, 2);            /* rule K4 */
    free(threads);
}

static void test_K4_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t *threads = NULL;
    mach_msg_type_number_t n;
    mach_port_name_t r = alloc_rcv_send(fx);
    check_kr(mk_task_threads(fx->th, r, &threads, &n), KERN_INVALID_ARGUMENT); /* rule K4 */
    mach_port_name_t th = mk_mach_thread_self(fx->th);
    check_kr(mk_task_threads(fx->th, th, &threads, &n), KERN_INVALID_ARGUMENT); /* rule K4 */
    assert_null(threads);
}

/* --- K5 task_terminate ---------------------------------------------------------------------------------- */

/*
 * B holds: the receive right of R (the fixture has a send right to R with a dead-name request),
 * the only send right to the fixture's P2 (with a no-senders request), a send-once right to P3,
 * a send right to P4 carrying a dead-name request of B's, a port set, and B's kernel slots hold
 * the fixture's P5 (registered). All notifications go to the fixture's N.
 */
static void test_K5_terminate_effects(void **state)
{
    fx_t *fx = *state;
    kthread_t *bth;
    mach_port_name_t bself, b;
    bth = fx_new_task(fx, &bself, &b);
    ktask_t *bt = kthread_task(bth);
    mach_port_name_t N = alloc_rcv(fx), prev;

    /* R: receive in B, send in the fixture with a dead-name request */
    mach_port_name_t rb;
    check_kr(mk_mach_port_allocate(fx->th, b, MACH_PORT_RIGHT_RECEIVE, &rb), KERN_SUCCESS);
    mach_port_name_t rsend;
    mach_msg_type_name_t rtype;
    check_kr(mk_mach_port_extract_right(fx->th, b, rb, MACH_MSG_TYPE_MAKE_SEND, &rsend, &rtype),
             KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, rsend, MACH_NOTIFY_DEAD_NAME, 0,
                                               N, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    /* P2: B holds the only send right; no-senders request to N */
    mach_port_name_t p2 = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, b, 500, p2, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, p2, MACH_NOTIFY_NO_SENDERS, 0,
                                               N, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    /* P3: B holds a send-once right */
    mach_port_name_t p3 = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, b, 501, p3, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    /* P4: B's send right with B's dead-name request (notify from the fixture's N) */
    mach_port_name_t p4 = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, b, 502, p4, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, b, 502, MACH_NOTIFY_DEAD_NAME, 0, N,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    /* a port set in B, and P5 registered in B's kernel slots */
    mach_port_name_t set;
    check_kr(mk_mach_port_allocate(fx->th, b, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
    mach_port_name_t p5 = alloc_rcv_send(fx);
    mach_port_name_t reg[1] = {p5};
    check_kr(mk_mach_ports_register(fx->th, b, reg, 1), KERN_SUCCESS);
    uint32_t id5 = port_of(fx->task, p5);
    unsigned s5 = port_info(fx->w, id5).srights;
    /* the fixture also holds B's thread port */
    mach_port_name_t *threads;
    mach_msg_type_number_t nthreads;
    check_kr(mk_task_threads(fx->th, b, &threads, &nthreads), KERN_SUCCESS);
    assert_int_equal(nthreads, 1);
    mach_port_name_t bthread = threads[0];
    free(threads);
    uint32_t id2 = port_of(fx->task, p2), id3 = port_of(fx->task, p3), id4 = port_of(fx->task, p4);
    uint32_t idr = port_of(fx->task, rsend);
    check_model_clean(fx->w);

    check_kr(mk_task_terminate(fx->th, b), KERN_SUCCESS);
    assert_false(ktask_active(bt));
    assert_false(kthread_active(bth)); /* rule K5 */

    /* receive rights held die; the fixture's send right to R becomes a dead name (+1 request) */
    assert_false(port_info(fx->w, idr).active);                /* rule K5 */
    assert_int_equal(type_of(fx, rsend), MACH_PORT_TYPE_DEAD_NAME); /* rule K5 */
    check_name(fx->task, rsend, MACH_PORT_TYPE_DEAD_NAME, 2);  /* rule K5 */
    /* send rights lower srights (P2 to 0: no-senders); P4's send right too */
    assert_int_equal(port_info(fx->w, id2).srights, 0); /* rule K5 */
    assert_int_equal(port_info(fx->w, id4).srights, 0); /* rule K5 */
    assert_false(port_info(fx->w, id2).has_nsrequest);  /* rule K5 */
    /* send-once rights notify their port */
    assert_int_equal(port_info(fx->w, id3).sorights, 1); /* the notification's own */
    mach_msg_id_t ids[8];
    assert_int_equal(queued(fx->task, p3, ids, 8), 1);
    assert_int_equal(ids[0], MACH_NOTIFY_SEND_ONCE); /* rule K5 */
    /* P4's request cancelled: port-deleted; P2 no-senders; R's dead-name notification */
    assert_int_equal(port_info(fx->w, id4).dnrequests, 0); /* rule K5 */
    size_t nq = queued(fx->task, N, ids, 8);
    assert_int_equal(nq, 3); /* rule K5 */
    int seen_deleted = 0, seen_ns = 0, seen_dead = 0;
    for (size_t i = 0; i < nq; i++) {
        seen_deleted += ids[i] == MACH_NOTIFY_PORT_DELETED;
        seen_ns += ids[i] == MACH_NOTIFY_NO_SENDERS;
        seen_dead += ids[i] == MACH_NOTIFY_DEAD_NAME;
    }
    assert_int_equal(seen_deleted, 1); /* rule K5 */
    assert_int_equal(seen_ns, 1);      /* rule K5 */
    assert_int_equal(seen_dead, 1);    /* rule K5 */
    /* kernel-held rights released */
    assert_int_equal(port_info(fx->w, id5).srights, s5 - 1); /* rule K5 */
    /* the thread's port is dead too */
    assert_int_equal(type_of(fx, bthread), MACH_PORT_TYPE_DEAD_NAME); /* rule K5 */

    /* The task port is destroyed: the fixture's name for it is a dead name and requests
     * through it fail to send. */
    mach_port_name_t n;
    check_kr(mk_mach_port_allocate(fx->th, b, MACH_PORT_RIGHT_RECEIVE, &n),
             MACH_SEND_INVALID_DEST);                               /* rule K5 */
    check_name(fx->task, b, MACH_PORT_TYPE_DEAD_NAME, 1);           /* rule K5 */
    check_kr(mk_task_terminate(fx->th, b), MACH_SEND_INVALID_DEST); /* rule K5 */
    check_kr(mk_task_threads(fx->th, b, &threads, &nthreads), MACH_SEND_INVALID_DEST); /* rule K5 */
}

/* The first uses after termination convert the names lazily; names listing reports dead. */
static void test_K5_task_port_dead_everywhere(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t bself, b, cself, c_in_main;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    kthread_t *cth = fx_new_task(fx, &cself, &c_in_main);
    /* C also holds a send right to B's task port, with urefs 3 */
    check_kr(mk_mach_port_insert_right(fx->th, c_in_main, 40, b, MACH_MSG_TYPE_COPY_SEND),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, c_in_main, 40, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    uint32_t bport = port_of(fx->task, b);
    check_kr(mk_task_terminate(fx->th, b), KERN_SUCCESS);
    assert_false(port_info(fx->w, bport).active); /* rule K5 */
    name_info_t ni;
    assert_true(space_peek(kthread_task(cth), 40, &ni));
    assert_true(ni.dead); /* rule K5 */
    mach_port_type_t t;
    check_kr(mk_mach_port_type(cth, cself, 40, &t), KERN_SUCCESS);
    assert_int_equal(t, MACH_PORT_TYPE_DEAD_NAME); /* rule K5 */
    check_name(kthread_task(cth), 40, MACH_PORT_TYPE_DEAD_NAME, 3); /* rule K5 */
    mach_port_name_t n;
    check_kr(mk_mach_port_allocate(cth, 40, MACH_PORT_RIGHT_RECEIVE, &n),
             MACH_SEND_INVALID_DEST); /* rule K5 */
    (void)bth;
}

/* A task terminating itself: the caller dies with it. */
static void test_K5_terminate_self(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t bself, b;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    check_kr(mk_task_terminate(bth, bself), KERN_SUCCESS);
    assert_true(kthread_must_stop(bth));              /* rule K5 */
    assert_false(ktask_active(kthread_task(bth)));    /* rule K5 */
    check_kr(mk_task_suspend(fx->th, b), MACH_SEND_INVALID_DEST); /* rule K5 */
}

static void test_K5_null_task(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv_send(fx);
    check_kr(mk_task_terminate(fx->th, r), KERN_INVALID_ARGUMENT); /* rule K5 */
    mach_port_name_t th = mk_mach_thread_self(fx->th);
    check_kr(mk_task_terminate(fx->th, th), KERN_INVALID_ARGUMENT); /* rule K5 */
}

/* --- K6 mach_ports_register / lookup ------------------------------------------------------------------ */

static void test_K6_register_lookup(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx);
    uint32_t pa = port_of(fx->task, a), pb = port_of(fx->task, b);
    mach_port_name_t reg[2] = {a, b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 2), KERN_SUCCESS);
    /* COPY_SEND: the caller keeps its urefs; the kernel is one more holder */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule K6 */
    assert_int_equal(port_info(fx->w, pa).srights, 2);       /* rule K6 */
    mach_port_name_t got[4];
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], a);              /* rule K6 */
    assert_int_equal(got[1], b);              /* rule K6 */
    assert_int_equal(got[2], MACH_PORT_NULL); /* rule K6 */
    assert_int_equal(got[3], MACH_PORT_NULL); /* rule K6 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule K6 */
    check_name(fx->task, b, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule K6 */
    assert_int_equal(port_info(fx->w, pa).srights, 2);       /* rule K6 */

    /* replaced all at once: the old rights are released, missing slots become null */
    mach_port_name_t reg2[1] = {b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg2, 1), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pa).srights, 1); /* rule K6 */
    assert_int_equal(port_info(fx->w, pb).srights, 2); /* rule K6 */
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], b);              /* rule K6 */
    assert_int_equal(got[1], MACH_PORT_NULL); /* rule K6 */
    check_name(fx->task, b, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule K6 */

    /* a registered port that dies is looked up as MACH_PORT_DEAD */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, b), KERN_SUCCESS);
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], MACH_PORT_DEAD); /* rule K6 */
    /* zero ports clears every slot */
    check_kr(mk_mach_ports_register(fx->th, fx->self, NULL, 0), KERN_SUCCESS);
    lookup4(fx, fx->self, got);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], MACH_PORT_NULL); /* rule K6 */
}

static void test_K6_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx);
    uint32_t pa = port_of(fx->task, a);
    mach_port_name_t reg[5] = {a, a, a, a, a};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 5), KERN_INVALID_ARGUMENT); /* rule K6 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule K6 */
    assert_int_equal(port_info(fx->w, pa).srights, 1);       /* rule K6 */
    mach_port_name_t got[4];
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], MACH_PORT_NULL); /* rule K6: nothing was registered */
    /* a null task */
    check_kr(mk_mach_ports_register(fx->th, a, reg, 1), KERN_INVALID_ARGUMENT); /* rule K6 */
    mach_port_name_t *ports = NULL;
    mach_msg_type_number_t count;
    check_kr(mk_mach_ports_lookup(fx->th, a, &ports, &count), KERN_INVALID_ARGUMENT); /* rule K6 */
    assert_null(ports);
    check_model_clean(fx->w);
}

/* The ports travel in the request (COPY_SEND): one that cannot be copied in fails the send,
 * before the routine counts them (section 0 of the spec: MACH_SEND_INVALID_RIGHT). */
static void test_K6_bad_right_fails_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx);
    uint32_t pa = port_of(fx->task, a);
    mach_port_name_t reg5[5] = {a, a, a, a, 0x999};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg5, 5), MACH_SEND_INVALID_RIGHT); /* rule K6 */
    mach_port_name_t reg2[2] = {a, 0x999};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg2, 2), MACH_SEND_INVALID_RIGHT); /* rule K6 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule K6 */
    assert_int_equal(port_info(fx->w, pa).srights, 1);       /* rule K6 */
    /* a dead name travels as MACH_PORT_DEAD and is registered as such */
    mach_port_name_t d;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &d), KERN_SUCCESS);
    mach_port_name_t reg1[1] = {d};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg1, 1), KERN_SUCCESS);
    check_name(fx->task, d, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule K6: COPY_SEND keeps urefs */
    mach_port_name_t got[4];
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], MACH_PORT_DEAD); /* rule K6 */
}

/* A child has the copies but no names for them until it looks them up. */
static void test_K6_child_copy_without_names(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx);
    mach_port_name_t reg[1] = {a};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 1), KERN_SUCCESS);
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    assert_int_equal(space_count(child), 0); /* rule K6 */
    kthread_t *cth = world_boot_thread(child);
    mach_port_name_t cself = mk_mach_task_self(cth);
    mach_port_name_t *ports;
    mach_msg_type_number_t count;
    check_kr(mk_mach_ports_lookup(cth, cself, &ports, &count), KERN_SUCCESS);
    assert_int_equal(count, 4);
    assert_true(MACH_PORT_VALID(ports[0]));
    assert_int_equal(port_of(child, ports[0]), port_of(fx->task, a)); /* rule K6 */
    check_name(child, ports[0], MACH_PORT_TYPE_SEND, 1);              /* rule K6 */
    free(ports);
}

/* --- PR1-PR7 the inherited ports array (docs/ports-register.md) ------------------------------ */

static unsigned srights_of(fx_t *fx, mach_port_name_t name)
{
    return port_info(fx->w, port_of(fx->task, name)).srights;
}

/* lookup of the fixture's own array, checked against want[4] */
static void check_slots(fx_t *fx, const mach_port_name_t want[4])
{
    mach_port_name_t got[4];
    lookup4(fx, fx->self, got);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], want[i]);
}

/* Every kind of name that is not a send right fails the request port's copy-in, before the
 * list is looked at; a terminated task's name is a dead name (K5 step 4). */
static void test_PR1_task_port_first(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx);
    mach_port_name_t rcv = alloc_rcv(fx), set, dead, so = 0x700;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, so, rcv, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    mach_port_name_t c;
    create_child(fx, &c);
    check_kr(mk_task_terminate(fx->th, c), KERN_SUCCESS);
    /* a list with a bad name and too many names: the request port is still checked first */
    mach_port_name_t list[5] = {a, 0x999, a, a, a};
    check_kr(mk_mach_ports_register(fx->th, c, list, 1), MACH_SEND_INVALID_DEST); /* rule PR1 */
    check_name(fx->task, c, MACH_PORT_TYPE_DEAD_NAME, 1); /* rule PR1: the task's name is dead */
    const mach_port_name_t bad[] = {0x999, rcv, set, dead, so, c};
    unsigned sa = srights_of(fx, a);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_kr(mk_mach_ports_register(fx->th, bad[i], list, 1), MACH_SEND_INVALID_DEST); /* rule PR1 */
        check_kr(mk_mach_ports_register(fx->th, bad[i], list, 5), MACH_SEND_INVALID_DEST); /* rule PR1 */
        mach_port_name_t *ports = (mach_port_name_t *)&before;
        mach_msg_type_number_t count = 77;
        check_kr(mk_mach_ports_lookup(fx->th, bad[i], &ports, &count), MACH_SEND_INVALID_DEST); /* rule PR1 */
        assert_ptr_equal(ports, (mach_port_name_t *)&before); /* rule PR1: nothing returned */
        assert_int_equal(count, 77);                          /* rule PR1 */
    }
    check_snapshot_same(fx->task, &before);     /* rule PR1: nothing else happened */
    assert_int_equal(srights_of(fx, a), sa);     /* rule PR1 */
}

/* The list is copied in, name by name (COPY_SEND), before the routine runs. */
static void test_PR2_list_copied_in_first(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx);
    mach_port_name_t rcv = alloc_rcv(fx), set, dead, so = 0x700;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, dead, MACH_PORT_RIGHT_DEAD_NAME, 2), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, so, rcv, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    mach_port_name_t reg[2] = {b, MACH_PORT_NULL};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 2), KERN_SUCCESS);
    const mach_port_name_t slots[4] = {b, MACH_PORT_NULL, MACH_PORT_NULL, MACH_PORT_NULL};
    check_slots(fx, slots); /* b's urefs are now 2: one from the merge */
    unsigned sa = srights_of(fx, a), sb = srights_of(fx, b);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    const mach_port_name_t bad[] = {0x999, rcv, set, so};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* the bad name last: the rights copied before it are released */
        mach_port_name_t l3[3] = {a, b, bad[i]};
        check_kr(mk_mach_ports_register(fx->th, fx->self, l3, 3), MACH_SEND_INVALID_RIGHT); /* rule PR2 */
        /* before the routine's checks: too many names, a null task (a's port is no task's) */
        mach_port_name_t l5[5] = {a, a, a, a, bad[i]};
        check_kr(mk_mach_ports_register(fx->th, fx->self, l5, 5), MACH_SEND_INVALID_RIGHT); /* rule PR2 */
        check_kr(mk_mach_ports_register(fx->th, a, l3, 3), MACH_SEND_INVALID_RIGHT);        /* rule PR2 */
    }
    check_snapshot_same(fx->task, &before);   /* rule PR2: the caller's urefs as they were */
    assert_int_equal(srights_of(fx, a), sa);   /* rule PR2: copied rights released */
    assert_int_equal(srights_of(fx, b), sb);   /* rule PR2 */
    check_slots(fx, slots);                    /* rule PR2: nothing registered */
    /* null, MACH_PORT_DEAD and a dead name travel; a send right adds one kernel-held right */
    mach_port_name_t ok[4] = {MACH_PORT_NULL, MACH_PORT_DEAD, dead, a};
    check_kr(mk_mach_ports_register(fx->th, fx->self, ok, 4), KERN_SUCCESS); /* rule PR2 */
    check_name(fx->task, dead, MACH_PORT_TYPE_DEAD_NAME, 3);  /* rule PR2: urefs unchanged */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1);  /* rule PR2: COPY_SEND */
    assert_int_equal(srights_of(fx, a), sa + 1);              /* rule PR2 */
    const mach_port_name_t now[4] = {MACH_PORT_NULL, MACH_PORT_DEAD, MACH_PORT_DEAD, a};
    check_slots(fx, now); /* rule PR2 */
}

/* The routine's own checks: a null task, then too many ports; a failure changes nothing. */
static void test_PR3_register_checks(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx);
    mach_port_name_t reg[1] = {b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 1), KERN_SUCCESS);
    const mach_port_name_t slots[4] = {b, MACH_PORT_NULL, MACH_PORT_NULL, MACH_PORT_NULL};
    unsigned sa = srights_of(fx, a), sb = srights_of(fx, b);
    mach_port_name_t th = mk_mach_thread_self(fx->th);
    snapshot_t before;
    snapshot_take(fx->task, &before);
    mach_port_name_t l1[1] = {a};
    mach_port_name_t l5[TASK_PORT_REGISTER_MAX + 1] = {a, a, a, a, a};
    /* 1: a null task (a live port that is no task's: a plain port, a thread's) */
    check_kr(mk_mach_ports_register(fx->th, a, l1, 1), KERN_INVALID_ARGUMENT);   /* rule PR3 */
    check_kr(mk_mach_ports_register(fx->th, th, l1, 1), KERN_INVALID_ARGUMENT);  /* rule PR3 */
    check_kr(mk_mach_ports_register(fx->th, a, l5, 5), KERN_INVALID_ARGUMENT);   /* rule PR3 */
    /* 2: one more than TASK_PORT_REGISTER_MAX; exactly the maximum is allowed (below) */
    check_kr(mk_mach_ports_register(fx->th, fx->self, l5, TASK_PORT_REGISTER_MAX + 1),
             KERN_INVALID_ARGUMENT); /* rule PR3 */
    /* nothing changed: the request was destroyed, its copied rights released */
    assert_int_equal(srights_of(fx, a), sa); /* rule PR3 */
    assert_int_equal(srights_of(fx, b), sb); /* rule PR3 */
    check_snapshot_same(fx->task, &before);  /* rule PR3 */
    check_slots(fx, slots);                  /* rule PR3 */
    check_kr(mk_mach_ports_register(fx->th, fx->self, l5, TASK_PORT_REGISTER_MAX),
             KERN_SUCCESS); /* rule PR3 */
    assert_int_equal(srights_of(fx, a), sa + TASK_PORT_REGISTER_MAX); /* rule PR4 */
    assert_int_equal(srights_of(fx, b), sb - 1);                      /* rule PR4 */
}

/* All four slots at once; old rights released; no name added anywhere. */
static void test_PR4_register_replaces(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx);
    unsigned sa = srights_of(fx, a), sb = srights_of(fx, b);
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    size_t own = space_count(fx->task);
    /* registering into another task: the rights go to its slots, not to its space */
    mach_port_name_t reg[3] = {a, b, a};
    check_kr(mk_mach_ports_register(fx->th, c, reg, 3), KERN_SUCCESS); /* rule PR4 */
    assert_int_equal(space_count(child), 0);       /* rule PR4: no name in the task */
    assert_int_equal(space_count(fx->task), own);  /* rule PR4: nor in the caller */
    assert_int_equal(srights_of(fx, a), sa + 2);   /* rule PR4: one right per slot */
    assert_int_equal(srights_of(fx, b), sb + 1);   /* rule PR4 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule PR4: COPY_SEND */
    /* a shorter list: the rest become null, the old rights go */
    mach_port_name_t reg2[1] = {b};
    check_kr(mk_mach_ports_register(fx->th, c, reg2, 1), KERN_SUCCESS); /* rule PR4 */
    assert_int_equal(srights_of(fx, a), sa);      /* rule PR4 */
    assert_int_equal(srights_of(fx, b), sb + 1);  /* rule PR4: released, then taken again */
    mach_port_name_t got[4];
    lookup4(fx, c, got);
    assert_int_equal(got[0], b);              /* rule PR4 */
    assert_int_equal(got[1], MACH_PORT_NULL); /* rule PR4 */
    assert_int_equal(got[2], MACH_PORT_NULL); /* rule PR4 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, b), KERN_SUCCESS); /* the lookup's uref */
    /* count 0 clears every slot */
    check_kr(mk_mach_ports_register(fx->th, c, NULL, 0), KERN_SUCCESS); /* rule PR4 */
    assert_int_equal(srights_of(fx, b), sb); /* rule PR4 */
    lookup4(fx, c, got);
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], MACH_PORT_NULL); /* rule PR4 */
}

/* A registered right whose last other holder goes: the slot holds the port's last send right,
 * and replacing the slot sends the no-senders notification (D7). */
static void test_PR4_release_sends_no_senders(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), notify = alloc_rcv_send(fx), prev;
    mach_port_name_t reg[1] = {a};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 1), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, a, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
    assert_int_equal(srights_of(fx, a), 1); /* the slot's right alone */
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, a, MACH_NOTIFY_NO_SENDERS, 0,
                                               notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    mach_msg_id_t ids[4];
    assert_int_equal(queued(fx->task, notify, ids, 4), 0);
    check_kr(mk_mach_ports_register(fx->th, fx->self, NULL, 0), KERN_SUCCESS); /* rule PR4 */
    assert_int_equal(srights_of(fx, a), 0);                 /* rule PR4 */
    assert_int_equal(queued(fx->task, notify, ids, 4), 1);  /* rules PR4 D7 */
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS);       /* rules PR4 D7 */
    char buf[256];
    check_kr(recv_now(fx->th, notify, buf, sizeof buf), MACH_MSG_SUCCESS);
}

/* Four slots whatever was registered; each a new send right, merged or under a new name. */
static void test_PR5_lookup(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx), d = alloc_rcv_send(fx);
    unsigned sa = srights_of(fx, a);
    mach_port_name_t got[4];
    lookup4(fx, fx->self, got); /* nothing registered: still 4 slots */
    for (int i = 0; i < 4; i++)
        assert_int_equal(got[i], MACH_PORT_NULL); /* rule PR5 */
    mach_port_name_t reg[4] = {a, d, a, MACH_PORT_NULL};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 4), KERN_SUCCESS);
    /* d dies after it was registered: its slot reads dead */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, d, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], a);              /* rule PR5: merged into the caller's name */
    assert_int_equal(got[1], MACH_PORT_DEAD); /* rule PR5 */
    assert_int_equal(got[2], a);              /* rule PR5: one name, twice */
    assert_int_equal(got[3], MACH_PORT_NULL); /* rule PR5 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1 + 2); /* rule PR5: urefs +1 a slot */
    /* each new right folds into the caller's entry (I3): the slots' two rights and no more */
    assert_int_equal(srights_of(fx, a), sa + 2);                 /* rules PR5 I3 */
    /* the slots are unchanged: a second lookup gives the same */
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], a);              /* rule PR5 */
    assert_int_equal(got[1], MACH_PORT_DEAD); /* rule PR5 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1 + 4); /* rule PR5 */
    /* pegged at 65534 (T5): overflow allowed */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, a, MACH_PORT_RIGHT_SEND, 65534 - 5),
             KERN_SUCCESS);
    lookup4(fx, fx->self, got);
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 65534); /* rules PR5 T5 */
    /* a task without a name for the port: a new name (the first free, N3), urefs 1 */
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    kthread_t *cth = world_boot_thread(child);
    mach_port_name_t cself = mk_mach_task_self(cth); /* name 1 (K1, K2) */
    mach_port_name_t *ports;
    mach_msg_type_number_t count;
    check_kr(mk_mach_ports_lookup(cth, cself, &ports, &count), KERN_SUCCESS); /* rule PR5 */
    assert_int_equal(count, TASK_PORT_REGISTER_MAX);                         /* rule PR5 */
    assert_int_equal(ports[0], cself + 1);                                    /* rules PR5 N3 */
    assert_int_equal(ports[2], ports[0]);                                     /* rule PR5 */
    assert_int_equal(ports[1], MACH_PORT_DEAD);                               /* rule PR5 */
    check_name(child, ports[0], MACH_PORT_TYPE_SEND, 2);                      /* rule PR5 */
    assert_int_equal(port_of(child, ports[0]), port_of(fx->task, a));         /* rule PR5 */
    free(ports);
    /* a null task: nothing returned */
    ports = NULL;
    count = 77;
    check_kr(mk_mach_ports_lookup(fx->th, b, &ports, &count), KERN_INVALID_ARGUMENT); /* rule PR5 */
    assert_null(ports);          /* rule PR5 */
    assert_int_equal(count, 77); /* rule PR5 */
}

/* Another task's array: the rights land in the caller, not in that task. */
static void test_PR5_lookup_other_task(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx);
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    mach_port_name_t reg[1] = {a};
    check_kr(mk_mach_ports_register(fx->th, c, reg, 1), KERN_SUCCESS);
    mach_port_name_t got[4];
    lookup4(fx, c, got);
    assert_int_equal(got[0], a);                             /* rule PR5 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule PR5 */
    assert_int_equal(space_count(child), 0);                 /* rule PR5 */
}

/* Which world test_PR7_inherited_at_task_create runs in: it runs twice, the second time (as
 * test_PR7_inherited_compat) in the ipc-compat world, whose tasks start with a notify port. */
static bool pr7_compat;
static int pr7_setup(void **state) { pr7_compat = false; return fx_setup(state); }
static int pr7_setup_compat(void **state) { pr7_compat = true; return fx_setup_compat(state); }

/* task_create copies the 4 slots; the child has no name until it looks them up; the copy is
 * made once, each way; termination releases the slots. */
static void test_PR7_inherited_at_task_create(void **state)
{
    fx_t *fx = *state;
    bool compat = pr7_compat;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv_send(fx);
    mach_port_name_t reg[3] = {a, MACH_PORT_DEAD, b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg, 3), KERN_SUCCESS);
    unsigned sa = srights_of(fx, a), sb = srights_of(fx, b);
    mach_port_name_t c;
    ktask_t *child = create_child(fx, &c);
    assert_int_equal(srights_of(fx, a), sa + 1); /* rule PR7 */
    assert_int_equal(srights_of(fx, b), sb + 1); /* rule PR7 */
    /* no name in the child: an empty space, or only the notify port (C2) */
    size_t base = compat ? 1 : 0;
    assert_int_equal(space_count(child), base); /* rule PR7 */
    /* the parent changes its array: the child's copy stays */
    mach_port_name_t reg2[1] = {b};
    check_kr(mk_mach_ports_register(fx->th, fx->self, reg2, 1), KERN_SUCCESS);
    kthread_t *cth = world_boot_thread(child);
    mach_port_name_t cself = mk_mach_task_self(cth);
    mach_port_name_t *ports;
    mach_msg_type_number_t count;
    check_kr(mk_mach_ports_lookup(cth, cself, &ports, &count), KERN_SUCCESS); /* rule PR7 */
    assert_int_equal(count, TASK_PORT_REGISTER_MAX);                         /* rule PR7 */
    /* new kernel-chosen names in the child, after its self port (and notify port) */
    assert_int_equal(ports[0], base + 2);                                     /* rules PR7 N3 */
    assert_int_equal(ports[1], MACH_PORT_DEAD);                               /* rule PR7 */
    assert_int_equal(ports[2], base + 3);                                     /* rules PR7 N3 */
    assert_int_equal(ports[3], MACH_PORT_NULL);                               /* rule PR7 */
    assert_int_equal(port_of(child, ports[0]), port_of(fx->task, a));         /* rule PR7 */
    assert_int_equal(port_of(child, ports[2]), port_of(fx->task, b));         /* rule PR7 */
    check_name(child, ports[0], MACH_PORT_TYPE_SEND, 1);                      /* rule PR7 */
    check_name(child, ports[2], MACH_PORT_TYPE_SEND, 1);                      /* rule PR7 */
    free(ports);
    /* the child's register does not reach the parent */
    check_kr(mk_mach_ports_register(cth, cself, NULL, 0), KERN_SUCCESS);
    mach_port_name_t got[4];
    lookup4(fx, fx->self, got);
    assert_int_equal(got[0], b); /* rule PR7 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, b), KERN_SUCCESS);
    /* termination releases the child's slots (it cleared them; register again first) and,
     * with its space, the name its lookup made for b: two send rights go */
    unsigned sb2 = srights_of(fx, b);
    check_kr(mk_mach_ports_register(fx->th, c, reg2, 1), KERN_SUCCESS);
    assert_int_equal(srights_of(fx, b), sb2 + 1);
    check_kr(mk_task_terminate(fx->th, c), KERN_SUCCESS);
    assert_int_equal(srights_of(fx, b), sb2 + 1 - 2); /* rules PR7 K5 */
}


/* --- K7 special ports ------------------------------------------------------------------------------- */

static void test_K7_valid_slots(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p;
    int bad[] = {0, 2, 5, 6, -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_kr(mk_task_get_special_port(fx->th, fx->self, bad[i], &p), KERN_INVALID_ARGUMENT); /* rule K7 */
        check_kr(mk_task_set_special_port(fx->th, fx->self, bad[i], MACH_PORT_NULL,
                                          MACH_MSG_TYPE_COPY_SEND), KERN_INVALID_ARGUMENT); /* rule K7 */
    }
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_KERNEL_PORT, &p), KERN_SUCCESS); /* rule K7 */
    assert_int_equal(p, fx->self); /* rule K7 */
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_EXCEPTION_PORT, &p), KERN_SUCCESS); /* rule K7 */
    assert_int_equal(p, MACH_PORT_NULL); /* rule K7 */
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, &p), KERN_SUCCESS); /* rule K7 */
    assert_int_equal(p, MACH_PORT_NULL); /* rule K7 */
    /* a null task */
    mach_port_name_t r = alloc_rcv_send(fx);
    check_kr(mk_task_get_special_port(fx->th, r, TASK_BOOTSTRAP_PORT, &p), KERN_INVALID_ARGUMENT); /* rule K7 */
    check_kr(mk_task_set_special_port(fx->th, r, TASK_BOOTSTRAP_PORT, MACH_PORT_NULL,
                                      MACH_MSG_TYPE_COPY_SEND), KERN_INVALID_ARGUMENT); /* rule K7 */
}

/* set consumes the right passed and releases the old one; get returns a copy. */
static void test_K7_set_consumes_get_copies(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv_send(fx), b = alloc_rcv(fx), N = alloc_rcv(fx), prev;
    uint32_t pa = port_of(fx->task, a), pb = port_of(fx->task, b);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, a, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
    /* MOVE_SEND: the caller loses a uref, the kernel holds the right */
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, a,
                                      MACH_MSG_TYPE_MOVE_SEND), KERN_SUCCESS);
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule K7 */
    assert_int_equal(port_info(fx->w, pa).srights, 2);       /* rule K7 */
    mach_port_name_t p;
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, a);                                  /* rule K7 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 2); /* rule K7 */
    assert_int_equal(port_info(fx->w, pa).srights, 2);       /* rule K7 */
    /* drop the fixture's send right to a; the kernel's is now the only one */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, a, MACH_PORT_RIGHT_SEND, -2), KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, a, MACH_NOTIFY_NO_SENDERS, 0, N,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    /* replacing it with b (MAKE_SEND) releases a: no-senders */
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, b,
                                      MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pa).srights, 0); /* rule K7 */
    mach_msg_id_t ids[4];
    assert_int_equal(queued(fx->task, N, ids, 4), 1);
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS); /* rule K7 */
    assert_int_equal(port_info(fx->w, pb).mscount, 1); /* rule K7 */
    assert_int_equal(port_info(fx->w, pb).srights, 1); /* rule K7 */
    check_name(fx->task, b, MACH_PORT_TYPE_RECEIVE, 0); /* rule K7 */
    /* a slot holding a dead port is got as MACH_PORT_DEAD */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, b), KERN_SUCCESS);
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_BOOTSTRAP_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, MACH_PORT_DEAD); /* rule K7 */
}

/* Setting TASK_KERNEL_PORT interposes on mach_task_self; the real port still reaches the task. */
static void test_K7_kernel_port_interposes(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv(fx);
    check_kr(mk_task_set_special_port(fx->th, fx->self, TASK_KERNEL_PORT, r,
                                      MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    assert_int_equal(mk_mach_task_self(fx->th), r); /* rule K7 */
    mach_port_name_t p;
    check_kr(mk_task_get_special_port(fx->th, fx->self, TASK_KERNEL_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, r); /* rule K7 */
    check_name(fx->task, r, MACH_PORT_TYPE_SEND_RECEIVE, 2);
    /* the real task port still works as a task port */
    mach_port_name_t n;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &n), KERN_SUCCESS); /* rule K7 */
    /* a child's KERNEL slot is its own port, not the parent's interposed one */
    mach_port_name_t c;
    create_child(fx, &c);
    check_kr(mk_task_get_special_port(fx->th, c, TASK_KERNEL_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, c); /* rule K7 */
}

static void test_K7_thread_special_ports(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t th = mk_mach_thread_self(fx->th), p;
    int bad[] = {0, 2, 4, -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_kr(mk_thread_get_special_port(fx->th, th, bad[i], &p), KERN_INVALID_ARGUMENT); /* rule K7 */
        check_kr(mk_thread_set_special_port(fx->th, th, bad[i], MACH_PORT_NULL,
                                            MACH_MSG_TYPE_COPY_SEND), KERN_INVALID_ARGUMENT); /* rule K7 */
    }
    check_kr(mk_thread_get_special_port(fx->th, th, THREAD_KERNEL_PORT, &p), KERN_SUCCESS); /* rule K7 */
    assert_int_equal(p, th); /* rule K7 */
    check_kr(mk_thread_get_special_port(fx->th, th, THREAD_EXCEPTION_PORT, &p), KERN_SUCCESS); /* rule K7 */
    assert_int_equal(p, MACH_PORT_NULL); /* rule K7 */
    mach_port_name_t e = alloc_rcv(fx);
    check_kr(mk_thread_set_special_port(fx->th, th, THREAD_EXCEPTION_PORT, e,
                                        MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(mk_thread_get_special_port(fx->th, th, THREAD_EXCEPTION_PORT, &p), KERN_SUCCESS);
    assert_int_equal(p, e); /* rule K7 */
    check_name(fx->task, e, MACH_PORT_TYPE_SEND_RECEIVE, 1); /* rule K7 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, e)).srights, 2); /* rule K7 */
    /* interposing THREAD_KERNEL_PORT changes what mach_thread_self returns */
    mach_port_name_t k = alloc_rcv(fx);
    check_kr(mk_thread_set_special_port(fx->th, th, THREAD_KERNEL_PORT, k,
                                        MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    assert_int_equal(mk_mach_thread_self(fx->th), k); /* rule K7 */
    /* a null thread (a task port) */
    check_kr(mk_thread_get_special_port(fx->th, fx->self, THREAD_KERNEL_PORT, &p),
             KERN_INVALID_ARGUMENT); /* rule K7 */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_K1_null_parent),
        FX_TEST(test_K1_child_space_empty),
        FX_TEST(test_K1_caller_gets_send_right),
        FX_TEST(test_K1_inherits_copies),
        FX_TEST(test_K1_null_copies),
        cmocka_unit_test_setup_teardown(test_C2_compat_notify_port, fx_setup_compat, fx_teardown),
        FX_TEST(test_C2_no_compat_empty),
        FX_TEST(test_K2_uref_per_call),
        FX_TEST(test_K2_pegged),
        FX_TEST(test_K2_merges_existing_entry),
        FX_TEST(test_K2_null_and_dead),
        FX_TEST(test_K2_copyout_failure),
        FX_TEST(test_K2_thread_ports_share_name),
        FX_TEST(test_K4_new_right_per_thread),
        FX_TEST(test_K4_other_task_new_names),
        FX_TEST(test_K4_errors),
        FX_TEST(test_K5_terminate_effects),
        FX_TEST(test_K5_task_port_dead_everywhere),
        FX_TEST(test_K5_terminate_self),
        FX_TEST(test_K5_null_task),
        FX_TEST(test_K6_register_lookup),
        FX_TEST(test_K6_errors),
        FX_TEST(test_K6_bad_right_fails_send),
        FX_TEST(test_K6_child_copy_without_names),
        FX_TEST(test_PR1_task_port_first),
        FX_TEST(test_PR2_list_copied_in_first),
        FX_TEST(test_PR3_register_checks),
        FX_TEST(test_PR4_register_replaces),
        FX_TEST(test_PR4_release_sends_no_senders),
        FX_TEST(test_PR5_lookup),
        FX_TEST(test_PR5_lookup_other_task),
        cmocka_unit_test_setup_teardown(test_PR7_inherited_at_task_create, pr7_setup, fx_teardown),
        {"test_PR7_inherited_compat", test_PR7_inherited_at_task_create, pr7_setup_compat,
         fx_teardown, NULL},
        FX_TEST(test_K7_valid_slots),
        FX_TEST(test_K7_set_consumes_get_copies),
        FX_TEST(test_K7_kernel_port_interposes),
        FX_TEST(test_K7_thread_special_ports),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
