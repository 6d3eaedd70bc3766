/* rows.c (dist/) - dist/rows.h: rank 0's block requests for rows spread
 * over the ranks, and the other ranks' loop answering them. Assumes every
 * rank has the same owner, pos, perm and list (they come from the same
 * store copy and partition). */
#include "dist/rows.h"

#include <stdlib.h>
#include <string.h>

#define ROWS_BUDGET (16u << 20)   /* bytes per buffer */

enum { REQ_STOP = 0, REQ_GET = 1 };

void dist_rows_destroy(dist_rows_t *r)
{
    free(r->send);
    free(r->recv);
    free(r->src);
    memset(r, 0, sizeof *r);
}

int dist_rows_init(dist_rows_t *r, const dist_t *d, uint32_t n, uint32_t dim, const uint32_t *owner,
                   const uint32_t *pos, const uint32_t *perm, err_t *e)
{
    memset(r, 0, sizeof *r);
    if (d->size > 256 || dim == 0) return err_set(e, ERR_INTERNAL, "dist_rows: %d ranks, dim %u", d->size, dim);
    *r = (dist_rows_t){.d = d, .n = n, .dim = dim, .owner = owner, .pos = pos, .perm = perm};
    uint64_t b = ROWS_BUDGET / ((uint64_t)dim * sizeof(float));
    const char *env = getenv("GNNREC_DIST_BLOCK_ROWS");
    if (env && atol(env) > 0) b = (uint64_t)atol(env);
    r->block = (uint32_t)(b ? b : 1);
    r->send = malloc((size_t)r->block * dim * sizeof *r->send);
    if (d->rank == 0) {
        r->recv = malloc((size_t)r->block * dim * sizeof *r->recv);
        r->src = malloc(r->block);
    }
    if (!r->send || (d->rank == 0 && (!r->recv || !r->src))) {
        dist_rows_destroy(r);
        return err_set(e, ERR_NOMEM, "out of memory for blocks of %llu rows", (unsigned long long)b);
    }
    return ERR_OK;
}

/* Collective: the rows of request q = {op, tab | from_list << 8, a, b}. */
static int gather(dist_rows_t *r, const uint64_t q[4], float *out, err_t *e)
{
    const dist_t *d = r->d;
    const int me = d->rank, tab = (int)(q[1] & 0xff), from_list = (int)(q[1] >> 8);
    const uint64_t a = q[2], b = q[3];
    const size_t dim = r->dim;
    int cnt[256] = {0}, dsp[256];
    if (tab < 0 || tab >= DIST_ROWS_TABLES || b < a || b - a > r->block || (from_list ? b > r->n_list : b > r->n))
        return err_set(e, ERR_INTERNAL, "dist_rows: bad request %d %llu..%llu", tab, (unsigned long long)a,
                       (unsigned long long)b);
    const float *t = r->tab[tab];
    int ns = 0;
    for (uint64_t k = a; k < b; k++) {
        uint32_t v = from_list ? r->list[k] : (uint32_t)k;
        uint32_t tv = r->perm ? r->perm[v] : v, o = r->owner[tv];
        if ((int)o == me) memcpy(r->send + (size_t)ns++ * dim, t + (size_t)r->pos[tv] * dim, dim * sizeof *t);
        if (me == 0) {
            r->src[k - a] = (uint8_t)o;
            cnt[o]++;
        }
    }
    for (int p = 0, s = 0; me == 0 && p < d->size; p++) {
        dsp[p] = s;
        s += cnt[p];
    }
    int rc = dist_gatherv(d, r->send, ns, r->recv, cnt, dsp, dim * sizeof(float), e);
    if (me != 0) r->bytes += (uint64_t)ns * dim * sizeof(float);
    if (rc || me != 0) return rc;
    for (uint64_t k = a; k < b; k++)
        memcpy(out + (size_t)(k - a) * dim, r->recv + (size_t)dsp[r->src[k - a]]++ * dim, dim * sizeof *out);
    return ERR_OK;
}

int dist_rows_get(dist_rows_t *r, int tab, int from_list, uint64_t a, uint64_t b, float *out, err_t *e)
{
    uint64_t q[4] = {REQ_GET, (uint64_t)tab | (uint64_t)(from_list != 0) << 8, a, b};
    int rc = dist_bcast(r->d, q, sizeof q, e);
    return rc ? rc : gather(r, q, out, e);
}

int dist_rows_get_range(dist_rows_t *r, int tab, uint64_t a, uint64_t b, float *out, err_t *e)
{
    int rc = ERR_OK;
    for (uint64_t k = a; k < b && !rc; k += r->block) {
        uint64_t hi = b - k < r->block ? b : k + r->block;
        rc = dist_rows_get(r, tab, 0, k, hi, out + (size_t)(k - a) * r->dim, e);
    }
    return rc;
}

int dist_rows_stop(dist_rows_t *r, err_t *e)
{
    uint64_t q[4] = {REQ_STOP, 0, 0, 0};
    return dist_bcast(r->d, q, sizeof q, e);
}

int dist_rows_serve(dist_rows_t *r, err_t *e)
{
    int first = ERR_OK;
    for (;;) {
        uint64_t q[4];
        int rc = dist_bcast(r->d, q, sizeof q, e);
        if (rc || q[0] == REQ_STOP) return rc ? rc : first;
        /* a bad request fails before the gather on every rank alike (rank 0
         * returns it to its caller, which then stops us): keep serving */
        if ((rc = gather(r, q, NULL, e)) && !first) first = rc;
    }
}

int dist_rows_scatter(dist_rows_t *r, const float *src, float *dst, err_t *e)
{
    const dist_t *d = r->d;
    const int me = d->rank, P = d->size;
    const size_t dim = r->dim;
    /* rank 0 packs into send and receives its own rows into recv; the
     * others receive into a block of their own */
    float *in = me == 0 ? r->recv : malloc((size_t)r->block * dim * sizeof *in);
    int rc = in ? ERR_OK : err_set(e, ERR_NOMEM, "out of memory for a block of %u rows", r->block);
    if ((rc = dist_agree(d, rc, e))) {
        if (me != 0) free(in);
        return rc;
    }
    for (uint64_t a = 0; a < r->n && !rc; a += r->block) {
        const uint64_t b = r->n - a < r->block ? r->n : a + r->block;
        int cnt[256] = {0}, dsp[256], sc[256] = {0}, rcn[256] = {0}, rd[256] = {0};
        for (uint64_t v = a; v < b; v++) cnt[r->owner[r->perm ? r->perm[v] : v]]++;
        for (int p = 0, s = 0; p < P; p++) {
            dsp[p] = s;
            s += cnt[p];
        }
        if (me == 0) {
            int fill[256];
            memcpy(fill, dsp, (size_t)P * sizeof *fill);
            for (uint64_t v = a; v < b; v++)
                memcpy(r->send + (size_t)fill[r->owner[r->perm ? r->perm[v] : v]]++ * dim, src + v * dim,
                       dim * sizeof *src);
            memcpy(sc, cnt, (size_t)P * sizeof *sc);
        }
        rcn[0] = cnt[me];
        rc = dist_alltoallv(d, r->send, sc, me == 0 ? dsp : rd, in, rcn, rd, dim * sizeof(float), NULL, e);
        /* this rank's rows arrive in store-id order */
        uint64_t k = 0;
        for (uint64_t v = a; v < b && !rc; v++) {
            const uint32_t tv = r->perm ? r->perm[v] : v;
            if ((int)r->owner[tv] == me) memcpy(dst + (size_t)r->pos[tv] * dim, in + k++ * dim, dim * sizeof *dst);
        }
    }
    if (me != 0) free(in);
    return rc;
}
