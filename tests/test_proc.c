/*
 * test_proc.c: the simulated proc server (sim/hurd/srv_proc.c) through its client stubs, rules
 * P1-P11 of docs/spec-rules.md.
 *
 * Each test boots the Hurd (hurd_boot), starts simulated processes with hurd_spawn, and has
 * them make RPCs. What the processes see, and what each RPC did to both spaces (the caller's
 * and the proc server's), is recorded in host memory during the run and asserted afterwards.
 * Every test ends with the invariant walker clean and kern_close() == 0 (leak audit).
 */
#include "servers.h"
#include "mach_stubs.h"
#include "testlib.h"
#include "testsim.h"

#include <stdio.h>
#include <string.h>

static char *tracebuf;
static size_t tracelen;
static FILE *trace;

static void boot(void)
{
    tracebuf = NULL;
    trace = open_memstream(&tracebuf, &tracelen);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}, .trace = trace};
    assert_int_equal(kern_open(&cfg), 0);
    assert_int_equal(hurd_boot(), 0);
}

static void run_ok(void)
{
    enum sim_result res = sim_run();
    if (res != SIM_OK)
        fprintf(stderr, "%s", sim_report());
    assert_int_equal(res, SIM_OK);
    fflush(trace);
}

static void finish(void)
{
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0);
    fclose(trace);
    free(tracebuf);
}

/* After a failed assertion the run is still open: close it so the next test can boot. */
static int close_left(void **state)
{
    (void)state;
    kern_close();
    return 0;
}

static ktask_t *proc_k(void) { return kern_ktask(hurd_server_task(HURD_SRV_PROC)); }
static ktask_t *self_k(void) { return kern_ktask(sim_task_self()); }

/* What a name holds (type 0 if unused). */
static name_info_t peek(ktask_t *t, mach_port_t n)
{
    name_info_t i;
    memset(&i, 0, sizeof i);
    if (!space_peek(t, n, &i))
        memset(&i, 0, sizeof i);
    return i;
}

static hurd_proc_info info(pid_t pid)
{
    hurd_proc_info i;
    memset(&i, 0, sizeof i);
    if (!hurd_proc_peek(pid, &i))
        i.pid = 0;
    return i;
}

/* A helper thread in the caller's task that blocks in a receive on its own port forever. */
static void blocked_thread(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    mach_port_t p;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &p);
    struct {
        mach_msg_header_t h;
        char body[64];
    } m;
    __mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, p, 0, MACH_PORT_NULL);
}

/* A receive right with one send right, under one name (a message port). */
static mach_port_t new_msgport(void)
{
    mach_port_t self = __mach_task_self(), p;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &p);
    __mach_port_insert_right(self, p, p, MACH_MSG_TYPE_MAKE_SEND);
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* P1, P2: entries and pids                                                                  */
/* ---------------------------------------------------------------------------------------- */

static struct {
    pid_t pid[3], ppid[3];
    int orphaned[3];
    mach_port_t proc[3];
    name_info_t client_proc[3];
} p1;

static int p1_main(void *arg)
{
    int i = (int)(intptr_t)arg;
    p1.proc[i] = hurd_port(HURD_PORT_PROC);
    __proc_getpids(p1.proc[i], &p1.pid[i], &p1.ppid[i], &p1.orphaned[i]);
    p1.client_proc[i] = peek(self_k(), p1.proc[i]);
    return 0;
}

static void test_P1_P2_entries_and_pids(void **state)
{
    (void)state;
    memset(&p1, 0, sizeof p1);
    boot();
    /* P2: 1-4 are init, startup, kernel, proc. */
    assert_int_equal(info(1).pid, 1); /* rule P2 */
    assert_int_equal(info(2).pid, 2); /* rule P2 */
    assert_int_equal(info(3).pid, 3); /* rule P2 */
    assert_int_equal(info(4).pid, 4); /* rule P2 */
    assert_ptr_equal(ktask_by_name(proc_k(), info(4).task), proc_k()); /* rule P2 */
    for (int i = 0; i < 3; i++)
        hurd_spawn(p1_main, (void *)(intptr_t)i, NULL);
    run_ok();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p1.pid[i], 5 + i);      /* rule P2: the counter, after 1-4 */
        assert_int_equal(p1.ppid[i], 1);         /* rule P1: parent init */
        assert_int_equal(p1.client_proc[i].type, MACH_PORT_TYPE_SEND); /* rule P1 */
        hurd_proc_info e = info(p1.pid[i]);
        assert_int_equal(e.pgrp, 1);             /* rule P1: init's process group */
        assert_false(e.parentset);               /* rule P1 */
        /* The entry is keyed by proc's name for the task port, with a dead-name request; the
         * process has exited (fn returned), so that name is now a dead name held by a zombie. */
        assert_true(e.dead);                     /* rule P1 */
        name_info_t tn = peek(proc_k(), e.task);
        assert_int_equal(tn.type, MACH_PORT_TYPE_DEAD_NAME); /* rule P1 */
        assert_int_equal(tn.urefs, 1);           /* rule P1: the notification's uref dropped */
    }
    /* zombies keep their pids: the next process gets 8 */
    hurd_spawn(p1_main, (void *)(intptr_t)0, NULL);
    run_ok();
    assert_int_equal(p1.pid[0], 8); /* rule P2: zombies hold their pids */
    finish();
}

/* ---------------------------------------------------------------------------------------- */
/* P3, P4, P5: conventions, task2proc, task2pid                                              */
/* ---------------------------------------------------------------------------------------- */

static struct {
    mach_port_t proctask;       /* our name for proc's task port (given by the host) */
    kern_return_t getpids_generic, task2pid_generic, task2proc_dead, task2proc_deadname;
    kern_return_t task2proc_notask, task2pid_dead;
    pid_t pid_generic, child_pid, child_pid2, mypid;
    mach_port_t child, cproc, cproc2;
    name_info_t c_child_before, c_child_after, c_cproc, c_cproc2;
    name_info_t s_task_after1, s_task_after2, s_task_after_pid;
    mach_port_t s_task;
    port_info_t notask_before, notask_after;
    kern_return_t t2p_ok, t2p_again, t2pid_ok;
} p4;

static int p4_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    mach_port_t proc = hurd_port(HURD_PORT_PROC);
    /* P3: a port of proc's that is not a proc port */
    mach_port_t generic, gt;
    mach_msg_type_name_t gtt;
    __mach_port_extract_right(p4.proctask, hurd_proc_notify_port(), MACH_MSG_TYPE_MAKE_SEND,
                              &generic, &gtt);
    pid_t a, b;
    int c;
    p4.getpids_generic = __proc_getpids(generic, &a, &b, &c);
    p4.task2pid_generic = __proc_task2pid(generic, self, &p4.pid_generic);
    (void)gt;
    p4.mypid = hurd_pid();
    /* P4: a new task */
    __task_create(self, 0, &p4.child);
    p4.c_child_before = peek(self_k(), p4.child);
    p4.t2p_ok = __proc_task2proc(proc, p4.child, &p4.cproc);
    p4.c_child_after = peek(self_k(), p4.child);
    p4.c_cproc = peek(self_k(), p4.cproc);
    ktask_t *ck = ktask_by_name(self_k(), p4.child);
    p4.child_pid = hurd_proc_pid_of_task(ck);
    hurd_proc_info e = info(p4.child_pid);
    p4.s_task = e.task;
    p4.s_task_after1 = peek(proc_k(), e.task);
    p4.t2p_again = __proc_task2proc(proc, p4.child, &p4.cproc2);
    p4.c_cproc2 = peek(self_k(), p4.cproc2);
    p4.s_task_after2 = peek(proc_k(), e.task);
    /* P5 */
    p4.t2pid_ok = __proc_task2pid(proc, p4.child, &p4.child_pid2);
    p4.s_task_after_pid = peek(proc_k(), e.task);
    /* P4: a send right to a port that is no task: ESRCH, the right released in proc */
    mach_port_t r = new_msgport();
    p4.notask_before = port_info(kern_world(), port_of(self_k(), r));
    p4.task2proc_notask = __proc_task2proc(proc, r, &p4.cproc2);
    p4.notask_after = port_info(kern_world(), port_of(self_k(), r));
    /* a dead task, then MACH_PORT_DEAD */
    __task_terminate(p4.child);
    p4.task2proc_dead = __proc_task2proc(proc, p4.child, &p4.cproc2);
    p4.task2pid_dead = __proc_task2pid(proc, p4.child, &p4.child_pid2);
    p4.task2proc_deadname = __proc_task2proc(proc, MACH_PORT_DEAD, &p4.cproc2);
    return 0;
}

static void test_P3_P4_P5_task2proc_task2pid(void **state)
{
    (void)state;
    memset(&p4, 0, sizeof p4);
    boot();
    sim_task *t = hurd_spawn(p4_main, NULL, NULL);
    p4.proctask = world_give_task_port(kern_ktask(t), proc_k());
    run_ok();
    check_kr(p4.getpids_generic, HURD_EOPNOTSUPP);  /* rule P3 */
    check_kr(p4.task2pid_generic, KERN_SUCCESS);    /* rule P3: task2pid ignores the caller */
    assert_int_equal(p4.pid_generic, p4.mypid);     /* rule P3 */
    check_kr(p4.t2p_ok, KERN_SUCCESS);              /* rule P4 */
    assert_int_equal(p4.child_pid, p4.mypid + 1);   /* rule P4: a new entry, the next pid */
    /* client: the task right was copied, not moved; a send right to the new proc port */
    assert_int_equal(p4.c_child_before.urefs, p4.c_child_after.urefs);  /* rule P3 */
    assert_int_equal(p4.c_cproc.type, MACH_PORT_TYPE_SEND);             /* rule P4 */
    assert_int_equal(p4.c_cproc.urefs, 1);                              /* rule P4 */
    /* server: the entry holds one uref on the task, with the dead-name request */
    assert_int_equal(p4.s_task_after1.type, MACH_PORT_TYPE_SEND);       /* rule P4 */
    assert_int_equal(p4.s_task_after1.urefs, 1);                        /* rule P4 */
    assert_true(p4.s_task_after1.dnrequest);                            /* rule P1 */
    /* again: the same proc port (merged in the client), the task right consumed */
    check_kr(p4.t2p_again, KERN_SUCCESS);                               /* rule P4 */
    assert_int_equal(p4.cproc2, p4.cproc);                              /* rule P4 */
    assert_int_equal(p4.c_cproc2.urefs, 2);                             /* rule P4 */
    check_kr(p4.t2pid_ok, KERN_SUCCESS);                                /* rule P5 */
    assert_int_equal(p4.child_pid2, p4.child_pid);                      /* rule P5 */
    assert_int_equal(p4.s_task_after2.urefs, 1);                        /* rule P4 */
    assert_int_equal(p4.s_task_after_pid.urefs, 1);                     /* rule P5 */
    /* not a task: ESRCH, and proc let go of the right it received (srights back) */
    check_kr(p4.task2proc_notask, HURD_ESRCH);                          /* rule P4 */
    assert_int_equal(p4.notask_after.srights, p4.notask_before.srights); /* rule P3 */
    check_kr(p4.task2proc_dead, HURD_ESRCH);                            /* rule P4 */
    check_kr(p4.task2pid_dead, HURD_ESRCH);                             /* rule P5 */
    check_kr(p4.task2proc_deadname, HURD_ESRCH);                        /* rule P4 */
    finish();
}

/* ---------------------------------------------------------------------------------------- */
/* P6: dostop                                                                                */
/* ---------------------------------------------------------------------------------------- */

static struct {
    kern_return_t kr;
    unsigned stop_main, stop_other[2], task_stop_before, task_stop_after;
    name_info_t c_self_before, c_self_after;
    size_t s_names_before, s_names_after;
} p6;

static int p6_main(void *arg)
{
    (void)arg;
    mach_port_t th[2];
    for (int i = 0; i < 2; i++)
        th[i] = start_thread(blocked_thread, NULL);
    for (int i = 0; i < 5; i++)
        sim_yield("let them block");
    mach_port_t me = __mach_thread_self();
    p6.c_self_before = peek(self_k(), me);
    p6.s_names_before = space_count(proc_k());
    p6.kr = __proc_dostop(hurd_port(HURD_PORT_PROC), me);
    p6.c_self_after = peek(self_k(), me);
    p6.s_names_after = space_count(proc_k());
    p6.stop_main = kthread_user_stop_count(kern_self());
    for (int i = 0; i < 2; i++)
        p6.stop_other[i] = kthread_user_stop_count(kthread_by_name(self_k(), th[i]));
    return 0;
}

static void test_P6_dostop(void **state)
{
    (void)state;
    memset(&p6, 0, sizeof p6);
    boot();
    hurd_spawn(p6_main, NULL, NULL);
    run_ok();
    check_kr(p6.kr, KERN_SUCCESS);                 /* rule P6 */
    assert_int_equal(p6.stop_main, 0);             /* rule P6: contthread runs on */
    assert_int_equal(p6.stop_other[0], 1);         /* rule P6 */
    assert_int_equal(p6.stop_other[1], 1);         /* rule P6 */
    /* client: contthread was copied; server: every thread right it got was let go */
    assert_int_equal(p6.c_self_after.urefs, p6.c_self_before.urefs); /* rule P6 */
    assert_int_equal(p6.s_names_after, p6.s_names_before);           /* rule P6 */
    assert_non_null(strstr(tracebuf, "task_suspend("));
    assert_non_null(strstr(tracebuf, "thread_suspend("));
    assert_non_null(strstr(tracebuf, "proc_dostop("));
    finish();
}

/* ---------------------------------------------------------------------------------------- */
/* P7, P8: message port, queries                                                             */
/* ---------------------------------------------------------------------------------------- */

static struct {
    kern_return_t set1, set2, get1, get_esrch, get_blocked, set3;
    mach_port_t old1, old2, got1, got_blocked, mp1, mp2, mp3;
    name_info_t c_old2, c_got1, s_mp;
    pid_t pid, ppid;
    int orphaned;
    vm_address_t argv0, envp0, argv1, envp1;
    kern_return_t getargs0, setargs, getargs1;
    bool waiter_done;
    unsigned pending_while_blocked;
} p7;

static void p7_waiter(void *arg)
{
    (void)arg;
    p7.get_blocked = __proc_getmsgport(hurd_port(HURD_PORT_PROC), hurd_pid(), &p7.got_blocked);
    p7.waiter_done = true;
}

static int p7_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self(), proc = hurd_port(HURD_PORT_PROC);
    __proc_getpids(proc, &p7.pid, &p7.ppid, &p7.orphaned);
    p7.getargs0 = __proc_get_arg_locations(proc, &p7.argv0, &p7.envp0);
    p7.setargs = __proc_set_arg_locations(proc, 0x1000, 0x2000);
    p7.getargs1 = __proc_get_arg_locations(proc, &p7.argv1, &p7.envp1);
    p7.mp1 = new_msgport();
    p7.set1 = __proc_setmsgport(proc, p7.mp1, &p7.old1);
    p7.mp2 = new_msgport();
    p7.set2 = __proc_setmsgport(proc, p7.mp2, &p7.old2);
    p7.c_old2 = peek(self_k(), p7.old2);       /* the old right came back (MOVE_SEND) */
    p7.s_mp = peek(proc_k(), info(p7.pid).msgport);
    p7.get1 = __proc_getmsgport(proc, p7.pid, &p7.got1);
    p7.c_got1 = peek(self_k(), p7.got1);
    mach_port_t dummy;
    p7.get_esrch = __proc_getmsgport(proc, 999, &dummy);
    /* The stored port dies: getmsgport drops it and waits for a new one. */
    __mach_port_mod_refs(self, p7.mp2, MACH_PORT_RIGHT_RECEIVE, -1);
    start_thread(p7_waiter, NULL);
    for (int i = 0; i < 20 && hurd_proc_pending() == 0; i++)
        sim_yield("waiter blocks in proc");
    p7.pending_while_blocked = hurd_proc_pending();
    p7.mp3 = new_msgport();
    mach_port_t old3;
    p7.set3 = __proc_setmsgport(proc, p7.mp3, &old3);
    for (int i = 0; i < 20 && !p7.waiter_done; i++)
        sim_yield("waiter gets its reply");
    return 0;
}

static void test_P7_P8_msgport_and_queries(void **state)
{
    (void)state;
    memset(&p7, 0, sizeof p7);
    boot();
    hurd_spawn(p7_main, NULL, NULL);
    run_ok();
    assert_int_equal(p7.ppid, 1);                      /* rule P8: before proc_child */
    check_kr(p7.getargs0, KERN_SUCCESS);               /* rule P8 */
    assert_int_equal(p7.argv0, 0);                     /* rule P8: initially 0 */
    assert_int_equal(p7.envp0, 0);                     /* rule P8 */
    check_kr(p7.setargs, KERN_SUCCESS);                /* rule P8 */
    assert_int_equal(p7.argv1, 0x1000);                /* rule P8 */
    assert_int_equal(p7.envp1, 0x2000);                /* rule P8 */
    check_kr(p7.set1, KERN_SUCCESS);                   /* rule P7 */
    assert_int_equal(p7.old1, MACH_PORT_NULL);         /* rule P7: never set */
    check_kr(p7.set2, KERN_SUCCESS);                   /* rule P7 */
    assert_int_equal(p7.old2, p7.mp1);                 /* rule P7: the old port, merged */
    assert_int_equal(p7.c_old2.urefs, 2);              /* rule P7: MOVE_SEND back: 1 + 1 */
    assert_int_equal(p7.s_mp.type, MACH_PORT_TYPE_SEND); /* rule P7: proc keeps a send right */
    assert_int_equal(p7.s_mp.urefs, 1);                /* rule P7 */
    check_kr(p7.get1, KERN_SUCCESS);                   /* rule P7 */
    assert_int_equal(p7.got1, p7.mp2);                 /* rule P7: COPY_SEND, merged */
    assert_int_equal(p7.c_got1.urefs, 2);              /* rule P7 */
    check_kr(p7.get_esrch, HURD_ESRCH);                /* rule P7 */
    assert_int_equal(p7.pending_while_blocked, 1);     /* rule P7: dead port dropped, waits */
    check_kr(p7.set3, KERN_SUCCESS);
    assert_true(p7.waiter_done);                       /* rule P7: setmsgport wakes it */
    check_kr(p7.get_blocked, KERN_SUCCESS);            /* rule P7 */
    assert_int_equal(p7.got_blocked, p7.mp3);          /* rule P7 */
    finish();
}

/* ---------------------------------------------------------------------------------------- */
/* P9: proc_child                                                                            */
/* ---------------------------------------------------------------------------------------- */

static struct {
    kern_return_t child1, child2, child_dead, wait_before, wait_after, newids_mr;
    pid_t pid, cpid, cppid, cpid2;
    int corph;
    hurd_msg_seen newids;
    mach_port_t child, cproc, cmsg;
    name_info_t s_task_before, s_task_after_busy, c_child_before, c_child_after;
    ktask_t *child_k;
} p9;

static int p9_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self(), proc = hurd_port(HURD_PORT_PROC);
    p9.pid = hurd_pid();
    __task_create(self, 0, &p9.child);
    p9.child_k = ktask_by_name(self_k(), p9.child);
    __proc_task2proc(proc, p9.child, &p9.cproc);
    p9.cmsg = new_msgport();                 /* stands for the child's message port */
    mach_port_t old;
    __proc_setmsgport(p9.cproc, p9.cmsg, &old);
    int st, code;
    pid_t who;
    p9.wait_before = __proc_wait(proc, -1, HURD_WNOHANG, &st, &code, NULL, &who);
    pid_t cpid = hurd_proc_pid_of_task(p9.child_k);
    p9.s_task_before = peek(proc_k(), info(cpid).task);
    p9.c_child_before = peek(self_k(), p9.child);
    p9.child1 = __proc_child(proc, p9.child);
    p9.newids_mr = hurd_msg_serve_one(p9.cmsg, &p9.newids);
    __proc_getpids(p9.cproc, &p9.cpid, &p9.cppid, &p9.corph);
    p9.wait_after = __proc_wait(proc, -1, HURD_WNOHANG, &st, &code, NULL, &who);
    p9.child2 = __proc_child(proc, p9.child);
    p9.s_task_after_busy = peek(proc_k(), info(cpid).task);
    p9.c_child_after = peek(self_k(), p9.child);
    mach_port_t dead;
    __task_create(self, 0, &dead);
    __task_terminate(dead);
    p9.child_dead = __proc_child(proc, dead);
    __task_terminate(p9.child);
    __proc_wait(proc, p9.cpid, 0, &st, &code, NULL, &who);
    return 0;
}

static void test_P9_child(void **state)
{
    (void)state;
    memset(&p9, 0, sizeof p9);
    boot();
    hurd_spawn(p9_main, NULL, NULL);
    run_ok();
    check_kr(p9.wait_before, HURD_ECHILD);             /* rule P9: not yet a POSIX child */
    check_kr(p9.child1, KERN_SUCCESS);                 /* rule P9 */
    assert_int_equal(p9.cppid, p9.pid);                /* rule P9 */
    check_kr(p9.newids_mr, MACH_MSG_SUCCESS);          /* rule P9: msg_proc_newids sent */
    assert_int_equal(p9.newids.id, MSG_ID_PROC_NEWIDS); /* rule P9 */
    assert_false(p9.newids.had_reply_port);            /* rule P9: one-way */
    assert_int_equal(p9.newids.ppid, p9.pid);          /* rule P9 */
    assert_int_equal(p9.newids.pgrp, 1);               /* rule P9: the parent's group */
    assert_int_equal(p9.newids.port, p9.child);        /* rule P9: the task, merged */
    check_kr(p9.wait_after, HURD_EAGAIN);              /* rule P9: now wait sees it */
    check_kr(p9.child2, HURD_EBUSY);                   /* rule P9 */
    /* EBUSY: the task right was released with the request; the client's is untouched */
    assert_int_equal(p9.s_task_after_busy.urefs, p9.s_task_before.urefs); /* rules P9 P3 */
    assert_int_equal(p9.c_child_after.urefs, p9.c_child_before.urefs);    /* rule P3 */
    check_kr(p9.child_dead, HURD_ESRCH);               /* rule P9 */
    finish();
}

/* ---------------------------------------------------------------------------------------- */
/* P10, P11: task death, SIGCHLD, wait                                                        */
/* ---------------------------------------------------------------------------------------- */

static struct {
    pid_t pid, cpid, gpid, g_ppid_after;
    int g_orph;
    mach_port_t msgport, gmsg, child, grand, cproc, gproc, my_task;
    hurd_msg_seen sigchld, newids_g1, newids_g2;
    kern_return_t w_echild, w_nohang, w_block, mark1, mark2, mark_stopped, getpids_dead;
    int status, sigcode;
    pid_t who;
    hurd_proc_info zombie, g_after;
    name_info_t s_task_zombie, c_cproc_dead;
    bool zombie_present_after_wait;
    pid_t pid2task_zombie_pid;
    kern_return_t pid2task_zombie;
    mach_port_t zombie_task;
} p10;

static void p10_killer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++)
        sim_yield("let the parent block in proc_wait");
    __task_terminate(p10.child);
}

static int p10_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self(), proc = hurd_port(HURD_PORT_PROC);
    p10.my_task = self;
    p10.pid = hurd_pid();
    int st, code;
    pid_t who;
    p10.w_echild = __proc_wait(proc, -1, 0, &st, &code, NULL, &who);
    p10.msgport = new_msgport();
    mach_port_t old;
    __proc_setmsgport(proc, p10.msgport, &old);
    /* a child C and its child G */
    __task_create(self, 0, &p10.child);
    __proc_task2proc(proc, p10.child, &p10.cproc);
    __proc_task2pid(proc, p10.child, &p10.cpid);
    __proc_child(proc, p10.child);
    __task_create(self, 0, &p10.grand);
    __proc_task2proc(proc, p10.grand, &p10.gproc);
    p10.gmsg = new_msgport();
    __proc_setmsgport(p10.gproc, p10.gmsg, &old);
    __proc_child(p10.cproc, p10.grand);                /* C is G's parent */
    hurd_msg_serve_one(p10.gmsg, &p10.newids_g1);
    p10.mark1 = __proc_mark_exit(p10.cproc, HURD_W_EXITCODE(3, 0), 0);
    p10.mark2 = __proc_mark_exit(p10.cproc, HURD_W_EXITCODE(4, 0), 0);
    p10.mark_stopped = __proc_mark_exit(p10.gproc, HURD_W_STOPCODE(17), 0);
    p10.w_nohang = __proc_wait(proc, p10.cpid, HURD_WNOHANG, &st, &code, NULL, &who);
    /* C dies while we wait for it */
    start_thread(p10_killer, NULL);
    p10.w_block = __proc_wait(proc, p10.cpid, HURD_WNOWAIT, &p10.status, &p10.sigcode, NULL,
                              &p10.who);
    p10.zombie = info(p10.cpid);
    p10.s_task_zombie = peek(proc_k(), p10.zombie.task);
    p10.c_cproc_dead = peek(self_k(), p10.cproc);
    p10.pid2task_zombie = __proc_pid2task(proc, p10.cpid, &p10.zombie_task);
    hurd_msg_serve_one(p10.msgport, &p10.sigchld);
    hurd_msg_serve_one(p10.gmsg, &p10.newids_g2);
    __proc_getpids(p10.gproc, &p10.gpid, &p10.g_ppid_after, &p10.g_orph);
    p10.getpids_dead = __proc_getpids(p10.cproc, &who, &who, &st);
    __proc_wait(proc, p10.cpid, 0, &st, &code, NULL, &who);   /* reaps */
    p10.zombie_present_after_wait = info(p10.cpid).pid != 0;
    __task_terminate(p10.grand);
    return 0;
}

static void test_P10_P11_death_sigchld_wait(void **state)
{
    (void)state;
    memset(&p10, 0, sizeof p10);
    boot();
    hurd_spawn(p10_main, NULL, NULL);
    run_ok();
    check_kr(p10.w_echild, HURD_ECHILD);                 /* rule P11 */
    check_kr(p10.mark1, KERN_SUCCESS);                   /* rule P11 */
    check_kr(p10.mark2, HURD_EBUSY);                     /* rule P11: second mark_exit */
    check_kr(p10.mark_stopped, HURD_EINVAL);             /* rule P11: a stopped status */
    check_kr(p10.w_nohang, HURD_EAGAIN);                 /* rule P11 */
    check_kr(p10.w_block, KERN_SUCCESS);                 /* rules P11 P10: woken by the death */
    assert_int_equal(p10.who, p10.cpid);                 /* rule P11 */
    assert_int_equal(p10.status, HURD_W_EXITCODE(3, 0)); /* rule P10: mark_exit's status */
    /* zombie: proc's task name a dead name, the proc port destroyed (ours a dead name) */
    assert_true(p10.zombie.dead);                        /* rule P10 */
    assert_int_equal(p10.zombie.port, MACH_PORT_NULL);   /* rule P10 */
    assert_int_equal(p10.zombie.msgport, MACH_PORT_NULL); /* rule P10 */
    assert_int_equal(p10.s_task_zombie.type, MACH_PORT_TYPE_DEAD_NAME); /* rule P10 */
    assert_int_equal(p10.s_task_zombie.urefs, 1);        /* rule P10 */
    assert_true(p10.c_cproc_dead.dead || p10.c_cproc_dead.type == MACH_PORT_TYPE_DEAD_NAME); /* rule P10 */
    check_kr(p10.getpids_dead, MACH_SEND_INVALID_DEST);  /* rule P10 */
    check_kr(p10.pid2task_zombie, KERN_SUCCESS);         /* rule P10: a zombie: NULL task */
    assert_int_equal(p10.zombie_task, MACH_PORT_NULL);   /* rule P10 */
    /* SIGCHLD: a hand-built msg_sig_post, no reply port, refport our task (merged) */
    assert_int_equal(p10.sigchld.id, MSG_ID_SIG_POST);   /* rule P11 */
    assert_int_equal(p10.sigchld.signo, HURD_SIGCHLD);   /* rules P10 P11 */
    assert_int_equal(p10.sigchld.sigcode, HURD_CLD_EXITED); /* rule P10 */
    assert_false(p10.sigchld.had_reply_port);            /* rule P11 */
    assert_int_equal(p10.sigchld.port, p10.my_task);     /* rule P11 */
    /* G reparented to init and told so */
    assert_int_equal(p10.newids_g1.ppid, p10.cpid);      /* rule P9 */
    assert_int_equal(p10.newids_g2.id, MSG_ID_PROC_NEWIDS); /* rule P10 */
    assert_int_equal(p10.newids_g2.ppid, 1);             /* rule P10 */
    assert_int_equal(p10.g_ppid_after, 1);               /* rule P10 */
    assert_false(p10.zombie_present_after_wait);         /* rule P11: reaped */
    finish();
}

/* Without proc_mark_exit the status is W_EXITCODE(0, SIGKILL), sigcode -1 (P10). */
static struct {
    kern_return_t kr;
    int status, sigcode;
    pid_t who, cpid;
    name_info_t s_task_reaped;
    mach_port_t s_task;
} p10b;

static int p10b_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self(), proc = hurd_port(HURD_PORT_PROC), child, cproc;
    __task_create(self, 0, &child);
    __proc_task2proc(proc, child, &cproc);
    __proc_task2pid(proc, child, &p10b.cpid);
    p10b.s_task = info(p10b.cpid).task;
    __proc_child(proc, child);
    __task_terminate(child);
    p10b.kr = __proc_wait(proc, -1, 0, &p10b.status, &p10b.sigcode, NULL, &p10b.who);
    p10b.s_task_reaped = peek(proc_k(), p10b.s_task);
    return 0;
}

static void test_P10_killed_status(void **state)
{
    (void)state;
    memset(&p10b, 0, sizeof p10b);
    boot();
    hurd_spawn(p10b_main, NULL, NULL);
    run_ok();
    check_kr(p10b.kr, KERN_SUCCESS);                          /* rule P11 */
    assert_int_equal(p10b.who, p10b.cpid);                    /* rule P11 */
    assert_int_equal(p10b.status, HURD_W_EXITCODE(0, HURD_SIGKILL)); /* rule P10 */
    assert_int_equal(p10b.status, 9);                         /* rule P10 */
    assert_int_equal(p10b.sigcode, -1);                       /* rule P10 */
    assert_int_equal(p10b.s_task_reaped.type, 0);             /* rule P11: reaped, name gone */
    finish();
}

/* P11: a SIGCHLD to a full message port is sent again, without a timeout, by a helper. */
static struct {
    hurd_msg_seen seen[6];
    size_t queued_before;
} p11;

static int p11_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self(), proc = hurd_port(HURD_PORT_PROC), child, cproc;
    mach_port_t mp = new_msgport(), old;
    __proc_setmsgport(proc, mp, &old);
    /* fill the queue (qlimit 5) with our own messages */
    for (int i = 0; i < 5; i++)
        __msg_proc_newids(mp, self, 77, 77, 0);
    __task_create(self, 0, &child);
    __proc_task2proc(proc, child, &cproc);
    __proc_child(proc, child);
    __task_terminate(child);
    int st, code;
    pid_t who;
    __proc_wait(proc, -1, 0, &st, &code, NULL, &who);
    mach_msg_id_t ids[8];
    p11.queued_before = mk_queue_ids(self_k(), mp, ids, 8);
    for (int i = 0; i < 6; i++)
        hurd_msg_serve_one(mp, &p11.seen[i]);
    return 0;
}

static void test_P11_sigchld_full_queue(void **state)
{
    (void)state;
    memset(&p11, 0, sizeof p11);
    boot();
    hurd_spawn(p11_main, NULL, NULL);
    run_ok();
    assert_int_equal(p11.queued_before, 5);                  /* rule P11: the zero timeout failed */
    assert_int_equal(p11.seen[4].id, MSG_ID_PROC_NEWIDS);
    assert_int_equal(p11.seen[5].id, MSG_ID_SIG_POST);       /* rule P11: the helper's resend */
    assert_int_equal(p11.seen[5].signo, HURD_SIGCHLD);       /* rule P11 */
    assert_non_null(strstr(tracebuf, "MACH_SEND_TIMED_OUT")); /* rule P11 */
    finish();
}


/* ---------------------------------------------------------------------------------------- */
/* msg, term and fs stubs; proc_mark_stop                                                    */
/* ---------------------------------------------------------------------------------------- */

static struct {
    mach_port_t msgport, task, ctty, crdir, cwdir;
    kern_return_t post, stop, wait;
    hurd_msg_seen seen, stop_sig;
    name_info_t c_task_before, c_task_after, c_ctty, c_crdir;
    int status, stop_status, stop_sigcode;
    pid_t who, cpid;
    bool served;
} pm;

static void pm_server(void *arg)
{
    (void)arg;
    hurd_msg_serve_one(pm.msgport, &pm.seen);
    pm.served = true;
}

static int pm_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self(), proc = hurd_port(HURD_PORT_PROC), old;
    pm.task = self;
    pm.ctty = hurd_port(HURD_PORT_CTTY);
    pm.crdir = hurd_port(HURD_PORT_CRDIR);
    pm.cwdir = hurd_port(HURD_PORT_CWDIR);
    pm.c_ctty = peek(self_k(), pm.ctty);
    pm.c_crdir = peek(self_k(), pm.crdir);
    pm.msgport = new_msgport();
    __proc_setmsgport(proc, pm.msgport, &old);
    start_thread(pm_server, NULL);
    pm.c_task_before = peek(self_k(), self);
    pm.post = __msg_sig_post(pm.msgport, 15, 0, self);
    pm.c_task_after = peek(self_k(), self);
    /* a child that stops: the parent gets SIGCHLD (CLD_STOPPED), wait(WUNTRACED) sees it */
    mach_port_t child, cproc;
    __task_create(self, 0, &child);
    __proc_task2proc(proc, child, &cproc);
    __proc_task2pid(proc, child, &pm.cpid);
    __proc_child(proc, child);
    pm.stop = __proc_mark_stop(cproc, 17, 0);
    hurd_msg_serve_one(pm.msgport, &pm.stop_sig);
    pm.stop_sigcode = pm.stop_sig.sigcode;
    int code;
    pm.wait = __proc_wait(proc, pm.cpid, HURD_WUNTRACED, &pm.stop_status, &code, NULL, &pm.who);
    __task_terminate(child);
    hurd_msg_serve_one(pm.msgport, &pm.stop_sig); /* the SIGCHLD of its death */
    __proc_wait(proc, pm.cpid, 0, &pm.status, &code, NULL, &pm.who);
    return 0;
}

static void test_msg_term_fs_stubs_and_mark_stop(void **state)
{
    (void)state;
    memset(&pm, 0, sizeof pm);
    boot();
    hurd_spawn(pm_main, NULL, NULL);
    run_ok();
    check_kr(pm.post, KERN_SUCCESS);
    assert_true(pm.served);
    assert_int_equal(pm.seen.id, MSG_ID_SIG_POST);
    assert_int_equal(pm.seen.signo, 15);
    assert_true(pm.seen.had_reply_port);
    assert_int_equal(pm.seen.port, pm.task);                  /* refport, merged (T3) */
    assert_int_equal(pm.c_task_after.urefs, pm.c_task_before.urefs); /* copied, then released */
    assert_int_equal(pm.c_ctty.type, MACH_PORT_TYPE_SEND);    /* term_open_ctty */
    assert_int_equal(pm.c_crdir.type, MACH_PORT_TYPE_SEND);   /* fs_getroot */
    assert_true(pm.crdir != pm.cwdir);                        /* two directory ports */
    check_kr(pm.stop, KERN_SUCCESS);
    assert_int_equal(pm.stop_sig.signo, HURD_SIGCHLD);
    assert_int_equal(pm.stop_sigcode, HURD_CLD_STOPPED);
    check_kr(pm.wait, KERN_SUCCESS);                          /* rule P11: WUNTRACED */
    assert_int_equal(pm.stop_status, HURD_W_STOPCODE(17));    /* rule P11 */
    assert_int_equal(pm.who, pm.cpid);
    assert_int_equal(pm.status, HURD_W_EXITCODE(0, HURD_SIGKILL));
    finish();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_P1_P2_entries_and_pids, close_left),
        cmocka_unit_test_teardown(test_P3_P4_P5_task2proc_task2pid, close_left),
        cmocka_unit_test_teardown(test_P6_dostop, close_left),
        cmocka_unit_test_teardown(test_P7_P8_msgport_and_queries, close_left),
        cmocka_unit_test_teardown(test_P9_child, close_left),
        cmocka_unit_test_teardown(test_P10_P11_death_sigchld_wait, close_left),
        cmocka_unit_test_teardown(test_P10_killed_status, close_left),
        cmocka_unit_test_teardown(test_P11_sigchld_full_queue, close_left),
        cmocka_unit_test_teardown(test_msg_term_fs_stubs_and_mark_stop, close_left),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
