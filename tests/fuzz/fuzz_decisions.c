/*
 * fuzz_decisions.c: libFuzzer harness for the decisions parser (sim/rt/decisions.c,
 * sim_decisions_read: the `forksim-decisions 1` files a scenario's `decisions` line names).
 * Any input must be read or refused with "file:line: what is wrong", and a list read must
 * write back and read again to the same list. Seed corpus: the .decisions files of traces/ and lists
 * forksim saved (tests/fuzz/corpus/decisions/).
 */
#include "sim.h"
#include "fuzzlib.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".decisions");
    if (path == NULL)
        abort();
    char err[512] = "";
    sim_decisions *d = sim_decisions_read(path, err, sizeof err);
    if (d == NULL) {
        size_t n = strlen(path);
        if (strncmp(err, path, n) != 0 || err[n] != ':' || err[n + 1] < '0' || err[n + 1] > '9') {
            fprintf(stderr, "fuzz_decisions: error without file:line: %s\n", err);
            abort();
        }
        return 0;
    }
    /* What was read writes back as the same list. */
    if (sim_decisions_write(d, path) != 0)
        abort();
    sim_decisions *again = sim_decisions_read(path, err, sizeof err);
    if (again == NULL) {
        fprintf(stderr, "fuzz_decisions: a list written back does not read: %s\n", err);
        abort();
    }
    if (again->seed != d->seed || again->npicks != d->npicks || strcmp(again->policy, d->policy) != 0 ||
        (d->npicks && memcmp(again->picks, d->picks, d->npicks * sizeof *d->picks) != 0)) {
        fprintf(stderr, "fuzz_decisions: a list written back reads differently\n");
        abort();
    }
    sim_decisions_free(again);
    sim_decisions_free(d);
    return 0;
}
