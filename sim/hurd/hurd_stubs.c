/*
 * hurd_stubs.c: the client stubs of the Hurd's interfaces that glibc calls (process.defs,
 * msg.defs, term.defs, fs.defs, io.defs, exec.defs, exec_startup.defs, interrupt.defs),
 * standing in for the stubs MIG generates for glibc. Their bodies are generated from the
 * routine table sim/hurd/hurd.stubs by tools/stubgen.py, as MIG generates them from the .defs
 * files; this file holds what the generated bodies share: the trace's array formatting and
 * MIG's out-array rule.
 *
 * The variable-length arrays travel inline, in the order of the .defs; a port array is one
 * item with the caller's disposition (the Poly argument), a name array one item of
 * MACH_MSG_TYPE_PORT_NAME.
 */
#include "servers.h"
#include "mig.h"

#include <string.h>

/* Appends to buf (len bytes) at *o, never past its end. */
#define STUB_APPEND(buf, len, o, ...)                                             \
    do {                                                                          \
        if (*(o) + 1 < (len)) {                                                   \
            *(o) += (size_t)kern_fmt((buf) + *(o), (len) - *(o), __VA_ARGS__);   \
            if (*(o) >= (len))                                                    \
                *(o) = (len) - 1;                                                 \
        }                                                                         \
    } while (0)

/* "{a b c}" of n names, or of n numbers in hex, into buf at *o. */
static void stub_append_names(char *buf, size_t len, size_t *o, const mach_port_t *v, unsigned n)
{
    STUB_APPEND(buf, len, o, "{");
    for (unsigned i = 0; i < n; i++)
        STUB_APPEND(buf, len, o, "%s%u", i ? " " : "", v[i]);
    STUB_APPEND(buf, len, o, "}");
}

static void stub_append_ints(char *buf, size_t len, size_t *o, const int *v, unsigned n)
{
    STUB_APPEND(buf, len, o, "{");
    for (unsigned i = 0; i < n; i++)
        STUB_APPEND(buf, len, o, "%s%#x", i ? " " : "", (unsigned)v[i]);
    STUB_APPEND(buf, len, o, "}");
}

static void stub_append_decimal(char *buf, size_t len, size_t *o, const int *v, unsigned n)
{
    STUB_APPEND(buf, len, o, "{");
    for (unsigned i = 0; i < n; i++)
        STUB_APPEND(buf, len, o, "%s%d", i ? " " : "", v[i]);
    STUB_APPEND(buf, len, o, "}");
}

/* MIG's out-array rule (servers.h): the reply's array into the caller's buffer dst of *cnt
 * elements, *cnt set to its count. A larger array would have come out of line: unmodelled. */
static void stub_fits(const char *routine, uint32_t n, mach_msg_type_number_t cnt)
{
    if (n > cnt) {
        char what[128];
        kern_fmt(what, sizeof what, "%s: an array larger than the caller's buffer (out of line)",
                 routine);
        kern_unmodelled(what);
    }
}

static bool stub_get_ints(mig_msg_t *m, const char *routine, int *dst, mach_msg_type_number_t *cnt)
{
    uint32_t v[MIG_MSG_MAX / 4], n = 0;
    if (!mig_get_words(m, MACH_MSG_TYPE_INTEGER_32, v, MIG_MSG_MAX / 4, &n))
        return false;
    stub_fits(routine, n, *cnt);
    memcpy(dst, v, (size_t)n * 4);
    *cnt = n;
    return true;
}

static bool stub_get_ports(mig_msg_t *m, const char *routine, mach_port_t *dst,
                           mach_msg_type_number_t *cnt)
{
    mach_port_t v[MIG_MSG_MAX / 8];
    uint32_t n = 0;
    if (!mig_get_ports(m, v, MIG_MSG_MAX / 8, &n))
        return false;
    stub_fits(routine, n, *cnt);
    memcpy(dst, v, (size_t)n * sizeof *v);
    *cnt = n;
    return true;
}

static bool stub_get_bytes(mig_msg_t *m, const char *routine, char *dst, mach_msg_type_number_t *cnt)
{
    char v[MIG_MSG_MAX];
    uint32_t n = 0;
    if (!mig_get_byte_array(m, v, sizeof v, &n))
        return false;
    stub_fits(routine, n, *cnt);
    memcpy(dst, v, n);
    *cnt = n;
    return true;
}

/* The stubs of the routine table (tools/stubgen.py from sim/hurd/hurd.stubs). */
#include "hurd.stubs.c"

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
