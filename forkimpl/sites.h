/*
 * sites.h: call sites in the code under test: which line of _Fork.c made an RPC (forksim
 * --sites). The tables are generated at build time from the objects' DWARF line information
 * (tools/fork-lines.sh); nothing here reads files at run time.
 */
#ifndef FORKSIM_SITES_H
#define FORKSIM_SITES_H

#include <stddef.h>
#include <stdint.h>

typedef struct fi_line_entry {
    uint32_t off;   /* offset in the object's .text */
    uint32_t line;
} fi_line_entry;

typedef struct fi_line_table {
    const void *func;           /* the function, as linked */
    uint32_t func_off;          /* its offset in the object's .text */
    uint32_t text_end;          /* end of the code the table covers */
    const char *file;
    const fi_line_entry *lines;
    size_t nlines;
} fi_line_table;

/* The first of the n return addresses (innermost first) that lies in the compiled fork code,
 * as "FILE:LINE" in buf. Returns 1 if found, else 0 (buf untouched). */
int fi_site_of(void *const *pcs, int n, char *buf, size_t len);

/* Registers fi_site_of with the kernel binding, for traces with call sites. */
void fi_sites_install(void);

#endif
