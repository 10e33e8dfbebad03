/*
 * test_fork_explain.c: forksim run --explain's notes are right for the call they sit on
 * (issue 8, item 7). Each note's claim about which task or thread a call acts on is checked
 * against the call's own arguments (what its names denote: the parent's labels before the
 * fork, the names thread_create returned) and, where the call-site lookup names a statement
 * that makes the call, against that _Fork.c statement's text.
 */
#include "runner.h"
#include "source.h"
#include "testlib.h"
#include "testlib_run.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static run_result *run_explained(const char *text)
{
    run_options o = {.explain = true, .sites = true};
    return test_run_text(text, &o);
}

static mach_port_name_t label_name(const run_result *r, const char *label)
{
    for (size_t i = 0; i < r->before_fork.n; i++)
        if (strcmp(r->before_fork.names[i].label, label) == 0)
            return r->before_fork.names[i].name;
    fail_msg("no name labelled %s", label);
    return 0;
}

/* The trace line of step (static buffer). */
static const char *line_of(const run_result *r, uint64_t step)
{
    static char buf[512];
    for (const char *l = r->trace; l != NULL && *l != '\0';) {
        const char *e = strchr(l, '\n');
        unsigned long long st;
        if (sscanf(l, " %llu t", &st) == 1 && st == step) {
            size_t n = e != NULL ? (size_t)(e - l) : strlen(l);
            snprintf(buf, sizeof buf, "%.*s", (int)(n < 511 ? n : 511), l);
            return buf;
        }
        l = e != NULL ? e + 1 : NULL;
    }
    fail_msg("no trace line %llu", (unsigned long long)step);
    return NULL;
}

/* The statement of the line's call site if the site lookup found one that makes this call
 * (the routine's glibc name is in it), else NULL: the site check is made where the lookup is
 * right, and the arguments check always. */
static const char *site_statement(const char *line, const char *routine)
{
    static char stmt[4096];
    const char *at = strstr(line, "  @ _Fork.c:");
    unsigned l;
    if (at == NULL || sscanf(at, "  @ _Fork.c:%u", &l) != 1 ||
        !fi_source_statement(l, stmt, sizeof stmt, NULL, NULL))
        return NULL;
    char call[64];
    snprintf(call, sizeof call, "__%s", routine);
    return strstr(stmt, call) != NULL ? stmt : NULL;
}

static void test_notes_match_calls(void **state)
{
    (void)state;
    run_result *r = run_explained("forksim-scenario 1\nhave send a urefs 3\nhave thread\n"
                                  "parent fork -> ok\nchild exit 7\nparent wait -> status 7\n");
    assert_true(r->nnotes > 0);
    int parent = r->before_fork.task, child = r->child.task;
    mach_port_name_t sig = label_name(r, "sigthread"), main = label_name(r, "thread-self");
    mach_port_name_t task_self = label_name(r, "task-self"), proc = label_name(r, "proc");
    /* the names the parent's thread_creates returned: the child's main thread first (_Fork.c
     * creates `thread` before `sigthread`) */
    mach_port_name_t created[2] = {0, 0};
    int ncreated = 0;
    unsigned resumes = 0, inserts = 0;
    unsigned long long setup_step = 0;
    const char *setup = strstr(r->trace, "# scenario: set-up done");
    assert_non_null(setup);
    while (setup > r->trace && setup[-1] != '\n')
        setup--;
    assert_int_equal(sscanf(setup, " %llu", &setup_step), 1);
    for (size_t i = 0; i < r->nnotes; i++) {
        const run_note *n = &r->notes[i];
        const char *line = line_of(r, n->step);
        const char *p = strstr(line, n->routine);
        assert_non_null(p);
        unsigned a0 = 0, a1 = 0, a2 = 0;
        sscanf(p + strlen(n->routine), "(%u, %u, %u", &a0, &a1, &a2);
        if (strcmp(n->routine, "thread_create") == 0) {
            unsigned out;
            assert_int_equal(sscanf(strstr(line, "-> "), "-> %u", &out), 1);
            if (ncreated < 2)
                created[ncreated++] = out;
            assert_non_null(strstr(n->text, ncreated == 1 ? "main thread" : "signal thread"));
        }
        if (strcmp(n->routine, "thread_resume") == 0) {
            const char *stmt = site_statement(line, "thread_resume");
            resumes++;
            if (strstr(n->text, "own signal thread runs again") != NULL) {
                assert_int_equal(n->task, parent);
                assert_int_equal(a0, sig);
                assert_true(stmt == NULL || strstr(stmt, "threads[i]") != NULL);
            } else if (strstr(n->text, "another thread of this process") != NULL) {
                assert_int_equal(n->task, parent);
                assert_true(a0 != sig && a0 != main);
                assert_true(stmt == NULL || strstr(stmt, "threads[i]") != NULL);
            } else if (strstr(n->text, "child's main thread runs") != NULL) {
                assert_int_equal(n->task, parent);
                assert_int_equal(ncreated, 2);
                assert_int_equal(a0, created[0]);
                assert_true(stmt == NULL || strstr(stmt, "__thread_resume (thread)") != NULL);
            } else if (strstr(n->text, "child starts its own signal thread") != NULL) {
                assert_int_equal(n->task, child);
                assert_int_equal(a0, sig); /* the name the child inherited for it */
                assert_true(stmt == NULL || strstr(stmt, "_hurd_msgport_thread") != NULL);
            } else {
                fail_msg("thread_resume note not checked: %s", n->text);
            }
        }
        assert_true(n->step > setup_step); /* notes are the scenario's steps' */
        if (strcmp(n->routine, "mach_port_insert_right") == 0 && n->task == parent) {
            inserts++;
            if (strstr(n->text, "child's own task port"))
                assert_int_equal(a1, task_self);
            else if (strstr(n->text, "child's own proc port"))
                assert_int_equal(a1, proc);
            else if (strstr(n->text, "child's main thread"))
                assert_true(a1 == main && a2 == created[0]);
            else if (strstr(n->text, "child's signal thread"))
                assert_true(a1 == sig && a2 == created[1]);
            else if (strstr(n->text, "copied into the child under the same name"))
                assert_int_equal(a1, a2);
            else if (strstr(n->text, "child's own new port"))
                assert_non_null(strstr(line, "MOVE_SEND"));
            else
                fail_msg("insert_right note not checked: %s", n->text);
        }
    }
    /* every thread_resume the parent and child made has its note: the parent's own signal
     * thread, its extra thread, the child's main thread, the child's signal thread */
    assert_int_equal(resumes, 4);
    assert_true(inserts > 0);
    run_result_free(r);
    free(r);
}

/* A failed fork: the parent terminates the half-built child (_Fork.c's lose: path, with
 * NDEBUG) and the note says so only for the child's task, not for the processes' own exits. */
static void test_terminate_notes(void **state)
{
    (void)state;
    run_result *r = run_explained("forksim-scenario 1\nfork glibc-ndebug\n"
                                  "fault proc_setmsgport in parent routine-fails EOPNOTSUPP\n"
                                  "parent fork -> error\nparent exit 0\n");
    mach_port_name_t task_self = label_name(r, "task-self");
    unsigned child_kills = 0, exits = 0;
    for (size_t i = 0; i < r->nnotes; i++) {
        const run_note *n = &r->notes[i];
        if (strcmp(n->routine, "task_terminate") != 0)
            continue;
        const char *line = line_of(r, n->step);
        unsigned a0;
        assert_int_equal(sscanf(strstr(line, "task_terminate("), "task_terminate(%u", &a0), 1);
        if (strstr(n->text, "half-built child")) {
            assert_true(a0 != task_self);
            const char *stmt = site_statement(line, "task_terminate");
            assert_true(stmt == NULL || strstr(stmt, "__task_terminate (newtask)") != NULL);
            child_kills++;
        } else {
            assert_non_null(strstr(n->text, "the process ends"));
            assert_int_equal(a0, task_self);
            exits++;
        }
    }
    assert_int_equal(child_kills, 1);
    assert_int_equal(exits, 1);
    run_result_free(r);
    free(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notes_match_calls),
        cmocka_unit_test(test_terminate_notes),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
