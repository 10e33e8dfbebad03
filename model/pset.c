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
    mqueue_move(&pset->ips_messages, &port->ip_messages, port);
}

/* Frees the set: members leave it, receivers wake with MACH_RCV_PORT_DIED. The set's entry is
 * the caller's to free. */
void pset_destroy(pset_t *pset)
{
    world_t *world = pset->ips_world;
    pset->ips_active = false;
    /* Members: every port whose ip_pset is this set. */
    for (port_t *p = world->w_ports; p != NULL && pset->ips_members > 0; p = p->ip_wnext)
        if (p->ip_pset == pset)
            pset_remove(p);
    mqueue_pset_changed(pset, MACH_RCV_PORT_DIED);
    world_free(world, pset);
}
