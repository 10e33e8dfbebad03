/*
 * model_int.h: the model's kernel objects and the functions the model files share.
 *
 * The layout follows GNU Mach's ipc/: a space (ipc_space) maps names to entries (ipc_entry);
 * an entry holds type bits, urefs and an object (a port or a port set); a port (ipc_port)
 * carries the counters of the rights that exist for it. Field prefixes follow Mach's
 * (ie_ entry, ip_ port, is_ space, ips_ port set, ikm_ message), so the model reads like its twin.
 *
 * Rights that are not in a space ("naked" rights: held by the kernel, carried in a message,
 * kept by a request) are a port pointer plus the knowledge of what kind they are; a dead right
 * is IO_DEAD. Each naked or named right holds one reference on its port (ip_references); a
 * port's memory is freed when its last reference goes, which for a dead port is when the last
 * entry naming it is converted or freed.
 */
#ifndef FORKSIM_MODEL_INT_H
#define FORKSIM_MODEL_INT_H

#include "model.h"

#include <uthash.h>

#define IO_DEAD ((port_t *)~(uintptr_t)0)
#define IO_VALID(p) ((p) != NULL && (p) != IO_DEAD)

#define UREFS_SEND_MAX (MACH_PORT_UREFS_MAX - 1) /* T4: room for the dead-name +1 */
#define IS_FREE_LIST_SIZE_LIMIT 64               /* N3 */
#define QLIMIT_DEFAULT MACH_PORT_QLIMIT_DEFAULT
#define QLIMIT_MAX MACH_PORT_QLIMIT_MAX

/* True when delta > 0 and urefs + delta wraps or exceeds the maximum (T4). */
#define UREFS_OVERFLOW(urefs, delta)                                              \
    ((delta) > 0 && ((uint32_t)(urefs) + (uint32_t)(delta) < (uint32_t)(urefs) || \
                     (uint32_t)(urefs) + (uint32_t)(delta) > MACH_PORT_UREFS_MAX))
#define UREFS_UNDERFLOW(urefs, delta) ((delta) < 0 && (uint32_t)(-(int64_t)(delta)) > (urefs))

typedef struct space space_t;
typedef struct entry entry_t;
typedef struct pset pset_t;
typedef struct kmsg kmsg_t;
typedef struct dnreq dnreq_t;

/* A dead-name request (ipc_port_dnrequest): registered on a port for (space, name), holding the
 * send-once right to notify. When the port dies the notification is sent and dr_notify becomes
 * NULL, but the entry keeps the request until its lazy conversion adds the +1 uref (D3). */
struct dnreq {
    port_t *dr_port;    /* the port it watches; NULL once fired */
    port_t *dr_notify;  /* send-once right; NULL once fired */
    space_t *dr_space;
    mach_port_name_t dr_name;
    bool dr_orphan;     /* its entry let go of it (R3 with a port-destroyed request) */
    dnreq_t *dr_next, *dr_prev; /* on dr_port's list */
};

/* A message queue: FIFO of kmsgs (ipc_kmsg_queue). */
typedef struct kmsg_queue {
    kmsg_t *head, *tail;
} kmsg_queue_t;

/* Threads waiting on a port or set, FIFO. */
typedef struct waitq {
    kthread_t *head, *tail;
} waitq_t;

/* ipc_port. Counters as in ipc/ipc_port.h. */
struct port {
    uint32_t ip_id;             /* serial, for traces and diagnostics; never reused */
    bool ip_active;
    unsigned ip_references;
    unsigned ip_srights, ip_sorights, ip_mscount, ip_seqno;
    unsigned ip_qlimit, ip_msgcount;
    unsigned ip_leaked_srights; /* send rights leaked into dead names by R3 (RECEIVE -1) */
    entry_t *ip_rev_first;      /* the entries filed under it in reverse maps (space.c); in
                                 * the first cache line with the counters a copyin reads */

    /* Where the receive right is: exactly one of these, or in transit (ikm rights), or dead. */
    space_t *ip_receiver;       /* the space holding the receive right, if any */
    mach_port_name_t ip_receiver_name;
    bool ip_kernel;             /* receive right held by the kernel (task and thread ports) */
    void *ip_kobject;           /* ktask_t* or kthread_t* when ip_kernel */
    enum { IKOT_NONE, IKOT_TASK, IKOT_THREAD, IKOT_HOST_PRIV } ip_kotype;

    pset_t *ip_pset;
    port_t *ip_pset_next, *ip_pset_prev; /* the set's members (storage: destroy is O(members)) */
    port_t *ip_nsrequest;       /* send-once right for no-senders */
    port_t *ip_pdrequest;       /* send-once right for port-destroyed */
    dnreq_t *ip_dnrequests;     /* list */
    kmsg_queue_t ip_messages;   /* queued here unless in a set */
    waitq_t ip_receivers;       /* threads blocked receiving on this port */
    waitq_t ip_blocked;         /* senders blocked on a full queue (M3) */

    world_t *ip_world;
};

/* ipc_pset. */
struct pset {
    uint32_t ips_id;
    bool ips_active;
    space_t *ips_space;
    mach_port_name_t ips_name;
    kmsg_queue_t ips_messages;
    waitq_t ips_receivers;
    world_t *ips_world;
    unsigned ips_members;       /* ports in the set */
    port_t *ips_first;          /* the members, linked by ip_pset_next (most recently added first) */
};

/* ipc_entry. */
struct entry {
    mach_port_name_t ie_name;
    mach_port_type_t ie_type;   /* MACH_PORT_TYPE_* bits; 0 for a free-listed entry */
    mach_port_urefs_t ie_urefs;
    bool ie_in_rev;             /* in the space's reverse map */
    bool ie_free;               /* on the free list (still in the tree) */
    bool ie_used;               /* in the tree (space.c: entries live in chunks by name) */
    bool ie_far;                /* a far name's, allocated alone (space.c) */
    port_t *ie_port;            /* for send, receive, send-once and not-yet-converted rights */
    pset_t *ie_pset;
    dnreq_t *ie_request;        /* dead-name request, live or fired */
    port_t *ie_rev_key;         /* the port it is filed under in the reverse map */
    /* The reverse map is kept on the ports (space.c): each port lists the entries that name
     * it in a reverse map, one per space at most (T3); these link that list. */
    entry_t *ie_rev_next;
    space_t *ie_rev_space;
    entry_t *ie_free_next, *ie_free_prev;
};

/* A map from a nonzero key (a name, a port's address) to an entry: open addressing with
 * linear probing, in one array (space.c). */
typedef struct entry_map {
    struct entry_map_slot {
        uintptr_t key;          /* 0: empty */
        entry_t *entry;
    } *em_slots;
    size_t em_cap, em_count;    /* em_cap a power of 2, or 0 */
    unsigned em_shift;          /* 64 - log2(em_cap) */
} entry_map_t;

/* ipc_space plus the name allocator of ipc/ipc_entry.c. */
struct space {
    bool is_active;
    ktask_t *is_task;
    world_t *is_world;
    /* The "radix tree" (space.c): names below is_nslots in is_chunks, the rest (far
     * caller-chosen names) in is_far. Free-listed entries are in it too. */
    entry_t **is_chunks;        /* is_nslots / 32 chunks of 32 entries by name, or NULL */
    size_t is_nslots;
    entry_map_t is_far;
    size_t is_count;            /* entries in the tree, in use or free-listed */
    size_t is_nrev;             /* entries in the reverse map (T3), filed on their ports */
    entry_t *is_free_head;      /* LIFO free list (N3) */
    unsigned is_free_count;
    /* Lowest free key: every key below is_frontier is in the tree except those in is_holes
     * (a min-heap, entries verified lazily); keys at or above it are probed. */
    mach_port_name_t is_frontier;
    mach_port_name_t *is_holes;
    size_t is_nholes, is_holes_cap;
};

/* A right held outside any space. */
typedef struct naked {
    port_t *port;               /* NULL, IO_DEAD or a port */
    mach_msg_type_name_t type;  /* MACH_MSG_TYPE_PORT_SEND / _SEND_ONCE / _RECEIVE */
} naked_t;

/* A right carried in a message body, with where its name goes when copied out. */
typedef struct kmsg_right {
    size_t kr_offset;           /* inline: byte offset of the name within the body;
                                 * out-of-line: the element's index in its array */
    size_t kr_type_offset;      /* byte offset of its type descriptor's first word */
    unsigned kr_ool;            /* 0 inline; else 1 + the index in ikm_ool of its array */
    naked_t kr_right;
} kmsg_right_t;

/* Out-of-line memory a message carries (GNU Mach: a vm_map_copy_t, or a kalloc'ed array of
 * port rights whose rights are in ikm_rights with kr_ool pointing here). */
typedef struct kmsg_ool {
    size_t ko_type_offset;      /* its item's descriptor */
    size_t ko_addr_offset;      /* where the data's address goes in the body */
    uint8_t *ko_data;           /* data: a copy of the sender's bytes; NULL for none or ports */
    size_t ko_len;              /* bytes as user space sees them (a port array: 4 per name) */
    size_t ko_page_offset;      /* the sender's address within its page (kept by copy-out) */
    bool ko_ports;
} kmsg_ool_t;

#define MK_PAGE_SIZE 4096u      /* i386 PAGE_SIZE */

/* ipc_kmsg: a message after copy-in. */
struct kmsg {
    kmsg_t *ikm_next;
    mach_msg_bits_t ikm_bits;           /* MACH_MSGH_BITS(remote carried type, local carried) */
    naked_t ikm_remote;                 /* destination right */
    naked_t ikm_local;                  /* reply right, or NULL */
    mach_msg_id_t ikm_id;
    mach_msg_size_t ikm_size;           /* header + body */
    uint8_t *ikm_body;                  /* the body after the header, names replaced by 0 */
    size_t ikm_body_len;
    kmsg_right_t *ikm_rights;
    unsigned ikm_nrights;
    kmsg_ool_t *ikm_ool;                /* out-of-line items, in body order */
    unsigned ikm_nool;
    bool ikm_kernel;                    /* generated by the kernel: never blocks (M3) */
    world_t *ikm_world;
};

struct kthread {
    uint32_t th_id;
    bool th_active;
    ktask_t *th_task;
    port_t *th_self;            /* ith_self: kernel-held receive right */
    port_t *th_sself;           /* ith_sself: naked send right (interposable) */
    port_t *th_exception;       /* naked send right or NULL */
    unsigned th_user_stop_count, th_suspend_count;
    bool th_must_stop;
    natural_t th_state[8][MK_MAX_STATE_WORDS]; /* one register set per registered flavor
                                                 * (index in w_flavors): H7 */
    int th_state_flavor;
    /* mach_msg wait (M3, M7): what it waits on and how to finish. */
    mk_wait_t th_wait;
    port_t *th_wait_port;       /* port blocked on (send or receive) */
    pset_t *th_wait_pset;       /* set blocked on (receive) */
    kthread_t *th_wait_next;    /* on a waitq */
    kmsg_t *th_handoff;         /* message handed to this receiver (M3, H5) */
    mach_msg_return_t th_wake_result; /* RCV_PORT_DIED and friends; 0 while waiting */
    kmsg_t *th_send_kmsg;       /* the copied-in message of a blocked send */
    mach_msg_header_t *th_msg;  /* user buffer of the blocked call */
    mach_msg_option_t th_option;
    mach_msg_size_t th_rcv_size;
    mach_port_name_t th_rcv_name;
    mach_msg_timeout_t th_timeout;
    void *th_user;
    kthread_t *th_next;         /* task's list, creation order */
};

struct ktask {
    uint32_t tk_id;
    bool tk_active;             /* false once termination starts (K5 step 0) */
    world_t *tk_world;
    space_t *tk_space;
    port_t *tk_self;            /* itk_self: kernel-held receive right */
    port_t *tk_sself;           /* itk_sself: naked send right (interposable) */
    port_t *tk_exception, *tk_bootstrap;
    port_t *tk_notify;          /* C2: is_notify, the compat notify port's send right */
    port_t *tk_registered[TASK_PORT_REGISTER_MAX];
    kthread_t *tk_threads;      /* creation order */
    unsigned tk_user_stop_count, tk_suspend_count;
    void *tk_user;
    ktask_t *tk_next;
};

struct world {
    world_config_t w_config;
    uint32_t w_next_port_id, w_next_task_id, w_next_thread_id;
    /* All ports, live or dead but referenced, by ip_id (serials; NULL once freed, and for the
     * ids port sets took). Walked by WORLD_FOR_PORTS, newest first. It was also a linked list
     * through the ports: walking that chased a pointer, and missed the cache, per port, and
     * unlinking a port touched two others (issue 11, item 6). */
    port_t **w_port_by_id;
    size_t w_port_by_id_cap;
    ktask_t *w_tasks;           /* all tasks, including terminated ones kept for their ids */
    size_t w_live;              /* model objects allocated (audit) */
    long w_fail_after, w_fail_count, w_failed;
    world_wake_fn w_wake_hook;
    void *w_wake_arg;
    world_touch_fn w_touch_hook;
    void *w_touch_arg;
    world_vm_t w_vm;            /* the tasks' memory, for out-of-line data (O1-O6) */
    world_hook_fn w_after_copyin;
    void *w_after_copyin_arg;
    struct { int flavor; mach_msg_type_number_t count; } w_flavors[8];
    unsigned w_nflavors;
    /* Ports whose death is pending: destroying a port can destroy messages carrying receive
     * rights; those deaths are queued here and run iteratively, not recursively. */
    port_t **w_dying;
    size_t w_ndying, w_dying_cap;
    world_counts_t w_counts;    /* world_get_counts */
    /* host.c: the host_priv port (kernel-held receive right, made on first use) and the port
     * register_new_task_notification registered (a naked send right, NULL for none). */
    port_t *w_host_priv;
    port_t *w_new_task_notify;
};

/* Every port of the world, newest first (descending ip_id): `WORLD_FOR_PORTS(world, p) {...}`. */
#define WORLD_FOR_PORTS(world, p)                                                    \
    for (size_t p##_i = (world)->w_port_by_id_cap; p##_i-- > 0;)                    \
        for (port_t *p = (world)->w_port_by_id[p##_i]; p != NULL; p = NULL)
/* The counting hooks of world_get_counts: a right of kind k (WORLD_RIGHT_*) made or destroyed
 * in port's world. */
#define RIGHT_MADE(port, k) ((port)->ip_world->w_counts.made[(k)]++)
#define RIGHT_DESTROYED(port, k) ((port)->ip_world->w_counts.destroyed[(k)]++)

/* world.c */
void *world_alloc(world_t *world, size_t size);          /* infallible (aborts on host OOM) */
void *world_alloc_fallible(world_t *world, size_t size); /* NULL under the countdown */
bool world_alloc_allowed(world_t *world);  /* the countdown's step: false for a failure */
void world_free(world_t *world, void *p);
/* The explorer's touch hook (world_set_touch_hook): a task, or a port by serial. */
#define WORLD_TOUCH(world, task, port_id)                                       \
    ((world)->w_touch_hook != NULL ? (world)->w_touch_hook((task), (port_id), (world)->w_touch_arg) \
                                   : (void)0)
space_t *mk_space_of_task_name(kthread_t *self, mach_port_name_t task, kern_return_t *kr);
ktask_t *mk_task_of_name(kthread_t *self, mach_port_name_t name, kern_return_t *kr);
/* The port a kernel RPC's request goes to (NULL with MACH_SEND_INVALID_DEST: no send right). */
port_t *mk_request_port(kthread_t *self, mach_port_name_t name, kern_return_t *kr);
kthread_t *mk_thread_of_name(kthread_t *self, mach_port_name_t name, kern_return_t *kr);

/* world.c: host memory for the model's objects and tables, as world_set_host_memory says
 * (model.h); abort when out of memory. Temporary arrays a call frees itself use malloc. */
void *model_zalloc(size_t n);
void *model_realloc(void *p, size_t n);
void model_free(void *p);

/* space.c (ipc_space, ipc_entry) */
space_t *space_create(world_t *world, ktask_t *task);
void space_destroy(space_t *space);        /* K5 step 3: cleans every entry */
entry_t *space_lookup(space_t *space, mach_port_name_t name); /* NULL if unused */
kern_return_t space_entry_alloc(space_t *space, entry_t **entryp);
kern_return_t space_entry_alloc_name(space_t *space, mach_port_name_t name, entry_t **entryp);
void space_entry_dealloc(space_t *space, entry_t *entry);
entry_t *space_reverse(space_t *space, port_t *port);
void space_rev_add(space_t *space, entry_t *entry);
void space_rev_remove(space_t *space, entry_t *entry);
size_t space_names(space_t *space, mach_port_name_t **names, mach_port_type_t **types);
/* The entries of the tree ascending by name, all or (in_use) those with a type: the count,
 * *out malloc'ed (NULL when 0). */
size_t space_entries(space_t *space, bool in_use, entry_t ***out);
/* fn on the same entries in the same order, without the array; fn adds and removes none. */
void space_walk(space_t *space, bool in_use, void (*fn)(entry_t *, void *), void *arg);
/* The names in use, ascending, into out[0..max): the count of them all. */
size_t space_list(space_t *space, mach_port_name_t *out, size_t max);
/* The entries of the reverse map, in no particular order: the count, *out malloc'ed. */
size_t space_rev_entries(space_t *space, entry_t ***out);

/* port.c (ipc_port, ipc_notify) */
port_t *port_alloc(world_t *world);        /* NULL under the countdown */
void port_reference(port_t *port);
void port_release(port_t *port);
void port_make_send(port_t *port);          /* mscount+1, srights+1, ref+1 */
void port_copy_send(port_t *port);          /* srights+1, ref+1 */
void port_make_send_once(port_t *port);     /* sorights+1, ref+1 */
port_t *port_copy_send_kernel(port_t *port); /* D4: NULL, IO_DEAD or a new naked send */
void port_release_send(port_t *port);       /* srights-1 (maybe no-senders), ref-1 */
void port_release_send_once(port_t *port);  /* D8 notification, ref-1 */
void port_release_naked(naked_t right);     /* by kind, tolerating NULL and IO_DEAD */
void port_destroy(port_t *port);            /* D1, D2 */
bool port_check_circularity(port_t *port, port_t *dest); /* receive right of port sent to dest */
void port_clear_receiver(port_t *port);     /* leaves its space or set: mscount, seqno 0 */
void port_dnrequest_unlink(dnreq_t *req);
void port_dnrequest_cancel(port_t *port, dnreq_t *req, mach_port_name_t name);
port_t *port_lookup_id(world_t *world, uint32_t port_id);
void port_dnrequest_free(world_t *world, dnreq_t *req);
void notify_port_deleted(port_t *notify, mach_port_name_t name);
void notify_dead_name(port_t *notify, mach_port_name_t name);
void notify_no_senders(port_t *notify, mach_port_mscount_t mscount);
void notify_send_once(port_t *notify);
void notify_port_destroyed(port_t *notify, port_t *right);

/* right.c (ipc_right) */
bool right_check(space_t *space, entry_t *entry);  /* R0/D3 lazy conversion */
mach_port_type_t right_info(space_t *space, entry_t *entry); /* type with T6 flags */
kern_return_t right_delta(space_t *space, entry_t *entry, mach_port_right_t right,
                          mach_port_delta_t delta);
kern_return_t right_dealloc(space_t *space, entry_t *entry);
void right_destroy(space_t *space, entry_t *entry);
void right_clean(space_t *space, entry_t *entry); /* space teardown */
kern_return_t right_copyin(space_t *space, mach_port_name_t name, mach_msg_type_name_t msgt,
                           bool allow_dead, naked_t *out);
kern_return_t right_copyout(space_t *space, naked_t right, bool overflow_ok,
                            mach_port_name_t *namep);
kern_return_t right_copyout_name(space_t *space, mach_port_name_t name, naked_t right);
kern_return_t right_rename(space_t *space, mach_port_name_t old_name, mach_port_name_t new_name);
mach_msg_type_name_t right_carried_type(mach_msg_type_name_t disposition);

/* pset.c (ipc_pset) */
pset_t *pset_alloc(world_t *world);
void pset_add(pset_t *pset, port_t *port);
void pset_remove(port_t *port);
void pset_destroy(pset_t *pset);

/* kmsg.c (ipc_kmsg, ipc_mqueue) */
kmsg_t *kmsg_alloc(world_t *world, size_t body_len);
void kmsg_destroy(kmsg_t *kmsg);                      /* releases every right (M8 step 3) */
void kmsg_send_kernel(kmsg_t *kmsg);                  /* enqueue, no qlimit (notifications) */

/* mach_port.c: a port item of a kernel RPC's request copied in from the caller's space (a null
 * or dead name travels as is); MACH_SEND_INVALID_TYPE or MACH_SEND_INVALID_RIGHT on failure. */
kern_return_t body_copyin(kthread_t *self, mach_port_name_t name, mach_msg_type_name_t disposition,
                          naked_t *out);

/* host.c: task_create's mach_notify_new_task (NT2), and the kernel's host rights at the end. */
#define MK_NEW_TASK_NOTIFY_ID 4400              /* task_notify.defs: subsystem 4400, routine 0 */
void new_task_notify(ktask_t *child, ktask_t *parent);
void host_release(world_t *world);
void mqueue_port_died(port_t *port);                  /* wake senders and receivers */
void mqueue_destroy_messages(port_t *port);
void mqueue_pset_changed(pset_t *pset, mach_msg_return_t why);
void mqueue_port_moved(port_t *port, mach_msg_return_t why);
void mqueue_move(kmsg_queue_t *from, kmsg_queue_t *to, port_t *only);
void mqueue_received(port_t *port);
void mqueue_qlimit_raised(port_t *port, unsigned old, unsigned new); /* wakes senders (M3) */
void mqueue_feed_receivers(kmsg_queue_t *q, waitq_t *receivers);    /* hands q to waiters */
void waitq_remove(waitq_t *q, kthread_t *thread);

/* task.c, thread.c */
mach_port_name_t mk_kernel_right_copyout(kthread_t *self, port_t *held); /* K2, K7: overflow ok */
kern_return_t mk_send_right_copyin(kthread_t *self, mach_port_name_t name,
                                   mach_msg_type_name_t type, naked_t *out); /* request arg */
void mk_slot_replace(port_t **slot, port_t *right);
void ktask_release_kernel_rights(ktask_t *task);

/* ports_register.c: a task's registered slots (PR7) at task_create and at termination */
void registered_ports_inherit(ktask_t *child, const ktask_t *parent);
int registered_ports_take(ktask_t *task, port_t **out);
void kthread_terminate_internal(kthread_t *thread);
void kthread_abort_wait(kthread_t *thread, bool timeout);

#endif /* FORKSIM_MODEL_INT_H */
