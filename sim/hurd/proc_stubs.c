/*
 * proc_stubs.c: the client stubs of the Hurd's process.defs (subsystem 24000) that glibc 2.36
 * calls, standing in for the stubs MIG generates for glibc (hurd/process.defs with
 * INTR_INTERFACE). Each is one RPC of the calling thread over real messages: kern_rpc_begin
 * (scheduling point, reply port, fault plan), mig_rpc (M10-M12), kern_rpc_end (one trace line).
 *
 * Every routine is interruptible (process.defs is an INTR_INTERFACE): each stub sets r.intr,
 * and its message goes through glibc's _hurd_intr_rpc_mach_msg (H11).
 */
#include "servers.h"
#include "mig.h"

#include <stdio.h>
#include <string.h>

/* Sizes of the replies: the header, RetCode and each out-item, in the world's layout (mig.h). */
#define R_PORT (MIG_REPLY_SIZE + mig_port_item_size())
#define R_INT1 (MIG_REPLY_SIZE + mig_item_size(32, 1))
#define R_INT3 (MIG_REPLY_SIZE + 3 * mig_item_size(32, 1))
#define R_ADDR2 (MIG_REPLY_SIZE + 2 * mig_item_size(64, 1))
#define R_WAIT (MIG_REPLY_SIZE + 3 * mig_item_size(32, 1) + mig_item_size(8, sizeof(rusage_t)))

static kern_return_t finish(kern_rpc *r, kern_return_t kr, const char *args, const char *outs)
{
    return kern_rpc_end(r, kr, args, kr == KERN_SUCCESS ? outs : "");
}

kern_return_t __proc_task2proc(mach_port_t process, mach_port_t task, mach_port_t *proc)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_task2proc", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_TASK2PROC);
    mig_put_port(&m, task, MACH_MSG_TYPE_COPY_SEND);
    kern_return_t kr = mig_rpc(&r, &m, R_PORT, true);
    mach_port_t p = MACH_PORT_NULL;
    if (kr == KERN_SUCCESS && !mig_get_port(&m, &p, NULL))
        kr = MIG_TYPE_ERROR;
    char args[32], outs[16];
    kern_fmt(args, sizeof args, "%u, %u", process, task);
    kern_fmt(outs, sizeof outs, "%u", p);
    if (kr == KERN_SUCCESS)
        *proc = p;
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_task2pid(mach_port_t process, mach_port_t task, pid_t *pid)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_task2pid", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_TASK2PID);
    mig_put_port(&m, task, MACH_MSG_TYPE_COPY_SEND);
    kern_return_t kr = mig_rpc(&r, &m, R_INT1, false);
    int32_t v = 0;
    if (kr == KERN_SUCCESS && !mig_get_int32(&m, &v))
        kr = MIG_TYPE_ERROR;
    char args[32], outs[16];
    kern_fmt(args, sizeof args, "%u, %u", process, task);
    kern_fmt(outs, sizeof outs, "%d", v);
    if (kr == KERN_SUCCESS)
        *pid = v;
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_pid2task(mach_port_t process, pid_t pid, mach_port_t *task)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_pid2task", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_PID2TASK);
    mig_put_int32(&m, pid);
    kern_return_t kr = mig_rpc(&r, &m, R_PORT, true);
    mach_port_t t = MACH_PORT_NULL;
    if (kr == KERN_SUCCESS && !mig_get_port(&m, &t, NULL))
        kr = MIG_TYPE_ERROR;
    char args[32], outs[16];
    kern_fmt(args, sizeof args, "%u, %d", process, pid);
    kern_fmt(outs, sizeof outs, "%u", t);
    if (kr == KERN_SUCCESS)
        *task = t;
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_child(mach_port_t process, mach_port_t child)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_child", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_CHILD);
    mig_put_port(&m, child, MACH_MSG_TYPE_COPY_SEND);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    char args[32];
    kern_fmt(args, sizeof args, "%u, %u", process, child);
    return finish(&r, kr, args, "");
}

kern_return_t __proc_setmsgport(mach_port_t process, mach_port_t newmsgport,
                                mach_port_t *oldmsgport)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_setmsgport", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_SETMSGPORT);
    mig_put_port(&m, newmsgport, MACH_MSG_TYPE_COPY_SEND);
    kern_return_t kr = mig_rpc(&r, &m, R_PORT, true);
    mach_port_t old = MACH_PORT_NULL;
    if (kr == KERN_SUCCESS && !mig_get_port(&m, &old, NULL))
        kr = MIG_TYPE_ERROR;
    char args[32], outs[16];
    kern_fmt(args, sizeof args, "%u, %u", process, newmsgport);
    kern_fmt(outs, sizeof outs, "%u", old);
    if (kr == KERN_SUCCESS)
        *oldmsgport = old;
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_getmsgport(mach_port_t process, pid_t pid, mach_port_t *msgport)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_getmsgport", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_GETMSGPORT);
    mig_put_int32(&m, pid);
    kern_return_t kr = mig_rpc(&r, &m, R_PORT, true);
    mach_port_t p = MACH_PORT_NULL;
    if (kr == KERN_SUCCESS && !mig_get_port(&m, &p, NULL))
        kr = MIG_TYPE_ERROR;
    char args[32], outs[16];
    kern_fmt(args, sizeof args, "%u, %d", process, pid);
    kern_fmt(outs, sizeof outs, "%u", p);
    if (kr == KERN_SUCCESS)
        *msgport = p;
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_getpids(mach_port_t process, pid_t *pid, pid_t *ppid, int *orphaned)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_getpids", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_GETPIDS);
    kern_return_t kr = mig_rpc(&r, &m, R_INT3, false);
    int32_t v[3] = {0, 0, 0};
    if (kr == KERN_SUCCESS &&
        !(mig_get_int32(&m, &v[0]) && mig_get_int32(&m, &v[1]) && mig_get_int32(&m, &v[2])))
        kr = MIG_TYPE_ERROR;
    char args[16], outs[48];
    kern_fmt(args, sizeof args, "%u", process);
    kern_fmt(outs, sizeof outs, "%d, %d, %d", v[0], v[1], v[2]);
    if (kr == KERN_SUCCESS) {
        *pid = v[0];
        *ppid = v[1];
        *orphaned = v[2];
    }
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_get_arg_locations(mach_port_t process, vm_address_t *argv,
                                       vm_address_t *envp)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_get_arg_locations", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_GET_ARG_LOCATIONS);
    kern_return_t kr = mig_rpc(&r, &m, R_ADDR2, false);
    int64_t a = 0, e = 0;
    if (kr == KERN_SUCCESS && !(mig_get_int64(&m, &a) && mig_get_int64(&m, &e)))
        kr = MIG_TYPE_ERROR;
    char args[16], outs[48];
    kern_fmt(args, sizeof args, "%u", process);
    kern_fmt(outs, sizeof outs, "%#llx, %#llx", (unsigned long long)a, (unsigned long long)e);
    if (kr == KERN_SUCCESS) {
        *argv = (vm_address_t)a;
        *envp = (vm_address_t)e;
    }
    return finish(&r, kr, args, outs);
}

kern_return_t __proc_set_arg_locations(mach_port_t process, vm_address_t argv,
                                       vm_address_t envp)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_set_arg_locations", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_SET_ARG_LOCATIONS);
    mig_put_int64(&m, (int64_t)argv);
    mig_put_int64(&m, (int64_t)envp);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    char args[64];
    kern_fmt(args, sizeof args, "%u, %#llx, %#llx", process, (unsigned long long)argv,
             (unsigned long long)envp);
    return finish(&r, kr, args, "");
}

kern_return_t __proc_dostop(mach_port_t process, mach_port_t contthread)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_dostop", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_DOSTOP);
    mig_put_port(&m, contthread, MACH_MSG_TYPE_COPY_SEND);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    char args[32];
    kern_fmt(args, sizeof args, "%u, %u", process, contthread);
    return finish(&r, kr, args, "");
}

static kern_return_t two_ints(const char *routine, mach_msg_id_t id, mach_port_t process,
                              int a, int b)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, routine, false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, id);
    mig_put_int32(&m, a);
    mig_put_int32(&m, b);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    char args[48];
    kern_fmt(args, sizeof args, "%u, %d, %d", process, a, b);
    return finish(&r, kr, args, "");
}

kern_return_t __proc_mark_exit(mach_port_t process, int status, int sigcode)
{
    return two_ints("proc_mark_exit", PROC_ID_MARK_EXIT, process, status, sigcode);
}

kern_return_t __proc_mark_stop(mach_port_t process, int signo, int sigcode)
{
    return two_ints("proc_mark_stop", PROC_ID_MARK_STOP, process, signo, sigcode);
}

kern_return_t __proc_wait(mach_port_t process, pid_t pid, int options, int *status,
                          int *sigcode, rusage_t *rusage, pid_t *pid_status)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "proc_wait", false);
    r.intr = true; /* process.defs is an INTR_INTERFACE (H11) */
    mig_request_init(&m, process, PROC_ID_WAIT);
    mig_put_int32(&m, pid);
    mig_put_int32(&m, options);
    kern_return_t kr = mig_rpc(&r, &m, R_WAIT, false);
    int32_t st = 0, code = 0, who = 0;
    rusage_t ru;
    if (kr == KERN_SUCCESS &&
        !(mig_get_int32(&m, &st) && mig_get_int32(&m, &code) && mig_get_bytes(&m, &ru, sizeof ru) &&
          mig_get_int32(&m, &who)))
        kr = MIG_TYPE_ERROR;
    char args[48], outs[48];
    kern_fmt(args, sizeof args, "%u, %d, %#x", process, pid, (unsigned)options);
    kern_fmt(outs, sizeof outs, "status %#x, sigcode %d, pid %d", (unsigned)st, code, who);
    if (kr == KERN_SUCCESS) {
        *status = st;
        *sigcode = code;
        if (rusage != NULL)
            *rusage = ru;
        *pid_status = who;
    }
    return finish(&r, kr, args, outs);
}

const char *hurd_errno_name(kern_return_t code)
{
    switch (code) {
    case HURD_EPERM: return "EPERM";
    case HURD_ESRCH: return "ESRCH";
    case HURD_EINTR: return "EINTR";
    case HURD_ECHILD: return "ECHILD";
    case HURD_EBUSY: return "EBUSY";
    case HURD_EINVAL: return "EINVAL";
    case HURD_EMFILE: return "EMFILE";
    case HURD_EAGAIN: return "EAGAIN";
    case HURD_EOPNOTSUPP: return "EOPNOTSUPP";
    case HURD_EIEIO: return "EIEIO";
    case HURD_ENOENT: return "ENOENT";
    case HURD_ENOEXEC: return "ENOEXEC";
    case HURD_EBADF: return "EBADF";
    case HURD_EACCES: return "EACCES";
    case HURD_ENOTDIR: return "ENOTDIR";
    case HURD_EISDIR: return "EISDIR";
    }
    return NULL;
}
