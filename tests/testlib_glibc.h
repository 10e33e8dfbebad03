/* testlib_glibc.h: the text of the glibc files the build compiled, for tests whose oracle is
 * glibc's source (test_signals.c, test_exec_glibc.c). */
#ifndef FORKSIM_TESTLIB_GLIBC_H
#define FORKSIM_TESTLIB_GLIBC_H

/* The extracted file PATH (relative to the tree's top, "hurd/hurdsig.c") of the glibc tree this
 * build compiled, whole and NUL-terminated, malloc'ed; the test fails when it cannot be read. */
char *glibc_tree_text(const char *path);
#endif
