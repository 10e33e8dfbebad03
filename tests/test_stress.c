/*
 * test_stress.c: a seeded random walk through the model, with the invariant walker after every
 * step and a leak audit at the end.
 *
 * Three or four tasks, each with threads, call random mk_* operations on their own and on each
 * other's spaces: every right kind allocated and named, references changed with good and bad
 * deltas, rights destroyed, renamed, inserted and extracted across tasks with every disposition,
 * notifications requested, messages carrying rights sent and received (mostly with timeout 0;
 * some without, so threads block, and are later continued, timed out, aborted, suspended or
 * terminated while blocked), ports moved in and out of sets, self ports taken, tasks and
 * threads created, suspended and terminated, special and registered ports set, and allocation
 * faults injected now and then. Names are picked from mach_port_names, mostly of the type the
 * call needs. Return codes are not checked here (the rule tests do that); what is checked is
 * that model_check finds nothing after every step and that world_destroy leaves no object.
 *
 * The seed comes from FORKSIM_SEED (default 20240601) and the step count from
 * FORKSIM_STRESS_STEPS; a failure prints both with the step number, the operation and the
 * diagnostics, so `FORKSIM_SEED=n build/tests/test_stress` replays it exactly.
 * FORKSIM_STRESS_TRACE=1 prints every step and its result, FORKSIM_STRESS_VERBOSE=1 a tally of
 * successes per kind of call. The generator is xorshift64*, never rand(), so runs are identical
 * on every host.
 */
#include "testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SEED 20240601u
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_STEPS 40000ul /* ASan+UBSan is ~5x slower (15 s for 120000): shorter in build-san */
#else
#define DEFAULT_STEPS 120000ul
#endif
#define MAX_TASKS 8
#define MAX_THREADS 256
#define MAX_LIVE_TASKS 4
#define MIN_LIVE_TASKS 2

/* A thread's message buffer: it must outlive a blocked mach_msg (the model writes the result
 * into it when the call completes). */
typedef union msgbuf {
    mach_msg_header_t h;
    char bytes[512];
} msgbuf_t;

typedef struct stress {
    world_t *w;
    uint64_t rng;
    uint64_t seed;
    unsigned long step;
    char op[200];
    kern_return_t kr;                /* the last call's result, for the verbose tally */
    struct { char what[24]; unsigned long ok, all; } tally[40];
    int ntally;
    ktask_t *tasks[MAX_TASKS]; /* live (active) tasks */
    int ntasks;
    kthread_t *threads[MAX_THREADS]; /* every thread ever made; dead ones are skipped */
    int nthreads;
    msgbuf_t bufs[MAX_THREADS];      /* each thread's buffer for mach_msg */
    bool pending[MAX_THREADS];       /* in a mach_msg that returned MK_MSG_BLOCKED */
    /* per (task, target) a cached send right name for target's task port */
    struct { ktask_t *task, *target; mach_port_name_t name; } cache[64];
    int ncache;
} stress_t;

/* --- the generator: xorshift64* ------------------------------------------------------------------ */

static uint64_t rnd64(stress_t *s)
{
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd(stress_t *s, unsigned n)
{
    return n ? (unsigned)(rnd64(s) % n) : 0;
}

static bool chance(stress_t *s, unsigned percent)
{
    return rnd(s, 100) < percent;
}

/* --- tasks and threads ------------------------------------------------------------------------------ */

static void add_thread(stress_t *s, kthread_t *th)
{
    if (th == NULL)
        return;
    for (int i = 0; i < s->nthreads; i++)
        if (s->threads[i] == th)
            return;
    if (s->nthreads < MAX_THREADS) {
        s->pending[s->nthreads] = false;
        s->threads[s->nthreads++] = th;
        return;
    }
    /* full: reuse a dead thread's slot, else forget one not inside mach_msg (it lives on in
     * the model, but no longer acts) */
    int victim = -1;
    for (int i = 0; i < s->nthreads && victim < 0; i++)
        if (!kthread_active(s->threads[i]) || !ktask_active(kthread_task(s->threads[i])))
            victim = i;
    for (int i = 0; i < s->nthreads && victim < 0; i++)
        if (!s->pending[i])
            victim = i;
    if (victim < 0)
        victim = 0; /* every thread blocked: forget the first, it can never complete here */
    s->threads[victim] = th;
    s->pending[victim] = false;
}

static void add_task(stress_t *s, ktask_t *t)
{
    if (t != NULL && s->ntasks < MAX_TASKS)
        s->tasks[s->ntasks++] = t;
}

/* Drops tasks that have been terminated from the live list. */
static void prune_tasks(stress_t *s)
{
    int j = 0;
    for (int i = 0; i < s->ntasks; i++)
        if (ktask_active(s->tasks[i]))
            s->tasks[j++] = s->tasks[i];
    s->ntasks = j;
}

static int thread_index(const stress_t *s, const kthread_t *th)
{
    for (int i = 0; i < s->nthreads; i++)
        if (s->threads[i] == th)
            return i;
    return -1;
}

/* Not stopped, not held, and not inside a mach_msg. */
static bool can_run(kthread_t *th)
{
    return kthread_active(th) && ktask_active(kthread_task(th)) && !kthread_must_stop(th) &&
           kthread_suspend_count(th) == 0;
}

static bool runnable(const stress_t *s, int i)
{
    kthread_t *th = s->threads[i];
    return !s->pending[i] && can_run(th) && mk_thread_blocked(th, NULL) == MK_WAIT_NONE;
}

/* A random thread that may run, booting a fresh task if nothing can. */
static kthread_t *pick_actor(stress_t *s)
{
    kthread_t *cand[MAX_THREADS];
    int n = 0;
    for (int i = 0; i < s->nthreads; i++)
        if (runnable(s, i))
            cand[n++] = s->threads[i];
    if (n == 0) {
        ktask_t *t = world_boot_task(s->w, s->ntasks ? s->tasks[rnd(s, (unsigned)s->ntasks)] : NULL);
        add_task(s, t);
        kthread_t *th = world_boot_thread(t);
        add_thread(s, th);
        return th;
    }
    return cand[rnd(s, (unsigned)n)];
}

static ktask_t *pick_task(stress_t *s)
{
    return s->tasks[rnd(s, (unsigned)s->ntasks)];
}

/* The actor's name for target's task port: a cached send right, or a fresh one. */
static mach_port_name_t task_name(stress_t *s, kthread_t *actor, ktask_t *target)
{
    ktask_t *me = kthread_task(actor);
    int slot = -1;
    for (int i = 0; i < s->ncache; i++)
        if (s->cache[i].task == me && s->cache[i].target == target) {
            if (ktask_by_name(me, s->cache[i].name) == target)
                return s->cache[i].name;
            slot = i;
            break;
        }
    mach_port_name_t name = target == me ? mk_mach_task_self(actor)
                                         : world_give_task_port(me, target);
    if (slot < 0) {
        if (s->ncache == (int)(sizeof s->cache / sizeof s->cache[0])) {
            /* forget entries of dead tasks */
            int j = 0;
            for (int i = 0; i < s->ncache; i++)
                if (ktask_active(s->cache[i].task) && ktask_active(s->cache[i].target))
                    s->cache[j++] = s->cache[i];
            s->ncache = j;
            if (s->ncache == (int)(sizeof s->cache / sizeof s->cache[0]))
                s->ncache = 0;
        }
        slot = s->ncache++;
    }
    s->cache[slot].task = me;
    s->cache[slot].target = target;
    s->cache[slot].name = name;
    return name;
}

/* Mostly a live task's name; sometimes any name (a port, a dead name, nothing). */
static mach_port_name_t pick_task_name(stress_t *s, kthread_t *actor, ktask_t **target);

/* A random name in task's space: mostly one in use (of a type in `mask`, when there is one and
 * mask is not 0), sometimes unused, reserved or far. */
static mach_port_name_t pick_typed(stress_t *s, kthread_t *actor, ktask_t *task,
                                   mach_port_type_t mask)
{
    unsigned r = rnd(s, 100);
    if (r < 85) {
        mach_port_name_t *names = NULL;
        mach_port_type_t *types = NULL;
        mach_msg_type_number_t count = 0, nmatch = 0;
        mach_port_name_t n = MACH_PORT_NULL;
        if (mk_mach_port_names(actor, task_name(s, actor, task), &names, &types, &count) ==
                KERN_SUCCESS && count > 0) {
            for (mach_msg_type_number_t i = 0; i < count; i++)
                if (types[i] & mask)
                    names[nmatch++] = names[i];
            if (nmatch > 0 && chance(s, 80))
                n = names[rnd(s, nmatch)];
            else if (nmatch == 0 || mask == 0)
                n = names[rnd(s, count)];
        }
        free(names);
        free(types);
        if (n != MACH_PORT_NULL)
            return n;
    }
    if (r < 93)
        return 1 + rnd(s, 120);
    if (r < 97)
        return 0x40000000u + rnd(s, 8);
    return chance(s, 50) ? MACH_PORT_NULL : MACH_PORT_DEAD;
}

static mach_port_name_t pick_name_in(stress_t *s, kthread_t *actor, ktask_t *task)
{
    return pick_typed(s, actor, task, 0);
}

/* The types of name a disposition needs (I1). */
static mach_port_type_t disp_mask(mach_msg_type_name_t disp)
{
    switch (disp) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
        return MACH_PORT_TYPE_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
        return MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
        return MACH_PORT_TYPE_SEND_ONCE;
    }
    return 0;
}

static mach_port_name_t pick_task_name(stress_t *s, kthread_t *actor, ktask_t **target)
{
    *target = pick_task(s);
    if (chance(s, 92))
        return task_name(s, actor, *target);
    *target = NULL;
    return pick_name_in(s, actor, kthread_task(actor));
}

static mach_port_right_t pick_right(stress_t *s)
{
    return chance(s, 95) ? rnd(s, MACH_PORT_RIGHT_NUMBER) : MACH_PORT_RIGHT_NUMBER + rnd(s, 3);
}

static mach_msg_type_name_t pick_disposition(stress_t *s)
{
    if (chance(s, 95))
        return MACH_MSG_TYPE_MOVE_RECEIVE + rnd(s, 6); /* 16..21 */
    return chance(s, 50) ? MACH_MSG_TYPE_PORT_NAME : 22;
}

static mach_port_delta_t pick_delta(stress_t *s)
{
    static const mach_port_delta_t deltas[] = {-1, -1, -1, 1, 1, 0, -2, 2, 3, -3,
                                               65533, 65534, -65535, 0x7fffffff,
                                               (mach_port_delta_t)0x80000000};
    return deltas[rnd(s, sizeof deltas / sizeof deltas[0])];
}

/* --- messages --------------------------------------------------------------------------------- */

static void put_item(char *body, size_t *off, unsigned name, unsigned size, uint32_t value)
{
    mach_msg_type_t t;
    memset(&t, 0, sizeof t);
    t.msgt_name = name;
    t.msgt_size = size;
    t.msgt_number = 1;
    t.msgt_inline = 1;
    memcpy(body + *off, &t, sizeof t);
    *off += sizeof t;
    memcpy(body + *off, &value, sizeof value);
    *off += sizeof value;
}

/* Marks the actor as inside mach_msg if the call blocked. */
static void note_blocked(stress_t *s, kthread_t *actor)
{
    if (s->kr == MK_MSG_BLOCKED)
        s->pending[thread_index(s, actor)] = true;
}

static void op_send(stress_t *s, kthread_t *actor)
{
    ktask_t *me = kthread_task(actor);
    msgbuf_t *bufp = &s->bufs[thread_index(s, actor)];
    memset(bufp, 0, sizeof *bufp);
    mach_msg_type_name_t dt = MACH_MSG_TYPE_MOVE_SEND + rnd(s, 5); /* 17..21 */
    mach_port_name_t dest = pick_typed(s, actor, me, disp_mask(dt));
    mach_msg_type_name_t rt = chance(s, 40) ? 0 : MACH_MSG_TYPE_MOVE_SEND + rnd(s, 5);
    mach_port_name_t reply = rt ? pick_typed(s, actor, me, disp_mask(rt)) : MACH_PORT_NULL;
    char *body = bufp->bytes + sizeof(mach_msg_header_t);
    size_t off = 0;
    unsigned nitems = rnd(s, 4);
    bool complex = false;
    char items[80] = "";
    size_t ilen = 0;
    for (unsigned i = 0; i < nitems; i++) {
        if (chance(s, 20)) {
            put_item(body, &off, MACH_MSG_TYPE_INTEGER_32, 32, (uint32_t)rnd64(s));
            ilen += (size_t)snprintf(items + ilen, sizeof items - ilen, " int");
        } else {
            unsigned t = MACH_MSG_TYPE_MOVE_RECEIVE + rnd(s, 6);
            mach_port_name_t n = pick_typed(s, actor, me, disp_mask(t));
            put_item(body, &off, t, 32, n);
            ilen += (size_t)snprintf(items + ilen, sizeof items - ilen, " 0x%x/%u", n, t);
            complex = true;
        }
    }
    bufp->h.msgh_bits = MACH_MSGH_BITS(dt, rt) | (complex ? MACH_MSGH_BITS_COMPLEX : 0);
    bufp->h.msgh_remote_port = dest;
    bufp->h.msgh_local_port = reply;
    bufp->h.msgh_id = 1000 + (mach_msg_id_t)rnd(s, 100);
    mach_msg_size_t size = (mach_msg_size_t)(sizeof(mach_msg_header_t) + off);
    bufp->h.msgh_size = size;
    bool block = chance(s, 15); /* no timeouts: the call may block */
    mach_msg_option_t opt = MACH_SEND_MSG | (block ? 0 : MACH_SEND_TIMEOUT);
    mach_port_name_t rcv = MACH_PORT_NULL;
    if (chance(s, 20)) {
        opt |= MACH_RCV_MSG | (block ? 0 : MACH_RCV_TIMEOUT);
        rcv = chance(s, 70) && reply ? reply
                                     : pick_typed(s, actor, me, MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET);
    }
    snprintf(s->op, sizeof s->op, "mach_msg(task %u, dest 0x%x/%u, reply 0x%x/%u, items:%s, opt 0x%x)",
             ktask_id(me), dest, dt, reply, rt, items, (unsigned)opt);
    s->kr = mk_mach_msg(actor, &bufp->h, opt, size, sizeof *bufp, rcv, 0);
    note_blocked(s, actor);
}

static void op_receive(stress_t *s, kthread_t *actor)
{
    ktask_t *me = kthread_task(actor);
    msgbuf_t *bufp = &s->bufs[thread_index(s, actor)];
    memset(bufp, 0, sizeof *bufp);
    mach_port_name_t name = pick_typed(s, actor, me, MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET);
    static const mach_msg_size_t sizes[] = {sizeof(mach_msg_header_t), 32, 48, sizeof(msgbuf_t)};
    mach_msg_size_t size = sizes[rnd(s, 4)];
    mach_msg_option_t opt = MACH_RCV_MSG | (chance(s, 85) ? MACH_RCV_TIMEOUT : 0) |
                            (chance(s, 20) ? MACH_RCV_LARGE : 0);
    snprintf(s->op, sizeof s->op, "receive(task %u, 0x%x, size %u, opt 0x%x)", ktask_id(me), name,
             size, (unsigned)opt);
    s->kr = mk_mach_msg(actor, &bufp->h, opt, 0, size, name, 0);
    note_blocked(s, actor);
}

/* A thread inside a blocked mach_msg: finish it if the model woke it, or give up (timeout). */
static bool op_pending(stress_t *s)
{
    int cand[MAX_THREADS], n = 0;
    for (int i = 0; i < s->nthreads; i++) {
        if (!s->pending[i])
            continue;
        if (!kthread_active(s->threads[i]) || !ktask_active(kthread_task(s->threads[i])))
            s->pending[i] = false; /* H8: its wait never returns */
        else if (can_run(s->threads[i]))
            cand[n++] = i;
    }
    if (n == 0)
        return false;
    int i = cand[rnd(s, (unsigned)n)];
    kthread_t *th = s->threads[i];
    if (mk_thread_blocked(th, NULL) == MK_WAIT_NONE) {
        snprintf(s->op, sizeof s->op, "mach_msg_continue(thread %u)", kthread_id(th));
        s->kr = mk_mach_msg_continue(th);
    } else if (chance(s, 30)) {
        snprintf(s->op, sizeof s->op, "mach_msg_interrupt(thread %u, timeout)", kthread_id(th));
        s->kr = mk_mach_msg_interrupt(th, true);
    } else {
        return false;
    }
    s->pending[i] = s->kr == MK_MSG_BLOCKED;
    return true;
}

/* --- one random step ------------------------------------------------------------------------------ */

static void op_thread_names(stress_t *s, kthread_t *actor, mach_port_name_t task,
                            mach_port_name_t *pick)
{
    mach_port_name_t *threads = NULL;
    mach_msg_type_number_t n = 0;
    *pick = MACH_PORT_NULL;
    if (mk_task_threads(actor, task, &threads, &n) != KERN_SUCCESS)
        return;
    if (n > 0)
        *pick = threads[rnd(s, n)];
    /* the caller deallocates each name once (K4); keep one uref of the pick */
    for (mach_msg_type_number_t i = 0; i < n; i++)
        if (threads[i] != *pick || chance(s, 50))
            s->kr = mk_mach_port_deallocate(actor, task_name(s, actor, kthread_task(actor)), threads[i]);
    free(threads);
}

static void step_once(stress_t *s)
{
    if (chance(s, 25) && op_pending(s))
        return;
    kthread_t *actor = pick_actor(s);
    ktask_t *me = kthread_task(actor);
    ktask_t *target;
    mach_port_name_t tn = pick_task_name(s, actor, &target);
    ktask_t *space_owner = target != NULL ? target : me;
    mach_port_name_t name, name2, out = 0;
    mach_msg_type_name_t outt = 0;
    unsigned op = rnd(s, 100);
    snprintf(s->op, sizeof s->op, "op %u", op);

    if (chance(s, 2)) /* fault injection: the next allocation or two fail */
        world_fail_allocations(s->w, (long)rnd(s, 3), 1 + (long)rnd(s, 2));

    if (op < 11) {
        mach_port_right_t right = pick_right(s);
        snprintf(s->op, sizeof s->op, "allocate(task %u, right %u)", ktask_id(space_owner), right);
        if (chance(s, 15))
            s->kr = mk_trap_mach_port_allocate(actor, tn, right, &out);
        else
            s->kr = mk_mach_port_allocate(actor, tn, right, &out);
    } else if (op < 15) {
        mach_port_right_t right = pick_right(s);
        name = chance(s, 70) ? 1 + rnd(s, 120) : pick_name_in(s, actor, space_owner);
        snprintf(s->op, sizeof s->op, "allocate_name(task %u, right %u, 0x%x)",
                 ktask_id(space_owner), right, name);
        if (chance(s, 15))
            s->kr = mk_trap_mach_port_allocate_name(actor, tn, right, name);
        else
            s->kr = mk_mach_port_allocate_name(actor, tn, right, name);
    } else if (op < 20) {
        name = pick_name_in(s, actor, space_owner);
        snprintf(s->op, sizeof s->op, "deallocate(task %u, 0x%x)", ktask_id(space_owner), name);
        if (chance(s, 15))
            s->kr = mk_trap_mach_port_deallocate(actor, tn, name);
        else
            s->kr = mk_mach_port_deallocate(actor, tn, name);
    } else if (op < 27) {
        mach_port_right_t right = pick_right(s);
        name = pick_typed(s, actor, space_owner,
                          right < MACH_PORT_RIGHT_NUMBER ? MACH_PORT_TYPE(right) : 0);
        mach_port_delta_t delta = pick_delta(s);
        snprintf(s->op, sizeof s->op, "mod_refs(task %u, 0x%x, right %u, %d)",
                 ktask_id(space_owner), name, right, delta);
        s->kr = mk_mach_port_mod_refs(actor, tn, name, right, delta);
    } else if (op < 30) {
        name = pick_name_in(s, actor, space_owner);
        snprintf(s->op, sizeof s->op, "destroy(task %u, 0x%x)", ktask_id(space_owner), name);
        s->kr = mk_mach_port_destroy(actor, tn, name);
    } else if (op < 34) {
        name = pick_name_in(s, actor, space_owner);
        name2 = chance(s, 80) ? 1 + rnd(s, 120) : pick_name_in(s, actor, space_owner);
        snprintf(s->op, sizeof s->op, "rename(task %u, 0x%x, 0x%x)", ktask_id(space_owner), name,
                 name2);
        s->kr = mk_mach_port_rename(actor, tn, name, name2);
    } else if (op < 43) {
        name = chance(s, 60) ? 1 + rnd(s, 120) : pick_name_in(s, actor, space_owner);
        mach_msg_type_name_t disp = pick_disposition(s);
        name2 = pick_typed(s, actor, me, disp_mask(disp));
        snprintf(s->op, sizeof s->op, "insert_right(task %u, 0x%x, own 0x%x, disp %u)",
                 ktask_id(space_owner), name, name2, disp);
        if (chance(s, 15))
            s->kr = mk_trap_mach_port_insert_right(actor, tn, name, name2, disp);
        else
            s->kr = mk_mach_port_insert_right(actor, tn, name, name2, disp);
    } else if (op < 50) {
        mach_msg_type_name_t disp = pick_disposition(s);
        name = pick_typed(s, actor, space_owner, disp_mask(disp));
        snprintf(s->op, sizeof s->op, "extract_right(task %u, 0x%x, disp %u)",
                 ktask_id(space_owner), name, disp);
        s->kr = mk_mach_port_extract_right(actor, tn, name, disp, &out, &outt);
    } else if (op < 56) {
        static const mach_msg_id_t ids[] = {MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_DEAD_NAME,
                                            MACH_NOTIFY_NO_SENDERS, MACH_NOTIFY_PORT_DESTROYED,
                                            MACH_NOTIFY_SEND_ONCE};
        mach_msg_id_t id = ids[rnd(s, 5)];
        name = pick_typed(s, actor, space_owner,
                          id == MACH_NOTIFY_DEAD_NAME ? MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE |
                                                            MACH_PORT_TYPE_DEAD_NAME
                                                      : MACH_PORT_TYPE_RECEIVE);
        mach_msg_type_name_t nt = chance(s, 70) ? MACH_MSG_TYPE_MAKE_SEND_ONCE
                                                : MACH_MSG_TYPE_MOVE_SEND_ONCE;
        mach_port_name_t notify = chance(s, 5) ? MACH_PORT_DEAD
                                               : pick_typed(s, actor, me, disp_mask(nt));
        mach_port_mscount_t sync = chance(s, 60) ? 0 : rnd(s, 4);
        snprintf(s->op, sizeof s->op, "request_notification(task %u, 0x%x, id %d, sync %u, "
                 "notify 0x%x/%u)", ktask_id(space_owner), name, id, sync, notify, nt);
        s->kr = mk_mach_port_request_notification(actor, tn, name, id, sync, notify, nt, &out);
    } else if (op < 66) {
        op_send(s, actor);
    } else if (op < 74) {
        op_receive(s, actor);
    } else if (op < 78) {
        name = pick_typed(s, actor, space_owner, MACH_PORT_TYPE_RECEIVE);
        name2 = chance(s, 25) ? MACH_PORT_NULL
                              : pick_typed(s, actor, space_owner, MACH_PORT_TYPE_PORT_SET);
        snprintf(s->op, sizeof s->op, "move_member(task %u, 0x%x, 0x%x)", ktask_id(space_owner),
                 name, name2);
        s->kr = mk_mach_port_move_member(actor, tn, name, name2);
    } else if (op < 81) {
        snprintf(s->op, sizeof s->op, "mach_task_self/mach_thread_self(task %u)", ktask_id(me));
        name = chance(s, 50) ? mk_mach_task_self(actor) : mk_mach_thread_self(actor);
        s->kr = MACH_PORT_VALID(name) ? KERN_SUCCESS : KERN_FAILURE;
    } else if (op < 83) {
        if (s->ntasks < MAX_LIVE_TASKS) {
            snprintf(s->op, sizeof s->op, "task_create(parent 0x%x in task %u)", tn, ktask_id(me));
            s->kr = mk_task_create(actor, tn, chance(s, 50), &out);
            if (s->kr == KERN_SUCCESS) {
                ktask_t *child = ktask_by_name(me, out);
                if (child != NULL) {
                    add_task(s, child);
                    if (chance(s, 80))
                        add_thread(s, world_boot_thread(child));
                }
            }
        } else if (s->ntasks > MIN_LIVE_TASKS && chance(s, 15)) {
            snprintf(s->op, sizeof s->op, "task_terminate(0x%x: task %u, by task %u)", tn,
                     target ? ktask_id(target) : 0, ktask_id(me));
            s->kr = mk_task_terminate(actor, tn);
            prune_tasks(s);
        }
    } else if (op < 84) {
        if (s->ntasks > MIN_LIVE_TASKS && chance(s, 15)) {
            snprintf(s->op, sizeof s->op, "task_terminate(0x%x: task %u, by task %u)", tn,
                     target ? ktask_id(target) : 0, ktask_id(me));
            s->kr = mk_task_terminate(actor, tn);
            prune_tasks(s);
        }
    } else if (op < 87) {
        snprintf(s->op, sizeof s->op, "thread_create(task %u)", ktask_id(space_owner));
        if (mk_thread_create(actor, tn, &out) == KERN_SUCCESS) {
            add_thread(s, kthread_by_name(me, out));
            if (chance(s, 70))
                s->kr = mk_thread_resume(actor, out);
        }
    } else if (op < 92) {
        mach_port_name_t th;
        snprintf(s->op, sizeof s->op, "task_threads(task %u)", ktask_id(space_owner));
        op_thread_names(s, actor, tn, &th);
        unsigned what = rnd(s, 10);
        snprintf(s->op, sizeof s->op, "thread op %u on 0x%x (task %u, by task %u)", what, th,
                 ktask_id(space_owner), ktask_id(me));
        if (what == 0)
            s->kr = mk_thread_terminate(actor, th);
        else if (what <= 2)
            s->kr = mk_thread_suspend(actor, th);
        else if (what <= 6)
            s->kr = mk_thread_resume(actor, th);
        else if (what == 7)
            s->kr = mk_thread_abort(actor, th);
        else {
            natural_t regs[MK_MAX_STATE_WORDS];
            mach_msg_type_number_t count = MK_MAX_STATE_WORDS;
            if (mk_thread_get_state(actor, th, 1, regs, &count) == KERN_SUCCESS)
                s->kr = mk_thread_set_state(actor, th, 1, regs, count);
        }
    } else if (op < 94) {
        snprintf(s->op, sizeof s->op, "task_suspend/resume(task %u)", ktask_id(space_owner));
        if (chance(s, 30))
            s->kr = mk_task_suspend(actor, tn);
        else
            s->kr = mk_task_resume(actor, tn);
    } else if (op < 97) {
        int which = chance(s, 50) ? TASK_EXCEPTION_PORT : TASK_BOOTSTRAP_PORT;
        if (chance(s, 10))
            which = (int)rnd(s, 6);
        name = chance(s, 15) ? MACH_PORT_NULL : pick_typed(s, actor, me, disp_mask(MACH_MSG_TYPE_COPY_SEND));
        mach_msg_type_name_t disp = MACH_MSG_TYPE_MOVE_SEND + rnd(s, 4); /* 17..20 */
        snprintf(s->op, sizeof s->op, "special port %d of task %u: 0x%x/%u", which,
                 ktask_id(space_owner), name, disp);
        if (chance(s, 50)) {
            s->kr = mk_task_set_special_port(actor, tn, which, name, disp);
        } else if (chance(s, 50)) {
            s->kr = mk_task_get_special_port(actor, tn, which, &out);
        } else {
            mach_port_name_t th = mk_mach_thread_self(actor);
            s->kr = mk_thread_set_special_port(actor, th, THREAD_EXCEPTION_PORT, name, disp);
        }
    } else if (op < 99) {
        mach_port_name_t ports[5];
        mach_msg_type_number_t n = rnd(s, 6);
        for (mach_msg_type_number_t i = 0; i < n; i++)
            ports[i] = chance(s, 20) ? MACH_PORT_NULL : pick_typed(s, actor, me, MACH_PORT_TYPE_SEND);
        snprintf(s->op, sizeof s->op, "mach_ports_register/lookup(task %u, %u ports)",
                 ktask_id(space_owner), n);
        if (chance(s, 50)) {
            s->kr = mk_mach_ports_register(actor, tn, ports, n);
        } else {
            mach_port_name_t *got = NULL;
            mach_msg_type_number_t count;
            if (mk_mach_ports_lookup(actor, tn, &got, &count) == KERN_SUCCESS)
                free(got);
        }
    } else if (chance(s, 40)) {
        /* forksim's own task_copy_names (issue 13 item 5; docs/fork-ours-rules.md): names of
         * one task, some with another right's port (TC4), into another task, or the same */
        ktask_t *dst_task;
        mach_port_name_t dn = pick_task_name(s, actor, &dst_task);
        mach_port_name_t names[8], sources[8];
        kern_return_t results[8];
        mach_msg_type_number_t n = rnd(s, 9);
        for (mach_msg_type_number_t i = 0; i < n; i++) {
            names[i] = pick_name_in(s, actor, space_owner);
            sources[i] = chance(s, 20) ? pick_typed(s, actor, space_owner, MACH_PORT_TYPE_SEND)
                                       : MACH_PORT_NULL;
        }
        snprintf(s->op, sizeof s->op, "task_copy_names(task %u -> 0x%x, %u names)",
                 ktask_id(space_owner), dn, n);
        s->kr = mk_task_copy_names(actor, tn, dn, names, sources, n, results);
    } else {
        name = pick_typed(s, actor, space_owner, MACH_PORT_TYPE_RECEIVE);
        snprintf(s->op, sizeof s->op, "set_qlimit/mscount(task %u, 0x%x)", ktask_id(space_owner),
                 name);
        if (chance(s, 50))
            s->kr = mk_mach_port_set_qlimit(actor, tn, name, rnd(s, 18));
        else
            s->kr = mk_mach_port_set_mscount(actor, tn, name, rnd(s, 4));
    }
    world_fail_allocations(s->w, -1, 0);
    prune_tasks(s);
}

/* Counts, per kind of operation, how many calls succeeded (FORKSIM_STRESS_VERBOSE). */
static void tally(stress_t *s)
{
    char what[24];
    size_t n = strcspn(s->op, "( ");
    if (n >= sizeof what)
        n = sizeof what - 1;
    memcpy(what, s->op, n);
    what[n] = '\0';
    int i = 0;
    while (i < s->ntally && strcmp(s->tally[i].what, what) != 0)
        i++;
    if (i == s->ntally) {
        if (s->ntally == (int)(sizeof s->tally / sizeof s->tally[0]))
            return;
        strcpy(s->tally[s->ntally++].what, what);
    }
    s->tally[i].all++;
    s->tally[i].ok += s->kr == KERN_SUCCESS;
}

static void stress_run(uint64_t seed, unsigned long steps)
{
    stress_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->seed = seed;
    s->rng = seed * 0x9E3779B97F4A7C15ull + 1; /* never 0 */
    world_config_t cfg = {.copy_names = true}; /* task_copy_names among the operations */
    s->w = world_create(&cfg);
    for (int i = 0; i < 3; i++) {
        ktask_t *t = world_boot_task(s->w, i ? s->tasks[0] : NULL);
        add_task(s, t);
        add_thread(s, world_boot_thread(t));
    }
    char diags[16][MODEL_DIAG_LEN];
    bool trace = getenv("FORKSIM_STRESS_TRACE") != NULL;
    for (s->step = 1; s->step <= steps; s->step++) {
        s->kr = -1;
        step_once(s);
        tally(s);
        if (trace)
            print_message("%lu: %s -> %s\n", s->step, s->op, kr_name(s->kr));
        size_t n = model_check(s->w, diags, 16);
        if (n != 0) {
            print_error("stress: seed %" PRIu64 " step %lu: %s: %zu invariant violations\n", seed,
                        s->step, s->op, n);
            for (size_t i = 0; i < n && i < 16; i++)
                print_error("  %s\n", diags[i]);
            world_t *w = s->w;
            free(s);
            world_destroy(w);
            fail_msg("replay with FORKSIM_SEED=%" PRIu64, seed);
        }
    }
    size_t live = world_live_objects(s->w);
    if (getenv("FORKSIM_STRESS_VERBOSE") != NULL) {
        size_t names = 0;
        for (int i = 0; i < s->ntasks; i++)
            names += space_count(s->tasks[i]);
        print_message("stress: %d live tasks, %d threads seen, %zu names, %zu live objects\n",
                      s->ntasks, s->nthreads, names, live);
        for (int i = 0; i < s->ntally; i++)
            print_message("  %-24s %6lu of %6lu succeeded\n", s->tally[i].what, s->tally[i].ok,
                          s->tally[i].all);
    }
    size_t leaked = world_destroy(s->w);
    if (leaked != 0) {
        print_error("stress: seed %" PRIu64 " after %lu steps (%zu objects live): leak audit: "
                    "%zu model objects left after every task terminated\n", seed, steps, live,
                    leaked);
        free(s);
        fail_msg("replay with FORKSIM_SEED=%" PRIu64, seed);
    }
    free(s);
}

static void test_stress_random(void **state)
{
    (void)state;
    uint64_t seed = DEFAULT_SEED;
    unsigned long steps = DEFAULT_STEPS;
    const char *env = getenv("FORKSIM_SEED");
    if (env != NULL && *env != '\0')
        seed = strtoull(env, NULL, 0);
    env = getenv("FORKSIM_STRESS_STEPS");
    if (env != NULL && *env != '\0')
        steps = strtoul(env, NULL, 0);
    print_message("stress: seed %" PRIu64 ", %lu steps\n", seed, steps);
    stress_run(seed, steps);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress_random),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
