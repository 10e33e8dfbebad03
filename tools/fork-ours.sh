#!/bin/sh
# fork-ours.sh: runs scenarios of traces/ with `fork ours` (forkimpl/fork_ours.c, issue 13
# item 5) in place of the fork they name, and says how each ends.
#
#   tools/fork-ours.sh FORKSIM [--intent] [FILE.fsim ...]   (default: every traces/*.fsim)
#   tools/fork-ours.sh FORKSIM --sweep OUTDIR FILE.fsim ...   tools/sweep.sh's fault and
#       port-death sweeps on the copies (exit 3 when a sweep finds an invariant violation)
#
# Each scenario is copied into a temporary directory (with the decision lists it names) with its
# `fork ...` line dropped and `fork ours` put after the version line; forksim run then runs it.
# A line per scenario: PASS (exit 0: its expectations hold) or FAIL (exit N), with its
# `# about:` mark. With --intent only the scenarios marked `# about: intent` run, and the
# script exits 1 when one fails (make check's test, tests/ has none for a whole-run loop).
set -u
forksim=$1; shift
intent=0
ours_copy() { # FILE OUT: the scenario with fork ours
    awk 'NR == 1 { print; print "fork ours"; next } /^fork[ \t]/ { print ""; next } { print }' "$1" > "$2"
}
if [ "${1:-}" = --sweep ]; then
    outdir=$2; shift 2
    mkdir -p "$outdir/scenarios"
    copies=
    for f in "$@"; do
        ours_copy "$f" "$outdir/scenarios/$(basename "$f")"
        copies="$copies $outdir/scenarios/$(basename "$f")"
    done
    exec "$(dirname "$0")/sweep.sh" "$forksim" "$outdir" $copies
fi
if [ "${1:-}" = --intent ]; then intent=1; shift; fi
[ $# -gt 0 ] || set -- traces/*.fsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for f in "$@"; do
    about=$(sed -n 's/^# about: *\([a-z]*\).*/\1/p' "$f" | head -n 1)
    [ -n "$about" ] || about=unmarked
    if [ $intent = 1 ] && [ "$about" = unmarked ]; then
        # a new scenario must say what it is about, or --intent would skip it unseen
        fail=$((fail + 1)); printf 'FAIL  %-8s %s (no "# about: intent|glibc" line)\n' "$about" "$f"
        continue
    fi
    [ $intent = 1 ] && [ "$about" != intent ] && continue
    dir=$(dirname "$f")
    cp "$dir"/*.dec "$dir"/*.decisions "$tmp"/ 2>/dev/null
    out="$tmp/$(basename "$f")"
    ours_copy "$f" "$out"
    "$forksim" run "$out" > "$tmp/out" 2>&1
    rc=$?
    if [ $rc = 0 ]; then
        pass=$((pass + 1)); printf 'PASS  %-8s %s\n' "$about" "$f"
    else
        fail=$((fail + 1)); printf 'FAIL  %-8s %s (exit %s: %s)\n' "$about" "$f" $rc \
            "$(grep -m1 -E 'FAIL|expect|verdict:|error' "$tmp/out" | cut -c1-100)"
    fi
done
echo "fork ours: $pass passed, $fail failed"
[ $fail = 0 ] || [ $intent = 0 ]
