/* chebycf.c - ChebyCF (Kim et al., SIGIR 2025; gfcf.h, docs/gfcf.md): the
 * Chebyshev interpolation coefficients, the blocked scorer and its dense
 * reference. Shares gnn_gfcf_t (degrees, R^T, the SVD factor V) with
 * GF-CF and BSPM; assumes gnn_gfcf_init filled di_pre/di_post and coef.
 *
 * The scorer never forms P = R~^T R~: T_1 = s0 L~ comes from the sparse
 * two-hop product (s0 is sparse), every later term from a dense y P on a
 * transposed [I x CHEB_W] block of queries, two gather passes over R:
 * t[v] = Du^-1 sum over v's items of (Di^-1/2 y)[i], then
 * z[i] = Di^-1/2 sum over i's users of t[v], with the Chebyshev step and
 * the weighted sum fused into the second pass.
 */
#include "gnn/gfcf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Queries per dense pass. Each non-zero of R costs one CHEB_W-wide row
 * read from a [I x CHEB_W] or [U x CHEB_W] buffer. Measured on gowalla
 * (order 4, 64 queries, one thread, load ~20; CPU seconds per query and
 * step): 1.6 ms at 4, 1.4 ms at 8, 2.6 ms at 16, 4.3 ms at 32. At 8 the
 * randomly read buffers are 1.3 MB and 0.95 MB, about the 1 MB private L2;
 * wider ones live in the shared L3, which the other jobs on the machine
 * keep evicting. */
#ifndef CHEB_W
#define CHEB_W 8u
#endif

static double round3(double x) { return nearbyint(x * 1000.0) / 1000.0; }

void gnn_chebycf_targets(uint32_t order, double phi, double *f, double *x)
{
    for (uint32_t j = 0; j <= order; j++) {
        double p = round3(cos((double)(order - j) / order * M_PI));
        f[j] = round3(p < 0 ? 0.5 + 0.5 * pow(-p, phi) : 0.5 - 0.5 * pow(p, phi));
        x[j] = cos(((double)order + 0.5 - j) / (order + 1) * M_PI);
    }
}

void gnn_chebycf_coeffs(uint32_t order, double phi, double *c)
{
    double f[GNN_CHEBY_MAX_ORDER + 1], x[GNN_CHEBY_MAX_ORDER + 1];
    gnn_chebycf_targets(order, phi, f, x);
    for (uint32_t k = 0; k <= order; k++) {
        double s = 0.0;
        for (uint32_t j = 0; j <= order; j++) s += f[j] * cos(k * acos(x[j]));   /* T_k(x_j) */
        c[k] = s * 2.0 / (order + 1);
    }
    c[0] /= 2.0;
}

/* One Chebyshev step on a block: tk2 <- 2 tk1 L~ - tk2 = 2 tk1 - 4 tk1 P - tk2,
 * acc += c tk2. tu [U x CHEB_W] scratch. */
static void cheb_step(const gnn_gfcf_t *m, const float *tk1, float *tk2, float *acc, float *tu, float c)
{
    const graph_csr_t *r = m->r, *rt = &m->rt;
    for (uint32_t v = 0; v < m->n_users; v++) {
        float t[CHEB_W] = {0};
        for (uint64_t b = r->ptr[v]; b < r->ptr[v + 1]; b++) {
            const uint32_t i = r->col[b];
            const float w = m->di_is[i];
            const float *y = tk1 + (size_t)i * CHEB_W;
            for (uint32_t q = 0; q < CHEB_W; q++) t[q] += w * y[q];
        }
        float *o = tu + (size_t)v * CHEB_W;
        const float d = m->du_inv[v];
        for (uint32_t q = 0; q < CHEB_W; q++) o[q] = d * t[q];
    }
    for (uint32_t i = 0; i < m->n_items; i++) {
        float z[CHEB_W] = {0};
        for (uint64_t b = rt->ptr[i]; b < rt->ptr[i + 1]; b++) {
            const float *t = tu + (size_t)rt->col[b] * CHEB_W;
            for (uint32_t q = 0; q < CHEB_W; q++) z[q] += t[q];
        }
        const float d = 4.0f * m->di_is[i];
        const float *y1 = tk1 + (size_t)i * CHEB_W;
        float *y2 = tk2 + (size_t)i * CHEB_W, *a = acc + (size_t)i * CHEB_W;
        for (uint32_t q = 0; q < CHEB_W; q++) {
            y2[q] = 2.0f * y1[q] - d * z[q] - y2[q];
            a[q] += c * y2[q];
        }
    }
}

int gnn_chebycf_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                      err_t *e)
{
    const uint32_t ni = m->n_items, nu = m->n_users, k = m->k, order = m->p.cheby_order;
    const size_t blk = (size_t)ni * CHEB_W;
    float *x = calloc((size_t)n * (k ? k : 1), sizeof *x);
    float *ta = malloc(blk * sizeof *ta), *tb = malloc(blk * sizeof *tb), *acc = malloc(blk * sizeof *acc);
    float *tu = malloc(((size_t)nu + 1) * CHEB_W * sizeof *tu);
    float *w = calloc((size_t)nu + 1, sizeof *w), *y = calloc((size_t)ni + 1, sizeof *y);
    uint32_t *touched = malloc(((size_t)nu + 1) * sizeof *touched);
    int rc = ERR_OK;
    if (!x || !ta || !tb || !acc || !tu || !w || !y || !touched) {
        rc = err_set(e, ERR_NOMEM, "chebycf: out of memory for %u queries", n);
        goto done;
    }
    /* ideal term: out = s0 V V^T (weighted and normalized below) */
    gnn_gfcf_ideal(m, m->di_pre, hist, rows, n, x, out);
    for (uint32_t q0 = 0; q0 < n; q0 += CHEB_W) {
        const uint32_t nb = n - q0 < CHEB_W ? n - q0 : CHEB_W;
        memset(ta, 0, blk * sizeof *ta);
        /* T_0 = s0 (ta), T_1 = s0 - 2 s0 P (tb, from the sparse two-hop product) */
        for (uint32_t q = 0; q < nb; q++) {
            const uint32_t u = rows[q0 + q];
            const uint32_t *items = hist->col + hist->ptr[u];
            const uint64_t n_it = hist->ptr[u + 1] - hist->ptr[u];
            for (uint64_t c = 0; c < n_it; c++) ta[(size_t)items[c] * CHEB_W + q] = m->di_pre[items[c]];
            gnn_gfcf_sparse_rp(m, m->di_pre_is, items, n_it, w, touched, y);
            for (uint32_t j = 0; j < ni; j++) {
                tb[(size_t)j * CHEB_W + q] = -2.0f * m->di_is[j] * y[j];
                y[j] = 0.0f;
            }
        }
        for (size_t c = nb; c < CHEB_W; c++)   /* unused columns stay 0 */
            for (uint32_t j = 0; j < ni; j++) tb[(size_t)j * CHEB_W + c] = 0.0f;
        const float c0 = (float)m->coef[0], c1 = (float)m->coef[1];
        for (size_t c = 0; c < blk; c++) {
            tb[c] += ta[c];
            acc[c] = c0 * ta[c] + c1 * tb[c];
        }
        /* T_k = 2 T_{k-1} L~ - T_{k-2}: ta holds T_{k-2} and becomes T_k */
        for (uint32_t kk = 2; kk <= order; kk++) {
            cheb_step(m, tb, ta, acc, tu, (float)m->coef[kk]);
            float *sw = ta;
            ta = tb;
            tb = sw;
        }
        const float al = m->p.alpha;
        for (uint32_t q = 0; q < nb; q++) {
            float *o = out + (size_t)(q0 + q) * ni;
            for (uint32_t j = 0; j < ni; j++) o[j] = m->di_post[j] * (al * o[j] + acc[(size_t)j * CHEB_W + q]);
        }
    }
done:
    free(x); free(ta); free(tb); free(acc); free(tu); free(w); free(y); free(touched);
    return rc;
}

/* ---- reference: the matrix polynomial formed densely, in double ---- */

/* c [n x n] = a b */
static void matmul(const double *a, const double *b, double *c, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            double s = 0.0;
            for (uint32_t l = 0; l < n; l++) s += a[(size_t)i * n + l] * b[(size_t)l * n + j];
            c[(size_t)i * n + j] = s;
        }
}

int gnn_chebycf_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                          float *out, err_t *e)
{
    const uint32_t ni = m->n_items, k = m->k;
    const size_t nn = (size_t)ni * ni + 1;
    double *lt = calloc(nn, sizeof *lt), *t0 = calloc(nn, sizeof *t0), *t1 = calloc(nn, sizeof *t1);
    double *t2 = calloc(nn, sizeof *t2), *h = calloc(nn, sizeof *h), *s0 = malloc(((size_t)ni + 1) * sizeof *s0);
    if (!lt || !t0 || !t1 || !t2 || !h || !s0) {
        free(lt); free(t0); free(t1); free(t2); free(h); free(s0);
        return err_set(e, ERR_NOMEM, "chebycf reference: out of memory");
    }
    /* L~ = I - 2 P, P = R~^T R~ from its definition */
    const graph_csr_t *R = m->r;
    for (uint32_t i = 0; i < ni; i++) lt[(size_t)i * ni + i] = 1.0;
    for (uint32_t v = 0; v < m->n_users; v++)
        for (uint64_t a = R->ptr[v]; a < R->ptr[v + 1]; a++)
            for (uint64_t b = R->ptr[v]; b < R->ptr[v + 1]; b++) {
                const uint32_t i = R->col[a], j = R->col[b];
                lt[(size_t)i * ni + j] -= 2.0 * m->du_inv[v] * m->di_is[i] * m->di_is[j];
            }
    /* H = sum c_k T_k(L~), the matrices by T_k = 2 L~ T_{k-1} - T_{k-2} */
    for (uint32_t i = 0; i < ni; i++) t0[(size_t)i * ni + i] = 1.0;
    memcpy(t1, lt, (nn - 1) * sizeof *t1);
    for (size_t c = 0; c + 1 < nn; c++) h[c] = m->coef[0] * t0[c] + m->coef[1] * t1[c];
    for (uint32_t kk = 2; kk <= m->p.cheby_order; kk++) {
        matmul(lt, t1, t2, ni);
        for (size_t c = 0; c + 1 < nn; c++) {
            t2[c] = 2.0 * t2[c] - t0[c];
            h[c] += m->coef[kk] * t2[c];
        }
        double *sw = t0;
        t0 = t1;
        t1 = t2;
        t2 = sw;
    }
    for (uint32_t q = 0; q < n; q++) {
        memset(s0, 0, ni * sizeof *s0);
        for (uint64_t c = hist->ptr[rows[q]]; c < hist->ptr[rows[q] + 1]; c++)
            s0[hist->col[c]] = m->di_pre[hist->col[c]];
        for (uint32_t j = 0; j < ni; j++) {
            double s = 0.0, id = 0.0;
            for (uint32_t i = 0; i < ni; i++) {
                if (s0[i] == 0.0) continue;
                s += s0[i] * h[(size_t)i * ni + j];
                double vv = 0.0;
                for (uint32_t t = 0; t < k; t++) vv += (double)m->v[(size_t)i * k + t] * m->v[(size_t)j * k + t];
                id += s0[i] * vv;
            }
            out[(size_t)q * ni + j] = (float)(m->di_post[j] * (s + m->p.alpha * id));
        }
    }
    free(lt); free(t0); free(t1); free(t2); free(h); free(s0);
    return ERR_OK;
}
