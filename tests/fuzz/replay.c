/*
 * replay.c: runs a fuzz harness (tests/fuzz/fuzz_NAME.c) over files, without libFuzzer: each
 * file named, or each file in each directory named, is one input. make check links it with
 * every harness in the sanitizer build (gcc's, glibc's objects included) and replays the seed
 * corpora (tests/fuzz/corpus/NAME/) and every crash found so far, once fixed
 * (tests/fuzz/crashes/NAME/). A report or an abort fails the program.
 *
 * usage: replay_NAME FILE|DIR...
 */
#include "fuzzlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap && (buf = realloc(buf, cap = cap ? 2 * cap : 4096)) == NULL)
            abort();
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}


int main(int argc, char **argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[i]) != 0)
                return 2;
            count++;
            continue;
        }
        struct dirent **list;
        int n = scandir(argv[i], &list, NULL, alphasort);
        if (n < 0) {
            perror(argv[i]);
            return 2;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], list[k]->d_name);
            if (list[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                if (replay_file(path) != 0)
                    return 2;
                count++;
            }
            free(list[k]);
        }
        free(list);
    }
    printf("%s: %zu inputs, no report\n", argv[0], count);
    return 0;
}
