/* test_gradcheck.c - the analytic gradient of the full loss (BPR + L2) of
 * lightgcn, mf and gcn against central finite differences, on a tiny graph
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

static void check_arch(const char *arch, uint32_t layers, const graph_csr_t *adj)
{
    gnn_hparams_t hp = {.dim = 6, .layers = layers, .batch_size = 8, .negatives = 1,
                        .lr = 0.01f, .reg = 0.05f, .seed = 7, .threads = 1};
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
    int bad = 0, bad_scaled = 0, nonzero = 0;
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
    printf("%-8s K=%u: %zu params, %d with |grad| > 2e-3, worst abs diff %.3g, loss %.6f\n",
           arch, m.hp.layers, m.n_params, nonzero, worst, loss);
    CHECK_MSG(bad == 0, "%s: %d coordinates disagree", arch, bad);
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
