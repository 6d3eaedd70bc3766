/* warm.c - warm.h: `train --init-from`. One pass over R for the new items,
 * one over the new users' rows; sums in row order (the same numbers
 * whatever the threads). */
#include "gnn/warm.h"

#include <stdlib.h>
#include <string.h>

#include "gnn/arch.h"
#include "gnn/saved.h"

static int check_model(const char *from, const gnn_saved_meta_t *m, const gnn_hparams_t *hp, uint32_t nu,
                       uint32_t ni, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_get(hp->arch);
    if (hp->arch != GNN_ARCH_LIGHTGCN && hp->arch != GNN_ARCH_MF)
        return err_set(e, ERR_USAGE, "--init-from: --arch %s has parameters other than node rows; "
                       "warm starts are for lightgcn and mf", a->name);
    if (strcmp(m->arch, "lightgcn") && strcmp(m->arch, "mf"))
        return err_set(e, ERR_USAGE, "--init-from %s: a %s model has no node rows to start from (lightgcn or mf)",
                       from, m->arch);
    if (strcmp(m->arch, a->name))
        return err_set(e, ERR_USAGE, "--init-from %s: the model is --arch %s, this run --arch %s", from, m->arch,
                       a->name);
    if (m->dim != hp->dim)
        return err_set(e, ERR_USAGE, "--init-from %s: the model has dim %u, this run dim %u", from, m->dim, hp->dim);
    if (m->loss != (uint32_t)hp->loss)
        return err_set(e, ERR_USAGE, "--init-from %s: the model was trained with --loss %s", from,
                       m->loss == GNN_LOSS_MSE ? "mse" : "bpr");
    if (m->n_users > nu || m->n_items > ni)
        return err_set(e, ERR_USAGE, "--init-from %s: the model has %u users x %u items, the store %u x %u "
                       "(a model of another store?)", from, m->n_users, m->n_items, nu, ni);
    return ERR_OK;
}

int gnn_warm_start(store_txn_t *t, const char *from, const gnn_hparams_t *hp, const graph_csr_t *train,
                   float *emb0, gnn_warm_report_t *rep, err_t *e)
{
    memset(rep, 0, sizeof *rep);
    gnn_saved_meta_t m;
    const float *p;
    size_t n;
    const uint32_t nu = train->n_rows, ni = train->n_cols, d = hp->dim;
    int rc = gnn_saved_meta(t, from, &m, e);
    if (!rc) rc = check_model(from, &m, hp, nu, ni, e);
    if (!rc) rc = gnn_saved_floats(t, from, GNN_SAVED_KEY_PARAMS, &p, &n, e);
    if (rc) return rc;
    if (n != ((size_t)m.n_users + m.n_items) * m.dim)
        return err_set(e, ERR_STORE, "--init-from %s: %zu parameters, expected %zu", from, n,
                       ((size_t)m.n_users + m.n_items) * m.dim);
    const uint32_t u0 = m.n_users, i0 = m.n_items;
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
