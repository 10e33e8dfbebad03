#!/bin/sh
# costs-quote.sh: the table of `make costs` as the READMEs quote it (issue 13, item 3: "the
# numbers come from the run, never typed in"). In each FILE, the fenced block between the lines
#   <!-- costs table: begin (make costs-quote writes it from make costs; make check compares) -->
#   <!-- costs table: end -->
# is the text tools/costs.py wrote to TABLE (build/costs/table.txt), byte for byte.
#
#   tools/costs-quote.sh update TABLE FILE...   rewrite each FILE's block from TABLE
#   tools/costs-quote.sh check TABLE FILE...    fail (status 1, FILE:LINE) where a block differs
#
# check also feeds itself a planted defect: a copy of the first FILE with one figure of its
# block changed must fail the comparison, or the check itself is broken (status 2).
set -eu
mode=${1:-}
table=${2:-}
[ "$mode" = update ] || [ "$mode" = check ] || { echo "usage: tools/costs-quote.sh update|check TABLE FILE..." >&2; exit 2; }
[ -f "$table" ] || { echo "tools/costs-quote.sh: $table: no such file (run make costs)" >&2; exit 2; }
shift 2
[ $# -gt 0 ] || { echo "usage: tools/costs-quote.sh update|check TABLE FILE..." >&2; exit 2; }

begin='<!-- costs table: begin'
end='<!-- costs table: end -->'

# block FILE: the lines of FILE's fenced block between the markers (the fences left out)
block() {
    awk -v b="$begin" -v e="$end" '
        index($0, b) == 1 { inb = 1; next }
        index($0, e) == 1 { inb = 0; next }
        inb && /^```/ { fence = !fence; next }
        inb && fence { print }' "$1"
}

# check_one FILE: 0 when its block is TABLE's text
check_one() {
    if ! grep -q "^$begin" "$1" || ! grep -qF "$end" "$1"; then
        echo "$1: no costs table block ($begin ... $end)"
        return 1
    fi
    if ! block "$1" | cmp -s - "$table"; then
        line=$(grep -n "^$begin" "$1" | head -1 | cut -d: -f1)
        echo "$1:$line: the quoted costs table differs from what make costs prints now (make costs-quote rewrites it):"
        block "$1" | diff - "$table" | head -10
        return 1
    fi
    return 0
}

status=0
for f in "$@"; do
    if [ "$mode" = update ]; then
        tmp=$(mktemp)
        awk -v b="$begin" -v e="$end" -v t="$table" '
            index($0, b) == 1 { print; print "```"; while ((getline l < t) > 0) print l; print "```"; skip = 1; next }
            index($0, e) == 1 { skip = 0 }
            !skip { print }' "$f" >"$tmp"
        cat "$tmp" >"$f"
        rm -f "$tmp"
        check_one "$f" || status=1
    else
        check_one "$f" || status=1
    fi
done
if [ "$mode" = check ] && [ $status -eq 0 ]; then
    # planted: one figure of the first file's block changed must fail the comparison
    copy=$(mktemp)
    awk -v b="$begin" -v e="$end" '
        index($0, b) == 1 { inb = 1 }
        index($0, e) == 1 { inb = 0 }
        inb && !done && /^ *[0-9]+ +[0-9]+ \|/ { sub(/[0-9] *$/, "9999"); done = 1 }
        { print }' "$1" >"$copy"
    if check_one "$copy" >/dev/null; then
        echo "tools/costs-quote.sh: a block with a changed figure passed the check (planted defect not caught)"
        rm -f "$copy"
        exit 2
    fi
    rm -f "$copy"
    echo "costs-quote: $# files quote the table make costs prints now (and a planted change fails)"
fi
exit $status
