/* test_ivf.c - the inverted-file index (gnn/ivf.h) against the exact
 * reference top-K (gnn_topk_ref): probing every list gives the exact
 * answer, probing a few lists of clustered data keeps most of it, excluded
 * items never come back, threads do not change a bit, and a view over the
 * same arrays (what a saved index is) answers the same. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/eval.h"
#include "gnn/ivf.h"
#include "tests/check.h"

enum { NI = 3000, NQ = 700, D = 16, C = 30, K = 20 };

static float items[NI * D], qs[NQ * D];
static graph_csr_t seen;

/* items and queries around C random centres: what trained embeddings of a
 * graph with communities look like to the index */
static void make_data(void)
{
    static float centre[C * D];
    static uint32_t su[NQ * 8], si[NQ * 8];
    rng_t r;
    rng_seed(&r, 42);
    for (int k = 0; k < C * D; k++) centre[k] = 2.0f * rng_normal(&r);
    for (int i = 0; i < NI; i++) {
        int c = (int)rng_below(&r, C);
        for (int k = 0; k < D; k++) items[i * D + k] = centre[c * D + k] + 0.4f * rng_normal(&r);
    }
    for (int j = 0; j < NQ; j++) {
        int c = (int)rng_below(&r, C);
        for (int k = 0; k < D; k++) qs[j * D + k] = centre[c * D + k] + 0.4f * rng_normal(&r);
    }
    uint32_t n = 0;
    for (uint32_t j = 0; j < NQ; j++)
        for (int t = 0; t < 8; t++) { su[n] = j; si[n++] = rng_below(&r, NI); }
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&seen, NQ, NI, su, si, n, &e) == 0);
}

/* mean share of the exact top-K that the approximate top-K holds */
static double recall(const uint32_t *approx, const uint32_t *exact)
{
    double sum = 0.0;
    for (int j = 0; j < NQ; j++) {
        int hit = 0;
        for (int a = 0; a < K; a++)
            for (int b = 0; b < K; b++) hit += approx[j * K + a] == exact[j * K + b];
        sum += hit / (double)K;
    }
    return sum / NQ;
}

int main(void)
{
    make_data();
    static uint32_t ex_i[NQ * K], ap_i[NQ * K], ap2_i[NQ * K];
    static float ex_s[NQ * K], ap_s[NQ * K], ap2_s[NQ * K];
    err_t e = {0};
    CHECK(gnn_topk_ref(qs, NQ, items, NI, D, &seen, NULL, K, ex_i, ex_s, &e) == 0);
    gnn_ivf_t ix;
    CHECK(gnn_ivf_build(&ix, items, NI, D, 40, 8, 7, 2, &e) == 0);
    CHECK_EQ_INT(ix.nlist, 40);
    CHECK_EQ_INT(ix.list_ptr[ix.nlist], NI);
    /* every item sits in exactly one list */
    static int count[NI];
    for (uint32_t p = 0; p < NI; p++) count[ix.list_item[p]]++;
    int once = 1;
    for (int i = 0; i < NI; i++) once &= count[i] == 1;
    CHECK(once);

    /* all lists probed: the exact answer (scores to rounding, the same items) */
    CHECK(gnn_ivf_topk(&ix, qs, NQ, &seen, NULL, K, ix.nlist, 2, ap_i, ap_s, &e) == 0);
    double worst = 0.0;
    for (int t = 0; t < NQ * K; t++) worst = fmax(worst, fabs((double)ap_s[t] - ex_s[t]));
    CHECK_MSG(worst < 1e-4, "score gap %g to the exact top-K", worst);
    CHECK_NEAR(recall(ap_i, ex_i), 1.0, 1e-3);

    /* a few lists: approximate, but clustered data keeps most of the top-K */
    CHECK(gnn_ivf_topk(&ix, qs, NQ, &seen, NULL, K, 4, 2, ap_i, ap_s, &e) == 0);
    double r4 = recall(ap_i, ex_i);
    CHECK_MSG(r4 > 0.8 && r4 < 1.0, "recall with 4 of 40 lists %.3f", r4);
    printf("recall@%d with 4 of 40 lists: %.3f\n", K, r4);
    CHECK(gnn_ivf_topk(&ix, qs, NQ, &seen, NULL, K, 1, 2, ap2_i, ap2_s, &e) == 0);
    CHECK_MSG(recall(ap2_i, ex_i) < r4, "1 list should keep less than 4 (%.3f vs %.3f)", recall(ap2_i, ex_i), r4);
    int excluded = 0, sorted = 1;
    for (uint32_t j = 0; j < NQ; j++)
        for (int a = 0; a < K; a++) {
            excluded += ap_i[j * K + a] != GNN_ITEM_NONE && graph_csr_has(&seen, j, ap_i[j * K + a]);
            if (a) sorted &= ap_s[j * K + a - 1] >= ap_s[j * K + a];
        }
    CHECK_EQ_INT(excluded, 0);
    CHECK(sorted);

    /* one thread gives the same bits; so does a view over the same arrays */
    CHECK(gnn_ivf_topk(&ix, qs, NQ, &seen, NULL, K, 4, 1, ap2_i, ap2_s, &e) == 0);
    CHECK(!memcmp(ap_i, ap2_i, sizeof ap_i) && !memcmp(ap_s, ap2_s, sizeof ap_s));
    gnn_ivf_t v;
    CHECK(gnn_ivf_view(&v, NI, D, ix.nlist, ix.centroids, ix.list_ptr, ix.list_item, ix.list_emb, &e) == 0);
    CHECK(gnn_ivf_topk(&v, qs, NQ, &seen, NULL, K, 4, 2, ap2_i, ap2_s, &e) == 0);
    CHECK(!memcmp(ap_i, ap2_i, sizeof ap_i));
    gnn_ivf_destroy(&v);   /* a view frees nothing */
    /* a corrupt list table is refused */
    uint32_t bad_ptr[41];
    memcpy(bad_ptr, ix.list_ptr, sizeof bad_ptr);
    bad_ptr[40] = NI + 1;
    CHECK_EQ_INT(gnn_ivf_view(&v, NI, D, 40, ix.centroids, bad_ptr, ix.list_item, ix.list_emb, &e), ERR_STORE);
    /* k larger than what is left pads the tail */
    /* one probe of a 3-item index (one list per item) has one item to give */
    gnn_ivf_t tiny;
    uint32_t few_i[5];
    float few_s[5];
    CHECK(gnn_ivf_build(&tiny, items, 3, D, 3, 2, 1, 1, &e) == 0);
    CHECK(gnn_ivf_topk(&tiny, qs, 1, NULL, NULL, 5, 1, 1, few_i, few_s, &e) == 0);
    CHECK(few_i[0] < 3 && few_i[1] == GNN_ITEM_NONE && few_i[4] == GNN_ITEM_NONE && isinf(few_s[1]));
    gnn_ivf_destroy(&tiny);
    gnn_ivf_destroy(&ix);
    graph_csr_destroy(&seen);
    return check_report();
}
