/* rating_graph.c - LightGCN on explicit ratings (`train --arch lightgcn
 * --loss mse`, rating.h): the propagated embeddings F = mean_{k=0..K} A^k E0
 * of the parameter rows E0 = [P; Q], the loss's gradient carried back
 * through the same products (A is symmetric, so dL/dE0 = mean_k A^k dL/dF),
 * and a plain reference twin of the propagation for gnn_rating_loss_ref.
 *
 * Assumes adj is the normalized training adjacency of n_users + n_items
 * nodes (graph_norm_bipartite, or graph/typed.h's joint graph with social
 * edges and no entities), symmetric, rows sorted. Sizes are MovieLens /
 * FilmTrust (10^3 - 10^5 nodes): a whole-graph product per layer per step
 * is cheap there, so every step propagates the whole graph. A row is summed
 * in column order by one thread: the numbers do not depend on --threads. */
#include "gnn/rating.h"

#include <stdlib.h>
#include <string.h>

#include "gnn/spmm.h"

/* Row r of y = A x (x, y [n x d]): the sum in column order. */
static void product_row(const graph_csr_t *a, const float *x, float *y, uint32_t d, uint32_t r)
{
    float *yr = y + (size_t)r * d;
    memset(yr, 0, d * sizeof *yr);
    for (uint64_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
        const float v = a->val[k], *xr = x + (size_t)a->col[k] * d;
        for (uint32_t j = 0; j < d; j++) yr[j] += v * xr[j];
    }
}

/* y = A x over every row: the reference takes the rows in order on one
 * thread, the product used in training shares them among threads (a row is
 * one thread's, so the bits are the same: test_rating checks). */
static void product_ref(const graph_csr_t *a, const float *x, float *y, uint32_t d)
{
    for (uint32_t r = 0; r < a->n_rows; r++) product_row(a, x, y, d, r);
}

static void product(const graph_csr_t *a, const float *x, float *y, uint32_t d, int threads)
{
    const int team = gnn_team(threads, (double)a->nnz * d);
#pragma omp parallel for schedule(dynamic, 256) num_threads(team)
    for (uint32_t r = 0; r < a->n_rows; r++) product_row(a, x, y, d, r);
}

/* out = mean_{k=0..K} A^k x, x and out [n x d]; t0, t1 scratch [n x d].
 * threads < 0: the reference products. */
static void prop_mean(const graph_csr_t *a, uint32_t layers, const float *x, float *out, float *t0, float *t1,
                      uint32_t d, int threads)
{
    const size_t n = (size_t)a->n_rows * d;
    memcpy(out, x, n * sizeof *out);
    const float *cur = x;
    for (uint32_t l = 0; l < layers; l++) {
        float *nxt = l % 2 ? t1 : t0;
        if (threads < 0) product_ref(a, cur, nxt, d);
        else product(a, cur, nxt, d, threads);
        for (size_t k = 0; k < n; k++) out[k] += nxt[k];
        cur = nxt;
    }
    const float s = 1.0f / (float)(layers + 1);
    for (size_t k = 0; k < n; k++) out[k] *= s;
}

int gnn_rating_graph(gnn_rating_model_t *m, const graph_csr_t *adj, uint32_t layers, err_t *e)
{
    const size_t nodes = (size_t)m->n_users + m->n_items, n = nodes * m->dim;
    if (adj->n_rows != nodes || adj->n_cols != nodes || !adj->val)
        return err_set(e, ERR_INTERNAL, "rating graph: a %u x %u adjacency for %zu nodes", adj->n_rows, adj->n_cols,
                       nodes);
    free(m->F);
    m->F = malloc(3 * (n ? n : 1) * sizeof *m->F);   /* F, then the two scratch tables */
    if (!m->F) return err_set(e, ERR_NOMEM, "out of memory for the propagated embeddings");
    m->adj = adj;
    m->layers = layers;
    gnn_rating_propagate(m, 1);
    return ERR_OK;
}

void gnn_rating_propagate(gnn_rating_model_t *m, int threads)
{
    if (!m->layers) return;
    const size_t n = ((size_t)m->n_users + m->n_items) * m->dim;
    prop_mean(m->adj, m->layers, m->params, m->F, m->F + n, m->F + 2 * n, m->dim, threads);
}

float *gnn_rating_propagate_ref(const gnn_rating_model_t *m)
{
    const size_t n = ((size_t)m->n_users + m->n_items) * m->dim;
    float *f = malloc(3 * (n ? n : 1) * sizeof *f);
    if (f) prop_mean(m->adj, m->layers, m->params, f, f + n, f + 2 * n, m->dim, -1);
    return f;
}

void gnn_rating_backprop(gnn_rating_model_t *m, float *g, int threads)
{
    const size_t n = ((size_t)m->n_users + m->n_items) * m->dim;
    /* F's table is free once the batch's errors are computed: it takes the
     * result, the scratch tables the products */
    prop_mean(m->adj, m->layers, g, m->F, m->F + n, m->F + 2 * n, m->dim, threads);
    memcpy(g, m->F, n * sizeof *g);
}
