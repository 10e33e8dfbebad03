/* testlib_run.h: a scenario given as text, loaded or run, for the tests that check what a run
 * shows (test_signals.c, test_fork_explain.c, test_explore.c). */
#ifndef FORKSIM_TESTLIB_RUN_H
#define FORKSIM_TESTLIB_RUN_H
#include "runner.h"
#include "scenario.h"

/* Writes text to a scratch file and loads it (a parse error fails the test); the file is gone
 * again. Free with free(). */
scenario *test_scenario_text(const char *text);
/* Writes text to a scratch file, loads it (a parse error fails the test) and runs it with o
 * (NULL: no options); the run itself must not fail. Free with test_run_done. */
run_result *test_run_text(const char *text, const run_options *o);
void test_run_done(run_result *r);
#endif
