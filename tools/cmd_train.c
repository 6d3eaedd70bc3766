/* cmd_train.c - `gnnrec train`: fit a model on a store's training
 * interactions and save it under a name.
 *
 * Protocols:
 *   valid_fraction > 0  a validation split is carved from each user's
 *                       training interactions (seeded); the model trains on
 *                       the rest, early stopping (patience) watches
 *                       validation Recall@K, the saved embeddings are those of
 *                       the best validation epoch; the test split is only
 *                       reported at the end.
 *   valid_fraction = 0  the benchmark papers' protocol: fixed epochs on all
 *                       training interactions, test metrics reported every
 *                       eval_every epochs, the last epoch saved. The test set
 *                       never selects anything (patience needs validation).
 * A checkpoint (parameters + Adam state) is saved every checkpoint_every
 * epochs, so --resume continues where a killed run stopped; sampling is
 * seeded by (seed, epoch), so a resumed run equals an uninterrupted one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "base/clock.h"
#include "gnn/eval.h"
#include "gnn/model.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "graph/load.h"
#include "graph/typed.h"
#include "store/store.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec train --store DIR [--config FILE] [--model NAME] [--resume] [--KEY VALUE ...]\n"
    "\n"
    "Trains a GCN recommender on the store's training interactions and saves it as\n"
    "model NAME (default: the architecture's name). Keys (YAML config or --key value;\n"
    "the command line wins; in YAML the architecture key is `model:`):\n"
    "  --arch A             lightgcn (default), mf, gcn; pop = popularity ranking (no training);\n"
    "                       gf-cf, bspm = training-free graph filters (docs/gfcf.md): --alpha X (0.3),\n"
    "                       --svd-k N (256), --svd-oversample N (64), --svd-iters N (8); bspm:\n"
    "                       --bspm-beta X (0.2), --bspm-t-s X (2.5), --bspm-k-s N (1),\n"
    "                       --bspm-solver rk4|euler (rk4)\n"
    "                       kglightgcn = lightgcn with a learned weight per knowledge relation\n"
    "  --edges LIST         edge types in the training graph: interaction (default), social,\n"
    "                       knowledge (entities get embeddings too; docs/hetero.md)\n"
    "  --weight-social X    weight of a social edge in the joint adjacency (1)\n"
    "  --weight-knowledge X weight of a knowledge edge in the joint adjacency (1)\n"
    "  --edge-norm N        joint (default): one D^-1/2 A D^-1/2 over all edge types;\n"
    "                       per-type: each type normalized by its own degrees, then weighted\n"
    "  --dim N              embedding size (64)\n"
    "  --layers N           propagation layers (3; mf always 0)\n"
    "  --epochs N           epochs to run (100)\n"
    "  --batch-size N       BPR positives per step (2048)\n"
    "  --steps-per-epoch N  0 (default): --batch-size positives per step; N: ceil(interactions / N)\n"
    "                       positives per step, so an epoch costs N steps on any graph (large graphs)\n"
    "  --lr X               Adam learning rate (0.001)\n"
    "  --lr-warmup X        ramp the learning rate up from lr/100 over X epochs (0)\n"
    "  --lr-decay D         constant (default), cosine or linear: decay after the warm-up,\n"
    "                       reaching lr x lr-min at the last epoch (--epochs)\n"
    "  --lr-min X           the decay's end as a fraction of lr (0.01)\n"
    "  --lr-decay-epochs N  the epoch where the decay ends (= --epochs; set it to stop a run\n"
    "                       early and --resume it on the same schedule)\n"
    "  --reg X              L2 on the batch's layer-0 embeddings (1e-4)\n"
    "  --negatives N        negatives per positive (1)\n"
    "  --seed N             seed of initialisation, sampling and the validation split (2020)\n"
    "  --threads N          threads (0 = all cores)\n"
    "  --eval-every N       evaluate every N epochs (10; 0 = only at the end)\n"
    "  --k LIST             cut-offs for the metrics (20; the first one is watched)\n"
    "  --valid-fraction F   hold out F of each user's training items for validation (0)\n"
    "  --patience N         stop after N evaluations without validation improvement (0 = never)\n"
    "  --checkpoint-every N save a resumable checkpoint every N epochs (= eval-every)\n"
    "  --metrics-log FILE   also write the metrics log (JSON lines) to FILE\n"
    "  --resume             continue the saved model's last checkpoint up to --epochs\n"
    "  --progress           show an in-place progress line even when stderr is not a terminal\n"
    "Writes one line per epoch to stderr (loss, seconds, metrics when evaluated) and,\n"
    "at the end, the saved model's test metrics to stdout.\n";

static const cli_flag_t flags[] = {"resume", "help", "progress", NULL};
static const char *const known[] = {
    "store", "config", "model", "arch", "dim", "layers", "epochs", "batch_size", "steps_per_epoch", "lr", "reg",
    "lr_warmup", "lr_decay", "lr_min", "lr_decay_epochs",
    "negatives", "seed", "threads", "eval_every", "k", "valid_fraction", "patience",
    "checkpoint_every", "metrics_log", "resume", "help", "progress",
    "edges", "weight_social", "weight_knowledge", "edge_norm",
    "alpha", "svd_k", "svd_oversample", "svd_iters", "bspm_beta", "bspm_t_s", "bspm_k_s", "bspm_solver", NULL};

typedef struct run {
    gnn_hparams_t hp;
    const gnn_arch_t *arch;     /* the row of gnn/arch.h; hp.arch is its id */
    const char *name;
    uint32_t epochs, eval_every, patience, checkpoint_every;
    float valid_fraction;
    uint32_t *ks;
    size_t n_k;
    const char *metrics_log;
    int resume, progress;
    graph_typed_opts_t edges;   /* which edge types train, and their weights */
    gnn_gfcf_params_t gf;       /* gf-cf / bspm settings (issue 8) */
} run_t;

/* ---- joint graph (issue 5, docs/hetero.md): edge types and their weights ---- */

static int read_edges(cli_opts_t *o, run_t *r, err_t *e)
{
    char **items;
    size_t n;
    int rc = cli_get_list(o, "edges", "interaction", &items, &n, e);
    if (rc) return rc;
    graph_typed_opts_t *g = &r->edges;
    for (size_t k = 0; k < n && !rc; k++) {
        if (!strcmp(items[k], "interaction")) g->interaction = 1;
        else if (!strcmp(items[k], "social")) g->social = 1;
        else if (!strcmp(items[k], "knowledge")) g->knowledge = 1;
        else rc = cli_error(o, "edges", e, "unknown edge type '%s' (interaction, social, knowledge)", items[k]);
    }
    free(items);
    if (rc) return rc;
    if (!g->interaction) return cli_error(o, "edges", e, "interaction edges are what BPR learns from: keep them");
    static const char *const norms[] = {"joint", "per-type", NULL};
    if ((rc = cli_get_float(o, "weight_social", 1.0f, 0.0, 1e6, &g->w_social, e)) ||
        (rc = cli_get_float(o, "weight_knowledge", 1.0f, 0.0, 1e6, &g->w_knowledge, e)) ||
        (rc = cli_get_choice(o, "edge_norm", norms, 0, &g->per_type_norm, e)))
        return rc;
    if (gnn_arch_can(r->arch->name, GNN_CAP_NEEDS_KG) && !g->knowledge)
        return cli_error(o, "arch", e, "kglightgcn weighs knowledge relations: add --edges interaction,knowledge");
    return ERR_OK;
}

static int joint_graph(const run_t *r) { return r->edges.social || r->edges.knowledge; }

/* The training adjacency: graph_norm_bipartite of the training matrix, or
 * with social/knowledge edges the joint graph of graph/typed.h (entities as
 * extra nodes after the items, relations of its entries in typed->rel). */
static int load_adjacency(store_t *s, const run_t *r, const graph_csr_t *fit, graph_csr_t *adj,
                          graph_typed_t *typed, err_t *e)
{
    if (!joint_graph(r)) return graph_norm_bipartite(fit, adj, e);
    store_txn_t t;
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    rc = graph_typed_load(&t, fit, &r->edges, typed, e);
    store_read_end(&t);
    if (rc) return rc;
    *adj = typed->adj;   /* borrowed: graph_typed_destroy frees it */
    fprintf(stderr, "joint graph: %u users, %u items, %u entities, %u relations; %llu social pairs (weight %g), "
            "%llu knowledge pairs (weight %g), %u items aligned to entities\n", typed->n_users, typed->n_items,
            typed->n_entities, typed->n_relations, (unsigned long long)typed->social_pairs,
            (double)r->edges.w_social, (unsigned long long)typed->kg_pairs, (double)r->edges.w_knowledge,
            typed->items_aligned);
    return ERR_OK;
}

/* ---- end of the joint-graph block ---- */

/* ---- gf-cf / bspm (issue 8, docs/gfcf.md): training-free graph filters ---- */

static int read_gfcf_settings(cli_opts_t *o, run_t *r, err_t *e)
{
    static const char *const solvers[] = {"euler", "rk4", NULL};
    gnn_gfcf_params_t *p = &r->gf;
    gnn_gfcf_defaults(p);
    int rc, solver;
    if ((rc = cli_get_float(o, "alpha", p->alpha, 0.0, 1e6, &p->alpha, e)) ||
        (rc = cli_get_u32(o, "svd_k", p->svd_k, 0, 4096, &p->svd_k, e)) ||
        (rc = cli_get_u32(o, "svd_oversample", p->svd_oversample, 0, 4096, &p->svd_oversample, e)) ||
        (rc = cli_get_u32(o, "svd_iters", p->svd_iters, 0, 100, &p->svd_iters, e)) ||
        (rc = cli_get_float(o, "bspm_beta", p->beta, 0.0, 1e6, &p->beta, e)) ||
        (rc = cli_get_float(o, "bspm_t_s", p->t_s, 0.0, 1e3, &p->t_s, e)) ||
        (rc = cli_get_u32(o, "bspm_k_s", p->k_s, 0, 100, &p->k_s, e)) ||
        (rc = cli_get_choice(o, "bspm_solver", solvers, (int)p->rk4, &solver, e)))
        return rc;
    p->rk4 = (uint32_t)solver;
    p->bspm = r->arch->id == GNN_ARCH_BSPM;
    p->seed = r->hp.seed;
    return ERR_OK;
}

/* Save context of train_gfcf (store_write may rerun it). */
typedef struct gfcf_save {
    const run_t *r;
    const gnn_gfcf_t *m;
    const char *cfg;
    double secs;
} gfcf_save_t;

static int write_gfcf(store_txn_t *t, void *ctx, err_t *e)
{
    const gfcf_save_t *s = ctx;
    return gnn_gfcf_save(t, s->r->name, s->m, s->cfg, s->secs, e);
}

/* The "fit" of a graph-filter model: degrees and the SVD of the normalized
 * training matrix, saved like any model; then the test metrics. */
static int train_gfcf(store_t *s, const run_t *r, const graph_interactions_t *g, const graph_csr_t *fit,
                      err_t *e)
{
    gnn_gfcf_t m;
    double t0 = clock_now();
    int rc = gnn_gfcf_init(&m, fit, &r->gf, e);
    if (rc) return rc;
    if ((rc = gnn_gfcf_fit(&m, r->hp.threads, e))) goto out;
    double secs = clock_now() - t0;
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "model: %s\nalpha: %g\nsvd_k: %u\nsvd_oversample: %u\nsvd_iters: %u\nseed: %llu\n"
             "bspm_beta: %g\nbspm_t_s: %g\nbspm_k_s: %u\nbspm_solver: %s\n",
             r->arch->name, (double)r->gf.alpha, m.k, r->gf.svd_oversample, r->gf.svd_iters,
             (unsigned long long)r->gf.seed, (double)r->gf.beta, (double)r->gf.t_s, r->gf.k_s,
             r->gf.rk4 ? "rk4" : "euler");
    fprintf(stderr, "%s: %u users, %u items, SVD k %u fitted in %.2fs\n", r->arch->name, m.n_users, m.n_items, m.k,
            secs);
    gfcf_save_t sv = {r, &m, cfg, secs};
    if ((rc = store_write(s, write_gfcf, &sv, e))) goto out;
    if (fit == &g->train && g->test.nnz) {
        gnn_scorer_t sc;
        gnn_metrics_t met;
        gnn_gfcf_scorer(&m, &sc);
        double t1 = clock_now();
        rc = gnn_eval_scorer(&sc, &g->train, &g->train, &g->test, r->ks, (int)r->n_k, r->hp.threads, &met, e);
        if (!rc) {
            printf("model %s (%s, fit %.1fs, eval %.1fs)  test users %u", r->name, r->arch->name, secs,
                   clock_now() - t1, met.users_evaluated);
            for (int k = 0; k < met.n_k; k++)
                printf("  recall@%u %.4f  ndcg@%u %.4f", met.k[k], met.recall[k], met.k[k], met.ndcg[k]);
            printf("\n");
        }
    }
out:
    gnn_gfcf_destroy(&m);
    return rc;
}

/* lr_decay's values, in GNN_LR_* order (read and written back in configs) */
static const char *const decay_names[] = {"constant", "cosine", "linear", NULL};

static int read_settings(cli_opts_t *o, run_t *r, err_t *e)
{
    int arch, rc;
    uint64_t seed;
    uint32_t threads;
    memset(r, 0, sizeof *r);
    if ((rc = cli_get_choice(o, "arch", gnn_arch_names(), GNN_ARCH_LIGHTGCN, &arch, e)) ||
        (rc = cli_get_u32(o, "dim", 64, 1, 1024, &r->hp.dim, e)) ||
        (rc = cli_get_u32(o, "layers", gnn_arch_get((gnn_arch_id_t)arch)->default_layers, 0, 8, &r->hp.layers, e)) ||
        (rc = cli_get_u32(o, "epochs", 100, 0, 1000000, &r->epochs, e)) ||
        (rc = cli_get_u32(o, "batch_size", 2048, 1, 1u << 24, &r->hp.batch_size, e)) ||
        (rc = cli_get_u32(o, "steps_per_epoch", 0, 0, 1u << 24, &r->hp.steps_per_epoch, e)) ||
        (rc = cli_get_float(o, "lr", 0.001f, 1e-9, 10.0, &r->hp.lr, e)) ||
        (rc = cli_get_float(o, "lr_warmup", 0.0f, 0.0, 1e6, &r->hp.lr_warmup, e)) ||
        (rc = cli_get_choice(o, "lr_decay", decay_names, GNN_LR_CONSTANT, &r->hp.lr_decay, e)) ||
        (rc = cli_get_float(o, "lr_min", 0.01f, 0.0, 1.0, &r->hp.lr_min, e)) ||
        (rc = cli_get_float(o, "reg", 1e-4f, 0.0, 1e3, &r->hp.reg, e)) ||
        (rc = cli_get_u32(o, "negatives", 1, 1, 64, &r->hp.negatives, e)) ||
        (rc = cli_get_u64(o, "seed", 2020, 0, UINT64_MAX, &seed, e)) ||
        (rc = cli_get_u32(o, "threads", 0, 0, 1024, &threads, e)) ||
        (rc = cli_get_u32(o, "eval_every", 10, 0, 1000000, &r->eval_every, e)) ||
        (rc = cli_get_u32_list(o, "k", "20", 1, 100000, &r->ks, &r->n_k, e)) ||
        (rc = cli_get_float(o, "valid_fraction", 0.0f, 0.0, 0.9, &r->valid_fraction, e)) ||
        (rc = cli_get_u32(o, "patience", 0, 0, 1000000, &r->patience, e)) ||
        (rc = cli_get_output_path(o, "metrics_log", NULL, &r->metrics_log, e)) ||
        (rc = cli_get_bool(o, "resume", 0, &r->resume, e)) ||
        (rc = cli_get_bool(o, "progress", 0, &r->progress, e)))
        return rc;
    if ((rc = cli_get_u32(o, "checkpoint_every", r->eval_every, 0, 1000000, &r->checkpoint_every, e)))
        return rc;
    r->arch = gnn_arch_get((gnn_arch_id_t)arch);
    r->hp.arch = r->arch->id;
    if (r->arch->id == GNN_ARCH_MF) r->hp.layers = 0;   /* mf is lightgcn without propagation, whatever a config says */
    r->hp.seed = seed;
    r->hp.threads = (int)threads;
    if ((rc = cli_get_u32(o, "lr_decay_epochs", r->epochs, 0, 1000000, &r->hp.lr_epochs, e))) return rc;
    if (r->n_k > GNN_EVAL_MAX_K) return cli_error(o, "k", e, "at most %d cut-offs", GNN_EVAL_MAX_K);
    if (r->patience && r->valid_fraction <= 0.0f)
        return cli_error(o, "patience", e,
                         "early stopping needs a validation split (--valid-fraction F); it never watches the test set");
    if ((rc = cli_get_str(o, "model", r->arch->name, &r->name, e))) return rc;
    if ((rc = read_gfcf_settings(o, r, e))) return rc;
    return read_edges(o, r, e);
}

/* The resolved settings as YAML, stored with the model. */
static void config_text(const run_t *r, char *buf, size_t n)
{
    snprintf(buf, n,
             "model: %s\ndim: %u\nlayers: %u\nepochs: %u\nbatch_size: %u\nsteps_per_epoch: %u\nlr: %g\n"
             "lr_warmup: %g\nlr_decay: %s\nlr_min: %g\nlr_decay_epochs: %u\nreg: %g\n"
             "negatives: %u\nseed: %llu\nthreads: %d\neval_every: %u\nvalid_fraction: %g\npatience: %u\n"
             "edges: [interaction%s%s]\nweight_social: %g\nweight_knowledge: %g\nedge_norm: %s\n",
             r->arch->name, r->hp.dim, r->hp.layers, r->epochs, r->hp.batch_size, r->hp.steps_per_epoch, (double)r->hp.lr,
             (double)r->hp.lr_warmup, decay_names[r->hp.lr_decay], (double)r->hp.lr_min, r->hp.lr_epochs, (double)r->hp.reg, r->hp.negatives, (unsigned long long)r->hp.seed, r->hp.threads,
             r->eval_every, (double)r->valid_fraction, r->patience, r->edges.social ? ", social" : "",
             r->edges.knowledge ? ", knowledge" : "", (double)r->edges.w_social, (double)r->edges.w_knowledge,
             r->edges.per_type_norm ? "per-type" : "joint");
}

/* Everything a save writes, gathered so a store_write retry can rerun it. */
typedef struct save {
    const run_t *r;
    const gnn_model_t *m;
    const gnn_saved_meta_t *meta;
    const float *best_emb;     /* [(nu+ni+n_entities) x dim] */
    const char *metrics;       /* JSON lines */
    size_t metrics_len;
} save_t;

static int write_model(store_txn_t *t, void *ctx, err_t *e)
{
    const save_t *s = ctx;
    const gnn_model_t *m = s->m;   /* NULL for models without parameters (pop) */
    char cfg[1024];
    config_text(s->r, cfg, sizeof cfg);
    size_t emb_bytes = ((size_t)s->meta->n_users + s->meta->n_items) * s->meta->dim * sizeof(float);
    int rc;
    /* a model saved again under the same name replaces the old one whole */
    if ((rc = store_model_delete(t, s->r->name, e)) ||
        (rc = store_blob_put(t, s->r->name, "meta", s->meta, sizeof *s->meta, e)) ||
        (rc = store_blob_put(t, s->r->name, "config", cfg, strlen(cfg), e)) ||
        (rc = store_blob_put(t, s->r->name, "emb", s->best_emb, emb_bytes, e)) ||
        (rc = store_blob_put(t, s->r->name, "metrics", s->metrics, s->metrics_len, e)))
        return rc;
    if (s->meta->n_entities &&
        (rc = store_blob_put(t, s->r->name, "emb_entities", (const char *)s->best_emb + emb_bytes,
                             (size_t)s->meta->n_entities * s->meta->dim * sizeof(float), e)))
        return rc;
    if (!m) return ERR_OK;
    size_t par_bytes = m->n_params * sizeof(float);
    if ((rc = store_blob_put(t, s->r->name, "params", m->params, par_bytes, e)) ||
        (rc = store_blob_put(t, s->r->name, "adam_m", m->adam_m, par_bytes, e)) ||
        (rc = store_blob_put(t, s->r->name, "adam_v", m->adam_v, par_bytes, e)))
        return rc;
    return ERR_OK;
}

/* --resume must train on the graph the checkpoint was trained on: the same
 * edge types, weights and normalization (the parameter count alone does not
 * tell a social graph from a plain one). Models saved before these keys
 * existed are not checked. */
static int check_resume_graph(const run_t *r, const char *saved, size_t len, err_t *e)
{
    static const char *const keys[] = {"edges", "weight_social", "weight_knowledge", "edge_norm"};
    char now[1024], a[256], b[256];
    config_text(r, now, sizeof now);
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (cli_config_value(saved, len, keys[k], a, sizeof a) &&
            cli_config_value(now, strlen(now), keys[k], b, sizeof b) &&
            strcmp(a, b))
            return err_set(e, ERR_USAGE, "--resume: model '%s' was trained with %s:%s, this run asks %s:%s",
                           r->name, keys[k], a, keys[k], b);
    return ERR_OK;
}

/* Restore parameters and Adam state of a checkpoint into m. */
static int load_checkpoint(store_txn_t *t, const char *name, gnn_model_t *m, err_t *e)
{
    static const char *keys[3] = {"params", "adam_m", "adam_v"};
    float *dst[3] = {m->params, m->adam_m, m->adam_v};
    for (int k = 0; k < 3; k++) {
        const float *p;
        size_t n;
        int rc = store_blob_get_floats(t, name, keys[k], &p, &n, e);
        if (rc) return rc;
        if (n != m->n_params)
            return err_set(e, ERR_USAGE, "model '%s': checkpoint has %zu parameters, this configuration %zu",
                           name, n, m->n_params);
        memcpy(dst[k], p, n * sizeof *p);
    }
    return ERR_OK;
}

/* Append one JSON line to the growing log. */
static int log_append(char **buf, size_t *len, size_t *cap, const char *line, err_t *e)
{
    size_t l = strlen(line);
    if (*len + l + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < *len + l + 1) c *= 2;
        char *p = realloc(*buf, c);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, line, l + 1);
    *len += l;
    return ERR_OK;
}

/* The popularity ranking as a one-dimensional "embedding" model: users 1,
 * items their training degree, so eval and infer rank by popularity through
 * the same code as every other model. The baseline every model must beat. */
static int train_popularity(store_t *s, const run_t *r, const graph_interactions_t *g, const graph_csr_t *fit,
                            err_t *e)
{
    size_t n = (size_t)g->n_users + g->n_items;
    float *emb = calloc(n ? n : 1, sizeof *emb);
    if (!emb) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint32_t u = 0; u < g->n_users; u++) emb[u] = 1.0f;
    for (uint64_t k = 0; k < fit->nnz; k++) emb[g->n_users + fit->col[k]] += 1.0f;
    gnn_saved_meta_t meta = {.version = GNN_SAVED_VERSION, .n_users = g->n_users, .n_items = g->n_items, .dim = 1,
                             .seed = r->hp.seed, .best_metric = -1.0};
    memcpy(meta.arch, "pop", 4);
    static const char log[] = "";
    save_t sv = {r, NULL, &meta, emb, log, 0};
    int rc = store_write(s, write_model, &sv, e);
    if (!rc && g->test.nnz) {
        gnn_metrics_t met;
        rc = gnn_eval_all_ranking(emb, emb + g->n_users, 1, &g->train, &g->test, r->ks, (int)r->n_k,
                                  r->hp.threads, &met, e);
        if (!rc) {
            printf("model %s (pop)  test users %u", r->name, met.users_evaluated);
            for (int k = 0; k < met.n_k; k++)
                printf("  recall@%u %.4f  ndcg@%u %.4f", met.k[k], met.recall[k], met.k[k], met.ndcg[k]);
            printf("\n");
        }
    }
    free(emb);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    run_t r;
    store_t s;
    graph_interactions_t g;
    graph_csr_t fit = {0}, valid = {0}, adj = {0};
    graph_typed_t typed = {0};
    gnn_model_t m;
    float *emb = NULL, *best = NULL;
    char *log = NULL;
    size_t log_len = 0, log_cap = 0;
    FILE *logf = NULL;
    int rc, help = 0, opened = 0, have_g = 0, have_m = 0, split = 0;
    const char *dir;
    memset(&m, 0, sizeof m);
    memset(&r, 0, sizeof r);
    cli_opts_init(&o);
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "store", &dir, &e)) || (rc = read_settings(&o, &r, &e)) ||
        (rc = cli_check_unused(&o, &e)))
        goto out;
    cli_set_threads(r.hp.threads);

    if ((rc = store_open(&s, dir, 0, &e))) goto out;
    opened = 1;
    store_txn_t t;
    gnn_saved_meta_t meta, prev;
    memset(&meta, 0, sizeof meta);
    if ((rc = store_read_begin(&s, &t, &e))) goto out;
    rc = graph_load_interactions(&t, &g, &e);
    have_g = rc == 0;
    if (!rc && r.resume) rc = gnn_saved_meta(&t, r.name, &prev, &e);
    store_read_end(&t);
    if (rc) goto out;
    if (g.train.nnz == 0) { rc = err_set(&e, ERR_USAGE, "%s: the store has no training interactions", dir); goto out; }

    const graph_csr_t *fit_m = &g.train, *watch = &g.test, *watch_ex = &g.train;
    if (r.valid_fraction > 0.0f) {
        if ((rc = graph_csr_holdout(&g.train, r.valid_fraction, r.hp.seed, &fit, &valid, &e))) goto out;
        split = 1;
        fit_m = &fit;
        watch = &valid;
        watch_ex = &fit;
    }
    const char *watch_name = split ? "valid" : "test";
    if (r.arch->kind == GNN_KIND_COUNT) {
        rc = train_popularity(&s, &r, &g, fit_m, &e);
        goto out;
    }
    if (r.arch->kind == GNN_KIND_FILTER) {
        rc = train_gfcf(&s, &r, &g, fit_m, &e);
        goto out;
    }
    if ((rc = load_adjacency(&s, &r, fit_m, &adj, &typed, &e))) goto out;
    if ((rc = gnn_model_init_nodes(&m, &r.hp, g.n_users, g.n_items, typed.n_entities, typed.n_relations, &e)))
        goto out;
    gnn_model_set_relations(&m, typed.rel);
    have_m = 1;
    size_t n_emb = ((size_t)g.n_users + g.n_items) * r.hp.dim;
    /* emb and best also hold the entity rows of a joint graph (after the items) */
    size_t n_all = n_emb + (size_t)typed.n_entities * r.hp.dim;
    emb = malloc(n_all * sizeof *emb);
    best = malloc(n_all * sizeof *best);
    if (!emb || !best) { rc = err_set(&e, ERR_NOMEM, "out of memory for embeddings"); goto out; }

    uint32_t start = 0;
    double best_metric = -1.0, secs_before = 0.0;
    uint32_t best_epoch = 0, since_best = 0;
    if (r.resume) {
        if (strcmp(prev.arch, r.arch->name) || prev.dim != r.hp.dim || prev.layers != r.hp.layers ||
            prev.n_users != g.n_users || prev.n_items != g.n_items) {
            rc = err_set(&e, ERR_USAGE, "--resume: model '%s' is %s dim %u layers %u on %u users x %u items; "
                         "this run asks %s dim %u layers %u on %u x %u",
                         r.name, prev.arch, prev.dim, prev.layers, prev.n_users, prev.n_items, r.arch->name,
                         r.hp.dim, r.hp.layers, g.n_users, g.n_items);
            goto out;
        }
        if ((rc = store_read_begin(&s, &t, &e))) goto out;
        const void *cfg;
        size_t cfg_len;
        rc = store_blob_get(&t, r.name, "config", &cfg, &cfg_len, NULL) == 0
                 ? check_resume_graph(&r, cfg, cfg_len, &e) : ERR_OK;
        if (!rc) rc = load_checkpoint(&t, r.name, &m, &e);
        const void *p;
        size_t len;
        const float *pe;
        size_t ne;
        if (!rc && (rc = store_blob_get_floats(&t, r.name, "emb", &pe, &ne, &e)) == 0 && ne == n_emb)
            memcpy(best, pe, n_emb * sizeof *best);
        if (!rc && typed.n_entities &&
            (rc = store_blob_get_floats(&t, r.name, "emb_entities", &pe, &ne, &e)) == 0 && ne == n_all - n_emb)
            memcpy(best + n_emb, pe, (n_all - n_emb) * sizeof *best);
        if (!rc && store_blob_get(&t, r.name, "metrics", &p, &len, NULL) == 0 && len) {
            char *tmp = malloc(len + 1);
            if (!tmp) rc = err_set(&e, ERR_NOMEM, "out of memory");
            else {
                memcpy(tmp, p, len);
                tmp[len] = 0;
                rc = log_append(&log, &log_len, &log_cap, tmp, &e);
                free(tmp);
            }
        }
        store_read_end(&t);
        if (rc) goto out;
        m.step = prev.step;
        start = prev.epoch;
        best_epoch = prev.best_epoch;
        best_metric = prev.best_metric;
        secs_before = prev.train_seconds;
        fprintf(stderr, "resuming model '%s' at epoch %u (best %s %.4f at epoch %u)\n", r.name, start,
                watch_name, best_metric, best_epoch);
    }
    if (r.metrics_log && !(logf = fopen(r.metrics_log, r.resume ? "a" : "w"))) {
        rc = err_set(&e, ERR_USAGE, "--metrics-log %s: cannot write", r.metrics_log);
        goto out;
    }

    fprintf(stderr, "train %s '%s': %u users, %u items, %llu training interactions%s, dim %u, %u layers, "
            "batch %u, lr %g, %u epochs\n", r.arch->name, r.name, g.n_users, g.n_items,
            (unsigned long long)fit_m->nnz, split ? " (after the validation split)" : "", r.hp.dim,
            r.hp.layers, r.hp.batch_size, (double)r.hp.lr, r.epochs);
    double t_run = clock_now();
    progress_t prog;
    progress_init(&prog, "train", r.epochs > start ? r.epochs - start : 0, r.progress ? 1 : 0);
    int stopped = 0;
    uint32_t epoch = start;
    for (epoch = start; epoch < r.epochs && !stopped; epoch++) {
        double t0 = clock_now(), loss = 0.0;
        if ((rc = gnn_train_epoch(&m, fit_m, &adj, epoch, &loss, &e))) goto out;
        double dt = clock_now() - t0;
        int last = epoch + 1 == r.epochs;
        int evaluate = (r.eval_every && (epoch + 1) % r.eval_every == 0) || last;
        char line[1024];
        /* the rate the epoch's last step used: what a plot of the schedule needs */
        const double lr_end = gnn_lr_at(&m.hp, epoch + 1.0 - 1e-9);
        int n = snprintf(line, sizeof line, "{\"epoch\":%u,\"loss\":%.6f,\"lr\":%.6g,\"seconds\":%.3f",
                         epoch + 1, loss, lr_end, dt);
        double elapsed = clock_now() - t_run;
        double eta = elapsed / (double)(epoch + 1 - start) * (double)(r.epochs - epoch - 1);
        fprintf(stderr, "epoch %4u/%u  loss %.5f  %6.2fs", epoch + 1, r.epochs, loss, dt);
        if (r.hp.lr_warmup > 0.0f || r.hp.lr_decay != GNN_LR_CONSTANT) fprintf(stderr, "  lr %.3g", lr_end);
        if (evaluate) {
            gnn_metrics_t met;
            double te = clock_now();
            if ((rc = gnn_model_embed(&m, &adj, emb, &e)) ||
                (rc = gnn_eval_all_ranking(emb, emb + (size_t)g.n_users * r.hp.dim, r.hp.dim, watch_ex, watch,
                                           r.ks, (int)r.n_k, r.hp.threads, &met, &e)))
                goto out;
            te = clock_now() - te;
            for (int k = 0; k < met.n_k; k++) {
                fprintf(stderr, "  %s recall@%u %.4f ndcg@%u %.4f", watch_name, met.k[k], met.recall[k],
                        met.k[k], met.ndcg[k]);
                n += snprintf(line + n, sizeof line - (size_t)n,
                              ",\"%s_recall@%u\":%.6f,\"%s_ndcg@%u\":%.6f,\"%s_precision@%u\":%.6f,\"%s_hit@%u\":%.6f",
                              watch_name, met.k[k], met.recall[k], watch_name, met.k[k], met.ndcg[k], watch_name,
                              met.k[k], met.precision[k], watch_name, met.k[k], met.hit[k]);
            }
            n += snprintf(line + n, sizeof line - (size_t)n, ",\"eval_seconds\":%.3f", te);
            if (!split || met.recall[0] > best_metric) {
                best_metric = met.recall[0];
                best_epoch = epoch + 1;
                memcpy(best, emb, n_all * sizeof *best);
                since_best = 0;
            } else if (r.patience && ++since_best >= r.patience) {
                fprintf(stderr, "  (no improvement in %u evaluations: stopping; best epoch %u)", r.patience, best_epoch);
                stopped = 1;
            }
        }
        fprintf(stderr, "  eta %.0fs\n", eta);
        snprintf(line + n, sizeof line - (size_t)n, "}\n");
        if ((rc = log_append(&log, &log_len, &log_cap, line, &e))) goto out;
        if (logf) { fputs(line, logf); fflush(logf); }
        progress_update(&prog, epoch + 1 - start);
        int checkpoint = (r.checkpoint_every && (epoch + 1) % r.checkpoint_every == 0) || last || stopped;
        if (checkpoint && best_epoch > 0) {
            meta = (gnn_saved_meta_t){.version = GNN_SAVED_VERSION, .n_users = g.n_users, .n_items = g.n_items,
                                      .dim = r.hp.dim, .layers = r.hp.layers, .batch_size = r.hp.batch_size,
                                      .negatives = r.hp.negatives, .lr = r.hp.lr, .reg = r.hp.reg,
                                      .seed = r.hp.seed, .step = m.step, .epoch = epoch + 1,
                                      .best_epoch = best_epoch, .best_metric = best_metric,
                                      .train_seconds = secs_before + clock_now() - t_run,
                                      .valid_users = split ? valid.n_rows : 0, .n_entities = typed.n_entities};
            snprintf(meta.arch, sizeof meta.arch, "%s", r.arch->name);
            save_t sv = {&r, &m, &meta, best, log, log_len};
            if ((rc = store_write(&s, write_model, &sv, &e))) goto out;
        }
    }
    progress_done(&prog);
    if (epoch == start) {
        fprintf(stderr, "nothing to do: model '%s' has already run %u epochs (raise --epochs)\n", r.name, start);
        goto out;
    }
    /* the saved model's test metrics: reported, never used for selection */
    if (g.test.nnz) {
        gnn_metrics_t met;
        if ((rc = gnn_eval_all_ranking(best, best + (size_t)g.n_users * r.hp.dim, r.hp.dim, &g.train, &g.test,
                                       r.ks, (int)r.n_k, r.hp.threads, &met, &e)))
            goto out;
        printf("model %s (%s, epoch %u of %u, %.1fs)  test users %u", r.name, r.arch->name, best_epoch, epoch,
               secs_before + clock_now() - t_run, met.users_evaluated);
        for (int k = 0; k < met.n_k; k++)
            printf("  recall@%u %.4f  ndcg@%u %.4f", met.k[k], met.recall[k], met.k[k], met.ndcg[k]);
        printf("\n");
    }
out:
    if (logf) fclose(logf);
    free(log); free(emb); free(best); free(r.ks);
    if (have_m) gnn_model_destroy(&m);
    if (typed.rel) graph_typed_destroy(&typed);   /* owns adj */
    else graph_csr_destroy(&adj);
    graph_csr_destroy(&fit); graph_csr_destroy(&valid);
    if (have_g) graph_interactions_destroy(&g);
    if (opened) store_close(&s);
    cli_opts_destroy(&o);
    return rc ? cli_fail("train", &e) : 0;
}
