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
 * Loss per batch of T triples (u, i+, i-) (LightGCN's; T = batch * negatives):
 *   (1/T) sum_t [ -log sigmoid(s(u,i+) - s(u,i-))
 *                 + reg/2 (|e0_u|^2 + |e0_i+|^2 + |e0_i-|^2) ]
 * with s = dot of final embeddings and e0 the layer-0 (parameter) rows; with
 * negatives = 1 this is exactly LightGCN-PyTorch's mean BPR + reg * L2 / batch.
 * Each positive gets `negatives` uniform negatives (items the user has not
 * interacted with in training). Optimizer: dense Adam (beta1 0.9, beta2
 * 0.999, eps 1e-8, PyTorch's bias correction) over every parameter.
 *
 * How a lightgcn/mf step is computed (docs/training.md): only the batch's
 * receptive field is propagated (F = P E0 with P = mean of A^0..A^K, by
 * Horner's rule), the gradient P G is propagated from the batch's rows
 * outwards, and the last backward product is fused with the Adam update.
 * gcn propagates the whole graph (its non-linearity forbids the shortcut).
 *
 * Memory layout (one allocation per tensor, llm.c style):
 *   params [n_params]  = emb0 [(n_users + n_items) x dim] then W [layers x dim x dim] (gcn)
 *   grads, adam_m, adam_v [n_params]  side by side with params
 * Persistence (store) saves params (+ adam_m, adam_v, step for --resume).
 *
 * Reproducibility: same seed and same threads give the same numbers
 * (lightgcn/mf: the same numbers whatever the threads, every sum has a fixed
 * order; gcn goes through OpenBLAS, whose sums depend on its threads).
 * Limits: dim <= 1024, layers <= 8, negatives <= 64.
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

/* One epoch of BPR training: ceil(n_train/batch_size) steps (n_train = train->nnz),
 * positives drawn as LightGCN does (a random user, then one of its items),
 * seeded from (hp.seed, epoch). train: R [n_users x n_items];
 * adj: graph_norm_bipartite(R). *loss = mean batch loss. Users with no
 * training item (or no possible negative) are never drawn. */
int gnn_train_epoch(gnn_model_t *m, const graph_csr_t *train, const graph_csr_t *adj,
                    uint32_t epoch, double *loss, err_t *e);

/* Loss and gradient for a fixed batch of t triples (users[k], pos[k],
 * neg[k]; item ids 0-based, not node ids): *loss and m->grads [n_params]
 * are set, parameters and Adam state are untouched. This is the
 * deterministic entry point tests/test_gradcheck.c differentiates. */
int gnn_loss_grad(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                  const uint32_t *pos, const uint32_t *neg, uint32_t t, double *loss, err_t *e);

/* One Adam step on a fixed batch (what gnn_train_epoch does per batch).
 * For lightgcn/mf the gradient is fused into the update and m->grads is
 * not written; the result equals gnn_loss_grad + Adam on m->grads up to
 * rounding (tests/test_model.c). */
int gnn_train_step(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                   const uint32_t *pos, const uint32_t *neg, uint32_t t, double *loss, err_t *e);

/* Final embeddings of all nodes: out [(n_users + n_items) x dim]; users in
 * rows 0..n_users-1, items after. */
int gnn_model_embed(const gnn_model_t *m, const graph_csr_t *adj, float *out, err_t *e);

#endif
