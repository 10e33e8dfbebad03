/* mach/mig_support.h (forksim shim): the MIG reply-port routines (rule M10). */
#include "../forkimpl-glibc.h"
