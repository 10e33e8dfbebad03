#!/bin/sh
# Checks forksim --sites against the source text: every RPC the forking thread makes during
# fork carries a site, and for every RPC of every scenario in DIR that carries one, the
# statement at that line of glibc's file (_Fork.c, or for "_Fork.c:L > dtable.c:M" the inner
# file's line M) must make that call. The oracle is the source text:
# the routine's name (ROUTINE or __ROUTINE) appears in the statement the line belongs to (a
# statement may span lines), or a macro that the statement uses expands to it, however deep
# (a #define of glibc's file, of forkimpl/shim or of <assert.h> whose body names it, as the
# LOSE and __USEPORT wrappers do; found in the source, not listed here). Where forksim's own
# code made the RPC beneath glibc's line ("_Fork.c:L > FUNCTION": the simulated abort of a
# failed assert), the statement must call that function in the same way.
#
# usage: tools/check-sites.sh FORKSIM GLIBC_SRC_DIR DIR
set -u
LC_ALL=C
export LC_ALL
forksim=$1
src=$2
dir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The macros of glibc's files and of the shims, one a line: NAME<TAB>BODY (continuations joined).
{ find "$src" forkimpl/shim -name '*.[ch]' -print0; printf '/usr/include/assert.h\0'; } | xargs -0 cat | awk '
    cont { body = body " " $0; if ($0 !~ /\\$/) { print name "\t" body; cont = 0 }; next }
    /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*/ {
        s = $0; sub(/^[ \t]*#[ \t]*define[ \t]+/, "", s)
        match(s, /^[A-Za-z_][A-Za-z0-9_]*/); name = substr(s, 1, RLENGTH); body = substr(s, RLENGTH + 1)
        if ($0 ~ /\\$/) cont = 1; else print name "\t" body
    }' >"$tmp/macros"
# The inline functions of glibc's headers count as macros too: a statement that calls one makes
# the calls its body makes (hurd/signal.h: _hurd_critical_section_unlock posts msg_sig_post),
# and --sites names that statement, the inlined body having no line of its own file.
find "$src" -name '*.h' -print0 | xargs -0 cat | awk '
    body != "" || name != "" { if (name != "") { body = body " " $0; if ($0 ~ /^}/) { print name "\t" body; name = ""; body = "" } }; next }
    prev ~ /(INLINE|inline)[ \t]+[A-Za-z_ *]*$/ && match($0, /^[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/) {
        name = $0; sub(/[ \t]*\(.*/, "", name)
    }
    { prev = $0 }' >>"$tmp/macros"
# Every RPC of the forking thread from its first sited RPC to its last has a site (none lost
# because the line could not be resolved).

for scn in "$dir"/*.fsim; do
    "$forksim" run "$scn" --sites >"$tmp/out" 2>/dev/null
    grep '  @ _Fork\.c:' "$tmp/out"
    awk -v f="$scn" '/# scenario: set-up done/ { s = 1 }
        s && /^ *[0-9]+ t[0-9]+\.[0-9]+ / {
            if ($0 ~ /  @ _Fork/) { if (!first) first = NR; last = NR; th = $2 }
            # a reply port made by the stub of the next RPC (M12: __mig_get_reply_port) is written
            # by the kernel glue without a site; the RPC that follows carries it
            if ($0 !~ / trap mach_reply_port\(\) = /) line[NR] = $0
        }
        END { for (i = first; i <= last; i++) if ((i in line) && line[i] !~ /  @ /) { split(line[i], w, " "); if (w[2] == th) print "sites: " f ": an RPC of the fork without a site: " line[i] } }' \
        "$tmp/out" >>"$tmp/unsited"
done >"$tmp/rpcs"
touch "$tmp/unsited"
cat "$tmp/unsited"
unsited=$(wc -l <"$tmp/unsited")
# "STEP tT.TH [trap ]ROUTINE(...) ...  @ _Fork.c:L[ > FILE:M | > FUNCTION]" ->
# ROUTINE FILE LINE CALLED: the call is ROUTINE's, or FUNCTION's (forksim's code beneath)
sed 's/^ *[0-9]* t[0-9.]* \(trap \)\{0,1\}\([a-z_0-9]*\)(.*  @ \(.*\)$/\2 \3/' "$tmp/rpcs" |
    awk '{ site = $2; called = $1
           if (NF == 4 && $4 ~ /:/) site = $4
           else if (NF == 4) called = $4
           split(site, f, ":"); print $1, f[1], f[2], called }' | sort -u >"$tmp/sites"
# each file of glibc's, by its base name
find "$src" -name '*.c' | awk -F/ '{ print $NF, $0 }' >"$tmp/files"
awk -v macros="$tmp/macros" -v files="$tmp/files" '
    function uses(text, name) { return text ~ ("(^|[^A-Za-z0-9_])" name "([^A-Za-z0-9_]|$)") }
    # the names whose use makes a call of r: r, __r, and the macros expanding to one, however deep
    function closure(r,    round, i, w, grew) {
        if (r in done) return
        done[r] = 1
        want[r, r] = 1; want[r, "__" r] = 1
        for (round = 0; round < 6; round++)
            for (i = 1; i <= n; i++)
                if (!((r, mn[i]) in want))
                    for (w = 1; w <= n + 2; w++) {
                        if (w <= n) nm = mn[w]; else nm = (w == n + 1) ? r : "__" r
                        if (((r, nm) in want) && uses(mb[i], nm)) { want[r, mn[i]] = 1; break }
                    }
    }
    function load(file,    path, k, line) {
        if (file in loaded) return loaded[file]
        path = ""
        for (k in fpath) if (k == file) path = fpath[k]
        loaded[file] = path
        if (path == "") return ""
        k = 0
        while ((getline line < path) > 0) src[file, ++k] = line
        nl[file] = k
        return path
    }
    BEGIN {
        while ((getline m < macros) > 0) { t = index(m, "\t"); mn[++n] = substr(m, 1, t - 1); mb[n] = substr(m, t + 1) }
        while ((getline m < files) > 0) { split(m, f, " "); if (!(f[1] in fpath)) fpath[f[1]] = f[2] }
    }
    {
        routine = $1; file = $2; L = $3 + 0; called = $4
        checked++
        if (load(file) == "") { printf "sites: %s at %s:%d: no such glibc file\n", routine, file, L; wrong++; next }
        # the statement holding line L: back to the end of the previous one, on to a ;
        s = L
        while (s > 1) {
            p = src[file, s - 1]; sub(/[ \t]*(\/\*.*\*\/)?[ \t]*$/, "", p)
            if (p == "" || p ~ /[;{}]$/ || p ~ /^[ \t]*#/ || p ~ /\*\/$/) break
            s--
        }
        e = L
        while (e < nl[file] && e < L + 20 && src[file, e] !~ /;/ && src[file, e] !~ /\{[ \t]*$/) e++
        text = ""
        for (i = s; i <= e; i++) text = text " " src[file, i]
        closure(called)
        ok = 0
        for (i = 1; i <= n && !ok; i++) if (((called, mn[i]) in want) && uses(text, mn[i])) ok = 1
        if (!ok && (uses(text, called) || uses(text, "__" called))) ok = 1
        if (!ok) {
            printf "sites: %s (%s) at %s:%d, but that statement does not call it:\n    %s\n", routine, called, file, L, src[file, L]
            wrong++
        }
    }
    END {
        printf "sites: %d distinct (routine, site) pairs of the RPCs of every scenario checked against the source, %d wrong\n", checked, wrong
        exit !(checked > 0 && wrong == 0)
    }' "$tmp/sites" && [ "$unsited" -eq 0 ]
