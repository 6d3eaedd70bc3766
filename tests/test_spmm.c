/* test_spmm.c - every optimized kernel of gnn/spmm.h against its plain
 * reference: full, row-subset, masked and with an added term; the widths
 * that have specialized code (32, 64, 128) and one that does not (17); the
 * fused product + Adam; dense Adam. Graphs are random bipartite ones
 * normalized by graph_norm_bipartite, with hubs so that rows vary a lot,
 * and with enough non-zeros (24,000) that the kernels split them into
 * several work units, whose bounds fall inside row lists. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/spmm.h"
#include "graph/csr.h"
#include "tests/check.h"

#ifdef __F16C__
#include <immintrin.h>
#endif

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
    random_graph(&r, 300, 200, 12000, &a);
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

/* The software conversions are the definition the reference kernels use;
 * they must be exactly IEEE (what F16C does in the optimized kernels). */
static void test_half_conversions(void)
{
    CHECK_EQ_INT(gnn_f2h(1.0f), 0x3c00);
    CHECK_EQ_INT(gnn_f2h(-2.0f), 0xc000);
    CHECK_EQ_INT(gnn_f2h(65504.0f), 0x7bff);
    CHECK_EQ_INT(gnn_f2h(65520.0f), 0x7c00);            /* ties to even: infinity */
    CHECK_EQ_INT(gnn_f2h(0x1p-24f), 0x0001);            /* smallest subnormal */
    CHECK_EQ_INT(gnn_f2h(0x1p-25f), 0x0000);            /* tie to even: zero */
    CHECK_EQ_INT(gnn_f2h(0x1.8p-25f), 0x0001);
    CHECK_EQ_INT(gnn_f2h(1.0f + 0x1p-11f), 0x3c00);     /* tie to even */
    CHECK_EQ_INT(gnn_f2h(1.0f + 0x1.8p-11f), 0x3c01);
    CHECK_EQ_INT(gnn_f2h(1.0f + 0x1.8p-10f), 0x3c02);     /* tie to even, upwards */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;   /* NaNs */
        if (gnn_f2h(gnn_h2f((uint16_t)h)) != h) bad++;
    }
    CHECK_MSG(bad == 0, "%d halves do not round-trip", bad);
#ifdef __F16C__
    rng_t r;
    rng_seed(&r, 77);
    int hw_bad = 0;
    for (uint32_t k = 0; k < 200000; k++) {
        /* random bit patterns cover every exponent, subnormals included */
        uint32_t bits = (uint32_t)rng_below(&r, 1u << 31) << 1 | (uint32_t)rng_below(&r, 2);
        float f;
        memcpy(&f, &bits, 4);
        if (f != f) continue;
        uint16_t hw = (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set1_ps(f), _MM_FROUND_TO_NEAREST_INT), 0);
        if (hw != gnn_f2h(f)) hw_bad++;
    }
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;
        float hw = _mm_cvtss_f32(_mm_cvtph_ps(_mm_set1_epi16((short)h)));
        if (memcmp(&hw, &(float){gnn_h2f((uint16_t)h)}, 4)) hw_bad++;
    }
    CHECK_MSG(hw_bad == 0, "%d conversions differ from F16C", hw_bad);
#endif
}

/* max |a - b| over max |b|: for results that differ by rounding only */
static double normdiff(const float *a, const float *b, size_t n)
{
    double m = 0, big = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - b[k]);
        if (d > m) m = d;
        if (fabs((double)b[k]) > big) big = fabs((double)b[k]);
    }
    return m / big;
}

static int same_bits(const void *a, const void *b, size_t n) { return !memcmp(a, b, n); }

/* The half-table kernels against their references: bit-identical (same
 * operations in the same order, no contraction), for every combination of
 * table types, with row subsets, masks, poisoned rows and the fused Adam. */
static void test_half_dim(uint32_t dim)
{
    rng_t r;
    rng_seed(&r, 99 + dim);
    graph_csr_t a;
    random_graph(&r, 300, 200, 12000, &a);
    const uint32_t n = a.n_rows;
    const size_t sz = (size_t)n * dim;
    float *x = randv(&r, sz), *add = randv(&r, sz), *y1 = calloc(sz, 4), *y2 = calloc(sz, 4);
    uint16_t *xh = malloc(sz * 2), *h1 = calloc(sz, 2), *h2 = calloc(sz, 2);
    for (size_t k = 0; k < sz; k++) xh[k] = gnn_f2h(x[k]);
    uint8_t *mask = malloc(n);
    uint32_t *rows = malloc(n * sizeof *rows), nr = 0;
    for (uint32_t k = 0; k < n; k++) {
        mask[k] = (uint8_t)rng_below(&r, 4);
        if (rng_below(&r, 3) == 0) rows[nr++] = k;
    }
    gnn_f2h_table(h2, x, sz, 2);
    CHECK_MSG(same_bits(h2, xh, sz * 2), "dim %u f2h_table", dim);
    for (int in16 = 0; in16 < 2; in16++)
        for (int out16 = 0; out16 < 2; out16++)
            for (int variant = 0; variant < 4; variant++) {
                gnn_hspmm_t s = {.a = &a, .x32 = in16 ? NULL : x, .x16 = in16 ? xh : NULL, .dim = dim};
                if (variant == 1) { s.add = add; s.mask = mask; s.lim = 2; }
                if (variant == 2) { s.add = add; s.mask = mask; s.lim = GNN_GATHER_ALL; }
                if (variant == 3) { s.rows = rows; s.n_rows = nr; s.add = add; }
                for (size_t k = 0; k < sz; k++) { y1[k] = y2[k] = -7.0f; h1[k] = h2[k] = 0x7777; }
                gnn_hspmm_t s1 = s, s2 = s;
                if (out16) { s1.y16 = h1; s2.y16 = h2; } else { s1.y32 = y1; s2.y32 = y2; }
                gnn_hspmm_ref(&s1);
                gnn_hspmm(&s2, variant == 1 ? 2 : 0);
                CHECK_MSG(out16 ? same_bits(h1, h2, sz * 2) : same_bits(y1, y2, sz * 4),
                          "dim %u half kernel in16 %d out16 %d variant %d", dim, in16, out16, variant);
            }
    /* with float tables in and out, the half kernel is the float one (up
     * to the rounding of a fused multiply-add) */
    gnn_hspmm_t s = {.a = &a, .x32 = x, .add = add, .mask = mask, .lim = 2, .y32 = y1, .dim = dim};
    gnn_hspmm_ref(&s);
    gnn_spmm_ref(&a, NULL, 0, x, add, mask, 2, y2, dim);
    CHECK_MSG(normdiff(y1, y2, sz) < 1e-6, "dim %u half ref = float ref: %g", dim, normdiff(y1, y2, sz));
    /* rounding the gathered table costs ~2^-11 relative */
    s.x32 = NULL; s.x16 = xh; s.mask = NULL; s.add = NULL;
    gnn_hspmm_ref(&s);
    gnn_spmm_ref(&a, NULL, 0, x, NULL, NULL, 0, y2, dim);
    double err = 0, nrm = 0;
    for (size_t k = 0; k < sz; k++) { err += fabs((double)y1[k] - y2[k]); nrm += fabs((double)y2[k]); }
    CHECK_MSG(err / nrm < 1e-3, "dim %u half table error %g", dim, err / nrm);
    /* masked rows of the half table are never read */
    uint16_t *xp = malloc(sz * 2);
    memcpy(xp, xh, sz * 2);
    for (uint32_t k = 0; k < n; k++)
        if (mask[k] >= 2)
            for (uint32_t d = 0; d < dim; d++) xp[(size_t)k * dim + d] = 0x7e00;   /* NaN */
    gnn_hspmm_t sp = {.a = &a, .x16 = xp, .mask = mask, .lim = 2, .y32 = y2, .dim = dim};
    gnn_hspmm(&sp, 0);
    sp.x16 = xh; sp.y32 = y1;
    gnn_hspmm_ref(&sp);
    CHECK_MSG(same_bits(y1, y2, sz * 4), "dim %u half poisoned", dim);

    /* fused Adam: half table in (or float, or none), half copy of p out */
    float *p1 = randv(&r, sz), *m1 = randv(&r, sz), *v1 = randv(&r, sz), *l2 = randv(&r, n);
    for (size_t k = 0; k < sz; k++) v1[k] = v1[k] * v1[k];
    float *p2 = malloc(sz * 4), *m2 = malloc(sz * 4), *v2 = malloc(sz * 4);
    gnn_adam_t ad;
    gnn_adam_setup(&ad, 0.01f, 3);
    for (int in = 0; in < 3; in++) {
        float *p0 = malloc(sz * 4), *m0 = malloc(sz * 4), *v0 = malloc(sz * 4);
        memcpy(p0, p1, sz * 4); memcpy(m0, m1, sz * 4); memcpy(v0, v1, sz * 4);
        memcpy(p2, p1, sz * 4); memcpy(m2, m1, sz * 4); memcpy(v2, v1, sz * 4);
        const float *x32 = in == 1 ? x : NULL;
        const uint16_t *x16 = in == 2 ? xh : NULL;
        gnn_hspmm_adam_ref(&a, x32, x16, add, mask, GNN_GATHER_ALL, 0.25f, l2, p0, m0, v0, h1, dim, &ad);
        gnn_hspmm_adam(&a, x32, x16, add, mask, GNN_GATHER_ALL, 0.25f, l2, p2, m2, v2, h2, dim, &ad, 2);
        CHECK_MSG(maxrel(p2, p0, sz) < 1e-6 && maxrel(m2, m0, sz) < 1e-6 && maxrel(v2, v0, sz) < 1e-6,
                  "dim %u half fused adam (input %d): %g", dim, in, maxrel(p2, p0, sz));
        int hb = 0;
        for (size_t k = 0; k < sz; k++) hb += h2[k] != gnn_f2h(p2[k]);
        CHECK_MSG(hb == 0, "dim %u half copy of p: %d differ", dim, hb);
        if (in == 1) {   /* float table in: the float fused kernel's result */
            float *p3 = malloc(sz * 4), *m3 = malloc(sz * 4), *v3 = malloc(sz * 4);
            memcpy(p3, p1, sz * 4); memcpy(m3, m1, sz * 4); memcpy(v3, v1, sz * 4);
            gnn_spmm_adam_ref(&a, x, add, mask, GNN_GATHER_ALL, 0.25f, l2, p3, m3, v3, dim, &ad);
            CHECK_MSG(normdiff(p3, p0, sz) < 1e-5, "dim %u half adam ref = float adam ref: %g", dim,
                      normdiff(p3, p0, sz));
            free(p3); free(m3); free(v3);
        }
        free(p0); free(m0); free(v0);
    }
    free(x); free(add); free(y1); free(y2); free(xh); free(h1); free(h2); free(xp);
    free(mask); free(rows); free(p1); free(m1); free(v1); free(l2); free(p2); free(m2); free(v2);
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
    test_half_conversions();
    test_half_dim(64);
    test_half_dim(16);
    test_half_dim(17);
    /* wider than one register slab (HSLAB = 128): 128 + 8, and two slabs */
    test_half_dim(136);
    test_half_dim(256);
    return check_report();
}
