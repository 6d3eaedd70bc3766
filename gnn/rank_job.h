/* rank_job.h - what the files of the ranking module share (gnn/rank.c,
 * gnn/rank_new.c); not a public API (gnn/scorer.h is): names looked up or
 * scanned, external ids resolved, the one job loop. */
#ifndef GNNREC_GNN_RANK_JOB_H
#define GNNREC_GNN_RANK_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "gnn/ivf.h"
#include "gnn/scorer.h"
#include "io/idlist.h"

/* Names of one node type: looked up on demand (a few queries) or scanned
 * once (many). */
typedef struct names {
    store_txn_t *t;
    int node;
    const char **name;   /* [n], NULL until looked up */
    uint32_t *len;       /* [n] */
} names_t;

int gnn_rank_names_init(names_t *nm, store_txn_t *t, int node, uint32_t n, int scan_all, err_t *e);
void gnn_rank_names_free(names_t *n);

/* A note for the user through o->note (printf-style). */
void gnn_rank_note(const gnn_rank_opts_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct ids {
    uint32_t *id;        /* [n] */
    size_t n;
    int all;             /* the spec was "all": id[j] = j */
} ids_t;

/* Dense ids of l's names (unknown ones dropped and counted), then: fail
 * naming the first ten unknown ones (ERR_NOTFOUND), or note and go on
 * (skip). known: NULL or [l->n], 1 where the name was found. out->id is
 * malloc'd (free it even on failure). */
int gnn_rank_resolve(store_txn_t *t, int node, const io_idlist_t *l, int skip, const gnn_rank_opts_t *o, ids_t *out,
                     uint8_t *known, err_t *e);

/* A ranking job: which scorer, which queries, what is excluded, how the
 * rows are named. */
typedef struct job {
    const gnn_scorer_t *s;
    const graph_csr_t *hist;     /* filters: the rows queries are scored from; else NULL */
    const uint32_t *rows;        /* [n_q] query rows (of s->user_emb or hist) */
    size_t n_q;
    const graph_csr_t *ex;       /* seen items per query, or NULL */
    const uint32_t *ex_rows;     /* [n_q] rows of ex, or NULL: row j for query j */
    uint32_t block;              /* queries per block (0: by the scorer kind) */
    const uint8_t *fallback;     /* [n_q] or NULL: 1 = print fb_top/fb_sc instead (a new user without items) */
    const uint32_t *fb_top;      /* [k] */
    const float *fb_sc;          /* [k] */
    names_t *qnames;             /* query names by rows[j], or NULL: qstr */
    const io_idlist_t *qstr;     /* query names by position */
    names_t *cnames;             /* candidate names */
    const char *qkey, *ckey, *lkey;   /* JSON keys of query, candidate and list */
    const gnn_ivf_t *ivf;        /* embedding queries through this index (approximate), or NULL: exact */
    uint32_t nprobe;             /* lists each query probes with ivf */
} job_t;

/* Blocks of queries -> scores -> seen excluded -> top-K -> rows to w. */
int gnn_rank_run_job(const job_t *j, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e);

#endif
