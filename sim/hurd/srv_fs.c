/*
 * srv_fs.c: the simulated root file system: the directory ports processes start with
 * (fs_getroot, forksim's own routine), and the programs of the simulated world as files:
 * dir_lookup (fs.defs), io_read (io.defs), and file_exec_paths / file_exec, which it checks and
 * hands to the exec server as the Hurd's libdiskfs does (libdiskfs/file-exec.c:
 * diskfs_S_file_exec_paths). Rules EX1-EX4 of docs/exec-rules.md.
 *
 * One daemon thread of its own task serves every port of the file system from one port set
 * (hurd_serve: interrupt_operation and delays included). Each directory or file port is a new
 * receive right per open, as the Hurd's file systems make a protid per open; the server keeps
 * what each stands for (its path, its open modes) in host memory until the next boot. A file's
 * contents are its path: the exec server reads them to know which built-in program to start.
 *
 * An exec is handed on without blocking the server, as a multithreaded libdiskfs would serve
 * other requests meanwhile: the server sends exec_exec_paths with a reply port of its own,
 * keeps the caller's request, and answers it when the exec server's reply comes. An
 * interrupt_operation on the caller's file port meanwhile is passed on to the exec server
 * (libports cancels the thread, whose interruptible exec_exec_paths RPC then sends the exec
 * server interrupt_operation: glibc's hurd/intr-msg.c in libdiskfs's libc).
 *
 * Added rules (forksim's, where the simulation has no counterpart):
 * - fs_getroot (id 29000) stands in for the fsys_getroot and dir_lookup a real start-up goes
 *   through; fs_set_exec (29001) for the file system's lookup of /servers/exec. New ports come
 *   back as MAKE_SEND.
 * - dir_lookup takes a path from the root whatever the directory (leading slashes dropped):
 *   the only files are the registered programs, mode 0755, owned by root, never setuid.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <stdlib.h>
#include <string.h>

#define PROGRAM_MAX 16
#define PATH_MAX_ 64
#define FWD_MAX 8

struct program { char path[PATH_MAX_]; void (*entry)(void *); void *arg; };

/* One open: a directory or a file. */
struct node {
    mach_port_t port;       /* the receive right, in the set */
    bool dir;
    int openstat;           /* HURD_O_* */
    char path[PATH_MAX_];
    uint32_t filepos;
};

/* An exec handed to the exec server, waiting for its reply. */
struct fwd {
    bool used;
    mach_port_t reply;      /* the receive right exec's reply comes to */
    mach_port_t file;       /* the caller's file port (where an interrupt comes) */
    mig_msg_t req;          /* the caller's request: its reply right and its rights */
};

SIM_WORLD_STATE static struct fs {     /* world state (sim/rt/snapshot.c): its nodes on the world heap */
    mach_port_t self, pset, port;
    mach_port_t exec;       /* send right to the exec server, from fs_set_exec */
    struct node *nodes;
    int nnodes, cap;
    struct fwd fwd[FWD_MAX];
    struct program programs[PROGRAM_MAX];
    int nprograms;
} F;

void fs_server_reset(void)
{
    /* The nodes are in the world heap: with snapshots, sim_open has emptied it already. */
    if (!sim_snapshots_supported())
        sim_wfree(F.nodes);
    memset(&F, 0, sizeof F);
}

mach_port_t fs_server_port(void) { return F.port; }

int hurd_program_add(const char *path, void (*entry)(void *), void *arg)
{
    if (F.nprograms == PROGRAM_MAX || strlen(path) >= PATH_MAX_ || path[0] != '/')
        return -1;
    struct program *p = &F.programs[F.nprograms++];
    strcpy(p->path, path);
    p->entry = entry;
    p->arg = arg;
    return 0;
}

bool hurd_program_find(const char *path, void (**entry)(void *), void **arg)
{
    for (int i = 0; i < F.nprograms; i++)
        if (strcmp(F.programs[i].path, path) == 0) {
            *entry = F.programs[i].entry;
            *arg = F.programs[i].arg;
            return true;
        }
    return false;
}

static mach_port_t new_port(void)
{
    mach_port_t p = MACH_PORT_NULL;
    __mach_port_allocate(F.self, MACH_PORT_RIGHT_RECEIVE, &p);
    __mach_port_move_member(F.self, p, F.pset);
    return p;
}

static struct node *node_new(bool dir, int openstat, const char *path)
{
    if (F.nnodes == F.cap) {
        int cap = F.cap ? 2 * F.cap : 64;
        struct node *t = sim_wrealloc(F.nodes, (size_t)cap * sizeof *t);
        if (t == NULL)
            kern_unmodelled("out of host memory for the file system's ports");
        F.nodes = t;
        F.cap = cap;
    }
    struct node *n = &F.nodes[F.nnodes++];
    memset(n, 0, sizeof *n);
    n->port = new_port();
    n->dir = dir;
    n->openstat = openstat;
    strcpy(n->path, path);
    return n;
}

static struct node *node_of(mach_port_t port)
{
    for (int i = 0; i < F.nnodes; i++)
        if (F.nodes[i].port == port)
            return &F.nodes[i];
    return NULL;
}

static const struct program *program_of(const char *path)
{
    for (int i = 0; i < F.nprograms; i++)
        if (strcmp(F.programs[i].path, path) == 0)
            return &F.programs[i];
    return NULL;
}

/* --- dir_lookup, io_read ------------------------------------------------------------------------ */

static kern_return_t S_dir_lookup(struct node *dir, mig_msg_t *in, mig_msg_t *out)
{
    char name[PATH_MAX_ + 1];
    uint32_t n;
    int32_t flags, mode;
    if (!mig_get_byte_array(in, name, PATH_MAX_, &n) || !mig_get_int32(in, &flags) ||
        !mig_get_int32(in, &mode))
        return MIG_BAD_ARGUMENTS;
    name[n] = 0;
    if (!dir->dir)
        return HURD_ENOTDIR;
    const char *rel = name;
    while (*rel == '/')
        rel++;
    char path[PATH_MAX_];
    if (strlen(rel) + 1 >= sizeof path)
        return HURD_ENOENT; /* longer than any program's path */
    path[0] = '/';
    strcpy(path + 1, rel);
    if (program_of(path) == NULL)
        return HURD_ENOENT; /* EX1 */
    struct node *f = node_new(false, flags & (HURD_O_READ | HURD_O_WRITE | HURD_O_EXEC), path);
    mig_put_int32(out, HURD_FS_RETRY_NORMAL);
    mig_put_bytes(out, "", 1);
    mig_put_port(out, f->port, MACH_MSG_TYPE_MAKE_SEND);
    return KERN_SUCCESS;
}

static kern_return_t S_io_read(struct node *f, mig_msg_t *in, mig_msg_t *out)
{
    int64_t offset;
    int64_t amount;
    if (!mig_get_int64(in, &offset) || !mig_get_int64(in, &amount))
        return MIG_BAD_ARGUMENTS;
    if (!(f->openstat & HURD_O_READ))
        return HURD_EBADF;      /* libdiskfs io_read: the open must allow reading */
    if (f->dir)
        return HURD_EISDIR;
    uint32_t len = (uint32_t)strlen(f->path);
    uint32_t at = offset < 0 ? f->filepos : offset > len ? len : (uint32_t)offset;
    uint32_t k = amount < 0 ? 0 : (uint64_t)amount < len - at ? (uint32_t)amount : len - at;
    mig_put_bytes(out, f->path + at, k);
    if (offset < 0)
        f->filepos = at + k;
    return KERN_SUCCESS;
}

/* --- file_exec_paths, file_exec ---------------------------------------------------------------- */

/* Copies one item of in (at its position) into m, as the same kind of item: ports are passed
 * on with COPY_SEND (libdiskfs passes the fds and ports so), names and ints as they are. An
 * array may have come inline or out of line and goes on either way, as its size and the
 * message's room say (EX20): an out-of-line region is read where the kernel placed it, and
 * stays the file system's until the exec server answers (fwd_answer gives it back). */
static bool pass_array(mig_msg_t *in, mig_msg_t *m, unsigned elem_bits, unsigned type,
                       void **scratch)
{
    mig_array_t a;
    if (!mig_get_array(in, elem_bits, &a) || (type != 0 && a.type != type))
        return !(in->bad = true);
    /* The elements stay where they are (in the request, or its region) until the send; inline
     * ports in x86_64's 64-bit slots (W2) are copied out as names, into a block freed after it. */
    const void *data = a.at;
    if (elem_bits == 0 && a.elem != sizeof(mach_port_t) && a.n > 0) {
        *scratch = kern_mem_alloc((size_t)a.n * sizeof(mach_port_t));
        if (*scratch == NULL)
            kern_unmodelled("the file system's memory is full");
        mig_array_copy(&a, *scratch);
        data = *scratch;
    }
    if (elem_bits == 0)
        mig_put_ports(m, data, a.n, MACH_MSG_TYPE_COPY_SEND);
    else if (elem_bits == 8)
        mig_put_byte_array(m, data, a.n);
    else
        mig_put_words(m, type, data, a.n);
    return true;
}

/* path and abspath: string_t, inline */
static bool pass_bytes(mig_msg_t *in, mig_msg_t *m)
{
    char v[MIG_MSG_MAX];
    uint32_t n;
    if (!mig_get_byte_array(in, v, sizeof v, &n))
        return false;
    mig_put_bytes(m, v, n);
    return true;
}

/* EX2-EX4: diskfs_S_file_exec_paths. paths: the request carries path and abspath (file_exec
 * passes "" for both, as diskfs_S_file_exec does). */
static kern_return_t S_file_exec(struct node *f, mig_msg_t *in, bool paths)
{
    mach_port_t task;
    int32_t flags;
    if (!mig_get_port(in, &task, NULL) || !mig_get_int32(in, &flags))
        return MIG_BAD_ARGUMENTS;
    if (!MACH_PORT_VALID(F.exec))
        return HURD_EOPNOTSUPP;             /* no exec server, no exec */
    if (!(f->openstat & HURD_O_EXEC))
        return HURD_EBADF;                  /* not opened for execution */
    if (f->dir)
        return HURD_EACCES;                 /* a directory (mode 0755 passes the x-bit test) */
    int slot = -1;
    for (int i = 0; i < FWD_MAX && slot < 0; i++)
        if (!F.fwd[i].used)
            slot = i;
    if (slot < 0)
        kern_unmodelled("more than 8 execs in progress in the file system");
    /* A new open of the file for the exec server, O_READ|O_EXEC. */
    struct node *e = node_new(false, HURD_O_READ | HURD_O_EXEC, f->path);
    struct fwd *w = &F.fwd[slot];
    w->reply = new_port();
    mig_msg_t m;
    mig_oneway_init(&m, F.exec, MACH_MSG_TYPE_COPY_SEND, EXEC_ID_EXEC_PATHS);
    m.head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.head.msgh_local_port = w->reply;
    mig_put_port(&m, e->port, MACH_MSG_TYPE_MAKE_SEND);
    mig_put_port(&m, task, MACH_MSG_TYPE_COPY_SEND);
    mig_put_int32(&m, flags);
    bool ok = true;
    if (paths)
        ok = pass_bytes(in, &m) && pass_bytes(in, &m);
    else {
        mig_put_bytes(&m, "", 1);
        mig_put_bytes(&m, "", 1);
    }
    void *scratch[2] = {NULL, NULL};
    ok = ok && pass_array(in, &m, 8, MACH_MSG_TYPE_BYTE, NULL) &&
         pass_array(in, &m, 8, MACH_MSG_TYPE_BYTE, NULL) &&
         pass_array(in, &m, 0, 0, &scratch[0]) && pass_array(in, &m, 0, 0, &scratch[1]) &&
         pass_array(in, &m, 32, MACH_MSG_TYPE_INTEGER_32, NULL) &&
         pass_array(in, &m, 32, MACH_MSG_TYPE_PORT_NAME, NULL) &&
         pass_array(in, &m, 32, MACH_MSG_TYPE_PORT_NAME, NULL);
    mach_msg_return_t mr = MACH_MSG_SUCCESS;
    if (ok)
        mr = __mach_msg(&m.head, MACH_SEND_MSG, m.len, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    for (int i = 0; i < 2; i++)
        if (scratch[i] != NULL)
            kern_mem_free(scratch[i]);
    if (!ok) {
        __mach_port_mod_refs(F.self, w->reply, MACH_PORT_RIGHT_RECEIVE, -1);
        return MIG_BAD_ARGUMENTS;
    }
    if (mr != MACH_MSG_SUCCESS) {
        /* The exec server is gone, and there is no other to look up: EOPNOTSUPP. */
        __mach_port_mod_refs(F.self, w->reply, MACH_PORT_RIGHT_RECEIVE, -1);
        return HURD_EOPNOTSUPP;
    }
    w->used = true;
    w->file = f->port;
    w->req = *in;
    return MIG_NO_REPLY;
}

/* exec's reply (or a send-once notification: the exec server discarded the request) on the
 * reply port of w: the caller's request is answered with its code. On success libdiskfs
 * deallocates the task, fds and ports it received; on an error MIG destroys them (M11): either
 * way the request's rights go, and so do its out-of-line regions (EX20: fs.defs's arrays have
 * no servercopy in libdiskfs, so MIG's server stub gives them back after success). */
static void fwd_answer(struct fwd *w, mig_msg_t *in)
{
    kern_return_t code = MIG_SERVER_DIED;
    if (in->head.msgh_id == EXEC_ID_EXEC_PATHS + 100) {
        int32_t c;
        if (!mig_get_int32(in, &c))
            c = MIG_TYPE_ERROR;
        code = c;
    }
    mig_destroy_body_rights(&w->req);
    mig_msg_t out;
    mig_reply_init(&out, &w->req);
    mig_set_retcode(&out, code);
    mig_send_reply(&out);
    __mach_port_mod_refs(F.self, w->reply, MACH_PORT_RIGHT_RECEIVE, -1);
    w->used = false;
}

static kern_return_t fs_demux(void *ctx, mig_msg_t *in, mig_msg_t *out)
{
    (void)ctx;
    mach_port_t local = in->head.msgh_local_port;
    mach_msg_id_t id = in->head.msgh_id;
    for (int i = 0; i < FWD_MAX; i++)
        if (F.fwd[i].used && F.fwd[i].reply == local) {
            fwd_answer(&F.fwd[i], in);
            return MIG_NO_REPLY;
        }
    if (local == F.port) {
        if (id == FS_ID_GETROOT) {
            /* a new port per call, as the Hurd's file systems make one per open */
            struct node *d = node_new(true, HURD_O_READ, "/");
            mig_put_port(out, d->port, MACH_MSG_TYPE_MAKE_SEND);
            return KERN_SUCCESS;
        }
        if (id == FS_ID_SET_EXEC) {
            mach_port_t p;
            if (!mig_get_port(in, &p, NULL))
                return MIG_BAD_ARGUMENTS;
            if (MACH_PORT_VALID(F.exec))
                __mach_port_deallocate(F.self, F.exec);
            F.exec = p;
            return KERN_SUCCESS;
        }
        return MIG_BAD_ID;
    }
    struct node *n = node_of(local);
    if (n == NULL)
        return MIG_BAD_ID;
    switch (id) {
    case FS_ID_DIR_LOOKUP: return S_dir_lookup(n, in, out);
    case IO_ID_READ: return S_io_read(n, in, out);
    case FS_ID_FILE_EXEC_PATHS: return S_file_exec(n, in, true);
    case FS_ID_FILE_EXEC: return S_file_exec(n, in, false);
    }
    return MIG_BAD_ID;
}

/* An interrupt_operation on a file port with an exec in progress: passed on to the exec
 * server, whose EINTR then answers the caller (fwd_answer). */
static void fs_cancel(void *ctx, mach_port_t port)
{
    (void)ctx;
    for (int i = 0; i < FWD_MAX; i++)
        if (F.fwd[i].used && F.fwd[i].file == port)
            __interrupt_operation(F.exec, 1000);
}

void fs_server_main(void *arg)
{
    (void)arg;
    F.self = __mach_task_self();
    __mach_port_allocate(F.self, MACH_PORT_RIGHT_PORT_SET, &F.pset);
    F.port = new_port();
    hurd_serve(HURD_SRV_FS, F.pset, fs_demux, NULL, fs_cancel);
}

kern_return_t __fs_getroot(mach_port_t fs, mach_port_t *root)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "fs_getroot", false);
    mig_request_init(&m, fs, FS_ID_GETROOT);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE + mig_port_item_size(), true);
    mach_port_t p = MACH_PORT_NULL;
    if (kr == KERN_SUCCESS && !mig_get_port(&m, &p, NULL))
        kr = MIG_TYPE_ERROR;
    char args[16], outs[16] = "";
    kern_fmt(args, sizeof args, "%u", fs);
    if (kr == KERN_SUCCESS) {
        *root = p;
        kern_fmt(outs, sizeof outs, "%u", p);
    }
    return kern_rpc_end(&r, kr, args, outs);
}

kern_return_t __fs_set_exec(mach_port_t fs, mach_port_t execserver)
{
    kern_rpc r;
    mig_msg_t m;
    kern_rpc_begin(&r, "fs_set_exec", false);
    mig_request_init(&m, fs, FS_ID_SET_EXEC);
    mig_put_port(&m, execserver, MACH_MSG_TYPE_COPY_SEND);
    kern_return_t kr = mig_rpc(&r, &m, MIG_REPLY_SIZE, false);
    char args[32];
    kern_fmt(args, sizeof args, "%u, %u", fs, execserver);
    return kern_rpc_end(&r, kr, args, "");
}
