/*
 * test_scenario.c: the scenario language (sim/cli/scenario.c) and the runner (runner.c):
 * every malformed file is refused with "file:line: what is wrong", and a scenario whose
 * expectation does not hold is reported as such, not passed.
 */
#include "runner.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static const char *write_file(const char *text)
{
    snprintf(path, sizeof path, "/tmp/forksim-scn-%d.fsim", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The error for text, checked to name the file and the line. */
static void check_error(const char *text, int line, const char *what)
{
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    assert_int_equal(scenario_load(write_file(text), s, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (strncmp(err, want, strlen(want)) != 0 || strstr(err, what) == NULL)
        fail_msg("for %s got \"%s\", wanted \"%s...%s\"", text, err, want, what);
    free(s);
    unlink(path);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    check_error("", 1, "first line must be 'forksim-scenario 1'");
    check_error("forksim-scenario 2\n", 1, "first line");
    check_error("forksim-scenario 1\nfork musl\n", 2, "fork glibc or fork glibc-ndebug");
    check_error("forksim-scenario 1\n\n# c\nseed x\n", 4, "seed N");
    check_error("forksim-scenario 1\npolicy fastest\n", 2, "policy");
    check_error("forksim-scenario 1\nhave ferret r\n", 2, "unknown right 'ferret'");
    check_error("forksim-scenario 1\nhave send 9x\n", 2, "NAME is a label");
    check_error("forksim-scenario 1\nhave send a urefs 65535\n", 2, "urefs must be 1 to 65534");
    check_error("forksim-scenario 1\nhave dead-name a urefs 0\n", 2, "urefs must be 1 to 65535");
    check_error("forksim-scenario 1\nhave send a\nhave receive a\n", 3, "label 'a' already used on line 2");
    check_error("forksim-scenario 1\nchild fork\n", 2, "only the parent forks");
    check_error("forksim-scenario 1\nparent exit 300\n", 2, "exit N: N from 0 to 255");
    check_error("forksim-scenario 1\nparent rpc mach_port_frob x\n", 2, "unknown routine 'mach_port_frob'");
    check_error("forksim-scenario 1\nparent rpc mach_port_deallocate 5 -> KERN_NONSENSE\n", 2,
                "unknown return code 'KERN_NONSENSE'");
    check_error("forksim-scenario 1\nexpect child a SENDISH\n", 2, "unknown type 'SENDISH'");
    check_error("forksim-scenario 1\nexpect verdict great\n", 2, "expect verdict");
    check_error("forksim-scenario 1\nfault rpc 0 send-fails\n", 2, "fault rpc N");
    check_error("forksim-scenario 1\nfault rpc 3 routine-fails KERN_WHAT\n", 2, "unknown return code");
    check_error("forksim-scenario 1\nat rpc 2 explode a\n", 2, "at rpc N destroy NAME");
    check_error("forksim-scenario 1\nfrobnicate\n", 2, "unknown directive 'frobnicate'");
    /* rpc arguments are checked when the file is read, not when the step runs */
    check_error("forksim-scenario 1\nparent rpc mach_port_mod_refs r BOGUS 9\n", 2, "is not a right");
    check_error("forksim-scenario 1\nparent rpc mach_port_insert_right r r NOTADISP\n", 2,
                "is not a disposition");
    check_error("forksim-scenario 1\nparent rpc mach_port_mod_refs\n", 2, "takes 3 arguments");
    check_error("forksim-scenario 1\nparent rpc mach_port_mod_refs r SEND 5abc\n", 2, "is not a number");
    check_error("forksim-scenario 1\nparent rpc mach_port_deallocate a -> KERN_INVALID_NAME junk\n", 2,
                "'->' must be followed by exactly one result");
    check_error("forksim-scenario 1\nparent fork -> error x\n", 2, "unknown error code 'x'");
    check_error("forksim-scenario 1\nparent fork -> error EIO extra\n", 2, "'->' must be followed");
    check_error("forksim-scenario 1\nseed -1\n", 2, "seed N");
    check_error("forksim-scenario 1\nfault rpc 1 routine task_creat send-fails\n", 2,
                "unknown routine 'task_creat'");
    check_error("forksim-scenario 1\nhave send a b c d e f g h i j k l m\n", 2, "too many words");
    /* the ports array (PR rules): 0 to 5 names to register, 1 to 4 labels for the slots */
    check_error("forksim-scenario 1\nparent rpc mach_ports_register a b c d e f\n", 2,
                "takes 0 to 5 names");
    check_error("forksim-scenario 1\nparent rpc mach_ports_register a -x\n", 2,
                "argument 2 '-x' is not a name");
    check_error("forksim-scenario 1\nchild rpc mach_ports_lookup\n", 2, "takes 1 to 4 labels");
    check_error("forksim-scenario 1\nchild rpc mach_ports_lookup a b c d e\n", 2, "takes 1 to 4 labels");
    check_error("forksim-scenario 1\nchild rpc mach_ports_lookup a 5\n", 2, "argument 2 '5' is not a label");
    check_error("forksim-scenario 1\nchild rpc mach_ports_lookup a in -\n", 2, "'in -': a task's name");
}

/* A title ends at its comment, as every line does. */
static void test_title_comment(void **state)
{
    (void)state;
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\ntitle  Hello world   # a comment\n"),
                                   s, err, sizeof err), 0);
    assert_string_equal(s->title, "Hello world");
    unlink(path);
    free(s);
}

/* A fork expected to fail that succeeds, and a fault that never fires, fail the run. */
static void test_unmet_step_expectations_fail(void **state)
{
    (void)state;
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    run_options o = {0};
    run_result *r = calloc(1, sizeof *r);
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\nparent fork -> error\nchild exit 0\n"),
                                   s, err, sizeof err), 0);
    assert_int_equal(run_scenario(s, &o, r), 0);
    assert_false(r->expected);
    assert_int_equal(r->failures, 1);
    run_result_free(r);
    memset(r, 0, sizeof *r);
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\nfault rpc 99999 send-fails\n"
                                              "parent fork -> ok\nchild exit 0\n"),
                                   s, err, sizeof err), 0);
    assert_int_equal(run_scenario(s, &o, r), 0);
    assert_false(r->expected);
    bool said = false;
    for (size_t i = 0; i < r->nmessages; i++)
        said |= strstr(r->messages[i], "never fired") != NULL;
    assert_true(said);
    run_result_free(r);
    unlink(path);
    free(r);
    free(s);
}

static void test_codes_and_types_parse(void **state)
{
    (void)state;
    kern_return_t c;
    assert_true(scn_code_parse("KERN_UREFS_OVERFLOW", &c));
    assert_int_equal(c, KERN_UREFS_OVERFLOW);
    assert_true(scn_code_parse("MACH_SEND_INVALID_DEST", &c));
    assert_int_equal(c, MACH_SEND_INVALID_DEST);
    assert_true(scn_code_parse("MIG_SERVER_DIED", &c));
    assert_int_equal(c, MIG_SERVER_DIED);
    assert_true(scn_code_parse("ESRCH", &c));
    assert_int_equal(c, 0x40000003);
    assert_true(scn_code_parse("19", &c));
    assert_int_equal(c, 19);
    mach_port_type_t t;
    assert_true(scn_type_parse("SEND|RECEIVE", &t));
    assert_int_equal(t, MACH_PORT_TYPE_SEND_RECEIVE);
    assert_false(scn_type_parse("SEND|DEAD", &t));
}

/* A label used before it is defined is bad input, found before anything runs. */
static void test_undefined_label_refused_before_running(void **state)
{
    (void)state;
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\nparent rpc mach_port_deallocate ghost\n"),
                                   s, err, sizeof err), 0);
    run_result *r = calloc(1, sizeof *r);
    run_options o = {0};
    assert_int_equal(run_scenario(s, &o, r), -1);
    assert_non_null(strstr(r->messages[0], ":2: 'ghost' is not defined above"));
    unlink(path);
    free(r);
    free(s);
}

/* The runner reports an expectation that does not hold: the verdict and expected flag say so,
 * and the message names the line, the name, expected and got. */
static void test_failed_expectation_is_reported(void **state)
{
    (void)state;
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\n"
                                              "have dead-name d urefs 3\n"
                                              "parent fork -> ok\n"
                                              "child exit 0\n"
                                              "parent wait -> status 0\n"
                                              "expect child d DEAD_NAME urefs 3\n"),
                                   s, err, sizeof err), 0);
    run_result *r = calloc(1, sizeof *r);
    run_options o = {0};
    assert_int_equal(run_scenario(s, &o, r), 0);
    assert_false(r->expected);
    assert_int_equal(r->verdict, VERDICT_EXPECTATION_FAILED);
    bool found = false;
    for (size_t i = 0; i < r->nmessages; i++)
        found |= strstr(r->messages[i], ":6: child name") != NULL &&
                 strstr(r->messages[i], "expected DEAD_NAME urefs 3, got DEAD_NAME urefs 1") != NULL;
    assert_true(found); /* finding F2: the dead name arrives with 1 uref */
    assert_int_equal(r->invariant_violations, 0);
    assert_int_equal(r->leaked, 0);
    run_result_free(r);
    unlink(path);
    free(r);
    free(s);
}

/* Raw RPC steps check their result (record case 1's old sequence at the RPC level: a send
 * right at 65534 urefs cannot take one more). */
static void test_rpc_step_results(void **state)
{
    (void)state;
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\n"
                                              "have send s urefs 65534\n"
                                              "parent rpc mach_port_mod_refs s SEND 1 -> KERN_UREFS_OVERFLOW\n"
                                              "parent rpc mach_port_mod_refs s SEND 1 -> KERN_SUCCESS\n"),
                                   s, err, sizeof err), 0);
    run_result *r = calloc(1, sizeof *r);
    run_options o = {0};
    assert_int_equal(run_scenario(s, &o, r), 0);
    assert_false(r->expected); /* the second step's expectation is wrong on purpose */
    assert_int_equal(r->nmessages, 1);
    assert_non_null(strstr(r->messages[0], ":4: rpc mach_port_mod_refs: expected KERN_SUCCESS, got KERN_UREFS_OVERFLOW"));
    run_result_free(r);
    unlink(path);
    free(r);
    free(s);
}

/* mach_ports_register and mach_ports_lookup as steps: the lookup's labels are defined for the
 * expectations, and a step that names fewer slots than TASK_PORT_REGISTER_MAX is reported. The
 * child's lookup of the registered s merges into the name fork gave it (PR5, PR7): 1 + 1. */
static void test_ports_array_steps(void **state)
{
    (void)state;
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    assert_int_equal(scenario_load(write_file("forksim-scenario 1\n"
                                              "have send s\n"
                                              "parent rpc mach_ports_register s MACH_PORT_NULL -> KERN_SUCCESS\n"
                                              "parent fork -> ok\n"
                                              "child rpc mach_ports_lookup c0 c1 c2 -> KERN_SUCCESS\n"
                                              "child exit 0\n"
                                              "parent wait -> status 0\n"
                                              "expect child c0 SEND urefs 2\n"
                                              "expect parent s SEND urefs 1\n"),
                                   s, err, sizeof err), 0);
    run_result *r = calloc(1, sizeof *r);
    run_options o = {0};
    assert_int_equal(run_scenario(s, &o, r), 0);
    assert_false(r->expected);
    assert_int_equal(r->nmessages, 1); /* rules PR5 PR7: both expectations hold */
    char want[96];
    snprintf(want, sizeof want, ":5: rpc mach_ports_lookup: %d slots returned, the step names 3",
             TASK_PORT_REGISTER_MAX);
    assert_non_null(strstr(r->messages[0], want)); /* rule PR5 */
    run_result_free(r);
    unlink(path);
    free(r);
    free(s);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_codes_and_types_parse),
        cmocka_unit_test(test_title_comment),
        cmocka_unit_test(test_unmet_step_expectations_fail),
        cmocka_unit_test(test_undefined_label_refused_before_running),
        cmocka_unit_test(test_failed_expectation_is_reported),
        cmocka_unit_test(test_rpc_step_results),
        cmocka_unit_test(test_ports_array_steps),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
