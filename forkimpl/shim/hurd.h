/* hurd.h (forksim shim): see forkimpl-glibc.h. glibc's hurd.h brings the thread block's
 * macros in through hurd/threadvar.h; here tls.h. */
#include "forkimpl-glibc.h"
#include "tls.h"
