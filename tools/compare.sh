#!/bin/sh
# Runs every scenario in traces/ with two builds of forksim (glibc's fork from the package, and
# from GLIBC_SRC) and prints, side by side: each scenario's verdict and its parent's and child's
# RPC count under both; where the traces differ, the first differing line of each, with the
# _Fork.c line that made the call. For a glibc developer testing a patch to fork.
#
# usage: tools/compare.sh PACKAGE_FORKSIM PATCHED_FORKSIM [DIR]
set -u
a=$1
b=$2
dir=${3:-traces}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "compare: package  = $("$a" --version | sed -n 2p)"
echo "compare: patched  = $("$b" --version | sed -n 2p)"
printf '%-22s %-20s %-20s %-10s %s\n' scenario "verdict (package)" "verdict (patched)" "RPCs" "first difference"
changed=0
for scn in "$dir"/*.fsim; do
    [ -e "$scn" ] || continue
    name=$(basename "$scn" .fsim)
    "$a" run "$scn" --sites >"$tmp/a" 2>&1; sa=$?
    "$b" run "$scn" --sites >"$tmp/b" 2>&1; sb=$?
    va=$(sed -n 's/^verdict: //p' "$tmp/a" | tail -n 1)
    vb=$(sed -n 's/^verdict: //p' "$tmp/b" | tail -n 1)
    ra=$(sed -n 's/^RPCs of the parent.*after the set-up: \([0-9]*\):.*/\1/p' "$tmp/a")
    rb=$(sed -n 's/^RPCs of the parent.*after the set-up: \([0-9]*\):.*/\1/p' "$tmp/b")
    sed '/^--- summary/,$d' "$tmp/a" >"$tmp/ta"
    sed '/^--- summary/,$d' "$tmp/b" >"$tmp/tb"
    first=""
    if ! cmp -s "$tmp/ta" "$tmp/tb"; then
        n=$(cmp "$tmp/ta" "$tmp/tb" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
        [ -n "$n" ] || n=$(($(wc -l <"$tmp/ta") + 1))
        first="trace line $n"
        changed=$((changed + 1))
    fi
    rpcs="${ra:-?}"
    [ "${ra:-?}" = "${rb:-?}" ] || rpcs="${ra:-?}->${rb:-?}"
    [ "$sa" = "$sb" ] || changed=$((changed + 1))
    printf '%-22s %-20s %-20s %-10s %s\n' "$name" "${va:-error $sa}" "${vb:-error $sb}" "$rpcs" "${first:-none}"
    if [ -n "$first" ]; then
        echo "    package: $(sed -n "${n}p" "$tmp/ta")"
        echo "    patched: $(sed -n "${n}p" "$tmp/tb")"
        step=$(sed -n "${n}p" "$tmp/ta" | awk '{print $1}')
        [ -n "$step" ] && echo "    both spaces at that step: $a run $scn --stop-at $step (and the same with $b)"
    fi
done
echo "compare: $changed scenario(s) differ"
