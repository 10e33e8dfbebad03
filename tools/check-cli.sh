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

# --format=jsonl: one object a line, ending with the verdict.
expect_status 0 "$forksim" run traces/walkthrough.fsim --format=jsonl
if awk '!/^\{.*\}$/ {bad = 1} END {exit bad}' "$tmp/out"; then ok; else bad "jsonl: a line is not an object"; fi
tail -n 1 "$tmp/out" | grep -q '"type":"verdict","verdict":"ok","expected":true' && ok || bad "jsonl: no verdict line"
grep -q '"routine":"task_create","args":"1, 1","result":"KERN_SUCCESS","outs":"16"' "$tmp/out" \
    && ok || bad "jsonl: task_create is not an rpc object"

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

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
