/*
 * testmsg.h: a message buffer and its readers, for the tests that build and read messages by
 * hand (test_kmsg.c, test_notify.c); implemented in testlib.c.
 */
#ifndef FORKSIM_TESTMSG_H
#define FORKSIM_TESTMSG_H

#include "testlib.h"

typedef struct msgbuf {
    mach_msg_header_t h;
    uint8_t body[512];
    size_t len; /* body bytes used; not part of the message */
} msgbuf_t;

#define MSGBUF_SIZE ((mach_msg_size_t)offsetof(msgbuf_t, len))

/* Receives one message on name without blocking into m (cleared first); returns the code. */
mach_msg_return_t recv_msg(kthread_t *th, mach_port_name_t name, msgbuf_t *m);
/* The type descriptor, or the 32-bit word, at byte off of m's body. */
mach_msg_type_t type_at(const msgbuf_t *m, size_t off);
uint32_t word_at(const msgbuf_t *m, size_t off);
/* How many messages are queued on name; their first 16 ids go into ids. */
size_t ids_of(ktask_t *task, mach_port_name_t name, mach_msg_id_t *ids);

#endif
