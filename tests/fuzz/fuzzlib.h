/*
 * fuzzlib.h: what the fuzz harnesses (tests/fuzz/fuzz_NAME.c) share.
 *
 * forksim's parsers read files by path (as the command does), so a harness writes the fuzzer's
 * bytes to a scratch file, one per process, in /dev/shm when there is one (memory, not disk),
 * and hands the parser its path. The file's name ends in the suffix the parser's errors will
 * show; it is removed at exit.
 */
#ifndef FORKSIM_FUZZLIB_H
#define FORKSIM_FUZZLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_path_[96];

static void fuzz_path_remove_(void)
{
    if (fuzz_path_[0] != '\0')
        unlink(fuzz_path_);
}

/* Writes data to the harness's scratch file; returns its path (NULL if it cannot be written). */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    if (fuzz_path_[0] == '\0') {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_path_, sizeof fuzz_path_, "%s/forksim-fuzz-%d%s", dir, (int)getpid(), suffix);
        atexit(fuzz_path_remove_);
    }
    FILE *f = fopen(fuzz_path_, "w");
    if (f == NULL)
        return NULL;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || n != size)
        return NULL;
    return fuzz_path_;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
