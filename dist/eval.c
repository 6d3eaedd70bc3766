/* eval.c (dist/) - dist/eval.h: split the evaluated users, score a share
 * per rank, sum the per-user rows in user order across ranks. Assumes every
 * rank was given the same store contents, model and options (they read the
 * same store copy), so the list of evaluated users is the same everywhere. */
#include "dist/eval.h"

#include <stdlib.h>

int dist_eval_scorer(const dist_t *d, const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                     const graph_csr_t *truth, const uint32_t *users, uint32_t n_users, const uint32_t *ks, int n_k,
                     int threads, gnn_metrics_t *out, err_t *e)
{
    if (d->size <= 1)
        return users ? gnn_eval_scorer_users(s, hist, exclude, truth, users, n_users, ks, n_k, threads, out, e)
                     : gnn_eval_scorer(s, hist, exclude, truth, ks, n_k, threads, out, e);
    uint32_t *list = NULL, n_list = 0, n_rows = 0;
    double *rows = NULL, sums[GNN_EVAL_MAX_K * GNN_EVAL_ROW];
    uint64_t lo = 0, hi = 0;
    int rc = ERR_OK;
    if (!truth || !ks || n_k < 1 || n_k > GNN_EVAL_MAX_K) rc = err_set(e, ERR_USAGE, "eval: bad arguments");
    if (!rc) rc = gnn_eval_test_users(truth, users, users ? n_users : 0, &list, &n_list, e);
    if (!rc) {
        dist_share(n_list, d->rank, d->size, &lo, &hi);
        rows = malloc(((size_t)(hi - lo) + 1) * (size_t)n_k * GNN_EVAL_ROW * sizeof *rows);
        if (!rows) rc = err_set(e, ERR_NOMEM, "eval: out of memory for the rows of %llu users",
                                (unsigned long long)(hi - lo));
    }
    if (!rc && hi > lo)
        rc = gnn_eval_scorer_rows(s, hist, exclude, truth, list + lo, (uint32_t)(hi - lo), ks, n_k, threads, rows,
                                  &n_rows, e);
    if (!rc && n_rows != hi - lo)
        rc = err_set(e, ERR_INTERNAL, "eval: %u rows for %llu users", n_rows, (unsigned long long)(hi - lo));
    if ((rc = dist_agree(d, rc, e))) goto out;
    if ((rc = dist_chain_sum(d, rows, n_rows, (uint32_t)n_k * GNN_EVAL_ROW, sums, e))) goto out;
    gnn_eval_metrics_from_sums(sums, n_list, ks, n_k, out);
out:
    free(list);
    free(rows);
    return rc;
}
