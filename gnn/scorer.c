/* scorer.c - saved models as scorers (scorer.h); the gf-cf/bspm writer is
 * gnn_gfcf_save in gnn/saved.c. */
#include "gnn/scorer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gfcf.h"
#include "gnn/saved.h"

static void gfcf_destroy(gnn_scorer_t *s)
{
    gnn_gfcf_destroy(s->ctx);
    free(s->ctx);
}

static int open_gfcf(store_txn_t *t, const char *model, const gnn_saved_meta_t *meta,
                     const graph_interactions_t *g, gnn_scorer_t *out, err_t *e)
{
    const void *pp;
    size_t len;
    int rc = gnn_saved_blob(t, model, GNN_SAVED_KEY_GFCF, &pp, &len, e);
    if (rc) return rc;
    gnn_gfcf_params_t p;
    if ((rc = gnn_gfcf_params_read(pp, len, model, &p, e))) return rc;
    if (p.n_users != g->n_users || p.n_items != g->n_items || p.nnz != g->train.nnz)
        return err_set(e, ERR_USAGE,
                       "model '%s' was fitted on %u users, %u items, %llu interactions; the store now has "
                       "%u, %u, %llu: retrain it", model, p.n_users, p.n_items, (unsigned long long)p.nnz,
                       g->n_users, g->n_items, (unsigned long long)g->train.nnz);
    const float *v;
    size_t nv;
    if ((rc = gnn_saved_floats(t, model, GNN_SAVED_KEY_GFCF_V, &v, &nv, e))) return rc;
    if (nv != (size_t)p.n_items * meta->dim)
        return err_set(e, ERR_USAGE, "model '%s': singular vectors of %zu floats, expected %u x %u; retrain it",
                       model, nv, p.n_items, meta->dim);
    gnn_gfcf_t *m = malloc(sizeof *m);
    if (!m) return err_set(e, ERR_NOMEM, "out of memory");
    if ((rc = gnn_gfcf_init(m, &g->train, &p, e))) {
        free(m);
        return rc;
    }
    gnn_gfcf_set_v(m, v, meta->dim);
    const float *idx = NULL;   /* u32 words: the aligned view of the blob */
    size_t ni = 0;
    if (p.variant == GNN_GFCF_ITEMKNN &&
        ((rc = gnn_saved_floats(t, model, GNN_SAVED_KEY_KNN_IDX, &idx, &ni, e)) ||
         (ni != (size_t)p.n_items * meta->dim &&
          (rc = err_set(e, ERR_USAGE, "model '%s': neighbour table of %zu bytes; retrain it", model, ni))) ||
         (rc = gnn_itemknn_set(m, v, (const void *)idx, meta->dim, e)))) {
        gnn_gfcf_destroy(m);
        free(m);
        return rc;
    }
    gnn_gfcf_scorer(m, out);
    out->destroy = gfcf_destroy;
    return ERR_OK;
}

int gnn_scorer_open(store_txn_t *t, const char *model, const graph_interactions_t *g, gnn_scorer_t *out,
                    err_t *e)
{
    gnn_saved_meta_t meta;
    memset(out, 0, sizeof *out);
    int rc = gnn_saved_meta(t, model, &meta, e);
    if (rc) return rc;
    const gnn_arch_t *a = gnn_arch_find(meta.arch);
    if (a && a->kind == GNN_KIND_FILTER) return open_gfcf(t, model, &meta, g, out, e);
    const float *emb;
    if ((rc = gnn_saved_embeddings(t, model, &meta, &emb, e))) return rc;
    gnn_scorer_emb(out, meta.arch, emb, meta.n_users, emb + (size_t)meta.n_users * meta.dim, meta.n_items,
                   meta.dim);
    return ERR_OK;
}
