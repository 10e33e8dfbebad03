/*
 * test_stubs.c: simulated processes calling the mock MIG stubs (sim/kern/mig_mach.c, sim/kern/kern.c).
 *
 * The mini fork: a thread does setjmp; task_create(self, 1, &c); the parent then changes a
 * global; thread_create in c; thread_set_state "resume by longjmp(env, 1)"; thread_resume. The
 * child must see the memory as of task_create, and nothing it does may reach the parent.
 */
#include "kern.h"
#include "mach_stubs.h"
#include "testlib.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* Globals of the simulated program: one copy per task image. */
SIM_GLOBAL static int G = 1;
SIM_GLOBAL static int G2 = 0;
SIM_GLOBAL static char *obj;

/* What the child saw, kept in host memory (outside every image) for the test to read. */
static struct {
    int setjmp_value, g_seen, second_thread_ran, g2_seen;
    char obj_seen[16];
    mach_port_t child_self;
    kern_return_t child_exit;
} seen;
static sim_task *parent_task;
static int parent_g_after, parent_obj_ok;

static void second_thread(void *arg)
{
    (void)arg;
    G2 = 7;
    seen.second_thread_ran = 1;
    __thread_terminate(__mach_thread_self());
}

static void mini_fork_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    obj = sim_heap_alloc(16);
    strcpy(obj, "parent");
    char *stack = sim_heap_alloc(16384); /* the child's second thread runs on this copy */
    jmp_buf env; /* on the stack, as _Fork's is */
    int v = setjmp(env);
    if (v != 0) {
        /* the child, in its own image */
        seen.setjmp_value = v;
        seen.g_seen = G;
        snprintf(seen.obj_seen, sizeof seen.obj_seen, "%s", obj);
        G = 3;
        sim_heap_free(obj);
        seen.child_self = __mach_task_self();
        /* let the second thread run, then look at what it wrote in this image */
        for (int i = 0; i < 1000 && !seen.second_thread_ran; i++)
            sim_yield("child waits");
        seen.g2_seen = G2;
        seen.child_exit = KERN_SUCCESS;
        __task_terminate(seen.child_self); /* _exit: does not return */
        return;
    }
    mach_port_t child;
    assert_int_equal(__task_create(self, 1, &child), KERN_SUCCESS);
    G = 2;
    mach_port_t t1, t2;
    assert_int_equal(__thread_create(child, &t1), KERN_SUCCESS);
    assert_int_equal(__thread_create(child, &t2), KERN_SUCCESS);
    kern_thread_state ts = {.kind = KERN_STATE_LONGJMP, .env = (uintptr_t)env, .value = 1};
    assert_int_equal(__thread_set_state(t1, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts,
                                        KERN_THREAD_STATE_COUNT), KERN_SUCCESS);
    kern_thread_state ts2 = {.kind = KERN_STATE_CALL, .pc = (uintptr_t)second_thread,
                             .sp = (uintptr_t)(stack + 16384)};
    assert_int_equal(__thread_set_state(t2, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts2,
                                        KERN_THREAD_STATE_COUNT), KERN_SUCCESS);
    assert_int_equal(__thread_resume(t1), KERN_SUCCESS);
    assert_int_equal(__thread_resume(t2), KERN_SUCCESS);
    for (int i = 0; i < 1000 && seen.child_exit == 0; i++)
        sim_yield("parent waits");
    parent_g_after = G;
    parent_obj_ok = strcmp(obj, "parent") == 0;
    __mach_port_deallocate(self, t1);
    __mach_port_deallocate(self, t2);
    __mach_port_deallocate(self, child);
}

static char *run_mini_fork(uint64_t seed, enum sim_policy_kind policy, size_t *len)
{
    memset(&seen, 0, sizeof seen);
    parent_g_after = parent_obj_ok = 0;
    char *buf = NULL;
    FILE *trace = open_memstream(&buf, len);
    kern_config cfg = {.sim = {.policy = policy, .seed = seed}, .trace = trace};
    assert_int_equal(kern_open(&cfg), 0);
    parent_task = kern_boot_task(mini_fork_main, NULL, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0); /* leak audit: model and runtime */
    fclose(trace);
    return buf;
}

static void test_mini_fork(void **state)
{
    (void)state;
    size_t len;
    char *trace = run_mini_fork(1, SIM_ROUND_ROBIN, &len);
    assert_int_equal(seen.setjmp_value, 1);
    assert_int_equal(seen.g_seen, 1);      /* memory as of task_create, not later */
    assert_string_equal(seen.obj_seen, "parent");
    assert_int_equal(seen.second_thread_ran, 1);
    assert_int_equal(seen.g2_seen, 7);     /* the second thread ran in the child's image */
    assert_int_equal(seen.child_self, 1);  /* the child's space was empty (K1): first name 1 */
    assert_int_equal(parent_g_after, 2);   /* the child's G = 3 never reached the parent */
    assert_true(parent_obj_ok);            /* nor its free of the object */
    assert_non_null(strstr(trace, "forksim-trace 1\n"));
    assert_non_null(strstr(trace, "trap task_create(1, 1) = KERN_SUCCESS -> "));
    assert_non_null(strstr(trace, "resume by longjmp(env, 1)"));
    free(trace);
}

static void test_mini_fork_same_seed_same_trace(void **state)
{
    (void)state;
    size_t l1, l2, l3;
    char *a = run_mini_fork(42, SIM_RANDOM, &l1);
    char *b = run_mini_fork(42, SIM_RANDOM, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    /* and the child still sees the parent's memory as of task_create under this schedule */
    char *c = run_mini_fork(7, SIM_RANDOM, &l3);
    assert_int_equal(seen.g_seen, 1);
    assert_int_equal(parent_g_after, 2);
    free(a);
    free(b);
    free(c);
}

/* Each thread's first RPC creates its MIG reply port with mach_reply_port (M10), and it is
 * listed in the task's names (L4). */
static mach_port_t reply_seen;
static mach_msg_type_number_t names_seen;
static void reply_port_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();   /* a trap: no reply port yet */
    mach_port_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t n, nt;
    assert_int_equal(__mach_port_names(self, &names, &n, &types, &nt), KERN_SUCCESS);
    names_seen = n;
    for (mach_msg_type_number_t i = 0; i < n; i++)
        if (types[i] == MACH_PORT_TYPE_RECEIVE)
            reply_seen = names[i];
    __vm_deallocate(self, (vm_address_t)names, n * sizeof *names);
    __vm_deallocate(self, (vm_address_t)types, n * sizeof *types);
}

static void test_M10_reply_port_per_thread(void **state)
{
    (void)state;
    names_seen = 0;
    reply_seen = 0;
    char *buf = NULL;
    size_t len;
    FILE *trace = open_memstream(&buf, &len);
    kern_config cfg = {.trace = trace};
    assert_int_equal(kern_open(&cfg), 0);
    kern_boot_task(reply_port_main, NULL, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(names_seen, 2);  /* the task port and the reply port: rules L4 M10 */
    assert_int_equal(reply_seen, 2);  /* rule M10 */
    assert_int_equal(kern_close(), 0);
    fclose(trace);
    assert_non_null(strstr(buf, "trap mach_reply_port() = 2\n")); /* rule M10 */
    free(buf);
}

/* Two threads each waiting for a message only the other would send: a deadlock report that
 * names both waits, and no hang. */
SIM_GLOBAL static mach_port_t port_a, port_b;
static void waiter(void *arg)
{
    mach_port_t mine = *(mach_port_t *)arg;
    struct {
        mach_msg_header_t h;
        char body[64];
    } m;
    __mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, mine, 0, MACH_PORT_NULL);
}

static void deadlock_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port_a);
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port_b);
    sim_task *t = sim_task_self();
    (void)t;
    waiter(&port_a);
}

static void test_deadlock_report(void **state)
{
    (void)state;
    kern_config cfg = {0};
    assert_int_equal(kern_open(&cfg), 0);
    sim_thread *th;
    kern_boot_task(deadlock_main, NULL, &th);
    assert_int_equal(sim_run(), SIM_DEADLOCK);
    const char *report = sim_report();
    assert_non_null(strstr(report, "mach_msg on"));
    assert_int_equal(mk_thread_blocked(kern_kthread(th), NULL), MK_WAIT_RECEIVE);
    kern_close();
}

/* Fault kinds reach the caller as specified and show in the trace. */
static kern_return_t fault_results[3];
static mach_port_name_t fault_names;
static void fault_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    mach_port_t r;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r);
    fault_results[0] = __mach_port_insert_right(self, r, r, MACH_MSG_TYPE_MAKE_SEND);
    mach_port_t p;
    mach_msg_type_name_t pt;
    fault_results[1] = __mach_port_extract_right(self, r, MACH_MSG_TYPE_MAKE_SEND, &p, &pt);
    fault_results[2] = __mach_port_mod_refs(self, r, MACH_PORT_RIGHT_SEND, 1);
    mach_port_urefs_t refs = 0;
    __mach_port_get_refs(self, r, MACH_PORT_RIGHT_SEND, &refs);
    fault_names = refs;
}

static void test_fault_kinds(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len;
    FILE *trace = open_memstream(&buf, &len);
    kern_config cfg = {.trace = trace, .nfaults = 3};
    cfg.faults[0] = (kern_fault){.kind = KF_ROUTINE_FAILS, .routine = "mach_port_insert_right",
                                 .nth = 1, .error = KERN_RESOURCE_SHORTAGE};
    cfg.faults[1] = (kern_fault){.kind = KF_REPLY_LOST, .routine = "mach_port_extract_right", .nth = 1};
    cfg.faults[2] = (kern_fault){.kind = KF_SEND_FAILS, .routine = "mach_port_mod_refs", .nth = 1};
    assert_int_equal(kern_open(&cfg), 0);
    sim_thread *th;
    sim_task *t = kern_boot_task(fault_main, NULL, &th);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(fault_results[0], KERN_RESOURCE_SHORTAGE);
    assert_int_equal(fault_results[1], MIG_SERVER_DIED);
    assert_int_equal(fault_results[2], MACH_SEND_INVALID_DEST);
    /* routine failed: the MAKE_SEND was destroyed (I4); reply lost: its send right released;
     * send failed: nothing happened. The receive right is left with no send right. */
    assert_int_equal(fault_names, 0);
    check_name(kern_ktask(t), 2, MACH_PORT_TYPE_RECEIVE, 0);
    assert_int_equal(kern_faults_fired(), 3);
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0);
    fclose(trace);
    assert_non_null(strstr(buf, "# fault: mach_port_insert_right routine fails"));
    assert_non_null(strstr(buf, "mach_port_extract_right(1, 2, MAKE_SEND) = MIG_SERVER_DIED"));
    assert_non_null(strstr(buf, "mach_port_mod_refs(1, 2, SEND, 1) = MACH_SEND_INVALID_DEST"));
    free(buf);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mini_fork),
        cmocka_unit_test(test_mini_fork_same_seed_same_trace),
        cmocka_unit_test(test_M10_reply_port_per_thread),
        cmocka_unit_test(test_deadlock_report),
        cmocka_unit_test(test_fault_kinds),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
