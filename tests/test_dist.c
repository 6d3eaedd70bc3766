/* test_dist.c - the pieces of a distributed eval that one process can
 * check: dist_share's split, the one-rank dist_chain_sum, and that per-user
 * rows scored in contiguous shares and summed in order give exactly (bit
 * for bit) gnn_eval_scorer's metrics - what mpirun -np P eval relies on.
 * Run by mpirun (tests/mpi_eval.sh: mpirun -np 3 test_dist) it checks the
 * same across real ranks: dist_eval_scorer's metrics equal one process's
 * bit for bit on every rank, and the agreed error.
 * dist/halo.h (what distributed training's products run on): for P = 1..4
 * simulated ranks, every send list lands on the receiver's halo rows of
 * the same nodes, and each rank's product over its own rows of A_hat (float
 * and half tables, plain and fused multiply-adds) is bit for bit the
 * whole-graph gnn_spmm's on those rows; under mpirun the same through a
 * real dist_halo_exchange.
 * dist/rows.h: rank 0's block reads of rows the ranks own, in store order
 * and by a list, at one rank and under mpirun. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "dist/eval.h"
#include "dist/halo.h"
#include "dist/rows.h"
#include "gnn/spmm.h"
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

/* A random user-item matrix and the rows of A_hat products to compare to. */
enum { HU = 90, HI = 60, HD = 8 };

static uint32_t owner_of(uint32_t v, int P) { return (uint32_t)((v * 2654435761u >> 7) % (uint32_t)P); }

/* Rank r's local product (x local [n_loc x HD], own rows then halo) against
 * the whole graph's rows ref [n x HD] (float, or half when h16). */
static void check_local_product(const dist_halo_t *h, const float *x, const uint16_t *x16, const float *ref,
                                const uint16_t *ref16, int fma)
{
    const size_t nl = (size_t)h->n_own + h->n_halo;
    float *y = malloc((nl + 1) * HD * sizeof *y);
    uint16_t *y16 = malloc((nl + 1) * HD * sizeof *y16);
    gnn_spmm_t s = {.a = &h->a, .x32 = x16 ? NULL : x, .x16 = x16, .add = x, .fma = (uint8_t)fma, .dim = HD};
    if (ref16) s.y16 = y16;
    else s.y32 = y;
    gnn_spmm(&s, 2);
    int bad = 0;
    for (uint32_t q = 0; q < h->n_own; q++) {
        uint32_t v = h->own[q];
        bad += ref16 ? memcmp(y16 + (size_t)q * HD, ref16 + (size_t)v * HD, HD * sizeof *y16) != 0
                     : memcmp(y + (size_t)q * HD, ref + (size_t)v * HD, HD * sizeof *y) != 0;
    }
    CHECK_MSG(bad == 0, "%d of %u owned rows differ from the whole graph's product", bad, h->n_own);
    free(y);
    free(y16);
}

static void test_halo(const dist_t *mpi)
{
    uint32_t ru[HU * 12], rc_[HU * 12], nn = 0;
    rng_t r;
    rng_seed(&r, 9);
    for (uint32_t u = 0; u < HU; u++)
        for (uint32_t k = 0, d = 1 + rng_below(&r, 11); k < d; k++) { ru[nn] = u; rc_[nn++] = rng_below(&r, HI); }
    graph_csr_t R, adj;
    err_t e = {0};
    CHECK_EQ_INT(graph_csr_from_pairs(&R, HU, HI, ru, rc_, nn, &e), ERR_OK);
    CHECK_EQ_INT(graph_norm_bipartite(&R, &adj, &e), ERR_OK);
    const uint32_t n = HU + HI;
    float *X = malloc((size_t)n * HD * sizeof *X), *ref = malloc((size_t)n * HD * sizeof *ref);
    uint16_t *X16 = malloc((size_t)n * HD * sizeof *X16), *ref16 = malloc((size_t)n * HD * sizeof *ref16);
    for (size_t k = 0; k < (size_t)n * HD; k++) X[k] = rng_normal(&r);
    gnn_f2h_table(X16, X, (size_t)n * HD, 1);
    uint32_t owner[HU + HI];
    for (int P = 1; P <= 4; P++) {
        for (uint32_t v = 0; v < n; v++) owner[v] = owner_of(v, P);
        dist_halo_t h[4];
        for (int q = 0; q < P; q++) {
            dist_t fake = {.rank = q, .size = P};
            CHECK_EQ_INT(dist_halo_init(&h[q], &fake, &R, owner, &e), ERR_OK);
        }
        /* the exchange by hand: q's rows for p land on p's halo rows of the same nodes */
        int mism = 0;
        uint32_t owned = 0;
        for (int q = 0; q < P; q++) {
            owned += h[q].n_own;
            for (int p = 0; p < P; p++)
                for (int k = 0; p != q && k < h[q].scount[p]; k++) {
                    uint32_t v = h[q].own[h[q].send[h[q].sdispl[p] + k]];
                    mism += k >= h[p].rcount[q] || h[p].halo[h[p].rdispl[q] + k] != v;
                }
            for (int p = 0; p < P; p++) mism += p != q && h[q].rcount[p] != h[p].scount[q];
        }
        CHECK_MSG(mism == 0, "P=%d: %d send/receive mismatches", P, mism);
        CHECK_EQ_INT(owned, n);
        for (int pass = 0; pass < 3; pass++) {
            /* 0: float, plain sums; 1: float, fma; 2: half tables, fma */
            gnn_spmm_t s = {.a = &adj, .x32 = pass < 2 ? X : NULL, .x16 = pass == 2 ? X16 : NULL, .add = X,
                            .fma = (uint8_t)(pass > 0), .dim = HD};
            if (pass == 2) s.y16 = ref16;
            else s.y32 = ref;
            gnn_spmm_ref(&s);
            for (int q = 0; q < P; q++) {
                size_t nl = (size_t)h[q].n_own + h[q].n_halo;
                float *x = malloc((nl + 1) * HD * sizeof *x);
                uint16_t *x16 = malloc((nl + 1) * HD * sizeof *x16);
                for (size_t k = 0; k < nl; k++) {
                    uint32_t v = k < h[q].n_own ? h[q].own[k] : h[q].halo[k - h[q].n_own];
                    memcpy(x + k * HD, X + (size_t)v * HD, HD * sizeof *x);
                    memcpy(x16 + k * HD, X16 + (size_t)v * HD, HD * sizeof *x16);
                }
                check_local_product(&h[q], x, pass == 2 ? x16 : NULL, ref, pass == 2 ? ref16 : NULL, pass > 0);
                free(x);
                free(x16);
            }
        }
        for (int q = 0; q < P; q++) dist_halo_destroy(&h[q]);
    }
    if (mpi->size > 1) {   /* a real exchange: the halo rows arrive from their owners */
        gnn_spmm_ref(&(gnn_spmm_t){.a = &adj, .x32 = X, .add = X, .y32 = ref, .dim = HD});
        for (uint32_t v = 0; v < n; v++) owner[v] = owner_of(v, mpi->size);
        dist_halo_t h;
        CHECK_EQ_INT(dist_halo_init(&h, mpi, &R, owner, &e), ERR_OK);
        size_t nl = (size_t)h.n_own + h.n_halo;
        float *x = calloc((nl + 1) * HD, sizeof *x);
        for (uint32_t k = 0; k < h.n_own; k++) memcpy(x + (size_t)k * HD, X + (size_t)h.own[k] * HD, HD * sizeof *x);
        CHECK_EQ_INT(dist_halo_exchange(&h, mpi, x, HD * sizeof *x, &e), ERR_OK);
        int bad = 0;
        for (uint32_t k = 0; k < h.n_halo; k++)
            bad += memcmp(x + (h.n_own + (size_t)k) * HD, X + (size_t)h.halo[k] * HD, HD * sizeof *x) != 0;
        CHECK_MSG(bad == 0, "rank %d: %d halo rows differ from their owners'", mpi->rank, bad);
        CHECK_MSG(h.bytes == h.n_send * HD * sizeof *x, "rank %d: %llu bytes counted for %llu rows sent",
                  mpi->rank, (unsigned long long)h.bytes, (unsigned long long)h.n_send);
        check_local_product(&h, x, NULL, ref, NULL, 0);
        free(x);
        dist_halo_destroy(&h);
    }
    free(X);
    free(X16);
    free(ref);
    free(ref16);
    graph_csr_destroy(&R);
    graph_csr_destroy(&adj);
}

/* dist/rows.h: rank 0 reads rows spread over the ranks, in store-id
 * order through a permutation, in blocks of 7 rows, and by a list; a bad
 * request fails on rank 0 while the others keep serving. */
static void test_rows(const dist_t *d)
{
    enum { N = 100, D = 3 };
    uint32_t owner[N], pos[N], perm[N], cnt[64] = {0}, list[5] = {42, 0, 99, 7, 42};
    for (uint32_t v = 0; v < N; v++) {
        owner[v] = owner_of(v, d->size);
        pos[v] = cnt[owner[v]]++;
        perm[v] = (v * 37 + 11) % N;   /* store id -> training id */
    }
    float own[N * D];
    for (uint32_t v = 0, k = 0; v < N; v++) {
        if ((int)owner[v] != d->rank) continue;
        for (uint32_t c = 0; c < D; c++) own[k * D + c] = (float)(v * 10 + c);
        k++;
    }
    setenv("GNNREC_DIST_BLOCK_ROWS", "7", 1);
    dist_rows_t r;
    err_t e = {0};
    CHECK_EQ_INT(dist_rows_init(&r, d, N, D, owner, pos, perm, &e), ERR_OK);
    unsetenv("GNNREC_DIST_BLOCK_ROWS");
    CHECK_EQ_INT(r.block, 7);
    r.tab[1] = own;
    r.list = list;
    r.n_list = 5;
    if (d->rank == 0) {
        float all[N * D], some[5 * D];
        CHECK_EQ_INT(dist_rows_get_range(&r, 1, 0, N, all, &e), ERR_OK);
        int bad = 0;
        for (uint32_t v = 0; v < N; v++)
            for (uint32_t c = 0; c < D; c++) bad += all[v * D + c] != (float)(perm[v] * 10 + c);
        CHECK_MSG(bad == 0, "%d values of the store-order table differ", bad);
        CHECK_EQ_INT(dist_rows_get(&r, 1, 1, 1, 5, some, &e), ERR_OK);
        bad = 0;
        for (uint32_t k = 1; k < 5; k++)
            for (uint32_t c = 0; c < D; c++) bad += some[(k - 1) * D + c] != (float)(perm[list[k]] * 10 + c);
        CHECK_MSG(bad == 0, "%d values of the listed rows differ", bad);
        CHECK_EQ_INT(dist_rows_get(&r, 1, 0, 0, 8, all, &e), ERR_INTERNAL);   /* more than a block */
        CHECK_EQ_INT(dist_rows_get(&r, 1, 0, 90, 97, all, &e), ERR_OK);        /* still served */
        CHECK(all[0] == (float)(perm[90] * 10));
        CHECK_EQ_INT(dist_rows_stop(&r, &e), ERR_OK);
    } else {
        CHECK_EQ_INT(dist_rows_serve(&r, &e), ERR_INTERNAL);
        CHECK_MSG(r.bytes > 0, "rank %d sent no rows", d->rank);
    }
    dist_rows_destroy(&r);
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
    test_halo(&d);
    test_rows(&d);
    if (d.size > 1) printf("rank %d of %d: ", d.rank, d.size);
    int rc = check_report();
    dist_finalize(&d);
    return rc;
}
