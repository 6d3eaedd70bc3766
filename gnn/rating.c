/* rating.c - biased matrix factorization on explicit ratings (rating.h):
 * the model, its loss and gradient, the epoch loop, RMSE/MAE, and the
 * `train --loss mse` run with its saved model. Assumes ratings were loaded
 * by graph_load_ratings (ids checked against the store's counts). Small
 * problems (MovieLens: 10^5 ratings): the batch gradient is one thread's
 * loop, which keeps the numbers independent of --threads. */
#include "gnn/rating.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/rng.h"
#include "gnn/mlog.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "gnn/spmm.h"
#include "graph/csr.h"
#include "graph/typed.h"

static const char *const loss_names[] = {"bpr", "mse", NULL};

const char *const *gnn_loss_names(void) { return loss_names; }

void gnn_rating_destroy(gnn_rating_model_t *m)
{
    if (!m) return;
    free(m->params); free(m->grads); free(m->adam_m); free(m->adam_v); free(m->F); free(m->zs); free(m->ucnt);
    memset(m, 0, sizeof *m);
}

int gnn_rating_init(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                    uint64_t seed, err_t *e)
{
    return gnn_rating_init_head(m, n_users, n_items, dim, mu, NULL, seed, e);
}

/* Either variant: a head (n_layers 0: none) or N(u) (NULL: none). */
static int init_model(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                      const gnn_head_t *head, const graph_csr_t *implicit, uint64_t seed, err_t *e)
{
    memset(m, 0, sizeof *m);
    if (dim < 1 || dim > 1024) return err_set(e, ERR_USAGE, "dim %u: must be 1..1024", dim);
    if (head && head->n_layers && head->in != dim)
        return err_set(e, ERR_USAGE, "mlp head over %u columns on a model of dim %u", head->in, dim);
    if (implicit && (implicit->n_rows != n_users || implicit->n_cols != n_items))
        return err_set(e, ERR_INTERNAL, "svdpp: N(u) of %u x %u for %u x %u", implicit->n_rows, implicit->n_cols,
                       n_users, n_items);
    m->n_users = n_users;
    m->n_items = n_items;
    m->dim = dim;
    m->mu = mu;
    m->loss = GNN_LOSS_MSE;
    if (head) m->head = *head;
    const size_t n_y = implicit ? (size_t)n_items * dim : 0;
    const size_t n_rows = ((size_t)n_users + n_items) * ((size_t)dim + 1) + n_y;
    m->n_params = n_rows + m->head.n_params;
    size_t b = (m->n_params ? m->n_params : 1) * sizeof(float);
    m->params = malloc(b);
    m->grads = calloc(1, b);
    m->adam_m = calloc(1, b);
    m->adam_v = calloc(1, b);
    if (implicit) {
        m->zs = malloc(((size_t)n_users * dim * 2 + 1) * sizeof *m->zs);
        m->ucnt = calloc((size_t)n_users * 2 + 1, sizeof *m->ucnt);
    }
    if (!m->params || !m->grads || !m->adam_m || !m->adam_v || (implicit && (!m->zs || !m->ucnt))) {
        gnn_rating_destroy(m);
        return err_set(e, ERR_NOMEM, "out of memory for a %u x %u rating model", n_users, n_items);
    }
    m->P = m->params;
    m->Q = m->P + (size_t)n_users * dim;
    m->bu = m->Q + (size_t)n_items * dim;
    m->bi = m->bu + n_users;
    m->hw = m->params + n_rows;
    m->implicit = implicit;
    if (implicit) m->Y = m->bi + n_items;
    rng_t r;
    rng_seed(&r, seed);
    const size_t nf = ((size_t)n_users + n_items) * dim;
    for (size_t k = 0; k < nf; k++) m->params[k] = 0.1f * rng_normal(&r);
    for (size_t k = 0; k < n_y; k++) m->Y[k] = 0.1f * rng_normal(&r);
    memset(m->bu, 0, ((size_t)n_users + n_items) * sizeof(float));
    if (m->head.n_layers) gnn_head_init(&m->head, m->hw, seed + 1);
    return ERR_OK;
}

int gnn_rating_init_head(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                         const gnn_head_t *head, uint64_t seed, err_t *e)
{
    return init_model(m, n_users, n_items, dim, mu, head, NULL, seed, e);
}

int gnn_rating_init_implicit(gnn_rating_model_t *m, uint32_t n_users, uint32_t n_items, uint32_t dim, float mu,
                             const graph_csr_t *implicit, uint64_t seed, err_t *e)
{
    return init_model(m, n_users, n_items, dim, mu, NULL, implicit, seed, e);
}

/* r^ with the user and item rows of table f ([P; Q] or F). */
static float predict_with(const gnn_rating_model_t *m, const float *f, uint32_t u, uint32_t i)
{
    const float *p = f + (size_t)u * m->dim, *q = f + ((size_t)m->n_users + i) * m->dim;
    if (m->head.n_layers) return m->mu + m->bu[u] + m->bi[i] + gnn_head_score_ref(&m->head, m->hw, p, q);
    float d = 0.0f;
    for (uint32_t k = 0; k < m->dim; k++) d += p[k] * q[k];
    return m->mu + m->bu[u] + m->bi[i] + d;
}

float gnn_rating_predict(const gnn_rating_model_t *m, uint32_t u, uint32_t i)
{
    if (m->layers || m->head.n_layers) return predict_with(m, m->layers ? m->F : m->params, u, i);
    const float *p = m->P + (size_t)u * m->dim, *q = m->Q + (size_t)i * m->dim;
    float d = 0.0f;
    for (uint32_t k = 0; k < m->dim; k++) d += p[k] * q[k];
    if (m->Y && m->implicit->ptr[u + 1] > m->implicit->ptr[u]) {   /* q_i . (s_u sum y_j), without a buffer */
        const uint64_t a = m->implicit->ptr[u], b = m->implicit->ptr[u + 1];
        float y = 0.0f;
        for (uint64_t k = a; k < b; k++) {
            const float *yj = m->Y + (size_t)m->implicit->col[k] * m->dim;
            for (uint32_t j = 0; j < m->dim; j++) y += q[j] * yj[j];
        }
        d += y / sqrtf((float)(b - a));
    }
    return m->mu + m->bu[u] + m->bi[i] + d;
}

static double sq(const float *x, uint32_t n)
{
    double s = 0.0;
    for (uint32_t k = 0; k < n; k++) s += (double)x[k] * x[k];
    return s;
}

double gnn_rating_loss_ref(const gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                           uint32_t n, float reg)
{
    if (m->head.n_layers) return gnn_rating_head_loss_ref(m, u, i, r, n, reg);
    if (m->Y) return gnn_rating_svdpp_loss_ref(m, u, i, r, n, reg);
    float *f = m->layers ? gnn_rating_propagate_ref(m) : NULL;
    if (m->layers && !f) return NAN;
    double s = 0.0;
    for (uint32_t t = 0; t < n; t++) {
        const double err = (double)(f ? predict_with(m, f, u[t], i[t]) : gnn_rating_predict(m, u[t], i[t])) - r[t];
        const double l2 = sq(m->P + (size_t)u[t] * m->dim, m->dim) + sq(m->Q + (size_t)i[t] * m->dim, m->dim) +
                          (double)m->bu[u[t]] * m->bu[u[t]] + (double)m->bi[i[t]] * m->bi[i[t]];
        s += err * err + reg * l2;
    }
    free(f);
    return n ? s / n : 0.0;
}

/* The propagated model's gradient: errors from F, dL/dF summed in batch
 * order into grads' embedding rows, carried back to E0 by
 * gnn_rating_backprop, then the L2 term on the batch's parameter rows. */
static void loss_grad_graph(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r,
                            uint32_t n, float reg, int threads, double *loss)
{
    const uint32_t d = m->dim;
    float *g = m->grads, *gbu = g + ((size_t)m->n_users + m->n_items) * d, *gbi = gbu + m->n_users;
    memset(m->grads, 0, m->n_params * sizeof(float));
    gnn_rating_propagate(m, threads);
    const float c = n ? 2.0f / (float)n : 0.0f;
    double s = 0.0;
    for (uint32_t t = 0; t < n; t++) {
        const uint32_t a = u[t], b = i[t];
        const float *fp = m->F + (size_t)a * d, *fq = m->F + ((size_t)m->n_users + b) * d;
        float *gp = g + (size_t)a * d, *gq = g + ((size_t)m->n_users + b) * d;
        const float err = predict_with(m, m->F, a, b) - r[t];
        const float *p = m->P + (size_t)a * d, *q = m->Q + (size_t)b * d;
        float l2 = m->bu[a] * m->bu[a] + m->bi[b] * m->bi[b];
        for (uint32_t k = 0; k < d; k++) l2 += p[k] * p[k] + q[k] * q[k];
        s += (double)err * err + (double)reg * l2;
        for (uint32_t k = 0; k < d; k++) {
            gp[k] += c * err * fq[k];
            gq[k] += c * err * fp[k];
        }
        gbu[a] += c * (err + reg * m->bu[a]);
        gbi[b] += c * (err + reg * m->bi[b]);
    }
    gnn_rating_backprop(m, g, threads);
    for (uint32_t t = 0; t < n; t++) {
        const float *p = m->P + (size_t)u[t] * d, *q = m->Q + (size_t)i[t] * d;
        float *gp = g + (size_t)u[t] * d, *gq = g + ((size_t)m->n_users + i[t]) * d;
        for (uint32_t k = 0; k < d; k++) {
            gp[k] += c * reg * p[k];
            gq[k] += c * reg * q[k];
        }
    }
    *loss = n ? s / n : 0.0;
}

/* The gradient summed in batch order by one thread (the same bits whatever
 * --threads); the dense clear costs what the dense Adam step after it does. */
void gnn_rating_loss_grad(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                          float reg, int threads, double *loss)
{
    if (m->head.n_layers) {
        if (gnn_rating_head_grad(m, u, i, r, n, reg, threads, loss)) *loss = NAN;
        return;
    }
    if (m->layers) {
        loss_grad_graph(m, u, i, r, n, reg, threads, loss);
        return;
    }
    gnn_rating_dot_grad(m, u, i, r, n, reg, threads, loss);
}

/* bpr: a uniform item the user has no training interaction with (a few
 * tries; a user who has every item keeps the last draw). */
static uint32_t negative(const gnn_rating_model_t *m, rng_t *r, uint32_t u)
{
    uint32_t j = rng_below(r, m->n_items);
    for (int k = 0; k < 100 && graph_csr_has(m->train, u, j); k++) j = rng_below(r, m->n_items);
    return j;
}

int gnn_rating_epoch(gnn_rating_model_t *m, const gnn_hparams_t *hp, const graph_ratings_t *tr, uint32_t epoch,
                     double *loss, err_t *e)
{
    const uint64_t n = tr->n, bs = hp->batch_size ? hp->batch_size : 1;
    const int bpr = m->loss == GNN_LOSS_BPR;
    *loss = 0.0;
    if (n > UINT32_MAX) return err_set(e, ERR_USAGE, "--loss mse: at most %u training ratings", UINT32_MAX);
    if (bpr && (!m->train || !m->n_items)) return err_set(e, ERR_USAGE, "bpr: no training interactions");
    uint32_t *ord = malloc((n ? n : 1) * sizeof *ord), *bu = malloc(2 * bs * sizeof *bu),
             *bi = malloc(2 * bs * sizeof *bi);
    float *br = malloc(2 * bs * sizeof *br);
    if (!ord || !bu || !bi || !br) {
        free(ord); free(bu); free(bi); free(br);
        return err_set(e, ERR_NOMEM, "out of memory for an epoch's order");
    }
    for (uint64_t k = 0; k < n; k++) ord[k] = (uint32_t)k;
    rng_t r;
    rng_seed_stream(&r, hp->seed, epoch);
    rng_shuffle_u32(&r, ord, n);
    double sum = 0.0;
    uint64_t steps = 0;
    int rc = ERR_OK;
    for (uint64_t b = 0; b < n && !rc; b += bs) {
        const uint32_t cnt = (uint32_t)(n - b < bs ? n - b : bs);
        for (uint32_t t = 0; t < cnt; t++) {
            bu[t] = tr->user[ord[b + t]];
            bi[t] = tr->item[ord[b + t]];
            br[t] = tr->rating[ord[b + t]];
        }
        for (uint32_t t = 0; bpr && t < cnt; t++) {   /* the negatives: the batch's second half */
            bu[cnt + t] = bu[t];
            bi[cnt + t] = negative(m, &r, bu[t]);
            br[cnt + t] = 0.0f;
        }
        double l;
        if (m->head.n_layers) {
            if (gnn_rating_head_grad(m, bu, bi, br, bpr ? 2 * cnt : cnt, hp->reg, hp->threads, &l))
                rc = err_set(e, ERR_NOMEM, "out of memory for a batch of %u through the mlp head", cnt);
        } else gnn_rating_loss_grad(m, bu, bi, br, cnt, hp->reg, hp->threads, &l);
        if (rc) break;
        gnn_adam_t ad;
        gnn_adam_setup(&ad, gnn_lr_at(hp, epoch + (double)b / (double)n), ++m->step);
        gnn_adam(m->params, m->adam_m, m->adam_v, m->grads, m->n_params, &ad, hp->threads);
        sum += l;
        steps++;
    }
    *loss = steps ? sum / (double)steps : 0.0;
    free(ord); free(bu); free(bi); free(br);
    return rc;
}

void gnn_rating_embed(gnn_rating_model_t *m, float *emb)
{
    const uint32_t d = m->dim, w = d + 2;
    gnn_rating_propagate(m, 1);
    const float *P = m->layers ? m->F : m->P, *Q = P + (size_t)m->n_users * d;
    for (uint32_t u = 0; u < m->n_users; u++) {
        float *row = emb + (size_t)u * w;
        if (m->Y) gnn_rating_user_row(m, u, row);   /* the implicit term folded in: served as biased MF */
        else memcpy(row, P + (size_t)u * d, d * sizeof *row);
        row[d] = m->bu[u];
        row[d + 1] = 1.0f;
    }
    for (uint32_t i = 0; i < m->n_items; i++) {
        float *row = emb + ((size_t)m->n_users + i) * w;
        memcpy(row, Q + (size_t)i * d, d * sizeof *row);
        row[d] = 1.0f;
        row[d + 1] = m->bi[i];
    }
}

void gnn_rating_eval(const float *emb, uint32_t width, uint32_t n_users, uint32_t n_items, float mu, float lo,
                     float hi, const graph_ratings_t *rt, gnn_rating_metrics_t *out)
{
    gnn_rating_eval_head(emb, width, n_users, n_items, mu, lo, hi, NULL, NULL, rt, out);
}

void gnn_rating_eval_head(const float *emb, uint32_t width, uint32_t n_users, uint32_t n_items, float mu, float lo,
                          float hi, const gnn_head_t *h, const float *w, const graph_ratings_t *rt,
                          gnn_rating_metrics_t *out)
{
    double se = 0.0, ae = 0.0;
    uint64_t n = 0;
    const float *items = emb + (size_t)n_users * width;
    for (uint64_t k = 0; k < rt->n; k++) {
        if (rt->user[k] >= n_users || rt->item[k] >= n_items) continue;
        const float *p = emb + (size_t)rt->user[k] * width, *q = items + (size_t)rt->item[k] * width;
        float d = 0.0f;
        if (h && h->n_layers) d = gnn_head_pair(h, w, p, q, width);
        else
            for (uint32_t j = 0; j < width; j++) d += p[j] * q[j];
        float y = mu + d;
        y = y < lo ? lo : y > hi ? hi : y;
        const double err = (double)y - rt->rating[k];
        se += err * err;
        ae += fabs(err);
        n++;
    }
    out->n = n;
    out->rmse = n ? sqrt(se / (double)n) : 0.0;
    out->mae = n ? ae / (double)n : 0.0;
}

int gnn_rating_eval_saved(store_txn_t *t, const char *name, gnn_rating_metrics_t *out, err_t *e)
{
    gnn_saved_meta_t meta;
    const float *emb;
    graph_ratings_t rt;
    memset(out, 0, sizeof *out);
    int rc = gnn_saved_embeddings(t, name, &meta, &emb, e);
    if (rc) return rc;
    if (meta.loss != GNN_LOSS_MSE)
        return err_set(e, ERR_USAGE, "model '%s' was not trained on ratings (train --loss mse)", name);
    gnn_head_t h = {0};
    const float *w = NULL;
    if ((rc = gnn_saved_head(t, name, &meta, &h, &w, e)) && rc != ERR_NOTFOUND) return rc;
    if ((rc = graph_load_ratings(t, STORE_TEST, &rt, e))) return rc;
    gnn_rating_eval_head(emb, meta.dim, meta.n_users, meta.n_items, meta.rating_mean, meta.rating_min,
                         meta.rating_max, &h, w, &rt, out);
    graph_ratings_destroy(&rt);
    return ERR_OK;
}

/* ---- the run ---- */

/* bpr: the training interactions as pairs (rating 1, unused). */
static int pairs_of(const graph_csr_t *r, graph_ratings_t *tr, err_t *e)
{
    const size_t n = r->nnz ? r->nnz : 1;
    tr->n = r->nnz;
    tr->user = malloc(n * sizeof *tr->user);
    tr->item = malloc(n * sizeof *tr->item);
    tr->rating = malloc(n * sizeof *tr->rating);
    if (!tr->user || !tr->item || !tr->rating) {
        graph_ratings_destroy(tr);
        return err_set(e, ERR_NOMEM, "out of memory for %llu training pairs", (unsigned long long)r->nnz);
    }
    for (uint32_t u = 0; u < r->n_rows; u++)
        for (uint64_t k = r->ptr[u]; k < r->ptr[u + 1]; k++) {
            tr->user[k] = u;
            tr->item[k] = r->col[k];
            tr->rating[k] = 1.0f;
        }
    return ERR_OK;
}

/* The training ratings: all of them rated, their mean and range. */
static int load_train(store_txn_t *t, const char *dir, graph_ratings_t *tr, double *mu, float *lo, float *hi,
                      err_t *e)
{
    int rc = graph_load_ratings(t, STORE_TRAIN, tr, e);
    if (rc) return rc;
    if (!tr->n || tr->n_unrated) {
        rc = err_set(e, ERR_USAGE, "%s: --loss mse needs ratings, and %llu of the %llu training interactions have "
                     "none (build-graph --columns user,item,rating)", dir, (unsigned long long)tr->n_unrated,
                     (unsigned long long)(tr->n + tr->n_unrated));
        graph_ratings_destroy(tr);
        return rc;
    }
    double s = 0.0;
    *lo = *hi = tr->rating[0];
    for (uint64_t k = 0; k < tr->n; k++) {
        s += tr->rating[k];
        if (tr->rating[k] < *lo) *lo = tr->rating[k];
        if (tr->rating[k] > *hi) *hi = tr->rating[k];
    }
    *mu = s / (double)tr->n;
    return ERR_OK;
}

/* A rating run: the model and what a checkpoint saves and --resume
 * restores besides it (the epoch, the best evaluation, the log). */
typedef struct rrun {
    store_t *s;
    const char *name;
    const gnn_trainer_opts_t *o;
    gnn_rating_model_t *m;
    const graph_ratings_t *tr, *va, *te;   /* fit, validation (n 0: no split), test */
    const graph_interactions_t *g;
    const graph_csr_t *fit, *valid;        /* bpr with a split: the interactions trained on and held out */
    float lo, hi;
    size_t n_emb;                          /* (U + I) x (dim + 2) */
    float *emb;                            /* [n_emb] the table as of the last embed */
    float *best_emb, *best_hw;             /* split: the best evaluation's table and head weights */
    gnn_mlog_t log;                        /* the metrics log (and its --metrics-log file) */
    uint32_t start, best_epoch, since_best;
    double best_metric;                    /* split: the watched metric at best_epoch (-1: none yet) */
    double secs_before;                    /* training seconds of the runs resumed */
    int split;
} rrun_t;

/* The model (final: as name, the best evaluation's table with a split) or
 * a checkpoint of the run in progress (staged as NAME~run: parameters, Adam
 * state, the table and head weights a final save would write so far). */
static int save(rrun_t *r, uint32_t epoch, double secs, int final, err_t *e)
{
    const gnn_trainer_opts_t *o = r->o;
    const gnn_rating_model_t *m = r->m;
    const gnn_hparams_t *h = &o->hp;
    char config[1400];
    gnn_trainer_config_text(o, config, sizeof config - 200);
    if (h->loss == GNN_LOSS_MSE) strcat(config, "loss: mse\n");
    if (m->head.n_layers) strcat(config, "head: mlp\nmlp_layers: ");
    for (uint32_t l = 0; l < m->head.n_layers; l++)
        snprintf(config + strlen(config), 16, "%s%u%s", l ? "," : "", m->head.width[l],
                 l + 1 == m->head.n_layers ? "\n" : "");
    gnn_saved_model_t sm = {
        .meta = {.n_users = m->n_users, .n_items = m->n_items, .dim = m->dim + 2, .layers = m->layers,
                 .batch_size = h->batch_size,
                 .negatives = m->loss == GNN_LOSS_BPR, .lr = h->lr, .reg = h->reg, .seed = h->seed,
                 .step = m->step, .epoch = epoch, .best_epoch = r->split ? r->best_epoch : epoch,
                 .best_metric = r->split ? r->best_metric : -1.0, .train_seconds = secs,
                 .arch_id = (uint32_t)h->arch,
                 .edges = GNN_SAVED_EDGE_INTERACTION | (o->edges.social ? GNN_SAVED_EDGE_SOCIAL : 0u),
                 .w_social = o->edges.w_social, .w_knowledge = o->edges.w_knowledge,
                 .edge_norm = (uint32_t)o->edges.per_type_norm,
                 .lr_warmup = h->lr_warmup, .valid_fraction = o->valid_fraction,
                 .lr_min = h->lr_min, .lr_decay = (uint32_t)h->lr_decay, .lr_epochs = h->lr_epochs,
                 .loss = (uint32_t)m->loss, .rating_mean = m->mu, .rating_min = r->lo, .rating_max = r->hi},
        .config = config, .emb = r->split ? r->best_emb : r->emb, .metrics = r->log.buf ? r->log.buf : "",
        .metrics_len = r->log.len, .params = m->params, .adam_m = m->adam_m, .adam_v = m->adam_v,
        .n_params = m->n_params, .head = m->head.n_layers ? &m->head : NULL,
        .head_w = r->split ? r->best_hw : m->hw};
    snprintf(sm.meta.arch, sizeof sm.meta.arch, "%s", gnn_arch_get(h->arch)->name);
    return final ? gnn_saved_put(r->s, r->name, &sm, e) : gnn_saved_stage_filled(r->s, r->name, &sm, NULL, e);
}

/* One JSON line of the metrics log into line (cap bytes: 256 hold any). */
static void log_line(const gnn_epoch_report_t *r, char *line, size_t cap)
{
    int n = snprintf(line, cap, "{\"epoch\":%u,\"loss\":%.6f,\"seconds\":%.3f", r->epoch, r->loss, r->seconds);
    if (r->valid_rated)
        n += snprintf(line + n, cap - n, ",\"valid_rmse\":%.6f,\"valid_mae\":%.6f", r->valid_rmse, r->valid_mae);
    if (r->rated) n += snprintf(line + n, cap - n, ",\"test_rmse\":%.6f,\"test_mae\":%.6f", r->rmse, r->mae);
    for (int k = 0; r->evaluated && r->watch[0] == 'v' && k < r->metrics.n_k && n < 200; k++)
        n += snprintf(line + n, cap - n, ",\"valid_recall@%u\":%.6f,\"valid_ndcg@%u\":%.6f", r->metrics.k[k],
                      r->metrics.recall[k], r->metrics.k[k], r->metrics.ndcg[k]);
    for (int k = 0; r->evaluated && r->watch[0] != 'v' && k < r->metrics.n_k && n < 200; k++)
        n += snprintf(line + n, cap - n, ",\"test_recall@%u\":%.6f,\"test_ndcg@%u\":%.6f", r->metrics.k[k],
                      r->metrics.recall[k], r->metrics.k[k], r->metrics.ndcg[k]);
    snprintf(line + n, cap - n, "}\n");
}

static int check_opts(const gnn_trainer_opts_t *o, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_get(o->hp.arch);
    const char *what = o->hp.loss == GNN_LOSS_MSE ? "--loss mse" : "--head mlp";
    if (!(a->caps & GNN_CAP_MSE))
        return err_set(e, ERR_USAGE, "%s: --arch mf (biased matrix factorization), svdpp and lightgcn train on "
                       "ratings, not %s", what, a->name);
    if ((a->caps & GNN_CAP_IMPLICIT) && (o->hp.loss != GNN_LOSS_MSE || o->hp.head == GNN_HEAD_MLP))
        return err_set(e, ERR_USAGE, "--arch %s trains on ratings with the dot product: --loss mse, not --head mlp",
                       a->name);
    if (o->resume && o->init_from)
        return err_set(e, ERR_USAGE, "--init-from starts a new run; --resume continues one: pick one");
    if (o->edges.knowledge || (o->edges.social && o->hp.arch != GNN_ARCH_LIGHTGCN))
        return err_set(e, ERR_USAGE, "%s: %s", what, o->edges.knowledge
                       ? "knowledge edges are not supported (--edges interaction or interaction,social)"
                       : "social edges need a propagating model (--arch lightgcn)");
    return ERR_OK;
}

/* Ranking metrics of the saved table emb on split `target` (test, or the
 * validation split), items of `exclude` left out: dot products, or the head
 * through its scorer (what eval and infer rank with). */
static int rank_eval(const gnn_rating_model_t *m, const float *emb, const graph_csr_t *exclude,
                     const graph_csr_t *target, const gnn_trainer_opts_t *o, gnn_metrics_t *out, err_t *e)
{
    const uint32_t w = m->dim + 2;
    const float *items = emb + (size_t)m->n_users * w;
    if (!m->head.n_layers)
        return gnn_eval_all_ranking(emb, items, w, exclude, target, o->ks, (int)o->n_k, o->hp.threads, out, e);
    gnn_scorer_t sc;
    int rc = gnn_scorer_head(&sc, "mlp", emb, m->n_users, items, m->n_items, w, &m->head, m->hw, e);
    if (rc) return rc;
    rc = gnn_eval_scorer(&sc, exclude, exclude, target, o->ks, (int)o->n_k, o->hp.threads, out, e);
    gnn_scorer_destroy(&sc);
    return rc;
}

/* RMSE/MAE of the current table emb (embedded by the caller) on rt. */
static void rate_now(const rrun_t *r, const graph_ratings_t *rt, int *rated, double *rmse, double *mae)
{
    const gnn_rating_model_t *m = r->m;
    gnn_rating_metrics_t met;
    gnn_rating_eval_head(r->emb, m->dim + 2, m->n_users, m->n_items, m->mu, r->lo, r->hi, &m->head, m->hw, rt, &met);
    *rated = met.n > 0;
    *rmse = met.rmse;
    *mae = met.mae;
}

/* --resume: the checkpoint (the staging of an interrupted run, else the
 * finished model) must be this run's model on this data: loss, architecture,
 * sizes, edges and their weights (gnn_trainer_check_resume, the BPR
 * trainer's check), head, mean and range of the ratings, validation split. Its
 * parameters and Adam state, step, epoch, best evaluation and log are taken
 * over; the epochs' batches and negatives are seeded by (seed, epoch), so
 * the run goes on as if it had not stopped. */
static int resume_load(rrun_t *r, err_t *e)
{
    gnn_rating_model_t *m = r->m;
    store_txn_t t;
    gnn_saved_checkpoint_t c;
    int rc = store_read_begin(r->s, &t, e);
    if (rc) return rc;
    if ((rc = gnn_saved_checkpoint(&t, r->name, &c, e))) goto out;
    const gnn_saved_meta_t *p = &c.meta;
    gnn_head_t ch = {0};
    const float *cw = NULL;
    err_t ignore;
    const int head_ok = !m->head.n_layers ? !c.head
                        : c.head && !gnn_head_blob_read(c.head, c.n_head, r->name, p->dim, &ch, &cw, &ignore) &&
                              ch.n_layers == m->head.n_layers && !memcmp(ch.width, m->head.width, sizeof ch.width);
    if ((rc = gnn_trainer_check_resume(r->o, r->name, m->n_users, m->n_items, p, e))) goto out;
    if (!head_ok || c.n_params != m->n_params) {
        rc = err_set(e, ERR_USAGE, "--resume: model '%s' has %s head and %zu parameters; this run asks %s and %zu",
                     r->name, c.head ? "an mlp" : "no", c.n_params, m->head.n_layers ? "an mlp head" : "none",
                     m->n_params);
        goto out;
    }
    if (p->rating_mean != m->mu || p->rating_min != r->lo || p->rating_max != r->hi ||
        p->valid_fraction != r->o->valid_fraction) {
        rc = err_set(e, ERR_USAGE, "--resume: model '%s' was trained on ratings of mean %g in [%g, %g], validation "
                     "fraction %g; this run has %g in [%g, %g], %g (the training data or --valid-fraction changed)",
                     r->name, (double)p->rating_mean, (double)p->rating_min, (double)p->rating_max,
                     (double)p->valid_fraction, (double)m->mu, (double)r->lo, (double)r->hi,
                     (double)r->o->valid_fraction);
        goto out;
    }
    memcpy(m->params, c.params, c.n_params * sizeof *m->params);
    memcpy(m->adam_m, c.adam_m, c.n_params * sizeof *m->adam_m);
    memcpy(m->adam_v, c.adam_v, c.n_params * sizeof *m->adam_v);
    m->step = p->step;
    r->start = p->epoch;
    r->secs_before = p->train_seconds;
    if (r->split && p->best_epoch && c.emb && c.n_emb == r->n_emb) {   /* the best evaluation so far */
        memcpy(r->best_emb, c.emb, r->n_emb * sizeof *r->best_emb);
        if (cw) memcpy(r->best_hw, cw, m->head.n_params * sizeof *r->best_hw);
        r->best_epoch = p->best_epoch;
        r->best_metric = p->best_metric;
    }
    if (c.metrics_len) rc = gnn_mlog_add(&r->log, c.metrics, c.metrics_len, e);
out:
    store_read_end(&t);
    return rc;
}

/* The evaluation of an epoch: test RMSE/MAE (mse), the watched split
 * (validation RMSE for mse, validation ranking for bpr; the test ranking
 * for bpr without a split) and, with a split, the best snapshot and the
 * patience count. */
static int evaluate(rrun_t *r, uint32_t epoch, gnn_epoch_report_t *rep, int last, err_t *e)
{
    gnn_rating_model_t *m = r->m;
    const gnn_trainer_opts_t *o = r->o;
    const double t1 = clock_now();
    int rc = ERR_OK;
    gnn_rating_embed(m, r->emb);
    rate_now(r, r->te, &rep->rated, &rep->rmse, &rep->mae);
    double metric = -1.0;
    if (r->va->n) {
        rate_now(r, r->va, &rep->valid_rated, &rep->valid_rmse, &rep->valid_mae);
        metric = rep->valid_rmse;
    }
    if (m->loss == GNN_LOSS_BPR && r->split) {
        if ((rc = rank_eval(m, r->emb, r->fit, r->valid, o, &rep->metrics, e))) return rc;
        rep->evaluated = 1;
        metric = rep->metrics.recall[0];
    } else if (m->loss == GNN_LOSS_BPR && r->g->test.nnz && !(rc = rank_eval(m, r->emb, &r->g->train, &r->g->test, o,
                                                                            &rep->metrics, e))) {
        rep->evaluated = 1;
    }
    rep->eval_seconds = clock_now() - t1;
    if (rc || !r->split) return rc;
    /* lower RMSE, higher recall is better */
    const int better = r->best_metric < 0.0 || (m->loss == GNN_LOSS_MSE ? metric < r->best_metric
                                                                       : metric > r->best_metric);
    if (better) {
        r->best_metric = metric;
        r->best_epoch = epoch;
        r->since_best = 0;
        memcpy(r->best_emb, r->emb, r->n_emb * sizeof *r->emb);
        if (m->head.n_layers) memcpy(r->best_hw, m->hw, m->head.n_params * sizeof *m->hw);
    } else if (o->patience && ++r->since_best >= o->patience && !last) {
        rep->stop = GNN_STOP_PATIENCE;
    }
    return ERR_OK;
}

static int train_loop(rrun_t *r, gnn_trainer_result_t *out, err_t *e)
{
    gnn_rating_model_t *m = r->m;
    const gnn_trainer_opts_t *o = r->o;
    const double t0 = clock_now();
    int rc = ERR_OK, ranked_last = 0;   /* the last epoch's test ranking is the final one (nothing changed) */
    gnn_metrics_t last = {0};
    uint32_t epoch = r->start;
    for (; epoch < o->epochs && !rc; epoch++) {
        gnn_epoch_report_t rep = {.epoch = epoch + 1, .epochs = o->epochs, .watch = r->split ? "valid" : "test"};
        const double te0 = clock_now();
        if ((rc = gnn_rating_epoch(m, &o->hp, r->tr, epoch, &rep.loss, e))) break;
        rep.seconds = clock_now() - te0;
        rep.lr = gnn_lr_at(&o->hp, epoch + 1.0 - 1e-9);
        rep.eta = rep.seconds * (o->epochs - epoch - 1);
        const int timed_out = o->time_limit > 0.0f && clock_now() - t0 >= o->time_limit;
        if (timed_out && epoch + 1 < o->epochs) rep.stop = GNN_STOP_TIME;
        const int is_last = epoch + 1 == o->epochs || timed_out;
        if ((o->eval_every && (epoch + 1) % o->eval_every == 0) || is_last) {
            if ((rc = evaluate(r, epoch + 1, &rep, is_last, e))) break;
            ranked_last = rep.evaluated && !r->split && (is_last || rep.stop);
            last = rep.metrics;
        }
        rep.best_epoch = r->split ? r->best_epoch : epoch + 1;
        char line[256];
        log_line(&rep, line, sizeof line);
        if ((rc = gnn_mlog_line(&r->log, line, e))) break;
        if (o->on_epoch) o->on_epoch(o->ctx, &rep);
        if (timed_out || rep.stop) {
            epoch++;
            break;
        }
        if (o->checkpoint_every && (epoch + 1) % o->checkpoint_every == 0 && epoch + 1 < o->epochs &&
            (rc = save(r, epoch + 1, r->secs_before + clock_now() - t0, 0, e)))
            break;
    }
    out->start_epoch = r->start;
    out->epoch = epoch;
    out->best_epoch = r->split ? r->best_epoch : epoch;
    out->seconds = r->secs_before + clock_now() - t0;
    if (!rc && epoch == r->start) {
        out->nothing_to_do = 1;
        return ERR_OK;
    }
    gnn_rating_embed(m, r->emb);
    const float *emb = r->split && r->best_epoch ? r->best_emb : r->emb;
    const float *hw = r->split && r->best_epoch ? r->best_hw : m->hw;
    if (!rc && r->split && !r->best_epoch) {   /* never evaluated (eval_every past the end): the last epoch */
        memcpy(r->best_emb, r->emb, r->n_emb * sizeof *r->emb);
        if (m->head.n_layers) memcpy(r->best_hw, m->hw, m->head.n_params * sizeof *m->hw);
        r->best_epoch = epoch;
    }
    if (!rc) {
        gnn_rating_metrics_t met;
        gnn_rating_eval_head(emb, m->dim + 2, m->n_users, m->n_items, m->mu, r->lo, r->hi, &m->head, hw, r->te, &met);
        out->n_rated = met.n;
        out->rmse = met.rmse;
        out->mae = met.mae;
        rc = save(r, epoch, out->seconds, 1, e);
    }
    if (!rc && r->g->test.nnz) {
        if (ranked_last) out->test = last;
        else {
            float *keep = NULL;   /* the head weights the saved table goes with */
            if (hw != m->hw && m->head.n_layers) {
                if (!(keep = malloc(m->head.n_params * sizeof *keep))) return err_set(e, ERR_NOMEM, "out of memory");
                memcpy(keep, m->hw, m->head.n_params * sizeof *keep);
                memcpy(m->hw, hw, m->head.n_params * sizeof *keep);
            }
            rc = rank_eval(m, emb, &r->g->train, &r->g->test, o, &out->test, e);
            if (keep) memcpy(m->hw, keep, m->head.n_params * sizeof *keep);
            free(keep);
        }
        out->have_test = rc == 0;
    }
    return rc;
}

/* A validation split of the training ratings: each goes to va with
 * probability frac (a seeded stream of its own), the rest to fit. */
static int ratings_holdout(const graph_ratings_t *tr, double frac, uint64_t seed, graph_ratings_t *fit,
                           graph_ratings_t *va, err_t *e)
{
    graph_ratings_t *d[2] = {fit, va};
    const size_t n = tr->n ? tr->n : 1;
    for (int k = 0; k < 2; k++) {
        d[k]->n = 0;
        d[k]->user = malloc(n * sizeof *tr->user);
        d[k]->item = malloc(n * sizeof *tr->item);
        d[k]->rating = malloc(n * sizeof *tr->rating);
        if (!d[k]->user || !d[k]->item || !d[k]->rating)
            return err_set(e, ERR_NOMEM, "out of memory for the validation split");
    }
    rng_t g;
    rng_seed_stream(&g, seed, 0x76616c6964ULL);   /* "valid" */
    for (uint64_t k = 0; k < tr->n; k++) {
        graph_ratings_t *x = d[rng_double(&g) < frac];
        x->user[x->n] = tr->user[k];
        x->item[x->n] = tr->item[k];
        x->rating[x->n++] = tr->rating[k];
    }
    return ERR_OK;
}

/* --init-from: the saved model's rows, biases, y rows and head weights
 * (gnn/warm.h); R the ratings (or interactions) trained on, store ids. */
static int warm_load(store_t *s, const gnn_trainer_opts_t *o, gnn_rating_model_t *m, const graph_csr_t *R, err_t *e)
{
    store_txn_t t;
    gnn_warm_report_t w;
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    rc = gnn_warm_start_rating(&t, o->init_from, &o->hp, R, m, &w, e);
    store_read_end(&t);
    gnn_trainer_note_t n = {.kind = GNN_NOTE_WARM, .warm = &w, .from = o->init_from};
    if (!rc && o->on_note) o->on_note(o->ctx, &n);
    return rc;
}

int gnn_rating_run(store_t *s, const char *name, const gnn_trainer_opts_t *o, gnn_trainer_result_t *out, err_t *e)
{
    graph_ratings_t all = {0}, tr = {0}, va = {0}, te = {0};
    graph_interactions_t g;
    gnn_rating_model_t m = {0};
    graph_typed_t typed = {0};
    graph_csr_t adj = {0}, fit = {0}, valid = {0}, rated = {0};   /* rated: R of tr (svdpp's N(u)) */
    store_txn_t t;
    double mu = 0.0;
    float lo = 0.0f, hi = 0.0f;
    int have_g = 0;
    memset(out, 0, sizeof *out);
    out->kind = GNN_KIND_EMBED;
    int rc = check_opts(o, e);
    if (rc) return rc;
    if ((rc = store_read_begin(s, &t, e))) return rc;
    const int bpr = o->hp.loss != GNN_LOSS_MSE, split = o->valid_fraction > 0.0f;
    if (!(rc = graph_load_interactions(&t, &g, e))) have_g = 1;
    /* bpr's split is graph_csr_holdout's, the BPR trainer's: the fit part is trained on */
    if (!rc && bpr && split) rc = graph_csr_holdout(&g.train, o->valid_fraction, o->hp.seed, &fit, &valid, e);
    if (!rc) rc = bpr ? pairs_of(split ? &fit : &g.train, &tr, e) : load_train(&t, s->dir, &all, &mu, &lo, &hi, e);
    if (!rc && !bpr) rc = graph_load_ratings(&t, STORE_TEST, &te, e);
    const uint32_t layers = gnn_arch_get(o->hp.arch)->caps & GNN_CAP_PROPAGATES ? o->hp.layers : 0;
    if (!rc && layers && o->edges.social) rc = graph_typed_load(&t, &g.train, &o->edges, &typed, e);
    else if (!rc && layers) rc = graph_norm_bipartite(&g.train, &adj, e);
    store_read_end(&t);
    if (!rc && !bpr && split) {   /* mse: the mean of the ratings trained on */
        if (!(rc = ratings_holdout(&all, o->valid_fraction, o->hp.seed, &tr, &va, e))) {
            double sum = 0.0;
            for (uint64_t k = 0; k < tr.n; k++) sum += tr.rating[k];
            mu = tr.n ? sum / (double)tr.n : mu;
        }
    } else if (!rc && !bpr) {
        tr = all;
        all = (graph_ratings_t){0};
    }
    gnn_head_t head = {0};
    static const uint32_t mlp_default[] = {64, 32};
    if (!rc && o->hp.head == GNN_HEAD_MLP)
        rc = gnn_head_setup(&head, o->hp.dim, o->hp.n_mlp ? o->hp.mlp : mlp_default, o->hp.n_mlp ? o->hp.n_mlp : 2, e);
    const int implicit = (gnn_arch_get(o->hp.arch)->caps & GNN_CAP_IMPLICIT) != 0;
    if (!rc && !bpr && (implicit || o->init_from))
        rc = graph_csr_from_pairs(&rated, g.n_users, g.n_items, tr.user, tr.item, tr.n, e);
    if (!rc && implicit)
        rc = gnn_rating_init_implicit(&m, g.n_users, g.n_items, o->hp.dim, (float)mu, &rated, o->hp.seed, e);
    else if (!rc) rc = gnn_rating_init_head(&m, g.n_users, g.n_items, o->hp.dim, (float)mu, &head, o->hp.seed, e);
    if (!rc && bpr) {
        m.loss = GNN_LOSS_BPR;
        m.train = split ? &fit : &g.train;
    }
    if (!rc && o->init_from) rc = warm_load(s, o, &m, bpr ? m.train : &rated, e);
    if (!rc && layers) rc = gnn_rating_graph(&m, o->edges.social ? &typed.adj : &adj, layers, e);
    rrun_t r = {.s = s, .name = name, .o = o, .m = &m, .tr = &tr, .va = &va, .te = &te, .g = &g, .fit = &fit,
                .valid = &valid, .lo = lo, .hi = hi, .best_metric = -1.0, .split = split};
    if (!rc) {
        r.n_emb = ((size_t)m.n_users + m.n_items) * (m.dim + 2);
        const size_t n = r.n_emb ? r.n_emb : 1;
        if (!(r.emb = malloc(n * sizeof *r.emb)) || (split && !(r.best_emb = malloc(n * sizeof *r.best_emb))) ||
            (split && !(r.best_hw = malloc((head.n_params + 1) * sizeof *r.best_hw))))
            rc = err_set(e, ERR_NOMEM, "out of memory for the embeddings");
    }
    if (!rc) rc = gnn_saved_check_stage_name(name, o->checkpoint_every, e);
    if (!rc && o->resume) {
        if (!(rc = resume_load(&r, e))) {
            gnn_trainer_note_t n = {.kind = GNN_NOTE_RESUME, .start_epoch = r.start, .best_epoch = r.best_epoch,
                                    .best_metric = r.best_metric, .watch = split ? "valid" : "test"};
            if (o->on_note) o->on_note(o->ctx, &n);
        }
    } else if (!rc) {   /* a fresh run abandons the checkpoint of an interrupted one */
        rc = gnn_saved_abandon(s, name, e);
    }
    if (!rc) rc = gnn_mlog_open(&r.log, o->metrics_log, o->resume, e);
    if (!rc) {
        gnn_trainer_note_t n = {.kind = GNN_NOTE_START, .n_users = g.n_users, .n_items = g.n_items, .n_train = tr.n,
                                .split = split};
        if (o->on_note) o->on_note(o->ctx, &n);
        rc = train_loop(&r, out, e);
    }
    free(r.emb); free(r.best_emb); free(r.best_hw);
    rc = gnn_mlog_close(&r.log, rc, e);   /* the lines were flushed; the close can still fail */
    gnn_rating_destroy(&m);
    graph_typed_destroy(&typed);
    graph_csr_destroy(&adj);
    graph_csr_destroy(&fit);
    graph_csr_destroy(&valid);
    graph_csr_destroy(&rated);
    graph_ratings_destroy(&all);
    graph_ratings_destroy(&tr);
    graph_ratings_destroy(&va);
    graph_ratings_destroy(&te);
    if (have_g) graph_interactions_destroy(&g);
    return rc;
}
