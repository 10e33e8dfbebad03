/*
 * fuzz_record.c: libFuzzer over record_parse (sim/cli/record.c), the parser of forksim
 * replay's recordings: any input gives a complete record or an error naming a line, never a
 * crash, an overread or a leak (the fuzzer runs under ASan and LeakSanitizer). A parsed
 * record is written back and parsed again: the second parse must succeed and agree.
 * Seed corpus: tests/fuzz/corpus/record/.
 */
#include "record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_record r;
    char err[256];
    if (record_parse((const char *)data, size, &r, err, sizeof err) != 0) {
        if (strchr(err, ':') == NULL)
            abort(); /* an error always names its line */
        return 0;
    }
    if (r.version != 2) {
        record_free(&r);
        return 0;
    }
    /* write it back: the same record */
    char src[RECORD_MAX_GLIBC * 220] = "";
    size_t used = 0;
    for (size_t i = 0; i < r.nglibc; i++)
        used += (size_t)snprintf(src + used, sizeof src - used, "  %s sha256 %s\n", r.glibc[i].file,
                                 r.glibc[i].sha256);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    record_write(f, r.scenario_path, r.scenario_text, r.scenario_len, r.seed, r.picks, r.npicks, src,
                 r.trace);
    fclose(f);
    run_record again;
    if (record_parse(buf, len, &again, err, sizeof err) != 0 || again.seed != r.seed ||
        again.npicks != r.npicks || again.nglibc != r.nglibc ||
        (r.npicks > 0 && memcmp(again.picks, r.picks, r.npicks * sizeof *r.picks) != 0))
        abort();
    record_free(&again);
    free(buf);
    record_free(&r);
    return 0;
}
