/*
 * fuzz_run.c: libFuzzer harness for whole runs: a scenario from the fuzzer's bytes, loaded
 * and, when it loads, run on the simulated Hurd with glibc's fork (sim/cli/runner.c), under
 * the sanitizers. Whatever the scenario says, the run must end (any verdict is fine) with no
 * sanitizer report, no invariant violation (model_check) and no object left at close: those
 * are forksim's own bugs, and the harness aborts on them. Every 16th run is run a second time
 * and must give the same trace, byte for byte (one process, deterministic).
 *
 * Small limits keep a run short and inside what forksim models today: inputs of at most 2 KiB,
 * at most FUZZ_MAX_FORKS forks, FUZZ_MAX_THREADS extra threads and FUZZ_MAX_NAMES names of
 * each kind, no `decisions` line (it would read another file). Scenarios beyond them are
 * skipped, not run. (The fixed tables that end a longer scenario as "unmodelled" are issue
 * 12, item 5.)
 * Most mutated inputs have a line the parser refuses; rather than drop them, the harness drops
 * the line the error names ("file:LINE: ...") and loads again, up to FUZZ_MAX_REPAIRS times,
 * so that more inputs become runs (the parser itself is fuzz_scenario's).
 * Seed corpus: the scenarios of traces/ (tests/fuzz/corpus/run/).
 */
#include "runner.h"
#include "fuzzlib.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_BYTES 2048
#define FUZZ_MAX_FORKS 3
#define FUZZ_MAX_THREADS 4
#define FUZZ_MAX_NAMES 8
#define FUZZ_MAX_HAVES 24
#define FUZZ_MAX_REPAIRS 8

/* Removes line `line` (1-based) from buf[0..*len). Returns false if there is no such line. */
static bool line_drop(char *buf, size_t *len, long line)
{
    size_t start = 0;
    for (long l = 1; l < line; l++) {
        char *nl = memchr(buf + start, '\n', *len - start);
        if (nl == NULL)
            return false;
        start = (size_t)(nl - buf) + 1;
    }
    if (start >= *len)
        return false;
    char *nl = memchr(buf + start, '\n', *len - start);
    size_t end = nl != NULL ? (size_t)(nl - buf) + 1 : *len;
    memmove(buf + start, buf + end, *len - end);
    *len -= end - start;
    return true;
}

static bool within_limits(const scenario *s)
{
    unsigned forks = 0, threads = 0, names = 0, fds = 0;
    if (s->decisions[0] != '\0' || s->nhaves > FUZZ_MAX_HAVES)
        return false;
    for (size_t i = 0; i < s->nhaves; i++) {
        const scn_have *h = &s->haves[i];
        threads += h->kind == HAVE_THREAD;
        fds += h->kind == HAVE_FD;
        if (h->kind == HAVE_NAMES)
            names += h->count;
    }
    for (size_t i = 0; i < s->nsteps; i++)
        forks += s->steps[i].kind == STEP_FORK;
    return forks <= FUZZ_MAX_FORKS && threads <= FUZZ_MAX_THREADS && names <= FUZZ_MAX_NAMES &&
           fds <= 8;
}

/* How many inputs came, loaded, and ran within the limits: said at exit, so a campaign's
 * figure of whole runs is the runs, not the inputs. */
static unsigned long inputs, loaded, ran;

static void counts_print(void)
{
    fprintf(stderr, "fuzz_run: %lu inputs, %lu loaded, %lu run whole\n", inputs, loaded, ran);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static scenario *s;
    static run_result *r;
    if (inputs++ == 0)
        atexit(counts_print);
    if (size > FUZZ_MAX_BYTES)
        return 0;
    if (s == NULL && ((s = malloc(sizeof *s)) == NULL || (r = malloc(sizeof *r)) == NULL))
        abort();
    static char buf[FUZZ_MAX_BYTES];
    size_t len = size;
    if (size)
        memcpy(buf, data, size);
    char err[1024];
    const char *path = NULL;
    for (int tries = 0;; tries++) {
        if ((path = fuzz_file((const uint8_t *)buf, len, ".fsim")) == NULL)
            abort();
        memset(s, 0, sizeof *s);
        if (scenario_load(path, s, err, sizeof err) == 0)
            break;
        /* "PATH:LINE: what": drop that line and try again */
        size_t n = strlen(path);
        char *end;
        long line = strncmp(err, path, n) == 0 && err[n] == ':' ? strtol(err + n + 1, &end, 10) : 0;
        if (tries == FUZZ_MAX_REPAIRS || line <= 0 || !line_drop(buf, &len, line))
            return 0;
    }
    loaded++;
    if (!within_limits(s))
        return 0;
    ran++;
    memset(r, 0, sizeof *r);
    run_options o = {0};
    if (run_scenario(s, &o, r) == 0) {
        if (r->invariant_violations != 0 || r->leaked != 0) {
            for (size_t i = 0; i < r->nmessages; i++)
                fprintf(stderr, "fuzz_run: %s\n", r->messages[i]);
            fprintf(stderr, "fuzz_run: %zu invariant violations, %zu objects left at close\n",
                    r->invariant_violations, r->leaked);
            abort();
        }
    }
    if (ran % 16 == 1) {
        static run_result *again;
        if (again == NULL && (again = malloc(sizeof *again)) == NULL)
            abort();
        memset(again, 0, sizeof *again);
        run_scenario(s, &o, again);
        if (again->trace_len != r->trace_len ||
            (r->trace_len && memcmp(again->trace, r->trace, r->trace_len) != 0)) {
            fprintf(stderr, "fuzz_run: the same scenario ran twice gives two traces\n");
            abort();
        }
        run_result_free(again);
    }
    run_result_free(r);
    return 0;
}
