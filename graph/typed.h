/* typed.h - the joint (heterogeneous) training graph: interaction, social and
 * knowledge edges in one symmetric normalized adjacency.
 *
 * Node layout (graph/load.h's): users 0..U-1, items U..U+I-1, entities
 * U+I..U+I+E-1. An entity aligned to an item (the store's item-entity map,
 * or for KGAT-style data an entity whose external id is an item's) *is* that
 * item: its knowledge edges attach to the item node, and its own entity row
 * stays empty. E = 0 when knowledge edges are not used.
 *
 * Edges and weights (A is symmetric, every edge stored in both directions):
 *   interaction  user u - item i          weight 1 (training pairs only)
 *   social       user u - user v          weight w_social (a tie given twice,
 *                                         in either direction, counts once)
 *   knowledge    node(head) - node(tail)  weight w_knowledge, relation r
 * Several knowledge triples between the same two nodes add their weights and
 * keep the lowest relation id; self-loops (head and tail the same node) are
 * dropped. Normalization (opts.per_type_norm):
 *   joint (0)     A_hat = D^-1/2 A D^-1/2 with D the weighted degrees over all
 *                 types (graph_norm_bipartite's rule, so with interactions
 *                 only the two matrices are equal up to float rounding);
 *   per type (1)  A_hat = sum_t w_t D_t^-1/2 A_t D_t^-1/2, each type
 *                 normalized by its own degrees, so a user with many friends
 *                 does not dilute their interaction edges (and w_t sets each
 *                 type's share directly).
 * Nodes without edges have empty rows.
 *
 * rel [nnz] gives each stored entry of A_hat its relation (0..R-1) or
 * GRAPH_NO_REL: the relation-aware model (gnn/relation.c) scales knowledge
 * entries by a learned weight per relation.
 */
#ifndef GNNREC_GRAPH_TYPED_H
#define GNNREC_GRAPH_TYPED_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"
#include "store/store.h"

#define GRAPH_NO_REL UINT32_MAX

typedef struct graph_typed_opts {
    int interaction, social, knowledge;   /* which edge types take part */
    float w_social, w_knowledge;          /* per-type weights (interaction: 1) */
    int per_type_norm;                    /* 0: one joint normalization; 1: per type */
} graph_typed_opts_t;

/* Typed edge lists in dense ids (what the store holds; tests fill it by hand). */
typedef struct graph_typed_edges {
    uint32_t n_users, n_items, n_entities, n_relations;
    const graph_csr_t *train;             /* [n_users x n_items] training interactions */
    uint64_t n_social;
    const uint32_t *su, *sv;              /* [n_social] user pairs */
    uint64_t n_kg;
    const uint32_t *kh, *kr, *kt;         /* [n_kg] head, relation, tail (entity ids) */
    const uint32_t *item_of_entity;       /* [n_entities] aligned item or GRAPH_NO_REL; NULL: none */
} graph_typed_edges_t;

typedef struct graph_typed {
    graph_csr_t adj;                      /* [N x N] A_hat, N = U + I + E */
    uint32_t *rel;                        /* [adj.nnz] relation of each entry or GRAPH_NO_REL */
    uint32_t n_users, n_items, n_entities, n_relations;
    uint64_t social_pairs, kg_pairs;      /* undirected pairs that made it into A */
    uint32_t items_aligned;               /* items with an aligned entity */
} graph_typed_t;

/* The symmetric user-user matrix [n_users x n_users] of undirected ties
 * (a[i], b[i]): each tie in both directions, self-loops dropped, duplicates
 * collapsed, rows sorted (binary, val NULL); with_self adds the diagonal
 * (what infer --friends excludes: the user and its ties). A user id >=
 * n_users is ERR_STORE ("social edge out of range"). The one builder of the
 * social graph: the joint graph below, rank-feed's tie term (feed/feed.h)
 * and infer's friends read it. */
int graph_social_sym(graph_csr_t *s, uint32_t n_users, const uint32_t *a, const uint32_t *b, uint64_t n,
                     int with_self, err_t *e);

/* Build the joint graph from edge lists. */
int graph_typed_build(const graph_typed_edges_t *in, const graph_typed_opts_t *o, graph_typed_t *g,
                      err_t *e);

/* Load social ties, kg triples and the item-entity alignment from the store
 * and build the joint graph over train (the caller's training matrix, which
 * may be the store's training interactions minus a validation split). */
int graph_typed_load(store_txn_t *t, const graph_csr_t *train, const graph_typed_opts_t *o,
                     graph_typed_t *g, err_t *e);

/* The edge lists graph_typed_load builds from, loaded from the store (the
 * ones o asks for), owned here; s->in points into them and at train. */
typedef struct graph_typed_src {
    graph_typed_edges_t in;
    store_edge_list_t so, kg;
    uint32_t *ioe;
} graph_typed_src_t;
int graph_typed_src_load(store_txn_t *t, const graph_csr_t *train, const graph_typed_opts_t *o, graph_typed_src_t *s,
                         err_t *e);
void graph_typed_src_destroy(graph_typed_src_t *s);

/* Rows rows[0..n) of the joint graph graph_typed_build makes from in and o,
 * without the whole graph (a distributed trainer's rank builds its own
 * rows: dist/halo.h): out [n x N] in global column ids, each row's entries,
 * values and (rel, may be NULL) relations the bits graph_typed_build gives
 * that node's row. The degrees every value needs come from a first pass
 * that makes every row once and keeps only its sums (memory: R^T, the
 * social and knowledge lists, [N] degrees, one row). counts (may be NULL)
 * gets the whole graph's sizes and pair counts (social_pairs, kg_pairs,
 * items_aligned; no adjacency). A row >= N is ERR_USAGE. */
int graph_typed_rows(const graph_typed_edges_t *in, const graph_typed_opts_t *o, const uint32_t *rows, uint32_t n,
                     graph_csr_t *out, uint32_t **rel, graph_typed_t *counts, err_t *e);

/* item_of_entity [n_entities] from the store: its item-entity map
 * (STORE_META_ITEM_ENTITY) when there is one, else entities whose external
 * id equals an item's (KGAT's convention). *aligned = entities mapped. */
int graph_load_item_of_entity(store_txn_t *t, uint32_t **item_of_entity, uint32_t *aligned,
                              err_t *e);

void graph_typed_destroy(graph_typed_t *g);

#endif
