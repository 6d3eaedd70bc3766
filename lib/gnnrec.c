/* gnnrec.c - the public API (gnnrec.h) over the library layers: a store
 * handle is a store_t, a model handle a read transaction with a
 * gnn_ranker_t on it. Rankings go through gnn_rank_user_ids /
 * gnn_rank_similar_item_ids (gnn/scorer.h), the code `gnnrec infer` runs,
 * with a sink that keeps the dense ids and scores instead of printing.
 *
 * Assumes one thread at a time per handle (documented in gnnrec.h). Item
 * names are copied out of LMDB's map once each (they are not
 * NUL-terminated there) and kept until the model is closed.
 */
#include "lib/gnnrec.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "gnn/eval.h"
#include "gnn/scorer.h"
#include "store/store.h"

_Static_assert((int)GNNREC_EUSAGE == (int)ERR_USAGE && (int)GNNREC_EINPUT == (int)ERR_INPUT &&
                   (int)GNNREC_ENOTFOUND == (int)ERR_NOTFOUND && (int)GNNREC_EIO == (int)ERR_IO &&
                   (int)GNNREC_ENOMEM == (int)ERR_NOMEM && (int)GNNREC_ESTORE == (int)ERR_STORE &&
                   (int)GNNREC_EINTERNAL == (int)ERR_INTERNAL,
               "gnnrec.h's codes are base/err.h's");

struct gnnrec_store {
    store_t s;
    int opened;
    err_t e;
};

struct gnnrec_model {
    gnnrec_store_t *store;
    store_txn_t t;
    gnn_ranker_t r;
    char name[256];
    char **item_name;     /* [n_items], NULL until asked for */
    err_t e;
};

/* The code, with e's message kept (or the code's name when e has none). */
static int fail(err_t *e, int rc)
{
    if (rc && !e->msg[0]) err_set(e, rc, "%s", err_strerror(rc));
    return rc;
}

const char *gnnrec_strerror(int code) { return err_strerror(code); }
const char *gnnrec_store_errmsg(const gnnrec_store_t *store) { return store ? store->e.msg : ""; }
const char *gnnrec_model_errmsg(const gnnrec_model_t *model) { return model ? model->e.msg : ""; }

int gnnrec_store_open(const char *path, gnnrec_store_t **store)
{
    gnnrec_store_t *h = calloc(1, sizeof *h);
    *store = h;
    if (!h) return GNNREC_ENOMEM;
    if (!path) return fail(&h->e, err_set(&h->e, ERR_USAGE, "no store path given"));
    int rc = store_open(&h->s, path, STORE_RDONLY, &h->e);
    h->opened = rc == ERR_OK;
    return fail(&h->e, rc);
}

void gnnrec_store_close(gnnrec_store_t *store)
{
    if (!store) return;
    if (store->opened) store_close(&store->s);
    free(store);
}

static int need_store(gnnrec_store_t *store)
{
    if (!store) return GNNREC_EUSAGE;
    store->e = (err_t){0};
    if (!store->opened) return fail(&store->e, err_set(&store->e, ERR_USAGE, "the store is not open"));
    return ERR_OK;
}

/* ---- models ---- */

typedef struct name_list {
    char **name;
    size_t n, cap;
    int nomem;
} name_list_t;

static void add_name(const char *name, void *ctx)
{
    name_list_t *l = ctx;
    if (l->nomem) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **p = realloc(l->name, cap * sizeof *p);
        if (!p) { l->nomem = 1; return; }
        l->name = p, l->cap = cap;
    }
    if (!(l->name[l->n] = strdup(name))) { l->nomem = 1; return; }
    l->n++;
}

int gnnrec_models_list(gnnrec_store_t *store, int (*fn)(const char *name, void *ctx), void *ctx)
{
    int rc = need_store(store);
    if (rc) return rc;
    if (!fn) return fail(&store->e, err_set(&store->e, ERR_USAGE, "no callback given"));
    store_txn_t t = {0};
    name_list_t l = {0};
    /* names collected first: fn runs outside the read transaction and may stop the walk */
    if (!(rc = store_read_begin(&store->s, &t, &store->e))) {
        rc = store_model_list(&t, add_name, &l, &store->e);
        store_read_end(&t);
    }
    if (!rc && l.nomem) rc = err_set(&store->e, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < l.n && !rc; i++) rc = fn(l.name[i], ctx);
    for (size_t i = 0; i < l.n; i++) free(l.name[i]);
    free(l.name);
    return fail(&store->e, rc);
}

int gnnrec_model_open(gnnrec_store_t *store, const char *name, gnnrec_model_t **model)
{
    *model = NULL;
    int rc = need_store(store);
    if (rc) return rc;
    gnnrec_model_t *m = calloc(1, sizeof *m);
    if (!m) return fail(&store->e, err_set(&store->e, ERR_NOMEM, "out of memory"));
    m->store = store;
    if ((rc = store_read_begin(&store->s, &m->t, &store->e)) ||
        (rc = gnn_ranker_pick_model(&m->t, name, m->name, sizeof m->name, &store->e)) ||
        (rc = gnn_ranker_open(&m->r, &m->t, m->name, &store->e)))
        goto fail;
    if (!(m->item_name = calloc(m->r.meta.n_items ? m->r.meta.n_items : 1, sizeof *m->item_name))) {
        rc = err_set(&store->e, ERR_NOMEM, "out of memory");
        goto fail;
    }
    *model = m;
    return ERR_OK;
fail:
    gnnrec_model_close(m);
    return fail(&store->e, rc);
}

void gnnrec_model_close(gnnrec_model_t *model)
{
    if (!model) return;
    if (model->t.txn) store_read_end(&model->t);
    if (model->item_name)
        for (uint32_t i = 0; i < model->r.meta.n_items; i++) free(model->item_name[i]);
    free(model->item_name);
    free(model);
}

int gnnrec_model_info(const gnnrec_model_t *model, const char **arch, size_t *n_users, size_t *n_items)
{
    if (!model) return GNNREC_EUSAGE;
    if (arch) *arch = model->r.meta.arch;
    if (n_users) *n_users = model->r.meta.n_users;
    if (n_items) *n_items = model->r.meta.n_items;
    return ERR_OK;
}

/* ---- rankings ---- */

/* The dense id of `what` (a user or an item id) that the model knows. */
static int dense_id(gnnrec_model_t *m, int node, const char *what, uint32_t *id)
{
    const char *kind = store_node_name(node);
    if (!what) return err_set(&m->e, ERR_USAGE, "no %s id given", kind);
    err_t probe = {0};
    int rc = store_id_lookup(&m->t, node, what, strlen(what), id, &probe);
    uint32_t n = node == STORE_USER ? m->r.meta.n_users : m->r.meta.n_items;
    if (rc == ERR_NOTFOUND || (!rc && *id >= n))   /* appended after the model was opened: unknown to it */
        return err_set(&m->e, ERR_NOTFOUND, "unknown %s id: %s", kind, what);
    if (rc) m->e = probe;
    return rc;
}

static int item_name(gnnrec_model_t *m, uint32_t id, const char **out)
{
    if (!m->item_name[id]) {
        const char *s;
        size_t len;
        int rc = store_id_name(&m->t, STORE_ITEM, id, &s, &len, &m->e);
        if (rc) return rc;
        if (!(m->item_name[id] = malloc(len + 1))) return err_set(&m->e, ERR_NOMEM, "out of memory");
        memcpy(m->item_name[id], s, len);
        m->item_name[id][len] = 0;
    }
    *out = m->item_name[id];
    return ERR_OK;
}

/* What the sink keeps of the one query of a job. */
typedef struct result {
    uint32_t *items;   /* [k] */
    float *scores;     /* [k] */
    uint32_t n;
} result_t;

static int keep(void *ctx, size_t query, const uint32_t *items, const float *scores, uint32_t k, err_t *e)
{
    (void)query, (void)e;
    result_t *r = ctx;
    for (r->n = 0; r->n < k && items[r->n] != GNN_ITEM_NONE; r->n++) {
        r->items[r->n] = items[r->n];
        r->scores[r->n] = scores[r->n];
    }
    return ERR_OK;
}

enum { RANK_USER, RANK_SIMILAR };

/* The top k of one query through infer's job (gnn/scorer.h); res->items
 * and res->scores are malloc'd [k]. */
static int rank_one(gnnrec_model_t *m, int mode, uint32_t id, uint32_t k, int include_seen, result_t *res)
{
    res->items = malloc((size_t)k * sizeof *res->items);
    res->scores = malloc((size_t)k * sizeof *res->scores);
    res->n = 0;
    if (!res->items || !res->scores) return err_set(&m->e, ERR_NOMEM, "out of memory");
    gnn_rank_opts_t o = {.k = k, .include_seen = include_seen, .sink = keep, .sink_ctx = res};
    return mode == RANK_USER ? gnn_rank_user_ids(&m->r, &id, 1, &o, NULL, &m->e)
                             : gnn_rank_similar_item_ids(&m->r, &id, 1, &o, NULL, &m->e);
}

static int topk(gnnrec_model_t *m, int mode, const char *q, size_t k, const char **items, float *scores,
                size_t *n)
{
    if (!m) return GNNREC_EUSAGE;
    m->e = (err_t){0};
    *n = 0;
    if (k == 0) return fail(&m->e, err_set(&m->e, ERR_USAGE, "k must be at least 1"));
    if (!items || !scores) return fail(&m->e, err_set(&m->e, ERR_USAGE, "no output arrays given"));
    uint32_t id, ni = m->r.meta.n_items, kk = k < ni ? (uint32_t)k : ni ? ni : 1;
    result_t res = {0};
    int rc = dense_id(m, mode == RANK_USER ? STORE_USER : STORE_ITEM, q, &id);
    if (!rc) rc = rank_one(m, mode, id, kk, 0, &res);
    for (uint32_t r = 0; r < res.n && !rc; r++) {
        rc = item_name(m, res.items[r], &items[r]);
        scores[r] = res.scores[r];
    }
    if (!rc) *n = res.n;
    free(res.items);
    free(res.scores);
    return fail(&m->e, rc);
}

int gnnrec_topk(gnnrec_model_t *model, const char *user, size_t k, const char **items, float *scores, size_t *n)
{
    return topk(model, RANK_USER, user, k, items, scores, n);
}

int gnnrec_similar_items(gnnrec_model_t *model, const char *item, size_t k, const char **items, float *scores,
                         size_t *n)
{
    return topk(model, RANK_SIMILAR, item, k, items, scores, n);
}

int gnnrec_score_candidates(gnnrec_model_t *model, const char *user, const char *const *items, size_t n,
                            float *scores)
{
    if (!model) return GNNREC_EUSAGE;
    gnnrec_model_t *m = model;
    m->e = (err_t){0};
    if (n && (!items || !scores)) return fail(&m->e, err_set(&m->e, ERR_USAGE, "no candidate or score array given"));
    uint32_t u, ni = m->r.meta.n_items;
    uint32_t *cand = malloc((n ? n : 1) * sizeof *cand);
    float *all = malloc((ni ? ni : 1) * sizeof *all);
    result_t res = {0};
    int rc = !cand || !all ? err_set(&m->e, ERR_NOMEM, "out of memory") : dense_id(m, STORE_USER, user, &u);
    for (size_t i = 0; i < n && !rc; i++) rc = dense_id(m, STORE_ITEM, items[i], &cand[i]);
    /* the whole catalogue ranked with nothing excluded: every item gets the
     * score the top-K path gives it */
    if (!rc && n && ni) rc = rank_one(m, RANK_USER, u, ni, 1, &res);
    for (uint32_t r = 0; r < res.n && !rc; r++) all[res.items[r]] = res.scores[r];
    if (!rc && n && res.n != ni) rc = err_set(&m->e, ERR_INTERNAL, "%u of %u items scored", res.n, ni);
    for (size_t i = 0; i < n && !rc; i++) scores[i] = all[cand[i]];
    free(cand);
    free(all);
    free(res.items);
    free(res.scores);
    return fail(&m->e, rc);
}
