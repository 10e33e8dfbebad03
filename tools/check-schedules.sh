#!/bin/sh
# The race explorer as a user runs it (issue 10), against answers that do not come from the
# search itself:
#   - a search split into 4 shards run by GNU parallel, merged by forksim merge, prints what the
#     single search prints (outcomes, schedules by preemptions, the summary line), without and
#     with pruning (items 1, 6);
#   - the summary line has the issue's form: explore: R runs, O distinct outcomes, B bound, P pruned;
#   - --stop-on finding stops at run 1: the reference run already has finding F1
#     (traces/walkthrough.expected says so);
#   - PCT's stated bound is 1/(n k^(D-1)) of the n and k it prints;
#   - an event placed by the explorer (anywhere destroy a) gives an outcome the run without it
#     does not; each outcome's first schedule replays (forksim run OUTCOME.fsim, forksim replay
#     OUTCOME.run: the recording carries its scenario and events), and shrinks to a schedule
#     that replays and departs no more from the reference order (items 2, 3, 4, 5);
#   - bad input: file:line: what is wrong, exit 2 (an unknown anywhere delay's routine, a bad MS).
# usage: tools/check-schedules.sh FORKSIM
set -u
fs=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scn=traces/walkthrough.fsim
failed=0
fail() { echo "schedules: FAIL: $*"; failed=1; }

command -v parallel >/dev/null || { echo "schedules: GNU parallel is missing (apt-get install parallel)"; exit 1; }

# 1. shards through GNU parallel
for prune in --no-prune --prune; do
    p=$prune; [ "$p" = --prune ] && p=
    "$fs" explore $scn --schedules --bound 0 $p --no-progress >"$tmp/single.txt" || fail "the single search failed"
    parallel --will-cite -j2 "$fs" explore $scn --schedules --bound 0 $p --no-progress --shard {}/4 \
        --format=jsonl '>' "$tmp/shard-{}.jsonl" ::: 0 1 2 3 || fail "a shard failed"
    "$fs" merge "$tmp"/shard-0.jsonl "$tmp"/shard-1.jsonl "$tmp"/shard-2.jsonl "$tmp"/shard-3.jsonl \
        >"$tmp/merged.txt" || fail "merge failed"
    grep -v '^schedules: ' "$tmp/single.txt" >"$tmp/single-body.txt"
    if ! cmp -s "$tmp/single-body.txt" "$tmp/merged.txt"; then
        fail "4 shards merged ($prune) differ from the single search:"
        diff "$tmp/single-body.txt" "$tmp/merged.txt" | head -10
    fi
    tail -1 "$tmp/single.txt" | grep -Eq '^explore: [0-9]+ runs, [0-9]+ distinct outcomes, 0 bound, [0-9]+ pruned$' \
        || fail "the summary line: $(tail -1 "$tmp/single.txt")"
    for i in 0 1 2 3; do
        n=$(grep -c '"type":"outcome"' "$tmp/shard-$i.jsonl")
        s=$(grep '"type":"summary"' "$tmp/shard-$i.jsonl" | sed 's/.*"outcomes":\([0-9]*\).*/\1/')
        [ "$n" = "$s" ] || fail "shard $i: $n outcome lines, its summary says $s"
    done
    echo "schedules: 4 shards through GNU parallel ($prune), merged: $(tail -1 "$tmp/merged.txt")"
done
[ "$(grep -c '^explore: .* 0 pruned$' "$tmp/merged.txt")" = 0 ] || fail "pruning pruned nothing on the walkthrough"

# 2. --stop-on finding: the reference run has F1
grep -q '^finding F1' traces/walkthrough.expected || fail "traces/walkthrough.expected has no finding F1 any more"
"$fs" explore $scn --schedules --stop-on finding --no-progress >"$tmp/stop.txt"
tail -1 "$tmp/stop.txt" | grep -q '^explore: 1 runs, 1 distinct outcomes' || fail "--stop-on finding: $(tail -1 "$tmp/stop.txt")"

# 3. PCT's bound from its own n and k
"$fs" explore $scn --schedules --pct 3 --runs 40 --seed 5 --no-progress >"$tmp/pct.txt"
line=$(tail -1 "$tmp/pct.txt")
echo "$line" | awk '{
    if (!match($0, /PCT depth 3, [0-9]+ threads, [0-9]+ steps: a depth-3 bug is found with probability at least [0-9.e-]+ per run$/)) exit 1
    n = $10; k = $12; p = $(NF-2); want = 1 / (n * k * k)
    if (p < want * 0.995 || p > want * 1.005) exit 1
}' || fail "PCT's summary: $line"

# 4. an event as a choice; save, replay, shrink
ev=tests/schedules/port-death-anywhere.fsim
"$fs" explore $ev --schedules --bound 0 --max-runs 600 --save "$tmp/out" --no-progress >"$tmp/ev.txt" \
    || fail "the event search failed"
grep -q '^outcome [0-9]*: .* 1 event: ' "$tmp/ev.txt" || fail "no outcome with the port's death"
grep -q '^outcome [0-9]*: .*preemptions\{0,1\}: ' "$tmp/ev.txt" || fail "no outcome without an event"
n=$(grep -c '^outcome ' "$tmp/ev.txt")
[ "$n" -ge 2 ] || fail "the port's death changed no outcome ($n outcome)"
for f in "$tmp"/out/outcome-*.fsim; do
    "$fs" run "$f" >"$tmp/run.txt" 2>&1
    grep -q 'diverged' "$tmp/run.txt" && fail "forksim run $(basename "$f") diverged"
    r=${f%.fsim}.run
    (cd / && "$fs" replay "$r") >"$tmp/replay.txt" 2>&1 \
        || fail "forksim replay $(basename "$r"): $(tail -1 "$tmp/replay.txt")"
    grep -q 'the same events as recorded' "$tmp/replay.txt" || fail "replay of $(basename "$r"): $(tail -1 "$tmp/replay.txt")"
done
grep -q '^event [0-9]* destroy a' "$tmp"/out/outcome-*.run || fail "no recording carries the event"
k=$(grep -l '^event destroy a' "$tmp"/out/outcome-*.dec | head -1)
if [ -n "$k" ]; then
    "$fs" shrink "$k" -o "$tmp/small.dec" >"$tmp/shrink.txt" || fail "shrink failed: $(cat "$tmp/shrink.txt")"
    b=$(sed -n 's/^shrink: before: [0-9]* decisions, \([0-9]*\) departures.*/\1/p' "$tmp/shrink.txt")
    a=$(sed -n 's/^shrink: after:  [0-9]* decisions, \([0-9]*\) departures.*/\1/p' "$tmp/shrink.txt")
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -le "$b" ] || fail "shrink: $(cat "$tmp/shrink.txt")"
    pb=$(sed -n 's/^shrink: before: .*, \([0-9]*\) preemptions.*/\1/p' "$tmp/shrink.txt")
    pa=$(sed -n 's/^shrink: after: .*, \([0-9]*\) preemptions.*/\1/p' "$tmp/shrink.txt")
    [ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" -le "$pb" ] || fail "shrink added preemptions: $(cat "$tmp/shrink.txt")"
    grep -q '^event destroy a' "$tmp/small.dec" || fail "the shrunk schedule lost the event"
    cp $ev "$tmp/small.fsim" && echo "decisions small.dec" >>"$tmp/small.fsim"
    "$fs" run "$tmp/small.fsim" >"$tmp/run.txt" 2>&1
    grep -q 'diverged' "$tmp/run.txt" && fail "the shrunk schedule does not replay"
    echo "schedules: $(sed -n 's/^shrink: //p' "$tmp/shrink.txt" | tr '\n' ' ')"
fi

# --shrink: a failing outcome (the child's a is not what the scenario expects once the port died)
# shrunk at the end of the search; the shrunk schedule still fails the expectation
printf 'forksim-scenario 1\nfork glibc\nhave send a\nanywhere destroy a\nparent fork -> ok\nchild exit 0\nparent wait -> status 0\nexpect child a SEND urefs 1\n' >"$tmp/exp.fsim"
"$fs" explore "$tmp/exp.fsim" --schedules --bound 0 --max-runs 300 --shrink --save "$tmp/exps" --no-progress >"$tmp/exps.txt"
grep -q 'expectation failed' "$tmp/exps.txt" && grep -q '^  shrunk from ' "$tmp/exps.txt" || fail "--shrink: $(cat "$tmp/exps.txt")"
d=$(ls "$tmp"/exps/outcome-*.shrunk.dec 2>/dev/null | head -1)
if [ -n "$d" ]; then
    cp "$tmp/exp.fsim" "$tmp/exps/replay.fsim" && echo "decisions $(basename "$d")" >>"$tmp/exps/replay.fsim"
    "$fs" run "$tmp/exps/replay.fsim" >/dev/null 2>&1; [ $? = 1 ] || fail "the shrunk failing schedule does not fail its expectation"
else
    fail "--shrink --save wrote no outcome-N.shrunk.dec"
fi

# 5. bad input
"$fs" explore $scn --schedules --shard 4/4 >/dev/null 2>&1; [ $? = 2 ] || fail "--shard 4/4 accepted"
printf 'forksim-scenario 1\nhave send a\nanywhere destroy b\nparent fork -> ok\n' >"$tmp/bad.fsim"
msg=$("$fs" explore "$tmp/bad.fsim" --schedules 2>&1 >/dev/null); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q "bad.fsim:3: " || fail "anywhere destroy of an unknown name: $rc $msg"
# anywhere delay: a routine that is not proc's, a bad delay, a bad count: file:line, exit 2
for bad in 'anywhere delay proc_nosuch 50' 'anywhere delay mach_msg 50' 'anywhere delay proc_child 0' \
           'anywhere delay proc_child 5s' 'anywhere delay proc_child 50 up to 5' 'anywhere delay proc_child'; do
    printf 'forksim-scenario 1\nparent fork -> ok\n%s\n' "$bad" >"$tmp/bad.fsim"
    msg=$("$fs" explore "$tmp/bad.fsim" --schedules 2>&1 >/dev/null); rc=$?
    [ $rc = 2 ] && echo "$msg" | grep -q "bad.fsim:3: anywhere delay" || fail "'$bad': $rc $msg"
done
"$fs" merge "$tmp/shard-0.jsonl" >/dev/null 2>&1; [ $? = 2 ] || fail "merge of 1 shard of 4 accepted"

[ $failed = 0 ] && echo "schedules: all checks passed"
exit $failed
