/*
 * bench_rpc.c: what one RPC costs through the whole stub path (scheduling point, fault-plan
 * check, model call, trace line), measured in one run beside the model call alone.
 * Figures only: nothing here is asserted.
 *
 * Method: one simulated thread calls __mach_port_type on a receive right of its own N
 * (200,000) times through the stub, the trace written to /dev/null (so formatted), then
 * mk_mach_port_type, the model's call, N times directly; each loop's wall time
 * (CLOCK_MONOTONIC) over N is printed, and their ratio. One run, in this one process: wall
 * time, so a loaded machine shows in it.
 */
#include "kern.h"
#include "mach_stubs.h"

#include <stdio.h>
#include <time.h>

#define N 200000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double stub_secs, model_secs;

static void rpc_loop(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    mach_port_t r;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r);
    mach_port_type_t type;
    double t0 = now();
    for (int i = 0; i < N; i++)
        __mach_port_type(self, r, &type);
    stub_secs = now() - t0;
    kthread_t *k = kern_self();
    t0 = now();
    for (int i = 0; i < N; i++)
        mk_mach_port_type(k, self, r, &type);
    model_secs = now() - t0;
}

int main(void)
{
    FILE *devnull = fopen("/dev/null", "w");
    kern_config cfg = {.trace = devnull};
    if (kern_open(&cfg) != 0)
        return 1;
    kern_boot_task(rpc_loop, NULL, NULL);
    sim_run();
    kern_close();
    fclose(devnull);
    printf("trivial RPC (mach_port_type) through the stub, traced: %.0f ns, %.2f M/s\n",
           stub_secs / N * 1e9, N / stub_secs / 1e6);
    printf("the same model call alone:                        %.0f ns, %.2f M/s\n",
           model_secs / N * 1e9, N / model_secs / 1e6);
    printf("stub overhead ratio (stub/model): %.1f\n", stub_secs / model_secs);
    return 0;
}
