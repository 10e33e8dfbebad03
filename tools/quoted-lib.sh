# Shell helpers for the commands in the prose's markers (tools/check-quoted.pl sources this file
# before each one). They extract a figure by what it means (a call of a routine, the urefs of a
# labelled name, the sweep row where a port dies before a given call), never by line position,
# so that a change of the trace's layout fails a check only where the quoted figure changed.
#
# Runs, cached per argument list (stdout only):
#   run NAME [OPTIONS]              forksim run traces/NAME.fsim [OPTIONS]
#   explore NAME [OPTIONS]          forksim explore traces/NAME.fsim [OPTIONS]
#   jsonl NAME, sites NAME, all NAME   run NAME with --format=jsonl, --sites, --all
#   deaths NAME [N], faults NAME [N]   explore NAME --port-deaths or --faults [--run N]
# Filters of a text trace (stdin):
#   calls ROUTINE                   the lines that are a call of ROUTINE (RPC or trap), any task
#   on_name NAME                    the calls among them whose second argument is NAME
#                                   (the name in the space the call is about)
#   step_of ROUTINE [N]             the step of the Nth such call (1 by default)
#   answer                          what came back ("-> X") on the first line read
# Filters of a --format=jsonl run (stdin):
#   name_of PROCESS LABEL           the name labelled LABEL in PROCESS's space (parent, child)
#   urefs PROCESS LABEL             its user references
# Whole questions:
#   label_name NAME LABEL           the parent's name for LABEL in the run of NAME
#   spaces_at NAME STEP             the jsonl run of NAME, its spaces shown just before STEP
#   refs_counted NAME LABEL [N]     what the Nth mach_port_get_refs on LABEL's name answered
#   death_row NAME LABEL ROUTINE [next]
#                                   the port-death sweep's row (fork as shipped) where LABEL's
#                                   port dies just before the call of ROUTINE on LABEL's name
#                                   (with next: the next row where LABEL's port dies)
#   sweep_rows NAME MODE BUILD      the sweep's rows (MODE faults or port-deaths) of one build
#   costs                           make costs' output (tools/costs.py: fork, fork+exec,
#                                   vfork+exec and posix_spawn over N names and D descriptors,
#                                   the table and the fitted lines)

_fs_cached() {
    _k=$(printf '%s\n' "$@" | cksum | tr ' ' _)
    [ -f "$QUOTED_DIR/$_k" ] || "$QUOTED_FORKSIM" "$@" >"$QUOTED_DIR/$_k" 2>/dev/null
    cat "$QUOTED_DIR/$_k"
}
run() { _n=$1; shift; _fs_cached run "traces/$_n.fsim" "$@"; }
explore() { _n=$1; shift; _fs_cached explore "traces/$_n.fsim" "$@"; }
# Shorthands without "--": an inline HTML comment may not contain "--" (CommonMark), so the
# markers in running text use these.
jsonl() { _n=$1; shift; run "$_n" --format=jsonl "$@"; }
sites() { run "$1" --sites; }
all() { run "$1" --all; }
deaths() { if [ -n "${2:-}" ]; then explore "$1" --port-deaths --run "$2"; else explore "$1" --port-deaths; fi; }
faults() { if [ -n "${2:-}" ]; then explore "$1" --faults --run "$2"; else explore "$1" --faults; fi; }

calls() { grep -E "^ *[0-9]+ t[0-9]+\.[0-9]+ (trap )?$1\("; }
on_name() { grep -E "\([0-9]+, $1[,)]"; }
step_of() { calls "$1" | sed -n "${2:-1}p" | awk '{ print $1 }'; }
answer() { sed -n '1s/.*-> *//p'; }

name_of() {
    grep '"type":"name"' | grep "\"process\":\"$1\"" | grep "\"label\":\"$2\"" |
        sed -n '1s/.*"name":\([0-9]*\).*/\1/p'
}
urefs() {
    grep '"type":"name"' | grep "\"process\":\"$1\"" | grep "\"label\":\"$2\"" |
        sed -n '1s/.*"urefs":\([0-9]*\).*/\1/p'
}

label_name() { jsonl "$1" | name_of parent "$2"; }
spaces_at() { jsonl "$1" --stop-at "$2"; }
refs_counted() {
    _name=$(label_name "$1" "$2")
    run "$1" | calls mach_port_get_refs | on_name "$_name" | sed -n "${3:-1}p" | answer
}
death_row() {
    _name=$(label_name "$1" "$2")
    _rows=$(deaths "$1" | grep -E "^ *[0-9]+ glibc +rpc .* $2 dies ")
    if [ "${4:-}" = next ]; then
        printf '%s\n' "$_rows" | grep -E -A1 " $3\([0-9]+, $_name[,)]" | sed -n 2p
    else
        printf '%s\n' "$_rows" | grep -E " $3\([0-9]+, $_name[,)]"
    fi
}
sweep_rows() {
    explore "$1" "--$2" | grep -E "^ *[0-9]+ $3 +rpc "
}
costs() {
    [ -f "$QUOTED_DIR/costs.out" ] || tools/costs.py "$QUOTED_FORKSIM" "$QUOTED_DIR/costs" >"$QUOTED_DIR/costs.out" 2>/dev/null
    cat "$QUOTED_DIR/costs.out"
}
