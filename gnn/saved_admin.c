/* saved_admin.c - model management over the saved-model format (saved.h):
 * the listing `gnnrec models` prints (gnn_saved_list) and the removal of a
 * model with every blob under its name (gnn_saved_remove). Assumes the
 * blob keys of saved.h, the metrics log lines the trainer writes
 * ({"epoch":N,"loss":..,...,"SPLIT_METRIC@K":..,...}) and that the caller's
 * write transaction is all-or-nothing (store_write). */
#include "gnn/saved.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/writer.h"
#include "store/check.h"

/* ---- the names: collected first (store_blob_owners' callback cannot fail) ---- */

typedef struct names {
    char (*v)[GNN_SAVED_NAME_MAX + 1];   /* [n] */
    size_t n, cap;
    int oom;
} names_t;

static void add_owner(const char *name, void *ctx)
{
    names_t *ns = ctx;
    if (ns->oom || strlen(name) > GNN_SAVED_NAME_MAX) return;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 16;
        void *p = realloc(ns->v, cap * sizeof ns->v[0]);
        if (!p) { ns->oom = 1; return; }
        ns->v = p;
        ns->cap = cap;
    }
    snprintf(ns->v[ns->n++], sizeof ns->v[0], "%s", name);
}

/* ---- sizes and the best epoch's metrics ---- */

static void add_size(const char *key, const void *data, size_t len, void *ctx)
{
    (void)key; (void)data;
    gnn_saved_info_t *in = ctx;
    in->bytes += len;
    in->blobs++;
}

/* The members of log line `line` (no braces) whose key names a metric at a
 * cutoff ("valid_recall@20"), copied to out as they are. */
static void metric_members(const char *line, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && line[j] != ',' && line[j] != '}') j++;
        const char *m = line + i;
        size_t ml = j - i;
        if (ml > 2 && m[0] == '"' && memchr(m, '@', ml) && n + ml + 2 < cap) {
            if (n) out[n++] = ',';
            memcpy(out + n, m, ml);
            out[n += ml] = 0;
        }
        i = j + 1;
    }
}

/* in->metrics from the metrics log's (last) line of epoch best_epoch. */
static void best_metrics(store_txn_t *t, gnn_saved_info_t *in)
{
    const void *p;
    size_t len;
    err_t ignore;
    in->metrics[0] = 0;
    if (!in->meta.best_epoch || gnn_saved_blob(t, in->name, GNN_SAVED_KEY_METRICS, &p, &len, &ignore)) return;
    char want[32];
    const int wl = snprintf(want, sizeof want, "{\"epoch\":%u,", in->meta.best_epoch);
    for (const char *q = p, *end = q + len; q < end;) {
        const char *eol = memchr(q, '\n', (size_t)(end - q));
        const size_t ll = eol ? (size_t)(eol - q) : (size_t)(end - q);
        if (ll > (size_t)wl && !memcmp(q, want, (size_t)wl))
            metric_members(q + 1, ll - 1, in->metrics, sizeof in->metrics);
        q += ll + 1;
    }
}

/* One name of the store described: 1 when it is a model or (with stagings)
 * a staging, 0 when it is neither (left out). */
static int describe(store_txn_t *t, const char *name, int stagings, gnn_saved_info_t *in, err_t *e)
{
    const void *p;
    size_t len;
    err_t miss;
    memset(in, 0, sizeof *in);
    snprintf(in->name, sizeof in->name, "%s", name);
    int rc;
    if (store_blob_get(t, name, GNN_SAVED_KEY_META, &p, &len, &miss) == ERR_OK) {
        if ((rc = gnn_saved_meta(t, name, &in->meta, e))) return -rc;
    } else {
        const size_t sl = strlen(name), xl = sizeof GNN_SAVED_STAGE_SUFFIX - 1;
        if (!stagings || sl <= xl || strcmp(name + sl - xl, GNN_SAVED_STAGE_SUFFIX)) return 0;
        char base[GNN_SAVED_NAME_MAX + 1];
        snprintf(base, sizeof base, "%.*s", (int)(sl - xl), name);
        rc = gnn_saved_stage_meta(t, base, &in->meta, e);
        if (rc == ERR_NOTFOUND) return 0;
        if (rc) return -rc;
        in->staged = 1;
    }
    if ((rc = store_blob_each(t, name, add_size, in, e))) return -rc;
    best_metrics(t, in);
    return 1;
}

int gnn_saved_list(store_txn_t *t, int stagings, int (*fn)(const gnn_saved_info_t *info, void *ctx, err_t *e),
                   void *ctx, err_t *e)
{
    names_t ns = {0};
    gnn_saved_info_t *in = malloc(sizeof *in);
    int rc = in ? store_blob_owners(t, add_owner, &ns, e) : err_set(e, ERR_NOMEM, "out of memory");
    if (!rc && ns.oom) rc = err_set(e, ERR_NOMEM, "out of memory listing the models");
    for (size_t i = 0; !rc && i < ns.n; i++) {
        int got = describe(t, ns.v[i], stagings, in, e);
        if (got < 0) rc = -got;
        else if (got) rc = fn(in, ctx, e);
    }
    free(in);
    free(ns.v);
    return rc;
}

/* ---- removal ---- */

typedef struct model_names {
    char list[512];
    int n;
} model_names_t;

static void add_model(const char *name, void *ctx)
{
    model_names_t *ns = ctx;
    size_t l = strlen(ns->list);
    ns->n++;
    if (l + strlen(name) + 8 < sizeof ns->list)
        snprintf(ns->list + l, sizeof ns->list - l, "%s%s", l ? ", " : "", name);
    else if (l + 6 < sizeof ns->list && strcmp(ns->list + l - 3, "..."))
        snprintf(ns->list + l, sizeof ns->list - l, ", ...");
}

/* ERR_NOTFOUND naming the models there are. */
static int not_found(store_txn_t *t, const char *name, err_t *e)
{
    model_names_t ns = {.n = 0};
    int rc = store_model_list(t, add_model, &ns, e);
    if (rc) return rc;
    return err_set(e, ERR_NOTFOUND, "no model named '%s' in this store (models: %s)", name,
                   ns.n ? ns.list : "none");
}

int gnn_saved_remove(store_txn_t *t, const char *name, err_t *e)
{
    const void *p;
    size_t len;
    err_t miss;
    const size_t sl = strlen(name), xl = sizeof GNN_SAVED_STAGE_SUFFIX - 1;
    if (sl == 0 || sl > GNN_SAVED_NAME_MAX) return err_set(e, ERR_USAGE, "model name must be 1..%u bytes",
                                                           GNN_SAVED_NAME_MAX);
    /* a model: it and its staging; a staging named as stored: only it */
    if (store_blob_get(t, name, GNN_SAVED_KEY_META, &p, &len, &miss) == ERR_OK) {
        int rc = store_model_delete(t, name, e);
        return rc ? rc : gnn_saved_unstage(t, name, e);
    }
    if (sl > xl && !strcmp(name + sl - xl, GNN_SAVED_STAGE_SUFFIX) &&
        store_blob_get(t, name, GNN_SAVED_KEY_RUN_META, &p, &len, &miss) == ERR_OK)
        return store_model_delete(t, name, e);
    return not_found(t, name, e);
}

/* ---- what `gnnrec models` prints ---- */

static void put_time(io_buf_t *b, uint64_t at, int json)
{
    char s[32];
    struct tm tm;
    time_t tt = (time_t)at;
    if (!at || !gmtime_r(&tt, &tm) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        io_buf_str(b, json ? "null" : "-");
        return;
    }
    if (json) io_buf_json_str(b, s, strlen(s));
    else io_buf_str(b, s);
}

void gnn_saved_info_header(io_buf_t *b)
{
    io_buf_str(b, "name\tkind\tarch\tdim\tlayers\tepochs\tbest_epoch\tusers\titems\tmetrics\tbytes\tsaved\n");
}

int gnn_saved_info_format(const gnn_saved_info_t *in, int json, io_buf_t *b, err_t *e)
{
    const gnn_saved_meta_t *m = &in->meta;
    const uint64_t num[6] = {m->dim, m->layers, m->epoch, m->best_epoch, m->n_users, m->n_items};
    static const char *const key[6] = {"dim", "layers", "epochs", "best_epoch", "users", "items"};
    const char *kind = in->staged ? "staged" : "model";
    int rc;
    if (json) {
        io_buf_str(b, "{\"name\":");
        io_buf_json_str(b, in->name, strlen(in->name));
        io_buf_str(b, ",\"kind\":\"");
        io_buf_str(b, kind);
        io_buf_str(b, "\",\"arch\":");
        io_buf_json_str(b, m->arch, strlen(m->arch));
        for (int k = 0; k < 6; k++) {
            io_buf_str(b, ",\"");
            io_buf_str(b, key[k]);
            io_buf_str(b, "\":");
            io_buf_u64(b, num[k]);
        }
        io_buf_str(b, ",\"metrics\":{");
        io_buf_str(b, in->metrics);   /* JSON members as the trainer logged them */
        io_buf_str(b, "},\"bytes\":");
        io_buf_u64(b, in->bytes);
        io_buf_str(b, ",\"blobs\":");
        io_buf_u64(b, in->blobs);
        io_buf_str(b, ",\"saved\":");
        put_time(b, m->saved_at, 1);
        io_buf_str(b, "}\n");
        return ERR_OK;
    }
    if ((rc = io_buf_tsv(b, in->name, strlen(in->name), e))) return rc;
    io_buf_str(b, "\t");
    io_buf_str(b, kind);
    io_buf_str(b, "\t");
    io_buf_str(b, m->arch);
    for (int k = 0; k < 6; k++) {
        io_buf_str(b, "\t");
        io_buf_u64(b, num[k]);
    }
    io_buf_str(b, "\t");
    if (!in->metrics[0]) io_buf_str(b, "-");
    for (const char *c = in->metrics; *c; c++)   /* "a@20":0.1,"b@20":0.2 -> a@20=0.1,b@20=0.2 */
        if (*c != '"') io_buf_put(b, *c == ':' ? "=" : c, 1);
    io_buf_str(b, "\t");
    io_buf_u64(b, in->bytes);
    io_buf_str(b, "\t");
    put_time(b, m->saved_at, 0);
    io_buf_str(b, "\n");
    return ERR_OK;
}

static const char *const lr_names[] = {"constant", "cosine", "linear"};

int gnn_saved_show(store_txn_t *t, const char *name, io_buf_t *b, err_t *e)
{
    gnn_saved_info_t *in = malloc(sizeof *in);
    if (!in) return err_set(e, ERR_NOMEM, "out of memory");
    int rc = describe(t, name, 1, in, e);
    if (rc == 0) {
        free(in);
        return not_found(t, name, e);
    }
    if (rc < 0) {
        free(in);
        return -rc;
    }
    const gnn_saved_meta_t *m = &in->meta;
    char line[1024];
    io_buf_str(b, "# gnnrec models show: the meta record, then the saved configuration\n# name: ");
    io_buf_str(b, in->name);
    io_buf_str(b, in->staged ? "\n# kind: staged\n" : "\n# kind: model\n# saved: ");
    if (!in->staged) {
        put_time(b, m->saved_at, 0);
        io_buf_str(b, "\n");
    }
    snprintf(line, sizeof line,
             "# meta_version: %u\n# arch: %s\n# users: %u\n# items: %u\n# entities: %u\n# dim: %u\n# layers: %u\n"
             "# batch_size: %u\n# negatives: %u\n# lr: %g\n# reg: %g\n# seed: %llu\n# steps: %llu\n# epochs: %u\n"
             "# best_epoch: %u\n# best_metric: %g\n# train_seconds: %.3f\n# valid_users: %u\n# edges:%s%s%s\n"
             "# weight_social: %g\n# weight_knowledge: %g\n# edge_norm: %s\n# steps_per_epoch: %u\n"
             "# lr_decay: %s\n# lr_warmup: %g\n# lr_min: %g\n# lr_decay_epochs: %u\n# valid_fraction: %g\n"
             "# fp32_tables: %u\n# blobs: %u\n# bytes: %llu\n",
             m->version, m->arch, m->n_users, m->n_items, m->n_entities, m->dim, m->layers, m->batch_size,
             m->negatives, m->lr, m->reg, (unsigned long long)m->seed, (unsigned long long)m->step, m->epoch,
             m->best_epoch, m->best_metric, m->train_seconds, m->valid_users,
             m->edges & GNN_SAVED_EDGE_INTERACTION ? " interaction" : "",
             m->edges & GNN_SAVED_EDGE_SOCIAL ? " social" : "", m->edges & GNN_SAVED_EDGE_KNOWLEDGE ? " knowledge" : "",
             m->w_social, m->w_knowledge, m->edge_norm ? "per-type" : "joint", m->steps_per_epoch,
             m->lr_decay < 3 ? lr_names[m->lr_decay] : "?", m->lr_warmup, m->lr_min, m->lr_epochs, m->valid_fraction,
             m->fp32_tables, in->blobs, (unsigned long long)in->bytes);
    io_buf_str(b, line);
    io_buf_str(b, "# metrics at best_epoch: ");
    io_buf_str(b, in->metrics[0] ? in->metrics : "none logged");
    io_buf_str(b, "\n");
    const void *p;
    size_t len = 0;
    rc = gnn_saved_blob(t, name, GNN_SAVED_KEY_CONFIG, &p, &len, e);
    if (rc == ERR_NOTFOUND) rc = ERR_OK;   /* a model without a config text: the meta is all there is */
    else if (!rc) io_buf_put(b, p, len);
    if (!rc && len && ((const char *)p)[len - 1] != '\n') io_buf_str(b, "\n");
    free(in);
    return rc;
}
