/* cmd_eval.c - `gnnrec eval`: the all-ranking protocol of SPEC.md on the
 * store's test split, for any saved model: embedding models and graph
 * filters (gf-cf, bspm) rank through the same scorer path (gnn/scorer.h).
 * Read-only; embeddings and singular vectors are read zero-copy from the
 * store's memory map. Under mpirun every rank loads the same (its copy of
 * the store) and ranks a share of the users (dist/eval.h); rank 0 prints
 * what one process prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "dist/eval.h"
#include "gnn/eval.h"
#include "gnn/rating.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "graph/load.h"
#include "tools/common.h"
#include "tools/commands.h"

static const char usage_text[] =
    "usage: gnnrec eval --store DIR [--model NAME] [--k 10,20,50] [--json] [--threads N]\n"
    "                   [--eval-users N [--seed S]]\n"
    "\n"
    "All-ranking evaluation (LightGCN protocol): for every user with a test item, all\n"
    "items are scored, the user's training items removed, the top K kept.\n"
    "Recall@K, NDCG@K (binary gains, log2 discounts), Precision@K and Hit@K, averaged\n"
    "over evaluated users. A model trained on ratings (train --loss mse) also gets the\n"
    "RMSE and MAE of its predicted ratings on the test ratings (clipped to the training\n"
    "ratings' range).\n"
    "  --model NAME   saved model (default: the store's only model)\n"
    "  --k LIST       cut-offs (default 20)\n"
    "  --json         one JSON object: users_evaluated and recall@K, ndcg@K, precision@K, hit@K\n"
    "                 (and rmse, mae, ratings_evaluated for a rating model)\n"
    "  --threads N    threads (0 = all cores)\n"
    "  --eval-users N a seeded random sample of N users with test items (0 = all);\n"
    "                 the same store, N and seed give the same sample\n"
    "  --seed S       seed of the sample (2020)\n"
    "Under mpirun -np P (a build with MPI) each rank evaluates a share of the users and\n"
    "rank 0 prints the same metrics one process prints (docs/distributed.md).\n";

static const cli_flag_t flags[] = {"json", "help", NULL};
static const char *const known[] = {"store", "model", "k", "json", "threads", "eval_users", "seed", "help", NULL};

int cmd_eval(int argc, char **argv)
{
    cli_job_t j = {0};
    graph_interactions_t g;
    int rc, json = 0, have_g = 0, have_sc = 0;
    gnn_scorer_t sc;
    const char *given;
    uint32_t *ks = NULL, threads, n_sample, *sample = NULL, n_drawn = 0;
    uint64_t seed;
    size_t n_k = 0;
    char name[256];
    dist_t d;
    cli_opts_t *o = &j.o;
    err_t *e = &j.e;
    if ((rc = cli_dist_start(&d, e))) goto out;
    if ((rc = cli_job_start(&j, argc, argv, flags, known, usage_text)) || j.help) goto out;
    if ((rc = cli_get_str(o, "model", NULL, &given, e)) ||
        (rc = cli_get_u32_list(o, "k", "20", 1, 100000, &ks, &n_k, e)) ||
        (rc = cli_get_bool(o, "json", 0, &json, e)) ||
        (rc = cli_get_u32(o, "threads", 0, 0, 1024, &threads, e)) ||
        (rc = cli_get_u32(o, "eval_users", 0, 0, UINT32_MAX, &n_sample, e)) ||
        (rc = cli_get_u64(o, "seed", 2020, 0, UINT64_MAX, &seed, e)))
        goto out;
    if (n_k > GNN_EVAL_MAX_K) { rc = cli_error(o, "k", e, "at most %d cut-offs", GNN_EVAL_MAX_K); goto out; }
    cli_set_threads((int)threads);
    /* every rank loads; a failure anywhere is agreed before the collective eval */
    gnn_saved_meta_t meta;
    rc = cli_job_model(&j, STORE_RDONLY, given, 1, name, sizeof name);
    if (!rc && !(rc = gnn_saved_meta(&j.t, name, &meta, e)) && !(rc = graph_load_interactions(&j.t, &g, e)))
        have_g = 1;
    if (!rc && !(rc = gnn_scorer_open(&j.t, name, &g, &sc, e))) have_sc = 1;
    gnn_rating_metrics_t rm = {0};
    if (!rc && meta.loss == GNN_LOSS_MSE) rc = gnn_rating_eval_saved(&j.t, name, &rm, e);
    if (!rc && g.test.nnz == 0)
        rc = err_set(e, ERR_USAGE, "%s: the store has no test interactions (build-graph --test or --split)", j.dir);
    if ((rc = dist_agree_store(&d, rc, &j.t, e))) goto out;
    gnn_metrics_t met;
    double t0 = clock_now();
    if (n_sample) rc = gnn_eval_sample_users(&g.test, n_sample, seed, &sample, &n_drawn, e);
    if ((rc = dist_agree(&d, rc, e))) goto out;
    if ((rc = dist_eval_scorer(&d, &sc, &g.train, &g.train, &g.test, n_sample ? sample : NULL, n_drawn, ks,
                               (int)n_k, (int)threads, &met, e)))
        goto out;
    double secs = clock_now() - t0;
    if (json) {
        printf("{\"model\":\"%s\",\"arch\":\"%s\",\"epoch\":%u,\"users_evaluated\":%u", name, meta.arch,
               meta.best_epoch, met.users_evaluated);
        if (n_sample) printf(",\"users_sampled\":%u,\"sample_seed\":%llu", n_drawn, (unsigned long long)seed);
        for (int k = 0; k < met.n_k; k++)
            printf(",\"recall@%u\":%.6f,\"ndcg@%u\":%.6f,\"precision@%u\":%.6f,\"hit@%u\":%.6f", met.k[k],
                   met.recall[k], met.k[k], met.ndcg[k], met.k[k], met.precision[k], met.k[k], met.hit[k]);
        if (rm.n) printf(",\"rmse\":%.6f,\"mae\":%.6f,\"ratings_evaluated\":%llu", rm.rmse, rm.mae,
                         (unsigned long long)rm.n);
        printf(",\"seconds\":%.3f}\n", secs);
    } else {
        if (sc.score && !gnn_arch_can(meta.arch, GNN_CAP_MSE))   /* graph filters: no layers or epochs (not a head) */
            printf("model %s (%s, %s %u, fitted in %.1fs): %u users evaluated in %.2fs\n", name, meta.arch,
                   strcmp(meta.arch, "itemknn") ? "svd_k" : "neighbours", meta.dim, meta.train_seconds, met.users_evaluated, secs);
        else
            printf("model %s (%s, dim %u%s, %u layers, epoch %u): %u users evaluated in %.2fs\n", name, meta.arch,
                   meta.dim, meta.loss == GNN_LOSS_MSE ? " with 2 bias columns" : "", meta.layers, meta.best_epoch,
                   met.users_evaluated, secs);
        if (n_sample)
            printf("a sample of %u users with test items (--eval-users %u, seed %llu)\n", n_drawn, n_sample,
                   (unsigned long long)seed);
        if (rm.n)
            printf("rmse %.4f  mae %.4f  on %llu test ratings (predictions clipped to [%g, %g])\n", rm.rmse, rm.mae,
                   (unsigned long long)rm.n, (double)meta.rating_min, (double)meta.rating_max);
        printf("%6s %10s %10s %10s %10s\n", "K", "recall", "ndcg", "precision", "hit");
        for (int k = 0; k < met.n_k; k++)
            printf("%6u %10.4f %10.4f %10.4f %10.4f\n", met.k[k], met.recall[k], met.ndcg[k], met.precision[k],
                   met.hit[k]);
    }
out:
    if (have_sc) gnn_scorer_destroy(&sc);
    if (have_g) graph_interactions_destroy(&g);
    free(ks);
    free(sample);
    cli_job_close(&j);
    return cli_dist_end(&d, "eval", rc, e);
}
