/* model.h - GCN recommenders: parameters, BPR training steps, final embeddings.
 *
 * Architectures (gnn_hparams_t.arch, rows of gnn/arch.h with GNN_CAP_BPR):
 *   "lightgcn"  K weightless propagation layers, final = mean of layers 0..K
 *               (He et al., SIGIR 2020). E^(k+1) = A_hat E^(k).
 *   "mf"        lightgcn with K = 0: matrix factorization trained with BPR.
 *   "gcn"       K layers E^(k+1) = act(A_hat E^(k) W_k) with a dim x dim
 *               weight per layer (NGCF/Kipf style), products via OpenBLAS
 *               SGEMM; final = concatenation-free mean of layers 0..K.
 *   "kglightgcn" lightgcn over the joint graph (graph/typed.h) with a learned
 *               scalar w_r per knowledge relation: every knowledge entry of
 *               A_hat is scaled by w_r (init 1), so E^(k+1) = A_hat(w) E^(k);
 *               propagates the whole graph each step (gnn/relation.c).
 * Nodes: users 0..n_users-1, then items at n_users + item (the layout of
 * graph_norm_bipartite's adjacency A_hat), then n_extra further nodes
 * (knowledge entities of the joint graph, graph/typed.h) that get
 * embeddings and propagate but are never sampled by BPR.
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
 * With hp.cl_weight > 0 lightgcn adds XSimGCL's contrastive term
 * (gnn/contrast.h): BPR then scores a noisy propagation of E0, and the
 * loss adds cl_weight x InfoNCE between its final and layer-l views.
 *
 * How a lightgcn/mf step is computed (docs/training.md): only the batch's
 * receptive field is propagated (F = P E0 with P = mean of A^0..A^K, by
 * Horner's rule), the gradient P G is propagated from the batch's rows
 * outwards, and the last backward product is fused with the Adam update.
 * gcn propagates the whole graph (its non-linearity forbids the shortcut).
 *
 * Memory layout (one allocation per tensor, llm.c style):
 *   params [n_params]  = emb0 [(n_users + n_items + n_extra) x dim] then W [layers x dim x dim] (gcn)
 *                        or w_rel [n_rel] (kglightgcn)
 *   grads, adam_m, adam_v [n_params]  side by side with params
 * Persistence (store) saves params (+ adam_m, adam_v, step for --resume).
 *
 * Precision: gnn_train_step/epoch (lightgcn, K >= 1) store the tables that
 * the products gather as float16 unless hp.fp32_tables: half the bytes per
 * product; the gradient then differs from the float32 one at the 1e-3
 * relative level (docs/training.md). gnn_loss_grad is always float32.
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
#include "gnn/arch.h"
#include "graph/csr.h"

/* What a run learns from (gnn_hparams_t.loss): BPR on implicit interactions
 * (this header), or the squared error of explicit ratings (gnn/rating.h). */
typedef enum { GNN_LOSS_BPR, GNN_LOSS_MSE } gnn_loss_t;

typedef struct gnn_hparams {
    gnn_arch_id_t arch;    /* GNN_ARCH_LIGHTGCN, _MF, _GCN or _KGLIGHTGCN (gnn/arch.h) */
    uint32_t dim;          /* 64 */
    uint32_t layers;       /* 3 (forced 0 for mf) */
    uint32_t batch_size;   /* 2048 */
    uint32_t steps_per_epoch; /* 0 (default): batch_size positives per step; N > 0:
                            * ceil(n_train / N) positives per step, so the batch grows
                            * with the graph and an epoch is N steps whatever its size:
                            * each step propagates (nearly) the whole graph, so a fixed
                            * step count keeps an epoch's cost linear in the edges */
    uint32_t negatives;    /* 1 */
    float lr;              /* 0.001 */
    float reg;             /* 1e-4 */
    uint64_t seed;         /* 2020 */
    int threads;           /* 0 = all cores */
    int fp32_tables;       /* 0 (default): lightgcn's training steps keep their
                            * intermediate tables (Z_j, Y_j, a copy of E0) in
                            * float16, sums in float32; 1: float32 throughout */
    /* Learning-rate schedule (gnn_lr_at), per step, in epochs; all zero = lr constant. */
    float lr_warmup;       /* linear ramp from lr/100 to lr over this many epochs (0) */
    int lr_decay;          /* GNN_LR_CONSTANT, GNN_LR_COSINE or GNN_LR_LINEAR after the warm-up */
    float lr_min;          /* where the decay ends, as a fraction of lr (0) */
    uint32_t lr_epochs;    /* the epoch at which the decay reaches lr_min (the run's length) */
    int loss;              /* GNN_LOSS_BPR (default) or GNN_LOSS_MSE (architectures with GNN_CAP_MSE) */
    int head;              /* GNN_HEAD_DOT (default) or GNN_HEAD_MLP (gnn/head.h; trained by gnn/rating.h) */
    uint32_t mlp[4];       /* the MLP head's layer widths (GNN_HEAD_MAX_LAYERS) */
    uint32_t n_mlp;        /* how many; 0 with GNN_HEAD_MLP: 64,32 */
    /* XSimGCL's contrastive term (gnn/contrast.h; lightgcn, layers >= 1). cl_weight 0
     * (default): off, and the other four are not read */
    float cl_weight;       /* lambda, the InfoNCE terms' weight */
    float cl_eps;          /* the noise's norm per layer */
    float cl_temp;         /* tau */
    uint32_t cl_layer;     /* l in 1..layers: the layer contrasted with the final view */
    uint32_t cl_batch;     /* InfoNCE in chunks of at most this many of the step's distinct
                            * users (items), batch order; 0 = one chunk: cost ~ n x chunk */
} gnn_hparams_t;

enum { GNN_LR_CONSTANT, GNN_LR_COSINE, GNN_LR_LINEAR };

/* The learning rate at fractional epoch t (epoch e, step s of n: e + s/n):
 * warm-up to hp->lr, then constant or a decay to lr * lr_min at lr_epochs
 * (held there after). Large batches need fewer, larger steps; the warm-up
 * keeps Adam's first steps from throwing the embeddings about, the decay
 * lets the last epochs settle (docs/training.md). */
float gnn_lr_at(const gnn_hparams_t *hp, double t);

/* Called by gnn_train_epoch after each of its steps (step counts from 1):
 * what a progress line inside a long epoch needs. */
typedef void (*gnn_step_hook_t)(void *ctx, uint64_t step, uint64_t steps);

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
    /* joint graph (gnn_model_init_nodes); zero / NULL for a user-item model */
    uint32_t n_extra;      /* nodes after the items (entities) */
    uint32_t n_rel;        /* relations with a learned weight (kglightgcn) */
    float *rel_w;          /* view: params + n_nodes*dim, [n_rel], or NULL */
    const uint32_t *edge_rel; /* borrowed [adj nnz]: relation of each adjacency entry (kglightgcn) */
    void *hws;             /* private workspace of gnn/relation.c */
    gnn_step_hook_t step_hook; /* NULL, or called after every step of gnn_train_epoch */
    void *step_ctx;        /* its first argument */
} gnn_model_t;

/* Check hparams (arch known, dim/layers/batch in range, sizes that do not
 * overflow) and allocate; parameters initialised from hp.seed
 * (normal, std 0.1 as LightGCN; Xavier for W). */
int gnn_model_init(gnn_model_t *m, const gnn_hparams_t *hp, uint32_t n_users,
                   uint32_t n_items, err_t *e);
/* The same over a joint graph: n_extra nodes after the items (entities),
 * and for kglightgcn n_rel relation weights. gnn_model_init is this with
 * n_extra = n_rel = 0. */
int gnn_model_init_nodes(gnn_model_t *m, const gnn_hparams_t *hp, uint32_t n_users,
                         uint32_t n_items, uint32_t n_extra, uint32_t n_rel, err_t *e);
/* kglightgcn: the relation (< n_rel, or UINT32_MAX for none) of every stored
 * entry of the adjacency later passed to the training calls (graph_typed_t.rel;
 * borrowed, must outlive the model's use of that adjacency). */
void gnn_model_set_relations(gnn_model_t *m, const uint32_t *edge_rel);
void gnn_model_destroy(gnn_model_t *m);

/* The positives per step gnn_train_epoch uses on n_train training
 * interactions: hp.batch_size, or ceil(n_train / hp.steps_per_epoch). */
uint64_t gnn_batch_positives(const gnn_hparams_t *hp, uint64_t n_train);

/* The walk of one epoch's steps, shared by gnn_train_epoch and the
 * distributed trainer (dist/step.c) so both take the same batches at the
 * same learning rates: positives [b, b + cnt) of 0..n_pos-1 in batches of
 * gnn_batch_positives, lr = gnn_lr_at at the step's fraction of the epoch.
 * fn runs one step and sets its loss; hook (NULL: none) is told after each
 * (steps done, steps in the epoch). *loss = the steps' mean loss. The
 * first error stops the walk and is returned. */
typedef int (*gnn_step_fn_t)(void *ctx, uint32_t epoch, uint64_t b, uint64_t cnt, float lr, double *loss,
                             err_t *e);
int gnn_epoch_walk(const gnn_hparams_t *hp, uint32_t epoch, uint64_t n_pos, gnn_step_fn_t fn, void *ctx,
                   gnn_step_hook_t hook, void *hook_ctx, double *loss, err_t *e);

/* One epoch of BPR training: ceil(n_train/batch) steps (n_train = train->nnz,
 * batch = gnn_batch_positives),
 * positives drawn as LightGCN does (a random user, then one of its items),
 * seeded from (hp.seed, epoch). train: R [n_users x n_items];
 * adj: graph_norm_bipartite(R). *loss = mean batch loss. Users with no
 * training item (or no possible negative) are never drawn. */
int gnn_train_epoch(gnn_model_t *m, const graph_csr_t *train, const graph_csr_t *adj,
                    uint32_t epoch, double *loss, err_t *e);

/* Loss and gradient for a fixed batch of t triples (users[k], pos[k],
 * neg[k]; item ids 0-based, not node ids): *loss and m->grads [n_params]
 * are set, parameters and Adam state are untouched. Always float32. This is the
 * deterministic entry point tests/test_gradcheck.c differentiates. */
int gnn_loss_grad(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                  const uint32_t *pos, const uint32_t *neg, uint32_t t, double *loss, err_t *e);

/* One Adam step on a fixed batch (what gnn_train_epoch does per batch).
 * For lightgcn/mf the gradient is fused into the update and m->grads is
 * not written; the result equals gnn_loss_grad + Adam on m->grads up to
 * rounding (tests/test_model.c) with hp.fp32_tables, and to the float16
 * level without. Writing m->params between steps is allowed only before a
 * gnn_train_epoch or with m->step changed (the float16 copy of E0 is
 * refreshed then). */
int gnn_train_step(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                   const uint32_t *pos, const uint32_t *neg, uint32_t t, double *loss, err_t *e);

/* Final embeddings of all nodes: out [(n_users + n_items + n_extra) x dim];
 * users in rows 0..n_users-1, items after, then the extra nodes. */
int gnn_model_embed(const gnn_model_t *m, const graph_csr_t *adj, float *out, err_t *e);

/* The same final embeddings without a table of the caller's: *out points
 * into the model (its layer-0 rows for mf, else a training buffer) and is
 * valid until the next training call or gnn_model_destroy. What a trainer
 * evaluates and saves from, so that a large graph's run holds no extra
 * [nodes x dim] tables (docs/scale.md's memory plan). */
int gnn_model_final(gnn_model_t *m, const graph_csr_t *adj, const float **out, err_t *e);
/* A table of the model's workspace that the caller may fill with the final
 * embeddings ([(n_users + n_items + n_extra) x dim] floats) until the next
 * training call: out itself when gnn_model_final left them in a training
 * buffer, else (mf, whose out is its parameters) the first buffer. Call it
 * right after gnn_model_final. */
float *gnn_model_spare(gnn_model_t *m, const float *out);
/* Free the step's scratch tables (G, the two Horner buffers, E0's float16
 * copy: 896 bytes a node at dim 64), all but keep (one of them, or NULL):
 * they hold nothing between steps but what gnn_model_final or
 * gnn_model_spare left. The next training call or gnn_model_final
 * allocates them again, zeroed as at init, so a run's numbers do not
 * change. A trainer calls it before a save, which would otherwise hold
 * them beside the store's copy of the model (docs/scale.md). */
void gnn_model_release(gnn_model_t *m, const float *keep);

#endif
