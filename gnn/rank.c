/* rank.c - infer's ranking jobs (scorer.h): queries resolved from external
 * ids, one job loop for every kind of query, rows to the writer; stored
 * users, similar items and friends here, new users in rank_new.c.
 *
 * Assumes one read transaction for the whole job (names and embeddings are
 * zero-copy views of its memory map). Start-up reads only what the request
 * needs: for a few users their training rows (one cursor range each) and the
 * names printed; for many, one scan of the training edges and of the names.
 */
#include "gnn/scorer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/eval.h"
#include "gnn/rank_job.h"
#include "graph/load.h"
#include "graph/typed.h"
#include "io/idlist.h"

/* ---- names: looked up on demand (a few queries) or scanned once (many) ---- */

int gnn_rank_names_init(names_t *nm, store_txn_t *t, int node, uint32_t n, int scan_all, err_t *e)
{
    nm->t = t;
    nm->node = node;
    nm->name = calloc(n ? n : 1, sizeof *nm->name);
    nm->len = calloc(n ? n : 1, sizeof *nm->len);
    if (!nm->name || !nm->len) return err_set(e, ERR_NOMEM, "out of memory");
    return scan_all ? store_id_names(t, node, n, nm->name, nm->len, e) : ERR_OK;
}

static int name_of(names_t *nm, uint32_t id, const char **s, size_t *l, err_t *e)
{
    if (!nm->name[id]) {
        size_t len;
        int rc = store_id_name(nm->t, nm->node, id, &nm->name[id], &len, e);
        if (rc) return rc;
        nm->len[id] = (uint32_t)len;
    }
    *s = nm->name[id];
    *l = nm->len[id];
    return ERR_OK;
}

void gnn_rank_names_free(names_t *n)
{
    free(n->name);
    free(n->len);
}

void gnn_rank_note(const gnn_rank_opts_t *o, const char *fmt, ...)
{
    if (!o->note) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->note(o->note_ctx, msg);
}

/* ---- external ids -> dense ids ---- */

/* Dense ids of l's names (unknown ones dropped and counted), then: fail
 * naming the first unknown ones, or note and go on (skip). known: NULL or
 * [l->n], 1 where the name was found. */
int gnn_rank_resolve(store_txn_t *t, int node, const io_idlist_t *l, int skip, const gnn_rank_opts_t *o, ids_t *out,
                     uint8_t *known, err_t *e)
{
    uint64_t unknown = 0;
    char missing[512] = "";
    out->id = malloc((l->n ? l->n : 1) * sizeof *out->id);
    out->n = 0;
    if (!out->id) return err_set(e, ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < l->n; j++) {
        size_t len;
        const char *s = io_idlist_at(l, j, &len);
        err_t ignore;
        int found = !store_id_lookup(t, node, s, len, &out->id[out->n], &ignore);
        if (known) known[j] = (uint8_t)found;
        if (found) { out->n++; continue; }
        size_t ml = strlen(missing);
        if (++unknown <= 10 && ml + len + 3 < sizeof missing)   /* the first ten that fit, for the message */
            snprintf(missing + ml, sizeof missing - ml, "%s%.*s", ml ? ", " : "", (int)len, s);
    }
    if (!unknown) return ERR_OK;
    const char *what = store_node_name(node), *more = unknown > 10 ? ", ..." : "";
    if (!skip)
        return err_set(e, ERR_NOTFOUND, "%llu unknown %s id%s: %s%s (use --skip-unknown to skip them)",
                       (unsigned long long)unknown, what, unknown > 1 ? "s" : "", missing, more);
    gnn_rank_note(o, "skipped %llu unknown %s ids: %s%s", (unsigned long long)unknown, what, missing, more);
    return ERR_OK;
}

/* The ids a spec names: all n_all, or the list/file (io/idlist.h). A bare
 * value (no '@', no '/'; SPEC: all|FILE|ID,...) is the ids it names when
 * the store has them all, so `--users 2` is user 2 even beside a file named
 * 2, and otherwise the file of that name when there is one. */
static int resolve_spec(store_txn_t *t, int node, const char *spec, uint32_t n_all, const gnn_rank_opts_t *o,
                        ids_t *out, err_t *e)
{
    const char *path;
    memset(out, 0, sizeof *out);
    const int kind = io_idspec_kind(spec, &path);
    if (kind == IO_IDS_ALL) {
        out->all = 1;
        out->n = n_all;
        if (!(out->id = malloc((n_all ? n_all : 1) * sizeof *out->id))) return err_set(e, ERR_NOMEM, "out of memory");
        for (uint32_t u = 0; u < n_all; u++) out->id[u] = u;
        return ERR_OK;
    }
    io_idlist_t l;
    io_idlist_init(&l);
    int rc = io_idlist_read_spec(&l, spec, e);
    char *at = NULL;
    if (!rc && !path) {
        /* every id known: the list (without skipping, to see) */
        err_t probe = {0};
        rc = gnn_rank_resolve(t, node, &l, 0, o, out, NULL, &probe);
        if (rc == ERR_OK) goto done;
        free(out->id);
        memset(out, 0, sizeof *out);
        FILE *f = fopen(spec, "r");
        if (f && (at = malloc(strlen(spec) + 2))) {
            fclose(f);
            at[0] = '@';
            strcpy(at + 1, spec);
            io_idlist_destroy(&l);
            io_idlist_init(&l);
            rc = io_idlist_read_spec(&l, at, e);
        } else {
            if (f) fclose(f);
            /* the list as given: without --skip-unknown the probe's lookup
             * was that resolution, its error the one to report */
            if (!o->skip_unknown) {
                if (e) *e = probe;
                goto done;
            }
            rc = ERR_OK;   /* unknown ids are skipped below */
        }
    }
    if (!rc) rc = gnn_rank_resolve(t, node, &l, o->skip_unknown, o, out, NULL, e);
done:
    free(at);
    io_idlist_destroy(&l);
    return rc;
}

/* ---- the one job loop ---- */

/* One query's results: TSV rows or one JSON line. */
static int put_results(io_writer_t *w, int fmt, const job_t *j, const char *qn, size_t ql, const uint32_t *top,
                       const float *sc, uint32_t k, const store_names_t *labels, err_t *e)
{
    const char *ln;
    size_t ll = 0;
    io_buf_t *b = &w->buf;
    const char *cn;
    size_t cl;
    int rc = ERR_OK;
    if (fmt == GNN_RANK_JSONL) {
        io_buf_str(b, "{\"");
        io_buf_str(b, j->qkey);
        io_buf_str(b, "\":");
        io_buf_json_str(b, qn, ql);
        io_buf_str(b, ",\"");
        io_buf_str(b, j->lkey);
        io_buf_str(b, "\":[");
    }
    for (uint32_t r = 0; r < k && top[r] != GNN_ITEM_NONE && !rc; r++) {
        if ((rc = name_of(j->cnames, top[r], &cn, &cl, e))) break;
        if (fmt == GNN_RANK_JSONL) {
            io_buf_str(b, r ? ",{\"" : "{\"");
            io_buf_str(b, j->ckey);
            io_buf_str(b, "\":");
            io_buf_json_str(b, cn, cl);
            io_buf_str(b, ",\"score\":");
            io_buf_g6(b, sc[r]);
            if (labels && (ln = store_names_find(labels, top[r], &ll))) {
                io_buf_str(b, ",\"name\":");
                io_buf_json_str(b, ln, ll);
            } else if (labels) {
                io_buf_str(b, ",\"name\":null");
            }
            io_buf_put(b, "}", 1);
            continue;
        }
        if ((rc = io_buf_tsv(b, qn, ql, e))) break;
        io_buf_put(b, "\t", 1);
        io_buf_u64(b, r + 1);
        io_buf_put(b, "\t", 1);
        if ((rc = io_buf_tsv(b, cn, cl, e))) break;
        io_buf_put(b, "\t", 1);
        io_buf_g6(b, sc[r]);
        if (labels) {   /* names hold no TAB or newline (io_read_item_names) */
            io_buf_put(b, "\t", 1);
            if ((ln = store_names_find(labels, top[r], &ll))) io_buf_put(b, ln, ll);
        }
        io_buf_put(b, "\n", 1);
    }
    if (!rc && fmt == GNN_RANK_JSONL) io_buf_str(b, "]}\n");
    return rc ? rc : io_writer_maybe_flush(w, e);
}

/* Blocks of queries -> scores -> seen excluded -> top-K -> rows. */
int gnn_rank_run_job(const job_t *j, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e)
{
    uint32_t kk = o->k;
    /* results bounded at 8M entries (64 MiB) whatever k is; graph filters
     * score a dense [block x items] tile per thread, so smaller blocks */
    size_t block = j->block ? j->block : j->s->score ? 1024 : 4096, min = j->s->score ? 16 : 64;
    while (block > min && block * kk > ((size_t)1 << 23)) block /= 2;
    if (block > j->n_q) block = j->n_q ? j->n_q : 1;   /* a few queries with a large k: no more than they need */
    uint32_t *top = malloc(block * kk * sizeof *top), *exr = malloc(block * sizeof *exr);
    float *sc = malloc(block * kk * sizeof *sc);
    const uint32_t dim = j->s->dim;
    /* the index takes its queries as one [block x dim] table */
    float *qb = j->ivf ? malloc(block * dim * sizeof *qb) : NULL;
    int rc = ERR_OK, threads = o->threads;
    if (!top || !sc || !exr || (j->ivf && !qb)) rc = err_set(e, ERR_NOMEM, "out of memory");
    store_names_t labels = {0};   /* --names, when the candidates are items */
    int named = o->names && j->cnames && j->cnames->node == STORE_ITEM;
    if (!rc && named) rc = store_names_load(j->cnames->t, &labels, e);
    /* a small embedding job (a few users) runs on one thread: waking a
     * second costs more than its share of ~10 ms of work, and on a busy
     * machine waiting for it to be scheduled dominated the time to first line */
    if (!j->s->score && (uint64_t)j->n_q * j->s->n_items < ((uint64_t)1 << 24)) threads = 1;
    for (size_t b = 0; b < j->n_q && !rc; b += block) {
        uint32_t nb = (uint32_t)(j->n_q - b < block ? j->n_q - b : block);
        for (uint32_t r = 0; r < nb; r++) exr[r] = j->ex_rows ? j->ex_rows[b + r] : (uint32_t)(b + r);
        if (j->ivf) {
            for (uint32_t r = 0; r < nb; r++)
                memcpy(qb + (size_t)r * dim, j->s->user_emb + (size_t)j->rows[b + r] * dim, dim * sizeof *qb);
            rc = gnn_ivf_topk(j->ivf, qb, nb, j->ex, j->ex ? exr : NULL, kk, j->nprobe, threads, top, sc, e);
        } else {
            rc = gnn_topk_scorer(j->s, j->hist, j->rows + b, nb, j->ex, j->ex ? exr : NULL, kk, threads, top, sc, e);
        }
        if (rc) break;
        for (uint32_t r = 0; r < nb && !rc && o->sink; r++)
            rc = o->sink(o->sink_ctx, b + r, top + (size_t)r * kk, sc + (size_t)r * kk, kk, e);
        for (uint32_t r = 0; r < nb && !rc && !o->sink; r++) {
            const char *qn;
            size_t ql;
            if (j->qnames) rc = name_of(j->qnames, j->rows[b + r], &qn, &ql, e);
            else qn = io_idlist_at(j->qstr, b + r, &ql);
            int fb = j->fallback && j->fallback[b + r];
            if (!rc)
                rc = put_results(w, o->format, j, qn, ql, fb ? j->fb_top : top + (size_t)r * kk,
                                 fb ? j->fb_sc : sc + (size_t)r * kk, kk, named ? &labels : NULL, e);
        }
    }
    store_names_destroy(&labels);
    free(top); free(sc); free(exr); free(qb);
    return rc;
}

/* ---- the model ---- */

typedef struct model_names {
    char list[512];
    char first[256];
    int n;
} model_names_t;

static void add_name(const char *name, void *ctx)
{
    model_names_t *ns = ctx;
    if (ns->n++ == 0) snprintf(ns->first, sizeof ns->first, "%s", name);
    size_t l = strlen(ns->list);
    if (l + strlen(name) + 3 < sizeof ns->list) snprintf(ns->list + l, sizeof ns->list - l, "%s%s", l ? ", " : "", name);
}

int gnn_ranker_pick_model(store_txn_t *t, const char *given, char *out, size_t n, err_t *e)
{
    model_names_t ns;
    memset(&ns, 0, sizeof ns);
    int rc = store_model_list(t, add_name, &ns, e);
    if (rc) return rc;
    if (given) {
        gnn_saved_meta_t meta;
        rc = gnn_saved_meta(t, given, &meta, e);
        if (rc == ERR_NOTFOUND)
            return err_set(e, ERR_NOTFOUND, "no model named '%s' in this store (models: %s)", given,
                           ns.n ? ns.list : "none; train one with gnnrec train");
        if (rc) return rc;
        snprintf(out, n, "%s", given);
        return ERR_OK;
    }
    if (ns.n == 0) return err_set(e, ERR_NOTFOUND, "no trained model in this store (train one with gnnrec train)");
    if (ns.n > 1) return err_set(e, ERR_USAGE, "the store has several models (%s): choose one with --model", ns.list);
    snprintf(out, n, "%s", ns.first);
    return ERR_OK;
}

int gnn_ranker_open(gnn_ranker_t *r, store_txn_t *t, const char *model, err_t *e)
{
    memset(r, 0, sizeof *r);
    r->t = t;
    r->model = model;
    int rc = gnn_saved_meta(t, model, &r->meta, e);
    if (rc) return rc;
    if (!(r->arch = gnn_arch_find(r->meta.arch)))
        return err_set(e, ERR_USAGE, "model '%s' has architecture '%s', which this gnnrec does not know", model,
                       r->meta.arch);
    if (r->arch->kind == GNN_KIND_FILTER) return ERR_OK;
    if ((rc = gnn_saved_embeddings(t, model, &r->meta, &r->emb, e))) return rc;
    rc = gnn_saved_head(t, model, &r->meta, &r->head, &r->head_w, e);
    return rc == ERR_NOTFOUND ? ERR_OK : rc;
}

/* ---- stored users ---- */

static int rank_users(const gnn_ranker_t *r, ids_t q, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e);

int gnn_rank_users(const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e)
{
    ids_t q = {0};
    int rc = resolve_spec(r->t, STORE_USER, spec, r->meta.n_users, o, &q, e);
    if (!rc) rc = rank_users(r, q, o, w, e);
    free(q.id);
    return rc;
}

_Static_assert(GNN_SHARD_ALIGN % GNN_TOPK_TILE_USERS == 0, "a share must start where a tile does");

int gnn_rank_users_share(const gnn_ranker_t *r, const char *spec, uint32_t share, uint32_t shares,
                         const gnn_rank_opts_t *o, io_writer_t *w, err_t *e)
{
    if (shares == 0 || share >= shares) return err_set(e, ERR_INTERNAL, "share %u of %u", share, shares);
    ids_t q = {0};
    int rc = resolve_spec(r->t, STORE_USER, spec, r->meta.n_users, o, &q, e);
    if (!rc) {
        /* contiguous, in the order given, in whole pieces of GNN_SHARD_ALIGN
         * users (the last one shorter): a share's SGEMM tiles are then the
         * whole run's, so the scores are the same bits */
        size_t units = (q.n + GNN_SHARD_ALIGN - 1) / GNN_SHARD_ALIGN, per = units / shares, extra = units % shares;
        size_t lo = (share * per + (share < extra ? share : extra)) * GNN_SHARD_ALIGN;
        size_t hi = lo + (per + (share < extra)) * GNN_SHARD_ALIGN;
        if (lo > q.n) lo = q.n;
        if (hi > q.n) hi = q.n;
        size_t n = hi - lo;
        ids_t mine = {.id = q.id + lo, .n = n, .all = q.all && shares == 1};
        rc = rank_users(r, mine, o, w, e);
    }
    free(q.id);
    return rc;
}

int gnn_rank_user_ids(const gnn_ranker_t *r, const uint32_t *ids, size_t n, const gnn_rank_opts_t *o,
                      io_writer_t *w, err_t *e)
{
    for (size_t j = 0; j < n; j++)
        if (ids[j] >= r->meta.n_users)
            return err_set(e, ERR_USAGE, "user %u out of range (%u users)", ids[j], r->meta.n_users);
    ids_t q = {.id = (uint32_t *)ids, .n = n};
    return rank_users(r, q, o, w, e);
}

/* q: resolved queries (borrowed). */
static int rank_users(const gnn_ranker_t *r, ids_t q, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e)
{
    graph_csr_t ex = {0};
    graph_interactions_t g = {0};
    gnn_scorer_t s = {0};
    names_t un = {0}, in = {0};
    uint32_t nu = r->meta.n_users, ni = r->meta.n_items, dim = r->meta.dim;
    /* a filter or an mlp head: a callback scorer (the training rows are its
     * history and what is seen) */
    int filter = r->arch->kind == GNN_KIND_FILTER || r->head_w, rc = ERR_OK, have_g = 0;
    if (filter) {   /* scored from the training rows, which are also what is seen */
        if ((rc = graph_load_interactions(r->t, &g, e))) goto out;
        have_g = 1;
        if ((rc = gnn_scorer_open(r->t, r->model, &g, &s, e))) goto out;
    } else {
        gnn_scorer_emb(&s, r->meta.arch, r->emb, nu, r->emb + (size_t)nu * dim, ni, dim);
        /* many users: one scan of edges:train; a few: one cursor range each */
        if (!o->include_seen && (q.all || q.n > nu / 8)) rc = graph_load_csr(r->t, STORE_TRAIN, nu, ni, &ex, e);
        else if (!o->include_seen) rc = graph_load_rows(r->t, STORE_TRAIN, q.id, q.n, ni, &ex, e);
        if (rc) goto out;
    }
    /* names: scan the table when most of it will be printed */
    if ((rc = gnn_rank_names_init(&un, r->t, STORE_USER, nu, q.all || q.n > nu / 4, e)) ||
        (rc = gnn_rank_names_init(&in, r->t, STORE_ITEM, ni, (uint64_t)q.n * o->k > ni / 4, e)))
        goto out;
    const graph_csr_t *seen = o->include_seen ? NULL : filter ? &g.train : &ex;
    int by_id = filter || q.all || q.n > nu / 8;   /* seen rows indexed by user id, else by position */
    job_t j = {.s = &s, .hist = filter ? &g.train : NULL, .rows = q.id, .n_q = q.n, .ex = seen,
               .ex_rows = by_id ? q.id : NULL, .qnames = &un, .cnames = &in,
               .qkey = "user", .ckey = "item", .lkey = "items"};
    gnn_ivf_t ix = {0};
    if (o->use_index) {
        if (filter) {
            rc = err_set(e, ERR_USAGE, "model '%s' (%s) is %s: --index needs an embedding model ranked by dot "
                         "products", r->model, r->meta.arch, r->head_w ? "scored by an mlp head" : "a graph filter");
            goto out;
        }
        if ((rc = gnn_saved_ivf_get(r->t, r->model, &r->meta, &ix, e))) goto out;
        j.ivf = &ix;
        j.nprobe = o->nprobe ? o->nprobe : GNN_RANK_NPROBE;
    }
    rc = gnn_rank_run_job(&j, o, w, e);
out:
    graph_csr_destroy(&ex);
    gnn_rank_names_free(&un);
    gnn_rank_names_free(&in);
    gnn_scorer_destroy(&s);
    if (have_g) graph_interactions_destroy(&g);
    return rc;
}

/* ---- similar items and friends: cosine of unit-length embeddings ---- */

/* Rows scaled to unit length (zero rows stay zero): cosine = dot of these. */
static float *normalized(const float *x, size_t n, uint32_t dim)
{
    float *y = malloc((n ? n : 1) * dim * sizeof *y);
    if (!y) return NULL;
    for (size_t r = 0; r < n; r++) {
        const float *a = x + r * dim;
        double s = 0;
        for (uint32_t d = 0; d < dim; d++) s += (double)a[d] * a[d];
        float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
        for (uint32_t d = 0; d < dim; d++) y[r * dim + d] = a[d] * inv;
    }
    return y;
}

/* The queries (ids of `node`, or all) and the unit-length embeddings [n x dim]. */
static int similarity_queries(const gnn_ranker_t *r, int node, const float *emb, uint32_t n, const char *spec,
                              const gnn_rank_opts_t *o, ids_t *q, float **norm, err_t *e)
{
    const char *what = store_node_name(node);
    if (r->arch->kind == GNN_KIND_FILTER)
        return err_set(e, ERR_USAGE, "model '%s' (%s) has no embeddings: --%s is not defined for it; "
                       "top-K for stored or new users is", r->model, r->meta.arch,
                       node == STORE_ITEM ? "similar-items" : "friends");
    if (r->arch->kind == GNN_KIND_COUNT)
        return err_set(e, ERR_USAGE, "model '%s' is the popularity ranking: it has no %s embeddings to compare",
                       r->model, what);
    int rc = spec ? resolve_spec(r->t, node, spec, n, o, q, e) : ERR_OK;   /* spec NULL: q given */
    if (rc) return rc;
    if (!(*norm = normalized(emb, n, r->meta.dim))) return err_set(e, ERR_NOMEM, "out of memory");
    return ERR_OK;
}

static int similar_items(const gnn_ranker_t *r, const char *spec, ids_t q, const gnn_rank_opts_t *o,
                         io_writer_t *w, err_t *e);

int gnn_rank_similar_items(const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, io_writer_t *w,
                           err_t *e)
{
    return similar_items(r, spec, (ids_t){0}, o, w, e);
}

int gnn_rank_similar_item_ids(const gnn_ranker_t *r, const uint32_t *ids, size_t n, const gnn_rank_opts_t *o,
                              io_writer_t *w, err_t *e)
{
    for (size_t j = 0; j < n; j++)
        if (ids[j] >= r->meta.n_items)
            return err_set(e, ERR_USAGE, "item %u out of range (%u items)", ids[j], r->meta.n_items);
    uint32_t *copy = malloc((n ? n : 1) * sizeof *copy);   /* similar_items frees its queries */
    if (!copy) return err_set(e, ERR_NOMEM, "out of memory");
    memcpy(copy, ids, n * sizeof *copy);
    return similar_items(r, NULL, (ids_t){.id = copy, .n = n}, o, w, e);
}

/* spec, or (spec NULL) the queries q, whose id array this frees. */
static int similar_items(const gnn_ranker_t *r, const char *spec, ids_t q, const gnn_rank_opts_t *o,
                         io_writer_t *w, err_t *e)
{
    graph_csr_t ex = {0};
    names_t in = {0};
    float *norm = NULL;
    uint32_t nu = r->meta.n_users, ni = r->meta.n_items, dim = r->meta.dim;
    int rc;
    if ((rc = similarity_queries(r, STORE_ITEM, r->emb + (size_t)nu * dim, ni, spec, o, &q, &norm, e))) goto out;
    /* the item itself is the one exclusion */
    if ((rc = graph_csr_init(&ex, (uint32_t)q.n, ni, q.n, 0, e))) goto out;
    for (size_t j = 0; j < q.n; j++) ex.col[j] = q.id[j], ex.ptr[j + 1] = j + 1;
    if ((rc = gnn_rank_names_init(&in, r->t, STORE_ITEM, ni, q.all || (uint64_t)q.n * (o->k + 1) > ni / 4, e))) goto out;
    gnn_scorer_t s;
    gnn_scorer_emb(&s, r->meta.arch, norm, ni, norm, ni, dim);
    job_t j = {.s = &s, .rows = q.id, .n_q = q.n, .ex = &ex, .qnames = &in, .cnames = &in,
               .qkey = "item", .ckey = "item", .lkey = "items"};
    rc = gnn_rank_run_job(&j, o, w, e);
out:
    free(q.id);
    free(norm);
    graph_csr_destroy(&ex);
    gnn_rank_names_free(&in);
    return rc;
}

int gnn_rank_friends(const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e)
{
    ids_t q = {0};
    graph_csr_t ex = {0};
    names_t un = {0};
    float *norm = NULL;
    store_edge_list_t el = {0};
    uint32_t nu = r->meta.n_users, dim = r->meta.dim;
    int rc;
    if ((rc = similarity_queries(r, STORE_USER, r->emb, nu, spec, o, &q, &norm, e))) goto out;
    /* exclusion: self and existing ties, both directions (a tie is stored once) */
    if ((rc = graph_load_edges(r->t, STORE_SOCIAL, nu, nu, &el, e))) goto out;
    if ((rc = graph_social_sym(&ex, nu, el.a, el.b, el.n, 1, e))) goto out;
    if ((rc = gnn_rank_names_init(&un, r->t, STORE_USER, nu, q.all || (uint64_t)q.n * (o->k + 1) > nu / 4, e))) goto out;
    gnn_scorer_t s;
    gnn_scorer_emb(&s, r->meta.arch, norm, nu, norm, nu, dim);
    job_t j = {.s = &s, .rows = q.id, .n_q = q.n, .ex = &ex, .ex_rows = q.id, .qnames = &un, .cnames = &un,
               .qkey = "user", .ckey = "user", .lkey = "users"};
    rc = gnn_rank_run_job(&j, o, w, e);
out:
    free(q.id); free(norm);
    store_edge_list_destroy(&el);
    graph_csr_destroy(&ex);
    gnn_rank_names_free(&un);
    return rc;
}

