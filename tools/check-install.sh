#!/bin/sh
# check-install.sh HEADER EXAMPLE: make install into a temporary DESTDIR (PREFIX=/usr), then
# use what was installed as a user would, from outside the tree:
#   - the EXAMPLE (tests/test_api.c) built with pkg-config's flags only, run against the shared
#     library and against the static one;
#   - the shared library's dynamic symbols are exactly the functions HEADER declares
#     FORKSIM_API, plus the version node; the static archive's global definitions the same;
#   - a user's own assert: one program calls assert() and must meet glibc's __assert_fail (its
#     message starts with the program's name, as glibc's assert.c writes it; forksim's own
#     stand-in for the simulated processes writes no name), another defines __assert_fail
#     itself and must link and get its own;
#   - both man pages render with man -l and no warning; the bash completion, sourced by bash,
#     completes what the installed command's --help lists; make uninstall leaves no file.
# Prints one line per check; exits 1 at the first failure.
set -u
header=$1 example=$2
make=${MAKE:-make}
tree=$(pwd)
d=$(mktemp -d /tmp/forksim-install.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail() { echo "install: FAIL: $*"; exit 1; }
ok() { echo "install: ok: $*"; }

$make --no-print-directory install DESTDIR="$d/root" PREFIX=/usr >"$d/install.log" 2>&1 \
    || { cat "$d/install.log"; fail "make install DESTDIR=$d/root PREFIX=/usr"; }
for f in bin/forksim lib/libforksim.so.0 lib/libforksim.so lib/libforksim.a \
         include/forksim/forksim.h lib/pkgconfig/forksim.pc share/man/man1/forksim.1 \
         share/man/man5/forksim-scenario.5 share/forksim/traces/README.md \
         share/forksim/traces/walkthrough.fsim share/bash-completion/completions/forksim; do
    [ -e "$d/root/usr/$f" ] || fail "make install did not install /usr/$f"
done
cmp -s "$header" "$d/root/usr/include/forksim/forksim.h" || fail "the installed forksim.h is not $header"
[ "$(readlink "$d/root/usr/lib/libforksim.so")" = libforksim.so.0 ] || fail "libforksim.so is not a link to libforksim.so.0"
ok "make install DESTDIR PREFIX=/usr: command, libraries, header, pkg-config file, man pages, traces"

# Out of tree: a copy of the example in a directory of its own, nothing of the source tree.
mkdir "$d/user" && cp "$example" "$d/user/example.c" || fail "copy $example"
cd "$d/user" || fail "cd $d/user"
export PKG_CONFIG_SYSROOT_DIR="$d/root" PKG_CONFIG_PATH="$d/root/usr/lib/pkgconfig"
flags=$(pkg-config --cflags --libs forksim cmocka) || fail "pkg-config --cflags --libs forksim cmocka"
sflags=$(pkg-config --cflags --static --libs forksim cmocka | sed 's/-lforksim\b/-l:libforksim.a/') \
    || fail "pkg-config --static --libs forksim cmocka"
${CC:-cc} -Wall -Werror example.c -o shared $flags 2>"$d/cc.log" || { cat "$d/cc.log"; fail "build $example with: $flags"; }
${CC:-cc} -Wall -Werror example.c -o static $sflags 2>"$d/cc.log" || { cat "$d/cc.log"; fail "build $example with: $sflags"; }
readelf -d shared | grep -q 'NEEDED.*\[libforksim\.so\.0\]' || fail "the shared build does not need libforksim.so.0"
! readelf -d static | grep -q 'NEEDED.*libforksim' || fail "the static build needs libforksim.so"
LD_LIBRARY_PATH="$d/root/usr/lib" ./shared >shared.out 2>&1 || { cat shared.out; fail "$example against libforksim.so.0"; }
./static >static.out 2>&1 || { cat static.out; fail "$example against libforksim.a"; }
ok "$example built with pkg-config only ($flags) passes against libforksim.so.0 and libforksim.a"

# Exports: the header's API, nothing else.
sed -n 's/^FORKSIM_API[^(]*[ *]\(forksim_[a-z_]*\)(.*/\1/p' "$d/root/usr/include/forksim/forksim.h" | sort >api
[ -s api ] || fail "no FORKSIM_API function in the installed header"
nm -D --defined-only "$d/root/usr/lib/libforksim.so.0" | awk '{print $3}' | sed 's/@.*//' | sort >dyn
printf 'FORKSIM_0\n' | sort - api >want
cmp -s dyn want || { diff want dyn; fail "nm -D --defined-only libforksim.so.0 is not the header's API and FORKSIM_0"; }
nm -g --defined-only "$d/root/usr/lib/libforksim.a" | awk 'NF == 3 {print $3}' | sort >sta
cmp -s sta api || { diff api sta; fail "libforksim.a defines global symbols beyond the header's API"; }
ok "exports: $(wc -l <api) functions of forksim.h (+ FORKSIM_0 in the .so), nothing else"

# A user's own assert.
cat >assert.c <<'C'
#include <assert.h>
#include <forksim.h>
int main(int argc, char **argv)
{
    (void)argv;
    forksim_open(NULL);
    forksim_close();
    assert(argc == 42);
    return 0;
}
C
cat >ownassert.c <<'C'
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <forksim.h>
void __assert_fail(const char *what, const char *file, unsigned line, const char *fn)
{
    printf("own assert: %s\n", what);
    (void)file, (void)line, (void)fn;
    exit(7);
}
int main(int argc, char **argv)
{
    (void)argv;
    forksim_open(NULL);
    forksim_close();
    assert(argc == 42);
    return 0;
}
C
for how in shared static; do
    if [ $how = shared ]; then f=$flags; else f=$sflags; fi
    ${CC:-cc} assert.c -o assert-$how $f 2>"$d/cc.log" || { cat "$d/cc.log"; fail "build assert.c ($how)"; }
    LD_LIBRARY_PATH="$d/root/usr/lib" ./assert-$how >/dev/null 2>assert.err; st=$?
    [ $st -eq 134 ] || fail "assert-$how: exit $st, not glibc's abort (134)"
    grep -q "^assert-$how: assert.c:[0-9]*: main: Assertion \`argc == 42' failed\.\$" assert.err \
        || { cat assert.err; fail "assert-$how: the failed assert did not reach glibc's __assert_fail"; }
    ${CC:-cc} ownassert.c -o ownassert-$how $f 2>"$d/cc.log" || { cat "$d/cc.log"; fail "a program defining its own __assert_fail does not link ($how)"; }
    out=$(LD_LIBRARY_PATH="$d/root/usr/lib" ./ownassert-$how); st=$?
    [ $st -eq 7 ] && [ "$out" = "own assert: argc == 42" ] || fail "ownassert-$how: exit $st, '$out': not its own __assert_fail"
done
ok "a user's assert reaches glibc's __assert_fail, a user's own __assert_fail is its own (shared and static)"

# Man pages.
for p in man1/forksim.1 man5/forksim-scenario.5; do
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$d/root/usr/share/man/$p" >man.out 2>man.err \
        || { cat man.err; fail "man -l $p"; }
    [ ! -s man.err ] || { cat man.err; fail "man --warnings -l $p warns"; }
    [ "$(wc -l <man.out)" -gt 20 ] || fail "man -l $p renders $(wc -l <man.out) lines"
done
ok "man --warnings -l renders forksim(1) and forksim-scenario(5) without a warning"

# The installed command runs an installed scenario.
"$d/root/usr/bin/forksim" run "$d/root/usr/share/forksim/traces/walkthrough.fsim" >run.out 2>&1 \
    || { cat run.out; fail "installed forksim run share/forksim/traces/walkthrough.fsim"; }
"$d/root/usr/bin/forksim" run "$d/root/usr/share/forksim/traces/random-replay.fsim" >run.out 2>&1 \
    || { cat run.out; fail "installed forksim run share/forksim/traces/random-replay.fsim (decisions beside it)"; }
ok "the installed forksim runs the installed traces"

# The bash completion, as bash loads it: subcommands from `forksim help`, options and their
# values from each `forksim SUBCOMMAND --help` of the installed command. Every option its --help
# lists must be offered (the oracle is the command's own help, not a copy of it).
if command -v bash >/dev/null; then
    cat >comp.sh <<'B'
. "$1/usr/share/bash-completion/completions/forksim" || exit 1
PATH="$1/usr/bin:$PATH"
complete -p forksim | grep -q -- '-F _forksim forksim$' || { echo "no complete -F _forksim forksim"; exit 1; }
c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _forksim; printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '; }
want() { got=$(c "${@:2}"); [ "$got" = "$1" ] || { echo "completing '${*:2}': '$got', wanted '$1'"; exit 1; }; }
want "replay run " forksim r
want "--format= " forksim run --form
want "json jsonl " forksim run --format = js
want "text " forksim run --format t
want "routine-fails " forksim explore --fault = ro
want "explore " forksim help ex
for sub in $(forksim help | sed -n 's/^ *\(usage:\)\{0,1\} *forksim \([a-z][a-z]*\).*/\2/p' | sort -u); do
    for o in $(forksim "$sub" --help | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'); do
        case " $(c forksim "$sub" "$o") " in *" $o "*|*" $o= "*) ;; *) echo "forksim $sub $o is not completed"; exit 1 ;; esac
    done
done
B
    bash comp.sh "$d/root" >comp.out 2>&1 || { cat comp.out; fail "the installed bash completion"; }
    ok "bash completion: subcommands, every option of every subcommand's --help, option values"
fi

cd "$tree" || exit 1
$make --no-print-directory uninstall DESTDIR="$d/root" PREFIX=/usr >"$d/uninstall.log" 2>&1 \
    || { cat "$d/uninstall.log"; fail "make uninstall"; }
left=$(find "$d/root" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
ok "make uninstall removes every file it installed"
