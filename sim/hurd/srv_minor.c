/*
 * srv_minor.c: the small servers a simulated process needs to start: auth (a port, nothing
 * served yet) and term (the console: term_getctty, id 28000,
 * gives its ctty id port; term_open_ctty gives a new ctty port per (pid, pgrp) request, term.defs
 * id 28001). Each is a daemon thread of its own
 * task serving a port set through mig_server_loop (M11). State is host memory.
 * The fs server is in srv_fs.c.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The term server's ctty ports: one per term_open_ctty, as the Hurd's term makes a new
 * port each time (term/users.c) with no limit but memory. Host memory, grown as needed, kept
 * until the next boot. */
struct ctty_port { mach_port_t port; pid_t pid, pgrp; };

SIM_WORLD_STATE static struct minor {   /* world state (sim/rt/snapshot.c) */
    struct {
        mach_port_t self, pset, port;
        mach_port_t cttyid;     /* the console's ctty id: a receive right, never served */
        struct ctty_port *ctty;
        int nctty, cap;
    } term;
    struct {
        mach_port_t self, port;
    } auth;
} M;

void minor_servers_reset(void)
{
    /* The table is in the world heap: with snapshots, sim_open has emptied it already. */
    if (!sim_snapshots_supported())
        sim_wfree(M.term.ctty);
    memset(&M, 0, sizeof M);
}

mach_port_t term_server_port(void) { return M.term.port; }
mach_port_t auth_server_port(void) { return M.auth.port; }

/* A new receive right in the server's set. */
static mach_port_t new_port(mach_port_t self, mach_port_t pset)
{
    mach_port_t p = MACH_PORT_NULL;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &p);
    __mach_port_move_member(self, p, pset);
    return p;
}

/* --- term --------------------------------------------------------------------------------- */

static kern_return_t term_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    if (in->head.msgh_local_port != M.term.port)
        return MIG_BAD_ID;
    if (in->head.msgh_id == TERM_ID_GETCTTY) {
        mig_put_port(out, M.term.cttyid, MACH_MSG_TYPE_MAKE_SEND);
        return KERN_SUCCESS;
    }
    if (in->head.msgh_id != TERM_ID_OPEN_CTTY)
        return MIG_BAD_ID;
    int32_t pid, pgrp;
    if (!mig_get_int32(in, &pid) || !mig_get_int32(in, &pgrp))
        return MIG_BAD_ARGUMENTS;
    if (M.term.nctty == M.term.cap) {
        int cap = M.term.cap ? 2 * M.term.cap : 64;
        struct ctty_port *t = sim_wrealloc(M.term.ctty, (size_t)cap * sizeof *t);
        M.term.ctty = t;
        M.term.cap = cap;
    }
    mach_port_t p = new_port(M.term.self, M.term.pset);
    M.term.ctty[M.term.nctty].port = p;
    M.term.ctty[M.term.nctty].pid = pid;
    M.term.ctty[M.term.nctty].pgrp = pgrp;
    M.term.nctty++;
    mig_put_port(out, p, MACH_MSG_TYPE_MAKE_SEND);
    return KERN_SUCCESS;
}

void term_server_main(void *arg)
{
    (void)arg;
    M.term.self = __mach_task_self();
    __mach_port_allocate(M.term.self, MACH_PORT_RIGHT_PORT_SET, &M.term.pset);
    M.term.port = new_port(M.term.self, M.term.pset);
    __mach_port_allocate(M.term.self, MACH_PORT_RIGHT_RECEIVE, &M.term.cttyid);
    mig_server_loop(M.term.pset, term_demux, NULL);
}

bool hurd_term_ctty_peek(uint32_t port_id, pid_t *pid, pid_t *pgrp)
{
    sim_task *t = hurd_server_task(HURD_SRV_TERM);
    name_info_t info;
    for (int i = 0; t != NULL && i < M.term.nctty; i++)
        if (space_peek(kern_ktask(t), M.term.ctty[i].port, &info) && info.port_id == port_id) {
            *pid = M.term.ctty[i].pid;
            *pgrp = M.term.ctty[i].pgrp;
            return true;
        }
    return false;
}

uint32_t hurd_term_port_id(enum hurd_term_port which)
{
    sim_task *t = hurd_server_task(HURD_SRV_TERM);
    name_info_t info;
    mach_port_t name = which == HURD_TERM_CTTYID ? M.term.cttyid : M.term.port;
    if (t == NULL || !space_peek(kern_ktask(t), name, &info))
        return 0;
    return info.port_id;
}

/* --- auth ----------------------------------------------------------------------------------- */

static kern_return_t auth_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    (void)in;
    (void)out;
    return MIG_BAD_ID;
}

void auth_server_main(void *arg)
{
    (void)arg;
    M.auth.self = __mach_task_self();
    __mach_port_allocate(M.auth.self, MACH_PORT_RIGHT_RECEIVE, &M.auth.port);
    mig_server_loop(M.auth.port, auth_demux, NULL);
}
