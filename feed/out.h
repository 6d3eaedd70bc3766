/* out.h - rank-feed's output file: io/writer.h's atomic writer (PATH is
 * written as PATH.tmp.PID and renamed over PATH at the end) plus what a
 * long job needs around it:
 *   - SIGINT and SIGTERM remove the temporary file (then the signal is
 *     raised again with its default action, so the job still dies of it);
 *     a signal ignored when the job started stays ignored;
 *   - a missing or unwritable directory is a usage error (exit 2), not an
 *     I/O failure;
 *   - what a SIGKILLed job left (PATH.tmp.PID of a process that is gone) is
 *     removed by io/writer.h's io_writer_leftovers, which feed/job.c calls
 *     before the open to name the files it removes.
 * One output at a time per process (the signal handler has one path).
 */
#ifndef GNNREC_FEED_OUT_H
#define GNNREC_FEED_OUT_H

#include <stdint.h>

#include "base/err.h"
#include "io/writer.h"

/* io_writer_open, guarded. "-" is stdout (nothing to guard). */
int feed_out_open(io_writer_t *w, const char *path, err_t *e);
/* io_writer_close (flush, fsync, rename), then the guard is lifted. */
int feed_out_close(io_writer_t *w, err_t *e);
/* io_writer_abort (the temporary file is removed), guard lifted. */
void feed_out_abort(io_writer_t *w);

#endif
