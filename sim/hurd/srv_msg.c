/*
 * srv_msg.c: the message formats of the Hurd's msg.defs (subsystem 23000) as glibc and the
 * proc server send them, and a minimal receiver for tests. The real server side is a process's
 * own signal thread (glibc hurd/msgportdemux.c, hurdsig.c; spec P13), which comes with the fork
 * work; here a test thread serves its message port with hurd_msg_serve_one. msg_sig_post
 * (23000: signal, sigcode, refport COPY_SEND; waits for the reply, 23100) is a line of the
 * routine table sim/hurd/hurd.stubs.
 */
#include "hurd_int.h"
#include "mach_stubs.h"

#include <stdio.h>
#include <string.h>

/* msg_proc_newids (23001) as proc sends it: one-way, no reply port, no timeout. Traced as a
 * trap-like line: a message with no reply has no reply port to create or lose. */
kern_return_t __msg_proc_newids(mach_port_t process, mach_port_t task, pid_t ppid, pid_t pgrp,
                                int orphaned)
{
    kern_rpc r;
    mig_msg_t m;
    kthread_t *self = kern_rpc_begin(&r, "msg_proc_newids", true);
    mig_oneway_init(&m, process, MACH_MSG_TYPE_COPY_SEND, MSG_ID_PROC_NEWIDS);
    mig_put_port(&m, task, MACH_MSG_TYPE_COPY_SEND);
    mig_put_int32(&m, ppid);
    mig_put_int32(&m, pgrp);
    mig_put_int32(&m, orphaned);
    kern_return_t kr = r.fault == KF_SEND_FAILS ? MACH_SEND_INVALID_DEST
                                                : mig_send_oneway(self, &m, false);
    char args[64];
    snprintf(args, sizeof args, "%u, %u, %d, %d, %d", process, task, ppid, pgrp, orphaned);
    return kern_rpc_end(&r, kr, args, "");
}

mach_msg_return_t hurd_msg_serve_one(mach_port_t msgport, hurd_msg_seen *seen)
{
    mig_msg_t in, out;
    memset(seen, 0, sizeof *seen);
    mach_msg_return_t mr = __mach_msg(&in.head, MACH_RCV_MSG, 0, MIG_MSG_MAX, msgport, 0,
                                      MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS)
        return mr;
    in.len = in.head.msgh_size;
    in.pos = sizeof(mach_msg_header_t);
    in.bad = false;
    seen->id = in.head.msgh_id;
    seen->had_reply_port = in.head.msgh_remote_port != MACH_PORT_NULL;
    mig_reply_init(&out, &in);
    kern_return_t code = MIG_BAD_ID;
    if (in.head.msgh_id == MSG_ID_SIG_POST) {
        int32_t signo = 0, sigcode = 0;
        mig_get_int32(&in, &signo);
        mig_get_int32(&in, &sigcode);
        mig_get_port(&in, &seen->port, NULL);
        seen->signo = signo;
        seen->sigcode = sigcode;
        code = in.bad ? MIG_BAD_ARGUMENTS : KERN_SUCCESS;
    } else if (in.head.msgh_id == MSG_ID_PROC_NEWIDS) {
        int32_t ppid = 0, pgrp = 0, orphaned = 0;
        mig_get_port(&in, &seen->port, NULL);
        mig_get_int32(&in, &ppid);
        mig_get_int32(&in, &pgrp);
        mig_get_int32(&in, &orphaned);
        seen->ppid = ppid;
        seen->pgrp = pgrp;
        seen->orphaned = orphaned;
        code = in.bad ? MIG_BAD_ARGUMENTS : KERN_SUCCESS;
    }
    /* The routines keep nothing: the refport or task right is released either way. */
    if (code == KERN_SUCCESS)
        mig_destroy_body_rights(&in);
    mig_server_finish(&in, &out, code);
    return MACH_MSG_SUCCESS;
}

