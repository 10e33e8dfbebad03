/*
 * signames.c: the Hurd's signal names and numbers (signames.h), from forkimpl's one table.
 *
 * Read from glibc 2.36's bits/signum-generic.h (the numbers every glibc port shares: HUP 1,
 * INT 2, QUIT 3, ILL 4, TRAP 5, ABRT 6, FPE 8, KILL 9, SEGV 11, PIPE 13, ALRM 14, TERM 15) and
 * sysdeps/mach/hurd/bits/signum-arch.h (the Hurd's own, the 4.4BSD numbering: EMT 7, BUS 10,
 * SYS 12, URG 16, STOP 17, TSTP 18, CONT 19, CHLD 20, ... INFO 29, USR1 30, USR2 31, LOST 32).
 * These are not Linux's numbers (Linux has CHLD 17, USR1 10): a scenario's `kill USR1` must
 * post 30, what glibc's Hurd code compares with.
 */
#include "signames.h"
#include "forkimpl.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

/* The table is forkimpl's (forkimpl/sigapi.c), built from the Hurd signal ABI the signal code
 * is compiled against: one table for the simulator and the command line. */
static const signame *table_of(int *n)
{
    _Static_assert(sizeof(signame) == sizeof(fi_signame), "the same entries");
    return (const signame *)(const void *)fi_signal_table(n);
}

const signame *signame_table(int *n)
{
    return table_of(n);
}

const char *signame_of(int sig)
{
    int n;
    const signame *table = table_of(&n);
    for (int i = 0; i < n; i++)
        if (table[i].sig == sig)
            return table[i].name;
    return NULL;
}

bool signame_parse(const char *word, int *sig)
{
    if (word == NULL || word[0] == '\0')
        return false;
    if (isdigit((unsigned char)word[0])) {
        char *end;
        errno = 0;
        long v = strtol(word, &end, 10);
        if (errno != 0 || *end != '\0' || v < 1 || v > SIGNAME_MAX)
            return false;
        *sig = (int)v;
        return true;
    }
    const char *w = strncasecmp(word, "SIG", 3) == 0 ? word + 3 : word;
    int n;
    const signame *table = table_of(&n);
    for (int i = 0; i < n; i++)
        if (strcasecmp(w, table[i].name) == 0) {
            *sig = table[i].sig;
            return true;
        }
    return false;
}
