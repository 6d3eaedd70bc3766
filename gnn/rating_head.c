/* rating_head.c - the rating model with an MLP head (`train --head mlp`,
 * rating.h, gnn/head.h): the prediction mu + b_u + b_i + s(f_u, f_i) with s
 * the head over the user's and item's final rows (P/Q, or LightGCN's F),
 * its loss (mse on ratings, or BPR on interactions with sampled negatives)
 * and gradient, and the reference loss the gradient check differentiates.
 *
 * A batch is n pairs (u_t, i_t). mse: T = n terms (r^ - r)^2. bpr: the
 * first n/2 pairs are positives, the last n/2 their negatives (same users),
 * T = n/2 terms softplus(-(r^_pos - r^_neg)) (mu and b_u cancel). Both add
 * reg (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2) per pair and divide by T. No L2
 * on the head's weights (NeuMF's MLP has none). The batch's pairs go
 * through the head as one matrix (gnn_head_forward/backward, SGEMM); the
 * gradient is summed by one thread in batch order (the same bits whatever
 * --threads, as rating.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/rating.h"

static double softplus(double x) { return x > 30.0 ? x : log1p(exp(x)); }

/* The user's and item's rows of table f ([P; Q] or F, [(U + I) x dim]). */
static const float *urow(const gnn_rating_model_t *m, const float *f, uint32_t u) { return f + (size_t)u * m->dim; }
static const float *irow(const gnn_rating_model_t *m, const float *f, uint32_t i)
{
    return f + ((size_t)m->n_users + i) * m->dim;
}

static double l2_of(const gnn_rating_model_t *m, uint32_t u, uint32_t i)
{
    const float *p = urow(m, m->params, u), *q = irow(m, m->params, i);
    double s = (double)m->bu[u] * m->bu[u] + (double)m->bi[i] * m->bi[i];
    for (uint32_t k = 0; k < m->dim; k++) s += (double)p[k] * p[k] + (double)q[k] * q[k];
    return s;
}

/* The batch loss from predictions y [n] (mse against r; bpr: halves). */
static double batch_loss(const gnn_rating_model_t *m, const float *y, const float *r, uint32_t n)
{
    double s = 0.0;
    if (m->loss == GNN_LOSS_BPR)
        for (uint32_t t = 0; t < n / 2; t++) s += softplus(-((double)y[t] - y[t + n / 2]));
    else
        for (uint32_t t = 0; t < n; t++) s += ((double)y[t] - r[t]) * ((double)y[t] - r[t]);
    return s;
}

static uint32_t terms(const gnn_rating_model_t *m, uint32_t n) { return m->loss == GNN_LOSS_BPR ? n / 2 : n; }

double gnn_rating_head_loss_ref(const gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                                uint32_t n, float reg)
{
    float *f = m->layers ? gnn_rating_propagate_ref(m) : NULL;
    float *y = calloc(n ? n : 1, sizeof *y);
    if ((m->layers && !f) || !y) {
        free(f); free(y);
        return NAN;
    }
    const float *tab = f ? f : m->params;
    double l2 = 0.0;
    for (uint32_t t = 0; t < n; t++) {
        y[t] = m->mu + m->bu[u[t]] + m->bi[i[t]] +
               gnn_head_score_ref(&m->head, m->hw, urow(m, tab, u[t]), irow(m, tab, i[t]));
        l2 += l2_of(m, u[t], i[t]);
    }
    const double s = batch_loss(m, y, r, n) + reg * l2;
    free(f);
    free(y);
    return terms(m, n) ? s / terms(m, n) : 0.0;
}

/* dL/dy [n] from predictions y (and the loss's own factor 1/T). */
static void dloss(const gnn_rating_model_t *m, const float *y, const float *r, uint32_t n, float *dy)
{
    const uint32_t T = terms(m, n);
    if (!T) return;
    if (m->loss == GNN_LOSS_BPR)
        for (uint32_t t = 0; t < T; t++) {
            const double x = (double)y[t] - y[t + T], g = -1.0 / (1.0 + exp(x));   /* d softplus(-x) / dx */
            dy[t] = (float)(g / T);
            dy[t + T] = (float)(-g / T);
        }
    else
        for (uint32_t t = 0; t < n; t++) dy[t] = 2.0f * (y[t] - r[t]) / (float)T;
}

int gnn_rating_head_grad(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                         float reg, int threads, double *loss)
{
    const gnn_head_t *h = &m->head;
    const uint32_t d = m->dim, T = terms(m, n);
    const size_t nn = n ? n : 1;
    float *X = malloc(nn * 2 * d * sizeof *X), *dX = malloc(nn * 2 * d * sizeof *dX),
          *act = malloc(nn * h->n_act * sizeof *act), *tmp = malloc(nn * h->max_width * sizeof *tmp),
          *y = malloc(nn * sizeof *y), *dy = malloc(nn * sizeof *dy);
    int rc = X && dX && act && tmp && y && dy ? ERR_OK : ERR_NOMEM;
    if (!rc) {
        float *g = m->grads, *gbu = g + ((size_t)m->n_users + m->n_items) * d, *gbi = gbu + m->n_users;
        float *ghw = m->grads + (m->hw - m->params);
        memset(m->grads, 0, m->n_params * sizeof(float));
        if (m->layers) gnn_rating_propagate(m, threads);
        const float *f = m->layers ? m->F : m->params;
        for (uint32_t t = 0; t < n; t++) {
            memcpy(X + (size_t)t * 2 * d, urow(m, f, u[t]), d * sizeof *X);
            memcpy(X + (size_t)t * 2 * d + d, irow(m, f, i[t]), d * sizeof *X);
        }
        gnn_head_forward(h, m->hw, X, n, act, y);
        double l2 = 0.0;
        for (uint32_t t = 0; t < n; t++) {
            y[t] += m->mu + m->bu[u[t]] + m->bi[i[t]];
            l2 += l2_of(m, u[t], i[t]);
        }
        *loss = T ? (batch_loss(m, y, r, n) + reg * l2) / T : 0.0;
        dloss(m, y, r, n, dy);
        gnn_head_backward(h, m->hw, X, n, act, dy, ghw, dX, tmp);
        const float c = T ? 2.0f * reg / (float)T : 0.0f;
        for (uint32_t t = 0; t < n; t++) {
            float *gp = g + (size_t)u[t] * d, *gq = g + ((size_t)m->n_users + i[t]) * d;
            for (uint32_t k = 0; k < d; k++) {
                gp[k] += dX[(size_t)t * 2 * d + k];
                gq[k] += dX[(size_t)t * 2 * d + d + k];
            }
            gbu[u[t]] += dy[t] + c * m->bu[u[t]];
            gbi[i[t]] += dy[t] + c * m->bi[i[t]];
        }
        if (m->layers) gnn_rating_backprop(m, g, threads);
        for (uint32_t t = 0; t < n; t++) {   /* L2 on the parameter rows, after the propagation's backward */
            const float *p = urow(m, m->params, u[t]), *q = irow(m, m->params, i[t]);
            float *gp = g + (size_t)u[t] * d, *gq = g + ((size_t)m->n_users + i[t]) * d;
            for (uint32_t k = 0; k < d; k++) {
                gp[k] += c * p[k];
                gq[k] += c * q[k];
            }
        }
    }
    free(X); free(dX); free(act); free(tmp); free(y); free(dy);
    return rc;
}
