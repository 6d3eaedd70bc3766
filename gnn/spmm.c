/* spmm.c - see spmm.h. The reference kernels are the definition; the
 * optimized ones differ only in speed: the row kernel is compiled for a
 * constant dim (64, 32, 128) so the accumulator row lives in registers, the
 * next neighbours' rows are prefetched (the gathered rows come from L2/L3 and
 * their latency, not arithmetic, is the cost), and rows are handed to
 * threads in small dynamic chunks because degrees are power-law. Summation
 * order is the reference's, so the results agree to rounding of contraction.
 */
#include "gnn/spmm.h"

#include <math.h>

#include <omp.h>

#ifdef __AVX__
#include <immintrin.h>
#endif

/* How many neighbours ahead to prefetch: enough to cover an L3 miss at
 * one neighbour every ~10 ns, few enough not to evict the accumulators'
 * working set. Measured with bench/bench_spmm. */
#ifndef PF_DIST
#define PF_DIST 8
#endif

static int nthreads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

void gnn_adam_setup(gnn_adam_t *a, float lr, uint64_t t)
{
    a->lr = lr;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    double bc1 = 1.0 - pow(0.9, (double)t), bc2 = 1.0 - pow(0.999, (double)t);
    a->step_size = (float)(lr / bc1);
    a->inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
}

static inline void adam_span(float *restrict p, float *restrict m, float *restrict v,
                             const float *restrict g, size_t n, const gnn_adam_t *a)
{
    const float b1 = a->beta1, b2 = a->beta2, c1 = 1.0f - b1, c2 = 1.0f - b2;
    const float s = a->step_size, ib = a->inv_sqrt_bc2, eps = a->eps;
    size_t i = 0;
#ifdef __AVX__
    /* by hand because sqrtf's errno path stops GCC from vectorizing; the
     * operations are the scalar loop's, each IEEE-rounded, so same results */
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), vc1 = _mm256_set1_ps(c1),
                 vc2 = _mm256_set1_ps(c2), vs = _mm256_set1_ps(s), vib = _mm256_set1_ps(ib),
                 veps = _mm256_set1_ps(eps);
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vc1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)),
                                  _mm256_mul_ps(_mm256_mul_ps(vc2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), vib), veps);
        __m256 upd = _mm256_div_ps(_mm256_mul_ps(vs, mi), den);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), upd));
    }
#endif
    p += i; m += i; v += i; g += i;
    for (size_t q = 0; q < n - i; q++) {
        float gi = g[q];
        float mi = b1 * m[q] + c1 * gi;
        float vi = b2 * v[q] + c2 * gi * gi;
        m[q] = mi;
        v[q] = vi;
        p[q] -= s * mi / (sqrtf(vi) * ib + eps);
    }
}

void gnn_adam_ref(float *p, float *m, float *v, const float *g, size_t n, const gnn_adam_t *a)
{
    for (size_t i = 0; i < n; i++) {
        m[i] = a->beta1 * m[i] + (1.0f - a->beta1) * g[i];
        v[i] = a->beta2 * v[i] + (1.0f - a->beta2) * g[i] * g[i];
        p[i] -= a->step_size * m[i] / (sqrtf(v[i]) * a->inv_sqrt_bc2 + a->eps);
    }
}

void gnn_adam(float *p, float *m, float *v, const float *g, size_t n, const gnn_adam_t *a,
              int threads)
{
    const size_t chunk = 1 << 14;
    size_t nchunks = (n + chunk - 1) / chunk;
    #pragma omp parallel for schedule(static) num_threads(nthreads(threads))
    for (size_t c = 0; c < nchunks; c++) {
        size_t lo = c * chunk, hi = lo + chunk < n ? lo + chunk : n;
        adam_span(p + lo, m + lo, v + lo, g + lo, hi - lo, a);
    }
}

/* ---- reference ---------------------------------------------------------- */

static void row_ref(const graph_csr_t *a, uint32_t r, const float *x, const float *add,
                    const uint8_t *mask, uint8_t lim, float *out, uint32_t dim)
{
    const int use_add = add && (!mask || mask[r] == 0);
    for (uint32_t d = 0; d < dim; d++) out[d] = use_add ? add[(size_t)r * dim + d] : 0.0f;
    if (!x) return;
    for (uint64_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
        uint32_t j = a->col[k];
        if (mask && lim != GNN_GATHER_ALL && mask[j] >= lim) continue;
        float w = a->val ? a->val[k] : 1.0f;
        for (uint32_t d = 0; d < dim; d++) out[d] += w * x[(size_t)j * dim + d];
    }
}

void gnn_spmm_ref(const graph_csr_t *a, const uint32_t *rows, uint32_t n_rows,
                  const float *x, const float *add, const uint8_t *mask, uint8_t lim,
                  float *y, uint32_t dim)
{
    uint32_t n = rows ? n_rows : a->n_rows;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows ? rows[i] : i;
        row_ref(a, r, x, add, mask, lim, y + (size_t)r * dim, dim);
    }
}

void gnn_spmm_adam_ref(const graph_csr_t *a, const float *x, const float *add,
                       const uint8_t *mask, uint8_t lim, float scale, const float *l2,
                       float *p, float *m, float *v, uint32_t dim, const gnn_adam_t *ad)
{
    float g[GNN_MAX_DIM];
    for (uint32_t r = 0; r < a->n_rows; r++) {
        size_t o = (size_t)r * dim;
        row_ref(a, r, x, add, mask, lim, g, dim);
        for (uint32_t d = 0; d < dim; d++) g[d] = scale * g[d] + (l2 ? l2[r] : 0.0f) * p[o + d];
        gnn_adam_ref(p + o, m + o, v + o, g, dim, ad);
    }
}

/* ---- optimized ---------------------------------------------------------- */

/* acc += sum_k w[k] x[c[k]] over a list of n neighbours, prefetching ahead
 * within the list (and into the next one: `next`, `n_next`). */
static inline __attribute__((always_inline)) void
gather(const uint32_t *restrict c, const float *restrict w, uint64_t n, const float *restrict x,
       float *restrict acc, uint32_t D)
{
    for (uint64_t k = 0; k < n; k++) {
        if (k + PF_DIST < n) {
            const char *pf = (const char *)(x + (size_t)c[k + PF_DIST] * D);
            for (uint32_t b = 0; b < D * 4; b += 64) __builtin_prefetch(pf + b, 0, 3);
        }
        const float wk = w[k];
        const float *restrict xj = x + (size_t)c[k] * D;
        for (uint32_t d = 0; d < D; d++) acc[d] += wk * xj[d];
    }
}

#define MASK_BLOCK 256

/* One output row; D is a compile-time constant at every call site that
 * matters, so acc[] is a handful of vector registers. With a mask the
 * surviving neighbours are first compacted (a cheap sequential scan), so
 * prefetches go only to rows that will be read: in a backward product most
 * neighbours are outside the support. */
static inline __attribute__((always_inline)) void
row_fast(const uint64_t *restrict ptr, const uint32_t *restrict col, const float *restrict val,
         uint32_t r, const float *restrict x, const float *restrict addr,
         const uint8_t *restrict mask, uint8_t lim, float *restrict acc, uint32_t D)
{
    for (uint32_t d = 0; d < D; d++) acc[d] = addr ? addr[d] : 0.0f;
    if (!x) return;
    uint64_t k0 = ptr[r], k1 = ptr[r + 1];
    if (!mask || lim == GNN_GATHER_ALL) {
        gather(col + k0, val + k0, k1 - k0, x, acc, D);
        return;
    }
    uint32_t cc[MASK_BLOCK];
    float cw[MASK_BLOCK];
    for (uint64_t k = k0; k < k1;) {
        uint32_t n = 0;
        for (; k < k1 && n < MASK_BLOCK; k++) {
            uint32_t j = col[k];
            cc[n] = j;
            cw[n] = val[k];
            n += mask[j] < lim;
        }
        gather(cc, cw, n, x, acc, D);
    }
}

static inline __attribute__((always_inline)) void
spmm_chunk(const graph_csr_t *a, const uint32_t *rows, uint32_t lo, uint32_t hi,
           const float *x, const float *add, const uint8_t *mask, uint8_t lim,
           float *y, uint32_t D)
{
    float acc[D];
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t r = rows ? rows[i] : i;
        size_t o = (size_t)r * D;
        const float *ar = add && (!mask || mask[r] == 0) ? add + o : NULL;
        row_fast(a->ptr, a->col, a->val, r, x, ar, mask, lim, acc, D);
        for (uint32_t d = 0; d < D; d++) y[o + d] = acc[d];
    }
}

#define CHUNK 32

void gnn_spmm(const graph_csr_t *a, const uint32_t *rows, uint32_t n_rows,
              const float *x, const float *add, const uint8_t *mask, uint8_t lim,
              float *y, uint32_t dim, int threads)
{
    if (!a->val) { gnn_spmm_ref(a, rows, n_rows, x, add, mask, lim, y, dim); return; }
    uint32_t n = rows ? n_rows : a->n_rows;
    uint32_t nchunks = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads(threads))
    for (uint32_t c = 0; c < nchunks; c++) {
        uint32_t lo = c * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
        switch (dim) {
        case 32: spmm_chunk(a, rows, lo, hi, x, add, mask, lim, y, 32); break;
        case 64: spmm_chunk(a, rows, lo, hi, x, add, mask, lim, y, 64); break;
        case 128: spmm_chunk(a, rows, lo, hi, x, add, mask, lim, y, 128); break;
        default: spmm_chunk(a, rows, lo, hi, x, add, mask, lim, y, dim); break;
        }
    }
}

static inline __attribute__((always_inline)) void
adam_chunk(const graph_csr_t *a, uint32_t lo, uint32_t hi, const float *x, const float *add,
           const uint8_t *mask, uint8_t lim, float scale, const float *l2,
           float *p, float *m, float *v, const gnn_adam_t *ad, uint32_t D)
{
    float g[D];
    for (uint32_t r = lo; r < hi; r++) {
        size_t o = (size_t)r * D;
        const float *ar = add && (!mask || mask[r] == 0) ? add + o : NULL;
        row_fast(a->ptr, a->col, a->val, r, x, ar, mask, lim, g, D);
        float c = l2 ? l2[r] : 0.0f;
        for (uint32_t d = 0; d < D; d++) g[d] = scale * g[d] + c * p[o + d];
        adam_span(p + o, m + o, v + o, g, D, ad);
    }
}

void gnn_spmm_adam(const graph_csr_t *a, const float *x, const float *add,
                   const uint8_t *mask, uint8_t lim, float scale, const float *l2,
                   float *p, float *m, float *v, uint32_t dim, const gnn_adam_t *ad,
                   int threads)
{
    if (!a->val && x) {
        gnn_spmm_adam_ref(a, x, add, mask, lim, scale, l2, p, m, v, dim, ad);
        return;
    }
    uint32_t n = a->n_rows, nchunks = (n + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads(threads))
    for (uint32_t c = 0; c < nchunks; c++) {
        uint32_t lo = c * CHUNK, hi = lo + CHUNK < n ? lo + CHUNK : n;
        switch (dim) {
        case 32: adam_chunk(a, lo, hi, x, add, mask, lim, scale, l2, p, m, v, ad, 32); break;
        case 64: adam_chunk(a, lo, hi, x, add, mask, lim, scale, l2, p, m, v, ad, 64); break;
        case 128: adam_chunk(a, lo, hi, x, add, mask, lim, scale, l2, p, m, v, ad, 128); break;
        default: adam_chunk(a, lo, hi, x, add, mask, lim, scale, l2, p, m, v, ad, dim); break;
        }
    }
}
