/*
 * space.c: name spaces and their entries.
 *
 * Models GNU Mach's ipc/ipc_space.c and ipc/ipc_entry.c (with kern/rdxtree.c as the table):
 * how names are chosen (rule N3: a LIFO free list of up to 64 freed entries that stay in the
 * tree, then the lowest key not in the tree, key 0 always taken), the placeholder at 0 (N2),
 * the reverse map that gives one name per port for send and receive rights (T3), and the
 * teardown of a space at task termination (K5 step 3).
 *
 * uthash stands in for the radix tree: lookups are O(1) on average. "Lowest key not in the
 * tree" is kept with a frontier (all keys below it are in the tree except known holes) and a
 * min-heap of holes, so allocation is O(log n) amortised instead of a scan.
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
        mach_port_name_t *h = realloc(space->is_holes, cap * sizeof *h);
        if (h == NULL)
            abort();
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

static entry_t *table_find(space_t *space, mach_port_name_t name)
{
    entry_t *entry;
    HASH_FIND(hh, space->is_table, &name, sizeof name, entry);
    return entry;
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
    HASH_ADD(hh, space->is_table, ie_name, sizeof entry->ie_name, entry);
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
    HASH_ADD(hh, space->is_table, ie_name, sizeof entry->ie_name, entry);
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
    HASH_DELETE(hh, space->is_table, entry);
    if (entry->ie_name < space->is_frontier)
        holes_push(space, entry->ie_name);
    world_free(space->is_world, entry);
}

/* --- the reverse map (T3) ---------------------------------------------------------------- */

entry_t *space_reverse(space_t *space, port_t *port)
{
    entry_t *entry;
    HASH_FIND(hh_rev, space->is_rev, &port, sizeof port, entry);
    return entry;
}

void space_rev_add(space_t *space, entry_t *entry)
{
    if (entry->ie_in_rev)
        return;
    HASH_ADD(hh_rev, space->is_rev, ie_port, sizeof entry->ie_port, entry);
    entry->ie_in_rev = true;
}

void space_rev_remove(space_t *space, entry_t *entry)
{
    if (!entry->ie_in_rev)
        return;
    HASH_DELETE(hh_rev, space->is_rev, entry);
    entry->ie_in_rev = false;
}

/* --- listing ------------------------------------------------------------------------------ */

static int name_cmp(const void *a, const void *b)
{
    mach_port_name_t x = (*(entry_t *const *)a)->ie_name, y = (*(entry_t *const *)b)->ie_name;
    return x < y ? -1 : x > y;
}

/* Entries in use, ascending by name (L2: the radix-tree walk order). malloc'ed; NULL if none. */
static entry_t **space_sorted(space_t *space, size_t *countp)
{
    size_t n = 0;
    entry_t *e, *tmp;
    HASH_ITER(hh, space->is_table, e, tmp)
        if (e->ie_type != 0)
            n++;
    *countp = n;
    if (n == 0)
        return NULL;
    entry_t **v = malloc(n * sizeof *v);
    if (v == NULL)
        abort();
    size_t i = 0;
    HASH_ITER(hh, space->is_table, e, tmp)
        if (e->ie_type != 0)
            v[i++] = e;
    qsort(v, n, sizeof *v, name_cmp);
    return v;
}

/*
 * space_names: names and types as mach_port_names reports them (L1-L3): every entry in use,
 * ascending; types with T6 flags; a send or send-once right to a dead port reported as
 * DEAD_NAME without flags and without converting the entry.
 * Returns the count; *names and *types are malloc'ed (NULL when 0).
 */
size_t space_names(space_t *space, mach_port_name_t **names, mach_port_type_t **types)
{
    size_t n;
    entry_t **v = space_sorted(space, &n);
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
    size_t n;
    entry_t **v = space_sorted(space, &n);
    for (size_t i = 0; i < n; i++)
        right_clean(space, v[i]);
    free(v);
    entry_t *e, *tmp;
    HASH_ITER(hh, space->is_table, e, tmp) {
        if (e->ie_in_rev)
            HASH_DELETE(hh_rev, space->is_rev, e);
        HASH_DELETE(hh, space->is_table, e);
        world_free(space->is_world, e);
    }
    free(space->is_holes);
    world_free(space->is_world, space);
}

size_t space_count(ktask_t *task)
{
    if (task->tk_space == NULL)
        return 0;
    size_t n = 0;
    entry_t *e, *tmp;
    HASH_ITER(hh, task->tk_space->is_table, e, tmp)
        if (e->ie_type != 0)
            n++;
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
