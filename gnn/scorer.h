/* scorer.h - open any saved model as a gnn_scorer_t (gnn/eval.h), so eval
 * and infer rank embedding models and graph-filter models (gf-cf, bspm)
 * through one path. */
#ifndef GNNREC_GNN_SCORER_H
#define GNNREC_GNN_SCORER_H

#include "base/err.h"
#include "gnn/eval.h"
#include "gnn/gfcf.h"
#include "graph/csr.h"
#include "store/store.h"

/* The scorer of saved model `model`. Embedding models read "emb" zero-copy;
 * gf-cf/bspm read their V zero-copy and score from g->train (degrees) and the
 * query rows. Borrows t's memory map and g: both must outlive the scorer.
 * ERR_USAGE ("retrain") when the store's interactions changed since the fit.
 * Release with gnn_scorer_destroy. */
int gnn_scorer_open(store_txn_t *t, const char *model, const graph_interactions_t *g, gnn_scorer_t *out,
                    err_t *e);

#endif
