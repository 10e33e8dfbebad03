#!/bin/sh
# The exec retry of glibc 2.36 and upstream's change of it (issue 9, item 6: exec-signal-retry).
# glibc 2.36's hurd/hurdexec.c retries the whole exec when file_exec_paths answers EINTR (a
# signal with a handler arrived in the RPC: "if (err == EINTR) goto retry"). Upstream commit
# 49b308a26e (2023, "hurd: Prevent the final file_exec_paths call from signals") blocks every
# signal around the file_exec_paths call instead (sigfillset, sigprocmask SIG_SETMASK, and the
# old mask back after it). This check applies the essence of that commit with sed to a scratch
# copy of the packaged tree (made now from /usr/src/glibc's tarball; nothing of it is kept),
# builds forksim from it (make BUILD=... GLIBC_SRC=...), and runs traces/exec-signal-retry.fsim
# with both builds. What each must show, from the source text and the commit, not from a run:
#   - the packaged build: the fs receives file_exec_paths twice (the retry), the child's first
#     file_exec_paths answers EINTR, the handler runs in the child between the two;
#   - the patched build: one file_exec_paths, no EINTR, no handler in the child; the SIGTERM,
#     blocked during the RPC, is pending in the old image when the exec server commits, and
#     the ints were packed before it came: the trace notes it lost at exec.
#
# usage: tools/check-exec-retry.sh FORKSIM [SCRATCH_BUILD]   (GLIBC_FILES from the Makefile)
set -u
forksim=$1
scratch=${2:-build-exec-retry}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "exec-retry: $1"; failed=$((failed + 1)); }

. tools/scratch-glibc.sh
scratch_extract "$tmp" || { echo "exec-retry: cannot extract glibc's tarball"; exit 1; }
src="$tree/hurd/hurdexec.c"
# The 2.36 text this check is about: the retry on EINTR after the critical section.
grep -q '^  if (err == EINTR)$' "$src" && grep -q '^    goto retry;$' "$src" \
    && ok || { bad "hurdexec.c has no 'if (err == EINTR) goto retry' (glibc changed?)"; exit 1; }
# The commit's essence: every signal blocked just before file_exec_paths, the old mask back at
# the end of the block that makes the call (the last "    }" before "Release references").
awk '
  { line[++n] = $0 }
  /^      err = __file_exec_paths \(file, task, flags,$/ && !call { call = n }
  /^  \/\* Release references to the standard ports.  \*\/$/ && !rel { rel = n }
  END {
      for (close_ = rel - 1; close_ > call && line[close_] != "    }"; close_--) ;
      if (!call || !rel || close_ <= call) exit 1
      for (i = 1; i <= n; i++) {
          if (i == call) {
              print "      sigset_t forksim_old, forksim_new;"
              print "      __sigfillset (&forksim_new);"
              print "      __sigprocmask (SIG_SETMASK, &forksim_new, &forksim_old);"
          }
          if (i == close_)
              print "      __sigprocmask (SIG_SETMASK, &forksim_old, NULL);"
          print line[i]
      }
  }' "$src" >"$tmp/hurdexec.c" \
    && cp "$tmp/hurdexec.c" "$src" && ok || { bad "the sed/awk patch did not apply"; exit 1; }
[ "$(grep -c 'forksim_old' "$src")" -eq 3 ] && ok || bad "the patch did not add the three lines"

if ! scratch_build "$forksim" "$scratch" "$tree" "$tmp/build.log"; then
    bad "forksim did not build from the patched tree"
    exit 1
fi
patched="$scratch/forksim"
"$patched" --version | grep -q "GLIBC_SRC=$tree" && ok || bad "the scratch build does not say it runs the patched tree"

scn=traces/exec-signal-retry.fsim
"$forksim" run "$scn" >"$tmp/a.out" 2>&1 && ok || bad "$scn fails with the packaged glibc"
"$patched" run "$scn" >"$tmp/b.out" 2>&1 && ok || bad "$scn fails with the patched glibc"
# The fs's receives of file_exec_paths (id 20034), and the child's EINTR (the Hurd's EINTR,
# 0x40000004, as the trace prints a Hurd error it has no name for).
reqs() { grep -c -- '-> id 20034 file_exec_paths$' "$1"; }
[ "$(reqs "$tmp/a.out")" -eq 2 ] && ok || bad "packaged: $(reqs "$tmp/a.out") file_exec_paths requests, wanted 2 (the retry)"
grep -q ' file_exec_paths(.*) = 0x40000004$' "$tmp/a.out" && ok || bad "packaged: no file_exec_paths answering EINTR"
grep -q '# signal SIGTERM to t[0-9]*: handler' "$tmp/a.out" && ok || bad "packaged: the handler did not run"
[ "$(reqs "$tmp/b.out")" -eq 1 ] && ok || bad "patched: $(reqs "$tmp/b.out") file_exec_paths requests, wanted 1 (no retry)"
grep -q ' file_exec_paths(.*) = 0x40000004$' "$tmp/b.out" && bad "patched: file_exec_paths still answers EINTR" || ok
grep -q '# signal SIGTERM to t[0-9]*: handler' "$tmp/b.out" && bad "patched: the handler ran" || ok
grep -q '# signal SIGTERM to t[0-9]*: lost at exec' "$tmp/b.out" && ok || bad "patched: no 'lost at exec' note for the SIGTERM blocked during the exec"
echo "exec-retry: $passed passed, $failed failed (2.36's retry on EINTR, and upstream 49b308a26e's blocked signals, against $scn)"
[ "$failed" -eq 0 ]
