/* eval.c - the all-ranking protocol (eval.h): gather the users that have
 * test items, rank all items for them with gnn_topk_scorer (training items
 * excluded; any scorer: embeddings, gf-cf, bspm), score the ranked lists at every cut-off, average.
 *
 * Assumes the truth and exclusion CSRs are n_users x n_items with sorted
 * rows (graph/csr.h). Users go through gnn_topk in chunks so the top-K
 * output stays bounded whatever the number of users and K (for gowalla at
 * K <= 500 that is a single chunk). Metrics are
 * summed in user order, so the averages do not depend on threads.
 */
#include "gnn/eval.h"

#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

/* Ranked-list entries held at once (64 MiB): every user in one gnn_topk
 * call for usual K (one call = no load imbalance at chunk ends), bounded
 * memory for large K. */
#define EVAL_BUDGET (16u << 20)
#define EVAL_MIN_CHUNK 1024u

static int check_args(const float *user_emb, const float *item_emb, uint32_t dim,
                      const graph_csr_t *exclude, const graph_csr_t *truth,
                      const uint32_t *ks, int n_k, const gnn_metrics_t *out, err_t *e)
{
    if (!truth || !out || !ks)
        return err_set(e, ERR_USAGE, "eval: missing test matrix, cut-offs or output");
    if (n_k < 1 || n_k > GNN_EVAL_MAX_K)
        return err_set(e, ERR_USAGE, "eval: %d cut-offs given, 1 to %d allowed", n_k,
                       GNN_EVAL_MAX_K);
    for (int i = 0; i < n_k; i++)
        if (ks[i] == 0) return err_set(e, ERR_USAGE, "eval: a cut-off K must be at least 1");
    if (dim == 0) return err_set(e, ERR_USAGE, "eval: embedding dimension must be at least 1");
    if ((truth->n_rows && !user_emb) || (truth->n_cols && !item_emb))
        return err_set(e, ERR_USAGE, "eval: missing embeddings");
    if (exclude && (exclude->n_rows != truth->n_rows || exclude->n_cols != truth->n_cols))
        return err_set(e, ERR_USAGE, "eval: training matrix is %u x %u but test matrix is %u x %u",
                       exclude->n_rows, exclude->n_cols, truth->n_rows, truth->n_cols);
    return ERR_OK;
}

int gnn_eval_all_ranking(const float *user_emb, const float *item_emb, uint32_t dim,
                         const graph_csr_t *exclude, const graph_csr_t *truth,
                         const uint32_t *ks, int n_k, int threads,
                         gnn_metrics_t *out, err_t *e)
{
    int rc = check_args(user_emb, item_emb, dim, exclude, truth, ks, n_k, out, e);
    if (rc) return rc;
    gnn_scorer_t s;
    gnn_scorer_emb(&s, "emb", user_emb, truth->n_rows, item_emb, truth->n_cols, dim);
    return gnn_eval_scorer(&s, NULL, exclude, truth, ks, n_k, threads, out, e);
}

uint32_t gnn_eval_chunk(uint32_t kmax, uint32_t n_eval)
{
    uint32_t chunk = EVAL_BUDGET / (kmax ? kmax : 1);
    if (chunk < EVAL_MIN_CHUNK) chunk = EVAL_MIN_CHUNK;
    return chunk > n_eval ? n_eval : chunk;
}

/* The protocol over users[0..n_list) (NULL: every user with a test item,
 * in order); users without test items are skipped. rows == NULL: the sums
 * go into out and are averaged; else each evaluated user's values go to
 * rows [n_eval x n_k x 4] (gnn_eval_scorer_rows) and out only counts. */
static int eval_users(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                      const graph_csr_t *truth, const uint32_t *users, uint32_t n_list, const uint32_t *ks, int n_k,
                      int threads, gnn_metrics_t *out, double *rows_out, err_t *e)
{
    if (!s) return err_set(e, ERR_USAGE, "eval: no scorer");
    int rc = check_args((const float *)s, (const float *)s, 1, exclude, truth, ks, n_k, out, e);
    if (rc) return rc;
    if (s->n_items != truth->n_cols)
        return err_set(e, ERR_USAGE, "eval: the model has %u items but the test matrix %u", s->n_items,
                       truth->n_cols);
    if (s->score && (!hist || hist->n_rows != truth->n_rows || hist->n_cols != truth->n_cols))
        return err_set(e, ERR_USAGE, "eval: the %s scorer needs the %u x %u history matrix", s->arch,
                       truth->n_rows, truth->n_cols);
    memset(out, 0, sizeof *out);
    out->n_k = n_k;
    uint32_t kmax = 0;
    for (int i = 0; i < n_k; i++) {
        out->k[i] = ks[i];
        if (ks[i] > kmax) kmax = ks[i];
    }
    uint32_t n_users = truth->n_rows, n_eval = 0, n_pos = users ? n_list : n_users;
    for (uint32_t p = 0; p < n_pos; p++) {
        uint32_t u = users ? users[p] : p;
        if (u >= n_users) return err_set(e, ERR_USAGE, "eval: user %u out of range (%u users)", u, n_users);
        n_eval += truth->ptr[u + 1] > truth->ptr[u];
    }
    if (n_eval == 0) return ERR_OK;

    uint32_t chunk = gnn_eval_chunk(kmax, n_eval);
    uint32_t *rows = malloc((size_t)chunk * sizeof *rows);
    uint32_t *ranked = malloc((size_t)chunk * kmax * sizeof *ranked);
    if (!rows || !ranked) {
        rc = err_set(e, ERR_NOMEM, "eval: out of memory for %u users x top-%u", chunk, kmax);
        goto done;
    }
    uint32_t p = 0;
    while (p < n_pos) {
        uint32_t n = 0;
        for (; p < n_pos && n < chunk; p++) {
            uint32_t u = users ? users[p] : p;
            if (truth->ptr[u + 1] > truth->ptr[u]) rows[n++] = u;
        }
        if (n == 0) break;
        rc = gnn_topk_scorer(s, hist, rows, n, exclude, exclude ? rows : NULL, kmax, threads, ranked, NULL, e);
        if (rc) {
            err_prefix(e, "eval");
            goto done;
        }
        for (uint32_t j = 0; j < n; j++) {
            const uint32_t *t = truth->col + truth->ptr[rows[j]];
            uint32_t nt = (uint32_t)(truth->ptr[rows[j] + 1] - truth->ptr[rows[j]]);
            if (rows_out) {   /* the user's own values: 0 + v is v exactly */
                gnn_metrics_t one;
                memset(&one, 0, sizeof one);
                double *row = rows_out + ((size_t)out->users_evaluated + j) * (size_t)n_k * GNN_EVAL_ROW;
                for (int ki = 0; ki < n_k; ki++) {
                    gnn_metrics_add_user(ranked + (size_t)j * kmax, kmax, t, nt, ks[ki], ki, &one);
                    row[ki * GNN_EVAL_ROW + 0] = one.recall[ki];
                    row[ki * GNN_EVAL_ROW + 1] = one.ndcg[ki];
                    row[ki * GNN_EVAL_ROW + 2] = one.precision[ki];
                    row[ki * GNN_EVAL_ROW + 3] = one.hit[ki];
                }
            } else {
                for (int ki = 0; ki < n_k; ki++)
                    gnn_metrics_add_user(ranked + (size_t)j * kmax, kmax, t, nt, ks[ki], ki, out);
            }
        }
        out->users_evaluated += n;
    }
    if (rows_out) goto done;
    for (int ki = 0; ki < n_k; ki++) {
        out->recall[ki] /= out->users_evaluated;
        out->precision[ki] /= out->users_evaluated;
        out->ndcg[ki] /= out->users_evaluated;
        out->hit[ki] /= out->users_evaluated;
    }
done:
    free(rows);
    free(ranked);
    return rc;
}

int gnn_eval_scorer(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                    const graph_csr_t *truth, const uint32_t *ks, int n_k, int threads,
                    gnn_metrics_t *out, err_t *e)
{
    return eval_users(s, hist, exclude, truth, NULL, 0, ks, n_k, threads, out, NULL, e);
}

int gnn_eval_scorer_users(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                          const graph_csr_t *truth, const uint32_t *users, uint32_t n_users, const uint32_t *ks,
                          int n_k, int threads, gnn_metrics_t *out, err_t *e)
{
    if (!users && n_users) return err_set(e, ERR_USAGE, "eval: no user list");
    static const uint32_t none = 0;
    return eval_users(s, hist, exclude, truth, users ? users : &none, n_users, ks, n_k, threads, out, NULL, e);
}

int gnn_eval_scorer_rows(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                         const graph_csr_t *truth, const uint32_t *users, uint32_t n_users, const uint32_t *ks,
                         int n_k, int threads, double *rows, uint32_t *n_rows, err_t *e)
{
    if ((!users && n_users) || !rows || !n_rows) return err_set(e, ERR_USAGE, "eval: no user list or rows");
    static const uint32_t none = 0;
    gnn_metrics_t m;
    int rc = eval_users(s, hist, exclude, truth, users ? users : &none, n_users, ks, n_k, threads, &m, rows, e);
    *n_rows = rc ? 0 : m.users_evaluated;
    return rc;
}

int gnn_eval_test_users(const graph_csr_t *truth, const uint32_t *users, uint32_t n_list, uint32_t **out,
                        uint32_t *n_out, err_t *e)
{
    uint32_t n_pos = users ? n_list : truth->n_rows, n = 0;
    uint32_t *list = malloc(((size_t)n_pos + 1) * sizeof *list);
    if (!list) return err_set(e, ERR_NOMEM, "eval: out of memory for %u users", n_pos);
    for (uint32_t p = 0; p < n_pos; p++) {
        uint32_t u = users ? users[p] : p;
        if (u >= truth->n_rows) {
            free(list);
            return err_set(e, ERR_USAGE, "eval: user %u out of range (%u users)", u, truth->n_rows);
        }
        if (truth->ptr[u + 1] > truth->ptr[u]) list[n++] = u;
    }
    *out = list;
    *n_out = n;
    return ERR_OK;
}

void gnn_eval_metrics_from_sums(const double *sums, uint32_t n_users, const uint32_t *ks, int n_k,
                                gnn_metrics_t *out)
{
    memset(out, 0, sizeof *out);
    out->n_k = n_k;
    out->users_evaluated = n_users;
    for (int ki = 0; ki < n_k; ki++) {
        out->k[ki] = ks[ki];
        if (!n_users) continue;
        out->recall[ki] = sums[ki * GNN_EVAL_ROW + 0] / n_users;
        out->ndcg[ki] = sums[ki * GNN_EVAL_ROW + 1] / n_users;
        out->precision[ki] = sums[ki * GNN_EVAL_ROW + 2] / n_users;
        out->hit[ki] = sums[ki * GNN_EVAL_ROW + 3] / n_users;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int gnn_eval_sample_users(const graph_csr_t *truth, uint32_t n, uint64_t seed, uint32_t **out, uint32_t *n_out,
                          err_t *e)
{
    uint32_t m = 0;
    *out = NULL;
    *n_out = 0;
    for (uint32_t u = 0; u < truth->n_rows; u++) m += truth->ptr[u + 1] > truth->ptr[u];
    uint32_t *v = malloc((m ? m : 1) * sizeof *v);
    if (!v) return err_set(e, ERR_NOMEM, "eval: out of memory for %u users", m);
    m = 0;
    for (uint32_t u = 0; u < truth->n_rows; u++)
        if (truth->ptr[u + 1] > truth->ptr[u]) v[m++] = u;
    if (n && n < m) {
        /* partial Fisher-Yates: v[0..n) becomes a uniform sample */
        rng_t r;
        rng_seed(&r, seed);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t j = i + rng_below(&r, m - i), t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        m = n;
        qsort(v, m, sizeof *v, cmp_u32);   /* user order: the sums do not depend on the draw order */
    }
    *out = v;
    *n_out = m;
    return ERR_OK;
}
