/* testlib_fork.h: what the tests of glibc's fork code share (test_dtable.c, test_fork_scale.c). */
#ifndef FORKSIM_TESTLIB_FORK_H
#define FORKSIM_TESTLIB_FORK_H

/* Runs the simulated processes to their end and checks what every run of glibc's code must
 * leave: sim_run says SIM_OK (else its report is printed), no glibc abort (each one printed),
 * and a model that passes check_model_clean. The world stays open. */
void test_fork_run_clean(void);

#endif
