/* trainer.h - the training run behind `gnnrec train` (and bench_train):
 * one call fits a model on a store's training interactions and saves it.
 *
 * Protocols:
 *   valid_fraction > 0  a validation split is carved from each user's
 *                       training interactions (seeded); the model trains on
 *                       the rest, early stopping (patience) watches
 *                       validation Recall@K, the saved embeddings are those of
 *                       the best validation epoch; the test split is only
 *                       reported at the end.
 *   valid_fraction = 0  the benchmark papers' protocol: fixed epochs on all
 *                       training interactions, test metrics every eval_every
 *                       epochs, the last epoch saved. The test set never
 *                       selects anything (patience needs validation).
 * Checkpoints (parameters, Adam state, best embeddings so far, the metrics
 * log) are staged every checkpoint_every epochs (gnn_saved_stage: the model
 * users serve is untouched until the run ends, gnn/saved.h), so --resume
 * continues where a killed run stopped; sampling is seeded by (seed,
 * epoch), so a resumed run equals an uninterrupted one bit for bit.
 * Architectures without BPR are "fitted" instead: pop counts degrees,
 * gf-cf/bspm compute their filter (gnn/gfcf.h).
 *
 * Nothing here prints except the in-epoch progress line (base/clock.h
 * progress_t, driven by gnn_model_t.step_hook; shown on a terminal or with
 * opts.progress = 1): the caller gets notes, one report per epoch and the
 * final test metrics, and formats them.
 */
#ifndef GNNREC_GNN_TRAINER_H
#define GNNREC_GNN_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "gnn/eval.h"
#include "gnn/gfcf.h"
#include "gnn/model.h"
#include "gnn/saved.h"
#include "gnn/warm.h"
#include "graph/csr.h"
#include "graph/order.h"
#include "graph/typed.h"
#include "store/store.h"

typedef enum { GNN_STOP_NONE, GNN_STOP_PATIENCE, GNN_STOP_TIME } gnn_stop_t;

/* What the run tells its caller once per epoch. */
typedef struct gnn_epoch_report {
    uint32_t epoch, epochs;   /* this epoch (from 1) of the run's --epochs */
    double loss;              /* mean batch loss */
    double lr;                /* the rate of the epoch's last step */
    double seconds;           /* the epoch's training time (no evaluation) */
    double eta;               /* seconds left at this run's pace */
    int evaluated;            /* metrics below are set */
    const char *watch;        /* "valid" or "test": what metrics measured */
    gnn_metrics_t metrics;
    int rated;                /* --loss mse: rmse and mae below are the test ratings' */
    double rmse, mae;
    int valid_rated;          /* --loss mse with --valid-fraction: the validation ratings' (what is watched) */
    double valid_rmse, valid_mae;
    double eval_seconds;
    gnn_stop_t stop;          /* GNN_STOP_PATIENCE, _TIME: the run stops after this epoch */
    uint32_t best_epoch;      /* epoch of the saved embeddings so far */
} gnn_epoch_report_t;

/* Things worth a line before training starts. */
typedef enum {
    GNN_NOTE_JOINT, GNN_NOTE_RESUME, GNN_NOTE_START, GNN_NOTE_FITTED, GNN_NOTE_ORDER, GNN_NOTE_WARM
} gnn_note_kind_t;

typedef struct gnn_trainer_note {
    gnn_note_kind_t kind;
    const graph_typed_t *typed;   /* JOINT: the joint graph's counts */
    uint32_t n_users, n_items;    /* START, FITTED */
    uint64_t n_train;             /* START: interactions trained on */
    int split;                    /* START: a validation split was carved */
    uint32_t start_epoch;         /* RESUME */
    uint32_t best_epoch;          /* RESUME */
    double best_metric;           /* RESUME */
    const char *watch;            /* RESUME: "valid" or "test" */
    uint32_t svd_k;               /* FITTED: singular vectors kept */
    double seconds;               /* FITTED: fit time; ORDER: time to order and relabel */
    graph_order_id_t order;       /* ORDER: the node order the run trains in */
    const gnn_warm_report_t *warm;   /* WARM: what --init-from copied and placed (gnn/warm.h) */
    const char *from;                /* WARM: the model it started from */
} gnn_trainer_note_t;

typedef struct gnn_trainer_opts {
    gnn_hparams_t hp;             /* architecture and training hyper-parameters */
    uint32_t epochs;              /* run up to this epoch (100) */
    uint32_t eval_every;          /* evaluate every N epochs, 0 = only at the end (10) */
    uint32_t patience;            /* stop after N evaluations without improvement, 0 = never */
    float time_limit;             /* seconds: the epoch that ends past them is the last (evaluated and
                                   * saved as the last epoch is), 0 = none; this run's time only */
    uint32_t checkpoint_every;    /* stage a checkpoint every N epochs, 0 = never */
    float valid_fraction;         /* 0: papers' protocol; > 0: validation split */
    uint32_t eval_users;          /* 0: every user with held-out items; N: a seeded sample of N of
                                   * them (hp.seed), the same at every evaluation (large graphs) */
    const uint32_t *ks;           /* [n_k] cut-offs; ks[0] is watched */
    size_t n_k;
    const char *metrics_log;      /* NULL, or a file the log's lines also go to */
    int resume;                   /* continue the saved (or staged) checkpoint */
    const char *init_from;        /* NULL, or a saved model whose node rows start the run (gnn/warm.h) */
    int progress;                 /* progress line mode: 0 auto (terminal), 1 always, -1 never */
    graph_typed_opts_t edges;     /* edge types of the training graph and their weights */
    graph_order_id_t order;       /* node numbering the steps run in (GRAPH_ORDER_AUTO; graph/order.h):
                                   * a relabelling inside the run only, the saved model is in the
                                   * store's ids whatever it is */
    gnn_gfcf_params_t gf;         /* gf-cf / bspm settings */
    void (*on_epoch)(void *ctx, const gnn_epoch_report_t *r);   /* NULL: none */
    void (*on_note)(void *ctx, const gnn_trainer_note_t *n);    /* NULL: none */
    void *ctx;
} gnn_trainer_opts_t;

typedef struct gnn_trainer_result {
    gnn_arch_kind_t kind;
    int nothing_to_do;            /* --resume of a model that already ran opts.epochs */
    uint32_t start_epoch;         /* where this run started (resume) */
    uint32_t epoch;               /* epochs done at the end */
    uint32_t best_epoch;          /* epoch of the saved embeddings */
    double seconds;               /* training (all runs) or fit time */
    double eval_seconds;          /* filters: the test evaluation's time */
    int have_test;                /* test metrics below were computed */
    gnn_metrics_t test;           /* the saved model's test metrics (never used to select) */
    uint64_t n_rated;             /* --loss mse: test ratings scored (0: none), their rmse and mae */
    double rmse, mae;
} gnn_trainer_result_t;

/* Defaults of every option (the command's defaults); hp as gnn/model.h. */
void gnn_trainer_defaults(gnn_trainer_opts_t *o);

/* Train (or fit) the model of o->hp.arch on store s's training
 * interactions and save it as model `name`. ERR_USAGE for settings that
 * contradict the store or the model being resumed. */
int gnn_trainer_run(store_t *s, const char *name, const gnn_trainer_opts_t *o, gnn_trainer_result_t *out,
                    err_t *e);

/* The graphs of a BPR run, for callers that load them themselves (bench). */
typedef struct gnn_trainer_data {
    uint32_t n_users, n_items;
    const graph_csr_t *fit;       /* R the model trains on */
    const graph_csr_t *adj;       /* its normalized adjacency (or the joint graph's) */
    const graph_typed_t *typed;   /* NULL, or the joint graph adj belongs to */
    const graph_csr_t *watch, *watch_exclude;   /* evaluated every eval_every epochs */
    const graph_csr_t *test, *train;            /* final report: test, excluding train (test NULL: none) */
    uint32_t valid_users;         /* rows of the validation split (0: none) */
    const uint32_t *perm;         /* NULL: fit and adj in the store's ids; else [n_users + n_items]:
                                   * the training id of each store node (users first, items at
                                   * n_users + item; gnn_trainer_order), fit and adj are relabelled
                                   * by it and everything else stays in store ids */
} gnn_trainer_data_t;

/* The node order a run on fit uses (o->order, AUTO resolved: community
 * when the (users + items) x dim float tables exceed GNN_ORDER_CACHE_BYTES
 * and the model propagates, none otherwise; joint graphs are not
 * reordered). *perm = NULL for none; else *perm [n_users + n_items] as
 * gnn_trainer_data_t.perm (free() it) and *fit_out = fit relabelled.
 * *how says which order was used. */
#define GNN_ORDER_CACHE_BYTES (32u << 20)
int gnn_trainer_order(const gnn_trainer_opts_t *o, const graph_csr_t *fit, graph_csr_t *fit_out, uint32_t **perm,
                      graph_order_id_t *how, err_t *e);

/* The BPR epoch loop on d; s = NULL trains without saving anything (no
 * checkpoints, no resume). What gnn_trainer_run calls for GNN_KIND_EMBED. */
int gnn_trainer_fit(store_t *s, const char *name, const gnn_trainer_data_t *d, const gnn_trainer_opts_t *o,
                    gnn_trainer_result_t *out, err_t *e);

/* --resume must continue the same model on the same graph: architecture,
 * loss, sizes, edge types, weights and normalization of checkpoint meta p
 * against options o on n_users x n_items (ERR_USAGE naming model name and
 * the first difference). Graph settings of models saved before they were
 * recorded (p->edges == 0) are not checked. The BPR trainer's and the
 * rating loop's (gnn/rating.h: rows of dim + 2; it checks its head and
 * ratings after this). */
int gnn_trainer_check_resume(const gnn_trainer_opts_t *o, const char *name, uint32_t n_users, uint32_t n_items,
                             const gnn_saved_meta_t *p, err_t *e);

/* The saved model's meta record of a BPR run on d after `step` Adam steps
 * and `epoch` epochs (what gnn_trainer_fit saves; dist/evalsave.c too). */
void gnn_trainer_meta(const gnn_trainer_opts_t *o, const gnn_trainer_data_t *d, uint64_t step, uint32_t epoch,
                      uint32_t best_epoch, double best_metric, double seconds, gnn_saved_meta_t *meta);

/* The epoch's line of the metrics log (JSON, newline-terminated). */
void gnn_trainer_log_line(const gnn_epoch_report_t *rep, char *line, size_t cap);

/* The lines `gnnrec train` prints (trainer_text.c), '\n'-terminated, cut at
 * cap bytes (1024 holds any of them): a note before training; an epoch's
 * report; the result, empty when there is nothing to report (no test
 * split, or nothing_to_do). */
void gnn_trainer_note_text(const gnn_trainer_opts_t *o, const char *name, const gnn_trainer_note_t *n, char *buf,
                           size_t cap);
void gnn_trainer_epoch_text(const gnn_trainer_opts_t *o, const gnn_epoch_report_t *p, char *buf, size_t cap);
void gnn_trainer_result_text(const gnn_trainer_opts_t *o, const char *name, const gnn_trainer_result_t *res,
                             char *buf, size_t cap);

/* --lr-decay's names in GNN_LR_* order, NULL-terminated. */
const char *const *gnn_trainer_decay_names(void);

/* The resolved settings as YAML text (saved as the model's config blob). */
void gnn_trainer_config_text(const gnn_trainer_opts_t *o, char *buf, size_t n);

#endif
