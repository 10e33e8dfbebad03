/* hurd/resource.h (forksim shim): the resource limits alloc-fd.c reads (forkimpl/fdrt.c);
 * RLIMIT_OFILE bounds the fd table. */
#ifndef FORKIMPL_HURD_RESOURCE_H
#define FORKIMPL_HURD_RESOURCE_H
#include "../forkimpl-glibc.h"
#include <sys/resource.h>
extern struct rlimit _hurd_rlimits[RLIM_NLIMITS];
extern struct mutex _hurd_rlimit_lock;
#endif
