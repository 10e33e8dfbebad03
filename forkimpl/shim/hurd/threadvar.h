/* hurd/threadvar.h (forksim shim): see forkimpl-glibc.h. */
#include "../forkimpl-glibc.h"
