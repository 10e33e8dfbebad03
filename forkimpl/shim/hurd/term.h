/* hurd/term.h (forksim shim): the term.defs routines the fd code calls, as the simulated term
 * server serves them (sim/hurd/srv_minor.c). */
#ifndef FORKIMPL_HURD_TERM_H
#define FORKIMPL_HURD_TERM_H
#include "../forkimpl-glibc.h"
/* The terminal's ctty id port, if `terminal` can be a controlling terminal. */
kern_return_t __term_getctty(mach_port_t terminal, mach_port_t *cttyid);
/* A new ctty port of the terminal for (pid, pgrp). */
kern_return_t __term_open_ctty(mach_port_t terminal, pid_t pid, pid_t pgrp, mach_port_t *newtty);
#endif
