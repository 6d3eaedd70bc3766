/* test_rating.c - biased MF on ratings (gnn/rating.h): the mse loss's
 * analytic gradient against central finite differences of the plain
 * reference loss, the gradient's loss against the reference's, the saved
 * table's dot products against the model's predictions, RMSE/MAE on a
 * hand-computed case (with clipping and an id past the table), the same
 * gradient check through LightGCN's propagation (layers 2, rating_graph.c)
 * with its threaded products equal to the reference's bits, the same for
 * SVD++ (its y rows, a prediction by hand, the folded saved rows), and an
 * epoch giving the same bits on 1 and 2 threads.
 *
 * Finite differences: the reference loss is summed in double from float
 * predictions; with h = 1e-3 the quotient is good to ~1e-5 absolute here.
 * The bound (1% relative + 5e-5) is far below what a wrong gradient gives
 * (a missing factor 2, a dropped L2 or bias term move coordinates by tens
 * of percent); a gradient scaled by 0.95 must fail it (checked).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/rating.h"
#include "graph/csr.h"
#include "tests/check.h"
#include "tests/rating_fd.h"

#define NU 4
#define NI 5
#define DIM 3

static const uint32_t bu[] = {0, 0, 1, 2, 2, 2, 0};
static const uint32_t bi[] = {1, 3, 1, 0, 4, 4, 1};   /* repeats (0,1) and (2,4): rows met twice */
static const float br[] = {4, 2, 5, 1, 3, 3.5f, 4};
#define NB 7

/* layers 0: biased MF; layers 2: propagated through the normalized graph
 * of the pairs below (LightGCN with ratings): the analytic gradient of
 * rating_graph.c's products against differences of the reference twin.
 * svdpp (layers 0): SVD++ with N(u) the rows of that graph (rating_svdpp.c):
 * N(0) = {1, 3}, N(1) = {0, 1}, N(2) = {0, 4}, N(3) = {2, 4}. */
static void gradcheck(uint32_t layers, int svdpp)
{
    gnn_rating_model_t m;
    err_t e = {0};
    const float reg = 0.07f;
    graph_csr_t r = {0}, adj = {0};
    static const uint32_t gu[] = {0, 0, 1, 2, 2, 3, 3, 1}, gi[] = {1, 3, 1, 0, 4, 2, 4, 0};
    if (svdpp) {
        CHECK(graph_csr_from_pairs(&r, NU, NI, gu, gi, 8, &e) == 0);
        CHECK(gnn_rating_init_implicit(&m, NU, NI, DIM, 3.2f, &r, 11, &e) == 0);
        CHECK_EQ_INT(m.n_params, (NU + NI) * (DIM + 1) + NI * DIM);
    } else CHECK(gnn_rating_init(&m, NU, NI, DIM, 3.2f, 11, &e) == 0);
    if (layers) {
        CHECK(graph_csr_from_pairs(&r, NU, NI, gu, gi, 8, &e) == 0);
        CHECK(graph_norm_bipartite(&r, &adj, &e) == 0);
        CHECK(gnn_rating_graph(&m, &adj, layers, &e) == 0);
    }
    for (size_t k = 0; k < m.n_params; k++) m.params[k] *= 4.0f;   /* std 0.4: informative products */
    for (uint32_t u = 0; u < NU; u++) m.bu[u] = 0.1f * (float)u - 0.15f;
    for (uint32_t i = 0; i < NI; i++) m.bi[i] = 0.2f - 0.07f * (float)i;
    double loss;
    gnn_rating_loss_grad(&m, bu, bi, br, NB, reg, 1, &loss);
    CHECK_NEAR(loss, gnn_rating_loss_ref(&m, bu, bi, br, NB, reg), 1e-5 * loss);
    float *ana = malloc(m.n_params * sizeof *ana);
    double *num = malloc(m.n_params * sizeof *num);
    fd_count_t c;
    fd_check(&m, bu, bi, br, NB, reg, ana, num, &c);
    int zero_ok = 1;
    for (size_t k = 0; k < m.n_params; k++)
        if (fabs(num[k]) < 1e-9 && ana[k] != 0.0f) zero_ok = 0;
    CHECK_MSG(c.bad == 0, "%d of %zu coordinates off", c.bad, m.n_params);
    CHECK(c.informative > 20);
    CHECK_MSG(c.bad_scaled > c.informative / 2, "a 0.95-scaled gradient passed on %d of %d",
              c.informative - c.bad_scaled, c.informative);
    if (svdpp) {   /* the y rows are checked too: some informative; item 2 is only in N(3), not in the batch */
        const size_t y0 = (size_t)(NU + NI) * (DIM + 1);
        int informative_y = 0;
        for (size_t k = y0; k < m.n_params; k++) informative_y += fabs(num[k]) > 1e-2;
        CHECK_MSG(informative_y >= 6, "%d informative y coordinates", informative_y);
        for (uint32_t j = 0; j < DIM; j++) CHECK(ana[y0 + 2 * DIM + j] == 0.0f);
        /* r^(0, 2) by hand: mu + b_0 + b_2 + q_2 . (p_0 + (y_1 + y_3) / sqrt 2) */
        double want = m.mu + m.bu[0] + m.bi[2];
        for (uint32_t j = 0; j < DIM; j++)
            want += (double)m.Q[2 * DIM + j] * (m.P[j] + (m.Y[1 * DIM + j] + m.Y[3 * DIM + j]) / sqrt(2.0));
        CHECK_NEAR(gnn_rating_predict(&m, 0, 2), want, 1e-5);
    }
    /* user 3 and items 2 are in no rating of the batch: exactly zero in MF
     * (propagated, their rows reach the batch's through the graph) */
    if (!layers) {
        CHECK(zero_ok);
        CHECK(ana[(size_t)3 * DIM] == 0.0f && m.grads[(size_t)NU * DIM + 2 * DIM] == 0.0f);
    } else CHECK_MSG(ana[(size_t)3 * DIM] != 0.0f, "user 3's row reaches the batch through item 4");
    CHECK(ana[(size_t)(NU + NI) * DIM + 3] == 0.0f);   /* bu[3] */
    free(ana);
    free(num);

    /* the saved table's dot products are the predictions minus mu */
    float *emb = malloc((size_t)(NU + NI) * (DIM + 2) * sizeof *emb);
    gnn_rating_embed(&m, emb);
    for (uint32_t u = 0; u < NU; u++)
        for (uint32_t i = 0; i < NI; i++) {
            float d = 0.0f;
            for (uint32_t j = 0; j < DIM + 2; j++) d += emb[u * (DIM + 2) + j] * emb[(NU + i) * (DIM + 2) + j];
            CHECK_NEAR(m.mu + d, gnn_rating_predict(&m, u, i), 1e-5);
        }
    free(emb);
    if (layers) {   /* the threaded products give the reference's bits */
        float *ref = gnn_rating_propagate_ref(&m);
        gnn_rating_propagate(&m, 2);
        CHECK(ref && !memcmp(ref, m.F, (size_t)(NU + NI) * DIM * sizeof *ref));
        free(ref);
    }
    gnn_rating_destroy(&m);
    graph_csr_destroy(&adj);
    graph_csr_destroy(&r);
}

/* 2 users, 2 items, width 1 table: user rows 1, 2; item rows 0.5, -1; mu 3.
 * Predictions 3 + u*i: (0,0) 3.5, (0,1) 2, (1,0) 4, (1,1) 1 -> clipped to
 * [1.5, 5]: 1.5. Ratings 4, 2, 5, 1 and a pair with item 7 (past the table,
 * skipped). Errors -0.5, 0, -1, 0.5: RMSE sqrt(1.5/4), MAE 2/4. */
static void rmse_mae(void)
{
    const float emb[] = {1, 2, 0.5f, -1};
    uint32_t u[] = {0, 0, 1, 1, 0}, i[] = {0, 1, 0, 1, 7};
    float r[] = {4, 2, 5, 1, 3};
    graph_ratings_t rt = {.n = 5, .user = u, .item = i, .rating = r};
    gnn_rating_metrics_t met;
    gnn_rating_eval(emb, 1, 2, 2, 3.0f, 1.5f, 5.0f, &rt, &met);
    CHECK_EQ_INT(met.n, 4);
    CHECK_NEAR(met.rmse, sqrt(1.5 / 4.0), 1e-9);
    CHECK_NEAR(met.mae, 0.5, 1e-9);
    /* without the clip the last error is 0, not 0.5 */
    gnn_rating_eval(emb, 1, 2, 2, 3.0f, 0.0f, 5.0f, &rt, &met);
    CHECK_NEAR(met.mae, 1.5 / 4.0, 1e-9);
}

/* epochs epochs of a on 1 thread and b on 2 (a and b alike): the same
 * loss and parameters; the last loss, *first the first; both destroyed. */
static double two_runs(gnn_rating_model_t *a, gnn_rating_model_t *b, gnn_hparams_t *hp, const graph_ratings_t *tr,
                       uint32_t epochs, double *first)
{
    double la = 0, lb = 0;
    err_t e = {0};
    *first = 0;
    for (uint32_t ep = 0; ep < epochs; ep++) {
        hp->threads = 1;
        CHECK(gnn_rating_epoch(a, hp, tr, ep, &la, &e) == 0);
        hp->threads = 2;
        CHECK(gnn_rating_epoch(b, hp, tr, ep, &lb, &e) == 0);
        if (!ep) *first = la;
    }
    CHECK(la == lb);
    CHECK(memcmp(a->params, b->params, a->n_params * sizeof *a->params) == 0);
    gnn_rating_destroy(a);
    gnn_rating_destroy(b);
    return la;
}

/* An epoch is the same bits whatever the threads, and training lowers the
 * loss; with an MLP head (gnn/head.h, h != NULL: its batch SGEMMs) too. */
static void epoch_threads(const gnn_head_t *h)
{
    enum { N = 400 };
    uint32_t *u = malloc(N * sizeof *u), *i = malloc(N * sizeof *i);
    float *r = malloc(N * sizeof *r);
    for (uint32_t k = 0; k < N; k++) {
        u[k] = k % 20;
        i[k] = (k * 7) % 30;
        r[k] = (float)(1 + (u[k] + i[k]) % 5);
    }
    graph_ratings_t tr = {.n = N, .user = u, .item = i, .rating = r};
    gnn_hparams_t hp = {.dim = 8, .batch_size = 32, .lr = 0.01f, .reg = 0.02f, .seed = 5, .lr_epochs = 10};
    gnn_rating_model_t a, b;
    err_t e = {0};
    CHECK(gnn_rating_init_head(&a, 20, 30, 8, 3.0f, h, 5, &e) == 0);
    CHECK(gnn_rating_init_head(&b, 20, 30, 8, 3.0f, h, 5, &e) == 0);
    double first, la = two_runs(&a, &b, &hp, &tr, 10, &first);
    CHECK_MSG(la < 0.5 * first, "loss %g after 10 epochs, %g after the first", la, first);
    free(u); free(i); free(r);
}

/* SVD++'s shared passes (rating_svdpp.c): large enough that a batch's work
 * passes GNN_PAR_MIN_WORK, so two threads really split the z rows and the
 * spreading's column pieces (dim 128: 8 of them); the same bits as one. */
static void svdpp_threads(void)
{
    enum { U = 200, I = 300, N = 20000, D = 128 };
    uint32_t *u = malloc(N * sizeof *u), *i = malloc(N * sizeof *i);
    float *r = malloc(N * sizeof *r);
    for (uint32_t k = 0; k < N; k++) {
        u[k] = k % U;
        i[k] = (k / U * 3 + k % U) % I;   /* 100 distinct items a user */
        r[k] = (float)(1 + (u[k] * 3 + i[k]) % 5);
    }
    graph_ratings_t tr = {.n = N, .user = u, .item = i, .rating = r};
    graph_csr_t R;
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&R, U, I, u, i, N, &e) == 0);
    CHECK_EQ_INT(R.nnz, N);
    gnn_hparams_t hp = {.dim = D, .batch_size = 2048, .lr = 0.01f, .reg = 0.05f, .seed = 9, .lr_epochs = 2};
    gnn_rating_model_t a, b;
    CHECK(gnn_rating_init_implicit(&a, U, I, D, 3.0f, &R, 9, &e) == 0);
    CHECK(gnn_rating_init_implicit(&b, U, I, D, 3.0f, &R, 9, &e) == 0);
    double first, la = two_runs(&a, &b, &hp, &tr, 2, &first);
    CHECK_MSG(la < first, "loss %g after 2 epochs, %g after the first", la, first);
    graph_csr_destroy(&R);
    free(u); free(i); free(r);
}

int main(void)
{
    gradcheck(0, 0);
    gradcheck(2, 0);
    gradcheck(0, 1);
    rmse_mae();
    svdpp_threads();
    epoch_threads(NULL);
    gnn_head_t h;
    err_t e = {0};
    const uint32_t width[] = {16, 8};
    CHECK(gnn_head_setup(&h, 8, width, 2, &e) == 0);
    epoch_threads(&h);
    return check_report();
}
