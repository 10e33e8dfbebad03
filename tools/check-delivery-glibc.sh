#!/bin/sh
# Signal delivery is glibc's (issue 9, item 1): the four functions that decide what a signal
# does (hurd/hurdsig.c: post_signal, _hurdsig_abort_rpcs, _hurd_internal_post_signal;
# hurd/intr-msg.c: _hurd_intr_rpc_mach_msg) must be defined in the library by glibc's own
# objects (sig-hurdsig.o, sig-intr-msg.o, compiled from the package) and by no object of
# forkimpl/ or sim/. Then the same check on a copy of the archive with a planted object of
# ours defining post_signal must fail, so the check can fail.
#
# usage: tools/check-delivery-glibc.sh LIBFORKSIM.a
set -u
LC_ALL=C
export LC_ALL
lib=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
syms="post_signal _hurdsig_abort_rpcs _hurd_internal_post_signal _hurd_intr_rpc_mach_msg"

check() {
    nm -A --defined-only "$1" 2>/dev/null | awk -v syms="$syms" '
        BEGIN { n = split(syms, s, " "); for (i = 1; i <= n; i++) want[s[i]] = 1 }
        NF >= 3 && ($NF in want) && $(NF - 1) ~ /^[TtWw]$/ {
            member = $1; sub(/:[^:]*$/, "", member); sub(/.*:/, "", member)
            if (member ~ /^sig-(hurdsig|intr-msg)\.o$/) found[$NF] = 1
            else { printf "delivery: %s defined by %s, not by glibc'"'"'s code\n", $NF, member; bad = 1 }
        }
        END {
            for (k in want) if (!(k in found)) { printf "delivery: %s is not defined by glibc'"'"'s objects\n", k; bad = 1 }
            exit bad
        }'
}

check "$lib" || exit 1
# the planted defect: an object of ours that defines post_signal
printf 'int post_signal(void); int post_signal(void) { return 0; }\n' >"$tmp/ours.c"
cc -c "$tmp/ours.c" -o "$tmp/fi-planted.o" || exit 1
cp "$lib" "$tmp/planted.a" && ar rs "$tmp/planted.a" "$tmp/fi-planted.o" 2>/dev/null
if check "$tmp/planted.a" >"$tmp/out"; then
    echo "delivery: a planted post_signal of ours went unnoticed: this check cannot fail"
    exit 1
fi
grep -q "post_signal defined by fi-planted.o" "$tmp/out" || { echo "delivery: the planted defect failed for another reason:"; cat "$tmp/out"; exit 1; }
echo "delivery: $(echo $syms | wc -w) functions of glibc's signal delivery defined by glibc's objects only; a planted one of ours fails the check"
