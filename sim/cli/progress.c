/*
 * progress.c: the progress line of long runs, on a terminal only (progress.h).
 */
#include "progress.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_open(progress *p, FILE *out, const char *what)
{
    memset(p, 0, sizeof *p);
    p->out = out != NULL && isatty(fileno(out)) ? out : NULL;
    snprintf(p->what, sizeof p->what, "%s", what);
    p->start = p->last = now_seconds();
}

void progress_update(progress *p, size_t done, size_t outcomes, double share, bool force)
{
    if (p->out == NULL)
        return;
    double t = now_seconds();
    if (!force && t - p->last < 0.2)
        return;
    p->last = t;
    double rate = t > p->start ? (double)done / (t - p->start) : 0.0;
    fprintf(p->out, "\r%s: %zu runs, %.0f runs/s", p->what, done, rate);
    if (outcomes != SIZE_MAX)
        fprintf(p->out, ", %zu outcome%s", outcomes, outcomes == 1 ? "" : "s");
    if (share >= 0.0)
        fprintf(p->out, ", %.1f%% of the tree", 100.0 * (share > 1.0 ? 1.0 : share));
    fputs("\033[K", p->out);
    fflush(p->out);
    p->shown = true;
}

void progress_close(progress *p)
{
    if (p->out != NULL && p->shown) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    p->shown = false;
}
