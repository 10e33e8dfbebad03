#!/bin/sh
# Runs every scenario of DIR with two builds of forksim, each with its own glibc source (make
# compare: the base is the package's or BASE_SRC's, the patched one GLIBC_SRC's) and says, per
# scenario, what the patch changed:
#
#   - the verdict and its reason on each side (an abort's message, an expectation not met);
#   - the RPCs of the parent and of the child on each side, counted from the trace (an
#     aborted run counts what it made);
#   - the first semantic difference: the two RPC sequences of the parent and the child
#     aligned (diff) on routine, arguments, result and what came back, never on the _Fork.c
#     line (a line added above a call moves it, it does not change it); the first hunk aligned
#     again on the call alone, so that it reads as calls one side lacks ("base only",
#     "patched only") and calls both make with other arguments or results (a pair);
#   - the difference of both processes' final name spaces (name, rights, urefs, what it
#     denotes, label), and of the findings.
#
# _Fork.c lines in verdict reasons and findings are compared through the line map of the two
# _Fork.c files (diff): a line that only moved is the same line; a scenario's own _Fork.c
# lines (expect abort _Fork.c:N) are moved with it for the patched run. One closing line
# counts the scenarios that differ. Exit status 0 when none differs, 1 when one does, 2 for
# bad usage.
#
# usage: tools/compare.sh BASE_FORKSIM PATCHED_FORKSIM [DIR]
#   Each FORKSIM is a KEY's build (build/glibc/KEY/forksim); its _Fork.c is KEY/src/.
set -u
LC_ALL=C
export LC_ALL
if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: tools/compare.sh BASE_FORKSIM PATCHED_FORKSIM [DIR]" >&2
    exit 2
fi
a=$1
b=$2
dir=${3:-traces}
if ! ls "$dir"/*.fsim >/dev/null 2>&1; then
    echo "compare: $dir has no scenario (*.fsim)" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fork_a=$(dirname "$a")/src/sysdeps/mach/hurd/_Fork.c
fork_b=$(dirname "$b")/src/sysdeps/mach/hurd/_Fork.c

# The line map: for each line of the patched _Fork.c that the patch left alone, its number in
# the base _Fork.c ("NEW OLD" a line); the others are new.
if [ -r "$fork_a" ] && [ -r "$fork_b" ]; then
    diff --unchanged-line-format='U
' --old-line-format='O
' --new-line-format='N
' "$fork_a" "$fork_b" | awk '
        $1 == "U" { o++; n++; print n, o } $1 == "O" { o++ } $1 == "N" { n++ }' >"$tmp/linemap"
else
    : >"$tmp/linemap"
fi

# Which source each side is: the caller's names (make compare passes them; a KEY's build
# names the first tree it was extracted from, which may be another copy of the same files).
fork_sha() { "$1" --version | sed -n 's/^ *sysdeps\/mach\/hurd\/_Fork.c sha256 \(.\{12\}\).*/_Fork.c sha256 \1.../p'; }
echo "compare: base    = ${COMPARE_BASE:-$("$a" --version | sed -n 2p)} ($(fork_sha "$a"))"
echo "compare: patched = ${COMPARE_PATCHED:-$("$b" --version | sed -n 2p)} ($(fork_sha "$b"))"

# side OUT JSON PREFIX: from one run's text output and its jsonl output, the files PREFIX.*:
# verdict, reason, counts, rpcs (one a line: KEY<TAB>DISPLAY), names, findings.
# With MAP set, _Fork.c:N in what is compared becomes the base's line (or N+ when new).
side() {
    out=$1
    json=$2
    p=$3
    map=${4:-}
    awk -v mapfile="$map" -v p="$p" '
        function mapline(s,    r, pre, n, post) {
            if (mapfile == "") return s
            r = ""
            while (match(s, /_Fork\.c:[0-9]+/)) {
                pre = substr(s, 1, RSTART - 1)
                n = substr(s, RSTART + 8, RLENGTH - 8)
                post = substr(s, RSTART + RLENGTH)
                r = r pre "_Fork.c:" ((n in m) ? m[n] : n "+")
                s = post
            }
            return r s
        }
        BEGIN {
            if (mapfile != "") while ((getline l < mapfile) > 0) { split(l, f, " "); m[f[1]] = f[2] }
            nlines = 0
        }
        { line[++nlines] = $0 }
        /^tasks: / {
            n = split(substr($0, 8), parts, ", ")
            for (i = 1; i <= n; i++) {
                split(parts[i], w, " ")
                t = substr(w[1], 2) + 0
                listed[t] = 1
                if (parts[i] ~ / the parent$/) parent = t
                if (parts[i] ~ / the child$/) child = t
            }
        }
        /^verdict: / { verdict = substr($0, 10) }
        /^(abort|deadlock|livelock|expectation|expect|forksim error|task [0-9]+ is left)/ ||
        /^[^ ]+\.fsim:[0-9]+: / {
            # a failed expectation names its scenario line: the file by its base name (the
            # patched side may run a copy)
            if (reason == "") { reason = $0; sub(/^[^ ]*\//, "", reason) }
        }
        /^finding / { findings[++nf] = $0 }
        END {
            setup = 0
            for (i = 1; i <= nlines; i++) {
                l = line[i]
                if (l ~ /^--- summary/) break
                if (l ~ /# scenario: set-up done/) { setup = 1; continue }
                if (!setup) continue
                # after a failed assertion of a process, the abort path of glibc runs (issue 9, item 7):
                # its calls are not made by the fork, and are left out
                if (match(l, /# abort: task [0-9]+:/)) {
                    at = substr(l, RSTART + 14, RLENGTH - 15); aborted[at + 0] = 1; continue
                }
                if (match(l, /^ *[0-9]+ t[0-9]+\.[0-9]+ /) == 0) continue
                hdr = substr(l, 1, RLENGTH)
                body = substr(l, RLENGTH + 1)
                split(hdr, hw, " ")
                step = hw[1]
                t = substr(hw[2], 2); sub(/\..*/, "", t); t += 0
                role = ""
                if (t == parent) role = "parent"
                else if (child != "" && t == child) role = "child"
                else if (child == "" && parent != "" && t > parent && !(t in listed)) role = "child"
                if (role == "" || (t in aborted)) continue
                key = body
                sub(/  @ .*/, "", key)
                sub(/^trap /, "", key)
                cnt[role]++
                printf "%s %s\t%s\t%s\n", role, key, step, body >(p ".rpcs")
            }
            printf "parent %d, child %d\n", cnt["parent"] + 0, cnt["child"] + 0 >(p ".counts")
            print parent + 0 >(p ".parent")
            if (verdict == "") verdict = "none (forksim did not finish the run)"
            print verdict >(p ".verdict")
            r = reason != "" ? reason : (verdict ~ /expectations not met/ ? "an expectation failed" : "expectations met")
            print r >(p ".reason")
            print mapline(r) >(p ".reason.key")
            for (i = 1; i <= nf; i++) { print findings[i] >(p ".findings"); print mapline(findings[i]) >(p ".findings.key") }
            close(p ".rpcs")
        }' "$out"
    touch "$p.rpcs" "$p.findings" "$p.findings.key"
    names_of "$json" "$(cat "$p.parent")" >"$p.names"
    cut -f1 "$p.rpcs" >"$p.rpckeys"
}

# names_of JSON PARENT: the name spaces of a jsonl run, "process name<TAB>rights urefs
# (denotes) label" a line, sorted; the process told by its task (PARENT's, or another: the
# child's). The port's serial (in the jsonl since issue 14) is not shown.
names_of() {
    # spaces kept as an abort began are not the end's (at_last_rpc then compares both sides)
    grep -q '^{"type":"spaces","at":"abort"' "$1" && return 0
    sed -n 's/^{"type":"name","process":"[a-z]*","task":\([0-9]*\),"name":\([0-9]*\),"rights":"\([^"]*\)","urefs":\([0-9]*\),\("port":[0-9]*,\)\{0,1\}"denotes":"\([^"]*\)","label":"\([^"]*\)"}$/\1 \2\t\3 urefs \4 (\6) \7/p' "$1" |
        awk -v parent="$2" '{ t = $1; sub(/^[0-9]+ /, ""); print (t == parent ? "parent" : "child") " " $0 }' | sort
}

# names_diff BASE_NAMES PATCHED_NAMES: each name that differs, "process name: base -> patched";
# a process whose every name is on one side only, in one line.
names_diff() {
    join -t "$(printf '\t')" -a 1 -a 2 -e '-' -o 0,1.2,2.2 "$1" "$2" |
        sort -k1,1 -k2,2n | awk -F '\t' '
        { split($1, w, " "); p = w[1]; all[p]++; if ($2 == "-") onlyb[p]++; if ($3 == "-") onlya[p]++
          if ($2 != $3) line[++n] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                split(line[i], f, "\t"); split(f[1], w, " "); p = w[1]
                if (onlya[p] == all[p]) { if (!(p in said)) printf "    the %s: all %d names absent on the patched side\n", p, all[p]; said[p] = 1; continue }
                if (onlyb[p] == all[p]) { if (!(p in said)) printf "    the %s: all %d names absent on the base side\n", p, all[p]; said[p] = 1; continue }
                printf "    %s: %s -> %s\n", f[1], (f[2] == "-" ? "absent" : f[2]), (f[3] == "-" ? "absent" : f[3])
            }
        }'
}

# at_last_rpc X Y SCN_X SCN_Y FORKSIM_X FORKSIM_Y: side X ended without its name spaces (an
# abort): both sides' spaces just after X's last RPC (the abort's own left aside) and just
# after the same call on side Y (the calls aligned on routine and arguments), into X.at and
# Y.at; the steps in X.atstep, Y.atstep.
at_last_rpc() {
    x=$1; y=$2
    # the last RPC that is not the abort's own (a site "_Fork.c:L > FUNCTION": forksim's code
    # ending the process beneath a failed assert)
    nx=$(awk -F '\t' '$3 !~ /  @ [^ ]* > [^:]*$/ { n = NR } END { print n + 0 }' "$tmp/$x.rpcs")
    [ "$nx" -gt 0 ] || return 1
    sed 's/ = .*//' "$tmp/$x.rpckeys" >"$tmp/$x.calls"
    sed 's/ = .*//' "$tmp/$y.rpckeys" >"$tmp/$y.calls"
    # the pairs of aligned calls, "X Y"; the last pair at or before X's last RPC
    ny=$(diff --unchanged-line-format='U
' --old-line-format='O
' --new-line-format='N
' "$tmp/$x.calls" "$tmp/$y.calls" | awk -v last="$nx" '
        $1 == "U" { i++; j++; if (i <= last) k = j } $1 == "O" { i++ } $1 == "N" { j++ } END { print k + 0 }')
    [ "$ny" -gt 0 ] || return 1
    sx=$(sed -n "${nx}p" "$tmp/$x.rpcs" | cut -f2)
    sy=$(sed -n "${ny}p" "$tmp/$y.rpcs" | cut -f2)
    "$5" run "$3" --stop-at $((sx + 1)) --format=jsonl >"$tmp/$x.atjson" 2>/dev/null
    "$6" run "$4" --stop-at $((sy + 1)) --format=jsonl >"$tmp/$y.atjson" 2>/dev/null
    names_of "$tmp/$x.atjson" "$(cat "$tmp/$x.parent")" >"$tmp/$x.at"
    names_of "$tmp/$y.atjson" "$(cat "$tmp/$y.parent")" >"$tmp/$y.at"
    echo "$sx" >"$tmp/$x.atstep"
    echo "$sy" >"$tmp/$y.atstep"
    [ -s "$tmp/$x.at" ] && [ -s "$tmp/$y.at" ]
}

# first_difference A1 A2 B1 B2: base RPCs A1..A2 against patched RPCs B1..B2 (the first hunk of
# the aligned sequences), aligned again on the call alone (routine and arguments) so that a call
# one side lacks reads as such and a call both make with another result as a pair: "base only",
# "patched only", or "base" then "patched". At most 8 lines, then what is left counted.
first_difference() {
    awk -F '\t' -v a1="$1" -v a2="$2" -v b1="$3" -v b2="$4" -v fa="$tmp/a.rpcs" -v fb="$tmp/b.rpcs" '
        function call(k) { sub(/ = .*/, "", k); return k }
        function show(tag, i, side,    w) {
            if (shown == 8) { more++; return }
            shown++
            split(side == "a" ? ka[i] : kb[i], w, " ")
            printf "    %-13s RPC %d of the %s, step %s: %s\n", tag, i, w[1], side == "a" ? sa[i] : sb[i], side == "a" ? ba[i] : bb[i]
        }
        BEGIN {
            while ((getline l < fa) > 0) { n++; if (n >= a1 && n <= a2) { split(l, f, "\t"); ka[n] = f[1]; sa[n] = f[2]; ba[n] = f[3] } }
            n = 0
            while ((getline l < fb) > 0) { n++; if (n >= b1 && n <= b2) { split(l, f, "\t"); kb[n] = f[1]; sb[n] = f[2]; bb[n] = f[3] } }
            na = a2 - a1 + 1; nb = b2 - b1 + 1
            if (na > 300 || nb > 300) {     # too long to align again: each side as it is
                for (i = a1; i <= a2; i++) show("base", i, "a")
                for (j = b1; j <= b2; j++) show("patched", j, "b")
            } else {
                # longest common subsequence of the calls, from the end
                for (i = na; i >= 0; i--) for (j = nb; j >= 0; j--) {
                    if (i == na || j == nb) L[i, j] = 0
                    else if (call(ka[a1 + i]) == call(kb[b1 + j])) L[i, j] = L[i + 1, j + 1] + 1
                    else L[i, j] = L[i + 1, j] >= L[i, j + 1] ? L[i + 1, j] : L[i, j + 1]
                }
                i = 0; j = 0
                while (i < na || j < nb) {
                    if (i < na && j < nb && call(ka[a1 + i]) == call(kb[b1 + j])) {
                        show("base", a1 + i, "a"); show("patched", b1 + j, "b"); i++; j++
                    } else if (i < na && j < nb && L[i + 1, j] == L[i, j + 1] && \
                               substr(call(ka[a1 + i]), 1, index(call(ka[a1 + i]), "(")) == \
                               substr(call(kb[b1 + j]), 1, index(call(kb[b1 + j]), "("))) {
                        # the same routine with other arguments, in the same place
                        show("base", a1 + i, "a"); show("patched", b1 + j, "b"); i++; j++
                    } else if (j == nb || (i < na && L[i + 1, j] >= L[i, j + 1])) {
                        show("base only", a1 + i, "a"); i++
                    } else {
                        show("patched only", b1 + j, "b"); j++
                    }
                }
            }
            if (more > 0) printf "    ... and %d more RPC(s) of this difference\n", more
        }' </dev/null
}

total=0
differ=0
for scn in "$dir"/*.fsim; do
    name=$(basename "$scn" .fsim)
    total=$((total + 1))
    rm -f "$tmp"/a.* "$tmp"/b.*
    # A scenario that names _Fork.c lines (expect abort _Fork.c:N) names the base's: for the
    # patched fork, the same lines where they moved to (a decisions path made absolute).
    scn_b=$scn
    if [ -s "$tmp/linemap" ] && grep -q '_Fork\.c:[0-9]' "$scn"; then
        scn_b="$tmp/patched/$name.fsim"
        mkdir -p "$tmp/patched"
        awk -v mapfile="$tmp/linemap" -v dir="$(cd "$(dirname "$scn")" && pwd)" '
            BEGIN { while ((getline l < mapfile) > 0) { split(l, f, " "); m[f[2]] = f[1] } }
            $1 == "decisions" && $2 !~ /^\// { $2 = dir "/" $2 }
            {
                s = $0; r = ""
                while (match(s, /_Fork\.c:[0-9]+/)) {
                    n = substr(s, RSTART + 8, RLENGTH - 8)
                    r = r substr(s, 1, RSTART - 1) "_Fork.c:" ((n in m) ? m[n] : n)
                    s = substr(s, RSTART + RLENGTH)
                }
                print r s
            }' "$scn" >"$scn_b"
    fi
    "$a" run "$scn" --sites >"$tmp/a.out" 2>&1; sa=$?
    "$a" run "$scn" --format=jsonl >"$tmp/a.json" 2>/dev/null
    "$b" run "$scn_b" --sites >"$tmp/b.out" 2>&1; sb=$?
    "$b" run "$scn_b" --format=jsonl >"$tmp/b.json" 2>/dev/null
    side "$tmp/a.out" "$tmp/a.json" "$tmp/a"
    side "$tmp/b.out" "$tmp/b.json" "$tmp/b" "$tmp/linemap"
    same=1
    [ "$sa" = "$sb" ] || same=0
    cmp -s "$tmp/a.verdict" "$tmp/b.verdict" || same=0
    cmp -s "$tmp/a.reason.key" "$tmp/b.reason.key" || same=0
    cmp -s "$tmp/a.rpckeys" "$tmp/b.rpckeys" || same=0
    cmp -s "$tmp/a.names" "$tmp/b.names" || same=0
    cmp -s "$tmp/a.findings.key" "$tmp/b.findings.key" || same=0
    if [ $same = 1 ]; then
        echo "$name: same (verdict $(cat "$tmp/a.verdict"); RPCs $(cat "$tmp/a.counts"))"
        continue
    fi
    differ=$((differ + 1))
    echo "$name: differs"
    echo "  base     verdict $(cat "$tmp/a.verdict"): $(cat "$tmp/a.reason"); RPCs $(cat "$tmp/a.counts"); exit $sa"
    echo "  patched  verdict $(cat "$tmp/b.verdict"): $(cat "$tmp/b.reason"); RPCs $(cat "$tmp/b.counts"); exit $sb"
    hunk=$(diff "$tmp/a.rpckeys" "$tmp/b.rpckeys" | sed -n '1{/^[0-9]/p}')
    if [ -n "$hunk" ]; then
        # "A[,B]{a,c,d}C[,D]": the first difference of the two aligned sequences
        ra=${hunk%%[acd]*}
        rb=${hunk##*[acd]}
        op=$(echo "$hunk" | tr -d '0-9,')
        a1=${ra%%,*}; a2=${ra##*,}
        b1=${rb%%,*}; b2=${rb##*,}
        case $op in
        a) a1=$((a1 + 1)); a2=$((a1 - 1)) ;;
        d) b1=$((b1 + 1)); b2=$((b1 - 1)) ;;
        esac
        echo "  first RPC difference (the RPCs of the parent and the child aligned on routine, arguments and result):"
        first_difference "$a1" "$a2" "$b1" "$b2"
    else
        echo "  RPCs: the same sequence"
    fi
    if ! cmp -s "$tmp/a.names" "$tmp/b.names"; then
        if [ -s "$tmp/a.names" ] && [ -s "$tmp/b.names" ]; then
            echo "  name spaces at the end (process name: base -> patched):"
            names_diff "$tmp/a.names" "$tmp/b.names"
        elif [ -s "$tmp/a.names" ] && at_last_rpc b a "$scn_b" "$scn" "$b" "$a"; then
            echo "  name spaces just after the patched side's last RPC (step $(cat "$tmp/b.atstep")) and the base's same call (step $(cat "$tmp/a.atstep")) (process name: base -> patched):"
            names_diff "$tmp/a.at" "$tmp/b.at"
        elif [ -s "$tmp/b.names" ] && at_last_rpc a b "$scn" "$scn_b" "$a" "$b"; then
            echo "  name spaces just after the base side's last RPC (step $(cat "$tmp/a.atstep")) and the patched's same call (step $(cat "$tmp/b.atstep")) (process name: base -> patched):"
            names_diff "$tmp/a.at" "$tmp/b.at"
        else
            [ -s "$tmp/a.names" ] || echo "  name spaces: none at the end on the base side (the run did not end with both processes)"
            [ -s "$tmp/b.names" ] || echo "  name spaces: none at the end on the patched side (the run did not end with both processes)"
        fi
    fi
    if ! cmp -s "$tmp/a.findings.key" "$tmp/b.findings.key"; then
        echo "  findings:"
        diff "$tmp/a.findings" "$tmp/b.findings" | sed -n 's/^< /    base     /p; s/^> /    patched  /p'
    fi
done
echo "compare: $differ of $total scenario(s) differ"
[ $differ -eq 0 ]
