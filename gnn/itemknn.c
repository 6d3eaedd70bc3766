/* itemknn.c - ItemKNN (gfcf.h, docs/frontier.md): the item-item cosine with
 * shrinkage, the k nearest neighbours of every item, the scorer through the
 * reversed neighbour lists, and the brute-force reference.
 *
 *   sim(i, j) = |U_i n U_j| / (sqrt(|U_i| |U_j|) + shrink)        (i != j)
 *   N(j)      = the k items i with the largest sim(i, j) (ties: smaller i)
 *   s_j       = sum over i in N(j) with r_i = 1 of sim(i, j)
 *
 * The co-occurrence counts of item j are one sparse pass over the users of
 * j and their items (sum over users of degree^2 for all items: no dense
 * I x I product; a dense R^T R by SGEMM would cost 2 U I^2 flops, 1e14 on
 * gowalla, against ~2e9 scatter-adds). Assumes gnn_gfcf_init ran.
 */
#include "gnn/gfcf.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* (a, ia) ranks before (b, ib): larger similarity, then smaller item */
static int before(float a, uint32_t ia, float b, uint32_t ib) { return a > b || (a == b && ia < ib); }

/* The place from the root down for (w, i) in a heap of n (the worst of
 * the kept at h[0]), moving the worse children up. */
static uint32_t sift_down(float *hw, uint32_t *hi, uint32_t n, float w, uint32_t i)
{
    uint32_t c = 0;
    for (;;) {
        uint32_t l = 2 * c + 1, r = l + 1, m = c;
        float mw = w;
        uint32_t mi = i;
        if (l < n && before(mw, mi, hw[l], hi[l])) { m = l; mw = hw[l]; mi = hi[l]; }
        if (r < n && before(mw, mi, hw[r], hi[r])) m = r;
        if (m == c) return c;
        hw[c] = hw[m];
        hi[c] = hi[m];
        c = m;
    }
}

/* The bounded heap of the k best so far: h[0] is the worst kept. */
static void heap_push(float *hw, uint32_t *hi, uint32_t *n, uint32_t k, float w, uint32_t i)
{
    uint32_t c;
    if (*n < k) {
        c = (*n)++;
        while (c && before(hw[(c - 1) / 2], hi[(c - 1) / 2], w, i)) {   /* parent better: move it down */
            hw[c] = hw[(c - 1) / 2];
            hi[c] = hi[(c - 1) / 2];
            c = (c - 1) / 2;
        }
    } else {
        if (!before(w, i, hw[0], hi[0])) return;
        c = sift_down(hw, hi, k, w, i);
    }
    hw[c] = w;
    hi[c] = i;
}

int gnn_itemknn_fit(gnn_gfcf_t *m, int threads, err_t *e)
{
    const uint32_t ni = m->n_items, k = m->p.svd_k < ni ? m->p.svd_k : ni;
    const float shrink = m->p.knn_shrink;
    free(m->v_own); free(m->s_own); free(m->idx_own);
    m->v_own = malloc(((size_t)ni * k + 1) * sizeof *m->v_own);
    m->idx_own = malloc(((size_t)ni * k + 1) * sizeof *m->idx_own);
    m->s_own = calloc((size_t)k + 1, sizeof *m->s_own);
    if (!m->v_own || !m->idx_own || !m->s_own) return err_set(e, ERR_NOMEM, "itemknn: out of memory for %u x %u", ni, k);
    const int nt = threads > 0 ? threads : omp_get_max_threads();
    int fail = 0;
    #pragma omp parallel num_threads(nt)
    {
        uint32_t *cnt = calloc((size_t)ni + 1, sizeof *cnt), *touched = malloc(((size_t)ni + 1) * sizeof *touched);
        float *hw = malloc(((size_t)k + 1) * sizeof *hw);
        uint32_t *hi = malloc(((size_t)k + 1) * sizeof *hi);
        if (!cnt || !touched || !hw || !hi) {
            #pragma omp atomic write
            fail = 1;
        }
        #pragma omp for schedule(dynamic, 64)
        for (uint32_t j = 0; j < ni; j++) {
            if (fail) continue;
            uint32_t nt_ = 0, nh = 0;
            for (uint64_t a = m->rt.ptr[j]; a < m->rt.ptr[j + 1]; a++) {
                const uint32_t v = m->rt.col[a];
                for (uint64_t b = m->r->ptr[v]; b < m->r->ptr[v + 1]; b++) {
                    const uint32_t i = m->r->col[b];
                    if (!cnt[i]++) touched[nt_++] = i;
                }
            }
            for (uint32_t t = 0; t < nt_; t++) {
                const uint32_t i = touched[t];
                if (i != j) {
                    const float s = (float)cnt[i] / (m->di_s[i] * m->di_s[j] + shrink);
                    heap_push(hw, hi, &nh, k, s, i);
                }
                cnt[i] = 0;
            }
            /* heap -> best first: pop the worst into the last free place */
            float *ow = m->v_own + (size_t)j * k;
            uint32_t *oi = m->idx_own + (size_t)j * k;
            for (uint32_t t = nh; t < k; t++) { ow[t] = 0.0f; oi[t] = j; }   /* padding: weight 0 on itself */
            while (nh) {
                const float w = hw[0];
                const uint32_t i = hi[0], last = --nh;
                ow[last] = w;
                oi[last] = i;
                /* re-heap without the root: the last element back in from the top */
                const uint32_t c = sift_down(hw, hi, last, hw[last], hi[last]);
                hw[c] = hw[last];
                hi[c] = hi[last];
            }
        }
        free(cnt); free(touched); free(hw); free(hi);
    }
    if (fail) return err_set(e, ERR_NOMEM, "itemknn: out of memory for the counts");
    for (uint32_t j = 0; j < ni; j++)   /* the mean similarity of the t-th neighbour (for people) */
        for (uint32_t t = 0; t < k; t++) m->s_own[t] += m->v_own[(size_t)j * k + t] / (float)ni;
    return gnn_itemknn_set(m, m->v_own, m->idx_own, k, e);
}

int gnn_itemknn_set(gnn_gfcf_t *m, const float *w, const uint32_t *idx, uint32_t k, err_t *e)
{
    const uint32_t ni = m->n_items;
    m->v = w;
    m->idx = idx;
    m->k = k;
    free(m->rev_ptr); free(m->rev_item); free(m->rev_w);
    m->rev_ptr = calloc((size_t)ni + 2, sizeof *m->rev_ptr);
    m->rev_item = malloc(((size_t)ni * k + 1) * sizeof *m->rev_item);
    m->rev_w = malloc(((size_t)ni * k + 1) * sizeof *m->rev_w);
    if (!m->rev_ptr || !m->rev_item || !m->rev_w) return err_set(e, ERR_NOMEM, "itemknn: out of memory");
    /* rev: for each item i, the (j, sim) with i in N(j); a saved table is
     * checked here (bad input never indexes out of range) */
    for (size_t c = 0; c < (size_t)ni * k; c++) {
        if (idx[c] >= ni || !isfinite(w[c])) return err_set(e, ERR_USAGE, "itemknn: neighbour table out of range");
        if (w[c] != 0.0f) m->rev_ptr[idx[c] + 1]++;
    }
    for (uint32_t i = 0; i < ni; i++) m->rev_ptr[i + 1] += m->rev_ptr[i];
    uint64_t *fill = malloc(((size_t)ni + 1) * sizeof *fill);
    if (!fill) return err_set(e, ERR_NOMEM, "itemknn: out of memory");
    memcpy(fill, m->rev_ptr, ((size_t)ni + 1) * sizeof *fill);
    for (uint32_t j = 0; j < ni; j++)
        for (uint32_t t = 0; t < k; t++) {
            const size_t c = (size_t)j * k + t;
            if (w[c] == 0.0f) continue;
            const uint64_t at = fill[idx[c]]++;
            m->rev_item[at] = j;
            m->rev_w[at] = w[c];
        }
    free(fill);
    return ERR_OK;
}

int gnn_itemknn_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                      err_t *e)
{
    (void)e;
    const uint32_t ni = m->n_items;
    memset(out, 0, (size_t)n * ni * sizeof *out);
    for (uint32_t q = 0; q < n; q++) {
        float *o = out + (size_t)q * ni;
        for (uint64_t c = hist->ptr[rows[q]]; c < hist->ptr[rows[q] + 1]; c++) {
            const uint32_t i = hist->col[c];
            if (i >= ni) continue;
            for (uint64_t b = m->rev_ptr[i]; b < m->rev_ptr[i + 1]; b++) o[m->rev_item[b]] += m->rev_w[b];
        }
    }
    return ERR_OK;
}

/* ---- reference: dense counts, a full sort per item, a dense product ---- */

typedef struct cand { double s; uint32_t i; } cand_t;

static int cand_cmp(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int gnn_itemknn_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                          float *out, err_t *e)
{
    const uint32_t ni = m->n_items, nu = m->n_users, k = m->p.svd_k < ni ? m->p.svd_k : ni;
    double *dense = calloc((size_t)nu * ni + 1, sizeof *dense), *w = calloc((size_t)ni * ni + 1, sizeof *w);
    cand_t *c = malloc(((size_t)ni + 1) * sizeof *c);
    if (!dense || !w || !c) {
        free(dense); free(w); free(c);
        return err_set(e, ERR_NOMEM, "itemknn reference: out of memory");
    }
    for (uint32_t u = 0; u < nu; u++)
        for (uint64_t a = m->r->ptr[u]; a < m->r->ptr[u + 1]; a++) dense[(size_t)u * ni + m->r->col[a]] = 1.0;
    /* w[i][j] = sim(i, j) when i is one of j's k neighbours */
    for (uint32_t j = 0; j < ni; j++) {
        uint32_t nc = 0;
        for (uint32_t i = 0; i < ni; i++) {
            double co = 0, di = 0, dj = 0;
            for (uint32_t u = 0; u < nu; u++) {
                co += dense[(size_t)u * ni + i] * dense[(size_t)u * ni + j];
                di += dense[(size_t)u * ni + i];
                dj += dense[(size_t)u * ni + j];
            }
            if (i != j && co > 0)
                c[nc++] = (cand_t){(float)co / ((float)sqrt(di) * (float)sqrt(dj) + m->p.knn_shrink), i};
        }
        qsort(c, nc, sizeof *c, cand_cmp);
        for (uint32_t t = 0; t < nc && t < k; t++) w[(size_t)c[t].i * ni + j] = c[t].s;
    }
    for (uint32_t q = 0; q < n; q++)
        for (uint32_t j = 0; j < ni; j++) {
            double s = 0;
            for (uint64_t a = hist->ptr[rows[q]]; a < hist->ptr[rows[q] + 1]; a++)
                s += w[(size_t)hist->col[a] * ni + j];
            out[(size_t)q * ni + j] = (float)s;
        }
    free(dense); free(w); free(c);
    return ERR_OK;
}
