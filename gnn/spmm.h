/* spmm.h - the sparse x dense product of the training engine, one
 * interface with float or half tables, each optimized entry with a plain
 * reference twin (the _ref) that tests/test_spmm.c compares it against.
 *
 * Everything LightGCN does per step is this row-wise product with the
 * normalized adjacency A (square, n x n, symmetric, graph/csr.h):
 *
 *   y[r] = add[r] + sum over stored (r, j) with mask[j] < lim of  a_rj x[j]
 *
 * for the rows r listed in rows[0..n_rows), ascending (rows == NULL: every
 * row). A gnn_spmm_t describes one product: the gathered table x is float
 * (x32) or IEEE half (x16), or absent (no product: y = add), the result y
 * float (y32) or half (y16, rounded once); sums are float32 either way. A
 * row is computed by one thread, in column order, so the result does not
 * depend on the number of threads; threads take units of about equal
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
 * fma picks the arithmetic of a multiply-add, and with it the exact bits:
 * 0, a product then a sum (C11 does not contract a * b + c); 1, one rounding
 * (fmaf) where the machine has FMA, half the instructions of a gathered row.
 * The training steps on half tables use 1, every other product 0. A
 * reference and its optimized twin agree to the bit for either value.
 *
 * gnn_spmm_adam fuses the last backward product with the Adam update of the
 * same row (the gradient row is consumed as soon as it exists, so it never
 * goes to memory); the update itself is adam_span in spmm.c.
 *
 * Shapes: x, y, add [n x dim] row-major; mask [n] uint8.
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

/* ---- float16 tables ------------------------------------------------------
 * The intermediate tables of a LightGCN step (Z_j, Y_j and a copy of E0) are
 * only ever gathered, and gathering is what a step costs: storing them as
 * IEEE binary16 halves the bytes moved per product. Sums stay in float32
 * (the accumulator row); only the stored table is rounded (rel. 2^-11).
 * A half is its bit pattern in a uint16_t. */

/* Round to nearest even, subnormals and infinities as IEEE (what F16C does). */
uint16_t gnn_f2h(float f);
float gnn_h2f(uint16_t h);
/* dst[k] = f2h(src[k]) for k < n, one thread (F16C where the machine has it: the same bits). */
void gnn_f2h_row(uint16_t *dst, const float *src, size_t n);
/* dst[k] = f2h(src[k]), OpenMP-parallel (a table's refresh). */
void gnn_f2h_table(uint16_t *dst, const float *src, size_t n, int threads);

/* One product (the comment at the top of this file). At most one of
 * x32/x16 is non-NULL; for gnn_spmm exactly one of y32/y16. */
typedef struct gnn_spmm {
    const graph_csr_t *a;
    const uint32_t *rows;       /* [n_rows] ascending, or NULL: every row */
    uint32_t n_rows;
    const float *x32;           /* [n x dim] */
    const uint16_t *x16;        /* [n x dim] */
    const float *add;           /* [n x dim] or NULL */
    const uint8_t *mask;        /* [n] or NULL */
    uint8_t lim;
    uint8_t fma;                /* 1: fused multiply-adds, 0: product then sum */
    float *y32;                 /* [n x dim] */
    uint16_t *y16;              /* [n x dim] */
    uint32_t dim;
} gnn_spmm_t;

void gnn_spmm_ref(const gnn_spmm_t *s);
void gnn_spmm(const gnn_spmm_t *s, int threads);

/* The product fused with Adam, for every row r of s->a (s->rows must be
 * NULL; y32/y16 are not used):
 *   g[r] = scale * (add[r] + sum_{mask[j] < lim} a_rj x[j]) + l2[r] * p[r]
 * then Adam on row r of p, m, v [n x dim], and, when p16 is non-NULL,
 * p16[r] = f2h(updated p[r]) written on the way (the half copy of E0 that
 * the next step's first product gathers). l2 [n] may be NULL (zero); no x
 * (x32 and x16 NULL) skips the product (a layer-free model). */
void gnn_spmm_adam_ref(const gnn_spmm_t *s, float scale, const float *l2, float *p, float *m,
                       float *v, uint16_t *p16, const gnn_adam_t *ad);
void gnn_spmm_adam(const gnn_spmm_t *s, float scale, const float *l2, float *p, float *m,
                   float *v, uint16_t *p16, const gnn_adam_t *ad, int threads);

#endif
