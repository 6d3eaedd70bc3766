/* bench_spmm.c - reference vs optimized SpMM on gowalla's normalized
 * adjacency (A_hat x 64-dim table), in GB/s and as a ratio measured in the
 * same run. Also times the variants the trainer uses: a row-subset product
 * and the masked (sparse operand) product, and a degree-sorted node order
 * to show what locality buys.
 *
 * Usage: bench_spmm [DATA_DIR [THREADS]]   (default /work/shared/data/gowalla)
 * Assumes the LightGCN adj format (`user item item ...`, 0-based ids).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "base/clock.h"
#include "base/rng.h"
#include "bench/adj_file.h"
#include "gnn/spmm.h"
#include "graph/csr.h"

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}


#define REPS 9

enum { K_REF, K_PLAIN, K_FAST, K_FAST_SUB, K_FAST_MASK };

static double time_kernel(int which, const graph_csr_t *a, const float *x, float *y, uint32_t dim,
                          const uint32_t *rows, uint32_t n_rows, const uint8_t *mask)
{
    double t[REPS];
    /* rows and mask are NULL but for the subset and masked kernels */
    const gnn_spmm_t s = {.a = a, .rows = rows, .n_rows = n_rows, .x32 = x, .mask = mask, .lim = 1,
                          .y32 = y, .dim = dim};
    for (int i = 0; i < REPS; i++) {
        double t0 = clock_now();
        switch (which) {
        case K_REF: gnn_spmm_ref(&s); break;
        case K_PLAIN: bench_spmm_plain(a, x, y, dim); break;
        case K_FAST: case K_FAST_SUB: case K_FAST_MASK: gnn_spmm(&s, 0); break;
        }
        t[i] = clock_now() - t0;
    }
    qsort(t, REPS, sizeof *t, cmp_dbl);
    return t[REPS / 2];
}

/* Relabel nodes so that users and items each come in descending degree:
 * the hub rows that most gathers hit then share a few hundred KB of cache. */
static int degree_sorted(const graph_csr_t *a, uint32_t nu, graph_csr_t *out)
{
    uint32_t n = a->n_rows;
    uint32_t *order = malloc(n * sizeof *order), *inv = malloc(n * sizeof *inv);
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    /* counting sort by degree, descending, stable, within users and items */
    for (int part = 0; part < 2; part++) {
        uint32_t lo = part ? nu : 0, hi = part ? n : nu;
        uint64_t maxd = 0;
        for (uint32_t i = lo; i < hi; i++) {
            uint64_t d = a->ptr[i + 1] - a->ptr[i];
            if (d > maxd) maxd = d;
        }
        uint64_t *cnt = calloc(maxd + 2, sizeof *cnt);
        for (uint32_t i = lo; i < hi; i++) cnt[maxd - (a->ptr[i + 1] - a->ptr[i]) + 1]++;
        for (uint64_t d = 0; d <= maxd; d++) cnt[d + 1] += cnt[d];
        for (uint32_t i = lo; i < hi; i++) order[lo + cnt[maxd - (a->ptr[i + 1] - a->ptr[i])]++] = i;
        free(cnt);
    }
    for (uint32_t i = 0; i < n; i++) inv[order[i]] = i;
    err_t e = {0};
    if (graph_csr_init(out, n, n, a->nnz, 1, &e)) return -1;
    uint64_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = order[i];
        out->ptr[i] = k;
        uint64_t b = k;
        for (uint64_t j = a->ptr[r]; j < a->ptr[r + 1]; j++) {
            out->col[k] = inv[a->col[j]]; out->val[k++] = a->val[j];
        }
        /* insertion sort keeps columns ascending as csr.h promises */
        for (uint64_t x = b + 1; x < k; x++) {
            uint32_t c = out->col[x]; float v = out->val[x]; uint64_t y = x;
            while (y > b && out->col[y - 1] > c) { out->col[y] = out->col[y - 1]; out->val[y] = out->val[y - 1]; y--; }
            out->col[y] = c; out->val[y] = v;
        }
    }
    out->ptr[n] = k;
    free(order); free(inv);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/work/shared/data/gowalla";
    if (argc > 2) omp_set_num_threads(atoi(argv[2]));
    graph_csr_t r, a, as;
    if (bench_load_split(dir, &r, NULL)) { fprintf(stderr, "bench_spmm: cannot load %s/train.txt\n", dir); return 77; }
    err_t e = {0};
    if (graph_norm_bipartite(&r, &a, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    const uint32_t dim = 64, n = a.n_rows;
    printf("graph: %u users, %u items, %u nodes, %llu non-zeros, dim %u, %d threads\n",
           r.n_rows, r.n_cols, n, (unsigned long long)a.nnz, dim, omp_get_max_threads());
    float *x = malloc((size_t)n * dim * 4), *y = malloc((size_t)n * dim * 4),
          *y2 = malloc((size_t)n * dim * 4);
    rng_t g;
    rng_seed(&g, 1);
    for (size_t i = 0; i < (size_t)n * dim; i++) x[i] = rng_normal(&g) * 0.1f;
    /* bytes a row-wise SpMM must move: the gathered rows, the index and value
     * per non-zero, the row pointers and the output row */
    double bytes = (double)a.nnz * (dim * 4 + 8) + (double)n * (dim * 4 + 8);

    double t_ref = time_kernel(K_REF, &a, x, y, dim, NULL, 0, NULL);
    double t_plain = time_kernel(K_PLAIN, &a, x, y, dim, NULL, 0, NULL);
    double t_fast = time_kernel(K_FAST, &a, x, y2, dim, NULL, 0, NULL);
    gnn_spmm_ref(&(gnn_spmm_t){.a = &a, .x32 = x, .y32 = y, .dim = dim});
    double maxdiff = 0;
    for (size_t i = 0; i < (size_t)n * dim; i++) {
        double d = y[i] - y2[i];
        if (d < 0) d = -d;
        if (d > maxdiff) maxdiff = d;
    }
    printf("%-34s %8.2f ms  %6.1f GB/s\n", "reference (1 thread, plain loop)", t_ref * 1e3, bytes / t_ref / 1e9);
    printf("%-34s %8.2f ms  %6.1f GB/s\n", "plain OpenMP rows (static)", t_plain * 1e3, bytes / t_plain / 1e9);
    printf("%-34s %8.2f ms  %6.1f GB/s  x%.2f vs reference, x%.2f vs plain OpenMP (max |diff| %.2g)\n",
           "optimized gnn_spmm", t_fast * 1e3, bytes / t_fast / 1e9, t_ref / t_fast, t_plain / t_fast, maxdiff);

    if (degree_sorted(&a, r.n_rows, &as) == 0) {
        double t_ps = time_kernel(K_PLAIN, &as, x, y, dim, NULL, 0, NULL);
        double t_fs = time_kernel(K_FAST, &as, x, y, dim, NULL, 0, NULL);
        printf("%-34s %8.2f ms  %6.1f GB/s\n", "degree-sorted, plain OpenMP", t_ps * 1e3, bytes / t_ps / 1e9);
        printf("%-34s %8.2f ms  %6.1f GB/s  x%.2f vs reference\n", "degree-sorted, optimized",
               t_fs * 1e3, bytes / t_fs / 1e9, t_ref / t_fs);
        graph_csr_destroy(&as);
    }

    /* float16 tables (what a training step gathers): interleaved with the
     * float kernel so that both see the same load */
    {
        uint16_t *xh = malloc((size_t)n * dim * 2), *yh = malloc((size_t)n * dim * 2);
        gnn_f2h_table(xh, x, (size_t)n * dim, 0);
        const gnn_spmm_t fs = {.a = &a, .x32 = x, .y32 = y2, .dim = dim};
        const gnn_spmm_t hs = {.a = &a, .x16 = xh, .fma = 1, .y16 = yh, .dim = dim};
        double tf[REPS], th[REPS];
        for (int i = 0; i < REPS; i++) {
            double t0 = clock_now();
            gnn_spmm(&fs, 0);
            double t1 = clock_now();
            gnn_spmm(&hs, 0);
            th[i] = clock_now() - t1;
            tf[i] = t1 - t0;
        }
        qsort(tf, REPS, sizeof *tf, cmp_dbl);
        qsort(th, REPS, sizeof *th, cmp_dbl);
        double hbytes = (double)a.nnz * (dim * 2 + 8) + (double)n * (dim * 2 + 8);
        double err = 0, nrm = 0;
        for (size_t i = 0; i < (size_t)n * dim; i++) {
            double d = (double)gnn_h2f(yh[i]) - y2[i];
            err += d < 0 ? -d : d;
            nrm += y2[i] < 0 ? -y2[i] : y2[i];
        }
        printf("%-34s %8.2f ms  %6.1f GB/s  (float kernel in the same loop %.2f ms: x%.2f; rel. error %.1e)\n",
               "optimized, float16 tables", th[REPS / 2] * 1e3, hbytes / th[REPS / 2] / 1e9,
               tf[REPS / 2] * 1e3, tf[REPS / 2] / th[REPS / 2], err / nrm);
        free(xh); free(yh);
    }

    /* a 10% row subset and a 10% mask: what the receptive-field passes cost */
    uint32_t nsub = 0, *rows = malloc(n * sizeof *rows);
    uint8_t *mask = malloc(n);
    for (uint32_t i = 0; i < n; i++) {
        int in = rng_below(&g, 10) == 0;
        mask[i] = in ? 0 : 255;
        if (in) rows[nsub++] = i;
    }
    double t_sub = time_kernel(K_FAST_SUB, &a, x, y, dim, rows, nsub, NULL);
    double t_mask = time_kernel(K_FAST_MASK, &a, x, y, dim, NULL, 0, mask);
    printf("%-34s %8.2f ms\n", "optimized, 10% of rows", t_sub * 1e3);
    printf("%-34s %8.2f ms\n", "optimized, all rows, 10% mask", t_mask * 1e3);

    free(rows); free(mask); free(x); free(y); free(y2);
    graph_csr_destroy(&a); graph_csr_destroy(&r);
    return 0;
}
