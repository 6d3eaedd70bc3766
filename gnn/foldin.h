/* foldin.h - embeddings for users who were not in training ("fold-in"),
 * computed from the items they interacted with by the model's own
 * propagation rule, without retraining and without writing anything.
 *
 * LightGCN (gnn/model.h: E^(k+1) = A_hat E^(k), final = mean of layers 0..K,
 * A_hat_ui = 1 / sqrt(d_u d_i)). A new user u with items N(u) is attached to
 * the trained graph as a leaf: its edges are added, nothing else changes (the
 * other nodes' embeddings and degrees are the trained ones, the new user's
 * contribution back into its items' later layers is ignored). Then
 *   e_u^(0)   = mean of its items' layer-0 rows   (rule GNN_FOLDIN_MEAN0)
 *             or 0                                  (rule GNN_FOLDIN_ZERO0)
 *   e_u^(k+1) = sum_{i in N(u)} e_i^(k) / sqrt(|N(u)| d_i),   k = 0..K-1
 *   e_u       = mean over k = 0..K of e_u^(k)
 * where e_i^(k) are the items' rows of A_hat^k E0, recomputed once from the
 * saved layer-0 parameters and the training adjacency (K-1 full SpMMs) and
 * d_i is the item's training degree. For a trained user whose real layer-0
 * row is given as user0, the same rule reproduces its final embedding (the
 * unit test checks it), which is why the rule is "the model's rule".
 * Measured on lastfm (docs/infer.md): the mean layer-0 rule folds in better
 * than zero, so it is the default.
 *
 * mf (K = 0): e_u = mean of its items' vectors (the MEAN0 rule with no
 * propagation). A least-squares fit of the user vector to the BPR scores
 * would need negatives and a solver per user; the mean is what the
 * propagation rule gives at K = 0 and ranks the user's own neighbourhood.
 *
 * pop: every user's "embedding" is the scalar 1 (scores = item degrees).
 *
 * Items with no training edge (d_i = 0) add nothing to the propagated layers
 * (they never had a neighbour) but still count in |N(u)| and the layer-0 mean.
 * A user with no items gets the zero vector (the caller decides what to
 * recommend then; infer falls back to popularity).
 */
#ifndef GNNREC_GNN_FOLDIN_H
#define GNNREC_GNN_FOLDIN_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"

enum gnn_foldin_rule { GNN_FOLDIN_MEAN0, GNN_FOLDIN_ZERO0 };
enum gnn_foldin_kind { GNN_FOLDIN_LIGHTGCN, GNN_FOLDIN_MF, GNN_FOLDIN_POP };

typedef struct gnn_foldin {
    int kind;                 /* GNN_FOLDIN_* */
    int rule;                 /* GNN_FOLDIN_MEAN0 (default) or ZERO0 */
    uint32_t n_users, n_items, dim, layers;
    float *item_layers;       /* owned: [layers x n_items x dim], items' E^(0..K-1) (lightgcn) */
    const float *item0;       /* items' layer-0 rows [n_items x dim]: item_layers or borrowed (mf) */
    float *isqrt_deg;         /* owned: [n_items] 1/sqrt(d_i), 0 when d_i = 0 */
} gnn_foldin_t;

/* Prepare fold-in for a saved model.
 * arch: "lightgcn", "mf" or "pop" (others are ERR_USAGE: gcn's weights and
 *   kglightgcn's joint graph have no leaf rule here).
 * emb0: layer-0 rows [(n_users + n_items) x dim] (the model's "params"; for
 *   mf the final embeddings are the same thing). Borrowed; must outlive f
 *   (mf keeps a pointer to its item rows). Unused for pop (may be NULL).
 * train: the training matrix [n_users x n_items] the model was trained on.
 * threads: for the SpMMs (0 = all cores). */
int gnn_foldin_init(gnn_foldin_t *f, const char *arch, uint32_t n_users, uint32_t n_items,
                    uint32_t dim, uint32_t layers, const float *emb0, const graph_csr_t *train,
                    int threads, err_t *e);
void gnn_foldin_destroy(gnn_foldin_t *f);

/* The embedding of one user from its items (ids < n_items, any order,
 * duplicates count twice). user0: the user's own layer-0 row [dim], or NULL
 * to apply f->rule. out [dim] (pop: out[0] = 1). ERR_USAGE for an item id
 * out of range. */
int gnn_foldin_user(const gnn_foldin_t *f, const uint32_t *items, uint32_t n, const float *user0,
                    float *out, err_t *e);

#endif
