/* snapshot.c: the world heap, and snapshots of a whole simulated world restored in place.
 *
 * Why. A sweep runs one scenario hundreds of times, each run the same boot and set-up up to
 * the point it varies (a fault at the Nth RPC of the fork): about half of a run's events
 * (issue 11, items 2 and 5). A snapshot taken there once and put back for each run skips it.
 *
 * How. A world's state is (a) the memory its host code allocates while it is open, (b) the
 * host statics of the runtime, the kernel glue, the servers, forkimpl's host side and the
 * runner, (c) the images of the simulated tasks, and (d) the stacks of host tasks' threads.
 * Each is made to sit at the same address in every world, so a byte copy put back is the
 * world again, pointers and all:
 *   (a) the world heap: one fixed-address mapping (WHEAP_BASE) with its own allocator (a
 *       bump pointer and free lists by size), emptied at every sim_open. The runtime's
 *       sim_xalloc, the model's objects (world_set_host_memory), the kernel glue's and the
 *       servers' tables allocate from it;
 *   (b) SIM_WORLD_STATE statics: one ELF section, forksim_worldstate, copied whole;
 *   (c) images: the image in place is saved into its task's buffer first (a buffer in the
 *       world heap), so the arena holds nothing a snapshot needs;
 *   (d) host stacks: regions kept mapped between worlds (image.c); a snapshot keeps each
 *       thread's live range (its saved stack pointer to the region's top, TLS included) and
 *       which regions were in use, and a restore takes those out of the free pool again.
 * The decision list (malloc'ed, it outlives the world) is copied out and back.
 * A snapshot is taken between two picks (sim_at_step): no simulated thread is running, each
 * is parked in sim_ctx_swap or not started, and the scheduler's own state is in sim_rt. A
 * restore stands for sim_open: the runtime is closed before, open after, and sim_run
 * continues from the step the snapshot was taken at. Nothing here makes a host process:
 * snapshots are copies in this process's memory.
 *
 * Restores put back the used part of the world heap (up to its top when taken) and the section,
 * about 100 to 300 KiB for a sweep's world, as their runs of non-zero bytes (struct packed: a
 * booted world's are about 2 KiB of 107 KiB) copied in and the zeros between them zeroed where
 * the world before left something else (zero_dirty: read, and written where not zero): tens
 * of microseconds saved per run over a boot and set-up replayed (figures in
 * tests/bench_explore.c).
 *
 * Under ASan there are no snapshots (sim_snapshots_supported is false) and the world heap is
 * calloc and free, so that every block keeps its redzones and a use after free is caught.
 */
#include "sim_int.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define WHEAP_BASE ((uintptr_t)0x280000000000ULL)   /* beside the arena, outside ASan's shadow */
#define WHEAP_SIZE ((size_t)4 << 30)                /* reserved, not committed */
#define WHEAP_GRAIN 16
#define WHEAP_SMALL 64                              /* classes of 16..1024 bytes by 16 */
#define WHEAP_CLASSES (WHEAP_SMALL + 4 * 28)        /* then 4 a power of 2, up to 2^38 */

extern unsigned char __start_forksim_worldstate[] __attribute__((weak));
extern unsigned char __stop_forksim_worldstate[] __attribute__((weak));

/* A block: its header, then the payload (a multiple of 16 bytes). */
typedef struct wblock {
    size_t size;        /* payload bytes (the class's size) */
    size_t cls;
} wblock;
_Static_assert(sizeof(wblock) == WHEAP_GRAIN, "blocks stay 16-byte aligned");

typedef struct wfree {
    struct wfree *next;
} wfree;

/* The heap's state is world state too. */
SIM_WORLD_STATE static struct {
    uintptr_t top;                  /* first byte never handed out */
    wfree *head[WHEAP_CLASSES];
    size_t live;                    /* bytes of the blocks in use, headers included */
} wh;

static bool wheap_mapped;

bool sim_snapshots_supported(void) { return !SIM_ASAN; }

static size_t class_of(size_t n, size_t *size)
{
    if (n == 0)
        n = 1;
    if (n <= WHEAP_SMALL * WHEAP_GRAIN) {
        size_t c = (n + WHEAP_GRAIN - 1) / WHEAP_GRAIN;
        *size = c * WHEAP_GRAIN;
        return c - 1;
    }
    /* 1.25, 1.5, 1.75 and 2 times a power of 2: at most a fifth wasted (image buffers) */
    size_t c = WHEAP_SMALL;
    for (size_t base = WHEAP_SMALL * WHEAP_GRAIN;; base *= 2) {
        for (size_t q = 5; q <= 8; q++, c++) {
            sim_assert(c < WHEAP_CLASSES);
            if (n <= base / 4 * q) {
                *size = base / 4 * q;
                return c;
            }
        }
    }
}

static void wheap_map(void)
{
    void *p = mmap((void *)WHEAP_BASE, WHEAP_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uintptr_t)p != WHEAP_BASE)
        sim_fatal("the world heap cannot be mapped at 0x%lx", (unsigned long)WHEAP_BASE);
    wheap_mapped = true;
}

/* At the process's exit the world heap's reservation goes (the runtime's destructor runs after
 * every atexit handler, and no world outlives main). Nothing needs its bytes then, and a tool
 * that reads all mapped memory at exit, memcheck's leak check, would otherwise scan the whole
 * 4 GiB reservation: about 20 s for each test program that opened a world, against 1 s with it
 * gone, and 4 GB of memory each. */
static void __attribute__((destructor)) wheap_unmap_at_exit(void)
{
    if (wheap_mapped && !sim_rt.open) {
        munmap((void *)WHEAP_BASE, WHEAP_SIZE);
        wheap_mapped = false;
    }
}

/* Empties the world heap: sim_open, before anything of a world is allocated. Its pages stay,
 * as the arena's do (image.c): giving them back and faulting them in again costs more. */
void wheap_reset(void)
{
    if (SIM_ASAN)
        return;
    if (!wheap_mapped)
        wheap_map();
    memset(&wh, 0, sizeof wh);
    wh.top = WHEAP_BASE;
}

static void *walloc(size_t n, size_t zero);

void *sim_walloc(size_t n) { return walloc(n, n); }

/* For a block its caller writes whole before reading it (an image buffer): not zeroed. */
void *sim_walloc_uninit(size_t n) { return walloc(n, 0); }

/* A block of n bytes, its first `zero` bytes zeroed. */
static void *walloc(size_t n, size_t zero)
{
    if (SIM_ASAN) {
        void *p = calloc(1, n ? n : 1);
        if (p == NULL) sim_fatal("out of host memory (%zu bytes)", n);
        return p;
    }
    if (!wheap_mapped)
        wheap_reset();
    size_t size, c = class_of(n, &size);
    wblock *b;
    if (wh.head[c] != NULL) {
        wfree *f = wh.head[c];
        wh.head[c] = f->next;
        b = (wblock *)f - 1;
    } else {
        if (wh.top + sizeof *b + size > WHEAP_BASE + WHEAP_SIZE)
            sim_fatal("the world heap is full (%zu bytes asked)", n);
        b = (wblock *)wh.top;
        wh.top += sizeof *b + size;
        b->size = size;
        b->cls = c;
    }
#if SIM_VALGRIND
    (void)VALGRIND_MAKE_MEM_UNDEFINED(b + 1, size);
#endif
    memset(b + 1, 0, zero);
    wh.live += sizeof *b + size;
    return b + 1;
}

void sim_wfree(void *p)
{
    if (p == NULL)
        return;
    if (SIM_ASAN) {
        free(p);
        return;
    }
    wblock *b = (wblock *)p - 1;
    sim_assert((uintptr_t)b >= WHEAP_BASE && (uintptr_t)b < wh.top && b->cls < WHEAP_CLASSES);
    wfree *f = p;
    f->next = wh.head[b->cls];
    wh.head[b->cls] = f;
    wh.live -= sizeof *b + b->size;
}

size_t sim_world_heap_live(void) { return SIM_ASAN ? 0 : wh.live; }

/* Like realloc: the bytes past the old size are unspecified (zero when fresh). */
void *sim_wrealloc(void *p, size_t n)
{
    if (SIM_ASAN) {
        void *q = realloc(p, n ? n : 1);
        if (q == NULL) sim_fatal("out of host memory (%zu bytes)", n);
        return q;
    }
    if (p == NULL)
        return sim_walloc(n);
    wblock *b = (wblock *)p - 1;
    if (n <= b->size)
        return p;
    void *q = walloc(n, 0);     /* the old bytes, then zeros: as sim_walloc and a copy made it */
    memcpy(q, p, b->size);
    memset((unsigned char *)q + b->size, 0, n - b->size);
    sim_wfree(p);
    return q;
}

/* --- Snapshots ------------------------------------------------------------------------------- */

struct snap_stack {
    unsigned char *region;      /* the thread's host stack region */
    uintptr_t lo;               /* live bytes [lo, region + stack_size) */
    unsigned char *bytes;
};

/* A region kept as its runs of non-zero bytes: most of a world's heap and state section is
 * zeros (a booted world: about 2 KiB of 45 KiB of heap, 171 bytes of the 62 KiB section), and
 * a restore that zeroes the region and copies the runs writes once and reads little. */
struct snap_run {
    size_t off, len;
};
struct packed {
    size_t len;                 /* the region's bytes */
    struct snap_run *runs;
    size_t nruns;
    unsigned char *bytes;       /* the runs' bytes, one after the other */
};

struct sim_snapshot {
    uint64_t steps;             /* picks made when it was taken */
    uintptr_t top;
    struct packed heap;         /* [WHEAP_BASE, top) */
    size_t state_len;
    struct packed state;        /* the forksim_worldstate section */
    struct snap_stack *stacks;
    size_t nstacks;
    int *picks;                 /* the decisions made so far */
    size_t npicks;
    size_t arena_size, stack_size;
    bool idle;                  /* taken outside sim_run (sim_snapshot_take_idle) */
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) sim_fatal("out of host memory for a snapshot (%zu bytes)", n);
    return p;
}

#define RUN_GAP 64      /* zeros shorter than this inside a run stay in it */

static void pack(struct packed *pk, const unsigned char *p, size_t len)
{
#if SIM_VALGRIND
    /* the tails of heap blocks past what was asked are undefined to memcheck: their bytes are
     * kept as they are, whatever they are (a restore writes them all) */
    VALGRIND_DISABLE_ERROR_REPORTING;
#endif
    memset(pk, 0, sizeof *pk);
    pk->len = len;
    size_t cap = 16, nbytes = 0;
    pk->runs = xmalloc(cap * sizeof *pk->runs);
    for (size_t i = 0; i < len;) {
        if (p[i] == 0) {
            i++;
            continue;
        }
        size_t start = i, end = i + 1, zeros = 0;
        for (i = end; i < len && zeros < RUN_GAP; i++) {
            if (p[i] != 0) {
                end = i + 1;
                zeros = 0;
            } else {
                zeros++;
            }
        }
        if (pk->nruns == cap) {
            cap *= 2;
            struct snap_run *r = realloc(pk->runs, cap * sizeof *pk->runs);
            if (r == NULL) sim_fatal("out of host memory for a snapshot");
            pk->runs = r;
        }
        pk->runs[pk->nruns++] = (struct snap_run){start, end - start};
        nbytes += end - start;
        i = end;
    }
    pk->bytes = xmalloc(nbytes);
    unsigned char *o = pk->bytes;
    for (size_t k = 0; k < pk->nruns; k++) {
        memcpy(o, p + pk->runs[k].off, pk->runs[k].len);
        o += pk->runs[k].len;
    }
#if SIM_VALGRIND
    VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

/* Zeroes the bytes of [p, p + n) that are not zero already, 128 bytes at a time: a restore's
 * region is mostly zeros in the snapshot and mostly still zeros when it is put back (a world
 * writes a few KiB of a booted world's 107 KiB), so reading it is cheaper than writing it all. */
typedef uint64_t v16_alias __attribute__((vector_size(16), may_alias, aligned(16)));

static void zero_dirty(unsigned char *p, size_t n)
{
    for (; n > 0 && ((uintptr_t)p & 15) != 0; p++, n--)
        if (*p != 0)
            *p = 0;
    v16_alias *v = (v16_alias *)p;
    size_t nv = n / 16, i = 0;
    for (; i + 8 <= nv; i += 8) {
        v16_alias acc = (v[i] | v[i + 1]) | (v[i + 2] | v[i + 3]) | (v[i + 4] | v[i + 5]) |
                        (v[i + 6] | v[i + 7]);
        if ((acc[0] | acc[1]) != 0)
            memset(&v[i], 0, 128);
    }
    for (; i < nv; i++)
        if ((v[i][0] | v[i][1]) != 0)
            memset(&v[i], 0, 16);
    p += nv * 16;
    n -= nv * 16;
    for (; n > 0; p++, n--)
        if (*p != 0)
            *p = 0;
}

/* Puts the region back as it was packed: the runs copied, the zeros between them zeroed where
 * they are not zero already (zero_dirty). The same bytes as zeroing it whole and copying the
 * runs in, which wrote about 107 KiB a restore of a booted world. */
static void unpack(const struct packed *pk, unsigned char *p)
{
#if SIM_VALGRIND
    /* the bytes read are whatever the world before left, some undefined to memcheck (a freed
     * block's tail); those between the runs are zeros after, as a memset would leave them */
    VALGRIND_DISABLE_ERROR_REPORTING;
#endif
    const unsigned char *o = pk->bytes;
    size_t at = 0;
    for (size_t k = 0; k <= pk->nruns; k++) {
        size_t off = k < pk->nruns ? pk->runs[k].off : pk->len;
        zero_dirty(p + at, off - at);
#if SIM_VALGRIND
        (void)VALGRIND_MAKE_MEM_DEFINED(p + at, off - at);
#endif
        if (k == pk->nruns)
            break;
        memcpy(p + off, o, pk->runs[k].len);
        o += pk->runs[k].len;
        at = off + pk->runs[k].len;
    }
#if SIM_VALGRIND
    VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

static size_t packed_bytes(const struct packed *pk)
{
    size_t n = 0;
    for (size_t k = 0; k < pk->nruns; k++)
        n += pk->runs[k].len;
    return n;
}

static void packed_free(struct packed *pk)
{
    free(pk->runs);
    free(pk->bytes);
}

sim_snapshot *sim_snapshot_take(void)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(!SIM_ASAN, "snapshots are not supported in this build");
    sim_api_check(r->open && r->cur == NULL, "a snapshot is taken between picks (sim_at_step)");
    sim_api_check(r->cfg.events == NULL, "a snapshot of a world writing an event log");
    image_save_in_place();
    sim_snapshot *s = xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    s->steps = r->steps;
    s->arena_size = r->arena_hi - r->arena_lo;
    s->stack_size = r->stack_size;
    s->top = wh.top;
    pack(&s->heap, (const unsigned char *)WHEAP_BASE, s->top - WHEAP_BASE);
    s->state_len = (size_t)(__stop_forksim_worldstate - __start_forksim_worldstate);
    pack(&s->state, __start_forksim_worldstate, s->state_len);
    for (sim_thread *th = r->threads; th; th = th->next)
        s->nstacks += th->host_stack != NULL;
    s->stacks = xmalloc(s->nstacks * sizeof *s->stacks);
    size_t i = 0;
    for (sim_thread *th = r->threads; th; th = th->next) {
        if (th->host_stack == NULL)
            continue;
        struct snap_stack *st = &s->stacks[i++];
        uintptr_t hi = (uintptr_t)th->host_stack + r->stack_size;
        st->region = th->host_stack;
        st->lo = th->ctx_sp != 0 ? th->ctx_sp & ~(uintptr_t)15 : image_host_stack_top(th->host_stack);
        sim_assert(st->lo > (uintptr_t)th->host_stack && st->lo <= hi);
        st->bytes = xmalloc(hi - st->lo);
        memcpy(st->bytes, (void *)st->lo, hi - st->lo);
    }
    s->npicks = r->made.npicks;
    s->picks = xmalloc(s->npicks * sizeof *s->picks);
    memcpy(s->picks, r->made.picks, s->npicks * sizeof *s->picks);
    return s;
}

void sim_snapshot_restore(const sim_snapshot *s)
{
    struct sim_rt *r = &sim_rt;
    sim_api_check(!r->open, "a snapshot is restored into a closed runtime (it stands for sim_open)");
    /* the host state outside the world: the arena and the host stack regions */
    if (image_arena_resume(s->arena_size, s->stack_size) != 0)
        sim_fatal("a snapshot's arena cannot be taken back: %s", strerror(errno));
    for (size_t i = 0; i < s->nstacks; i++)
        image_host_stack_take(s->stacks[i].region, s->stack_size);
    unpack(&s->heap, (unsigned char *)WHEAP_BASE);
    unpack(&s->state, __start_forksim_worldstate);
    for (size_t i = 0; i < s->nstacks; i++) {
        const struct snap_stack *st = &s->stacks[i];
        uintptr_t hi = (uintptr_t)st->region + s->stack_size;
#if SIM_VALGRIND
        /* a host stack's bytes below an old stack pointer are dead to valgrind: made writable */
        (void)VALGRIND_MAKE_MEM_UNDEFINED(st->lo, hi - st->lo);
#endif
        memcpy((void *)st->lo, st->bytes, hi - st->lo);
    }
    r->made.picks = xmalloc((s->npicks + 1) * sizeof *r->made.picks);
    memcpy(r->made.picks, s->picks, s->npicks * sizeof *s->picks);
    r->made.npicks = s->npicks;
    r->made.cap = s->npicks + 1;
    r->resuming = !s->idle;    /* a snapshot taken between runs: the next sim_run starts afresh */
    image_arena_resumed();
#if SIM_VALGRIND
    /* valgrind forgot the stacks at the close before: tell it again (their ids are new) */
    for (sim_thread *th = r->threads; th; th = th->next)
        if (th->vg_stack) th->vg_stack = VALGRIND_STACK_REGISTER(th->stk_lo, th->stk_hi);
#endif
}

/* Between two sim_run calls (the first has returned): the next sim_run after a restore is a
 * call of its own, as it would have been in the world the snapshot was taken of. */
sim_snapshot *sim_snapshot_take_idle(void)
{
    sim_snapshot *s = sim_snapshot_take();
    s->idle = true;
    return s;
}

uint64_t sim_snapshot_steps(const sim_snapshot *s) { return s->steps; }

size_t sim_snapshot_bytes(const sim_snapshot *s)
{
    size_t n = packed_bytes(&s->heap) + packed_bytes(&s->state);
    for (size_t i = 0; i < s->nstacks; i++)
        n += (uintptr_t)s->stacks[i].region + s->stack_size - s->stacks[i].lo;
    return n;
}

void sim_snapshot_free(sim_snapshot *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nstacks; i++)
        free(s->stacks[i].bytes);
    free(s->stacks);
    packed_free(&s->heap);
    packed_free(&s->state);
    free(s->picks);
    free(s);
}
