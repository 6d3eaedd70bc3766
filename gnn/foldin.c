/* foldin.c - see foldin.h. */
#include "gnn/foldin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/arch.h"
#include "gnn/spmm.h"

int gnn_foldin_init(gnn_foldin_t *f, const char *arch, uint32_t n_users, uint32_t n_items,
                    uint32_t dim, uint32_t layers, const float *emb0, const graph_csr_t *train,
                    int threads, err_t *e)
{
    memset(f, 0, sizeof *f);
    f->n_users = n_users;
    f->n_items = n_items;
    f->dim = dim;
    f->rule = GNN_FOLDIN_MEAN0;
    /* the rule follows from the table: counts (pop), or embeddings that fold
     * in, propagated (lightgcn) or not (mf) */
    const gnn_arch_t *ar = gnn_arch_find(arch);
    if (ar && ar->kind == GNN_KIND_COUNT && (ar->caps & GNN_CAP_FOLDIN)) {
        f->kind = GNN_FOLDIN_POP;
        return ERR_OK;
    }
    if (!ar || ar->kind != GNN_KIND_EMBED || !(ar->caps & GNN_CAP_FOLDIN))
        return err_set(e, ERR_USAGE, "fold-in of new users is defined for lightgcn, mf and pop models, not %s", arch);
    if (ar->caps & GNN_CAP_PROPAGATES) f->kind = GNN_FOLDIN_LIGHTGCN;
    else f->kind = GNN_FOLDIN_MF, layers = 0;
    if (dim == 0 || dim > GNN_MAX_DIM) return err_set(e, ERR_USAGE, "fold-in: dim %u out of range", dim);
    if (!emb0) return err_set(e, ERR_USAGE, "fold-in needs the model's layer-0 parameters");
    if (!train || train->n_rows != n_users || train->n_cols != n_items)
        return err_set(e, ERR_INTERNAL, "fold-in: training matrix does not match the model");
    f->layers = layers;
    f->isqrt_deg = calloc(n_items ? n_items : 1, sizeof *f->isqrt_deg);
    if (!f->isqrt_deg) return err_set(e, ERR_NOMEM, "out of memory");
    /* counts first, then 1/sqrt in place: degrees fit a float exactly below 2^24 */
    graph_csr_col_degrees(train, f->isqrt_deg);
    for (uint32_t i = 0; i < n_items; i++)
        f->isqrt_deg[i] = f->isqrt_deg[i] > 0 ? (float)(1.0 / sqrt((double)f->isqrt_deg[i])) : 0.0f;
    size_t nrow = (size_t)n_users + n_items, isz = (size_t)n_items * dim;
    if (f->kind == GNN_FOLDIN_MF || layers == 0) {
        f->item0 = emb0 + (size_t)n_users * dim;
        return ERR_OK;
    }
    size_t nl = (size_t)layers * isz;
    f->item_layers = malloc((nl ? nl : 1) * sizeof *f->item_layers);
    if (!f->item_layers) { gnn_foldin_destroy(f); return err_set(e, ERR_NOMEM, "out of memory"); }
    memcpy(f->item_layers, emb0 + (size_t)n_users * dim, isz * sizeof *f->item_layers);
    f->item0 = f->item_layers;
    if (layers == 1) return ERR_OK;
    /* the items' layer k needs every node's layer k-1: full products over A_hat */
    graph_csr_t adj;
    int rc = graph_norm_bipartite(train, &adj, e);
    if (rc) { gnn_foldin_destroy(f); return rc; }
    float *a = malloc(nrow * dim * sizeof *a), *b = malloc(nrow * dim * sizeof *b);
    if (!a || !b) {
        free(a); free(b); graph_csr_destroy(&adj); gnn_foldin_destroy(f);
        return err_set(e, ERR_NOMEM, "out of memory for fold-in layers");
    }
    const float *x = emb0;
    for (uint32_t k = 1; k < layers; k++) {
        float *y = (k & 1) ? a : b;
        gnn_spmm(&(gnn_spmm_t){.a = &adj, .x32 = x, .y32 = y, .dim = dim}, threads);
        memcpy(f->item_layers + k * isz, y + (size_t)n_users * dim, isz * sizeof *y);
        x = y;
    }
    free(a); free(b);
    graph_csr_destroy(&adj);
    return ERR_OK;
}

void gnn_foldin_destroy(gnn_foldin_t *f)
{
    free(f->item_layers);
    free(f->isqrt_deg);
    f->item_layers = NULL;
    f->isqrt_deg = NULL;
}

int gnn_foldin_user(const gnn_foldin_t *f, const uint32_t *items, uint32_t n, const float *user0,
                    float *out, err_t *e)
{
    if (f->kind == GNN_FOLDIN_POP) {
        out[0] = 1.0f;
        return ERR_OK;
    }
    uint32_t D = f->dim, K = f->layers;
    for (uint32_t j = 0; j < n; j++)
        if (items[j] >= f->n_items) return err_set(e, ERR_USAGE, "fold-in: item %u out of range", items[j]);
    memset(out, 0, D * sizeof *out);
    if (n == 0) return ERR_OK;
    /* sums in double: the order is fixed, so the result is deterministic, and a
     * long item list does not lose the small terms */
    double acc[GNN_MAX_DIM], lay[GNN_MAX_DIM];
    if (user0) for (uint32_t d = 0; d < D; d++) acc[d] = user0[d];
    else if (f->rule == GNN_FOLDIN_ZERO0) for (uint32_t d = 0; d < D; d++) acc[d] = 0;
    else {
        for (uint32_t d = 0; d < D; d++) acc[d] = 0;
        for (uint32_t j = 0; j < n; j++) {
            const float *r = f->item0 + (size_t)items[j] * D;
            for (uint32_t d = 0; d < D; d++) acc[d] += r[d];
        }
        for (uint32_t d = 0; d < D; d++) acc[d] /= n;
    }
    double su = 1.0 / sqrt((double)n);
    for (uint32_t k = 0; k < K; k++) {
        const float *tab = f->item_layers + (size_t)k * f->n_items * D;
        for (uint32_t d = 0; d < D; d++) lay[d] = 0;
        for (uint32_t j = 0; j < n; j++) {
            float w = f->isqrt_deg[items[j]];
            if (w == 0) continue;
            const float *r = tab + (size_t)items[j] * D;
            for (uint32_t d = 0; d < D; d++) lay[d] += (double)w * r[d];
        }
        for (uint32_t d = 0; d < D; d++) acc[d] += su * lay[d];
    }
    for (uint32_t d = 0; d < D; d++) out[d] = (float)(acc[d] / (K + 1));
    return ERR_OK;
}
