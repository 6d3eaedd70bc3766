/* head.h - the MLP scoring head (`train --head mlp --mlp-layers 64,32`,
 * NeuMF/NCF's MLP tower): a user's and an item's final embeddings,
 * concatenated, through ReLU layers to one score. The default head is the
 * dot product (GNN_HEAD_DOT), which needs nothing here.
 *
 *   x   = [e_u ; e_i]                  [2 in]
 *   z_1 = relu(W_1 x + c_1)            W_1 [w_1 x 2 in]
 *   z_l = relu(W_l z_(l-1) + c_l)      W_l [w_l x w_(l-1)], l = 2..L
 *   s   = v . z_L + c_o                v [w_L]
 * Parameters, one array [n_params] (row-major): W_1, c_1, ..., W_L, c_L, v, c_o.
 * Initialisation (gnn_head_init): W_l normal with std sqrt(2 / fan_in)
 * (He), v normal with std sqrt(1 / w_L), biases 0; seeded.
 *
 * Kernels, each with a plain-loop reference twin (_ref) that a unit test
 * holds it to (tests/test_head.c):
 *   gnn_head_forward   a batch of n pairs X [n x 2 in] -> act (Z_1..Z_L,
 *                      [n x w_l] each, one after the other) and s [n]:
 *                      one OpenBLAS SGEMM per layer
 *   gnn_head_backward  dL/ds [n] -> gw += dL/dw, dX := dL/dX [n x 2 in]
 *   gnn_head_score_items  one user against n items (ranking): the first
 *                      layer splits, W_1 x = W_1u e_u + W_1i e_i, and the item
 *                      half B = E_items W_1i^T + c_1 [n_items x w_1] is
 *                      computed once per model (gnn_head_item_part); then
 *                      one SGEMM per further layer over the items
 *   gnn_head_score_pairs  n arbitrary (user, item) pairs from the two
 *                      halves of layer 1 (gnn_head_user_part,
 *                      gnn_head_item_part), then plain vectorizable loops
 *                      per pair (a pair's bits independent of the batch)
 * The saved form (blob "head" of a model, gnn/saved.h): 8 u32 words
 * {1, in, L, w_1, w_2, w_3, w_4, 0} (unused widths 0) then the n_params
 * floats. The head reads the first `in` columns of the saved embedding
 * rows; any further columns (a rating model's biases, gnn/rating.h) add
 * their dot product to s (gnn_head_pair).
 */
#ifndef GNNREC_GNN_HEAD_H
#define GNNREC_GNN_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GNN_HEAD_MAX_LAYERS 4
#define GNN_HEAD_MAX_WIDTH 4096
#define GNN_HEAD_BLOB_WORDS 8

typedef enum { GNN_HEAD_DOT, GNN_HEAD_MLP } gnn_head_kind_t;

typedef struct gnn_head {
    uint32_t in;                              /* width of one side's embedding */
    uint32_t n_layers;                        /* L, 1..GNN_HEAD_MAX_LAYERS (0: no head) */
    uint32_t width[GNN_HEAD_MAX_LAYERS];      /* w_1..w_L */
    size_t n_params;                          /* floats of the parameter array */
    uint32_t n_act;                           /* w_1 + ... + w_L: activations per pair */
    uint32_t max_width;                       /* max(w_l) */
} gnn_head_t;

/* --head's names in GNN_HEAD_* order, NULL-terminated. */
const char *const *gnn_head_names(void);

/* "64,32" -> width[] and *n (1..GNN_HEAD_MAX_LAYERS widths of 1..4096);
 * ERR_USAGE naming --mlp-layers otherwise. */
int gnn_head_parse(const char *spec, uint32_t *width, uint32_t *n, err_t *e);

/* The head over embeddings of width in (1..4096) with the layer widths given. */
int gnn_head_setup(gnn_head_t *h, uint32_t in, const uint32_t *width, uint32_t n_layers, err_t *e);

/* w [n_params] initialised as above from seed. */
void gnn_head_init(const gnn_head_t *h, float *w, uint64_t seed);

/* Batch forward: X [n x 2 in], act [n x n_act], s [n]. */
void gnn_head_forward(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, float *s);
void gnn_head_forward_ref(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, float *s);

/* Batch backward from the forward's act (overwritten: it becomes the
 * layers' gradients): ds [n] = dL/ds; gw [n_params] += dL/dw; dX [n x 2 in]
 * := dL/dX; tmp [n x max_width] scratch. */
void gnn_head_backward(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act, const float *ds,
                       float *gw, float *dX, float *tmp);
void gnn_head_backward_ref(const gnn_head_t *h, const float *w, const float *X, uint32_t n, float *act,
                           const float *ds, float *gw, float *dX, float *tmp);

/* One pair the plain way: s(e_u, e_i) with e_u, e_i [in]. */
float gnn_head_score_ref(const gnn_head_t *h, const float *w, const float *eu, const float *ei);
/* A saved model's prediction for one pair of rows of width `width` >= in:
 * s(first in columns) + the dot product of the rest. */
float gnn_head_pair(const gnn_head_t *h, const float *w, const float *urow, const float *irow, uint32_t width);
/* s plus the dot product of the rows' columns past in (a rating model's
 * biases), added to s one column at a time: gnn_head_pair's rule for a head
 * score s computed elsewhere (rank-feed's batches), with the same bits. */
float gnn_head_add_extra(const gnn_head_t *h, float s, const float *urow, const float *irow, uint32_t width);

/* B [n_items x w_1] = the item half of layer 1 plus c_1, for item rows
 * items[i * stride .. + in). */
void gnn_head_item_part(const gnn_head_t *h, const float *w, const float *items, size_t stride, uint32_t n_items,
                        float *B);
/* out [n_items] = s(eu, item i) from B; scratch [2 x n_items x max_width]. */
void gnn_head_score_items(const gnn_head_t *h, const float *w, const float *eu, const float *B, uint32_t n_items,
                          float *scratch, float *out);

/* A [n_users x w_1] = the user half of layer 1 (no bias: B has c_1), for
 * user rows users[u * stride .. + in). */
void gnn_head_user_part(const gnn_head_t *h, const float *w, const float *users, size_t stride, uint32_t n_users,
                        float *A);
/* The weights of layers 2..L transposed, wt [gnn_head_upper_floats(h)]
 * (what gnn_head_score_pairs reads). */
size_t gnn_head_upper_floats(const gnn_head_t *h);
void gnn_head_upper_transpose(const gnn_head_t *h, const float *w, float *wt);
/* out [n] = s(pair t) for n pairs given as rows of the two halves: user
 * half A[ua[t]] (gnn_head_user_part), item half B[ib[t]]
 * (gnn_head_item_part), then layers 2..L pair by pair from wt in a fixed
 * order, not by SGEMM: a pair's score does not depend on the other pairs
 * of the call (SGEMM's rounding depends on a row's place in the block),
 * so rank-feed's output is the same bytes whatever the batching, threads or
 * input order. Reference twin: gnn_head_score_ref per pair. */
void gnn_head_score_pairs(const gnn_head_t *h, const float *w, const float *wt, const float *A, const uint32_t *ua,
                          const float *B, const uint32_t *ib, uint32_t n, float *out);

/* The blob: GNN_HEAD_BLOB_WORDS words then the parameters. */
size_t gnn_head_blob_bytes(const gnn_head_t *h);
void gnn_head_blob_write(const gnn_head_t *h, const float *w, void *blob);
/* p [n floats] as read zero-copy: h and *w (a view into p). ERR_STORE
 * ("model 'x': damaged head") when the words or sizes are wrong, or in >
 * dim (the model's embedding width). */
int gnn_head_blob_read(const float *p, size_t n, const char *model, uint32_t dim, gnn_head_t *h, const float **w,
                       err_t *e);

#endif
