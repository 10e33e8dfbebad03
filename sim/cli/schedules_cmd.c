/*
 * schedules_cmd.c: the race explorer's commands (issue 10): forksim explore FILE --schedules,
 * forksim shrink, forksim merge; a scenario as the engine's program (schedules.h).
 *
 * An outcome is what a person would call the same result: the verdict, where the first abort
 * happened, the parent's and the child's names at the end up to renaming of fresh names (a name
 * the parent did not hold just before fork is written "*": which number the kernel picked is
 * the schedule's doing, not the outcome's), the findings, and whether the expectations held.
 * Runs that come to the same outcome are counted together; the first of each is kept as a
 * decision list (forksim-decisions 1, with the events placed), a scenario that replays it with
 * forksim run, and a recording that forksim replay checks on another machine (forksim-run 2:
 * the scenario travels inside).
 *
 * Output: one line per outcome, the schedules by preemptions, and the summary line
 *     explore: R runs, O distinct outcomes, B bound, P pruned
 * (PCT: explore: R runs, O distinct outcomes, PCT depth D, ...). With --format=jsonl, one JSON
 * object per run, per outcome and a summary; forksim merge reads shards' JSON lines and prints
 * what the single search prints.
 */
#include "schedules.h"

#include "cliopt.h"

#include "forkimpl.h"
#include "hurd_errno.h"
#include "progress.h"
#include "record.h"
#include "runner.h"

#include <sys/stat.h>

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The glibc files built in (the command's; absent from test programs, hence weak). */
extern const char forksim_fork_source[] __attribute__((weak));

/* --- a scenario as a program ------------------------------------------------------------------ */

typedef struct scn_program {
    const scenario *s;
    run_result *r;          /* reused: a run_result is large */
    bool keep_trace;        /* for a recording */
} scn_program;

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, b->s != NULL ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s != NULL && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = 2 * (b->cap + (size_t)n) + 64;
        b->s = realloc(b->s, b->cap);
    }
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool held_before(const run_result *r, mach_port_name_t name)
{
    for (size_t i = 0; i < r->before_fork.n; i++)
        if (r->before_fork.names[i].name == name)
            return true;
    return false;
}

/* One process's names, sorted, fresh names as "*". */
static void space_key(strbuf *b, const char *who, const run_result *r, const run_space *sp)
{
    if (!sp->taken) {
        sb_add(b, "%s: -\n", who);
        return;
    }
    char **lines = calloc(sp->n + 1, sizeof *lines);
    for (size_t i = 0; i < sp->n; i++) {
        const run_name *n = &sp->names[i];
        char num[16];
        snprintf(num, sizeof num, "%u", n->name);
        strbuf e = {0};
        sb_add(&e, "%s %s %u %s", held_before(r, n->name) ? num : "*", scn_type_name(n->type),
               n->urefs, n->label[0] ? n->label : "-");
        lines[i] = e.s;
    }
    qsort(lines, sp->n, sizeof *lines, str_cmp);
    sb_add(b, "%s:", who);
    for (size_t i = 0; i < sp->n; i++) {
        sb_add(b, " [%s]", lines[i]);
        free(lines[i]);
    }
    sb_add(b, "\n");
    free(lines);
}

static unsigned outcome_flags(const run_result *r, unsigned naborts)
{
    unsigned f = 0;
    if (naborts > 0 || r->verdict == VERDICT_ABORT)
        f |= SX_STOP_ABORT;
    if (r->sim == FORKSIM_DEADLOCK || r->sim == FORKSIM_LIVELOCK)
        f |= SX_STOP_DEADLOCK;
    if (r->nfindings > 0)
        f |= SX_STOP_FINDING;
    if (!r->expected)
        f |= SX_STOP_EXPECTATION;
    return f;
}

/* Signals delivered where (issue 10, item 3): what became of each signal in which process, as
 * glibc's code decided it (forkimpl's log of the "# signal" notes), by role, not task id, in
 * order of signal and role, so that the same deliveries in another interleaving are one
 * outcome. A signal left pending or blocked at one moment is not an end, and one ignored
 * changes nothing (a child's SIGCHLD to its parent is noted ignored or not as the parent's
 * signal thread runs before its end or not): only where one was acted on (a handler ran, a
 * default terminate, stop or continue) or lost at an exec counts. */
static int sigline_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void signals_key(strbuf *k, strbuf *t)
{
    const fi_signal_event_record *ev;
    unsigned n = fi_signal_events(&ev);
    char **lines = calloc(n + 1, sizeof *lines);
    size_t m = 0;
    for (unsigned i = 0; i < n && lines != NULL; i++) {
        if (strcmp(ev[i].what, "pending") == 0 || strcmp(ev[i].what, "blocked") == 0 ||
            strcmp(ev[i].what, "ignored") == 0)
            continue;
        if (asprintf(&lines[m], "SIG%s %s in the %s", fi_signal_name(ev[i].signo), ev[i].what,
                     run_task_role(ev[i].task)) >= 0)
            m++;
        else
            lines[m] = NULL;
    }
    if (m > 0)
        qsort(lines, m, sizeof *lines, sigline_cmp);
    for (size_t i = 0; i < m; i++) {
        sb_add(k, "signal %s\n", lines[i]);
        sb_add(t, "%s%s", i == 0 ? "; " : ", ", lines[i]);
        free(lines[i]);
    }
    free(lines);
}

static int scn_run(void *arg, const sim_policy *pol, sx_run *out)
{
    scn_program *sp = arg;
    run_result *r = sp->r;
    run_options ro = {.policy = pol, .no_trace = !sp->keep_trace};
    if (run_scenario(sp->s, &ro, r) != 0) {
        out->title = strdup(r->messages[0]);
        run_result_free(r);
        return -1;
    }
    const fi_abort_record *ab;
    unsigned naborts = fi_aborts(&ab);
    strbuf k = {0}, t = {0};
    sb_add(&k, "verdict %s\n", run_verdict_name(r->verdict));
    sb_add(&t, "%s", run_verdict_name(r->verdict));
    if (naborts > 0) {
        sb_add(&k, "abort %s in task %d\n", ab[0].site, ab[0].task);
        sb_add(&t, ", abort at %s in task %d", ab[0].site, ab[0].task);
        if (ab[0].err != 0) {
            /* one LOSE, two races: an RPC whose interrupt timed out (EINTR) is not one whose
             * send was interrupted (MACH_SEND_INTERRUPTED) */
            const char *e = mk_return_name(ab[0].err);
            if (e == NULL)
                e = hurd_errno_name(ab[0].err);
            sb_add(&k, "abort error %d\n", ab[0].err);
            if (e != NULL)
                sb_add(&t, " (%s)", e);
            else
                sb_add(&t, " (error 0x%x)", (unsigned)ab[0].err);
        }
    }
    if (r->sim == FORKSIM_DEADLOCK || r->sim == FORKSIM_LIVELOCK) {
        sb_add(&k, "%s\n", r->sim == FORKSIM_DEADLOCK ? "deadlock" : "livelock");
        if (naborts == 0)
            sb_add(&t, ", %s", r->sim == FORKSIM_DEADLOCK ? "a deadlock" : "a livelock");
        if (r->lock_waits[0]) {
            sb_add(&k, "lock waits %s\n", r->lock_waits);
            sb_add(&t, ": %s", r->lock_waits);
        }
    }
    space_key(&k, "parent", r, &r->parent);
    space_key(&k, "child", r, &r->child);
    signals_key(&k, &t);
    char **f = calloc(r->nfindings + 1, sizeof *f);
    for (size_t i = 0; i < r->nfindings; i++)
        f[i] = r->findings[i];
    qsort(f, r->nfindings, sizeof *f, str_cmp);
    for (size_t i = 0; i < r->nfindings; i++)
        sb_add(&k, "finding %s\n", f[i]);
    free(f);
    if (r->nfindings > 0)
        sb_add(&t, ", %zu finding%s", r->nfindings, r->nfindings == 1 ? "" : "s");
    sb_add(&k, "expected %s\n", r->expected ? "yes" : "no");
    if (!r->expected && r->verdict != VERDICT_EXPECTATION_FAILED)
        sb_add(&t, ", expectations not met");
    sb_add(&t, "; parent %zu names, child %zu names", r->parent.taken ? r->parent.n : 0,
           r->child.taken ? r->child.n : 0);
    if (r->invariant_violations != 0 || r->leaked != 0) {
        sb_add(&k, "forksim bug: %zu violations, %zu objects left\n", r->invariant_violations, r->leaked);
        sb_add(&t, "; FORKSIM BUG: %zu invariant violations, %zu objects left", r->invariant_violations,
               r->leaked);
    }
    out->key = k.s;
    out->title = t.s;
    out->flags = outcome_flags(r, naborts);
    out->decisions = r->decisions;
    r->decisions = NULL;
    if (!sp->keep_trace)
        run_result_free(r);
    return 0;
}

static bool scn_live(void *arg)
{
    (void)arg;
    return run_steps_begun();
}

/* The scenario's events ("anywhere" lines), checked: file:line: what is wrong. */
static int program_make(sx_program *p, scn_program *sp, const scenario *s)
{
    memset(p, 0, sizeof *p);
    memset(sp, 0, sizeof *sp);
    sp->s = s;
    sp->r = calloc(1, sizeof *sp->r);
    p->run = scn_run;
    p->live = scn_live;
    p->arg = sp;
    for (unsigned i = 0; i < s->nchoices && i < SX_MAX_EVENTS; i++) {
        char err[200];
        if (!run_event_valid(s, s->choices[i].what, err, sizeof err)) {
            fprintf(stderr, "%s:%d: %s\n", s->path, s->choices[i].line, err);
            free(sp->r);
            return -1;
        }
        p->events[i] = s->choices[i].what;
        p->times[i] = s->choices[i].times;
        p->nevents++;
    }
    return 0;
}

int sx_scenario_open(sx_program *p, const scenario *s)
{
    scn_program *sp = calloc(1, sizeof *sp);
    if (sp == NULL || program_make(p, sp, s) != 0) {
        free(sp);
        return -1;
    }
    return 0;
}

void sx_scenario_close(sx_program *p)
{
    scn_program *sp = p->arg;
    if (sp == NULL)
        return;
    run_result_free(sp->r);
    free(sp->r);
    free(sp);
    p->arg = NULL;
}

/* --- files ------------------------------------------------------------------------------------ */

static char *file_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t k;
    while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n - 1 == 0)
            b = realloc(b, cap *= 2);
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return NULL;
    }
    b[n] = '\0';
    *len = n;
    return b;
}

/* A decision list that names its scenario in a comment (forksim shrink finds it there). */
static int decisions_save(const sim_decisions *d, const char *scenario_path, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "forksim-decisions 1\n# scenario %s\nseed %llu\npolicy explore\n", scenario_path,
            (unsigned long long)d->seed);
    size_t e = 0;
    for (size_t i = 0; i <= d->npicks; i++) {
        for (; e < d->nevents && d->events[e].step <= i; e++)
            fprintf(f, "event %s\n", d->events[e].what);
        if (i < d->npicks)
            fprintf(f, "pick %d\n", d->picks[i]);
    }
    bool bad = ferror(f) != 0;
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* The scenario path a decision list names ("# scenario PATH"), or "". */
static void decisions_scenario(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[1200];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "# scenario ", 11) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, len, "%.1000s", line + 11);
            break;
        }
    fclose(f);
}

/* What the first run of an outcome leaves for people: DIR/outcome-N.dec (forksim shrink),
 * DIR/outcome-N.fsim (forksim run replays it), DIR/outcome-N.run (forksim replay, anywhere). */
static int outcome_save(const scenario *s, const char *text, size_t text_len, const char *dir,
                        size_t idx, const sx_outcome *oc, char *dec_path, size_t dec_len)
{
    char path[1200], base[64];
    snprintf(base, sizeof base, "outcome-%zu", idx + 1);
    snprintf(dec_path, dec_len, "%s/%s.dec", dir, base);
    if (decisions_save(oc->first, s->path, dec_path) != 0) {
        fprintf(stderr, "forksim: cannot write %s: %s\n", dec_path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.fsim", dir, base);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "forksim: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fwrite(text, 1, text_len, f);
    if (text_len > 0 && text[text_len - 1] != '\n')
        fputc('\n', f);
    fprintf(f, "# the first schedule of outcome %zu of forksim explore --schedules\ndecisions %s.dec\n",
            idx + 1, base);
    fclose(f);
    /* the recording: the same run again, with its trace */
    run_result *r = calloc(1, sizeof *r);
    run_options ro = {.replay = oc->first};
    int rc = -1;
    if (run_scenario(s, &ro, r) == 0 && r->trace != NULL) {
        snprintf(path, sizeof path, "%s/%s.run", dir, base);
        f = fopen(path, "w");
        if (f != NULL) {
            record_event *ev = calloc(oc->first->nevents + 1, sizeof *ev);
            for (size_t i = 0; i < oc->first->nevents && i < RECORD_MAX_EVENTS; i++) {
                ev[i].step = oc->first->events[i].step;
                snprintf(ev[i].what, sizeof ev[i].what, "%s", oc->first->events[i].what);
            }
            rc = record_write_events(f, s->path, text, text_len, oc->first->seed, oc->first->picks,
                                     oc->first->npicks, ev, oc->first->nevents,
                                     forksim_fork_source != NULL ? forksim_fork_source : "",
                                     r->trace);
            free(ev);
            if (fclose(f) != 0)
                rc = -1;
        }
        if (rc != 0)
            fprintf(stderr, "forksim: cannot write %s\n", path);
    }
    run_result_free(r);
    free(r);
    return rc;
}

/* --- output ------------------------------------------------------------------------------------- */

static const char *const stop_names[] = {"abort", "deadlock", "finding", "expectation"};

static void flags_json(json_t *o, unsigned flags)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < 4; i++)
        if (flags & (1u << i))
            json_array_append_new(a, json_string(stop_names[i]));
    json_object_set_new(o, "is", a);
}

static void json_line(FILE *out, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fprintf(out, "%s\n", s);
    free(s);
    json_decref(o);
}

/* What the summary is made of: a search's, or shards' merged. */
typedef struct summary {
    char scenario[512];
    bool pct, prune;
    unsigned bound, depth;
    uint64_t runs, pruned, pct_runs;
    uint64_t by_pre[SX_PREEMPTION_BUCKETS];
    size_t outcomes;
    unsigned threads;
    uint64_t steps;
    double pct_bound;
    bool stopped, truncated;
} summary;

static void summary_print(FILE *out, const summary *s)
{
    if (!s->pct) {
        fprintf(out, "schedules by preemptions:");
        unsigned last = 0;
        for (unsigned i = 0; i < SX_PREEMPTION_BUCKETS; i++)
            if (s->by_pre[i] != 0)
                last = i;
        for (unsigned i = 0; i <= last; i++)
            fprintf(out, "%s %u: %llu", i ? "," : "", i, (unsigned long long)s->by_pre[i]);
        fputc('\n', out);
    }
    if (s->stopped)
        fprintf(out, "explore: stopped at the first outcome asked for (--stop-on)\n");
    if (s->truncated)
        fprintf(out, "explore: stopped at --max-runs: the search is not complete\n");
    if (s->pct) {
        fprintf(out, "explore: %llu runs, %zu distinct outcomes, PCT depth %u, %u threads, %llu steps: "
                     "a depth-%u bug is found with probability at least %.3g per run\n",
                (unsigned long long)s->runs, s->outcomes, s->depth, s->threads,
                (unsigned long long)s->steps, s->depth, s->pct_bound);
    } else if (s->bound == SX_UNBOUNDED) {
        fprintf(out, "explore: %llu runs, %zu distinct outcomes, no bound, %llu pruned\n",
                (unsigned long long)s->runs, s->outcomes, (unsigned long long)s->pruned);
    } else {
        fprintf(out, "explore: %llu runs, %zu distinct outcomes, %u bound, %llu pruned\n",
                (unsigned long long)s->runs, s->outcomes, s->bound, (unsigned long long)s->pruned);
    }
}

static json_t *summary_json(const summary *s, unsigned shard, unsigned nshards)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("summary"));
    json_object_set_new(o, "scenario", json_string(s->scenario));
    json_object_set_new(o, "mode", json_string(s->pct ? "pct" : "bounded"));
    if (s->pct) {
        json_object_set_new(o, "depth", json_integer(s->depth));
        json_object_set_new(o, "pct_runs", json_integer((json_int_t)s->pct_runs));
        json_object_set_new(o, "threads", json_integer(s->threads));
        json_object_set_new(o, "steps", json_integer((json_int_t)s->steps));
        json_object_set_new(o, "pct_bound", json_real(s->pct_bound));
    } else {
        json_object_set_new(o, "bound", s->bound == SX_UNBOUNDED ? json_null() : json_integer(s->bound));
    }
    json_object_set_new(o, "prune", json_boolean(s->prune));
    json_object_set_new(o, "shard", json_integer(shard));
    json_object_set_new(o, "shards", json_integer(nshards));
    json_object_set_new(o, "runs", json_integer((json_int_t)s->runs));
    json_object_set_new(o, "outcomes", json_integer((json_int_t)s->outcomes));
    json_object_set_new(o, "pruned", json_integer((json_int_t)s->pruned));
    json_t *a = json_array();
    for (unsigned i = 0; i < SX_PREEMPTION_BUCKETS; i++)
        json_array_append_new(a, json_integer((json_int_t)s->by_pre[i]));
    json_object_set_new(o, "by_preemptions", a);
    json_object_set_new(o, "stopped", json_boolean(s->stopped));
    json_object_set_new(o, "truncated", json_boolean(s->truncated));
    return o;
}

/* One outcome (merge prints the same: no run numbers, which depend on the shard). */
static void outcome_print(FILE *out, size_t idx, uint64_t runs, unsigned pre, unsigned events,
                          const char *title, const char *saved)
{
    fprintf(out, "outcome %zu: %llu run%s, the first with %u preemption%s", idx + 1,
            (unsigned long long)runs, runs == 1 ? "" : "s", pre, pre == 1 ? "" : "s");
    if (events > 0)
        fprintf(out, ", %u event%s", events, events == 1 ? "" : "s");
    fprintf(out, ": %s", title);
    if (saved != NULL && saved[0] != '\0')
        fprintf(out, " [%s]", saved);
    fputc('\n', out);
}

/* --- forksim explore FILE --schedules ----------------------------------------------------------- */

typedef struct cmd_state {
    FILE *out;
    bool json;
    progress prog;
    bool bounded;
} cmd_state;

static void on_run(void *arg, const sx_result *res, uint64_t run, size_t outcome, unsigned pre,
                   double share)
{
    cmd_state *c = arg;
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string("run"));
        json_object_set_new(o, "run", json_integer((json_int_t)run));
        json_object_set_new(o, "outcome", json_integer((json_int_t)outcome + 1));
        json_object_set_new(o, "preemptions", json_integer(pre));
        json_line(c->out, o);
    }
    progress_update(&c->prog, (size_t)run, res->noutcomes, c->bounded ? share : -1.0, false);
}

static bool parse_shard(const char *w, unsigned *i, unsigned *n)
{
    unsigned a, b;
    char end;
    if (sscanf(w, "%u/%u%c", &a, &b, &end) != 2 || b == 0 || b > 4096 || a >= b)
        return false;
    *i = a;
    *n = b;
    return true;
}

static bool parse_u64(const char *w, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (w[0] < '0' || w[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(w, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The options of forksim explore FILE --schedules, parsed by cliopt (getopt_long): --opt=value
 * and --opt value alike, and --help listing them (issue 14, item 2). */
enum { SO_SCHEDULES = 256, SO_BOUND, SO_NO_BOUND, SO_PCT, SO_RUNS, SO_SEED, SO_NO_PRUNE,
       SO_STOP_ON, SO_SHARD, SO_FORMAT, SO_SAVE, SO_MAX_RUNS, SO_NO_PROGRESS, SO_SHRINK,
       SO_EVENTS_FIRST };
static const cli_option schedules_options[] = {
    {"schedules", SO_SCHEDULES, NULL, "search the schedules (this mode of explore)"},
    {"bound", SO_BOUND, "K", "schedules with at most K preemptions (default 2)"},
    {"no-bound", SO_NO_BOUND, NULL, "every schedule"},
    {"pct", SO_PCT, "D", "PCT with bug depth D (1 to 64) instead of the depth-first search"},
    {"runs", SO_RUNS, "N", "with --pct: N runs (default 1000)"},
    {"seed", SO_SEED, "S", "with --pct: the seed (default 1)"},
    {"no-prune", SO_NO_PRUNE, NULL, "no sleep sets (they prune orders of independent steps)"},
    {"events-first", SO_EVENTS_FIRST, NULL, "at each point, an event before the threads (early placements first)"},
    {"stop-on", SO_STOP_ON, "abort|deadlock|finding|expectation", "end the search at the first such outcome"},
    {"shard", SO_SHARD, "I/N", "part I of N of the same tree (forksim merge joins the parts)"},
    {"format", SO_FORMAT, "text|jsonl", "text (default), or one JSON object per run, per outcome and a summary"},
    {"save", SO_SAVE, "DIR", "each outcome's first schedule as DIR/outcome-N.dec, .fsim and .run"},
    {"max-runs", SO_MAX_RUNS, "N", "stop after N runs"},
    {"no-progress", SO_NO_PROGRESS, NULL, "no progress line (shown on a terminal only)"},
    {"shrink", SO_SHRINK, NULL, "shrink each failing outcome's first schedule at the end"},
    {NULL, 0, NULL, NULL},
};
static const cli_command schedules_cli = {
    "explore", "FILE --schedules [options]",
    "searches the scenario's schedules (the race explorer): every one up to a preemption bound,\n"
    "or random ones (PCT); one line per outcome, then a summary", schedules_options, NULL,
};

int schedules_command(int argc, char **argv)
{
    const char *file = NULL, *save = NULL;
    sx_options o = {.bound = 2, .prune = true, .pct_runs = 1000, .seed = 1};
    bool json = false, progress_on = true, runs_set = false, shrink = false;
    cli_parser p;
    cliopt_begin(&p, &schedules_cli, argc - 1, argv + 1);
    for (int key; (key = cliopt_next(&p)) != CLI_END;) {
        const char *a = p.value;
        uint64_t v;
        switch (key) {
        case CLI_HELP:
            return 0;
        case CLI_ERROR:
            return 2;
        case SO_SCHEDULES:
            break;
        case SO_BOUND:
            if (!parse_u64(a, 0, 1000, &v)) {
                fprintf(stderr, "forksim: --bound needs a number of preemptions from 0 to 1000, not '%s'\n", a);
                return 2;
            }
            o.bound = (unsigned)v;
            break;
        case SO_NO_BOUND:
            o.bound = SX_UNBOUNDED;
            break;
        case SO_PCT:
            if (!parse_u64(a, 1, 64, &v)) {
                fprintf(stderr, "forksim: --pct needs a bug depth from 1 to 64, not '%s'\n", a);
                return 2;
            }
            o.pct_depth = (unsigned)v;
            break;
        case SO_RUNS:
            if (!parse_u64(a, 1, UINT64_MAX, &o.pct_runs)) {
                fprintf(stderr, "forksim: --runs needs a positive number, not '%s'\n", a);
                return 2;
            }
            runs_set = true;
            break;
        case SO_SEED:
            if (!parse_u64(a, 0, UINT64_MAX, &o.seed)) {
                fprintf(stderr, "forksim: --seed needs a number, not '%s'\n", a);
                return 2;
            }
            break;
        case SO_NO_PRUNE:
            o.prune = false;
            break;
        case SO_EVENTS_FIRST:
            o.events_first = true;
            break;
        case SO_STOP_ON: {
            unsigned f = 0;
            for (unsigned k = 0; k < 4; k++)
                if (strcmp(a, stop_names[k]) == 0)
                    f = 1u << k;
            if (f == 0) {
                fprintf(stderr, "forksim: --stop-on abort, deadlock, finding or expectation, not '%s'\n", a);
                return 2;
            }
            o.stop_on |= f;
            break;
        }
        case SO_SHARD:
            if (!parse_shard(a, &o.shard, &o.nshards)) {
                fprintf(stderr, "forksim: --shard I/N with 0 <= I < N <= 4096, not '%s'\n", a);
                return 2;
            }
            break;
        case SO_FORMAT:
            if (strcmp(a, "jsonl") != 0 && strcmp(a, "text") != 0)
                return cliopt_fail(&schedules_cli, "--format text or jsonl, not '%s'", a);
            json = strcmp(a, "jsonl") == 0;
            break;
        case SO_SAVE:
            save = a;
            break;
        case SO_MAX_RUNS:
            if (!parse_u64(a, 1, UINT64_MAX, &o.max_runs)) {
                fprintf(stderr, "forksim: --max-runs needs a positive number, not '%s'\n", a);
                return 2;
            }
            break;
        case SO_NO_PROGRESS:
            progress_on = false;
            break;
        case SO_SHRINK:
            shrink = true;
            break;
        }
    }
    if (argc - 1 - p.first != 1) {
        if (argc - 1 - p.first > 1)
            fprintf(stderr, "forksim: one scenario at a time ('%s' and '%s')\n", argv[1 + p.first],
                    argv[2 + p.first]);
        else
            fprintf(stderr, "usage: forksim explore FILE --schedules [options] (try forksim explore "
                            "FILE --schedules --help)\n");
        return 2;
    }
    file = argv[1 + p.first];
    if (runs_set && o.pct_depth == 0) {
        fprintf(stderr, "forksim: --runs goes with --pct D\n");
        return 2;
    }
    if (save != NULL) {
        struct stat st;
        if (stat(save, &st) != 0 && mkdir(save, 0777) != 0) {
            fprintf(stderr, "forksim: --save %s: %s\n", save, strerror(errno));
            return 2;
        }
        if (stat(save, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "forksim: --save %s: not a directory\n", save);
            return 2;
        }
    }
    scenario *s = calloc(1, sizeof *s);
    char err[1024];
    if (scenario_load(file, s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(s);
        return 2;
    }
    size_t text_len = 0;
    char *text = file_slurp(file, &text_len);
    sx_program prog;
    scn_program sp;
    if (text == NULL || program_make(&prog, &sp, s) != 0) {
        if (text == NULL)
            fprintf(stderr, "forksim: %s: cannot read: %s\n", file, strerror(errno));
        free(text);
        free(s);
        return 2;
    }
    cmd_state c = {.out = stdout, .json = json, .bounded = o.pct_depth == 0};
    progress_open(&c.prog, progress_on ? stderr : NULL, "schedules");
    if (!json)
        printf("schedules: %s, fork %s, %s, pruning %s%s\n", s->path, s->ndebug ? "glibc-ndebug" : "glibc",
               o.pct_depth ? "PCT" : "depth-first", o.prune && !o.pct_depth ? "on" : "off",
               o.nshards > 1 ? ", one shard" : "");
    sx_result res;
    int rc = sx_explore(&prog, &o, &res, on_run, &c);
    progress_close(&c.prog);
    int status = 0;
    if (rc != 0) {
        fprintf(stderr, "forksim: %s: %s\n", s->path, res.error);
        status = 2;
    } else {
        for (size_t i = 0; i < res.noutcomes; i++) {
            const sx_outcome *oc = &res.outcomes[i];
            char dec[1200] = "";
            if (save != NULL && outcome_save(s, text, text_len, save, i, oc, dec, sizeof dec) != 0)
                status = 3;
            if (json) {
                json_t *j = json_object();
                json_object_set_new(j, "type", json_string("outcome"));
                json_object_set_new(j, "outcome", json_integer((json_int_t)i + 1));
                json_object_set_new(j, "runs", json_integer((json_int_t)oc->runs));
                json_object_set_new(j, "first_run", json_integer((json_int_t)oc->first_run));
                json_object_set_new(j, "first_order", json_string(oc->first_order));
                json_object_set_new(j, "preemptions", json_integer(oc->first_preemptions));
                json_object_set_new(j, "events", json_integer(oc->first_events));
                flags_json(j, oc->flags);
                json_object_set_new(j, "title", json_string(oc->title));
                json_object_set_new(j, "key", json_string(oc->key));
                json_object_set_new(j, "decisions", dec[0] ? json_string(dec) : json_null());
                json_line(stdout, j);
            } else {
                outcome_print(stdout, i, oc->runs, oc->first_preemptions, oc->first_events, oc->title, dec);
            }
            /* --shrink: each failing outcome's first schedule, shrunk (item 4) */
            if (shrink && !json && (oc->flags & (SX_STOP_ABORT | SX_STOP_DEADLOCK | SX_STOP_EXPECTATION))) {
                sx_shrink_sizes before, after;
                uint64_t runs = 0;
                char serr[512];
                sim_decisions *small = sx_shrink(&prog, oc->first, &before, &after, &runs, serr, sizeof serr);
                if (small == NULL) {
                    printf("  shrink: %s\n", serr);
                    continue;
                }
                printf("  shrunk from %zu departures, %zu preemptions, %zu event(s) to %zu, %zu, %zu (%llu runs)",
                       before.departures, before.preemptions, before.events, after.departures,
                       after.preemptions, after.events, (unsigned long long)runs);
                if (save != NULL) {
                    char path[1200];
                    snprintf(path, sizeof path, "%s/outcome-%zu.shrunk.dec", save, i + 1);
                    if (decisions_save(small, s->path, path) != 0)
                        status = 3;
                    printf(" [%s]", path);
                }
                putchar('\n');
                sim_decisions_free(small);
            }
        }
        summary sm = {.pct = o.pct_depth != 0, .prune = o.prune, .bound = o.bound,
                      .depth = o.pct_depth, .runs = res.runs, .pruned = res.pruned,
                      .pct_runs = o.pct_runs, .outcomes = res.noutcomes, .threads = res.threads,
                      .steps = res.steps, .pct_bound = res.pct_bound, .stopped = res.stopped,
                      .truncated = res.truncated};
        snprintf(sm.scenario, sizeof sm.scenario, "%s", s->path);
        memcpy(sm.by_pre, res.by_preemptions, sizeof sm.by_pre);
        if (json)
            json_line(stdout, summary_json(&sm, o.shard, o.nshards ? o.nshards : 1));
        else
            summary_print(stdout, &sm);
        sx_result_free(&res);
    }
    run_result_free(sp.r);
    free(sp.r);
    free(text);
    free(s);
    return status;
}

/* --- forksim shrink ------------------------------------------------------------------------------ */

int shrink_command(int argc, char **argv)
{
    const char *scn = NULL, *dec = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "forksim: unknown option '%s' of shrink\n", argv[i]);
            return 2;
        } else if (dec == NULL)
            dec = argv[i];
        else if (scn == NULL) {
            scn = dec;
            dec = argv[i];
        } else {
            fprintf(stderr, "usage: forksim shrink [SCENARIO] RUN.dec [-o OUT.dec]\n");
            return 2;
        }
    }
    if (dec == NULL) {
        fprintf(stderr, "usage: forksim shrink [SCENARIO] RUN.dec [-o OUT.dec]\n");
        return 2;
    }
    char named[1024];
    if (scn == NULL) {
        decisions_scenario(dec, named, sizeof named);
        if (named[0] == '\0') {
            fprintf(stderr, "forksim: %s does not name its scenario (a '# scenario PATH' line, as forksim "
                            "explore --save writes): give it, forksim shrink SCENARIO RUN.dec\n", dec);
            return 2;
        }
        scn = named;
    }
    char err[1024];
    sim_decisions *d = sim_decisions_read(dec, err, sizeof err);
    if (d == NULL) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    scenario *s = calloc(1, sizeof *s);
    if (scenario_load(scn, s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(s);
        sim_decisions_free(d);
        return 2;
    }
    sx_program prog;
    scn_program sp;
    if (program_make(&prog, &sp, s) != 0) {
        free(s);
        sim_decisions_free(d);
        return 2;
    }
    sx_shrink_sizes before, after;
    uint64_t runs = 0;
    sim_decisions *small = sx_shrink(&prog, d, &before, &after, &runs, err, sizeof err);
    int status = 0;
    if (small == NULL) {
        fprintf(stderr, "forksim: shrink %s: %s\n", dec, err);
        status = 2;
    } else {
        char path[1200];
        if (out == NULL) {
            size_t n = strlen(dec);
            snprintf(path, sizeof path, "%.*s.shrunk.dec", (int)(n > 4 && strcmp(dec + n - 4, ".dec") == 0 ? n - 4 : n), dec);
            out = path;
        }
        printf("shrink: before: %zu decisions, %zu departures from the reference order, %zu preemptions, %zu event(s)\n",
               before.picks, before.departures, before.preemptions, before.events);
        printf("shrink: after:  %zu decisions, %zu departures from the reference order, %zu preemptions, %zu event(s)\n",
               after.picks, after.departures, after.preemptions, after.events);
        printf("shrink: same outcome, %llu runs; saved %s\n", (unsigned long long)runs, out);
        if (decisions_save(small, s->path, out) != 0) {
            fprintf(stderr, "forksim: cannot write %s: %s\n", out, strerror(errno));
            status = 3;
        }
        sim_decisions_free(small);
    }
    run_result_free(sp.r);
    free(sp.r);
    free(s);
    sim_decisions_free(d);
    return status;
}

/* --- forksim merge -------------------------------------------------------------------------------- */

typedef struct merged_outcome {
    char *key, *title, *order, *decisions;
    uint64_t runs;
    unsigned pre, events;
} merged_outcome;

/* Tree order of two order keys ("0.2.1"): numbers compared one by one, a prefix first. */
static int order_cmp(const char *a, const char *b)
{
    while (*a != '\0' || *b != '\0') {
        if (*a == '\0')
            return -1;
        if (*b == '\0')
            return 1;
        unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
    return 0;
}

static int merged_cmp(const void *a, const void *b)
{
    const merged_outcome *x = a, *y = b;
    return order_cmp(x->order, y->order);
}

int merge_command(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: forksim merge FILE... (the --format=jsonl output of forksim explore --schedules shards)\n");
        return 2;
    }
    summary sm;
    memset(&sm, 0, sizeof sm);
    merged_outcome *mo = NULL;
    size_t nmo = 0;
    unsigned nshards = 0;
    bool *seen = NULL;
    int status = 0;
    bool have_summary = false;
    for (int i = 2; i < argc && status == 0; i++) {
        FILE *f = fopen(argv[i], "r");
        if (f == NULL) {
            fprintf(stderr, "forksim: %s: %s\n", argv[i], strerror(errno));
            status = 2;
            break;
        }
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        bool file_summary = false;
        while (getline(&line, &cap, f) > 0 && status == 0) {
            lineno++;
            json_error_t je;
            json_t *o = json_loads(line, 0, &je);
            const char *type = o != NULL ? json_string_value(json_object_get(o, "type")) : NULL;
            if (type == NULL) {
                fprintf(stderr, "%s:%d: not a line of forksim explore --schedules --format=jsonl\n", argv[i], lineno);
                status = 2;
            } else if (strcmp(type, "outcome") == 0) {
                const char *key = json_string_value(json_object_get(o, "key"));
                const char *order = json_string_value(json_object_get(o, "first_order"));
                const char *title = json_string_value(json_object_get(o, "title"));
                const char *dec = json_string_value(json_object_get(o, "decisions"));
                json_int_t runs = json_integer_value(json_object_get(o, "runs"));
                if (key == NULL || order == NULL || title == NULL) {
                    fprintf(stderr, "%s:%d: an outcome without key, first_order or title\n", argv[i], lineno);
                    status = 2;
                } else {
                    size_t k = 0;
                    while (k < nmo && strcmp(mo[k].key, key) != 0)
                        k++;
                    if (k == nmo) {
                        mo = realloc(mo, (nmo + 1) * sizeof *mo);
                        memset(&mo[nmo], 0, sizeof *mo);
                        mo[nmo].key = strdup(key);
                        nmo++;
                    }
                    mo[k].runs += (uint64_t)runs;
                    if (mo[k].order == NULL || order_cmp(order, mo[k].order) < 0) {
                        free(mo[k].order);
                        free(mo[k].title);
                        free(mo[k].decisions);
                        mo[k].order = strdup(order);
                        mo[k].title = strdup(title);
                        mo[k].decisions = dec != NULL ? strdup(dec) : NULL;
                        mo[k].pre = (unsigned)json_integer_value(json_object_get(o, "preemptions"));
                        mo[k].events = (unsigned)json_integer_value(json_object_get(o, "events"));
                    }
                }
            } else if (strcmp(type, "summary") == 0) {
                const char *scn = json_string_value(json_object_get(o, "scenario"));
                const char *mode = json_string_value(json_object_get(o, "mode"));
                json_t *b = json_object_get(o, "bound");
                unsigned bound = json_is_null(b) ? SX_UNBOUNDED : (unsigned)json_integer_value(b);
                unsigned shard = (unsigned)json_integer_value(json_object_get(o, "shard"));
                unsigned shards = (unsigned)json_integer_value(json_object_get(o, "shards"));
                bool prune = json_is_true(json_object_get(o, "prune"));
                bool pct = mode != NULL && strcmp(mode, "pct") == 0;
                unsigned depth = (unsigned)json_integer_value(json_object_get(o, "depth"));
                if (scn == NULL || mode == NULL || shards == 0 || shard >= shards) {
                    fprintf(stderr, "%s:%d: a summary without scenario, mode or shard\n", argv[i], lineno);
                    status = 2;
                    break;
                }
                if (!have_summary) {
                    snprintf(sm.scenario, sizeof sm.scenario, "%s", scn);
                    sm.pct = pct;
                    sm.bound = bound;
                    sm.prune = prune;
                    sm.depth = depth;
                    sm.threads = (unsigned)json_integer_value(json_object_get(o, "threads"));
                    sm.steps = (uint64_t)json_integer_value(json_object_get(o, "steps"));
                    sm.pct_bound = json_real_value(json_object_get(o, "pct_bound"));
                    nshards = shards;
                    seen = calloc(shards, sizeof *seen);
                    have_summary = true;
                } else if (strcmp(sm.scenario, scn) != 0 || sm.pct != pct || sm.bound != bound ||
                           sm.prune != prune || sm.depth != depth || nshards != shards) {
                    fprintf(stderr, "%s:%d: another search than the first file's (scenario, mode, bound, "
                                    "pruning and shard count must match)\n", argv[i], lineno);
                    status = 2;
                    break;
                }
                if (seen[shard]) {
                    fprintf(stderr, "%s:%d: shard %u/%u twice\n", argv[i], lineno, shard, shards);
                    status = 2;
                    break;
                }
                seen[shard] = true;
                file_summary = true;
                sm.runs += (uint64_t)json_integer_value(json_object_get(o, "runs"));
                sm.pruned += (uint64_t)json_integer_value(json_object_get(o, "pruned"));
                json_t *bp = json_object_get(o, "by_preemptions");
                for (size_t k = 0; k < SX_PREEMPTION_BUCKETS && k < json_array_size(bp); k++)
                    sm.by_pre[k] += (uint64_t)json_integer_value(json_array_get(bp, k));
                sm.stopped |= json_is_true(json_object_get(o, "stopped"));
                sm.truncated |= json_is_true(json_object_get(o, "truncated"));
            }
            json_decref(o);
        }
        free(line);
        fclose(f);
        if (status == 0 && !file_summary) {
            fprintf(stderr, "%s: no summary line: the shard did not finish\n", argv[i]);
            status = 2;
        }
    }
    for (unsigned k = 0; status == 0 && k < nshards; k++)
        if (!seen[k]) {
            fprintf(stderr, "forksim: merge: shard %u/%u is missing\n", k, nshards);
            status = 2;
        }
    if (status == 0) {
        qsort(mo, nmo, sizeof *mo, merged_cmp);
        for (size_t k = 0; k < nmo; k++)
            outcome_print(stdout, k, mo[k].runs, mo[k].pre, mo[k].events, mo[k].title, mo[k].decisions);
        sm.outcomes = nmo;
        summary_print(stdout, &sm);
    }
    for (size_t k = 0; k < nmo; k++) {
        free(mo[k].key);
        free(mo[k].title);
        free(mo[k].order);
        free(mo[k].decisions);
    }
    free(mo);
    free(seen);
    return status;
}
