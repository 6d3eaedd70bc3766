/* saved.h - trained models in the store, end to end: the one place that
 * knows the saved-model format (blob keys, the meta record and its
 * versions), its writers (embedding models and their checkpoints, pop,
 * gf-cf/bspm) and its readers (eval, infer, --resume).
 *
 * A saved model is a set of blobs under its name (store_blob_*), keys
 * GNN_SAVED_KEY_*:
 *   meta      gnn_saved_meta_t, fixed layout, versioned (below)
 *   config    the resolved settings as YAML text, for people (nothing
 *             reads it back: the settings that matter are typed in meta)
 *   emb       float32 [(n_users + n_items) x dim]: the final (propagated)
 *             embeddings of the best epoch; users first, then items. Read
 *             zero-copy from LMDB's memory map by eval/infer.
 *   emb_entities  float32 [n_entities x dim], only for a model trained on a
 *             joint graph with knowledge edges: the entities' final
 *             embeddings (the rows after the items, graph/typed.h).
 *   metrics   the metrics log, JSON lines (one per epoch)
 *   params, adam_m, adam_v   float32 [n_params]: the latest checkpoint,
 *             which --resume continues from
 *   gfcf, gfcf_v, gfcf_s     gf-cf/bspm/chebycf: gnn_gfcf_params_t, V [I x k], s [k];
 *             itemknn: the same record, gfcf_v = the similarities [I x k],
 *             gfcf_s = the mean similarity of the t-th neighbour [k];
 *             ease: gfcf_v = B [I x I] (dim = I), gfcf_s = diag(P) [I]; and
 *   knn_idx   itemknn: u32 [I x k], each item's neighbours, best first
 *   ivf       the model's approximate top-K index (`gnnrec index`, gnn/ivf.h),
 *             one blob of 32-bit words: u32 [4] (1, nlist, dim, n_items),
 *             centroids float [nlist x dim], list_ptr u32 [nlist + 1],
 *             list_item u32 [n_items], list_emb float [n_items x dim]. A
 *             retrained model is written whole, so an index never outlives
 *             the embeddings it was built from.
 *   head      an MLP scoring head (`train --head mlp`, gnn/head.h: its words
 *             and weights), only for such a model; its absence means the
 *             dot product, so every model saved before it reads unchanged
 *             (an older gnnrec ignores the blob and ranks by the dot of
 *             "emb": a different ranking, not a failure)
 *   crc       a CRC-32C (base/crc.h) and the byte size of every other blob of
 *             the model, meta included, written in the transaction that
 *             writes them: u32 version (1), u32 n, n x {char key[16]; u64
 *             bytes; u32 crc; u32 0}, u32 CRC-32C of the bytes before it.
 *             Every reader here (gnn_saved_blob) checks a blob against it
 *             and fails with ERR_STORE "corrupt model blob KEY" rather than
 *             serve a damaged table. A model saved before checksums has no
 *             crc blob (or, indexed since, one naming only "ivf"): its other
 *             blobs read unchecked, exactly as before; `gnnrec check`
 *             reports them as "no checksum". The meta version stays 2: the
 *             table is a blob of its own, which an older gnnrec ignores.
 *
 * A run in progress checkpoints under the staging name NAME~run
 * (gnn_saved_stage), never over NAME: the model users serve stays the
 * previous finished run until gnn_saved_write replaces it and drops the
 * staging in one transaction. The staging's meta record is stored under
 * GNN_SAVED_KEY_RUN_META, not "meta", so model listings (store_model_list)
 * do not show it. --resume reads the staging when there is one, else the
 * model (gnn_saved_checkpoint), every blob in the caller's one transaction.
 *
 * Meta versions:
 *   1  (gnnrec <= 0.1 before issue 16) the first 104 bytes below; the
 *      graph and schedule settings lived only in the config text. Read
 *      still: gnn_saved_meta converts it, taking those settings from the
 *      config text once (the only place the text is parsed).
 *   2  adds the settings typed: architecture id (and name), edge types,
 *      weights and normalization, lr schedule, steps_per_epoch, ...
 *      Later fields took reserved words, which older records have as zero,
 *      so the version stays 2 and the record 176 bytes: loss, rating_mean,
 *      rating_min, rating_max (issue 17) and saved_at (issue 19). A rating
 *      model (loss mse, gnn/rating.h) keeps its biases as two extra columns
 *      of "emb" (dim = factors + 2: user rows [p_u, b_u, 1], item rows
 *      [q_i, 1, b_i]), so the dot product is p.q + b_u + b_i: every reader
 *      ranks it correctly unchanged (an older gnnrec too), and the predicted
 *      rating is rating_mean + that dot.
 *
 * Model management (`gnnrec models`): gnn_saved_list describes every model
 * and staging, gnn_saved_remove drops one with all its blobs.
 */
#ifndef GNNREC_GNN_SAVED_H
#define GNNREC_GNN_SAVED_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "gnn/gfcf.h"
#include "gnn/head.h"
#include "gnn/ivf.h"
#include "gnn/model.h"
#include "io/writer.h"
#include "store/check.h"
#include "store/store.h"

#define GNN_SAVED_VERSION 2u   /* what this gnnrec writes; version 1 still reads */

#define GNN_SAVED_KEY_META "meta"
#define GNN_SAVED_KEY_CONFIG "config"
#define GNN_SAVED_KEY_EMB "emb"
#define GNN_SAVED_KEY_EMB_ENTITIES "emb_entities"
#define GNN_SAVED_KEY_METRICS "metrics"
#define GNN_SAVED_KEY_PARAMS "params"
#define GNN_SAVED_KEY_ADAM_M "adam_m"
#define GNN_SAVED_KEY_ADAM_V "adam_v"
#define GNN_SAVED_KEY_GFCF "gfcf"
#define GNN_SAVED_KEY_GFCF_V "gfcf_v"
#define GNN_SAVED_KEY_GFCF_S "gfcf_s"
#define GNN_SAVED_KEY_KNN_IDX "knn_idx"
#define GNN_SAVED_KEY_IVF "ivf"
#define GNN_SAVED_KEY_HEAD "head"
#define GNN_SAVED_KEY_CRC "crc"             /* the checksums of the other blobs */
#define GNN_SAVED_KEY_RUN_META "run_meta"   /* the staging's meta (not listed as a model) */
#define GNN_SAVED_STAGE_SUFFIX "~run"       /* staging name = model name + this */
#define GNN_SAVED_NAME_MAX 200u             /* bytes of a model name in the store (store_blob_*) */

/* Edge types of the training graph (gnn_saved_meta_t.edges) */
enum { GNN_SAVED_EDGE_INTERACTION = 1u, GNN_SAVED_EDGE_SOCIAL = 2u, GNN_SAVED_EDGE_KNOWLEDGE = 4u };

typedef struct gnn_saved_meta {
    uint32_t version;
    char arch[16];            /* the architecture's name (gnn/arch.h) */
    uint32_t n_users, n_items, dim, layers;
    uint32_t batch_size, negatives;
    float lr, reg;
    uint64_t seed;
    uint64_t step;            /* Adam steps of the checkpoint */
    uint32_t epoch;           /* epochs done at the checkpoint */
    uint32_t best_epoch;      /* epoch whose embeddings are in "emb" (0: none yet) */
    double best_metric;       /* validation (or test) metric at best_epoch, -1 if none */
    double train_seconds;     /* wall time of all runs so far */
    uint32_t valid_users;     /* users in the validation split (0: none) */
    uint32_t n_entities;      /* entity rows of a joint-graph model (blob "emb_entities"), else 0 */
    /* ---- version 2 (filled from the config text for a version-1 record) ---- */
    uint32_t arch_id;         /* gnn_arch_id_t; GNN_ARCH_N if the name is unknown */
    uint32_t edges;           /* GNN_SAVED_EDGE_* bits; 0: not recorded (old version-1 model) */
    float w_social, w_knowledge;
    uint32_t edge_norm;       /* 0 joint, 1 per-type (graph_typed_opts_t.per_type_norm) */
    uint32_t steps_per_epoch;
    float lr_warmup, lr_min;
    uint32_t lr_decay;        /* GNN_LR_* */
    uint32_t lr_epochs;
    uint32_t n_relations;     /* learned relation weights (kglightgcn) */
    float valid_fraction;
    uint32_t fp32_tables;
    /* ---- in words that were reserved (zero) in version 2: a record written before reads as bpr,
     * saved_at 0 ---- */
    uint32_t loss;            /* GNN_LOSS_BPR (0) or GNN_LOSS_MSE: a rating model (gnn/rating.h) */
    float rating_mean;        /* mse: the global mean of the training ratings (mu) */
    float rating_min, rating_max;   /* mse: the training ratings' range; predictions are clipped to it */
    uint32_t saved_at;        /* when the writer saved it, seconds since 1970 (UTC, unsigned: to 2106);
                               * 0: not recorded (saved before issue 19) */
} gnn_saved_meta_t;

/* Blob key of model (or staging) name, checked against the model's
 * checksum when one was recorded: ERR_STORE "corrupt model blob KEY" when
 * its bytes are not what was saved, ERR_NOTFOUND when absent. Zero copy
 * (valid while t is open); gnn_saved_floats is the float view of
 * store_blob_get_floats. Every reader of a model blob goes through these. */
int gnn_saved_blob(store_txn_t *t, const char *name, const char *key, const void **p, size_t *len, err_t *e);
int gnn_saved_floats(store_txn_t *t, const char *name, const char *key, const float **p, size_t *n, err_t *e);

/* `gnnrec check` of one model or staging (name as stored, NAME~run for a
 * staging): every blob against the checksum table (a mismatch, a recorded
 * blob that is missing, a damaged table: problems; a blob without a
 * checksum: counted in c->blobs_unchecked and noted once per model), the
 * meta record readable, blob sizes against the meta (embeddings (U + I) x
 * dim, entities, params/adam_m/adam_v equal, gf-cf's V and s, the index's
 * layout, an MLP head's words and size), the meta's users and items against the store's counts (more
 * than the store has: a problem; fewer: a note, the model predates an
 * append). Problems and notes go to c (store/check.h). ERR_OK unless the
 * check itself could not run. */
int gnn_saved_check(store_txn_t *t, const char *name, store_check_t *c, err_t *e);

/* Read the meta record of model name (ERR_NOTFOUND names the model); a
 * version-1 record is converted (its config text supplies the version-2
 * fields). */
int gnn_saved_meta(store_txn_t *t, const char *name, gnn_saved_meta_t *meta, err_t *e);

/* Was the model trained on a joint graph (social or knowledge edges)? What
 * infer asks before folding a new user in by the interaction-only rule. */
int gnn_saved_joint(const gnn_saved_meta_t *meta);

/* meta + zero-copy final embeddings; checks the store still has the model's
 * users and items (ERR_USAGE "retrain" when ids were appended since). */
int gnn_saved_embeddings(store_txn_t *t, const char *name, gnn_saved_meta_t *meta,
                         const float **emb, err_t *e);

/* Model name's MLP head (blob "head"), its weights a zero-copy view:
 * ERR_NOTFOUND when it has none (it ranks by the dot product; e is left
 * as it was), ERR_STORE
 * when the blob is damaged or does not fit meta's embedding width. */
int gnn_saved_head(store_txn_t *t, const char *name, const gnn_saved_meta_t *meta, gnn_head_t *h, const float **w,
                   err_t *e);

/* An embedding model (or checkpoint) to write; pointers borrowed. */
typedef struct gnn_saved_model {
    gnn_saved_meta_t meta;    /* version is set by the writer */
    const char *config;       /* YAML text, NUL-terminated */
    const float *emb;         /* [(n_users + n_items + n_entities) x dim], NULL: none yet (staging only) */
    const char *metrics;      /* JSON lines */
    size_t metrics_len;
    const float *params, *adam_m, *adam_v;   /* [n_params] each; NULL: no parameters (pop) */
    size_t n_params;
    /* Optional: called with emb, params, adam_m and adam_v, each right after
     * it was copied into the transaction, so a caller done with it frees it:
     * the final save of a large run then never holds a table twice (the
     * transaction's copy is as big as the model). A save that frees its
     * tables cannot run again, so the caller reserves the map first
     * (store_reserve) and fails rather than reruns (trainer.c). */
    void (*copied)(void *ctx, const float *table);
    void *copied_ctx;
    const gnn_head_t *head;   /* NULL: the dot product; else the MLP head with weights head_w */
    const float *head_w;
} gnn_saved_model_t;

/* Save m as model name, replacing a model of that name whole and dropping
 * its staging (the finished run takes over in this one transaction). */
int gnn_saved_write(store_txn_t *t, const char *name, const gnn_saved_model_t *m, err_t *e);
/* gnn_saved_write in a write transaction of its own (store_write: aborted
 * on failure, rerun when the map grows). */
int gnn_saved_put(store_t *s, const char *name, const gnn_saved_model_t *m, err_t *e);
/* gnn_saved_put with the tables written piece by piece: each of "emb"
 * ((n_users + n_items) x dim floats), "emb_entities" (meta.n_entities x
 * dim, when not 0), "params", "adam_m" and "adam_v" (m->n_params floats
 * each) is reserved in the transaction (store_blob_reserve) and
 * f->fn(f->ctx, GNN_SAVED_TABLE_*, dst, n, e) fills its n floats before
 * the next blob is put; m's table pointers are not read. f->no_emb: no
 * embedding blobs (a checkpoint, which --resume does not read them from). fn runs again for every table when store_write reruns the
 * transaction (the map grew). The distributed trainer's save: rank 0
 * streams the ranks' rows into the blobs (dist/train.c) without holding a
 * whole table. */
#define GNN_SAVED_TABLE_EMB 0
#define GNN_SAVED_TABLE_PARAMS 1
#define GNN_SAVED_TABLE_ADAM_M 2
#define GNN_SAVED_TABLE_ADAM_V 3
#define GNN_SAVED_TABLE_EMB_ENTITIES 4
typedef struct gnn_saved_fill {
    int (*fn)(void *ctx, int table, float *dst, size_t n, err_t *e);
    void *ctx;
    int no_emb;
} gnn_saved_fill_t;
int gnn_saved_put_filled(store_t *s, const char *name, const gnn_saved_model_t *m, const gnn_saved_fill_t *f,
                         err_t *e);
/* gnn_saved_stage the same way, in a write transaction of its own: the
 * distributed trainer's checkpoint (staging NAME~run, model name untouched).
 * f may be NULL: m's tables are written (the rating trainer's checkpoint). */
int gnn_saved_stage_filled(store_t *s, const char *name, const gnn_saved_model_t *m, const gnn_saved_fill_t *f,
                           err_t *e);
/* Save m as the checkpoint of a run in progress (staging NAME~run),
 * leaving model name untouched. ERR_USAGE when name is too long for a
 * staging name (more than GNN_SAVED_NAME_MAX - 4 bytes). */
int gnn_saved_stage(store_txn_t *t, const char *name, const gnn_saved_model_t *m, err_t *e);
/* Drop the staging of name, if any (a fresh run abandons an old one). */
int gnn_saved_unstage(store_txn_t *t, const char *name, err_t *e);
/* A fresh run's start (the BPR, rating and distributed trainers): drops the
 * staging of an interrupted run of name, if there is one, in a write
 * transaction of its own; writes nothing when there is none. */
int gnn_saved_abandon(store_t *s, const char *name, err_t *e);
/* A run that checkpoints (every > 0) must fit NAME~run in a model name:
 * ERR_USAGE naming both lengths, before any epoch; ERR_OK otherwise. */
int gnn_saved_check_stage_name(const char *name, uint32_t every, err_t *e);

/* Is there a staged checkpoint of name (an interrupted run)? */
int gnn_saved_staged(store_txn_t *t, const char *name);
/* The meta record of name's staging (NAME~run): ERR_NOTFOUND when none. */
int gnn_saved_stage_meta(store_txn_t *t, const char *name, gnn_saved_meta_t *meta, err_t *e);

/* A checkpoint as read for --resume: zero-copy views into t's memory map. */
typedef struct gnn_saved_checkpoint {
    gnn_saved_meta_t meta;
    int staged;               /* 1: read from the staging of a run in progress */
    const float *params, *adam_m, *adam_v;   /* [n_params] */
    size_t n_params;
    const float *emb;         /* [n_emb] best embeddings so far, NULL if none */
    size_t n_emb;
    const float *emb_entities;/* [n_emb_entities] or NULL */
    size_t n_emb_entities;
    const char *metrics;      /* metrics log so far (not NUL-terminated) */
    size_t metrics_len;
    const float *head;        /* [n_head] its MLP head's blob (gnn_head_blob_read), NULL if none */
    size_t n_head;
} gnn_saved_checkpoint_t;

/* Read the checkpoint --resume continues: the staging of name if a run was
 * interrupted, else the model itself; every blob in t (one transaction, so
 * never a mix of two checkpoints). ERR_NOTFOUND "no model named" when
 * neither exists. */
int gnn_saved_checkpoint(store_txn_t *t, const char *name, gnn_saved_checkpoint_t *c, err_t *e);

/* The popularity model: emb [(n_users + n_items) x 1] (users 1, items their
 * training degree), arch "pop", with the run's config text. */
int gnn_saved_write_pop(store_txn_t *t, const char *name, uint32_t n_users, uint32_t n_items, uint64_t seed,
                        const float *emb, const char *config, err_t *e);

/* Save a fitted gf-cf/bspm model m as `name` (meta with arch "gf-cf" or
 * "bspm" and dim = svd_k, config text, gfcf params, gfcf_v [I x k], gfcf_s
 * [k], an empty metrics log), replacing a model of that name. */
/* Save ix as model name's index (replacing one) in the caller's write
 * transaction; the model must exist. */
int gnn_saved_ivf_put(store_txn_t *t, const char *name, const gnn_ivf_t *ix, err_t *e);
/* Build model name's index over its item embeddings (gnn_ivf_build's
 * nlist, iters, seed) and save it with the model in one write transaction,
 * refused when the model was retrained meanwhile; *out is the index built
 * (gnn_ivf_destroy it). Embedding models only (ERR_USAGE otherwise). */
int gnn_saved_ivf_build(store_t *s, const char *name, uint32_t nlist, uint32_t iters, uint64_t seed, int threads,
                        gnn_ivf_t *out, err_t *e);
/* Model name's index as a view into the memory map (valid while t is open):
 * ERR_NOTFOUND "no index ... run gnnrec index" when there is none,
 * ERR_STORE when it does not match the model. */
int gnn_saved_ivf_get(store_txn_t *t, const char *name, const gnn_saved_meta_t *meta, gnn_ivf_t *ix, err_t *e);

int gnn_gfcf_save(store_txn_t *t, const char *name, const gnn_gfcf_t *m, const char *config,
                  double fit_seconds, err_t *e);

/* ---- model management (`gnnrec models`) ---- */

/* One saved model or staging as gnn_saved_list describes it. */
typedef struct gnn_saved_info {
    char name[GNN_SAVED_NAME_MAX + 1];   /* as stored: NAME, or NAME~run for a staging */
    int staged;               /* 1: the checkpoint of a run in progress or interrupted (NAME~run) */
    gnn_saved_meta_t meta;    /* meta (run_meta for a staging); meta.saved_at 0: not recorded */
    uint64_t bytes;           /* bytes of all its blobs (meta, config, emb, ..., ivf, crc) */
    uint32_t blobs;           /* how many blobs */
    /* the evaluated metrics of the metrics log's line for meta.best_epoch, as
     * they were logged: `"valid_recall@20":0.123456,...` (JSON members, no
     * braces; "" when the log has no evaluation of that epoch) */
    char metrics[768];
} gnn_saved_info_t;

/* fn(info, ctx) for every model of the store (names holding a meta) and,
 * when stagings != 0, every staging (NAME~run holding a run_meta), in byte
 * order of the names. A name whose meta cannot be read is ERR_STORE (run
 * gnnrec check). fn returns ERR_OK to go on, or a status that ends the
 * listing and is returned (a failed write of the caller). */
int gnn_saved_list(store_txn_t *t, int stagings, int (*fn)(const gnn_saved_info_t *info, void *ctx, err_t *e),
                   void *ctx, err_t *e);

/* Drop model name and every blob under it (meta, config, emb, metrics,
 * params, Adam moments, gf-cf tables, ivf index, crc table) together with
 * its staging, inside the caller's write transaction (store_write: all or
 * nothing). A staging name NAME~run drops only the staging. ERR_NOTFOUND
 * "no model named 'X' in this store (models: a, b)" when there is neither. */
int gnn_saved_remove(store_txn_t *t, const char *name, err_t *e);

/* What `gnnrec models` prints, appended to b (io/writer.h):
 *   gnn_saved_info_header  the TSV header line: name kind arch dim layers
 *                          epochs best_epoch users items metrics bytes saved
 *   gnn_saved_info_format  one model as a TSV row (metrics as
 *                          key=value,...; "-" for none; saved as
 *                          YYYY-MM-DDTHH:MM:SSZ or "-") or, json != 0, a
 *                          JSON line (metrics an object, saved null when
 *                          not recorded, plus blobs). ERR_INPUT for a name
 *                          a TSV field cannot hold (a TAB or newline).
 *   gnn_saved_show         model (or staging) name: its meta record as
 *                          `# key: value` comment lines, then its config
 *                          text as saved (YAML), so the output reads as a
 *                          config. ERR_NOTFOUND naming the models. */
void gnn_saved_info_header(io_buf_t *b);
int gnn_saved_info_format(const gnn_saved_info_t *in, int json, io_buf_t *b, err_t *e);
int gnn_saved_show(store_txn_t *t, const char *name, io_buf_t *b, err_t *e);

#endif
