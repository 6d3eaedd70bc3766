/* dist_batch.c - the rows a distributed step's batch exchange sends (what
 * dist/train.c's batch_bpr counts in batch_bytes), estimated for graphs and
 * rank counts too large to train here: the input of the cost model in
 * docs/distributed.md (bench/dist_model.sh).
 *
 * The rule it counts is batch_bpr's: every rank scores every triple
 * (u, i, j) with one of its nodes, so the Z_K row of a triple's node x goes
 * from x's owner to each other rank owning one of the triple's three nodes,
 * once per step whatever the number of such triples. The triples are drawn
 * as the trainer draws them in distribution (a step's positives: a uniform
 * sample of the training interactions, `negatives` uniform items each), not
 * the trainer's exact stream, and the owners are graph_partition_hash's (the
 * batch rows hardly depend on the partition, since the negatives are uniform:
 * docs/distributed.md measured METIS and hash within 10% of each other). So
 * its figures are expectations to compare with the job's `dist` line at the
 * P this machine can run (bench/dist_comm.sh), then to extrapolate.
 *
 * usage: dist_batch DATA_DIR P... [--batch B | --steps-per-epoch S]
 *        [--negatives N] [--steps K] [--dim D] [--seed X]
 * DATA_DIR/train.txt in the LightGCN split format (bench/adj_file.h). Prints
 * one line per P: triples per step, rows sent per rank per step (mean, max
 * over ranks, averaged over K steps) and MB per rank per epoch at
 * 4 x D + 8 bytes a row (a float32 row and its norm). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adj_file.h"
#include "base/rng.h"
#include "graph/partition.h"

/* The user of interaction k: the row r with ptr[r] <= k < ptr[r + 1]. */
static uint32_t row_of(const graph_csr_t *m, uint64_t k)
{
    uint32_t lo = 0, hi = m->n_rows;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->ptr[mid] <= k) lo = mid;
        else hi = mid;
    }
    return lo;
}

typedef struct cfg {
    uint64_t batch;        /* positives per step */
    uint32_t negatives, steps, dim;
    uint64_t seed;
} cfg_t;

/* One P: rows sent per rank per step, mean and max over ranks, summed over
 * c->steps steps into *mean, *max. mask [N x W] words: the ranks each node's
 * row goes to this step. */
static int count_p(const graph_csr_t *tr, uint32_t P, const cfg_t *c, double *mean, double *max)
{
    const uint32_t U = tr->n_rows, N = tr->n_rows + tr->n_cols, W = (P + 63) / 64;
    uint32_t *part = malloc((size_t)N * sizeof *part);
    uint64_t *mask = malloc((size_t)N * W * sizeof *mask), *sent = malloc((size_t)P * sizeof *sent);
    if (!part || !mask || !sent) {
        free(part); free(mask); free(sent);
        return -1;
    }
    graph_partition_hash(N, P, c->seed, part);
    rng_t r;
    rng_seed_stream(&r, c->seed, P);
    *mean = *max = 0.0;
    for (uint32_t s = 0; s < c->steps; s++) {
        memset(mask, 0, (size_t)N * W * sizeof *mask);
        for (uint64_t b = 0; b < c->batch; b++) {
            uint64_t k = rng_u64(&r) % tr->nnz;
            uint32_t u = row_of(tr, k), i = U + tr->col[k];
            for (uint32_t q = 0; q < c->negatives; q++) {
                uint32_t x[3] = {u, i, U + rng_below(&r, tr->n_cols)};
                for (int a = 0; a < 3; a++)
                    for (int o = 0; o < 3; o++) mask[(size_t)x[a] * W + part[x[o]] / 64] |= 1ull << (part[x[o]] % 64);
            }
        }
        memset(sent, 0, (size_t)P * sizeof *sent);
        for (uint32_t v = 0; v < N; v++) {
            uint64_t n = 0;
            for (uint32_t w = 0; w < W; w++) n += (uint64_t)__builtin_popcountll(mask[(size_t)v * W + w]);
            if (n) sent[part[v]] += n - 1;   /* not to its own rank */
        }
        uint64_t tot = 0, hi = 0;
        for (uint32_t p = 0; p < P; p++) {
            tot += sent[p];
            if (sent[p] > hi) hi = sent[p];
        }
        *mean += (double)tot / P;
        *max += (double)hi;
    }
    *mean /= c->steps;
    *max /= c->steps;
    free(part); free(mask); free(sent);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: dist_batch DATA_DIR P... [--batch B | --steps-per-epoch S] [--negatives N] "
                        "[--steps K] [--dim D] [--seed X]\n");
        return 2;
    }
    cfg_t c = {.batch = 2048, .negatives = 1, .steps = 3, .dim = 64, .seed = 1};
    uint32_t ps[64], np = 0, spe = 0;
    for (int a = 2; a < argc; a++) {
        const char *v = a + 1 < argc ? argv[a + 1] : "";
        if (!strcmp(argv[a], "--batch")) c.batch = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--steps-per-epoch")) spe = (uint32_t)strtoul(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--negatives")) c.negatives = (uint32_t)strtoul(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--steps")) c.steps = (uint32_t)strtoul(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--dim")) c.dim = (uint32_t)strtoul(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--seed")) c.seed = strtoull(v, NULL, 10), a++;
        else if (np < 64 && atoi(argv[a]) >= 1) ps[np++] = (uint32_t)atoi(argv[a]);
        else {
            fprintf(stderr, "dist_batch: unknown argument %s\n", argv[a]);
            return 2;
        }
    }
    if (!np || !c.steps || !c.negatives || !c.batch) {
        fprintf(stderr, "dist_batch: give at least one P, and non-zero --batch, --negatives and --steps\n");
        return 2;
    }
    graph_csr_t tr;
    if (bench_load_split(argv[1], &tr, NULL)) {
        fprintf(stderr, "dist_batch: cannot read %s/train.txt\n", argv[1]);
        return 1;
    }
    if (spe) c.batch = (tr.nnz + spe - 1) / spe;
    const uint64_t steps_epoch = (tr.nnz + c.batch - 1) / c.batch, row = 4ull * c.dim + 8;
    printf("# %s: %u users, %u items, %llu interactions; %llu positives x %u negatives a step, %llu steps an "
           "epoch, %llu B a row, %u steps sampled\n",
           argv[1], tr.n_rows, tr.n_cols, (unsigned long long)tr.nnz, (unsigned long long)c.batch, c.negatives,
           (unsigned long long)steps_epoch, (unsigned long long)row, c.steps);
    printf("P\ttriples_per_step\trows_per_rank_step_mean\trows_per_rank_step_max\tMB_per_rank_epoch_mean\t"
           "MB_per_rank_epoch_max\n");
    int rc = 0;
    for (uint32_t k = 0; k < np && !rc; k++) {
        double mean, max;
        if ((rc = count_p(&tr, ps[k], &c, &mean, &max))) {
            fprintf(stderr, "dist_batch: out of memory at P = %u\n", ps[k]);
            break;
        }
        if (printf("%u\t%llu\t%.0f\t%.0f\t%.1f\t%.1f\n", ps[k], (unsigned long long)(c.batch * c.negatives), mean,
                   max, mean * row * steps_epoch / 1e6, max * row * steps_epoch / 1e6) < 0)
            rc = -1;
    }
    graph_csr_destroy(&tr);
    if (fflush(stdout) == EOF) rc = -1;
    return rc ? 1 : 0;
}
