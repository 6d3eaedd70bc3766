/* arch.c - the architecture table of arch.h. The order of the rows is the
 * order of gnn_arch_id_t (checked by tests/test_arch.c). */
#include "gnn/arch.h"

#include <stdio.h>
#include <string.h>

static const gnn_arch_t table[GNN_ARCH_N] = {
    {GNN_ARCH_LIGHTGCN, "lightgcn", GNN_KIND_EMBED,
     GNN_CAP_BPR | GNN_CAP_FOLDIN | GNN_CAP_JOINT | GNN_CAP_PROPAGATES | GNN_CAP_MSE | GNN_CAP_WARM, 3},
    {GNN_ARCH_MF, "mf", GNN_KIND_EMBED, GNN_CAP_BPR | GNN_CAP_FOLDIN | GNN_CAP_MSE | GNN_CAP_WARM, 0},
    {GNN_ARCH_GCN, "gcn", GNN_KIND_EMBED, GNN_CAP_BPR | GNN_CAP_JOINT | GNN_CAP_PROPAGATES, 3},
    {GNN_ARCH_POP, "pop", GNN_KIND_COUNT, GNN_CAP_FOLDIN, 0},
    {GNN_ARCH_KGLIGHTGCN, "kglightgcn", GNN_KIND_EMBED,
     GNN_CAP_BPR | GNN_CAP_JOINT | GNN_CAP_NEEDS_KG | GNN_CAP_PROPAGATES, 3},
    {GNN_ARCH_GFCF, "gf-cf", GNN_KIND_FILTER, GNN_CAP_FOLDIN, 0},
    {GNN_ARCH_BSPM, "bspm", GNN_KIND_FILTER, GNN_CAP_FOLDIN, 0},
    {GNN_ARCH_CHEBYCF, "chebycf", GNN_KIND_FILTER, GNN_CAP_FOLDIN, 0},
    {GNN_ARCH_ITEMKNN, "itemknn", GNN_KIND_FILTER, GNN_CAP_FOLDIN, 0},
    {GNN_ARCH_EASE, "ease", GNN_KIND_FILTER, GNN_CAP_FOLDIN, 0},
    /* no fold-in: a new user's row would need the y rows, which are not served */
    {GNN_ARCH_SVDPP, "svdpp", GNN_KIND_EMBED, GNN_CAP_MSE | GNN_CAP_IMPLICIT | GNN_CAP_WARM, 0},
};

static const char *const names[GNN_ARCH_N + 1] = {"lightgcn", "mf", "gcn", "pop", "kglightgcn", "gf-cf", "bspm",
                                                  "chebycf", "itemknn", "ease", "svdpp", NULL};

const gnn_arch_t *gnn_arch_get(gnn_arch_id_t id)
{
    return (unsigned)id < GNN_ARCH_N ? &table[id] : NULL;
}

const gnn_arch_t *gnn_arch_find(const char *name)
{
    for (int k = 0; k < GNN_ARCH_N; k++)
        if (!strcmp(table[k].name, name)) return &table[k];
    return NULL;
}

int gnn_arch_lookup(const char *name, const gnn_arch_t **out, err_t *e)
{
    *out = gnn_arch_find(name);
    if (*out) return ERR_OK;
    char list[256];   /* the names, from the table: a new row is listed without another edit */
    size_t n = 0;
    list[0] = 0;
    for (int k = 0; k < GNN_ARCH_N && n < sizeof list; k++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", names[k]);
    return err_set(e, ERR_USAGE, "unknown architecture '%s' (%s)", name, list);
}

const char *const *gnn_arch_names(void) { return names; }

int gnn_arch_can(const char *name, unsigned caps)
{
    const gnn_arch_t *a = gnn_arch_find(name);
    return a && (a->caps & caps) == caps;
}
