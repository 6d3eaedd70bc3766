/* chebycf.c - ChebyCF (Kim et al., SIGIR 2025; gfcf.h, docs/gfcf.md): the
 * Chebyshev interpolation coefficients, the blocked scorer and its dense
 * reference. Shares gnn_gfcf_t (degrees, R^T, the SVD factor V) with
 * GF-CF and BSPM; assumes gnn_gfcf_init filled di_pre/di_post, coef and the
 * scorer's layout (gnn_chebycf_layout).
 *
 * The scorer never forms P = R~^T R~: T_1 = s0 L~ comes from the sparse
 * two-hop product (s0 is sparse), every later term from a dense y P on a
 * transposed [I x CHEB_W] block of queries, two gather passes over R. It
 * works in the scaled basis u_k = Di^-1/2 T_k, so both passes are plain
 * sums of gathered rows: t[v] = Du^-1 sum over v's items of u[i], then
 * z[i] = sum over i's users of t[v], with the Chebyshev step and the
 * weighted sum fused into the second pass. Items and users are numbered by
 * descending degree inside the scorer (its own copy of R and R^T), so the
 * rows most gathers hit are packed together in the buffers.
 */
#include "gnn/gfcf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Queries per dense pass. Each non-zero of R costs one CHEB_W-wide row
 * read from a [I x CHEB_W] or [U x CHEB_W] buffer. First measured on
 * gowalla with the old scorer (order 4, 64 queries, one thread, load ~20;
 * CPU seconds per query and step): 1.6 ms at 4, 1.4 ms at 8, 2.6 ms at 16,
 * 4.3 ms at 32. With the scaled, degree-ordered scorer 8 and 16 were within
 * the noise (docs/frontier.md); 8 keeps the randomly read buffers (1.3 MB
 * of items, 0.95 MB of users) near the 1 MB private L2. */
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

/* ---- the degree-ordered layout ---- */

typedef struct { uint64_t deg; uint32_t id; } by_deg_t;

static int cmp_by_deg(const void *a, const void *b)
{
    const by_deg_t *x = a, *y = b;
    if (x->deg != y->deg) return x->deg > y->deg ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* rank[old] for the rows of ptr [n + 1] by descending length, ties by index */
static int rank_rows(const uint64_t *ptr, uint32_t n, uint32_t *rank)
{
    by_deg_t *o = malloc(((size_t)n + 1) * sizeof *o);
    if (!o) return 1;
    for (uint32_t i = 0; i < n; i++) o[i] = (by_deg_t){ptr[i + 1] - ptr[i], i};
    qsort(o, n, sizeof *o, cmp_by_deg);
    for (uint32_t r = 0; r < n; r++) rank[o[r].id] = r;
    free(o);
    return 0;
}

int gnn_chebycf_layout(gnn_gfcf_t *m, err_t *e)
{
    const uint32_t nu = m->n_users, ni = m->n_items;
    const graph_csr_t *rt = &m->rt;
    uint32_t *unew = malloc(((size_t)nu + 1) * sizeof *unew);
    m->ch_inew = malloc(((size_t)ni + 1) * sizeof *m->ch_inew);
    m->ch_du_inv = malloc(((size_t)nu + 1) * sizeof *m->ch_du_inv);
    m->ch_di4 = malloc(((size_t)ni + 1) * sizeof *m->ch_di4);
    graph_csr_t a = {0};
    int rc = ERR_OK;
    if (!unew || !m->ch_inew || !m->ch_du_inv || !m->ch_di4 || rank_rows(m->r->ptr, nu, unew) ||
        rank_rows(rt->ptr, ni, m->ch_inew)) {
        rc = err_set(e, ERR_NOMEM, "chebycf: out of memory for the scorer's layout");
        goto done;
    }
    for (uint32_t u = 0; u < nu; u++) m->ch_du_inv[unew[u]] = m->du_inv[u];
    for (uint32_t i = 0; i < ni; i++) m->ch_di4[m->ch_inew[i]] = 4.0f * m->di_is[i] * m->di_is[i];
    /* R^T with both sides renumbered, rows unsorted; two transposes give
     * R and R^T with every row ascending (so a row's gathers walk up) */
    if ((rc = graph_csr_init(&a, ni, nu, rt->nnz, 0, e))) goto done;
    for (uint32_t i = 0; i < ni; i++) a.ptr[m->ch_inew[i] + 1] = rt->ptr[i + 1] - rt->ptr[i];
    for (uint32_t r = 0; r < ni; r++) a.ptr[r + 1] += a.ptr[r];
    for (uint32_t i = 0; i < ni; i++) {
        uint64_t o = a.ptr[m->ch_inew[i]];
        for (uint64_t b = rt->ptr[i]; b < rt->ptr[i + 1]; b++) a.col[o++] = unew[rt->col[b]];
    }
    if ((rc = graph_csr_transpose(&a, &m->ch_r, e)) || (rc = graph_csr_transpose(&m->ch_r, &m->ch_rt, e)))
        goto done;
done:
    graph_csr_destroy(&a);
    free(unew);
    return rc;
}

/* ---- the scorer ---- */

/* One row of a block: CHEB_W floats as one GCC/Clang vector (a __m256 at
 * width 8), so each gathered row is one load and one add whatever the
 * compiler makes of the loops; the buffers are allocated aligned to it. */
typedef float cheb_row_t __attribute__((vector_size(CHEB_W * sizeof(float))));

/* The sum of the rows src[col[b]] for b in [b0, b1), with two accumulators
 * so consecutive gathers do not wait on one chain of adds. */
static inline cheb_row_t row_sum(const cheb_row_t *src, const uint32_t *col, uint64_t b0, uint64_t b1)
{
    cheb_row_t s0 = {0}, s1 = {0};
    uint64_t b = b0;
    for (; b + 1 < b1; b += 2) {
        s0 += src[col[b]];
        s1 += src[col[b + 1]];
    }
    if (b < b1) s0 += src[col[b]];
    return s0 + s1;
}

/* The user half of y P in the scaled basis: tu[v] = Du^-1 sum over v's
 * items of u[i]. */
static void user_pass(const gnn_gfcf_t *m, const cheb_row_t *u, cheb_row_t *tu)
{
    const graph_csr_t *r = &m->ch_r;
    for (uint32_t v = 0; v < r->n_rows; v++) tu[v] = m->ch_du_inv[v] * row_sum(u, r->col, r->ptr[v], r->ptr[v + 1]);
}

/* The item half and the Chebyshev step, fused: with z[i] = sum over i's
 * users of tu[v] (so 4 Di^-1 z = 4 Di^-1/2 (T P)),
 * u2 <- a u1 - b 4 Di^-1 z - g u2 and acc += c u2. The recurrence
 * T_k = 2 T_{k-1} L~ - T_{k-2} = 2 T_{k-1} - 4 T_{k-1} P - T_{k-2} is
 * (a, b, g) = (2, 1, 1); T_1 = T_0 - 2 T_0 P is (1, 1/2, 0). */
static void item_pass(const gnn_gfcf_t *m, const cheb_row_t *tu, const cheb_row_t *u1, cheb_row_t *u2,
                      cheb_row_t *acc, float a, float b, float g, float c)
{
    const graph_csr_t *rt = &m->ch_rt;
    for (uint32_t i = 0; i < rt->n_rows; i++) {
        u2[i] = a * u1[i] - (b * m->ch_di4[i]) * row_sum(tu, rt->col, rt->ptr[i], rt->ptr[i + 1]) - g * u2[i];
        acc[i] += c * u2[i];
    }
}

int gnn_chebycf_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                      err_t *e)
{
    const uint32_t ni = m->n_items, nu = m->n_users, k = m->k, order = m->p.cheby_order;
    const uint32_t *inew = m->ch_inew;
    const size_t blk = (size_t)ni * CHEB_W;
    float *x = calloc((size_t)n * (k ? k : 1), sizeof *x);
    /* sizes are multiples of the row, as aligned_alloc wants */
    float *ta = aligned_alloc(sizeof(cheb_row_t), blk * sizeof *ta);
    float *tb = aligned_alloc(sizeof(cheb_row_t), blk * sizeof *tb);
    float *acc = aligned_alloc(sizeof(cheb_row_t), blk * sizeof *acc);
    float *tu = aligned_alloc(sizeof(cheb_row_t), ((size_t)nu + 1) * sizeof(cheb_row_t));
    int rc = ERR_OK;
    if (!x || !ta || !tb || !acc || !tu) {
        rc = err_set(e, ERR_NOMEM, "chebycf: out of memory for %u queries", n);
        goto done;
    }
    /* ideal term: out = s0 V V^T (weighted and normalized below) */
    gnn_gfcf_ideal(m, m->di_pre, hist, rows, n, x, out);
    const float c0 = (float)m->coef[0];
    for (uint32_t q0 = 0; q0 < n; q0 += CHEB_W) {
        const uint32_t nb = n - q0 < CHEB_W ? n - q0 : CHEB_W;
        memset(ta, 0, blk * sizeof *ta);   /* unused columns stay 0 */
        memset(tb, 0, blk * sizeof *tb);
        memset(tu, 0, (size_t)nu * sizeof(cheb_row_t));
        /* u_0 = Di^-1/2 s0 (ta), sparse: its user half is a scatter from
         * the history's items alone */
        for (uint32_t q = 0; q < nb; q++) {
            const uint32_t u = rows[q0 + q];
            for (uint64_t c = hist->ptr[u]; c < hist->ptr[u + 1]; c++) {
                const uint32_t it = hist->col[c], r = inew[it];
                const float val = m->di_pre_is[it];
                ta[(size_t)r * CHEB_W + q] = val;
                for (uint64_t b = m->ch_rt.ptr[r]; b < m->ch_rt.ptr[r + 1]; b++)
                    tu[(size_t)m->ch_rt.col[b] * CHEB_W + q] += val;
            }
        }
        cheb_row_t *ra = (cheb_row_t *)ta, *rb = (cheb_row_t *)tb, *racc = (cheb_row_t *)acc, *rtu = (cheb_row_t *)tu;
        for (uint32_t v = 0; v < nu; v++) rtu[v] *= m->ch_du_inv[v];
        for (uint32_t i = 0; i < ni; i++) racc[i] = c0 * ra[i];
        /* u_1 (tb) */
        item_pass(m, rtu, ra, rb, racc, 1.0f, 0.5f, 0.0f, (float)m->coef[1]);
        /* u_k = 2 u_{k-1} L~ - u_{k-2}: ra holds u_{k-2} and becomes u_k */
        for (uint32_t kk = 2; kk <= order; kk++) {
            user_pass(m, rb, rtu);
            item_pass(m, rtu, rb, ra, racc, 2.0f, 1.0f, 1.0f, (float)m->coef[kk]);
            cheb_row_t *sw = ra;
            ra = rb;
            rb = sw;
        }
        /* s = (alpha ideal + Di^1/2 acc) Di^b */
        const float al = m->p.alpha;
        for (uint32_t q = 0; q < nb; q++) {
            float *o = out + (size_t)(q0 + q) * ni;
            for (uint32_t j = 0; j < ni; j++)
                o[j] = m->di_post[j] * (al * o[j] + m->di_s[j] * acc[(size_t)inew[j] * CHEB_W + q]);
        }
    }
done:
    free(x); free(ta); free(tb); free(acc); free(tu);
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
