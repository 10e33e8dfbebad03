#!/bin/sh
# Says which symbols the compiled glibc code imports that nothing here defines: neither
# forksim's own objects nor the host's libc and libunwind. With a glibc tree other than 2.36
# (GLIBC_SRC), this is what its fork code still needs from forkimpl/. Prints one line and
# exits 0 when nothing is lacking; otherwise lists the symbols and exits 1.
#
# usage: tools/glibc-lacks.sh "GLIBC_OBJECTS" "FORKSIM_OBJECTS"
set -u
glibc_objs=$1
own_objs=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
nm -u $glibc_objs 2>/dev/null | awk '$1 == "U" {print $2}' | sort -u >"$tmp/needed"
# shellcheck disable=SC2086
nm --defined-only $own_objs $glibc_objs 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u >"$tmp/own"
for lib in /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libunwind.so.8; do
    [ -r "$lib" ] && nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//'
done | sort -u >"$tmp/host"
comm -23 "$tmp/needed" "$tmp/own" | comm -23 - "$tmp/host" | grep -v '^_GLOBAL_OFFSET_TABLE_$' >"$tmp/lacking"
if [ -s "$tmp/lacking" ]; then
    echo "forksim: the glibc code needs symbols forkimpl/ does not provide yet:"
    sed 's/^/  /' "$tmp/lacking"
    exit 1
fi
echo "glibc code: every symbol it imports is provided (forkimpl/ or the host libc)"
