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
#define HURD_CLD_CONTINUED 6
#define HURD_W_CONTINUED 0xffff

/* --- The init ports and ints a program is started with (the Hurd's hurd/hurd_types.h) ------- */

enum hurd_init_port { HURD_INIT_PORT_CWDIR, HURD_INIT_PORT_CRDIR, HURD_INIT_PORT_AUTH,
                      HURD_INIT_PORT_PROC, HURD_INIT_PORT_CTTYID, HURD_INIT_PORT_BOOTSTRAP,
                      HURD_INIT_PORT_MAX };
enum hurd_init_int { HURD_INIT_UMASK, HURD_INIT_SIGMASK, HURD_INIT_SIGIGN, HURD_INIT_SIGPENDING,
                     HURD_INIT_TRACEMASK, HURD_INIT_INT_MAX };

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
#define PROC_ID_MARK_CONT         24024
#define PROC_ID_MARK_EXIT         24025
#define PROC_ID_PID2TASK          24029
#define PROC_ID_TASK2PID          24030
#define PROC_ID_TASK2PROC         24031
#define PROC_ID_GETSIDPORT        24046
#define PROC_ID_GETPGRPPIDS       24049     /* after setpgrp, getpgrp */
#define TASK_NOTIFY_ID_NEW_TASK   4400      /* task_notify.defs: mach_notify_new_task (P1) */
#define MSG_ID_SIG_POST           23000
#define MSG_ID_PROC_NEWIDS        23001
#define TERM_ID_GETCTTY           28000     /* term.defs: subsystem 28000, getctty, open_ctty */
#define TERM_ID_OPEN_CTTY         28001
#define FS_ID_GETROOT             29000     /* forksim's own: the root directory port */
#define FS_ID_SET_EXEC            29001     /* forksim's own: startup gives fs the exec server */
#define FS_ID_FILE_EXEC           20000     /* fs.defs: subsystem 20000, routine 0 */
#define FS_ID_DIR_LOOKUP          20018     /* fs.defs: routine 18 */
#define FS_ID_FILE_EXEC_PATHS     20034     /* fs.defs: routine 34 (after two skips) */
#define IO_ID_READ                21001     /* io.defs: subsystem 21000, io_write 0, io_read 1 */
#define EXEC_ID_EXEC              30000     /* exec.defs: subsystem 30000, exec_exec */
#define EXEC_ID_EXEC_PATHS        30004     /* exec.defs: after skip, exec_init, setexecdata */
#define EXEC_STARTUP_ID_GET_INFO  30500     /* exec_startup.defs: subsystem 30500, routine 0 */
#define INTERRUPT_ID_OPERATION    33000     /* interrupt.defs: subsystem 33000, routine 0 */

/* exec flags (the Hurd's hurd_types.h) and open modes (the Hurd's fcntl.h: O_READ, O_EXEC). */
#define HURD_EXEC_NEWTASK  0x1
#define HURD_EXEC_SECURE   0x2
#define HURD_EXEC_DEFAULTS 0x4
#define HURD_EXEC_SIGTRAP  0x8
#define HURD_O_READ  0x1
#define HURD_O_WRITE 0x2
#define HURD_O_EXEC  0x4
/* dir_lookup's retry type (hurd_types.h: enum retry_type) */
#define HURD_FS_RETRY_NORMAL 1

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
kern_return_t __proc_mark_cont(mach_port_t process);
kern_return_t __proc_getsidport(mach_port_t process, mach_port_t *sessport);
kern_return_t __proc_wait(mach_port_t process, pid_t pid, int options, int *status,
                          int *sigcode, rusage_t *rusage, pid_t *pid_status);
kern_return_t __proc_getpgrppids(mach_port_t process, pid_t pgrp, pid_t **pidset,
                                 mach_msg_type_number_t *pidsetCnt);

/* msg.defs: msg_sig_post waits for the reply (23100); msg_proc_newids is sent one-way, as the
 * proc server sends it (no reply port). */
kern_return_t __msg_sig_post(mach_port_t process, int signal, natural_t sigcode, mach_port_t refport);
kern_return_t __msg_proc_newids(mach_port_t process, mach_port_t task, pid_t ppid, pid_t pgrp,
                                int orphaned);

/* term.defs: a new ctty port of the terminal for (pid, pgrp), as MOVE_SEND. */
kern_return_t __term_open_ctty(mach_port_t terminal, pid_t pid, pid_t pgrp, mach_port_t *newtty);
/* term.defs: the terminal's ctty id port (a new send right); any other port says MIG_BAD_ID. */
kern_return_t __term_getctty(mach_port_t terminal, mach_port_t *cttyid);
/* forksim's fs: a new send right to the root directory port. */
kern_return_t __fs_getroot(mach_port_t fs, mach_port_t *root);
/* forksim's fs: the exec server's port for the file system to hand execs to (COPY_SEND). */
kern_return_t __fs_set_exec(mach_port_t fs, mach_port_t execserver);

/* fs.defs, io.defs, exec.defs, exec_startup.defs and interrupt.defs (sim/hurd/hurd.stubs):
 * the prototypes of the stubs MIG generates for glibc (const_* types as const pointers). The
 * arrays travel inline, or out of line past MIG's inline bound or the message's room (sim/kern/
 * mig.h, docs/exec-rules.md EX20). */
kern_return_t __dir_lookup(mach_port_t start_dir, const char *file_name, int flags,
                           mode_t mode, int *do_retry, char *retry_name, mach_port_t *result);
kern_return_t __file_exec_paths(mach_port_t exec_file, mach_port_t exec_task, int flags,
                                const char *path, const char *abspath,
                                const char *argv, mach_msg_type_number_t argvCnt,
                                const char *envp, mach_msg_type_number_t envpCnt,
                                const mach_port_t *fdarray, mach_msg_type_name_t fdarrayPoly,
                                mach_msg_type_number_t fdarrayCnt,
                                const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                                mach_msg_type_number_t portarrayCnt,
                                const int *intarray, mach_msg_type_number_t intarrayCnt,
                                const mach_port_t *deallocnames,
                                mach_msg_type_number_t deallocnamesCnt,
                                const mach_port_t *destroynames,
                                mach_msg_type_number_t destroynamesCnt);
kern_return_t __file_exec(mach_port_t exec_file, mach_port_t exec_task, int flags,
                          const char *argv, mach_msg_type_number_t argvCnt,
                          const char *envp, mach_msg_type_number_t envpCnt,
                          const mach_port_t *fdarray, mach_msg_type_name_t fdarrayPoly,
                          mach_msg_type_number_t fdarrayCnt,
                          const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                          mach_msg_type_number_t portarrayCnt,
                          const int *intarray, mach_msg_type_number_t intarrayCnt,
                          const mach_port_t *deallocnames, mach_msg_type_number_t deallocnamesCnt,
                          const mach_port_t *destroynames, mach_msg_type_number_t destroynamesCnt);
kern_return_t __exec_exec_paths(mach_port_t execserver, mach_port_t file,
                                mach_msg_type_name_t filePoly, mach_port_t oldtask, int flags,
                                const char *path, const char *abspath,
                                const char *argv, mach_msg_type_number_t argvCnt,
                                const char *envp, mach_msg_type_number_t envpCnt,
                                const mach_port_t *dtable, mach_msg_type_name_t dtablePoly,
                                mach_msg_type_number_t dtableCnt,
                                const mach_port_t *portarray, mach_msg_type_name_t portarrayPoly,
                                mach_msg_type_number_t portarrayCnt,
                                const int *intarray, mach_msg_type_number_t intarrayCnt,
                                const mach_port_t *deallocnames,
                                mach_msg_type_number_t deallocnamesCnt,
                                const mach_port_t *destroynames,
                                mach_msg_type_number_t destroynamesCnt);
/* io.defs io_read and exec_startup.defs exec_startup_get_info, with MIG's out-array rule: *x
 * points at the caller's buffer of *xCnt elements, filled when the reply fits (a reply that
 * came inline; one that came out of line replaces *x with the region placed in the caller's
 * space, the caller's now: EX20); *xCnt gets the count. io_read: at most
 * amount bytes from offset (-1: the file pointer). get_info: what the exec server stored for
 * the new program, on its bootstrap port. */
kern_return_t __io_read(mach_port_t io_object, char **data, mach_msg_type_number_t *dataCnt,
                        long long offset, vm_size_t amount);
kern_return_t __exec_startup_get_info(mach_port_t bootstrap, vm_address_t *user_entry,
                                      vm_address_t *phdr_data, vm_size_t *phdr_size,
                                      vm_address_t *stack_base, vm_size_t *stack_size, int *flags,
                                      char **argv, mach_msg_type_number_t *argvCnt,
                                      char **envp, mach_msg_type_number_t *envpCnt,
                                      mach_port_t **dtable, mach_msg_type_number_t *dtableCnt,
                                      mach_port_t **portarray,
                                      mach_msg_type_number_t *portarrayCnt,
                                      int **intarray, mach_msg_type_number_t *intarrayCnt);
/* interrupt.defs: a routine with a waittime (MACH_RCV_TIMEOUT, timeout ms). */
kern_return_t __interrupt_operation(mach_port_t object, mach_msg_timeout_t timeout);

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

enum hurd_server { HURD_SRV_PROC, HURD_SRV_AUTH, HURD_SRV_FS, HURD_SRV_TERM, HURD_SRV_EXEC,
                   HURD_NSERVERS };

/* Starts the server tasks and a startup task that hands their ports to new processes, and
 * runs the simulation until they wait for requests (call after kern_open, before the test's
 * own threads). Returns 0, or -1 if the boot run did not end cleanly. */
int hurd_boot(void);
/* hurd_boot with options: HURD_BOOT_EXEC also starts the exec server (its task after the
 * term server's, before startup's: the task numbers of a run without it are unchanged), whose
 * port startup gives the fs server (fs_set_exec). */
#define HURD_BOOT_EXEC 0x1
int hurd_boot_ex(unsigned options);

/* --- Programs and exec (sim/hurd/srv_fs.c, srv_exec.c) -------------------------------------- */

/* A program file of the simulated root file system: dir_lookup of path (absolute, "/bin/true")
 * gives a file port; exec of it starts a thread in the task at entry(arg) (host code that
 * runs glibc's start-up, forkimpl/). Call after hurd_boot_ex; at most 16. Returns 0, -1 when
 * full. */
int hurd_program_add(const char *path, void (*entry)(void *), void *arg);
/* Called by the exec server once it is committed to an exec (exec/exec.c: "We are now
 * committed"), before the old threads and address space go: the task's sim id, the ints of
 * the request and the names it will destroy in the task (forkimpl notes the signals the old
 * program had pending that the ints do not carry, and those still queued on a message port
 * about to be destroyed). NULL: none. */
void hurd_set_exec_commit_hook(void (*hook)(int task_id, const uint32_t *ints, unsigned nints,
                                            const uint32_t *destroy, unsigned ndestroy));

/* --- Delayed replies and interrupt_operation (sim/hurd/srv_loop.c) -------------------------- */

/* Server which holds each request of routine id it receives for ms milliseconds of the
 * virtual clock (SIM_FOREVER: until interrupted) before it serves it; an interrupt_operation
 * on the request's port meanwhile cancels it: the request answers EINTR, its rights are
 * destroyed (M11). Kept until hurd_server_delays_clear or the next boot; at most 8. Returns 0,
 * -1 when full. Host or thread. */
int hurd_server_delay(enum hurd_server which, mach_msg_id_t id, uint64_t ms);
/* The same, once (the next such request only), for a request that holds the server's global
 * lock while it is slow, as every request of the Hurd's proc does (proc/main.c,
 * message_demuxer locks global_lock around each routine, interrupt_operation's too): an
 * interrupt_operation on its port waits until it has been served, and does not cancel it (its
 * routine never looks at cancellation). Other requests are served meanwhile (forksim's rule:
 * the slow request is one that waited for the lock behind them). */
int hurd_server_delay_locked(enum hurd_server which, mach_msg_id_t id, uint64_t ms);
/* hurd_server_delay_locked for the proc server's routine of that name (proc_task2pid, ...):
 * 0, or -1 when routine is not one of proc's. */
int hurd_proc_delay_reply(const char *routine, uint64_t ms);
void hurd_server_delays_clear(void);
/* Requests server which holds now (delayed, not yet served). */
unsigned hurd_server_held(enum hurd_server which);

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
