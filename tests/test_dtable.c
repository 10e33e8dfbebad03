/*
 * test_dtable.c: glibc's file descriptor table (hurd/dtable.c and its neighbours, compiled
 * unmodified from the glibc-source package) in simulated Hurd processes forked with glibc's
 * real _Fork.c.
 *
 * A process starts with descriptors 0-2 on the console, each with a ctty port of its own
 * (glibc's init_dtable and _hurd_port2fd, run from the _hurd_subinit hooks). The parent adds a
 * file (no ctty: the fs server is no terminal), the console with O_IGNORE_CTTY and the console
 * with O_CLOEXEC, then forks. The expectation, from the fork's intent: the child's table has
 * the same io ports (the same ports, not only the same names: names are reused), ctty ports of
 * its own (new ports from the term server, opened for the child's pid and the inherited
 * process group), the same flags; the parent's table is unchanged, even when the child closes
 * a descriptor; a grandchild is to its parent what the child is to the parent.
 * Also the port cells beneath the table: a cell set while a user holds its port leaves that
 * port to the user's release (hurd/userlink.h, rule EX19).
 */
#include "servers.h"
#include "forkimpl.h"
#include "kern.h"
#include "shim/hurd/fd.h"
#include "testlib.h"
#include "testlib_fork.h"

#include <stdio.h>
#include <string.h>

#define MAXFD 8

/* One descriptor as a test sees it: names in the process's space and the ports they denote. */
typedef struct fd_view {
    bool used;
    mach_port_t port, ctty;
    uint32_t port_id, ctty_id;
    int flags;
} fd_view;

typedef struct table_view {
    int size;
    pid_t pid, pgrp;
    fd_view fd[MAXFD];
} table_view;

/* What the processes saw, in host memory. */
static struct {
    table_view parent_before, parent_after, child, child_after, grandchild;
    uint32_t cttyid_id;             /* the parent's INIT_PORT_CTTYID port */
    uint32_t crdir_id;              /* the port fd 3 was made from */
    int fd_file, fd_ignore, fd_cloexec;
    pid_t child_pid, grandchild_pid;
    int child_status, grandchild_status;
    kern_return_t child_close;
} seen;

static void table_take(table_view *v)
{
    ktask_t *task = kthread_task(kern_self());
    memset(v, 0, sizeof *v);
    v->size = _hurd_dtablesize;
    v->pid = _hurd_pid;
    v->pgrp = _hurd_pgrp;
    for (int i = 0; i < _hurd_dtablesize && i < MAXFD; i++) {
        struct hurd_fd *d = _hurd_dtable[i];
        if (d == NULL || d->port.port == MACH_PORT_NULL)
            continue;
        fd_view *f = &v->fd[i];
        f->used = true;
        f->port = d->port.port;
        f->ctty = d->ctty.port;
        f->port_id = port_of(task, f->port);
        f->ctty_id = f->ctty != MACH_PORT_NULL ? port_of(task, f->ctty) : 0;
        f->flags = d->flags;
    }
}

static int wait_for(pid_t pid)
{
    int status = -1, sigcode = 0;
    pid_t got = 0;
    rusage_t ru;
    if (__proc_wait(_hurd_ports[INIT_PORT_PROC].port, pid, 0, &status, &sigcode, &ru, &got) !=
        KERN_SUCCESS)
        return -1;
    return status;
}

/* Adds descriptors 3-5 with glibc's _hurd_intern_fd: a send right each, consumed. */
static void add_descriptors(void)
{
    mach_port_t self = __mach_task_self_;
    mach_port_t dir = _hurd_ports[INIT_PORT_CRDIR].port;
    mach_port_t console = _hurd_dtable[0]->port.port;
    seen.crdir_id = port_of(kthread_task(kern_self()), dir);
    __mach_port_mod_refs(self, dir, MACH_PORT_RIGHT_SEND, 1);
    seen.fd_file = _hurd_intern_fd(dir, 0, 1);
    __mach_port_mod_refs(self, console, MACH_PORT_RIGHT_SEND, 1);
    seen.fd_ignore = _hurd_intern_fd(console, O_IGNORE_CTTY, 1);
    __mach_port_mod_refs(self, console, MACH_PORT_RIGHT_SEND, 1);
    seen.fd_cloexec = _hurd_intern_fd(console, O_CLOEXEC, 1);
}

static int dtable_main(void *arg)
{
    (void)arg;
    add_descriptors();
    seen.cttyid_id = port_of(kthread_task(kern_self()), _hurd_ports[INIT_PORT_CTTYID].port);
    table_take(&seen.parent_before);
    pid_t pid = fi_fork();
    if (pid == 0) {
        table_take(&seen.child);
        pid_t gpid = fi_fork();
        if (gpid == 0) {
            table_take(&seen.grandchild);
            return 5;
        }
        seen.grandchild_pid = gpid;
        seen.grandchild_status = wait_for(gpid);
        /* The child closes a descriptor; the parent's must stay open. */
        struct hurd_fd *d = _hurd_fd_get(seen.fd_ignore);
        seen.child_close = d != NULL ? _hurd_fd_close(d) : EBADF;
        table_take(&seen.child_after);
        return 6;
    }
    seen.child_pid = pid;
    seen.child_status = wait_for(pid);
    table_take(&seen.parent_after);
    return 0;
}

/* The run's trace, open until finish(). */
static FILE *trace;
static char *trace_buf;
static size_t trace_len;

/* Runs the scenario; the world stays open (the term server's records are read) until finish. */
static void run_main(fi_fork_variant variant, int (*main_fn)(void *));
static void run(fi_fork_variant variant)
{
    run_main(variant, dtable_main);
}

static void run_main(fi_fork_variant variant, int (*main_fn)(void *))
{
    memset(&seen, 0, sizeof seen);
    fi_aborts_reset();
    trace = open_memstream(&trace_buf, &trace_len);
    kern_config cfg = {.trace = trace};
    assert_int_equal(kern_open(&cfg), 0);
    fi_install();
    fi_set_fork_variant(variant);
    assert_int_equal(hurd_boot(), 0);
    fi_spawn(main_fn, NULL, NULL);
    test_fork_run_clean();
}

/* Closes the world: nothing may leak. */
static void finish(void)
{
    assert_int_equal(kern_close(), 0);
    fclose(trace);
    if (getenv("FORKSIM_DUMP"))
        fputs(trace_buf, stderr);
    free(trace_buf);
}

/* The ctty port id was opened by the term server for (pid, pgrp). */
static void check_ctty_owner(uint32_t ctty_id, pid_t pid, pid_t pgrp)
{
    pid_t opid = 0, opgrp = 0;
    assert_true(hurd_term_ctty_peek(ctty_id, &opid, &opgrp));
    assert_int_equal(opid, pid);
    assert_int_equal(opgrp, pgrp);
}

/* A forked table against its parent's: same io ports and flags, own ctty ports. */
static void check_forked_table(const table_view *parent, const table_view *child, pid_t child_pid)
{
    assert_int_equal(child->pid, child_pid);
    assert_int_equal(child->pgrp, parent->pgrp);
    assert_int_equal(child->size, parent->size);
    for (int i = 0; i < MAXFD; i++) {
        const fd_view *p = &parent->fd[i], *c = &child->fd[i];
        assert_int_equal(c->used, p->used);
        if (!p->used)
            continue;
        assert_int_equal(c->port, p->port);         /* the same name ... */
        assert_int_equal(c->port_id, p->port_id);   /* ... for the same port */
        assert_int_equal(c->flags, p->flags);
        if (p->ctty == MACH_PORT_NULL) {
            assert_int_equal(c->ctty, MACH_PORT_NULL);
            continue;
        }
        assert_int_not_equal(c->ctty, MACH_PORT_NULL);
        assert_int_not_equal(c->ctty_id, p->ctty_id);   /* a new port ... */
        check_ctty_owner(c->ctty_id, child_pid, parent->pgrp); /* ... opened for the child */
        for (int j = 0; j < i; j++)
            if (child->fd[j].used && child->fd[j].ctty != MACH_PORT_NULL)
                assert_int_not_equal(c->ctty_id, child->fd[j].ctty_id);
    }
}

static void check_tables_equal(const table_view *a, const table_view *b)
{
    assert_int_equal(a->size, b->size);
    for (int i = 0; i < MAXFD; i++) {
        assert_int_equal(a->fd[i].used, b->fd[i].used);
        assert_int_equal(a->fd[i].port, b->fd[i].port);
        assert_int_equal(a->fd[i].port_id, b->fd[i].port_id);
        assert_int_equal(a->fd[i].ctty, b->fd[i].ctty);
        assert_int_equal(a->fd[i].ctty_id, b->fd[i].ctty_id);
        assert_int_equal(a->fd[i].flags, b->fd[i].flags);
    }
}

/* Start-up: 0-2 on the console, each with a ctty port of its own opened for the process;
 * the descriptors _hurd_intern_fd added: a file without ctty, the console without ctty
 * (O_IGNORE_CTTY), the console with ctty and FD_CLOEXEC. */
static void check_parent_table(void)
{
    const table_view *t = &seen.parent_before;
    uint32_t console = hurd_term_port_id(HURD_TERM_IO);
    assert_int_not_equal(console, 0);
    assert_int_equal(seen.cttyid_id, hurd_term_port_id(HURD_TERM_CTTYID));
    assert_int_equal(t->pgrp, 1);
    assert_int_equal(seen.fd_file, 3);
    assert_int_equal(seen.fd_ignore, 4);
    assert_int_equal(seen.fd_cloexec, 5);
    assert_int_equal(t->size, 6); /* 3 at start-up, doubled by _hurd_alloc_fd */
    for (int i = 0; i < 3; i++) {
        assert_true(t->fd[i].used);
        assert_int_equal(t->fd[i].port_id, console);
        assert_int_not_equal(t->fd[i].ctty, MACH_PORT_NULL);
        check_ctty_owner(t->fd[i].ctty_id, t->pid, 1);
        assert_int_equal(t->fd[i].flags, 0);
    }
    assert_int_not_equal(t->fd[0].ctty_id, t->fd[1].ctty_id);
    assert_int_not_equal(t->fd[1].ctty_id, t->fd[2].ctty_id);
    assert_int_equal(t->fd[3].port_id, seen.crdir_id);
    assert_int_equal(t->fd[3].ctty, MACH_PORT_NULL);
    assert_int_equal(t->fd[3].flags, 0);
    assert_int_equal(t->fd[4].port_id, console);
    assert_int_equal(t->fd[4].ctty, MACH_PORT_NULL);
    assert_int_equal(t->fd[4].flags, 0);
    assert_int_equal(t->fd[5].port_id, console);
    check_ctty_owner(t->fd[5].ctty_id, t->pid, 1);
    assert_int_equal(t->fd[5].flags, FD_CLOEXEC);
}

static void check_fork_run(void)
{
    check_parent_table();
    assert_true(seen.child_pid > 0);
    assert_int_equal(seen.child_status, 6 << 8);
    assert_true(seen.grandchild_pid > 0);
    assert_int_not_equal(seen.grandchild_pid, seen.child_pid);
    assert_int_equal(seen.grandchild_status, 5 << 8);
    check_forked_table(&seen.parent_before, &seen.child, seen.child_pid);
    check_forked_table(&seen.child, &seen.grandchild, seen.grandchild_pid);
    /* The child's close took its own descriptor only. */
    assert_int_equal(seen.child_close, 0);
    assert_false(seen.child_after.fd[4].used);
    check_tables_equal(&seen.parent_before, &seen.parent_after);
}

static void test_dtable_start(void **state)
{
    (void)state;
    run(FI_FORK_GLIBC);
    check_parent_table();
    finish();
}

static void test_dtable_fork(void **state)
{
    (void)state;
    run(FI_FORK_GLIBC);
    check_fork_run();
    finish();
}

static void test_dtable_fork_ndebug(void **state)
{
    (void)state;
    run(FI_FORK_GLIBC_NDEBUG);
    check_fork_run();
    finish();
}

/* A port cell set while a user holds its port (glibc 2.36 hurd/hurd/userlink.h: "If the return
 * value is zero, someone is still using the resource and they will deallocate it when they are
 * finished"; hurd/port.h's _hurd_port_locked_set and _hurd_port_free; rule EX19): the set
 * leaves the old port's send right to its user, whose _hurd_port_free deallocates it, one
 * uref. The right is given an extra uref first so that the name survives either way. */
static struct {
    mach_port_t old, got;
    mach_port_urefs_t refs_before, refs_after_set, refs_after_free;
} ulink;

static mach_port_urefs_t send_refs(mach_port_t name)
{
    mach_port_urefs_t refs = 0;
    if (__mach_port_get_refs(__mach_task_self_, name, MACH_PORT_RIGHT_SEND, &refs) != KERN_SUCCESS)
        return 0;
    return refs;
}

static int userlink_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self_;
    struct hurd_port *cell = &_hurd_ports[INIT_PORT_CWDIR];
    ulink.old = cell->port;
    __mach_port_mod_refs(self, ulink.old, MACH_PORT_RIGHT_SEND, 1);
    ulink.refs_before = send_refs(ulink.old);
    mach_port_t fresh = MACH_PORT_NULL;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &fresh);
    __mach_port_insert_right(self, fresh, fresh, MACH_MSG_TYPE_MAKE_SEND);
    struct hurd_userlink link;
    ulink.got = _hurd_port_get(cell, &link);
    _hurd_port_set(cell, fresh);
    ulink.refs_after_set = send_refs(ulink.old);
    _hurd_port_free(cell, &link, ulink.got);
    ulink.refs_after_free = send_refs(ulink.old);
    return 0;
}

static void test_port_cell_set_while_used(void **state)
{
    (void)state;
    memset(&ulink, 0, sizeof ulink);
    run_main(FI_FORK_GLIBC, userlink_main);
    assert_int_not_equal(ulink.old, MACH_PORT_NULL);
    assert_int_equal(ulink.got, ulink.old);
    assert_true(ulink.refs_before >= 2);
    assert_int_equal(ulink.refs_after_set, ulink.refs_before);       /* rule EX19 */
    assert_int_equal(ulink.refs_after_free, ulink.refs_before - 1);  /* rule EX19 */
    finish();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtable_start),
        cmocka_unit_test(test_dtable_fork),
        cmocka_unit_test(test_dtable_fork_ndebug),
        cmocka_unit_test(test_port_cell_set_while_used),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
