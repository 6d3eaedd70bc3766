/* gfcf.c - GF-CF and BSPM (gfcf.h, docs/gfcf.md): degrees, the randomized
 * SVD of R~, the blocked scorer and its dense reference.
 *
 * The scorer never forms P = R~^T R~ (gowalla: 41k x 41k, 6.7 GB dense):
 * r P goes through the users that share an item with r (a [U] accumulator
 * and the list of touched users), which for a sparse r costs about
 * sum over its items of their degree plus the degrees of the touched users.
 * BSPM's sharpening applies P to dense rows; it does so for SHARP_W queries
 * at once on a transposed [I x SHARP_W] copy, so each non-zero of R costs
 * one cache-line-wide vector operation instead of SHARP_W scalar ones.
 */
#include "gnn/gfcf.h"
#include "gnn/scorer.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

/* LAPACK from OpenBLAS (no lapacke.h on the machine); the trailing size_t is
 * gfortran's hidden length of the character argument. */
void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work, const int *lwork,
             int *info);
void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau, float *work,
             const int *lwork, int *info);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s, float *u,
             const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork, int *iwork, int *info,
             size_t jobz_len);

void gnn_gfcf_defaults(gnn_gfcf_params_t *p)
{
    /* gf-cf's alpha and k, BSPM's ODE (beta, T_s, K_s, RK4), ChebyCF's order, plateau and degree exponent */
    *p = (gnn_gfcf_params_t){.version = GNN_GFCF_VERSION, .alpha = 0.3f, .svd_k = 256, .svd_oversample = 64,
                             .svd_iters = 8, .seed = 2020, .beta = 0.2f, .t_s = 2.5f, .k_s = 1, .rk4 = 1,
                             .cheby_order = 8, .cheby_phi = 1.5f, .cheby_beta = 0.4f, .ease_lambda = 500.0f};
}

void gnn_gfcf_defaults_variant(gnn_gfcf_params_t *p, uint32_t variant)
{
    gnn_gfcf_defaults(p);
    p->variant = variant;
    if (variant == GNN_GFCF_CHEBYCF) {
        p->alpha = 0.2f;
        p->svd_k = 512;
    }
    if (variant == GNN_GFCF_ITEMKNN) {
        p->svd_k = 100;
        p->knn_shrink = 10.0f;
    }
}

static const char *const variant_names[] = {"gf-cf", "bspm", "chebycf", "itemknn", "ease"};

int gnn_gfcf_variant_of(const char *arch)
{
    for (int v = 0; v <= GNN_GFCF_EASE; v++)
        if (!strcmp(arch, variant_names[v])) return v;
    return -1;
}

const char *gnn_gfcf_variant_name(uint32_t variant)
{
    return variant <= GNN_GFCF_EASE ? variant_names[variant] : "gf-cf";
}

int gnn_gfcf_params_read(const void *blob, size_t len, const char *model, gnn_gfcf_params_t *p, err_t *e)
{
    uint32_t version = 0;
    if (len >= sizeof version) memcpy(&version, blob, sizeof version);
    /* versions 1 and 2 are version 3's prefixes: their models are gf-cf or
     * bspm (1), and not ease (2) */
    if (!(version == GNN_GFCF_VERSION && len == sizeof *p) && !(version == 2 && len == GNN_GFCF_V2_SIZE) &&
        !(version == 1 && len == GNN_GFCF_V1_SIZE))
        return err_set(e, ERR_USAGE, "model '%s': graph-filter parameters of %zu bytes (version %u); retrain it",
                       model, len, version);
    gnn_gfcf_defaults(p);
    memcpy(p, blob, len);
    if (p->variant > GNN_GFCF_EASE || (p->variant == GNN_GFCF_EASE && version < 3) ||
        (p->variant == GNN_GFCF_CHEBYCF && (p->cheby_order < 1 || p->cheby_order > GNN_CHEBY_MAX_ORDER)))
        return err_set(e, ERR_USAGE, "model '%s': bad graph-filter parameters; retrain it", model);
    p->version = GNN_GFCF_VERSION;
    return ERR_OK;
}

int gnn_gfcf_init(gnn_gfcf_t *m, const graph_csr_t *r, const gnn_gfcf_params_t *p, err_t *e)
{
    memset(m, 0, sizeof *m);
    m->p = *p;
    m->r = r;
    m->n_users = r->n_rows;
    m->n_items = r->n_cols;
    m->p.n_users = r->n_rows;
    m->p.n_items = r->n_cols;
    m->p.nnz = r->nnz;
    int rc = graph_csr_transpose(r, &m->rt, e);
    if (rc) return rc;
    m->du_inv = malloc(((size_t)m->n_users + 1) * sizeof(float));
    m->di_is = malloc(((size_t)m->n_items + 1) * sizeof(float));
    m->di_s = malloc(((size_t)m->n_items + 1) * sizeof(float));
    m->di_pre = malloc(((size_t)m->n_items + 1) * sizeof(float));
    m->di_post = malloc(((size_t)m->n_items + 1) * sizeof(float));
    m->di_pre_is = malloc(((size_t)m->n_items + 1) * sizeof(float));
    if (!m->du_inv || !m->di_is || !m->di_s || !m->di_pre || !m->di_post || !m->di_pre_is) {
        gnn_gfcf_destroy(m);
        return err_set(e, ERR_NOMEM, "gf-cf: out of memory for degrees");
    }
    for (uint32_t u = 0; u < m->n_users; u++) {
        uint64_t d = r->ptr[u + 1] - r->ptr[u];
        m->du_inv[u] = d ? 1.0f / (float)d : 0.0f;
    }
    for (uint32_t i = 0; i < m->n_items; i++) {
        uint64_t d = m->rt.ptr[i + 1] - m->rt.ptr[i];
        m->di_is[i] = d ? 1.0f / sqrtf((float)d) : 0.0f;
        m->di_s[i] = d ? sqrtf((float)d) : 0.0f;
        m->di_pre[i] = d ? (float)pow((double)d, -(double)p->cheby_beta) : 0.0f;
        m->di_post[i] = d ? (float)pow((double)d, (double)p->cheby_beta) : 0.0f;
        m->di_pre_is[i] = d ? (float)pow((double)d, -(double)p->cheby_beta - 0.5) : 0.0f;
    }
    if (p->variant == GNN_GFCF_CHEBYCF) {
        if (p->cheby_order < 1 || p->cheby_order > GNN_CHEBY_MAX_ORDER) {
            gnn_gfcf_destroy(m);
            return err_set(e, ERR_USAGE, "chebycf: order %u out of 1..%u", p->cheby_order, GNN_CHEBY_MAX_ORDER);
        }
        gnn_chebycf_coeffs(p->cheby_order, p->cheby_phi, m->coef);
        if ((rc = gnn_chebycf_layout(m, e))) {
            gnn_gfcf_destroy(m);
            return rc;
        }
    }
    return ERR_OK;
}

void gnn_gfcf_set_v(gnn_gfcf_t *m, const float *v, uint32_t k)
{
    m->v = v;
    m->k = k;
}

void gnn_gfcf_destroy(gnn_gfcf_t *m)
{
    graph_csr_destroy(&m->rt);
    free(m->du_inv);
    free(m->di_is);
    free(m->di_s);
    free(m->di_pre);
    free(m->di_post);
    free(m->di_pre_is);
    free(m->idx_own);
    free(m->rev_ptr);
    free(m->rev_item);
    free(m->rev_w);
    free(m->ease_b);
    free(m->ch_inew);
    free(m->ch_du_inv);
    free(m->ch_di4);
    graph_csr_destroy(&m->ch_r);
    graph_csr_destroy(&m->ch_rt);
    free(m->v_own);
    free(m->s_own);
    memset(m, 0, sizeof *m);
}

/* ---- randomized SVD ---- */

/* y [U x l] = R~ x, x [I x l] (row-major). */
static void mul_rt(const gnn_gfcf_t *m, const float *x, float *y, uint32_t l)
{
    const graph_csr_t *r = m->r;
    #pragma omp parallel for schedule(dynamic, 256)
    for (uint32_t u = 0; u < m->n_users; u++) {
        float *yu = y + (size_t)u * l;
        memset(yu, 0, l * sizeof *yu);
        float du = sqrtf(m->du_inv[u]);
        for (uint64_t c = r->ptr[u]; c < r->ptr[u + 1]; c++) {
            const float *xi = x + (size_t)r->col[c] * l;
            float w = du * m->di_is[r->col[c]];
            for (uint32_t d = 0; d < l; d++) yu[d] += w * xi[d];
        }
    }
}

/* z [I x l] = R~^T y, y [U x l]. */
static void mul_rtt(const gnn_gfcf_t *m, const float *y, float *z, uint32_t l)
{
    const graph_csr_t *t = &m->rt;
    #pragma omp parallel for schedule(dynamic, 256)
    for (uint32_t i = 0; i < m->n_items; i++) {
        float *zi = z + (size_t)i * l;
        memset(zi, 0, l * sizeof *zi);
        for (uint64_t c = t->ptr[i]; c < t->ptr[i + 1]; c++) {
            const float *yu = y + (size_t)t->col[c] * l;
            float w = sqrtf(m->du_inv[t->col[c]]) * m->di_is[i];
            for (uint32_t d = 0; d < l; d++) zi[d] += w * yu[d];
        }
    }
}

static void transpose(const float *a, uint32_t rows, uint32_t cols, float *b)
{
    for (uint32_t i = 0; i < rows; i++)
        for (uint32_t j = 0; j < cols; j++) b[(size_t)j * rows + i] = a[(size_t)i * cols + j];
}

/* a [n x l] row-major <- an orthonormal basis of its columns (Householder QR).
 * When rfac is given, it gets the l x l R factor, column-major. tmp [n x l]. */
static int orth(float *a, uint32_t n, uint32_t l, float *tmp, float *rfac, err_t *e)
{
    int mm = (int)n, nn = (int)l, info = 0, lwork = -1;
    float wq, *tau = malloc((size_t)l * sizeof *tau);
    if (!tau) return err_set(e, ERR_NOMEM, "svd: out of memory");
    transpose(a, n, l, tmp);   /* column-major [n x l] for LAPACK */
    sgeqrf_(&mm, &nn, tmp, &mm, tau, &wq, &lwork, &info);
    lwork = (int)wq + 1;
    float *work = malloc((size_t)lwork * sizeof *work);
    if (!work) { free(tau); return err_set(e, ERR_NOMEM, "svd: out of memory"); }
    sgeqrf_(&mm, &nn, tmp, &mm, tau, work, &lwork, &info);
    if (!info && rfac)
        for (uint32_t c = 0; c < l; c++)
            for (uint32_t r = 0; r < l; r++) rfac[(size_t)c * l + r] = r <= c ? tmp[(size_t)c * n + r] : 0.0f;
    if (!info) {
        int lw2 = -1;
        sorgqr_(&mm, &nn, &nn, tmp, &mm, tau, &wq, &lw2, &info);
        if ((int)wq + 1 > lwork) {
            lwork = (int)wq + 1;
            float *w2 = realloc(work, (size_t)lwork * sizeof *work);
            if (!w2) { free(tau); free(work); return err_set(e, ERR_NOMEM, "svd: out of memory"); }
            work = w2;
        }
        sorgqr_(&mm, &nn, &nn, tmp, &mm, tau, work, &lwork, &info);
    }
    free(tau);
    free(work);
    if (info) return err_set(e, ERR_IO, "svd: LAPACK QR failed (info %d)", info);
    transpose(tmp, l, n, a);
    return ERR_OK;
}

/* a [n x l] <- an orthonormal basis of its columns by Cholesky QR, twice
 * (CholQR2): G = a^T a = R^T R, a <- a R^-1. Two BLAS-3 calls per pass
 * (ssyrk, strsm) instead of Householder's long chain of panel steps: ~4x
 * faster here, and accurate once cond(a)^2 is well below 1/eps (float:
 * 1e7); the second pass repairs the orthogonality the first one lost.
 * Returns 1 when G is not numerically positive definite (the caller falls
 * back to Householder). g [l x l] scratch. */
static int orth_chol(float *a, uint32_t n, uint32_t l, float *g)
{
    for (int pass = 0; pass < 2; pass++) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)l, (int)n, 1.0f, a, (int)l, 0.0f, g, (int)l);
        /* row-major upper = column-major lower: G = L L^T with R = L^T */
        int ll = (int)l, info = 0;
        spotrf_("L", &ll, g, &ll, &info, 1);
        if (info) return 1;
        cblas_strsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)n, (int)l, 1.0f, g,
                    (int)l, a, (int)l);
    }
    return 0;
}

int gnn_gfcf_fit(gnn_gfcf_t *m, int threads, err_t *e)
{
    uint32_t nu = m->n_users, ni = m->n_items;
    uint32_t lim = nu < ni ? nu : ni;
    uint32_t k = m->p.svd_k < lim ? m->p.svd_k : lim;
    uint32_t l = k + m->p.svd_oversample < lim ? k + m->p.svd_oversample : lim;
    free(m->v_own);
    free(m->s_own);
    m->v_own = m->s_own = NULL;
    m->v = NULL;
    m->k = 0;
    if (k == 0) return ERR_OK;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    size_t big = (size_t)(nu > ni ? nu : ni) * l;
    float *y = malloc((size_t)nu * l * sizeof *y), *z = malloc((size_t)ni * l * sizeof *z);
    float *tmp = malloc(big * sizeof *tmp), *rf = malloc((size_t)l * l * sizeof *rf);
    float *sv = malloc((size_t)l * sizeof *sv), *uu = malloc((size_t)l * l * sizeof *uu);
    float *vt = malloc((size_t)l * l * sizeof *vt);
    int *iwork = malloc(8 * (size_t)l * sizeof *iwork);
    m->v_own = malloc((size_t)ni * k * sizeof *m->v_own);
    m->s_own = malloc((size_t)k * sizeof *m->s_own);
    int rc = ERR_OK;
    if (!y || !z || !tmp || !rf || !sv || !uu || !vt || !iwork || !m->v_own || !m->s_own) {
        rc = err_set(e, ERR_NOMEM, "gf-cf: out of memory for the SVD (%u x %u and %u x %u)", nu, l, ni, l);
        goto done;
    }
    /* LAPACK runs on one OpenBLAS thread. Threaded, sgeqrf's panel steps
     * are thousands of small BLAS-2 calls, each a hand-over between threads
     * that wait with sched_yield: on the shared machine (load 12 on 2
     * cores) every hand-over cost a time slice and the lastfm fit took 150 s
     * of wall for 1.8 s of CPU (strace: 16k sched_yield for one iteration).
     * One thread does the QRs at full speed whatever the load; the SpMMs
     * stay on OpenMP threads. */
    int blas_saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    omp_set_num_threads(nt);
    rng_t g;
    rng_seed(&g, m->p.seed);
    for (size_t c = 0; c < (size_t)ni * l; c++) z[c] = rng_normal(&g);
    /* Subspace iteration on P = R~^T R~, re-orthonormalized once per
     * iteration (not after each of its two products): a step multiplies the
     * spread of the spectrum by s_1^2 / s_l^2 (~100 on gowalla), which
     * float32 carries without losing the basis, and it halves the QRs, the
     * dominant cost of the fit (each ~17 GFLOP on gowalla). */
    for (uint32_t it = 0; it < m->p.svd_iters; it++) {
        mul_rt(m, z, y, l);
        mul_rtt(m, y, z, l);
        if (orth_chol(z, ni, l, rf) && (rc = orth(z, ni, l, tmp, NULL, e))) goto blas;
    }
    mul_rt(m, z, y, l);
    if (orth_chol(y, nu, l, rf) && (rc = orth(y, nu, l, tmp, NULL, e))) goto blas;
    /* B = Qy^T R~ [l x I] = (Qz Rz)^T = Rz^T Qz^T; with Rz^T = Ub S Wb^T the
     * right singular vectors of B are Qz Wb. */
    mul_rtt(m, y, z, l);
    if ((rc = orth(z, ni, l, tmp, rf, e))) goto blas;
    /* rf is Rz column-major, i.e. Rz^T row-major: transpose into Rz^T column-major */
    transpose(rf, l, l, tmp);
    int ll = (int)l, info = 0, lwork = -1;
    float wq;
    sgesdd_("S", &ll, &ll, tmp, &ll, sv, uu, &ll, vt, &ll, &wq, &lwork, iwork, &info, 1);
    lwork = (int)wq + 1;
    float *work = malloc((size_t)lwork * sizeof *work);
    if (!work) { rc = err_set(e, ERR_NOMEM, "svd: out of memory"); goto blas; }
    sgesdd_("S", &ll, &ll, tmp, &ll, sv, uu, &ll, vt, &ll, work, &lwork, iwork, &info, 1);
    free(work);
    if (info) { rc = err_set(e, ERR_IO, "svd: LAPACK sgesdd failed (info %d)", info); goto blas; }
    /* vt column-major (c, d) at c + d*l = Wb[d][c] = row-major Wb [l x l]:
     * V [I x k] = Qz [I x l] Wb[:, :k]. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)ni, (int)k, (int)l, 1.0f, z, (int)l, vt,
                (int)l, 0.0f, m->v_own, (int)k);
    memcpy(m->s_own, sv, k * sizeof *sv);
    m->v = m->v_own;
    m->k = k;
blas:
    openblas_set_num_threads(blas_saved);
done:
    free(y); free(z); free(tmp); free(rf); free(sv); free(uu); free(vt); free(iwork);
    if (rc) {
        free(m->v_own); free(m->s_own);
        m->v_own = m->s_own = NULL;
    }
    return rc;
}

/* ---- scoring ---- */

void gnn_gfcf_ideal(const gnn_gfcf_t *m, const float *wi, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                    float *x, float *out)
{
    const uint32_t k = m->k, ni = m->n_items;
    for (uint32_t q = 0; q < n; q++) {
        float *xq = x + (size_t)q * k;
        for (uint64_t c = hist->ptr[rows[q]]; c < hist->ptr[rows[q] + 1]; c++) {
            const uint32_t i = hist->col[c];
            const float d = wi[i];
            const float *vi = m->v + (size_t)i * k;
            for (uint32_t t = 0; t < k; t++) xq[t] += d * vi[t];
        }
    }
    if (k)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ni, (int)k, 1.0f, x, (int)k, m->v,
                    (int)k, 0.0f, out, (int)ni);
    else
        memset(out, 0, (size_t)n * ni * sizeof *out);
}

void gnn_gfcf_sparse_rp(const gnn_gfcf_t *m, const float *wi, const uint32_t *items, uint64_t n_it, float *w,
                        uint32_t *touched, float *y)
{
    uint32_t nt = 0;
    for (uint64_t a = 0; a < n_it; a++) {
        uint32_t i = items[a];
        float c = wi[i];
        if (c == 0.0f) continue;
        for (uint64_t b = m->rt.ptr[i]; b < m->rt.ptr[i + 1]; b++) {
            uint32_t v = m->rt.col[b];
            if (w[v] == 0.0f) touched[nt++] = v;
            w[v] += c;
        }
    }
    const graph_csr_t *r = m->r;
    for (uint32_t t = 0; t < nt; t++) {
        uint32_t v = touched[t];
        float c = w[v] * m->du_inv[v];
        w[v] = 0.0f;
        for (uint64_t b = r->ptr[v]; b < r->ptr[v + 1]; b++) y[r->col[b]] += c;
    }
}

/* Queries per pass of the sharpening. Each non-zero of R costs one
 * SHARP_W-wide row of the [I x SHARP_W] buffers (64 bytes = one cache line):
 * at 128 queries per pass the buffers were 21 MB each, spilled out of L3
 * between the two threads, and gowalla's RK4 evaluation spent ~10 CPU-min
 * in memory traffic; at 16 they are 2.6 MB and stay in L3. */
#define SHARP_W 16u

/* zt [I x n] = yt P for n dense rows held transposed (yt [I x n]);
 * a [I x n], acc [n] scratch. */
static void dense_p_block(const gnn_gfcf_t *m, const float *yt, float *zt, float *a, float *acc, uint32_t n)
{
    uint32_t ni = m->n_items;
    for (uint32_t i = 0; i < ni; i++)
        for (uint32_t q = 0; q < n; q++) a[(size_t)i * n + q] = yt[(size_t)i * n + q] * m->di_is[i];
    memset(zt, 0, (size_t)ni * n * sizeof *zt);
    const graph_csr_t *r = m->r;
    for (uint32_t v = 0; v < m->n_users; v++) {
        uint64_t b0 = r->ptr[v], b1 = r->ptr[v + 1];
        if (b0 == b1) continue;
        memset(acc, 0, n * sizeof *acc);
        for (uint64_t b = b0; b < b1; b++) {
            const float *ai = a + (size_t)r->col[b] * n;
            for (uint32_t q = 0; q < n; q++) acc[q] += ai[q];
        }
        float c = m->du_inv[v];
        for (uint32_t q = 0; q < n; q++) acc[q] *= c;
        for (uint64_t b = b0; b < b1; b++) {
            float *zj = zt + (size_t)r->col[b] * n;
            for (uint32_t q = 0; q < n; q++) zj[q] += acc[q];
        }
    }
    for (uint32_t i = 0; i < ni; i++)
        for (uint32_t q = 0; q < n; q++) zt[(size_t)i * n + q] *= m->di_is[i];
}

int gnn_gfcf_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                   err_t *e)
{
    if (m->p.variant == GNN_GFCF_CHEBYCF) return gnn_chebycf_score(m, hist, rows, n, out, e);
    if (m->p.variant == GNN_GFCF_ITEMKNN) return gnn_itemknn_score(m, hist, rows, n, out, e);
    if (m->p.variant == GNN_GFCF_EASE) return gnn_ease_score(m, hist, rows, n, out, e);
    uint32_t ni = m->n_items, nu = m->n_users, k = m->k;
    int bspm = m->p.variant == GNN_GFCF_BSPM, rc = ERR_OK;
    uint32_t sw = n < SHARP_W ? n : SHARP_W;
    float *w = calloc((size_t)nu + 1, sizeof *w);
    uint32_t *touched = malloc(((size_t)nu + 1) * sizeof *touched);
    float *y = calloc((size_t)ni + 1, sizeof *y);
    float *x = calloc((size_t)n * (k ? k : 1), sizeof *x);
    float *yt = NULL, *zt = NULL, *at = NULL, *acc = NULL, *kt = NULL, *sum = NULL;
    if (bspm && m->p.k_s && m->p.rk4) {
        kt = malloc((size_t)ni * sw * sizeof *kt);
        sum = malloc((size_t)ni * sw * sizeof *sum);
        if (!kt || !sum) {
            rc = err_set(e, ERR_NOMEM, "bspm: out of memory for %u queries", n);
            goto done;
        }
    }
    if (bspm && m->p.k_s) {
        yt = malloc((size_t)ni * sw * sizeof *yt);
        zt = malloc((size_t)ni * sw * sizeof *zt);
        at = malloc((size_t)ni * sw * sizeof *at);
        acc = malloc((size_t)sw * sizeof *acc);
    }
    if (!w || !touched || !y || !x || (bspm && m->p.k_s && (!yt || !zt || !at || !acc))) {
        rc = err_set(e, ERR_NOMEM, "%s: out of memory for %u queries", bspm ? "bspm" : "gf-cf", n);
        goto done;
    }
    /* ideal term: out = r Di^-1/2 V V^T (scaled by Di^1/2 below) */
    gnn_gfcf_ideal(m, m->di_is, hist, rows, n, x, out);
    float wi = bspm ? m->p.beta : m->p.alpha;
    for (uint32_t q = 0; q < n; q++) {
        const uint32_t *items = hist->col + hist->ptr[rows[q]];
        gnn_gfcf_sparse_rp(m, m->di_is, items, hist->ptr[rows[q] + 1] - hist->ptr[rows[q]], w, touched, y);
        float *o = out + (size_t)q * ni;
        for (uint32_t j = 0; j < ni; j++) {
            o[j] = wi * m->di_s[j] * o[j] + m->di_is[j] * y[j];
            y[j] = 0.0f;
        }
    }
    /* sharpening, SHARP_W queries at a time (see SHARP_W) */
    for (uint32_t q0 = 0; bspm && m->p.k_s && q0 < n; q0 += sw) {
        uint32_t nb = n - q0 < sw ? n - q0 : sw;
        float h = m->p.t_s / (float)m->p.k_s;
        size_t len = (size_t)ni * nb;
        transpose(out + (size_t)q0 * ni, nb, ni, yt);
        for (uint32_t st = 0; st < m->p.k_s; st++) {
            if (!m->p.rk4) {   /* Euler: y -= h y P */
                dense_p_block(m, yt, zt, at, acc, nb);
                for (size_t c = 0; c < len; c++) yt[c] -= h * zt[c];
                continue;
            }
            /* RK4 on dy/dt = -y P: k1 = -yP, k2 = -(y + h/2 k1)P,
             * k3 = -(y + h/2 k2)P, k4 = -(y + h k3)P, y += h/6 (k1 + 2k2 + 2k3 + k4).
             * zt holds the stage input, kt the stage's y P, sum their weighted sum. */
            memcpy(zt, yt, len * sizeof *zt);
            memset(sum, 0, len * sizeof *sum);
            static const float stage_in[4] = {0.5f, 0.5f, 1.0f, 0.0f}, stage_w[4] = {1, 2, 2, 1};
            for (int q = 0; q < 4; q++) {
                dense_p_block(m, zt, kt, at, acc, nb);
                for (size_t c = 0; c < len; c++) {
                    sum[c] += stage_w[q] * kt[c];
                    zt[c] = yt[c] - stage_in[q] * h * kt[c];
                }
            }
            for (size_t c = 0; c < len; c++) yt[c] -= h / 6.0f * sum[c];
        }
        transpose(yt, ni, nb, out + (size_t)q0 * ni);
    }
done:
    free(w); free(touched); free(y); free(x); free(yt); free(zt); free(at); free(acc); free(kt); free(sum);
    return rc;
}

static int score_cb(const gnn_scorer_t *s, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                    err_t *e)
{
    return gnn_gfcf_score(s->ctx, hist, rows, n, out, e);
}

void gnn_gfcf_scorer(gnn_gfcf_t *m, gnn_scorer_t *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->arch, sizeof s->arch, "%s", gnn_gfcf_variant_name(m->p.variant));
    s->n_users = m->n_users;
    s->n_items = m->n_items;
    s->dim = m->k;
    s->score = score_cb;
    /* OpenBLAS packs all of V [I x k] at every SGEMM call (gowalla: 42 MB):
     * with 32 queries per call the packing took 25% of the eval (perf), so
     * blocks are wide; bspm's sharpening also makes one pass over R per
     * block and step, amortized over the block's queries. Memory: a [block x
     * I] score tile per thread (gowalla: 21 MB), and for bspm five
     * [I x SHARP_W] buffers. */
    s->block = 128;
    s->ctx = m;
}

/* ---- reference ---- */

/* z = y P, dense */
static void mul_p(const double *p, const double *y, double *z, uint32_t ni)
{
    for (uint32_t j = 0; j < ni; j++) {
        double s = 0.0;
        for (uint32_t i = 0; i < ni; i++) s += y[i] * p[(size_t)i * ni + j];
        z[j] = s;
    }
}

int gnn_gfcf_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                       float *out, err_t *e)
{
    if (m->p.variant == GNN_GFCF_CHEBYCF) return gnn_chebycf_score_ref(m, hist, rows, n, out, e);
    if (m->p.variant == GNN_GFCF_ITEMKNN) return gnn_itemknn_score_ref(m, hist, rows, n, out, e);
    if (m->p.variant == GNN_GFCF_EASE) return gnn_ease_score_ref(m, hist, rows, n, out, e);
    uint32_t ni = m->n_items, k = m->k;
    double *p = calloc((size_t)ni * ni + 1, sizeof *p);
    double *r = malloc(((size_t)ni + 1) * sizeof *r), *y = malloc(((size_t)ni + 1) * sizeof *y);
    double *z = malloc(((size_t)ni + 1) * sizeof *z), *k1 = malloc(((size_t)ni + 1) * sizeof *k1);
    double *k2 = malloc(((size_t)ni + 1) * sizeof *k2), *k3 = malloc(((size_t)ni + 1) * sizeof *k3);
    double *k4 = malloc(((size_t)ni + 1) * sizeof *k4);
    if (!p || !r || !y || !z || !k1 || !k2 || !k3 || !k4) {
        free(p); free(r); free(y); free(z); free(k1); free(k2); free(k3); free(k4);
        return err_set(e, ERR_NOMEM, "gf-cf reference: out of memory");
    }
    /* P = R~^T R~, entry by entry from the definition */
    const graph_csr_t *R = m->r;
    for (uint32_t v = 0; v < m->n_users; v++)
        for (uint64_t a = R->ptr[v]; a < R->ptr[v + 1]; a++)
            for (uint64_t b = R->ptr[v]; b < R->ptr[v + 1]; b++) {
                uint32_t i = R->col[a], j = R->col[b];
                p[(size_t)i * ni + j] += (double)m->du_inv[v] * m->di_is[i] * m->di_is[j];
            }
    int bspm = m->p.variant == GNN_GFCF_BSPM;
    double wi = bspm ? m->p.beta : m->p.alpha;
    for (uint32_t q = 0; q < n; q++) {
        memset(r, 0, ni * sizeof *r);
        for (uint64_t c = hist->ptr[rows[q]]; c < hist->ptr[rows[q] + 1]; c++) r[hist->col[c]] = 1.0;
        for (uint32_t j = 0; j < ni; j++) {
            double s = 0.0;
            for (uint32_t i = 0; i < ni; i++) s += r[i] * p[(size_t)i * ni + j];
            double id = 0.0;
            for (uint32_t i = 0; i < ni; i++) {
                if (r[i] == 0.0) continue;
                double vv = 0.0;
                for (uint32_t t = 0; t < k; t++) vv += (double)m->v[(size_t)i * k + t] * m->v[(size_t)j * k + t];
                id += m->di_is[i] * vv * m->di_s[j];
            }
            y[j] = s + wi * id;
        }
        if (bspm)
            for (uint32_t st = 0; st < m->p.k_s; st++) {
                double h = (double)m->p.t_s / m->p.k_s;
                if (!m->p.rk4) {
                    mul_p(p, y, z, ni);
                    for (uint32_t j = 0; j < ni; j++) y[j] -= h * z[j];
                    continue;
                }
                /* classic RK4 of dy/dt = f(y) = -y P, written out */
                mul_p(p, y, k1, ni);
                for (uint32_t j = 0; j < ni; j++) { k1[j] = -k1[j]; z[j] = y[j] + h / 2 * k1[j]; }
                mul_p(p, z, k2, ni);
                for (uint32_t j = 0; j < ni; j++) { k2[j] = -k2[j]; z[j] = y[j] + h / 2 * k2[j]; }
                mul_p(p, z, k3, ni);
                for (uint32_t j = 0; j < ni; j++) { k3[j] = -k3[j]; z[j] = y[j] + h * k3[j]; }
                mul_p(p, z, k4, ni);
                for (uint32_t j = 0; j < ni; j++)
                    y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] - k4[j]);
            }
        for (uint32_t j = 0; j < ni; j++) out[(size_t)q * ni + j] = (float)y[j];
    }
    free(p); free(r); free(y); free(z); free(k1); free(k2); free(k3); free(k4);
    return ERR_OK;
}
