/*
 * space.c: name spaces and their entries.
 *
 * Models GNU Mach's ipc/ipc_space.c and ipc/ipc_entry.c (with kern/rdxtree.c as the table):
 * how names are chosen (rule N3: a LIFO free list of up to 64 freed entries that stay in the
 * tree, then the lowest key not in the tree, key 0 always taken), the placeholder at 0 (N2),
 * the reverse map that gives one name per port for send and receive rights (T3), and the
 * teardown of a space at task termination (K5 step 3).
 *
 * The tree. GNU Mach's is a radix tree (kern/rdxtree.c) keyed by the name itself: a lookup
 * indexes arrays by the name's bits, and a walk visits names in ascending order. Ours keeps
 * the entries themselves in chunks of 32 indexed by the name (is_chunks), for names below a
 * bound that grows with the entries (at most about 4 per entry, at least 1024): kernel-chosen
 * names are the lowest free keys, so they are all dense. A caller-chosen name past the bound
 * (mach_port_allocate_name of 0x7fff0000, say) gets an entry of its own in a hash instead
 * (is_far), and keeps it there even once the array grows past it: entries never move, the
 * model holds pointers to them. So a lookup is one index, and a walk in name order reads the
 * chunks in sequence (merging in the few far names, sorted). With entries allocated one by
 * one and an array of pointers, every walk missed the cache on every entry at 100,000 names
 * (issue 11, item 6; before that it was a hash over scattered entries and a qsort per
 * listing). Which name a new entry gets depends only on which keys are in the tree, so it is
 * the same as before. Allocation failure (N4) is the world's countdown, stepped once per new
 * entry as before.
 * "Lowest key not in the tree" is kept with a frontier (all keys below it are in the tree
 * except known holes) and a min-heap of holes, so allocation is O(log n) amortised instead of
 * a scan.
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

space_t *space_create(world_t *world, ktask_t *task)
{
    space_t *space = world_alloc(world, sizeof *space);
    space->is_active = true;
    space->is_task = task;
    space->is_world = world;
    space->is_frontier = 1; /* key 0 holds the placeholder (N2) */
    return space;
}

/* --- the holes heap: keys below the frontier that left the tree ------------------------ */

static void holes_push(space_t *space, mach_port_name_t key)
{
    if (space->is_nholes == space->is_holes_cap) {
        size_t cap = space->is_holes_cap ? space->is_holes_cap * 2 : 16;
        mach_port_name_t *h = model_realloc(space->is_holes, cap * sizeof *h);
        space->is_holes = h;
        space->is_holes_cap = cap;
    }
    size_t i = space->is_nholes++;
    while (i > 0 && space->is_holes[(i - 1) / 2] > key) {
        space->is_holes[i] = space->is_holes[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    space->is_holes[i] = key;
}

static mach_port_name_t holes_pop(space_t *space)
{
    mach_port_name_t top = space->is_holes[0];
    mach_port_name_t last = space->is_holes[--space->is_nholes];
    size_t i = 0, n = space->is_nholes;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && space->is_holes[c + 1] < space->is_holes[c])
            c++;
        if (space->is_holes[c] >= last)
            break;
        space->is_holes[i] = space->is_holes[c];
        i = c;
    }
    if (n > 0)
        space->is_holes[i] = last;
    return top;
}

/* --- entry maps: open addressing, linear probing, deletion by backward shift ------------ */

static size_t map_home(const entry_map_t *m, uintptr_t key)
{
    return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> m->em_shift);
}

static entry_t *map_find(const entry_map_t *m, uintptr_t key)
{
    if (m->em_count == 0)
        return NULL;
    size_t mask = m->em_cap - 1;
    for (size_t i = map_home(m, key);; i = (i + 1) & mask) {
        if (m->em_slots[i].key == key)
            return m->em_slots[i].entry;
        if (m->em_slots[i].key == 0)
            return NULL;
    }
}

static void map_put_new(entry_map_t *m, uintptr_t key, entry_t *entry)
{
    size_t mask = m->em_cap - 1, i = map_home(m, key);
    while (m->em_slots[i].key != 0)
        i = (i + 1) & mask;
    m->em_slots[i].key = key;
    m->em_slots[i].entry = entry;
    m->em_count++;
}

/* Adds key (not in the map). */
static void map_add(entry_map_t *m, uintptr_t key, entry_t *entry)
{
    if ((m->em_count + 1) * 4 > m->em_cap * 3) {
        entry_map_t g = {.em_cap = m->em_cap ? m->em_cap * 2 : 16};
        g.em_shift = 64;
        for (size_t c = g.em_cap; c > 1; c >>= 1)
            g.em_shift--;
        g.em_slots = model_zalloc(g.em_cap * sizeof *g.em_slots);
        for (size_t i = 0; i < m->em_cap; i++)
            if (m->em_slots[i].key != 0)
                map_put_new(&g, m->em_slots[i].key, m->em_slots[i].entry);
        model_free(m->em_slots);
        *m = g;
    }
    map_put_new(m, key, entry);
}

/* Removes key (in the map). */
static void map_remove(entry_map_t *m, uintptr_t key)
{
    size_t mask = m->em_cap - 1, i = map_home(m, key);
    while (m->em_slots[i].key != key)
        i = (i + 1) & mask;
    /* Backward shift: move later members of the probe run into the gap they may not skip. */
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (m->em_slots[j].key == 0)
            break;
        size_t home = map_home(m, m->em_slots[j].key);
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->em_slots[i] = m->em_slots[j];
            i = j;
        }
    }
    m->em_slots[i].key = 0;
    m->em_slots[i].entry = NULL;
    m->em_count--;
}

static void map_free(entry_map_t *m)
{
    model_free(m->em_slots);
    memset(m, 0, sizeof *m);
}

/* --- the tree: entries in chunks by name, far names by hash --------------------------------- */

#define CHUNK_SHIFT 5                   /* 32 entries a chunk */
#define CHUNK ((size_t)1 << CHUNK_SHIFT)
#define SLOTS_MIN 64
#define DENSE_MIN 1024

/* The entry under name if it is in the array's range, used or not; NULL if its chunk is not
 * there yet. */
static entry_t *table_slot(space_t *space, size_t name)
{
    if (name >= space->is_nslots)
        return NULL;
    entry_t *chunk = space->is_chunks[name >> CHUNK_SHIFT];
    return chunk != NULL ? &chunk[name & (CHUNK - 1)] : NULL;
}

static entry_t *table_find(space_t *space, mach_port_name_t name)
{
    entry_t *e = table_slot(space, name);
    if (e != NULL && e->ie_used)
        return e;
    return map_find(&space->is_far, name);
}

/* Names below this go in the array: it stays within about 4 slots per entry. */
static size_t dense_bound(const space_t *space)
{
    size_t bound = 4 * (space->is_count + 1);
    return bound < DENSE_MIN ? DENSE_MIN : bound;
}

/* Grows the array's range past name (the chunks come when a name in them does). Far entries
 * stay where they are: entries never move. */
static void table_grow(space_t *space, size_t name)
{
    size_t old = space->is_nslots, n = old ? old : SLOTS_MIN;
    while (n <= name)
        n *= 2;
    entry_t **v = model_realloc(space->is_chunks, (n >> CHUNK_SHIFT) * sizeof *v);
    memset(v + (old >> CHUNK_SHIFT), 0, ((n - old) >> CHUNK_SHIFT) * sizeof *v);
    space->is_chunks = v;
    space->is_nslots = n;
}

/* A new entry under name (not in the tree), zeroed but for its name. */
static entry_t *table_new(space_t *space, mach_port_name_t name)
{
    if (name >= space->is_nslots && name < dense_bound(space))
        table_grow(space, name);
    entry_t *entry;
    if (name < space->is_nslots) {
        entry_t **chunk = &space->is_chunks[name >> CHUNK_SHIFT];
        if (*chunk == NULL)
            *chunk = model_zalloc(CHUNK * sizeof **chunk);
        entry = &(*chunk)[name & (CHUNK - 1)];
        memset(entry, 0, sizeof *entry);
    } else {
        entry = model_zalloc(sizeof *entry);
        entry->ie_far = true;
        map_add(&space->is_far, name, entry);
    }
    entry->ie_used = true;
    entry->ie_name = name;
    space->is_count++;
    space->is_world->w_live++;  /* an object of the world, as world_alloc counts them */
    return entry;
}

/* The entry leaves the tree; its memory is not to be touched after. */
static void table_remove(space_t *space, entry_t *entry)
{
    if (entry->ie_far) {
        map_remove(&space->is_far, entry->ie_name);
        model_free(entry);
    } else {
        memset(entry, 0, sizeof *entry);
    }
    space->is_count--;
    space->is_world->w_live--;
}

static int name_cmp(const void *a, const void *b)
{
    mach_port_name_t x = (*(entry_t *const *)a)->ie_name, y = (*(entry_t *const *)b)->ie_name;
    return x < y ? -1 : x > y;
}

static bool walk_wants(const entry_t *e, bool in_use)
{
    return e->ie_used && (!in_use || e->ie_type != 0);
}

/*
 * space_walk: fn on each entry of the tree, ascending by name (the radix tree's walk order,
 * L2): all of them, or (in_use) those with a type. The array's chunks are read in order (the
 * entries lie in them by name, so a walk reads memory in sequence); the few far names are
 * sorted and merged in. fn must not add or remove entries.
 */
void space_walk(space_t *space, bool in_use, void (*fn)(entry_t *, void *), void *arg)
{
    const entry_map_t *fm = &space->is_far;
    entry_t **far = NULL;
    size_t nfar = 0, k = 0;
    if (fm->em_count > 0) {
        far = malloc(fm->em_count * sizeof *far);
        if (far == NULL)
            abort();
        for (size_t i = 0; i < fm->em_cap; i++)
            if (fm->em_slots[i].key != 0 && walk_wants(fm->em_slots[i].entry, in_use))
                far[nfar++] = fm->em_slots[i].entry;
        qsort(far, nfar, sizeof *far, name_cmp);
    }
    size_t nchunks = space->is_nslots >> CHUNK_SHIFT;
    for (size_t c = 0; c < nchunks; c++) {
        entry_t *chunk = space->is_chunks[c];
        if (chunk == NULL)
            continue;
        for (size_t i = 0; i < CHUNK; i++) {
            entry_t *e = &chunk[i];
            if (!walk_wants(e, in_use))
                continue;
            while (k < nfar && far[k]->ie_name < e->ie_name)
                fn(far[k++], arg);
            fn(e, arg);
        }
    }
    while (k < nfar)
        fn(far[k++], arg);
    free(far);
}

struct collect {
    entry_t **v;
    size_t n;
};

static void collect_one(entry_t *e, void *arg)
{
    struct collect *c = arg;
    c->v[c->n++] = e;
}

/*
 * space_entries: the entries of the tree, ascending by name (L2): all of them, or (in_use)
 * those with a type. Returns the count; *out is malloc'ed, NULL if 0.
 */
size_t space_entries(space_t *space, bool in_use, entry_t ***out)
{
    *out = NULL;
    if (space->is_count == 0)
        return 0;
    struct collect c = {malloc(space->is_count * sizeof *c.v), 0};
    if (c.v == NULL)
        abort();
    space_walk(space, in_use, collect_one, &c);
    if (c.n == 0) {
        free(c.v);
        return 0;
    }
    *out = c.v;
    return c.n;
}

/* The lowest key not in the tree (N3 step 2). */
static mach_port_name_t lowest_free_key(space_t *space)
{
    while (space->is_nholes > 0) {
        mach_port_name_t key = holes_pop(space);
        if (table_find(space, key) == NULL)
            return key;
        /* taken since by a caller-chosen name: a stale hole */
    }
    while (table_find(space, space->is_frontier) != NULL)
        space->is_frontier++;
    return space->is_frontier++;
}

/* --- entries --------------------------------------------------------------------------- */

/*
 * space_lookup: the entry in use under name, or NULL (unused, free-listed, or 0 and ~0,
 * which never hold a right: N2). Models ipc_entry_lookup.
 */
entry_t *space_lookup(space_t *space, mach_port_name_t name)
{
    if (name == MACH_PORT_NULL || name == MACH_PORT_DEAD)
        return NULL;
    entry_t *entry = table_find(space, name);
    if (entry == NULL || entry->ie_type == 0)
        return NULL;
    /* the space's world is the port's: the hook is tested before the port is read */
    if (space->is_world->w_touch_hook != NULL && IO_VALID(entry->ie_port))
        WORLD_TOUCH(space->is_world, NULL, entry->ie_port->ip_id);
    return entry;
}

static void free_list_remove(space_t *space, entry_t *entry)
{
    if (entry->ie_free_prev != NULL)
        entry->ie_free_prev->ie_free_next = entry->ie_free_next;
    else
        space->is_free_head = entry->ie_free_next;
    if (entry->ie_free_next != NULL)
        entry->ie_free_next->ie_free_prev = entry->ie_free_prev;
    entry->ie_free_next = entry->ie_free_prev = NULL;
    entry->ie_free = false;
    space->is_free_count--;
}

/*
 * space_entry_alloc: a new entry under a kernel-chosen name, type NONE, for the caller to fill.
 * Models ipc_entry_alloc; rule N3 (free list first, most recent first; else lowest free key).
 * Returns: KERN_SUCCESS         *entryp is the entry.
 *          KERN_INVALID_TASK    the space is dead (N4).
 *          KERN_RESOURCE_SHORTAGE  allocation failed (N4); nothing changed.
 * The caller must give the entry a type, or hand it back with space_entry_dealloc.
 */
kern_return_t space_entry_alloc(space_t *space, entry_t **entryp)
{
    if (!space->is_active)
        return KERN_INVALID_TASK;
    entry_t *entry = space->is_free_head;
    if (entry != NULL) {
        free_list_remove(space, entry);
        *entryp = entry;
        return KERN_SUCCESS;
    }
    if (!world_alloc_allowed(space->is_world))
        return KERN_RESOURCE_SHORTAGE;
    *entryp = table_new(space, lowest_free_key(space));
    return KERN_SUCCESS;
}

/*
 * space_entry_alloc_name: the entry under a caller-chosen name. Models ipc_entry_alloc_name.
 * Conditions: name is neither MACH_PORT_NULL nor MACH_PORT_DEAD (callers check: N2).
 * Returns: KERN_SUCCESS   *entryp is the entry: in use (type set: the caller decides what that
 *                         means), or new with type NONE (taken off the free list if it was
 *                         there, N3 step 4).
 *          KERN_INVALID_TASK, KERN_RESOURCE_SHORTAGE as for space_entry_alloc.
 */
kern_return_t space_entry_alloc_name(space_t *space, mach_port_name_t name, entry_t **entryp)
{
    if (!space->is_active)
        return KERN_INVALID_TASK;
    entry_t *entry = table_find(space, name);
    if (entry != NULL) {
        if (entry->ie_free)
            free_list_remove(space, entry);
        *entryp = entry;
        return KERN_SUCCESS;
    }
    if (!world_alloc_allowed(space->is_world))
        return KERN_RESOURCE_SHORTAGE;
    *entryp = table_new(space, name);
    return KERN_SUCCESS;
}

/*
 * space_entry_dealloc: frees the name. Models ipc_entry_dealloc; rule N3 steps 3 and 5.
 * Conditions: the entry holds nothing any more (its rights were released by the caller); it
 * may be a brand-new entry that a failed call hands back (N3 step 6).
 * The entry goes to the head of the free list, staying in the tree; with 64 already there it
 * leaves the tree and its key can come back only as the lowest free key.
 */
void space_entry_dealloc(space_t *space, entry_t *entry)
{
    if (entry->ie_in_rev)
        space_rev_remove(space, entry);
    entry->ie_type = 0;
    entry->ie_urefs = 0;
    entry->ie_port = NULL;
    entry->ie_pset = NULL;
    entry->ie_request = NULL;
    if (space->is_free_count < IS_FREE_LIST_SIZE_LIMIT) {
        entry->ie_free = true;
        entry->ie_free_prev = NULL;
        entry->ie_free_next = space->is_free_head;
        if (space->is_free_head != NULL)
            space->is_free_head->ie_free_prev = entry;
        space->is_free_head = entry;
        space->is_free_count++;
        return;
    }
    mach_port_name_t name = entry->ie_name;
    table_remove(space, entry);
    if (name < space->is_frontier)
        holes_push(space, name);
}

/* --- the reverse map (T3) ---------------------------------------------------------------- */

/* The reverse map of every space is kept on the ports: a port lists the entries filed under
 * it, at most one per space (T3: one name per port for send and receive rights), so a lookup
 * walks as many entries as spaces hold send or receive rights to the port, reading the port
 * the caller holds anyway. A hash by port address per space, as before, missed the cache on
 * nearly every lookup at 100,000 names (issue 11, item 6). */
entry_t *space_reverse(space_t *space, port_t *port)
{
    if (!IO_VALID(port))
        return NULL;
    for (entry_t *e = port->ip_rev_first; e != NULL; e = e->ie_rev_next)
        if (e->ie_rev_space == space)
            return e;
    return NULL;
}

void space_rev_add(space_t *space, entry_t *entry)
{
    if (entry->ie_in_rev)
        return;
    port_t *port = entry->ie_port;
    entry->ie_rev_key = port;
    entry->ie_rev_space = space;
    entry->ie_rev_next = port->ip_rev_first;
    port->ip_rev_first = entry;
    entry->ie_in_rev = true;
    space->is_nrev++;
}

void space_rev_remove(space_t *space, entry_t *entry)
{
    if (!entry->ie_in_rev)
        return;
    entry_t **pp = &entry->ie_rev_key->ip_rev_first;
    while (*pp != entry)
        pp = &(*pp)->ie_rev_next;
    *pp = entry->ie_rev_next;
    entry->ie_rev_next = NULL;
    entry->ie_rev_space = NULL;
    entry->ie_rev_key = NULL;
    entry->ie_in_rev = false;
    space->is_nrev--;
}

static void collect_rev(entry_t *e, void *arg)
{
    struct collect *c = arg;
    if (e->ie_in_rev)
        c->v[c->n++] = e;
}

size_t space_rev_entries(space_t *space, entry_t ***out)
{
    *out = NULL;
    if (space->is_nrev == 0 || space->is_count == 0)
        return 0;
    struct collect c = {malloc(space->is_count * sizeof *c.v), 0};
    if (c.v == NULL)
        abort();
    space_walk(space, false, collect_rev, &c);
    *out = c.v;
    return c.n;
}

/* --- listing ------------------------------------------------------------------------------ */

/*
 * space_names: names and types as mach_port_names reports them (L1-L3): every entry in use,
 * ascending; types with T6 flags; a send or send-once right to a dead port reported as
 * DEAD_NAME without flags and without converting the entry.
 * Returns the count; *names and *types are malloc'ed (NULL when 0).
 */
struct names_out {
    mach_port_name_t *names;
    mach_port_type_t *types;
    size_t n, max;
};

static void name_one(entry_t *e, void *arg)
{
    struct names_out *o = arg;
    if (o->n < o->max) {
        o->names[o->n] = e->ie_name;
        if (o->types == NULL)
            ;
        else if ((e->ie_type & MACH_PORT_TYPE_SEND_RIGHTS) &&
                 !(e->ie_type & MACH_PORT_TYPE_RECEIVE) && !e->ie_port->ip_active)
            o->types[o->n] = MACH_PORT_TYPE_DEAD_NAME;
        else
            o->types[o->n] = e->ie_type | (e->ie_request != NULL ? MACH_PORT_TYPE_DNREQUEST : 0);
    }
    o->n++;
}

size_t space_names(space_t *space, mach_port_name_t **names, mach_port_type_t **types)
{
    *names = NULL;
    *types = NULL;
    if (space->is_count == 0)
        return 0;
    struct names_out o = {malloc(space->is_count * sizeof *o.names),
                          malloc(space->is_count * sizeof *o.types), 0, space->is_count};
    if (o.names == NULL || o.types == NULL)
        abort();
    space_walk(space, true, name_one, &o);
    if (o.n == 0) {
        free(o.names);
        free(o.types);
        return 0;
    }
    *names = o.names;
    *types = o.types;
    return o.n;
}

/* The names in use, ascending (as space_names lists them), into out[0..max): the count. */
size_t space_list(space_t *space, mach_port_name_t *out, size_t max)
{
    struct names_out o = {out, NULL, 0, out != NULL ? max : 0};
    space_walk(space, true, name_one, &o);
    return o.n;
}

/*
 * space_destroy: K5 step 3 (ipc_space_destroy): the space becomes inactive, then every entry is
 * cleaned in ascending name order (right_clean: receive rights destroy their ports, send rights
 * lower srights, send-once rights notify, sets are destroyed, requests are cancelled), and the
 * table is freed. The space structure itself is freed too; the task's pointer is cleared by
 * the caller.
 */
void space_destroy(space_t *space)
{
    space->is_active = false;
    entry_t **v;
    size_t n = space_entries(space, true, &v);
    for (size_t i = 0; i < n; i++)
        right_clean(space, v[i]);
    free(v);
    n = space_entries(space, false, &v);
    for (size_t i = 0; i < n; i++) {
        entry_t *e = v[i];
        if (e->ie_in_rev)
            space_rev_remove(space, e);
        table_remove(space, e);
    }
    free(v);
    for (size_t c = 0; c < space->is_nslots >> CHUNK_SHIFT; c++)
        model_free(space->is_chunks[c]);
    model_free(space->is_chunks);
    map_free(&space->is_far);
    model_free(space->is_holes);
    world_free(space->is_world, space);
}

static void count_one(entry_t *e, void *arg)
{
    (void)e;
    ++*(size_t *)arg;
}

size_t space_count(ktask_t *task)
{
    space_t *space = task->tk_space;
    size_t n = 0;
    if (space != NULL)
        space_walk(space, true, count_one, &n);
    return n;
}

bool space_peek(ktask_t *task, mach_port_name_t name, name_info_t *info)
{
    if (task->tk_space == NULL)
        return false;
    entry_t *e = space_lookup(task->tk_space, name);
    if (e == NULL)
        return false;
    memset(info, 0, sizeof *info);
    info->type = e->ie_type;
    info->urefs = e->ie_urefs;
    if (IO_VALID(e->ie_port) && !(e->ie_type & MACH_PORT_TYPE_DEAD_NAME)) {
        info->port_id = e->ie_port->ip_id;
        info->dead = !e->ie_port->ip_active;
    }
    info->dnrequest = e->ie_request != NULL;
    return true;
}
