/*
 * schedules.c: the race explorer's engine (schedules.h): a sim_policy that walks the tree of
 * schedules of a deterministic program, one run per leaf.
 *
 * The tree. After the program's set-up (sx_program.live), every scheduling point is a node;
 * its alternatives are the runnable threads and the events not yet placed as often as allowed.
 * A run follows the choices of the path kept from the previous run as far as it goes, then
 * takes each new node's first alternative: the thread that ran last if it can go on, else the
 * lowest runnable id (the run-until-block order, forksim's reference run), so the first run is
 * the reference run. After a run, the deepest node with an alternative left takes it and the
 * path below it is dropped (stateless depth-first search, as CHESS and loom do it): the program
 * is deterministic, so the same choices lead to the same node. Each leaf is run once.
 *
 * Preemption bounding (CHESS). Taking a thread other than the one that ran last, while that one
 * could go on, is a preemption; an event is none. With --bound K, an alternative that would make
 * K+1 is not taken. Schedules are counted by their preemptions.
 *
 * Pruning: sleep sets (Godefroid). Each step notes what it touched (sim_touch: its own task,
 * and what the kernel glue reaches: other tasks through their task and thread ports, ports by
 * name lookups and queued messages; sim/kern/kern.c and the model's touch hook). Two steps that
 * touched nothing in common commute: running them in either order leaves the same state. When
 * the search moves to alternative u at a node, the alternatives explored there before u, and the
 * node's own sleepers, go to sleep in u's subtree while the steps taken touch nothing they
 * touched: whatever their subtree holds, it explored. A sleeping alternative is not taken; a run
 * that reaches a point where every runnable thread sleeps is redundant and is not counted. Steps
 * of one task are never independent (their task is in both footprints). With a bound, the twin
 * explored (x first, then u and the rest) may need more preemptions than the schedule pruned (u,
 * ..., x): x's own cost at the node, plus one if its thread could go on after its step (the
 * switch to u is then a preemption), minus u's cost; the rest of the two schedules costs the same
 * or less in the twin. So x sleeps below u only when that difference is not positive; events
 * cost nothing and leave the last thread as it was (the tests compare outcomes with and without
 * pruning, bounded and not).
 *
 * PCT (Burckhardt et al., ASPLOS 2010). With bug depth D: a first run measures n (threads seen
 * after the set-up) and k (live steps); then each run gives the threads random distinct
 * priorities from D up as they appear, draws D-1 change points among steps 1..k, and always runs
 * the highest-priority runnable thread; at change point i the thread that ran last drops to
 * priority i. Each run finds a given bug of depth D with probability at least 1/(n k^(D-1)).
 *
 * Shards. Shard I of N explores the same tree, up to the first S branching nodes of a path (S =
 * ceil(log2 N) + 2); a path that reaches S branching nodes continues only where a hash of its
 * choices so far says I, else it stops there (one run per foreign subtree). Sleep sets are those
 * of the whole search, since every shard visits the nodes above the split in the same order:
 * the union of the shards' leaves is the single search's. Counts of nodes above the split
 * (pruned alternatives there) are shard 0's.
 */
#include "schedules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- footprints -------------------------------------------------------------------------------- */

typedef struct fp {
    uint64_t *v;
    size_t n;
    bool all;           /* unknown: depends on everything */
} fp;

static fp fp_copy(const fp *f)
{
    fp c = {NULL, f->n, f->all};
    if (f->n != 0) {
        c.v = malloc(f->n * sizeof *c.v);
        memcpy(c.v, f->v, f->n * sizeof *c.v);
    }
    return c;
}

static fp fp_of_step(void)
{
    const uint64_t *objs;
    size_t n = sim_step_touched(&objs);
    fp f = {NULL, n, false};
    for (size_t i = 0; i < n; i++)
        f.all |= objs[i] == SIM_OBJ_GLOBAL;
    if (n != 0) {
        f.v = malloc(n * sizeof *f.v);
        memcpy(f.v, objs, n * sizeof *f.v);
    }
    return f;
}

static bool fp_independent(const fp *a, const fp *b)
{
    if (a->all || b->all)
        return false;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++)
            if (a->v[i] == b->v[j])
                return false;
    return true;
}

/* --- the tree ---------------------------------------------------------------------------------- */

typedef struct sleeper {
    int id;             /* a thread (> 0) or an event -(e + 1) */
    fp f;
    unsigned cost;      /* done alternatives: the preemption it cost at its node */
    bool cont;          /* done alternatives: its thread could go on after that step */
} sleeper;

typedef struct node {
    int *alts;          /* in the order explored: the first (the reference pick), then the rest */
    bool *tried, *asleep;
    size_t nalts, cur;
    int prev;           /* the thread that ran last */
    bool prev_runnable;
    int woken;          /* a thread the event just placed made runnable: its step is the
                         * event's own, no preemption (0: none) */
    unsigned pre;       /* preemptions on the path before this node */
    unsigned branch_before; /* branching nodes on the path before this one */
    unsigned rank;      /* alternatives taken here so far, minus one: the order key's digit */
    sleeper *sleep, *done;
    size_t nsleep, ndone;
    fp taken;           /* what alts[cur]'s step touched (taken_known) */
    bool taken_known;
    bool taken_cont;    /* alts[cur]'s thread could run again at the next point */
    unsigned fired[SX_MAX_EVENTS]; /* events placed on the path before this node */
} node;

typedef struct xstate {
    const sx_program *prog;
    const sx_options *o;
    node *nodes;
    size_t n, cap;
    /* this run */
    size_t depth;
    long pending;       /* the node whose step ran last (its footprint comes at the next point) */
    bool off;           /* past a redundant point or into another shard's part: no more nodes */
    bool blocked, foreign, owned, diverged;
    unsigned pre, nev;
    unsigned fired[SX_MAX_EVENTS];
    int decided;        /* the event hook's answer for this point, for pick */
    bool have_decided;
    int *ev_cands;      /* the runnable threads when an event was placed at this point */
    size_t nev_cands;
    int woken_hint;     /* the thread the event gives work to (sim_event_wakes) */
    bool after_event;
    unsigned split;     /* shards: the branching node count where a path is assigned */
    /* PCT */
    bool pct;
    uint64_t rng;
    uint64_t live_steps;
    int *prio_id;
    uint64_t *prio;
    size_t nprio, prio_cap;
    uint64_t change[64];
    unsigned nchange;
    uint64_t event_at[SX_MAX_EVENTS];
    /* calibration (PCT's first run) */
    int *seen;
    size_t nseen, seen_cap;
} xstate;

static void sleepers_free(sleeper *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].f.v);
    free(s);
}

static void node_free(node *nd)
{
    free(nd->alts);
    free(nd->tried);
    free(nd->asleep);
    sleepers_free(nd->sleep, nd->nsleep);
    sleepers_free(nd->done, nd->ndone);
    free(nd->taken.v);
    memset(nd, 0, sizeof *nd);
}

static bool in_cands(const sim_choice *c, int id)
{
    for (size_t i = 0; i < c->ncands; i++)
        if (c->cands[i] == id)
            return true;
    return false;
}

/* The run-until-block pick among the threads not asleep: the last one if it can go on, else the
 * lowest id. 0 when every runnable thread sleeps. */
static int reference_pick(const sim_choice *c, const node *nd)
{
    bool prev_ok = c->prev != 0 && in_cands(c, c->prev);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->ncands; i++) {
            int id = pass == 0 ? (prev_ok ? c->prev : 0) : c->cands[i];
            if (id == 0)
                break;
            bool asleep = false;
            for (size_t s = 0; nd != NULL && s < nd->nalts; s++)
                if (nd->alts[s] == id)
                    asleep = nd->asleep[s];
            if (!asleep)
                return id;
            if (pass == 0)
                break;
        }
    return 0;
}

static unsigned cost_of(const node *nd, int id)
{
    return id > 0 && nd->prev_runnable && id != nd->prev && id != nd->woken ? 1u : 0u;
}

static bool within_bound(const xstate *x, const node *nd, int id)
{
    return x->o->bound == SX_UNBOUNDED || nd->pre + cost_of(nd, id) <= x->o->bound;
}

/* Alternatives a node offers the search: awake and within the bound. */
static size_t node_open_alts(const xstate *x, const node *nd)
{
    size_t k = 0;
    for (size_t i = 0; i < nd->nalts; i++)
        k += !nd->asleep[i] && within_bound(x, nd, nd->alts[i]);
    return k;
}

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xbf58476d1ce4e5b9ULL;
}

/* The shard a path belongs to: a hash of the choices at its first `split` branching nodes (all
 * of them when it has fewer), taken over the first depth nodes. */
static uint64_t path_hash(const xstate *x, size_t depth)
{
    uint64_t h = 1469598103934665603ULL;
    unsigned b = 0;
    for (size_t k = 0; k < depth && b < x->split; k++)
        if (node_open_alts(x, &x->nodes[k]) >= 2) {
            h = hash_mix(h, x->nodes[k].rank);
            b++;
        }
    return h;
}

static unsigned path_branches(const xstate *x, size_t depth)
{
    unsigned b = 0;
    for (size_t k = 0; k < depth; k++)
        b += node_open_alts(x, &x->nodes[k]) >= 2;
    return b;
}

/* Whether alternative s, explored at p before `taken`, may sleep below it under the bound. The
 * twin explored (s first) costs at most s's cost, plus one when s's thread could go on, minus
 * taken's, more than the schedule pruned. When taken is an event the last thread stays the one
 * before it: s being that thread costs nothing more (the step after the event is then priced
 * alike in both). */
static bool may_sleep(const xstate *x, const node *p, const sleeper *s, int taken)
{
    if (x->o->bound == SX_UNBOUNDED)
        return true;
    if (taken < 0)
        return (s->id == p->prev && p->prev_runnable) || s->cost + s->cont == 0;
    return s->cost + s->cont <= cost_of(p, taken);
}

/* A new node at x->depth for choice c (the parent's footprint is known by now). */
static node *node_new(xstate *x, const sim_choice *c)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        x->nodes = realloc(x->nodes, x->cap * sizeof *x->nodes);
    }
    node *nd = &x->nodes[x->n++];
    memset(nd, 0, sizeof *nd);
    nd->prev = c->prev;
    nd->prev_runnable = c->prev != 0 && in_cands(c, c->prev);
    if (x->after_event && x->woken_hint != 0 && in_cands(c, x->woken_hint))
        nd->woken = x->woken_hint;
    if (x->after_event)
        for (size_t i = 0; i < c->ncands && nd->woken == 0; i++) {
            bool before = false;
            for (size_t k = 0; k < x->nev_cands; k++)
                before |= x->ev_cands[k] == c->cands[i];
            if (!before)
                nd->woken = c->cands[i];
        }
    x->after_event = false;
    nd->pre = x->pre;
    memcpy(nd->fired, x->fired, sizeof nd->fired);
    size_t max = c->ncands + x->prog->nevents;
    nd->alts = malloc(max * sizeof *nd->alts);
    nd->tried = calloc(max, sizeof *nd->tried);
    nd->asleep = calloc(max, sizeof *nd->asleep);
    for (size_t i = 0; i < c->ncands; i++)
        nd->alts[nd->nalts++] = c->cands[i];
    for (unsigned e = 0; e < x->prog->nevents; e++)
        if (x->fired[e] < x->prog->times[e])
            nd->alts[nd->nalts++] = -(int)(e + 1);
    /* sleepers: the parent's sleepers and explored alternatives, while independent of the step
     * the parent took */
    if (x->o->prune && nd != x->nodes) {
        const node *p = nd - 1;
        int taken = p->alts[p->cur];
        const sleeper *lists[2] = {p->sleep, p->done};
        size_t counts[2] = {p->nsleep, p->ndone};
        nd->sleep = malloc((p->nsleep + p->ndone + 1) * sizeof *nd->sleep);
        for (int l = 0; l < 2; l++)
            for (size_t i = 0; i < counts[l]; i++) {
                const sleeper *s = &lists[l][i];
                if (s->id == taken || !p->taken_known || !fp_independent(&s->f, &p->taken))
                    continue;
                /* with a bound, x explored before u sleeps below u only when x first costs no
                 * more preemptions than u first: its cost, plus one when its thread could go on
                 * (switching to u after it is then a preemption), against u's (events cost
                 * none and keep the last thread as it was) */
                if (l == 1 && !may_sleep(x, p, s, taken))
                    continue;
                nd->sleep[nd->nsleep] = *s;
                nd->sleep[nd->nsleep++].f = fp_copy(&s->f);
            }
        for (size_t i = 0; i < nd->nalts; i++)
            for (size_t s = 0; s < nd->nsleep; s++)
                if (nd->sleep[s].id == nd->alts[i])
                    nd->asleep[i] = true;
    }
    return nd;
}

/* Puts the reference pick first among the alternatives (the order explored). */
static void node_order(node *nd, int first)
{
    for (size_t i = 0; i < nd->nalts; i++)
        if (nd->alts[i] == first) {
            bool a = nd->asleep[i];
            memmove(nd->alts + 1, nd->alts, i * sizeof *nd->alts);
            memmove(nd->asleep + 1, nd->asleep, i * sizeof *nd->asleep);
            nd->alts[0] = first;
            nd->asleep[0] = a;
            return;
        }
}

static void record_pending(xstate *x, const sim_choice *c)
{
    if (x->pending < 0)
        return;
    node *nd = &x->nodes[x->pending];
    free(nd->taken.v);
    nd->taken = fp_of_step();
    nd->taken_known = true;
    nd->taken_cont = nd->alts[nd->cur] > 0 && in_cands(c, nd->alts[nd->cur]);
    x->pending = -1;
}

/* --- PCT ----------------------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t *prio_of(xstate *x, int id)
{
    for (size_t i = 0; i < x->nprio; i++)
        if (x->prio_id[i] == id)
            return &x->prio[i];
    if (x->nprio == x->prio_cap) {
        x->prio_cap = x->prio_cap ? 2 * x->prio_cap : 16;
        x->prio_id = realloc(x->prio_id, x->prio_cap * sizeof *x->prio_id);
        x->prio = realloc(x->prio, x->prio_cap * sizeof *x->prio);
    }
    /* a random priority above every change point's (D-1 of them): distinct by the low bits */
    x->prio_id[x->nprio] = id;
    x->prio[x->nprio] = ((rng_next(&x->rng) >> 16) << 16 | (uint64_t)x->nprio) + 64;
    return &x->prio[x->nprio++];
}

static int pct_pick(xstate *x, const sim_choice *c)
{
    x->live_steps++;
    for (unsigned i = 0; i < x->nchange; i++)
        if (x->change[i] == x->live_steps && c->prev != 0)
            *prio_of(x, c->prev) = i + 1;     /* below every initial priority */
    int best = c->cands[0];
    uint64_t bp = 0;
    for (size_t i = 0; i < c->ncands; i++) {
        uint64_t p = *prio_of(x, c->cands[i]);
        if (p > bp) {
            bp = p;
            best = c->cands[i];
        }
    }
    return best;
}

/* --- the policy ---------------------------------------------------------------------------------- */

static bool is_live(const xstate *x)
{
    return x->prog->live == NULL || x->prog->live(x->prog->arg);
}

/* The choice at this point: a thread id, or an event -(e + 1). */
static int at_point(xstate *x, const sim_choice *c)
{
    bool after_event = x->after_event;
    x->after_event = false;
    record_pending(x, c);
    if (x->off)
        return reference_pick(c, NULL);
    if (x->depth < x->n) {
        node *nd = &x->nodes[x->depth];
        int id = nd->alts[nd->cur];
        if ((id > 0 && !in_cands(c, id)) || nd->prev != c->prev) {
            x->diverged = true;     /* the program is not deterministic: a bug of the program */
            x->off = true;
            return reference_pick(c, NULL);
        }
        return id;
    }
    /* shards: a path assigned at S branching nodes goes on only in its shard */
    if (x->o->nshards > 1 && !x->owned && x->depth > 0 &&
        path_branches(x, x->depth) >= x->split) {
        if (path_hash(x, x->depth) % x->o->nshards != x->o->shard) {
            x->foreign = x->off = true;
            return reference_pick(c, NULL);
        }
        x->owned = true;
    }
    x->after_event = after_event;
    node *nd = node_new(x, c);
    /* --events-first: the subtree of an event placed here is explored before the schedules
     * that place it later (or not at all), so early placements come early in a depth-first
     * search. After an event, the thread it gave work to goes first (the event's own step). */
    int first = 0;
    for (size_t i = 0; i < nd->nalts && first == 0 && x->o->events_first; i++)
        if (nd->alts[i] < 0 && !nd->asleep[i])
            first = nd->alts[i];
    for (size_t i = 0; i < nd->nalts && first == 0 && nd->woken != 0; i++)
        if (nd->alts[i] == nd->woken && !nd->asleep[i])
            first = nd->woken;
    if (first == 0)
        first = reference_pick(c, nd);
    if (first == 0) {
        /* every runnable thread sleeps: what follows was explored elsewhere */
        for (size_t i = 0; i < nd->nalts && first == 0; i++)
            if (!nd->asleep[i])
                first = nd->alts[i];
        if (first == 0) {
            node_free(nd);
            x->n--;
            x->blocked = x->off = true;
            return reference_pick(c, NULL);
        }
    }
    node_order(nd, first);
    if (!within_bound(x, nd, first)) {
        /* the last thread sleeps and any other would pass the bound */
        node_free(nd);
        x->n--;
        x->blocked = x->off = true;
        return reference_pick(c, NULL);
    }
    nd->tried[0] = true;
    nd->branch_before = path_branches(x, x->depth);
    return first;
}

static bool policy_event(void *self, const sim_choice *c)
{
    xstate *x = self;
    x->have_decided = false;
    if (!is_live(x))
        return false;
    int id;
    if (x->pct) {
        /* events at their drawn step */
        for (unsigned e = 0; e < x->prog->nevents; e++)
            if (x->event_at[e] == x->live_steps + 1 && x->fired[e] == 0) {
                x->fired[e]++;
                x->nev++;
                sim_decide_event(x->prog->events[e]);
                return true;
            }
        return false;
    }
    id = at_point(x, c);
    if (id > 0) {
        x->decided = id;
        x->have_decided = true;
        return false;
    }
    unsigned e = (unsigned)(-id - 1);
    if (!sim_decide_event(x->prog->events[e])) {
        x->diverged = x->off = true;
        return false;
    }
    x->fired[e]++;
    x->nev++;
    free(x->ev_cands);
    x->ev_cands = malloc((c->ncands + 1) * sizeof *x->ev_cands);
    memcpy(x->ev_cands, c->cands, c->ncands * sizeof *x->ev_cands);
    x->nev_cands = c->ncands;
    x->woken_hint = sim_event_woken();
    x->after_event = true;
    if (!x->off && x->depth < x->n) {
        node *nd = &x->nodes[x->depth];
        free(nd->taken.v);
        nd->taken = fp_of_step();
        nd->taken_known = true;
        nd->taken_cont = false;
        x->depth++;
    }
    return true;
}

static size_t policy_pick(void *self, const sim_choice *c)
{
    xstate *x = self;
    int id;
    if (!is_live(x)) {
        id = reference_pick(c, NULL);
    } else if (x->pct) {
        id = pct_pick(x, c);
        for (size_t i = 0; i < c->ncands; i++)
            if (c->cands[i] == id && c->prev != 0 && id != c->prev && in_cands(c, c->prev))
                x->pre++;
        if (x->seen != NULL || x->seen_cap == 0) {
            bool known = false;
            for (size_t i = 0; i < x->nseen; i++)
                known |= x->seen[i] == id;
            if (!known) {
                if (x->nseen == x->seen_cap) {
                    x->seen_cap = x->seen_cap ? 2 * x->seen_cap : 16;
                    x->seen = realloc(x->seen, x->seen_cap * sizeof *x->seen);
                }
                x->seen[x->nseen++] = id;
            }
        }
    } else {
        id = x->have_decided ? x->decided : at_point(x, c);
        x->have_decided = false;
        if (c->prev != 0 && id != c->prev && in_cands(c, c->prev))
            x->pre++;
        if (!x->off && x->depth < x->n) {
            x->pending = (long)x->depth;
            x->depth++;
        }
    }
    for (size_t i = 0; i < c->ncands; i++)
        if (c->cands[i] == id)
            return i;
    return 0;
}

/* --- outcomes ------------------------------------------------------------------------------------ */

static char *order_key(const xstate *x)
{
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (size_t k = 0; k < x->n; k++) {
        if (node_open_alts(x, &x->nodes[k]) < 2)
            continue;
        if (len + 16 >= cap) {
            cap *= 2;
            s = realloc(s, cap);
        }
        len += (size_t)snprintf(s + len, cap - len, "%s%u", len ? "." : "", x->nodes[k].rank);
    }
    return s;
}

static size_t outcome_add(sx_result *res, sx_run *run, uint64_t runno, unsigned pre, unsigned nev,
                          char *order)
{
    for (size_t i = 0; i < res->noutcomes; i++)
        if (strcmp(res->outcomes[i].key, run->key) == 0) {
            res->outcomes[i].runs++;
            free(order);
            return i;
        }
    if (res->noutcomes == res->cap) {
        res->cap = res->cap ? 2 * res->cap : 16;
        res->outcomes = realloc(res->outcomes, res->cap * sizeof *res->outcomes);
    }
    sx_outcome *oc = &res->outcomes[res->noutcomes];
    memset(oc, 0, sizeof *oc);
    oc->key = run->key;
    oc->title = run->title;
    oc->flags = run->flags;
    oc->runs = 1;
    oc->first_run = runno;
    oc->first_preemptions = pre;
    oc->first_events = nev;
    oc->first_order = order;
    oc->first = run->decisions;
    run->key = run->title = NULL;
    run->decisions = NULL;
    return res->noutcomes++;
}

static void run_clear(sx_run *r)
{
    free(r->key);
    free(r->title);
    sim_decisions_free(r->decisions);
    memset(r, 0, sizeof *r);
}

/* The share of the tree done, estimated from the path: at each node, the alternatives finished
 * before the current one, each worth an equal part of what the node is worth. */
static double share_done(const xstate *x)
{
    double share = 0.0, weight = 1.0;
    for (size_t k = 0; k < x->n; k++) {
        size_t open = node_open_alts(x, &x->nodes[k]);
        if (open == 0)
            continue;
        share += weight * (double)x->nodes[k].rank / (double)open;
        weight /= (double)open;
    }
    return share + weight;
}

/* Moves the path to the next leaf: false when the tree is done. */
static bool backtrack(xstate *x, sx_result *res)
{
    while (x->n > 0) {
        node *nd = &x->nodes[x->n - 1];
        for (size_t i = 0; i < nd->nalts; i++) {
            if (nd->tried[i] || nd->asleep[i] || !within_bound(x, nd, nd->alts[i]))
                continue;
            if (x->o->prune) {
                nd->done = realloc(nd->done, (nd->ndone + 1) * sizeof *nd->done);
                nd->done[nd->ndone].id = nd->alts[nd->cur];
                nd->done[nd->ndone].cost = cost_of(nd, nd->alts[nd->cur]);
                nd->done[nd->ndone].cont = nd->taken_known ? nd->taken_cont : true;
                nd->done[nd->ndone++].f =
                    nd->taken_known ? fp_copy(&nd->taken) : (fp){NULL, 0, true};
            }
            nd->cur = i;
            nd->tried[i] = true;
            nd->rank++;
            free(nd->taken.v);
            nd->taken = (fp){NULL, 0, false};
            nd->taken_known = false;
            return true;
        }
        /* done with this node: its sleeping alternatives were pruned (above the split, shard
         * 0 counts them) */
        bool shared = x->o->nshards > 1 && nd->branch_before < x->split;
        if (!shared || x->o->shard == 0)
            for (size_t i = 0; i < nd->nalts; i++)
                res->pruned += nd->asleep[i] && within_bound(x, nd, nd->alts[i]);
        node_free(nd);
        x->n--;
    }
    return false;
}

double sx_pct_bound(unsigned n, uint64_t k, unsigned d)
{
    if (n == 0 || k == 0 || d == 0)
        return 0.0;
    return 1.0 / ((double)n * pow((double)k, (double)(d - 1)));
}

/* One run under x; fills run. Returns the program's status. */
static int run_once(xstate *x, sx_run *run)
{
    x->depth = 0;
    x->pending = -1;
    x->off = x->blocked = x->foreign = x->owned = x->diverged = false;
    x->pre = x->nev = 0;
    x->have_decided = false;
    x->after_event = false;
    memset(x->fired, 0, sizeof x->fired);
    x->live_steps = 0;
    x->nprio = 0;
    sim_policy pol = {"explore", policy_pick, x, policy_event};
    memset(run, 0, sizeof *run);
    return x->prog->run(x->prog->arg, &pol, run);
}

static int pct_explore(xstate *x, const sx_options *o, sx_result *res, sx_on_run on_run, void *arg)
{
    /* calibration: the reference run's threads and steps (priorities all equal: lowest id) */
    sx_run run;
    x->pct = true;
    x->rng = o->seed;
    x->nchange = 0;
    x->seen_cap = 0;
    memset(x->event_at, 0, sizeof x->event_at);
    if (run_once(x, &run) != 0) {
        snprintf(res->error, sizeof res->error, "%s", run.title ? run.title : "the run failed");
        run_clear(&run);
        return -1;
    }
    run_clear(&run);
    res->threads = (unsigned)x->nseen;
    res->steps = x->live_steps;
    res->pct_bound = sx_pct_bound(res->threads, res->steps, o->pct_depth);
    uint64_t k = x->live_steps ? x->live_steps : 1;
    for (uint64_t i = 0; i < o->pct_runs; i++) {
        if (o->nshards > 1 && i % o->nshards != o->shard)
            continue;
        x->rng = o->seed + i;
        rng_next(&x->rng);
        x->nchange = 0;
        for (unsigned d = 1; d < o->pct_depth && x->nchange < 64; d++)
            x->change[x->nchange++] = 1 + rng_next(&x->rng) % k;
        for (unsigned e = 0; e < x->prog->nevents; e++)
            x->event_at[e] = 1 + rng_next(&x->rng) % k;
        if (run_once(x, &run) != 0) {
            snprintf(res->error, sizeof res->error, "%s", run.title ? run.title : "the run failed");
            run_clear(&run);
            return -1;
        }
        res->runs++;
        res->by_preemptions[x->pre < SX_PREEMPTION_BUCKETS ? x->pre : SX_PREEMPTION_BUCKETS - 1]++;
        char order[32];
        snprintf(order, sizeof order, "%llu", (unsigned long long)i);
        size_t oc = outcome_add(res, &run, res->runs, x->pre, x->nev, strdup(order));
        run_clear(&run);
        if (on_run != NULL)
            on_run(arg, res, res->runs, oc, x->pre, (double)(i + 1) / (double)o->pct_runs);
        if (o->stop_on & res->outcomes[oc].flags) {
            res->stopped = true;
            break;
        }
        if (o->max_runs != 0 && res->runs >= o->max_runs) {
            res->truncated = true;
            break;
        }
    }
    return 0;
}

int sx_explore(const sx_program *prog, const sx_options *o, sx_result *res, sx_on_run on_run,
               void *arg)
{
    memset(res, 0, sizeof *res);
    xstate *x = calloc(1, sizeof *x);
    x->prog = prog;
    x->o = o;
    unsigned n = o->nshards > 1 ? o->nshards : 1, lg = 0;
    while ((1u << lg) < n)
        lg++;
    x->split = lg + 2;
    int rc = 0;
    if (o->pct_depth != 0) {
        rc = pct_explore(x, o, res, on_run, arg);
        goto out;
    }
    for (;;) {
        sx_run run;
        if (run_once(x, &run) != 0) {
            snprintf(res->error, sizeof res->error, "%s", run.title ? run.title : "the run failed");
            run_clear(&run);
            rc = -1;
            break;
        }
        if (x->diverged) {
            snprintf(res->error, sizeof res->error,
                     "the program did not repeat itself: the same choices led to another point "
                     "(a run depends on something outside the schedule)");
            run_clear(&run);
            rc = -1;
            break;
        }
        /* a path that ended before its shard was settled belongs to the hash of its whole key */
        if (o->nshards > 1 && !x->foreign && !x->owned &&
            path_hash(x, x->n) % o->nshards != o->shard)
            x->foreign = true;
        if (x->blocked) {
            bool shared = o->nshards > 1 && !x->owned;
            if (!shared || o->shard == 0)
                res->pruned++;
        } else if (!x->foreign) {
            res->runs++;
            res->by_preemptions[x->pre < SX_PREEMPTION_BUCKETS ? x->pre : SX_PREEMPTION_BUCKETS - 1]++;
            size_t oc = outcome_add(res, &run, res->runs, x->pre, x->nev, order_key(x));
            if (on_run != NULL)
                on_run(arg, res, res->runs, oc, x->pre, share_done(x));
            if (o->stop_on & res->outcomes[oc].flags) {
                res->stopped = true;
                run_clear(&run);
                break;
            }
            if (o->max_runs != 0 && res->runs >= o->max_runs) {
                res->truncated = true;
                run_clear(&run);
                break;
            }
        }
        run_clear(&run);
        if (!backtrack(x, res))
            break;
    }
out:
    for (size_t i = 0; i < x->n; i++)
        node_free(&x->nodes[i]);
    free(x->nodes);
    free(x->prio_id);
    free(x->prio);
    free(x->seen);
    free(x->ev_cands);
    free(x);
    return rc;
}

void sx_result_free(sx_result *res)
{
    for (size_t i = 0; i < res->noutcomes; i++) {
        free(res->outcomes[i].key);
        free(res->outcomes[i].title);
        free(res->outcomes[i].first_order);
        sim_decisions_free(res->outcomes[i].first);
    }
    free(res->outcomes);
    memset(res, 0, sizeof *res);
}

/* --- shrinking (forksim shrink) ------------------------------------------------------------------ */

/* A policy that either follows a full decision list (to read its departures) or departs from the
 * run-until-block order only where a list of departures says. */
typedef struct follow {
    const sx_program *prog;
    const sim_decisions *d;     /* follow these picks and events, step by step */
    const sx_departure *dep;    /* or these departures */
    size_t ndep;
    bool *used;                 /* departures taken */
    uint64_t step, live;        /* picks made; live picks made */
    size_t ev;                  /* d's events done */
    sx_departure *seen;         /* following d: the departures it makes */
    size_t nseen, seen_cap;
    unsigned pre;
} follow;

static void seen_add(follow *f, uint64_t at, int thread, const char *event)
{
    if (f->nseen == f->seen_cap) {
        f->seen_cap = f->seen_cap ? 2 * f->seen_cap : 16;
        f->seen = realloc(f->seen, f->seen_cap * sizeof *f->seen);
    }
    sx_departure *p = &f->seen[f->nseen++];
    memset(p, 0, sizeof *p);
    p->at = at;
    p->thread = thread;
    if (event != NULL)
        snprintf(p->event, sizeof p->event, "%s", event);
}

static bool follow_live(const follow *f)
{
    return f->prog->live == NULL || f->prog->live(f->prog->arg);
}

static bool follow_event(void *self, const sim_choice *c)
{
    follow *f = self;
    (void)c;
    if (f->d != NULL) {
        if (f->ev < f->d->nevents && f->d->events[f->ev].step == f->step) {
            const char *what = f->d->events[f->ev++].what;
            if (follow_live(f))
                seen_add(f, f->live, 0, what);
            sim_decide_event(what);
            return true;
        }
        return false;
    }
    if (!follow_live(f))
        return false;
    for (size_t i = 0; i < f->ndep; i++)
        if (!f->used[i] && f->dep[i].thread == 0 && f->dep[i].at <= f->live) {
            f->used[i] = true;
            sim_decide_event(f->dep[i].event);
            return true;
        }
    return false;
}

static size_t follow_pick(void *self, const sim_choice *c)
{
    follow *f = self;
    int ref = reference_pick(c, NULL), id = ref;
    bool live = follow_live(f);
    if (f->d != NULL) {
        if (f->step < f->d->npicks && in_cands(c, f->d->picks[f->step]))
            id = f->d->picks[f->step];
        if (live && id != ref)
            seen_add(f, f->live, id, NULL);
    } else if (live) {
        for (size_t i = 0; i < f->ndep; i++)
            if (!f->used[i] && f->dep[i].thread != 0 && f->dep[i].at == f->live) {
                f->used[i] = true;
                if (in_cands(c, f->dep[i].thread))
                    id = f->dep[i].thread;
                break;
            }
    }
    if (live && c->prev != 0 && id != c->prev && in_cands(c, c->prev))
        f->pre++;
    f->step++;
    f->live += live;
    for (size_t i = 0; i < c->ncands; i++)
        if (c->cands[i] == id)
            return i;
    return 0;
}

/* Runs prog following d or the departures; the outcome in *run. */
static int follow_run(const sx_program *prog, const sim_decisions *d, const sx_departure *dep,
                      size_t ndep, follow *f, sx_run *run)
{
    memset(f, 0, sizeof *f);
    f->prog = prog;
    f->d = d;
    f->dep = dep;
    f->ndep = ndep;
    f->used = calloc(ndep + 1, sizeof *f->used);
    sim_policy pol = {"shrink", follow_pick, f, follow_event};
    memset(run, 0, sizeof *run);
    int rc = prog->run(prog->arg, &pol, run);
    free(f->used);
    f->used = NULL;
    return rc;
}

typedef struct shrinker {
    const sx_program *prog;
    const char *key;
    uint64_t runs;
} shrinker;

/* Whether the departures reach the outcome with at most max_pre preemptions; *pre gets theirs;
 * fills the sizes when asked. */
static bool same_outcome(shrinker *sh, const sx_departure *dep, size_t n, unsigned max_pre,
                         unsigned *pre, sx_shrink_sizes *sz, sim_decisions **out)
{
    follow f;
    sx_run run;
    sh->runs++;
    bool same = follow_run(sh->prog, NULL, dep, n, &f, &run) == 0 && run.key != NULL &&
                strcmp(run.key, sh->key) == 0 && f.pre <= max_pre;
    if (same && pre != NULL)
        *pre = f.pre;
    if (same && sz != NULL && run.decisions != NULL) {
        sz->picks = run.decisions->npicks;
        sz->events = run.decisions->nevents;
        sz->departures = n;
        sz->preemptions = f.pre;
    }
    if (same && out != NULL) {
        *out = run.decisions;
        run.decisions = NULL;
    }
    free(f.seen);
    run_clear(&run);
    return same;
}

sim_decisions *sx_shrink(const sx_program *prog, const sim_decisions *d, sx_shrink_sizes *before,
                         sx_shrink_sizes *after, uint64_t *runs, char *err, size_t errlen)
{
    follow f;
    sx_run run;
    *runs = 1;
    if (follow_run(prog, d, NULL, 0, &f, &run) != 0 || run.key == NULL) {
        snprintf(err, errlen, "the run could not be made: %s", run.title ? run.title : "?");
        free(f.seen);
        run_clear(&run);
        return NULL;
    }
    if (run.decisions == NULL || run.decisions->npicks != d->npicks ||
        memcmp(run.decisions->picks, d->picks, d->npicks * sizeof *d->picks) != 0) {
        snprintf(err, errlen, "the decisions do not fit this scenario (the run took other picks)");
        free(f.seen);
        run_clear(&run);
        return NULL;
    }
    shrinker sh = {prog, run.key, 0};
    *before = (sx_shrink_sizes){d->npicks, d->nevents, f.nseen, f.pre};
    sx_departure *dep = f.seen;
    size_t n = f.nseen;
    /* the departures alone must reach it (they do when the run is deterministic) */
    unsigned pre = f.pre;
    if (!same_outcome(&sh, dep, n, UINT_MAX, &pre, NULL, NULL)) {
        snprintf(err, errlen, "the departures from the reference order alone do not repeat the outcome");
        free(dep);
        run_clear(&run);
        return NULL;
    }
    /* ddmin: remove chunks while the outcome stays */
    sx_departure *tmp = malloc((n + 1) * sizeof *tmp);
    size_t gran = 2;
    while (n >= 1) {
        size_t chunk = (n + gran - 1) / gran;
        bool reduced = false;
        for (size_t start = 0; start < n; start += chunk) {
            size_t end = start + chunk < n ? start + chunk : n, m = 0;
            for (size_t i = 0; i < n; i++)
                if (i < start || i >= end)
                    tmp[m++] = dep[i];
            if (same_outcome(&sh, tmp, m, pre, &pre, NULL, NULL)) {
                memcpy(dep, tmp, m * sizeof *dep);
                n = m;
                gran = gran > 2 ? gran - 1 : 2;
                reduced = true;
                break;
            }
        }
        if (reduced)
            continue;
        if (chunk == 1)
            break;
        gran = gran * 2 < n ? gran * 2 : n;
    }
    /* earlier points: each departure as early as the outcome allows (halving the distance) */
    for (size_t i = 0; i < n; i++) {
        uint64_t lo = i > 0 && dep[i - 1].at < dep[i].at ? dep[i - 1].at : 0;
        while (dep[i].at > lo) {
            uint64_t was = dep[i].at, step = (was - lo + 1) / 2, moved = 0;
            for (; step >= 1; step /= 2) {
                dep[i].at = was - step;
                if (same_outcome(&sh, dep, n, pre, &pre, NULL, NULL)) {
                    moved = step;
                    break;
                }
            }
            dep[i].at = was - moved;
            if (moved == 0)
                break;
        }
    }
    sim_decisions *out = NULL;
    if (!same_outcome(&sh, dep, n, UINT_MAX, NULL, after, &out))
        snprintf(err, errlen, "the shrunk schedule does not repeat the outcome (a bug of shrink)");
    *runs += sh.runs;
    free(tmp);
    free(dep);
    run_clear(&run);
    return out;
}
