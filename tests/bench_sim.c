/* bench_sim.c: what the runtime's switches and image copies cost. Figures only; nothing
 * is asserted (run by `make bench`).
 *
 * A "switch" is one scheduler pick that moves from one simulated thread to another:
 * thread -> scheduler -> thread, two context swaps. Across tasks each pick also saves one
 * image and loads the other, so its cost grows with the used bytes of the images.
 *
 * Method: two threads yield to each other under the round-robin policy, in one task or in two
 * (1,000,000 yields each; 100,000 with 16, 64 and 256 KiB of heap written in each task); the
 * wall time of sim_run (CLOCK_MONOTONIC) over the picks the scheduler made is the cost of a
 * switch, and the cost per KiB is the difference to the nearly empty images over the KiB of
 * one task's heap. task_create(inherit) + destroy: 20,000 of them from a task holding 0, 64
 * and 256 KiB of heap, the wall time over the count. One run each, in this one process: wall
 * time, so a loaded machine shows in them (say the load beside them).
 */
#include "sim.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static long rounds;
static size_t heap_kib;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void yielder(void *arg)
{
    (void)arg;
    char *p = heap_kib ? sim_heap_alloc(heap_kib * 1024) : NULL;
    if (p) memset(p, 1, heap_kib * 1024);
    for (long i = 0; i < rounds; i++) sim_yield("yield");
    sim_heap_free(p);
}

// Runs two yielding threads, in one task or in two; returns ns per switch.
static double switches(bool two_tasks, long n, size_t kib)
{
    sim_config cfg = { .policy = SIM_ROUND_ROBIN, .max_steps = UINT64_MAX };
    if (sim_open(&cfg) != 0) {
        perror("sim_open");
        return -1;
    }
    rounds = n;
    heap_kib = kib;
    sim_task *a = sim_task_create(NULL, 0), *b = two_tasks ? sim_task_create(NULL, 0) : a;
    sim_thread_spawn(a, yielder, NULL);
    sim_thread_spawn(b, yielder, NULL);
    double t0 = now();
    sim_run();
    double t = now() - t0;
    uint64_t picks = sim_decisions_made()->npicks;
    sim_task_destroy(a);
    if (b != a) sim_task_destroy(b);
    sim_close();
    return t * 1e9 / (double)picks;
}

static sim_task *created;
static long creates;

static void creator(void *arg)
{
    (void)arg;
    char *p = heap_kib ? sim_heap_alloc(heap_kib * 1024) : NULL;
    if (p) memset(p, 1, heap_kib * 1024);
    double t0 = now();
    for (long i = 0; i < creates; i++) sim_task_destroy(sim_task_create(sim_task_self(), 1));
    double t = now() - t0;
    printf("  task_create(inherit) + destroy, %4zu KiB heap: %8.2f us\n", heap_kib, t * 1e6 / (double)creates);
    sim_heap_free(p);
}

static void copies(size_t kib)
{
    sim_config cfg = { .policy = SIM_RUN_UNTIL_BLOCK };
    if (sim_open(&cfg) != 0) return;
    heap_kib = kib;
    creates = 20000;
    created = sim_task_create(NULL, 0);
    sim_thread_spawn(created, creator, NULL);
    sim_run();
    sim_task_destroy(created);
    sim_close();
}

int main(void)
{
    const long n = 1000000;
    double same = switches(false, n, 0), cross = switches(true, n, 0);
    printf("forksim runtime benchmark (figures only)\n");
    printf("  switches within a task:  %8.1f ns each, %6.2f M/s\n", same, 1e3 / same);
    printf("  switches across tasks:   %8.1f ns each, %6.2f M/s (images nearly empty)\n", cross, 1e3 / cross);
    double base = cross;
    static const size_t sizes[] = { 16, 64, 256 };
    for (size_t i = 0; i < 3; i++) {
        double ns = switches(true, n / 10, sizes[i]);
        printf("  across tasks, %4zu KiB heap each: %8.1f ns per switch, %5.1f ns per KiB used (saved and loaded)\n",
               sizes[i], ns, (ns - base) / (double)sizes[i]);
    }
    for (size_t i = 0; i < 3; i++) copies(i ? sizes[i] : 0);
    return 0;
}
