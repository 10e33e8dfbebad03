/*
 * mig_copy_names.c: the mock MIG stub of task_copy_names, forksim's own kernel call (issue 13,
 * item 5; model/task_copy_names.c, docs/fork-ours-rules.md TC1-TC8).
 *
 * Written by hand, as mig_mach.c's stubs of out-of-line arrays are: the request carries two
 * arrays of names (the names and their sources) and the reply an array of codes, which the
 * routine table (mach.stubs) cannot say. Its line in mach.stubs' header list names it. The
 * stub is what the generated ones are: kern_rpc_begin (scheduling point, reply port, fault
 * plan), the model's call, one trace line "task_copy_names(SRC, DST, N names) = CODE", with the
 * count of names the call did not copy after it ("K not copied"), and the alias.
 *
 * Fault plan: a failed send does nothing; a failed routine destroys the right the request
 * carried (dst_task, COPY_SEND: M11) and copies nothing; a lost reply lets the call act and the
 * caller sees MIG_SERVER_DIED (M12; the reply carries no rights).
 */
#include "kern.h"
#include "mach_stubs.h"

#include <stdio.h>

kern_return_t __task_copy_names(mach_port_t src_task, mach_port_t dst_task,
                                mach_port_t *names, mach_port_t *sources,
                                mach_msg_type_number_t count, kern_return_t *results)
{
    kern_rpc r;
    kthread_t *self = kern_rpc_begin(&r, "task_copy_names", false);
    kern_return_t kr;
    if (r.fault == KF_SEND_FAILS) {
        kr = MACH_SEND_INVALID_DEST;
    } else if (r.fault == KF_ROUTINE_FAILS) {
        mk_request_discard(self, dst_task, MACH_MSG_TYPE_COPY_SEND);
        kr = r.fault_error;
    } else {
        kr = mk_task_copy_names(self, src_task, dst_task, names, sources, count, results);
    }
    if (r.fault == KF_REPLY_LOST && kr == KERN_SUCCESS)
        kr = MIG_SERVER_DIED;
    char args[48], outs[32] = "";
    kern_fmt(args, sizeof args, "%u, %u, %u names", src_task, dst_task, count);
    if (kr == KERN_SUCCESS) {
        unsigned failed = 0;
        for (mach_msg_type_number_t i = 0; i < count; i++)
            failed += results[i] != KERN_SUCCESS;
        kern_fmt(outs, sizeof outs, "%u not copied", failed);
    }
    return kern_rpc_end(&r, kr, args, outs);
}
__typeof(__task_copy_names) task_copy_names __attribute__((alias("__task_copy_names")));
