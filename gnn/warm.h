/* warm.h - warm start (`train --init-from MODEL`): a new run's layer-0
 * parameters taken from a saved model of the same store, so that a daily
 * retrain after `build-graph --append` costs a few epochs, not a whole run.
 *
 * The store's dense ids are given in order of first appearance and an
 * append only adds ids after the existing ones, so the saved model's users
 * 0..U0-1 and items 0..I0-1 are this run's first users and items. Their
 * rows are copied. A node the model has not seen is placed the way fold-in
 * (gnn/foldin.h, GNN_FOLDIN_MEAN0) places a new user, from the training
 * matrix R in store ids:
 *   a new item: the mean of the layer-0 rows of its known users;
 *   a new user: the mean of the layer-0 rows of its items (known, or new and
 *               placed in the step before);
 * a node with none of those keeps the run's seeded random row. Adam's
 * moments and the step count start from zero, the epochs from 1: it is a
 * new run that starts near the old optimum, not a --resume.
 *
 * A rating model (gnn/rating.h: --loss mse, --head mlp; the rating loop's
 * warm start) also takes the known nodes' biases, svdpp's y rows of the
 * known items and the head's weights, all as of the model's last epoch
 * (its saved parameters, not the best evaluation's table); new nodes'
 * biases are 0 and their y rows the run's seeded ones.
 *
 * Refused (ERR_USAGE, naming the model and both values): another
 * architecture, dim or head (mlp widths); a model trained with another
 * --loss; a model with more users or items than the store has now;
 * architectures without GNN_CAP_WARM (gcn's weights, kglightgcn's relation
 * weights, graph filters and pop).
 */
#ifndef GNNREC_GNN_WARM_H
#define GNNREC_GNN_WARM_H

#include <stdint.h>

#include "base/err.h"
#include "gnn/model.h"
#include "graph/csr.h"
#include "store/store.h"

typedef struct gnn_warm_report {
    uint32_t users_copied, items_copied;   /* rows taken from the model */
    uint32_t users_placed, items_placed;   /* new nodes placed by the mean rule */
    uint32_t users_random, items_random;   /* new nodes with no known neighbour */
} gnn_warm_report_t;

/* Fill emb0 [(n_users + n_items) x hp->dim] (store ids; rows of nodes the
 * rule does not reach are left as they are) from model `from` in t.
 * train: R [n_users x n_items] in store ids. */
int gnn_warm_start(store_txn_t *t, const char *from, const gnn_hparams_t *hp, const graph_csr_t *train,
                   float *emb0, gnn_warm_report_t *rep, err_t *e);

/* The same for rating model r (initialised for this run: its head and Y
 * say what the model must have; hp its arch, loss and dim): r's parameters
 * as above, Adam's state left as it is. train: R in store ids. */
struct gnn_rating_model;
int gnn_warm_start_rating(store_txn_t *t, const char *from, const gnn_hparams_t *hp, const graph_csr_t *train,
                          struct gnn_rating_model *r, gnn_warm_report_t *rep, err_t *e);

#endif
