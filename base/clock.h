/* clock.h - wall-clock timing and the progress line.
 *
 * The progress line goes to stderr, rewritten in place with '\r', and only
 * when stderr is a terminal or the user asked for it (--progress); a batch
 * job's log therefore stays clean. It shows done/total, elapsed time, the
 * rate per second and ETA.
 */
#ifndef GNNREC_BASE_CLOCK_H
#define GNNREC_BASE_CLOCK_H

#include <stdint.h>

double clock_now(void);        /* seconds, monotonic */

typedef struct progress {
    const char *what;          /* "train", "eval", ... */
    uint64_t total;
    double t0, last;
    int enabled;
} progress_t;

/* mode: 0 = auto (on if stderr is a tty), 1 = always, -1 = never. */
void progress_init(progress_t *p, const char *what, uint64_t total, int mode);
void progress_update(progress_t *p, uint64_t done);   /* at most ~4 times/s */
void progress_done(progress_t *p);                    /* clears the line */

#endif
