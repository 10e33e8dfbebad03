#!/bin/sh
# Runs every test program in DIR/tests, one after another.
#
# Each program's output goes to DIR/results/NAME.out (the rule table reads them); a failing
# program's output is also shown. The last line is "N passed, N failed" over test cases.
# Exit status: 0 when every program exited 0, 1 otherwise.
#
# usage: tools/run-tests.sh DIR [FILTER]   (FILTER is passed to each program: a test name)
set -u
dir=$1
filter=${2:-}
results="$dir/results"
rm -rf "$results"
mkdir -p "$results"
status=0
passed=0
failed=0
for prog in "$dir"/tests/test_*; do
    case "$prog" in *.o|*.d) continue ;; esac
    [ -x "$prog" ] || continue
    name=$(basename "$prog")
    out="$results/$name.out"
    if [ -n "$filter" ]; then "$prog" "$filter" >"$out" 2>&1; else "$prog" >"$out" 2>&1; fi
    rc=$?
    ok=$(grep -c '^\[       OK \]' "$out")
    bad=$(grep -c '^\[  FAILED  \] [a-zA-Z_]' "$out")
    # A program that dies (signal, sanitizer report) counts as one failure if no case failed.
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "--- $dir: $name failed (exit $rc) ---"
        cat "$out"
    else
        printf '%-8s %-28s %4d passed\n' "$(basename "$dir")" "$name" "$ok"
    fi
done
echo "$(basename "$dir"): $passed passed, $failed failed"
exit $status
