/* cmd_train.c - `gnnrec train`: read the settings, run the trainer
 * (gnn/trainer.h: the epoch loop, evaluations, early stopping, checkpoints,
 * --resume, the metrics log, the fits of pop and the filters) and print
 * what it reports: one stderr line per epoch, the saved model's test
 * metrics on stdout; under mpirun (P > 1) dist/train.h's trainer instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/train.h"
#include "gnn/rating.h"
#include "gnn/trainer.h"
#include "io/cli.h"
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
    "                       --bspm-solver rk4|euler (rk4); chebycf: --cheby-order K (8), --cheby-phi X\n"
    "                       (1.5), --cheby-beta X (0.4), --alpha (0.2), --svd-k = eta (512); itemknn =\n"
    "                       item cosine, top --knn-k N (100) neighbours, --knn-shrink X (10); ease =\n"
    "                       EASE^R, --ease-lambda X (500; refused when I x I floats pass half the memory)\n"
    "                       kglightgcn = lightgcn with a learned weight per knowledge relation;\n"
    "                       svdpp = SVD++ on ratings (--loss mse; biased MF plus |N(u)|^-1/2 sum y_j)\n"
    "  --loss L             bpr (default): implicit feedback; mse: squared error of the ratings\n"
    "                       (mf: biased MF, mean + user bias + item bias + dot; svdpp; lightgcn; the\n"
    "                       store needs ratings: build-graph --columns user,item,rating)\n"
    "  --head H             dot (default) or mlp: the user's and item's embeddings through ReLU\n"
    "                       layers of --mlp-layers widths (64,32) to the score (mf, lightgcn; bpr, mse)\n"
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
    "  --cl-weight X        XSimGCL's contrastive term (lightgcn; 0 = off, the default): --cl-eps X\n"
    "                       (0.2), --cl-temp X (0.15), --cl-layer L (1), --cl-batch N (chunk; 0 = all)\n"
    "  --negatives N        negatives per positive (1)\n"
    "  --seed N             seed of initialisation, sampling and the validation split (2020)\n"
    "  --threads N          threads (0 = all cores)\n"
    "  --node-order O       auto (default), none, degree, community: the node numbering the steps\n"
    "                       run in (auto: community once the tables outgrow the cache; the saved\n"
    "                       model is in the store's ids either way; docs/scale.md)\n"
    "  --eval-every N       evaluate every N epochs (10; 0 = only at the end)\n"
    "  --k LIST             cut-offs for the metrics (20; the first one is watched)\n"
    "  --valid-fraction F   hold out F of each user's training items for validation (0)\n"
    "  --eval-users N       evaluate on a seeded sample of N users (the same at every evaluation\n"
    "                       and in `gnnrec eval --eval-users N`; 0 = all users, the default)\n"
    "  --patience N         stop after N evaluations without validation improvement (0 = never)\n"
    "  --time-limit S       make the epoch that ends past S seconds the last (evaluated, saved; 0 = none)\n"
    "  --checkpoint-every N save a resumable checkpoint every N epochs (= eval-every)\n"
    "  --metrics-log FILE   also write the metrics log (JSON lines) to FILE\n"
    "  --resume             continue the saved model's last checkpoint up to --epochs\n"
    "  --init-from MODEL    start from a saved model's rows (same arch and dim; nodes appended since\n"
    "                       start at their neighbours' mean): a warm start, new Adam state\n"
    "  --progress           show an in-place progress line even when stderr is not a terminal\n"
    "Writes one line per epoch to stderr (loss, seconds, metrics when evaluated) and,\n"
    "at the end, the saved model's test metrics to stdout.\n";

static const cli_flag_t flags[] = {"resume", "help", "progress", NULL};
static const char *const known[] = {
    "store", "config", "model", "arch", "loss", "dim", "layers", "epochs", "batch_size", "steps_per_epoch", "lr", "reg",
    "lr_warmup", "lr_decay", "lr_min", "lr_decay_epochs",
    "negatives", "seed", "threads", "eval_every", "k", "valid_fraction", "eval_users", "patience", "time_limit",
    "checkpoint_every", "metrics_log", "resume", "init_from", "help", "progress", "head", "mlp_layers",
    "edges", "weight_social", "weight_knowledge", "edge_norm", "node_order",
    "alpha", "svd_k", "svd_oversample", "svd_iters", "bspm_beta", "bspm_t_s", "bspm_k_s", "bspm_solver",
    "cheby_order", "cheby_phi", "cheby_beta", "knn_k", "knn_shrink", "ease_lambda",
    "cl_weight", "cl_eps", "cl_temp", "cl_layer", "cl_batch", NULL};

typedef struct run {
    gnn_trainer_opts_t t;
    const gnn_arch_t *arch;     /* the row of gnn/arch.h; t.hp.arch is its id */
    const char *name;
    uint32_t *ks;
} run_t;

/* ---- joint graph (issue 5, docs/hetero.md): edge types and their weights ---- */

static int read_edges(cli_opts_t *o, run_t *r, err_t *e)
{
    char **items;
    size_t n;
    int rc = cli_get_list(o, "edges", "interaction", &items, &n, e);
    if (rc) return rc;
    graph_typed_opts_t *g = &r->t.edges;
    memset(g, 0, sizeof *g);
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

/* ---- gf-cf / bspm (issue 8, docs/gfcf.md): training-free graph filters ---- */

static int read_gfcf_settings(cli_opts_t *o, run_t *r, err_t *e)
{
    static const char *const solvers[] = {"euler", "rk4", NULL};
    gnn_gfcf_params_t *p = &r->t.gf;
    int rc, solver, variant = gnn_gfcf_variant_of(r->arch->name);
    gnn_gfcf_defaults_variant(p, variant < 0 ? GNN_GFCF_PLAIN : (uint32_t)variant);
    if ((rc = cli_get_float(o, "alpha", p->alpha, 0.0, 1e6, &p->alpha, e)) ||
        (rc = cli_get_u32(o, "svd_k", p->svd_k, 0, 4096, &p->svd_k, e)) ||
        (rc = cli_get_u32(o, "svd_oversample", p->svd_oversample, 0, 4096, &p->svd_oversample, e)) ||
        (rc = cli_get_u32(o, "svd_iters", p->svd_iters, 0, 100, &p->svd_iters, e)) ||
        (rc = cli_get_float(o, "bspm_beta", p->beta, 0.0, 1e6, &p->beta, e)) ||
        (rc = cli_get_float(o, "bspm_t_s", p->t_s, 0.0, 1e3, &p->t_s, e)) ||
        (rc = cli_get_u32(o, "bspm_k_s", p->k_s, 0, 100, &p->k_s, e)) ||
        (rc = cli_get_choice(o, "bspm_solver", solvers, (int)p->rk4, &solver, e)) ||
        (rc = cli_get_u32(o, "cheby_order", p->cheby_order, 1, GNN_CHEBY_MAX_ORDER, &p->cheby_order, e)) ||
        (rc = cli_get_float(o, "cheby_phi", p->cheby_phi, 0.0, 100.0, &p->cheby_phi, e)) ||
        (rc = cli_get_float(o, "cheby_beta", p->cheby_beta, -2.0, 2.0, &p->cheby_beta, e)) ||
        (rc = cli_get_u32(o, "knn_k", p->svd_k, 1, 100000, &p->svd_k, e)) ||
        (rc = cli_get_float(o, "knn_shrink", p->knn_shrink, 0.0, 1e9, &p->knn_shrink, e)) ||
        (rc = cli_get_float(o, "ease_lambda", p->ease_lambda, 0.0, 1e12, &p->ease_lambda, e)))
        return rc;
    p->rk4 = (uint32_t)solver;
    p->seed = r->t.hp.seed;
    return ERR_OK;
}

static int read_settings(cli_opts_t *o, run_t *r, err_t *e)
{
    int arch, rc, progress;
    const char *mlp;
    uint64_t seed;
    uint32_t threads;
    gnn_trainer_opts_t *t = &r->t;
    gnn_hparams_t *h = &t->hp;
    gnn_trainer_defaults(t);
    if ((rc = cli_get_choice(o, "arch", gnn_arch_names(), GNN_ARCH_LIGHTGCN, &arch, e)) ||
        (rc = cli_get_choice(o, "loss", gnn_loss_names(), GNN_LOSS_BPR, &h->loss, e)) ||
        (rc = cli_get_choice(o, "head", gnn_head_names(), GNN_HEAD_DOT, &h->head, e)) ||
        (rc = cli_get_str(o, "mlp_layers", "64,32", &mlp, e)) || (rc = gnn_head_parse(mlp, h->mlp, &h->n_mlp, e)) ||
        (rc = cli_get_u32(o, "dim", 64, 1, 1024, &h->dim, e)) ||
        (rc = cli_get_u32(o, "layers", gnn_arch_get((gnn_arch_id_t)arch)->default_layers, 0, 8, &h->layers, e)) ||
        (rc = cli_get_u32(o, "epochs", 100, 0, 1000000, &t->epochs, e)) ||
        (rc = cli_get_u32(o, "batch_size", 2048, 1, 1u << 24, &h->batch_size, e)) ||
        (rc = cli_get_u32(o, "steps_per_epoch", 0, 0, 1u << 24, &h->steps_per_epoch, e)) ||
        (rc = cli_get_float(o, "lr", 0.001f, 1e-9, 10.0, &h->lr, e)) ||
        (rc = cli_get_float(o, "lr_warmup", 0.0f, 0.0, 1e6, &h->lr_warmup, e)) ||
        (rc = cli_get_choice(o, "lr_decay", gnn_trainer_decay_names(), GNN_LR_CONSTANT, &h->lr_decay, e)) ||
        (rc = cli_get_float(o, "lr_min", 0.01f, 0.0, 1.0, &h->lr_min, e)) ||
        (rc = cli_get_float(o, "reg", 1e-4f, 0.0, 1e3, &h->reg, e)) ||
        (rc = cli_get_float(o, "cl_weight", 0.0f, 0.0, 1e6, &h->cl_weight, e)) ||
        (rc = cli_get_float(o, "cl_eps", 0.2f, 0.0, 1e3, &h->cl_eps, e)) ||
        (rc = cli_get_float(o, "cl_temp", 0.15f, 1e-6, 1e3, &h->cl_temp, e)) ||
        (rc = cli_get_u32(o, "cl_layer", 1, 1, 8, &h->cl_layer, e)) ||
        (rc = cli_get_u32(o, "cl_batch", 0, 0, 1u << 24, &h->cl_batch, e)) ||
        (rc = cli_get_u32(o, "negatives", 1, 1, 64, &h->negatives, e)) ||
        (rc = cli_get_u64(o, "seed", 2020, 0, UINT64_MAX, &seed, e)) ||
        (rc = cli_get_u32(o, "threads", 0, 0, 1024, &threads, e)) ||
        (rc = cli_get_u32(o, "eval_every", 10, 0, 1000000, &t->eval_every, e)) ||
        (rc = cli_get_u32_list(o, "k", "20", 1, 100000, &r->ks, &t->n_k, e)) ||
        (rc = cli_get_float(o, "valid_fraction", 0.0f, 0.0, 0.9, &t->valid_fraction, e)) ||
        (rc = cli_get_u32(o, "eval_users", 0, 0, UINT32_MAX, &t->eval_users, e)) ||
        (rc = cli_get_u32(o, "patience", 0, 0, 1000000, &t->patience, e)) ||
        (rc = cli_get_float(o, "time_limit", 0.0f, 0.0, 1e9, &t->time_limit, e)) ||
        (rc = cli_get_output_path(o, "metrics_log", NULL, &t->metrics_log, e)) ||
        (rc = cli_get_bool(o, "resume", 0, &t->resume, e)) || (rc = cli_get_str(o, "init_from", NULL, &t->init_from, e)) ||
        (rc = cli_get_bool(o, "progress", 0, &progress, e)) ||
        (rc = cli_get_u32(o, "checkpoint_every", t->eval_every, 0, 1000000, &t->checkpoint_every, e)))
        return rc;
    t->ks = r->ks;
    t->progress = progress ? 1 : 0;
    r->arch = gnn_arch_get((gnn_arch_id_t)arch);
    h->arch = r->arch->id;
    if (r->arch->kind == GNN_KIND_EMBED && !(r->arch->caps & GNN_CAP_PROPAGATES))
        h->layers = 0;   /* mf (lightgcn without propagation), svdpp: whatever a config says */
    h->seed = seed;
    h->threads = (int)threads;
    if ((rc = cli_get_u32(o, "lr_decay_epochs", t->epochs, 0, 1000000, &h->lr_epochs, e))) return rc;
    if (t->n_k > GNN_EVAL_MAX_K) return cli_error(o, "k", e, "at most %d cut-offs", GNN_EVAL_MAX_K);
    if (t->patience && t->valid_fraction <= 0.0f)
        return cli_error(o, "patience", e,
                         "early stopping needs a validation split (--valid-fraction F); it never watches the test set");
    if ((rc = cli_get_str(o, "model", r->arch->name, &r->name, e))) return rc;
    int order;
    if ((rc = cli_get_choice(o, "node_order", graph_order_names(), GRAPH_ORDER_AUTO, &order, e))) return rc;
    t->order = (graph_order_id_t)order;
    if ((rc = read_gfcf_settings(o, r, e))) return rc;
    return read_edges(o, r, e);
}

/* ---- what the trainer reports, formatted as the lines users and tests read ---- */

static void on_note(void *ctx, const gnn_trainer_note_t *n)
{
    const run_t *r = ctx;
    char line[1024];
    gnn_trainer_note_text(&r->t, r->name, n, line, sizeof line);
    fputs(line, stderr);
}

static void on_epoch(void *ctx, const gnn_epoch_report_t *p)
{
    const run_t *r = ctx;
    char line[1024];
    gnn_trainer_epoch_text(&r->t, p, line, sizeof line);
    fputs(line, stderr);
}

/* The saved model's test metrics: the one stdout line. */
static int print_result(const run_t *r, const gnn_trainer_result_t *res, err_t *e)
{
    char line[1024];
    if (res->nothing_to_do)
        fprintf(stderr, "nothing to do: model '%s' has already run %u epochs (raise --epochs)\n", r->name,
                res->start_epoch);
    gnn_trainer_result_text(&r->t, r->name, res, line, sizeof line);
    fputs(line, stdout);
    if (fflush(stdout) == EOF || ferror(stdout)) return err_set(e, ERR_IO, "stdout: write failed");
    return ERR_OK;
}

int cmd_train(int argc, char **argv)
{
    cli_job_t j = {0};
    run_t r;
    gnn_trainer_result_t res;
    int rc;
    dist_t d;
    memset(&r, 0, sizeof r);
    if ((rc = cli_dist_start(&d, &j.e))) goto out;
    if ((rc = cli_job_start(&j, argc, argv, flags, known, usage_text)) || j.help) goto out;
    if ((rc = read_settings(&j.o, &r, &j.e)) || (rc = cli_check_unused(&j.o, &j.e))) goto out;
    cli_set_threads(r.t.hp.threads);
    r.t.on_epoch = on_epoch;
    r.t.on_note = on_note;
    r.t.ctx = &r;
    if (d.size > 1) {   /* every rank reads its copy of the store; rank 0 alone writes (dist/train.h) */
        dist_train_stats_t st;
        char js[16384];
        if (!(rc = dist_train_supported(&d, &r.t, &j.e))) rc = cli_job_open(&j, d.rank ? STORE_RDONLY : 0);
        if ((rc = dist_agree(&d, rc, &j.e)) || (rc = dist_train_run(&d, &j.s, r.name, &r.t, &res, &st, &j.e))) goto out;
        dist_train_stats_json(&st, js, sizeof js);
        if (d.rank == 0 && fprintf(stderr, "dist %s\n", js) >= 0) rc = print_result(&r, &res, &j.e);
        goto out;
    }
    if ((rc = cli_job_open(&j, 0)) || (rc = gnn_trainer_run(&j.s, r.name, &r.t, &res, &j.e))) goto out;
    rc = print_result(&r, &res, &j.e);
out:
    free(r.ks);
    cli_job_close(&j);
    return cli_dist_end(&d, "train", rc, &j.e);
}
