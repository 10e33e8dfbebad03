/*
 * task_copy_names.c: task_copy_names, a kernel call of forksim's own that copies a list of
 * names, with their rights and user references, from one task's name space into another's, in
 * one message (issue 13, item 5: a fork with fewer RPCs).
 *
 * It is not a GNU Mach routine. It exists only in a world made with world_config_t.copy_names
 * (`world fork-ours` in a scenario); in any other world its message id is unknown to the
 * kernel, which answers MIG_BAD_ID (rule M6) as GNU Mach's ipc_kobject_server does for an id
 * no subsystem serves. Each name is copied as a composition of what GNU Mach's own routines do
 * for it, so every state it leaves is one the spec's rules already describe:
 *  - a send right: ipc_right_copyin(COPY_SEND) from the source space (I1), then
 *    ipc_object_copyout_name into the target under the same name (mach_port_insert_right's
 *    routine, I2-I3), then the urefs set as mach_port_mod_refs(SEND, +n) would (R3);
 *  - a dead name: mach_port_allocate_name(DEAD_NAME) (A2), its urefs as mod_refs(DEAD_NAME, +n);
 *  - a receive right: mach_port_allocate_name(RECEIVE) (A2), and when the name also holds send
 *    rights, a MAKE_SEND right (ipc_port_make_send: mscount 1) inserted under it (I3) with the
 *    source's urefs;
 *  - a port set: mach_port_allocate_name(PORT_SET), then mach_port_move_member (M8) of each
 *    receive right the call made whose source port is a member of a set the call copied.
 * The rules (TC1-TC8, with their check orders) are in docs/fork-ours-rules.md; each id is in
 * tests/rules.txt and tests/test_copy_names.c asserts it.
 */
#include "model_int.h"

#include <stdlib.h>

/* A receive right the call made, and the source port it stands for: its set membership is
 * applied after every name is copied (TC6), so a set named after its members still gets them. */
typedef struct made_receive {
    port_t *src_port;
    port_t *dst_port;
} made_receive_t;

/* A port set the call made: the source set and the target's. */
typedef struct made_pset {
    pset_t *src_pset;
    pset_t *dst_pset;
} made_pset_t;

/* The source entry of a name, converted lazily first (D3); NULL when the name is unused. */
static entry_t *source_entry(space_t *src, mach_port_name_t name)
{
    entry_t *entry = space_lookup(src, name);
    if (entry == NULL || entry->ie_type == 0)
        return NULL;
    right_check(src, entry);
    return entry;
}

/* A dead name under `name` in dst with urefs references (A2, then R3's DEAD_NAME delta). */
static kern_return_t copy_dead_name(space_t *dst, mach_port_name_t name, mach_port_urefs_t urefs)
{
    entry_t *entry;
    kern_return_t kr = space_entry_alloc_name(dst, name, &entry);
    if (kr != KERN_SUCCESS)
        return kr;
    entry->ie_type = MACH_PORT_TYPE_DEAD_NAME;
    entry->ie_urefs = urefs;
    return KERN_SUCCESS;
}

/* A new receive right under `name` in dst; with urefs > 0 a send right to it under the same
 * name holding urefs references (A2, ipc_port_make_send, I3). */
static kern_return_t copy_receive(space_t *dst, mach_port_name_t name, mach_port_urefs_t urefs,
                                  port_t **made)
{
    port_t *port = port_alloc(dst->is_world);
    if (port == NULL)
        return KERN_RESOURCE_SHORTAGE;
    entry_t *entry;
    kern_return_t kr = space_entry_alloc_name(dst, name, &entry);
    if (kr != KERN_SUCCESS) {
        port_destroy(port);
        port_release(port);
        return kr;
    }
    entry->ie_type = MACH_PORT_TYPE_RECEIVE;
    entry->ie_port = port;
    entry->ie_urefs = 0;
    port->ip_receiver = dst;
    port->ip_receiver_name = name;
    space_rev_add(dst, entry);
    if (urefs > 0) {
        port_make_send(port);
        entry->ie_type |= MACH_PORT_TYPE_SEND;
        entry->ie_urefs = urefs;
    }
    *made = port;
    return KERN_SUCCESS;
}

/* A new empty port set under `name` in dst (A2). */
static kern_return_t copy_port_set(space_t *dst, mach_port_name_t name, pset_t **made)
{
    pset_t *pset = pset_alloc(dst->is_world);
    if (pset == NULL)
        return KERN_RESOURCE_SHORTAGE;
    entry_t *entry;
    kern_return_t kr = space_entry_alloc_name(dst, name, &entry);
    if (kr != KERN_SUCCESS) {
        world_free(dst->is_world, pset);
        return kr;
    }
    entry->ie_type = MACH_PORT_TYPE_PORT_SET;
    entry->ie_pset = pset;
    pset->ips_space = dst;
    pset->ips_name = name;
    *made = pset;
    return KERN_SUCCESS;
}

/* A send right to from's port under `name` in dst, with urefs references (I1 COPY_SEND, I2-I3,
 * R3); from's port dead: a dead name with those urefs (TC4). */
static kern_return_t copy_send(space_t *src, space_t *dst, mach_port_name_t name,
                               entry_t *from, mach_port_urefs_t urefs)
{
    if (from->ie_type & MACH_PORT_TYPE_DEAD_NAME)
        return copy_dead_name(dst, name, urefs);
    naked_t right;
    kern_return_t kr = right_copyin(src, from->ie_name, MACH_MSG_TYPE_COPY_SEND, true, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    if (right.port == IO_DEAD)
        return copy_dead_name(dst, name, urefs);
    kr = right_copyout_name(dst, name, right);
    if (kr != KERN_SUCCESS) {
        port_release_naked(right);
        return kr;
    }
    space_lookup(dst, name)->ie_urefs = urefs;
    return KERN_SUCCESS;
}

/* One name (TC2-TC5, in that order). */
static kern_return_t copy_one(space_t *src, space_t *dst, mach_port_name_t name,
                              mach_port_name_t source, made_receive_t *recv, made_pset_t *set)
{
    /* TC2 step 1 */
    if (!MACH_PORT_VALID(name) || source == MACH_PORT_DEAD)
        return KERN_INVALID_VALUE;
    /* step 2, with the lazy conversion of step 3 */
    entry_t *entry = source_entry(src, name);
    if (entry == NULL)
        return KERN_INVALID_NAME;
    mach_port_type_t type = entry->ie_type;
    entry_t *from = entry;
    /* step 4: another right's port under this name's urefs (TC4) */
    if (source != MACH_PORT_NULL && source != name) {
        if (!(type & MACH_PORT_TYPE_SEND) || (type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
        from = source_entry(src, source);
        if (from == NULL)
            return KERN_INVALID_NAME;
        if (!(from->ie_type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME)) ||
            (from->ie_type & MACH_PORT_TYPE_RECEIVE))
            return KERN_INVALID_RIGHT;
    }
    /* step 5: a send-once right has one use; only its receiver could make another (TC5) */
    if (type & MACH_PORT_TYPE_SEND_ONCE)
        return KERN_INVALID_RIGHT;
    /* step 6 */
    if (!dst->is_active)
        return KERN_INVALID_TASK;
    if (space_lookup(dst, name) != NULL)
        return KERN_NAME_EXISTS;
    /* step 7 */
    if (type & MACH_PORT_TYPE_RECEIVE) {
        recv->src_port = entry->ie_port;
        return copy_receive(dst, name, (type & MACH_PORT_TYPE_SEND) ? entry->ie_urefs : 0,
                            &recv->dst_port);
    }
    if (type & MACH_PORT_TYPE_PORT_SET) {
        set->src_pset = entry->ie_pset;
        return copy_port_set(dst, name, &set->dst_pset);
    }
    if (type & MACH_PORT_TYPE_SEND)
        return copy_send(src, dst, name, from, entry->ie_urefs);
    return copy_dead_name(dst, name, entry->ie_urefs);
}

kern_return_t mk_task_copy_names(kthread_t *self, mach_port_name_t src_task,
                                 mach_port_name_t dst_task, const mach_port_name_t *names,
                                 const mach_port_name_t *sources, mach_msg_type_number_t count,
                                 kern_return_t *results)
{
    /* TC1 steps 1-2: the request message (its destination, then the right it carries) */
    kern_return_t kr;
    ktask_t *src_tk = mk_task_of_name(self, src_task, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    naked_t dst_right;
    if (mk_send_right_copyin(self, dst_task, MACH_MSG_TYPE_COPY_SEND, &dst_right) != KERN_SUCCESS)
        return MACH_SEND_INVALID_RIGHT;
    world_t *world = self->th_task->tk_world;
    /* step 3: an id the kernel does not serve without the world option (M6) */
    if (!world->w_config.copy_names)
        kr = MIG_BAD_ID;
    /* steps 4-5: the two tasks */
    else if (src_tk == NULL || !src_tk->tk_active || !src_tk->tk_space->is_active)
        kr = KERN_INVALID_TASK;
    else if (!IO_VALID(dst_right.port) || !dst_right.port->ip_active ||
             dst_right.port->ip_kotype != IKOT_TASK ||
             !((ktask_t *)dst_right.port->ip_kobject)->tk_active)
        kr = KERN_INVALID_TASK;
    if (kr != KERN_SUCCESS) {
        port_release_naked(dst_right);
        return kr;
    }
    ktask_t *dst_tk = dst_right.port->ip_kobject;
    WORLD_TOUCH(world, src_tk, 0);
    WORLD_TOUCH(world, dst_tk, 0);
    space_t *src = src_tk->tk_space, *dst = dst_tk->tk_space;

    made_receive_t *recv = calloc(count + 1, sizeof *recv);
    made_pset_t *sets = calloc(count + 1, sizeof *sets);
    size_t nrecv = 0, nsets = 0;
    if (recv == NULL || sets == NULL)
        abort(); /* host memory, not the model's */
    /* TC2-TC5, name by name; one name's failure stops nothing (TC7) */
    for (mach_msg_type_number_t i = 0; i < count; i++) {
        made_receive_t r = {NULL, NULL};
        made_pset_t s = {NULL, NULL};
        results[i] = copy_one(src, dst, names[i], sources != NULL ? sources[i] : MACH_PORT_NULL,
                              &r, &s);
        if (results[i] == KERN_SUCCESS && r.dst_port != NULL)
            recv[nrecv++] = r;
        if (results[i] == KERN_SUCCESS && s.dst_pset != NULL)
            sets[nsets++] = s;
    }
    /* TC6: set membership once every name is there */
    for (size_t i = 0; i < nrecv; i++) {
        pset_t *member_of = recv[i].src_port->ip_pset;
        if (member_of == NULL)
            continue;
        for (size_t j = 0; j < nsets; j++)
            if (sets[j].src_pset == member_of) {
                pset_add(sets[j].dst_pset, recv[i].dst_port);
                break;
            }
    }
    free(recv);
    free(sets);
    port_release_naked(dst_right);
    return KERN_SUCCESS;
}
