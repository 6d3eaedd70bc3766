/* train.c (dist/) - dist/train.h: the owner-computes BPR step of lightgcn
 * and mf, the epoch loop, evaluation and the save from rank 0.
 *
 * A rank's tables, in local ids (dist/halo.h: owned rows, then the halo):
 *   emb0, am, av [n_own x dim]  layer-0 rows and Adam moments
 *   e0h [n_loc x dim]    E0 as float16 (lightgcn, K >= 1, float16 tables)
 *   buf[2] [n_loc x dim] the forward and backward Horner tables, float16
 *                        or float32 as the products' tables, one block
 *                        (lightgcn only); in float32 runs buf[1] first
 *                        holds E0 with its halo rows for the first product
 *   zb [zb_rows x dim]   Z_K on the owned rows, then the step's fetched
 *                        batch rows, then one zero row (non-touching
 *                        triples); after an evaluation, the final
 *                        embeddings on the owned rows (what the save writes)
 *   g [g_rows x dim], l2 [g_rows]  G and the L2 coefficients (owned rows
 *                        zero between steps; rows past n_own are scratch)
 * An evaluation propagates in float32 through buf's block (as one [n_loc x
 * dim] float32 table) and buf[1] or, in float16 runs, g; rank 0 then reads
 * the final rows it needs block by block (dist/rows.h), as the save reads
 * E0, m and v, so no rank holds a whole [N x dim] table.
 * Assumes every rank loaded the same store (same R, same partition) and
 * got the same options. Uses the training engine's sampler and BPR kernel
 * (gnn/internal.h) unchanged, so a step's arithmetic is one process's.
 */
#include "dist/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/rng.h"
#include "dist/halo.h"
#include "dist/rows.h"
#include "gnn/internal.h"
#include "gnn/scorer.h"
#include "graph/load.h"
#include "graph/partition.h"

uint64_t dist_peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

void dist_train_stats_json(const dist_train_stats_t *st, char *buf, size_t n)
{
    const uint64_t *rows[6] = {st->own, st->halo, st->halo_bytes, st->batch_bytes, st->eval_bytes, st->rss_kb};
    static const char *const keys[6] = {"own_nodes", "halo_nodes", "halo_bytes_per_epoch", "batch_bytes_per_epoch",
                                        "eval_save_bytes", "peak_rss_kb"};
    size_t o = 0;
#define PUT(...) (o += (size_t)snprintf(buf + (o < n ? o : n), o < n ? n - o : 0, __VA_ARGS__))
    PUT("{\"ranks\":%d,\"partition\":\"%s\",\"edge_cut\":%llu,\"epochs\":%u,\"train_seconds\":%.2f", st->ranks,
        st->partition, (unsigned long long)st->edge_cut, st->epochs, st->train_seconds);
    for (int k = 0; k < 6; k++) {
        PUT(",\"%s\":[", keys[k]);
        for (int q = 0; q < st->ranks && q < DIST_TRAIN_MAX_RANKS; q++)
            PUT("%s%llu", q ? "," : "", (unsigned long long)rows[k][q]);
        PUT("]");
    }
    PUT("}");
#undef PUT
}

int dist_train_supported(const dist_t *d, const gnn_trainer_opts_t *o, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_get(o->hp.arch);
    const char *why = NULL;
    if (o->hp.arch != GNN_ARCH_LIGHTGCN && o->hp.arch != GNN_ARCH_MF)
        why = a && a->kind == GNN_KIND_EMBED ? "this architecture" : "a model without BPR training";
    else if (o->hp.loss != GNN_LOSS_BPR) why = "--loss mse";
    else if (o->hp.head) why = "--head mlp";
    else if (o->edges.social || o->edges.knowledge) why = "social or knowledge edges (the joint graph)";
    else if (o->resume) why = "--resume";
    else if (o->valid_fraction > 0.0f || o->patience) why = "a validation split (--valid-fraction, --patience)";
    else if (o->time_limit > 0.0f) why = "--time-limit (each rank has its own clock)";
    else if (d->size > DIST_TRAIN_MAX_RANKS) why = "more than 64 ranks";
    if (!why) return ERR_OK;
    return err_set(e, ERR_USAGE, "distributed training (%d ranks) supports lightgcn and mf with --loss bpr on the "
                   "interactions, without --resume or a validation split; not %s (%s): run it as one process",
                   d->size, why, a ? a->name : "?");
}

typedef struct dt {
    const dist_t *d;
    const gnn_trainer_opts_t *o;
    gnn_hparams_t hp;             /* the model's (layers 0 for mf) */
    const graph_csr_t *fit;       /* R in training ids */
    uint32_t nu, ni, n, dim, K;
    int half;
    uint32_t *owner;              /* [n] rank of each training id */
    dist_halo_t h;
    float *emb0, *am, *av, *buf[2], *zb, *g, *l2;   /* buf[1] points into buf[0]'s block */
    uint16_t *e0h;
    size_t zb_rows, g_rows;
    gnn_ws_t ws;                  /* the sampler's part only */
    uint64_t step;
    /* the step's batch exchange */
    uint64_t *smask;              /* [n_own] ranks that need an owned row this step */
    uint8_t *need;                /* [n] a remote row this rank needs */
    uint32_t *bidx;               /* [n] its row in zb */
    double *nrm;                  /* [zb_rows] squared norm of the layer-0 row (the loss's L2 term) */
    uint32_t *slist;              /* [n_send] owned rows to send, grouped by destination */
    double *snrm;                 /* [n_send] their norms */
    float *sbuf;                  /* [size x round x dim] one round of rows to send */
    size_t slist_cap, snrm_cap, sbuf_cap;
    uint32_t round;               /* rows per destination per exchange of batch rows */
    uint64_t batch_bytes, eval_bytes;
} dt_t;

static int grow(void **p, size_t *cap, size_t need, size_t elem, err_t *e)
{
    if (need <= *cap) return ERR_OK;
    void *q = realloc(*p, need * elem);
    if (!q) return err_set(e, ERR_NOMEM, "out of memory (%zu bytes)", need * elem);
    *p = q;
    *cap = need;
    return ERR_OK;
}

/* A [rows x dim] float table and its [rows] side array of elem bytes, grown
 * to at least need rows (a quarter more, so a step's growth is rare). */
static int grow_pair(float **tab, void **side, size_t elem, size_t *rows, size_t need, size_t dim, err_t *e)
{
    if (need <= *rows) return ERR_OK;
    size_t c = need + need / 4;
    float *p = realloc(*tab, c * dim * sizeof *p);
    if (p) *tab = p;
    void *q = p ? realloc(*side, c * elem) : NULL;
    if (q) *side = q;
    if (!p || !q) return err_set(e, ERR_NOMEM, "out of memory for %zu rows", c);
    *rows = c;
    return ERR_OK;
}

static int grow_rows(dt_t *t, size_t zb_need, size_t g_need, err_t *e)
{
    int rc = grow_pair(&t->zb, (void **)&t->nrm, sizeof *t->nrm, &t->zb_rows, zb_need, t->dim, e);
    return rc ? rc : grow_pair(&t->g, (void **)&t->l2, sizeof *t->l2, &t->g_rows, g_need, t->dim, e);
}

static void dt_destroy(dt_t *t)
{
    dist_halo_destroy(&t->h);
    free(t->owner);
    free(t->emb0); free(t->am); free(t->av); free(t->buf[0]);
    free(t->zb); free(t->g); free(t->l2); free(t->e0h); free(t->nrm);
    free(t->ws.active); free(t->ws.tu); free(t->ws.ti); free(t->ws.tj);
    free(t->smask); free(t->need); free(t->bidx);
    free(t->slist); free(t->snrm); free(t->sbuf);
}

/* After the last epoch: the step's tables go before the save (zb keeps
 * the final rows the save writes). */
static void dt_free_work(dt_t *t)
{
    free(t->buf[0]); free(t->g); free(t->l2); free(t->e0h); free(t->nrm); free(t->h.buf);
    free(t->slist); free(t->snrm); free(t->sbuf);
    free(t->ws.tu); free(t->ws.ti); free(t->ws.tj);
    t->buf[0] = t->buf[1] = t->g = t->l2 = NULL;
    t->e0h = NULL; t->nrm = NULL; t->h.buf = NULL; t->slist = NULL; t->snrm = NULL; t->sbuf = NULL;
    t->ws.tu = t->ws.ti = t->ws.tj = NULL;
    t->g_rows = t->slist_cap = t->snrm_cap = t->sbuf_cap = t->h.buf_cap = t->ws.cap_triples = 0;
}

/* The rank's state: local rows, and E0 drawn as gnn_model_init_nodes draws
 * it (stream 0 of the seed over every node in order; a rank keeps its rows). */
static int dt_init(dt_t *t, err_t *e)
{
    int rc = dist_halo_init(&t->h, t->d, t->fit, t->owner, e);
    if (rc) return rc;
    const size_t dim = t->dim, no = t->h.n_own, nl = no + t->h.n_halo;
    t->emb0 = malloc((no + 1) * dim * sizeof *t->emb0);
    t->am = calloc((no + 1) * dim, sizeof *t->am);
    t->av = calloc((no + 1) * dim, sizeof *t->av);
    if (t->K > 0) {   /* two tables of float16 or float32 rows in one block */
        const size_t tb = (nl + 1) * dim * (t->half ? 2 : 4);
        t->buf[0] = malloc(2 * tb);
        t->buf[1] = t->buf[0] ? (float *)((char *)t->buf[0] + tb) : NULL;
    }
    t->smask = malloc((no + 1) * sizeof *t->smask);
    t->need = malloc(t->n);
    t->bidx = malloc((size_t)t->n * sizeof *t->bidx);
    if (t->half) t->e0h = malloc((nl + 1) * dim * sizeof *t->e0h);
    if (!t->emb0 || !t->am || !t->av || (t->K > 0 && !t->buf[0]) || !t->smask || !t->need || !t->bidx ||
        (t->half && !t->e0h))
        return err_set(e, ERR_NOMEM, "out of memory for a rank's tables (%zu rows x %zu)", nl, dim);
    /* 4 MiB of rows per destination per round of batch rows (the tests'
     * GNNREC_DIST_BLOCK_ROWS makes it small, so a step takes several) */
    uint64_t rr = (4u << 20) / (dim * sizeof(float));
    const char *env = getenv("GNNREC_DIST_BLOCK_ROWS");
    if (env && atol(env) > 0) rr = (uint64_t)atol(env);
    t->round = (uint32_t)(rr ? rr : 1);
    if ((rc = grow_rows(t, no + 1, nl + 1, e))) return rc;
    memset(t->g, 0, t->g_rows * dim * sizeof *t->g);
    memset(t->l2, 0, t->g_rows * sizeof *t->l2);
    rng_t r;
    rng_seed_stream(&r, t->hp.seed, 0);
    const int me = t->d->rank;
    for (uint32_t v = 0; v < t->n; v++) {
        float *row = (int)t->owner[v] == me ? t->emb0 + (size_t)t->h.pos[v] * dim : NULL;
        for (size_t c = 0; c < dim; c++) {
            float x = 0.1f * rng_normal(&r);
            if (row) row[c] = x;
        }
    }
    return ERR_OK;
}

static int xchg(dt_t *t, void *table, size_t elem, err_t *e)
{
    return dist_halo_exchange(&t->h, t->d, table, t->dim * elem, e);
}

/* Forward: Z_K on the owned rows into zb (mf: E0's rows copied there). */
static int forward(dt_t *t, err_t *e)
{
    const uint32_t K = t->K, dim = t->dim;
    if (K == 0) {
        memcpy(t->zb, t->emb0, (size_t)t->h.n_own * dim * sizeof *t->zb);
        return ERR_OK;
    }
    /* float32 tables: E0 with its halo rows in buf[1], which Z_2 overwrites
     * only after Z_1 (in buf[0]) has read it */
    if (!t->half) memcpy(t->buf[1], t->emb0, (size_t)t->h.n_own * dim * sizeof *t->emb0);
    int rc = t->half ? xchg(t, t->e0h, 2, e) : xchg(t, t->buf[1], 4, e);
    const void *prev = t->half ? (const void *)t->e0h : (const void *)t->buf[1];
    for (uint32_t j = 1; j <= K && !rc; j++) {
        gnn_spmm_t s = {.a = &t->h.a, .add = t->emb0, .fma = (uint8_t)t->half, .dim = dim};
        if (t->half) s.x16 = prev;
        else s.x32 = prev;
        void *out = t->buf[(j - 1) & 1];
        if (j == K) s.y32 = t->zb;
        else if (t->half) s.y16 = out;
        else s.y32 = out;
        gnn_spmm(&s, t->hp.threads);
        if (j < K) rc = xchg(t, out, t->half ? 2 : 4, e);
        prev = out;
    }
    return rc;
}

static double sqd(const float *a, uint32_t dim)
{
    double s = 0.0;
    for (uint32_t c = 0; c < dim; c++) s += (double)a[c] * a[c];
    return s;
}

static float dotf(const float *a, const float *b, uint32_t dim)
{
    float s = 0.0f;
    for (uint32_t c = 0; c < dim; c++) s += a[c] * b[c];
    return s;
}

/* Collective: the owned Z_K rows the other ranks need this step (smask)
 * to them, and the rows this rank needs (need) from their owners into zb
 * rows no.. with their layer-0 norms in nrm, in (owner, node) order: sc/sd
 * rows to send per rank, rcn/rd rows to receive. The norms go in one
 * exchange, the rows in rounds of at most t->round rows per destination
 * (the send buffer is [size x round x dim], not every copy of every row). */
static int fetch_rows(dt_t *t, const int *sc, const int *sd, const int *rcn, const int *rd, size_t ns, err_t *e)
{
    const dist_t *d = t->d;
    const int P = d->size;
    const uint32_t dim = t->dim, no = t->h.n_own;
    int rc = grow((void **)&t->slist, &t->slist_cap, ns + 1, sizeof *t->slist, e);
    if (!rc) rc = grow((void **)&t->snrm, &t->snrm_cap, ns + 1, sizeof *t->snrm, e);
    if (!rc) rc = grow((void **)&t->sbuf, &t->sbuf_cap, ((size_t)P * t->round + 1) * dim, sizeof *t->sbuf, e);
    if (rc) return rc;
    /* to each rank, its rows in ascending node order */
    int fill[DIST_TRAIN_MAX_RANKS];
    memcpy(fill, sd, (size_t)P * sizeof *fill);
    for (uint32_t r = 0; r < no; r++) {
        if (!t->smask[r]) continue;
        double nn = sqd(t->emb0 + (size_t)r * dim, dim);
        for (uint64_t m = t->smask[r]; m; m &= m - 1) {
            int k = fill[__builtin_ctzll(m)]++;
            t->slist[k] = r;
            t->snrm[k] = nn;
        }
    }
    uint64_t sent = 0, most = 0;
    if ((rc = dist_alltoallv(d, t->snrm, sc, sd, t->nrm + no, rcn, rd, sizeof(double), &sent, e))) return rc;
    t->batch_bytes += sent;
    for (int q = 0; q < P; q++) most = (uint64_t)sc[q] > most ? (uint64_t)sc[q] : most;
    if ((rc = dist_max_u64(d, most, &most, e))) return rc;
    const int C = (int)t->round;
    for (int r0 = 0; (uint64_t)r0 < most && !rc; r0 += C) {
        int c1[DIST_TRAIN_MAX_RANKS], d1[DIST_TRAIN_MAX_RANKS], c2[DIST_TRAIN_MAX_RANKS], d2[DIST_TRAIN_MAX_RANKS];
        int o = 0;
        for (int q = 0; q < P; q++) {
            int n = sc[q] - r0 < 0 ? 0 : sc[q] - r0 > C ? C : sc[q] - r0;
            c1[q] = n;
            d1[q] = o;
            for (int k = 0; k < n; k++)
                memcpy(t->sbuf + (size_t)(o + k) * dim, t->zb + (size_t)t->slist[sd[q] + r0 + k] * dim,
                       (size_t)dim * sizeof *t->sbuf);
            o += n;
            c2[q] = rcn[q] - r0 < 0 ? 0 : rcn[q] - r0 > C ? C : rcn[q] - r0;
            d2[q] = rd[q] + r0;
        }
        rc = dist_alltoallv(d, t->sbuf, c1, d1, t->zb + (size_t)no * dim, c2, d2, (size_t)dim * sizeof(float),
                            &sent, e);
        t->batch_bytes += sent;
    }
    return rc;
}

/* The step's batch: fetch the rows of Z_K (and layer-0 norms) that the
 * triples touching this rank need from their owners, rewrite the triples
 * in place as zb rows, run gnn_bpr (its gradient on the owned rows is
 * complete and in triple order), and sum this rank's part of the loss. */
static int batch_bpr(dt_t *t, uint32_t *u, uint32_t *ii, uint32_t *jj, uint32_t T, double lsum[2], err_t *e)
{
    const dist_t *d = t->d;
    const int me = d->rank, P = d->size;
    const uint32_t nu = t->nu, dim = t->dim, no = t->h.n_own, *owner = t->owner, *pos = t->h.pos;
    memset(t->smask, 0, (size_t)no * sizeof *t->smask);
    memset(t->need, 0, t->n);
    for (uint32_t k = 0; k < T; k++) {
        const uint32_t x[3] = {u[k], nu + ii[k], nu + jj[k]};
        const uint64_t R = (1ull << owner[x[0]]) | (1ull << owner[x[1]]) | (1ull << owner[x[2]]);
        if (!(R >> me & 1)) continue;
        for (int q = 0; q < 3; q++) {
            if ((int)owner[x[q]] == me) t->smask[pos[x[q]]] |= R & ~(1ull << me);
            else t->need[x[q]] = 1;
        }
    }
    int sc[DIST_TRAIN_MAX_RANKS] = {0}, sd[DIST_TRAIN_MAX_RANKS], rcn[DIST_TRAIN_MAX_RANKS] = {0},
        rd[DIST_TRAIN_MAX_RANKS];
    for (uint32_t r = 0; r < no; r++)
        for (uint64_t m = t->smask[r]; m; m &= m - 1) sc[__builtin_ctzll(m)]++;
    for (uint32_t v = 0; v < t->n; v++)
        if (t->need[v]) rcn[owner[v]]++;
    size_t ns = 0, nr = 0;
    for (int q = 0; q < P; q++) {
        sd[q] = (int)ns;
        rd[q] = (int)nr;
        ns += (size_t)sc[q];
        nr += (size_t)rcn[q];
    }
    int rc = grow_rows(t, no + nr + 1, no + nr + 1, e);
    if (!rc) rc = fetch_rows(t, sc, sd, rcn, rd, ns, e);
    if (rc) return rc;
    int fill[DIST_TRAIN_MAX_RANKS];
    memcpy(fill, rd, (size_t)P * sizeof *fill);
    for (uint32_t v = 0; v < t->n; v++)
        if (t->need[v]) t->bidx[v] = no + (uint32_t)fill[owner[v]]++;
    const uint32_t dummy = no + (uint32_t)nr;
    memset(t->zb + (size_t)dummy * dim, 0, (size_t)dim * sizeof *t->zb);
    const float zs = 1.0f / (float)(t->K + 1), s2 = zs * zs;
    double L = 0.0, N = 0.0;
    for (uint32_t k = 0; k < T; k++) {
        const uint32_t x[3] = {u[k], nu + ii[k], nu + jj[k]};
        uint32_t row[3];
        int touch = 0;
        for (int q = 0; q < 3; q++) {
            int mine = (int)owner[x[q]] == me;
            touch |= mine;
            row[q] = mine ? pos[x[q]] : t->bidx[x[q]];
        }
        if (!touch) row[0] = row[1] = row[2] = dummy;
        u[k] = row[0];
        ii[k] = row[1];
        jj[k] = row[2];
        if ((int)owner[x[0]] != me) continue;
        /* this rank's share of the loss: the triples of its users, with
         * gnn_bpr's expressions */
        const float *zu = t->zb + (size_t)row[0] * dim, *zi = t->zb + (size_t)row[1] * dim,
                    *zj = t->zb + (size_t)row[2] * dim;
        float xv = s2 * (dotf(zu, zi, dim) - dotf(zu, zj, dim));
        L += (xv > 0 ? 0.0 : -(double)xv) + log1p(exp(-fabs((double)xv)));
        for (int q = 0; q < 3; q++)
            N += (int)owner[x[q]] == me ? sqd(t->emb0 + (size_t)pos[x[q]] * dim, dim) : t->nrm[row[q]];
    }
    memset(t->g + (size_t)no * dim, 0, (size_t)(nr + 1) * dim * sizeof *t->g);
    memset(t->l2 + no, 0, (nr + 1) * sizeof *t->l2);
    /* emb0 only feeds gnn_bpr's own loss value, which is not used */
    (void)gnn_bpr(t->zb, zs, t->zb, dim, 0, u, ii, jj, T, t->hp.reg, t->g, t->l2, t->hp.threads);
    lsum[0] = L;
    lsum[1] = N;
    return ERR_OK;
}

/* Backward from G (owned rows of g) and Adam, as gnn_lgcn_backward. */
static int backward(dt_t *t, const gnn_adam_t *ad, uint32_t T, err_t *e)
{
    const uint32_t K = t->K, dim = t->dim, no = t->h.n_own;
    float gmul = 0.0f;
    if (t->half) {
        int ex;
        frexpf((float)T, &ex);
        gmul = ldexpf(1.0f, ex);
        for (size_t k = 0; k < (size_t)no * dim; k++) t->g[k] *= gmul;
    }
    int rc = ERR_OK;
    const void *prev = NULL;
    if (K > 0) rc = xchg(t, t->g, 4, e);
    for (uint32_t j = 1; j <= K && !rc; j++) {
        gnn_spmm_t s = {.a = &t->h.a, .add = t->g, .fma = (uint8_t)t->half, .dim = dim};
        if (j == 1) s.x32 = t->g;
        else if (t->half) s.x16 = prev;
        else s.x32 = prev;
        if (j == K) {
            float scale = t->half ? 1.0f / ((float)(K + 1) * gmul) : 1.0f / (float)(K + 1);
            gnn_spmm_adam(&s, scale, t->l2, t->emb0, t->am, t->av, t->half ? t->e0h : NULL, ad, t->hp.threads);
            break;
        }
        void *out = t->buf[(j - 1) & 1];
        if (t->half) s.y16 = out;
        else s.y32 = out;
        gnn_spmm(&s, t->hp.threads);
        rc = xchg(t, out, t->half ? 2 : 4, e);
        prev = out;
    }
    if (!rc && K == 0) {
        gnn_spmm_t s = {.a = &t->h.a, .add = t->g, .dim = dim};
        gnn_spmm_adam(&s, 1.0f, t->l2, t->emb0, t->am, t->av, NULL, ad, t->hp.threads);
    }
    memset(t->g, 0, (size_t)no * dim * sizeof *t->g);
    memset(t->l2, 0, no * sizeof *t->l2);
    return rc;
}

static int dt_step(dt_t *t, uint32_t *u, uint32_t *i, uint32_t *j, uint32_t T, float lr, double *loss, err_t *e)
{
    gnn_adam_t ad;
    double ls[2] = {0, 0};
    int rc = forward(t, e);
    if (!rc) rc = batch_bpr(t, u, i, j, T, ls, e);
    if (!rc) rc = dist_sum_doubles(t->d, ls, 2, e);
    if (rc) return rc;
    *loss = (ls[0] + 0.5 * t->hp.reg * ls[1]) / T;
    gnn_adam_setup(&ad, lr, ++t->step);
    if ((rc = backward(t, &ad, T, e))) return rc;
    if (!isfinite(*loss))
        return err_set(e, ERR_INTERNAL, "loss is not finite at step %llu (lr too large?)", (unsigned long long)t->step);
    return ERR_OK;
}

/* One epoch, as gnn_train_epoch: the same steps and triples. */
static int dt_epoch(dt_t *t, uint32_t epoch, double *loss, err_t *e)
{
    const graph_csr_t *train = t->fit;
    int rc = gnn_sampler_active(&t->ws, train, e);
    if (rc) return rc;
    if (t->half) gnn_f2h_table(t->e0h, t->emb0, (size_t)t->h.n_own * t->dim, t->hp.threads);
    const uint32_t neg = t->hp.negatives;
    const uint64_t n_pos = train->nnz, bs = gnn_batch_positives(&t->hp, n_pos);
    double sum = 0.0;
    uint64_t steps = 0;
    for (uint64_t b = 0; b < n_pos; b += bs, steps++) {
        uint64_t cnt = n_pos - b < bs ? n_pos - b : bs;
        size_t off;
        double l;
        if ((rc = gnn_sample_range(&t->ws, train, t->hp.seed, epoch, neg, b, b + cnt, t->hp.threads, &off, e)))
            return rc;
        float lr = gnn_lr_at(&t->hp, epoch + (double)b / (double)n_pos);
        if ((rc = dt_step(t, t->ws.tu + off, t->ws.ti + off, t->ws.tj + off, (uint32_t)(cnt * neg), lr, &l, e)))
            return rc;
        sum += l;
    }
    *loss = sum / (double)steps;
    return ERR_OK;
}

/* Collective: the final embeddings (gnn_lgcn_embed_all's products, in
 * float32) on the owned rows, into zb (mf: E0's rows). The products run
 * through A = buf's block as one float32 table (E0 with its halo first)
 * and B = buf[1] (float32 runs) or g (float16 runs, whose g is then
 * cleared again: its owned rows are zero between steps). */
static int final_rows(dt_t *t, err_t *e)
{
    const uint32_t K = t->K, dim = t->dim, no = t->h.n_own;
    if (K == 0) {
        memcpy(t->zb, t->emb0, (size_t)no * dim * sizeof *t->zb);
        return ERR_OK;
    }
    uint64_t b0 = t->h.bytes;
    float *prev = t->buf[0], *other = t->half ? t->g : t->buf[1];
    memcpy(prev, t->emb0, (size_t)no * dim * sizeof *prev);
    int rc = xchg(t, prev, 4, e);
    for (uint32_t j = 1; j <= K && !rc; j++) {
        float *o = j == K ? t->zb : other;
        gnn_spmm(&(gnn_spmm_t){.a = &t->h.a, .x32 = prev, .add = t->emb0, .y32 = o, .dim = dim}, t->hp.threads);
        if (j == K) break;
        rc = xchg(t, o, 4, e);
        other = prev;
        prev = o;
    }
    const float s = 1.0f / (float)(K + 1);
    for (size_t k = 0; k < (size_t)no * dim; k++) t->zb[k] *= s;
    if (t->half) memset(t->g, 0, (size_t)no * dim * sizeof *t->g);
    t->eval_bytes += t->h.bytes - b0;
    t->h.bytes = b0;
    return rc;
}

/* ---- the run ---- */

/* The owner of every training id: the recorded partition when made for P
 * parts on this graph, else METIS on rank 0 (broadcast), else the hash. */
static int pick_owner(dt_t *t, store_t *s, const uint32_t *perm, dist_train_stats_t *st, err_t *e)
{
    const dist_t *d = t->d;
    const uint32_t n = t->n, P = (uint32_t)d->size;
    store_txn_t tx;
    store_partition_t rec = {0};
    int cur = 0, have = 0;
    int rc = store_read_begin(s, &tx, e);
    if (rc) return rc;
    rc = store_partition_get(&tx, &rec, e);
    if (rc == ERR_NOTFOUND) rc = ERR_OK;
    else if (!rc) {
        have = 1;
        rc = store_partition_current(&tx, &rec, &cur, e);
    }
    store_read_end(&tx);
    if (rc) {
        if (have) store_partition_destroy(&rec);
        return rc;
    }
    uint32_t *part = malloc(((size_t)n + 1) * sizeof *part);
    if (!part) rc = err_set(e, ERR_NOMEM, "out of memory");
    if (!rc && have && cur && rec.parts == P && rec.n_users == t->nu && rec.n_items == t->ni) {
        memcpy(part, rec.part, (size_t)n * sizeof *part);
        snprintf(st->partition, sizeof st->partition, "recorded %s", graph_part_method_name((int)rec.method));
    } else if (!rc && graph_partition_metis_built()) {
        /* rank 0 partitions the training graph (store ids), the others wait */
        snprintf(st->partition, sizeof st->partition, "metis (made now%s)",
                 have ? (rec.parts != P ? ": the recorded one has other parts" : ": the recorded one is stale") : "");
        if (d->rank == 0) {
            graph_csr_t adj = {0};
            const graph_csr_t *r = t->fit;
            rc = ERR_OK;
            graph_csr_t rs = {0};
            if (perm) {   /* back to store ids: the partition is of the store's graph */
                uint32_t *inv = malloc(((size_t)n + 1) * sizeof *inv);
                if (!inv) rc = err_set(e, ERR_NOMEM, "out of memory");
                for (uint32_t v = 0; !rc && v < n; v++) inv[perm[v]] = v;
                for (uint32_t i = 0; !rc && i < t->ni; i++) inv[t->nu + i] -= t->nu;
                if (!rc) rc = graph_csr_relabel(r, inv, inv + t->nu, &rs, e);
                free(inv);
                r = &rs;
            }
            if (!rc) rc = graph_norm_bipartite(r, &adj, e);
            if (!rc) rc = graph_partition_metis(&adj, P, t->hp.seed, GRAPH_PART_BY_WORK, part, e);
            graph_csr_destroy(&adj);
            graph_csr_destroy(&rs);
        }
        int rc2 = dist_agree(d, rc, e);
        rc = rc2;
        if (!rc) rc = dist_bcast(d, part, (size_t)n * sizeof *part, e);
    } else if (!rc) {
        snprintf(st->partition, sizeof st->partition, "hash (made now; METIS not built)");
        graph_partition_hash(n, P, t->hp.seed, part);
    }
    if (have) store_partition_destroy(&rec);
    if (!rc) {
        for (uint32_t v = 0; v < n; v++) t->owner[perm ? perm[v] : v] = part[v];
    }
    free(part);
    return rc;
}

typedef struct run {
    dt_t t;
    graph_interactions_t g;
    graph_csr_t fit_o;
    uint32_t *perm;
    dist_rows_t rows;             /* rank 0's reads of the ranks' rows (its list: the evaluated users) */
    uint32_t *eval_list;          /* [n_eval] the evaluated users (store ids, with test items), every rank */
    uint64_t n_eval;
    float *items, *q;             /* rank 0: [n_items x dim] final item rows, [eval_block x dim] users' */
    uint32_t *ranked, eval_block; /* rank 0: [eval_block x kmax] */
    char *log;
    size_t log_len, log_cap;
    FILE *logf;
} run_t;

static int log_add(run_t *r, const char *line, err_t *e)
{
    size_t n = strlen(line);
    if (r->log_len + n + 1 > r->log_cap) {
        size_t c = r->log_cap ? 2 * r->log_cap : 4096;
        while (c < r->log_len + n + 1) c *= 2;
        char *p = realloc(r->log, c);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        r->log = p;
        r->log_cap = c;
    }
    memcpy(r->log + r->log_len, line, n + 1);
    r->log_len += n;
    if (r->logf && (fputs(line, r->logf) == EOF || fflush(r->logf) == EOF))
        return err_set(e, ERR_IO, "--metrics-log %s: write failed", r->t.o->metrics_log);
    return ERR_OK;
}

enum { TAB_FINAL, TAB_E0, TAB_M, TAB_V };

static uint32_t kmax_of(const gnn_trainer_opts_t *o)
{
    uint32_t k = 1;
    for (uint32_t q = 0; q < o->n_k; q++) k = o->ks[q] > k ? o->ks[q] : k;
    return k;
}

/* Rank 0: the metrics from the final rows the ranks hold, read in blocks:
 * the items once, then the evaluated users in the runs gnn_eval_scorer
 * ranks them in (gnn_eval_chunk), cut at multiples of the SGEMM tile, so
 * every user's scores and the sums in user order are one process's bits
 * (eval_users in gnn/eval.c: the same gnn_topk call per run of users). */
static int eval_root(run_t *r, gnn_metrics_t *out, err_t *e)
{
    dt_t *t = &r->t;
    const gnn_trainer_opts_t *o = t->o;
    const size_t dim = t->dim;
    const uint32_t kmax = kmax_of(o);
    memset(out, 0, sizeof *out);
    out->n_k = (int)o->n_k;
    for (uint32_t q = 0; q < o->n_k; q++) out->k[q] = o->ks[q];
    if (r->n_eval == 0) return ERR_OK;
    int rc = dist_rows_get_range(&r->rows, TAB_FINAL, t->nu, (uint64_t)t->nu + t->ni, r->items, e);
    const uint64_t chunk = gnn_eval_chunk(kmax, (uint32_t)r->n_eval), B = r->rows.block;
    const graph_csr_t *truth = &r->g.test;
    for (uint64_t c0 = 0; c0 < r->n_eval && !rc; c0 += chunk) {
        const uint64_t c1 = r->n_eval - c0 < chunk ? r->n_eval : c0 + chunk;
        for (uint64_t b0 = c0; b0 < c1 && !rc; b0 += r->eval_block) {
            const uint64_t b1 = c1 - b0 < r->eval_block ? c1 : b0 + r->eval_block;
            for (uint64_t k = b0; k < b1 && !rc; k += B)
                rc = dist_rows_get(&r->rows, TAB_FINAL, 1, k, b1 - k < B ? b1 : k + B, r->q + (k - b0) * dim, e);
            const uint32_t n = (uint32_t)(b1 - b0), *users = r->eval_list + b0;
            if (!rc)
                rc = gnn_topk(r->q, n, r->items, t->ni, t->dim, &r->g.train, users, kmax, o->hp.threads, r->ranked,
                              NULL, e);
            for (uint32_t j = 0; j < n && !rc; j++) {
                const uint32_t *tc = truth->col + truth->ptr[users[j]];
                uint32_t nt = (uint32_t)(truth->ptr[users[j] + 1] - truth->ptr[users[j]]);
                for (uint32_t ki = 0; ki < o->n_k; ki++)
                    gnn_metrics_add_user(r->ranked + (size_t)j * kmax, kmax, tc, nt, o->ks[ki], (int)ki, out);
            }
            out->users_evaluated += n;
        }
    }
    if (rc) {
        err_prefix(e, "eval");
        return rc;
    }
    for (uint32_t ki = 0; ki < o->n_k; ki++) {
        out->recall[ki] /= out->users_evaluated;
        out->precision[ki] /= out->users_evaluated;
        out->ndcg[ki] /= out->users_evaluated;
        out->hit[ki] /= out->users_evaluated;
    }
    return ERR_OK;
}

/* Collective: rank 0 runs fn(ctx) reading rows (dist/rows.h) while the
 * other ranks serve them; the status agreed. */
static int with_rows(run_t *r, int (*fn)(run_t *, void *, err_t *), void *ctx, err_t *e)
{
    const dist_t *d = r->t.d;
    dt_t *t = &r->t;
    r->rows.tab[TAB_FINAL] = t->zb;
    r->rows.tab[TAB_E0] = t->emb0;
    r->rows.tab[TAB_M] = t->am;
    r->rows.tab[TAB_V] = t->av;
    int rc;
    if (d->rank == 0) {
        err_t e2;
        rc = fn(r, ctx, e);
        int rc2 = dist_rows_stop(&r->rows, &e2);
        if (!rc && rc2) {
            rc = rc2;
            *e = e2;
        }
    } else {
        rc = dist_rows_serve(&r->rows, e);
    }
    return dist_agree(d, rc, e);
}

static int eval_fn(run_t *r, void *ctx, err_t *e)
{
    return eval_root(r, ctx, e);
}

/* Collective: evaluate the current model (rank 0 computes the metrics);
 * zb keeps the final rows (the save's "emb"). */
static int run_eval(run_t *r, gnn_metrics_t *met, err_t *e)
{
    int rc = dist_agree(r->t.d, final_rows(&r->t, e), e);
    return rc ? rc : with_rows(r, eval_fn, met, e);
}

/* gnn_saved_fill_t: a table of the saved model, block by block from the
 * ranks, straight into the blob LMDB reserved (store ids, node order). */
static int fill_table(void *ctx, int table, float *dst, size_t n, err_t *e)
{
    run_t *r = ctx;
    static const int tab[4] = {[GNN_SAVED_TABLE_EMB] = TAB_FINAL, [GNN_SAVED_TABLE_PARAMS] = TAB_E0,
                               [GNN_SAVED_TABLE_ADAM_M] = TAB_M, [GNN_SAVED_TABLE_ADAM_V] = TAB_V};
    if (table < 0 || table > 3 || n != (size_t)r->t.n * r->t.dim)
        return err_set(e, ERR_INTERNAL, "save: table %d of %zu floats", table, n);
    return dist_rows_get_range(&r->rows, tab[table], 0, r->t.n, dst, e);
}

typedef struct save_ctx {
    store_t *s;
    const char *name;
    uint32_t epoch;
    double best, secs;
} save_ctx_t;

static int save_fn(run_t *r, void *ctx, err_t *e)
{
    const save_ctx_t *c = ctx;
    dt_t *t = &r->t;
    char config[1024];
    gnn_trainer_config_text(t->o, config, sizeof config);
    gnn_trainer_data_t dd = {.n_users = t->nu, .n_items = t->ni};
    gnn_saved_model_t sm = {.config = config, .metrics = r->log, .metrics_len = r->log_len,
                            .n_params = (size_t)t->n * t->dim};
    gnn_trainer_meta(t->o, &dd, t->step, c->epoch, c->epoch, c->best, c->secs, &sm.meta);
    gnn_saved_fill_t f = {fill_table, r};
    return gnn_saved_put_filled(c->s, c->name, &sm, &f, e);
}

/* Collective: rank 0 writes the model in one transaction, the tables
 * streamed into it from the ranks' rows (E0, m, v; the final rows in zb). */
static int run_save(run_t *r, store_t *s, const char *name, uint32_t epoch, double best, double secs, err_t *e)
{
    save_ctx_t c = {s, name, epoch, best, secs};
    return with_rows(r, save_fn, &c, e);
}

static void note(const gnn_trainer_opts_t *o, const dist_t *d, const gnn_trainer_note_t *n)
{
    if (d->rank == 0 && o->on_note) o->on_note(o->ctx, n);
}

/* Collective: the rows reader, the evaluated users (rank 0 lists them
 * from the test split, every rank gets the list), rank 0's evaluation
 * blocks and metrics log. */
static int run_setup(run_t *r, err_t *e)
{
    dt_t *t = &r->t;
    const dist_t *d = t->d;
    const gnn_trainer_opts_t *o = t->o;
    int rc = dist_rows_init(&r->rows, d, t->n, t->dim, t->owner, t->h.pos, r->perm, e);
    uint32_t *sample = NULL, n_sample = 0, n_list = 0;
    if (!rc && d->rank == 0) {
        if (o->eval_users)
            rc = gnn_eval_sample_users(&r->g.test, o->eval_users, o->hp.seed, &sample, &n_sample, e);
        if (!rc) rc = gnn_eval_test_users(&r->g.test, sample, o->eval_users ? n_sample : 0, &r->eval_list, &n_list, e);
        r->n_eval = n_list;
        const uint32_t tile = GNN_TOPK_TILE_USERS;
        r->eval_block = r->rows.block / tile * tile;
        if (r->eval_block < tile) r->eval_block = tile;
        if (!rc && (!(r->items = malloc(((size_t)t->ni + 1) * t->dim * sizeof *r->items)) ||
                    !(r->q = malloc((size_t)r->eval_block * t->dim * sizeof *r->q)) ||
                    !(r->ranked = malloc((size_t)r->eval_block * kmax_of(o) * sizeof *r->ranked))))
            rc = err_set(e, ERR_NOMEM, "out of memory for the evaluation's blocks");
        if (!rc && o->metrics_log && !(r->logf = fopen(o->metrics_log, "w")))
            rc = err_set(e, ERR_USAGE, "--metrics-log %s: cannot write", o->metrics_log);
    }
    free(sample);
    if ((rc = dist_agree(d, rc, e)) || (rc = dist_bcast(d, &r->n_eval, sizeof r->n_eval, e))) return rc;
    if (d->rank != 0 && !(r->eval_list = malloc(((size_t)r->n_eval + 1) * sizeof *r->eval_list)))
        rc = err_set(e, ERR_NOMEM, "out of memory for %llu users", (unsigned long long)r->n_eval);
    if ((rc = dist_agree(d, rc, e)) || (rc = dist_bcast(d, r->eval_list, r->n_eval * sizeof *r->eval_list, e)))
        return rc;
    r->rows.list = r->eval_list;
    r->rows.n_list = r->n_eval;
    return ERR_OK;
}

static int run_load(run_t *r, store_t *s, err_t *e)
{
    dt_t *t = &r->t;
    const gnn_trainer_opts_t *o = t->o;
    store_txn_t tx;
    int rc = store_read_begin(s, &tx, e);
    if (rc) return rc;
    rc = graph_load_interactions(&tx, &r->g, e);
    store_read_end(&tx);
    if (rc) return rc;
    if (r->g.train.nnz == 0) return err_set(e, ERR_USAGE, "%s: the store has no training interactions", s->dir);
    graph_order_id_t how;
    double t0 = clock_now();
    if ((rc = gnn_trainer_order(o, &r->g.train, &r->fit_o, &r->perm, &how, e))) return rc;
    if (r->perm) {
        gnn_trainer_note_t n = {.kind = GNN_NOTE_ORDER, .order = how, .seconds = clock_now() - t0};
        note(o, t->d, &n);
    }
    t->fit = r->perm ? &r->fit_o : &r->g.train;
    t->nu = r->g.n_users;
    t->ni = r->g.n_items;
    if ((uint64_t)t->nu + t->ni > UINT32_MAX) return err_set(e, ERR_USAGE, "too many nodes");
    t->n = t->nu + t->ni;
    /* only rank 0 evaluates (test, and train in store ids as the exclusion) */
    if (t->d->rank != 0) {
        graph_csr_destroy(&r->g.test);
        if (r->perm) graph_csr_destroy(&r->g.train);
    }
    return ERR_OK;
}

int dist_train_run(const dist_t *d, store_t *s, const char *name, const gnn_trainer_opts_t *o,
                   gnn_trainer_result_t *out, dist_train_stats_t *st, err_t *e)
{
    memset(out, 0, sizeof *out);
    memset(st, 0, sizeof *st);
    out->kind = GNN_KIND_EMBED;
    st->ranks = d->size;
    int rc = dist_train_supported(d, o, e);
    if (rc) return rc;
    run_t *r = calloc(1, sizeof *r);
    if (!r) return dist_agree(d, err_set(e, ERR_NOMEM, "out of memory"), e);
    int have_g = 0;
    dt_t *t = &r->t;
    t->d = d;
    t->o = o;
    t->hp = o->hp;
    if (t->hp.arch == GNN_ARCH_MF) t->hp.layers = 0;
    t->K = t->hp.layers;
    t->dim = o->hp.dim;
    t->half = t->hp.arch == GNN_ARCH_LIGHTGCN && t->K > 0 && !t->hp.fp32_tables;
    /* the hyper-parameters one process would refuse */
    gnn_model_t probe;
    rc = gnn_model_init(&probe, &o->hp, 1, 1, e);
    if (!rc) gnn_model_destroy(&probe);
    if (!rc) {
        rc = run_load(r, s, e);
        have_g = r->g.train.ptr != NULL;
    }
    if (!rc && t->hp.dim > GNN_MAX_DIM) rc = err_set(e, ERR_USAGE, "dim %u > %d", t->hp.dim, GNN_MAX_DIM);
    if (!rc && !(t->owner = malloc(((size_t)t->n + 1) * sizeof *t->owner))) rc = err_set(e, ERR_NOMEM, "out of memory");
    if ((rc = dist_agree(d, rc, e))) goto out;
    if ((rc = pick_owner(t, s, r->perm, st, e))) goto out;
    rc = dt_init(t, e);
    if ((rc = dist_agree(d, rc, e)) || (rc = run_setup(r, e))) goto out;
    gnn_trainer_note_t n = {.kind = GNN_NOTE_START, .n_users = t->nu, .n_items = t->ni, .n_train = t->fit->nnz};
    note(o, d, &n);
    double t_run = clock_now(), best = -1.0;
    uint32_t epoch;
    for (epoch = 0; epoch < o->epochs; epoch++) {
        gnn_epoch_report_t rep = {.epoch = epoch + 1, .epochs = o->epochs, .watch = "test"};
        double t0 = clock_now();
        rc = dt_epoch(t, epoch, &rep.loss, e);
        if ((rc = dist_agree(d, rc, e))) goto out;
        rep.seconds = clock_now() - t0;
        st->train_seconds += rep.seconds;
        const int last = epoch + 1 == o->epochs;
        rep.lr = gnn_lr_at(&t->hp, epoch + 1.0 - 1e-9);
        rep.eta = (clock_now() - t_run) / (double)(epoch + 1) * (double)(o->epochs - epoch - 1);
        if ((o->eval_every && (epoch + 1) % o->eval_every == 0) || last) {
            double te = clock_now();
            if ((rc = run_eval(r, &rep.metrics, e))) goto out;
            rep.eval_seconds = clock_now() - te;
            rep.evaluated = 1;
            best = rep.metrics.recall[0];
            out->test = rep.metrics;
        }
        rep.best_epoch = epoch + 1;
        if (d->rank == 0) {
            char line[2048];
            gnn_trainer_log_line(&rep, line, sizeof line);
            rc = log_add(r, line, e);
            if (!rc && o->on_epoch) o->on_epoch(o->ctx, &rep);
        }
        if ((rc = dist_agree(d, rc, e))) goto out;
    }
    st->epochs = epoch;
    out->epoch = out->best_epoch = epoch;
    out->seconds = clock_now() - t_run;
    dt_free_work(t);
    if ((rc = run_save(r, s, name, epoch, best, out->seconds, e))) goto out;
    out->have_test = r->g.test.nnz > 0;
    /* the figures of every rank, to rank 0 */
    const uint64_t E = epoch ? epoch : 1;
    uint64_t mine[6] = {t->h.n_own, t->h.n_halo, t->h.bytes / E, t->batch_bytes / E, t->eval_bytes + r->rows.bytes,
                        dist_peak_rss_kb()};
    uint64_t *dst[6] = {st->own, st->halo, st->halo_bytes, st->batch_bytes, st->eval_bytes, st->rss_kb};
    for (int k = 0; k < 6 && !rc; k++) rc = dist_gather_u64(d, mine[k], dst[k], e);
    uint64_t cut2 = 0, cut = 0;
    for (uint32_t q = 0; q < t->h.n_own; q++)
        for (uint64_t k = t->h.a.ptr[q]; k < t->h.a.ptr[q + 1]; k++) cut2 += t->h.a.col[k] >= t->h.n_own;
    if (!rc) rc = dist_sum_u64(d, cut2, &cut, e);
    st->edge_cut = cut / 2;
out:
    if (r->logf && fclose(r->logf) == EOF && !rc) rc = err_set(e, ERR_IO, "--metrics-log: write failed");
    dt_destroy(t);
    dist_rows_destroy(&r->rows);
    free(r->eval_list);
    free(r->items);
    free(r->q);
    free(r->ranked);
    free(r->log);
    free(r->perm);
    graph_csr_destroy(&r->fit_o);
    if (have_g) graph_interactions_destroy(&r->g);
    free(r);
    return rc;
}
