/* test_csr.c - CSR construction, transpose and the normalized bipartite
 * adjacency against values computed by hand. */
#include <math.h>

#include "graph/csr.h"
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
    return check_report();
}
