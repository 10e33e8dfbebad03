/*
 * hurd/fd.h (forksim shim): the file descriptor table of glibc's Hurd code, as hurd/dtable.c
 * and its neighbours (new-fd.c, alloc-fd.c, intern-fd.c, port2fd.c, fd-close.c, compiled
 * unmodified) use it. The table (_hurd_dtable) and every hurd_fd are on the image heap, the
 * globals in the image section, so a forked child has its own copies. What glibc instantiates
 * from its extern inlines (_hurd_fd_get) is in forkimpl/fdrt.c.
 */
#ifndef FORKIMPL_HURD_FD_H
#define FORKIMPL_HURD_FD_H
#include "../forkimpl-glibc.h"
#include "../fcntl.h"
#include "auth.h"
#include "io.h"
#include "port.h"
/* glibc's hurd/fd.h brings hurd/signal.h (the critical sections dtable.c opens before it
 * includes it itself); code that only reads the table (sim/cli, tests) has neither glibc's
 * tree nor the Hurd's signal ABI on its include path, and needs neither. */
#if __has_include(<hurd/signal.h>)
#include <hurd/signal.h>
#endif

typedef mach_port_t io_t;
typedef mach_port_t file_t;

/* A descriptor. Invariant: flags and port.port change only with port.lock held; ctty is a
 * port to the same terminal that never says EBACKGROUND when port is the process's ctty, else
 * MACH_PORT_NULL. */
struct hurd_fd {
    struct hurd_port port;  /* the io server's port */
    int flags;              /* FD_CLOEXEC */
    struct hurd_port ctty;
};

/* The table: _hurd_dtablesize slots, NULL for never used; locked by _hurd_dtable_lock. */
extern struct hurd_fd **_hurd_dtable;
extern int _hurd_dtablesize;
extern struct mutex _hurd_dtable_lock;
extern file_t (*_hurd_getdport_fn)(int fd);

/* What the process was started with (exec's descriptor ports): init_dtable turns them into
 * the table, then frees the array with vm_deallocate and clears both. */
extern mach_port_t *_hurd_init_dtable;
extern unsigned int _hurd_init_dtablesize;

/* The descriptor cell for fd, unlocked, or NULL if fd is out of range, unused or closed. */
struct hurd_fd *_hurd_fd_get(int fd);

void _hurd_port2fd(struct hurd_fd *d, io_t port, int flags);
int _hurd_intern_fd(io_t port, int flags, int dealloc);
struct hurd_fd *_hurd_alloc_fd(int *fd_ptr, int first_fd);
struct hurd_fd *_hurd_new_fd(io_t port, io_t ctty);
error_t _hurd_fd_close(struct hurd_fd *fd);
#endif
