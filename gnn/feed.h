/* feed.h - scoring, top-N selection and ranking metrics of social-feed
 * candidates (`gnnrec rank-feed`, docs/feed.md).
 *
 * A candidate is a post offered to a viewer, written by an author, about zero
 * or more items (later also knowledge entities), posted at some time. Its
 * score is a weighted sum of four terms, each kept so that a ranking can be
 * explained:
 *   content  = dot(viewer, c) where c is the mean embedding of the post's
 *              known items/entities, or the author's embedding when none is
 *              known (so a post never seen in training still gets a score)
 *   author   = dot(viewer, author)  (user-user affinity)
 *   tie      = 1 if the store has a social tie viewer-author, else 0
 *   recency  = 2^(-age / half_life), age = now - time clamped at 0; 0 when
 *              the post has no time
 *   score    = w.content*content + w.author*author + w.tie*tie + w.recency*recency
 * Unknown viewers have content = author = tie = 0 (recency still ranks them).
 *
 * Embeddings are the saved model's final ones (gnn/saved.h): users
 * [n_users x dim] and content rows [n_content x dim] = the items, followed by
 * the entities once a model saves entity rows. Social ties are a symmetric
 * CSR over users with sorted rows (gnn_feed_ties_build).
 *
 * Ties in score are broken by input order (`order`), so results do not
 * depend on threads or batching. Only the builders (gnn_feed_ties_build,
 * gnn_feed_index_build) allocate; the scoring path takes scratch arrays.
 * The id index at the end is the hot-path twin of base/strmap.h.
 */
#ifndef GNNREC_GNN_FEED_H
#define GNNREC_GNN_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "base/strmap.h"

#define GNN_FEED_NONE UINT32_MAX
#define GNN_FEED_NO_TIME INT64_MIN

typedef struct gnn_feed_weights {
    float content, author, tie, recency;
    double half_life;        /* in the time column's unit; > 0 */
} gnn_feed_weights_t;

/* content 1, author 0.25, tie 0.25, recency 0.25, half_life 86400 (a day
 * in seconds); docs/feed.md says how they were chosen. */
void gnn_feed_weights_default(gnn_feed_weights_t *w);

typedef struct gnn_feed_model {
    const float *users;      /* [n_users x dim] */
    const float *content;    /* [n_content x dim]: items, then entities */
    uint32_t n_users, n_content, dim;
    const uint64_t *tie_off; /* [n_users + 1], NULL: no social ties */
    const uint32_t *tie_nbr; /* [tie_off[n_users]], each row sorted */
} gnn_feed_model_t;

/* Symmetric CSR of undirected ties given as pairs (a[i], b[i]) (both
 * directions are added, self-loops dropped, duplicates kept harmlessly).
 * *off [n_users + 1] and *nbr are malloc'ed; the caller frees both. */
int gnn_feed_ties_build(const uint32_t *a, const uint32_t *b, uint64_t n, uint32_t n_users,
                        uint64_t **off, uint32_t **nbr, err_t *e);

/* 1 if u and v are tied (binary search in u's row), else 0. */
int gnn_feed_tie(const gnn_feed_model_t *m, uint32_t u, uint32_t v);

/* One candidate: the raw (unweighted) terms and what ranking needs. */
typedef struct gnn_feed_cand {
    float content, author, tie, recency;
    float score;
    uint32_t flags;          /* GNN_FEED_* below */
    int64_t time;            /* GNN_FEED_NO_TIME when absent */
    uint64_t author_key;     /* equal for posts of the same author (per-author cap) */
    uint64_t order;          /* input position; earlier wins ties */
} gnn_feed_cand_t;

#define GNN_FEED_UNKNOWN_VIEWER 1u
#define GNN_FEED_UNKNOWN_AUTHOR 2u
#define GNN_FEED_NO_CONTENT     4u   /* no known content and no known author */
#define GNN_FEED_AUTHOR_CONTENT 8u   /* content term from the author's embedding */

/* Fill c->content, c->author, c->tie and the flags for viewer (or
 * GNN_FEED_NONE), author (or GNN_FEED_NONE) and the post's known content rows
 * content[0..n_content). recency, score, time, author_key and order are left
 * to the caller. */
void gnn_feed_terms(const gnn_feed_model_t *m, uint32_t viewer, uint32_t author,
                    const uint32_t *content, uint32_t n_content, gnn_feed_cand_t *c);

/* The newest time among c[0..n), GNN_FEED_NO_TIME if none has one. */
int64_t gnn_feed_newest(const gnn_feed_cand_t *c, uint32_t n);

/* Set recency (relative to now) and score of c[0..n). */
void gnn_feed_score(const gnn_feed_weights_t *w, int64_t now, gnn_feed_cand_t *c, uint32_t n);

/* The top `top` candidates by score (ties: smaller order first), taking at
 * most `cap` posts of one author_key (cap 0: no cap). Over-cap posts are
 * skipped, not used to fill up, so fewer than `top` may come back. Writes
 * indices into c, best first, to out [top]; returns how many.
 * scratch: [n] uint32. */
uint32_t gnn_feed_top(const gnn_feed_cand_t *c, uint32_t n, uint32_t top, uint32_t cap,
                      uint32_t *out, uint32_t *scratch);

/* Ranking metrics of one viewer's candidates ordered by key descending
 * (ties: smaller index first for NDCG; half a pair for AUC):
 *   NDCG@k = DCG@k / IDCG@k, binary gains, 1/log2(rank + 1) discounts,
 *            IDCG over min(positives, k); NaN when there is no positive
 *   AUC    = P(positive scored above negative), ties count 1/2; NaN when
 *            there is no positive or no negative
 * key [n], label [n] (nonzero = engaged); scratch [2n] uint32. */
void gnn_feed_metrics(const double *key, const uint8_t *label, uint32_t n, uint32_t k,
                      uint32_t *scratch, double *ndcg, double *auc);

/* A read-only id index for the hot path: the same string -> dense id map as
 * a strmap_t, laid out so that a lookup usually touches one cache line: a
 * 32-byte slot holds the hash, the id and the name itself when it has at
 * most GNN_FEED_INLINE bytes (longer names are compared in `names`). Load
 * <= 1/2 and a strong hash keep probe runs short; callers prefetch the
 * slots of a batch of ids before looking them up (gnn_feed_index_prefetch). */
#define GNN_FEED_INLINE 16

typedef struct gnn_feed_slot {
    uint64_t hash;
    uint32_t id1;            /* id + 1, 0 = empty */
    uint32_t len;
    union {
        char name[GNN_FEED_INLINE];   /* len <= GNN_FEED_INLINE */
        uint64_t off;                 /* else: the name at names + off */
    } u;
} gnn_feed_slot_t;

typedef struct gnn_feed_index {
    gnn_feed_slot_t *slot;   /* [mask + 1], 64-byte aligned */
    size_t mask;
    char *names;             /* the strmap's names */
} gnn_feed_index_t;

int gnn_feed_index_build(gnn_feed_index_t *x, const strmap_t *m, err_t *e);
/* Zeroed memory for tables read at random in the hot path: 2 MiB-aligned
 * and marked for transparent huge pages when large (one TLB entry covers
 * 512 times more), NULL when out of memory; free() releases it. */
void *gnn_feed_alloc_hot(size_t bytes);
void gnn_feed_index_destroy(gnn_feed_index_t *x);
/* 64-bit hash of an id (inline: it runs a few times per candidate). */
static inline uint64_t gnn_feed_hash(const char *s, size_t len)
{
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = (uint64_t)len * k, w;
    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (len) {
        w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * k;
    }
    h ^= h >> 32;                    /* murmur-style finaliser: every input */
    h *= 0xd6e8feb86659fd93ULL;      /* bit reaches the low (slot) bits */
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

static inline void gnn_feed_index_prefetch(const gnn_feed_index_t *x, uint64_t h)
{
    __builtin_prefetch(&x->slot[h & x->mask]);
}

/* a[0..len) == b[0..len): ids are short, and a call to memcmp costs more
 * than comparing them inline. */
static inline int gnn_feed_same(const char *a, const char *b, size_t len)
{
    uint64_t x, y;
    for (; len >= 8; a += 8, b += 8, len -= 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
    }
    for (; len; len--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* The id of s (whose gnn_feed_hash is h), or GNN_FEED_NONE. */
static inline uint32_t gnn_feed_index_get(const gnn_feed_index_t *x, uint64_t h, const char *s, size_t len)
{
    for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
        const gnn_feed_slot_t *sl = &x->slot[i];
        if (!sl->id1) return GNN_FEED_NONE;
        if (sl->hash == h && sl->len == len &&
            gnn_feed_same(len <= GNN_FEED_INLINE ? sl->u.name : x->names + sl->u.off, s, len))
            return sl->id1 - 1;
    }
}

#endif
