/* test_dist.c - the pieces of a distributed eval that one process can
 * check: dist_share's split, the one-rank dist_chain_sum, and that per-user
 * rows scored in contiguous shares and summed in order give exactly (bit
 * for bit) gnn_eval_scorer's metrics - what mpirun -np P eval relies on.
 * Run by mpirun (tests/mpi_eval.sh: mpirun -np 3 test_dist) it checks the
 * same across real ranks: dist_eval_scorer's metrics equal one process's
 * bit for bit on every rank, and the agreed error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "dist/eval.h"
#include "tests/check.h"

static void test_share(void)
{
    for (uint64_t n = 0; n < 40; n++)
        for (int size = 1; size <= 9; size++) {
            uint64_t next = 0, lo, hi;
            for (int r = 0; r < size; r++) {
                dist_share(n, r, size, &lo, &hi);
                CHECK_EQ_INT(lo, next);
                CHECK(hi - lo == n / size || hi - lo == n / size + 1);
                next = hi;
            }
            CHECK_EQ_INT(next, n);
        }
}

static void test_rows_equal_eval(const dist_t *mpi)
{
    enum { U = 300, I = 120, D = 8 };
    float *ue = malloc(U * D * sizeof *ue), *ie = malloc(I * D * sizeof *ie);
    rng_t r;
    rng_seed(&r, 3);
    for (int k = 0; k < U * D; k++) ue[k] = rng_normal(&r);
    for (int k = 0; k < I * D; k++) ie[k] = rng_normal(&r);
    uint32_t rows_a[4000], cols_a[4000], rows_b[2000], cols_b[2000], na = 0, nb = 0;
    for (uint32_t u = 0; u < U; u++) {
        for (int j = 0; j < 10; j++) { rows_a[na] = u; cols_a[na++] = rng_below(&r, I); }
        if (u % 7 == 3) continue;   /* some users without test items */
        for (int j = 0; j < 4; j++) { rows_b[nb] = u; cols_b[nb++] = rng_below(&r, I); }
    }
    graph_csr_t train, test;
    err_t e = {0};
    CHECK_EQ_INT(graph_csr_from_pairs(&train, U, I, rows_a, cols_a, na, &e), ERR_OK);
    CHECK_EQ_INT(graph_csr_from_pairs(&test, U, I, rows_b, cols_b, nb, &e), ERR_OK);
    gnn_scorer_t s;
    gnn_scorer_emb(&s, "emb", ue, U, ie, I, D);
    const uint32_t ks[3] = {5, 20, 1};
    gnn_metrics_t one, split;
    CHECK_EQ_INT(gnn_eval_scorer(&s, &train, &train, &test, ks, 3, 1, &one, &e), ERR_OK);
    uint32_t *list, n;
    CHECK_EQ_INT(gnn_eval_test_users(&test, NULL, 0, &list, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, one.users_evaluated);
    double *rows = malloc((size_t)n * 3 * GNN_EVAL_ROW * sizeof *rows);
    for (int P = 1; P <= 5; P++) {
        /* each "rank" its share, rows side by side in user order */
        uint32_t done = 0;
        for (int rk = 0; rk < P; rk++) {
            uint64_t lo, hi;
            uint32_t got = 0;
            dist_share(n, rk, P, &lo, &hi);
            if (hi == lo) continue;
            CHECK_EQ_INT(gnn_eval_scorer_rows(&s, &train, &train, &test, list + lo, (uint32_t)(hi - lo), ks, 3, 2,
                                              rows + (size_t)lo * 3 * GNN_EVAL_ROW, &got, &e), ERR_OK);
            CHECK_EQ_INT(got, hi - lo);
            done += got;
        }
        CHECK_EQ_INT(done, n);
        double sums[3 * GNN_EVAL_ROW];
        dist_t one_rank = {.rank = 0, .size = 1};
        CHECK_EQ_INT(dist_chain_sum(&one_rank, rows, n, 3 * GNN_EVAL_ROW, sums, &e), ERR_OK);
        gnn_eval_metrics_from_sums(sums, n, ks, 3, &split);
        CHECK_MSG(memcmp(&one, &split, sizeof one) == 0, "P=%d: recall@5 %.17g vs %.17g", P, one.recall[0],
                  split.recall[0]);
    }
    /* and through dist_eval_scorer on one rank (gnn_eval_scorer itself) */
    dist_t d = {.rank = 0, .size = 1};
    CHECK_EQ_INT(dist_eval_scorer(&d, &s, &train, &train, &test, NULL, 0, ks, 3, 1, &split, &e), ERR_OK);
    CHECK(memcmp(&one, &split, sizeof one) == 0);
    if (mpi->size > 1) {   /* the ranks of a real job: every rank gets one process's metrics */
        memset(&split, 0, sizeof split);
        CHECK_EQ_INT(dist_eval_scorer(mpi, &s, &train, &train, &test, NULL, 0, ks, 3, 1, &split, &e), ERR_OK);
        CHECK_MSG(memcmp(&one, &split, sizeof one) == 0, "rank %d of %d: recall@5 %.17g vs %.17g", mpi->rank,
                  mpi->size, one.recall[0], split.recall[0]);
        uint32_t sample[5] = {3, 11, 12, 250, 299};   /* 3 has no test item: skipped */
        gnn_metrics_t a, b;
        CHECK_EQ_INT(gnn_eval_scorer_users(&s, &train, &train, &test, sample, 5, ks, 3, 1, &a, &e), ERR_OK);
        CHECK_EQ_INT(dist_eval_scorer(mpi, &s, &train, &train, &test, sample, 5, ks, 3, 1, &b, &e), ERR_OK);
        CHECK_EQ_INT(b.users_evaluated, 4);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        /* an error on the last rank only: every rank gets it, named */
        err_t e2 = {0};
        int rc = mpi->rank == mpi->size - 1 ? err_set(&e2, ERR_INPUT, "f.tsv:3: bad") : ERR_OK;
        rc = dist_agree(mpi, rc, &e2);
        CHECK_EQ_INT(rc, ERR_INPUT);
        char want[64];
        snprintf(want, sizeof want, "rank %d: f.tsv:3: bad", mpi->size - 1);
        CHECK_MSG(!strcmp(e2.msg, want), "rank %d got '%s'", mpi->rank, e2.msg);
        CHECK_EQ_INT(dist_agree(mpi, ERR_OK, &e2), ERR_OK);
        uint64_t total = 0;
        CHECK_EQ_INT(dist_sum_u64(mpi, (uint64_t)mpi->rank + 1, &total, &e), ERR_OK);
        CHECK_EQ_INT(total, (uint64_t)mpi->size * (mpi->size + 1) / 2);
    }
    free(rows);
    free(list);
    free(ue);
    free(ie);
    graph_csr_destroy(&train);
    graph_csr_destroy(&test);
}

int main(void)
{
    dist_t d;
    err_t e = {0};
    if (dist_init(&d, &e)) {
        fprintf(stderr, "dist_init: %s\n", e.msg);
        return 1;
    }
    test_share();
    test_rows_equal_eval(&d);
    if (d.size > 1) printf("rank %d of %d: ", d.rank, d.size);
    int rc = check_report();
    dist_finalize(&d);
    return rc;
}
