/* test_gfcf.c - GF-CF and BSPM (gnn/gfcf.h): the randomized SVD (V
 * orthonormal, R~ V = U S with U orthonormal, R~^T R~ V = V S^2), the
 * blocked scorer against the dense reference (training rows and new-user
 * rows), and top-K through the generic scorer path (exclusion, order,
 * thread independence). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "check.h"
#include "gnn/eval.h"
#include "gnn/gfcf.h"

/* A random binary U x I matrix with density d; item I-1 and user U-1 stay
 * empty (the zero-degree paths). */
static void make_r(graph_csr_t *r, uint32_t nu, uint32_t ni, double d, uint64_t seed)
{
    rng_t g;
    rng_seed(&g, seed);
    uint32_t *rows = malloc((size_t)nu * ni * sizeof *rows), *cols = malloc((size_t)nu * ni * sizeof *cols);
    uint64_t n = 0;
    for (uint32_t u = 0; u + 1 < nu; u++) {
        int any = 0;
        for (uint32_t i = 0; i + 1 < ni; i++)
            if (rng_double(&g) < d || (!any && i + 2 == ni)) {
                rows[n] = u; cols[n] = i; n++; any = 1;
            }
    }
    err_t e = {0};
    CHECK(graph_csr_from_pairs(r, nu, ni, rows, cols, n, &e) == 0);
    free(rows); free(cols);
}

/* dense R~ [U x I] in double */
static double *dense_rt(const gnn_gfcf_t *m)
{
    double *a = calloc((size_t)m->n_users * m->n_items, sizeof *a);
    for (uint32_t u = 0; u < m->n_users; u++)
        for (uint64_t c = m->r->ptr[u]; c < m->r->ptr[u + 1]; c++)
            a[(size_t)u * m->n_items + m->r->col[c]] = sqrt(m->du_inv[u]) * m->di_is[m->r->col[c]];
    return a;
}

static void check_svd(uint32_t nu, uint32_t ni, uint32_t k, uint32_t over, uint32_t iters, double tol)
{
    graph_csr_t r;
    make_r(&r, nu, ni, 0.3, 7 + nu);
    gnn_gfcf_params_t p;
    gnn_gfcf_defaults(&p);
    p.svd_k = k; p.svd_oversample = over; p.svd_iters = iters;
    gnn_gfcf_t m;
    err_t e = {0};
    CHECK(gnn_gfcf_init(&m, &r, &p, &e) == 0);
    CHECK(gnn_gfcf_fit(&m, 2, &e) == 0);
    CHECK_EQ_INT(m.k, k);
    double *a = dense_rt(&m);
    double worst_orth = 0, worst_u = 0, worst_res = 0;
    double *uc = malloc((size_t)nu * k * sizeof *uc);
    for (uint32_t c = 0; c < k; c++) {
        if (c) CHECK(m.s_own[c] <= m.s_own[c - 1] + 1e-6);
        for (uint32_t d = 0; d < k; d++) {   /* V^T V = identity */
            double s = 0;
            for (uint32_t i = 0; i < ni; i++) s += (double)m.v[(size_t)i * k + c] * m.v[(size_t)i * k + d];
            worst_orth = fmax(worst_orth, fabs(s - (c == d)));
        }
        for (uint32_t u = 0; u < nu; u++) {  /* U = R~ V S^-1 */
            double s = 0;
            for (uint32_t i = 0; i < ni; i++) s += a[(size_t)u * ni + i] * m.v[(size_t)i * k + c];
            uc[(size_t)u * k + c] = s / m.s_own[c];
        }
        for (uint32_t i = 0; i < ni; i++) {  /* R~^T U = V S  (so R~^T R~ V = V S^2) */
            double s = 0;
            for (uint32_t u = 0; u < nu; u++) s += a[(size_t)u * ni + i] * uc[(size_t)u * k + c];
            worst_res = fmax(worst_res, fabs(s - m.s_own[c] * m.v[(size_t)i * k + c]));
        }
    }
    for (uint32_t c = 0; c < k; c++)
        for (uint32_t d = 0; d < k; d++) {
            double s = 0;
            for (uint32_t u = 0; u < nu; u++) s += uc[(size_t)u * k + c] * uc[(size_t)u * k + d];
            worst_u = fmax(worst_u, fabs(s - (c == d)));
        }
    CHECK_MSG(worst_orth < 1e-4, "V^T V off identity by %g", worst_orth);
    CHECK_MSG(worst_u < tol, "U^T U off identity by %g", worst_u);
    CHECK_MSG(worst_res < tol, "R~^T U - V S residual %g", worst_res);
    /* the top singular value of a degree-normalized biadjacency is 1 */
    CHECK_NEAR(m.s_own[0], 1.0, 1e-4);
    /* the empty item's row of V is zero */
    for (uint32_t c = 0; c < k; c++) CHECK_NEAR(m.v[(size_t)(ni - 1) * k + c], 0.0, 1e-6);
    free(a); free(uc);
    gnn_gfcf_destroy(&m);
    graph_csr_destroy(&r);
}

static double rel_err(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num = fmax(num, fabs((double)a[i] - b[i]));
        den = fmax(den, fabs((double)b[i]));
    }
    return num / (den > 0 ? den : 1);
}

/* Relative error of gnn_gfcf_score against its reference on every row of r. */
static double all_rows_err(const gnn_gfcf_t *m, const graph_csr_t *r)
{
    const uint32_t nu = r->n_rows, ni = r->n_cols;
    uint32_t *all = malloc(nu * sizeof *all);
    float *fa = malloc((size_t)nu * ni * sizeof *fa), *fb = malloc((size_t)nu * ni * sizeof *fb);
    err_t e = {0};
    for (uint32_t u = 0; u < nu; u++) all[u] = u;
    double err = 1.0;
    if (gnn_gfcf_score(m, r, all, nu, fa, &e) == 0 && gnn_gfcf_score_ref(m, r, all, nu, fb, &e) == 0)
        err = rel_err(fa, fb, (size_t)nu * ni);
    free(all); free(fa); free(fb);
    return err;
}

/* bspm: 0 gf-cf, 1 bspm, 2 chebycf (k_s = its order, rk4 = 1: beta 0.5, alpha 0) */
static void check_scores(int bspm, uint32_t k_s, int rk4)
{
    uint32_t nu = 40, ni = 30;
    graph_csr_t r;
    make_r(&r, nu, ni, 0.15, 99);
    gnn_gfcf_params_t p;
    gnn_gfcf_defaults(&p);
    p.svd_k = 8; p.svd_oversample = 10; p.variant = (uint32_t)bspm; p.k_s = k_s; p.t_s = 1.5f; p.rk4 = (uint32_t)rk4;
    if (bspm == GNN_GFCF_CHEBYCF) {
        p.cheby_order = k_s; p.cheby_phi = 1.5f; p.cheby_beta = rk4 ? 0.5f : 0.4f; p.alpha = rk4 ? 0.0f : 0.2f;
    }
    gnn_gfcf_t m;
    err_t e = {0};
    CHECK(gnn_gfcf_init(&m, &r, &p, &e) == 0);
    CHECK(gnn_gfcf_fit(&m, 1, &e) == 0);
    uint32_t rows[5] = {0, 3, 39, 17, 3};   /* 39: the empty user; a repeated row */
    float *a = malloc(5 * ni * sizeof *a), *b = malloc(5 * ni * sizeof *b);
    CHECK(gnn_gfcf_score(&m, &r, rows, 5, a, &e) == 0);
    CHECK(gnn_gfcf_score_ref(&m, &r, rows, 5, b, &e) == 0);
    double err = rel_err(a, b, (size_t)5 * ni);
    CHECK_MSG(err < 1e-5, "variant %d (k_s %u, rk4 %d) vs reference: relative error %g", bspm, k_s, rk4, err);
    for (uint32_t j = 0; j < ni; j++) CHECK_NEAR(a[2 * ni + j], 0.0, 1e-7);   /* no history, no score */
    /* all rows at once: several sharpening passes per call */
    double ea = all_rows_err(&m, &r);
    CHECK_MSG(ea < 1e-5, "all %u rows: relative error %g", nu, ea);
    /* new users: any binary rows over the items (hist not the training matrix) */
    uint32_t hr[6] = {0, 0, 1, 1, 2, 2}, hc[6] = {1, 5, 5, 28, 29, 0};
    graph_csr_t h;
    CHECK(graph_csr_from_pairs(&h, 3, ni, hr, hc, 6, &e) == 0);
    uint32_t q[3] = {0, 1, 2};
    CHECK(gnn_gfcf_score(&m, &h, q, 3, a, &e) == 0);
    CHECK(gnn_gfcf_score_ref(&m, &h, q, 3, b, &e) == 0);
    err = rel_err(a, b, (size_t)3 * ni);
    CHECK_MSG(err < 1e-5, "new users: relative error %g", err);

    /* top-K through the scorer path: best first, nothing excluded returned,
     * nothing better left out, same result on 1 and 3 threads */
    gnn_scorer_t s;
    gnn_gfcf_scorer(&m, &s);
    uint32_t kk = 7;
    uint32_t *it1 = malloc((size_t)nu * kk * sizeof *it1), *it3 = malloc((size_t)nu * kk * sizeof *it3);
    float *sc = malloc((size_t)nu * kk * sizeof *sc), *full = malloc((size_t)nu * ni * sizeof *full);
    uint32_t all[40];
    for (uint32_t u = 0; u < nu; u++) all[u] = u;
    CHECK(gnn_gfcf_score(&m, &r, all, nu, full, &e) == 0);
    CHECK(gnn_topk_scorer(&s, &r, NULL, nu, &r, NULL, kk, 1, it1, sc, &e) == 0);
    CHECK(gnn_topk_scorer(&s, &r, NULL, nu, &r, NULL, kk, 3, it3, NULL, &e) == 0);
    CHECK(memcmp(it1, it3, (size_t)nu * kk * sizeof *it1) == 0);
    int bad = 0;
    for (uint32_t u = 0; u < nu; u++) {
        float kth = sc[(size_t)u * kk + kk - 1];
        for (uint32_t t = 0; t < kk; t++) {
            uint32_t it = it1[(size_t)u * kk + t];
            if (it == GNN_ITEM_NONE) continue;
            bad += graph_csr_has(&r, u, it);
            bad += fabsf(sc[(size_t)u * kk + t] - full[(size_t)u * ni + it]) > 1e-6f;
            if (t) bad += sc[(size_t)u * kk + t] > sc[(size_t)u * kk + t - 1];
        }
        for (uint32_t i = 0; i < ni; i++) {
            int in = 0;
            for (uint32_t t = 0; t < kk; t++) in |= it1[(size_t)u * kk + t] == i;
            if (!in && !graph_csr_has(&r, u, i)) bad += full[(size_t)u * ni + i] > kth;
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* bad arguments */
    CHECK(gnn_topk_scorer(&s, NULL, NULL, 2, NULL, NULL, 3, 1, it1, NULL, &e) == ERR_USAGE);
    uint32_t far = nu;
    CHECK(gnn_topk_scorer(&s, &r, &far, 1, NULL, NULL, 3, 1, it1, NULL, &e) == ERR_USAGE);
    CHECK(gnn_topk_scorer(&s, &r, NULL, 2, NULL, NULL, 0, 1, it1, NULL, &e) == ERR_USAGE);
    gnn_scorer_destroy(&s);   /* borrowed model: nothing freed */
    free(it1); free(it3); free(sc); free(full); free(a); free(b);
    graph_csr_destroy(&h);
    gnn_gfcf_destroy(&m);
    graph_csr_destroy(&r);
}

/* eval through a gf-cf scorer equals eval of the same scores held as a
 * dense "embedding" (user one-hot rows x item score columns) */
static void check_eval_same(void)
{
    uint32_t nu = 25, ni = 20;
    graph_csr_t r, t;
    make_r(&r, nu, ni, 0.2, 5);
    make_r(&t, nu, ni, 0.1, 6);
    gnn_gfcf_params_t p;
    gnn_gfcf_defaults(&p);
    p.svd_k = 5;
    gnn_gfcf_t m;
    err_t e = {0};
    CHECK(gnn_gfcf_init(&m, &r, &p, &e) == 0);
    CHECK(gnn_gfcf_fit(&m, 2, &e) == 0);
    float *ue = calloc((size_t)nu * nu, sizeof *ue), *ie = malloc((size_t)ni * nu * sizeof *ie);
    float *full = malloc((size_t)nu * ni * sizeof *full);
    uint32_t all[25];
    for (uint32_t u = 0; u < nu; u++) { all[u] = u; ue[(size_t)u * nu + u] = 1.0f; }
    CHECK(gnn_gfcf_score(&m, &r, all, nu, full, &e) == 0);
    for (uint32_t i = 0; i < ni; i++)
        for (uint32_t u = 0; u < nu; u++) ie[(size_t)i * nu + u] = full[(size_t)u * ni + i];
    gnn_scorer_t s;
    gnn_gfcf_scorer(&m, &s);
    uint32_t ks[2] = {5, 10};
    gnn_metrics_t a, b;
    CHECK(gnn_eval_scorer(&s, &r, &r, &t, ks, 2, 2, &a, &e) == 0);
    CHECK(gnn_eval_all_ranking(ue, ie, nu, &r, &t, ks, 2, 2, &b, &e) == 0);
    CHECK_EQ_INT(a.users_evaluated, b.users_evaluated);
    for (int k = 0; k < 2; k++) {
        CHECK_NEAR(a.recall[k], b.recall[k], 1e-12);
        CHECK_NEAR(a.ndcg[k], b.ndcg[k], 1e-12);
    }
    CHECK(gnn_eval_scorer(&s, NULL, &r, &t, ks, 2, 2, &a, &e) == ERR_USAGE);
    free(ue); free(ie); free(full);
    gnn_gfcf_destroy(&m);
    graph_csr_destroy(&r);
    graph_csr_destroy(&t);
}

/* ChebyCF's coefficients interpolate the plateau's values at the nodes
 * (sum c_k T_k(x_j) = f_j), the plateau runs from 1 (x = -1, the lowest
 * frequencies) to 0 (x = 1), and phi changes it */
static void check_cheby_coeffs(void)
{
    for (uint32_t K = 1; K <= GNN_CHEBY_MAX_ORDER; K += 3) {
        double c[GNN_CHEBY_MAX_ORDER + 1], f[GNN_CHEBY_MAX_ORDER + 1], x[GNN_CHEBY_MAX_ORDER + 1];
        gnn_chebycf_coeffs(K, 1.5, c);
        gnn_chebycf_targets(K, 1.5, f, x);
        CHECK_NEAR(f[0], 1.0, 1e-12);
        CHECK_NEAR(f[K], 0.0, 1e-12);
        double worst = 0;
        for (uint32_t j = 0; j <= K; j++) {
            double s = 0, t0 = 1, t1 = x[j];   /* T_k(x) by its recurrence, not by cos(k acos x) */
            for (uint32_t k = 0; k <= K; k++) {
                s += c[k] * (k == 0 ? t0 : t1);
                if (k) { double t2 = 2 * x[j] * t1 - t0; t0 = t1; t1 = t2; }
            }
            worst = fmax(worst, fabs(s - f[j]));
            if (j) CHECK(x[j] > x[j - 1] && f[j] <= f[j - 1]);
        }
        CHECK_MSG(worst < 1e-9, "order %u: interpolation error %g", K, worst);
    }
    double f1[9], f2[9], x[9];
    gnn_chebycf_targets(8, 1.0, f1, x);
    gnn_chebycf_targets(8, 3.0, f2, x);
    CHECK(f2[2] < f1[2] && f2[6] > f1[6]);   /* a larger phi: flatter, nearer 1/2 away from the ends */
    CHECK_NEAR(f1[2], 0.5 + 0.5 * 0.707, 1e-3);
}

/* a version-1 record (64 bytes, no cheby fields) still reads, as gf-cf or
 * bspm; anything else is refused */
static void check_params_read(void)
{
    gnn_gfcf_params_t p, q;
    gnn_gfcf_defaults_variant(&p, GNN_GFCF_BSPM);
    p.version = 1; p.alpha = 0.7f; p.cheby_order = 99;
    err_t e = {0};
    CHECK(gnn_gfcf_params_read(&p, GNN_GFCF_V1_SIZE, "m", &q, &e) == 0);
    CHECK(q.version == GNN_GFCF_VERSION && q.variant == GNN_GFCF_BSPM && q.alpha == 0.7f && q.cheby_order == 8);
    CHECK(gnn_gfcf_params_read(&p, sizeof p, "m", &q, &e) == ERR_USAGE);   /* v1 tag on a v2 size */
    p.version = GNN_GFCF_VERSION; p.variant = GNN_GFCF_CHEBYCF;
    CHECK(gnn_gfcf_params_read(&p, sizeof p, "m", &q, &e) == ERR_USAGE);   /* order 99 */
    p.cheby_order = 4; p.variant = GNN_GFCF_CHEBYCF;
    CHECK(gnn_gfcf_params_read(&p, sizeof p, "m", &q, &e) == 0 && q.cheby_order == 4);
    CHECK(gnn_gfcf_params_read(&p, 10, "m", &q, &e) == ERR_USAGE);
    /* version 2 (80 bytes, no ease_lambda) reads with the default lambda; an
     * ease model cannot be version 2 */
    p.version = 2; p.ease_lambda = 7.0f;
    CHECK(gnn_gfcf_params_read(&p, GNN_GFCF_V2_SIZE, "m", &q, &e) == 0 && q.cheby_order == 4);
    CHECK(q.version == GNN_GFCF_VERSION && q.ease_lambda == 500.0f);
    p.variant = GNN_GFCF_EASE;
    CHECK(gnn_gfcf_params_read(&p, GNN_GFCF_V2_SIZE, "m", &q, &e) == ERR_USAGE);
    p.version = GNN_GFCF_VERSION;
    CHECK(gnn_gfcf_params_read(&p, sizeof p, "m", &q, &e) == 0 && q.ease_lambda == 7.0f);
}

/* Relative error of the scorer against its reference on two new-user rows
 * over the 30 items of the tests below: {2, 7} and {7, 29} (29: no users);
 * the scorer's [2 x I] scores in a. */
static double new_users_err(const gnn_gfcf_t *m, float *a)
{
    const uint32_t ni = m->n_items, hr[4] = {0, 0, 1, 1}, hc[4] = {2, 7, 7, 29}, two[2] = {0, 1};
    float *b = malloc((size_t)2 * ni * sizeof *b);
    graph_csr_t h;
    err_t e = {0};
    double err = 1.0;
    CHECK(graph_csr_from_pairs(&h, 2, ni, hr, hc, 4, &e) == 0);
    if (gnn_gfcf_score(m, &h, two, 2, a, &e) == 0 && gnn_gfcf_score_ref(m, &h, two, 2, b, &e) == 0)
        err = rel_err(a, b, (size_t)2 * ni);
    free(b);
    graph_csr_destroy(&h);
    return err;
}

/* EASE^R: the scorer against the reference (G inverted by Gauss-Jordan in
 * double), diag(B) = 0, new-user rows, and the refusals: over the memory
 * budget, and lambda 0 with an empty item (G singular) */
static void check_ease(float lambda)
{
    uint32_t nu = 40, ni = 30;
    graph_csr_t r;
    make_r(&r, nu, ni, 0.2, 57);
    gnn_gfcf_params_t p;
    gnn_gfcf_defaults_variant(&p, GNN_GFCF_EASE);
    p.ease_lambda = lambda;
    gnn_gfcf_t m;
    err_t e = {0};
    CHECK(gnn_gfcf_init(&m, &r, &p, &e) == 0);
    CHECK(gnn_ease_fit(&m, 2, (size_t)ni * ni * sizeof(float) - 1, &e) == ERR_USAGE);   /* one byte short */
    CHECK(m.v == NULL);
    CHECK(gnn_ease_fit(&m, 2, 0, &e) == 0);
    CHECK_EQ_INT(m.k, ni);
    for (uint32_t i = 0; i < ni; i++) CHECK(m.v[(size_t)i * ni + i] == 0.0f);
    double err = all_rows_err(&m, &r);
    CHECK_MSG(err < 1e-4, "ease lambda %g vs reference: relative error %g", (double)lambda, err);
    float *a = malloc((size_t)2 * ni * sizeof *a);
    CHECK(new_users_err(&m, a) < 1e-4);
    /* row 1 = items 7 and 29 (no users): 7 does not recommend itself, 29
     * nothing (its row of P is 0 off the diagonal), 7 recommends 2 */
    CHECK(a[ni + 7] == 0.0f && a[ni + 2] != 0.0f);
    m.p.ease_lambda = 0.0f;   /* item ni - 1 has no users: X^T X is singular */
    CHECK(gnn_ease_fit(&m, 1, 0, &e) == ERR_USAGE);
    free(a);
    gnn_gfcf_destroy(&m);
    graph_csr_destroy(&r);
}

/* ItemKNN: the scorer against the brute-force reference (dense counts, a
 * full sort per item), the neighbour table best first without the item
 * itself, new-user rows, and a corrupt saved table refused */
static void check_itemknn(uint32_t k, float shrink)
{
    uint32_t nu = 40, ni = 30;
    graph_csr_t r;
    make_r(&r, nu, ni, 0.2, 31);
    gnn_gfcf_params_t p;
    gnn_gfcf_defaults_variant(&p, GNN_GFCF_ITEMKNN);
    p.svd_k = k; p.knn_shrink = shrink;
    gnn_gfcf_t m;
    err_t e = {0};
    CHECK(gnn_gfcf_init(&m, &r, &p, &e) == 0);
    CHECK(gnn_itemknn_fit(&m, 2, &e) == 0);
    CHECK_EQ_INT(m.k, k < ni ? k : ni);
    int bad = 0;
    for (uint32_t j = 0; j < ni; j++)
        for (uint32_t t = 0; t < m.k; t++) {
            const float w = m.v[(size_t)j * m.k + t];
            bad += w < 0 || (w > 0 && m.idx[(size_t)j * m.k + t] == j);
            if (t) bad += w > m.v[(size_t)j * m.k + t - 1];
        }
    CHECK_EQ_INT(bad, 0);
    CHECK(m.v[(size_t)(ni - 1) * m.k] == 0.0f);   /* the empty item has no neighbours */
    double err = all_rows_err(&m, &r);
    CHECK_MSG(err < 1e-5, "itemknn k %u shrink %g vs brute force: relative error %g", k, (double)shrink, err);
    float *a = malloc((size_t)2 * ni * sizeof *a);
    CHECK(new_users_err(&m, a) < 1e-5);
    uint32_t *idx = malloc((size_t)ni * m.k * sizeof *idx);
    memcpy(idx, m.idx, (size_t)ni * m.k * sizeof *idx);
    idx[5] = ni;   /* out of range */
    gnn_gfcf_t m2;
    CHECK(gnn_gfcf_init(&m2, &r, &p, &e) == 0);
    CHECK(gnn_itemknn_set(&m2, m.v, idx, m.k, &e) == ERR_USAGE);
    free(idx); free(a);
    gnn_gfcf_destroy(&m2);
    gnn_gfcf_destroy(&m);
    graph_csr_destroy(&r);
}

int main(void)
{
    check_itemknn(3, 0.0f);
    check_itemknn(5, 10.0f);
    check_itemknn(100, 2.0f);   /* k > items: every candidate kept */
    check_ease(5.0f);
    check_ease(500.0f);
    /* B's chunks: each under 2 GiB, together every row once (amazon-book's
     * 24,915 items: 2 chunks; LAPACK's 46,340: at most 5) */
    CHECK((uint64_t)gnn_ease_chunk_rows(24915) * 24915 * 4 < (1ull << 31));
    CHECK_EQ_INT(gnn_ease_chunks(24915), 2);
    CHECK((uint64_t)gnn_ease_chunks(24915) * gnn_ease_chunk_rows(24915) >= 24915);
    CHECK(gnn_ease_chunks(46340) <= 5 && gnn_ease_chunks(30) == 1);
    CHECK_EQ_INT(gnn_ease_chunk_len(24915, 0), gnn_ease_chunk_rows(24915));
    CHECK_EQ_INT(gnn_ease_chunk_len(24915, 0) + gnn_ease_chunk_len(24915, 1), 24915);
    CHECK_EQ_INT(gnn_ease_chunk_len(30, 0), 30);
    CHECK_EQ_INT(gnn_ease_chunk_len(24915, 2), 0);
    char key[24];
    CHECK(!strcmp(gnn_ease_chunk_key(0, key), "gfcf_v") && !strcmp(gnn_ease_chunk_key(2, key), "gfcf_v2"));
    check_cheby_coeffs();
    check_params_read();
    check_scores(2, 1, 0);    /* chebycf order 1: only the sparse T_1 */
    check_scores(2, 2, 0);
    check_scores(2, 8, 0);    /* the paper's order */
    check_scores(2, 5, 1);    /* beta 0.5, no ideal term */
    check_svd(12, 9, 4, 100, 2, 1e-4);    /* l = min(U, I): exact */
    check_svd(60, 45, 6, 20, 4, 1e-3);    /* l < min(U, I): subspace iterations */
    check_svd(45, 60, 6, 20, 4, 1e-3);    /* more items than users */
    check_scores(0, 0, 0);
    check_scores(1, 1, 0);
    check_scores(1, 3, 0);
    check_scores(1, 1, 1);
    check_scores(1, 2, 1);
    check_eval_same();
    return check_report();
}
