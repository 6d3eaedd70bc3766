/* test_foldin.c - fold-in of new users (gnn/foldin.h).
 * The defining property: given a trained user's own layer-0 row, the fold-in
 * rule reproduces the model's final embedding of that user (LightGCN with
 * 1..3 layers, random graph and parameters), so the rule is the model's
 * propagation rule. Then the layer-0 rules (mean, zero) against hand
 * arithmetic, mf = mean of the items' vectors, pop, an empty user, an
 * isolated item, and bad arguments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/foldin.h"
#include "gnn/model.h"
#include "tests/check.h"

/* A random bipartite graph: each user gets 0..max items (user 0 none). */
static void random_graph(graph_csr_t *r, uint32_t nu, uint32_t ni, uint32_t max, unsigned seed)
{
    uint32_t *a = malloc((size_t)nu * max * sizeof *a), *b = malloc((size_t)nu * max * sizeof *b);
    uint64_t n = 0;
    srand(seed);
    for (uint32_t u = 1; u < nu; u++) {
        uint32_t m = 1 + (uint32_t)rand() % max;
        for (uint32_t j = 0; j < m; j++) a[n] = u, b[n] = (uint32_t)rand() % (ni - 1), n++;   /* item ni-1 isolated */
    }
    err_t e;
    CHECK(graph_csr_from_pairs(r, nu, ni, a, b, n, &e) == ERR_OK);
    free(a);
    free(b);
}

static void reproduces_trained_users(uint32_t layers)
{
    const uint32_t nu = 40, ni = 30, dim = 8;
    graph_csr_t r, adj;
    err_t e;
    random_graph(&r, nu, ni, 9, 11 + layers);
    CHECK(graph_norm_bipartite(&r, &adj, &e) == ERR_OK);
    gnn_hparams_t hp = {.arch = GNN_ARCH_LIGHTGCN, .dim = dim, .layers = layers, .batch_size = 64, .negatives = 1,
                        .lr = 0.01f, .reg = 1e-4f, .seed = 7, .threads = 1};
    gnn_model_t m;
    CHECK(gnn_model_init(&m, &hp, nu, ni, &e) == ERR_OK);
    float *fin = malloc((size_t)(nu + ni) * dim * sizeof *fin), out[8];
    CHECK(gnn_model_embed(&m, &adj, fin, &e) == ERR_OK);
    gnn_foldin_t f;
    CHECK(gnn_foldin_init(&f, "lightgcn", nu, ni, dim, layers, m.emb0, &r, 2, &e) == ERR_OK);
    double worst = 0;
    for (uint32_t u = 1; u < nu; u++) {
        uint32_t n = (uint32_t)(r.ptr[u + 1] - r.ptr[u]);
        CHECK(gnn_foldin_user(&f, r.col + r.ptr[u], n, m.emb0 + (size_t)u * dim, out, &e) == ERR_OK);
        for (uint32_t d = 0; d < dim; d++) {
            double diff = fabs(out[d] - fin[(size_t)u * dim + d]);
            if (diff > worst) worst = diff;
        }
    }
    CHECK_MSG(worst < 1e-5, "layers %u: largest difference %g", layers, worst);

    /* rules for an unseen user of items {2, 5}: layer 0 = mean of their
     * layer-0 rows, or 0; the difference is exactly mean / (K + 1) */
    uint32_t it[2] = {2, 5};
    float zero[8], mean[8];
    CHECK(gnn_foldin_user(&f, it, 2, NULL, mean, &e) == ERR_OK);
    f.rule = GNN_FOLDIN_ZERO0;
    CHECK(gnn_foldin_user(&f, it, 2, NULL, zero, &e) == ERR_OK);
    for (uint32_t d = 0; d < dim; d++) {
        double m0 = (m.emb0[(size_t)(nu + 2) * dim + d] + m.emb0[(size_t)(nu + 5) * dim + d]) / 2;
        CHECK_NEAR(mean[d] - zero[d], m0 / (layers + 1), 1e-6);
    }
    /* an empty user is the zero vector under either rule */
    CHECK(gnn_foldin_user(&f, it, 0, NULL, out, &e) == ERR_OK);
    for (uint32_t d = 0; d < dim; d++) CHECK(out[d] == 0.0f);
    /* the isolated item adds to the mean but never to a propagated layer */
    uint32_t iso[1] = {ni - 1};
    CHECK(gnn_foldin_user(&f, iso, 1, NULL, out, &e) == ERR_OK);   /* rule zero */
    for (uint32_t d = 0; d < dim; d++) CHECK(out[d] == 0.0f);
    uint32_t bad[1] = {ni};
    CHECK(gnn_foldin_user(&f, bad, 1, NULL, out, &e) == ERR_USAGE);
    gnn_foldin_destroy(&f);
    gnn_model_destroy(&m);
    graph_csr_destroy(&adj);
    graph_csr_destroy(&r);
    free(fin);
}

static void mf_and_pop(void)
{
    const uint32_t nu = 3, ni = 4, dim = 2;
    /* mf: the final embeddings are the layer-0 ones; users 0..2 then items */
    float emb[] = {9, 9, 9, 9, 9, 9, /* users */ 1, 2, 3, 4, -1, 0, 0.5f, 0.5f};
    uint32_t ra[] = {0, 1, 2}, rb[] = {0, 1, 2};
    graph_csr_t r;
    err_t e;
    CHECK(graph_csr_from_pairs(&r, nu, ni, ra, rb, 3, &e) == ERR_OK);
    gnn_foldin_t f;
    CHECK(gnn_foldin_init(&f, "mf", nu, ni, dim, 3, emb, &r, 1, &e) == ERR_OK);
    CHECK_EQ_INT(f.layers, 0);   /* mf propagates nothing whatever the meta says */
    uint32_t it[3] = {0, 1, 2};
    float out[2];
    CHECK(gnn_foldin_user(&f, it, 3, NULL, out, &e) == ERR_OK);
    CHECK_NEAR(out[0], 1.0, 1e-6);   /* (1 + 3 - 1) / 3 */
    CHECK_NEAR(out[1], 2.0, 1e-6);   /* (2 + 4 + 0) / 3 */
    gnn_foldin_destroy(&f);

    CHECK(gnn_foldin_init(&f, "pop", nu, ni, 1, 0, NULL, &r, 1, &e) == ERR_OK);
    CHECK(gnn_foldin_user(&f, it, 3, NULL, out, &e) == ERR_OK);
    CHECK(out[0] == 1.0f);
    gnn_foldin_destroy(&f);

    CHECK(gnn_foldin_init(&f, "gcn", nu, ni, dim, 2, emb, &r, 1, &e) == ERR_USAGE);
    CHECK(gnn_foldin_init(&f, "kglightgcn", nu, ni, dim, 2, emb, &r, 1, &e) == ERR_USAGE);
    CHECK(gnn_foldin_init(&f, "lightgcn", nu, ni, dim, 2, NULL, &r, 1, &e) == ERR_USAGE);
    graph_csr_destroy(&r);
}

int main(void)
{
    for (uint32_t k = 1; k <= 3; k++) reproduces_trained_users(k);
    mf_and_pop();
    return check_report();
}
