/*
 * test_ool.c: out-of-line memory in messages and the two message layouts (model/kmsg.c,
 * model/msgfmt.c), rules O1-O6 and W1-W3 of docs/mach-rules.md, with M2, M4, M9 of
 * docs/spec-rules.md. Every model test runs in both layouts: Debian's
 * headers and current GNU Mach on x86_64.
 *
 * The oracles are GNU Mach's source text as docs/mach-rules.md states it, and the test's own
 * inputs: the bytes a sender had when it sent (not later), the page arithmetic of a 4 KiB page,
 * the item sizes written out from each layout's field widths (below: descriptor 4 or 8 bytes,
 * alignment 4 or 8, an inline right 4 or 8 bytes).
 *
 * The model keeps no memory: a small fake address space here stands for the tasks' (pages of
 * 4 KiB per task, allocated from a per-task cursor), as the runtime's images do in a real run;
 * the last test runs two simulated tasks on the runtime, whose images are their memory.
 */
#include "kern.h"
#include "mach_stubs.h"
#include "testlib.h"

#include <string.h>

#define PAGE 4096u

/* --- layouts, written out from the field widths (the oracle for sizes) ---------------------- */

static mk_msg_layout_t layout_of(world_t *w) { return world_msg_layout(w); }
static size_t desc_len(mk_msg_layout_t l) { return l == MK_LAYOUT_X86_64 ? 8 : 4; }
static size_t align_of(mk_msg_layout_t l) { return l == MK_LAYOUT_X86_64 ? 8 : 4; }
static size_t port_slot(mk_msg_layout_t l) { return l == MK_LAYOUT_X86_64 ? 8 : 4; }
static size_t up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* --- a fake address space ------------------------------------------------------------------ */

#define NPAGES 64
static struct page {
    ktask_t *task;
    uint64_t addr;
    uint8_t bytes[PAGE];
} pages[NPAGES];
static uint64_t cursor;
static bool no_room;          /* allocate fails (KERN_NO_SPACE) */
static unsigned deallocs;

static struct page *page_at(ktask_t *task, uint64_t addr)
{
    uint64_t base = addr & ~(uint64_t)(PAGE - 1);
    for (int i = 0; i < NPAGES; i++)
        if (pages[i].task == task && pages[i].addr == base)
            return &pages[i];
    return NULL;
}

static bool fake_readable(void *arg, ktask_t *task, uint64_t addr, size_t len)
{
    (void)arg;
    for (uint64_t a = addr & ~(uint64_t)(PAGE - 1); a < addr + len; a += PAGE)
        if (page_at(task, a) == NULL)
            return false;
    return true;
}

static void fake_read(void *arg, ktask_t *task, uint64_t addr, void *buf, size_t len)
{
    (void)arg;
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = page_at(task, addr + i)->bytes[(addr + i) % PAGE];
}

static void fake_write(void *arg, ktask_t *task, uint64_t addr, const void *buf, size_t len)
{
    (void)arg;
    for (size_t i = 0; i < len; i++)
        page_at(task, addr + i)->bytes[(addr + i) % PAGE] = ((const uint8_t *)buf)[i];
}

static kern_return_t fake_deallocate(void *arg, ktask_t *task, uint64_t addr, size_t len)
{
    (void)arg;
    deallocs++;
    for (uint64_t a = addr & ~(uint64_t)(PAGE - 1); a < addr + len; a += PAGE) {
        struct page *p = page_at(task, a);
        if (p != NULL)
            p->task = NULL;
    }
    return KERN_SUCCESS;
}

/* A region of whole pages at the task's cursor. */
static uint64_t map_pages(ktask_t *task, size_t npages)
{
    uint64_t start = cursor;
    for (size_t n = 0; n < npages; n++) {
        int i = 0;
        while (i < NPAGES && pages[i].task != NULL)
            i++;
        assert_true(i < NPAGES);
        pages[i].task = task;
        pages[i].addr = cursor;
        memset(pages[i].bytes, 0, PAGE);
        cursor += PAGE;
    }
    cursor += PAGE; /* a hole after each region */
    return start;
}

static kern_return_t fake_allocate(void *arg, ktask_t *task, size_t len, size_t page_offset,
                                   uint64_t *addr)
{
    (void)arg;
    if (no_room)
        return KERN_NO_SPACE;
    *addr = map_pages(task, (page_offset + len + PAGE - 1) / PAGE) + page_offset;
    return KERN_SUCCESS;
}

static const world_vm_t fake_vm = {
    .readable = fake_readable,
    .read = fake_read,
    .deallocate = fake_deallocate,
    .allocate = fake_allocate,
    .write = fake_write,
};

/* --- fixtures: one per layout ---------------------------------------------------------------- */

static int setup_layout(void **state, mk_msg_layout_t layout)
{
    fx_t *fx = calloc(1, sizeof *fx);
    world_config_t cfg = {.msg_layout = layout};
    fx->w = world_create(&cfg);
    fx->task = world_boot_task(fx->w, NULL);
    fx->th = world_boot_thread(fx->task);
    fx->self = mk_mach_task_self(fx->th);
    world_set_vm(fx->w, &fake_vm);
    memset(pages, 0, sizeof pages);
    cursor = 0x10000000;
    no_room = false;
    deallocs = 0;
    *state = fx;
    return 0;
}
static int setup_debian(void **state) { return setup_layout(state, MK_LAYOUT_DEBIAN); }
static int setup_x86_64(void **state) { return setup_layout(state, MK_LAYOUT_X86_64); }

/* --- messages -------------------------------------------------------------------------------- */

typedef struct msg {
    mach_msg_header_t h;
    uint8_t body[480];
    size_t len;     /* body bytes used */
    world_t *w;
} msg_t;

static void msg_init(msg_t *m, world_t *w, mach_port_name_t dest, mach_msg_type_name_t disp)
{
    memset(m, 0, sizeof *m);
    m->w = w;
    m->h.msgh_bits = MACH_MSGH_BITS(disp, 0);
    m->h.msgh_remote_port = dest;
    m->h.msgh_id = 4242;
}

static size_t add_int(msg_t *m, uint32_t v)
{
    size_t at = m->len;
    m->len = mk_msg_put_inline(layout_of(m->w), m->body, m->len, MACH_MSG_TYPE_INTEGER_32, 32, 1, &v);
    return at;
}

static size_t add_port(msg_t *m, mach_msg_type_name_t disp, mach_port_name_t name)
{
    size_t at = m->len;
    m->h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    m->len = mk_msg_put_port(layout_of(m->w), m->body, m->len, disp, name);
    return at;
}

/* An out-of-line item: its descriptor, then the address (8 bytes). Returns its offset. */
static size_t add_ool(msg_t *m, unsigned name, unsigned size, uint32_t number, uint64_t addr,
                      bool dealloc)
{
    mk_msg_layout_t l = layout_of(m->w);
    size_t at = m->len;
    mk_msg_type_t t = {.name = name, .size = size, .number = number, .deallocate = dealloc};
    size_t off = at + mk_msg_type_write(l, m->body + at, &t);
    memcpy(m->body + off, &addr, sizeof addr);
    m->len = mk_msg_align(l, off + sizeof addr);
    m->h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    return at;
}

static mach_msg_size_t size_of(const msg_t *m) { return (mach_msg_size_t)(sizeof m->h + m->len); }

static mach_msg_return_t send_msg(kthread_t *th, msg_t *m, mach_msg_option_t extra)
{
    m->h.msgh_size = size_of(m);
    return mk_mach_msg(th, &m->h, MACH_SEND_MSG | extra, size_of(m), 0, MACH_PORT_NULL, 0);
}

static mach_msg_return_t recv_msg(kthread_t *th, mach_port_name_t name, msg_t *m, world_t *w)
{
    memset(m, 0, sizeof *m);
    m->w = w;
    return mk_mach_msg(th, &m->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m->h + sizeof m->body,
                       name, 0);
}

static mk_msg_type_t type_at(const msg_t *m, size_t off)
{
    mk_msg_type_t t;
    assert_true(mk_msg_type_read(layout_of(m->w), m->body + off, sizeof m->body - off, &t));
    return t;
}

static uint64_t addr_at(const msg_t *m, size_t off)
{
    uint64_t a;
    memcpy(&a, m->body + off + type_at(m, off).hdr, sizeof a);
    return a;
}

/* The fixture task's memory: one page-aligned region of npages, filled with a pattern. */
static uint64_t make_buffer(fx_t *fx, size_t npages, uint8_t seed)
{
    uint64_t a = map_pages(fx->task, npages);
    for (size_t i = 0; i < npages * PAGE; i++) {
        uint8_t b = (uint8_t)(seed + i * 7);
        fake_write(NULL, fx->task, a + i, &b, 1);
    }
    return a;
}

/* --- O1, O4, O6: data travels as a copy ------------------------------------------------------ */

/* Without deallocate: the receiver gets a new region holding the bytes as they were at the
 * send, at the same offset within its page, with deallocate set; the sender keeps its memory,
 * and what it writes after the send does not reach the message. */
static void test_O1_O4_data_is_copied_at_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    uint64_t buf = make_buffer(fx, 2, 1);
    uint64_t data = buf + 100;      /* 5000 bytes from offset 100: two pages */
    uint8_t before[5000];
    fake_read(NULL, fx->task, data, before, sizeof before);
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    size_t item = add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 5000, data, false);
    check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS);
    uint8_t junk = 0xee;
    fake_write(NULL, fx->task, data, &junk, 1); /* after the send */
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    mk_msg_type_t t = type_at(&r, item);
    assert_false(t.is_inline);
    assert_true(t.deallocate);                           /* rule O4 */
    assert_int_equal(t.number, 5000);
    assert_int_equal(r.h.msgh_size, size_of(&m));       /* rule O4: the data is not counted */
    assert_true(r.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
    uint64_t got = addr_at(&r, item);
    assert_true(got != data);                            /* rule O4: a new region */
    assert_int_equal(got % PAGE, data % PAGE);           /* rule O4: same offset in its page */
    uint8_t after[5000];
    fake_read(NULL, fx->task, got, after, sizeof after);
    assert_memory_equal(after, before, sizeof before);   /* rule O1: the bytes at the send */
    assert_true(fake_readable(NULL, fx->task, data, 5000)); /* rule O1: the sender keeps it */
    assert_int_equal(deallocs, 0);                       /* rule O1 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* With deallocate: the sender's pages holding the data go, whole pages (a byte beside the data
 * in the same page goes with them); the receiver gets the data. */
static void test_O1_deallocate_takes_the_pages(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    uint64_t buf = make_buffer(fx, 3, 9);
    uint64_t data = buf + PAGE + 16; /* 100 bytes inside the second page */
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    size_t item = add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 100, data, true);
    uint8_t before[100];
    fake_read(NULL, fx->task, data, before, sizeof before);
    check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS);
    assert_false(fake_readable(NULL, fx->task, buf + PAGE, 1)); /* rule O1: the whole page */
    assert_true(fake_readable(NULL, fx->task, buf, PAGE));      /* rule O1: not the others */
    assert_true(fake_readable(NULL, fx->task, buf + 2 * PAGE, PAGE)); /* rule O1 */
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    uint8_t after[100];
    fake_read(NULL, fx->task, addr_at(&r, item), after, sizeof after);
    assert_memory_equal(after, before, sizeof before); /* rule O1 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* Length 0 carries nothing: the address is not looked at; the receiver reads address 0. */
static void test_O1_length_zero_is_not_read(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    size_t item = add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 0, 0xdead0000, true);
    check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS); /* rule O1 */
    assert_int_equal(deallocs, 0);                      /* rule O1 */
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    assert_int_equal(addr_at(&r, item), 0);    /* rule O4 */
    assert_true(type_at(&r, item).deallocate); /* rule O4 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* --- O2, O3: errors, and what a failed send leaves -------------------------------------------- */

static void test_O2_W1_W2_errors(void **state)
{
    fx_t *fx = *state;
    mk_msg_layout_t l = layout_of(fx->w);
    mach_port_name_t rcv = alloc_rcv(fx);
    msg_t m;

    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND); /* unmapped */
    add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 16, 0x7000000, false);
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_MEMORY); /* rule O2 */

    uint64_t buf = make_buffer(fx, 1, 3);                /* runs past the region's end */
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    add_ool(&m, MACH_MSG_TYPE_BYTE, 8, PAGE + 1, buf, false);
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_MEMORY); /* rule O2 */

    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);   /* deallocate on inline data */
    m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;             /* (a body is read only then) */
    add_int(&m, 5);
    mk_msg_type_t t = type_at(&m, 0);
    t.deallocate = true;
    mk_msg_type_write(l, m.body, &t);
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_TYPE); /* rule O2 */

    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);   /* the unused bits set */
    m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    add_int(&m, 5);
    t = type_at(&m, 0);
    t.unused = 1;
    mk_msg_type_write(l, m.body, &t);
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_TYPE); /* rule O2 */

    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);   /* the address does not fit */
    add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 16, buf, false);
    m.len = desc_len(l) + (l == MK_LAYOUT_X86_64 ? 0 : 4);  /* 4 bytes of an 8-byte address */
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_MSG_TOO_SMALL); /* rule O2 */

    /* W1, W2: an inline right is 32 bits in the Debian layout, 64 in x86_64's */
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    uint64_t slot = rcv;
    unsigned wrong = l == MK_LAYOUT_X86_64 ? 32 : 64;
    m.len = mk_msg_put_inline(l, m.body, 0, MACH_MSG_TYPE_MAKE_SEND, wrong, 1, &slot);
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_TYPE); /* rules W1 W2 */

    /* a size that is a multiple of 4 but not of 8 (a body that is not COMPLEX is not read) */
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    add_int(&m, 1);
    m.len = 4;
    mach_msg_return_t mr = send_msg(fx->th, &m, 0);
    if (l == MK_LAYOUT_X86_64) {
        check_kr(mr, MACH_SEND_MSG_TOO_SMALL); /* rule W2 */
    } else {
        check_kr(mr, MACH_MSG_SUCCESS);        /* rule W1 */
        msg_t r;
        check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
        assert_int_equal(r.h.msgh_size, sizeof r.h + 4); /* rule W1 */
    }

    /* W1: the Debian long form must leave its short word's name, size and number 0 */
    if (l == MK_LAYOUT_DEBIAN) {
        msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
        m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
        mach_msg_type_long_t lt;
        memset(&lt, 0, sizeof lt);
        lt.msgtl_header.msgt_inline = 1;
        lt.msgtl_header.msgt_longform = 1;
        lt.msgtl_header.msgt_name = MACH_MSG_TYPE_INTEGER_32;
        lt.msgtl_name = MACH_MSG_TYPE_INTEGER_32;
        lt.msgtl_size = 32;
        lt.msgtl_number = 1;
        memcpy(m.body, &lt, sizeof lt);
        m.len = sizeof lt + 4;
        check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_TYPE); /* rule W1 */
        lt.msgtl_header.msgt_name = 0;
        memcpy(m.body, &lt, sizeof lt);
        check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS);       /* rule W1 */
        msg_t r;
        check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    }
    assert_int_equal(mk_queue_ids(fx->task, rcv, NULL, 0), 0);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* A failing item destroys what came before it: a right moved in an earlier item is gone, and
 * memory given with deallocate in an earlier item stays gone from the sender. */
static void test_O3_failed_send_destroys_earlier_items(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    mach_port_name_t other = alloc_rcv(fx);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, other, other, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    uint64_t buf = make_buffer(fx, 1, 4);
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    add_port(&m, MACH_MSG_TYPE_MOVE_SEND, other);
    add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 64, buf, true);
    add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 64, 0x7000000, false); /* unmapped */
    check_kr(send_msg(fx->th, &m, 0), MACH_SEND_INVALID_MEMORY);           /* rule O2 */
    check_name(fx->task, other, MACH_PORT_TYPE_RECEIVE, 0);               /* rules O3 M2 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, other)).srights, 0); /* rule O3 */
    assert_false(fake_readable(NULL, fx->task, buf, 1));                   /* rule O3 */
    assert_int_equal(mk_queue_ids(fx->task, rcv, NULL, 0), 0);             /* rule O3 */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, other, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* --- O2, O4: port arrays ------------------------------------------------------------------------ */

static void test_O2_O4_port_array(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    kthread_t *oth;
    mach_port_name_t oself;
    oth = fx_new_task(fx, &oself, NULL);
    ktask_t *otask = kthread_task(oth);
    mach_port_name_t a = alloc_rcv(fx), b = alloc_rcv(fx);
    /* the other task gets a send right to rcv */
    check_kr(world_insert_right(otask, 0x300, fx->task, rcv, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(world_insert_right(otask, 0x301, fx->task, a, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(world_insert_right(otask, 0x302, fx->task, b, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    uint64_t arr = map_pages(otask, 1);
    mach_port_name_t names[2] = {0x301, 0x302};
    fake_write(NULL, otask, arr, names, sizeof names);
    msg_t m;
    msg_init(&m, fx->w, 0x300, MACH_MSG_TYPE_COPY_SEND);
    size_t item = add_ool(&m, MACH_MSG_TYPE_MOVE_SEND, 32, 2, arr, true);
    check_kr(send_msg(oth, &m, 0), MACH_MSG_SUCCESS);
    check_no_name(otask, 0x301);                   /* rule O2: moved */
    assert_false(fake_readable(NULL, otask, arr, 1)); /* rule O2: deallocated */
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    mk_msg_type_t t = type_at(&r, item);
    assert_int_equal(t.name, MACH_MSG_TYPE_PORT_SEND); /* rule O4 */
    assert_int_equal(t.size, 32);                      /* rules O4 W2: names, both layouts */
    assert_true(t.deallocate);                         /* rule O4 */
    mach_port_name_t got[2];
    fake_read(NULL, fx->task, addr_at(&r, item), got, sizeof got);
    assert_int_equal(got[0], a);  /* rule O4: merged with the receive right's name (T3) */
    assert_int_equal(got[1], b);  /* rule O4 */
    check_name(fx->task, a, MACH_PORT_TYPE_SEND_RECEIVE, 1);

    /* a bad name in the array: MACH_SEND_INVALID_RIGHT, the rights before it destroyed */
    check_kr(world_insert_right(otask, 0x302, fx->task, b, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    arr = map_pages(otask, 1);
    mach_port_name_t bad[2] = {0x302, 0x999};
    fake_write(NULL, otask, arr, bad, sizeof bad);
    msg_init(&m, fx->w, 0x300, MACH_MSG_TYPE_COPY_SEND);
    add_ool(&m, MACH_MSG_TYPE_MOVE_SEND, 32, 2, arr, false);
    unsigned srights = port_info(fx->w, port_of(fx->task, b)).srights;
    check_kr(send_msg(oth, &m, 0), MACH_SEND_INVALID_RIGHT);                     /* rule O2 */
    check_no_name(otask, 0x302);                                                 /* rule O3 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, b)).srights, srights - 1); /* rule O3 */
    assert_true(fake_readable(NULL, otask, arr, 8)); /* no deallocate asked */
    check_kr(mk_task_terminate(oth, oself), KERN_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
}

/* --- O4: no room in the receiver ------------------------------------------------------------ */

static void test_O4_no_room_in_the_receiver(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    mach_port_name_t a = alloc_rcv(fx);
    uint64_t buf = make_buffer(fx, 1, 5);
    uint64_t arr = map_pages(fx->task, 1);
    fake_write(NULL, fx->task, arr, &a, sizeof a);
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    size_t i1 = add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 10, buf, false);
    size_t i2 = add_ool(&m, MACH_MSG_TYPE_MAKE_SEND, 32, 1, arr, false);
    size_t i3 = add_port(&m, MACH_MSG_TYPE_MAKE_SEND, a);
    check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS);
    assert_int_equal(port_info(fx->w, port_of(fx->task, a)).srights, 2);
    no_room = true;
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE); /* rule O4 */
    assert_int_equal(addr_at(&r, i1), 0);     /* rule O4 */
    assert_int_equal(type_at(&r, i1).size, 0); /* rule O4 */
    assert_int_equal(addr_at(&r, i2), 0);     /* rule O4 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, a)).srights, 1); /* rule O4: destroyed */
    mach_port_name_t n;
    memcpy(&n, r.body + i3 + desc_len(layout_of(fx->w)), sizeof n);
    assert_int_equal(n, a);                   /* rule O4: the inline right still arrives */
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, a), KERN_SUCCESS);
}

/* A right of the body that finds no room in the receiver's space (here the kernel's
 * allocation fails, N4) is destroyed, its name reads MACH_PORT_NULL, and the receive says
 * MACH_RCV_BODY_ERROR | MACH_MSG_IPC_KERNEL; the rest of the message arrives. */
static void test_O4_no_room_for_a_right(void **state)
{
    fx_t *fx = *state;
    mk_msg_layout_t l = layout_of(fx->w);
    mach_port_name_t rcv = alloc_rcv(fx);
    mach_port_name_t oself;
    kthread_t *oth = fx_new_task(fx, &oself, NULL);
    ktask_t *ot = kthread_task(oth);
    check_kr(world_insert_right(ot, 0x300, fx->task, rcv, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_name_t x = 0;
    check_kr(mk_mach_port_allocate(oth, oself, MACH_PORT_RIGHT_RECEIVE, &x), KERN_SUCCESS);
    msg_t m;
    msg_init(&m, fx->w, 0x300, MACH_MSG_TYPE_COPY_SEND);
    size_t at = add_port(&m, MACH_MSG_TYPE_MAKE_SEND, x);
    size_t after = add_int(&m, 99);
    check_kr(send_msg(oth, &m, 0), MACH_MSG_SUCCESS);
    uint32_t xport = port_of(ot, x);
    assert_int_equal(port_info(fx->w, xport).srights, 1);
    world_fail_allocations(fx->w, 0, 1);
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_RCV_BODY_ERROR | MACH_MSG_IPC_KERNEL); /* rule O4 */
    world_fail_allocations(fx->w, -1, 0);
    uint64_t slot = 1;
    memcpy(&slot, r.body + at + desc_len(l), port_slot(l));
    assert_int_equal(slot, MACH_PORT_NULL);                      /* rule O4 */
    assert_int_equal(port_info(fx->w, xport).srights, 0);         /* rule O4: destroyed */
    uint32_t v;
    memcpy(&v, r.body + after + desc_len(l), sizeof v);
    assert_int_equal(v, 99);                                      /* rule O4 */
    check_kr(mk_task_terminate(oth, oself), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, rcv), KERN_SUCCESS);
}

/* --- O5: a destroyed message ----------------------------------------------------------------- */

/* Sends m to a fresh port and destroys the port with the message queued; returns how many
 * model objects that left behind (0 when the message's contents all went with it). */
static long destroy_queued(fx_t *fx, msg_t *m)
{
    size_t live = world_live_objects(fx->w);
    mach_port_name_t rcv = alloc_rcv(fx);
    m->h.msgh_remote_port = rcv;
    check_kr(send_msg(fx->th, m, 0), MACH_MSG_SUCCESS);
    check_kr(mk_mach_port_mod_refs(fx->th, fx->self, rcv, MACH_PORT_RIGHT_RECEIVE, -1),
             KERN_SUCCESS);
    return (long)world_live_objects(fx->w) - (long)live;
}

/* A destroyed message releases the rights of its port arrays and discards its memory: it
 * leaves exactly what a message without them leaves. */
static void test_O5_destroyed_message_releases_everything(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t a = alloc_rcv(fx);
    uint64_t buf = make_buffer(fx, 2, 6);
    uint64_t arr = map_pages(fx->task, 1);
    mach_port_name_t names[3] = {a, a, a};
    fake_write(NULL, fx->task, arr, names, sizeof names);
    msg_t plain, m;
    msg_init(&plain, fx->w, 0, MACH_MSG_TYPE_MAKE_SEND);
    add_int(&plain, 1);
    (void)destroy_queued(fx, &plain); /* the first may leave the name's entry on the free list */
    msg_init(&plain, fx->w, 0, MACH_MSG_TYPE_MAKE_SEND);
    add_int(&plain, 1);
    long left_plain = destroy_queued(fx, &plain);
    msg_init(&m, fx->w, 0, MACH_MSG_TYPE_MAKE_SEND);
    add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 2 * PAGE, buf, false);
    add_ool(&m, MACH_MSG_TYPE_MAKE_SEND, 32, 3, arr, false);
    add_int(&m, 1);
    long left = destroy_queued(fx, &m);
    assert_int_equal(left, left_plain);                                  /* rule O5 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, a)).srights, 0); /* rule O5 */
    assert_int_equal(port_info(fx->w, port_of(fx->task, a)).mscount, 3); /* rule O5: were made */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, a), KERN_SUCCESS);
}

/* --- M4: a send that times out gets its memory back ------------------------------------------ */

static void test_M4_O4_pseudo_receive_returns_memory(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t rcv = alloc_rcv(fx);
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, rcv, 0), KERN_SUCCESS);
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, rcv, rcv, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    uint64_t buf = make_buffer(fx, 1, 8);
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_COPY_SEND);
    size_t item = add_ool(&m, MACH_MSG_TYPE_BYTE, 8, 300, buf + 20, true);
    check_kr(send_msg(fx->th, &m, MACH_SEND_TIMEOUT), MACH_SEND_TIMED_OUT); /* rule M4 */
    uint64_t back = addr_at(&m, item);
    assert_true(back != buf + 20);                                 /* rule O4: a new region */
    assert_int_equal(back % PAGE, 20);                             /* rule O4 */
    assert_true(type_at(&m, item).deallocate);                     /* rule O4 */
    assert_false(fake_readable(NULL, fx->task, buf, 1));           /* rule O1: taken at send */
    uint8_t want[300];
    for (size_t i = 0; i < sizeof want; i++)
        want[i] = (uint8_t)(8 + (20 + i) * 7);
    uint8_t got[300];
    fake_read(NULL, fx->task, back, got, sizeof got);
    assert_memory_equal(got, want, sizeof want);                   /* rules M4 O4 */
    check_kr(mk_mach_port_destroy(fx->th, fx->self, rcv), KERN_SUCCESS);
}

/* --- W1-W3: the layouts -------------------------------------------------------------------- */

/* Item sizes as each layout's field widths give them, an inline right's slot, the COMPLEX bit
 * of a message with nothing complex in it, and notifications built in the world's layout. */
static void test_W1_W2_W3_layouts(void **state)
{
    fx_t *fx = *state;
    mk_msg_layout_t l = layout_of(fx->w);
    assert_int_equal(mk_msg_type_size(l, false), desc_len(l));                      /* rules W1 W2 */
    assert_int_equal(mk_msg_type_size(l, true), l == MK_LAYOUT_X86_64 ? 8 : 12);    /* rules W1 W2 */
    assert_int_equal(mk_msg_inline_size(l, 32, 1), up(desc_len(l) + 4, align_of(l))); /* rules W1 W2 */
    assert_int_equal(mk_msg_inline_size(l, 8, 5), up(desc_len(l) + 5, align_of(l))); /* rules W1 W2 */

    /* an inline right: the receiver's name in a slot of 4 or 8 bytes, the high half zero */
    mach_port_name_t rcv = alloc_rcv(fx);
    mach_port_name_t a = alloc_rcv(fx);
    msg_t m;
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    size_t at = add_port(&m, MACH_MSG_TYPE_MAKE_SEND, a);
    if (l == MK_LAYOUT_X86_64)
        memset(m.body + at + desc_len(l) + 4, 0xab, 4); /* junk above the name: ignored */
    size_t after = add_int(&m, 77);
    assert_int_equal(after, up(desc_len(l) + port_slot(l), align_of(l))); /* rules W1 W2 */
    check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS);
    msg_t r;
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    uint64_t slot = 0;
    memcpy(&slot, r.body + at + desc_len(l), port_slot(l));
    assert_int_equal(slot, a);                                        /* rules W1 W2 */
    assert_int_equal(type_at(&r, at).size, port_slot(l) * 8);         /* rules W1 W2 */
    uint32_t v;
    memcpy(&v, r.body + after + desc_len(l), sizeof v);
    assert_int_equal(v, 77);

    /* W3: COMPLEX on a message with neither rights nor out-of-line memory is cleared */
    msg_init(&m, fx->w, rcv, MACH_MSG_TYPE_MAKE_SEND);
    add_int(&m, 1);
    m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    check_kr(send_msg(fx->th, &m, 0), MACH_MSG_SUCCESS);
    check_kr(recv_msg(fx->th, rcv, &r, fx->w), MACH_MSG_SUCCESS);
    assert_false(r.h.msgh_bits & MACH_MSGH_BITS_COMPLEX); /* rule W3 */

    /* M9 in the world's layout: a dead-name notification is one 32-bit name item */
    mach_port_name_t notify = alloc_rcv(fx);
    mach_port_name_t prev;
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, a, a, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    mach_port_name_t dead = 0;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, a, MACH_MSG_TYPE_COPY_SEND, &dead,
                                        &(mach_msg_type_name_t){0}),
             KERN_SUCCESS);
    (void)dead;
    kthread_t *oth;
    mach_port_name_t oself;
    oth = fx_new_task(fx, &oself, NULL);
    ktask_t *ot = kthread_task(oth);
    check_kr(world_insert_right(ot, 0x400, fx->task, a, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    check_kr(world_insert_right(ot, 0x401, fx->task, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE),
             KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(oth, oself, 0x400, MACH_NOTIFY_DEAD_NAME, 1, 0x401,
                                               MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, a), KERN_SUCCESS);
    check_kr(recv_msg(fx->th, notify, &r, fx->w), MACH_MSG_SUCCESS);
    assert_int_equal(r.h.msgh_id, MACH_NOTIFY_DEAD_NAME);
    assert_int_equal(r.h.msgh_size, sizeof(mach_msg_header_t) + up(desc_len(l) + 4, align_of(l))); /* rules M9 W1 W2 */
    mk_msg_type_t t = type_at(&r, 0);
    assert_int_equal(t.name, MACH_MSG_TYPE_PORT_NAME); /* rule M9 */
    assert_int_equal(t.size, 32);                      /* rules M9 W2 */
    memcpy(&v, r.body + desc_len(l), sizeof v);
    assert_int_equal(v, 0x400);                        /* rule M9 */
    check_kr(mk_task_terminate(oth, oself), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, rcv), KERN_SUCCESS);
    check_kr(mk_mach_port_destroy(fx->th, fx->self, notify), KERN_SUCCESS);
}

/* --- on the runtime: two simulated tasks, their images as memory ------------------------------- */

static struct {
    sim_task *snd;
    mach_port_t port;
    bool ready, done;
    uint64_t sent_at, got_at;
    uint8_t got[600];
    mach_msg_return_t r;
    size_t snd_block_after;   /* the sender's block, after a send with deallocate */
    bool deallocated_ok;
} R;

typedef struct {
    mach_msg_header_t h;
    uint8_t body[64];
} kbuf_t;

static void sim_receiver(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &R.port);
    check_kr(world_insert_right(kern_ktask(R.snd), 0x500, kern_ktask(sim_task_self()), R.port,
                                MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    R.ready = true;
    kbuf_t m;
    memset(&m, 0, sizeof m);
    R.r = __mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, R.port, 0, MACH_PORT_NULL);
    mk_msg_layout_t l = world_msg_layout(kern_world());
    mk_msg_type_t t;
    mk_msg_type_read(l, m.body, sizeof m.body, &t);
    memcpy(&R.got_at, m.body + t.hdr, sizeof R.got_at);
    memcpy(R.got, (const void *)(uintptr_t)R.got_at, sizeof R.got);
    /* the receiver owns the region: its vm_deallocate of (address, size) frees it */
    R.deallocated_ok = __vm_deallocate(self, (vm_address_t)R.got_at, t.number) == KERN_SUCCESS;
}

static void sim_sender(void *arg)
{
    bool dealloc = arg != NULL;
    while (!R.ready)
        sim_yield("receiver starts");
    mach_port_t self = __mach_task_self();
    vm_address_t buf;
    check_kr(__vm_allocate(self, &buf, 8192, TRUE), KERN_SUCCESS);
    for (int i = 0; i < 8192; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(i * 13);
    R.sent_at = buf + 4000;
    mk_msg_layout_t l = world_msg_layout(kern_world());
    kbuf_t m;
    memset(&m, 0, sizeof m);
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    m.h.msgh_remote_port = 0x500;
    mk_msg_type_t t = {.name = MACH_MSG_TYPE_BYTE, .size = 8, .number = 600,
                       .deallocate = dealloc};
    size_t off = mk_msg_type_write(l, m.body, &t);
    memcpy(m.body + off, &R.sent_at, sizeof R.sent_at);
    mach_msg_size_t size = (mach_msg_size_t)(sizeof m.h + mk_msg_align(l, off + 8));
    m.h.msgh_size = size;
    check_kr(__mach_msg(&m.h, MACH_SEND_MSG, size, 0, 0, 0, MACH_PORT_NULL), MACH_MSG_SUCCESS);
    if (dealloc) {
        R.snd_block_after = sim_heap_block_size((void *)buf);
    } else {
        ((uint8_t *)buf)[4000] ^= 0xff; /* after the send: not in the message */
        R.snd_block_after = sim_heap_block_size((void *)buf);
        __vm_deallocate(self, buf, 8192);
    }
}

static void run_sim(mk_msg_layout_t layout, bool dealloc)
{
    memset(&R, 0, sizeof R);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}, .world = {.msg_layout = layout}};
    assert_int_equal(kern_open(&cfg), 0);
    R.snd = kern_boot_task(sim_sender, dealloc ? (void *)1 : NULL, NULL);
    kern_boot_task(sim_receiver, NULL, NULL);
    enum sim_result res = sim_run();
    if (res != SIM_OK)
        fprintf(stderr, "%s", sim_report());
    assert_int_equal(res, SIM_OK);
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0);
}

static void check_sim(bool dealloc)
{
    check_kr(R.r, MACH_MSG_SUCCESS);
    assert_int_equal(R.got_at % PAGE, R.sent_at % PAGE); /* rule O4 */
    for (size_t i = 0; i < sizeof R.got; i++)
        assert_int_equal(R.got[i], (uint8_t)((4000 + i) * 13)); /* rule O1: as at the send */
    assert_true(R.deallocated_ok);                        /* rule O4: the receiver owns it */
    if (dealloc)
        assert_int_equal(R.snd_block_after, 0);           /* rule O1: the sender's pages went */
    else
        assert_int_equal(R.snd_block_after, 8192);        /* rule O1: the sender keeps them */
}

static void test_O1_O4_between_simulated_tasks(void **state)
{
    (void)state;
    const mk_msg_layout_t layouts[] = {MK_LAYOUT_DEBIAN, MK_LAYOUT_X86_64};
    for (int i = 0; i < 2; i++)
        for (int d = 0; d < 2; d++) {
            run_sim(layouts[i], d);
            check_sim(d);
        }
}

#define BOTH(fn)                                                                               \
    {#fn " (debian)", fn, setup_debian, fx_teardown, NULL},                                    \
    {#fn " (x86_64)", fn, setup_x86_64, fx_teardown, NULL}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_O1_O4_data_is_copied_at_send),
        BOTH(test_O1_deallocate_takes_the_pages),
        BOTH(test_O1_length_zero_is_not_read),
        BOTH(test_O2_W1_W2_errors),
        BOTH(test_O3_failed_send_destroys_earlier_items),
        BOTH(test_O2_O4_port_array),
        BOTH(test_O4_no_room_in_the_receiver),
        BOTH(test_O4_no_room_for_a_right),
        BOTH(test_O5_destroyed_message_releases_everything),
        BOTH(test_M4_O4_pseudo_receive_returns_memory),
        BOTH(test_W1_W2_W3_layouts),
        cmocka_unit_test(test_O1_O4_between_simulated_tasks),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
