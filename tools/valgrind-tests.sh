#!/bin/sh
# Runs every test program in DIR/tests under Memcheck, in parallel (JOBS at a time), and fails
# when any has an error: an invalid read or write, a use of uninitialised memory, or a definite
# leak (--leak-check=full --errors-for-leak-kinds=definite). Each program's report goes to
# DIR/valgrind/NAME.out; a failing one is shown. First, a planted defect: a program with a
# definite leak must fail under the same options, or the check itself is blind.
#
# usage: tools/valgrind-tests.sh DIR [JOBS]
set -u
dir=$1
jobs=${2:-2}
out="$dir/valgrind"
rm -rf "$out"
mkdir -p "$out"
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --suppressions=tests/valgrind.supp"

# The planted leak.
cat >"$out/planted.c" <<'CEOF'
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    p[0] = 1;
    p = NULL; /* lost: a definite leak */
    return 0;
}
CEOF
${CC:-cc} -g -O0 "$out/planted.c" -o "$out/planted"
if $VG "$out/planted" >"$out/planted.out" 2>&1; then
    cat "$out/planted.out"
    echo "valgrind: a planted definite leak passed: the check is blind"
    exit 1
fi
grep -q 'definitely lost' "$out/planted.out" || { cat "$out/planted.out"; echo "valgrind: the planted leak failed without a leak report"; exit 1; }

progs=""
for prog in "$dir"/tests/test_*; do
    case "$prog" in *.o|*.d) continue ;; esac
    [ -x "$prog" ] && progs="$progs $prog"
done
# shellcheck disable=SC2086
printf '%s\n' $progs | xargs -P "$jobs" -I{} sh -c '
    name=$(basename "{}")
    '"$VG"' "{}" >"'"$out"'/$name.out" 2>&1
    echo $? >"'"$out"'/$name.rc"' 
status=0
n=0
for prog in $progs; do
    name=$(basename "$prog")
    n=$((n + 1))
    rc=$(cat "$out/$name.rc" 2>/dev/null || echo 127)
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "--- valgrind: $name failed (exit $rc) ---"
        cat "$out/$name.out"
    fi
done
if [ "$status" -eq 0 ]; then
    echo "valgrind: $n test programs, no errors, no definite leaks (a planted leak fails as it should)"
else
    echo "valgrind: errors above"
fi
exit $status
