/*
 * export.h: a run's results in other formats than the text trace (issue 14, items 3 and 4):
 * JSON (one document, or one object a line), a Mermaid sequence diagram, a Graphviz graph of
 * the two name spaces, and a Chrome trace-event timeline for Perfetto.
 *
 * Every format starts from the same parse of the run's trace (export_events): each line one
 * event, an RPC's arguments and outputs split into typed items, the --explain note of its
 * step attached. The command only (not the library): the JSON formats are written with
 * jansson.
 */
#ifndef FORKSIM_EXPORT_H
#define FORKSIM_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "runner.h"
#include "scenario.h"

typedef enum export_format {
    EXPORT_JSON,        /* one document: docs/forksim-run.schema.json */
    EXPORT_JSONL,       /* the same objects, one a line */
    EXPORT_MERMAID,     /* sequenceDiagram */
    EXPORT_DOT,         /* digraph: both name spaces */
    EXPORT_PERFETTO,    /* Chrome trace-event JSON */
} export_format;

/* The format named word ("json", "dot", ...); false for none. */
bool export_format_of(const char *word, export_format *f);

/* One trace line, parsed. Strings point into the event's own copy (export_events_free). */
typedef enum export_kind { EV_RPC, EV_NOTE, EV_LINE } export_kind;

typedef struct export_item {
    char *text;         /* as the trace shows it: "16", "MAKE_SEND", "dest 9", "{8 9 0}" */
} export_item;

typedef struct export_event {
    export_kind kind;
    uint64_t step;
    int task, thread;           /* EV_RPC */
    bool trap;
    bool setup;                 /* before the end of the scenario's set-up (boot included) */
    char *routine;              /* EV_RPC */
    export_item *args, *outs;
    size_t nargs, nouts;
    char *result;               /* "KERN_SUCCESS", or the name a trap returned */
    char *site;                 /* "_Fork.c:167", or NULL */
    char *text;                 /* EV_NOTE, EV_LINE */
    const char *explain;        /* the --explain note of this step (run_result.notes), or NULL */
    /* a server's mach_msg: the message id and routine it received (-> id N ROUTINE), or the
     * step of the request a reply answers */
    uint32_t msg_id;
    char *msg_routine;
    uint64_t answers;
} export_event;

typedef struct export_events {
    export_event *ev;
    size_t n;
    uint64_t trace_version;
} export_events;

/* Parses r->trace. Returns 0, -1 when out of memory. */
int export_events_parse(const run_result *r, export_events *e);
void export_events_free(export_events *e);

/* Which task is which, from r->legend ("t1 proc, t2 auth, ..., t6 the parent"): the name of
 * task id, or NULL. */
const char *export_task_name(const run_result *r, int task, char *buf, size_t len);

/* Writes r in format f. explain: the notes are in r (run_options.explain). Returns 0, or -1
 * when out of memory (nothing or part written). */
int export_write(FILE *out, export_format f, const scenario *s, const run_result *r, bool explain);

/* picture.c */
int export_mermaid(FILE *out, const run_result *r, const export_events *e, bool explain);
int export_dot(FILE *out, const scenario *s, const run_result *r);
int export_perfetto(FILE *out, const run_result *r, const export_events *e);

#endif
