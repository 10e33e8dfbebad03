/* heap.c: the heap inside an image, the simulated process's malloc.
 *
 * Every byte of its state is in the image: a header at the arena's base, then blocks. So a
 * copied image copies the heap with its free list, and a forked child frees what its parent
 * allocated before the fork at the same address. The image copy takes the heap up to its
 * top, so freeing the topmost block lowers the top and makes later copies cheaper.
 *
 * First fit over an address-ordered free list, coalescing on free: simple and
 * deterministic, the same calls give the same addresses on every run. Under ASan, block
 * headers and free blocks are poisoned (the shadow travels with the image, see image.c),
 * so a child's use after free is caught; hence the allocator itself is uninstrumented.
 * Stands in for glibc's malloc and the Hurd's hurdmalloc (_hurd_malloc/_hurd_free).
 */
#include "sim_int.h"

#define HEAP_MAGIC 0x666f726b68656170ULL    /* "forkheap" */
#define FREE_MARK SIZE_MAX
#define ALIGN 16

struct heap_hdr {
    uint64_t magic;
    uintptr_t base, top, limit;
    uintptr_t free_head;    /* first free block, by address; 0 if none */
    size_t nallocs, nbytes;
    uintptr_t hwm;          /* highest top so far: ASan poison may lie up to here */
};

/* A block: header then payload. size counts both; req is the size asked for, or FREE_MARK.
 * A free block's payload begins with the address of the next free block (or 0). */
struct blk {
    size_t size;
    size_t req;
};
#define BLK_HDR sizeof(struct blk)
#define MIN_BLOCK (2 * ALIGN)

_Static_assert(sizeof(struct heap_hdr) % ALIGN == 0, "header keeps blocks aligned");
_Static_assert(sizeof(struct blk) == ALIGN, "block header");

static uintptr_t round_up(uintptr_t x, uintptr_t a) { return (x + a - 1) & ~(a - 1); }

size_t heap_header_size(void) { return sizeof(struct heap_hdr); }

// Writes an empty heap's header at `at` (the arena base, or the spot for it in a saved
// image) for a heap whose header will sit at base.
void heap_format(void *at, uintptr_t base, uintptr_t limit)
{
    struct heap_hdr h = { .magic = HEAP_MAGIC, .base = base, .top = base + sizeof h, .limit = limit };
    unsigned char *d = at;
    const unsigned char *s = (const unsigned char *)&h;
    for (size_t i = 0; i < sizeof h; i++)
        d[i] = s[i];
}

SIM_NO_ASAN static struct heap_hdr *hdr(void)
{
    sim_api_check(sim_rt.in_place != NULL, "image heap used with no image in place");
    sim_api_check(!sim_rt.cur || !sim_rt.cur->task->host, "image heap used by a task without an image");
    struct heap_hdr *h = (struct heap_hdr *)sim_rt.arena_lo;
    sim_assert(h->magic == HEAP_MAGIC);
    return h;
}

SIM_NO_ASAN uintptr_t heap_top(void) { return hdr()->top; }
/* The top of the image in place, for image_peek: any caller, a host thread's included (it
 * reads the in-place image, it allocates nothing). */
SIM_NO_ASAN uintptr_t heap_top_in_place(void) { return ((struct heap_hdr *)sim_rt.arena_lo)->top; }
SIM_NO_ASAN uintptr_t heap_hwm(void) { return hdr()->hwm > hdr()->top ? hdr()->hwm : hdr()->top; }

static void poison(uintptr_t p, size_t n)
{
#if SIM_ASAN
    __asan_poison_memory_region((void *)p, n);
#else
    (void)p, (void)n;
#endif
}

static void unpoison(uintptr_t p, size_t n)
{
#if SIM_ASAN
    __asan_unpoison_memory_region((void *)p, n);
#else
    (void)p, (void)n;
#endif
}

SIM_NO_ASAN static uintptr_t *next_of(uintptr_t b) { return (uintptr_t *)(b + BLK_HDR); }

// Puts free block b (header written, size set) into the list, merging with neighbours;
// a block reaching the top lowers the top instead.
SIM_NO_ASAN static void free_insert(struct heap_hdr *h, uintptr_t b)
{
    struct blk *bb = (struct blk *)b;
    bb->req = FREE_MARK;
    uintptr_t prev = 0, next = h->free_head;
    while (next && next < b) {
        prev = next;
        next = *next_of(next);
    }
    if (next && b + bb->size == next) {                 /* merge with the following block */
        bb->size += ((struct blk *)next)->size;
        next = *next_of(next);
    }
    *next_of(b) = next;
    if (prev && prev + ((struct blk *)prev)->size == b) {   /* merge into the preceding one */
        ((struct blk *)prev)->size += bb->size;
        *next_of(prev) = next;
        b = prev;
        bb = (struct blk *)b;
    } else if (prev) {
        *next_of(prev) = b;
    } else {
        h->free_head = b;
    }
    if (b + bb->size == h->top) {                       /* give the top back */
        /* b is last in the list: unlink it */
        uintptr_t p = 0, q = h->free_head;
        while (q != b) {
            p = q;
            q = *next_of(q);
        }
        if (p) *next_of(p) = 0; else h->free_head = 0;
        h->top = b;
    }
    poison(b, bb->size);    /* above the top too, up to hwm: catches a use after free */
}

SIM_NO_ASAN static void free_unlink(struct heap_hdr *h, uintptr_t b)
{
    uintptr_t p = 0, q = h->free_head;
    while (q != b) {
        sim_assert(q != 0);
        p = q;
        q = *next_of(q);
    }
    if (p) *next_of(p) = *next_of(b); else h->free_head = *next_of(b);
}

// Makes a free block of [b, b + n) (n >= MIN_BLOCK) and files it.
SIM_NO_ASAN static void make_free(struct heap_hdr *h, uintptr_t b, size_t n)
{
    unpoison(b, n);
    ((struct blk *)b)->size = n;
    free_insert(h, b);
}

// Where a payload of `need` block bytes aligned to `align` fits in [b, end): the block
// start, leaving before it either nothing or room for a free block. 0 if it does not fit.
static uintptr_t fit(uintptr_t b, uintptr_t end, size_t need, size_t align)
{
    uintptr_t p = round_up(b + BLK_HDR, align);
    if (p - BLK_HDR != b && p - BLK_HDR - b < MIN_BLOCK)
        p = round_up(b + BLK_HDR + MIN_BLOCK, align);
    uintptr_t nb = p - BLK_HDR;
    if (nb + need > end || nb + need < nb) return 0;
    return nb;
}

SIM_NO_ASAN void *sim_heap_alloc_aligned(size_t size, size_t align)
{
    struct heap_hdr *h = hdr();
    if (align < ALIGN) align = ALIGN;
    sim_api_check((align & (align - 1)) == 0, "alignment not a power of two");
    if (size > h->limit - h->base) return NULL;
    size_t need = round_up(size, ALIGN) + BLK_HDR;
    if (need < MIN_BLOCK) need = MIN_BLOCK;

    uintptr_t b = 0, start = 0, end = 0;
    for (uintptr_t q = h->free_head; q; q = *next_of(q)) {
        uintptr_t e = q + ((struct blk *)q)->size;
        if ((b = fit(q, e, need, align))) {
            free_unlink(h, q);
            unpoison(q, e - q);
            start = q;
            end = e;
            break;
        }
    }
    if (!b) {
        if (!(b = fit(h->top, h->limit, need, align))) return NULL;
        start = h->top;
        end = b + need;
        h->top = end;
        if (end > h->hwm) h->hwm = end;
    }
#if SIM_VALGRIND
    /* The block may be arena memory valgrind believes dead: a stack in the heap (glibc's
     * signal thread's) of an image since dropped (exec's fresh image, a freed block) leaves
     * its bytes below an old stack pointer marked unaddressable. Made writable, as image.c
     * does before a copy. */
    (void)VALGRIND_MAKE_MEM_UNDEFINED((void *)start, end - start);
#endif
    ((struct blk *)b)->size = end - b;
    if (b != start) make_free(h, start, b - start);
    if (end - (b + need) >= MIN_BLOCK) {
        ((struct blk *)b)->size = need;
        make_free(h, b + need, end - (b + need));
    }
    struct blk *bb = (struct blk *)b;
    bb->req = size;
    h->nallocs++;
    h->nbytes += size;
    poison(b, bb->size);
    unpoison(b + BLK_HDR, size);
    return (void *)(b + BLK_HDR);
}

void *sim_heap_alloc(size_t size) { return sim_heap_alloc_aligned(size, ALIGN); }

SIM_NO_ASAN void *sim_heap_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    unsigned char *p = sim_heap_alloc(n * size);
    if (p)   /* never assume zero-fill: the arena holds other tasks' old bytes */
        for (size_t i = 0; i < n * size; i++) p[i] = 0;
    return p;
}

SIM_NO_ASAN void sim_heap_free(void *p)
{
    if (!p) return;
    struct heap_hdr *h = hdr();
    uintptr_t b = (uintptr_t)p - BLK_HDR;
    struct blk *bb = (struct blk *)b;
    sim_api_check(b >= h->base + sizeof *h && b < h->top && b % ALIGN == 0 && bb->req != FREE_MARK,
                  "sim_heap_free of a pointer not allocated (or freed twice)");
    h->nallocs--;
    h->nbytes -= bb->req;
    unpoison(b, bb->size);
    free_insert(h, b);
}

SIM_NO_ASAN void *sim_heap_realloc(void *p, size_t size)
{
    if (!p) return sim_heap_alloc(size);
    struct blk *bb = (struct blk *)((uintptr_t)p - BLK_HDR);
    size_t old = bb->req;
    unsigned char *n = sim_heap_alloc(size);
    if (!n) return NULL;    /* p untouched */
    const unsigned char *s = p;
    for (size_t i = 0; i < old && i < size; i++) n[i] = s[i];
    sim_heap_free(p);
    return n;
}

// The blocks tile [base + header, top), so a walk from the first block finds p exactly:
// one step a block, and nothing is read but block headers.
SIM_NO_ASAN size_t sim_heap_block_size(const void *p)
{
    struct heap_hdr *h = hdr();
    uintptr_t want = (uintptr_t)p - BLK_HDR;
    if ((uintptr_t)p < h->base + sizeof *h + BLK_HDR || (uintptr_t)p >= h->top)
        return 0;
    for (uintptr_t b = h->base + sizeof *h; b <= want; b += ((struct blk *)b)->size) {
        sim_assert(((struct blk *)b)->size >= MIN_BLOCK);
        if (b == want)
            return ((struct blk *)b)->req == FREE_MARK ? 0 : ((struct blk *)b)->req;
    }
    return 0;
}

SIM_NO_ASAN size_t sim_heap_allocations(size_t *bytes)
{
    struct heap_hdr *h = hdr();
    if (bytes) *bytes = h->nbytes;
    return h->nallocs;
}
