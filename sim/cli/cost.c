/*
 * cost.c: what a run costs, call by call (issue 13, item 2): rules CO1-CO4 of
 * docs/cost-rules.md, counted by an RPC observer and the model's counts, printed as tables or
 * as JSON lines.
 *
 * Each call (one trace line of a task, "trap" or not) is counted once, as it ends, under its
 * routine, under the server that handles it and under the task that made it: a client's
 * proc_task2pid is a proc RPC of the parent, and the proc server's receive, its reply and the
 * kernel calls it makes meanwhile are kernel calls of proc. So both sides of an RPC count, each
 * under its own caller. The rights made and destroyed, and the messages the kernel sends by
 * itself (notifications), are the model's counts' change since the previous call ended,
 * charged to the call that ends next (CO3).
 *
 * task_create's mach_notify_new_task (id 4400, rule NT2) is such a kernel message, to proc: it
 * counts among the notifications (the model's notifications count, which new_task_notify
 * raises), not as a call or an RPC of the task_create's caller (its task_create stays one trap)
 * nor of proc; proc's receive of it and the calls it makes to handle it (S_mach_notify_new_task:
 * mach_port_mod_refs, the new entry's port, two mach_port_deallocate) are proc's own kernel
 * calls, counted under proc as caller like its handling of any request.
 */
#include "cost.h"

#include "kern.h"
#include "sim.h"

#include <jansson.h>
#include <string.h>

static const char *const server_names[COST_NSERVERS] = {
    "kernel", "proc", "auth", "fs", "term", "exec", "msg", "other",
};

const char *cost_server_name(cost_server s)
{
    return s < COST_NSERVERS ? server_names[s] : "?";
}

/* CO1: a routine's interface by its prefix, as the Hurd's .defs files name their routines
 * (hurd/process.defs proc_, auth.defs auth_, io.defs io_, fs.defs file_ and dir_, fsys.defs
 * fsys_, term.defs term_, exec.defs exec_, msg.defs msg_); GNU Mach's own interfaces (mach.defs,
 * mach_port.defs, gnumach.defs, the traps) are the kernel's. */
cost_server cost_server_of(const char *routine)
{
    static const struct {
        const char *prefix;
        cost_server server;
    } t[] = {
        {"proc_", COST_PROC}, {"auth_", COST_AUTH},   {"io_", COST_FS},     {"file_", COST_FS},
        {"dir_", COST_FS},    {"fsys_", COST_FS},     {"fs_", COST_FS},     {"term_", COST_TERM},
        {"tioctl_", COST_TERM}, {"exec_", COST_EXEC}, {"msg_", COST_MSG},
        {"interrupt_operation", COST_OTHER},
        /* exc.defs: a fault's exception_raise goes to the task's exception port, which glibc's
         * _hurdsig_init makes its message port (hurdsig.c: TASK_EXCEPTION_PORT, _hurd_msgport),
         * served by the signal thread */
        {"exception_raise", COST_MSG},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strncmp(routine, t[i].prefix, strlen(t[i].prefix)) == 0)
            return t[i].server;
    return COST_KERNEL;
}

/* A MACH_SEND_* code: the message was not sent (MACH_SEND_TIMED_OUT too: M4 pseudo-receives
 * it). The MACH_RCV_* codes are 0x10004000 and up. */
static bool send_failed(kern_return_t kr)
{
    return kr != 0 && ((uint32_t)kr & 0xffffc000u) == 0x10000000u;
}

/* CO1: the messages one call sends. */
static uint64_t call_messages(const kern_rpc_note *n, cost_server server)
{
    if (n->trap && !n->fallback) {
        /* A system call sends nothing but mach_msg's send phase ("SEND" opens its options in
         * the trace, before "|RCV"). */
        if (strcmp(n->routine, "mach_msg") != 0)
            return 0;
        return strncmp(n->args, "SEND", 4) == 0 && !send_failed(n->kr) ? 1 : 0;
    }
    if (send_failed(n->kr))
        return 0;
    if (server != COST_KERNEL)
        return 1;   /* the request; the server's reply is its own mach_msg's */
    /* a kernel RPC: the request, and the kernel's reply unless a fault lost it (M12) */
    return n->fault == KF_REPLY_LOST ? 1 : 2;
}


static void counts_add(cost_counts *to, const cost_counts *d)
{
    to->calls += d->calls;
    to->traps += d->traps;
    to->rpcs += d->rpcs;
    to->messages += d->messages;
    to->made += d->made;
    to->destroyed += d->destroyed;
    to->ms += d->ms;
}

static uint64_t sum3(const uint64_t *a)
{
    uint64_t s = 0;
    for (int k = 0; k < WORLD_RIGHT_KINDS; k++)
        s += a[k];
    return s;
}

static void observe(const kern_rpc_note *n, void *arg)
{
    cost_report *c = arg;
    world_counts_t now;
    world_get_counts(kern_world(), &now);
    if (!c->all && !run_steps_begun()) {
        c->last = now;
        c->clock_start = sim_now();
        return;
    }
    if (!c->started) {
        c->started = true;
        c->start = c->last;
        c->first_step = n->step;
    }
    c->last_step = n->step;
    cost_server server = cost_server_of(n->routine);
    cost_counts d = {0};
    d.traps = n->trap || n->fallback ? 1 : 0;
    d.rpcs = n->trap ? 0 : 1;
    d.calls = d.traps + d.rpcs;
    d.messages = call_messages(n, server);
    d.made = sum3(now.made) - sum3(c->last.made);
    d.destroyed = sum3(now.destroyed) - sum3(c->last.destroyed);
    d.ms = n->ms;
    c->last = now;
    size_t i = 0;
    while (i < c->nroutines && c->routines[i].routine != n->routine &&
           strcmp(c->routines[i].routine, n->routine) != 0)
        i++;
    if (i == c->nroutines) {
        if (c->nroutines == COST_MAX_ROUTINES)
            i = COST_MAX_ROUTINES - 1;  /* never seen: the stubs have fewer routines */
        else {
            c->nroutines++;
            c->routines[i].routine = n->routine;
            c->routines[i].server = server;
        }
    }
    counts_add(&c->routines[i].c, &d);
    counts_add(&c->servers[server], &d);
    if (n->task >= 0 && n->task < COST_MAX_TASKS)
        counts_add(&c->callers[n->task][server], &d);
    counts_add(&c->total, &d);
}

void cost_start(cost_report *c, bool all)
{
    memset(c, 0, sizeof *c);
    c->all = all;
    kern_set_rpc_observer(observe, c);
}

void cost_stop(void *arg)
{
    cost_report *c = arg;
    world_t *w = kern_world();
    kern_set_rpc_observer(NULL, NULL);
    if (w == NULL)
        return;
    world_get_counts(w, &c->end);
    if (!c->started) {
        c->start = c->all ? (world_counts_t){0} : c->last;
        c->last = c->start;
    }
    c->clock_end = sim_now();
    c->tail.made = sum3(c->end.made) - sum3(c->last.made);
    c->tail.destroyed = sum3(c->end.destroyed) - sum3(c->last.destroyed);
    /* The rights alive now, from each port's own counters (CO3's check): a receive right is a
     * live port; the send and send-once rights are its ip_srights and ip_sorights. */
    memset(c->live_end, 0, sizeof c->live_end);
    for (uint32_t id = 1;; id++) {
        port_info_t pi;
        if (!port_peek(w, id, &pi)) {
            /* serials are never reused; a freed port is not found: look a little further */
            bool more = false;
            for (uint32_t j = id + 1; j < id + 4096 && !more; j++)
                more = port_peek(w, j, &pi);
            if (!more)
                break;
            continue;
        }
        c->live_end[WORLD_RIGHT_RECEIVE] += pi.active ? 1 : 0;
        c->live_end[WORLD_RIGHT_SEND] += pi.srights;
        c->live_end[WORLD_RIGHT_SEND_ONCE] += pi.sorights;
    }
}

int cost_run(const scenario *s, bool all, cost_report *c, run_result *r)
{
    cost_start(c, all);
    snprintf(c->path, sizeof c->path, "%s", s->path);
    run_options o = {0};
    o.after_run = cost_stop;
    o.after_run_arg = c;
    int rc = run_scenario(s, &o, r);
    kern_set_rpc_observer(NULL, NULL);
    snprintf(c->legend, sizeof c->legend, "%s", r->legend);
    return rc;
}

void cost_caller_name(const cost_report *c, int task, char *buf, size_t len)
{
    char key[16];
    snprintf(key, sizeof key, "t%d ", task);
    const char *p = c->legend;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, strlen(key)) == 0) {
            size_t n = strcspn(p, ",");
            snprintf(buf, len, "%.*s", (int)n, p);
            return;
        }
        p = strchr(p, ',');
        if (p != NULL)
            p += strspn(p, ", ");
    }
    snprintf(buf, len, "t%d", task);
}

/* --- output ---------------------------------------------------------------------------------- */

static const char *const kind_names[WORLD_RIGHT_KINDS] = {"receive", "send", "send-once"};

static void row_text(FILE *out, const char *name, const char *server, const cost_counts *x)
{
    fprintf(out, "  %-32s %-7s %7llu %7llu %7llu %8llu %7llu %9llu %6llu\n", name, server,
            (unsigned long long)x->calls, (unsigned long long)x->traps,
            (unsigned long long)x->rpcs, (unsigned long long)x->messages,
            (unsigned long long)x->made, (unsigned long long)x->destroyed,
            (unsigned long long)x->ms);
}

static void header_text(FILE *out, const char *first)
{
    fprintf(out, "  %-32s %-7s %7s %7s %7s %8s %7s %9s %6s\n", first, "server", "calls", "traps",
            "rpcs", "messages", "made", "destroyed", "ms");
}

/* Routines by calls, most first; ties by name. */
static int routine_cmp(const void *a, const void *b)
{
    const cost_routine *x = a, *y = b;
    if (x->c.calls != y->c.calls)
        return x->c.calls < y->c.calls ? 1 : -1;
    return strcmp(x->routine, y->routine);
}

void cost_print_text(FILE *out, const cost_report *c)
{
    fprintf(out, "forksim-cost 1\n");
    fprintf(out, "scenario: %s\n", c->path);
    if (c->all)
        fprintf(out, "counted: every call from the boot (trace steps %llu-%llu)\n",
                (unsigned long long)c->first_step, (unsigned long long)c->last_step);
    else
        fprintf(out, "counted: the scenario's steps (trace steps %llu-%llu); --all counts the boot "
                     "and set-up too\n",
                (unsigned long long)c->first_step, (unsigned long long)c->last_step);
    fprintf(out, "tasks: %s\n", c->legend);
    fprintf(out, "time: %llu ms on the virtual clock (from %llu to %llu ms); a call costs 0 ms "
                 "in it, its ms is the clock's move while it waited on a timeout (CO2)\n",
            (unsigned long long)(c->clock_end - c->clock_start),
            (unsigned long long)c->clock_start, (unsigned long long)c->clock_end);
    uint64_t notes = c->end.notifications - c->start.notifications;
    fprintf(out, "messages: %llu, %llu by the calls (CO1) and %llu notifications the kernel sent\n",
            (unsigned long long)(c->total.messages + notes), (unsigned long long)c->total.messages,
            (unsigned long long)notes);
    fprintf(out, "rights made:");
    for (int k = 0; k < WORLD_RIGHT_KINDS; k++)
        fprintf(out, " %s %llu", kind_names[k],
                (unsigned long long)(c->end.made[k] - c->start.made[k]));
    fprintf(out, "; destroyed:");
    for (int k = 0; k < WORLD_RIGHT_KINDS; k++)
        fprintf(out, " %s %llu", kind_names[k],
                (unsigned long long)(c->end.destroyed[k] - c->start.destroyed[k]));
    fprintf(out, " (CO3)\n\nby routine\n");
    header_text(out, "routine");
    cost_routine sorted[COST_MAX_ROUTINES];
    memcpy(sorted, c->routines, c->nroutines * sizeof sorted[0]);
    qsort(sorted, c->nroutines, sizeof sorted[0], routine_cmp);
    for (size_t i = 0; i < c->nroutines; i++)
        row_text(out, sorted[i].routine, cost_server_name(sorted[i].server), &sorted[i].c);
    if (c->tail.made != 0 || c->tail.destroyed != 0)
        row_text(out, "(after the last call)", "", &c->tail);
    row_text(out, "total", "", &c->total);
    fprintf(out, "\nby server (the one that handles the call)\n");
    header_text(out, "server");
    for (int s = 0; s < COST_NSERVERS; s++)
        if (c->servers[s].calls != 0)
            row_text(out, cost_server_name((cost_server)s), "", &c->servers[s]);
    fprintf(out, "\nby caller (both sides: a server's own calls count under the server)\n");
    header_text(out, "caller");
    for (int t = 0; t < COST_MAX_TASKS; t++)
        for (int s = 0; s < COST_NSERVERS; s++)
            if (c->callers[t][s].calls != 0) {
                char name[64];
                cost_caller_name(c, t, name, sizeof name);
                row_text(out, name, cost_server_name((cost_server)s), &c->callers[t][s]);
            }
}

static json_t *counts_json(const char *type, const char *key, const char *name, const char *server,
                           const cost_counts *x)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    if (key != NULL)
        json_object_set_new(o, key, json_string(name));
    if (server != NULL)
        json_object_set_new(o, "server", json_string(server));
    json_object_set_new(o, "calls", json_integer((json_int_t)x->calls));
    json_object_set_new(o, "traps", json_integer((json_int_t)x->traps));
    json_object_set_new(o, "rpcs", json_integer((json_int_t)x->rpcs));
    json_object_set_new(o, "messages", json_integer((json_int_t)x->messages));
    json_object_set_new(o, "made", json_integer((json_int_t)x->made));
    json_object_set_new(o, "destroyed", json_integer((json_int_t)x->destroyed));
    json_object_set_new(o, "ms", json_integer((json_int_t)x->ms));
    return o;
}

static int line_json(FILE *out, json_t *o)
{
    int rc = json_dumpf(o, out, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    fputc('\n', out);
    return rc;
}

static json_t *kinds_json(const uint64_t *end, const uint64_t *start)
{
    json_t *o = json_object();
    for (int k = 0; k < WORLD_RIGHT_KINDS; k++)
        json_object_set_new(o, kind_names[k], json_integer((json_int_t)(end[k] - start[k])));
    return o;
}

int cost_print_jsonl(FILE *out, const cost_report *c)
{
    int rc = 0;
    json_t *o = json_object();
    uint64_t notes = c->end.notifications - c->start.notifications;
    json_object_set_new(o, "type", json_string("cost"));
    json_object_set_new(o, "scenario", json_string(c->path));
    json_object_set_new(o, "counted", json_string(c->all ? "all" : "steps"));
    json_object_set_new(o, "first_step", json_integer((json_int_t)c->first_step));
    json_object_set_new(o, "last_step", json_integer((json_int_t)c->last_step));
    json_object_set_new(o, "clock_ms", json_integer((json_int_t)(c->clock_end - c->clock_start)));
    json_object_set_new(o, "messages", json_integer((json_int_t)(c->total.messages + notes)));
    json_object_set_new(o, "notifications", json_integer((json_int_t)notes));
    json_object_set_new(o, "kmsgs", json_integer((json_int_t)(c->end.kmsgs - c->start.kmsgs)));
    json_object_set_new(o, "made", kinds_json(c->end.made, c->start.made));
    json_object_set_new(o, "destroyed", kinds_json(c->end.destroyed, c->start.destroyed));
    rc |= line_json(out, o);
    for (size_t i = 0; i < c->nroutines; i++)
        rc |= line_json(out, counts_json("routine", "routine", c->routines[i].routine,
                                         cost_server_name(c->routines[i].server), &c->routines[i].c));
    for (int s = 0; s < COST_NSERVERS; s++)
        if (c->servers[s].calls != 0)
            rc |= line_json(out, counts_json("server", "server", cost_server_name((cost_server)s),
                                             NULL, &c->servers[s]));
    for (int t = 0; t < COST_MAX_TASKS; t++)
        for (int s = 0; s < COST_NSERVERS; s++)
            if (c->callers[t][s].calls != 0) {
                char name[64];
                cost_caller_name(c, t, name, sizeof name);
                json_t *x = counts_json("caller", "caller", name, cost_server_name((cost_server)s),
                                        &c->callers[t][s]);
                json_object_set_new(x, "task", json_integer(t));
                rc |= line_json(out, x);
            }
    rc |= line_json(out, counts_json("total", NULL, NULL, NULL, &c->total));
    return rc;
}
