/* model.h - GCN recommenders: parameters, BPR training steps, final embeddings.
 *
 * Architectures (gnn_hparams_t.arch):
 *   "lightgcn"  K weightless propagation layers, final = mean of layers 0..K
 *               (He et al., SIGIR 2020). E^(k+1) = A_hat E^(k).
 *   "mf"        lightgcn with K = 0: matrix factorization trained with BPR.
 *   "gcn"       K layers E^(k+1) = act(A_hat E^(k) W_k) with a dim x dim
 *               weight per layer (NGCF/Kipf style), products via OpenBLAS
 *               SGEMM; final = concatenation-free mean of layers 0..K.
 * Nodes: users 0..n_users-1, then items at n_users + item (the layout of
 * graph_norm_bipartite's adjacency A_hat).
 *
 * Loss per batch (LightGCN's): mean over (u, i+, i-) triples of
 *   -log sigmoid(s(u,i+) - s(u,i-))  +  reg * 0.5 * (|e0_u|^2 + |e0_i+|^2 + |e0_i-|^2) / batch
 * with s = dot of final embeddings and e0 the layer-0 (parameter) rows;
 * `negatives` uniform negatives per positive (items the user has not
 * interacted with in training). Optimizer: Adam.
 *
 * Memory layout (one allocation per tensor, llm.c style):
 *   params [n_params]  = emb0 [(n_users + n_items) x dim] then W [layers x dim x dim] (gcn)
 *   grads, adam_m, adam_v [n_params]  side by side with params
 * Persistence (store) saves params (+ adam_m, adam_v, step for --resume).
 *
 * Reproducibility: same seed and same threads give the same numbers.
 */
#ifndef GNNREC_GNN_MODEL_H
#define GNNREC_GNN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"

typedef struct gnn_hparams {
    char arch[16];         /* "lightgcn", "mf", "gcn" */
    uint32_t dim;          /* 64 */
    uint32_t layers;       /* 3 (forced 0 for mf) */
    uint32_t batch_size;   /* 2048 */
    uint32_t negatives;    /* 1 */
    float lr;              /* 0.001 */
    float reg;             /* 1e-4 */
    uint64_t seed;         /* 2020 */
    int threads;           /* 0 = all cores */
} gnn_hparams_t;

typedef struct gnn_model {
    gnn_hparams_t hp;
    uint32_t n_users, n_items;
    size_t n_params;
    float *params;         /* [n_params] */
    float *emb0;           /* view: params, [(n_users + n_items) x dim] */
    float *weights;        /* view: params + (nu+ni)*dim, [layers x dim x dim], or NULL */
    float *grads;          /* [n_params] */
    float *adam_m, *adam_v;/* [n_params] */
    uint64_t step;         /* Adam steps taken */
    void *ws;              /* private workspace (activations etc.) */
} gnn_model_t;

/* Check hparams (arch known, dim/layers/batch in range, sizes that do not
 * overflow) and allocate; parameters initialised from hp.seed
 * (normal, std 0.1 as LightGCN; Xavier for W). */
int gnn_model_init(gnn_model_t *m, const gnn_hparams_t *hp, uint32_t n_users,
                   uint32_t n_items, err_t *e);
void gnn_model_destroy(gnn_model_t *m);

/* One epoch of BPR training: n_train/batch_size steps (n_train = train->nnz),
 * positives drawn as LightGCN does (a random user, then one of its items),
 * seeded from (hp.seed, epoch). train: R [n_users x n_items];
 * adj: graph_norm_bipartite(R). *loss = mean batch loss. */
int gnn_train_epoch(gnn_model_t *m, const graph_csr_t *train, const graph_csr_t *adj,
                    uint32_t epoch, double *loss, err_t *e);

/* Final embeddings of all nodes: out [(n_users + n_items) x dim]; users in
 * rows 0..n_users-1, items after. */
int gnn_model_embed(const gnn_model_t *m, const graph_csr_t *adj, float *out, err_t *e);

#endif
