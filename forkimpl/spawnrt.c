/*
 * spawnrt.c: what glibc's posix_spawn (sysdeps/mach/hurd/spawni.c and posix/spawn*.c,
 * compiled unmodified; issue 13, item 1) needs beneath it that neither the other shims nor
 * the host's libc give, written for the simulation (declared in shim/forkimpl-spawn.h), and
 * fi_posix_spawn, a scenario's spawn step.
 *
 * Stand-ins, each for the glibc file named and why it is not compiled:
 *  - __hurd_file_name_lookup (glibc's hurd/hurdlookup.c, with lookup-retry.c's
 *    __hurd_file_name_lookup_retry): spawni.c's child_lookup opens the program and each
 *    open action's file through it, with its own callbacks for the child's init ports and
 *    descriptors. hurdlookup.c is not compiled because it also defines __file_name_lookup,
 *    which forkimpl/sigrt.c already stands in for, and its other functions need __getdport
 *    and the whole of lookup-retry.c (symlinks, magic names, reauthentication, the eloop
 *    threshold) that the simulated file system never asks for. This follows hurdlookup.c
 *    step by step: an empty name is ENOENT; the start directory is the init port CRDIR for a
 *    name beginning with '/', CWDIR otherwise, asked of the caller's use_init_port callback;
 *    the leading slashes are dropped; dir_lookup (or the caller's lookup); EOPNOTSUPP and
 *    MIG_BAD_ID become ENOTDIR (lookup_error). Of lookup-retry.c only its first case is
 *    reached: FS_RETRY_NORMAL with an empty retry name is the final port, which is what the
 *    simulated file system always answers (rule EX1); any other answer stops the run as
 *    unmodelled. O_NOFOLLOW and O_DIRECTORY (hurdlookup.c's rewrites) are never passed here.
 *  - _hurd_port_move (hurd/port.h's inline function: the user's link relocated on the cell).
 *  - _hurd_ports_use (glibc's hurd/hurdinit.c, not compiled: it is the start-up of a glibc
 *    process, which forkimpl/process.c is): the init port under its cell's lock.
 *  - _hurd_check_ids, for spawni.c only (the Makefile renames spawni.c's call): glibc's
 *    hurd/hurdid.c asks the auth server for the process's ids (auth_getids) when they are
 *    not known; the simulated auth server keeps no ids, and
 *    forkimpl/sigrt.c's stand-in answers 0 with none, which would make spawni.c's RESETIDS
 *    branch answer EGRATUITOUS ("we do not have a real UID and GID"), an error of forksim's
 *    id-less processes, not of the Hurd. So there the run stops as unmodelled.
 *  - the proc RPCs of the other attributes and actions (proc_setsid, proc_setpgrp,
 *    proc_getpgrp) and tcsetpgrp: not served by the simulated proc server; a call stops the
 *    run as unmodelled (docs/exec-rules.md, "posix_spawn").
 *  - __sysconf (_SC_OPEN_MAX, as the Hurd's sysconf answers it: the descriptor limit,
 *    _hurd_rlimits[RLIMIT_OFILE]), __strdup (on the image heap), and the PATH search's and
 *    the #! fallback's __confstr, __strchrnul, __argz_insert, which posix_spawn (not
 *    posix_spawnp, no SPAWN_XFLAGS_TRY_SHELL) never calls: unmodelled if called.
 */
#include "forkimpl.h"
#include "forkimpl-spawn.h"
#include "servers.h"
#include "kern.h"
#include <hurd/signal.h>
#include <hurd/lookup.h>
#include <hurd/resource.h>
#include "hurd/port.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>

#include <string.h>
#include <unistd.h>

_Static_assert(FI_SPAWN_RESETIDS == POSIX_SPAWN_RESETIDS, "posix/spawn.h's flags");
_Static_assert(FI_SPAWN_SETPGROUP == POSIX_SPAWN_SETPGROUP, "posix/spawn.h's flags");
_Static_assert(FI_SPAWN_SETSIGDEF == POSIX_SPAWN_SETSIGDEF, "posix/spawn.h's flags");
_Static_assert(FI_SPAWN_SETSIGMASK == POSIX_SPAWN_SETSIGMASK, "posix/spawn.h's flags");

/* The lookup in progress, for lookup_op: hurdlookup.c's nested function, which would need an
 * executable stack for its trampoline here, made a plain function over this task's context
 * (only a process's main thread looks names up; a lookup inside a lookup restores it). */
struct lookup_ctx {
    error_t (*lookup)(file_t dir, const char *name, int flags, mode_t mode,
                      retry_type *do_retry, string_t retry_name, mach_port_t *result);
    const char *file_name;
    int flags;
    mode_t mode;
    int doretry;
    char *retryname;
    file_t *result;
};
SIM_GLOBAL static struct lookup_ctx *lookup_now;

static error_t lookup_op(mach_port_t startdir)
{
    struct lookup_ctx *c = lookup_now;
    error_t e;
    if (c->lookup != NULL) {
        retry_type rt = 0;
        e = (*c->lookup)(startdir, c->file_name, c->flags, c->mode, &rt, c->retryname,
                         c->result);
        c->doretry = (int)rt;
    } else {
        e = __dir_lookup(startdir, c->file_name, c->flags, c->mode, &c->doretry, c->retryname,
                         c->result);
    }
    return e == EOPNOTSUPP || e == MIG_BAD_ID ? ENOTDIR : e; /* lookup_error */
}

error_t __hurd_file_name_lookup(error_t (*use_init_port)(int which,
                                                         error_t (*operate)(mach_port_t)),
                                file_t (*get_dtable_port)(int fd),
                                error_t (*lookup)(file_t dir, const char *name, int flags,
                                                  mode_t mode, retry_type *do_retry,
                                                  string_t retry_name, mach_port_t *result),
                                const char *file_name, int flags, mode_t mode, file_t *result)
{
    (void)get_dtable_port; /* lookup-retry.c's magic "fd/N" names only */
    char retryname[1024];
    retryname[0] = '\0';
    if (file_name[0] == '\0')
        return ENOENT;
    int startport = file_name[0] == '/' ? INIT_PORT_CRDIR : INIT_PORT_CWDIR;
    while (file_name[0] == '/')
        file_name++;
    if (flags & (O_NOFOLLOW | O_DIRECTORY))
        kern_unmodelled("a lookup with O_NOFOLLOW or O_DIRECTORY (hurdlookup.c's rewrites)");
    struct lookup_ctx c = {lookup, file_name, flags, mode, 0, retryname, result};
    struct lookup_ctx *outer = lookup_now;
    lookup_now = &c;
    error_t err = (*use_init_port)(startport, &lookup_op);
    lookup_now = outer;
    if (err == 0 && (c.doretry != HURD_FS_RETRY_NORMAL || retryname[0] != '\0'))
        kern_unmodelled("a dir_lookup answer that asks for a retry (lookup-retry.c)");
    return err;
}

error_t _hurd_ports_use(int which, error_t (*operate)(mach_port_t))
{
    if (which < 0 || (unsigned)which >= _hurd_nports)
        return EINVAL;
    struct hurd_userlink ulink;
    mach_port_t port = _hurd_port_get(&_hurd_ports[which], &ulink);
    error_t err = (*operate)(port);
    _hurd_port_free(&_hurd_ports[which], &ulink, port);
    return err;
}

void _hurd_port_move(struct hurd_port *port, struct hurd_userlink *new_link,
                     struct hurd_userlink *link)
{
    HURD_CRITICAL_BEGIN;
    __spin_lock(&port->lock);
    *new_link = *link;
    if (new_link->next != NULL)
        new_link->next->prevp = &new_link->next;
    if (new_link->prevp != NULL)
        *new_link->prevp = new_link;
    __spin_unlock(&port->lock);
    HURD_CRITICAL_END;
}

error_t fi_spawn_check_ids(void);
error_t fi_spawn_check_ids(void)
{
    kern_unmodelled("posix_spawn with POSIX_SPAWN_RESETIDS: spawni.c asks for the process's "
                    "ids (_hurd_check_ids: auth_getids), then makes an auth port of its real "
                    "ids (auth_makeauth) and reauthenticates the child's ports; the simulated "
                    "auth server keeps no ids");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
kern_return_t __proc_setsid(mach_port_t process)
{
    kern_unmodelled("proc_setsid (posix_spawn with POSIX_SPAWN_SETSID): the simulated proc "
                    "server keeps no sessions of their own");
}
kern_return_t __proc_setpgrp(mach_port_t process, pid_t pid, pid_t pgrp)
{
    kern_unmodelled("proc_setpgrp (posix_spawn with POSIX_SPAWN_SETPGROUP): the simulated proc "
                    "server has one process group per session and no way to make another");
}
kern_return_t __proc_getpgrp(mach_port_t process, pid_t pid, pid_t *pgrp)
{
    kern_unmodelled("proc_getpgrp (a tcsetpgrp file action)");
}
int __tcsetpgrp(int fd, pid_t pgrp)
{
    kern_unmodelled("tcsetpgrp (a tcsetpgrp file action)");
}
size_t __confstr(int name, char *buf, size_t len)
{
    kern_unmodelled("confstr (posix_spawnp's PATH search)");
}
char *__strchrnul(const char *s, int c)
{
    kern_unmodelled("strchrnul (posix_spawnp's PATH search)");
}
error_t __argz_insert(char **argz, size_t *argz_len, char *before, const char *entry)
{
    kern_unmodelled("argz_insert (the #! fallback of SPAWN_XFLAGS_TRY_SHELL)");
}
#pragma GCC diagnostic pop

long int __sysconf(int name)
{
    if (name != _SC_OPEN_MAX)
        kern_unmodelled("sysconf of something but _SC_OPEN_MAX");
    return (long int)_hurd_rlimits[RLIMIT_OFILE].rlim_cur;
}

char *__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = _hurd_malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

int fi_posix_spawn(const fi_spawn_request *req, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int err = __posix_spawn_file_actions_init(&fa);
    for (unsigned i = 0; err == 0 && i < req->nactions; i++) {
        const fi_spawn_action *a = &req->actions[i];
        switch (a->kind) {
        case FI_SPAWN_OPEN:
            err = __posix_spawn_file_actions_addopen(&fa, a->fd, a->path, O_RDONLY, 0);
            break;
        case FI_SPAWN_CLOSE:
            err = __posix_spawn_file_actions_addclose(&fa, a->fd);
            break;
        case FI_SPAWN_DUP2:
            err = __posix_spawn_file_actions_adddup2(&fa, a->fd, a->newfd);
            break;
        }
    }
    if (err == 0)
        err = __posix_spawnattr_init(&attr);
    if (err == 0) {
        sigset_t mask = (sigset_t)req->sigmask, def = (sigset_t)req->sigdefault;
        err = __posix_spawnattr_setflags(&attr, req->flags);
        if (err == 0 && (req->flags & POSIX_SPAWN_SETSIGMASK))
            err = __posix_spawnattr_setsigmask(&attr, &mask);
        if (err == 0 && (req->flags & POSIX_SPAWN_SETSIGDEF))
            err = __posix_spawnattr_setsigdefault(&attr, &def);
        if (err == 0 && (req->flags & POSIX_SPAWN_SETPGROUP))
            err = __posix_spawnattr_setpgroup(&attr, req->pgroup);
        if (err == 0) {
            char *argv[] = {(char *)req->path, NULL};
            char *envp[] = {NULL};
            err = forksim_glibc_posix_spawn(pid, req->path, &fa, &attr, argv, envp);
        }
        __posix_spawnattr_destroy(&attr);
    }
    __posix_spawn_file_actions_destroy(&fa);
    return err;
}
