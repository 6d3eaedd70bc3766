/* spmm.h - the sparse x dense kernels of the training engine, each with a
 * plain reference twin that tests/test_spmm.c compares it against.
 *
 * Everything LightGCN does per step is one of these row-wise products with
 * the normalized adjacency A (square, n x n, symmetric, graph/csr.h):
 *
 *   y[r] = add[r] + sum over stored (r, j) with mask[j] < lim of  a_rj x[j]
 *
 * for the rows r listed in rows[0..n_rows), ascending (rows == NULL: every
 * row). A row is computed by one thread, in column order, so the result does
 * not depend on the number of threads; threads take units of about equal
 * non-zeros, since degrees are power-law.
 *
 * The mask restricts the gather to the support of a sparse operand (rows of
 * x outside it may hold garbage and are never read); mask == NULL gathers
 * every neighbour. With a mask, add[r] counts only on rows with mask[r] == 0
 * (backward products add G, which lives on the batch's rows = level 0, and
 * streaming a table of zeros would cost as much as a gather pass), and
 * lim == GNN_GATHER_ALL gathers every neighbour (the mask then only selects
 * the add rows: the last backward product when the field is the graph).
 *
 * gnn_spmm_adam fuses the last backward product with the Adam update of the
 * same row (the gradient row is consumed as soon as it exists, so it never
 * goes to memory); the update itself is adam_span in spmm.c.
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

/* Threads for a parallel region of `work` multiply-adds (or element
 * updates): 1 below GNN_PAR_MIN_WORK, else threads (0 = all cores). Waking
 * a second thread, and on a shared machine waiting for it to be scheduled,
 * costs more than a fraction of a millisecond of one core's work: small
 * graphs (lastfm, ml-100k) ran slower on two threads than on one. */
#define GNN_PAR_MIN_WORK (1u << 21)
int gnn_team(int threads, double work);

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

/* ---- float16 tables ------------------------------------------------------
 * The intermediate tables of a LightGCN step (Z_j, Y_j and a copy of E0) are
 * only ever gathered, and gathering is what a step costs: storing them as
 * IEEE binary16 halves the bytes moved per product. Sums stay in float32
 * (the accumulator row); only the stored table is rounded (rel. 2^-11).
 * A half is its bit pattern in a uint16_t. */

/* Round to nearest even, subnormals and infinities as IEEE (what F16C does). */
uint16_t gnn_f2h(float f);
float gnn_h2f(uint16_t h);
/* dst[k] = f2h(src[k]), OpenMP-parallel (a table's refresh). */
void gnn_f2h_table(uint16_t *dst, const float *src, size_t n, int threads);

/* One product with either table type on either side:
 *   y[r] = add[r] + sum over stored (r, j) with mask[j] < lim of a_rj x[j]
 * as gnn_spmm (same rows, mask and add rules), where x is x32 (float) or
 * x16 (half) and the result goes to y32 or to y16 (rounded once).
 * Exactly one of x32/x16 and one of y32/y16 is non-NULL. */
typedef struct gnn_hspmm {
    const graph_csr_t *a;
    const uint32_t *rows;       /* NULL: every row */
    uint32_t n_rows;
    const float *x32;           /* [n x dim] */
    const uint16_t *x16;        /* [n x dim] */
    const float *add;           /* [n x dim] or NULL */
    const uint8_t *mask;        /* [n] or NULL */
    uint8_t lim;
    float *y32;                 /* [n x dim] */
    uint16_t *y16;              /* [n x dim] */
    uint32_t dim;
} gnn_hspmm_t;

void gnn_hspmm_ref(const gnn_hspmm_t *s);
void gnn_hspmm(const gnn_hspmm_t *s, int threads);

/* gnn_spmm_adam with the gathered table x32 or x16 (both NULL: no product),
 * and, when p16 is non-NULL, p16[r] = f2h(updated p[r]) written on the way
 * (the half copy of E0 that the next step's first product gathers). */
void gnn_hspmm_adam_ref(const graph_csr_t *a, const float *x32, const uint16_t *x16,
                        const float *add, const uint8_t *mask, uint8_t lim, float scale,
                        const float *l2, float *p, float *m, float *v, uint16_t *p16,
                        uint32_t dim, const gnn_adam_t *ad);
void gnn_hspmm_adam(const graph_csr_t *a, const float *x32, const uint16_t *x16,
                    const float *add, const uint8_t *mask, uint8_t lim, float scale,
                    const float *l2, float *p, float *m, float *v, uint16_t *p16,
                    uint32_t dim, const gnn_adam_t *ad, int threads);

#endif
