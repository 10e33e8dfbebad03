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
    check_error("forksim-scenario 1\nseed 18446744073709551616\n", 2, "seed N"); /* 2^64 */
    check_error("forksim-scenario 1\npolicy fastest\n", 2, "policy");
    check_error("forksim-scenario 1\nhave ferret r\n", 2, "unknown right 'ferret'");
    check_error("forksim-scenario 1\nhave send 9x\n", 2, "NAME is a label");
    check_error("forksim-scenario 1\nhave send a urefs 65535\n", 2, "urefs must be 1 to 65534");
    check_error("forksim-scenario 1\nhave dead-name a urefs 0\n", 2, "urefs must be 1 to 65535");
    check_error("forksim-scenario 1\nhave send a\nhave receive a\n", 3, "label 'a' already used on line 2");
    check_error("forksim-scenario 1\nchild fork\n", 2, "only the parent forks");
    check_error("forksim-scenario 1\nparent exit 300\n", 2, "exit N: N from 0 to 255");
    /* issue 12: 8388608 << 8 overflowed an int in the runner (undefined behaviour) */
    check_error("forksim-scenario 1\nparent wait -> status 8388608\n", 2, "wait -> status N: N is the exit status, from 0 to 255");
    check_error("forksim-scenario 1\nparent wait -> status -1\n", 2, "from 0 to 255");
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

/* Loads text and runs it; the caller frees with run_done. */
static run_result *run_text(const char *text, const run_options *o)
{
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    if (scenario_load(write_file(text), s, err, sizeof err) != 0)
        fail_msg("%s", err);
    run_result *r = calloc(1, sizeof *r);
    run_options none = {0};
    assert_int_equal(run_scenario(s, o != NULL ? o : &none, r), 0);
    free(s);
    unlink(path);
    return r;
}

static void run_done(run_result *r)
{
    run_result_free(r);
    free(r);
}

/* Issue 12: an "at rpc N insert" actor that fires after the parent ended (here the parent
 * aborted: mach_port_names failed) must find no child to insert into, not read the freed
 * parent (the sanitizer build caught the read). */
static void test_insert_after_parent_ended(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "fork glibc\n"
                             "have send s urefs 2\n"
                             "fault rpc 1 routine mach_port_names routine-fails 5\n"
                             "at rpc 20 insert s into child other\n"
                             "parent fork\n"
                             "expect verdict abort\n", NULL);
    assert_non_null(strstr(r->trace, "# actor: no child to insert s into"));
    assert_int_equal(r->verdict, VERDICT_ABORT);
    assert_int_equal(r->invariant_violations, 0);
    assert_int_equal(r->leaked, 0);
    run_done(r);
}

/* Issue 12: a thread whose code returned without ending its kernel thread (a process's
 * task_terminate at exit fails) leaves a live thread port; describing it (--stop-at just
 * after) must not read the freed simulated thread. The step and the task are those of the
 * failed task_terminate, read from the trace of the same run without --stop-at. */
static void test_thread_port_outlives_thread(void **state)
{
    (void)state;
    const char *text = "forksim-scenario 1\n"
                       "fork glibc\n"
                       "parent fork\n"
                       "child exit 0\n"
                       "fault rpc 1 routine task_terminate routine-fails 5\n";
    run_result *r = run_text(text, NULL);
    const char *at = strstr(r->trace, " trap task_terminate(1) = KERN_FAILURE");
    assert_non_null(at);
    while (at > r->trace && at[-1] != '\n')
        at--;
    unsigned long step;
    int task, thread;
    assert_int_equal(sscanf(at, "%lu t%d.%d", &step, &task, &thread), 3);
    run_done(r);
    run_options o = {.stop_at = step + 1};
    r = run_text(text, &o);
    assert_true(r->stopped);
    const run_space *sp = r->parent.task == task ? &r->parent : &r->child;
    assert_int_equal(sp->task, task);
    char want[48];
    snprintf(want, sizeof want, "ended thread of task %d", task);
    bool found = false;
    for (size_t i = 0; i < sp->n; i++)
        found |= strcmp(sp->names[i].label, "thread-self") == 0 && strcmp(sp->names[i].denotes, want) == 0;
    if (!found)
        fail_msg("task %d's thread-self does not denote \"%s\"", task, want);
    run_done(r);
}

/* A scenario text built line by line (the limit tests are too long to write out). */
static char *text_new(void)
{
    char *t = calloc(1, 1 << 20);
    assert_non_null(t);
    strcpy(t, "forksim-scenario 1\n");
    return t;
}

static void text_add(char *t, const char *fmt, int i)
{
    size_t n = strlen(t);
    snprintf(t + n, (1 << 20) - n, fmt, i);
}

/* Issue 12, item 5: as many forks as a scenario may have steps, with no table of a server
 * ending the run as "unmodelled" (the term server's ctty table ended it after about 20, the
 * proc server's process table after about 125). Every fork makes its child. */
static void test_many_forks_meet_no_fixed_table(void **state)
{
    (void)state;
    char *t = text_new();
    int forks = SCN_MAX_STEPS - 1;
    for (int i = 0; i < forks; i++)
        text_add(t, "parent fork -> ok\n", i);
    text_add(t, "child exit 0\n", 0);
    run_result *r = run_text(t, NULL);
    free(t);
    assert_int_equal(r->verdict, VERDICT_OK);
    int made = 0; /* each fork makes its child a process with one proc_child */
    for (const char *p = r->trace; (p = strstr(p, " proc_child(")) != NULL; p++)
        made++;
    assert_int_equal(made, forks);
    assert_int_equal(r->invariant_violations, 0);
    assert_int_equal(r->leaked, 0);
    run_done(r);
}

/* Issue 12, item 5: as many extra threads as a scenario may have have lines (fork suspends
 * them all: the list of a task's threads was 64 long). */
static void test_many_threads_meet_no_fixed_table(void **state)
{
    (void)state;
    char *t = text_new();
    for (int i = 0; i < SCN_MAX_ITEMS; i++)
        text_add(t, "have thread\n", i);
    text_add(t, "parent fork -> ok\nchild exit 0\nparent wait -> status 0\n", 0);
    run_result *r = run_text(t, NULL);
    free(t);
    assert_int_equal(r->verdict, VERDICT_OK);
    assert_true(r->expected);
    run_done(r);
}

/* Every label a scenario can define is kept: one per have line and one per rpc step that
 * names a new right (the runner's table dropped those past 320 silently). */
static void test_every_label_is_kept(void **state)
{
    (void)state;
    char *t = text_new();
    for (int i = 0; i < SCN_MAX_ITEMS; i++)
        text_add(t, "have dead-name d%d\n", i);
    for (int i = 0; i < SCN_MAX_STEPS; i++)
        text_add(t, "parent rpc mach_port_allocate DEAD_NAME x%d\n", i);
    text_add(t, "expect parent d0 DEAD_NAME\n", 0);
    text_add(t, "expect parent x%d DEAD_NAME\n", SCN_MAX_STEPS - 1);
    run_result *r = run_text(t, NULL);
    free(t);
    for (size_t i = 0; i < r->nmessages; i++)
        print_message("%s\n", r->messages[i]);
    assert_true(r->expected);
    run_done(r);
}

/* Issue 12: an unmodelled call (here: a process whose own task_terminate fails after an
 * abort) ends the run, not the program: the run comes back with the verdict "unmodelled",
 * never expected, its reason kept, and the simulation closed (it exited with all of it held,
 * which LeakSanitizer reported). */
static void test_unmodelled_ends_the_run_not_the_program(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "fork glibc\n"
                             "fault rpc 1 routine mach_port_names routine-fails 5\n"
                             "fault rpc 1 routine task_terminate routine-fails 5\n"
                             "parent fork\n", NULL);
    assert_int_equal(r->verdict, VERDICT_UNMODELLED);
    assert_false(r->expected);
    assert_non_null(strstr(r->unmodelled, "unmodelled: a simulated process survived its own task_terminate"));
    assert_non_null(strstr(r->trace, "# stopped: unmodelled: "));
    run_done(r);
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
        cmocka_unit_test(test_insert_after_parent_ended),
        cmocka_unit_test(test_thread_port_outlives_thread),
        cmocka_unit_test(test_many_forks_meet_no_fixed_table),
        cmocka_unit_test(test_many_threads_meet_no_fixed_table),
        cmocka_unit_test(test_every_label_is_kept),
        cmocka_unit_test(test_unmodelled_ends_the_run_not_the_program),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
