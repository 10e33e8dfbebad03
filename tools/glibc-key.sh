#!/bin/sh
# Prints the key of a glibc source: 16 hex digits of the sha256 over the sha256 of each file
# forksim takes from it (the lines "HASH  FILE" of sha256sum, in the order given). The build
# keeps each source's objects under that key (Makefile, "glibc"), so editing a file, or
# naming another tree, always means other objects, and going back finds the old ones.
#
#   tools/glibc-key.sh TREE FILE...          the files of a glibc tree (GLIBC_SRC)
#   tools/glibc-key.sh '' FILE...            the package's tarball (its files' sums are kept in
#                                            $GLIBC_KEY_CACHE, per tarball size and mtime, since
#                                            reading them means decompressing the whole tarball)
#   tools/glibc-key.sh --of SOURCE           the key of an extraction (glibc-extract.sh's SOURCE)
#
# A tree that lacks one of the files gets the key "unreadable"; its extraction then names the
# file (glibc-extract.sh).
set -u
key() { sha256sum | cut -c1-16; }
if [ "${1:-}" = "--of" ]; then
    awk '$1 == "sha256" { print $2 "  " $3 }' "$2" | key
    exit 0
fi
src=$1
shift
if [ -n "$src" ]; then
    sums=$(cd "$src" 2>/dev/null && sha256sum -- "$@" 2>/dev/null) || { echo unreadable; exit 0; }
    printf '%s\n' "$sums" | key
    exit 0
fi
tarball=$(ls /usr/src/glibc/glibc-*.tar.xz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo unreadable; exit 0; }
cache=${GLIBC_KEY_CACHE:-build/glibc}
list=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
sums="$cache/tarball-$(stat -c '%s-%Y' "$tarball")-$list.sums"
if [ ! -s "$sums" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d)
    top=$(basename "$tarball" .tar.xz)
    members=""
    for f in "$@"; do members="$members $top/$f"; done
    # shellcheck disable=SC2086
    if ! tar -xJf "$tarball" -C "$tmp" $members 2>/dev/null; then rm -rf "$tmp"; echo unreadable; exit 0; fi
    (cd "$tmp/$top" && sha256sum -- "$@") >"$sums.tmp" && mv "$sums.tmp" "$sums"
    rm -rf "$tmp"
fi
key <"$sums"
