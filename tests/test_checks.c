/*
 * test_checks.c: the checks other tests rely on, each fed a planted defect and shown to fail
 * (issue 12, item 3: "checks that see").
 *
 * - testlib's "nothing changed" check (check_snapshot_same) compares whole name spaces: a name
 *   far above 4095 that changes, appears or disappears is a difference, and it says which.
 * - `expect child copies-parent` fails on a name the child has that the parent did not (here
 *   another actor puts one into the child during the fork, under a name the parent gave up
 *   before it), names it, and counts the differences; the same scenario without the planted
 *   name passes, so the check is not one that always fails.
 */
#include "runner.h"
#include "testlib.h"
#include "testlib_run.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --- check_snapshot_same ------------------------------------------------------------------ */

/* A name above every name the old scan looked at (1..4095) changes: the snapshots differ, and
 * the difference names it. */
static void test_snapshot_sees_far_names(void **state)
{
    fx_t *fx = *state;
    const mach_port_name_t far = 0x12345;
    check_kr(mk_mach_port_allocate_name(fx->th, fx->self, MACH_PORT_RIGHT_RECEIVE, far),
             KERN_SUCCESS);
    snapshot_t *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    assert_non_null(before);
    assert_non_null(after);
    snapshot_take(fx->task, before);
    snapshot_take(fx->task, after);
    char why[1024];
    assert_int_equal(snapshot_diff(before, after, why, sizeof why), 0);

    /* planted: a send right made under the far name */
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, far, far, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    snapshot_take(fx->task, after);
    assert_int_equal(snapshot_diff(before, after, why, sizeof why), 1);
    assert_non_null(strstr(why, "name 0x12345: SEND|RECEIVE urefs 1"));

    /* planted: a new name even farther away */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, far, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
    check_kr(mk_mach_port_allocate_name(fx->th, fx->self, MACH_PORT_RIGHT_DEAD_NAME, 0x7fff0000),
             KERN_SUCCESS);
    snapshot_take(fx->task, after);
    assert_int_equal(snapshot_diff(before, after, why, sizeof why), 1);
    assert_non_null(strstr(why, "name 0x7fff0000: DEAD_NAME urefs 1 port 0, was unused"));

    /* planted: the far name gone */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, 0x7fff0000, MACH_PORT_RIGHT_DEAD_NAME, -1),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, far, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
    snapshot_take(fx->task, after);
    assert_int_equal(snapshot_diff(before, after, why, sizeof why), 1);
    assert_non_null(strstr(why, "name 0x12345: unused, was RECEIVE"));
    free(before);
    free(after);
}

/* --- expect child copies-parent ------------------------------------------------------------ */

/* The parent gives up s before fork; another actor puts a send right under s into the child
 * during the fork (when `planted`). */
static const char extra_name_scenario[] =
    "forksim-scenario 1\n"
    "fork glibc\n"
    "have send s\n"
    "parent rpc mach_port_deallocate s\n"
    "%s"
    "parent fork -> ok\n"
    "child exit 0\n"
    "parent wait -> status 0\n"
    "expect child copies-parent\n"
    "expect verdict ok\n";

static void run_extra_name(bool planted, run_result *r)
{
    char text[1024];
    /* the insert lands after task_create: the 20th RPC after the set-up is well inside the
     * fork's copy loop for the default process (traces/name-exists.fsim uses the same) */
    snprintf(text, sizeof text, extra_name_scenario, planted ? "at rpc 20 insert s into child other\n" : "");
    scenario *s = test_scenario_text(text);
    run_options o = {0};
    memset(r, 0, sizeof *r);
    assert_int_equal(run_scenario(s, &o, r), 0);
    free(s);
}

static bool has_message(const run_result *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->nmessages; i++)
        if (strstr(r->messages[i], a) != NULL && (b == NULL || strstr(r->messages[i], b) != NULL))
            return true;
    return false;
}

static void test_copies_parent_sees_extra_names(void **state)
{
    (void)state;
    run_result *r = calloc(1, sizeof *r);
    assert_non_null(r);

    run_extra_name(false, r); /* control: nothing planted, the expectation holds */
    for (size_t i = 0; i < r->nmessages; i++)
        print_message("control: %s\n", r->messages[i]);
    assert_int_equal(r->failures, 0);
    assert_true(r->expected);
    run_result_free(r);

    run_extra_name(true, r);
    assert_false(r->expected);
    assert_int_equal(r->verdict, VERDICT_EXPECTATION_FAILED);
    assert_true(has_message(r, "(s): SEND, port of the peer: not in the parent", NULL));
    assert_true(has_message(r, "copies-parent: 1 name(s) differ", NULL));
    run_result_free(r);
    free(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_snapshot_sees_far_names),
        cmocka_unit_test(test_copies_parent_sees_extra_names),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
