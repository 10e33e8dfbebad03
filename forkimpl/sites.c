/*
 * sites.c: return addresses to lines of the compiled glibc fork code, for call-site
 * annotations. The tables come from tools/fork-lines.sh (one per compiled variant).
 */
#include "sites.h"

#include <stdio.h>

#include "kern.h"

extern const fi_line_table fi_lines_glibc, fi_lines_glibc_ndebug;
static const fi_line_table *const tables[] = {&fi_lines_glibc, &fi_lines_glibc_ndebug};

/* The line of the instruction before ra (the call), or 0. */
static uint32_t line_of(const fi_line_table *t, uintptr_t ra)
{
    uintptr_t text = (uintptr_t)t->func - t->func_off;
    if (ra <= text || ra > text + t->text_end)
        return 0;
    uint32_t off = (uint32_t)(ra - 1 - text);
    size_t lo = 0, hi = t->nlines;
    while (lo < hi) { /* last entry with entry.off <= off */
        size_t mid = (lo + hi) / 2;
        if (t->lines[mid].off <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? t->lines[lo - 1].line : 0;
}

int fi_site_of(void *const *pcs, int n, char *buf, size_t len)
{
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
            uint32_t line = line_of(tables[k], (uintptr_t)pcs[i]);
            if (line != 0) {
                snprintf(buf, len, "%s:%u", tables[k]->file, line);
                return 1;
            }
        }
    return 0;
}

void fi_sites_install(void)
{
    kern_set_site_fn(fi_site_of);
}
