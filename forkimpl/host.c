/*
 * host.c: forkimpl's host-side state: what the simulation reports about simulated processes
 * (their assertion failures) and the host's errno stand-in. Host memory, outside every image,
 * on purpose: it must survive the tasks it describes. Not simulated-process code.
 */
#include "forkimpl.h"

int errno_host;

static fi_abort_record aborts[FI_MAX_ABORTS];
static unsigned naborts;

void fi_abort_note(const fi_abort_record *record)
{
    if (naborts < FI_MAX_ABORTS)
        aborts[naborts] = *record;
    naborts++;
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
}
