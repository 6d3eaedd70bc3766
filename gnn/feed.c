/* feed.c - see feed.h. Assumes groups of candidates small enough for a
 * per-viewer selection (hundreds to a few hundred thousand posts) and
 * finite embeddings and weights. */
#include "gnn/feed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void gnn_feed_weights_default(gnn_feed_weights_t *w)
{
    w->content = 1.0f;
    w->author = 0.25f;
    w->tie = 0.25f;
    w->recency = 0.25f;
    w->half_life = 86400.0;
}

int gnn_feed_ties_build(const uint32_t *a, const uint32_t *b, uint64_t n, uint32_t n_users,
                        uint64_t **off, uint32_t **nbr, err_t *e)
{
    uint64_t *o = calloc((size_t)n_users + 1, sizeof *o);
    uint32_t *v = malloc((n ? 2 * n : 1) * sizeof *v);
    uint64_t *fill = malloc(((size_t)n_users + 1) * sizeof *fill);
    if (!o || !v || !fill) {
        free(o); free(v); free(fill);
        return err_set(e, ERR_NOMEM, "out of memory for %llu social ties", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++)
        if (a[i] != b[i] && a[i] < n_users && b[i] < n_users) { o[a[i] + 1]++; o[b[i] + 1]++; }
    for (uint32_t u = 0; u < n_users; u++) o[u + 1] += o[u];
    memcpy(fill, o, ((size_t)n_users + 1) * sizeof *fill);
    for (uint64_t i = 0; i < n; i++)
        if (a[i] != b[i] && a[i] < n_users && b[i] < n_users) { v[fill[a[i]]++] = b[i]; v[fill[b[i]]++] = a[i]; }
    free(fill);
    /* rows are short (friends of one user): insertion sort keeps this simple */
    for (uint32_t u = 0; u < n_users; u++)
        for (uint64_t i = o[u] + 1; i < o[u + 1]; i++) {
            uint32_t x = v[i];
            uint64_t j = i;
            while (j > o[u] && v[j - 1] > x) { v[j] = v[j - 1]; j--; }
            v[j] = x;
        }
    *off = o;
    *nbr = v;
    return ERR_OK;
}

int gnn_feed_tie(const gnn_feed_model_t *m, uint32_t u, uint32_t v)
{
    if (!m->tie_off || u >= m->n_users) return 0;
    uint64_t lo = m->tie_off[u], hi = m->tie_off[u + 1];
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (m->tie_nbr[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < m->tie_off[u + 1] && m->tie_nbr[lo] == v;
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

void gnn_feed_terms(const gnn_feed_model_t *m, uint32_t viewer, uint32_t author,
                    const uint32_t *content, uint32_t n_content, gnn_feed_cand_t *c)
{
    uint32_t dim = m->dim;
    int known_author = author != GNN_FEED_NONE && author < m->n_users;
    c->content = c->author = c->tie = 0.0f;
    c->flags = known_author ? 0 : GNN_FEED_UNKNOWN_AUTHOR;
    if (viewer == GNN_FEED_NONE || viewer >= m->n_users) c->flags |= GNN_FEED_UNKNOWN_VIEWER;
    uint32_t known = 0;
    for (uint32_t i = 0; i < n_content; i++) known += content[i] < m->n_content;
    if (!known) c->flags |= known_author ? GNN_FEED_AUTHOR_CONTENT : GNN_FEED_NO_CONTENT;
    if (c->flags & GNN_FEED_UNKNOWN_VIEWER) return;
    const float *v = m->users + (size_t)viewer * dim;
    if (known_author) {
        c->author = dot(v, m->users + (size_t)author * dim, dim);
        c->tie = (float)gnn_feed_tie(m, viewer, author);
    }
    if (known) {
        /* mean of dots = dot with the mean embedding, without a temporary */
        float s = 0.0f;
        for (uint32_t i = 0; i < n_content; i++)
            if (content[i] < m->n_content) s += dot(v, m->content + (size_t)content[i] * dim, dim);
        c->content = s / (float)known;
    } else if (known_author) {
        c->content = c->author;
    }
}

int64_t gnn_feed_newest(const gnn_feed_cand_t *c, uint32_t n)
{
    int64_t t = GNN_FEED_NO_TIME;
    for (uint32_t i = 0; i < n; i++)
        if (c[i].time > t) t = c[i].time;
    return t;
}

void gnn_feed_score(const gnn_feed_weights_t *w, int64_t now, gnn_feed_cand_t *c, uint32_t n)
{
    double inv = 1.0 / w->half_life;
    for (uint32_t i = 0; i < n; i++) {
        gnn_feed_cand_t *x = &c[i];
        if (x->time == GNN_FEED_NO_TIME || now == GNN_FEED_NO_TIME) {
            x->recency = 0.0f;
        } else {
            double age = now > x->time ? (double)now - (double)x->time : 0.0;
            x->recency = (float)exp2(-age * inv);
        }
        x->score = w->content * x->content + w->author * x->author + w->tie * x->tie + w->recency * x->recency;
    }
}

/* a ranks before b */
static int better(const gnn_feed_cand_t *c, uint32_t a, uint32_t b)
{
    if (c[a].score != c[b].score) return c[a].score > c[b].score;
    return c[a].order < c[b].order;
}

/* Min-heap by `better` (the worst candidate at the root). */
static void sift_down(const gnn_feed_cand_t *c, uint32_t *h, uint32_t n, uint32_t i)
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
static void select_sorted(const gnn_feed_cand_t *c, uint32_t n, uint32_t m, uint32_t *h)
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

uint32_t gnn_feed_top(const gnn_feed_cand_t *c, uint32_t n, uint32_t top, uint32_t cap,
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

void *gnn_feed_alloc_hot(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    void *p;
    size_t align = bytes < huge / 2 ? 64 : huge;   /* whole cache lines at least */
    bytes = (bytes ? bytes + align - 1 : align) / align * align;
    if (posix_memalign(&p, align, bytes)) return NULL;
    if (align == huge) madvise(p, bytes, MADV_HUGEPAGE);   /* advice only: fine if refused */
    memset(p, 0, bytes);
    return p;
}

int gnn_feed_index_build(gnn_feed_index_t *x, const strmap_t *m, err_t *e)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)m->n) cap *= 2;
    x->mask = cap - 1;
    x->slot = gnn_feed_alloc_hot(cap * sizeof *x->slot);
    x->names = malloc(m->arena_len ? m->arena_len : 1);
    if (!x->slot || !x->names) {
        gnn_feed_index_destroy(x);
        return err_set(e, ERR_NOMEM, "out of memory for an id index of %u ids", m->n);
    }
    if (m->arena_len) memcpy(x->names, m->arena, m->arena_len);
    for (uint32_t id = 0; id < m->n; id++) {
        uint64_t h = gnn_feed_hash(strmap_name(m, id), strmap_len(m, id));
        size_t i = h & x->mask;
        while (x->slot[i].id1) i = (i + 1) & x->mask;
        gnn_feed_slot_t *sl = &x->slot[i];
        sl->hash = h;
        sl->id1 = id + 1;
        sl->len = strmap_len(m, id);
        if (sl->len <= GNN_FEED_INLINE) memcpy(sl->u.name, strmap_name(m, id), sl->len);
        else sl->u.off = m->off[id];
    }
    return ERR_OK;
}

void gnn_feed_index_destroy(gnn_feed_index_t *x)
{
    free(x->slot);
    free(x->names);
    x->slot = NULL;
    x->names = NULL;
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

void gnn_feed_metrics(const double *key, const uint8_t *label, uint32_t n, uint32_t k,
                      uint32_t *scratch, double *ndcg, double *auc)
{
    uint32_t *idx = scratch, *tmp = scratch + n;
    sort_by_key(key, idx, tmp, n);
    uint64_t pos = 0;
    double dcg = 0.0;
    for (uint32_t r = 0; r < n; r++)
        if (label[idx[r]]) {
            pos++;
            if (r < k) dcg += 1.0 / log2(r + 2.0);
        }
    uint64_t neg = n - pos;
    double idcg = 0.0;
    for (uint64_t r = 0; r < pos && r < k; r++) idcg += 1.0 / log2(r + 2.0);
    *ndcg = pos ? dcg / idcg : NAN;
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
