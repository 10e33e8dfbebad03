/* errno.h (forksim shim): the Hurd's errno values and a per-simulated-thread errno, for the
 * compiled glibc code. Replaces the host's <errno.h> for it: see sim/hurd/hurd_errno.h. */
#ifndef FORKIMPL_ERRNO_H
#define FORKIMPL_ERRNO_H
#include "hurd_errno.h"
typedef int error_t;
int *__forksim_errno_location(void);
#define errno (*__forksim_errno_location())
#define EPERM HURD_EPERM
#define ENOENT HURD_ENOENT
#define ESRCH HURD_ESRCH
#define EINTR HURD_EINTR
#define EIO HURD_EIO
#define EBADF HURD_EBADF
#define ECHILD HURD_ECHILD
#define ENOMEM HURD_ENOMEM
#define EBUSY HURD_EBUSY
#define EINVAL HURD_EINVAL
#define EMFILE HURD_EMFILE
#define EAGAIN HURD_EAGAIN
#define EOPNOTSUPP HURD_EOPNOTSUPP
#define ENOSYS HURD_ENOSYS
#define EIEIO HURD_EIEIO
#define EGRATUITOUS HURD_EGRATUITOUS
#endif
