/*
 * cliopt.h: the forksim command's option parsing, one table per subcommand.
 *
 * Each subcommand lists its options as cli_option rows; cliopt_next runs getopt_long over
 * them, so every option is given as `--opt=value` or `--opt value`, options and operands mix
 * in any order, and `--` ends the options. `-h`/`--help` prints the subcommand's help,
 * generated from the same rows, and is known to every subcommand. A new option is one row
 * and one case in the subcommand's switch.
 */
#ifndef FORKSIM_CLIOPT_H
#define FORKSIM_CLIOPT_H

#include <stdbool.h>
#include <stdio.h>

typedef struct cli_option {
    const char *name;       /* the long name, without "--" */
    int key;                /* what cliopt_next returns for it (a letter: also -LETTER) */
    const char *arg;        /* its value's placeholder ("N", "FILE"), or its values
                             * ("text|jsonl": the bash completion offers them), NULL for a flag */
    const char *help;       /* one line */
} cli_option;

typedef struct cli_command {
    const char *name;       /* "run" */
    const char *synopsis;   /* "FILE [options]" */
    const char *about;      /* one line: what it does */
    const cli_option *options;  /* ended by a row whose name is NULL */
    const char *more;       /* further help text after the options, or NULL */
} cli_command;

/* What cliopt_next returns besides an option's key. */
enum {
    CLI_END = -1,           /* no more options: the operands are argv[*first..argc) */
    CLI_HELP = -2,          /* --help: the help was printed to stdout; exit 0 */
    CLI_ERROR = -3,         /* an unknown option or a missing value: said on stderr; exit 2 */
};

typedef struct cli_parser {
    const cli_command *cmd;
    int argc;
    char **argv;            /* argv[0] is the subcommand's name */
    const char *value;      /* the current option's value, NULL for a flag */
    int first;              /* the first operand, once CLI_END came */
    bool started;
} cli_parser;

/* Starts parsing a subcommand's words: argv[0] is the subcommand, the rest its words. */
void cliopt_begin(cli_parser *p, const cli_command *cmd, int argc, char **argv);

/* The next option's key (its value in p->value), or one of CLI_END, CLI_HELP, CLI_ERROR. */
int cliopt_next(cli_parser *p);

/* The subcommand's help: usage line, what it does, its options, and cmd->more. */
void cliopt_help(FILE *out, const cli_command *cmd);

/* A usage error of the subcommand: "forksim: SUB: what (try forksim SUB --help)", exit 2. */
int cliopt_fail(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
