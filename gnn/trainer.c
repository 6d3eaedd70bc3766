/* trainer.c - the training run (trainer.h): graph loading and the
 * validation split, the BPR epoch loop with its evaluations, early stopping,
 * best snapshot, staged checkpoints and --resume, the metrics log, and the
 * fits of pop and the graph filters. Assumes the store is open and that
 * only the caller prints (the progress line aside). */
#include "gnn/trainer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "gnn/mlog.h"
#include "gnn/rating.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "graph/load.h"

static const char *const decay_names[] = {"constant", "cosine", "linear", NULL};

const char *const *gnn_trainer_decay_names(void) { return decay_names; }

void gnn_trainer_defaults(gnn_trainer_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->hp = (gnn_hparams_t){.arch = GNN_ARCH_LIGHTGCN, .dim = 64, .layers = 3, .batch_size = 2048,
                            .negatives = 1, .lr = 0.001f, .reg = 1e-4f, .seed = 2020, .lr_min = 0.01f,
                            .lr_epochs = 100};
    o->epochs = 100;
    o->eval_every = o->checkpoint_every = 10;
    o->edges = (graph_typed_opts_t){.interaction = 1, .w_social = 1.0f, .w_knowledge = 1.0f};
    o->order = GRAPH_ORDER_AUTO;
    gnn_gfcf_defaults(&o->gf);
}

static void gfcf_config(const gnn_trainer_opts_t *o, uint32_t k, char *buf, size_t n)
{
    const gnn_gfcf_params_t *g = &o->gf;
    if (o->hp.arch == GNN_ARCH_ITEMKNN) {
        snprintf(buf, n, "model: itemknn\nknn_k: %u\nknn_shrink: %g\nseed: %llu\n", k, (double)g->knn_shrink,
                 (unsigned long long)g->seed);
        return;
    }
    if (o->hp.arch == GNN_ARCH_EASE) {
        snprintf(buf, n, "model: ease\nease_lambda: %g\n", (double)g->ease_lambda);
        return;
    }
    snprintf(buf, n,
             "model: %s\nalpha: %g\nsvd_k: %u\nsvd_oversample: %u\nsvd_iters: %u\nseed: %llu\n"
             "bspm_beta: %g\nbspm_t_s: %g\nbspm_k_s: %u\nbspm_solver: %s\n"
             "cheby_order: %u\ncheby_phi: %g\ncheby_beta: %g\n",
             gnn_arch_get(o->hp.arch)->name, (double)g->alpha, k, g->svd_oversample, g->svd_iters,
             (unsigned long long)g->seed, (double)g->beta, (double)g->t_s, g->k_s, g->rk4 ? "rk4" : "euler",
             g->cheby_order, (double)g->cheby_phi, (double)g->cheby_beta);
}

void gnn_trainer_config_text(const gnn_trainer_opts_t *o, char *buf, size_t n)
{
    const gnn_hparams_t *h = &o->hp;
    if (gnn_arch_get(h->arch)->kind == GNN_KIND_FILTER) {
        gfcf_config(o, o->gf.svd_k, buf, n);
        return;
    }
    snprintf(buf, n,
             "model: %s\ndim: %u\nlayers: %u\nepochs: %u\nbatch_size: %u\nsteps_per_epoch: %u\nlr: %g\n"
             "lr_warmup: %g\nlr_decay: %s\nlr_min: %g\nlr_decay_epochs: %u\nreg: %g\n"
             "negatives: %u\nseed: %llu\nthreads: %d\neval_every: %u\nvalid_fraction: %g\npatience: %u\n"
             "edges: [interaction%s%s]\nweight_social: %g\nweight_knowledge: %g\nedge_norm: %s\nnode_order: %s\n",
             gnn_arch_get(h->arch)->name, h->dim, h->layers, o->epochs, h->batch_size, h->steps_per_epoch,
             (double)h->lr, (double)h->lr_warmup, decay_names[h->lr_decay], (double)h->lr_min, h->lr_epochs,
             (double)h->reg, h->negatives, (unsigned long long)h->seed, h->threads, o->eval_every,
             (double)o->valid_fraction, o->patience, o->edges.social ? ", social" : "",
             o->edges.knowledge ? ", knowledge" : "", (double)o->edges.w_social, (double)o->edges.w_knowledge,
             o->edges.per_type_norm ? "per-type" : "joint", graph_order_info(o->order)->name);
    size_t len = strlen(buf);
    if (h->cl_weight > 0.0f && len < n)   /* only then: a plain run's saved text stays what it was */
        snprintf(buf + len, n - len, "cl_weight: %g\ncl_eps: %g\ncl_temp: %g\ncl_layer: %u\ncl_batch: %u\n",
                 (double)h->cl_weight, (double)h->cl_eps, (double)h->cl_temp, h->cl_layer, h->cl_batch);
}

static void note(const gnn_trainer_opts_t *o, const gnn_trainer_note_t *n)
{
    if (o->on_note) o->on_note(o->ctx, n);
}

/* ---- the BPR run ---- */

typedef struct run {
    const gnn_trainer_opts_t *o;
    const gnn_trainer_data_t *d;
    store_t *s;
    const char *name;
    gnn_model_t m;
    float *emb;               /* [n_all] the last evaluation's final embeddings in store ids (entities
                               * after the items), in a table of the model's workspace (gnn_model_spare)
                               * until the next step: the run holds no [nodes x dim] table of its own */
    float *best;              /* what a save writes: emb itself without a validation split (the last
                               * evaluation is the one kept), else best_own */
    float *best_own;          /* [n_all] the best evaluation's embeddings (validation split only) */
    int model_ok;             /* r->m was initialized */
    uint32_t *watch_users, n_watch_users; /* eval_users: the sampled users of the watched split */
    uint8_t *perm_seen;       /* [U + I] scratch of graph_permute_rows (d->perm only) */
    float *perm_row;          /* [dim] */
    size_t n_emb, n_all;      /* (U + I) x dim, and with the entity rows */
    gnn_mlog_t log;
    uint32_t start, best_epoch, since_best;
    gnn_metrics_t best_metrics; /* the watched split's metrics at best_epoch (this run's evaluations) */
    int have_best_metrics;
    double best_metric, secs_before, t_run;
    const char *watch;        /* "valid" or "test" */
    progress_t prog;          /* steps of the current epoch */
    char prog_what[48];
    char config[1024];
} run_t;

static void step_hook(void *ctx, uint64_t step, uint64_t steps)
{
    run_t *r = ctx;
    r->prog.total = steps;
    progress_update(&r->prog, step);
}

/* The parameter count alone does not tell a social graph from a plain
 * one: hence the graph settings (trainer.h). */
int gnn_trainer_check_resume(const gnn_trainer_opts_t *o, const char *name, uint32_t n_users, uint32_t n_items,
                             const gnn_saved_meta_t *p, err_t *e)
{
    const gnn_hparams_t *h = &o->hp;
    const char *arch = gnn_arch_get(h->arch)->name;
    /* a rating model's (gnn/rating.h) saved rows have bias columns more */
    const uint32_t bias = gnn_rating_applies(h->loss, h->head == GNN_HEAD_MLP) ? GNN_RATING_BIAS_COLS : 0;
    if (p->loss != (uint32_t)h->loss)
        return err_set(e, ERR_USAGE, "--resume: model '%s' was trained with --loss %s; this run asks --loss %s",
                       name,
                       p->loss == GNN_LOSS_MSE ? "mse" : "bpr", h->loss == GNN_LOSS_MSE ? "mse" : "bpr");
    if (strcmp(p->arch, arch) || p->dim != h->dim + bias || p->layers != h->layers || p->n_users != n_users ||
        p->n_items != n_items)
        return err_set(e, ERR_USAGE, "--resume: model '%s' is %s dim %u layers %u on %u users x %u items; "
                       "this run asks %s dim %u layers %u on %u x %u", name, p->arch,
                       p->dim >= bias ? p->dim - bias : p->dim, p->layers, p->n_users, p->n_items, arch, h->dim,
                       h->layers, n_users, n_items);
    if (!p->edges) return ERR_OK;
    const graph_typed_opts_t *g = &o->edges;
    char a[64], b[64];
    const char *key = NULL;
    if ((p->edges & GNN_SAVED_EDGE_SOCIAL) != (g->social ? GNN_SAVED_EDGE_SOCIAL : 0u) ||
        (p->edges & GNN_SAVED_EDGE_KNOWLEDGE) != (g->knowledge ? GNN_SAVED_EDGE_KNOWLEDGE : 0u)) {
        key = "edges";
        snprintf(a, sizeof a, "[interaction%s%s]", p->edges & GNN_SAVED_EDGE_SOCIAL ? ", social" : "",
                 p->edges & GNN_SAVED_EDGE_KNOWLEDGE ? ", knowledge" : "");
        snprintf(b, sizeof b, "[interaction%s%s]", g->social ? ", social" : "", g->knowledge ? ", knowledge" : "");
    } else if (p->w_social != g->w_social) {
        key = "weight_social";
        snprintf(a, sizeof a, "%g", (double)p->w_social);
        snprintf(b, sizeof b, "%g", (double)g->w_social);
    } else if (p->w_knowledge != g->w_knowledge) {
        key = "weight_knowledge";
        snprintf(a, sizeof a, "%g", (double)p->w_knowledge);
        snprintf(b, sizeof b, "%g", (double)g->w_knowledge);
    } else if ((int)p->edge_norm != g->per_type_norm) {
        key = "edge_norm";
        snprintf(a, sizeof a, "%s", p->edge_norm ? "per-type" : "joint");
        snprintf(b, sizeof b, "%s", g->per_type_norm ? "per-type" : "joint");
    }
    if (key)
        return err_set(e, ERR_USAGE, "--resume: model '%s' was trained with %s: %s, this run asks %s: %s", name,
                       key, a, key, b);
    return ERR_OK;
}

static int check_resume(const run_t *r, const gnn_saved_meta_t *p, err_t *e)
{
    return gnn_trainer_check_resume(r->o, r->name, r->d->n_users, r->d->n_items, p, e);
}

/* The node rows of parameters and Adam state into training ids (to_new)
 * or back to the store's (what is saved): a relabelled run saves exactly
 * what a run in store ids would, so eval, infer and --resume never know. */
static void permute_state(run_t *r, int to_new)
{
    const gnn_trainer_data_t *d = r->d;
    if (!d->perm) return;
    float *t[3] = {r->m.params, r->m.adam_m, r->m.adam_v};
    for (int k = 0; k < 3; k++)
        if (t[k])   /* a final save may have freed them (save_copied) */
            graph_permute_rows(t[k], d->n_users + d->n_items, r->o->hp.dim, d->perm, to_new, r->perm_seen, r->perm_row);
}

/* Restore the checkpoint --resume continues, every blob read in one
 * transaction. */
static int resume_load(run_t *r, err_t *e)
{
    store_txn_t t;
    gnn_saved_checkpoint_t c;
    int rc = store_read_begin(r->s, &t, e);
    if (rc) return rc;
    if ((rc = gnn_saved_checkpoint(&t, r->name, &c, e)) || (rc = check_resume(r, &c.meta, e))) goto out;
    if (c.n_params != r->m.n_params) {
        rc = err_set(e, ERR_USAGE, "model '%s': checkpoint has %zu parameters, this configuration %zu", r->name,
                     c.n_params, r->m.n_params);
        goto out;
    }
    memcpy(r->m.params, c.params, c.n_params * sizeof(float));
    memcpy(r->m.adam_m, c.adam_m, c.n_params * sizeof(float));
    memcpy(r->m.adam_v, c.adam_v, c.n_params * sizeof(float));
    permute_state(r, 1);   /* checkpoints are in store ids, the run in training ids */
    /* without a validation split the next evaluation replaces them before any save */
    if (r->best_own && c.emb && c.n_emb == r->n_emb) memcpy(r->best, c.emb, r->n_emb * sizeof(float));
    if (r->best_own && c.emb_entities && c.n_emb_entities == r->n_all - r->n_emb)
        memcpy(r->best + r->n_emb, c.emb_entities, c.n_emb_entities * sizeof(float));
    if (c.metrics_len && (rc = gnn_mlog_add(&r->log, c.metrics, c.metrics_len, e))) goto out;
    r->m.step = c.meta.step;
    r->start = c.meta.epoch;
    r->best_epoch = c.meta.best_epoch;
    r->best_metric = c.meta.best_metric;
    r->secs_before = c.meta.train_seconds;
out:
    store_read_end(&t);
    return rc;
}

/* --init-from: the node rows of a saved model (store ids, then into the
 * run's training ids like a checkpoint's). */
static int warm_load(run_t *r, err_t *e)
{
    if (r->d->typed && r->d->typed->n_entities)
        return err_set(e, ERR_USAGE, "--init-from: a joint graph with knowledge entities is not supported");
    store_txn_t t;
    gnn_warm_report_t w;
    int rc = store_read_begin(r->s, &t, e);
    if (rc) return rc;
    rc = gnn_warm_start(&t, r->o->init_from, &r->o->hp, r->d->train, r->m.params, &w, e);
    store_read_end(&t);
    if (rc) return rc;
    permute_state(r, 1);
    gnn_trainer_note_t n = {.kind = GNN_NOTE_WARM, .warm = &w, .from = r->o->init_from};
    note(r->o, &n);
    return ERR_OK;
}

/* Save context (store_write may rerun the callback). */
typedef struct save {
    const char *name;
    const gnn_saved_model_t *m;
    int final;                /* 1: the finished model; 0: a staged checkpoint */
    run_t *r;
    int freed;                /* save_copied freed a table: no rerun */
} save_t;

/* A final save of at least this many bytes frees each table once the
 * transaction has its copy: at 10^7 nodes a second copy of parameters,
 * moments and embeddings (1 KiB a node) is what would not fit. */
enum { SAVE_MOVE_BYTES = 256 << 20 };

static void save_copied(void *ctx, const float *table)
{
    save_t *sv = ctx;
    gnn_model_t *m = &sv->r->m;
    sv->freed = 1;
    if (table == sv->r->best && !sv->r->best_own) {
        gnn_model_release(m, NULL);   /* the embeddings sat in the workspace */
        sv->r->best = sv->r->emb = NULL;
    }
    float **own[3] = {&m->params, &m->adam_m, &m->adam_v};
    for (int k = 0; k < 3; k++)
        if (*own[k] == table) {
            free(*own[k]);
            *own[k] = NULL;
        }
    if (!m->params) m->emb0 = NULL;
}

static int write_save(store_txn_t *t, void *ctx, err_t *e)
{
    const save_t *s = ctx;
    if (s->freed)
        return err_set(e, ERR_STORE, "the store's map filled up during the final save, after the model's tables "
                       "had been freed: the model is lost, the store unchanged (check the disk's free space)");
    return s->final ? gnn_saved_write(t, s->name, s->m, e) : gnn_saved_stage(t, s->name, s->m, e);
}

void gnn_trainer_meta(const gnn_trainer_opts_t *o, const gnn_trainer_data_t *d, uint64_t step, uint32_t epoch,
                      uint32_t best_epoch, double best_metric, double seconds, gnn_saved_meta_t *meta)
{
    const gnn_hparams_t *h = &o->hp;
    const graph_typed_opts_t *g = &o->edges;
    const graph_typed_t *ty = d->typed;
    *meta = (gnn_saved_meta_t){
        .n_users = d->n_users, .n_items = d->n_items, .dim = h->dim, .layers = h->layers,
        .batch_size = h->batch_size, .negatives = h->negatives, .lr = h->lr, .reg = h->reg,
        .seed = h->seed, .step = step, .epoch = epoch, .best_epoch = best_epoch,
        .best_metric = best_metric, .train_seconds = seconds,
        .valid_users = d->valid_users, .n_entities = ty ? ty->n_entities : 0,
        .arch_id = (uint32_t)h->arch,
        .edges = GNN_SAVED_EDGE_INTERACTION | (g->social ? GNN_SAVED_EDGE_SOCIAL : 0u) |
                 (g->knowledge ? GNN_SAVED_EDGE_KNOWLEDGE : 0u),
        .w_social = g->w_social, .w_knowledge = g->w_knowledge, .edge_norm = (uint32_t)g->per_type_norm,
        .steps_per_epoch = h->steps_per_epoch, .lr_warmup = h->lr_warmup, .lr_min = h->lr_min,
        .lr_decay = (uint32_t)h->lr_decay, .lr_epochs = h->lr_epochs,
        .n_relations = ty ? ty->n_relations : 0, .valid_fraction = o->valid_fraction,
        .fp32_tables = (uint32_t)h->fp32_tables};
    snprintf(meta->arch, sizeof meta->arch, "%s", gnn_arch_get(h->arch)->name);
}

static int run_save(run_t *r, uint32_t epoch, int final, err_t *e)
{
    /* a checkpoint without a validation split keeps no embeddings: --resume
     * does not read them (the last epoch evaluates again) */
    const float *emb = r->best_epoch && (final || r->best_own) ? r->best : NULL;
    gnn_saved_model_t sm = {
        .config = r->config, .emb = emb, .metrics = r->log.buf,
        .metrics_len = r->log.len, .params = r->m.params, .adam_m = r->m.adam_m, .adam_v = r->m.adam_v,
        .n_params = r->m.n_params};
    gnn_trainer_meta(r->o, r->d, r->m.step, epoch, r->best_epoch, r->best_metric,
                     r->secs_before + clock_now() - r->t_run, &sm.meta);
    save_t sv = {r->name, &sm, final, r, 0};
    /* the step's scratch holds nothing now (but emb, when it is saved from
     * there): no second copy of it beside the transaction's */
    const int keep = emb && emb == r->emb;
    gnn_model_release(&r->m, keep ? emb : NULL);
    if (!keep) {
        r->emb = NULL;
        if (!r->best_own) r->best = NULL;
    }
    const uint64_t bytes = ((uint64_t)r->m.n_params * 3 + (emb ? r->n_all : 0)) * sizeof(float);
    int rc = ERR_OK;
    /* GNNREC_SAVE_MOVE_MB: the test hook that runs this path on a small graph */
    const char *hook = getenv("GNNREC_SAVE_MOVE_MB");
    const uint64_t move = hook ? strtoull(hook, NULL, 10) << 20 : (uint64_t)SAVE_MOVE_BYTES;
    if (final && bytes >= move && !(rc = store_reserve(r->s, bytes + bytes / 8 + (64u << 20), e))) {
        sm.copied = save_copied;
        sm.copied_ctx = &sv;
    }
    permute_state(r, 0);
    if (!rc) rc = store_write(r->s, write_save, &sv, e);
    permute_state(r, 1);
    return rc;
}

/* The all-ranking metrics of final embeddings emb against truth: every
 * user with a truth item, or only users[0..n) (an --eval-users sample). */
static int eval_emb(const run_t *r, const float *emb, const graph_csr_t *exclude, const graph_csr_t *truth,
                    const uint32_t *users, uint32_t n, gnn_metrics_t *out, err_t *e)
{
    const gnn_trainer_opts_t *o = r->o;
    const float *items = emb + (size_t)r->d->n_users * o->hp.dim;
    if (!users)
        return gnn_eval_all_ranking(emb, items, o->hp.dim, exclude, truth, o->ks, (int)o->n_k, o->hp.threads, out,
                                    e);
    gnn_scorer_t sc;
    gnn_scorer_emb(&sc, gnn_arch_get(o->hp.arch)->name, emb, r->d->n_users, items, r->d->n_items, o->hp.dim);
    return gnn_eval_scorer_users(&sc, exclude, exclude, truth, users, n, o->ks, (int)o->n_k, o->hp.threads, out, e);
}

/* Evaluate the current model on the watched split; keep the best
 * embeddings; decide early stopping. */
static int run_eval(run_t *r, uint32_t epoch, gnn_epoch_report_t *rep, err_t *e)
{
    const gnn_trainer_opts_t *o = r->o;
    double te = clock_now();
    int rc;
    /* the final embeddings in the model's buffers, then one copy: no
     * temporary table of gnn_model_embed's beside emb */
    const float *fin;
    if ((rc = gnn_model_final(&r->m, r->d->adj, &fin, e))) return rc;
    r->emb = gnn_model_spare(&r->m, fin);
    const size_t dim = o->hp.dim, n = (size_t)r->d->n_users + r->d->n_items;
    /* back to store ids on the way: emb is what eval and the save read */
    if (r->d->perm && r->emb == fin)
        graph_permute_rows(r->emb, (uint32_t)n, (uint32_t)dim, r->d->perm, 0, r->perm_seen, r->perm_row);
    else if (r->d->perm)
        for (size_t v = 0; v < n; v++) memcpy(r->emb + v * dim, fin + (size_t)r->d->perm[v] * dim, dim * sizeof *fin);
    else if (r->emb != fin)
        memcpy(r->emb, fin, r->n_all * sizeof *r->emb);
    if ((rc = eval_emb(r, r->emb, r->d->watch_exclude, r->d->watch, r->watch_users, r->n_watch_users,
                       &rep->metrics, e)))
        return rc;
    rep->eval_seconds = clock_now() - te;
    rep->evaluated = 1;
    const int split = r->d->valid_users > 0 || o->valid_fraction > 0.0f;
    if (!split || rep->metrics.recall[0] > r->best_metric) {
        r->best_metric = rep->metrics.recall[0];
        r->best_epoch = epoch;
        r->best_metrics = rep->metrics;
        r->have_best_metrics = 1;
        if (r->best_own) memcpy(r->best_own, r->emb, r->n_all * sizeof *r->best_own);
        else r->best = r->emb;
        r->since_best = 0;
    } else if (o->patience && ++r->since_best >= o->patience) {
        rep->stop = GNN_STOP_PATIENCE;
    }
    return ERR_OK;
}

void gnn_trainer_log_line(const gnn_epoch_report_t *rep, char *line, size_t cap)
{
    int n = snprintf(line, cap, "{\"epoch\":%u,\"loss\":%.6f,\"lr\":%.6g,\"seconds\":%.3f", rep->epoch, rep->loss,
                     rep->lr, rep->seconds);
    if (rep->evaluated) {
        const gnn_metrics_t *met = &rep->metrics;
        const char *w = rep->watch;
        for (int k = 0; k < met->n_k && (size_t)n < cap; k++)
            n += snprintf(line + n, cap - (size_t)n,
                          ",\"%s_recall@%u\":%.6f,\"%s_ndcg@%u\":%.6f,\"%s_precision@%u\":%.6f,\"%s_hit@%u\":%.6f",
                          w, met->k[k], met->recall[k], w, met->k[k], met->ndcg[k], w, met->k[k],
                          met->precision[k], w, met->k[k], met->hit[k]);
        if ((size_t)n < cap) n += snprintf(line + n, cap - (size_t)n, ",\"eval_seconds\":%.3f", rep->eval_seconds);
    }
    if ((size_t)n < cap) snprintf(line + n, cap - (size_t)n, "}\n");
}

/* One epoch: train, maybe evaluate, log, report, checkpoint or save.
 * *stop is set when the run ends after it. */
static int run_epoch(run_t *r, uint32_t epoch, int *stop, err_t *e)
{
    const gnn_trainer_opts_t *o = r->o;
    gnn_epoch_report_t rep = {.epoch = epoch + 1, .epochs = o->epochs, .watch = r->watch};
    snprintf(r->prog_what, sizeof r->prog_what, "epoch %u/%u", epoch + 1, o->epochs);
    progress_init(&r->prog, r->prog_what, 0, o->progress);
    double t0 = clock_now();
    int rc = gnn_train_epoch(&r->m, r->d->fit, r->d->adj, epoch, &rep.loss, e);
    progress_done(&r->prog);
    if (rc) return rc;
    rep.seconds = clock_now() - t0;
    const int timed_out = o->time_limit > 0.0f && clock_now() - r->t_run >= o->time_limit;
    const int last = epoch + 1 == o->epochs || timed_out;
    if (timed_out && epoch + 1 < o->epochs) rep.stop = GNN_STOP_TIME;
    /* the rate the epoch's last step used: what a plot of the schedule needs */
    rep.lr = gnn_lr_at(&r->m.hp, epoch + 1.0 - 1e-9);
    rep.eta = (clock_now() - r->t_run) / (double)(epoch + 1 - r->start) * (double)(o->epochs - epoch - 1);
    if (((o->eval_every && (epoch + 1) % o->eval_every == 0) || last) && (rc = run_eval(r, epoch + 1, &rep, e)))
        return rc;
    rep.best_epoch = r->best_epoch;
    char line[2048];
    gnn_trainer_log_line(&rep, line, sizeof line);
    if ((rc = gnn_mlog_line(&r->log, line, e))) return rc;
    if (o->on_epoch) o->on_epoch(o->ctx, &rep);
    *stop = last || rep.stop != GNN_STOP_NONE;
    if (!r->s) return ERR_OK;
    if (*stop) return run_save(r, epoch + 1, 1, e);
    if (o->checkpoint_every && (epoch + 1) % o->checkpoint_every == 0) return run_save(r, epoch + 1, 0, e);
    return ERR_OK;
}

/* Set up the run: model, buffers, resume or a fresh start, the log file. */
static int run_init(run_t *r, err_t *e)
{
    const gnn_trainer_opts_t *o = r->o;
    const gnn_trainer_data_t *d = r->d;
    const uint32_t n_ent = d->typed ? d->typed->n_entities : 0;
    int rc = gnn_model_init_nodes(&r->m, &o->hp, d->n_users, d->n_items, n_ent,
                                  d->typed ? d->typed->n_relations : 0, e);
    if (rc) return rc;
    r->model_ok = 1;
    if (d->typed) gnn_model_set_relations(&r->m, d->typed->rel);
    r->m.step_hook = step_hook;
    r->m.step_ctx = r;
    r->n_emb = ((size_t)d->n_users + d->n_items) * o->hp.dim;
    r->n_all = r->n_emb + (size_t)n_ent * o->hp.dim;
    const int split = d->valid_users > 0 || o->valid_fraction > 0.0f;
    if (split && !(r->best = r->best_own = calloc(r->n_all, sizeof *r->best_own)))
        return err_set(e, ERR_NOMEM, "out of memory for embeddings");
    if (d->perm && (!(r->perm_seen = malloc((size_t)d->n_users + d->n_items)) ||
                    !(r->perm_row = malloc(o->hp.dim * sizeof *r->perm_row))))
        return err_set(e, ERR_NOMEM, "out of memory");
    if (d->perm && n_ent) return err_set(e, ERR_INTERNAL, "a relabelled run over a joint graph");
    if (o->eval_users &&
        (rc = gnn_eval_sample_users(d->watch, o->eval_users, o->hp.seed, &r->watch_users, &r->n_watch_users, e)))
        return rc;
    r->best_metric = -1.0;
    r->watch = d->valid_users || o->valid_fraction > 0.0f ? "valid" : "test";
    gnn_trainer_config_text(o, r->config, sizeof r->config);
    if (o->resume && o->init_from)
        return err_set(e, ERR_USAGE, "--init-from starts a new run; --resume continues one: pick one");
    if (r->s && o->resume) {
        if ((rc = resume_load(r, e))) return rc;
        gnn_trainer_note_t n = {.kind = GNN_NOTE_RESUME, .start_epoch = r->start, .best_epoch = r->best_epoch,
                                .best_metric = r->best_metric, .watch = r->watch};
        note(o, &n);
    } else if (r->s && (rc = gnn_saved_abandon(r->s, r->name, e))) {   /* a fresh run */
        return rc;
    }
    if (r->s && o->init_from && (rc = warm_load(r, e))) return rc;
    if (r->s && (rc = gnn_saved_check_stage_name(r->name, o->checkpoint_every, e))) return rc;
    return gnn_mlog_open(&r->log, o->metrics_log, o->resume, e);
}

int gnn_trainer_fit(store_t *s, const char *name, const gnn_trainer_data_t *d, const gnn_trainer_opts_t *o,
                    gnn_trainer_result_t *out, err_t *e)
{
    run_t *r = calloc(1, sizeof *r);
    if (!r) return err_set(e, ERR_NOMEM, "out of memory");
    *r = (run_t){.o = o, .d = d, .s = s, .name = name};
    memset(out, 0, sizeof *out);
    out->kind = GNN_KIND_EMBED;
    int rc = run_init(r, e), stop = 0;
    if (rc) goto out;
    gnn_trainer_note_t n = {.kind = GNN_NOTE_START, .n_users = d->n_users, .n_items = d->n_items,
                            .n_train = d->fit->nnz, .split = d->valid_users > 0 || o->valid_fraction > 0.0f};
    note(o, &n);
    r->t_run = clock_now();
    uint32_t epoch;
    for (epoch = r->start; epoch < o->epochs && !stop; epoch++)
        if ((rc = run_epoch(r, epoch, &stop, e))) goto out;
    out->start_epoch = r->start;
    out->epoch = epoch;
    out->best_epoch = r->best_epoch;
    if (epoch == r->start) {
        out->nothing_to_do = 1;
        goto out;
    }
    /* the saved model's test metrics: reported, never used for selection */
    const int split = d->valid_users > 0 || o->valid_fraction > 0.0f;
    if (d->test && d->test->nnz && !split && r->have_best_metrics) {
        /* the papers' protocol watched the test split itself, with the same
         * exclusion and sample: its evaluation of the saved epoch is this
         * (at 10^6 users a second one costs minutes) */
        out->test = r->best_metrics;
        out->have_test = 1;
    } else if (d->test && d->test->nnz && r->best) {
        uint32_t *tu = NULL, nt = 0;
        if (o->eval_users && (rc = gnn_eval_sample_users(d->test, o->eval_users, o->hp.seed, &tu, &nt, e))) goto out;
        rc = eval_emb(r, r->best, d->train, d->test, tu, nt, &out->test, e);
        free(tu);
        if (rc) goto out;
        out->have_test = 1;
    }
    out->seconds = r->secs_before + clock_now() - r->t_run;
out:;
    rc = gnn_mlog_close(&r->log, rc, e);
    free(r->best_own);
    free(r->watch_users);
    free(r->perm_seen);
    free(r->perm_row);
    if (r->model_ok) gnn_model_destroy(&r->m);
    free(r);
    return rc;
}

/* ---- the fits without BPR ---- */

/* The test metrics of a fitted scorer: every test user, or the run's
 * --eval-users sample (the one a BPR run and `eval --eval-users` draw). */
static int eval_fitted(const gnn_trainer_opts_t *o, const gnn_scorer_t *sc, const graph_interactions_t *g,
                       gnn_metrics_t *out, err_t *e)
{
    if (!o->eval_users)
        return gnn_eval_scorer(sc, &g->train, &g->train, &g->test, o->ks, (int)o->n_k, o->hp.threads, out, e);
    uint32_t *tu = NULL, nt = 0;
    int rc = gnn_eval_sample_users(&g->test, o->eval_users, o->hp.seed, &tu, &nt, e);
    if (!rc)
        rc = gnn_eval_scorer_users(sc, &g->train, &g->train, &g->test, tu, nt, o->ks, (int)o->n_k, o->hp.threads,
                                   out, e);
    free(tu);
    return rc;
}

typedef struct pop_save {
    const char *name;
    const graph_interactions_t *g;
    uint64_t seed;
    const float *emb;
    const char *config;
} pop_save_t;

static int write_pop(store_txn_t *t, void *ctx, err_t *e)
{
    const pop_save_t *p = ctx;
    return gnn_saved_write_pop(t, p->name, p->g->n_users, p->g->n_items, p->seed, p->emb, p->config, e);
}

/* The popularity ranking as a one-dimensional "embedding" model: users 1,
 * items their training degree, so eval and infer rank by popularity through
 * the same code as every other model. The baseline every model must beat. */
static int run_pop(store_t *s, const char *name, const gnn_trainer_opts_t *o, const graph_interactions_t *g,
                   const graph_csr_t *fit, gnn_trainer_result_t *out, err_t *e)
{
    size_t n = (size_t)g->n_users + g->n_items;
    float *emb = calloc(n ? n : 1, sizeof *emb);
    if (!emb) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint32_t u = 0; u < g->n_users; u++) emb[u] = 1.0f;
    for (uint64_t k = 0; k < fit->nnz; k++) emb[g->n_users + fit->col[k]] += 1.0f;
    char cfg[1024];
    gnn_trainer_config_text(o, cfg, sizeof cfg);
    pop_save_t sv = {name, g, o->hp.seed, emb, cfg};
    int rc = store_write(s, write_pop, &sv, e);
    if (!rc && g->test.nnz && !o->eval_users) {
        rc = gnn_eval_all_ranking(emb, emb + g->n_users, 1, &g->train, &g->test, o->ks, (int)o->n_k, o->hp.threads,
                                  &out->test, e);
        out->have_test = rc == 0;
    } else if (!rc && g->test.nnz) {
        gnn_scorer_t sc;
        gnn_scorer_emb(&sc, "pop", emb, g->n_users, emb + g->n_users, g->n_items, 1);
        rc = eval_fitted(o, &sc, g, &out->test, e);
        out->have_test = rc == 0;
    }
    free(emb);
    return rc;
}

typedef struct gfcf_save {
    const char *name;
    const gnn_gfcf_t *m;
    const char *cfg;
    double secs;
} gfcf_save_t;

static int write_gfcf(store_txn_t *t, void *ctx, err_t *e)
{
    const gfcf_save_t *s = ctx;
    return gnn_gfcf_save(t, s->name, s->m, s->cfg, s->secs, e);
}

/* The "fit" of a graph-filter model: degrees and the SVD of the normalized
 * training matrix, saved like any model; then the test metrics. */
static int run_gfcf(store_t *s, const char *name, const gnn_trainer_opts_t *o, const graph_interactions_t *g,
                    const graph_csr_t *fit, gnn_trainer_result_t *out, err_t *e)
{
    gnn_gfcf_t m;
    gnn_gfcf_params_t p = o->gf;
    p.variant = (uint32_t)gnn_gfcf_variant_of(gnn_arch_get(o->hp.arch)->name);
    double t0 = clock_now();
    int rc = gnn_gfcf_init(&m, fit, &p, e);
    if (rc) return rc;
    if ((rc = p.variant == GNN_GFCF_ITEMKNN ? gnn_itemknn_fit(&m, o->hp.threads, e)
              : p.variant == GNN_GFCF_EASE  ? gnn_ease_fit(&m, o->hp.threads, 0, e)
                                            : gnn_gfcf_fit(&m, o->hp.threads, e)))
        goto out;
    out->seconds = clock_now() - t0;
    char cfg[512];
    gfcf_config(o, m.k, cfg, sizeof cfg);
    gnn_trainer_note_t n = {.kind = GNN_NOTE_FITTED, .n_users = m.n_users, .n_items = m.n_items, .svd_k = m.k,
                            .seconds = out->seconds};
    note(o, &n);
    gfcf_save_t sv = {name, &m, cfg, out->seconds};
    if ((rc = store_write(s, write_gfcf, &sv, e))) goto out;
    if (fit == &g->train && g->test.nnz) {
        gnn_scorer_t sc;
        gnn_gfcf_scorer(&m, &sc);
        double t1 = clock_now();
        rc = eval_fitted(o, &sc, g, &out->test, e);
        out->eval_seconds = clock_now() - t1;
        out->have_test = rc == 0;
    }
out:
    gnn_gfcf_destroy(&m);
    return rc;
}

/* ---- the whole run ---- */

/* The training adjacency: graph_norm_bipartite of the training matrix, or
 * with social/knowledge edges the joint graph of graph/typed.h (entities as
 * extra nodes after the items, relations of its entries in typed->rel). */
static int load_adjacency(store_t *s, const gnn_trainer_opts_t *o, const graph_csr_t *fit, graph_csr_t *adj,
                          graph_typed_t *typed, int *joint, err_t *e)
{
    *joint = o->edges.social || o->edges.knowledge;
    if (!*joint) return graph_norm_bipartite(fit, adj, e);
    store_txn_t t;
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    rc = graph_typed_load(&t, fit, &o->edges, typed, e);
    store_read_end(&t);
    if (rc) return rc;
    gnn_trainer_note_t n = {.kind = GNN_NOTE_JOINT, .typed = typed};
    note(o, &n);
    return ERR_OK;
}

int gnn_trainer_order(const gnn_trainer_opts_t *o, const graph_csr_t *fit, graph_csr_t *fit_out, uint32_t **perm,
                      graph_order_id_t *how, err_t *e)
{
    const gnn_hparams_t *h = &o->hp;
    const uint32_t nu = fit->n_rows, ni = fit->n_cols;
    const int joint = o->edges.social || o->edges.knowledge;
    *perm = NULL;
    memset(fit_out, 0, sizeof *fit_out);
    *how = o->order;
    if (*how == GRAPH_ORDER_AUTO) {
        /* a product gathers rows of the (users + items) x dim tables: below
         * the cache they are all hits whatever the order, and an order
         * would only change the run's numbers */
        const double bytes = ((double)nu + ni) * h->dim * sizeof(float);
        const int propagates = h->layers > 0 && h->arch != GNN_ARCH_MF;
        *how = propagates && !joint && bytes > GNN_ORDER_CACHE_BYTES ? GRAPH_ORDER_COMMUNITY : GRAPH_ORDER_NONE;
    }
    if (*how == GRAPH_ORDER_NONE) return ERR_OK;
    if (joint)
        return err_set(e, ERR_USAGE, "node order %s: only a user-item graph is reordered (not social or "
                       "knowledge edges); use node_order none or auto", graph_order_info(*how)->name);
    uint32_t *p = malloc(((size_t)nu + ni) * sizeof *p);
    if (!p) return err_set(e, ERR_NOMEM, "out of memory for a node order");
    int rc = graph_order_bipartite(fit, *how, p, p + nu, e);
    if (!rc) rc = graph_csr_relabel(fit, p, p + nu, fit_out, e);
    if (rc) {
        free(p);
        return rc;
    }
    for (uint32_t i = 0; i < ni; i++) p[nu + i] += nu;   /* item ids as node ids */
    *perm = p;
    return ERR_OK;
}

static int run_embed(store_t *s, const char *name, const gnn_trainer_opts_t *o, const graph_interactions_t *g,
                     const graph_csr_t *fit, const graph_csr_t *valid, gnn_trainer_result_t *out, err_t *e)
{
    graph_csr_t adj = {0}, fit_o = {0};
    graph_typed_t typed = {0};
    graph_order_id_t how;
    uint32_t *perm = NULL;
    int joint = 0;
    double t0 = clock_now();
    int rc = gnn_trainer_order(o, fit, &fit_o, &perm, &how, e);
    if (!rc && perm) {
        gnn_trainer_note_t n = {.kind = GNN_NOTE_ORDER, .order = how, .seconds = clock_now() - t0};
        note(o, &n);
    }
    if (!rc) rc = load_adjacency(s, o, perm ? &fit_o : fit, &adj, &typed, &joint, e);
    if (!rc) {
        gnn_trainer_data_t d = {.n_users = g->n_users, .n_items = g->n_items, .fit = perm ? &fit_o : fit,
                                .adj = joint ? &typed.adj : &adj, .typed = joint ? &typed : NULL,
                                .watch = valid ? valid : &g->test, .watch_exclude = valid ? fit : &g->train,
                                .test = &g->test, .train = &g->train, .valid_users = valid ? valid->n_rows : 0,
                                .perm = perm};
        rc = gnn_trainer_fit(s, name, &d, o, out, e);
    }
    if (joint) graph_typed_destroy(&typed);   /* owns its adjacency */
    else graph_csr_destroy(&adj);
    graph_csr_destroy(&fit_o);
    free(perm);
    return rc;
}

int gnn_trainer_run(store_t *s, const char *name, const gnn_trainer_opts_t *o, gnn_trainer_result_t *out,
                    err_t *e)
{
    graph_interactions_t g;
    graph_csr_t fit = {0}, valid = {0};
    store_txn_t t;
    const gnn_arch_t *a = gnn_arch_get(o->hp.arch);
    if (gnn_rating_applies(o->hp.loss, o->hp.head == GNN_HEAD_MLP)) return gnn_rating_run(s, name, o, out, e);
    memset(out, 0, sizeof *out);
    out->kind = a->kind;
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    rc = graph_load_interactions(&t, &g, e);
    int have_g = rc == 0;
    if (!rc && o->resume && a->kind != GNN_KIND_EMBED) {
        gnn_saved_meta_t prev;
        rc = gnn_saved_meta(&t, name, &prev, e);
    }
    store_read_end(&t);
    /* the load read every edge record once: not the run's memory */
    store_drop_pages(s);
    if (rc) goto out;
    if (g.train.nnz == 0) {
        rc = err_set(e, ERR_USAGE, "%s: the store has no training interactions", s->dir);
        goto out;
    }
    const int split = o->valid_fraction > 0.0f;
    if (split && (rc = graph_csr_holdout(&g.train, o->valid_fraction, o->hp.seed, &fit, &valid, e))) goto out;
    const graph_csr_t *fit_m = split ? &fit : &g.train;
    if (a->kind == GNN_KIND_COUNT) rc = run_pop(s, name, o, &g, fit_m, out, e);
    else if (a->kind == GNN_KIND_FILTER) rc = run_gfcf(s, name, o, &g, fit_m, out, e);
    else rc = run_embed(s, name, o, &g, fit_m, split ? &valid : NULL, out, e);
out:
    graph_csr_destroy(&fit);
    graph_csr_destroy(&valid);
    if (have_g) graph_interactions_destroy(&g);
    return rc;
}
