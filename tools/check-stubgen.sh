#!/bin/sh
# Checks tools/stubgen.py's handling of a table (issue 14, item 7): copies of sim/kern/mach.stubs
# and sim/hurd/hurd.stubs, each with one defect planted by sed, must each be refused with exit
# status 2 and "TABLE:LINE: what is wrong" naming the line of the defect; the tables as they
# are must be accepted. Prints one line per failure and "stubgen: N passed, N failed".
#
# usage: tools/check-stubgen.sh
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "stubgen: $1"; failed=$((failed + 1)); }

for t in sim/kern/mach.stubs sim/hurd/hurd.stubs; do
    tools/stubgen.py "$t" >"$tmp/out.c" 2>"$tmp/err" && [ ! -s "$tmp/err" ] && ok \
        || bad "$t is refused: $(cat "$tmp/err")"
done

# plant TABLE PATTERN SED-EXPRESSION WHAT: the first line matching PATTERN, edited, must be
# refused at that line.
plant() {
    table=$1 pattern=$2 expr=$3 what=$4
    line=$(grep -n -m1 -- "$pattern" "$table" | cut -d: -f1)
    [ -n "$line" ] || { bad "$what: no line of $table matches '$pattern': fix this check"; return; }
    sed "${line}${expr}" "$table" >"$tmp/t.stubs"
    tools/stubgen.py "$tmp/t.stubs" >/dev/null 2>"$tmp/err"
    status=$?
    if [ $status -ne 2 ]; then
        bad "$what: exit status $status, wanted 2"
    elif ! grep -q "^$tmp/t.stubs:$line: " "$tmp/err"; then
        bad "$what: not reported at line $line: $(cat "$tmp/err")"
    else
        ok
    fi
}
plant sim/kern/mach.stubs '^routine mach_port_destroy' 's/on(name)/on(nmae)/' "on() naming no parameter"
plant sim/kern/mach.stubs '^    in  delta' 's/| value |/| valeu |/' "an unknown wire type"
plant sim/kern/mach.stubs '^    out child' 's/right(SEND)/right/' "a right with no kind"
plant sim/kern/mach.stubs '^routine task_create' 's/made=task_made/made/' "an unknown flag"
plant sim/kern/mach.stubs '^    in  which' 's/"%d"/"which"/' "a trace with no conversion"
plant sim/kern/mach.stubs '^    in  mscount' 's/ | "%u"$//' "a parameter line short of a field"
plant sim/hurd/hurd.stubs '^    in  pgrp' 's/int32 /ints[] /' "an array wire for a number"
plant sim/hurd/hurd.stubs '^    in  fdarray' 's/ports\[\]/ports  /' "an array without []"
plant sim/hurd/hurd.stubs '^routine proc_child' 's/ id=PROC_ID_CHILD//' "a message routine without id"
plant sim/hurd/hurd.stubs '^interface message' 's/message/messages/' "an unknown interface"
plant sim/hurd/hurd.stubs '^    in  process' 's/dest /dset /' "a message routine without its dest"
echo "stubgen: $passed passed, $failed failed"
[ $failed -eq 0 ]
