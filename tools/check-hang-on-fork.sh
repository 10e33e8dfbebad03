#!/bin/sh
# glibc commit 17a62de1ff (2014, "Fix hang on fork"), re-found by the race explorer (issue 10,
# item 9). The oracle is the upstream commit: it added the two lines that lock ss->lock around
# __proc_dostop (2.36's _Fork.c:138 and :142). A scratch copy of the packaged tree, made now
# from /usr/src/glibc's tarball, gets exactly those two lines deleted (sed; nothing of it is
# kept) and forksim is built from it (make BUILD=... GLIBC_SRC=...). Then, on
# traces/hang-on-fork.fsim (a signal to the parent placed anywhere, no hand-placed point):
#   - the unfixed build's PCT search finds a deadlock whose outcome names the lock: a child
#     waits for ss->lock held by a thread of the parent (copied held);
#   - forksim shrink keeps that outcome with no more departures and no more preemptions, and
#     the shrunk schedule replays to the same deadlock;
#   - the packaged (fixed) build's same search has no outcome in which anything waits for
#     ss->lock.
# The bounded search (make check) is PCT, depth 2, seed 3, at most RUNS runs; "full" (make
# sweep) runs FULL_RUNS runs with each of seeds 1 to 4 on both builds and counts the outcomes.
#
# usage: tools/check-hang-on-fork.sh FORKSIM [SCRATCH_BUILD] [full]
set -u
forksim=$1
scratch=${2:-build-hang}
mode=${3:-bounded}
runs=${RUNS:-40000}
full_runs=${FULL_RUNS:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$scratch" "$scratch-san"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "hang-on-fork: $1"; failed=$((failed + 1)); }
scn=traces/hang-on-fork.fsim

. tools/scratch-glibc.sh
scratch_extract "$tmp" || { echo "hang-on-fork: cannot extract glibc's tarball"; exit 1; }
fork="$tree/sysdeps/mach/hurd/_Fork.c"
cp "$fork" "$tmp/_Fork.c.orig"
# The commit's two lines: the lock just before the comment over __proc_dostop, the unlock just
# after the call.
sed -i -e '/^      __spin_lock (&ss->lock);$/{N;/\n *\/\* Stop all other threads while copying/{s/^[^\n]*\n//;}}' \
       -e '/__proc_dostop (_hurd_ports\[INIT_PORT_PROC\]\.port, ss->thread);$/{n;/^      __spin_unlock (&ss->lock);$/d;}' "$fork"
removed=$(diff "$tmp/_Fork.c.orig" "$fork" | grep -c '^<')
added=$(diff "$tmp/_Fork.c.orig" "$fork" | grep -c '^>')
[ "$removed" -eq 2 ] && [ "$added" -eq 0 ] && ! grep -q '__spin_lock (&ss->lock);' "$fork" \
    && ok || { bad "the sed edit did not remove exactly the two lines (removed $removed, added $added)"; exit 1; }

# Build forksim from the scratch tree (tools/scratch-glibc.sh).
if ! scratch_build "$forksim" "$scratch" "$tree" "$tmp/build.log"; then
    bad "forksim did not build from the edited tree"
    exit 1
fi
unfixed="$scratch/forksim"
"$unfixed" --version | grep -q "GLIBC_SRC=$tree" && ok || bad "the scratch build does not say it runs the edited tree"

lock_line='waits for ss->lock, the sigstate of thread [0-9]*, held by a thread of the parent (copied held)'

if [ "$mode" = full ]; then
    for seed in 1 2 3 4; do
        for b in unfixed fixed; do
            f=$forksim; [ $b = unfixed ] && f=$unfixed
            "$f" explore $scn --schedules --pct 2 --runs "$full_runs" --seed $seed --no-progress >"$tmp/$b.txt" 2>&1
            n=$(grep '^outcome ' "$tmp/$b.txt" | grep -c 'waits for ss->lock')
            r=$(grep '^outcome ' "$tmp/$b.txt" | grep 'waits for ss->lock' | sed -n 's/^outcome [0-9]*: \([0-9]*\) runs\{0,1\},.*/\1/p' | awk '{s += $1} END {print s + 0}')
            echo "hang-on-fork: seed $seed, $b: $r of $full_runs runs in $n outcome(s) with a thread waiting for ss->lock"
            if [ $b = fixed ]; then [ "$n" -eq 0 ] && ok || bad "the fixed build has a thread waiting for ss->lock (seed $seed)"; fi
        done
    done
    [ $failed = 0 ] && echo "hang-on-fork: full search: $passed checks passed"
    exit $failed
fi

# The unfixed build: found, and the outcome names the lock.
"$unfixed" explore $scn --schedules --pct 2 --runs "$runs" --seed 3 --stop-on deadlock --save "$tmp/found" \
    --no-progress >"$tmp/unfixed.txt" 2>&1
line=$(grep '^outcome ' "$tmp/unfixed.txt" | grep "deadlock" | grep "a child, task [0-9]* $lock_line" | head -n 1)
[ -n "$line" ] && ok || { cat "$tmp/unfixed.txt"; bad "the unfixed build's search found no child waiting for ss->lock"; exit 1; }
k=$(echo "$line" | sed -n 's/^outcome \([0-9]*\):.*/\1/p')
echo "hang-on-fork: unfixed: $(tail -n 1 "$tmp/unfixed.txt")"

# Shrunk: the same outcome, no more departures or preemptions, and it replays.
"$unfixed" shrink "$tmp/found/outcome-$k.dec" -o "$tmp/small.dec" >"$tmp/shrink.txt" 2>&1 \
    && ok || bad "shrink failed: $(cat "$tmp/shrink.txt")"
b=$(sed -n 's/^shrink: before: [0-9]* decisions, \([0-9]*\) departures.*/\1/p' "$tmp/shrink.txt")
a=$(sed -n 's/^shrink: after:  [0-9]* decisions, \([0-9]*\) departures.*/\1/p' "$tmp/shrink.txt")
pb=$(sed -n 's/^shrink: before: .*, \([0-9]*\) preemptions.*/\1/p' "$tmp/shrink.txt")
pa=$(sed -n 's/^shrink: after: .*, \([0-9]*\) preemptions.*/\1/p' "$tmp/shrink.txt")
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -le "$b" ] && [ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" -le "$pb" ] \
    && ok || bad "shrink: $(cat "$tmp/shrink.txt")"
echo "hang-on-fork: $(sed -n 's/^shrink: //p' "$tmp/shrink.txt" | tr '\n' ' ')"
sed '/^decisions /d' $scn >"$tmp/small.fsim" && echo "decisions small.dec" >>"$tmp/small.fsim"
"$unfixed" run "$tmp/small.fsim" >"$tmp/small.txt" 2>&1
grep -q "^deadlock at step" "$tmp/small.txt" && grep -q 'waits for lock .*(ss->lock, the sigstate of thread [0-9]*) in task [0-9]*, held by thread [0-9]*, which is not in this task' "$tmp/small.txt" \
    && ok || { tail -20 "$tmp/small.txt"; bad "the shrunk schedule does not replay to the deadlock on ss->lock"; }

# The packaged tree has the fix: the same search, no thread waiting for ss->lock.
"$forksim" explore $scn --schedules --pct 2 --runs "$runs" --seed 3 --no-progress >"$tmp/fixed.txt" 2>&1
grep -q '^explore: ' "$tmp/fixed.txt" && ok || { cat "$tmp/fixed.txt"; bad "the fixed build's search did not end"; }
grep '^outcome ' "$tmp/fixed.txt" | grep -q 'waits for ss->lock' \
    && bad "the fixed build's search has a thread waiting for ss->lock: $(grep 'ss->lock' "$tmp/fixed.txt" | head -n 1)" || ok
echo "hang-on-fork: fixed: $(tail -n 1 "$tmp/fixed.txt")"

# A handled signal that lands while _Fork's RPC is about to trap, in its critical section: the
# signal thread backs the call out (hurdsig.c's _hurdsig_abort_rpcs moves the PC to
# _hurd_intr_rpc_msg_in_trap) and sets that state; the search must end, not crash on it.
h=tests/schedules/handled-signal-in-fork.fsim
"$forksim" explore $h --schedules --pct 2 --runs 300 --seed 1 --no-progress >"$tmp/handled.txt" 2>&1; st=$?
[ $st -lt 2 ] && grep -q '^explore: 300 runs' "$tmp/handled.txt" && ok || { tail -5 "$tmp/handled.txt"; bad "$h: the search ended with status $st"; }

echo "hang-on-fork: $passed passed, $failed failed"
exit $failed
