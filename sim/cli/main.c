/*
 * main.c: the forksim command.
 *
 *   forksim run FILE [--format=text|jsonl] [--seed N] [--stop-at STEP] [--sites] [--record RUN]
 *   forksim replay RUN          (a recording: sim/cli/record.h)
 *   forksim explore FILE --faults|--port-deaths [--fork glibc|glibc-ndebug|both]
 *                   [--routine R] [--fault KIND] [--run N] [--no-progress]
 *   forksim explore --errors
 *
 * Exit status: 0 the expectations held; 1 one failed; 2 bad usage or input (file:line: what
 * is wrong); 3 forksim's own error (an invariant violation, a leak, an unmodelled call).
 */
#include "explore.h"
#include "record.h"
#include "runner.h"
#include "schedules.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FORKSIM_VERSION "0.1.0"

extern const char forksim_fork_source[]; /* generated from build/glibc/KEY/src/SOURCE */

static void usage(FILE *out)
{
    fputs("usage: forksim run FILE [options]     run a scenario with glibc's real fork\n"
          "       forksim replay RUN              re-run a recorded run, check the same events\n"
          "       forksim explore FILE --faults       fail each RPC of the fork in turn (3 ways)\n"
          "       forksim explore FILE --port-deaths  a port dies before each RPC of the fork\n"
          "       forksim explore --errors            the error each routine fails with, and why\n"
          "       forksim explore FILE --schedules    every schedule up to a preemption bound (--bound K,\n"
          "                                           --no-bound; or --pct D --runs N --seed S), outcomes\n"
          "                                           [--no-prune] [--stop-on abort|deadlock|finding|expectation]\n"
          "                                           [--shard I/N] [--format=jsonl] [--save DIR] [--max-runs N]\n"
          "       forksim shrink [FILE] RUN.dec [-o OUT.dec]  the smallest schedule with RUN.dec's outcome\n"
          "       forksim merge FILE...               shards' --format=jsonl outputs as one search's summary\n"
          "       forksim --help | --version\n"
          "\n"
          "options of run:\n"
          "  --format=text|jsonl   output: the trace and a summary (text), or one JSON object a line\n"
          "  --seed N              the scheduler's seed (default: the scenario's, else 1)\n"
          "  --stop-at STEP        show both name spaces as they were just before trace step STEP\n"
          "  --sites               annotate each RPC of the fork with its _Fork.c line\n"
          "  --all                 show the boot and set-up too (text format hides them)\n"
          "  --explain             a one-line note after each RPC of the parent and the child\n"
          "  --record RUN          save the run (scenario, decisions, trace) for forksim replay\n"
          "  --save-decisions F    save the scheduler's decisions (for a scenario's decisions line)\n"
          "\n"
          "options of explore (one row per run on stdout, progress on stderr):\n"
          "  --fork glibc|glibc-ndebug|both   which build of the fork (default: both)\n"
          "  --routine R           only the RPCs of routine R\n"
          "  --fault send-fails|routine-fails|reply-lost   only that fault\n"
          "  --run N               only run N of the sweep, with its trace\n"
          "  --no-progress         no progress lines on stderr\n"
          "  exit status 0, or 3 when a run shows forksim's own error (an invariant violation)\n"
          "\n"
          "exit status: 0 expectations held, 1 one failed, 2 bad usage or input,\n"
          "             3 forksim's own error (invariant violation, leak, unmodelled call)\n"
          "Scenario files are described in README.md (\"Scenario files\"); examples in traces/.\n",
          out);
}

/* An option's number: decimal, 0x hex or 0 octal, from lo to hi. strtoull alone takes "-1"
 * (as 2^64 - 1) and saturates on overflow, and a cast to a narrower type wraps: all three
 * would run something other than what the user typed. */
static bool option_number(const char *w, unsigned long long lo, unsigned long long hi,
                          unsigned long long *out)
{
    const char *p = w;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p < '0' || *p > '9')
        return false; /* empty, a sign, or not a number */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 0);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* --- output ------------------------------------------------------------------------------- */

static void json_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* One trace line as JSON: "STEP tT.TH [trap ]routine(args) = CODE[ -> outs][  @ site]" or
 * "STEP # note". */
static void json_event(FILE *out, const char *line, size_t len)
{
    char buf[2048];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    unsigned long long step;
    int t, th, off = 0;
    if (sscanf(buf, " %llu # %n", &step, &off) == 1 && off > 0) {
        fprintf(out, "{\"type\":\"note\",\"step\":%llu,\"text\":", step);
        json_string(out, buf + off, strlen(buf + off));
        fputs("}\n", out);
        return;
    }
    if (sscanf(buf, " %llu t%d.%d %n", &step, &t, &th, &off) != 3 || off == 0) {
        fputs("{\"type\":\"raw\",\"text\":", out);
        json_string(out, buf, len);
        fputs("}\n", out);
        return;
    }
    char *p = buf + off;
    bool trap = strncmp(p, "trap ", 5) == 0;
    if (trap)
        p += 5;
    char *open = strchr(p, '('), *close = strstr(p, ") = ");
    fprintf(out, "{\"type\":\"rpc\",\"step\":%llu,\"task\":%d,\"thread\":%d,\"trap\":%s,", step, t, th,
            trap ? "true" : "false");
    if (open == NULL || close == NULL) {
        fputs("\"text\":", out);
        json_string(out, p, strlen(p));
        fputs("}\n", out);
        return;
    }
    fputs("\"routine\":", out);
    json_string(out, p, (size_t)(open - p));
    fputs(",\"args\":", out);
    json_string(out, open + 1, (size_t)(close - open - 1));
    char *result = close + 4, *site = strstr(result, "  @ "), *outs = strstr(result, " -> ");
    if (site != NULL)
        *site = '\0';
    if (outs != NULL)
        *outs = '\0';
    fputs(",\"result\":", out);
    json_string(out, result, strlen(result));
    if (outs != NULL) {
        fputs(",\"outs\":", out);
        json_string(out, outs + 4, strlen(outs + 4));
    }
    if (site != NULL) {
        fputs(",\"site\":", out);
        json_string(out, site + 4, strlen(site + 4));
    }
    fputs("}\n", out);
}

/* The trace, with a note after each RPC of the scenario's parent and child (--explain). */
static void put_trace(FILE *out, const char *from, const run_result *r, bool explain)
{
    if (!explain) {
        fputs(from, out);
        return;
    }
    size_t k = 0; /* notes are in step order, as the lines */
    for (const char *line = from; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        unsigned long long step = 0;
        const char *note = NULL;
        if (sscanf(line, " %llu t", &step) == 1) {
            while (k < r->nnotes && r->notes[k].step < step)
                k++;
            if (k < r->nnotes && r->notes[k].step == step)
                note = r->notes[k].text;
        }
        fwrite(line, 1, len, out);
        if (note != NULL)
            fprintf(out, "    # %s", note);
        fputc('\n', out);
        line = end != NULL ? end + 1 : NULL;
    }
}

/* RPCs by routine, counted from the trace (one line per RPC). */
typedef struct routine_count {
    char name[48];
    unsigned n;
} routine_count;

/* Counted from the end of the scenario's set-up on, for the scenario's parent and child only
 * (the servers' own receives and replies are not the processes' RPCs). */
static size_t count_rpcs(const char *trace, int parent, int child, routine_count *counts,
                         size_t max, unsigned *total)
{
    size_t n = 0;
    *total = 0;
    const char *start = strstr(trace, "# scenario: set-up done");
    if (start != NULL)
        trace = start;
    for (const char *line = trace; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        unsigned long long step;
        int t, th, off = 0;
        char buf[256];
        size_t l = len < sizeof buf - 1 ? len : sizeof buf - 1;
        memcpy(buf, line, l);
        buf[l] = '\0';
        if (sscanf(buf, " %llu t%d.%d %n", &step, &t, &th, &off) == 3 && off > 0 &&
            (t == parent || t == child)) {
            char *p = buf + off;
            if (strncmp(p, "trap ", 5) == 0)
                p += 5;
            size_t rl = strcspn(p, "(");
            if (rl < sizeof counts[0].name) {
                size_t i;
                for (i = 0; i < n; i++)
                    if (strlen(counts[i].name) == rl && strncmp(counts[i].name, p, rl) == 0)
                        break;
                if (i == n && n < max) {
                    memcpy(counts[n].name, p, rl);
                    counts[n].name[rl] = '\0';
                    counts[n++].n = 0;
                }
                if (i < n)
                    counts[i].n++;
                (*total)++;
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return n;
}


static void print_side(FILE *out, const run_name *n)
{
    if (n == NULL)
        fprintf(out, "  %-12s %5s  %-18s", "-", "", "");
    else
        fprintf(out, "  %-12s %5u  %-18s", scn_type_name(n->type), n->urefs, n->denotes);
}

static void print_spaces(FILE *out, const run_result *r)
{
    const run_space *p = &r->parent, *c = &r->child;
    fprintf(out, "name spaces %s: parent (task %d)%s, child (task %d)%s\n",
            r->stopped ? "at the --stop-at step" : "at the end of each process's steps", p->task,
            p->n < p->total ? " truncated" : "", c->task, c->n < c->total ? " truncated" : "");
    fprintf(out, "  %6s  %-12s %5s  %-18s  %-12s %5s  %-18s  %s\n", "name", "parent", "urefs",
            "denotes", "child", "urefs", "denotes", "label");
    /* union of the two, ascending */
    size_t i = 0, j = 0;
    while (i < p->n || j < c->n) {
        mach_port_name_t a = i < p->n ? p->names[i].name : MACH_PORT_DEAD;
        mach_port_name_t b = j < c->n ? c->names[j].name : MACH_PORT_DEAD;
        mach_port_name_t n = a < b ? a : b;
        /* both lists are ascending: the merge gives each side's row directly */
        const run_name *pn = a == n ? &p->names[i] : NULL, *cn = b == n ? &c->names[j] : NULL;
        fprintf(out, "  %6u", n);
        print_side(out, pn);
        print_side(out, cn);
        const char *label = pn != NULL && pn->label[0] ? pn->label : cn != NULL ? cn->label : "";
        fprintf(out, "  %s\n", label);
        if (a == n)
            i++;
        if (b == n)
            j++;
    }
}

static void print_fd(FILE *out, const run_fd *f)
{
    if (f == NULL || !f->open) {
        fprintf(out, "  %-36s", "-");
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "io %u, ctty %u%s", f->port_name, f->ctty_name,
             f->cloexec ? ", cloexec" : "");
    fprintf(out, "  %-36s", buf);
}

static void print_fds(FILE *out, const run_result *r)
{
    const run_space *p = &r->parent, *c = &r->child;
    int n = p->nfds > c->nfds ? p->nfds : c->nfds;
    bool any = false;
    for (int i = 0; i < n; i++)
        any |= (i < p->nfds && p->fds[i].open) || (i < c->nfds && c->fds[i].open);
    if (!any)
        return;
    fprintf(out, "descriptors (port names)\n  %6s  %-36s  %-36s\n", "fd", "parent", "child");
    for (int i = 0; i < n; i++) {
        const run_fd *pf = i < p->nfds ? &p->fds[i] : NULL, *cf = i < c->nfds ? &c->fds[i] : NULL;
        if ((pf == NULL || !pf->open) && (cf == NULL || !cf->open))
            continue;
        fprintf(out, "  %6d", i);
        print_fd(out, pf);
        print_fd(out, cf);
        fputc('\n', out);
    }
}

static void print_json_spaces(FILE *out, const run_result *r)
{
    const run_space *sides[2] = {&r->parent, &r->child};
    const char *who[2] = {"parent", "child"};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sides[s]->n; i++) {
            const run_name *n = &sides[s]->names[i];
            fprintf(out, "{\"type\":\"name\",\"process\":\"%s\",\"task\":%d,\"name\":%u,\"rights\":\"%s\",\"urefs\":%u,\"denotes\":",
                    who[s], sides[s]->task, n->name, scn_type_name(n->type), n->urefs);
            json_string(out, n->denotes, sizeof n->denotes);
            fputs(",\"label\":", out);
            json_string(out, n->label, sizeof n->label);
            fputs("}\n", out);
        }
}

static int exit_status(const run_result *r)
{
    if (r->invariant_violations > 0 || r->leaked > 0)
        return 3;
    if (r->error[0] != '\0')
        return 2;
    if (r->verdict == VERDICT_UNMODELLED)
        return 3;
    return r->expected ? 0 : 1;
}

static void print_result(FILE *out, const scenario *s, const run_result *r, bool json, bool show_all,
                         bool explain)
{
    routine_count counts[96];
    unsigned total;
    size_t nc = count_rpcs(r->trace, r->parent.task, r->child.task, counts, 96, &total);
    if (json) {
        for (const char *line = r->trace; line != NULL && *line != '\0';) {
            const char *end = strchr(line, '\n');
            size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
            if (strncmp(line, "forksim-trace", 13) == 0)
                fprintf(out, "{\"type\":\"version\",\"trace\":1}\n");
            else
                json_event(out, line, len);
            line = end != NULL ? end + 1 : NULL;
        }
        print_json_spaces(out, r);
        fprintf(out, "{\"type\":\"rpcs\",\"total\":%u,\"by_routine\":{", total);
        for (size_t i = 0; i < nc; i++)
            fprintf(out, "%s\"%s\":%u", i ? "," : "", counts[i].name, counts[i].n);
        fputs("}}\n", out);
        for (size_t i = 0; i < r->nfindings; i++) {
            fputs("{\"type\":\"finding\",\"text\":", out);
            json_string(out, r->findings[i], strlen(r->findings[i]));
            fputs("}\n", out);
        }
        for (size_t i = 0; i < r->nmessages; i++) {
            fputs("{\"type\":\"message\",\"text\":", out);
            json_string(out, r->messages[i], strlen(r->messages[i]));
            fputs("}\n", out);
        }
        fprintf(out, "{\"type\":\"verdict\",\"verdict\":\"%s\",\"expected\":%s,\"invariant_violations\":%zu,\"leaked\":%zu}\n",
                run_verdict_name(r->verdict), r->expected ? "true" : "false",
                r->invariant_violations, r->leaked);
        return;
    }
    const char *from = r->trace;
    const char *setup_end = show_all ? NULL : strstr(r->trace, "# scenario: set-up done");
    if (setup_end != NULL) {
        /* the version line, which task is which, one line for the boot and set-up, then the
         * scenario */
        const char *first_nl = strchr(r->trace, '\n');
        unsigned hidden = 0;
        for (const char *p = first_nl; p != NULL && p < setup_end; p = strchr(p + 1, '\n'))
            hidden++;
        while (setup_end > r->trace && setup_end[-1] != '\n')
            setup_end--;
        fwrite(r->trace, 1, (size_t)(first_nl + 1 - r->trace), out);
        fprintf(out, "tasks: %s\n", r->legend);
        fprintf(out, "     ... %u lines of boot and set-up (the servers, the processes' start-up, the "
                     "scenario's have lines) not shown; --all shows them\n",
                hidden > 0 ? hidden - 1 : 0);
        from = setup_end;
    } else if (strchr(r->trace, '\n') != NULL) {
        /* the version line, which task is which, then everything */
        const char *first_nl = strchr(r->trace, '\n');
        fwrite(r->trace, 1, (size_t)(first_nl + 1 - r->trace), out);
        fprintf(out, "tasks: %s\n", r->legend);
        from = first_nl + 1;
    }
    put_trace(out, from, r, explain);
    fprintf(out, "--- summary: %s\n", s->path);
    if (s->title[0])
        fprintf(out, "%s\n", s->title);
    print_spaces(out, r);
    print_fds(out, r);
    fprintf(out, "RPCs of the parent (task %d) and the child (task %d) after the set-up: %u:",
            r->parent.task, r->child.task, total);
    for (size_t i = 0; i < nc; i++)
        fprintf(out, "%s %s %u", i ? "," : "", counts[i].name, counts[i].n);
    fputc('\n', out);
    for (size_t i = 0; i < r->nmessages; i++)
        fprintf(out, "%s\n", r->messages[i]);
    if (r->messages_dropped > 0)
        fprintf(out, "... and %zu more messages\n", r->messages_dropped);
    for (size_t i = 0; i < r->nfindings; i++)
        fprintf(out, "finding %s\n", r->findings[i]);
    if (r->invariant_violations > 0)
        fprintf(out, "forksim error: %zu invariant violations (a bug in forksim)\n",
                r->invariant_violations);
    if (r->leaked > 0)
        fprintf(out, "forksim error: %zu objects leaked (a bug in forksim)\n", r->leaked);
    fprintf(out, "verdict: %s%s\n", run_verdict_name(r->verdict),
            r->expected ? "" : " (expectations not met)");
}

/* --- recording and replay ---------------------------------------------------------------------- */

/* The whole file at path (NUL-terminated), its length in *len; NULL with errno set. */
static char *file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = (n + 4096 + 1) * 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A recording (sim/cli/record.h): the scenario's text, the glibc files built in, the
 * decisions and the trace, so that forksim replay needs nothing else.
 * Returns 0; 2 for a path that cannot be written (a directory, no such directory), nothing
 * created; 3 when writing failed (a full disk): PATH.tmp removed, PATH untouched. A path that
 * is not a regular file (a device, a pipe: /dev/stdout, /dev/full) is written in place: a
 * rename over it would replace the device with a file. */
static int record(const char *path, const scenario *s, const char *text, size_t text_len,
                  const run_result *r)
{
    char tmp[4200];
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "forksim: --record %s: is a directory\n", path);
        return 2;
    }
    bool in_place = exists && !S_ISREG(st.st_mode);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s%s", path, in_place ? "" : ".tmp") >= sizeof tmp) {
        fprintf(stderr, "forksim: --record %s: the path is too long\n", path);
        return 2;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "forksim: cannot write %s: %s\n", tmp, strerror(errno));
        return 2;
    }
    int rc = record_write(f, s->path, text, text_len, (unsigned long long)r->decisions->seed,
                          r->decisions->picks, r->decisions->npicks, forksim_fork_source, r->trace);
    bool bad = rc != 0 || ferror(f) != 0;
    int e = bad ? errno : 0;
    if (fclose(f) != 0 && !bad) {
        bad = true;
        e = errno;
    }
    if (!bad && !in_place && rename(tmp, path) != 0) {
        bad = true;
        e = errno;
    }
    if (bad) {
        if (!in_place)
            unlink(tmp);
        fprintf(stderr, "forksim: cannot write %s: %s\n", path, strerror(e));
        return 3;
    }
    return 0;
}

/* Standard output is where the results go: a write that failed (a full disk, a closed
 * descriptor) is forksim's error, exit 3, never a silent 0. */
static int stdout_status(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "forksim: cannot write the output: %s\n", strerror(errno));
        return 3;
    }
    return status;
}

/* Says how this forksim's glibc files differ from the recording's; returns whether they do. */
static bool build_differs(FILE *out, const char *path, const run_record *rec)
{
    record_glibc now[RECORD_MAX_GLIBC];
    size_t nnow = record_glibc_of(forksim_fork_source, now, RECORD_MAX_GLIBC);
    if (rec->nglibc == 0) {
        fprintf(out, "replay: %s does not say which glibc it was recorded with (a version 1 "
                     "recording): this forksim's build cannot be checked against it\n", path);
        return false;
    }
    bool differs = false;
    for (size_t i = 0; i < rec->nglibc; i++) {
        size_t j;
        for (j = 0; j < nnow && strcmp(now[j].file, rec->glibc[i].file) != 0; j++)
            ;
        if (j == nnow) {
            fprintf(out, "replay: the build differs from the recording's: %s was built in, this "
                         "forksim has no such glibc file\n", rec->glibc[i].file);
            differs = true;
        } else if (strcmp(now[j].sha256, rec->glibc[i].sha256) != 0) {
            fprintf(out, "replay: the build differs from the recording's: %s sha256 %.12s... "
                         "recorded, %.12s... in this forksim\n", rec->glibc[i].file,
                    rec->glibc[i].sha256, now[j].sha256);
            differs = true;
        }
    }
    for (size_t j = 0; j < nnow; j++) {
        size_t i;
        for (i = 0; i < rec->nglibc && strcmp(now[j].file, rec->glibc[i].file) != 0; i++)
            ;
        if (i == rec->nglibc) {
            fprintf(out, "replay: the build differs from the recording's: this forksim has %s, "
                         "the recording's had not\n", now[j].file);
            differs = true;
        }
    }
    return differs;
}

static int replay(const char *path, FILE *out)
{
    size_t len = 0;
    char *buf = file_read(path, &len);
    if (buf == NULL) {
        fprintf(stderr, "forksim: %s: cannot open: %s\n", path, strerror(errno));
        return 2;
    }
    run_record rec;
    char err[1024];
    int rc = record_parse(buf, len, &rec, err, sizeof err);
    free(buf);
    if (rc != 0) {
        fprintf(stderr, "%s:%s\n", path, err);
        return 2;
    }
    int status = 2;
    bool differs = build_differs(out, path, &rec);
    scenario *s = calloc(1, sizeof *s);
    /* the recording's own text: the scenario file need not exist here any more */
    if ((rec.scenario_text != NULL
             ? scenario_load_text(rec.scenario_path, rec.scenario_text, rec.scenario_len, s, err, sizeof err)
             : scenario_load(rec.scenario_path, s, err, sizeof err)) != 0) {
        fprintf(stderr, "%s\n", err);
        free(s);
        record_free(&rec);
        return 2;
    }
    sim_decisions d = {.seed = rec.seed, .picks = rec.picks, .npicks = rec.npicks, .cap = rec.npicks};
    sim_decided_event ev[RECORD_MAX_EVENTS]; /* the explorer's events (issue 10, item 5) */
    for (size_t i = 0; i < rec.nevents; i++) {
        ev[i].step = rec.events[i].step;
        snprintf(ev[i].what, sizeof ev[i].what, "%s", rec.events[i].what);
    }
    d.events = ev;
    d.nevents = d.ecap = rec.nevents;
    run_options o = {.replay = &d, .seed = rec.seed, .has_seed = true};
    run_result *r = calloc(1, sizeof *r);
    if (run_scenario(s, &o, r) != 0) {
        fprintf(stderr, "%s\n", r->messages[0]);
        free(r);
        free(s);
        record_free(&rec);
        return 2;
    }
    /* The first line that differs. */
    const char *a = rec.trace, *b = r->trace;
    int n = 1;
    while (*a != '\0' || *b != '\0') {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la) != 0) {
            fprintf(out, "replay differs at trace line %d:\n  recorded: %.*s\n  now:      %.*s\n", n,
                    (int)la, a, (int)lb, b);
            if (differs)
                fprintf(out, "replay: this forksim is built from other glibc files than the "
                             "recording's (above): the difference may be the patch's\n");
            status = 1;
            break;
        }
        a = ea ? ea + 1 : a + la;
        b = eb ? eb + 1 : b + lb;
        n++;
    }
    if (status != 1 && r->verdict == VERDICT_DIVERGED) {
        /* the recorded picks ran out or stopped fitting before the recorded trace did */
        fprintf(out, "replay diverged after %d trace lines, the same as recorded so far\n", n - 1);
        status = 1;
    } else if (status != 1) {
        fprintf(out, "replay: %d trace lines, the same events as recorded; verdict: %s\n", n - 1,
                run_verdict_name(r->verdict));
        status = exit_status(r) == 3 ? 3 : 0;
    }
    run_result_free(r);
    free(r);
    free(s);
    record_free(&rec);
    return status;
}

/* --- explore --------------------------------------------------------------------------------- */

static int explore_command(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "--errors") == 0) {
        static const char *const routines[] = {
            "proc_dostop", "thread_abort", "task_create", "mach_port_names", "task_threads",
            "proc_task2proc", "mach_port_get_refs", "mach_port_insert_right",
            "mach_port_allocate_name", "mach_port_extract_right", "mach_port_mod_refs",
            "mach_port_deallocate", "proc_setmsgport", "task_set_special_port", "thread_resume",
            "thread_create", "thread_get_state", "thread_set_state", "proc_get_arg_locations",
            "proc_set_arg_locations", "proc_task2pid", "proc_child", "proc_getpids",
            "term_open_ctty", "vm_deallocate", "task_terminate"};
        printf("routine-fails errors (send-fails gives MACH_SEND_INVALID_DEST: the port is dead; "
               "reply-lost gives MIG_SERVER_DIED: the server died after acting):\n");
        for (size_t i = 0; i < sizeof routines / sizeof routines[0]; i++) {
            kern_return_t e;
            const char *why;
            char buf[16];
            if (explore_error(routines[i], &e, &why))
                printf("  %-24s %-24s %s\n", routines[i], explore_code_name(e, buf, sizeof buf), why);
        }
        printf("  %-24s %-24s %s\n", "mach_task_self", "-", "a trap that returns a name: cannot fail");
        printf("  %-24s %-24s %s\n", "mach_thread_self", "-", "a trap that returns a name: cannot fail");
        return 0;
    }
    const char *file = NULL;
    explore_options o = {.glibc = true, .ndebug = true, .out = stdout, .progress = stderr};
    bool kind_set = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--faults") == 0) {
            o.kind = EXPLORE_FAULTS;
            kind_set = true;
        } else if (strcmp(a, "--port-deaths") == 0) {
            o.kind = EXPLORE_PORT_DEATHS;
            kind_set = true;
        } else if (strcmp(a, "--fork") == 0 && i + 1 < argc) {
            const char *w = argv[++i];
            o.glibc = strcmp(w, "glibc") == 0 || strcmp(w, "both") == 0;
            o.ndebug = strcmp(w, "glibc-ndebug") == 0 || strcmp(w, "both") == 0;
            if (!o.glibc && !o.ndebug) {
                fprintf(stderr, "forksim: --fork glibc, glibc-ndebug or both, not '%s'\n", w);
                return 2;
            }
        } else if (strcmp(a, "--routine") == 0 && i + 1 < argc) {
            o.routine = argv[++i];
        } else if (strcmp(a, "--fault") == 0 && i + 1 < argc) {
            const char *w = argv[++i];
            o.fault = strcmp(w, "send-fails") == 0      ? KF_SEND_FAILS
                      : strcmp(w, "routine-fails") == 0 ? KF_ROUTINE_FAILS
                      : strcmp(w, "reply-lost") == 0    ? KF_REPLY_LOST
                                                        : KF_NONE;
            if (o.fault == KF_NONE) {
                fprintf(stderr, "forksim: --fault send-fails, routine-fails or reply-lost, not '%s'\n", w);
                return 2;
            }
        } else if (strcmp(a, "--run") == 0 && i + 1 < argc) {
            unsigned long long v;
            if (!option_number(argv[++i], 1, UINT_MAX, &v)) {
                fprintf(stderr, "forksim: --run needs a run number from 1 to %u, not '%s'\n", UINT_MAX, argv[i]);
                return 2;
            }
            o.only_run = (unsigned)v;
        } else if (strcmp(a, "--no-progress") == 0) {
            o.progress = NULL;
        } else if (a[0] == '-') {
            fprintf(stderr, "forksim: unknown option '%s' (try forksim --help)\n", a);
            return 2;
        } else if (file == NULL) {
            file = a;
        } else {
            fprintf(stderr, "forksim: one scenario at a time ('%s' and '%s')\n", file, a);
            return 2;
        }
    }
    if (file == NULL || !kind_set) {
        fprintf(stderr, "usage: forksim explore FILE --faults|--port-deaths [options] (try forksim --help)\n");
        return 2;
    }
    if (o.only_run != 0)
        o.progress = NULL;
    scenario *s = calloc(1, sizeof *s);
    char err[1024];
    if (scenario_load(file, s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(s);
        return 2;
    }
    explore_summary sum;
    int rc = explore_run(s, &o, &sum);
    free(s);
    if (rc != 0)
        return 2;
    return sum.violations != 0 || sum.bugs != 0 ? 3 : 0;
}

/* --- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    /* A closed standard output: its descriptor would go to the next file opened (a record),
     * and every result would be lost. */
    if (fcntl(STDOUT_FILENO, F_GETFD) == -1) {
        fprintf(stderr, "forksim: standard output is closed\n");
        return 3;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return stdout_status(0);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("forksim %s\n%s", FORKSIM_VERSION, forksim_fork_source);
        return stdout_status(0);
    }
    if (strcmp(argv[1], "replay") == 0) {
        if (argc != 3) {
            fprintf(stderr, "usage: forksim replay RUN\n");
            return 2;
        }
        /* fopen opens a directory for reading; its first read fails, and the parser would
         * report line 0 of it */
        struct stat st;
        if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
            fprintf(stderr, "forksim: %s: is a directory, not a recorded run\n", argv[2]);
            return 2;
        }
        return stdout_status(replay(argv[2], stdout));
    }
    for (int i = 2; strcmp(argv[1], "explore") == 0 && i < argc; i++)
        if (strcmp(argv[i], "--schedules") == 0)
            return stdout_status(schedules_command(argc, argv));
    if (strcmp(argv[1], "shrink") == 0)
        return stdout_status(shrink_command(argc, argv));
    if (strcmp(argv[1], "merge") == 0)
        return stdout_status(merge_command(argc, argv));
    if (strcmp(argv[1], "explore") == 0)
        return stdout_status(explore_command(argc, argv));
    if (strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "forksim: unknown command '%s' (try forksim --help)\n", argv[1]);
        return 2;
    }
    const char *file = NULL, *record_path = NULL, *decisions_path = NULL;
    bool json = false, show_all = false, explain = false;
    run_options o = {0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format=text") == 0) {
            json = false;
        } else if (strcmp(a, "--format=jsonl") == 0) {
            json = true;
        } else if (strcmp(a, "--sites") == 0) {
            o.sites = true;
        } else if (strcmp(a, "--all") == 0) {
            show_all = true;
        } else if (strcmp(a, "--explain") == 0) {
            explain = true;
            o.explain = true;
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            unsigned long long v;
            if (!option_number(argv[++i], 0, UINT64_MAX, &v)) {
                fprintf(stderr, "forksim: --seed needs a number from 0 to %llu, not '%s'\n",
                        (unsigned long long)UINT64_MAX, argv[i]);
                return 2;
            }
            o.seed = v;
            o.has_seed = true;
        } else if (strcmp(a, "--stop-at") == 0 && i + 1 < argc) {
            unsigned long long v;
            if (!option_number(argv[++i], 1, UINT64_MAX, &v)) {
                fprintf(stderr, "forksim: --stop-at needs a step number from 1 to %llu, not '%s'\n",
                        (unsigned long long)UINT64_MAX, argv[i]);
                return 2;
            }
            o.stop_at = v;
        } else if (strcmp(a, "--record") == 0 && i + 1 < argc) {
            record_path = argv[++i];
        } else if (strcmp(a, "--save-decisions") == 0 && i + 1 < argc) {
            decisions_path = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "forksim: unknown option '%s' (try forksim --help)\n", a);
            return 2;
        } else if (file == NULL) {
            file = a;
        } else {
            fprintf(stderr, "forksim: one scenario at a time ('%s' and '%s')\n", file, a);
            return 2;
        }
    }
    if (file == NULL) {
        fprintf(stderr, "usage: forksim run FILE [options] (try forksim --help)\n");
        return 2;
    }
    scenario *s = calloc(1, sizeof *s);
    char err[1024];
    if (scenario_load(file, s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(s);
        return 2;
    }
    /* a recording carries the scenario's text, read with the scenario */
    size_t text_len = 0;
    char *text = record_path != NULL ? file_read(file, &text_len) : NULL;
    if (record_path != NULL && text == NULL) {
        fprintf(stderr, "forksim: %s: cannot read: %s\n", file, strerror(errno));
        free(s);
        return 2;
    }
    run_result *r = calloc(1, sizeof *r);
    if (run_scenario(s, &o, r) != 0) {
        fprintf(stderr, "%s\n", r->messages[0]);
        free(r);
        free(s);
        free(text);
        return 2;
    }
    print_result(stdout, s, r, json, show_all, explain);
    int status = exit_status(r);
    if (r->error[0] != '\0')
        fprintf(stderr, "%s\n", r->error);
    if (r->verdict == VERDICT_UNMODELLED)
        fprintf(stderr, "forksim: %s\n", r->unmodelled);
    int rc = record_path != NULL ? record(record_path, s, text, text_len, r) : 0;
    free(text);
    if (rc != 0)
        status = rc;
    if (decisions_path != NULL) {
        struct stat st;
        rc = stat(decisions_path, &st) == 0 && S_ISDIR(st.st_mode) ? (errno = EISDIR, -1)
             : sim_decisions_write(r->decisions, decisions_path);
        if (rc != 0) {
            fprintf(stderr, "forksim: cannot write %s: %s\n", decisions_path, strerror(errno));
            status = rc == -1 ? 2 : 3;
        }
    }
    status = stdout_status(status);
    run_result_free(r);
    free(r);
    free(s);
    return status;
}
