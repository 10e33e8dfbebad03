/*
 * bench_explore.c: how many runs per second forksim explore makes. Figures only: nothing here
 * is asserted (run by `make bench`).
 *
 * Method: the fault sweep of traces/sweep-default.fsim, as `forksim explore FILE --faults` runs
 * it (both builds of the fork, three faults for each RPC of the fork that can fail, every run
 * audited), with its rows formatted into /dev/null as the command formats them to a file. The
 * sweep runs ROUNDS times in this one process (one host thread: one core); each round's rate
 * is its runs divided by the CPU time getrusage(RUSAGE_SELF) reports for it, user plus system.
 * Printed: the median rate with the min and the max, and the wall-time rate of the median
 * round. `explore rate: N runs/s` is the median CPU-time rate.
 *
 * `bench_explore --sweep N`: N sweeps and nothing printed but the rate, for a profiler.
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

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rounds = ROUNDS;
    if (argc == 3 && strcmp(argv[1], "--sweep") == 0)
        rounds = atoi(argv[2]);
    else if (argc != 1) {
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
    explore_options o = {.kind = EXPLORE_FAULTS, .glibc = true, .ndebug = true, .out = devnull};
    double rate[ROUNDS * 4], wall_rate[ROUNDS * 4];
    size_t runs = 0;
    for (int i = 0; i < rounds && i < ROUNDS * 4; i++) {
        explore_summary sum;
        double c0 = cpu_now(), w0 = wall_now();
        if (explore_run(&s, &o, &sum) != 0 || sum.bugs != 0) {
            fprintf(stderr, "bench_explore: the sweep failed\n");
            return 1;
        }
        double c = cpu_now() - c0, w = wall_now() - w0;
        runs = sum.runs;
        rate[i] = (double)sum.runs / c;
        wall_rate[i] = (double)sum.runs / w;
    }
    fclose(devnull);
    int n = rounds < ROUNDS * 4 ? rounds : ROUNDS * 4;
    double by_cpu[ROUNDS * 4];
    memcpy(by_cpu, rate, sizeof by_cpu);
    qsort(by_cpu, (size_t)n, sizeof by_cpu[0], cmp_double);
    double med = by_cpu[n / 2];
    double med_wall = 0;
    for (int i = 0; i < n; i++)
        if (rate[i] == med)
            med_wall = wall_rate[i];
    if (argc == 1) {
        printf("forksim explore benchmark (figures only; method: tests/bench_explore.c)\n");
        printf("  the fault sweep of %s, both builds: %zu runs a sweep, %d sweeps, one core\n",
               SCENARIO, runs, n);
        printf("  runs per CPU second: median %.0f, min %.0f, max %.0f (%.1f us of CPU a run); "
               "per wall second in that round: %.0f\n",
               med, by_cpu[0], by_cpu[n - 1], 1e6 / med, med_wall);
    }
    printf("explore rate: %.0f runs/s\n", med);
    return 0;
}
