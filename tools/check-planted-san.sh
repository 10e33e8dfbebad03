#!/bin/sh
# Shows that the sanitizer build stops on a report and that make check sees it (issue 12,
# item 2): defects are planted at test time, in scratch copies, and each must fail the run.
#
#  1. A small program built with the sanitizer build's flags and tests/san_options.c does, on
#     request, a heap overflow (ASan), a leak (LSan) or a signed overflow (UBSan); for each,
#     tools/run-tests.sh must report a failure naming the sanitizer, and with none planted,
#     pass.
#  2. glibc's own code: a scratch copy of the glibc tree gets a signed overflow planted at the
#     top of _Fork (sed, at test time; nothing of it is kept) and is built through the public
#     interface (GLIBC_SRC=, BUILD=, SAN_BUILD= into a temporary directory). The sanitizer
#     build's test_fork must then fail with UBSan's report at the planted line, and so must
#     the sanitizer build of forksim running the walkthrough.
#
# usage: tools/check-planted-san.sh SAN_BUILD      (CC, SAN_CFLAGS, SAN_LDFLAGS from make)
set -eu
san=$1
: "${CC:=cc}"
tmp=$(mktemp -d /tmp/forksim-planted.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "planted sanitizer check: $*"; exit 1; }

# --- 1. every kind of report stops the program and fails run-tests.sh -------------------------
mkdir -p "$tmp/p/tests"
cat >"$tmp/planted.c" <<'CEOF'
#include <limits.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    const char *k = argc > 1 ? argv[1] : "none";
    volatile int big = INT_MAX;
    char *volatile p = malloc(8);
    if (strcmp(k, "asan") == 0)
        p[8] = 1;
    if (strcmp(k, "ubsan") == 0)
        big += 1;
    if (strcmp(k, "lsan") == 0)
        p = malloc(16);
    free(p);
    return big == 0;
}
CEOF
# shellcheck disable=SC2086
$CC $SAN_CFLAGS "$tmp/planted.c" "$san/tests/san_options.o" -o "$tmp/p/tests/test_planted" $SAN_LDFLAGS
tools/run-tests.sh "$tmp/p" none >"$tmp/none.out" 2>&1 || { cat "$tmp/none.out"; fail "nothing planted, yet the run failed"; }
for kind in asan:AddressSanitizer lsan:LeakSanitizer ubsan:'runtime error: signed integer overflow'; do
    k=${kind%%:*} report=${kind#*:}
    if tools/run-tests.sh "$tmp/p" "$k" >"$tmp/$k.out" 2>&1; then
        cat "$tmp/$k.out"; fail "a planted $k defect did not fail the run"
    fi
    grep -q "$report" "$tmp/$k.out" || { cat "$tmp/$k.out"; fail "a planted $k defect failed without the sanitizer's report"; }
    grep -q ' 0 passed, 1 failed' "$tmp/$k.out" || { cat "$tmp/$k.out"; fail "$k: run-tests.sh did not count the failure"; }
done

# --- 2. a signed overflow planted in glibc's _Fork.c -------------------------------------------
src="$tmp/glibc"
mkdir -p "$src"
if [ -n "${GLIBC_SRC:-}" ]; then
    cp -R "$GLIBC_SRC/hurd" "$src/hurd"
    mkdir -p "$src/sysdeps/mach"
    cp -R "$GLIBC_SRC/sysdeps/mach/hurd" "$src/sysdeps/mach/hurd"
    mkdir -p "$src/posix" "$src/stdlib" "$src/sysdeps/generic"
    cp "$GLIBC_SRC/posix/vfork.c" "$GLIBC_SRC"/posix/spawn* "$src/posix/"
    cp "$GLIBC_SRC/stdlib/abort.c" "$src/stdlib/"
    cp "$GLIBC_SRC/sysdeps/generic/internal-signals.h" "$src/sysdeps/generic/"
else
    tarball=$(ls /usr/src/glibc/glibc-*.tar.xz | head -n 1)
    top=$(basename "$tarball" .tar.xz)
    # what forksim takes from glibc: hurd/, sysdeps/mach/hurd/, posix/vfork.c, posix_spawn's
    # posix/spawn*, stdlib/abort.c and sysdeps/generic/internal-signals.h (GLIBC_FILES)
    tar -xJf "$tarball" -C "$tmp" --wildcards "$top/hurd" "$top/sysdeps/mach/hurd" "$top/posix/vfork.c" \
        "$top/posix/spawn*" "$top/stdlib/abort.c" "$top/sysdeps/generic/internal-signals.h"
    mv "$tmp/$top/hurd" "$tmp/$top/sysdeps" "$tmp/$top/posix" "$tmp/$top/stdlib" "$src/"
fi
fork="$src/sysdeps/mach/hurd/_Fork.c"
sed -i '/^_Fork (void)$/,/^{$/ s/^{$/{ volatile int forksim_planted_ub = __INT_MAX__; forksim_planted_ub += 1;/' "$fork"
line=$(grep -n 'forksim_planted_ub += 1' "$fork" | cut -d: -f1)
[ -n "$line" ] || fail "could not plant the overflow: no '_Fork (void)' followed by '{' in $fork"
# The scratch build starts from the sanitizer build's objects of forksim's own code (make
# rebuilds whatever is out of date, and all of glibc's code, which comes from the new tree).
mkdir -p "$tmp/build-san"
for d in model sim forkimpl tests; do
    [ -d "$san/$d" ] && cp -Rp "$san/$d" "$tmp/build-san/"
done
rm -f "$tmp/build-san/tests/test_"*[!o]
make --no-print-directory -s BUILD="$tmp/build" SAN_BUILD="$tmp/build-san" GLIBC_SRC="$src" \
    "$tmp/build-san/tests/test_fork" "$tmp/build-san/forksim" >"$tmp/make.out" 2>&1 \
    || { cat "$tmp/make.out"; fail "the scratch build with the planted overflow failed"; }
if tools/run-tests.sh "$tmp/build-san" >"$tmp/fork.out" 2>&1; then
    cat "$tmp/fork.out"; fail "a signed overflow planted in _Fork.c did not fail the sanitizer build's tests"
fi
grep -q "_Fork.c:$line:[0-9]*: runtime error: signed integer overflow" "$tmp/fork.out" \
    || { cat "$tmp/fork.out"; fail "test_fork failed, but not with UBSan's report at _Fork.c:$line"; }
if "$tmp/build-san/forksim" run traces/walkthrough.fsim >"$tmp/cli.out" 2>&1; then
    cat "$tmp/cli.out"; fail "build-san/forksim ran the planted fork and exited 0"
fi
grep -q "_Fork.c:$line:[0-9]*: runtime error: signed integer overflow" "$tmp/cli.out" \
    || { cat "$tmp/cli.out"; fail "build-san/forksim failed, but not with UBSan's report at _Fork.c:$line"; }
echo "planted sanitizer check: ASan, LSan and UBSan reports fail the run; a signed overflow planted at _Fork.c:$line fails test_fork and forksim"
