/* bench_train.c - seconds per training epoch on gowalla through the path
 * `gnnrec train` runs (gnn_trainer_fit: the epoch loop, its step hook,
 * evaluations and metrics log; nothing saved), the SpMM throughput against
 * the plain reference kernel measured in the same run, where the time of a
 * step goes (profile), and (optionally) Recall/NDCG@20 over epochs.
 *
 * Usage: bench_train [--data DIR | --store DIR] [--epochs N] [--eval-every E]
 *                    [--arch A] [--dim D] [--layers K] [--batch B] [--steps S] [--neg J]
 *                    [--lr X] [--lr-warmup E] [--lr-decay cosine|linear] [--lr-min F]
 *                    [--reg R] [--threads T] [--seed S] [--node-order O] [--no-profile] [--compare]
 *                    [--profile-steps N]
 * Defaults: gowalla's files, 3 timed epochs, LightGCN's hyper-parameters, no eval.
 * --store DIR trains on a gnnrec store's graph instead (graph_load_interactions:
 * the command's node numbering, ids in order of first appearance), e.g. one
 * built by `gnnrec build-graph --format adj` from the same files.
 * Each timed epoch is also given in "plain SpMM" units (bench_spmm_plain
 * timed just before and after it); then one more epoch runs stage by stage
 * (profile) on a fresh model of the same graph and settings: a profiler
 * beside the trainer, not the trainer's path; --profile-steps N stops it
 * after N steps (a large graph's breakdown without a whole epoch).
 * --compare alternates float16- and float32-table epochs of two models
 * (gnn_train_epoch directly: a kernel comparison, not the command's path).
 * Loads the LightGCN adj format itself (`user item item ...`, 0-based ids);
 * exits 77 when the data is absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>
#include <sys/resource.h>

#include "base/clock.h"
#include "base/mem.h"
#include "bench/adj_file.h"
#include "gnn/eval.h"
#include "gnn/internal.h"
#include "gnn/model.h"
#include "gnn/trainer.h"
#include "graph/csr.h"
#include "graph/load.h"
#include "store/store.h"

/* CPU seconds of this process (all threads): on a shared machine the wall
 * time of an epoch scales with the load, its CPU time much less; CPU / threads
 * is what an idle machine would take if the threads were never idle. */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec
           + ru.ru_stime.tv_usec * 1e-6;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One epoch's steps again, by stage, on the model's own workspace: where the
 * time goes and how large the receptive field is. Same arithmetic as
 * gnn_train_step (which it mirrors), so the model keeps training. */
static void profile_epoch(gnn_model_t *m, const graph_csr_t *train, const graph_csr_t *adj,
                          uint32_t epoch, uint64_t max_steps)
{
    gnn_ws_t *w = m->ws;
    err_t e = {0};
    const uint32_t K = m->hp.layers, neg = m->hp.negatives, d = m->hp.dim;
    double t0 = clock_now();
    gnn_sample_epoch(w, train, m->hp.seed, epoch, neg, m->hp.threads, &e);
    double ts = clock_now() - t0, tf = 0, tfw = 0, tb = 0, tbw = 0;
    double lev[GNN_MAX_LAYERS] = {0}, deg[GNN_MAX_LAYERS] = {0};
    double prof0[2 * GNN_MAX_LAYERS], bcols0 = w->prof_bcols;
    memcpy(prof0, w->prof, sizeof prof0);
    uint64_t steps = 0;
    /* the trainer's batch (--steps: the batch grows with the graph) */
    const uint64_t bs = gnn_batch_positives(&m->hp, train->nnz);
    for (uint64_t b = 0; b < train->nnz && (!max_steps || steps < max_steps); b += bs, steps++) {
        uint64_t cnt = train->nnz - b < bs ? train->nnz - b : bs;
        size_t o = (size_t)b * neg;
        uint32_t t = (uint32_t)(cnt * neg);
        double a = clock_now();
        gnn_prop_field(w, adj, m->n_users, w->tu + o, w->ti + o, w->tj + o, t, K ? K : 1,
                       K > 0, m->hp.threads, &e);
        double bb = clock_now();
        const int half = w->e0h != NULL;
        if (half && (!w->e0h_ok || w->e0h_step != m->step)) {
            gnn_f2h_table(w->e0h, m->emb0, (size_t)w->n * d, m->hp.threads);
            w->e0h_ok = 1;
        }
        float zs;
        const float *z = gnn_lgcn_forward(m, adj, half, &zs);
        double c = clock_now();
        gnn_bpr_rows(z, zs, m->emb0, d, m->n_users, w->tu + o, w->ti + o, w->tj + o, t, m->hp.reg, w->lists,
                     w->list_n[0], &w->bpr, w->g, w->l2, m->hp.threads);
        double dd = clock_now();
        gnn_adam_t ad;
        gnn_adam_setup(&ad, gnn_lr_at(&m->hp, epoch + (double)b / (double)train->nnz), ++m->step);
        int ex;
        frexpf((float)t, &ex);
        gnn_lgcn_backward(m, adj, &ad, half ? ldexpf(1.0f, ex) : 0.0f);
        w->e0h_step = m->step;
        gnn_prop_clear(w, d);
        double ee = clock_now();
        tf += bb - a; tfw += c - bb; tb += dd - c; tbw += ee - dd;
        for (uint32_t l = 0; l < (K ? K : 1); l++) {
            lev[l] += w->list_n[l];
            const uint32_t *li = w->lists + (size_t)l * w->n;
            for (uint32_t q = 0; q < w->list_n[l]; q++) deg[l] += adj->ptr[li[q] + 1] - adj->ptr[li[q]];
        }
    }
    double tot = ts + tf + tfw + tb + tbw;
    printf("profile (%llu steps of one epoch): total %.2f s\n", (unsigned long long)steps, tot);
    printf("  sample epoch      %7.3f s  %5.1f%%\n", ts, 100 * ts / tot);
    printf("  receptive field   %7.3f s  %5.1f%%  (of which A[:, batch] for Y_1 %.3f s)\n", tf, 100 * tf / tot,
           w->prof_bcols - bcols0);
    printf("  forward (%u prod) %7.3f s  %5.1f%%\n", K, tfw, 100 * tfw / tot);
    printf("  bpr loss + grad   %7.3f s  %5.1f%%\n", tb, 100 * tb / tot);
    printf("  backward + adam   %7.3f s  %5.1f%%\n", tbw, 100 * tbw / tot);
    for (uint32_t j = 1; j <= K; j++)
        printf("    forward Z_%u  (rows <= %u hops)  %7.3f s\n", j, K - j, w->prof[j - 1] - prof0[j - 1]);
    for (uint32_t j = 1; j <= (K ? K : 1); j++)
        printf("    backward Y_%u (rows <= %u hops)  %7.3f s%s\n", j, j, w->prof[GNN_MAX_LAYERS + j - 1]
               - prof0[GNN_MAX_LAYERS + j - 1], j == (K ? K : 1) ? " (all rows, fused Adam)" : "");
    printf("  mean field size: ");
    for (uint32_t l = 0; l < (K ? K : 1); l++)
        printf("%s<=%u hops %.0f (%.0f%%, %.0f%% of non-zeros)", l ? ", " : "", l, lev[l] / steps,
               100.0 * lev[l] / steps / w->n, 100.0 * deg[l] / steps / adj->nnz);
    printf(" of %u nodes\n", w->n);
}

/* Median of 3 plain full products (bench_spmm_plain, frozen): the
 * yardstick each epoch is also expressed in, because on a shared machine an
 * epoch in "SpMM units" stays comparable when absolute seconds do not. (It
 * was the optimized kernel until that kernel got faster, which moved the
 * yardstick.) */
static double spmm_unit(const graph_csr_t *adj, uint32_t dim, float *x, float *y)
{
    double t[3];
    for (int i = 0; i < 3; i++) {
        double a = clock_now();
        bench_spmm_plain(adj, x, y, dim);
        t[i] = clock_now() - a;
    }
    return median(t, 3);
}

static void spmm_figures(const graph_csr_t *adj, uint32_t dim)
{
    const uint32_t n = adj->n_rows;
    /* huge pages as the trainer's tables have (base/mem.h): with 4 KiB pages
     * a big graph's gathers miss the TLB, and that is not the product's cost */
    float *x = mem_alloc_hot((size_t)n * dim * 4), *y = mem_alloc_hot((size_t)n * dim * 4);
    uint16_t *xh = mem_alloc_hot((size_t)n * dim * 2);
    if (!x || !y || !xh) {
        fprintf(stderr, "bench_train: no memory for the product's tables (%u x %u)\n", n, dim);
        free(x); free(y); free(xh);
        return;
    }
    for (size_t k = 0; k < (size_t)n * dim; k++) x[k] = (float)(k % 97) * 0.01f;
    gnn_f2h_table(xh, x, (size_t)n * dim, 0);
    double bytes = (double)adj->nnz * (dim * 4 + 8) + (double)n * (dim * 4 + 8);
    double tr[5], to[5], th[5];
    for (int i = 0; i < 5; i++) {
        double a = clock_now();
        gnn_spmm_ref(&(gnn_spmm_t){.a = adj, .x32 = x, .y32 = y, .dim = dim});
        double b = clock_now();
        gnn_spmm(&(gnn_spmm_t){.a = adj, .x32 = x, .y32 = y, .dim = dim}, 0);
        double c = clock_now();
        /* the training steps' forward product: a half table, fused multiply-adds */
        gnn_spmm(&(gnn_spmm_t){.a = adj, .x16 = xh, .y32 = y, .fma = 1, .dim = dim}, 0);
        tr[i] = b - a; to[i] = c - b; th[i] = clock_now() - c;
    }
    double r = median(tr, 5), o = median(to, 5), h = median(th, 5);
    printf("SpMM A_hat x [%u x %u]: reference %.2f ms (%.1f GB/s), optimized %.2f ms (%.1f GB/s), x%.2f"
           " (streaming bandwidth ~55 GB/s)\n", n, dim, r * 1e3, bytes / r / 1e9, o * 1e3,
           bytes / o / 1e9, r / o);
    /* per stored entry: how the product's cost grows with the graph, once
     * its tables outgrow the caches (docs/scale.md) */
    printf("SpMM per non-zero (%llu): reference %.2f ns, optimized %.2f ns, half table %.2f ns (%.2f ms);"
           " tables %.0f MiB float32, %.0f MiB half\n", (unsigned long long)adj->nnz, r / adj->nnz * 1e9,
           o / adj->nnz * 1e9, h / adj->nnz * 1e9, h * 1e3, (double)n * dim * 4 / 1048576.0,
           (double)n * dim * 2 / 1048576.0);
    free(x); free(y); free(xh);
}

/* The graph: gowalla's files (their 0-based ids) or a store's (the
 * command's numbering). */
static int load_graphs(const char *dir, const char *store_dir, graph_csr_t *train, graph_csr_t *test)
{
    if (!store_dir) return bench_load_split(dir, train, test) ? 77 : 0;
    store_t s;
    store_txn_t t;
    graph_interactions_t g;
    err_t e = {0};
    if (store_open(&s, store_dir, STORE_RDONLY, &e)) { fprintf(stderr, "bench_train: %s\n", e.msg); return 77; }
    int rc = store_read_begin(&s, &t, &e) || graph_load_interactions(&t, &g, &e);
    store_read_end(&t);
    store_close(&s);
    if (rc) { fprintf(stderr, "bench_train: %s\n", e.msg); return 1; }
    *train = g.train;   /* moved out: g's other parts are freed */
    *test = g.test;
    memset(&g.train, 0, sizeof g.train);
    memset(&g.test, 0, sizeof g.test);
    graph_interactions_destroy(&g);
    return 0;
}

/* float16 vs float32 tables, epochs alternated so that both see the same
 * load: the ratio is the figure to trust on a shared machine. */
static int compare_tables(const gnn_hparams_t *hp, const graph_csr_t *train, const graph_csr_t *adj, int epochs)
{
    gnn_hparams_t h2 = *hp;
    gnn_model_t m, m2;
    err_t e = {0};
    h2.fp32_tables = !hp->fp32_tables;
    if (gnn_model_init(&m, hp, train->n_rows, train->n_cols, &e) ||
        gnn_model_init(&m2, &h2, train->n_rows, train->n_cols, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    double th[64], tf[64], ch[64], cf[64];
    int nc = epochs < 64 ? epochs : 64;
    for (int ep = 0; ep < nc; ep++) {
        gnn_model_t *mm[2] = {hp->fp32_tables ? &m2 : &m, hp->fp32_tables ? &m : &m2};
        double *tt[2] = {th, tf}, *cc[2] = {ch, cf}, loss[2];
        for (int q = 0; q < 2; q++) {
            double a = clock_now(), ca = cpu_now();
            if (gnn_train_epoch(mm[q], train, adj, (uint32_t)ep, &loss[q], &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
            tt[q][ep] = clock_now() - a;
            cc[q][ep] = cpu_now() - ca;
        }
        printf("epoch %d: float16 %.2f s (CPU %.1f s, loss %.5f), float32 %.2f s (CPU %.1f s, loss %.5f)\n",
               ep, th[ep], ch[ep], loss[0], tf[ep], cf[ep], loss[1]);
        fflush(stdout);
    }
    double mh = median(th, nc), mf = median(tf, nc), mch = median(ch, nc), mcf = median(cf, nc);
    printf("median of %d: float16 %.2f s (CPU %.1f s), float32 %.2f s (CPU %.1f s): x%.2f wall, x%.2f CPU\n",
           nc, mh, mch, mf, mcf, mf / mh, mcf / mch);
    gnn_model_destroy(&m2);
    gnn_model_destroy(&m);
    return 0;
}

/* What the trainer's epoch reports feed: per-epoch times, CPU and units. */
typedef struct timing {
    const graph_csr_t *adj;
    uint32_t dim;
    int eval_every, done;
    double *times, *units, *cpus;
    float *ux, *uy;
    double unit_before, cpu_mark, t_start, t_train;
} timing_t;

static void on_epoch(void *ctx, const gnn_epoch_report_t *r)
{
    timing_t *tm = ctx;
    /* CPU since the last report: the epoch (and its evaluation, if any) */
    tm->cpus[tm->done] = cpu_now() - tm->cpu_mark;
    tm->times[tm->done] = r->seconds;
    tm->t_train += r->seconds;
    if (!tm->eval_every) {
        double after = spmm_unit(tm->adj, tm->dim, tm->ux, tm->uy), u = 0.5 * (tm->unit_before + after);
        tm->units[tm->done] = r->seconds / u;
        printf("epoch %u: %.3f s (CPU %.1f s), loss %.5f  (= %.0f plain SpMMs of %.2f ms measured around it)\n",
               r->epoch - 1, r->seconds, tm->cpus[tm->done], r->loss, tm->units[tm->done], u * 1e3);
        tm->unit_before = after;
    } else if (r->evaluated) {
        printf("epoch %4u  loss %.5f  recall@20 %.4f  ndcg@20 %.4f  train %.1f s  wall %.1f s  (eval %.1f s)\n",
               r->epoch, r->loss, r->metrics.recall[0], r->metrics.ndcg[0], tm->t_train, clock_now() - tm->t_start,
               r->eval_seconds);
    }
    fflush(stdout);
    tm->done++;
    tm->cpu_mark = cpu_now();
}

int main(int argc, char **argv)
{
    const char *dir = "/work/shared/data/gowalla", *store_dir = NULL;
    gnn_trainer_opts_t o;
    gnn_trainer_defaults(&o);
    gnn_hparams_t *hp = &o.hp;
    hp->lr_min = 0.0f;   /* as before the trainer: a decay ends at 0 unless --lr-min */
    int epochs = 3, eval_every = 0, profile = 1, compare = 0;
    uint64_t profile_steps = 0;   /* 0: the whole epoch */
    for (int a = 1; a < argc; a++) {
        const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (!strcmp(k, "--no-profile")) { profile = 0; continue; }
        if (!strcmp(k, "--compare")) { compare = 1; continue; }
        if (!v) { fprintf(stderr, "bench_train: %s needs a value\n", k); return 2; }
        a++;
        if (!strcmp(k, "--data")) dir = v;
        else if (!strcmp(k, "--store")) store_dir = v;
        else if (!strcmp(k, "--epochs")) epochs = atoi(v);
        else if (!strcmp(k, "--profile-steps")) profile_steps = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--eval-every")) eval_every = atoi(v);
        else if (!strcmp(k, "--arch")) {
            const gnn_arch_t *ar = gnn_arch_find(v);
            if (!ar || !(ar->caps & GNN_CAP_BPR)) { fprintf(stderr, "bench_train: --arch %s is not a trained architecture\n", v); return 2; }
            hp->arch = ar->id;
        }
        else if (!strcmp(k, "--dim")) hp->dim = (uint32_t)atoi(v);
        else if (!strcmp(k, "--layers")) hp->layers = (uint32_t)atoi(v);
        else if (!strcmp(k, "--batch")) hp->batch_size = (uint32_t)atoi(v);
        else if (!strcmp(k, "--steps")) hp->steps_per_epoch = (uint32_t)atoi(v);
        else if (!strcmp(k, "--neg")) hp->negatives = (uint32_t)atoi(v);
        else if (!strcmp(k, "--lr")) hp->lr = (float)atof(v);
        else if (!strcmp(k, "--reg")) hp->reg = (float)atof(v);
        else if (!strcmp(k, "--threads")) hp->threads = atoi(v);
        else if (!strcmp(k, "--seed")) hp->seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--fp32")) hp->fp32_tables = atoi(v);
        else if (!strcmp(k, "--lr-warmup")) hp->lr_warmup = (float)atof(v);
        else if (!strcmp(k, "--lr-decay")) hp->lr_decay = !strcmp(v, "cosine") ? GNN_LR_COSINE
                                                        : !strcmp(v, "linear") ? GNN_LR_LINEAR : GNN_LR_CONSTANT;
        else if (!strcmp(k, "--lr-min")) hp->lr_min = (float)atof(v);
        else if (!strcmp(k, "--node-order")) {
            err_t oe;
            if (graph_order_find(v, &o.order, &oe)) { fprintf(stderr, "bench_train: %s\n", oe.msg); return 2; }
        }
        else { fprintf(stderr, "bench_train: unknown option %s\n", k); return 2; }
    }
    if (hp->arch == GNN_ARCH_MF) hp->layers = 0;
    hp->lr_epochs = (uint32_t)epochs;
    graph_csr_t train, test, adj, fit = {0};
    int lrc = load_graphs(dir, store_dir, &train, &test);
    if (lrc) {
        if (lrc == 77) fprintf(stderr, "bench_train: cannot load %s\n", store_dir ? store_dir : dir);
        return lrc;
    }
    const uint32_t nu = train.n_rows, ni = train.n_cols;
    err_t e = {0};
    /* the node order the command's run uses (gnn_trainer_order): fit and adj
     * in training ids, test and train in the store's */
    uint32_t *perm = NULL;
    graph_order_id_t how;
    double to = clock_now();
    if (gnn_trainer_order(&o, &train, &fit, &perm, &how, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    const graph_csr_t *fit_m = perm ? &fit : &train;
    printf("node order: %s (%.2f s)\n", graph_order_info(how)->name, clock_now() - to);
    if (graph_norm_bipartite(fit_m, &adj, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    {   /* threads as `gnnrec train` sets them (cli_set_threads): OpenMP and OpenBLAS */
        int nt = hp->threads > 0 ? hp->threads : omp_get_num_procs();
        omp_set_num_threads(nt);
        openblas_set_num_threads(nt);
    }
    printf("%s: %u users, %u items, %llu train, %llu test; %s dim %u layers %u batch %u neg %u "
           "lr %g reg %g, %d threads\n", store_dir ? store_dir : dir, nu, ni, (unsigned long long)train.nnz,
           (unsigned long long)test.nnz, gnn_arch_get(hp->arch)->name, hp->dim, hp->layers, hp->batch_size,
           hp->negatives, (double)hp->lr, (double)hp->reg, omp_get_max_threads());
    spmm_figures(&adj, hp->dim);
    int rc = 0;
    if (compare) {
        rc = compare_tables(hp, fit_m, &adj, epochs);
        goto out;
    }
    /* the trainer's run, as `gnnrec train --eval-every E` runs it (nothing saved) */
    static const uint32_t ks[1] = {20};
    o.epochs = (uint32_t)epochs;
    o.eval_every = (uint32_t)eval_every;
    o.checkpoint_every = 0;
    o.ks = ks;
    o.n_k = 1;
    o.progress = -1;
    /* no epochs and no profile: the product's figures were all that was asked */
    if (epochs == 0 && !profile) goto out;
    size_t ne = epochs > 0 ? (size_t)epochs : 1, nx = (size_t)(nu + ni) * hp->dim;
    timing_t tm = {.adj = &adj, .dim = hp->dim, .eval_every = eval_every, .times = malloc(ne * sizeof(double)),
                   .units = malloc(ne * sizeof(double)), .cpus = malloc(ne * sizeof(double)),
                   .ux = malloc(nx * sizeof(float)), .uy = malloc(nx * sizeof(float))};
    /* written, not calloc'ed: untouched pages all map the one zero page,
     * which made the yardstick's gathers hit cache */
    for (size_t k = 0; k < nx; k++) tm.ux[k] = (float)(k % 97) * 0.01f;
    if (!eval_every) tm.unit_before = spmm_unit(&adj, hp->dim, tm.ux, tm.uy);
    o.on_epoch = on_epoch;
    o.ctx = &tm;
    gnn_trainer_data_t d = {.n_users = nu, .n_items = ni, .fit = fit_m, .adj = &adj, .watch = &test,
                            .watch_exclude = &train, .test = NULL, .train = &train, .perm = perm};
    gnn_trainer_result_t res;
    tm.t_start = clock_now();
    tm.cpu_mark = cpu_now();
    if (epochs > 0 && gnn_trainer_fit(NULL, "bench", &d, &o, &res, &e)) { fprintf(stderr, "%s\n", e.msg); rc = 1; }
    if (!rc && tm.done) {
        double mt = median(tm.times, tm.done), mc = median(tm.cpus, tm.done);
        printf("seconds per epoch: median %.3f over %d epochs; CPU %.1f s (/ %d threads = %.1f s)\n", mt,
               tm.done, mc, omp_get_max_threads(), mc / omp_get_max_threads());
        if (!eval_every)
            printf("epoch in plain-SpMM units: median %.0f (an epoch costs that many plain float32 "
                   "products timed around it)\n", median(tm.units, tm.done));
    }
    if (!rc && profile && hp->arch != GNN_ARCH_GCN) {
        gnn_model_t m;
        if (gnn_model_init(&m, hp, nu, ni, &e)) { fprintf(stderr, "%s\n", e.msg); rc = 1; }
        else {
            profile_epoch(&m, fit_m, &adj, (uint32_t)epochs, profile_steps);
            gnn_model_destroy(&m);
        }
    }
    free(tm.times); free(tm.units); free(tm.cpus); free(tm.ux); free(tm.uy);
out:
    graph_csr_destroy(&train); graph_csr_destroy(&test); graph_csr_destroy(&adj); graph_csr_destroy(&fit);
    free(perm);
    return rc;
}
