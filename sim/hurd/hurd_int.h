/*
 * hurd_int.h: what sim/hurd/hurd.c (boot) shares with the servers (sim/hurd/srv_*.c). Not public.
 */
#ifndef FORKSIM_HURD_INT_H
#define FORKSIM_HURD_INT_H

#include "servers.h"
#include "mig.h"

/* Each server: a reset of its host state (before its task boots), its thread's main, and
 * once that has run far enough, the name of the port startup hands to processes (0 before). */
void proc_server_reset(void);
void proc_server_main(void *arg);
mach_port_t proc_server_boot_port(void);   /* init's proc port (pid 1) */

void fs_server_main(void *arg);
mach_port_t fs_server_port(void);
void term_server_main(void *arg);
mach_port_t term_server_port(void);
void auth_server_main(void *arg);
mach_port_t auth_server_port(void);
void minor_servers_reset(void);
void fs_server_reset(void);
void exec_server_main(void *arg);
mach_port_t exec_server_port(void);
void exec_server_reset(void);
/* The program registered for path (hurd_program_add), or false. */
bool hurd_program_find(const char *path, void (**entry)(void *), void **arg);

/* The servers' request loop (srv_loop.c): mig_server_loop plus interrupt_operation and the
 * delays of hurd_server_delay. cancel (may be NULL) answers EINTR to the server's own blocked
 * requests on port. */
typedef void (*hurd_cancel_fn)(void *ctx, mach_port_t port);
void hurd_serve(enum hurd_server which, mach_port_t rcv_name, mig_demux_fn demux, void *ctx,
                hurd_cancel_fn cancel);
void hurd_loop_reset(void);

#endif
