#!/bin/sh
# Builds forksim from each glibc tree given and runs it: prints the README's release table, a
# Markdown table with one row per tree (in the order given), then a note for each scenario
# whose output is not its golden one, saying how.
#
# Per tree: whether forksim builds from it (make GLIBC_SRC=TREE, the shims chosen by the feature
# probe, tools/glibc-features.sh); every scenario of traces/ against its golden output (which
# records glibc 2.36's behaviour): "same" byte for byte, "differs" when its expectations hold
# but the output is another (the note says whether only step and line numbers moved, or which
# line first differs once they are set aside), "fails" when its expectations do not hold; and
# from the walkthrough's trace, the RPCs of the fork (those --sites attributes to a _Fork.c
# line) made by the parent and by the child, and the parent process's start-up RPCs (the set-up
# that --all shows, before the scenario's steps begin).
#
# usage: tools/glibc-versions.sh [LABEL=]TREE...
#   LABEL names the row (default: the VERSION of TREE/version.h, else TREE's base name, and
#   the commit when TREE is a git work tree). Builds go to $FORKSIM_VERSIONS_BUILD
#   (default build-versions/), one directory per row, kept between runs; make's output in
#   ROW.log there. JOBS (default 2) is make's -j. Run from forksim's top directory.
set -u
usage="usage: tools/glibc-versions.sh [LABEL=]TREE...   (glibc source trees; see the script's header)"
if [ $# -eq 0 ]; then echo "$usage" >&2; exit 2; fi
if [ "$1" = --help ]; then echo "$usage"; exit 0; fi
if [ ! -f tools/glibc-versions.sh ] || [ ! -d traces ]; then
    echo "tools/glibc-versions.sh: run it from forksim's top directory" >&2
    exit 2
fi
out=${FORKSIM_VERSIONS_BUILD:-build-versions}
jobs=${JOBS:-2}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Check every argument before the first (long) build.
for arg in "$@"; do
    tree=${arg#*=}
    if [ ! -f "$tree/sysdeps/mach/hurd/_Fork.c" ]; then
        echo "tools/glibc-versions.sh: $tree: not a glibc tree (no sysdeps/mach/hurd/_Fork.c)" >&2
        exit 2
    fi
done

# normalize FILE: a trace with step numbers, _Fork.c line numbers and the count of hidden
# set-up lines set aside, so that what remains is what happened.
normalize() {
    sed -e 's/^ *[0-9][0-9]* //' -e 's/@ _Fork\.c:[0-9]*/@ _Fork.c/' \
        -e 's/\.\.\. [0-9]* lines of boot/... N lines of boot/' "$1"
}

# row_label ARG: the row's name.
row_label() {
    case $1 in
    *=*) echo "${1%%=*}"; return ;;
    esac
    v=$(sed -n 's/^#define[ 	]*VERSION[ 	]*"\(.*\)".*/\1/p' "$1/version.h" 2>/dev/null)
    [ -n "$v" ] || v=$(basename "$1")
    c=$(git -C "$1" rev-parse --short=10 HEAD 2>/dev/null) && v="$v ($c)"
    echo "$v"
}

echo "| release | builds | scenarios: same / differ / fail (of N) | fork RPCs: parent | child | parent's start-up RPCs |"
echo "|---|---|---|---|---|---|"
for arg in "$@"; do
    tree=$(cd "${arg#*=}" && pwd)
    label=$(row_label "$arg")
    dir=$out/$(printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_')
    echo "glibc-versions: $label: building from $tree into $dir" >&2
    # SAN_BUILD too: nothing of the checkout's own builds is touched.
    if ! make --no-print-directory -j"$jobs" GLIBC_SRC="$tree" BUILD="$dir" SAN_BUILD="$dir-san" "$dir/forksim" \
        >"$dir.log" 2>&1; then
        # What the compiler or tools/glibc-lacks.sh said, not make's echo of a command.
        why=$(grep -v -E '^(cc|gcc|clang|rm|ar|objcopy|awk|tools/)[ /]' "$dir.log" |
            grep -m1 -A1 -E 'forksim:|error:' | tr '\n' ' ' | sed 's/  */ /g; s/ $//' | cut -c1-160)
        echo "| $label | no: ${why:-see $dir.log} | - | - | - | - |"
        continue
    fi
    fs=$dir/forksim
    same=0; differ=0; fail=0; total=0
    for scn in traces/*.fsim; do
        name=$(basename "$scn" .fsim)
        golden=traces/$name.expected
        total=$((total + 1))
        "$fs" run "$scn" >"$tmp/out" 2>&1
        status=$?
        if [ "$status" -eq 0 ] && { [ ! -f "$golden" ] || cmp -s "$tmp/out" "$golden"; }; then
            same=$((same + 1))
            continue
        fi
        if [ "$status" -ne 0 ]; then
            fail=$((fail + 1))
            why=$(grep -E '^traces/[^:]*:[0-9]+: ' "$tmp/out" | head -n 2 | sed 's/^traces\/[^:]*:/line /' |
                tr '\n' ';' | sed 's/;$//; s/;/; /g')
            [ -n "$why" ] || why=$(grep -m1 '^verdict' "$tmp/out")
            note="fails (exit $status): ${why:-$(tail -n 1 "$tmp/out")}"
        else
            differ=$((differ + 1))
            normalize "$golden" >"$tmp/g"
            normalize "$tmp/out" >"$tmp/o"
            if cmp -s "$tmp/g" "$tmp/o"; then
                note="differs in step and _Fork.c line numbers only"
            else
                diff "$tmp/g" "$tmp/o" >"$tmp/d"
                was=$(grep -m1 '^<' "$tmp/d" | sed 's/^< *//; s/  */ /g')
                now=$(grep -m1 '^>' "$tmp/d" | sed 's/^> *//; s/  */ /g')
                note="differs, first at: \"$was\" (2.36) / \"$now\" (here)"
            fi
        fi
        # Releases whose run says the same are listed together (in the order given).
        key=$( { echo "$note"; normalize "$tmp/out"; } | sha256sum | cut -c1-16)
        mkdir -p "$tmp/notes.d/$name"
        [ -f "$tmp/notes.d/$name/$key" ] || { echo "$note" >"$tmp/notes.d/$name/$key"; echo "$key" >>"$tmp/notes.d/$name/order"; }
        echo "$label" >>"$tmp/notes.d/$name/$key.who"
    done
    # The walkthrough: the fork's RPCs per task, and the parent's start-up.
    "$fs" run traces/walkthrough.fsim --sites >"$tmp/w" 2>&1
    parent=$(sed -n 's/^tasks:.* t\([0-9]*\) the parent.*/\1/p' "$tmp/w")
    child=$(sed -n 's/^tasks:.* t\([0-9]*\) the child.*/\1/p' "$tmp/w")
    prpc=$(grep -c "^ *[0-9]* t$parent\.[0-9]* .* @ _Fork\.c:" "$tmp/w")
    crpc=$(grep -c "^ *[0-9]* t$child\.[0-9]* .* @ _Fork\.c:" "$tmp/w")
    "$fs" run traces/walkthrough.fsim --all >"$tmp/a" 2>&1
    srpc=$(sed '/set-up done/q' "$tmp/a" | grep -c "^ *[0-9]* t$parent\.[0-9]* ")
    if [ -z "$parent" ] || [ -z "$child" ]; then prpc=-; crpc=-; srpc=-; fi   # no fork ran
    echo "| $label | yes | $same / $differ / $fail (of $total) | $prpc | $crpc | $srpc |"
done
if [ -d "$tmp/notes.d" ]; then
    echo
    echo "Scenarios whose output is not their golden one (the goldens record glibc 2.36):"
    echo
    for d in "$tmp"/notes.d/*/; do
        name=$(basename "$d")
        while read -r key; do
            who=$(tr '\n' ',' <"$d/$key.who" | sed 's/,$//; s/,/, /g')
            echo "- $name on $who: $(cat "$d/$key")"
        done <"$d/order"
    done
fi
