/*
 * test_signals.c: glibc's own signal code (hurdsig.c, intr-msg.c, kill.c, sigsuspend.c,
 * compiled unmodified) on the simulator, checked against the order of calls its source text
 * makes (glibc 2.36) and the rules of mach-msg-thread-proc.md (H11, P12-P14).
 *
 * Each test runs a scenario and reads its trace: which process or thread made which call, in
 * which order. The expected orders come from the source: kill.c's HURD_MSGPORT_RPC (getmsgport,
 * then pid2task for the refport, then msg_sig_post), post_signal's "handle" branch
 * (thread_suspend, thread_abort, thread_get_state, ..., thread_set_state, thread_resume, and the
 * reply once the action is taken), _hurdsig_abort_rpcs (interrupt_operation on the interrupted
 * RPC's port), intr-msg.c (a reply of EINTR with intr_port still set sends the request again).
 */
#include "simtest.h"
#include "runner.h"
#include "scenario.h"
#include "testlib_run.h"
#include "testlib_glibc.h"
#include "source.h"
#include "forkimpl.h"
#include "servers.h"
#include "kern.h"
#include "shim/hurd/fd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static run_result *run_text(const char *text)
{
    run_result *r = test_run_text(text, NULL);
    assert_int_equal(r->invariant_violations, 0);
    return r;
}

/* The first line at or after *from that contains every one of the given fragments; its index
 * after it in *from. False when there is none. */
static bool find_from(const char *trace, const char **from, const char *a, const char *b)
{
    const char *t = *from;
    while (t != NULL && *t != '\0') {
        const char *e = strchr(t, '\n');
        size_t l = e != NULL ? (size_t)(e - t) : strlen(t);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(l < 511 ? l : 511), t);
        if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL)) {
            *from = e != NULL ? e + 1 : t + l;
            return true;
        }
        t = e != NULL ? e + 1 : NULL;
    }
    (void)trace;
    return false;
}

/* Asserts that the lines holding each pair of fragments come in this order after the set-up. */
static void check_order(const run_result *r, const char *const (*steps)[2], size_t n)
{
    const char *at = strstr(r->trace, "# scenario: set-up done");
    assert_non_null(at);
    for (size_t i = 0; i < n; i++)
        if (!find_from(r->trace, &at, steps[i][0], steps[i][1]))
            fail_msg("no line with \"%s\"%s%s after the step before it", steps[i][0],
                     steps[i][1] ? " and " : "", steps[i][1] ? steps[i][1] : "");
}

/* The parent sends the child SIGUSR1 as soon as fork returns; the child waits in sigsuspend. */
static const char handled_before_sigthread[] =
    "forksim-scenario 1\n"
    "parent handler USR1 record\n"
    "parent fork -> ok\n"
    "parent kill USR1\n"
    "child  pause\n"
    "child  exit 4\n"
    "parent wait -> status 4\n";

static void test_P12_kill_asks_proc_then_posts(void **state)
{
    (void)state;
    run_result *r = run_text(handled_before_sigthread);
    /* kill.c: HURD_MSGPORT_RPC (__proc_getmsgport (proc, pid, &msgport),
     * __proc_pid2task (proc, pid, &refport), __msg_sig_post (msgport, sig, 0, refport)) */
    static const char *const steps[][2] = {
        {"t6.6 proc_getmsgport(", NULL},
        {"t6.6 proc_pid2task(", NULL},
        {"t6.6 msg_sig_post(", ", 30, 0, "}, /* SIGUSR1 is 30 on the Hurd, code 0 (SI_USER) */
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P12 */
    const char *at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, "t6.6 msg_sig_post(", "= KERN_SUCCESS")); /* rule P12 */
    test_run_done(r);
}

static void test_P13_P14_handler_frame_then_reply(void **state)
{
    (void)state;
    run_result *r = run_text(handled_before_sigthread);
    /* The child's signal thread (t7.9) serves its message port (msgportdemux.c); post_signal's
     * "handle": thread_suspend, thread_abort (abort_thread), thread_get_state
     * (machine_get_basic_state), the frame (thread_set_state), thread_resume, and only then the
     * reply to the sender (P13: after the action is taken). */
    static const char *const steps[][2] = {
        {"t7.9 trap mach_msg(|RCV", "msg_sig_post"},
        {"t7.9 thread_suspend(", NULL},
        {"t7.9 thread_abort(", NULL},
        {"t7.9 thread_get_state(", NULL},
        {"t7.9 thread_set_state(", "signal frame"},
        {"t7.9 thread_resume(", NULL},
        {"t7.9 trap mach_msg(SEND", "msg_sig_post reply"},
        {"# signal SIGUSR1 to t7: handler", NULL},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rules P13 P14 */
    assert_int_equal(r->verdict, VERDICT_OK); /* rule P14: the handler ran, then exit 4 was seen */
    test_run_done(r);
}

static void test_P14_default_term_ends_the_process(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "parent fork -> ok\n"
                             "parent kill TERM\n"
                             "child  pause\n"
                             "child  exit 0\n"
                             "parent wait -> signal TERM\n");
    /* post_signal's "term": proc_dostop, then (after the reply) _hurd_exit (W_EXITCODE (0,
     * signo)): proc_mark_exit with status 15 (SIGTERM), by the signal thread. */
    static const char *const steps[][2] = {
        {"t7.9 proc_dostop(", NULL},
        {"t7.9 trap mach_msg(SEND", "msg_sig_post reply"},
        {"# signal SIGTERM to t7: default terminate", NULL},
        {"t7.9 proc_mark_exit(", ", 15, 0)"},
        {"t6.6 proc_wait(", "status 0xf,"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P14 */
    assert_int_equal(r->verdict, VERDICT_OK);
    test_run_done(r);
}

static void test_H11_interrupted_wait_is_sent_again(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "parent handler USR1 record\n"
                             "parent fork -> ok\n"
                             "child  kill USR1 to parent\n"
                             "child  exit 5\n"
                             "parent wait -> status 5\n");
    /* The parent (t6.6) waits in proc_wait, an interruptible RPC (intr-msg.c). Its signal
     * thread (t6.7) aborts it: interrupt_operation on proc's port (hurdsig.c:
     * _hurdsig_abort_rpcs), proc answers the waiting request EINTR (libports), the frame waits
     * for that reply, the handler runs, and with SA_RESTART intr_port stays set, so intr-msg.c
     * sends the request again (H11: a RetCode EINTR reply with intr_port set is resent). */
    static const char *const steps[][2] = {
        {"t1.1 trap mach_msg(|RCV", "24020 proc_wait"},         /* the first request */
        {"t6.7 thread_abort(6)", NULL},
        {"t1.1 trap mach_msg(|RCV", "33000 interrupt_operation"},
        {"t1.1 trap mach_msg(SEND", "24120 proc_wait reply"},   /* EINTR to the first */
        {"t6.7 interrupt_operation(", "KERN_SUCCESS"},
        {"t6.7 thread_set_state(6", "signal frame"},
        {"# signal SIGUSR1 to t6: handler", NULL},
        {"t1.1 trap mach_msg(|RCV", "24020 proc_wait"},         /* sent again */
        {"t6.6 proc_wait(", "status 0x500,"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule H11 */
    assert_int_equal(r->verdict, VERDICT_OK);
    test_run_done(r);
}

/* signal-during-fork: the four proc RPCs of _Fork after resume_threads, each interruptible
 * (process.defs is an INTR_INTERFACE). The names come from the issue; their lines and LOSE
 * lines from the compiled _Fork.c's text (forkimpl/source.h), never from a run. */
static const char *const fork_intr_rpcs[] = {
    "proc_get_arg_locations", "proc_set_arg_locations", "proc_task2pid", "proc_child",
};

/* The line of the first "LOSE" at or after the statement that calls __ROUTINE in _Fork.c. */
static unsigned lose_line_after(const char *routine)
{
    char call[64];
    snprintf(call, sizeof call, "__%s (", routine);
    unsigned first = 0;
    assert_int_equal(fi_source_count(call, &first), 1);
    for (unsigned l = first; fi_source_line(l) != NULL; l++)
        if (strstr(fi_source_line(l), "LOSE") != NULL)
            return l;
    fail_msg("no LOSE after %s in _Fork.c", routine);
    return 0;
}

static void run_signal_during(const char *routine, unsigned delay_ms, bool ndebug, run_result **out)
{
    char text[1024];
    snprintf(text, sizeof text,
             "forksim-scenario 1\n"
             "%s"
             "parent handler USR1 record\n"
             "before %s in parent delay reply %u\n"
             "before %s in parent kill USR1 to parent\n"
             "parent fork\n"
             "child  exit 0\n"
             "parent wait\n",
             ndebug ? "fork glibc-ndebug\n" : "", routine, delay_ms, routine);
    *out = run_text(text);
}

/* As shipped, proc slow for longer than the signal thread's interrupt_operation timeout
 * (_hurdsig_interrupt_timeout, 1000 ms; the delay is 5 times that): the interrupt waits behind
 * proc's global lock and times out, _hurdsig_abort_rpcs destroys the reply port and makes the
 * trap return EINTR (the critical section clears intr_port: no restart, P15), and the RPC's
 * LOSE aborts the parent with EINTR. For each of the four RPCs, at that RPC's own LOSE. */
static void test_H11_P15_P16_signal_during_fork_shipped(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fork_intr_rpcs / sizeof fork_intr_rpcs[0]; i++) {
        run_result *r;
        run_signal_during(fork_intr_rpcs[i], 5000, false, &r);
        char want[64];
        snprintf(want, sizeof want, "_Fork.c:%u", lose_line_after(fork_intr_rpcs[i]));
        const fi_abort_record *ab;
        unsigned n = fi_aborts(&ab);
        if (n != 1 || strcmp(ab[0].site, want) != 0 || ab[0].err != EINTR) /* rule P16 */
            fail_msg("%s: expected one abort at %s with EINTR; got %u, first at %s (err %d)",
                     fork_intr_rpcs[i], want, n, n ? ab[0].site : "-", n ? ab[0].err : 0);
        assert_string_equal(ab[0].site, want); /* rule P16: LOSE is assert_perror, as shipped */
        const char *at = strstr(r->trace, "# scenario: set-up done");
        assert_true(find_from(r->trace, &at, "interrupt_operation(", "MACH_RCV_TIMED_OUT")); /* rule P14 */
        assert_true(find_from(r->trace, &at, "# signal SIGUSR1 to t6: pending", NULL)); /* rule P15 */
        char rpc[64];
        snprintf(rpc, sizeof rpc, "t6.6 %s(", fork_intr_rpcs[i]);
        assert_true(find_from(r->trace, &at, rpc, "= 0x40000004")); /* rule H11: EINTR */
        test_run_done(r);
    }
}

/* Built with NDEBUG, LOSE goes to lose: (the child task terminated), the critical section ends
 * (the pending handler runs) and _Fork's "if (err == EINTR) goto retry" forks again (P16,
 * step 12): the fork succeeds on its second attempt. */
static void test_P16_signal_during_fork_ndebug_retries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fork_intr_rpcs / sizeof fork_intr_rpcs[0]; i++) {
        run_result *r;
        run_signal_during(fork_intr_rpcs[i], 5000, true, &r);
        const fi_abort_record *ab;
        assert_int_equal(fi_aborts(&ab), 0);
        const char *at = strstr(r->trace, "# scenario: set-up done");
        char rpc[64];
        snprintf(rpc, sizeof rpc, "t6.6 %s(", fork_intr_rpcs[i]);
        assert_true(find_from(r->trace, &at, "trap task_create(", NULL));
        assert_true(find_from(r->trace, &at, rpc, "= 0x40000004"));
        assert_true(find_from(r->trace, &at, "t6.6 trap task_terminate(", NULL)); /* rule P16: lose: */
        assert_true(find_from(r->trace, &at, "# signal SIGUSR1 to t6: handler", NULL)); /* rule P15 */
        assert_true(find_from(r->trace, &at, "trap task_create(", NULL)); /* rule P16: retry */
        assert_true(find_from(r->trace, &at, rpc, "= KERN_SUCCESS"));
        assert_true(find_from(r->trace, &at, "t6.6 proc_wait(", "= KERN_SUCCESS"));
        assert_int_equal(r->verdict, VERDICT_OK);
        test_run_done(r);
    }
}

/* proc slow, but not past the interrupt's timeout (a fifth of it): interrupt_operation answers
 * 0 once the slow request is served, so the RPC gets proc's real reply (amendment P14/P15:
 * EINTR only when interrupt_operation fails or times out), the fork succeeds, and the handler
 * runs once the critical section ends. */
static void test_P15_signal_during_fork_no_eintr_when_proc_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fork_intr_rpcs / sizeof fork_intr_rpcs[0]; i++) {
        run_result *r;
        run_signal_during(fork_intr_rpcs[i], 200, false, &r);
        const fi_abort_record *ab;
        assert_int_equal(fi_aborts(&ab), 0);
        const char *at = strstr(r->trace, "# scenario: set-up done");
        char rpc[64];
        snprintf(rpc, sizeof rpc, "t6.6 %s(", fork_intr_rpcs[i]);
        assert_true(find_from(r->trace, &at, "interrupt_operation(", "= KERN_SUCCESS")); /* rule PL1 */
        assert_true(find_from(r->trace, &at, "# signal SIGUSR1 to t6: pending", NULL)); /* rule P15 */
        assert_true(find_from(r->trace, &at, rpc, "= KERN_SUCCESS")); /* rule P14: the real reply */
        assert_true(find_from(r->trace, &at, "# signal SIGUSR1 to t6: handler", NULL));
        assert_int_equal(r->verdict, VERDICT_OK);
        test_run_done(r);
    }
}

/* P15: "term, core and stop are unaffected by the lock". SIGTERM with no handler reaches the
 * parent while it waits in proc_task2pid, inside _Fork's critical section: the default action
 * is taken at once by the signal thread (proc_dostop, proc_mark_exit with W_EXITCODE (0,
 * SIGTERM), task_terminate), the RPC never returns, and the child task, never resumed, is left
 * with its threads suspended: the run can never finish (a deadlock naming them). */
static void test_P15_default_action_not_deferred_in_fork(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "before proc_task2pid in parent delay reply 5000\n"
                             "before proc_task2pid in parent kill TERM to parent\n"
                             "parent fork\n"
                             "child  exit 0\n"
                             "parent wait\n");
    static const char *const steps[][2] = {
        {"t6.6 proc_dostop(", NULL},                            /* _Fork's own: the lock taken */
        {"event: proc is to answer proc_task2pid", NULL},
        {"t6.8 proc_dostop(", NULL},                            /* post_signal's "term" */
        {"# signal SIGTERM to t6: default terminate", NULL},
        {"t6.8 proc_mark_exit(", ", 15, 0)"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P15 */
    assert_null(strstr(r->trace, "t6.6 proc_task2pid(")); /* rule P15: the RPC never returned */
    assert_int_equal(r->verdict, VERDICT_DEADLOCK); /* rule P15: the child, never resumed */
    test_run_done(r);
}

/* Issue 9 item 7: an assert failing in _Fork takes glibc's own abort path (stdlib/abort.c,
 * compiled unmodified). Expected from the source text, not from a run: abort unblocks SIGABRT
 * (sigprocmask), raises it (pthread_kill: _hurd_raise_signal, a msg_sig_post of signal 0 to
 * the process's own message port, waiting for the reply), then sets SIGABRT to SIG_DFL with
 * sigaction, whose __libc_sigaction takes ss->critical_section_lock with __spin_lock.
 * - Before resume_threads (_Fork.c:426) the signal thread is stopped (proc_dostop,
 *   thread_abort: P16 steps 2 and 6): raise's msg_sig_post is never answered.
 * - After it, the signal thread answers but delivers nothing (pending_signals: nothing while
 *   the critical section is held, P15), and sigaction then waits for the critical section
 *   lock _Fork took at line 71 and still holds: the thread waits for itself.
 * Either way the process can never finish: the verdict is a deadlock naming where each thread
 * waits (forksim's spin locks block where the Hurd's would spin). */
static const char *report_line(const run_result *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->nmessages; i++) {
        const char *m = r->messages[i];
        while (m != NULL && *m != '\0') {
            const char *e = strchr(m, '\n');
            size_t l = e != NULL ? (size_t)(e - m) : strlen(m);
            char line[256];
            snprintf(line, sizeof line, "%.*s", (int)(l < 255 ? l : 255), m);
            if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL))
                return m;
            m = e != NULL ? e + 1 : NULL;
        }
    }
    return NULL;
}

static void test_P16_abort_before_resume_threads_waits_for_stopped_sigthread(void **state)
{
    (void)state;
    /* mach_port_names (_Fork.c:182) fails: its LOSE comes before resume_threads */
    run_result *r = run_text("forksim-scenario 1\n"
                             "fault rpc 1 routine mach_port_names routine-fails 5\n"
                             "parent fork\n");
    const fi_abort_record *ab;
    assert_int_equal(fi_aborts(&ab), 1);
    unsigned names_line = 0;
    assert_int_equal(fi_source_count("__mach_port_names (", &names_line), 1);
    unsigned resume_line = 0;
    assert_true(fi_source_count("resume_threads ();", &resume_line) >= 1);
    unsigned abort_line = (unsigned)atoi(strchr(ab[0].site, ':') + 1);
    assert_true(abort_line > names_line && abort_line < resume_line); /* rule P16 */
    const char *at = strstr(r->trace, "# abort: task 6:");
    assert_non_null(at);
    assert_true(find_from(r->trace, &at, "# raise: SIGABRT pending on thread 6", NULL));
    assert_null(strstr(at, "t6.6 msg_sig_post(")); /* never answered */
    assert_non_null(report_line(r, "thread 6 (task 6): waits for mach_msg", NULL)); /* rule P16 */
    assert_non_null(report_line(r, "thread 7 (task 6): suspended", NULL)); /* rule P16 */
    assert_int_equal(r->verdict, VERDICT_DEADLOCK); /* rule P16 */
    test_run_done(r);
}

static void test_P15_P16_abort_after_resume_threads_waits_for_itself(void **state)
{
    (void)state;
    run_result *r;
    run_signal_during("proc_child", 5000, false, &r);
    const char *at = strstr(r->trace, "# abort: task 6:");
    assert_non_null(at);
    /* sigprocmask (SIGUSR1, pending, now unblocked) and raise each post signal 0, answered */
    assert_true(find_from(r->trace, &at, "t6.6 msg_sig_post(", ", 0, 0, "));
    assert_true(find_from(r->trace, &at, "# raise: SIGABRT pending on thread 6", NULL));
    assert_true(find_from(r->trace, &at, "t6.6 msg_sig_post(", ", 0, 0, "));
    assert_null(strstr(at, "# signal SIGABRT")); /* rule P15: nothing delivered in the section */
    assert_null(strstr(at, "# signal SIGUSR1"));  /* rule P15 */
    assert_non_null(report_line(r, "thread 6 (task 6): waits for lock", "held by thread 6")); /* rule P16 */
    assert_int_equal(r->verdict, VERDICT_DEADLOCK); /* rule P16 */
    test_run_done(r);
}

/* A plain fork through the C API in the ipc-compat world (rule C2: each new task starts with a
 * receive right for its notify port) ends in a deadlock under every scheduling policy, and
 * the report opens with its cause. Expected from the source text, as record case 2
 * (traces/compat.fsim) predicts it: the parent holds its own notify port too, so the copy
 * loop's allocate_name for it in the child finds the name taken (KERN_NAME_EXISTS), and the
 * LOSE of that call is assert_perror (_Fork.c:74); the abort comes before resume_threads, so
 * raise's msg_sig_post waits for the signal thread proc_dostop stopped (P16). No policy
 * changes that: the order only moves the servers' boot (and so the step the deadlock is found
 * at), never the fork, which runs in one thread while the others wait for it. A user of the
 * API reading forksim_report alone should see the abort first, not only the waits. */
static int fork_then_wait(void *arg)
{
    (void)arg;
    pid_t pid = forksim_fork();
    if (pid == 0)
        return 0;
    int status;
    forksim_wait(pid, &status);
    return 0;
}

/* Whether one line of report contains both fragments. */
static bool report_has_line(const char *report, const char *a, const char *b)
{
    for (const char *m = report; m != NULL && *m != '\0';) {
        const char *e = strchr(m, '\n');
        size_t l = e != NULL ? (size_t)(e - m) : strlen(m);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(l < 255 ? l : 255), m);
        if (strstr(line, a) != NULL && strstr(line, b) != NULL)
            return true;
        m = e != NULL ? e + 1 : NULL;
    }
    return false;
}

static void test_C2_P16_compat_fork_aborts_then_deadlocks_under_every_policy(void **state)
{
    (void)state;
    const char *call = "__mach_port_allocate_name (newtask, MACH_PORT_RIGHT_RECEIVE";
    assert_int_equal(fi_source_count(call, NULL), 1);
    static const struct {
        enum forksim_policy policy;
        uint64_t seed;
    } runs[] = {{FORKSIM_RUN_UNTIL_BLOCK, 0}, {FORKSIM_ROUND_ROBIN, 0}, {FORKSIM_RANDOM, 1},
                {FORKSIM_RANDOM, 2}, {FORKSIM_RANDOM, 3}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        forksim_options o = FORKSIM_DEFAULTS;
        o.policy = runs[i].policy;
        o.seed = runs[i].seed;
        o.ipc_compat = true;
        assert_int_equal(forksim_open(&o), 0);
        int parent = forksim_process_id(forksim_spawn(fork_then_wait, NULL));
        enum forksim_result result = forksim_run();
        forksim_abort ab[4];
        size_t naborts = forksim_aborts(ab, 4);
        char report[4096];
        snprintf(report, sizeof report, "%s", forksim_report());
        forksim_close(); /* before any assertion: a failed one leaves no simulation open */
        assert_int_equal(result, FORKSIM_DEADLOCK); /* rule P16 */
        assert_int_equal(naborts, 1);
        assert_int_equal(ab[0].process, parent);
        assert_true(fi_source_site_has(ab[0].site, call)); /* rule C2 */
        assert_true(fi_source_site_has(ab[0].site, "LOSE"));
        assert_int_equal(ab[0].error, KERN_NAME_EXISTS); /* rule C2 */
        char head[128], task[32];
        snprintf(head, sizeof head, "abort: task %d at %s: ", parent, ab[0].site);
        if (strncmp(report, head, strlen(head)) != 0)
            fail_msg("policy %d seed %llu: the report does not open with the abort \"%s\":\n%s",
                     (int)runs[i].policy, (unsigned long long)runs[i].seed, head, report);
        assert_non_null(strstr(report, ": KERN_NAME_EXISTS\n"));
        snprintf(task, sizeof task, "(task %d)", parent);
        assert_true(report_has_line(report, task, ": waits for mach_msg")); /* rule P16 */
        assert_true(report_has_line(report, task, ": suspended (count 1)")); /* rule P16 */
    }
}

/* The rest of abort's path, where no critical section is held (a child after fork), driven
 * directly in a simulated process (no scenario step reaches it):
 * - abort: raise (SIGABRT) reaches the signal thread, whose default action for SIGABRT (SIGIOT:
 *   core, P14) ends the process: the parent's wait sees W_EXITCODE (0, SIGABRT), no core flag
 *   (no crash server: write_corefile fails);
 * - ABORT_INSTRUCTION alone (i386's hlt): GNU Mach reports the general protection fault as
 *   exception_raise (EXC_BAD_INSTRUCTION, i386/i386/trap.c) to the exception port, the message
 *   port (_hurdsig_init); catch-exc.c and exc2signal.c make it SIGILL, default core: the wait
 *   sees W_EXITCODE (0, SIGILL). (Hurd numbers, glibc's bits/signum-arch.h: SIGILL 4,
 *   SIGABRT 6.) */
_Noreturn void forksim_glibc_abort(void);
void fi_abort_instruction(void);
static struct {
    int status;
    kern_return_t kr;
} abort_seen;

static int abort_child_main(void *arg)
{
    pid_t pid = fi_fork();
    if (pid == 0) {
        if (arg != NULL)
            forksim_glibc_abort();
        fi_abort_instruction();
        return 99; /* not reached: the fault ends the process */
    }
    int status = 0, sigcode = 0;
    pid_t got = 0;
    rusage_t ru;
    abort_seen.kr = __proc_wait(_hurd_ports[INIT_PORT_PROC].port, pid, 0, &status, &sigcode, &ru, &got);
    abort_seen.status = status;
    return 0;
}

static char *run_main(fi_main_fn fn, void *arg)
{
    fi_aborts_reset();
    char *buf = NULL;
    size_t len = 0;
    FILE *trace = open_memstream(&buf, &len);
    kern_config cfg = {.trace = trace};
    assert_int_equal(kern_open(&cfg), 0);
    fi_install();
    fi_set_fork_variant(FI_FORK_GLIBC);
    assert_int_equal(hurd_boot(), 0);
    fi_spawn(fn, arg, NULL);
    assert_int_equal(sim_run(), SIM_OK);
    assert_int_equal(kern_close(), 0);
    fclose(trace);
    return buf;
}

static char *run_abort_child(bool whole_abort)
{
    memset(&abort_seen, 0, sizeof abort_seen);
    return run_main(abort_child_main, whole_abort ? (void *)1 : NULL);
}

static void test_P14_abort_outside_critical_section_ends_by_sigabrt(void **state)
{
    (void)state;
    char *trace = run_abort_child(true);
    assert_int_equal(abort_seen.kr, KERN_SUCCESS);
    assert_int_equal(abort_seen.status, HURD_W_EXITCODE(0, 6)); /* rule P14: SIGABRT, core */
    assert_non_null(strstr(trace, "# signal SIGABRT to t")); /* rule P14 */
    assert_null(strstr(trace, "exception_raise")); /* hlt is never reached */
    free(trace);
}

static void test_P14_abort_instruction_is_an_exception_then_sigill(void **state)
{
    (void)state;
    char *trace = run_abort_child(false);
    const char *at = strstr(trace, "# fault: task ");
    assert_non_null(at);
    assert_true(find_from(trace, &at, "trap mach_msg(|RCV", "2400 exception_raise")); /* the signal thread */
    assert_true(find_from(trace, &at, "# signal SIGILL to t", NULL));
    assert_int_equal(abort_seen.status, HURD_W_EXITCODE(0, 4)); /* rule P14: SIGILL, core */
    free(trace);
}

/* Stop and continue (P14: "stop: proc_dostop, abort RPCs, then proc_mark_stop (the parent gets
 * SIGCHLD with CLD_STOPPED). On CONT, all threads are resumed"; the Hurd's proc/wait.c:
 * S_proc_mark_stop, S_proc_mark_cont; hurdsig.c: suspend, resume). The child, waiting in
 * pause, is stopped by SIGSTOP; the parent's wait with WUNTRACED gets W_STOPCODE (SIGSTOP);
 * SIGCONT's resume tells proc (proc_mark_cont) and resumes the stopped main thread; SIGTERM
 * then ends it. SIGSTOP is 17 on the Hurd (bits/signum-arch.h). */
static void test_P14_stop_and_continue(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "parent fork -> ok\n"
                             "child  pause\n"
                             "child  exit 0\n"
                             "parent yield\n"
                             "parent kill STOP\n"
                             "parent wait untraced -> stopped STOP\n"
                             "parent kill CONT\n"
                             "parent kill TERM\n"
                             "parent wait -> signal TERM\n");
    char stopped[64];
    snprintf(stopped, sizeof stopped, "status 0x%x,", HURD_W_STOPCODE(17));
    static const char *const steps[][2] = {
        {"t7.9 proc_dostop(", NULL},                     /* suspend: the other threads */
        {"t7.9 proc_mark_stop(", ", 17, 0)"},
        {"# signal SIGSTOP to t7: default stop", NULL},
        {"t7.9 proc_mark_cont(", "= KERN_SUCCESS"},      /* resume */
        {"t7.9 task_threads(", NULL},
        {"t7.9 thread_resume(", NULL},
        {"# signal SIGCONT to t7: default continue", NULL},
        {"# signal SIGTERM to t7: default terminate", NULL},
        {"t6.6 proc_wait(", "status 0xf,"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P14 */
    const char *at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, "t6.6 proc_wait(", stopped)); /* rule P11: WUNTRACED */
    assert_int_equal(r->verdict, VERDICT_OK); /* rule P14 */
    test_run_done(r);
}

/* SIGTSTP, whose default is stop too, does not stop a process of an orphaned process group:
 * post_signal turns it into SIGKILL (hurdsig.c: "_hurd_orphaned && act == stop", spec P14
 * amendment). The child is in init's group with its parent, whose parent is init, in the same
 * group: orphaned (POSIX), which proc tells it in msg_proc_newids. */
static void test_P14_tstp_kills_an_orphaned_process(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "parent fork -> ok\n"
                             "child  pause\n"
                             "child  exit 0\n"
                             "parent yield\n"
                             "parent kill TSTP\n"
                             "parent wait -> signal KILL\n");
    const char *at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, "# signal SIGKILL to t7: default terminate", NULL)); /* rule P14 */
    assert_null(strstr(r->trace, "proc_mark_stop(")); /* rule P14: no stop */
    assert_int_equal(r->verdict, VERDICT_OK);
    test_run_done(r);
}

/* kill's refport when proc_pid2task fails is the caller's session id port
 * (proc_getsidport, the Hurd's proc/pgrp.c: made on first request, a MAKE_SEND right): asked
 * twice, the same port, which merges into one name of the caller's. */
static struct {
    kern_return_t kr1, kr2;
    mach_port_t p1, p2;
    mach_port_type_t type;
} sid_seen;

static int sid_main(void *arg)
{
    (void)arg;
    sid_seen.kr1 = __proc_getsidport(_hurd_ports[INIT_PORT_PROC].port, &sid_seen.p1);
    sid_seen.kr2 = __proc_getsidport(_hurd_ports[INIT_PORT_PROC].port, &sid_seen.p2);
    mk_mach_port_type(kern_self(), __mach_task_self_, sid_seen.p1, &sid_seen.type); /* untraced */
    return 0;
}

static void test_P12_getsidport(void **state)
{
    (void)state;
    memset(&sid_seen, 0, sizeof sid_seen);
    char *trace = run_main(sid_main, NULL);
    assert_int_equal(sid_seen.kr1, KERN_SUCCESS); /* rule P12 */
    assert_int_equal(sid_seen.kr2, KERN_SUCCESS);
    assert_true(MACH_PORT_VALID(sid_seen.p1));
    assert_int_equal(sid_seen.p2, sid_seen.p1);   /* rule P12: one port per session */
    assert_true(sid_seen.type & MACH_PORT_TYPE_SEND);
    assert_non_null(strstr(trace, "proc_getsidport reply"));
    free(trace);
}


/* --- kill by name, and handlers that call another directive's action (issue 9, item 3) ------ */

/* A scenario of traces/, loaded and run; *sp keeps the scenario (run_task_role reads it). */
static run_result *run_trace(const char *name, scenario **sp)
{
    char path[128];
    snprintf(path, sizeof path, "traces/%s.fsim", name);
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    if (scenario_load(path, s, err, sizeof err) != 0)
        fail_msg("%s", err);
    run_result *r = calloc(1, sizeof *r);
    run_options none = {0};
    assert_int_equal(run_scenario(s, &none, r), 0);
    assert_int_equal(r->invariant_violations, 0);
    *sp = s;
    return r;
}

/* How many lines of the trace after the set-up hold both fragments. */
static unsigned count_lines(const run_result *r, const char *a, const char *b)
{
    const char *at = strstr(r->trace, "# scenario: set-up done");
    unsigned n = 0;
    while (at != NULL && find_from(r->trace, &at, a, b))
        n++;
    return n;
}

/* The task number the trace's "tasks:" legend gives a role ("the child", "gnunet-arm"). */
static int task_of(const run_result *r, const char *role)
{
    char want[64];
    snprintf(want, sizeof want, " %s", role);
    for (const char *l = r->legend; (l = strchr(l, 't')) != NULL; l++) {
        int t, n = 0;
        if (sscanf(l, "t%d%n", &t, &n) == 1 && strncmp(l + n, want, strlen(want)) == 0 &&
            (l[n + strlen(want)] == ',' || l[n + strlen(want)] == '\0'))
            return t;
    }
    fail_msg("no %s in the legend \"%s\"", role, r->legend);
    return 0;
}

/* gnunet-vfork-third: gnunet-arm, a process of its own, kills svc (the vforked child) by name.
 * Oracles: kill.c's order (proc_getmsgport, proc_pid2task, msg_sig_post, lines 104-105 and 67
 * of sysdeps/mach/hurd/kill.c) made by gnunet-arm's own task, with svc's pid as the parent's
 * vfork returned it; one msg_sig_post of SIGTERM (15 on the Hurd) per kill of the scenario;
 * the parent's handler run in the child, and the wait status of exit 3 per POSIX
 * (WEXITSTATUS: the status is 3 << 8); no exec started. */
static void test_P12_kill_by_name_from_a_third_process(void **state)
{
    (void)state;
    scenario *s;
    run_result *r = run_trace("gnunet-vfork-third", &s);
    assert_int_equal(r->verdict, VERDICT_OK);
    int arm = task_of(r, "gnunet-arm"), child = task_of(r, "the child");
    assert_true(r->child_pid > 0);
    char getmsgport[64], pid2task[64], sender[16], note[64], status[32];
    snprintf(sender, sizeof sender, "t%d.", arm);
    snprintf(getmsgport, sizeof getmsgport, "proc_getmsgport(4, %d)", (int)r->child_pid);
    snprintf(pid2task, sizeof pid2task, "proc_pid2task(4, %d)", (int)r->child_pid);
    snprintf(note, sizeof note, "# signal SIGTERM to t%d: handler", child);
    snprintf(status, sizeof status, "status 0x%x,", 3 << 8);
    const char *const steps[][2] = {
        {sender, getmsgport}, {sender, pid2task}, {note, NULL},
        {sender, "msg_sig_post("}, /* P13: answered once the action is taken */
        {"proc_wait(", status},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P12 */
    unsigned kills = 0; /* the scenario's kills of SIGTERM, from the file */
    for (size_t i = 0; i < s->nsteps; i++)
        kills += s->steps[i].kind == STEP_KILL && s->steps[i].signo == 15;
    assert_int_equal(kills, 1);
    assert_int_equal(count_lines(r, "msg_sig_post(", ", 15, 0, "), kills);
    assert_int_equal(count_lines(r, "# exec: /bin/true starts", NULL), 0);
    test_run_done(r);
    free(s);
}

/* A scripted kill to a process whose fork has not returned waits for its pid: the sender is
 * handed it when fork returns in the parent (after proc_child, _Fork.c:541), so its
 * proc_getmsgport comes after the parent's proc_child; the outcome names the process. */
static void test_P12_kill_by_name_waits_for_the_pid(void **state)
{
    (void)state;
    scenario *s = test_scenario_text("forksim-scenario 1\n"
                                     "process stopper\n"
                                     "stopper kill TERM to svc\n" /* before the fork, in the file */
                                     "stopper exit 0\n"
                                     "parent fork as svc -> ok\n"
                                     "child  pause\n"
                                     "parent wait svc -> signal TERM\n");
    run_result *r = calloc(1, sizeof *r);
    run_options none = {0};
    assert_int_equal(run_scenario(s, &none, r), 0);
    assert_int_equal(r->verdict, VERDICT_OK); /* TERM's default action ended svc: W_EXITCODE(0, 15) */
    int stopper = task_of(r, "stopper");
    char sender[16], getmsgport[64];
    snprintf(sender, sizeof sender, "t%d.", stopper);
    snprintf(getmsgport, sizeof getmsgport, "proc_getmsgport(4, %d)", (int)r->child_pid);
    const char *const steps[][2] = {{"proc_child(", NULL}, {sender, getmsgport}};
    check_order(r, steps, sizeof steps / sizeof steps[0]);
    /* the explorer's outcome key names where each signal acted by run_task_role */
    const fi_signal_event_record *ev;
    unsigned n = fi_signal_events(&ev), terms = 0;
    for (unsigned i = 0; i < n; i++)
        if (ev[i].signo == 15 && strcmp(ev[i].what, "default terminate") == 0) {
            assert_string_equal(run_task_role(ev[i].task), "child svc");
            terms++;
        }
    assert_int_equal(terms, 1);
    test_run_done(r);
    free(s);
}

/* A named process of its own is a target too, and its signal shows under its name. */
static void test_P14_named_process_takes_a_signal(void **state)
{
    (void)state;
    scenario *s = test_scenario_text("forksim-scenario 1\n"
                                     "process arm\n"
                                     "arm handler USR1 record\n"
                                     "arm pause\n"
                                     "arm exit 4\n"
                                     "parent yield\n"
                                     "parent kill USR1 to arm\n");
    run_result *r = calloc(1, sizeof *r);
    run_options none = {0};
    assert_int_equal(run_scenario(s, &none, r), 0);
    assert_int_equal(r->verdict, VERDICT_OK);
    int arm = task_of(r, "arm");
    char note[64], exit4[64];
    snprintf(note, sizeof note, "# signal SIGUSR1 to t%d: handler", arm);
    snprintf(exit4, sizeof exit4, "t%d.%d proc_mark_exit(4, %d, 0)", arm, arm, 4 << 8);
    const char *const steps[][2] = {{"t6.6 msg_sig_post(", ", 30, 0, "}, {note, NULL}, {exit4, NULL}};
    check_order(r, steps, sizeof steps / sizeof steps[0]);
    const fi_signal_event_record *ev;
    unsigned n = fi_signal_events(&ev), seen = 0;
    for (unsigned i = 0; i < n; i++)
        if (ev[i].task == arm && ev[i].signo == 30) {
            assert_string_equal(run_task_role(ev[i].task), "process arm");
            seen++;
        }
    assert_int_equal(seen, 1);
    test_run_done(r);
    free(s);
}

/* handler-action: SIGTERM's handler kills its own process with SIGUSR1; SIGUSR1's handler runs
 * inside it. Oracles: hurdsig.c blocks only SIGNO and sa_mask (empty here) for a handler's run
 * (lines 1130-1135), so SIGUSR1 is delivered while SIGTERM's handler is on the stack: its run
 * has depth 2, on the same thread, on the same stack below the first (x86-64 stacks grow down,
 * and the signal frame is pushed below the interrupted code's frames); each action's trace lines
 * lie between its begin and end notes, nested; two msg_sig_post, one per kill of the file. */
static void test_P14_handler_action_runs_inside_the_handler(void **state)
{
    (void)state;
    scenario *s;
    run_result *r = run_trace("handler-action", &s);
    assert_int_equal(r->verdict, VERDICT_OK);
    const fi_handler_run *h;
    assert_int_equal(fi_handler_runs(&h), 2);
    assert_int_equal(h[0].signo, 15);
    assert_int_equal(h[0].depth, 1);
    assert_int_equal(h[1].signo, 30);
    assert_int_equal(h[1].depth, 2);
    assert_int_equal(h[1].thread, h[0].thread);
    assert_true(h[1].frame < h[0].frame);
    assert_true(h[0].frame - h[1].frame < 256 * 1024); /* one stack, not another thread's */
    const char *const steps[][2] = {
        {"# handler SIGTERM on t6 (depth 1)", "action begins"},
        {"t6.6 proc_getmsgport(", NULL},
        {"# signal SIGUSR1 to t6: handler", NULL},
        {"# handler SIGUSR1 on t6 (depth 2)", "action begins"},
        {"t6.6 mach_port_get_refs(", NULL},
        {"# handler SIGUSR1 on t6 (depth 2)", "action ends"},
        {"t6.6 msg_sig_post(", ", 30, 0, "},
        {"# handler SIGTERM on t6 (depth 1)", "action ends"},
        {"t6.6 msg_sig_post(", ", 15, 0, "},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]);
    unsigned kills = 0; /* steps and handler actions alike */
    for (size_t i = 0; i < s->nsteps; i++)
        kills += s->steps[i].kind == STEP_KILL;
    assert_int_equal(kills, 2);
    assert_int_equal(count_lines(r, "t6.6 msg_sig_post(", NULL), kills);
    test_run_done(r);
    free(s);
}

/* handler-exec: the vforked child's inherited SIGTERM handler execs /bin/sigreport. Oracles:
 * POSIX execve keeps the signal mask, and hurdsig.c adds SIGTERM to the blocked set for the
 * handler's run (line 1135), which hurdexec.c packs as INIT_SIGMASK (line 145): the new
 * program starts with SIGTERM's bit (1 << (15 - 1)) blocked; the exec's lookup is made by the
 * child's main thread after the handler's action began; sigreport's exit 0 is the status. */
static void test_P14_handler_action_execs_in_the_child(void **state)
{
    (void)state;
    fi_execs_reset();
    scenario *s;
    run_result *r = run_trace("handler-exec", &s);
    assert_int_equal(r->verdict, VERDICT_OK);
    int child = task_of(r, "the child");
    const fi_exec_record *e;
    assert_int_equal(fi_execs(&e), 1);
    assert_int_equal(e[0].task, child);
    assert_string_equal(e[0].path, "/bin/sigreport");
    assert_true(e[0].blocked & (1ul << (15 - 1)));
    char begins[64], lookup[32], started[64];
    snprintf(begins, sizeof begins, "# handler SIGTERM on t%d (depth 1)", child);
    snprintf(lookup, sizeof lookup, "t%d.", child);
    snprintf(started, sizeof started, "# exec: /bin/sigreport starts in t%d", child);
    const char *const steps[][2] = {
        {begins, "action begins"}, {lookup, "dir_lookup("}, {started, NULL}, {"proc_wait(", "status 0,"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]);
    test_run_done(r);
    free(s);
}

/* --- a kill into the named process's own fork; "in NAME" anchors (issue 9, item 3) -------- */

/* kill-in-own-fork: SIGTERM to svc just after the parent's proc_task2proc (_Fork.c:200).
 * Oracles: proc/mgt.c's new_proc (the entry S_mach_notify_new_task makes for the new task,
 * rule P1, has no message port and p_deadmsg clear, so proc_getmsgport answers MACH_PORT_NULL at once, proc/msg.c); kill.c's
 * kill_port: no message port and a task, SIGTERM -> __task_terminate of that task, and no
 * msg_sig_post at all; the task terminated is the one the parent's task_create made, on which
 * _Fork.c's next RPC then fails with MACH_SEND_INVALID_DEST (its LOSE aborts the parent). */
static void test_P12_kill_into_own_fork_terminates_the_half_made_task(void **state)
{
    (void)state;
    scenario *s;
    run_result *r = run_trace("kill-in-own-fork", &s);
    assert_int_equal(r->verdict, VERDICT_DEADLOCK); /* glibc's abort never ends the parent */
    int parent = task_of(r, "the parent");
    char ptag[16];
    snprintf(ptag, sizeof ptag, "t%d.", parent);
    /* the event lands right after the parent's own proc_task2proc returned */
    const char *at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, ptag, "proc_task2proc("));
    assert_non_null(strstr(at, "# event: the killer is to send SIGTERM to svc"));
    assert_true(strstr(at, "# event: the killer is to send SIGTERM to svc") < strchr(at, '\n'));
    /* the child task's name in the parent, from task_create */
    at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, ptag, "task_create(1, 1) = KERN_SUCCESS -> "));
    const char *p = at - 2;
    while (p > r->trace && p[-1] != ' ')
        p--;
    unsigned newtask = (unsigned)strtoul(p, NULL, 10);
    assert_true(newtask != 0);
    /* the killer: the sender of the proc_getmsgport that answers no port */
    at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, "proc_getmsgport(4, ", ") = KERN_SUCCESS -> 0"));
    const char *l = at - 1;
    while (l > r->trace && l[-1] != '\n')
        l--;
    char killer[16];
    assert_int_equal(sscanf(l, " %*d %15[^.]", killer), 1);
    assert_string_not_equal(killer, ptag);
    char k_tag[20], term[48], extract[64];
    snprintf(k_tag, sizeof k_tag, "%s.", killer);
    /* the task proc gives the killer (a name in the killer's space) is the one it terminates */
    at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, k_tag, "proc_pid2task("));
    const char *ans = at - 1;
    while (ans > r->trace && ans[-1] != '\n')
        ans--;
    ans = strstr(ans, "= KERN_SUCCESS -> ");
    assert_non_null(ans);
    unsigned ktask = (unsigned)strtoul(ans + strlen("= KERN_SUCCESS -> "), NULL, 10);
    snprintf(term, sizeof term, "task_terminate(%u) = KERN_SUCCESS", ktask);
    snprintf(extract, sizeof extract, "(%u, ", newtask);
    const char *const steps[][2] = {
        {k_tag, "proc_getmsgport("}, {k_tag, "proc_pid2task("}, {k_tag, term},
        {ptag, "MACH_SEND_INVALID_DEST"}, {"# abort: task", "_Fork.c:"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]);
    at = strstr(r->trace, "# scenario: set-up done");
    assert_true(find_from(r->trace, &at, ptag, "MACH_SEND_INVALID_DEST"));
    l = at - 1;
    while (l > r->trace && l[-1] != '\n')
        l--;
    assert_true(strstr(l, extract) != NULL && strstr(l, extract) < at); /* on the child task */
    assert_int_equal(count_lines(r, "msg_sig_post(", ", 15, 0, "), 0);
    test_run_done(r);
    free(s);
}

/* The same kill with SIGUSR1: kill.c's kill_port has no way to express it to a task without a
 * message port (its switch's default: EPERM), so the kill fails with EPERM, nothing is posted,
 * and the fork goes on; the pid the killer used is the one fork then returns in the parent
 * (proc_task2pid answers the entry proc made for the task on task_create's notification). */
static void test_P12_kill_into_own_fork_other_signal_is_eperm(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "policy round-robin\n"
                             "parent fork as svc -> ok\n"
                             "child  exit 0\n"
                             "parent wait svc -> status 0\n"
                             "after proc_task2proc in parent kill USR1 to svc\n");
    assert_int_equal(r->verdict, VERDICT_OK);
    assert_true(r->child_pid > 0);
    char getmsgport[64], pid2task[48];
    snprintf(getmsgport, sizeof getmsgport, "proc_getmsgport(4, %d) = KERN_SUCCESS -> 0", (int)r->child_pid);
    snprintf(pid2task, sizeof pid2task, "proc_pid2task(4, %d) = KERN_SUCCESS", (int)r->child_pid);
    const char *const steps[][2] = {
        {"proc_task2proc(", NULL}, {getmsgport, NULL}, {pid2task, NULL},
        {"# event: the killer sends SIGUSR1 to svc", ": EPERM"}, {"proc_child(", NULL},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]);
    assert_int_equal(count_lines(r, "msg_sig_post(", ", 30, 0, "), 0); /* SIGUSR1 is 30 */
    assert_int_equal(count_lines(r, "task_terminate(", NULL), count_lines(r, "task_terminate(1)", NULL));
    test_run_done(r);
}

/* Just after task_create, before proc has handled the kernel's mach_notify_new_task (rules
 * NT2, P1: proc makes the entry then, S_mach_notify_new_task in the Hurd's proc/mgt.c), proc's
 * table has no entry for the child task: the killer has no pid and sends nothing; the fork and
 * the child are as without the kill. Under round-robin the killer runs before proc does. */
static void test_P12_kill_before_proc_meets_the_task_sends_nothing(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "policy round-robin\n"
                             "parent fork as svc -> ok\n"
                             "child  exit 0\n"
                             "parent wait svc -> status 0\n"
                             "after task_create in parent kill TERM to svc\n");
    assert_int_equal(r->verdict, VERDICT_OK);
    const char *const steps[][2] = {
        {"task_create(", NULL},
        {"# event: the killer is to send SIGTERM to svc", NULL},
        {"# event: proc's table has no entry for svc's task", "SIGTERM not sent"},
        {"-> id 4400 mach_notify_new_task", NULL},
        {"proc_task2proc(", NULL},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P1 */
    assert_int_equal(count_lines(r, "proc_getmsgport(", NULL), 0);
    assert_int_equal(count_lines(r, "proc_pid2task(", NULL), 0);
    assert_int_equal(count_lines(r, "msg_sig_post(", ", 15, 0, "), 0);
    test_run_done(r);
}

/* The same kill placed before the parent's proc_task2proc: proc has met the child task through
 * the new-task notification already (it is handled before that request, which comes after it
 * in proc's queue), so the killer finds the pid, as a Hurd killer would (P1), and SIGTERM
 * terminates the half-made task: the parent's next RPC on it fails and LOSE aborts it. */
static void test_P12_kill_after_the_notification_finds_the_pid(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "policy round-robin\n"
                             "parent fork as svc -> ok\n"
                             "child  exit 0\n"
                             "parent wait svc -> status 0\n"
                             "before proc_task2proc in parent kill TERM to svc\n");
    const char *const steps[][2] = {
        {"task_create(", NULL},
        {"-> id 4400 mach_notify_new_task", NULL},
        {"# event: the killer is to send SIGTERM to svc", NULL},
        {"# event: the killer finds svc's pid", NULL},
        {"task_terminate(", "KERN_SUCCESS"},
        {"# abort: task", "MACH_SEND_INVALID_DEST"},
    };
    check_order(r, steps, sizeof steps / sizeof steps[0]); /* rule P1 */
    assert_int_equal(r->verdict, VERDICT_DEADLOCK);
    test_run_done(r);
}

/* "in NAME" counts only the calls of NAME's own task: the first thread_resume in svc is the
 * child's (of its signal thread, _Fork.c:673, inside its part of fork), though the parent made
 * thread_resume calls before it (resume_threads, _Fork.c:426); the event lands just before it. */
static void test_anchor_in_name_is_a_call_of_that_process(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "policy round-robin\n"
                             "parent handler TERM record\n"
                             "parent fork as svc -> ok\n"
                             "child  exit 0\n"
                             "parent wait svc\n"
                             "before thread_resume in svc kill TERM to parent\n");
    assert_int_equal(r->verdict, VERDICT_OK);
    int parent = task_of(r, "the parent"), child = task_of(r, "the child");
    char ptag[16], ctag[16];
    snprintf(ptag, sizeof ptag, "t%d.", parent);
    snprintf(ctag, sizeof ctag, "t%d.", child);
    const char *at = strstr(r->trace, "# scenario: set-up done");
    const char *note = strstr(at, "# event: the killer is to send SIGTERM to the parent");
    assert_non_null(note);
    /* the parent's thread_resume calls came before, the child's first one right after */
    const char *from = at;
    assert_true(find_from(r->trace, &from, ptag, "thread_resume("));
    assert_true(from <= note);
    from = note;
    assert_true(find_from(r->trace, &from, "thread_resume(", NULL));
    const char *l = from - 1;
    while (l > r->trace && l[-1] != '\n')
        l--;
    assert_non_null(strstr(l, ctag));
    assert_true(strstr(l, ctag) < from);
    from = at;
    unsigned before = 0; /* no thread_resume of the child's before the note */
    while (find_from(r->trace, &from, ctag, "thread_resume(") && from <= note)
        before++;
    assert_int_equal(before, 0);
    test_run_done(r);
}

/* "in NAME" for a process of its own: arm's kill makes its proc_getmsgport (kill.c), and the
 * event anchored at it lands before that call returns in arm and before any other of arm's. */
static void test_anchor_in_name_of_a_process_of_its_own(void **state)
{
    (void)state;
    run_result *r = run_text("forksim-scenario 1\n"
                             "process arm\n"
                             "arm kill TERM to svc\n"
                             "parent handler USR1 record\n"
                             "parent fork as svc -> ok\n"
                             "child  pause\n"
                             "parent wait svc -> signal TERM\n"
                             "before proc_getmsgport in arm kill USR1 to parent\n");
    assert_int_equal(r->verdict, VERDICT_OK);
    char atag[16];
    snprintf(atag, sizeof atag, "t%d.", task_of(r, "arm"));
    const char *at = strstr(r->trace, "# scenario: set-up done");
    const char *note = strstr(at, "# event: the killer is to send SIGUSR1 to the parent");
    assert_non_null(note);
    const char *from = at;
    assert_true(find_from(r->trace, &from, atag, "proc_getmsgport("));
    assert_true(from > note); /* arm's only proc_getmsgport comes after the event */
    assert_int_equal(count_lines(r, atag, "proc_getmsgport("), 1);
    test_run_done(r);
}

/* PG1 (the Hurd's proc/pgrp.c: S_proc_getpgrppids; glibc's kill.c for pid <= 0). The main
 * process forks two children that wait for a signal; the group ids it asks for, and what kill
 * of a group does, are checked against pgrp.c: group 0 is the caller's; every process here is in
 * init's group (pid 1); its members come newest first (join_pgrp puts a new member at the
 * head), init, startup, the kernel and proc itself left out (important); a group no process is
 * in is ESRCH. kill (-1) is kill.c's proc_getpgrppids (proc, 1): each member, the caller
 * included, gets msg_sig_post. */
#define PG_SIGTERM 15 /* the Hurd's bits/signum-generic.h, as everywhere */
static struct {
    pid_t self, c1, c2;
    kern_return_t kr0, kr1, kr_none;
    pid_t got0[10], got1[10];
    mach_msg_type_number_t n0, n1;
    int kill_result;
    int status1, status2;
} pg_seen;

static int pg_child_main(void)
{
    fi_wait_for_signal();
    return 0;
}

static int pg_main(void *arg)
{
    (void)arg;
    mach_port_t proc = _hurd_ports[INIT_PORT_PROC].port;
    /* pg_seen is host memory, shared by every process: only the parent writes it */
    pid_t c1 = fi_fork();
    if (c1 == 0)
        return pg_child_main();
    pid_t c2 = fi_fork();
    if (c2 == 0)
        return pg_child_main();
    pg_seen.self = _hurd_pid;
    pg_seen.c1 = c1;
    pg_seen.c2 = c2;
    pid_t *p0 = pg_seen.got0, *p1 = pg_seen.got1, none[10], *pn = none;
    pg_seen.n0 = pg_seen.n1 = 10;
    mach_msg_type_number_t nn = 10;
    pg_seen.kr0 = __proc_getpgrppids(proc, 0, &p0, &pg_seen.n0);
    pg_seen.kr1 = __proc_getpgrppids(proc, 1, &p1, &pg_seen.n1);
    pg_seen.kr_none = __proc_getpgrppids(proc, 999, &pn, &nn);
    /* The caller is a member too: it ignores SIGTERM; the children, forked before, do not. */
    fi_signal_action(PG_SIGTERM, FI_ACT_IGNORE, 0);
    pg_seen.kill_result = fi_kill(-1, PG_SIGTERM);
    int sigcode = 0;
    pid_t got = 0;
    rusage_t ru;
    __proc_wait(proc, pg_seen.c1, 0, &pg_seen.status1, &sigcode, &ru, &got);
    __proc_wait(proc, pg_seen.c2, 0, &pg_seen.status2, &sigcode, &ru, &got);
    return 0;
}

static void test_PG1_getpgrppids_and_kill_of_a_group(void **state)
{
    (void)state;
    memset(&pg_seen, 0, sizeof pg_seen);
    char *trace = run_main(pg_main, NULL);
    assert_true(pg_seen.c1 > 0 && pg_seen.c2 > 0);
    assert_int_equal(pg_seen.kr0, KERN_SUCCESS);              /* rule PG1: 0 is the caller's */
    assert_int_equal(pg_seen.n0, 3);                          /* rule PG1: no important one */
    assert_int_equal(pg_seen.got0[0], pg_seen.c2);            /* rule PG1: newest first */
    assert_int_equal(pg_seen.got0[1], pg_seen.c1);
    assert_int_equal(pg_seen.got0[2], pg_seen.self);
    assert_int_equal(pg_seen.kr1, KERN_SUCCESS);              /* init's group is everyone's */
    assert_int_equal(pg_seen.n1, 3);
    assert_memory_equal(pg_seen.got1, pg_seen.got0, 3 * sizeof(pid_t));
    assert_int_equal(pg_seen.kr_none, HURD_ESRCH);            /* rule PG1: pgrp_find fails */
    assert_int_equal(pg_seen.kill_result, 0);                 /* kill.c: delivered */
    assert_int_equal(pg_seen.status1, HURD_W_EXITCODE(0, PG_SIGTERM)); /* each child got it */
    assert_int_equal(pg_seen.status2, HURD_W_EXITCODE(0, PG_SIGTERM));
    /* kill.c asks for group 1 (- pid) and signals each member in the order proc gave */
    char want[64];
    snprintf(want, sizeof want, "proc_getpgrppids(4, 1) = KERN_SUCCESS -> pids {%d %d %d}",
             pg_seen.c2, pg_seen.c1, pg_seen.self);
    const char *at = strstr(trace, want);
    assert_non_null(at);
    char gm[3][48];
    pid_t order[3] = {pg_seen.c2, pg_seen.c1, pg_seen.self};
    for (int i = 0; i < 3; i++) {
        snprintf(gm[i], sizeof gm[i], "proc_getmsgport(4, %d) =", order[i]);
        assert_true(find_from(trace, &at, gm[i], NULL));
    }
    free(trace);
}

static const char *text_after(const char *text, const char *s)
{
    const char *p = strstr(text, s);
    if (p == NULL)
        fail_msg("the source has no \"%s\"", s);
    return p;
}

/* IM1: a handled signal that finds the forking thread about to trap (traces/
 * signal-about-to-trap.fsim, a schedule the race explorer found). The source facts, from the
 * tree in use: _hurdsig_abort_rpcs backs a call in [about_to, in_trap) out itself, SYSRETURN
 * MACH_SEND_INTERRUPTED, before (and instead of) the in-trap branch that sends
 * interrupt_operation; intr-msg.c gives a send that did not get out to the caller (2.36 has
 * no "goto message" retry before its FALLTHROUGH: upstream 8f22e36238 added one). So: the
 * main thread's state set to return 0x10000007, no interrupt_operation, proc never receives
 * proc_child, which returns MACH_SEND_INTERRUPTED, and its LOSE (found in _Fork.c's text)
 * aborts with it. */
static void test_IM1_signal_about_to_trap_send_interrupted(void **state)
{
    (void)state;
    char *sig = glibc_tree_text("hurd/hurdsig.c"), *im = glibc_tree_text("hurd/intr-msg.c");
    const char *ab = text_after(sig, "\n_hurdsig_abort_rpcs (");
    const char *about = text_after(ab, "state->basic.PC >= (natural_t) &_hurd_intr_rpc_msg_about_to");
    const char *set = text_after(about, "state->basic.SYSRETURN = MACH_SEND_INTERRUPTED;");
    const char *intr = text_after(about, "__interrupt_operation (intr_port");
    assert_true(set < intr);
    const char *c = text_after(im, "case MACH_SEND_INTERRUPTED:");
    const char *ft = text_after(c, "/* FALLTHROUGH */");
    const char *retry = strstr(c, "goto message;");
    if (retry != NULL && retry < ft)
        fail_msg("this tree retries the send on MACH_SEND_INTERRUPTED (upstream 8f22e36238): "
                 "the scenario's abort is 2.36's");
    free(sig), free(im);

    fi_aborts_reset();
    scenario *scn = calloc(1, sizeof *scn);
    assert_non_null(scn);
    char err[512];
    if (scenario_load("traces/signal-about-to-trap.fsim", scn, err, sizeof err) != 0)
        fail_msg("%s", err);
    run_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    run_options none = {0};
    assert_int_equal(run_scenario(scn, &none, r), 0);
    assert_true(r->expected);
    const char *at = strstr(r->trace, "# scenario: set-up done");
    assert_non_null(at);
    assert_true(find_from(r->trace, &at, "thread_set_state(6, ", "trap returns 0x10000007")); /* rule IM1 */
    assert_true(find_from(r->trace, &at, "t6.6 proc_child(", "= MACH_SEND_INTERRUPTED")); /* rule IM1 */
    assert_null(strstr(r->trace, "interrupt_operation("));                             /* rule IM1 */
    assert_null(strstr(r->trace, "id 24012 proc_child"));    /* the request never left */
    char want[64];
    snprintf(want, sizeof want, "_Fork.c:%u", lose_line_after("proc_child"));
    const fi_abort_record *abr;
    assert_int_equal(fi_aborts(&abr), 1);
    assert_string_equal(abr[0].site, want);                                            /* rule IM1 */
    assert_int_equal(abr[0].err, MACH_SEND_INTERRUPTED);
    test_run_done(r);
    free(scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_P12_kill_asks_proc_then_posts),
        cmocka_unit_test(test_P13_P14_handler_frame_then_reply),
        cmocka_unit_test(test_P14_default_term_ends_the_process),
        cmocka_unit_test(test_H11_interrupted_wait_is_sent_again),
        cmocka_unit_test(test_H11_P15_P16_signal_during_fork_shipped),
        cmocka_unit_test(test_P16_signal_during_fork_ndebug_retries),
        cmocka_unit_test(test_P15_signal_during_fork_no_eintr_when_proc_answers),
        cmocka_unit_test(test_P15_default_action_not_deferred_in_fork),
        cmocka_unit_test(test_P16_abort_before_resume_threads_waits_for_stopped_sigthread),
        cmocka_unit_test(test_P15_P16_abort_after_resume_threads_waits_for_itself),
        cmocka_unit_test(test_C2_P16_compat_fork_aborts_then_deadlocks_under_every_policy),
        cmocka_unit_test(test_P14_abort_outside_critical_section_ends_by_sigabrt),
        cmocka_unit_test(test_P14_abort_instruction_is_an_exception_then_sigill),
        cmocka_unit_test(test_P14_stop_and_continue),
        cmocka_unit_test(test_P14_tstp_kills_an_orphaned_process),
        cmocka_unit_test(test_P12_getsidport),
        cmocka_unit_test(test_P12_kill_by_name_from_a_third_process),
        cmocka_unit_test(test_P12_kill_by_name_waits_for_the_pid),
        cmocka_unit_test(test_P14_named_process_takes_a_signal),
        cmocka_unit_test(test_P14_handler_action_runs_inside_the_handler),
        cmocka_unit_test(test_P14_handler_action_execs_in_the_child),
        cmocka_unit_test(test_P12_kill_into_own_fork_terminates_the_half_made_task),
        cmocka_unit_test(test_P12_kill_into_own_fork_other_signal_is_eperm),
        cmocka_unit_test(test_P12_kill_before_proc_meets_the_task_sends_nothing),
        cmocka_unit_test(test_P12_kill_after_the_notification_finds_the_pid),
        cmocka_unit_test(test_anchor_in_name_is_a_call_of_that_process),
        cmocka_unit_test(test_anchor_in_name_of_a_process_of_its_own),
        cmocka_unit_test(test_PG1_getpgrppids_and_kill_of_a_group),
        cmocka_unit_test(test_IM1_signal_about_to_trap_send_interrupted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
