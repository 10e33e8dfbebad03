/* unwind-link.h (forksim shim). */
void __libc_unwind_link_after_fork(void);
