/* prop.c - LightGCN propagation restricted to a batch's receptive field.
 *
 * The mean over layers is linear: F = P E0 with P = sum_{k<=K} A^k / (K+1),
 * evaluated by Horner's rule Z_1 = E0 + A E0, Z_j = E0 + A Z_{j-1},
 * F = Z_K / (K+1). Only the batch's rows of F are needed, so Z_j is computed
 * on the rows within K-j hops of the batch (Z_K on the batch alone).
 * A is symmetric, so dL/dE0 = P G: the same recursion run from G, which is
 * non-zero only on the batch's rows; Y_j = G + A Y_{j-1} is non-zero within
 * j hops, so each backward product gathers only from the previous support
 * (the mask), and the last one (every row) is fused with Adam.
 * Training steps keep the gathered tables (a copy of E0, Z_1..Z_{K-1},
 * Y_1..Y_{K-1}) in float16 unless hp.fp32_tables: every product then moves
 * half the bytes; sums, Z_K (read by BPR), G and the Adam state stay float32.
 * Assumes adj is graph_norm_bipartite's matrix (square, symmetric, values).
 */
#include <string.h>

#include <omp.h>

#include "base/clock.h"
#include "gnn/internal.h"

static void mark(gnn_ws_t *w, uint32_t r, uint32_t *n0)
{
    if (w->dist[r] != 0) {
        w->dist[r] = 0;
        w->frontier[(*n0)++] = r;
    }
}

/* First k in [lo, hi) with col[k] >= c (rows of adj are in column order).
 * Every thread searches every batch row: the mispredicted branches of a
 * plain binary search were a third of building bcols, so the search is
 * branch-free (its step a conditional move). */
static uint64_t lower_col(const uint32_t *col, uint64_t lo, uint64_t hi, uint32_t c)
{
    /* the ends first: on a bipartite graph a thread's column range holds
     * all of a row or none of it, and the search's misses along a long row
     * cost more than the search's arithmetic */
    if (lo == hi || col[lo] >= c) return lo;
    if (col[hi - 1] < c) return hi;
    uint64_t n = hi - lo;
    const uint32_t *base = col + lo;
    while (n > 1) {
        const uint64_t half = n / 2;
        base = base[half] < c ? base + half : base;
        n -= half;
    }
    return (uint64_t)(base - col) + (*base < c);
}

#define GNN_MAX_THREADS_BCOLS 64

/* The batch's rows are scattered over adj: fetch the start of the row 16
 * ahead and the entries of the row 8 ahead (each visit otherwise waits on
 * two or three cache misses, and every thread visits every batch row). */
static inline void prefetch_row(const graph_csr_t *adj, const uint32_t *l, uint32_t q, uint32_t n)
{
    if (q + 16 < n) __builtin_prefetch(adj->ptr + l[q + 16], 0, 3);
    if (q + 8 < n) {
        const uint64_t k = adj->ptr[l[q + 8]];
        __builtin_prefetch(adj->col + k, 0, 3);
        __builtin_prefetch(adj->val + k, 0, 3);
    }
}

/* bcols = A[:, level 0] by a counting sort of the batch's rows (A is
 * symmetric, so row b's entries are column b's). Batch nodes are visited in
 * ascending order, so each row's entries come out in column order: the same
 * summation order as the masked product over adj. Parallel by ranges of
 * output rows (split where adj's non-zeros are), each thread taking its
 * slice of every batch row by binary search: the output is the serial one
 * whatever the thread count. */
static void build_bcols(gnn_ws_t *w, const graph_csr_t *adj, int threads)
{
    graph_csr_t *s = &w->bcols;
    uint64_t *restrict ptr = s->ptr, *restrict fill = w->fill;
    uint32_t *restrict scol = s->col;
    float *restrict sval = s->val;
    const uint32_t *restrict acol = adj->col;
    const float *restrict aval = adj->val;
    const uint32_t n = w->n, *l0 = w->lists, n0 = w->list_n[0];
    /* two passes over the batch rows' entries, each a scattered write that
     * costs about what gathering a 64-wide row does */
    const int nt = gnn_team(threads, 64.0 * n0 * ((double)adj->nnz / (adj->n_rows ? adj->n_rows : 1)));
    uint64_t base[GNN_MAX_THREADS_BCOLS + 1];
    const int T = nt < GNN_MAX_THREADS_BCOLS ? nt : GNN_MAX_THREADS_BCOLS;
    ptr[0] = 0;
    #pragma omp parallel num_threads(T)
    {
        const int id = omp_get_thread_num(), tn = omp_get_num_threads();
        /* output rows [c0, c1): an equal share of adj's non-zeros */
        const uint32_t c0 = id == 0 ? 0 : graph_csr_row_at(adj, (uint64_t)id * adj->nnz / tn);
        const uint32_t c1 = id == tn - 1 ? n : graph_csr_row_at(adj, (uint64_t)(id + 1) * adj->nnz / tn);
        for (uint32_t c = c0; c < c1; c++) ptr[c + 1] = 0;
        for (uint32_t q = 0; q < n0; q++) {
            prefetch_row(adj, l0, q, n0);
            const uint32_t b = l0[q];
            const uint64_t k1 = adj->ptr[b + 1];
            for (uint64_t k = lower_col(acol, adj->ptr[b], k1, c0); k < k1 && acol[k] < c1; k++)
                ptr[acol[k] + 1]++;
        }
        uint64_t sum = 0;
        for (uint32_t c = c0; c < c1; c++) ptr[c + 1] = sum += ptr[c + 1];
        base[id + 1] = sum;
        #pragma omp barrier
        uint64_t off = 0;
        for (int t = 1; t <= id; t++) off += base[t];
        for (uint32_t c = c0; c < c1; c++) ptr[c + 1] += off;
        #pragma omp barrier
        for (uint32_t c = c0; c < c1; c++) fill[c] = ptr[c];
        for (uint32_t q = 0; q < n0; q++) {
            prefetch_row(adj, l0, q, n0);
            const uint32_t b = l0[q];
            const uint64_t k1 = adj->ptr[b + 1];
            for (uint64_t k = lower_col(acol, adj->ptr[b], k1, c0); k < k1 && acol[k] < c1; k++) {
                uint64_t at = fill[acol[k]]++;
                scol[at] = b;
                sval[at] = aval[k];
            }
        }
    }
    s->nnz = ptr[n];
}

int gnn_prop_field(gnn_ws_t *w, const graph_csr_t *adj, uint32_t n_users,
                   const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t,
                   uint32_t levels, int with_bcols, int threads, err_t *e)
{
    uint8_t *dist = w->dist;
    memset(dist, GNN_DIST_FAR, w->n);
    uint32_t nf = 0, field = 0, lev0 = 0;
    for (uint32_t k = 0; k < t; k++) {
        mark(w, u[k], &nf);
        mark(w, n_users + i[k], &nf);
        mark(w, n_users + j[k], &nf);
    }
    w->y1 = adj;
    if (with_bcols) {
        /* bcols needs level 0 in node order; its rows are the batch's
         * neighbours, so building it first gives level 1 for free (a separate
         * pass over the same edges cost as much as the build) */
        uint32_t n0 = 0;
        for (uint32_t r = 0; r < w->n; r++)
            if (dist[r] == 0) w->lists[n0++] = r;
        w->list_n[0] = n0;
        if (w->wide && (uint64_t)n0 * w->wide > w->n) {
            /* A batch this wide (a large graph at a fixed number of steps
             * per epoch: ~40% of the nodes, every item among them, at 1M to
             * 16M interactions) reaches nearly everything in one hop: every
             * other row is called level 1, which is exact (Z_1..Z_{K-1} and
             * Y_1.. are then computed on every row, from tables valid on
             * every row), and Y_1 gathers G through adj itself, only from
             * the batch's columns (y1_lim: the same terms in the same order
             * as through bcols). No bcols: neither its build, two scattered
             * passes over the batch rows' edges that cost more than Y_1
             * itself at 16M (2.3 s against 1.2 s a step, loaded machine),
             * nor its nnz x 8 bytes. */
            for (uint32_t r = 0; r < w->n; r++)
                if (dist[r] != 0) dist[r] = 1;
            lev0 = levels;
        } else {
            if (w->bcols_cap < adj->nnz) {
                graph_csr_destroy(&w->bcols);
                w->bcols_cap = 0;
                int rc = graph_csr_init(&w->bcols, w->n, w->n, adj->nnz, 1, e);
                if (rc) return rc;
                w->bcols_cap = adj->nnz;
            }
            w->y1 = &w->bcols;
            double t0 = clock_now();
            build_bcols(w, adj, threads);
            w->prof_bcols += clock_now() - t0;
            if (levels >= 2) {
                const uint64_t *bp = w->bcols.ptr;
                nf = 0;
                for (uint32_t r = 0; r < w->n; r++)
                    if (dist[r] > 1 && bp[r + 1] > bp[r]) {
                        dist[r] = 1;
                        w->frontier[nf++] = r;
                    }
                field = n0;
                lev0 = 1;
            }
        }
    }
    /* Expand one hop at a time from the nodes at exactly distance lev. Each
     * thread owns a range of destination nodes and takes its slice of every
     * frontier row by binary search (rows are in column order): threads
     * storing bytes into the same cache lines of dist made the lines bounce
     * between cores (1.6 ms per gowalla step for 194k edges). */
    for (uint32_t lev = lev0; lev + 1 < levels; lev++) {
        const uint8_t nl = (uint8_t)(lev + 1);
        field += nf;
        /* The outermost level only says which rows to compute, so any
         * superset is exact. Once the field holds a quarter of the graph its
         * next hop is nearly everything (gowalla: 75% within one hop, 100%
         * within two); scanning those edges would cost more than the few
         * rows it saves, so call everything left level lev+1. */
        if (lev + 2 == levels && 4 * (uint64_t)field > w->n) {
            for (uint32_t r = 0; r < w->n; r++)
                if (dist[r] > nl) dist[r] = nl;
            break;
        }
        const uint32_t *fr = w->frontier;
        #pragma omp parallel num_threads(gnn_team(threads, 4.0 * nf * adj->nnz / adj->n_rows))
        {
            const uint32_t id = (uint32_t)omp_get_thread_num(), tn = (uint32_t)omp_get_num_threads();
            const uint32_t c0 = (uint32_t)((uint64_t)w->n * id / tn), c1 = (uint32_t)((uint64_t)w->n * (id + 1) / tn);
            for (uint32_t f = 0; f < nf; f++) {
                const uint32_t r = fr[f];
                const uint64_t k1 = adj->ptr[r + 1];
                for (uint64_t k = tn > 1 ? lower_col(adj->col, adj->ptr[r], k1, c0) : adj->ptr[r];
                     k < k1 && adj->col[k] < c1; k++)
                    if (dist[adj->col[k]] > nl) dist[adj->col[k]] = nl;
            }
        }
        if (lev + 2 < levels) {
            nf = 0;
            for (uint32_t r = 0; r < w->n; r++)
                if (dist[r] == nl) w->frontier[nf++] = r;
        }
    }
    /* level lists in node order, so the products walk memory forwards */
    for (uint32_t l = 0; l < levels; l++) w->list_n[l] = 0;
    for (uint32_t r = 0; r < w->n; r++) {
        uint32_t d = dist[r];
        for (uint32_t l = d; l < levels; l++) w->lists[(size_t)l * w->n + w->list_n[l]++] = r;
    }
    return ERR_OK;
}

/* The rows of level l for a product: NULL (every row) when the level holds
 * the whole graph: a full list in node order is the identity, and without
 * it the kernels skip the list's reads and the binary searches that cut it
 * into work units. */
const uint32_t *gnn_prop_rows(const gnn_ws_t *w, uint32_t l)
{
    return w->list_n[l] == w->n ? NULL : w->lists + (size_t)l * w->n;
}

const float *gnn_lgcn_forward(gnn_model_t *m, const graph_csr_t *adj, int half, float *zscale)
{
    gnn_ws_t *w = m->ws;
    const uint32_t K = m->hp.layers, dim = m->hp.dim;
    *zscale = 1.0f / (float)(K + 1);
    if (K == 0) return m->emb0;
    if (half) {
        /* Z_1 gathers the half copy of E0, Z_j the half Z_{j-1}; the add
         * term E0 is read in float32 (streamed, not gathered), and Z_K, which
         * BPR reads, stays float32. Half tables live in the float buffers. */
        const uint16_t *prev = w->e0h;
        for (uint32_t j = 1; j <= K; j++) {
            uint32_t lev = K - j;
            float *out = w->buf[(j - 1) & 1];
            gnn_spmm_t s = {.a = adj, .rows = gnn_prop_rows(w, lev), .n_rows = w->list_n[lev],
                            .x16 = prev, .add = m->emb0, .fma = 1, .dim = dim};
            if (j == K) s.y32 = out;
            else s.y16 = (uint16_t *)out;
            double t0 = clock_now();
            gnn_spmm(&s, m->hp.threads);
            w->prof[j - 1] += clock_now() - t0;
            prev = (const uint16_t *)out;
        }
        return w->buf[(K - 1) & 1];
    }
    const float *prev = m->emb0;
    for (uint32_t j = 1; j <= K; j++) {
        uint32_t lev = K - j;
        float *out = w->buf[(j - 1) & 1];
        double t0 = clock_now();
        gnn_spmm(&(gnn_spmm_t){.a = adj, .rows = gnn_prop_rows(w, lev), .n_rows = w->list_n[lev],
                               .x32 = prev, .add = m->emb0, .y32 = out, .dim = dim}, m->hp.threads);
        w->prof[j - 1] += clock_now() - t0;
        prev = out;
    }
    return prev;
}

/* Y_{j-1} is valid on the rows with dist < lim only. When that support is
 * most of the graph, zero the rest (cheap: a quarter of the rows, written
 * once) so the next product can gather every neighbour: skipping masked
 * neighbours costs a compaction pass per row, more than gathering the few
 * zero rows it would skip. Returns the lim for that product. */
static uint8_t widen_support(uint16_t *y, const gnn_ws_t *w, uint8_t lim, uint32_t dim, int threads)
{
    if (2 * (uint64_t)w->list_n[lim - 1] < w->n) return lim;
    if (w->list_n[lim - 1] < w->n) {
        #pragma omp parallel for schedule(static, 1024) num_threads(gnn_team(threads, (double)w->n * dim))
        for (uint32_t r = 0; r < w->n; r++)
            if (w->dist[r] >= lim) memset(y + (size_t)r * dim, 0, dim * sizeof *y);
    }
    return GNN_GATHER_ALL;
}

/* The mask limit of Y_1's gather from G. Through bcols every column is a
 * batch node: gather all. Through adj itself (a wide batch) only the batch's
 * columns (dist 0) hold non-zero G: the kernel's compaction is a sequential
 * scan of the row's columns against dist (n bytes, cached), far cheaper than
 * gathering the zero rows (at 16M interactions ~60% of the batch-free
 * entries); the sums are the same, the skipped terms being exact zeros. */
static uint8_t y1_lim(const gnn_ws_t *w, const graph_csr_t *adj)
{
    return w->y1 == adj ? 1 : GNN_GATHER_ALL;
}

/* Backward stage j's add table, and what Y_1 gathers (j = 0): G, or the
 * table gnn_cl_inject left for the contrastive term's stage. */
static const float *stage_g(const gnn_ws_t *w, uint32_t j)
{
    return w->inj && w->inj_stage == j ? w->inj : w->g;
}

/* The half path: G is multiplied by gmul (a power of two, so exactly) before
 * it is stored as halves: dL/dF is ~1/T per occurrence and would otherwise
 * fall into float16's subnormals; the product is linear, so the last,
 * float32 step divides it out again. Y_1 gathers from G through bcols (G
 * lives on the batch's rows); later products gather from the previous half
 * table, widened to every row when its support is most of the graph. */
static void backward_half(gnn_model_t *m, const graph_csr_t *adj, const gnn_adam_t *adam, float gmul)
{
    gnn_ws_t *w = m->ws;
    const uint32_t K = m->hp.layers, dim = m->hp.dim;
    for (uint32_t q = 0; q < w->list_n[0]; q++) {
        float *gr = w->g + (size_t)w->lists[q] * dim;
        for (uint32_t d = 0; d < dim; d++) gr[d] *= gmul;
    }
    gnn_cl_inject(m, gmul);
    uint16_t *prev = NULL;   /* Y_{j-1} as halves; Y_0 = G is float32 */
    for (uint32_t j = 1; j < K; j++) {
        uint16_t *out = (uint16_t *)w->buf[(j - 1) & 1];
        double t0 = clock_now();
        /* bcols holds only the batch's columns: nothing to skip */
        const uint8_t lim = j == 1 ? y1_lim(w, adj) : widen_support(prev, w, (uint8_t)j, dim, m->hp.threads);
        gnn_spmm_t s = {.a = j == 1 ? w->y1 : adj, .rows = gnn_prop_rows(w, j),
                        .n_rows = w->list_n[j], .x32 = j == 1 ? stage_g(w, 0) : NULL, .x16 = prev,
                        .add = stage_g(w, j), .mask = w->dist, .lim = lim, .fma = 1, .y16 = out, .dim = dim};
        gnn_spmm(&s, m->hp.threads);
        w->prof[GNN_MAX_LAYERS + j - 1] += clock_now() - t0;
        prev = out;
    }
    double t0 = clock_now();
    const uint8_t lim = K == 1 ? y1_lim(w, adj) : widen_support(prev, w, (uint8_t)K, dim, m->hp.threads);
    const gnn_spmm_t s = {.a = K == 1 ? w->y1 : adj, .x32 = K == 1 ? stage_g(w, 0) : NULL, .x16 = prev,
                          .add = stage_g(w, K), .mask = w->dist, .lim = lim, .fma = 1, .dim = dim};
    gnn_spmm_adam(&s, 1.0f / ((float)(K + 1) * gmul), w->l2, m->emb0, m->adam_m, m->adam_v, w->e0h,
                  adam, m->hp.threads);
    w->prof[GNN_MAX_LAYERS + K - 1] += clock_now() - t0;
}

void gnn_lgcn_backward(gnn_model_t *m, const graph_csr_t *adj, const gnn_adam_t *adam, float gmul)
{
    gnn_ws_t *w = m->ws;
    const uint32_t K = m->hp.layers, dim = m->hp.dim;
    if (gmul > 0.0f && adam && K > 0) {
        backward_half(m, adj, adam, gmul);
        return;
    }
    gnn_cl_inject(m, 1.0f);
    const float *prev = stage_g(w, 0);
    for (uint32_t j = 1; j < K; j++) {
        float *out = w->buf[(j - 1) & 1];
        double t0 = clock_now();
        gnn_spmm(&(gnn_spmm_t){.a = j == 1 ? w->y1 : adj, .rows = gnn_prop_rows(w, j), .n_rows = w->list_n[j],
                               .x32 = prev, .add = stage_g(w, j), .mask = w->dist,
                               .lim = j == 1 ? y1_lim(w, adj) : (uint8_t)j, .y32 = out, .dim = dim},
                 m->hp.threads);
        w->prof[GNN_MAX_LAYERS + j - 1] += clock_now() - t0;
        prev = out;
    }
    const float *x = K ? prev : NULL;
    const float scale = 1.0f / (float)(K + 1);
    /* the usual case on a dense-ish graph: Y_{K-1} lives everywhere, so the
     * last product need not test its neighbours */
    const uint8_t lim = K && w->list_n[K - 1] == w->n ? GNN_GATHER_ALL : (uint8_t)K;
    gnn_spmm_t s = {.a = K == 1 ? w->y1 : adj, .x32 = x, .add = stage_g(w, K), .mask = w->dist, .lim = lim,
                    .dim = dim};
    if (adam) {
        double t0 = clock_now();
        gnn_spmm_adam(&s, scale, w->l2, m->emb0, m->adam_m, m->adam_v, NULL, adam, m->hp.threads);
        w->prof[GNN_MAX_LAYERS + (K ? K - 1 : 0)] += clock_now() - t0;
        return;
    }
    float *ge = m->grads;
    s.y32 = ge;
    gnn_spmm(&s, m->hp.threads);
    for (uint32_t r = 0; r < w->n; r++) {
        float c = w->l2[r];
        float *gr = ge + (size_t)r * dim;
        const float *er = m->emb0 + (size_t)r * dim;
        for (uint32_t d = 0; d < dim; d++) gr[d] = scale * gr[d] + c * er[d];
    }
}

void gnn_lgcn_embed_all(const gnn_model_t *m, const graph_csr_t *adj, float *out, float *tmp)
{
    const uint32_t K = m->hp.layers, dim = m->hp.dim, n = m->n_users + m->n_items + m->n_extra;
    const size_t sz = (size_t)n * dim;
    if (K == 0) { memcpy(out, m->emb0, sz * sizeof *out); return; }
    /* ping-pong so that Z_K lands in out */
    float *bufs[2] = { (K & 1) ? out : tmp, (K & 1) ? tmp : out };
    const float *prev = m->emb0;
    for (uint32_t j = 1; j <= K; j++) {
        float *o = bufs[(j - 1) & 1];
        gnn_spmm(&(gnn_spmm_t){.a = adj, .x32 = prev, .add = m->emb0, .y32 = o, .dim = dim}, m->hp.threads);
        prev = o;
    }
    const float s = 1.0f / (float)(K + 1);
    for (size_t k = 0; k < sz; k++) out[k] *= s;
}

void gnn_prop_clear(gnn_ws_t *w, uint32_t dim)
{
    w->inj = NULL;
    const uint32_t *l0 = w->lists;
    for (uint32_t k = 0; k < w->list_n[0]; k++) {
        uint32_t r = l0[k];
        memset(w->g + (size_t)r * dim, 0, dim * sizeof *w->g);
        w->l2[r] = 0.0f;
    }
}
