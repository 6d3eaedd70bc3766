/* halo.h (dist/) - one rank's rows of LightGCN's normalized adjacency and
 * the halo exchange of an owner-computes propagation (docs/distributed.md).
 *
 * The graph is graph_norm_bipartite's A_hat of R [n_users x n_items]
 * (nodes: users 0..U-1, items U + i). Every node has an owner rank
 * (owner [U + I]). A rank keeps:
 *   - local ids: its owned nodes first, ascending (local id = pos[v]), then
 *     its halo (the other ranks' nodes with an edge into an owned node),
 *     grouped by owner rank, ascending within a rank;
 *   - a [n_own x (n_own + n_halo)] CSR of the owned rows of A_hat in local
 *     ids, each row's entries in A_hat's column order (not re-sorted), with
 *     A_hat's values computed as graph_norm_bipartite computes them: a
 *     product over these rows (gnn_spmm, any table type) gives, row for row,
 *     the bits of the same product over the whole A_hat;
 *   - send lists made once: the owned rows each other rank's halo holds
 *     (A_hat is symmetric, so the owner knows them without asking).
 * The rows are built from R directly (one pass over its entries), never
 * from the whole A_hat. dist_halo_init_joint does the same for the joint
 * graph of graph/typed.h (social and knowledge edges; entities are nodes
 * U + I ..): its owned rows come from graph_typed_rows, so each row has
 * graph_typed_build's columns and value bits, and the products are one
 * process's over typed->adj. dist_halo_exchange fills the halo rows of a table
 * [(n_own + n_halo) x row_bytes] from their owners (dist_alltoallv in
 * rounds of at most 4 MiB of rows per destination, so the pack buffer stays
 * small) and counts the bytes this rank sent.
 */
#ifndef GNNREC_DIST_HALO_H
#define GNNREC_DIST_HALO_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "dist/dist.h"
#include "graph/csr.h"
#include "graph/typed.h"

typedef struct dist_halo {
    uint32_t n_users, n_nodes;        /* global: U and U + I */
    uint32_t n_own, n_halo;
    const uint32_t *owner;            /* borrowed [n_nodes] */
    uint32_t *pos;                    /* [n_nodes] index of a node among its owner's nodes */
    uint32_t *own;                    /* [n_own] global id of each owned node, ascending */
    uint32_t *halo;                   /* [n_halo] global id of each halo node (local id n_own + k) */
    graph_csr_t a;                    /* [n_own x (n_own + n_halo)] owned rows of A_hat, local column ids */
    int *scount, *sdispl, *rcount, *rdispl;   /* [size] rows sent to / received from each rank */
    uint32_t *send;                   /* [n_send] local ids of owned rows, grouped by destination */
    uint64_t n_send;
    void *buf;                        /* pack buffer: one round of rows to every rank */
    uint64_t most;                    /* the most rows any rank sends any other (all ranks) */
    int most_known;                   /* most computed (at the first exchange: collective) */
    size_t buf_cap;
    uint64_t bytes;                   /* bytes this rank sent to other ranks in exchanges so far */
    uint64_t exchanges;
    graph_typed_t counts;             /* joint: the whole graph's sizes and pair counts (no adjacency) */
} dist_halo_t;

/* Build rank d->rank's rows, halo and send lists. r: the training matrix
 * the whole job trains on (every rank the same); owner [U + I] < d->size,
 * borrowed, must outlive h. */
int dist_halo_init(dist_halo_t *h, const dist_t *d, const graph_csr_t *r, const uint32_t *owner, err_t *e);
/* The same over the joint graph built from in and o (every rank the same
 * lists); owner [U + I + E]. */
int dist_halo_init_joint(dist_halo_t *h, const dist_t *d, const graph_typed_edges_t *in, const graph_typed_opts_t *o,
                         const uint32_t *owner, err_t *e);
void dist_halo_destroy(dist_halo_t *h);

/* Collective: the halo rows of table [(n_own + n_halo) x row_bytes] from
 * their owners' rows of it. */
int dist_halo_exchange(dist_halo_t *h, const dist_t *d, void *table, size_t row_bytes, err_t *e);

#endif
