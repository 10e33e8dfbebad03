# scratch-glibc.sh: sourced by the checks that build forksim from an edited copy of glibc's
# files (check-anchors.sh, check-exec-retry.sh, check-hang-on-fork.sh). Each makes the copy,
# edits it with sed or awk as a glibc developer would, then builds forksim from it through
# GLIBC_SRC; nothing of the copy is kept.

# scratch_extract DIR: the files forksim takes from a glibc tree (the Makefile's GLIBC_FILES),
# extracted from the package's tarball (/usr/src/glibc) into DIR; sets $tree to the copy's top.
scratch_extract() {
    scratch_tarball=$(ls /usr/src/glibc/glibc-*.tar.xz | head -n 1)
    scratch_top=$(basename "$scratch_tarball" .tar.xz)
    scratch_files=${GLIBC_FILES:?the Makefile passes GLIBC_FILES}
    tar -xJf "$scratch_tarball" -C "$1" $(for f in $scratch_files; do echo "$scratch_top/$f"; done) ||
        return 1
    tree="$1/$scratch_top"
}

# scratch_build FORKSIM SCRATCH TREE LOG: SCRATCH/forksim built from TREE. The objects that do
# not depend on glibc are copied from FORKSIM's build (timestamps kept), so make rebuilds only
# glibc's code and what links it. SAN_BUILD is a scratch name too: the nested make must leave
# the sanitizer build alone (make check builds it at the same time). On failure, the log's
# tail is shown.
scratch_build() {
    rm -rf "$2" "$2-san"
    cp -a "$(dirname "$1")" "$2"
    rm -rf "$2/glibc" "$2/results" "$2/tests" "$2/forksim" "$2/libforksim.a"
    make --no-print-directory BUILD="$2" SAN_BUILD="$2-san" GLIBC_SRC="$3" "$2/forksim" >"$4" 2>&1 ||
        { tail -20 "$4"; return 1; }
}
