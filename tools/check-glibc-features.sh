#!/bin/sh
# The feature probe (tools/glibc-features.sh) and the shims it selects, tested without other
# glibc trees: scratch copies of the packaged (2.36) _Fork.c are edited with sed the way
# glibc's own commits changed it, and the probe's header, the compile against the shims and a
# run of the walkthrough are checked against what those commits say. Nothing of glibc is kept:
# the copies live in a temporary directory.
#
#   71232da3b3 (2.38) "hurd: Remove __hurd_threadvar_stack_{offset,mask}": the signal thread's
#       stack is the saved one, no threadvar fallback.
#   9ffdcf5b79 (2.38) "hurd: Fix setting up signal thread stack alignment": SP and PC set by
#       MACHINE_THREAD_STATE_SETUP_CALL (stack base, size, function).
#
# usage: tools/check-glibc-features.sh BUILD GLIBC_CFLAGS...   (make glibc-features)
set -u
build=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "glibc-features: FAIL: $*"; failed=$((failed + 1)); }

# The packaged tree's _Fork.c, as the build takes it (never GLIBC_SRC: the oracle is 2.36).
GLIBC_SRC= tools/glibc-extract.sh "$tmp/pkg" sysdeps/mach/hurd/_Fork.c >/dev/null || exit 2
fork=sysdeps/mach/hurd/_Fork.c
grep -q '__hurd_threadvar_stack_mask' "$tmp/pkg/$fork" &&
    ! grep -q 'MACHINE_THREAD_STATE_SETUP_CALL' "$tmp/pkg/$fork" || {
    echo "glibc-features: the packaged _Fork.c is not 2.36's (threadvar fallback, no SETUP_CALL): the edits below assume it"
    exit 1
}

# variant NAME SED-SCRIPT: a scratch tree NAME holding the packaged _Fork.c edited by the script.
variant() {
    mkdir -p "$tmp/$1/$(dirname $fork)"
    sed "$2" "$tmp/pkg/$fork" >"$tmp/$1/$fork"
    if cmp -s "$tmp/pkg/$fork" "$tmp/$1/$fork"; then
        echo "glibc-features: the edit for $1 changed nothing"
        exit 1
    fi
}
# 71232da3b3: each branch keeps its else arm.
variant threadvar-removed '/^#ifdef STACK_GROWTH_UP/,/^#endif/c\
#ifdef STACK_GROWTH_UP\
      state.SP = __hurd_sigthread_stack_base;\
#else\
      state.SP = __hurd_sigthread_stack_end;\
#endif'
# 71232da3b3 then 9ffdcf5b79: the whole SP/PC block becomes one SETUP_CALL.
variant setup-call '/^#ifdef STACK_GROWTH_UP/,/_hurd_msgport_receive);/c\
\
      MACHINE_THREAD_STATE_SETUP_CALL(&state,\
	  __hurd_sigthread_stack_base,\
	  __hurd_sigthread_stack_end - __hurd_sigthread_stack_base,\
	  (uintptr_t) _hurd_msgport_receive);'
# Only a comment names the macro: selects nothing.
variant comment-only '1i\
/* A later glibc calls MACHINE_THREAD_STATE_SETUP_CALL here. */'

# expect_features TREE SETUP_CALL THREADVAR
expect_features() {
    if ! tools/glibc-features.sh "$tmp/$1" >"$tmp/$1/forksim-glibc-features.h"; then
        bad "$1: the probe failed"
        return
    fi
    got=$(sed -n 's/^#define FORKSIM_GLIBC_\(SETUP_CALL\|THREADVAR_STACK\) \([01]\)$/\2/p' \
        "$tmp/$1/forksim-glibc-features.h" | tr -d '\n')
    if [ "$got" = "$2$3" ]; then ok; else bad "$1: probe says SETUP_CALL,THREADVAR_STACK = $got, expected $2$3"; fi
}
expect_features pkg 0 1
expect_features threadvar-removed 0 0
expect_features setup-call 1 0
expect_features comment-only 0 1

# compile TREE HEADER-TREE OUT: TREE's _Fork.c against the shims and HEADER-TREE's feature
# header; a name no shim declares is an error, as in glibc's own build.
compile() {
    ${CC:-cc} "$@" >/dev/null 2>&1
}
cc_fork() {
    t=$1 h=$2 o=$3
    shift 3
    # glibc's files are glibc/PATH in the debug information, as the build names them
    # (forkimpl/sites.c finds the fork's call sites by that).
    compile -iquote "$tmp/$h" "$@" -fdebug-prefix-map="$tmp/$t"=glibc -Werror=implicit-function-declaration \
        -D_Fork=forksim_glibc_fork -c "$tmp/$t/$fork" -o "$tmp/$o"
}
# Each tree compiles with its own header ...
for t in pkg threadvar-removed setup-call comment-only; do
    if cc_fork "$t" "$t" "$t.o" "$@"; then ok; else bad "$t: does not compile with its own feature header"; fi
done
# ... and the selection is what makes it so: with 2.36's header the SETUP_CALL tree lacks the
# macro, and with the later header 2.36's code lacks the removed variables.
if cc_fork setup-call pkg x.o "$@"; then bad "setup-call: compiles without SETUP_CALL selected"; else ok; fi
if cc_fork pkg setup-call x.o "$@"; then bad "pkg: compiles without the threadvar variables declared"; else ok; fi
# The macro leaves no call behind, and the removed variables are read only by the code that names them.
nm -u "$tmp/setup-call.o" | grep -q 'MACHINE_THREAD_STATE_SETUP_CALL\|__hurd_threadvar' &&
    bad "setup-call.o: imports $(nm -u "$tmp/setup-call.o" | grep -o 'MACHINE_THREAD_STATE_SETUP_CALL\|__hurd_threadvar[a-z_]*' | head -1)" || ok
nm -u "$tmp/pkg.o" | grep -q '__hurd_threadvar_stack_mask' && ok || bad "pkg.o: does not read __hurd_threadvar_stack_mask"

# The contract of glibc's x86 MACHINE_THREAD_STATE_SETUP_CALL (sysdeps/mach/x86/thread_state.h,
# 2.38): a call of FUNC with SP inside [STACK, STACK + SIZE], 8 below a 16-byte boundary (the
# x86_64 psABI's state at a function's entry, a return address just pushed), as high as that
# allows. Checked for a stack end at each residue mod 16.
cat >"$tmp/contract.c" <<'EOF'
#include "thread_state.h"
#include <stdio.h>
static void func(void) {}
int main(void)
{
    static unsigned char stack[4096] __attribute__((aligned(16)));
    int bad = 0;
    for (uintptr_t end = 4096 - 32; end < 4096 - 16; end++) {
        struct machine_thread_state ts = {0};
        uintptr_t base = (uintptr_t)stack, top = base + end;
        MACHINE_THREAD_STATE_SETUP_CALL(&ts, base, end, (uintptr_t)func);
        if (ts.kind != 1 || ts.PC != (uintptr_t)func || ts.SP % 16 != 8 || ts.SP > top ||
            ts.SP + 16 <= top || ts.SP < base) {
            printf("stack end %% 16 = %u: kind %llu, SP %% 16 = %llu, top - SP = %llu\n",
                   (unsigned)(top % 16), (unsigned long long)ts.kind,
                   (unsigned long long)(ts.SP % 16), (unsigned long long)(top - ts.SP));
            bad = 1;
        }
    }
    return bad;
}
EOF
if compile -iquote "$tmp/setup-call" "$@" "$tmp/contract.c" -o "$tmp/contract" && "$tmp/contract"; then ok; else
    bad "MACHINE_THREAD_STATE_SETUP_CALL breaks its contract: $("$tmp/contract" 2>&1 | head -1)"
fi

# The run: forksim with the SETUP_CALL tree's fork in place of the package's (one object of
# the archive replaced) runs the walkthrough exactly as the golden output says: on x86_64 the
# upstream change moves the signal thread's first frame, not one RPC.
cp "$build/libforksim.a" "$tmp/lib.a"
if cc_fork setup-call setup-call fork-glibc.o "$@" -g -O2 && (cd "$tmp" && ar r lib.a fork-glibc.o) &&
    ${CC:-cc} "$build/sim/cli/main.o" "$build/glibc/source-info.o" "$tmp/lib.a" -o "$tmp/forksim" -lunwind -ldw -lelf -ljansson -lm; then
    "$tmp/forksim" run traces/walkthrough.fsim >"$tmp/walk.out" 2>&1
    if cmp -s "$tmp/walk.out" traces/walkthrough.expected; then ok; else
        bad "the walkthrough with the SETUP_CALL fork is not its golden output:"
        diff traces/walkthrough.expected "$tmp/walk.out" | head -10
    fi
else
    bad "could not link forksim with the SETUP_CALL fork"
fi

echo "glibc-features: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
