/* bpr.c - BPR loss of a batch of triples and its gradient with respect to
 * the final embeddings, plus LightGCN's L2 term on the layer-0 rows.
 *
 *   loss = (1/T) sum_t [ softplus(s_uj - s_ui) + reg/2 (|e_u|^2 + |e_i|^2 + |e_j|^2) ]
 *
 * Serial on purpose: T x 3 rows of dim floats is microseconds of work, and
 * a fixed accumulation order keeps duplicated nodes' gradients bit-exact
 * whatever the thread count. Node ids: users u, items n_users + i.
 */
#include <math.h>

#include "gnn/internal.h"

static inline float dotf(const float *a, const float *b, uint32_t dim)
{
    float s = 0.0f;
    for (uint32_t d = 0; d < dim; d++) s += a[d] * b[d];
    return s;
}

static inline double sq(const float *a, uint32_t dim)
{
    double s = 0.0;
    for (uint32_t d = 0; d < dim; d++) s += (double)a[d] * a[d];
    return s;
}

double gnn_bpr(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
               const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, float reg,
               float *g, float *l2)
{
    double loss = 0.0, norms = 0.0;
    const float inv_t = 1.0f / (float)t, s2 = zscale * zscale;
    const float l2c = reg * inv_t;
    for (uint32_t k = 0; k < t; k++) {
        /* the rows are scattered over tables larger than L2, and this loop is
         * serial: fetch a few triples ahead or it waits on every one */
        if (k + 4 < t) {
            size_t pu = u[k + 4], pi = (size_t)n_users + i[k + 4], pj = (size_t)n_users + j[k + 4];
            for (uint32_t b = 0; b < dim; b += 16) {
                __builtin_prefetch(z + pu * dim + b); __builtin_prefetch(z + pi * dim + b);
                __builtin_prefetch(z + pj * dim + b); __builtin_prefetch(g + pu * dim + b, 1);
                __builtin_prefetch(g + pi * dim + b, 1); __builtin_prefetch(g + pj * dim + b, 1);
                __builtin_prefetch(emb0 + pu * dim + b); __builtin_prefetch(emb0 + pi * dim + b);
                __builtin_prefetch(emb0 + pj * dim + b);
            }
        }
        size_t ru = u[k], ri = (size_t)n_users + i[k], rj = (size_t)n_users + j[k];
        const float *zu = z + ru * dim, *zi = z + ri * dim, *zj = z + rj * dim;
        /* x = s_ui - s_uj with F = zscale * z */
        float x = s2 * (dotf(zu, zi, dim) - dotf(zu, zj, dim));
        /* softplus(-x), stable for either sign */
        loss += (x > 0 ? 0.0 : -(double)x) + log1p(exp(-fabs((double)x)));
        /* d/dx softplus(-x) = -sigmoid(-x); chain through F = zscale * z
         * is applied by the caller's backward (G is dL/dF) */
        float c = -inv_t / (1.0f + expf(x));
        float cz = c * zscale;
        float *gu = g + ru * dim, *gi = g + ri * dim, *gj = g + rj * dim;
        for (uint32_t d = 0; d < dim; d++) {
            float fu = cz * zu[d];
            gu[d] += cz * (zi[d] - zj[d]);
            gi[d] += fu;
            gj[d] -= fu;
        }
        norms += sq(emb0 + ru * dim, dim) + sq(emb0 + ri * dim, dim) + sq(emb0 + rj * dim, dim);
        l2[ru] += l2c;
        l2[ri] += l2c;
        l2[rj] += l2c;
    }
    return (loss + 0.5 * reg * norms) / t;
}
