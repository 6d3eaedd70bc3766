/* test_spmm.c - every optimized kernel of gnn/spmm.h against its plain
 * reference: full, row-subset, masked and with an added term; the widths
 * that have specialized code (32, 64, 128) and one that does not (17); the
 * fused product + Adam; dense Adam. Graphs are random bipartite ones
 * normalized by graph_norm_bipartite, with hubs so that rows vary a lot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/spmm.h"
#include "graph/csr.h"
#include "tests/check.h"

static void random_graph(rng_t *r, uint32_t nu, uint32_t ni, uint32_t edges, graph_csr_t *adj)
{
    uint32_t *u = malloc(edges * sizeof *u), *it = malloc(edges * sizeof *it);
    for (uint32_t k = 0; k < edges; k++) {
        u[k] = rng_below(r, nu);
        /* a quarter of the edges go to 5 hub items */
        it[k] = rng_below(r, 4) == 0 ? rng_below(r, 5) : rng_below(r, ni);
    }
    graph_csr_t m;
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&m, nu, ni, u, it, edges, &e) == 0);
    CHECK(graph_norm_bipartite(&m, adj, &e) == 0);
    graph_csr_destroy(&m);
    free(u); free(it);
}

static float *randv(rng_t *r, size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t k = 0; k < n; k++) v[k] = rng_normal(r);
    return v;
}

/* max relative difference, over rows listed (or all) */
static double maxrel(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - b[k]) / (1e-6 + fabs((double)b[k]));
        if (d > m) m = d;
    }
    return m;
}

static void test_dim(uint32_t dim)
{
    rng_t r;
    rng_seed(&r, 42 + dim);
    graph_csr_t a;
    random_graph(&r, 300, 200, 3000, &a);
    const uint32_t n = a.n_rows;
    const size_t sz = (size_t)n * dim;
    float *x = randv(&r, sz), *add = randv(&r, sz);
    float *y1 = calloc(sz, 4), *y2 = calloc(sz, 4);
    uint8_t *mask = malloc(n);
    uint32_t *rows = malloc(n * sizeof *rows), nr = 0;
    for (uint32_t k = 0; k < n; k++) {
        mask[k] = (uint8_t)rng_below(&r, 4);
        if (rng_below(&r, 3) == 0) rows[nr++] = k;
    }

    gnn_spmm_ref(&a, NULL, 0, x, NULL, NULL, 0, y1, dim);
    gnn_spmm(&a, NULL, 0, x, NULL, NULL, 0, y2, dim, 0);
    CHECK_MSG(maxrel(y2, y1, sz) < 1e-5, "dim %u plain: %g", dim, maxrel(y2, y1, sz));

    gnn_spmm_ref(&a, NULL, 0, x, add, mask, 2, y1, dim);
    gnn_spmm(&a, NULL, 0, x, add, mask, 2, y2, dim, 2);
    CHECK_MSG(maxrel(y2, y1, sz) < 1e-5, "dim %u masked+add: %g", dim, maxrel(y2, y1, sz));

    gnn_spmm_ref(&a, NULL, 0, x, add, mask, GNN_GATHER_ALL, y1, dim);
    gnn_spmm(&a, NULL, 0, x, add, mask, GNN_GATHER_ALL, y2, dim, 0);
    CHECK_MSG(maxrel(y2, y1, sz) < 1e-5, "dim %u gather-all: %g", dim, maxrel(y2, y1, sz));

    /* row subset: listed rows agree, the others are left alone */
    for (size_t k = 0; k < sz; k++) y1[k] = y2[k] = -7.0f;
    gnn_spmm_ref(&a, rows, nr, x, add, NULL, 0, y1, dim);
    gnn_spmm(&a, rows, nr, x, add, NULL, 0, y2, dim, 0);
    CHECK_MSG(maxrel(y2, y1, sz) < 1e-5, "dim %u rows: %g", dim, maxrel(y2, y1, sz));
    int untouched = 1;
    for (uint32_t k = 0, q = 0; k < n; k++) {
        if (q < nr && rows[q] == k) { q++; continue; }
        if (y2[(size_t)k * dim] != -7.0f) untouched = 0;
    }
    CHECK(untouched);

    /* the masked product must never read rows outside the mask: poison them */
    float *xp = malloc(sz * 4);
    memcpy(xp, x, sz * 4);
    for (uint32_t k = 0; k < n; k++)
        if (mask[k] >= 2)
            for (uint32_t d = 0; d < dim; d++) xp[(size_t)k * dim + d] = NAN;
    gnn_spmm(&a, NULL, 0, xp, NULL, mask, 2, y2, dim, 0);
    gnn_spmm_ref(&a, NULL, 0, x, NULL, mask, 2, y1, dim);
    CHECK_MSG(maxrel(y2, y1, sz) < 1e-5, "dim %u poisoned: %g", dim, maxrel(y2, y1, sz));

    /* fused product + Adam against product, then Adam, by reference */
    float *p1 = randv(&r, sz), *m1 = randv(&r, sz), *v1 = randv(&r, sz), *l2 = randv(&r, n);
    for (size_t k = 0; k < sz; k++) v1[k] = v1[k] * v1[k];
    float *p2 = malloc(sz * 4), *m2 = malloc(sz * 4), *v2 = malloc(sz * 4);
    memcpy(p2, p1, sz * 4); memcpy(m2, m1, sz * 4); memcpy(v2, v1, sz * 4);
    gnn_adam_t ad;
    gnn_adam_setup(&ad, 0.01f, 3);
    gnn_spmm_adam_ref(&a, x, add, mask, 2, 0.25f, l2, p1, m1, v1, dim, &ad);
    gnn_spmm_adam(&a, x, add, mask, 2, 0.25f, l2, p2, m2, v2, dim, &ad, 0);
    CHECK_MSG(maxrel(p2, p1, sz) < 1e-5, "dim %u fused adam p: %g", dim, maxrel(p2, p1, sz));
    CHECK_MSG(maxrel(m2, m1, sz) < 1e-5, "dim %u fused adam m: %g", dim, maxrel(m2, m1, sz));
    CHECK_MSG(maxrel(v2, v1, sz) < 1e-5, "dim %u fused adam v: %g", dim, maxrel(v2, v1, sz));
    /* the fused reference itself equals product-then-Adam */
    float *g = malloc(sz * 4), *p3 = malloc(sz * 4), *m3 = malloc(sz * 4), *v3 = malloc(sz * 4);
    memcpy(p3, p2, sz * 4); memcpy(m3, m2, sz * 4); memcpy(v3, v2, sz * 4);
    memcpy(p1, p2, sz * 4); memcpy(m1, m2, sz * 4); memcpy(v1, v2, sz * 4);
    gnn_spmm_ref(&a, NULL, 0, x, add, mask, 2, g, dim);
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t d = 0; d < dim; d++) {
            size_t o = (size_t)k * dim + d;
            g[o] = 0.25f * g[o] + l2[k] * p3[o];
        }
    gnn_adam_ref(p3, m3, v3, g, sz, &ad);
    gnn_spmm_adam_ref(&a, x, add, mask, 2, 0.25f, l2, p1, m1, v1, dim, &ad);
    CHECK_MSG(maxrel(p1, p3, sz) < 1e-6, "dim %u fused ref: %g", dim, maxrel(p1, p3, sz));
    /* a layer-free model: no product, only add */
    memcpy(p1, p3, sz * 4); memcpy(p2, p3, sz * 4);
    memcpy(m1, m3, sz * 4); memcpy(m2, m3, sz * 4);
    memcpy(v1, v3, sz * 4); memcpy(v2, v3, sz * 4);
    gnn_spmm_adam_ref(&a, NULL, add, NULL, 0, 1.0f, NULL, p1, m1, v1, dim, &ad);
    gnn_spmm_adam(&a, NULL, add, NULL, 0, 1.0f, NULL, p2, m2, v2, dim, &ad, 0);
    CHECK_MSG(maxrel(p2, p1, sz) < 1e-6, "dim %u no product: %g", dim, maxrel(p2, p1, sz));

    /* dense Adam */
    memcpy(p1, p3, sz * 4); memcpy(p2, p3, sz * 4);
    memcpy(m1, m3, sz * 4); memcpy(m2, m3, sz * 4);
    memcpy(v1, v3, sz * 4); memcpy(v2, v3, sz * 4);
    gnn_adam_ref(p1, m1, v1, g, sz, &ad);
    gnn_adam(p2, m2, v2, g, sz, &ad, 0);
    CHECK_MSG(maxrel(p2, p1, sz) < 1e-6, "dim %u adam: %g", dim, maxrel(p2, p1, sz));

    free(x); free(add); free(y1); free(y2); free(mask); free(rows); free(xp);
    free(p1); free(m1); free(v1); free(l2); free(p2); free(m2); free(v2);
    free(g); free(p3); free(m3); free(v3);
    graph_csr_destroy(&a);
}

int main(void)
{
    /* Adam's bias correction at step 1: the first update is -lr * sign(g) */
    gnn_adam_t ad;
    gnn_adam_setup(&ad, 0.1f, 1);
    float p = 1.0f, m = 0.0f, v = 0.0f, g = 0.5f;
    gnn_adam_ref(&p, &m, &v, &g, 1, &ad);
    CHECK_NEAR(p, 0.9, 1e-6);

    test_dim(64);
    test_dim(32);
    test_dim(128);
    test_dim(17);
    return check_report();
}
