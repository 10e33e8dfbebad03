#!/bin/sh
# The feature probe: reads glibc's sources as extracted for a build (tools/glibc-extract.sh's
# OUT directory) and prints forksim-glibc-features.h, the header that tells forksim's shims
# (forkimpl/shim) which glibc internals this tree's fork code names. Shims are chosen by what
# the code in hand says, never by a release number: a patched tree, or a release forksim has
# not seen, gets the shims its text needs.
#
# Each feature is 0 or 1. A name counts only in code: comments are stripped first (gcc
# -fpreprocessed keeps directives and leaves macros unexpanded), so a comment that mentions a
# macro selects nothing.
#
#   FORKSIM_GLIBC_SETUP_CALL       _Fork.c starts the child's signal thread with
#                                  MACHINE_THREAD_STATE_SETUP_CALL (glibc 9ffdcf5b79, from 2.38);
#                                  shim/thread_state.h then defines it.
#   FORKSIM_GLIBC_THREADVAR_STACK  _Fork.c reads __hurd_threadvar_stack_{mask,offset} (2.36,
#                                  2.37; glibc 71232da3b3 removed them); shim/hurd/threadvar.h
#                                  then declares them.
#
# usage: tools/glibc-features.sh DIR   (DIR holds sysdeps/mach/hurd/_Fork.c)
set -eu
if [ $# -ne 1 ] || [ "$1" = --help ]; then
    echo "usage: tools/glibc-features.sh DIR   (prints forksim-glibc-features.h for DIR's glibc sources)"
    [ "${1:-}" = --help ] && exit 0
    exit 2
fi
dir=$1
fork="$dir/sysdeps/mach/hurd/_Fork.c"
if [ ! -r "$fork" ]; then
    echo "tools/glibc-features.sh: $fork: no such file" >&2
    exit 2
fi
code=$(mktemp)
trap 'rm -f "$code"' EXIT
${CC:-gcc} -fpreprocessed -dD -E -P -x c "$fork" >"$code" 2>/dev/null || {
    echo "tools/glibc-features.sh: $fork: cannot strip its comments (gcc -fpreprocessed)" >&2
    exit 2
}

# names WORD...: 1 when the code names any WORD (as a whole identifier), else 0.
names() {
    for w in "$@"; do
        if grep -qw -- "$w" "$code"; then echo 1; return; fi
    done
    echo 0
}

cat <<EOF
/* forksim-glibc-features.h: written by tools/glibc-features.sh from
 * $fork; the shims in forkimpl/shim read it. Do not edit. */
#ifndef FORKSIM_GLIBC_FEATURES_H
#define FORKSIM_GLIBC_FEATURES_H
#define FORKSIM_GLIBC_SETUP_CALL $(names MACHINE_THREAD_STATE_SETUP_CALL)
#define FORKSIM_GLIBC_THREADVAR_STACK $(names __hurd_threadvar_stack_mask __hurd_threadvar_stack_offset)
#endif
EOF
