/*
 * test_boot.c: forksim_open restoring the booted servers from a snapshot of an earlier boot
 * (issue 11, item 2; sim/cli/api.c) gives the world a real boot gives. The oracle is a world
 * that boots from nothing (forksim_set_boot_restore(false)): after the open and after a whole
 * run with a fork, both must show the same picks, steps, RPC count, virtual clock, world heap
 * in use, and names of the parent and the child, name by name. A world that a trace, a fault
 * plan or a replay watches boots for real (its trace has the boot's lines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "forksim.h"
#include "kern.h"
#include "runner.h"
#include "sim.h"

#define MAXNAMES 64

/* What one world showed (host memory, written by the simulated processes too). */
typedef struct {
    uint64_t open_steps, open_rpcs, open_now;
    size_t open_heap;
    int open_picks[4096];
    size_t open_npicks;
    uint64_t steps, rpcs, now;
    int picks[8192];
    size_t npicks;
    forksim_name parent[MAXNAMES], child[MAXNAMES];
    size_t nparent, nchild;
    int status;
} world_seen;

static world_seen *cur;

static int program(void *arg)
{
    (void)arg;
    cur->nparent = forksim_names(forksim_self(), cur->parent, MAXNAMES);
    pid_t pid = forksim_fork();
    if (pid == 0) {
        cur->nchild = forksim_names(forksim_self(), cur->child, MAXNAMES);
        return 5;
    }
    if (forksim_wait(pid, &cur->status) != 0)
        cur->status = -1;
    return 0;
}

static void copy_picks(int *out, size_t *n, size_t max)
{
    const sim_decisions *d = sim_decisions_made();
    assert_true(d->npicks <= max);
    memcpy(out, d->picks, d->npicks * sizeof *out);
    *n = d->npicks;
}

/* One world with options o; *w gets what it showed. */
static void world_run(const forksim_options *o, bool with_exec, world_seen *w)
{
    memset(w, 0, sizeof *w);
    cur = w;
    forksim_set_exec(with_exec);
    assert_int_equal(forksim_open(o), 0);
    w->open_steps = sim_steps();
    w->open_rpcs = kern_rpc_count();
    w->open_now = sim_now();
    w->open_heap = sim_world_heap_live();
    copy_picks(w->open_picks, &w->open_npicks, sizeof w->open_picks / sizeof w->open_picks[0]);

    forksim_spawn(program, NULL);
    enum forksim_result res = forksim_run();
    if (res != FORKSIM_OK)
        fprintf(stderr, "%s", forksim_report());
    assert_int_equal(res, FORKSIM_OK);
    w->steps = sim_steps();
    w->rpcs = kern_rpc_count();
    w->now = sim_now();
    copy_picks(w->picks, &w->npicks, sizeof w->picks / sizeof w->picks[0]);
    assert_int_equal(forksim_close(), 0);
    assert_int_equal(w->status, 5 << 8);
}

static void assert_same_world(const world_seen *a, const world_seen *b)
{
    assert_int_equal(a->open_steps, b->open_steps);
    assert_int_equal(a->open_rpcs, b->open_rpcs);
    assert_int_equal(a->open_now, b->open_now);
    assert_int_equal(a->open_heap, b->open_heap);
    assert_int_equal(a->open_npicks, b->open_npicks);
    assert_memory_equal(a->open_picks, b->open_picks, a->open_npicks * sizeof a->open_picks[0]);
    assert_int_equal(a->steps, b->steps);
    assert_int_equal(a->rpcs, b->rpcs);
    assert_int_equal(a->now, b->now);
    assert_int_equal(a->npicks, b->npicks);
    assert_memory_equal(a->picks, b->picks, a->npicks * sizeof a->picks[0]);
    assert_int_equal(a->nparent, b->nparent);
    assert_int_equal(a->nchild, b->nchild);
    assert_memory_equal(a->parent, b->parent, a->nparent * sizeof a->parent[0]);
    assert_memory_equal(a->child, b->child, a->nchild * sizeof a->child[0]);
}

/* Booted, then restored (twice), then booted again: the same world each time. */
static void check_options(const forksim_options *o, bool with_exec)
{
    static world_seen booted, kept, restored, restored2;
    forksim_set_boot_restore(false);
    world_run(o, with_exec, &booted);
    forksim_set_boot_restore(true);
    unsigned long r0 = forksim_boots_restored();
    world_run(o, with_exec, &kept);         /* boots (or restores a boot of these options) */
    world_run(o, with_exec, &restored);
    world_run(o, with_exec, &restored2);
    if (sim_snapshots_supported())
        assert_true(forksim_boots_restored() - r0 >= 2);
    assert_true(booted.open_steps > 0 && booted.open_rpcs > 0);
    assert_same_world(&booted, &kept);
    assert_same_world(&booted, &restored);
    assert_same_world(&booted, &restored2);
}

static void test_restored_boot_is_the_booted_world(void **state)
{
    (void)state;
    forksim_options o = FORKSIM_DEFAULTS;
    check_options(&o, false);
    o.policy = FORKSIM_RANDOM;
    o.seed = 7;
    check_options(&o, false);
    o.seed = 8;                             /* another key: boots, then restores its own */
    check_options(&o, false);
    o = (forksim_options)FORKSIM_DEFAULTS;
    o.policy = FORKSIM_ROUND_ROBIN;
    check_options(&o, false);
    o = (forksim_options)FORKSIM_DEFAULTS;
    check_options(&o, true);                /* the exec server booted too */
    o.x86_64_layout = true;
    check_options(&o, false);
    o = (forksim_options)FORKSIM_DEFAULTS;
    o.fork = FORKSIM_FORK_OURS;             /* world fork-ours: task_copy_names in the model */
    check_options(&o, false);
    o.fork = FORKSIM_FORK_GLIBC;            /* the option alone, glibc's fork */
    o.copy_names = true;
    check_options(&o, false);
}

/* A traced world boots for real: its trace carries the boot's lines, the same as without any
 * boot kept before. */
static void test_traced_world_boots(void **state)
{
    (void)state;
    char *text[2];
    for (int k = 0; k < 2; k++) {
        forksim_set_boot_restore(k == 1);
        forksim_options o = FORKSIM_DEFAULTS;
        world_seen w;
        world_run(&o, false, &w);          /* keeps a boot of these options (k == 1) */
        size_t len;
        FILE *f = open_memstream(&text[k], &len);
        assert_non_null(f);
        o.trace = f;
        unsigned long r0 = forksim_boots_restored();
        world_run(&o, false, &w);
        assert_int_equal(forksim_boots_restored(), r0);
        fclose(f);
        assert_true(len > 1000);            /* the boot's RPCs, not the version line alone */
    }
    assert_string_equal(text[0], text[1]);
    free(text[0]);
    free(text[1]);
    forksim_set_boot_restore(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_restored_boot_is_the_booted_world),
                                       cmocka_unit_test(test_traced_world_boots)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
