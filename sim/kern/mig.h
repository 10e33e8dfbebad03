/*
 * mig.h: MIG over real messages, client and server side, for the simulated Hurd servers.
 *
 * Unlike the Mach stubs (sim/kern/mig_mach.c), which call the model's kernel routines directly,
 * a Hurd RPC is a message: the client stub builds a typed request, sends it with
 * mach_msg(SEND|RCV) on its thread's reply port and waits; a server thread receives it,
 * demultiplexes by id, and replies to the send-once right the request carried. Both halves go
 * through the model (mk_mach_msg), so rights move exactly as the kernel moves them, and events
 * can interleave between a request and its reply. Stands in for MIG's generated user.c and
 * server.c, glibc's mach/msgserver.c (M11) and mach/mig-reply.c (M10).
 *
 * Message layout (spec M10, glibc-fork-build.md; docs/mach-rules.md W1, W2): the header (32
 * bytes on this build), then per item a type descriptor and its data, as the world's layout
 * says: with Debian's headers a 4-byte mach_msg_type_t and data padded to 4, so that the
 * "32-byte error reply" of M11/M12 is header, INTEGER_32 type, RetCode (40 bytes); with current
 * GNU Mach on x86_64, 8-byte descriptors and 8-byte alignment (48 bytes).
 */
#ifndef FORKSIM_MIG_H
#define FORKSIM_MIG_H

#include <stdbool.h>
#include <stdint.h>

#include "kern.h"

/* A message's largest size, out-of-line data not counted. An array that does not fit goes out
 * of line (EX20, below); any other item that does not fit ends the run as unmodelled. Kept
 * small: simulated threads hold messages on their stacks, which are part of the images that
 * every switch and fork copies. */
#define MIG_MSG_MAX 512

/* A message being built or read. len: bytes used so far (building) or received (reading);
 * pos: the next item to read; bad: an item did not have the type or size asked for. */
typedef struct mig_msg {
    union {
        mach_msg_header_t head;
        uint8_t bytes[MIG_MSG_MAX];
        uint64_t align_;
    };
    mach_msg_size_t len;
    mach_msg_size_t pos;
    bool bad;
} mig_msg_t;

/* The error reply's size (header, RetCode), and the size of one inline item of number
 * elements of size bits, in the world's layout; a port item's. */
mach_msg_size_t mig_reply_size(void);
mach_msg_size_t mig_item_size(unsigned size, uint32_t number);
mach_msg_size_t mig_port_item_size(void);
#define MIG_REPLY_SIZE (mig_reply_size())

/* --- Building and reading items ------------------------------------------------------------ */

/* A request of a routine (M10): bits MACH_MSGH_BITS(COPY_SEND, MAKE_SEND_ONCE), local = the
 * running thread's reply port (call after kern_rpc_begin). */
void mig_request_init(mig_msg_t *m, mach_port_t dest, mach_msg_id_t id);
/* A one-way message (a simpleroutine, a hand-built notice): no reply port. */
void mig_oneway_init(mig_msg_t *m, mach_port_t dest, mach_msg_type_name_t dest_type,
                     mach_msg_id_t id);

void mig_put_int32(mig_msg_t *m, int32_t v);
void mig_put_int64(mig_msg_t *m, int64_t v);
void mig_put_bytes(mig_msg_t *m, const void *p, uint32_t n);   /* n BYTE elements */
/* A port item with its disposition; the message becomes COMPLEX. */
void mig_put_port(mig_msg_t *m, mach_port_t name, mach_msg_type_name_t disposition);
/* Variable-length arrays: n port names with one disposition (COMPLEX), n 32-bit elements of a
 * type (INTEGER_32, or PORT_NAME for a mach_port_name_array_t); inline within MIG's bound and
 * the message's room, else out of line (below, EX20). mig_put_bytes is always inline (strings,
 * a reply's small data). */
void mig_put_ports(mig_msg_t *m, const mach_port_t *names, uint32_t n,
                   mach_msg_type_name_t disposition);
void mig_put_words(mig_msg_t *m, unsigned type, const uint32_t *v, uint32_t n);

/* --- Variable-length arrays past the inline bound (docs/exec-rules.md EX20) -----------------
 *
 * MIG sends an indefinite array (`array[] of T`, no bound: the Hurd's data_t, portarray_t,
 * intarray_t, mach_port_name_array_t) inline when it holds at most MIG_INLINE_BYTES of elements
 * (GNU MIG type.c, itVarArrayDecl: "Send at most 2048 bytes inline"), otherwise out of line: a
 * descriptor with msgt_inline clear and the data's address, which the kernel copies into the
 * receiver (vm_map_copyin at the send, vm_map_copyout at the receive; rules O1-O6). Added rule:
 * forksim's messages hold at most MIG_MSG_MAX bytes, so an array within MIG's bound that does not
 * fit in what is left of the message goes out of line too (MIG's stub would send it inline in
 * a larger message): the same one message, the receiver sees the same elements. */
#define MIG_INLINE_BYTES 2048u
/* MIG's inline bound of an indefinite array of elements of elem_bits (an inline port element is
 * the layout's slot: 512 names in Debian's layout, 256 on x86_64). */
uint32_t mig_inline_max(unsigned elem_bits);
/* n bytes of a data_t (bytes[] of hurd.stubs), inline or out of line as above (the sender keeps
 * its memory: MIG's user stubs send an indefinite array with deallocate clear). */
void mig_put_byte_array(mig_msg_t *m, const void *p, uint32_t n);
/* A reply's out array the routine hands back in memory of its own (exec_startup.defs' `out ...:
 * T, dealloc`): MIG's server stub sends it out of line whatever its size (server.c,
 * WritePackArgValue: `if (argP != arg)`, the routine's pointer is not the stub's inline buffer:
 * msgt_inline clear, msgt_deallocate set), so the memory leaves the sender with the message
 * (vm_map_copyin with src_destroy). type: MACH_MSG_TYPE_BYTE (n bytes), INTEGER_32 (n ints) or
 * a port disposition (n 32-bit names, W2). p: a block of kern_mem_alloc or a region the task
 * was given, NULL when n is 0 (address 0: the kernel copies nothing, the receiver reads 0). */
void mig_put_given(mig_msg_t *m, unsigned type, const void *p, uint32_t n);

/* An array item as received, inline or out of line. Out of line, `ool` is the region the
 * kernel placed in the receiver's space (the receiver's: mig_array_free gives it back, as
 * MIG's server stubs do after a successful routine, or the routine keeps it: `servercopy`). */
typedef struct mig_array {
    unsigned type;              /* the carried type (msgt_name) */
    uint32_t n;                 /* elements */
    unsigned elem;              /* bytes per element where they are (an inline port: its slot) */
    const uint8_t *at;          /* the first element: in the message, or the region */
    bool out_of_line;           /* msgt_inline clear (at is then the address, 0 when n is 0) */
    void *ool;                  /* out of line: the region (NULL inline, or when n is 0) */
    size_t ool_len;             /* its bytes */
} mig_array_t;
/* Reads the next item as an array of elements of elem_bits (ports: pass 0, any port type):
 * false (and m->bad) on a mismatch. */
bool mig_get_array(mig_msg_t *m, unsigned elem_bits, mig_array_t *a);
/* Element i as 32 bits (a name, an int); bytes: element i. */
uint32_t mig_array_word(const mig_array_t *a, uint32_t i);
/* Copies the n elements to dst as 32-bit words (names, ints) or bytes. */
void mig_array_copy(const mig_array_t *a, void *dst);
/* Gives an out-of-line region back (vm_deallocate in task, the running server's own name);
 * nothing for an inline array. */
void mig_array_free(mach_port_t task, mig_array_t *a);

/* Reading: each returns false (and sets m->bad) on a type, size or length mismatch. */
bool mig_get_int32(mig_msg_t *m, int32_t *v);
/* A 32-bit item of the given type (a notification's MACH_MSG_TYPE_PORT_NAME, M9). */
bool mig_get_int32_of(mig_msg_t *m, unsigned type, int32_t *v);
bool mig_get_int64(mig_msg_t *m, int64_t *v);
bool mig_get_bytes(mig_msg_t *m, void *p, uint32_t n);
/* A port item as received: *name in the receiver's space, *type its carried type (16-18). */
bool mig_get_port(mig_msg_t *m, mach_port_t *name, mach_msg_type_name_t *type);
/* Variable-length arrays of at most max elements: *n gets the count. Ports as received (any
 * port type); words of the type given; bytes. */
bool mig_get_ports(mig_msg_t *m, mach_port_t *names, uint32_t max, uint32_t *n);
bool mig_get_words(mig_msg_t *m, unsigned type, uint32_t *v, uint32_t max, uint32_t *n);
bool mig_get_byte_array(mig_msg_t *m, void *p, uint32_t max, uint32_t *n);

/* --- Client ---------------------------------------------------------------------------------- */

/*
 * mig_rpc: sends the request m (built with mig_request_init after kern_rpc_begin(r)) with
 * mach_msg(SEND|RCV) on the reply port, waits through the model as __mach_msg does, and checks
 * the reply in M12's order:
 *   1. a mach_msg error is returned as is (kern_rpc_end then deallocates the reply port);
 *   2. reply id 71 (a send-once notification: the request was destroyed) gives MIG_SERVER_DIED
 *      and keeps the reply port; any other id but request + 100 deallocates the reply port and
 *      gives MIG_REPLY_MISMATCH;
 *   3. a size other than reply_size, or COMPLEX other than reply_complex, gives MIG_TYPE_ERROR,
 *      except a simple MIG_REPLY_SIZE reply with a non-zero RetCode;
 *   4. a non-zero RetCode is returned.
 * On KERN_SUCCESS m holds the reply and reading starts after the RetCode.
 * The fault plan of r applies: KF_SEND_FAILS sends nothing (MACH_SEND_INVALID_DEST);
 * KF_ROUTINE_FAILS destroys the rights the request carried and returns r->fault_error;
 * KF_REPLY_LOST lets the server act, destroys the rights of the reply, MIG_SERVER_DIED.
 */
kern_return_t mig_rpc(kern_rpc *r, mig_msg_t *m, mach_msg_size_t reply_size, bool reply_complex);
/* mig_rpc for a reply of variable size (reply_size 0: any size from MIG_REPLY_SIZE up, as MIG
 * checks a reply with variable-length arrays) and for a routine with a waittime (timed: the
 * receive has MACH_RCV_TIMEOUT with timeout ms, MACH_RCV_TIMED_OUT its result, M12 step 1). */
kern_return_t mig_rpc_ex(kern_rpc *r, mig_msg_t *m, mach_msg_size_t reply_size,
                         bool reply_complex, bool timed, mach_msg_timeout_t timeout);

/* One-way send from a simulated thread through the model (no reply, no trace line of its own:
 * the caller's kern_rpc covers it). timeout_zero: MACH_SEND_TIMEOUT with 0 (never wait). */
mach_msg_return_t mig_send_oneway(kthread_t *self, mig_msg_t *m, bool timeout_zero);

/* --- Server ---------------------------------------------------------------------------------- */

/* A server's routine table: returns the RetCode for the request `in` after writing the reply's
 * out-items into `out` (already initialised as the default reply). MIG_BAD_ID for an unknown
 * id; MIG_NO_REPLY to reply later (the routine keeps in->head.msgh_remote_port). */
typedef kern_return_t (*mig_demux_fn)(void *ctx, mig_msg_t *in, mig_msg_t *out);

/* The default reply to a request (M11): bits MACH_MSGH_BITS(reply type, 0), remote = the
 * request's reply right, local NULL, id + 100, RetCode MIG_BAD_ID. */
void mig_reply_init(mig_msg_t *out, const mig_msg_t *in);
/* A reply built later, for a request answered with MIG_NO_REPLY: reply right and its type. */
void mig_reply_init_to(mig_msg_t *out, mach_port_t reply, mach_msg_type_name_t reply_type,
                       mach_msg_id_t request_id);
void mig_set_retcode(mig_msg_t *out, kern_return_t code);

/* Sends a reply (never blocks: a send-once destination). If the reply port is dead
 * (MACH_SEND_INVALID_DEST) the reply is destroyed, its rights released, and the code returned.
 * With no reply port (MACH_PORT_NULL) nothing is sent. */
mach_msg_return_t mig_send_reply(mig_msg_t *out);

/* Destroys every right the body of a received message carries and gives back its out-of-line
 * regions (mach_msg_destroy of the body). */
void mig_destroy_body_rights(mig_msg_t *in);

/* The server side of one request (M11): 0 sends the full reply; MIG_NO_REPLY sends nothing;
 * any other RetCode destroys the request's body rights and sends the error reply. */
void mig_server_finish(mig_msg_t *in, mig_msg_t *out, kern_return_t code);

/* Receives on rcv_name forever, demultiplexing with demux. Returns only if the receive name
 * fails (MACH_RCV_INVALID_NAME, MACH_RCV_PORT_DIED): the server's port is gone. */
void mig_server_loop(mach_port_t rcv_name, mig_demux_fn demux, void *ctx);

#endif
