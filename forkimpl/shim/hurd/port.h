/* hurd/port.h (forksim shim): port cells beyond the get/free pair of forkimpl-glibc.h, as the
 * fd code uses them (implemented in forkimpl/fdrt.c and hurdrt.c, with hurd/port.h's and
 * hurd/userlink.h's semantics: users linked on the cell, the last one deallocates). */
#ifndef FORKIMPL_HURD_PORT_H
#define FORKIMPL_HURD_PORT_H
#include "../forkimpl-glibc.h"

void _hurd_port_init(struct hurd_port *cell, mach_port_t init);
/* The cell is locked; returns its port and unlocks it. */
mach_port_t _hurd_port_locked_get(struct hurd_port *cell, struct hurd_userlink *link);
/* The cell is locked; installs newport, unlocks, releases the old port's send right. */
void _hurd_port_locked_set(struct hurd_port *cell, mach_port_t newport);
void _hurd_port_set(struct hurd_port *cell, mach_port_t newport);
/* Nonzero when no user holds the cell's port, so whoever clears the cell releases it. */
int _hurd_userlink_clear(struct hurd_userlink **chainp);
void _hurd_userlink_link(struct hurd_userlink **chainp, struct hurd_userlink *link);
int _hurd_userlink_unlink(struct hurd_userlink *link);

/* Runs expr with `port` naming the cell's port (glibc's HURD_PORT_USE). */
#define HURD_PORT_USE(cell, expr)                                   \
    ({                                                              \
        struct hurd_userlink __link;                                \
        struct hurd_port *const __p = (cell);                       \
        mach_port_t port = _hurd_port_get(__p, &__link);            \
        __typeof__(expr) __result = (expr);                         \
        _hurd_port_free(__p, &__link, port);                        \
        __result;                                                   \
    })
#endif
