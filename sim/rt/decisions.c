/* decisions.c: a run's decisions, and the text file that carries them to a replay.
 *
 * The file is line-oriented text:
 *
 *     forksim-decisions 1
 *     seed 42
 *     policy random
 *     pick 1
 *     pick 3
 *     ...
 *
 * The version line comes first; `seed` once before the picks; `policy` is informational;
 * one `pick <thread id>` per scheduling decision, in step order; blank lines and lines
 * starting with '#' are ignored. `event WHAT` (the explorer's, issue 10 item 2: "destroy
 * NAME", a port's death) is acted out at the scheduling point of the next pick, before it;
 * WHAT is the layer above's (sim_config.event_fire). A reader that does not know a keyword
 * says so with its file and line.
 * Lists belong to their caller, not to the runtime: they use malloc, not the runtime's
 * counted allocations, so a list read for a replay outlives the runtime that replays it.
 * Stands in for rr's trace of scheduling events (rr/src/TraceStream.cc), much reduced.
 */
#include "sim_int.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

void decisions_push(sim_decisions *d, int pick)
{
    if (d->npicks == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->picks = realloc(d->picks, d->cap * sizeof *d->picks);
        if (!d->picks) sim_fatal("out of host memory for %zu decisions", d->cap);
    }
    d->picks[d->npicks++] = pick;
}

void decisions_push_event(sim_decisions *d, uint64_t step, const char *what)
{
    if (d->nevents == d->ecap) {
        d->ecap = d->ecap ? 2 * d->ecap : 8;
        d->events = realloc(d->events, d->ecap * sizeof *d->events);
        if (!d->events) sim_fatal("out of host memory for %zu events", d->ecap);
    }
    sim_decided_event *e = &d->events[d->nevents++];
    e->step = step;
    snprintf(e->what, sizeof e->what, "%s", what);
}

int sim_decisions_write(const sim_decisions *d, const char *path)
{
    /* A path that is not a regular file (a device, a pipe) is written in place: a rename
     * over it would replace the device with a file. */
    struct stat st;
    bool in_place = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
    size_t len = strlen(path);
    char *tmp = malloc(len + 5);
    if (!tmp) return -1;
    memcpy(tmp, path, len);
    memcpy(tmp + len, in_place ? "" : ".tmp", in_place ? 1 : 5);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int e = errno;
        free(tmp);
        errno = e;
        return -1;
    }
    fprintf(f, "forksim-decisions 1\nseed %" PRIu64 "\n", d->seed);
    if (d->policy[0]) fprintf(f, "policy %s\n", d->policy);
    size_t e = 0;
    for (size_t i = 0; i <= d->npicks; i++) {
        for (; e < d->nevents && d->events[e].step <= i; e++) fprintf(f, "event %s\n", d->events[e].what);
        if (i < d->npicks) fprintf(f, "pick %d\n", d->picks[i]);
    }
    bool bad = ferror(f) != 0;
    int err = bad ? errno : 0;
    if (fclose(f) != 0 && !bad) {
        bad = true;
        err = errno;
    }
    if (!bad && !in_place && rename(tmp, path) != 0) {
        bad = true;
        err = errno;
    }
    if (bad && !in_place) unlink(tmp);
    free(tmp);
    errno = err;
    return bad ? -2 : 0;
}

void sim_decisions_free(sim_decisions *d)
{
    if (!d) return;
    free(d->picks);
    free(d->events);
    free(d);
}

static sim_decisions *fail(sim_decisions *d, FILE *f, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static sim_decisions *fail(sim_decisions *d, FILE *f, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    sim_decisions_free(d);
    if (f) fclose(f);
    return NULL;
}

// Returns a new list, or NULL with "path:line: what is wrong" in err (nothing allocated).
sim_decisions *sim_decisions_read(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return fail(NULL, NULL, err, errlen, "%s: %s", path, strerror(errno));
    sim_decisions *d = calloc(1, sizeof *d);
    if (!d) return fail(NULL, f, err, errlen, "%s: out of memory", path);
    char line[256];
    int lineno = 0;
    bool have_version = false, have_seed = false;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n')
            return fail(d, f, err, errlen, "%s:%d: line too long", path, lineno);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0 || line[0] == '#') continue;
        char word[32], rest[64];
        uint64_t v;
        int end = 0;
        if (!have_version) {
            if (sscanf(line, "forksim-decisions %" SCNu64 " %n", &v, &end) != 1 || line[end])
                return fail(d, f, err, errlen, "%s:%d: expected 'forksim-decisions 1' first", path, lineno);
            if (v != 1)
                return fail(d, f, err, errlen, "%s:%d: version %" PRIu64 " not supported (this reads 1)",
                            path, lineno, v);
            have_version = true;
            continue;
        }
        if (sscanf(line, "%31s %n", word, &end) != 1)
            return fail(d, f, err, errlen, "%s:%d: empty decision", path, lineno);
        if (!strcmp(word, "seed")) {
            if (have_seed) return fail(d, f, err, errlen, "%s:%d: second 'seed' line", path, lineno);
            if (d->npicks) return fail(d, f, err, errlen, "%s:%d: 'seed' after the picks", path, lineno);
            if (sscanf(line, "seed %" SCNu64 " %n", &v, &end) != 1 || line[end] || strchr(line, '-'))
                return fail(d, f, err, errlen, "%s:%d: expected 'seed <unsigned number>'", path, lineno);
            d->seed = v;
            have_seed = true;
        } else if (!strcmp(word, "policy")) {
            if (sscanf(line, "policy %63s %n", rest, &end) != 1 || line[end] || strlen(rest) >= sizeof d->policy)
                return fail(d, f, err, errlen, "%s:%d: expected 'policy <name>'", path, lineno);
            strcpy(d->policy, rest);
        } else if (!strcmp(word, "pick")) {
            int t;
            if (!have_seed) return fail(d, f, err, errlen, "%s:%d: 'pick' before 'seed'", path, lineno);
            if (sscanf(line, "pick %d %n", &t, &end) != 1 || line[end] || t <= 0)
                return fail(d, f, err, errlen, "%s:%d: expected 'pick <thread id>' (a positive number)",
                            path, lineno);
            decisions_push(d, t);
        } else if (!strcmp(word, "event")) {
            if (!have_seed) return fail(d, f, err, errlen, "%s:%d: 'event' before 'seed'", path, lineno);
            const char *what = line + end;
            if (!*what || strlen(what) >= sizeof d->events[0].what)
                return fail(d, f, err, errlen, "%s:%d: expected 'event WHAT' (at most %zu characters)",
                            path, lineno, sizeof d->events[0].what - 1);
            decisions_push_event(d, d->npicks, what);
        } else {
            return fail(d, f, err, errlen, "%s:%d: unknown decision '%s' (known: seed, policy, pick, event)",
                        path, lineno, word);
        }
    }
    if (ferror(f)) return fail(d, f, err, errlen, "%s:%d: read error", path, lineno);
    if (!have_version) return fail(d, f, err, errlen, "%s:%d: empty file, expected 'forksim-decisions 1'", path, lineno + 1);
    if (!have_seed) return fail(d, f, err, errlen, "%s:%d: no 'seed' line", path, lineno + 1);
    fclose(f);
    return d;
}
