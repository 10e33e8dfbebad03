#!/bin/sh
# Shows that tools/check-quoted.pl catches prose that no longer matches the runs: it feeds the
# checker copies of a page with one quoted thing made wrong (the first marked figure plus one,
# the first number of the first quoted block's first row changed, a character added to the first
# quoted trace fragment, a table row's \| made a bare |) and a marker with nothing quoted
# before it. Each copy must fail, with
# the status and the line the checker's usage promises (the page itself is checked by
# `make check` before this runs). The mutations pick the first marker of each kind, whatever
# the page says, so the test follows the page as it changes. Set QUOTED_CACHE to share the
# runs with an earlier check.
#
# usage: tools/check-quoted-test.sh FORKSIM PAGE.md
set -u
forksim=$1
page=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${QUOTED_CACHE:-}" ]; then
    QUOTED_CACHE=$work/cache
    mkdir "$QUOTED_CACHE"
fi
export QUOTED_CACHE
failed=0

# mutate NAME PERL: a copy of the page with PERL applied to the first line it changes; prints
# the line number it changed (empty if none).
mutate() {
    perl -ne '
        BEGIN { $done = 0; $block = 0 }
        if (!$done) {
            my $before = $_;
            '"$2"'
            if ($_ ne $before) { $done = 1; print STDERR "$.\n" }
        }
        print;
    ' "$page" 2>"$work/$1.line" >"$work/$1.md"
    cat "$work/$1.line"
}

# A wrong figure: the first number checked with "=", plus one.
number=$(mutate number 's/(\d+)(<!--\s*=\s)/($1 + 1) . $2/e;')
# A wrong row: the first number of the first row of the first quoted block, plus one.
row=$(mutate row '
    if (/^\s*<!--\s*in\s.*-->\s*$/) { $block = 1 }
    elsif ($block == 1 && /^\s*```/) { $block = 2 }
    elsif ($block == 2 && /\S/) { s/(\d+)/$1 + 1/e; }')
# A wrong trace fragment: the first code span checked with "in" gets a character more.
fragment=$(mutate fragment 's/`([^`]+)`(<!--\s*in\s)/`$1Z`$2/;')

# One checker run for the three copies (their commands are the page's, run once): it must exit
# 1 and name the changed line of each, and nothing else.
tools/check-quoted.pl "$forksim" "$work/number.md" "$work/row.md" "$work/fragment.md" >"$work/out" 2>&1
status=$?
if [ "$status" -ne 1 ]; then
    echo "quoted-test: the checker exited $status on the wrong copies of $page, not 1:"
    cat "$work/out"
    failed=$((failed + 1))
fi
for copy in number row fragment; do
    eval line=\$$copy
    if [ -z "$line" ]; then
        echo "quoted-test: $page has no $copy to make wrong"
        failed=$((failed + 1))
    elif [ "$(grep -c "^$work/$copy.md:" "$work/out")" -ne 1 ] ||
         ! grep -q "^$work/$copy.md:$line: " "$work/out"; then
        echo "quoted-test: a wrong $copy at $page:$line: the checker did not name that line alone:"
        cat "$work/out"
        failed=$((failed + 1))
    fi
done

# A bare | in a table row's marker would split the rendered cell: malformed (status 2).
table=$(mutate table 'if (/^\s*\|.*<!--.*\\\|/) { s/\\\|/|/; }')
if [ -z "$table" ]; then
    echo "quoted-test: $page has no table row with a \\| in a marker"
    failed=$((failed + 1))
else
    tools/check-quoted.pl "$forksim" "$work/table.md" >"$work/table.out" 2>&1
    status=$?
    if [ "$status" -ne 2 ] || ! grep -q "^$work/table.md:$table: this table row has" "$work/table.out"; then
        echo "quoted-test: a bare | in a table row at $page:$table: status $status, not 2 naming that row:"
        cat "$work/table.out"
        failed=$((failed + 1))
    fi
fi

# A marker with nothing quoted before it is malformed (status 2), not silently skipped.
printf 'A line.\n<!-- = run walkthrough | wc -l --> and more\n' >"$work/malformed.md"
tools/check-quoted.pl "$forksim" "$work/malformed.md" >"$work/malformed.out" 2>&1
status=$?
if [ "$status" -ne 2 ] || ! grep -q "^$work/malformed.md:2: " "$work/malformed.out"; then
    echo "quoted-test: a marker with nothing before it: status $status, not 2 naming line 2:"
    cat "$work/malformed.out"
    failed=$((failed + 1))
fi

if [ "$failed" -eq 0 ]; then
    echo "quoted-test: a wrong figure, row and fragment in $page, a bare | in a table, and a malformed marker, each fail the check"
fi
[ "$failed" -eq 0 ]
