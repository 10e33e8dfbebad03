/*
 * host.c: forkimpl's host-side state: what the simulation reports about simulated processes
 * (their assertion failures) and the host's errno stand-in. Host memory, outside every image,
 * on purpose: it must survive the tasks it describes. Not simulated-process code.
 */
#include "forkimpl.h"

/* World state, copied by snapshots (sim/rt/snapshot.c). */
SIM_WORLD_STATE int errno_host;

SIM_WORLD_STATE static fi_abort_record aborts[FI_MAX_ABORTS];
SIM_WORLD_STATE static unsigned naborts;

static void (*abort_hook)(const fi_abort_record *record, void *arg);
static void *abort_hook_arg;

void fi_set_abort_hook(void (*fn)(const fi_abort_record *record, void *arg), void *arg)
{
    abort_hook = fn;
    abort_hook_arg = arg;
}

void fi_abort_note(const fi_abort_record *record)
{
    if (naborts < FI_MAX_ABORTS)
        aborts[naborts] = *record;
    naborts++;
    if (abort_hook != NULL)
        abort_hook(record, abort_hook_arg);
}

unsigned fi_aborts(const fi_abort_record **records)
{
    if (records != NULL)
        *records = aborts;
    return naborts < FI_MAX_ABORTS ? naborts : FI_MAX_ABORTS;
}

void fi_aborts_reset(void)
{
    naborts = 0;
    extern void fi_signals_reset_(void);
    fi_signals_reset_();
}

#define FI_MAX_SIGNALS 64
SIM_WORLD_STATE static fi_signal_record signals[FI_MAX_SIGNALS];
SIM_WORLD_STATE static unsigned nsignals;

void fi_signal_note(int task, int signo, int sigcode)
{
    if (nsignals < FI_MAX_SIGNALS)
        signals[nsignals++] = (fi_signal_record){task, signo, sigcode};
}

unsigned fi_signals(const fi_signal_record **records)
{
    if (records != NULL)
        *records = signals;
    return nsignals;
}

void fi_signals_reset_(void)
{
    nsignals = 0;
    extern void fi_signal_events_reset_(void); /* sigapi.c */
    fi_signal_events_reset_();
}
