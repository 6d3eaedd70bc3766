/* test_spmm.c - every optimized kernel of gnn/spmm.h against its plain
 * reference twin, to the bit: gnn_spmm for every combination of gathered
 * table (float, half) and result (float, half) and either multiply-add
 * (fma 0 or 1): full, masked with an added term, gather-all, row subsets
 * with and without a mask, rows outside the mask poisoned; the fused
 * product + Adam with a float, half or no table, with and without the half
 * copy of p; dense Adam. The reference itself against the formula (in
 * double), the fused Adam reference against product-then-Adam, fma 1
 * against fma 0 and half tables against float ones (rounding only). Widths
 * with specialized code (32, 64, 128), ones that take the general path (16,
 * and 17, not whole registers), wider than one register slab (136, 256).
 * Graphs are random bipartite ones normalized by graph_norm_bipartite, with
 * hubs so that rows vary a lot, and with enough non-zeros (24,000) that the
 * kernels split them into several work units, whose bounds fall inside row
 * lists. */
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

static int same_bits(const void *a, const void *b, size_t n) { return !memcmp(a, b, n); }

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

/* The operands of one width's tests. */
typedef struct fixture {
    graph_csr_t a;
    uint32_t n, dim, nr;
    size_t sz;
    float *x, *add;
    uint16_t *xh;
    uint8_t *mask;
    uint32_t *rows;
} fixture_t;

static void fixture_init(fixture_t *f, uint32_t dim)
{
    rng_t r;
    rng_seed(&r, 42 + dim);
    random_graph(&r, 300, 200, 12000, &f->a);
    f->n = f->a.n_rows;
    f->dim = dim;
    f->sz = (size_t)f->n * dim;
    f->x = randv(&r, f->sz);
    f->add = randv(&r, f->sz);
    f->xh = malloc(f->sz * 2);
    for (size_t k = 0; k < f->sz; k++) f->xh[k] = gnn_f2h(f->x[k]);
    f->mask = malloc(f->n);
    f->rows = malloc(f->n * sizeof *f->rows);
    f->nr = 0;
    for (uint32_t k = 0; k < f->n; k++) {
        f->mask[k] = (uint8_t)rng_below(&r, 4);
        if (rng_below(&r, 3) == 0) f->rows[f->nr++] = k;
    }
}

static void fixture_destroy(fixture_t *f)
{
    free(f->x); free(f->add); free(f->xh); free(f->mask); free(f->rows);
    graph_csr_destroy(&f->a);
}

enum { V_PLAIN, V_MASK_ADD, V_GATHER_ALL, V_ROWS_ADD, V_ROWS_MASK_ADD, N_VARIANTS };

/* The product's descriptor for a variant, gathering x (in16: its halves). */
static gnn_spmm_t product(const fixture_t *f, int variant, int in16, int fma)
{
    gnn_spmm_t s = {.a = &f->a, .x32 = in16 ? NULL : f->x, .x16 = in16 ? f->xh : NULL, .fma = (uint8_t)fma,
                    .dim = f->dim};
    if (variant != V_PLAIN) s.add = f->add;
    if (variant == V_MASK_ADD || variant == V_ROWS_MASK_ADD) { s.mask = f->mask; s.lim = 2; }
    if (variant == V_GATHER_ALL) { s.mask = f->mask; s.lim = GNN_GATHER_ALL; }
    if (variant == V_ROWS_ADD || variant == V_ROWS_MASK_ADD) { s.rows = f->rows; s.n_rows = f->nr; }
    return s;
}

/* The product's definition in double, row r column d (mask and add rules
 * of spmm.h); *mag: the sum of its terms' magnitudes, the scale of the
 * float sum's rounding error. */
static double formula(const gnn_spmm_t *s, const float *x, uint32_t r, uint32_t d, double *mag)
{
    const uint32_t dim = s->dim;
    double v = s->add && (!s->mask || s->mask[r] == 0) ? s->add[(size_t)r * dim + d] : 0.0;
    *mag = fabs(v);
    for (uint64_t k = s->a->ptr[r]; k < s->a->ptr[r + 1]; k++) {
        uint32_t j = s->a->col[k];
        if (!s->mask || s->lim == GNN_GATHER_ALL || s->mask[j] < s->lim) {
            const double t = (double)s->a->val[k] * x[(size_t)j * dim + d];
            v += t;
            *mag += fabs(t);
        }
    }
    return v;
}

/* gnn_spmm against gnn_spmm_ref, every table type, variant and fma; the
 * rows outside a row list are left alone; the reference against the
 * formula; the masked product never reads rows outside the mask. */
static void test_products(const fixture_t *f)
{
    const size_t sz = f->sz;
    const uint32_t n = f->n, dim = f->dim;
    float *y1 = malloc(sz * 4), *y2 = malloc(sz * 4);
    uint16_t *h1 = malloc(sz * 2), *h2 = malloc(sz * 2);
    for (int fma = 0; fma < 2; fma++)
        for (int in16 = 0; in16 < 2; in16++)
            for (int out16 = 0; out16 < 2; out16++)
                for (int variant = 0; variant < N_VARIANTS; variant++) {
                    gnn_spmm_t s1 = product(f, variant, in16, fma), s2 = s1;
                    for (size_t k = 0; k < sz; k++) { y1[k] = y2[k] = -7.0f; h1[k] = h2[k] = 0x7777; }
                    if (out16) { s1.y16 = h1; s2.y16 = h2; } else { s1.y32 = y1; s2.y32 = y2; }
                    gnn_spmm_ref(&s1);
                    gnn_spmm(&s2, variant == V_MASK_ADD ? 2 : 0);
                    CHECK_MSG(out16 ? same_bits(h1, h2, sz * 2) : same_bits(y1, y2, sz * 4),
                              "dim %u fma %d in16 %d out16 %d variant %d: kernel != reference", dim, fma,
                              in16, out16, variant);
                    int untouched = 1, listed = 1;
                    for (uint32_t k = 0, q = 0; k < n; k++) {
                        const int in_list = !s2.rows || (q < s2.n_rows && s2.rows[q] == k);
                        q += in_list && s2.rows;
                        const int fresh = out16 ? h2[(size_t)k * dim] == 0x7777 : y2[(size_t)k * dim] == -7.0f;
                        if (!in_list && !fresh) untouched = 0;
                        if (in_list && fresh) listed = 0;
                    }
                    CHECK_MSG(untouched && listed, "dim %u variant %d: rows written %d, others left %d", dim,
                              variant, listed, untouched);
                    if (in16 || out16 || fma) continue;   /* fma 1 against fma 0: below */
                    double worst = 0;
                    for (uint32_t k = 0; k < n; k++)
                        for (uint32_t d = 0; d < dim; d++) {
                            const size_t o = (size_t)k * dim + d;
                            if (y1[o] == -7.0f) continue;
                            double mag;
                            const double v = formula(&s1, f->x, k, d, &mag), e = fabs(y1[o] - v) / (1e-30 + mag);
                            if (e > worst) worst = e;
                        }
                    CHECK_MSG(worst < 1e-6, "dim %u variant %d: reference vs formula %g", dim, variant, worst);
                }

    /* the masked product must never read rows outside the mask: poison them */
    float *xp = malloc(sz * 4);
    uint16_t *xph = malloc(sz * 2);
    memcpy(xp, f->x, sz * 4);
    memcpy(xph, f->xh, sz * 2);
    for (uint32_t k = 0; k < n; k++)
        if (f->mask[k] >= 2)
            for (uint32_t d = 0; d < dim; d++) {
                xp[(size_t)k * dim + d] = NAN;
                xph[(size_t)k * dim + d] = 0x7e00;   /* NaN */
            }
    for (int fma = 0; fma < 2; fma++)
        for (int in16 = 0; in16 < 2; in16++)
            for (int variant = V_MASK_ADD; variant <= V_ROWS_MASK_ADD; variant += V_ROWS_MASK_ADD - V_MASK_ADD) {
                gnn_spmm_t s1 = product(f, variant, in16, fma), s2 = s1;
                s1.y32 = y1;
                s2.y32 = y2;
                if (in16) s2.x16 = xph; else s2.x32 = xp;
                for (size_t k = 0; k < sz; k++) y1[k] = y2[k] = -7.0f;
                gnn_spmm_ref(&s1);
                gnn_spmm(&s2, 0);
                CHECK_MSG(same_bits(y1, y2, sz * 4), "dim %u fma %d in16 %d variant %d: poisoned", dim, fma,
                          in16, variant);
            }

    /* fused multiply-adds round once per term: the same product to rounding */
    gnn_spmm_t sf = product(f, V_MASK_ADD, 0, 1), su = product(f, V_MASK_ADD, 0, 0);
    sf.y32 = y1;
    su.y32 = y2;
    gnn_spmm_ref(&sf);
    gnn_spmm_ref(&su);
    CHECK_MSG(normdiff(y1, y2, sz) < 1e-6, "dim %u fma 1 vs 0: %g", dim, normdiff(y1, y2, sz));
    /* rounding the gathered table costs ~2^-11 relative */
    gnn_spmm_t sh = product(f, V_PLAIN, 1, 1), sx = product(f, V_PLAIN, 0, 0);
    sh.y32 = y1;
    sx.y32 = y2;
    gnn_spmm_ref(&sh);
    gnn_spmm_ref(&sx);
    double err = 0, nrm = 0;
    for (size_t k = 0; k < sz; k++) { err += fabs((double)y1[k] - y2[k]); nrm += fabs((double)y2[k]); }
    CHECK_MSG(err / nrm < 1e-3, "dim %u half table error %g", dim, err / nrm);
    free(y1); free(y2); free(h1); free(h2); free(xp); free(xph);
}

/* The fused product + Adam against its reference (float, half or no table,
 * either fma, with and without the half copy of p); the reference against
 * the product's reference then Adam's; dense Adam. */
static void test_adam(const fixture_t *f)
{
    rng_t r;
    rng_seed(&r, 7 + f->dim);
    const size_t sz = f->sz;
    const uint32_t n = f->n, dim = f->dim;
    float *p0 = randv(&r, sz), *m0 = randv(&r, sz), *v0 = randv(&r, sz), *l2 = randv(&r, n);
    for (size_t k = 0; k < sz; k++) v0[k] = v0[k] * v0[k];
    float *p1 = malloc(sz * 4), *m1 = malloc(sz * 4), *v1 = malloc(sz * 4);
    float *p2 = malloc(sz * 4), *m2 = malloc(sz * 4), *v2 = malloc(sz * 4), *g = malloc(sz * 4);
    uint16_t *h1 = malloc(sz * 2), *h2 = malloc(sz * 2);
    gnn_adam_t ad;
    gnn_adam_setup(&ad, 0.01f, 3);
#define RESET()                                                                                  \
    do {                                                                                         \
        memcpy(p1, p0, sz * 4); memcpy(m1, m0, sz * 4); memcpy(v1, v0, sz * 4);                  \
        memcpy(p2, p0, sz * 4); memcpy(m2, m0, sz * 4); memcpy(v2, v0, sz * 4);                  \
        for (size_t k = 0; k < sz; k++) h1[k] = h2[k] = 0x7777;                                  \
    } while (0)
    for (int fma = 0; fma < 2; fma++)
        for (int in = 0; in < 3; in++)          /* no table, float, half */
            for (int half_p = 0; half_p < 2; half_p++)
                for (int lim = 0; lim < 2; lim++) {
                    RESET();
                    gnn_spmm_t s = {.a = &f->a, .x32 = in == 1 ? f->x : NULL, .x16 = in == 2 ? f->xh : NULL,
                                    .add = f->add, .mask = f->mask, .lim = lim ? GNN_GATHER_ALL : 2,
                                    .fma = (uint8_t)fma, .dim = dim};
                    gnn_spmm_adam_ref(&s, 0.25f, l2, p1, m1, v1, half_p ? h1 : NULL, &ad);
                    gnn_spmm_adam(&s, 0.25f, l2, p2, m2, v2, half_p ? h2 : NULL, &ad, 2);
                    CHECK_MSG(same_bits(p1, p2, sz * 4) && same_bits(m1, m2, sz * 4) && same_bits(v1, v2, sz * 4) &&
                              same_bits(h1, h2, sz * 2),
                              "dim %u fma %d input %d half p %d lim %d: fused adam != reference", dim, fma, in,
                              half_p, lim);
                    int hb = 0;
                    for (size_t k = 0; k < sz; k++) hb += half_p ? h2[k] != gnn_f2h(p2[k]) : h2[k] != 0x7777;
                    CHECK_MSG(hb == 0, "dim %u half copy of p: %d differ", dim, hb);
                    /* the fused reference is the product's reference, then Adam's */
                    s.y32 = g;
                    gnn_spmm_ref(&s);
                    for (uint32_t k = 0; k < n; k++)
                        for (uint32_t d = 0; d < dim; d++) {
                            size_t o = (size_t)k * dim + d;
                            g[o] = 0.25f * g[o] + l2[k] * p0[o];
                        }
                    memcpy(p2, p0, sz * 4); memcpy(m2, m0, sz * 4); memcpy(v2, v0, sz * 4);
                    gnn_adam_ref(p2, m2, v2, g, sz, &ad);
                    CHECK_MSG(same_bits(p1, p2, sz * 4) && same_bits(m1, m2, sz * 4) && same_bits(v1, v2, sz * 4),
                              "dim %u fma %d input %d: fused reference != product then adam", dim, fma, in);
                }
    /* the update moved p: a test that could not fail otherwise */
    CHECK_MSG(!same_bits(p1, p0, sz * 4), "dim %u: adam left p alone", dim);

    /* dense Adam */
    RESET();
    gnn_adam_ref(p1, m1, v1, g, sz, &ad);
    gnn_adam(p2, m2, v2, g, sz, &ad, 0);
    CHECK_MSG(same_bits(p1, p2, sz * 4) && same_bits(m1, m2, sz * 4) && same_bits(v1, v2, sz * 4),
              "dim %u dense adam != reference", dim);
#undef RESET
    free(p0); free(m0); free(v0); free(l2); free(p1); free(m1); free(v1); free(p2); free(m2); free(v2);
    free(g); free(h1); free(h2);
}

static void test_dim(uint32_t dim)
{
    fixture_t f;
    fixture_init(&f, dim);
    uint16_t *h = malloc(f.sz * 2);
    gnn_f2h_table(h, f.x, f.sz, 2);
    CHECK_MSG(same_bits(h, f.xh, f.sz * 2), "dim %u f2h_table", dim);
    free(h);
    test_products(&f);
    test_adam(&f);
    fixture_destroy(&f);
}

int main(void)
{
    /* Adam's bias correction at step 1: the first update is -lr * sign(g) */
    gnn_adam_t ad;
    gnn_adam_setup(&ad, 0.1f, 1);
    float p = 1.0f, m = 0.0f, v = 0.0f, g = 0.5f;
    gnn_adam_ref(&p, &m, &v, &g, 1, &ad);
    CHECK_NEAR(p, 0.9, 1e-6);

    test_half_conversions();
    test_dim(64);
    test_dim(32);
    test_dim(128);
    test_dim(16);
    test_dim(17);
    /* wider than one register slab (HSLAB = 128): 128 + 8, and two slabs */
    test_dim(136);
    test_dim(256);
    return check_report();
}
