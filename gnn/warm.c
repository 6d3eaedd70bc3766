/* warm.c - warm.h: `train --init-from`. One pass over R for the new items,
 * one over the new users' rows; sums in row order (the same numbers
 * whatever the threads). */
#include "gnn/warm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/arch.h"
#include "gnn/rating.h"
#include "gnn/saved.h"

/* "--head dot", "--head mlp 64,32" */
static void head_text(const gnn_head_t *h, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "--head %s", h->n_layers ? "mlp " : "dot");
    for (uint32_t l = 0; l < h->n_layers && n > 0 && (size_t)n < cap; l++)
        n += snprintf(buf + n, cap - n, "%s%u", l ? "," : "", h->width[l]);
}

/* The model must be this run's but for its size: architecture, loss, head
 * (none for a BPR run: head NULL) and dim of the node rows (a rating
 * model's saved rows have 2 bias columns more). */
static int check_model(const char *from, const gnn_saved_meta_t *m, const gnn_head_t *mh, const gnn_hparams_t *hp,
                       const gnn_head_t *head, uint32_t nu, uint32_t ni, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_get(hp->arch);
    const char *const loss[] = {"bpr", "mse"};
    static const gnn_head_t dot = {0};
    if (!(a->caps & GNN_CAP_WARM))
        return err_set(e, ERR_USAGE, "--init-from: --arch %s has parameters other than node rows; "
                       "warm starts are for lightgcn, mf and svdpp", a->name);
    if (!gnn_arch_can(m->arch, GNN_CAP_WARM))
        return err_set(e, ERR_USAGE, "--init-from %s: a %s model has no node rows to start from (lightgcn, mf or svdpp)",
                       from, m->arch);
    if (strcmp(m->arch, a->name))
        return err_set(e, ERR_USAGE, "--init-from %s: the model is --arch %s, this run --arch %s", from, m->arch,
                       a->name);
    if (m->loss != (uint32_t)hp->loss)
        return err_set(e, ERR_USAGE, "--init-from %s: the model was trained with --loss %s, this run --loss %s", from,
                       loss[m->loss == GNN_LOSS_MSE], loss[hp->loss == GNN_LOSS_MSE]);
    if (!head) head = &dot;
    if (mh->n_layers != head->n_layers || memcmp(mh->width, head->width, head->n_layers * sizeof *head->width)) {
        char x[64], y[64];
        head_text(mh, x, sizeof x);
        head_text(head, y, sizeof y);
        return err_set(e, ERR_USAGE, "--init-from %s: the model has %s, this run %s", from, x, y);
    }
    const uint32_t extra = gnn_rating_applies((int)m->loss, mh->n_layers != 0) ? GNN_RATING_BIAS_COLS : 0;
    const uint32_t dim = m->dim - (m->dim >= extra ? extra : 0);   /* rows [p, b, 1] (rating.h) */
    if (dim != hp->dim)
        return err_set(e, ERR_USAGE, "--init-from %s: the model has dim %u, this run dim %u", from, dim, hp->dim);
    if (m->n_users > nu || m->n_items > ni)
        return err_set(e, ERR_USAGE, "--init-from %s: the model has %u users x %u items, the store %u x %u "
                       "(a model of another store?)", from, m->n_users, m->n_items, nu, ni);
    return ERR_OK;
}

/* The model's meta, checked against this run (head: NULL for a BPR run),
 * and its parameters (*p, *n floats: the saved state's, rows first). */
static int open_model(store_txn_t *t, const char *from, const gnn_hparams_t *hp, const gnn_head_t *head,
                      const graph_csr_t *train, gnn_saved_meta_t *m, const float **p, size_t *n, err_t *e)
{
    gnn_head_t mh = {0};
    const float *w;
    int rc = gnn_saved_meta(t, from, m, e);
    if (!rc && (rc = gnn_saved_head(t, from, m, &mh, &w, e)) == ERR_NOTFOUND) rc = ERR_OK;
    if (!rc) rc = check_model(from, m, &mh, hp, head, train->n_rows, train->n_cols, e);
    if (!rc) rc = gnn_saved_floats(t, from, GNN_SAVED_KEY_PARAMS, p, n, e);
    return rc;
}

static int wrong_size(const char *from, size_t n, size_t want, err_t *e)
{
    return err_set(e, ERR_STORE, "--init-from %s: %zu parameters, expected %zu", from, n, want);
}

/* The saved node rows p [(U0 + I0) x d] into emb0 [(nu + ni) x d], the
 * new nodes placed (warm.h). */
static int place_rows(const float *p, uint32_t u0, uint32_t i0, const graph_csr_t *train, uint32_t d, float *emb0,
                      gnn_warm_report_t *rep, err_t *e)
{
    const uint32_t nu = train->n_rows, ni = train->n_cols;
    memcpy(emb0, p, (size_t)u0 * d * sizeof *emb0);
    memcpy(emb0 + (size_t)nu * d, p + (size_t)u0 * d, (size_t)i0 * d * sizeof *emb0);
    rep->users_copied = u0;
    rep->items_copied = i0;
    float *items = emb0 + (size_t)nu * d;
    /* new items: the mean of their known users' rows (one pass over R) */
    uint32_t *cnt = calloc(ni > i0 ? ni - i0 : 1, sizeof *cnt);
    float *sum = calloc((size_t)(ni > i0 ? ni - i0 : 1) * d, sizeof *sum);
    if (!cnt || !sum) {
        free(cnt);
        free(sum);
        return err_set(e, ERR_NOMEM, "out of memory for the new items of a warm start");
    }
    for (uint32_t u = 0; u < u0; u++)
        for (uint64_t k = train->ptr[u]; k < train->ptr[u + 1]; k++) {
            const uint32_t i = train->col[k];
            if (i < i0) continue;
            float *s = sum + (size_t)(i - i0) * d;
            const float *row = emb0 + (size_t)u * d;
            for (uint32_t j = 0; j < d; j++) s[j] += row[j];
            cnt[i - i0]++;
        }
    for (uint32_t i = i0; i < ni; i++) {
        if (!cnt[i - i0]) { rep->items_random++; continue; }
        const float inv = 1.0f / (float)cnt[i - i0];
        for (uint32_t j = 0; j < d; j++) items[(size_t)i * d + j] = sum[(size_t)(i - i0) * d + j] * inv;
        rep->items_placed++;
    }
    free(cnt);
    free(sum);
    /* new users: the mean of their items' rows (known or just placed) */
    for (uint32_t u = u0; u < nu; u++) {
        const uint64_t a = train->ptr[u], b = train->ptr[u + 1];
        if (a == b) { rep->users_random++; continue; }
        float *row = emb0 + (size_t)u * d;
        memset(row, 0, d * sizeof *row);
        for (uint64_t k = a; k < b; k++) {
            const float *q = items + (size_t)train->col[k] * d;
            for (uint32_t j = 0; j < d; j++) row[j] += q[j];
        }
        const float inv = 1.0f / (float)(b - a);
        for (uint32_t j = 0; j < d; j++) row[j] *= inv;
        rep->users_placed++;
    }
    return ERR_OK;
}

int gnn_warm_start(store_txn_t *t, const char *from, const gnn_hparams_t *hp, const graph_csr_t *train,
                   float *emb0, gnn_warm_report_t *rep, err_t *e)
{
    memset(rep, 0, sizeof *rep);
    gnn_saved_meta_t m;
    const float *p;
    size_t n;
    int rc = open_model(t, from, hp, NULL, train, &m, &p, &n, e);
    if (rc) return rc;
    const size_t want = ((size_t)m.n_users + m.n_items) * hp->dim;
    if (n != want) return wrong_size(from, n, want, e);
    return place_rows(p, m.n_users, m.n_items, train, hp->dim, emb0, rep, e);
}

/* After the node rows of a rating model: bu [U0], bi [I0], svdpp's Y
 * [I0 x dim], the head's weights (rating.h's layout). The known nodes'
 * biases and y rows are copied; new nodes keep the run's (0, seeded). */
int gnn_warm_start_rating(store_txn_t *t, const char *from, const gnn_hparams_t *hp, const graph_csr_t *train,
                          struct gnn_rating_model *r, gnn_warm_report_t *rep, err_t *e)
{
    memset(rep, 0, sizeof *rep);
    gnn_saved_meta_t m;
    const float *p;
    size_t n;
    int rc = open_model(t, from, hp, &r->head, train, &m, &p, &n, e);
    if (rc) return rc;
    const uint32_t u0 = m.n_users, i0 = m.n_items, d = hp->dim;
    const size_t rows = ((size_t)u0 + i0) * d, n_y = r->Y ? (size_t)i0 * d : 0;
    const size_t want = rows + u0 + i0 + n_y + r->head.n_params;
    if (n != want) return wrong_size(from, n, want, e);
    if ((rc = place_rows(p, u0, i0, train, d, r->params, rep, e))) return rc;
    memcpy(r->bu, p + rows, u0 * sizeof *r->bu);
    memcpy(r->bi, p + rows + u0, i0 * sizeof *r->bi);
    if (n_y) memcpy(r->Y, p + rows + u0 + i0, n_y * sizeof *r->Y);
    if (r->head.n_params) memcpy(r->hw, p + rows + u0 + i0 + n_y, r->head.n_params * sizeof *r->hw);
    return ERR_OK;
}
