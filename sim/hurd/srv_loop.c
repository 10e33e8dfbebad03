/*
 * srv_loop.c: the request loop of the simulated servers, with what the Hurd's libports gives
 * every server: interrupt_operation (interrupt.defs, id 33000) and, for scenarios and tests, a
 * reply delayed on purpose.
 *
 * interrupt_operation on a port cancels the requests in progress on that port
 * (libports/interrupt-operation.c: ports_S_interrupt_operation, interrupt-rpcs.c:
 * ports_interrupt_rpcs, hurd_thread_cancel of each RPC's thread) and answers 0; a routine that
 * was blocked (waiting in hurd_condition_wait, or held here) then answers EINTR. Rules EX11 and
 * EX12 of docs/exec-rules.md. A request held by a delay (hurd_server_delay) counts as in
 * progress: it answers EINTR, its rights destroyed as for any error reply (M11). Each server
 * adds its own blocked routines through its cancel function (proc's waits).
 *
 * The hold's time is the virtual clock's (docs/mach-rules.md V1-V3): while a request is held
 * with a deadline, the server's receive carries MACH_RCV_TIMEOUT up to the earliest deadline
 * (a trace note says when it times out); without a held request the loop is mig_server_loop's,
 * option for option, so a run that asks for no delay traces as before.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <string.h>

#define DELAY_MAX 8
#define HELD_MAX 16

SIM_WORLD_STATE static struct {  /* world state (sim/rt/snapshot.c) */
    struct delay {
        bool used;
        enum hurd_server which;
        mach_msg_id_t id;
        uint64_t ms;
        bool locked;            /* once, under the server's global lock (hurd_server_delay_locked) */
    } delay[DELAY_MAX];
    struct held {
        bool used;
        bool locked;            /* a request that holds the server's global lock while held */
        bool interrupt;         /* an interrupt_operation waiting for that lock */
        enum hurd_server which;
        uint64_t deadline;      /* sim_now() ms; SIM_FOREVER: until interrupted */
        unsigned seq;
        mig_msg_t in;
    } held[HELD_MAX];
    unsigned seq;
} L;

void hurd_loop_reset(void)
{
    memset(&L, 0, sizeof L);
}

int hurd_server_delay(enum hurd_server which, mach_msg_id_t id, uint64_t ms)
{
    for (int i = 0; i < DELAY_MAX; i++)
        if (!L.delay[i].used) {
            L.delay[i] = (struct delay){true, which, id, ms, false};
            return 0;
        }
    return -1;
}

int hurd_server_delay_locked(enum hurd_server which, mach_msg_id_t id, uint64_t ms)
{
    for (int i = 0; i < DELAY_MAX; i++)
        if (!L.delay[i].used) {
            L.delay[i] = (struct delay){true, which, id, ms, true};
            return 0;
        }
    return -1;
}

void hurd_server_delays_clear(void)
{
    memset(L.delay, 0, sizeof L.delay);
}

unsigned hurd_server_held(enum hurd_server which)
{
    unsigned n = 0;
    for (int i = 0; i < HELD_MAX; i++)
        n += L.held[i].used && L.held[i].which == which;
    return n;
}

static struct delay *delay_for(enum hurd_server which, mach_msg_id_t id)
{
    for (int i = 0; i < DELAY_MAX; i++)
        if (L.delay[i].used && L.delay[i].which == which && L.delay[i].id == id)
            return &L.delay[i];
    return NULL;
}

static struct held *hold(enum hurd_server which, const mig_msg_t *in, uint64_t ms)
{
    for (int i = 0; i < HELD_MAX; i++)
        if (!L.held[i].used) {
            struct held *h = &L.held[i];
            memset(h, 0, sizeof *h);
            h->used = true;
            h->which = which;
            uint64_t now = sim_now();
            h->deadline = ms == SIM_FOREVER || ms > SIM_FOREVER - now ? SIM_FOREVER : now + ms;
            h->seq = ++L.seq;
            h->in = *in;
            return h;
        }
    kern_unmodelled("more than 16 requests held by delayed replies");
}

/* The held request of which on port that holds the server's global lock, if any. */
static struct held *held_locked(enum hurd_server which, mach_port_t port)
{
    for (int i = 0; i < HELD_MAX; i++)
        if (L.held[i].used && L.held[i].locked && !L.held[i].interrupt &&
            L.held[i].which == which && L.held[i].in.head.msgh_local_port == port)
            return &L.held[i];
    return NULL;
}

/* The oldest held request of which that fits: on port (any port when MACH_PORT_NULL), or
 * with its deadline reached (due). */
static struct held *held_next(enum hurd_server which, mach_port_t port, bool due)
{
    struct held *best = NULL;
    for (int i = 0; i < HELD_MAX; i++) {
        struct held *h = &L.held[i];
        if (!h->used || h->which != which)
            continue;
        if (port != MACH_PORT_NULL && h->in.head.msgh_local_port != port)
            continue;
        if (due && h->deadline > sim_now())
            continue;
        if (best == NULL || h->seq < best->seq)
            best = h;
    }
    return best;
}

static uint64_t earliest_deadline(enum hurd_server which)
{
    uint64_t d = SIM_FOREVER;
    for (int i = 0; i < HELD_MAX; i++)
        if (L.held[i].used && L.held[i].which == which && L.held[i].deadline < d)
            d = L.held[i].deadline;
    return d;
}

static void serve(mig_msg_t *in, mig_demux_fn demux, void *ctx)
{
    mig_msg_t out;
    mig_reply_init(&out, in);
    kern_return_t code = demux(ctx, in, &out);
    if (code == KERN_SUCCESS && in->bad)
        code = MIG_BAD_ARGUMENTS;
    mig_server_finish(in, &out, code);
}

/* Answers a cancelled request: EINTR, its rights destroyed (M11). */
static void answer_eintr(mig_msg_t *in)
{
    mig_msg_t out;
    mig_reply_init(&out, in);
    mig_server_finish(in, &out, HURD_EINTR);
}

/* interrupt_operation (EX11): every request in progress on the port that looks at
 * cancellation is cancelled (a held request not under the global lock, the server's own blocked
 * routines), then 0. A request held under the global lock never looks (its routine does not
 * block): it is served in its time. */
static void interrupt(enum hurd_server which, mig_msg_t *in, hurd_cancel_fn cancel, void *ctx)
{
    mach_port_t port = in->head.msgh_local_port;
    for (;;) {
        struct held *h = NULL;
        for (int i = 0; i < HELD_MAX; i++) {
            struct held *c = &L.held[i];
            if (c->used && !c->locked && !c->interrupt && c->which == which &&
                c->in.head.msgh_local_port == port && (h == NULL || c->seq < h->seq))
                h = c;
        }
        if (h == NULL)
            break;
        mig_msg_t m = h->in;
        h->used = false;
        answer_eintr(&m);
    }
    if (cancel != NULL)
        cancel(ctx, port);
    mig_msg_t out;
    mig_reply_init(&out, in);
    mig_server_finish(in, &out, KERN_SUCCESS);
}

void hurd_serve(enum hurd_server which, mach_port_t rcv_name, mig_demux_fn demux, void *ctx,
                hurd_cancel_fn cancel)
{
    mig_msg_t in;
    for (;;) {
        uint64_t deadline = earliest_deadline(which);
        mach_msg_option_t option = MACH_RCV_MSG;
        mach_msg_timeout_t timeout = 0;
        if (deadline != SIM_FOREVER) {
            uint64_t now = sim_now();
            option |= MACH_RCV_TIMEOUT;
            timeout = deadline <= now ? 0
                      : deadline - now > UINT32_MAX ? UINT32_MAX : (mach_msg_timeout_t)(deadline - now);
        }
        memset(&in.head, 0, sizeof in.head);
        mach_msg_return_t mr = __mach_msg(&in.head, option, 0, MIG_MSG_MAX, rcv_name, timeout,
                                          MACH_PORT_NULL);
        if (mr == MACH_RCV_TIMED_OUT) {
            /* The held requests whose time came are served now, oldest first. */
            struct held *h;
            while ((h = held_next(which, MACH_PORT_NULL, true)) != NULL) {
                mig_msg_t m = h->in;
                bool intr = h->interrupt;
                h->used = false;
                if (intr)
                    interrupt(which, &m, cancel, ctx);
                else
                    serve(&m, demux, ctx);
            }
            continue;
        }
        if (mr == MACH_RCV_INVALID_NAME || mr == MACH_RCV_PORT_DIED)
            return;
        if (mr != MACH_MSG_SUCCESS)
            continue; /* MACH_RCV_TOO_LARGE: the kernel already destroyed the body */
        in.len = in.head.msgh_size;
        in.pos = sizeof(mach_msg_header_t);
        in.bad = false;
        mach_msg_id_t id = in.head.msgh_id;
        if (id == INTERRUPT_ID_OPERATION) {
            struct held *lk = held_locked(which, in.head.msgh_local_port);
            if (lk != NULL) {
                /* The slow request holds the global lock this one needs too: it waits, and is
                 * served just after that request (same deadline, later in order). */
                struct held *h = hold(which, &in, 0);
                h->deadline = lk->deadline;
                h->interrupt = true;
                kern_trace_note("interrupt_operation waits for the server's global lock");
                continue;
            }
            interrupt(which, &in, cancel, ctx);
            continue;
        }
        struct delay *d = delay_for(which, id);
        if (d != NULL) {
            struct held *h = hold(which, &in, d->ms);
            h->locked = d->locked;
            if (d->locked)
                d->used = false; /* once */
            continue;
        }
        serve(&in, demux, ctx);
    }
}
