/* simtest.h: helpers for the tests of sim/ (the runtime), included by tests/test_sched.c,
 * tests/test_image.c and tests/bench_sim.c.
 *
 * simtest_open starts a runtime with a policy and a seed, logging events into memory;
 * simtest_close is the leak audit every test ends with: no task left for sim_close to
 * reclaim, and no host allocation of the runtime left after it.
 */
#ifndef FORKSIM_SIMTEST_H
#define FORKSIM_SIMTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim.h"

struct simtest {
    char *log;          /* event log, filled by open_memstream */
    size_t loglen;
    FILE *events;
};

static inline void simtest_open_cfg(struct simtest *st, sim_config cfg)
{
    memset(st, 0, sizeof *st);
    st->events = open_memstream(&st->log, &st->loglen);
    assert_non_null(st->events);
    cfg.events = st->events;
    assert_int_equal(sim_open(&cfg), 0);
}

static inline void simtest_open(struct simtest *st, enum sim_policy_kind policy, uint64_t seed)
{
    simtest_open_cfg(st, (sim_config){ .policy = policy, .seed = seed });
}

// The event log so far.
static inline const char *simtest_log(struct simtest *st)
{
    fflush(st->events);
    return st->log;
}

// Ends a test: closes the runtime and audits leaks. Keeps the log in st->log (free it
// with simtest_free_log) when keep_log, else frees it.
static inline void simtest_close_keep(struct simtest *st, bool keep_log)
{
    int left = sim_close();
    size_t bytes = 0, n = sim_host_allocations(&bytes);
    fclose(st->events);
    st->events = NULL;
    if (!keep_log) {
        free(st->log);
        st->log = NULL;
    }
    if (left || n) print_error("leak audit: %d task(s) left; unfreed runtime memory: %zu bytes in %zu allocations\n",
                               left, bytes, n);
    assert_int_equal(left, 0);
    assert_int_equal(n, 0);
}

static inline void simtest_close(struct simtest *st) { simtest_close_keep(st, false); }

/* A host-side trace the simulated threads append to (host memory, outside every image). */
static char simtest_trace[8192];
static size_t simtest_trace_len;

static inline void trace_reset(void)
{
    simtest_trace_len = 0;
    simtest_trace[0] = 0;
}

static inline void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void trace(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(simtest_trace + simtest_trace_len, sizeof simtest_trace - simtest_trace_len, fmt, ap);
    va_end(ap);
    if (n > 0 && simtest_trace_len + (size_t)n < sizeof simtest_trace) simtest_trace_len += (size_t)n;
}

#endif
