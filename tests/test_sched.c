/* test_sched.c: the runtime's threads, scheduler, locks, reports and replay (sim/rt/sched.c).
 *
 * The "mini fork" here is _Fork.c's shape in a few lines, with the sim API only: a thread
 * setjmps, copies its task, changes a global, and the child's thread returns from the
 * setjmp in the copy. Results travel back in host variables (outside every image).
 */
#include "simtest.h"

#include <errno.h>
#include <unistd.h>

SIM_GLOBAL static int G;
SIM_GLOBAL static sim_lock_t lock_a, lock_b;
SIM_GLOBAL static int shared_counter;

/* --- Threads and scheduling points ----------------------------------------------------- */

static void worker_yields(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < 3; i++) {
        trace("%d.%d ", n, i);
        sim_yield("yield");
    }
}

static void test_run_until_block_order(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, worker_yields, (void *)1);
    sim_thread_spawn(t, worker_yields, (void *)2);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(simtest_trace, "1.0 1.1 1.2 2.0 2.1 2.2 ");
    sim_task_destroy(t);
    simtest_close(&st);
}

static void test_round_robin_interleaves(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, worker_yields, (void *)1);
    sim_thread_spawn(t, worker_yields, (void *)2);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(simtest_trace, "1.0 2.0 1.1 2.1 1.2 2.2 ");
    sim_task_destroy(t);
    simtest_close(&st);
}

static void errno_tls_worker(void *arg)
{
    int mine = (int)(intptr_t)arg;
    errno = mine;
    sim_thread_set_tls(sim_self(), arg);
    sim_yield("yield");
    trace("%d:%d:%d ", mine, errno, (int)(intptr_t)sim_thread_tls(sim_self()));
}

static void test_errno_and_tls_are_per_thread(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, errno_tls_worker, (void *)5);
    sim_thread_spawn(t, errno_tls_worker, (void *)7);
    errno = 99;     /* the host's errno is not a thread's */
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(errno, 99);
    assert_string_equal(simtest_trace, "5:5:5 7:7:7 ");
    sim_task_destroy(t);
    simtest_close(&st);
}

/* --- The mini fork ----------------------------------------------------------------------- */

static struct {
    sim_thread *parent;
    int child_ret, child_G_before, child_G_after, child_obj, parent_G, parent_obj;
    void *parent_obj_addr, *child_obj_addr;
    size_t parent_allocs_before, parent_allocs_after, child_allocs_after;
    int sig_ran, sig_G, sig_on_given_stack;
    sim_task *child;
} MF;

static char *sigstack;
#define SIGSTACK_SIZE 32768

static void child_signal_thread(void *arg)
{
    (void)arg;
    char here;
    MF.sig_ran = 1;
    MF.sig_G = G;
    MF.sig_on_given_stack = &here > sigstack && &here < sigstack + SIGSTACK_SIZE;
}

static void mini_fork_main(void *arg)
{
    (void)arg;
    jmp_buf env;
    int *obj = sim_heap_alloc(4 * sizeof *obj);
    obj[0] = 42;
    G = 1;
    sigstack = sim_heap_alloc(SIGSTACK_SIZE);
    if (setjmp(env) == 0) {
        MF.parent_allocs_before = sim_heap_allocations(NULL);
        MF.child = sim_task_create(sim_task_self(), 1);     /* the copy is taken here */
        G = 2;                                              /* after: the child must not see it */
        sim_thread *main_th = sim_thread_create(MF.child);
        sim_thread_set_longjmp(main_th, env, 1);
        sim_thread *sig_th = sim_thread_create(MF.child);
        sim_thread_set_start(sig_th, child_signal_thread, NULL, sigstack + SIGSTACK_SIZE);
        sim_thread_resume(main_th);
        sim_thread_resume(sig_th);
        MF.parent = sim_self();
        sim_block("the child's main thread");
        MF.parent_G = G;
        MF.parent_obj = obj[0];
        MF.parent_obj_addr = obj;
        MF.parent_allocs_after = sim_heap_allocations(NULL);
        sim_heap_free(obj);
        sim_heap_free(sigstack);
    } else {
        /* the child's main thread, in the child's image, returning 1 from setjmp */
        MF.child_ret = 1;
        MF.child_G_before = G;
        MF.child_obj = obj[0];
        MF.child_obj_addr = obj;
        G = 3;
        sim_heap_free(obj);
        MF.child_allocs_after = sim_heap_allocations(NULL);
        MF.child_G_after = G;
        sim_unblock(MF.parent);
    }
}

static void test_mini_fork(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    memset(&MF, 0, sizeof MF);
    sim_task *parent = sim_task_create(NULL, 0);
    sim_thread_spawn(parent, mini_fork_main, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(MF.child_ret, 1);
    assert_int_equal(MF.child_G_before, 1);     /* as of task_create, not later */
    assert_int_equal(MF.child_G_after, 3);
    assert_int_equal(MF.child_obj, 42);
    assert_ptr_equal(MF.child_obj_addr, MF.parent_obj_addr);
    assert_int_equal(MF.child_allocs_after, MF.parent_allocs_before - 1);
    assert_int_equal(MF.parent_G, 2);           /* the child's write stayed in the child */
    assert_int_equal(MF.parent_obj, 42);
    assert_int_equal(MF.parent_allocs_after, MF.parent_allocs_before);   /* its free too */
    assert_int_equal(MF.sig_ran, 1);
    assert_int_equal(MF.sig_G, 3);
    assert_true(MF.sig_on_given_stack);
    int g = 0;
    assert_int_equal(sim_task_peek(MF.child, &G, &g, sizeof g), 0);
    assert_int_equal(g, 3);
    assert_int_equal(sim_task_peek(parent, &G, &g, sizeof g), 0);
    assert_int_equal(g, 2);
    sim_task_destroy(MF.child);
    sim_task_destroy(parent);
    simtest_close(&st);
}

/* A grandchild: a child forks again, from its copy of the parent's stack. */
static struct {
    int depth_seen[3];
    sim_thread *waiter[3];
} GC;

static void gc_main(void *arg)
{
    (void)arg;
    jmp_buf env;
    volatile int depth = 0;
again:
    if (setjmp(env) == 0) {
        if (depth < 2) {
            sim_task *c = sim_task_create(sim_task_self(), 1);
            sim_thread *th = sim_thread_create(c);
            sim_thread_set_longjmp(th, env, 1);
            sim_thread_resume(th);
            GC.waiter[depth] = sim_self();
            sim_block("child");
        }
        GC.depth_seen[depth] = 100 + depth;
        if (depth > 0) sim_unblock(GC.waiter[depth - 1]);
    } else {
        depth++;
        goto again;
    }
}

static void test_grandchild_fork(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    memset(&GC, 0, sizeof GC);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, gc_main, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(GC.depth_seen[0], 100);
    assert_int_equal(GC.depth_seen[1], 101);
    assert_int_equal(GC.depth_seen[2], 102);
    assert_int_equal(sim_task_id(t), 1);
    sim_task_destroy(t);
    /* tasks 2 and 3 are still there: closing reclaims them, which the audit counts */
    assert_int_equal(sim_close(), 2);
    assert_int_equal(sim_host_allocations(NULL), 0);
    fclose(st.events);
    free(st.log);
}

/* --- Locks ---------------------------------------------------------------------------------- */

static void lock_holder(void *arg)
{
    (void)arg;
    sim_lock(&lock_a);
    trace("h-locked ");
    sim_yield("yield");
    sim_yield("yield");
    trace("h-unlock ");
    sim_unlock(&lock_a);
}

static void lock_waiter(void *arg)
{
    (void)arg;
    trace("w-wants ");
    sim_lock(&lock_a);
    trace("w-locked ");
    sim_unlock(&lock_a);
}

static void test_contended_lock_blocks(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, lock_holder, NULL);
    sim_thread_spawn(t, lock_waiter, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(simtest_trace, "h-locked w-wants h-unlock w-locked ");
    assert_non_null(strstr(simtest_log(&st), "block t2 on lock globals+"));
    assert_non_null(strstr(simtest_log(&st), "wake t2"));
    sim_task_destroy(t);
    simtest_close(&st);
}

static struct {
    sim_thread *parent;
    unsigned child_saw, parent_saw_after;
    int child_took;
} IL;

static void inherit_lock_main(void *arg)
{
    (void)arg;
    jmp_buf env;
    sim_lock(&lock_b);
    if (setjmp(env) == 0) {
        sim_task *c = sim_task_create(sim_task_self(), 1);     /* copied with lock_b held */
        sim_thread *th = sim_thread_create(c);
        sim_thread_set_longjmp(th, env, 1);
        sim_thread_resume(th);
        IL.parent = sim_self();
        sim_block("child");
        IL.parent_saw_after = lock_b;   /* still held by us: the child's unlock was its own */
        sim_unlock(&lock_b);
    } else {
        IL.child_saw = lock_b;
        sim_unlock(&lock_b);            /* the child unlocks its copy itself */
        sim_lock(&lock_b);
        IL.child_took = 1;
        sim_unlock(&lock_b);
        sim_unblock(IL.parent);
    }
}

static void test_child_inherits_held_lock(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    memset(&IL, 0, sizeof IL);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread *th = sim_thread_spawn(t, inherit_lock_main, NULL);
    unsigned parent_id = (unsigned)sim_thread_id(th);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(IL.child_saw, parent_id);      /* held, by the parent's thread */
    assert_int_equal(IL.child_took, 1);
    assert_int_equal(IL.parent_saw_after, parent_id);
    sim_task_destroy(t);
    assert_int_equal(sim_close(), 1);   /* the child task */
    assert_int_equal(sim_host_allocations(NULL), 0);
    fclose(st.events);
    free(st.log);
}

/* --- Deadlock and livelock reports ------------------------------------------------------------------ */

static void ab(void *arg)
{
    (void)arg;
    sim_lock(&lock_a);
    sim_yield("yield");
    sim_lock(&lock_b);
}

static void ba(void *arg)
{
    (void)arg;
    sim_lock(&lock_b);
    sim_yield("yield");
    sim_lock(&lock_a);
}

static void test_deadlock_report(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, ab, NULL);
    sim_thread_spawn(t, ba, NULL);
    assert_int_equal(sim_run(), SIM_DEADLOCK);
    const char *r = sim_report();
    assert_non_null(strstr(r, "deadlock at step"));
    assert_non_null(strstr(r, "thread 1 (task 1): waits for lock globals+"));
    assert_non_null(strstr(r, "thread 2 (task 1): waits for lock globals+"));
    assert_non_null(strstr(r, ", held by thread 2"));
    assert_non_null(strstr(r, ", held by thread 1"));
    assert_non_null(strstr(simtest_log(&st), "end deadlock"));
    sim_task_destroy(t);
    simtest_close(&st);
}

static void rpc_waiter(void *arg)
{
    (void)arg;
    sim_block("rpc reply on port 12");
}

static void test_deadlock_names_rpc_and_suspended(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, rpc_waiter, NULL);
    sim_thread *s = sim_thread_create(t);
    sim_thread_set_start(s, rpc_waiter, NULL, NULL);    /* never resumed */
    sim_thread *d = sim_thread_spawn(t, rpc_waiter, NULL);
    sim_thread_set_daemon(d, true);
    assert_int_equal(sim_run(), SIM_DEADLOCK);
    const char *r = sim_report();
    assert_non_null(strstr(r, "thread 1 (task 1): waits for rpc reply on port 12\n"));
    assert_non_null(strstr(r, "thread 2 (task 1): suspended (count 1)\n"));
    assert_non_null(strstr(r, "thread 3 (task 1) daemon: waits for rpc reply on port 12\n"));
    sim_task_destroy(t);
    simtest_close(&st);
}

static void test_daemon_left_blocked_is_ok(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_set_daemon(sim_thread_spawn(t, rpc_waiter, NULL), true);
    sim_thread_spawn(t, worker_yields, (void *)1);
    assert_int_equal(sim_run(), SIM_OK);
    sim_task_destroy(t);
    simtest_close(&st);
}

static void spinner(void *arg)
{
    (void)arg;
    for (;;) {
        if (sim_trylock(&lock_a)) {
            sim_yield("yield");
            sim_unlock(&lock_a);
        }
        sim_yield("yield");
    }
}

static void test_step_bound_livelock(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open_cfg(&st, (sim_config){ .policy = SIM_ROUND_ROBIN, .max_steps = 100 });
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, spinner, NULL);
    sim_thread_spawn(t, spinner, NULL);
    assert_int_equal(sim_run(), SIM_STEP_BOUND);
    const char *r = sim_report();
    assert_non_null(strstr(r, "step bound 100 reached"));
    assert_non_null(strstr(r, "thread 1 (task 1): runnable"));
    assert_non_null(strstr(r, "last picks: 1 2 1 2"));
    assert_int_equal(sim_decisions_made()->npicks, 100);
    sim_task_destroy(t);
    simtest_close(&st);
}

/* --- Suspension, self-destruction ------------------------------------------------------------------------ */

static sim_thread *sleeper;

static void self_suspender(void *arg)
{
    (void)arg;
    trace("s1 ");
    sim_thread_suspend(sim_self());
    trace("s2 ");
}

static void resumer(void *arg)
{
    (void)arg;
    trace("r ");
    sim_thread_resume(sleeper);
}

static void test_suspend_self_and_resume(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sleeper = sim_thread_spawn(t, self_suspender, NULL);
    sim_thread_spawn(t, resumer, NULL);
    assert_int_equal(sim_thread_resume(sleeper), -1);  /* count already 0 */
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(simtest_trace, "s1 r s2 ");
    sim_task_destroy(t);
    simtest_close(&st);
}

static void destroys_own_task(void *arg)
{
    (void)arg;
    trace("before ");
    sim_task_destroy(sim_task_self());
    trace("never ");
}

static void test_task_destroys_itself(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, destroys_own_task, NULL);
    sim_thread_spawn(t, worker_yields, (void *)2);     /* dies with its task */
    sim_task *other = sim_task_create(NULL, 0);
    sim_thread_spawn(other, worker_yields, (void *)3);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(simtest_trace, "before 3.0 3.1 3.2 ");
    sim_task_destroy(other);
    simtest_close(&st);
}

/* --- Determinism and replay ---------------------------------------------------------------------------- */

static void mixer(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < 6; i++) {
        sim_lock(&lock_a);
        shared_counter++;
        trace("%d:%d ", n, shared_counter);
        sim_yield("rpc fake");
        sim_unlock(&lock_a);
        sim_yield("yield");
    }
}

// The child's copy of lock_a is held (by its parent's thread): it unlocks it first.
static void mixer_child(void *arg)
{
    sim_unlock(&lock_a);
    mixer(arg);
}

// Forks holding lock_a, as _Fork holds its fork locks: otherwise the child could inherit
// it held by a thread the child does not have (a deadlock the report shows).
static void mixer_forker(void *arg)
{
    (void)arg;
    sim_lock(&lock_a);
    sim_task *c = sim_task_create(sim_task_self(), 1);
    sim_unlock(&lock_a);
    sim_thread_spawn(c, mixer_child, (void *)9);
    mixer((void *)1);
}

// Runs the mixed workload under cfg; returns the event log without its first two lines
// (version and "open", which names the policy) and the trace, both malloc'd.
static void run_mixed(sim_config cfg, char **log, char **tr, const char *save_to)
{
    struct simtest st;
    simtest_open_cfg(&st, cfg);
    trace_reset();
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, mixer_forker, NULL);
    sim_thread_spawn(t, mixer, (void *)2);
    sim_thread_spawn(t, mixer, (void *)3);
    enum sim_result res = sim_run();
    if (res != SIM_OK) print_error("%s", sim_report());
    assert_int_equal(res, SIM_OK);
    if (save_to) assert_int_equal(sim_decisions_write(sim_decisions_made(), save_to), 0);
    sim_task_destroy(t);
    assert_int_equal(sim_close(), 1);   /* the forked task */
    assert_int_equal(sim_host_allocations(NULL), 0);
    fclose(st.events);
    char *p = strchr(st.log, '\n');
    p = strchr(p + 1, '\n') + 1;
    *log = strdup(p);
    *tr = strdup(simtest_trace);
    free(st.log);
}

static void test_same_seed_same_log(void **state)
{
    (void)state;
    char *l1, *t1, *l2, *t2, *l3, *t3;
    run_mixed((sim_config){ .policy = SIM_RANDOM, .seed = 7 }, &l1, &t1, NULL);
    run_mixed((sim_config){ .policy = SIM_RANDOM, .seed = 7 }, &l2, &t2, NULL);
    run_mixed((sim_config){ .policy = SIM_RANDOM, .seed = 8 }, &l3, &t3, NULL);
    assert_string_equal(l1, l2);
    assert_string_equal(t1, t2);
    assert_string_not_equal(l1, l3);
    assert_string_not_equal(t1, t3);
    free(l1), free(t1), free(l2), free(t2), free(l3), free(t3);
}

static void test_replay_from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/forksim-decisions-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *l1, *t1, *l2, *t2;
    run_mixed((sim_config){ .policy = SIM_RANDOM, .seed = 1234 }, &l1, &t1, path);
    char err[256] = "";
    sim_decisions *d = sim_decisions_read(path, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(d->seed, 1234);
    assert_string_equal(d->policy, "random");
    /* replay under another policy and seed: the decisions alone decide */
    run_mixed((sim_config){ .policy = SIM_RUN_UNTIL_BLOCK, .seed = 1, .replay = d }, &l2, &t2, NULL);
    assert_string_equal(l1, l2);
    assert_string_equal(t1, t2);
    sim_decisions_free(d);
    unlink(path);
    free(l1), free(t1), free(l2), free(t2);
}

static void test_replay_divergence_reported(void **state)
{
    (void)state;
    sim_decisions d = { .seed = 0, .picks = (int[]){ 1, 2, 5 }, .npicks = 3 };
    struct simtest st;
    simtest_open_cfg(&st, (sim_config){ .replay = &d });
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, worker_yields, (void *)1);
    sim_thread_spawn(t, worker_yields, (void *)2);
    assert_int_equal(sim_run(), SIM_DIVERGED);
    assert_string_equal(sim_report(), "replay diverged at step 2: recorded pick thread 5 cannot run; runnable: 1 2\n");
    sim_task_destroy(t);
    simtest_close(&st);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_decision_file_errors(void **state)
{
    (void)state;
    static const struct { const char *text, *err; } cases[] = {
        { "", "F:1: empty file, expected 'forksim-decisions 1'" },
        { "seed 1\n", "F:1: expected 'forksim-decisions 1' first" },
        { "forksim-decisions 2\n", "F:1: version 2 not supported (this reads 1)" },
        { "forksim-decisions 1\npick 1\n", "F:2: 'pick' before 'seed'" },
        { "forksim-decisions 1\nseed x\n", "F:2: expected 'seed <unsigned number>'" },
        { "forksim-decisions 1\nseed 3\n# c\n\npick 0\n", "F:5: expected 'pick <thread id>' (a positive number)" },
        { "forksim-decisions 1\nseed 3\npick 2 3\n", "F:3: expected 'pick <thread id>' (a positive number)" },
        { "forksim-decisions 1\nseed 3\nsignal 4\n", "F:3: unknown decision 'signal' (known: seed, policy, pick, event)" },
        { "forksim-decisions 1\n", "F:2: no 'seed' line" },
    };
    char path[] = "/tmp/forksim-bad-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_file(path, cases[i].text);
        char err[256], want[256];
        assert_null(sim_decisions_read(path, err, sizeof err));
        snprintf(want, sizeof want, "%s%s", path, cases[i].err + 1);
        assert_string_equal(err, want);
    }
    assert_int_equal(sim_host_allocations(NULL), 0);
    unlink(path);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_until_block_order),
        cmocka_unit_test(test_round_robin_interleaves),
        cmocka_unit_test(test_errno_and_tls_are_per_thread),
        cmocka_unit_test(test_mini_fork),
        cmocka_unit_test(test_grandchild_fork),
        cmocka_unit_test(test_contended_lock_blocks),
        cmocka_unit_test(test_child_inherits_held_lock),
        cmocka_unit_test(test_deadlock_report),
        cmocka_unit_test(test_deadlock_names_rpc_and_suspended),
        cmocka_unit_test(test_daemon_left_blocked_is_ok),
        cmocka_unit_test(test_step_bound_livelock),
        cmocka_unit_test(test_suspend_self_and_resume),
        cmocka_unit_test(test_task_destroys_itself),
        cmocka_unit_test(test_same_seed_same_log),
        cmocka_unit_test(test_replay_from_file),
        cmocka_unit_test(test_replay_divergence_reported),
        cmocka_unit_test(test_decision_file_errors),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
