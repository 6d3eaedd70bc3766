/* test_gradcheck.c - the analytic gradient of the full loss (BPR + L2) of
 * lightgcn, mf and gcn, and of lightgcn with XSimGCL's contrastive term
 * (gnn/contrast.h; its noise is a constant of the step, so finite
 * differences see a smooth loss), against central finite differences, on a tiny graph
 * with two components (so some parameters must get exactly zero gradient)
 * and a fixed batch with repeated nodes, through gnn_loss_grad.
 *
 * The loss is computed in float; with embeddings of size ~0.5 and h = 2e-3
 * the difference quotient is good to a few 1e-6 absolute (measured). The
 * bound (1% relative + 2e-5 absolute) is far below what a wrong gradient
 * produces: a missing 1/sqrt(degree) factor, a missing 1/(K+1), a dropped
 * layer or L2 term all shift the affected coordinates by tens of percent.
 * The test checks that it would notice: a gradient scaled by 0.95 must fail
 * the same bound on most informative coordinates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/contrast.h"
#include "gnn/model.h"
#include "graph/csr.h"
#include "tests/check.h"

#define NU 7
#define NI 9

static void tiny_graph(graph_csr_t *r, graph_csr_t *adj)
{
    /* component A: users 0-4, items 0-5; component B: users 5-6, items 6-8 */
    static const uint32_t u[] = {0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 1, 5, 5, 6, 6};
    static const uint32_t i[] = {0, 1, 2, 1, 3, 0, 3, 4, 4, 5, 2, 5, 0, 5, 6, 7, 7, 8};
    err_t e = {0};
    CHECK(graph_csr_from_pairs(r, NU, NI, u, i, sizeof u / sizeof *u, &e) == 0);
    CHECK(graph_norm_bipartite(r, adj, &e) == 0);
}

static int close_enough(double num, double ana, double scale_err)
{
    return fabs(num - ana * scale_err) <= 0.01 * fabs(num) + 2e-5;
}

/* cl: the contrastive term's weight (0: BPR + L2 alone), with eps 0.1, tau 0.5, layer cl_layer and
 * chunks of cl_batch */
static void check_arch_cl(const char *arch, uint32_t layers, float cl, uint32_t cl_layer, uint32_t cl_batch,
                          const graph_csr_t *adj)
{
    gnn_hparams_t hp = {.dim = 6, .layers = layers, .batch_size = 8, .negatives = 1,
                        .lr = 0.01f, .reg = 0.05f, .seed = 7, .threads = 1,
                        .cl_weight = cl, .cl_eps = 0.1f, .cl_temp = 0.5f, .cl_layer = cl_layer,
                        .cl_batch = cl_batch};
    hp.arch = gnn_arch_find(arch)->id;
    gnn_model_t m;
    err_t e = {0};
    CHECK(gnn_model_init(&m, &hp, NU, NI, &e) == 0);
    for (uint32_t k = 0; k < (NU + NI) * hp.dim; k++) m.emb0[k] *= 5.0f;
    /* fixed batch: duplicates (user 0 twice, item 5 three times) on purpose;
     * nothing from component B except item 8 as a negative, so the rest of B
     * gets gradient only through propagation (none for mf) */
    static const uint32_t bu[] = {0, 0, 2, 3, 4, 1};
    static const uint32_t bi[] = {1, 2, 4, 5, 5, 3};
    static const uint32_t bj[] = {5, 3, 8, 0, 1, 8};
    const uint32_t t = 6;
    double loss;
    CHECK(gnn_loss_grad(&m, adj, bu, bi, bj, t, &loss, &e) == 0);
    CHECK(isfinite(loss) && loss > 0);
    float *ana = malloc(m.n_params * sizeof *ana);
    memcpy(ana, m.grads, m.n_params * sizeof *ana);

    /* every coordinate on this tiny model (a few hundred), in double */
    const double h = 2e-3;
    int bad = 0, bad_scaled = 0, nonzero = 0, kinks = 0;
    double worst = 0;
    for (size_t k = 0; k < m.n_params; k++) {
        float keep = m.params[k];
        double lp, lm;
        m.params[k] = (float)(keep + h);
        gnn_loss_grad(&m, adj, bu, bi, bj, t, &lp, &e);
        m.params[k] = (float)(keep - h);
        gnn_loss_grad(&m, adj, bu, bi, bj, t, &lm, &e);
        m.params[k] = keep;
        /* divide by the step actually taken after float rounding */
        double num = (lp - lm) / ((double)(float)(keep + h) - (double)(float)(keep - h));
        /* the noise's sign is a constant of the step for the gradient; where a
         * step of h flips the sign of a propagated entry (near 0) the loss
         * jumps by ~eps: the one-sided quotients then disagree. Skipped,
         * counted, and few (a wrong gradient is smooth: it is not skipped) */
        const double fw = (lp - loss) / h, bw = (loss - lm) / h;
        if (cl > 0.0f && fabs(fw - bw) > 0.05 * fmax(fabs(fw), fabs(bw)) + 1e-3) {
            kinks++;
            continue;
        }
        if (!close_enough(num, ana[k], 1.0)) {
            if (bad < 5)
                fprintf(stderr, "%s: param %zu: numeric %.6g analytic %.6g\n", arch, k, num, (double)ana[k]);
            bad++;
        }
        if (fabs(num) > 2e-3) {
            nonzero++;
            if (!close_enough(num, ana[k], 0.95)) bad_scaled++;
        }
        double d = fabs(num - ana[k]);
        if (d > worst) worst = d;
    }
    printf("%-8s K=%u cl %g/%u/%u: %zu params (%d at a sign flip), %d with |grad| > 2e-3, worst abs diff %.3g, "
           "loss %.6f\n", arch, m.hp.layers, (double)cl, cl_layer, cl_batch, m.n_params, kinks, nonzero, worst, loss);
    CHECK_MSG(bad == 0, "%s: %d coordinates disagree", arch, bad);
    CHECK_MSG(kinks <= 4, "%s: %d coordinates at a sign flip", arch, kinks);
    CHECK_MSG(nonzero > 20, "%s: too few informative coordinates (%d)", arch, nonzero);
    CHECK_MSG(bad_scaled > nonzero / 2, "%s: the bound would not catch a 5%% error", arch);

    /* component B is a path item 8 - user 6 - item 7 - user 5 - item 6 and
     * only item 8 is in the batch: gradient reaches exactly K hops */
    const uint32_t path[] = {NU + 8, 6, NU + 7, 5, NU + 6};
    for (uint32_t hop = 0; hop < 5; hop++) {
        int any = 0;
        for (uint32_t d = 0; d < hp.dim; d++) any |= ana[(size_t)path[hop] * hp.dim + d] != 0.0f;
        CHECK_MSG(any == (hop <= m.hp.layers), "%s K=%u: hop %u has%s gradient", arch,
                  m.hp.layers, hop, any ? "" : " no");
    }
    free(ana);
    gnn_model_destroy(&m);
}

static void check_arch(const char *arch, uint32_t layers, const graph_csr_t *adj)
{
    check_arch_cl(arch, layers, 0.0f, 0, 0, adj);
}

/* The InfoNCE kernel against its plain twin, and the term's value: with
 * x2 = x1 the positive pair is the largest logit, and a sharper tau lowers
 * the loss; weight scales loss and gradients. */
static void check_infonce(void)
{
    enum { N = 37, D = 10 };
    float x1[N * D], x2[N * D], g1[N * D], g2[N * D], r1[N * D], r2[N * D];
    rng_t r;
    rng_seed(&r, 11);
    for (int k = 0; k < N * D; k++) { x1[k] = rng_normal(&r); x2[k] = x1[k] + 0.3f * rng_normal(&r); }
    double lo = gnn_cl_infonce(x1, x2, N, D, 0.2f, 0.7f, g1, g2, NULL, 2);
    double lr = gnn_cl_infonce_ref(x1, x2, N, D, 0.2f, 0.7f, r1, r2);
    CHECK_NEAR(lo, lr, 1e-5 * fabs(lr));
    double worst = 0.0, big = 0.0;
    for (int k = 0; k < N * D; k++) {
        worst = fmax(worst, fmax(fabs(g1[k] - r1[k]), fabs(g2[k] - r2[k])));
        big = fmax(big, fabs(r1[k]));
    }
    CHECK_MSG(worst <= 1e-5 * big && big > 1e-3, "infonce twin: worst diff %g of %g", worst, big);
    /* log N is the loss of indistinct views; aligned ones are far below it */
    CHECK(lr > 0.0 && lr < 0.7 * log((double)N));
    double sharp = gnn_cl_infonce_ref(x1, x2, N, D, 0.1f, 0.7f, r1, r2);
    CHECK(sharp < lr);
    double heavy = gnn_cl_infonce_ref(x1, x2, N, D, 0.2f, 1.4f, r1, r2);
    CHECK_NEAR(heavy, 2.0 * lr, 1e-9 * lr);
    /* one anchor: its only candidate is its own, softmax 1: loss 0, no gradient */
    CHECK_NEAR(gnn_cl_infonce_ref(x1, x2, 1, D, 0.2f, 1.0f, r1, r2), 0.0, 1e-7);
    /* the noise: unit rows, reproducible, different per layer, node and step */
    float a[D], b[D], c[D];
    gnn_cl_noise(5, 3, 1, 9, D, a);
    gnn_cl_noise(5, 3, 1, 9, D, b);
    double s = 0.0;
    for (int d = 0; d < D; d++) { s += (double)a[d] * a[d]; CHECK(a[d] >= 0.0f && a[d] == b[d]); }
    CHECK_NEAR(s, 1.0, 1e-6);
    gnn_cl_noise(5, 3, 2, 9, D, b);
    gnn_cl_noise(5, 4, 1, 9, D, c);
    CHECK(memcmp(a, b, sizeof a) != 0 && memcmp(a, c, sizeof a) != 0);
}

/* A hand-computed value: mf, one triple, dim 1, so the loss is a formula. */
static void check_mf_value(const graph_csr_t *adj)
{
    gnn_hparams_t hp = {.arch = GNN_ARCH_MF, .dim = 1, .batch_size = 1, .negatives = 1,
                        .lr = 0.01f, .reg = 0.5f, .seed = 1, .threads = 1};
    gnn_model_t m;
    err_t e = {0};
    CHECK(gnn_model_init(&m, &hp, NU, NI, &e) == 0);
    m.emb0[0] = 1.0f;          /* user 0 */
    m.emb0[NU + 1] = 2.0f;     /* item 1 */
    m.emb0[NU + 5] = -1.0f;    /* item 5 */
    uint32_t u = 0, i = 1, j = 5;
    double loss;
    CHECK(gnn_loss_grad(&m, adj, &u, &i, &j, 1, &loss, &e) == 0);
    /* x = 1*2 - 1*(-1) = 3; softplus(-3) + 0.25 * (1 + 4 + 1) */
    CHECK_NEAR(loss, log1p(exp(-3.0)) + 1.5, 1e-6);
    double sg = 1.0 / (1.0 + exp(3.0));
    CHECK_NEAR(m.grads[0], -sg * (2.0 - (-1.0)) + 0.5 * 1.0, 1e-6);
    CHECK_NEAR(m.grads[NU + 1], -sg * 1.0 + 0.5 * 2.0, 1e-6);
    CHECK_NEAR(m.grads[NU + 5], sg * 1.0 + 0.5 * -1.0, 1e-6);
    gnn_model_destroy(&m);
}

int main(void)
{
    graph_csr_t r, adj;
    tiny_graph(&r, &adj);
    check_mf_value(&adj);
    check_arch("lightgcn", 3, &adj);
    check_arch("lightgcn", 1, &adj);
    check_arch("mf", 0, &adj);
    check_arch("gcn", 2, &adj);
    check_infonce();
    /* the contrastive term, contrasting the final view with layer 1 (the
     * injection into backward stage K-1), with layer K (stage 0), K = 1;
     * and the batch's 5 users and 5 items in chunks of 2, 2 and 1 */
    check_arch_cl("lightgcn", 3, 0.8f, 1, 0, &adj);
    check_arch_cl("lightgcn", 3, 0.8f, 3, 0, &adj);
    check_arch_cl("lightgcn", 2, 0.8f, 1, 0, &adj);
    check_arch_cl("lightgcn", 1, 0.8f, 1, 0, &adj);
    check_arch_cl("lightgcn", 3, 0.8f, 1, 2, &adj);

    /* bad hyper-parameters are usage errors, not crashes */
    gnn_hparams_t hp = {.arch = GNN_ARCH_N, .dim = 8, .layers = 1, .batch_size = 4,
                        .negatives = 1, .lr = 0.01f, .reg = 0, .seed = 1};
    gnn_model_t m;
    err_t e = {0};
    CHECK_EQ_INT(gnn_model_init(&m, &hp, NU, NI, &e), ERR_USAGE);
    hp.arch = GNN_ARCH_GFCF;   /* a row of the table, but not a BPR model */
    CHECK_EQ_INT(gnn_model_init(&m, &hp, NU, NI, &e), ERR_USAGE);
    hp.arch = GNN_ARCH_LIGHTGCN;
    hp.dim = 0;
    CHECK_EQ_INT(gnn_model_init(&m, &hp, NU, NI, &e), ERR_USAGE);
    hp.dim = 8; hp.lr = -1;
    CHECK_EQ_INT(gnn_model_init(&m, &hp, NU, NI, &e), ERR_USAGE);
    hp.lr = 0.01f; hp.negatives = 0;
    CHECK_EQ_INT(gnn_model_init(&m, &hp, NU, NI, &e), ERR_USAGE);

    graph_csr_destroy(&r);
    graph_csr_destroy(&adj);
    return check_report();
}
