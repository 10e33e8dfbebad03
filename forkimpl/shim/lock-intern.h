/* lock-intern.h (forksim shim): spin locks and mutexes are words in the image, declared in
 * forkimpl-glibc.h; 0 is free (sim_lock). */
#ifndef FORKIMPL_LOCK_INTERN_H
#define FORKIMPL_LOCK_INTERN_H
#include "forkimpl-glibc.h"
#define __SPIN_LOCK_INITIALIZER 0
#define MUTEX_INITIALIZER { __SPIN_LOCK_INITIALIZER }
#endif
