/* test_order.c - graph/order.h: orders are bijections within users and
 * within items, community order puts the blocks of a block graph together,
 * degree order sorts by degree, relabelling keeps every entry, and the
 * in-place row permutation agrees with a plain copy both ways. */
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "graph/order.h"
#include "tests/check.h"

static int is_perm(const uint32_t *p, uint32_t n)
{
    uint8_t *s = calloc(n + 1, 1);
    int ok = 1;
    for (uint32_t i = 0; i < n && ok; i++) {
        if (p[i] >= n || s[p[i]]) ok = 0;
        else s[p[i]] = 1;
    }
    free(s);
    return ok;
}

int main(void)
{
    err_t e = {0};
    graph_order_id_t id;
    CHECK(graph_order_find("community", &id, &e) == 0 && id == GRAPH_ORDER_COMMUNITY);
    CHECK(graph_order_find("rcm", &id, &e) == ERR_USAGE);
    for (int k = 0; k < GRAPH_ORDER_N; k++) {
        CHECK_EQ_INT(graph_order_info((graph_order_id_t)k)->id, k);
        CHECK(!strcmp(graph_order_names()[k], graph_order_info((graph_order_id_t)k)->name));
    }
    CHECK(graph_order_names()[GRAPH_ORDER_N] == NULL);

    /* 4 blocks of 50 users x 20 items, users and items interleaved over the
     * blocks (user u in block u % 4, item i in block i % 4); each user
     * takes 8 items of its block and, for a few, one item of another block */
    enum { B = 4, NU = 200, NI = 80 };
    uint32_t rows[NU * 9], cols[NU * 9];
    uint64_t n = 0;
    rng_t g;
    rng_seed(&g, 7);
    for (uint32_t u = 0; u < NU; u++) {
        for (int j = 0; j < 8; j++) {
            rows[n] = u;
            cols[n++] = (uint32_t)(rng_u64(&g) % (NI / B)) * B + u % B;
        }
        if (u % 10 == 0) {
            rows[n] = u;
            cols[n++] = (uint32_t)(rng_u64(&g) % NI);
        }
    }
    graph_csr_t r;
    CHECK(graph_csr_from_pairs(&r, NU, NI, rows, cols, n, &e) == 0);
    uint32_t nu_[NU], ni_[NI];
    CHECK(graph_order_bipartite(&r, GRAPH_ORDER_COMMUNITY, nu_, ni_, &e) == 0);
    CHECK(is_perm(nu_, NU));
    CHECK(is_perm(ni_, NI));
    /* blocks come out contiguous: count block changes along the new order */
    uint32_t inv_u[NU], inv_i[NI];
    for (uint32_t u = 0; u < NU; u++) inv_u[nu_[u]] = u;
    for (uint32_t i = 0; i < NI; i++) inv_i[ni_[i]] = i;
    int changes_u = 0, changes_i = 0;
    for (uint32_t j = 1; j < NU; j++) changes_u += inv_u[j] % B != inv_u[j - 1] % B;
    for (uint32_t j = 1; j < NI; j++) changes_i += inv_i[j] % B != inv_i[j - 1] % B;
    CHECK_MSG(changes_u <= B + 2, "users change block %d times along the order", changes_u);
    CHECK_MSG(changes_i <= B + 2, "items change block %d times along the order", changes_i);
    /* the store order interleaves the blocks: ~every step changes */
    CHECK(B - 1 < NU - 1);

    /* degree order: non-increasing degrees */
    CHECK(graph_order_bipartite(&r, GRAPH_ORDER_DEGREE, nu_, ni_, &e) == 0);
    CHECK(is_perm(nu_, NU) && is_perm(ni_, NI));
    for (uint32_t u = 0; u < NU; u++) inv_u[nu_[u]] = u;
    int sorted = 1;
    for (uint32_t j = 1; j < NU; j++)
        if (r.ptr[inv_u[j] + 1] - r.ptr[inv_u[j]] > r.ptr[inv_u[j - 1] + 1] - r.ptr[inv_u[j - 1]]) sorted = 0;
    CHECK(sorted);
    /* none: the identity */
    CHECK(graph_order_bipartite(&r, GRAPH_ORDER_NONE, nu_, ni_, &e) == 0);
    CHECK(nu_[0] == 0 && nu_[NU - 1] == NU - 1 && ni_[NI - 1] == NI - 1);

    /* relabel: every entry (u, i) of r is (nu_[u], ni_[i]) of the result, sorted rows */
    CHECK(graph_order_bipartite(&r, GRAPH_ORDER_COMMUNITY, nu_, ni_, &e) == 0);
    graph_csr_t q;
    CHECK(graph_csr_relabel(&r, nu_, ni_, &q, &e) == 0);
    CHECK_EQ_INT(q.nnz, r.nnz);
    int all = 1, asc = 1;
    for (uint32_t u = 0; u < NU; u++)
        for (uint64_t k = r.ptr[u]; k < r.ptr[u + 1]; k++)
            if (!graph_csr_has(&q, nu_[u], ni_[r.col[k]])) all = 0;
    for (uint32_t u = 0; u < NU; u++)
        for (uint64_t k = q.ptr[u] + 1; k < q.ptr[u + 1]; k++)
            if (q.col[k] <= q.col[k - 1]) asc = 0;
    CHECK(all);
    CHECK(asc);
    /* with values, columns kept: values follow their entries */
    graph_csr_t a, b;
    CHECK(graph_norm_bipartite(&r, &a, &e) == 0);
    uint32_t node[NU + NI];
    for (uint32_t u = 0; u < NU; u++) node[u] = nu_[u];
    for (uint32_t i = 0; i < NI; i++) node[NU + i] = NU + ni_[i];
    CHECK(graph_csr_relabel(&a, node, node, &b, &e) == 0);
    int vals = 1;
    for (uint32_t v = 0; v < a.n_rows; v++)
        for (uint64_t k = a.ptr[v]; k < a.ptr[v + 1]; k++) {
            uint32_t rr = node[v], cc = node[a.col[k]];
            uint64_t lo = b.ptr[rr], hi = b.ptr[rr + 1];
            uint32_t p = graph_lower_bound(b.col + lo, (uint32_t)(hi - lo), cc);
            if (lo + p >= hi || b.col[lo + p] != cc || b.val[lo + p] != a.val[k]) vals = 0;
        }
    CHECK(vals);

    /* in-place row permutation against a plain copy, both directions */
    enum { D = 3, N = NU + NI };
    static float t[N * D], want[N * D], row[D];
    static uint8_t seen[N];
    for (uint32_t k = 0; k < N * D; k++) t[k] = (float)k;
    for (uint32_t v = 0; v < N; v++) memcpy(want + (size_t)node[v] * D, t + (size_t)v * D, sizeof row);
    graph_permute_rows(t, N, D, node, 1, seen, row);
    CHECK(!memcmp(t, want, sizeof t));
    graph_permute_rows(t, N, D, node, 0, seen, row);
    int back = 1;
    for (uint32_t k = 0; k < N * D; k++) back &= t[k] == (float)k;
    CHECK(back);

    graph_csr_destroy(&r); graph_csr_destroy(&q); graph_csr_destroy(&a); graph_csr_destroy(&b);
    return check_report();
}
