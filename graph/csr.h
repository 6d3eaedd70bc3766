/* csr.h - compressed sparse row matrices: the format every hot loop reads.
 *
 * The user-item training matrix R (n_users x n_items), its transpose, the test
 * matrix and the normalized adjacency of the bipartite graph are all
 * graph_csr_t. Column indices are sorted ascending within each row and
 * unique. val == NULL means every stored entry is 1 (binary interactions).
 *
 * Layout (shapes in brackets):
 *   ptr [n_rows + 1]  uint64  row r spans col[ptr[r] .. ptr[r+1])
 *   col [nnz]         uint32
 *   val [nnz]         float32 or NULL
 *
 * graph_interactions_t is the in-memory view of a store's interactions that
 * train/eval/infer use; graph_load_interactions (graph/load.h) fills it from
 * a store, tests build it from pairs with graph_csr_from_pairs.
 */
#ifndef GNNREC_GRAPH_CSR_H
#define GNNREC_GRAPH_CSR_H

#include <stdint.h>

#include "base/err.h"

typedef struct graph_csr {
    uint32_t n_rows, n_cols;
    uint64_t nnz;
    uint64_t *ptr;   /* [n_rows + 1] */
    uint32_t *col;   /* [nnz] */
    float *val;      /* [nnz] or NULL */
} graph_csr_t;

typedef struct graph_interactions {
    uint32_t n_users, n_items;
    graph_csr_t train;   /* [n_users x n_items], binary */
    graph_csr_t test;    /* [n_users x n_items], binary */
} graph_interactions_t;

/* Allocate an n_rows x n_cols matrix with room for nnz entries; ptr is
 * zeroed, col/val uninitialised. */
int graph_csr_init(graph_csr_t *m, uint32_t n_rows, uint32_t n_cols, uint64_t nnz,
                   int with_val, err_t *e);
void graph_csr_destroy(graph_csr_t *m);

/* Build a binary matrix from n (row, col) pairs in any order; duplicates are
 * collapsed. rows[i] < n_rows and cols[i] < n_cols are required (a pair
 * outside is ERR_INTERNAL, nothing built). */
int graph_csr_from_pairs(graph_csr_t *m, uint32_t n_rows, uint32_t n_cols,
                         const uint32_t *rows, const uint32_t *cols, uint64_t n, err_t *e);

/* The number of entries of each column: deg [n_cols], as floats (exact
 * below 2^24). Of the training matrix: the items' popularity, which the pop
 * model saves, fold-in weighs by and new users without items are ranked by. */
void graph_csr_col_degrees(const graph_csr_t *m, float *deg);

/* t = a^T (values carried along when a has them). */
int graph_csr_transpose(const graph_csr_t *a, graph_csr_t *t, err_t *e);

/* The first position q in a[0..n) with a[q] >= x (n if none); a ascending. */
uint32_t graph_lower_bound(const uint32_t *a, uint32_t n, uint32_t x);

/* 1 if (r, c) is stored (binary search in the row). */
int graph_csr_has(const graph_csr_t *m, uint32_t r, uint32_t c);

/* The first row r with m->ptr[r] >= k (n_rows if none): where the k-th
 * stored entry's row starts. Splitting [0, nnz) evenly and mapping the cuts
 * through this gives row ranges of equal work. */
uint32_t graph_csr_row_at(const graph_csr_t *m, uint64_t k);

/* The symmetric-normalized adjacency D^-1/2 A D^-1/2 of the bipartite graph
 * whose biadjacency is r (n_users x n_items): a square matrix over
 * n_users + n_items nodes, users first, items at n_users + item. Nodes
 * without edges have empty rows (no division by zero). */
int graph_norm_bipartite(const graph_csr_t *r, graph_csr_t *adj, err_t *e);

/* Hold out round(frac * n) random entries of each row with n >= 2 entries
 * (always keeping one): keep + held == m. Seeded, rows visited in order, so
 * the same seed gives the same split. Used for the validation split that
 * early stopping watches (carved from training, never from test). */
int graph_csr_holdout(const graph_csr_t *m, double frac, uint64_t seed, graph_csr_t *keep,
                      graph_csr_t *held, err_t *e);

void graph_interactions_destroy(graph_interactions_t *g);

#endif
