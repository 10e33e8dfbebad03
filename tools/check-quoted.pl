#!/usr/bin/perl
# Checks every figure and trace row that the prose quotes from a run against the run itself, so
# that a change in forksim's output that makes the text wrong fails `make check`.
#
# usage: tools/check-quoted.pl FORKSIM FILE.md...        (run from the top of the tree)
#
# A quoted figure carries, right after it, an HTML comment (invisible once rendered) holding a
# shell command whose output must equal it. The command runs with `sh` at the top of the tree,
# after tools/quoted-lib.sh: `run NAME [OPTIONS]` and `explore NAME [OPTIONS]` stand for the
# runs of traces/NAME.fsim (each run once, stdout only), and its filters extract figures from
# them. Extract by meaning (grep for what the sentence talks about), not by line position, so
# that a change of the trace format elsewhere leaves the check passing unless the figure itself
# changed.
#
#   its fork makes 310<!-- = sites expect-profile | grep -c '@ _Fork\.c:' --> calls
#       The word or number just before the comment must equal the command's output (commas in
#       numbers are ignored: 1,922 is 1922). A `code span` before the comment works too.
#   `mach_port_names(1) = ... 16 names`<!-- in run walkthrough -->
#       The code span (only a code span), "..." standing for any text, must occur in one line
#       of the output.
#   <!-- in explore sweep-default --port-deaths -->       (alone on a line, then a ``` block)
#       Every non-blank line of the fenced block that follows must occur, "..." standing for
#       any text, in a line of the output, the block's lines in the output's order. A line
#       ending in " \" goes on in the next one (a long row, wrapped for the reader).
# A comment in running text may not hold "--" (CommonMark then shows it as text): the
# helpers jsonl, sites, all, deaths and faults stand for the runs with those options.
# Runs of blanks count as one blank in both texts. In a table row, write each | of a command
# as \| (a bare | would split the cell); the check reads it back. Other HTML comments are left
# alone.
#
# Prints one line per file ("quoted: FILE: N figures and rows match their runs"); a mismatch
# prints "FILE:LINE: ..." and the run ends with status 1; a malformed marker, status 2.
use strict;
use warnings;

my $forksim = shift @ARGV or die "usage: tools/check-quoted.pl FORKSIM FILE.md...\n";
@ARGV or die "usage: tools/check-quoted.pl FORKSIM FILE.md...\n";
-x $forksim or die "tools/check-quoted.pl: $forksim: not an executable\n";

my $cache = $ENV{QUOTED_CACHE} // do {
    my $d = `mktemp -d`; chomp $d; $d;
};
my $own_cache = !defined $ENV{QUOTED_CACHE};
-d $cache or mkdir $cache or die "tools/check-quoted.pl: $cache: $!\n";
END { local $?; system('rm', '-rf', $cache) if $own_cache && defined $cache && -d $cache; }

# The helpers every command sees (tools/quoted-lib.sh), output cached in $QUOTED_DIR.
my $prelude = ". tools/quoted-lib.sh";
$ENV{QUOTED_FORKSIM} = $forksim;
$ENV{QUOTED_DIR} = $cache;

# Each command's output is kept in the cache directory too, beside the runs, so that a second
# check with the same QUOTED_CACHE (tools/check-quoted-test.sh) runs nothing again. A file
# holds the command, a NUL line, then the output; a file of another command is not used.
sub cache_file_of {
    my ($cmd) = @_;
    my $h = 2166136261;
    $h = (($h ^ ord) * 16777619) % 4294967296 for split //, $cmd;
    return sprintf("%s/cmd-%08x", $cache, $h);
}

my %outputs;
sub output_of {
    my ($cmd) = @_;
    return $outputs{$cmd} //= do {
        my $file = cache_file_of($cmd);
        my $text;
        if (open(my $in, '<', $file)) {
            local $/;
            my $all = <$in> // '';
            close $in;
            my $head = "$cmd\n\0\n";
            $text = substr($all, length $head) if substr($all, 0, length $head) eq $head;
        }
        if (!defined $text) {
            open(my $fh, '-|', 'sh', '-c', "$prelude\n$cmd") or die "sh: $!\n";
            local $/;
            $text = <$fh> // '';
            close $fh;
            if (open(my $out, '>', $file)) { print $out "$cmd\n\0\n$text"; close $out; }
        }
        $text;
    };
}

sub blanks { my ($s) = @_; $s =~ s/\s+/ /g; $s =~ s/^ | $//g; return $s; }

# "..." stands for any text; everything else is literal.
sub pattern_of {
    my ($quoted) = @_;
    return join('.*', map { quotemeta blanks($_) } split /\.\.\./, $quoted, -1);
}

sub number_or_word {
    my ($s) = @_;
    $s = blanks($s);
    $s =~ s/(?<=\d),(?=\d{3}\b)//g;
    return $s;
}

my ($failed, $malformed) = (0, 0);

sub fail { my ($where, $msg) = @_; print "$where: $msg\n"; $failed++; }

for my $file (@ARGV) {
    open(my $in, '<', $file) or die "tools/check-quoted.pl: $file: $!\n";
    my @lines = <$in>;
    close $in;
    my $checked = 0;
    my $fence = 0;
    my $header_cells = 0;    # the cells of the current table's first row (0: not in a table)
    for (my $i = 0; $i < @lines; $i++) {
        my $line = $lines[$i];
        my $where = "$file:" . ($i + 1);
        if ($line =~ /^\s*(```|~~~)/) { $fence = !$fence; next; }
        next if $fence;

        # A table row's cells are split at every | not written \|, markers included: a row
        # with more cells than its table's first row has a bare | somewhere.
        if ($line =~ /^\s*\|/) {
            my $cells = () = $line =~ /(?<!\\)\|/g;
            if (!$header_cells) {
                $header_cells = $cells;
            } elsif ($cells != $header_cells) {
                print "$where: this table row has ", $cells - 1, " cells, its table ",
                    $header_cells - 1, " (write | as \\| in a marker)\n";
                $malformed++;
            }
        } else {
            $header_cells = 0;
        }

        # A block marker: the fenced block after it is quoted from the command's output.
        if ($line =~ /^\s*<!--\s*in\s+(.*?)\s*-->\s*$/) {
            my $cmd = $1;
            my $j = $i + 1;
            $j++ while $j < @lines && $lines[$j] =~ /^\s*$/;
            if ($j >= @lines || $lines[$j] !~ /^\s*(```|~~~)/) {
                print "$where: a block marker must be followed by a fenced block\n";
                $malformed++;
                next;
            }
            my @out = split /\n/, output_of($cmd);
            my $at = 0;
            my $k;
            for ($k = $j + 1; $k < @lines && $lines[$k] !~ /^\s*(```|~~~)/; $k++) {
                my $quoted = $lines[$k];
                chomp $quoted;
                next if $quoted =~ /^\s*$/;
                my $start = $k;
                # A line ending in " \" goes on in the next one (a long row, wrapped).
                while ($quoted =~ s/\s\\$// && $k + 1 < @lines && $lines[$k + 1] !~ /^\s*(```|~~~)/) {
                    my $more = $lines[++$k];
                    chomp $more;
                    $quoted .= " $more";
                }
                my $pat = pattern_of($quoted);
                my $found = 0;
                while ($at < @out) {
                    if (blanks($out[$at++]) =~ /$pat/) { $found = 1; last; }
                }
                if (!$found) {
                    fail("$file:" . ($start + 1), "this row is not in the output of `$cmd` (in order): " . blanks($quoted));
                    last;
                }
                $checked++;
            }
            $i = $k;    # the closing fence
            next;
        }

        # Inline markers: the token just before each one is the quoted figure. A code span
        # that holds a marker shows the syntax (this page's own help): blank it out first.
        $line =~ s{(`+)(.+?)(?<!`)\1(?!`)}{ index($2, '<!--') >= 0 ? ' ' x length($&) : $& }ge;
        while ($line =~ /<!--\s*(=|in)\s+(.*?)\s*-->/g) {
            my ($kind, $cmd) = ($1, $2);
            my $before = substr($line, 0, $-[0]);
            if ($cmd =~ /--/) {
                # CommonMark ends an inline comment's validity at "--": shown as text.
                print "$where: a marker in running text may not hold \"--\" (use jsonl, sites, all, deaths, faults of tools/quoted-lib.sh)\n";
                $malformed++;
                next;
            }
            # In a table row a pipe of the command is written \| (else it splits the cell).
            $cmd =~ s/\\\|/|/g if $before =~ /^\s*\|/;
            my $token;
            if ($before =~ /`([^`]*)`\W{0,2}$/) {
                $token = $1;
            } elsif ($kind eq '=' && $before =~ /([^\s(`*|]+?)[*]*$/) {
                $token = $1;
            }
            if (!defined $token || $token eq '') {
                my $what = $kind eq '=' ? 'a word or number' : 'a `code span`';
                print "$where: $what must come just before the marker <!-- $kind $cmd -->\n";
                $malformed++;
                next;
            }
            my $out = output_of($cmd);
            if ($kind eq '=') {
                my $got = number_or_word($out);
                if ($got eq '') {
                    fail($where, "`$cmd` printed nothing (quoted: $token)");
                } elsif (number_or_word($token) ne $got) {
                    fail($where, "quoted $token, but `$cmd` gives $got");
                }
            } else {
                my $pat = pattern_of($token);
                my $found = grep { blanks($_) =~ /$pat/ } split /\n/, $out;
                fail($where, "`$token` is not in the output of `$cmd`") unless $found;
            }
            $checked++;
        }
    }
    print "quoted: $file: $checked figures and rows match their runs\n" if !$failed && !$malformed;
}
exit 2 if $malformed;
exit 1 if $failed;
exit 0;
