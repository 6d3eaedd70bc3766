/* evalsave.c (dist/) - dist/evalsave.h: the evaluated users, rank 0's
 * evaluation from the ranks' final rows, and the streamed save. Assumes
 * every rank has the same list of evaluated users (dist_run_setup
 * broadcasts it) and serves rows while rank 0 reads (with_rows). */
#include "dist/evalsave.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gnn/scorer.h"

static uint32_t kmax_of(const gnn_trainer_opts_t *o)
{
    uint32_t k = 1;
    for (uint32_t q = 0; q < o->n_k; q++) k = o->ks[q] > k ? o->ks[q] : k;
    return k;
}

/* Collective: the rows reader, the evaluated users (rank 0 lists them
 * from the test split, every rank gets the list), rank 0's evaluation
 * blocks and metrics log. */
int dist_run_setup(dist_run_t *r, err_t *e)
{
    dist_step_t *t = &r->t;
    const dist_t *d = t->d;
    const gnn_trainer_opts_t *o = t->o;
    int rc = dist_rows_init(&r->rows, d, t->n, t->dim, t->owner, t->h.pos, r->perm, e);
    uint32_t *sample = NULL, n_sample = 0, n_list = 0;
    if (!rc && d->rank == 0) {
        if (o->eval_users)
            rc = gnn_eval_sample_users(&r->g.test, o->eval_users, o->hp.seed, &sample, &n_sample, e);
        if (!rc) rc = gnn_eval_test_users(&r->g.test, sample, o->eval_users ? n_sample : 0, &r->eval_list, &n_list, e);
        r->n_eval = n_list;
        const uint32_t tile = GNN_TOPK_TILE_USERS;
        r->eval_block = r->rows.block / tile * tile;
        if (r->eval_block < tile) r->eval_block = tile;
        if (!rc) rc = gnn_mlog_open(&r->log, o->metrics_log, o->resume, e);
    }
    free(sample);
    if ((rc = dist_agree(d, rc, e)) || (rc = dist_bcast(d, &r->n_eval, sizeof r->n_eval, e))) return rc;
    if (d->rank != 0 && !(r->eval_list = malloc(((size_t)r->n_eval + 1) * sizeof *r->eval_list)))
        rc = err_set(e, ERR_NOMEM, "out of memory for %llu users", (unsigned long long)r->n_eval);
    if ((rc = dist_agree(d, rc, e)) || (rc = dist_bcast(d, r->eval_list, r->n_eval * sizeof *r->eval_list, e)))
        return rc;
    r->rows.list = r->eval_list;
    r->rows.n_list = r->n_eval;
    return ERR_OK;
}

enum { TAB_FINAL, TAB_E0, TAB_M, TAB_V };


/* Rank 0: the metrics from the final rows the ranks hold, read in blocks:
 * the items once, then the evaluated users in the runs gnn_eval_scorer
 * ranks them in (gnn_eval_chunk), cut at multiples of the SGEMM tile, so
 * every user's scores and the sums in user order are one process's bits
 * (eval_users in gnn/eval.c: the same gnn_topk call per run of users). */
static int eval_root(dist_run_t *r, gnn_metrics_t *out, err_t *e)
{
    dist_step_t *t = &r->t;
    const gnn_trainer_opts_t *o = t->o;
    const size_t dim = t->dim;
    const uint32_t kmax = kmax_of(o);
    memset(out, 0, sizeof *out);
    out->n_k = (int)o->n_k;
    for (uint32_t q = 0; q < o->n_k; q++) out->k[q] = o->ks[q];
    if (r->n_eval == 0) return ERR_OK;
    /* the evaluation's own memory, only while it runs: the item rows, a
     * block of users, and the training rows in store ids (the exclusion),
     * which a relabelled run rebuilds from R in training ids rather than
     * keep a second R through the training */
    graph_csr_t back = {0};
    const graph_csr_t *train = t->fit;
    int rc = ERR_OK;
    if (r->perm) {
        const uint32_t nu = t->nu, ni = t->ni;
        uint32_t *inv = malloc(((size_t)nu + ni) * sizeof *inv);
        if (!inv) return err_set(e, ERR_NOMEM, "out of memory for the evaluation");
        for (uint32_t u = 0; u < nu; u++) inv[r->perm[u]] = u;
        for (uint32_t i = 0; i < ni; i++) inv[r->perm[nu + i]] = i;   /* perm: item node ids */
        rc = graph_csr_relabel(t->fit, inv, inv + nu, &back, e);
        free(inv);
        train = &back;
    }
    float *items = NULL, *q = NULL;   /* [n_items x dim] final item rows, [eval_block x dim] users' */
    uint32_t *ranked = NULL;          /* [eval_block x kmax] */
    if (!rc && (!(items = malloc(((size_t)t->ni + 1) * dim * sizeof *items)) ||
                !(q = malloc((size_t)r->eval_block * dim * sizeof *q)) ||
                !(ranked = malloc((size_t)r->eval_block * kmax * sizeof *ranked))))
        rc = err_set(e, ERR_NOMEM, "out of memory for the evaluation's blocks");
    if (!rc) rc = dist_rows_get_range(&r->rows, TAB_FINAL, t->nu, (uint64_t)t->nu + t->ni, items, e);
    const uint64_t chunk = gnn_eval_chunk(kmax, (uint32_t)r->n_eval), B = r->rows.block;
    const graph_csr_t *truth = &r->g.test;
    for (uint64_t c0 = 0; c0 < r->n_eval && !rc; c0 += chunk) {
        const uint64_t c1 = r->n_eval - c0 < chunk ? r->n_eval : c0 + chunk;
        for (uint64_t b0 = c0; b0 < c1 && !rc; b0 += r->eval_block) {
            const uint64_t b1 = c1 - b0 < r->eval_block ? c1 : b0 + r->eval_block;
            for (uint64_t k = b0; k < b1 && !rc; k += B)
                rc = dist_rows_get(&r->rows, TAB_FINAL, 1, k, b1 - k < B ? b1 : k + B, q + (k - b0) * dim, e);
            const uint32_t n = (uint32_t)(b1 - b0), *users = r->eval_list + b0;
            if (!rc)
                rc = gnn_topk(q, n, items, t->ni, t->dim, train, users, kmax, o->hp.threads, ranked, NULL, e);
            for (uint32_t j = 0; j < n && !rc; j++) {
                const uint32_t *tc = truth->col + truth->ptr[users[j]];
                uint32_t nt = (uint32_t)(truth->ptr[users[j] + 1] - truth->ptr[users[j]]);
                for (uint32_t ki = 0; ki < o->n_k; ki++)
                    gnn_metrics_add_user(ranked + (size_t)j * kmax, kmax, tc, nt, o->ks[ki], (int)ki, out);
            }
            out->users_evaluated += n;
        }
    }
    graph_csr_destroy(&back);
    free(items); free(q); free(ranked);
    if (rc) {
        err_prefix(e, "eval");
        return rc;
    }
    for (uint32_t ki = 0; ki < o->n_k; ki++) {
        out->recall[ki] /= out->users_evaluated;
        out->precision[ki] /= out->users_evaluated;
        out->ndcg[ki] /= out->users_evaluated;
        out->hit[ki] /= out->users_evaluated;
    }
    return ERR_OK;
}

/* Collective: rank 0 runs fn(ctx) reading rows (dist/rows.h) while the
 * other ranks serve them; the status agreed. */
static int with_rows(dist_run_t *r, int (*fn)(dist_run_t *, void *, err_t *), void *ctx, err_t *e)
{
    const dist_t *d = r->t.d;
    dist_step_t *t = &r->t;
    r->rows.tab[TAB_FINAL] = t->zb;
    r->rows.tab[TAB_E0] = t->emb0;
    r->rows.tab[TAB_M] = t->am;
    r->rows.tab[TAB_V] = t->av;
    int rc;
    if (d->rank == 0) {
        err_t e2;
        rc = fn(r, ctx, e);
        int rc2 = dist_rows_stop(&r->rows, &e2);
        if (!rc && rc2) {
            rc = rc2;
            *e = e2;
        }
    } else {
        rc = dist_rows_serve(&r->rows, e);
    }
    return dist_agree(d, rc, e);
}

static int eval_fn(dist_run_t *r, void *ctx, err_t *e)
{
    return eval_root(r, ctx, e);
}

/* Collective: evaluate the current model (rank 0 computes the metrics);
 * zb keeps the final rows (the save's "emb"). last: the run's last
 * evaluation, so the step's tables go once the final rows are made
 * (dist_step_free_work): they do not add to the evaluation's memory. */
int dist_run_eval(dist_run_t *r, gnn_metrics_t *met, int last, err_t *e)
{
    int rc = dist_agree(r->t.d, dist_step_final(&r->t, e), e);
    if (!rc && last) dist_step_free_work(&r->t);
    return rc ? rc : with_rows(r, eval_fn, met, e);
}

/* gnn_saved_fill_t: a table of the saved model, block by block from the
 * ranks, straight into the blob LMDB reserved (store ids, node order):
 * "emb" the final rows of users and items, "emb_entities" those of the
 * entities after them, the others every node's E0, m or v. */
static int fill_table(void *ctx, int table, float *dst, size_t n, err_t *e)
{
    dist_run_t *r = ctx;
    static const int tab[5] = {[GNN_SAVED_TABLE_EMB] = TAB_FINAL, [GNN_SAVED_TABLE_PARAMS] = TAB_E0,
                               [GNN_SAVED_TABLE_ADAM_M] = TAB_M, [GNN_SAVED_TABLE_ADAM_V] = TAB_V,
                               [GNN_SAVED_TABLE_EMB_ENTITIES] = TAB_FINAL};
    const uint64_t ui = (uint64_t)r->t.nu + r->t.ni;
    uint64_t a = 0, b = r->t.n;
    if (table == GNN_SAVED_TABLE_EMB) b = ui;
    else if (table == GNN_SAVED_TABLE_EMB_ENTITIES) a = ui;
    if (table < 0 || table > 4 || n != (size_t)(b - a) * r->t.dim)
        return err_set(e, ERR_INTERNAL, "save: table %d of %zu floats", table, n);
    /* GNNREC_DIST_SAVE_DELAY_MS: the tests' hook that holds the write
     * transaction open for that long per table (a rank is killed meanwhile) */
    const char *hook = getenv("GNNREC_DIST_SAVE_DELAY_MS");
    if (hook && atol(hook) > 0) {
        const long ms = atol(hook);
        nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L}, NULL);
    }
    return dist_rows_get_range(&r->rows, tab[table], a, b, dst, e);
}

typedef struct save_ctx {
    store_t *s;
    const char *name;
    const dist_save_t *v;
} save_ctx_t;

static int save_fn(dist_run_t *r, void *ctx, err_t *e)
{
    const save_ctx_t *c = ctx;
    dist_step_t *t = &r->t;
    char config[1024];
    gnn_trainer_config_text(t->o, config, sizeof config);
    const int joint = t->o->edges.social || t->o->edges.knowledge;
    gnn_trainer_data_t dd = {.n_users = t->nu, .n_items = t->ni, .typed = joint ? &t->h.counts : NULL};
    gnn_saved_model_t sm = {.config = config, .metrics = r->log.buf ? r->log.buf : "", .metrics_len = r->log.len,
                            .n_params = (size_t)t->n * t->dim};
    gnn_trainer_meta(t->o, &dd, t->step, c->v->epoch, c->v->best_epoch, c->v->best, c->v->secs, &sm.meta);
    /* a checkpoint keeps no embeddings, as one process's without a
     * validation split: --resume does not read them */
    gnn_saved_fill_t f = {fill_table, r, !c->v->final};
    return c->v->final ? gnn_saved_put_filled(c->s, c->name, &sm, &f, e)
                       : gnn_saved_stage_filled(c->s, c->name, &sm, &f, e);
}

int dist_run_save(dist_run_t *r, store_t *s, const char *name, const dist_save_t *v, err_t *e)
{
    save_ctx_t c = {s, name, v};
    return with_rows(r, save_fn, &c, e);
}


/* Rank 0: the checkpoint's scalars and log; its tables stay in the open
 * transaction for the scatter. */
static int resume_read(dist_run_t *r, store_txn_t *tx, const char *name, gnn_saved_checkpoint_t *c, dist_resume_t *v,
                       err_t *e)
{
    dist_step_t *t = &r->t;
    int rc = gnn_saved_checkpoint(tx, name, c, e);
    if (!rc) rc = gnn_trainer_check_resume(t->o, name, t->nu, t->ni, &c->meta, e);
    if (!rc && c->n_params != (size_t)t->n * t->dim)
        rc = err_set(e, ERR_USAGE, "model '%s': checkpoint has %zu parameters, this configuration %zu", name,
                     c->n_params, (size_t)t->n * t->dim);
    if (!rc && c->metrics_len) rc = gnn_mlog_add(&r->log, c->metrics, c->metrics_len, e);
    if (rc) return rc;
    *v = (dist_resume_t){.start = c->meta.epoch, .best_epoch = c->meta.best_epoch, .step = c->meta.step,
                         .best = c->meta.best_metric, .secs = c->meta.train_seconds};
    return ERR_OK;
}

int dist_run_begin(dist_run_t *r, store_t *s, const char *name, dist_resume_t *v, err_t *e)
{
    dist_step_t *t = &r->t;
    const dist_t *d = t->d;
    *v = (dist_resume_t){.best = -1.0};
    int rc = ERR_OK;
    /* refused before any epoch, as one process refuses it, not at the first checkpoint */
    if ((rc = gnn_saved_check_stage_name(name, t->o->checkpoint_every, e))) return rc;
    if (!t->o->resume) {
        /* a fresh run abandons the checkpoint of an interrupted one */
        if (d->rank == 0) rc = gnn_saved_abandon(s, name, e);
        return dist_agree(d, rc, e);
    }
    store_txn_t tx;
    gnn_saved_checkpoint_t c = {0};
    int open = 0;
    if (d->rank == 0 && !(rc = store_read_begin(s, &tx, e))) {
        open = 1;
        rc = resume_read(r, &tx, name, &c, v, e);
    }
    rc = dist_agree(d, rc, e);
    /* every rank its rows of E0 and the moments, from the checkpoint's store ids */
    const float *src[3] = {c.params, c.adam_m, c.adam_v};
    float *dst[3] = {t->emb0, t->am, t->av};
    for (int k = 0; k < 3 && !rc; k++) rc = dist_rows_scatter(&r->rows, d->rank == 0 ? src[k] : NULL, dst[k], e);
    if (open) store_read_end(&tx);
    if (!rc) rc = dist_bcast(d, v, sizeof *v, e);
    t->step = v->step;
    return rc;
}
