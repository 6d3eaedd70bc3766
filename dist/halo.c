/* halo.c (dist/) - dist/halo.h: a rank's rows of A_hat built from R, its
 * halo and send lists, and the exchange. Assumes every rank holds the same
 * R (and joint edge lists) and owner array (each loaded its copy of the
 * store). */
#include "dist/halo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dist_halo_destroy(dist_halo_t *h)
{
    free(h->pos);
    free(h->own);
    free(h->halo);
    graph_csr_destroy(&h->a);
    free(h->scount);
    free(h->sdispl);
    free(h->rcount);
    free(h->rdispl);
    free(h->send);
    free(h->buf);
    memset(h, 0, sizeof *h);
}

/* 1/sqrt(degree) of every node, as graph_norm_bipartite computes it. */
static float *inv_sqrt_degrees(const graph_csr_t *r)
{
    const uint32_t nu = r->n_rows, ni = r->n_cols;
    float *dinv = malloc(((size_t)nu + ni + 1) * sizeof *dinv);
    uint64_t *deg = calloc((size_t)ni + 1, sizeof *deg);
    if (!dinv || !deg) {
        free(dinv);
        free(deg);
        return NULL;
    }
    for (uint64_t k = 0; k < r->nnz; k++) deg[r->col[k]]++;
    for (uint32_t u = 0; u < nu; u++) {
        uint64_t d = r->ptr[u + 1] - r->ptr[u];
        dinv[u] = d ? (float)(1.0 / sqrt((double)d)) : 0.0f;
    }
    for (uint32_t i = 0; i < ni; i++) dinv[nu + i] = deg[i] ? (float)(1.0 / sqrt((double)deg[i])) : 0.0f;
    free(deg);
    return dinv;
}

/* The owned rows in global column ids: users' rows are R's, items' rows
 * their users in ascending order (R^T as graph_csr_transpose makes it). */
static int owned_rows(dist_halo_t *h, const graph_csr_t *r, int me, err_t *e)
{
    const uint32_t nu = r->n_rows, *owner = h->owner;
    uint64_t nnz = 0;
    uint64_t *ideg = calloc((size_t)r->n_cols + 1, sizeof *ideg);
    if (!ideg) return err_set(e, ERR_NOMEM, "out of memory for a rank's rows");
    for (uint64_t k = 0; k < r->nnz; k++) ideg[r->col[k]]++;
    for (uint32_t q = 0; q < h->n_own; q++) {
        uint32_t v = h->own[q];
        nnz += v < nu ? r->ptr[v + 1] - r->ptr[v] : ideg[v - nu];
    }
    int rc = graph_csr_init(&h->a, h->n_own, h->n_own, nnz, 1, e);
    float *dinv = rc ? NULL : inv_sqrt_degrees(r);
    if (!rc && !dinv) rc = err_set(e, ERR_NOMEM, "out of memory for degrees");
    if (rc) {
        free(ideg);
        return rc;
    }
    graph_csr_t *a = &h->a;
    a->ptr[0] = 0;
    for (uint32_t q = 0; q < h->n_own; q++) {
        uint32_t v = h->own[q];
        a->ptr[q + 1] = a->ptr[q] + (v < nu ? r->ptr[v + 1] - r->ptr[v] : ideg[v - nu]);
        if (v >= nu) continue;
        uint64_t o = a->ptr[q];
        for (uint64_t k = r->ptr[v]; k < r->ptr[v + 1]; k++, o++) {
            a->col[o] = nu + r->col[k];
            a->val[o] = dinv[v] * dinv[nu + r->col[k]];
        }
    }
    /* item rows: walk R in user order, appending each user to its item's row */
    uint64_t *fill = ideg;   /* reused: next free entry of each owned item's row */
    for (uint32_t q = 0; q < h->n_own; q++)
        if (h->own[q] >= nu) fill[h->own[q] - nu] = a->ptr[q];
    for (uint32_t u = 0; u < nu; u++)
        for (uint64_t k = r->ptr[u]; k < r->ptr[u + 1]; k++) {
            uint32_t i = r->col[k];
            if ((int)owner[nu + i] != me) continue;
            uint64_t o = fill[i]++;
            a->col[o] = u;
            a->val[o] = dinv[nu + i] * dinv[u];
        }
    free(dinv);
    free(ideg);
    return ERR_OK;
}

/* Collective in neither: the owned nodes (pos, own), then the rows of A_hat
 * from R (joint NULL) or from the joint graph's edge lists, then the halo
 * and the send lists from the rows' columns. */
static int halo_init(dist_halo_t *h, const dist_t *d, const graph_csr_t *r, const graph_typed_edges_t *joint,
                     const graph_typed_opts_t *jo, const uint32_t *owner, err_t *e)
{
    memset(h, 0, sizeof *h);
    const int P = d->size, me = d->rank;
    const uint64_t n64 = (uint64_t)r->n_rows + r->n_cols + (joint && jo->knowledge ? joint->n_entities : 0);
    if (n64 > UINT32_MAX) return err_set(e, ERR_USAGE, "too many nodes");
    const uint32_t n = (uint32_t)n64;
    h->n_users = r->n_rows;
    h->n_nodes = n;
    h->owner = owner;
    h->pos = malloc(((size_t)n + 1) * sizeof *h->pos);
    h->scount = calloc((size_t)P, sizeof(int));
    h->sdispl = calloc((size_t)P, sizeof(int));
    h->rcount = calloc((size_t)P, sizeof(int));
    h->rdispl = calloc((size_t)P, sizeof(int));
    uint32_t *cnt = calloc((size_t)P, sizeof *cnt), *hidx = NULL;
    int *seen = malloc((size_t)P * sizeof *seen);
    int rc = ERR_OK;
    if (!h->pos || !h->scount || !h->sdispl || !h->rcount || !h->rdispl || !cnt || !seen) goto nomem;
    for (uint32_t v = 0; v < n; v++) {
        if ((int)owner[v] >= P) {
            rc = err_set(e, ERR_INTERNAL, "node %u: part %u of %d", v, owner[v], P);
            goto out;
        }
        h->pos[v] = cnt[owner[v]]++;
    }
    h->n_own = cnt[me];
    if (!(h->own = malloc(((size_t)h->n_own + 1) * sizeof *h->own))) goto nomem;
    for (uint32_t v = 0, q = 0; v < n; v++)
        if ((int)owner[v] == me) h->own[q++] = v;
    if (joint) {
        /* graph_typed_rows keeps A_hat's columns in global ids, as owned_rows */
        if ((rc = graph_typed_rows(joint, jo, h->own, h->n_own, &h->a, NULL, &h->counts, e))) goto out;
        h->a.n_cols = h->n_own;
    } else if ((rc = owned_rows(h, r, me, e))) {
        goto out;
    }
    /* the halo: every column owned elsewhere, grouped by owner, ascending */
    if (!(hidx = malloc(((size_t)n + 1) * sizeof *hidx))) goto nomem;
    const uint32_t NONE = UINT32_MAX;
    for (uint32_t v = 0; v < n; v++) hidx[v] = NONE;
    for (uint64_t k = 0; k < h->a.nnz; k++) {
        uint32_t v = h->a.col[k];
        if ((int)owner[v] != me) hidx[v] = 0;
    }
    memset(cnt, 0, (size_t)P * sizeof *cnt);
    for (uint32_t v = 0; v < n; v++)
        if (hidx[v] != NONE) cnt[owner[v]]++;
    uint32_t total = 0;
    for (int q = 0; q < P; q++) {
        h->rdispl[q] = (int)total;
        h->rcount[q] = (int)cnt[q];
        total += cnt[q];
    }
    h->n_halo = total;
    if (!(h->halo = malloc(((size_t)total + 1) * sizeof *h->halo))) goto nomem;
    memset(cnt, 0, (size_t)P * sizeof *cnt);
    for (uint32_t v = 0; v < n; v++)
        if (hidx[v] != NONE) {
            uint32_t k = (uint32_t)h->rdispl[owner[v]] + cnt[owner[v]]++;
            h->halo[k] = v;
            hidx[v] = h->n_own + k;
        }
    h->a.n_cols = h->n_own + h->n_halo;
    /* send lists: owned row q goes to every other rank owning a neighbour */
    memset(cnt, 0, (size_t)P * sizeof *cnt);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            uint64_t s = 0;
            for (int q = 0; q < P; q++) {
                h->sdispl[q] = (int)s;
                h->scount[q] = (int)cnt[q];
                s += cnt[q];
            }
            h->n_send = s;
            if (!(h->send = malloc((size_t)(s + 1) * sizeof *h->send))) goto nomem;
            memset(cnt, 0, (size_t)P * sizeof *cnt);
        }
        for (int q = 0; q < P; q++) seen[q] = -1;
        for (uint32_t row = 0; row < h->n_own; row++)
            for (uint64_t k = h->a.ptr[row]; k < h->a.ptr[row + 1]; k++) {
                int p = (int)owner[h->a.col[k]];
                if (p == me || seen[p] == (int)row) continue;
                seen[p] = (int)row;
                if (pass == 1) h->send[h->sdispl[p] + cnt[p]] = row;
                cnt[p]++;
            }
    }
    /* columns into local ids, in place, order kept */
    for (uint64_t k = 0; k < h->a.nnz; k++) {
        uint32_t v = h->a.col[k];
        h->a.col[k] = (int)owner[v] == me ? h->pos[v] : hidx[v];
    }
    goto out;
nomem:
    rc = err_set(e, ERR_NOMEM, "out of memory for a rank's halo");
out:
    free(cnt);
    free(seen);
    free(hidx);
    if (rc) dist_halo_destroy(h);
    return rc;
}

int dist_halo_init(dist_halo_t *h, const dist_t *d, const graph_csr_t *r, const uint32_t *owner, err_t *e)
{
    return halo_init(h, d, r, NULL, NULL, owner, e);
}

int dist_halo_init_joint(dist_halo_t *h, const dist_t *d, const graph_typed_edges_t *in, const graph_typed_opts_t *o,
                         const uint32_t *owner, err_t *e)
{
    return halo_init(h, d, in->train, in, o, owner, e);
}

/* Rows per destination per round: the pack buffer is at most P x this
 * many rows, not a copy of every boundary row (the tests' environment
 * variable makes rounds of a few rows). */
static uint64_t round_rows(size_t row_bytes)
{
    const char *env = getenv("GNNREC_DIST_BLOCK_ROWS");
    if (env && atol(env) > 0) return (uint64_t)atol(env);
    uint64_t c = (4u << 20) / row_bytes;
    return c ? c : 1;
}

int dist_halo_exchange(dist_halo_t *h, const dist_t *d, void *table, size_t row_bytes, err_t *e)
{
    const int P = d->size;
    int rc = ERR_OK;
    if (!h->most_known) {   /* the most rows any rank sends any rank: the number of rounds */
        uint64_t m = 0;
        for (int q = 0; q < P; q++) m = (uint64_t)h->scount[q] > m ? (uint64_t)h->scount[q] : m;
        if ((rc = dist_max_u64(d, m, &h->most, e))) return rc;
        h->most_known = 1;
    }
    const uint64_t C = round_rows(row_bytes);
    size_t need = ((size_t)P * C + 1) * row_bytes;
    if (need > h->buf_cap) {
        free(h->buf);
        if (!(h->buf = malloc(need))) {
            h->buf_cap = 0;
            return err_set(e, ERR_NOMEM, "out of memory for a halo buffer of %zu bytes", need);
        }
        h->buf_cap = need;
    }
    char *b = h->buf;
    const char *t = table;
    char *recv = (char *)table + (size_t)h->n_own * row_bytes;
    int sc[256], sd[256], rcn[256], rd[256];
    if (P > 256) return err_set(e, ERR_INTERNAL, "halo exchange: %d ranks", P);
    for (uint64_t r0 = 0; r0 < h->most && !rc; r0 += C) {
        int o = 0;
        for (int q = 0; q < P; q++) {
            uint64_t ns = (uint64_t)h->scount[q] > r0 ? h->scount[q] - r0 : 0, nr;
            ns = ns < C ? ns : C;
            nr = (uint64_t)h->rcount[q] > r0 ? h->rcount[q] - r0 : 0;
            nr = nr < C ? nr : C;
            sc[q] = (int)ns;
            sd[q] = o;
            for (uint64_t k = 0; k < ns; k++)
                memcpy(b + (size_t)(o + k) * row_bytes, t + (size_t)h->send[h->sdispl[q] + r0 + k] * row_bytes,
                       row_bytes);
            o += (int)ns;
            rcn[q] = (int)nr;
            rd[q] = h->rdispl[q] + (int)r0;
        }
        uint64_t sent = 0;
        rc = dist_alltoallv(d, h->buf, sc, sd, recv, rcn, rd, row_bytes, &sent, e);
        h->bytes += sent;
    }
    h->exchanges++;
    return rc;
}
