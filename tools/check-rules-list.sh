#!/bin/sh
# Checks that the rule list (tests/rules.txt) names every rule id the specification defines,
# so the rule table cannot leave a rule out unseen (issue 12, item 3).
#
# A rule id is defined where a spec line opens with it in bold: "**N1. ..." or "- **C1. ...".
# The repository's own rules, where the spec is silent (docs/*.md: the clock, out-of-line
# memory, message layouts, the inherited ports array), are defined the same way there.
# Fails, naming them, when the spec or docs/ defines an id the list lacks, or the list has an
# id neither defines. When SPEC_DIR is absent (a checkout without ../shared), says so and
# skips: the list itself stays in the repository, so the rule table needs nothing outside it.
#
# usage: tools/check-rules-list.sh RULES_FILE SPEC_DIR [DOCS_DIR]
set -eu
rules_file=$1
spec=$2
docs=${3:-docs}
if [ ! -d "$spec" ] || ! ls "$spec"/*.md >/dev/null 2>&1; then
    echo "rules list: skipped, no specification at $spec (the list in $rules_file is not compared)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
defined() { sed -n 's/^\(- \)\{0,1\}\*\*\([A-Z][A-Z]*[0-9][0-9]*\)\..*/\2/p' "$@"; }
defined "$spec"/*.md | sort -u >"$tmp/spec-only"
{ cat "$tmp/spec-only"; if ls "$docs"/*.md >/dev/null 2>&1; then defined "$docs"/*.md; fi; } | sort -u >"$tmp/spec"
awk '$1 !~ /^#/ && NF > 0 {print $1}' "$rules_file" | sort -u >"$tmp/list"
status=0
lacks=$(comm -23 "$tmp/spec" "$tmp/list" | tr '\n' ' ')
extra=$(comm -13 "$tmp/spec" "$tmp/list" | tr '\n' ' ')
if [ -n "$lacks" ]; then
    echo "rules list: $rules_file lacks rule(s) the specification or $docs/ defines: $lacks"
    status=1
fi
if [ -n "$extra" ]; then
    echo "rules list: $rules_file has rule(s) neither the specification nor $docs/ defines: $extra"
    status=1
fi
[ "$status" -eq 0 ] && echo "rules list: $(wc -l <"$tmp/spec-only") rule ids in $spec and $(($(wc -l <"$tmp/spec") - $(wc -l <"$tmp/spec-only"))) in $docs/, every one in $rules_file"
exit $status
