/* libc-diag.h (forksim shim): glibc's macros around diagnostics it silences; here plain
 * pragmas, as glibc's include/libc-diag.h does with GCC. */
#ifndef FORKIMPL_LIBC_DIAG_H
#define FORKIMPL_LIBC_DIAG_H
#define DIAG_PUSH_NEEDS_COMMENT _Pragma("GCC diagnostic push")
#define DIAG_POP_NEEDS_COMMENT _Pragma("GCC diagnostic pop")
#define DIAG_IGNORE_NEEDS_COMMENT(version, option) _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#endif
