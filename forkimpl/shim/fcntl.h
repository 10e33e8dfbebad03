/* fcntl.h (forksim shim): the Hurd's open and descriptor flags that glibc's fd code reads, in
 * place of the host's <fcntl.h> (the numbers are those of glibc's
 * sysdeps/mach/hurd/bits/fcntl.h). The host's must not leak in: Linux's O_CLOEXEC, 0x80000, is
 * the Hurd's O_IGNORE_CTTY. */
#ifndef FORKIMPL_FCNTL_H
#define FORKIMPL_FCNTL_H
#define O_IGNORE_CTTY 0x00080000    /* no ctty magic at all */
#define O_CLOEXEC     0x00400000    /* set FD_CLOEXEC */
#define FD_CLOEXEC    1
#endif
