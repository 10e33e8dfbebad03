/* mach/mach_interface.h (forksim shim): the kernel's RPCs, in forkimpl-glibc.h. */
#include "../forkimpl-glibc.h"
