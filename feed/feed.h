/* feed.h - scoring, top-N selection and ranking metrics of social-feed
 * candidates (`gnnrec rank-feed`, docs/feed.md): the kernels of the feed
 * layer (feed/job.h runs a whole job with them).
 *
 * A candidate is a post offered to a viewer, written by an author, about zero
 * or more items (later also knowledge entities), posted at some time. Its
 * score is a weighted sum of four terms, each kept so that a ranking can be
 * explained:
 *   content  = dot(viewer, c) where c is the mean embedding of the post's
 *              known items/entities, or the author's embedding when none is
 *              known (so a post never seen in training still gets a score);
 *              with an MLP head, the mean of the head's scores of
 *              (viewer, item) over the known items (the author fallback
 *              stays the dot product: the head scores user-item pairs)
 *   author   = dot(viewer, author)  (user-user affinity)
 *   tie      = 1 if the store has a social tie viewer-author, else 0
 *   recency  = 2^(-age / half_life), age = now - time clamped at 0; 0 when
 *              the post has no time
 *   score    = w.content*content + w.author*author + w.tie*tie + w.recency*recency
 * Unknown viewers have content = author = tie = 0 (recency still ranks them).
 *
 * Embeddings are the saved model's final ones (gnn/saved.h): users
 * [n_users x dim] and content rows [n_content x dim] = the items, followed by
 * the entities once a model saves entity rows. Social ties are the
 * symmetric user-user CSR of graph_social_sym (graph/typed.h).
 *
 * Ties in score are broken by input order (`order`), so results do not
 * depend on threads or batching. Nothing here allocates; the scoring path
 * takes scratch arrays.
 */
#ifndef GNNREC_FEED_H
#define GNNREC_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gnn/head.h"
#include "graph/csr.h"

#define FEED_NONE UINT32_MAX
#define FEED_NO_TIME INT64_MIN

typedef struct feed_weights {
    float content, author, tie, recency;
    double half_life;        /* in the time column's unit; > 0 */
} feed_weights_t;

/* content 1, author 0.25, tie 0.25, recency 0.25, half_life 86400 (a day
 * in seconds); docs/feed.md says how they were chosen. */
void feed_weights_default(feed_weights_t *w);

typedef struct feed_model {
    const float *users;      /* [n_users x dim] */
    const float *content;    /* [n_content x dim]: items, then entities */
    uint32_t n_users, n_content, dim;
    const graph_csr_t *ties; /* [n_users x n_users] symmetric, rows sorted; NULL: no social ties */
    /* An MLP head (gnn/head.h; NULL: the dot product): the content term of
     * (viewer, item) is then the model's score of the pair, gnn_head_pair of
     * the two rows, as infer --pairs and eval score it, computed in batches
     * by the caller (feed/chunk.c) from head_items [n_content x w_1], the
     * item half of the first layer (gnn_head_item_part). */
    const gnn_head_t *head;
    const float *head_w, *head_items, *head_wt;   /* head_wt: gnn_head_upper_transpose */
} feed_model_t;

/* 1 if u and v are tied (binary search in u's row), else 0 (also for u
 * out of range). */
int feed_tie(const feed_model_t *m, uint32_t u, uint32_t v);

/* One candidate: the raw (unweighted) terms and what ranking needs. */
typedef struct feed_cand {
    float content, author, tie, recency;
    float score;
    uint32_t flags;          /* FEED_* below */
    int64_t time;            /* FEED_NO_TIME when absent */
    uint64_t author_key;     /* equal for posts of the same author (per-author cap) */
    uint64_t order;          /* input position; earlier wins ties */
} feed_cand_t;

#define FEED_UNKNOWN_VIEWER 1u
#define FEED_UNKNOWN_AUTHOR 2u
#define FEED_NO_CONTENT     4u   /* no known content and no known author */
#define FEED_AUTHOR_CONTENT 8u   /* content term from the author's embedding */

/* Fill c->content, c->author, c->tie and the flags for viewer (or
 * FEED_NONE), author (or FEED_NONE) and the post's known content rows
 * content[0..n_content). recency, score, time, author_key and order are left
 * to the caller. With m->head, content is left 0 when some item is known
 * (the caller scores the pairs through the head); the author fallback is set. */
void feed_terms(const feed_model_t *m, uint32_t viewer, uint32_t author,
                    const uint32_t *content, uint32_t n_content, feed_cand_t *c);

/* The newest time among c[0..n), FEED_NO_TIME if none has one. */
int64_t feed_newest(const feed_cand_t *c, uint32_t n);

/* Set recency (relative to now) and score of c[0..n). */
void feed_score(const feed_weights_t *w, int64_t now, feed_cand_t *c, uint32_t n);

/* The top `top` candidates by score (ties: smaller order first), taking at
 * most `cap` posts of one author_key (cap 0: no cap). Over-cap posts are
 * skipped, not used to fill up, so fewer than `top` may come back. Writes
 * indices into c, best first, to out [top]; returns how many.
 * scratch: [n] uint32. */
uint32_t feed_top(const feed_cand_t *c, uint32_t n, uint32_t top, uint32_t cap,
                      uint32_t *out, uint32_t *scratch);

/* Ranking metrics of one viewer's candidates ordered by key descending
 * (ties: smaller index first for NDCG; half a pair for AUC):
 *   NDCG@k = gnn_ndcg (gnn/eval.h) of the ordered labels; NaN when there
 *            is no positive
 *   AUC    = P(positive scored above negative), ties count 1/2; NaN when
 *            there is no positive or no negative
 * key [n], label [n] (nonzero = engaged); scratch [2n] uint32. */
void feed_metrics(const double *key, const uint8_t *label, uint32_t n, uint32_t k,
                      uint32_t *scratch, double *ndcg, double *auc);

#endif
