#!/bin/sh
# Checks make compare and builds keyed by source the way a glibc developer meets them: a copy
# of the package's glibc files, edited with sed as a patch would edit them, must make
# `make compare` report exactly the edit's effect, worked out here from the edit and the source
# text (which call, which name, which count), never from a run's printed numbers:
#
#   (a) `thread_refs - 1` -> `thread_refs - 2` in the mod_refs after the main thread's
#       insert_right: that mod_refs adds one uref less, so the child's main-thread name
#       (label thread-self) has one uref less, and nothing else changes in the name spaces;
#   (b) the same tree edited again (in place: the build must notice): the insert_right of the
#       signal thread's send right removed: the child lacks that name, so the mod_refs after it
#       fails with KERN_INVALID_NAME (mach_port_mod_refs on a name not in the space), and the
#       LOSE after it aborts the fork (asserts active) at that LOSE's line;
#   (c) only a comment added at the top of _Fork.c: no scenario differs, exit status 0.
#
# Then `make GLIBC_SRC=T run` and a plain `make run`, in a build directory of their own, run T's
# fork and the package's again, and forksim --version says which each time; and a header's
# change remakes the objects that include it.
#
# usage: tools/check-compare.sh BUILD FILE...   (FILE: the glibc files the build takes)
set -u
build=$1
shift
make=${MAKE:-make}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "compare check: $1"; failed=$((failed + 1)); }
have() { grep -qF -- "$1" "$2" && ok || bad "$3: no line '$1' in: $(sed 's/^/  /' "$2")"; }

# The package's files, into a scratch tree (as a developer's checkout would hold them).
GLIBC_SRC='' tools/glibc-extract.sh "$tmp/pkg" "$@" || { echo "compare check: cannot extract the package"; exit 1; }
fork=sysdeps/mach/hurd/_Fork.c
mkdir "$tmp/scn"
cp traces/walkthrough.fsim "$tmp/scn/"
# The base's facts, from the scenario run with the package's build: the names of the main
# thread and the signal thread (labels) and their urefs in the parent during fork, read
# from the parent's get_refs of them.
pkgkey=$(GLIBC_KEY_CACHE="$build/glibc" tools/glibc-key.sh '' "$@")
compare() { "$make" --no-print-directory -s compare BUILD="$build" GLIBC_SRC="$1" SCENARIOS="$tmp/scn" >"$2" 2>&1; }

# --- (a) -----------------------------------------------------------------------------------
cp -r "$tmp/pkg" "$tmp/t"
# the mod_refs after the main thread's insert_right is the only `thread_refs - 1` not
# preceded by "sig" (sigthread_refs is the signal thread's)
sed -i 's/\([^g]\)thread_refs - 1)))/\1thread_refs - 2)))/' "$tmp/t/$fork"
[ "$(diff "$tmp/pkg/$fork" "$tmp/t/$fork" | grep -c '^>')" = 1 ] && ok || bad "(a): the sed did not change exactly one line"
compare "$tmp/t" "$tmp/a.out"
status=$?
base="$build/glibc/$pkgkey/forksim"
[ -x "$base" ] || { bad "make compare did not build the package's forksim ($base)"; echo "$passed passed, $failed failed"; exit 1; }
"$base" run "$tmp/scn/walkthrough.fsim" >"$tmp/base.out"
"$base" run "$tmp/scn/walkthrough.fsim" --format=jsonl >"$tmp/base.json"
label_name() { sed -n "s/.*\"process\":\"$1\",\"task\":[0-9]*,\"name\":\([0-9]*\),.*\"label\":\"$2\"}/\1/p" "$tmp/base.json"; }
label_urefs() { sed -n "s/.*\"process\":\"$1\",\"task\":[0-9]*,\"name\":[0-9]*,.*\"urefs\":\([0-9]*\),.*\"label\":\"$2\"}/\1/p" "$tmp/base.json"; }
main=$(label_name child thread-self)
sig=$(label_name child sigthread)
child_main_urefs=$(label_urefs child thread-self)
# the parent's get_refs of the name gives thread_refs; the child's task is what task_create gave
refs_of() { sed -n "s/.* mach_port_get_refs(1, $1, SEND) = KERN_SUCCESS -> \([0-9]*\)$/\1/p" "$tmp/base.out" | tail -n 1; }
thread_refs=$(refs_of "$main")
sigthread_refs=$(refs_of "$sig")
newtask=$(sed -n 's/.* task_create(1, 1) = KERN_SUCCESS -> \([0-9]*\)$/\1/p' "$tmp/base.out" | head -n 1)
if [ -z "$main" ] || [ -z "$thread_refs" ] || [ -z "$newtask" ] || [ "$thread_refs" -lt 2 ]; then
    bad "(a): the walkthrough's base run lacks the main thread's name or its refs (need thread_refs > 1)"
else
    [ $status -ne 0 ] && ok || bad "(a): make compare exited 0 although the fork changed"
    have "walkthrough: differs" "$tmp/a.out" "(a)"
    have "compare: 1 of 1 scenario(s) differ" "$tmp/a.out" "(a)"
    # the first difference is that one call, changed: one RPC of each side, none only on one
    [ "$(grep -c '^    \(base\|patched\) *RPC [0-9]* of the ' "$tmp/a.out")" = 2 ] && ok \
        || bad "(a): the first difference is not one RPC of each side: $(cat "$tmp/a.out")"
    grep -q "^    base .*mach_port_mod_refs($newtask, $main, SEND, $((thread_refs - 1))) = KERN_SUCCESS" "$tmp/a.out" \
        && ok || bad "(a): the base's mod_refs($newtask, $main, SEND, $((thread_refs - 1))) is not the first difference: $(cat "$tmp/a.out")"
    grep -q "^    patched .*mach_port_mod_refs($newtask, $main, SEND, $((thread_refs - 2))) = KERN_SUCCESS" "$tmp/a.out" \
        && ok || bad "(a): the patched mod_refs($newtask, $main, SEND, $((thread_refs - 2))) is not shown"
    # the name spaces: exactly one name differs, the child's main-thread name, one uref less
    [ "$(grep -c '^    [a-z]* [0-9]*: ' "$tmp/a.out")" = 1 ] && ok || bad "(a): not exactly one name differs: $(cat "$tmp/a.out")"
    grep -q "^    child $main: SEND urefs $child_main_urefs (.*) thread-self -> SEND urefs $((child_main_urefs - 1)) (.*) thread-self$" "$tmp/a.out" \
        && ok || bad "(a): the child's name $main (thread-self) does not go from $child_main_urefs to $((child_main_urefs - 1)) urefs"
fi

# --- (b): the same tree, edited again in place -----------------------------------------------
cp "$tmp/pkg/$fork" "$tmp/t/$fork"
sed -z -i 's/\n[[:space:]]*|| (err = __mach_port_insert_right (newtask,\n[[:space:]]*_hurd_msgport_thread,\n[[:space:]]*sigthread,\n[[:space:]]*MACH_MSG_TYPE_COPY_SEND))))/))/' "$tmp/t/$fork"
[ "$(diff "$tmp/pkg/$fork" "$tmp/t/$fork" | grep -c '^<')" = 5 ] && ok || bad "(b): the sed did not remove the signal thread's insert_right"
compare "$tmp/t" "$tmp/b.out"
status=$?
# where the fork now aborts: the LOSE of the statement that ends `sigthread_refs - 1)))`
lose=$(awk '/sigthread_refs - 1\)\)\)/ { want = 1; next } want && /LOSE;/ { print NR; exit }' "$tmp/t/$fork")
if [ -z "$sig" ] || [ -z "$sigthread_refs" ] || [ "$sigthread_refs" -lt 2 ] || [ -z "$lose" ]; then
    bad "(b): the walkthrough's base run lacks the signal thread's name or its refs (need sigthread_refs > 1)"
else
    [ $status -ne 0 ] && ok || bad "(b): make compare exited 0 although the fork changed"
    have "compare: 1 of 1 scenario(s) differ" "$tmp/b.out" "(b)"
    grep -q "^    base only .*mach_port_insert_right($newtask, $sig, [0-9]*, COPY_SEND) = KERN_SUCCESS" "$tmp/b.out" \
        && ok || bad "(b): the base's insert_right of name $sig is not in the first difference: $(cat "$tmp/b.out")"
    grep -q "^    patched .*mach_port_mod_refs($newtask, $sig, SEND, $((sigthread_refs - 1))) = KERN_INVALID_NAME" "$tmp/b.out" \
        && ok || bad "(b): the patched mod_refs of name $sig does not fail with KERN_INVALID_NAME"
    grep -q "^  patched  verdict .*abort: task [0-9]* at _Fork.c:$lose: " "$tmp/b.out" \
        && ok || bad "(b): the patched fork does not abort at the LOSE of _Fork.c:$lose"
    grep -q "^  base     verdict ok: " "$tmp/b.out" && ok || bad "(b): the base's verdict is not ok"
    # the child lacks the name: just after the failed mod_refs, against the base just after
    # its mod_refs (where the child holds the insert's uref plus sigthread_refs - 1), the one
    # name that differs
    grep -q "^    child $sig: SEND urefs $sigthread_refs (.*) sigthread -> absent$" "$tmp/b.out" \
        && ok || bad "(b): the child's name $sig (sigthread, $sigthread_refs urefs in the base) is not shown absent"
    [ "$(grep -c '^    [a-z]* [0-9]*: ' "$tmp/b.out")" = 1 ] && ok || bad "(b): not exactly one name differs: $(cat "$tmp/b.out")"
fi

# --- (c) -----------------------------------------------------------------------------------
cp -r "$tmp/pkg" "$tmp/c"
sed -i '1i /* A comment a patch adds: every line of the file moves down by one. */' "$tmp/c/$fork"
cp traces/name-exists.fsim traces/compat-ndebug.fsim "$tmp/scn/"   # an abort site and -DNDEBUG too
compare "$tmp/c" "$tmp/c.out"
status=$?
[ $status -eq 0 ] && ok || bad "(c): make compare exited $status for a comment: $(cat "$tmp/c.out")"
have "compare: 0 of 3 scenario(s) differ" "$tmp/c.out" "(c)"

# --- make GLIBC_SRC=T run, then make run: T's fork, then the package's -------------------------
# In a build directory of its own (make check runs other checks on $build meanwhile), seeded
# with $build's objects so that only what the glibc source changes is built. T is (a)'s edit:
# the walkthrough's run shows its mod_refs, then the package's.
own="$tmp/own-build"
mkdir -p "$own"
(cd "$build" && tar -cf - --exclude=results --exclude='./glibc/*/forksim' .) | (cd "$own" && tar -xpf -)
cp -r "$tmp/pkg" "$tmp/r"
sed -i 's/\([^g]\)thread_refs - 1)))/\1thread_refs - 2)))/' "$tmp/r/$fork"
"$make" --no-print-directory -s BUILD="$own" GLIBC_SRC="$tmp/r" run >"$tmp/run1" 2>&1
"$own/forksim" --version >"$tmp/v1"
have "fork source from GLIBC_SRC=$tmp/r" "$tmp/v1" "make GLIBC_SRC=T run"
have "_Fork.c sha256 $(sha256sum "$tmp/r/$fork" | cut -d' ' -f1)" "$tmp/v1" "make GLIBC_SRC=T run"
if [ -n "$main" ] && [ -n "$thread_refs" ]; then
    have "mach_port_mod_refs($newtask, $main, SEND, $((thread_refs - 2))) = KERN_SUCCESS" "$tmp/run1" "make GLIBC_SRC=T run"
fi
"$make" --no-print-directory -s BUILD="$own" run >"$tmp/run2" 2>&1
"$own/forksim" --version >"$tmp/v2"
grep -q "fork source from GLIBC_SRC" "$tmp/v2" && bad "a plain make run after make GLIBC_SRC=T run still has T's fork" || ok
have "_Fork.c sha256 $(sha256sum "$tmp/pkg/$fork" | cut -d' ' -f1)" "$tmp/v2" "plain make run"
if [ -n "$main" ] && [ -n "$thread_refs" ]; then
    have "mach_port_mod_refs($newtask, $main, SEND, $((thread_refs - 1))) = KERN_SUCCESS" "$tmp/run2" "plain make run"
fi

# Header dependencies (-MMD): a newer sim/hurd/hurd_errno.h remakes glibc's objects (through
# forkimpl/shim/errno.h, which includes it) and no object of model/ (a layer that cannot see it).
grep -q 'hurd_errno.h' forkimpl/shim/errno.h || bad "forkimpl/shim/errno.h no longer includes hurd_errno.h: fix this check"
"$make" --no-print-directory -n -W sim/hurd/hurd_errno.h BUILD="$build" "$build/forksim" >"$tmp/what-if" 2>&1
grep -q -- "-c $build/glibc/[0-9a-f]*/src/sysdeps/mach/hurd/_Fork.c" "$tmp/what-if" && ok \
    || bad "a newer sim/hurd/hurd_errno.h does not rebuild glibc's _Fork.c objects"
grep -q -- "-c model/" "$tmp/what-if" && bad "a newer sim/hurd/hurd_errno.h rebuilds model/ objects" || ok

echo "compare check: $passed passed, $failed failed"
[ $failed -eq 0 ]
