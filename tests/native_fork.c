/*
 * native_fork.c: the baseline of `make bench`'s fork rate ratio, what a native Linux fork costs.
 * Not part of forksim: a small separate host program, the one place the project forks a host
 * process (tools/check-host-processes.sh traces the test programs and the simulator's side of
 * the benchmarks, never this).
 *
 * Method: `native_fork N` makes N forks, one at a time: fork, the child calls _exit(0) at once,
 * the parent waits for it with waitpid. It prints one line
 *     native N WALL_NS CPU_NS
 * WALL_NS: CLOCK_MONOTONIC from before the first fork to after the last waitpid. CPU_NS: the CPU
 * time getrusage reports over the same span, user and system, of this process (RUSAGE_SELF)
 * plus its waited-for children (RUSAGE_CHILDREN): the whole cost of the N forks, whoever paid
 * it, and none of the time spent waiting for a CPU. Its start-up (exec, the dynamic loader) is
 * outside both spans. The process is small (a few hundred KiB mapped), as a program that forks
 * usually is not, so this is a lower bound of a native fork's cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long tv_ns(struct timeval tv) { return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL; }

static long long cpu_ns(void)
{
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    return tv_ns(self.ru_utime) + tv_ns(self.ru_stime) + tv_ns(children.ru_utime) +
           tv_ns(children.ru_stime);
}

static long long wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0;
    if (argc != 2 || n <= 0) {
        fprintf(stderr, "usage: native_fork N   (N > 0 forks; prints: native N WALL_NS CPU_NS)\n");
        return 2;
    }
    long long c0 = cpu_ns(), w0 = wall_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0) {
            perror("native_fork: fork");
            return 1;
        }
        int status;
        if (waitpid(pid, &status, 0) != pid) {
            perror("native_fork: waitpid");
            return 1;
        }
    }
    long long w1 = wall_ns(), c1 = cpu_ns();
    printf("native %ld %lld %lld\n", n, w1 - w0, c1 - c0);
    return 0;
}
