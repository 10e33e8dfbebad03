/* malloc/malloc-internal.h (forksim shim): see forkimpl-glibc.h. */
#include "../forkimpl-glibc.h"
