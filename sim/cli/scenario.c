/*
 * scenario.c: the scenario file parser. Every error names the file and line and what is wrong;
 * nothing is run until the whole file has parsed.
 */
#include "scenario.h"

#include "hurd_errno.h"
#include "signames.h" /* the Hurd's signal names */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 24 /* a spawn step with its file actions and attributes needs more than 12 */

typedef struct parser {
    const char *path;
    int line;
    char *err;
    size_t errlen;
    bool failed;
} parser;

static int fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *p, const char *fmt, ...)
{
    if (!p->failed) {
        int n = snprintf(p->err, p->errlen, "%s:%d: ", p->path, p->line);
        va_list ap;
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < p->errlen)
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    p->failed = true;
    return -1;
}

static bool parse_uint(const char *w, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(w, &end, 0);
    if (errno != 0 || *end != '\0' || w[0] == '-' || v > 0xFFFFFFFFul)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool parse_int(const char *w, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(w, &end, 0);
    if (errno != 0 || *end != '\0' || v < -2147483647L - 1 || v > 2147483647L)
        return false;
    *out = (int)v;
    return true;
}

static bool label_ok(const char *w)
{
    if (!isalpha((unsigned char)w[0]) || strlen(w) >= SCN_MAX_LABEL)
        return false;
    for (const char *c = w; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
            return false;
    return true;
}

static const struct {
    const char *word;
    mach_port_type_t type;
} types[] = {
    {"SEND", MACH_PORT_TYPE_SEND},           {"RECEIVE", MACH_PORT_TYPE_RECEIVE},
    {"SEND|RECEIVE", MACH_PORT_TYPE_SEND_RECEIVE}, {"SEND_ONCE", MACH_PORT_TYPE_SEND_ONCE},
    {"PORT_SET", MACH_PORT_TYPE_PORT_SET},   {"DEAD_NAME", MACH_PORT_TYPE_DEAD_NAME},
};

bool scn_type_parse(const char *word, mach_port_type_t *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(word, types[i].word) == 0) {
            *type = types[i].type;
            return true;
        }
    return false;
}

const char *scn_type_name(mach_port_type_t type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].type == type)
            return types[i].word;
    return "?";
}

bool scn_code_parse(const char *word, kern_return_t *code)
{
    int v;
    if (parse_int(word, &v)) {
        *code = v;
        return true;
    }
    static const struct {
        long lo, hi;
    } ranges[] = {{0, 40}, {0x10000001, 0x10000012}, {0x10004001, 0x10004010},
                  {-310, -300}, {0x40000001, 0x40000080}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (long c = ranges[r].lo; c <= ranges[r].hi; c++) {
            const char *n = mk_return_name((kern_return_t)c);
            if (n == NULL)
                n = hurd_errno_name((int)c);
            if (n != NULL && strcmp(n, word) == 0) {
                *code = (kern_return_t)c;
                return true;
            }
        }
    return false;
}

/* Splits at blanks; a # starts a comment; "a quoted text" is one word (without its quotes:
 * it may hold blanks and #, not a quote). Returns the number of words, or -1 for a quote left
 * open. */
static int split(char *line, char **w)
{
    int n = 0;
    char *c = line;
    for (;;) {
        while (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
            c++;
        if (*c == '\0' || *c == '#')
            return n;
        if (n > MAX_WORDS)
            return n;
        if (*c == '"') {
            char *end = strchr(c + 1, '"');
            if (end == NULL)
                return -1;
            *end = '\0';
            w[n++] = c + 1;
            c = end + 1;
            if (*c != '\0' && *c != ' ' && *c != '\t' && *c != '\r' && *c != '\n')
                return -1;
            continue;
        }
        w[n++] = c;
        while (*c != '\0' && *c != ' ' && *c != '\t' && *c != '\r' && *c != '\n' && *c != '#')
            c++;
        if (*c == '#') {
            *c = '\0';
            return n;
        }
        if (*c != '\0')
            *c++ = '\0';
    }
}

/* The routines an rpc step may call, and their arguments: N a name (label or number), R a
 * right (SEND ...), D a delta (an int), T a disposition (MAKE_SEND ...), L a new label; "*N"
 * is a list of 0 to 5 names (mach_ports_register: 5 is one more than TASK_PORT_REGISTER_MAX,
 * so a scenario can meet the count check), "*L" a list of 1 to 4 new labels, one per slot
 * mach_ports_lookup returns. Each may be followed by "in TASK" (a task's name) except the
 * self traps. */
static const struct {
    const char *name, *args;
} rpc_routines[] = {
    {"mach_port_mod_refs", "NRD"},      {"mach_port_deallocate", "N"},
    {"mach_port_get_refs", "NR"},       {"mach_port_destroy", "N"},
    {"mach_port_allocate_name", "RN"},  {"mach_port_insert_right", "NNT"},
    {"mach_port_allocate", "RL"},       {"mach_thread_self", "L"},
    {"mach_task_self", "L"},            {"task_create", "L"},
    {"thread_create", "L"},             {"task_terminate", "N"},
    {"mach_ports_register", "*N"},      {"mach_ports_lookup", "*L"},
};

/* the routines that make RPCs (sim/kern/mach_stubs.h, sim/hurd/servers.h) */
static const char *const known_routines[] = {
    "mach_port_allocate", "mach_port_allocate_name", "mach_port_deallocate",
    "mach_port_destroy", "mach_port_insert_right", "mach_port_extract_right",
    "mach_port_get_refs", "mach_port_mod_refs", "mach_port_names", "mach_port_type",
    "mach_port_rename", "mach_port_move_member", "mach_port_request_notification",
    "mach_port_set_qlimit", "mach_port_set_mscount", "task_create", "task_terminate",
    "task_suspend", "task_resume", "task_threads", "task_get_special_port",
    "task_set_special_port", "mach_ports_register", "mach_ports_lookup", "thread_create",
    "thread_suspend", "thread_resume", "thread_abort", "thread_terminate",
    "thread_get_state", "thread_set_state", "thread_get_special_port",
    "thread_set_special_port", "vm_allocate", "vm_deallocate", "mach_msg",
    "mach_task_self", "mach_thread_self", "mach_reply_port",
    "proc_task2proc", "proc_task2pid", "proc_pid2task", "proc_child", "proc_setmsgport",
    "proc_getmsgport", "proc_getpids", "proc_get_arg_locations", "proc_set_arg_locations",
    "proc_dostop", "proc_mark_exit", "proc_mark_stop", "proc_wait", "msg_sig_post",
    "msg_proc_newids", "term_open_ctty", "term_getctty", "fs_getroot",
};

bool scn_routine_known(const char *routine)
{
    for (size_t k = 0; k < sizeof known_routines / sizeof known_routines[0]; k++)
        if (strcmp(known_routines[k], routine) == 0)
            return true;
    return false;
}

static bool is_right_word(const char *w)
{
    return !strcmp(w, "SEND") || !strcmp(w, "RECEIVE") || !strcmp(w, "SEND_ONCE") ||
           !strcmp(w, "PORT_SET") || !strcmp(w, "DEAD_NAME");
}

static bool is_disposition_word(const char *w)
{
    return !strcmp(w, "MOVE_RECEIVE") || !strcmp(w, "MOVE_SEND") || !strcmp(w, "MOVE_SEND_ONCE") ||
           !strcmp(w, "COPY_SEND") || !strcmp(w, "MAKE_SEND") || !strcmp(w, "MAKE_SEND_ONCE");
}

/* A name argument: a label, or a number that fits a port name. */
static bool is_name_arg(const char *w)
{
    unsigned v;
    return label_ok(w) || parse_uint(w, &v);
}

static int check_rpc_args(parser *p, const char *routine, const char *pattern, char **args, int n)
{
    if (pattern[0] == '*') {
        /* a list: "in TASK" at its end, if anywhere */
        bool in = n >= 2 && strcmp(args[n - 2], "in") == 0;
        int k = in ? n - 2 : n;
        int lo = pattern[1] == 'N' ? 0 : 1, hi = pattern[1] == 'N' ? 5 : 4;
        if (k < lo || k > hi)
            return fail(p, "rpc %s takes %d to %d %s [in TASK]", routine, lo, hi,
                        pattern[1] == 'N' ? "names" : "labels, one per slot");
        if (in && !is_name_arg(args[n - 1]))
            return fail(p, "rpc %s: 'in %s': a task's name (label or number)", routine, args[n - 1]);
        for (int i = 0; i < k; i++)
            if (pattern[1] == 'N' ? !is_name_arg(args[i]) : !label_ok(args[i]))
                return fail(p, "rpc %s: argument %d '%s' is not a %s", routine, i + 1, args[i],
                            pattern[1] == 'N' ? "name (label or number)" : "label");
        return 0;
    }
    int k = (int)strlen(pattern);
    bool in = n == k + 2 && strcmp(args[k], "in") == 0;
    if (n != k && !in)
        return fail(p, "rpc %s takes %d argument%s%s", routine, k, k == 1 ? "" : "s",
                    strcmp(routine, "mach_thread_self") && strcmp(routine, "mach_task_self")
                        ? " [in TASK]" : "");
    if (in && !is_name_arg(args[k + 1]))
        return fail(p, "rpc %s: 'in %s': a task's name (label or number)", routine, args[k + 1]);
    for (int i = 0; i < k; i++) {
        const char *w = args[i];
        int d;
        switch (pattern[i]) {
        case 'N':
            if (!is_name_arg(w))
                return fail(p, "rpc %s: argument %d '%s' is not a name (label or number)", routine, i + 1, w);
            break;
        case 'L':
            if (!label_ok(w))
                return fail(p, "rpc %s: argument %d '%s' is not a label", routine, i + 1, w);
            break;
        case 'R':
            if (!is_right_word(w))
                return fail(p, "rpc %s: argument %d '%s' is not a right (SEND, RECEIVE, SEND_ONCE, PORT_SET, DEAD_NAME)", routine, i + 1, w);
            break;
        case 'T':
            if (!is_disposition_word(w))
                return fail(p, "rpc %s: argument %d '%s' is not a disposition (MOVE_RECEIVE, MOVE_SEND, MOVE_SEND_ONCE, COPY_SEND, MAKE_SEND, MAKE_SEND_ONCE)", routine, i + 1, w);
            break;
        case 'D':
            if (!parse_int(w, &d))
                return fail(p, "rpc %s: argument %d '%s' is not a number", routine, i + 1, w);
            break;
        }
    }
    return 0;
}

static int parse_have(parser *p, scenario *s, char **w, int n)
{
    if (s->nhaves == SCN_MAX_ITEMS)
        return fail(p, "too many have lines (at most %d)", SCN_MAX_ITEMS);
    scn_have *h = &s->haves[s->nhaves];
    memset(h, 0, sizeof *h);
    h->line = p->line;
    if (n < 2)
        return fail(p, "have what? (receive, send, send-once, dead-name, port-set, thread, names)");
    const char *kind = w[1];
    int argi = 3;
    if (strcmp(kind, "fd") == 0) {
        h->kind = HAVE_FD;
        if (n < 3 || (strcmp(w[2], "tty") && strcmp(w[2], "file")))
            return fail(p, "have fd tty|file [no-ctty] [cloexec] [times K]");
        h->tty = strcmp(w[2], "tty") == 0;
        for (int i = 3; i < n; i++) {
            if (strcmp(w[i], "no-ctty") == 0 && h->tty)
                h->no_ctty = true;
            else if (strcmp(w[i], "cloexec") == 0)
                h->cloexec = true;
            else if (strcmp(w[i], "times") == 0 && i + 1 < n) {
                /* issue 13, item 3: descriptors by the hundred for make costs */
                if (!parse_uint(w[++i], &h->times) || h->times == 0 || h->times > 1024)
                    return fail(p, "have fd ... times K: K from 1 to 1024");
            } else
                return fail(p, "have fd: '%s' is not no-ctty (a tty only), cloexec or times K", w[i]);
        }
        s->nhaves++;
        return 0;
    } else if (strcmp(kind, "thread") == 0) {
        h->kind = HAVE_THREAD;
        argi = 2;
    } else if (strcmp(kind, "names") == 0) {
        h->kind = HAVE_NAMES;
        if ((n != 3 && n != 5) || !parse_uint(w[2], &h->count) || h->count == 0 || h->count > 20000)
            return fail(p, "have names COUNT [of KIND]: COUNT from 1 to 20000");
        if (n == 5) {
            /* issue 13, item 3: names of one kind, so that fork's cost per name is one
             * branch of _Fork.c's loop */
            static const struct {
                const char *word;
                scn_have_kind kind;
            } kinds[] = {{"receive", HAVE_RECEIVE}, {"send", HAVE_SEND}, {"send-once", HAVE_SEND_ONCE},
                         {"dead-name", HAVE_DEAD_NAME}, {"port-set", HAVE_PORT_SET}};
            size_t k = 0;
            while (k < sizeof kinds / sizeof kinds[0] && strcmp(w[4], kinds[k].word) != 0)
                k++;
            if (strcmp(w[3], "of") != 0 || k == sizeof kinds / sizeof kinds[0])
                return fail(p, "have names COUNT of KIND: KIND is receive, send, send-once, "
                               "dead-name or port-set, not '%s %s'", w[3], w[4]);
            h->names_of = true;
            h->of = kinds[k].kind;
        }
        s->nhaves++;
        return 0;
    } else {
        if (strcmp(kind, "receive") == 0)
            h->kind = HAVE_RECEIVE;
        else if (strcmp(kind, "send") == 0)
            h->kind = HAVE_SEND;
        else if (strcmp(kind, "send-once") == 0)
            h->kind = HAVE_SEND_ONCE;
        else if (strcmp(kind, "dead-name") == 0)
            h->kind = HAVE_DEAD_NAME;
        else if (strcmp(kind, "port-set") == 0)
            h->kind = HAVE_PORT_SET;
        else
            return fail(p, "unknown right '%s' (receive, send, send-once, dead-name, port-set, thread, names, fd)", kind);
        if (n < 3 || !label_ok(w[2]))
            return fail(p, "have %s NAME: NAME is a label (a letter, then letters, digits, - or _)", kind);
        snprintf(h->label, sizeof h->label, "%s", w[2]);
        for (size_t i = 0; i < s->nhaves; i++)
            if (strcmp(s->haves[i].label, h->label) == 0)
                return fail(p, "label '%s' already used on line %d", h->label, s->haves[i].line);
    }
    h->count = h->kind == HAVE_SEND || h->kind == HAVE_DEAD_NAME ? 1 : 0;
    for (; argi < n; argi += 2) {
        const char *opt = w[argi];
        if (argi + 1 >= n)
            return fail(p, "'%s' needs a number", opt);
        unsigned v;
        if (!parse_uint(w[argi + 1], &v))
            return fail(p, "'%s' is not a number", w[argi + 1]);
        if (strcmp(opt, "urefs") == 0 && (h->kind == HAVE_SEND || h->kind == HAVE_DEAD_NAME)) {
            unsigned max = h->kind == HAVE_SEND ? 65534 : 65535;
            if (v < 1 || v > max)
                return fail(p, "urefs must be 1 to %u for a %s", max, kind);
            h->count = v;
        } else if (strcmp(opt, "send") == 0 && h->kind == HAVE_RECEIVE) {
            if (v > 65534)
                return fail(p, "send urefs must be 0 to 65534");
            h->count = v;
        } else {
            return fail(p, "'%s' does not apply to have %s", opt, kind);
        }
    }
    s->nhaves++;
    return 0;
}

int scn_process_find(const scenario *s, const char *name)
{
    for (unsigned k = 0; k < s->nprocs; k++)
        if (strcmp(s->procs[k].name, name) == 0)
            return (int)k;
    return -1;
}

/* Declares the named process NAME (process NAME, fork as NAME). A name is a label that is no
 * directive word (a line "NAME STEP ..." must mean the process) and no word a kill already
 * means (self, parent, child) nor a built-in label, and is declared once. */
static int process_declare(parser *p, scenario *s, const char *name, bool forked, bool daemon)
{
    static const char *const reserved[] = {
        "parent", "child", "self", "peer", "killer", "title", "fork", "seed", "policy",
        "decisions", "world", "delay", "have", "peg", "expect", "fault", "at", "before",
        "after", "anywhere", "process", "task-self", "thread-self", "sigthread", "proc",
        "msgport", "forksim-scenario"};
    if (!label_ok(name))
        return fail(p, "process name '%s': a letter, then letters, digits, - or _ (at most %d)",
                    name, SCN_MAX_LABEL - 1);
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return fail(p, "process name '%s' is a word of the language already: choose another", name);
    int k = scn_process_find(s, name);
    if (k >= 0)
        return fail(p, "process '%s' already named on line %d", name, s->procs[k].line);
    if (s->nprocs == SCN_MAX_PROCS)
        return fail(p, "too many named processes (at most %d)", SCN_MAX_PROCS);
    scn_process *pr = &s->procs[s->nprocs++];
    memset(pr, 0, sizeof *pr);
    snprintf(pr->name, sizeof pr->name, "%s", name);
    pr->forked = forked;
    pr->daemon = daemon;
    pr->line = p->line;
    return 0;
}

/* The target of a kill: child, parent, self, or a process named above. */
static bool kill_target_ok(const scenario *s, const char *to)
{
    return !strcmp(to, "child") || !strcmp(to, "parent") || !strcmp(to, "self") ||
           scn_process_find(s, to) >= 0;
}

/* SIG[,SIG...] or none: a Hurd sigset_t's bits. */
static bool parse_sigset(const char *word, unsigned long *set)
{
    *set = 0;
    if (strcmp(word, "none") == 0)
        return true;
    char buf[SCN_MAX_TEXT];
    if (snprintf(buf, sizeof buf, "%s", word) >= (int)sizeof buf)
        return false;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        int signo;
        if (!signame_parse(t, &signo))
            return false;
        *set |= 1UL << (signo - 1);
    }
    return true;
}

/* parent spawn PATH [open FD PATH | close FD | dup2 FD NEWFD | setsigmask SIGS |
 * setsigdef SIGS | setpgroup PGRP | resetids]... [-> CODE] (issue 13, item 1): glibc's
 * posix_spawn; CODE is the error posix_spawn must return. w[2..end) are the path and items. */
static int parse_spawn(parser *p, scenario *s, scn_step *st, char **w, int end,
                       const char *result)
{
    static const char usage[] = "spawn PATH [open FD PATH] [close FD] [dup2 FD NEWFD] "
                                "[setsigmask SIGS] [setsigdef SIGS] [setpgroup PGRP] "
                                "[resetids] [-> CODE]";
    if (st->who != WHO_PARENT)
        return fail(p, "only the parent spawns");
    if (end < 3 || w[2][0] != '/')
        return fail(p, "%s: PATH is an absolute path (/bin/true, /bin/false, /bin/sigwait, "
                       "/bin/sigreport)", usage);
    if (strlen(w[2]) >= SCN_MAX_LABEL)
        return fail(p, "spawn: path '%s' too long", w[2]);
    if (s->nspawns == SCN_MAX_SPAWNS)
        return fail(p, "too many spawn steps (at most %d)", SCN_MAX_SPAWNS);
    scn_spawn *sp = &s->spawns[s->nspawns];
    memset(sp, 0, sizeof *sp);
    st->kind = STEP_SPAWN;
    snprintf(st->args[0], sizeof st->args[0], "%s", w[2]);
    st->nargs = 1;
    for (int i = 3; i < end;) {
        const char *k = w[i];
        int fd = -1, fd2 = -1;
        bool action = strcmp(k, "open") == 0 || strcmp(k, "close") == 0 || strcmp(k, "dup2") == 0;
        if (action && sp->nactions == SCN_MAX_SPAWN_ACTIONS)
            return fail(p, "spawn: at most %d file actions", SCN_MAX_SPAWN_ACTIONS);
        if (strcmp(k, "open") == 0) {
            if (i + 2 >= end || !parse_int(w[i + 1], &fd) || fd < 0 || w[i + 2][0] != '/' ||
                strlen(w[i + 2]) >= SCN_MAX_LABEL)
                return fail(p, "spawn ... open FD PATH: FD a descriptor number, PATH absolute");
            sp->actions[sp->nactions].kind = 'o';
            sp->actions[sp->nactions].fd = fd;
            snprintf(sp->actions[sp->nactions].path, SCN_MAX_LABEL, "%s", w[i + 2]);
            sp->nactions++;
            i += 3;
        } else if (strcmp(k, "close") == 0) {
            if (i + 1 >= end || !parse_int(w[i + 1], &fd) || fd < 0)
                return fail(p, "spawn ... close FD: FD a descriptor number");
            sp->actions[sp->nactions].kind = 'c';
            sp->actions[sp->nactions].fd = fd;
            sp->nactions++;
            i += 2;
        } else if (strcmp(k, "dup2") == 0) {
            if (i + 2 >= end || !parse_int(w[i + 1], &fd) || fd < 0 ||
                !parse_int(w[i + 2], &fd2) || fd2 < 0)
                return fail(p, "spawn ... dup2 FD NEWFD: two descriptor numbers");
            sp->actions[sp->nactions].kind = 'd';
            sp->actions[sp->nactions].fd = fd;
            sp->actions[sp->nactions].newfd = fd2;
            sp->nactions++;
            i += 3;
        } else if (strcmp(k, "setsigmask") == 0 || strcmp(k, "setsigdef") == 0) {
            bool mask = strcmp(k, "setsigmask") == 0;
            short flag = mask ? SCN_SPAWN_SETSIGMASK : SCN_SPAWN_SETSIGDEF;
            if (sp->flags & flag)
                return fail(p, "spawn: %s given twice", k);
            if (i + 1 >= end || !parse_sigset(w[i + 1], mask ? &sp->sigmask : &sp->sigdefault))
                return fail(p, "spawn ... %s SIGS: signals joined by commas (USR1,TERM: the "
                               "Hurd's names or numbers), or none", k);
            sp->flags |= flag;
            i += 2;
        } else if (strcmp(k, "setpgroup") == 0) {
            if (sp->flags & SCN_SPAWN_SETPGROUP)
                return fail(p, "spawn: setpgroup given twice");
            if (i + 1 >= end || !parse_int(w[i + 1], &sp->pgroup) || sp->pgroup < 0)
                return fail(p, "spawn ... setpgroup PGRP: a process group id, 0 for the child's pid");
            sp->flags |= SCN_SPAWN_SETPGROUP;
            i += 2;
        } else if (strcmp(k, "resetids") == 0) {
            if (sp->flags & SCN_SPAWN_RESETIDS)
                return fail(p, "spawn: resetids given twice");
            sp->flags |= SCN_SPAWN_RESETIDS;
            i += 1;
        } else {
            return fail(p, "%s: unknown item '%s'", usage, k);
        }
    }
    if (result != NULL) {
        if (!scn_code_parse(result, &st->expect_code))
            return fail(p, "spawn ... -> CODE: unknown error code '%s'", result);
        st->has_expect = true;
    }
    st->expect_value = (int)s->nspawns++;
    s->with_exec = true;
    return 0;
}

static int parse_step(parser *p, scenario *s, scn_who who, char **w, int n)
{
    if (s->nsteps == SCN_MAX_STEPS)
        return fail(p, "too many steps (at most %d)", SCN_MAX_STEPS);
    scn_step *st = &s->steps[s->nsteps];
    memset(st, 0, sizeof *st);
    st->who = who;
    st->line = p->line;
    if (n < 2)
        return fail(p, "%s what? (fork, vfork, exit, wait, yield, rpc, kill, handler, block, unblock, pause, exec, spawn)", w[0]);
    /* an optional "-> RESULT" at the end */
    int end = n;
    const char *result = NULL;
    bool is_wait = strcmp(w[1], "wait") == 0;
    /* fork -> error CODE: the errno a failed fork leaves */
    bool fork_errno = strcmp(w[1], "fork") == 0 && n == 5 && strcmp(w[2], "->") == 0 &&
                      strcmp(w[3], "error") == 0;
    for (int i = 2; i < n; i++)
        if (strcmp(w[i], "->") == 0 && !(is_wait || fork_errno ? i == n - 3 : i == n - 2))
            return fail(p, "'->' must be followed by exactly one result%s",
                        is_wait ? " (wait -> status N)" : "");
    if (fork_errno) {
        if (!scn_code_parse(w[4], &st->expect_code))
            return fail(p, "unknown error code '%s'", w[4]);
        st->has_errno = true;
        result = "error";
        end = 2;
    } else if (!is_wait && n >= 4 && strcmp(w[n - 2], "->") == 0) {
        result = w[n - 1];
        end = n - 2;
    }
    const char *verb = w[1];
    if (strcmp(verb, "fork") == 0 || strcmp(verb, "vfork") == 0) {
        if (who != WHO_PARENT)
            return fail(p, "only the parent forks");
        st->kind = STEP_FORK;
        st->vfork = strcmp(verb, "vfork") == 0;
        if (end == 4 && strcmp(w[2], "as") == 0) {
            /* fork as NAME: the child is the process NAME too (kill SIG to NAME, wait NAME) */
            if (process_declare(p, s, w[3], true, false) != 0)
                return -1;
            snprintf(st->args[0], sizeof st->args[0], "%s", w[3]);
            st->nargs = 1;
        } else if (end != 2)
            return fail(p, "%s takes no arguments but 'as NAME'", verb);
        if (result != NULL) {
            st->has_expect = true;
            if (strcmp(result, "ok") == 0)
                st->expect_value = 1;
            else if (strcmp(result, "error") == 0)
                st->expect_value = 0;
            else
                return fail(p, "fork -> ok, fork -> error or fork -> error CODE");
        }
    } else if (strcmp(verb, "exit") == 0) {
        st->kind = STEP_EXIT;
        if (end != 3 || !parse_int(w[2], &st->expect_value) || st->expect_value < 0 ||
            st->expect_value > 255)
            return fail(p, "exit N: N from 0 to 255");
    } else if (strcmp(verb, "wait") == 0) {
        if (who != WHO_PARENT)
            return fail(p, "only the parent waits");
        st->kind = STEP_WAIT;
        char *shifted[MAX_WORDS + 2];
        if (n >= 3 && strcmp(w[2], "->") != 0 && strcmp(w[2], "untraced") != 0) {
            /* wait NAME ...: the child fork as NAME made, not the last one */
            int k = scn_process_find(s, w[2]);
            if (k < 0 || !s->procs[k].forked)
                return fail(p, "wait NAME: '%s' is no child named by 'parent fork as NAME' above", w[2]);
            snprintf(st->args[0], sizeof st->args[0], "%s", w[2]);
            st->nargs = 1;
            shifted[0] = w[0];
            shifted[1] = w[1];
            for (int i = 3; i < n; i++)
                shifted[i - 1] = w[i];
            w = shifted;
            n--;
        }
        if (n == 5 && strcmp(w[2], "->") == 0 && strcmp(w[3], "status") == 0) {
            /* the runner compares N << 8 with the wait status: N must be an exit status */
            if (!parse_int(w[4], &st->expect_value) || st->expect_value < 0 || st->expect_value > 255)
                return fail(p, "wait -> status N: N is the exit status, from 0 to 255");
            st->has_expect = true;
        } else if (n == 5 && strcmp(w[2], "->") == 0 && strcmp(w[3], "signal") == 0) {
            /* ended by a signal: the status is the signal's number (W_EXITCODE(0, SIG)) */
            if (!signame_parse(w[4], &st->expect_value))
                return fail(p, "wait -> signal SIG: unknown signal '%s' (a Hurd signal name or number)", w[4]);
            st->has_expect = true;
            st->by_signal = true;
        } else if (n == 6 && strcmp(w[2], "untraced") == 0 && strcmp(w[3], "->") == 0 &&
                   strcmp(w[4], "stopped") == 0) {
            /* wait untraced -> stopped SIG: proc_wait with WUNTRACED sees the child stopped */
            if (!signame_parse(w[5], &st->expect_value))
                return fail(p, "wait untraced -> stopped SIG: unknown signal '%s'", w[5]);
            st->has_expect = true;
            st->untraced = true;
        } else if (n == 5 && strcmp(w[2], "->") == 0 && strcmp(w[3], "error") == 0) {
            /* the wait itself fails with CODE (proc_wait's error, as EINTR) */
            if (!scn_code_parse(w[4], &st->expect_code))
                return fail(p, "wait -> error CODE: unknown code '%s'", w[4]);
            st->has_expect = true;
            st->has_errno = true;
        } else if (n != 2) {
            return fail(p, "wait, wait -> status N, wait -> signal SIG, wait -> error CODE, or wait untraced -> stopped SIG");
        }
    } else if (strcmp(verb, "yield") == 0) {
        st->kind = STEP_YIELD;
        if (n != 2)
            return fail(p, "yield takes no arguments");
    } else if (strcmp(verb, "kill") == 0) {
        st->kind = STEP_KILL;
        if (end != 3 && !(end == 5 && strcmp(w[3], "to") == 0))
            return fail(p, "kill SIG [to child|parent|self|NAME]");
        if (!signame_parse(w[2], &st->signo))
            return fail(p, "kill SIGNAL: a signal name (TERM, SIGTERM) or a number from 1 to %d, "
                           "the Hurd's (forksim signals lists them)", SIGNAME_MAX);
        st->expect_value = st->signo;
        const char *to = end == 5 ? w[4] : "child";
        /* a NAME may be declared further down the file (checked once it is read: names_check) */
        if (!label_ok(to) || strlen(to) >= sizeof st->args[0])
            return fail(p, "kill SIG to child|parent|self|NAME: '%s' is none of them", to);
        if (strcmp(to, "child") == 0 && who == WHO_CHILD)
            return fail(p, "kill ... to child: the child has no child");
        snprintf(st->args[0], sizeof st->args[0], "%s", to);
        st->nargs = 1;
    } else if (strcmp(verb, "handler") == 0) {
        st->kind = STEP_HANDLER;
        if (end < 4)
            return fail(p, "handler SIG record|ignore|default|exit N|do ACTION");
        if (!signame_parse(w[2], &st->signo))
            return fail(p, "handler: unknown signal '%s' (forksim signals lists them)", w[2]);
        if (st->signo == 9 || st->signo == 17)
            return fail(p, "handler: %s cannot be caught or ignored", w[2]);
        const char *act = w[3];
        if (strcmp(act, "do") == 0 && end >= 6 && strcmp(w[4], "exit") == 0) {
            /* do exit N is the handler exit N: it ends the process from the handler */
            act = "exit";
            w[3] = w[4];
            w[4] = w[5];
            end--;
            for (int i = 5; i < end; i++)
                w[i] = w[i + 1];
        }
        if (strcmp(act, "do") == 0) {
            /* handler SIG do ACTION: ACTION (kill, exec, rpc, block, unblock) is parsed as a step
             * of this process's, kept right after this one and marked as the handler's body */
            if (end < 5)
                return fail(p, "handler SIG do ACTION: kill SIG [to WHO], exec PATH, rpc ROUTINE "
                               "ARGS..., block SIG, unblock SIG or exit N");
            const char *v = w[4];
            if (strcmp(v, "kill") && strcmp(v, "exec") && strcmp(v, "rpc") && strcmp(v, "block") &&
                strcmp(v, "unblock"))
                return fail(p, "handler SIG do '%s': a handler's action is kill, exec, rpc, block, "
                               "unblock or exit N", v);
            if (s->nsteps + 1 >= SCN_MAX_STEPS)
                return fail(p, "too many steps (at most %d)", SCN_MAX_STEPS);
            snprintf(st->routine, sizeof st->routine, "do");
            st->expect_value = (int)s->nsteps + 1;
            s->nsteps++;
            char *body[MAX_WORDS + 2];
            body[0] = w[0];
            for (int i = 4; i < n; i++)
                body[i - 3] = w[i];
            if (parse_step(p, s, who, body, n - 3) != 0) {
                s->nsteps--;
                return -1;
            }
            s->steps[s->nsteps - 1].handler_body = true;
            return 0;
        }
        if (strcmp(act, "exit") == 0) {
            if (end != 5 || !parse_int(w[4], &st->expect_value) || st->expect_value < 0 ||
                st->expect_value > 255)
                return fail(p, "handler SIG exit N: N from 0 to 255");
        } else if (strcmp(act, "record") != 0 && strcmp(act, "ignore") != 0 &&
                   strcmp(act, "default") != 0) {
            return fail(p, "handler SIG record|ignore|default|exit N|do ACTION, not '%s'", act);
        } else if (end != 4) {
            return fail(p, "handler SIG %s takes nothing more", act);
        }
        snprintf(st->routine, sizeof st->routine, "%s", act);
    } else if (strcmp(verb, "pause") == 0) {
        st->kind = STEP_PAUSE;
        if (n != 2)
            return fail(p, "pause takes no arguments");
    } else if (strcmp(verb, "exec") == 0) {
        /* exec PATH [-> CODE]: glibc's execve; the code is the errno of a failed exec */
        st->kind = STEP_EXEC;
        if (end != 3 || w[2][0] != '/')
            return fail(p, "exec PATH [-> CODE]: an absolute path (/bin/true, /bin/false, "
                           "/bin/sigwait, /bin/sigreport)");
        if (strlen(w[2]) >= SCN_MAX_LABEL)
            return fail(p, "exec: path '%s' too long", w[2]);
        snprintf(st->args[0], sizeof st->args[0], "%s", w[2]);
        st->nargs = 1;
        if (result != NULL) {
            if (!scn_code_parse(result, &st->expect_code))
                return fail(p, "unknown error code '%s'", result);
            st->has_expect = true;
        }
        s->with_exec = true;
    } else if (strcmp(verb, "spawn") == 0) {
        if (parse_spawn(p, s, st, w, end, result) != 0)
            return -1;
    } else if (strcmp(verb, "block") == 0 || strcmp(verb, "unblock") == 0) {
        st->kind = STEP_MASK;
        if (end != 3)
            return fail(p, "%s SIG", verb);
        if (!signame_parse(w[2], &st->signo))
            return fail(p, "%s: unknown signal '%s' (forksim signals lists them)", verb, w[2]);
        snprintf(st->routine, sizeof st->routine, "%s", verb);
    } else if (strcmp(verb, "rpc") == 0) {
        st->kind = STEP_RPC;
        if (who >= WHO_NAMED)
            return fail(p, "rpc: only the parent and the child (labels name their rights)");
        if (end < 3)
            return fail(p, "rpc ROUTINE ARGS... [-> CODE]");
        const char *pattern = NULL;
        for (size_t i = 0; i < sizeof rpc_routines / sizeof rpc_routines[0]; i++)
            if (strcmp(w[2], rpc_routines[i].name) == 0)
                pattern = rpc_routines[i].args;
        if (pattern == NULL)
            return fail(p, "rpc: unknown routine '%s'", w[2]);
        if (check_rpc_args(p, w[2], pattern, w + 3, end - 3) != 0)
            return -1;
        snprintf(st->routine, sizeof st->routine, "%s", w[2]);
        st->nargs = end - 3;
        if (st->nargs > SCN_MAX_ARGS)
            return fail(p, "rpc: too many arguments");
        for (int i = 0; i < st->nargs; i++) {
            if (strlen(w[3 + i]) >= SCN_MAX_LABEL)
                return fail(p, "rpc: argument '%s' too long", w[3 + i]);
            snprintf(st->args[i], sizeof st->args[i], "%s", w[3 + i]);
        }
        if (result != NULL) {
            if (!scn_code_parse(result, &st->expect_code))
                return fail(p, "unknown return code '%s'", result);
            st->has_expect = true;
        }
    } else {
        return fail(p, "unknown step '%s' (fork, vfork, exit, wait, yield, rpc, kill, handler, block, unblock, pause, exec)", verb);
    }
    s->nsteps++;
    return 0;
}

static int parse_expect(parser *p, scenario *s, char **w, int n)
{
    if (s->nexpects == SCN_MAX_EXPECT)
        return fail(p, "too many expectations (at most %d)", SCN_MAX_EXPECT);
    scn_expect *e = &s->expects[s->nexpects];
    memset(e, 0, sizeof *e);
    e->line = p->line;
    if (n == 3 && strcmp(w[1], "verdict") == 0) {
        e->kind = EXPECT_VERDICT;
        if (strcmp(w[2], "ok") && strcmp(w[2], "abort") && strcmp(w[2], "deadlock") &&
            strcmp(w[2], "livelock"))
            return fail(p, "expect verdict ok|abort|deadlock|livelock");
        snprintf(e->word, sizeof e->word, "%s", w[2]);
    } else if (n == 3 && strcmp(w[1], "child") == 0 && strcmp(w[2], "copies-parent") == 0) {
        e->kind = EXPECT_COPIES;
        e->who = WHO_CHILD;
    } else if (n >= 2 && strcmp(w[1], "abort") == 0) {
        /* expect abort at "TEXT" [in parent|child]   |   expect abort FILE:LINE */
        e->kind = EXPECT_ABORT_AT;
        if (n >= 4 && strcmp(w[2], "at") == 0) {
            if (w[3][0] == '\0' || strlen(w[3]) >= SCN_MAX_TEXT)
                return fail(p, "expect abort at \"TEXT\": the text of a _Fork.c statement, 1 to %d characters",
                            SCN_MAX_TEXT - 1);
            snprintf(e->text, sizeof e->text, "%s", w[3]);
            if (n == 6 && strcmp(w[4], "in") == 0 && strcmp(w[5], "parent") == 0)
                e->proc = PROC_PARENT;
            else if (n == 6 && strcmp(w[4], "in") == 0 && strcmp(w[5], "child") == 0)
                e->proc = PROC_CHILD;
            else if (n != 4)
                return fail(p, "expect abort at \"TEXT\" [in parent|child]");
        } else {
            const char *colon = n == 3 ? strrchr(w[2], ':') : NULL;
            unsigned line;
            if (colon == NULL || colon == w[2] || !parse_uint(colon + 1, &line) || line == 0 ||
                strlen(w[2]) >= sizeof e->word)
                return fail(p, "expect abort at \"TEXT\" [in parent|child] (a statement of _Fork.c), or expect abort FILE:LINE");
            snprintf(e->word, sizeof e->word, "%s", w[2]);
        }
    } else if (n >= 5 && (strcmp(w[1], "parent") == 0 || strcmp(w[1], "child") == 0) &&
               strcmp(w[2], "fd") == 0) {
        e->kind = EXPECT_FD;
        e->who = strcmp(w[1], "parent") == 0 ? WHO_PARENT : WHO_CHILD;
        if (!parse_uint(w[3], &e->urefs) || e->urefs > 1023)
            return fail(p, "expect %s fd N: N is a descriptor number", w[1]);
        if (n == 5 && (!strcmp(w[4], "open") || !strcmp(w[4], "absent") || !strcmp(w[4], "cloexec")))
            snprintf(e->word, sizeof e->word, "%s", w[4]);
        else if (n == 6 && !strcmp(w[4], "ctty") &&
                 (!strcmp(w[5], "own") || !strcmp(w[5], "same") || !strcmp(w[5], "none")))
            snprintf(e->word, sizeof e->word, "ctty-%s", w[5]);
        else
            return fail(p, "expect %s fd N open|absent|cloexec, or fd N ctty own|same|none", w[1]);
    } else if (n >= 4 && (strcmp(w[1], "parent") == 0 || strcmp(w[1], "child") == 0)) {
        e->who = strcmp(w[1], "parent") == 0 ? WHO_PARENT : WHO_CHILD;
        if (!label_ok(w[2]))
            return fail(p, "expect %s NAME: '%s' is not a label", w[1], w[2]);
        snprintf(e->label, sizeof e->label, "%s", w[2]);
        if (n == 4 && strcmp(w[3], "absent") == 0) {
            e->kind = EXPECT_ABSENT;
        } else if (n == 5 && strcmp(w[3], "port") == 0) {
            if (e->who != WHO_CHILD || (strcmp(w[4], "same") && strcmp(w[4], "other")))
                return fail(p, "expect child NAME port same|other");
            e->kind = EXPECT_PORT;
            snprintf(e->word, sizeof e->word, "%s", w[4]);
        } else {
            e->kind = EXPECT_NAME;
            if (!scn_type_parse(w[3], &e->type))
                return fail(p, "unknown type '%s' (SEND, RECEIVE, SEND|RECEIVE, SEND_ONCE, PORT_SET, DEAD_NAME)", w[3]);
            if (n == 6 && strcmp(w[4], "urefs") == 0) {
                if (!parse_uint(w[5], &e->urefs))
                    return fail(p, "urefs '%s' is not a number", w[5]);
                e->has_urefs = true;
            } else if (n != 4) {
                return fail(p, "expect %s NAME TYPE [urefs N]", w[1]);
            }
        }
    } else {
        return fail(p, "expect parent|child NAME TYPE [urefs N], NAME absent, child copies-parent, verdict WORD, or abort at \"TEXT\"");
    }
    s->nexpects++;
    return 0;
}

/* "1st", "2nd", "3rd", "4th", ... "21st": K from 1. */
static bool parse_ordinal(const char *w, unsigned *k)
{
    char *end;
    if (!isdigit((unsigned char)w[0]))
        return false;
    errno = 0;
    unsigned long v = strtoul(w, &end, 10);
    if (errno != 0 || v == 0 || v > 1000000 || end == w)
        return false;
    if (strcmp(end, "st") && strcmp(end, "nd") && strcmp(end, "rd") && strcmp(end, "th"))
        return false;
    *k = (unsigned)v;
    return true;
}

static const char *ordinal_suffix(unsigned k)
{
    if (k % 100 >= 11 && k % 100 <= 13)
        return "th";
    return k % 10 == 1 ? "st" : k % 10 == 2 ? "nd" : k % 10 == 3 ? "rd" : "th";
}

void scn_anchor_format(const scn_anchor *a, char *buf, size_t len)
{
    if (!a->meaning) {
        snprintf(buf, len, "rpc %u%s%s", a->nth, a->routine[0] ? " routine " : "", a->routine);
        return;
    }
    int n = snprintf(buf, len, "%s%s%u%s %s", a->after ? "after " : "", a->after ? "the " : "",
                     a->nth, ordinal_suffix(a->nth), a->routine[0] ? a->routine : "call");
    if (n < 0 || (size_t)n >= len)
        return;
    if (a->label[0])
        n += snprintf(buf + n, len - (size_t)n, " on %s", a->label);
    if (a->proc != PROC_OURS && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " in %s",
                      a->proc == PROC_PARENT ? "parent" : a->proc == PROC_CHILD ? "child" : a->proc_name);
    if (a->text[0] && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " at \"%s\"", a->text);
}

/* A call by meaning, from w[*i]: [Kth] ROUTINE [on LABEL] [in parent|child|NAME] [at "TEXT"]
 * (the conditions in any order, each at most once; NAME a process the file declares, checked
 * once the file is read: names_check). Leaves *i at the first word after it. */
static int parse_call(parser *p, scn_anchor *a, char **w, int n, int *i, const char *what)
{
    a->meaning = true;
    a->nth = 1;
    if (*i < n && parse_ordinal(w[*i], &a->nth))
        (*i)++;
    else if (*i < n && isdigit((unsigned char)w[*i][0]))
        return fail(p, "%s: '%s' is not an ordinal (1st, 2nd, 3rd, 4th, ...)", what, w[*i]);
    if (*i >= n)
        return fail(p, "%s: which call? [Kth] ROUTINE [on LABEL] [in parent|child|NAME] [at \"TEXT\"]", what);
    if (!scn_routine_known(w[*i]))
        return fail(p, "%s: unknown routine '%s' (a routine the simulated processes call, as "
                       "the trace names it)", what, w[*i]);
    snprintf(a->routine, sizeof a->routine, "%s", w[(*i)++]);
    bool on = false, in = false, at = false;
    while (*i < n) {
        const char *m = w[*i];
        if (strcmp(m, "on") && strcmp(m, "in") && strcmp(m, "at"))
            break;
        if (*i + 1 >= n)
            return fail(p, "%s: '%s' needs %s", what, m,
                        !strcmp(m, "on") ? "a label" : !strcmp(m, "in") ? "parent, child or a process's NAME"
                                                                        : "a quoted statement text");
        const char *v = w[*i + 1];
        if (!strcmp(m, "on")) {
            if (on)
                return fail(p, "%s: 'on' given twice", what);
            if (!label_ok(v))
                return fail(p, "%s: on '%s': not a label", what, v);
            snprintf(a->label, sizeof a->label, "%s", v);
            on = true;
        } else if (!strcmp(m, "in")) {
            if (in)
                return fail(p, "%s: 'in' given twice", what);
            if (!strcmp(v, "parent"))
                a->proc = PROC_PARENT;
            else if (!strcmp(v, "child"))
                a->proc = PROC_CHILD;
            else if (label_ok(v)) {
                a->proc = PROC_NAMED;
                snprintf(a->proc_name, sizeof a->proc_name, "%s", v);
            } else
                return fail(p, "%s: in '%s': parent, child or a process's NAME", what, v);
            in = true;
        } else {
            if (at)
                return fail(p, "%s: 'at' given twice", what);
            if (v[0] == '\0' || strlen(v) >= SCN_MAX_TEXT)
                return fail(p, "%s: at \"TEXT\": the text of a _Fork.c statement, 1 to %d characters",
                            what, SCN_MAX_TEXT - 1);
            snprintf(a->text, sizeof a->text, "%s", v);
            at = true;
        }
        *i += 2;
    }
    return 0;
}

/* The action of an event, from w[i] to the end: destroy NAME | insert NAME into child
 * same|other. */
static int parse_action(parser *p, scenario *s, char **w, int n, int i, const char *what)
{
    kern_fault *f = &s->faults[s->nfaults];
    if (i < n && strcmp(w[i], "destroy") == 0) {
        if (n != i + 2 || !label_ok(w[i + 1]))
            return fail(p, "%s: destroy NAME (a label of a send or send-once right to a port of the peer)", what);
        f->kind = KF_PORT_DEATH;
        snprintf(s->fault_labels[s->nfaults], SCN_MAX_LABEL, "%s", w[i + 1]);
        return 0;
    }
    if (i < n && strcmp(w[i], "insert") == 0) {
        if (n != i + 5 || !label_ok(w[i + 1]) || strcmp(w[i + 2], "into") != 0 ||
            strcmp(w[i + 3], "child") != 0 || (strcmp(w[i + 4], "same") && strcmp(w[i + 4], "other")))
            return fail(p, "%s: insert NAME into child same|other", what);
        f->kind = KF_CALL;
        snprintf(s->fault_labels[s->nfaults], SCN_MAX_LABEL, "%s", w[i + 1]);
        s->fault_insert_same[s->nfaults] = strcmp(w[i + 4], "same") == 0;
        return 0;
    }
    if (i < n && strcmp(w[i], "delay") == 0) {
        /* delay reply MS: proc answers the call's request MS ms late (virtual clock), under its
         * global lock (sim/hurd/servers.h, hurd_server_delay_locked); before a proc RPC only */
        unsigned ms;
        if (n != i + 3 || strcmp(w[i + 1], "reply") != 0 || !parse_uint(w[i + 2], &ms) || ms == 0 ||
            strcmp(w[0], "before") != 0 || strncmp(s->anchors[s->nfaults].routine, "proc_", 5) != 0)
            return fail(p, "%s: delay reply MS (MS from 1; only before a proc RPC: before proc_ROUTINE ... delay reply MS)", what);
        f->kind = KF_CALL;
        s->fault_delay_ms[s->nfaults] = ms;
        return 0;
    }
    if (i < n && strcmp(w[i], "kill") == 0) {
        /* kill SIG to child|parent: the killer process sends it with glibc's kill, as for
         * "anywhere kill", here at a point the scenario names */
        int sig;
        if (n != i + 4 || !signame_parse(w[i + 1], &sig) || strcmp(w[i + 2], "to") != 0)
            return fail(p, "%s: kill SIG to child|parent|NAME", what);
        if (!label_ok(w[i + 3]) || !strcmp(w[i + 3], "self"))
            return fail(p, "%s: kill SIG to '%s': child, parent, or a process's NAME", what, w[i + 3]);
        f->kind = KF_CALL;
        s->fault_kill_sig[s->nfaults] = sig;
        s->fault_kill_child[s->nfaults] = strcmp(w[i + 3], "child") == 0;
        snprintf(s->fault_kill_to[s->nfaults], SCN_MAX_LABEL, "%s", w[i + 3]);
        return 0;
    }
    if (i < n)
        return fail(p, "%s: '%s' is not an event (destroy NAME, insert NAME into child same|other, kill SIG to child|parent, delay reply MS)", what, w[i]);
    return fail(p, "%s: what happens? (destroy NAME, insert NAME into child same|other, kill SIG to child|parent, delay reply MS)", what);
}

/*
 *   before|after CALL ACTION           an event by meaning
 *   at rpc N ACTION                    an event at the Nth RPC after the set-up (low level)
 *   fault CALL KIND                    a fault of a call by meaning
 *   fault rpc N [routine R] KIND       a fault of the Nth RPC (of routine R) (low level)
 */
static int parse_fault(parser *p, scenario *s, char **w, int n)
{
    if (s->nfaults == KERN_MAX_FAULTS)
        return fail(p, "too many faults and events (at most %d)", KERN_MAX_FAULTS);
    kern_fault *f = &s->faults[s->nfaults];
    scn_anchor *a = &s->anchors[s->nfaults];
    memset(f, 0, sizeof *f);
    memset(a, 0, sizeof *a);
    s->fault_labels[s->nfaults][0] = '\0';
    s->fault_routines[s->nfaults][0] = '\0';
    s->fault_insert_same[s->nfaults] = false;
    s->fault_kill_sig[s->nfaults] = 0;
    s->fault_kill_child[s->nfaults] = false;
    s->fault_delay_ms[s->nfaults] = 0;
    s->fault_lines[s->nfaults] = p->line;
    const char *what = w[0];
    int i = 1;
    if (strcmp(w[0], "before") == 0 || strcmp(w[0], "after") == 0) {
        if (parse_call(p, a, w, n, &i, what) != 0 ||
            parse_action(p, s, w, n, i, what) != 0)
            return -1;
        a->after = strcmp(w[0], "after") == 0;
    } else if (strcmp(w[0], "at") == 0) {
        unsigned nth;
        if (n < 3 || strcmp(w[1], "rpc") != 0)
            return fail(p, "at rpc N ACTION (or, by meaning: before|after [Kth] ROUTINE [on LABEL] "
                           "[in parent|child|NAME] [at \"TEXT\"] ACTION)");
        if (!parse_uint(w[2], &nth) || nth == 0)
            return fail(p, "at rpc N: N is a number from 1 (the Nth RPC after the set-up)");
        a->nth = nth;
        if (parse_action(p, s, w, n, 3, "at rpc N") != 0)
            return -1;
    } else {
        if (n >= 2 && strcmp(w[1], "rpc") == 0) {
            unsigned nth;
            if (n < 3 || !parse_uint(w[2], &nth) || nth == 0)
                return fail(p, "fault rpc N [routine NAME] send-fails|routine-fails CODE|reply-lost");
            a->nth = nth;
            i = 3;
            if (i + 1 < n && strcmp(w[i], "routine") == 0) {
                if (!scn_routine_known(w[i + 1]))
                    return fail(p, "fault: unknown routine '%s'", w[i + 1]);
                snprintf(a->routine, sizeof a->routine, "%s", w[i + 1]);
                i += 2;
            }
        } else if (parse_call(p, a, w, n, &i, "fault") != 0) {
            return -1;
        }
        if (i >= n)
            return fail(p, "fault: which kind? send-fails, routine-fails CODE, reply-lost");
        if (strcmp(w[i], "send-fails") == 0 && i + 1 == n) {
            f->kind = KF_SEND_FAILS;
        } else if (strcmp(w[i], "reply-lost") == 0 && i + 1 == n) {
            f->kind = KF_REPLY_LOST;
        } else if (strcmp(w[i], "routine-fails") == 0 && i + 2 == n) {
            f->kind = KF_ROUTINE_FAILS;
            if (!scn_code_parse(w[i + 1], &f->error))
                return fail(p, "unknown return code '%s'", w[i + 1]);
        } else {
            return fail(p, "fault: '%s': send-fails, routine-fails CODE or reply-lost", w[i]);
        }
    }
    f->nth = a->nth;
    memcpy(s->fault_routines[s->nfaults], a->routine, sizeof s->fault_routines[0]);
    f->after = a->after;
    s->nfaults++;
    return 0;
}

/* The target of each kill names a process of the file (process NAME and fork as NAME may come
 * after the kill: the lines of different processes say nothing of their order in time). */
static int names_check(parser *p, scenario *s)
{
    static const char *const how = "child, parent, self, or a NAME the file declares (process "
                                   "NAME, or parent fork as NAME)";
    for (size_t i = 0; i < s->nsteps; i++) {
        const scn_step *st = &s->steps[i];
        if (st->kind == STEP_KILL && !kill_target_ok(s, st->args[0])) {
            p->line = st->line;
            return fail(p, "kill %s to '%s': no such process (%s)", signame_of(st->signo),
                        st->args[0], how);
        }
    }
    for (unsigned i = 0; i < s->nfaults; i++)
        if (s->fault_kill_to[i][0] != '\0' && !kill_target_ok(s, s->fault_kill_to[i])) {
            p->line = s->fault_lines[i];
            return fail(p, "kill to '%s': no such process (%s)", s->fault_kill_to[i], how);
        }
    for (unsigned i = 0; i < s->nfaults; i++)
        if (s->anchors[i].proc == PROC_NAMED && scn_process_find(s, s->anchors[i].proc_name) < 0) {
            p->line = s->fault_lines[i];
            return fail(p, "in '%s': no such process (parent, child, or a NAME the file declares: "
                           "process NAME, or parent fork as NAME)", s->anchors[i].proc_name);
        }
    for (unsigned i = 0; i < s->nchoices; i++) {
        int sig;
        char to[SCN_MAX_LABEL];
        if (sscanf(s->choices[i].what, "kill %d %31s", &sig, to) == 2 && !kill_target_ok(s, to)) {
            p->line = s->choices[i].line;
            return fail(p, "anywhere kill to '%s': no such process (%s)", to, how);
        }
    }
    return 0;
}

/* Parses the open file f, named path in messages and for relative decisions paths. */
static int scenario_read(const char *path, FILE *f, scenario *s, char *err, size_t errlen)
{
    parser p = {.path = path, .err = err, .errlen = errlen};
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->seed = 1;
    s->policy = SIM_RUN_UNTIL_BLOCK;
    char buf[1024];
    bool versioned = false;
    while (!p.failed && fgets(buf, sizeof buf, f) != NULL) {
        p.line++;
        if (strchr(buf, '\n') == NULL && !feof(f)) {
            fail(&p, "line longer than %zu characters", sizeof buf - 2);
            break;
        }
        char copy[sizeof buf];
        snprintf(copy, sizeof copy, "%s", buf);
        char *w[MAX_WORDS + 2];
        const char *first = buf + strspn(buf, " \t");
        bool is_title = strncmp(first, "title", 5) == 0 && strchr(" \t\r\n", first[5]) != NULL;
        int n = is_title ? 1 : split(buf, w);
        if (is_title)
            w[0] = "title";
        if (n < 0) {
            fail(&p, "a quoted text is not closed, or not followed by a blank");
            break;
        }
        if (n == 0)
            continue;
        if (n > MAX_WORDS && strcmp(w[0], "title") != 0) {
            fail(&p, "too many words (at most %d on a line)", MAX_WORDS);
            break;
        }
        if (!versioned) {
            if (n != 2 || strcmp(w[0], "forksim-scenario") != 0 || strcmp(w[1], "1") != 0)
                fail(&p, "the first line must be 'forksim-scenario 1'");
            versioned = true;
            continue;
        }
        const char *k = w[0];
        if (strcmp(k, "title") == 0) {
            char *t = strstr(copy, "title") + 5;
            while (*t == ' ' || *t == '\t')
                t++;
            t[strcspn(t, "#\r\n")] = '\0'; /* a # starts a comment here too */
            for (size_t l = strlen(t); l > 0 && (t[l - 1] == ' ' || t[l - 1] == '\t'); l--)
                t[l - 1] = '\0';
            snprintf(s->title, sizeof s->title, "%s", t);
        } else if (strcmp(k, "fork") == 0) {
            if (n != 2 || (strcmp(w[1], "glibc") && strcmp(w[1], "glibc-ndebug") &&
                           strcmp(w[1], "ours")))
                fail(&p, "fork ours, fork glibc or fork glibc-ndebug");
            s->ndebug = n == 2 && strcmp(w[1], "glibc-ndebug") == 0;
            /* fork ours copies names with task_copy_names: it turns the world option on */
            s->fork_ours = n == 2 && strcmp(w[1], "ours") == 0;
            s->copy_names = s->copy_names || s->fork_ours;
        } else if (strcmp(k, "seed") == 0) {
            unsigned long long v;
            char *end;
            /* strtoull saturates an overflow at 2^64 - 1: errno tells */
            if (n != 2 || w[1][0] < '0' || w[1][0] > '9' ||
                (errno = 0, v = strtoull(w[1], &end, 0), *end != '\0' || errno != 0))
                fail(&p, "seed N (from 0 to 18446744073709551615)");
            else
                s->seed = v;
        } else if (strcmp(k, "policy") == 0) {
            if (n == 2 && strcmp(w[1], "run-until-block") == 0)
                s->policy = SIM_RUN_UNTIL_BLOCK;
            else if (n == 2 && strcmp(w[1], "round-robin") == 0)
                s->policy = SIM_ROUND_ROBIN;
            else if (n == 2 && strcmp(w[1], "random") == 0)
                s->policy = SIM_RANDOM;
            else
                fail(&p, "policy run-until-block, round-robin or random");
        } else if (strcmp(k, "decisions") == 0) {
            /* relative to the scenario's directory */
            s->decisions_line = p.line;
            if (n != 2)
                fail(&p, "decisions PATH (a decision list, as forksim-decisions 1 files)");
            else if (w[1][0] == '/')
                snprintf(s->decisions, sizeof s->decisions, "%s", w[1]);
            else {
                const char *slash = strrchr(path, '/');
                int dirlen = slash != NULL ? (int)(slash - path) + 1 : 0;
                snprintf(s->decisions, sizeof s->decisions, "%.*s%s", dirlen, path, w[1]);
            }
        } else if (strcmp(k, "world") == 0) {
            if (n == 2 && strcmp(w[1], "ipc-compat") == 0)
                s->ipc_compat = true;
            else if (n == 2 && strcmp(w[1], "fork-ours") == 0)
                s->copy_names = true;
            else if (n == 3 && strcmp(w[1], "layout") == 0 && strcmp(w[2], "x86_64") == 0)
                s->x86_64_layout = true;
            else if (n == 3 && strcmp(w[1], "layout") == 0 && strcmp(w[2], "debian") == 0)
                s->x86_64_layout = false;
            else
                fail(&p, "world ipc-compat (the removed MACH_IPC_COMPAT task creation), world "
                         "layout debian|x86_64 (the message layout) or world fork-ours");
        } else if (strcmp(k, "delay") == 0) {
            /* delay exec_exec_paths MS|forever: the exec server holds each exec request (EX13) */
            unsigned ms = 0;
            if (n != 3 || strcmp(w[1], "exec_exec_paths") != 0 ||
                (strcmp(w[2], "forever") != 0 && (!parse_uint(w[2], &ms) || ms < 1 || ms > 3600000)))
                fail(&p, "delay exec_exec_paths MS|forever (MS from 1 to 3600000)");
            else {
                s->exec_delay_forever = strcmp(w[2], "forever") == 0;
                s->exec_delay_ms = ms;
                s->exec_delay_line = p.line;
                s->with_exec = true;
            }
        } else if (strcmp(k, "have") == 0) {
            parse_have(&p, s, w, n);
        } else if (strcmp(k, "peg") == 0) {
            if (s->nhaves == SCN_MAX_ITEMS)
                fail(&p, "too many have lines");
            else if ((n != 2 && n != 3) || !label_ok(w[1]))
                fail(&p, "peg NAME [N] (NAME: thread-self, sigthread or a label of a send right)");
            else {
                scn_have *h = &s->haves[s->nhaves];
                memset(h, 0, sizeof *h);
                h->kind = HAVE_PEG;
                h->line = p.line;
                h->count = 65534;
                snprintf(h->label, sizeof h->label, "%s", w[1]);
                if (n == 3 && (!parse_uint(w[2], &h->count) || h->count < 1 || h->count > 65534))
                    fail(&p, "peg NAME N: N from 1 to 65534");
                else
                    s->nhaves++;
            }
        } else if (strcmp(k, "parent") == 0 || strcmp(k, "child") == 0) {
            parse_step(&p, s, strcmp(k, "parent") == 0 ? WHO_PARENT : WHO_CHILD, w, n);
        } else if (strcmp(k, "process") == 0) {
            /* process NAME [daemon]: a further simulated process, its steps "NAME STEP ..." */
            if ((n != 2 && n != 3) || (n == 3 && strcmp(w[2], "daemon") != 0))
                fail(&p, "process NAME [daemon]");
            else
                process_declare(&p, s, w[1], false, n == 3);
        } else if (scn_process_find(s, k) >= 0) {
            int pk = scn_process_find(s, k);
            if (s->procs[pk].forked)
                fail(&p, "'%s' is the child fork made (line %d): its steps are 'child ...'", k,
                     s->procs[pk].line);
            else
                parse_step(&p, s, (scn_who)(WHO_NAMED + pk), w, n);
        } else if (strcmp(k, "expect") == 0) {
            parse_expect(&p, s, w, n);
        } else if (strcmp(k, "fault") == 0 || strcmp(k, "at") == 0 || strcmp(k, "before") == 0 ||
                   strcmp(k, "after") == 0) {
            parse_fault(&p, s, w, n);
        } else if (strcmp(k, "anywhere") == 0) {
            /* anywhere destroy|kill|delay ...: an event for the race explorer to place */
            unsigned times = 1;
            if (s->nchoices == SCN_MAX_CHOICES)
                fail(&p, "at most %d anywhere lines", SCN_MAX_CHOICES);
            else if (n >= 5 && strcmp(w[1], "kill") == 0) {
                /* anywhere kill SIG to child|parent [up to N]: a kill the explorer places */
                int sig;
                if ((n != 5 && n != 8) || !signame_parse(w[2], &sig) || strcmp(w[3], "to") != 0 ||
                    (n == 8 && (strcmp(w[5], "up") != 0 || strcmp(w[6], "to") != 0 ||
                                !parse_uint(w[7], &times) || times < 1 || times > 16)))
                    fail(&p, "anywhere kill SIG to child|parent|NAME [up to N] (N from 1 to 16)");
                else if (!label_ok(w[4]) || !strcmp(w[4], "self"))
                    fail(&p, "anywhere kill SIG to '%s': child, parent, or a process's NAME", w[4]);
                else {
                    scn_choice *c = &s->choices[s->nchoices++];
                    snprintf(c->what, sizeof c->what, "kill %d %s", sig, w[4]);
                    c->times = times;
                    c->line = p.line;
                }
            } else if (n >= 2 && strcmp(w[1], "delay") == 0) {
                /* anywhere delay proc_ROUTINE MS [up to N]: where the explorer places it, proc
                 * answers the next request of ROUTINE MS ms late, holding its global lock (the
                 * machinery of "before proc_ROUTINE ... delay reply MS": PL1, EX13) */
                unsigned ms = 0;
                if (n != 4 && n != 7)
                    fail(&p, "anywhere delay proc_ROUTINE MS [up to N] (MS from 1 to 3600000, N from 1 to 4)");
                else if (!scn_routine_known(w[2]) || strncmp(w[2], "proc_", 5) != 0)
                    fail(&p, "anywhere delay: '%s' is not a routine of proc's (proc_child, proc_task2pid, ...)", w[2]);
                else if (!parse_uint(w[3], &ms) || ms < 1 || ms > 3600000)
                    fail(&p, "anywhere delay %s: '%s' is not a delay in ms (MS from 1 to 3600000)", w[2], w[3]);
                else if (n == 7 && (strcmp(w[4], "up") != 0 || strcmp(w[5], "to") != 0 ||
                                    !parse_uint(w[6], &times) || times < 1 || times > 4))
                    fail(&p, "anywhere delay proc_ROUTINE MS [up to N] (N from 1 to 4)");
                else {
                    scn_choice *c = &s->choices[s->nchoices++];
                    snprintf(c->what, sizeof c->what, "delay %s %u", w[2], ms);
                    c->times = times;
                    c->line = p.line;
                }
            } else if ((n != 3 && n != 6) || strcmp(w[1], "destroy") != 0 || !label_ok(w[2]) ||
                     (n == 6 && (strcmp(w[3], "up") != 0 || strcmp(w[4], "to") != 0 ||
                                 !parse_uint(w[5], &times) || times < 1 || times > 16)))
                fail(&p, "anywhere destroy NAME [up to N], anywhere kill SIG to child|parent [up to N] (N from 1 to 16), or anywhere delay proc_ROUTINE MS [up to N]");
            else {
                scn_choice *c = &s->choices[s->nchoices++];
                snprintf(c->what, sizeof c->what, "destroy %s", w[2]);
                c->times = times;
                c->line = p.line;
            }
        } else {
            fail(&p, "unknown directive '%s'", k);
        }
    }
    bool read_error = ferror(f);
    int read_errno = errno; /* EISDIR for a directory, which fopen opens for reading */
    if (p.failed)
        return -1;
    if (read_error) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(read_errno));
        return -1;
    }
    if (!versioned) {
        p.line = 1;
        return fail(&p, "empty file: the first line must be 'forksim-scenario 1'");
    }
    for (unsigned i = 0; i < s->nfaults; i++)
        if (s->fault_routines[i][0] != '\0')
            s->faults[i].routine = s->fault_routines[i];
    return names_check(&p, s);
}

int scenario_load(const char *path, scenario *s, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        memset(s, 0, sizeof *s);
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int rc = scenario_read(path, f, s, err, errlen);
    fclose(f);
    return rc;
}

int scenario_load_text(const char *path, const char *text, size_t len, scenario *s, char *err,
                       size_t errlen)
{
    FILE *f = len > 0 ? fmemopen((void *)text, len, "r") : NULL;
    if (f == NULL) {
        memset(s, 0, sizeof *s);
        snprintf(err, errlen, "%s:1: empty file: the first line must be 'forksim-scenario 1'", path);
        return -1;
    }
    int rc = scenario_read(path, f, s, err, errlen);
    fclose(f);
    return rc;
}
