/* gcn.c - the weighted GCN: E_{k+1} = LeakyReLU(A E_k W_k), F = mean of
 * E_0..E_K, forward and backward over the whole graph.
 *
 * The non-linearity breaks LightGCN's linear shortcut, and the dense products
 * cost SGEMM time anyway, so every layer is kept ([K x n x dim] for A E_k,
 * the pre-activation and the activation) and backward is the textbook chain:
 *   dP = dE_{k+1} * act'(P),  dW_k = (A E_k)^T dP,  dE_k += A (dP W_k^T)
 * (A symmetric). Products with W via OpenBLAS SGEMM, with A via gnn_spmm.
 */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "gnn/internal.h"

#define SLOPE 0.2f   /* LeakyReLU slope, as NGCF */

int gnn_gcn_alloc(gnn_ws_t *w, uint32_t layers, uint32_t dim, err_t *e)
{
    size_t layer = (size_t)w->n * dim, all = layer * (layers ? layers : 1);
    w->gcn_t = malloc(all * sizeof(float));
    w->gcn_p = malloc(all * sizeof(float));
    w->gcn_e = malloc(all * sizeof(float));
    w->gcn_f = malloc(layer * sizeof(float));
    w->gcn_dt = malloc(layer * sizeof(float));
    w->gcn_dp = malloc(layer * sizeof(float));
    w->gcn_de = malloc(layer * sizeof(float));
    if (!w->gcn_t || !w->gcn_p || !w->gcn_e || !w->gcn_f || !w->gcn_dt || !w->gcn_dp || !w->gcn_de)
        return err_set(e, ERR_NOMEM, "out of memory for gcn activations (%u layers x %u nodes x %u)",
                       layers, w->n, dim);
    return ERR_OK;
}

void gnn_gcn_forward(const gnn_model_t *m, gnn_ws_t *w, const graph_csr_t *adj, float *out)
{
    const uint32_t K = m->hp.layers, d = m->hp.dim, n = w->n;
    const size_t layer = (size_t)n * d;
    float *f = out ? out : w->gcn_f;
    memcpy(f, m->emb0, layer * sizeof *f);
    const float *prev = m->emb0;
    for (uint32_t k = 0; k < K; k++) {
        float *t = w->gcn_t + k * layer, *p = w->gcn_p + k * layer, *a = w->gcn_e + k * layer;
        gnn_spmm(&(gnn_spmm_t){.a = adj, .x32 = prev, .y32 = t, .dim = d}, m->hp.threads);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)d, 1.0f,
                    t, (int)d, m->weights + (size_t)k * d * d, (int)d, 0.0f, p, (int)d);
        for (size_t q = 0; q < layer; q++) {
            float v = p[q] > 0 ? p[q] : SLOPE * p[q];
            a[q] = v;
            f[q] += v;
        }
        prev = a;
    }
    const float s = 1.0f / (float)(K + 1);
    for (size_t q = 0; q < layer; q++) f[q] *= s;
}

void gnn_gcn_backward(gnn_model_t *m, const graph_csr_t *adj)
{
    gnn_ws_t *w = m->ws;
    const uint32_t K = m->hp.layers, d = m->hp.dim, n = w->n;
    const size_t layer = (size_t)n * d;
    const float s = 1.0f / (float)(K + 1);
    float *de = w->gcn_de, *dp = w->gcn_dp, *dt = w->gcn_dt;
    for (size_t q = 0; q < layer; q++) de[q] = s * w->g[q];
    for (uint32_t k = K; k-- > 0;) {
        const float *t = w->gcn_t + k * layer, *p = w->gcn_p + k * layer;
        const float *wk = m->weights + (size_t)k * d * d;
        for (size_t q = 0; q < layer; q++) dp[q] = p[q] > 0 ? de[q] : SLOPE * de[q];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)n, 1.0f,
                    t, (int)d, dp, (int)d, 0.0f, m->grads + layer + (size_t)k * d * d, (int)d);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)d, (int)d, 1.0f,
                    dp, (int)d, wk, (int)d, 0.0f, dt, (int)d);
        gnn_spmm(&(gnn_spmm_t){.a = adj, .x32 = dt, .y32 = de, .dim = d}, m->hp.threads);
        for (size_t q = 0; q < layer; q++) de[q] += s * w->g[q];
    }
    for (uint32_t r = 0; r < n; r++) {
        float c = w->l2[r];
        for (uint32_t q = 0; q < d; q++) {
            size_t o = (size_t)r * d + q;
            m->grads[o] = de[o] + c * m->emb0[o];
        }
    }
}
