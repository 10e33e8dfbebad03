/* mach.h (forksim shim): the Mach interfaces glibc's Hurd code includes as <mach.h>; they
 * are declared in forkimpl-glibc.h (the mock MIG stubs of sim/kern/mig_mach.c). */
#include "forkimpl-glibc.h"
