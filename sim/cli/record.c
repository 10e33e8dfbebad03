/*
 * record.c: recorded runs, written and parsed (record.h has the format). The parser works on
 * a buffer, so forksim replay, the tests and the fuzzer (tests/fuzz/fuzz_record.c) share it;
 * whatever the input, it returns an error or a complete record, and allocates nothing it
 * does not hand back or free.
 */
#include "record.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *buf;
    size_t len, pos;
    int lineno;
    char *err;
    size_t errlen;
} cursor;

/* The next line (without its newline) in *line, *n; false at the end of the buffer. */
static bool line_next(cursor *c, const char **line, size_t *n)
{
    if (c->pos >= c->len)
        return false;
    const char *start = c->buf + c->pos;
    const char *nl = memchr(start, '\n', c->len - c->pos);
    *line = start;
    *n = nl != NULL ? (size_t)(nl - start) : c->len - c->pos;
    c->pos += *n + (nl != NULL ? 1 : 0);
    c->lineno++;
    return true;
}

static int bad(cursor *c, const char *fmt, ...)
{
    int k = snprintf(c->err, c->errlen, "%d: ", c->lineno);
    if (k < 0 || (size_t)k >= c->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

/* line == "KEY VALUE": VALUE (not NUL-terminated) in *v, *vn. */
static bool keyword(const char *line, size_t n, const char *key, const char **v, size_t *vn)
{
    size_t k = strlen(key);
    if (n < k + 2 || memcmp(line, key, k) != 0 || line[k] != ' ')
        return false;
    *v = line + k + 1;
    *vn = n - k - 1;
    return true;
}

/* A decimal number of n characters, at most max. */
static bool number(const char *s, size_t n, unsigned long long max, unsigned long long *out)
{
    if (n == 0 || n > 20)
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (d > max || v > (max - d) / 10) /* d > max: max - d would wrap */
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Copies the rest of the buffer from the cursor (n_lines lines, or all when n_lines is 0) into
 * a new NUL-terminated string. */
static char *take_lines(cursor *c, size_t n_lines, size_t *out_len)
{
    size_t start = c->pos;
    const char *l;
    size_t n;
    if (n_lines == 0) {
        c->pos = c->len;
    } else {
        for (size_t i = 0; i < n_lines; i++)
            if (!line_next(c, &l, &n))
                return NULL;
    }
    size_t len = c->pos - start;
    char *s = malloc(len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, c->buf + start, len);
    s[len] = '\0';
    *out_len = len;
    return s;
}

void record_free(run_record *r)
{
    free(r->scenario_text);
    free(r->picks);
    free(r->events);
    free(r->trace);
    memset(r, 0, sizeof *r);
}

int record_parse(const char *buf, size_t len, run_record *r, char *err, size_t errlen)
{
    cursor c = {.buf = buf, .len = len, .err = err, .errlen = errlen};
    memset(r, 0, sizeof *r);
    const char *l, *v;
    size_t n, vn;
    unsigned long long x;
    bool have_seed = false, have_picks = false, have_trace = false;
    int rc = -1;
    if (memchr(buf, '\0', len) != NULL) {
        c.lineno = 1;
        for (const char *p = buf; p < (const char *)memchr(buf, '\0', len); p++)
            c.lineno += *p == '\n';
        bad(&c, "a NUL byte: not a recording");
        goto out;
    }
    if (!line_next(&c, &l, &n)) {
        c.lineno = 1;
        bad(&c, "empty: not a forksim run (the first line must be 'forksim-run 2')");
        goto out;
    }
    if (n == 13 && memcmp(l, "forksim-run 1", 13) == 0)
        r->version = 1;
    else if (n == 13 && memcmp(l, "forksim-run 2", 13) == 0)
        r->version = 2;
    else {
        bad(&c, "not a forksim run (the first line must be 'forksim-run 2')");
        goto out;
    }
    while (!have_trace && line_next(&c, &l, &n)) {
        if (n == 0)
            continue;
        if (keyword(l, n, "scenario", &v, &vn)) {
            if (r->scenario_path[0] != '\0')
                return bad(&c, "a second scenario line"), record_free(r), -1;
            if (vn >= sizeof r->scenario_path)
                return bad(&c, "the scenario path is too long"), record_free(r), -1;
            memcpy(r->scenario_path, v, vn);
            r->scenario_path[vn] = '\0';
        } else if (keyword(l, n, "seed", &v, &vn)) {
            if (have_seed)
                return bad(&c, "a second seed line"), record_free(r), -1;
            if (!number(v, vn, UINT64_MAX, &r->seed))
                return bad(&c, "seed N: N a decimal number"), record_free(r), -1;
            have_seed = true;
        } else if (keyword(l, n, "glibc", &v, &vn)) {
            const char *sp = memchr(v, ' ', vn);
            size_t fn = sp != NULL ? (size_t)(sp - v) : 0, hn = sp != NULL ? vn - fn - 1 : 0;
            if (r->nglibc == RECORD_MAX_GLIBC)
                return bad(&c, "more than %d glibc lines", RECORD_MAX_GLIBC), record_free(r), -1;
            bool plain = true; /* a file name is one word of printable characters */
            for (size_t i = 0; i < fn; i++)
                plain = plain && (unsigned char)v[i] > ' ' && v[i] != 0x7f;
            for (size_t i = 0; sp != NULL && i < hn; i++)
                plain = plain && ((sp[1 + i] >= '0' && sp[1 + i] <= '9') || (sp[1 + i] >= 'a' && sp[1 + i] <= 'f'));
            if (sp == NULL || fn == 0 || fn >= sizeof r->glibc[0].file || hn != 64 || !plain)
                return bad(&c, "glibc FILE SHA256 (64 lowercase hex digits)"), record_free(r), -1;
            memcpy(r->glibc[r->nglibc].file, v, fn);
            r->glibc[r->nglibc].file[fn] = '\0';
            memcpy(r->glibc[r->nglibc].sha256, sp + 1, 64);
            r->glibc[r->nglibc].sha256[64] = '\0';
            r->nglibc++;
        } else if (keyword(l, n, "scenario-text", &v, &vn)) {
            if (r->scenario_text != NULL)
                return bad(&c, "a second scenario-text"), record_free(r), -1;
            if (!number(v, vn, 100000, &x) || x == 0)
                return bad(&c, "scenario-text N: N lines follow, from 1 to 100000"), record_free(r), -1;
            int at = c.lineno;
            r->scenario_text = take_lines(&c, (size_t)x, &r->scenario_len);
            if (r->scenario_text == NULL) {
                c.lineno = at;
                return bad(&c, "scenario-text %llu: fewer lines follow", x), record_free(r), -1;
            }
        } else if (keyword(l, n, "picks", &v, &vn)) {
            /* one picks line; its numbers on the lines after it */
            if (have_picks)
                return bad(&c, "a second picks line"), record_free(r), -1;
            if (!number(v, vn, RECORD_MAX_PICKS, &x))
                return bad(&c, "picks N: N from 0 to %u", RECORD_MAX_PICKS), record_free(r), -1;
            have_picks = true;
            r->npicks = (size_t)x;
            /* grown as picks come: an announced count alone allocates little */
            size_t cap = r->npicks < 4096 ? r->npicks + 1 : 4096;
            r->picks = malloc(cap * sizeof *r->picks);
            if (r->picks == NULL)
                return bad(&c, "out of memory for %zu picks", r->npicks), record_free(r), -1;
            size_t got = 0;
            while (got < r->npicks) {
                if (!line_next(&c, &l, &n))
                    return bad(&c, "%zu picks announced, %zu found", r->npicks, got), record_free(r), -1;
                for (size_t i = 0; i < n;) {
                    if (l[i] == ' ') {
                        i++;
                        continue;
                    }
                    size_t j = i + (l[i] == '-');
                    while (j < n && l[j] >= '0' && l[j] <= '9')
                        j++;
                    unsigned long long p;
                    bool neg = l[i] == '-';
                    if (!number(l + i + neg, j - i - neg, INT32_MAX, &p) || (j < n && l[j] != ' '))
                        return bad(&c, "a pick is not a number"), record_free(r), -1;
                    if (got == r->npicks)
                        return bad(&c, "more picks than announced"), record_free(r), -1;
                    if (got == cap) {
                        cap = cap * 2 < r->npicks + 1 ? cap * 2 : r->npicks + 1;
                        int *np = realloc(r->picks, cap * sizeof *r->picks);
                        if (np == NULL)
                            return bad(&c, "out of memory for %zu picks", r->npicks), record_free(r), -1;
                        r->picks = np;
                    }
                    r->picks[got++] = neg ? -(int)p : (int)p;
                    i = j;
                }
            }
        } else if (keyword(l, n, "event", &v, &vn)) {
            const char *sp = memchr(v, ' ', vn);
            size_t sn = sp != NULL ? (size_t)(sp - v) : 0, wn = sp != NULL ? vn - sn - 1 : 0;
            if (!have_picks)
                return bad(&c, "an event line before the picks"), record_free(r), -1;
            if (r->nevents == RECORD_MAX_EVENTS)
                return bad(&c, "more than %d events", RECORD_MAX_EVENTS), record_free(r), -1;
            if (sp == NULL || !number(v, sn, r->npicks, &x) || wn == 0 ||
                wn >= sizeof r->events[0].what || memchr(sp + 1, '\0', wn) != NULL ||
                (r->nevents > 0 && x < r->events[r->nevents - 1].step))
                return bad(&c, "event STEP WHAT: STEP at most the picks, ascending; WHAT at most 63 characters"),
                       record_free(r), -1;
            if (r->nevents == 0) {
                r->events = malloc(RECORD_MAX_EVENTS * sizeof *r->events);
                if (r->events == NULL)
                    return bad(&c, "out of memory for events"), record_free(r), -1;
            }
            r->events[r->nevents].step = x;
            memcpy(r->events[r->nevents].what, sp + 1, wn);
            r->events[r->nevents++].what[wn] = '\0';
        } else if (n == 5 && memcmp(l, "trace", 5) == 0) {
            have_trace = true;
        } else {
            return bad(&c, "unexpected line"), record_free(r), -1;
        }
    }
    if (!have_trace || r->scenario_path[0] == '\0' || !have_seed || !have_picks) {
        bad(&c, "incomplete: a run has a scenario, seed, picks and trace");
        goto out;
    }
    if (r->version == 2 && r->scenario_text == NULL) {
        bad(&c, "incomplete: a version 2 run carries its scenario-text");
        goto out;
    }
    r->trace = take_lines(&c, 0, &r->trace_len);
    if (r->trace == NULL) {
        bad(&c, "out of memory for the trace");
        goto out;
    }
    return 0;
out:
    record_free(r);
    return rc;
}

size_t record_glibc_of(const char *src, record_glibc *out, size_t max)
{
    size_t k = 0;
    for (const char *line = src; line != NULL && *line != '\0' && k < max;) {
        const char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        char file[128], hash[65];
        char buf[512];
        if (n < sizeof buf) {
            memcpy(buf, line, n);
            buf[n] = '\0';
            if (sscanf(buf, " %127s sha256 %64s", file, hash) == 2 && strlen(hash) == 64) {
                snprintf(out[k].file, sizeof out[k].file, "%s", file);
                snprintf(out[k].sha256, sizeof out[k].sha256, "%s", hash);
                k++;
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return k;
}

int record_write(FILE *f, const char *scenario_path, const char *text, size_t text_len,
                 unsigned long long seed, const int *picks, size_t npicks, const char *glibc_source,
                 const char *trace)
{
    return record_write_events(f, scenario_path, text, text_len, seed, picks, npicks, NULL, 0,
                               glibc_source, trace);
}

int record_write_events(FILE *f, const char *scenario_path, const char *text, size_t text_len,
                        unsigned long long seed, const int *picks, size_t npicks,
                        const record_event *events, size_t nevents, const char *glibc_source,
                        const char *trace)
{
    record_glibc g[RECORD_MAX_GLIBC];
    size_t ng = record_glibc_of(glibc_source, g, RECORD_MAX_GLIBC);
    size_t lines = 0;
    for (size_t i = 0; i < text_len; i++)
        lines += text[i] == '\n';
    bool unterminated = text_len > 0 && text[text_len - 1] != '\n';
    fprintf(f, "forksim-run 2\nscenario %s\nseed %llu\n", scenario_path, seed);
    for (size_t i = 0; i < ng; i++)
        fprintf(f, "glibc %s %s\n", g[i].file, g[i].sha256);
    fprintf(f, "scenario-text %zu\n", lines + unterminated);
    fwrite(text, 1, text_len, f);
    if (unterminated)
        fputc('\n', f);
    fprintf(f, "picks %zu\n", npicks);
    for (size_t i = 0; i < npicks; i++)
        fprintf(f, "%d%c", picks[i], (i + 1) % 32 == 0 || i + 1 == npicks ? '\n' : ' ');
    for (size_t i = 0; i < nevents; i++)
        fprintf(f, "event %llu %s\n", events[i].step, events[i].what);
    fprintf(f, "trace\n");
    fputs(trace, f);
    return ferror(f) ? -1 : 0;
}
