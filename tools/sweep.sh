#!/bin/sh
# The sweeps of forksim explore over each scenario given: the fault sweep (every RPC of the
# fork fails, three ways, in both builds of the fork) and the port-death sweep (a port of
# another task dies before each RPC of the fork). Rows go to OUTDIR/NAME.faults and
# OUTDIR/NAME.port-deaths, progress to stderr while it runs, and the summary lines of every
# sweep at the end. Exit status 3 when a sweep found forksim's own error (an invariant
# violation, a misplaced fault): a bug to fix, not a finding about glibc.
#
# usage: tools/sweep.sh FORKSIM OUTDIR SCENARIO...
set -u
forksim=$1
outdir=$2
shift 2
mkdir -p "$outdir"
status=0
start=$(date +%s)
for scn in "$@"; do
    name=$(basename "$scn" .fsim)
    for kind in faults port-deaths; do
        echo "sweep: $name --$kind" >&2
        "$forksim" explore "$scn" --$kind >"$outdir/$name.$kind"
        rc=$?
        if [ $rc -ne 0 ]; then
            echo "sweep: $name --$kind: exit status $rc" >&2
            tail -3 "$outdir/$name.$kind" >&2
            status=3
        fi
    done
done
end=$(date +%s)
echo
for scn in "$@"; do
    name=$(basename "$scn" .fsim)
    for kind in faults port-deaths; do
        echo "$name ($outdir/$name.$kind):"
        grep -E '^(fault|port-death) sweep: [0-9]+ runs|^(fault|port-death) sweep: [0-9]+ aborts|aborts of fork' \
            "$outdir/$name.$kind" | sed 's/^/  /'
    done
done
echo "sweep: $# scenarios, both sweeps, both builds of the fork, in $((end - start)) s"
exit $status
