/*
 * forkimpl-spawn.h (forksim shim): what glibc's posix_spawn code (sysdeps/mach/hurd/spawni.c
 * and posix/spawn*.c, compiled unmodified) names from glibc's internal headers beyond what
 * forkimpl-exec.h (hurd.h's exec side, argz, the fs.defs stubs) and forkimpl-glibc.h declare:
 * hurd_types.h's retry_type and string_t (which the tree's hurd/lookup.h reads), the Hurd's
 * O_NOTRANS, the process.defs, io.defs and auth.defs stubs of the attributes' RPCs, the
 * terminal call of a tcsetpgrp action, and the libc internals of the PATH search and the
 * #! fallback. Given to those objects only, with -include (the Makefile's spawn block).
 * Definitions: forkimpl/spawnrt.c. Memory is the image heap (hurdmalloc.h, through
 * forkimpl-exec.h): the file actions glibc reallocs and frees are the simulated process's.
 */
#ifndef FORKIMPL_SPAWN_SHIM_H
#define FORKIMPL_SPAWN_SHIM_H
#include "forkimpl-exec.h"
#include "hurd/io.h"
#include "hurd/auth.h"

/* include/libc-symbols.h: one static program, nothing to hide */
#ifndef attribute_hidden
#define attribute_hidden
#endif
/* sysdeps/mach/hurd/bits/posix_opt.h: "Priority scheduling is not supported" (the host's
 * unistd.h, Linux's, says it is: spawni.c's scheduling branch is "#error implement me"). */
#include <unistd.h>
#undef _POSIX_PRIORITY_SCHEDULING

/* hurd/hurd_types.h: a lookup's retry answer (the Hurd's values; servers.h's
 * HURD_FS_RETRY_NORMAL is the first) and the MIG string type. */
enum retry_type { FS_RETRY_NORMAL = 1, FS_RETRY_REAUTH = 2, FS_RETRY_MAGICAL = 3 };
typedef enum retry_type retry_type;
typedef char string_t[1024];

/* sysdeps/mach/hurd/bits/fcntl.h: no translator on the last component (child_fchdir's
 * lookup of "."), and hurdlookup.c's two rewrites */
#ifndef O_NOTRANS
#define O_NOTRANS 0x0080
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0x00100000
#endif
#ifndef O_DIRECTORY
#define O_DIRECTORY 0x00200000
#endif

/* sysdeps/mach/hurd/bits/errno.h: the errors spawni.c names beyond the shim errno.h's */
#ifndef ENOEXEC
#define ENOEXEC HURD_ENOEXEC
#endif
#ifndef EACCES
#define EACCES HURD_EACCES
#endif
#ifndef ENOTDIR
#define ENOTDIR HURD_ENOTDIR
#endif
#ifndef ESTALE
#define ESTALE HURD_ERRNO(70)
#endif

/* process.defs: the attributes' proc RPCs (forkimpl/spawnrt.c: each stops the run as
 * unmodelled: docs/exec-rules.md, "posix_spawn") */
kern_return_t __proc_setsid(mach_port_t process);
kern_return_t __proc_setpgrp(mach_port_t process, pid_t pid, pid_t pgrp);
kern_return_t __proc_getpgrp(mach_port_t process, pid_t pid, pid_t *pgrp);
/* sysdeps/mach/hurd/tcsetpgrp.c (a tcsetpgrp file action, never made by forksim) */
int __tcsetpgrp(int fd, pid_t pgrp);

/* libc internals under forksim's names (the host's libc has __sysconf and __strdup; its
 * strdup's memory would be the host's malloc's, not the image heap's that free is here). */
#define __sysconf fi_spawn_sysconf
#define __strdup fi_spawn_strdup
#define __confstr fi_spawn_confstr
#define __strchrnul fi_spawn_strchrnul
#define __argz_insert fi_spawn_argz_insert
long int __sysconf(int name);
char *__strdup(const char *s);
size_t __confstr(int name, char *buf, size_t len);
char *__strchrnul(const char *s, int c);
error_t __argz_insert(char **argz, size_t *argz_len, char *before, const char *entry);
/* hurd/port.h: a user's link moved to another (spawni.c's NEW_ULINK_TABLE), under the cell's
 * lock in a critical section (forkimpl/spawnrt.c). */
struct hurd_port;
struct hurd_userlink;
void _hurd_port_move(struct hurd_port *port, struct hurd_userlink *new_link,
                     struct hurd_userlink *link);
/* hurd/hurdinit.c: an init port, used under its cell's lock */
error_t _hurd_ports_use(int which, error_t (*operate)(mach_port_t));
#endif
