/*
 * srv_exec.c: the simulated exec server (the Hurd's exec/exec.c: S_exec_exec_paths, do_exec,
 * S_exec_startup_get_info), as far as what it does is visible to the task it execs and to
 * glibc. Rules EX5-EX10 and EX20 (arrays out of line) of docs/exec-rules.md.
 *
 * Only the in-place exec is modelled (oldtask given, no EXEC_NEWTASK): the task is suspended,
 * the file read (io_read: its contents name a program registered with hurd_program_add), then,
 * committed, every old thread terminated, the whole address space deallocated (the task gets a
 * fresh image: its globals pristine), the names the caller listed deallocated and destroyed,
 * and a new thread started at the program's entry. The ports, descriptors and ints of the
 * request wait on a boot port, the task's new bootstrap port, for the program's start-up to
 * fetch with exec_startup_get_info (glibc's hurd/hurdstartup.c), which hands the record's arrays
 * out of line with deallocate, as MIG's stub sends the Hurd's (EX20); the boot port goes when
 * its last send right does (a no-senders notification), as libports frees the Hurd's.
 *
 * One daemon thread of its own task serves the exec port, the boot ports and their
 * notifications from one port set (hurd_serve: interrupt_operation and delays included). State
 * is host memory.
 *
 * Added rules (forksim's, where the simulation has no counterpart): no ELF image is loaded (no
 * vm_map of page zero, no load, no entry or stack addresses: get_info gives 0 for each); the
 * proc server is not told the code, exe path, entry or exec (proc_set_code, proc_set_exe,
 * proc_set_entry, proc_mark_exec: forksim's proc keeps none of these); no #! scripts;
 * EXEC_NEWTASK (and a null oldtask, which implies it) ends the run as unmodelled.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <mach/vm_param.h>
#include <stdio.h>
#include <string.h>

#define BOOT_MAX 8
#define BYTES_MAX 512

/* One array of a boot record (exec/exec.c: servercopy): the region the request brought out of
 * line, kept as it came (region), or a block of ours (kern_mem_alloc) holding a copy of what
 * came inline. len: its bytes; n: its elements. */
struct arr {
    void *p;
    uint32_t n;
    size_t len;
    bool region;
};

/* What one exec leaves for the new program (the Hurd's struct bootinfo). The rights are the
 * exec server's, moved to the program by get_info. */
struct boot {
    bool used, given;
    mach_port_t port;           /* receive right, in the set */
    int flags;
    struct arr argv, envp;      /* bytes */
    struct arr dtable, ports;   /* mach_port_t */
    struct arr ints;            /* uint32_t */
};

SIM_WORLD_STATE static struct execsrv {  /* world state (sim/rt/snapshot.c) */
    mach_port_t self, pset, port;
    struct boot boot[BOOT_MAX];
} E;

static void (*commit_hook)(int task_id, const uint32_t *ints, unsigned nints,
                           const uint32_t *destroy, unsigned ndestroy);

void hurd_set_exec_commit_hook(void (*hook)(int task_id, const uint32_t *ints, unsigned nints,
                                            const uint32_t *destroy, unsigned ndestroy))
{
    commit_hook = hook;
}

void exec_server_reset(void)
{
    memset(&E, 0, sizeof E);
}

mach_port_t exec_server_port(void) { return E.port; }

static mach_port_t new_port(void)
{
    mach_port_t p = MACH_PORT_NULL;
    __mach_port_allocate(E.self, MACH_PORT_RIGHT_RECEIVE, &p);
    __mach_port_move_member(E.self, p, E.pset);
    return p;
}

/* The request of exec_exec_paths, as received: its arrays inline in the message or out of line
 * (EX20). */
struct exec_req {
    mach_port_t file, oldtask;
    int32_t flags;
    char path[BYTES_MAX], abspath[BYTES_MAX];
    uint32_t pathlen, abspathlen;
    mig_array_t argv, envp, dtable, ports, ints, dealloc, destroy;
};

static bool read_request(mig_msg_t *in, struct exec_req *q)
{
    return mig_get_port(in, &q->file, NULL) && mig_get_port(in, &q->oldtask, NULL) &&
           mig_get_int32(in, &q->flags) &&
           mig_get_byte_array(in, q->path, BYTES_MAX - 1, &q->pathlen) &&
           mig_get_byte_array(in, q->abspath, BYTES_MAX - 1, &q->abspathlen) &&
           mig_get_array(in, 8, &q->argv) && q->argv.type == MACH_MSG_TYPE_BYTE &&
           mig_get_array(in, 8, &q->envp) && q->envp.type == MACH_MSG_TYPE_BYTE &&
           mig_get_array(in, 0, &q->dtable) && mig_get_array(in, 0, &q->ports) &&
           mig_get_array(in, 32, &q->ints) && q->ints.type == MACH_MSG_TYPE_INTEGER_32 &&
           mig_get_array(in, 32, &q->dealloc) && q->dealloc.type == MACH_MSG_TYPE_PORT_NAME &&
           mig_get_array(in, 32, &q->destroy) && q->destroy.type == MACH_MSG_TYPE_PORT_NAME;
}

/* exec/exec.c's servercopy: an array that came out of line is kept as it came (a `servercopy`
 * argument of exec.defs: MIG leaves the region to the routine), one that came inline is copied
 * into a block of ours; at least min elements (zeros after the array's). elem: bytes per element
 * kept (1 or 4). *taken: the region became the record's (else MIG frees it after success). */
static void arr_keep(struct arr *x, const mig_array_t *a, size_t elem, uint32_t min, bool *taken)
{
    uint32_t n = a->n < min ? min : a->n;
    *taken = false;
    memset(x, 0, sizeof *x);
    x->n = n;
    if (a->ool != NULL && n == a->n) {
        x->p = a->ool;
        x->len = a->ool_len;
        x->region = true;
        *taken = true;
        return;
    }
    if (n == 0)
        return;
    x->len = (size_t)n * elem;
    x->p = kern_mem_alloc(x->len);
    if (x->p == NULL)
        kern_unmodelled("the exec server's memory is full");
    memset(x->p, 0, x->len);
    mig_array_copy(a, x->p);
}

/* Gives an array of a record back: a region with vm_deallocate (munmap in the Hurd's exec), a
 * block of ours to the heap. */
static void arr_free(struct arr *x)
{
    if (x->p != NULL) {
        if (x->region)
            __vm_deallocate(E.self, (vm_address_t)(uintptr_t)x->p, x->len);
        else
            kern_mem_free(x->p);
    }
    memset(x, 0, sizeof *x);
}

static mach_port_t *arr_ports(const struct arr *x) { return x->p; }

static void boot_arrays_free(struct boot *b)
{
    arr_free(&b->argv);
    arr_free(&b->envp);
    arr_free(&b->dtable);
    arr_free(&b->ports);
    arr_free(&b->ints);
}

/* prepare and check: the file's contents name the program (EX7). */
static kern_return_t program_of_file(mach_port_t file, char *name, size_t len,
                                     void (**entry)(void *), void **arg)
{
    char *p = name;
    mach_msg_type_number_t n = (mach_msg_type_number_t)len - 1;
    kern_return_t kr = __io_read(file, &p, &n, 0, len - 1);
    if (kr != KERN_SUCCESS)
        return kr;
    name[n] = 0;
    if (!hurd_program_find(name, entry, arg))
        return HURD_ENOEXEC;
    return KERN_SUCCESS;
}

/* The sim id of the task named `task` in the server's space (for the trace note). */
static int task_id_of(mach_port_t task)
{
    ktask_t *kt = ktask_by_name(kern_ktask(sim_task_self()), task);
    sim_task *st = kt != NULL ? kern_sim_task(kt) : NULL;
    return st != NULL ? sim_task_id(st) : 0;
}

/* do_exec, EX6-EX10. The request's rights are the routine's on success (kept in the boot
 * record or released here); on an error MIG destroys them (M11). */
static kern_return_t S_exec_exec_paths(mig_msg_t *in)
{
    int slot = -1;
    for (int i = 0; i < BOOT_MAX && slot < 0; i++)
        if (!E.boot[i].used)
            slot = i;
    if (slot < 0)
        kern_unmodelled("more than 8 exec boot records held by the exec server");
    struct boot *b = &E.boot[slot];
    memset(b, 0, sizeof *b);
    struct exec_req q;
    memset(&q, 0, sizeof q);
    if (!read_request(in, &q))
        return MIG_BAD_ARGUMENTS;
    /* EX6: secure or default values need the standard ports and ints (exec_setexecdata),
     * which nothing in the simulated world gives: EIEIO, before anything is done. */
    if (q.flags & (HURD_EXEC_SECURE | HURD_EXEC_DEFAULTS))
        return HURD_EIEIO;
    /* Suspend the existing task before frobnicating it. */
    kern_return_t kr = KERN_SUCCESS;
    if (MACH_PORT_VALID(q.oldtask) && (kr = __task_suspend(q.oldtask)) != KERN_SUCCESS)
        return kr;
    char name[BYTES_MAX];
    void (*entry)(void *) = NULL;
    void *arg = NULL;
    kr = program_of_file(q.file, name, sizeof name, &entry, &arg);
    if (kr != KERN_SUCCESS) {
        if (MACH_PORT_VALID(q.oldtask))
            __task_resume(q.oldtask);
        return kr;
    }
    if (!MACH_PORT_VALID(q.oldtask) || (q.flags & HURD_EXEC_NEWTASK))
        kern_unmodelled("exec with EXEC_NEWTASK or without an old task (a new task for the "
                        "program)");
    mach_port_t task = q.oldtask;
    /* The arrays for the program (servercopy); the ports as passed, at least INIT_PORT_MAX
     * long; a null bootstrap port is the old task's. */
    bool taken[5];
    arr_keep(&b->argv, &q.argv, 1, 0, &taken[0]);
    arr_keep(&b->envp, &q.envp, 1, 0, &taken[1]);
    arr_keep(&b->dtable, &q.dtable, sizeof(mach_port_t), 0, &taken[2]);
    arr_keep(&b->ports, &q.ports, sizeof(mach_port_t), HURD_INIT_PORT_MAX, &taken[3]);
    arr_keep(&b->ints, &q.ints, 4, 0, &taken[4]);
    mach_port_t *ports = arr_ports(&b->ports);
    bool bootstrap_replaced = false;
    if (ports[HURD_INIT_PORT_BOOTSTRAP] == MACH_PORT_NULL) {
        mach_port_t bp = MACH_PORT_NULL;
        if (__task_get_special_port(task, TASK_BOOTSTRAP_PORT, &bp) == KERN_SUCCESS) {
            ports[HURD_INIT_PORT_BOOTSTRAP] = bp;
            bootstrap_replaced = bp != MACH_PORT_NULL;
        }
    }
    b->flags = q.flags;

    /* Committed (EX8): the old threads go, then the address space, then the names. */
    if (commit_hook != NULL)
        commit_hook(task_id_of(task), b->ints.p, b->ints.n, (const uint32_t *)q.destroy.at,
                    q.destroy.n);
    mach_port_t *threads = NULL;
    mach_msg_type_number_t nthreads = 0;
    if (__task_threads(task, &threads, &nthreads) == KERN_SUCCESS) {
        for (mach_msg_type_number_t i = 0; i < nthreads; i++) {
            __thread_terminate(threads[i]);
            __mach_port_deallocate(E.self, threads[i]);
        }
        __vm_deallocate(E.self, (vm_address_t)threads, nthreads * sizeof *threads);
    }
    __vm_deallocate(task, VM_MIN_ADDRESS, VM_MAX_ADDRESS - VM_MIN_ADDRESS);
    for (uint32_t i = 0; i < q.dealloc.n; i++)
        __mach_port_deallocate(task, mig_array_word(&q.dealloc, i));
    for (uint32_t i = 0; i < q.destroy.n; i++)
        __mach_port_destroy(task, mig_array_word(&q.destroy, i));

    /* The proc server hears of the new program (EX9). */
    if (ports[HURD_INIT_PORT_PROC] != MACH_PORT_NULL) {
        pid_t pid;
        __proc_task2pid(ports[HURD_INIT_PORT_PROC], task, &pid);
    }
    /* The initial thread, at the program's entry. */
    mach_port_t thread = MACH_PORT_NULL;
    kr = __thread_create(task, &thread);
    if (kr == KERN_SUCCESS) {
        kern_thread_state ts;
        memset(&ts, 0, sizeof ts);
        ts.kind = KERN_STATE_CALL;
        ts.pc = (uintptr_t)entry;
        ts.arg = (uintptr_t)arg;
        kr = __thread_set_state(thread, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts,
                                KERN_THREAD_STATE_COUNT);
    }
    /* The boot port becomes the task's bootstrap port; it lives until no-senders. */
    if (kr == KERN_SUCCESS) {
        b->port = new_port();
        b->used = true;
        __mach_port_insert_right(E.self, b->port, b->port, MACH_MSG_TYPE_MAKE_SEND);
        kr = __task_set_special_port(task, TASK_BOOTSTRAP_PORT, b->port);
        mach_port_t prev = MACH_PORT_NULL;
        __mach_port_request_notification(E.self, b->port, MACH_NOTIFY_NO_SENDERS, 1, b->port,
                                         MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
        __mach_port_deallocate(E.self, b->port);
    }
    if (kr != KERN_SUCCESS) {
        /* The old task is hopelessly trashed: coup de grace. MIG destroys the request's
         * rights (M11); what the routine added goes here. */
        if (bootstrap_replaced)
            __mach_port_deallocate(E.self, ports[HURD_INIT_PORT_BOOTSTRAP]);
        ports[HURD_INIT_PORT_BOOTSTRAP] = MACH_PORT_NULL;
        if (b->used)
            __mach_port_mod_refs(E.self, b->port, MACH_PORT_RIGHT_RECEIVE, -1);
        b->used = false;
        if (thread != MACH_PORT_NULL)
            __mach_port_deallocate(E.self, thread);
        /* the regions kept go with the request (M11: MIG destroys it), our copies here */
        struct arr *kept[] = {&b->argv, &b->envp, &b->dtable, &b->ports, &b->ints};
        for (int i = 0; i < 5; i++)
            if (taken[i])
                kept[i]->p = NULL;
        boot_arrays_free(b);
        __task_terminate(task);
        return kr;
    }
    /* Success: MIG's server stub gives back the regions that are not the routine's (server.c,
     * WriteDestroyArg: deallocnames and destroynames, and a ports array too short to keep). */
    mig_array_t *given[] = {&q.argv, &q.envp, &q.dtable, &q.ports, &q.ints};
    for (int i = 0; i < 5; i++)
        if (!taken[i])
            mig_array_free(E.self, given[i]);
    mig_array_free(E.self, &q.dealloc);
    mig_array_free(E.self, &q.destroy);
    __mach_port_deallocate(E.self, q.file); /* finish (e, 1) */
    if (!(q.flags & HURD_EXEC_SIGTRAP))
        __thread_resume(thread);
    __mach_port_deallocate(E.self, thread);
    kern_trace_note("exec: %s starts in t%d", name, task_id_of(task));
    __task_resume(task);
    __mach_port_deallocate(E.self, task);
    return KERN_SUCCESS;
}

/* An array of the record into get_info's reply: the record's own memory, so out of line with
 * deallocate (exec_startup.defs: `out ...: T, dealloc`; MIG's server stub, server.c
 * WritePackArgValue): the memory leaves the exec server with the message, and the record
 * forgets it. An empty array goes out of line too, at address 0 (the Hurd's servercopy gives
 * NULL for an empty one, which is not the stub's inline buffer either). */
static void put_given(mig_msg_t *out, struct arr *x, unsigned type)
{
    mig_put_given(out, type, x->n > 0 ? x->p : NULL, x->n);
    memset(x, 0, sizeof *x);
}

/* S_exec_startup_get_info: the boot record, its rights moved to the program (MOVE_SEND) and its
 * arrays with them (EX8, EX20). A second call finds the counts 0 (the Hurd's routine zeroes
 * them) and sends five empty arrays, out of line as the first. */
static kern_return_t S_get_info(struct boot *b, mig_msg_t *out)
{
    for (int i = 0; i < 5; i++)
        mig_put_int64(out, 0); /* user_entry, phdr_data, phdr_size, stack_base, stack_size */
    mig_put_int32(out, b->flags);
    put_given(out, &b->argv, MACH_MSG_TYPE_BYTE);
    put_given(out, &b->envp, MACH_MSG_TYPE_BYTE);
    put_given(out, &b->dtable, MACH_MSG_TYPE_MOVE_SEND);
    put_given(out, &b->ports, MACH_MSG_TYPE_MOVE_SEND);
    put_given(out, &b->ints, MACH_MSG_TYPE_INTEGER_32);
    b->given = true;
    return KERN_SUCCESS;
}

/* No senders left on a boot port: the record goes; rights never fetched are released. */
static void boot_free(struct boot *b)
{
    if (!b->given) {
        for (uint32_t i = 0; i < b->dtable.n; i++)
            if (MACH_PORT_VALID(arr_ports(&b->dtable)[i]))
                __mach_port_deallocate(E.self, arr_ports(&b->dtable)[i]);
        for (uint32_t i = 0; i < b->ports.n; i++)
            if (MACH_PORT_VALID(arr_ports(&b->ports)[i]))
                __mach_port_deallocate(E.self, arr_ports(&b->ports)[i]);
        boot_arrays_free(b);
    }
    __mach_port_mod_refs(E.self, b->port, MACH_PORT_RIGHT_RECEIVE, -1);
    b->used = false;
}

static kern_return_t exec_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    mach_port_t local = in->head.msgh_local_port;
    mach_msg_id_t id = in->head.msgh_id;
    if (local == E.port) {
        if (id == EXEC_ID_EXEC_PATHS)
            return S_exec_exec_paths(in);
        return MIG_BAD_ID;
    }
    for (int i = 0; i < BOOT_MAX; i++) {
        struct boot *b = &E.boot[i];
        if (!b->used || b->port != local)
            continue;
        if (id == MACH_NOTIFY_NO_SENDERS) {
            boot_free(b);
            return MIG_NO_REPLY;
        }
        if (id == EXEC_STARTUP_ID_GET_INFO)
            return S_get_info(b, out);
        return MIG_BAD_ID;
    }
    return id >= MACH_NOTIFY_FIRST && id <= MACH_NOTIFY_LAST ? MIG_NO_REPLY : MIG_BAD_ID;
}

void exec_server_main(void *arg)
{
    (void)arg;
    E.self = __mach_task_self();
    __mach_port_allocate(E.self, MACH_PORT_RIGHT_PORT_SET, &E.pset);
    E.port = new_port();
    hurd_serve(HURD_SRV_EXEC, E.pset, exec_demux, NULL, NULL);
}
