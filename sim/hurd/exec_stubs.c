/*
 * exec_stubs.c: the client stubs of the Hurd's fs.defs (dir_lookup, file_exec_paths,
 * file_exec), io.defs (io_read), exec.defs (exec_exec_paths), exec_startup.defs
 * (exec_startup_get_info) and interrupt.defs (interrupt_operation), with the prototypes of the
 * stubs MIG generates for glibc (servers.h). Each is one RPC of the calling thread over real
 * messages, as proc_stubs.c's: kern_rpc_begin, mig_rpc (M10-M12), kern_rpc_end (one trace line).
 *
 * The variable-length arrays travel inline, in the order of the .defs; a port array is one
 * item with the caller's disposition (the Poly argument), a name array one item of
 * MACH_MSG_TYPE_PORT_NAME. Added rule: as proc_stubs.c's, these stubs send once (H11's
 * interruptible path is not taken here).
 */
#include "servers.h"
#include "mig.h"

#include <string.h>

/* Appends to buf (len bytes) at *o, never past its end. */
#define APP(buf, len, o, ...)                                                     \
    do {                                                                          \
        if (*(o) + 1 < (len)) {                                                   \
            *(o) += (size_t)kern_fmt((buf) + *(o), (len) - *(o), __VA_ARGS__);   \
            if (*(o) >= (len))                                                    \
                *(o) = (len) - 1;                                                 \
        }                                                                         \
    } while (0)

static kern_return_t finish(kern_rpc *r, kern_return_t kr, const char *args, const char *outs)
{
    return kern_rpc_end(r, kr, args, kr == KERN_SUCCESS ? outs : "");
}

/* "{a b c}" of n names into buf at *o. */
static void fmt_names(char *buf, size_t len, size_t *o, const mach_port_t *v, unsigned n)
{
    APP(buf, len, o, "{");
    for (unsigned i = 0; i < n; i++)
        APP(buf, len, o, "%s%u", i ? " " : "", v[i]);
    APP(buf, len, o, "}");
}

static void fmt_ints(char *buf, size_t len, size_t *o, const int *v, unsigned n)
{
    APP(buf, len, o, "{");
    for (unsigned i = 0; i < n; i++)
        APP(buf, len, o, "%s%#x", i ? " " : "", (unsigned)v[i]);
    APP(buf, len, o, "}");
}

kern_return_t __dir_lookup(mach_port_t start_dir, const char *file_name, int flags,
                           mode_t mode, int *do_retry, char *retry_name, mach_port_t *result)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "dir_lookup", false);
    mig_request_init(&m, start_dir, FS_ID_DIR_LOOKUP);
    mig_put_bytes(&m, file_name, (uint32_t)strlen(file_name) + 1);
    mig_put_int32(&m, flags);
    mig_put_int32(&m, (int32_t)mode);
    kern_return_t kr = mig_rpc(&r, &m, 0, true);
    int32_t retry = 0;
    char name[1024];
    uint32_t n = 0;
    mach_port_t p = MACH_PORT_NULL;
    if (kr == KERN_SUCCESS && !(mig_get_int32(&m, &retry) &&
                                mig_get_byte_array(&m, name, sizeof name - 1, &n) &&
                                mig_get_port(&m, &p, NULL)))
        kr = MIG_TYPE_ERROR;
    name[n] = 0;
    char args[160], outs[96];
    kern_fmt(args, sizeof args, "%u, \"%.100s\", %#x, %#o", start_dir, file_name,
             (unsigned)flags, (unsigned)mode);
    kern_fmt(outs, sizeof outs, "%d, \"%.40s\", %u", retry, name, p);
    if (kr == KERN_SUCCESS) {
        *do_retry = retry;
        memcpy(retry_name, name, n + 1);
        *result = p;
    }
    return finish(&r, kr, args, outs);
}

/* The body of file_exec_paths, file_exec and exec_exec_paths after their ports and flags. */
static void put_exec_body(mig_msg_t *m, const char *argv, mach_msg_type_number_t argvCnt,
                          const char *envp, mach_msg_type_number_t envpCnt,
                          const mach_port_t *fds, mach_msg_type_name_t fdsPoly,
                          mach_msg_type_number_t fdsCnt, const mach_port_t *ports,
                          mach_msg_type_name_t portsPoly, mach_msg_type_number_t portsCnt,
                          const int *ints, mach_msg_type_number_t intsCnt,
                          const mach_port_t *dealloc, mach_msg_type_number_t deallocCnt,
                          const mach_port_t *destroy, mach_msg_type_number_t destroyCnt)
{
    mig_put_bytes(m, argv, argvCnt);
    mig_put_bytes(m, envp, envpCnt);
    mig_put_ports(m, fds, fdsCnt, fdsPoly);
    mig_put_ports(m, ports, portsCnt, portsPoly);
    mig_put_words(m, MACH_MSG_TYPE_INTEGER_32, (const uint32_t *)ints, intsCnt);
    mig_put_words(m, MACH_MSG_TYPE_PORT_NAME, dealloc, deallocCnt);
    mig_put_words(m, MACH_MSG_TYPE_PORT_NAME, destroy, destroyCnt);
}

static void fmt_exec_args(char *buf, size_t len, size_t o, const mach_port_t *fds,
                          unsigned nfds, const mach_port_t *ports, unsigned nports,
                          const int *ints, unsigned nints, const mach_port_t *dealloc,
                          unsigned ndealloc, const mach_port_t *destroy, unsigned ndestroy)
{
    APP(buf, len, &o, ", fds ");
    fmt_names(buf, len, &o, fds, nfds);
    APP(buf, len, &o, ", ports ");
    fmt_names(buf, len, &o, ports, nports);
    APP(buf, len, &o, ", ints ");
    fmt_ints(buf, len, &o, ints, nints);
    APP(buf, len, &o, ", dealloc ");
    fmt_names(buf, len, &o, dealloc, ndealloc);
    APP(buf, len, &o, ", destroy ");
    fmt_names(buf, len, &o, destroy, ndestroy);
}

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
                                mach_msg_type_number_t destroynamesCnt)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "file_exec_paths", false);
    r.intr = true; /* fs.defs is an INTR_INTERFACE (H11): glibc's stub is interruptible */
    mig_request_init(&m, exec_file, FS_ID_FILE_EXEC_PATHS);
    mig_put_port(&m, exec_task, MACH_MSG_TYPE_COPY_SEND);
    mig_put_int32(&m, flags);
    mig_put_bytes(&m, path, (uint32_t)strlen(path) + 1);
    mig_put_bytes(&m, abspath, (uint32_t)strlen(abspath) + 1);
    put_exec_body(&m, argv, argvCnt, envp, envpCnt, fdarray, fdarrayPoly, fdarrayCnt, portarray,
                  portarrayPoly, portarrayCnt, intarray, intarrayCnt, deallocnames,
                  deallocnamesCnt, destroynames, destroynamesCnt);
    char args[512];
    size_t o = (size_t)kern_fmt(args, sizeof args, "%u, %u, %#x, \"%.60s\", \"%.60s\"",
                                exec_file, exec_task, (unsigned)flags, path, abspath);
    fmt_exec_args(args, sizeof args, o, fdarray, fdarrayCnt, portarray, portarrayCnt, intarray,
                  intarrayCnt, deallocnames, deallocnamesCnt, destroynames, destroynamesCnt);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    return finish(&r, kr, args, "");
}

kern_return_t __file_exec(mach_port_t exec_file, mach_port_t exec_task, int flags,
                          const char *argv, mach_msg_type_number_t argvCnt,
                          const char *envp, mach_msg_type_number_t envpCnt,
                          const mach_port_t *fdarray, mach_msg_type_name_t fdarrayPoly,
                          mach_msg_type_number_t fdarrayCnt,
                          const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                          mach_msg_type_number_t portarrayCnt,
                          const int *intarray, mach_msg_type_number_t intarrayCnt,
                          const mach_port_t *deallocnames, mach_msg_type_number_t deallocnamesCnt,
                          const mach_port_t *destroynames, mach_msg_type_number_t destroynamesCnt)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "file_exec", false);
    r.intr = true; /* fs.defs is an INTR_INTERFACE (H11): glibc's stub is interruptible */
    mig_request_init(&m, exec_file, FS_ID_FILE_EXEC);
    mig_put_port(&m, exec_task, MACH_MSG_TYPE_COPY_SEND);
    mig_put_int32(&m, flags);
    put_exec_body(&m, argv, argvCnt, envp, envpCnt, fdarray, fdarrayPoly, fdarrayCnt, portarray,
                  portarrayPoly, portarrayCnt, intarray, intarrayCnt, deallocnames,
                  deallocnamesCnt, destroynames, destroynamesCnt);
    char args[512];
    size_t o = (size_t)kern_fmt(args, sizeof args, "%u, %u, %#x", exec_file, exec_task,
                                (unsigned)flags);
    fmt_exec_args(args, sizeof args, o, fdarray, fdarrayCnt, portarray, portarrayCnt, intarray,
                  intarrayCnt, deallocnames, deallocnamesCnt, destroynames, destroynamesCnt);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    return finish(&r, kr, args, "");
}

kern_return_t __exec_exec_paths(mach_port_t execserver, mach_port_t file,
                                mach_msg_type_name_t filePoly, mach_port_t oldtask, int flags,
                                const char *path, const char *abspath,
                                const char *argv, mach_msg_type_number_t argvCnt,
                                const char *envp, mach_msg_type_number_t envpCnt,
                                const mach_port_t *dtable, mach_msg_type_name_t dtablePoly,
                                mach_msg_type_number_t dtableCnt,
                                const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                                mach_msg_type_number_t portarrayCnt,
                                const int *intarray, mach_msg_type_number_t intarrayCnt,
                                const mach_port_t *deallocnames,
                                mach_msg_type_number_t deallocnamesCnt,
                                const mach_port_t *destroynames,
                                mach_msg_type_number_t destroynamesCnt)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "exec_exec_paths", false);
    mig_request_init(&m, execserver, EXEC_ID_EXEC_PATHS);
    mig_put_port(&m, file, filePoly);
    mig_put_port(&m, oldtask, MACH_MSG_TYPE_COPY_SEND);
    mig_put_int32(&m, flags);
    mig_put_bytes(&m, path, (uint32_t)strlen(path) + 1);
    mig_put_bytes(&m, abspath, (uint32_t)strlen(abspath) + 1);
    put_exec_body(&m, argv, argvCnt, envp, envpCnt, dtable, dtablePoly, dtableCnt, portarray,
                  portarrayPoly, portarrayCnt, intarray, intarrayCnt, deallocnames,
                  deallocnamesCnt, destroynames, destroynamesCnt);
    char args[512];
    size_t o = (size_t)kern_fmt(args, sizeof args, "%u, %u, %u, %#x, \"%.60s\", \"%.60s\"",
                                execserver, file, oldtask, (unsigned)flags, path, abspath);
    fmt_exec_args(args, sizeof args, o, dtable, dtableCnt, portarray, portarrayCnt, intarray,
                  intarrayCnt, deallocnames, deallocnamesCnt, destroynames, destroynamesCnt);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    return finish(&r, kr, args, "");
}

kern_return_t __io_read(mach_port_t io_object, char **data, mach_msg_type_number_t *dataCnt,
                        long long offset, vm_size_t amount)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "io_read", false);
    mig_request_init(&m, io_object, IO_ID_READ);
    mig_put_int64(&m, offset);
    mig_put_int64(&m, (int64_t)amount);
    kern_return_t kr = mig_rpc(&r, &m, 0, false);
    char buf[MIG_MSG_MAX];
    uint32_t n = 0;
    if (kr == KERN_SUCCESS && !mig_get_byte_array(&m, buf, sizeof buf, &n))
        kr = MIG_TYPE_ERROR;
    if (kr == KERN_SUCCESS && n > *dataCnt)
        kern_unmodelled("io_read: a reply larger than the caller's buffer (out of line)");
    char args[64], outs[32];
    kern_fmt(args, sizeof args, "%u, %lld, %zu", io_object, offset, (size_t)amount);
    kern_fmt(outs, sizeof outs, "%u bytes", n);
    if (kr == KERN_SUCCESS) {
        memcpy(*data, buf, n);
        *dataCnt = n;
    }
    return finish(&r, kr, args, outs);
}

/* One out-array of get_info into the caller's buffer (MIG's rule, servers.h). */
static bool out_words(mig_msg_t *m, unsigned type, void *dst, mach_msg_type_number_t *cnt)
{
    uint32_t v[MIG_MSG_MAX / 4], n = 0;
    if (!mig_get_words(m, type, v, MIG_MSG_MAX / 4, &n))
        return false;
    if (n > *cnt)
        kern_unmodelled("exec_startup_get_info: an array larger than the caller's buffer");
    memcpy(dst, v, (size_t)n * 4);
    *cnt = n;
    return true;
}

static bool out_ports(mig_msg_t *m, mach_port_t *dst, mach_msg_type_number_t *cnt)
{
    mach_port_t v[MIG_MSG_MAX / 8];
    uint32_t n = 0;
    if (!mig_get_ports(m, v, MIG_MSG_MAX / 8, &n))
        return false;
    if (n > *cnt)
        kern_unmodelled("exec_startup_get_info: an array larger than the caller's buffer");
    memcpy(dst, v, (size_t)n * sizeof *v);
    *cnt = n;
    return true;
}

static bool out_bytes(mig_msg_t *m, char *dst, mach_msg_type_number_t *cnt)
{
    char v[MIG_MSG_MAX];
    uint32_t n = 0;
    if (!mig_get_byte_array(m, v, sizeof v, &n))
        return false;
    if (n > *cnt)
        kern_unmodelled("exec_startup_get_info: an array larger than the caller's buffer");
    memcpy(dst, v, n);
    *cnt = n;
    return true;
}

kern_return_t __exec_startup_get_info(mach_port_t bootstrap, vm_address_t *user_entry,
                                      vm_address_t *phdr_data, vm_size_t *phdr_size,
                                      vm_address_t *stack_base, vm_size_t *stack_size, int *flags,
                                      char **argv, mach_msg_type_number_t *argvCnt,
                                      char **envp, mach_msg_type_number_t *envpCnt,
                                      mach_port_t **dtable, mach_msg_type_number_t *dtableCnt,
                                      mach_port_t **portarray,
                                      mach_msg_type_number_t *portarrayCnt,
                                      int **intarray, mach_msg_type_number_t *intarrayCnt)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "exec_startup_get_info", false);
    mig_request_init(&m, bootstrap, EXEC_STARTUP_ID_GET_INFO);
    kern_return_t kr = mig_rpc(&r, &m, 0, true);
    int64_t a[5] = {0};
    int32_t f = 0;
    if (kr == KERN_SUCCESS &&
        !(mig_get_int64(&m, &a[0]) && mig_get_int64(&m, &a[1]) && mig_get_int64(&m, &a[2]) &&
          mig_get_int64(&m, &a[3]) && mig_get_int64(&m, &a[4]) && mig_get_int32(&m, &f) &&
          out_bytes(&m, *argv, argvCnt) && out_bytes(&m, *envp, envpCnt) &&
          out_ports(&m, *dtable, dtableCnt) && out_ports(&m, *portarray, portarrayCnt) &&
          out_words(&m, MACH_MSG_TYPE_INTEGER_32, *intarray, intarrayCnt)))
        kr = MIG_TYPE_ERROR;
    char args[16], outs[256] = "";
    kern_fmt(args, sizeof args, "%u", bootstrap);
    if (kr == KERN_SUCCESS) {
        *user_entry = (vm_address_t)a[0];
        *phdr_data = (vm_address_t)a[1];
        *phdr_size = (vm_size_t)a[2];
        *stack_base = (vm_address_t)a[3];
        *stack_size = (vm_size_t)a[4];
        *flags = f;
        size_t o = (size_t)kern_fmt(outs, sizeof outs, "flags %#x, dtable ", (unsigned)f);
        fmt_names(outs, sizeof outs, &o, *dtable, *dtableCnt);
        APP(outs, sizeof outs, &o, ", ports ");
        fmt_names(outs, sizeof outs, &o, *portarray, *portarrayCnt);
        APP(outs, sizeof outs, &o, ", ints ");
        fmt_ints(outs, sizeof outs, &o, *intarray, *intarrayCnt);
    }
    return finish(&r, kr, args, outs);
}

kern_return_t __interrupt_operation(mach_port_t object, mach_msg_timeout_t timeout)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "interrupt_operation", false);
    mig_request_init(&m, object, INTERRUPT_ID_OPERATION);
    kern_return_t kr = mig_rpc_ex(&r, &m, MIG_REPLY_SIZE, false, true, timeout);
    char args[32];
    kern_fmt(args, sizeof args, "%u, %u ms", object, timeout);
    return finish(&r, kr, args, "");
}
