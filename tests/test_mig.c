/*
 * test_mig.c: MIG request and reply over real messages (sim/kern/mig.c), rules M10-M12.
 *
 * A scripted server (a thread of its own task, serving one receive right) answers the proc
 * stubs in each way a server can: a full reply, the request destroyed, a wrong id, a wrong
 * size, an error reply, no reply now and one later, a reply to a dead reply port, death with
 * requests pending. The client's view (codes, reply port) and both spaces are recorded during
 * the run and asserted afterwards; each test ends with model_check clean and a leak audit.
 * The last test sends arrays on either side of MIG's inline bound (rule EX20 of
 * docs/exec-rules.md), in both message layouts.
 */
#include "servers.h"
#include "mach_stubs.h"
#include "mig.h"
#include "testlib.h"
#include "testsim.h"

#include <stdio.h>
#include <string.h>

#define SRV_NAME 0x100

enum mode { M_OK, M_DESTROY, M_BADID, M_BADSIZE, M_EPERM, M_LATER, M_ESRCH, M_HOLD,
            M_KILL_REPLY, M_ARRAYS, M_END };

static struct {
    sim_task *srv, *cli;
    mach_port_t cli_srvtask;     /* the client's name for the server's task port */
    mach_port_t srv_clitask;     /* the server's name for the client's task port */
    enum mode script[16];
    int nscript;
    bool ready, holding;
    /* what the server saw of each request */
    mach_msg_bits_t bits[16];
    mach_msg_size_t size[16];
    mach_msg_id_t id[16];
    mach_port_t remote[16];
    name_info_t later_so;        /* M_LATER: the kept send-once right */
    size_t later_queued;         /* M_LATER: replies queued for the client meanwhile */
    name_info_t esrch_task_before, esrch_task_after;
    mach_port_t esrch_task;
    mach_msg_return_t dead_reply_send;
    size_t srv_names_before_dead, srv_names_after_dead;
    mach_port_t cli_reply_port;  /* for M_KILL_REPLY */
} S;

static ktask_t *self_k(void) { return kern_ktask(sim_task_self()); }

static name_info_t peek(ktask_t *t, mach_port_t n)
{
    name_info_t i;
    if (!space_peek(t, n, &i))
        memset(&i, 0, sizeof i);
    return i;
}

static void reply_getpids(mig_msg_t *out)
{
    mig_put_int32(out, 11);
    mig_put_int32(out, 1);
    mig_put_int32(out, 0);
}

/* --- EX20: arrays inline or out of line ------------------------------------------------- */

#define A_ITEMS 6
static struct {
    uint32_t count[A_ITEMS];     /* what the client sent */
    bool built_inline[A_ITEMS];  /* the descriptors of the client's message, read back */
    uint32_t got[A_ITEMS];       /* counts the server read */
    bool got_ool[A_ITEMS];       /* the server was given a region */
    bool same[A_ITEMS];          /* its elements are the client's */
    mach_msg_return_t send;
    size_t srv_names_before, srv_names_after;
} A;

/* The elements the client sends: ints, bytes, and for ports one name (its own receive right,
 * made a send right n times), which the server sees as one name of its own n times. */
static uint32_t a_int(uint32_t i) { return i * 7 + 1; }
static uint8_t a_byte(uint32_t i) { return (uint8_t)(i * 13); }
static const unsigned a_kind[A_ITEMS] = {32, 32, 0, 0, 8, 8}; /* element bits; 0: ports */

static void server_arrays(mig_msg_t *in)
{
    mach_port_t first = MACH_PORT_NULL;
    for (int k = 0; k < A_ITEMS; k++) {
        mig_array_t a;
        if (!mig_get_array(in, a_kind[k], &a))
            return;
        A.got[k] = a.n;
        A.got_ool[k] = a.ool != NULL;
        bool same = true;
        for (uint32_t i = 0; i < a.n; i++) {
            uint32_t w = mig_array_word(&a, i);
            if (a_kind[k] == 32)
                same &= w == a_int(i);
            else if (a_kind[k] == 8)
                same &= w == a_byte(i);
            else {
                if (i == 0)
                    first = w;
                same &= MACH_PORT_VALID(w) && w == first;
            }
        }
        A.same[k] = same;
    }
    A.srv_names_before = space_count(self_k());
    mig_destroy_body_rights(in); /* the rights and the regions go, as mach_msg_destroy does */
    A.srv_names_after = space_count(self_k());
}

static void server_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    __mach_port_allocate_name(self, MACH_PORT_RIGHT_RECEIVE, SRV_NAME);
    S.ready = true;
    mig_msg_t in, out;
    for (int n = 0; n < S.nscript; n++) {
        enum mode mode = S.script[n];
        if (mode == M_END)
            return;
        if (__mach_msg(&in.head, MACH_RCV_MSG, 0, MIG_MSG_MAX, SRV_NAME, 0, MACH_PORT_NULL) !=
            MACH_MSG_SUCCESS)
            return;
        in.len = in.head.msgh_size;
        in.pos = sizeof(mach_msg_header_t);
        in.bad = false;
        S.bits[n] = in.head.msgh_bits;
        S.size[n] = in.head.msgh_size;
        S.id[n] = in.head.msgh_id;
        S.remote[n] = in.head.msgh_remote_port;
        mig_reply_init(&out, &in);
        switch (mode) {
        case M_OK:
            reply_getpids(&out);
            mig_server_finish(&in, &out, KERN_SUCCESS);
            break;
        case M_DESTROY:
            __mach_port_deallocate(self, in.head.msgh_remote_port);
            break;
        case M_BADID:
            reply_getpids(&out);
            out.head.msgh_id = in.head.msgh_id + 99;
            mig_server_finish(&in, &out, KERN_SUCCESS);
            break;
        case M_BADSIZE:
            reply_getpids(&out);
            mig_put_int32(&out, 4);
            mig_server_finish(&in, &out, KERN_SUCCESS);
            break;
        case M_EPERM:
            mig_server_finish(&in, &out, HURD_EPERM);
            break;
        case M_LATER: {
            mig_server_finish(&in, &out, MIG_NO_REPLY);
            for (int i = 0; i < 10; i++)
                sim_yield("reply later");
            S.later_so = peek(self_k(), in.head.msgh_remote_port);
            mach_msg_id_t ids[4];
            S.later_queued = mk_queue_ids(kern_ktask(S.cli), S.cli_reply_port, ids, 4);
            mig_msg_t late;
            mig_reply_init_to(&late, in.head.msgh_remote_port,
                              MACH_MSGH_BITS_REMOTE(in.head.msgh_bits), in.head.msgh_id);
            reply_getpids(&late);
            mig_set_retcode(&late, KERN_SUCCESS);
            mig_send_reply(&late);
            break;
        }
        case M_ESRCH: {
            mach_port_t task;
            mig_get_port(&in, &task, NULL);
            S.esrch_task = task;
            S.esrch_task_before = peek(self_k(), task);
            mig_server_finish(&in, &out, HURD_ESRCH);
            S.esrch_task_after = peek(self_k(), task);
            break;
        }
        case M_HOLD:
            S.holding = true;
            for (;;)
                sim_yield("holding a request");
        case M_KILL_REPLY:
            __mach_port_destroy(S.srv_clitask, S.cli_reply_port);
            S.srv_names_before_dead = space_count(self_k()); /* the request's reply right in */
            reply_getpids(&out);
            mig_set_retcode(&out, KERN_SUCCESS);
            S.dead_reply_send = mig_send_reply(&out);
            S.srv_names_after_dead = space_count(self_k());
            break;
        case M_ARRAYS:
            server_arrays(&in);
            break;
        case M_END:
            return;
        }
    }
}

static mk_msg_layout_t boot_layout; /* the world's message layout (Debian's by default) */

static void boot(void (*client)(void *), const enum mode *script, int n)
{
    memset(&S, 0, sizeof S);
    memcpy(S.script, script, n * sizeof *script);
    S.nscript = n;
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    cfg.world.msg_layout = boot_layout;
    assert_int_equal(kern_open(&cfg), 0);
    S.srv = kern_boot_task(server_main, NULL, NULL);
    S.cli = kern_boot_task(client, NULL, NULL);
    S.cli_srvtask = world_give_task_port(kern_ktask(S.cli), kern_ktask(S.srv));
    S.srv_clitask = world_give_task_port(kern_ktask(S.srv), kern_ktask(S.cli));
}

static void run_and_close(enum sim_result want)
{
    enum sim_result res = sim_run();
    if (res != want)
        fprintf(stderr, "%s", sim_report());
    assert_int_equal(res, want);
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0);
}

static int close_left(void **state)
{
    (void)state;
    kern_close();
    return 0;
}

/* The client's send right to the server's port. */
static mach_port_t connect(void)
{
    while (!S.ready)
        sim_yield("server starts");
    mach_port_t p;
    mach_msg_type_name_t t;
    __mach_port_extract_right(S.cli_srvtask, SRV_NAME, MACH_MSG_TYPE_MAKE_SEND, &p, &t);
    return p;
}

/* ---------------------------------------------------------------------------------------- */

static struct {
    kern_return_t kr[10];
    mach_port_t reply[10];       /* the reply port after each call */
    name_info_t old_reply_after_mismatch, old_reply_after_send_fail;
    pid_t pid;
    name_info_t c_task_before, c_task_after;
} C;

static void client_outcomes(void *arg)
{
    (void)arg;
    mach_port_t srv = connect();
    pid_t a, b;
    int o;
    C.kr[0] = __proc_getpids(srv, &C.pid, &b, &o);     /* M_OK */
    C.reply[0] = kern_reply_port();
    C.kr[1] = __proc_getpids(srv, &a, &b, &o);         /* M_DESTROY */
    C.reply[1] = kern_reply_port();
    C.kr[2] = __proc_getpids(srv, &a, &b, &o);         /* M_BADID */
    C.reply[2] = kern_reply_port();
    C.old_reply_after_mismatch = peek(self_k(), C.reply[1]);
    C.kr[3] = __proc_getpids(srv, &a, &b, &o);         /* M_BADSIZE */
    C.reply[3] = kern_reply_port();
    C.kr[4] = __proc_getpids(srv, &a, &b, &o);         /* M_EPERM */
    C.reply[4] = kern_reply_port();
    S.cli_reply_port = C.reply[4];
    C.kr[5] = __proc_getpids(srv, &a, &b, &o);         /* M_LATER */
    C.reply[5] = kern_reply_port();
    mach_port_t task = __mach_task_self();
    C.c_task_before = peek(self_k(), task);
    C.kr[6] = __proc_task2pid(srv, task, &a);          /* M_ESRCH */
    C.c_task_after = peek(self_k(), task);
    C.reply[6] = kern_reply_port();
    C.kr[7] = __proc_getpids(0x777, &a, &b, &o);       /* no such name: the send fails */
    C.reply[7] = kern_reply_port();
    C.old_reply_after_send_fail = peek(self_k(), C.reply[6]);
    __mach_port_deallocate(task, task);
}

static void test_M10_M11_M12_request_and_outcomes(void **state)
{
    (void)state;
    memset(&C, 0, sizeof C);
    const enum mode script[] = {M_OK, M_DESTROY, M_BADID, M_BADSIZE, M_EPERM, M_LATER, M_ESRCH,
                                M_END};
    boot(client_outcomes, script, 8);
    run_and_close(SIM_OK);
    /* M10: the request as the server received it */
    assert_int_equal(S.id[0], PROC_ID_GETPIDS);                              /* rule M10 */
    assert_int_equal(S.size[0], sizeof(mach_msg_header_t));                  /* rule M10 */
    assert_int_equal(MACH_MSGH_BITS_REMOTE(S.bits[0]), MACH_MSG_TYPE_PORT_SEND_ONCE); /* rule M10 */
    assert_int_equal(MACH_MSGH_BITS_LOCAL(S.bits[0]), MACH_MSG_TYPE_PORT_SEND);       /* rule M10 */
    assert_true(MACH_PORT_VALID(S.remote[0]));                               /* rule M10 */
    assert_int_equal(S.id[6], PROC_ID_TASK2PID);                             /* rule M10 */
    assert_true(S.bits[6] & MACH_MSGH_BITS_COMPLEX);                         /* rule M10 */
    check_kr(C.kr[0], KERN_SUCCESS);                                         /* rule M11 */
    assert_int_equal(C.pid, 11);                                             /* rule M11 */
    /* M12 step 2: the request destroyed: SERVER_DIED, the reply port kept */
    check_kr(C.kr[1], MIG_SERVER_DIED);                                      /* rule M12 */
    assert_int_equal(C.reply[1], C.reply[0]);                                /* rules M10 M12 */
    /* a wrong id: REPLY_MISMATCH, the reply port deallocated */
    check_kr(C.kr[2], MIG_REPLY_MISMATCH);                                   /* rule M12 */
    assert_int_equal(C.reply[2], MACH_PORT_NULL);                            /* rule M12 */
    assert_int_equal(C.old_reply_after_mismatch.type, 0);                    /* rules M10 M12 */
    /* M12 step 3: a wrong size; an error reply is not a type error */
    check_kr(C.kr[3], MIG_TYPE_ERROR);                                       /* rule M12 */
    assert_true(MACH_PORT_VALID(C.reply[3]));                                /* rule M10: a new one */
    check_kr(C.kr[4], HURD_EPERM);                                           /* rules M11 M12 */
    /* M11: MIG_NO_REPLY keeps the send-once right; nothing reaches the client until the
     * later reply */
    assert_int_equal(S.later_so.type, MACH_PORT_TYPE_SEND_ONCE);             /* rule M11 */
    assert_int_equal(S.later_queued, 0);                                     /* rule M11 */
    check_kr(C.kr[5], KERN_SUCCESS);                                         /* rule M11 */
    /* M11: an error destroys the request's other rights; the client's copy is untouched */
    check_kr(C.kr[6], HURD_ESRCH);                                           /* rule M11 */
    assert_int_equal(S.esrch_task_before.type, MACH_PORT_TYPE_SEND);         /* rule M11 */
    /* (the server also holds the client's task port from the boot: same name, T3) */
    assert_int_equal(S.esrch_task_after.urefs, S.esrch_task_before.urefs - 1); /* rule M11 */
    assert_int_equal(C.c_task_after.urefs, C.c_task_before.urefs);           /* rule M11 */
    /* M12 step 1: the send fails, the reply port is deallocated */
    check_kr(C.kr[7], MACH_SEND_INVALID_DEST);                               /* rule M12 */
    assert_int_equal(C.reply[7], MACH_PORT_NULL);                            /* rules M10 M12 */
    assert_int_equal(C.old_reply_after_send_fail.type, 0);                   /* rule M10 */
}

/* ---------------------------------------------------------------------------------------- */

static struct {
    kern_return_t kr_dead, kr_after;
} D;

static void client_dead_reply(void *arg)
{
    (void)arg;
    mach_port_t srv = connect();
    pid_t a, b;
    int o;
    S.cli_reply_port = kern_reply_port(); /* connect's RPC made it */
    D.kr_dead = __proc_getpids(srv, &a, &b, &o);      /* the server destroys our reply port */
    D.kr_after = __proc_getpids(srv, &a, &b, &o);     /* and serves the next request */
}

static void test_M11_reply_to_dead_port(void **state)
{
    (void)state;
    memset(&D, 0, sizeof D);
    const enum mode script[] = {M_KILL_REPLY, M_OK, M_END};
    boot(client_dead_reply, script, 3);
    run_and_close(SIM_OK);
    check_kr(D.kr_dead, MACH_RCV_PORT_DIED);                        /* rule M12: step 1 */
    check_kr(S.dead_reply_send, MACH_SEND_INVALID_DEST);            /* rule M11 */
    /* the reply was destroyed: the server's space is as before the request */
    assert_int_equal(S.srv_names_after_dead, S.srv_names_before_dead - 1); /* rule M11 */
    check_kr(D.kr_after, KERN_SUCCESS);                             /* rule M11: it goes on */
}

/* ---------------------------------------------------------------------------------------- */

static struct {
    kern_return_t held, queued, after;
    mach_port_t reply_held, reply_after_held, reply_after;
    bool held_done, queued_done;
} K;

static void client_held(void *arg)
{
    mach_port_t srv = *(mach_port_t *)arg;
    pid_t a, b;
    int o;
    K.held = __proc_getpids(srv, &a, &b, &o);
    K.reply_after_held = kern_reply_port();
    K.held_done = true;
}

static void client_queued(void *arg)
{
    mach_port_t srv = *(mach_port_t *)arg;
    pid_t a, b;
    int o;
    K.queued = __proc_getpids(srv, &a, &b, &o);
    K.queued_done = true;
}

static void client_server_dies(void *arg)
{
    (void)arg;
    static mach_port_t srv; /* host memory is fine: one client task */
    srv = connect();
    start_thread(client_held, &srv);
    while (!S.holding)
        sim_yield("server takes the first request");
    start_thread(client_queued, &srv);
    for (int i = 0; i < 50 && mk_queue_ids(kern_ktask(S.srv), SRV_NAME, NULL, 0) == 0; i++)
        sim_yield("second request queued");
    __task_terminate(S.cli_srvtask);
    while (!K.held_done || !K.queued_done)
        sim_yield("clients see the death");
    pid_t a, b;
    int o;
    K.after = __proc_getpids(srv, &a, &b, &o);
    K.reply_after = kern_reply_port();
}

static void test_M12_server_dies_with_requests_pending(void **state)
{
    (void)state;
    memset(&K, 0, sizeof K);
    const enum mode script[] = {M_HOLD};
    boot(client_server_dies, script, 1);
    run_and_close(SIM_OK);
    check_kr(K.held, MIG_SERVER_DIED);               /* rules M12 M8: held request destroyed */
    assert_true(MACH_PORT_VALID(K.reply_after_held)); /* rule M12: reply port kept */
    check_kr(K.queued, MIG_SERVER_DIED);             /* rules M12 M8: queued request destroyed */
    check_kr(K.after, MACH_SEND_INVALID_DEST);       /* rule M12: dead before the send */
    assert_int_equal(K.reply_after, MACH_PORT_NULL); /* rule M12: step 1 deallocates */
}

/* The client: one message of six arrays, each on one side of a bound. MIG's bound for an
 * indefinite array is 2048 bytes (GNU MIG type.c, itVarArrayDecl: "Send at most 2048 bytes
 * inline"): 512 ints, 2048 bytes, and 2048 / slot port names, the slot an inline right's
 * (4 bytes in Debian's layout, 8 on x86_64: W1, W2). The added rule: an array within it that
 * cannot fit in MIG_MSG_MAX goes out of line too. */
static void client_arrays(void *arg)
{
    (void)arg;
    mach_port_t srv = connect();
    size_t slot = boot_layout == MK_LAYOUT_X86_64 ? 8 : 4;
    const uint32_t count[A_ITEMS] = {10, 2048 / 4 + 1, 8, (uint32_t)(2048 / slot + 1), 100,
                                     MIG_MSG_MAX + 1};
    memcpy(A.count, count, sizeof count);
    mach_port_t self = __mach_task_self(), rcv = MACH_PORT_NULL;
    __mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &rcv);
    mig_msg_t m;
    mig_oneway_init(&m, srv, MACH_MSG_TYPE_COPY_SEND, 4242);
    void *mem[A_ITEMS];
    for (int k = 0; k < A_ITEMS; k++) {
        uint32_t n = count[k];
        mem[k] = sim_heap_alloc(n * 4); /* the client's memory, its image heap */
        assert_non_null(mem[k]);
        for (uint32_t i = 0; i < n; i++) {
            if (a_kind[k] == 32)
                ((uint32_t *)mem[k])[i] = a_int(i);
            else if (a_kind[k] == 8)
                ((uint8_t *)mem[k])[i] = a_byte(i);
            else
                ((mach_port_t *)mem[k])[i] = rcv;
        }
        if (a_kind[k] == 32)
            mig_put_words(&m, MACH_MSG_TYPE_INTEGER_32, mem[k], n);
        else if (a_kind[k] == 8)
            mig_put_byte_array(&m, mem[k], n);
        else
            mig_put_ports(&m, mem[k], n, MACH_MSG_TYPE_MAKE_SEND);
    }
    /* the descriptors as built, read with the layout's own field widths */
    size_t pos = sizeof(mach_msg_header_t);
    for (int k = 0; k < A_ITEMS; k++) {
        mk_msg_type_t t;
        assert_true(mk_msg_type_read(boot_layout, m.bytes + pos, m.len - pos, &t));
        A.built_inline[k] = t.is_inline;
        size_t data = pos + t.hdr;
        pos = mk_msg_align(boot_layout, t.is_inline ? data + ((size_t)t.size * t.number + 7) / 8
                                                    : data + 8);
    }
    assert_int_equal(pos, m.len);
    A.send = mig_send_oneway(kern_self(), &m, false);
    for (int k = 0; k < A_ITEMS; k++)
        sim_heap_free(mem[k]);
    for (int i = 0; i < 20; i++)
        sim_yield("the server reads");
    __mach_port_mod_refs(self, rcv, MACH_PORT_RIGHT_RECEIVE, -1);
    __mach_port_deallocate(self, self);
}

static void test_EX20_arrays_inline_or_out_of_line(void **state)
{
    (void)state;
    static const bool want_inline[A_ITEMS] = {true, false, true, false, true, false};
    for (int l = 0; l < 2; l++) {
        memset(&A, 0, sizeof A);
        boot_layout = l ? MK_LAYOUT_X86_64 : MK_LAYOUT_DEBIAN;
        const enum mode script[] = {M_ARRAYS, M_END};
        boot(client_arrays, script, 2);
        run_and_close(SIM_OK);
        boot_layout = MK_LAYOUT_DEBIAN;
        check_kr(A.send, MACH_MSG_SUCCESS);
        for (int k = 0; k < A_ITEMS; k++) {
            assert_int_equal(A.built_inline[k], want_inline[k]); /* rule EX20 */
            assert_int_equal(A.got[k], A.count[k]);              /* rules EX20 O1 O4 */
            assert_int_equal(A.got_ool[k], !want_inline[k]);     /* rule O4 */
            assert_true(A.same[k]);                              /* rules O1 O4 */
        }
        /* the one name of the n send rights goes with them */
        assert_int_equal(A.srv_names_after, A.srv_names_before - 1);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_M10_M11_M12_request_and_outcomes, close_left),
        cmocka_unit_test_teardown(test_M11_reply_to_dead_port, close_left),
        cmocka_unit_test_teardown(test_M12_server_dies_with_requests_pending, close_left),
        cmocka_unit_test_teardown(test_EX20_arrays_inline_or_out_of_line, close_left),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
