/* load.h - from the store into memory: the CSR matrices the kernels read and
 * the igraph graph that structure queries use.
 *
 * Node layout of the igraph graph (and of every whole-graph node index):
 * users 0..U-1, items U..U+I-1, entities U+I..U+I+E-1.
 */
#ifndef GNNREC_GRAPH_LOAD_H
#define GNNREC_GRAPH_LOAD_H

#include <igraph.h>

#include "graph/csr.h"
#include "store/store.h"

/* Every loader checks the node ids it reads against the node counts: a key
 * past them (a bit flip in data.mdb) is ERR_STORE "... (corrupt store?)",
 * never an index out of bounds later. Readers of edges build on these. */

/* Edges of one type as arrays (store_edges_load), every first id < n_a and
 * second id < n_b. */
int graph_load_edges(store_txn_t *t, int edges, uint32_t n_a, uint32_t n_b, store_edge_list_t *out, err_t *e);

/* Edges of one type as an n_a x n_b CSR, ids checked. */
int graph_load_csr(store_txn_t *t, int edges, uint32_t n_a, uint32_t n_b, graph_csr_t *m, err_t *e);

/* Only rows a[0..n) of an edge type (interactions: a user's items), row j =
 * the edges of a[j], by one cursor range per row (for a few users a store
 * with millions is not scanned); n x n_b, ids checked. */
int graph_load_rows(store_txn_t *t, int edges, const uint32_t *a, size_t n, uint32_t n_b, graph_csr_t *m,
                    err_t *e);

/* Train and test interactions as n_users x n_items CSRs (sizes = all ids in
 * the store, so users or items without interactions have empty rows). */
int graph_load_interactions(store_txn_t *t, graph_interactions_t *g, err_t *e);

/* The rated interactions of one split (STORE_TRAIN or STORE_TEST), in
 * the store's key order (by user, then item), ids checked against the node
 * counts: user [n], item [n], rating [n] (one allocation each). Interactions
 * without a rating (a store built without a rating column) are not in the
 * arrays; n_unrated counts them. A store without ratings gives n = 0. */
typedef struct graph_ratings {
    uint64_t n, n_unrated;
    uint32_t *user, *item;
    float *rating;
} graph_ratings_t;

int graph_load_ratings(store_txn_t *t, int edges, graph_ratings_t *out, err_t *e);
void graph_ratings_destroy(graph_ratings_t *r);

/* The undirected training graph: train interactions, social ties and kg
 * triples (head-tail), as an igraph_t over users, items and entities. */
int graph_load_igraph(store_txn_t *t, igraph_t *g, err_t *e);

#endif
