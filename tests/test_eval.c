/* test_eval.c - ranking metrics and the all-ranking protocol against
 * numbers worked out by hand (in the comments; log2(3) = 1.5849625,
 * 1/log2(3) = 0.6309298, 1/log2(4) = 0.5, 1/log2(5) = 0.4306766).
 * Covers ties, fewer test items than K, users without test items, several
 * Ks at once (given out of order), a test item that is also a training item,
 * K beyond the number of rankable items, and bad arguments. Finally the
 * whole protocol against the reference top-K on random data.
 */
#include <stdlib.h>
#include <string.h>

#include "gnn/eval.h"
#include "tests/check.h"

#define TOL 1e-6
#define NONE GNN_ITEM_NONE

static void one_user(void)
{
    gnn_metrics_t m;
    memset(&m, 0, sizeof m);
    /* ranked 5,3,9,1 vs truth {1,3,7}, K=4: hits at ranks 2 and 4.
     * recall 2/3, precision 2/4, DCG = 1/log2(3) + 1/log2(5) = 1.0616064,
     * IDCG over min(3,4)=3 items = 1 + 0.6309298 + 0.5 = 2.1309298,
     * NDCG = 0.4981893 */
    uint32_t r1[] = {5, 3, 9, 1}, t1[] = {1, 3, 7};
    gnn_metrics_add_user(r1, 4, t1, 3, 4, 0, &m);
    CHECK_NEAR(m.recall[0], 2.0 / 3.0, TOL);
    CHECK_NEAR(m.precision[0], 0.5, TOL);
    CHECK_NEAR(m.ndcg[0], 0.4981893, 1e-6);
    CHECK_NEAR(m.hit[0], 1.0, TOL);

    /* one test item, K=5 > |truth|: ranked first -> IDCG over 1 item = 1,
     * NDCG 1, recall 1, precision 1/5. Added into slot 1. */
    uint32_t r2[] = {3, 0, 1, 2, 4}, t2[] = {3};
    gnn_metrics_add_user(r2, 5, t2, 1, 5, 1, &m);
    CHECK_NEAR(m.ndcg[1], 1.0, TOL);
    CHECK_NEAR(m.recall[1], 1.0, TOL);
    CHECK_NEAR(m.precision[1], 0.2, TOL);

    /* sums accumulate: truth {2}, hit at rank 2 of K=3 -> NDCG 0.6309298,
     * precision 1/3; slot 1 now holds 1 + 0.6309298 and 0.2 + 1/3 */
    uint32_t r3[] = {0, 2, 5}, t3[] = {2};
    gnn_metrics_add_user(r3, 3, t3, 1, 3, 1, &m);
    CHECK_NEAR(m.ndcg[1], 1.6309298, 1e-6);
    CHECK_NEAR(m.precision[1], 0.2 + 1.0 / 3.0, TOL);
    CHECK_NEAR(m.hit[1], 2.0, TOL);

    /* padded list (only one rankable item), K=3, truth {4,8}: one hit at
     * rank 1; padding is never a hit even though NONE > every id.
     * recall 1/2, precision 1/3, DCG 1, IDCG 1 + 0.6309298 -> 0.6131472 */
    memset(&m, 0, sizeof m);
    uint32_t r4[] = {4, NONE, NONE}, t4[] = {4, 8};
    gnn_metrics_add_user(r4, 3, t4, 2, 3, 2, &m);
    CHECK_NEAR(m.recall[2], 0.5, TOL);
    CHECK_NEAR(m.precision[2], 1.0 / 3.0, TOL);
    CHECK_NEAR(m.ndcg[2], 0.6131472, 1e-6);

    /* only the first K of a longer list count: K=2 of 1,2,3,4 vs {3,4} */
    uint32_t r5[] = {1, 2, 3, 4}, t5[] = {3, 4};
    gnn_metrics_add_user(r5, 4, t5, 2, 2, 3, &m);
    CHECK(m.recall[3] == 0 && m.ndcg[3] == 0 && m.hit[3] == 0 && m.precision[3] == 0);

    /* no truth: adds nothing (the protocol skips such users) */
    gnn_metrics_add_user(r5, 4, t5, 0, 2, 3, &m);
    CHECK(m.recall[3] == 0 && m.ndcg[3] == 0);
}

/* 4 users x 5 items, dim 2.
 *   items: i0 (5,0)  i1 (4,1)  i2 (3,0)  i3 (3,5)  i4 (1,2)
 *   user 0 (1,0): scores 5 4 3 3 1  train {0}  test {3}
 *   user 1 (0,1): scores 0 1 0 5 2  train {3}  test {3,4}  (3 is both)
 *   user 2 (1,1): train {2}, no test items -> skipped
 *   user 3 (0,0): all scores 0      train {1}  test {2,4}
 * Ranked lists with training items removed (ties by smaller index):
 *   user 0: 1 2 3 4      (i2 and i3 tie at 3: i2 first)
 *   user 1: 4 1 0 2      (i0 and i2 tie at 0; i3 excluded, never a hit)
 *   user 3: 0 2 3 4
 */
static const float U[] = {1, 0, 0, 1, 1, 1, 0, 0};
static const float I[] = {5, 0, 4, 1, 3, 0, 3, 5, 1, 2};

static void build(graph_csr_t *train, graph_csr_t *test)
{
    err_t e = {0};
    uint32_t tr_u[] = {0, 1, 2, 3}, tr_i[] = {0, 3, 2, 1};
    uint32_t te_u[] = {0, 1, 1, 3, 3}, te_i[] = {3, 3, 4, 4, 2};
    CHECK(graph_csr_from_pairs(train, 4, 5, tr_u, tr_i, 4, &e) == 0);
    CHECK(graph_csr_from_pairs(test, 4, 5, te_u, te_i, 5, &e) == 0);
}

static void protocol(void)
{
    graph_csr_t train, test;
    build(&train, &test);
    err_t e = {0};
    gnn_metrics_t m;
    uint32_t ks[] = {3, 1, 10};
    for (int threads = 1; threads <= 2; threads++) {
        CHECK(gnn_eval_all_ranking(U, I, 2, &train, &test, ks, 3, threads, &m, &e) == 0);
        CHECK_EQ_INT(m.users_evaluated, 3);
        CHECK_EQ_INT(m.n_k, 3);
        CHECK_EQ_INT(m.k[0], 3);
        CHECK_EQ_INT(m.k[1], 1);
        /* K=3: user 0 [1 2 3] hit rank 3: R 1, P 1/3, NDCG 0.5/1 = 0.5
         *      user 1 [4 1 0] hit rank 1: R 1/2, P 1/3,
         *              NDCG 1/(1 + 0.6309298) = 0.6131472
         *      user 3 [0 2 3] hit rank 2: R 1/2, P 1/3,
         *              NDCG 0.6309298/1.6309298 = 0.3868528
         * means: R 2/3, P 1/3, NDCG 1.5/3 = 0.5, Hit 1 */
        CHECK_NEAR(m.recall[0], 2.0 / 3.0, TOL);
        CHECK_NEAR(m.precision[0], 1.0 / 3.0, TOL);
        CHECK_NEAR(m.ndcg[0], 0.5, TOL);
        CHECK_NEAR(m.hit[0], 1.0, TOL);
        /* K=1: only user 1's first item (4) hits: R 1/2, P 1, NDCG 1
         * (IDCG over min(2,1) = 1 item); means R 1/6, P 1/3, NDCG 1/3,
         * Hit 1/3 */
        CHECK_NEAR(m.recall[1], 1.0 / 6.0, TOL);
        CHECK_NEAR(m.precision[1], 1.0 / 3.0, TOL);
        CHECK_NEAR(m.ndcg[1], 1.0 / 3.0, TOL);
        CHECK_NEAR(m.hit[1], 1.0 / 3.0, TOL);
        /* K=10 with 4 rankable items each: every reachable test item is hit.
         * user 0: R 1, P 1/10, NDCG 0.5 (rank 3, IDCG 1)
         * user 1: R 1/2 (item 3 is excluded), P 1/10, NDCG 0.6131472
         * user 3: hits at ranks 2 and 4: R 1, P 2/10,
         *         DCG 0.6309298 + 0.4306766 = 1.0616064, IDCG 1.6309298,
         *         NDCG 0.6509209
         * means: R 2.5/3, P 0.4/3, NDCG 1.7640681/3 = 0.5880227 */
        CHECK_NEAR(m.recall[2], 2.5 / 3.0, TOL);
        CHECK_NEAR(m.precision[2], 0.4 / 3.0, TOL);
        CHECK_NEAR(m.ndcg[2], 0.5880227, 1e-6);
        CHECK_NEAR(m.hit[2], 1.0, TOL);
    }

    /* Without exclusion: user 0 [0 1 2] no hit; user 1 [3 4 1] hits at
     * ranks 1, 2: R 1, P 2/3, NDCG 1; user 3 [0 1 2] hit at rank 3:
     * R 1/2, P 1/3, NDCG 0.5/1.6309298 = 0.3065736.
     * K=3 means: R 0.5, P 1/3, NDCG 1.3065736/3 = 0.4355245, Hit 2/3 */
    CHECK(gnn_eval_all_ranking(U, I, 2, NULL, &test, ks, 1, 2, &m, &e) == 0);
    CHECK_NEAR(m.recall[0], 0.5, TOL);
    CHECK_NEAR(m.precision[0], 1.0 / 3.0, TOL);
    CHECK_NEAR(m.ndcg[0], 0.4355245, 1e-6);
    CHECK_NEAR(m.hit[0], 2.0 / 3.0, TOL);

    /* No test items at all: nobody evaluated, every metric 0. */
    graph_csr_t empty;
    CHECK(graph_csr_from_pairs(&empty, 4, 5, NULL, NULL, 0, &e) == 0);
    CHECK(gnn_eval_all_ranking(U, I, 2, &train, &empty, ks, 2, 1, &m, &e) == 0);
    CHECK_EQ_INT(m.users_evaluated, 0);
    CHECK(m.recall[0] == 0 && m.ndcg[1] == 0);

    /* Bad arguments are usage errors. */
    uint32_t k0[] = {0};
    CHECK_EQ_INT(gnn_eval_all_ranking(U, I, 2, &train, &test, ks, 0, 1, &m, &e), ERR_USAGE);
    CHECK_EQ_INT(gnn_eval_all_ranking(U, I, 2, &train, &test, k0, 1, 1, &m, &e), ERR_USAGE);
    CHECK_EQ_INT(gnn_eval_all_ranking(U, I, 2, &train, &test, ks, GNN_EVAL_MAX_K + 1, 1, &m, &e),
                 ERR_USAGE);
    graph_csr_t wrong;
    uint32_t wu[] = {0}, wi[] = {0};
    CHECK(graph_csr_from_pairs(&wrong, 4, 6, wu, wi, 1, &e) == 0);
    CHECK_EQ_INT(gnn_eval_all_ranking(U, I, 2, &wrong, &test, ks, 1, 1, &m, &e), ERR_USAGE);
    graph_csr_destroy(&wrong);
    graph_csr_destroy(&empty);
    graph_csr_destroy(&train);
    graph_csr_destroy(&test);
}

/* Random small-integer data (exact scores, many ties): the protocol must
 * equal the reference top-K plus the per-user metrics, user by user. */
static void against_reference(void)
{
    enum { NU = 300, NI = 700, D = 6, NK = 3 };
    static float ue[NU * D], ie[NI * D];
    static uint32_t tu[NU * 12], ti[NU * 12], xu[NU * 30], xi[NU * 30], ranked[NU * 50];
    uint64_t seed = 12345, nt = 0, nx = 0;
    #define NEXT() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, \
                    (uint32_t)(seed >> 33))
    for (int i = 0; i < NU * D; i++) ue[i] = (float)(NEXT() % 5) - 2.0f;
    for (int i = 0; i < NI * D; i++) ie[i] = (float)(NEXT() % 5) - 2.0f;
    for (uint32_t u = 0; u < NU; u++) {
        uint32_t n_test = u % 7 == 0 ? 0 : NEXT() % 12, n_train = NEXT() % 30;
        for (uint32_t t = 0; t < n_test; t++) { tu[nt] = u; ti[nt++] = NEXT() % NI; }
        for (uint32_t t = 0; t < n_train; t++) { xu[nx] = u; xi[nx++] = NEXT() % NI; }
    }
    err_t e = {0};
    graph_csr_t train, test;
    CHECK(graph_csr_from_pairs(&train, NU, NI, xu, xi, nx, &e) == 0);
    CHECK(graph_csr_from_pairs(&test, NU, NI, tu, ti, nt, &e) == 0);
    uint32_t ks[NK] = {20, 5, 50};
    gnn_metrics_t got, want;
    CHECK(gnn_eval_all_ranking(ue, ie, D, &train, &test, ks, NK, 2, &got, &e) == 0);
    CHECK(gnn_topk_ref(ue, NU, ie, NI, D, &train, NULL, 50, ranked, NULL, &e) == 0);
    memset(&want, 0, sizeof want);
    for (uint32_t u = 0; u < NU; u++) {
        uint32_t n = (uint32_t)(test.ptr[u + 1] - test.ptr[u]);
        if (!n) continue;
        want.users_evaluated++;
        for (int ki = 0; ki < NK; ki++)
            gnn_metrics_add_user(ranked + (size_t)u * 50, 50, test.col + test.ptr[u], n, ks[ki],
                                 ki, &want);
    }
    CHECK_EQ_INT(got.users_evaluated, want.users_evaluated);
    for (int ki = 0; ki < NK; ki++) {
        double n = want.users_evaluated;
        CHECK_NEAR(got.recall[ki], want.recall[ki] / n, 1e-12);
        CHECK_NEAR(got.ndcg[ki], want.ndcg[ki] / n, 1e-12);
        CHECK_NEAR(got.precision[ki], want.precision[ki] / n, 1e-12);
        CHECK_NEAR(got.hit[ki], want.hit[ki] / n, 1e-12);
    }
    graph_csr_destroy(&train);
    graph_csr_destroy(&test);
}

/* gnn_eval_sample_users: reproducible, ascending, distinct, only users
 * with test items; N >= their number is all of them; a sample's metrics
 * are the metrics of those users evaluated alone. */
static void sample(void)
{
    err_t e = {0};
    graph_csr_t train, test;
    build(&train, &test);   /* users 0, 1, 3 have test items */
    uint32_t *a, *b, na, nb;
    CHECK_EQ_INT(gnn_eval_sample_users(&test, 2, 7, &a, &na, &e), ERR_OK);
    CHECK_EQ_INT(gnn_eval_sample_users(&test, 2, 7, &b, &nb, &e), ERR_OK);
    CHECK(na == 2 && nb == 2 && a[0] == b[0] && a[1] == b[1]);
    CHECK(a[0] < a[1] && a[0] != 2 && a[1] != 2);
    free(b);
    CHECK_EQ_INT(gnn_eval_sample_users(&test, 10, 7, &b, &nb, &e), ERR_OK);
    CHECK(nb == 3 && b[0] == 0 && b[1] == 1 && b[2] == 3);
    uint32_t ks[] = {1, 3};
    gnn_metrics_t full, all, part, one;
    gnn_scorer_t s;
    gnn_scorer_emb(&s, "emb", U, 4, I, 5, 2);
    CHECK_EQ_INT(gnn_eval_scorer(&s, NULL, &train, &test, ks, 2, 1, &full, &e), ERR_OK);
    CHECK_EQ_INT(gnn_eval_scorer_users(&s, NULL, &train, &test, b, nb, ks, 2, 1, &all, &e), ERR_OK);
    CHECK(!memcmp(&full, &all, sizeof full));
    CHECK_EQ_INT(gnn_eval_scorer_users(&s, NULL, &train, &test, a, na, ks, 2, 1, &part, &e), ERR_OK);
    CHECK_EQ_INT(part.users_evaluated, 2);
    /* the average of the sampled users' own metrics */
    double want = 0;
    for (uint32_t j = 0; j < na; j++) {
        CHECK_EQ_INT(gnn_eval_scorer_users(&s, NULL, &train, &test, a + j, 1, ks, 2, 1, &one, &e), ERR_OK);
        want += one.ndcg[1] / na;
    }
    CHECK_NEAR(part.ndcg[1], want, 1e-12);
    /* many users, many seeds: every sample has n distinct users, and the
     * seeds do not all draw the same one */
    uint32_t tu[200], ti[200];
    for (uint32_t u = 0; u < 200; u++) tu[u] = u, ti[u] = u % 5;
    graph_csr_t big;
    CHECK_EQ_INT(graph_csr_from_pairs(&big, 200, 5, tu, ti, 200, &e), ERR_OK);
    int distinct_ok = 1, differ = 0;
    uint32_t *first = NULL, nf = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint32_t *v, nv;
        gnn_eval_sample_users(&big, 30, seed, &v, &nv, &e);
        for (uint32_t j = 1; j < nv; j++) distinct_ok &= v[j] > v[j - 1];
        distinct_ok &= nv == 30;
        if (!first) first = v, nf = nv;
        else { differ += memcmp(first, v, nf * sizeof *v) != 0; free(v); }
    }
    CHECK(distinct_ok);
    CHECK_EQ_INT(differ, 19);
    free(first);
    free(a);
    free(b);
    graph_csr_destroy(&big);
    graph_csr_destroy(&train);
    graph_csr_destroy(&test);
}

int main(void)
{
    one_user();
    protocol();
    against_reference();
    sample();
    return check_report();
}
