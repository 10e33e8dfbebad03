/* image.c: per-task memory images, the arena they take turns in, and host allocations.
 *
 * An image is what a simulated process owns in memory: (a) the globals of the
 * simulated-process code, gathered by SIM_GLOBAL into the ELF section forksim_image,
 * (b) a heap (heap.c) whose header sits at the arena's base, (c) stack slots carved from
 * the arena's top, each with a guard page. The arena is one fixed-address mapping; the
 * image of one task is "in place" there (and in the globals section) at a time. Every
 * other task's image is saved in host memory as its used ranges only: the globals, the
 * heap up to its top, and each stack in use from its lowest live byte (the saved SP of
 * the thread on it) up. Putting a task in place saves the current one, then copies the
 * new one's ranges in. A copied image (task_create with inherit) is a snapshot of the
 * parent's ranges at that call, so nothing the parent does later reaches the child.
 * Bytes outside the used ranges hold whatever an earlier image left: never read them.
 *
 * A host task (sim_task_create_host: the simulated servers, host code that keeps its state in
 * host memory) has no image: its threads run on host stacks (image_host_stack_get), and putting
 * it "in place" leaves the image there as it is. An RPC from a process to a server and back
 * then copies nothing; with the servers as image tasks a world with one fork made about 126
 * copies of 1.2 MiB in all, now 7 of 78 KiB (issue 11, item 3).
 *
 * Under ASan the shadow of the heap and stack ranges is saved and restored with the bytes
 * (a child's use after free is then caught), and the shadow outside the in-place image's
 * ranges is kept clear. Copies go through `rep movsb`, which ASan does not see; under
 * valgrind, error reporting is off during copies and recycled memory is marked undefined
 * before it is written. Stands in for GNU Mach's vm_map_copy of a task's address space.
 */
#include "sim_int.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The id of the task whose globals are in place: checked when they are saved. Also makes
 * sure the section exists even if no other SIM_GLOBAL is linked. */
SIM_GLOBAL int sim_image_task;

extern unsigned char __start_forksim_image[] __attribute__((weak));
extern unsigned char __stop_forksim_image[] __attribute__((weak));

unsigned char *sim_globals_lo(void) { return __start_forksim_image; }
size_t sim_globals_size(void) { return (size_t)(__stop_forksim_image - __start_forksim_image); }

/* --- Counted host allocations ------------------------------------------------------- */

/* Counted, and from the world heap (snapshot.c): a world's runtime objects are part of it. */
SIM_WORLD_STATE static size_t host_count, host_bytes;

struct xhdr {
    size_t n;
    size_t pad;
};

void *sim_xalloc(size_t n)
{
    struct xhdr *h = sim_walloc(sizeof *h + n);
    h->n = n;
    host_count++;
    host_bytes += n;
    return h + 1;
}

void *sim_xrealloc(void *p, size_t n)
{
    if (!p) return sim_xalloc(n);
    struct xhdr *h = (struct xhdr *)p - 1;
    size_t old = h->n;
    h = sim_wrealloc(h, sizeof *h + n);
    h->n = n;
    host_bytes = host_bytes - old + n;
    return h + 1;
}

void sim_xfree(void *p)
{
    if (!p) return;
    struct xhdr *h = (struct xhdr *)p - 1;
    sim_assert(host_count > 0);
    host_count--;
    host_bytes -= h->n;
    sim_wfree(h);
}

size_t sim_host_allocations(size_t *bytes)
{
    if (bytes) *bytes = host_bytes;
    return host_count;
}

/* --- Copy counts (sim_image_copies) ---------------------------------------------------------------- */

static uint64_t copies, copied_bytes;

uint64_t sim_image_copies(uint64_t *bytes)
{
    if (bytes) *bytes = copied_bytes;
    return copies;
}

/* --- Raw copies, invisible to ASan and quiet under valgrind ------------------------------ */

static inline void copy_raw(void *d, const void *s, size_t n)
{
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static void vg_quiet(bool on)
{
#if SIM_VALGRIND
    if (on) VALGRIND_DISABLE_ERROR_REPORTING; else VALGRIND_ENABLE_ERROR_REPORTING;
#else
    (void)on;
#endif
}

#if SIM_ASAN
// Copies into the arena (or the globals section), unseen by ASan (load_range's way there).
static void copy_in(uintptr_t dst, const unsigned char *src, size_t n)
{
    copy_raw((void *)dst, src, n);
}
#endif

// Puts n bytes of an image buffer at dst (the arena or the globals section), writing only the 128-byte blocks that differ from
// what dst holds: a load mostly follows a save of a near twin (a forked child's image over its
// parent's, the parent's back over the child's that ran a few steps), so most of it is equal
// already. The bytes at dst after are those of copy_in; under memcheck their definedness too
// (copied from the buffer's). Under ASan, copy_in (the compare would be instrumented).
typedef uint64_t image_v16 __attribute__((vector_size(16), may_alias, aligned(1)));

static void load_range(uintptr_t dst, const unsigned char *src, size_t n)
{
#if SIM_ASAN
    copy_in(dst, src, n);
#else
#if SIM_VALGRIND
    /* the destination may be memory valgrind believes dead (below some old SP) */
    (void)VALGRIND_MAKE_MEM_UNDEFINED(dst, n);
#endif
    unsigned char *d = (unsigned char *)dst;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        const image_v16 *a = (const image_v16 *)(d + i), *b = (const image_v16 *)(src + i);
        image_v16 x = ((a[0] ^ b[0]) | (a[1] ^ b[1])) | ((a[2] ^ b[2]) | (a[3] ^ b[3])) |
                      ((a[4] ^ b[4]) | (a[5] ^ b[5])) | ((a[6] ^ b[6]) | (a[7] ^ b[7]));
        if ((x[0] | x[1]) != 0)
            memcpy(d + i, src + i, 128);
    }
    if (i < n)
        memcpy(d + i, src + i, n - i);
#if SIM_VALGRIND
    if (RUNNING_ON_VALGRIND) {
        static unsigned char *vbits;
        static size_t vcap;
        if (n > vcap) {
            free(vbits);
            vbits = malloc(n);
            if (vbits == NULL) sim_fatal("out of host memory");
            vcap = n;
        }
        if (VALGRIND_GET_VBITS(src, vbits, n) == 1)
            (void)VALGRIND_SET_VBITS(d, vbits, n);
    }
#endif
#endif
}

/* --- ASan shadow, per image -------------------------------------------------------------- */

#if SIM_ASAN
static size_t sh_scale, sh_offset;
static unsigned char *shadow_of(uintptr_t a) { return (unsigned char *)((a >> sh_scale) + sh_offset); }
static size_t shadow_len(size_t n) { return n >> sh_scale; }
static void shadow_clear(uintptr_t lo, uintptr_t hi)
{
    if (hi > lo) __asan_unpoison_memory_region((void *)lo, hi - lo);
}
#endif

#if SIM_VALGRIND
/* valgrind's ids of the arena's stack slots: told once for the mapping, kept with it between
 * worlds (arena_kept below), told again only when the arena is mapped anew. Registering and
 * forgetting the 256 slots at every open and close was about 12,000 instructions a world. */
static struct {
    unsigned *ids;
    size_t n;
} vg_arena;

static void vg_arena_forget(void)
{
    for (size_t i = 0; i < vg_arena.n; i++) VALGRIND_STACK_DEREGISTER(vg_arena.ids[i]);
    free(vg_arena.ids);
    vg_arena.ids = NULL;
    vg_arena.n = 0;
}
#endif

/* --- Arena -------------------------------------------------------------------------------- */

/* The arena outlives a simulation. Mapping it and protecting a guard page per stack slot
 * splits it into a VMA per slot, and unmapping merges them back: about 400 us for the default
 * 256 slots, several times a whole simulated fork. image_arena_close keeps the mapping and its
 * pages as they are, and the next image_arena_open with the same sizes takes it over. Its bytes
 * are an earlier simulation's, which is no more than the arena holds between two images of one
 * simulation: every image is loaded from its saved ranges (a fresh one from the pristine globals
 * and a heap header), and nothing reads a byte outside an image's used ranges (see above).
 * Handing the pages back at every close (MADV_DONTNEED) cost about 120 us, and faulting them in
 * again about 70 us more, in a world of 400 (issue 11, item 2). */
static struct {
    size_t arena_size, stack_size;      /* 0: no arena kept */
} arena_kept;

// Maps the arena with a guard page per stack slot, or takes back the kept one if its sizes
// match. Returns 0, or -1 with errno (the address is taken).
static int arena_map(size_t arena_size, size_t stack_size)
{
    struct sim_rt *r = &sim_rt;
    if (arena_kept.arena_size == arena_size && arena_kept.stack_size == stack_size) {
        arena_kept.arena_size = 0;
        return 0;
    }
    if (arena_kept.arena_size != 0) {
#if SIM_VALGRIND
        vg_arena_forget();
#endif
        munmap((void *)SIM_ARENA_BASE, arena_kept.arena_size);
        arena_kept.arena_size = 0;
    }
    /* Executable, as a Hurd thread's stack is: glibc's signal code (hurd/hurdsig.c) hands
     * nested functions around (post_signal's reply), and GCC builds their trampolines on the
     * stack of the simulated thread that runs it, which is in the arena. */
    void *p = mmap((void *)SIM_ARENA_BASE, arena_size, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return -1;
    if ((uintptr_t)p != SIM_ARENA_BASE) {   /* an old kernel took it as a hint */
        munmap(p, arena_size);
        errno = EEXIST;
        return -1;
    }
    size_t nslots = arena_size / 4 / stack_size;
    if (nslots < 4) nslots = 4;
    for (size_t i = 0; i < nslots; i++)  /* guard pages: an overflow faults, not corrupts */
        mprotect((void *)(SIM_ARENA_BASE + arena_size - (i + 1) * stack_size), r->page, PROT_NONE);
    return 0;
}

int image_arena_open(size_t arena_size, size_t stack_size)
{
    struct sim_rt *r = &sim_rt;
    wheap_reset();      /* everything of the world before is gone (snapshot.c) */
    r->page = (size_t)sysconf(_SC_PAGESIZE);
    if (arena_map(arena_size, stack_size) != 0) return -1;
    r->arena_lo = SIM_ARENA_BASE;
    r->arena_hi = SIM_ARENA_BASE + arena_size;
    r->stack_size = stack_size;
    r->nslots = arena_size / 4 / stack_size;    /* a quarter of the arena for stacks */
    if (r->nslots < 4) r->nslots = 4;
    r->heap_limit = r->arena_hi - r->nslots * stack_size;
    sim_assert(r->heap_limit > r->arena_lo + 2 * r->page);
#if SIM_VALGRIND
    /* valgrind then takes a jump between slots for a switch, not a huge frame */
    if (vg_arena.ids == NULL) {
        vg_arena.ids = malloc(r->nslots * sizeof *vg_arena.ids);
        if (vg_arena.ids == NULL) sim_fatal("out of host memory");
        vg_arena.n = r->nslots;
        for (size_t i = 0; i < r->nslots; i++)
            vg_arena.ids[i] = VALGRIND_STACK_REGISTER(r->arena_hi - (i + 1) * stack_size + r->page,
                                                      r->arena_hi - i * stack_size);
    }
#endif
#if SIM_ASAN
    __asan_get_shadow_mapping(&sh_scale, &sh_offset);
#endif
    size_t g = sim_globals_size();
    r->pristine = sim_xalloc(g ? g : 1);
    copy_raw(r->pristine, sim_globals_lo(), g);
    return 0;
}

void image_arena_close(void)
{
    struct sim_rt *r = &sim_rt;
    image_drop_in_place();
    copy_raw(sim_globals_lo(), r->pristine, sim_globals_size());
    sim_xfree(r->pristine);
    r->pristine = NULL;
    /* kept for the next simulation (arena_map), bytes and all */
    arena_kept.arena_size = r->arena_hi - r->arena_lo;
    arena_kept.stack_size = r->stack_size;
    r->arena_lo = r->arena_hi = 0;
}

/* A snapshot's restore takes the kept arena back (as arena_map does) without touching the
 * world state, which the restore copies in after (snapshot.c). */
int image_arena_resume(size_t arena_size, size_t stack_size)
{
    if (arena_kept.arena_size != arena_size || arena_kept.stack_size != stack_size) {
        errno = ESTALE;     /* another world's arena since: not the snapshot's */
        return -1;
    }
    arena_kept.arena_size = 0;
    return 0;
}

/* ...and, the world state back: valgrind still knows the kept arena's stack slots (vg_arena). */
void image_arena_resumed(void)
{
}

bool image_contains(uintptr_t addr, size_t len)
{
    uintptr_t g = (uintptr_t)sim_globals_lo();
    if (addr >= g && addr + len <= g + sim_globals_size()) return true;
    return addr >= sim_rt.arena_lo && addr + len <= sim_rt.arena_hi;
}

/* --- Stack slots ----------------------------------------------------------------------------- */

// The stack table grows with the slots an image uses (most use one or two of the 256): a
// table of every slot per image was 10 KiB to allocate and fill per task (issue 11, item 4).
static void stacks_init(struct sim_image *img)
{
    img->stacks = NULL;
    img->nstacks = 0;
}

// Makes room for slots [0, n) in img's table, each new one free.
static void stacks_reserve(struct sim_image *img, size_t n)
{
    struct sim_rt *r = &sim_rt;
    if (n <= img->nstacks) return;
    size_t cap = img->nstacks ? 2 * img->nstacks : 4;
    if (cap < n) cap = n;
    if (cap > r->nslots) cap = r->nslots;
    img->stacks = sim_xrealloc(img->stacks, cap * sizeof *img->stacks);
    for (size_t i = img->nstacks; i < cap; i++) {
        uintptr_t hi = r->arena_hi - i * r->stack_size;
        img->stacks[i] = (struct sim_stack){ .lo = hi - r->stack_size, .hi = hi, .live_lo = hi };
    }
    img->nstacks = cap;
}

// Takes a free slot for owner (a thread id, or 0). Returns its index, or -1 if none left.
// Safe on a saved image: a new slot has no live bytes, so the saved layout is unchanged.
int image_stack_alloc(struct sim_image *img, int owner)
{
    for (size_t i = 0; i < sim_rt.nslots; i++) {
        if (i >= img->nstacks) stacks_reserve(img, i + 1);
        struct sim_stack *s = &img->stacks[i];
        if (!s->in_use) {
            s->in_use = true;
            s->owner = owner;
            s->live_lo = s->hi;
            if (i + 1 > img->slot_hi) img->slot_hi = i + 1;
            return (int)i;
        }
    }
    return -1;
}

// Gives a slot back. On a saved image the bytes are part of the saved layout, so the slot
// is only marked (owner -1) and let go when the image is next put in place.
void image_stack_release(struct sim_image *img, int slot)
{
    struct sim_stack *s = &img->stacks[slot];
    sim_assert(s->in_use);
    if (img->saved) {
        s->owner = -1;
        return;
    }
#if SIM_ASAN
    shadow_clear(s->lo + sim_rt.page, s->hi);
#endif
    s->in_use = false;
    s->owner = 0;
    s->live_lo = s->hi;
    while (img->slot_hi && !img->stacks[img->slot_hi - 1].in_use) img->slot_hi--;
}

int image_stack_find(const struct sim_image *img, uintptr_t addr)
{
    for (size_t i = 0; i < img->slot_hi; i++) {
        const struct sim_stack *s = &img->stacks[i];
        if (s->in_use && addr > s->lo && addr <= s->hi) return (int)i;
    }
    return -1;
}

// Records that a thread's stack is live from sp up (sp on a slot; a stack in the heap is
// copied with the heap).
void image_note_sp(struct sim_image *img, uintptr_t sp)
{
    int i = image_stack_find(img, sp);
    if (i >= 0) img->stacks[i].live_lo = sp & ~(uintptr_t)15;
}

/* --- Host stacks: the stacks of host tasks' threads ------------------------------------------------ */

/* A task without an image (sim_task_create_host) runs its threads on stacks in host memory: one
 * region of stack_size bytes a thread, a guard page at the bottom, the thread's host TLS block
 * (SIM_HOST_TLS_SIZE bytes, zeroed when the region is handed out) at the top, the stack below
 * it. Regions are mapped once and kept for later threads and later simulations, like the
 * arena: a world's four servers then cost no mapping at all. */
#define HOST_STACKS_MAX 256
static struct {
    unsigned char *free[HOST_STACKS_MAX];
    size_t nfree;
    size_t size;                /* stack_size of the regions kept */
} host_stacks;

unsigned char *image_host_stack_get(void)
{
    struct sim_rt *r = &sim_rt;
    if (host_stacks.size != r->stack_size) {  /* another stack size: the old regions go */
        for (size_t i = 0; i < host_stacks.nfree; i++) munmap(host_stacks.free[i], host_stacks.size);
        host_stacks.nfree = 0;
        host_stacks.size = r->stack_size;
    }
    unsigned char *region;
    if (host_stacks.nfree > 0) {
        region = host_stacks.free[--host_stacks.nfree];
    } else {
        region = mmap(NULL, r->stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED) sim_fatal("out of host memory for a host task's stack");
        mprotect(region, r->page, PROT_NONE);
    }
    memset(region + r->stack_size - SIM_HOST_TLS_SIZE, 0, SIM_HOST_TLS_SIZE);
    return region;
}

/* A restore gives a snapshot's thread its region again: out of the free pool (every region is
 * back there once the world before closed), or mapped anew at its address. */
void image_host_stack_take(unsigned char *region, size_t stack_size)
{
    struct sim_rt *r = &sim_rt;
    if (host_stacks.size == stack_size) {
        for (size_t i = 0; i < host_stacks.nfree; i++) {
            if (host_stacks.free[i] == region) {
                host_stacks.free[i] = host_stacks.free[--host_stacks.nfree];
                goto taken;
            }
        }
    }
    void *p = mmap(region, stack_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != region) sim_fatal("a snapshot's host stack cannot be mapped again");
    mprotect(region, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE);
taken:
    (void)r;
#if SIM_ASAN
    shadow_clear((uintptr_t)region + r->page, (uintptr_t)region + stack_size);
#endif
}

void image_host_stack_put(unsigned char *region)
{
    struct sim_rt *r = &sim_rt;
#if SIM_ASAN
    shadow_clear((uintptr_t)region + r->page, (uintptr_t)region + r->stack_size);
#endif
    if (host_stacks.nfree < HOST_STACKS_MAX && host_stacks.size == r->stack_size)
        host_stacks.free[host_stacks.nfree++] = region;
    else
        munmap(region, r->stack_size);
}

/* Where a thread on the region starts: below its TLS block, 16-byte aligned. */
uintptr_t image_host_stack_top(const unsigned char *region)
{
    return ((uintptr_t)region + sim_rt.stack_size - SIM_HOST_TLS_SIZE - 64) & ~(uintptr_t)15;
}

void *image_host_stack_tls(unsigned char *region)
{
    return region + sim_rt.stack_size - SIM_HOST_TLS_SIZE;
}

/* --- Saving and loading ------------------------------------------------------------------------ */

static size_t used_len(const struct sim_image *img, uintptr_t top, size_t *shadow)
{
    size_t n = sim_globals_size() + (top - sim_rt.arena_lo), sn = top - sim_rt.arena_lo;
    for (size_t i = 0; i < img->slot_hi; i++)
        if (img->stacks[i].in_use) {
            n += img->stacks[i].hi - img->stacks[i].live_lo;
            sn += img->stacks[i].hi - img->stacks[i].live_lo;
        }
#if SIM_ASAN
    *shadow = shadow_len(sn);
#else
    (void)sn;
    *shadow = 0;
#endif
    return n;
}

/* An image buffer of at least n bytes whose old contents go: capture writes it whole, so it is
 * neither copied over nor zeroed. */
static void reserve_fresh(unsigned char **buf, size_t *cap, size_t n)
{
    if (n > *cap) {
        sim_xfree(*buf);
        struct xhdr *h = sim_walloc_uninit(sizeof *h + n);
        h->n = n;
        host_count++;
        host_bytes += n;
        *buf = (unsigned char *)(h + 1);
        *cap = n;
    }
}

static void reserve(unsigned char **buf, size_t *cap, size_t n)
{
    if (n > *cap) {
        *buf = sim_xrealloc(*buf, n);
        *cap = n;
    }
}

// Snapshots the image in place into dst (dst may be the in-place image itself: that saves
// it). src is the in-place image's stack table.
static void capture(struct sim_image *dst, const struct sim_image *src)
{
    struct sim_rt *r = &sim_rt;
    uintptr_t top = heap_top();
    if (dst != src) {
        stacks_reserve(dst, src->slot_hi);
        copy_raw(dst->stacks, src->stacks, src->slot_hi * sizeof *dst->stacks);
        dst->slot_hi = src->slot_hi;
    }
    size_t sn, n = used_len(dst, top, &sn);
    reserve_fresh(&dst->buf, &dst->cap, n);
    reserve(&dst->shadow, &dst->scap, sn ? sn : 1);
    dst->len = n;
    dst->slen = sn;
    copies++;
    copied_bytes += n;
    vg_quiet(true);
    unsigned char *o = dst->buf;
    size_t g = sim_globals_size();
    copy_raw(o, sim_globals_lo(), g);
    o += g;
    copy_raw(o, (void *)r->arena_lo, top - r->arena_lo);
    o += top - r->arena_lo;
#if SIM_ASAN
    unsigned char *so = dst->shadow;
    copy_raw(so, shadow_of(r->arena_lo), shadow_len(top - r->arena_lo));
    so += shadow_len(top - r->arena_lo);
#endif
    for (size_t i = 0; i < dst->slot_hi; i++) {
        const struct sim_stack *s = &dst->stacks[i];
        if (!s->in_use) continue;
        copy_raw(o, (void *)s->live_lo, s->hi - s->live_lo);
        o += s->hi - s->live_lo;
#if SIM_ASAN
        copy_raw(so, shadow_of(s->live_lo), shadow_len(s->hi - s->live_lo));
        so += shadow_len(s->hi - s->live_lo);
#endif
    }
    vg_quiet(false);
    dst->heap_top = top;
    dst->saved = true;
}

// Clears the ASan shadow of the image in place (its heap up to the highest top it had,
// its stacks whole) so that only the image put in place next has any.
static void clear_shadow(const struct sim_image *img, uintptr_t hwm)
{
#if SIM_ASAN
    shadow_clear(sim_rt.arena_lo, hwm);
    for (size_t i = 0; i < img->slot_hi; i++)
        if (img->stacks[i].in_use) shadow_clear(img->stacks[i].lo + sim_rt.page, img->stacks[i].hi);
#else
    (void)img, (void)hwm;
#endif
}

static void load(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    struct sim_image *img = &t->img;
    sim_assert(img->saved);
    copies++;
    copied_bytes += img->len;
    vg_quiet(true);
    const unsigned char *o = img->buf;
    size_t g = sim_globals_size();
    load_range((uintptr_t)sim_globals_lo(), o, g);
    o += g;
    load_range(r->arena_lo, o, img->heap_top - r->arena_lo);
    o += img->heap_top - r->arena_lo;
#if SIM_ASAN
    const unsigned char *so = img->shadow;
    copy_raw(shadow_of(r->arena_lo), so, shadow_len(img->heap_top - r->arena_lo));
    so += shadow_len(img->heap_top - r->arena_lo);
#endif
    for (size_t i = 0; i < img->slot_hi; i++) {
        const struct sim_stack *s = &img->stacks[i];
        if (!s->in_use) continue;
        load_range(s->live_lo, o, s->hi - s->live_lo);
        o += s->hi - s->live_lo;
#if SIM_ASAN
        copy_raw(shadow_of(s->live_lo), so, shadow_len(s->hi - s->live_lo));
        so += shadow_len(s->hi - s->live_lo);
#endif
    }
    vg_quiet(false);
    sim_assert((size_t)(o - img->buf) == img->len);
    img->saved = false;
    r->in_place = t;
    sim_image_task = t->id;
    for (size_t i = 0; i < img->slot_hi; i++)     /* releases asked for while it was saved */
        if (img->stacks[i].in_use && img->stacks[i].owner == -1) image_stack_release(img, (int)i);
}

void image_drop_in_place(void)
{
    sim_task *t = sim_rt.in_place;
    if (!t) return;
    clear_shadow(&t->img, heap_hwm());
    t->img.saved = true;    /* its bytes are gone: only image_free may follow */
    t->img.len = 0;
    sim_rt.in_place = NULL;
}

// Saves the image in place into its task's buffer and leaves the arena to nobody: what a
// snapshot needs of the images is then all in the world heap (snapshot.c).
void image_save_in_place(void)
{
    struct sim_rt *r = &sim_rt;
    if (!r->in_place) return;
    struct sim_image *img = &r->in_place->img;
    sim_assert(sim_image_task == r->in_place->id);
    uintptr_t hwm = heap_hwm();
    capture(img, img);
    clear_shadow(img, hwm);
    r->in_place = NULL;
}

void sim_image_save_in_place(void)
{
    sim_api_check(sim_rt.open && sim_rt.cur == NULL, "sim_image_save_in_place between runs only");
    image_save_in_place();
}

// Puts t's image in place, saving the one there. The running thread (if any) must have
// noted its SP (image_note_sp) before.
void image_put_in_place(sim_task *t)
{
    struct sim_rt *r = &sim_rt;
    if (r->in_place == t || t->host) return;    /* a host task has no image: the one there stays */
    if (r->in_place) {
        struct sim_image *old = &r->in_place->img;
        sim_assert(sim_image_task == r->in_place->id);
        uintptr_t hwm = heap_hwm();
        capture(old, old);
        clear_shadow(old, hwm);
        r->in_place = NULL;
    }
    load(t);
}

/* --- Creating and freeing images --------------------------------------------------------------- */

void image_init_fresh(struct sim_image *img)
{
    struct sim_rt *r = &sim_rt;
    stacks_init(img);
    size_t g = sim_globals_size(), h = heap_header_size();
    img->cap = img->len = g + h;
    img->buf = sim_xalloc(img->len);
    copy_raw(img->buf, r->pristine, g);
    heap_format(img->buf + g, r->arena_lo, r->heap_limit);
    img->heap_top = r->arena_lo + h;
#if SIM_ASAN
    img->scap = img->slen = shadow_len(h);
#else
    img->scap = img->slen = 1;
#endif
    img->shadow = sim_xalloc(img->scap);    /* zero: nothing poisoned */
    img->saved = true;
}

// dst becomes a copy of parent's image as of now. When parent is in place and one of its
// threads is running, sp is that thread's current SP (its stack is live from there).
void image_init_copy(struct sim_image *dst, sim_task *parent, uintptr_t sp)
{
    struct sim_rt *r = &sim_rt;
    struct sim_image *src = &parent->img;
    sim_api_check(!parent->host, "inheriting the image of a task without one");
    stacks_init(dst);
    if (!src->saved) {
        sim_assert(r->in_place == parent);
        if (sp) image_note_sp(src, sp);
        capture(dst, src);
    } else {
        stacks_reserve(dst, src->slot_hi);
        copy_raw(dst->stacks, src->stacks, src->slot_hi * sizeof *dst->stacks);
        dst->slot_hi = src->slot_hi;
        dst->len = dst->cap = src->len;
        dst->buf = sim_xalloc(dst->cap ? dst->cap : 1);
        copy_raw(dst->buf, src->buf, src->len);
        dst->slen = dst->scap = src->slen;
        dst->shadow = sim_xalloc(dst->scap ? dst->scap : 1);
        copy_raw(dst->shadow, src->shadow, src->slen);
        dst->heap_top = src->heap_top;
        dst->saved = true;
    }
    for (size_t i = 0; i < dst->slot_hi; i++)  /* the parent's threads are not the child's */
        if (dst->stacks[i].owner > 0) dst->stacks[i].owner = 0;
}

void image_free(struct sim_image *img)
{
    sim_xfree(img->buf);
    sim_xfree(img->shadow);
    sim_xfree(img->stacks);
    memset(img, 0, sizeof *img);
}

// Copies len bytes at addr as task t sees them. Returns 0, or -1 if not all in its used ranges.
int image_peek(sim_task *t, const void *addr, void *out, size_t len)
{
    struct sim_rt *r = &sim_rt;
    const struct sim_image *img = &t->img;
    if (t->host) return -1;     /* no image: nothing of it to read */
    uintptr_t a = (uintptr_t)addr, g = (uintptr_t)sim_globals_lo();
    size_t gs = sim_globals_size();
    uintptr_t top = img->saved ? img->heap_top : heap_top_in_place();
    const unsigned char *src = NULL;
    if (a >= g && a + len <= g + gs) {
        src = img->saved ? img->buf + (a - g) : (const unsigned char *)a;
    } else if (a >= r->arena_lo && a + len <= top) {
        src = img->saved ? img->buf + gs + (a - r->arena_lo) : (const unsigned char *)a;
    } else {
        size_t off = gs + (top - r->arena_lo);
        for (size_t i = 0; i < img->slot_hi && !src; i++) {
            const struct sim_stack *s = &img->stacks[i];
            if (!s->in_use) continue;
            if (a >= s->live_lo && a + len <= s->hi)
                src = img->saved ? img->buf + off + (a - s->live_lo) : (const unsigned char *)a;
            off += s->hi - s->live_lo;
        }
    }
    if (!src) return -1;
    vg_quiet(true);
    copy_raw(out, src, len);
    vg_quiet(false);
    return 0;
}

_Noreturn void sim_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("forksim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
