#!/bin/sh
# check-signames.sh FORKSIM: `forksim signals` (the table of sim/cli/signames.c) against the
# Hurd's headers of the packaged glibc tarball, read here at test time: every "#define SIGNAME
# N" of bits/signum-generic.h, then of sysdeps/mach/hurd/bits/signum-arch.h (the later one
# wins, as the arch header overrides the generic one), aliases ("#define SIGIO SIGPOLL")
# resolved, and the Hurd's __SIGRTMAX as the highest number. The two lists must be equal, name
# for name. Then a scenario's `kill` must take each name, SIG-name and number, and post the
# header's number (msg_sig_post's second argument in the trace).
# Prints one line; exit 1 on a difference.
set -u
forksim=$1
tarball=$(ls /usr/src/glibc/glibc-*.tar.xz 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then echo "signames: skipped: no /usr/src/glibc/glibc-*.tar.xz (glibc-source)"; exit 0; fi
top=$(basename "$tarball" .tar.xz)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" "$top/bits/signum-generic.h" "$top/sysdeps/mach/hurd/bits/signum-arch.h" \
    || { echo "signames: FAIL: cannot read the signal headers from $tarball"; exit 1; }
cat "$tmp/$top/bits/signum-generic.h" "$tmp/$top/sysdeps/mach/hurd/bits/signum-arch.h" |
    awk '$1 == "#define" && ($2 ~ /^SIG[A-Z0-9]+$/ || $2 ~ /^__SIGRTM/) { v[$2] = $3 }
         END { max = v["__SIGRTMAX"]; while (max in v) max = v[max];
               for (n in v) { if (n !~ /^SIG/) continue; x = v[n]; while (x in v) x = v[x];
                              if (x ~ /^[0-9]+$/ && x + 0 >= 1 && x + 0 <= max) print x, n }
               print "max", max }' | sort -n >"$tmp/headers"
max=$(sed -n 's/^max //p' "$tmp/headers")
sed -i '/^max /d' "$tmp/headers"
[ "$(wc -l <"$tmp/headers")" -gt 30 ] || { echo "signames: FAIL: read only $(wc -l <"$tmp/headers") signals from the headers"; exit 1; }
"$forksim" signals | awk '{ print $1 + 0, $2 }' | sort -n >"$tmp/table" \
    || { echo "signames: FAIL: forksim signals"; exit 1; }
if ! cmp -s "$tmp/headers" "$tmp/table"; then
    echo "signames: FAIL: forksim signals differs from $top's Hurd headers (< headers, > forksim):"
    diff "$tmp/headers" "$tmp/table"
    exit 1
fi
# kill in a scenario: the three spellings of a few signals, and what is posted.
n=0
for sig in USR1 CHLD INFO LOST TERM; do
    num=$(awk -v s="SIG$sig" '$2 == s { print $1 }' "$tmp/headers")
    low=$(echo "$sig" | tr 'A-Z' 'a-z')
    for w in "$sig" "SIG$sig" "sig$low" "$num"; do
        printf 'forksim-scenario 1\nparent fork -> ok\nchild yield\nparent kill %s\nparent wait\n' "$w" >"$tmp/k.fsim"
        "$forksim" run "$tmp/k.fsim" >"$tmp/out" 2>"$tmp/err"
        grep -q "msg_sig_post([0-9]*, $num, " "$tmp/out" \
            || { echo "signames: FAIL: kill $w does not post $num: $(head -n 1 "$tmp/err")"; exit 1; }
        n=$((n + 1))
    done
done
for w in 0 $((max + 1)) SIGNONE USR3 -1; do
    printf 'forksim-scenario 1\nparent fork -> ok\nparent kill %s\n' "$w" >"$tmp/k.fsim"
    "$forksim" run "$tmp/k.fsim" >/dev/null 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "k.fsim:3: kill SIGNAL" "$tmp/err" \
        || { echo "signames: FAIL: kill $w is not refused at its line"; exit 1; }
done
echo "signames: ok: $(wc -l <"$tmp/table") names of 1 to $max, as $top's Hurd headers; kill takes $n spellings, refuses 5"
