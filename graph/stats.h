/* stats.h - what is in a store (`gnnrec stats`): node and edge counts per
 * type, degree summaries of users and items in training, the connected
 * components of the whole training graph (interactions, social ties, kg
 * triples; igraph, weak components), the interaction density and the
 * recorded node partition (`gnnrec partition`), if any.
 * Read-only: one read transaction, nothing written. */
#ifndef GNNREC_GRAPH_STATS_H
#define GNNREC_GRAPH_STATS_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"
#include "store/store.h"

/* Degrees of the rows of a matrix; nearest-rank percentiles. */
typedef struct graph_degsum {
    uint64_t min, median, p99, max;
    double mean;
} graph_degsum_t;

/* The ratings of the interactions (a store built with a rating column):
 * how many of the train and test interactions carry one, their range and
 * mean (train and test together), and the count per distinct value when
 * there are at most GRAPH_RATING_VALUES of them (star ratings; n_values 0
 * for continuous ones). All zero for a store without ratings. */
#define GRAPH_RATING_VALUES 16
typedef struct graph_rating_summary {
    uint64_t train, test;            /* rated interactions per split */
    uint64_t n;                      /* ratings summarized (train + test) */
    float min, max;
    double mean;
    int n_values;                    /* distinct values below, ascending; 0: more than GRAPH_RATING_VALUES
                                      * (-1 between graph_rating_summary_add calls once there were) */
    float value[GRAPH_RATING_VALUES];
    uint64_t count[GRAPH_RATING_VALUES];
} graph_rating_summary_t;

typedef struct graph_stats {
    uint64_t nodes[STORE_N_NODE];    /* by enum store_node */
    uint64_t edges[STORE_N_EDGES];   /* by enum store_edges */
    uint64_t models;                 /* saved models */
    uint64_t disk;                   /* bytes of the store on disk (0 if unknown) */
    graph_degsum_t user_degree, item_degree;   /* training interactions */
    int64_t components, largest;     /* weak components, nodes in the largest */
    uint64_t total_nodes;            /* users + items + entities */
    double density;                  /* train interactions / (users x items), 0 if either is 0 */
    /* the recorded partition (store_partition_get), parts 0 when none */
    uint32_t partition_parts, partition_method;   /* method: graph/partition.h's GRAPH_PART_* */
    uint64_t partition_seed, partition_edge_cut;
    int partition_current;           /* made for the graph the store holds now */
    graph_rating_summary_t ratings;  /* train + test ratings (all zero: none) */
} graph_stats_t;

/* The degree summary of m's rows (all zero for no rows). */
int graph_degsum(const graph_csr_t *m, graph_degsum_t *d, err_t *e);

/* The summary of ratings r[0..n) added into out (call it per split, then
 * set out->train / out->test; out zeroed first). */
void graph_rating_summary_add(const float *r, uint64_t n, graph_rating_summary_t *out);

/* Everything above for the store s. */
int graph_stats(store_t *s, graph_stats_t *out, err_t *e);

#endif
