/* test_csr.c - CSR construction, transpose and the normalized bipartite
 * adjacency against values computed by hand. */
#include <math.h>

#include "graph/csr.h"
#include "graph/stats.h"
#include "tests/check.h"

int main(void)
{
    err_t e = {0};
    /* users 0..2, items 0..3; (0,1) appears twice and must collapse */
    uint32_t r[] = {0, 0, 1, 2, 0, 2, 2};
    uint32_t c[] = {1, 3, 1, 0, 1, 3, 1};
    graph_csr_t m, t, a;
    CHECK(graph_csr_from_pairs(&m, 3, 4, r, c, 7, &e) == 0);
    CHECK_EQ_INT(m.nnz, 6);
    CHECK_EQ_INT(m.ptr[1], 2);
    CHECK_EQ_INT(m.col[0], 1);
    CHECK_EQ_INT(m.col[1], 3);
    CHECK(graph_csr_has(&m, 2, 3));
    CHECK(!graph_csr_has(&m, 1, 3));
    CHECK(graph_csr_transpose(&m, &t, &e) == 0);
    CHECK_EQ_INT(t.n_rows, 4);
    CHECK_EQ_INT(t.ptr[2] - t.ptr[1], 3);   /* item 1 has users 0,1,2 */
    CHECK_EQ_INT(t.ptr[3] - t.ptr[2], 0);   /* item 2 has nobody */
    CHECK(graph_norm_bipartite(&m, &a, &e) == 0);
    CHECK_EQ_INT(a.n_rows, 7);
    CHECK_EQ_INT(a.nnz, 12);
    /* edge user 0 (deg 2) - item 1 (deg 3): 1/sqrt(6) */
    CHECK_NEAR(a.val[a.ptr[0]], 1.0 / sqrt(6.0), 1e-6);
    CHECK_EQ_INT(a.col[a.ptr[0]], 3 + 1);
    /* symmetric: row item 1 holds user 0 with the same weight */
    CHECK_EQ_INT(a.col[a.ptr[4]], 0);
    CHECK_NEAR(a.val[a.ptr[4]], 1.0 / sqrt(6.0), 1e-6);
    CHECK_EQ_INT(a.ptr[6] - a.ptr[5], 0);   /* isolated item 2: empty row */
    graph_csr_destroy(&m); graph_csr_destroy(&t); graph_csr_destroy(&a);

    /* degree summary (graph/stats.h): rows of degree 99, 98, ..., 0 (nearest rank) */
    graph_csr_t d;
    graph_degsum_t ds;
    CHECK(graph_csr_init(&d, 100, 100, 4950, 0, &e) == 0);
    for (uint32_t r = 0; r < 100; r++) d.ptr[r + 1] = d.ptr[r] + (99 - r);
    d.nnz = 4950;
    CHECK(graph_degsum(&d, &ds, &e) == 0);
    CHECK(ds.min == 0 && ds.median == 49 && ds.p99 == 98 && ds.max == 99);
    CHECK_NEAR(ds.mean, 49.5, 1e-12);
    d.n_rows = 0;
    CHECK(graph_degsum(&d, &ds, &e) == 0 && ds.max == 0 && ds.mean == 0);
    d.n_rows = 100;
    graph_csr_destroy(&d);
    return check_report();
}
