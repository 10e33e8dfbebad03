/*
 * model.h: the Mach kernel model, as user space sees it.
 *
 * forksim models GNU Mach's port rights, name spaces, tasks, threads and messages as plain data
 * and rules, with no scheduling and no I/O. This header is the model's public interface: the
 * *user-level view*. Each mk_* call takes the calling thread, the names it passes in *its own*
 * space, and returns exactly what user space would see: a KERN_* code, or a MACH_SEND_* code
 * where the request message itself would fail before the kernel routine runs. The model does
 * the caller-side copy-in of rights carried in the request (spec I1) and the copy-out of rights
 * returned in the reply (X2, T5) itself; later layers (mock MIG stubs) only marshal, schedule
 * and trace around these calls and never touch entries.
 *
 * Rules cited below (N, T, A, L, R, I, X, D, K, C; M, H) are stated in docs/spec-rules.md, in
 * this project's words, each with the GNU Mach functions it comes from (the specification it
 * summarises, ../shared/spec/, is outside the repository). Each mk_* function names the GNU Mach routine
 * it stands in for. Where the spec is silent, the rule added is written down at that function
 * in the model source ("Added rule: ...").
 *
 * Kernel constants come from gnumach-dev's <mach/...> headers; only the kernel-internal
 * MACH_PORT_UREFS_MAX is ours. The rules forksim adds to the spec (V time, O out-of-line
 * memory, W message layouts) are in docs/mach-rules.md.
 *
 * Not modelled (docs/mach-rules.md says what happens instead): time inside the model (a
 * non-zero mach_msg timeout waits like none; the runtime's clock ends it, V1-V2); the bytes of
 * received out-of-line pages beyond the data, page protections and memory objects (O); a
 * reply right in a received header that finds no room in the receiver's name space is
 * MACH_PORT_NULL without MACH_RCV_HEADER_ERROR.
 */
#ifndef FORKSIM_MODEL_H
#define FORKSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/notify.h>
#include <mach/port.h>
#include <mach/mach_param.h>
#include <mach/task_special_ports.h>
#include <mach/thread_special_ports.h>

/* Kernel-internal in GNU Mach (ipc/port.h), so not in the installed headers (spec T4). */
#define MACH_PORT_UREFS_MAX 65535u

/* Not a Mach code: a mach_msg call that must wait (queue full, nothing to receive). The
 * thread is left blocked in the model; see mk_mach_msg_continue. */
#define MK_MSG_BLOCKED ((mach_msg_return_t)0x7ff00001)

typedef struct world world_t;
typedef struct ktask ktask_t;
typedef struct kthread kthread_t;
typedef struct port port_t;

/* ---------------------------------------------------------------------------------------- */
/* The world: every kernel object of one simulation.                                        */
/* ---------------------------------------------------------------------------------------- */

/* The message layout user space and the kernel agree on (docs/mach-rules.md W1-W3). */
typedef enum mk_msg_layout {
    /* Debian's gnumach-dev headers (2:1.8+git20221224, the i386 kernel's layout, read on amd64):
     * 4-byte type descriptors (12-byte long form), items 4-byte aligned, inline port rights as
     * 32-bit names, message sizes multiples of 4. The default. */
    MK_LAYOUT_DEBIAN = 0,
    /* Current GNU Mach built for x86_64 (include/mach/message.h, __LP64__): 8-byte descriptors
     * (the long form the same 8 bytes), items 8-byte aligned, inline port rights in 64-bit
     * slots, out-of-line port arrays of 32-bit names, message sizes multiples of 8. */
    MK_LAYOUT_X86_64,
} mk_msg_layout_t;

/* World settings, fixed at creation. */
typedef struct world_config {
    /* Reproduce the removed MACH_IPC_COMPAT task creation (rule C2): every new task starts with
     * a RECEIVE right for its notify port under a kernel-chosen name. Off by default. */
    bool ipc_compat;
    /* How messages are laid out (user messages, notifications, kernel replies). */
    mk_msg_layout_t msg_layout;
    /* forksim's own task_copy_names call (docs/fork-ours-rules.md, issue 13 item 5): off, its
     * message id is unknown to the kernel (MIG_BAD_ID, M6), as in GNU Mach. */
    bool copy_names;
} world_config_t;

/* Creates an empty world (no tasks). Returns NULL only if host memory runs out. */
world_t *world_create(const world_config_t *config);

/* Terminates every remaining task, drains every queue and frees the world.
 * Returns the number of model objects still allocated just before the final free (ports,
 * entries, messages, tasks, threads...): 0 for a clean run. Any other value is a leak in
 * the model; the world is freed regardless. */
size_t world_destroy(world_t *world);

/* Live model objects right now (the same count world_destroy audits). */
size_t world_live_objects(const world_t *world);

/* What the world has done since it was made, for forksim's cost accounting (issue 13, item
 * 2; rules CO3, CO4 of docs/cost-rules.md). Rights are counted as GNU Mach's port counters
 * count them (ipc/ipc_port.h): a receive right is made with its port and destroyed when the
 * port dies; a send right is made by ipc_port_make_send or ipc_port_copy_send (ip_srights + 1)
 * and destroyed when ip_srights goes down (released, or merged into a name that already held
 * one, I3); a send-once right the same with ip_sorights. kmsgs counts every message the model
 * carried (a request or reply to a server, a notification, a message to a kernel port and the
 * kernel's reply), notifications the kernel's notifications among them. */
enum { WORLD_RIGHT_RECEIVE, WORLD_RIGHT_SEND, WORLD_RIGHT_SEND_ONCE, WORLD_RIGHT_KINDS };
typedef struct world_counts {
    uint64_t made[WORLD_RIGHT_KINDS], destroyed[WORLD_RIGHT_KINDS];
    uint64_t kmsgs, notifications;
} world_counts_t;
void world_get_counts(const world_t *world, world_counts_t *out);

/* Hooks that tests need to reach rare codes. */

/* Allocation countdown (KERN_RESOURCE_SHORTAGE, spec N4): the fallible allocations (entries,
 * ports, port sets) succeed `after` more times, then the next `count` fail. after < 0 turns
 * the countdown off. Returns how many failed so far in this countdown. */
void world_fail_allocations(world_t *world, long after, long count);
long world_failed_allocations(const world_t *world);

/* Runs fn(world, arg) inside each mach_port_insert_right, after the carried right is copied in
 * and before the kernel routine runs (spec I2 step 7: "the port has died since copy-in").
 * NULL removes the hook. */
typedef void (*world_hook_fn)(world_t *world, void *arg);
void world_set_after_copyin_hook(world_t *world, world_hook_fn fn, void *arg);

/* Runs fn(thread, arg) whenever the model ends a thread's wait in mach_msg (a message or
 * queue space arrived, the port died, thread_abort): the runtime makes that thread runnable
 * and it calls mk_mach_msg_continue. The model itself never schedules. NULL removes it. */
typedef void (*world_wake_fn)(kthread_t *thread, void *arg);
void world_set_wake_hook(world_t *world, world_wake_fn fn, void *arg);

/* Runs fn(task, port_id, arg) as a kernel call reaches another task's state through its task
 * or thread port (task != NULL, port_id 0), or a port (task NULL, its serial): a name looked up
 * in a space, a message queued (then with the receiving space's task too). For the race
 * explorer's independence of steps (issue 10, item 1): two steps that reach no common task or
 * port commute. Not a rule of GNU Mach's: an observation. NULL removes it. */
typedef void (*world_touch_fn)(ktask_t *task, uint32_t port_id, void *arg);
void world_set_touch_hook(world_t *world, world_touch_fn fn, void *arg);

/* Another actor's doing, not an RPC of a simulated thread: destroys every right under name in
 * task's space, as mach_port_destroy from that task would (a server dropping a port, a fault
 * plan killing one). Returns KERN_SUCCESS, KERN_INVALID_NAME or KERN_INVALID_TASK. */
kern_return_t world_port_destroy(ktask_t *task, mach_port_name_t name);

/* mach_port_deallocate as `task` itself would call it, for the runtime (a reply lost by a
 * fault plan destroys the rights it carried). Returns as mk_mach_port_deallocate. */
kern_return_t world_port_deallocate(ktask_t *task, mach_port_name_t name);

/* mach_port_mod_refs as `task` itself would call it, for the runtime: a receive right that a
 * destroyed reply carried goes with mod_refs(RECEIVE, -1), so a send right merged under the
 * same name stays as a dead name (R3, D3). Returns as mk_mach_port_mod_refs. */
kern_return_t world_port_mod_refs(ktask_t *task, mach_port_name_t name, mach_port_right_t right,
                                  mach_port_delta_t delta);

/* Another actor's doing: puts into `task` under `name` a right made from `from`'s right
 * `from_name` with disposition `disposition` (COPY_SEND, MAKE_SEND, ...), as that actor's
 * mach_port_insert_right would (I1 copy-in from `from`, then I2-I4 into `task`). Returns what
 * mach_port_insert_right's routine returns (KERN_NAME_EXISTS, ...), or the copy-in's KERN_*
 * code. */
kern_return_t world_insert_right(ktask_t *task, mach_port_name_t name, ktask_t *from,
                                 mach_port_name_t from_name, mach_msg_type_name_t disposition);

/* The tasks' address spaces, for out-of-line memory in messages (docs/mach-rules.md O1-O6).
 * The model keeps no memory of its own: the runtime supplies these, addresses being the task's
 * own. Without them (world_set_vm never called) no address is readable and nothing can be
 * allocated: out-of-line data of length 0 is the only kind that travels. */
typedef struct world_vm {
    void *arg;
    /* Whether every byte of [addr, addr + len) is allocated and readable in task. */
    bool (*readable)(void *arg, ktask_t *task, uint64_t addr, size_t len);
    /* Copies them into buf (only after readable said yes). */
    void (*read)(void *arg, ktask_t *task, uint64_t addr, void *buf, size_t len);
    /* vm_deallocate of the pages holding [addr, addr + len) (vm_map_copyin with src_destroy).
     * Returns KERN_SUCCESS or KERN_INVALID_ADDRESS. */
    kern_return_t (*deallocate)(void *arg, ktask_t *task, uint64_t addr, size_t len);
    /* A new zeroed region anywhere in task (vm_allocate, vm_map_copyout), page-aligned, of
     * page_offset + len bytes; *addr is its start + page_offset. Returns KERN_SUCCESS,
     * KERN_NO_SPACE or KERN_RESOURCE_SHORTAGE. */
    kern_return_t (*allocate)(void *arg, ktask_t *task, size_t len, size_t page_offset,
                              uint64_t *addr);
    /* Copies buf to [addr, addr + len) of task (a region allocate gave). */
    void (*write)(void *arg, ktask_t *task, uint64_t addr, const void *buf, size_t len);
} world_vm_t;
void world_set_vm(world_t *world, const world_vm_t *vm);

/* The layout a world's messages use. */
mk_msg_layout_t world_msg_layout(const world_t *world);

/* The most recently created task still active, or NULL. */
ktask_t *world_newest_task(world_t *world);

/* What becomes of a right passed in a request whose routine fails (M11, I4): copies it in from
 * the caller's space with the given disposition (caller-side effects as I1) and destroys it.
 * NULL and MACH_PORT_DEAD do nothing. Returns KERN_SUCCESS or MACH_SEND_INVALID_RIGHT. */
kern_return_t mk_request_discard(kthread_t *self, mach_port_name_t name,
                                 mach_msg_type_name_t disposition);

/* The symbolic name of a KERN_*, MACH_SEND_*, MACH_RCV_* or MIG_* code ("KERN_SUCCESS"), or NULL
 * for a code the model does not know. */
const char *mk_return_name(kern_return_t code);

/* Deactivates the task's space without terminating the task, as in the window of task
 * termination after ipc_space_destroy: routines that reach the space see it dead (spec N4,
 * A2 step 4, I2 step 4). */
void world_kill_space(ktask_t *task);

/* ---------------------------------------------------------------------------------------- */
/* Creating the first tasks and threads (the kernel's own bootstrap, not an RPC).           */
/* ---------------------------------------------------------------------------------------- */

/* A new task with an empty space (plus the compat notify port with ipc_compat), no threads,
 * no special ports. parent may be NULL (a boot task); otherwise the child inherits the
 * parent's bootstrap, exception and registered ports as in K1. Returns NULL on host OOM. */
ktask_t *world_boot_task(world_t *world, ktask_t *parent);

/* A new thread in task, runnable (user_stop_count 0), for bootstrapping programs. */
kthread_t *world_boot_thread(ktask_t *task);

/* Gives `task` a send right to `target`'s task port under a kernel-chosen name (as a boot
 * loader or a server would hand it over), returning that name (merging as copy-out does). */
mach_port_name_t world_give_task_port(ktask_t *task, ktask_t *target);
/* A new send right to the host_priv port (made on first use) in task's space: what startup
 * gives proc in the Hurd (startup_procinit). MACH_PORT_NULL if it cannot be given. */
mach_port_name_t world_give_host_priv(ktask_t *task);

/* Inspection helpers for tests, traces and invariant checks. */
uint32_t ktask_id(const ktask_t *task);
uint32_t kthread_id(const kthread_t *thread);
ktask_t *kthread_task(const kthread_t *thread);
bool ktask_active(const ktask_t *task);
bool kthread_active(const kthread_t *thread);

/* The task's live threads in creation order: up to max into out; returns how many there are. */
size_t ktask_threads_list(ktask_t *task, kthread_t **out, size_t max);

/* The task or thread denoted by the send or receive right `name` in task's space, or NULL. */
ktask_t *ktask_by_name(ktask_t *task, mach_port_name_t name);
kthread_t *kthread_by_name(ktask_t *task, mach_port_name_t name);

/* What a name holds, read without side effects (no lazy conversion, unlike mach_port_type).
 * Returns false if the name is unused. port_id is the port's serial (0 for dead names and
 * port sets), dead tells whether the port has died (entry not yet converted). */
typedef struct name_info {
    mach_port_type_t type;      /* MACH_PORT_TYPE_* bits, without request flags */
    mach_port_urefs_t urefs;
    uint32_t port_id;
    bool dead;                  /* the port it names has died; the entry is not yet converted */
    bool dnrequest;
} name_info_t;
bool space_peek(ktask_t *task, mach_port_name_t name, name_info_t *info);

/* Port serials and counters for tests. port_id 0 is never used. */
typedef struct port_info {
    uint32_t id;
    bool active;
    unsigned srights, sorights, mscount, seqno, qlimit, msgcount;
    bool has_nsrequest, has_pdrequest;
    unsigned dnrequests;
} port_info_t;
bool port_peek(world_t *world, uint32_t port_id, port_info_t *info);

/* Where every world's objects and tables are allocated from now on (the kernel glue's world
 * heap, so that a world can be snapshotted as bytes); NULLs for the host's malloc. Set it with
 * no world alive. zalloc returns zeroed memory. */
void world_set_host_memory(void *(*zalloc)(size_t), void *(*realloc_fn)(void *, size_t),
                           void (*free_fn)(void *));

/* The task's names in ascending order (mach_port_names' order, without side effects): up to
 * max into out; returns how many there are. */
size_t ktask_names(ktask_t *task, mach_port_name_t *out, size_t max);

/* Who a port belongs to, for traces and summaries: the task or thread whose kernel port it is,
 * or the task and name holding its receive right (NULL, MACH_PORT_NULL when in transit, held
 * by the kernel, or dead). Returns false for an unknown port id. */
typedef struct port_owner {
    bool active;
    ktask_t *kobject_task;      /* a task's kernel port */
    kthread_t *kobject_thread;  /* a thread's kernel port */
    ktask_t *receiver;          /* the task holding the receive right */
    mach_port_name_t receiver_name;
} port_owner_t;
bool port_owner(world_t *world, uint32_t port_id, port_owner_t *out);

/* Number of names (type not NONE) in the task's space. */
size_t space_count(ktask_t *task);

/* ---------------------------------------------------------------------------------------- */
/* mach_port_* (GNU Mach ipc/mach_port.c). The request goes to the task port named `task` in */
/* the caller's space: a name that is not a live send right there fails the send with        */
/* MACH_SEND_INVALID_DEST; a right to anything but an active task's port gives               */
/* KERN_INVALID_TASK.                                                                        */
/* ---------------------------------------------------------------------------------------- */

/* mach_port_allocate: models mach_port_allocate; rules A1, N3, N4.
 * Conditions: right is RECEIVE, PORT_SET or DEAD_NAME.
 * Returns: KERN_SUCCESS        *name is a new name (N3) holding the new right.
 *          KERN_INVALID_VALUE  any other right.
 *          KERN_INVALID_TASK   dead space.
 *          KERN_RESOURCE_SHORTAGE  out of memory (allocation countdown). */
kern_return_t mk_mach_port_allocate(kthread_t *self, mach_port_name_t task,
                                    mach_port_right_t right, mach_port_name_t *name);

/* mach_port_allocate_name: models mach_port_allocate_name; rule A2 (checks in that order).
 * Returns: KERN_SUCCESS, KERN_INVALID_TASK, KERN_INVALID_VALUE (bad name, then bad right),
 *          KERN_NAME_EXISTS (the name holds any right), KERN_RESOURCE_SHORTAGE. */
kern_return_t mk_mach_port_allocate_name(kthread_t *self, mach_port_name_t task,
                                         mach_port_right_t right, mach_port_name_t name);

/* mach_reply_port trap: models kern/ipc_tt.c mach_reply_port; rule A3.
 * Returns a new RECEIVE right's name in the caller's space, or MACH_PORT_NULL on failure. */
mach_port_name_t mk_mach_reply_port(kthread_t *self);

/* mach_port_names: models mach_port_names; rules L1-L4.
 * On success *names and *types are arrays of *count elements, ascending by name, allocated
 * with malloc (the caller frees them; the runtime's stub copies them into the task's image);
 * both NULL when *count is 0. Returns KERN_SUCCESS or KERN_INVALID_TASK. */
kern_return_t mk_mach_port_names(kthread_t *self, mach_port_name_t task,
                                 mach_port_name_t **names, mach_port_type_t **types,
                                 mach_msg_type_number_t *count);

/* mach_port_type: models mach_port_type (ipc_right_info); rules R1, R0, T6.
 * Returns KERN_SUCCESS, KERN_INVALID_TASK, KERN_INVALID_NAME. */
kern_return_t mk_mach_port_type(kthread_t *self, mach_port_name_t task,
                                mach_port_name_t name, mach_port_type_t *type);

/* mach_port_get_refs: models mach_port_get_refs; rule R2.
 * Returns KERN_SUCCESS (*refs 0 if the name lacks that right), KERN_INVALID_VALUE (right >= 5,
 * checked before the name), KERN_INVALID_NAME, KERN_INVALID_TASK. */
kern_return_t mk_mach_port_get_refs(kthread_t *self, mach_port_name_t task,
                                    mach_port_name_t name, mach_port_right_t right,
                                    mach_port_urefs_t *refs);

/* mach_port_mod_refs: models mach_port_mod_refs / ipc_right_delta; rule R3 (check order per
 * right kind), R0, D3 (lazy conversion after the delta checks for SEND and SEND_ONCE).
 * Returns KERN_SUCCESS, KERN_INVALID_VALUE, KERN_INVALID_NAME, KERN_INVALID_RIGHT,
 *         KERN_UREFS_OVERFLOW, KERN_INVALID_TASK. Conversions done before an error stay. */
kern_return_t mk_mach_port_mod_refs(kthread_t *self, mach_port_name_t task,
                                    mach_port_name_t name, mach_port_right_t right,
                                    mach_port_delta_t delta);

/* mach_port_deallocate: models mach_port_deallocate / ipc_right_dealloc; rule R4.
 * Returns KERN_SUCCESS, KERN_INVALID_NAME, KERN_INVALID_RIGHT (receive-only or port set),
 *         KERN_INVALID_TASK. */
kern_return_t mk_mach_port_deallocate(kthread_t *self, mach_port_name_t task,
                                      mach_port_name_t name);

/* mach_port_destroy: models mach_port_destroy / ipc_right_destroy; rule R5.
 * Returns KERN_SUCCESS for any name in use, KERN_INVALID_NAME, KERN_INVALID_TASK. */
kern_return_t mk_mach_port_destroy(kthread_t *self, mach_port_name_t task,
                                   mach_port_name_t name);

/* mach_port_rename: models mach_port_rename / ipc_object_rename; rules A4, N3 step 6.
 * Returns KERN_SUCCESS, KERN_INVALID_VALUE (bad new name), KERN_NAME_EXISTS (new in use, checked
 * before old), KERN_INVALID_NAME (old unused or old == new), KERN_INVALID_TASK,
 *         KERN_RESOURCE_SHORTAGE. */
kern_return_t mk_mach_port_rename(kthread_t *self, mach_port_name_t task,
                                  mach_port_name_t old_name, mach_port_name_t new_name);

/* mach_port_move_member: models mach_port_move_member (ipc/ipc_pset.c); rule M8.
 * after == MACH_PORT_NULL removes member from its set.
 * Returns KERN_SUCCESS, KERN_INVALID_TASK, KERN_INVALID_NAME, KERN_INVALID_RIGHT (member not a
 *         receive right, after not a port set), KERN_NOT_IN_SET (removing a port in no set). */
kern_return_t mk_mach_port_move_member(kthread_t *self, mach_port_name_t task,
                                       mach_port_name_t member, mach_port_name_t after);

/* mach_port_request_notification: models mach_port_request_notification; rules D5 (amended
 * 2026-12-05), D7, D1.
 * Conditions: notify is passed with disposition notify_type (MAKE_SEND_ONCE or MOVE_SEND_ONCE),
 * copied in from the caller's space (I1); *previous receives the previous request's send-once
 * right, copied out into the caller (MACH_PORT_NULL if none). id: MACH_NOTIFY_DEAD_NAME (name:
 * send, send-once or receive), MACH_NOTIFY_NO_SENDERS or MACH_NOTIFY_PORT_DESTROYED (name:
 * receive right).
 * Returns, checked in this order as GNU Mach does:
 *   MACH_SEND_INVALID_RIGHT   notify cannot be copied in;
 *   KERN_INVALID_TASK         the task is null;
 *   KERN_INVALID_CAPABILITY   notify is DEAD: for every id, unknown ids included, before the
 *                             id, sync or the name is looked at (D5);
 *   KERN_INVALID_VALUE        an unknown id; a port-destroyed request with sync != 0;
 *   KERN_INVALID_NAME, KERN_INVALID_RIGHT   the name, for the id;
 *   KERN_INVALID_ARGUMENT     a dead-name request on a dead name without sync or notify;
 *   KERN_UREFS_OVERFLOW       the dead name's urefs at the limit;
 *   KERN_SUCCESS. */
kern_return_t mk_mach_port_request_notification(kthread_t *self, mach_port_name_t task,
                                                mach_port_name_t name, mach_msg_id_t id,
                                                mach_port_mscount_t sync,
                                                mach_port_name_t notify,
                                                mach_msg_type_name_t notify_type,
                                                mach_port_name_t *previous);

/* mach_port_insert_right: models mach_port_insert_right / ipc_object_copyout_name; rules I1-I4.
 * poly is a right of the caller's, sent with disposition poly_type.
 * Returns: MACH_SEND_INVALID_DEST (task name), MACH_SEND_INVALID_RIGHT (poly cannot be copied in),
 *          then in I2's order KERN_INVALID_TASK, KERN_INVALID_VALUE, KERN_INVALID_CAPABILITY,
 *          KERN_INVALID_TASK / KERN_RESOURCE_SHORTAGE, KERN_RIGHT_EXISTS, KERN_UREFS_OVERFLOW
 *          (merge at 65534), KERN_NAME_EXISTS, KERN_INVALID_CAPABILITY (died since copy-in).
 *          On any KERN_* failure the carried right is destroyed (I4). */
kern_return_t mk_mach_port_insert_right(kthread_t *self, mach_port_name_t task,
                                        mach_port_name_t name, mach_port_name_t poly,
                                        mach_msg_type_name_t poly_type);

/* mach_port_extract_right: models mach_port_extract_right; rules X1, X2.
 * On success *poly is the right's name in the caller's space (copy-out with overflow allowed),
 * MACH_PORT_DEAD for a dead right, and *poly_type its carried type.
 * Returns KERN_SUCCESS, KERN_INVALID_TASK, KERN_INVALID_VALUE, KERN_INVALID_NAME,
 *         KERN_INVALID_RIGHT. */
kern_return_t mk_mach_port_extract_right(kthread_t *self, mach_port_name_t task,
                                         mach_port_name_t name, mach_msg_type_name_t desired,
                                         mach_port_name_t *poly, mach_msg_type_name_t *poly_type);

/* mach_port_set_qlimit (M3) and mach_port_set_mscount (D6).
 * Returns KERN_SUCCESS, KERN_INVALID_TASK, KERN_INVALID_VALUE (qlimit > 16),
 *         KERN_INVALID_NAME, KERN_INVALID_RIGHT. */
kern_return_t mk_mach_port_set_qlimit(kthread_t *self, mach_port_name_t task,
                                      mach_port_name_t name, mach_port_msgcount_t qlimit);
kern_return_t mk_mach_port_set_mscount(kthread_t *self, mach_port_name_t task,
                                       mach_port_name_t name, mach_port_mscount_t mscount);

/* The four trap shortcuts (kern/ipc_mig.c syscall_mach_port_*; rule K8): the same routines,
 * but a task name that does not resolve gives MACH_SEND_INTERRUPTED, and the insert-right trap
 * copies the right in itself: a bad disposition gives KERN_INVALID_VALUE and a failed copy-in
 * its KERN_* code, with the copied right destroyed on failure. */
kern_return_t mk_trap_mach_port_allocate(kthread_t *self, mach_port_name_t task,
                                         mach_port_right_t right, mach_port_name_t *name);
kern_return_t mk_trap_mach_port_deallocate(kthread_t *self, mach_port_name_t task,
                                           mach_port_name_t name);
kern_return_t mk_trap_mach_port_insert_right(kthread_t *self, mach_port_name_t task,
                                             mach_port_name_t name, mach_port_name_t poly,
                                             mach_msg_type_name_t poly_type);
kern_return_t mk_trap_mach_port_allocate_name(kthread_t *self, mach_port_name_t task,
                                              mach_port_right_t right, mach_port_name_t name);

/* ---------------------------------------------------------------------------------------- */
/* Tasks (GNU Mach kern/task.c, kern/ipc_tt.c). The request port is `task` or `thread` in    */
/* the caller's space, as for mach_port_*.                                                   */
/* ---------------------------------------------------------------------------------------- */

/* mach_task_self / mach_thread_self traps: rule K2. A uref per call, pegged at 65534.
 * Returns the name, MACH_PORT_NULL (no self port, copy-out failed) or MACH_PORT_DEAD. */
mach_port_name_t mk_mach_task_self(kthread_t *self);
mach_port_name_t mk_mach_thread_self(kthread_t *self);

/* task_create: rules K1, NT2. *child names a new send right to the child's task port; with a
 * port registered by register_new_task_notification, mach_notify_new_task (id 4400) carrying
 * new send rights to the child's and the parent's task ports is sent to it first.
 * Returns KERN_SUCCESS, KERN_INVALID_TASK (parent is not a task), KERN_RESOURCE_SHORTAGE.
 * The caller (runtime) copies the memory image when inherit_memory is set. */
kern_return_t mk_task_create(kthread_t *self, mach_port_name_t parent, boolean_t inherit_memory,
                             mach_port_name_t *child);

/* task_terminate: rule K5 (order 0-4). Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT (not a task),
 * KERN_FAILURE (already terminating). Terminating the caller's own task kills the caller too. */
kern_return_t mk_task_terminate(kthread_t *self, mach_port_name_t task);

/* register_new_task_notification (gnumach.defs): rule NT1. The request goes to host_priv;
 * notify is a right of the caller's, copied in as notify_type says (mach_port_send_t).
 * Returns KERN_SUCCESS, MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_RIGHT, MACH_SEND_INVALID_TYPE,
 * KERN_INVALID_HOST (not the host_priv port), KERN_NO_ACCESS (registered already),
 * KERN_INVALID_VALUE (not a send right): model/host.c says what each leaves behind. */
kern_return_t mk_register_new_task_notification(kthread_t *self, mach_port_name_t host_priv,
                                                mach_port_name_t notify,
                                                mach_msg_type_name_t notify_type);

/* task_threads: rules K4, H9. *threads (malloc'ed, caller frees) holds one name per thread,
 * in creation order, each a new send right merged into the caller's space.
 * Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT, KERN_FAILURE. */
kern_return_t mk_task_threads(kthread_t *self, mach_port_name_t task,
                              mach_port_name_t **threads, mach_msg_type_number_t *count);

/* task_suspend / task_resume: rule H4. Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT, KERN_FAILURE. */
kern_return_t mk_task_suspend(kthread_t *self, mach_port_name_t task);
kern_return_t mk_task_resume(kthread_t *self, mach_port_name_t task);

/* task_get_special_port / task_set_special_port: rule K7. set consumes `port` (passed as
 * COPY_SEND or MOVE_SEND per port_type; MACH_PORT_NULL clears the slot).
 * Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT, KERN_FAILURE, MACH_SEND_INVALID_RIGHT. */
kern_return_t mk_task_get_special_port(kthread_t *self, mach_port_name_t task, int which,
                                       mach_port_name_t *port);
kern_return_t mk_task_set_special_port(kthread_t *self, mach_port_name_t task, int which,
                                       mach_port_name_t port, mach_msg_type_name_t port_type);

/* mach_ports_register / mach_ports_lookup: rules K6, PR1-PR7 (docs/ports-register.md). Ports
 * are passed COPY_SEND. lookup returns TASK_PORT_REGISTER_MAX names (malloc'ed). Return
 * MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_RIGHT (register), KERN_INVALID_ARGUMENT,
 * KERN_SUCCESS. */
kern_return_t mk_mach_ports_register(kthread_t *self, mach_port_name_t task,
                                     const mach_port_name_t *ports, mach_msg_type_number_t count);
kern_return_t mk_mach_ports_lookup(kthread_t *self, mach_port_name_t task,
                                   mach_port_name_t **ports, mach_msg_type_number_t *count);

/* task_copy_names: forksim's own call, not GNU Mach's (model/task_copy_names.c); rules TC1-TC8
 * of docs/fork-ours-rules.md. Copies each names[i] of src_task's space into dst_task's space
 * under the same name, with its rights and urefs; sources[i] (sources NULL: all
 * MACH_PORT_NULL), when neither MACH_PORT_NULL nor names[i], names a send right of src_task
 * whose port the copy gets instead, with names[i]'s urefs (TC4). dst_task is carried COPY_SEND.
 * Conditions: results has count elements; each gets its name's code (TC2-TC5).
 * Returns, in this order (TC1):
 *   MACH_SEND_INVALID_DEST    src_task is not a send right of the caller's;
 *   MACH_SEND_INVALID_RIGHT   dst_task cannot be copied in;
 *   MIG_BAD_ID                the world lacks copy_names (M6; nothing changed);
 *   KERN_INVALID_TASK         src_task, then dst_task, is not an active task;
 *   KERN_SUCCESS              every name was tried (results say how each went; TC7). */
kern_return_t mk_task_copy_names(kthread_t *self, mach_port_name_t src_task,
                                 mach_port_name_t dst_task, const mach_port_name_t *names,
                                 const mach_port_name_t *sources, mach_msg_type_number_t count,
                                 kern_return_t *results);

/* ---------------------------------------------------------------------------------------- */
/* Threads (kern/thread.c). Rules H1-H9, K3.                                                 */
/* ---------------------------------------------------------------------------------------- */

/* thread_create: rules K3, H1. The new thread starts with user_stop_count 1.
 * Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT (not a task), KERN_FAILURE (inactive task). */
kern_return_t mk_thread_create(kthread_t *self, mach_port_name_t task, mach_port_name_t *thread);

/* thread_suspend (H2), thread_resume (H3), thread_abort (H6), thread_terminate (H8).
 * Return KERN_SUCCESS, KERN_INVALID_ARGUMENT (not a thread; abort: also the caller itself),
 *        KERN_FAILURE (resume at count 0; terminate of an inactive thread). */
kern_return_t mk_thread_suspend(kthread_t *self, mach_port_name_t thread);
kern_return_t mk_thread_resume(kthread_t *self, mach_port_name_t thread);
kern_return_t mk_thread_abort(kthread_t *self, mach_port_name_t thread);
kern_return_t mk_thread_terminate(kthread_t *self, mach_port_name_t thread);

/* Thread state (H7). The model stores the registers as opaque words; a flavor is valid if
 * it is i386_THREAD_STATE (1, 17 words) or a flavor registered by the runtime.
 * Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT (not a thread, the caller itself, bad flavor,
 *         count too small). */
#define MK_MAX_STATE_WORDS 64
kern_return_t mk_thread_get_state(kthread_t *self, mach_port_name_t thread, int flavor,
                                  natural_t *state, mach_msg_type_number_t *count);
kern_return_t mk_thread_set_state(kthread_t *self, mach_port_name_t thread, int flavor,
                                  const natural_t *state, mach_msg_type_number_t count);
void world_register_state_flavor(world_t *world, int flavor, mach_msg_type_number_t count);
/* The registers of a flavor as the model keeps them for thread (what thread_get_state reads
 * and thread_set_state writes), for the runtime to record where a thread it runs is parked
 * (a thread's own user state, which no RPC of its own may touch: H7). NULL for an unknown
 * flavor. */
natural_t *kthread_state_words(kthread_t *thread, int flavor);

/* thread_get_special_port / thread_set_special_port: rule K7 (THREAD_KERNEL_PORT,
 * THREAD_EXCEPTION_PORT). */
kern_return_t mk_thread_get_special_port(kthread_t *self, mach_port_name_t thread, int which,
                                         mach_port_name_t *port);
kern_return_t mk_thread_set_special_port(kthread_t *self, mach_port_name_t thread, int which,
                                         mach_port_name_t port, mach_msg_type_name_t port_type);

/* Suspension as the scheduler needs it: a thread runs only when this is 0 (H1). */
unsigned kthread_suspend_count(const kthread_t *thread);
unsigned kthread_user_stop_count(const kthread_t *thread);

/* Set when a thread itself was stopped or killed by its own call (H2 "stops on the way out",
 * H8, K5 on the caller's task): the runtime must not let it run on. */
bool kthread_must_stop(const kthread_t *thread);

/* The opaque per-thread pointer the runtime keeps (its control block). */
void kthread_set_user(kthread_t *thread, void *user);
void *kthread_user(const kthread_t *thread);
void ktask_set_user(ktask_t *task, void *user);
void *ktask_user(const ktask_t *task);

/* ---------------------------------------------------------------------------------------- */
/* Messages (ipc/mach_msg.c, ipc/ipc_kmsg.c, ipc/ipc_mqueue.c). Rules M1-M9.                 */
/* ---------------------------------------------------------------------------------------- */

/* mk_mach_msg: the mach_msg trap (ipc/mach_msg.c: mach_msg_trap; ipc/ipc_kmsg.c:
 * ipc_kmsg_get, ipc_kmsg_copyin_header, ipc_kmsg_copyin_body, ipc_kmsg_copyout_body); rules
 * M1-M8, O1-O6, W1-W3. Messages are typed (Mach 3): the header, then items, each a type
 * descriptor and its data inline, or the address of out-of-line data, laid out as the world's
 * msg_layout says (see mk_msg_type_t below). Port items (types 16-21) carry names in the
 * sender's space, inline or as an out-of-line array.
 * Conditions: msg is the caller's buffer; out-of-line addresses are the caller's task's, read
 *   and written through world_set_vm's hooks.
 * Returns: MACH_MSG_SUCCESS.
 *          MACH_SEND_MSG_TOO_SMALL, MACH_SEND_INVALID_HEADER, MACH_SEND_INVALID_DEST,
 *            MACH_SEND_INVALID_REPLY (M1, M2 steps 1-5; nothing consumed);
 *            MACH_SEND_INVALID_TYPE, MACH_SEND_INVALID_MEMORY, MACH_SEND_INVALID_RIGHT,
 *            MACH_SEND_MSG_TOO_SMALL (M2 step 6, O1-O3: what was copied in is destroyed; the
 *            sender's memory given with deallocate before the failing item stays gone).
 *          MACH_SEND_TIMED_OUT with a zero timeout (M4).
 *          MACH_RCV_* as in M7; MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE (or VM_KERNEL) when
 *            out-of-line memory could not be placed in the receiver (O4: the message is
 *            received, that item's address and size 0), | MACH_MSG_IPC_SPACE (or IPC_KERNEL)
 *            when a right of the body found no room in its name space (that name NULL).
 *          MK_MSG_BLOCKED: the send must wait for queue space, or the receive for a message;
 *            the thread is blocked in the model (mk_thread_blocked) and the runtime calls
 *            mk_mach_msg_continue once it is not, or mk_mach_msg_interrupt to give up (timeout
 *            V1-V2, abort H6). The model keeps no time: a non-zero timeout waits as if none. */
mach_msg_return_t mk_mach_msg(kthread_t *self, mach_msg_header_t *msg, mach_msg_option_t option,
                              mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                              mach_port_name_t rcv_name, mach_msg_timeout_t timeout);
mach_msg_return_t mk_mach_msg_continue(kthread_t *self);
/* mk_mach_msg_interrupt: gives up a blocked mach_msg. Models the THREAD_TIMED_OUT and
 * THREAD_INTERRUPTED wake-ups of ipc_mqueue_send and ipc_mqueue_receive; rules M4, M7, H6, V2.
 * The model keeps no time: a wait with a non-zero timeout (MACH_SEND_TIMEOUT or
 * MACH_RCV_TIMEOUT) blocks like any other, and the runtime's clock decides when it expires
 * (docs/mach-rules.md V1, V2) and calls this with timeout = true.
 * Conditions: self is blocked in mach_msg (mk_thread_blocked), or was handed a message.
 * Returns: MACH_SEND_TIMED_OUT (timeout) / MACH_SEND_INTERRUPTED (not): a blocked send, its
 *            message pseudo-received into self's space and buffer (M4).
 *          MACH_RCV_TIMED_OUT / MACH_RCV_INTERRUPTED: a blocked receive; nothing received.
 *          what mk_mach_msg_continue returns, when a message was already handed over (H5, H6):
 *            the receive completes and the timeout or abort is void. */
mach_msg_return_t mk_mach_msg_interrupt(kthread_t *self, bool timeout);

/* Reading and writing message items in a layout (model/msgfmt.c; rules W1-W3), for the
 * runtime's MIG layer and the tests. */
typedef struct mk_msg_type {
    unsigned name;              /* msgt_name */
    unsigned size;              /* bits per element */
    uint32_t number;            /* elements */
    bool is_inline, longform, deallocate;
    unsigned unused;            /* the msgt_unused bits, which must be 0 */
    bool long_header_set;       /* Debian long form: name, size or number set in its short word */
    size_t hdr;                 /* read: the descriptor's bytes */
} mk_msg_type_t;
size_t mk_msg_type_size(mk_msg_layout_t layout, bool longform);
size_t mk_msg_align(mk_msg_layout_t layout, size_t off);    /* where the next item may start */
unsigned mk_msg_port_bits(mk_msg_layout_t layout);          /* an inline port element: 32, 64 */
/* Reads the descriptor at `at`, room bytes being left: false when it does not fit. */
bool mk_msg_type_read(mk_msg_layout_t layout, const void *at, size_t room, mk_msg_type_t *t);
/* Writes t at `at` (Debian: the long form when asked or when the short one cannot hold the
 * values). Returns the descriptor's size. */
size_t mk_msg_type_write(mk_msg_layout_t layout, void *at, const mk_msg_type_t *t);
/* Appends an inline item at body + off (data may be NULL: zeros) and its padding; returns the
 * offset after it. */
size_t mk_msg_put_inline(mk_msg_layout_t layout, void *body, size_t off, unsigned name,
                         unsigned size, uint32_t number, const void *data);
/* Appends an inline port item of one name; returns the offset after it. */
size_t mk_msg_put_port(mk_msg_layout_t layout, void *body, size_t off, unsigned disposition,
                       mach_port_name_t name);
/* Bytes of an inline item of number elements of size bits, descriptor and padding included. */
size_t mk_msg_inline_size(mk_msg_layout_t layout, unsigned size, uint32_t number);

/* What a thread is blocked on in the model, for runtimes and deadlock reports. */
typedef enum mk_wait {
    MK_WAIT_NONE,      /* not blocked in the kernel */
    MK_WAIT_SEND,      /* sending to a full queue (M3) */
    MK_WAIT_RECEIVE,   /* receiving on an empty queue (M7) */
} mk_wait_t;
mk_wait_t mk_thread_blocked(const kthread_t *thread, uint32_t *port_id);

/* Messages queued on a receive right, for tests: count, and the ids in queue order. */
size_t mk_queue_ids(ktask_t *task, mach_port_name_t name, mach_msg_id_t *ids, size_t max);
/* The i-th of them (queue order), for a trace note: its id, whether it carries a reply right,
 * and up to len bytes of its body (after the header, as queued: port names in it read 0) with
 * the body's whole length. False past the last one. Changes nothing. */
bool mk_queue_peek(ktask_t *task, mach_port_name_t name, size_t i, mach_msg_id_t *id,
                   bool *reply, void *body, size_t len, size_t *body_len);

/* ---------------------------------------------------------------------------------------- */
/* The invariant walker.                                                                     */
/* ---------------------------------------------------------------------------------------- */

/* Walks the whole world and writes up to `max` diagnostics (one line each, no trailing
 * newline) into diags (each at most MODEL_DIAG_LEN bytes). Returns the number of violations
 * found (which may exceed max). Never aborts and changes nothing.
 * Invariants: for each active port, srights and sorights equal the rights held in all spaces,
 * queued messages, blocked senders and the kernel (self, special and registered ports,
 * requests); each live receive right is in exactly one space, or in transit, or kernel-held;
 * dead names hold no port; names are unique per space and the reverse map agrees; urefs are in
 * range for each type; free-list entries hold nothing. */
#define MODEL_DIAG_LEN 160
size_t model_check(world_t *world, char (*diags)[MODEL_DIAG_LEN], size_t max);

#endif /* FORKSIM_MODEL_H */
