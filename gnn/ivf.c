/* ivf.c - see ivf.h: k-means build and the batched approximate top-K.
 *
 * Determinism: k-means sums are per centroid in item order (serial), the
 * assignment takes the smallest centroid index among equal distances, the
 * probe order breaks ties by list index and every selection by item index,
 * so the output depends neither on threads nor on blocking.
 */
#include "gnn/ivf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "base/rng.h"
#include "gnn/eval.h"

#define SAMPLE_PER_LIST 256
#define BLOCK_Q 16384         /* queries per block: scores [BLOCK_Q x nlist]; many users per list make its SGEMM efficient */
#define SCORE_CELLS (1u << 18)/* floats of one list's score tile per thread (1 MiB) */

/* ---- building ---- */

/* nearest centroid of each of n rows x [n x d] (L2), by SGEMM in blocks:
 * |x - c|^2 = |x|^2 - 2 x.c + |c|^2, the |x|^2 term is the same for all c. */
static void assign(const float *x, uint32_t n, const float *c, uint32_t nl, uint32_t d, uint32_t *out,
                   float *tile /* [256 x nl] */)
{
    float *cn = tile + (size_t)256 * nl;   /* [nl] */
    for (uint32_t l = 0; l < nl; l++) {
        double s = 0.0;
        for (uint32_t k = 0; k < d; k++) s += (double)c[(size_t)l * d + k] * c[(size_t)l * d + k];
        cn[l] = (float)s;
    }
    for (uint32_t r0 = 0; r0 < n; r0 += 256) {
        uint32_t b = n - r0 < 256 ? n - r0 : 256;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)nl, (int)d, 1.0f, x + (size_t)r0 * d,
                    (int)d, c, (int)d, 0.0f, tile, (int)nl);
        for (uint32_t r = 0; r < b; r++) {
            const float *t = tile + (size_t)r * nl;
            uint32_t best = 0;
            float bd = cn[0] - 2.0f * t[0];
            for (uint32_t l = 1; l < nl; l++) {
                float dl = cn[l] - 2.0f * t[l];
                if (dl < bd) { bd = dl; best = l; }
            }
            out[r0 + r] = best;
        }
    }
}

/* centroids = means of their rows; an empty list takes a row drawn from r */
static void update(const float *x, uint32_t n, const uint32_t *a, float *c, uint32_t nl, uint32_t d,
                   uint32_t *cnt, rng_t *r)
{
    memset(c, 0, (size_t)nl * d * sizeof *c);
    memset(cnt, 0, nl * sizeof *cnt);
    for (uint32_t i = 0; i < n; i++) {
        float *ci = c + (size_t)a[i] * d;
        const float *xi = x + (size_t)i * d;
        for (uint32_t k = 0; k < d; k++) ci[k] += xi[k];
        cnt[a[i]]++;
    }
    for (uint32_t l = 0; l < nl; l++) {
        float *cl = c + (size_t)l * d;
        if (cnt[l] == 0) {
            memcpy(cl, x + (size_t)rng_below(r, n) * d, d * sizeof *cl);
            continue;
        }
        const float s = 1.0f / (float)cnt[l];
        for (uint32_t k = 0; k < d; k++) cl[k] *= s;
    }
}

int gnn_ivf_build(gnn_ivf_t *ix, const float *items, uint32_t n_items, uint32_t dim, uint32_t nlist,
                  uint32_t iters, uint64_t seed, int threads, err_t *e)
{
    memset(ix, 0, sizeof *ix);
    if (n_items == 0 || dim == 0) return err_set(e, ERR_USAGE, "ivf: no items to index");
    if (nlist == 0) nlist = (uint32_t)(4.0 * sqrt((double)n_items));
    if (nlist < 1) nlist = 1;
    if (nlist > n_items) nlist = n_items;
    if (iters == 0) iters = 10;
    uint32_t ns = (uint64_t)nlist * SAMPLE_PER_LIST < n_items ? nlist * SAMPLE_PER_LIST : n_items;
    /* one allocation: centroids, ptr, item ids, rows in list order */
    size_t bytes = (size_t)nlist * dim * sizeof(float) + ((size_t)nlist + 1) * sizeof(uint32_t) +
                   (size_t)n_items * sizeof(uint32_t);
    bytes = (bytes + 63) & ~(size_t)63;
    void *mem = malloc(bytes + (size_t)n_items * dim * sizeof(float));
    /* scratch: the sample [ns x dim], assignments [n_items], counts/fill [nlist],
     * a distance tile [256 x nlist] and centroid norms [nlist] */
    float *sample = malloc((size_t)ns * dim * sizeof *sample);
    uint32_t *asg = malloc((size_t)n_items * sizeof *asg), *cnt = malloc((size_t)nlist * sizeof *cnt);
    float *tile = malloc(((size_t)256 * nlist + nlist) * sizeof *tile);
    if (!mem || !sample || !asg || !cnt || !tile) {
        free(mem); free(sample); free(asg); free(cnt); free(tile);
        return err_set(e, ERR_NOMEM, "out of memory for an index of %u items x %u dims", n_items, dim);
    }
    float *cent = mem;
    uint32_t *ptr = (uint32_t *)(cent + (size_t)nlist * dim), *item = ptr + nlist + 1;
    float *lemb = (float *)((char *)mem + bytes);
    rng_t r;
    rng_seed_stream(&r, seed, 0x1f00000000ull);
    /* a seeded sample without repeats (partial Fisher-Yates over positions) */
    for (uint32_t i = 0; i < n_items; i++) asg[i] = i;
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t j = i + rng_below(&r, n_items - i);
        uint32_t t = asg[i]; asg[i] = asg[j]; asg[j] = t;
        memcpy(sample + (size_t)i * dim, items + (size_t)asg[i] * dim, dim * sizeof *sample);
    }
    for (uint32_t l = 0; l < nlist; l++) memcpy(cent + (size_t)l * dim, sample + (size_t)l * dim, dim * sizeof *cent);
    int blas_saved = openblas_get_num_threads();
    if (threads > 0) openblas_set_num_threads(threads);
    for (uint32_t it = 0; it < iters; it++) {
        assign(sample, ns, cent, nlist, dim, asg, tile);
        update(sample, ns, asg, cent, nlist, dim, cnt, &r);
    }
    assign(items, n_items, cent, nlist, dim, asg, tile);
    openblas_set_num_threads(blas_saved);
    /* counting sort of the items by list, in item order within a list */
    memset(cnt, 0, nlist * sizeof *cnt);
    for (uint32_t i = 0; i < n_items; i++) cnt[asg[i]]++;
    ptr[0] = 0;
    for (uint32_t l = 0; l < nlist; l++) ptr[l + 1] = ptr[l] + cnt[l];
    for (uint32_t l = 0; l < nlist; l++) cnt[l] = ptr[l];
    for (uint32_t i = 0; i < n_items; i++) {
        uint32_t at = cnt[asg[i]]++;
        item[at] = i;
        memcpy(lemb + (size_t)at * dim, items + (size_t)i * dim, dim * sizeof *lemb);
    }
    free(sample); free(asg); free(cnt); free(tile);
    ix->n_items = n_items;
    ix->dim = dim;
    ix->nlist = nlist;
    ix->centroids = cent;
    ix->list_ptr = ptr;
    ix->list_item = item;
    ix->list_emb = lemb;
    ix->owned = mem;
    return ERR_OK;
}

int gnn_ivf_view(gnn_ivf_t *ix, uint32_t n_items, uint32_t dim, uint32_t nlist, const float *centroids,
                 const uint32_t *list_ptr, const uint32_t *list_item, const float *list_emb, err_t *e)
{
    memset(ix, 0, sizeof *ix);
    if (nlist == 0 || dim == 0 || list_ptr[0] != 0 || list_ptr[nlist] != n_items)
        return err_set(e, ERR_STORE, "corrupt index: %u lists over %u items", nlist, n_items);
    for (uint32_t l = 0; l < nlist; l++)
        if (list_ptr[l + 1] < list_ptr[l]) return err_set(e, ERR_STORE, "corrupt index: list %u ends before it starts", l);
    for (uint32_t p = 0; p < n_items; p++)
        if (list_item[p] >= n_items) return err_set(e, ERR_STORE, "corrupt index: item %u of %u", list_item[p], n_items);
    *ix = (gnn_ivf_t){n_items, dim, nlist, centroids, list_ptr, list_item, list_emb, NULL};
    return ERR_OK;
}

void gnn_ivf_destroy(gnn_ivf_t *ix)
{
    if (!ix) return;
    free(ix->owned);
    memset(ix, 0, sizeof *ix);
}

/* ---- querying ---- */

/* does (s, i) rank before (t, j)? higher score first, then smaller item */
static inline int before(float s, uint32_t i, float t, uint32_t j) { return s > t || (s == t && i < j); }

/* insert (s, i) into the sorted top list it[0..*n) of capacity k */
static inline void push(uint32_t *it, float *sc, uint32_t *n, uint32_t k, float s, uint32_t i)
{
    /* when full the last entry drops out: the caller checked (s, i) beats it */
    uint32_t p = *n < k ? (*n)++ : k - 1;
    while (p > 0 && before(s, i, sc[p - 1], it[p - 1])) {
        sc[p] = sc[p - 1];
        it[p] = it[p - 1];
        p--;
    }
    sc[p] = s;
    it[p] = i;
}

typedef struct probe {
    uint32_t q, slot;          /* query within the block, its probe slot */
} probe_t;

int gnn_ivf_topk(const gnn_ivf_t *ix, const float *q, uint32_t n_q, const graph_csr_t *exclude,
                 const uint32_t *exclude_row, uint32_t k, uint32_t nprobe, int threads, uint32_t *out_items,
                 float *out_scores, err_t *e)
{
    if (k == 0 || ix->dim == 0) return err_set(e, ERR_USAGE, "ivf top-k needs k >= 1 and dim >= 1");
    if (exclude && exclude->n_cols != ix->n_items)
        return err_set(e, ERR_INTERNAL, "ivf: exclusion matrix has %u columns, the index %u items", exclude->n_cols,
                       ix->n_items);
    const uint32_t nl = ix->nlist, d = ix->dim;
    if (nprobe < 1) nprobe = 1;
    if (nprobe > nl) nprobe = nl;
    /* the candidates of a block, bq x nprobe x k, stay within ~8M entries (64 MiB) */
    uint64_t cap = ((uint64_t)1 << 23) / ((uint64_t)nprobe * k);
    const uint32_t bq = cap < 1 ? 1 : cap < BLOCK_Q ? (uint32_t)cap : BLOCK_Q;
    /* per block: centroid scores [bq x nl], probe lists [bq x nprobe], the
     * (query, slot) pairs grouped by list, and k candidates per pair */
    float *cs = malloc((size_t)bq * nl * sizeof *cs);
    uint32_t *lp = malloc(((size_t)nl + 2) * sizeof *lp), *pl = malloc((size_t)bq * nprobe * sizeof *pl);
    probe_t *pairs = malloc((size_t)bq * nprobe * sizeof *pairs);
    uint32_t *ci = malloc((size_t)bq * nprobe * k * sizeof *ci), *cn = malloc((size_t)bq * nprobe * sizeof *cn);
    float *cv = malloc((size_t)bq * nprobe * k * sizeof *cv);
    const int nt = threads > 0 ? threads : omp_get_max_threads();
    float *tiles = malloc((size_t)nt * (SCORE_CELLS + (size_t)d * 256) * sizeof *tiles);
    float *merge = malloc((size_t)nt * k * sizeof *merge);   /* per thread: scores when out_scores is NULL */
    int rc = ERR_OK;
    if (!cs || !lp || !pl || !pairs || !ci || !cn || !cv || !tiles || !merge) {
        rc = err_set(e, ERR_NOMEM, "out of memory for the index search");
        goto out;
    }
    int blas_saved = openblas_get_num_threads();
    for (uint32_t q0 = 0; q0 < n_q; q0 += bq) {
        const uint32_t b = n_q - q0 < bq ? n_q - q0 : bq;
        openblas_set_num_threads(threads > 0 ? threads : nt);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)nl, (int)d, 1.0f, q + (size_t)q0 * d,
                    (int)d, ix->centroids, (int)d, 0.0f, cs, (int)nl);
        openblas_set_num_threads(1);
        /* each query's nprobe best lists (ties: smaller list) */
        #pragma omp parallel for schedule(static) num_threads(nt)
        for (uint32_t j = 0; j < b; j++) {
            uint32_t *p = pl + (size_t)j * nprobe, n = 0;
            const float *s = cs + (size_t)j * nl;
            /* a sorted insertion over nl lists: nprobe is small */
            float *ps = cv + (size_t)j * nprobe * k;   /* scratch: the probes' scores */
            for (uint32_t l = 0; l < nl; l++) {
                float x = isnan(s[l]) ? -INFINITY : s[l];
                if (n == nprobe && !before(x, l, ps[n - 1], p[n - 1])) continue;
                push(p, ps, &n, nprobe, x, l);
            }
        }
        /* group the (query, slot) pairs by list: counting sort, query order inside */
        memset(lp, 0, ((size_t)nl + 2) * sizeof *lp);
        for (size_t t = 0; t < (size_t)b * nprobe; t++) lp[pl[t] + 2]++;
        for (uint32_t l = 0; l < nl; l++) lp[l + 2] += lp[l + 1];
        for (uint32_t j = 0; j < b; j++)
            for (uint32_t s = 0; s < nprobe; s++) pairs[lp[pl[(size_t)j * nprobe + s] + 1]++] = (probe_t){j, s};
        /* now lp[l] .. lp[l+1] are list l's pairs */
        memset(cn, 0, (size_t)b * nprobe * sizeof *cn);
        #pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (uint32_t l = 0; l < nl; l++) {
            const uint32_t p0 = lp[l], p1 = lp[l + 1], i0 = ix->list_ptr[l], ni = ix->list_ptr[l + 1] - i0;
            if (p0 == p1) continue;
            float *tile = tiles + (size_t)omp_get_thread_num() * (SCORE_CELLS + (size_t)d * 256);
            float *qg = tile + SCORE_CELLS;   /* [<= 256 x d] gathered queries */
            const uint32_t chunk = 256;
            for (uint32_t c0 = p0; c0 < p1; c0 += chunk) {
                const uint32_t nc = p1 - c0 < chunk ? p1 - c0 : chunk;
                for (uint32_t c = 0; c < nc; c++)
                    memcpy(qg + (size_t)c * d, q + (size_t)(q0 + pairs[c0 + c].q) * d, d * sizeof *qg);
                /* a list longer than the tile is scored in column pieces */
                for (uint32_t x0 = 0; x0 < ni; x0 += SCORE_CELLS / nc) {
                    const uint32_t nx = ni - x0 < SCORE_CELLS / nc ? ni - x0 : SCORE_CELLS / nc;
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nc, (int)nx, (int)d, 1.0f, qg, (int)d,
                                ix->list_emb + (size_t)(i0 + x0) * d, (int)d, 0.0f, tile, (int)nx);
                    for (uint32_t c = 0; c < nc; c++) {
                        const probe_t pr = pairs[c0 + c];
                        const size_t slot = (size_t)pr.q * nprobe + pr.slot;
                        uint32_t *it = ci + slot * k, *n = cn + slot;
                        float *sc = cv + slot * k;
                        const uint32_t qi = q0 + pr.q;
                        const uint32_t er = !exclude ? UINT32_MAX : exclude_row ? exclude_row[qi] : qi;
                        const float *row = tile + (size_t)c * nx;
                        for (uint32_t x = 0; x < nx; x++) {
                            const float s = row[x];
                            const uint32_t item = ix->list_item[i0 + x0 + x];
                            if (isnan(s)) continue;
                            if (*n == k && !before(s, item, sc[k - 1], it[k - 1])) continue;
                            if (er != UINT32_MAX && graph_csr_has(exclude, er, item)) continue;
                            push(it, sc, n, k, s, item);
                        }
                    }
                }
            }
        }
        /* merge each query's nprobe candidate lists */
        #pragma omp parallel for schedule(static) num_threads(nt)
        for (uint32_t j = 0; j < b; j++) {
            uint32_t *oi = out_items + (size_t)(q0 + j) * k, n = 0;
            float *heap = out_scores ? out_scores + (size_t)(q0 + j) * k : merge + (size_t)omp_get_thread_num() * k;
            for (uint32_t s = 0; s < nprobe; s++) {
                const size_t slot = (size_t)j * nprobe + s;
                for (uint32_t c = 0; c < cn[slot]; c++) {
                    float v = cv[slot * k + c];
                    uint32_t it = ci[slot * k + c];
                    if (n == k && !before(v, it, heap[k - 1], oi[k - 1])) break;   /* slot lists are sorted */
                    push(oi, heap, &n, k, v, it);
                }
            }
            for (; n < k; n++) { oi[n] = GNN_ITEM_NONE; heap[n] = -INFINITY; }
        }
    }
    openblas_set_num_threads(blas_saved);
out:
    free(cs); free(lp); free(pl); free(pairs); free(ci); free(cn); free(cv); free(tiles); free(merge);
    return rc;
}
