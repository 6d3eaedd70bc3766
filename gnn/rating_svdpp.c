/* rating_svdpp.c - SVD++ on explicit ratings (`train --arch svdpp --loss
 * mse`, rating.h): the user row z_u = p_u + s_u sum_{j in N(u)} y_j with
 * s_u = |N(u)|^-1/2, its loss's gradient and the plain reference loss the
 * gradient check differentiates. The gradient is biased MF's too (no Y:
 * z_u = p_u, the same operations in the same order as before SVD++).
 *
 * Gradient of a batch of n pairs (c = 2 / n, e_t the error of pair t):
 *   dL/dq_i += c (e_t z_u + reg q_i)     dL/dp_u += c (e_t q_i + reg p_u)
 *   dL/dy_j += s_u c e_t q_i + c reg y_j   for every j in N(u)
 * The y part is summed per user first: z_u is computed once for each user
 * of the batch (its first pair), the pairs add c e_t q_i into g_u, then each
 * of the batch's users adds s_u g_u + c reg cnt_u y_j to its N(u)'s rows
 * (cnt_u its pairs in the batch). What costs is |N(u)| x dim per user of a
 * batch, twice; both passes are shared by --threads without changing a
 * bit: the z rows one per user, the spreading by pieces of 16 columns (a
 * coordinate's terms in batch order whatever the team); the pairs' loop is
 * one thread's in batch order (as biased MF in rating.c). */
#include <math.h>
#include <string.h>

#include "gnn/rating.h"
#include "gnn/spmm.h"

static float scale_of(const graph_csr_t *r, uint32_t u)
{
    const uint64_t n = r->ptr[u + 1] - r->ptr[u];
    return n ? 1.0f / sqrtf((float)n) : 0.0f;
}

void gnn_rating_user_row(const gnn_rating_model_t *m, uint32_t u, float *z)
{
    const uint32_t d = m->dim;
    memcpy(z, m->P + (size_t)u * d, d * sizeof *z);
    if (!m->Y) return;
    const graph_csr_t *r = m->implicit;
    const float s = scale_of(r, u);
    if (s == 0.0f) return;
    float sum[1024];   /* dim <= 1024 (gnn_rating_init); z = p + s * sum, the sum in N(u)'s order */
    memset(sum, 0, d * sizeof *sum);
    for (uint64_t k = r->ptr[u]; k < r->ptr[u + 1]; k++) {
        const float *y = m->Y + (size_t)r->col[k] * d;
        for (uint32_t j = 0; j < d; j++) sum[j] += y[j];
    }
    for (uint32_t j = 0; j < d; j++) z[j] += s * sum[j];
}

/* sum_{j in N(u)} |y_j|^2 */
static double y_sq(const gnn_rating_model_t *m, uint32_t u)
{
    const graph_csr_t *r = m->implicit;
    double s = 0.0;
    for (uint64_t k = r->ptr[u]; k < r->ptr[u + 1]; k++) {
        const float *y = m->Y + (size_t)r->col[k] * m->dim;
        for (uint32_t j = 0; j < m->dim; j++) s += (double)y[j] * y[j];
    }
    return s;
}

double gnn_rating_svdpp_loss_ref(const gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                                 uint32_t n, float reg)
{
    double s = 0.0;
    for (uint32_t t = 0; t < n; t++) {
        const float *p = m->P + (size_t)u[t] * m->dim, *q = m->Q + (size_t)i[t] * m->dim;
        const double err = (double)gnn_rating_predict(m, u[t], i[t]) - r[t];
        double l2 = (double)m->bu[u[t]] * m->bu[u[t]] + (double)m->bi[i[t]] * m->bi[i[t]] + y_sq(m, u[t]);
        for (uint32_t k = 0; k < m->dim; k++) l2 += (double)p[k] * p[k] + (double)q[k] * q[k];
        s += err * err + reg * l2;
    }
    return n ? s / n : 0.0;
}

/* The y rows' gradient and the sum of cnt_u |y_j|^2, over the columns
 * [j0, j1) only: a coordinate's terms in the serial order whatever splits
 * the columns. */
static double spread(gnn_rating_model_t *m, const uint32_t *users, uint32_t n_users, float c, float reg, uint32_t j0,
                     uint32_t j1)
{
    const uint32_t d = m->dim;
    const graph_csr_t *R = m->implicit;
    const float *gz = m->zs + (size_t)m->n_users * d;
    float *gY = m->grads + ((size_t)m->n_users + m->n_items) * (d + 1);
    double s = 0.0;
    for (uint32_t k = 0; k < n_users; k++) {   /* user by user in order of first pair */
        const uint32_t a = users[k];
        const float su = scale_of(R, a), cr = c * reg * (float)m->ucnt[a], *ga = gz + (size_t)a * d;
        double ysq = 0.0;
        for (uint64_t e = R->ptr[a]; e < R->ptr[a + 1]; e++) {
            const float *y = m->Y + (size_t)R->col[e] * d;
            float *gy = gY + (size_t)R->col[e] * d;
            for (uint32_t j = j0; j < j1; j++) {
                gy[j] += su * ga[j] + cr * y[j];
                ysq += (double)y[j] * y[j];
            }
        }
        s += (double)m->ucnt[a] * ysq;
    }
    return s;
}

enum { SPREAD_COLS = 16 };   /* columns a piece of the spreading: fixed, so the loss does not depend on threads */

void gnn_rating_dot_grad(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                         float reg, int threads, double *loss)
{
    const uint32_t d = m->dim, nu = m->n_users;
    const graph_csr_t *R = m->implicit;
    float *gP = m->grads, *gQ = gP + (size_t)nu * d, *gbu = gQ + (size_t)m->n_items * d, *gbi = gbu + nu;
    float *z = m->zs, *gz = m->Y ? m->zs + (size_t)nu * d : NULL;   /* rows of the batch's users only */
    uint32_t *cnt = m->ucnt, *users = m->Y ? m->ucnt + nu : NULL, n_users = 0;
    memset(m->grads, 0, m->n_params * sizeof(float));
    const float c = n ? 2.0f / (float)n : 0.0f;
    for (uint32_t t = 0; m->Y && t < n; t++)
        if (!cnt[u[t]]++) users[n_users++] = u[t];
    uint64_t work = 0;   /* y rows read per pass */
    for (uint32_t k = 0; k < n_users; k++) work += R->ptr[users[k] + 1] - R->ptr[users[k]];
    const int team = gnn_team(threads, (double)work * d);
#pragma omp parallel for schedule(dynamic, 8) num_threads(team)
    for (uint32_t k = 0; k < n_users; k++) {   /* a row each: the same bits on any team */
        gnn_rating_user_row(m, users[k], z + (size_t)users[k] * d);
        memset(gz + (size_t)users[k] * d, 0, d * sizeof *gz);
    }
    double s = 0.0;
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t a = u[t], b = i[t];
        const float *p = m->P + (size_t)a * d, *q = m->Q + (size_t)b * d, *za = m->Y ? z + (size_t)a * d : p;
        float *gp = gP + (size_t)a * d, *gq = gQ + (size_t)b * d;
        float dot = 0.0f, l2 = m->bu[a] * m->bu[a] + m->bi[b] * m->bi[b];
        for (uint32_t k = 0; k < d; k++) {
            dot += za[k] * q[k];
            l2 += p[k] * p[k] + q[k] * q[k];
        }
        const float err = m->mu + m->bu[a] + m->bi[b] + dot - r[t];
        s += (double)err * err + (double)reg * l2;
        for (uint32_t k = 0; k < d; k++) {
            gp[k] += c * (err * q[k] + reg * p[k]);
            gq[k] += c * (err * za[k] + reg * q[k]);
        }
        if (gz)
            for (uint32_t k = 0; k < d; k++) gz[(size_t)a * d + k] += c * err * q[k];
        gbu[a] += c * (err + reg * m->bu[a]);
        gbi[b] += c * (err + reg * m->bi[b]);
    }
    if (n_users) {   /* svdpp: the y rows, the columns in fixed pieces shared by the team */
        const uint32_t pieces = (d + SPREAD_COLS - 1) / SPREAD_COLS;
        double part[1024 / SPREAD_COLS];
#pragma omp parallel for schedule(static) num_threads(team)
        for (uint32_t q = 0; q < pieces; q++)
            part[q] = spread(m, users, n_users, c, reg, q * SPREAD_COLS,
                             q * SPREAD_COLS + SPREAD_COLS < d ? q * SPREAD_COLS + SPREAD_COLS : d);
        for (uint32_t q = 0; q < pieces; q++) s += (double)reg * part[q];
        for (uint32_t k = 0; k < n_users; k++) cnt[users[k]] = 0;
    }
    *loss = n ? s / n : 0.0;
}
