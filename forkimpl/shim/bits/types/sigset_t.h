/* bits/types/sigset_t.h (forksim shim): the Hurd's sigset_t, a scalar (glibc 2.36's
 * bits/types/__sigset_t.h: unsigned long int), for every header that declares it (the host's
 * sys/select.h among them). See ../../signal.h. */
#include <bits/types/__sigset_t.h>
#ifndef __sigset_t_defined
#define __sigset_t_defined 1
typedef unsigned long int sigset_t;
#endif
