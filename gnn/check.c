/* check.c - `gnnrec check` end to end (check.h): store_check, then
 * gnn_saved_check for every name holding model blobs. Assumes model names
 * are at most 255 bytes (store keys hold 200). */
#include "gnn/check.h"

#include <stdlib.h>
#include <string.h>

#include "gnn/saved.h"

typedef struct names {
    char (*v)[256];
    size_t n, cap;
    int nomem;
} names_t;

static void add_name(const char *name, void *ctx)
{
    names_t *l = ctx;
    if (l->nomem) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        void *p = realloc(l->v, cap * sizeof *l->v);
        if (!p) { l->nomem = 1; return; }
        l->v = p;
        l->cap = cap;
    }
    strncpy(l->v[l->n], name, sizeof l->v[0] - 1);
    l->v[l->n++][sizeof l->v[0] - 1] = 0;
}

int gnn_check_store(store_t *s, store_check_t *c, err_t *e)
{
    store_txn_t t;
    names_t l = {0};
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    if (!(rc = store_check(&t, c, e)) && !(rc = store_blob_owners(&t, add_name, &l, e)) && l.nomem)
        rc = err_set(e, ERR_NOMEM, "out of memory listing models");
    /* the blob views of one model are not needed once it is checked, but a
     * read transaction keeps them: fine, they are the memory map's pages */
    for (size_t i = 0; !rc && i < l.n; i++) rc = gnn_saved_check(&t, l.v[i], c, e);
    store_read_end(&t);
    free(l.v);
    return rc;
}
