/* partition.h - node partitions of the joint graph for distributed jobs
 * (`gnnrec partition`, docs/distributed.md).
 *
 * The graph: every node of the store (users 0..U-1, items U.., entities
 * U+I..; graph/load.h's layout) and the undirected training edges the joint
 * trainer propagates over (graph/typed.h with every edge type the store
 * has: interactions, social ties, knowledge triples; self-loops dropped,
 * duplicates merged; an entity aligned to an item is that item, so its own
 * node has no edges). Each node goes to one of P parts:
 *   hash   part = a seeded 64-bit mix of the node id, mapped to [0, P):
 *          the baseline (about (1 - 1/P) of the edges cut);
 *   metis  METIS_PartGraphKway (METIS 5.1, edge-cut objective, unit edge
 *          weights, its default 3% imbalance in nodes or in nodes and
 *          adjacency entries (graph_part_balance), seeded) on the
 *          symmetric adjacency as idx_t xadj/adjncy (32-bit on Debian: more
 *          than 2^31 - 1 adjacency entries is ERR_USAGE). Built only with
 *          libmetis-dev (graph_partition_metis_built).
 * What a partition costs a job (graph_partition_eval):
 *   edge_cut       undirected edges whose ends are in different parts
 *   halo of part p the nodes outside p with an edge into p: the rows p
 *                  must receive each propagation (owner-computes)
 *   balance        max part nodes / (N / P)
 * graph_partition_run does it all for a store: load, partition, measure,
 * and record it (store_partition_put) in one write transaction; on any error
 * the store is left as it was.
 */
#ifndef GNNREC_GRAPH_PARTITION_H
#define GNNREC_GRAPH_PARTITION_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"
#include "store/store.h"

enum graph_part_method { GRAPH_PART_HASH = 1, GRAPH_PART_METIS = 2 };
/* What METIS keeps even (within its 3%): the nodes of each part (memory),
 * or the nodes and the adjacency entries of each part (memory and SpMM
 * work: METIS's two balance constraints, node weights (1, degree)), which
 * costs a larger edge cut. The hash is even in both in expectation. */
enum graph_part_balance { GRAPH_PART_BY_NODES = 0, GRAPH_PART_BY_WORK = 1 };

#define GRAPH_PART_MAX 65536u   /* parts: more ranks than any job here */

/* "hash" / "metis" <-> enum; graph_part_method_parse: ERR_USAGE otherwise. */
const char *graph_part_method_name(int method);
int graph_part_method_parse(const char *name, int *method, err_t *e);

/* 1 when gnnrec was built with METIS. */
int graph_partition_metis_built(void);

/* part [adj->n_rows] of parts; adj symmetric, no self-loops (values
 * ignored). hash never fails; metis without METIS built is ERR_USAGE. */
int graph_partition_hash(uint32_t n_nodes, uint32_t parts, uint64_t seed, uint32_t *part);
int graph_partition_metis(const graph_csr_t *adj, uint32_t parts, uint64_t seed, int balance, uint32_t *part,
                          err_t *e);

/* What a partition costs (see the top). Per-part arrays [parts], malloc'd:
 * graph_part_stats_destroy. */
typedef struct graph_part_stats {
    uint32_t parts;
    uint64_t nodes, edges;            /* N and undirected edges */
    uint64_t edge_cut;
    uint64_t max_part_nodes, min_part_nodes, max_halo_nodes, total_halo_nodes;
    uint64_t max_part_entries;        /* adjacency entries of the rows a part owns (its spmm work) */
    double balance;                   /* max_part_nodes / (N / parts) */
    uint64_t *part_nodes, *halo_nodes, *part_entries;   /* [parts] */
} graph_part_stats_t;

int graph_partition_eval(const graph_csr_t *adj, const uint32_t *part, uint32_t parts, graph_part_stats_t *st,
                         err_t *e);
void graph_part_stats_destroy(graph_part_stats_t *st);

typedef struct graph_part_opts {
    uint32_t parts;
    int method;                       /* GRAPH_PART_* */
    int balance;                      /* GRAPH_PART_BY_* (metis) */
    uint64_t seed;
} graph_part_opts_t;

/* Partition the store s (opened writable) and record it: one read
 * transaction to load the graph, the partition, then one store_write that
 * first checks the store still holds the graph that was partitioned (a
 * build-graph --append meanwhile is ERR_USAGE, nothing written). parts must
 * be 1..min(N, GRAPH_PART_MAX) (ERR_USAGE). st: the partition's figures. */
int graph_partition_run(store_t *s, const graph_part_opts_t *o, store_partition_t *rec, graph_part_stats_t *st,
                        err_t *e);

#endif
