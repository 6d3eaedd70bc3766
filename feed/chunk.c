/* chunk.c - rank-feed's parallel pass over one read (see internal.h):
 * line records, parsing (feed/candidates.h), id lookups and the score
 * terms. Assumes a chunk buffer with FEED_PAD bytes of slack (the
 * splitter reads ahead) and fewer than 2^32 bytes per read. */
#include <string.h>
#include <stdlib.h>

#include <cblas.h>
#include <omp.h>

#include "feed/internal.h"

#define BATCH 32

/* Per-thread state of parse_range: one batch of lines in flight. */
typedef struct feed_batch {
    feed_tok_t tok[BATCH * (2 + FEED_MAX_CONTENT)];
    uint32_t first[BATCH + 1];     /* line b: tokens first[b] (viewer), +1 (author), +2.. (content) */
    uint8_t same_viewer[BATCH];    /* viewer string equal to the previous good line's */
    size_t line[BATCH];            /* chunk record of each batch line */
    uint32_t content[FEED_MAX_CONTENT];
    /* an MLP head (feed.h): the batch's (viewer, item) pairs, scored together */
    uint32_t pu[BATCH * FEED_MAX_CONTENT], pi[BATCH * FEED_MAX_CONTENT];  /* viewer's row of hA; item */
    float ps[BATCH * FEED_MAX_CONTENT];
    float *hA;                     /* [BATCH x w_1] the batch's viewers' first-layer halves */
} feed_batch_t;

static void lookup(const strmap_t *x, feed_tok_t *t)
{
    t->id = strmap_get_hashed(x, t->h, t->s, t->len);
}

static void prefetch_row(const float *row, uint32_t dim)
{
    for (uint32_t d = 0; d < dim; d += 16) __builtin_prefetch(row + d);
}

/* The content terms of a batch's lines through the model's MLP head: each
 * line's known items against its viewer (gnn_head_score_pairs: a pair's
 * bits do not depend on the batch, so the output does not depend on threads
 * or on the input's order), the bias columns' dot added (gnn_head_pair's
 * rule), the mean per line. A viewer's first-layer half is computed once
 * per run of its lines in the batch. */
static void head_content(const feed_job_t *j, feed_chunk_t *ck, feed_batch_t *bt, uint32_t nb)
{
    const feed_model_t *m = &j->m;
    const gnn_head_t *h = m->head;
    const uint32_t dim = m->dim, w1 = h->width[0];
    uint32_t np = 0, na = 0, pv = FEED_NONE;
    for (uint32_t b = 0; b < nb; b++) {
        const feed_tok_t *t = bt->tok + bt->first[b];
        const uint32_t n = bt->first[b + 1] - bt->first[b], v = t[0].id;
        if (v == FEED_NONE || v >= m->n_users) continue;
        if (v != pv || !na) {
            gnn_head_user_part(h, m->head_w, m->users + (size_t)v * dim, dim, 1, bt->hA + (size_t)na * w1);
            na++;
            pv = v;
        }
        for (uint32_t k = 2; k < n; k++)
            if (t[k].id != FEED_NONE && t[k].id < m->n_content) {
                bt->pu[np] = na - 1;
                bt->pi[np++] = t[k].id;
            }
    }
    gnn_head_score_pairs(h, m->head_w, m->head_wt, bt->hA, bt->pu, m->head_items, bt->pi, np, bt->ps);
    np = 0;
    for (uint32_t b = 0; b < nb; b++) {
        const feed_tok_t *t = bt->tok + bt->first[b];
        const uint32_t n = bt->first[b + 1] - bt->first[b], v = t[0].id;
        if (v == FEED_NONE || v >= m->n_users) continue;
        const float *vr = m->users + (size_t)v * dim;
        float s = 0.0f;
        uint32_t known = 0;
        for (uint32_t k = 2; k < n; k++) {
            if (t[k].id == FEED_NONE || t[k].id >= m->n_content) continue;
            const float *ir = m->content + (size_t)t[k].id * dim;
            s += gnn_head_add_extra(h, bt->ps[np++], vr, ir, dim);   /* a rating model's bias columns */
            known++;
        }
        if (known) ck->cand[bt->line[b]].content = s / (float)known;
    }
}

/* Score lines lo..hi of the chunk. Lines go through in batches, stage by
 * stage, so the cache misses of one stage (hash slots, names, embedding
 * rows) overlap across a batch instead of being paid one after another. */
static void parse_range(const feed_job_t *j, feed_chunk_t *ck, size_t lo, size_t hi, feed_batch_t *bt)
{
    const char *pv = NULL;            /* the last good line's viewer */
    uint32_t pvl = 0, pvid = FEED_NONE, dim = j->m.dim;
    for (size_t i = lo; i < hi;) {
        uint32_t nb = 0, nt = 0;
        /* 1: split, check, hash, prefetch the slots */
        for (; i < hi && nb < BATCH; i++) {
            feed_rec_t *r = &ck->rec[i];
            if (r->blank) continue;
            const char *s = ck->buf + r->start;
            uint32_t nc;
            r->bad = 1;
            if (feed_scan_line(&j->s.cols, s, r->len, ck->cand[i].order, r->nul, &r->f, &ck->cand[i].time,
                               bt->tok + nt + 2, &nc, NULL))
                continue;
            r->bad = 0;
            if (j->s.shards > 1 && feed_shard_of(s + r->f.vo, r->f.vl, j->s.shards) != j->s.shard) {
                r->blank = 1;   /* another shard's viewer */
                continue;
            }
            feed_tok_t *t = bt->tok + nt;
            t[0] = (feed_tok_t){s + r->f.vo, r->f.vl, 0, 0};
            t[1] = (feed_tok_t){s + r->f.ao, r->f.al, 0, 0};
            bt->same_viewer[nb] = pv && pvl == r->f.vl && strmap_same(pv, t[0].s, pvl);
            pv = t[0].s;
            pvl = r->f.vl;
            for (uint32_t k = bt->same_viewer[nb]; k < 2 + nc; k++) {
                t[k].h = strmap_hash(t[k].s, t[k].len);
                strmap_prefetch(k < 2 ? &j->users : &j->items, t[k].h);
            }
            bt->first[nb] = nt;
            bt->line[nb++] = i;
            nt += 2 + nc;
        }
        bt->first[nb] = nt;
        /* 2: resolve the ids, prefetch the embedding rows */
        for (uint32_t b = 0; b < nb; b++) {
            feed_tok_t *t = bt->tok + bt->first[b];
            uint32_t n = bt->first[b + 1] - bt->first[b];
            if (bt->same_viewer[b]) t[0].id = pvid;
            else lookup(&j->users, &t[0]);
            pvid = t[0].id;
            lookup(&j->users, &t[1]);
            for (uint32_t k = 2; k < n; k++) lookup(&j->items, &t[k]);
            if (t[0].id == FEED_NONE) continue;
            if (!bt->same_viewer[b]) {   /* a new viewer (every line of an unsorted file): its row and ties */
                prefetch_row(j->m.users + (size_t)t[0].id * dim, dim);
                if (j->m.ties) __builtin_prefetch(j->m.ties->ptr + t[0].id);
            }
            for (uint32_t k = 1; k < n; k++)
                if (t[k].id != FEED_NONE)
                    prefetch_row(k == 1 ? j->m.users + (size_t)t[1].id * dim
                                        : j->m.content + (size_t)t[k].id * dim, dim);
            for (uint32_t k = 2; j->m.head && k < n; k++)
                if (t[k].id != FEED_NONE && t[k].id < j->m.n_content)
                    prefetch_row(j->m.head_items + (size_t)t[k].id * j->m.head->width[0], j->m.head->width[0]);
        }
        /* 2b: the first probe of each new viewer's tie search (its row start arrived in stage 2) */
        for (uint32_t b = 0; b < nb && j->m.ties; b++) {
            uint32_t v = bt->tok[bt->first[b]].id;
            if (v == FEED_NONE || bt->same_viewer[b] || v >= j->m.ties->n_rows) continue;
            const uint64_t *ptr = j->m.ties->ptr + v;
            __builtin_prefetch(j->m.ties->col + ptr[0] + (ptr[1] - ptr[0]) / 2);
        }
        /* 3: the terms */
        for (uint32_t b = 0; b < nb; b++) {
            feed_tok_t *t = bt->tok + bt->first[b];
            uint32_t n = bt->first[b + 1] - bt->first[b], nc = 0;
            feed_rec_t *r = &ck->rec[bt->line[b]];
            feed_cand_t *c = &ck->cand[bt->line[b]];
            uint16_t unknown = 0;
            for (uint32_t k = 2; k < n; k++) {
                if (t[k].id != FEED_NONE) bt->content[nc++] = t[k].id;
                else unknown++;
            }
            r->viewer = t[0].id;
            feed_terms(&j->m, t[0].id, t[1].id, bt->content, nc, c);
            /* unknown authors are still capped: key them by their name */
            c->author_key = t[1].id != FEED_NONE ? t[1].id : t[1].h | (1ULL << 63);
            r->unknown_content = j->s.cols.col[FEED_C_CONTENT] >= 0 ? unknown : 0;
            r->label = 0;
            if (j->have_labels) {
                char key[2 * STORE_MAX_ID_LEN + 2];
                uint32_t kl = feed_label_key(key, t[0].s, r->f.vl, ck->buf + r->start + r->f.po, r->f.pl);
                r->label = strmap_get(&j->labels, key, kl) != STRMAP_NONE;
            }
        }
        if (j->m.head) head_content(j, ck, bt, nb);
    }
}

/* Records for the lines of buf[lo..hi) (whole lines), numbered from rec
 * index i; 0, or the index of the first line longer than FEED_MAX_LINE + 1. */
static size_t fill_lines(feed_chunk_t *ck, size_t lo, size_t hi, size_t i)
{
    uint8_t nul = memchr(ck->buf + lo, '\0', hi - lo) != NULL;   /* one scan instead of one per line */
    while (lo < hi) {
        const char *nl = memchr(ck->buf + lo, '\n', hi - lo);
        size_t end = nl ? (size_t)(nl - ck->buf) : hi, len = end - lo;
        if (len > FEED_MAX_LINE) return i + 1;
        if (len && ck->buf[end - 1] == '\r') len--;
        size_t b = 0;
        while (b < len && (ck->buf[lo + b] == ' ' || ck->buf[lo + b] == '\t')) b++;
        feed_rec_t *r = &ck->rec[i];
        r->start = (uint32_t)lo;
        r->len = (uint32_t)len;
        r->blank = b == len;
        r->bad = 0;
        r->nul = nul;
        i++;
        lo = end + 1;
    }
    return 0;
}

static size_t count_lines(const char *s, size_t n)
{
    size_t c = 0;
    for (const char *p = s, *end = s + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) c++;
    return c;
}

/* Cut buf[0..have) into line records and parse them, in parallel: the
 * bytes are cut into pieces that start after a newline (several per thread,
 * handed out dynamically, so a thread the OS pauses does not hold up the
 * others); each piece's lines are counted, then filled in and parsed at the
 * piece's offset in the record array. The last line counts only at end of
 * file or when it ends with '\n'; *used = the bytes of the lines taken. */
int feed_scan_chunk(const feed_job_t *j, feed_chunk_t *ck, int eof, uint64_t line0, int header, size_t *used, err_t *e)
{
    size_t whole = ck->have;
    if (!eof) {
        while (whole && ck->buf[whole - 1] != '\n') whole--;
        if (ck->have - whole > FEED_MAX_LINE)
            return err_input(e, j->s.cols.path, (long)(line0 + count_lines(ck->buf, whole) + 1), "line longer than %zu bytes",
                             FEED_MAX_LINE);
    }
    *used = whole;
    int nt = omp_get_max_threads();
    if (ck->nbt < nt) {
        feed_batch_t **b = realloc(ck->bt, (size_t)nt * sizeof *b);
        if (!b) return err_set(e, ERR_NOMEM, "out of memory");
        ck->bt = b;
        for (; ck->nbt < nt; ck->nbt++) {
            feed_batch_t *x = ck->bt[ck->nbt] = malloc(sizeof **b);
            if (!x) return err_set(e, ERR_NOMEM, "out of memory");
            x->hA = NULL;
            if (j->m.head && !(x->hA = malloc((size_t)BATCH * j->m.head->width[0] * sizeof *x->hA))) {
                ck->nbt++;   /* freed by feed_chunk_free */
                return err_set(e, ERR_NOMEM, "out of memory for the mlp head's activations");
            }
        }
    }
    /* an MLP head's viewer halves (SGEMM) run inside the threads below: OpenBLAS on one thread each */
    int blas_saved = openblas_get_num_threads();
    if (j->m.head) openblas_set_num_threads(1);
    size_t np = (size_t)nt * 8;
    size_t *bound = malloc((np + 1) * sizeof *bound), *first = malloc((np + 1) * sizeof *first),
           *too_long = calloc(np, sizeof *too_long);
    int failed = !bound || !first || !too_long;
    if (!failed) {
        bound[0] = 0;
        for (size_t p = 1; p <= np; p++) {   /* piece p begins after a newline */
            size_t at = whole * p / np;
            const char *nl = at && at < whole ? memchr(ck->buf + at - 1, '\n', whole - at + 1) : NULL;
            at = p == np ? whole : nl ? (size_t)(nl - ck->buf) + 1 : whole;
            bound[p] = at < bound[p - 1] ? bound[p - 1] : at;
        }
    }
#pragma omp parallel num_threads(nt) reduction(| : failed) if (!failed)
    {
        feed_batch_t *bt = failed ? NULL : ck->bt[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < np; p++) {
            if (!bt) continue;
            first[p + 1] = count_lines(ck->buf + bound[p], bound[p + 1] - bound[p]);
            if (p == np - 1 && whole && ck->buf[whole - 1] != '\n') first[p + 1]++;   /* no final '\n' */
        }
#pragma omp single
        {
            first[0] = 0;
            for (size_t p = 0; p < np; p++) first[p + 1] += first[p];
            ck->n = first[np];
            if (ck->n > ck->rcap) {
                feed_rec_t *r = realloc(ck->rec, ck->n * sizeof *r);
                if (r) ck->rec = r;
                feed_cand_t *cd = realloc(ck->cand, ck->n * sizeof *cd);
                if (cd) ck->cand = cd;
                if (r && cd) ck->rcap = ck->n;
                else failed = 1;
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < np; p++) {
            if (!bt || ck->rcap < ck->n) continue;
            too_long[p] = fill_lines(ck, bound[p], bound[p + 1], first[p]);
            for (size_t i = first[p]; i < first[p + 1]; i++) ck->cand[i].order = line0 + i + 1;
            if (header && line0 == 0 && p == 0 && first[1] > 0) ck->rec[0].blank = 1;
            if (!too_long[p]) parse_range(j, ck, first[p], first[p + 1], bt);
        }
    }
    if (j->m.head) openblas_set_num_threads(blas_saved);
    int rc = failed ? err_set(e, ERR_NOMEM, "out of memory") : ERR_OK;
    for (size_t p = 0; p < np && !rc; p++)
        if (too_long[p])
            rc = err_input(e, j->s.cols.path, (long)(line0 + too_long[p]), "line longer than %zu bytes", FEED_MAX_LINE);
    free(bound); free(first); free(too_long);
    return rc;
}

size_t feed_last_run(const feed_chunk_t *ck)
{
    size_t last = ck->n, cut = ck->n;
    for (size_t i = ck->n; i-- > 0;) {
        const feed_rec_t *r = &ck->rec[i];
        if (r->blank || r->bad) continue;
        if (last == ck->n) last = i;
        else if (!feed_same_viewer(ck, r, &ck->rec[last])) break;
        cut = i;
    }
    return cut;
}

void feed_chunk_free(feed_chunk_t *ck)
{
    free(ck->buf); free(ck->rec); free(ck->cand); free(ck->gstart); free(ck->gm);
    for (size_t p = 0; p < ck->nparts; p++) free(ck->parts[p].p);
    free(ck->parts);
    for (int t = 0; t < ck->nbt; t++) {
        free(ck->bt[t]->hA);
        free(ck->bt[t]);
    }
    free(ck->bt);
}

