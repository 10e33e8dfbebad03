/* sysdep-cancel.h (forksim shim): a simulated process has no thread library, so no
 * asynchronous cancellation to switch on around a blocking call (glibc's LIBC_CANCEL_ASYNC
 * returns the old cancel type, LIBC_CANCEL_RESET puts it back). */
#ifndef FORKIMPL_SYSDEP_CANCEL_H
#define FORKIMPL_SYSDEP_CANCEL_H
#define LIBC_CANCEL_ASYNC() 0
#define LIBC_CANCEL_RESET(oldtype) ((void)(oldtype))
#endif
