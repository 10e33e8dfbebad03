#!/bin/sh
# Checks the forksim command as a user meets it: usage and exit codes, --version against the
# package tarball, --sites, --format=jsonl, --stop-at, --record and replay (also of a tampered
# recording), and a failing expectation. Prints one line per check and "N passed, N failed".
#
# usage: tools/check-cli.sh FORKSIM
set -u
forksim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "cli: $1"; failed=$((failed + 1)); }
# expect_status WANT CMD...: the command's exit status must be WANT
expect_status() {
    want=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$* exited $got, wanted $want"; fi
}

expect_status 0 "$forksim" --help
grep -q '^usage: forksim run FILE' "$tmp/out" || bad "--help does not show the usage"
expect_status 2 "$forksim"
expect_status 2 "$forksim" frobnicate
expect_status 2 "$forksim" run
expect_status 2 "$forksim" run traces/walkthrough.fsim --colour
expect_status 2 "$forksim" run "$tmp/missing.fsim"
grep -q "missing.fsim: cannot open" "$tmp/err" || bad "a missing file is not named"
printf 'forksim-scenario 1\nhave send x\nparent wobble\n' >"$tmp/bad.fsim"
expect_status 2 "$forksim" run "$tmp/bad.fsim"
grep -q "bad.fsim:3: unknown step 'wobble'" "$tmp/err" || bad "a bad line is not reported as file:line"

# Conventional options (issue 14, item 2): every subcommand's --help and forksim help SUB
# exit 0 and list the options; --opt=value and --opt value give the same run; an unknown
# option or a missing value is refused, exit 2, naming the subcommand.
# The subcommands are those of forksim(1)'s synopsis (the user's documentation, not the
# command's own list): each is in forksim help and forksim --help (the same text), and each
# one's --help is forksim help SUB; forksim help lists no subcommand the page lacks.
man_subs=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/s/^\.B forksim \([a-z][a-z]*\).*/\1/p' man/forksim.1 | sort -u)
[ "$(echo "$man_subs" | wc -w)" -ge 7 ] && ok || bad "man/forksim.1's synopsis names fewer subcommands than forksim has: fix this check"
expect_status 0 "$forksim" help
grep -q '^usage: forksim run FILE' "$tmp/out" || bad "forksim help does not show the usage"
cp "$tmp/out" "$tmp/help-all"
"$forksim" --help >"$tmp/usage" 2>&1
cmp -s "$tmp/help-all" "$tmp/usage" && ok || bad "forksim help and forksim --help differ"
listed=$(sed -n 's/^ *\(usage:\)\{0,1\} *forksim \([a-z][a-z]*\).*/\2/p' "$tmp/help-all" | sort -u)
[ "$listed" = "$man_subs" ] && ok || bad "forksim help lists $(echo $listed), forksim(1) $(echo $man_subs)"
for sub in $man_subs; do
    expect_status 0 "$forksim" "$sub" --help
    grep -q "^usage: forksim $sub" "$tmp/out" && ok || bad "forksim $sub --help shows no usage"
    cp "$tmp/out" "$tmp/help1"
    expect_status 0 "$forksim" help "$sub"
    cmp -s "$tmp/out" "$tmp/help1" && ok || bad "forksim help $sub is not forksim $sub --help"
done
expect_status 2 "$forksim" help frobnicate
"$forksim" run --help >"$tmp/out"
for o in format seed stop-at sites all explain record save-decisions; do
    grep -q "^  --$o\b" "$tmp/out" && ok || bad "forksim run --help does not list --$o"
done
"$forksim" run traces/walkthrough.fsim --seed=5 --stop-at=150 --format=jsonl >"$tmp/eq"
"$forksim" run --seed 5 --stop-at 150 --format jsonl traces/walkthrough.fsim >"$tmp/sp"
[ -s "$tmp/eq" ] && cmp -s "$tmp/eq" "$tmp/sp" && ok || bad "--opt=value and --opt value differ"
"$forksim" run traces/walkthrough.fsim -- >/dev/null 2>&1 && ok || bad "-- does not end the options"
# the race explorer's options too (explore FILE --schedules): both forms, and --help
"$forksim" explore traces/walkthrough.fsim --schedules --bound=0 --max-runs=40 --format=jsonl --no-progress >"$tmp/eq" 2>&1
"$forksim" explore --schedules --bound 0 --max-runs 40 --format jsonl --no-progress traces/walkthrough.fsim >"$tmp/sp" 2>&1
[ -s "$tmp/eq" ] && grep -q '"type":"summary"' "$tmp/eq" && cmp -s "$tmp/eq" "$tmp/sp" && ok \
    || bad "explore --schedules: --opt=value and --opt value differ"
expect_status 0 "$forksim" explore traces/walkthrough.fsim --schedules --help
for o in bound no-bound pct runs seed no-prune stop-on shard format save max-runs no-progress shrink; do
    grep -q "^  --$o\b" "$tmp/out" && ok || bad "forksim explore FILE --schedules --help does not list --$o"
done
expect_status 2 "$forksim" explore traces/walkthrough.fsim --schedules --bound
grep -q "^forksim: explore: --bound needs a value" "$tmp/err" && ok || bad "explore --schedules: a missing value is not named"
expect_status 2 "$forksim" run traces/walkthrough.fsim --seed
grep -q "^forksim: run: --seed needs a value" "$tmp/err" && ok || bad "a missing value is not named"
expect_status 2 "$forksim" run traces/walkthrough.fsim --format=xml
grep -q "^forksim: run: --format" "$tmp/err" && ok || bad "a bad --format is not named"
expect_status 2 "$forksim" explore traces/walkthrough.fsim --faults --bogus
grep -q "^forksim: explore: unknown option '--bogus'" "$tmp/err" && ok || bad "explore: an unknown option is not named"
expect_status 2 "$forksim" replay --bogus x
expect_status 2 "$forksim" --bogus
grep -q "^forksim: unknown option '--bogus'" "$tmp/err" && ok || bad "forksim --bogus is not an unknown option"
expect_status 0 "$forksim" explore traces/walkthrough.fsim --faults --fault=send-fails --run=1 --fork glibc
expect_status 2 "$forksim" explore traces/walkthrough.fsim --faults --fault=sideways

# README.md, "Writing your first scenario": the commands it gives beyond the quoted runs
# (tools/check-quoted.pl checks those): the changed expectation fails with status 1 at its
# line, a misspelt directive with status 2 and file:line, the diagram and the graph are written.
expect_status 0 "$forksim" run traces/first.fsim
line=$(grep -n '^expect child inbox SEND|RECEIVE urefs 3$' traces/first.fsim | cut -d: -f1)
sed 's/^expect child inbox SEND|RECEIVE urefs 3$/expect child inbox SEND|RECEIVE urefs 2/' traces/first.fsim >"$tmp/first.fsim"
expect_status 1 "$forksim" run "$tmp/first.fsim"
grep -q "first.fsim:$line: " "$tmp/out" && ok || bad "first.fsim with urefs 2: no failure at line $line"
sed 's/^have fd file$/have fd fiel/' traces/first.fsim >"$tmp/first.fsim"
expect_status 2 "$forksim" run "$tmp/first.fsim"
grep -q "first.fsim:[0-9]*: " "$tmp/err" && ok || bad "first.fsim misspelt: no file:line error"
expect_status 0 "$forksim" run traces/first.fsim --format=mermaid --explain
grep -q '^    Note over parent: ' "$tmp/out" && ok || bad "first.fsim --format=mermaid --explain has no note"
if command -v dot >/dev/null; then
    "$forksim" run traces/first.fsim --format=dot | dot -Tsvg >"$tmp/first.svg" && grep -q '<svg' "$tmp/first.svg" \
        && ok || bad "first.fsim --format=dot | dot -Tsvg"
fi

# --version: the compiled fork source is the package's file, byte for byte (by sha256).
expect_status 0 "$forksim" --version
if [ -z "${GLIBC_SRC:-}" ]; then
    tarball=$(ls /usr/src/glibc/glibc-*.tar.xz | head -n 1)
    top=$(basename "$tarball" .tar.xz)
    want=$(tar -xJOf "$tarball" "$top/sysdeps/mach/hurd/_Fork.c" | sha256sum | cut -d' ' -f1)
    if grep -q "_Fork.c sha256 $want" "$tmp/out"; then ok; else bad "--version's sha256 is not the tarball's _Fork.c ($want)"; fi
fi

# --sites: the fork's RPCs carry their _Fork.c line.
expect_status 0 "$forksim" run traces/walkthrough.fsim --sites
grep -q 'trap task_create(1, 1) = KERN_SUCCESS -> 16  @ _Fork.c:167$' "$tmp/out" \
    && ok || bad "--sites: task_create is not annotated _Fork.c:167"
grep -q 'proc_child(4, 16) = KERN_SUCCESS  @ _Fork.c:541$' "$tmp/out" \
    && ok || bad "--sites: proc_child is not annotated _Fork.c:541"

# --explain: a note after the fork's RPCs, none on the servers' lines.
expect_status 0 "$forksim" run traces/walkthrough.fsim --explain
grep -q 'trap task_create(1, 1) = KERN_SUCCESS -> 16    # the child task' "$tmp/out" && ok || bad "--explain: task_create has no note"
grep -q 't1.1 .*    # ' "$tmp/out" && bad "--explain: a server's line has a note" || ok

# The tasks legend comes before the trace; a server's reply names the request it answers: a
# receive of the same thread, whose message id is the reply's less 100 (MIG's convention).
expect_status 0 "$forksim" run traces/walkthrough.fsim
sed -n 2p "$tmp/out" | grep -q '^tasks: t1 proc, ' && ok || bad "the tasks legend is not the trace's second line"
awk '{ if (match($0, /^ *[0-9]+ t[0-9]+\.[0-9]+ /)) { split($0, f, " "); who[f[1]] = f[2];
           if (match($0, /-> id [0-9]+/)) rid[f[1]] = substr($0, RSTART + 6, RLENGTH - 6) }
       if (match($0, /id [0-9]+ [a-z0-9_]+ reply, .* answers the request of step [0-9]+$/)) {
           split($0, f, " "); n++; s = $NF; split(substr($0, RSTART), g, " ");
           if (who[s] != f[2] || rid[s] + 100 != g[2]) bad++ } }
     END { exit !(n > 0 && bad == 0) }' "$tmp/out" \
    && ok || bad "a reply names a request its thread did not receive"
grep -q 'id 24025 proc_mark_exit$' "$tmp/out" && ok || bad "the proc server's receive of id 24025 is not named proc_mark_exit"

# --format=jsonl: one object a line, ending with the verdict.
expect_status 0 "$forksim" run traces/walkthrough.fsim --format=jsonl
if awk '!/^\{.*\}$/ {bad = 1} END {exit bad}' "$tmp/out"; then ok; else bad "jsonl: a line is not an object"; fi
tail -n 1 "$tmp/out" | grep -q '"type":"verdict","verdict":"ok","expected":true' && ok || bad "jsonl: no verdict line"
grep -q '"routine":"task_create","args":\[{"param":"target_task","text":"1","value":1},{"param":"inherit_memory","text":"1","value":1}\],"result":"KERN_SUCCESS","outs":\[{"text":"16","value":16}\]' "$tmp/out" \
    && ok || bad "jsonl: task_create is not an rpc object with structured arguments"
grep -q '"type":"fd","process":"child","task":7,"fd":2,' "$tmp/out" && ok || bad "jsonl: no descriptor line"
# the formats of item 3 and 4, every scenario, against the schema and strict checkers
# (tools/check-formats.py, make formats); here only that each is accepted and written
for f in json mermaid dot perfetto; do
    expect_status 0 "$forksim" run traces/walkthrough.fsim --format "$f"
    [ -s "$tmp/out" ] && ok || bad "--format $f writes nothing"
done

# --stop-at: both spaces at that step.
expect_status 0 "$forksim" run traces/walkthrough.fsim --stop-at 150
grep -q "name spaces at the --stop-at step" "$tmp/out" && ok || bad "--stop-at: no spaces at the step"
expect_status 2 "$forksim" run traces/walkthrough.fsim --stop-at zero

# --record and replay: the same events; a tampered recording is caught at its line.
expect_status 0 "$forksim" run traces/walkthrough.fsim --seed 3 --record "$tmp/run.txt"
expect_status 0 "$forksim" replay "$tmp/run.txt"
grep -q "the same events as recorded" "$tmp/out" && ok || bad "replay: not the same events"
sed 's/proc_child(4, 16) = KERN_SUCCESS/proc_child(4, 16) = KERN_FAILURE/' "$tmp/run.txt" >"$tmp/tampered.txt"
expect_status 1 "$forksim" replay "$tmp/tampered.txt"
grep -q "replay differs at trace line" "$tmp/out" && ok || bad "replay: a difference is not reported"
# A recording travels: replayed from another directory (its scenario's text is in it), and a
# build from other glibc files than the recording's is named.
case $forksim in /*) fs=$forksim ;; *) fs=$PWD/$forksim ;; esac
mkdir -p "$tmp/elsewhere"
(cd "$tmp/elsewhere" && "$fs" replay "$tmp/run.txt" >"$tmp/out" 2>"$tmp/err")
[ $? -eq 0 ] && grep -q "the same events as recorded" "$tmp/out" && ok || bad "replay from another directory: $(cat "$tmp/err")"
grep -q "^scenario-text [0-9]" "$tmp/run.txt" && ok || bad "--record: no scenario text"
want=$("$forksim" --version | grep -c ' sha256 ')
[ "$(grep -c '^glibc .* [0-9a-f]\{64\}$' "$tmp/run.txt")" = "$want" ] && ok || bad "--record: not one glibc line per file built in"
sed '0,/^glibc /s/^\(glibc [^ ]*\) [0-9a-f]\{64\}$/\1 0000000000000000000000000000000000000000000000000000000000000000/' "$tmp/run.txt" >"$tmp/other-build.txt"
expect_status 0 "$forksim" replay "$tmp/other-build.txt"
grep -q "the build differs from the recording's: .* sha256 000000000000... recorded" "$tmp/out" && ok \
    || bad "replay: a recording from another build is not said to be"
printf 'forksim-run 1\nscenario x\npicks oops\n' >"$tmp/broken.txt"
expect_status 2 "$forksim" replay "$tmp/broken.txt"
grep -q "broken.txt:3: " "$tmp/err" && ok || bad "replay: a broken file is not reported as file:line"

# A scenario's decision list replays its recorded schedule: the same trace as the seeded run.
"$forksim" run traces/random.fsim | sed '/^--- summary/,$d' >"$tmp/random.txt"
"$forksim" run traces/random-replay.fsim | sed '/^--- summary/,$d' >"$tmp/replayed.txt"
cmp -s "$tmp/random.txt" "$tmp/replayed.txt" && ok || bad "random-replay.fsim does not replay random.fsim's schedule"

# A failing expectation fails the run.
printf 'forksim-scenario 1\nparent fork -> ok\nchild exit 0\nparent wait -> status 1\n' >"$tmp/fail.fsim"
expect_status 1 "$forksim" run "$tmp/fail.fsim"
grep -q "fail.fsim:4: wait: expected exit status 1, got status 0x0" "$tmp/out" && ok || bad "a failed wait expectation is not reported"

# A decision list that ends early or stops fitting is the user's input gone stale: never
# "verdict: ok", exit 2, and the error names the scenario's decisions line (issue 12).
mkdir -p "$tmp/dec"
cp traces/random-replay.fsim "$tmp/dec/"
dline=$(grep -n '^decisions ' traces/random-replay.fsim | cut -d: -f1)
picks=$(grep -c '^pick ' traces/random-9.decisions)
head -n $((picks / 2)) traces/random-9.decisions >"$tmp/dec/random-9.decisions"
expect_status 2 "$forksim" run "$tmp/dec/random-replay.fsim"
grep -q "verdict: ok" "$tmp/out" && bad "a decision list that ends early gives verdict: ok" || ok
grep -q "random-replay.fsim:$dline: decisions .*random-9.decisions: the list does not fit this run (replay diverged at step" "$tmp/err" \
    && ok || bad "a decision list that ends early is not reported at the decisions line"
awk -v n=$((picks / 2)) '/^pick / && ++k == n {print "pick 999"; next} {print}' traces/random-9.decisions >"$tmp/dec/random-9.decisions"
expect_status 2 "$forksim" run "$tmp/dec/random-replay.fsim"
grep -q "recorded pick thread 999 cannot run" "$tmp/err" && ok || bad "a diverging decision list is not reported with its reason"
head -n 5 traces/random-9.decisions >"$tmp/dec/random-9.decisions"
expect_status 2 "$forksim" run "$tmp/dec/random-replay.fsim"
grep -q "random-replay.fsim:$dline: decisions .*: the simulation could not start: the boot did not finish: replay diverged at step" "$tmp/err" \
    && ok || bad "a divergence during the boot does not say why, at the decisions line"
rm "$tmp/dec/random-9.decisions"
expect_status 2 "$forksim" run "$tmp/dec/random-replay.fsim"
grep -q "random-replay.fsim:$dline: decisions: .*random-9.decisions: No such file" "$tmp/err" \
    && ok || bad "a missing decision list is not reported at the decisions line"

# Numbers in options are checked, not wrapped or saturated (issue 12).
expect_status 2 "$forksim" run traces/walkthrough.fsim --stop-at -1
grep -q "stop-at needs a step number" "$tmp/err" && ok || bad "--stop-at -1 is not refused with a reason"
expect_status 2 "$forksim" run traces/walkthrough.fsim --seed 18446744073709551616
expect_status 2 "$forksim" run traces/walkthrough.fsim --seed -1
expect_status 2 "$forksim" explore traces/walkthrough.fsim --faults --run 4294967297
grep -q "run needs a run number from 1 to 4294967295" "$tmp/err" && ok || bad "--run 4294967297 is not refused"

# Output that could not be written is an error (exit 3), and no partial file stays (item 8).
if [ -c /dev/full ]; then
    "$forksim" run traces/walkthrough.fsim >/dev/full 2>"$tmp/err"
    [ $? -eq 3 ] && grep -q "cannot write the output" "$tmp/err" && ok || bad "a full stdout does not exit 3"
fi
# --record to a full device (a copy of /dev/full made here, so that a forksim that renames over
# it replaces only the copy): written in place, exit 3, the device still a device
if mknod "$tmp/full" c 1 7 2>/dev/null; then
    "$forksim" run traces/walkthrough.fsim --record "$tmp/full" >/dev/null 2>"$tmp/err"
    [ $? -eq 3 ] && [ -c "$tmp/full" ] && ok || bad "--record to a full device does not exit 3, or replaced the device"
fi
"$forksim" run traces/walkthrough.fsim >&- 2>"$tmp/err"
[ $? -eq 3 ] && ok || bad "a closed stdout does not exit 3"
# a file that reaches the size limit: the write fails (EFBIG), PATH.tmp is removed
(trap '' XFSZ; ulimit -f 8; "$forksim" run traces/walkthrough.fsim --record "$tmp/big.txt" >/dev/null 2>"$tmp/err"; echo $? >"$tmp/rc")
[ "$(cat "$tmp/rc")" -eq 3 ] && [ ! -e "$tmp/big.txt.tmp" ] && [ ! -e "$tmp/big.txt" ] && ok \
    || bad "a record that could not be written does not exit 3, or leaves big.txt.tmp"
(trap '' XFSZ; ulimit -f 4; "$forksim" run traces/walkthrough.fsim --save-decisions "$tmp/big.dec" >/dev/null 2>"$tmp/err"; echo $? >"$tmp/rc")
[ "$(cat "$tmp/rc")" -eq 3 ] && [ ! -e "$tmp/big.dec.tmp" ] && [ ! -e "$tmp/big.dec" ] && ok \
    || bad "decisions that could not be written do not exit 3, or leave big.dec.tmp"
mkdir "$tmp/adir"
expect_status 2 "$forksim" run traces/walkthrough.fsim --record "$tmp/adir"
[ ! -e "$tmp/adir.tmp" ] && ok || bad "--record DIR leaves DIR.tmp"
expect_status 2 "$forksim" run traces/walkthrough.fsim --record "$tmp/no/such/dir/run.txt"
expect_status 2 "$forksim" replay "$tmp/adir"
grep -q "adir: is a directory" "$tmp/err" && ok || bad "replay of a directory is not named as such"
expect_status 2 "$forksim" run "$tmp/adir"
grep -q "adir: cannot read: Is a directory" "$tmp/err" && ok || bad "run of a directory does not say why"

# An unmodelled call ends the run with exit 3 and its reason, never "verdict: ok" (issue 12).
# (a process whose own task_terminate fails as SIGTERM's default action ends it: an aborting
# parent no longer ends by task_terminate, glibc's abort hangs in fork, issue 9 item 7)
printf 'forksim-scenario 1\nfault rpc 1 routine task_terminate routine-fails 5\nparent kill TERM to self\n' >"$tmp/unmodelled.fsim"
expect_status 3 "$forksim" run "$tmp/unmodelled.fsim"
grep -q "forksim: unmodelled: a simulated process survived its own task_terminate" "$tmp/err" && ok || bad "an unmodelled call does not say which"
grep -q "^verdict: unmodelled" "$tmp/out" && ok || bad "an unmodelled run does not say so in its verdict"

# forksim cost (issue 13, item 2): usage errors exit 2; a run prints its tables, or one JSON
# object a line whose first is the run's totals; a failing expectation exits 1 as run does.
expect_status 2 "$forksim" cost
expect_status 2 "$forksim" cost traces/walkthrough.fsim --format=xml
expect_status 2 "$forksim" cost "$tmp/bad.fsim"
grep -q "bad.fsim:3: unknown step 'wobble'" "$tmp/err" && ok || bad "cost: a bad line is not reported as file:line"
expect_status 2 "$forksim" cost "$tmp/adir"
expect_status 0 "$forksim" cost traces/walkthrough.fsim
grep -q '^by routine$' "$tmp/out" && grep -q '^  total ' "$tmp/out" && ok || bad "cost prints no routine table"
expect_status 0 "$forksim" cost traces/walkthrough.fsim --format=jsonl
python3 -c 'import json,sys; L=[json.loads(l) for l in open(sys.argv[1])]; assert L[0]["type"]=="cost" and L[-1]["type"]=="total"' "$tmp/out" \
    && ok || bad "cost --format=jsonl is not one JSON object a line, totals first and last"
printf 'forksim-scenario 1\nparent fork\nchild exit 0\nexpect verdict abort\n' >"$tmp/wrong.fsim"
expect_status 1 "$forksim" cost "$tmp/wrong.fsim"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
