/* model.c - see model.h: hyper-parameter checks, allocation, the step and
 * epoch drivers. The stages live in prop.c (propagation), bpr.c (loss),
 * spmm.c (kernels, fused Adam), sampler.c and gcn.c; internal.h says how a
 * step flows through them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "base/mem.h"
#include "base/rng.h"
#include "gnn/internal.h"
#include "gnn/relation.h"


static void ws_free(gnn_ws_t *w)
{
    if (!w) return;
    free(w->g); free(w->l2); free(w->buf[0]); free(w->buf[1]);
    free(w->dist); free(w->lists); free(w->frontier); free(w->fill); free(w->e0h);
    graph_csr_destroy(&w->bcols);
    free(w->tu); free(w->ti); free(w->tj); free(w->active);
    gnn_bpr_ws_free(&w->bpr);
    free(w->gcn_t); free(w->gcn_p); free(w->gcn_e); free(w->gcn_f);
    free(w->gcn_dt); free(w->gcn_dp); free(w->gcn_de);
    gnn_cl_free(w);
    free(w);
}

/* Does the model gather E0 as float16 (the half path's e0h table)? */
static int has_e0h(const gnn_hparams_t *hp)
{
    return hp->arch == GNN_ARCH_LIGHTGCN && hp->layers > 0 && !hp->fp32_tables;
}

/* The step's big scratch tables, in one list for release and regrow. */
static void ws_tables(gnn_ws_t *w, void **t[4])
{
    t[0] = (void **)&w->g;
    t[1] = (void **)&w->buf[0];
    t[2] = (void **)&w->buf[1];
    t[3] = (void **)&w->e0h;
}

void gnn_model_release(gnn_model_t *m, const float *keep)
{
    gnn_ws_t *w = m->ws;
    if (!w || m->hp.arch == GNN_ARCH_GCN) return;   /* gcn's own tables are small: kept */
    void **t[4];
    ws_tables(w, t);
    for (int k = 0; k < 4; k++)
        if (*t[k] && *t[k] != (const void *)keep) {
            free(*t[k]);
            *t[k] = NULL;
        }
    w->e0h_ok = 0;
    gnn_cl_free(w);   /* a [n x dim] table too; rebuilt by the next step */
}

/* Allocate again what gnn_model_release freed (zeroed, as at init: G must
 * be zero outside a batch, and E0's half copy is rebuilt from E0). */
static int ws_regrow(gnn_model_t *m, err_t *e)
{
    gnn_ws_t *w = m->ws;
    if (!w) return ERR_OK;
    const size_t bytes = (size_t)w->n * m->hp.dim * sizeof(float);
    void **t[4];
    ws_tables(w, t);
    for (int k = 0; k < 4; k++) {
        if (*t[k] || (k == 3 && !has_e0h(&m->hp))) continue;
        if (!(*t[k] = mem_alloc_hot(k == 3 ? bytes / 2 : bytes)))
            return err_set(e, ERR_NOMEM, "out of memory for the training buffers (%zu MiB)", bytes >> 20);
    }
    return ERR_OK;
}

float *gnn_model_spare(gnn_model_t *m, const float *out)
{
    gnn_ws_t *w = m->ws;
    return out == w->buf[0] || out == w->buf[1] ? (float *)out : w->buf[0];
}

static int check_cl(const gnn_hparams_t *hp, err_t *e)
{
    if (!(hp->cl_weight > 0.0f) || !isfinite(hp->cl_weight))
        return err_set(e, ERR_USAGE, "cl_weight must be >= 0, got %g", (double)hp->cl_weight);
    if (hp->arch != GNN_ARCH_LIGHTGCN || hp->layers < 1)
        return err_set(e, ERR_USAGE, "the contrastive term (cl_weight > 0) needs lightgcn with layers >= 1");
    if (!(hp->cl_eps >= 0.0f) || !isfinite(hp->cl_eps))
        return err_set(e, ERR_USAGE, "cl_eps must be >= 0, got %g", (double)hp->cl_eps);
    if (!(hp->cl_temp > 0.0f) || !isfinite(hp->cl_temp))
        return err_set(e, ERR_USAGE, "cl_temp must be > 0, got %g", (double)hp->cl_temp);
    if (hp->cl_layer < 1 || hp->cl_layer > hp->layers)
        return err_set(e, ERR_USAGE, "cl_layer must be in 1..layers (%u), got %u", hp->layers, hp->cl_layer);
    return ERR_OK;
}

static int check_hparams(const gnn_hparams_t *hp, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_get(hp->arch);
    if (!a || !(a->caps & GNN_CAP_BPR))
        return err_set(e, ERR_USAGE, "architecture %s is not trained by BPR (lightgcn, mf, gcn, kglightgcn)%s",
                       a ? a->name : "(unknown)",
                       a && (a->caps & GNN_CAP_MSE) ? ": it trains on ratings, --loss mse" : "");
    if (hp->dim < 1 || hp->dim > GNN_MAX_DIM)
        return err_set(e, ERR_USAGE, "dim must be in 1..%d, got %u", GNN_MAX_DIM, hp->dim);
    if (hp->arch != GNN_ARCH_MF && hp->layers > GNN_MAX_LAYERS)
        return err_set(e, ERR_USAGE, "layers must be in 0..%d, got %u", GNN_MAX_LAYERS, hp->layers);
    if (hp->batch_size < 1 || hp->batch_size > (1u << 24))
        return err_set(e, ERR_USAGE, "batch_size must be in 1..%u, got %u", 1u << 24, hp->batch_size);
    if (hp->negatives < 1 || hp->negatives > 64)
        return err_set(e, ERR_USAGE, "negatives must be in 1..64, got %u", hp->negatives);
    if (!(hp->lr > 0.0f) || !isfinite(hp->lr))
        return err_set(e, ERR_USAGE, "lr must be a positive number, got %g", (double)hp->lr);
    if (!(hp->reg >= 0.0f) || !isfinite(hp->reg))
        return err_set(e, ERR_USAGE, "reg must be >= 0, got %g", (double)hp->reg);
    if (hp->threads < 0)
        return err_set(e, ERR_USAGE, "threads must be >= 0, got %d", hp->threads);
    if (!(hp->lr_warmup >= 0.0f) || !isfinite(hp->lr_warmup))
        return err_set(e, ERR_USAGE, "lr_warmup must be >= 0 epochs, got %g", (double)hp->lr_warmup);
    if (hp->lr_decay < GNN_LR_CONSTANT || hp->lr_decay > GNN_LR_LINEAR)
        return err_set(e, ERR_USAGE, "unknown lr_decay %d", hp->lr_decay);
    if (!(hp->lr_min >= 0.0f && hp->lr_min <= 1.0f))
        return err_set(e, ERR_USAGE, "lr_min must be in [0, 1] (a fraction of lr), got %g", (double)hp->lr_min);
    return hp->cl_weight == 0.0f ? ERR_OK : check_cl(hp, e);
}

float gnn_lr_at(const gnn_hparams_t *hp, double t)
{
    const double w = hp->lr_warmup, end = hp->lr_epochs;
    if (t < w) return (float)(hp->lr * (0.01 + 0.99 * t / w));
    if (hp->lr_decay == GNN_LR_CONSTANT || end <= w) return hp->lr;
    double x = (t - w) / (end - w), f;   /* 0 .. 1 over the decay */
    if (x >= 1.0) x = 1.0;
    f = hp->lr_decay == GNN_LR_COSINE ? 0.5 * (1.0 + cos(M_PI * x)) : 1.0 - x;
    return (float)(hp->lr * (hp->lr_min + (1.0 - hp->lr_min) * f));
}

int gnn_model_init(gnn_model_t *m, const gnn_hparams_t *hp, uint32_t n_users,
                   uint32_t n_items, err_t *e)
{
    return gnn_model_init_nodes(m, hp, n_users, n_items, 0, 0, e);
}

void gnn_model_set_relations(gnn_model_t *m, const uint32_t *edge_rel)
{
    m->edge_rel = edge_rel;
}

int gnn_model_init_nodes(gnn_model_t *m, const gnn_hparams_t *hp, uint32_t n_users,
                         uint32_t n_items, uint32_t n_extra, uint32_t n_rel, err_t *e)
{
    memset(m, 0, sizeof *m);
    int rc = check_hparams(hp, e);
    if (rc) return rc;
    m->hp = *hp;
    const gnn_arch_id_t a = hp->arch;
    if (a == GNN_ARCH_MF) m->hp.layers = 0;
    const uint32_t K = m->hp.layers, d = hp->dim;
    if ((uint64_t)n_users + n_items + n_extra > UINT32_MAX || n_users == 0 || n_items == 0)
        return err_set(e, ERR_USAGE, "need 1..2^32-1 nodes, got %u users + %u items + %u others",
                       n_users, n_items, n_extra);
    const uint32_t n = n_users + n_items + n_extra;
    /* emb0 and layer weights in floats; the products cannot overflow 64 bits
     * with these limits, but size_t might be 32 */
    uint64_t n_emb = (uint64_t)n * d, n_w = a == GNN_ARCH_GCN ? (uint64_t)K * d * d : 0;
    if (a == GNN_ARCH_KGLIGHTGCN) n_w = n_rel;
    if (n_emb + n_w > SIZE_MAX / sizeof(float) / 4)
        return err_set(e, ERR_USAGE, "model too large: %u nodes x %u dims", n, d);
    m->n_users = n_users;
    m->n_items = n_items;
    m->n_extra = n_extra;
    m->n_params = (size_t)(n_emb + n_w);
    /* tables gathered at random rows by the products: huge pages (base/mem.h),
     * one TLB entry per 2 MiB, where 4 KiB pages missed on nearly every row */
    m->params = mem_alloc_hot(m->n_params * sizeof(float));
    m->grads = calloc(m->n_params, sizeof(float));
    m->adam_m = mem_alloc_hot(m->n_params * sizeof(float));
    m->adam_v = mem_alloc_hot(m->n_params * sizeof(float));
    gnn_ws_t *w = calloc(1, sizeof *w);
    m->ws = w;
    if (!m->params || !m->grads || !m->adam_m || !m->adam_v || !w) goto nomem;
    w->n = n;
    w->wide = GNN_WIDE_BATCH;
    w->g = mem_alloc_hot((size_t)n * d * sizeof(float));
    w->l2 = calloc(n, sizeof(float));
    w->buf[0] = mem_alloc_hot((size_t)n * d * sizeof(float));
    w->buf[1] = mem_alloc_hot((size_t)n * d * sizeof(float));
    w->dist = malloc(n);
    w->lists = malloc((size_t)GNN_MAX_LAYERS * n * sizeof(uint32_t));
    w->frontier = malloc((size_t)n * sizeof(uint32_t));
    w->fill = malloc(((size_t)n + 1) * sizeof *w->fill);
    w->bpr.nrm = malloc((size_t)n * sizeof *w->bpr.nrm);   /* NULL: gnn_bpr_rows falls back */
    if (has_e0h(&m->hp) && !(w->e0h = mem_alloc_hot((size_t)n * d * sizeof *w->e0h)))
        goto nomem;
    if (!w->g || !w->l2 || !w->buf[0] || !w->buf[1] || !w->dist || !w->lists || !w->frontier
        || !w->fill)
        goto nomem;
    if (a == GNN_ARCH_GCN && (rc = gnn_gcn_alloc(w, K, d, e))) {
        gnn_model_destroy(m);
        return rc;
    }
    m->emb0 = m->params;
    m->weights = n_w && a == GNN_ARCH_GCN ? m->params + n_emb : NULL;
    if (a == GNN_ARCH_KGLIGHTGCN) {
        m->n_rel = n_rel;
        m->rel_w = m->params + n_emb;
    }
    /* stream 0 of the seed initialises; epochs use streams >= 2^32 */
    rng_t r;
    rng_seed_stream(&r, hp->seed, 0);
    for (uint64_t k = 0; k < n_emb; k++) m->emb0[k] = 0.1f * rng_normal(&r);
    const float lim = sqrtf(6.0f / (float)(d + d));   /* Xavier uniform */
    if (m->weights)
        for (uint64_t k = 0; k < n_w; k++) m->weights[k] = lim * (2.0f * rng_float(&r) - 1.0f);
    /* relation weights start at 1: the plain joint LightGCN */
    for (uint32_t k = 0; k < m->n_rel; k++) m->rel_w[k] = 1.0f;
    return ERR_OK;
nomem:
    gnn_model_destroy(m);
    return err_set(e, ERR_NOMEM, "out of memory for a model of %u nodes x %u dims", n, d);
}

void gnn_model_destroy(gnn_model_t *m)
{
    if (!m) return;
    free(m->params); free(m->grads); free(m->adam_m); free(m->adam_v);
    ws_free(m->ws);
    gnn_rel_free(m->hws);
    memset(m, 0, sizeof *m);
}

static int check_graph(const gnn_model_t *m, const graph_csr_t *adj, err_t *e)
{
    uint32_t n = m->n_users + m->n_items + m->n_extra;
    if (adj->n_rows != n || adj->n_cols != n)
        return err_set(e, ERR_USAGE, "adjacency is %u x %u, the model has %u nodes",
                       adj->n_rows, adj->n_cols, n);
    return ERR_OK;
}

static int check_batch(const gnn_model_t *m, const uint32_t *u, const uint32_t *i,
                       const uint32_t *j, uint32_t t, err_t *e)
{
    if (t == 0) return err_set(e, ERR_USAGE, "empty batch");
    for (uint32_t k = 0; k < t; k++)
        if (u[k] >= m->n_users || i[k] >= m->n_items || j[k] >= m->n_items)
            return err_set(e, ERR_USAGE, "triple %u (%u, %u, %u) out of range (%u users, %u items)",
                           k, u[k], i[k], j[k], m->n_users, m->n_items);
    return ERR_OK;
}

/* Stages 1-3 of a step; leaves g and l2 set on the batch's rows. half: the
 * float16 tables (w->e0h must be current). */
static int forward_loss(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *u,
                        const uint32_t *i, const uint32_t *j, uint32_t t, int half,
                        double *loss, err_t *e)
{
    gnn_ws_t *w = m->ws;
    const uint32_t K = m->hp.layers, d = m->hp.dim;
    const int gcn = m->hp.arch == GNN_ARCH_GCN;
    /* gcn propagates everything; it only needs the batch's own rows listed */
    int rc = gnn_prop_field(w, adj, m->n_users, u, i, j, t, gcn || K == 0 ? 1 : K,
                            !gcn && K > 0, m->hp.threads, e);
    if (rc) return rc;
    if (gcn) {
        if (m->hp.threads > 0) openblas_set_num_threads(m->hp.threads);
        gnn_gcn_forward(m, w, adj, NULL);
        *loss = gnn_bpr(w->gcn_f, 1.0f, m->emb0, d, m->n_users, u, i, j, t, m->hp.reg, w->g, w->l2, m->hp.threads);
        return ERR_OK;
    }
    float zs;
    const float *z;
    if (m->hp.cl_weight > 0.0f) {
        if ((rc = gnn_cl_forward(m, adj, u, i, t, half, &z, &zs, e))) return rc;
    } else {
        z = gnn_lgcn_forward(m, adj, half, &zs);
    }
    *loss = gnn_bpr_rows(z, zs, m->emb0, d, m->n_users, u, i, j, t, m->hp.reg, w->lists, w->list_n[0], &w->bpr,
                         w->g, w->l2, m->hp.threads);
    if (m->hp.cl_weight > 0.0f) {
        double lc;
        if ((rc = gnn_cl_loss(m, z, zs, &lc, e))) return rc;
        *loss += lc;
    }
    return ERR_OK;
}

int gnn_loss_grad(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                  const uint32_t *pos, const uint32_t *neg, uint32_t t, double *loss, err_t *e)
{
    int rc = check_graph(m, adj, e);
    if (rc || (rc = check_batch(m, users, pos, neg, t, e)) || (rc = ws_regrow(m, e))) return rc;
    if (m->hp.arch == GNN_ARCH_KGLIGHTGCN) return gnn_rel_loss_grad(m, adj, users, pos, neg, t, loss, e);
    if ((rc = forward_loss(m, adj, users, pos, neg, t, 0, loss, e))) return rc;
    if (m->hp.arch == GNN_ARCH_GCN) gnn_gcn_backward(m, adj);
    else gnn_lgcn_backward(m, adj, NULL, 0.0f);
    gnn_prop_clear(m->ws, m->hp.dim);
    return ERR_OK;
}

static int train_step(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                      const uint32_t *pos, const uint32_t *neg, uint32_t t, float lr, double *loss,
                      err_t *e)
{
    int rc = check_graph(m, adj, e);
    if (rc || (rc = check_batch(m, users, pos, neg, t, e)) || (rc = ws_regrow(m, e))) return rc;
    gnn_adam_t ad;
    if (m->hp.arch == GNN_ARCH_KGLIGHTGCN) {
        /* full-graph gradient into grads, then dense Adam (as gcn) */
        if ((rc = gnn_rel_loss_grad(m, adj, users, pos, neg, t, loss, e))) return rc;
        gnn_adam_setup(&ad, lr, ++m->step);
        gnn_adam(m->params, m->adam_m, m->adam_v, m->grads, m->n_params, &ad, m->hp.threads);
        if (!isfinite(*loss))
            return err_set(e, ERR_INTERNAL, "loss is not finite at step %llu (lr too large?)",
                           (unsigned long long)m->step);
        return ERR_OK;
    }
    gnn_ws_t *w = m->ws;
    const int half = w->e0h != NULL;
    if (half && (!w->e0h_ok || w->e0h_step != m->step)) {
        gnn_f2h_table(w->e0h, m->emb0, (size_t)w->n * m->hp.dim, m->hp.threads);
        w->e0h_ok = 1;
        w->e0h_step = m->step;
    }
    if ((rc = forward_loss(m, adj, users, pos, neg, t, half, loss, e))) return rc;
    gnn_adam_setup(&ad, lr, ++m->step);
    if (m->hp.arch == GNN_ARCH_GCN) {
        gnn_gcn_backward(m, adj);
        gnn_adam(m->params, m->adam_m, m->adam_v, m->grads, m->n_params, &ad, m->hp.threads);
    } else {
        /* a power of two in (t, 2t]: G is ~1/t per occurrence */
        int ex;
        frexpf((float)t, &ex);
        gnn_lgcn_backward(m, adj, &ad, half ? ldexpf(1.0f, ex) : 0.0f);
        if (half) w->e0h_step = m->step;
    }
    gnn_prop_clear(m->ws, m->hp.dim);
    if (!isfinite(*loss))
        return err_set(e, ERR_INTERNAL, "loss is not finite at step %llu (lr too large?)",
                       (unsigned long long)m->step);
    return ERR_OK;
}

int gnn_train_step(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *users,
                   const uint32_t *pos, const uint32_t *neg, uint32_t t, double *loss, err_t *e)
{
    return train_step(m, adj, users, pos, neg, t, m->hp.lr, loss, e);
}

uint64_t gnn_batch_positives(const gnn_hparams_t *hp, uint64_t n_train)
{
    if (hp->steps_per_epoch == 0 || n_train == 0) return hp->batch_size;
    return (n_train + hp->steps_per_epoch - 1) / hp->steps_per_epoch;
}

int gnn_epoch_walk(const gnn_hparams_t *hp, uint32_t epoch, uint64_t n_pos, gnn_step_fn_t fn, void *ctx,
                   gnn_step_hook_t hook, void *hook_ctx, double *loss, err_t *e)
{
    if (n_pos == 0) return err_set(e, ERR_INPUT, "no training interactions");
    const uint64_t bs = gnn_batch_positives(hp, n_pos), n_steps = (n_pos + bs - 1) / bs;
    double sum = 0.0;
    uint64_t steps = 0;
    for (uint64_t b = 0; b < n_pos; b += bs, steps++) {
        uint64_t cnt = n_pos - b < bs ? n_pos - b : bs;
        double l;
        float lr = gnn_lr_at(hp, epoch + (double)b / (double)n_pos);
        int rc = fn(ctx, epoch, b, cnt, lr, &l, e);
        if (rc) return rc;
        sum += l;
        if (hook) hook(hook_ctx, steps + 1, n_steps);
    }
    *loss = sum / (double)steps;
    return ERR_OK;
}

typedef struct {
    gnn_model_t *m;
    const graph_csr_t *train, *adj;
} epoch_ctx_t;

/* One step of gnn_train_epoch: the batch's triples, then the update. */
static int epoch_step(void *ctx, uint32_t epoch, uint64_t b, uint64_t cnt, float lr, double *loss, err_t *e)
{
    epoch_ctx_t *c = ctx;
    gnn_model_t *m = c->m;
    gnn_ws_t *w = m->ws;
    const uint32_t neg = m->hp.negatives;
    size_t o;
    int rc = gnn_sample_range(w, c->train, m->hp.seed, epoch, neg, b, b + cnt, m->hp.threads, &o, e);
    if (rc) return rc;
    return train_step(m, c->adj, w->tu + o, w->ti + o, w->tj + o, (uint32_t)(cnt * neg), lr, loss, e);
}

int gnn_train_epoch(gnn_model_t *m, const graph_csr_t *train, const graph_csr_t *adj,
                    uint32_t epoch, double *loss, err_t *e)
{
    int rc = check_graph(m, adj, e);
    if (rc) return rc;
    if (train->n_rows != m->n_users || train->n_cols != m->n_items)
        return err_set(e, ERR_USAGE, "train matrix is %u x %u, the model has %u users x %u items",
                       train->n_rows, train->n_cols, m->n_users, m->n_items);
    if (train->nnz == 0) return err_set(e, ERR_INPUT, "no training interactions");
    /* recomputed every epoch: microseconds, and never stale */
    gnn_ws_t *w = m->ws;
    if ((rc = gnn_sampler_active(w, train, e))) return rc;
    w->e0h_ok = 0;   /* params may have been written since the last step */
    epoch_ctx_t c = {.m = m, .train = train, .adj = adj};
    return gnn_epoch_walk(&m->hp, epoch, train->nnz, epoch_step, &c, m->step_hook, m->step_ctx, loss, e);
}

int gnn_model_final(gnn_model_t *m, const graph_csr_t *adj, const float **out, err_t *e)
{
    int rc = check_graph(m, adj, e);
    if (rc || (rc = ws_regrow(m, e))) return rc;
    gnn_ws_t *w = m->ws;
    if (m->hp.layers == 0 && m->hp.arch != GNN_ARCH_KGLIGHTGCN && m->hp.arch != GNN_ARCH_GCN) {
        *out = m->emb0;   /* mf: the final embeddings are the parameters */
        return ERR_OK;
    }
    if (m->hp.arch == GNN_ARCH_LIGHTGCN) {
        /* both [n x dim] float buffers are free between steps */
        gnn_lgcn_embed_all(m, adj, w->buf[0], w->buf[1]);
        *out = w->buf[0];
        return ERR_OK;
    }
    if ((rc = gnn_model_embed(m, adj, w->buf[0], e))) return rc;
    *out = w->buf[0];
    return ERR_OK;
}

int gnn_model_embed(const gnn_model_t *m, const graph_csr_t *adj, float *out, err_t *e)
{
    int rc = check_graph(m, adj, e);
    if (rc) return rc;
    const size_t sz = (size_t)(m->n_users + m->n_items + m->n_extra) * m->hp.dim;
    if (m->hp.arch == GNN_ARCH_KGLIGHTGCN) return gnn_rel_embed(m, adj, out, e);
    if (m->hp.arch == GNN_ARCH_GCN) {
        /* a private workspace keeps embed usable on a const model */
        gnn_ws_t w = { .n = m->n_users + m->n_items + m->n_extra };
        rc = gnn_gcn_alloc(&w, m->hp.layers, m->hp.dim, e);
        if (!rc) {
            if (m->hp.threads > 0) openblas_set_num_threads(m->hp.threads);
            gnn_gcn_forward(m, &w, adj, out);
        }
        free(w.gcn_t); free(w.gcn_p); free(w.gcn_e); free(w.gcn_f);
        free(w.gcn_dt); free(w.gcn_dp); free(w.gcn_de);
        return rc;
    }
    float *tmp = m->hp.layers > 1 ? malloc(sz * sizeof *tmp) : NULL;
    if (m->hp.layers > 1 && !tmp) return err_set(e, ERR_NOMEM, "out of memory for embeddings");
    gnn_lgcn_embed_all(m, adj, out, tmp);
    free(tmp);
    return ERR_OK;
}
