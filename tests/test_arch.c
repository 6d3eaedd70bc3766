/* test_arch.c - the architecture table (gnn/arch.h): rows in id order, the
 * names list agrees with the rows, look-ups, and the capabilities the rest
 * of the code relies on. */
#include <string.h>

#include "gnn/arch.h"
#include "tests/check.h"

int main(void)
{
    const char *const *names = gnn_arch_names();
    int k;
    for (k = 0; k < GNN_ARCH_N; k++) {
        const gnn_arch_t *a = gnn_arch_get((gnn_arch_id_t)k);
        CHECK(a != NULL);
        if (!a) continue;
        CHECK_EQ_INT(a->id, k);
        CHECK_MSG(names[k] && !strcmp(names[k], a->name), "names[%d] is not row %d's name %s", k, k, a->name);
        CHECK(gnn_arch_find(a->name) == a);
        /* a filter or a count is never trained; an embedding model is, by BPR or on ratings */
        CHECK_EQ_INT(!!(a->caps & (GNN_CAP_BPR | GNN_CAP_MSE)), a->kind == GNN_KIND_EMBED);
        /* the implicit term is a rating model's, without propagation */
        if (a->caps & GNN_CAP_IMPLICIT) CHECK((a->caps & GNN_CAP_MSE) && !(a->caps & GNN_CAP_PROPAGATES));
    }
    CHECK(names[GNN_ARCH_N] == NULL);
    CHECK(gnn_arch_get(GNN_ARCH_N) == NULL);
    CHECK(gnn_arch_find("LightGCN") == NULL);
    const gnn_arch_t *a = NULL;
    err_t e = {0};
    CHECK_EQ_INT(gnn_arch_lookup("nope", &a, &e), ERR_USAGE);
    CHECK(a == NULL && strstr(e.msg, "unknown architecture 'nope'"));
    for (const char *const *nm = gnn_arch_names(); *nm; nm++) CHECK(strstr(e.msg, *nm) != NULL);   /* every row listed */
    CHECK(strstr(e.msg, "ease, svdpp)") != NULL);
    CHECK_EQ_INT(gnn_arch_lookup("bspm", &a, &e), ERR_OK);
    CHECK(a && a->id == GNN_ARCH_BSPM && a->kind == GNN_KIND_FILTER);
    /* what the commands decide from the table */
    CHECK(gnn_arch_can("lightgcn", GNN_CAP_FOLDIN | GNN_CAP_JOINT));
    CHECK(!gnn_arch_can("gcn", GNN_CAP_FOLDIN));
    CHECK(!gnn_arch_can("kglightgcn", GNN_CAP_FOLDIN));
    CHECK(gnn_arch_can("kglightgcn", GNN_CAP_NEEDS_KG));
    CHECK(!gnn_arch_can("mf", GNN_CAP_PROPAGATES));
    CHECK_EQ_INT(gnn_arch_find("mf")->default_layers, 0);
    CHECK_EQ_INT(gnn_arch_find("lightgcn")->default_layers, 3);
    CHECK(gnn_arch_can("svdpp", GNN_CAP_MSE | GNN_CAP_IMPLICIT | GNN_CAP_WARM));
    CHECK(!gnn_arch_can("svdpp", GNN_CAP_BPR) && !gnn_arch_can("svdpp", GNN_CAP_FOLDIN));
    CHECK(!gnn_arch_can("gcn", GNN_CAP_WARM) && !gnn_arch_can("kglightgcn", GNN_CAP_WARM));
    CHECK(!gnn_arch_can("unknown", 0));
    return check_report();
}
