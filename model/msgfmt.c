/*
 * msgfmt.c: the two message layouts a world can use (docs/mach-rules.md, rules W1-W3).
 *
 * A typed (Mach 3) message body is a sequence of items: a type descriptor, then the data inline
 * or the address of out-of-line data. How a descriptor is packed and where the next item starts
 * differ between the layout of Debian's gnumach-dev headers (the 2022 i386 kernel's layout) and
 * that of current GNU Mach built for x86_64 (include/mach/message.h under __LP64__). This file
 * is the only place that knows the bits; kmsg.c, the notifications of port.c and the runtime's
 * MIG layer read and write items through it.
 *
 * Debian (MK_LAYOUT_DEBIAN): the descriptor is the installed headers' mach_msg_type_t (4 bytes:
 * name 8 bits, size 8, number 12, inline, longform, deallocate, unused) and its long form
 * mach_msg_type_long_t (12 bytes: the short word, then name and size as 16 bits, number 32).
 * Inline data is padded to 4 bytes; a port right inline is a 32-bit name.
 *
 * x86_64 (MK_LAYOUT_X86_64): one 8-byte descriptor for both forms (name 8 bits, size 16,
 * unused 5, inline, longform, deallocate, then number as 32 bits); every item starts on an
 * 8-byte boundary; a port right inline takes a 64-bit slot (msgt_size 64) whose low 32 bits are
 * the name; an out-of-line port array stays an array of 32-bit names (msgt_size 32).
 *
 * In both, an out-of-line item is followed by the data's address, 8 bytes here (the headers'
 * vm_offset_t on amd64).
 */
#include "model_int.h"

#include <string.h>

/* The x86_64 descriptor, written from the field list of GNU Mach's include/mach/message.h
 * (__LP64__ branch); the long form there is a union over the same 8 bytes. */
typedef struct wide_type {
    unsigned int name : 8, size : 16, unused : 5, is_inline : 1, longform : 1, deallocate : 1;
    uint32_t number;
} wide_type_t;

_Static_assert(sizeof(wide_type_t) == 8, "the x86_64 descriptor is 8 bytes");
_Static_assert(sizeof(mach_msg_type_t) == 4, "the Debian descriptor is 4 bytes");
_Static_assert(sizeof(mach_msg_type_long_t) == 12, "the Debian long form is 12 bytes");

size_t mk_msg_type_size(mk_msg_layout_t layout, bool longform)
{
    if (layout == MK_LAYOUT_X86_64)
        return sizeof(wide_type_t);
    return longform ? sizeof(mach_msg_type_long_t) : sizeof(mach_msg_type_t);
}

size_t mk_msg_align(mk_msg_layout_t layout, size_t off)
{
    size_t a = layout == MK_LAYOUT_X86_64 ? 8 : 4;
    return (off + a - 1) & ~(a - 1);
}

unsigned mk_msg_port_bits(mk_msg_layout_t layout)
{
    return layout == MK_LAYOUT_X86_64 ? 64 : 32;
}

bool mk_msg_type_read(mk_msg_layout_t layout, const void *at, size_t room, mk_msg_type_t *t)
{
    memset(t, 0, sizeof *t);
    if (layout == MK_LAYOUT_X86_64) {
        wide_type_t w;
        if (room < sizeof w)
            return false;
        memcpy(&w, at, sizeof w);
        t->name = w.name;
        t->size = w.size;
        t->number = w.number;
        t->is_inline = w.is_inline;
        t->longform = w.longform;
        t->deallocate = w.deallocate;
        t->unused = w.unused;
        t->hdr = sizeof w;
        return true;
    }
    mach_msg_type_t s;
    if (room < sizeof s)
        return false;
    memcpy(&s, at, sizeof s);
    t->is_inline = s.msgt_inline;
    t->longform = s.msgt_longform;
    t->deallocate = s.msgt_deallocate;
    t->unused = s.msgt_unused;
    if (!s.msgt_longform) {
        t->name = s.msgt_name;
        t->size = s.msgt_size;
        t->number = s.msgt_number;
        t->hdr = sizeof s;
        return true;
    }
    mach_msg_type_long_t l;
    if (room < sizeof l)
        return false;
    memcpy(&l, at, sizeof l);
    t->name = l.msgtl_name;
    t->size = l.msgtl_size;
    t->number = l.msgtl_number;
    t->long_header_set = s.msgt_name != 0 || s.msgt_size != 0 || s.msgt_number != 0;
    t->hdr = sizeof l;
    return true;
}

size_t mk_msg_type_write(mk_msg_layout_t layout, void *at, const mk_msg_type_t *t)
{
    if (layout == MK_LAYOUT_X86_64) {
        wide_type_t w;
        memset(&w, 0, sizeof w);
        w.name = t->name;
        w.size = t->size;
        w.number = t->number;
        w.is_inline = t->is_inline;
        w.longform = t->longform;
        w.deallocate = t->deallocate;
        w.unused = t->unused;
        memcpy(at, &w, sizeof w);
        return sizeof w;
    }
    mach_msg_type_t s;
    memset(&s, 0, sizeof s);
    s.msgt_inline = t->is_inline;
    s.msgt_deallocate = t->deallocate;
    s.msgt_unused = t->unused;
    bool longform = t->longform || t->name > 0xff || t->size > 0xff || t->number > 0xfff;
    if (!longform) {
        s.msgt_name = t->name;
        s.msgt_size = t->size;
        s.msgt_number = t->number;
        memcpy(at, &s, sizeof s);
        return sizeof s;
    }
    s.msgt_longform = 1;
    mach_msg_type_long_t l;
    memset(&l, 0, sizeof l);
    l.msgtl_header = s;
    l.msgtl_name = (unsigned short)t->name;
    l.msgtl_size = (unsigned short)t->size;
    l.msgtl_number = t->number;
    memcpy(at, &l, sizeof l);
    return sizeof l;
}

size_t mk_msg_put_inline(mk_msg_layout_t layout, void *body, size_t off, unsigned name,
                         unsigned size, uint32_t number, const void *data)
{
    mk_msg_type_t t = {.name = name, .size = size, .number = number, .is_inline = true};
    uint8_t *b = body;
    size_t data_at = off + mk_msg_type_write(layout, b + off, &t);
    size_t bytes = ((size_t)number * size + 7) / 8;
    size_t end = mk_msg_align(layout, data_at + bytes);
    memset(b + data_at, 0, end - data_at);
    if (bytes > 0 && data != NULL)
        memcpy(b + data_at, data, bytes);
    return end;
}

size_t mk_msg_put_port(mk_msg_layout_t layout, void *body, size_t off, unsigned disposition,
                       mach_port_name_t name)
{
    uint64_t slot = name; /* x86_64: the name in the low half of a 64-bit slot */
    return mk_msg_put_inline(layout, body, off, disposition, mk_msg_port_bits(layout), 1, &slot);
}

size_t mk_msg_inline_size(mk_msg_layout_t layout, unsigned size, uint32_t number)
{
    return mk_msg_align(layout, mk_msg_type_size(layout, false) + ((size_t)number * size + 7) / 8);
}

mk_msg_layout_t world_msg_layout(const world_t *world)
{
    return world->w_config.msg_layout;
}
