/*
 * test_copy_names.c: task_copy_names, forksim's own kernel call (model/task_copy_names.c), and
 * `fork ours`, the fork that uses it (forkimpl/fork_ours.c); issue 13, item 5.
 *
 * Oracles: the rules of docs/fork-ours-rules.md (TC1-TC8), each derived from the GNU Mach
 * routines the call composes, and the spec's rules they lean on (M6 for an unknown id, D3 for
 * lazy conversion, T3, T4, M8). Each expected value below is what those rules say for the
 * input the test builds (urefs given to a right, names made), never a figure a run printed.
 * Every model test ends in fx_teardown: model_check clean, no object leaked.
 */
#include "testlib.h"
#include "testlib_run.h"

#include <stdio.h>
#include <string.h>

/* The fixture's world with the option (world fork-ours), and a target task: the caller (the
 * fixture's thread) names it dst. */
typedef struct cn {
    fx_t fx;
    kthread_t *dst_th;
    mach_port_name_t dst;       /* the fixture task's name for the target task */
    ktask_t *dst_task;
    mach_port_name_t peer;      /* the fixture task's name for a third task (ports' receiver) */
} cn_t;

static int setup_opt(void **state, bool copy_names)
{
    cn_t *c = calloc(1, sizeof *c);
    world_config_t cfg = {.copy_names = copy_names};
    c->fx.w = world_create(&cfg);
    c->fx.task = world_boot_task(c->fx.w, NULL);
    c->fx.th = world_boot_thread(c->fx.task);
    c->fx.self = mk_mach_task_self(c->fx.th);
    c->dst_th = fx_new_task(&c->fx, NULL, &c->dst);
    c->dst_task = kthread_task(c->dst_th);
    fx_new_task(&c->fx, NULL, &c->peer);
    *state = c;
    return 0;
}
static int cn_setup(void **state) { return setup_opt(state, true); }
static int cn_setup_without(void **state) { return setup_opt(state, false); }
static int cn_teardown(void **state)
{
    cn_t *c = *state;
    fx_t *fx = malloc(sizeof *fx);
    *fx = c->fx;
    free(c);
    *state = fx;
    return fx_teardown(state);
}
#define CN_TEST(fn) cmocka_unit_test_setup_teardown(fn, cn_setup, cn_teardown)

static kern_return_t copy1(cn_t *c, mach_port_name_t name, mach_port_name_t source,
                           kern_return_t *result)
{
    return mk_task_copy_names(c->fx.th, c->fx.self, c->dst, &name, &source, 1, result);
}

/* --- TC1: the request ------------------------------------------------------------------------- */

static void test_TC1_without_option_mig_bad_id(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    uint32_t dst_port = port_of(fx->task, c->dst);
    unsigned srights = port_info(fx->w, dst_port).srights;
    snapshot_t src_before, dst_before;
    snapshot_take(fx->task, &src_before);
    snapshot_take(c->dst_task, &dst_before);
    kern_return_t res = KERN_FAILURE;
    check_kr(copy1(c, s, MACH_PORT_NULL, &res), MIG_BAD_ID); /* rule TC1 */ /* rule M6 */
    assert_int_equal(res, KERN_FAILURE); /* rule TC1: no name tried */
    check_snapshot_same(fx->task, &src_before);      /* rule TC1 */
    check_snapshot_same(c->dst_task, &dst_before);   /* rule TC1 */
    /* the carried dst_task copy went with the request */
    assert_int_equal(port_info(fx->w, dst_port).srights, srights); /* rule TC1 */
    /* the order: a bad destination is still the send's failure, before the id is looked at */
    check_kr(mk_task_copy_names(fx->th, 0x7777, c->dst, &s, NULL, 1, &res),
             MACH_SEND_INVALID_DEST); /* rule TC1 */
}

static void test_TC1_check_order(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    mach_port_name_t notask = remote_send(fx, c->peer, NULL);
    kern_return_t res = KERN_FAILURE;
    /* 1: the destination */
    check_kr(mk_task_copy_names(fx->th, 0x7777, 0x7778, &s, NULL, 1, &res),
             MACH_SEND_INVALID_DEST); /* rule TC1 */
    /* 2: the carried dst_task right */
    check_kr(mk_task_copy_names(fx->th, fx->self, 0x7778, &s, NULL, 1, &res),
             MACH_SEND_INVALID_RIGHT); /* rule TC1 */
    /* 4 before 5: src not a task, dst not a task either */
    check_kr(mk_task_copy_names(fx->th, notask, notask, &s, NULL, 1, &res),
             KERN_INVALID_TASK); /* rule TC1 */
    check_kr(mk_task_copy_names(fx->th, fx->self, notask, &s, NULL, 1, &res),
             KERN_INVALID_TASK); /* rule TC1 */
    assert_int_equal(res, KERN_FAILURE);
    check_no_name(c->dst_task, s);
    /* 6: success with every name tried */
    check_kr(copy1(c, s, MACH_PORT_NULL, &res), KERN_SUCCESS); /* rule TC1 */
    check_kr(res, KERN_SUCCESS);
}

static void test_TC1_dead_target_task(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    check_kr(mk_task_terminate(fx->th, c->dst), KERN_SUCCESS);
    kern_return_t res = KERN_FAILURE;
    check_kr(copy1(c, s, MACH_PORT_NULL, &res), KERN_INVALID_TASK); /* rule TC1 */
}

/* --- TC2: each name, in order ------------------------------------------------------------------- */

static void test_TC2_name_check_order(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t r = alloc_rcv(fx);
    mach_port_name_t so = make_send_once(fx, r);
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    mach_port_name_t names[] = {MACH_PORT_NULL, MACH_PORT_DEAD, s, 0x5000, so};
    mach_port_name_t sources[] = {0, 0, MACH_PORT_DEAD, 0, 0};
    kern_return_t res[5];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, sources, 5, res), KERN_SUCCESS);
    check_kr(res[0], KERN_INVALID_VALUE); /* rule TC2 */
    check_kr(res[1], KERN_INVALID_VALUE); /* rule TC2 */
    check_kr(res[2], KERN_INVALID_VALUE); /* rule TC2: a DEAD source */
    check_kr(res[3], KERN_INVALID_NAME);  /* rule TC2 */
    check_kr(res[4], KERN_INVALID_RIGHT); /* rule TC2 */ /* rule TC5 */
    check_no_name(c->dst_task, s);
    check_no_name(c->dst_task, so);
}

static void test_TC2_name_in_use_in_target(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
    /* the same port already under that name in the target: no merge (unlike I3) */
    check_kr(mk_mach_port_insert_right(fx->th, c->dst, s, s, MACH_MSG_TYPE_COPY_SEND),
             KERN_SUCCESS);
    /* another name, a dead name, in use in the target */
    mach_port_name_t d;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &d), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate_name(fx->th, c->dst, MACH_PORT_RIGHT_RECEIVE, d), KERN_SUCCESS);
    snapshot_t before;
    snapshot_take(c->dst_task, &before);
    mach_port_name_t names[] = {s, d};
    kern_return_t res[2];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, NULL, 2, res), KERN_SUCCESS);
    check_kr(res[0], KERN_NAME_EXISTS); /* rule TC2 */
    check_kr(res[1], KERN_NAME_EXISTS); /* rule TC2 */
    check_snapshot_same(c->dst_task, &before); /* rule TC2: nothing done for them */
    check_name(c->dst_task, s, MACH_PORT_TYPE_SEND, 1); /* rule TC2: 1 uref, not 1 + 2 */
}

static void test_TC2_right_exists(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    /* the target names s's port under another name already (T3) */
    mach_port_name_t other = s + 100;
    check_kr(mk_mach_port_insert_right(fx->th, c->dst, other, s, MACH_MSG_TYPE_COPY_SEND),
             KERN_SUCCESS);
    kern_return_t res = KERN_FAILURE;
    check_kr(copy1(c, s, MACH_PORT_NULL, &res), KERN_SUCCESS);
    check_kr(res, KERN_RIGHT_EXISTS); /* rule TC2 */
    check_no_name(c->dst_task, s);
}

/* --- TC3: dead ports ---------------------------------------------------------------------------- */

static void test_TC3_dead_port_and_dead_names(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t rcv;
    mach_port_name_t s = remote_send(fx, c->peer, &rcv);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, c->peer, rcv), KERN_SUCCESS); /* s's port dies */
    mach_port_name_t d;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, &d), KERN_SUCCESS);
    /* a dead name at the dead-name limit (T4: 65535) */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, d, MACH_PORT_RIGHT_DEAD_NAME,
                                   (mach_port_delta_t)(MACH_PORT_UREFS_MAX - 1)),
             KERN_SUCCESS);
    mach_port_name_t names[] = {s, d};
    kern_return_t res[2];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, NULL, 2, res), KERN_SUCCESS);
    check_kr(res[0], KERN_SUCCESS);
    check_kr(res[1], KERN_SUCCESS);
    check_name(fx->task, s, MACH_PORT_TYPE_DEAD_NAME, 3);    /* rule TC3: converted, stays */
    check_name(c->dst_task, s, MACH_PORT_TYPE_DEAD_NAME, 3); /* rule TC3 */
    check_name(c->dst_task, d, MACH_PORT_TYPE_DEAD_NAME, MACH_PORT_UREFS_MAX); /* rule TC3 */
}

static void test_TC3_death_after_the_call(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t rcv;
    mach_port_name_t s = remote_send(fx, c->peer, &rcv);
    kern_return_t res = KERN_FAILURE;
    check_kr(copy1(c, s, MACH_PORT_NULL, &res), KERN_SUCCESS);
    check_kr(res, KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, c->peer, rcv), KERN_SUCCESS);
    /* the child's right converts as any other (D3) */
    mach_port_type_t type = 0;
    check_kr(mk_mach_port_type(c->dst_th, mk_mach_task_self(c->dst_th), s, &type), KERN_SUCCESS);
    assert_int_equal(type & ~MACH_PORT_TYPE_DNREQUEST, MACH_PORT_TYPE_DEAD_NAME); /* rule TC3 */
}

/* --- TC4: another right's port under a name ----------------------------------------------------- */

static void test_TC4_source(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND, 3), KERN_SUCCESS);
    mach_port_name_t x = remote_send(fx, c->peer, NULL);
    mach_port_name_t r = alloc_rcv_send(fx);
    mach_port_name_t ronly = alloc_rcv(fx);
    mach_port_name_t names[] = {s, r, s, s};
    mach_port_name_t sources[] = {x, x, 0x6000, ronly};
    kern_return_t res[4];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, sources, 1, res), KERN_SUCCESS);
    check_kr(res[0], KERN_SUCCESS);
    check_name(c->dst_task, s, MACH_PORT_TYPE_SEND, 4); /* rule TC4: s's urefs */
    assert_int_equal(port_of(c->dst_task, s), port_of(fx->task, x)); /* rule TC4: x's port */
    check_name(fx->task, s, MACH_PORT_TYPE_SEND, 4);
    /* the failures, on a fresh target name each time */
    check_kr(mk_mach_port_destroy(fx->th, c->dst, s), KERN_SUCCESS);
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names + 1, sources + 1, 3, res),
             KERN_SUCCESS);
    check_kr(res[0], KERN_INVALID_RIGHT); /* rule TC4: a receive right under the name */
    check_kr(res[1], KERN_INVALID_NAME);  /* rule TC4: the source unused */
    check_kr(res[2], KERN_INVALID_RIGHT); /* rule TC4: the source a receive right */
    check_no_name(c->dst_task, s);
    check_no_name(c->dst_task, r);
}

/* --- TC6: what each kind becomes ---------------------------------------------------------------- */

static void test_TC6_send_and_receive(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t s = remote_send(fx, c->peer, NULL);
    /* pegged: the send limit (T4) */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, s, MACH_PORT_RIGHT_SEND,
                                   (mach_port_delta_t)(MACH_PORT_UREFS_MAX - 2)),
             KERN_SUCCESS);
    mach_port_name_t r = alloc_rcv_send(fx);
    make_send(fx, r);
    make_send(fx, r); /* 3 send urefs under r */
    mach_port_name_t ronly = alloc_rcv(fx);
    unsigned srights_s = port_info(fx->w, port_of(fx->task, s)).srights;
    mach_port_name_t names[] = {s, r, ronly};
    kern_return_t res[3];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, NULL, 3, res), KERN_SUCCESS);
    for (int i = 0; i < 3; i++)
        check_kr(res[i], KERN_SUCCESS);
    check_name(c->dst_task, s, MACH_PORT_TYPE_SEND, MACH_PORT_UREFS_MAX - 1); /* rule TC6 */
    assert_int_equal(port_of(c->dst_task, s), port_of(fx->task, s));          /* rule TC6 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, s)).srights, srights_s + 1); /* rule TC6 */
    check_name(c->dst_task, r, MACH_PORT_TYPE_SEND_RECEIVE, 3); /* rule TC6 */
    uint32_t newr = port_of(c->dst_task, r);
    assert_int_not_equal(newr, port_of(fx->task, r));           /* rule TC6: a new port */
    port_info_t pi = port_info(fx->w, newr);
    assert_int_equal(pi.mscount, 1);  /* rule TC6 */
    assert_int_equal(pi.srights, 1);  /* rule TC6 */
    check_name(c->dst_task, ronly, MACH_PORT_TYPE_RECEIVE, 0); /* rule TC6 */
}

static void test_TC6_port_sets(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    /* members named below and above their set, one member of a set not copied */
    mach_port_name_t below = alloc_rcv(fx);
    mach_port_name_t set, other_set;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_PORT_SET, &other_set),
             KERN_SUCCESS);
    mach_port_name_t above = alloc_rcv(fx);
    mach_port_name_t lone = alloc_rcv(fx);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, below, set), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, above, set), KERN_SUCCESS);
    check_kr(mk_mach_port_move_member(fx->th, fx->self, lone, other_set), KERN_SUCCESS);
    mach_port_name_t names[] = {below, set, above, lone};
    kern_return_t res[4];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, NULL, 4, res), KERN_SUCCESS);
    for (int i = 0; i < 4; i++)
        check_kr(res[i], KERN_SUCCESS);
    check_name(c->dst_task, set, MACH_PORT_TYPE_PORT_SET, 0); /* rule TC6 */
    check_no_name(c->dst_task, other_set);
    /* membership, by M8: removing a member succeeds, a port in no set says KERN_NOT_IN_SET */
    check_kr(mk_mach_port_move_member(fx->th, c->dst, below, MACH_PORT_NULL), KERN_SUCCESS); /* rule TC6 */
    check_kr(mk_mach_port_move_member(fx->th, c->dst, above, MACH_PORT_NULL), KERN_SUCCESS); /* rule TC6 */
    check_kr(mk_mach_port_move_member(fx->th, c->dst, lone, MACH_PORT_NULL), KERN_NOT_IN_SET); /* rule TC6 */
    /* the parent's own sets keep their members */
    check_kr(mk_mach_port_move_member(fx->th, fx->self, lone, MACH_PORT_NULL), KERN_SUCCESS);
}

/* --- TC7: one name's failure stops nothing ------------------------------------------------------ */

static void test_TC7_failures_stop_nothing(void **state)
{
    cn_t *c = *state;
    fx_t *fx = &c->fx;
    mach_port_name_t a = remote_send(fx, c->peer, NULL);
    mach_port_name_t b = remote_send(fx, c->peer, NULL);
    mach_port_name_t names[] = {a, 0x5000, b};
    kern_return_t res[3];
    check_kr(mk_task_copy_names(fx->th, fx->self, c->dst, names, NULL, 3, res), KERN_SUCCESS);
    check_kr(res[0], KERN_SUCCESS);
    check_kr(res[1], KERN_INVALID_NAME);
    check_kr(res[2], KERN_SUCCESS); /* rule TC7 */
    check_name(c->dst_task, a, MACH_PORT_TYPE_SEND, 1); /* rule TC7 */
    check_name(c->dst_task, b, MACH_PORT_TYPE_SEND, 1); /* rule TC7 */
}

/* --- TC8 and fork ours, through whole runs ------------------------------------------------------ */

static size_t count_lines(const char *trace, const char *what)
{
    size_t n = 0;
    for (const char *p = trace; p != NULL && (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

static void test_TC8_fork_ours_one_call_for_the_names(void **state)
{
    (void)state;
    /* names of every kind: have names K gives K of each of 7 kinds (README) */
    run_result *r = test_run_text("forksim-scenario 1\nfork ours\nhave names 5\n"
                                  "parent fork -> ok\nchild exit 0\nparent wait -> status 0\n"
                                  "expect child copies-parent\nexpect verdict ok\n",
                                  NULL);
    assert_int_equal(r->failures, 0);
    assert_int_equal(r->invariant_violations, 0);
    /* the scenario's steps: after the set-up's end note (the have lines make rights too) */
    const char *steps = strstr(r->trace, "set-up done");
    assert_non_null(steps);
    assert_int_equal(count_lines(steps, " task_copy_names("), 1); /* rule TC8 */
    assert_non_null(strstr(steps, " names) = KERN_SUCCESS"));    /* rule TC8 */
    /* no per-name calls into the child: glibc's loop's routines are not made */
    assert_int_equal(count_lines(steps, "mach_port_insert_right("), 0); /* rule TC8 */
    assert_int_equal(count_lines(steps, "mach_port_get_refs("), 0);     /* rule TC8 */
    test_run_done(r);
}

static void test_TC1_world_option_needed(void **state)
{
    (void)state;
    /* the world option is what the scenario language turns on with fork ours */
    scenario *s = test_scenario_text("forksim-scenario 1\nfork ours\nparent fork -> ok\n");
    assert_true(s->fork_ours);
    assert_true(s->copy_names); /* rule TC1 */
    free(s);
    s = test_scenario_text("forksim-scenario 1\nworld fork-ours\nparent fork -> ok\n");
    assert_false(s->fork_ours);
    assert_true(s->copy_names); /* rule TC1 */
    free(s);
    s = test_scenario_text("forksim-scenario 1\nparent fork -> ok\n");
    assert_false(s->copy_names); /* rule TC1 */
    free(s);
}

static void test_fork_ours_semantics_differ(void **state)
{
    (void)state;
    /* a dead name with 3 urefs and a port set: glibc gives 1 uref and no set (F2, F4) */
    run_result *r = test_run_text("forksim-scenario 1\nfork ours\nhave dead-name d urefs 3\n"
                                  "have port-set ps\nhave send-once so\nparent fork -> ok\n"
                                  "child exit 0\nparent wait -> status 0\n"
                                  "expect child d DEAD_NAME urefs 3\nexpect child ps PORT_SET\n"
                                  "expect child so absent\nexpect verdict ok\n",
                                  NULL);
    assert_int_equal(r->failures, 0);      /* rule TC3 */ /* rule TC5 */ /* rule TC6 */
    assert_int_equal(r->invariant_violations, 0);
    test_run_done(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_TC1_without_option_mig_bad_id, cn_setup_without,
                                        cn_teardown),
        CN_TEST(test_TC1_check_order),
        CN_TEST(test_TC1_dead_target_task),
        CN_TEST(test_TC2_name_check_order),
        CN_TEST(test_TC2_name_in_use_in_target),
        CN_TEST(test_TC2_right_exists),
        CN_TEST(test_TC3_dead_port_and_dead_names),
        CN_TEST(test_TC3_death_after_the_call),
        CN_TEST(test_TC4_source),
        CN_TEST(test_TC6_send_and_receive),
        CN_TEST(test_TC6_port_sets),
        CN_TEST(test_TC7_failures_stop_nothing),
        cmocka_unit_test(test_TC8_fork_ours_one_call_for_the_names),
        cmocka_unit_test(test_TC1_world_option_needed),
        cmocka_unit_test(test_fork_ours_semantics_differ),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
