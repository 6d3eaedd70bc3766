/* mlog.h - a training run's metrics log: JSON lines (one per epoch) kept in
 * memory for the saved model's "metrics" blob (gnn/saved.h) and, with
 * --metrics-log, mirrored line by line to a file. The one piece the BPR
 * trainer (gnn/trainer.c), the rating trainer (gnn/rating.c) and the
 * distributed trainer's rank 0 (dist/evalsave.c) share.
 *
 *   gnn_mlog_t l = {0};
 *   gnn_mlog_open(&l, o->metrics_log, o->resume, e);   // NULL path: memory only
 *   gnn_mlog_add(&l, old, n, e);     // a checkpoint's lines: memory only
 *   gnn_mlog_line(&l, line, e);      // an epoch's line: memory and file
 *   ... l.buf, l.len into the model ...
 *   rc = gnn_mlog_close(&l, rc, e);  // the file's close checked; frees buf
 *
 * Errors: ERR_USAGE "--metrics-log PATH: cannot write" (open), ERR_IO
 * "--metrics-log PATH: REASON" (a write, flush or close that failed: a full
 * disk is noticed at the epoch it happens), ERR_NOMEM.
 */
#ifndef GNNREC_GNN_MLOG_H
#define GNNREC_GNN_MLOG_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

typedef struct gnn_mlog {
    char *buf;                /* [len + 1] the lines so far, NUL-terminated (NULL while empty) */
    size_t len, cap;
    FILE *f;                  /* the --metrics-log copy, NULL: none */
    const char *path;         /* borrowed */
} gnn_mlog_t;

/* path NULL: no file; append: continue the file (--resume), else truncate it. */
int gnn_mlog_open(gnn_mlog_t *l, const char *path, int append, err_t *e);
/* Keep n bytes of lines (not written to the file). */
int gnn_mlog_add(gnn_mlog_t *l, const char *text, size_t n, err_t *e);
/* Keep one NUL-terminated line and write it to the file, flushed. */
int gnn_mlog_line(gnn_mlog_t *l, const char *line, err_t *e);
/* Close the file and free the lines; *l is empty after. Returns rc, the
 * run's status, when it is an error (e keeps its message: a failed close
 * does not hide it), else the close's status. */
int gnn_mlog_close(gnn_mlog_t *l, int rc, err_t *e);

#endif
