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
 * indexes arrays by the name's bits, and a walk visits names in ascending order. Ours is one
 * array indexed by the name (is_slots), for names below a bound that grows with the entries
 * (at most about 4 per entry, at least 1024): kernel-chosen names are the lowest free keys,
 * so they are all dense. A caller-chosen name past the bound (mach_port_allocate_name of
 * 0x7fff0000, say) goes in a hash instead (is_far), and moves into the array when the array
 * grows past it. So a lookup is one index, a walk in name order is one pass over the array
 * (plus the few far names, sorted), and the cost per name stays flat from 10 to 100,000 names
 * (issue 11; it was a hash over scattered entries and a qsort per listing). Which name a new
 * entry gets depends only on which keys are in the tree, so it is the same as before.
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

/* --- the tree: names by index, far names by hash --------------------------------------------- */

#define SLOTS_MIN 64
#define DENSE_MIN 1024

static entry_t *table_find(space_t *space, mach_port_name_t name)
{
    if (name < space->is_nslots)
        return space->is_slots[name];
    return map_find(&space->is_far, name);
}

/* Names below this go in the array: it stays within about 4 slots per entry. */
static size_t dense_bound(const space_t *space)
{
    size_t bound = 4 * (space->is_count + 1);
    return bound < DENSE_MIN ? DENSE_MIN : bound;
}

/* Grows the array past name; far entries that now fit move in. */
static void table_grow(space_t *space, size_t name)
{
    size_t old = space->is_nslots, n = old ? old : SLOTS_MIN;
    while (n <= name)
        n *= 2;
    entry_t **v = model_realloc(space->is_slots, n * sizeof *v);
    memset(v + old, 0, (n - old) * sizeof *v);
    space->is_slots = v;
    space->is_nslots = n;
    for (size_t i = 0; i < space->is_far.em_cap;) {
        struct entry_map_slot *sl = &space->is_far.em_slots[i];
        if (sl->key != 0 && sl->key < n) {
            v[sl->key] = sl->entry;
            map_remove(&space->is_far, sl->key);  /* may shift another into slot i */
        } else {
            i++;
        }
    }
}

static void table_add(space_t *space, entry_t *entry)
{
    mach_port_name_t name = entry->ie_name;
    if (name >= space->is_nslots && name < dense_bound(space))
        table_grow(space, name);
    if (name < space->is_nslots)
        space->is_slots[name] = entry;
    else
        map_add(&space->is_far, name, entry);
    space->is_count++;
}

static void table_remove(space_t *space, entry_t *entry)
{
    if (entry->ie_name < space->is_nslots)
        space->is_slots[entry->ie_name] = NULL;
    else
        map_remove(&space->is_far, entry->ie_name);
    space->is_count--;
}

static int name_cmp(const void *a, const void *b)
{
    mach_port_name_t x = (*(entry_t *const *)a)->ie_name, y = (*(entry_t *const *)b)->ie_name;
    return x < y ? -1 : x > y;
}

/*
 * space_entries: the entries of the tree, ascending by name (the radix tree's walk order, L2):
 * all of them, or (in_use) those with a type. Returns the count; *out is malloc'ed, NULL if 0.
 */
size_t space_entries(space_t *space, bool in_use, entry_t ***out)
{
    size_t n = 0, far = 0;
    for (size_t i = 0; i < space->is_nslots; i++)
        n += space->is_slots[i] != NULL && (!in_use || space->is_slots[i]->ie_type != 0);
    const entry_map_t *fm = &space->is_far;
    for (size_t i = 0; i < fm->em_cap; i++)
        far += fm->em_slots[i].key != 0 && (!in_use || fm->em_slots[i].entry->ie_type != 0);
    *out = NULL;
    if (n + far == 0)
        return 0;
    entry_t **v = malloc((n + far) * sizeof *v);
    if (v == NULL)
        abort();
    size_t k = 0;
    for (size_t i = 0; i < space->is_nslots; i++)
        if (space->is_slots[i] != NULL && (!in_use || space->is_slots[i]->ie_type != 0))
            v[k++] = space->is_slots[i];
    for (size_t i = 0; i < fm->em_cap; i++)
        if (fm->em_slots[i].key != 0 && (!in_use || fm->em_slots[i].entry->ie_type != 0))
            v[k++] = fm->em_slots[i].entry;
    /* far names are all past the array's: only they need sorting */
    qsort(v + n, far, sizeof *v, name_cmp);
    *out = v;
    return k;
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
    if (IO_VALID(entry->ie_port))
        WORLD_TOUCH(entry->ie_port->ip_world, NULL, entry->ie_port->ip_id);
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
    entry = world_alloc_fallible(space->is_world, sizeof *entry);
    if (entry == NULL)
        return KERN_RESOURCE_SHORTAGE;
    entry->ie_name = lowest_free_key(space);
    table_add(space, entry);
    *entryp = entry;
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
    entry = world_alloc_fallible(space->is_world, sizeof *entry);
    if (entry == NULL)
        return KERN_RESOURCE_SHORTAGE;
    entry->ie_name = name;
    table_add(space, entry);
    *entryp = entry;
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
    table_remove(space, entry);
    if (entry->ie_name < space->is_frontier)
        holes_push(space, entry->ie_name);
    world_free(space->is_world, entry);
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

size_t space_rev_entries(space_t *space, entry_t ***out)
{
    *out = NULL;
    if (space->is_nrev == 0)
        return 0;
    entry_t **all;
    size_t n = space_entries(space, false, &all), k = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i]->ie_in_rev)
            all[k++] = all[i];
    *out = all;
    return k;
}

/* --- listing ------------------------------------------------------------------------------ */

/*
 * space_names: names and types as mach_port_names reports them (L1-L3): every entry in use,
 * ascending; types with T6 flags; a send or send-once right to a dead port reported as
 * DEAD_NAME without flags and without converting the entry.
 * Returns the count; *names and *types are malloc'ed (NULL when 0).
 */
size_t space_names(space_t *space, mach_port_name_t **names, mach_port_type_t **types)
{
    entry_t **v;
    size_t n = space_entries(space, true, &v);
    *names = NULL;
    *types = NULL;
    if (n == 0)
        return 0;
    *names = malloc(n * sizeof **names);
    *types = malloc(n * sizeof **types);
    if (*names == NULL || *types == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        entry_t *e = v[i];
        (*names)[i] = e->ie_name;
        if ((e->ie_type & MACH_PORT_TYPE_SEND_RIGHTS) && !(e->ie_type & MACH_PORT_TYPE_RECEIVE) &&
            !e->ie_port->ip_active)
            (*types)[i] = MACH_PORT_TYPE_DEAD_NAME;
        else
            (*types)[i] = e->ie_type | (e->ie_request != NULL ? MACH_PORT_TYPE_DNREQUEST : 0);
    }
    free(v);
    return n;
}

/* The names in use, ascending (as space_names lists them), into out[0..max): the count. */
size_t space_list(space_t *space, mach_port_name_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < space->is_nslots; i++) {
        const entry_t *e = space->is_slots[i];
        if (e != NULL && e->ie_type != 0) {
            if (n < max)
                out[n] = (mach_port_name_t)i;
            n++;
        }
    }
    const entry_map_t *fm = &space->is_far;
    if (fm->em_count == 0)
        return n;
    entry_t **v = malloc(fm->em_count * sizeof *v);
    if (v == NULL)
        abort();
    size_t far = 0;
    for (size_t i = 0; i < fm->em_cap; i++)
        if (fm->em_slots[i].key != 0 && fm->em_slots[i].entry->ie_type != 0)
            v[far++] = fm->em_slots[i].entry;
    qsort(v, far, sizeof *v, name_cmp);
    for (size_t i = 0; i < far; i++, n++)
        if (n < max)
            out[n] = v[i]->ie_name;
    free(v);
    return n;
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
        world_free(space->is_world, e);
    }
    free(v);
    model_free(space->is_slots);
    map_free(&space->is_far);
    model_free(space->is_holes);
    world_free(space->is_world, space);
}

size_t space_count(ktask_t *task)
{
    space_t *space = task->tk_space;
    if (space == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < space->is_nslots; i++)
        n += space->is_slots[i] != NULL && space->is_slots[i]->ie_type != 0;
    for (size_t i = 0; i < space->is_far.em_cap; i++)
        n += space->is_far.em_slots[i].key != 0 && space->is_far.em_slots[i].entry->ie_type != 0;
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
