/* csr.c - see csr.h. Construction is O(nnz) by counting sort; nothing here is
 * on a training hot path, so clarity wins over speed. */
#include "graph/csr.h"

#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int graph_csr_init(graph_csr_t *m, uint32_t n_rows, uint32_t n_cols, uint64_t nnz,
                   int with_val, err_t *e)
{
    memset(m, 0, sizeof *m);
    m->n_rows = n_rows;
    m->n_cols = n_cols;
    m->nnz = nnz;
    m->ptr = calloc((size_t)n_rows + 1, sizeof *m->ptr);
    m->col = malloc((nnz ? nnz : 1) * sizeof *m->col);
    m->val = with_val ? malloc((nnz ? nnz : 1) * sizeof *m->val) : NULL;
    if (!m->ptr || !m->col || (with_val && !m->val)) {
        graph_csr_destroy(m);
        return err_set(e, ERR_NOMEM, "out of memory for a %u x %u matrix with %llu entries",
                       n_rows, n_cols, (unsigned long long)nnz);
    }
    return ERR_OK;
}

void graph_csr_destroy(graph_csr_t *m)
{
    if (!m) return;
    free(m->ptr); free(m->col); free(m->val);
    memset(m, 0, sizeof *m);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void graph_csr_col_degrees(const graph_csr_t *m, float *deg)
{
    memset(deg, 0, (size_t)m->n_cols * sizeof *deg);
    for (uint64_t k = 0; k < m->nnz; k++) deg[m->col[k]] += 1.0f;
}

int graph_csr_from_pairs(graph_csr_t *m, uint32_t n_rows, uint32_t n_cols,
                         const uint32_t *rows, const uint32_t *cols, uint64_t n, err_t *e)
{
    /* a pair out of range would write past ptr: callers check ids with a
     * better message (graph/load.c); this keeps a missed check from crashing */
    memset(m, 0, sizeof *m);
    for (uint64_t i = 0; i < n; i++)
        if (rows[i] >= n_rows || cols[i] >= n_cols)
            return err_set(e, ERR_INTERNAL, "csr: pair (%u, %u) outside %u x %u", rows[i], cols[i], n_rows, n_cols);
    int rc = graph_csr_init(m, n_rows, n_cols, n, 0, e);
    if (rc) return rc;
    for (uint64_t i = 0; i < n; i++) m->ptr[rows[i] + 1]++;
    for (uint32_t r = 0; r < n_rows; r++) m->ptr[r + 1] += m->ptr[r];
    uint64_t *fill = malloc(((size_t)n_rows + 1) * sizeof *fill);
    if (!fill) { graph_csr_destroy(m); return err_set(e, ERR_NOMEM, "out of memory"); }
    memcpy(fill, m->ptr, ((size_t)n_rows + 1) * sizeof *fill);
    for (uint64_t i = 0; i < n; i++) m->col[fill[rows[i]]++] = cols[i];
    free(fill);
    /* sort and dedup each row, compacting in place */
    uint64_t w = 0;
    for (uint32_t r = 0; r < n_rows; r++) {
        uint64_t a = m->ptr[r], b = m->ptr[r + 1];
        qsort(m->col + a, b - a, sizeof *m->col, cmp_u32);
        m->ptr[r] = w;
        for (uint64_t i = a; i < b; i++)
            if (i == a || m->col[i] != m->col[i - 1]) m->col[w++] = m->col[i];
    }
    m->ptr[n_rows] = w;
    m->nnz = w;
    return ERR_OK;
}

int graph_csr_transpose(const graph_csr_t *a, graph_csr_t *t, err_t *e)
{
    int rc = graph_csr_init(t, a->n_cols, a->n_rows, a->nnz, a->val != NULL, e);
    if (rc) return rc;
    for (uint64_t i = 0; i < a->nnz; i++) t->ptr[a->col[i] + 1]++;
    for (uint32_t c = 0; c < a->n_cols; c++) t->ptr[c + 1] += t->ptr[c];
    uint64_t *fill = malloc(((size_t)a->n_cols + 1) * sizeof *fill);
    if (!fill) { graph_csr_destroy(t); return err_set(e, ERR_NOMEM, "out of memory"); }
    memcpy(fill, t->ptr, ((size_t)a->n_cols + 1) * sizeof *fill);
    /* rows visited in order, so each transposed row comes out sorted */
    for (uint32_t r = 0; r < a->n_rows; r++)
        for (uint64_t i = a->ptr[r]; i < a->ptr[r + 1]; i++) {
            uint64_t k = fill[a->col[i]]++;
            t->col[k] = r;
            if (a->val) t->val[k] = a->val[i];
        }
    free(fill);
    return ERR_OK;
}

uint32_t graph_csr_row_at(const graph_csr_t *m, uint64_t k)
{
    uint32_t lo = 0, hi = m->n_rows;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->ptr[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

uint32_t graph_lower_bound(const uint32_t *a, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int graph_csr_has(const graph_csr_t *m, uint32_t r, uint32_t c)
{
    const uint32_t *row = m->col + m->ptr[r], n = (uint32_t)(m->ptr[r + 1] - m->ptr[r]);
    const uint32_t q = graph_lower_bound(row, n, c);
    return q < n && row[q] == c;
}

int graph_norm_bipartite(const graph_csr_t *r, graph_csr_t *adj, err_t *e)
{
    uint32_t nu = r->n_rows, ni = r->n_cols;
    if ((uint64_t)nu + ni > UINT32_MAX)
        return err_set(e, ERR_INPUT, "too many nodes for one adjacency (%u users + %u items)", nu, ni);
    uint32_t n = nu + ni;
    graph_csr_t rt;
    int rc = graph_csr_transpose(r, &rt, e);
    if (rc) return rc;
    rc = graph_csr_init(adj, n, n, 2 * r->nnz, 1, e);
    if (rc) { graph_csr_destroy(&rt); return rc; }
    float *dinv = malloc((size_t)(n ? n : 1) * sizeof *dinv);
    if (!dinv) {
        graph_csr_destroy(&rt); graph_csr_destroy(adj);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    for (uint32_t u = 0; u < nu; u++) {
        uint64_t d = r->ptr[u + 1] - r->ptr[u];
        dinv[u] = d ? (float)(1.0 / sqrt((double)d)) : 0.0f;
    }
    for (uint32_t i = 0; i < ni; i++) {
        uint64_t d = rt.ptr[i + 1] - rt.ptr[i];
        dinv[nu + i] = d ? (float)(1.0 / sqrt((double)d)) : 0.0f;
    }
    uint64_t k = 0;
    for (uint32_t u = 0; u < nu; u++) {
        adj->ptr[u] = k;
        for (uint64_t j = r->ptr[u]; j < r->ptr[u + 1]; j++) {
            adj->col[k] = nu + r->col[j];
            adj->val[k++] = dinv[u] * dinv[nu + r->col[j]];
        }
    }
    for (uint32_t i = 0; i < ni; i++) {
        adj->ptr[nu + i] = k;
        for (uint64_t j = rt.ptr[i]; j < rt.ptr[i + 1]; j++) {
            adj->col[k] = rt.col[j];
            adj->val[k++] = dinv[nu + i] * dinv[rt.col[j]];
        }
    }
    adj->ptr[n] = k;
    free(dinv);
    graph_csr_destroy(&rt);
    return ERR_OK;
}

void graph_interactions_destroy(graph_interactions_t *g)
{
    if (!g) return;
    graph_csr_destroy(&g->train);
    graph_csr_destroy(&g->test);
}

int graph_csr_holdout(const graph_csr_t *m, double frac, uint64_t seed, graph_csr_t *keep,
                      graph_csr_t *held, err_t *e)
{
    uint8_t *out = calloc(m->nnz ? m->nnz : 1, 1);
    uint32_t *perm = NULL, maxdeg = 0;
    if (!out) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint32_t r = 0; r < m->n_rows; r++) {
        uint64_t d = m->ptr[r + 1] - m->ptr[r];
        if (d > maxdeg) maxdeg = (uint32_t)d;
    }
    perm = malloc((maxdeg ? maxdeg : 1) * sizeof *perm);
    if (!perm) { free(out); return err_set(e, ERR_NOMEM, "out of memory"); }
    rng_t rng;
    rng_seed_stream(&rng, seed, 0x5a11d);
    uint64_t n_held = 0;
    for (uint32_t r = 0; r < m->n_rows; r++) {
        uint64_t a = m->ptr[r], d = m->ptr[r + 1] - a;
        if (d < 2) continue;
        uint64_t k = (uint64_t)floor(frac * (double)d + 0.5);
        if (k >= d) k = d - 1;
        for (uint32_t j = 0; j < d; j++) perm[j] = j;
        rng_shuffle_u32(&rng, perm, d);
        for (uint64_t j = 0; j < k; j++) out[a + perm[j]] = 1;
        n_held += k;
    }
    free(perm);
    int rc = graph_csr_init(keep, m->n_rows, m->n_cols, m->nnz - n_held, 0, e);
    if (!rc) rc = graph_csr_init(held, m->n_rows, m->n_cols, n_held, 0, e);
    if (rc) { graph_csr_destroy(keep); free(out); return rc; }
    uint64_t wk = 0, wh = 0;
    for (uint32_t r = 0; r < m->n_rows; r++) {
        keep->ptr[r] = wk;
        held->ptr[r] = wh;
        for (uint64_t i = m->ptr[r]; i < m->ptr[r + 1]; i++) {
            if (out[i]) held->col[wh++] = m->col[i];
            else keep->col[wk++] = m->col[i];
        }
    }
    keep->ptr[m->n_rows] = wk;
    held->ptr[m->n_rows] = wh;
    free(out);
    return ERR_OK;
}
