/* hurd/signal.h (forksim shim): see forkimpl-glibc.h. */
#include "../forkimpl-glibc.h"
