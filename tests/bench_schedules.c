/*
 * bench_schedules.c: how many schedules per second the race explorer runs (issue 10: `make
 * bench` prints `schedules rate: N runs/s`). Figures only: nothing here is asserted.
 *
 * Method: forksim explore traces/walkthrough.fsim --schedules --bound 2, as the command runs it
 * (sleep sets on, the outcome of every run computed), its first RUNS runs of the depth-first
 * search, ROUNDS times in this one process (one host thread: one core). Each round's rate is
 * its counted runs divided by the CPU time getrusage(RUSAGE_SELF) reports for it, user plus
 * system; runs the sleep sets cut short are done too but not counted, so the rate is of
 * schedules explored. Printed: the median rate, with the min and the max.
 */
#include "schedules.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define ROUNDS 5
#define RUNS 3000
#define SCENARIO "traces/walkthrough.fsim"

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6; }

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    static scenario s;
    char err[1024];
    if (scenario_load(SCENARIO, &s, err, sizeof err) != 0) {
        fprintf(stderr, "bench_schedules: %s\n", err);
        return 1;
    }
    sx_program prog;
    if (sx_scenario_open(&prog, &s) != 0)
        return 1;
    sx_options o = {.bound = 2, .prune = true, .max_runs = RUNS};
    double rate[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        sx_result res;
        double t0 = cpu_now();
        if (sx_explore(&prog, &o, &res, NULL, NULL) != 0) {
            fprintf(stderr, "bench_schedules: %s\n", res.error);
            return 1;
        }
        double t = cpu_now() - t0;
        rate[i] = t > 0 ? (double)res.runs / t : 0.0;
        sx_result_free(&res);
    }
    sx_scenario_close(&prog);
    qsort(rate, ROUNDS, sizeof rate[0], cmp_double);
    printf("schedules: %s at bound 2, the first %d runs of the search, %d rounds: %.0f to %.0f runs/s\n",
           SCENARIO, RUNS, ROUNDS, rate[0], rate[ROUNDS - 1]);
    printf("schedules rate: %.0f runs/s\n", rate[ROUNDS / 2]);
    return 0;
}
