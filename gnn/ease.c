/* ease.c - EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse
 * Data", WWW 2019; gfcf.h, docs/frontier.md): the closed-form item-item model
 *
 *   P = (X^T X + lambda I)^-1,   B = I - P diag(1/diag(P))   (so diag(B) = 0)
 *   s = r B                      (r the binary history row)
 *
 * fitted densely: the Gram matrix from the sparse rows of R (each item's
 * row is one pass over its users' items, sum of squared user degrees in
 * all), then OpenBLAS's LAPACK: spotrf (Cholesky) and spotri (the inverse
 * from it), I^3 flops in all. One I x I float matrix holds G, then P, then
 * B (in place); the scorer sums the history's rows of B. Assumes
 * gnn_gfcf_init ran (R^T).
 */
#include "gnn/gfcf.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LAPACK from OpenBLAS (no lapacke.h on the machine); the trailing size_t is
 * gfortran's hidden length of the character argument. */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);

uint32_t gnn_ease_chunk_rows(uint32_t n_items)
{
    const size_t cap = ((size_t)1 << 31) - ((size_t)1 << 20), row = (size_t)(n_items ? n_items : 1) * sizeof(float);
    return (uint32_t)(cap / row);
}

uint32_t gnn_ease_chunks(uint32_t n_items)
{
    const uint32_t r = gnn_ease_chunk_rows(n_items);
    return (uint32_t)(((uint64_t)n_items + r - 1) / r);
}

uint32_t gnn_ease_chunk_len(uint32_t n_items, uint32_t c)
{
    const uint64_t r = gnn_ease_chunk_rows(n_items), r0 = (uint64_t)c * r;
    return r0 >= n_items ? 0 : (uint32_t)(r0 + r < n_items ? r : n_items - r0);
}

const char *gnn_ease_chunk_key(uint32_t c, char *buf)
{
    if (c == 0) return strcpy(buf, "gfcf_v");
    snprintf(buf, 24, "gfcf_v%u", c);
    return buf;
}

int gnn_ease_set(gnn_gfcf_t *m, const float *const *chunks, err_t *e)
{
    const uint32_t nc = gnn_ease_chunks(m->n_items);
    free(m->ease_b);
    m->ease_b = malloc(((size_t)nc + 1) * sizeof *m->ease_b);
    if (!m->ease_b) return err_set(e, ERR_NOMEM, "ease: out of memory");
    for (uint32_t c = 0; c < nc; c++) m->ease_b[c] = chunks[c];
    m->ease_rows = gnn_ease_chunk_rows(m->n_items);
    m->ease_chunks = nc;
    m->v = nc ? chunks[0] : NULL;
    m->k = m->n_items;
    return ERR_OK;
}

/* Half of the machine's memory: the other half is left to the saved copy
 * (the store's pages) and everything else. */
static size_t default_budget(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : SIZE_MAX;
}

int gnn_ease_fit(gnn_gfcf_t *m, int threads, size_t budget, err_t *e)
{
    const uint32_t ni = m->n_items;
    const size_t nn = (size_t)ni * ni, bytes = nn * sizeof(float);
    if (!budget) budget = default_budget();
    free(m->v_own);
    free(m->s_own);
    free(m->ease_b);
    m->ease_b = NULL;
    m->v_own = m->s_own = NULL;
    m->v = NULL;
    m->k = 0;
    if (bytes > budget)
        return err_set(e, ERR_USAGE,
                       "ease: the %u x %u item matrix needs %.1f GiB, over the memory budget of %.1f GiB (half of "
                       "this machine's memory); use itemknn or a graph filter for this many items",
                       ni, ni, (double)bytes / (1u << 30), (double)budget / (1u << 30));
    if (ni == 0) return ERR_OK;
    if (ni > 46340u)   /* I^2 must fit LAPACK's 32-bit int offsets */
        return err_set(e, ERR_USAGE, "ease: %u items, more than LAPACK's 46,340", ni);
    float *g = calloc(nn, sizeof *g), *d = malloc((size_t)ni * sizeof *d);
    if (!g || !d) {
        free(g); free(d);
        return err_set(e, ERR_NOMEM, "ease: out of memory for the %u x %u item matrix", ni, ni);
    }
    const int nt = threads > 0 ? threads : omp_get_max_threads();
    /* G = X^T X + lambda I, row j from j's users (rows owned: no races) */
    #pragma omp parallel for schedule(dynamic, 64) num_threads(nt)
    for (uint32_t j = 0; j < ni; j++) {
        float *gj = g + (size_t)j * ni;
        for (uint64_t a = m->rt.ptr[j]; a < m->rt.ptr[j + 1]; a++) {
            const uint32_t v = m->rt.col[a];
            for (uint64_t b = m->r->ptr[v]; b < m->r->ptr[v + 1]; b++) gj[m->r->col[b]] += 1.0f;
        }
        gj[j] += m->p.ease_lambda;
    }
    /* G is symmetric, so row-major is column-major: "L" works on (and
     * spotri leaves P in) the row-major upper triangle, c >= r */
    const int n = (int)ni;
    int info = 0;
    const int blas_saved = openblas_get_num_threads();
    openblas_set_num_threads(nt);
    spotrf_("L", &n, g, &n, &info, 1);
    if (!info) spotri_("L", &n, g, &n, &info, 1);
    openblas_set_num_threads(blas_saved);
    if (info) {
        free(g); free(d);
        return err_set(e, info > 0 ? ERR_USAGE : ERR_INTERNAL,
                       "ease: X^T X + lambda I is not positive definite (lambda %g%s; LAPACK info %d)",
                       (double)m->p.ease_lambda, m->p.ease_lambda > 0 ? "" : ": an item without users needs lambda > 0",
                       info);
    }
    /* the lower triangle from the upper one, in tiles (both sides stay in cache) */
    const uint32_t t = 64;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (uint32_t r0 = 0; r0 < ni; r0 += t)
        for (uint32_t c0 = 0; c0 <= r0; c0 += t)
            for (uint32_t r = r0; r < r0 + t && r < ni; r++)
                for (uint32_t c = c0; c < c0 + t && c < r; c++) g[(size_t)r * ni + c] = g[(size_t)c * ni + r];
    for (uint32_t j = 0; j < ni; j++) d[j] = g[(size_t)j * ni + j];
    /* B = I - P diag(1/diag(P)): B_rc = -P_rc / P_cc, B_rr = 0 */
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (uint32_t r = 0; r < ni; r++) {
        float *br = g + (size_t)r * ni;
        for (uint32_t c = 0; c < ni; c++) br[c] = -br[c] / d[c];
        br[r] = 0.0f;
    }
    m->v_own = g;
    m->s_own = d;
    const uint32_t nc = gnn_ease_chunks(ni), rows = gnn_ease_chunk_rows(ni);
    const float **ch = malloc(((size_t)nc + 1) * sizeof *ch);
    if (!ch) return err_set(e, ERR_NOMEM, "ease: out of memory");
    for (uint32_t c = 0; c < nc; c++) ch[c] = g + (size_t)c * rows * ni;
    const int rc = gnn_ease_set(m, ch, e);
    free(ch);
    return rc;
}

int gnn_ease_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                   err_t *e)
{
    const uint32_t ni = m->n_items;
    memset(out, 0, (size_t)n * ni * sizeof *out);
    if (m->k != ni || !m->ease_b) return err_set(e, ERR_USAGE, "ease: no matrix of %u x %u", ni, ni);
    for (uint32_t q = 0; q < n; q++) {
        float *o = out + (size_t)q * ni;
        for (uint64_t c = hist->ptr[rows[q]]; c < hist->ptr[rows[q] + 1]; c++) {
            const uint32_t i = hist->col[c];
            if (i >= ni) continue;
            const float *b = m->ease_b[i / m->ease_rows] + (size_t)(i % m->ease_rows) * ni;
            for (uint32_t j = 0; j < ni; j++) o[j] += b[j];
        }
    }
    return ERR_OK;
}

/* ---- reference: the inverse by Gauss-Jordan elimination, in double ---- */

int gnn_ease_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                       err_t *e)
{
    const uint32_t ni = m->n_items, w = 2 * ni;
    double *a = calloc((size_t)ni * w + 1, sizeof *a);
    if (!a) return err_set(e, ERR_NOMEM, "ease reference: out of memory");
    /* [G | I], G = X^T X + lambda I entry by entry from the users' rows */
    const graph_csr_t *R = m->r;
    for (uint32_t v = 0; v < m->n_users; v++)
        for (uint64_t x = R->ptr[v]; x < R->ptr[v + 1]; x++)
            for (uint64_t y = R->ptr[v]; y < R->ptr[v + 1]; y++) a[(size_t)R->col[x] * w + R->col[y]] += 1.0;
    for (uint32_t i = 0; i < ni; i++) {
        a[(size_t)i * w + i] += m->p.ease_lambda;
        a[(size_t)i * w + ni + i] = 1.0;
    }
    for (uint32_t c = 0; c < ni; c++) {   /* partial pivoting */
        uint32_t piv = c;
        for (uint32_t r = c + 1; r < ni; r++)
            if (fabs(a[(size_t)r * w + c]) > fabs(a[(size_t)piv * w + c])) piv = r;
        if (fabs(a[(size_t)piv * w + c]) < 1e-12) {
            free(a);
            return err_set(e, ERR_USAGE, "ease reference: singular matrix");
        }
        for (uint32_t j = 0; j < w && piv != c; j++) {
            double s = a[(size_t)c * w + j];
            a[(size_t)c * w + j] = a[(size_t)piv * w + j];
            a[(size_t)piv * w + j] = s;
        }
        const double p = a[(size_t)c * w + c];
        for (uint32_t j = 0; j < w; j++) a[(size_t)c * w + j] /= p;
        for (uint32_t r = 0; r < ni; r++) {
            const double f = a[(size_t)r * w + c];
            if (r == c || f == 0.0) continue;
            for (uint32_t j = 0; j < w; j++) a[(size_t)r * w + j] -= f * a[(size_t)c * w + j];
        }
    }
    /* P = the right half; s_j = sum over the history's items i != j of -P_ij / P_jj */
    for (uint32_t q = 0; q < n; q++)
        for (uint32_t j = 0; j < ni; j++) {
            double s = 0.0;
            for (uint64_t c = hist->ptr[rows[q]]; c < hist->ptr[rows[q] + 1]; c++) {
                const uint32_t i = hist->col[c];
                if (i != j) s -= a[(size_t)i * w + ni + j] / a[(size_t)j * w + ni + j];
            }
            out[(size_t)q * ni + j] = (float)s;
        }
    free(a);
    return ERR_OK;
}
