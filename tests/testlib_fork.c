/* testlib_fork.c: see testlib_fork.h. */
#include "testlib_fork.h"

#include "forkimpl.h"
#include "kern.h"
#include "testlib.h"

#include <stdio.h>

void test_fork_run_clean(void)
{
    enum sim_result res = sim_run();
    if (res != SIM_OK)
        print_error("sim_run: %s\n", sim_report());
    assert_int_equal(res, SIM_OK);
    const fi_abort_record *ab;
    unsigned naborts = fi_aborts(&ab);
    for (unsigned i = 0; i < naborts; i++)
        print_error("abort in task %d at %s: %s (0x%x)\n", ab[i].task, ab[i].site, ab[i].what,
                    ab[i].err);
    assert_int_equal(naborts, 0);
    check_model_clean(kern_world());
}
