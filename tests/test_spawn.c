/*
 * test_spawn.c: glibc's posix_spawn (sysdeps/mach/hurd/spawni.c, compiled unmodified; issue 13,
 * item 1) as a scenario's spawn step runs it.
 *
 * The oracle is spawni.c's own text (the file the build compiled, SPAWNI_C) and counts derived
 * from the scenario: which calls the parent makes and in which order is read from the text
 * (the statements below, found in it in that order), never from a run; how many lookups,
 * descriptors and releases follow from the file actions the scenario asks for; what the new
 * program is given follows from the attributes and from the branches of the text.
 */
#include "runner.h"
#include "scenario.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

#ifndef SPAWNI_C
#error the Makefile gives SPAWNI_C, the path of the spawni.c the build compiled
#endif

static char *spawni_text(void)
{
    FILE *f = fopen(SPAWNI_C, "r");
    if (f == NULL)
        fail_msg("cannot read %s", SPAWNI_C);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Where needle first occurs in text at or after from (fails the test if nowhere). */
static const char *find_after(const char *text, const char *from, const char *needle)
{
    const char *p = strstr(from, needle);
    if (p == NULL)
        fail_msg("spawni.c has no \"%s\" after offset %td", needle, from - text);
    return p;
}

/* The parent's calls of a spawn, in spawni.c's order: each statement of the text (in the
 * order it must be found in) with the routine its call makes. The lookups go through
 * child_lookup (hurdlookup.c's dir_lookup); the releases at "out:" are mach_port_deallocate
 * of the task, then auth, then proc, after the executable file's own. */
static const struct {
    const char *text, *routine;
} plain_order[] = {
    {"err = __task_create (__mach_task_self ()", "task_create"},
    {"__proc_task2pid (port, task, &new_pid)", "proc_task2pid"},
    {"__proc_task2proc (port, task, &proc)", "proc_task2proc"},
    {"__proc_child (port, task)", "proc_child"},
    {"(auth = port),", "mach_port_mod_refs"},
    {"err = child_lookup (relpath = file, O_EXEC, 0, &execfile)", "dir_lookup"},
    {"error_t err = __file_exec_paths", "file_exec_paths"},
    {"__mach_port_deallocate (__mach_task_self (), execfile);", "mach_port_deallocate"},
    {"__mach_port_deallocate (__mach_task_self (), task);", "mach_port_deallocate"},
    {"__mach_port_deallocate (__mach_task_self (), auth);", "mach_port_deallocate"},
    {"__mach_port_deallocate (__mach_task_self (), proc);", "mach_port_deallocate"},
};
#define NPLAIN (sizeof plain_order / sizeof plain_order[0])

static void load(const char *text, scenario *s)
{
    char err[1024];
    if (scenario_load_text("t.fsim", text, strlen(text), s, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* The routines of the parent's calls after the set-up (its trace lines), in order. */
static int parent_calls(const run_result *r, char routines[][40], int max)
{
    int n = 0;
    char who[32];
    /* the parent's task id, from the legend ("t7 the parent"): a stopped run has no spaces */
    const char *leg = strstr(r->legend, " the parent");
    assert_non_null(leg);
    while (leg > r->legend && leg[-1] != 't')
        leg--;
    snprintf(who, sizeof who, " t%d.", atoi(leg));
    const char *begin = r->trace != NULL ? strstr(r->trace, "# scenario: set-up done") : NULL;
    assert_non_null(begin);
    for (const char *l = begin; l != NULL && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *w = strstr(l, who);
        const char *eol = strchr(l, '\n');
        if (w == NULL || (eol != NULL && w > eol))
            continue;
        const char *p = strchr(w + 1, ' ') + 1;
        if (strncmp(p, "trap ", 5) == 0)
            p += 5;
        size_t k = strcspn(p, "(");
        if (n < max && k < 40) {
            memcpy(routines[n], p, k);
            routines[n][k] = '\0';
            n++;
        }
    }
    return n;
}

static run_result *run_text(const char *text)
{
    scenario *s = calloc(1, sizeof *s);
    load(text, s);
    run_result *r = calloc(1, sizeof *r);
    assert_int_equal(run_scenario(s, &(run_options){0}, r), 0);
    free(s);
    return r;
}

/* spawni.c makes the parent's calls of a plain spawn in the order of its text, and nothing
 * else before the wait. */
static void test_spawn_calls_in_source_order(void **state)
{
    (void)state;
    const char *text = spawni_text();
    const char *body = find_after(text, text, "__spawni (pid_t *pid");
    const char *at = body;
    for (size_t i = 0; i < NPLAIN; i++)
        at = find_after(text, at, plain_order[i].text) + 1;
    run_result *r = run_text("forksim-scenario 1\nparent spawn /bin/true\nparent wait -> status 0\n"
                             "expect verdict ok\n");
    assert_int_equal(r->verdict, VERDICT_OK);
    assert_true(r->expected);
    char calls[64][40];
    int n = parent_calls(r, calls, 64);
    assert_true(n >= (int)NPLAIN + 1);
    for (size_t i = 0; i < NPLAIN; i++)
        if (strcmp(calls[i], plain_order[i].routine) != 0)
            fail_msg("call %zu of the spawn: %s, spawni.c's text has %s (\"%s\")", i, calls[i],
                     plain_order[i].routine, plain_order[i].text);
    assert_string_equal(calls[NPLAIN], "proc_wait"); /* the scenario's next step */
    run_result_free(r);
    free(r);
}

/* Counting "NAME(" lines of the parent: one dir_lookup per open action before the program's
 * own (the file actions' loop comes before the program's lookup in the text), one release
 * more per opened file at "out:" (dtable_cells[i] == NULL: a right of the function's own), and
 * the descriptor table sent as long as the highest descriptor an action names. */
static void test_spawn_file_actions_counts(void **state)
{
    (void)state;
    const char *text = spawni_text();
    const char *loop = find_after(text, text, "case spawn_do_open:");
    find_after(text, find_after(text, loop, "child_lookup (action->action.open_action.path"),
               "err = child_lookup (relpath = file, O_EXEC");
    find_after(text, find_after(text, text, "if (dtable_cells[i] == NULL)"),
               "__mach_port_deallocate (__mach_task_self (), dtable[i]);");
    static const struct {
        const char *actions;
        int opens, table;       /* the opens it asks for; the fds array's length it implies */
    } cases[] = {
        {"", 0, 3},                                   /* descriptors 0-2 of the default process */
        {"open 4 /bin/true", 1, 5},
        {"open 3 /bin/true open 5 /bin/false", 2, 6},
        {"close 1 dup2 0 7 open 4 /bin/true", 1, 8},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char scn[512];
        snprintf(scn, sizeof scn, "forksim-scenario 1\nparent spawn /bin/true %s\n"
                 "parent wait -> status 0\nexpect verdict ok\n", cases[c].actions);
        run_result *r = run_text(scn);
        assert_int_equal(r->verdict, VERDICT_OK);
        char calls[64][40];
        int n = parent_calls(r, calls, 64), lookups = 0, deallocs = 0, exec_at = -1;
        for (int i = 0; i < n; i++) {
            if (strcmp(calls[i], "file_exec_paths") == 0)
                exec_at = i;
            lookups += strcmp(calls[i], "dir_lookup") == 0 && exec_at < 0;
            deallocs += strcmp(calls[i], "mach_port_deallocate") == 0 && exec_at >= 0;
        }
        assert_int_equal(lookups, cases[c].opens + 1);
        assert_int_equal(deallocs, 4 + cases[c].opens);
        /* the fds array of file_exec_paths: as many ports as the table's size */
        const char *fx = strstr(r->trace, "file_exec_paths(");
        assert_non_null(fx);
        const char *fds = strstr(fx, "fds {");
        assert_non_null(fds);
        int ports = 1;
        for (const char *p = fds + 5; *p != '}'; p++)
            ports += *p == ' ';
        assert_int_equal(ports, cases[c].table);
        run_result_free(r);
        free(r);
    }
}

/* What the new program starts with (its sigreport note): the mask is SETSIGMASK's; the ignored
 * set is the parent's SIG_IGN signals, or nothing at all with SETSIGDEF whatever set it
 * names: spawni.c packs INIT_SIGIGN only when the flag is clear and never reads the set
 * (attrp->__sd), which POSIX says lists the signals to reset. */
static void test_spawn_signal_attributes(void **state)
{
    (void)state;
    const char *text = spawni_text();
    find_after(text, text, "if ((flags & POSIX_SPAWN_SETSIGDEF) == 0)");
    find_after(text, text, "ints[INIT_SIGMASK] = attrp->__ss;");
    assert_null(strstr(text, "__sd"));
    static const struct {
        const char *attrs;
        unsigned long blocked, ignored;
    } cases[] = {
        /* HUP 1 blocked by the parent; USR1 30 and TERM 15 ignored; USR2 31 */
        {"", 1UL << 0, (1UL << 29) | (1UL << 14)},
        {"setsigmask USR2", 1UL << 30, (1UL << 29) | (1UL << 14)},
        {"setsigdef TERM", 1UL << 0, 0},
        {"setsigmask none setsigdef USR1,TERM", 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char scn[512];
        snprintf(scn, sizeof scn, "forksim-scenario 1\nparent handler USR1 ignore\n"
                 "parent handler TERM ignore\nparent block HUP\nparent spawn /bin/sigreport %s\n"
                 "parent wait -> status 0\nexpect verdict ok\n", cases[c].attrs);
        run_result *r = run_text(scn);
        assert_int_equal(r->verdict, VERDICT_OK);
        char want[128];
        snprintf(want, sizeof want, "blocked %#lx, pending 0, ignored %#lx", cases[c].blocked,
                 cases[c].ignored);
        if (strstr(r->trace, want) == NULL)
            fail_msg("spawn with \"%s\": no sigreport note \"%s\"", cases[c].attrs, want);
        run_result_free(r);
        free(r);
    }
}

/* setpgroup and resetids need RPCs the simulated servers do not serve: the run stops as
 * unmodelled where spawni.c makes them, after proc_child (the text's order), never with a
 * made-up answer. */
static void test_spawn_unmodelled_attributes(void **state)
{
    (void)state;
    const char *text = spawni_text();
    const char *child = find_after(text, text, "__proc_child (port, task)");
    find_after(text, child, "err = __proc_setpgrp (proc, new_pid, attrp->__pgrp);");
    find_after(text, child, "err = _hurd_check_ids ();");
    static const struct {
        const char *attr, *what;
    } cases[] = {
        {"setpgroup 0", "proc_setpgrp"},
        {"resetids", "POSIX_SPAWN_RESETIDS"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char scn[256];
        snprintf(scn, sizeof scn, "forksim-scenario 1\nparent spawn /bin/true %s\n", cases[c].attr);
        run_result *r = run_text(scn);
        assert_int_equal(r->verdict, VERDICT_UNMODELLED);
        if (strstr(r->unmodelled, cases[c].what) == NULL)
            fail_msg("spawn %s stopped for \"%s\"", cases[c].attr, r->unmodelled);
        char calls[64][40];
        int n = parent_calls(r, calls, 64);
        assert_true(n >= 4);
        assert_string_equal(calls[3], "proc_child");
        run_result_free(r);
        free(r);
    }
}

/* The step's errors: file:line: what is wrong. */
static void test_spawn_step_errors(void **state)
{
    (void)state;
    static const struct {
        const char *line, *error;
    } bad[] = {
        {"child spawn /bin/true", "t.fsim:2: only the parent spawns"},
        {"parent spawn bin/true", "t.fsim:2: spawn PATH [open FD PATH] [close FD] [dup2 FD NEWFD] [setsigmask SIGS] [setsigdef SIGS] [setpgroup PGRP] [resetids] [-> CODE]: PATH is an absolute path (/bin/true, /bin/false, /bin/sigwait, /bin/sigreport)"},
        {"parent spawn /bin/true open 3", "t.fsim:2: spawn ... open FD PATH: FD a descriptor number, PATH absolute"},
        {"parent spawn /bin/true close x", "t.fsim:2: spawn ... close FD: FD a descriptor number"},
        {"parent spawn /bin/true dup2 1", "t.fsim:2: spawn ... dup2 FD NEWFD: two descriptor numbers"},
        {"parent spawn /bin/true setsigmask FOO", "t.fsim:2: spawn ... setsigmask SIGS: signals joined by commas (USR1,TERM: the Hurd's names or numbers), or none"},
        {"parent spawn /bin/true setsigdef TERM setsigdef HUP", "t.fsim:2: spawn: setsigdef given twice"},
        {"parent spawn /bin/true setpgroup -1", "t.fsim:2: spawn ... setpgroup PGRP: a process group id, 0 for the child's pid"},
        {"parent spawn /bin/true frob", "t.fsim:2: spawn PATH [open FD PATH] [close FD] [dup2 FD NEWFD] [setsigmask SIGS] [setsigdef SIGS] [setpgroup PGRP] [resetids] [-> CODE]: unknown item 'frob'"},
        {"parent spawn /bin/true -> EFROB", "t.fsim:2: spawn ... -> CODE: unknown error code 'EFROB'"},
    };
    scenario *s = calloc(1, sizeof *s);
    char text[512], err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int len = snprintf(text, sizeof text, "forksim-scenario 1\n%s\n", bad[i].line);
        assert_int_equal(scenario_load_text("t.fsim", text, (size_t)len, s, err, sizeof err), -1);
        assert_string_equal(err, bad[i].error);
    }
    free(s);
}

/* A spawn that fails names its error: a program the file system does not have is ENOENT from
 * the program's lookup, after the proc calls; spawni.c then kills the task it made
 * (task_terminate at "out:", err set). */
static void test_spawn_failure(void **state)
{
    (void)state;
    const char *text = spawni_text();
    const char *out = find_after(text, text, "\n out:");
    find_after(text, out, "__task_terminate (task);");
    run_result *r = run_text("forksim-scenario 1\nparent spawn /bin/nothing -> ENOENT\n"
                             "expect verdict ok\n");
    assert_int_equal(r->verdict, VERDICT_OK);
    assert_true(r->expected);
    char calls[64][40];
    int n = parent_calls(r, calls, 64);
    bool terminated = false, exec = false;
    for (int i = 0; i < n; i++) {
        terminated |= strcmp(calls[i], "task_terminate") == 0;
        exec |= strcmp(calls[i], "file_exec_paths") == 0;
    }
    assert_true(terminated);
    assert_false(exec);
    run_result_free(r);
    free(r);
    /* and a step expecting the wrong error fails the run's expectations */
    r = run_text("forksim-scenario 1\nparent spawn /bin/nothing -> EACCES\n");
    assert_false(r->expected);
    run_result_free(r);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_step_errors),
        cmocka_unit_test(test_spawn_calls_in_source_order),
        cmocka_unit_test(test_spawn_file_actions_counts),
        cmocka_unit_test(test_spawn_signal_attributes),
        cmocka_unit_test(test_spawn_unmodelled_attributes),
        cmocka_unit_test(test_spawn_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
