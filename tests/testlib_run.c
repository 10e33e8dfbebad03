/* testlib_run.c: see testlib_run.h. */
#include "testlib_run.h"
#include "scenario.h"
#include "simtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

scenario *test_scenario_text(const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/forksim-test-run-%d.fsim", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    scenario *s = calloc(1, sizeof *s);
    assert_non_null(s);
    char err[512];
    if (scenario_load(path, s, err, sizeof err) != 0)
        fail_msg("%s", err);
    unlink(path);
    return s;
}

run_result *test_run_text(const char *text, const run_options *o)
{
    scenario *s = test_scenario_text(text);
    run_result *r = calloc(1, sizeof *r);
    run_options none = {0};
    assert_int_equal(run_scenario(s, o != NULL ? o : &none, r), 0);
    free(s);
    return r;
}

void test_run_done(run_result *r)
{
    run_result_free(r);
    free(r);
}
