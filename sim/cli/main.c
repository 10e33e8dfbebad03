/*
 * main.c: the forksim command.
 *
 *   forksim run FILE [options]          a scenario, with glibc's real fork
 *   forksim replay RUN                  a recording (sim/cli/record.h), checked event by event
 *   forksim explore FILE --faults|--port-deaths [options]
 *   forksim explore --errors
 *   forksim explore FILE --schedules [options], forksim shrink, forksim merge: the race explorer
 *   forksim signals                     the Hurd's signal names and numbers
 *   forksim help [SUBCOMMAND]
 *
 * One list of the subcommands (commands[], below) gives the usage, forksim help, each one's
 * --help and the dispatch.
 *
 * Each subcommand's options are one table (cli_option rows, parsed by cliopt.c over
 * getopt_long): `--opt=value` and `--opt value` alike, and `forksim SUBCOMMAND --help` lists
 * them. Exit status: 0 the expectations held; 1 one failed; 2 bad usage or input (file:line:
 * what is wrong); 3 forksim's own error (an invariant violation, a leak, an unmodelled call).
 */
#include "cliopt.h"
#include "explore.h"
#include "export.h"
#include "record.h"
#include "runner.h"
#include "signames.h"
#include "schedules.h"
#include "cost.h"

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

static void usage(FILE *out); /* from the list of subcommands, below */

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

static void print_result(FILE *out, const scenario *s, const run_result *r, bool show_all, bool explain)
{
    routine_count counts[96];
    unsigned total;
    size_t nc = count_rpcs(r->trace, r->parent.task, r->child.task, counts, 96, &total);
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

static void explore_errors(void)
{
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
}

enum {
    OPT_FAULTS = 256, OPT_PORT_DEATHS, OPT_ERRORS, OPT_FORK, OPT_ROUTINE, OPT_FAULT, OPT_RUN,
    OPT_NO_PROGRESS,
    OPT_FORMAT, OPT_SEED, OPT_STOP_AT, OPT_SITES, OPT_ALL, OPT_EXPLAIN, OPT_RECORD,
    OPT_SAVE_DECISIONS,
};

static const cli_option explore_options_table[] = {
    {"faults", OPT_FAULTS, NULL, "fail each RPC of the fork in turn, 3 ways (send-fails, "
                                 "routine-fails, reply-lost)"},
    {"port-deaths", OPT_PORT_DEATHS, NULL, "a port of another task dies before each RPC of the fork"},
    {"errors", OPT_ERRORS, NULL, "the error each routine fails with, and why (no FILE)"},
    {"fork", OPT_FORK, "glibc|glibc-ndebug|both", "which build of the fork (default: both)"},
    {"routine", OPT_ROUTINE, "R", "only the RPCs of routine R"},
    {"fault", OPT_FAULT, "send-fails|routine-fails|reply-lost", "only that fault"},
    {"run", OPT_RUN, "N", "only run N of the sweep, with its trace"},
    {"no-progress", OPT_NO_PROGRESS, NULL, "no progress lines on stderr"},
    {NULL, 0, NULL, NULL},
};

static const cli_command explore_cmd = {
    "explore", "FILE --faults|--port-deaths [options]  |  forksim explore --errors",
    "runs the scenario once per fault or port death of its fork; one row per run on stdout,\n"
    "progress on stderr",
    explore_options_table,
    "exit status 0, or 3 when a run shows forksim's own error (an invariant violation);\n"
    "2 for bad usage or input\n"
    "The race explorer's options: forksim explore FILE --schedules --help.\n",
};

static int explore_command(int argc, char **argv)
{
    explore_options o = {.glibc = true, .ndebug = true, .out = stdout, .progress = stderr};
    bool kind_set = false, errors = false;
    cli_parser p;
    cliopt_begin(&p, &explore_cmd, argc, argv);
    for (int key; (key = cliopt_next(&p)) != CLI_END;) {
        const char *w = p.value;
        switch (key) {
        case CLI_HELP:
            return 0;
        case CLI_ERROR:
            return 2;
        case OPT_FAULTS:
            o.kind = EXPLORE_FAULTS;
            kind_set = true;
            break;
        case OPT_PORT_DEATHS:
            o.kind = EXPLORE_PORT_DEATHS;
            kind_set = true;
            break;
        case OPT_ERRORS:
            errors = true;
            break;
        case OPT_FORK:
            o.glibc = strcmp(w, "glibc") == 0 || strcmp(w, "both") == 0;
            o.ndebug = strcmp(w, "glibc-ndebug") == 0 || strcmp(w, "both") == 0;
            if (!o.glibc && !o.ndebug) {
                fprintf(stderr, "forksim: --fork glibc, glibc-ndebug or both, not '%s'\n", w);
                return 2;
            }
            break;
        case OPT_ROUTINE:
            o.routine = w;
            break;
        case OPT_FAULT:
            o.fault = strcmp(w, "send-fails") == 0      ? KF_SEND_FAILS
                      : strcmp(w, "routine-fails") == 0 ? KF_ROUTINE_FAILS
                      : strcmp(w, "reply-lost") == 0    ? KF_REPLY_LOST
                                                        : KF_NONE;
            if (o.fault == KF_NONE) {
                fprintf(stderr, "forksim: --fault send-fails, routine-fails or reply-lost, not '%s'\n", w);
                return 2;
            }
            break;
        case OPT_RUN: {
            unsigned long long v;
            if (!option_number(w, 1, UINT_MAX, &v)) {
                fprintf(stderr, "forksim: --run needs a run number from 1 to %u, not '%s'\n", UINT_MAX, w);
                return 2;
            }
            o.only_run = (unsigned)v;
            break;
        }
        case OPT_NO_PROGRESS:
            o.progress = NULL;
            break;
        }
    }
    int nops = argc - p.first;
    if (errors) {
        if (nops != 0 || kind_set)
            return cliopt_fail(&explore_cmd, "--errors takes no scenario and no other option");
        explore_errors();
        return 0;
    }
    if (nops > 1)
        return cliopt_fail(&explore_cmd, "one scenario at a time ('%s' and '%s')", argv[p.first],
                           argv[p.first + 1]);
    if (nops == 0 || !kind_set) {
        fprintf(stderr, "usage: forksim explore FILE --faults|--port-deaths [options] (try forksim explore --help)\n");
        return 2;
    }
    const char *file = argv[p.first];
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

/* --- run ------------------------------------------------------------------------------------- */

static const cli_option run_options_table[] = {
    {"format", OPT_FORMAT, "text|json|jsonl|mermaid|dot|perfetto",
     "the trace and a summary (text, the default); the same as one JSON document (json, "
     "docs/forksim-run.schema.json) or one object a line (jsonl); the fork as a Mermaid "
     "sequence diagram; both name spaces as a Graphviz graph; a timeline for Perfetto"},
    {"seed", OPT_SEED, "N", "the scheduler's seed (default: the scenario's, else 1)"},
    {"stop-at", OPT_STOP_AT, "STEP", "show both name spaces as they were just before trace step STEP"},
    {"sites", OPT_SITES, NULL, "annotate each RPC of the fork with its _Fork.c line"},
    {"all", OPT_ALL, NULL, "show the boot and set-up too (text format hides them)"},
    {"explain", OPT_EXPLAIN, NULL, "a one-line note after each RPC of the parent and the child"},
    {"record", OPT_RECORD, "RUN", "save the run (scenario, decisions, trace) for forksim replay"},
    {"save-decisions", OPT_SAVE_DECISIONS, "FILE", "save the scheduler's decisions (for a "
                                                   "scenario's decisions line)"},
    {NULL, 0, NULL, NULL},
};

static const cli_command run_cmd = {
    "run", "FILE [options]", "runs a scenario (forksim-scenario(5)) on the simulated Hurd with "
    "glibc's real fork", run_options_table,
    "exit status: 0 expectations held, 1 one failed, 2 bad usage or input,\n"
    "             3 forksim's own error (invariant violation, leak, unmodelled call)\n",
};

static int run_command(int argc, char **argv)
{
    const char *record_path = NULL, *decisions_path = NULL;
    bool as_text = true, show_all = false, explain = false;
    export_format format = EXPORT_JSON;
    run_options o = {0};
    cli_parser p;
    cliopt_begin(&p, &run_cmd, argc, argv);
    for (int key; (key = cliopt_next(&p)) != CLI_END;) {
        const char *w = p.value;
        unsigned long long v;
        switch (key) {
        case CLI_HELP:
            return 0;
        case CLI_ERROR:
            return 2;
        case OPT_FORMAT:
            if (strcmp(w, "text") == 0)
                as_text = true;
            else if (export_format_of(w, &format))
                as_text = false;
            else
                return cliopt_fail(&run_cmd, "--format text, json, jsonl, mermaid, dot or perfetto, "
                                             "not '%s'", w);
            break;
        case OPT_SITES:
            o.sites = true;
            break;
        case OPT_ALL:
            show_all = true;
            break;
        case OPT_EXPLAIN:
            explain = true;
            o.explain = true;
            break;
        case OPT_SEED:
            if (!option_number(w, 0, UINT64_MAX, &v)) {
                fprintf(stderr, "forksim: --seed needs a number from 0 to %llu, not '%s'\n",
                        (unsigned long long)UINT64_MAX, w);
                return 2;
            }
            o.seed = v;
            o.has_seed = true;
            break;
        case OPT_STOP_AT:
            if (!option_number(w, 1, UINT64_MAX, &v)) {
                fprintf(stderr, "forksim: --stop-at needs a step number from 1 to %llu, not '%s'\n",
                        (unsigned long long)UINT64_MAX, w);
                return 2;
            }
            o.stop_at = v;
            break;
        case OPT_RECORD:
            record_path = w;
            break;
        case OPT_SAVE_DECISIONS:
            decisions_path = w;
            break;
        }
    }
    if (argc - p.first > 1)
        return cliopt_fail(&run_cmd, "one scenario at a time ('%s' and '%s')", argv[p.first],
                           argv[p.first + 1]);
    if (argc - p.first == 0) {
        fprintf(stderr, "usage: forksim run FILE [options] (try forksim run --help)\n");
        return 2;
    }
    const char *file = argv[p.first];
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
    if (as_text)
        print_result(stdout, s, r, show_all, explain);
    else if (export_write(stdout, format, s, r, explain) != 0)
        fprintf(stderr, "forksim: out of memory writing the output\n");
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

/* --- replay, signals, help ---------------------------------------------------------------------- */

static const cli_option no_options[] = {{NULL, 0, NULL, NULL}};

static const cli_command replay_cmd = {
    "replay", "RUN", "re-runs a recording made by forksim run --record RUN and checks that the "
    "same events happen,\nline by line; says when this forksim's glibc files differ from the "
    "recording's", no_options,
    "exit status: 0 the same events, 1 a difference (the first one is shown), 2 a bad file,\n"
    "             3 forksim's own error\n",
};

static int replay_command(int argc, char **argv)
{
    cli_parser p;
    cliopt_begin(&p, &replay_cmd, argc, argv);
    for (int key; (key = cliopt_next(&p)) != CLI_END;) {
        if (key == CLI_HELP)
            return 0;
        return 2;
    }
    if (argc - p.first != 1) {
        fprintf(stderr, "usage: forksim replay RUN (try forksim replay --help)\n");
        return 2;
    }
    const char *path = argv[p.first];
    /* fopen opens a directory for reading; its first read fails, and the parser would report
     * line 0 of it */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "forksim: %s: is a directory, not a recorded run\n", path);
        return 2;
    }
    return replay(path, stdout);
}

static const cli_command signals_cmd = {
    "signals", "", "lists the Hurd's signal numbers and names (glibc's sysdeps/mach/hurd/bits/"
    "signum-arch.h),\nas a scenario's kill takes them: TERM, SIGTERM or 15", no_options, NULL,
};

static int signals_command(int argc, char **argv)
{
    cli_parser p;
    cliopt_begin(&p, &signals_cmd, argc, argv);
    for (int key; (key = cliopt_next(&p)) != CLI_END;)
        return key == CLI_HELP ? 0 : 2;
    if (argc - p.first != 0)
        return cliopt_fail(&signals_cmd, "takes no operand ('%s')", argv[p.first]);
    int n;
    const signame *t = signame_table(&n);
    for (int i = 0; i < n; i++)
        printf("%2d SIG%s\n", t[i].sig, t[i].name);
    return 0;
}

static int help_command(int argc, char **argv);

static const cli_command help_cmd = {
    "help", "[SUBCOMMAND]", "the command's usage, or a subcommand's options", no_options, NULL,
};

/* The race explorer's commands parse their own words (sim/cli/schedules_cmd.c); their help is
 * here, with every other subcommand's. */
static const cli_command shrink_cmd = {
    "shrink", "[FILE] RUN.dec [-o OUT.dec]",
    "shrinks a schedule (a decisions file, as forksim explore --schedules --save writes) to the\n"
    "smallest with the same outcome: fewest departures from the reference order, preemptions\n"
    "and events. FILE is the scenario (default: the one RUN.dec names)", no_options,
    "  -o OUT.dec                 where the shrunk schedule goes (default: RUN.shrunk.dec)\n",
};

static const cli_command merge_cmd = {
    "merge", "FILE...",
    "merges the --format=jsonl outputs of forksim explore --schedules --shard I/N into the\n"
    "summary of the one search they are parts of", no_options, NULL,
};

/* The subcommands: one list for forksim --help, forksim help [SUBCOMMAND], forksim SUBCOMMAND
 * --help, the dispatch in main and the bash completion (which reads forksim help). usage: the
 * subcommand's lines in the command's usage, "SYNOPSIS\tWHAT" each ("\tWHAT" goes on with
 * the line before). whole: the subcommand parses its own words from argv[1] on, and main
 * answers its --help. */
static const struct {
    const cli_command *cmd;
    int (*fn)(int argc, char **argv);
    const char *usage;
    bool whole;
} commands[] = {
    {&run_cmd, run_command, "run FILE [options]\trun a scenario with glibc's real fork", false},
    {&replay_cmd, replay_command, "replay RUN\tre-run a recorded run, check the same events", false},
    {&explore_cmd, explore_command,
     "explore FILE --faults\tfail each RPC of the fork in turn (3 ways)\n"
     "explore FILE --port-deaths\ta port dies before each RPC of the fork\n"
     "explore --errors\tthe error each routine fails with, and why\n"
     "explore FILE --schedules\tevery schedule up to a preemption bound (--bound K,\n"
     "\t--no-bound; or --pct D --runs N --seed S), outcomes\n"
     "\t[--no-prune] [--stop-on abort|deadlock|finding|expectation]\n"
     "\t[--shard I/N] [--format=jsonl] [--save DIR] [--max-runs N]", false},
    {&shrink_cmd, shrink_command, "shrink [FILE] RUN.dec [-o OUT.dec]\tthe smallest schedule with "
     "RUN.dec's outcome", true},
    {&merge_cmd, merge_command, "merge FILE...\tshards' --format=jsonl outputs as one search's "
     "summary", true},
    {&cost_cmd, cost_command, "cost FILE [--format=jsonl]\twhat the run costs: calls, messages, "
     "rights, time", false},                                       /* sim/cli/cost_cmd.c */
    {&signals_cmd, signals_command, "signals\tthe Hurd's signal names and numbers", false},
    {&help_cmd, help_command, "help [SUBCOMMAND]\tthis help, or a subcommand's options", false},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    const char *lead = "usage: ";
    for (size_t i = 0; i < NCOMMANDS; i++)
        for (const char *l = commands[i].usage; *l != '\0';) {
            size_t len = strcspn(l, "\n");
            const char *tab = memchr(l, '\t', len);
            int head = tab != NULL ? (int)(tab - l) : (int)len;
            const char *what = tab != NULL ? tab + 1 : l + len;
            fprintf(out, "%s%s%-34.*s  %.*s\n", lead, head > 0 ? "forksim " : "        ", head, l,
                    (int)(l + len - what), what);
            lead = "       ";
            l += len + (l[len] == '\n');
        }
    fputs("       forksim --help | --version\n"
          "\n"
          "Each subcommand lists its options with forksim SUBCOMMAND --help (or forksim help\n"
          "SUBCOMMAND); an option's value is given as --opt=value or --opt value.\n"
          "\n"
          "exit status: 0 expectations held, 1 one failed, 2 bad usage or input,\n"
          "             3 forksim's own error (invariant violation, leak, unmodelled call)\n"
          "Scenario files: forksim-scenario(5), README.md (\"Scenario files\"); examples in traces/.\n",
          out);
}

/* A subcommand that parses its own words: its --help (before a "--") is answered here. */
static bool asks_help(int argc, char **argv)
{
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int help_command(int argc, char **argv)
{
    cli_parser p;
    cliopt_begin(&p, &help_cmd, argc, argv);
    for (int key; (key = cliopt_next(&p)) != CLI_END;)
        return key == CLI_HELP ? 0 : 2;
    if (argc - p.first == 0) {
        usage(stdout);
        return 0;
    }
    if (argc - p.first > 1)
        return cliopt_fail(&help_cmd, "one subcommand at a time");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[p.first], commands[i].cmd->name) == 0) {
            cliopt_help(stdout, commands[i].cmd);
            return 0;
        }
    fprintf(stderr, "forksim: help: no subcommand '%s' (try forksim help)\n", argv[p.first]);
    return 2;
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
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return stdout_status(0);
    }
    if (strcmp(argv[1], "--version") == 0) {
        if (argc != 2) {
            fprintf(stderr, "forksim: --version takes nothing after it (try forksim --help)\n");
            return 2;
        }
        printf("forksim %s\n%s", FORKSIM_VERSION, forksim_fork_source);
        return stdout_status(0);
    }
    /* The race explorer's commands parse their own options (sim/cli/schedules_cmd.c). */
    for (int i = 2; strcmp(argv[1], "explore") == 0 && i < argc; i++)
        if (strcmp(argv[i], "--schedules") == 0)
            return stdout_status(schedules_command(argc, argv));
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].cmd->name) != 0)
            continue;
        if (!commands[i].whole)
            return stdout_status(commands[i].fn(argc - 1, argv + 1));
        if (asks_help(argc, argv)) {
            cliopt_help(stdout, commands[i].cmd);
            return stdout_status(0);
        }
        return stdout_status(commands[i].fn(argc, argv));
    }
    if (argv[1][0] == '-')
        fprintf(stderr, "forksim: unknown option '%s' (try forksim --help)\n", argv[1]);
    else
        fprintf(stderr, "forksim: unknown command '%s' (try forksim --help)\n", argv[1]);
    return 2;
}
