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

/* The name spill files of the sort (sort.c) take, in $TMPDIR, when the
 * output is stdout. */
#define FEED_SPILL_BASE "gnnrec-rank-feed"

/* io_writer_open, guarded. "-" is stdout (nothing to guard). */
int feed_out_open(io_writer_t *w, const char *path, err_t *e);
/* io_writer_close (flush, fsync, rename), then the guard is lifted. */
int feed_out_close(io_writer_t *w, err_t *e);
/* io_writer_abort (the temporary file is removed), guard lifted. */
void feed_out_abort(io_writer_t *w);

/* Spill files of the sort whose process no longer runs (PATH.tmp.PID.sort*
 * beside path; $TMPDIR/FEED_SPILL_BASE.tmp.PID.sort* for "-"; a job made
 * them only where O_TMPFILE is missing, and a kill between creating and
 * unlinking one leaves it): removed, their number into *n. A spill file is
 * never wanted after its job, wherever that job ran. (PATH.tmp.PID, the
 * output's own temporary file, is io_writer_leftovers'.) */
void feed_out_spill_leftovers(const char *path, uint32_t *n);

#endif
