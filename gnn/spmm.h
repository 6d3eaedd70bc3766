/* spmm.h - the sparse x dense kernels of the training engine, each with a
 * plain reference twin that tests/test_spmm.c compares it against.
 *
 * Everything LightGCN does per step is one of these row-wise products with
 * the normalized adjacency A (square, n x n, symmetric, graph/csr.h):
 *
 *   y[r] = add[r] + sum over stored (r, j) with mask[j] < lim of  a_rj x[j]
 *
 * where, when a mask is given, add[r] counts only on rows with mask[r] == 0
 * (backward products add G, which lives on the batch's rows = level 0, and
 * streaming a table of zeros would cost as much as a gather pass), and
 * lim == GNN_GATHER_ALL gathers every neighbour (the mask then only selects
 * the add rows: the last backward product when the field is the graph).
 * for the rows r listed in rows[0..n_rows) (rows == NULL: every row). A row
 * is computed by one thread, in column order, so the result does not depend
 * on the number of threads. The mask restricts the gather to the support of
 * a sparse operand (rows of x outside it may hold garbage and are never read);
 * mask == NULL gathers every neighbour.
 *
 * gnn_spmm_adam fuses the last backward product with the Adam update of the
 * same row (the gradient row is consumed as soon as it exists, so it never
 * goes to memory): see gnn/adam.c for the update itself.
 *
 * Shapes: x, y, add [n x dim] row-major float32; mask [n] uint8.
 * Assumes y does not alias x (y may alias add), dim <= GNN_MAX_DIM.
 */
#ifndef GNNREC_GNN_SPMM_H
#define GNNREC_GNN_SPMM_H

#include <stddef.h>
#include <stdint.h>

#include "graph/csr.h"

/* Largest embedding width the kernels accept (a row buffer lives on the stack). */
#define GNN_MAX_DIM 1024

#define GNN_GATHER_ALL 255

/* Per-step Adam constants (PyTorch's formulation, bias corrections folded). */
typedef struct gnn_adam {
    float lr, beta1, beta2, eps;
    float step_size;    /* lr / (1 - beta1^t) */
    float inv_sqrt_bc2; /* 1 / sqrt(1 - beta2^t) */
} gnn_adam_t;

void gnn_adam_setup(gnn_adam_t *a, float lr, uint64_t t);

/* p, m, v, g [n]: Adam on n contiguous values (plain loop). */
void gnn_adam_ref(float *p, float *m, float *v, const float *g, size_t n, const gnn_adam_t *a);
/* The same, OpenMP-parallel. */
void gnn_adam(float *p, float *m, float *v, const float *g, size_t n, const gnn_adam_t *a,
              int threads);

void gnn_spmm_ref(const graph_csr_t *a, const uint32_t *rows, uint32_t n_rows,
                  const float *x, const float *add, const uint8_t *mask, uint8_t lim,
                  float *y, uint32_t dim);
void gnn_spmm(const graph_csr_t *a, const uint32_t *rows, uint32_t n_rows,
              const float *x, const float *add, const uint8_t *mask, uint8_t lim,
              float *y, uint32_t dim, int threads);

/* For every row r of a (all rows: dense Adam):
 *   grad[r] = scale * (add[r] + sum_{mask[j] < lim} a_rj x[j]) + l2[r] * p[r]
 * then Adam on row r of p, m, v. add may be NULL (zero), l2 [n] may be NULL.
 * x == NULL skips the product (a layer-free model). p, m, v [n x dim]. */
void gnn_spmm_adam_ref(const graph_csr_t *a, const float *x, const float *add,
                       const uint8_t *mask, uint8_t lim, float scale, const float *l2,
                       float *p, float *m, float *v, uint32_t dim, const gnn_adam_t *ad);
void gnn_spmm_adam(const graph_csr_t *a, const float *x, const float *add,
                   const uint8_t *mask, uint8_t lim, float scale, const float *l2,
                   float *p, float *m, float *v, uint32_t dim, const gnn_adam_t *ad,
                   int threads);

#endif
