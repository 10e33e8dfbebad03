/*
 * test_api.c: an example of testing the Hurd fork with forksim's C API (sim/cli/forksim.h),
 * as a glibc developer would in her own suite: a simulated process forks with glibc's real
 * _Fork.c, the child exits with a status, the parent waits, and the test checks the child's
 * names against the parent's. Copy it as the start of your own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "forksim.h"

#define MAXNAMES 64

/* Filled by the simulated processes (host memory, shared by all). */
static struct {
    pid_t pid_in_parent, pid_in_child;
    int status;
    int wait_result;
    forksim_name parent[MAXNAMES], child[MAXNAMES];
    size_t nparent, nchild;
} seen;

static int program(void *arg)
{
    (void)arg;
    seen.nparent = forksim_names(forksim_self(), seen.parent, MAXNAMES);
    pid_t pid = forksim_fork();
    if (pid == 0) {
        seen.pid_in_child = forksim_getpid();
        seen.nchild = forksim_names(forksim_self(), seen.child, MAXNAMES);
        return 3;
    }
    seen.pid_in_parent = pid;
    seen.wait_result = forksim_wait(pid, &seen.status);
    return 0;
}

static void test_fork_and_wait(void **state)
{
    (void)state;
    forksim_options o = FORKSIM_DEFAULTS;
    assert_int_equal(forksim_open(&o), 0);
    forksim_spawn(program, NULL);
    assert_int_equal(forksim_run(), FORKSIM_OK);
    forksim_abort aborts[4];
    assert_int_equal(forksim_aborts(aborts, 4), 0);
    assert_int_equal(forksim_close(), 0); /* nothing leaked */

    assert_true(seen.pid_in_parent > 0);
    assert_int_equal(seen.pid_in_child, seen.pid_in_parent);
    assert_int_equal(seen.wait_result, 0); /* KERN_SUCCESS */
    assert_int_equal(seen.status, 3 << 8); /* W_EXITCODE(3, 0) */
    /* Every name of the parent is in the child, with the same type. */
    assert_int_equal(seen.nchild, seen.nparent);
    for (size_t i = 0; i < seen.nparent; i++) {
        assert_int_equal(seen.child[i].name, seen.parent[i].name);
        assert_int_equal(seen.child[i].type, seen.parent[i].type);
    }
}

/* A fault plan: the parent's proc_wait fails with an error of our choosing, and forksim_wait
 * returns that error (the routine never ran: no status). */
static void test_fault_plan(void **state)
{
    (void)state;
    const int planted = 0x4000000a; /* any code: the Hurd's ECHILD, say */
    memset(&seen, 0, sizeof seen);
    seen.status = -1;
    forksim_options o = FORKSIM_DEFAULTS;
    o.faults[0] = (forksim_fault){.kind = FORKSIM_FAULT_ROUTINE_FAILS, .routine = "proc_wait",
                                  .nth = 1, .error = planted};
    o.nfaults = 1;
    assert_int_equal(forksim_open(&o), 0);
    forksim_spawn(program, NULL);
    assert_int_equal(forksim_run(), FORKSIM_OK);
    forksim_close();

    assert_true(seen.pid_in_parent > 0);
    assert_int_equal(seen.wait_result, planted);
    assert_int_equal(seen.status, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fork_and_wait),
                                       cmocka_unit_test(test_fault_plan)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
