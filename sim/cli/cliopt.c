/*
 * cliopt.c: the forksim command's option parsing (cliopt.h), over glibc's getopt_long.
 */
#include "cliopt.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#define CLI_MAX_OPTIONS 40

static size_t count_options(const cli_option *o)
{
    size_t n = 0;
    while (o[n].name != NULL)
        n++;
    return n;
}

void cliopt_begin(cli_parser *p, const cli_command *cmd, int argc, char **argv)
{
    *p = (cli_parser){.cmd = cmd, .argc = argc, .argv = argv, .first = argc};
}

int cliopt_fail(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "forksim: %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try forksim %s --help)\n", cmd->name);
    va_end(ap);
    return 2;
}

int cliopt_next(cli_parser *p)
{
    const cli_option *opts = p->cmd->options;
    size_t n = count_options(opts);
    if (n + 2 > CLI_MAX_OPTIONS)
        return cliopt_fail(p->cmd, "too many options in forksim's own table"), CLI_ERROR;
    struct option lo[CLI_MAX_OPTIONS];
    /* ':' first: a missing value is ':', not '?'; '+' is not given: options and operands mix
     * (GNU getopt permutes the operands to the end) */
    char shorts[2 * CLI_MAX_OPTIONS + 4] = ":h";
    size_t ns = 2;
    for (size_t i = 0; i < n; i++) {
        lo[i] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument, NULL,
                                opts[i].key};
        if (opts[i].key > 0 && opts[i].key < 128 && opts[i].key != 'h') {
            shorts[ns++] = (char)opts[i].key;
            if (opts[i].arg)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};
    if (!p->started) {
        optind = 0; /* glibc: re-initialise (a fresh scan of a new argv) */
        opterr = 0;
        p->started = true;
    }
    int before = optind;
    int key = getopt_long(p->argc, p->argv, shorts, lo, NULL);
    p->value = optarg;
    if (key == -1) {
        p->first = optind;
        return CLI_END;
    }
    if (key == 'h') {
        cliopt_help(stdout, p->cmd);
        return CLI_HELP;
    }
    /* the word getopt_long stopped at: the last one it consumed */
    const char *word = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "";
    if (key == '?') {
        if (optopt != 0 && strncmp(word, "--", 2) != 0)
            cliopt_fail(p->cmd, "unknown option '-%c'", optopt);
        else
            cliopt_fail(p->cmd, "unknown option '%s'", word);
        return CLI_ERROR;
    }
    if (key == ':') {
        (void)before;
        if (optopt != 0 && strncmp(word, "--", 2) != 0)
            cliopt_fail(p->cmd, "-%c needs a value", optopt);
        else
            cliopt_fail(p->cmd, "%s needs a value", word);
        return CLI_ERROR;
    }
    return key;
}

void cliopt_help(FILE *out, const cli_command *cmd)
{
    fprintf(out, "usage: forksim %s %s\n%s\n", cmd->name, cmd->synopsis, cmd->about);
    const cli_option *o = cmd->options;
    fputs("\noptions:\n", out);
    for (size_t i = 0; o[i].name != NULL; i++) {
        char head[72];
        if (o[i].arg)
            snprintf(head, sizeof head, "--%s=%s", o[i].name, o[i].arg);
        else
            snprintf(head, sizeof head, "--%s", o[i].name);
        char with[80];
        if (o[i].key > 0 && o[i].key < 128)
            snprintf(with, sizeof with, "-%c, %s", o[i].key, head);
        else
            snprintf(with, sizeof with, "%s", head);
        /* a head too long for the column (a list of values) gets a line of its own */
        if (strlen(with) > 26)
            fprintf(out, "  %s\n  %-26s %s\n", with, "", o[i].help);
        else
            fprintf(out, "  %-26s %s\n", with, o[i].help);
    }
    fprintf(out, "  %-26s %s\n", "-h, --help", "this help");
    if (cmd->more != NULL)
        fprintf(out, "\n%s", cmd->more);
}
