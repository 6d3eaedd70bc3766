/* bpr.c - BPR loss of a batch of triples and its gradient with respect to
 * the final embeddings, plus LightGCN's L2 term on the layer-0 rows.
 *
 *   loss = (1/T) sum_t [ softplus(s_uj - s_ui) + reg/2 (|e_u|^2 + |e_i|^2 + |e_j|^2) ]
 *
 * Two passes. The first (parallel over triples) gathers the three rows of
 * each triple, the costly part: the rows are scattered over tables larger
 * than L2. It leaves one coefficient per triple. The second scatters the
 * gradient: every thread walks all triples in order but writes only the
 * rows it owns (node % threads), so each row receives its contributions in
 * triple order, as the serial loop would. Loss and norms are summed in
 * triple order too. Hence bit-identical results whatever the thread count,
 * duplicated nodes included. Node ids: users u, items n_users + i.
 *
 * gnn_bpr_rows (the training steps' entry) computes the same bits with less
 * traffic: the squared norm of each distinct batch row is computed once, in
 * a pass over the batch's rows in node order (a stream), instead of three
 * scattered layer-0 rows gathered and summed per triple (with 4 negatives a
 * batch row occurs ~8 times; at 16M interactions those gathers were DRAM
 * misses, and each norm a 64-long serial chain of double adds); the
 * scratch is kept between steps. gnn_bpr is its reference twin
 * (tests/test_model.c checks the bits).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

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

/* Prefetch the rows triple k will read (the loops below run a few ahead). */
static inline void fetch(const float *z, const float *emb0, size_t pu, size_t pi, size_t pj, uint32_t dim)
{
    for (uint32_t b = 0; b < dim; b += 16) {
        __builtin_prefetch(z + pu * dim + b); __builtin_prefetch(z + pi * dim + b);
        __builtin_prefetch(z + pj * dim + b); __builtin_prefetch(emb0 + pu * dim + b);
        __builtin_prefetch(emb0 + pi * dim + b); __builtin_prefetch(emb0 + pj * dim + b);
    }
}

/* The scatter's reads and writes are as scattered as the gathers: prefetch
 * what triple k + SCATTER_PF will touch on this thread (its owned G rows and
 * the z rows they add). */
#ifndef SCATTER_PF
#define SCATTER_PF 8
#endif
static inline void fetch_owned(const float *z, const float *g, size_t ru, size_t ri, size_t rj,
                               uint32_t dim, size_t T, size_t me)
{
    for (uint32_t b = 0; b < dim; b += 16) {
        if (ru % T == me) {
            __builtin_prefetch(g + ru * dim + b, 1); __builtin_prefetch(z + ri * dim + b);
            __builtin_prefetch(z + rj * dim + b);
        }
        if (ri % T == me || rj % T == me) __builtin_prefetch(z + ru * dim + b);
        if (ri % T == me) __builtin_prefetch(g + ri * dim + b, 1);
        if (rj % T == me) __builtin_prefetch(g + rj * dim + b, 1);
    }
}

/* Triple k's gradient on the rows below lim that thread `me` of T owns
 * (node % T), and its L2 occurrence: G_u += c (z_i - z_j), G_i += c z_u,
 * G_j -= c z_u. Rows from lim on have no G (gnn_bpr_part's g_rows). */
static inline void scatter(const float *z, float *g, float *l2, size_t ru, size_t ri, size_t rj, float c,
                           float l2c, uint32_t dim, size_t T, size_t me, size_t lim)
{
    const float *zu = z + ru * dim, *zi = z + ri * dim, *zj = z + rj * dim;
    if (ru % T == me && ru < lim) {
        float *gu = g + ru * dim;
        for (uint32_t d = 0; d < dim; d++) gu[d] += c * (zi[d] - zj[d]);
        l2[ru] += l2c;
    }
    if (ri % T == me && ri < lim) {
        float *gi = g + ri * dim;
        for (uint32_t d = 0; d < dim; d++) gi[d] += c * zu[d];
        l2[ri] += l2c;
    }
    if (rj % T == me && rj < lim) {
        float *gj = g + rj * dim;
        for (uint32_t d = 0; d < dim; d++) gj[d] -= c * zu[d];
        l2[rj] += l2c;
    }
}

/* Triple (ru, ri, rj)'s coefficient c = dL/dx * zscale (x = s_ui - s_uj
 * with F = zscale * z) and its loss term *lx: softplus(-x), stable for
 * either sign; d/dx = -sigmoid(-x), chained through F = zscale * z (G is
 * dL/dF, the caller's backward). */
static inline float coef(const float *z, size_t ru, size_t ri, size_t rj, uint32_t dim, float s2, float inv_t,
                         float zscale, double *lx)
{
    const float *zu = z + ru * dim, *zi = z + ri * dim, *zj = z + rj * dim;
    float x = s2 * (dotf(zu, zi, dim) - dotf(zu, zj, dim));
    *lx = (x > 0 ? 0.0 : -(double)x) + log1p(exp(-fabs((double)x)));
    return -inv_t / (1.0f + expf(x)) * zscale;
}

/* The scatter pass of thread id of tn: every triple in order, its owned
 * rows below lim. */
static void scatter_pass(const float *z, float *g, float *l2, const uint32_t *u, const uint32_t *i,
                         const uint32_t *j, uint32_t t, uint32_t n_users, const float *cz, float l2c,
                         uint32_t dim, size_t tn, size_t id, size_t lim)
{
    for (uint32_t k = 0; k < t; k++) {
        if (k + SCATTER_PF < t)
            fetch_owned(z, g, u[k + SCATTER_PF], (size_t)n_users + i[k + SCATTER_PF],
                        (size_t)n_users + j[k + SCATTER_PF], dim, tn, id);
        scatter(z, g, l2, u[k], (size_t)n_users + i[k], (size_t)n_users + j[k], cz[k], l2c, dim, tn, id, lim);
    }
}

double gnn_bpr(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
               const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, float reg,
               float *g, float *l2, int threads)
{
    return gnn_bpr_part(z, zscale, emb0, dim, n_users, u, i, j, t, t, reg, g, l2, SIZE_MAX, threads);
}

double gnn_bpr_part(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
                    const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, uint32_t t_all, float reg,
                    float *g, float *l2, size_t g_rows, int threads)
{
    const float inv_t = 1.0f / (float)t_all, s2 = zscale * zscale;
    const float l2c = reg * inv_t;
    /* per triple: cz = dL/dx * zscale, and its loss and squared norms */
    float *cz = malloc((size_t)t * sizeof *cz);
    double *lk = malloc((size_t)t * 2 * sizeof *lk);
    if (!cz || !lk) { free(cz); free(lk); threads = 1; }
    /* six scattered rows read per triple, each a likely cache miss */
    const int nt = gnn_team(threads, 32.0 * t * dim);
    double loss = 0.0, norms = 0.0;
    #pragma omp parallel num_threads(nt)
    {
        const int id = omp_get_thread_num(), tn = omp_get_num_threads();
        #pragma omp for schedule(static)
        for (uint32_t k = 0; k < t; k++) {
            if (k + 4 < t) fetch(z, emb0, u[k + 4], (size_t)n_users + i[k + 4], (size_t)n_users + j[k + 4], dim);
            size_t ru = u[k], ri = (size_t)n_users + i[k], rj = (size_t)n_users + j[k];
            double lx;
            float c = coef(z, ru, ri, rj, dim, s2, inv_t, zscale, &lx);
            double nk = sq(emb0 + ru * dim, dim) + sq(emb0 + ri * dim, dim) + sq(emb0 + rj * dim, dim);
            if (cz) { cz[k] = c; lk[2 * k] = lx; lk[2 * k + 1] = nk; continue; }
            /* no scratch: one thread does everything in order */
            loss += lx;
            norms += nk;
            scatter(z, g, l2, ru, ri, rj, c, l2c, dim, 1, 0, g_rows);
        }
        if (cz)   /* after the loop's implicit barrier: every cz is set */
            scatter_pass(z, g, l2, u, i, j, t, n_users, cz, l2c, dim, (size_t)tn, (size_t)id, g_rows);
    }
    if (cz)
        for (uint32_t k = 0; k < t; k++) { loss += lk[2 * k]; norms += lk[2 * k + 1]; }
    free(cz);
    free(lk);
    return (loss + 0.5 * reg * norms) / t_all;
}

/* nrm[r] = sq(emb0 row r) for the listed rows, four rows interleaved: four
 * independent chains in flight instead of one, each summed in sq's order
 * (product then sum, in double; C11 does not contract), so the same bits. */
static void row_norms(const float *emb0, uint32_t dim, const uint32_t *rows, uint32_t n_rows, double *nrm,
                      int nt)
{
    const uint32_t nb = (n_rows + 3) / 4;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (uint32_t b = 0; b < nb; b++) {
        const uint32_t q = 4 * b;
        if (q + 4 > n_rows) {
            for (uint32_t k = q; k < n_rows; k++) nrm[rows[k]] = sq(emb0 + (size_t)rows[k] * dim, dim);
            continue;
        }
        if (q + 12 <= n_rows)   /* rows ascend: a stream the prefetcher may miss at the gaps */
            for (uint32_t k = q + 8; k < q + 12; k++)
                for (uint32_t c = 0; c < dim; c += 16) __builtin_prefetch(emb0 + (size_t)rows[k] * dim + c);
        const float *a0 = emb0 + (size_t)rows[q] * dim, *a1 = emb0 + (size_t)rows[q + 1] * dim;
        const float *a2 = emb0 + (size_t)rows[q + 2] * dim, *a3 = emb0 + (size_t)rows[q + 3] * dim;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (uint32_t d = 0; d < dim; d++) {
            s0 += (double)a0[d] * a0[d];
            s1 += (double)a1[d] * a1[d];
            s2 += (double)a2[d] * a2[d];
            s3 += (double)a3[d] * a3[d];
        }
        nrm[rows[q]] = s0; nrm[rows[q + 1]] = s1; nrm[rows[q + 2]] = s2; nrm[rows[q + 3]] = s3;
    }
}

static inline void fetch_z(const float *z, const double *nrm, size_t pu, size_t pi, size_t pj, uint32_t dim)
{
    for (uint32_t b = 0; b < dim; b += 16) {
        __builtin_prefetch(z + pu * dim + b); __builtin_prefetch(z + pi * dim + b);
        __builtin_prefetch(z + pj * dim + b);
    }
    __builtin_prefetch(nrm + pj);
}

void gnn_bpr_ws_free(gnn_bpr_ws_t *s)
{
    free(s->nrm); free(s->cz); free(s->lk);
    memset(s, 0, sizeof *s);
}

double gnn_bpr_rows(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
                    const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, float reg,
                    const uint32_t *rows, uint32_t n_rows, gnn_bpr_ws_t *s, float *g, float *l2, int threads)
{
    if (s->cap < t) {
        free(s->cz); free(s->lk);
        s->cz = malloc((size_t)t * sizeof *s->cz);
        s->lk = malloc((size_t)t * 2 * sizeof *s->lk);
        s->cap = s->cz && s->lk ? t : 0;
    }
    if (!s->cap || !s->nrm)   /* no scratch: the reference computes the same */
        return gnn_bpr(z, zscale, emb0, dim, n_users, u, i, j, t, reg, g, l2, threads);
    const float inv_t = 1.0f / (float)t, s2 = zscale * zscale;
    const float l2c = reg * inv_t;
    float *cz = s->cz;
    double *lk = s->lk, *nrm = s->nrm;
    row_norms(emb0, dim, rows, n_rows, nrm, gnn_team(threads, 4.0 * n_rows * dim));
    const int nt = gnn_team(threads, 32.0 * t * dim);
    #pragma omp parallel num_threads(nt)
    {
        const int id = omp_get_thread_num(), tn = omp_get_num_threads();
        #pragma omp for schedule(static)
        for (uint32_t k = 0; k < t; k++) {
            if (k + 4 < t) fetch_z(z, nrm, u[k + 4], (size_t)n_users + i[k + 4], (size_t)n_users + j[k + 4], dim);
            size_t ru = u[k], ri = (size_t)n_users + i[k], rj = (size_t)n_users + j[k];
            cz[k] = coef(z, ru, ri, rj, dim, s2, inv_t, zscale, &lk[2 * k]);
            lk[2 * k + 1] = nrm[ru] + nrm[ri] + nrm[rj];   /* sq(u) + sq(i) + sq(j), as gnn_bpr */
        }
        scatter_pass(z, g, l2, u, i, j, t, n_users, cz, l2c, dim, (size_t)tn, (size_t)id, SIZE_MAX);
    }
    double loss = 0.0, norms = 0.0;
    for (uint32_t k = 0; k < t; k++) { loss += lk[2 * k]; norms += lk[2 * k + 1]; }
    return (loss + 0.5 * reg * norms) / t;
}
