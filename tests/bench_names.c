/*
 * bench_names.c: how forksim's cost grows with the names a process holds, and what memory one
 * simulated process takes. Figures only: nothing here is asserted (run by `make bench`).
 *
 * Method, per-name cost: for each size N (10, 100, 1,000, 10,000 and 100,000 names) a scenario
 *     have names C          (C = (N + 3) / 7: each count is one name of each of 7 kinds)
 *     parent fork -> ok, child exit 0, parent wait -> status 0
 * runs through the scenario runner with the trace off (run_options.no_trace), beside the same
 * scenario with `have send held` instead (one name, and the peer process `have names` starts
 * too): the baseline. A sample is a batch of runs of each (BATCH of them: 128 at 10 names
 * down to 1 at 10,000 and more, a few milliseconds of CPU at least), alternating baseline and
 * sized run by run, each first every other time, so that both see the same load; a run's cost
 * is the CPU time of the process over it, user plus system (CLOCK_PROCESS_CPUTIME_ID, what
 * getrusage(RUSAGE_SELF) sums, to the nanosecond). All sizes are sampled in three rounds
 * (a change of load midway reaches every size alike), 33, 33, 21, 9 and 3 samples in all.
 * The cost per name is the median over the samples of (sized - baseline) per run, divided by
 * the names added (the parent's names just before fork, from the run's result, less the
 * baseline's). It covers the whole world: the set-up RPCs that make the names, the fork that
 * copies them, the child's exit, the runner's listings of the spaces and model_check. Each
 * size runs once unmeasured first (its pages faulted in once, as the baseline's are), so the
 * figures are of a loop of runs, as a sweep makes. Printed per size, then the spread (largest
 * over smallest cost per name) from 10 to 10,000 names and from 10 to 100,000.
 * BENCH_NAMES_DIFFS=1 prints every sample on stderr.
 *
 * What bounds the spread (issue 11, item 6). A name costs about 440 bytes of world heap, by
 * the structures' sizes (its entry in the parent, the child and the peer, 80 bytes each; its port, 184 bytes, and
 * the child's new port for a receive right; a port set's 80): 1,000 names fit in this
 * machine's 1 MiB L2 cache, 10,000 (4.4 MB) and 100,000 (44 MB) do not, so there every pass
 * over the names misses the cache. What grew faster than the names was removed (profile of a
 * loop of 100,000-name worlds against 10,000-name ones, perf record -F 2000, same names in
 * all): a server's port-set teardown that scanned every port of the world; the reverse map
 * (a per-space hash by port address, a miss per lookup: now a list on the port); model_check's
 * uthash with a calloc per port (now one array by serial) and its three pointer-chasing walks
 * of the world's port list (now the serial table); entries allocated one by one behind an
 * array of pointers (now in chunks of 32 by name: a walk reads memory in sequence); the
 * decision list regrown and faulted in at every run. Measured before these, under a load of
 * 5 to 11: 0.83 / 0.74 / 0.84 / 1.22 / 4.34 us a name at 10 / 100 / 1k / 10k / 100k names
 * (spreads 1.65 and 5.84); after, under a load of 11: about 0.75 / 0.80 / 0.78 / 1.09 /
 * 1.05 (spreads 1.3 to 1.5 and 1.4 to 1.55). What remains at 10,000 names and more is a
 * port read per name and operation that misses the cache (space_lookup's touch of the port for
 * the explorer, right_copyin, right_destroy_common at exit, the runner's description of each
 * name), about 0.3 us a name on this machine under load: within 1.5x at 10,000 names only
 * just, and the figure moves with the load, which evicts the caches of the bigger worlds more.
 *
 * Method, memory per simulated process: two worlds, one with FEW and one with MANY idle Hurd
 * processes (each ran its start-up, then blocks as a daemon); after forksim_run, the host memory
 * in use is read in each: the host heap (mallinfo2: uordblks + hblkhd) and the world heap
 * (sim_world_heap_live: the runtime's image buffers, stack tables and thread blocks, and the
 * model's tasks, threads, spaces and ports live there); the difference over MANY - FEW is the
 * memory one more process costs. The image in place in the arena is one
 * process's at a time and not counted.
 */
#include "runner.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The process's CPU time, user plus system: what getrusage(RUSAGE_SELF) sums, to the
 * nanosecond (getrusage rounds to microseconds, a run of 10 names is about 100). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Loads the scale scenario with `have names count`, or for count 0 the baseline: one send right
 * to a port of the peer instead (`have names` starts the peer process, so the baseline does). */
static int load_scale(unsigned count, scenario *s)
{
    char path[] = "/tmp/forksim-bench-names-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "forksim-scenario 1\ntitle scale\n");
    if (count > 0)
        fprintf(f, "have names %u\n", count);
    else
        fprintf(f, "have send held\n");
    fprintf(f, "parent fork -> ok\nchild exit 0\nparent wait -> status 0\nexpect verdict ok\n");
    fclose(f);
    char err[1024];
    int rc = scenario_load(path, s, err, sizeof err);
    unlink(path);
    if (rc != 0)
        fprintf(stderr, "bench_names: %s\n", err);
    return rc;
}

static run_result result;

/* One run, trace off: its CPU seconds; *names gets the parent's names at fork. */
static double run_once(const scenario *s, size_t *names)
{
    run_options o = {.no_trace = true};
    double c0 = cpu_now();
    if (run_scenario(s, &o, &result) != 0 || result.verdict != VERDICT_OK || result.leaked != 0) {
        fprintf(stderr, "bench_names: the scale scenario failed (%s)\n",
                result.nmessages ? result.messages[0] : run_verdict_name(result.verdict));
        exit(1);
    }
    double c = cpu_now() - c0;
    *names = result.before_fork.total;
    run_result_free(&result);
    return c;
}

/* A sample: `batch` runs of each scenario, alternating one by one (each first every other
 * time), so that both sides see the same load; the CPU seconds per run of each. */
static void run_pairs(const scenario *base, const scenario *sized, int batch, double *tb,
                      double *tn, size_t *n0, size_t *nn)
{
    *tb = *tn = 0;
    for (int i = 0; i < batch; i++) {
        if (i % 2 == 0) {
            *tb += run_once(base, n0);
            *tn += run_once(sized, nn);
        } else {
            *tn += run_once(sized, nn);
            *tb += run_once(base, n0);
        }
    }
    *tb /= batch;
    *tn /= batch;
}

/* --- memory per process ----------------------------------------------------------------------- */

static int idle_main(void *arg)
{
    (void)arg;
    sim_thread_set_daemon(sim_self(), true);
    for (;;)
        sim_block("idle, for bench_names");
    return 0;
}

/* The host heap (mallinfo2) and the world heap (sim_walloc: the model's objects, the runtime's
 * tasks, threads and image buffers live there). */
static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd + sim_world_heap_live();
}

/* Host heap in use with `procs` idle processes started. */
static size_t world_with(unsigned procs)
{
    forksim_options o = FORKSIM_DEFAULTS;
    if (forksim_open(&o) != 0)
        exit(1);
    for (unsigned i = 0; i < procs; i++)
        forksim_spawn(idle_main, NULL);
    if (forksim_run() != FORKSIM_OK)
        exit(1);
    size_t bytes = heap_in_use();
    forksim_close();
    return bytes;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    enum { NSIZES = 5, ROUNDS = 3, MAXS = 33 };
    static scenario base, sized[NSIZES];
    if (load_scale(0, &base) != 0)
        return 1;
    static const unsigned sizes[NSIZES] = {10, 100, 1000, 10000, 100000};
    /* a sample is a batch of runs of each side, a few milliseconds of CPU or more */
    static const int per_round[NSIZES] = {11, 11, 7, 3, 1}, batch[NSIZES] = {128, 32, 4, 1, 1};
    static double tb[NSIZES][MAXS], tn[NSIZES][MAXS], td[NSIZES][MAXS];
    size_t n0 = 0, nn[NSIZES] = {0};
    printf("forksim scale benchmark (figures only; method: tests/bench_names.c)\n");
    (void)run_once(&base, &n0); /* warm the arena and the caches */
    for (int k = NSIZES - 1; k >= 0; k--) {
        if (load_scale((sizes[k] + 3) / 7, &sized[k]) != 0)
            return 1;
        (void)run_once(&sized[k], &nn[k]); /* the pages a size needs: faulted in once */
    }
    /* rounds over all sizes: a change of load in the middle reaches every size alike */
    for (int round = 0; round < ROUNDS; round++)
        for (int k = 0; k < NSIZES; k++)
            for (int i = round * per_round[k]; i < (round + 1) * per_round[k]; i++) {
                run_pairs(&base, &sized[k], batch[k], &tb[k][i], &tn[k][i], &n0, &nn[k]);
                td[k][i] = tn[k][i] - tb[k][i];
            }
    printf("  %8s %8s %6s %6s %14s %14s %12s\n", "names", "added", "pairs", "batch",
           "world us CPU", "baseline us", "us/name");
    double per_name[NSIZES];
    for (int k = 0; k < NSIZES; k++) {
        size_t np = (size_t)(ROUNDS * per_round[k]);
        if (getenv("BENCH_NAMES_DIFFS") != NULL)
            for (size_t i = 0; i < np; i++)
                fprintf(stderr, "  %u: pair %zu base %.1f sized %.1f us\n", sizes[k], i,
                        tb[k][i] * 1e6, tn[k][i] * 1e6);
        per_name[k] = median(td[k], np) / (double)(nn[k] - n0);
        double mb = median(tb[k], np), mn = median(tn[k], np);
        printf("  %8u %8zu %6zu %6d %14.1f %14.1f %12.3f\n", sizes[k], nn[k] - n0, np, batch[k],
               mn * 1e6, mb * 1e6, per_name[k] * 1e6);
    }
    double lo = per_name[0], hi = per_name[0];
    for (int k = 1; k < 4; k++) {
        lo = per_name[k] < lo ? per_name[k] : lo;
        hi = per_name[k] > hi ? per_name[k] : hi;
    }
    printf("  cost per name, largest over smallest, 10 to 10,000 names: %.2f (target <= 1.5)\n", hi / lo);
    lo = per_name[4] < lo ? per_name[4] : lo;
    hi = per_name[4] > hi ? per_name[4] : hi;
    printf("  cost per name, largest over smallest, 10 to 100,000 names: %.2f (target <= 2)\n", hi / lo);

    enum { FEW = 2, MANY = 14 }; /* the term server makes at most 64 ctty ports, 4 a process */
    (void)world_with(FEW);
    size_t few = world_with(FEW), many = world_with(MANY);
    printf("memory per simulated process: %.1f KiB (host and world heap, %d against %d idle processes; target < 64)\n",
           ((double)many - (double)few) / (MANY - FEW) / 1024.0, MANY, FEW);
    return 0;
}
