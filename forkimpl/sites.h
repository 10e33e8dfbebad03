/*
 * sites.h: call sites in the code under test: which line of _Fork.c made an RPC (forksim
 * --sites), resolved at run time from this executable's DWARF with libdw (sites.c).
 */
#ifndef FORKSIM_SITES_H
#define FORKSIM_SITES_H

#include <stddef.h>
#include <stdint.h>

/* The first of the n return addresses (innermost first) that lies in the compiled fork code,
 * as "FILE:LINE" in buf. Returns 1 if found, else 0 (buf untouched). */
int fi_site_of(void *const *pcs, int n, char *buf, size_t len);

/* Registers fi_site_of with the kernel binding, for traces with call sites. */
void fi_sites_install(void);

#endif
