/* scorer.c - saved models as scorers (scorer.h): embeddings (dot
 * products), an MLP head (gnn/head.h), gf-cf/bspm; the gf-cf/bspm writer
 * is gnn_gfcf_save in gnn/saved.c. */
#include "gnn/scorer.h"

#include <math.h>
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

/* ease's B [I x I] from its chunks of rows (gnn_ease_chunk_key), each
 * checked to hold its rows; ch [8] (46,340 items, LAPACK's limit, make 5) */
static int ease_chunks(store_txn_t *t, const char *model, const gnn_gfcf_params_t *p, const gnn_saved_meta_t *meta,
                       const float **ch, err_t *e)
{
    const uint32_t ni = p->n_items, nc = gnn_ease_chunks(ni);
    if (meta->dim != ni || nc > 8)
        return err_set(e, ERR_USAGE, "model '%s': an ease matrix of %u columns for %u items; retrain it", model,
                       meta->dim, ni);
    char key[24];
    for (uint32_t c = 0; c < nc; c++) {
        size_t nv;
        const size_t len = gnn_ease_chunk_len(ni, c);
        int rc = gnn_saved_floats(t, model, gnn_ease_chunk_key(c, key), &ch[c], &nv, e);
        if (rc) return rc;
        if (nv != len * ni)
            return err_set(e, ERR_USAGE, "model '%s': %s of %zu floats, expected %zu x %u; retrain it", model, key,
                           nv, len, ni);
    }
    return ERR_OK;
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
    const float *v, *ch[8];
    size_t nv;
    if (p.variant == GNN_GFCF_EASE) {
        if ((rc = ease_chunks(t, model, &p, meta, ch, e))) return rc;
        v = ch[0];
    } else {
        if ((rc = gnn_saved_floats(t, model, GNN_SAVED_KEY_GFCF_V, &v, &nv, e))) return rc;
        if (nv != (size_t)p.n_items * meta->dim)
            return err_set(e, ERR_USAGE, "model '%s': singular vectors of %zu floats, expected %u x %u; retrain it",
                           model, nv, p.n_items, meta->dim);
    }
    gnn_gfcf_t *m = malloc(sizeof *m);
    if (!m) return err_set(e, ERR_NOMEM, "out of memory");
    if ((rc = gnn_gfcf_init(m, &g->train, &p, e))) {
        free(m);
        return rc;
    }
    gnn_gfcf_set_v(m, v, meta->dim);
    const float *idx = NULL;   /* u32 words: the aligned view of the blob */
    size_t ni = 0;
    if ((p.variant == GNN_GFCF_ITEMKNN &&
         ((rc = gnn_saved_floats(t, model, GNN_SAVED_KEY_KNN_IDX, &idx, &ni, e)) ||
         (ni != (size_t)p.n_items * meta->dim &&
          (rc = err_set(e, ERR_USAGE, "model '%s': neighbour table of %zu bytes; retrain it", model, ni))) ||
         (rc = gnn_itemknn_set(m, v, (const void *)idx, meta->dim, e)))) ||
        (p.variant == GNN_GFCF_EASE && (rc = gnn_ease_set(m, ch, e)))) {
        gnn_gfcf_destroy(m);
        free(m);
        return rc;
    }
    gnn_gfcf_scorer(m, out);
    out->destroy = gfcf_destroy;
    return ERR_OK;
}

/* ---- the MLP head: one user against every item per call ---- */

typedef struct head_ctx {
    gnn_head_t h;
    const float *w;          /* [h.n_params], borrowed */
    float *B;                /* [n_items x w_1]: the item half of layer 1 (gnn_head_item_part) */
} head_ctx_t;

static void head_destroy(gnn_scorer_t *s)
{
    head_ctx_t *c = s->ctx;
    free(c->B);
    free(c);
}

static int head_score(const gnn_scorer_t *s, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                      err_t *e)
{
    const head_ctx_t *c = s->ctx;
    const uint32_t ni = s->n_items, d = s->dim;
    (void)hist;
    float *scratch = malloc(((size_t)2 * ni * c->h.max_width + 1) * sizeof *scratch);
    if (!scratch) return err_set(e, ERR_NOMEM, "out of memory for the mlp head's %u x %u activations", ni,
                                 c->h.max_width);
    for (uint32_t j = 0; j < n; j++) {
        const uint32_t u = rows ? rows[j] : j;
        float *o = out + (size_t)j * ni;
        if (u >= s->n_users) {   /* a user appended since the model was trained: nothing to rank by */
            for (uint32_t i = 0; i < ni; i++) o[i] = 0.0f;
            continue;
        }
        const float *eu = s->user_emb + (size_t)u * d;
        gnn_head_score_items(&c->h, c->w, eu, c->B, ni, scratch, o);
        for (uint32_t i = 0; d > c->h.in && i < ni; i++) {   /* the columns after the head's: biases */
            const float *ei = s->item_emb + (size_t)i * d;
            for (uint32_t k = c->h.in; k < d; k++) o[i] += eu[k] * ei[k];
        }
    }
    free(scratch);
    return ERR_OK;
}

int gnn_scorer_head(gnn_scorer_t *s, const char *arch, const float *user_emb, uint32_t n_users, const float *item_emb,
                    uint32_t n_items, uint32_t dim, const gnn_head_t *h, const float *w, err_t *e)
{
    gnn_scorer_emb(s, arch, user_emb, n_users, item_emb, n_items, dim);
    head_ctx_t *c = calloc(1, sizeof *c);
    if (c) c->B = malloc(((size_t)n_items * h->width[0] + 1) * sizeof *c->B);
    if (!c || !c->B) {
        free(c);
        return err_set(e, ERR_NOMEM, "out of memory for the mlp head's %u x %u item table", n_items, h->width[0]);
    }
    c->h = *h;
    c->w = w;
    gnn_head_item_part(h, w, item_emb, dim, n_items, c->B);
    s->ctx = c;
    s->score = head_score;
    s->destroy = head_destroy;
    s->block = 16;   /* queries per call: the tile is [16 x n_items] */
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
    gnn_head_t h;
    const float *w;
    if (!(rc = gnn_saved_head(t, model, &meta, &h, &w, e)))
        return gnn_scorer_head(out, meta.arch, emb, meta.n_users, emb + (size_t)meta.n_users * meta.dim,
                               meta.n_items, meta.dim, &h, w, e);
    if (rc != ERR_NOTFOUND) return rc;
    gnn_scorer_emb(out, meta.arch, emb, meta.n_users, emb + (size_t)meta.n_users * meta.dim, meta.n_items,
                   meta.dim);
    return ERR_OK;
}
