/* relation.c - the relation-aware joint LightGCN (kglightgcn).
 *
 * A(w) = A_hat with every knowledge entry (a, b) scaled by w_rel(a,b): the
 * learned weight says how much a relation's facts should move a node, in
 * the spirit of KGAT/KGIN's relation-aware aggregation but with one scalar
 * per relation (cheap, and the knowledge graphs at hand have few relations).
 * A(w) stays symmetric because both directions of a pair carry the same
 * relation (graph/typed.c merges them identically).
 *
 *   E_0 = emb0, E_k = A E_{k-1}, F = s sum_{k=0..K} E_k, s = 1/(K+1)
 *   H_K = s G, H_{k-1} = s G + A H_k            (G = dL/dF, A symmetric)
 *   dL/demb0 = H_0 + l2 * emb0
 *   dL/dw_r = sum over entries (a,b) of relation r of
 *             a_hat_ab * sum_{k=1..K} <H_k[a], E_{k-1}[b]>
 * The whole graph is propagated every step (the weights change A itself, so
 * the receptive-field shortcut of prop.c would not save the w gradient's
 * pass); fine for the knowledge graphs this is for (tens of thousands of
 * nodes). Each row is computed by one thread in column order and the
 * relation sums are reduced serially in entry order, so results do not
 * depend on the number of threads.
 */
#include "gnn/relation.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "gnn/internal.h"

typedef struct rel_ws {
    uint32_t n, dim, K;
    uint64_t nnz;
    float *val;       /* [nnz] entries of A(w) */
    float *layers;    /* [K x n x dim] E_1..E_K */
    float *f;         /* [n x dim] F */
    float *g;         /* [n x dim] G */
    float *l2;        /* [n] */
    float *h[2];      /* [n x dim] H_k ping-pong */
    double *contrib;  /* [nnz] per-entry sum over layers of <H_k[a], E_{k-1}[b]> */
} rel_ws_t;

void gnn_rel_free(void *p)
{
    rel_ws_t *w = p;
    if (!w) return;
    free(w->val); free(w->layers); free(w->f); free(w->g); free(w->l2);
    free(w->h[0]); free(w->h[1]); free(w->contrib);
    free(w);
}

static rel_ws_t *ws_get(const gnn_model_t *m, const graph_csr_t *adj, rel_ws_t **own, err_t *e)
{
    const uint32_t n = m->n_users + m->n_items + m->n_extra, d = m->hp.dim, K = m->hp.layers;
    rel_ws_t *w = *own;
    if (w && w->n == n && w->dim == d && w->K == K && w->nnz == adj->nnz) return w;
    gnn_rel_free(w);
    *own = NULL;
    w = calloc(1, sizeof *w);
    if (!w) { err_set(e, ERR_NOMEM, "out of memory"); return NULL; }
    const size_t nd = (size_t)n * d;
    w->n = n; w->dim = d; w->K = K; w->nnz = adj->nnz;
    w->val = malloc((adj->nnz ? adj->nnz : 1) * sizeof *w->val);
    w->layers = malloc((K ? K : 1) * nd * sizeof *w->layers);
    w->f = malloc(nd * sizeof *w->f);
    w->g = malloc(nd * sizeof *w->g);
    w->l2 = malloc((size_t)n * sizeof *w->l2);
    w->h[0] = malloc(nd * sizeof(float));
    w->h[1] = malloc(nd * sizeof(float));
    w->contrib = malloc((adj->nnz ? adj->nnz : 1) * sizeof *w->contrib);
    if (!w->val || !w->layers || !w->f || !w->g || !w->l2 || !w->h[0] || !w->h[1] || !w->contrib) {
        gnn_rel_free(w);
        err_set(e, ERR_NOMEM, "out of memory for the kglightgcn workspace (%u nodes x %u dims)", n, d);
        return NULL;
    }
    *own = w;
    return w;
}

static int nthreads(int t) { return t > 0 ? t : omp_get_max_threads(); }

/* y[r] = sadd * add[r] + sum_k val[k] x[col[k]] for every row (add may be NULL). */
static void spmm(const graph_csr_t *a, const float *val, const float *x, const float *add, float sadd,
                 float *y, uint32_t dim, int threads)
{
    #pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads(threads))
    for (uint32_t r = 0; r < a->n_rows; r++) {
        float *yr = y + (size_t)r * dim;
        if (add) for (uint32_t d = 0; d < dim; d++) yr[d] = sadd * add[(size_t)r * dim + d];
        else memset(yr, 0, dim * sizeof *yr);
        for (uint64_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
            const float v = val[k], *xr = x + (size_t)a->col[k] * dim;
            for (uint32_t d = 0; d < dim; d++) yr[d] += v * xr[d];
        }
    }
}

/* val = A(w); forward E_1..E_K into layers; F into f. */
static void forward(const gnn_model_t *m, const graph_csr_t *adj, rel_ws_t *w, float *f)
{
    const uint32_t K = m->hp.layers, d = m->hp.dim;
    const size_t nd = (size_t)w->n * d;
    for (uint64_t k = 0; k < adj->nnz; k++) {
        uint32_t r = m->edge_rel ? m->edge_rel[k] : UINT32_MAX;
        w->val[k] = adj->val[k] * (r < m->n_rel ? m->rel_w[r] : 1.0f);
    }
    const float *prev = m->emb0;
    for (uint32_t k = 1; k <= K; k++) {
        float *out = w->layers + (k - 1) * nd;
        spmm(adj, w->val, prev, NULL, 0.0f, out, d, m->hp.threads);
        prev = out;
    }
    const float s = 1.0f / (float)(K + 1);
    #pragma omp parallel for schedule(static) num_threads(nthreads(m->hp.threads))
    for (size_t x = 0; x < nd; x++) {
        float acc = m->emb0[x];
        for (uint32_t k = 0; k < K; k++) acc += w->layers[k * nd + x];
        f[x] = s * acc;
    }
}

int gnn_rel_loss_grad(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *u, const uint32_t *i,
                      const uint32_t *j, uint32_t t, double *loss, err_t *e)
{
    rel_ws_t *w = ws_get(m, adj, (rel_ws_t **)&m->hws, e);
    if (!w) return e ? e->code : ERR_NOMEM;
    const uint32_t K = m->hp.layers, d = m->hp.dim, n = w->n;
    const size_t nd = (size_t)n * d;
    forward(m, adj, w, w->f);
    memset(w->g, 0, nd * sizeof *w->g);
    memset(w->l2, 0, (size_t)n * sizeof *w->l2);
    *loss = gnn_bpr(w->f, 1.0f, m->emb0, d, m->n_users, u, i, j, t, m->hp.reg, w->g, w->l2, m->hp.threads);
    const float s = 1.0f / (float)(K + 1);
    memset(w->contrib, 0, (w->nnz ? w->nnz : 1) * sizeof *w->contrib);
    /* H_K = s G */
    float *h = w->h[K & 1];
    for (size_t x = 0; x < nd; x++) h[x] = s * w->g[x];
    for (uint32_t k = K; k >= 1; k--) {
        const float *ep = k == 1 ? m->emb0 : w->layers + (size_t)(k - 2) * nd;
        double *c = w->contrib;
        if (m->n_rel && m->edge_rel) {
            #pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads(m->hp.threads))
            for (uint32_t a = 0; a < n; a++)
                for (uint64_t q = adj->ptr[a]; q < adj->ptr[a + 1]; q++) {
                    if (m->edge_rel[q] >= m->n_rel) continue;
                    const float *ha = h + (size_t)a * d, *eb = ep + (size_t)adj->col[q] * d;
                    double dot = 0.0;
                    for (uint32_t x = 0; x < d; x++) dot += (double)ha[x] * eb[x];
                    c[q] += dot;
                }
        }
        /* H_{k-1} = s G + A H_k */
        float *hn = w->h[(k - 1) & 1];
        spmm(adj, w->val, h, w->g, s, hn, d, m->hp.threads);
        h = hn;
    }
    /* h = H_0 */
    float *ge = m->grads;
    #pragma omp parallel for schedule(static) num_threads(nthreads(m->hp.threads))
    for (uint32_t r = 0; r < n; r++)
        for (uint32_t x = 0; x < d; x++)
            ge[(size_t)r * d + x] = h[(size_t)r * d + x] + w->l2[r] * m->emb0[(size_t)r * d + x];
    if (m->n_rel) {
        double *acc = calloc(m->n_rel, sizeof *acc);
        if (!acc) return err_set(e, ERR_NOMEM, "out of memory");
        if (m->edge_rel)
            for (uint64_t q = 0; q < adj->nnz; q++)
                if (m->edge_rel[q] < m->n_rel) acc[m->edge_rel[q]] += (double)adj->val[q] * w->contrib[q];
        float *gw = m->grads + nd;
        for (uint32_t r = 0; r < m->n_rel; r++) gw[r] = (float)acc[r];
        free(acc);
    }
    return ERR_OK;
}

int gnn_rel_embed(const gnn_model_t *m, const graph_csr_t *adj, float *out, err_t *e)
{
    /* a private workspace keeps embed usable on a const model */
    rel_ws_t *own = NULL;
    rel_ws_t *w = ws_get(m, adj, &own, e);
    if (!w) return e ? e->code : ERR_NOMEM;
    forward(m, adj, w, out);
    gnn_rel_free(own);
    return ERR_OK;
}
