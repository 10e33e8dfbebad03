/*
 * check.c: the invariant walker.
 *
 * model_check recounts every right in the world from where it is held, compares with the
 * counters the ports keep, and checks each entry's shape. It reports (up to a limit) and never
 * aborts, in the manner of SQLite's integrity check, so a failing test or a heavy-mode run can
 * print everything wrong at once with the trace that led there. No GNU Mach function stands
 * behind it: it states in code what GNU Mach keeps true by construction (D6, T2, T3, D3).
 */
#include "model_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct tally {
    port_t *port;   /* NULL: a free slot */
    unsigned send, sonce, receive_entries, receive_transit, refs;
    bool known; /* the port is in the world's list */
} tally_t;

/* The tallies. The world's ports get one each in an array indexed by serial (ip_id), as the
 * world's table holds them (checked against the tally's port, so a stale serial is harmless);
 * a port not in the world (a defect the checker reports) goes to a hash by address. Under ASan every port goes to the hash, so that a freed port is never
 * read. Both are blocks of the model's host memory (the world heap in a simulation, whose
 * pages stay between worlds). It was a uthash with one calloc per port: at 100,000 names
 * those allocations, their page faults and the chained lookups at random addresses were a
 * fifth of a world's time (issue 11, item 6). */
#if defined(__SANITIZE_ADDRESS__)
#define CHECK_BY_INDEX 0
#else
#define CHECK_BY_INDEX 1
#endif
typedef struct checker {
    world_t *world;
    tally_t *known;     /* the world's ports, by serial */
    size_t nknown;
    tally_t *slots;     /* other ports, by address */
    size_t cap, count;  /* cap a power of 2, at most half full */
    char (*diags)[MODEL_DIAG_LEN];
    size_t max, ndiags;
} checker_t;

static void report(checker_t *c, const char *fmt, ...)
{
    if (c->ndiags < c->max) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->diags[c->ndiags], MODEL_DIAG_LEN, fmt, ap);
        va_end(ap);
    }
    c->ndiags++;
}

static size_t tally_home(const checker_t *c, const port_t *port)
{
    return (size_t)(((uint64_t)(uintptr_t)port * 0x9E3779B97F4A7C15ULL) >> 32) & (c->cap - 1);
}

static tally_t *tally_slot(checker_t *c, port_t *port)
{
    size_t i = tally_home(c, port);
    while (c->slots[i].port != NULL && c->slots[i].port != port)
        i = (i + 1) & (c->cap - 1);
    return &c->slots[i];
}

static void tally_table(checker_t *c, size_t cap)
{
    c->cap = cap;
    c->slots = model_zalloc(cap * sizeof *c->slots);
}

static tally_t *tally_of(checker_t *c, port_t *port)
{
    if (CHECK_BY_INDEX) {
        uint32_t i = port->ip_id;
        if (i < c->nknown && c->known[i].port == port)
            return &c->known[i];
    }
    tally_t *t = tally_slot(c, port);
    if (t->port != NULL)
        return t;
    if (2 * (c->count + 1) > c->cap) {
        tally_t *old = c->slots;
        size_t ocap = c->cap;
        tally_table(c, 2 * ocap);
        for (size_t i = 0; i < ocap; i++)
            if (old[i].port != NULL)
                *tally_slot(c, old[i].port) = old[i];
        model_free(old);
        t = tally_slot(c, port);
    }
    t->port = port;
    c->count++;
    return t;
}

static void count_naked(checker_t *c, naked_t r, const char *where)
{
    if (!IO_VALID(r.port))
        return;
    tally_t *t = tally_of(c, r.port);
    t->refs++;
    switch (r.type) {
    case MACH_MSG_TYPE_PORT_SEND:
        t->send++;
        break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
        t->sonce++;
        break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
        t->receive_transit++;
        break;
    default:
        report(c, "%s: right to port %u has carried type %u", where, r.port->ip_id, r.type);
    }
}

static void count_kernel_send(checker_t *c, port_t *p)
{
    naked_t r = {p, MACH_MSG_TYPE_PORT_SEND};
    count_naked(c, r, "kernel slot");
}

static void count_kmsg(checker_t *c, kmsg_t *k)
{
    count_naked(c, k->ikm_remote, "message destination");
    count_naked(c, k->ikm_local, "message reply");
    for (unsigned i = 0; i < k->ikm_nrights; i++)
        count_naked(c, k->ikm_rights[i].kr_right, "message body");
}

static void count_queue(checker_t *c, kmsg_queue_t *q)
{
    for (kmsg_t *k = q->head; k != NULL; k = k->ikm_next)
        count_kmsg(c, k);
}

static void check_entry(checker_t *c, ktask_t *task, space_t *space, entry_t *e)
{
    unsigned tid = task->tk_id;
    mach_port_name_t n = e->ie_name;
    mach_port_type_t type = e->ie_type;
    if (e->ie_free) {
        if (type != 0 || e->ie_port != NULL || e->ie_pset != NULL || e->ie_request != NULL)
            report(c, "task %u name 0x%x: free-listed entry holds something", tid, n);
        return;
    }
    if (type == 0)
        return; /* a reserved entry between allocation and filling: not reachable here */
    if (n == MACH_PORT_NULL || n == MACH_PORT_DEAD)
        report(c, "task %u: reserved name 0x%x in use", tid, n);
    switch (type) {
    case MACH_PORT_TYPE_SEND:
        if (e->ie_urefs < 1 || e->ie_urefs > UREFS_SEND_MAX)
            report(c, "task %u name 0x%x: send urefs %u out of 1..65534", tid, n, e->ie_urefs);
        break;
    case MACH_PORT_TYPE_RECEIVE:
        if (e->ie_urefs != 0)
            report(c, "task %u name 0x%x: receive urefs %u, not 0", tid, n, e->ie_urefs);
        break;
    case MACH_PORT_TYPE_SEND_RECEIVE:
        if (e->ie_urefs < 1 || e->ie_urefs > UREFS_SEND_MAX)
            report(c, "task %u name 0x%x: send|receive urefs %u out of 1..65534", tid, n,
                   e->ie_urefs);
        break;
    case MACH_PORT_TYPE_SEND_ONCE:
        if (e->ie_urefs != 1)
            report(c, "task %u name 0x%x: send-once urefs %u, not 1", tid, n, e->ie_urefs);
        break;
    case MACH_PORT_TYPE_PORT_SET:
        if (e->ie_urefs != 0 || e->ie_pset == NULL)
            report(c, "task %u name 0x%x: bad port set entry", tid, n);
        break;
    case MACH_PORT_TYPE_DEAD_NAME:
        if (e->ie_urefs < 1 || e->ie_urefs > MACH_PORT_UREFS_MAX)
            report(c, "task %u name 0x%x: dead-name urefs %u out of 1..65535", tid, n,
                   e->ie_urefs);
        if (e->ie_port != NULL)
            report(c, "task %u name 0x%x: dead name holds port %u", tid, n, e->ie_port->ip_id);
        break;
    default:
        report(c, "task %u name 0x%x: impossible type 0x%x", tid, n, type);
        return;
    }
    if (!(type & MACH_PORT_TYPE_PORT_RIGHTS))
        return;
    port_t *port = e->ie_port;
    if (!IO_VALID(port)) {
        report(c, "task %u name 0x%x: port right without a port", tid, n);
        return;
    }
    tally_t *t = tally_of(c, port);
    if (type & MACH_PORT_TYPE_SEND) {
        t->send++;
        t->refs++;
    }
    if (type & MACH_PORT_TYPE_SEND_ONCE) {
        t->sonce++;
        t->refs++;
    }
    if (type & MACH_PORT_TYPE_RECEIVE) {
        t->receive_entries++;
        t->refs++;
        if (!port->ip_active)
            report(c, "task %u name 0x%x: receive right to dead port %u", tid, n, port->ip_id);
        if (port->ip_receiver != space || port->ip_receiver_name != n)
            report(c, "task %u name 0x%x: port %u does not record this receiver", tid, n,
                   port->ip_id);
    }
    if ((type & MACH_PORT_TYPE_SEND_RECEIVE) && port->ip_active) {
        entry_t *r = space_reverse(space, port);
        if (r != e)
            report(c, "task %u name 0x%x: reverse map for port %u gives 0x%x", tid, n,
                   port->ip_id, r != NULL ? r->ie_name : 0);
    }
    if (e->ie_request != NULL) {
        dnreq_t *req = e->ie_request;
        if (req->dr_port != NULL &&
            (req->dr_port != port || req->dr_space != space || req->dr_name != n))
            report(c, "task %u name 0x%x: dead-name request registered for another name", tid, n);
        if (req->dr_port == NULL && port->ip_active)
            report(c, "task %u name 0x%x: fired request on a live port", tid, n);
    }
}

struct walk {
    checker_t *c;
    ktask_t *task;
    space_t *space;
};

static void check_one(entry_t *e, void *arg)
{
    struct walk *w = arg;
    check_entry(w->c, w->task, w->space, e);
    if (e->ie_type & MACH_PORT_TYPE_PORT_SET)
        count_queue(w->c, &e->ie_pset->ips_messages);
}

size_t model_check(world_t *world, char (*diags)[MODEL_DIAG_LEN], size_t max)
{
    checker_t c = {.world = world, .diags = diags, .max = max};
    size_t cap = 64, nports = 0;
    WORLD_FOR_PORTS(world, p)
        nports++;
    while (!CHECK_BY_INDEX && cap < 2 * nports + 64)
        cap *= 2;
    tally_table(&c, cap);
    if (CHECK_BY_INDEX) {
        /* by serial: the world's table holds each port at its ip_id */
        c.nknown = world->w_port_by_id_cap < world->w_next_port_id ? world->w_port_by_id_cap
                                                                   : world->w_next_port_id;
        c.known = model_zalloc((c.nknown ? c.nknown : 1) * sizeof *c.known);
        WORLD_FOR_PORTS(world, p) {
            c.known[p_i].port = p;
            c.known[p_i].known = true;
        }
    } else {
        WORLD_FOR_PORTS(world, p)
            tally_of(&c, p)->known = true;
    }

    count_kernel_send(&c, world->w_new_task_notify); /* NT1 */
    if (world->w_host_priv != NULL) {
        tally_t *t = tally_of(&c, world->w_host_priv);
        t->refs++;
        t->receive_entries++; /* kernel-held */
    }
    for (ktask_t *task = world->w_tasks; task != NULL; task = task->tk_next) {
        count_kernel_send(&c, task->tk_sself);
        count_kernel_send(&c, task->tk_exception);
        count_kernel_send(&c, task->tk_bootstrap);
        count_kernel_send(&c, task->tk_notify);
        for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++)
            count_kernel_send(&c, task->tk_registered[i]);
        if (task->tk_self != NULL) {
            tally_t *t = tally_of(&c, task->tk_self);
            t->refs++;
            t->receive_entries++; /* kernel-held */
        }
        for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next) {
            count_kernel_send(&c, th->th_sself);
            count_kernel_send(&c, th->th_exception);
            if (th->th_self != NULL) {
                tally_t *t = tally_of(&c, th->th_self);
                t->refs++;
                t->receive_entries++;
            }
            if (th->th_send_kmsg != NULL)
                count_kmsg(&c, th->th_send_kmsg);
            if (th->th_handoff != NULL)
                count_kmsg(&c, th->th_handoff);
        }
        space_t *space = task->tk_space;
        if (space == NULL)
            continue;
        struct walk w = {&c, task, space};
        space_walk(space, false, check_one, &w);
        entry_t **all, *e;
        size_t nall = space_rev_entries(space, &all);
        for (size_t i = 0; i < nall; i++) {
            e = all[i];
            if (!(e->ie_type & MACH_PORT_TYPE_SEND_RECEIVE))
                report(&c, "task %u name 0x%x: in the reverse map without send or receive",
                       task->tk_id, e->ie_name);
        }
        free(all);
    }
    WORLD_FOR_PORTS(world, p) {
        count_queue(&c, &p->ip_messages);
        naked_t ns = {p->ip_nsrequest, MACH_MSG_TYPE_PORT_SEND_ONCE};
        naked_t pd = {p->ip_pdrequest, MACH_MSG_TYPE_PORT_SEND_ONCE};
        count_naked(&c, ns, "no-senders request");
        count_naked(&c, pd, "port-destroyed request");
        for (dnreq_t *r = p->ip_dnrequests; r != NULL; r = r->dr_next) {
            naked_t dn = {r->dr_notify, MACH_MSG_TYPE_PORT_SEND_ONCE};
            count_naked(&c, dn, "dead-name request");
        }
    }

    WORLD_FOR_PORTS(world, p) {
        tally_t *t = tally_of(&c, p);
        if (p->ip_active) {
            if (p->ip_srights != t->send + p->ip_leaked_srights)
                report(&c, "port %u: srights %u but %u send rights held", p->ip_id, p->ip_srights,
                       t->send + p->ip_leaked_srights);
            if (p->ip_sorights != t->sonce)
                report(&c, "port %u: sorights %u but %u send-once rights held", p->ip_id,
                       p->ip_sorights, t->sonce);
            unsigned places = t->receive_entries + t->receive_transit;
            if (places != 1)
                report(&c, "port %u: receive right in %u places", p->ip_id, places);
            if (t->receive_transit == 1 && (p->ip_receiver != NULL || p->ip_kernel))
                report(&c, "port %u: in transit but records a receiver", p->ip_id);
            if (p->ip_references != t->refs + p->ip_leaked_srights)
                report(&c, "port %u: %u references but %u holders", p->ip_id, p->ip_references,
                       t->refs + p->ip_leaked_srights);
        } else {
            if (t->receive_entries + t->receive_transit != 0)
                report(&c, "port %u: dead but a receive right to it exists", p->ip_id);
            if (p->ip_references != t->refs)
                report(&c, "port %u (dead): %u references but %u holders", p->ip_id,
                       p->ip_references, t->refs);
            if (p->ip_references == 0)
                report(&c, "port %u (dead): kept with no reference", p->ip_id);
        }
    }
    for (size_t i = 0; i < c.cap; i++)
        if (c.slots[i].port != NULL && !c.slots[i].known)
            report(&c, "a right names a port that is not in the world (freed?)");
    model_free(c.slots);
    model_free(c.known);
    return c.ndiags;
}
