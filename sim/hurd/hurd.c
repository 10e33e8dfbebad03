/*
 * hurd.c: booting the simulated Hurd and starting simulated processes.
 *
 * hurd_boot starts one task per server (proc, auth, fs, term, and with HURD_BOOT_EXEC exec,
 * whose port startup hands the fs server), each with one daemon thread
 * running its server loop, and runs them until they wait for requests. Then a startup task
 * (the Hurd's pid 2 stands behind it) is given send rights to the servers' tasks, as a boot
 * loader would, takes send rights to their ports with mach_port_extract_right, and leaves them
 * where the kernel hands them to its child tasks (K1): init's proc port as its bootstrap port,
 * auth, fs and term as its registered ports. A process from hurd_spawn is a child task of
 * startup: its first thread finds those ports, asks proc for its own proc port
 * (proc_task2proc), its directories from fs and its ctty from term, then runs the program.
 * Everything after the boot loader's handing over of task ports is RPCs of simulated threads.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <string.h>

#define SPAWN_MAX 64

typedef struct spawn {
    int (*fn)(void *);
    void *arg;
} spawn_t;

SIM_WORLD_STATE static struct hurd {     /* world state (sim/rt/snapshot.c) */
    sim_task *srv[HURD_NSERVERS];
    sim_task *startup;
    mach_port_t srv_task[HURD_NSERVERS]; /* startup's names for the servers' task ports */
    bool startup_done;
    bool with_exec;
    spawn_t spawns[SPAWN_MAX];
    int nspawn;
} H;

/* The process's ports, one copy per task image (glibc's _hurd_ports, _hurd_pid). */
SIM_GLOBAL static mach_port_t hurd_ports_[HURD_NPORTS];
SIM_GLOBAL static pid_t hurd_pid_;

mach_port_t hurd_port(enum hurd_portname which) { return hurd_ports_[which]; }
pid_t hurd_pid(void) { return hurd_pid_; }
sim_task *hurd_server_task(enum hurd_server which) { return H.srv[which]; }

static mach_port_t take_send_right(mach_port_t task, mach_port_t name)
{
    mach_port_t p = MACH_PORT_NULL;
    mach_msg_type_name_t t;
    __mach_port_extract_right(task, name, MACH_MSG_TYPE_MAKE_SEND, &p, &t);
    return p;
}

static void startup_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    mach_port_t boot = take_send_right(H.srv_task[HURD_SRV_PROC], proc_server_boot_port());
    __task_set_special_port(self, TASK_BOOTSTRAP_PORT, boot);
    __mach_port_deallocate(self, boot);
    mach_port_t reg[TASK_PORT_REGISTER_MAX] = {
        take_send_right(H.srv_task[HURD_SRV_AUTH], auth_server_port()),
        take_send_right(H.srv_task[HURD_SRV_FS], fs_server_port()),
        take_send_right(H.srv_task[HURD_SRV_TERM], term_server_port()),
        MACH_PORT_NULL,
    };
    __mach_ports_register(self, reg, TASK_PORT_REGISTER_MAX);
    if (H.with_exec) {
        /* The file system's exec server (libdiskfs looks up /servers/exec for it). */
        mach_port_t exec = take_send_right(H.srv_task[HURD_SRV_EXEC], exec_server_port());
        __fs_set_exec(reg[1], exec);
        __mach_port_deallocate(self, exec);
    }
    for (int i = 0; i < 3; i++)
        __mach_port_deallocate(self, reg[i]);
    H.startup_done = true;
}

/* The routines of the Hurd's interfaces the simulated servers speak, by message id (servers.h;
 * a reply's id is its request's + 100), for the trace. */
static const char *hurd_msg_id_name(mach_msg_id_t id)
{
    static const struct {
        mach_msg_id_t id;
        const char *request, *reply;
    } ids[] = {
        {PROC_ID_CHILD, "proc_child", "proc_child reply"},
        {PROC_ID_SETMSGPORT, "proc_setmsgport", "proc_setmsgport reply"},
        {PROC_ID_GETPIDS, "proc_getpids", "proc_getpids reply"},
        {PROC_ID_SET_ARG_LOCATIONS, "proc_set_arg_locations", "proc_set_arg_locations reply"},
        {PROC_ID_GET_ARG_LOCATIONS, "proc_get_arg_locations", "proc_get_arg_locations reply"},
        {PROC_ID_GETMSGPORT, "proc_getmsgport", "proc_getmsgport reply"},
        {PROC_ID_WAIT, "proc_wait", "proc_wait reply"},
        {PROC_ID_DOSTOP, "proc_dostop", "proc_dostop reply"},
        {PROC_ID_MARK_STOP, "proc_mark_stop", "proc_mark_stop reply"},
        {PROC_ID_MARK_EXIT, "proc_mark_exit", "proc_mark_exit reply"},
        {PROC_ID_MARK_CONT, "proc_mark_cont", "proc_mark_cont reply"},
        {PROC_ID_GETSIDPORT, "proc_getsidport", "proc_getsidport reply"},
        {PROC_ID_GETPGRPPIDS, "proc_getpgrppids", "proc_getpgrppids reply"},
        {PROC_ID_PID2TASK, "proc_pid2task", "proc_pid2task reply"},
        {PROC_ID_TASK2PID, "proc_task2pid", "proc_task2pid reply"},
        {PROC_ID_TASK2PROC, "proc_task2proc", "proc_task2proc reply"},
        {MSG_ID_SIG_POST, "msg_sig_post", "msg_sig_post reply"},
        {MSG_ID_PROC_NEWIDS, "msg_proc_newids", "msg_proc_newids reply"},
        {TERM_ID_GETCTTY, "term_getctty", "term_getctty reply"},
        {TERM_ID_OPEN_CTTY, "term_open_ctty", "term_open_ctty reply"},
        {FS_ID_GETROOT, "fs_getroot", "fs_getroot reply"},
        {FS_ID_SET_EXEC, "fs_set_exec", "fs_set_exec reply"},
        {FS_ID_FILE_EXEC, "file_exec", "file_exec reply"},
        {FS_ID_DIR_LOOKUP, "dir_lookup", "dir_lookup reply"},
        {FS_ID_FILE_EXEC_PATHS, "file_exec_paths", "file_exec_paths reply"},
        {IO_ID_READ, "io_read", "io_read reply"},
        {EXEC_ID_EXEC, "exec_exec", "exec_exec reply"},
        {EXEC_ID_EXEC_PATHS, "exec_exec_paths", "exec_exec_paths reply"},
        {EXEC_STARTUP_ID_GET_INFO, "exec_startup_get_info", "exec_startup_get_info reply"},
        {INTERRUPT_ID_OPERATION, "interrupt_operation", "interrupt_operation reply"},
        {2400, "exception_raise", "exception_raise reply"}, /* GNU Mach's exc.defs */
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (ids[i].id == id)
            return ids[i].request;
        if (ids[i].id + 100 == id)
            return ids[i].reply;
    }
    return NULL;
}

int hurd_boot(void)
{
    return hurd_boot_ex(0);
}

int hurd_boot_ex(unsigned options)
{
    memset(&H, 0, sizeof H);
    H.with_exec = (options & HURD_BOOT_EXEC) != 0;
    kern_set_msg_id_fn(hurd_msg_id_name);
    proc_server_reset();
    minor_servers_reset();
    fs_server_reset();
    exec_server_reset();
    hurd_loop_reset();
    static void (*const mains[HURD_NSERVERS])(void *) = {
        [HURD_SRV_PROC] = proc_server_main,
        [HURD_SRV_AUTH] = auth_server_main,
        [HURD_SRV_FS] = fs_server_main,
        [HURD_SRV_TERM] = term_server_main,
        [HURD_SRV_EXEC] = exec_server_main,
    };
    int nservers = H.with_exec ? HURD_NSERVERS : HURD_SRV_EXEC;
    for (int i = 0; i < nservers; i++) {
        sim_thread *th;
        H.srv[i] = kern_boot_host_task(mains[i], NULL, &th); /* host code: no image to swap */
        sim_thread_set_daemon(th, true);
    }
    if (sim_run() != SIM_OK)
        return -1;
    H.startup = kern_boot_task(startup_main, NULL, NULL);
    for (int i = 0; i < nservers; i++)
        H.srv_task[i] = world_give_task_port(kern_ktask(H.startup), kern_ktask(H.srv[i]));
    if (sim_run() != SIM_OK || !H.startup_done)
        return -1;
    return 0;
}

/* A process's first thread: the start-up, the program, then _exit. */
static void spawn_main(void *arg)
{
    spawn_t *s = arg;
    mach_port_t self = __mach_task_self();
    mach_port_t boot = MACH_PORT_NULL;
    __task_get_special_port(self, TASK_BOOTSTRAP_PORT, &boot);
    __proc_task2proc(boot, self, &hurd_ports_[HURD_PORT_PROC]);
    __mach_port_deallocate(self, boot);
    pid_t ppid;
    int orphaned;
    __proc_getpids(hurd_ports_[HURD_PORT_PROC], &hurd_pid_, &ppid, &orphaned);
    mach_port_t *reg = NULL;
    mach_msg_type_number_t n = 0;
    __mach_ports_lookup(self, &reg, &n);
    hurd_ports_[HURD_PORT_AUTH] = reg[0];
    __fs_getroot(reg[1], &hurd_ports_[HURD_PORT_CRDIR]);
    __fs_getroot(reg[1], &hurd_ports_[HURD_PORT_CWDIR]);
    /* A new process is in init's process group, 1 (P1). */
    __term_open_ctty(reg[2], hurd_pid_, 1, &hurd_ports_[HURD_PORT_CTTY]);
    __mach_port_deallocate(self, reg[1]);
    __mach_port_deallocate(self, reg[2]);
    __vm_deallocate(self, (vm_address_t)reg, n * sizeof *reg);
    __mach_port_deallocate(self, self);
    int v = s->fn(s->arg);
    self = __mach_task_self();
    __proc_mark_exit(hurd_ports_[HURD_PORT_PROC], HURD_W_EXITCODE(v, 0), 0);
    __task_terminate(self);
}

sim_task *hurd_spawn(int (*fn)(void *), void *arg, sim_thread **thp)
{
    if (H.startup == NULL || H.nspawn == SPAWN_MAX)
        kern_unmodelled("hurd_spawn before hurd_boot, or more than SPAWN_MAX processes");
    spawn_t *s = &H.spawns[H.nspawn++];
    s->fn = fn;
    s->arg = arg;
    /* kern_boot_task, with startup as the parent the task inherits its ports from. */
    sim_task *task = sim_task_create(NULL, 0);
    ktask_t *kt = world_boot_task(kern_world(), kern_ktask(H.startup));
    sim_task_set_ktask(task, kt);
    ktask_set_user(kt, task);
    kthread_t *kth = world_boot_thread(kt);
    sim_thread *th = sim_thread_spawn(task, spawn_main, s);
    sim_thread_set_kthread(th, kth);
    kthread_set_user(kth, th);
    if (thp != NULL)
        *thp = th;
    return task;
}
