/*
 * host.c: the host's privileged port and the new-task notification.
 *
 * Models GNU Mach's host_priv port (kern/host.c: realhost, convert_port_to_host_priv), the
 * routine register_new_task_notification (kern/task.c, gnumach.defs) and the message
 * task_create_kernel sends to the port registered there (kern/task.c: task_create_kernel,
 * mach_notify_new_task of task_notify.defs, id 4400). Rule K1 of docs/spec-rules.md, rules NT1
 * and NT2 of docs/mach-rules.md.
 *
 * The host_priv port is a kernel port like a task's (ip_kernel, IKOT_HOST_PRIV), made the first
 * time a task is given a send right to it (world_give_host_priv: in the Hurd, startup hands it
 * to proc in startup_procinit's reply). The registered port is a naked send right the kernel
 * holds (w_new_task_notify) until the world ends: GNU Mach never releases it.
 *
 * Added rules: a right other than a send right is refused with KERN_INVALID_VALUE (GNU Mach's
 * stub does not check the polymorphic type and would keep a send-once right as if it were a
 * send right; the Hurd registers with MAKE_SEND). A registered dead name (MACH_PORT_DEAD)
 * makes task_create send nothing and make no rights: GNU Mach makes the two send rights and
 * then leaks them, mach_msg_send_from_kernel refusing the invalid destination before it builds
 * the message.
 */
#include "model_int.h"

/* The host_priv port, made on first use. NULL only if it cannot be allocated. */
static port_t *host_priv_port(world_t *world)
{
    if (world->w_host_priv == NULL) {
        port_t *port = port_alloc(world);
        if (port == NULL)
            return NULL;
        port->ip_kernel = true;
        port->ip_kotype = IKOT_HOST_PRIV;
        port->ip_kobject = world;
        world->w_host_priv = port;
    }
    return world->w_host_priv;
}

mach_port_name_t world_give_host_priv(ktask_t *task)
{
    port_t *port = host_priv_port(task->tk_world);
    if (port == NULL)
        return MACH_PORT_NULL;
    naked_t right = {port, MACH_MSG_TYPE_PORT_SEND};
    port_make_send(port);
    mach_port_name_t name;
    if (right_copyout(task->tk_space, right, true, &name) != KERN_SUCCESS) {
        port_release_naked(right);
        return MACH_PORT_NULL;
    }
    return name;
}

/*
 * mk_register_new_task_notification: the port task_create's notification goes to.
 * Models register_new_task_notification (kern/task.c); rule NT1.
 * Conditions: the request goes to `host_priv` in the caller's space (COPY_SEND); `notify` is
 * copied in from the caller's space with the disposition notify_type (mach_port_send_t,
 * polymorphic) before the routine runs, as the kernel copies in the whole request first.
 * Returns: KERN_SUCCESS          the kernel keeps the send right; every task_create from now on
 *                                sends mach_notify_new_task to it (mk_task_create, NT2).
 *          MACH_SEND_INVALID_DEST  host_priv names no send right; nothing was copied in.
 *          MACH_SEND_INVALID_RIGHT notify_type cannot be copied in from notify; nothing changed.
 *          MACH_SEND_INVALID_TYPE  notify_type is no port disposition; nothing changed.
 *          KERN_INVALID_HOST     host_priv is a send right to another port (convert_port_to_host_priv
 *                                gives HOST_NULL); the right copied in is released.
 *          KERN_NO_ACCESS        a port is registered already: the first registration stays, the
 *                                right copied in is released.
 *          KERN_INVALID_VALUE    (Added rule) the right carried is not a send right; released.
 * A null notify registers nothing (GNU Mach stores IP_NULL, which means "none").
 */
kern_return_t mk_register_new_task_notification(kthread_t *self, mach_port_name_t host_priv,
                                                mach_port_name_t notify,
                                                mach_msg_type_name_t notify_type)
{
    kern_return_t kr;
    port_t *host = mk_request_port(self, host_priv, &kr);
    if (host == NULL)
        return kr;
    naked_t right;
    kr = body_copyin(self, notify, notify_type, &right);
    if (kr != KERN_SUCCESS)
        return kr;
    world_t *world = self->th_task->tk_world;
    if (!host->ip_active || host->ip_kotype != IKOT_HOST_PRIV)
        kr = KERN_INVALID_HOST;
    else if (world->w_new_task_notify != NULL)
        kr = KERN_NO_ACCESS;
    else if (right.port != NULL && right.type != MACH_MSG_TYPE_PORT_SEND)
        kr = KERN_INVALID_VALUE;
    if (kr != KERN_SUCCESS) {
        port_release_naked(right);
        return kr;
    }
    world->w_new_task_notify = right.port; /* NULL, IO_DEAD or a naked send right */
    return KERN_SUCCESS;
}

/*
 * new_task_notify: task_create_kernel's mach_notify_new_task, after the child is made and
 * before its port is given to the caller. Models the KernelUser stub of task_notify.defs and
 * mach_msg_send_from_kernel; rules K1, NT2.
 * Conditions: child and parent are live tasks.
 * Nothing registered (or a dead name: Added rule): nothing happens. Otherwise one message,
 * id 4400, no reply port, to a copy of the registered send right (srights+1), carrying two
 * inline port items, each a send right made from the task's port (MOVE_SEND: mscount+1,
 * srights+1): the child's, then the parent's. The queue limit does not apply (a kernel
 * message); a dead destination destroys the message, the send still succeeding (M5): the two
 * send rights are released, the mscounts stay one higher.
 */
void new_task_notify(ktask_t *child, ktask_t *parent)
{
    world_t *world = child->tk_world;
    port_t *dest = world->w_new_task_notify;
    if (!IO_VALID(dest))
        return;
    mk_msg_layout_t layout = world_msg_layout(world);
    unsigned bits = mk_msg_port_bits(layout);
    size_t item = mk_msg_inline_size(layout, bits, 1);
    kmsg_t *kmsg = kmsg_alloc(world, 2 * item);
    world->w_counts.notifications++;
    port_copy_send(dest);
    kmsg->ikm_remote.port = dest;
    kmsg->ikm_remote.type = MACH_MSG_TYPE_PORT_SEND;
    kmsg->ikm_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
    kmsg->ikm_id = MK_NEW_TASK_NOTIFY_ID;
    kmsg->ikm_kernel = true;
    kmsg->ikm_rights = world_alloc(world, 2 * sizeof *kmsg->ikm_rights);
    kmsg->ikm_nrights = 2;
    ktask_t *tasks[2] = {child, parent};
    size_t off = 0;
    for (int i = 0; i < 2; i++) {
        kmsg_right_t *r = &kmsg->ikm_rights[i];
        r->kr_type_offset = off;
        r->kr_offset = off + mk_msg_type_size(layout, false);
        r->kr_ool = 0;
        port_make_send(tasks[i]->tk_self);
        r->kr_right.port = tasks[i]->tk_self;
        r->kr_right.type = MACH_MSG_TYPE_PORT_SEND;
        off = mk_msg_put_inline(layout, kmsg->ikm_body, off, MACH_MSG_TYPE_PORT_SEND, bits, 1, NULL);
    }
    kmsg_send_kernel(kmsg);
}

/* The kernel's own rights at the world's end: the registration and the host_priv port. */
void host_release(world_t *world)
{
    port_t *dest = world->w_new_task_notify;
    world->w_new_task_notify = NULL;
    if (IO_VALID(dest))
        port_release_send(dest);
    port_t *host = world->w_host_priv;
    world->w_host_priv = NULL;
    if (host != NULL) {
        port_destroy(host);
        port_release(host);
    }
}
