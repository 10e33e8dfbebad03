/*
 * servers.h: the simulated Hurd servers (proc, auth, fs, term) and the client stubs of their
 * interfaces, with the names and prototypes glibc 2.36 calls (process.defs, msg.defs,
 * term.defs as glibc's Hurd code uses them). Each server is a daemon thread of its own task,
 * running host code; each stub is one RPC of the calling simulated thread over real messages
 * (sim/kern/mig.h). Error numbers are the Hurd's (the _HURD_ERRNO encoding), never Linux's.
 *
 * Rules: docs/spec-rules.md, M10-M12 (MIG) and P1-P11 (proc).
 */
#ifndef FORKSIM_HURD_SERVERS_H
#define FORKSIM_HURD_SERVERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <mach/mach_types.h>

#include "kern.h"

/* --- Hurd error numbers: sim/hurd/hurd_errno.h (shared with the compiled glibc code) ------------ */

#include "hurd_errno.h"

/* The symbolic name of a Hurd error number ("ESRCH"), or NULL. */
const char *hurd_errno_name(kern_return_t code);

/* --- Wait statuses and options (the Hurd uses the generic glibc encodings) ------------------ */

#define HURD_W_EXITCODE(ret, sig) (((ret) << 8) | (sig))
#define HURD_W_STOPCODE(sig) (((sig) << 8) | 0x7f)
#define HURD_WNOHANG   1
#define HURD_WUNTRACED 2
#define HURD_WNOWAIT   0x01000000
#define HURD_SIGKILL   9
#define HURD_SIGCHLD   20
#define HURD_CLD_EXITED  1
#define HURD_CLD_STOPPED 5

/* --- Message ids (P3) ---------------------------------------------------------------------- */

#define PROC_ID_CHILD             24012
#define PROC_ID_SETMSGPORT        24013
#define PROC_ID_GETPIDS           24016
#define PROC_ID_SET_ARG_LOCATIONS 24017
#define PROC_ID_GET_ARG_LOCATIONS 24018
#define PROC_ID_GETMSGPORT        24019
#define PROC_ID_WAIT              24020
#define PROC_ID_DOSTOP            24021
#define PROC_ID_MARK_STOP         24023
#define PROC_ID_MARK_EXIT         24025
#define PROC_ID_PID2TASK          24029
#define PROC_ID_TASK2PID          24030
#define PROC_ID_TASK2PROC         24031
#define MSG_ID_SIG_POST           23000
#define MSG_ID_PROC_NEWIDS        23001
#define TERM_ID_GETCTTY           28000     /* term.defs: subsystem 28000, getctty, open_ctty */
#define TERM_ID_OPEN_CTTY         28001
#define FS_ID_GETROOT             29000     /* forksim's own: the fs server's one routine */

typedef struct rusage rusage_t;

/* --- Client stubs -------------------------------------------------------------------------- */
/* Each returns what the MIG stub returns: KERN_SUCCESS, a Hurd errno from the server, a
 * MIG_* code (M12) or a mach_msg error. Task and thread arguments go as COPY_SEND (P3); the
 * caller keeps its right. */

kern_return_t __proc_task2proc(mach_port_t process, mach_port_t task, mach_port_t *proc);
kern_return_t __proc_task2pid(mach_port_t process, mach_port_t task, pid_t *pid);
kern_return_t __proc_pid2task(mach_port_t process, pid_t pid, mach_port_t *task);
kern_return_t __proc_child(mach_port_t process, mach_port_t child);
kern_return_t __proc_setmsgport(mach_port_t process, mach_port_t newmsgport,
                                mach_port_t *oldmsgport);
kern_return_t __proc_getmsgport(mach_port_t process, pid_t pid, mach_port_t *msgport);
kern_return_t __proc_getpids(mach_port_t process, pid_t *pid, pid_t *ppid, int *orphaned);
kern_return_t __proc_get_arg_locations(mach_port_t process, vm_address_t *argv,
                                       vm_address_t *envp);
kern_return_t __proc_set_arg_locations(mach_port_t process, vm_address_t argv,
                                       vm_address_t envp);
kern_return_t __proc_dostop(mach_port_t process, mach_port_t contthread);
kern_return_t __proc_mark_exit(mach_port_t process, int status, int sigcode);
kern_return_t __proc_mark_stop(mach_port_t process, int signo, int sigcode);
kern_return_t __proc_wait(mach_port_t process, pid_t pid, int options, int *status,
                          int *sigcode, rusage_t *rusage, pid_t *pid_status);

/* msg.defs: msg_sig_post waits for the reply (23100); msg_proc_newids is sent one-way, as the
 * proc server sends it (no reply port). */
kern_return_t __msg_sig_post(mach_port_t process, int signal, int sigcode, mach_port_t refport);
kern_return_t __msg_proc_newids(mach_port_t process, mach_port_t task, pid_t ppid, pid_t pgrp,
                                int orphaned);

/* term.defs: a new ctty port of the terminal for (pid, pgrp), as MOVE_SEND. */
kern_return_t __term_open_ctty(mach_port_t terminal, pid_t pid, pid_t pgrp, mach_port_t *newtty);
/* term.defs: the terminal's ctty id port (a new send right); any other port says MIG_BAD_ID. */
kern_return_t __term_getctty(mach_port_t terminal, mach_port_t *cttyid);
/* forksim's fs: a new send right to the root directory port. */
kern_return_t __fs_getroot(mach_port_t fs, mach_port_t *root);

/* --- A minimal msg server (a process's message port), for tests ----------------------------- */

/* What one msg_sig_post or msg_proc_newids received (host memory). */
typedef struct hurd_msg_seen {
    mach_msg_id_t id;
    int signo, sigcode;             /* sig_post */
    pid_t ppid, pgrp;               /* proc_newids */
    int orphaned;
    mach_port_t port;               /* refport or task, as received */
    bool had_reply_port;
} hurd_msg_seen;

/* Receives one message on msgport (blocking) and serves it: msg_sig_post replies 0, the
 * right it carried released; msg_proc_newids is recorded. Returns the mach_msg code. */
mach_msg_return_t hurd_msg_serve_one(mach_port_t msgport, hurd_msg_seen *seen);

/* --- Boot and processes --------------------------------------------------------------------- */

enum hurd_server { HURD_SRV_PROC, HURD_SRV_AUTH, HURD_SRV_FS, HURD_SRV_TERM, HURD_NSERVERS };

/* Starts the server tasks and a startup task that hands their ports to new processes, and
 * runs the simulation until they wait for requests (call after kern_open, before the test's
 * own threads). Returns 0, or -1 if the boot run did not end cleanly. */
int hurd_boot(void);

/* A simulated process: a new task (a child of startup, so it inherits the servers' ports) with
 * one thread that gets its proc port with proc_task2proc, its root and working directories and
 * its ctty, then runs fn(arg); when fn returns its value v, the thread calls
 * proc_mark_exit(W_EXITCODE(v, 0)) and task_terminate on its task (as _exit).
 * *thp (if not NULL) gets the thread. Call from the host. */
sim_task *hurd_spawn(int (*fn)(void *), void *arg, sim_thread **thp);

/* The ports startup registers for its children (mach_ports_register), by index. */
enum hurd_registered { HURD_REG_AUTH, HURD_REG_FS, HURD_REG_TERM };

/* The calling process's ports (image globals, as glibc's _hurd_ports). */
enum hurd_portname { HURD_PORT_PROC, HURD_PORT_AUTH, HURD_PORT_CRDIR, HURD_PORT_CWDIR,
                 HURD_PORT_CTTY, HURD_NPORTS };
mach_port_t hurd_port(enum hurd_portname which);
pid_t hurd_pid(void);               /* from proc_getpids at start */

/* --- Inspection, for tests (host or thread) ------------------------------------------------- */

sim_task *hurd_server_task(enum hurd_server which);

/* The proc server's entry for pid, in its own terms (names in the proc server's space). */
typedef struct hurd_proc_info {
    pid_t pid, ppid, pgrp;
    mach_port_t task;       /* proc's name for the task port */
    mach_port_t port;       /* proc's receive right for the proc port (NULL once dead) */
    mach_port_t msgport;
    bool dead, parentset, deadmsg, exiting, stopped, waited;
    int status, sigcode;
    vm_address_t argv, envp;
} hurd_proc_info;
bool hurd_proc_peek(pid_t pid, hurd_proc_info *out);
/* The pid of the entry whose task the proc server names `task_name` (0 if none). */
pid_t hurd_proc_pid_of_task(ktask_t *task);
/* The proc server's notify (generic) port: a port in its set that is not a proc port (P3). */
mach_port_t hurd_proc_notify_port(void);
/* Requests the proc server holds for a later reply (wait, getmsgport). */
unsigned hurd_proc_pending(void);
/* The (pid, pgrp) a ctty port (by port id) was opened for by term_open_ctty; false if the
 * term server never made that port. */
bool hurd_term_ctty_peek(uint32_t port_id, pid_t *pid, pid_t *pgrp);
/* The port ids of the console's io port (the one term_open_ctty and term_getctty serve) and
 * of its ctty id port; 0 before boot. */
enum hurd_term_port { HURD_TERM_IO, HURD_TERM_CTTYID };
uint32_t hurd_term_port_id(enum hurd_term_port which);

#endif
