#!/bin/sh
# Prints the table "rule -> tests" and fails when a rule has no passing test that asserts it.
#
# A test asserts a rule when, inside its function, a line holds both an assertion (assert_*
# or a check_* helper from tests/testlib.h) and the comment /* rule X */ (or /* rules X Y */;
# text after the ids, as in /* rule H7: why */, is ignored).
# A test counts only if it passed in this run: its "[       OK ] name" line is in RESULTS/*.out.
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
echo "rule   tests (passing, with an assertion marked for the rule)"
for rule in $(grep -v '^#' "$rules_file" | awk '{print $1}'); do
    total=$((total + 1))
    tests=""
    for t in $(awk -F'\t' -v r="$rule" '$1 == r {print $2}' "$tmp"); do
        if printf '%s\n' "$passed" | grep -qx "$t"; then tests="$tests $t"; fi
    done
    if [ -z "$tests" ]; then
        printf '%-6s MISSING\n' "$rule"
        missing=$((missing + 1))
    else
        count=$(echo $tests | wc -w)
        first=$(echo $tests | cut -d' ' -f1-3)
        more=""; [ "$count" -gt 3 ] && more=" (+$((count - 3)) more)"
        printf '%-6s %s%s\n' "$rule" "$first" "$more"
    fi
done
echo "rule table: $total rules, $((total - missing)) covered, $missing missing"
[ "$missing" -eq 0 ]
