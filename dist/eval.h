/* eval.h (dist/) - the all-ranking evaluation of gnn/eval.h across the
 * ranks of a job: the simplest distributed job, and the pattern of the
 * others (docs/distributed.md).
 *
 * Every rank holds what one process holds (the store's interactions and the
 * model's scorer, read zero-copy from its own copy of the store); the users
 * with test items are split into contiguous shares in user order
 * (dist_share), each rank ranks and scores its share into per-user rows,
 * and the rows are summed by dist_chain_sum, which makes the additions one
 * process makes in the same order: the metrics are bit-identical to
 * gnn_eval_scorer's on one process. Every rank gets them.
 */
#ifndef GNNREC_DIST_EVAL_H
#define GNNREC_DIST_EVAL_H

#include "dist/dist.h"
#include "gnn/eval.h"

/* Collective. gnn_eval_scorer (users == NULL) or gnn_eval_scorer_users
 * (users[0..n_users)) across d's ranks; with d->size == 1 it is that call.
 * Errors are agreed (dist_agree): every rank returns the same status. */
int dist_eval_scorer(const dist_t *d, const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                     const graph_csr_t *truth, const uint32_t *users, uint32_t n_users, const uint32_t *ks, int n_k,
                     int threads, gnn_metrics_t *out, err_t *e);

#endif
