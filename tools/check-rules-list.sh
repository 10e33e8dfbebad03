#!/bin/sh
# Checks that the rule list (tests/rules.txt) names every rule id the model follows, each
# stated in the repository (docs/), so the rule table cannot leave a rule out unseen and no
# reader needs anything outside the repository (issue 12, item 3; issue 14, item 6).
#
# A rule id is defined where a line opens with it in bold: "**N1. ..." or "- **C1. ...".
# docs/*.md define every id in this project's words: docs/spec-rules.md the specification's
# (../shared/spec/, outside the repository), docs/mach-rules.md and docs/ports-register.md the
# rules the model adds where the specification is silent. Fails, naming them, when:
#   - docs/ defines an id the list lacks, or the list has an id docs/ does not define;
#   - the list names, for an id, a file of docs/ that does not define it;
#   - with SPEC_DIR present: the specification defines an id docs/ lacks (the spec grew and
#     docs/spec-rules.md did not follow);
#   - README.md, model/model.h, tests/rules.txt or docs/ send the reader to the specification's
#     rule files outside the repository (shared/spec/mach-*.md) instead of docs/.
#
# usage: tools/check-rules-list.sh RULES_FILE SPEC_DIR [DOCS_DIR]
set -eu
rules_file=$1
spec=$2
docs=${3:-docs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
defined() { sed -n 's/^\(- \)\{0,1\}\*\*\([A-Z][A-Z]*[0-9][0-9]*\)\..*/\2/p' "$@"; }
status=0
defined "$docs"/*.md | sort -u >"$tmp/docs"
awk '$1 !~ /^#/ && NF > 0 {print $1}' "$rules_file" | sort -u >"$tmp/list"
lacks=$(comm -23 "$tmp/docs" "$tmp/list" | tr '\n' ' ')
extra=$(comm -13 "$tmp/docs" "$tmp/list" | tr '\n' ' ')
if [ -n "$lacks" ]; then
    echo "rules list: $rules_file lacks rule(s) $docs/ defines: $lacks"
    status=1
fi
if [ -n "$extra" ]; then
    echo "rules list: $rules_file has rule(s) $docs/ does not define: $extra"
    status=1
fi
# each id's file, as the list names it, defines it
wrong=$(awk '$1 !~ /^#/ && NF > 1 {print $1, $2}' "$rules_file" | while read -r id file; do
    f=$docs/${file#docs/}
    [ -f "$f" ] && defined "$f" | grep -qx "$id" || printf '%s (%s) ' "$id" "$file"
done)
if [ -n "$wrong" ]; then
    echo "rules list: $rules_file names a file of $docs/ that does not define: $wrong"
    status=1
fi
spec_note="no specification at $spec: docs/ and the list compared with each other only"
if [ -d "$spec" ] && ls "$spec"/*.md >/dev/null 2>&1; then
    defined "$spec"/*.md | sort -u >"$tmp/spec"
    missing=$(comm -23 "$tmp/spec" "$tmp/docs" | tr '\n' ' ')
    if [ -n "$missing" ]; then
        echo "rules list: $spec defines rule(s) $docs/ does not state: $missing"
        status=1
    fi
    spec_note="$(wc -l <"$tmp/spec") of them in $spec too"
fi
outside=$(grep -ln 'shared/spec/mach-[a-z-]*\.md' README.md model/model.h "$rules_file" "$docs"/*.md 2>/dev/null | tr '\n' ' ' || true)
if [ -n "$outside" ]; then
    echo "rules list: these point to the specification's rule files outside the repository, not to $docs/: $outside"
    status=1
fi
[ "$status" -eq 0 ] && echo "rules list: $(wc -l <"$tmp/docs") rule ids stated in $docs/, every one in $rules_file under the file that states it ($spec_note)"
exit $status
