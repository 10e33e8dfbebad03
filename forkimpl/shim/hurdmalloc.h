/* hurdmalloc.h (forksim shim): see forkimpl-glibc.h. */
#include "forkimpl-glibc.h"
#define malloc _hurd_malloc
#define realloc _hurd_realloc
#define free _hurd_free
