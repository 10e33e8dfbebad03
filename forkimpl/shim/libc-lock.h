/* libc-lock.h (forksim shim): the recursive lock glibc's stdlib/abort.c defines and takes
 * (sysdeps/htl/libc-lock.h on the Hurd: a pthread recursive mutex). A simulated process's
 * threads run one at a time and abort.c holds the lock only across code that does not block,
 * so a depth counter in the process's image stands for it. */
#ifndef FORKSIM_SHIM_LIBC_LOCK_H
#define FORKSIM_SHIM_LIBC_LOCK_H
#define __libc_lock_define_initialized_recursive(CLASS, NAME) CLASS int NAME
#define __libc_lock_lock_recursive(NAME) ((void)++(NAME))
#define __libc_lock_unlock_recursive(NAME) ((void)--(NAME))
#endif
