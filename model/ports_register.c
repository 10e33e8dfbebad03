/*
 * ports_register.c: the inherited ports array, a task's TASK_PORT_REGISTER_MAX registered send
 * rights (issue 13, item 4). Models GNU Mach's kern/ipc_tt.c: mach_ports_register,
 * mach_ports_lookup, and the registered slots' part of ipc_task_init (inheritance at
 * task_create) and ipc_task_terminate. Rules PR1-PR7 of docs/ports-register.md, K6.
 *
 * The slots are naked send rights the kernel holds in the task (tk_registered: a port, NULL
 * for a null slot, IO_DEAD for a dead one). No slot ever has a name in any space: only
 * mach_ports_lookup copies one out, to its caller.
 *
 * TASK_PORT_REGISTER_MAX (4) comes from Debian's gnumach-dev (mach/mach_param.h), included
 * through model.h; it is not defined again here.
 */
#include "model_int.h"

#include <stdlib.h>

/*
 * registered_ports_inherit: the child's slots at task_create. Models the "inherit registered
 * ports" loop of ipc_task_init (kern/ipc_tt.c). Rule PR7.
 * Conditions: child is new (every slot NULL), parent an active task.
 * Returns nothing. Each slot gets ipc_port_copy_send of the parent's (port_copy_send_kernel):
 * a null slot stays null, a dead port gives IO_DEAD, a live one a new send right (srights + 1).
 * No name is made in the child's space.
 */
void registered_ports_inherit(ktask_t *child, const ktask_t *parent)
{
    for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++)
        child->tk_registered[i] = port_copy_send_kernel(parent->tk_registered[i]);
}

/*
 * registered_ports_take: empties a terminating task's slots. Models the registered ports'
 * loop of ipc_task_terminate (kern/ipc_tt.c). Rules PR7, K5 step 2.
 * Conditions: the task is being terminated.
 * Returns the number of rights put in out[0..TASK_PORT_REGISTER_MAX) (always
 * TASK_PORT_REGISTER_MAX: NULL and IO_DEAD included); the caller releases the valid ones with
 * the task's other kernel-held rights.
 */
int registered_ports_take(ktask_t *task, port_t **out)
{
    for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++) {
        out[i] = task->tk_registered[i];
        task->tk_registered[i] = NULL;
    }
    return TASK_PORT_REGISTER_MAX;
}

/*
 * mk_mach_ports_register: replace the task's registered ports. Models mach_ports_register
 * (kern/ipc_tt.c) behind the request's copy-in (ipc_kmsg_copyin_header, ipc_kmsg_copyin_body).
 * Rules PR1-PR4 (docs/ports-register.md), K6.
 * Conditions: ports[0..count) are names in the caller's space, each sent COPY_SEND.
 * Returns, in this order:
 *   MACH_SEND_INVALID_DEST   name is not a send right (PR1; a terminated task's name is dead)
 *   MACH_SEND_INVALID_RIGHT  a listed name is neither null, dead, a dead name nor a send right
 *                            (PR2), whatever count and the task
 *   KERN_INVALID_ARGUMENT    the port is not a task's (PR3.1)
 *   KERN_INVALID_ARGUMENT    count > TASK_PORT_REGISTER_MAX (PR3.2)
 *   KERN_INVALID_ARGUMENT    the task is dead (PR3.3; unreachable, see PR1)
 *   KERN_SUCCESS             every slot replaced; the old rights released (PR4)
 * On any failure the rights copied in are released: the caller's urefs and the task's slots
 * are as they were. The caller's urefs never change (COPY_SEND).
 */
kern_return_t mk_mach_ports_register(kthread_t *self, mach_port_name_t name,
                                     const mach_port_name_t *ports, mach_msg_type_number_t count)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    /* Every port of the request is copied in before the routine looks at the count (the
     * array travels in the message): a bad one fails the send whatever the count. */
    naked_t *rights = count ? malloc(count * sizeof *rights) : NULL;
    if (count && rights == NULL)
        abort();
    mach_msg_type_number_t copied = 0;
    for (; copied < count; copied++) {
        kr = mk_send_right_copyin(self, ports[copied], MACH_MSG_TYPE_COPY_SEND, &rights[copied]);
        if (kr != KERN_SUCCESS) {
            while (copied > 0)
                port_release_naked(rights[--copied]);
            free(rights);
            return kr;
        }
    }
    if (task == NULL || count > TASK_PORT_REGISTER_MAX || !task->tk_active) {
        while (copied > 0)
            port_release_naked(rights[--copied]);
        free(rights);
        return KERN_INVALID_ARGUMENT;
    }
    for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++) {
        port_t *old = task->tk_registered[i];
        task->tk_registered[i] = (mach_msg_type_number_t)i < count ? rights[i].port : NULL;
        if (IO_VALID(old))
            port_release_send(old);
    }
    free(rights);
    return KERN_SUCCESS;
}

/*
 * mk_mach_ports_lookup: copies of the task's registered ports, copied out into the caller.
 * Models mach_ports_lookup (kern/ipc_tt.c) and the reply's copy-out (ipc_kmsg_copyout_body).
 * Rules PR1, PR5, PR6 (docs/ports-register.md), K6, T5.
 * Conditions: none; the task may be the caller's or another.
 * Returns, in this order:
 *   MACH_SEND_INVALID_DEST  name is not a send right (PR1)
 *   KERN_INVALID_ARGUMENT   the port is not a task's, or the task is dead (PR5)
 *   KERN_SUCCESS            *count = TASK_PORT_REGISTER_MAX and *ports a new array of that many
 *                           names in slot order (PR5, PR6): MACH_PORT_NULL, MACH_PORT_DEAD, or
 *                           a new send right merged into the caller's name for the port (urefs+1,
 *                           pegged) or under a new name (urefs 1)
 * KERN_RESOURCE_SHORTAGE (GNU Mach's kalloc failing) is not modelled. On failure *ports and
 * *count are untouched. The task's slots never change.
 */
kern_return_t mk_mach_ports_lookup(kthread_t *self, mach_port_name_t name,
                                   mach_port_name_t **ports, mach_msg_type_number_t *count)
{
    kern_return_t kr;
    ktask_t *task = mk_task_of_name(self, name, &kr);
    if (kr != KERN_SUCCESS)
        return kr;
    if (task == NULL || !task->tk_active)
        return KERN_INVALID_ARGUMENT;
    *ports = malloc(TASK_PORT_REGISTER_MAX * sizeof **ports);
    if (*ports == NULL)
        abort();
    for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++)
        (*ports)[i] = mk_kernel_right_copyout(self, task->tk_registered[i]);
    *count = TASK_PORT_REGISTER_MAX;
    return KERN_SUCCESS;
}
