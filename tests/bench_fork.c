/*
 * bench_fork.c: what a simulated fork costs (glibc's real _Fork.c, unmodified) beside what a
 * native Linux fork costs, measured side by side in one run; and how the simulated fork's cost
 * grows with the names the process holds. Figures only: nothing here is asserted (run by
 * `make bench`).
 *
 * A simulated fork here is a whole world: forksim_open (kernel, proc/auth/fs/term servers),
 * one process with 32 names, its fork (the child runs to exit, the parent waits), forksim_close.
 * The native fork is fork + _exit + waitpid of this host process: the one place in forksim where
 * the host forks, and it is the benchmark's reference, not the simulator.
 */
#include "forksim.h"
#include "fork_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --- native ----------------------------------------------------------------------------------- */

static double native_forks_per_sec(double seconds)
{
    long n = 0;
    double t0 = now(), t;
    do {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0) {
            perror("fork");
            return 0;
        }
        int status;
        waitpid(pid, &status, 0);
        n++;
    } while ((t = now() - t0) < seconds);
    return (double)n / t;
}

/* --- simulated -------------------------------------------------------------------------------- */

/* What the simulated parent does and measures (host memory, shared by the processes). */
static struct {
    fn_kind kinds[3];       /* the kinds of extra names, round robin */
    unsigned nkinds;
    unsigned extra;         /* extra names to make before forking */
    unsigned pad_to;        /* make receive rights until the process holds this many names */
    double fork_secs;       /* fork + child to exit + wait */
    uint64_t fork_rpcs;
    size_t names;           /* the parent's names when it forked */
    int failed;
} job;

static int parent_main(void *arg)
{
    (void)arg;
    mach_port_t other = job.extra > 0 ? fn_other_task() : MACH_PORT_NULL, extra;
    for (unsigned i = 0; i < job.extra; i++)
        if (fn_make(job.kinds[i % job.nkinds], i, other, &extra) == MACH_PORT_NULL)
            job.failed = 1;
    size_t have = forksim_names(forksim_self(), NULL, 0);
    for (; have < job.pad_to; have++)
        if (fn_make(FN_RECV, 0, MACH_PORT_NULL, &extra) == MACH_PORT_NULL)
            job.failed = 1;
    job.names = forksim_names(forksim_self(), NULL, 0);
    uint64_t r0 = kern_rpc_count();
    double t0 = now();
    pid_t pid = forksim_fork();
    if (pid == 0)
        return 0;
    int status = 0;
    if (pid < 0 || forksim_wait(pid, &status) != 0)
        job.failed = 1;
    job.fork_secs = now() - t0;
    job.fork_rpcs = kern_rpc_count() - r0;
    return 0;
}

/* One world, one process, one fork. Returns 0, or -1 when something failed. */
static int sim_one(FILE *trace)
{
    forksim_options o = FORKSIM_DEFAULTS;
    o.trace = trace;
    job.failed = 0;
    if (forksim_open(&o) != 0)
        return -1;
    forksim_spawn(parent_main, NULL);
    enum forksim_result res = forksim_run();
    size_t aborts = forksim_aborts(NULL, 0);
    size_t leaked = forksim_close();
    return res == FORKSIM_OK && aborts == 0 && leaked == 0 && !job.failed ? 0 : -1;
}

/* Simulated forks per second, a world per fork, for about `seconds`; *fork_us gets the mean
 * time of the fork alone (fork + child + wait, inside the world). */
static double sim_forks_per_sec(double seconds, double *fork_us, uint64_t *rpcs, size_t *names)
{
    job.extra = 0;
    job.pad_to = 32;
    long n = 0;
    double in_fork = 0, t0 = now(), t;
    do {
        if (sim_one(NULL) != 0) {
            fprintf(stderr, "bench_fork: a simulated fork failed\n");
            exit(1);
        }
        in_fork += job.fork_secs;
        n++;
    } while ((t = now() - t0) < seconds);
    *fork_us = in_fork * 1e6 / (double)n;
    *rpcs = job.fork_rpcs;
    *names = job.names;
    return (double)n / t;
}

/* Mean of the fork alone over `reps` worlds with `extra` names of the given kinds. */
static void sim_scaled(const fn_kind *kinds, unsigned nkinds, unsigned extra, int reps,
                       double *us, uint64_t *rpcs)
{
    for (unsigned k = 0; k < nkinds; k++)
        job.kinds[k] = kinds[k];
    job.nkinds = nkinds;
    job.extra = extra;
    job.pad_to = 32;
    double sum = 0;
    for (int i = 0; i < reps; i++) {
        if (sim_one(NULL) != 0) {
            fprintf(stderr, "bench_fork: a simulated fork with %u extra names failed\n", extra);
            exit(1);
        }
        sum += job.fork_secs;
    }
    *us = sum * 1e6 / reps;
    *rpcs = job.fork_rpcs;
}

/* `bench_fork`: every figure. `bench_fork SECS [N]`: only simulated forks for SECS seconds
 * (with N extra names of each kind), for a profiler. */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double fork_us;
    uint64_t rpcs;
    size_t names;
    if (argc > 1) {
        double secs = atof(argv[1]), t0 = now();
        static const fn_kind mix[] = {FN_SENDN, FN_RECV_SEND, FN_DEADN};
        long n = 0;
        do {
            sim_scaled(mix, 3, argc > 2 ? (unsigned)atoi(argv[2]) : 0, 1, &fork_us, &rpcs);
            n++;
        } while (now() - t0 < secs);
        printf("%ld worlds, %.1f us each, last fork %.1f us, %llu RPCs\n", n, (now() - t0) * 1e6 / n,
               fork_us, (unsigned long long)rpcs);
        return 0;
    }
    double sim = sim_forks_per_sec(1.0, &fork_us, &rpcs, &names);
    double native = native_forks_per_sec(1.0);
    printf("forksim fork benchmark (figures only; glibc's real _Fork.c)\n");
    printf("  simulated forks per second (world opened and closed per fork, %zu names): %.0f\n", names, sim);
    printf("  native fork+_exit+waitpid per second:                                  %.0f\n", native);
    printf("fork rate ratio (simulated/native): %.2f\n", sim / native);
    printf("  microseconds per simulated fork, world reset included: %8.2f\n", 1e6 / sim);
    printf("  microseconds per simulated fork alone (fork+child+wait): %6.2f, %.0f/s, ratio to native %.2f\n",
           fork_us, 1e6 / fork_us, 1e6 / fork_us / native);
    printf("  RPCs per fork: %llu; nanoseconds per RPC (fork time / RPCs): %.0f\n",
           (unsigned long long)rpcs, fork_us * 1e3 / (double)rpcs);

    static const struct {
        const char *what;
        fn_kind kinds[3];
        unsigned nkinds;
    } series[] = {
        {"send rights (2-9 urefs, other task's ports)", {FN_SENDN}, 1},
        {"receive rights with send rights", {FN_RECV_SEND}, 1},
        {"dead names (2-9 urefs)", {FN_DEADN}, 1},
        {"a third of each", {FN_SENDN, FN_RECV_SEND, FN_DEADN}, 3},
    };
    static const unsigned ns[] = {0, 10, 100, 1000, 10000};
    for (size_t s = 0; s < sizeof series / sizeof series[0]; s++) {
        printf("  extra names: %s\n", series[s].what);
        printf("  %8s %10s %12s %10s %14s %14s\n", "N", "RPCs/fork", "us/fork", "ns/RPC", "RPCs/name", "us/name");
        double us0 = 0;
        uint64_t rpcs0 = 0;
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            int reps = ns[i] >= 10000 ? 3 : ns[i] >= 1000 ? 10 : 50;
            double us;
            uint64_t r;
            sim_scaled(series[s].kinds, series[s].nkinds, ns[i], reps, &us, &r);
            if (ns[i] == 0) {
                us0 = us;
                rpcs0 = r;
                printf("  %8u %10llu %12.1f %10.0f %14s %14s\n", ns[i], (unsigned long long)r, us,
                       us * 1e3 / (double)r, "-", "-");
            } else {
                printf("  %8u %10llu %12.1f %10.0f %14.2f %14.3f\n", ns[i], (unsigned long long)r, us,
                       us * 1e3 / (double)r, (double)(r - rpcs0) / ns[i], (us - us0) / ns[i]);
            }
        }
    }
    return 0;
}
