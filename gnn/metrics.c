/* metrics.c - per-user ranking metrics of the all-ranking protocol
 * (eval.h has the definitions). Assumes the truth list is sorted ascending
 * and unique, as CSR rows are (graph/csr.h), so membership is a binary
 * search. */
#include "gnn/eval.h"

#include <math.h>

static int contains(const uint32_t *a, uint32_t n, uint32_t x)
{
    const uint32_t q = graph_lower_bound(a, n, x);
    return q < n && a[q] == x;
}

double gnn_ndcg(const uint8_t *hit, uint32_t n, uint64_t n_rel, uint32_t k)
{
    double dcg = 0.0, idcg = 0.0;
    for (uint32_t r = 0; r < n && r < k; r++)
        if (hit[r]) dcg += 1.0 / log2((double)r + 2.0);
    uint64_t ideal = n_rel < k ? n_rel : k;
    for (uint64_t r = 0; r < ideal; r++) idcg += 1.0 / log2((double)r + 2.0);
    return n_rel ? dcg / idcg : NAN;
}

void gnn_metrics_add_user(const uint32_t *ranked, uint32_t n_ranked,
                          const uint32_t *truth, uint32_t n_truth,
                          uint32_t k, int ki, gnn_metrics_t *out)
{
    if (n_truth == 0 || k == 0) return;
    uint32_t n = n_ranked < k ? n_ranked : k, hits = 0;
    uint8_t hit[n ? n : 1];
    for (uint32_t r = 0; r < n; r++) {
        hit[r] = ranked[r] != GNN_ITEM_NONE && contains(truth, n_truth, ranked[r]);
        hits += hit[r];
    }
    out->recall[ki] += (double)hits / n_truth;
    out->precision[ki] += (double)hits / k;
    out->ndcg[ki] += gnn_ndcg(hit, n, n_truth, k);
    out->hit[ki] += hits > 0 ? 1.0 : 0.0;
}
