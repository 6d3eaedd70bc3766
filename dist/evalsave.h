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
#include "graph/load.h"
#include "store/store.h"

typedef struct dist_run {
    dist_step_t t;
    graph_interactions_t g;
    graph_csr_t fit_o;
    uint32_t *perm;
    dist_rows_t rows;             /* rank 0's reads of the ranks' rows (its list: the evaluated users) */
    uint32_t *eval_list;          /* [n_eval] the evaluated users (store ids, with test items), every rank */
    uint64_t n_eval;
    float *items, *q;             /* rank 0: [n_items x dim] final item rows, [eval_block x dim] users' */
    uint32_t *ranked, eval_block; /* rank 0: [eval_block x kmax] */
    char *log;
    size_t log_len, log_cap;
    FILE *logf;
} dist_run_t;

/* Collective: the rows reader, the evaluated users (rank 0 lists them
 * from the test split, every rank gets the list), rank 0's evaluation
 * blocks and metrics log (--metrics-log opened for writing). */
int dist_run_setup(dist_run_t *r, err_t *e);
/* Collective: the final embeddings (dist_step_final) and the metrics of
 * the current model, computed by rank 0 into *met; zb keeps the final rows
 * (the save's "emb"). */
int dist_run_eval(dist_run_t *r, gnn_metrics_t *met, err_t *e);
/* Collective: rank 0 writes model name in one transaction, the tables
 * streamed into it from the ranks' rows (E0, m, v; the final rows in zb):
 * epoch epochs done, best the last evaluation's metric, secs of training. */
int dist_run_save(dist_run_t *r, store_t *s, const char *name, uint32_t epoch, double best, double secs, err_t *e);

#endif
