/*
 * fuzz_scenario.c: libFuzzer harness for the scenario parser (sim/cli/scenario.c,
 * scenario_load). Any input must load or be refused with "file:line: what is wrong"; neither
 * a crash nor a sanitizer report nor an error without a line. Seed corpus: the scenarios of
 * traces/ (tests/fuzz/corpus/scenario/).
 */
#include "scenario.h"
#include "fuzzlib.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static scenario *s;
    if (s == NULL && (s = malloc(sizeof *s)) == NULL)
        abort();
    const char *path = fuzz_file(data, size, ".fsim");
    if (path == NULL)
        abort();
    char err[1024];
    memset(s, 0, sizeof *s);
    err[0] = '\0';
    if (scenario_load(path, s, err, sizeof err) != 0) {
        /* refused: the message must name the file and a line ("path:N: ...") */
        size_t n = strlen(path);
        if (strncmp(err, path, n) != 0 || err[n] != ':' || err[n + 1] < '0' || err[n + 1] > '9') {
            fprintf(stderr, "fuzz_scenario: error without file:line: %s\n", err);
            abort();
        }
    }
    return 0;
}
