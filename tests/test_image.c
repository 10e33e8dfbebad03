/* test_image.c: per-task images and the image heap (sim/rt/image.c, sim/rt/heap.c).
 *
 * Each test runs simulated threads that check what they see and report it in host
 * variables; the host then compares. Every test ends with the runtime's leak audit.
 */
#include "simtest.h"

#include <stdint.h>

SIM_GLOBAL static int X = 11;
SIM_GLOBAL static int *heap_counter;

/* --- The heap --------------------------------------------------------------------------- */

static struct {
    void *a, *b, *d, *e, *first_again;
    uintptr_t aligned;
    int realloc_kept, calloc_zero;
    size_t allocs_end;
} H;

static void heap_worker(void *arg)
{
    (void)arg;
    H.a = sim_heap_alloc(100);
    H.b = sim_heap_alloc(200);
    void *c = sim_heap_alloc(50);
    sim_heap_free(H.b);
    H.d = sim_heap_alloc(150);          /* first fit: b's place */
    sim_heap_free(H.a);
    sim_heap_free(H.d);                 /* a and d merge */
    H.e = sim_heap_alloc(300);          /* fits in the merged block only */
    sim_heap_free(H.e);
    sim_heap_free(c);                   /* everything free: the top goes back down */
    H.first_again = sim_heap_alloc(100);
    sim_heap_free(H.first_again);

    void *p = sim_heap_alloc_aligned(8192, 4096);
    H.aligned = (uintptr_t)p;
    unsigned char *q = sim_heap_alloc(64);
    for (int i = 0; i < 64; i++) q[i] = (unsigned char)i;
    q = sim_heap_realloc(q, 5000);
    H.realloc_kept = 1;
    for (int i = 0; i < 64; i++) H.realloc_kept &= q[i] == i;
    for (int i = 0; i < 5000; i++) q[i] = 0xaa;
    sim_heap_free(q);
    unsigned char *z = sim_heap_calloc(50, 100);     /* over the 0xaa garbage */
    H.calloc_zero = 1;
    for (int i = 0; i < 5000; i++) H.calloc_zero &= z[i] == 0;
    sim_heap_free(z);
    sim_heap_free(p);
    H.allocs_end = sim_heap_allocations(NULL);
}

static void test_heap_first_fit_coalesce_top(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, heap_worker, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_ptr_equal(H.d, H.b);
    assert_ptr_equal(H.e, H.a);
    assert_ptr_equal(H.first_again, H.a);
    assert_int_equal(H.aligned % 4096, 0);
    assert_true(H.realloc_kept);
    assert_true(H.calloc_zero);
    assert_int_equal(H.allocs_end, 0);
    sim_task_destroy(t);
    simtest_close(&st);
}

static void heap_exhaust(void *arg)
{
    (void)arg;
    H.a = sim_heap_alloc(SIZE_MAX / 2);
    H.b = sim_heap_alloc(1u << 30);     /* more than the arena */
}

static void test_heap_full_returns_null(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, heap_exhaust, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_null(H.a);
    assert_null(H.b);
    sim_task_destroy(t);
    simtest_close(&st);
}

/* sim_heap_block_size: the size asked for at a live block's start, 0 anywhere else. */
static struct {
    size_t at_start, aligned, inside, freed, beyond, null, zero, local;
} B;

static void block_size_worker(void *arg)
{
    (void)arg;
    int local = 0;
    unsigned char *a = sim_heap_alloc(100);
    unsigned char *p = sim_heap_alloc_aligned(40, 4096);   /* as ool_copy gives an array */
    unsigned char *z = sim_heap_alloc(0);
    unsigned char *c = sim_heap_alloc(24);
    B.at_start = sim_heap_block_size(a);
    B.aligned = sim_heap_block_size(p);
    B.inside = sim_heap_block_size(a + 16);
    B.zero = sim_heap_block_size(z);
    sim_heap_free(a);
    B.freed = sim_heap_block_size(a);
    B.beyond = sim_heap_block_size(p + 4096);   /* a page past a 40-byte block */
    B.null = sim_heap_block_size(NULL);
    B.local = sim_heap_block_size(&local);
    sim_heap_free(p);
    sim_heap_free(z);
    sim_heap_free(c);
}

static void test_heap_block_size(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, block_size_worker, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(B.at_start, 100);
    assert_int_equal(B.aligned, 40);
    assert_int_equal(B.inside, 0);
    assert_int_equal(B.zero, 0);
    assert_int_equal(B.freed, 0);
    assert_int_equal(B.beyond, 0);
    assert_int_equal(B.null, 0);
    assert_int_equal(B.local, 0);
    sim_task_destroy(t);
    simtest_close(&st);
}

/* --- Fresh and copied images ------------------------------------------------------------- */

static int seen[8];

static void set_x(void *arg)
{
    seen[0] = X;
    X = (int)(intptr_t)arg;
}

static void read_x(void *arg) { seen[(intptr_t)arg] = X; }

static void test_fresh_and_copied_images(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    memset(seen, 0, sizeof seen);
    sim_task *t1 = sim_task_create(NULL, 0);
    sim_thread_spawn(t1, set_x, (void *)5);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(seen[0], 11);              /* the initializer */
    sim_task *fresh = sim_task_create(NULL, 0);
    sim_task *copy = sim_task_create(t1, 1);    /* t1 is in place, no thread running */
    sim_thread_spawn(fresh, read_x, (void *)1);
    sim_thread_spawn(copy, read_x, (void *)2);
    assert_int_equal(sim_run(), SIM_OK);
    sim_task *copy2 = sim_task_create(t1, 1);   /* t1 saved now: copied from host memory */
    sim_thread_spawn(copy2, read_x, (void *)3);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(seen[1], 11);
    assert_int_equal(seen[2], 5);
    assert_int_equal(seen[3], 5);
    int x = 0;
    assert_int_equal(sim_task_peek(t1, &X, &x, sizeof x), 0);
    assert_int_equal(x, 5);
    assert_int_equal(sim_task_peek(fresh, &X, &x, sizeof x), 0);
    assert_int_equal(x, 11);
    assert_int_equal(sim_task_peek(t1, (void *)0x1000, &x, sizeof x), -1);
    assert_int_equal(sim_task_peek(t1, (char *)0x200000000000 + (32u << 20), &x, sizeof x), -1);
    sim_task_destroy(t1);
    sim_task_destroy(fresh);
    sim_task_destroy(copy);
    sim_task_destroy(copy2);
    simtest_close(&st);
    /* after close the globals are pristine again */
    assert_int_equal(X, 11);
}

/* --- Isolation under interleaving -------------------------------------------------------- */

static int final_x[3], final_heap[3];

static void counter_worker(void *arg)
{
    int n = (int)(intptr_t)arg;
    heap_counter = sim_heap_alloc(sizeof *heap_counter);
    *heap_counter = 0;
    X = 0;
    for (int i = 0; i < 10; i++) {
        X += n;
        *heap_counter += 2 * n;
        sim_yield("yield");
    }
    final_x[n] = X;
    final_heap[n] = *heap_counter;
    sim_heap_free(heap_counter);
}

static void test_tasks_isolated_when_interleaved(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    sim_task *a = sim_task_create(NULL, 0), *b = sim_task_create(NULL, 0);
    sim_thread_spawn(a, counter_worker, (void *)1);
    sim_thread_spawn(b, counter_worker, (void *)2);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(final_x[1], 10);
    assert_int_equal(final_x[2], 20);
    assert_int_equal(final_heap[1], 20);
    assert_int_equal(final_heap[2], 40);
    sim_task_destroy(a);
    sim_task_destroy(b);
    simtest_close(&st);
}

/* --- Deep stacks survive image switches ----------------------------------------------------- */

static int deep_ok;

static int recurse(int depth)
{
    volatile char pad[512];
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = (char)(depth + (int)i);
    if (depth == 0) {
        sim_yield("bottom");    /* the other task runs on the same addresses meanwhile */
        return 1;
    }
    int ok = recurse(depth - 1);
    for (size_t i = 0; i < sizeof pad; i++) ok &= pad[i] == (char)(depth + (int)i);
    return ok;
}

static void deep_worker(void *arg)
{
    (void)arg;
    deep_ok += recurse(60);     /* about 35 KiB of a 64 KiB slot */
}

static void test_deep_stacks_copied(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    deep_ok = 0;
    sim_task *a = sim_task_create(NULL, 0), *b = sim_task_create(NULL, 0);
    sim_thread_spawn(a, deep_worker, NULL);
    sim_thread_spawn(b, deep_worker, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(deep_ok, 2);
    sim_task_destroy(a);
    sim_task_destroy(b);
    simtest_close(&st);
}

/* --- Stack slots are given back ------------------------------------------------------------ */

static int chain_left;

static void chain(void *arg)
{
    (void)arg;
    if (--chain_left > 0) sim_thread_spawn(sim_task_self(), chain, NULL);
}

static void test_stack_slots_reused(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open_cfg(&st, (sim_config){ .arena_size = 8u << 20 });  /* 32 slots */
    chain_left = 200;
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, chain, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(chain_left, 0);
    sim_task_destroy(t);
    simtest_close(&st);
}

/* --- A task without an image ------------------------------------------------------------------- */

static struct {
    uint64_t copies_seen[8];
    int nseen;
    int tls_zero, tls_distinct, peek_refused;
    void *tls[2];
} HT;

static void image_worker(void *arg)
{
    (void)arg;
    X = 42;                             /* a SIM_GLOBAL of this image */
    for (int i = 0; i < 3; i++) sim_yield("image");
    HT.copies_seen[HT.nseen++] = (uint64_t)X; /* still its own: no other image came in place */
}

static void host_worker(void *arg)
{
    int k = (int)(intptr_t)arg;
    unsigned char *tls = sim_thread_tls(sim_self());
    HT.tls[k] = tls;
    int zero = 1;
    for (int i = 0; i < SIM_HOST_TLS_SIZE; i++) zero &= tls[i] == 0;
    HT.tls_zero += zero;
    tls[0] = 1;                         /* its own block: the other thread's stays zero */
    int local = 7;
    HT.peek_refused += sim_task_peek(sim_task_self(), &local, &local, sizeof local) == -1;
    for (int i = 0; i < 3; i++) sim_yield("host");
}

/* A host task (sim_task_create_host) runs its threads without its own image: switching between
 * an image task's thread and a host task's threads makes no image copy, so a run with one image
 * task makes exactly one, the load of that task's image. Its threads' TLS blocks are zeroed
 * host memory of SIM_HOST_TLS_SIZE bytes, one per thread, and nothing of it is in an image. */
static void test_host_task_keeps_image_in_place(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    memset(&HT, 0, sizeof HT);
    sim_task *a = sim_task_create(NULL, 0), *h = sim_task_create_host();
    assert_true(sim_task_is_host(h));
    assert_false(sim_task_is_host(a));
    sim_thread_spawn(a, image_worker, NULL);
    sim_thread_spawn(h, host_worker, (void *)0);
    sim_thread_spawn(h, host_worker, (void *)1);
    uint64_t c0 = sim_image_copies(NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(sim_image_copies(NULL) - c0, 1);   /* a's load, and nothing else */
    assert_int_equal(HT.nseen, 1);
    assert_int_equal(HT.copies_seen[0], 42);
    assert_int_equal(HT.tls_zero, 2);
    assert_true(HT.tls[0] != HT.tls[1]);
    assert_int_equal(HT.peek_refused, 2);
    sim_task_destroy(a);
    sim_task_destroy(h);
    simtest_close(&st);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_first_fit_coalesce_top),
        cmocka_unit_test(test_heap_full_returns_null),
        cmocka_unit_test(test_heap_block_size),
        cmocka_unit_test(test_fresh_and_copied_images),
        cmocka_unit_test(test_tasks_isolated_when_interleaved),
        cmocka_unit_test(test_deep_stacks_copied),
        cmocka_unit_test(test_stack_slots_reused),
        cmocka_unit_test(test_host_task_keeps_image_in_place),
    };
    if (argc > 1) cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
