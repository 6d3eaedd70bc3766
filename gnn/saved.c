/* saved.c - see saved.h. */
#include "gnn/saved.h"

#include <string.h>

int gnn_saved_meta(store_txn_t *t, const char *name, gnn_saved_meta_t *meta, err_t *e)
{
    const void *p;
    size_t len;
    int rc = store_blob_get(t, name, "meta", &p, &len, e);
    if (rc == ERR_NOTFOUND)
        return err_set(e, ERR_NOTFOUND, "no model named '%s' in this store (train one: gnnrec train --model %s)",
                       name, name);
    if (rc) return rc;
    if (len != sizeof *meta) return err_set(e, ERR_STORE, "model '%s': unreadable meta record", name);
    memcpy(meta, p, sizeof *meta);
    if (meta->version != GNN_SAVED_VERSION)
        return err_set(e, ERR_USAGE, "model '%s' was saved by another gnnrec version (%u); retrain it",
                       name, meta->version);
    return ERR_OK;
}

int gnn_saved_embeddings(store_txn_t *t, const char *name, gnn_saved_meta_t *meta,
                         const float **emb, err_t *e)
{
    int rc = gnn_saved_meta(t, name, meta, e);
    if (rc) return rc;
    uint64_t nu, ni;
    if ((rc = store_count_nodes(t, STORE_USER, &nu, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e)))
        return rc;
    if (nu != meta->n_users || ni != meta->n_items)
        return err_set(e, ERR_USAGE,
                       "model '%s' was trained on %u users and %u items; the store now has %llu and %llu: retrain it",
                       name, meta->n_users, meta->n_items, (unsigned long long)nu, (unsigned long long)ni);
    size_t n;
    if ((rc = store_blob_get_floats(t, name, "emb", emb, &n, e))) return rc;
    if (n != ((size_t)meta->n_users + meta->n_items) * meta->dim)
        return err_set(e, ERR_STORE, "model '%s': embeddings have %zu floats, expected %zu", name, n,
                       ((size_t)meta->n_users + meta->n_items) * meta->dim);
    return ERR_OK;
}
