/* step.c (dist/) - dist/step.h: a rank's tables, the owner-computes
 * forward, the batch exchange and BPR, the backward with Adam, the epoch
 * and the final embeddings. Assumes what step.h says (same store, same
 * partition and options on every rank). */
#include "dist/step.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

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
 * to at least need rows (a sixteenth more, so a piece's growth is rare:
 * the pieces of a step need about as many rows each). */
static int grow_pair(float **tab, void **side, size_t elem, size_t *rows, size_t need, size_t dim, err_t *e)
{
    if (need <= *rows) return ERR_OK;
    size_t c = need + need / 16;
    float *p = realloc(*tab, c * dim * sizeof *p);
    if (p) *tab = p;
    void *q = p ? realloc(*side, c * elem) : NULL;
    if (q) *side = q;
    if (!p || !q) return err_set(e, ERR_NOMEM, "out of memory for %zu rows", c);
    *rows = c;
    return ERR_OK;
}

static int grow_rows(dist_step_t *t, size_t zb_need, size_t g_need, err_t *e)
{
    int rc = grow_pair(&t->zb, (void **)&t->nrm, sizeof *t->nrm, &t->zb_rows, zb_need, t->dim, e);
    return rc ? rc : grow_pair(&t->g, (void **)&t->l2, sizeof *t->l2, &t->g_rows, g_need, t->dim, e);
}

void dist_step_destroy(dist_step_t *t)
{
    dist_halo_destroy(&t->h);
    free(t->owner);
    free(t->emb0); free(t->am); free(t->av); free(t->tab);
    free(t->zb); free(t->g); free(t->l2); free(t->nrm);
    free(t->ws.active); free(t->ws.tu); free(t->ws.ti); free(t->ws.tj);
    free(t->smask); free(t->need); free(t->bidx); free(t->nlist);
    free(t->slist); free(t->snrm); free(t->sbuf);
}

/* After the last epoch: the step's tables go before the save (zb keeps
 * the final rows the save writes). */
void dist_step_free_work(dist_step_t *t)
{
    free(t->tab); free(t->g); free(t->l2); free(t->nrm); free(t->h.buf);
    free(t->slist); free(t->snrm); free(t->sbuf); free(t->nlist);
    free(t->ws.tu); free(t->ws.ti); free(t->ws.tj);
    t->tab = NULL; t->g = t->l2 = NULL;
    t->nrm = NULL; t->h.buf = NULL; t->slist = NULL; t->snrm = NULL; t->sbuf = NULL;
    t->nlist = NULL;
    t->ws.tu = t->ws.ti = t->ws.tj = NULL;
    t->g_rows = t->slist_cap = t->snrm_cap = t->sbuf_cap = t->h.buf_cap = t->ws.cap_triples = t->nlist_cap = 0;
}

/* The rank's state: local rows, and E0 drawn as gnn_model_init_nodes draws
 * it (stream 0 of the seed over every node in order; a rank keeps its rows). */
int dist_step_init(dist_step_t *t, err_t *e)
{
    int rc = t->joint ? dist_halo_init_joint(&t->h, t->d, t->joint, &t->o->edges, t->owner, e)
                      : dist_halo_init(&t->h, t->d, t->fit, t->owner, e);
    if (rc) return rc;
    const size_t dim = t->dim, no = t->h.n_own, nl = no + t->h.n_halo;
    t->emb0 = malloc((no + 1) * dim * sizeof *t->emb0);
    t->am = calloc((no + 1) * dim, sizeof *t->am);
    t->av = calloc((no + 1) * dim, sizeof *t->av);
    if (t->K > 0) t->tab = malloc((nl + 1) * dim * sizeof(float));
    t->smask = malloc((no + 1) * sizeof *t->smask);
    t->need = calloc(t->n, 1);
    t->bidx = malloc((size_t)t->n * sizeof *t->bidx);
    if (!t->emb0 || !t->am || !t->av || (t->K > 0 && !t->tab) || !t->smask || !t->need || !t->bidx)
        return err_set(e, ERR_NOMEM, "out of memory for a rank's tables (%zu rows x %zu)", nl, dim);
    /* 4 MiB of rows per destination per round of batch rows (the tests'
     * GNNREC_DIST_BLOCK_ROWS makes it small, so a step takes several) */
    uint64_t rr = (4u << 20) / (dim * sizeof(float));
    const char *env = getenv("GNNREC_DIST_BLOCK_ROWS");
    if (env && atol(env) > 0) rr = (uint64_t)atol(env);
    t->round = (uint32_t)(rr ? rr : 1);
    /* a step's triples in pieces of at least 65,536 and about a third of
     * an average part's nodes: a piece fetches at most 2 rows a triple, so
     * zb stays under ~1.7 x the owned rows whatever the batch, up to
     * DIST_STEP_PIECES pieces a step (batch_bpr); GNNREC_DIST_PIECE_TRIPLES
     * sets the piece exactly (the tests make pieces small) */
    uint64_t pc = (uint64_t)t->n / (3u * (uint32_t)t->d->size) + 1;
    if (pc < 65536) pc = 65536;
    if ((env = getenv("GNNREC_DIST_PIECE_TRIPLES")) && atol(env) > 0) {
        pc = (uint64_t)atol(env);
        t->piece_exact = 1;
    }
    t->piece = (uint32_t)(pc > UINT32_MAX ? UINT32_MAX : pc);
    if ((rc = grow_rows(t, no + 1, no + 1, e))) return rc;
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

static int xchg(dist_step_t *t, void *table, size_t elem, err_t *e)
{
    return dist_halo_exchange(&t->h, t->d, table, t->dim * elem, e);
}

/* The owned rows a product wrote into zb (elem bytes a value) become the
 * next product's input: copied into tab, whose halo the exchange fills. */
static int zb_to_tab(dist_step_t *t, size_t elem, err_t *e)
{
    memcpy(t->tab, t->zb, (size_t)t->h.n_own * t->dim * elem);
    return xchg(t, t->tab, elem, e);
}

/* Forward: Z_K on the owned rows into zb (mf: E0's rows copied there).
 * One table tab holds the input of each product with its halo rows (E0,
 * then Z_1 .. Z_{K-1}); each product writes the owned rows into zb (free
 * until Z_K lands there), which are copied into tab before the exchange
 * fills its halo: one [n_loc x dim] table instead of two. */
static int forward(dist_step_t *t, err_t *e)
{
    const uint32_t K = t->K, dim = t->dim;
    const size_t elt = t->half ? 2 : 4, own = (size_t)t->h.n_own * dim * elt;
    if (K == 0) {
        memcpy(t->zb, t->emb0, (size_t)t->h.n_own * dim * sizeof *t->zb);
        return ERR_OK;
    }
    /* E0 as float16 rows: gnn_f2h of emb0, the bits one process keeps in
     * its e0h (gnn_spmm_adam writes gnn_f2h of each updated row) */
    if (t->half) gnn_f2h_table(t->tab, t->emb0, (size_t)t->h.n_own * dim, t->hp.threads);
    else memcpy(t->tab, t->emb0, own);
    int rc = xchg(t, t->tab, elt, e);
    for (uint32_t j = 1; j <= K && !rc; j++) {
        gnn_spmm_t s = {.a = &t->h.a, .add = t->emb0, .fma = (uint8_t)t->half, .dim = dim};
        if (t->half) s.x16 = t->tab;
        else s.x32 = t->tab;
        if (j == K || !t->half) s.y32 = t->zb;
        else s.y16 = (uint16_t *)t->zb;
        gnn_spmm(&s, t->hp.threads);
        if (j == K) break;
        rc = zb_to_tab(t, elt, e);
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
static int fetch_rows(dist_step_t *t, const int *sc, const int *sd, const int *rcn, const int *rd, size_t ns, err_t *e)
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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One piece of the step's batch, triples [0, T) of it (of T_all in the
 * batch): fetch the rows of Z_K (and layer-0 norms) that its triples
 * touching this rank need from their owners, rewrite those triples in
 * place as zb rows, run gnn_bpr_part (the piece's gradient on the owned
 * rows only, in triple order, scaled by the batch's 1/T_all) and add this
 * rank's part of the loss to L and N. Every rank runs every piece
 * (collective). The needed nodes are listed as they are met and sorted by
 * (owner, node), the order their owners send them in: no pass over every
 * node, which up to DIST_STEP_PIECES pieces a step would repeat. */
static int batch_piece(dist_step_t *t, uint32_t *u, uint32_t *ii, uint32_t *jj, uint32_t T, uint32_t T_all,
                       double *L, double *N, err_t *e)
{
    const dist_t *d = t->d;
    const int me = d->rank, P = d->size;
    const uint32_t nu = t->nu, dim = t->dim, no = t->h.n_own, *owner = t->owner, *pos = t->h.pos;
    int rc = grow((void **)&t->nlist, &t->nlist_cap, 2 * (size_t)T + 1, sizeof *t->nlist, e);
    if (rc) return rc;
    memset(t->smask, 0, (size_t)no * sizeof *t->smask);
    size_t nr = 0;
    for (uint32_t k = 0; k < T; k++) {
        const uint32_t x[3] = {u[k], nu + ii[k], nu + jj[k]};
        const uint64_t R = (1ull << owner[x[0]]) | (1ull << owner[x[1]]) | (1ull << owner[x[2]]);
        if (!(R >> me & 1)) continue;
        for (int q = 0; q < 3; q++) {
            if ((int)owner[x[q]] == me) t->smask[pos[x[q]]] |= R & ~(1ull << me);
            else if (!t->need[x[q]]) {
                t->need[x[q]] = 1;
                t->nlist[nr++] = (uint64_t)owner[x[q]] << 32 | x[q];
            }
        }
    }
    qsort(t->nlist, nr, sizeof *t->nlist, cmp_u64);
    int sc[DIST_TRAIN_MAX_RANKS] = {0}, sd[DIST_TRAIN_MAX_RANKS], rcn[DIST_TRAIN_MAX_RANKS] = {0},
        rd[DIST_TRAIN_MAX_RANKS];
    for (uint32_t r = 0; r < no; r++)
        for (uint64_t m = t->smask[r]; m; m &= m - 1) sc[__builtin_ctzll(m)]++;
    for (size_t k = 0; k < nr; k++) {
        const uint32_t v = (uint32_t)t->nlist[k];
        rcn[t->nlist[k] >> 32]++;
        t->need[v] = 0;
        t->bidx[v] = no + (uint32_t)k;   /* (owner, node) order: the owners' sending order */
    }
    size_t ns = 0, nrr = 0;
    for (int q = 0; q < P; q++) {
        sd[q] = (int)ns;
        rd[q] = (int)nrr;
        ns += (size_t)sc[q];
        nrr += (size_t)rcn[q];
    }
    rc = grow_rows(t, no + nr + 1, no + 1, e);
    if (!rc) rc = fetch_rows(t, sc, sd, rcn, rd, ns, e);
    if (rc) return rc;
    const uint32_t dummy = no + (uint32_t)nr;
    memset(t->zb + (size_t)dummy * dim, 0, (size_t)dim * sizeof *t->zb);
    const float zs = 1.0f / (float)(t->K + 1), s2 = zs * zs;
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
        *L += (xv > 0 ? 0.0 : -(double)xv) + log1p(exp(-fabs((double)xv)));
        for (int q = 0; q < 3; q++)
            *N += (int)owner[x[q]] == me ? sqd(t->emb0 + (size_t)pos[x[q]] * dim, dim) : t->nrm[row[q]];
    }
    /* emb0 only feeds gnn_bpr's own loss value, which is not used; G only
     * on the owned rows (the fetched ones and the dummy come after them) */
    (void)gnn_bpr_part(t->zb, zs, t->zb, dim, 0, u, ii, jj, T, T_all, t->hp.reg, t->g, t->l2, no, t->hp.threads);
    return ERR_OK;
}

/* The step's batch, positives [b, b + cnt) of the epoch, in pieces of
 * t->piece triples (the same pieces on every rank), each drawn by the
 * sampler when its turn comes (gnn_sample_range gives a range the triples
 * the whole epoch holds there), so only a piece's triples are in memory:
 * each owned gradient row gets every contribution, in triple order, as in
 * one process's gnn_bpr over the whole batch; lsum = this rank's loss
 * terms and L2 norms. */
static int batch_bpr(dist_step_t *t, uint32_t epoch, uint64_t b, uint64_t cnt, double lsum[2], err_t *e)
{
    const uint32_t neg = t->hp.negatives, T = (uint32_t)(cnt * neg);
    /* at most DIST_STEP_PIECES pieces a step: each costs three collectives,
     * whose latency at many ranks would otherwise grow with P (the piece
     * shrinks as N / 3P while a step's triples do not) */
    uint64_t pc = t->piece, least = ((uint64_t)T + DIST_STEP_PIECES - 1) / DIST_STEP_PIECES;
    if (pc < least && !t->piece_exact) pc = least;
    const uint64_t pp = pc / neg ? pc / neg : 1;   /* positives a piece */
    double L = 0.0, N = 0.0;
    int rc = ERR_OK;
    for (uint64_t p0 = b; p0 < b + cnt && !rc; p0 += pp) {
        const uint64_t p1 = b + cnt - p0 < pp ? b + cnt : p0 + pp;
        size_t off;
        rc = gnn_sample_range(&t->ws, t->fit, t->hp.seed, epoch, neg, p0, p1, t->hp.threads, &off, e);
        if (!rc)
            rc = batch_piece(t, t->ws.tu + off, t->ws.ti + off, t->ws.tj + off, (uint32_t)((p1 - p0) * neg), T, &L,
                             &N, e);
    }
    lsum[0] = L;
    lsum[1] = N;
    return rc;
}

/* Backward from G (owned rows of g) and Adam, as gnn_lgcn_backward: G
 * with its halo in tab (float32), then Y_1 .. Y_{K-1} there (float16 or
 * float32), each product's owned rows through zb as in forward. */
static int backward(dist_step_t *t, const gnn_adam_t *ad, uint32_t T, err_t *e)
{
    const uint32_t K = t->K, dim = t->dim, no = t->h.n_own;
    const size_t elt = t->half ? 2 : 4;
    float gmul = 0.0f;
    if (t->half) {
        int ex;
        frexpf((float)T, &ex);
        gmul = ldexpf(1.0f, ex);
        for (size_t k = 0; k < (size_t)no * dim; k++) t->g[k] *= gmul;
    }
    int rc = ERR_OK;
    if (K > 0) {
        memcpy(t->tab, t->g, (size_t)no * dim * sizeof *t->g);
        rc = xchg(t, t->tab, 4, e);
    }
    for (uint32_t j = 1; j <= K && !rc; j++) {
        gnn_spmm_t s = {.a = &t->h.a, .add = t->g, .fma = (uint8_t)t->half, .dim = dim};
        if (j == 1 || !t->half) s.x32 = t->tab;
        else s.x16 = t->tab;
        if (j == K) {
            float scale = t->half ? 1.0f / ((float)(K + 1) * gmul) : 1.0f / (float)(K + 1);
            gnn_spmm_adam(&s, scale, t->l2, t->emb0, t->am, t->av, NULL, ad, t->hp.threads);
            break;
        }
        if (t->half) s.y16 = (uint16_t *)t->zb;
        else s.y32 = t->zb;
        gnn_spmm(&s, t->hp.threads);
        rc = zb_to_tab(t, elt, e);
    }
    if (!rc && K == 0) {
        gnn_spmm_t s = {.a = &t->h.a, .add = t->g, .dim = dim};
        gnn_spmm_adam(&s, 1.0f, t->l2, t->emb0, t->am, t->av, NULL, ad, t->hp.threads);
    }
    memset(t->g, 0, (size_t)no * dim * sizeof *t->g);
    memset(t->l2, 0, no * sizeof *t->l2);
    return rc;
}

static int step(dist_step_t *t, uint32_t epoch, uint64_t b, uint64_t cnt, float lr, double *loss, err_t *e)
{
    gnn_adam_t ad;
    double ls[2] = {0, 0};
    const uint32_t T = (uint32_t)(cnt * t->hp.negatives);
    int rc = forward(t, e);
    if (!rc) rc = batch_bpr(t, epoch, b, cnt, ls, e);
    if (!rc) rc = dist_sum_doubles(t->d, ls, 2, e);
    if (rc) return rc;
    *loss = (ls[0] + 0.5 * t->hp.reg * ls[1]) / T;
    gnn_adam_setup(&ad, lr, ++t->step);
    if ((rc = backward(t, &ad, T, e))) return rc;
    if (!isfinite(*loss))
        return err_set(e, ERR_INTERNAL, "loss is not finite at step %llu (lr too large?)", (unsigned long long)t->step);
    return ERR_OK;
}

static int walk_step(void *ctx, uint32_t epoch, uint64_t b, uint64_t cnt, float lr, double *loss, err_t *e)
{
    return step(ctx, epoch, b, cnt, lr, loss, e);
}

/* One epoch, as gnn_train_epoch: the same walk (gnn_epoch_walk), steps
 * and triples. */
int dist_step_epoch(dist_step_t *t, uint32_t epoch, double *loss, err_t *e)
{
    int rc = gnn_sampler_active(&t->ws, t->fit, e);
    if (rc) return rc;
    return gnn_epoch_walk(&t->hp, epoch, t->fit->nnz, walk_step, t, NULL, NULL, loss, e);
}

/* Collective: the final embeddings (gnn_lgcn_embed_all's products, in
 * float32) on the owned rows, into zb (mf: E0's rows). Each product reads
 * tab (E0, then Z_j, with their halo rows, as one float32 table) and
 * writes the owned rows into zb, copied back into tab for the next. */
int dist_step_final(dist_step_t *t, err_t *e)
{
    const uint32_t K = t->K, dim = t->dim, no = t->h.n_own;
    const size_t own = (size_t)no * dim * sizeof(float);
    if (K == 0) {
        memcpy(t->zb, t->emb0, own);
        return ERR_OK;
    }
    uint64_t b0 = t->h.bytes;
    memcpy(t->tab, t->emb0, own);
    int rc = xchg(t, t->tab, 4, e);
    for (uint32_t j = 1; j <= K && !rc; j++) {
        gnn_spmm(&(gnn_spmm_t){.a = &t->h.a, .x32 = t->tab, .add = t->emb0, .y32 = t->zb, .dim = dim},
                 t->hp.threads);
        if (j == K) break;
        rc = zb_to_tab(t, 4, e);
    }
    const float s = 1.0f / (float)(K + 1);
    for (size_t k = 0; k < (size_t)no * dim; k++) t->zb[k] *= s;
    t->eval_bytes += t->h.bytes - b0;
    t->h.bytes = b0;
    return rc;
}
