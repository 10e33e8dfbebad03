/*
 * hurd_errno.h: the Hurd's errno values, for the simulated servers and the compiled glibc code.
 *
 * On the Hurd an errno is _HURD_ERRNO(n) = 0x40000000 | n, so that errno values, KERN_* codes,
 * MACH_SEND_* codes and MIG_* codes never collide (glibc's sysdeps/mach/hurd/bits/errno.h
 * gives the numbers). On Linux EINTR is 4, the same as KERN_INVALID_ARGUMENT: glibc's _Fork
 * retries on EINTR, so compiled Hurd code must see these values, never the host's.
 * Names are prefixed HURD_ here; forkimpl/shim/errno.h gives them their plain names for the
 * glibc code.
 */
#ifndef FORKSIM_HURD_ERRNO_H
#define FORKSIM_HURD_ERRNO_H

#define HURD_ERRNO(n) (0x40000000 | (n))

#define HURD_EPERM        HURD_ERRNO(1)
#define HURD_ENOENT       HURD_ERRNO(2)
#define HURD_ESRCH        HURD_ERRNO(3)
#define HURD_EINTR        HURD_ERRNO(4)
#define HURD_EIO          HURD_ERRNO(5)
#define HURD_ENOEXEC      HURD_ERRNO(8)
#define HURD_EBADF        HURD_ERRNO(9)
#define HURD_ECHILD       HURD_ERRNO(10)
#define HURD_EDEADLK      HURD_ERRNO(11)
#define HURD_ENOMEM       HURD_ERRNO(12)
#define HURD_EACCES       HURD_ERRNO(13)
#define HURD_EFAULT       HURD_ERRNO(14)
#define HURD_EBUSY        HURD_ERRNO(16)
#define HURD_ENOTDIR      HURD_ERRNO(20)
#define HURD_EISDIR       HURD_ERRNO(21)
#define HURD_EINVAL       HURD_ERRNO(22)
#define HURD_EMFILE       HURD_ERRNO(24)
#define HURD_ENOTTY       HURD_ERRNO(25)
#define HURD_ERANGE       HURD_ERRNO(34)
#define HURD_EAGAIN       HURD_ERRNO(35)
#define HURD_EOPNOTSUPP   HURD_ERRNO(45)
#define HURD_ENOSYS       HURD_ERRNO(78)
#define HURD_EIEIO        HURD_ERRNO(104)
#define HURD_EGRATUITOUS  HURD_ERRNO(105)

/* The symbolic name of a Hurd errno value, or NULL. */
const char *hurd_errno_name(int err);

#endif
