/* relation.h - the relation-aware joint LightGCN (arch "kglightgcn"), used by
 * model.c only: full-graph forward and backward with a learned scalar per
 * knowledge relation. See gnn/model.h for what the model computes.
 */
#ifndef GNNREC_GNN_RELATION_H
#define GNNREC_GNN_RELATION_H

#include <stdint.h>

#include "base/err.h"
#include "gnn/model.h"
#include "graph/csr.h"

/* Loss of the batch and the gradient of every parameter (emb0 rows and
 * relation weights) into m->grads; parameters untouched. */
int gnn_rel_loss_grad(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *u, const uint32_t *i,
                      const uint32_t *j, uint32_t t, double *loss, err_t *e);
/* Final embeddings of all nodes: out [n x dim]. */
int gnn_rel_embed(const gnn_model_t *m, const graph_csr_t *adj, float *out, err_t *e);
void gnn_rel_free(void *hws);

#endif
