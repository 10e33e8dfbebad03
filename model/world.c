/*
 * world.c: the container of one simulation's kernel objects, its allocation accounting and
 * test hooks, and the conversion of a request port name into the object it denotes.
 *
 * Stands in for what GNU Mach keeps in globals (the zones, the task list) and for MIG's
 * request-port conversions (kern/ipc_tt.c: convert_port_to_space, convert_port_to_task,
 * convert_port_to_thread). Keeping it all in a world_t lets tests run many independent
 * kernels in one process and audit that each leaves nothing behind.
 */
#include "model_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

world_t *world_create(const world_config_t *config)
{
    world_t *world = model_zalloc(sizeof *world);
    if (world == NULL)
        return NULL;
    if (config != NULL)
        world->w_config = *config;
    world->w_next_port_id = 1;
    world->w_next_task_id = 1;
    world->w_next_thread_id = 1;
    world->w_fail_after = -1;
    /* i386_THREAD_STATE: flavor 1, 17 registers (H7). */
    world_register_state_flavor(world, 1, 17);
    return world;
}

/* Freed model objects are kept for the next of their size, in free lists shared by every world
 * of the process: a simulated fork makes and frees hundreds of entries, ports and messages, and
 * malloc and free were a tenth of its time (issue 11, item 4). Each block keeps its size in a
 * header, so world_free files it without being told. Blocks of up to SLAB_MAX_CLASS grains (the
 * entries, ports, tasks, messages) are cut one after another from 64 KiB slabs and are never
 * given back: objects made together lie together, so a space of 100,000 names is walked
 * through memory in order, not through scattered malloc blocks, and the cost per name stays
 * flat (issue 11, item 6). Larger blocks come from calloc, a bounded number kept per size.
 * Under ASan there are no lists and no slabs: every block goes back to free(), where a use
 * after free is caught. The counts (w_live) are the same either way. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL 0
#endif
#endif
#ifndef POOL
#define POOL 1
#endif

#define POOL_GRAIN 16
#define POOL_CLASSES 512        /* blocks up to 8 KiB are kept (message bodies too) */
#define POOL_KEEP_BIG 16        /* blocks past the slabs' sizes kept per size, at most */
#define SLAB_MAX_CLASS 32       /* blocks up to 512 bytes come from slabs */
#define SLAB_SIZE (64 * 1024)

typedef union pool_hdr {
    size_t size;                /* the size asked for, rounded up to POOL_GRAIN */
    max_align_t align;
} pool_hdr;

typedef struct pool_free {
    struct pool_free *next;
} pool_free;

/* A slab: the next one in the list of all of them, then blocks. */
typedef union slab {
    union slab *next;
    max_align_t align;
} slab_t;

static struct {
    pool_free *head[POOL_CLASSES + 1];
    size_t n[POOL_CLASSES + 1];
    slab_t *slabs;              /* every slab, kept for the process's life */
    unsigned char *cut, *end;   /* the free part of the newest slab */
} pool;

/* A fresh block of `rounded` bytes (plus its header) cut from the newest slab. */
static pool_hdr *slab_cut(size_t rounded)
{
    size_t need = sizeof(pool_hdr) + rounded;
    if (pool.cut == NULL || (size_t)(pool.end - pool.cut) < need) {
        slab_t *s = malloc(SLAB_SIZE);
        if (s == NULL) {
            fprintf(stderr, "forksim: out of host memory\n");
            abort();
        }
        s->next = pool.slabs;
        pool.slabs = s;
        pool.cut = (unsigned char *)(s + 1);
        pool.end = (unsigned char *)s + SLAB_SIZE;
    }
    pool_hdr *h = (pool_hdr *)pool.cut;
    pool.cut += need;
    memset(h + 1, 0, rounded);
    return h;
}

/* Where the model's objects and tables live (world_set_host_memory): the host's heap, or the
 * kernel glue's world heap, whose worlds can then be snapshotted and restored as bytes. */
static struct {
    void *(*zalloc)(size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
} host_mem;

void world_set_host_memory(void *(*zalloc)(size_t), void *(*realloc_fn)(void *, size_t),
                           void (*free_fn)(void *))
{
    host_mem.zalloc = zalloc;
    host_mem.realloc = realloc_fn;
    host_mem.free = free_fn;
}

void *model_zalloc(size_t n)
{
    void *p = host_mem.zalloc != NULL ? host_mem.zalloc(n) : calloc(1, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "forksim: out of host memory\n");
        abort();
    }
    return p;
}

void *model_realloc(void *p, size_t n)
{
    void *q = host_mem.realloc != NULL ? host_mem.realloc(p, n) : realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "forksim: out of host memory\n");
        abort();
    }
    return q;
}

void model_free(void *p)
{
    if (host_mem.free != NULL)
        host_mem.free(p);
    else
        free(p);
}

void *world_alloc(world_t *world, size_t size)
{
    size_t rounded = (size + POOL_GRAIN - 1) / POOL_GRAIN * POOL_GRAIN;
    size_t cls = rounded / POOL_GRAIN;
    pool_hdr *h;
    if (host_mem.zalloc != NULL) {      /* the world heap: no pools of ours */
        h = model_zalloc(sizeof *h + rounded);
        h->size = rounded;
    } else if (POOL && cls <= POOL_CLASSES && pool.head[cls] != NULL) {
        pool_free *f = pool.head[cls];
        pool.head[cls] = f->next;
        pool.n[cls]--;
        h = (pool_hdr *)f - 1;
        memset(h + 1, 0, rounded);
    } else if (POOL && cls <= SLAB_MAX_CLASS) {
        h = slab_cut(rounded);
        h->size = rounded;
    } else {
        h = calloc(1, sizeof *h + rounded);
        if (h == NULL) {
            fprintf(stderr, "forksim: out of host memory\n");
            abort();
        }
        h->size = rounded;
    }
    world->w_live++;
    return h + 1;
}

/* Frees a block of world_alloc's (into its free list when there is room; a slab's always). */
static void pool_put(void *p)
{
    pool_hdr *h = (pool_hdr *)p - 1;
    size_t cls = h->size / POOL_GRAIN;
    if (host_mem.free != NULL) {
        host_mem.free(h);
        return;
    }
    if (POOL && cls <= POOL_CLASSES && (cls <= SLAB_MAX_CLASS || pool.n[cls] < POOL_KEEP_BIG)) {
        pool_free *f = p;
        f->next = pool.head[cls];
        pool.head[cls] = f;
        pool.n[cls]++;
        return;
    }
    free(h);
}

/* The countdown of world_fail_allocations: SQLite's faultsimStep, in one place. An object
 * allocated elsewhere (a space's entries live in chunks) steps it here all the same. */
bool world_alloc_allowed(world_t *world)
{
    if (world->w_fail_after >= 0) {
        if (world->w_fail_after == 0) {
            if (world->w_fail_count > 0) {
                world->w_fail_count--;
                world->w_failed++;
                if (world->w_fail_count == 0)
                    world->w_fail_after = -1;
                return false;
            }
            world->w_fail_after = -1;
        } else {
            world->w_fail_after--;
        }
    }
    return true;
}

void *world_alloc_fallible(world_t *world, size_t size)
{
    return world_alloc_allowed(world) ? world_alloc(world, size) : NULL;
}

void world_free(world_t *world, void *p)
{
    if (p == NULL)
        return;
    world->w_live--;
    pool_put(p);
}

void world_fail_allocations(world_t *world, long after, long count)
{
    world->w_fail_after = after;
    world->w_fail_count = count;
    world->w_failed = 0;
}

long world_failed_allocations(const world_t *world)
{
    return world->w_failed;
}

void world_set_vm(world_t *world, const world_vm_t *vm)
{
    if (vm != NULL)
        world->w_vm = *vm;
    else
        memset(&world->w_vm, 0, sizeof world->w_vm);
}

void world_set_after_copyin_hook(world_t *world, world_hook_fn fn, void *arg)
{
    world->w_after_copyin = fn;
    world->w_after_copyin_arg = arg;
}

void world_kill_space(ktask_t *task)
{
    task->tk_space->is_active = false;
}

size_t world_live_objects(const world_t *world)
{
    return world->w_live;
}

void world_get_counts(const world_t *world, world_counts_t *out)
{
    *out = world->w_counts;
}

void world_register_state_flavor(world_t *world, int flavor, mach_msg_type_number_t count)
{
    for (unsigned i = 0; i < world->w_nflavors; i++)
        if (world->w_flavors[i].flavor == flavor) {
            world->w_flavors[i].count = count;
            return;
        }
    if (world->w_nflavors < sizeof world->w_flavors / sizeof world->w_flavors[0] &&
        count <= MK_MAX_STATE_WORDS) {
        world->w_flavors[world->w_nflavors].flavor = flavor;
        world->w_flavors[world->w_nflavors].count = count;
        world->w_nflavors++;
    }
}

size_t world_destroy(world_t *world)
{
    if (world == NULL)
        return 0;
    host_release(world);
    /* Terminate every task still running; termination cleans spaces and kernel rights. */
    for (ktask_t *t = world->w_tasks; t != NULL; t = t->tk_next)
        if (t->tk_active) {
            kthread_t *any = t->tk_threads;
            (void)any;
            extern void ktask_terminate_internal(ktask_t *task);
            ktask_terminate_internal(t);
        }
    /* Tasks and threads stay allocated after termination (their ids name them in traces);
     * free them now. */
    ktask_t *t = world->w_tasks;
    while (t != NULL) {
        ktask_t *next = t->tk_next;
        kthread_t *th = t->tk_threads;
        while (th != NULL) {
            kthread_t *tn = th->th_next;
            world_free(world, th);
            th = tn;
        }
        world_free(world, t);
        t = next;
    }
    world->w_tasks = NULL;
    size_t leaked = world->w_live;
    /* Whatever leaked: free the ports so the host audit (ASan) points at the model, not here. */
    WORLD_FOR_PORTS(world, p)
        pool_put(p);
    model_free(world->w_port_by_id);
    model_free(world->w_dying);
    model_free(world);
    return leaked;
}

/*
 * Converts the request port `name` of the calling thread into what a kernel RPC sees.
 *
 * The request is a message whose destination is `name` with COPY_SEND (M10). A name that is
 * not a live send right in the caller's space fails the send: MACH_SEND_INVALID_DEST (M2
 * steps 3-5), with R0's conversion done. Otherwise the port is returned: the caller then
 * converts it (to a space, a task, a thread), a port of the wrong kind converting to NULL.
 */
port_t *mk_request_port(kthread_t *self, mach_port_name_t name, kern_return_t *kr)
{
    space_t *space = self->th_task->tk_space;
    *kr = MACH_SEND_INVALID_DEST;
    if (!space->is_active)
        return NULL;
    entry_t *entry = space_lookup(space, name);
    if (entry == NULL)
        return NULL;
    if (entry->ie_type & MACH_PORT_TYPE_SEND_RIGHTS)
        right_check(space, entry);
    if (!(entry->ie_type & MACH_PORT_TYPE_SEND))
        return NULL; /* dead name, receive-only, send-once (COPY_SEND needs SEND), port set */
    *kr = KERN_SUCCESS;
    return entry->ie_port;
}

/* convert_port_to_space: NULL space with KERN_INVALID_TASK for anything but a connected task
 * port. The space returned may be inactive ("dead space"): routines check that themselves,
 * at the point their rule says. */
space_t *mk_space_of_task_name(kthread_t *self, mach_port_name_t name, kern_return_t *kr)
{
    port_t *port = mk_request_port(self, name, kr);
    if (port == NULL)
        return NULL;
    if (!port->ip_active || port->ip_kotype != IKOT_TASK) {
        *kr = KERN_INVALID_TASK;
        return NULL;
    }
    ktask_t *task = port->ip_kobject;
    WORLD_TOUCH(task->tk_world, task, 0);
    return task->tk_space;
}

/* convert_port_to_task: NULL with KERN_SUCCESS in *kr when the port is valid but not a task's;
 * the routine then answers with its own null-task code. */
ktask_t *mk_task_of_name(kthread_t *self, mach_port_name_t name, kern_return_t *kr)
{
    port_t *port = mk_request_port(self, name, kr);
    if (port == NULL || !port->ip_active || port->ip_kotype != IKOT_TASK)
        return NULL;
    ktask_t *task = port->ip_kobject;
    WORLD_TOUCH(task->tk_world, task, 0);
    return task;
}

kthread_t *mk_thread_of_name(kthread_t *self, mach_port_name_t name, kern_return_t *kr)
{
    port_t *port = mk_request_port(self, name, kr);
    if (port == NULL || !port->ip_active || port->ip_kotype != IKOT_THREAD)
        return NULL;
    kthread_t *thread = port->ip_kobject;
    WORLD_TOUCH(thread->th_task->tk_world, thread->th_task, 0);
    return thread;
}

void world_set_touch_hook(world_t *world, world_touch_fn fn, void *arg)
{
    world->w_touch_hook = fn;
    world->w_touch_arg = arg;
}

void world_set_wake_hook(world_t *world, world_wake_fn fn, void *arg)
{
    world->w_wake_hook = fn;
    world->w_wake_arg = arg;
}

kern_return_t world_port_destroy(ktask_t *task, mach_port_name_t name)
{
    space_t *space = task->tk_space;
    if (space == NULL || !space->is_active)
        return KERN_INVALID_TASK;
    entry_t *entry = space_lookup(space, name);
    if (entry == NULL)
        return KERN_INVALID_NAME;
    right_destroy(space, entry);
    return KERN_SUCCESS;
}

kern_return_t mk_request_discard(kthread_t *self, mach_port_name_t name,
                                 mach_msg_type_name_t disposition)
{
    if (name == MACH_PORT_NULL || name == MACH_PORT_DEAD)
        return KERN_SUCCESS;
    space_t *space = self->th_task->tk_space;
    naked_t right;
    if (space == NULL || !space->is_active ||
        right_copyin(space, name, disposition, true, &right) != KERN_SUCCESS)
        return MACH_SEND_INVALID_RIGHT;
    port_release_naked(right);
    return KERN_SUCCESS;
}

kern_return_t world_port_mod_refs(ktask_t *task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta)
{
    space_t *space = task->tk_space;
    if (space == NULL || !space->is_active)
        return KERN_INVALID_TASK;
    if (right >= MACH_PORT_RIGHT_NUMBER)
        return KERN_INVALID_VALUE;
    entry_t *entry = space_lookup(space, name);
    if (entry == NULL)
        return KERN_INVALID_NAME;
    return right_delta(space, entry, right, delta);
}

kern_return_t world_port_deallocate(ktask_t *task, mach_port_name_t name)
{
    space_t *space = task->tk_space;
    if (space == NULL || !space->is_active)
        return KERN_INVALID_TASK;
    entry_t *entry = space_lookup(space, name);
    if (entry == NULL)
        return KERN_INVALID_NAME;
    return right_dealloc(space, entry);
}

size_t ktask_threads_list(ktask_t *task, kthread_t **out, size_t max)
{
    size_t n = 0;
    for (kthread_t *th = task->tk_threads; th != NULL; th = th->th_next)
        if (th->th_active) {
            if (n < max)
                out[n] = th;
            n++;
        }
    return n;
}

size_t ktask_names(ktask_t *task, mach_port_name_t *out, size_t max)
{
    if (task->tk_space == NULL)
        return 0;
    return space_list(task->tk_space, out, out != NULL ? max : 0);
}

bool port_owner(world_t *world, uint32_t port_id, port_owner_t *out)
{
    port_t *port = port_lookup_id(world, port_id);
    if (port == NULL)
        return false;
    memset(out, 0, sizeof *out);
    out->active = port->ip_active;
    if (port->ip_kotype == IKOT_TASK)
        out->kobject_task = port->ip_kobject;
    else if (port->ip_kotype == IKOT_THREAD)
        out->kobject_thread = port->ip_kobject;
    if (port->ip_receiver != NULL) {
        out->receiver = port->ip_receiver->is_task;
        out->receiver_name = port->ip_receiver_name;
    }
    return true;
}

kern_return_t world_insert_right(ktask_t *task, mach_port_name_t name, ktask_t *from,
                                 mach_port_name_t from_name, mach_msg_type_name_t disposition)
{
    if (from->tk_space == NULL || !from->tk_space->is_active)
        return KERN_INVALID_TASK;
    naked_t right;
    kern_return_t kr = right_copyin(from->tk_space, from_name, disposition, true, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task->tk_space == NULL)
        kr = KERN_INVALID_TASK;
    else if (!IO_VALID(right.port))
        kr = KERN_INVALID_CAPABILITY;
    else
        kr = right_copyout_name(task->tk_space, name, right);
    if (kr != KERN_SUCCESS)
        port_release_naked(right);
    return kr;
}

ktask_t *world_newest_task(world_t *world)
{
    ktask_t *newest = NULL;
    for (ktask_t *t = world->w_tasks; t != NULL; t = t->tk_next)
        if (t->tk_active)
            newest = t;
    return newest;
}
