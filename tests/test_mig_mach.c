/*
 * test_mig_mach.c: every mock MIG stub of sim/kern/mach_stubs.h, called from simulated processes.
 *
 * Each test boots a program (kern_boot_task) whose threads call the stubs as glibc's Hurd code
 * would, and keep what the calls returned in host memory (outside every image). Once sim_run
 * is done the host reads the model directly: both spaces a call touched (the caller's, and the
 * target task's when the call names another task), the port counters, the queues, and the
 * trace, whose lines it matches exactly ("STEP tT.TH [trap ]routine(args) = CODE[ -> outs]").
 * Every expected value comes from a rule of docs/spec-rules.md or
 * docs/spec-rules.md, cited on the assertion. Each run ends with the
 * invariant walker and the leak audit (kern_close() == 0).
 *
 * Names in the comments are computed by the rules: a boot task's space is empty, so its first
 * mach_task_self is 1, and fresh names are the lowest free key (N3); a thread's first RPC
 * creates its reply port with mach_reply_port (M10); traps create none.
 */
#include "kern.h"
#include "mach_stubs.h"
#include "testlib.h"

#include <regex.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --- the trace -------------------------------------------------------------------------------- */

static struct {
    char *buf;
    size_t len;
    FILE *f;
} T;

static void run_free(void);

static void run_open(kern_config *cfg)
{
    if (kern_world() != NULL) { /* a failed test left its run open */
        kern_close();
        fclose(T.f);
        run_free();
    }
    T.buf = NULL;
    T.len = 0;
    T.f = open_memstream(&T.buf, &T.len);
    assert_non_null(T.f);
    cfg->trace = T.f;
    assert_int_equal(kern_open(cfg), 0);
}

static void run_sim(void)
{
    enum sim_result res = sim_run();
    if (res != SIM_OK)
        print_error("sim_run: %d\n%s", res, sim_report());
    assert_int_equal(res, SIM_OK);
    fflush(T.f);
}

/* Every line: the version line first, then "STEP # note" or "STEP tT.TH [trap ]routine(args) =
 * CODE[ -> outs]", steps increasing (STYLE 8; kern.c's trace format). */
static void check_trace_format(const char *buf)
{
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^ *([0-9]+) (# .+|t[0-9]+\\.[0-9]+ (trap )?[a-z_]+\\(.*\\) = "
                             "[A-Za-z0-9_]+( -> .+)?)$",
                             REG_EXTENDED),
                     0);
    const char *p = buf;
    const char *nl = strchr(p, '\n');
    assert_non_null(nl);
    assert_true(nl - p == 15 && memcmp(p, "forksim-trace 1", 15) == 0);
    unsigned long long last = 0;
    for (p = nl + 1; *p != '\0'; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl);
        char line[512];
        size_t len = (size_t)(nl - p) < sizeof line - 1 ? (size_t)(nl - p) : sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        regmatch_t m[2];
        if (regexec(&re, line, 2, m, 0) != 0) {
            print_error("trace line does not match the format: \"%s\"\n", line);
            fail();
        }
        unsigned long long step = strtoull(line + m[1].rm_so, NULL, 10);
        if (step <= last) {
            print_error("trace step %llu after %llu: \"%s\"\n", step, last, line);
            fail();
        }
        last = step;
    }
    regfree(&re);
}

static void run_close(void)
{
    check_model_clean(kern_world());
    assert_int_equal(kern_close(), 0); /* leak audit: model objects and runtime allocations */
    fclose(T.f);
    T.f = NULL;
    check_trace_format(T.buf);
}

static void run_free(void)
{
    free(T.buf);
    T.buf = NULL;
}

/* The step of the first line after step `after` whose text past the step number is exactly
 * `text`, or -1. */
static long trace_find(const char *text, long after)
{
    if (T.f != NULL)
        fflush(T.f);
    size_t tl = strlen(text);
    for (const char *p = T.buf; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        const char *end = nl != NULL ? nl : p + strlen(p);
        const char *q = p;
        while (*q == ' ')
            q++;
        char *rest;
        long step = strtol(q, &rest, 10);
        if (rest != q && *rest == ' ' && (size_t)(end - rest - 1) == tl &&
            memcmp(rest + 1, text, tl) == 0 && step > after)
            return step;
        p = nl != NULL ? nl + 1 : NULL;
    }
    return -1;
}

static size_t trace_count(const char *text)
{
    size_t n = 0;
    for (long s = trace_find(text, 0); s > 0; s = trace_find(text, s))
        n++;
    return n;
}

/* Asserts the line is in the trace after step `after`; returns its step. */
static long check_line_(const char *text, long after, const char *file, int line)
{
    long s = trace_find(text, after);
    if (s < 0) {
        print_error("%s:%d: no trace line \"%s\" after step %ld; the trace:\n", file, line, text,
                    after);
        fputs(T.buf != NULL ? T.buf : "", stderr);
        _fail(file, line);
    }
    return s;
}
#define check_line(text) check_line_((text), 0, __FILE__, __LINE__)
#define check_line_after(text, after) check_line_((text), (after), __FILE__, __LINE__)

/* --- simulated-process helpers ------------------------------------------------------------------ */

static void yield_n(int n)
{
    for (int i = 0; i < n; i++)
        sim_yield("test waits");
}

/* thread_create + thread_set_state "call fn(arg)" + thread_resume, as a program starts a thread
 * in a task it holds (K3, H1, H7). krs gets the three codes. */
static mach_port_t start_thread(mach_port_t task, void (*fn)(void *), void *arg, kern_return_t *krs)
{
    mach_port_t t = MACH_PORT_NULL;
    krs[0] = __thread_create(task, &t);
    kern_thread_state ts = {.kind = KERN_STATE_CALL, .pc = (uintptr_t)fn, .arg = (uintptr_t)arg};
    krs[1] = __thread_set_state(t, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts,
                                KERN_THREAD_STATE_COUNT);
    krs[2] = __thread_resume(t);
    return t;
}

/* A worker in host memory: counts while it runs, stops when asked. */
typedef struct worker {
    volatile int started, stop, done, before, after;
    volatile unsigned long count;
    /* receivers */
    mach_port_t rcv;
    mach_msg_option_t option;
    mach_msg_return_t mr;
    mach_msg_id_t id;
    unsigned body_type;
    mach_port_t body_name;
} worker_t;

static void spin(void *arg)
{
    worker_t *w = arg;
    w->started = 1;
    while (!w->stop) {
        w->count++;
        sim_yield("spin");
    }
    w->done = 1;
}

/* Waits (bounded) until cond holds. */
#define YIELD_UNTIL(cond)                                   \
    for (int yield_i_ = 0; yield_i_ < 1000 && !(cond); yield_i_++) \
        sim_yield("test waits")

/* A typed message: header, one port item. */
typedef struct portmsg {
    mach_msg_header_t h;
    mach_msg_type_t t;
    mach_port_t name;
} portmsg_t;

typedef struct rcvbuf {
    mach_msg_header_t h;
    char body[256];
} rcvbuf_t;

static void receiver(void *arg)
{
    worker_t *w = arg;
    rcvbuf_t m;
    memset(&m, 0, sizeof m);
    w->started = 1;
    w->mr = __mach_msg(&m.h, MACH_RCV_MSG | w->option, 0, sizeof m, w->rcv, 0, MACH_PORT_NULL);
    if (w->mr == MACH_MSG_SUCCESS) {
        portmsg_t *pm = (portmsg_t *)&m;
        w->id = m.h.msgh_id;
        w->body_type = pm->t.msgt_name;
        w->body_name = pm->name;
    }
    w->done = 1;
}

static void portmsg_init(portmsg_t *m, mach_port_t dest, mach_msg_type_name_t dest_disp,
                         mach_msg_id_t id, mach_port_t right, mach_msg_type_name_t right_disp)
{
    memset(m, 0, sizeof *m);
    m->h.msgh_bits = MACH_MSGH_BITS(dest_disp, 0) | MACH_MSGH_BITS_COMPLEX;
    m->h.msgh_size = sizeof *m;
    m->h.msgh_remote_port = dest;
    m->h.msgh_id = id;
    m->t.msgt_name = right_disp;
    m->t.msgt_size = 32;
    m->t.msgt_number = 1;
    m->t.msgt_inline = 1;
    m->name = right;
}

static ktask_t *ktask_of(int sim_task_id)
{
    sim_task *t = sim_task_by_id(sim_task_id);
    assert_non_null(t);
    return kern_ktask(t);
}

/* --- mach_port_* on another task's space ------------------------------------------------------- */

static struct {
    kern_return_t kr[32];
    mach_port_t self, child, r, d, p, s, prev;
    mach_msg_type_name_t st;
    mach_port_urefs_t refs;
    mach_port_type_t type;
    mach_msg_type_number_t n, nt;
    mach_port_t names[8];
    mach_port_type_t types[8];
    int names_in_caller, names_in_child;
    size_t heap_before, heap_with, heap_after;
} PC;

static void port_calls_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = PC.kr;
    PC.self = __mach_task_self();
    kr[0] = __task_create(PC.self, 0, &PC.child);
    kr[1] = __mach_port_allocate(PC.child, MACH_PORT_RIGHT_RECEIVE, &PC.r);
    kr[2] = __mach_port_allocate_name(PC.child, MACH_PORT_RIGHT_PORT_SET, 7);
    kr[3] = __mach_port_allocate(PC.child, MACH_PORT_RIGHT_DEAD_NAME, &PC.d);
    kr[4] = __mach_port_allocate(PC.self, MACH_PORT_RIGHT_RECEIVE, &PC.p);
    kr[5] = __mach_port_insert_right(PC.child, 20, PC.p, MACH_MSG_TYPE_MAKE_SEND);
    kr[6] = mach_port_extract_right(PC.child, PC.r, MACH_MSG_TYPE_MAKE_SEND, &PC.s, &PC.st);
    kr[7] = __mach_port_get_refs(PC.child, 20, MACH_PORT_RIGHT_SEND, &PC.refs);
    kr[8] = __mach_port_mod_refs(PC.child, 20, MACH_PORT_RIGHT_SEND, 2);
    kr[9] = __mach_port_type(PC.child, 20, &PC.type);
    kr[10] = __mach_port_rename(PC.child, 20, 30);
    kr[11] = __mach_port_move_member(PC.child, PC.r, 7);
    kr[12] = __mach_port_set_qlimit(PC.child, PC.r, 1);
    kr[13] = __mach_port_set_mscount(PC.child, PC.r, 9);
    portmsg_t m;
    portmsg_init(&m, PC.s, MACH_MSG_TYPE_COPY_SEND, 1000, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
    kr[14] = __mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, 0,
                        MACH_PORT_NULL);
    portmsg_init(&m, PC.s, MACH_MSG_TYPE_COPY_SEND, 1001, MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
    kr[15] = __mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof m, 0, MACH_PORT_NULL, 0,
                        MACH_PORT_NULL);
    kr[16] = __mach_port_request_notification(PC.child, PC.r, MACH_NOTIFY_NO_SENDERS, 0, PC.p,
                                              MACH_MSG_TYPE_MAKE_SEND_ONCE, &PC.prev);
    kr[17] = __mach_port_destroy(PC.child, 30);
    kr[18] = __mach_port_deallocate(PC.child, PC.d);
    mach_port_t *names;
    mach_port_type_t *types;
    PC.heap_before = sim_heap_allocations(NULL);
    kr[19] = __mach_port_names(PC.child, &names, &PC.n, &types, &PC.nt);
    PC.heap_with = sim_heap_allocations(NULL);
    for (mach_msg_type_number_t i = 0; i < PC.n && i < 8; i++) {
        PC.names[i] = names[i];
        PC.types[i] = types[i];
    }
    mach_port_t copy[8];
    PC.names_in_caller = sim_task_peek(sim_task_self(), names, copy, PC.n * sizeof *names) == 0 &&
                         memcmp(copy, names, PC.n * sizeof *names) == 0;
    PC.names_in_child = sim_task_peek(sim_task_by_id(2), names, copy, PC.n * sizeof *names) == 0;
    kr[20] = __vm_deallocate(PC.self, (vm_address_t)names, PC.n * sizeof *names);
    kr[21] = vm_deallocate(PC.self, (vm_address_t)types, PC.nt * sizeof *types);
    PC.heap_after = sim_heap_allocations(NULL);
    kr[22] = mach_port_deallocate(PC.self, PC.s);
}

static void test_mach_port_calls_on_child(void **state)
{
    (void)state;
    memset(&PC, 0, sizeof PC);
    kern_config cfg = {0};
    run_open(&cfg);
    kern_boot_task(port_calls_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    world_t *w = kern_world();

    assert_int_equal(PC.self, 1);                          /* rules K2 N3 */
    check_kr(PC.kr[0], KERN_SUCCESS);                      /* rule K1 */
    assert_int_equal(PC.child, 2);                         /* rules K1 N3 */
    check_kr(PC.kr[1], KERN_SUCCESS);                      /* rules A1 K8 */
    assert_int_equal(PC.r, 1);                             /* rules K1 N3 (the child's space was empty) */
    check_kr(PC.kr[2], KERN_SUCCESS);                      /* rule A2 */
    check_kr(PC.kr[3], KERN_SUCCESS);                      /* rule A1 */
    assert_int_equal(PC.d, 2);                             /* rule N3 */
    check_kr(PC.kr[4], KERN_SUCCESS);                      /* rule A1 */
    assert_int_equal(PC.p, 3);                             /* rule N3 */
    check_kr(PC.kr[5], KERN_SUCCESS);                      /* rule I2 */
    check_kr(PC.kr[6], KERN_SUCCESS);                      /* rule X1 */
    assert_int_equal(PC.s, 5);                             /* rules M10 X2 (reply port 4 came first) */
    assert_int_equal(PC.st, MACH_MSG_TYPE_PORT_SEND);      /* rule X2 */
    check_kr(PC.kr[7], KERN_SUCCESS);                      /* rule R2 */
    assert_int_equal(PC.refs, 1);                          /* rules R2 I2 */
    check_kr(PC.kr[8], KERN_SUCCESS);                      /* rule R3 */
    check_kr(PC.kr[9], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(PC.type & ~0xE0000000u, MACH_PORT_TYPE_SEND); /* rule R1 */
    check_kr(PC.kr[10], KERN_SUCCESS);                     /* rule A4 */
    check_kr(PC.kr[11], KERN_SUCCESS);                     /* rule M8 */
    check_kr(PC.kr[12], KERN_SUCCESS);                     /* rule M3 */
    check_kr(PC.kr[13], KERN_SUCCESS);                     /* rule D6 */
    check_kr(PC.kr[14], MACH_MSG_SUCCESS);                 /* rule M3 */
    check_kr(PC.kr[15], MACH_SEND_TIMED_OUT);              /* rules M3 M4 (qlimit 1, one queued) */
    check_kr(PC.kr[16], KERN_SUCCESS);                     /* rule D5 */
    assert_int_equal(PC.prev, MACH_PORT_NULL);             /* rule D5 */
    check_kr(PC.kr[17], KERN_SUCCESS);                     /* rule R5 */
    check_kr(PC.kr[18], KERN_SUCCESS);                     /* rule R4 */
    check_kr(PC.kr[19], KERN_SUCCESS);                     /* rule L1 */
    assert_int_equal(PC.n, 2);                             /* rule L1 */
    assert_int_equal(PC.nt, 2);                            /* rule L1 */
    assert_int_equal(PC.names[0], 1);                      /* rule L2 */
    assert_int_equal(PC.names[1], 7);                      /* rule L2 */
    assert_int_equal(PC.types[0], MACH_PORT_TYPE_RECEIVE); /* rule L3 */
    assert_int_equal(PC.types[1], MACH_PORT_TYPE_PORT_SET); /* rule L3 */
    assert_true(PC.names_in_caller);  /* the arrays are in the caller's image */
    assert_false(PC.names_in_child);  /* not in the (fresh) child's */
    assert_int_equal(PC.heap_with, PC.heap_before + 2);
    check_kr(PC.kr[20], KERN_SUCCESS);
    check_kr(PC.kr[21], KERN_SUCCESS);
    assert_int_equal(PC.heap_after, PC.heap_before); /* vm_deallocate freed both */
    check_kr(PC.kr[22], KERN_SUCCESS);                     /* rule R4 */

    /* The caller's space: what it held, plus its reply port; nothing of the child's names. */
    check_name(P, 1, MACH_PORT_TYPE_SEND, 1);              /* rule K2 */
    check_name(P, 2, MACH_PORT_TYPE_SEND, 1);              /* rule K1 */
    check_name(P, 3, MACH_PORT_TYPE_RECEIVE, 0);           /* rule I1 (MAKE_SEND leaves it) */
    check_name(P, 4, MACH_PORT_TYPE_RECEIVE, 0);           /* rules M10 L4 */
    /* s: 1 from extract, +1 from the timed-out send's pseudo-receive, -1 deallocate */
    check_name(P, 5, MACH_PORT_TYPE_SEND, 1);              /* rules X2 M4 R4 */
    assert_int_equal(space_count(P), 5);
    assert_int_equal(port_of(P, 5), port_of(C, 1));        /* rule X1 */
    /* The child's space. */
    check_name(C, 1, MACH_PORT_TYPE_RECEIVE, 0);           /* rules A1 X1 */
    check_name(C, 7, MACH_PORT_TYPE_PORT_SET, 0);          /* rule A2 */
    check_no_name(C, 2);                                   /* rule R4 */
    check_no_name(C, 20);                                  /* rule A4 */
    check_no_name(C, 30);                                  /* rule R5 */
    assert_int_equal(space_count(C), 2);
    /* The ports. */
    port_info_t r = port_info(w, port_of(C, 1));
    assert_int_equal(r.mscount, 9);                        /* rule D6 (set_mscount) */
    assert_int_equal(r.qlimit, 1);                         /* rule M3 */
    assert_int_equal(r.srights, 2);                        /* rule D6 (P's name and the queued message) */
    assert_true(r.has_nsrequest);                          /* rule D7 */
    port_info_t p = port_info(w, port_of(P, 3));
    assert_int_equal(p.mscount, 1);                        /* rule I1 */
    assert_int_equal(p.srights, 0);                        /* rules R5 D6 */
    assert_int_equal(p.sorights, 1);                       /* rules I1 D5 (held by the request) */
    mach_msg_id_t ids[4];
    assert_int_equal(queued(C, 7, ids, 4), 1);             /* rule M8 (the message is in the set) */
    assert_int_equal(ids[0], 1000);                        /* rule M8 */

    check_line("t1.1 trap mach_task_self() = 1");
    check_line("t1.1 trap task_create(1, 0) = KERN_SUCCESS -> 2");
    long s = check_line("t1.1 trap mach_port_allocate(2, RECEIVE) = KERN_SUCCESS -> 1");
    s = check_line_after("t1.1 trap mach_port_allocate_name(2, PORT_SET, 7) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_port_allocate(2, DEAD_NAME) = KERN_SUCCESS -> 2", s);
    s = check_line_after("t1.1 trap mach_port_allocate(1, RECEIVE) = KERN_SUCCESS -> 3", s);
    s = check_line_after("t1.1 trap mach_port_insert_right(2, 20, 3, MAKE_SEND) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 4", s); /* rule M10 */
    s = check_line_after("t1.1 mach_port_extract_right(2, 1, MAKE_SEND) = KERN_SUCCESS -> 5 PORT_SEND", s);
    s = check_line_after("t1.1 mach_port_get_refs(2, 20, SEND) = KERN_SUCCESS -> 1", s);
    s = check_line_after("t1.1 mach_port_mod_refs(2, 20, SEND, 2) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 mach_port_type(2, 20) = KERN_SUCCESS -> 0x10000", s);
    s = check_line_after("t1.1 mach_port_rename(2, 20, 30) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 mach_port_move_member(2, 1, 7) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 mach_port_set_qlimit(2, 1, 1) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 mach_port_set_mscount(2, 1, 9) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_msg(SEND, dest 5, id 1000, rcv 0) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_msg(SEND, dest 5, id 1001, rcv 0) = MACH_SEND_TIMED_OUT", s);
    s = check_line_after("t1.1 mach_port_request_notification(2, 1, 70, 0, 3, MAKE_SEND_ONCE) = "
                         "KERN_SUCCESS -> 0", s);
    s = check_line_after("t1.1 mach_port_destroy(2, 30) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_port_deallocate(2, 2) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 mach_port_names(2) = KERN_SUCCESS -> 2 names", s);
    s = check_line_after("t1.1 trap vm_deallocate(1, 8 bytes) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap vm_deallocate(1, 8 bytes) = KERN_SUCCESS", s);
    check_line_after("t1.1 trap mach_port_deallocate(1, 5) = KERN_SUCCESS", s);
    assert_int_equal(trace_count("t1.1 trap mach_reply_port() = 4"), 1); /* rule M10 (reused) */
    run_close();
    run_free();
}

/* --- the trap shortcuts (K8) and the reply port after a failed send (M12 step 1) --------------- */

static struct {
    kern_return_t kr[16];
    mach_port_t self, n, ps, child;
    mach_msg_type_number_t n1, n2;
    mach_port_t names1[8], names2[8];
    mach_port_type_t types1[8], types2[8];
} SC;

static void list_names(mach_port_t self, mach_port_t task, kern_return_t *kr,
                       mach_msg_type_number_t *n, mach_port_t *out, mach_port_type_t *tout)
{
    mach_port_t *names;
    mach_port_type_t *types;
    mach_msg_type_number_t nt;
    *kr = __mach_port_names(task, &names, n, &types, &nt);
    for (mach_msg_type_number_t i = 0; i < *n && i < 8; i++) {
        out[i] = names[i];
        tout[i] = types[i];
    }
    __vm_deallocate(self, (vm_address_t)names, *n * sizeof *names);
    __vm_deallocate(self, (vm_address_t)types, nt * sizeof *types);
}

static void shortcut_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = SC.kr;
    SC.self = __mach_task_self();
    list_names(SC.self, SC.self, &kr[0], &SC.n1, SC.names1, SC.types1); /* reply port 2 */
    /* No task under 99: each trap says MACH_SEND_INTERRUPTED, the RPC then fails to send. */
    kr[1] = __mach_port_allocate(99, MACH_PORT_RIGHT_RECEIVE, &SC.n);
    kr[2] = mach_port_deallocate(99, SC.self);
    kr[3] = __mach_port_allocate_name(99, MACH_PORT_RIGHT_RECEIVE, 50);
    kr[4] = __mach_port_insert_right(99, 60, SC.self, MACH_MSG_TYPE_COPY_SEND);
    /* The reply port was deallocated (M12 step 1): its name is the head of the free list. */
    kr[5] = __mach_port_allocate(SC.self, MACH_PORT_RIGHT_PORT_SET, &SC.ps);
    /* The next RPC makes a new reply port. */
    list_names(SC.self, SC.self, &kr[6], &SC.n2, SC.names2, SC.types2);
    /* A plain RPC with a bad request port does the same. */
    kr[7] = __mach_port_destroy(99, SC.ps);
    /* A task's dead name: the shortcut falls back as for any name that is not a task (K5). */
    kr[8] = __task_create(SC.self, 0, &SC.child);
    kr[9] = __task_terminate(SC.child);
    kr[10] = __mach_port_allocate(SC.child, MACH_PORT_RIGHT_RECEIVE, &SC.n);
}

static void test_K8_shortcut_bad_task_and_M12_reply_port(void **state)
{
    (void)state;
    memset(&SC, 0, sizeof SC);
    kern_config cfg = {0};
    run_open(&cfg);
    kern_boot_task(shortcut_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1);
    check_kr(SC.kr[0], KERN_SUCCESS);                      /* rule L1 */
    assert_int_equal(SC.n1, 2);                            /* rule L4 */
    assert_int_equal(SC.names1[1], 2);                     /* rules L4 M10 */
    assert_int_equal(SC.types1[1], MACH_PORT_TYPE_RECEIVE); /* rules L4 M10 */
    check_kr(SC.kr[1], MACH_SEND_INVALID_DEST);            /* rule K8 */
    check_kr(SC.kr[2], MACH_SEND_INVALID_DEST);            /* rule K8 */
    check_kr(SC.kr[3], MACH_SEND_INVALID_DEST);            /* rule K8 */
    check_kr(SC.kr[4], MACH_SEND_INVALID_DEST);            /* rule K8 */
    check_kr(SC.kr[5], KERN_SUCCESS);                      /* rule A1 */
    assert_int_equal(SC.ps, 2);                            /* rules M12 N3 (the reply port's name, freed) */
    check_kr(SC.kr[6], KERN_SUCCESS);                      /* rule L1 */
    assert_int_equal(SC.n2, 3);                            /* rules L1 L4 */
    assert_int_equal(SC.names2[1], 2);                     /* rule L2 */
    assert_int_equal(SC.types2[1], MACH_PORT_TYPE_PORT_SET); /* rule L3 */
    assert_int_equal(SC.names2[2], 3);                     /* rules M10 L4 (a new reply port) */
    assert_int_equal(SC.types2[2], MACH_PORT_TYPE_RECEIVE); /* rules M10 L4 */
    check_kr(SC.kr[7], MACH_SEND_INVALID_DEST);            /* rule M12 */
    check_kr(SC.kr[8], KERN_SUCCESS);                      /* rule K1 */
    check_kr(SC.kr[9], KERN_SUCCESS);                      /* rule K5 */
    check_kr(SC.kr[10], MACH_SEND_INVALID_DEST);           /* rules K5 K8 */
    /* Nothing was consumed by the failed sends: the self name has its trap urefs only. */
    check_name(P, 1, MACH_PORT_TYPE_SEND, 1);              /* rules K2 M2 */
    check_name(P, 2, MACH_PORT_TYPE_PORT_SET, 0);          /* rule A1 */
    check_no_name(P, 50);                                  /* rule K8 */
    check_no_name(P, 60);                                  /* rule K8 */
    /* The second reply port (3) died with the failed destroy, so the child got its name; the
     * fallback on the child's dead name made reply port 4 and lost it. */
    check_name(P, 3, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules N3 K5 D3 M2 */
    check_no_name(P, 4);                                   /* rule M12 */
    assert_int_equal(space_count(P), 3);

    long s = check_line("t1.1 trap mach_reply_port() = 2"); /* rule M10 */
    s = check_line_after("t1.1 mach_port_names(1) = KERN_SUCCESS -> 2 names", s);
    s = check_line_after("t1.1 trap mach_port_allocate(99, RECEIVE) = MACH_SEND_INTERRUPTED", s); /* rule K8 */
    s = check_line_after("t1.1 mach_port_allocate(99, RECEIVE) = MACH_SEND_INVALID_DEST", s);    /* rule K8 */
    s = check_line_after("t1.1 trap mach_port_deallocate(99, 1) = MACH_SEND_INTERRUPTED", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 2", s);                                   /* rule M10 */
    s = check_line_after("t1.1 mach_port_deallocate(99, 1) = MACH_SEND_INVALID_DEST", s);
    s = check_line_after("t1.1 trap mach_port_allocate_name(99, RECEIVE, 50) = MACH_SEND_INTERRUPTED", s);
    s = check_line_after("t1.1 mach_port_allocate_name(99, RECEIVE, 50) = MACH_SEND_INVALID_DEST", s);
    s = check_line_after("t1.1 trap mach_port_insert_right(99, 60, 1, COPY_SEND) = MACH_SEND_INTERRUPTED", s);
    s = check_line_after("t1.1 mach_port_insert_right(99, 60, 1, COPY_SEND) = MACH_SEND_INVALID_DEST", s);
    s = check_line_after("t1.1 trap mach_port_allocate(1, PORT_SET) = KERN_SUCCESS -> 2", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 3", s);                                   /* rule M10 */
    s = check_line_after("t1.1 mach_port_names(1) = KERN_SUCCESS -> 3 names", s);
    s = check_line_after("t1.1 mach_port_destroy(99, 2) = MACH_SEND_INVALID_DEST", s);
    s = check_line_after("t1.1 trap task_create(1, 0) = KERN_SUCCESS -> 3", s);
    s = check_line_after("t1.1 trap task_terminate(3) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_port_allocate(3, RECEIVE) = MACH_SEND_INTERRUPTED", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 4", s);                                   /* rule M10 */
    check_line_after("t1.1 mach_port_allocate(3, RECEIVE) = MACH_SEND_INVALID_DEST", s);          /* rules K5 K8 */
    run_close();
    run_free();
}

/* --- out-of-line arrays: task_threads, mach_ports_register/lookup ------------------------------ */

static struct {
    kern_return_t kr[24];
    mach_port_t self, child, cr, p, t1, t2;
    mach_msg_type_number_t nth, nports;
    mach_port_t threads[4], ports[4], *failed;
    mach_msg_type_number_t failed_count;
    int threads_in_caller, threads_in_child, ports_in_caller, ports_in_child;
    size_t heap0, heap1, heap2, heap3;
} OL;

/* Whether len bytes at addr are in task's image with the same contents as here. */
static int in_image(sim_task *task, const void *addr, size_t len)
{
    char copy[64];
    return len <= sizeof copy && sim_task_peek(task, addr, copy, len) == 0 &&
           memcmp(copy, addr, len) == 0;
}

static void ool_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = OL.kr;
    OL.self = __mach_task_self();
    kr[0] = __task_create(OL.self, 0, &OL.child);
    kr[1] = __mach_port_allocate(OL.child, MACH_PORT_RIGHT_RECEIVE, &OL.cr);
    kr[2] = __mach_port_allocate(OL.self, MACH_PORT_RIGHT_RECEIVE, &OL.p);
    kr[3] = __mach_port_insert_right(OL.self, OL.p, OL.p, MACH_MSG_TYPE_MAKE_SEND);
    kr[4] = __thread_create(OL.child, &OL.t1);
    kr[5] = thread_create(OL.child, &OL.t2);
    mach_port_t reg[1] = {OL.p};
    kr[6] = __mach_ports_register(OL.child, reg, 1);
    sim_task *child = sim_task_by_id(2);

    OL.heap0 = sim_heap_allocations(NULL);
    mach_port_t *threads;
    kr[7] = __task_threads(OL.child, &threads, &OL.nth);
    OL.heap1 = sim_heap_allocations(NULL);
    memcpy(OL.threads, threads, OL.nth * sizeof *threads);
    OL.threads_in_caller = in_image(sim_task_self(), threads, OL.nth * sizeof *threads);
    OL.threads_in_child = in_image(child, threads, OL.nth * sizeof *threads);

    mach_port_t *ports;
    kr[8] = __mach_ports_lookup(OL.child, &ports, &OL.nports);
    OL.heap2 = sim_heap_allocations(NULL);
    memcpy(OL.ports, ports, OL.nports * sizeof *ports);
    OL.ports_in_caller = in_image(sim_task_self(), ports, OL.nports * sizeof *ports);
    OL.ports_in_child = in_image(child, ports, OL.nports * sizeof *ports);

    kr[9] = __vm_deallocate(OL.self, (vm_address_t)threads, OL.nth * sizeof *threads);
    kr[10] = __vm_deallocate(OL.self, (vm_address_t)ports, OL.nports * sizeof *ports);
    OL.heap3 = sim_heap_allocations(NULL);
    /* One deallocate per returned name (K4, K6). */
    kr[11] = __mach_port_deallocate(OL.self, OL.threads[0]);
    kr[12] = __mach_port_deallocate(OL.self, OL.threads[1]);
    kr[13] = __mach_port_deallocate(OL.self, OL.ports[0]);
    /* The threads never got a start state: they go. */
    kr[14] = __thread_terminate(OL.t1);
    kr[15] = thread_terminate(OL.t2);
    /* PR6: a failed lookup (p is no task's port) returns no array, the pointer untouched */
    OL.failed = OL.ports;
    OL.failed_count = 77;
    kr[16] = __mach_ports_lookup(OL.p, &OL.failed, &OL.failed_count);
}

static void test_ool_task_threads_ports_lookup(void **state)
{
    (void)state;
    memset(&OL, 0, sizeof OL);
    kern_config cfg = {0};
    run_open(&cfg);
    kern_boot_task(ool_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    for (int i = 0; i <= 15; i++)
        check_kr(OL.kr[i], KERN_SUCCESS);                  /* rules K1 A1 I3 K3 K6 K4 H8 */
    assert_int_equal(OL.t1, 5);                            /* rules K3 M10 (reply port 4 first) */
    assert_int_equal(OL.t2, 6);                            /* rule K3 */
    assert_int_equal(OL.nth, 2);                           /* rule K4 */
    assert_int_equal(OL.threads[0], 5);                    /* rules K4 H9 (creation order, merged) */
    assert_int_equal(OL.threads[1], 6);                    /* rules K4 H9 */
    assert_int_equal(OL.nports, TASK_PORT_REGISTER_MAX);   /* rules K6 PR6 (always 4 slots) */
    assert_int_equal(OL.ports[0], 3);                      /* rules K6 T3 (merged into P's name) */
    assert_int_equal(OL.ports[1], MACH_PORT_NULL);         /* rule K6 */
    assert_int_equal(OL.ports[2], MACH_PORT_NULL);         /* rule K6 */
    assert_int_equal(OL.ports[3], MACH_PORT_NULL);         /* rule K6 */
    /* The arrays were in the caller's image, not the child's; vm_deallocate freed them. */
    assert_true(OL.threads_in_caller);
    assert_false(OL.threads_in_child);
    assert_true(OL.ports_in_caller);                       /* rule PR6 */
    assert_false(OL.ports_in_child);                       /* rule PR6 */
    assert_int_equal(OL.heap1, OL.heap0 + 1);
    assert_int_equal(OL.heap2, OL.heap0 + 2);              /* rule PR6: new memory */
    assert_int_equal(OL.heap3, OL.heap0);                  /* rule PR6: freed by the caller */
    check_kr(OL.kr[16], KERN_INVALID_ARGUMENT);            /* rule PR5 */
    assert_ptr_equal(OL.failed, OL.ports);                 /* rule PR6 */
    assert_int_equal(OL.failed_count, 77);                 /* rule PR6 */

    /* The caller: the merged urefs are back to one each after one deallocate per name. */
    check_name(P, 3, MACH_PORT_TYPE_SEND_RECEIVE, 1);      /* rules I3 K6 R4 */
    check_name(P, 4, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M10 */
    name_info_t ni;
    assert_true(space_peek(P, 5, &ni));
    assert_true(ni.dead);                                  /* rules H8 D3 */
    assert_int_equal(ni.urefs, 1);                         /* rules K4 R4 */
    assert_true(space_peek(P, 6, &ni));
    assert_true(ni.dead);                                  /* rules H8 D3 */
    /* The child: thread_create and register add no name (K3, K6). */
    check_name(C, 1, MACH_PORT_TYPE_RECEIVE, 0);           /* rule A1 */
    assert_int_equal(space_count(C), 1);                   /* rules K3 K6 */
    /* p: P's entry and the child's registered slot. */
    assert_int_equal(port_info(kern_world(), port_of(P, 3)).srights, 2); /* rules D6 K6 */

    long s = check_line("t1.1 thread_create(2) = KERN_SUCCESS -> 5");
    s = check_line_after("t1.1 thread_create(2) = KERN_SUCCESS -> 6", s);
    s = check_line_after("t1.1 mach_ports_register(2, {3}) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 task_threads(2) = KERN_SUCCESS -> {5 6}", s);
    s = check_line_after("t1.1 mach_ports_lookup(2) = KERN_SUCCESS -> {3 0 0 0}", s);
    s = check_line_after("t1.1 trap vm_deallocate(1, 8 bytes) = KERN_SUCCESS", s);
    char ool_line[80]; /* PR6: the array is TASK_PORT_REGISTER_MAX names */
    snprintf(ool_line, sizeof ool_line, "t1.1 trap vm_deallocate(1, %zu bytes) = KERN_SUCCESS",
             TASK_PORT_REGISTER_MAX * sizeof(mach_port_t));
    s = check_line_after(ool_line, s); /* rule PR6 */
    s = check_line_after("t1.1 thread_terminate(5) = KERN_SUCCESS", s);
    check_line_after("t1.1 thread_terminate(6) = KERN_SUCCESS", s);
    run_close();
    run_free();
}

/* --- thread_suspend / thread_resume: a suspended thread does not run (H1-H3) ------------------- */

static worker_t W1, W2;

static void self_stop(void *arg)
{
    worker_t *w = arg;
    w->before = 1;
    w->mr = __thread_suspend(__mach_thread_self());
    w->after = 1;
}

static struct {
    kern_return_t kr[24];
    mach_port_t self, child, t, t2;
    unsigned long c0, c1, c2, c3, c4;
    int self_after_early;
} SU;

static void suspend_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = SU.kr;
    SU.self = __mach_task_self();
    kr[0] = __task_create(SU.self, 0, &SU.child);
    kr[1] = __thread_create(SU.child, &SU.t);
    kern_thread_state ts = {.kind = KERN_STATE_CALL, .pc = (uintptr_t)spin, .arg = (uintptr_t)&W1};
    kr[2] = __thread_set_state(SU.t, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts,
                               KERN_THREAD_STATE_COUNT);
    yield_n(10);
    SU.c0 = W1.count;                 /* created suspended: has not run */
    kr[3] = __thread_resume(SU.t);
    YIELD_UNTIL(W1.count >= 3);
    kr[4] = __thread_suspend(SU.t);
    SU.c1 = W1.count;
    yield_n(10);
    SU.c2 = W1.count;                 /* stopped */
    kr[5] = thread_suspend(SU.t);     /* count 2 */
    kr[6] = __thread_resume(SU.t);    /* count 1: still held */
    yield_n(10);
    SU.c3 = W1.count;
    kr[7] = thread_resume(SU.t);      /* count 0: runs */
    YIELD_UNTIL(W1.count > SU.c1 + 2);
    SU.c4 = W1.count;
    kr[8] = __thread_resume(SU.t);    /* count already 0 */
    W1.stop = 1;
    YIELD_UNTIL(W1.done);
    /* A thread suspending itself stops on the way out of the call (H2). */
    SU.t2 = start_thread(SU.child, self_stop, &W2, &kr[9]);
    YIELD_UNTIL(W2.before);
    yield_n(10);
    SU.self_after_early = W2.after;
    kr[12] = __thread_resume(SU.t2);
    YIELD_UNTIL(W2.after);
}

static void test_H1_H3_thread_suspend_resume(void **state)
{
    (void)state;
    memset(&SU, 0, sizeof SU);
    memset(&W1, 0, sizeof W1);
    memset(&W2, 0, sizeof W2);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_open(&cfg);
    kern_boot_task(suspend_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    check_kr(SU.kr[0], KERN_SUCCESS);                      /* rule K1 */
    check_kr(SU.kr[1], KERN_SUCCESS);                      /* rule K3 */
    check_kr(SU.kr[2], KERN_SUCCESS);                      /* rule H7 */
    assert_int_equal(SU.c0, 0);                            /* rule H1 (starts with user_stop_count 1) */
    check_kr(SU.kr[3], KERN_SUCCESS);                      /* rule H3 */
    assert_true(SU.c1 >= 3);                               /* rule H1 (one resume starts it) */
    check_kr(SU.kr[4], KERN_SUCCESS);                      /* rule H2 */
    assert_int_equal(SU.c2, SU.c1);                        /* rule H2 (a suspended thread does not run) */
    check_kr(SU.kr[5], KERN_SUCCESS);                      /* rule H2 (no upper limit) */
    check_kr(SU.kr[6], KERN_SUCCESS);                      /* rule H3 */
    assert_int_equal(SU.c3, SU.c1);                        /* rules H1 H3 (still held at count 1) */
    check_kr(SU.kr[7], KERN_SUCCESS);                      /* rule H3 */
    assert_true(SU.c4 > SU.c1);                            /* rule H3 (at 0 the hold is released) */
    check_kr(SU.kr[8], KERN_FAILURE);                      /* rule H3 (count already 0) */
    assert_int_equal(W1.done, 1);
    check_kr(SU.kr[9], KERN_SUCCESS);                      /* rule K3 */
    check_kr(SU.kr[10], KERN_SUCCESS);                     /* rule H7 */
    check_kr(SU.kr[11], KERN_SUCCESS);                     /* rule H3 */
    assert_int_equal(W2.before, 1);
    check_kr(W2.mr, KERN_SUCCESS);                         /* rule H2 (succeeds on the caller) */
    assert_int_equal(SU.self_after_early, 0);              /* rule H2 (and it stops) */
    check_kr(SU.kr[12], KERN_SUCCESS);                     /* rule H3 */
    assert_int_equal(W2.after, 1);                         /* rule H3 (resumed, it goes on) */

    /* Spaces: the caller holds one name per thread; the child none (K3); the second thread's
     * mach_thread_self named its port in the child's space (K2), and its RPC a reply port. */
    check_name(P, 4, MACH_PORT_TYPE_SEND, 1);              /* rule K3 */
    check_name(P, 5, MACH_PORT_TYPE_SEND, 1);              /* rule K3 */
    kthread_t *kt = kthread_by_name(P, 4), *kt2 = kthread_by_name(P, 5);
    assert_non_null(kt);
    assert_int_equal(kthread_user_stop_count(kt), 0);      /* rules H2 H3 */
    assert_int_equal(kthread_user_stop_count(kt2), 0);     /* rules H2 H3 */
    check_name(C, 1, MACH_PORT_TYPE_SEND, 1);              /* rule K2 */
    assert_int_equal(port_of(C, 1), port_of(P, 5));        /* rule K2 (the same thread port) */
    check_name(C, 2, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M10 */
    assert_int_equal(space_count(C), 2);

    long s = check_line("t1.1 thread_create(2) = KERN_SUCCESS -> 4");
    s = check_line_after("t1.1 thread_set_state(4, 32513) = KERN_SUCCESS -> start at a function", s);
    s = check_line_after("t1.1 thread_resume(4) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_suspend(4) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_suspend(4) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_resume(4) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_resume(4) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_resume(4) = KERN_FAILURE", s); /* rule H3 */
    s = check_line_after("t2.3 trap mach_thread_self() = 1", s);
    s = check_line_after("t2.3 trap mach_reply_port() = 2", s);
    s = check_line_after("t2.3 thread_suspend(1) = KERN_SUCCESS", s);
    check_line_after("t1.1 thread_resume(5) = KERN_SUCCESS", s);
    run_close();
    run_free();
}

/* --- task_suspend / task_resume (H4) ------------------------------------------------------------ */

static struct {
    kern_return_t kr[16];
    mach_port_t self, child, t, t2;
    unsigned long c1, c2, n2_early, c3;
} TS;

static void task_suspend_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = TS.kr;
    TS.self = __mach_task_self();
    kr[0] = __task_create(TS.self, 0, &TS.child);
    TS.t = start_thread(TS.child, spin, &W1, &kr[1]);
    YIELD_UNTIL(W1.count >= 3);
    kr[4] = __task_suspend(TS.child);
    TS.c1 = W1.count;
    yield_n(10);
    TS.c2 = W1.count;
    /* A thread created in a suspended task: one thread_resume does not start it (H1). */
    TS.t2 = start_thread(TS.child, spin, &W2, &kr[5]);
    yield_n(10);
    TS.n2_early = W2.count;
    kr[8] = task_resume(TS.child);
    YIELD_UNTIL(W1.count > TS.c1 + 2 && W2.count > 2);
    TS.c3 = W1.count;
    kr[9] = __task_resume(TS.child);
    W1.stop = W2.stop = 1;
    YIELD_UNTIL(W1.done && W2.done);
}

static void test_H4_task_suspend_resume(void **state)
{
    (void)state;
    memset(&TS, 0, sizeof TS);
    memset(&W1, 0, sizeof W1);
    memset(&W2, 0, sizeof W2);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_open(&cfg);
    kern_boot_task(task_suspend_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    for (int i = 0; i <= 3; i++)
        check_kr(TS.kr[i], KERN_SUCCESS);                  /* rules K1 K3 H7 H3 */
    check_kr(TS.kr[4], KERN_SUCCESS);                      /* rule H4 */
    assert_int_equal(TS.c2, TS.c1);                        /* rule H4 (the task's threads stop) */
    for (int i = 5; i <= 7; i++)
        check_kr(TS.kr[i], KERN_SUCCESS);                  /* rules K3 H7 H3 */
    assert_int_equal(TS.n2_early, 0);                      /* rules H1 H4 */
    check_kr(TS.kr[8], KERN_SUCCESS);                      /* rule H4 */
    assert_true(TS.c3 > TS.c1);                            /* rule H4 (1 -> 0 releases every thread) */
    check_kr(TS.kr[9], KERN_FAILURE);                      /* rule H4 (count already 0) */
    assert_true(W1.done && W2.done);
    check_name(P, 2, MACH_PORT_TYPE_SEND, 1);              /* rule K1 */
    check_name(P, 4, MACH_PORT_TYPE_SEND, 1);              /* rule K3 */
    check_name(P, 5, MACH_PORT_TYPE_SEND, 1);              /* rule K3 */
    assert_int_equal(space_count(C), 0);                   /* rules K1 K3 */
    long s = check_line("t1.1 trap task_suspend(2) = KERN_SUCCESS");
    s = check_line_after("t1.1 thread_resume(5) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 task_resume(2) = KERN_SUCCESS", s);
    check_line_after("t1.1 task_resume(2) = KERN_FAILURE", s); /* rule H4 */
    run_close();
    run_free();
}

/* --- thread_abort on receivers; mach_msg between two tasks (H6, H10, M7) ----------------------- */

static struct {
    kern_return_t kr[16];
    mach_port_t self, child, c1, c2, p, tA, tB, s, me;
    mach_msg_type_name_t st;
    int a_returned_after_abort, b_done_after_abort;
} AB;

static kthread_t *kthread_of_name(mach_port_t name)
{
    return kthread_by_name(kthread_task(kern_self()), name);
}

static void abort_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = AB.kr;
    AB.self = __mach_task_self();
    kr[0] = __task_create(AB.self, 0, &AB.child);
    kr[1] = __mach_port_allocate(AB.child, MACH_PORT_RIGHT_RECEIVE, &AB.c1);
    kr[2] = __mach_port_allocate(AB.child, MACH_PORT_RIGHT_RECEIVE, &AB.c2);
    kr[3] = __mach_port_allocate(AB.self, MACH_PORT_RIGHT_RECEIVE, &AB.p);
    kr[4] = __mach_port_insert_right(AB.self, AB.p, AB.p, MACH_MSG_TYPE_MAKE_SEND);
    W1.rcv = AB.c1;
    W1.option = 0;                    /* glibc's __mach_msg retries an interrupted receive */
    W2.rcv = AB.c2;
    W2.option = MACH_RCV_INTERRUPT;   /* ... unless asked not to */
    kern_return_t k3[3];
    AB.tA = start_thread(AB.child, receiver, &W1, k3);
    AB.tB = start_thread(AB.child, receiver, &W2, k3);
    kr[5] = __mach_port_extract_right(AB.child, AB.c1, MACH_MSG_TYPE_MAKE_SEND, &AB.s, &AB.st);
    YIELD_UNTIL(mk_thread_blocked(kthread_of_name(AB.tA), NULL) == MK_WAIT_RECEIVE &&
                mk_thread_blocked(kthread_of_name(AB.tB), NULL) == MK_WAIT_RECEIVE);
    kr[6] = __thread_abort(AB.tA);
    kr[7] = thread_abort(AB.tB);
    YIELD_UNTIL(W2.done);
    yield_n(20);
    AB.a_returned_after_abort = W1.done;
    AB.b_done_after_abort = W2.done;
    AB.me = __mach_thread_self();
    kr[8] = __thread_abort(AB.me);    /* not on oneself */
    /* A message with a right in its body: P's last send uref to p, moved. */
    portmsg_t m;
    portmsg_init(&m, AB.s, MACH_MSG_TYPE_COPY_SEND, 4242, AB.p, MACH_MSG_TYPE_MOVE_SEND);
    kr[9] = __mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    YIELD_UNTIL(W1.done);
}

static void run_abort_program(kern_config *cfg)
{
    memset(&AB, 0, sizeof AB);
    memset(&W1, 0, sizeof W1);
    memset(&W2, 0, sizeof W2);
    run_open(cfg);
    kern_boot_task(abort_main, NULL, NULL);
    run_sim();
}

static void test_H6_H10_thread_abort_and_mach_msg_between_tasks(void **state)
{
    (void)state;
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_abort_program(&cfg);
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    world_t *w = kern_world();
    for (int i = 0; i <= 5; i++)
        check_kr(AB.kr[i], KERN_SUCCESS);                  /* rules K1 A1 I3 X1 */
    assert_int_equal(AB.tA, 5);                            /* rules M10 K3 */
    assert_int_equal(AB.tB, 6);                            /* rule K3 */
    assert_int_equal(AB.s, 7);                             /* rule X2 */
    check_kr(AB.kr[6], KERN_SUCCESS);                      /* rule H6 */
    check_kr(AB.kr[7], KERN_SUCCESS);                      /* rule H6 */
    check_kr(W2.mr, MACH_RCV_INTERRUPTED);                 /* rules H6 H10 (MACH_RCV_INTERRUPT given) */
    assert_int_equal(AB.b_done_after_abort, 1);
    assert_int_equal(AB.a_returned_after_abort, 0);        /* rule H10 (retried, still waiting) */
    check_kr(AB.kr[8], KERN_INVALID_ARGUMENT);             /* rule H6 (the calling thread) */
    check_kr(AB.kr[9], MACH_MSG_SUCCESS);                  /* rule M2 */
    check_kr(W1.mr, MACH_MSG_SUCCESS);                     /* rules H10 M7 (the retried receive) */
    assert_int_equal(W1.id, 4242);                         /* rule M7 */
    assert_int_equal(W1.body_type, MACH_MSG_TYPE_PORT_SEND); /* rule M7 (the carried type) */
    assert_int_equal(W1.body_name, 3);                     /* rule N3 (the child's next name) */

    /* The sender's space: the moved uref left the entry a receive right (I1). */
    check_name(P, 3, MACH_PORT_TYPE_RECEIVE, 0);           /* rule I1 */
    check_name(P, 7, MACH_PORT_TYPE_SEND, 1);              /* rule M2 (COPY_SEND keeps it) */
    /* The receiver's space: the send right to p arrived under a new name. */
    check_name(C, 3, MACH_PORT_TYPE_SEND, 1);              /* rule M7 */
    assert_int_equal(port_of(C, 3), port_of(P, 3));        /* rule M7 */
    port_info_t p = port_info(w, port_of(P, 3));
    assert_int_equal(p.srights, 1);                        /* rule D6 (moved, not copied) */
    port_info_t c1 = port_info(w, port_of(C, 1));
    assert_int_equal(c1.seqno, 1);                         /* rule M7 */
    assert_int_equal(c1.msgcount, 0);                      /* rule M3 */
    /* The receivers' reply ports: none, mach_msg is the user's trap, no MIG stub. */
    check_name(C, 1, MACH_PORT_TYPE_RECEIVE, 0);
    check_name(C, 2, MACH_PORT_TYPE_RECEIVE, 0);
    assert_int_equal(space_count(C), 3);

    long s = check_line("t1.1 thread_abort(5) = KERN_SUCCESS");
    long sb = check_line_after("t1.1 thread_abort(6) = KERN_SUCCESS", s);
    check_line_after("t2.3 trap mach_msg(|RCV, dest 0, id 0, rcv 2) = MACH_RCV_INTERRUPTED", sb); /* rule H6 */
    s = check_line_after("t1.1 thread_abort(8) = KERN_INVALID_ARGUMENT", sb);
    s = check_line_after("t1.1 trap mach_msg(SEND, dest 7, id 4242, rcv 0) = KERN_SUCCESS", s);
    check_line_after("t2.2 trap mach_msg(|RCV, dest 0, id 0, rcv 1) = KERN_SUCCESS -> id 4242", s);
    /* The interruption of the first receiver is invisible: one line for its one call (H10). */
    assert_int_equal(trace_count("t2.2 trap mach_msg(|RCV, dest 0, id 0, rcv 1) = KERN_SUCCESS -> id 4242"), 1); /* rule H10 */
    assert_int_equal(trace_count("t2.2 trap mach_msg(|RCV, dest 0, id 0, rcv 1) = MACH_RCV_INTERRUPTED"), 0); /* rule H10 */
    run_close();
    run_free();
}

/* --- task_terminate: another task, and the caller's own (K5) ----------------------------------- */

static struct {
    kern_return_t kr[16];
    mach_port_t self, child, c1, p, t, s;
    mach_port_type_t type_s, type_child, type_t;
    unsigned long c1_count, c2_count;
} TT;

static void task_terminate_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = TT.kr;
    TT.self = __mach_task_self();
    kr[0] = __task_create(TT.self, 0, &TT.child);
    kr[1] = __mach_port_allocate(TT.child, MACH_PORT_RIGHT_RECEIVE, &TT.c1);
    kr[2] = __mach_port_allocate(TT.self, MACH_PORT_RIGHT_RECEIVE, &TT.p);
    kr[3] = __mach_port_insert_right(TT.child, 10, TT.p, MACH_MSG_TYPE_MAKE_SEND);
    kern_return_t k3[3];
    TT.t = start_thread(TT.child, spin, &W1, k3);
    kr[4] = __mach_port_extract_right(TT.child, TT.c1, MACH_MSG_TYPE_MAKE_SEND, &TT.s,
                                      &(mach_msg_type_name_t){0});
    YIELD_UNTIL(W1.count >= 3);
    kr[5] = __task_terminate(TT.child);
    TT.c1_count = W1.count;
    yield_n(10);
    TT.c2_count = W1.count;
    kr[6] = __mach_port_type(TT.self, TT.s, &TT.type_s);
    kr[7] = __mach_port_type(TT.self, TT.child, &TT.type_child);
    kr[8] = mach_port_type(TT.self, TT.t, &TT.type_t);
    kr[9] = task_terminate(TT.child);
}

static void test_K5_task_terminate_other(void **state)
{
    (void)state;
    memset(&TT, 0, sizeof TT);
    memset(&W1, 0, sizeof W1);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_open(&cfg);
    kern_boot_task(task_terminate_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1);
    for (int i = 0; i <= 4; i++)
        check_kr(TT.kr[i], KERN_SUCCESS);                  /* rules K1 A1 I2 X1 */
    check_kr(TT.kr[5], KERN_SUCCESS);                      /* rule K5 */
    assert_int_equal(TT.c2_count, TT.c1_count);            /* rule K5 step 1 (its threads stop) */
    assert_int_equal(W1.done, 0);                          /* rule K5 step 1 (and never go on) */
    check_kr(TT.kr[6], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(TT.type_s, MACH_PORT_TYPE_DEAD_NAME); /* rules K5 D3 (its receive rights died) */
    check_kr(TT.kr[7], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(TT.type_child, MACH_PORT_TYPE_DEAD_NAME); /* rule K5 step 4 */
    check_kr(TT.kr[8], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(TT.type_t, MACH_PORT_TYPE_DEAD_NAME); /* rules K5 H8 */
    check_kr(TT.kr[9], MACH_SEND_INVALID_DEST);            /* rule K5 (sending to the dead name) */
    /* The caller's space: its names for the child's objects are dead names. */
    check_name(P, 2, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules K5 D3 */
    check_name(P, 5, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules K5 D3 */
    check_name(P, 6, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules K5 D3 */
    check_name(P, 3, MACH_PORT_TYPE_RECEIVE, 0);           /* rule K5 */
    /* The child's send right to p went with its space (K5 step 3). */
    assert_int_equal(port_info(kern_world(), port_of(P, 3)).srights, 0); /* rules K5 D6 */
    assert_null(sim_task_by_id(2));                        /* the task and its image are gone */
    long s = check_line("t1.1 trap task_terminate(2) = KERN_SUCCESS");
    s = check_line_after("t1.1 mach_port_type(1, 6) = KERN_SUCCESS -> 0x100000", s);
    s = check_line_after("t1.1 mach_port_type(1, 2) = KERN_SUCCESS -> 0x100000", s);
    s = check_line_after("t1.1 mach_port_type(1, 5) = KERN_SUCCESS -> 0x100000", s);
    check_line_after("t1.1 trap task_terminate(2) = MACH_SEND_INVALID_DEST", s);
    run_close();
    run_free();
}

static struct {
    kern_return_t kr[8];
    mach_port_t self, child, t, cself;
    mach_port_type_t type_child, type_t;
} TO;

static void terminates_itself(void *arg)
{
    worker_t *w = arg;
    TO.cself = __mach_task_self();
    w->before = 1;
    w->mr = __task_terminate(TO.cself);
    w->after = 1;               /* never reached */
}

static void task_terminate_self_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = TO.kr;
    TO.self = __mach_task_self();
    kr[0] = __task_create(TO.self, 0, &TO.child);
    TO.t = start_thread(TO.child, terminates_itself, &W1, &kr[1]);
    YIELD_UNTIL(W1.before);
    yield_n(10);
    kr[4] = __mach_port_type(TO.self, TO.child, &TO.type_child);
    kr[5] = __mach_port_type(TO.self, TO.t, &TO.type_t);
}

static void test_K5_task_terminate_self(void **state)
{
    (void)state;
    memset(&TO, 0, sizeof TO);
    memset(&W1, 0, sizeof W1);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_open(&cfg);
    kern_boot_task(task_terminate_self_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1);
    for (int i = 0; i <= 3; i++)
        check_kr(TO.kr[i], KERN_SUCCESS);                  /* rules K1 K3 H7 H3 */
    assert_int_equal(TO.cself, 1);                         /* rules K1 K2 (the child's space was empty) */
    assert_int_equal(W1.before, 1);
    assert_int_equal(W1.after, 0);                         /* rule K5 (the call does not return) */
    check_kr(TO.kr[4], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(TO.type_child, MACH_PORT_TYPE_DEAD_NAME); /* rules K5 D3 */
    check_kr(TO.kr[5], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(TO.type_t, MACH_PORT_TYPE_DEAD_NAME); /* rules K5 H8 D3 */
    check_name(P, 2, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules K5 D3 */
    check_name(P, 4, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules K5 D3 */
    assert_null(sim_task_by_id(2));
    long s = check_line("t2.2 trap mach_task_self() = 1");
    s = check_line_after("t2.2 trap task_terminate(1) = KERN_SUCCESS", s);
    check_line_after("t1.1 mach_port_type(1, 2) = KERN_SUCCESS -> 0x100000", s);
    run_close();
    run_free();
}

/* --- thread_terminate; thread_get_state / thread_set_state (H7, H8) ---------------------------- */

static struct {
    kern_return_t kr[16];
    mach_port_t self, t, me, t2;
    natural_t got[MK_MAX_STATE_WORDS];
    mach_msg_type_number_t got_count, small_count, bad_count;
    kern_thread_state set;
    unsigned long c1, c2;
    mach_port_type_t type_t, type_t2;
} TH;

static void terminates_thread(void *arg)
{
    worker_t *w = arg;
    w->before = 1;
    w->mr = __thread_terminate(__mach_thread_self());
    w->after = 1;               /* never reached */
}

static void thread_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = TH.kr;
    TH.self = __mach_task_self();
    kr[0] = __thread_create(TH.self, &TH.t);
    TH.set = (kern_thread_state){.kind = KERN_STATE_CALL, .pc = (uintptr_t)spin,
                                 .arg = (uintptr_t)&W1};
    kr[1] = __thread_set_state(TH.t, KERN_THREAD_STATE_FLAVOR, (natural_t *)&TH.set,
                               KERN_THREAD_STATE_COUNT);
    kr[2] = __thread_resume(TH.t);
    YIELD_UNTIL(W1.count >= 3);
    TH.got_count = MK_MAX_STATE_WORDS;
    kr[3] = __thread_get_state(TH.t, KERN_THREAD_STATE_FLAVOR, TH.got, &TH.got_count);
    TH.me = __mach_thread_self();
    mach_msg_type_number_t cnt = MK_MAX_STATE_WORDS;
    natural_t buf[MK_MAX_STATE_WORDS];
    kr[4] = thread_get_state(TH.me, KERN_THREAD_STATE_FLAVOR, buf, &cnt);
    TH.small_count = KERN_THREAD_STATE_COUNT - 1;
    kr[5] = __thread_get_state(TH.t, KERN_THREAD_STATE_FLAVOR, buf, &TH.small_count);
    kr[6] = thread_set_state(TH.t, KERN_THREAD_STATE_FLAVOR, (natural_t *)&TH.set,
                             KERN_THREAD_STATE_COUNT - 1);
    TH.bad_count = MK_MAX_STATE_WORDS;
    kr[7] = __thread_get_state(TH.t, 999, buf, &TH.bad_count);
    kr[8] = __thread_terminate(TH.t);
    TH.c1 = W1.count;
    yield_n(10);
    TH.c2 = W1.count;
    kr[9] = __mach_port_type(TH.self, TH.t, &TH.type_t);
    kr[10] = __thread_terminate(TH.t);          /* a dead name: the send fails */
    /* A thread that terminates itself. */
    TH.t2 = start_thread(TH.self, terminates_thread, &W2, &kr[11]);
    YIELD_UNTIL(W2.before);
    yield_n(10);
    kr[14] = __mach_port_type(TH.self, TH.t2, &TH.type_t2);
}

static void test_H7_H8_thread_state_and_terminate(void **state)
{
    (void)state;
    memset(&TH, 0, sizeof TH);
    memset(&W1, 0, sizeof W1);
    memset(&W2, 0, sizeof W2);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_open(&cfg);
    kern_boot_task(thread_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1);
    check_kr(TH.kr[0], KERN_SUCCESS);                      /* rule K3 */
    assert_int_equal(TH.t, 3);                             /* rules K3 M10 (reply port 2 first) */
    check_kr(TH.kr[1], KERN_SUCCESS);                      /* rule H7 */
    check_kr(TH.kr[2], KERN_SUCCESS);                      /* rule H3 */
    check_kr(TH.kr[3], KERN_SUCCESS);                      /* rule H7 */
    assert_int_equal(TH.got_count, KERN_THREAD_STATE_COUNT); /* rule H7 */
    assert_memory_equal(TH.got, &TH.set, sizeof TH.set);   /* rule H7 (the saved state) */
    assert_int_equal(TH.me, 4);                            /* rule K2 */
    check_kr(TH.kr[4], KERN_INVALID_ARGUMENT);             /* rule H7 (the calling thread) */
    check_kr(TH.kr[5], KERN_INVALID_ARGUMENT);             /* rule H7 (count too small) */
    check_kr(TH.kr[6], KERN_INVALID_ARGUMENT);             /* rule H7 (count too small) */
    check_kr(TH.kr[7], KERN_INVALID_ARGUMENT);             /* rule H7 (bad flavor) */
    check_kr(TH.kr[8], KERN_SUCCESS);                      /* rule H8 */
    assert_int_equal(TH.c2, TH.c1);                        /* rule H8 (it is halted) */
    assert_int_equal(W1.done, 0);                          /* rule H8 */
    check_kr(TH.kr[9], KERN_SUCCESS);                      /* rule R1 */
    assert_int_equal(TH.type_t, MACH_PORT_TYPE_DEAD_NAME); /* rules H8 D3 */
    check_kr(TH.kr[10], MACH_SEND_INVALID_DEST);           /* rules H2 M2 */
    /* The failed send took the reply port (M12 step 1); the next thread_create made one at the
     * freed name 2 (N3) and named the new thread 5. */
    for (int i = 11; i <= 13; i++)
        check_kr(TH.kr[i], KERN_SUCCESS);                  /* rules K3 H7 H3 */
    assert_int_equal(TH.t2, 5);                            /* rule N3 */
    assert_int_equal(W2.before, 1);
    assert_int_equal(W2.after, 0);                         /* rule H8 (dies leaving the kernel) */
    check_kr(TH.kr[14], KERN_SUCCESS);                     /* rule R1 */
    assert_int_equal(TH.type_t2, MACH_PORT_TYPE_DEAD_NAME); /* rules H8 D3 */
    /* mach_thread_self in the dying thread merged into P's name 5 (K2, T3). */
    check_name(P, 5, MACH_PORT_TYPE_DEAD_NAME, 2);         /* rules K2 T3 D3 */
    check_name(P, 3, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules H8 D3 */
    check_name(P, 2, MACH_PORT_TYPE_RECEIVE, 0);           /* rules M12 N3 M10 */
    check_name(P, 6, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M10 (the second thread's own) */

    long s = check_line("t1.1 trap mach_reply_port() = 2");
    s = check_line_after("t1.1 thread_create(1) = KERN_SUCCESS -> 3", s);
    s = check_line_after("t1.1 thread_set_state(3, 32513) = KERN_SUCCESS -> start at a function", s);
    s = check_line_after("t1.1 thread_get_state(3, 32513) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_get_state(4, 32513) = KERN_INVALID_ARGUMENT", s);
    s = check_line_after("t1.1 thread_get_state(3, 32513) = KERN_INVALID_ARGUMENT", s);
    s = check_line_after("t1.1 thread_set_state(3, 32513) = KERN_INVALID_ARGUMENT", s);
    s = check_line_after("t1.1 thread_get_state(3, 999) = KERN_INVALID_ARGUMENT", s);
    s = check_line_after("t1.1 thread_terminate(3) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_terminate(3) = MACH_SEND_INVALID_DEST", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 2", s); /* rules M12 M10 */
    s = check_line_after("t1.1 thread_create(1) = KERN_SUCCESS -> 5", s);
    s = check_line_after("t1.3 trap mach_thread_self() = 5", s);
    s = check_line_after("t1.3 trap mach_reply_port() = 6", s);
    check_line_after("t1.3 thread_terminate(5) = KERN_SUCCESS", s);
    run_close();
    run_free();
}

/* The other start kind: a child task's thread resumes by longjmp into the copied image, as
 * _Fork's child does (K1 image copy, H7). */
SIM_GLOBAL static int G = 1;

static struct {
    kern_return_t kr[8];
    mach_port_t self, child, t, cself;
    int setjmp_value, g_seen, parent_g;
} LJ;

static void longjmp_main(void *arg)
{
    (void)arg;
    jmp_buf env;
    int v = setjmp(env);
    if (v != 0) {
        LJ.setjmp_value = v;
        LJ.g_seen = G;
        G = 3;
        LJ.cself = __mach_task_self();
        W1.done = 1;
        __task_terminate(LJ.cself);
        return;
    }
    LJ.self = __mach_task_self();
    LJ.kr[0] = __task_create(LJ.self, 1, &LJ.child);
    G = 2;
    LJ.kr[1] = __thread_create(LJ.child, &LJ.t);
    kern_thread_state ts = {.kind = KERN_STATE_LONGJMP, .env = (uintptr_t)env, .value = 1};
    LJ.kr[2] = __thread_set_state(LJ.t, KERN_THREAD_STATE_FLAVOR, (natural_t *)&ts,
                                  KERN_THREAD_STATE_COUNT);
    LJ.kr[3] = __thread_resume(LJ.t);
    YIELD_UNTIL(W1.done);
    yield_n(5);
    LJ.parent_g = G;
}

static void test_H7_thread_set_state_longjmp(void **state)
{
    (void)state;
    memset(&LJ, 0, sizeof LJ);
    memset(&W1, 0, sizeof W1);
    kern_config cfg = {.sim = {.policy = SIM_ROUND_ROBIN}};
    run_open(&cfg);
    kern_boot_task(longjmp_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1);
    for (int i = 0; i <= 3; i++)
        check_kr(LJ.kr[i], KERN_SUCCESS);                  /* rules K1 K3 H7 H3 */
    assert_int_equal(LJ.setjmp_value, 1);                  /* rule H7 (resumes where it was set) */
    assert_int_equal(LJ.g_seen, 1);                        /* rule K1 (memory as of task_create) */
    assert_int_equal(LJ.parent_g, 2);                      /* the child's writes stay its own */
    assert_int_equal(LJ.cself, 1);                         /* rule K1 (the child's space is empty) */
    check_name(P, 2, MACH_PORT_TYPE_SEND, 1);              /* rule K1 (not yet accessed: dead port) */
    name_info_t ni;
    assert_true(space_peek(P, 2, &ni));
    assert_true(ni.dead);                                  /* rules K5 D3 (the child ended itself) */
    long s = check_line("t1.1 trap task_create(1, 1) = KERN_SUCCESS -> 2");
    s = check_line_after("t1.1 thread_set_state(4, 32513) = KERN_SUCCESS -> resume by longjmp(env, 1)", s);
    s = check_line_after("t2.2 trap mach_task_self() = 1", s);
    check_line_after("t2.2 trap task_terminate(1) = KERN_SUCCESS", s);
    run_close();
    run_free();
}

/* --- self traps, mach_reply_port, special ports, vm_allocate (K2, A3, K7) ---------------------- */

static struct {
    kern_return_t kr[16];
    mach_port_t self, self2, me, me2, rp, rp2, child, p, b, k, x, t, e, tk;
    vm_address_t addr;
    int zeroed, aligned, in_caller, in_child;
    size_t heap0, heap1, heap2;
} SP;

static void special_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = SP.kr;
    SP.self = __mach_task_self();
    SP.self2 = mach_task_self();
    SP.me = __mach_thread_self();
    SP.me2 = mach_thread_self();
    SP.rp = __mach_reply_port();
    SP.rp2 = mach_reply_port();
    kr[0] = __task_create(SP.self, 0, &SP.child);
    kr[1] = __mach_port_allocate(SP.self, MACH_PORT_RIGHT_RECEIVE, &SP.p);
    kr[2] = mach_port_insert_right(SP.self, SP.p, SP.p, MACH_MSG_TYPE_MAKE_SEND);
    kr[3] = __task_set_special_port(SP.child, TASK_BOOTSTRAP_PORT, SP.p);
    kr[4] = __task_get_special_port(SP.child, TASK_BOOTSTRAP_PORT, &SP.b);
    kr[5] = task_get_special_port(SP.child, TASK_KERNEL_PORT, &SP.k);
    kr[6] = __task_get_special_port(SP.child, 2, &SP.x);
    kr[7] = __thread_create(SP.child, &SP.t);
    kr[8] = __thread_set_special_port(SP.t, THREAD_EXCEPTION_PORT, SP.p);
    kr[9] = thread_get_special_port(SP.t, THREAD_EXCEPTION_PORT, &SP.e);
    kr[10] = __thread_get_special_port(SP.t, THREAD_KERNEL_PORT, &SP.tk);
    SP.heap0 = sim_heap_allocations(NULL);
    kr[11] = __vm_allocate(SP.self, &SP.addr, 8192, 1);
    SP.heap1 = sim_heap_allocations(NULL);
    const unsigned char *a = (const unsigned char *)SP.addr;
    SP.zeroed = 1;
    for (int i = 0; i < 8192; i++)
        if (a[i] != 0)
            SP.zeroed = 0;
    SP.aligned = SP.addr % 4096 == 0;
    memset((void *)SP.addr, 0x5a, 8192);
    SP.in_caller = in_image(sim_task_self(), a, 64);
    SP.in_child = in_image(sim_task_by_id(2), a, 64);
    kr[12] = vm_deallocate(SP.self, SP.addr, 8192);
    SP.heap2 = sim_heap_allocations(NULL);
    kr[13] = thread_terminate(SP.t);
}

static void test_K2_A3_K7_self_traps_special_ports_vm(void **state)
{
    (void)state;
    memset(&SP, 0, sizeof SP);
    kern_config cfg = {0};
    run_open(&cfg);
    kern_boot_task(special_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    assert_int_equal(SP.self, 1);                          /* rule K2 */
    assert_int_equal(SP.self2, 1);                         /* rule K2 (the same name) */
    assert_int_equal(SP.me, 2);                            /* rule K2 */
    assert_int_equal(SP.me2, 2);                           /* rule K2 */
    assert_int_equal(SP.rp, 3);                            /* rule A3 */
    assert_int_equal(SP.rp2, 4);                           /* rule A3 */
    for (int i = 0; i <= 5; i++)
        check_kr(SP.kr[i], KERN_SUCCESS);                  /* rules K1 A1 I3 K7 */
    assert_int_equal(SP.child, 5);                         /* rule K1 */
    assert_int_equal(SP.p, 6);                             /* rule A1 */
    assert_int_equal(SP.b, 6);                             /* rules K7 T3 (merged into p's name) */
    assert_int_equal(SP.k, 5);                             /* rules K7 T3 (the child's task port) */
    check_kr(SP.kr[6], KERN_INVALID_ARGUMENT);             /* rule K7 (slot 2 is not valid) */
    for (int i = 7; i <= 13; i++)
        check_kr(SP.kr[i], KERN_SUCCESS);                  /* rules K3 K7 H8 */
    assert_int_equal(SP.t, 8);                             /* rules K3 M10 (reply port 7 first) */
    assert_int_equal(SP.e, 6);                             /* rule K7 */
    assert_int_equal(SP.tk, 8);                            /* rules K7 T3 */
    assert_true(SP.zeroed);
    assert_true(SP.aligned);
    assert_true(SP.in_caller);                             /* own task only: the caller's image */
    assert_false(SP.in_child);
    assert_int_equal(SP.heap1, SP.heap0 + 1);
    assert_int_equal(SP.heap2, SP.heap0);

    check_name(P, 1, MACH_PORT_TYPE_SEND, 2);              /* rule K2 (a uref per call) */
    check_name(P, 2, MACH_PORT_TYPE_SEND, 2);              /* rule K2 */
    check_name(P, 3, MACH_PORT_TYPE_RECEIVE, 0);           /* rule A3 */
    check_name(P, 4, MACH_PORT_TYPE_RECEIVE, 0);           /* rule A3 */
    check_name(P, 5, MACH_PORT_TYPE_SEND, 2);              /* rules K1 K7 */
    /* p: MAKE_SEND 1, COPY_SEND to the slots keeps it, two gets merge +1 each. */
    check_name(P, 6, MACH_PORT_TYPE_SEND_RECEIVE, 3);      /* rules I3 K7 */
    check_name(P, 7, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M10 */
    assert_int_equal(space_count(C), 0);                   /* rule K7 (slots are kernel-held) */
    /* p's send rights: P's entry and the child's bootstrap slot; the thread's exception slot
     * was released with the thread (H8). */
    assert_int_equal(port_info(kern_world(), port_of(P, 6)).srights, 2); /* rules D6 K7 H8 */

    long s = check_line("t1.1 trap mach_task_self() = 1");
    s = check_line_after("t1.1 trap mach_task_self() = 1", s);
    s = check_line_after("t1.1 trap mach_thread_self() = 2", s);
    s = check_line_after("t1.1 trap mach_thread_self() = 2", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 3", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 4", s);
    s = check_line_after("t1.1 trap task_set_special_port(5, 4, 6) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 7", s);
    s = check_line_after("t1.1 task_get_special_port(5, 4) = KERN_SUCCESS -> 6", s);
    s = check_line_after("t1.1 task_get_special_port(5, 1) = KERN_SUCCESS -> 5", s);
    s = check_line_after("t1.1 task_get_special_port(5, 2) = KERN_INVALID_ARGUMENT", s);
    s = check_line_after("t1.1 thread_set_special_port(8, 3, 6) = KERN_SUCCESS", s);
    s = check_line_after("t1.1 thread_get_special_port(8, 3) = KERN_SUCCESS -> 6", s);
    s = check_line_after("t1.1 thread_get_special_port(8, 1) = KERN_SUCCESS -> 8", s);
    s = check_line_after("t1.1 trap vm_allocate(1, 8192 bytes) = KERN_SUCCESS", s);
    check_line_after("t1.1 trap vm_deallocate(1, 8192 bytes) = KERN_SUCCESS", s);
    run_close();
    run_free();
}

/* --- fault plans on stubs that carry rights ------------------------------------------------------ */

/* KF_SEND_FAILS: the request never arrives; nothing is done, and the stub deallocates the
 * reply port (M12 step 1), so the next RPC makes a new one. */
static struct {
    kern_return_t kr[8];
    mach_port_t self, child, c, p, ps, prev;
    mach_msg_type_number_t n;
    mach_port_t names[8];
    mach_port_type_t types[8];
} FS;

static void send_fails_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = FS.kr;
    FS.self = __mach_task_self();
    kr[0] = __task_create(FS.self, 0, &FS.child);
    kr[1] = __mach_port_allocate(FS.child, MACH_PORT_RIGHT_RECEIVE, &FS.c);
    kr[2] = __mach_port_allocate(FS.self, MACH_PORT_RIGHT_RECEIVE, &FS.p);
    list_names(FS.self, FS.self, &kr[3], &FS.n, FS.names, FS.types); /* reply port 4 */
    kr[4] = __mach_port_request_notification(FS.child, FS.c, MACH_NOTIFY_NO_SENDERS, 0, FS.p,
                                              MACH_MSG_TYPE_MAKE_SEND_ONCE, &FS.prev);
    kr[5] = __mach_port_allocate(FS.self, MACH_PORT_RIGHT_PORT_SET, &FS.ps);
    kr[6] = mach_port_request_notification(FS.child, FS.c, MACH_NOTIFY_NO_SENDERS, 0, FS.p,
                                           MACH_MSG_TYPE_MAKE_SEND_ONCE, &FS.prev);
}

static void test_fault_send_fails(void **state)
{
    (void)state;
    memset(&FS, 0, sizeof FS);
    kern_config cfg = {.nfaults = 1};
    cfg.faults[0] = (kern_fault){.kind = KF_SEND_FAILS,
                                 .routine = "mach_port_request_notification", .nth = 1};
    run_open(&cfg);
    kern_boot_task(send_fails_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    for (int i = 0; i <= 3; i++)
        check_kr(FS.kr[i], KERN_SUCCESS);                  /* rules K1 A1 L1 */
    check_kr(FS.kr[4], MACH_SEND_INVALID_DEST);            /* rule M12 */
    check_kr(FS.kr[5], KERN_SUCCESS);                      /* rule A1 */
    assert_int_equal(FS.ps, 4);                            /* rules M12 N3 (the reply port's name, freed) */
    check_kr(FS.kr[6], KERN_SUCCESS);                      /* rule D5 */
    assert_int_equal(FS.prev, MACH_PORT_NULL);             /* rule D5 (the failed one left nothing) */
    /* The second request fired at once (srights 0, sync 0 <= mscount): one notification only. */
    mach_msg_id_t ids[4];
    assert_int_equal(queued(P, 3, ids, 4), 1);             /* rules D7 M2 */
    assert_int_equal(ids[0], MACH_NOTIFY_NO_SENDERS);      /* rule D7 */
    check_name(P, 3, MACH_PORT_TYPE_RECEIVE, 0);           /* rule I1 */
    check_name(P, 4, MACH_PORT_TYPE_PORT_SET, 0);          /* rule N3 */
    check_name(P, 5, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M10 (the new reply port) */
    check_name(C, 1, MACH_PORT_TYPE_RECEIVE, 0);
    assert_false(port_info(kern_world(), port_of(C, 1)).has_nsrequest); /* rule D7 (consumed) */
    assert_int_equal(space_count(C), 1);
    assert_int_equal(kern_faults_fired(), 1);
    long s = check_line("t1.1 trap mach_reply_port() = 4");
    s = check_line_after("# fault: mach_port_request_notification send fails", s);
    s = check_line_after("t1.1 mach_port_request_notification(2, 1, 70, 0, 3, MAKE_SEND_ONCE) = "
                         "MACH_SEND_INVALID_DEST", s);
    s = check_line_after("t1.1 trap mach_port_allocate(1, PORT_SET) = KERN_SUCCESS -> 4", s);
    s = check_line_after("t1.1 trap mach_reply_port() = 5", s); /* rule M10 */
    check_line_after("t1.1 mach_port_request_notification(2, 1, 70, 0, 3, MAKE_SEND_ONCE) = "
                     "KERN_SUCCESS -> 0", s);
    run_close();
    run_free();
}

/* KF_ROUTINE_FAILS: the routine returns an error and the rights the request carried are
 * destroyed (I4, M11): a moved receive right kills its port; a copied send right is released. */
static struct {
    kern_return_t kr[12];
    mach_port_t self, child, q, r, b;
    mach_port_type_t type_q;
} FR;

static void routine_fails_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = FR.kr;
    FR.self = __mach_task_self();
    kr[0] = __task_create(FR.self, 0, &FR.child);
    kr[1] = __mach_port_allocate(FR.self, MACH_PORT_RIGHT_RECEIVE, &FR.q);
    kr[2] = __mach_port_insert_right(FR.self, FR.q, FR.q, MACH_MSG_TYPE_MAKE_SEND);
    kr[3] = __mach_port_insert_right(FR.child, 40, FR.q, MACH_MSG_TYPE_MOVE_RECEIVE); /* fails */
    kr[4] = __mach_port_allocate(FR.self, MACH_PORT_RIGHT_RECEIVE, &FR.r);
    kr[5] = __mach_port_insert_right(FR.self, FR.r, FR.r, MACH_MSG_TYPE_MAKE_SEND);
    kr[6] = task_set_special_port(FR.child, TASK_BOOTSTRAP_PORT, FR.r);                /* fails */
    kr[7] = __task_get_special_port(FR.child, TASK_BOOTSTRAP_PORT, &FR.b);
    kr[8] = __mach_port_type(FR.self, FR.q, &FR.type_q);
}

static void test_fault_routine_fails(void **state)
{
    (void)state;
    memset(&FR, 0, sizeof FR);
    kern_config cfg = {.nfaults = 2};
    cfg.faults[0] = (kern_fault){.kind = KF_ROUTINE_FAILS, .routine = "mach_port_insert_right",
                                 .nth = 2, .error = KERN_RESOURCE_SHORTAGE};
    cfg.faults[1] = (kern_fault){.kind = KF_ROUTINE_FAILS, .routine = "task_set_special_port",
                                 .nth = 1, .error = KERN_INVALID_ARGUMENT};
    run_open(&cfg);
    kern_boot_task(routine_fails_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    world_t *w = kern_world();
    for (int i = 0; i <= 2; i++)
        check_kr(FR.kr[i], KERN_SUCCESS);                  /* rules K1 A1 I3 */
    check_kr(FR.kr[3], KERN_RESOURCE_SHORTAGE);            /* rule I4 */
    check_kr(FR.kr[4], KERN_SUCCESS);                      /* rule A1 */
    check_kr(FR.kr[5], KERN_SUCCESS);                      /* rule I3 */
    check_kr(FR.kr[6], KERN_INVALID_ARGUMENT);             /* rule M11 */
    check_kr(FR.kr[7], KERN_SUCCESS);                      /* rule K7 */
    assert_int_equal(FR.b, MACH_PORT_NULL);                /* rule K7 (the slot was never set) */
    check_kr(FR.kr[8], KERN_SUCCESS);                      /* rule R1 */
    /* The receive right left the caller (I1) and was destroyed with the request (I4): the send
     * right the caller kept under the same name is now a dead name. */
    assert_int_equal(FR.type_q, MACH_PORT_TYPE_DEAD_NAME); /* rules I1 I4 D3 */
    check_name(P, 3, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules I1 I4 D3 */
    check_no_name(C, 40);                                  /* rule I4 */
    /* The copied send right was released: P's urefs and the port's srights are as before. */
    check_name(P, 4, MACH_PORT_TYPE_SEND_RECEIVE, 1);      /* rules I1 M11 */
    port_info_t r = port_info(w, port_of(P, 4));
    assert_int_equal(r.srights, 1);                        /* rules I4 M11 */
    assert_int_equal(r.mscount, 1);                        /* rule I1 */
    assert_int_equal(space_count(C), 0);
    assert_int_equal(kern_faults_fired(), 2);
    long s = check_line("# fault: mach_port_insert_right routine fails");
    s = check_line_after("t1.1 trap mach_port_insert_right(2, 40, 3, MOVE_RECEIVE) = "
                         "KERN_RESOURCE_SHORTAGE", s);
    s = check_line_after("# fault: task_set_special_port routine fails", s);
    s = check_line_after("t1.1 trap task_set_special_port(2, 4, 4) = KERN_INVALID_ARGUMENT", s);
    s = check_line_after("t1.1 task_get_special_port(2, 4) = KERN_SUCCESS -> 0", s);
    check_line_after("t1.1 mach_port_type(1, 3) = KERN_SUCCESS -> 0x100000", s);
    run_close();
    run_free();
}

/* KF_REPLY_LOST: the routine acts, the reply is destroyed with the rights it carried (M8 step 3),
 * and the caller sees MIG_SERVER_DIED, keeping its reply port (M12 step 2). */
static struct {
    kern_return_t kr[12];
    mach_port_t self, child, c, s, t, got;
    mach_msg_type_name_t gt;
    mach_port_t *threads;
    mach_msg_type_number_t nth;
    mach_port_type_t type_s;
} FL;

static void reply_lost_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = FL.kr;
    FL.self = __mach_task_self();
    kr[0] = __task_create(FL.self, 0, &FL.child);
    kr[1] = __mach_port_allocate(FL.child, MACH_PORT_RIGHT_RECEIVE, &FL.c);
    kr[2] = __mach_port_extract_right(FL.child, FL.c, MACH_MSG_TYPE_MAKE_SEND, &FL.s, &FL.gt);
    kr[3] = __mach_port_extract_right(FL.child, FL.c, MACH_MSG_TYPE_MOVE_RECEIVE, &FL.got,
                                      &FL.gt); /* reply lost */
    kr[4] = __thread_create(FL.child, &FL.t);
    kr[5] = task_threads(FL.child, &FL.threads, &FL.nth); /* reply lost */
    kr[6] = __mach_port_type(FL.self, FL.s, &FL.type_s);
    kr[7] = __thread_terminate(FL.t);
}

static void test_fault_reply_lost(void **state)
{
    (void)state;
    memset(&FL, 0, sizeof FL);
    kern_config cfg = {.nfaults = 2};
    cfg.faults[0] = (kern_fault){.kind = KF_REPLY_LOST, .routine = "mach_port_extract_right",
                                 .nth = 2};
    cfg.faults[1] = (kern_fault){.kind = KF_REPLY_LOST, .routine = "task_threads", .nth = 1};
    run_open(&cfg);
    kern_boot_task(reply_lost_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    for (int i = 0; i <= 2; i++)
        check_kr(FL.kr[i], KERN_SUCCESS);                  /* rules K1 A1 X1 */
    assert_int_equal(FL.s, 4);                             /* rules M10 X2 (reply port 3 first) */
    check_kr(FL.kr[3], MIG_SERVER_DIED);                   /* rule M12 */
    check_kr(FL.kr[4], KERN_SUCCESS);                      /* rule K3 */
    assert_int_equal(FL.t, 5);                             /* rule K3 */
    check_kr(FL.kr[5], MIG_SERVER_DIED);                   /* rule M12 */
    check_kr(FL.kr[6], KERN_SUCCESS);                      /* rule R1 */
    check_kr(FL.kr[7], KERN_SUCCESS);                      /* rule H8 */
    /* The routine acted: the child lost its receive right (X1). The reply carrying it was
     * destroyed, so the port died (M8 step 3, D1) and P's send right is a dead name (D3). */
    check_no_name(C, 1);                                   /* rule X1 */
    assert_int_equal(FL.type_s, MACH_PORT_TYPE_DEAD_NAME); /* rules M8 D1 D3 */
    check_name(P, 4, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules M8 D3 */
    /* task_threads' send right was released with its reply: P's name keeps one uref. */
    name_info_t ni;
    assert_true(space_peek(P, 5, &ni));
    assert_int_equal(ni.urefs, 1);                         /* rules K4 M8 */
    /* The reply port stayed (M12 step 2): one mach_reply_port in the whole run. */
    check_name(P, 3, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M12 */
    assert_int_equal(space_count(P), 5);
    assert_int_equal(space_count(C), 0);
    assert_int_equal(kern_faults_fired(), 2);
    long s = check_line("t1.1 trap mach_reply_port() = 3");
    s = check_line_after("t1.1 mach_port_extract_right(2, 1, MAKE_SEND) = KERN_SUCCESS -> 4 PORT_SEND", s);
    s = check_line_after("# fault: mach_port_extract_right reply lost", s);
    s = check_line_after("t1.1 mach_port_extract_right(2, 1, MOVE_RECEIVE) = MIG_SERVER_DIED", s);
    s = check_line_after("# fault: task_threads reply lost", s);
    s = check_line_after("t1.1 task_threads(2) = MIG_SERVER_DIED", s);
    check_line_after("t1.1 mach_port_type(1, 4) = KERN_SUCCESS -> 0x100000", s);
    assert_int_equal(trace_count("t1.1 trap mach_reply_port() = 3"), 1); /* rule M12 */
    assert_int_equal(trace_count("t1.1 trap mach_reply_port() = 6"), 0); /* rule M12 */
    run_close();
    run_free();
}

/* KF_PORT_DEATH: before the send, the child loses its receive right; the message's destination
 * is dead, so the send fails and consumes nothing (M2 step 5). */
static struct {
    kern_return_t kr[8];
    mach_port_t self, child, c, p, s;
    mach_msg_type_name_t st;
} FD;

static void port_death_main(void *arg)
{
    (void)arg;
    kern_return_t *kr = FD.kr;
    FD.self = __mach_task_self();
    kr[0] = __task_create(FD.self, 0, &FD.child);
    kr[1] = __mach_port_allocate(FD.child, MACH_PORT_RIGHT_RECEIVE, &FD.c);
    kr[2] = __mach_port_allocate(FD.self, MACH_PORT_RIGHT_RECEIVE, &FD.p);
    kr[3] = __mach_port_insert_right(FD.self, FD.p, FD.p, MACH_MSG_TYPE_MAKE_SEND);
    kr[4] = __mach_port_extract_right(FD.child, FD.c, MACH_MSG_TYPE_MAKE_SEND, &FD.s, &FD.st);
    portmsg_t m;
    portmsg_init(&m, FD.s, MACH_MSG_TYPE_COPY_SEND, 77, FD.p, MACH_MSG_TYPE_MOVE_SEND);
    kr[5] = mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static void test_fault_port_death(void **state)
{
    (void)state;
    memset(&FD, 0, sizeof FD);
    kern_config cfg = {.nfaults = 1};
    cfg.faults[0] = (kern_fault){.kind = KF_PORT_DEATH, .routine = "mach_msg", .nth = 1,
                                 .task_id = 2, .name = 1};
    run_open(&cfg);
    kern_boot_task(port_death_main, NULL, NULL);
    run_sim();
    ktask_t *P = ktask_of(1), *C = ktask_of(2);
    for (int i = 0; i <= 4; i++)
        check_kr(FD.kr[i], KERN_SUCCESS);                  /* rules K1 A1 I3 X1 */
    assert_int_equal(FD.s, 5);                             /* rules M10 X2 */
    check_kr(FD.kr[5], MACH_SEND_INVALID_DEST);            /* rule M2 step 5 */
    check_no_name(C, 1);                                   /* rule R5 (the fault's destroy) */
    assert_int_equal(space_count(C), 0);
    /* The dead destination was converted (R0); the body's MOVE_SEND was not consumed. */
    check_name(P, 5, MACH_PORT_TYPE_DEAD_NAME, 1);         /* rules M2 R0 D3 */
    check_name(P, 3, MACH_PORT_TYPE_SEND_RECEIVE, 1);      /* rule M2 (failures consume nothing) */
    assert_int_equal(port_info(kern_world(), port_of(P, 3)).srights, 1); /* rule M2 */
    /* mach_msg is the user's trap, not a MIG stub: the reply port stays. */
    check_name(P, 4, MACH_PORT_TYPE_RECEIVE, 0);           /* rule M10 */
    assert_int_equal(kern_faults_fired(), 1);
    long s = check_line("# fault: task 2's name 1 destroyed before mach_msg = KERN_SUCCESS");
    check_line_after("t1.1 trap mach_msg(SEND, dest 5, id 77, rcv 0) = MACH_SEND_INVALID_DEST", s);
    run_close();
    run_free();
}

/* --- determinism: same seed, same trace; a saved decision list replays it ------------------------ */

/* A multi-task program whose trace shows the schedule: two threads of a child task make RPCs
 * on the child's space while the parent lists it. */
static struct {
    kern_return_t kr[4];
    mach_port_t self, child;
    int failures;
} BZ;

static void busy(void *arg)
{
    worker_t *w = arg;
    mach_port_t self = __mach_task_self();
    for (int i = 0; i < 4; i++) {
        mach_port_t n;
        mach_port_type_t type;
        if (__mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &n) != KERN_SUCCESS ||
            __mach_port_type(self, n, &type) != KERN_SUCCESS || type != MACH_PORT_TYPE_RECEIVE ||
            __mach_port_mod_refs(self, n, MACH_PORT_RIGHT_RECEIVE, -1) != KERN_SUCCESS)
            BZ.failures++;
        w->count++;
    }
    w->done = 1;
}

static void busy_main(void *arg)
{
    (void)arg;
    BZ.self = __mach_task_self();
    BZ.kr[0] = __task_create(BZ.self, 0, &BZ.child);
    kern_return_t k3[3];
    start_thread(BZ.child, busy, &W1, k3);
    start_thread(BZ.child, busy, &W2, k3);
    for (int i = 0; i < 4; i++) {
        mach_port_t names[8];
        mach_port_type_t types[8];
        mach_msg_type_number_t n;
        kern_return_t kr;
        list_names(BZ.self, BZ.child, &kr, &n, names, types);
        if (kr != KERN_SUCCESS)
            BZ.failures++;
    }
    YIELD_UNTIL(W1.done && W2.done);
    BZ.kr[1] = __task_terminate(BZ.child);
}

/* Runs the busy program under SIM_RANDOM; returns the trace (caller frees). When save is set,
 * writes the decisions to it before closing. */
static char *random_run(uint64_t seed, const sim_decisions *replay, const char *save, size_t *len)
{
    memset(&BZ, 0, sizeof BZ);
    memset(&W1, 0, sizeof W1);
    memset(&W2, 0, sizeof W2);
    kern_config cfg = {.sim = {.policy = SIM_RANDOM, .seed = seed, .replay = replay}};
    run_open(&cfg);
    kern_boot_task(busy_main, NULL, NULL);
    run_sim();
    /* Whatever the schedule, every call did what its rule says (A1, R1, R3, L1, K5). */
    assert_int_equal(BZ.failures, 0);                      /* rules A1 R1 R3 L1 */
    check_kr(BZ.kr[0], KERN_SUCCESS);                      /* rule K1 */
    check_kr(BZ.kr[1], KERN_SUCCESS);                      /* rule K5 */
    assert_int_equal(W1.count + W2.count, 8);
    if (save != NULL)
        assert_int_equal(sim_decisions_write(sim_decisions_made(), save), 0);
    run_close();
    char *buf = T.buf;
    *len = T.len;
    T.buf = NULL;
    return buf;
}

static void test_same_seed_same_trace(void **state)
{
    (void)state;
    size_t l1, l2, l3;
    char *a = random_run(1234, NULL, NULL, &l1);
    char *b = random_run(1234, NULL, NULL, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    /* and the trace shows the schedule: another seed interleaves the tasks' calls otherwise */
    char *c = random_run(99, NULL, NULL, &l3);
    assert_true(l3 != l1 || memcmp(a, c, l1) != 0);
    free(a);
    free(b);
    free(c);
}

static void test_replay_decisions_same_trace(void **state)
{
    (void)state;
    char path[] = "/tmp/forksim-decisions-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    size_t l1, l2;
    char *a = random_run(77, NULL, path, &l1);
    char err[256] = "";
    sim_decisions *d = sim_decisions_read(path, err, sizeof err);
    if (d == NULL)
        print_error("sim_decisions_read: %s\n", err);
    assert_non_null(d);
    assert_int_equal(d->seed, 77);
    /* A different seed in the config: the replay must not consult it. */
    char *b = random_run(1, d, NULL, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    sim_decisions_free(d);
    unlink(path);
    free(a);
    free(b);
}

/* --- a host task's out-of-line memory --------------------------------------------------------- */

static struct {
    kern_return_t kr[4];
    mach_port_t *threads;
    mach_msg_type_number_t n;
    mach_port_t first;
    int peek;
    bool dealloc;
} HM;

static void host_ool_main(void *arg)
{
    (void)arg;
    mach_port_t self = __mach_task_self();
    HM.kr[0] = __task_threads(self, &HM.threads, &HM.n);
    HM.first = HM.n > 0 ? HM.threads[0] : MACH_PORT_NULL;
    HM.peek = sim_task_peek(sim_task_self(), HM.threads, &HM.first, sizeof HM.first);
    HM.kr[1] = __mach_port_deallocate(self, HM.first);
    if (HM.dealloc)
        HM.kr[2] = __vm_deallocate(self, (vm_address_t)HM.threads, HM.n * sizeof *HM.threads);
}

/* A task without an image (kern_boot_host_task, the servers' kind) gets an out-of-line array in
 * host memory, not in any image: task_threads works, the array is its one thread's name (K4),
 * vm_deallocate frees it, and a block never deallocated is counted as left behind at close. */
static void test_host_task_ool_in_host_memory(void **state)
{
    (void)state;
    for (int dealloc = 1; dealloc >= 0; dealloc--) {
        memset(&HM, 0, sizeof HM);
        HM.dealloc = dealloc;
        kern_config cfg = {0};
        run_open(&cfg);
        sim_task *t = kern_boot_host_task(host_ool_main, NULL, NULL);
        assert_true(sim_task_is_host(t));
        run_sim();
        check_kr(HM.kr[0], KERN_SUCCESS);                  /* rule K4 */
        assert_int_equal(HM.n, 1);                         /* rule K4 */
        assert_true(MACH_PORT_VALID(HM.first));
        assert_int_equal(HM.peek, -1);                     /* in no image */
        check_kr(HM.kr[1], KERN_SUCCESS);
        if (dealloc) {
            check_kr(HM.kr[2], KERN_SUCCESS);
            run_close();
        } else {
            check_model_clean(kern_world());
            assert_int_equal(kern_close(), 1);             /* the array, left behind */
            fclose(T.f);
            T.f = NULL;
        }
        run_free();
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mach_port_calls_on_child),
        cmocka_unit_test(test_K8_shortcut_bad_task_and_M12_reply_port),
        cmocka_unit_test(test_ool_task_threads_ports_lookup),
        cmocka_unit_test(test_host_task_ool_in_host_memory),
        cmocka_unit_test(test_H1_H3_thread_suspend_resume),
        cmocka_unit_test(test_H4_task_suspend_resume),
        cmocka_unit_test(test_H6_H10_thread_abort_and_mach_msg_between_tasks),
        cmocka_unit_test(test_K5_task_terminate_other),
        cmocka_unit_test(test_K5_task_terminate_self),
        cmocka_unit_test(test_H7_H8_thread_state_and_terminate),
        cmocka_unit_test(test_H7_thread_set_state_longjmp),
        cmocka_unit_test(test_K2_A3_K7_self_traps_special_ports_vm),
        cmocka_unit_test(test_fault_send_fails),
        cmocka_unit_test(test_fault_routine_fails),
        cmocka_unit_test(test_fault_reply_lost),
        cmocka_unit_test(test_fault_port_death),
        cmocka_unit_test(test_same_seed_same_trace),
        cmocka_unit_test(test_replay_decisions_same_trace),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
