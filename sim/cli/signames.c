/*
 * signames.c: the Hurd's signal names and numbers (signames.h).
 *
 * Read from glibc 2.36's bits/signum-generic.h (the numbers every glibc port shares: HUP 1,
 * INT 2, QUIT 3, ILL 4, TRAP 5, ABRT 6, FPE 8, KILL 9, SEGV 11, PIPE 13, ALRM 14, TERM 15) and
 * sysdeps/mach/hurd/bits/signum-arch.h (the Hurd's own, the 4.4BSD numbering: EMT 7, BUS 10,
 * SYS 12, URG 16, STOP 17, TSTP 18, CONT 19, CHLD 20, ... INFO 29, USR1 30, USR2 31, LOST 32).
 * These are not Linux's numbers (Linux has CHLD 17, USR1 10): a scenario's `kill USR1` must
 * post 30, what glibc's Hurd code compares with.
 */
#include "signames.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

static const signame table[] = {
    {1, "HUP"},     {2, "INT"},     {3, "QUIT"},    {4, "ILL"},     {5, "TRAP"},
    {6, "ABRT"},    {6, "IOT"},     {7, "EMT"},     {8, "FPE"},     {9, "KILL"},
    {10, "BUS"},    {11, "SEGV"},   {12, "SYS"},    {13, "PIPE"},   {14, "ALRM"},
    {15, "TERM"},   {16, "URG"},    {17, "STOP"},   {18, "TSTP"},   {19, "CONT"},
    {20, "CHLD"},   {20, "CLD"},    {21, "TTIN"},   {22, "TTOU"},   {23, "POLL"},
    {23, "IO"},     {24, "XCPU"},   {25, "XFSZ"},   {26, "VTALRM"}, {27, "PROF"},
    {28, "WINCH"},  {29, "INFO"},   {30, "USR1"},   {31, "USR2"},   {32, "LOST"},
};
#define NTABLE ((int)(sizeof table / sizeof table[0]))

const signame *signame_table(int *n)
{
    *n = NTABLE;
    return table;
}

const char *signame_of(int sig)
{
    for (int i = 0; i < NTABLE; i++)
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
    for (int i = 0; i < NTABLE; i++)
        if (strcasecmp(w, table[i].name) == 0) {
            *sig = table[i].sig;
            return true;
        }
    return false;
}
