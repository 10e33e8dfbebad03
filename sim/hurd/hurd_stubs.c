/*
 * hurd_stubs.c: the client stubs of the Hurd's interfaces that glibc calls (process.defs,
 * msg.defs, term.defs, fs.defs, io.defs, exec.defs, exec_startup.defs, interrupt.defs),
 * standing in for the stubs MIG generates for glibc. Their bodies are generated from the
 * routine table sim/hurd/hurd.stubs by tools/stubgen.py, as MIG generates them from the .defs
 * files; this file holds what the generated bodies share: the trace's array formatting and
 * MIG's out-array rule.
 *
 * The variable-length arrays travel in the order of the .defs, inline within MIG's bound and
 * the message's room, else out of line (sim/kern/mig.h, docs/exec-rules.md EX20); a port array
 * is one item with the caller's disposition (the Poly argument), a name array one item of
 * MACH_MSG_TYPE_PORT_NAME.
 */
#include "servers.h"
#include "mig.h"

#include <stdio.h>
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

/* MIG's out-array rule (servers.h): *dst is the caller's buffer of *cnt elements. An array that
 * came inline is copied there (one that does not fit: unmodelled, where MIG's stub would
 * mig_allocate a buffer); one that came out of line replaces *dst with the address the kernel
 * placed it at in the caller's space, whatever its count (MIG's user.c: `if
 * (!OutP->dtableType.msgt_inline) *dtable = OutP->dtable`; 0 for an empty one), the region the
 * caller's to keep or vm_deallocate. *cnt gets the count. */
static bool stub_get_array(mig_msg_t *m, const char *routine, unsigned elem_bits, unsigned type,
                           void **dst, size_t elem, mach_msg_type_number_t *cnt)
{
    mig_array_t a;
    if (!mig_get_array(m, elem_bits, &a) || (type != 0 && a.type != type))
        return !(m->bad = true);
    if (a.out_of_line) {
        *dst = (void *)(uintptr_t)a.at;
        *cnt = a.n;
        return true;
    }
    if (a.n > *cnt) {
        char what[128];
        /* snprintf, not kern_fmt: the reason is the run's verdict, traced or not. */
        snprintf(what, sizeof what, "%s: an inline array larger than the caller's buffer", routine);
        kern_unmodelled(what);
    }
    if (elem == 1)
        mig_array_copy(&a, *dst);
    else
        for (uint32_t i = 0; i < a.n; i++) {
            uint32_t w = mig_array_word(&a, i);
            memcpy((uint8_t *)*dst + (size_t)i * elem, &w, sizeof w);
        }
    *cnt = a.n;
    return true;
}

static bool stub_get_ints(mig_msg_t *m, const char *routine, int **dst, mach_msg_type_number_t *cnt)
{
    return stub_get_array(m, routine, 32, MACH_MSG_TYPE_INTEGER_32, (void **)dst, sizeof **dst, cnt);
}

static bool stub_get_ports(mig_msg_t *m, const char *routine, mach_port_t **dst,
                           mach_msg_type_number_t *cnt)
{
    return stub_get_array(m, routine, 0, 0, (void **)dst, sizeof **dst, cnt);
}

static bool stub_get_bytes(mig_msg_t *m, const char *routine, char **dst, mach_msg_type_number_t *cnt)
{
    return stub_get_array(m, routine, 8, MACH_MSG_TYPE_BYTE, (void **)dst, 1, cnt);
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
