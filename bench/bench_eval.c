/* bench_eval.c - how fast the all-ranking evaluation and top-K are, against
 * the SGEMM floor and a plain per-user loop, measured in the same run.
 *
 *   bench_eval [--data DIR] [--runs N] [--k K] [--threads T] [--sweep]
 *              [--ref-users N]
 *
 * DIR holds LightGCN-format train.txt/test.txt (`user item item ...`,
 * 0-based; default /work/shared/data/gowalla): they give the exclusion and
 * truth matrices. Without them a random pair of matrices of gowalla's shape
 * (29,858 x 40,981, ~27 train and ~7 test items per user) stands in.
 * Embeddings are random N(0,1) x 0.1, dim 64: timing does not need a
 * trained model. Every figure is the median of --runs runs after one warm-up.
 * The plain baseline (gnn_topk_ref: one dot-product loop per user and item,
 * then a full sort) is timed on --ref-users users and extrapolated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/rng.h"
#include "bench/adj_file.h"
#include "gnn/eval.h"

#define DIM 64

static int load_or_fake(const char *dir, graph_csr_t *train, graph_csr_t *test, rng_t *r)
{
    if (bench_load_split(dir, train, test) == 0) {
        printf("data: %s (%u users, %u items, %llu train, %llu test)\n", dir, train->n_rows, train->n_cols,
               (unsigned long long)train->nnz, (unsigned long long)test->nnz);
        return 0;
    }
    /* gowalla's shape, 27 training and 7 test items per user (duplicates merge) */
    const uint32_t nu = 29858, ni = 40981, per_tr = 27, per_te = 7;
    uint32_t *u = malloc((size_t)nu * per_tr * sizeof *u), *it = malloc((size_t)nu * per_tr * sizeof *it);
    if (!u || !it) { free(u); free(it); return -1; }
    err_t e = {0};
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        const uint32_t per = pass ? per_te : per_tr;
        for (uint32_t q = 0; q < nu * per; q++) { u[q] = q / per; it[q] = rng_below(r, ni); }
        rc = graph_csr_from_pairs(pass ? test : train, nu, ni, u, it, (uint64_t)nu * per, &e);
    }
    if (rc) fprintf(stderr, "bench_eval: %s\n", e.msg);
    else printf("data: %s not readable; random matrices of gowalla's shape (%u x %u)\n", dir, nu, ni);
    free(u); free(it);
    return rc;
}

/* CPU seconds of the whole process: on a shared machine a steadier figure
 * than wall time (2 threads busy => about 2x the wall time when idle). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

typedef struct ctx {
    const float *ue, *ie;
    const graph_csr_t *train, *test;
    uint32_t k;
    int threads, runs;
    uint32_t *out_i;
    float *out_s;
    double cpu;          /* median CPU seconds of the last timing */
} ctx_t;

/* Median wall seconds of `runs` calls of run after one warm-up call (the
 * median CPU seconds into c->cpu); a failure ends the benchmark. */
static double timed(ctx_t *c, int (*run)(ctx_t *c, const void *arg, err_t *e), const void *arg)
{
    double t[64], cp[64];
    err_t e = {0};
    for (int r = -1; r < c->runs; r++) {
        double t0 = clock_now(), c0 = cpu_now();
        if (run(c, arg, &e)) {
            fprintf(stderr, "bench_eval: %s\n", e.msg);
            exit(1);
        }
        if (r >= 0) {
            t[r] = clock_now() - t0;
            cp[r] = cpu_now() - c0;
        }
    }
    c->cpu = median(cp, c->runs);
    return median(t, c->runs);
}

static int run_topk(ctx_t *c, const void *tu, err_t *e)
{
    return gnn_topk_tuned(c->ue, c->train->n_rows, c->ie, c->train->n_cols, DIM, c->train, NULL, c->k, c->threads,
                          tu, c->out_i, c->out_s, e);
}

static int run_eval(ctx_t *c, const void *m, err_t *e)
{
    return gnn_eval_all_ranking(c->ue, c->ie, DIM, c->train, c->test, &c->k, 1, c->threads, (gnn_metrics_t *)m, e);
}

/* Median seconds of gnn_topk_tuned over all users (the `infer` workload). */
static double time_topk(ctx_t *c, const gnn_topk_tuning_t *tu) { return timed(c, run_topk, tu); }

/* Median seconds of the all-ranking evaluation (the `eval` workload). */
static double time_eval(ctx_t *c, gnn_metrics_t *m) { return timed(c, run_eval, m); }

static void sweep(ctx_t *c)
{
    const uint32_t bus[] = {64, 128, 256, 512, 1024};
    const uint32_t bis[] = {256, 512, 1024, 4096};
    printf("\nsweep, top-%u all users: median wall s / CPU s (score-only wall / CPU)\n%8s", c->k,
           "bu\\bi");
    for (size_t b = 0; b < sizeof bis / sizeof *bis; b++) printf(" %25u", bis[b]);
    printf("\n");
    for (size_t a = 0; a < sizeof bus / sizeof *bus; a++) {
        printf("%8u", bus[a]);
        for (size_t b = 0; b < sizeof bis / sizeof *bis; b++) {
            gnn_topk_tuning_t tu = {bus[a], bis[b], 0, 0}, so = {bus[a], bis[b], 0, 1};
            double tw = time_topk(c, &tu), tc = c->cpu;
            double sw = time_topk(c, &so), sc = c->cpu;
            printf("  %5.2f/%5.2f (%5.2f/%5.2f)", tw, tc, sw, sc);
            fflush(stdout);
        }
        printf("\n");
    }
    printf("blas-parallel mode (OpenBLAS threads the SGEMM, OpenMP the selection):\n");
    const uint32_t pb[][2] = {{256, 1024}, {512, 2048}, {1024, 4096}, {2048, 4096}};
    for (size_t a = 0; a < sizeof pb / sizeof *pb; a++) {
        gnn_topk_tuning_t tu = {pb[a][0], pb[a][1], 1, 0}, so = {pb[a][0], pb[a][1], 1, 1};
        double tw = time_topk(c, &tu), tc = c->cpu, sw = time_topk(c, &so);
        printf("  %4u x %4u: %.3f s wall, %.3f s CPU (score-only %.3f s wall, %.3f s CPU)\n",
               pb[a][0], pb[a][1], tw, tc, sw, c->cpu);
    }
}

int main(int argc, char **argv)
{
    const char *dir = "/work/shared/data/gowalla";
    int runs = 5, do_sweep = 0, threads = 0;
    uint32_t k = 20, ref_users = 300;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--data") && a + 1 < argc) dir = argv[++a];
        else if (!strcmp(argv[a], "--runs") && a + 1 < argc) runs = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--k") && a + 1 < argc) k = (uint32_t)atoi(argv[++a]);
        else if (!strcmp(argv[a], "--threads") && a + 1 < argc) threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--ref-users") && a + 1 < argc)
            ref_users = (uint32_t)atoi(argv[++a]);
        else if (!strcmp(argv[a], "--sweep")) do_sweep = 1;
        else {
            fprintf(stderr, "usage: bench_eval [--data DIR] [--runs N] [--k K] [--threads T] "
                            "[--sweep] [--ref-users N]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 64 || k < 1) { fprintf(stderr, "bench_eval: bad --runs/--k\n"); return 2; }

    rng_t r;
    rng_seed(&r, 7);
    graph_csr_t train, test;
    if (load_or_fake(dir, &train, &test, &r)) return 1;
    uint32_t nu = train.n_rows, ni = train.n_cols;
    float *ue = malloc((size_t)nu * DIM * sizeof *ue), *ie = malloc((size_t)ni * DIM * sizeof *ie);
    uint32_t *out_i = malloc((size_t)nu * k * sizeof *out_i);
    float *out_s = malloc((size_t)nu * k * sizeof *out_s);
    if (!ue || !ie || !out_i || !out_s) { fprintf(stderr, "bench_eval: out of memory\n"); return 1; }
    for (size_t i = 0; i < (size_t)nu * DIM; i++) ue[i] = 0.1f * rng_normal(&r);
    for (size_t i = 0; i < (size_t)ni * DIM; i++) ie[i] = 0.1f * rng_normal(&r);
    double gflop = 2.0 * nu * (double)ni * DIM * 1e-9;
    printf("shape: %u users x %u items x dim %d = %.1f GFLOP per full scoring; K=%u, "
           "threads %d (0 = all), median of %d runs\n", nu, ni, DIM, gflop, k, threads, runs);

    ctx_t c = {ue, ie, &train, &test, k, threads, runs, out_i, out_s, 0.0};
    gnn_metrics_t m;
    gnn_topk_tuning_t def = {0}, score = {0, 0, 0, 1}, shared = {1024, 4096, 1, 0};
    double t_eval = time_eval(&c, &m), c_eval = c.cpu;
    double t_topk = time_topk(&c, &def), c_topk = c.cpu;
    double t_sgemm = time_topk(&c, &score), c_sgemm = c.cpu;
    double t_shared = time_topk(&c, &shared), c_shared = c.cpu;

    /* Plain baseline on a sample of users, extrapolated to all of them. */
    uint32_t ns = ref_users < nu ? ref_users : nu;
    err_t e = {0};
    double t0 = clock_now();
    if (gnn_topk_ref(ue, ns, ie, ni, DIM, &train, NULL, k, out_i, out_s, &e)) {
        fprintf(stderr, "bench_eval: %s\n", e.msg);
        return 1;
    }
    double t_ref = (clock_now() - t0) * nu / ns;

    printf("                          wall s    CPU s\n");
    printf("eval all-ranking K=%-4u %8.3f %8.3f  (%u users evaluated, recall %.4f)\n", k,
           t_eval, c_eval, m.users_evaluated, m.recall[0]);
    printf("top-%-4u all users      %8.3f %8.3f\n", k, t_topk, c_topk);
    printf("SGEMM only, same blocks %8.3f %8.3f  (%.0f GFLOP/s wall)\n", t_sgemm, c_sgemm,
           gflop / t_sgemm);
    printf("blas-parallel top-%-4u  %8.3f %8.3f  (1024 x 4096 tiles)\n", k, t_shared, c_shared);
    printf("plain loop, 1 thread    %8.1f %8.1f  (extrapolated from %u users)\n", t_ref, t_ref,
           ns);
    printf("ratios (wall): eval/SGEMM %.2f, top-k/SGEMM %.2f, plain/eval %.0fx, "
           "blas-parallel/default %.2f\n",
           t_eval / t_sgemm, t_topk / t_sgemm, t_ref / t_eval, t_shared / t_topk);
    printf("ratios (CPU):  eval/SGEMM %.2f, top-k/SGEMM %.2f, plain/eval %.0fx\n",
           c_eval / c_sgemm, c_topk / c_sgemm, t_ref / c_eval);
    if (do_sweep) sweep(&c);
    free(ue); free(ie); free(out_i); free(out_s);
    graph_csr_destroy(&train);
    graph_csr_destroy(&test);
    return 0;
}
