/*
 * test_exec_glibc.c: exec through glibc's own code (sysdeps/mach/hurd/execve.c, execveat.c,
 * hurd/hurdexec.c, compiled unmodified from the package), run as scenarios (`child exec PATH`),
 * checked against the source text of the tree in use and the rules of docs/exec-rules.md.
 *
 * The expected orders and values come from the source (read at test time from the extracted
 * tree, build/glibc/KEY/src, KEY from build/glibc/current), from the rules (EX1, EX9, EX10) and
 * from the scenario's own input, never from a run:
 *   - execve is execveat with AT_FDCWD: the lookup (dir_lookup) before _hurd_exec_paths, whose
 *     mach_port_names comes before its file_exec_paths;
 *   - exec-signal-retry: hurdexec.c's "if (err == EINTR) goto retry" makes two requests of the
 *     fs, the first answering EINTR, the handler running in between;
 *   - gnunet-vfork-lost: a signal taken while the child releases its root directory cell after
 *     execve's lookup waits for the end of that release's critical section (hurd/port.h), then
 *     runs the parent's handler in the child, before hurdexec.c's own critical section
 *     (rule EX19); exec-pending-blocked: a blocked one pending at exec waits for the new
 *     program's first unblock (rule EX18);
 *   - exec-blocked-lost: one marked pending after the packing is lost (rule EX15);
 *   - the fault sweep: what each failed RPC of _hurd_exec_paths leaves held (rule EX17).
 * (Upstream's change of the retry, 49b308a26e, is checked by tools/check-exec-retry.sh, which
 * builds a patched tree.)
 */
#include "simtest.h"
#include "runner.h"
#include "scenario.h"
#include "testlib_run.h"
#include "testlib_glibc.h"
#include "explore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Offset of s in text; the test fails when it is not there. */
static long at(const char *text, const char *s)
{
    const char *p = strstr(text, s);
    if (p == NULL)
        fail_msg("the source has no \"%s\"", s);
    return p - text;
}

/* The line of trace, from *from on, that holds a (and b unless NULL); *from moves past it. */
static bool find_from(const char **from, const char *a, const char *b)
{
    for (const char *t = *from; t != NULL && *t != '\0';) {
        const char *e = strchr(t, '\n');
        size_t l = e != NULL ? (size_t)(e - t) : strlen(t);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(l < 1023 ? l : 1023), t);
        if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL)) {
            *from = e != NULL ? e + 1 : t + l;
            return true;
        }
        t = e != NULL ? e + 1 : t + l;
    }
    return false;
}

static unsigned count(const char *text, const char *s)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, s)) != NULL; p += strlen(s))
        n++;
    return n;
}

static char *file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* execve's RPCs in the order the source makes them: execveat.c looks the file up before it
 * calls _hurd_exec_paths; hurdexec.c lists the names before file_exec_paths. The program is
 * /bin/false: its status through proc_wait is W_EXITCODE(1, 0) (rule EX9). */
static void test_execve_rpcs_in_source_order(void **state)
{
    (void)state;
    char *at_src = glibc_tree_text("sysdeps/mach/hurd/execveat.c");
    char *ex_src = glibc_tree_text("hurd/hurdexec.c");
    char *ve_src = glibc_tree_text("sysdeps/mach/hurd/execve.c");
    assert_true(at(ve_src, "__execveat (AT_FDCWD") >= 0);
    assert_true(at(at_src, "__file_name_lookup_at (") < at(at_src, "_hurd_exec_paths ("));
    assert_true(at(ex_src, "__mach_port_names (") < at(ex_src, "__file_exec_paths ("));
    run_result *r = test_run_text("forksim-scenario 1\n"
                                  "policy round-robin\n"
                                  "parent fork -> ok\n"
                                  "child exec /bin/false\n"
                                  "parent wait -> status 1\n"
                                  "expect verdict ok\n", NULL);
    assert_int_equal(r->invariant_violations, 0);
    assert_int_equal(r->nmessages, 0);
    const char *t = r->trace;
    assert_true(find_from(&t, "# scenario: set-up done", NULL));
    /* rule EX1: looked up from the root with the open flags execveat asks for (O_EXEC, 4) */
    assert_true(find_from(&t, " dir_lookup(", "\"/bin/false\", 0x4, 0) = KERN_SUCCESS"));
    assert_true(find_from(&t, " mach_port_names(1) = KERN_SUCCESS", NULL)); /* rule EX16 */
    assert_true(find_from(&t, "-> id 20034 file_exec_paths", NULL));        /* rule EX16 */
    assert_true(find_from(&t, "# exec: /bin/false starts in t", NULL));
    assert_true(find_from(&t, " proc_wait(", "status 0x100"));
    assert_int_equal(count(r->trace, "-> id 20034 file_exec_paths"), 1);
    test_run_done(r);
    free(at_src);
    free(ex_src);
    free(ve_src);
}

/* exec-signal-retry: the signal with a handler during file_exec_paths. From hurdexec.c: the
 * call sits inside the critical section taken at retry:, and an EINTR answer goes back there
 * after the section ends (where the pending handler runs). So: the first request answers
 * EINTR (the Hurd's, 0x40000004), the handler note comes after it, then a second request;
 * the program then starts with nothing pending (EX10: INIT_SIGPENDING of the second packing,
 * after the handler took the signal). */
static void test_exec_signal_retry(void **state)
{
    (void)state;
    char *ex_src = glibc_tree_text("hurd/hurdexec.c");
    long retry = at(ex_src, "\nretry:\n");
    long crit = at(ex_src, "__spin_lock (&ss->critical_section_lock);");
    long call = at(ex_src, "err = __file_exec_paths (");
    long unlock = at(ex_src, "_hurd_critical_section_unlock (ss);");
    long again = at(ex_src, "if (err == EINTR)");
    assert_true(retry < crit && crit < call && call < unlock && unlock < again);
    assert_true(at(ex_src + again, "goto retry;") < 120);
    char *scn = file_text("traces/exec-signal-retry.fsim");
    assert_non_null(strstr(scn, "\nparent handler TERM record\n"));
    run_result *r = test_run_text(scn, NULL);
    assert_int_equal(r->nmessages, 0);
    const char *t = r->trace;
    assert_true(find_from(&t, "-> id 20034 file_exec_paths", NULL));
    assert_true(find_from(&t, "-> id 33000 interrupt_operation", NULL)); /* rule EX11 */
    assert_true(find_from(&t, " file_exec_paths(", ") = 0x40000004"));
    assert_true(find_from(&t, "# signal SIGTERM to t", ": handler"));
    assert_true(find_from(&t, "-> id 20034 file_exec_paths", NULL));
    assert_true(find_from(&t, "# exec: /bin/sigreport starts in t", NULL));
    assert_true(find_from(&t, "# sigreport in t", "pending 0,"));
    assert_int_equal(count(r->trace, "-> id 20034 file_exec_paths"), 2); /* rule EX16 */
    assert_int_equal(count(r->trace, ": lost at exec"), 0);
    test_run_done(r);
    free(scn);
    free(ex_src);
}

/* The source facts of rule EX18, in the files of the tree in use: _hurdsig_init makes
 * INIT_SIGPENDING the global sigstate's pending set and checks only the main thread's own
 * pending set against its blocked one (hurdsig.c), so an inherited signal pending and not
 * blocked passes start-up's assert and waits; a critical section's end asks the signal thread
 * to deliver what is pending and not blocked (hurd/signal.h), as sigprocmask does when it
 * unblocks one (sigprocmask.c). (That _hurd_new_proc_init's first act after _hurdsig_init is
 * such a critical section, hurd/port.h's _hurd_port_get of the proc port, is read in
 * hurd/hurdinit.c and hurd/port.h, which the build does not extract: docs/exec-rules.md EX18.) */
static void check_ex18_source(void)
{
    char *sig = glibc_tree_text("hurd/hurdsig.c"), *sh = glibc_tree_text("hurd/hurd/signal.h");
    char *mask = glibc_tree_text("sysdeps/mach/hurd/sigprocmask.c");
    long init = at(sig, "\n_hurdsig_init (const int *intarray, size_t intarraysize)");
    assert_true(init >= 0);
    assert_true(at(sig + init, "_hurd_global_sigstate->pending = intarray[INIT_SIGPENDING];") <
                at(sig + init, "assert ((ss->pending &~ ss->blocked) == 0);"));
    long unl = at(sh, "_hurd_critical_section_unlock (void *our_lock)\n{");
    assert_true(unl >= 0);
    assert_true(at(sh + unl, "pending = _hurd_sigstate_pending(ss) & ~ss->blocked;") <
                at(sh + unl, "__msg_sig_post (_hurd_msgport, 0, 0, __mach_task_self ());"));
    assert_true(at(mask, "pending = _hurd_sigstate_pending (ss) & ~ss->blocked;") <
                at(mask, "__msg_sig_post (_hurd_msgport, 0, 0, __mach_task_self ());"));
    free(sig), free(sh), free(mask);
}

/* gnunet-vfork-lost: the SIGTERM the parent sends right after vfork reaches the child's signal
 * thread as the child releases its root directory cell after execve's dir_lookup. glibc's
 * hurd/port.h (read here) makes _hurd_port_free (and _hurd_port_get) a critical section of
 * its own, and hurd/signal.h's _hurd_critical_section_unlock polls the pending set at its end
 * (check_ex18_source): the signal is left pending, then delivered at that end, before
 * hurdexec.c's own critical section (retry:, after its port loop): the parent's handler runs
 * in the child (exit 3, the scenario's wait says so) and there is no exec (rule EX19). With a
 * port cell that only takes its spin lock, the signal thread finds no critical section held
 * there and the schedule goes on into hurdexec.c's section: no handler note, an exec. */
static void test_gnunet_vfork_lost(void **state)
{
    (void)state;
    check_ex18_source();
    char *port_h = glibc_tree_text("hurd/hurd/port.h");
    long fr = at(port_h, "_hurd_port_free (struct hurd_port *port,\n\t\t struct hurd_userlink *link,\n\t\t mach_port_t used_port)\n{");
    assert_true(fr >= 0);
    const char *free_body = port_h + fr;
    assert_true(at(free_body, "HURD_CRITICAL_BEGIN;") < at(free_body, "_hurd_userlink_unlink (link);"));
    assert_true(at(free_body, "_hurd_userlink_unlink (link);") < at(free_body, "HURD_CRITICAL_END;"));
    long gt = at(port_h, "_hurd_port_get (struct hurd_port *port,\n\t\tstruct hurd_userlink *link)\n{");
    assert_true(gt >= 0);
    assert_true(at(port_h + gt, "HURD_CRITICAL_BEGIN;") < at(port_h + gt, "HURD_CRITICAL_END;"));
    /* The userlinks test_dtable's test_port_cell_set_while_used checks: a cell set while used
     * detaches its chain, and the last user's release deallocates the port it used. */
    assert_true(at(free_body, "HURD_CRITICAL_END;") < at(free_body, "if (dealloc)"));
    assert_true(at(free_body, "if (dealloc)") < at(free_body, "__mach_port_deallocate (__mach_task_self (), used_port);"));
    char *ul_h = glibc_tree_text("hurd/hurd/userlink.h");
    assert_true(at(ul_h, "int dealloc = ! link->resource.next && ! link->resource.prevp;") >= 0);
    long cl = at(ul_h, "_hurd_userlink_clear (struct hurd_userlink **chainp)\n{");
    assert_true(at(ul_h + cl, "(*chainp)->resource.prevp = NULL;") < at(ul_h + cl, "return 0;"));
    free(ul_h);
    char *ex_src = glibc_tree_text("hurd/hurdexec.c");
    assert_true(at(ex_src, "ports[i] = _hurd_port_get (&_hurd_ports[i], &ulink_ports[i]);") <
                at(ex_src, "retry:"));
    char *scn = file_text("traces/gnunet-vfork-lost.fsim");
    assert_non_null(strstr(scn, "\nparent handler TERM exit 3\n"));
    assert_non_null(strstr(scn, "\nparent wait -> status 3\n"));
    run_result *r = test_run_text(scn, NULL);
    assert_int_equal(r->nmessages, 0);
    const char *t = r->trace;
    assert_true(find_from(&t, "dir_lookup(", "/bin/sigreport"));
    const char *after_lookup = t; /* hurdexec.c's mach_port_names would come after it */
    assert_false(find_from(&after_lookup, "mach_port_names(", NULL)); /* rule EX19 */
    assert_true(find_from(&t, "# signal SIGTERM to t", ": pending"));  /* rule EX19 */
    assert_true(find_from(&t, "# signal SIGTERM to t", ": handler"));  /* rule EX19 */
    assert_int_equal(count(r->trace, "# exec: "), 0);                  /* rule EX19 */
    assert_int_equal(count(r->trace, ": lost at exec"), 0);
    test_run_done(r);
    free(scn);
    free(ex_src);
    free(port_h);
}

/* exec-pending-blocked: SIGTERM blocked and pending before the exec is packed into both
 * INIT_SIGMASK and INIT_SIGPENDING (hurdexec.c); the new program starts with it blocked and
 * pending (rule EX10), nothing acts on it at start-up (rule EX18), and its first unblock
 * (glibc's sigprocmask) has the signal thread end it: /bin/sigunblock's second note never
 * comes. */
static void test_exec_pending_blocked(void **state)
{
    (void)state;
    check_ex18_source();
    char *scn = file_text("traces/exec-pending-blocked.fsim");
    assert_non_null(strstr(scn, "\nchild  block TERM\n"));
    run_result *r = test_run_text(scn, NULL);
    assert_int_equal(r->nmessages, 0);
    char want[64];
    snprintf(want, sizeof want, "blocked %#x, pending %#x,", 1u << (15 - 1), 1u << (15 - 1));
    const char *t = r->trace;
    assert_true(find_from(&t, "# exec: /bin/sigunblock starts in t", NULL));
    assert_true(find_from(&t, "# sigreport in t", want));                       /* rule EX18 */
    assert_true(find_from(&t, "# signal SIGTERM to t", ": default terminate")); /* rule EX18 */
    assert_int_equal(count(r->trace, "sigunblock in t"), 0);                    /* rule EX18 */
    assert_int_equal(count(r->trace, ": lost at exec"), 0);
    test_run_done(r);
    free(scn);
}

/* exec-signal-queued: the killer's msg_sig_post waits in the old message port's queue (the
 * exec server suspended the task first) when the exec server destroys that port. GNU Mach
 * destroys the queued message and its send-once reply right, which notifies the sender's reply
 * port: msg_sig_post returns MIG_SERVER_DIED (rules D8, M12); glibc's HURD_MSGPORT_RPC loops on
 * exactly that error (hurd/hurd/signal.h, read here), so kill asks proc for the message port
 * again and the signal reaches the new program, whose default action ends it. The destroyed
 * message is noted before the destroy (rule EX15). */
static void test_exec_signal_queued(void **state)
{
    (void)state;
    char *sh = glibc_tree_text("hurd/hurd/signal.h");
    long rpc = at(sh, "#define HURD_MSGPORT_RPC(");
    assert_true(rpc >= 0);
    assert_true(at(sh + rpc, "} while (__err == MACH_SEND_INVALID_DEST") <
                at(sh + rpc, "|| __err == MIG_SERVER_DIED);"));
    /* loaded from its place: its decisions file is named relative to it */
    scenario *scn = calloc(1, sizeof *scn);
    assert_non_null(scn);
    char err[512];
    if (scenario_load("traces/exec-signal-queued.fsim", scn, err, sizeof err) != 0)
        fail_msg("%s", err);
    run_result *r = calloc(1, sizeof *r);
    run_options none = {0};
    assert_non_null(r);
    assert_int_equal(run_scenario(scn, &none, r), 0);
    assert_int_equal(r->nmessages, 0);
    const char *t = r->trace;
    assert_true(find_from(&t, "trap task_suspend(", NULL));                    /* do_exec */
    assert_true(find_from(&t, "# signal SIGTERM to t", ": destroyed at exec")); /* rule EX15 */
    assert_true(find_from(&t, "mach_port_destroy(", NULL));
    assert_true(find_from(&t, " msg_sig_post(", ") = MIG_SERVER_DIED"));      /* rule EX15 */
    /* kill asks again; proc answers once the new program has given its message port (the new
     * program may start before or after the first msg_sig_post returns: the schedule's) */
    assert_true(find_from(&t, " proc_getmsgport(", ") = KERN_SUCCESS"));
    assert_true(find_from(&t, " msg_sig_post(", ") = KERN_SUCCESS"));
    const char *started = strstr(r->trace, "# exec: /bin/sigwait starts in t");
    assert_non_null(started);
    assert_true(started < t);
    assert_int_equal(count(r->trace, ": lost at exec"), 0);
    assert_int_equal(count(r->trace, "SIGTERM to t9: default terminate"), 1);
    test_run_done(r);
    free(scn);
    free(sh);
}

/* exec-blocked-lost: SIGTERM blocked, arriving while the exec server holds the exec. A blocked
 * signal interrupts no RPC (hurdsig.c marks it pending and goes on), so one request; the ints
 * were packed at retry: before the call (hurdexec.c), so INIT_SIGPENDING lacks it and the new
 * program starts with it blocked (INIT_SIGMASK) but not pending: lost (rule EX15). */
static void test_exec_blocked_lost(void **state)
{
    (void)state;
    char *ex_src = glibc_tree_text("hurd/hurdexec.c");
    assert_true(at(ex_src, "ints[INIT_SIGMASK] = ss->blocked;") < at(ex_src, "err = __file_exec_paths ("));
    assert_true(at(ex_src, "ints[INIT_SIGPENDING] = _hurd_sigstate_pending (ss);") <
                at(ex_src, "err = __file_exec_paths ("));
    char *scn = file_text("traces/exec-blocked-lost.fsim");
    assert_non_null(strstr(scn, "\nchild  block TERM\n"));
    run_result *r = test_run_text(scn, NULL);
    assert_int_equal(r->nmessages, 0);
    char want[64];
    snprintf(want, sizeof want, "blocked %#x, pending 0,", 1u << (15 - 1));
    const char *t = r->trace;
    assert_true(find_from(&t, "-> id 20034 file_exec_paths", NULL));
    assert_true(find_from(&t, "# signal SIGTERM to t", ": pending"));
    assert_true(find_from(&t, "# signal SIGTERM to t", ": lost at exec")); /* rule EX15 */
    assert_true(find_from(&t, "# exec: /bin/sigreport starts in t", NULL));
    assert_true(find_from(&t, "# sigreport in t", want));                  /* rule EX15 */
    assert_int_equal(count(r->trace, "-> id 20034 file_exec_paths"), 1);
    assert_int_equal(count(r->trace, ": handler"), 0);
    test_run_done(r);
    free(scn);
    free(ex_src);
}

/* --- the fault sweep over the exec --------------------------------------------------------- */

typedef struct rows {
    explore_row *v;
    size_t n;
} rows;

static void keep_row(const explore_row *row, void *arg)
{
    rows *r = arg;
    r->v = realloc(r->v, (r->n + 1) * sizeof *r->v);
    assert_non_null(r->v);
    r->v[r->n] = *row;
    r->v[r->n++].trace = NULL;
}

static rows sweep_routine(const char *routine)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/forksim-exec-sweep-%d.fsim", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("forksim-scenario 1\npolicy run-until-block\nparent fork -> ok\n"
          "child exec /bin/true\nparent wait -> status 0\n", f);
    fclose(f);
    scenario *s = calloc(1, sizeof *s);
    char err[512];
    if (scenario_load(path, s, err, sizeof err) != 0)
        fail_msg("%s", err);
    unlink(path);
    rows r = {0};
    explore_options o = {.kind = EXPLORE_FAULTS, .glibc = true, .routine = routine,
                         .on_row = keep_row, .on_row_arg = &r};
    explore_summary sum;
    assert_int_equal(explore_run(s, &o, &sum), 0);
    assert_int_equal(sum.violations, 0);
    assert_int_equal(sum.bugs, 0); /* every fault where it was aimed, nothing left at close */
    free(s);
    return r;
}

/* Every RPC of _hurd_exec_paths the child makes fails in turn (send, routine, reply): what the
 * source says each failure leaves. hurdexec.c returns at once when mach_port_names fails,
 * between the critical section's lock (retry:) and its unlock, and with the fd-table lock
 * taken: both stay held. A file_exec_paths that fails (not EINTR) goes through the release
 * of both before returning: nothing held. A lost reply of file_exec_paths lets the server act:
 * the exec goes through, no failure. */
static void test_exec_fault_sweep(void **state)
{
    (void)state;
    char *ex = glibc_tree_text("hurd/hurdexec.c");
    long names = at(ex, "__mach_port_names (__mach_task_self (),");
    long early = at(ex + names, "return err;") + names;
    long crit = at(ex, "__spin_lock (&ss->critical_section_lock);");
    long dlock = at(ex, "__mutex_lock (&_hurd_dtable_lock);");
    long unlock = at(ex, "_hurd_critical_section_unlock (ss);");
    long dunlock = at(ex, "__mutex_unlock (&_hurd_dtable_lock);");
    long call = at(ex, "err = __file_exec_paths (");
    assert_true(crit < dlock && dlock < names && names < early && early < dunlock &&
                dunlock < unlock && call < dunlock);
    rows r = sweep_routine("mach_port_names");
    unsigned exec_rows = 0;
    for (size_t i = 0; i < r.n; i++) {
        const explore_row *w = &r.v[i];
        if (strncmp(w->rpc.site, "hurdexec.c", 10) != 0)
            continue;
        exec_rows++;
        assert_true(w->exec_failed);
        assert_non_null(strstr(w->exec_held, "critical section")); /* rule EX17 */
        assert_non_null(strstr(w->exec_held, "fd-table lock"));    /* rule EX17 */
    }
    assert_int_equal(exec_rows, 3); /* one call, three faults */
    free(r.v);
    r = sweep_routine("file_exec_paths");
    exec_rows = 0;
    for (size_t i = 0; i < r.n; i++) {
        const explore_row *w = &r.v[i];
        if (strncmp(w->rpc.site, "hurdexec.c", 10) != 0)
            continue;
        exec_rows++;
        if (w->kind == KF_REPLY_LOST) {
            assert_false(w->exec_failed);
            continue;
        }
        assert_true(w->exec_failed);
        assert_string_equal(w->exec_held, "nothing"); /* rule EX17 */
        if (w->kind == KF_ROUTINE_FAILS)
            assert_int_equal(w->exec_err, w->error);
    }
    assert_int_equal(exec_rows, 3);
    free(r.v);
    free(ex);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_execve_rpcs_in_source_order),
        cmocka_unit_test(test_exec_signal_retry),
        cmocka_unit_test(test_gnunet_vfork_lost),
        cmocka_unit_test(test_exec_pending_blocked),
        cmocka_unit_test(test_exec_signal_queued),
        cmocka_unit_test(test_exec_blocked_lost),
        cmocka_unit_test(test_exec_fault_sweep),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
