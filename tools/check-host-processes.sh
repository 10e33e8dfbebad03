#!/bin/sh
# Checks that simulated tasks stay in one process: runs every test program of DIR under
# strace, tracing process creation, and fails if any program creates a process or a thread
# (fork, vfork, clone, clone3). The program's own execve is the only process call allowed.
# Then the same for the simulator as users and benchmarks run it: `forksim explore` (a whole
# fault sweep, its runs restored from snapshots), and the simulated side of `make bench`
# (bench_fork --sim and --restored, bench_explore). Snapshots are copies in this process.
# bench_fork's native baseline is a separate program (DIR/bench/native_fork), the one place
# the project forks a host process; it is not run here.
#
# usage: tools/check-host-processes.sh DIR
set -u
dir=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
checked=0
# check NAME COMMAND...: runs the command under strace; fails the check if it made a process.
check() {
    name=$1
    shift
    if ! strace -f -qq --seccomp-bpf -e trace=process -o "$log" "$@" >/dev/null 2>&1; then
        echo "host processes: $name failed under strace"
        status=1
        return
    fi
    created=$(grep -cE '(^|[^a-z_])(fork|vfork|clone|clone3)\(' "$log")
    if [ "$created" -ne 0 ]; then
        echo "host processes: $name created $created processes or threads:"
        grep -E '(fork|vfork|clone|clone3)\(' "$log" | head -5
        status=1
    fi
    checked=$((checked + 1))
}
for prog in "$dir"/tests/test_*; do
    case "$prog" in *.o|*.d) continue ;; esac
    [ -x "$prog" ] || continue
    check "$prog" "$prog"
done
for need in "$dir/forksim" "$dir/bench/bench_fork" "$dir/bench/bench_explore"; do
    [ -x "$need" ] || { echo "host processes: $need is not built"; exit 1; }
done
check "forksim explore" "$dir/forksim" explore traces/sweep-default.fsim --faults
check "bench_fork --sim" "$dir/bench/bench_fork" --sim 0.2
check "bench_fork --restored" "$dir/bench/bench_fork" --restored 0.2
check "bench_explore" "$dir/bench/bench_explore" --sweep 1
echo "host processes: $checked programs checked, none may fork or clone"
exit $status
