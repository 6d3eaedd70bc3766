/* out.h - rank-feed's output: a growable buffer with the number and JSON
 * formatting of the rows, and the output file, replaced atomically.
 *
 * feed_buf_t: one per part of a chunk, filled in parallel; an allocation
 * failure sets oom and drops later appends (the writer of the part checks).
 * Numbers: feed_buf_num prints 6 decimals with trailing zeros (and a bare
 * '.') dropped, %.6g when |x| >= 1e12 or not finite; printf's %g costs more
 * than all the scoring when the output is large.
 *
 * feed_out_t: "-" is stdout; any other PATH is written as PATH.tmp.PID and
 * renamed over PATH by feed_out_commit after fflush and fsync, so a failed
 * or killed job never leaves a partial PATH. SIGINT and SIGTERM remove the
 * temporary file (then the signal is raised again with its default action);
 * a SIGKILL cannot be caught, and feed_out_leftovers finds what such a job
 * left: PATH.tmp.PID files whose process is gone.
 */
#ifndef GNNREC_FEED_OUT_H
#define GNNREC_FEED_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

typedef struct feed_buf { char *p; size_t n, cap; int oom; } feed_buf_t;

void feed_buf_put(feed_buf_t *b, const char *s, size_t l);
#define FEED_BUF_LIT(b, lit) feed_buf_put(b, lit, sizeof lit - 1)
void feed_buf_u64(feed_buf_t *b, uint64_t v);
void feed_buf_num(feed_buf_t *b, double x);
void feed_buf_json_str(feed_buf_t *b, const char *s, uint32_t l);

typedef struct feed_out {
    FILE *f;                 /* stdout or the temporary file */
    const char *path;        /* the caller's, "-" for stdout */
    char tmp[4096];          /* PATH.tmp.PID, "" for stdout or once renamed */
} feed_out_t;

/* ERR_USAGE when PATH's directory is missing or not writable, else ERR_IO. */
int feed_out_open(feed_out_t *o, const char *path, err_t *e);
int feed_out_write(feed_out_t *o, const void *p, size_t n, err_t *e);
/* Flush (and for a file: fsync, close, rename over PATH). */
int feed_out_commit(feed_out_t *o, err_t *e);
/* Close and remove the temporary file; nothing after a commit. */
void feed_out_abort(feed_out_t *o);

/* Temporary files of path's earlier jobs whose process no longer runs
 * (PATH.tmp.PID, kill(PID, 0) fails with ESRCH): the count into *n and the
 * first `max` names into names [max][4096]. Nothing is removed: a file of a
 * process on another machine sharing the directory looks the same. */
void feed_out_leftovers(const char *path, char (*names)[4096], int max, uint32_t *n);

#endif
