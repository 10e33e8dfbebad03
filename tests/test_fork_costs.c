/*
 * test_fork_costs.c: what glibc's fork and glibc's posix_spawn cost as the names (N) and
 * descriptors (D) of the process grow (issue 13, item 3; `make costs` runs the full series,
 * tools/costs.py).
 *
 * The runs are the series' own scenarios (the walkthrough's steps: fork, the child's exit, the
 * parent's wait; or spawn /bin/true and the wait; or fork, exec /bin/true, the wait) for a few
 * N and D, counted by forksim cost (rules CO1-CO4). The fitted line calls = a + b*N + c*D over
 * them must have b exactly the calls the glibc source makes for one more name: the oracle is
 * the source's own text, read here, not a number a run printed.
 *
 * fork: _Fork.c (forkimpl/source.h, the lines the build compiled). Its send-right branch (from
 * the comment "This is a send right or a dead name" to its "switch (err)") asks the urefs
 * (__mach_port_get_refs) and then makes one of two calls (allocate a dead name, or
 * __mach_port_insert_right for a live right); after the switch, __mach_port_mod_refs runs only
 * for more than 1 uref. So for this kind: the get_refs and the insert_right of that region,
 * one each, and nothing else per name.
 *
 * posix_spawn: sysdeps/mach/hurd/spawni.c (SPAWNI_C, the file the build compiled). A per-name
 * cost needs the parent's names, and a task learns them only from __mach_port_names (as
 * _Fork.c and hurdexec.c do); spawni.c never calls it, and its loops run over the descriptor
 * table (dtablesize, file_actions->__used), the init ports (_hurd_nports) and the signals
 * (NSIG), never over names. So its calls per name are 0: b must be exactly 0. Its descriptors
 * cost (the new program opens a ctty port per terminal): c > 0.
 *
 * fork then exec: b > 0 and c > 0 (signs only), over every cell of make costs's grid and the
 * small grid where exec's request still fits inline: one line through both, exactly, so an
 * array sent out of line costs the process no call (one message, as MIG sends it: docs/
 * exec-rules.md EX20).
 *
 * The grid of the fits is make costs's (tools/costs.py): N 10, 100, 1,000, 10,000 and D 3, 16,
 * 256, every cell (issue 13's table); fork then exec also on the small grid.
 *
 * A large exec (EX20): the new program is given every descriptor the scenario opened (3 of the
 * default process and the K of `have fd tty times K`), each naming a port of its space, and the
 * N names the process had are gone (they were listed to destroy); with D past MIG's inline bound
 * for a port array (2048 bytes: GNU MIG's type.c; 512 names in Debian's layout) too.
 */
#include "cost.h"
#include "forkimpl.h"
#include "kern.h"
#include "runner.h"
#include "scenario.h"
#include "source.h"
#include "testlib.h"

#include <valgrind/valgrind.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The calls _Fork.c's send-right branch makes for one plain send right, from its text. */
static unsigned fork_calls_per_send_name(void)
{
    unsigned first = 0, last = 0;
    for (unsigned l = 1; fi_source_line(l) != NULL; l++) {
        const char *t = fi_source_line(l);
        if (first == 0 && strstr(t, "This is a send right or a dead name") != NULL)
            first = l;
        else if (first != 0 && strstr(t, "switch (err)") != NULL) {
            last = l;
            break;
        }
    }
    assert_true(first != 0 && last > first);
    unsigned get_refs = 0, insert = 0;
    for (unsigned l = first; l <= last; l++) {
        const char *t = fi_source_line(l);
        get_refs += strstr(t, "__mach_port_get_refs") != NULL;
        insert += strstr(t, "__mach_port_insert_right") != NULL;
    }
    assert_int_equal(get_refs, 1);
    assert_int_equal(insert, 1);
    return get_refs + insert;
}

typedef enum series { SERIES_FORK, SERIES_SPAWN, SERIES_FORK_EXEC } series;

/* The series' scenario for N names and D descriptors (3 are the default process's). */
static int series_text(char *buf, size_t len, series what, unsigned n, unsigned d)
{
    int k = snprintf(buf, len, "forksim-scenario 1\ntitle cost series N=%u D=%u\nfork glibc\n", n, d);
    if (n > 0)
        k += snprintf(buf + k, len - (size_t)k, "have names %u of send\n", n);
    if (d > 3)
        k += snprintf(buf + k, len - (size_t)k, "have fd tty times %u\n", d - 3);
    k += snprintf(buf + k, len - (size_t)k, "%s\nparent wait -> status 0\nexpect verdict ok\n",
                  what == SERIES_FORK    ? "parent fork -> ok\nchild exit 0"
                  : what == SERIES_SPAWN ? "parent spawn /bin/true"
                                         : "parent fork -> ok\nchild exec /bin/true");
    return k;
}

/* make costs's grid (tools/costs.py NS, DS): every cell of issue 13's table. Under Memcheck
 * (make valgrind) the N = 10,000 row is left out, and the large exec below uses 1,000 names:
 * at N = 1,000 the names to destroy (4,000 bytes) are already past MIG's inline bound, so the
 * same paths run, and those points took about 2 of make check's minutes under Memcheck. The
 * plain and sanitizer builds run every cell. */
static const unsigned grid_ns[] = {10, 100, 1000, 10000}, grid_ds[] = {3, 16, 256};
#define GRID_N (sizeof grid_ns / sizeof grid_ns[0] - (RUNNING_ON_VALGRIND ? 1 : 0))
#define LARGE_N (RUNNING_ON_VALGRIND ? 1000u : 10000u)
#define GRID_D (sizeof grid_ds / sizeof grid_ds[0])
#define GRID_CELLS (sizeof grid_ns / sizeof grid_ns[0] * GRID_D) /* room for every cell */

/* Calls of the scenario's parent and of every task made after it (the child, the program
 * exec or spawn started): the process's side, as counted. Each point runs once (the tests
 * share points: every run is deterministic, and the large ones are slow under Memcheck). */
static double series_run(series what, unsigned n, unsigned d);
static double series_calls(series what, unsigned n, unsigned d)
{
    static struct {
        series what;
        unsigned n, d;
        double calls;
    } memo[64];
    static unsigned nmemo;
    for (unsigned i = 0; i < nmemo; i++)
        if (memo[i].what == what && memo[i].n == n && memo[i].d == d)
            return memo[i].calls;
    double calls = series_run(what, n, d);
    if (nmemo < sizeof memo / sizeof memo[0])
        memo[nmemo++] = (__typeof__(memo[0])){what, n, d, calls};
    return calls;
}

static double series_run(series what, unsigned n, unsigned d)
{
    char text[512];
    int len = series_text(text, sizeof text, what, n, d);
    scenario *s = calloc(1, sizeof *s);
    char err[1024];
    if (scenario_load_text("series.fsim", text, (size_t)len, s, err, sizeof err) != 0)
        fail_msg("%s", err);
    cost_report *c = calloc(1, sizeof *c);
    run_result *r = calloc(1, sizeof *r);
    assert_int_equal(cost_run(s, false, c, r), 0);
    assert_int_equal(r->verdict, VERDICT_OK);
    assert_true(r->expected);
    uint64_t calls = 0;
    assert_true(r->parent.task > 0);
    for (int t = r->parent.task; t < COST_MAX_TASKS; t++)
        for (int sv = 0; sv < COST_NSERVERS; sv++)
            calls += c->callers[t][sv].calls;
    run_result_free(r);
    free(r);
    free(c);
    free(s);
    return (double)calls;
}

/* Least squares of y = a + b*x1 + c*x2: the normal equations, by Cramer's rule. */
static void fit(const double *x1, const double *x2, const double *y, int m, double out[3])
{
    double s[3][3] = {{0}}, t[3] = {0};
    for (int i = 0; i < m; i++) {
        double v[3] = {1, x1[i], x2[i]};
        for (int j = 0; j < 3; j++) {
            t[j] += v[j] * y[i];
            for (int k = 0; k < 3; k++)
                s[j][k] += v[j] * v[k];
        }
    }
#define DET3(M) ((M)[0][0] * ((M)[1][1] * (M)[2][2] - (M)[1][2] * (M)[2][1]) -  \
                 (M)[0][1] * ((M)[1][0] * (M)[2][2] - (M)[1][2] * (M)[2][0]) +  \
                 (M)[0][2] * ((M)[1][0] * (M)[2][1] - (M)[1][1] * (M)[2][0]))
    double det = DET3(s);
    assert_true(fabs(det) > 1e-9);
    for (int j = 0; j < 3; j++) {
        double m2[3][3];
        memcpy(m2, s, sizeof m2);
        for (int k = 0; k < 3; k++)
            m2[k][j] = t[k];
        out[j] = DET3(m2) / det;
    }
#undef DET3
}

/* fork's calls grow with the names by exactly _Fork.c's calls per name, and with the
 * descriptors; the fit is exact (every point on the line). */
static void test_fork_slopes_from_Fork_c(void **state)
{
    (void)state;
    double x1[GRID_CELLS], x2[GRID_CELLS], y[GRID_CELLS];
    int m = 0;
    for (size_t i = 0; i < GRID_N; i++)
        for (size_t j = 0; j < GRID_D; j++) {
            x1[m] = grid_ns[i];
            x2[m] = grid_ds[j];
            y[m] = series_calls(SERIES_FORK, grid_ns[i], grid_ds[j]);
            m++;
        }
    double abc[3];
    fit(x1, x2, y, m, abc);
    unsigned per_name = fork_calls_per_send_name();
    assert_true(abc[1] > 0);
    assert_true(fabs(abc[1] - per_name) < 1e-6);
    assert_true(abc[2] > 0);
    for (int i = 0; i < m; i++)
        assert_true(fabs(abc[0] + abc[1] * x1[i] + abc[2] * x2[i] - y[i]) < 1e-6);
}

/* spawni.c's calls for one more name of the parent, from its text: it never asks for the
 * parent's names (no __mach_port_names), so nothing it does can be per name. The loops it has
 * are counted too, each over something else than names. */
static unsigned spawn_calls_per_name(void)
{
    FILE *f = fopen(SPAWNI_C, "r");
    if (f == NULL)
        fail_msg("cannot read %s", SPAWNI_C);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    assert_non_null(strstr(text, "__spawni (pid_t *pid"));
    assert_null(strstr(text, "mach_port_names"));
    /* every for loop's bound: the descriptors, the file actions, the init ports, the signals */
    static const char *const bounds[] = {"dtablesize", "file_actions->__used", "_hurd_nports",
                                         "NSIG"};
    unsigned loops = 0;
    for (const char *p = strstr(text, "for ("); p != NULL; p = strstr(p + 1, "for (")) {
        const char *semi = strchr(p, ';'), *cond_end = semi ? strchr(semi + 1, ';') : NULL;
        assert_non_null(cond_end);
        bool known = false;
        for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
            const char *at = strstr(semi, bounds[b]);
            known |= at != NULL && at < cond_end;
        }
        if (!known)
            fail_msg("a loop of spawni.c over something unlisted: %.60s", p);
        loops++;
    }
    assert_true(loops > 0);
    return 0;
}

/* posix_spawn's calls do not grow with the names: the fitted b is spawni.c's calls per name,
 * 0, exactly; they grow with the descriptors (c > 0); fork's b, on the same points, is > 0. */
static void test_spawn_slope_from_spawni_c(void **state)
{
    (void)state;
    double x1[GRID_CELLS], x2[GRID_CELLS], y[GRID_CELLS], yf[GRID_CELLS];
    int m = 0;
    for (size_t i = 0; i < GRID_N; i++)
        for (size_t j = 0; j < GRID_D; j++) {
            x1[m] = grid_ns[i];
            x2[m] = grid_ds[j];
            y[m] = series_calls(SERIES_SPAWN, grid_ns[i], grid_ds[j]);
            yf[m] = series_calls(SERIES_FORK, grid_ns[i], grid_ds[j]);
            m++;
        }
    double abc[3], fork_abc[3];
    fit(x1, x2, y, m, abc);
    fit(x1, x2, yf, m, fork_abc);
    assert_true(fabs(abc[1] - spawn_calls_per_name()) < 1e-9);
    assert_true(abc[2] > 0);
    assert_true(fork_abc[1] > 0);
    assert_true(fork_abc[1] > abc[1]);
    for (int i = 0; i < m; i++)
        assert_true(fabs(abc[0] + abc[1] * x1[i] + abc[2] * x2[i] - y[i]) < 1e-6);
}

/* fork then exec: the names and the descriptors both cost (signs), over every cell of the grid
 * (exec's arrays out of line where they do not fit, EX20) and the small grid (all inline): the
 * points lie on one line, so going out of line adds no call of the process. (vfork then exec
 * is the same scenario with vfork: glibc 2.36's vfork on the Hurd is fork, posix/vfork.c.) */
static void test_fork_exec_slopes(void **state)
{
    (void)state;
    static const unsigned ns[] = {10, 20, 40}, ds[] = {3, 5};
    double x1[GRID_CELLS + 6], x2[GRID_CELLS + 6], y[GRID_CELLS + 6];
    int m = 0;
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 2; j++) {
            x1[m] = ns[i];
            x2[m] = ds[j];
            y[m] = series_calls(SERIES_FORK_EXEC, ns[i], ds[j]);
            m++;
        }
    for (size_t i = 0; i < GRID_N; i++)
        for (size_t j = 0; j < GRID_D; j++) {
            x1[m] = grid_ns[i];
            x2[m] = grid_ds[j];
            y[m] = series_calls(SERIES_FORK_EXEC, grid_ns[i], grid_ds[j]);
            m++;
        }
    double abc[3];
    fit(x1, x2, y, m, abc);
    assert_true(abc[1] > 0);
    assert_true(abc[2] > 0);
    for (int i = 0; i < m; i++)
        assert_true(fabs(abc[0] + abc[1] * x1[i] + abc[2] * x2[i] - y[i]) < 1e-6);
}

/* Runs the series' scenario for N names and D descriptors and returns what the one program
 * exec or spawn started had at its start (its record). */
static fi_exec_record series_exec(series what, unsigned n, unsigned d)
{
    char text[512];
    int len = series_text(text, sizeof text, what, n, d);
    scenario *s = calloc(1, sizeof *s);
    char err[1024];
    if (scenario_load_text("series.fsim", text, (size_t)len, s, err, sizeof err) != 0)
        fail_msg("%s", err);
    fi_execs_reset();
    run_result *r = calloc(1, sizeof *r);
    assert_int_equal(run_scenario(s, &(run_options){0}, r), 0);
    assert_int_equal(r->verdict, VERDICT_OK);
    assert_true(r->expected);
    const fi_exec_record *e;
    assert_int_equal(fi_execs(&e), 1);
    fi_exec_record out = e[0];
    assert_string_equal(out.path, "/bin/true");
    run_result_free(r);
    free(r);
    free(s);
    return out;
}

/* EX20: exec and posix_spawn from a process of many names and descriptors complete, and the
 * new program is given every descriptor: D of them (the count the scenario asks for), each a
 * right in its space. fork then exec lists the N names to destroy (hurdexec.c: every name
 * mach_port_names gives that it does not pass), so the new program's space is the same
 * whatever N, and smaller than N. D = 257 and 513 pass MIG's inline bound for a port array in
 * one layout or both (2048 bytes, GNU MIG type.c itVarArrayDecl: 2048 / 8 = 256 slots on
 * x86_64, 2048 / 4 = 512 names in Debian's layout), so the dtable goes out of line whatever
 * room the message has; D = 16 with N = 10 fits MIG's bound but not forksim's message, the
 * added rule's case. */
static void test_EX20_large_exec(void **state)
{
    (void)state;
    static const unsigned ds[] = {3, 16, 256, 2048 / 8 + 1, 2048 / 4 + 1};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        fi_exec_record small = series_exec(SERIES_FORK_EXEC, 10, ds[i]);
        fi_exec_record spawned = series_exec(SERIES_SPAWN, 10, ds[i]);
        assert_int_equal(small.ndtable_given, ds[i]);
        assert_int_equal(small.ndtable_live, ds[i]);
        assert_int_equal(spawned.ndtable_given, ds[i]);
        assert_int_equal(spawned.ndtable_live, ds[i]);
        /* the large process at make costs's largest cell and past both bounds */
        if (ds[i] != 256 && ds[i] != 2048 / 4 + 1)
            continue;
        fi_exec_record large = series_exec(SERIES_FORK_EXEC, LARGE_N, ds[i]);
        fi_exec_record large_spawned = series_exec(SERIES_SPAWN, LARGE_N, ds[i]);
        assert_int_equal(large.ndtable_given, ds[i]);
        assert_int_equal(large.ndtable_live, ds[i]);
        assert_int_equal(large_spawned.ndtable_given, ds[i]);
        assert_int_equal(large_spawned.ndtable_live, ds[i]);
        assert_int_equal(large.nnames, small.nnames);
        assert_true(large.nnames < LARGE_N);
        assert_int_equal(large_spawned.nnames, spawned.nnames);
    }
}

/* The series' directives: errors name the line; the counts are what the scenario asks for. */
static void test_series_directives(void **state)
{
    (void)state;
    static const struct {
        const char *line, *error;
    } bad[] = {
        {"have names 5 of frob", "t.fsim:2: have names COUNT of KIND: KIND is receive, send, send-once, dead-name or port-set, not 'of frob'"},
        {"have names 5 as send", "t.fsim:2: have names COUNT of KIND: KIND is receive, send, send-once, dead-name or port-set, not 'as send'"},
        {"have names 5 of", "t.fsim:2: have names COUNT [of KIND]: COUNT from 1 to 20000"},
        {"have fd tty times 0", "t.fsim:2: have fd ... times K: K from 1 to 1024"},
        {"have fd tty times 1025", "t.fsim:2: have fd ... times K: K from 1 to 1024"},
        {"have fd tty times", "t.fsim:2: have fd: 'times' is not no-ctty (a tty only), cloexec or times K"},
    };
    scenario *s = calloc(1, sizeof *s);
    char text[256], err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int len = snprintf(text, sizeof text, "forksim-scenario 1\n%s\nparent fork\n", bad[i].line);
        assert_int_equal(scenario_load_text("t.fsim", text, (size_t)len, s, err, sizeof err), -1);
        assert_string_equal(err, bad[i].error);
    }
    /* N names of one kind and K descriptors: the parent holds exactly that many more (the
     * count the scenario asks for, against the default process's run) */
    size_t names[2], fds[2];
    for (int k = 0; k < 2; k++) {
        int len = snprintf(text, sizeof text, "forksim-scenario 1\n%s%sparent fork -> ok\n",
                           k ? "have names 37 of dead-name\n" : "",
                           k ? "have fd file times 5\n" : "");
        assert_int_equal(scenario_load_text("t.fsim", text, (size_t)len, s, err, sizeof err), 0);
        run_result *r = calloc(1, sizeof *r);
        assert_int_equal(run_scenario(s, &(run_options){0}, r), 0);
        assert_int_equal(r->verdict, VERDICT_OK);
        names[k] = r->before_fork.n;
        fds[k] = 0;
        for (int f = 0; f < r->before_fork.nfds; f++)
            fds[k] += r->before_fork.fds[f].open;
        run_result_free(r);
        free(r);
    }
    /* dead names need no other process (no name of its task), and the file descriptors take
     * urefs of the root directory's port the process already names: 37 names, no more */
    assert_int_equal(names[1] - names[0], 37);
    assert_int_equal(fds[1] - fds[0], 5);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_series_directives),
        cmocka_unit_test(test_fork_slopes_from_Fork_c),
        cmocka_unit_test(test_spawn_slope_from_spawni_c),
        cmocka_unit_test(test_fork_exec_slopes),
        cmocka_unit_test(test_EX20_large_exec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
