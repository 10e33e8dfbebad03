/* testlib_glibc.c: see testlib_glibc.h. The tree is the one the build compiled (GLIBC_TREE_DIR,
 * from the Makefile), not build/glibc/current read at run time: make check's compare check
 * rewrites that file while it builds another tree in the same build directory, and a test
 * running meanwhile (valgrind's) would read the other tree. */
#include "testlib_glibc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

char *glibc_tree_text(const char *path)
{
    char full[512];
    snprintf(full, sizeof full, "%s/%s", GLIBC_TREE_DIR, path);
    FILE *f = fopen(full, "r");
    if (f == NULL)
        fail_msg("cannot read %s", full);
    if (fseek(f, 0, SEEK_END) != 0)
        fail_msg("cannot seek %s", full);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (size_t)size, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}
