/* cmd_infer.c - `gnnrec infer`: top-K items for users from a saved model,
 * top-K for new users folded in from their items, similar items, and people
 * a user may know (docs/infer.md).
 *
 * The embedding tables are read zero-copy from the store's memory map; the
 * queries are scored in blocks by score_topk(), which is the same gnn_topk()
 * `eval` uses (SGEMM tiles + a per-row top-K, multi-threaded), so both rank
 * identically. Start-up reads only what the request needs: for a few users,
 * their training rows (one cursor range each) and the names of the items
 * printed; for everyone, one cursor scan of the training edges and of the
 * names. Output speaks the external ids, users in the order asked.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gnn/eval.h"
#include "gnn/foldin.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "graph/load.h"
#include "io/lines.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec infer --store DIR [--model NAME] [--users all|FILE|ID,ID,...] [--k 20]\n"
    "                    [--format tsv|jsonl] [--include-seen] [--skip-unknown] [--threads N]\n"
    "                    [--new-user-items FILE | --similar-items all|FILE|ID,... | --friends]\n"
    "\n"
    "Top-K items for each user, scored by the saved model's embeddings (dot product).\n"
    "  --users U        all (default), a file with one user id per line (first column),\n"
    "                   or a comma-separated list of ids\n"
    "  --k N            results per query (20)\n"
    "  --format F       tsv (default): user<TAB>rank<TAB>item<TAB>score rows;\n"
    "                   jsonl: {\"user\":..,\"items\":[{\"item\":..,\"score\":..},..]} per user\n"
    "  --include-seen   keep the user's training items (excluded by default)\n"
    "  --skip-unknown   warn about and skip unknown ids instead of failing\n"
    "  --threads N      threads (0 = all cores)\n"
    "Other modes (one at a time):\n"
    "  --new-user-items FILE  lines `new_user item item ...`: users not in training, folded\n"
    "                   in from their items by the model's propagation rule (lightgcn, mf,\n"
    "                   pop); their items are excluded; a user with no known item gets the\n"
    "                   popularity ranking\n"
    "  --similar-items I  nearest items by cosine of the final embeddings (not the item\n"
    "                   itself): item<TAB>rank<TAB>item<TAB>score; jsonl {\"item\":..,\"items\":[..]}\n"
    "  --friends        people each --users user may know: cosine of the user embeddings,\n"
    "                   without the user and its social ties: user<TAB>rank<TAB>user<TAB>score;\n"
    "                   jsonl {\"user\":..,\"users\":[{\"user\":..,\"score\":..},..]}\n";

static const cli_flag_t flags[] = {"include_seen", "skip_unknown", "friends", "help", NULL};
static const char *const known[] = {"store", "model", "users", "k", "format", "include_seen", "skip_unknown",
                                    "threads", "new_user_items", "similar_items", "friends", "help", NULL};

/* ---- names: looked up on demand (a few queries) or scanned once (many) ---- */

typedef struct names {
    store_txn_t *t;
    int node;
    uint32_t n;
    const char **name;   /* [n], NULL until looked up */
    uint32_t *len;       /* [n] */
} names_t;

static int names_init(names_t *nm, store_txn_t *t, int node, uint32_t n, int scan_all, err_t *e)
{
    nm->t = t;
    nm->node = node;
    nm->n = n;
    nm->name = calloc(n ? n : 1, sizeof *nm->name);
    nm->len = calloc(n ? n : 1, sizeof *nm->len);
    if (!nm->name || !nm->len) return err_set(e, ERR_NOMEM, "out of memory");
    return scan_all ? store_id_names(t, node, n, nm->name, nm->len, e) : ERR_OK;
}

static int name_of(names_t *nm, uint32_t id, const char **s, uint32_t *l, err_t *e)
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

static void names_free(names_t *n)
{
    free(n->name);
    free(n->len);
}

/* ---- output: one big buffer, hand-formatted numbers ---- */

typedef struct out {
    char *buf;
    size_t n, cap;
    int fmt;             /* 0 tsv, 1 jsonl */
    int failed;
} out_t;

static void out_flush(out_t *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, stdout) != o->n) o->failed = 1;
    o->n = 0;
}

/* Room for need more bytes. */
static void out_room(out_t *o, size_t need)
{
    if (o->n + need > o->cap) out_flush(o);
}

static void out_mem(out_t *o, const char *s, size_t l)
{
    out_room(o, l);
    memcpy(o->buf + o->n, s, l);
    o->n += l;
}

/* An id as a JSON string body (quotes and controls escaped) or raw for TSV. */
static void out_id(out_t *o, const char *s, uint32_t l)
{
    if (!o->fmt) { out_mem(o, s, l); return; }
    out_room(o, (size_t)l * 6);
    char *p = o->buf + o->n;
    for (uint32_t i = 0; i < l; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { *p++ = '\\'; *p++ = (char)c; }
        else if (c < 0x20) p += sprintf(p, "\\u%04x", c);
        else *p++ = (char)c;
    }
    o->n = (size_t)(p - o->buf);
}

static void out_u32(out_t *o, uint32_t v)
{
    char t[12];
    int n = 0;
    do t[n++] = (char)('0' + v % 10); while (v /= 10);
    out_room(o, 12);
    while (n) o->buf[o->n++] = t[--n];
}

/* What printf("%.6g") writes, without printf: 6 significant digits, fixed
 * notation for exponents -4..5, trailing zeros dropped. printf is ~1/3 of
 * the run time for 600k lines; anything this fast path does not cover
 * (exponent notation, non-finite values, a rounding edge) goes to printf. */
static void out_score(out_t *o, float f)
{
    static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double x = f, ax = fabs(x);
    out_room(o, 32);
    char *p = o->buf + o->n;
    if (isfinite(x) && ax >= 1e-4 && ax < 999999.5) {
        int ex = (int)floor(log10(ax));
        if (ex >= -4 && ex <= 5) {
            int dec = 5 - ex;
            long long s = llrint(ax * p10[dec]);   /* half to even, as printf on exact halves */
            if (s >= 100000 && s < 1000000) {
                long long ip = s / (long long)p10[dec], fp = s % (long long)p10[dec];
                if (x < 0) *p++ = '-';
                char t[24];
                int n = 0;
                do t[n++] = (char)('0' + ip % 10); while (ip /= 10);
                while (n) *p++ = t[--n];
                if (fp) {
                    *p++ = '.';
                    for (int d = dec - 1; d >= 0; d--) t[d] = (char)('0' + fp % 10), fp /= 10;
                    int last = dec;
                    while (last > 0 && t[last - 1] == '0') last--;
                    memcpy(p, t, (size_t)last);
                    p += last;
                }
                o->n = (size_t)(p - o->buf);
                return;
            }
        }
    }
    o->n += (size_t)snprintf(p, 32, "%.6g", x);
}

/* One query's results. qkey/ckey/lkey: the JSON keys of the query, of a
 * candidate and of the list ("user"/"item"/"items", ...). */
static int out_results(out_t *o, const char *qname, uint32_t qlen, names_t *cand, const uint32_t *top,
                       const float *sc, uint32_t k, const char *qkey, const char *ckey, const char *lkey,
                       err_t *e)
{
    const char *cn;
    uint32_t cl;
    int rc;
    if (!o->fmt) {
        for (uint32_t r = 0; r < k && top[r] != GNN_ITEM_NONE; r++) {
            if ((rc = name_of(cand, top[r], &cn, &cl, e))) return rc;
            out_mem(o, qname, qlen);
            out_mem(o, "\t", 1);
            out_u32(o, r + 1);
            out_mem(o, "\t", 1);
            out_mem(o, cn, cl);
            out_mem(o, "\t", 1);
            out_score(o, sc[r]);
            out_mem(o, "\n", 1);
        }
        return ERR_OK;
    }
    char b[64];
    out_mem(o, b, (size_t)snprintf(b, sizeof b, "{\"%s\":\"", qkey));
    out_id(o, qname, qlen);
    out_mem(o, b, (size_t)snprintf(b, sizeof b, "\",\"%s\":[", lkey));
    for (uint32_t r = 0; r < k && top[r] != GNN_ITEM_NONE; r++) {
        if ((rc = name_of(cand, top[r], &cn, &cl, e))) return rc;
        out_mem(o, b, (size_t)snprintf(b, sizeof b, "%s{\"%s\":\"", r ? "," : "", ckey));
        out_id(o, cn, cl);
        out_mem(o, "\",\"score\":", 10);
        out_score(o, sc[r]);
        out_mem(o, "}", 1);
    }
    out_mem(o, "]}\n", 3);
    return ERR_OK;
}

/* ---- ids from the command line or a file ---- */

typedef struct idlist {
    uint32_t *id;        /* [n] dense ids */
    size_t n, cap;
    uint64_t unknown;
    char missing[512];   /* the first unknown ids, for the message */
} idlist_t;

static int idlist_push(idlist_t *l, uint32_t v, err_t *e)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 1024;
        uint32_t *p = realloc(l->id, c * sizeof *p);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        l->id = p;
        l->cap = c;
    }
    l->id[l->n++] = v;
    return ERR_OK;
}

static void note_unknown(idlist_t *l, const char *id, size_t len)
{
    l->unknown++;
    size_t ml = strlen(l->missing);
    if (ml + len + 3 < sizeof l->missing && l->unknown <= 10)
        snprintf(l->missing + ml, sizeof l->missing - ml, "%s%.*s", ml ? ", " : "", (int)len, id);
}

static int add_id(store_txn_t *t, int node, const char *id, size_t len, idlist_t *l, err_t *e)
{
    uint32_t u;
    err_t ignore;
    if (store_id_lookup(t, node, id, len, &u, &ignore)) {
        note_unknown(l, id, len);
        return ERR_OK;
    }
    return idlist_push(l, u, e);
}

/* After resolving: fail naming the unknown ids, or warn and count them. */
static int check_unknown(const idlist_t *l, int node, int skip, err_t *e)
{
    const char *what = store_node_name(node);
    if (l->unknown && !skip)
        return err_set(e, ERR_NOTFOUND, "%llu unknown %s id%s: %s%s (use --skip-unknown to skip them)",
                       (unsigned long long)l->unknown, what, l->unknown > 1 ? "s" : "", l->missing,
                       l->unknown > 10 ? ", ..." : "");
    if (l->unknown)
        fprintf(stderr, "gnnrec infer: skipped %llu unknown %s ids: %s%s\n", (unsigned long long)l->unknown, what,
                l->missing, l->unknown > 10 ? ", ..." : "");
    return ERR_OK;
}

/* spec: "all" (*all = 1, no list), an existing file (first column), or a
 * comma-separated list. */
static int resolve_ids(store_txn_t *t, int node, const char *spec, uint32_t n_all, int skip, idlist_t *l,
                       int *all, err_t *e)
{
    int rc = ERR_OK;
    struct stat st;
    memset(l, 0, sizeof *l);
    *all = 0;
    if (!strcmp(spec, "all")) {
        *all = 1;
        for (uint32_t u = 0; u < n_all && !rc; u++) rc = idlist_push(l, u, e);
        return rc;
    } else if (stat(spec, &st) == 0) {
        io_lines_t in;
        char *line, *f[1];
        size_t len, fl[1];
        if ((rc = io_lines_open(&in, spec, 1 << 16, e))) return rc;
        while (!(rc = io_lines_next(&in, &line, &len, e)) && line)
            if (io_split_fields(line, ' ', f, fl, 1) >= 1 && (rc = add_id(t, node, f[0], fl[0], l, e))) break;
        io_lines_close(&in);
    } else {
        const char *p = spec;
        while (!rc) {
            const char *q = strchr(p, ',');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            if (n) rc = add_id(t, node, p, n, l, e);
            if (!q) break;
            p = q + 1;
        }
    }
    return rc ? rc : check_unknown(l, node, skip, e);
}

/* ---- exclusion sets ---- */

/* The training rows of the users asked for, as a CSR whose row j is query
 * j. For many users one scan of edges:train; for a few, one cursor range
 * per user (a store with 10M users is not read for one user). */
static int train_rows(store_txn_t *t, const uint32_t *users, size_t n_q, uint32_t n_users, uint32_t n_items,
                      int all, graph_csr_t *ex, err_t *e)
{
    int rc;
    if (all || n_q > n_users / 8) {
        store_edge_list_t el;
        if ((rc = store_edges_load(t, STORE_TRAIN, 0, &el, e))) return rc;
        graph_csr_t full;
        rc = graph_csr_from_pairs(&full, n_users, n_items, el.a, el.b, el.n, e);
        store_edge_list_destroy(&el);
        if (rc || all) { if (!rc) *ex = full; return rc; }
        uint64_t nnz = 0;
        for (size_t j = 0; j < n_q; j++) nnz += full.ptr[users[j] + 1] - full.ptr[users[j]];
        if (!(rc = graph_csr_init(ex, (uint32_t)n_q, n_items, nnz, 0, e))) {
            for (size_t j = 0; j < n_q; j++) {
                uint64_t a = full.ptr[users[j]], b = full.ptr[users[j] + 1];
                memcpy(ex->col + ex->ptr[j], full.col + a, (b - a) * sizeof *ex->col);
                ex->ptr[j + 1] = ex->ptr[j] + (b - a);
            }
        }
        graph_csr_destroy(&full);
        return rc;
    }
    uint32_t **rows = calloc(n_q ? n_q : 1, sizeof *rows);
    uint64_t *cnt = calloc(n_q ? n_q : 1, sizeof *cnt), nnz = 0;
    if (!rows || !cnt) { free(rows); free(cnt); return err_set(e, ERR_NOMEM, "out of memory"); }
    rc = ERR_OK;
    for (size_t j = 0; j < n_q && !rc; j++) {
        rc = store_edges_of(t, STORE_TRAIN, users[j], &rows[j], &cnt[j], e);
        nnz += cnt[j];
    }
    if (!rc && !(rc = graph_csr_init(ex, (uint32_t)n_q, n_items, nnz, 0, e)))
        for (size_t j = 0; j < n_q; j++) {
            memcpy(ex->col + ex->ptr[j], rows[j], cnt[j] * sizeof *ex->col);
            ex->ptr[j + 1] = ex->ptr[j] + cnt[j];
        }
    for (size_t j = 0; j < n_q; j++) free(rows[j]);
    free(rows);
    free(cnt);
    return rc;
}

/* ---- scoring: the one place queries meet candidates ----
 * Everything infer ranks goes through here, so a scorer that is not a dot
 * product of embeddings (the graph-filter models' gnn_scorer_open) replaces
 * this function and nothing else. */

typedef struct scorer {
    const float *cand;   /* [n_cand x dim], zero copy from the store or a normalized copy */
    uint32_t n_cand, dim;
    int threads;
} scorer_t;

static int score_topk(const scorer_t *s, const float *q, uint32_t n_q, const graph_csr_t *ex,
                      const uint32_t *ex_rows, uint32_t k, uint32_t *top, float *sc, err_t *e)
{
    return gnn_topk(q, n_q, s->cand, s->n_cand, s->dim, ex, ex_rows, k, s->threads, top, sc, e);
}

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

/* Run the queries in blocks: q_of fills block rows (or a NULL q_of with
 * q_all = contiguous rows), then score and print. qname gives each query's
 * printed name. */
typedef struct job {
    const scorer_t *s;
    const float *q_all;          /* [n_q x dim] contiguous, or NULL: gather q_tab rows q_idx */
    const float *q_tab;
    const uint32_t *q_idx;
    size_t n_q;
    const graph_csr_t *ex;       /* or NULL */
    const uint32_t *ex_rows;     /* [n_q] or NULL (row j for query j) */
    uint32_t k;
    names_t *qnames;             /* query names by q_idx (or by position when q_idx is NULL) */
    const char *const *qstr;     /* or: explicit names [n_q] */
    const uint32_t *qlen;
    names_t *cnames;
    const char *qkey, *ckey, *lkey;
} job_t;

static int run_job(const job_t *j, out_t *o, err_t *e)
{
    uint32_t dim = j->s->dim, kk = j->k;
    /* results buffer bounded at ~64 MB whatever k is */
    size_t block = 4096;
    while (block > 64 && block * kk > ((size_t)1 << 23)) block /= 2;
    uint32_t *top = malloc(block * kk * sizeof *top);
    float *sc = malloc(block * kk * sizeof *sc);
    float *q = j->q_all ? NULL : malloc(block * dim * sizeof *q);
    int rc = ERR_OK;
    if (!top || !sc || (!j->q_all && !q)) rc = err_set(e, ERR_NOMEM, "out of memory");
    for (size_t b = 0; b < j->n_q && !rc; b += block) {
        uint32_t nb = (uint32_t)(j->n_q - b < block ? j->n_q - b : block);
        const float *qb;
        if (j->q_all) qb = j->q_all + b * dim;
        else {
            for (uint32_t r = 0; r < nb; r++)
                memcpy(q + (size_t)r * dim, j->q_tab + (size_t)j->q_idx[b + r] * dim, dim * sizeof *q);
            qb = q;
        }
        const uint32_t *exr = j->ex_rows ? j->ex_rows + b : NULL;
        uint32_t *rows = NULL;
        if (j->ex && !exr) {   /* row j of the exclusion CSR is query j */
            rows = malloc(nb * sizeof *rows);
            if (!rows) { rc = err_set(e, ERR_NOMEM, "out of memory"); break; }
            for (uint32_t r = 0; r < nb; r++) rows[r] = (uint32_t)(b + r);
            exr = rows;
        }
        /* a small call (a few users) runs on one thread: waking a second
         * costs more than its share of ~10 ms of work, and on a busy machine
         * waiting for it to be scheduled dominated the time to first line */
        scorer_t sone = *j->s;
        if ((uint64_t)j->n_q * sone.n_cand < ((uint64_t)1 << 24)) sone.threads = 1;
        rc = score_topk(&sone, qb, nb, j->ex, exr, kk, top, sc, e);
        free(rows);
        for (uint32_t r = 0; r < nb && !rc; r++) {
            const char *qn;
            uint32_t ql;
            if (j->qstr) qn = j->qstr[b + r], ql = j->qlen[b + r];
            else if ((rc = name_of(j->qnames, j->q_idx ? j->q_idx[b + r] : (uint32_t)(b + r), &qn, &ql, e))) break;
            rc = out_results(o, qn, ql, j->cnames, top + (size_t)r * kk, sc + (size_t)r * kk, kk, j->qkey, j->ckey,
                             j->lkey, e);
        }
    }
    free(top); free(sc); free(q);
    return rc;
}

/* ---- modes ---- */

typedef struct ctx {
    store_txn_t *t;
    const char *model;
    gnn_saved_meta_t meta;
    const float *emb;           /* [(U + I) x dim], zero copy */
    uint32_t k;
    int include_seen, skip, threads;
    out_t *o;
} ctx_t;

static int mode_users(ctx_t *c, const char *spec, err_t *e)
{
    idlist_t l;
    int all, rc;
    graph_csr_t ex = {0};
    names_t un = {0}, in = {0};
    uint32_t nu = c->meta.n_users, ni = c->meta.n_items, dim = c->meta.dim;
    if ((rc = resolve_ids(c->t, STORE_USER, spec, nu, c->skip, &l, &all, e))) goto out;
    if (!c->include_seen && (rc = train_rows(c->t, l.id, l.n, nu, ni, all, &ex, e))) goto out;
    /* names: scan the table when most of it will be printed */
    int many_items = (uint64_t)l.n * c->k > ni / 4;
    if ((rc = names_init(&un, c->t, STORE_USER, nu, all || l.n > nu / 4, e)) ||
        (rc = names_init(&in, c->t, STORE_ITEM, ni, many_items, e)))
        goto out;
    scorer_t s = {c->emb + (size_t)nu * dim, ni, dim, c->threads};
    job_t j = {&s, all ? c->emb : NULL, c->emb, all ? NULL : l.id, l.n, c->include_seen ? NULL : &ex,
               (c->include_seen || !all) ? NULL : l.id, c->k, &un, NULL, NULL, &in, "user", "item", "items"};
    rc = run_job(&j, c->o, e);
out:
    free(l.id);
    graph_csr_destroy(&ex);
    names_free(&un);
    names_free(&in);
    return rc;
}

/* The queries of --similar-items / --friends (ids of `type`, or all) and
 * the unit-length embeddings [n x dim] they are compared by (cosine). */
static int similarity_queries(ctx_t *c, int type, const char *what, const float *emb, uint32_t n,
                              const char *spec, idlist_t *l, int *all, float **norm, err_t *e)
{
    if (!strcmp(c->meta.arch, "pop"))
        return err_set(e, ERR_USAGE, "model '%s' is the popularity ranking: it has no %s embeddings to compare",
                       c->model, what);
    int rc = resolve_ids(c->t, type, spec, n, c->skip, l, all, e);
    if (rc) return rc;
    if (!(*norm = normalized(emb, n, c->meta.dim))) return err_set(e, ERR_NOMEM, "out of memory");
    return ERR_OK;
}

static int mode_similar(ctx_t *c, const char *spec, err_t *e)
{
    idlist_t l = {0};
    int all, rc;
    graph_csr_t ex = {0};
    names_t in = {0};
    float *norm = NULL;
    uint32_t nu = c->meta.n_users, ni = c->meta.n_items, dim = c->meta.dim;
    if ((rc = similarity_queries(c, STORE_ITEM, "item", c->emb + (size_t)nu * dim, ni, spec, &l, &all, &norm, e)))
        goto out;
    /* the item itself is the one exclusion */
    if ((rc = graph_csr_init(&ex, (uint32_t)l.n, ni, l.n, 0, e))) goto out;
    for (size_t j = 0; j < l.n; j++) ex.col[j] = l.id[j], ex.ptr[j + 1] = j + 1;
    if ((rc = names_init(&in, c->t, STORE_ITEM, ni, all || (uint64_t)l.n * (c->k + 1) > ni / 4, e))) goto out;
    scorer_t s = {norm, ni, dim, c->threads};
    job_t j = {&s, all ? norm : NULL, norm, all ? NULL : l.id, l.n, &ex, NULL, c->k, &in, NULL, NULL, &in,
               "item", "item", "items"};
    rc = run_job(&j, c->o, e);
out:
    free(l.id);
    free(norm);
    graph_csr_destroy(&ex);
    names_free(&in);
    return rc;
}

static int mode_friends(ctx_t *c, const char *spec, err_t *e)
{
    idlist_t l = {0};
    int all, rc;
    graph_csr_t ex = {0};
    names_t un = {0};
    float *norm = NULL;
    store_edge_list_t el = {0};
    uint32_t *ra = NULL, *rb = NULL, nu = c->meta.n_users, dim = c->meta.dim;
    if ((rc = similarity_queries(c, STORE_USER, "user", c->emb, nu, spec, &l, &all, &norm, e))) goto out;
    /* exclusion: self and existing ties, both directions (a tie is stored once) */
    if ((rc = store_edges_load(c->t, STORE_SOCIAL, 0, &el, e))) goto out;
    uint64_t m = 2 * el.n + nu;
    ra = malloc((m ? m : 1) * sizeof *ra);
    rb = malloc((m ? m : 1) * sizeof *rb);
    if (!ra || !rb) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (uint64_t i = 0; i < el.n; i++) {
        ra[2 * i] = el.a[i], rb[2 * i] = el.b[i];
        ra[2 * i + 1] = el.b[i], rb[2 * i + 1] = el.a[i];
    }
    for (uint32_t u = 0; u < nu; u++) ra[2 * el.n + u] = rb[2 * el.n + u] = u;
    if ((rc = graph_csr_from_pairs(&ex, nu, nu, ra, rb, m, e))) goto out;
    if ((rc = names_init(&un, c->t, STORE_USER, nu, all || (uint64_t)l.n * (c->k + 1) > nu / 4, e))) goto out;
    scorer_t s = {norm, nu, dim, c->threads};
    job_t j = {&s, all ? norm : NULL, norm, all ? NULL : l.id, l.n, &ex, l.id, c->k, &un, NULL, NULL, &un,
               "user", "user", "users"};
    rc = run_job(&j, c->o, e);
out:
    free(l.id); free(norm); free(ra); free(rb);
    store_edge_list_destroy(&el);
    graph_csr_destroy(&ex);
    names_free(&un);
    return rc;
}

/* Does the saved config say the model propagated over a joint graph? Then
 * the interaction-only fold-in rule is not the model's rule. */
static int joint_graph_model(store_txn_t *t, const char *model)
{
    const void *p;
    size_t len;
    err_t ignore;
    char edges[256];
    if (store_blob_get(t, model, "config", &p, &len, &ignore) || !cli_config_value(p, len, "edges", edges, sizeof edges))
        return 0;
    return strstr(edges, "social") || strstr(edges, "knowledge");
}

static int filter_model(const char *arch);

/* New users of a graph-filter model: no fold-in, their scores are a function
 * of their items (the history rows built here). A user with no known item
 * gets the popularity ranking, as with the embedding models. */
static int new_users_filter(ctx_t *c, size_t n_new, const uint32_t *ustart, const idlist_t *items,
                            char *const *uname, const uint32_t *ulen, err_t *e)
{
    uint32_t ni = c->meta.n_items, kk = c->k;
    uint32_t *pr = malloc((items->n ? items->n : 1) * sizeof *pr);
    uint32_t *rows = malloc((n_new ? n_new : 1) * sizeof *rows);
    uint32_t *top = malloc((n_new ? n_new : 1) * kk * sizeof *top), ptop[kk];
    float *scv = malloc((n_new ? n_new : 1) * kk * sizeof *scv), pscv[kk], *deg = calloc(ni ? ni : 1, sizeof *deg);
    graph_csr_t hist = {0};
    graph_interactions_t g;
    gnn_scorer_t sc;
    names_t in = {0};
    int rc, have_g = 0, have_sc = 0;
    memset(&sc, 0, sizeof sc);
    if (!pr || !rows || !top || !scv || !deg) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (size_t u = 0; u < n_new; u++) {
        rows[u] = (uint32_t)u;
        for (uint32_t i = ustart[u]; i < ustart[u + 1]; i++) pr[i] = (uint32_t)u;
    }
    if ((rc = graph_csr_from_pairs(&hist, (uint32_t)n_new, ni, pr, items->id, items->n, e)) ||
        (rc = graph_load_interactions(c->t, &g, e)))
        goto out;
    have_g = 1;
    if ((rc = gnn_scorer_open(c->t, c->model, &g, &sc, e))) goto out;
    have_sc = 1;
    if ((rc = gnn_topk_scorer(&sc, &hist, rows, (uint32_t)n_new, c->include_seen ? NULL : &hist, rows, kk,
                              c->threads, top, scv, e)))
        goto out;
    static const float one = 1.0f;
    for (uint64_t i = 0; i < g.train.nnz; i++) deg[g.train.col[i]] += 1.0f;
    if ((rc = gnn_topk(&one, 1, deg, ni, 1, NULL, NULL, kk, 1, ptop, pscv, e)) ||
        (rc = names_init(&in, c->t, STORE_ITEM, ni, (uint64_t)n_new * kk > ni / 4, e)))
        goto out;
    size_t n_empty = 0;
    for (size_t u = 0; u < n_new && !rc; u++) {
        int empty = ustart[u] == ustart[u + 1];
        n_empty += empty;
        rc = out_results(c->o, uname[u], ulen[u], &in, empty ? ptop : top + u * kk, empty ? pscv : scv + u * kk,
                         kk, "user", "item", "items", e);
    }
    if (n_empty)
        fprintf(stderr, "gnnrec infer: %zu new user%s with no known item got the popularity ranking\n", n_empty,
                n_empty > 1 ? "s" : "");
out:
    free(pr); free(rows); free(top); free(scv); free(deg);
    graph_csr_destroy(&hist);
    names_free(&in);
    if (have_sc) gnn_scorer_destroy(&sc);
    if (have_g) graph_interactions_destroy(&g);
    return rc;
}

static int mode_new_users(ctx_t *c, const char *path, err_t *e)
{
    uint32_t nu = c->meta.n_users, ni = c->meta.n_items, dim = c->meta.dim;
    int rc;
    io_lines_t in;
    int opened = 0;
    char **uname = NULL;
    uint32_t *ulen = NULL, *ustart = NULL, *pr = NULL;
    size_t n_new = 0, cap_new = 0;
    idlist_t items = {0};
    graph_csr_t ex = {0}, train = {0};
    gnn_foldin_t f = {0};
    float *q = NULL;
    names_t inames = {0};
    store_edge_list_t el = {0};
    if (!filter_model(c->meta.arch) &&
        (!strcmp(c->meta.arch, "kglightgcn") || !strcmp(c->meta.arch, "gcn") || joint_graph_model(c->t, c->model)))
        return err_set(e, ERR_USAGE, "model '%s' (%s%s): fold-in of new users is defined for lightgcn, mf and pop "
                       "models trained on interactions only", c->model, c->meta.arch,
                       joint_graph_model(c->t, c->model) ? " on a joint graph" : "");
    /* parse: items of every new user, flat in items.id; ustart [n_new + 1] */
    if ((rc = io_lines_open(&in, path, (size_t)1 << 26, e))) goto out;
    opened = 1;
    char *line;
    size_t len;
    while (!(rc = io_lines_next(&in, &line, &len, e)) && line) {
        char *fl[1];
        size_t fll[1];
        int nf = io_split_fields(line, ' ', fl, fll, 1);
        if (nf < 1) continue;
        if (n_new + 1 >= cap_new) {
            size_t nc = cap_new ? cap_new * 2 : 256;
            char **a = realloc(uname, nc * sizeof *a);
            if (a) uname = a;
            uint32_t *b = realloc(ulen, nc * sizeof *b);
            if (b) ulen = b;
            uint32_t *s = realloc(ustart, (nc + 1) * sizeof *s);
            if (s) ustart = s;
            if (!a || !b || !s) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
            cap_new = nc;
        }
        if (fll[0] > STORE_MAX_ID_LEN) {
            rc = err_set(e, ERR_INPUT, "%s:%ld: user id longer than %d bytes", path, in.line, STORE_MAX_ID_LEN);
            goto out;
        }
        uname[n_new] = strndup(fl[0], fll[0]);
        ulen[n_new] = (uint32_t)fll[0];
        if (!uname[n_new]) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
        ustart[n_new] = (uint32_t)items.n;
        /* the items: the rest of the line, blank-separated */
        char *p = fl[0] + fll[0], *end = line + len;
        while (p < end && !rc) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\0' || *p == '\r')) p++;
            char *s = p;
            while (p < end && *p != ' ' && *p != '\t' && *p != '\0' && *p != '\r') p++;
            if (p > s) rc = add_id(c->t, STORE_ITEM, s, (size_t)(p - s), &items, e);
        }
        if (rc) goto out;
        n_new++;
        ustart[n_new] = (uint32_t)items.n;
    }
    if (rc || (rc = check_unknown(&items, STORE_ITEM, c->skip, e))) goto out;
    if (n_new == 0) goto out;
    if (filter_model(c->meta.arch)) {
        rc = new_users_filter(c, n_new, ustart, &items, uname, ulen, e);
        goto out;
    }
    /* fold-in needs the training graph and the layer-0 rows */
    if ((rc = store_edges_load(c->t, STORE_TRAIN, 0, &el, e)) ||
        (rc = graph_csr_from_pairs(&train, nu, ni, el.a, el.b, el.n, e)))
        goto out;
    const float *emb0 = c->emb;   /* mf: the final embeddings are the layer-0 ones */
    if (!strcmp(c->meta.arch, "lightgcn")) {
        size_t np;
        if ((rc = store_blob_get_floats(c->t, c->model, "params", &emb0, &np, e))) {
            if (rc == ERR_NOTFOUND)
                rc = err_set(e, ERR_USAGE, "model '%s' has no saved layer-0 parameters (pruned?): fold-in needs them",
                             c->model);
            goto out;
        }
        if (np < ((size_t)nu + ni) * dim) { rc = err_set(e, ERR_STORE, "model '%s': short params blob", c->model); goto out; }
    }
    if ((rc = gnn_foldin_init(&f, c->meta.arch, nu, ni, dim, c->meta.layers, emb0, &train, c->threads, e))) goto out;
    const char *rule = getenv("GNNREC_FOLDIN_RULE");   /* for bench/foldin_lastfm.sh's comparison */
    if (rule && !strcmp(rule, "zero")) f.rule = GNN_FOLDIN_ZERO0;
    q = calloc(n_new * dim, sizeof *q);
    pr = malloc((items.n ? items.n : 1) * sizeof *pr);
    if (!q || !pr) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    /* a user with no known item: the popularity ranking (the pop "embedding"
     * is the scalar 1 against item degrees, so the same kernel ranks it) */
    float *deg = NULL;
    size_t n_empty = 0;
    for (size_t u = 0; u < n_new; u++) {
        uint32_t a = ustart[u], b = ustart[u + 1];
        if (a == b) { n_empty++; continue; }
        if ((rc = gnn_foldin_user(&f, items.id + a, b - a, NULL, q + u * dim, e))) goto out;
        for (uint32_t i = a; i < b; i++) pr[i] = (uint32_t)u;
    }
    if (!c->include_seen && (rc = graph_csr_from_pairs(&ex, (uint32_t)n_new, ni, pr, items.id, items.n, e))) goto out;
    if ((rc = names_init(&inames, c->t, STORE_ITEM, ni, (uint64_t)n_new * c->k > ni / 4, e))) goto out;
    scorer_t s = {c->emb + (size_t)nu * dim, ni, dim, c->threads};
    job_t j = {&s, q, NULL, NULL, n_new, c->include_seen ? NULL : &ex, NULL, c->k, NULL,
               (const char *const *)uname, ulen, &inames, "user", "item", "items"};
    if (n_empty == 0) { rc = run_job(&j, c->o, e); goto out; }
    /* some users are empty: run user by user so output keeps the input order */
    fprintf(stderr, "gnnrec infer: %zu new user%s with no known item got the popularity ranking\n", n_empty,
            n_empty > 1 ? "s" : "");
    deg = calloc(ni ? ni : 1, sizeof *deg);
    if (!deg) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (uint64_t i = 0; i < train.nnz; i++) deg[train.col[i]] += 1.0f;
    scorer_t ps = {deg, ni, 1, c->threads};
    static const float one = 1.0f;
    for (size_t u = 0; u < n_new && !rc; u++) {
        uint32_t urow = (uint32_t)u;
        job_t ju = j;
        ju.qstr = (const char *const *)uname + u;
        ju.qlen = ulen + u;
        ju.n_q = 1;
        if (ustart[u] == ustart[u + 1]) { ju.s = &ps; ju.q_all = &one; ju.ex = NULL; }
        else {
            ju.q_all = q + u * dim;
            ju.ex_rows = &urow;
        }
        rc = run_job(&ju, c->o, e);
    }
    free(deg);
out:
    if (opened) io_lines_close(&in);
    for (size_t u = 0; u < n_new; u++) free(uname[u]);
    free(uname); free(ulen); free(ustart); free(pr); free(q); free(items.id);
    graph_csr_destroy(&ex);
    graph_csr_destroy(&train);
    store_edge_list_destroy(&el);
    gnn_foldin_destroy(&f);
    names_free(&inames);
    return rc;
}

/* ---- graph-filter models (gf-cf, bspm): no embeddings, a scorer ----
 * Their scores are a function of the user's training row, so they rank
 * through gnn_scorer_open/gnn_topk_scorer, the path eval takes too. */

static int filter_model(const char *arch) { return !strcmp(arch, "gf-cf") || !strcmp(arch, "bspm"); }

static int mode_users_filter(ctx_t *c, const char *spec, err_t *e)
{
    idlist_t l;
    int all, rc, have_g = 0, have_sc = 0;
    graph_interactions_t g;
    gnn_scorer_t sc;
    names_t un = {0}, in = {0};
    uint32_t *top = NULL;
    float *scv = NULL;
    uint32_t nu = c->meta.n_users, ni = c->meta.n_items, kk = c->k;
    size_t block = 1024;
    memset(&sc, 0, sizeof sc);
    if ((rc = resolve_ids(c->t, STORE_USER, spec, nu, c->skip, &l, &all, e))) goto out;
    if ((rc = graph_load_interactions(c->t, &g, e))) goto out;
    have_g = 1;
    if ((rc = gnn_scorer_open(c->t, c->model, &g, &sc, e))) goto out;
    have_sc = 1;
    if ((rc = names_init(&un, c->t, STORE_USER, nu, all || l.n > nu / 4, e)) ||
        (rc = names_init(&in, c->t, STORE_ITEM, ni, (uint64_t)l.n * kk > ni / 4, e)))
        goto out;
    while (block > 16 && block * kk > ((size_t)1 << 23)) block /= 2;
    top = malloc(block * kk * sizeof *top);
    scv = malloc(block * kk * sizeof *scv);
    if (!top || !scv) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (size_t b = 0; b < l.n && !rc; b += block) {
        uint32_t nb = (uint32_t)(l.n - b < block ? l.n - b : block);
        /* user j's history is train row l.id[j]; so is what it has seen */
        if ((rc = gnn_topk_scorer(&sc, &g.train, l.id + b, nb, c->include_seen ? NULL : &g.train, l.id + b, kk,
                                  c->threads, top, scv, e)))
            break;
        for (uint32_t r = 0; r < nb && !rc; r++) {
            const char *qn;
            uint32_t ql;
            if ((rc = name_of(&un, l.id[b + r], &qn, &ql, e))) break;
            rc = out_results(c->o, qn, ql, &in, top + (size_t)r * kk, scv + (size_t)r * kk, kk, "user", "item",
                             "items", e);
        }
    }
out:
    free(top);
    free(scv);
    free(l.id);
    names_free(&un);
    names_free(&in);
    if (have_sc) gnn_scorer_destroy(&sc);
    if (have_g) graph_interactions_destroy(&g);
    return rc;
}

int cli_cmd_infer(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    store_t s;
    store_txn_t t = {0};
    out_t out = {0};
    int rc, help = 0, opened = 0, include_seen = 0, skip = 0, fmt = 0, friends = 0;
    const char *dir, *given, *users_spec, *new_items, *similar;
    uint32_t k, threads;
    char name[256];
    static const char *const formats[] = {"tsv", "jsonl", NULL};
    cli_opts_init(&o);
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "store", &dir, &e)) || (rc = cli_get_str(&o, "model", NULL, &given, &e)) ||
        (rc = cli_get_str(&o, "users", "all", &users_spec, &e)) ||
        (rc = cli_get_u32(&o, "k", 20, 1, 100000, &k, &e)) ||
        (rc = cli_get_choice(&o, "format", formats, 0, &fmt, &e)) ||
        (rc = cli_get_bool(&o, "include_seen", 0, &include_seen, &e)) ||
        (rc = cli_get_bool(&o, "skip_unknown", 0, &skip, &e)) ||
        (rc = cli_get_bool(&o, "friends", 0, &friends, &e)) ||
        (rc = cli_get_str(&o, "new_user_items", NULL, &new_items, &e)) ||
        (rc = cli_get_str(&o, "similar_items", NULL, &similar, &e)) ||
        (rc = cli_get_u32(&o, "threads", 0, 0, 1024, &threads, &e)))
        goto out;
    if ((new_items != NULL) + (similar != NULL) + friends > 1) {
        rc = err_set(&e, ERR_USAGE, "--new-user-items, --similar-items and --friends are separate modes: pick one");
        goto out;
    }
    if ((new_items || similar) && cli_has(&o, "users")) {
        rc = err_set(&e, ERR_USAGE, "--users does not apply to --%s", new_items ? "new-user-items" : "similar-items");
        goto out;
    }
    cli_set_threads((int)threads);
    if ((rc = store_open(&s, dir, STORE_RDONLY, &e))) goto out;
    opened = 1;
    if ((rc = store_read_begin(&s, &t, &e))) goto out;
    ctx_t c = {&t, name, {0}, NULL, k, include_seen, skip, (int)threads, &out};
    if ((rc = cli_pick_model(&t, given, name, sizeof name, &e)) || (rc = gnn_saved_meta(&t, name, &c.meta, &e)))
        goto out;
    int filter = filter_model(c.meta.arch);
    if (filter && (similar || friends)) {
        rc = err_set(&e, ERR_USAGE, "model '%s' (%s) has no embeddings: --%s is not defined for it; "
                     "top-K for stored or new users is", name, c.meta.arch, similar ? "similar-items" : "friends");
        goto out;
    }
    if (!filter && (rc = gnn_saved_embeddings(&t, name, &c.meta, &c.emb, &e))) goto out;
    out.fmt = fmt;
    out.cap = (size_t)1 << 20;
    if (!(out.buf = malloc(out.cap))) { rc = err_set(&e, ERR_NOMEM, "out of memory"); goto out; }
    if (new_items) rc = mode_new_users(&c, new_items, &e);
    else if (similar) rc = mode_similar(&c, similar, &e);
    else if (friends) rc = mode_friends(&c, users_spec, &e);
    else if (filter) rc = mode_users_filter(&c, users_spec, &e);
    else rc = mode_users(&c, users_spec, &e);
    out_flush(&out);
    if (!rc && (out.failed || fflush(stdout) || ferror(stdout)))
        rc = err_set(&e, ERR_IO, "cannot write output: %s", strerror(errno));
out:
    free(out.buf);
    if (t.txn) store_read_end(&t);
    if (opened) store_close(&s);
    cli_opts_destroy(&o);
    return rc ? cli_fail("infer", &e) : 0;
}
