#!/bin/sh
# The rule checks fed planted defects (issue 12, item 3): each must fail, saying why.
#  - tools/check-rules-list.sh against a scratch spec whose ids are the list's own (passes),
#    then with one more id planted in the spec (fails, naming it);
#  - tools/rule-table.sh with a planted rule no test asserts (fails: MISSING), and the same
#    rule marked "[not testable yet]" (passes, reported as not testable yet, not as covered).
# usage: tools/check-planted-rules.sh RULES_FILE
set -eu
rules_file=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "planted rule check: $*"; exit 1; }

mkdir -p "$tmp/spec" "$tmp/results"
awk '$1 !~ /^#/ && NF > 0 {printf "**%s. a rule.\n", $1}' "$rules_file" >"$tmp/spec/a.md"
tools/check-rules-list.sh "$rules_file" "$tmp/spec" >"$tmp/out" || { cat "$tmp/out"; fail "the list against its own ids failed"; }
echo '- **Q77. A planted rule.** Nothing.' >>"$tmp/spec/a.md"
if tools/check-rules-list.sh "$rules_file" "$tmp/spec" >"$tmp/out"; then
    cat "$tmp/out"; fail "a spec id the list lacks (Q77) did not fail the rules list check"
fi
grep -q 'lacks rule(s) the specification or docs/ defines: Q77' "$tmp/out" || { cat "$tmp/out"; fail "the failure does not name Q77"; }

printf 'Q77    a.md                         a planted rule no test asserts\n' >"$tmp/rules"
if tools/rule-table.sh "$tmp/rules" "$tmp/results" >"$tmp/out"; then
    cat "$tmp/out"; fail "a rule no test asserts did not fail the rule table"
fi
grep -q '^Q77    MISSING' "$tmp/out" || { cat "$tmp/out"; fail "the rule table did not report Q77 missing"; }
printf 'Q77    a.md                         [not testable yet] planted: nothing models it\n' >"$tmp/rules"
tools/rule-table.sh "$tmp/rules" "$tmp/results" >"$tmp/out" || { cat "$tmp/out"; fail "a rule marked not testable yet failed the table"; }
grep -q '^Q77    NOT TESTABLE YET: planted: nothing models it' "$tmp/out" && grep -q ' 0 covered, 1 not testable yet' "$tmp/out" \
    || { cat "$tmp/out"; fail "a rule marked not testable yet was not reported as such"; }
echo "planted rule check: a spec id missing from the list and a rule without a test each fail; a rule marked not testable yet is reported, not covered"
