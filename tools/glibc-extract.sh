#!/bin/sh
# Puts glibc's source files that forksim compiles under OUT/, unmodified: from the Debian
# glibc-source package's tarball, or from the glibc tree named by GLIBC_SRC. Writes
# OUT/SOURCE: where they came from and each file's sha256.
#
# usage: tools/glibc-extract.sh OUT FILE...   (FILE relative to the glibc tree root)
set -eu
out=$1
shift
mkdir -p "$out"
tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
if [ -n "${GLIBC_SRC:-}" ]; then
    for f in "$@"; do
        if [ ! -f "$GLIBC_SRC/$f" ]; then
            echo "forksim: GLIBC_SRC=$GLIBC_SRC has no $f" >&2
            exit 2
        fi
        mkdir -p "$tmp/$(dirname "$f")"
        cp "$GLIBC_SRC/$f" "$tmp/$f"
    done
    origin="GLIBC_SRC=$GLIBC_SRC"
else
    tarball=$(ls /usr/src/glibc/glibc-*.tar.xz 2>/dev/null | head -n 1)
    if [ -z "$tarball" ]; then
        echo "forksim: no glibc source: install glibc-source or set GLIBC_SRC" >&2
        exit 2
    fi
    top=$(basename "$tarball" .tar.xz)
    members=""
    for f in "$@"; do members="$members $top/$f"; done
    # shellcheck disable=SC2086
    tar -xJf "$tarball" -C "$tmp" $members
    mv "$tmp/$top"/* "$tmp"/
    rmdir "$tmp/$top"
    origin="$tarball"
fi
{
    echo "origin $origin"
    for f in "$@"; do echo "sha256 $(sha256sum "$tmp/$f" | cut -d' ' -f1) $f"; done
} >"$tmp/SOURCE"
rm -rf "$out"
mv "$tmp" "$out"
