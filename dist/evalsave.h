/* evalsave.h (dist/) - a distributed training run's state beside the
 * step (dist/step.h), its evaluation and its save: what rank 0 reads from
 * the ranks' rows, block by block (dist/rows.h), so no rank holds a whole
 * [N x dim] table.
 *
 * Evaluation: the final embeddings (dist_step_final) stay on their owners;
 * rank 0 reads the item rows once, then the evaluated users in the runs
 * gnn_eval_scorer ranks them in (gnn_eval_chunk), cut at multiples of the
 * 512-user SGEMM tile, and ranks each block with the same gnn_topk call,
 * so the metrics are one process's bits.
 * The save: one LMDB transaction on rank 0 (gnn_saved_put_filled), each
 * table's blob reserved and filled in store-id order from the ranks' rows;
 * a transaction that LMDB reruns asks for the rows again.
 * Assumes the caller filled t, g, perm and (rank 0) the log.
 */
#ifndef GNNREC_DIST_EVALSAVE_H
#define GNNREC_DIST_EVALSAVE_H

#include <stdio.h>

#include "dist/rows.h"
#include "dist/step.h"
#include "gnn/mlog.h"
#include "graph/load.h"
#include "store/store.h"

typedef struct dist_run {
    dist_step_t t;
    graph_interactions_t g;
    graph_typed_src_t src;        /* the joint graph's edge lists until the rows are built */
    int have_src;
    uint64_t version;             /* the store version the load read (store_txn_version) */
    graph_csr_t fit_o;
    uint32_t *perm;
    dist_rows_t rows;             /* rank 0's reads of the ranks' rows (its list: the evaluated users) */
    uint32_t *eval_list;          /* [n_eval] the evaluated users (store ids, with test items), every rank */
    uint64_t n_eval;
    uint32_t eval_block;          /* rank 0: users per block of an evaluation (a multiple of the SGEMM tile) */
    gnn_mlog_t log;               /* rank 0: the metrics log and its --metrics-log file */
} dist_run_t;

/* Collective: the rows reader, the evaluated users (rank 0 lists them
 * from the test split, every rank gets the list) and rank 0's metrics log
 * (--metrics-log opened for writing). */
int dist_run_setup(dist_run_t *r, err_t *e);

/* Where a run starts: epoch 0, or the checkpoint --resume continues. */
typedef struct dist_resume {
    uint32_t start, best_epoch;   /* epochs done; the last evaluated */
    uint64_t step;                /* Adam steps done */
    double best, secs;            /* its metric (-1: none); training seconds so far */
} dist_resume_t;

/* Collective, after dist_run_setup and dist_step_init: with o->resume,
 * rank 0 reads the checkpoint one process would continue
 * (gnn_saved_checkpoint: the staging NAME~run, else the model; checked as
 * one process checks it, gnn_trainer_check_resume) in one read
 * transaction, and every rank gets its rows of E0 and the Adam moments
 * from it (dist_rows_scatter; the checkpoint is in store ids, so any P, or
 * one process, continues it), its log prepended to the run's. Else rank 0
 * drops the staging of an interrupted run, as one process does. *v the
 * start on every rank. */
int dist_run_begin(dist_run_t *r, store_t *s, const char *name, dist_resume_t *v, err_t *e);

/* Collective: the final embeddings (dist_step_final) and the metrics of
 * the current model, computed by rank 0 into *met; zb keeps the final rows
 * (the save's "emb"). last: the run's last evaluation: the step's work
 * tables (dist_step_free_work) and rank 0's evaluation buffers are freed,
 * so they do not add to the evaluation's or the save's memory. */
int dist_run_eval(dist_run_t *r, gnn_metrics_t *met, int last, err_t *e);
/* What a save records besides the tables. */
typedef struct dist_save {
    int final;                    /* 1: the finished model NAME; 0: a checkpoint (staging NAME~run) */
    uint32_t epoch, best_epoch;   /* epochs done; the last evaluated */
    double best, secs;            /* its metric (-1: none); training seconds of every run so far */
} dist_save_t;

/* Collective: rank 0 writes model name (or its checkpoint) in one
 * transaction, the tables streamed into it from the ranks' rows (E0, m, v;
 * for a final save the final rows in zb, which dist_run_eval left there):
 * the format of one process's save and checkpoint, in store ids. */
int dist_run_save(dist_run_t *r, store_t *s, const char *name, const dist_save_t *v, err_t *e);

#endif
