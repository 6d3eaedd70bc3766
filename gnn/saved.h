/* saved.h - trained models in the store: what `train` writes and what
 * `eval` and `infer` read.
 *
 * A saved model is a set of blobs under its name (store_blob_*):
 *   meta      gnn_saved_meta_t, fixed layout (versioned)
 *   config    the resolved settings as YAML text, for people and --resume
 *   emb       float32 [(n_users + n_items) x dim]: the final (propagated)
 *             embeddings of the best epoch; users first, then items. Read
 *             zero-copy from LMDB's memory map by eval/infer.
 *   emb_entities  float32 [n_entities x dim], only for a model trained on a
 *             joint graph with knowledge edges (train --edges ...,knowledge):
 *             the entities' final embeddings, the rows after the items in the
 *             model's node layout (graph/typed.h). eval and infer do not need
 *             them (they rank items), so "emb" keeps its layout and the
 *             format version is unchanged; the field took the old padding.
 *   metrics   the metrics log, JSON lines (one per evaluated epoch)
 *   params, adam_m, adam_v   float32 [n_params]: the latest checkpoint,
 *             which --resume continues from (absent once a run is pruned)
 */
#ifndef GNNREC_GNN_SAVED_H
#define GNNREC_GNN_SAVED_H

#include <stdint.h>

#include "base/err.h"
#include "gnn/model.h"
#include "store/store.h"

#define GNN_SAVED_VERSION 1u

typedef struct gnn_saved_meta {
    uint32_t version;
    char arch[16];
    uint32_t n_users, n_items, dim, layers;
    uint32_t batch_size, negatives;
    float lr, reg;
    uint64_t seed;
    uint64_t step;            /* Adam steps of the checkpoint */
    uint32_t epoch;           /* epochs done at the checkpoint */
    uint32_t best_epoch;      /* epoch whose embeddings are in "emb" */
    double best_metric;       /* validation (or test) metric at best_epoch, -1 if none */
    double train_seconds;     /* wall time of all runs so far */
    uint32_t valid_users;     /* users in the validation split (0: none) */
    uint32_t n_entities;      /* entity rows of a joint-graph model (blob "emb_entities"), else 0 */
} gnn_saved_meta_t;

/* Read the meta record of model name (ERR_NOTFOUND names the model). */
int gnn_saved_meta(store_txn_t *t, const char *name, gnn_saved_meta_t *meta, err_t *e);

/* meta + zero-copy final embeddings; checks the store still has the model's
 * users and items (ERR_USAGE "retrain" when ids were appended since). */
int gnn_saved_embeddings(store_txn_t *t, const char *name, gnn_saved_meta_t *meta,
                         const float **emb, err_t *e);

#endif
