/* topk.c - top-K items per query row from embeddings (gnn_topk), and the
 * plain reference it is tested against (gnn_topk_ref).
 *
 * The blocked kernel computes a (user block x item block) score tile with
 * OpenBLAS SGEMM into a per-thread buffer small enough to stay in L2, marks
 * the row's excluded items in the tile as NaN (walking the sorted CSR row
 * alongside the item blocks), and feeds each tile row to a bounded heap that
 * lives across the item blocks of that row. Tie order and the result do not
 * depend on blocks or threads: the heap orders by (score desc, index asc), a
 * total order for non-NaN scores.
 *
 * Each tile is kept all-zero between uses, so the SGEMM accumulates into it
 * (beta = 1) and excluded items can be pre-set to NaN; the scan re-zeroes
 * what it reads.
 *
 * Assumes: row-major float32 embeddings, exclude rows sorted ascending and
 * unique (graph/csr.h guarantees it), and the pthread build of OpenBLAS.
 * Its thread count is process-wide: it is set here and restored before
 * returning, so do not run two gnn_topk calls from different threads at once.
 */
#include "gnn/eval.h"

#include <cblas.h>
#include <math.h>
#ifdef __AVX__
#include <immintrin.h>
#endif
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Big user blocks matter most: OpenBLAS re-packs the item panel once per
 * user block (10% of the time at 128 users, ~2% at 1024); the optimum is
 * flat from 512 x 512 up (bench_eval --sweep, docs/evaluation.md). The
 * user tile is GNN_TOPK_TILE_USERS = 512 for every call: what the old
 * per-call shrink gave all-user jobs on two threads (blocks of 4096
 * queries / 8); 1024 took ~20% more CPU there (bench/infer_ab.sh). */
#define DEF_BLOCK_USERS GNN_TOPK_TILE_USERS
#define DEF_BLOCK_ITEMS 1024
/* Scores tested against the heap threshold per vector pass; a rejected
 * chunk costs a few compares, so the heap is touched only on a hit. */
#define SCAN_CHUNK 32

typedef struct cand { float s; uint32_t i; } cand_t;

static inline int better(float sa, uint32_t ia, float sb, uint32_t ib)
{
    return sa > sb || (sa == sb && ia < ib);
}

/* Heaps keep the worst candidate at the root: parent never better than a
 * child, so the root is the threshold a new item has to beat. */
static void sift_down(cand_t *h, uint32_t n, uint32_t p)
{
    cand_t x = h[p];
    for (;;) {
        uint32_t c = 2 * p + 1;
        if (c >= n) break;
        if (c + 1 < n && better(h[c].s, h[c].i, h[c + 1].s, h[c + 1].i)) c++;
        if (!better(x.s, x.i, h[c].s, h[c].i)) break;
        h[p] = h[c];
        p = c;
    }
    h[p] = x;
}

static void sift_up(cand_t *h, uint32_t p)
{
    cand_t x = h[p];
    while (p > 0) {
        uint32_t up = (p - 1) / 2;
        if (!better(h[up].s, h[up].i, x.s, x.i)) break;
        h[p] = h[up];
        p = up;
    }
    h[p] = x;
}

static inline void consider(cand_t *h, uint32_t k, float v, uint32_t item)
{
    if (better(v, item, h[0].s, h[0].i)) {
        h[0].s = v;
        h[0].i = item;
        sift_down(h, k, 0);
    }
}

/* Is any of p[0..SCAN_CHUNK) >= thr? NaN compares false (ordered compare). */
static inline int any_ge(const float *p, float thr)
{
#ifdef __AVX__
    __m256 t = _mm256_set1_ps(thr);
    __m256 m = _mm256_cmp_ps(_mm256_loadu_ps(p), t, _CMP_GE_OQ);
    for (int v = 8; v < SCAN_CHUNK; v += 8)
        m = _mm256_or_ps(m, _mm256_cmp_ps(_mm256_loadu_ps(p + v), t, _CMP_GE_OQ));
    return _mm256_movemask_ps(m);
#else
    int hit = 0;
    for (int v = 0; v < SCAN_CHUNK; v++) hit |= p[v] >= thr;
    return hit;
#endif
}

/* A plain memset here becomes `rep stos`, whose start-up costs more than
 * the 128 bytes it writes. */
static inline void clear_chunk(float *p)
{
#ifdef __AVX__
    for (int v = 0; v < SCAN_CHUNK; v += 8) _mm256_storeu_ps(p + v, _mm256_setzero_ps());
#else
    for (int v = 0; v < SCAN_CHUNK; v++) p[v] = 0.0f;
#endif
}

/* One tile row s[0..w) of items base.. into the heap h (*n of k filled),
 * leaving s zeroed for the next SGEMM (which accumulates, beta = 1).
 * NaN never enters: it fails every comparison, and the fill phase tests it. */
static void scan_row(float *s, uint32_t w, uint32_t base, cand_t *h, uint32_t *n, uint32_t k)
{
    uint32_t j = 0, m = *n;
    for (; m < k && j < w; j++) {
        if (s[j] == s[j]) {
            h[m].s = s[j];
            h[m].i = base + j;
            sift_up(h, m++);
        }
        s[j] = 0.0f;
    }
    *n = m;
    if (j == w) return;
    float thr = h[0].s;
    for (; j + SCAN_CHUNK <= w; j += SCAN_CHUNK) {
        float *p = s + j;
        if (any_ge(p, thr))
            for (uint32_t t = 0; t < SCAN_CHUNK; t++)
                if (p[t] >= thr) {
                    consider(h, k, p[t], base + j + t);
                    thr = h[0].s;
                }
        clear_chunk(p);
    }
    for (; j < w; j++) {
        if (s[j] >= thr) {
            consider(h, k, s[j], base + j);
            thr = h[0].s;
        }
        s[j] = 0.0f;
    }
}

/* Heapsort in place: repeatedly moving the worst to the end leaves h best
 * first. Then k output slots, padded. */
static void emit(cand_t *h, uint32_t n, uint32_t k, uint32_t *items, float *scores)
{
    for (uint32_t end = n; end > 1; end--) {
        cand_t t = h[0];
        h[0] = h[end - 1];
        h[end - 1] = t;
        sift_down(h, end - 1, 0);
    }
    for (uint32_t t = 0; t < k; t++) {
        items[t] = t < n ? h[t].i : GNN_ITEM_NONE;
        if (scores) scores[t] = t < n ? h[t].s : -INFINITY;
    }
}

typedef struct job {
    const float *q, *items;
    uint32_t n_q, n_items, dim, k, heap_k;   /* heap_k = min(k, n_items) */
    const graph_csr_t *ex;
    const uint32_t *ex_row;
    uint32_t bu, bi;
    int score_only;
    uint32_t *out_items;
    float *out_scores;
} job_t;

/* Per-thread scratch; one user block's state. */
typedef struct ws {
    float *tile;       /* [bu x bi] */
    cand_t *heaps;     /* [bu x heap_k] */
    uint32_t *fill;    /* [bu] */
    uint64_t *cur, *end; /* [bu] exclusion cursors into ex->col */
} ws_t;

static void ws_free(ws_t *w)
{
    free(w->tile); free(w->heaps); free(w->fill); free(w->cur); free(w->end);
}

static int ws_alloc(ws_t *w, const job_t *j)
{
    memset(w, 0, sizeof *w);
    size_t tile_bytes = ((size_t)j->bu * j->bi * sizeof(float) + 63) / 64 * 64;
    w->tile = aligned_alloc(64, tile_bytes);
    if (w->tile) memset(w->tile, 0, tile_bytes);   /* the scan keeps it zero */
    w->heaps = malloc(((size_t)j->bu * j->heap_k + 1) * sizeof(cand_t));
    w->fill = malloc(j->bu * sizeof(uint32_t));
    w->cur = malloc(j->bu * sizeof(uint64_t));
    w->end = malloc(j->bu * sizeof(uint64_t));
    if (w->tile && w->heaps && w->fill && w->cur && w->end) return 0;
    ws_free(w);
    return -1;
}

static void block_begin(const job_t *j, ws_t *w, uint32_t row0, uint32_t rows)
{
    for (uint32_t r = 0; r < rows; r++) {
        w->fill[r] = 0;
        w->cur[r] = w->end[r] = 0;
        if (!j->ex) continue;
        uint32_t er = j->ex_row ? j->ex_row[row0 + r] : row0 + r;
        if (er == UINT32_MAX) continue;
        w->cur[r] = j->ex->ptr[er];
        w->end[r] = j->ex->ptr[er + 1];
    }
}

/* Excluded items become NaN in the (zeroed) tile before the SGEMM adds the
 * scores to it: NaN + score stays NaN, so the scan needs no second look at
 * the CSR row, and beta = 1 spares OpenBLAS its separate C-zeroing pass
 * (10% of the time with beta = 0; the scan re-zeroes what it reads).
 * Items run ascending across tiles, so each row's cursor only moves on. */
static void mark_excluded(const job_t *j, ws_t *w, uint32_t rows, uint32_t c0, uint32_t cols)
{
    if (!j->ex) return;
    const uint32_t *col = j->ex->col;
    for (uint32_t r = 0; r < rows; r++) {
        float *srow = w->tile + (size_t)r * cols;
        uint64_t c = w->cur[r], e = w->end[r];
        for (; c < e && col[c] < c0 + cols; c++) srow[col[c] - c0] = NAN;
        w->cur[r] = c;
    }
}

static void tile_scores(const job_t *j, float *tile, uint32_t row0, uint32_t rows,
                        uint32_t c0, uint32_t cols, float beta)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)j->dim,
                1.0f, j->q + (size_t)row0 * j->dim, (int)j->dim,
                j->items + (size_t)c0 * j->dim, (int)j->dim, beta, tile, (int)cols);
}

static void select_row(const job_t *j, ws_t *w, uint32_t r, const uint32_t c0, uint32_t cols)
{
    scan_row(w->tile + (size_t)r * cols, cols, c0, w->heaps + (size_t)r * j->heap_k,
             &w->fill[r], j->heap_k);
}

static void block_end(const job_t *j, ws_t *w, uint32_t row0, uint32_t r)
{
    size_t o = (size_t)(row0 + r) * j->k;
    emit(w->heaps + (size_t)r * j->heap_k, w->fill[r], j->k, j->out_items + o,
         j->out_scores ? j->out_scores + o : NULL);
}

/* One block of query rows against every item tile: scores, exclusions,
 * per-row selection. nt > 1 splits the selection's rows over threads (the
 * shared mode); inside the own-blocks mode's parallel loop nt is 1. */
static void block_tiles(const job_t *j, ws_t *w, uint32_t row0, uint32_t rows, int nt)
{
    block_begin(j, w, row0, rows);
    for (uint32_t c0 = 0; c0 < j->n_items; c0 += j->bi) {
        uint32_t cols = j->n_items - c0 < j->bi ? j->n_items - c0 : j->bi;
        if (j->score_only) {
            tile_scores(j, w->tile, row0, rows, c0, cols, 0.0f);
            continue;
        }
        mark_excluded(j, w, rows, c0, cols);
        tile_scores(j, w->tile, row0, rows, c0, cols, 1.0f);
        #pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
        for (uint32_t r = 0; r < rows; r++) select_row(j, w, r, c0, cols);
    }
    if (j->score_only) return;
    #pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (uint32_t r = 0; r < rows; r++) block_end(j, w, row0, r);
}

/* Default mode: a thread owns a user block end to end, SGEMM included
 * (OpenBLAS set to one thread so concurrent calls stay in their caller). */
static void run_own_blocks(const job_t *j, ws_t *wss, int nt)
{
    uint32_t n_blocks = (j->n_q + j->bu - 1) / j->bu;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (uint32_t b = 0; b < n_blocks; b++) {
        uint32_t row0 = b * j->bu, rows = j->n_q - row0 < j->bu ? j->n_q - row0 : j->bu;
        block_tiles(j, &wss[omp_get_thread_num()], row0, rows, 1);
    }
}

/* Alternative: OpenBLAS threads each tile, OpenMP splits its rows. */
static void run_shared_blocks(const job_t *j, ws_t *w, int nt)
{
    for (uint32_t row0 = 0; row0 < j->n_q; row0 += j->bu)
        block_tiles(j, w, row0, j->n_q - row0 < j->bu ? j->n_q - row0 : j->bu, nt);
}

static int check_args(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
                      uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
                      uint32_t k, const uint32_t *out_items, err_t *e)
{
    if (k == 0) return err_set(e, ERR_USAGE, "top-k: k must be at least 1");
    if (dim == 0) return err_set(e, ERR_USAGE, "top-k: embedding dimension must be at least 1");
    if ((n_q && (!q || !out_items)) || (n_items && !items))
        return err_set(e, ERR_USAGE, "top-k: missing input or output array");
    if (!exclude) return ERR_OK;
    if (exclude->n_cols != n_items)
        return err_set(e, ERR_USAGE, "top-k: exclusion matrix has %u columns for %u items",
                       exclude->n_cols, n_items);
    if (!exclude_row && n_q > exclude->n_rows)
        return err_set(e, ERR_USAGE, "top-k: %u queries but the exclusion matrix has %u rows",
                       n_q, exclude->n_rows);
    if (exclude_row)
        for (uint32_t i = 0; i < n_q; i++)
            if (exclude_row[i] != UINT32_MAX && exclude_row[i] >= exclude->n_rows)
                return err_set(e, ERR_USAGE, "top-k: exclusion row %u out of range (%u rows)",
                               exclude_row[i], exclude->n_rows);
    return ERR_OK;
}

int gnn_topk_tuned(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
                   uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
                   uint32_t k, int threads, const gnn_topk_tuning_t *tuning,
                   uint32_t *out_items, float *out_scores, err_t *e)
{
    int rc = check_args(q, n_q, items, n_items, dim, exclude, exclude_row, k, out_items, e);
    if (rc || n_q == 0) return rc;
    gnn_topk_tuning_t tu = {0};
    if (tuning) tu = *tuning;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    job_t j = {
        .q = q, .items = items, .n_q = n_q, .n_items = n_items, .dim = dim, .k = k,
        .heap_k = k < n_items ? k : n_items, .ex = exclude, .ex_row = exclude_row,
        .bu = tu.block_users ? tu.block_users : DEF_BLOCK_USERS,
        .bi = tu.block_items ? tu.block_items : DEF_BLOCK_ITEMS,
        .score_only = tu.score_only, .out_items = out_items, .out_scores = out_scores,
    };
    if (n_items == 0) {   /* nothing to rank: every slot is padding */
        for (size_t i = 0; i < (size_t)n_q * k; i++) {
            out_items[i] = GNN_ITEM_NONE;
            if (out_scores) out_scores[i] = -INFINITY;
        }
        return ERR_OK;
    }
    if (j.bi > n_items) j.bi = n_items;
    /* The tile does not depend on the query count (it used to shrink for few
     * queries): rows scored in tiles of other shapes may differ in the last
     * bit (SGEMM kernels treat a tile's remainder rows apart), and infer
     * --shard promises the whole run's bytes (gnn/scorer.h). The price: a
     * query of fewer than 2 tiles of users runs on one thread. */
    if (j.bu > n_q) j.bu = n_q;

    int n_ws = tu.blas_parallel ? 1 : nt;
    ws_t *wss = calloc((size_t)n_ws, sizeof *wss);
    if (!wss) return err_set(e, ERR_NOMEM, "top-k: out of memory");
    for (int t = 0; t < n_ws; t++)
        if (ws_alloc(&wss[t], &j)) {
            for (int u = 0; u < t; u++) ws_free(&wss[u]);
            free(wss);
            return err_set(e, ERR_NOMEM, "top-k: out of memory for %u x %u score blocks (k %u)",
                           j.bu, j.bi, k);
        }
    int blas_saved = openblas_get_num_threads();
    openblas_set_num_threads(tu.blas_parallel ? nt : 1);
    if (tu.blas_parallel) run_shared_blocks(&j, wss, nt);
    else run_own_blocks(&j, wss, nt);
    openblas_set_num_threads(blas_saved);
    for (int t = 0; t < n_ws; t++) ws_free(&wss[t]);
    free(wss);
    return ERR_OK;
}

int gnn_topk(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
             uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
             uint32_t k, int threads, uint32_t *out_items, float *out_scores, err_t *e)
{
    return gnn_topk_tuned(q, n_q, items, n_items, dim, exclude, exclude_row, k, threads,
                          NULL, out_items, out_scores, e);
}

/* ---- reference ---- */

static int cmp_cand(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    if (better(x->s, x->i, y->s, y->i)) return -1;
    if (better(y->s, y->i, x->s, x->i)) return 1;
    return 0;
}

int gnn_topk_ref(const float *q, uint32_t n_q, const float *items, uint32_t n_items,
                 uint32_t dim, const graph_csr_t *exclude, const uint32_t *exclude_row,
                 uint32_t k, uint32_t *out_items, float *out_scores, err_t *e)
{
    int rc = check_args(q, n_q, items, n_items, dim, exclude, exclude_row, k, out_items, e);
    if (rc || n_q == 0) return rc;
    cand_t *all = malloc(((size_t)n_items + 1) * sizeof *all);
    unsigned char *drop = calloc((size_t)n_items + 1, 1);
    if (!all || !drop) {
        free(all); free(drop);
        return err_set(e, ERR_NOMEM, "top-k reference: out of memory");
    }
    for (uint32_t u = 0; u < n_q; u++) {
        uint32_t er = exclude ? (exclude_row ? exclude_row[u] : u) : UINT32_MAX;
        if (er != UINT32_MAX)
            for (uint64_t c = exclude->ptr[er]; c < exclude->ptr[er + 1]; c++)
                drop[exclude->col[c]] = 1;
        uint32_t n = 0;
        for (uint32_t i = 0; i < n_items; i++) {
            float s = 0.0f;
            for (uint32_t d = 0; d < dim; d++)
                s += q[(size_t)u * dim + d] * items[(size_t)i * dim + d];
            if (!drop[i] && !isnan(s)) {
                all[n].s = s;
                all[n].i = i;
                n++;
            }
        }
        qsort(all, n, sizeof *all, cmp_cand);
        for (uint32_t t = 0; t < k; t++) {
            out_items[(size_t)u * k + t] = t < n ? all[t].i : GNN_ITEM_NONE;
            if (out_scores) out_scores[(size_t)u * k + t] = t < n ? all[t].s : -INFINITY;
        }
        if (er != UINT32_MAX)
            for (uint64_t c = exclude->ptr[er]; c < exclude->ptr[er + 1]; c++)
                drop[exclude->col[c]] = 0;
    }
    free(all);
    free(drop);
    return ERR_OK;
}

/* ---- scorers (eval.h): embedding models go through the tiled kernel
 * above; callback models fill whole rows, then share its selection. ---- */

void gnn_scorer_emb(gnn_scorer_t *s, const char *arch, const float *user_emb, uint32_t n_users,
                    const float *item_emb, uint32_t n_items, uint32_t dim)
{
    memset(s, 0, sizeof *s);
    snprintf(s->arch, sizeof s->arch, "%s", arch ? arch : "emb");
    s->user_emb = user_emb;
    s->item_emb = item_emb;
    s->n_users = n_users;
    s->n_items = n_items;
    s->dim = dim;
}

void gnn_scorer_destroy(gnn_scorer_t *s)
{
    if (!s) return;
    if (s->destroy) s->destroy(s);
    memset(s, 0, sizeof *s);
}

static int topk_emb(const gnn_scorer_t *s, const uint32_t *rows, uint32_t n_q, const graph_csr_t *exclude,
                    const uint32_t *exclude_row, uint32_t k, int threads, uint32_t *out_items,
                    float *out_scores, err_t *e)
{
    if (!rows) {
        if (s->n_users && n_q > s->n_users)
            return err_set(e, ERR_USAGE, "top-k: %u queries but the model has %u users", n_q, s->n_users);
        return gnn_topk(s->user_emb, n_q, s->item_emb, s->n_items, s->dim, exclude, exclude_row, k, threads,
                        out_items, out_scores, e);
    }
    for (uint32_t j = 0; j < n_q; j++)
        if (s->n_users && rows[j] >= s->n_users)
            return err_set(e, ERR_USAGE, "top-k: user %u out of range (%u users)", rows[j], s->n_users);
    if (n_q == 0) return gnn_topk(s->user_emb, 0, s->item_emb, s->n_items, s->dim, exclude, exclude_row, k,
                                  threads, out_items, out_scores, e);
    float *q = malloc((size_t)n_q * s->dim * sizeof *q);
    if (!q) return err_set(e, ERR_NOMEM, "top-k: out of memory for %u queries", n_q);
    for (uint32_t j = 0; j < n_q; j++)
        memcpy(q + (size_t)j * s->dim, s->user_emb + (size_t)rows[j] * s->dim, s->dim * sizeof *q);
    int rc = gnn_topk(q, n_q, s->item_emb, s->n_items, s->dim, exclude, exclude_row, k, threads, out_items,
                      out_scores, e);
    free(q);
    return rc;
}

int gnn_topk_scorer(const gnn_scorer_t *s, const graph_csr_t *hist, const uint32_t *rows, uint32_t n_q,
                    const graph_csr_t *exclude, const uint32_t *exclude_row, uint32_t k, int threads,
                    uint32_t *out_items, float *out_scores, err_t *e)
{
    if (!s) return err_set(e, ERR_USAGE, "top-k: no scorer");
    if (!s->score)
        return topk_emb(s, rows, n_q, exclude, exclude_row, k, threads, out_items, out_scores, e);
    uint32_t n_items = s->n_items;
    /* dim 1 and a dummy pointer: the argument checks of the embedding path */
    int rc = check_args((const float *)s, n_q, (const float *)s, n_items, 1, exclude, exclude_row, k,
                        out_items, e);
    if (rc || n_q == 0) return rc;
    if (!hist || hist->n_cols != n_items)
        return err_set(e, ERR_USAGE, "top-k: the %s scorer needs a history matrix with %u columns", s->arch,
                       n_items);
    for (uint32_t j = 0; j < n_q; j++)
        if ((rows ? rows[j] : j) >= hist->n_rows)
            return err_set(e, ERR_USAGE, "top-k: query row %u out of range (%u rows)", rows ? rows[j] : j,
                           hist->n_rows);
    int nt = threads > 0 ? threads : omp_get_max_threads();
    job_t j = {.n_q = n_q, .n_items = n_items, .dim = 1, .k = k, .heap_k = k < n_items ? k : n_items,
               .ex = exclude, .ex_row = exclude_row, .bu = s->block ? s->block : 64, .bi = n_items,
               .out_items = out_items, .out_scores = out_scores};
    if (n_items == 0) {
        for (size_t i = 0; i < (size_t)n_q * k; i++) {
            out_items[i] = GNN_ITEM_NONE;
            if (out_scores) out_scores[i] = -INFINITY;
        }
        return ERR_OK;
    }
    if (j.bu > n_q) j.bu = n_q;   /* the tile does not follow n_q (see gnn_topk_tuned) */
    ws_t *wss = calloc((size_t)nt, sizeof *wss);
    uint32_t *ids = malloc((size_t)nt * j.bu * sizeof *ids);
    if (!wss || !ids) {
        free(wss); free(ids);
        return err_set(e, ERR_NOMEM, "top-k: out of memory");
    }
    for (int t = 0; t < nt; t++)
        if (ws_alloc(&wss[t], &j)) {
            for (int u = 0; u < t; u++) ws_free(&wss[u]);
            free(wss); free(ids);
            return err_set(e, ERR_NOMEM, "top-k: out of memory for %u x %u score rows", j.bu, n_items);
        }
    int blas_saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    uint32_t n_blocks = (n_q + j.bu - 1) / j.bu;
    int failed = 0;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (uint32_t b = 0; b < n_blocks; b++) {
        int tid = omp_get_thread_num();
        ws_t *w = &wss[tid];
        uint32_t row0 = b * j.bu, n = n_q - row0 < j.bu ? n_q - row0 : j.bu;
        int stop;
        #pragma omp atomic read
        stop = failed;
        if (stop) continue;
        const uint32_t *qr = rows ? rows + row0 : ids + (size_t)tid * j.bu;
        if (!rows)
            for (uint32_t r = 0; r < n; r++) ids[(size_t)tid * j.bu + r] = row0 + r;
        err_t le = {0};
        if (s->score(s, hist, qr, n, w->tile, &le)) {
            #pragma omp critical(gnn_topk_scorer_err)
            if (!failed) {
                failed = 1;
                if (e) *e = le;
                rc = le.code ? le.code : ERR_IO;
            }
            memset(w->tile, 0, (size_t)n * n_items * sizeof(float));
            continue;
        }
        block_begin(&j, w, row0, n);
        mark_excluded(&j, w, n, 0, n_items);   /* overwrites the filled scores with NaN */
        for (uint32_t r = 0; r < n; r++) select_row(&j, w, r, 0, n_items);
        for (uint32_t r = 0; r < n; r++) block_end(&j, w, row0, r);
    }
    openblas_set_num_threads(blas_saved);
    for (int t = 0; t < nt; t++) ws_free(&wss[t]);
    free(wss);
    free(ids);
    return rc;
}
