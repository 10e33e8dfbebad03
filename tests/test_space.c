/*
 * test_space.c: names and how the kernel chooses them (rules N1-N4), model/space.c.
 */
#include "testlib.h"

/* An empty task the fixture can reach: its space has no names at all. */
static ktask_t *empty_task(fx_t *fx, mach_port_name_t *name)
{
    ktask_t *t = world_boot_task(fx->w, NULL);
    *name = world_give_task_port(fx->task, t);
    return t;
}

static mach_port_name_t alloc_rcv_in(fx_t *fx, mach_port_name_t task)
{
    mach_port_name_t n = 0;
    check_kr(mk_mach_port_allocate(fx->th, task, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
    return n;
}

static void test_N3_reuse_sequence(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    empty_task(fx, &t);
    assert_int_equal(alloc_rcv_in(fx, t), 1); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 2); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 3); /* rule N3 */
    check_kr(mk_mach_port_destroy(fx->th, t, 2), KERN_SUCCESS);
    assert_int_equal(alloc_rcv_in(fx, t), 2); /* rule N3 */
    check_kr(mk_mach_port_destroy(fx->th, t, 1), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t, 3), KERN_SUCCESS);
    assert_int_equal(alloc_rcv_in(fx, t), 3); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 1); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 4); /* rule N3 */
    check_model_clean(fx->w);
}

/* A freed name comes back as exactly the same number: no generation bits. */
static void test_N1_no_generations(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    empty_task(fx, &t);
    mach_port_name_t a = alloc_rcv_in(fx, t);
    for (int i = 0; i < 10; i++) {
        check_kr(mk_mach_port_mod_refs(fx->th, t, a, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
        assert_int_equal(alloc_rcv_in(fx, t), a); /* rule N1 */
    }
}

/* Free list of 64: the 65th freed name leaves the tree and comes back only as lowest key. */
static void test_N3_free_list_limit(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    empty_task(fx, &t);
    for (int i = 1; i <= 70; i++)
        assert_int_equal(alloc_rcv_in(fx, t), (mach_port_name_t)i);
    /* Free 1..65: 1..64 fill the list (head 64), 65 leaves the tree. */
    for (mach_port_name_t n = 1; n <= 65; n++)
        check_kr(mk_mach_port_destroy(fx->th, t, n), KERN_SUCCESS);
    /* LIFO: 64, 63, ..., 1 from the list; then the lowest key not in the tree: 65. */
    for (mach_port_name_t n = 64; n >= 1; n--)
        assert_int_equal(alloc_rcv_in(fx, t), n); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 65); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 71); /* rule N3 */
}

/* Caller-chosen names take part: freed, a huge name is the next kernel choice (N3 step 4). */
static void test_N3_chosen_name_on_free_list(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    empty_task(fx, &t);
    check_kr(mk_mach_port_allocate_name(fx->th, t, MACH_PORT_RIGHT_RECEIVE, 0x40000000),
             KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t, 0x40000000), KERN_SUCCESS);
    assert_int_equal(alloc_rcv_in(fx, t), 0x40000000); /* rule N3 */
    assert_int_equal(alloc_rcv_in(fx, t), 1);          /* rule N3 */
    /* allocate_name takes a requested name off the free list */
    mach_port_name_t a = alloc_rcv_in(fx, t), b = alloc_rcv_in(fx, t);
    assert_int_equal(a, 2);
    assert_int_equal(b, 3);
    check_kr(mk_mach_port_destroy(fx->th, t, a), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t, b), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate_name(fx->th, t, MACH_PORT_RIGHT_DEAD_NAME, 3), KERN_SUCCESS);
    assert_int_equal(alloc_rcv_in(fx, t), 2); /* rule N3 */
    /* a chosen name in the middle of the key range is skipped by the lowest-key search */
    check_kr(mk_mach_port_allocate_name(fx->th, t, MACH_PORT_RIGHT_DEAD_NAME, 4), KERN_SUCCESS);
    assert_int_equal(alloc_rcv_in(fx, t), 5); /* rule N3 */
}

/* A failed call that reserved a name puts it at the head of the free list (N3 step 6). */
static void test_N3_failed_insert_frees_name(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t r = alloc_rcv_in(fx, fx->self);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    /* the port is already here under r: inserting it under 100 is RIGHT_EXISTS */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, 100, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_RIGHT_EXISTS);
    assert_int_equal(alloc_rcv_in(fx, fx->self), 100); /* rule N3 */
}

static void test_N2_reserved_names(void **state)
{
    fx_t *fx = *state;
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, MACH_PORT_NULL), KERN_INVALID_NAME); /* rule N2 */
    check_kr(mk_mach_port_deallocate(fx->th, fx->self, MACH_PORT_DEAD), KERN_INVALID_NAME); /* rule N2 */
    mach_port_type_t type;
    check_kr(mk_mach_port_type(fx->th, fx->self, 0, &type), KERN_INVALID_NAME); /* rule N2 */
    check_kr(mk_mach_port_allocate_name(fx->th, fx->self, MACH_PORT_RIGHT_RECEIVE, 0),
             KERN_INVALID_VALUE); /* rule N2 */
    check_kr(mk_mach_port_allocate_name(fx->th, fx->self, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_DEAD),
             KERN_INVALID_VALUE); /* rule N2 */
    mach_port_name_t r = alloc_rcv_in(fx, fx->self);
    check_kr(mk_mach_port_rename(fx->th, fx->self, r, 0), KERN_INVALID_VALUE); /* rule N2 */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, MACH_PORT_DEAD, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_INVALID_VALUE); /* rule N2 */
    /* any other value is allowed, however large */
    check_kr(mk_mach_port_allocate_name(fx->th, fx->self, MACH_PORT_RIGHT_RECEIVE, 0xFFFFFFFE),
             KERN_SUCCESS); /* rule N2 */
}

static void test_N4_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    ktask_t *other = empty_task(fx, &t);
    mach_port_name_t n;
    world_fail_allocations(fx->w, 0, 1);
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_RECEIVE, &n),
             KERN_RESOURCE_SHORTAGE); /* rule N4 */
    assert_int_equal(space_count(other), 0);
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_DEAD_NAME, &n), KERN_SUCCESS);
    world_kill_space(other);
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_RECEIVE, &n), KERN_INVALID_TASK); /* rule N4 */
    check_kr(mk_mach_port_allocate(fx->th, t, MACH_PORT_RIGHT_DEAD_NAME, &n), KERN_INVALID_TASK); /* rule N4 */
}

/* 10,000 names: lookups stay fast and names stays sorted. */
static void test_L2_many_names_sorted(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    empty_task(fx, &t);
    for (int i = 0; i < 10000; i++) {
        mach_port_name_t n;
        check_kr(mk_mach_port_allocate(fx->th, t, i % 3 == 0 ? MACH_PORT_RIGHT_DEAD_NAME
                                                             : MACH_PORT_RIGHT_RECEIVE, &n),
                 KERN_SUCCESS);
    }
    for (mach_port_name_t n = 1; n <= 10000; n += 7)
        check_kr(mk_mach_port_destroy(fx->th, t, n), KERN_SUCCESS);
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, t, &names, &types, &count), KERN_SUCCESS);
    assert_int_equal(count, 10000 - 1429);
    for (mach_msg_type_number_t i = 1; i < count; i++)
        assert_true(names[i - 1] < names[i]); /* rule L2 */
    free(names);
    free(types);
}

/* Caller-chosen names far past the kernel's (model/space.c keeps them apart from its array
 * until the array grows past them): a name in the tree is never chosen by the kernel (N3 step
 * 2: the lowest key not in the tree), lookups find them, and mach_port_names lists them in
 * ascending order with the rest (L2). The counts come from the rule, not from a run. */
static void test_N3_far_chosen_names(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    empty_task(fx, &t);
    const mach_port_name_t far[] = {0x7fff0000, 3000, 0x12345};
    for (size_t i = 0; i < 3; i++)
        check_kr(mk_mach_port_allocate_name(fx->th, t, MACH_PORT_RIGHT_RECEIVE, far[i]),
                 KERN_SUCCESS);
    /* 3100 kernel-chosen names: 1..2999, then 3001..3101, skipping 3000 (in the tree). */
    for (mach_port_name_t i = 1; i <= 3100; i++)
        assert_int_equal(alloc_rcv_in(fx, t), i < 3000 ? i : i + 1); /* rule N3 */
    mach_port_type_t type;
    for (size_t i = 0; i < 3; i++) {
        check_kr(mk_mach_port_type(fx->th, t, far[i], &type), KERN_SUCCESS);
        assert_int_equal(type, MACH_PORT_TYPE_RECEIVE);
    }
    check_kr(mk_mach_port_type(fx->th, t, 0x7fff0001, &type), KERN_INVALID_NAME);
    /* Destroy the far one past 2^16 and 3000: 3000 comes back first only through the free list
     * (most recent first), then the lowest key. */
    check_kr(mk_mach_port_destroy(fx->th, t, 0x12345), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, t, 3000), KERN_SUCCESS);
    assert_int_equal(alloc_rcv_in(fx, t), 3000);   /* rule N3: free list, most recent first */
    assert_int_equal(alloc_rcv_in(fx, t), 0x12345); /* rule N3: free list */
    assert_int_equal(alloc_rcv_in(fx, t), 3102);    /* rule N3: lowest key */
    mach_port_name_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t count;
    check_kr(mk_mach_port_names(fx->th, t, &names, &types, &count), KERN_SUCCESS);
    assert_int_equal(count, 3100 + 3 + 1);
    for (mach_msg_type_number_t i = 1; i < count; i++)
        assert_true(names[i - 1] < names[i]); /* rule L2 */
    assert_int_equal(names[count - 1], 0x7fff0000);
    assert_int_equal(names[count - 2], 0x12345);
    free(names);
    free(types);
    check_model_clean(fx->w);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_N3_reuse_sequence),
        FX_TEST(test_N1_no_generations),
        FX_TEST(test_N3_free_list_limit),
        FX_TEST(test_N3_chosen_name_on_free_list),
        FX_TEST(test_N3_failed_insert_frees_name),
        FX_TEST(test_N2_reserved_names),
        FX_TEST(test_N4_errors),
        FX_TEST(test_L2_many_names_sorted),
        FX_TEST(test_N3_far_chosen_names),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
