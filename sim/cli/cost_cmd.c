/*
 * cost_cmd.c: `forksim cost FILE`, what a scenario's run costs (issue 13, item 2): the calls
 * by routine, by server and by caller, the messages, the port rights made and destroyed, and
 * the virtual clock's time (rules CO1-CO4 of docs/cost-rules.md; sim/cli/cost.c counts).
 */
#include "cliopt.h"
#include "cost.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_FORMAT = 1000, OPT_ALL };

static const cli_option cost_options[] = {
    {"format", OPT_FORMAT, "text|jsonl", "tables (text, the default), or one JSON object a line"},
    {"all", OPT_ALL, NULL, "count the boot and the set-up too (by default only the scenario's steps, "
                           "as the trace shows them)"},
    {NULL, 0, NULL, NULL},
};

const cli_command cost_cmd = {
    "cost", "FILE [--format=text|jsonl] [--all]",
    "runs a scenario and counts what it costs: calls by routine, server and caller (both sides "
    "of each RPC),\nmessages, port rights made and destroyed, time on the virtual clock "
    "(docs/cost-rules.md)",
    cost_options,
    "exit status: 0 expectations held, 1 one failed, 2 bad usage or input,\n"
    "             3 forksim's own error (invariant violation, leak, unmodelled call)\n",
};

int cost_command(int argc, char **argv)
{
    bool jsonl = false, all = false;
    cli_parser p;
    cliopt_begin(&p, &cost_cmd, argc, argv);
    for (int key; (key = cliopt_next(&p)) != CLI_END;) {
        switch (key) {
        case CLI_HELP:
            return 0;
        case CLI_ERROR:
            return 2;
        case OPT_FORMAT:
            if (strcmp(p.value, "text") == 0)
                jsonl = false;
            else if (strcmp(p.value, "jsonl") == 0)
                jsonl = true;
            else
                return cliopt_fail(&cost_cmd, "--format text or jsonl, not '%s'", p.value);
            break;
        case OPT_ALL:
            all = true;
            break;
        }
    }
    if (argc - p.first != 1)
        return argc - p.first == 0 ? cliopt_fail(&cost_cmd, "needs a scenario FILE")
                                   : cliopt_fail(&cost_cmd, "one scenario at a time");
    const char *file = argv[p.first];
    struct stat st;
    if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "forksim: %s: is a directory, not a scenario\n", file);
        return 2;
    }
    scenario *s = calloc(1, sizeof *s);
    cost_report *c = calloc(1, sizeof *c);
    run_result *r = calloc(1, sizeof *r);
    char err[1024];
    int status;
    if (s == NULL || c == NULL || r == NULL) {
        fprintf(stderr, "forksim: out of memory\n");
        status = 3;
    } else if (scenario_load(file, s, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        status = 2;
    } else if (cost_run(s, all, c, r) != 0) {
        fprintf(stderr, "%s\n", r->messages[0]);
        status = 2;
        free(r);
        r = NULL;
    } else {
        if (jsonl)
            cost_print_jsonl(stdout, c);
        else
            cost_print_text(stdout, c);
        if (r->invariant_violations > 0 || r->leaked > 0 || r->verdict == VERDICT_UNMODELLED)
            status = 3;
        else if (r->error[0] != '\0')
            status = 2;
        else
            status = r->expected ? 0 : 1;
        if (r->error[0] != '\0')
            fprintf(stderr, "%s\n", r->error);
        if (r->verdict == VERDICT_UNMODELLED)
            fprintf(stderr, "forksim: %s\n", r->unmodelled);
        for (size_t i = 0; status == 1 && i < r->nmessages; i++)
            fprintf(stderr, "%s\n", r->messages[i]);
    }
    if (r != NULL)
        run_result_free(r);
    free(r);
    free(c);
    free(s);
    return status;
}
