/* testlib.c: fixtures and checks shared by the model's tests (see testlib.h). */
#include "testlib.h"
#include "testmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup_with(void **state, bool compat)
{
    fx_t *fx = calloc(1, sizeof *fx);
    world_config_t cfg = {.ipc_compat = compat};
    fx->w = world_create(&cfg);
    fx->task = world_boot_task(fx->w, NULL);
    fx->th = world_boot_thread(fx->task);
    fx->self = mk_mach_task_self(fx->th);
    *state = fx;
    return fx->self == MACH_PORT_NULL ? -1 : 0;
}

int fx_setup(void **state) { return setup_with(state, false); }
int fx_setup_compat(void **state) { return setup_with(state, true); }

int fx_teardown(void **state)
{
    fx_t *fx = *state;
    check_model_clean(fx->w);
    size_t leaked = world_destroy(fx->w);
    free(fx);
    if (leaked != 0) {
        print_error("leak audit: %zu model objects left after every task terminated\n", leaked);
        return -1;
    }
    return 0;
}

kthread_t *fx_new_task(fx_t *fx, mach_port_name_t *self_name, mach_port_name_t *name_in_main)
{
    ktask_t *t = world_boot_task(fx->w, fx->task);
    kthread_t *th = world_boot_thread(t);
    if (self_name != NULL)
        *self_name = mk_mach_task_self(th);
    if (name_in_main != NULL)
        *name_in_main = world_give_task_port(fx->task, t);
    return th;
}

void check_model_clean_(world_t *w, const char *file, int line)
{
    char diags[32][MODEL_DIAG_LEN];
    size_t n = model_check(w, diags, 32);
    for (size_t i = 0; i < n && i < 32; i++)
        print_error("%s:%d: model_check: %s\n", file, line, diags[i]);
    if (n != 0)
        _fail(file, line);
}

static const char *type_name(mach_port_type_t t)
{
    switch (t & ~(MACH_PORT_TYPE_DNREQUEST | MACH_PORT_TYPE_MAREQUEST)) {
    case 0: return "none";
    case MACH_PORT_TYPE_SEND: return "SEND";
    case MACH_PORT_TYPE_RECEIVE: return "RECEIVE";
    case MACH_PORT_TYPE_SEND_RECEIVE: return "SEND|RECEIVE";
    case MACH_PORT_TYPE_SEND_ONCE: return "SEND_ONCE";
    case MACH_PORT_TYPE_PORT_SET: return "PORT_SET";
    case MACH_PORT_TYPE_DEAD_NAME: return "DEAD_NAME";
    }
    return "?";
}

void check_name_(ktask_t *task, mach_port_name_t name, mach_port_type_t type,
                 mach_port_urefs_t urefs, const char *file, int line)
{
    name_info_t info;
    if (!space_peek(task, name, &info)) {
        print_error("%s:%d: task %u name 0x%x: expected %s urefs %u, got no such name\n", file,
                    line, ktask_id(task), name, type_name(type), urefs);
        _fail(file, line);
        return;
    }
    if (info.type != type || info.urefs != urefs) {
        print_error("%s:%d: task %u name 0x%x: expected %s urefs %u, got %s urefs %u\n", file,
                    line, ktask_id(task), name, type_name(type), urefs, type_name(info.type),
                    info.urefs);
        _fail(file, line);
    }
}

void check_no_name_(ktask_t *task, mach_port_name_t name, const char *file, int line)
{
    name_info_t info;
    if (space_peek(task, name, &info)) {
        print_error("%s:%d: task %u name 0x%x: expected unused, got %s urefs %u\n", file, line,
                    ktask_id(task), name, type_name(info.type), info.urefs);
        _fail(file, line);
    }
}

const char *kr_name(kern_return_t kr)
{
    static char buf[32];
    switch (kr) {
#define K(x) case x: return #x;
    K(KERN_SUCCESS) K(KERN_INVALID_ADDRESS) K(KERN_PROTECTION_FAILURE) K(KERN_NO_SPACE)
    K(KERN_INVALID_ARGUMENT) K(KERN_FAILURE) K(KERN_RESOURCE_SHORTAGE) K(KERN_NOT_RECEIVER)
    K(KERN_NO_ACCESS) K(KERN_NOT_IN_SET) K(KERN_NAME_EXISTS) K(KERN_ABORTED)
    K(KERN_INVALID_NAME) K(KERN_INVALID_TASK) K(KERN_INVALID_RIGHT) K(KERN_INVALID_VALUE)
    K(KERN_UREFS_OVERFLOW) K(KERN_INVALID_CAPABILITY) K(KERN_RIGHT_EXISTS)
    K(MACH_SEND_INVALID_DEST) K(MACH_SEND_INVALID_RIGHT) K(MACH_SEND_INTERRUPTED)
    K(MACH_SEND_TIMED_OUT) K(MACH_SEND_INVALID_HEADER) K(MACH_SEND_INVALID_REPLY)
    K(MACH_SEND_MSG_TOO_SMALL) K(MACH_SEND_INVALID_TYPE) K(MACH_RCV_INVALID_NAME)
    K(MACH_RCV_TIMED_OUT) K(MACH_RCV_TOO_LARGE) K(MACH_RCV_INTERRUPTED)
    K(MACH_RCV_PORT_CHANGED) K(MACH_RCV_PORT_DIED) K(MACH_RCV_IN_SET) K(MIG_BAD_ID)
    K(MK_MSG_BLOCKED)
#undef K
    }
    snprintf(buf, sizeof buf, "0x%x", (unsigned)kr);
    return buf;
}

void check_kr_(kern_return_t got, kern_return_t want, const char *expr, const char *file, int line)
{
    if (got != want) {
        print_error("%s:%d: %s: expected %s, got %s\n", file, line, expr, kr_name(want),
                    kr_name(got));
        _fail(file, line);
    }
}

uint32_t port_of(ktask_t *task, mach_port_name_t name)
{
    name_info_t info;
    return space_peek(task, name, &info) ? info.port_id : 0;
}

port_info_t port_info(world_t *w, uint32_t port_id)
{
    port_info_t info;
    memset(&info, 0, sizeof info);
    port_peek(w, port_id, &info);
    return info;
}

mach_msg_return_t recv_now(kthread_t *th, mach_port_name_t name, void *buf, size_t size)
{
    return mk_mach_msg(th, buf, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, (mach_msg_size_t)size, name, 0);
}

size_t queued(ktask_t *task, mach_port_name_t name, mach_msg_id_t *ids, size_t max)
{
    return mk_queue_ids(task, name, ids, max);
}

/* The whole space, as mach_port_names would list it (without its side effects). */
void snapshot_take(ktask_t *task, snapshot_t *s)
{
    s->total = ktask_names(task, s->names, SNAPSHOT_MAX);
    s->n = s->total < SNAPSHOT_MAX ? s->total : SNAPSHOT_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (!space_peek(task, s->names[i], &s->info[i]))
            memset(&s->info[i], 0, sizeof s->info[i]);
}

static bool info_same(const name_info_t *a, const name_info_t *b)
{
    return a->type == b->type && a->urefs == b->urefs && a->port_id == b->port_id &&
           a->dead == b->dead && a->dnrequest == b->dnrequest;
}

static void info_print(char *buf, size_t len, const name_info_t *i)
{
    snprintf(buf, len, "%s urefs %u port %u%s%s", type_name(i->type), i->urefs, i->port_id,
             i->dead ? " (dead)" : "", i->dnrequest ? " (dead-name request)" : "");
}

size_t snapshot_diff(const snapshot_t *before, const snapshot_t *after, char *buf, size_t len)
{
    size_t ndiff = 0, used = 0, i = 0, j = 0;
    if (len > 0)
        buf[0] = '\0';
    /* Both lists are ascending by name: one merge walk. */
    while (i < before->n || j < after->n) {
        char a[96] = "unused", b[96] = "unused";
        mach_port_name_t name;
        if (j >= after->n || (i < before->n && before->names[i] < after->names[j])) {
            name = before->names[i];
            info_print(a, sizeof a, &before->info[i++]);
        } else if (i >= before->n || after->names[j] < before->names[i]) {
            name = after->names[j];
            info_print(b, sizeof b, &after->info[j++]);
        } else {
            name = before->names[i];
            bool same = info_same(&before->info[i], &after->info[j]);
            info_print(a, sizeof a, &before->info[i++]);
            info_print(b, sizeof b, &after->info[j++]);
            if (same)
                continue;
        }
        ndiff++;
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "  name 0x%x: %s, was %s\n", name, b, a);
    }
    if (before->total != before->n || after->total != after->n) {
        ndiff++;
        if (used < len)
            snprintf(buf + used, len - used, "  a space of %zu names, then %zu: more than a "
                     "snapshot holds (%d)\n", before->total, after->total, SNAPSHOT_MAX);
    }
    return ndiff;
}

void check_snapshot_same_(ktask_t *task, const snapshot_t *s, const char *file, int line)
{
    snapshot_t *now = malloc(sizeof *now);
    char *why = malloc(8192);
    if (now == NULL || why == NULL)
        abort();
    snapshot_take(task, now);
    size_t n = snapshot_diff(s, now, why, 8192);
    free(now);
    if (n != 0) {
        print_error("%s:%d: task %u space changed (%zu names):\n%s", file, line, ktask_id(task), n,
                    why);
        free(why);
        _fail(file, line);
        return;
    }
    free(why);
}

/* --- helpers the test programs shared as copies (issue 14, item 7) --------------------------- */

mach_port_name_t alloc_rcv(fx_t *fx)
{
    mach_port_name_t n = MACH_PORT_NULL;
    check_kr(mk_mach_port_allocate(fx->th, fx->self, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
    return n;
}

mach_port_name_t alloc_rcv_send(fx_t *fx)
{
    mach_port_name_t n = alloc_rcv(fx);
    make_send(fx, n);
    return n;
}

void make_send(fx_t *fx, mach_port_name_t r)
{
    check_kr(mk_mach_port_insert_right(fx->th, fx->self, r, r, MACH_MSG_TYPE_MAKE_SEND),
             KERN_SUCCESS);
}

mach_port_name_t make_send_once(fx_t *fx, mach_port_name_t r)
{
    mach_port_name_t so = MACH_PORT_NULL;
    mach_msg_type_name_t type = 0;
    check_kr(mk_mach_port_extract_right(fx->th, fx->self, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so,
                                        &type),
             KERN_SUCCESS);
    assert_int_equal(type, MACH_MSG_TYPE_PORT_SEND_ONCE);
    return so;
}

void dnrequest(fx_t *fx, mach_port_name_t task, mach_port_name_t name, mach_port_name_t r)
{
    mach_port_name_t prev = 1234;
    check_kr(mk_mach_port_request_notification(fx->th, task, name, MACH_NOTIFY_DEAD_NAME, 0, r,
                                               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
             KERN_SUCCESS);
    assert_int_equal(prev, MACH_PORT_NULL);
}

mach_port_name_t remote_send(fx_t *fx, mach_port_name_t other, mach_port_name_t *rcv)
{
    mach_port_name_t r, s;
    mach_msg_type_name_t t;
    check_kr(mk_mach_port_allocate(fx->th, other, MACH_PORT_RIGHT_RECEIVE, &r), KERN_SUCCESS);
    check_kr(mk_mach_port_extract_right(fx->th, other, r, MACH_MSG_TYPE_MAKE_SEND, &s, &t),
             KERN_SUCCESS);
    if (rcv != NULL)
        *rcv = r;
    return s;
}

mach_msg_return_t recv_msg(kthread_t *th, mach_port_name_t name, msgbuf_t *m)
{
    memset(m, 0, sizeof *m);
    return recv_now(th, name, m, MSGBUF_SIZE);
}

mach_msg_type_t type_at(const msgbuf_t *m, size_t off)
{
    mach_msg_type_t t;
    memcpy(&t, m->body + off, sizeof t);
    return t;
}

uint32_t word_at(const msgbuf_t *m, size_t off)
{
    uint32_t v;
    memcpy(&v, m->body + off, sizeof v);
    return v;
}

size_t ids_of(ktask_t *task, mach_port_name_t name, mach_msg_id_t *ids)
{
    return queued(task, name, ids, 16);
}
