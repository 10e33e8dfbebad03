/*
 * fdrt.c: what stands beneath glibc's file descriptor table (hurd/dtable.c and its neighbours
 * new-fd.c, alloc-fd.c, intern-fd.c, port2fd.c, fd-close.c, compiled unmodified): the port
 * cell operations and _hurd_fd_get that glibc instantiates from the extern inlines of
 * hurd/port.h and hurd/fd.h, the resource limits alloc-fd.c reads, and the start-up that hands
 * a new process its descriptors, as exec and glibc's _hurd_init do.
 *
 * Stands in for glibc's hurd/hurdinit.c (_hurd_init_dtable and RUN_RELHOOK (_hurd_subinit)),
 * hurd/hurdrlimit.c and the extern inlines named above. Everything here lives in the image:
 * the globals are SIM_GLOBALs and the table itself is allocated by dtable.c from the image
 * heap, so each forked child has its own table, whose ctty ports dtable.c's fork hook
 * (fork_child_dtable) re-opens with the child's pid.
 *
 * Userlinks as hurd/userlink.h keeps them (hurdrt.c): a cell set while a user holds its old
 * port leaves that port to its last user to deallocate.
 */
#include "forkimpl.h"
#include "kern.h"
#include "servers.h" /* the simulated servers (sim/hurd/) */
#include "shim/hurd/fd.h"
#include "shim/hurd/resource.h"
#include "shim/set-hooks.h"

kern_return_t __mach_ports_lookup(mach_port_t task, mach_port_t **ports,
                                  mach_msg_type_number_t *count);

/* --- the process's globals ---------------------------------------------------------------------- */

SIM_GLOBAL mach_port_t *_hurd_init_dtable;
SIM_GLOBAL unsigned int _hurd_init_dtablesize;
/* Only RLIMIT_OFILE is read (it bounds the table); glibc starts it at 1024 too. */
SIM_GLOBAL struct rlimit _hurd_rlimits[RLIM_NLIMITS] = {[RLIMIT_OFILE] = {1024, 1024}};
SIM_GLOBAL struct mutex _hurd_rlimit_lock;

/* --- port cells --------------------------------------------------------------------------------- */

void _hurd_port_init(struct hurd_port *cell, mach_port_t init)
{
    __spin_lock_init(&cell->lock);
    cell->users = NULL;
    cell->port = init;
}

mach_port_t _hurd_port_locked_get(struct hurd_port *cell, struct hurd_userlink *link)
{
    mach_port_t port = cell->port;
    if (port != MACH_PORT_NULL)
        _hurd_userlink_link(&cell->users, link);
    __spin_unlock(&cell->lock);
    return port;
}

void _hurd_port_locked_set(struct hurd_port *cell, mach_port_t newport)
{
    mach_port_t old = _hurd_userlink_clear(&cell->users) ? cell->port : MACH_PORT_NULL;
    cell->port = newport;
    __spin_unlock(&cell->lock);
    if (old != MACH_PORT_NULL)
        __mach_port_deallocate(__mach_task_self(), old);
}

void _hurd_port_set(struct hurd_port *cell, mach_port_t newport)
{
    __spin_lock(&cell->lock);
    _hurd_port_locked_set(cell, newport);
}

/* Detaches the chain of users from the cell: its last user deallocates the old port. */
int _hurd_userlink_clear(struct hurd_userlink **chainp)
{
    if (*chainp == NULL)
        return 1;
    (*chainp)->prevp = NULL;
    *chainp = NULL;
    return 0;
}

/* --- descriptors -------------------------------------------------------------------------------- */

struct hurd_fd *_hurd_fd_get(int fd)
{
    struct hurd_fd *d = NULL;
    HURD_CRITICAL_BEGIN;
    __mutex_lock(&_hurd_dtable_lock);
    if (fd >= 0 && fd < _hurd_dtablesize && _hurd_dtable[fd] != NULL) {
        struct hurd_fd *cell = _hurd_dtable[fd];
        __spin_lock(&cell->port.lock);
        if (cell->port.port != MACH_PORT_NULL) /* else closed */
            d = cell;
        __spin_unlock(&cell->port.lock);
    }
    __mutex_unlock(&_hurd_dtable_lock);
    HURD_CRITICAL_END;
    return d;
}

/* --- reauthentication: not modelled ----------------------------------------------------------- */

/* dtable.c's reauth_dtable (run through _hurd_reauth_hook when the auth port changes: setuid and
 * its kin) names these. forksim's auth and I/O servers have no rendezvous protocol, so a run that
 * gets here stops as unmodelled (forkimpl/sigrt.c's list of what is not modelled) rather than
 * answer something no Hurd server says. */
kern_return_t __io_reauthenticate(mach_port_t io, mach_port_t rendezvous,
                                  mach_msg_type_name_t rendezvousPoly)
{
    (void)io, (void)rendezvous, (void)rendezvousPoly;
    kern_unmodelled("io_reauthenticate (re-authentication of a descriptor)");
}

kern_return_t __auth_user_authenticate(mach_port_t auth, mach_port_t rendezvous,
                                       mach_msg_type_name_t rendezvousPoly, mach_port_t *newport)
{
    (void)auth, (void)rendezvous, (void)rendezvousPoly, (void)newport;
    kern_unmodelled("auth_user_authenticate (re-authentication of a descriptor)");
}

/* --- start-up ----------------------------------------------------------------------------------- */

DEFINE_HOOK(_hurd_subinit, (void));

#define INIT_DTABLESIZE 3

void fi_dtable_start(void)
{
    mach_port_t self = __mach_task_self();
    mach_port_t *reg = NULL;
    mach_msg_type_number_t n = 0;
    if (__mach_ports_lookup(self, &reg, &n) != KERN_SUCCESS || n <= HURD_REG_TERM)
        kern_unmodelled("no registered ports at process start-up");
    mach_port_t console = reg[HURD_REG_TERM];
    for (mach_msg_type_number_t i = 0; i < n; i++)
        if (i != HURD_REG_TERM && MACH_PORT_VALID(reg[i]))
            __mach_port_deallocate(self, reg[i]);
    __vm_deallocate(self, (vm_address_t)(uintptr_t)reg, n * sizeof *reg);

    /* The console is the process's controlling terminal; a new process is in process group 1
     * (P1). */
    if (__term_getctty(console, &_hurd_ports[INIT_PORT_CTTYID].port) != KERN_SUCCESS)
        kern_unmodelled("the console has no ctty id");
    _hurd_pgrp = 1;

    /* Descriptors 0-2 as exec passes them: one send right each, in an array that init_dtable
     * frees with vm_deallocate. */
    if (__mach_port_mod_refs(self, console, MACH_PORT_RIGHT_SEND, INIT_DTABLESIZE - 1) !=
        KERN_SUCCESS)
        kern_unmodelled("could not add urefs to the console port");
    _hurd_init_dtable = _hurd_malloc(INIT_DTABLESIZE * sizeof *_hurd_init_dtable);
    if (_hurd_init_dtable == NULL)
        kern_unmodelled("image heap exhausted for the initial descriptors");
    for (int i = 0; i < INIT_DTABLESIZE; i++)
        _hurd_init_dtable[i] = console;
    _hurd_init_dtablesize = INIT_DTABLESIZE;

    RUN_RELHOOK(_hurd_subinit, ());
}

void fi_dtable_start_given(mach_port_t *dtable, unsigned n)
{
    /* Every process of the simulated world is in process group 1 (P1, P9: proc_child puts the
     * child in its parent's group, and nothing calls setpgid). */
    _hurd_pgrp = 1;
    _hurd_init_dtable = dtable;
    _hurd_init_dtablesize = n;
    RUN_RELHOOK(_hurd_subinit, ());
}
