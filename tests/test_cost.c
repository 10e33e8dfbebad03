/*
 * test_cost.c: cost accounting (sim/cli/cost.c, `forksim cost`), rules CO1-CO4 of
 * docs/cost-rules.md.
 *
 * The oracles are not the counter's own code:
 * - CO1, CO4: the walkthrough's golden trace (traces/walkthrough.expected), read line by line
 *   here: each line of a task is one call ("trap" or not), under the task that made it; a
 *   routine is a Hurd server's when some server's receive in the golden names it ("-> id N
 *   ROUTINE"), else the kernel's; the messages follow from each line's text by CO1's rule.
 * - CO2: GNU Mach's conversion of a timeout to clock ticks (kern/sched_prim.h, hz 100; the
 *   timer starts after the next tick), as test_clock.c writes it out.
 * - CO3: each port's own counters at the end of a run counted from the boot (port_peek: the
 *   live receive rights, ip_srights, ip_sorights, which model_check checks against every
 *   space): rights made less rights destroyed must be exactly the rights alive.
 */
#include "simtest.h"

#include "cost.h"
#include "kern.h"
#include "mach_stubs.h"
#include "runner.h"
#include "scenario.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the golden, read as text ------------------------------------------------------------- */

typedef struct golden_routine {
    char name[48];
    unsigned traps, rpcs, messages;
    bool server;        /* a server's receive names it */
} golden_routine;

typedef struct golden {
    golden_routine r[128];
    unsigned n;
    unsigned by_task[64];       /* lines per task id */
    unsigned lines;
} golden;

static golden_routine *golden_get(golden *g, const char *name)
{
    for (unsigned i = 0; i < g->n; i++)
        if (strcmp(g->r[i].name, name) == 0)
            return &g->r[i];
    assert_true(g->n < 128);
    golden_routine *x = &g->r[g->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    return x;
}

static char *file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char line[4096];
    while (fgets(line, sizeof line, f) != NULL)
        fputs(line, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* Reads every "STEP tA.B [trap ]ROUTINE(ARGS) = CODE ..." line of a golden. */
static void golden_read(const char *path, golden *g)
{
    memset(g, 0, sizeof *g);
    char *text = file_text(path);
    /* first pass: the routines a server receives ("-> id 24030 proc_task2pid") */
    for (char *p = strstr(text, "-> id "); p != NULL; p = strstr(p + 1, "-> id ")) {
        unsigned id;
        char name[48];
        if (sscanf(p, "-> id %u %47[a-z_0-9]", &id, name) == 2)
            golden_get(g, name)->server = true;
    }
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        unsigned long long step;
        int task, thread, off = 0;
        if (sscanf(line, " %llu t%d.%d %n", &step, &task, &thread, &off) != 3 || off == 0)
            continue;
        const char *call = line + off;
        bool trap = strncmp(call, "trap ", 5) == 0;
        if (trap)
            call += 5;
        char name[48];
        if (sscanf(call, "%47[a-z_0-9](", name) != 1 || call[strlen(name)] != '(')
            continue;
        const char *result = strstr(call, ") = ");
        assert_non_null(result);
        result += 4;
        bool send_failed = strncmp(result, "MACH_SEND_", 10) == 0;
        golden_routine *x = golden_get(g, name);
        unsigned messages = 0;
        if (trap) {
            x->traps++;
            /* only mach_msg's send phase sends (its options open with SEND) */
            if (strcmp(name, "mach_msg") == 0 && strncmp(call + strlen(name), "(SEND", 5) == 0 &&
                !send_failed)
                messages = 1;
        } else {
            x->rpcs++;
            if (!send_failed)
                messages = x->server ? 1 : 2;
        }
        x->messages += messages;
        assert_true(task >= 0 && task < 64);
        g->by_task[task]++;
        g->lines++;
    }
    free(text);
}

static const cost_routine *report_get(const cost_report *c, const char *name)
{
    for (size_t i = 0; i < c->nroutines; i++)
        if (strcmp(c->routines[i].routine, name) == 0)
            return &c->routines[i];
    return NULL;
}

static void load(const char *path, scenario *s)
{
    char err[1024];
    int rc = scenario_load(path, s, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
}

/* CO1 and CO4: the walkthrough counted from its steps gives, routine by routine, the calls,
 * traps, RPCs and messages its golden shows, and task by task the lines each task wrote. */
static void test_CO1_CO4_walkthrough_against_its_golden(void **state)
{
    (void)state;
    golden *g = calloc(1, sizeof *g);
    golden_read("traces/walkthrough.expected", g);
    assert_true(g->lines > 0);
    scenario *s = calloc(1, sizeof *s);
    load("traces/walkthrough.fsim", s);
    cost_report *c = calloc(1, sizeof *c);
    run_result *r = calloc(1, sizeof *r);
    assert_int_equal(cost_run(s, false, c, r), 0);
    assert_int_equal(r->verdict, VERDICT_OK);
    unsigned routines = 0;
    for (unsigned i = 0; i < g->n; i++) {
        const golden_routine *x = &g->r[i];
        if (x->traps + x->rpcs == 0)
            continue;   /* named by a receive only */
        routines++;
        const cost_routine *y = report_get(c, x->name);
        if (y == NULL)
            fail_msg("%s: in the golden, not counted", x->name);
        if (y->c.traps != x->traps || y->c.rpcs != x->rpcs || y->c.messages != x->messages)
            fail_msg("%s: counted %llu traps %llu rpcs %llu messages, the golden %u %u %u",
                     x->name, (unsigned long long)y->c.traps, (unsigned long long)y->c.rpcs,
                     (unsigned long long)y->c.messages, x->traps, x->rpcs, x->messages);
        assert_int_equal(y->c.calls, x->traps + x->rpcs);                         /* rule CO1 */
        assert_int_equal(y->server == COST_KERNEL, !x->server);                   /* rule CO1 */
    }
    assert_int_equal(c->nroutines, routines);                                     /* rule CO1 */
    assert_int_equal(c->total.calls, g->lines);                                   /* rule CO1 */
    /* CO4: every task's lines under it as caller, servers' own calls included */
    cost_counts sum = {0};
    for (int t = 0; t < COST_MAX_TASKS; t++) {
        uint64_t calls = 0;
        for (int sv = 0; sv < COST_NSERVERS; sv++) {
            calls += c->callers[t][sv].calls;
            sum.calls += c->callers[t][sv].calls;
            sum.messages += c->callers[t][sv].messages;
        }
        assert_int_equal(calls, t < 64 ? g->by_task[t] : 0);                      /* rule CO4 */
    }
    assert_int_equal(sum.calls, c->total.calls);                                  /* rule CO4 */
    assert_int_equal(sum.messages, c->total.messages);                            /* rule CO4 */
    /* the servers answered: proc's own calls are there (its receives and replies) */
    assert_true(c->callers[1][COST_KERNEL].calls > 0);                            /* rule CO4 */
    run_result_free(r);
    free(r);
    free(c);
    free(s);
    free(g);
}

/* CO3: from the boot, rights made less rights destroyed are the rights alive at the end, kind
 * by kind, in every scenario of a sample (forks, deaths, notifications, exits); and every
 * message the model carried is a call's (CO1) or a notification. */
static void test_CO3_CO1_rights_balance_and_messages_carried(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "traces/walkthrough.fsim", "traces/f2-dead-name.fsim", "traces/f3-send-once.fsim",
        "traces/ports-register.fsim", "traces/compat.fsim",
    };
    scenario *s = calloc(1, sizeof *s);
    cost_report *c = calloc(1, sizeof *c);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        load(paths[i], s);
        run_result *r = calloc(1, sizeof *r);
        assert_int_equal(cost_run(s, true, c, r), 0);
        assert_int_equal(r->invariant_violations, 0);
        for (int k = 0; k < WORLD_RIGHT_KINDS; k++) {
            if (c->end.made[k] - c->end.destroyed[k] != c->live_end[k])
                fail_msg("%s: kind %d: made %llu destroyed %llu, alive %llu", paths[i], k,
                         (unsigned long long)c->end.made[k],
                         (unsigned long long)c->end.destroyed[k],
                         (unsigned long long)c->live_end[k]);
            assert_true(c->end.made[k] > 0);                                      /* rule CO3 */
        }
        uint64_t made = 0, destroyed = 0;
        for (size_t j = 0; j < c->nroutines; j++) {
            made += c->routines[j].c.made;
            destroyed += c->routines[j].c.destroyed;
        }
        uint64_t all_made = 0, all_destroyed = 0;
        for (int k = 0; k < WORLD_RIGHT_KINDS; k++) {
            all_made += c->end.made[k];
            all_destroyed += c->end.destroyed[k];
        }
        /* CO1 against the model's own count of the messages it carried: the kernel RPCs of
         * the stubs are served without one, every other message is a Hurd RPC's request, a
         * mach_msg's send, or a notification */
        uint64_t carried = c->end.notifications;
        for (size_t j = 0; j < c->nroutines; j++)
            if (c->routines[j].server != COST_KERNEL || strcmp(c->routines[j].routine, "mach_msg") == 0)
                carried += c->routines[j].c.messages;
        /* CO1 counts a call as it ends. A run that stops with a call in progress (compat's
         * abort path: _hurd_raise_signal's msg_sig_post waits forever on the signal thread that
         * _Fork left suspended) sent requests no ended call carries: fewer, never more. */
        if (r->verdict == VERDICT_OK)
            assert_int_equal(carried, c->end.kmsgs);                              /* rule CO1 */
        else
            assert_true(carried <= c->end.kmsgs);
        /* every change is charged to a call, or to the tail after the last one */
        assert_int_equal(made + c->tail.made, all_made);                          /* rule CO3 */
        assert_int_equal(destroyed + c->tail.destroyed, all_destroyed);           /* rule CO3 */
        run_result_free(r);
        free(r);
    }
    free(c);
    free(s);
}

/* --- CO2: a call's time on the virtual clock ------------------------------------------------ */

static uint64_t mach_expiry_ms(uint32_t timeout_ms)
{
    uint32_t ticks = (uint32_t)(timeout_ms * 100u + 999u) / 1000u;
    return ((uint64_t)ticks + 1) * 10;
}

static void receive_timed(void *arg)
{
    mach_msg_timeout_t timeout = (mach_msg_timeout_t)(uintptr_t)arg;
    mach_port_t p;
    __mach_port_allocate(__mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
    struct {
        mach_msg_header_t h;
        uint8_t body[64];
    } m;
    memset(&m, 0, sizeof m);
    __mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, p, timeout, MACH_PORT_NULL);
    __mach_port_mod_refs(__mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1);
}

/* A call costs 0 ms; a receive that times out costs the clock's move to its expiry, and only
 * it: every other call of the run costs 0. */
static void test_CO2_time_is_the_clock_moved_by_timeouts(void **state)
{
    (void)state;
    static const uint32_t timeouts[] = {250, 1, 0};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        cost_report *c = calloc(1, sizeof *c);
        cost_start(c, true);
        kern_config cfg = {.sim = {.policy = SIM_RUN_UNTIL_BLOCK}};
        assert_int_equal(kern_open(&cfg), 0);
        kern_boot_task(receive_timed, (void *)(uintptr_t)timeouts[i], NULL);
        assert_int_equal(sim_run(), SIM_OK);
        cost_stop(c);
        uint64_t want = timeouts[i] == 0 ? 0 : mach_expiry_ms(timeouts[i]);
        const cost_routine *m = report_get(c, "mach_msg");
        assert_non_null(m);
        assert_int_equal(m->c.ms, want);                                          /* rule CO2 */
        assert_int_equal(c->total.ms, want);                                      /* rule CO2 */
        assert_int_equal(c->clock_end - c->clock_start, want);                    /* rule CO2 */
        for (size_t j = 0; j < c->nroutines; j++)
            if (c->routines[j].routine != m->routine)
                assert_int_equal(c->routines[j].c.ms, 0);                         /* rule CO2 */
        /* the receive sent nothing (mach_port_mod_refs, an RPC, sent its request and reply) */
        assert_int_equal(m->c.messages, 0);                                       /* rule CO1 */
        assert_int_equal(c->total.messages, 2 * c->total.rpcs);                   /* rule CO1 */
        assert_int_equal(kern_close(), 0);
        free(c);
    }
}

/* CO1's classification by interface, on routine names the Hurd's .defs give. */
static void test_CO1_servers_by_interface(void **state)
{
    (void)state;
    assert_int_equal(cost_server_of("proc_task2pid"), COST_PROC);                 /* rule CO1 */
    assert_int_equal(cost_server_of("auth_getids"), COST_AUTH);                   /* rule CO1 */
    assert_int_equal(cost_server_of("io_reauthenticate"), COST_FS);               /* rule CO1 */
    assert_int_equal(cost_server_of("dir_lookup"), COST_FS);                      /* rule CO1 */
    assert_int_equal(cost_server_of("term_open_ctty"), COST_TERM);                /* rule CO1 */
    assert_int_equal(cost_server_of("exec_exec_paths"), COST_EXEC);               /* rule CO1 */
    assert_int_equal(cost_server_of("msg_sig_post"), COST_MSG);                   /* rule CO1 */
    assert_int_equal(cost_server_of("mach_port_insert_right"), COST_KERNEL);      /* rule CO1 */
    assert_int_equal(cost_server_of("task_create"), COST_KERNEL);                 /* rule CO1 */
    assert_string_equal(cost_server_name(COST_EXEC), "exec");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_CO1_servers_by_interface),
        cmocka_unit_test(test_CO1_CO4_walkthrough_against_its_golden),
        cmocka_unit_test(test_CO3_CO1_rights_balance_and_messages_carried),
        cmocka_unit_test(test_CO2_time_is_the_clock_moved_by_timeouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
