/*
 * source.c: statements of the compiled _Fork.c, found by line and by text (source.h).
 *
 * A statement's extent is found from the lines alone, without parsing C: a line whose code
 * (comments removed) ends in ';', '{', '}' or ':' ends a statement; a line with no code
 * (blank, or only a comment) bounds one; preprocessor lines inside a statement (the #ifdef in
 * the middle of task_create's arguments) are skipped. That is enough for glibc's fork code,
 * written one statement to a line or a few, in GNU style.
 */
#include "source.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *const fi_fork_source_lines[];
extern const unsigned fi_fork_source_nlines;

#define CODE_MAX 512

/* Line i's code (1-based): comments removed, blanks at both ends trimmed. *pre: a
 * preprocessor line. The comment state is found by scanning from the top once. */
static struct {
    bool ready;
    char (*code)[CODE_MAX];
    bool *pre;
} S;

static void source_prepare(void)
{
    if (S.ready)
        return;
    unsigned n = fi_fork_source_nlines;
    S.code = calloc(n + 1, sizeof *S.code);
    S.pre = calloc(n + 1, sizeof *S.pre);
    if (S.code == NULL || S.pre == NULL) {
        fprintf(stderr, "forksim: out of memory\n");
        exit(3);
    }
    bool in_comment = false;
    for (unsigned i = 1; i <= n; i++) {
        const char *l = fi_fork_source_lines[i - 1];
        char *out = S.code[i];
        size_t o = 0;
        const char *c = l;
        if (!in_comment) {
            const char *t = l + strspn(l, " \t");
            S.pre[i] = t[0] == '#';
        }
        while (*c != '\0') {
            if (in_comment) {
                if (c[0] == '*' && c[1] == '/') {
                    in_comment = false;
                    c += 2;
                } else {
                    c++;
                }
            } else if (c[0] == '/' && c[1] == '*') {
                in_comment = true;
                c += 2;
            } else if (c[0] == '/' && c[1] == '/') {
                break;
            } else {
                if (o + 1 < CODE_MAX)
                    out[o++] = *c;
                c++;
            }
        }
        out[o] = '\0';
        while (o > 0 && isspace((unsigned char)out[o - 1]))
            out[--o] = '\0';
        size_t lead = strspn(out, " \t");
        memmove(out, out + lead, strlen(out + lead) + 1);
        if (S.pre[i])
            out[0] = '\0';
    }
    S.ready = true;
}

static bool ends_statement(const char *code)
{
    size_t l = strlen(code);
    return l > 0 && strchr(";{}:", code[l - 1]) != NULL;
}

static void statement_extent(unsigned line, unsigned *first, unsigned *last)
{
    unsigned n = fi_fork_source_nlines, a = line, b = line;
    *first = *last = line;
    if (S.code[line][0] == '\0')
        return; /* a comment, a blank or a preprocessor line: no statement */
    for (unsigned j = line; j > 1; j--) {
        unsigned k = j - 1;
        if (S.pre[k])
            continue;
        if (S.code[k][0] == '\0' || ends_statement(S.code[k]))
            break;
        a = k;
    }
    if (!ends_statement(S.code[line]))
        for (unsigned k = line + 1; k <= n; k++) {
            if (S.pre[k])
                continue;
            if (S.code[k][0] == '\0')
                break;
            b = k;
            if (ends_statement(S.code[k]))
                break;
        }
    *first = a;
    *last = b;
}

bool fi_source_statement(unsigned line, char *buf, size_t len, unsigned *first, unsigned *last)
{
    if (len > 0)
        buf[0] = '\0';
    if (line == 0 || line > fi_fork_source_nlines)
        return false;
    source_prepare();
    unsigned a, b;
    statement_extent(line, &a, &b);
    size_t o = 0;
    bool blank = false;
    for (unsigned k = a; k <= b; k++) {
        if (S.pre[k] || S.code[k][0] == '\0')
            continue;
        if (o > 0)
            blank = true;
        for (const char *c = S.code[k]; *c != '\0'; c++) {
            if (isspace((unsigned char)*c)) {
                blank = o > 0;
                continue;
            }
            if (blank && o + 1 < len)
                buf[o++] = ' ';
            blank = false;
            if (o + 1 < len)
                buf[o++] = *c;
        }
    }
    if (len > 0)
        buf[o < len ? o : len - 1] = '\0';
    if (first != NULL)
        *first = a;
    if (last != NULL)
        *last = b;
    return true;
}

/* haystack contains needle, blanks ignored on both sides. */
static bool contains_loosely(const char *haystack, const char *needle)
{
    char h[4096], nd[512];
    size_t a = 0, b = 0;
    for (const char *c = haystack; *c != '\0' && a + 1 < sizeof h; c++)
        if (!isspace((unsigned char)*c))
            h[a++] = *c;
    for (const char *c = needle; *c != '\0' && b + 1 < sizeof nd; c++)
        if (!isspace((unsigned char)*c))
            nd[b++] = *c;
    h[a] = '\0';
    nd[b] = '\0';
    return b > 0 && strstr(h, nd) != NULL;
}

bool fi_source_site_has(const char *site, const char *text)
{
    const char *colon = site != NULL ? strrchr(site, ':') : NULL;
    if (colon == NULL || (size_t)(colon - site) != strlen("_Fork.c") ||
        strncmp(site, "_Fork.c", (size_t)(colon - site)) != 0)
        return false;
    char *end;
    unsigned long line = strtoul(colon + 1, &end, 10);
    if (*end != '\0')
        return false;
    char stmt[4096];
    return fi_source_statement((unsigned)line, stmt, sizeof stmt, NULL, NULL) &&
           contains_loosely(stmt, text);
}

unsigned fi_source_count(const char *text, unsigned *first_line)
{
    unsigned count = 0;
    char stmt[4096];
    unsigned prev_last = 0;
    for (unsigned line = 1; line <= fi_fork_source_nlines; line++) {
        unsigned a, b;
        fi_source_statement(line, stmt, sizeof stmt, &a, &b);
        if (stmt[0] == '\0' || a <= prev_last)
            continue; /* a statement already seen */
        prev_last = b;
        if (contains_loosely(stmt, text)) {
            if (count == 0 && first_line != NULL)
                *first_line = a;
            count++;
        }
    }
    return count;
}

const char *fi_source_line(unsigned line)
{
    return line >= 1 && line <= fi_fork_source_nlines ? fi_fork_source_lines[line - 1] : NULL;
}
