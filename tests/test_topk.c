/* test_topk.c - the blocked top-K kernel (gnn_topk) against the plain
 * reference (gnn_topk_ref: a dot product per pair and a full sort).
 *
 * Small-integer embeddings make every dot product exact in float whatever
 * the summation order, so the two must agree bit for bit - items, scores
 * and tie order - across shapes, block sizes, threads and both OpenBLAS
 * modes. Random real-valued embeddings are compared with a tolerance that
 * allows near-ties to swap. Edge cases: k = 1, k > n_items, users with every
 * item excluded, exclude_row UINT32_MAX, NaN and -inf scores, bad arguments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/eval.h"
#include "tests/check.h"

typedef struct shape {
    uint32_t n_q, n_items, dim, k, n_ex_rows;
    int range;          /* embeddings uniform in [-range, range]; 0 = real */
    double ex_frac;     /* fraction of (row, item) pairs excluded */
} shape_t;

static void fill_emb(rng_t *r, float *a, size_t n, int range)
{
    for (size_t i = 0; i < n; i++)
        a[i] = range ? (float)((int)rng_below(r, 2u * (uint32_t)range + 1) - range)
                     : rng_normal(r);
}

/* A random exclusion matrix; row 1 (when present) excludes every item. */
static void make_exclude(rng_t *r, graph_csr_t *ex, uint32_t n_rows, uint32_t n_items,
                         double frac)
{
    size_t cap = (size_t)n_rows * n_items + 1, n = 0;
    uint32_t *rr = malloc(cap * sizeof *rr), *cc = malloc(cap * sizeof *cc);
    for (uint32_t u = 0; u < n_rows; u++)
        for (uint32_t i = 0; i < n_items; i++)
            if (u == 1 || rng_double(r) < frac) { rr[n] = u; cc[n] = i; n++; }
    err_t e = {0};
    CHECK(graph_csr_from_pairs(ex, n_rows, n_items, rr, cc, n, &e) == 0);
    free(rr);
    free(cc);
}

/* Real-valued data: each returned item's exact score must be within tol of
 * the reference score at the same rank, and no excluded item may appear. */
static int near_agree(const float *q, const float *it, uint32_t dim, uint32_t k,
                      const uint32_t *fi, const float *fs, const uint32_t *ri, const float *rs)
{
    const float tol = 1e-4f;
    for (uint32_t t = 0; t < k; t++) {
        if ((fi[t] == GNN_ITEM_NONE) != (ri[t] == GNN_ITEM_NONE)) return 0;
        if (fi[t] == GNN_ITEM_NONE) continue;
        double s = 0;
        for (uint32_t d = 0; d < dim; d++) s += (double)q[d] * it[(size_t)fi[t] * dim + d];
        if (fabs(s - rs[t]) > tol || fabs(fs[t] - rs[t]) > tol) return 0;
    }
    return 1;
}

static void run_shape(rng_t *r, const shape_t *sh, int case_no)
{
    err_t e = {0};
    float *q = malloc(((size_t)sh->n_q * sh->dim + 1) * sizeof *q);
    float *it = malloc(((size_t)sh->n_items * sh->dim + 1) * sizeof *it);
    fill_emb(r, q, (size_t)sh->n_q * sh->dim, sh->range);
    fill_emb(r, it, (size_t)sh->n_items * sh->dim, sh->range);
    graph_csr_t ex = {0};
    uint32_t *ex_row = NULL;
    if (sh->n_ex_rows) {
        make_exclude(r, &ex, sh->n_ex_rows, sh->n_items, sh->ex_frac);
        ex_row = malloc(((size_t)sh->n_q + 1) * sizeof *ex_row);
        for (uint32_t u = 0; u < sh->n_q; u++)   /* some rows map nowhere */
            ex_row[u] = u % 5 == 3 ? UINT32_MAX : rng_below(r, sh->n_ex_rows);
        if (sh->n_q > 0) ex_row[0] = 1;          /* the all-excluded row */
    }
    size_t n_out = (size_t)sh->n_q * sh->k + 1;
    uint32_t *ri = malloc(n_out * sizeof *ri), *fi = malloc(n_out * sizeof *fi);
    float *rs = malloc(n_out * sizeof *rs), *fs = malloc(n_out * sizeof *fs);
    CHECK(gnn_topk_ref(q, sh->n_q, it, sh->n_items, sh->dim, sh->n_ex_rows ? &ex : NULL,
                       ex_row, sh->k, ri, rs, &e) == 0);

    const gnn_topk_tuning_t tunings[] = {
        {0, 0, 0, 0}, {1, 1, 0, 0}, {3, 7, 0, 0}, {16, 33, 0, 0},
        {64, 4096, 0, 0}, {5, 100, 1, 0}, {0, 0, 1, 0},
    };
    for (size_t ti = 0; ti < sizeof tunings / sizeof *tunings; ti++)
        for (int threads = 1; threads <= 3; threads += 2) {
            memset(fi, 0xab, n_out * sizeof *fi);
            int rc = gnn_topk_tuned(q, sh->n_q, it, sh->n_items, sh->dim,
                                    sh->n_ex_rows ? &ex : NULL, ex_row, sh->k, threads,
                                    &tunings[ti], fi, fs, &e);
            CHECK_MSG(rc == 0, "case %d: %s", case_no, e.msg);
            int ok = 1;
            for (uint32_t u = 0; u < sh->n_q && ok; u++) {
                size_t o = (size_t)u * sh->k;
                if (sh->range)
                    ok = !memcmp(fi + o, ri + o, sh->k * sizeof *fi) &&
                         !memcmp(fs + o, rs + o, sh->k * sizeof *fs);
                else
                    ok = near_agree(q + (size_t)u * sh->dim, it, sh->dim, sh->k,
                                    fi + o, fs + o, ri + o, rs + o);
                if (!ok)
                    fprintf(stderr, "case %d tuning %zu threads %d: user %u differs\n",
                            case_no, ti, threads, u);
            }
            CHECK_MSG(ok, "case %d tuning %zu threads %d", case_no, ti, threads);
        }

    /* The reference itself: exclusions honoured, padding only at the end,
     * and the all-excluded row (ex_row 1) yields nothing. */
    for (uint32_t u = 0; u < sh->n_q; u++) {
        int pad = 0, bad = 0;
        for (uint32_t t = 0; t < sh->k; t++) {
            uint32_t i = ri[(size_t)u * sh->k + t];
            if (i == GNN_ITEM_NONE) { pad = 1; continue; }
            if (pad) bad = 1;
            if (ex_row && ex_row[u] != UINT32_MAX && graph_csr_has(&ex, ex_row[u], i)) bad = 1;
        }
        CHECK_MSG(!bad, "case %d user %u: reference list malformed", case_no, u);
        if (ex_row && ex_row[u] == 1) CHECK(ri[(size_t)u * sh->k] == GNN_ITEM_NONE);
    }
    free(q); free(it); free(ex_row); free(ri); free(fi); free(rs); free(fs);
    graph_csr_destroy(&ex);
}

/* Two items score NaN and one -inf for every user: NaN is never returned,
 * -inf is a real (last) candidate. dim 1, q = 1, so score = item value. */
static void special_scores(void)
{
    err_t e = {0};
    float q[2] = {1.0f, 2.0f};
    float it[5] = {NAN, -INFINITY, 3.0f, NAN, 3.0f};
    uint32_t fi[10], ri[10];
    float fs[10], rs[10];
    CHECK(gnn_topk(q, 2, it, 5, 1, NULL, NULL, 5, 2, fi, fs, &e) == 0);
    CHECK(gnn_topk_ref(q, 2, it, 5, 1, NULL, NULL, 5, ri, rs, &e) == 0);
    /* user 0: scores 3 (item 2), 3 (item 4; tie -> smaller index first),
     * -inf (item 1), then padding for the two NaN items */
    CHECK_EQ_INT(fi[0], 2); CHECK_EQ_INT(fi[1], 4); CHECK_EQ_INT(fi[2], 1);
    CHECK(fi[3] == GNN_ITEM_NONE && fi[4] == GNN_ITEM_NONE);
    CHECK(fs[0] == 3.0f && fs[2] == -INFINITY && fs[3] == -INFINITY);
    CHECK(!memcmp(fi, ri, sizeof fi));
    CHECK_EQ_INT(fi[5], 2);   /* user 1: scores doubled, same order */
    CHECK(fs[5] == 6.0f);
}

static void bad_args(void)
{
    err_t e = {0};
    float q[4] = {1, 2, 3, 4}, it[4] = {1, 0, 0, 1};
    uint32_t out[8];
    CHECK_EQ_INT(gnn_topk(q, 2, it, 2, 2, NULL, NULL, 0, 1, out, NULL, &e), ERR_USAGE);
    CHECK_EQ_INT(gnn_topk(q, 2, it, 2, 0, NULL, NULL, 1, 1, out, NULL, &e), ERR_USAGE);
    graph_csr_t ex;
    uint32_t rr[1] = {0}, cc[1] = {1};
    CHECK(graph_csr_from_pairs(&ex, 1, 2, rr, cc, 1, &e) == 0);
    /* two queries, one exclusion row and no mapping */
    CHECK_EQ_INT(gnn_topk(q, 2, it, 2, 2, &ex, NULL, 1, 1, out, NULL, &e), ERR_USAGE);
    uint32_t map_bad[2] = {0, 1}, map_ok[2] = {0, UINT32_MAX};
    CHECK_EQ_INT(gnn_topk(q, 2, it, 2, 2, &ex, map_bad, 1, 1, out, NULL, &e), ERR_USAGE);
    CHECK_EQ_INT(gnn_topk(q, 2, it, 3, 2, &ex, map_ok, 1, 1, out, NULL, &e), ERR_USAGE);
    /* scores: q0 = (1,2) -> item0 1, item1 2; item 1 excluded for q0 */
    CHECK(gnn_topk(q, 2, it, 2, 2, &ex, map_ok, 1, 1, out, NULL, &e) == 0);
    CHECK_EQ_INT(out[0], 0);
    CHECK_EQ_INT(out[1], 1);   /* q1 = (3,4): item 1 scores 4 > 3 */
    CHECK(gnn_topk(q, 0, it, 2, 2, NULL, NULL, 1, 1, out, NULL, &e) == 0);
    /* no items at all: all padding */
    CHECK(gnn_topk(q, 2, it, 0, 2, NULL, NULL, 2, 1, out, NULL, &e) == 0);
    CHECK(out[0] == GNN_ITEM_NONE && out[3] == GNN_ITEM_NONE);
    graph_csr_destroy(&ex);
}

int main(void)
{
    rng_t r;
    rng_seed(&r, 42);
    const shape_t shapes[] = {
        /* n_q n_items dim k ex_rows range ex_frac */
        {37, 50, 8, 5, 10, 3, 0.2},
        {20, 40, 2, 10, 6, 1, 0.1},        /* ties everywhere */
        {20, 40, 1, 40, 6, 1, 0.3},        /* dim 1, k = n_items */
        {13, 17, 5, 30, 4, 2, 0.5},        /* k > n_items */
        {50, 300, 16, 1, 50, 4, 0.05},     /* k = 1 */
        {9, 1, 3, 3, 3, 2, 0.0},           /* a single item */
        {200, 2500, 64, 20, 200, 3, 0.01}, /* several item blocks */
        {130, 1100, 33, 150, 20, 2, 0.02}, /* big k, odd dim */
        {40, 500, 7, 20, 0, 2, 0.0},       /* no exclusion matrix */
        {64, 3000, 64, 20, 64, 0, 0.01},   /* real-valued */
        {31, 777, 10, 100, 8, 0, 0.2},     /* real-valued, big k */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) run_shape(&r, &shapes[i], (int)i);
    special_scores();
    bad_args();
    return check_report();
}
