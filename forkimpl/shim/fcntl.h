/* fcntl.h (forksim shim): the Hurd's open and descriptor flags that glibc's fd code reads, in
 * place of the host's <fcntl.h> (the numbers are those of glibc's
 * sysdeps/mach/hurd/bits/fcntl.h). The host's must not leak in: Linux's O_CLOEXEC, 0x80000, is
 * the Hurd's O_IGNORE_CTTY. */
#ifndef FORKIMPL_FCNTL_H
#define FORKIMPL_FCNTL_H
#define O_IGNORE_CTTY 0x00080000    /* no ctty magic at all */
#define O_CLOEXEC     0x00400000    /* set FD_CLOEXEC */
#define FD_CLOEXEC    1
#define O_RDONLY      0x0001
#define O_WRONLY      0x0002
#define O_RDWR        (O_RDONLY | O_WRONLY)
#define O_EXEC        0x0004
#define O_CREAT       0x0010
#define O_TRUNC       0x00010000
#endif
