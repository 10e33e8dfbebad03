/*
 * pset.c: port sets.
 *
 * Models GNU Mach's ipc/ipc_pset.c (ipc_pset_alloc, ipc_pset_add, ipc_pset_remove,
 * ipc_pset_destroy) and the queue moves of ipc/ipc_mqueue.c (ipc_mqueue_move); rule M8 with
 * its amendment: adding a port appends its backlog after the set's messages (handing it to any
 * receivers blocked on the set, as ipc_mqueue_move does) and wakes the port's receivers with
 * MACH_RCV_PORT_CHANGED; removing it moves its messages back in order;
 * destroying the set wakes the set's receivers with MACH_RCV_PORT_DIED.
 */
#include "model_int.h"

pset_t *pset_alloc(world_t *world)
{
    pset_t *pset = world_alloc_fallible(world, sizeof *pset);
    if (pset == NULL)
        return NULL;
    pset->ips_id = world->w_next_port_id++;
    pset->ips_active = true;
    pset->ips_world = world;
    return pset;
}

/* Conditions: port is active and in no set. */
void pset_add(pset_t *pset, port_t *port)
{
    port->ip_pset = pset;
    pset->ips_members++;
    port->ip_pset_prev = NULL;
    port->ip_pset_next = pset->ips_first;
    if (pset->ips_first != NULL)
        pset->ips_first->ip_pset_prev = port;
    pset->ips_first = port;
    mqueue_move(&port->ip_messages, &pset->ips_messages, NULL);
    mqueue_feed_receivers(&pset->ips_messages, &pset->ips_receivers);
    mqueue_port_moved(port, MACH_RCV_PORT_CHANGED);
}

/* Conditions: port is in a set. Its messages return to its own queue, in order. */
void pset_remove(port_t *port)
{
    pset_t *pset = port->ip_pset;
    port->ip_pset = NULL;
    pset->ips_members--;
    if (port->ip_pset_prev != NULL)
        port->ip_pset_prev->ip_pset_next = port->ip_pset_next;
    else
        pset->ips_first = port->ip_pset_next;
    if (port->ip_pset_next != NULL)
        port->ip_pset_next->ip_pset_prev = port->ip_pset_prev;
    port->ip_pset_next = port->ip_pset_prev = NULL;
    mqueue_move(&pset->ips_messages, &port->ip_messages, port);
}

/* Frees the set: members leave it, receivers wake with MACH_RCV_PORT_DIED. The set's entry is
 * the caller's to free. The members are the set's own list: the whole world's ports were
 * scanned before, which at 100,000 names was most of a server set's destruction (issue 11,
 * item 6). Each member takes back only its own messages, so the order they leave in does
 * not matter. */
void pset_destroy(pset_t *pset)
{
    world_t *world = pset->ips_world;
    pset->ips_active = false;
    while (pset->ips_first != NULL)
        pset_remove(pset->ips_first);
    mqueue_pset_changed(pset, MACH_RCV_PORT_DIED);
    world_free(world, pset);
}
