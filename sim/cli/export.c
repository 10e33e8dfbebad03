/*
 * export.c: a run's trace parsed into events, and the JSON formats (export.h).
 *
 * Why jansson: both JSON libraries the issue allows are packaged in Debian 12 (libjansson-dev
 * 2.14, libjson-c-dev 0.16). jansson keeps an object's keys in insertion order (so the
 * output reads in a stable, meaningful order and a golden diff stays small), writes compact
 * output with "ensure ASCII" escaping in one call, and refuses invalid UTF-8 instead of
 * passing it through; json-c's writer reorders nothing either but its strings need a
 * separate length-aware API for embedded NULs and its error reporting is per-call errno. Both
 * are small and MIT-licensed; jansson's API (json_pack-style builders, reference counts
 * stolen by the *_new calls) makes building a nested document shortest. It is linked into
 * the command only: the library's API (forksim.h) has no JSON, so libforksim and its
 * pkg-config file need no jansson.
 *
 * The JSON document is described by docs/forksim-run.schema.json; tools/check-formats.py
 * validates the output of every scenario of traces/ against it.
 */
#include "export.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

bool export_format_of(const char *w, export_format *f)
{
    static const struct {
        const char *name;
        export_format f;
    } names[] = {{"json", EXPORT_JSON},   {"jsonl", EXPORT_JSONL},       {"mermaid", EXPORT_MERMAID},
                 {"dot", EXPORT_DOT},     {"perfetto", EXPORT_PERFETTO}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(w, names[i].name) == 0) {
            *f = names[i].f;
            return true;
        }
    return false;
}

/* --- parsing the trace --------------------------------------------------------------------- */

static char *copy(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c != NULL) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Splits "a, {b c}, d" at the commas outside braces and parentheses into items. */
static int split_items(const char *s, size_t n, export_item **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return 0;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += s[i] == ',';
    export_item *it = calloc(cap, sizeof *it);
    if (it == NULL)
        return -1;
    size_t k = 0, start = 0;
    int depth = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : ',';
        if (c == '{' || c == '(')
            depth++;
        else if ((c == '}' || c == ')') && depth > 0)
            depth--;
        else if (c == ',' && depth == 0) {
            size_t b = start, e = i;
            while (b < e && s[b] == ' ')
                b++;
            while (e > b && s[e - 1] == ' ')
                e--;
            if ((it[k].text = copy(s + b, e - b)) == NULL) {
                *out = it;
                *nout = k;
                return -1;
            }
            k++;
            start = i + 1;
        }
    }
    *out = it;
    *nout = k;
    return 0;
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* "   143 t6.6 trap routine(args) = RESULT[ -> OUTS][  @ SITE]", "   150 # note", or any
 * other line. */
static int parse_line(const char *line, size_t len, export_event *ev)
{
    memset(ev, 0, sizeof *ev);
    char *l = copy(line, len);
    if (l == NULL)
        return -1;
    char *p = l;
    while (*p == ' ')
        p++;
    char *end;
    unsigned long long step = isdigit((unsigned char)*p) ? strtoull(p, &end, 10) : 0;
    if (isdigit((unsigned char)*p) && *end == ' ') {
        p = end + 1;
        if (p[0] == '#' && p[1] == ' ') {
            ev->kind = EV_NOTE;
            ev->step = step;
            ev->text = copy(p + 2, strlen(p + 2));
            free(l);
            return ev->text != NULL ? 0 : -1;
        }
        int t, th, off = 0;
        char *open, *eq;
        if (sscanf(p, "t%d.%d %n", &t, &th, &off) == 2 && off > 0 &&
            (open = strchr(p + off, '(')) != NULL && (eq = strstr(open, ") = ")) != NULL) {
            ev->kind = EV_RPC;
            ev->step = step;
            ev->task = t;
            ev->thread = th;
            char *r = p + off;
            if (strncmp(r, "trap ", 5) == 0) {
                ev->trap = true;
                r += 5;
            }
            ev->routine = copy(r, (size_t)(open - r));
            char *res = eq + 4, *site = strstr(res, "  @ ");
            if (site != NULL) {
                *site = '\0';
                ev->site = copy(site + 4, strlen(site + 4));
            }
            char *outs = strstr(res, " -> ");
            if (outs != NULL)
                *outs = '\0';
            ev->result = copy(res, strlen(res));
            int rc = ev->routine == NULL || ev->result == NULL || (site != NULL && ev->site == NULL) ? -1 : 0;
            if (rc == 0)
                rc = split_items(open + 1, (size_t)(eq - open - 1), &ev->args, &ev->nargs);
            if (rc == 0 && outs != NULL) {
                const char *o = outs + 4;
                unsigned long long a;
                int n = 0;
                unsigned id;
                char name[64];
                if (sscanf(o, "answers the request of step %llu%n", &a, &n) == 1 && o[n] == '\0')
                    ev->answers = a; /* a sentence, not a list */
                else if (sscanf(o, "id %u %63s%n", &id, name, &n) == 2 && o[n] == '\0') {
                    ev->msg_id = id;
                    ev->msg_routine = copy(name, strlen(name));
                }
                rc = split_items(o, strlen(o), &ev->outs, &ev->nouts);
            }
            free(l);
            return rc;
        }
    }
    ev->kind = EV_LINE;
    ev->text = l;
    return 0;
}

int export_events_parse(const run_result *r, export_events *e)
{
    memset(e, 0, sizeof *e);
    const char *trace = r->trace != NULL ? r->trace : "";
    size_t cap = 64;
    e->ev = malloc(cap * sizeof *e->ev);
    if (e->ev == NULL)
        return -1;
    bool setup = strstr(trace, "# scenario: set-up done") != NULL;
    size_t k = 0; /* the notes are in step order, as the lines */
    for (const char *line = trace; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
        unsigned long long v;
        int n = 0;
        if (sscanf(line, "forksim-trace %llu%n", &v, &n) == 1 && (size_t)n == len) {
            e->trace_version = v;
        } else if (len > 0) {
            if (e->n == cap) {
                export_event *m = realloc(e->ev, 2 * cap * sizeof *m);
                if (m == NULL)
                    return -1;
                e->ev = m;
                cap *= 2;
            }
            export_event *ev = &e->ev[e->n];
            int rc = parse_line(line, len, ev);
            e->n++;
            if (rc != 0)
                return -1;
            ev->setup = setup;
            if (ev->kind == EV_NOTE && strncmp(ev->text, "scenario: set-up done", 21) == 0)
                setup = false;
            if (ev->kind == EV_RPC) {
                while (k < r->nnotes && r->notes[k].step < ev->step)
                    k++;
                if (k < r->nnotes && r->notes[k].step == ev->step)
                    ev->explain = r->notes[k].text;
            }
        }
        line = nl != NULL ? nl + 1 : line + len;
    }
    return 0;
}

static void items_free(export_item *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(it[i].text);
    free(it);
}

void export_events_free(export_events *e)
{
    for (size_t i = 0; i < e->n; i++) {
        export_event *ev = &e->ev[i];
        free(ev->routine);
        free(ev->result);
        free(ev->site);
        free(ev->text);
        free(ev->msg_routine);
        items_free(ev->args, ev->nargs);
        items_free(ev->outs, ev->nouts);
    }
    free(e->ev);
    memset(e, 0, sizeof *e);
}

const char *export_task_name(const run_result *r, int task, char *buf, size_t len)
{
    /* "t1 proc, t2 auth, t3 fs, t4 term, t6 the parent, t7 the child" */
    for (const char *p = r->legend; (p = strchr(p, 't')) != NULL;) {
        char *end;
        if ((p == r->legend || p[-1] == ' ') && isdigit((unsigned char)p[1])) {
            long t = strtol(p + 1, &end, 10);
            if (*end == ' ') {
                const char *name = end + 1, *stop = strstr(name, ", ");
                size_t n = stop != NULL ? (size_t)(stop - name) : strlen(name);
                if (t == task) {
                    if (strncmp(name, "the ", 4) == 0) {
                        name += 4;
                        n -= 4;
                    }
                    snprintf(buf, len, "%.*s", (int)n, name);
                    return buf;
                }
                p = name + n;
                continue;
            }
        }
        p++;
    }
    return NULL;
}

/* --- JSON ---------------------------------------------------------------------------------- */

/* The parameters of each routine as its .defs names them (GNU Mach's mach.defs,
 * mach_port.defs and gnumach.defs, the Hurd's process.defs, msg.defs, term.defs), in the order
 * the trace shows the arguments; an RPC whose argument count differs gets no names. */
static const struct {
    const char *routine;
    const char *params[6];
} routine_params[] = {
    {"mach_port_allocate", {"task", "right"}},
    {"mach_port_allocate_name", {"task", "right", "name"}},
    {"mach_port_deallocate", {"task", "name"}},
    {"mach_port_destroy", {"task", "name"}},
    {"mach_port_insert_right", {"task", "name", "poly", "polyPoly"}},
    {"mach_port_extract_right", {"task", "name", "msgt_name"}},
    {"mach_port_get_refs", {"task", "name", "right"}},
    {"mach_port_mod_refs", {"task", "name", "right", "delta"}},
    {"mach_port_names", {"task"}},
    {"mach_port_move_member", {"task", "member", "after"}},
    {"mach_port_request_notification", {"task", "name", "id", "sync", "notify", "notifyPoly"}},
    {"task_create", {"target_task", "inherit_memory"}},
    {"task_terminate", {"target_task"}},
    {"task_suspend", {"target_task"}},
    {"task_resume", {"target_task"}},
    {"task_threads", {"target_task"}},
    {"task_get_special_port", {"task", "which_port"}},
    {"task_set_special_port", {"task", "which_port", "special_port"}},
    {"mach_ports_register", {"target_task", "init_port_set"}},
    {"mach_ports_lookup", {"target_task"}},
    {"register_new_task_notification", {"host_priv", "notification", "notificationPoly"}},
    {"thread_create", {"parent_task"}},
    {"thread_suspend", {"target_thread"}},
    {"thread_resume", {"target_thread"}},
    {"thread_abort", {"target_thread"}},
    {"thread_terminate", {"target_thread"}},
    {"thread_get_state", {"target_thread", "flavor"}},
    {"thread_set_state", {"target_thread", "flavor"}},
    {"vm_deallocate", {"target_task", "size"}},
    {"proc_task2proc", {"process", "task"}},
    {"proc_task2pid", {"process", "task"}},
    {"proc_getpids", {"process"}},
    {"proc_child", {"process", "child"}},
    {"proc_setmsgport", {"process", "newmsgport"}},
    {"proc_getmsgport", {"process", "pid"}},
    {"proc_get_arg_locations", {"process"}},
    {"proc_set_arg_locations", {"process", "argv", "envp"}},
    {"proc_dostop", {"process", "contthread"}},
    {"proc_mark_exit", {"process", "status", "sigcode"}},
    {"proc_wait", {"process", "pid", "options"}},
    {"msg_sig_post", {"process", "signal", "sigcode", "refport"}},
    {"term_open_ctty", {"terminal", "pid", "pgrp"}},
    {"term_getctty", {"terminal"}},
    {"mach_msg", {"option", "dest", "id", "rcv"}},
};

static const char *const *params_of(const char *routine, size_t nargs)
{
    for (size_t i = 0; i < sizeof routine_params / sizeof routine_params[0]; i++)
        if (strcmp(routine_params[i].routine, routine) == 0) {
            size_t n = 0;
            while (n < 6 && routine_params[i].params[n] != NULL)
                n++;
            return n == nargs ? routine_params[i].params : NULL;
        }
    return NULL;
}

static bool is_symbol(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' && *s != '|')
            return false;
    return true;
}

/* An item as typed JSON: {"text": as shown} plus, when its form says, "value" (a number, a
 * symbol such as MAKE_SEND, or a list of numbers), "key" ("dest 9"), "unit" ("16 bytes"),
 * "rest" ("id 24031 proc_task2proc"). */
static json_t *item_json(const char *text, const char *param)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (param != NULL)
        json_object_set_new(o, "param", json_string(param));
    json_object_set_new(o, "text", json_string(text));
    size_t n = strlen(text);
    if (all_digits(text)) {
        json_object_set_new(o, "value", json_integer(strtoll(text, NULL, 10)));
    } else if (n >= 2 && text[0] == '{' && text[n - 1] == '}') {
        json_t *a = json_array();
        bool ok = true;
        char *c = copy(text + 1, n - 2), *save = NULL;
        for (char *w = c != NULL ? strtok_r(c, " ", &save) : NULL; w != NULL; w = strtok_r(NULL, " ", &save)) {
            ok &= all_digits(w);
            json_array_append_new(a, json_integer(strtoll(w, NULL, 10)));
        }
        free(c);
        if (ok && c != NULL)
            json_object_set_new(o, "value", a);
        else
            json_decref(a);
    } else if (is_symbol(text)) {
        json_object_set_new(o, "value", json_string(text));
    } else {
        char *sp = strchr(text, ' ');
        char *head = sp != NULL ? copy(text, (size_t)(sp - text)) : NULL;
        if (head != NULL && all_digits(head)) {
            /* "16 bytes", "17 names", "8 PORT_SEND" */
            json_object_set_new(o, "value", json_integer(strtoll(head, NULL, 10)));
            json_object_set_new(o, "unit", json_string(sp + 1));
        } else if (head != NULL && islower((unsigned char)head[0])) {
            /* "dest 9", "id 24031 proc_task2proc", "status 0" */
            const char *v = sp + 1, *sp2 = strchr(v, ' ');
            char *num = copy(v, sp2 != NULL ? (size_t)(sp2 - v) : strlen(v));
            if (num != NULL && all_digits(num)) {
                json_object_set_new(o, "key", json_string(head));
                json_object_set_new(o, "value", json_integer(strtoll(num, NULL, 10)));
                if (sp2 != NULL)
                    json_object_set_new(o, "rest", json_string(sp2 + 1));
            }
            free(num);
        }
        free(head);
    }
    return o;
}

static json_t *event_json(const export_event *ev)
{
    json_t *o = json_object();
    switch (ev->kind) {
    case EV_RPC: {
        json_object_set_new(o, "type", json_string("rpc"));
        json_object_set_new(o, "step", json_integer((json_int_t)ev->step));
        json_object_set_new(o, "task", json_integer(ev->task));
        json_object_set_new(o, "thread", json_integer(ev->thread));
        json_object_set_new(o, "trap", json_boolean(ev->trap));
        json_object_set_new(o, "routine", json_string(ev->routine));
        const char *const *params = params_of(ev->routine, ev->nargs);
        json_t *args = json_array();
        for (size_t i = 0; i < ev->nargs; i++)
            json_array_append_new(args, item_json(ev->args[i].text, params ? params[i] : NULL));
        json_object_set_new(o, "args", args);
        json_object_set_new(o, "result", json_string(ev->result));
        if (all_digits(ev->result)) /* a trap that returns a name */
            json_object_set_new(o, "returned", json_integer(strtoll(ev->result, NULL, 10)));
        if (ev->answers != 0) {
            json_object_set_new(o, "answers", json_integer((json_int_t)ev->answers));
        } else {
            json_t *outs = json_array();
            for (size_t i = 0; i < ev->nouts; i++)
                json_array_append_new(outs, item_json(ev->outs[i].text, NULL));
            json_object_set_new(o, "outs", outs);
        }
        if (ev->msg_routine != NULL) {
            json_object_set_new(o, "msg_id", json_integer(ev->msg_id));
            json_object_set_new(o, "msg_routine", json_string(ev->msg_routine));
        }
        if (ev->site != NULL)
            json_object_set_new(o, "site", json_string(ev->site));
        if (ev->explain != NULL)
            json_object_set_new(o, "explain", json_string(ev->explain));
        break;
    }
    case EV_NOTE:
        json_object_set_new(o, "type", json_string("note"));
        json_object_set_new(o, "step", json_integer((json_int_t)ev->step));
        json_object_set_new(o, "text", json_string(ev->text));
        break;
    case EV_LINE:
        json_object_set_new(o, "type", json_string("line"));
        json_object_set_new(o, "text", json_string(ev->text));
        break;
    }
    json_object_set_new(o, "setup", json_boolean(ev->setup));
    return o;
}

static json_t *space_json(const run_space *sp)
{
    json_t *o = json_object(), *names = json_array(), *fds = json_array();
    json_object_set_new(o, "task", json_integer(sp->task));
    json_object_set_new(o, "total", json_integer((json_int_t)sp->total));
    json_object_set_new(o, "truncated", json_boolean(sp->n < sp->total));
    for (size_t i = 0; i < sp->n; i++) {
        const run_name *n = &sp->names[i];
        json_t *x = json_object();
        json_object_set_new(x, "name", json_integer(n->name));
        json_object_set_new(x, "rights", json_string(scn_type_name(n->type)));
        json_object_set_new(x, "urefs", json_integer(n->urefs));
        json_object_set_new(x, "port", json_integer(n->port));
        json_object_set_new(x, "denotes", json_stringn(n->denotes, strnlen(n->denotes, sizeof n->denotes)));
        json_object_set_new(x, "label", json_stringn(n->label, strnlen(n->label, sizeof n->label)));
        json_array_append_new(names, x);
    }
    json_object_set_new(o, "names", names);
    for (int i = 0; i < sp->nfds && i < RUN_MAX_FDS; i++) {
        const run_fd *f = &sp->fds[i];
        if (!f->open)
            continue;
        json_t *x = json_object();
        json_object_set_new(x, "fd", json_integer(i));
        json_object_set_new(x, "io", json_integer(f->port_name));
        json_object_set_new(x, "ctty", json_integer(f->ctty_name));
        json_object_set_new(x, "io_port", json_integer(f->port));
        json_object_set_new(x, "ctty_port", json_integer(f->ctty));
        json_object_set_new(x, "cloexec", json_boolean(f->cloexec));
        json_array_append_new(fds, x);
    }
    json_object_set_new(o, "descriptors", fds);
    return o;
}

/* RPCs of the parent and the child after the set-up, by routine in order of first call (the
 * text summary's count). */
static json_t *rpcs_json(const run_result *r, const export_events *e)
{
    json_t *by = json_object();
    json_int_t total = 0;
    for (size_t i = 0; i < e->n; i++) {
        const export_event *ev = &e->ev[i];
        if (ev->kind != EV_RPC || ev->setup || (ev->task != r->parent.task && ev->task != r->child.task))
            continue;
        json_t *c = json_object_get(by, ev->routine);
        json_object_set_new(by, ev->routine, json_integer(c != NULL ? json_integer_value(c) + 1 : 1));
        total++;
    }
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer(total));
    json_object_set_new(o, "by_routine", by);
    return o;
}

static json_t *verdict_json(const run_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "verdict", json_string(run_verdict_name(r->verdict)));
    json_object_set_new(o, "expected", json_boolean(r->expected));
    json_object_set_new(o, "invariant_violations", json_integer((json_int_t)r->invariant_violations));
    json_object_set_new(o, "leaked", json_integer((json_int_t)r->leaked));
    json_object_set_new(o, "error", json_string(r->error));
    json_object_set_new(o, "unmodelled", json_string(r->unmodelled));
    return o;
}

static json_t *strings_json(const char *base, size_t stride, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(base + i * stride));
    return a;
}

static json_t *tasks_json(const run_result *r)
{
    json_t *a = json_array();
    char buf[64];
    for (int t = 1; t < 64; t++)
        if (export_task_name(r, t, buf, sizeof buf) != NULL) {
            json_t *x = json_object();
            json_object_set_new(x, "task", json_integer(t));
            json_object_set_new(x, "name", json_string(buf));
            json_array_append_new(a, x);
        }
    return a;
}

static int dump_line(FILE *out, json_t *o)
{
    int rc = json_dumpf(o, out, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    return rc;
}

/* One object a line (jsonl): version, tasks, events, when the spaces were taken ("spaces":
 * end, stop-at or abort), names (one a line), descriptors (one a line), rpcs, findings,
 * messages, verdict. Each has "type" first. */
static int write_jsonl(FILE *out, const export_events *e, json_t *doc)
{
    int rc = 0;
    json_t *v = json_pack("{s:s, s:I}", "type", "version", "trace", (json_int_t)e->trace_version);
    rc |= dump_line(out, v);
    json_decref(v);
    json_t *tasks = json_pack("{s:s, s:O}", "type", "tasks", "tasks", json_object_get(doc, "tasks"));
    rc |= dump_line(out, tasks);
    json_decref(tasks);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(doc, "events"), i, x) rc |= dump_line(out, x);
    const char *who[2] = {"parent", "child"};
    json_t *spaces = json_object_get(doc, "spaces");
    json_t *at = json_pack("{s:s, s:O, s:O, s:O}", "type", "spaces", "at", json_object_get(spaces, "at"),
                           "parent", json_object_get(json_object_get(spaces, "parent"), "task"),
                           "child", json_object_get(json_object_get(spaces, "child"), "task"));
    rc |= dump_line(out, at);
    json_decref(at);
    for (int s = 0; s < 2; s++) {
        json_t *sp = json_object_get(spaces, who[s]);
        json_int_t task = json_integer_value(json_object_get(sp, "task"));
        json_array_foreach(json_object_get(sp, "names"), i, x) {
            json_t *l = json_pack("{s:s, s:s, s:I}", "type", "name", "process", who[s], "task", task);
            json_object_update(l, x);
            rc |= dump_line(out, l);
            json_decref(l);
        }
    }
    for (int s = 0; s < 2; s++) {
        json_t *sp = json_object_get(json_object_get(doc, "spaces"), who[s]);
        json_int_t task = json_integer_value(json_object_get(sp, "task"));
        json_array_foreach(json_object_get(sp, "descriptors"), i, x) {
            json_t *l = json_pack("{s:s, s:s, s:I}", "type", "fd", "process", who[s], "task", task);
            json_object_update(l, x);
            rc |= dump_line(out, l);
            json_decref(l);
        }
    }
    json_t *rp = json_pack("{s:s}", "type", "rpcs");
    json_object_update(rp, json_object_get(doc, "rpcs"));
    rc |= dump_line(out, rp);
    json_decref(rp);
    json_array_foreach(json_object_get(doc, "findings"), i, x) {
        json_t *l = json_pack("{s:s, s:O}", "type", "finding", "text", x);
        rc |= dump_line(out, l);
        json_decref(l);
    }
    json_array_foreach(json_object_get(doc, "messages"), i, x) {
        json_t *l = json_pack("{s:s, s:O}", "type", "message", "text", x);
        rc |= dump_line(out, l);
        json_decref(l);
    }
    json_t *vd = json_pack("{s:s}", "type", "verdict");
    json_object_update(vd, json_object_get(doc, "verdict"));
    rc |= dump_line(out, vd);
    json_decref(vd);
    return rc != 0 ? -1 : 0;
}

int export_write(FILE *out, export_format f, const scenario *s, const run_result *r, bool explain)
{
    export_events e;
    if (export_events_parse(r, &e) != 0) {
        export_events_free(&e);
        return -1;
    }
    int rc = 0;
    if (f == EXPORT_MERMAID) {
        rc = export_mermaid(out, r, &e, explain);
    } else if (f == EXPORT_DOT) {
        rc = export_dot(out, s, r);
    } else if (f == EXPORT_PERFETTO) {
        rc = export_perfetto(out, r, &e);
    } else {
        json_t *doc = json_object();
        json_object_set_new(doc, "format", json_string("forksim-run"));
        json_object_set_new(doc, "version", json_integer(1));
        json_object_set_new(doc, "trace_version", json_integer((json_int_t)e.trace_version));
        json_object_set_new(doc, "scenario", json_string(s->path));
        json_object_set_new(doc, "title", json_string(s->title));
        json_object_set_new(doc, "explain", json_boolean(explain));
        json_object_set_new(doc, "tasks", tasks_json(r));
        json_t *events = json_array();
        for (size_t i = 0; i < e.n; i++)
            json_array_append_new(events, event_json(&e.ev[i]));
        json_object_set_new(doc, "events", events);
        json_t *spaces = json_object();
        const run_space *ps = &r->parent, *cs = &r->child;
        /* a process that aborted never reached the end of its steps: the spaces as the abort
         * began (runner.c's abort_snapshot), not the empty ones */
        bool aborted = r->at_abort != NULL && !r->stopped && (!ps->taken || !cs->taken);
        if (aborted) {
            ps = ps->taken ? ps : &r->at_abort[0];
            cs = cs->taken ? cs : &r->at_abort[1];
        }
        json_object_set_new(spaces, "at", json_string(r->stopped ? "stop-at" : aborted ? "abort" : "end"));
        json_object_set_new(spaces, "parent", space_json(ps));
        json_object_set_new(spaces, "child", space_json(cs));
        json_object_set_new(doc, "spaces", spaces);
        json_object_set_new(doc, "rpcs", rpcs_json(r, &e));
        json_object_set_new(doc, "messages", strings_json(r->messages[0], sizeof r->messages[0], r->nmessages));
        json_object_set_new(doc, "messages_dropped", json_integer((json_int_t)r->messages_dropped));
        json_object_set_new(doc, "findings", strings_json(r->findings[0], sizeof r->findings[0], r->nfindings));
        json_object_set_new(doc, "verdict", verdict_json(r));
        if (f == EXPORT_JSON) {
            rc = json_dumpf(doc, out, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
            fputc('\n', out);
        } else {
            rc = write_jsonl(out, &e, doc);
        }
        json_decref(doc);
    }
    export_events_free(&e);
    return rc != 0 ? -1 : 0;
}
