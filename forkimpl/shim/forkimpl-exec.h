/*
 * forkimpl-exec.h (forksim shim): what glibc's exec code (hurd/hurdexec.c, sysdeps/mach/hurd/
 * execve.c, execveat.c, compiled unmodified) names from glibc's internal headers beyond what
 * forkimpl-glibc.h declares: hurd.h's exec functions, include/argz.h, include/libc-symbols.h's
 * link_warning, include/alloca.h's __alloca, the auth.defs and fs.defs user stubs, and the
 * lookups and helpers of execveat.c. Given to those objects only, with -include (the Makefile's
 * exec block), so nothing else in the tree changes. Memory is the simulated process's image
 * heap: malloc and free are _hurd_malloc and _hurd_free, as glibc's hurdmalloc.h makes them
 * (forkimpl/hurdrt.c), so the argz vectors _hurd_exec_paths frees are its own.
 */
#ifndef FORKIMPL_EXEC_H
#define FORKIMPL_EXEC_H
#include "hurdmalloc.h"
#include <stddef.h>
#include <sys/types.h>
#include "forkimpl-glibc.h"

typedef mach_port_t task_t;
typedef mach_port_t auth_t;

/* include/libc-symbols.h: a link-time warning; nothing to warn about in one static program. */
#define link_warning(symbol, msg)
#define __alloca(n) __builtin_alloca(n)
/* io/fcntl.h: the Hurd's value, as glibc's generic header gives it. */
#ifndef AT_FDCWD
#define AT_FDCWD (-100)
#endif

/* hurd.h */
error_t _hurd_exec(task_t task, mach_port_t file, char *const argv[], char *const envp[]);
error_t _hurd_exec_paths(task_t task, mach_port_t file, const char *path, const char *abspath,
                         char *const argv[], char *const envp[]);
int __execveat(int dirfd, const char *file_name, char *const argv[], char *const envp[],
               int flags);
mach_port_t __file_name_lookup_at(int fd, int at_flags, const char *file_name, int flags,
                                  mode_t mode);
char *__hurd_canonicalize_directory_name_internal(mach_port_t thisdir, char *buf, size_t size);
/* forksim's (forkimpl/execrt.c), under names of their own: the host's libc has an __asprintf
 * whose memory would be the host's malloc's, not the image heap's that free here is. */
#define __getcwd fi_exec_getcwd
#define __asprintf fi_exec_asprintf
char *__getcwd(char *buf, size_t size);
int __asprintf(char **strp, const char *fmt, ...);

/* hurd/fd.h's HURD_DPORT_USE: expr run with `port` naming descriptor fd's port (EBADF for no
 * such descriptor); forksim's own, over the fd table's cells (shim/hurd/fd.h). */
#define HURD_DPORT_USE(fd, expr)                                                  \
    ({                                                                            \
        struct hurd_fd *__d = _hurd_fd_get(fd);                                   \
        error_t __e = EBADF;                                                      \
        if (__d != NULL) {                                                        \
            struct hurd_userlink __ulink;                                         \
            mach_port_t port = _hurd_port_get(&__d->port, &__ulink);              \
            __e = (expr);                                                         \
            _hurd_port_free(&__d->port, &__ulink, port);                          \
        }                                                                         \
        __e;                                                                      \
    })

/* include/argz.h (forkimpl/argz.c) */
error_t __argz_create(char *const argv[], char **argz, size_t *len);

/* auth.defs (sim/hurd/auth_stubs.c) */
kern_return_t __auth_makeauth(auth_t handle, const mach_port_t *other_handles,
                              mach_msg_type_name_t other_handlesPoly,
                              mach_msg_type_number_t other_handlesCnt, const uid_t *euids,
                              mach_msg_type_number_t euidsCnt, const uid_t *auids,
                              mach_msg_type_number_t auidsCnt, const gid_t *egids,
                              mach_msg_type_number_t egidsCnt, const gid_t *agids,
                              mach_msg_type_number_t agidsCnt, auth_t *newhandle);

/* fs.defs (sim/hurd/hurd.stubs) */
kern_return_t __file_exec_paths(mach_port_t exec_file, mach_port_t exec_task, int flags,
                                const char *path, const char *abspath,
                                const char *argv, mach_msg_type_number_t argvCnt,
                                const char *envp, mach_msg_type_number_t envpCnt,
                                const mach_port_t *fdarray, mach_msg_type_name_t fdarrayPoly,
                                mach_msg_type_number_t fdarrayCnt,
                                const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                                mach_msg_type_number_t portarrayCnt,
                                const int *intarray, mach_msg_type_number_t intarrayCnt,
                                const mach_port_t *deallocnames,
                                mach_msg_type_number_t deallocnamesCnt,
                                const mach_port_t *destroynames,
                                mach_msg_type_number_t destroynamesCnt);
kern_return_t __file_exec(mach_port_t exec_file, mach_port_t exec_task, int flags,
                          const char *argv, mach_msg_type_number_t argvCnt,
                          const char *envp, mach_msg_type_number_t envpCnt,
                          const mach_port_t *fdarray, mach_msg_type_name_t fdarrayPoly,
                          mach_msg_type_number_t fdarrayCnt,
                          const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                          mach_msg_type_number_t portarrayCnt,
                          const int *intarray, mach_msg_type_number_t intarrayCnt,
                          const mach_port_t *deallocnames, mach_msg_type_number_t deallocnamesCnt,
                          const mach_port_t *destroynames, mach_msg_type_number_t destroynamesCnt);
#endif
