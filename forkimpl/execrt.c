/*
 * execrt.c: what glibc's exec code (hurd/hurdexec.c, sysdeps/mach/hurd/execve.c, execveat.c,
 * compiled unmodified) needs beneath it that neither the other shims nor the host's libc give,
 * written for the simulation (declared in shim/forkimpl-exec.h):
 *
 *  - __argz_create (glibc's string/argz-create.c): argv as one buffer of NUL-terminated
 *    strings, on the image heap (hurdexec.c frees it with free, that is _hurd_free);
 *  - __file_name_lookup_at (glibc's hurd/lookup-at.c over hurdlookup.c and lookup-retry.c):
 *    dir_lookup on the root directory port, as rule EX1 says every path is looked up; the
 *    fs answers FS_RETRY_NORMAL with an empty name or an error (EX1), so no retry is ever
 *    asked for, and a retry answer stops the run as unmodelled rather than being ignored;
 *  - __getcwd (the root, the one directory of EX1), __asprintf (on the image heap), and
 *    __hurd_canonicalize_directory_name_internal (execveat with a descriptor for its
 *    directory, which execve never is: unmodelled).
 *
 * And fi_exec: a simulated process's execve of a built-in program, through glibc's __execve,
 * and what a failed one left held (fi_exec_failures; the trace note "exec PATH failed in tT:
 * ERR; left held: ...").
 */
#include "forkimpl.h"
#include "forkimpl-exec.h"
#include "servers.h"
#include "kern.h"
#include <hurd/signal.h>
#include <hurd/id.h>
#include "hurd/fd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

error_t __argz_create(char *const argv[], char **argz, size_t *len)
{
    size_t n = 0;
    for (char *const *a = argv; *a != NULL; a++)
        n += strlen(*a) + 1;
    if (n == 0) {
        *argz = NULL;
        *len = 0;
        return 0;
    }
    char *buf = _hurd_malloc(n);
    if (buf == NULL)
        return ENOMEM;
    char *p = buf;
    for (char *const *a = argv; *a != NULL; a++)
        p = stpcpy(p, *a) + 1;
    *argz = buf;
    *len = n;
    return 0;
}

mach_port_t __file_name_lookup_at(int fd, int at_flags, const char *file_name, int flags,
                                  mode_t mode)
{
    if (fd != AT_FDCWD || at_flags != 0)
        kern_unmodelled("a lookup relative to a descriptor (execveat with a directory)");
    int retry = 0;
    char retry_name[1024];
    mach_port_t result = MACH_PORT_NULL;
    struct hurd_userlink crdir_link;
    mach_port_t crdir = _hurd_port_get(&_hurd_ports[INIT_PORT_CRDIR], &crdir_link);
    kern_return_t kr = __dir_lookup(crdir, file_name, flags, mode, &retry, retry_name, &result);
    _hurd_port_free(&_hurd_ports[INIT_PORT_CRDIR], &crdir_link, crdir);
    if (kr != KERN_SUCCESS) {
        errno = kr;
        return MACH_PORT_NULL;
    }
    if (retry != HURD_FS_RETRY_NORMAL || retry_name[0] != '\0')
        kern_unmodelled("a dir_lookup answer that asks for a retry");
    return result;
}

char *__getcwd(char *buf, size_t size)
{
    if (buf == NULL) {
        buf = _hurd_malloc(2);
        if (buf == NULL)
            return NULL;
    } else if (size < 2) {
        errno = HURD_ERANGE;
        return NULL;
    }
    strcpy(buf, "/");
    return buf;
}

int __asprintf(char **strp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (*strp = _hurd_malloc((size_t)n + 1)) == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(*strp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return n;
}

char *__hurd_canonicalize_directory_name_internal(mach_port_t thisdir, char *buf, size_t size)
{
    (void)thisdir, (void)buf, (void)size;
    kern_unmodelled("the name of a directory given by a descriptor (execveat)");
}

int forksim_glibc_execve(const char *file_name, char *const argv[], char *const envp[]);

/* Failed execs, in order (host memory, part of the world). */
SIM_WORLD_STATE static fi_exec_failure failures[FI_MAX_EXECS];
SIM_WORLD_STATE static unsigned nfailures;

void fi_exec_failures_reset(void)
{
    nfailures = 0;
}

unsigned fi_exec_failures(const fi_exec_failure **f)
{
    if (f != NULL)
        *f = failures;
    return nfailures;
}

/* What a failed exec left held of the locks _hurd_exec_paths takes: its critical section
 * (taken at retry:, released by _hurd_critical_section_unlock), the descriptor table's lock
 * and _hurd_id's. hurdexec.c returns early, with all of them still held, when mach_port_names
 * fails or its two counts differ; a critical section left held defers every signal with a
 * handler for good (hurdsig.c: pending_signals gives none while it is locked). */
int fi_exec(const char *path)
{
    char *argv[] = {(char *)path, NULL};
    char *envp[] = {NULL};
    forksim_glibc_execve(path, argv, envp);
    int err = errno;
    fi_exec_failure f = {
        .task = sim_task_id(sim_task_self()),
        .err = err,
        .critical_section = __spin_lock_locked(&_hurd_self_sigstate()->critical_section_lock),
        .dtable_lock = __spin_lock_locked(&_hurd_dtable_lock.lock),
        .id_lock = __spin_lock_locked(&_hurd_id.lock.lock),
    };
    if (nfailures < FI_MAX_EXECS)
        failures[nfailures++] = f;
    const char *name = hurd_errno_name(err);
    char held[96];
    fi_exec_held(&f, held, sizeof held);
    kern_trace_note("exec %s failed in t%d: %s%s; left held: %s", path, f.task,
                    name != NULL ? name : "", name != NULL ? "" : "error", held);
    return err;
}

void fi_exec_held(const fi_exec_failure *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s", f->critical_section ? "critical section" : "",
             f->critical_section && (f->dtable_lock || f->id_lock) ? ", " : "",
             f->dtable_lock ? "fd-table lock" : "", f->dtable_lock && f->id_lock ? ", " : "",
             f->id_lock ? "_hurd_id lock" : "");
    if (buf[0] == '\0')
        snprintf(buf, len, "nothing");
}
