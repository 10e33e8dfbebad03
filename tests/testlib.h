/*
 * testlib.h: what the model's tests share.
 *
 * A fixture is a world with one task and one running thread, and the task's name for its own
 * port (from mach_task_self, as a program would get it). Teardown checks the invariants
 * (model_check must report nothing) and audits leaks: after world_destroy terminates every
 * task, no model object may remain.
 *
 * The check_* macros are assertions (the rule table counts them like assert_*): they say which
 * name, which right, which urefs, expected against got.
 */
#ifndef FORKSIM_TESTLIB_H
#define FORKSIM_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "model.h"

typedef struct fx {
    world_t *w;
    ktask_t *task;
    kthread_t *th;
    mach_port_name_t self; /* the task's name for its own task port */
} fx_t;

int fx_setup(void **state);
int fx_setup_compat(void **state); /* the world with ipc_compat (C2) */
int fx_teardown(void **state);

/* Another task in the same world with a running thread; *self_name is its own task-port name,
 * *name_in_main the fixture task's name for it. */
kthread_t *fx_new_task(fx_t *fx, mach_port_name_t *self_name, mach_port_name_t *name_in_main);

/* Asserts model_check finds nothing, printing every diagnostic. */
void check_model_clean_(world_t *w, const char *file, int line);
#define check_model_clean(w) check_model_clean_((w), __FILE__, __LINE__)

/* Asserts what name holds in task: type (without request flags) and urefs. */
void check_name_(ktask_t *task, mach_port_name_t name, mach_port_type_t type,
                 mach_port_urefs_t urefs, const char *file, int line);
#define check_name(task, name, type, urefs) \
    check_name_((task), (name), (type), (urefs), __FILE__, __LINE__)

/* Asserts name is unused in task. */
void check_no_name_(ktask_t *task, mach_port_name_t name, const char *file, int line);
#define check_no_name(task, name) check_no_name_((task), (name), __FILE__, __LINE__)

/* Asserts a kern_return_t, printing both codes by name. */
void check_kr_(kern_return_t got, kern_return_t want, const char *expr, const char *file, int line);
#define check_kr(expr, want) check_kr_((expr), (want), #expr, __FILE__, __LINE__)

/* The port id under a name (0 if none), and that port's counters. */
uint32_t port_of(ktask_t *task, mach_port_name_t name);
port_info_t port_info(world_t *w, uint32_t port_id);

/* Receives one message on name (non-blocking: MACH_RCV_TIMEOUT 0) into buf; returns the code. */
mach_msg_return_t recv_now(kthread_t *th, mach_port_name_t name, void *buf, size_t size);
/* Count of queued messages and their ids. */
size_t queued(ktask_t *task, mach_port_name_t name, mach_msg_id_t *ids, size_t max);

/* A snapshot of a task's whole space (every name ktask_names lists: types, urefs, ports), for
 * "failure changes nothing" checks. A space larger than SNAPSHOT_MAX fails the check rather
 * than being compared in part. */
#define SNAPSHOT_MAX 1024
typedef struct snapshot {
    size_t n, total;            /* names kept, names the space had */
    mach_port_name_t names[SNAPSHOT_MAX];
    name_info_t info[SNAPSHOT_MAX];
} snapshot_t;
void snapshot_take(ktask_t *task, snapshot_t *s);
/* The differences between two snapshots, one line each ("name 0x10000: SEND urefs 1 port 7,
 * was unused"), into buf; returns how many names differ (0: the same). */
size_t snapshot_diff(const snapshot_t *before, const snapshot_t *after, char *buf, size_t len);
void check_snapshot_same_(ktask_t *task, const snapshot_t *s, const char *file, int line);
#define check_snapshot_same(task, s) check_snapshot_same_((task), (s), __FILE__, __LINE__)

const char *kr_name(kern_return_t kr);

/* Rights in the fixture task, each call checked (KERN_SUCCESS): a new receive right; one with a
 * send uref under the same name (SEND|RECEIVE); a send right made under the receive right r's
 * name (urefs+1); a new send-once right to r under a fresh name; a dead-name request on name in
 * the task named task, notifying r through a send-once right made from it (there must be no
 * earlier request). */
mach_port_name_t alloc_rcv(fx_t *fx);
mach_port_name_t alloc_rcv_send(fx_t *fx);
void make_send(fx_t *fx, mach_port_name_t r);
mach_port_name_t make_send_once(fx_t *fx, mach_port_name_t r);
void dnrequest(fx_t *fx, mach_port_name_t task, mach_port_name_t name, mach_port_name_t r);
/* A port whose receive right the task other holds (*rcv, its name there, when rcv is not
 * NULL), and a send right to it in the fixture task (returned). */
mach_port_name_t remote_send(fx_t *fx, mach_port_name_t other, mach_port_name_t *rcv);

/* main() for a test program: runs the tests, optionally only those matching argv[1]. */
#define TEST_MAIN(tests)                                             \
    int main(int argc, char **argv)                                  \
    {                                                                \
        if (argc > 1)                                                \
            cmocka_set_test_filter(argv[1]);                         \
        return cmocka_run_group_tests(tests, NULL, NULL);            \
    }

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

#endif
