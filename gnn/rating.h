/* rating.h - explicit-rating models (`train --loss mse`): biased matrix
 * factorization, Surprise's SVD trained by mini-batches and Adam, and the
 * same with LightGCN's propagated embeddings (`--arch lightgcn`,
 * rating_graph.c), and their error measures (RMSE, MAE) for `eval`.
 *
 * Prediction:  r^(u,i) = mu + b_u + b_i + p_u . q_i
 *   mu the global mean of the training ratings (fixed, not learned).
 *   With layers K > 0 (lightgcn), p_u and q_i are rows of the propagated
 *   F = mean_{k=0..K} A^k [P; Q] (A the normalized training graph, with
 *   social edges when asked): LightGCN's final embeddings; the biases are
 *   not propagated, the L2 term stays on the parameter rows (LightGCN's).
 * Loss of a batch of B rated pairs (u_t, i_t, r_t):
 *   L = (1/B) sum_t [ (r^(u_t,i_t) - r_t)^2
 *                     + reg (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2) ]
 * the L2 term on the batch's rows, once per occurrence (Surprise's SVD
 * per-rating update, averaged over the batch). Optimizer: dense Adam over
 * every parameter (gnn_adam, PyTorch's formulation), the learning rate of
 * gnn_lr_at. Batches: the training ratings in a fresh seeded order each
 * epoch (rng stream (seed, epoch)), consecutive runs of batch_size.
 * Initialisation: p, q normal with std 0.1 (seeded), biases 0.
 * Reproducibility: the gradient is summed by one thread in batch order and
 * Adam is element-wise, so a seed gives the same numbers whatever --threads.
 *
 * SVD++ (`--arch svdpp`, GNN_CAP_IMPLICIT; rating_svdpp.c, Koren 2008 and
 * Surprise's SVDpp): p_u becomes z_u = p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j,
 * N(u) the items of u's ratings trained on (m->implicit; none: z_u = p_u),
 * y_j a second row per item; the L2 term of a pair adds sum_{j in N(u)}
 * |y_j|^2 (Surprise's per-rating update of every y_j). No head, no layers.
 * The saved user row is [z_u, b_u, 1]: served as biased MF is.
 *
 * Memory layout (one allocation per tensor):
 *   params [n_params] = P [n_users x dim], Q [n_items x dim], bu [n_users], bi [n_items],
 *                       (svdpp) Y [n_items x dim], (head) the head's weights
 *   grads, adam_m, adam_v [n_params] side by side
 * Saved (gnn/saved.h): "emb" [(n_users + n_items) x (dim + 2)] with user
 * rows [p_u, b_u, 1] and item rows [q_i, 1, b_i], so the dot product of two
 * rows is r^ - mu and the ranking path ranks by it unchanged; meta.loss =
 * GNN_LOSS_MSE, meta.rating_mean = mu, rating_min/max the training range.
 *
 * With an MLP head (`--head mlp`, gnn/head.h; rating_head.c) the dot
 * product p_u . q_i becomes s(p_u, q_i), the head over the two rows (or
 * F's), and the model also trains with BPR on implicit interactions
 * (loss = GNN_LOSS_BPR: negatives sampled uniformly among the items the
 * user has not interacted with, seeded by (seed, epoch); mu = 0). The
 * head's weights follow bi in params and train with the same Adam; the
 * saved table is the same [(U + I) x (dim + 2)] and the head is blob
 * "head" (its input: the first dim columns of a row; the bias columns add
 * their dot product, so a ranking by the head's score is one by r^).
 */
#ifndef GNNREC_GNN_RATING_H
#define GNNREC_GNN_RATING_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "gnn/head.h"
#include "gnn/trainer.h"
#include "graph/load.h"
#include "store/store.h"

/* The saved rows' columns past dim: [b_u, 1] on a user row, [1, b_i] on an
 * item row (above). */
#define GNN_RATING_BIAS_COLS 2u

/* Whether a run (or a saved model: its loss, and whether it has a head) is
 * the rating loop's, with GNN_RATING_BIAS_COLS in its saved rows: --loss mse
 * or --head mlp; otherwise the BPR trainer's. */
static inline int gnn_rating_applies(int loss, int has_head)
{
    return loss == GNN_LOSS_MSE || has_head;
}

typedef struct gnn_rating_model {
    uint32_t n_users, n_items, dim;
    size_t n_params;          /* (n_users + n_items) x (dim + 1) (+ n_items x dim: svdpp) + head.n_params */
    float mu;
    int loss;                 /* GNN_LOSS_MSE, or GNN_LOSS_BPR (an MLP head only) */
    gnn_head_t head;          /* head.n_layers 0: the dot product */
    float *params;            /* [n_params], layout above, then the head's weights */
    float *hw;                /* view: the head's weights [head.n_params] */
    const graph_csr_t *train; /* bpr: the training interactions (borrowed), what negatives avoid */
    float *P, *Q, *bu, *bi;   /* views into params */
    float *grads, *adam_m, *adam_v;   /* [n_params] */
    uint64_t step;            /* Adam steps taken */
    uint32_t layers;          /* 0: biased MF; K > 0: propagated (gnn_rating_graph) */
    const graph_csr_t *adj;   /* [(U + I) x (U + I)] normalized adjacency, borrowed; layers > 0 only */
    float *F;                 /* [3 x (U + I) x dim]: F, then two scratch tables; layers > 0 only */
    float *Y;                 /* svdpp: view into params, [n_items x dim]; NULL otherwise */
    const graph_csr_t *implicit;   /* svdpp: N(u), R [n_users x n_items] (borrowed) */
    float *zs;                /* svdpp: scratch [2 x n_users x dim], the batch's z_u and dL/d(sum y) */
    uint32_t *ucnt;           /* svdpp: scratch [2 x n_users], a user's pairs in the batch, the batch's users */
} gnn_rating_model_t;

/* Error of predictions against ratings: n pairs scored. */
typedef struct gnn_rating_metrics {
    uint64_t n;
    double rmse, mae;
} gnn_rating_metrics_t;

/* --loss's names in GNN_LOSS_* order, NULL-terminated. */
const char *const *gnn_loss_names(void);

/* Allocate and initialise (seeded); dim 1..1024. */
int gnn_rating_init(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                    uint64_t seed, err_t *e);
void gnn_rating_destroy(gnn_rating_model_t *m);
/* The same with a head (NULL or n_layers 0: the dot product; in = dim),
 * its weights initialised by gnn_head_init from seed + 1. */
int gnn_rating_init_head(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                         const gnn_head_t *head, uint64_t seed, err_t *e);

/* The same with SVD++'s y rows (seeded after P and Q: P and Q are biased
 * MF's of the same seed, Y std 0.1 too) and N(u) = the rows of implicit
 * (borrowed, [n_users x n_items]). */
int gnn_rating_init_implicit(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                             const graph_csr_t *implicit, uint64_t seed, err_t *e);
/* (rating_svdpp.c) z_u into z [dim]: p_u + |N(u)|^-1/2 sum y_j (p_u without Y). */
void gnn_rating_user_row(const gnn_rating_model_t *m, uint32_t u, float *z);
/* The loss and gradient of biased MF and svdpp (layers 0, no head: what
 * gnn_rating_loss_grad dispatches to), and svdpp's reference loss (what
 * gnn_rating_loss_ref returns for svdpp). */
void gnn_rating_dot_grad(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                         float reg, int threads, double *loss);
double gnn_rating_svdpp_loss_ref(const gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                                 uint32_t n, float reg);

/* Propagate through adj (borrowed, kept by the caller) with `layers` >= 1
 * products: from now on predictions use F. ERR_NOMEM. (rating_graph.c) */
int gnn_rating_graph(gnn_rating_model_t *m, const graph_csr_t *adj, uint32_t layers, err_t *e);
/* F from the parameters (after they changed; nothing with layers 0). */
void gnn_rating_propagate(gnn_rating_model_t *m, int threads);
/* The plain reference twin: a new table [3 x (U + I) x dim] whose first
 * part is F (NULL when out of memory); free() it. */
float *gnn_rating_propagate_ref(const gnn_rating_model_t *m);
/* g [(U + I) x dim] := mean_k A^k g (dL/dF -> dL/dE0); F is stale after. */
void gnn_rating_backprop(gnn_rating_model_t *m, float *g, int threads);

/* r^(u, i) from the parameters (layers > 0: from F as last propagated; no
 * clipping). */
float gnn_rating_predict(const gnn_rating_model_t *m, uint32_t u, uint32_t i);

/* The batch loss L above from the parameters alone (layers > 0: through
 * gnn_rating_propagate_ref): the plain reference the gradient check
 * differentiates. */
double gnn_rating_loss_ref(const gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                           uint32_t n, float reg);

/* L and its gradient: m->grads set (MF: zero outside the batch's rows);
 * parameters untouched. *loss = L. threads: the products of layers > 0.
 * With a head: gnn_rating_head_grad (*loss NaN when it ran out of memory). */
void gnn_rating_loss_grad(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                          float reg, int threads, double *loss);

/* The head's loss and gradient, the batch's pairs as rating_head.c says
 * (bpr: positives, then their negatives); ERR_NOMEM. And its reference
 * loss (what gnn_rating_loss_ref returns for a model with a head). */
int gnn_rating_head_grad(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                         float reg, int threads, double *loss);
double gnn_rating_head_loss_ref(const gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                                uint32_t n, float reg);

/* One epoch (0-based) of mini-batch Adam over the training ratings tr
 * (ids below the model's counts); *loss = mean batch loss. */
int gnn_rating_epoch(gnn_rating_model_t *m, const gnn_hparams_t *hp, const graph_ratings_t *tr, uint32_t epoch,
                     double *loss, err_t *e);

/* The saved table: emb [(n_users + n_items) x (dim + 2)], rows as above. */
/* (layers > 0: propagates first, so F is current after.) */
void gnn_rating_embed(gnn_rating_model_t *m, float *emb);

/* RMSE and MAE of the predictions mu + dot(emb row u, emb row U + i) (the
 * saved table, width columns; gnn_rating_eval_head: mu + gnn_head_pair of
 * the rows, head h with weights w), clipped to [lo, hi], against the ratings of
 * rt. A pair whose user or item is past the table (ids appended since the
 * model was trained) is not scored (out->n counts those scored). */
void gnn_rating_eval(const float *emb, uint32_t width, uint32_t n_users, uint32_t n_items, float mu, float lo,
                     float hi, const graph_ratings_t *rt, gnn_rating_metrics_t *out);
void gnn_rating_eval_head(const float *emb, uint32_t width, uint32_t n_users, uint32_t n_items, float mu, float lo,
                          float hi, const gnn_head_t *h, const float *w, const graph_ratings_t *rt,
                          gnn_rating_metrics_t *out);

/* Model name's RMSE and MAE on the store's test ratings (t open): the
 * model must be a rating model (ERR_USAGE otherwise); out->n = 0 when the
 * test split has no ratings. */
int gnn_rating_eval_saved(store_txn_t *t, const char *name, gnn_rating_metrics_t *out, err_t *e);

/* The whole `train --loss mse` run, and `--head mlp` with either loss
 * (what gnn_trainer_run dispatches to; bpr: on the training interactions,
 * the ranking metrics every o->eval_every epochs through the head):
 * the training ratings (ERR_USAGE when the store has none, or some
 * training interactions have none), o->epochs epochs, test RMSE/MAE every
 * o->eval_every epochs when the test split has ratings, the ranking
 * metrics at the end, the model saved as name.
 * o->valid_fraction > 0: a validation split of the training data (mse:
 * each rating held out with that probability, a seeded stream of its own,
 * mu the mean of the rest; bpr: graph_csr_holdout, as the BPR trainer's)
 * is evaluated every o->eval_every epochs instead of being trained on: the
 * validation RMSE (mse; lower is better) or recall at the first k (bpr) is
 * watched, the best evaluation's table and head weights are what is saved
 * (meta.best_epoch, best_metric), and o->patience evaluations without
 * improvement stop the run. o->checkpoint_every stages a checkpoint
 * (NAME~run: parameters, Adam state, step, epoch, the best evaluation, the
 * log); o->resume continues the staging of an interrupted run, else the
 * saved model, up to o->epochs: batches and negatives are seeded by
 * (seed, epoch), so N epochs and N/2 + --resume N/2 give the same bits
 * (tests/cli_rating_resume.sh). o->init_from: a warm start
 * (gnn_warm_start_rating: the model's parameters, new nodes placed; R the
 * ratings trained on, or bpr's interactions). */
int gnn_rating_run(store_t *s, const char *name, const gnn_trainer_opts_t *o, gnn_trainer_result_t *out, err_t *e);

#endif
