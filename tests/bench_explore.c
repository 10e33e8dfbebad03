/*
 * bench_explore.c: how many runs per second forksim explore makes. Figures only: nothing here
 * is asserted (run by `make bench`).
 *
 * Method: the fault sweep of traces/sweep-default.fsim, as `forksim explore FILE --faults` runs
 * it (both builds of the fork, three faults for each RPC of the fork that can fail, every run
 * audited), with its rows formatted into /dev/null as the command formats them to a file. By
 * default each run starts from a snapshot of the world taken just before the fork (issue 11,
 * items 2 and 5: sim/rt/snapshot.c); the same sweep with every run booted and set up
 * (explore_options.whole_runs) is measured beside it, in the same rounds, the order
 * alternating. Each round runs both sweeps once in this one process (one host thread: one
 * core); a sweep's rate is its runs divided by the CPU time getrusage(RUSAGE_SELF) reports for
 * it, user plus system (the snapshot's own run and the run without faults included). Printed:
 * the median rate of each with the min and the max, and the wall-time rate of the median
 * round. `explore rate: N runs/s` is the median CPU-time rate from snapshots, as forksim
 * explore runs.
 *
 * `bench_explore --sweep N`: N sweeps (from snapshots) and nothing printed but the rate, for a
 * profiler or strace (make host-processes).
 */
#include "explore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define ROUNDS 5
#define SCENARIO "traces/sweep-default.fsim"

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6; }

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One sweep: *rate and *wall_rate get runs per CPU and per wall second; returns the runs. */
static size_t sweep(const scenario *s, FILE *devnull, bool whole, double *rate, double *wall_rate,
                    size_t *restored)
{
    explore_options o = {.kind = EXPLORE_FAULTS, .glibc = true, .ndebug = true, .out = devnull,
                         .whole_runs = whole};
    explore_summary sum;
    double c0 = cpu_now(), w0 = wall_now();
    if (explore_run(s, &o, &sum) != 0 || sum.bugs != 0) {
        fprintf(stderr, "bench_explore: the sweep failed\n");
        exit(1);
    }
    double c = cpu_now() - c0, w = wall_now() - w0;
    *rate = (double)sum.runs / c;
    *wall_rate = (double)sum.runs / w;
    *restored = sum.restored;
    return sum.runs;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rounds = ROUNDS;
    bool quiet = false;
    if (argc == 3 && strcmp(argv[1], "--sweep") == 0) {
        rounds = atoi(argv[2]);
        quiet = true;
    } else if (argc != 1) {
        fprintf(stderr, "usage: bench_explore [--sweep N]\n");
        return 2;
    }
    static scenario s;
    char err[1024];
    if (scenario_load(SCENARIO, &s, err, sizeof err) != 0) {
        fprintf(stderr, "bench_explore: %s\n", err);
        return 1;
    }
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull == NULL || rounds < 1)
        return 1;
    enum { MAXR = ROUNDS * 4 };
    double rate[2][MAXR], wall_rate[2][MAXR];
    size_t runs = 0, restored = 0, whole_restored = 0;
    int n = rounds < MAXR ? rounds : MAXR;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 2; j++) {
            int whole = quiet ? 0 : (i + j) % 2;    /* alternating which goes first */
            size_t r;
            runs = sweep(&s, devnull, whole, &rate[whole][i], &wall_rate[whole][i], &r);
            *(whole ? &whole_restored : &restored) = r;
            if (quiet)
                break;
        }
    }
    fclose(devnull);
    double med[2], lo[2], hi[2], med_wall[2] = {0, 0};
    for (int m = 0; m < (quiet ? 1 : 2); m++) {
        double by_cpu[MAXR];
        memcpy(by_cpu, rate[m], sizeof by_cpu);
        qsort(by_cpu, (size_t)n, sizeof by_cpu[0], cmp_double);
        med[m] = by_cpu[n / 2];
        lo[m] = by_cpu[0];
        hi[m] = by_cpu[n - 1];
        for (int i = 0; i < n; i++)
            if (rate[m][i] == med[m])
                med_wall[m] = wall_rate[m][i];
    }
    if (!quiet) {
        printf("forksim explore benchmark (figures only; method: tests/bench_explore.c)\n");
        printf("  the fault sweep of %s, both builds: %zu runs a sweep, %d rounds, one core\n",
               SCENARIO, runs, n);
        static const char *const what[] = {"from a snapshot before the fork", "each booted and set up"};
        for (int m = 0; m < 2; m++)
            printf("  runs %s: %zu restored; per CPU second: median %.0f, min %.0f, max %.0f "
                   "(%.1f us of CPU a run); per wall second in that round: %.0f\n",
                   what[m], m ? whole_restored : restored, med[m], lo[m], hi[m], 1e6 / med[m],
                   med_wall[m]);
        printf("  snapshot / whole-run rate: %.2f\n", med[0] / med[1]);
    }
    printf("explore rate: %.0f runs/s\n", med[0]);
    return 0;
}
