/*
 * mig.c: MIG over real messages through the model (see mig.h).
 *
 * Stands in for GNU MIG's generated user and server code (user.c: WriteRequestHead,
 * WriteMsgRPC, WriteCheckIdentity, WriteRetCodeCheck), glibc's mach/msgserver.c
 * (__mach_msg_server_timeout: default reply, MIG_NO_REPLY, destroy on error, a reply to a dead
 * port dropped) and mach/msg-destroy.c. Rules M10, M11, M12.
 *
 * A client RPC is one trace line (the stub's kern_rpc_begin/kern_rpc_end); the send and the
 * wait for the reply go to the model directly (mk_mach_msg, kern_wait_msg,
 * mk_mach_msg_continue), as __mach_msg does, so they add no line of their own. A server's
 * receives and replies go through __mach_msg and show as its own trap lines.
 */
#include "mig.h"

#include "mach_stubs.h"

#include <string.h>

/* --- items --------------------------------------------------------------------------------- */

/* The world's message layout (docs/mach-rules.md W1, W2): every item goes through msgfmt. */
static mk_msg_layout_t layout(void)
{
    return world_msg_layout(kern_world());
}

mach_msg_size_t mig_item_size(unsigned size, uint32_t number)
{
    return (mach_msg_size_t)mk_msg_inline_size(layout(), size, number);
}

mach_msg_size_t mig_port_item_size(void)
{
    return mig_item_size(mk_msg_port_bits(layout()), 1);
}

mach_msg_size_t mig_reply_size(void)
{
    return (mach_msg_size_t)sizeof(mach_msg_header_t) + mig_item_size(32, 1);
}

/* Where the RetCode of a reply is: after the header and the INTEGER_32 descriptor. */
static size_t retcode_offset(void)
{
    return sizeof(mach_msg_header_t) + mk_msg_type_size(layout(), false);
}

static void header_init(mig_msg_t *m, mach_port_t dest, mach_msg_type_name_t dest_type,
                        mach_port_t reply, mach_msg_type_name_t reply_type, mach_msg_id_t id)
{
    memset(m, 0, sizeof *m);
    m->head.msgh_bits = MACH_MSGH_BITS(dest_type, reply_type);
    m->head.msgh_remote_port = dest;
    m->head.msgh_local_port = reply;
    m->head.msgh_id = id;
    m->len = sizeof(mach_msg_header_t);
}

void mig_request_init(mig_msg_t *m, mach_port_t dest, mach_msg_id_t id)
{
    header_init(m, dest, MACH_MSG_TYPE_COPY_SEND, kern_reply_port(), MACH_MSG_TYPE_MAKE_SEND_ONCE,
                id);
}

void mig_oneway_init(mig_msg_t *m, mach_port_t dest, mach_msg_type_name_t dest_type,
                     mach_msg_id_t id)
{
    header_init(m, dest, dest_type, MACH_PORT_NULL, 0, id);
}

static void put_item(mig_msg_t *m, unsigned name, unsigned size, unsigned number, const void *data)
{
    if (m->len + mig_item_size(size, number) > MIG_MSG_MAX)
        kern_unmodelled("a MIG message larger than MIG_MSG_MAX");
    m->len = (mach_msg_size_t)mk_msg_put_inline(layout(), m->bytes, m->len, name, size, number,
                                                data);
}

void mig_put_int32(mig_msg_t *m, int32_t v) { put_item(m, MACH_MSG_TYPE_INTEGER_32, 32, 1, &v); }
void mig_put_int64(mig_msg_t *m, int64_t v) { put_item(m, MACH_MSG_TYPE_INTEGER_64, 64, 1, &v); }
void mig_put_bytes(mig_msg_t *m, const void *p, uint32_t n) { put_item(m, MACH_MSG_TYPE_BYTE, 8, n, p); }

void mig_put_port(mig_msg_t *m, mach_port_t name, mach_msg_type_name_t disposition)
{
    uint64_t slot = name; /* x86_64: the name in the low half of a 64-bit slot (W2) */
    put_item(m, disposition, mk_msg_port_bits(layout()), 1, &slot);
    m->head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
}

/* --- arrays inline or out of line (mig.h, EX20) ---------------------------------------------- */

uint32_t mig_inline_max(unsigned elem_bits)
{
    return MIG_INLINE_BYTES / (elem_bits / 8);
}

/* The bytes an out-of-line item takes: its descriptor (Debian's long form past 4095 elements,
 * which the short form's 12-bit msgt_number cannot hold) and the 8-byte address. */
static mach_msg_size_t ool_item_size(uint32_t n)
{
    return (mach_msg_size_t)mk_msg_align(layout(), mk_msg_type_size(layout(), n > 0xfff) + 8);
}

/* An array of n elements of size bits goes inline when MIG's stub would send it inline (at most
 * MIG_INLINE_BYTES) and it fits in what is left of the message (the added rule of EX20). */
static bool goes_inline(const mig_msg_t *m, unsigned size, uint32_t n)
{
    return n <= mig_inline_max(size) && m->len + mig_item_size(size, n) <= MIG_MSG_MAX;
}

/* An out-of-line item: the descriptor (msgt_inline clear) and the data's address in the
 * sender's space; the kernel copies the data at the send (O1). The message becomes COMPLEX. */
static void put_ool(mig_msg_t *m, unsigned name, unsigned size, uint32_t n, const void *data,
                    bool dealloc)
{
    if (m->len + ool_item_size(n) > MIG_MSG_MAX)
        kern_unmodelled("a MIG message larger than MIG_MSG_MAX");
    mk_msg_type_t t = {.name = name, .size = size, .number = n, .deallocate = dealloc};
    size_t at = m->len + mk_msg_type_write(layout(), m->bytes + m->len, &t);
    uint64_t addr = n > 0 ? (uint64_t)(uintptr_t)data : 0;
    memcpy(m->bytes + at, &addr, sizeof addr);
    m->len = (mach_msg_size_t)mk_msg_align(layout(), at + sizeof addr);
    m->head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
}

void mig_put_ports(mig_msg_t *m, const mach_port_t *names, uint32_t n,
                   mach_msg_type_name_t disposition)
{
    unsigned bits = mk_msg_port_bits(layout());
    if (!goes_inline(m, bits, n)) {
        put_ool(m, disposition, 32, n, names, false); /* W2: out of line, 32-bit names */
        return;
    }
    uint8_t slots[MIG_MSG_MAX];
    memset(slots, 0, (size_t)n * (bits / 8));
    for (uint32_t i = 0; i < n; i++) /* x86_64: each name in the low half of its slot (W2) */
        memcpy(slots + (size_t)i * (bits / 8), &names[i], sizeof names[i]);
    put_item(m, disposition, bits, n, slots);
    m->head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
}

void mig_put_words(mig_msg_t *m, unsigned type, const uint32_t *v, uint32_t n)
{
    if (!goes_inline(m, 32, n))
        put_ool(m, type, 32, n, v, false);
    else
        put_item(m, type, 32, n, v);
}

void mig_put_byte_array(mig_msg_t *m, const void *p, uint32_t n)
{
    if (!goes_inline(m, 8, n))
        put_ool(m, MACH_MSG_TYPE_BYTE, 8, n, p, false);
    else
        put_item(m, MACH_MSG_TYPE_BYTE, 8, n, p);
}

void mig_put_given(mig_msg_t *m, unsigned type, const void *p, uint32_t n)
{
    unsigned bits = type == MACH_MSG_TYPE_BYTE ? 8 : 32; /* W2: a port array's names are 32 bits */
    put_ool(m, type, bits, n, p, true);
}

static bool is_port_type(unsigned name);

bool mig_get_array(mig_msg_t *m, unsigned elem_bits, mig_array_t *a)
{
    memset(a, 0, sizeof *a);
    mk_msg_type_t t;
    if (m->bad || m->pos > m->len ||
        !mk_msg_type_read(layout(), m->bytes + m->pos, m->len - m->pos, &t))
        goto bad;
    bool port = elem_bits == 0;
    if (port && !is_port_type(t.name))
        goto bad;
    unsigned want = port ? (t.is_inline ? mk_msg_port_bits(layout()) : 32) : elem_bits;
    if (t.size != want)
        goto bad;
    size_t bytes = ((size_t)t.size * t.number + 7) / 8;
    size_t data = m->pos + t.hdr;
    a->type = t.name;
    a->n = t.number;
    a->elem = want / 8;
    if (t.is_inline) {
        if (data + bytes > m->len)
            goto bad;
        a->at = m->bytes + data;
        m->pos = (mach_msg_size_t)mk_msg_align(layout(), data + bytes);
    } else {
        uint64_t addr;
        if (data + sizeof addr > m->len)
            goto bad;
        memcpy(&addr, m->bytes + data, sizeof addr);
        if (bytes > 0 && addr == 0)
            goto bad; /* O4: a region that could not be placed */
        a->at = (const uint8_t *)(uintptr_t)addr;
        a->out_of_line = true;
        a->ool = bytes > 0 ? (void *)(uintptr_t)addr : NULL;
        a->ool_len = bytes;
        m->pos = (mach_msg_size_t)mk_msg_align(layout(), data + sizeof addr);
    }
    return true;
bad:
    m->bad = true;
    return false;
}

uint32_t mig_array_word(const mig_array_t *a, uint32_t i)
{
    if (a->elem == 1)
        return a->at[i];
    uint32_t w; /* x86_64: an inline port's name is the low half of its slot (W2) */
    memcpy(&w, a->at + (size_t)i * a->elem, sizeof w);
    return w;
}

void mig_array_copy(const mig_array_t *a, void *dst)
{
    if (a->elem == 1) {
        if (a->n > 0)
            memcpy(dst, a->at, a->n);
        return;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        uint32_t w = mig_array_word(a, i);
        memcpy((uint8_t *)dst + (size_t)i * 4, &w, sizeof w);
    }
}

void mig_array_free(mach_port_t task, mig_array_t *a)
{
    if (a->ool != NULL)
        __vm_deallocate(task, (vm_address_t)(uintptr_t)a->ool, a->ool_len);
    a->ool = NULL;
}

/* Reads one item's descriptor at m->pos, whatever its number (at most max); *data gets its
 * offset, *number its element count. */
static bool get_item_var(mig_msg_t *m, unsigned *name, unsigned size, uint32_t max,
                         uint32_t *number, mach_msg_size_t *data)
{
    mk_msg_type_t t;
    if (m->bad || m->pos > m->len ||
        !mk_msg_type_read(layout(), m->bytes + m->pos, m->len - m->pos, &t))
        goto bad;
    if (!t.is_inline || t.size != size || t.number > max)
        goto bad;
    mach_msg_size_t bytes = (mach_msg_size_t)(((uint64_t)size * t.number + 7) / 8);
    if (m->pos + t.hdr + bytes > m->len)
        goto bad;
    *name = t.name;
    *number = t.number;
    *data = (mach_msg_size_t)(m->pos + t.hdr);
    m->pos = (mach_msg_size_t)mk_msg_align(layout(), *data + bytes);
    return true;
bad:
    m->bad = true;
    return false;
}

/* Reads one item's descriptor at m->pos; *data gets its offset. */
static bool get_item(mig_msg_t *m, unsigned *name, unsigned size, unsigned number,
                     mach_msg_size_t *data)
{
    mk_msg_type_t t;
    if (m->bad || m->pos > m->len ||
        !mk_msg_type_read(layout(), m->bytes + m->pos, m->len - m->pos, &t))
        goto bad;
    if (t.longform || !t.is_inline || t.size != size || t.number != number)
        goto bad;
    mach_msg_size_t bytes = (size * number + 7) / 8;
    if (m->pos + t.hdr + bytes > m->len)
        goto bad;
    *name = t.name;
    *data = (mach_msg_size_t)(m->pos + t.hdr);
    m->pos = (mach_msg_size_t)mk_msg_align(layout(), *data + bytes);
    return true;
bad:
    m->bad = true;
    return false;
}

bool mig_get_int32_of(mig_msg_t *m, unsigned type, int32_t *v)
{
    unsigned name;
    mach_msg_size_t at;
    if (!get_item(m, &name, 32, 1, &at) || name != type)
        return !(m->bad = true);
    memcpy(v, m->bytes + at, sizeof *v);
    return true;
}

bool mig_get_int32(mig_msg_t *m, int32_t *v)
{
    unsigned name;
    mach_msg_size_t at;
    if (!get_item(m, &name, 32, 1, &at) || name != MACH_MSG_TYPE_INTEGER_32)
        return !(m->bad = true);
    memcpy(v, m->bytes + at, sizeof *v);
    return true;
}

bool mig_get_int64(mig_msg_t *m, int64_t *v)
{
    unsigned name;
    mach_msg_size_t at;
    if (!get_item(m, &name, 64, 1, &at) || name != MACH_MSG_TYPE_INTEGER_64)
        return !(m->bad = true);
    memcpy(v, m->bytes + at, sizeof *v);
    return true;
}

bool mig_get_bytes(mig_msg_t *m, void *p, uint32_t n)
{
    unsigned name;
    mach_msg_size_t at;
    if (!get_item(m, &name, 8, n, &at) || name != MACH_MSG_TYPE_BYTE)
        return !(m->bad = true);
    memcpy(p, m->bytes + at, n);
    return true;
}

static bool is_port_type(unsigned name)
{
    return name >= MACH_MSG_TYPE_MOVE_RECEIVE && name <= MACH_MSG_TYPE_MAKE_SEND_ONCE;
}

bool mig_get_port(mig_msg_t *m, mach_port_t *name, mach_msg_type_name_t *type)
{
    unsigned t;
    mach_msg_size_t at;
    if (!get_item(m, &t, mk_msg_port_bits(layout()), 1, &at) || !is_port_type(t))
        return !(m->bad = true);
    memcpy(name, m->bytes + at, sizeof *name);
    if (type != NULL)
        *type = t;
    return true;
}

bool mig_get_ports(mig_msg_t *m, mach_port_t *names, uint32_t max, uint32_t *n)
{
    unsigned t, bits = mk_msg_port_bits(layout());
    mach_msg_size_t at;
    if (!get_item_var(m, &t, bits, max, n, &at) || !is_port_type(t))
        return !(m->bad = true);
    for (uint32_t i = 0; i < *n; i++)
        memcpy(&names[i], m->bytes + at + (size_t)i * (bits / 8), sizeof names[i]);
    return true;
}

bool mig_get_words(mig_msg_t *m, unsigned type, uint32_t *v, uint32_t max, uint32_t *n)
{
    unsigned t;
    mach_msg_size_t at;
    if (!get_item_var(m, &t, 32, max, n, &at) || t != type)
        return !(m->bad = true);
    memcpy(v, m->bytes + at, (size_t)*n * 4);
    return true;
}

bool mig_get_byte_array(mig_msg_t *m, void *p, uint32_t max, uint32_t *n)
{
    unsigned t;
    mach_msg_size_t at;
    if (!get_item_var(m, &t, 8, max, n, &at) || t != MACH_MSG_TYPE_BYTE)
        return !(m->bad = true);
    memcpy(p, m->bytes + at, *n);
    return true;
}

/* Calls fn on each right the body carries (names in place: inline, or in an out-of-line port
 * array at its address in the running task), and ool_fn, when given, on each out-of-line
 * region after its rights, from offset `from`. */
static void for_each_item(mig_msg_t *m, mach_msg_size_t from,
                          void (*fn)(void *ctx, mach_port_t name, unsigned type),
                          void (*ool_fn)(void *ctx, uint64_t addr, size_t len), void *ctx)
{
    mk_msg_layout_t l = layout();
    unsigned port_bits = mk_msg_port_bits(l);
    size_t pos = from;
    mk_msg_type_t t;
    while (pos <= m->len && mk_msg_type_read(l, m->bytes + pos, m->len - pos, &t)) {
        size_t data = pos + t.hdr;
        size_t bytes = ((size_t)t.size * t.number + 7) / 8;
        if (!t.is_inline) {
            uint64_t addr;
            if (data + sizeof addr > m->len)
                return;
            memcpy(&addr, m->bytes + data, sizeof addr);
            if (addr != 0 && is_port_type(t.name) && t.size == 32)
                for (unsigned i = 0; i < t.number; i++) {
                    mach_port_t name;
                    memcpy(&name, (const uint8_t *)(uintptr_t)addr + (size_t)i * 4, sizeof name);
                    fn(ctx, name, t.name);
                }
            if (addr != 0 && bytes > 0 && ool_fn != NULL)
                ool_fn(ctx, addr, bytes);
            pos = mk_msg_align(l, data + sizeof addr);
            continue;
        }
        if (data + bytes > m->len)
            return;
        if (is_port_type(t.name) && t.size == port_bits)
            for (unsigned i = 0; i < t.number; i++) {
                mach_port_t name;
                memcpy(&name, m->bytes + data + (size_t)i * (port_bits / 8), sizeof name);
                fn(ctx, name, t.name);
            }
        pos = mk_msg_align(l, data + bytes);
    }
}

static void for_each_port(mig_msg_t *m, mach_msg_size_t from,
                          void (*fn)(void *ctx, mach_port_t name, unsigned type), void *ctx)
{
    for_each_item(m, from, fn, NULL, ctx);
}

/* --- client ---------------------------------------------------------------------------------- */

/* The mach_msg trap as __mach_msg makes it (H10): waits in the model, repeats on the
 * interruptions the caller did not ask for. */
static mach_msg_return_t msg_trap(kthread_t *self, mig_msg_t *m, mach_msg_option_t option,
                                  mach_port_t rcv_name, mach_msg_timeout_t timeout)
{
    mach_msg_size_t send_size = (option & MACH_SEND_MSG) ? m->len : 0;
    mach_msg_size_t rcv_size = (option & MACH_RCV_MSG) ? MIG_MSG_MAX : 0;
    mach_port_t dest = m->head.msgh_remote_port;
    mach_msg_return_t mr = mk_mach_msg(self, &m->head, option, send_size, rcv_size, rcv_name,
                                       timeout);
    for (;;) {
        if (mr == MK_MSG_BLOCKED) {
            mach_port_t waited = (option & MACH_RCV_MSG) ? rcv_name : dest;
            mr = kern_msg_wait_port(self, mr, option, timeout, waited);
        }
        /* Back in user code between the tries (glibc's __mach_msg, H10): a signal frame set
         * meanwhile runs here. */
        if (mr == MACH_SEND_INTERRUPTED || mr == MACH_RCV_INTERRUPTED)
            sim_run_injected();
        if (mr == MACH_SEND_INTERRUPTED)
            mr = mk_mach_msg(self, &m->head, option, send_size, rcv_size, rcv_name, timeout);
        else if (mr == MACH_RCV_INTERRUPTED)
            mr = mk_mach_msg(self, &m->head, option & ~MACH_SEND_MSG, 0, rcv_size, rcv_name,
                             timeout);
        else
            break;
    }
    if (mr == MACH_MSG_SUCCESS && (option & MACH_RCV_MSG)) {
        m->len = m->head.msgh_size;
        m->pos = sizeof(mach_msg_header_t);
        m->bad = false;
    }
    return mr;
}

mach_msg_return_t mig_send_oneway(kthread_t *self, mig_msg_t *m, bool timeout_zero)
{
    return msg_trap(self, m, MACH_SEND_MSG | (timeout_zero ? MACH_SEND_TIMEOUT : 0),
                    MACH_PORT_NULL, 0);
}

static void discard_request_right(void *ctx, mach_port_t name, unsigned type)
{
    mk_request_discard(ctx, name, type);
}

static void drop_reply_right(void *ctx, mach_port_t name, unsigned type)
{
    kthread_t *self = ctx;
    if (!MACH_PORT_VALID(name))
        return;
    if (type == MACH_MSG_TYPE_PORT_RECEIVE)
        world_port_destroy(kthread_task(self), name);
    else
        world_port_deallocate(kthread_task(self), name);
}

kern_return_t mig_rpc(kern_rpc *r, mig_msg_t *m, mach_msg_size_t reply_size, bool reply_complex)
{
    return mig_rpc_ex(r, m, reply_size, reply_complex, false, 0);
}

static kern_intr_msg_fn intr_msg_fn;
void kern_set_intr_msg_fn(kern_intr_msg_fn fn) { intr_msg_fn = fn; }
kern_intr_msg_fn kern_intr_msg(void) { return intr_msg_fn; }
bool kern_in_rpc_trap(void) { return sim_self() != NULL && sim_thread_in_rpc_trap(sim_self()); }

kern_return_t mig_rpc_ex(kern_rpc *r, mig_msg_t *m, mach_msg_size_t reply_size,
                         bool reply_complex, bool timed, mach_msg_timeout_t timeout)
{
    kthread_t *self = r->self;
    mach_msg_id_t id = m->head.msgh_id;
    if (r->fault == KF_SEND_FAILS)
        return MACH_SEND_INVALID_DEST;
    if (r->fault == KF_ROUTINE_FAILS) {
        for_each_port(m, sizeof(mach_msg_header_t), discard_request_right, self);
        return r->fault_error;
    }
    mach_port_t reply_port = m->head.msgh_local_port;
    mach_msg_option_t option = MACH_SEND_MSG | MACH_RCV_MSG | (timed ? MACH_RCV_TIMEOUT : 0);
    mach_msg_return_t mr;
    /* (a server's task has no image, so no glibc: its calls go as __mach_msg would) */
    kern_intr_msg_fn intr = r->intr && !sim_task_is_host(sim_task_self()) ? kern_intr_msg() : NULL;
    if (intr != NULL) {
        /* H11: glibc's interruptible send and receive, over the bare trap */
        sim_thread *th = sim_self();
        sim_thread_set_in_rpc_trap(th, true);
        mr = intr(&m->head, option, m->len, MIG_MSG_MAX, reply_port, timed ? timeout : 0,
                  MACH_PORT_NULL);
        sim_thread_set_in_rpc_trap(th, false);
        if (mr == MACH_MSG_SUCCESS) {
            m->len = m->head.msgh_size;
            m->pos = sizeof(mach_msg_header_t);
            m->bad = false;
        }
    } else {
        mr = msg_trap(self, m, option, reply_port, timed ? timeout : 0);
    }
    if (mr != MACH_MSG_SUCCESS)
        return mr; /* M12 step 1: kern_rpc_end deallocates the reply port */
    if (m->head.msgh_id != id + 100) {
        if (m->head.msgh_id == MACH_NOTIFY_SEND_ONCE)
            return MIG_SERVER_DIED; /* M12 step 2: the reply port is kept */
        kern_reply_port_dealloc(self);
        return MIG_REPLY_MISMATCH;
    }
    bool complex = (m->head.msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0;
    int32_t code = KERN_SUCCESS;
    if (m->len >= MIG_REPLY_SIZE)
        memcpy(&code, m->bytes + retcode_offset(), sizeof code);
    bool size_bad = reply_size != 0 ? m->len != reply_size : m->len < MIG_REPLY_SIZE;
    if ((size_bad || complex != reply_complex) &&
        (m->len != MIG_REPLY_SIZE || complex || code == KERN_SUCCESS))
        return MIG_TYPE_ERROR; /* M12 step 3 */
    if (code != KERN_SUCCESS)
        return code; /* M12 step 4 */
    if (r->fault == KF_REPLY_LOST) {
        for_each_port(m, MIG_REPLY_SIZE, drop_reply_right, self);
        return MIG_SERVER_DIED;
    }
    m->pos = MIG_REPLY_SIZE;
    return KERN_SUCCESS;
}

/* --- server ---------------------------------------------------------------------------------- */

void mig_reply_init_to(mig_msg_t *out, mach_port_t reply, mach_msg_type_name_t reply_type,
                       mach_msg_id_t request_id)
{
    header_init(out, reply, reply_type, MACH_PORT_NULL, 0, request_id + 100);
    mig_put_int32(out, MIG_BAD_ID);
}

void mig_reply_init(mig_msg_t *out, const mig_msg_t *in)
{
    mig_reply_init_to(out, in->head.msgh_remote_port, MACH_MSGH_BITS_REMOTE(in->head.msgh_bits),
                      in->head.msgh_id);
}

void mig_set_retcode(mig_msg_t *out, kern_return_t code)
{
    int32_t c = code;
    memcpy(out->bytes + retcode_offset(), &c, sizeof c);
}

/* mach_msg_destroy, for one right: what a message that is never sent or received holds.
 * Received types (16-18) and the MOVE dispositions release the right; COPY and MAKE hold
 * nothing of the sender's. */
static void destroy_right(void *ctx, mach_port_t name, unsigned type)
{
    mach_port_t task = *(mach_port_t *)ctx;
    if (!MACH_PORT_VALID(name))
        return;
    switch (type) {
    case MACH_MSG_TYPE_PORT_SEND:
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
        __mach_port_deallocate(task, name);
        break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
        __mach_port_mod_refs(task, name, MACH_PORT_RIGHT_RECEIVE, -1);
        break;
    }
}

/* The running server thread's name for its own task port (mach_task_self, its uref given back:
 * glibc caches the name, we ask the kernel). */
static mach_port_t server_task_name(void)
{
    mach_port_t t = __mach_task_self();
    __mach_port_deallocate(t, t); /* keep the uref count as it was */
    return t;
}

/* mach_msg_destroy, for an out-of-line region: vm_deallocate in the running task. */
static void destroy_region(void *ctx, uint64_t addr, size_t len)
{
    __vm_deallocate(*(mach_port_t *)ctx, (vm_address_t)addr, len);
}

void mig_destroy_body_rights(mig_msg_t *in)
{
    mach_port_t task = server_task_name();
    for_each_item(in, sizeof(mach_msg_header_t), destroy_right, destroy_region, &task);
}

mach_msg_return_t mig_send_reply(mig_msg_t *out)
{
    if (out->head.msgh_remote_port == MACH_PORT_NULL)
        return MACH_MSG_SUCCESS;
    mach_port_t dest = out->head.msgh_remote_port;
    mach_msg_type_name_t dest_type = MACH_MSGH_BITS_REMOTE(out->head.msgh_bits);
    mach_msg_return_t mr = __mach_msg(&out->head, MACH_SEND_MSG, out->len, 0, MACH_PORT_NULL, 0,
                                      MACH_PORT_NULL);
    if (mr == MACH_SEND_INVALID_DEST) {
        /* M11: the client's reply port is dead; the reply is destroyed, the server goes on.
         * Nothing was copied in, so the reply right (a dead name now) and the body's rights are
         * still ours to release. */
        mach_port_t task = server_task_name();
        destroy_right(&task, dest, dest_type == MACH_MSG_TYPE_MOVE_SEND_ONCE
                                       ? MACH_MSG_TYPE_PORT_SEND_ONCE : MACH_MSG_TYPE_PORT_SEND);
        for_each_item(out, MIG_REPLY_SIZE, destroy_right, destroy_region, &task);
    }
    return mr;
}

void mig_server_finish(mig_msg_t *in, mig_msg_t *out, kern_return_t code)
{
    if (code == MIG_NO_REPLY)
        return;
    if (code != KERN_SUCCESS) {
        mig_destroy_body_rights(in);
        mig_reply_init(out, in);
    }
    mig_set_retcode(out, code);
    mig_send_reply(out);
}

void mig_server_loop(mach_port_t rcv_name, mig_demux_fn demux, void *ctx)
{
    mig_msg_t in, out;
    for (;;) {
        memset(&in.head, 0, sizeof in.head);
        mach_msg_return_t mr = __mach_msg(&in.head, MACH_RCV_MSG, 0, MIG_MSG_MAX, rcv_name, 0,
                                          MACH_PORT_NULL);
        if (mr == MACH_RCV_INVALID_NAME || mr == MACH_RCV_PORT_DIED)
            return;
        if (mr != MACH_MSG_SUCCESS)
            continue; /* MACH_RCV_TOO_LARGE: the kernel already destroyed the body */
        in.len = in.head.msgh_size;
        in.pos = sizeof(mach_msg_header_t);
        in.bad = false;
        mig_reply_init(&out, &in);
        kern_return_t code = demux(ctx, &in, &out);
        if (code == KERN_SUCCESS && in.bad)
            code = MIG_BAD_ARGUMENTS;
        mig_server_finish(&in, &out, code);
    }
}
