/* writer.h - the one buffered writer for what gnnrec prints: TSV rows and
 * JSON lines, to stdout or atomically to a file.
 *
 * Two parts:
 *   io_buf_t     a growable memory buffer with the formatters (numbers,
 *                JSON strings, TSV fields). One per thread when rows are
 *                formatted in parallel; it never touches a file. Appends do
 *                not fail one by one: an allocation failure sets b->oom and
 *                later appends are dropped; whoever writes the buffer out
 *                checks the flag (io_writer_* do).
 *   io_writer_t  a sink: "-" streams to stdout; any other path is written
 *                as PATH.tmp.PID, then fsync'ed, closed and renamed over
 *                PATH by io_writer_close, so a reader sees the old file or
 *                the whole new one, never a part. io_writer_abort (or a
 *                failed close) removes the temporary file. Every fwrite,
 *                fflush, fsync and fclose is checked: `> /dev/full` fails
 *                with ERR_IO.
 *
 * Numbers, one way each:
 *   io_buf_g6    what printf("%.6g") prints, without printf on the common
 *                path (scores of infer; 1/3 of the run time went to printf)
 *   io_buf_f6    6 decimals, trailing zeros and a bare '.' dropped (feed
 *                scores and their terms); |x| >= 1e12 or non-finite: %.6g
 *   io_buf_u64   decimal
 * Strings:
 *   io_buf_json_str  a JSON string with its quotes: '"' and '\\' escaped,
 *                control bytes as \u00XX; other bytes (UTF-8) as they are
 *   io_buf_tsv       a TSV field. Ids are opaque strings, so one may hold a
 *                TAB or a newline (a quoted CSV id, or a hostile file); it
 *                would silently shift every column after it. Such a field
 *                is refused (ERR_INPUT naming the id), not escaped: an
 *                escape scheme would change ids containing a backslash,
 *                which are valid and printed as they are. JSON lines carry
 *                any id.
 */
#ifndef GNNREC_IO_WRITER_H
#define GNNREC_IO_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

typedef struct io_buf {
    char *p;        /* [cap] */
    size_t n, cap;
    int oom;        /* an append could not grow the buffer (data dropped) */
} io_buf_t;

/* Empty buffer with room for cap bytes (0: 64 KiB). ERR_NOMEM. */
int io_buf_init(io_buf_t *b, size_t cap, err_t *e);
void io_buf_destroy(io_buf_t *b);

void io_buf_put(io_buf_t *b, const void *s, size_t l);
void io_buf_str(io_buf_t *b, const char *s);   /* a NUL-terminated string */
void io_buf_u64(io_buf_t *b, uint64_t v);
void io_buf_g6(io_buf_t *b, double x);
void io_buf_f6(io_buf_t *b, double x);
void io_buf_json_str(io_buf_t *b, const char *s, size_t l);
/* ERR_INPUT when s holds '\t', '\n' or '\r' (nothing appended then). */
int io_buf_tsv(io_buf_t *b, const char *s, size_t l, err_t *e);

typedef struct io_writer {
    FILE *f;            /* stdout or the temporary file */
    char *path;         /* owned copy of the path ("-" for stdout) */
    char *tmp;          /* owned: PATH.tmp.PID, NULL for stdout */
    io_buf_t buf;       /* rows are formatted here, written when full */
    size_t flush_at;    /* write buf out once it holds this many bytes */
    int failed;         /* a write failed: later writes are skipped */
    uint32_t leftovers; /* dead jobs' PATH.tmp.PID files the open removed */
} io_writer_t;

/* Open a sink: path "-" is stdout, else PATH.tmp.PID is created (O_EXCL,
 * mode 0666 & ~umask), after the leftovers of killed jobs writing PATH are
 * removed (io_writer_leftovers; their count in w->leftovers). buf_size: bytes formatted before a write (0: 1 MiB).
 * A directory that is missing, not a directory, read-only or not writable
 * is ERR_USAGE (the user named a bad path); other failures ERR_IO. */
int io_writer_open(io_writer_t *w, const char *path, size_t buf_size, err_t *e);
/* Write w->buf out when it holds at least flush_at bytes (call after each
 * row). ERR_IO / ERR_NOMEM as io_writer_flush. */
int io_writer_maybe_flush(io_writer_t *w, err_t *e);
/* Write w->buf out now. ERR_NOMEM when the buffer lost data, ERR_IO when
 * the write failed (the message names the path). */
int io_writer_flush(io_writer_t *w, err_t *e);
/* Bytes formatted elsewhere (a thread's io_buf_t), after w->buf's. */
int io_writer_write(io_writer_t *w, const void *p, size_t n, err_t *e);
/* Flush, fflush, fsync (files), fclose and rename over the path; frees w.
 * On failure the temporary file is removed and the target is untouched.
 * stdout is flushed and checked, not closed. */
int io_writer_close(io_writer_t *w, err_t *e);
/* Start the file over: what was written is dropped (buffer, file
 * truncated), the writer stays open. Files only: stdout is ERR_IO. */
int io_writer_rewind(io_writer_t *w, err_t *e);
/* Give up: close and remove the temporary file, free w (no error). Safe
 * after a failed open or a close (then it does nothing). */
void io_writer_abort(io_writer_t *w);

/* Remove what killed jobs writing path left: PATH.tmp.PID files whose
 * process no longer runs (kill(PID, 0) fails with ESRCH; our own PID is
 * not a leftover), the rule store/create.c keeps for a killed build's
 * DIR.partial-PID. The count removed into *n and the first `max` names into
 * names [max][4096] (names may be NULL with max 0); a file that cannot be
 * removed is left and not counted. A job writing PATH from another machine
 * that shares the directory looks dead here, but two jobs writing one PATH
 * already lose one result to the other's rename: one writer per output. */
void io_writer_leftovers(const char *path, char (*names)[4096], int max, uint32_t *n);
/* The same for PATH.tmp.PID<suffix>... files (suffix "" is
 * io_writer_leftovers: nothing after the PID), the rule for any temporary
 * file a job names after its output and its PID (rank-feed's spills). */
void io_leftovers_remove(const char *path, const char *suffix, char (*names)[4096], int max, uint32_t *n);

#endif
