/* contrast.c - see contrast.h: the perturbed propagation of an XSimGCL step,
 * the InfoNCE term on the batch's distinct nodes (OpenBLAS and a plain twin)
 * and the gradient injection that prop.c's backward consumes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "base/mem.h"
#include "base/rng.h"
#include "gnn/contrast.h"
#include "gnn/internal.h"

/* A step's contrastive state (gnn_ws_t.cl), allocated at the first step. */
struct gnn_cl_ws {
    uint32_t n, dim, cap;    /* nodes; rows of the compact tables */
    float *acc;              /* [n x dim]: sum of e'_0..e'_K on the batch's rows; reused by
                              * gnn_cl_inject as the injected add table */
    uint32_t *seen;          /* [n] stamp of the step that listed a node */
    uint32_t stamp;
    uint32_t *rows;          /* [cap]: U's node ids then I's */
    uint32_t nu, ni;
    float *x1, *x2, *g1, *g2;/* [cap x dim]: F' rows, e'_l rows, their gradients */
    float *scratch;          /* gnn_cl_scratch of the larger set */
    size_t scratch_n;
    int live;                /* g2 holds this step's gradient, not yet injected */
};

void gnn_cl_free(gnn_ws_t *w)
{
    gnn_cl_ws_t *c = w->cl;
    if (!c) return;
    free(c->acc); free(c->seen); free(c->rows); free(c->x1); free(c->x2); free(c->g1); free(c->g2);
    free(c->scratch);
    free(c);
    w->cl = NULL;
    w->inj = NULL;
}

void gnn_cl_noise(uint64_t seed, uint64_t step, uint32_t k, uint32_t r, uint32_t dim, float *out)
{
    /* streams with the top bit set: apart from the initialisation (0) and
     * the sampler's epochs (2^32 + ...); the step keeps 28 bits. Two 24-bit
     * uniforms per draw: the noise's cost is the generator's */
    rng_t g;
    rng_seed_stream(&g, seed, (1ull << 63) | ((step & 0xfffffffull) << 35) | ((uint64_t)(k & 7) << 32) | r);
    double s = 0.0;
    for (uint32_t d = 0; d < dim; d += 2) {
        const uint64_t x = rng_u64(&g);
        out[d] = (float)(x >> 40) * (1.0f / 16777216.0f);
        s += (double)out[d] * out[d];
        if (d + 1 < dim) {
            out[d + 1] = (float)((x >> 16) & 0xffffff) * (1.0f / 16777216.0f);
            s += (double)out[d + 1] * out[d + 1];
        }
    }
    /* F.normalize: x / max(|x|, 1e-12) */
    const float inv = (float)(1.0 / fmax(sqrt(s), 1e-12));
    for (uint32_t d = 0; d < dim; d++) out[d] *= inv;
}

/* ---- InfoNCE ------------------------------------------------------------- */

size_t gnn_cl_scratch(uint32_t n, uint32_t dim)
{
    return (size_t)n * n + 4 * (size_t)n * dim + 2 * (size_t)n;
}

/* v = x / max(|x|, 1e-12) per row; nrm[a] the divisor. */
static void unit_rows(const float *x, uint32_t n, uint32_t dim, float *v, float *nrm)
{
    for (uint32_t a = 0; a < n; a++) {
        double s = 0.0;
        for (uint32_t d = 0; d < dim; d++) s += (double)x[(size_t)a * dim + d] * x[(size_t)a * dim + d];
        nrm[a] = (float)fmax(sqrt(s), 1e-12);
        for (uint32_t d = 0; d < dim; d++) v[(size_t)a * dim + d] = x[(size_t)a * dim + d] / nrm[a];
    }
}

/* dL/dx from dL/dv through v = x / |x|: (dv - v (v . dv)) / |x|, in place in dv. */
static void unit_back(const float *v, const float *nrm, uint32_t n, uint32_t dim, float *dv)
{
    for (uint32_t a = 0; a < n; a++) {
        const float *va = v + (size_t)a * dim;
        float *ga = dv + (size_t)a * dim;
        double p = 0.0;
        for (uint32_t d = 0; d < dim; d++) p += (double)va[d] * ga[d];
        for (uint32_t d = 0; d < dim; d++) ga[d] = (ga[d] - va[d] * (float)p) / nrm[a];
    }
}

/* Row a of the logits s (n, scaled by 1/tau): its loss term, and s turned
 * into dL/ds = coef (softmax - onehot(a)). */
static double softmax_row(float *s, uint32_t n, uint32_t a, float coef)
{
    const float sa = s[a];
    float mx = s[0];
    for (uint32_t b = 1; b < n; b++) mx = s[b] > mx ? s[b] : mx;
    double z = 0.0;
    for (uint32_t b = 0; b < n; b++) {
        s[b] = expf(s[b] - mx);
        z += s[b];
    }
    const float f = (float)(coef / z);
    for (uint32_t b = 0; b < n; b++) s[b] *= f;
    s[a] -= coef;
    return (double)mx + log(z) - (double)sa;
}

double gnn_cl_infonce_ref(const float *x1, const float *x2, uint32_t n, uint32_t dim, float tau, float weight,
                          float *g1, float *g2)
{
    float *v1 = malloc((size_t)n * dim * sizeof *v1), *v2 = malloc((size_t)n * dim * sizeof *v2);
    float *n1 = malloc(n * sizeof *n1), *n2 = malloc(n * sizeof *n2), *s = malloc(n * sizeof *s);
    double loss = NAN;
    if (!v1 || !v2 || !n1 || !n2 || !s) goto out;
    unit_rows(x1, n, dim, v1, n1);
    unit_rows(x2, n, dim, v2, n2);
    memset(g1, 0, (size_t)n * dim * sizeof *g1);
    memset(g2, 0, (size_t)n * dim * sizeof *g2);
    const float coef = weight / ((float)n * tau);
    loss = 0.0;
    for (uint32_t a = 0; a < n; a++) {
        for (uint32_t b = 0; b < n; b++) {
            float dot = 0.0f;
            for (uint32_t d = 0; d < dim; d++) dot += v1[(size_t)a * dim + d] * v2[(size_t)b * dim + d];
            s[b] = dot / tau;
        }
        loss += softmax_row(s, n, a, coef);
        /* s[b] = dL/dlogit_ab: dlogit/dv1_a = v2_b / tau, dlogit/dv2_b = v1_a / tau (tau in coef) */
        for (uint32_t b = 0; b < n; b++)
            for (uint32_t d = 0; d < dim; d++) {
                g1[(size_t)a * dim + d] += s[b] * v2[(size_t)b * dim + d];
                g2[(size_t)b * dim + d] += s[b] * v1[(size_t)a * dim + d];
            }
    }
    unit_back(v1, n1, n, dim, g1);
    unit_back(v2, n2, n, dim, g2);
    loss = weight * loss / n;
out:
    free(v1); free(v2); free(n1); free(n2); free(s);
    return loss;
}

/* Thread id of tn's share [*a0, *a1) of n rows. */
static void share(uint32_t n, int id, int tn, uint32_t *a0, uint32_t *a1)
{
    *a0 = (uint32_t)((uint64_t)n * id / tn);
    *a1 = (uint32_t)((uint64_t)n * (id + 1) / tn);
}

/* gnn_cl_infonce with OpenBLAS already on one thread, on nt OpenMP threads. */
static double infonce(const float *x1, const float *x2, uint32_t n, uint32_t dim, float tau, float weight,
                      float *g1, float *g2, float *S, int nt)
{
    float *v1 = S + (size_t)n * n, *v2 = v1 + (size_t)n * dim, *d1 = v2 + (size_t)n * dim;
    float *d2 = d1 + (size_t)n * dim, *n1 = d2 + (size_t)n * dim, *n2 = n1 + n;
    double *lr = malloc(n * sizeof *lr);
    if (!lr) return NAN;
    const float coef = weight / ((float)n * tau);
    const int d = (int)dim, ld = (int)n;
    #pragma omp parallel num_threads(nt)
    {
        uint32_t a0, a1;
        share(n, omp_get_thread_num(), omp_get_num_threads(), &a0, &a1);
        const int m = (int)(a1 - a0);
        unit_rows(x1 + (size_t)a0 * dim, a1 - a0, dim, v1 + (size_t)a0 * dim, n1 + a0);
        unit_rows(x2 + (size_t)a0 * dim, a1 - a0, dim, v2 + (size_t)a0 * dim, n2 + a0);
        #pragma omp barrier
        if (m > 0) {
            /* logits of my rows S = V1 V2^T / tau, each row to dL/ds, then dV1 = C V2 */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, ld, d, 1.0f / tau, v1 + (size_t)a0 * dim, d,
                        v2, d, 0.0f, S + (size_t)a0 * n, ld);
            for (uint32_t a = a0; a < a1; a++) lr[a] = softmax_row(S + (size_t)a * n, n, a, coef);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, d, ld, 1.0f, S + (size_t)a0 * n, ld, v2, d,
                        0.0f, d1 + (size_t)a0 * dim, d);
        }
        #pragma omp barrier
        /* dV2 = C^T V1 on my rows of dV2 (columns of C) */
        if (m > 0)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, d, ld, 1.0f, S + a0, ld, v1, d, 0.0f,
                        d2 + (size_t)a0 * dim, d);
        unit_back(v1 + (size_t)a0 * dim, n1 + a0, a1 - a0, dim, d1 + (size_t)a0 * dim);
        unit_back(v2 + (size_t)a0 * dim, n2 + a0, a1 - a0, dim, d2 + (size_t)a0 * dim);
    }
    double loss = 0.0;
    for (uint32_t a = 0; a < n; a++) loss += lr[a];   /* in row order, as the twin */
    memcpy(g1, d1, (size_t)n * dim * sizeof *g1);
    memcpy(g2, d2, (size_t)n * dim * sizeof *g2);
    free(lr);
    return weight * loss / n;
}

double gnn_cl_infonce(const float *x1, const float *x2, uint32_t n, uint32_t dim, float tau, float weight,
                      float *g1, float *g2, float *scratch, int threads)
{
    float *own = scratch ? NULL : malloc(gnn_cl_scratch(n, dim) * sizeof *own);
    if (!scratch && !own) return NAN;
    /* OpenBLAS on one thread inside each OpenMP thread's share of the rows:
     * its own threads would fight OpenMP's spinning ones for the cores */
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    double loss = infonce(x1, x2, n, dim, tau, weight, g1, g2, scratch ? scratch : own,
                          gnn_team(threads, 6.0 * n * n * dim));
    openblas_set_num_threads(blas_threads);
    free(own);
    return loss;
}

/* ---- the step ------------------------------------------------------------ */

static int cl_alloc(gnn_ws_t *w, uint32_t dim, uint32_t cap, err_t *e)
{
    gnn_cl_ws_t *c = w->cl;
    if (!c) {
        if (!(c = w->cl = calloc(1, sizeof *c))) goto nomem;
        c->n = w->n;
        c->dim = dim;
        c->acc = mem_alloc_hot((size_t)w->n * dim * sizeof *c->acc);
        c->seen = calloc(w->n, sizeof *c->seen);
        if (!c->acc || !c->seen) goto nomem;
    }
    if (c->cap < cap) {
        free(c->rows); free(c->x1); free(c->x2); free(c->g1); free(c->g2);
        const size_t sz = (size_t)cap * dim * sizeof(float);
        c->rows = malloc(cap * sizeof *c->rows);
        c->x1 = malloc(sz); c->x2 = malloc(sz); c->g1 = malloc(sz); c->g2 = malloc(sz);
        c->cap = cap;
        if (!c->rows || !c->x1 || !c->x2 || !c->g1 || !c->g2) { c->cap = 0; goto nomem; }
    }
    return ERR_OK;
nomem:
    gnn_cl_free(w);
    return err_set(e, ERR_NOMEM, "out of memory for the contrastive term's tables");
}

/* U then I: the distinct users and positive items in batch order, as node ids. */
static void pick_rows(gnn_cl_ws_t *c, uint32_t n_users, const uint32_t *u, const uint32_t *i, uint32_t t)
{
    if (++c->stamp == 0) {   /* wrapped: no stamp may match an old one */
        memset(c->seen, 0, (size_t)c->n * sizeof *c->seen);
        c->stamp = 1;
    }
    c->nu = c->ni = 0;
    for (uint32_t k = 0; k < t; k++)
        if (c->seen[u[k]] != c->stamp) { c->seen[u[k]] = c->stamp; c->rows[c->nu++] = u[k]; }
    for (uint32_t k = 0; k < t; k++) {
        const uint32_t r = n_users + i[k];
        if (c->seen[r] != c->stamp) { c->seen[r] = c->stamp; c->rows[c->nu + c->ni++] = r; }
    }
}

/* Layer k's noise on the rows of a product's output, fused with what reads
 * them next: acc += e'_k on the batch's rows (dist 0), and the half copy
 * that the next product gathers (h16 non-NULL). */
static void perturb(gnn_model_t *m, uint32_t k, const uint32_t *rows, uint32_t nr, float *out, float *acc,
                    uint16_t *h16)
{
    const gnn_ws_t *w = m->ws;
    const uint32_t dim = m->hp.dim;
    const float eps = m->hp.cl_eps;
    #pragma omp parallel num_threads(gnn_team(m->hp.threads, 40.0 * nr * dim))
    {
        float nz[GNN_MAX_DIM];
        #pragma omp for schedule(static)
        for (uint32_t q = 0; q < nr; q++) {
            const uint32_t r = rows ? rows[q] : q;
            float *o = out + (size_t)r * dim;
            gnn_cl_noise(m->hp.seed, m->step, k, r, dim, nz);
            /* e'_k = t + sign(t) eps u: the product's sign, 0 on an exact 0 (torch.sign) */
            for (uint32_t d = 0; d < dim; d++) o[d] += (o[d] > 0.0f ? eps : o[d] < 0.0f ? -eps : 0.0f) * nz[d];
            if (w->dist[r] == 0) {
                float *a = acc + (size_t)r * dim;
                for (uint32_t d = 0; d < dim; d++) a[d] += o[d];
            }
            if (h16) gnn_f2h_row(h16 + (size_t)r * dim, o, dim);
        }
    }
}

int gnn_cl_forward(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *u, const uint32_t *i, uint32_t t,
                   int half, const float **z, float *zscale, err_t *e)
{
    gnn_ws_t *w = m->ws;
    const uint32_t K = m->hp.layers, dim = m->hp.dim;
    /* distinct users <= min(t, users), items <= min(t, items) */
    int rc = cl_alloc(w, dim, (t < m->n_users ? t : m->n_users) + (t < m->n_items ? t : m->n_items), e);
    if (rc) return rc;
    gnn_cl_ws_t *c = w->cl;
    pick_rows(c, m->n_users, u, i, t);
    const uint32_t n0 = w->list_n[0], *l0 = w->lists;
    float *acc = c->acc;
    #pragma omp parallel for schedule(static) num_threads(gnn_team(m->hp.threads, (double)n0 * dim))
    for (uint32_t q = 0; q < n0; q++)
        memcpy(acc + (size_t)l0[q] * dim, m->emb0 + (size_t)l0[q] * dim, dim * sizeof *acc);
    /* float: e'_k in buf[(k-1) & 1], gathered by the next product. half
     * (w->e0h current): e'_k in buf[0] as floats, its half copy in one of
     * buf[1]'s two halves, gathered by the next product (sums in float) */
    const float *prev = m->emb0;
    const uint16_t *prev16 = half ? w->e0h : NULL;
    for (uint32_t k = 1; k <= K; k++) {
        const uint32_t lev = K - k, nr = w->list_n[lev];
        const uint32_t *rows = gnn_prop_rows(w, lev);
        float *out = half ? w->buf[0] : w->buf[(k - 1) & 1];
        uint16_t *h16 = half && k < K ? (uint16_t *)w->buf[1] + (k & 1) * (size_t)w->n * dim : NULL;
        gnn_spmm(&(gnn_spmm_t){.a = adj, .rows = rows, .n_rows = nr, .x32 = half ? NULL : prev, .x16 = prev16,
                               .fma = (uint8_t)half, .y32 = out, .dim = dim}, m->hp.threads);
        perturb(m, k, rows, nr, out, acc, h16);
        if (k == m->hp.cl_layer)
            for (uint32_t q = 0; q < c->nu + c->ni; q++)
                memcpy(c->x2 + (size_t)q * dim, out + (size_t)c->rows[q] * dim, dim * sizeof *c->x2);
        prev = out;
        prev16 = h16;
    }
    *z = acc;
    *zscale = 1.0f / (float)(K + 1);
    return ERR_OK;
}

int gnn_cl_loss(gnn_model_t *m, const float *z, float zscale, double *loss, err_t *e)
{
    gnn_ws_t *w = m->ws;
    gnn_cl_ws_t *c = w->cl;
    const uint32_t dim = m->hp.dim, most = c->nu > c->ni ? c->nu : c->ni;
    const uint32_t chunk = m->hp.cl_batch && m->hp.cl_batch < most ? m->hp.cl_batch : most;
    /* each set in chunks of at most `chunk` anchors (batch order: random
     * subsets), each chunk's InfoNCE weighted by its share of the set: the
     * mean over all the set's anchors, each against its chunk's candidates.
     * Several chunks: one thread per chunk (a parallel region per chunk
     * costs its barriers, ruinous on a loaded machine); one: its rows split */
    const uint32_t off[2] = {0, c->nu}, cnt[2] = {c->nu, c->ni};
    const uint32_t nj[2] = {(c->nu + chunk - 1) / chunk, (c->ni + chunk - 1) / chunk}, jobs = nj[0] + nj[1];
    const int nt = jobs > 1 ? gnn_team(m->hp.threads, 6.0 * (c->nu + c->ni) * chunk * dim) : 1;
    const size_t per = (gnn_cl_scratch(chunk, dim) + 1) & ~(size_t)1;   /* even: the doubles after it align */
    if (c->scratch_n < per * (size_t)nt + 2 * (size_t)jobs) {
        free(c->scratch);
        c->scratch_n = per * (size_t)nt + 2 * (size_t)jobs;
        if (!(c->scratch = malloc(c->scratch_n * sizeof *c->scratch))) {
            c->scratch_n = 0;
            return err_set(e, ERR_NOMEM, "out of memory for the contrastive term (%u nodes)", chunk);
        }
    }
    for (uint32_t q = 0; q < c->nu + c->ni; q++) {
        const float *zr = z + (size_t)c->rows[q] * dim;
        for (uint32_t d = 0; d < dim; d++) c->x1[(size_t)q * dim + d] = zscale * zr[d];
    }
    double *lj = (double *)(c->scratch + per * (size_t)nt);   /* per chunk, summed in chunk order */
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    #pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (uint32_t j = 0; j < jobs; j++) {
        const int s = j >= nj[0];
        const uint32_t a = (j - (s ? nj[0] : 0)) * chunk, n = cnt[s] - a < chunk ? cnt[s] - a : chunk;
        const size_t o = (size_t)(off[s] + a) * dim;
        lj[j] = infonce(c->x1 + o, c->x2 + o, n, dim, m->hp.cl_temp, m->hp.cl_weight * (float)n / (float)cnt[s],
                        c->g1 + o, c->g2 + o, c->scratch + per * (size_t)omp_get_thread_num(),
                        nt > 1 || jobs > 1 ? 1 : gnn_team(m->hp.threads, 6.0 * n * n * dim));
    }
    openblas_set_num_threads(blas_threads);
    *loss = 0.0;
    for (uint32_t j = 0; j < jobs; j++) *loss += lj[j];
    if (!isfinite(*loss)) return err_set(e, ERR_NOMEM, "out of memory for the contrastive term");
    /* F' = zscale z: dL/dF' joins BPR's G on the same rows */
    for (uint32_t q = 0; q < c->nu + c->ni; q++) {
        float *gr = w->g + (size_t)c->rows[q] * dim;
        for (uint32_t d = 0; d < dim; d++) gr[d] += c->g1[(size_t)q * dim + d];
    }
    c->live = 1;
    return ERR_OK;
}

void gnn_cl_inject(gnn_model_t *m, float gmul)
{
    gnn_ws_t *w = m->ws;
    gnn_cl_ws_t *c = w->cl;
    w->inj = NULL;
    if (!c || !c->live) return;
    c->live = 0;
    const uint32_t K = m->hp.layers, dim = m->hp.dim, n0 = w->list_n[0];
    /* the backward computes (Horner sum)/((K+1) gmul); the stage K - l add
     * is multiplied by A^l on the way: (K+1) gmul h there gives A^l h */
    const float cm = (float)(K + 1) * gmul;
    float *gh = c->acc;   /* F' is consumed: its table holds G + (K+1) gmul h */
    for (uint32_t q = 0; q < n0; q++)
        memcpy(gh + (size_t)w->lists[q] * dim, w->g + (size_t)w->lists[q] * dim, dim * sizeof *gh);
    for (uint32_t q = 0; q < c->nu + c->ni; q++) {
        float *r = gh + (size_t)c->rows[q] * dim;
        for (uint32_t d = 0; d < dim; d++) r[d] += cm * c->g2[(size_t)q * dim + d];
    }
    w->inj = gh;
    w->inj_stage = K - m->hp.cl_layer;
}
