/* order.h - node orders that put a graph's neighbours close in memory.
 *
 * Why: a propagation step gathers one embedding row per stored entry of
 * the adjacency. Once the tables outgrow the last-level cache (about 130k
 * nodes at dim 64 here: 32 MB of L3), each gather is a DRAM access unless
 * the rows just before it used the same neighbours. Numbering the nodes so
 * that users who share items are consecutive, and items that share users
 * are consecutive, keeps a community's rows in cache while its rows are
 * processed: on a generated 16M-interaction graph one float32 product went
 * from 1.58 s in ingest order to 0.61 s in community order (bench/scale.sh
 * times train's epoch both ways: the path `gnnrec train` runs).
 *
 * The orders (one table, graph_order_info):
 *   none       ids as the store numbers them (order of first appearance)
 *   degree     by degree, highest first: the hot rows share cache lines
 *              and pages; no neighbourhood structure
 *   community  label propagation on the bipartite graph (GRAPH_ORDER_LPA_ROUNDS
 *              rounds: every user takes the label most frequent among its
 *              items, then every item the label most frequent among its
 *              users; ties to the smaller label), then by label, highest
 *              degree first inside a label. O(rounds x nnz), deterministic
 *              (serial, ties broken by id).
 *   auto       what gnn/trainer.c picks: community when the tables do not
 *              fit in cache, none otherwise (so small graphs train exactly as
 *              before)
 * Users are ordered among users and items among items: ids stay in their
 * ranges, so everything that knows "users first, then items" still holds.
 *
 * A permutation is given as new_id[old_id] (a bijection of 0..n-1).
 */
#ifndef GNNREC_GRAPH_ORDER_H
#define GNNREC_GRAPH_ORDER_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"

typedef enum {
    GRAPH_ORDER_AUTO,
    GRAPH_ORDER_NONE,
    GRAPH_ORDER_DEGREE,
    GRAPH_ORDER_COMMUNITY,
    GRAPH_ORDER_N
} graph_order_id_t;

#define GRAPH_ORDER_LPA_ROUNDS 3

typedef struct graph_order_info {
    graph_order_id_t id;
    const char *name;
    const char *help;
} graph_order_info_t;

/* The table row of an order (id < GRAPH_ORDER_N). */
const graph_order_info_t *graph_order_info(graph_order_id_t id);
/* The names in id order, NULL-terminated. */
const char *const *graph_order_names(void);
/* By name: ERR_OK and *out, or ERR_USAGE listing the names. */
int graph_order_find(const char *name, graph_order_id_t *out, err_t *e);

/* The order `how` (not AUTO) of the bipartite graph with biadjacency r
 * (n_users x n_items): new_user [r->n_rows], new_item [r->n_cols]. NONE
 * gives the identity. */
int graph_order_bipartite(const graph_csr_t *r, graph_order_id_t how, uint32_t *new_user, uint32_t *new_item,
                          err_t *e);

/* out = m with rows and columns renumbered: entry (r, c) of m is entry
 * (new_row[r], new_col[c]) of out (values carried along); columns sorted
 * within each row as every CSR is. new_col may be NULL (columns kept). */
int graph_csr_relabel(const graph_csr_t *m, const uint32_t *new_row, const uint32_t *new_col, graph_csr_t *out,
                      err_t *e);

/* Rows of a [n x dim] float table moved in place by a permutation:
 * forward  (to_new = 1): row i goes to row perm[i];
 * backward (to_new = 0): row perm[i] comes back to row i.
 * seen [n] and row [dim] are scratch (any content). Cycle by cycle: no
 * second table, which at 10^7 nodes is gigabytes. */
void graph_permute_rows(float *t, uint32_t n, uint32_t dim, const uint32_t *perm, int to_new, uint8_t *seen,
                        float *row);

#endif
