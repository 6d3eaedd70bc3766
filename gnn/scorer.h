/* scorer.h - the one ranking path: a scorer for any saved model (embedding
 * models, popularity, graph filters), the top-K of a block of its queries,
 * and the ranking jobs of `gnnrec infer` written as TSV rows or JSON lines.
 *
 * Every ranking goes through one job loop (rank.c): a block of queries ->
 * scores -> the seen items excluded -> top-K -> rows to an io_writer_t.
 * What differs between infer's modes is only which scorer and which
 * queries: stored users (rows of the saved user embeddings, or of the
 * training matrix for gf-cf/bspm), new users (folded-in vectors, gnn/foldin.h,
 * or their item rows for filters), items (unit-length item embeddings:
 * cosine) and users again (unit-length user embeddings: people you may
 * know). eval (gnn/eval.h) ranks through gnn_topk_scorer too, so a model
 * ranks the same in eval and infer.
 *
 * Popularity (item training degrees) is computed in one place,
 * graph_csr_col_degrees (graph/csr.h): the pop model, fold-in and the
 * fallback for a new user with no known item all use it.
 *
 * Memory: a job holds top-K ids and scores for one block of queries
 * (<= 8M entries: 64 MiB) plus the query rows of that block; eval the same
 * (gnn/eval.c); the embedding tables are read zero-copy from the store.
 */
#ifndef GNNREC_GNN_SCORER_H
#define GNNREC_GNN_SCORER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "gnn/arch.h"
#include "gnn/saved.h"
#include "graph/csr.h"
#include "io/writer.h"
#include "store/store.h"

/* ---- the scorer: one ranking path for every kind of model ----
 *
 * A query is a row of a history matrix hist [n_rows x n_items] (a user's
 * training items, or a new user's items); rows[j] names the row of query j
 * (rows == NULL: query j is row j). Two kinds:
 *   embedding  score(j, i) = user_emb[rows[j]] . item_emb[i]; hist unused
 *              (rows index user_emb). Ranked by gnn_topk (gnn/eval.h).
 *   callback   score() fills out [n x n_items] (row-major) for n queries;
 *              gf-cf and bspm (gnn/gfcf.h) score from the history rows, an
 *              MLP head (gnn/head.h, gnn_scorer_head) from the user's row.
 * score() is called concurrently from several OpenMP threads, each with its
 * own out, with OpenBLAS set to one thread: it must be reentrant. */
typedef struct gnn_scorer gnn_scorer_t;
struct gnn_scorer {
    char arch[16];
    uint32_t n_users, n_items;            /* n_users: rows of user_emb (0: any) */
    const float *user_emb, *item_emb;     /* embedding kind: [n_users x dim], [n_items x dim] */
    uint32_t dim;
    int (*score)(const gnn_scorer_t *s, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                 float *out, err_t *e);
    uint32_t block;                       /* queries per score() call (0: 64) */
    void *ctx;                            /* owned by the scorer, freed by destroy */
    void (*destroy)(gnn_scorer_t *s);
};

/* An embedding scorer over caller-owned tables (nothing to destroy). */
void gnn_scorer_emb(gnn_scorer_t *s, const char *arch, const float *user_emb, uint32_t n_users,
                    const float *item_emb, uint32_t n_items, uint32_t dim);
void gnn_scorer_destroy(gnn_scorer_t *s);
/* A callback scorer for an MLP head h (weights w, borrowed like the
 * tables) over embedding rows of width dim >= h->in: score(u, i) =
 * gnn_head_pair of the rows, a user against every item per call by
 * gnn_head_score_items (SGEMM per layer). Users past n_users score 0.
 * hist is only checked (any matrix of n_items columns with the query rows).
 * ERR_NOMEM. */
int gnn_scorer_head(gnn_scorer_t *s, const char *arch, const float *user_emb, uint32_t n_users, const float *item_emb,
                    uint32_t n_items, uint32_t dim, const gnn_head_t *h, const float *w, err_t *e);

/* gnn_topk for any scorer: queries (hist, rows[0..n_q)), same exclusion,
 * output and tie rules as gnn_topk (one selection code for both kinds). */
int gnn_topk_scorer(const gnn_scorer_t *s, const graph_csr_t *hist, const uint32_t *rows, uint32_t n_q,
                    const graph_csr_t *exclude, const uint32_t *exclude_row, uint32_t k, int threads,
                    uint32_t *out_items, float *out_scores, err_t *e);


/* ---- saved models as scorers ---- */

/* (after gnn_scorer_t, which gfcf.h uses: the graph filters' types, for
 * the callers of gnn_gfcf_save) */
#include "gnn/gfcf.h"
struct gnn_gfcf;

/* The scorer of saved model `model`. Embedding models read "emb" zero-copy;
 * gf-cf/bspm read their V zero-copy and score from g->train (degrees) and the
 * query rows. Borrows t's memory map and g: both must outlive the scorer.
 * ERR_USAGE ("retrain") when the store's interactions changed since the fit.
 * Release with gnn_scorer_destroy. */
int gnn_scorer_open(store_txn_t *t, const char *model, const graph_interactions_t *g, gnn_scorer_t *out,
                    err_t *e);

/* ---- ranking jobs (infer) ---- */

enum { GNN_RANK_TSV, GNN_RANK_JSONL };

#define GNN_RANK_NPROBE 24   /* default lists probed per user with use_index */

typedef struct gnn_rank_opts {
    uint32_t k;               /* results per query (>= 1) */
    int format;               /* GNN_RANK_TSV: query<TAB>rank<TAB>candidate<TAB>score rows;
                                 GNN_RANK_JSONL: {"user":..,"items":[{"item":..,"score":..},..]} */
    int include_seen;         /* keep the training items (default: excluded) */
    int skip_unknown;         /* unknown ids: a note and skipped (default: ERR_NOTFOUND naming them) */
    int threads;              /* 0 = all cores */
    int foldin_rule;          /* GNN_FOLDIN_MEAN0 (default) or GNN_FOLDIN_ZERO0 (gnn/foldin.h) */
    int use_index;            /* stored users of an embedding model: rank through the model's IVF
                               * index (gnnrec index; approximate), not every item */
    uint32_t nprobe;          /* lists each user probes with use_index (0: 24) */
    int names;                /* a name column after each item (TSV) / a "name" key (JSON): the
                               * store's item names (build-graph --item-names); empty / null if none */
    /* notes for the user (ids skipped, a fallback taken); NULL: dropped */
    void (*note)(void *ctx, const char *msg);
    void *note_ctx;
    /* results to a callback instead of the writer (w unused, may be NULL):
     * query j of the job (its position in the ids given), its top items
     * (dense ids, GNN_ITEM_NONE past the end) and scores [k]. The library
     * API (lib/gnnrec.h) collects infer's rankings this way. */
    int (*sink)(void *ctx, size_t query, const uint32_t *items, const float *scores, uint32_t k, err_t *e);
    void *sink_ctx;
} gnn_rank_opts_t;

/* A saved model opened for ranking: meta, its row of the architecture
 * table, the zero-copy final embeddings (NULL for graph filters). */
typedef struct gnn_ranker {
    store_txn_t *t;
    const char *model;
    gnn_saved_meta_t meta;
    const gnn_arch_t *arch;
    const float *emb;         /* [(U + I) x dim] or NULL */
    gnn_head_t head;          /* an MLP head (gnn/head.h) when head_w != NULL */
    const float *head_w;      /* its weights (zero-copy), NULL: the dot product */
} gnn_ranker_t;

/* The model to use: `given` if set, else the store's only model; an error
 * lists the models when there are several or none. out gets the name. */
int gnn_ranker_pick_model(store_txn_t *t, const char *given, char *out, size_t n, err_t *e);
/* Borrows t and model (both outlive r); nothing to destroy. */
int gnn_ranker_open(gnn_ranker_t *r, store_txn_t *t, const char *model, err_t *e);

/* Top-K items for stored users. spec: "all", or ids by the rule of
 * io/idlist.h (@FILE, a path with '/', or ID,ID,...); users in the order
 * given. */
int gnn_rank_users(const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e);
/* gnn_rank_users for share `share` of `shares` of the users spec gives: the
 * list split into contiguous pieces in the order given, each a whole number
 * of GNN_SHARD_ALIGN users but the last (the first units % shares pieces
 * one unit longer; a piece may be empty when there are fewer units than
 * shares), so the shares' rows one after the other are gnn_rank_users's
 * rows byte for byte (a distributed infer, dist/infer.h). Every share
 * resolves the whole spec (unknown ids fail or are noted the same way). */
#define GNN_SHARD_ALIGN 1024   /* a multiple of GNN_TOPK_TILE_USERS (gnn/eval.h; rank.c checks) */
int gnn_rank_users_share(const gnn_ranker_t *r, const char *spec, uint32_t share, uint32_t shares,
                         const gnn_rank_opts_t *o, io_writer_t *w, err_t *e);
/* The same for dense user ids ids[0..n) (each < meta.n_users; the caller
 * resolved them): what gnn_rank_users runs once the spec is resolved. */
int gnn_rank_user_ids(const gnn_ranker_t *r, const uint32_t *ids, size_t n, const gnn_rank_opts_t *o,
                      io_writer_t *w, err_t *e);
/* Top-K items for new users of a file `user item item ...` (io/idlist.h):
 * folded in by the model's rule (arch caps GNN_CAP_FOLDIN; embedding models
 * on interactions only), or scored from their item rows (graph filters);
 * their items excluded unless include_seen; a user with no known item gets
 * the popularity ranking (and a note). */
int gnn_rank_new_users(const gnn_ranker_t *r, const char *path, const gnn_rank_opts_t *o, io_writer_t *w,
                       err_t *e);
/* Nearest items by cosine of the final item embeddings, not the item
 * itself. spec as for users. Embedding models only (ERR_USAGE otherwise). */
int gnn_rank_similar_items(const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, io_writer_t *w,
                           err_t *e);
/* The same for dense item ids ids[0..n) (each < meta.n_items). */
int gnn_rank_similar_item_ids(const gnn_ranker_t *r, const uint32_t *ids, size_t n, const gnn_rank_opts_t *o,
                              io_writer_t *w, err_t *e);
/* Predictions for the pairs of a file of `user item` lines (blank-separated;
 * gnn/rank_pairs.c): one row user<TAB>item<TAB>prediction per pair in file
 * order, the predicted rating of a rating model (loss mse: mean + dot,
 * clipped to the training range) or the dot product of another embedding
 * model. Unknown ids (or ids appended since training): ERR_NOTFOUND
 * "FILE:LINE: unknown user 'x'", or with skip_unknown a note and the pair
 * skipped. TSV only; graph filters: ERR_USAGE. */
int gnn_rank_pairs(const gnn_ranker_t *r, const char *path, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e);
/* People a user may know: cosine of the final user embeddings, without the
 * user and its social ties (both directions). */
int gnn_rank_friends(const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, io_writer_t *w,
                     err_t *e);

#endif
