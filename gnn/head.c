/* head.c - the MLP scoring head (head.h): setup, initialisation, the batch
 * forward and backward by OpenBLAS SGEMM with their plain-loop twins, the
 * ranking of one user against all items, and the saved blob. Assumes the
 * caller's OpenBLAS threading suits it (the ranking path calls it inside
 * OpenMP threads with OpenBLAS on one thread, gnn/topk.c). */
#include "gnn/head.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "base/rng.h"
#include "base/text.h"

static const char *const head_names[] = {"dot", "mlp", NULL};

const char *const *gnn_head_names(void) { return head_names; }

int gnn_head_parse(const char *spec, uint32_t *width, uint32_t *n, err_t *e)
{
    char **items;
    size_t k;
    int rc = text_split_list(spec, &items, &k);
    if (rc == ERR_NOMEM) return err_set(e, ERR_NOMEM, "out of memory");
    if (rc) return err_set(e, ERR_USAGE, "--mlp-layers '%s': an empty width", spec);
    rc = k < 1 || k > GNN_HEAD_MAX_LAYERS
                 ? err_set(e, ERR_USAGE, "--mlp-layers '%s': 1 to %d comma-separated widths", spec, GNN_HEAD_MAX_LAYERS)
                 : ERR_OK;
    for (size_t j = 0; j < k && !rc; j++) {
        char *end;
        unsigned long v = strtoul(items[j], &end, 10);
        if (*items[j] < '0' || *items[j] > '9' || *end || v < 1 || v > GNN_HEAD_MAX_WIDTH)
            rc = err_set(e, ERR_USAGE, "--mlp-layers '%s': '%s' is not a width 1..%d", spec, items[j],
                         GNN_HEAD_MAX_WIDTH);
        else width[j] = (uint32_t)v;
    }
    free(items);
    if (!rc) *n = (uint32_t)k;
    return rc;
}

int gnn_head_setup(gnn_head_t *h, uint32_t in, const uint32_t *width, uint32_t n_layers, err_t *e)
{
    memset(h, 0, sizeof *h);
    if (in < 1 || in > GNN_HEAD_MAX_WIDTH || n_layers < 1 || n_layers > GNN_HEAD_MAX_LAYERS)
        return err_set(e, ERR_USAGE, "mlp head: %u inputs and %u layers (1..%d, 1..%d)", in, n_layers,
                       GNN_HEAD_MAX_WIDTH, GNN_HEAD_MAX_LAYERS);
    h->in = in;
    h->n_layers = n_layers;
    size_t fan = 2 * (size_t)in;
    for (uint32_t l = 0; l < n_layers; l++) {
        if (width[l] < 1 || width[l] > GNN_HEAD_MAX_WIDTH)
            return err_set(e, ERR_USAGE, "mlp head: layer width %u (1..%d)", width[l], GNN_HEAD_MAX_WIDTH);
        h->width[l] = width[l];
        h->n_params += (size_t)width[l] * fan + width[l];
        h->n_act += width[l];
        if (width[l] > h->max_width) h->max_width = width[l];
        fan = width[l];
    }
    h->n_params += fan + 1;
    return ERR_OK;
}

/* Layer l's fan-in, weight W_l and bias c_l within w. */
static size_t fan_in(const gnn_head_t *h, uint32_t l) { return l ? h->width[l - 1] : 2 * (size_t)h->in; }

static const float *layer_w(const gnn_head_t *h, const float *w, uint32_t l)
{
    for (uint32_t k = 0; k < l; k++) w += h->width[k] * fan_in(h, k) + h->width[k];
    return w;
}

/* v: the output weights [w_L], followed by c_o. */
static const float *out_w(const gnn_head_t *h, const float *w) { return w + h->n_params - h->width[h->n_layers - 1] - 1; }

void gnn_head_init(const gnn_head_t *h, float *w, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    memset(w, 0, h->n_params * sizeof *w);
    for (uint32_t l = 0; l < h->n_layers; l++) {
        float *W = w + (layer_w(h, w, l) - w);
        const size_t fi = fan_in(h, l), nw = h->width[l] * fi;
        const float sd = sqrtf(2.0f / (float)fi);
        for (size_t k = 0; k < nw; k++) W[k] = sd * rng_normal(&r);
    }
    const uint32_t wl = h->width[h->n_layers - 1];
    float *v = w + (out_w(h, w) - w);
    for (uint32_t k = 0; k < wl; k++) v[k] = sqrtf(1.0f / (float)wl) * rng_normal(&r);
}

/* ---- the three products, optimized (OpenBLAS) or plain (ref) ----
 * row-major; the plain loops are the reference twins tests/test_head.c
 * holds the SGEMM forms to. */

/* z [n x wl] = in [n x fi] W^T + c, W [wl x fi] */
static void affine(const float *in, const float *W, const float *c, float *z, uint32_t n, size_t fi, size_t wl,
                   int ref)
{
    for (uint32_t t = 0; t < n; t++) memcpy(z + t * wl, c, wl * sizeof *z);
    if (!ref) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)wl, (int)fi, 1.0f, in, (int)fi, W,
                    (int)fi, 1.0f, z, (int)wl);
        return;
    }
    for (uint32_t t = 0; t < n; t++)
        for (size_t r = 0; r < wl; r++)
            for (size_t k = 0; k < fi; k++) z[t * wl + r] += W[r * fi + k] * in[t * fi + k];
}

/* dst [n x fi] = G [n x wl] W, W [wl x fi] */
static void back_in(const float *G, const float *W, float *dst, uint32_t n, size_t wl, size_t fi, int ref)
{
    if (!ref) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)fi, (int)wl, 1.0f, G, (int)wl, W,
                    (int)fi, 0.0f, dst, (int)fi);
        return;
    }
    memset(dst, 0, (size_t)n * fi * sizeof *dst);
    for (uint32_t t = 0; t < n; t++)
        for (size_t r = 0; r < wl; r++)
            for (size_t k = 0; k < fi; k++) dst[t * fi + k] += G[t * wl + r] * W[r * fi + k];
}

/* gW [wl x fi] += G^T [wl x n] in [n x fi] */
static void back_w(const float *G, const float *in, float *gW, uint32_t n, size_t wl, size_t fi, int ref)
{
    if (!ref) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)wl, (int)fi, (int)n, 1.0f, G, (int)wl, in,
                    (int)fi, 1.0f, gW, (int)fi);
        return;
    }
    for (uint32_t t = 0; t < n; t++)
        for (size_t r = 0; r < wl; r++)
            for (size_t k = 0; k < fi; k++) gW[r * fi + k] += G[t * wl + r] * in[t * fi + k];
}

static void relu(float *z, size_t n)
{
    for (size_t k = 0; k < n; k++) z[k] = z[k] > 0.0f ? z[k] : 0.0f;
}

/* ---- batch forward ---- */

static void forward(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, float *s, int ref)
{
    const float *in = X;
    float *z = act;
    for (uint32_t l = 0; l < h->n_layers; l++) {
        const size_t fi = fan_in(h, l), wl = h->width[l];
        const float *W = layer_w(h, w, l);
        affine(in, W, W + wl * fi, z, n, fi, wl, ref);
        relu(z, (size_t)n * wl);
        in = z;
        z += (size_t)n * wl;
    }
    const float *v = out_w(h, w);   /* s = Z_L v + c_o: the affine map to one output */
    affine(in, v, v + h->width[h->n_layers - 1], s, n, h->width[h->n_layers - 1], 1, ref);
}

void gnn_head_forward(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, float *s)
{
    forward(h, w, X, n, act, s, 0);
}

void gnn_head_forward_ref(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, float *s)
{
    forward(h, w, X, n, act, s, 1);
}

/* ---- batch backward ----
 * act holds Z_1..Z_L; G_l (dL/d pre-activation of layer l) replaces Z_l,
 * G_l = (G_(l+1) W_(l+1)) * [Z_l > 0], so the forward's act is used up. */

/* Z_L -> G_L = ds v^T masked; gv += Z_L^T ds, gc_o += sum ds. */
static void out_grad(const gnn_head_t *h, const float *w, uint32_t n, float *zl, const float *ds, float *gw)
{
    const uint32_t wl = h->width[h->n_layers - 1];
    const float *v = out_w(h, w);
    float *gv = gw + (v - w);
    for (uint32_t t = 0; t < n; t++) {
        gv[wl] += ds[t];
        for (uint32_t k = 0; k < wl; k++) {
            float *z = zl + (size_t)t * wl + k;
            gv[k] += *z * ds[t];
            *z = *z > 0.0f ? ds[t] * v[k] : 0.0f;
        }
    }
}

static float *act_of(const gnn_head_t *h, float *act, uint32_t n, uint32_t l)
{
    for (uint32_t k = 0; k < l; k++) act += (size_t)n * h->width[k];
    return act;
}

static void backward(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, const float *ds,
                     float *gw, float *dX, float *tmp, int ref)
{
    out_grad(h, w, n, act_of(h, act, n, h->n_layers - 1), ds, gw);
    for (uint32_t l = h->n_layers; l-- > 0;) {
        const size_t fi = fan_in(h, l), wl = h->width[l];
        const float *W = layer_w(h, w, l);
        float *G = act_of(h, act, n, l), *gW = gw + (W - w), *gc = gW + wl * fi;
        back_w(G, l ? act_of(h, act, n, l - 1) : X, gW, n, wl, fi, ref);
        for (uint32_t t = 0; t < n; t++)
            for (size_t r = 0; r < wl; r++) gc[r] += G[t * wl + r];
        back_in(G, W, l ? tmp : dX, n, wl, fi, ref);
        if (l) {   /* G_(l-1) = tmp masked by Z_(l-1) > 0, in Z_(l-1)'s place */
            float *zp = act_of(h, act, n, l - 1);
            for (size_t k = 0; k < (size_t)n * fi; k++) zp[k] = zp[k] > 0.0f ? tmp[k] : 0.0f;
        }
    }
}

void gnn_head_backward(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, const float *ds,
                       float *gw, float *dX, float *tmp)
{
    backward(h, w, X, n, act, ds, gw, dX, tmp, 0);
}

void gnn_head_backward_ref(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act,
                           const float *ds, float *gw, float *dX, float *tmp)
{
    backward(h, w, X, n, act, ds, gw, dX, tmp, 1);
}

/* ---- single pairs and ranking ---- */

float gnn_head_score_ref(const gnn_head_t *h, const float *w, const float *eu, const float *ei)
{
    float x[2 * GNN_HEAD_MAX_WIDTH], a[GNN_HEAD_MAX_WIDTH], b[GNN_HEAD_MAX_WIDTH];
    memcpy(x, eu, h->in * sizeof *x);
    memcpy(x + h->in, ei, h->in * sizeof *x);
    const float *in = x;
    float *z = a;
    for (uint32_t l = 0; l < h->n_layers; l++) {
        const size_t fi = fan_in(h, l), wl = h->width[l];
        const float *W = layer_w(h, w, l), *c = W + wl * fi;
        for (size_t r = 0; r < wl; r++) {
            float s = c[r];
            for (size_t k = 0; k < fi; k++) s += W[r * fi + k] * in[k];
            z[r] = s > 0.0f ? s : 0.0f;
        }
        in = z;
        z = z == a ? b : a;
    }
    const uint32_t wl = h->width[h->n_layers - 1];
    const float *v = out_w(h, w);
    float s = v[wl];
    for (uint32_t k = 0; k < wl; k++) s += v[k] * in[k];
    return s;
}

float gnn_head_pair(const gnn_head_t *h, const float *w, const float *urow, const float *irow, uint32_t width)
{
    return gnn_head_add_extra(h, gnn_head_score_ref(h, w, urow, irow), urow, irow, width);
}

float gnn_head_add_extra(const gnn_head_t *h, float s, const float *urow, const float *irow, uint32_t width)
{
    for (uint32_t k = h->in; k < width; k++) s += urow[k] * irow[k];
    return s;
}

void gnn_head_item_part(const gnn_head_t *h, const float *w, const float *items, size_t stride, uint32_t n_items,
                        float *B)
{
    const size_t fi = fan_in(h, 0), w1 = h->width[0];
    const float *W = layer_w(h, w, 0), *c = W + w1 * fi;
    for (uint32_t i = 0; i < n_items; i++) memcpy(B + (size_t)i * w1, c, w1 * sizeof *B);
    if (n_items)   /* the item half: columns in..2in of W_1 */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n_items, (int)w1, (int)h->in, 1.0f, items,
                    (int)stride, W + h->in, (int)fi, 1.0f, B, (int)w1);
}

/* Layers 2..L and the output over z [n x w_1] (the first layer's
 * activations), next [n x max_width] the other half of the scratch:
 * out [n]. What the ranking and the pair kernels share. */
static void upper_layers(const gnn_head_t *h, const float *w, float *z, float *next, uint32_t n, float *out)
{
    for (uint32_t l = 1; l < h->n_layers; l++) {   /* z [n x w_(l-1)] -> next [n x w_l] */
        const size_t f = h->width[l - 1], wl = h->width[l];
        const float *Wl = layer_w(h, w, l);
        affine(z, Wl, Wl + wl * f, next, n, f, wl, 0);
        relu(next, (size_t)n * wl);
        float *t = z;   /* the two halves of scratch take turns */
        z = next;
        next = t;
    }
    const float *v = out_w(h, w);
    affine(z, v, v + h->width[h->n_layers - 1], out, n, h->width[h->n_layers - 1], 1, 0);
}

void gnn_head_score_items(const gnn_head_t *h, const float *w, const float *eu, const float *B, uint32_t n_items,
                          float *scratch, float *out)
{
    const size_t fi = fan_in(h, 0), w1 = h->width[0];
    const float *W = layer_w(h, w, 0);
    float a[GNN_HEAD_MAX_WIDTH];
    for (size_t r = 0; r < w1; r++) {   /* the user half, once per user */
        float s = 0.0f;
        for (uint32_t k = 0; k < h->in; k++) s += W[r * fi + k] * eu[k];
        a[r] = s;
    }
    float *z = scratch;
    for (uint32_t i = 0; i < n_items; i++)
        for (size_t r = 0; r < w1; r++) {
            const float s = B[i * w1 + r] + a[r];
            z[i * w1 + r] = s > 0.0f ? s : 0.0f;
        }
    upper_layers(h, w, z, scratch + (size_t)n_items * h->max_width, n_items, out);
}

void gnn_head_user_part(const gnn_head_t *h, const float *w, const float *users, size_t stride, uint32_t n_users,
                        float *A)
{
    const size_t fi = fan_in(h, 0), w1 = h->width[0];
    if (n_users)   /* the user half: columns 0..in of W_1; c_1 is in the item half */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n_users, (int)w1, (int)h->in, 1.0f, users,
                    (int)stride, layer_w(h, w, 0), (int)fi, 0.0f, A, (int)w1);
}

size_t gnn_head_upper_floats(const gnn_head_t *h)
{
    size_t n = 0;
    for (uint32_t l = 1; l < h->n_layers; l++) n += (size_t)h->width[l] * h->width[l - 1];
    return n;
}

void gnn_head_upper_transpose(const gnn_head_t *h, const float *w, float *wt)
{
    for (uint32_t l = 1; l < h->n_layers; l++) {   /* W_l [w_l x w_(l-1)] -> [w_(l-1) x w_l] */
        const size_t f = h->width[l - 1], wl = h->width[l];
        const float *W = layer_w(h, w, l);
        for (size_t r = 0; r < wl; r++)
            for (size_t k = 0; k < f; k++) wt[k * wl + r] = W[r * f + k];
        wt += f * wl;
    }
}

void gnn_head_score_pairs(const gnn_head_t *h, const float *w, const float *wt, const float *A, const uint32_t *ua,
                          const float *B, const uint32_t *ib, uint32_t n, float *out)
{
    const size_t w1 = h->width[0];
    float za[GNN_HEAD_MAX_WIDTH], zb[GNN_HEAD_MAX_WIDTH];
    for (uint32_t t = 0; t < n; t++) {
        const float *a = A + (size_t)ua[t] * w1, *b = B + (size_t)ib[t] * w1;
        float *z = za, *next = zb;
        for (size_t r = 0; r < w1; r++) {
            const float s = a[r] + b[r];
            z[r] = s > 0.0f ? s : 0.0f;
        }
        const float *T = wt;
        for (uint32_t l = 1; l < h->n_layers; l++) {
            /* next = c_l + sum_k z[k] W_l[., k]: each output summed in k order
             * (gnn_head_score_ref's), the loop over outputs vectorizes */
            const size_t f = h->width[l - 1], wl = h->width[l];
            memcpy(next, layer_w(h, w, l) + wl * f, wl * sizeof *next);
            for (size_t k = 0; k < f; k++) {
                const float zk = z[k], *row = T + k * wl;
                for (size_t r = 0; r < wl; r++) next[r] += zk * row[r];
            }
            relu(next, wl);
            T += f * wl;
            float *x = z;
            z = next;
            next = x;
        }
        const uint32_t wL = h->width[h->n_layers - 1];
        const float *v = out_w(h, w);
        float s = v[wL];
        for (uint32_t k = 0; k < wL; k++) s += v[k] * z[k];
        out[t] = s;
    }
}

/* ---- the saved blob ---- */

size_t gnn_head_blob_bytes(const gnn_head_t *h) { return (GNN_HEAD_BLOB_WORDS + h->n_params) * sizeof(float); }

void gnn_head_blob_write(const gnn_head_t *h, const float *w, void *blob)
{
    uint32_t words[GNN_HEAD_BLOB_WORDS] = {1, h->in, h->n_layers};
    for (uint32_t l = 0; l < h->n_layers; l++) words[3 + l] = h->width[l];
    memcpy(blob, words, sizeof words);
    memcpy((char *)blob + sizeof words, w, h->n_params * sizeof *w);
}

int gnn_head_blob_read(const float *p, size_t n, const char *model, uint32_t dim, gnn_head_t *h, const float **w,
                       err_t *e)
{
    uint32_t words[GNN_HEAD_BLOB_WORDS];
    err_t ignore;
    if (n < GNN_HEAD_BLOB_WORDS) return err_set(e, ERR_STORE, "model '%s': damaged head (%zu floats)", model, n);
    memcpy(words, p, sizeof words);
    if (words[0] != 1 || words[1] > dim || words[2] > GNN_HEAD_MAX_LAYERS ||
        gnn_head_setup(h, words[1], words + 3, words[2], &ignore) || n != GNN_HEAD_BLOB_WORDS + h->n_params)
        return err_set(e, ERR_STORE, "model '%s': damaged head (version %u, %u inputs, %u layers, %zu floats)",
                       model, words[0], words[1], words[2], n);
    *w = p + GNN_HEAD_BLOB_WORDS;
    return ERR_OK;
}
