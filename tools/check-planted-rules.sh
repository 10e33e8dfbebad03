#!/bin/sh
# The rule checks fed planted defects (issue 12, item 3): each must fail, saying why.
#  - tools/check-rules-list.sh against a scratch spec whose ids are the list's own (passes),
#    then with one more id planted in the spec (fails, naming it); against copies of docs/
#    with a rule's statement removed, a list line naming the wrong file, and a docs/ file
#    pointing outside the repository (each fails);
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
grep -q 'defines rule(s) docs/ does not state: Q77' "$tmp/out" || { cat "$tmp/out"; fail "the failure does not name Q77"; }
# docs/ with one rule's statement taken out (the list then names an id docs/ lacks), a list
# line naming the wrong file, and a docs/ file sending the reader outside the repository
mkdir -p "$tmp/docs"
cp docs/*.md "$tmp/docs/"
sed -i '/^\*\*N3\. /d' "$tmp/docs/spec-rules.md"
if tools/check-rules-list.sh "$rules_file" /nonexistent "$tmp/docs" >"$tmp/out"; then
    cat "$tmp/out"; fail "a rule docs/ does not state (N3) did not fail the rules list check"
fi
grep -q 'does not define: N3' "$tmp/out" || { cat "$tmp/out"; fail "the failure does not name N3"; }
cp docs/*.md "$tmp/docs/"
sed 's/^N1 \( *\)docs\/spec-rules.md/N1 \1docs\/mach-rules.md/' "$rules_file" >"$tmp/rules-wrong"
if tools/check-rules-list.sh "$tmp/rules-wrong" /nonexistent "$tmp/docs" >"$tmp/out"; then
    cat "$tmp/out"; fail "N1 listed under a file that does not state it did not fail"
fi
echo 'See ../shared/spec/mach-ipc.md for the rules.' >>"$tmp/docs/mach-rules.md"
if tools/check-rules-list.sh "$rules_file" /nonexistent "$tmp/docs" >"$tmp/out"; then
    cat "$tmp/out"; fail "a docs/ file pointing outside the repository did not fail"
fi

printf 'Q77    a.md                         a planted rule no test asserts\n' >"$tmp/rules"
if tools/rule-table.sh "$tmp/rules" "$tmp/results" >"$tmp/out"; then
    cat "$tmp/out"; fail "a rule no test asserts did not fail the rule table"
fi
grep -q '^Q77    MISSING' "$tmp/out" || { cat "$tmp/out"; fail "the rule table did not report Q77 missing"; }
printf 'Q77    a.md                         [not testable yet] planted: nothing models it\n' >"$tmp/rules"
tools/rule-table.sh "$tmp/rules" "$tmp/results" >"$tmp/out" || { cat "$tmp/out"; fail "a rule marked not testable yet failed the table"; }
grep -q '^Q77    NOT TESTABLE YET: planted: nothing models it' "$tmp/out" && grep -q ' 0 covered, 1 not testable yet' "$tmp/out" \
    || { cat "$tmp/out"; fail "a rule marked not testable yet was not reported as such"; }
echo "planted rule check: a spec id missing from docs/, a rule docs/ does not state, a rule under the wrong file, a pointer outside the repository and a rule without a test each fail; a rule marked not testable yet is reported, not covered"
