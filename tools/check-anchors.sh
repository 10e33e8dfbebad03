#!/bin/sh
# Scenario anchors survive a patch (issue 8, item 4): a scratch copy of the packaged glibc
# tree, made now from /usr/src/glibc's tarball, gets a comment line at the top of _Fork.c and
# an extra RPC early in _Fork (a deallocation of MACH_PORT_NULL, as a patch that adds a start-up
# RPC would); forksim is built from it (make BUILD=... GLIBC_SRC=...). Then, for the scenario
# sweep-f7 (a port dies just before the mod_refs that gives the child b's other urefs):
#   - its meaning anchors (before mach_port_mod_refs on b; expect abort at "TEXT") still land
#     where they mean: the event note right before that mod_refs, the abort expected, exit 0;
#   - the same scenario with the global RPC number and the abort line of the unpatched build
#     (at rpc N, expect abort _Fork.c:LINE; N and LINE read from the unpatched run) no longer
#     does: its event lands one RPC earlier and the expectation fails.
# The same event anchored at its call site's statement text lands in the same place in both
# builds. Nothing of glibc's text is kept: the tree lives in a temporary directory.
#
# usage: tools/check-anchors.sh FORKSIM [SCRATCH_BUILD]
set -u
forksim=$1
scratch=${2:-build-anchors}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "anchors: $1"; failed=$((failed + 1)); }

. tools/scratch-glibc.sh
scratch_extract "$tmp" || { echo "anchors: cannot extract glibc's tarball"; exit 1; }
fork="$tree/sysdeps/mach/hurd/_Fork.c"
cp "$fork" "$tmp/_Fork.c.orig"
# The patch: one comment line at the top, and right after _Fork's first statement an extra
# RPC with its own comment line (three lines in all before the code the scenario anchors on).
sed -i -e '1i /* forksim anchor test: a comment line added by a patch */' \
       -e 's|^  ss = _hurd_self_sigstate ();$|&\n  /* forksim anchor test: an extra RPC */\n  __mach_port_deallocate (__mach_task_self (), MACH_PORT_NULL);|' "$fork"
added=$(( $(wc -l <"$fork") - $(wc -l <"$tmp/_Fork.c.orig") ))
grep -q '__mach_port_deallocate (__mach_task_self (), MACH_PORT_NULL);' "$fork" && [ "$added" -eq 3 ] \
    && ok || { bad "the sed patch did not apply (glibc's _Fork.c changed?)"; exit 1; }

# Build forksim from the scratch tree (tools/scratch-glibc.sh).
if ! scratch_build "$forksim" "$scratch" "$tree" "$tmp/build.log"; then
    bad "forksim did not build from the patched tree"
    exit 1
fi
patched="$scratch/forksim"
"$patched" --version | grep -q "GLIBC_SRC=$tree" && ok || bad "the scratch build does not say it runs the patched tree"

scn=traces/sweep-f7.fsim
# The unpatched run: the global number of the RPC the meaning anchor lands on, read from the
# run (the RPCs after the set-up, every task's), and the abort's line.
"$forksim" run "$scn" >"$tmp/a.out" 2>&1; sa=$?
[ "$sa" -eq 0 ] && ok || bad "$scn fails with the packaged fork (exit $sa)"
rpc_before() {  # RPC lines after the set-up up to the fault note: the note's RPC number
    awk '/# scenario: set-up done/ {on = 1; next}
         on && /# fault: / {print n + 1; exit}
         on && / t[0-9]+\.[0-9]+ / {n++}' "$1"
}
n=$(rpc_before "$tmp/a.out")
line=$(sed -n 's/^abort: task [0-9]* at _Fork\.c:\([0-9]*\):.*/\1/p' "$tmp/a.out" | head -n 1)
[ -n "$n" ] && [ -n "$line" ] && ok || { bad "no fault note or abort line in the packaged run"; exit 1; }
sed -e "s|^before mach_port_mod_refs on b in parent destroy b|at rpc $n destroy b|" \
    -e "s|^expect abort at .*|expect abort _Fork.c:$line|" "$scn" >"$tmp/global.fsim"
grep -q "^at rpc $n destroy b" "$tmp/global.fsim" && ok || bad "$scn has no meaning anchor to replace"
"$forksim" run "$tmp/global.fsim" >"$tmp/g.out" 2>&1 && ok || bad "the global form fails with the packaged fork"

# The patched build: the meaning anchors hold.
"$patched" run "$scn" >"$tmp/b.out" 2>&1; sb=$?
[ "$sb" -eq 0 ] && ok || bad "$scn with the patched fork: exit $sb, wanted 0 (the anchors moved)"
# the note sits right before the mod_refs that gives the child b's other urefs: the one whose
# delta is b's urefs less one ("have send b urefs U" in the scenario)
urefs=$(sed -n 's/^have send  *b  *urefs  *\([0-9]*\).*/\1/p' "$scn")
[ -n "$urefs" ] || { bad "$scn has no 'have send b urefs U'"; exit 1; }
modrefs="mach_port_mod_refs\\([0-9]+, [0-9]+, SEND, $((urefs - 1))\\)"
awk -v m="$modrefs" 'prev ~ /# fault: / && $0 ~ m {found = 1} {prev = $0} END {exit !found}' "$tmp/b.out" \
    && ok || bad "patched: the port death is not right before the mod_refs of b's other urefs"
pline=$(sed -n 's/^abort: task [0-9]* at _Fork\.c:\([0-9]*\):.*/\1/p' "$tmp/b.out" | head -n 1)
[ "$pline" = $((line + added)) ] && ok || bad "patched: the abort is at line $pline, wanted $line + $added"
grep -q 'mach_port_deallocate([0-9]*, 0) = ' "$tmp/b.out" && ok || bad "patched: the extra RPC is not in the trace"

# An event placed by its call site's statement: the mod_refs that gives the child's main-thread
# name its other urefs ("__mach_port_mod_refs (newtask, ss->thread"), which is not the first
# mod_refs of the fork (the copy loop's, for the terminal port's 3 urefs, comes first). Both
# builds place it right after that call: the site lookup follows the patched tree's lines.
printf '%s\n' 'forksim-scenario 1' 'have send a' \
    'after mach_port_mod_refs in parent at "__mach_port_mod_refs (newtask, ss->thread" destroy a' \
    'parent fork' 'child exit 0' >"$tmp/site.fsim"
for build in "$forksim" "$patched"; do
    "$build" run "$tmp/site.fsim" >"$tmp/s.out" 2>&1; ss=$?
    [ "$ss" -eq 0 ] && ok || bad "$build: the site-anchored scenario exits $ss, wanted 0"
    main=$(awk '$NF == "thread-self" && $1 ~ /^[0-9]+$/ {print $1; exit}' "$tmp/s.out")
    awk -v m="mach_port_mod_refs\\([0-9]+, $main, SEND," '$0 ~ /# fault: / && prev ~ m {found = 1} {prev = $0}
        END {exit !found}' "$tmp/s.out" \
        && ok || bad "$build: the site-anchored event does not follow the mod_refs on the main thread's name ($main)"
    first=$(grep -m1 'mach_port_mod_refs(' "$tmp/s.out")
    echo "$first" | grep -q "mach_port_mod_refs([0-9]*, $main, " && bad "$build: the first mod_refs is already the main thread's: the text picks nothing" || ok
done

# ... and the global RPC number and line number no longer do.
n2=$(rpc_before "$tmp/b.out")
[ "$n2" = $((n + 1)) ] && ok || bad "patched: the meaning anchor's RPC is number $n2, wanted $n + 1 (one RPC added)"
"$patched" run "$tmp/global.fsim" >"$tmp/pg.out" 2>&1; sg=$?
[ "$sg" -eq 1 ] && ok || bad "the global form with the patched fork: exit $sg, wanted 1 (its event moved)"
awk -v m="$modrefs" 'prev ~ /# fault: / && $0 ~ m {found = 1} {prev = $0} END {exit found}' "$tmp/pg.out" \
    && ok || bad "the global form still lands before the mod_refs on b"
grep -q "expected an abort at _Fork.c:$line; none there" "$tmp/pg.out" \
    && ok || bad "the line-number abort expectation does not fail after the patch"

rm -rf "$scratch" "$scratch-san"
echo "anchors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
