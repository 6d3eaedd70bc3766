/* spmm.c - see spmm.h. The reference kernels are the definition; the
 * optimized ones differ only in speed, and agree with them to the bit: on
 * x86 with F16C the register kernels (a row's accumulators held in ymm
 * registers, the width a compile-time constant), elsewhere and at widths
 * that are not whole registers the portable loops (float tables, product
 * then sum; other cases run the reference). Both prefetch the next
 * neighbours' rows (the gathered rows come from L2/L3 and their latency,
 * not arithmetic, is the cost) and take units of equal work (non-zeros)
 * dynamically because degrees are power-law. Summation order is the
 * reference's, and so is the multiply-add (fused or not, gnn_spmm_t.fma).
 */
#include "gnn/spmm.h"

#include <math.h>
#include <string.h>

#include <omp.h>

#ifdef __AVX__
#include <immintrin.h>
#endif

/* How many neighbours ahead to prefetch: enough to cover an L3 miss at
 * one neighbour every ~5 ns, few enough not to evict what is in use.
 * Measured on gowalla (paired runs of the half product, this machine):
 * 12 beat 8 by 1.10-1.15x, 10 and 14 by a few percent. */
#ifndef PF_DIST
#define PF_DIST 12
#endif

static int nthreads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

int gnn_team(int threads, double work) { return work < GNN_PAR_MIN_WORK ? 1 : nthreads(threads); }

/* Multiply-adds of a product over n of a's rows (their mean degree). */
static double product_work(const graph_csr_t *a, uint32_t n, uint32_t dim)
{
    return a->n_rows ? (double)a->nnz * n / a->n_rows * dim : 0.0;
}

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
    #pragma omp parallel for schedule(static) num_threads(gnn_team(threads, 4.0 * n))
    for (size_t c = 0; c < nchunks; c++) {
        size_t lo = c * chunk, hi = lo + chunk < n ? lo + chunk : n;
        adam_span(p + lo, m + lo, v + lo, g + lo, hi - lo, a);
    }
}

/* ---- float16 tables ----------------------------------------------------- */

float gnn_h2f(uint16_t h)
{
    uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, mt = h & 0x3ff, b;
    if (e == 0) {
        float f = (float)mt * 0x1p-24f;    /* exact: subnormal halves are m x 2^-24 */
        return s ? -f : f;
    }
    if (e == 31) b = s | 0x7f800000u | (mt << 13) | (mt ? 0x400000u : 0);  /* NaN stays quiet */
    else b = s | ((e + 112) << 23) | (mt << 13);
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

uint16_t gnn_f2h(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t s = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffffu;
    if (x > 0x7f800000u) return (uint16_t)(s | 0x7e00 | ((x >> 13) & 0x3ff));
    if (x >= 0x477ff000u) return (uint16_t)(s | 0x7c00);  /* >= 65520 rounds to infinity */
    if (x < 0x38800000u) {                                   /* below 2^-14: subnormal */
        uint32_t sh = 126 - (x >> 23);
        if (sh >= 32) return s;
        uint32_t mm = (x & 0x7fffffu) | 0x800000u, q = mm >> sh;
        uint32_t rem = mm & ((1u << sh) - 1), half = 1u << (sh - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(s | q);
    }
    uint32_t h = (x >> 13) - (112u << 10), rem = x & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(s | h);
}

void gnn_f2h_row(uint16_t *dst, const float *src, size_t n)
{
    size_t k = 0;
#ifdef __F16C__
    for (; k + 8 <= n; k += 8)
        _mm_storeu_si128((__m128i *)(dst + k), _mm256_cvtps_ph(_mm256_loadu_ps(src + k), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; k < n; k++) dst[k] = gnn_f2h(src[k]);
}

void gnn_f2h_table(uint16_t *dst, const float *src, size_t n, int threads)
{
    const size_t chunk = 1 << 14;
    size_t nchunks = (n + chunk - 1) / chunk;
    #pragma omp parallel for schedule(static) num_threads(gnn_team(threads, (double)n))
    for (size_t c = 0; c < nchunks; c++) {
        size_t k = c * chunk, hi = k + chunk < n ? k + chunk : n;
        gnn_f2h_row(dst + k, src + k, hi - k);
    }
}

/* The half kernels multiply-add with one rounding (FMA) when the machine has
 * it: half the arithmetic instructions of a gathered row, which is what a
 * product costs when the two cores are shared. The reference does the same
 * operation (fmaf), so both stay bit-identical. */
#ifdef __FMA__
#define HMADD(w, x, acc) fmaf((w), (x), (acc))
#else
#define HMADD(w, x, acc) ((acc) + (w) * (x))
#endif

/* ---- reference ---------------------------------------------------------- */

/* Row r of s's product into out [dim] (before it is stored). The loop per
 * table type and multiply-add, so that the float one stays a plain
 * vectorized loop (the yardstick bench/ measures the kernels against). */
static void row_ref(const gnn_spmm_t *s, uint32_t r, float *restrict out)
{
    const graph_csr_t *a = s->a;
    const uint32_t dim = s->dim;
    const float *x32 = s->x32, *add = s->add;
    const uint16_t *x16 = s->x16;
    const int use_add = add && (!s->mask || s->mask[r] == 0), fma = s->fma;
    for (uint32_t d = 0; d < dim; d++) out[d] = use_add ? add[(size_t)r * dim + d] : 0.0f;
    if (!x32 && !x16) return;
    for (uint64_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
        uint32_t j = a->col[k];
        if (s->mask && s->lim != GNN_GATHER_ALL && s->mask[j] >= s->lim) continue;
        const float w = a->val ? a->val[k] : 1.0f;
        const size_t o = (size_t)j * dim;
        if (x16)
            for (uint32_t d = 0; d < dim; d++) {
                const float xv = gnn_h2f(x16[o + d]);
                out[d] = fma ? HMADD(w, xv, out[d]) : out[d] + w * xv;
            }
        else if (fma)
            for (uint32_t d = 0; d < dim; d++) out[d] = HMADD(w, x32[o + d], out[d]);
        else
            for (uint32_t d = 0; d < dim; d++) out[d] += w * x32[o + d];
    }
}

void gnn_spmm_ref(const gnn_spmm_t *s)
{
    float out[GNN_MAX_DIM];
    const uint32_t n = s->rows ? s->n_rows : s->a->n_rows, dim = s->dim;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = s->rows ? s->rows[i] : i;
        row_ref(s, r, out);
        size_t o = (size_t)r * dim;
        for (uint32_t d = 0; d < dim; d++) {
            if (s->y16) s->y16[o + d] = gnn_f2h(out[d]);
            else s->y32[o + d] = out[d];
        }
    }
}

void gnn_spmm_adam_ref(const gnn_spmm_t *s, float scale, const float *l2, float *p, float *m,
                       float *v, uint16_t *p16, const gnn_adam_t *ad)
{
    float g[GNN_MAX_DIM];
    const uint32_t dim = s->dim;
    for (uint32_t r = 0; r < s->a->n_rows; r++) {
        size_t o = (size_t)r * dim;
        row_ref(s, r, g);
        for (uint32_t d = 0; d < dim; d++) g[d] = scale * g[d] + (l2 ? l2[r] : 0.0f) * p[o + d];
        gnn_adam_ref(p + o, m + o, v + o, g, dim, ad);
        if (p16)
            for (uint32_t d = 0; d < dim; d++) p16[o + d] = gnn_f2h(p[o + d]);
    }
}

/* ---- portable loops: float tables, a product then a sum ------------------ */

/* acc += sum_k w[k] x[c[k]] over a list of n neighbours, prefetching ahead
 * within the list. */
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

/* The neighbours k from *k on (before k1) with mask[col[k]] < lim, their
 * columns and values into cc/cw until MASK_BLOCK of them are there; advances
 * *k past the scanned ones and returns how many survived. */
static inline __attribute__((always_inline)) uint32_t
compact(const uint32_t *restrict col, const float *restrict val, const uint8_t *restrict mask, uint8_t lim,
        uint64_t *k, uint64_t k1, uint32_t *restrict cc, float *restrict cw)
{
    uint32_t n = 0;
    uint64_t q = *k;
    for (; q < k1 && n < MASK_BLOCK; q++) {
        const uint32_t j = col[q];
        cc[n] = j;
        cw[n] = val[q];
        n += mask[j] < lim;
    }
    *k = q;
    return n;
}

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
        const uint32_t n = compact(col, val, mask, lim, &k, k1, cc, cw);
        gather(cc, cw, n, x, acc, D);
    }
}

static inline __attribute__((always_inline)) void
spmm_chunk(const gnn_spmm_t *s, uint32_t lo, uint32_t hi, uint32_t D)
{
    float acc[D];
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t r = s->rows ? s->rows[i] : i;
        size_t o = (size_t)r * D;
        const float *ar = s->add && (!s->mask || s->mask[r] == 0) ? s->add + o : NULL;
        row_fast(s->a->ptr, s->a->col, s->a->val, r, s->x32, ar, s->mask, s->lim, acc, D);
        for (uint32_t d = 0; d < D; d++) s->y32[o + d] = acc[d];
    }
}

static inline __attribute__((always_inline)) void
adam_chunk(const gnn_spmm_t *s, uint32_t lo, uint32_t hi, float scale, const float *l2,
           float *p, float *m, float *v, const gnn_adam_t *ad, uint32_t D)
{
    float g[D];
    for (uint32_t r = lo; r < hi; r++) {
        size_t o = (size_t)r * D;
        const float *ar = s->add && (!s->mask || s->mask[r] == 0) ? s->add + o : NULL;
        row_fast(s->a->ptr, s->a->col, s->a->val, r, s->x32, ar, s->mask, s->lim, g, D);
        float c = l2 ? l2[r] : 0.0f;
        for (uint32_t d = 0; d < D; d++) g[d] = scale * g[d] + c * p[o + d];
        adam_span(p + o, m + o, v + o, g, D, ad);
    }
}

/* ---- register kernels (x86, F16C) -------------------------------------- */

#ifdef __F16C__
/* Optimized: a row is computed in slabs of at most HSLAB columns, each slab's
 * accumulators a fixed array of ymm registers. D (the row width, a multiple
 * of 8) is a compile-time constant at the call sites that matter, and then
 * so is the slab: one slab, the loops unrolled, the accumulators never
 * touch memory. (They did while the array was sized by D: a variable-length
 * array lives on the stack, and every multiply-add stored its result back,
 * a third of a product's time.) Same operations in the same order as the
 * reference: results are bit-identical to it. */
#define HSLAB 128
#ifndef ADAM_PF
#define ADAM_PF 2
#endif
#ifndef ADD_PF
#define ADD_PF 2
#endif
#define V8(D) ((D) / 8)
#ifdef __FMA__
#define VMADD(w, x, acc) _mm256_fmadd_ps((w), (x), (acc))
#else
#define VMADD(w, x, acc) _mm256_add_ps((acc), _mm256_mul_ps((w), (x)))
#endif

/* acc += sum_k w[k] x[c[k]][off .. off+S) over n neighbours, prefetching
 * the row PF_DIST neighbours ahead while k + PF_DIST < plim. Over a CSR row
 * plim runs to the end of the matrix, so the prefetches run on into the
 * next row's neighbours (the next row computed, when rows are consecutive):
 * stopping at the row's end left its successor's first PF_DIST gathers
 * unprefetched, about half of them at gowalla's mean degree. H (the table
 * is halves) and F (fused multiply-add) are constants at every call site. */
static inline __attribute__((always_inline)) void
reg_gather(const uint32_t *restrict c, const float *restrict w, uint64_t n, const float *restrict x32,
        const uint16_t *restrict x16, __m256 *acc, uint32_t D, uint32_t off, uint32_t S, const int H,
        const int F, uint64_t plim)
{
    const size_t esz = H ? 2 : 4;
    const char *base = H ? (const char *)(x16 + off) : (const char *)(x32 + off);
    for (uint64_t k = 0; k < n; k++) {
        if (k + PF_DIST < plim) {
            const char *pf = base + (size_t)c[k + PF_DIST] * D * esz;
            for (uint32_t b = 0; b < S * esz; b += 64) __builtin_prefetch(pf + b, 0, 3);
        }
        const __m256 wk = _mm256_set1_ps(w[k]);
        const uint16_t *restrict hj = H ? x16 + (size_t)c[k] * D + off : NULL;
        const float *restrict fj = H ? NULL : x32 + (size_t)c[k] * D + off;
        for (uint32_t q = 0; q < V8(S); q++) {
            const __m256 xq = H ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(hj + 8 * q)))
                                : _mm256_loadu_ps(fj + 8 * q);
            acc[q] = F ? VMADD(wk, xq, acc[q]) : _mm256_add_ps(acc[q], _mm256_mul_ps(wk, xq));
        }
    }
}

/* Columns [off, off+S) of one output row into acc (V8(S) registers). */
static inline __attribute__((always_inline)) void
reg_row(const graph_csr_t *a, uint32_t r, const float *x32, const uint16_t *x16,
          const float *addr, const uint8_t *restrict mask, uint8_t lim, __m256 *acc, uint32_t D,
          uint32_t off, uint32_t S, const int F)
{
    for (uint32_t q = 0; q < V8(S); q++)
        acc[q] = addr ? _mm256_loadu_ps(addr + off + 8 * q) : _mm256_setzero_ps();
    if (!x32 && !x16) return;
    const uint64_t k0 = a->ptr[r], k1 = a->ptr[r + 1];
    if (!mask || lim == GNN_GATHER_ALL) {
        if (x16) reg_gather(a->col + k0, a->val + k0, k1 - k0, NULL, x16, acc, D, off, S, 1, F, a->nnz - k0);
        else reg_gather(a->col + k0, a->val + k0, k1 - k0, x32, NULL, acc, D, off, S, 0, F, a->nnz - k0);
        return;
    }
    uint32_t cc[MASK_BLOCK];
    float cw[MASK_BLOCK];
    for (uint64_t k = k0; k < k1;) {
        const uint32_t n = compact(a->col, a->val, mask, lim, &k, k1, cc, cw);
        if (x16) reg_gather(cc, cw, n, NULL, x16, acc, D, off, S, 1, F, n);
        else reg_gather(cc, cw, n, x32, NULL, acc, D, off, S, 0, F, n);
    }
}

static inline __attribute__((always_inline)) void
reg_chunk(const gnn_spmm_t *s, uint32_t lo, uint32_t hi, uint32_t D, const int F)
{
    __m256 acc[V8(HSLAB)];
    for (uint32_t i = lo; i < hi; i++) {
        uint32_t r = s->rows ? s->rows[i] : i;
        size_t o = (size_t)r * D;
        const float *ar = s->add && (!s->mask || s->mask[r] == 0) ? s->add + o : NULL;
        /* the add rows of a row list are scattered: the hardware does not
         * fetch them ahead (a fifth of the product's stalls were there) */
        /* a row list is scattered too: fetch the CSR rows ahead, their
         * start (ptr) further ahead than the entries it locates */
        if (s->rows && i + 4 < hi) {
            __builtin_prefetch(s->a->ptr + s->rows[i + 4], 0, 3);
            const uint64_t k2 = s->a->ptr[s->rows[i + 2]];
            __builtin_prefetch(s->a->col + k2, 0, 3);
            __builtin_prefetch(s->a->val + k2, 0, 3);
        }
        if (s->add && i + ADD_PF < hi) {
            const uint32_t rn = s->rows ? s->rows[i + ADD_PF] : i + ADD_PF;
            const char *pf = (const char *)(s->add + (size_t)rn * D);
            for (uint32_t b = 0; b < D * 4; b += 64) __builtin_prefetch(pf + b, 0, 3);
        }
        for (uint32_t off = 0; off < D; off += HSLAB) {
            const uint32_t S = D - off < HSLAB ? D - off : HSLAB;
            reg_row(s->a, r, s->x32, s->x16, ar, s->mask, s->lim, acc, D, off, S, F);
            if (s->y16)
                for (uint32_t q = 0; q < V8(S); q++)
                    _mm_storeu_si128((__m128i *)(s->y16 + o + off + 8 * q),
                                     _mm256_cvtps_ph(acc[q], _MM_FROUND_TO_NEAREST_INT));
            else
                for (uint32_t q = 0; q < V8(S); q++) _mm256_storeu_ps(s->y32 + o + off + 8 * q, acc[q]);
        }
    }
}


static inline __attribute__((always_inline)) void
reg_adam_chunk(const gnn_spmm_t *s, uint32_t lo, uint32_t hi, float scale, const float *l2,
            float *p, float *m, float *v, uint16_t *p16, const gnn_adam_t *ad, uint32_t D, const int F)
{
    __m256 acc[V8(HSLAB)];
    float g[GNN_MAX_DIM];
    const __m256 vs = _mm256_set1_ps(scale);
    for (uint32_t r = lo; r < hi; r++) {
        size_t o = (size_t)r * D;
        /* three sequential streams among the random gathers: the hardware
         * prefetcher alone left the Adam pass 1.1x slower */
        if (r + ADAM_PF < hi) {
            const size_t on = o + (size_t)ADAM_PF * D;
            for (uint32_t b = 0; b < D * 4; b += 64) {
                __builtin_prefetch((const char *)(p + on) + b, 1, 3);
                __builtin_prefetch((const char *)(m + on) + b, 1, 3);
                __builtin_prefetch((const char *)(v + on) + b, 1, 3);
            }
        }
        const float *ar = s->add && (!s->mask || s->mask[r] == 0) ? s->add + o : NULL;
        const __m256 vc = _mm256_set1_ps(l2 ? l2[r] : 0.0f);
        for (uint32_t off = 0; off < D; off += HSLAB) {
            const uint32_t S = D - off < HSLAB ? D - off : HSLAB;
            reg_row(s->a, r, s->x32, s->x16, ar, s->mask, s->lim, acc, D, off, S, F);
            for (uint32_t q = 0; q < V8(S); q++)
                _mm256_storeu_ps(g + off + 8 * q,
                                 _mm256_add_ps(_mm256_mul_ps(vs, acc[q]),
                                               _mm256_mul_ps(vc, _mm256_loadu_ps(p + o + off + 8 * q))));
        }
        adam_span(p + o, m + o, v + o, g, D, ad);
        if (p16)
            for (uint32_t q = 0; q < V8(D); q++)
                _mm_storeu_si128((__m128i *)(p16 + o + 8 * q),
                                 _mm256_cvtps_ph(_mm256_loadu_ps(p + o + 8 * q), _MM_FROUND_TO_NEAREST_INT));
    }
}
#endif

/* Work units of a product: ranges of about CHUNK_NNZ of a's non-zeros, and
 * of a row list the listed rows within such a range (a list is ascending).
 * Rows are power-law: a unit of 32 rows of popular items held 100x the work
 * of 32 users', and the last one kept the other thread waiting at the end
 * of every product. */
#define CHUNK_NNZ 4096

static uint32_t n_units(const graph_csr_t *a)
{
    const uint64_t u = (a->nnz + CHUNK_NNZ - 1) / CHUNK_NNZ;
    return u ? (uint32_t)u : 1;
}

/* Rows (positions in the list, when there is one) [*lo, *hi) of unit c of nu. */
static void unit_range(const graph_csr_t *a, const uint32_t *rows, uint32_t n_rows, uint32_t c,
                       uint32_t nu, uint32_t *lo, uint32_t *hi)
{
    uint32_t r0 = c == 0 ? 0 : graph_csr_row_at(a, (uint64_t)c * a->nnz / nu);
    uint32_t r1 = c + 1 == nu ? a->n_rows : graph_csr_row_at(a, (uint64_t)(c + 1) * a->nnz / nu);
    *lo = rows ? graph_lower_bound(rows, n_rows, r0) : r0;
    *hi = rows ? (c + 1 == nu ? n_rows : graph_lower_bound(rows, n_rows, r1)) : r1;
}

/* Which kernel runs a product: the reference for a pattern matrix (no
 * values: the kernels read them), the register kernels where they exist,
 * else the portable loops when they compute it (float tables, no fma). */
enum { KERN_REF, KERN_PORTABLE, KERN_REG };

static int kernel_of(const gnn_spmm_t *s, int half_out)
{
    if (!s->a->val) return KERN_REF;
#ifdef __F16C__
    if (s->dim % 8 == 0) return KERN_REG;
#endif
    return !s->x16 && !half_out && !s->fma ? KERN_PORTABLE : KERN_REF;
}

/* The width a compile-time constant for the widths that matter; F, the
 * fma flag, one too. */
#define BY_DIM(D, CALL) \
    switch (D) { \
    case 32: CALL(32); break; \
    case 64: CALL(64); break; \
    case 128: CALL(128); break; \
    default: CALL(D); break; \
    }

void gnn_spmm(const gnn_spmm_t *s, int threads)
{
    const int kern = kernel_of(s, s->y16 != NULL);
    if (kern == KERN_REF) {
        gnn_spmm_ref(s);
        return;
    }
    const uint32_t n = s->rows ? s->n_rows : s->a->n_rows, nu = n_units(s->a), dim = s->dim;
    const int F = s->fma;
    (void)F;   /* without F16C only the portable loops, which have no fma */
    #pragma omp parallel for schedule(dynamic, 1) num_threads(gnn_team(threads, product_work(s->a, n, dim)))
    for (uint32_t c = 0; c < nu; c++) {
        uint32_t lo, hi;
        unit_range(s->a, s->rows, s->n_rows, c, nu, &lo, &hi);
#ifdef __F16C__
#define REG(D) (F ? reg_chunk(s, lo, hi, D, 1) : reg_chunk(s, lo, hi, D, 0))
        if (kern == KERN_REG) {
            BY_DIM(dim, REG)
            continue;
        }
#undef REG
#endif
#define PORTABLE(D) spmm_chunk(s, lo, hi, D)
        BY_DIM(dim, PORTABLE)
#undef PORTABLE
    }
}

void gnn_spmm_adam(const gnn_spmm_t *s, float scale, const float *l2, float *p, float *m,
                   float *v, uint16_t *p16, const gnn_adam_t *ad, int threads)
{
    const int kern = kernel_of(s, p16 != NULL);
    if (kern == KERN_REF) {
        gnn_spmm_adam_ref(s, scale, l2, p, m, v, p16, ad);
        return;
    }
    const uint32_t n = s->a->n_rows, nu = n_units(s->a), dim = s->dim;
    const int F = s->fma;
    (void)F;   /* without F16C only the portable loops, which have no fma */
    #pragma omp parallel for schedule(dynamic, 1) \
        num_threads(gnn_team(threads, product_work(s->a, n, dim) + 4.0 * n * dim))
    for (uint32_t c = 0; c < nu; c++) {
        uint32_t lo, hi;
        unit_range(s->a, NULL, 0, c, nu, &lo, &hi);
#ifdef __F16C__
#define REG(D) (F ? reg_adam_chunk(s, lo, hi, scale, l2, p, m, v, p16, ad, D, 1) \
                  : reg_adam_chunk(s, lo, hi, scale, l2, p, m, v, p16, ad, D, 0))
        if (kern == KERN_REG) {
            BY_DIM(dim, REG)
            continue;
        }
#undef REG
#endif
#define PORTABLE(D) adam_chunk(s, lo, hi, scale, l2, p, m, v, ad, D)
        BY_DIM(dim, PORTABLE)
#undef PORTABLE
    }
}
