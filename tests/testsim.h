/*
 * testsim.h: what the tests of the simulated processes share (tests/testlib_sim.c), for test
 * programs whose code runs as a simulated process and calls the mock MIG stubs.
 */
#ifndef FORKSIM_TESTSIM_H
#define FORKSIM_TESTSIM_H

#include "mach_stubs.h"

/* From a simulated process: a new thread of its own task that calls fn(arg), created, given
 * its start state and resumed with the stubs as a program would; returns its port. */
mach_port_t start_thread(void (*fn)(void *), void *arg);

#endif
