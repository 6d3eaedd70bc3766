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

/* Train and test interactions as n_users x n_items CSRs (sizes = all ids in
 * the store, so users or items without interactions have empty rows). */
int graph_load_interactions(store_txn_t *t, graph_interactions_t *g, err_t *e);

/* The undirected training graph: train interactions, social ties and kg
 * triples (head-tail), as an igraph_t over users, items and entities. */
int graph_load_igraph(store_txn_t *t, igraph_t *g, err_t *e);

#endif
