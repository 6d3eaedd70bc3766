/* clock.c - see clock.h. */
#include "base/clock.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(progress_t *p, const char *what, uint64_t total, int mode)
{
    p->what = what;
    p->total = total;
    p->t0 = p->last = clock_now();
    p->enabled = mode > 0 || (mode == 0 && isatty(STDERR_FILENO));
}

void progress_update(progress_t *p, uint64_t done)
{
    if (!p->enabled) return;
    double now = clock_now();
    if (now - p->last < 0.25 && done < p->total) return;
    p->last = now;
    double el = now - p->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 && p->total > done ? (double)(p->total - done) / rate : 0;
    fprintf(stderr, "\r%s: %llu/%llu (%.0f%%) %.3g/s, %.1fs elapsed, ETA %.1fs   ", p->what,
            (unsigned long long)done, (unsigned long long)p->total,
            p->total ? 100.0 * (double)done / (double)p->total : 100.0, rate, el, eta);
    fflush(stderr);
}

void progress_done(progress_t *p)
{
    if (!p->enabled) return;
    fprintf(stderr, "\r%*s\r", 79, "");
    fflush(stderr);
}
