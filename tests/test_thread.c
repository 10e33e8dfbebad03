/*
 * test_thread.c: thread creation and control (rules K3, H1-H9), model/thread.c, with
 * task_suspend and task_resume of model/task.c and the mach_msg waits of model/kmsg.c that
 * suspension, abort and termination act on.
 *
 * A "blocked" thread is one whose mk_mach_msg returned MK_MSG_BLOCKED; the runtime would call
 * mk_mach_msg_continue once the model no longer reports it waiting, and the tests do just that.
 */
#include "testlib.h"

#include <string.h>

/* i386 flavors beyond i386_THREAD_STATE (i386/include/mach/i386/thread_status.h). */
#define FLAVOR_THREAD 1
#define FLAVOR_DEBUG 6
#define FLAVOR_FSGS 7

typedef union msgbuf {
    mach_msg_header_t h;
    char bytes[256];
} msgbuf_t;

/* --- helpers ------------------------------------------------------------------------------------ */

/* A new thread in the fixture's task, resumed so that it runs; *name is the fixture's name. */
static kthread_t *running_thread(fx_t *fx, mach_port_name_t *name)
{
    check_kr(mk_thread_create(fx->th, fx->self, name), KERN_SUCCESS);
    check_kr(mk_thread_resume(fx->th, *name), KERN_SUCCESS);
    kthread_t *t = kthread_by_name(fx->task, *name);
    assert_non_null(t);
    assert_int_equal(kthread_suspend_count(t), 0);
    return t;
}

/* Fills buf with a header-only message to dest. */
static void msg_init(msgbuf_t *buf, mach_port_name_t dest, mach_msg_type_name_t dest_type,
                     mach_port_name_t reply, mach_msg_type_name_t reply_type, mach_msg_id_t id)
{
    memset(buf, 0, sizeof *buf);
    buf->h.msgh_bits = MACH_MSGH_BITS(dest_type, reply_type);
    buf->h.msgh_size = sizeof(mach_msg_header_t);
    buf->h.msgh_remote_port = dest;
    buf->h.msgh_local_port = reply;
    buf->h.msgh_id = id;
}

/* Sends a header-only message without blocking (timeout 0). */
static mach_msg_return_t send_now(kthread_t *th, mach_port_name_t dest, mach_msg_id_t id)
{
    msgbuf_t buf;
    msg_init(&buf, dest, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, id);
    return mk_mach_msg(th, &buf.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(mach_msg_header_t),
                       0, MACH_PORT_NULL, 0);
}

/* Starts a blocking receive on name (no timeout): the model leaves th waiting. */
static void block_receive(kthread_t *th, msgbuf_t *buf, mach_port_name_t name)
{
    memset(buf, 0, sizeof *buf);
    check_kr(mk_mach_msg(th, &buf->h, MACH_RCV_MSG, 0, sizeof *buf, name, 0), MK_MSG_BLOCKED);
    assert_int_equal(mk_thread_blocked(th, NULL), MK_WAIT_RECEIVE);
}

/* --- K3 thread_create ---------------------------------------------------------------------------- */

static void test_K3_thread_create(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t bself, b;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    ktask_t *bt = kthread_task(bth);
    size_t before = space_count(bt);
    mach_port_name_t t;
    check_kr(mk_thread_create(fx->th, b, &t), KERN_SUCCESS); /* rule K3 */
    assert_int_equal(space_count(bt), before);               /* rule K3: no name in the task */
    check_name(fx->task, t, MACH_PORT_TYPE_SEND, 1);         /* rule K3 */
    kthread_t *nt = kthread_by_name(fx->task, t);
    assert_non_null(nt);
    assert_ptr_equal(kthread_task(nt), bt); /* rule K3 */
    port_info_t pi = port_info(fx->w, port_of(fx->task, t));
    assert_int_equal(pi.mscount, 2); /* rule K3: ith_sself, then convert_thread_to_port */
    assert_int_equal(pi.srights, 2); /* rule K3 */
    mach_port_name_t e = 0x55;
    check_kr(mk_thread_get_special_port(fx->th, t, THREAD_EXCEPTION_PORT, &e), KERN_SUCCESS);
    assert_int_equal(e, MACH_PORT_NULL); /* rule K3 */
    /* its own mach_thread_self makes the first name in its task */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    mach_port_name_t me = mk_mach_thread_self(nt);
    assert_int_equal(port_of(bt, me), pi.id); /* rule K3 */
    /* a null task */
    check_kr(mk_thread_create(fx->th, t, &e), KERN_INVALID_ARGUMENT); /* rule K3 */
    mach_port_name_t p = alloc_rcv_send(fx);
    check_kr(mk_thread_create(fx->th, p, &e), KERN_INVALID_ARGUMENT); /* rule K3 */
    /* a terminated task's port is destroyed with it: the request cannot be sent */
    check_kr(mk_task_terminate(fx->th, b), KERN_SUCCESS);
    check_kr(mk_thread_create(fx->th, b, &e), MACH_SEND_INVALID_DEST); /* rule K3 */
}

/* --- H1 counters ---------------------------------------------------------------------------------- */

static void test_H1_new_thread_suspended(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(kthread_suspend_count(fx->th), 0);
    mach_port_name_t t;
    check_kr(mk_thread_create(fx->th, fx->self, &t), KERN_SUCCESS);
    kthread_t *nt = kthread_by_name(fx->task, t);
    assert_non_null(nt);
    assert_int_equal(kthread_user_stop_count(nt), 1); /* rule H1 */
    assert_int_equal(kthread_suspend_count(nt), 1);   /* rule H1 */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_user_stop_count(nt), 0); /* rule H1 */
    assert_int_equal(kthread_suspend_count(nt), 0);   /* rule H1: it runs */
    assert_false(kthread_must_stop(nt));              /* rule H1 */
}

static void test_H1_new_thread_in_suspended_task(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t bself, b;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    check_kr(mk_task_suspend(fx->th, b), KERN_SUCCESS);
    check_kr(mk_task_suspend(fx->th, b), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(bth), 1); /* one hold for the task, however deep */
    mach_port_name_t t;
    check_kr(mk_thread_create(fx->th, b, &t), KERN_SUCCESS);
    kthread_t *nt = kthread_by_name(fx->task, t);
    assert_int_equal(kthread_user_stop_count(nt), 1); /* rule H1 */
    assert_int_equal(kthread_suspend_count(nt), 2);   /* rule H1: task's 1, plus 1 */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(nt), 1); /* rule H1: the task is suspended */
    check_kr(mk_task_resume(fx->th, b), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(nt), 1); /* rule H1 */
    check_kr(mk_task_resume(fx->th, b), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(nt), 0); /* rule H1 */
    assert_int_equal(kthread_suspend_count(bth), 0); /* rule H1 */
}

/* --- H2 thread_suspend ----------------------------------------------------------------------------- */

static void test_H2_no_upper_limit(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    kthread_t *nt = running_thread(fx, &t);
    for (int i = 0; i < 1000; i++)
        check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS); /* rule H2 */
    assert_int_equal(kthread_user_stop_count(nt), 1000); /* rule H2 */
    assert_int_equal(kthread_suspend_count(nt), 1);      /* rule H2: one hold */
    for (int i = 0; i < 999; i++)
        check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(nt), 1); /* rule H2 */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(nt), 0); /* rule H2 */
}

static void test_H2_self(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t me = mk_mach_thread_self(fx->th);
    check_kr(mk_thread_suspend(fx->th, me), KERN_SUCCESS); /* rule H2 */
    assert_int_equal(kthread_user_stop_count(fx->th), 1); /* rule H2 */
    assert_true(kthread_must_stop(fx->th));               /* rule H2: stops on the way out */
    /* another thread resumes it */
    kthread_t *other = world_boot_thread(fx->task);
    mach_port_name_t oself = mk_mach_task_self(other);
    assert_int_equal(oself, fx->self);
    check_kr(mk_thread_resume(other, me), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(fx->th), 0); /* rule H2 */
    assert_false(kthread_must_stop(fx->th));            /* rule H2 */
}

/* Resumed by thread and task, a self-suspended thread may run again. */
static void test_H2_self_then_task_hold(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t bself, b;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    mach_port_name_t bme = mk_mach_thread_self(bth);
    check_kr(mk_thread_suspend(bth, bme), KERN_SUCCESS);
    assert_true(kthread_must_stop(bth));
    check_kr(mk_task_suspend(fx->th, b), KERN_SUCCESS);
    mach_port_name_t *threads;
    mach_msg_type_number_t n;
    check_kr(mk_task_threads(fx->th, b, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 1);
    check_kr(mk_thread_resume(fx->th, threads[0]), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(bth), 1); /* rule H4: the task still holds it */
    assert_true(kthread_must_stop(bth) || kthread_suspend_count(bth) > 0);
    check_kr(mk_task_resume(fx->th, b), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(bth), 0); /* rules H1 H4 */
    assert_false(kthread_must_stop(bth));            /* rules H1 H4: it runs again */
    free(threads);
}

static void test_H2_blocked_stays_blocked(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS); /* rule H2 */
    assert_int_equal(mk_thread_blocked(r, NULL), MK_WAIT_RECEIVE); /* rule H2 */
    check_kr(mk_mach_msg_continue(r), MK_MSG_BLOCKED); /* rule H2: suspension interrupts nothing */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(r, NULL), MK_WAIT_RECEIVE); /* rule H2 */
    check_kr(send_now(fx->th, p, 7), MACH_MSG_SUCCESS);
    check_kr(mk_mach_msg_continue(r), MACH_MSG_SUCCESS);
    assert_int_equal(buf.h.msgh_id, 7);
}

static void test_H2_errors(void **state)
{
    fx_t *fx = *state;
    check_kr(mk_thread_suspend(fx->th, fx->self), KERN_INVALID_ARGUMENT); /* rule H2: a task port */
    mach_port_name_t p = alloc_rcv_send(fx);
    check_kr(mk_thread_suspend(fx->th, p), KERN_INVALID_ARGUMENT); /* rule H2 */
    mach_port_name_t t;
    running_thread(fx, &t);
    check_kr(mk_thread_terminate(fx->th, t), KERN_SUCCESS);
    /* once the port is destroyed the request cannot be sent */
    check_kr(mk_thread_suspend(fx->th, t), MACH_SEND_INVALID_DEST); /* rule H2 */
}

/* --- H3 thread_resume ------------------------------------------------------------------------------ */

static void test_H3_resume_at_zero(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    kthread_t *nt = running_thread(fx, &t);
    check_kr(mk_thread_resume(fx->th, t), KERN_FAILURE); /* rule H3 */
    assert_int_equal(kthread_user_stop_count(nt), 0);   /* rule H3 */
    assert_int_equal(kthread_suspend_count(nt), 0);     /* rule H3 */
    mach_port_name_t me = mk_mach_thread_self(fx->th);
    check_kr(mk_thread_resume(fx->th, me), KERN_FAILURE); /* rule H3 */
    check_kr(mk_thread_resume(fx->th, fx->self), KERN_INVALID_ARGUMENT); /* rule H3 */
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_user_stop_count(nt), 1); /* rule H3 */
    assert_int_equal(kthread_suspend_count(nt), 1);   /* rule H3 */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(nt), 0); /* rule H3: the hold is released at 0 */
    check_kr(mk_thread_resume(fx->th, t), KERN_FAILURE); /* rule H3 */
}

/* --- H4 task_suspend / task_resume ------------------------------------------------------------------ */

static void test_H4_task_counts_independent(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t bself, b;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    kthread_t *bth2 = world_boot_thread(kthread_task(bth));
    check_kr(mk_task_resume(fx->th, b), KERN_FAILURE); /* rule H4 */
    check_kr(mk_task_suspend(fx->th, b), KERN_SUCCESS); /* rule H4 */
    assert_int_equal(kthread_suspend_count(bth), 1);    /* rule H4 */
    assert_int_equal(kthread_suspend_count(bth2), 1);   /* rule H4 */
    assert_int_equal(kthread_user_stop_count(bth), 0);  /* rule H4: thread counts untouched */
    /* a thread resume cannot undo a task hold */
    mach_port_name_t *threads;
    mach_msg_type_number_t n;
    check_kr(mk_task_threads(fx->th, b, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 2);
    check_kr(mk_thread_resume(fx->th, threads[0]), KERN_FAILURE); /* rule H4 */
    assert_int_equal(kthread_suspend_count(bth), 1);              /* rule H4 */
    /* a thread suspended on its own stays so after task_resume */
    check_kr(mk_thread_suspend(fx->th, threads[1]), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(bth2), 2); /* rule H4 */
    check_kr(mk_task_resume(fx->th, b), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(bth), 0);    /* rule H4 */
    assert_int_equal(kthread_suspend_count(bth2), 1);   /* rule H4 */
    assert_int_equal(kthread_user_stop_count(bth2), 1); /* rule H4 */
    check_kr(mk_task_resume(fx->th, b), KERN_FAILURE);  /* rule H4 */
    check_kr(mk_thread_resume(fx->th, threads[1]), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(bth2), 0); /* rule H4 */
    free(threads);
    /* a null task */
    mach_port_name_t me = mk_mach_thread_self(fx->th);
    check_kr(mk_task_suspend(fx->th, me), KERN_INVALID_ARGUMENT); /* rule H4 */
    check_kr(mk_task_resume(fx->th, me), KERN_INVALID_ARGUMENT);  /* rule H4 */
}

/* A caller inside the task holds itself too. */
static void test_H4_suspend_own_task(void **state)
{
    fx_t *fx = *state;
    kthread_t *other = world_boot_thread(fx->task);
    check_kr(mk_task_suspend(fx->th, fx->self), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(other), 1); /* rule H4 */
    assert_int_equal(kthread_suspend_count(fx->th), 1); /* rule H4 */
    check_kr(mk_task_resume(other, fx->self), KERN_SUCCESS);
    assert_int_equal(kthread_suspend_count(other), 0);  /* rule H4 */
    assert_int_equal(kthread_suspend_count(fx->th), 0); /* rule H4 */
}

/* --- H5 a suspended receiver still takes the message --------------------------------------------------- */

static void test_H5_suspended_receiver_counts(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    uint32_t pid = port_of(fx->task, p);
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 100), MACH_MSG_SUCCESS);
    /* handed over: not on the queue, but still counted */
    mach_msg_id_t ids[4];
    assert_int_equal(queued(fx->task, p, ids, 4), 0);     /* rule H5 */
    assert_int_equal(port_info(fx->w, pid).msgcount, 1); /* rule H5 */
    /* and counted toward qlimit */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, p, 1), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 101), MACH_SEND_TIMED_OUT); /* rule H5 */
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, p, 5), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 102), MACH_MSG_SUCCESS);
    assert_int_equal(queued(fx->task, p, ids, 4), 1);     /* rule H5 */
    assert_int_equal(port_info(fx->w, pid).msgcount, 2); /* rule H5 */
    /* resumed, it completes the receive of the message it was handed */
    check_kr(mk_thread_resume(fx->th, t), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(r), MACH_MSG_SUCCESS); /* rule H5 */
    assert_int_equal(buf.h.msgh_id, 100);                /* rule H5 */
    assert_int_equal(port_info(fx->w, pid).msgcount, 1); /* rule H5 */
    check_kr(recv_now(fx->th, p, &buf, sizeof buf), MACH_MSG_SUCCESS);
    assert_int_equal(buf.h.msgh_id, 102);
    assert_int_equal(port_info(fx->w, pid).msgcount, 0);
}

/* --- H6 thread_abort ----------------------------------------------------------------------------- */

static void test_H6_errors(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t me = mk_mach_thread_self(fx->th);
    check_kr(mk_thread_abort(fx->th, me), KERN_INVALID_ARGUMENT);       /* rule H6 */
    check_kr(mk_thread_abort(fx->th, fx->self), KERN_INVALID_ARGUMENT); /* rule H6 */
    /* a thread in user mode: nothing visible */
    mach_port_name_t t;
    kthread_t *nt = running_thread(fx, &t);
    check_kr(mk_thread_abort(fx->th, t), KERN_SUCCESS);           /* rule H6 */
    assert_int_equal(mk_thread_blocked(nt, NULL), MK_WAIT_NONE);  /* rule H6 */
    assert_int_equal(kthread_suspend_count(nt), 0);               /* rule H6 */
}

static void test_H6_waiting_receive(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_abort(fx->th, t), KERN_SUCCESS);
    assert_int_equal(mk_thread_blocked(r, NULL), MK_WAIT_NONE);  /* rule H6 */
    check_kr(mk_mach_msg_continue(r), MACH_RCV_INTERRUPTED);     /* rule H6 */
    /* a later message is not taken by the interrupted receive */
    check_kr(send_now(fx->th, p, 5), MACH_MSG_SUCCESS);
    mach_msg_id_t ids[2];
    assert_int_equal(queued(fx->task, p, ids, 2), 1); /* rule H6 */
}

/* SEND|RCV: the request half was sent; the receive half is interrupted. */
static void test_H6_combined_request_sent(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t server = alloc_rcv_send(fx), reply = alloc_rcv(fx), t;
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    msg_init(&buf, server, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 33);
    check_kr(mk_mach_msg(r, &buf.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(mach_msg_header_t),
                         sizeof buf, reply, 0), MK_MSG_BLOCKED);
    check_kr(mk_thread_abort(fx->th, t), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(r), MACH_RCV_INTERRUPTED); /* rule H6 */
    mach_msg_id_t ids[2];
    assert_int_equal(queued(fx->task, server, ids, 2), 1); /* rule H6: the request is there */
    assert_int_equal(ids[0], 33);                         /* rule H6 */
}

/* A send blocked on a full queue: MACH_SEND_INTERRUPTED, rights pseudo-received (M4). */
static void test_H6_blocked_send(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), q = alloc_rcv(fx), t;
    uint32_t pid = port_of(fx->task, p);
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, p, 1), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 1), MACH_MSG_SUCCESS);
    kthread_t *s = running_thread(fx, &t);
    mach_port_urefs_t urefs_before = 1;
    check_name(fx->task, p, MACH_PORT_TYPE_SEND_RECEIVE, urefs_before);
    msgbuf_t buf;
    msg_init(&buf, p, MACH_MSG_TYPE_COPY_SEND, q, MACH_MSG_TYPE_MAKE_SEND_ONCE, 2);
    check_kr(mk_mach_msg(s, &buf.h, MACH_SEND_MSG, sizeof(mach_msg_header_t), 0, MACH_PORT_NULL, 0),
             MK_MSG_BLOCKED);
    assert_int_equal(mk_thread_blocked(s, NULL), MK_WAIT_SEND);
    check_kr(mk_thread_abort(fx->th, t), KERN_SUCCESS);
    check_kr(mk_mach_msg_continue(s), MACH_SEND_INTERRUPTED); /* rule H6 */
    /* the destination came back as a send right (+1 uref), the reply as a new send-once name */
    assert_int_equal(buf.h.msgh_remote_port, p); /* rule H6 */
    assert_int_equal(MACH_MSGH_BITS_REMOTE(buf.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND); /* rule H6 */
    assert_int_equal(MACH_MSGH_BITS_LOCAL(buf.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE); /* rule H6 */
    check_name(fx->task, p, MACH_PORT_TYPE_SEND_RECEIVE, urefs_before + 1); /* rule H6 */
    check_name(fx->task, buf.h.msgh_local_port, MACH_PORT_TYPE_SEND_ONCE, 1); /* rule H6 */
    assert_int_equal(port_of(fx->task, buf.h.msgh_local_port), port_of(fx->task, q));
    assert_int_equal(port_info(fx->w, pid).msgcount, 1); /* rule H6: nothing was queued */
}

/* Already handed a message (H5): the receive completes normally; a suspended thread stays so. */
static void test_H6_handed_message_completes(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    uint32_t pid = port_of(fx->task, p);
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 55), MACH_MSG_SUCCESS);
    check_kr(mk_thread_abort(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_user_stop_count(r), 1); /* rule H6: still suspended */
    assert_int_equal(kthread_suspend_count(r), 1);   /* rule H6 */
    check_kr(mk_mach_msg_continue(r), MACH_MSG_SUCCESS); /* rule H6 */
    assert_int_equal(buf.h.msgh_id, 55);                 /* rule H6 */
    assert_int_equal(port_info(fx->w, pid).msgcount, 0); /* rules H5 H6 */
}

static void test_H6_suspended_stays_suspended(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(mk_thread_abort(fx->th, t), KERN_SUCCESS);
    assert_int_equal(kthread_user_stop_count(r), 2); /* rule H6 */
    assert_int_equal(kthread_suspend_count(r), 1);   /* rule H6 */
    check_kr(mk_mach_msg_continue(r), MACH_RCV_INTERRUPTED); /* rule H6 */
}

/* --- H7 thread state ----------------------------------------------------------------------------- */

static void test_H7_errors(void **state)
{
    fx_t *fx = *state;
    natural_t regs[MK_MAX_STATE_WORDS];
    mach_msg_type_number_t count = 17;
    mach_port_name_t me = mk_mach_thread_self(fx->th), t;
    memset(regs, 0, sizeof regs);
    check_kr(mk_thread_get_state(fx->th, me, FLAVOR_THREAD, regs, &count), KERN_INVALID_ARGUMENT); /* rule H7 */
    check_kr(mk_thread_set_state(fx->th, me, FLAVOR_THREAD, regs, 17), KERN_INVALID_ARGUMENT); /* rule H7 */
    running_thread(fx, &t);
    count = MK_MAX_STATE_WORDS;
    check_kr(mk_thread_get_state(fx->th, t, 99, regs, &count), KERN_INVALID_ARGUMENT); /* rule H7 */
    check_kr(mk_thread_set_state(fx->th, t, 99, regs, 17), KERN_INVALID_ARGUMENT);     /* rule H7 */
    count = 16;
    check_kr(mk_thread_get_state(fx->th, t, FLAVOR_THREAD, regs, &count), KERN_INVALID_ARGUMENT); /* rule H7 */
    check_kr(mk_thread_set_state(fx->th, t, FLAVOR_THREAD, regs, 16), KERN_INVALID_ARGUMENT); /* rule H7 */
    count = 17;
    check_kr(mk_thread_get_state(fx->th, fx->self, FLAVOR_THREAD, regs, &count),
             KERN_INVALID_ARGUMENT); /* rule H7: a null thread */
}

static void test_H7_round_trip(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t;
    kthread_t *nt = running_thread(fx, &t);
    natural_t regs[MK_MAX_STATE_WORDS], back[MK_MAX_STATE_WORDS];
    mach_msg_type_number_t count = 17;
    memset(back, 0xAA, sizeof back);
    check_kr(mk_thread_get_state(fx->th, t, FLAVOR_THREAD, back, &count), KERN_SUCCESS);
    assert_int_equal(count, 17); /* rule H7 */
    for (int i = 4; i <= 11; i++) /* edi, esi, ebp, esp, ebx, edx, ecx, eax */
        assert_int_equal(back[i], 0); /* rule H7: a new thread's general registers are 0 */
    for (int i = 0; i < 17; i++)
        regs[i] = 0x1000u + (natural_t)i;
    regs[14] = 0x202; /* EFLAGS: IF and the reserved bit, already sane */
    check_kr(mk_thread_set_state(fx->th, t, FLAVOR_THREAD, regs, 17), KERN_SUCCESS); /* rule H7 */
    memset(back, 0, sizeof back);
    count = MK_MAX_STATE_WORDS;
    check_kr(mk_thread_get_state(fx->th, t, FLAVOR_THREAD, back, &count), KERN_SUCCESS); /* rule H7 */
    assert_int_equal(count, 17);                                   /* rule H7 */
    assert_memory_equal(back, regs, 17 * sizeof(natural_t));      /* rule H7 */
    assert_int_equal(kthread_suspend_count(nt), 0);                /* rule H7: counts unchanged */
    assert_int_equal(kthread_user_stop_count(nt), 0);              /* rule H7 */
}

/* Amendment H7: on the calling thread, get allows DEBUG; set allows DEBUG and FSGS. */
static void test_H7_self_debug_fsgs(void **state)
{
    fx_t *fx = *state;
    world_register_state_flavor(fx->w, FLAVOR_DEBUG, 8);
    world_register_state_flavor(fx->w, FLAVOR_FSGS, 2);
    mach_port_name_t me = mk_mach_thread_self(fx->th);
    natural_t regs[MK_MAX_STATE_WORDS];
    for (int i = 0; i < 8; i++)
        regs[i] = 0x50u + (natural_t)i;
    check_kr(mk_thread_set_state(fx->th, me, FLAVOR_DEBUG, regs, 8), KERN_SUCCESS); /* rule H7 */
    natural_t back[MK_MAX_STATE_WORDS];
    mach_msg_type_number_t count = 8;
    check_kr(mk_thread_get_state(fx->th, me, FLAVOR_DEBUG, back, &count), KERN_SUCCESS); /* rule H7 */
    assert_memory_equal(back, regs, 8 * sizeof(natural_t)); /* rule H7 */
    check_kr(mk_thread_set_state(fx->th, me, FLAVOR_FSGS, regs, 2), KERN_SUCCESS); /* rule H7 */
    count = 2;
    check_kr(mk_thread_get_state(fx->th, me, FLAVOR_FSGS, back, &count), KERN_INVALID_ARGUMENT); /* rule H7 */
    assert_int_equal(kthread_suspend_count(fx->th), 0);
}

/* Each flavor is its own register set: setting the debug registers leaves the general ones. */
static void test_H7_flavors_independent(void **state)
{
    fx_t *fx = *state;
    world_register_state_flavor(fx->w, FLAVOR_DEBUG, 8);
    mach_port_name_t t;
    running_thread(fx, &t);
    natural_t regs[MK_MAX_STATE_WORDS], dbg[MK_MAX_STATE_WORDS], back[MK_MAX_STATE_WORDS];
    for (int i = 0; i < 17; i++)
        regs[i] = 0x2000u + (natural_t)i;
    for (int i = 0; i < 8; i++)
        dbg[i] = 0xD0u + (natural_t)i;
    check_kr(mk_thread_set_state(fx->th, t, FLAVOR_THREAD, regs, 17), KERN_SUCCESS);
    check_kr(mk_thread_set_state(fx->th, t, FLAVOR_DEBUG, dbg, 8), KERN_SUCCESS);
    mach_msg_type_number_t count = 17;
    check_kr(mk_thread_get_state(fx->th, t, FLAVOR_THREAD, back, &count), KERN_SUCCESS);
    assert_memory_equal(back, regs, 17 * sizeof(natural_t)); /* rule H7 */
    count = 8;
    check_kr(mk_thread_get_state(fx->th, t, FLAVOR_DEBUG, back, &count), KERN_SUCCESS);
    assert_memory_equal(back, dbg, 8 * sizeof(natural_t)); /* rule H7 */
}

/* --- H8 thread_terminate -------------------------------------------------------------------------------- */

static void test_H8_port_dies(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t, N = alloc_rcv(fx), prev;
    kthread_t *nt = running_thread(fx, &t);
    uint32_t tid = port_of(fx->task, t);
    /* another task's name for the thread, and the thread's exception port */
    mach_port_name_t bself, b;
    kthread_t *bth = fx_new_task(fx, &bself, &b);
    check_kr(mk_mach_port_insert_right(fx->th, b, 9, t, MACH_MSG_TYPE_COPY_SEND), KERN_SUCCESS);
    mach_port_name_t e = alloc_rcv(fx);
    check_kr(mk_thread_set_special_port(fx->th, t, THREAD_EXCEPTION_PORT, e, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
    check_kr(mk_mach_port_request_notification(fx->th, fx->self, e, MACH_NOTIFY_NO_SENDERS, 0, N,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev), KERN_SUCCESS);
    check_kr(mk_thread_terminate(fx->th, t), KERN_SUCCESS); /* rule H8 */
    assert_false(kthread_active(nt));                       /* rule H8 */
    assert_true(kthread_must_stop(nt));                     /* rule H8 */
    assert_false(port_info(fx->w, tid).active);             /* rule H8 */
    mach_port_type_t type;
    check_kr(mk_mach_port_type(fx->th, fx->self, t, &type), KERN_SUCCESS);
    assert_int_equal(type, MACH_PORT_TYPE_DEAD_NAME); /* rule H8 */
    check_kr(mk_mach_port_type(bth, bself, 9, &type), KERN_SUCCESS);
    assert_int_equal(type, MACH_PORT_TYPE_DEAD_NAME); /* rule H8 */
    /* the exception port's right is released: no-senders */
    mach_msg_id_t ids[4];
    assert_int_equal(queued(fx->task, N, ids, 4), 1);
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS); /* rule H8 */
    check_kr(mk_thread_terminate(fx->th, t), MACH_SEND_INVALID_DEST); /* rule H8 */
}

static void test_H8_errors_and_self(void **state)
{
    fx_t *fx = *state;
    check_kr(mk_thread_terminate(fx->th, fx->self), KERN_INVALID_ARGUMENT); /* rule H8 */
    mach_port_name_t p = alloc_rcv_send(fx);
    check_kr(mk_thread_terminate(fx->th, p), KERN_INVALID_ARGUMENT); /* rule H8 */
    mach_port_name_t t;
    kthread_t *nt = running_thread(fx, &t);
    mach_port_name_t me = mk_mach_thread_self(nt);
    assert_int_equal(me, t);
    check_kr(mk_thread_terminate(nt, me), KERN_SUCCESS); /* rule H8 */
    assert_true(kthread_must_stop(nt));                  /* rule H8: dies leaving the kernel */
    assert_false(kthread_active(nt));                    /* rule H8 */
}

/* A receive in progress never returns: a later message stays queued. */
static void test_H8_blocked_receive_never_returns(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_terminate(fx->th, t), KERN_SUCCESS);
    assert_true(kthread_must_stop(r)); /* rule H8 */
    check_kr(send_now(fx->th, p, 8), MACH_MSG_SUCCESS);
    mach_msg_id_t ids[2];
    assert_int_equal(queued(fx->task, p, ids, 2), 1); /* rule H8: nobody took it */
    assert_int_equal(buf.h.msgh_id, 0);              /* rule H8 */
    check_kr(recv_now(fx->th, p, &buf, sizeof buf), MACH_MSG_SUCCESS);
    assert_int_equal(buf.h.msgh_id, 8);
}

/* A handed-over message dies with the thread: the port's count drops. */
static void test_H8_handed_message_goes(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t;
    uint32_t pid = port_of(fx->task, p);
    kthread_t *r = running_thread(fx, &t);
    msgbuf_t buf;
    block_receive(r, &buf, p);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 9), MACH_MSG_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).msgcount, 1);
    check_kr(mk_thread_terminate(fx->th, t), KERN_SUCCESS);
    assert_int_equal(port_info(fx->w, pid).msgcount, 0); /* rule H8 */
    assert_int_equal(port_info(fx->w, pid).srights, 1);  /* rule H8: its send right released */
}

/* The handed-over message of a terminated receiver leaves the count as a completed receive
 * would (M3): a sender blocked on the full queue goes on, and its message is queued. */
static void test_H8_handed_message_frees_queue_space(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t p = alloc_rcv_send(fx), t, ts;
    uint32_t pid = port_of(fx->task, p);
    check_kr(mk_mach_port_set_qlimit(fx->th, fx->self, p, 1), KERN_SUCCESS);
    kthread_t *r = running_thread(fx, &t), *s = running_thread(fx, &ts);
    msgbuf_t buf, out;
    block_receive(r, &buf, p);
    check_kr(mk_thread_suspend(fx->th, t), KERN_SUCCESS);
    check_kr(send_now(fx->th, p, 9), MACH_MSG_SUCCESS);
    mach_msg_id_t ids[4];
    assert_int_equal(queued(fx->task, p, ids, 4), 0);     /* rule H5: handed over */
    assert_int_equal(port_info(fx->w, pid).msgcount, 1); /* rule H5: and counted: full */
    msg_init(&out, p, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 10);
    check_kr(mk_mach_msg(s, &out.h, MACH_SEND_MSG, sizeof(mach_msg_header_t), 0, MACH_PORT_NULL, 0),
             MK_MSG_BLOCKED);                                    /* rule M3 */
    uint32_t wait_port;
    assert_int_equal(mk_thread_blocked(s, &wait_port), MK_WAIT_SEND); /* rule M3 */
    assert_int_equal(wait_port, pid);                                /* rule M3 */

    check_kr(mk_thread_terminate(fx->th, t), KERN_SUCCESS);
    assert_false(kthread_active(r));                             /* rule H8 */
    assert_int_equal(port_info(fx->w, pid).msgcount, 0);         /* rule H8 */
    assert_int_equal(buf.h.msgh_id, 0);                          /* rule H8: never received */
    assert_int_equal(mk_thread_blocked(s, NULL), MK_WAIT_NONE);  /* rules H8 M3 */
    check_kr(mk_mach_msg_continue(s), MACH_MSG_SUCCESS);         /* rules H8 M3 */
    assert_int_equal(queued(fx->task, p, ids, 4), 1);            /* rule M3 */
    assert_int_equal(ids[0], 10);                                /* rule M3 */
    assert_int_equal(port_info(fx->w, pid).msgcount, 1);         /* rule M3 */
    assert_int_equal(port_info(fx->w, pid).srights, 2);          /* rule H8: the name's, msg 10's */
}

/* --- H9 task_threads order ------------------------------------------------------------------------------ */

static void test_H9_order_and_terminated(void **state)
{
    fx_t *fx = *state;
    mach_port_name_t t1, t2, t3, *threads;
    mach_msg_type_number_t n;
    check_kr(mk_thread_create(fx->th, fx->self, &t1), KERN_SUCCESS);
    check_kr(mk_thread_create(fx->th, fx->self, &t2), KERN_SUCCESS);
    check_kr(mk_thread_create(fx->th, fx->self, &t3), KERN_SUCCESS);
    mach_port_name_t me = mk_mach_thread_self(fx->th);
    check_kr(mk_task_threads(fx->th, fx->self, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 4);           /* rule H9 */
    assert_int_equal(threads[0], me); /* rule H9 */
    assert_int_equal(threads[1], t1); /* rule H9 */
    assert_int_equal(threads[2], t2); /* rule H9 */
    assert_int_equal(threads[3], t3); /* rule H9 */
    /* a listed new thread is already created and suspended */
    assert_int_equal(kthread_user_stop_count(kthread_by_name(fx->task, t2)), 1); /* rule H9 */
    free(threads);
    check_kr(mk_thread_terminate(fx->th, t2), KERN_SUCCESS);
    check_kr(mk_task_threads(fx->th, fx->self, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 3);           /* rule H9 */
    assert_int_equal(threads[0], me); /* rule H9 */
    assert_int_equal(threads[1], t1); /* rule H9 */
    assert_int_equal(threads[2], t3); /* rule H9 */
    free(threads);
    /* a thread created after the termination goes last */
    mach_port_name_t t4;
    check_kr(mk_thread_create(fx->th, fx->self, &t4), KERN_SUCCESS);
    check_kr(mk_task_threads(fx->th, fx->self, &threads, &n), KERN_SUCCESS);
    assert_int_equal(n, 4);           /* rule H9 */
    assert_int_equal(threads[3], t4); /* rule H9 */
    free(threads);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_K3_thread_create),
        FX_TEST(test_H1_new_thread_suspended),
        FX_TEST(test_H1_new_thread_in_suspended_task),
        FX_TEST(test_H2_no_upper_limit),
        FX_TEST(test_H2_self),
        FX_TEST(test_H2_self_then_task_hold),
        FX_TEST(test_H2_blocked_stays_blocked),
        FX_TEST(test_H2_errors),
        FX_TEST(test_H3_resume_at_zero),
        FX_TEST(test_H4_task_counts_independent),
        FX_TEST(test_H4_suspend_own_task),
        FX_TEST(test_H5_suspended_receiver_counts),
        FX_TEST(test_H6_errors),
        FX_TEST(test_H6_waiting_receive),
        FX_TEST(test_H6_combined_request_sent),
        FX_TEST(test_H6_blocked_send),
        FX_TEST(test_H6_handed_message_completes),
        FX_TEST(test_H6_suspended_stays_suspended),
        FX_TEST(test_H7_errors),
        FX_TEST(test_H7_round_trip),
        FX_TEST(test_H7_self_debug_fsgs),
        FX_TEST(test_H7_flavors_independent),
        FX_TEST(test_H8_port_dies),
        FX_TEST(test_H8_errors_and_self),
        FX_TEST(test_H8_blocked_receive_never_returns),
        FX_TEST(test_H8_handed_message_goes),
        FX_TEST(test_H8_handed_message_frees_queue_space),
        FX_TEST(test_H9_order_and_terminated),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
