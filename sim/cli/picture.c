/*
 * picture.c: a run as pictures for teaching (issue 14, item 4; export.h):
 *   - Mermaid: a sequence diagram of the fork, the parent, the child, the kernel and each
 *     server as lifelines, one request and one reply arrow per RPC of the parent and the
 *     child after the set-up, the --explain notes as notes;
 *   - Graphviz dot: both name spaces side by side, each name to the port it names and each
 *     port to its receiver; a name whose rights or urefs differ between the two, or that one
 *     side lacks, is marked;
 *   - Chrome trace-event JSON (Perfetto, chrome://tracing): one track per simulated thread,
 *     one slice per RPC, flow arrows from the request to the server's handling to the reply.
 * The trace has steps, not times: step N is at N*10 microseconds on the timeline.
 */
#include "export.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* --- Mermaid -------------------------------------------------------------------------------- */

/* Mermaid's message text ends at a newline or ';', and '#' starts an entity: both are
 * written as entities (#59; #35;). */
static void mermaid_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == ';')
            fputs("#59;", out);
        else if (*s == '#')
            fputs("#35;", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

/* Which lifeline an RPC goes to: the server its routine belongs to, the other process for a
 * msg_ RPC (its message port), else the kernel. */
static const char *rpc_target(const export_event *ev, bool from_parent)
{
    static const struct {
        const char *prefix, *who;
    } servers[] = {{"proc_", "proc"}, {"auth_", "auth"}, {"term_", "term"},
                   {"fs_", "fs"},     {"io_", "fs"},     {"dir_", "fs"}};
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
        if (strncmp(ev->routine, servers[i].prefix, strlen(servers[i].prefix)) == 0)
            return servers[i].who;
    if (strncmp(ev->routine, "msg_", 4) == 0)
        return from_parent ? "child" : "parent";
    return "kernel";
}

/* The task the legend names role ("parent"; "child" also finds "the last child"), or 0. */
static int role_task(const run_result *r, const char *role)
{
    char buf[64];
    for (int t = 1; t < 256; t++) {
        const char *n = export_task_name(r, t, buf, sizeof buf);
        if (n == NULL)
            continue;
        size_t ln = strlen(n), lr = strlen(role);
        if (ln >= lr && strcmp(n + ln - lr, role) == 0 && (ln == lr || n[ln - lr - 1] == ' '))
            return t;
    }
    return 0;
}

int export_mermaid(FILE *out, const run_result *r, const export_events *e, bool explain)
{
    /* by the legend, not r->parent.task: that is 0 when the parent aborted before the end of
     * its steps */
    int parent = role_task(r, "parent"), child = role_task(r, "child");
    /* the servers the fork talks to, in the order first met */
    const char *used[8];
    size_t nused = 0;
    for (size_t i = 0; i < e->n; i++) {
        const export_event *ev = &e->ev[i];
        if (ev->kind != EV_RPC || ev->setup || (ev->task != parent && ev->task != child))
            continue;
        const char *t = rpc_target(ev, ev->task == parent);
        bool known = !strcmp(t, "kernel") || !strcmp(t, "parent") || !strcmp(t, "child");
        for (size_t k = 0; k < nused && !known; k++)
            known = strcmp(used[k], t) == 0;
        if (!known && nused < 8)
            used[nused++] = t;
    }
    fputs("sequenceDiagram\n", out);
    fprintf(out, "    participant parent as parent (task %d)\n", parent);
    fprintf(out, "    participant child as child (task %d)\n", child);
    fputs("    participant kernel as GNU Mach\n", out);
    for (size_t k = 0; k < nused; k++)
        fprintf(out, "    participant %s as %s server\n", used[k], used[k]);
    for (size_t i = 0; i < e->n; i++) {
        const export_event *ev = &e->ev[i];
        if (ev->kind != EV_RPC || ev->setup || (ev->task != parent && ev->task != child))
            continue;
        const char *from = ev->task == parent ? "parent" : "child";
        const char *to = rpc_target(ev, ev->task == parent);
        fprintf(out, "    %s->>%s: %s%s(", from, to, ev->trap ? "trap " : "", ev->routine);
        for (size_t a = 0; a < ev->nargs; a++) {
            if (a > 0)
                fputs(", ", out);
            mermaid_text(out, ev->args[a].text);
        }
        fprintf(out, ") [step %llu]\n", (unsigned long long)ev->step);
        fprintf(out, "    %s-->>%s: ", to, from);
        mermaid_text(out, ev->result);
        for (size_t a = 0; a < ev->nouts; a++) {
            fputs(a == 0 ? " -> " : ", ", out);
            mermaid_text(out, ev->outs[a].text);
        }
        fputc('\n', out);
        if (explain && ev->explain != NULL) {
            fprintf(out, "    Note over %s: ", from);
            mermaid_text(out, ev->explain);
            fputc('\n', out);
        }
    }
    return ferror(out) ? -1 : 0;
}

/* --- Graphviz ------------------------------------------------------------------------------- */

static void dot_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(isprint((unsigned char)*s) ? *s : ' ', out);
    }
}

static const run_name *find_name(const run_space *sp, mach_port_name_t name)
{
    size_t lo = 0, hi = sp->n; /* names are ascending */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sp->names[mid].name == name)
            return &sp->names[mid];
        if (sp->names[mid].name < name)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Who receives from a port: the process among the two holding its receive right, else who
 * the name's description says ("port of proc", "task 7": the kernel). */
static void receiver_of(const run_result *r, const run_name *n, char *buf, size_t len)
{
    const run_space *sides[2] = {&r->parent, &r->child};
    const char *who[2] = {"parent", "child"};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sides[s]->n; i++)
            if (sides[s]->names[i].port == n->port && (sides[s]->names[i].type & MACH_PORT_TYPE_RECEIVE)) {
                snprintf(buf, len, "%s", who[s]);
                return;
            }
    if (strncmp(n->denotes, "port of ", 8) == 0)
        snprintf(buf, len, "%s", n->denotes + 8);
    else if (strncmp(n->denotes, "task ", 5) == 0 || strncmp(n->denotes, "thread ", 7) == 0)
        snprintf(buf, len, "kernel");
    else
        snprintf(buf, len, "other");
    for (char *c = buf; *c; c++)
        if (!isalnum((unsigned char)*c))
            *c = '_';
}

static void dot_side(FILE *out, const run_result *r, const run_space *sp, const run_space *other,
                     const char *who, char id)
{
    fprintf(out, "  subgraph cluster_%s {\n    label=\"%s (task %d)%s\";\n", who, who, sp->task,
            sp->n < sp->total ? ", truncated" : "");
    for (size_t i = 0; i < sp->n; i++) {
        const run_name *n = &sp->names[i], *o = find_name(other, n->name);
        bool differs = o == NULL || o->type != n->type || o->urefs != n->urefs;
        fprintf(out, "    %c%u [shape=box, label=\"%u %s urefs %u", id, n->name, n->name,
                scn_type_name(n->type), n->urefs);
        if (n->label[0]) {
            fputs("\\n", out);
            dot_text(out, n->label);
        }
        fputs("\"", out);
        if (differs)
            fputs(", color=red, fontcolor=red, style=bold, tooltip=\"differs from the other side\"", out);
        fputs("];\n", out);
    }
    fputs("  }\n", out);
    (void)r;
}

int export_dot(FILE *out, const scenario *s, const run_result *r)
{
    fputs("digraph forksim {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n", out);
    /* a space of hundreds of names (traces/names-1000.fsim) is no picture to read; dot's
     * crossing minimisation would take its time over it: fewer passes, straight edges */
    if (r->parent.n + r->child.n > 400)
        fputs("  mclimit=0.1;\n  nslimit=1;\n  nslimit1=1;\n  splines=line;\n", out);
    fputs("  label=\"", out);
    dot_text(out, s->path);
    fprintf(out, ": name spaces %s; red: the name differs between the two\";\n",
            r->stopped ? "at the --stop-at step" : "at the end");
    dot_side(out, r, &r->parent, &r->child, "parent", 'p');
    dot_side(out, r, &r->child, &r->parent, "child", 'c');
    /* ports, each once, and their receivers */
    const run_space *sides[2] = {&r->parent, &r->child};
    size_t total = r->parent.n + r->child.n;
    uint32_t *seen = calloc(total + 1, sizeof *seen);
    if (seen == NULL)
        return -1;
    size_t nseen = 0;
    char recv[64][32];
    size_t nrecv = 0;
    for (int sd = 0; sd < 2; sd++)
        for (size_t i = 0; i < sides[sd]->n; i++) {
            const run_name *n = &sides[sd]->names[i];
            if (n->port == 0)
                continue;
            size_t k;
            for (k = 0; k < nseen && seen[k] != n->port; k++)
                ;
            if (k == nseen) {
                seen[nseen++] = n->port;
                char rb[32];
                receiver_of(r, n, rb, sizeof rb);
                fprintf(out, "  port%u [shape=ellipse, label=\"port %u\\n", n->port, n->port);
                dot_text(out, n->denotes);
                fprintf(out, "\"];\n  port%u -> recv_%s [style=dotted];\n", n->port, rb);
                size_t j;
                for (j = 0; j < nrecv && strcmp(recv[j], rb) != 0; j++)
                    ;
                if (j == nrecv && nrecv < 64)
                    snprintf(recv[nrecv++], sizeof recv[0], "%s", rb);
            }
            if (sd == 0)
                fprintf(out, "  p%u -> port%u;\n", n->name, n->port);
            else
                fprintf(out, "  port%u -> c%u [dir=back];\n", n->port, n->name);
        }
    free(seen);
    for (size_t j = 0; j < nrecv; j++)
        fprintf(out, "  recv_%s [shape=diamond, label=\"%s\"];\n", recv[j], recv[j]);
    fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}

/* --- Chrome trace events (Perfetto) ---------------------------------------------------------- */

#define TS(step) ((json_int_t)(step) * 10)

static int is_server(const run_result *r, int task)
{
    char buf[64];
    const char *n = export_task_name(r, task, buf, sizeof buf);
    return n != NULL && (!strcmp(n, "proc") || !strcmp(n, "auth") || !strcmp(n, "fs") || !strcmp(n, "term"));
}

static json_t *slice(const char *name, const char *cat, int pid, int tid, json_int_t ts, json_int_t dur)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i}", "name", name, "cat", cat, "ph", "X",
                     "ts", ts, "dur", dur, "pid", pid, "tid", tid);
}

static json_t *flow(const char *ph, json_int_t id, int pid, int tid, json_int_t ts)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i}", "name", "rpc", "cat", "rpc", "ph",
                          ph, "id", id, "ts", ts, "pid", pid, "tid", tid);
    if (strcmp(ph, "f") == 0)
        json_object_set_new(o, "bp", json_string("e"));
    return o;
}

int export_perfetto(FILE *out, const run_result *r, const export_events *e)
{
    json_t *events = json_array();
    /* the tracks: one per simulated thread, grouped by task */
    int seen_task[256] = {0};
    struct { int task, thread; } threads[512];
    size_t nthreads = 0;
    for (size_t i = 0; i < e->n; i++) {
        const export_event *ev = &e->ev[i];
        if (ev->kind != EV_RPC || ev->task < 0 || ev->task >= 256)
            continue;
        char buf[64], label[96];
        if (!seen_task[ev->task]) {
            seen_task[ev->task] = 1;
            const char *n = export_task_name(r, ev->task, buf, sizeof buf);
            snprintf(label, sizeof label, "t%d %s", ev->task, n != NULL ? n : "task");
            json_array_append_new(events, json_pack("{s:s, s:s, s:i, s:i, s:I, s:{s:s}}", "name",
                                                    "process_name", "ph", "M", "pid", ev->task,
                                                    "tid", 0, "ts", (json_int_t)0, "args", "name", label));
        }
        size_t k;
        for (k = 0; k < nthreads && !(threads[k].task == ev->task && threads[k].thread == ev->thread); k++)
            ;
        if (k == nthreads && nthreads < 512) {
            threads[nthreads].task = ev->task;
            threads[nthreads++].thread = ev->thread;
            snprintf(label, sizeof label, "t%d.%d", ev->task, ev->thread);
            json_array_append_new(events, json_pack("{s:s, s:s, s:i, s:i, s:I, s:{s:s}}", "name",
                                                    "thread_name", "ph", "M", "pid", ev->task,
                                                    "tid", ev->thread, "ts", (json_int_t)0, "args", "name", label));
        }
    }
    /* Which client RPC each server request belongs to: a server's receive (-> id N ROUTINE)
     * at step R, its reply (answers the request of step R) at step P, and the first RPC of
     * ROUTINE by a process after P not yet paired: the client's line is written when its
     * call returns, after the reply. */
    size_t *client_of = calloc(e->n + 1, sizeof *client_of);     /* receive -> client + 1 */
    size_t *reply_of = calloc(e->n + 1, sizeof *reply_of);       /* receive -> reply + 1 */
    size_t *request_of = calloc(e->n + 1, sizeof *request_of);   /* client -> receive + 1 */
    if (client_of == NULL || reply_of == NULL || request_of == NULL) {
        free(client_of);
        free(reply_of);
        free(request_of);
        json_decref(events);
        return -1;
    }
    for (size_t i = 0; i < e->n; i++) {
        const export_event *rv = &e->ev[i];
        if (rv->kind != EV_RPC || rv->msg_routine == NULL || !is_server(r, rv->task))
            continue;
        size_t p;
        for (p = i + 1; p < e->n; p++)
            if (e->ev[p].kind == EV_RPC && e->ev[p].answers == rv->step && e->ev[p].task == rv->task)
                break;
        if (p == e->n)
            continue;
        for (size_t c = p + 1; c < e->n; c++) {
            const export_event *cl = &e->ev[c];
            if (cl->kind == EV_RPC && !is_server(r, cl->task) && request_of[c] == 0 &&
                strcmp(cl->routine, rv->msg_routine) == 0) {
                client_of[i] = c + 1;
                reply_of[i] = p + 1;
                request_of[c] = i + 1;
                break;
            }
        }
    }
    json_int_t flow_id = 0;
    for (size_t i = 0; i < e->n; i++) {
        const export_event *ev = &e->ev[i];
        if (ev->kind != EV_RPC)
            continue;
        char name[96];
        snprintf(name, sizeof name, "%s%s", ev->trap ? "trap " : "", ev->routine);
        json_t *sl;
        if (request_of[i] != 0) {
            /* a client's RPC to a server: from just before the server received it */
            const export_event *rv = &e->ev[request_of[i] - 1];
            sl = slice(name, "rpc", ev->task, ev->thread, TS(rv->step) - 5, TS(ev->step) - TS(rv->step) + 5);
        } else {
            sl = slice(name, ev->trap ? "trap" : "rpc", ev->task, ev->thread, TS(ev->step) - 8, 8);
        }
        json_t *args = json_pack("{s:I, s:s}", "step", (json_int_t)ev->step, "result", ev->result);
        if (ev->explain != NULL)
            json_object_set_new(args, "explain", json_string(ev->explain));
        if (ev->site != NULL)
            json_object_set_new(args, "site", json_string(ev->site));
        json_object_set_new(sl, "args", args);
        json_array_append_new(events, sl);
        if (client_of[i] != 0) {
            /* the server's handling of the request, and the arrows */
            const export_event *cl = &e->ev[client_of[i] - 1], *rp = &e->ev[reply_of[i] - 1];
            snprintf(name, sizeof name, "serve %s", ev->msg_routine);
            /* A request the server holds while it serves others (a proc_wait waiting for its
             * child, then interrupted) would overlap them: it is drawn at its receive only. */
            bool held = false;
            for (size_t j = i + 1; j < (size_t)(reply_of[i] - 1) && !held; j++)
                held = e->ev[j].kind == EV_RPC && e->ev[j].task == ev->task &&
                       e->ev[j].thread == ev->thread && client_of[j] != 0;
            json_array_append_new(events, slice(name, "serve", ev->task, ev->thread, TS(ev->step) + 1,
                                                held ? 1 : TS(rp->step) - TS(ev->step)));
            flow_id++;
            json_array_append_new(events, flow("s", flow_id, cl->task, cl->thread, TS(ev->step) - 4));
            json_array_append_new(events, flow("t", flow_id, ev->task, ev->thread, TS(ev->step) + 2));
            json_array_append_new(events, flow("f", flow_id, cl->task, cl->thread, TS(cl->step) - 1));
        }
    }
    free(client_of);
    free(reply_of);
    free(request_of);
    json_t *doc = json_pack("{s:o, s:s, s:{s:s, s:s}}", "traceEvents", events, "displayTimeUnit", "ns",
                            "otherData", "source", "forksim run --format=perfetto", "time",
                            "trace step N at N*10 us");
    int rc = json_dumpf(doc, out, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
    return rc != 0 || ferror(out) ? -1 : 0;
}
