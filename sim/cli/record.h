/*
 * record.h: recorded runs (forksim run --record RUN, forksim replay RUN), as text.
 *
 * A recording carries everything a replay needs, so it can be replayed from any directory
 * and on another machine: the scenario's own text, the seed and the scheduler's decisions,
 * the sha256 of every glibc file the recording forksim was built from (so a replay can say
 * that its build differs), and the trace to compare with. The format, one item a line:
 *
 *     forksim-run 2
 *     scenario PATH                  where the scenario was read from (for messages)
 *     seed N
 *     glibc FILE SHA256              one line per glibc file built in
 *     scenario-text N                then the scenario's N lines, verbatim
 *     picks N                        then the N decisions, numbers separated by spaces
 *     event STEP WHAT                an event the race explorer placed before pick STEP (0 or
 *                                    more, steps ascending: "destroy NAME"; issue 10 item 5)
 *     trace                          then the trace, to the end
 *
 * Version 1 recordings (no scenario text, no glibc lines) are read too: their scenario is
 * read from PATH.
 */
#ifndef FORKSIM_RECORD_H
#define FORKSIM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RECORD_MAX_GLIBC 64 /* the glibc files forksim --version lists (41 with posix_spawn's) */
#define RECORD_MAX_PICKS 10000000u

typedef struct record_glibc {
    char file[128];
    char sha256[65];
} record_glibc;

#define RECORD_MAX_EVENTS 256

typedef struct record_event {
    unsigned long long step;
    char what[64];
} record_event;

typedef struct run_record {
    int version;
    char scenario_path[1024];
    char *scenario_text;        /* NUL-terminated; NULL in a version 1 recording */
    size_t scenario_len;
    unsigned long long seed;
    int *picks;
    size_t npicks;
    record_glibc glibc[RECORD_MAX_GLIBC];
    size_t nglibc;
    record_event *events;       /* malloc'ed, or NULL */
    size_t nevents;
    char *trace;                /* NUL-terminated */
    size_t trace_len;
} run_record;

/* Parses a recording held in buf (len bytes, NUL bytes allowed and refused). Returns 0, or
 * -1 with "LINE: what is wrong" in err; *r is then empty (nothing to free). */
int record_parse(const char *buf, size_t len, run_record *r, char *err, size_t errlen);

/* Frees what record_parse allocated. */
void record_free(run_record *r);

/* Writes a recording; glibc_source is forksim --version's text (its "FILE sha256 HASH" lines
 * are kept). Returns 0, or -1 on a write error. */
int record_write(FILE *f, const char *scenario_path, const char *scenario_text, size_t scenario_len,
                 unsigned long long seed, const int *picks, size_t npicks, const char *glibc_source,
                 const char *trace);

/* record_write with the events placed among the picks (record_event's, steps ascending). */
int record_write_events(FILE *f, const char *scenario_path, const char *scenario_text,
                        size_t scenario_len, unsigned long long seed, const int *picks, size_t npicks,
                        const record_event *events, size_t nevents, const char *glibc_source,
                        const char *trace);

/* The "FILE sha256 HASH" lines of glibc_source as record_glibc entries; returns how many. */
size_t record_glibc_of(const char *glibc_source, record_glibc *out, size_t max);

#endif
