/* eval.h - all-ranking evaluation and top-K scoring from embeddings.
 *
 * The protocol is the LightGCN paper's (SPEC.md): for every user with at
 * least one test item, score all items (dot product of the final user and
 * item embeddings), drop the user's training items, take the top K.
 *   Recall@K    = hits / |test items of the user|
 *   Precision@K = hits / K
 *   NDCG@K      = DCG@K / IDCG@K, binary gains, 1/log2(rank + 1) discounts
 *                 (rank 1-based), IDCG over min(|test|, K) items
 *   Hit@K       = 1 if hits > 0
 * averaged over the evaluated users (users with no test items are skipped).
 *
 * Ties: among equal scores the smaller item index ranks first, so results do
 * not depend on threads or blocking.
 *
 * Scores are computed block by block (a block of users x a block of items
 * with OpenBLAS SGEMM, then a per-row top-K selection merged across the
 * item blocks), so the users x items matrix never exists in memory. The
 * same gnn_topk() serves `eval` and `infer`, so both rank identically.
 * Items whose score is NaN are never returned (treated like excluded ones);
 * an item scoring -INFINITY is still a real candidate.
 *
 * gnn_topk_ref() is the plain reference (per-user dot products, full sort)
 * that tests compare the blocked kernel against; docs/evaluation.md has the
 * design and the measured speed.
 *
 * Shapes: q [n_q x dim], items [n_items x dim], row-major float32.
 */
#ifndef GNNREC_GNN_EVAL_H
#define GNNREC_GNN_EVAL_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"
#include "gnn/scorer.h"

#define GNN_EVAL_MAX_K 16
#define GNN_ITEM_NONE UINT32_MAX

typedef struct gnn_metrics {
    uint32_t users_evaluated;
    int n_k;
    uint32_t k[GNN_EVAL_MAX_K];
    double recall[GNN_EVAL_MAX_K], ndcg[GNN_EVAL_MAX_K];
    double precision[GNN_EVAL_MAX_K], hit[GNN_EVAL_MAX_K];
} gnn_metrics_t;

/* Top-k items for each of n_q query rows.
 * exclude: optional [* x n_items] CSR of items to drop per query (training
 *   items); exclude_row[j] is the row of exclude that applies to query j
 *   (NULL: row j). A row index of UINT32_MAX means "exclude nothing".
 * out_items [n_q x k], out_scores [n_q x k]: best first; when fewer than k
 *   items remain, the tail is GNN_ITEM_NONE / -INFINITY. out_scores may be
 *   NULL when only the items are wanted.
 * k == 0 or dim == 0 is ERR_USAGE; k > n_items is fine (padded tail).
 * threads: 0 = all cores (OpenMP's default count). Sets OpenBLAS's
 *   process-wide thread count for the call (restored after): not for use
 *   from two threads at once. */
int gnn_topk(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
             uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
             uint32_t k, int threads, uint32_t *out_items, float *out_scores, err_t *e);

/* Knobs of the blocked kernel, for benchmarks and for tests that check the
 * result does not depend on them. Zero fields take the defaults. */
typedef struct gnn_topk_tuning {
    uint32_t block_users;   /* query rows per SGEMM block */
    uint32_t block_items;   /* items per SGEMM block */
    int blas_parallel;      /* 0 (default): each OpenMP thread runs a
                               single-threaded SGEMM on its own block;
                               1: OpenBLAS threads the SGEMM, OpenMP the
                               selection (measured slower, kept to compare) */
    int score_only;         /* 1: SGEMM blocks only, no selection (outputs
                               are left untouched) - the bench's floor */
} gnn_topk_tuning_t;

/* Users per SGEMM tile by default: fixed, whatever the query count (so a
 * user's scores are the same bits in any run whose tiles start at the same
 * multiples of it: infer --shard, gnn/scorer.h). */
#define GNN_TOPK_TILE_USERS 512

int gnn_topk_tuned(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
                   uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
                   uint32_t k, int threads, const gnn_topk_tuning_t *tuning,
                   uint32_t *out_items, float *out_scores, err_t *e);

/* Reference for gnn_topk: same contract, single-threaded, a plain dot
 * product per (query, item) and a full sort per query. Slow on purpose. */
int gnn_topk_ref(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
                 uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
                 uint32_t k, uint32_t *out_items, float *out_scores, err_t *e);

/* The all-ranking protocol. user_emb [n_users x dim], item_emb [n_items x dim];
 * exclude and truth are n_users x n_items CSRs (train and test; exclude may
 * be NULL: nothing excluded). ks[0..n_k) are the cut-offs (1 <= n_k <=
 * GNN_EVAL_MAX_K, each k >= 1, any order). out gets the averages and
 * out->k[] = ks; with no evaluated user every metric is 0. One top-max(ks)
 * pass serves every cut-off. */
int gnn_eval_all_ranking(const float *user_emb, const float *item_emb, uint32_t dim,
                         const graph_csr_t *exclude, const graph_csr_t *truth,
                         const uint32_t *ks, int n_k, int threads,
                         gnn_metrics_t *out, err_t *e);

/* NDCG@k of one ranked list with binary gains: hit[r] != 0 when rank r
 * (0-based, r < n) holds a relevant item; n_rel relevant items in all.
 * DCG = sum over hits at r < k of 1/log2(r + 2); IDCG puts min(n_rel, k)
 * hits first (LightGCN's IDCG). NaN when n_rel == 0. The one NDCG of the
 * project: the all-ranking protocol below and rank-feed's evaluation
 * (feed/feed.h) both call it. */
double gnn_ndcg(const uint8_t *hit, uint32_t n, uint64_t n_rel, uint32_t k);

/* Metrics of one ranked list (ranked[0..n_ranked), best first) against a
 * sorted truth list; adds into out at index ki. Exposed for tests.
 * Only the first min(n_ranked, k) entries count; GNN_ITEM_NONE entries are
 * never hits. Adds the user's recall/ndcg/precision/hit to the sums at ki;
 * does not touch users_evaluated or k[] (the caller averages). A user with
 * n_truth == 0 adds zeros (the protocol skips such users before calling). */
void gnn_metrics_add_user(const uint32_t *ranked, uint32_t n_ranked,
                          const uint32_t *truth, uint32_t n_truth,
                          uint32_t k, int ki, gnn_metrics_t *out);

/* The scorer type (gnn_scorer_t, gnn_topk_scorer) lives in gnn/scorer.h. */

/* The all-ranking protocol for any scorer: user u is query row u of hist
 * (the training matrix for saved models); exclude and truth as in
 * gnn_eval_all_ranking, which is this function with an embedding scorer. */
int gnn_eval_scorer(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                    const graph_csr_t *truth, const uint32_t *ks, int n_k, int threads,
                    gnn_metrics_t *out, err_t *e);

/* A seeded random sample of the users with test items (issue 14): n of the
 * truth matrix's non-empty rows, drawn without replacement by a partial
 * Fisher-Yates shuffle of rng_t(seed) and returned ascending in *out (malloc'd,
 * *n_out entries). The same truth, n and seed give the same sample on any
 * machine; n >= the number of such users (or n == 0) gives all of them, so
 * the metrics are the full ones exactly. */
int gnn_eval_sample_users(const graph_csr_t *truth, uint32_t n, uint64_t seed, uint32_t **out, uint32_t *n_out,
                          err_t *e);

/* gnn_eval_scorer over the users users[0..n_users) only (ascending or not;
 * each must have a test item to count), e.g. a gnn_eval_sample_users sample. */
int gnn_eval_scorer_users(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                          const graph_csr_t *truth, const uint32_t *users, uint32_t n_users, const uint32_t *ks,
                          int n_k, int threads, gnn_metrics_t *out, err_t *e);

/* The pieces of the protocol a distributed job (dist/eval.c) puts together.
 * gnn_eval_test_users: the users of users[0..n_list) (NULL: 0..n_rows) that
 * have a test item, in order, malloc'd in *out. gnn_eval_scorer_rows: for
 * each of them (every user given must have a test item) its own metric
 * values, rows [n x n_k x GNN_EVAL_ROW] (recall, ndcg, precision, hit at
 * ks[ki]), *n_rows = n. gnn_eval_metrics_from_sums: the averages from the
 * sums of such rows taken in user order (sums [n_k x GNN_EVAL_ROW]): adding
 * the rows one after the other from 0 makes exactly the additions of
 * gnn_eval_scorer, so the metrics are bit-identical to it. */
#define GNN_EVAL_ROW 4
/* The evaluated users per gnn_topk call of gnn_eval_scorer (n_eval users,
 * top kmax): the list is ranked in runs of this many users, each run's
 * tiles (GNN_TOPK_TILE_USERS) starting at its first user, so a caller that
 * ranks the same runs (or pieces of them cut at multiples of the tile)
 * gets the same scores bit for bit (dist/train.c's evaluation). */
uint32_t gnn_eval_chunk(uint32_t kmax, uint32_t n_eval);
int gnn_eval_test_users(const graph_csr_t *truth, const uint32_t *users, uint32_t n_list, uint32_t **out,
                        uint32_t *n_out, err_t *e);
int gnn_eval_scorer_rows(const gnn_scorer_t *s, const graph_csr_t *hist, const graph_csr_t *exclude,
                         const graph_csr_t *truth, const uint32_t *users, uint32_t n_users, const uint32_t *ks,
                         int n_k, int threads, double *rows, uint32_t *n_rows, err_t *e);
void gnn_eval_metrics_from_sums(const double *sums, uint32_t n_users, const uint32_t *ks, int n_k,
                                gnn_metrics_t *out);

#endif
