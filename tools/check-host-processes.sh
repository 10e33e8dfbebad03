#!/bin/sh
# Checks that simulated tasks stay in one process: runs every test program of DIR under
# strace, tracing process creation, and fails if any program creates a process or a thread
# (fork, vfork, clone, clone3). The program's own execve is the only process call allowed.
#
# usage: tools/check-host-processes.sh DIR
set -u
dir=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
checked=0
for prog in "$dir"/tests/test_*; do
    case "$prog" in *.o|*.d) continue ;; esac
    [ -x "$prog" ] || continue
    if ! strace -f -qq --seccomp-bpf -e trace=process -o "$log" "$prog" >/dev/null 2>&1; then
        echo "host processes: $prog failed under strace"
        status=1
        continue
    fi
    created=$(grep -cE '(^|[^a-z_])(fork|vfork|clone|clone3)\(' "$log")
    if [ "$created" -ne 0 ]; then
        echo "host processes: $prog created $created processes or threads:"
        grep -E '(fork|vfork|clone|clone3)\(' "$log" | head -5
        status=1
    fi
    checked=$((checked + 1))
done
echo "host processes: $checked programs checked, none may fork or clone"
exit $status
