/* merge.c - pass 2 of rank-feed's external sort (sort.h): the spilled
 * runs and the last one, still in memory, merged k-way (a heap) by sort
 * key, unknown viewers' bytes and line number; each record decoded into a
 * line of a chunk (viewer, post and author ids: all rank.c reads of a good
 * line) that rank.c groups and ranks as in the streaming path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed/sort.h"

#define ALIGN_UP(x) (((x) + FEED_SPILL_ALIGN - 1) / FEED_SPILL_ALIGN * FEED_SPILL_ALIGN)

/* At least need bytes at s->buf + s->lo unless the records end first. The
 * file is read in whole aligned blocks into aligned places (O_DIRECT, sort.c):
 * the unread tail is moved to end where an aligned block begins. */
static int refill(feed_src_t *s, size_t need, err_t *e)
{
    if (s->hi - s->lo >= need) return ERR_OK;
    const size_t tail = s->hi - s->lo, at = ALIGN_UP(tail), cap = at + ALIGN_UP(need) + FEED_SPILL_ALIGN;
    if (cap > s->cap) {
        char *b;
        if (posix_memalign((void **)&b, FEED_SPILL_ALIGN, cap)) return err_set(e, ERR_NOMEM, "out of memory");
        memcpy(b + at - tail, s->buf + s->lo, tail);
        free(s->buf);
        s->buf = b;
        s->cap = cap;
    } else {
        memmove(s->buf + at - tail, s->buf + s->lo, tail);
    }
    s->lo = at - tail;
    s->hi = at;
    while (s->hi - s->lo < need && s->left) {
        ssize_t got = read(s->fd, s->buf + s->hi, (s->cap - s->hi) / FEED_SPILL_ALIGN * FEED_SPILL_ALIGN);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return err_set(e, ERR_IO, "reading a spill file of the sort back: %s", strerror(errno));
        if (got == 0) break;
        const size_t use = (uint64_t)got < s->left ? (size_t)got : (size_t)s->left;   /* the padding is not read */
        s->left -= use;
        s->hi += use;
    }
    return ERR_OK;
}

/* The next record of a source; *done at its end. */
static int src_next(const feed_run_t *R, feed_src_t *s, int *done, err_t *e)
{
    if (s->fd < 0) {   /* the last run, in memory */
        if ((*done = s->k == R->n)) return ERR_OK;
        if (s->k + 16 < R->n) {   /* records in file order read in key order: fetch ahead */
            const char *q = R->arena + R->soff[s->k + 16];
            __builtin_prefetch(q);
            __builtin_prefetch(q + 64);
        }
        const char *p = R->arena + R->soff[s->k++];
        memcpy(&s->h, p, FEED_SREC_SIZE);
        s->bytes = p + FEED_SREC_SIZE;
        return ERR_OK;
    }
    s->lo += s->cur;
    s->cur = 0;
    int rc = refill(s, FEED_SREC_SIZE, e);
    *done = !rc && s->hi == s->lo;
    if (rc || *done) return rc;
    if (s->hi - s->lo < FEED_SREC_SIZE) return err_set(e, ERR_IO, "reading a spill file of the sort back: short");
    memcpy(&s->h, s->buf + s->lo, FEED_SREC_SIZE);
    if (s->h.len > FEED_MAX_LINE + 1) return err_set(e, ERR_IO, "reading a spill file of the sort back: damaged");
    if ((rc = refill(s, FEED_SREC_SIZE + s->h.len, e))) return rc;
    if (s->hi - s->lo < FEED_SREC_SIZE + s->h.len) return err_set(e, ERR_IO, "reading a spill file of the sort back: short");
    s->bytes = s->buf + s->lo + FEED_SREC_SIZE;
    s->cur = FEED_SREC_SIZE + s->h.len;
    return ERR_OK;
}

/* The merge's order: the key, unknown viewers' bytes, the line. */
static int src_less(const feed_src_t *a, const feed_src_t *b)
{
    if (a->h.key != b->h.key) return a->h.key < b->h.key;
    if (a->h.key & 1) {
        int c = feed_bytes_cmp(a->bytes, a->h.vl, b->bytes, b->h.vl);
        if (c) return c < 0;
    }
    return a->h.order < b->h.order;
}

static void sift(feed_src_t *sp, uint32_t *h, size_t m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        if (l < m && src_less(&sp[h[l]], &sp[h[best]])) best = l;
        if (l + 1 < m && src_less(&sp[h[l + 1]], &sp[h[best]])) best = l + 1;
        if (best == i) return;
        uint32_t t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

/* The bytes the record of s takes as a chunk line (with its '\n'). */
static size_t line_bytes(const feed_job_t *j, const feed_src_t *s)
{
    const feed_srec_t *h = &s->h;
    if (h->bits & FEED_SREC_BAD || h->viewer == FEED_NONE) return h->len + 1;
    return strmap_len(&j->users, h->viewer) + h->len + 1;
}

/* The record of s decoded into the chunk's next line (room made by the caller). */
static int put_rec(const feed_job_t *j, feed_chunk_t *ck, const feed_src_t *s, err_t *e)
{
    if (ck->n == ck->rcap) {
        size_t c = ck->rcap ? 2 * ck->rcap : 4096;
        feed_rec_t *r = realloc(ck->rec, c * sizeof *r);
        if (r) ck->rec = r;
        feed_cand_t *cd = realloc(ck->cand, c * sizeof *cd);
        if (cd) ck->cand = cd;
        if (!r || !cd) return err_set(e, ERR_NOMEM, "out of memory");
        ck->rcap = c;
    }
    const feed_srec_t *h = &s->h;
    feed_rec_t *r = &ck->rec[ck->n];
    feed_cand_t *c = &ck->cand[ck->n++];
    char *d = ck->buf + ck->have;
    memset(r, 0, sizeof *r);
    memset(c, 0, sizeof *c);
    r->start = (uint32_t)ck->have;
    c->order = h->order;
    if (h->bits & FEED_SREC_BAD) {
        memcpy(d, s->bytes, h->len);
        r->len = h->len;
        r->bad = 1;
        r->nul = (h->bits & FEED_SREC_NUL) != 0;
        r->viewer = FEED_NONE;
    } else {   /* the line: viewer, post and author ids, back to back */
        uint32_t vl = h->viewer != FEED_NONE ? strmap_len(&j->users, h->viewer) : h->vl;
        memcpy(d, h->viewer != FEED_NONE ? strmap_name(&j->users, h->viewer) : s->bytes, vl);
        memcpy(d + vl, s->bytes + h->vl, h->len - h->vl);
        r->len = vl + h->len - h->vl;
        r->f = (feed_fields_t){0, vl, vl, h->pl, vl + h->pl, h->len - h->vl - h->pl};
        r->viewer = h->viewer;
        r->unknown_content = h->unknown_content;
        r->label = (h->bits & FEED_SREC_LABEL) != 0;
        c->content = h->content;
        c->author = h->author;
        /* the tie, left out of pass 1 (sort.c): a known author's key is its id */
        c->tie = (h->flags & (FEED_UNKNOWN_VIEWER | FEED_UNKNOWN_AUTHOR))
                     ? 0.0f : (float)feed_tie(&j->m, h->viewer, (uint32_t)h->author_key);
        c->flags = h->flags;
        c->time = h->time;
        c->author_key = h->author_key;
    }
    d[r->len] = '\n';
    ck->have += r->len + 1;
    return ERR_OK;
}

/* The last viewer of a chunk waits for the next (as in the streaming path). */
int feed_sort_merge(feed_job_t *j, const feed_run_t *R, feed_src_t *sp, size_t nsrc, size_t nspilled, feed_chunk_t *ck,
                    io_writer_t *out, err_t *e)
{
    uint32_t h[FEED_MAX_RUNS + 1];
    size_t m = 0, vbuf = ((size_t)j->s.sort_memory / 4) / (nspilled ? nspilled : 1);
    int rc = ERR_OK, done;
    vbuf = vbuf < (64 << 10) ? (64 << 10) : vbuf > (4 << 20) ? (4 << 20) : vbuf;
    for (size_t r = 0; r < nsrc && !rc; r++) {
        feed_src_t *s = &sp[r];
        if (s->fd >= 0) {
            if (lseek(s->fd, 0, SEEK_SET)) return err_set(e, ERR_IO, "reading a spill file of the sort back: %s", strerror(errno));
            if (posix_memalign((void **)&s->buf, FEED_SPILL_ALIGN, vbuf)) return err_set(e, ERR_NOMEM, "out of memory");
            s->cap = vbuf;
            s->left = s->size;
        }
        if (!(rc = src_next(R, s, &done, e)) && !done) h[m++] = (uint32_t)r;
    }
    for (size_t i = m; i-- > 0;) sift(sp, h, m, i);
    ck->have = ck->n = 0;
    while (!rc) {
        while (m && !rc) {
            feed_src_t *s = &sp[h[0]];
            size_t need = line_bytes(j, s);
            if (ck->have + need > ck->cap) {
                if (ck->n) break;
                char *b = realloc(ck->buf, 2 * (ck->cap + need) + FEED_PAD);
                if (!b) return err_set(e, ERR_NOMEM, "out of memory");
                ck->buf = b;
                ck->cap = 2 * (ck->cap + need);
            }
            if ((rc = put_rec(j, ck, s, e)) || (rc = src_next(R, s, &done, e))) break;
            if (done) h[0] = h[--m];
            sift(sp, h, m, 0);
        }
        if (rc) break;
        memset(ck->buf + ck->have, 0, FEED_PAD);
        size_t cut = m ? feed_last_run(ck) : ck->n;
        if (cut == 0 && m) {   /* one viewer fills the chunk */
            char *b = realloc(ck->buf, 2 * ck->cap + FEED_PAD);
            if (!b) return err_set(e, ERR_NOMEM, "out of memory for one viewer's candidates");
            ck->buf = b;
            ck->cap *= 2;
            continue;
        }
        size_t keep = cut < ck->n ? ck->rec[cut].start : ck->have;
        if ((rc = feed_group_chunk(j, ck, cut, e)) || (rc = feed_rank_chunk(j, ck, out, e))) break;
        memmove(ck->buf, ck->buf + keep, ck->have - keep);
        memmove(ck->rec, ck->rec + cut, (ck->n - cut) * sizeof *ck->rec);
        memmove(ck->cand, ck->cand + cut, (ck->n - cut) * sizeof *ck->cand);
        ck->have -= keep;
        ck->n -= cut;
        for (size_t i = 0; i < ck->n; i++) ck->rec[i].start -= (uint32_t)keep;
        if (!m && !ck->n) break;
    }
    return rc;
}

