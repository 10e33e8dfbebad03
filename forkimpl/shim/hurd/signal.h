/* hurd/signal.h (forksim shim): see forkimpl-glibc.h. */
#include "../forkimpl-glibc.h"
#ifndef FORKIMPL_HURD_SIGNAL_H
#define FORKIMPL_HURD_SIGNAL_H
/* A critical section: signals are held off until the matching END (glibc's hurd/signal.h
 * shape: BEGIN opens a block that END closes). */
#define HURD_CRITICAL_BEGIN { void *__hurd_critical__ = _hurd_critical_section_lock()
#define HURD_CRITICAL_END _hurd_critical_section_unlock(__hurd_critical__); } while (0)
#define HURD_CRITICAL_UNLOCK _hurd_critical_section_unlock(__hurd_critical__);
#endif
