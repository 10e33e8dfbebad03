/*
 * test_exec.c: exec on the simulated Hurd: the fs server's dir_lookup and file_exec_paths
 * (sim/hurd/srv_fs.c), the exec server (srv_exec.c), the built-in programs and their start
 * (forkimpl/programs.c, exec.c), and interrupt_operation with delayed replies (srv_loop.c).
 * Rules EX1-EX14, EX18 and EX20 (exec_startup_get_info's arrays: out of line, and given back
 * where glibc's start-up gives them back) of docs/exec-rules.md.
 *
 * A process forks with glibc's real _Fork and the child execs the way glibc's hurd/hurdexec.c
 * (_hurd_exec_paths) does: the ports array from its port cells, the descriptors from its
 * table (ctty ports to deallocate), the ints given by the test, the names to deallocate (ports,
 * descriptors) and to destroy (every other name mach_port_names lists). What the child passed
 * is recorded in host memory before the call; what the task holds at the exec server's
 * thread_create (after the old program is gone, before the new one runs) is recorded by an RPC
 * observer; what the new program started with, by the program's start-up (fi_execs). Each
 * expected value comes from the rules and the recorded input, never from a run.
 */
#include "servers.h"
#include "forkimpl.h"
#include "kern.h"
#include "mig.h"
#include "shim/hurd/fd.h"
#include "testlib.h"

#include <stdio.h>
#include <string.h>

kern_return_t __task_get_special_port(mach_port_t task, int which, mach_port_t *port);
kern_return_t __thread_terminate(mach_port_t thread);
mach_port_t mach_task_self(void); /* the trap (sim/kern/mig_mach.c); glibc's macro shadows __ */

#define MAXN 256

/* What the exec request carried, as the child built it. */
typedef struct exec_input {
    int ints[HURD_INIT_INT_MAX];
    mach_port_t ports[INIT_PORT_MAX];
    uint32_t port_ids[INIT_PORT_MAX];
    uint32_t bootstrap_id;          /* the task's bootstrap port before the exec */
    mach_port_t dtable[16];
    uint32_t dtable_ids[16];
    unsigned ndtable;
    mach_port_t dealloc[64];
    unsigned ndealloc;
    mach_port_t destroy[MAXN];
    unsigned ndestroy;
    name_info_t before[MAXN];       /* each dealloc name's entry just before the call */
    size_t threads;                 /* the child's threads just before the call */
    int task;                       /* its sim task id */
} exec_input;

/* What the task held at the exec server's thread_create (the RPC observer). */
typedef struct exec_seen {
    bool observed;
    size_t old_threads;             /* at the exec server's task_threads */
    size_t threads;                 /* at its thread_create: the new thread only */
    snapshot_t names;
} exec_seen;

static struct {
    exec_input in;
    exec_seen at;
    const char *path;
    int open_flags, exec_flags;
    kern_return_t exec_kr;          /* file_exec_paths' result when it returns (a failure) */
    pid_t child;
    kern_return_t wait_kr;
    int status;
    pid_t waited;
    kern_return_t wait_kr2, intr_kr;
    int status2;
    mach_port_t file;               /* the child's file port, for its helper thread */
    bool use_file_exec;             /* the deprecated file_exec (id 20000) */
    int exec_task_id;
    const char *argv, *envp;        /* the request's argv and envp (NULL: empty) */
    unsigned nargv, nenvp;          /* their bytes */
} T;

static FILE *trace;
static char *trace_buf;
static size_t trace_len;

/* --- the run ------------------------------------------------------------------------------ */

static void observe(const kern_rpc_note *note, void *arg)
{
    (void)arg;
    if (note->task != T.exec_task_id || T.in.task == 0)
        return;
    sim_task *child = sim_task_by_id(T.in.task);
    if (child == NULL)
        return;
    ktask_t *kt = kern_ktask(child);
    kthread_t *th[16];
    if (strcmp(note->routine, "task_threads") == 0)
        T.at.old_threads = ktask_threads_list(kt, th, 16);
    if (strcmp(note->routine, "thread_create") == 0 && !T.at.observed) {
        T.at.observed = true;
        T.at.threads = ktask_threads_list(kt, th, 16);
        snapshot_take(kt, &T.at.names);
    }
}

static void boot(unsigned policy)
{
    memset(&T, 0, sizeof T);
    fi_aborts_reset();
    fi_execs_reset();
    trace = open_memstream(&trace_buf, &trace_len);
    kern_config cfg = {.sim = {.policy = policy}, .trace = trace};
    assert_int_equal(kern_open(&cfg), 0);
    fi_install();
    fi_set_fork_variant(FI_FORK_GLIBC);
    assert_int_equal(hurd_boot_ex(HURD_BOOT_EXEC), 0);
    assert_int_equal(fi_programs_install(), 0);
    T.exec_task_id = sim_task_id(hurd_server_task(HURD_SRV_EXEC));
    kern_set_rpc_observer(observe, NULL);
}

static void run_ok(void)
{
    enum sim_result res = sim_run();
    if (res != SIM_OK)
        print_error("sim_run: %s\n", sim_report());
    assert_int_equal(res, SIM_OK);
    const fi_abort_record *ab;
    unsigned naborts = fi_aborts(&ab);
    for (unsigned i = 0; i < naborts; i++)
        print_error("abort in task %d at %s: %s (0x%x)\n", ab[i].task, ab[i].site, ab[i].what,
                    ab[i].err);
    assert_int_equal(naborts, 0);
    check_model_clean(kern_world());
    fflush(trace);
}

static void finish(void)
{
    kern_set_rpc_observer(NULL, NULL);
    size_t left = kern_close();
    fclose(trace);
    trace = NULL;
    if (getenv("FORKSIM_DUMP"))
        fputs(trace_buf, stderr);
    free(trace_buf);
    assert_int_equal(left, 0);
}

/* After a failed assertion the run is still open: close it so the next test can boot. */
static int close_left(void **state)
{
    (void)state;
    kern_set_rpc_observer(NULL, NULL);
    kern_close();
    if (trace != NULL) {
        fclose(trace);
        if (getenv("FORKSIM_DUMP"))
            fputs(trace_buf, stderr);
        free(trace_buf);
        trace = NULL;
    }
    return 0;
}

/* --- in the simulated processes ------------------------------------------------------------ */

static uint32_t id_of(mach_port_t name)
{
    name_info_t info;
    return space_peek(kthread_task(kern_self()), name, &info) ? info.port_id : 0;
}

static void add_unique(mach_port_t *v, unsigned *n, unsigned max, mach_port_t name)
{
    if (*n < max)
        v[(*n)++] = name;
}

/* _hurd_exec_paths' packing (hurdexec.c: ports, ints, dtable with FD_CLOEXEC dropped and ctty
 * ports to deallocate, pruned; please_dealloc; portnames from mach_port_names less the ports
 * and descriptors), then file_exec_paths. Returns only on failure, with its code. */
static kern_return_t exec_as_hurdexec(const char *path, int open_flags, int exec_flags)
{
    mach_port_t self = __mach_task_self_;
    exec_input *in = &T.in;
    int retry;
    char rname[1024];
    mach_port_t file = MACH_PORT_NULL;
    kern_return_t kr = __dir_lookup(_hurd_ports[INIT_PORT_CRDIR].port, path, open_flags, 0,
                                    &retry, rname, &file);
    if (kr != KERN_SUCCESS)
        return kr;
    T.file = file;
    mach_port_t boot = MACH_PORT_NULL;
    __task_get_special_port(self, TASK_BOOTSTRAP_PORT, &boot);
    in->bootstrap_id = id_of(boot);
    __mach_port_deallocate(self, boot);
    for (int i = 0; i < INIT_PORT_MAX; i++) {
        in->ports[i] = _hurd_ports[i].port;
        in->port_ids[i] = id_of(in->ports[i]);
    }
    for (int i = 0; i < _hurd_dtablesize && i < 16; i++) {
        struct hurd_fd *d = _hurd_dtable[i];
        in->dtable[i] = MACH_PORT_NULL;
        if (d == NULL)
            continue;
        if (d->flags & FD_CLOEXEC) {
            if (d->port.port != MACH_PORT_NULL) {
                add_unique(in->dealloc, &in->ndealloc, 64, d->port.port);
                if (d->ctty.port != MACH_PORT_NULL)
                    add_unique(in->dealloc, &in->ndealloc, 64, d->ctty.port);
            }
            continue;
        }
        if (d->ctty.port != MACH_PORT_NULL)
            add_unique(in->dealloc, &in->ndealloc, 64, d->ctty.port);
        in->dtable[i] = d->port.port;
    }
    in->ndtable = _hurd_dtablesize < 16 ? (unsigned)_hurd_dtablesize : 16;
    while (in->ndtable > 0 && in->dtable[in->ndtable - 1] == MACH_PORT_NULL)
        in->ndtable--;
    for (unsigned i = 0; i < in->ndtable; i++)
        in->dtable_ids[i] = id_of(in->dtable[i]);
    mach_port_t *names = NULL;
    mach_port_type_t *types = NULL;
    mach_msg_type_number_t nnames = 0, ntypes = 0;
    assert_int_equal(__mach_port_names(self, &names, &nnames, &types, &ntypes), KERN_SUCCESS);
    for (int i = 0; i < INIT_PORT_MAX; i++)
        if (in->ports[i] != MACH_PORT_NULL) {
            add_unique(in->dealloc, &in->ndealloc, 64, in->ports[i]);
            for (unsigned j = 0; j < nnames; j++)
                if (names[j] == in->ports[i])
                    names[j] = MACH_PORT_NULL;
        }
    for (unsigned i = 0; i < in->ndtable; i++)
        if (in->dtable[i] != MACH_PORT_NULL) {
            add_unique(in->dealloc, &in->ndealloc, 64, in->dtable[i]);
            for (unsigned j = 0; j < nnames; j++)
                if (names[j] == in->dtable[i])
                    names[j] = MACH_PORT_NULL;
        }
    for (unsigned j = 0; j < nnames; j++)
        if (names[j] != MACH_PORT_NULL && in->ndestroy < MAXN)
            in->destroy[in->ndestroy++] = names[j];
    ktask_t *kt = kthread_task(kern_self());
    for (unsigned i = 0; i < in->ndealloc; i++)
        if (!space_peek(kt, in->dealloc[i], &in->before[i]))
            memset(&in->before[i], 0, sizeof in->before[i]);
    kthread_t *th[16];
    in->threads = ktask_threads_list(kt, th, 16);
    in->task = sim_task_id(sim_task_self());
    if (T.use_file_exec)
        kr = __file_exec(file, self, exec_flags, T.argv ? T.argv : "", T.nargv,
                         T.envp ? T.envp : "", T.nenvp, in->dtable,
                         MACH_MSG_TYPE_COPY_SEND, in->ndtable, in->ports, MACH_MSG_TYPE_COPY_SEND,
                         INIT_PORT_MAX, in->ints, HURD_INIT_INT_MAX, in->dealloc, in->ndealloc,
                         in->destroy, in->ndestroy);
    else
        kr = __file_exec_paths(file, self, exec_flags, path, path, T.argv ? T.argv : "",
                               T.nargv, T.envp ? T.envp : "", T.nenvp, in->dtable,
                               MACH_MSG_TYPE_COPY_SEND, in->ndtable, in->ports,
                               MACH_MSG_TYPE_COPY_SEND, INIT_PORT_MAX, in->ints,
                               HURD_INIT_INT_MAX, in->dealloc, in->ndealloc, in->destroy,
                               in->ndestroy);
    /* Failed: everything is still the caller's. */
    __vm_deallocate(self, (vm_address_t)names, nnames * sizeof *names);
    __vm_deallocate(self, (vm_address_t)types, ntypes * sizeof *types);
    __mach_port_deallocate(self, file);
    in->task = 0;
    return kr;
}

static int wait_for(pid_t pid, int *status, pid_t *got)
{
    int sigcode = 0;
    rusage_t ru;
    return __proc_wait(_hurd_ports[INIT_PORT_PROC].port, pid, 0, status, &sigcode, &ru, got);
}

/* The parent: fork; the child execs T.path (exiting 100 + the low bits of the error if the
 * exec fails), the parent waits for it. */
static int fork_exec_main(void *arg)
{
    (void)arg;
    pid_t pid = fi_fork();
    if (pid == 0) {
        T.exec_kr = exec_as_hurdexec(T.path, T.open_flags, T.exec_flags);
        return 100 + (T.exec_kr & 0x7f);
    }
    T.child = pid;
    T.wait_kr = wait_for(pid, &T.status, &T.waited);
    return 0;
}

/* A second thread of the calling process running fn(arg) (thread_create, a start state, resume). */
static void start_thread(void (*fn)(void *), void *arg)
{
    mach_port_t th;
    assert_int_equal(__thread_create(__mach_task_self_, &th), KERN_SUCCESS);
    kern_thread_state ts;
    memset(&ts, 0, sizeof ts);
    ts.kind = KERN_STATE_CALL;
    ts.pc = (uintptr_t)fn;
    ts.arg = (uintptr_t)arg;
    assert_int_equal(__thread_set_state(th, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts,
                                        KERN_THREAD_STATE_COUNT), KERN_SUCCESS);
    assert_int_equal(__thread_resume(th), KERN_SUCCESS);
}

static void end_thread(void)
{
    __thread_terminate(__mach_thread_self());
}

/* --- checks ---------------------------------------------------------------------------------- */

static unsigned count_in(const mach_port_t *v, unsigned n, mach_port_t name)
{
    unsigned c = 0;
    for (unsigned i = 0; i < n; i++)
        c += v[i] == name;
    return c;
}

/* EX7: at the exec server's thread_create the old threads are gone (only the new one is
 * there), every name of destroynames is unused, every deallocnames name lost one uref per
 * listing, and nothing else is left: hurdexec listed every name. */
static void check_task_at_new_thread(void)
{
    const exec_input *in = &T.in;
    assert_true(T.at.observed);
    assert_int_equal(T.at.old_threads, in->threads); /* rule EX7: the old threads, all of them */
    assert_int_equal(T.at.threads, 1);               /* rule EX7: gone before the new one */
    for (unsigned i = 0; i < in->ndestroy; i++) {
        bool present = false;
        for (size_t k = 0; k < T.at.names.n; k++)
            present |= T.at.names.names[k] == in->destroy[i];
        assert_false(present); /* rule EX7: destroyed */
    }
    for (unsigned i = 0; i < in->ndealloc; i++) {
        mach_port_t n = in->dealloc[i];
        unsigned listed = count_in(in->dealloc, in->ndealloc, n);
        bool destroyed = count_in(in->destroy, in->ndestroy, n) > 0;
        mach_port_urefs_t want = destroyed || in->before[i].urefs <= listed
                                     ? 0 : in->before[i].urefs - listed;
        mach_port_urefs_t got = 0;
        for (size_t k = 0; k < T.at.names.n; k++)
            if (T.at.names.names[k] == n)
                got = T.at.names.info[k].urefs;
        assert_int_equal(got, want); /* rule EX7: deallocated once per listing */
    }
    for (size_t k = 0; k < T.at.names.n; k++) /* rule EX7: no name left that was not listed */
        assert_true(count_in(in->dealloc, in->ndealloc, T.at.names.names[k]) > 0);
}

/* EX8, EX9: the new program got the ports (the old task's bootstrap port for a null one) and
 * descriptors of the request, the same ports, and the ints, in the same task and process. */
static void check_program_start(const fi_exec_record *r)
{
    const exec_input *in = &T.in;
    assert_int_equal(r->task, in->task);   /* rule EX9: in the same task */
    assert_int_equal(r->pid, T.child);     /* rule EX9: the same process */
    assert_int_equal(r->nports, INIT_PORT_MAX);
    for (int i = 0; i < INIT_PORT_MAX; i++) {
        uint32_t want = i == INIT_PORT_BOOTSTRAP && in->ports[i] == MACH_PORT_NULL
                            ? in->bootstrap_id : in->port_ids[i];
        assert_int_equal(r->port_ids[i], want); /* rule EX8: the ports given */
    }
    assert_int_equal(r->ndtable, in->ndtable);
    for (unsigned i = 0; i < in->ndtable; i++)
        assert_int_equal(r->dtable_ids[i], in->dtable_ids[i]); /* rule EX8: the descriptors */
    assert_int_equal(r->nints, HURD_INIT_INT_MAX);
    for (int i = 0; i < HURD_INIT_INT_MAX; i++)
        assert_int_equal(r->ints[i], in->ints[i]); /* rule EX8: the ints */
}

/* EX4: the file system and the exec server keep nothing of an exec that went through: the
 * task, the descriptors, the ports, the file and the thread they got are released. What is
 * left of send rights, send-once rights and dead names is what each holds for good: its own
 * task port (mach_task_self), and for the file system its send right to the exec server
 * (fs_set_exec). */
static void check_rights_left(enum hurd_server which, size_t want)
{
    snapshot_t *s = malloc(sizeof *s);
    assert_non_null(s);
    snapshot_take(kern_ktask(hurd_server_task(which)), s);
    size_t held = 0;
    for (size_t k = 0; k < s->n; k++)
        held += (s->info[k].type & MACH_PORT_TYPE_RECEIVE) == 0 &&
                (s->info[k].type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE |
                                    MACH_PORT_TYPE_DEAD_NAME)) != 0;
    if (held != want)
        for (size_t k = 0; k < s->n; k++)
            print_error("server %d: name %u type %#x urefs %u port %u\n", which, s->names[k],
                        s->info[k].type, s->info[k].urefs, s->info[k].port_id);
    free(s);
    assert_int_equal(held, want); /* rule EX4 */
}

static bool trace_has(const char *s)
{
    return trace_buf != NULL && strstr(trace_buf, s) != NULL;
}

/* --- tests ---------------------------------------------------------------------------------- */

typedef struct lookup_seen {
    kern_return_t ok, missing, notdir, read;
    int retry;
    char retry_name[64];
    mach_port_t file;
    char contents[64];
    mach_msg_type_number_t ncontents;
} lookup_seen;
static lookup_seen L;

static int lookup_main(void *arg)
{
    (void)arg;
    mach_port_t root = _hurd_ports[INIT_PORT_CRDIR].port, f2;
    char rname[1024];
    int retry;
    L.ok = __dir_lookup(root, "bin/true", HURD_O_READ | HURD_O_EXEC, 0, &L.retry, rname, &L.file);
    snprintf(L.retry_name, sizeof L.retry_name, "%.60s", rname);
    L.missing = __dir_lookup(root, "bin/no-such-program", HURD_O_EXEC, 0, &retry, rname, &f2);
    L.notdir = __dir_lookup(L.file, "x", HURD_O_READ, 0, &retry, rname, &f2);
    char *p = L.contents;
    L.ncontents = sizeof L.contents;
    L.read = __io_read(L.file, &p, &L.ncontents, -1, sizeof L.contents);
    return 0;
}

/* EX1: a built-in program's path gives a file port; any other path ENOENT, as a file system
 * would; a file is no directory. */
static void test_EX1_lookup(void **state)
{
    (void)state;
    memset(&L, 0, sizeof L);
    boot(SIM_ROUND_ROBIN);
    fi_spawn(lookup_main, NULL, NULL);
    run_ok();
    assert_int_equal(L.ok, KERN_SUCCESS);                /* rule EX1 */
    assert_int_equal(L.retry, HURD_FS_RETRY_NORMAL);     /* rule EX1 */
    assert_string_equal(L.retry_name, "");               /* rule EX1 */
    assert_true(MACH_PORT_VALID(L.file));                /* rule EX1 */
    assert_int_equal(L.missing, HURD_ENOENT);            /* rule EX1 */
    assert_int_equal(L.notdir, HURD_ENOTDIR);            /* rule EX1 */
    assert_int_equal(L.read, KERN_SUCCESS);              /* rule EX6: the contents name it */
    assert_int_equal(L.ncontents, strlen("/bin/true"));
    assert_memory_equal(L.contents, "/bin/true", L.ncontents); /* rule EX6 */
    finish();
}

static void run_fork_exec(const char *path, int open_flags, int exec_flags, const int *ints)
{
    boot(SIM_ROUND_ROBIN);
    T.path = path;
    T.open_flags = open_flags;
    T.exec_flags = exec_flags;
    if (ints != NULL)
        memcpy(T.in.ints, ints, sizeof T.in.ints);
    fi_spawn(fork_exec_main, NULL, NULL);
    run_ok();
}

/* EX2-EX9: /bin/true in a forked child, as hurdexec.c execs: the old program is gone, the
 * names listed deallocated or destroyed, the new program has what was passed, and its exit is
 * the child's: proc_wait gives W_EXITCODE(0, 0) for the child's pid. One trace note. */
static void test_EX7_exec_true(void **state)
{
    (void)state;
    static const int ints[HURD_INIT_INT_MAX] = {022, 0, 0, 0, 0};
    run_fork_exec("/bin/true", HURD_O_EXEC, 0, ints);
    assert_int_equal(T.exec_kr, 0); /* file_exec_paths never returned in the child */
    check_task_at_new_thread(); /* rule EX7 */
    const fi_exec_record *r;
    assert_int_equal(fi_execs(&r), 1);
    assert_string_equal(r[0].path, "/bin/true");
    check_program_start(&r[0]); /* rules EX8 EX9 */
    assert_int_equal(T.wait_kr, KERN_SUCCESS);
    assert_int_equal(T.waited, T.child);
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 0)); /* rule EX9: /bin/true exits 0 */
    char note[64];
    snprintf(note, sizeof note, "# exec: /bin/true starts in t%d\n", T.in.task);
    assert_true(trace_has(note)); /* rule EX9: one note */
    check_rights_left(HURD_SRV_FS, 2);  /* rule EX4: its task port, the exec server's */
    check_rights_left(HURD_SRV_EXEC, 1); /* rule EX4: its task port */
    finish();
}

/* The deprecated file_exec (fs.defs routine 0) execs as file_exec_paths with empty paths. */
static void test_EX2_file_exec(void **state)
{
    (void)state;
    boot(SIM_ROUND_ROBIN);
    T.use_file_exec = true;
    T.path = "/bin/false";
    T.open_flags = HURD_O_EXEC;
    fi_spawn(fork_exec_main, NULL, NULL);
    run_ok();
    const fi_exec_record *r;
    assert_int_equal(fi_execs(&r), 1);
    assert_string_equal(r[0].path, "/bin/false");
    check_task_at_new_thread(); /* rules EX2 EX7 */
    check_program_start(&r[0]); /* rules EX2 EX8 */
    assert_int_equal(T.status, HURD_W_EXITCODE(1, 0)); /* rule EX2: /bin/false exits 1 */
    finish();
}

/* EX10 with _hurdsig_init's rule: the signals the new program reports blocked, pending and
 * ignored are the INIT_SIGMASK, INIT_SIGPENDING and INIT_SIGIGN ints it was given. The pending
 * one is blocked too: one pending and not blocked would end the program at start-up (EX18). */
static void test_EX10_sigreport(void **state)
{
    (void)state;
    int ints[HURD_INIT_INT_MAX] = {0};
    ints[HURD_INIT_UMASK] = 077;
    ints[HURD_INIT_SIGMASK] = 1 << (10 - 1) | 1 << (30 - 1); /* SIGBUS, SIGUSR1 */
    ints[HURD_INIT_SIGPENDING] = 1 << (30 - 1);  /* SIGUSR1 */
    ints[HURD_INIT_SIGIGN] = 1 << (2 - 1);       /* SIGINT */
    run_fork_exec("/bin/sigreport", HURD_O_EXEC, 0, ints);
    const fi_exec_record *r;
    assert_int_equal(fi_execs(&r), 1);
    check_program_start(&r[0]); /* rule EX8 */
    assert_int_equal(r[0].blocked, (unsigned)ints[HURD_INIT_SIGMASK]);     /* rule EX10 */
    assert_int_equal(r[0].pending, (unsigned)ints[HURD_INIT_SIGPENDING]);  /* rule EX10 */
    assert_int_equal(r[0].ignored, (unsigned)ints[HURD_INIT_SIGIGN]);      /* rule EX10 */
    char note[128];
    snprintf(note, sizeof note, "sigreport in t%d: blocked %#x, pending %#x, ignored %#x",
             T.in.task, ints[HURD_INIT_SIGMASK], ints[HURD_INIT_SIGPENDING],
             ints[HURD_INIT_SIGIGN]);
    assert_true(trace_has(note));
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 0));
    finish();
}

/* EX18: a signal the ints leave pending and not blocked (SIGUSR1, 30 on the Hurd, whose
 * default action in hurdsig.c's post_signal is term) is acted on in the new program's start-up,
 * before its main: _hurd_new_proc_init's _hurd_port_get of the proc port ends a critical
 * section, whose unlock (hurd/signal.h) sends the signal thread signal 0. So /bin/sigreport never
 * notes anything, the start-up record is never made, and the child's status is the signal's. A
 * blocked one (test_EX10_sigreport) is not acted on. */
static void test_EX18_inherited_pending_signal_acts_at_start(void **state)
{
    (void)state;
    int ints[HURD_INIT_INT_MAX] = {0};
    ints[HURD_INIT_SIGPENDING] = 1 << (30 - 1);  /* SIGUSR1, not blocked */
    run_fork_exec("/bin/sigreport", HURD_O_EXEC, 0, ints);
    assert_int_equal(fi_execs(NULL), 0);                       /* rule EX18: no main */
    assert_false(trace_has("sigreport in t"));                 /* rule EX18 */
    assert_true(trace_has("# signal SIGUSR1 to t"));
    assert_true(trace_has(": default terminate"));
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 30));        /* rule EX18 */
    finish();
}

/* EX3: a file opened without O_EXEC is refused with EBADF; the exec never starts, the caller
 * goes on (its exit status carries the error). EX5: EXEC_SECURE needs the standard ports and
 * ints nobody gave the exec server: EIEIO, before the task is touched. */
static void test_EX3_EX5_refused(void **state)
{
    (void)state;
    run_fork_exec("/bin/true", HURD_O_READ, 0, NULL);
    assert_int_equal(T.exec_kr, HURD_EBADF);                        /* rule EX3 */
    assert_int_equal(fi_execs(NULL), 0);
    assert_int_equal(T.status, HURD_W_EXITCODE(100 + (HURD_EBADF & 0x7f), 0));
    finish();
    run_fork_exec("/bin/true", HURD_O_EXEC, HURD_EXEC_SECURE, NULL);
    assert_int_equal(T.exec_kr, HURD_EIEIO);                        /* rule EX5 */
    assert_false(T.at.observed);                                    /* rule EX5: untouched */
    assert_int_equal(fi_execs(NULL), 0);
    assert_int_equal(T.status, HURD_W_EXITCODE(100 + (HURD_EIEIO & 0x7f), 0));
    finish();
}

/* --- interrupt_operation ----------------------------------------------------------------------- */

/* The parent's second thread: once its proc_wait is held in proc, interrupt_operation on the
 * parent's proc port. */
/* EX12 is the server's rule: proc answers an interrupted request EINTR. These two tests read
 * that answer with the bare MIG client (no glibc interruptible send: kern_set_intr_msg_fn
 * NULL), because glibc's own client (intr-msg.c) sends the request again while the thread's
 * intr_port is set (H11; tests/test_signals.c covers that path). */
static void bare_proc_client(void)
{
    kern_set_intr_msg_fn(NULL);
}

static void interrupt_wait(void *arg)
{
    (void)arg;
    while (hurd_proc_pending() == 0)
        sim_yield("test: wait for the proc_wait to block");
    T.intr_kr = __interrupt_operation(_hurd_ports[INIT_PORT_PROC].port, 1000);
    end_thread();
}

static int sigwait_parent_main(void *arg)
{
    (void)arg;
    pid_t pid = fi_fork();
    if (pid == 0) {
        T.exec_kr = exec_as_hurdexec("/bin/sigwait", HURD_O_EXEC, 0);
        return 100;
    }
    T.child = pid;
    while (fi_execs(NULL) == 0)
        sim_yield("test: wait for /bin/sigwait to start");
    start_thread(interrupt_wait, NULL);
    T.wait_kr = wait_for(pid, &T.status, &T.waited);
    /* SIGKILL as glibc's kill does it: proc_pid2task, task_terminate (P12). */
    mach_port_t task = MACH_PORT_NULL;
    if (__proc_pid2task(_hurd_ports[INIT_PORT_PROC].port, pid, &task) == KERN_SUCCESS)
        __task_terminate(task);
    T.wait_kr2 = wait_for(pid, &T.status2, &T.waited);
    return 0;
}

/* EX11, EX12: a proc_wait blocked in proc answers EINTR when interrupt_operation comes on the
 * same proc port; interrupt_operation itself answers 0. /bin/sigwait waits until a signal ends
 * it: SIGKILL does, and wait then reports it (P10: W_EXITCODE(0, SIGKILL)). */
static void test_EX12_wait_interrupted(void **state)
{
    (void)state;
    boot(SIM_ROUND_ROBIN);
    bare_proc_client();
    fi_spawn(sigwait_parent_main, NULL, NULL);
    run_ok();
    assert_int_equal(T.intr_kr, KERN_SUCCESS);                   /* rule EX11 */
    assert_int_equal(T.wait_kr, HURD_EINTR);                     /* rule EX12 */
    assert_int_equal(T.wait_kr2, KERN_SUCCESS);
    assert_int_equal(T.waited, T.child);
    assert_int_equal(T.status2, HURD_W_EXITCODE(0, HURD_SIGKILL)); /* rule P10 */
    const fi_exec_record *r;
    assert_int_equal(fi_execs(&r), 1);
    assert_string_equal(r[0].path, "/bin/sigwait");
    assert_int_equal(hurd_proc_pending(), 0);
    finish();
}

/* A process whose message port is gone: proc_getmsgport on itself waits in proc (P7: a dead
 * message port is dropped and the call waits for a new one) until its second thread's
 * interrupt_operation on its proc port. */
static int getmsgport_main(void *arg)
{
    (void)arg;
    __mach_port_mod_refs(__mach_task_self_, _hurd_msgport, MACH_PORT_RIGHT_RECEIVE, -1);
    start_thread(interrupt_wait, NULL);
    mach_port_t port = MACH_PORT_NULL;
    T.wait_kr = __proc_getmsgport(_hurd_ports[INIT_PORT_PROC].port, _hurd_pid, &port);
    return 0;
}

/* EX12 for proc_getmsgport: EINTR when interrupted. */
static void test_EX12_getmsgport_interrupted(void **state)
{
    (void)state;
    boot(SIM_ROUND_ROBIN);
    bare_proc_client();
    fi_spawn(getmsgport_main, NULL, NULL);
    run_ok();
    assert_int_equal(T.intr_kr, KERN_SUCCESS);                  /* rule EX11 */
    assert_int_equal(T.wait_kr, HURD_EINTR);                    /* rule EX12 */
    assert_int_equal(hurd_proc_pending(), 0);
    finish();
}

/* The child's second thread: once the exec server holds its exec, interrupt_operation on the
 * child's file port, as glibc's signal thread does on the intr_port of an interrupted RPC. */
static void interrupt_exec(void *arg)
{
    (void)arg;
    while (hurd_server_held(HURD_SRV_EXEC) == 0)
        sim_yield("test: wait for the exec to be held");
    T.intr_kr = __interrupt_operation(T.file, 1000);
    end_thread();
}

static int held_exec_main(void *arg)
{
    (void)arg;
    pid_t pid = fi_fork();
    if (pid == 0) {
        start_thread(interrupt_exec, NULL);
        T.exec_kr = exec_as_hurdexec("/bin/true", HURD_O_EXEC, 0);
        return 7;
    }
    T.child = pid;
    T.wait_kr = wait_for(pid, &T.status, &T.waited);
    return 0;
}

/* How many times the trace holds s. */
static unsigned trace_count(const char *s)
{
    fflush(trace);
    unsigned n = 0;
    for (const char *p = trace_buf; p != NULL && (p = strstr(p, s)) != NULL; p += strlen(s))
        n++;
    return n;
}

/* EX11: an exec the exec server holds is cancelled by an interrupt_operation on the caller's
 * file port: the fs passes it on, the exec server answers EINTR untouched. file_exec_paths is
 * interruptible (fs.defs is an INTR_INTERFACE): glibc's _hurd_intr_rpc_mach_msg (intr-msg.c)
 * sends the request again when the server answered EINTR and no signal asked for the
 * interruption, so the exec is requested twice; the second, held for the delay, goes through
 * and the child never gets to exit 7 itself. */
static void test_EX11_exec_interrupted(void **state)
{
    (void)state;
    boot(SIM_ROUND_ROBIN);
    assert_int_equal(hurd_server_delay(HURD_SRV_EXEC, EXEC_ID_EXEC_PATHS, 50), 0);
    fi_spawn(held_exec_main, NULL, NULL);
    run_ok();
    assert_int_equal(T.intr_kr, KERN_SUCCESS);                  /* rule EX11 */
    assert_int_equal(trace_count("-> id 20034 file_exec_paths"), 2); /* rule EX11: restarted */
    assert_int_equal(trace_count("-> id 33000 interrupt_operation"), 2); /* fs, then exec */
    assert_int_equal(fi_execs(NULL), 1);
    assert_int_equal(hurd_server_held(HURD_SRV_EXEC), 0);
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 0));
    finish();
}

/* EX13: a delay of T ms ends on the virtual clock: the server's receive carries the time left
 * as its timeout, so the hold ends where V2 ends a receive timeout (ticks of 10 ms rounded up,
 * counted from the next tick: from clock 0, at (ceil(T / 10) + 1) * 10 ms), and the exec is
 * served then and goes through. */
static void test_EX13_exec_delayed(void **state)
{
    (void)state;
    const uint64_t ms = 50;
    const uint64_t ticks = (ms * 100 + 999) / 1000; /* V2, from clock 0 */
    const uint64_t ends = (ticks + 1) * 10;
    boot(SIM_ROUND_ROBIN);
    assert_int_equal(hurd_server_delay(HURD_SRV_EXEC, EXEC_ID_EXEC_PATHS, ms), 0);
    T.path = "/bin/true";
    T.open_flags = HURD_O_EXEC;
    fi_spawn(fork_exec_main, NULL, NULL);
    run_ok();
    assert_int_equal(sim_now(), ends);                          /* rule EX13 */
    char note[96];
    snprintf(note, sizeof note, "# clock %llu ms: t%d.", (unsigned long long)ends,
             T.exec_task_id);
    assert_true(trace_has(note));                               /* rule EX13 */
    assert_int_equal(fi_execs(NULL), 1);
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 0));
    finish();
}

/* EX14: an exec into a new task (EXEC_NEWTASK) is not modelled: the run stops, saying so. */
static void test_EX14_newtask_unmodelled(void **state)
{
    (void)state;
    boot(SIM_ROUND_ROBIN);
    T.path = "/bin/true";
    T.open_flags = HURD_O_EXEC;
    T.exec_flags = HURD_EXEC_NEWTASK;
    fi_spawn(fork_exec_main, NULL, NULL);
    assert_int_equal(sim_run(), SIM_STOPPED);                           /* rule EX14 */
    assert_non_null(strstr(sim_report(), "EXEC_NEWTASK"));              /* rule EX14 */
    fflush(trace);
    finish();
}

/* --- EX20: exec_startup_get_info's arrays -------------------------------------------------- */

/* A program of the test's, in place of a built-in program's start-up: it asks for its start-up
 * data as glibc's _hurd_startup does, but in two halves, to see the reply as the exec server
 * sent it: the request (mach_msg SEND, its own reply port), a wait until the reply is queued on
 * that port, the reply's descriptors read in the queue (as the kernel copied them in, before
 * any copy-out), then the receive. It gives back what it was given (the bootstrap port, the
 * regions) and exits 0 through proc, as a program's _exit does. */
#define PROBE_PATH "/bin/getinfo-probe"
#define PROBE_MAX 16

typedef struct probe_array {
    mk_msg_type_t sent;             /* the descriptor as queued: the exec server's */
    bool got, out_of_line, null_address;
    uint32_t n;
    uint8_t bytes[PROBE_MAX];       /* argv, envp: the first bytes */
    uint32_t words[PROBE_MAX];      /* ints; dtable and ports: the ports' ids */
} probe_array;

static struct {
    bool ran, queued;
    unsigned nsent;                 /* descriptors read in the queued reply */
    int32_t retcode;
    probe_array a[5];               /* argv, envp, dtable, portarray, intarray */
} P;

static void probe_entry(void *arg)
{
    (void)arg;
    P.ran = true;
    __mach_task_self_ = mach_task_self();
    mach_port_t self = __mach_task_self_;
    ktask_t *kt = kthread_task(kern_self());
    mach_port_t boot = MACH_PORT_NULL, rp = MACH_PORT_NULL;
    __task_get_special_port(self, TASK_BOOTSTRAP_PORT, &boot);
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &rp);
    mig_msg_t m;
    mig_oneway_init(&m, boot, MACH_MSG_TYPE_COPY_SEND, EXEC_STARTUP_ID_GET_INFO);
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.head.msgh_local_port = rp;
    if (__mach_msg(&m.head, MACH_SEND_MSG, m.len, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) !=
        MACH_MSG_SUCCESS)
        return;
    mach_msg_id_t ids[1];
    for (int i = 0; i < 100000 && mk_queue_ids(kt, rp, ids, 1) == 0; i++)
        sim_yield("the probe waits for its reply to be queued");
    uint8_t body[MIG_MSG_MAX];
    size_t blen = 0;
    bool reply;
    mach_msg_id_t id;
    P.queued = mk_queue_peek(kt, rp, 0, &id, &reply, body, sizeof body, &blen) &&
               id == EXEC_STARTUP_ID_GET_INFO + 100 && blen <= sizeof body;
    /* RetCode, user_entry, phdr_data, phdr_size, stack_base, stack_size, flags, then the arrays */
    mk_msg_layout_t l = world_msg_layout(kern_world());
    size_t off = 0;
    for (unsigned item = 0; P.queued && item < 12 && off < blen; item++) {
        mk_msg_type_t t;
        if (!mk_msg_type_read(l, body + off, blen - off, &t))
            break;
        size_t data = off + t.hdr;
        size_t len = t.is_inline ? ((size_t)t.size * t.number + 7) / 8 : sizeof(uint64_t);
        if (item >= 7) {
            P.a[item - 7].sent = t;
            P.nsent++;
        }
        off = mk_msg_align(l, data + len);
    }
    if (__mach_msg(&m.head, MACH_RCV_MSG, 0, MIG_MSG_MAX, rp, 0, MACH_PORT_NULL) !=
        MACH_MSG_SUCCESS)
        return;
    m.len = m.head.msgh_size;
    m.pos = sizeof(mach_msg_header_t);
    m.bad = false;
    int64_t v64;
    int32_t flags;
    mig_get_int32(&m, &P.retcode);
    for (int i = 0; i < 5; i++)
        mig_get_int64(&m, &v64);
    mig_get_int32(&m, &flags);
    static const unsigned bits[5] = {8, 8, 0, 0, 32};
    mig_array_t a[5];
    mach_port_t proc = MACH_PORT_NULL, bootstrap = MACH_PORT_NULL;
    for (int k = 0; k < 5; k++) {
        probe_array *x = &P.a[k];
        memset(&a[k], 0, sizeof a[k]);
        x->got = mig_get_array(&m, bits[k], &a[k]);
        if (!x->got)
            break;
        x->out_of_line = a[k].out_of_line;
        x->null_address = a[k].at == NULL;
        x->n = a[k].n;
        for (uint32_t i = 0; i < a[k].n && i < PROBE_MAX; i++) {
            uint32_t w = mig_array_word(&a[k], i);
            name_info_t info;
            if (k < 2)
                x->bytes[i] = (uint8_t)w;
            else if (k < 4)
                x->words[i] = space_peek(kt, w, &info) ? info.port_id : 0;
            else
                x->words[i] = w;
        }
    }
    if (P.a[3].got && P.a[3].n > INIT_PORT_PROC) {
        proc = mig_array_word(&a[3], INIT_PORT_PROC);
        bootstrap = mig_array_word(&a[3], INIT_PORT_BOOTSTRAP);
    }
    __mach_port_deallocate(self, boot);
    __task_set_special_port(self, TASK_BOOTSTRAP_PORT, bootstrap);
    for (int k = 0; k < 5; k++)
        if (P.a[k].got)
            mig_array_free(self, &a[k]);
    __proc_mark_exit(proc, HURD_W_EXITCODE(0, 0), 0);
    __task_terminate(self);
}

/* The probe run in a forked child with the argv and envp given (n bytes each), and what it
 * must have got: each array out of line, sent with deallocate (exec_startup.defs: `out argv:
 * data_t, dealloc`, and the same for envp, dtable, portarray, intarray), whatever its size, an
 * empty one at address 0; the elements of the request (the ports array INIT_PORT_MAX long, its
 * null bootstrap port the old task's, EX8). Then the exec server keeps no right (EX4) and,
 * with the fixture's leak audit, no memory: its copies left with the reply. */
static void run_probe(const char *argv, unsigned nargv, const char *envp, unsigned nenvp)
{
    static const int ints[HURD_INIT_INT_MAX] = {022, 0x4000, 0, 0, 0};
    memset(&P, 0, sizeof P);
    boot(SIM_ROUND_ROBIN);
    assert_int_equal(hurd_program_add(PROBE_PATH, probe_entry, NULL), 0);
    T.argv = argv;
    T.nargv = nargv;
    T.envp = envp;
    T.nenvp = nenvp;
    T.path = PROBE_PATH;
    T.open_flags = HURD_O_EXEC;
    memcpy(T.in.ints, ints, sizeof T.in.ints);
    fi_spawn(fork_exec_main, NULL, NULL);
    run_ok();
    assert_true(P.ran);
    assert_true(P.queued);
    assert_int_equal(P.nsent, 5);
    assert_int_equal(P.retcode, KERN_SUCCESS);
    const uint32_t want[5] = {nargv, nenvp, T.in.ndtable, INIT_PORT_MAX, HURD_INIT_INT_MAX};
    const unsigned want_type[5] = {MACH_MSG_TYPE_BYTE, MACH_MSG_TYPE_BYTE, MACH_MSG_TYPE_PORT_SEND,
                                   MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_INTEGER_32};
    for (int k = 0; k < 5; k++) {
        const probe_array *x = &P.a[k];
        assert_false(x->sent.is_inline);                /* rule EX20: out of line */
        assert_true(x->sent.deallocate);                /* rule EX20: `dealloc` */
        assert_int_equal(x->sent.name, want_type[k]);   /* MOVE_SEND arrives as PORT_SEND */
        assert_int_equal(x->sent.number, want[k]);      /* rule EX20 */
        assert_true(x->got);
        assert_true(x->out_of_line);                    /* rule EX20 */
        assert_int_equal(x->n, want[k]);                /* rules EX8 EX20 */
        assert_int_equal(x->null_address, want[k] == 0); /* rule O4: an empty one at 0 */
    }
    assert_memory_equal(P.a[0].bytes, argv, nargv < PROBE_MAX ? nargv : PROBE_MAX);
    assert_memory_equal(P.a[1].bytes, envp, nenvp < PROBE_MAX ? nenvp : PROBE_MAX);
    for (unsigned i = 0; i < T.in.ndtable && i < PROBE_MAX; i++)
        assert_int_equal(P.a[2].words[i], T.in.dtable_ids[i]);   /* rule EX8 */
    for (int i = 0; i < INIT_PORT_MAX; i++) {
        uint32_t w = i == INIT_PORT_BOOTSTRAP && T.in.ports[i] == MACH_PORT_NULL
                         ? T.in.bootstrap_id : T.in.port_ids[i];
        assert_int_equal(P.a[3].words[i], w);                   /* rule EX8 */
    }
    for (int i = 0; i < HURD_INIT_INT_MAX; i++)
        assert_int_equal(P.a[4].words[i], (uint32_t)ints[i]);   /* rule EX8 */
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 0));
    check_rights_left(HURD_SRV_EXEC, 1); /* rule EX4: its task port */
    finish(); /* the leak audit: the exec server's copies went with the reply (rule EX20) */
}

/* EX20: exec_startup_get_info's five arrays out of line with deallocate, small or empty. */
static void test_EX20_get_info_out_of_line(void **state)
{
    (void)state;
    static const char args[] = "getinfo-probe\0-x"; /* argz: two strings, 17 bytes */
    static const char env[] = "A=1\0B=2";           /* 8 bytes */
    run_probe(args, sizeof args, env, sizeof env);
    run_probe(NULL, 0, NULL, 0);
}

/* The sizes of the vm_deallocate calls task `task` makes after the trace note `after`, in
 * order (at most max). */
static unsigned deallocs_after(const char *after, int task, size_t *sizes, unsigned max)
{
    fflush(trace);
    const char *p = trace_buf != NULL ? strstr(trace_buf, after) : NULL;
    unsigned n = 0;
    char prefix[32];
    snprintf(prefix, sizeof prefix, " t%d.", task);
    for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        const char *t = strstr(line, prefix), *d = strstr(line, "trap vm_deallocate(");
        size_t bytes;
        if (t == NULL || d == NULL || t > d || strstr(line, "#") != NULL)
            continue;
        if (sscanf(strchr(d, ',') + 1, " %zu bytes", &bytes) == 1 && n < max)
            sizes[n++] = bytes;
    }
    return n;
}

/* EX20: the new program gives the regions back where glibc's start-up does: the descriptors'
 * in init_dtable (hurd/dtable.c: `_hurd_init_dtablesize * sizeof (_hurd_init_dtable[0])`),
 * then the ints' and the ports' in _hurd_libc_proc_init (hurd/hurdinit.c: "All done with init
 * ints and ports", intarray then portarray, each count * element size); argv's and envp's
 * never (its argv and environ point into them). /bin/true makes no other vm_deallocate. */
static void test_EX20_regions_given_back(void **state)
{
    (void)state;
    static const int ints[HURD_INIT_INT_MAX] = {022, 0, 0, 0, 0};
    static const char args[] = "true\0-v\0-w"; /* 11 bytes: no other array's size */
    boot(SIM_ROUND_ROBIN);
    T.argv = args;
    T.nargv = sizeof args;
    T.path = "/bin/true";
    T.open_flags = HURD_O_EXEC;
    memcpy(T.in.ints, ints, sizeof T.in.ints);
    fi_spawn(fork_exec_main, NULL, NULL);
    run_ok();
    assert_int_equal(T.status, HURD_W_EXITCODE(0, 0));
    char note[64];
    snprintf(note, sizeof note, "# exec: /bin/true starts in t%d\n", T.in.task);
    size_t sizes[8];
    unsigned n = deallocs_after(note, T.in.task, sizes, 8);
    const size_t want[3] = {T.in.ndtable * sizeof(mach_port_t), HURD_INIT_INT_MAX * sizeof(int),
                            INIT_PORT_MAX * sizeof(mach_port_t)};
    assert_int_equal(n, 3);                 /* rule EX20: none for argv or envp */
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(sizes[i], want[i]); /* rule EX20: glibc's calls, in glibc's order */
    finish();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_EX1_lookup, close_left),
        cmocka_unit_test_teardown(test_EX7_exec_true, close_left),
        cmocka_unit_test_teardown(test_EX2_file_exec, close_left),
        cmocka_unit_test_teardown(test_EX10_sigreport, close_left),
        cmocka_unit_test_teardown(test_EX18_inherited_pending_signal_acts_at_start, close_left),
        cmocka_unit_test_teardown(test_EX3_EX5_refused, close_left),
        cmocka_unit_test_teardown(test_EX12_wait_interrupted, close_left),
        cmocka_unit_test_teardown(test_EX12_getmsgport_interrupted, close_left),
        cmocka_unit_test_teardown(test_EX11_exec_interrupted, close_left),
        cmocka_unit_test_teardown(test_EX13_exec_delayed, close_left),
        cmocka_unit_test_teardown(test_EX14_newtask_unmodelled, close_left),
        cmocka_unit_test_teardown(test_EX20_get_info_out_of_line, close_left),
        cmocka_unit_test_teardown(test_EX20_regions_given_back, close_left),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
