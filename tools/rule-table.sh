#!/bin/sh
# Prints the table "rule -> tests" and fails when a rule has no passing test that asserts it.
#
# A test asserts a rule when, inside its function, a line holds both an assertion (assert_*
# or a check_* helper from tests/testlib.h) and the comment /* rule X */ (or /* rules X Y */;
# text after the ids, as in /* rule H7: why */, is ignored).
# A test counts only if it passed in this run: its "[       OK ] name" line is in RESULTS/*.out.
# A rule whose line in RULES_FILE is marked "[history]" or "[not testable yet]" (third column)
# is reported as such, with its reason, and is neither counted as covered nor as missing; a
# marked rule that has a passing test anyway is reported covered, with a note to drop the mark.
#
# usage: tools/rule-table.sh RULES_FILE RESULTS_DIR
set -eu
rules_file=$1
results=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# rule <TAB> test, from the sources
awk '
    /^(static )?void test_[A-Za-z0-9_]+ *\(/ {
        match($0, /test_[A-Za-z0-9_]+/); fn = substr($0, RSTART, RLENGTH); next
    }
    /^}/ { fn = "" }
    fn != "" && /(assert_|check_)/ && /\/\* rules? [^*]*\*\// {
        s = $0; sub(/.*\/\* rules? /, "", s); sub(/ *\*\/.*/, "", s)
        n = split(s, r, /[ ,:;]+/)
        for (i = 1; i <= n; i++) if (r[i] ~ /^[A-Z]+[0-9]+$/) print r[i] "\t" fn
    }
' tests/*.c | sort -u >"$tmp"
passed=$(cat "$results"/*.out 2>/dev/null | sed -n 's/^\[       OK \] \([A-Za-z0-9_]*\).*/\1/p' | sort -u)
missing=0
total=0
covered=0
history=0
untestable=0
echo "rule   tests (passing, with an assertion marked for the rule)"
while read -r rule spec what; do
    case "$rule" in ''|'#'*) continue ;; esac
    total=$((total + 1))
    tests=""
    for t in $(awk -F'\t' -v r="$rule" '$1 == r {print $2}' "$tmp"); do
        if printf '%s\n' "$passed" | grep -qx "$t"; then tests="$tests $t"; fi
    done
    mark=""
    case "$what" in
        '[history]'*) mark=history ;;
        '[not testable yet]'*) mark=untestable ;;
    esac
    if [ -n "$tests" ]; then
        covered=$((covered + 1))
        count=$(echo $tests | wc -w)
        first=$(echo $tests | cut -d' ' -f1-3)
        more=""; [ "$count" -gt 3 ] && more=" (+$((count - 3)) more)"
        note=""; [ -n "$mark" ] && note="  (tested, yet marked ${what%%]*}]: drop the mark)"
        printf '%-6s %s%s%s\n' "$rule" "$first" "$more" "$note"
    elif [ "$mark" = history ]; then
        history=$((history + 1))
        printf '%-6s HISTORY: %s\n' "$rule" "${what#\[history\] }"
    elif [ "$mark" = untestable ]; then
        untestable=$((untestable + 1))
        printf '%-6s NOT TESTABLE YET: %s\n' "$rule" "${what#\[not testable yet\] }"
    else
        printf '%-6s MISSING\n' "$rule"
        missing=$((missing + 1))
    fi
done <"$rules_file"
echo "rule table: $total rules, $covered covered, $untestable not testable yet, $history history, $missing missing"
[ "$missing" -eq 0 ]
