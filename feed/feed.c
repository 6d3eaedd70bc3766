/* feed.c - see feed.h. Assumes groups of candidates small enough for a
 * per-viewer selection (hundreds to a few hundred thousand posts) and
 * finite embeddings and weights. */
#include "feed/feed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/eval.h"

void feed_weights_default(feed_weights_t *w)
{
    w->content = 1.0f;
    w->author = 0.25f;
    w->tie = 0.25f;
    w->recency = 0.25f;
    w->half_life = 86400.0;
}

int feed_tie(const feed_model_t *m, uint32_t u, uint32_t v)
{
    /* graph_csr_has's search, written out: it runs once per candidate, and
     * a call into graph/ for it cost 40% more instructions */
    const graph_csr_t *t = m->ties;
    if (!t || u >= t->n_rows) return 0;
    uint64_t lo = t->ptr[u], hi = t->ptr[u + 1];
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (t->col[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->ptr[u + 1] && t->col[lo] == v;
}

/* Eight running sums (one vector), added up in a fixed order: fast, and the
 * result does not depend on the instruction set or the thread. */
typedef float v8f __attribute__((vector_size(32)));

static float dot(const float *x, const float *y, uint32_t dim)
{
    v8f acc = {0}, a, b;
    uint32_t d = 0;
    for (; d + 8 <= dim; d += 8) {
        memcpy(&a, x + d, sizeof a);
        memcpy(&b, y + d, sizeof b);
        acc += a * b;
    }
    float s = 0.0f;
    for (; d < dim; d++) s += x[d] * y[d];
    return s + (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
}

void feed_terms(const feed_model_t *m, uint32_t viewer, uint32_t author,
                    const uint32_t *content, uint32_t n_content, feed_cand_t *c)
{
    uint32_t dim = m->dim;
    int known_author = author != FEED_NONE && author < m->n_users;
    c->content = c->author = c->tie = 0.0f;
    c->flags = known_author ? 0 : FEED_UNKNOWN_AUTHOR;
    if (viewer == FEED_NONE || viewer >= m->n_users) c->flags |= FEED_UNKNOWN_VIEWER;
    uint32_t known = 0;
    for (uint32_t i = 0; i < n_content; i++) known += content[i] < m->n_content;
    if (!known) c->flags |= known_author ? FEED_AUTHOR_CONTENT : FEED_NO_CONTENT;
    if (c->flags & FEED_UNKNOWN_VIEWER) return;
    const float *v = m->users + (size_t)viewer * dim;
    if (known_author) {
        c->author = dot(v, m->users + (size_t)author * dim, dim);
        c->tie = (float)feed_tie(m, viewer, author);
    }
    if (known) {
        /* mean of dots = dot with the mean embedding, without a temporary;
         * a head's scores come from the caller's batch (feed/chunk.c) */
        float s = 0.0f;
        for (uint32_t i = 0; i < n_content && !m->head; i++)
            if (content[i] < m->n_content) s += dot(v, m->content + (size_t)content[i] * dim, dim);
        c->content = s / (float)known;
    } else if (known_author) {
        c->content = c->author;
    }
}

int64_t feed_newest(const feed_cand_t *c, uint32_t n)
{
    int64_t t = FEED_NO_TIME;
    for (uint32_t i = 0; i < n; i++)
        if (c[i].time > t) t = c[i].time;
    return t;
}

void feed_score(const feed_weights_t *w, int64_t now, feed_cand_t *c, uint32_t n)
{
    double inv = 1.0 / w->half_life;
    for (uint32_t i = 0; i < n; i++) {
        feed_cand_t *x = &c[i];
        if (x->time == FEED_NO_TIME || now == FEED_NO_TIME) {
            x->recency = 0.0f;
        } else {
            double age = now > x->time ? (double)now - (double)x->time : 0.0;
            x->recency = (float)exp2(-age * inv);
        }
        x->score = w->content * x->content + w->author * x->author + w->tie * x->tie + w->recency * x->recency;
    }
}

/* a ranks before b */
static int better(const feed_cand_t *c, uint32_t a, uint32_t b)
{
    if (c[a].score != c[b].score) return c[a].score > c[b].score;
    return c[a].order < c[b].order;
}

/* Min-heap by `better` (the worst candidate at the root). */
static void sift_down(const feed_cand_t *c, uint32_t *h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(c, h[w], h[l])) w = l;
        if (r < n && better(c, h[w], h[r])) w = r;
        if (w == i) return;
        uint32_t t = h[i]; h[i] = h[w]; h[w] = t;
        i = w;
    }
}

/* The best m of c[0..n) into h[0..m), sorted best first. */
static void select_sorted(const feed_cand_t *c, uint32_t n, uint32_t m, uint32_t *h)
{
    for (uint32_t i = 0; i < m; i++) h[i] = i;
    for (uint32_t i = m / 2; i-- > 0;) sift_down(c, h, m, i);
    for (uint32_t i = m; i < n; i++)
        if (better(c, i, h[0])) { h[0] = i; sift_down(c, h, m, 0); }
    for (uint32_t k = m; k > 1; k--) {   /* heap sort: the worst goes last */
        uint32_t t = h[0]; h[0] = h[k - 1]; h[k - 1] = t;
        sift_down(c, h, k - 1, 0);
    }
}

uint32_t feed_top(const feed_cand_t *c, uint32_t n, uint32_t top, uint32_t cap,
                      uint32_t *out, uint32_t *scratch)
{
    if (top == 0 || n == 0) return 0;
    /* Usually the best twice top already hold top posts within the cap;
     * only when the cap rejects too many is the whole group sorted. */
    uint32_t m = top > n / 2 ? n : 2 * top;
    for (;;) {
        select_sorted(c, n, m, scratch);
        uint32_t got = 0;
        for (uint32_t i = 0; i < m && got < top; i++) {
            uint32_t x = scratch[i], same = 0;
            if (cap)
                for (uint32_t j = 0; j < got; j++) same += c[out[j]].author_key == c[x].author_key;
            if (!cap || same < cap) out[got++] = x;
        }
        if (got == top || m == n) return got;
        m = n;
    }
}

/* Merge sort of idx[0..n) by key descending, index ascending; tmp [n]. */
static void sort_by_key(const double *key, uint32_t *idx, uint32_t *tmp, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) idx[i] = i;
    uint32_t *src = idx, *dst = tmp;
    for (uint32_t w = 1; w < n; w *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * w) {
            uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = key[src[j]] > key[src[i]] ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        uint32_t *t = src; src = dst; dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof *idx);
}

void feed_metrics(const double *key, const uint8_t *label, uint32_t n, uint32_t k,
                  uint32_t *scratch, double *ndcg, double *auc)
{
    uint32_t *idx = scratch, *tmp = scratch + n;
    sort_by_key(key, idx, tmp, n);
    uint64_t pos = 0;
    uint8_t hit[k ? k : 1];   /* labels in rank order, the first k ranks */
    memset(hit, 0, sizeof hit);
    for (uint32_t r = 0; r < n; r++) {
        pos += label[idx[r]] != 0;
        if (r < k) hit[r] = label[idx[r]] != 0;
    }
    uint64_t neg = n - pos;
    *ndcg = gnn_ndcg(hit, n, pos, k);
    if (!pos || !neg) { *auc = NAN; return; }
    /* from the lowest score up: a positive beats every negative below its
     * tie group and half of those inside it */
    double num = 0.0;
    uint64_t neg_below = 0;
    for (uint32_t hi = n; hi > 0;) {
        uint32_t lo = hi - 1;
        while (lo > 0 && key[idx[lo - 1]] == key[idx[hi - 1]]) lo--;
        uint64_t p = 0, q = 0;
        for (uint32_t r = lo; r < hi; r++) label[idx[r]] ? p++ : q++;
        num += (double)p * (double)neg_below + 0.5 * (double)p * (double)q;
        neg_below += q;
        hi = lo;
    }
    *auc = num / ((double)pos * (double)neg);
}
