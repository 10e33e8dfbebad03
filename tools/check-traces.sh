#!/bin/sh
# Runs every scenario in traces/ that has a golden output (NAME.expected beside NAME.fsim)
# and compares forksim's output with it, byte for byte; each scenario runs twice, and the two
# runs must agree too. A scenario's exit status must be 0 (its expectations, findings
# included, hold). Prints one line per scenario and "N passed, N failed".
#
# usage: tools/check-traces.sh FORKSIM [DIR]     (FORKSIM_UPDATE=1 rewrites the golden files)
set -u
forksim=$1
dir=${2:-traces}
out=$(mktemp)
again=$(mktemp)
trap 'rm -f "$out" "$again"' EXIT
passed=0
failed=0
for scn in "$dir"/*.fsim; do
    [ -e "$scn" ] || continue
    golden="${scn%.fsim}.expected"
    name=$(basename "$scn" .fsim)
    "$forksim" run "$scn" >"$out" 2>&1
    status=$?
    "$forksim" run "$scn" >"$again" 2>&1
    if ! cmp -s "$out" "$again"; then
        echo "traces: $name: two runs differ"
        failed=$((failed + 1))
        continue
    fi
    if [ "${FORKSIM_UPDATE:-0}" = 1 ]; then
        cp "$out" "$golden"
    fi
    if [ "$status" -ne 0 ]; then
        echo "traces: $name: exit status $status"
        tail -5 "$out"
        failed=$((failed + 1))
    elif [ -f "$golden" ] && ! cmp -s "$out" "$golden"; then
        echo "traces: $name: differs from $(basename "$golden"):"
        diff "$golden" "$out" | head -20
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "traces: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
