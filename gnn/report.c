/* report.c - the HTML report on a store's models (report.h). Reads in one
 * read transaction: the model listing (saved_admin.c), each model's metrics
 * log, the training CSR, and each model's rankings of a user sample through
 * gnn_rank_user_ids with a sink (no rows formatted). Assumes the metrics
 * log lines the trainer writes: {"epoch":N,"loss":..,"KEY@K":..,...}. */
#include "gnn/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/eval.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "gnn/svg.h"
#include "graph/load.h"
#include "io/writer.h"

/* ---- the models listed ---- */

typedef struct infos {
    gnn_saved_info_t *v;   /* [n] */
    size_t n, cap;
} infos_t;

static int collect(const gnn_saved_info_t *in, void *ctx, err_t *e)
{
    infos_t *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        void *p = realloc(l->v, cap * sizeof *l->v);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory listing the models");
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = *in;
    return ERR_OK;
}

/* ---- numbers ---- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gnn_report_gini(double *x, size_t n)
{
    double sum = 0, acc = 0;
    if (!n) return 0;
    qsort(x, n, sizeof *x, cmp_double);
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        acc += (2.0 * (double)(i + 1) - (double)n - 1.0) * x[i];
    }
    return sum > 0 ? acc / ((double)n * sum) : 0;
}

static void num(io_buf_t *b, const char *f, double v)
{
    char s[64];
    int l = snprintf(s, sizeof s, f, v);
    io_buf_put(b, s, l > 0 && (size_t)l < sizeof s ? (size_t)l : 0);
}

/* popularity bias of counts cnt[0..ni) (recommendations or training
 * degrees): coverage, Gini and the top-1% share (top marks those items) */
typedef struct bias { double coverage, gini, top_share, total; } bias_t;

static int bias_of(const double *cnt, const unsigned char *top, uint32_t ni, bias_t *r, err_t *e)
{
    double *x = malloc((ni ? ni : 1) * sizeof *x), in_top = 0;
    if (!x) return err_set(e, ERR_NOMEM, "out of memory");
    uint32_t covered = 0;
    r->total = 0;
    for (uint32_t i = 0; i < ni; i++) {
        x[i] = cnt[i];
        covered += cnt[i] > 0;
        r->total += cnt[i];
        if (top[i]) in_top += cnt[i];
    }
    r->coverage = ni ? (double)covered / ni : 0;
    r->top_share = r->total > 0 ? in_top / r->total : 0;
    r->gini = gnn_report_gini(x, ni);
    free(x);
    return ERR_OK;
}

typedef struct deg_id { double deg; uint32_t id; } deg_id_t;

static int cmp_pop(const void *a, const void *b)
{
    const deg_id_t *x = a, *y = b;
    if (x->deg != y->deg) return x->deg > y->deg ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* top[i] = 1 for the ceil(1%) most popular items (at least one) */
static int top_items(const double *deg, uint32_t ni, unsigned char *top, err_t *e)
{
    deg_id_t *v = malloc((ni ? ni : 1) * sizeof *v);
    if (!v) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < ni; i++) v[i] = (deg_id_t){deg[i], i};
    qsort(v, ni, sizeof *v, cmp_pop);
    uint32_t nt = (ni + 99) / 100;
    memset(top, 0, ni);
    for (uint32_t i = 0; i < nt && i < ni; i++) top[v[i].id] = 1;
    free(v);
    return ERR_OK;
}

/* ---- sections ---- */

static const char style[] =
    "<style>body{font-family:sans-serif;margin:16px;max-width:1180px;color:#222}"
    "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #bbb;padding:3px 8px;"
    "text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}"
    "svg{margin:4px 8px 4px 0;border:1px solid #ddd}h2{margin-top:28px}.note{color:#666}</style>";

static void esc(io_buf_t *b, const char *s) { gnn_svg_esc(b, s, strlen(s)); }

/* the distinct metric keys (as logged, quoted) of the models, in first-seen order */
static void metrics_table(io_buf_t *b, gnn_saved_info_t *const *m, size_t n)
{
    char keys[32][64];
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        for (const char *p = m[i]->metrics; (p = strchr(p, '"')); ) {
            const char *q = strchr(p + 1, '"');
            if (!q) break;
            size_t l = (size_t)(q - p - 1), k = 0;
            while (k < nk && (strlen(keys[k]) != l || memcmp(keys[k], p + 1, l))) k++;
            if (k == nk && nk < 32 && l < sizeof keys[0]) snprintf(keys[nk++], sizeof keys[0], "%.*s", (int)l, p + 1);
            p = strchr(q, ',');
            if (!p) break;
        }
    io_buf_str(b, "<h2>Models</h2><table><tr><th>model</th><th>arch</th><th>dim</th><th>layers</th><th>epochs</th>"
                  "<th>best epoch</th>");
    for (size_t k = 0; k < nk; k++) {
        io_buf_str(b, "<th>");
        esc(b, keys[k]);
        io_buf_str(b, "</th>");
    }
    io_buf_str(b, "</tr>\n");
    for (size_t i = 0; i < n; i++) {
        const gnn_saved_meta_t *mt = &m[i]->meta;
        io_buf_str(b, "<tr><td class=\"model\">");
        esc(b, m[i]->name);
        io_buf_str(b, "</td><td>");
        esc(b, mt->arch);
        const uint64_t v[4] = {mt->dim, mt->layers, mt->epoch, mt->best_epoch};
        for (int k = 0; k < 4; k++) {
            io_buf_str(b, "</td><td>");
            io_buf_u64(b, v[k]);
        }
        io_buf_str(b, "</td>");
        for (size_t k = 0; k < nk; k++) {
            char want[80];
            int wl = snprintf(want, sizeof want, "\"%s\":", keys[k]);
            const char *p = strstr(m[i]->metrics, want);
            io_buf_str(b, "<td class=\"metric\">");
            if (p) {   /* the value as logged, up to the next member */
                p += wl;
                const char *q = strchr(p, ',');
                gnn_svg_esc(b, p, q ? (size_t)(q - p) : strlen(p));
            } else {
                io_buf_str(b, "-");
            }
            io_buf_str(b, "</td>");
        }
        io_buf_str(b, "</tr>\n");
    }
    io_buf_str(b, "</table>\n");
}

/* One model's curves from its metrics log: loss, and every "KEY@K" member. */
enum { MAX_CURVES = 40 };
typedef struct curves {
    char key[MAX_CURVES][64];
    double *x[MAX_CURVES], *y[MAX_CURVES];   /* [lines] each */
    size_t n[MAX_CURVES], nc, lines;
} curves_t;

static int curve_add(curves_t *c, const char *k, size_t kl, double ep, double v, err_t *e)
{
    size_t i = 0;
    while (i < c->nc && (strlen(c->key[i]) != kl || memcmp(c->key[i], k, kl))) i++;
    if (i == c->nc) {
        if (c->nc == MAX_CURVES || kl >= sizeof c->key[0]) return ERR_OK;   /* more: left out */
        snprintf(c->key[i], sizeof c->key[0], "%.*s", (int)kl, k);
        c->x[i] = malloc(c->lines * sizeof(double));
        c->y[i] = malloc(c->lines * sizeof(double));
        c->n[i] = 0;
        c->nc++;
        if (!c->x[i] || !c->y[i]) return err_set(e, ERR_NOMEM, "out of memory");
    }
    if (c->n[i] < c->lines) {
        c->x[i][c->n[i]] = ep;
        c->y[i][c->n[i]++] = v;
    }
    return ERR_OK;
}

static void curves_destroy(curves_t *c)
{
    for (size_t i = 0; i < c->nc; i++) { free(c->x[i]); free(c->y[i]); }
    c->nc = 0;
}

static int curves_read(const char *p, size_t len, curves_t *c, err_t *e)
{
    memset(c, 0, sizeof *c);
    c->lines = 1;
    for (size_t i = 0; i < len; i++) c->lines += p[i] == '\n';
    int rc = ERR_OK;
    for (const char *q = p, *end = p + len; q < end && !rc;) {
        const char *eol = memchr(q, '\n', (size_t)(end - q));
        const char *le = eol ? eol : end;
        char line[2048];
        size_t ll = (size_t)(le - q) < sizeof line - 1 ? (size_t)(le - q) : sizeof line - 1;
        memcpy(line, q, ll);
        line[ll] = 0;
        q = le + 1;
        const char *ep = strstr(line, "\"epoch\":");
        if (!ep) continue;
        double epoch = strtod(ep + 8, NULL);
        for (char *k = line; !rc && (k = strchr(k, '"'));) {
            char *ke = strchr(k + 1, '"');
            if (!ke || ke[1] != ':') break;
            char *ve;
            double v = strtod(ke + 2, &ve);
            size_t kl = (size_t)(ke - k - 1);
            if (ve != ke + 2 && isfinite(v) && ((kl == 4 && !memcmp(k + 1, "loss", 4)) || memchr(k + 1, '@', kl)))
                rc = curve_add(c, k + 1, kl, epoch, v, e);
            k = ve;
        }
    }
    return rc;
}

static int training_curves(store_txn_t *t, io_buf_t *b, gnn_saved_info_t *const *m, size_t n, uint32_t *charts,
                           err_t *e)
{
    io_buf_str(b, "<h2>Training curves</h2>\n");
    int rc = ERR_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const void *p;
        size_t len = 0;
        err_t miss;
        curves_t c;
        io_buf_str(b, "<h3>");
        esc(b, m[i]->name);
        io_buf_str(b, " (");
        esc(b, m[i]->meta.arch);
        io_buf_str(b, ")</h3>\n");
        if (gnn_saved_blob(t, m[i]->name, GNN_SAVED_KEY_METRICS, &p, &len, &miss)) len = 0;
        if ((rc = curves_read(len ? p : "", len, &c, e))) { curves_destroy(&c); break; }
        gnn_svg_series_t s[MAX_CURVES];
        size_t ns = 0, loss = c.nc;
        for (size_t k = 0; k < c.nc; k++) {
            if (!strcmp(c.key[k], "loss")) { loss = k; continue; }
            s[ns++] = (gnn_svg_series_t){c.key[k], c.x[k], c.y[k], c.n[k]};
        }
        if (loss == c.nc) {
            io_buf_str(b, "<p class=\"note\">no training log (a model fitted without epochs)</p>\n");
        } else {
            gnn_svg_series_t ls = {"loss", c.x[loss], c.y[loss], c.n[loss]};
            gnn_svg_chart(b, &(gnn_svg_chart_t){.title = "training loss", .xlabel = "epoch", .ylabel = "loss",
                                                .s = &ls, .n = 1});
            ++*charts;
        }
        if (ns) {
            gnn_svg_chart(b, &(gnn_svg_chart_t){.title = "evaluated metrics", .xlabel = "epoch", .ylabel = "value",
                                                .s = s, .n = ns});
            ++*charts;
        }
        curves_destroy(&c);
    }
    return rc;
}

/* log-log: nodes with each degree >= 1, users (rows) and items (columns) */
static int degree_charts(io_buf_t *b, const graph_csr_t *tr, uint32_t *charts, err_t *e)
{
    const uint32_t nu = tr->n_rows, ni = tr->n_cols;
    double *deg = calloc((size_t)nu + ni + 1, sizeof *deg);
    float *col = malloc(((size_t)ni + 1) * sizeof *col);
    double *hx[2] = {0}, *hy[2] = {0};
    size_t hn[2] = {0, 0};
    int rc = (!deg || !col) ? err_set(e, ERR_NOMEM, "out of memory") : ERR_OK;
    if (!rc) {
        graph_csr_col_degrees(tr, col);
        for (uint32_t u = 0; u < nu; u++) deg[u] = (double)(tr->ptr[u + 1] - tr->ptr[u]);
        for (uint32_t i = 0; i < ni; i++) deg[nu + i] = col[i];
    }
    for (int side = 0; side < 2 && !rc; side++) {
        double *d = side ? deg + nu : deg;
        size_t n = side ? ni : nu;
        hx[side] = malloc((n + 1) * sizeof(double));
        hy[side] = malloc((n + 1) * sizeof(double));
        if (!hx[side] || !hy[side]) { rc = err_set(e, ERR_NOMEM, "out of memory"); break; }
        double *sorted = hx[side];   /* sort a copy, then run-length it in place */
        memcpy(sorted, d, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, cmp_double);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && sorted[j] == sorted[i]) j++;
            if (sorted[i] >= 1) { hy[side][hn[side]] = (double)(j - i); hx[side][hn[side]++] = sorted[i]; }
            i = j;
        }
    }
    if (!rc) {
        io_buf_str(b, "<h2>Degree distributions (training)</h2>\n");
        gnn_svg_series_t s[2] = {{"users", hx[0], hy[0], hn[0]}, {"items", hx[1], hy[1], hn[1]}};
        gnn_svg_chart(b, &(gnn_svg_chart_t){.title = "nodes per training degree", .xlabel = "degree",
                                            .ylabel = "nodes", .log_x = 1, .log_y = 1, .scatter = 1, .s = s, .n = 2});
        ++*charts;
    }
    for (int side = 0; side < 2; side++) { free(hx[side]); free(hy[side]); }
    free(deg);
    free(col);
    return rc;
}

typedef struct counter { double *cnt; uint32_t ni; } counter_t;

static int count_recs(void *ctx, size_t query, const uint32_t *items, const float *scores, uint32_t k, err_t *e)
{
    (void)query; (void)scores; (void)e;
    counter_t *c = ctx;
    for (uint32_t r = 0; r < k; r++)
        if (items[r] != GNN_ITEM_NONE && items[r] < c->ni) c->cnt[items[r]] += 1;
    return ERR_OK;
}

static void bias_row(io_buf_t *b, const char *name, const char *arch, const bias_t *r)
{
    io_buf_str(b, "<tr><td>");
    esc(b, name);
    io_buf_str(b, "</td><td>");
    esc(b, arch);
    io_buf_str(b, "</td><td>");
    io_buf_u64(b, (uint64_t)r->total);
    num(b, "</td><td>%.4f", r->coverage);
    num(b, "</td><td>%.4f", r->gini);
    num(b, "</td><td>%.4f</td></tr>\n", r->top_share);
}

static int popularity(store_txn_t *t, io_buf_t *b, gnn_saved_info_t *const *m, size_t n, const graph_csr_t *tr,
                      const gnn_report_opts_t *o, uint32_t *sampled, err_t *e)
{
    const uint32_t nu = tr->n_rows, ni = tr->n_cols, k = o->k ? o->k : 20;
    const uint32_t want = o->users ? o->users : 2000, ns = want < nu ? want : nu;
    float *colf = malloc(((size_t)ni + 1) * sizeof *colf);
    double *deg = malloc(((size_t)ni + 1) * sizeof *deg), *cnt = malloc(((size_t)ni + 1) * sizeof *cnt);
    unsigned char *top = malloc((size_t)ni + 1);
    uint32_t *ids = malloc(((size_t)nu + 1) * sizeof *ids);
    int rc = (!colf || !deg || !cnt || !top || !ids) ? err_set(e, ERR_NOMEM, "out of memory") : ERR_OK;
    bias_t r;
    if (!rc) {
        graph_csr_col_degrees(tr, colf);
        for (uint32_t i = 0; i < ni; i++) deg[i] = colf[i];
        for (uint32_t u = 0; u < nu; u++) ids[u] = u;
        rng_t g;
        rng_seed(&g, o->seed);
        rng_shuffle_u32(&g, ids, nu);   /* the sample: the first ns of a seeded shuffle */
        rc = top_items(deg, ni, top, e);
    }
    if (!rc) rc = bias_of(deg, top, ni, &r, e);
    if (!rc) {
        *sampled = ns;
        io_buf_str(b, "<h2>Popularity bias</h2><p>Top-");
        io_buf_u64(b, k);
        io_buf_str(b, " of ");
        io_buf_u64(b, ns);
        io_buf_str(b, " sampled users (seed ");
        io_buf_u64(b, o->seed);
        io_buf_str(b, ", training items excluded, ranked as <code>gnnrec infer</code> ranks). Coverage: share of the ");
        io_buf_u64(b, ni);
        io_buf_str(b, " items recommended to anyone; Gini of the recommendation counts over all items; "
                      "top-1%: share of "
                      "the recommendations going to the ");
        io_buf_u64(b, (ni + 99) / 100);
        io_buf_str(b, " most popular items in training. The first row is the training interactions themselves.</p>"
                      "<table><tr><th>model</th><th>arch</th><th>recommendations</th><th>coverage</th><th>Gini</th>"
                      "<th>top-1% share</th></tr>\n");
        bias_row(b, "(training interactions)", "-", &r);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        gnn_ranker_t rk;
        counter_t c = {cnt, ni};
        memset(cnt, 0, ((size_t)ni + 1) * sizeof *cnt);
        gnn_rank_opts_t ro = {.k = k, .threads = o->threads, .sink = count_recs, .sink_ctx = &c};
        if ((rc = gnn_ranker_open(&rk, t, m[i]->name, e)) || (rc = gnn_rank_user_ids(&rk, ids, ns, &ro, NULL, e)) ||
            (rc = bias_of(cnt, top, ni, &r, e)))
            break;
        bias_row(b, m[i]->name, m[i]->meta.arch, &r);
    }
    if (!rc) io_buf_str(b, "</table>\n");
    free(colf); free(deg); free(cnt); free(top); free(ids);
    return rc;
}

/* ---- the page ---- */

int gnn_report_write(store_t *s, const char *const *models, size_t n, const char *out_path,
                     const gnn_report_opts_t *opts, gnn_report_summary_t *sum, err_t *e)
{
    static const gnn_report_opts_t defaults = {0};
    const gnn_report_opts_t *o = opts ? opts : &defaults;
    store_txn_t t;
    infos_t l = {0};
    graph_interactions_t g = {0};
    gnn_saved_info_t **pick = NULL;
    io_writer_t w;
    gnn_report_summary_t sm = {0};
    int rc, have_w = 0;
    if ((rc = store_read_begin(s, &t, e))) return rc;
    if ((rc = gnn_saved_list(&t, 0, collect, &l, e))) goto out;
    size_t np = n ? n : l.n;
    pick = malloc((np ? np : 1) * sizeof *pick);
    if (!pick) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (size_t i = 0; i < np; i++) {
        size_t j = 0;
        if (!n) { pick[i] = &l.v[i]; continue; }
        while (j < l.n && strcmp(l.v[j].name, models[i])) j++;
        if (j == l.n) {   /* the ranker's message names the store's models */
            char name[GNN_SAVED_NAME_MAX + 1];
            rc = gnn_ranker_pick_model(&t, models[i], name, sizeof name, e);
            if (!rc) rc = err_set(e, ERR_NOTFOUND, "no model named '%s' in this store", models[i]);
            goto out;
        }
        pick[i] = &l.v[j];
    }
    if (!np) {
        rc = err_set(e, ERR_NOTFOUND, "no trained model in this store (train one with gnnrec train)");
        goto out;
    }
    if ((rc = graph_load_interactions(&t, &g, e))) goto out;
    if ((rc = io_writer_open(&w, out_path, 0, e))) goto out;
    have_w = 1;
    io_buf_t *b = &w.buf;
    io_buf_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gnnrec report</title>");
    io_buf_str(b, style);
    io_buf_str(b, "</head><body><h1>gnnrec report</h1><p>");
    io_buf_u64(b, g.n_users);
    io_buf_str(b, " users, ");
    io_buf_u64(b, g.n_items);
    io_buf_str(b, " items, ");
    io_buf_u64(b, g.train.nnz);
    io_buf_str(b, " training and ");
    io_buf_u64(b, g.test.nnz);
    io_buf_str(b, " test interactions; ");
    io_buf_u64(b, np);
    io_buf_str(b, np == 1 ? " model.</p>\n" : " models.</p>\n");
    metrics_table(b, pick, np);
    if ((rc = io_writer_flush(&w, e)) || (rc = training_curves(&t, b, pick, np, &sm.charts, e)) ||
        (rc = io_writer_flush(&w, e)) || (rc = degree_charts(b, &g.train, &sm.charts, e)) ||
        (rc = popularity(&t, b, pick, np, &g.train, o, &sm.sampled, e)))
        goto out;
    io_buf_str(b, "</body></html>\n");
    sm.models = (uint32_t)np;
    if ((rc = io_writer_flush(&w, e))) goto out;
    sm.bytes = (uint64_t)ftell(w.f);
    have_w = 0;
    rc = io_writer_close(&w, e);
    if (!rc && sum) *sum = sm;
out:
    if (have_w) io_writer_abort(&w);
    graph_interactions_destroy(&g);
    free(pick);
    free(l.v);
    store_read_end(&t);
    return rc;
}
