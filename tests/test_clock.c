/*
 * test_clock.c: the virtual clock (sim/rt/sched.c "Time", sim/kern/kern.c kern_msg_wait) and
 * mach_msg timeouts, rules V1-V3 of docs/mach-rules.md with M4 and M7 of
 * docs/spec-rules.md.
 *
 * The oracles: the deadline a test passes in (the clock must read exactly it when the wait
 * ends, and must not move while a thread can run); GNU Mach's conversion of a timeout to clock
 * ticks, written out here from its source text (kern/sched_prim.h: ticks = (ms * hz + 999) /
 * 1000 in 32-bit unsigned arithmetic, hz 100; kern/mach_clock.c: set_timeout starts counting
 * after the next tick); and for replay, the first run's own event log.
 */
#include "simtest.h"

#include "kern.h"
#include "mach_stubs.h"
#include "testlib.h"

#include <string.h>

/* GNU Mach's expiry, in ms from a wait starting at clock 0 (see the file header). */
static uint64_t mach_expiry_ms(uint32_t timeout_ms)
{
    uint32_t ticks = (uint32_t)(timeout_ms * 100u + 999u) / 1000u;
    return ((uint64_t)ticks + 1) * 10;
}

/* --- the runtime's clock ---------------------------------------------------------------- */

static struct {
    char log[512];
    size_t len;
} H; /* host memory: what the threads saw */

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(H.log + H.len, sizeof H.log - H.len, fmt, ap);
    va_end(ap);
    if (n > 0)
        H.len += (size_t)n;
}

static void sleeper(void *arg)
{
    uint64_t deadline = (uint64_t)(uintptr_t)arg;
    bool timed_out = sim_block_until("a nap", deadline);
    note("t%d:%s@%llu ", sim_thread_id(sim_self()), timed_out ? "timeout" : "woken",
         (unsigned long long)sim_now());
}

static void busy(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        note("busy@%llu ", (unsigned long long)sim_now());
        sim_yield("busy");
    }
}

/* Nothing moves the clock while a thread can run; then it jumps to the deadline. */
static void test_V1_clock_moves_only_when_nothing_runs(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    H.len = 0;
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, sleeper, (void *)(uintptr_t)100);
    sim_thread_spawn(t, busy, (void *)(intptr_t)3);
    assert_int_equal(sim_now(), 0);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(H.log, "busy@0 busy@0 busy@0 t1:timeout@100 "); /* rule V1 */
    assert_int_equal(sim_now(), 100);                                    /* rule V1 */
    assert_non_null(strstr(simtest_log(&st), "clock 100 ms: timeout t1")); /* rule V1 */
    sim_task_destroy(t);
    simtest_close(&st);
}

/* The earliest deadline first; equal deadlines end together (which of them runs first is the
 * policy's pick: round robin after t3 takes the lowest id). */
static void test_V1_earliest_deadline_first(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_ROUND_ROBIN, 0);
    H.len = 0;
    sim_task *t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, sleeper, (void *)(uintptr_t)300);
    sim_thread_spawn(t, sleeper, (void *)(uintptr_t)100);
    sim_thread_spawn(t, sleeper, (void *)(uintptr_t)100);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(H.log, "t2:timeout@100 t3:timeout@100 t1:timeout@300 "); /* rule V1 */
    sim_task_destroy(t);
    simtest_close(&st);
}

static sim_thread *waker_target;

static void waker(void *arg)
{
    (void)arg;
    sim_unblock(waker_target);
}

/* A wait ended by sim_unblock is not a timeout, and the clock does not move. */
static void test_V1_unblock_before_deadline(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    H.len = 0;
    sim_task *t = sim_task_create(NULL, 0);
    waker_target = sim_thread_spawn(t, sleeper, (void *)(uintptr_t)500);
    sim_thread_spawn(t, waker, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_string_equal(H.log, "t1:woken@0 "); /* rule V1 */
    assert_int_equal(sim_now(), 0);            /* rule V1 */
    sim_task_destroy(t);
    simtest_close(&st);
}

static sim_thread *napper;

static void forever_after_suspending(void *arg)
{
    (void)arg;
    sim_thread_suspend(napper);
    sim_block("something that never comes");
}

static void nap_then_forever(void *arg)
{
    (void)arg;
    sim_block_until("a longer nap", 80);
    sim_block("the end");
}

/* The deadlock report tells a wait that timed out (here under a suspension, at 50 ms, though
 * the clock went on to 80) from one that never ends; a livelock report shows a timed wait's
 * deadline. */
static void test_V1_reports_name_timed_waits(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RUN_UNTIL_BLOCK, 0);
    sim_task *t = sim_task_create(NULL, 0);
    napper = sim_thread_spawn(t, sleeper, (void *)(uintptr_t)50);
    sim_thread *fe = sim_thread_spawn(t, forever_after_suspending, NULL);
    sim_thread *nf = sim_thread_spawn(t, nap_then_forever, NULL);
    assert_int_equal(sim_run(), SIM_DEADLOCK);
    assert_int_equal(sim_now(), 80);
    const char *rep = sim_report();
    assert_non_null(strstr(rep, "thread 1 (task 1): its wait for a nap timed out at 50 ms, "
                                "suspended (count 1)\n"));  /* rule V1 */
    assert_non_null(strstr(rep, "thread 2 (task 1): waits for something that never comes\n")); /* rule V1 */
    assert_non_null(strstr(rep, "thread 3 (task 1): waits for the end\n")); /* rule V1 */
    sim_thread_resume(napper);
    sim_unblock(fe);
    sim_unblock(nf);
    assert_int_equal(sim_run(), SIM_OK);
    sim_task_destroy(t);
    simtest_close(&st);

    /* A thread that can always run keeps the clock at 0: the timed wait never ends. */
    simtest_open_cfg(&st, (sim_config){.policy = SIM_ROUND_ROBIN, .max_steps = 50});
    t = sim_task_create(NULL, 0);
    sim_thread_spawn(t, sleeper, (void *)(uintptr_t)1000000000);
    sim_thread_spawn(t, busy, (void *)(intptr_t)1000);
    assert_int_equal(sim_run(), SIM_STEP_BOUND);
    assert_non_null(strstr(sim_report(), "thread 1 (task 1): waits for a nap, with a timeout at "
                                         "1000000000 ms\n")); /* rule V1 */
    assert_int_equal(sim_now(), 0);                           /* rule V1 */
    sim_task_destroy(t);
    simtest_close(&st);
}

static void sleeper_twice(void *arg)
{
    uint64_t d = (uint64_t)(uintptr_t)arg;
    sim_block_until("first nap", sim_now() + d);
    sim_yield("between naps");
    sim_block_until("second nap", sim_now() + 2 * d);
}

static const char *after_line(const char *s, int n)
{
    while (n-- > 0 && strchr(s, '\n') != NULL)
        s = strchr(s, '\n') + 1;
    return s;
}

/* Advancing the clock is not a decision: replaying the picks gives the same log, clock lines
 * included. */
static void test_V1_replay_repeats_the_clock(void **state)
{
    (void)state;
    struct simtest st;
    simtest_open(&st, SIM_RANDOM, 12345);
    sim_task *t = sim_task_create(NULL, 0);
    for (int i = 1; i <= 4; i++)
        sim_thread_spawn(t, sleeper_twice, (void *)(uintptr_t)(i * 7));
    sim_thread_spawn(t, busy, (void *)(intptr_t)5);
    assert_int_equal(sim_run(), SIM_OK);
    uint64_t end = sim_now();
    const sim_decisions *made = sim_decisions_made();
    sim_decisions copy = *made;
    copy.picks = malloc(made->npicks * sizeof *made->picks);
    memcpy(copy.picks, made->picks, made->npicks * sizeof *made->picks);
    sim_task_destroy(t);
    simtest_close_keep(&st, true);
    char *first = st.log;
    /* the first two lines (version, policy) differ: replay names itself */
    assert_non_null(strstr(first, "clock "));

    struct simtest st2;
    simtest_open_cfg(&st2, (sim_config){.policy = SIM_RANDOM, .seed = 1, .replay = &copy});
    t = sim_task_create(NULL, 0);
    for (int i = 1; i <= 4; i++)
        sim_thread_spawn(t, sleeper_twice, (void *)(uintptr_t)(i * 7));
    sim_thread_spawn(t, busy, (void *)(intptr_t)5);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(sim_now(), end); /* rule V1 */
    sim_task_destroy(t);
    simtest_close_keep(&st2, true);
    assert_string_equal(after_line(first, 2), after_line(st2.log, 2)); /* rule V1 */
    free(st2.log);
    free(first);
    free(copy.picks);
}

/* --- mach_msg with a timeout, on the simulated machine ------------------------------------ */

static struct {
    mach_port_t port;              /* the receiver's port */
    mach_port_t peer_send;         /* the sender's send right to it */
    mach_port_t other;             /* an empty port of the receiver's */
    mach_msg_return_t r1, r2;
    uint64_t t1, t2;
    mach_port_urefs_t urefs_before, urefs_after;
    bool ready, sent;
} C;

static char *trace_buf;
static size_t trace_len;
static FILE *trace_f;

static void kboot(void)
{
    memset(&C, 0, sizeof C);
    trace_f = open_memstream(&trace_buf, &trace_len);
    kern_config cfg = {.sim = {.policy = SIM_RUN_UNTIL_BLOCK}, .trace = trace_f};
    assert_int_equal(kern_open(&cfg), 0);
}

static void kclose(void)
{
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0);
    fclose(trace_f);
    free(trace_buf);
    trace_buf = NULL;
}

typedef struct {
    mach_msg_header_t h;
    uint8_t body[64];
} kbuf_t;

static mach_msg_return_t receive_with(mach_port_t name, mach_msg_option_t extra,
                                      mach_msg_timeout_t timeout)
{
    kbuf_t m;
    memset(&m, 0, sizeof m);
    return __mach_msg(&m.h, MACH_RCV_MSG | extra, 0, sizeof m, name, timeout, MACH_PORT_NULL);
}

static mach_msg_return_t send_to(mach_port_t dest, mach_msg_option_t extra,
                                 mach_msg_timeout_t timeout, mach_port_t rcv,
                                 mach_msg_timeout_t rcv_timeout)
{
    kbuf_t m;
    memset(&m, 0, sizeof m);
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    m.h.msgh_remote_port = dest;
    m.h.msgh_size = sizeof m.h;
    m.h.msgh_id = 1000;
    (void)rcv_timeout;
    return __mach_msg(&m.h, MACH_SEND_MSG | extra, sizeof m.h, rcv ? sizeof m : 0, rcv,
                      timeout, MACH_PORT_NULL);
}

static void rcv_250(void *arg)
{
    mach_msg_timeout_t timeout = (mach_msg_timeout_t)(uintptr_t)arg;
    mach_port_t p;
    __mach_port_allocate(__mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
    C.r1 = receive_with(p, MACH_RCV_TIMEOUT, timeout);
    C.t1 = sim_now();
    __mach_port_mod_refs(__mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* An empty port and MACH_RCV_TIMEOUT: MACH_RCV_TIMED_OUT when the clock reaches the timeout,
 * rounded up to clock ticks and counted from the next tick; a zero timeout fails at once. */
static void test_M7_V2_receive_times_out(void **state)
{
    (void)state;
    kboot();
    kern_boot_task(rcv_250, (void *)(uintptr_t)250, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    check_kr(C.r1, MACH_RCV_TIMED_OUT);              /* rule M7 */
    assert_int_equal(C.t1, mach_expiry_ms(250));     /* rule V2 */
    assert_int_equal(C.t1, 260);                     /* rule V2: 25 ticks, after the next tick */
    fflush(trace_f);
    assert_non_null(strstr(trace_buf, "# clock 260 ms: t1.1's mach_msg on ")); /* rule V3 */
    assert_non_null(strstr(trace_buf, "timed out (MACH_RCV_TIMEOUT 250 ms)\n")); /* rule V3 */
    assert_non_null(strstr(trace_buf, ") = MACH_RCV_TIMED_OUT\n"));             /* rule M7 */
    kclose();

    kboot();
    kern_boot_task(rcv_250, (void *)(uintptr_t)0, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    check_kr(C.r1, MACH_RCV_TIMED_OUT); /* rule M7: a zero timeout fails at once */
    assert_int_equal(C.t1, 0);          /* rule M7 */
    fflush(trace_f);
    assert_null(strstr(trace_buf, "# clock")); /* rule V3: no timed wait, no clock note */
    kclose();
}

/* GNU Mach's rounding and its 32-bit product, at clock 0. */
static void test_V2_timeout_in_ticks(void **state)
{
    (void)state;
    kboot();
    const uint32_t ms[] = {1, 9, 10, 11, 250, 1000, 42949672, 42949673, 4294967295u};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        assert_int_equal(kern_msg_deadline(ms[i]), mach_expiry_ms(ms[i])); /* rule V2 */
    assert_int_equal(kern_msg_deadline(1), 20);        /* rule V2: one tick, after the next */
    assert_int_equal(kern_msg_deadline(42949673), 20); /* rule V2: ms * 100 wraps at 2^32 */
    kclose();
}

static sim_task *sender_task;
#define PEER_NAME 0x500

/* The receiver's side of each case: a port (qlimit 1 for the send cases), a send right to it
 * under PEER_NAME in the sender's task, then what the case does. */
enum rcv_case { RCV_WAITS_1000, RCV_NEVER, RCV_AT_110 };

static void receiver(void *arg)
{
    enum rcv_case how = (enum rcv_case)(uintptr_t)arg;
    mach_port_t self = __mach_task_self();
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &C.port);
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &C.other);
    if (how != RCV_WAITS_1000)
        __mach_port_set_qlimit(self, C.port, 1);
    check_kr(world_insert_right(kern_ktask(sender_task), PEER_NAME, kern_ktask(sim_task_self()),
                                C.port, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    C.peer_send = PEER_NAME;
    C.ready = true;
    switch (how) {
    case RCV_WAITS_1000:
        C.r1 = receive_with(C.port, MACH_RCV_TIMEOUT, 1000);
        C.t1 = sim_now();
        break;
    case RCV_AT_110:
        C.r1 = receive_with(C.other, MACH_RCV_TIMEOUT, 100); /* times out at 110 ms */
        C.t1 = sim_now();
        receive_with(C.port, 0, 0);                          /* frees the queue's one slot */
        receive_with(C.other, 0, 0);
        break;
    case RCV_NEVER:
        receive_with(C.other, 0, 0);
        break;
    }
}

static void sender(void *arg)
{
    enum rcv_case how = (enum rcv_case)(uintptr_t)arg;
    while (!C.ready)
        sim_yield("receiver starts");
    mach_port_t self = __mach_task_self();
    if (how == RCV_WAITS_1000) {
        C.r2 = send_to(C.peer_send, 0, 0, MACH_PORT_NULL, 0);
        C.t2 = sim_now();
        return;
    }
    check_kr(send_to(C.peer_send, 0, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS); /* fills it */
    __mach_port_get_refs(self, C.peer_send, MACH_PORT_RIGHT_SEND, &C.urefs_before);
    if (how == RCV_NEVER) {
        C.r2 = send_to(C.peer_send, MACH_SEND_TIMEOUT, 50, MACH_PORT_NULL, 0);
    } else {
        mach_port_t mine;
        __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &mine);
        C.r2 = send_to(C.peer_send, MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT, 200,
                       mine, 200);
    }
    C.t2 = sim_now();
    __mach_port_get_refs(self, C.peer_send, MACH_PORT_RIGHT_SEND, &C.urefs_after);
}

static void run_case(enum rcv_case how)
{
    kboot();
    sim_thread *rth;
    sim_task *r = kern_boot_task(receiver, (void *)(uintptr_t)how, &rth);
    sim_thread_set_daemon(rth, how != RCV_WAITS_1000);
    sender_task = kern_boot_task(sender, (void *)(uintptr_t)how, NULL);
    (void)r;
    enum sim_result res = sim_run();
    if (res != SIM_OK)
        fprintf(stderr, "%s", sim_report());
    assert_int_equal(res, SIM_OK);
    fflush(trace_f);
}

/* A message that a runnable thread sends arrives before any timeout: the clock stays at 0. */
static void test_V1_message_beats_timeout(void **state)
{
    (void)state;
    run_case(RCV_WAITS_1000);
    check_kr(C.r2, MACH_MSG_SUCCESS);
    check_kr(C.r1, MACH_MSG_SUCCESS); /* rule V1 */
    assert_int_equal(C.t1, 0);        /* rule V1 */
    assert_null(strstr(trace_buf, "# clock")); /* rule V3 */
    kclose();
}

/* A full queue and MACH_SEND_TIMEOUT: MACH_SEND_TIMED_OUT at the timeout, the message
 * pseudo-received (the COPY_SEND destination comes back as one more uref). */
static void test_M4_V2_send_times_out(void **state)
{
    (void)state;
    run_case(RCV_NEVER);
    check_kr(C.r2, MACH_SEND_TIMED_OUT);                   /* rule M4 */
    assert_int_equal(C.t2, mach_expiry_ms(50));            /* rule V2 */
    assert_int_equal(C.urefs_after, C.urefs_before + 1);   /* rule M4 */
    assert_non_null(strstr(trace_buf, "timed out (MACH_SEND_TIMEOUT 50 ms)\n")); /* rule V3 */
    kclose();
}

/* SEND|RCV with both timeouts of 200 ms: the send waits until the receiver frees a slot at
 * 110 ms, then the receive gets the whole timeout again from there (mach_msg_trap passes
 * time_out to both phases), so it times out at 110 ms + 200 ms in ticks, not at 210 ms. */
static void test_V2_each_phase_gets_the_whole_timeout(void **state)
{
    (void)state;
    run_case(RCV_AT_110);
    check_kr(C.r1, MACH_RCV_TIMED_OUT);
    assert_int_equal(C.t1, mach_expiry_ms(100));                 /* rule V2 */
    check_kr(C.r2, MACH_RCV_TIMED_OUT);                          /* rule V2 */
    assert_int_equal(C.t2, mach_expiry_ms(100) + mach_expiry_ms(200)); /* rule V2 */
    assert_non_null(strstr(trace_buf, "timed out (MACH_RCV_TIMEOUT 200 ms)\n"));  /* rule V3 */
    assert_null(strstr(trace_buf, "timed out (MACH_SEND_TIMEOUT"));              /* rule V2 */
    kclose();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_V1_clock_moves_only_when_nothing_runs),
        cmocka_unit_test(test_V1_earliest_deadline_first),
        cmocka_unit_test(test_V1_unblock_before_deadline),
        cmocka_unit_test(test_V1_reports_name_timed_waits),
        cmocka_unit_test(test_V1_replay_repeats_the_clock),
        cmocka_unit_test(test_M7_V2_receive_times_out),
        cmocka_unit_test(test_V2_timeout_in_ticks),
        cmocka_unit_test(test_V1_message_beats_timeout),
        cmocka_unit_test(test_M4_V2_send_times_out),
        cmocka_unit_test(test_V2_each_phase_gets_the_whole_timeout),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
