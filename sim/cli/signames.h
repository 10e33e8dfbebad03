/*
 * signames.h: the Hurd's signal names and numbers, in one table for the command line, the
 * scenario language (`parent kill SIGNAL`) and the trace's notes.
 *
 * The numbers are the Hurd's, not Linux's: glibc's sysdeps/mach/hurd/bits/signum-arch.h
 * (SIGCHLD 20, SIGUSR1 30, SIGUSR2 31, SIGEMT 7, SIGINFO 29, SIGLOST 32, ...) with
 * bits/signum-generic.h for the ones every port shares. The Hurd has 32 signals (_NSIG 33:
 * __SIGRTMIN and __SIGRTMAX are both 32). tools/check-signames.sh compares this table with the
 * headers of the glibc tarball.
 */
#ifndef FORKSIM_SIGNAMES_H
#define FORKSIM_SIGNAMES_H

#include <stdbool.h>

#define SIGNAME_MAX 32      /* the highest Hurd signal number (_NSIG - 1; FI_SIGNAL_MAX) */

/* The name of the Hurd's signal sig without "SIG" ("TERM", "CHLD"), the first of its names
 * when it has several (SIGPOLL also named SIGIO); NULL for no such signal. */
const char *signame_of(int sig);

/* A signal as a user writes it: "TERM", "SIGTERM" (any case), or a number from 1 to
 * SIGNAME_MAX (decimal). Returns true and its number in *sig; false for anything else. */
bool signame_parse(const char *word, int *sig);

/* The table, in number order, for listings (forksim signals): entry i (from 0) is
 * {number, name}; aliases (IO, IOT, CLD) follow the signal they alias. Returns the count. */
typedef struct signame {
    int sig;
    const char *name;
} signame;
const signame *signame_table(int *n);

#endif
