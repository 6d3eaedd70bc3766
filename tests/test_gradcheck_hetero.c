/* test_gradcheck_hetero.c - the joint graph (graph/typed.h) and the models
 * on it: kglightgcn's analytic gradient (embeddings of users, items and
 * entities, and the per-relation weights) against central finite
 * differences; lightgcn with extra (entity) nodes through the fast engine
 * likewise; the joint graph with interactions only equals
 * graph_norm_bipartite; kglightgcn with every relation weight 1 gives
 * lightgcn's loss on the same graph; alignment puts an entity's facts on its
 * item; a cold item (no interaction) gets gradient through knowledge edges;
 * graph_typed_rows (a distributed rank's rows) gives graph_typed_build's
 * rows bit for bit.
 *
 * Bounds as in test_gradcheck.c (1% relative + 2e-5 absolute, float loss,
 * h = 2e-3), and a 5% error in the analytic gradient must fail them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/model.h"
#include "graph/csr.h"
#include "graph/typed.h"
#include "tests/check.h"

#define NU 5
#define NI 6
#define NE 5
#define NR 3

/* users 0-4, items 0-5 (item 5 cold: no interaction), entities 0-4 with
 * entity 0 = item 2 and entity 1 = item 5 (aligned), 2-4 plain entities */
static void tiny(graph_csr_t *r, graph_typed_t *g, int social, int knowledge, float ws, float wk)
{
    static const uint32_t u[] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0};
    static const uint32_t i[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 3};
    static const uint32_t su[] = {0, 1, 3}, sv[] = {2, 4, 4};
    /* head, relation, tail in entity ids; (0,2) appears twice (two relations) */
    static const uint32_t kh[] = {0, 0, 1, 2, 3, 0}, kr[] = {0, 1, 0, 2, 1, 2}, kt[] = {2, 2, 3, 4, 4, 3};
    static const uint32_t ioe[NE] = {2, 5, GRAPH_NO_REL, GRAPH_NO_REL, GRAPH_NO_REL};
    err_t e = {0};
    CHECK(graph_csr_from_pairs(r, NU, NI, u, i, sizeof u / sizeof *u, &e) == 0);
    graph_typed_edges_t in = {.n_users = NU, .n_items = NI, .n_entities = NE, .n_relations = NR, .train = r,
                              .n_social = 3, .su = su, .sv = sv, .n_kg = 6, .kh = kh, .kr = kr, .kt = kt,
                              .item_of_entity = ioe};
    graph_typed_opts_t o = {.interaction = 1, .social = social, .knowledge = knowledge, .w_social = ws,
                            .w_knowledge = wk};
    CHECK(graph_typed_build(&in, &o, g, &e) == 0);
}

static int close_enough(double num, double ana, double scale)
{
    return fabs(num - ana * scale) <= 0.01 * fabs(num) + 2e-5;
}

static const uint32_t bu[] = {0, 0, 2, 3, 4, 1}, bi[] = {1, 3, 2, 4, 0, 2}, bj[] = {5, 2, 5, 0, 1, 3};

static void gradcheck(const char *arch, uint32_t K, const graph_typed_t *g)
{
    gnn_hparams_t hp = {.dim = 5, .layers = K, .batch_size = 8, .negatives = 1, .lr = 0.01f,
                        .reg = 0.05f, .seed = 3, .threads = 1};
    hp.arch = gnn_arch_find(arch)->id;
    gnn_model_t m;
    err_t e = {0};
    int kg = !strcmp(arch, "kglightgcn");
    CHECK(gnn_model_init_nodes(&m, &hp, NU, NI, g->n_entities, kg ? g->n_relations : 0, &e) == 0);
    gnn_model_set_relations(&m, g->rel);
    size_t n_emb = (size_t)(NU + NI + g->n_entities) * hp.dim;
    for (size_t k = 0; k < n_emb; k++) m.emb0[k] *= 5.0f;
    /* relation weights away from 1, so their gradients are general */
    for (uint32_t r = 0; r < m.n_rel; r++) m.rel_w[r] = 0.6f + 0.4f * (float)r;
    double loss;
    CHECK(gnn_loss_grad(&m, &g->adj, bu, bi, bj, 6, &loss, &e) == 0);
    CHECK(isfinite(loss) && loss > 0);
    float *ana = malloc(m.n_params * sizeof *ana);
    memcpy(ana, m.grads, m.n_params * sizeof *ana);
    const double h = 2e-3;
    int bad = 0, bad_scaled = 0, nonzero = 0, rel_nonzero = 0;
    for (size_t k = 0; k < m.n_params; k++) {
        float keep = m.params[k];
        double lp, lm;
        m.params[k] = (float)(keep + h);
        gnn_loss_grad(&m, &g->adj, bu, bi, bj, 6, &lp, &e);
        m.params[k] = (float)(keep - h);
        gnn_loss_grad(&m, &g->adj, bu, bi, bj, 6, &lm, &e);
        m.params[k] = keep;
        double num = (lp - lm) / ((double)(float)(keep + h) - (double)(float)(keep - h));
        if (!close_enough(num, ana[k], 1.0)) {
            if (bad < 5) fprintf(stderr, "%s: param %zu: numeric %.6g analytic %.6g\n", arch, k, num, (double)ana[k]);
            bad++;
        }
        rel_nonzero += k >= n_emb && ana[k] != 0.0f;
        if (fabs(num) > 2e-3) {
            nonzero++;
            if (!close_enough(num, ana[k], 0.95)) bad_scaled++;
        }
    }
    printf("%-10s K=%u: %zu params (%u relation weights, %d with gradient), %d informative in all\n", arch, K,
           m.n_params, m.n_rel, rel_nonzero, nonzero);
    CHECK_MSG(bad == 0, "%s: %d coordinates disagree", arch, bad);
    CHECK_MSG(nonzero > 20, "%s: too few informative coordinates (%d)", arch, nonzero);
    CHECK_MSG(bad_scaled > nonzero / 2, "%s: the bound would not catch a 5%% error", arch);
    if (kg && K > 0) CHECK_MSG(rel_nonzero == NR, "every relation weight should matter (%d of %d)", rel_nonzero, NR);
    /* the plain entity 4 is two hops from the batch (via entity 2 or 3):
     * with K >= 2 it gets gradient, through knowledge edges only */
    int any = 0;
    for (uint32_t d = 0; d < hp.dim; d++) any |= ana[(size_t)(NU + NI + 4) * hp.dim + d] != 0.0f;
    if (g->n_entities) CHECK_MSG(any == (K >= 2), "%s K=%u: entity 4 gradient %s", arch, K, any ? "present" : "absent");
    free(ana);
    gnn_model_destroy(&m);
}

/* kglightgcn with all weights 1 is lightgcn on the same joint graph */
static void same_as_lightgcn(const graph_typed_t *g)
{
    gnn_hparams_t hp = {.arch = GNN_ARCH_LIGHTGCN, .dim = 8, .layers = 2, .batch_size = 8, .negatives = 1,
                        .lr = 0.01f, .reg = 0.05f, .seed = 9, .threads = 1};
    gnn_model_t a, b;
    err_t e = {0};
    CHECK(gnn_model_init_nodes(&a, &hp, NU, NI, g->n_entities, 0, &e) == 0);
    hp.arch = GNN_ARCH_KGLIGHTGCN;
    CHECK(gnn_model_init_nodes(&b, &hp, NU, NI, g->n_entities, g->n_relations, &e) == 0);
    gnn_model_set_relations(&b, g->rel);
    double la, lb;
    CHECK(gnn_loss_grad(&a, &g->adj, bu, bi, bj, 6, &la, &e) == 0);
    CHECK(gnn_loss_grad(&b, &g->adj, bu, bi, bj, 6, &lb, &e) == 0);
    CHECK_NEAR(la, lb, 1e-6);
    double worst = 0;
    for (size_t k = 0; k < a.n_params; k++) worst = fmax(worst, fabs((double)a.grads[k] - b.grads[k]));
    CHECK_NEAR(worst, 0.0, 1e-6);
    size_t n = (size_t)(NU + NI + g->n_entities) * hp.dim;
    float *fa = malloc(n * sizeof *fa), *fb = malloc(n * sizeof *fb);
    CHECK(gnn_model_embed(&a, &g->adj, fa, &e) == 0);
    CHECK(gnn_model_embed(&b, &g->adj, fb, &e) == 0);
    worst = 0;
    for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs((double)fa[k] - fb[k]));
    CHECK_NEAR(worst, 0.0, 1e-6);
    /* the cold item 5 (aligned to entity 1, which has a fact) has a final
     * embedding that differs from its layer-0 row: propagation reached it */
    float diff = 0;
    for (uint32_t d = 0; d < hp.dim; d++)
        diff += fabsf(fa[(size_t)(NU + 5) * hp.dim + d] - a.emb0[(size_t)(NU + 5) * hp.dim + d] / 3.0f);
    CHECK(diff > 1e-4f);
    free(fa); free(fb);
    gnn_model_destroy(&a);
    gnn_model_destroy(&b);
}

/* graph_typed_rows (a rank's rows, built row by row) against
 * graph_typed_build (the whole graph): every chosen row, in the order
 * asked, with the build's columns, value bits and relations, on a random
 * graph with repeated ties, ties in both directions, self-loops, repeated
 * and multi-relation triples, aligned entities; each edge-type mix, both
 * normalizations and weights other than 1 (which make summation order
 * matter for the degrees). */
static void rows_match_build(void)
{
    enum { U = 40, I = 30, E = 25, R = 4, NT = 300, NS = 90, NK = 120 };
    uint32_t tu[NT], ti[NT], su[NS], sv[NS], kh[NK], kr[NK], kt[NK], ioe[E];
    uint64_t x = 12345;
#define RND(n) ((uint32_t)((x = x * 6364136223846793005ull + 1442695040888963407ull) >> 33) % (n))
    for (int k = 0; k < NT; k++) { tu[k] = RND(U); ti[k] = RND(I); }
    for (int k = 0; k < NS; k++) { su[k] = RND(U); sv[k] = k % 9 == 0 ? su[k] : RND(U); }
    for (int k = 0; k < NK; k++) { kh[k] = RND(E); kr[k] = RND(R); kt[k] = k % 11 == 0 ? kh[k] : RND(E); }
    for (int k = 0; k < NS / 3; k++) { su[NS - 1 - k] = sv[k]; sv[NS - 1 - k] = su[k]; }   /* both directions */
    for (int k = 0; k < 8; k++) { kh[NK - 1 - k] = kh[k]; kt[NK - 1 - k] = kt[k]; }        /* repeated pairs */
    for (int k = 0; k < E; k++) ioe[k] = k < 6 ? (uint32_t)(3 * k) : GRAPH_NO_REL;
#undef RND
    graph_csr_t r;
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&r, U, I, tu, ti, NT, &e) == 0);
    graph_typed_edges_t in = {.n_users = U, .n_items = I, .n_entities = E, .n_relations = R, .train = &r,
                              .n_social = NS, .su = su, .sv = sv, .n_kg = NK, .kh = kh, .kr = kr, .kt = kt,
                              .item_of_entity = ioe};
    for (int mix = 0; mix < 8; mix++) {
        graph_typed_opts_t o = {.interaction = 1, .social = mix & 1, .knowledge = (mix >> 1) & 1,
                                .w_social = 0.3f, .w_knowledge = 0.7f, .per_type_norm = (mix >> 2) & 1};
        graph_typed_t g, cnt;
        CHECK(graph_typed_build(&in, &o, &g, &e) == 0);
        const uint32_t N = g.adj.n_rows;
        uint32_t rows[U + I + E], n = 0;
        for (uint32_t v = 0; v < N; v += 1 + v % 3) rows[n++] = N - 1 - v;   /* a subset, descending */
        rows[n++] = 0;
        graph_csr_t out;
        uint32_t *rel = NULL;
        CHECK(graph_typed_rows(&in, &o, rows, n, &out, &rel, &cnt, &e) == 0);
        int same = out.n_rows == n && out.n_cols == N;
        uint64_t entries = 0;
        for (uint32_t k = 0; same && k < n; k++) {
            const uint32_t v = rows[k];
            const uint64_t a = g.adj.ptr[v], m = g.adj.ptr[v + 1] - a, b = out.ptr[k];
            same = out.ptr[k + 1] - b == m && !memcmp(out.col + b, g.adj.col + a, m * sizeof *out.col) &&
                   !memcmp(out.val + b, g.adj.val + a, m * sizeof *out.val) &&
                   !memcmp(rel + b, g.rel + a, m * sizeof *rel);
            entries += m;
        }
        CHECK_MSG(same, "edge mix %d: graph_typed_rows differs from graph_typed_build", mix);
        CHECK_MSG(entries > (uint64_t)n, "edge mix %d: only %llu entries", mix, (unsigned long long)entries);
        CHECK_EQ_INT(cnt.social_pairs, g.social_pairs);
        CHECK_EQ_INT(cnt.kg_pairs, g.kg_pairs);
        CHECK_EQ_INT(cnt.items_aligned, g.items_aligned);
        CHECK_EQ_INT(cnt.n_entities, g.n_entities);
        graph_csr_destroy(&out);
        free(rel);
        graph_typed_destroy(&g);
    }
    uint32_t bad = U + I + E;
    graph_csr_t out;
    graph_typed_opts_t o = {.interaction = 1, .knowledge = 1, .w_knowledge = 1.0f};
    CHECK_EQ_INT(graph_typed_rows(&in, &o, &bad, 1, &out, NULL, NULL, &e), ERR_USAGE);
    graph_csr_destroy(&r);
}

int main(void)
{
    rows_match_build();
    graph_csr_t r, ref;
    graph_typed_t g;
    err_t e = {0};

    /* interactions only: the same matrix as graph_norm_bipartite */
    tiny(&r, &g, 0, 0, 1.0f, 1.0f);
    CHECK(graph_norm_bipartite(&r, &ref, &e) == 0);
    CHECK_EQ_INT(g.adj.nnz, ref.nnz);
    CHECK_EQ_INT(g.adj.n_rows, NU + NI);
    int same = g.adj.nnz == ref.nnz;
    for (uint64_t k = 0; same && k < ref.nnz; k++)
        same = g.adj.col[k] == ref.col[k] && fabsf(g.adj.val[k] - ref.val[k]) < 1e-6f;
    for (uint32_t k = 0; same && k <= ref.n_rows; k++) same = g.adj.ptr[k] == ref.ptr[k];
    CHECK_MSG(same, "interaction-only joint graph differs from graph_norm_bipartite");
    graph_csr_destroy(&ref);
    graph_typed_destroy(&g);
    graph_csr_destroy(&r);

    /* the full joint graph: structure */
    tiny(&r, &g, 1, 1, 0.5f, 2.0f);
    CHECK_EQ_INT(g.adj.n_rows, NU + NI + NE);
    CHECK_EQ_INT(g.social_pairs, 3);
    /* pairs: item2-ent2 (twice, merged), item5-ent3, ent2-ent4, ent3-ent4, item2-ent3 */
    CHECK_EQ_INT(g.kg_pairs, 5);
    CHECK_EQ_INT(g.items_aligned, 2);
    /* aligned entities 0 and 1 have empty rows; their facts sit on items 2 and 5 */
    CHECK_EQ_INT(g.adj.ptr[NU + NI + 1] - g.adj.ptr[NU + NI + 0], 0);
    CHECK_EQ_INT(g.adj.ptr[NU + NI + 2] - g.adj.ptr[NU + NI + 1], 0);
    CHECK(graph_csr_has(&g.adj, NU + 5, NU + NI + 3));
    CHECK(graph_csr_has(&g.adj, NU + 2, NU + NI + 2));
    /* symmetric, with the relation of the merged pair = the lowest (0) */
    int sym = 1;
    for (uint32_t a = 0; a < g.adj.n_rows; a++)
        for (uint64_t k = g.adj.ptr[a]; k < g.adj.ptr[a + 1]; k++) {
            uint32_t b = g.adj.col[k];
            uint64_t q = g.adj.ptr[b];
            while (q < g.adj.ptr[b + 1] && g.adj.col[q] != a) q++;
            sym &= q < g.adj.ptr[b + 1] && g.adj.val[q] == g.adj.val[k] && g.rel[q] == g.rel[k];
            if (a == NU + 2 && b == NU + NI + 2) CHECK_EQ_INT(g.rel[k], 0);
        }
    CHECK_MSG(sym, "joint adjacency not symmetric");
    /* weighted degree normalisation of one entry: user 0 - user 2 (social 0.5);
     * user 0: items 0, 1, 3 + 0.5 -> 3.5; user 2: items 2, 3 + 0.5 -> 2.5 */
    for (uint64_t k = g.adj.ptr[0]; k < g.adj.ptr[1]; k++)
        if (g.adj.col[k] == 2) CHECK_NEAR(g.adj.val[k], 0.5 / sqrt(3.5 * 2.5), 1e-6);

    /* per-type normalization, by hand: two users, one item, the interaction
     * u0-i0 and the social tie u0-u1 with weight 0.5. Each type is normalized
     * by its own degrees (all 1 here), then weighted: interaction entries 1,
     * social entries 0.5; the joint rule would give 1/sqrt(1.5 * 1) and
     * 0.5/sqrt(1.5 * 0.5). */
    {
        uint32_t pu[] = {0}, pi[] = {0}, su[] = {0}, sv[] = {1};
        graph_csr_t r2;
        graph_typed_t g2;
        CHECK(graph_csr_from_pairs(&r2, 2, 1, pu, pi, 1, &e) == 0);
        graph_typed_edges_t in2 = {.n_users = 2, .n_items = 1, .train = &r2, .n_social = 1, .su = su, .sv = sv};
        for (int per = 0; per <= 1; per++) {
            graph_typed_opts_t o2 = {.interaction = 1, .social = 1, .w_social = 0.5f, .w_knowledge = 1.0f,
                                     .per_type_norm = per};
            CHECK(graph_typed_build(&in2, &o2, &g2, &e) == 0);
            /* row u0: columns u1 (1) and item 0 (node 2) */
            CHECK_EQ_INT(g2.adj.ptr[1] - g2.adj.ptr[0], 2);
            CHECK_NEAR(g2.adj.val[g2.adj.ptr[0]], per ? 0.5 : 0.5 / sqrt(1.5 * 0.5), 1e-6);
            CHECK_NEAR(g2.adj.val[g2.adj.ptr[0] + 1], per ? 1.0 : 1.0 / sqrt(1.5), 1e-6);
            graph_typed_destroy(&g2);
        }
        graph_csr_destroy(&r2);
    }

    gradcheck("kglightgcn", 2, &g);
    gradcheck("kglightgcn", 3, &g);
    gradcheck("kglightgcn", 0, &g);
    gradcheck("lightgcn", 3, &g);
    gradcheck("lightgcn", 1, &g);
    same_as_lightgcn(&g);
    graph_typed_destroy(&g);
    graph_csr_destroy(&r);
    return check_report();
}
