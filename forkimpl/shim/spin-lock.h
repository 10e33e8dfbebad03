/* spin-lock.h (forksim shim): spin locks are words in the image (forkimpl-glibc.h). */
#include "forkimpl-glibc.h"
