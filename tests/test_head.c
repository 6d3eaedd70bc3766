/* test_head.c - the MLP scoring head (gnn/head.h) and the rating model
 * trained through it (gnn/rating_head.c): the SGEMM forward and backward
 * against their plain-loop twins, the ranking kernel (one user against
 * every item, through gnn_scorer_head) against the per-pair reference, the
 * saved blob's round trip and its damage detection, --mlp-layers parsing,
 * and the gradient check: the analytic gradient of the whole model (mse on
 * ratings, bpr on pairs with negatives; MF and LightGCN layers 2) against
 * central finite differences of the plain reference loss. (Epochs through
 * the head on 1 and 2 threads: tests/test_rating.c.)
 *
 * Finite differences through ReLUs: a coordinate whose +-h step moves a
 * pre-activation across 0 has a one-sided derivative, so up to 2 of the
 * ~500 coordinates may miss the 1% + 5e-5 bound (a kink, not a wrong
 * gradient); a gradient scaled by 0.95 must fail on most informative
 * coordinates (checked), and every part (rows, biases, head weights) must
 * have informative coordinates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/head.h"
#include "gnn/rating.h"
#include "gnn/scorer.h"
#include "graph/csr.h"
#include "tests/check.h"
#include "tests/rating_fd.h"

static float frand(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 8388608.0f - 1.0f;   /* [-1, 1) */
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double d = fabs((double)a[k] - b[k]) / (1e-3 + fabs((double)b[k]));
        if (d > m) m = d;
    }
    return m;
}

/* forward/backward (SGEMM) against the plain loops, on 37 random pairs */
static void twins(void)
{
    gnn_head_t h;
    err_t e = {0};
    const uint32_t width[] = {7, 4, 3};
    CHECK(gnn_head_setup(&h, 5, width, 3, &e) == 0);
    CHECK_EQ_INT(h.n_params, 7 * 10 + 7 + 4 * 7 + 4 + 3 * 4 + 3 + 3 + 1);
    enum { N = 37 };
    float *w = malloc(h.n_params * sizeof *w), *X = malloc(N * 10 * sizeof *X);
    float *a1 = malloc(N * h.n_act * sizeof *a1), *a2 = malloc(N * h.n_act * sizeof *a2);
    float s1[N], s2[N], ds[N], *tmp = malloc(N * h.max_width * sizeof *tmp);
    float *g1 = calloc(h.n_params, sizeof *g1), *g2 = calloc(h.n_params, sizeof *g2);
    float *d1 = malloc(N * 10 * sizeof *d1), *d2 = malloc(N * 10 * sizeof *d2);
    uint32_t seed = 7;
    gnn_head_init(&h, w, 3);
    for (size_t k = 0; k < h.n_params; k++) w[k] += 0.1f * frand(&seed);   /* biases not all 0 */
    for (size_t k = 0; k < N * 10; k++) X[k] = frand(&seed);
    for (int t = 0; t < N; t++) ds[t] = frand(&seed);
    gnn_head_forward(&h, w, X, N, a1, s1);
    gnn_head_forward_ref(&h, w, X, N, a2, s2);
    CHECK_MSG(max_rel(s1, s2, N) < 1e-4, "forward off by %g", max_rel(s1, s2, N));
    int live = 0;
    for (size_t k = 0; k < N * h.n_act; k++) live += a2[k] > 0.0f;
    CHECK(live > (int)(N * h.n_act) / 5 && live < (int)(N * h.n_act));   /* ReLUs both on and off */
    for (int t = 0; t < N; t++)
        CHECK_NEAR(s2[t], gnn_head_score_ref(&h, w, X + t * 10, X + t * 10 + 5), 1e-5);
    gnn_head_backward(&h, w, X, N, a1, ds, g1, d1, tmp);
    gnn_head_backward_ref(&h, w, X, N, a2, ds, g2, d2, tmp);
    CHECK_MSG(max_rel(g1, g2, h.n_params) < 1e-4, "weight gradient off by %g", max_rel(g1, g2, h.n_params));
    CHECK_MSG(max_rel(d1, d2, N * 10) < 1e-4, "input gradient off by %g", max_rel(d1, d2, N * 10));

    /* ranking: rows of width 7 (5 head columns + 2 added by their dot) */
    enum { NU = 3, NI = 41, W = 7 };
    float emb[(NU + NI) * W], out[NU * NI];
    for (size_t k = 0; k < sizeof emb / sizeof *emb; k++) emb[k] = frand(&seed);
    gnn_scorer_t sc;
    CHECK(gnn_scorer_head(&sc, "mlp", emb, NU, emb + NU * W, NI, W, &h, w, &e) == 0);
    const uint32_t rows[] = {2, 0, 1};
    CHECK(sc.score(&sc, NULL, rows, NU, out, &e) == 0);
    double worst = 0.0;
    for (uint32_t j = 0; j < NU; j++)
        for (uint32_t i = 0; i < NI; i++) {
            const float ref = gnn_head_pair(&h, w, emb + rows[j] * W, emb + (NU + i) * W, W);
            const double d = fabs(out[j * NI + i] - ref);
            if (d > worst) worst = d;
        }
    CHECK_MSG(worst < 1e-4, "ranking kernel off by %g", worst);
    gnn_scorer_destroy(&sc);

    /* pairs from the two halves of layer 1 (rank-feed's kernel), users and
     * items in any order and repeated, against the plain pair */
    enum { NP = 37 };
    const uint32_t w1 = h.width[0];
    float A[NU * 16], B[NI * 16], ps[NP], ps1[NP], wt[16 * 16 * 3];
    uint32_t pu[NP], pi[NP];
    CHECK(w1 <= 16 && h.max_width <= 16);
    gnn_head_user_part(&h, w, emb, W, NU, A);
    gnn_head_item_part(&h, w, emb + NU * W, W, NI, B);
    for (uint32_t t = 0; t < NP; t++) { pu[t] = (t * 5 + 1) % NU; pi[t] = (t * 11 + 3) % NI; }
    CHECK(gnn_head_upper_floats(&h) <= sizeof wt / sizeof *wt);
    gnn_head_upper_transpose(&h, w, wt);
    gnn_head_score_pairs(&h, w, wt, A, pu, B, pi, NP, ps);
    for (uint32_t t = 0; t < NP; t++) gnn_head_score_pairs(&h, w, wt, A, pu + t, B, pi + t, 1, ps1 + t);
    CHECK(!memcmp(ps, ps1, sizeof ps));   /* a pair's bits do not depend on the batch */
    worst = 0.0;
    for (uint32_t t = 0; t < NP; t++) {
        const double d = fabs(ps[t] - gnn_head_score_ref(&h, w, emb + pu[t] * W, emb + (NU + pi[t]) * W));
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 1e-4, "pair kernel off by %g", worst);
    CHECK(ps[0] != ps[1]);   /* different pairs score differently: the check above can fail */

    /* the blob: round trip, and damage is refused */
    const size_t nb = gnn_head_blob_bytes(&h);
    float *blob = malloc(nb);
    gnn_head_blob_write(&h, w, blob);
    gnn_head_t back;
    const float *bw;
    CHECK(gnn_head_blob_read(blob, nb / 4, "m", 5, &back, &bw, &e) == 0);
    CHECK(back.n_layers == 3 && back.width[1] == 4 && back.n_params == h.n_params && back.in == 5);
    CHECK(!memcmp(bw, w, h.n_params * sizeof *w));
    CHECK(gnn_head_blob_read(blob, nb / 4 - 1, "m", 5, &back, &bw, &e) == ERR_STORE);
    CHECK(gnn_head_blob_read(blob, nb / 4, "m", 4, &back, &bw, &e) == ERR_STORE);   /* wider than the rows */
    uint32_t two = 2;
    memcpy(blob, &two, 4);
    CHECK(gnn_head_blob_read(blob, nb / 4, "m", 5, &back, &bw, &e) == ERR_STORE);
    free(blob);
    free(w); free(X); free(a1); free(a2); free(tmp); free(g1); free(g2); free(d1); free(d2);
}

static void parse(void)
{
    uint32_t w[GNN_HEAD_MAX_LAYERS], n = 0;
    err_t e = {0};
    CHECK(gnn_head_parse("64, 32", w, &n, &e) == 0 && n == 2 && w[0] == 64 && w[1] == 32);
    CHECK(gnn_head_parse("8", w, &n, &e) == 0 && n == 1 && w[0] == 8);
    CHECK(gnn_head_parse("0", w, &n, &e) == ERR_USAGE);
    CHECK(gnn_head_parse("16,x", w, &n, &e) == ERR_USAGE && strstr(e.msg, "--mlp-layers"));
    CHECK(gnn_head_parse("1,2,3,4,5", w, &n, &e) == ERR_USAGE);
    CHECK(gnn_head_parse("5000", w, &n, &e) == ERR_USAGE);
}

#define NU 4
#define NI 5
#define DIM 3

/* The whole model: mse (bpr = 0) or bpr (the batch's second half the
 * negatives), propagated through a small graph when layers > 0. */
static void gradcheck(int bpr, uint32_t layers)
{
    static const uint32_t mu_[] = {0, 0, 1, 2, 2, 2, 0}, mi_[] = {1, 3, 1, 0, 4, 4, 1};
    static const float mr_[] = {4, 2, 5, 1, 3, 3.5f, 4};
    static const uint32_t pu_[] = {0, 1, 2, 2, 0, 1, 2, 2}, pi_[] = {1, 1, 0, 4, 3, 2, 2, 1};
    const uint32_t *u = bpr ? pu_ : mu_, *i = bpr ? pi_ : mi_, n = bpr ? 8 : 7;
    gnn_rating_model_t m;
    gnn_head_t h;
    err_t e = {0};
    const float reg = 0.07f;
    const uint32_t width[] = {6, 4};
    graph_csr_t r = {0}, adj = {0};
    static const uint32_t gu[] = {0, 0, 1, 2, 2, 3, 3, 1}, gi[] = {1, 3, 1, 0, 4, 2, 4, 0};
    CHECK(gnn_head_setup(&h, DIM, width, 2, &e) == 0);
    CHECK(gnn_rating_init_head(&m, NU, NI, DIM, bpr ? 0.0f : 3.2f, &h, 11, &e) == 0);
    if (bpr) m.loss = GNN_LOSS_BPR;
    if (layers) {
        CHECK(graph_csr_from_pairs(&r, NU, NI, gu, gi, 8, &e) == 0);
        CHECK(graph_norm_bipartite(&r, &adj, &e) == 0);
        CHECK(gnn_rating_graph(&m, &adj, layers, &e) == 0);
    }
    const size_t rows = (size_t)(NU + NI) * (DIM + 1);
    for (size_t k = 0; k < rows; k++) m.params[k] *= 6.0f;   /* std 0.6: informative products */
    for (uint32_t a = 0; a < NU; a++) m.bu[a] = 0.1f * (float)a - 0.15f;
    for (uint32_t b = 0; b < NI; b++) m.bi[b] = 0.2f - 0.07f * (float)b;
    for (size_t k = 0; k < h.n_params; k++) m.hw[k] += 0.05f * (float)((k * 7) % 5) - 0.1f;
    double loss;
    CHECK(gnn_rating_head_grad(&m, u, i, mr_, n, reg, 1, &loss) == 0);
    CHECK_NEAR(loss, gnn_rating_loss_ref(&m, u, i, mr_, n, reg), 1e-5 * loss);
    float *ana = malloc(m.n_params * sizeof *ana);
    double *num = malloc(m.n_params * sizeof *num);
    fd_count_t c;
    fd_check(&m, u, i, mr_, n, reg, ana, num, &c);
    int inf_rows = 0, inf_bias = 0, inf_head = 0;   /* informative coordinates of each part */
    for (size_t k = 0; k < m.n_params; k++) {
        const int inf = fabs(num[k]) > 1e-2;
        inf_rows += inf && k < (size_t)(NU + NI) * DIM;
        inf_bias += inf && k >= (size_t)(NU + NI) * DIM && k < rows;
        inf_head += inf && k >= rows;
    }
    free(num);
    CHECK_MSG(c.bad <= 2, "bpr %d layers %u: %d of %zu coordinates off", bpr, layers, c.bad, m.n_params);
    CHECK(inf_rows > 10 && inf_head > 20 && (bpr || inf_bias > 4));
    CHECK_MSG(c.bad_scaled > c.informative / 2, "a 0.95-scaled gradient passed on %d of %d",
              c.informative - c.bad_scaled, c.informative);
    if (bpr)   /* b_u cancels in a difference: only its L2 (user 0 in 2 of the pairs, T = 4) */
        CHECK_NEAR(ana[(size_t)(NU + NI) * DIM], 2.0 * reg * 2.0 / 4.0 * m.bu[0], 1e-6);
    free(ana);
    /* the saved table with the head predicts what the model does */
    float *emb = malloc((size_t)(NU + NI) * (DIM + 2) * sizeof *emb);
    gnn_rating_embed(&m, emb);
    for (uint32_t a = 0; a < NU; a++)
        for (uint32_t b = 0; b < NI; b++)
            CHECK_NEAR(m.mu + gnn_head_pair(&h, m.hw, emb + a * (DIM + 2), emb + (NU + b) * (DIM + 2), DIM + 2),
                       gnn_rating_predict(&m, a, b), 1e-5);
    free(emb);
    gnn_rating_destroy(&m);
    graph_csr_destroy(&adj);
    graph_csr_destroy(&r);
}

int main(void)
{
    twins();
    parse();
    gradcheck(0, 0);
    gradcheck(0, 2);
    gradcheck(1, 0);
    gradcheck(1, 2);
    return check_report();
}
