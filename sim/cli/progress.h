/*
 * progress.h: one progress line for long runs (forksim explore: the race explorer and the fault
 * and port-death sweeps), on a terminal only (issue 10 item 7, issue 14 item 5).
 *
 * On a terminal the line is rewritten in place (carriage return, erase to the end) at most a
 * few times a second: runs done, runs per second, outcomes so far when the caller counts them,
 * and the share done when the caller knows it. Anywhere else (a file, a pipe, a test) nothing is
 * written: output that is read later stays the same from run to run. Host time is read only for
 * the rate and the pacing, never for what a run does.
 */
#ifndef FORKSIM_PROGRESS_H
#define FORKSIM_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct progress {
    FILE *out;          /* NULL: quiet */
    char what[48];      /* "fault sweep", "schedules" */
    double start, last; /* seconds, CLOCK_MONOTONIC */
    bool shown;         /* a line is on the terminal */
} progress;

/* Starts p on out when out is a terminal (isatty), else makes it quiet; out NULL: quiet. */
void progress_open(progress *p, FILE *out, const char *what);
/* Shows done runs; outcomes (SIZE_MAX: not counted); share in [0, 1] (negative: unknown).
 * Written at most every 0.2 s, and always when force is true. */
void progress_update(progress *p, size_t done, size_t outcomes, double share, bool force);
/* Erases the line (the summary that follows starts on a clean line). */
void progress_close(progress *p);

#endif
