/*
 * mach_stubs.h: the mock MIG stubs of the GNU Mach interfaces, with the prototypes glibc's
 * Hurd code calls (the __ names; the plain names are aliases). Each is one RPC or trap of the
 * calling simulated thread: a scheduling point, a call into the model, a trace line.
 * Out-of-line arrays (mach_port_names, task_threads) are allocated in the caller's image and
 * freed there with vm_deallocate.
 */
#ifndef FORKSIM_MACH_STUBS_H
#define FORKSIM_MACH_STUBS_H

#include <mach/mach_types.h>

#include "model.h"

#define FORKSIM_STUB_LIST(X)                                                                     \
    X(kern_return_t, mach_port_allocate, (mach_port_t task, mach_port_right_t right,              \
                                          mach_port_t *name))                                     \
    X(kern_return_t, mach_port_allocate_name, (mach_port_t task, mach_port_right_t right,         \
                                               mach_port_t name))                                 \
    X(kern_return_t, mach_port_deallocate, (mach_port_t task, mach_port_t name))                  \
    X(kern_return_t, mach_port_destroy, (mach_port_t task, mach_port_t name))                     \
    X(kern_return_t, mach_port_insert_right, (mach_port_t task, mach_port_t name,                 \
                                              mach_port_t poly, mach_msg_type_name_t polyPoly))   \
    X(kern_return_t, mach_port_extract_right, (mach_port_t task, mach_port_t name,                \
                                               mach_msg_type_name_t msgt_name, mach_port_t *poly, \
                                               mach_msg_type_name_t *polyPoly))                   \
    X(kern_return_t, mach_port_get_refs, (mach_port_t task, mach_port_t name,                     \
                                          mach_port_right_t right, mach_port_urefs_t *refs))      \
    X(kern_return_t, mach_port_mod_refs, (mach_port_t task, mach_port_t name,                     \
                                          mach_port_right_t right, mach_port_delta_t delta))      \
    X(kern_return_t, mach_port_names, (mach_port_t task, mach_port_t **names,                     \
                                       mach_msg_type_number_t *namesCnt,                          \
                                       mach_port_type_t **types,                                  \
                                       mach_msg_type_number_t *typesCnt))                         \
    X(kern_return_t, mach_port_type, (mach_port_t task, mach_port_t name,                         \
                                      mach_port_type_t *ptype))                                   \
    X(kern_return_t, mach_port_rename, (mach_port_t task, mach_port_t old_name,                   \
                                        mach_port_t new_name))                                    \
    X(kern_return_t, mach_port_move_member, (mach_port_t task, mach_port_t member,                \
                                             mach_port_t after))                                  \
    X(kern_return_t, mach_port_request_notification,                                              \
      (mach_port_t task, mach_port_t name, mach_msg_id_t id, mach_port_mscount_t sync,            \
       mach_port_t notify, mach_msg_type_name_t notifyPoly, mach_port_t *previous))               \
    X(kern_return_t, mach_port_set_qlimit, (mach_port_t task, mach_port_t name,                   \
                                            mach_port_msgcount_t qlimit))                         \
    X(kern_return_t, mach_port_set_mscount, (mach_port_t task, mach_port_t name,                  \
                                             mach_port_mscount_t mscount))                        \
    X(kern_return_t, task_create, (mach_port_t parent, boolean_t inherit_memory,                  \
                                   mach_port_t *child))                                           \
    X(kern_return_t, task_terminate, (mach_port_t task))                                          \
    X(kern_return_t, task_suspend, (mach_port_t task))                                            \
    X(kern_return_t, task_resume, (mach_port_t task))                                             \
    X(kern_return_t, task_threads, (mach_port_t task, mach_port_t **threads,                      \
                                    mach_msg_type_number_t *count))                               \
    X(kern_return_t, task_get_special_port, (mach_port_t task, int which, mach_port_t *port))     \
    X(kern_return_t, task_set_special_port, (mach_port_t task, int which, mach_port_t port))      \
    X(kern_return_t, mach_ports_register, (mach_port_t task, mach_port_t *ports,                  \
                                           mach_msg_type_number_t count))                         \
    X(kern_return_t, mach_ports_lookup, (mach_port_t task, mach_port_t **ports,                   \
                                         mach_msg_type_number_t *count))                          \
    X(kern_return_t, thread_create, (mach_port_t task, mach_port_t *thread))                      \
    X(kern_return_t, thread_suspend, (mach_port_t thread))                                        \
    X(kern_return_t, thread_resume, (mach_port_t thread))                                         \
    X(kern_return_t, thread_abort, (mach_port_t thread))                                          \
    X(kern_return_t, thread_terminate, (mach_port_t thread))                                      \
    X(kern_return_t, thread_get_state, (mach_port_t thread, int flavor, natural_t *state,         \
                                        mach_msg_type_number_t *count))                           \
    X(kern_return_t, thread_set_state, (mach_port_t thread, int flavor, natural_t *state,         \
                                        mach_msg_type_number_t count))                            \
    X(kern_return_t, thread_get_special_port, (mach_port_t thread, int which,                     \
                                               mach_port_t *port))                                \
    X(kern_return_t, thread_set_special_port, (mach_port_t thread, int which, mach_port_t port))  \
    X(kern_return_t, register_new_task_notification,                                              \
      (mach_port_t host_priv, mach_port_t notification, mach_msg_type_name_t notificationPoly))   \
    X(kern_return_t, vm_allocate, (mach_port_t task, vm_address_t *address, vm_size_t size,       \
                                   boolean_t anywhere))                                           \
    X(kern_return_t, vm_deallocate, (mach_port_t task, vm_address_t address, vm_size_t size))     \
    X(mach_port_t, mach_reply_port, (void))                                                       \
    X(mach_port_t, mach_thread_self, (void))                                                      \
    X(mach_port_t, mach_task_self, (void))                                                        \
    X(mach_msg_return_t, mach_msg, (mach_msg_header_t *msg, mach_msg_option_t option,             \
                                    mach_msg_size_t send_size, mach_msg_size_t rcv_size,          \
                                    mach_port_t rcv_name, mach_msg_timeout_t timeout,             \
                                    mach_port_t notify))

#define FORKSIM_DECLARE_STUB(ret, name, args) ret __##name args; ret name args;
FORKSIM_STUB_LIST(FORKSIM_DECLARE_STUB)
#undef FORKSIM_DECLARE_STUB

/* forksim's own task_copy_names (issue 13 item 5; sim/kern/mig_copy_names.c): names[i] of
 * src_task copied into dst_task under the same name (sources[i]: another right's port, or
 * MACH_PORT_NULL), results[i] each name's code; only in a world with copy_names, MIG_BAD_ID
 * otherwise (docs/fork-ours-rules.md). */
kern_return_t __task_copy_names(mach_port_t src_task, mach_port_t dst_task, mach_port_t *names,
                                mach_port_t *sources, mach_msg_type_number_t count,
                                kern_return_t *results);
kern_return_t task_copy_names(mach_port_t src_task, mach_port_t dst_task, mach_port_t *names,
                              mach_port_t *sources, mach_msg_type_number_t count,
                              kern_return_t *results);

#endif
