/*
 * sites.c: which line of _Fork.c made an RPC (forksim --sites, the explorer's fork RPCs).
 *
 * The return addresses of the RPC's stack are resolved at run time with libdw (elfutils),
 * over this very executable's DWARF. For the first frame whose compilation unit is glibc's
 * _Fork.c, the site is the line of the call instruction (the return address minus one: the
 * return address itself may already belong to the next statement), and where that
 * instruction lies in code inlined into _Fork.c from another file (a shim header), the
 * _Fork.c line that the inlined code was called from. An RPC made by another glibc file
 * that _Fork.c called (the fd table's fork hook in dtable.c) names that file's line too. An offset table built from the -O2
 * object (the former tools/fork-lines.sh) could not see either: gcc moves error paths to
 * .text.unlikely (other offsets) and inlined rows carry other files' lines.
 *
 * libdw reads its tables lazily and may recurse; a simulated thread runs on a small stack,
 * so everything libdw keeps is loaded once, from the host's stack, by fi_sites_install.
 */
#include "sites.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kern.h"

/* The compiled forks (the -D_Fork=... names of the Makefile). */
extern char forksim_glibc_fork[], forksim_glibc_fork_ndebug[];

static Dwfl *dwfl;
static Dwfl_Module *module;     /* this executable */
static bool sites_broken;       /* no DWARF: no sites, said once */

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

/* glibc's files are glibc/PATH in the debug information (-fdebug-prefix-map, Makefile). */
static const char *glibc_file(const char *path)
{
    return path != NULL && strncmp(path, "glibc/", 6) == 0 ? path + 6 : NULL;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* The CU holding pc, when it is one of glibc's files; its bias in *bias. */
/* forksim's own fork (issue 13 item 5) is an outer file like _Fork.c: its RPCs are the fork's
 * for the explorer's sweeps, named "fork_ours.c:LINE". */
static bool fork_ours_file(const char *path)
{
    return path != NULL && strcmp(path, "forkimpl/fork_ours.c") == 0;
}

static Dwarf_Die *glibc_cu(Dwarf_Addr pc, Dwarf_Die *cu, Dwarf_Addr *bias)
{
    Dwarf_Die *d = dwfl_module_addrdie(module, pc, bias);
    if (d == NULL || (glibc_file(dwarf_diename(d)) == NULL && !fork_ours_file(dwarf_diename(d))))
        return NULL;
    *cu = *d;
    return cu;
}

/* The line, in the CU's own file, of the call instruction at pc (biased), or 0: the line
 * table's row when it is the CU's file, else (code inlined from a header) the innermost
 * inlined call made from the CU's file. */
static int line_at(Dwarf_Die *cu, Dwarf_Addr bias, Dwarf_Addr pc)
{
    const char *file = dwarf_diename(cu);
    Dwarf_Line *l = dwarf_getsrc_die(cu, pc - bias);
    const char *lf = l != NULL ? dwarf_linesrc(l, NULL, NULL) : NULL;
    int line = 0;
    if (lf != NULL && strcmp(lf, file) == 0 && dwarf_lineno(l, &line) == 0 && line > 0)
        return line;
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, pc - bias, &scopes);
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    int found = 0;
    if (n > 0 && dwarf_getsrcfiles(cu, &files, &nfiles) == 0)
        for (int i = 0; i < n && found == 0; i++) {
            if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
                continue;
            Dwarf_Attribute a;
            Dwarf_Word fi, cl;
            if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &fi) != 0 ||
                dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cl) != 0 ||
                fi >= nfiles)
                continue;
            const char *cf = dwarf_filesrc(files, fi, NULL, NULL);
            if (cf != NULL && strcmp(cf, file) == 0)
                found = (int)cl;
        }
    free(scopes);
    return found;
}

/* The call site in _Fork.c (or in hurdexec.c or execveat.c, exec's: hexec, issue 9); where
 * the RPC comes from another glibc file that _Fork.c called
 * (the fd table's fork hook), that file's line too: "_Fork.c:666 > dtable.c:245"; where it
 * comes from a function of forkimpl/ called there, that function: "_Fork.c:215 >
 * __assert_perror_fail". */
int fi_site_of(void *const *pcs, int n, char *buf, size_t len)
{
    if (module == NULL)
        return 0;
    char inner[64] = "";
    for (int i = 0; i < n; i++) {
        Dwarf_Addr pc = (Dwarf_Addr)(uintptr_t)pcs[i] - 1, bias;
        Dwarf_Die cu;
        if (glibc_cu(pc, &cu, &bias) == NULL)
            continue;
        int line = line_at(&cu, bias, pc);
        const char *name = base_name(dwarf_diename(&cu));
        /* The outer files: fork's, and exec's (hurdexec.c; execveat.c's own lookup) */
        bool outer = strcmp(name, "_Fork.c") == 0 || strcmp(name, "hurdexec.c") == 0 ||
                     strcmp(name, "execveat.c") == 0 || strcmp(name, "fork_ours.c") == 0;
        if (!outer) {
            if (inner[0] == '\0' && line != 0)
                snprintf(inner, sizeof inner, "%s:%d", name, line);
            continue;
        }
        if (line == 0)
            return 0;
        /* Made by forksim's own code beneath glibc's line (the simulated abort of a failed
         * assert ends the process with task_terminate): that function's name too. */
        if (inner[0] == '\0' && i > 0) {
            Dwarf_Addr cpc = (Dwarf_Addr)(uintptr_t)pcs[i - 1] - 1, cbias;
            Dwarf_Die *ccu = dwfl_module_addrdie(module, cpc, &cbias);
            const char *cname = ccu != NULL ? dwarf_diename(ccu) : NULL;
            const char *fn = dwfl_module_addrname(module, cpc);
            if (cname != NULL && fn != NULL && strncmp(cname, "forkimpl/", 9) == 0)
                snprintf(inner, sizeof inner, "%s", fn);
        }
        if (inner[0] != '\0')
            snprintf(buf, len, "%s:%d > %s", name, line, inner);
        else
            snprintf(buf, len, "%s:%d", name, line);
        return 1;
    }
    return 0;
}

/* Loads this executable's DWARF and touches every table a lookup in the forks will use. */
static void sites_load(void)
{
    dwfl = dwfl_begin(&callbacks);
    if (dwfl == NULL)
        goto broken;
    dwfl_report_begin(dwfl);
    if (dwfl_linux_proc_report(dwfl, getpid()) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0)
        goto broken;
    void *const fns[] = {forksim_glibc_fork, forksim_glibc_fork_ndebug};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        Dwarf_Addr pc = (Dwarf_Addr)(uintptr_t)fns[i], bias;
        Dwfl_Module *m = dwfl_addrmodule(dwfl, pc);
        Dwarf_Die cu;
        if (m == NULL || (module != NULL && m != module))
            goto broken;
        module = m;
        if (glibc_cu(pc, &cu, &bias) == NULL)
            goto broken;
        (void)line_at(&cu, bias, pc);
    }
    /* Every other glibc file's tables too (hurdsig.c's RPCs are looked up from a simulated
     * thread, whose stack is too small for libdw's first reading of a line table). */
    Dwarf_Addr bias;
    for (Dwarf_Die *cu = dwfl_module_nextcu(module, NULL, &bias); cu != NULL;
         cu = dwfl_module_nextcu(module, cu, &bias)) {
        Dwarf_Lines *lines;
        size_t nlines;
        Dwarf_Files *files;
        size_t nfiles;
        if (glibc_file(dwarf_diename(cu)) == NULL && !fork_ours_file(dwarf_diename(cu)))
            continue;
        (void)dwarf_getsrclines(cu, &lines, &nlines);
        (void)dwarf_getsrcfiles(cu, &files, &nfiles);
    }
    return;
broken:
    module = NULL;
    if (!sites_broken)
        fprintf(stderr, "forksim: no DWARF line information for glibc's fork (built without -g?): "
                        "no call sites\n");
    sites_broken = true;
}

void fi_sites_install(void)
{
    if (dwfl == NULL && !sites_broken)
        sites_load();
    kern_set_site_fn(fi_site_of);
}
