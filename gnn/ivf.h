/* ivf.h - an inverted-file index over item embeddings: approximate top-K by
 * inner product for the nightly "top-K for every user" job, where exact
 * all-ranking costs users x items x dim (1M x 200k x 64 is 12.8 TFLOP).
 *
 * Build: k-means (L2, seeded, SGEMM for the distances) on the item rows puts
 * every item in one of nlist lists; the rows are stored again in list order
 * so that one list is one contiguous [size x dim] matrix.
 * Query: a block of users scores the centroids (one SGEMM), each user probes
 * its nprobe best lists (by inner product with the centroid), and each list
 * scores all the users that probe it in one SGEMM, so the work is BLAS-3
 * like the exact kernel's but over ~nprobe/nlist of the items. Each user's
 * best k of every probed list are merged into its top-k.
 *
 * Same output contract as gnn_topk (gnn/eval.h): exclusion of seen items by
 * a CSR, best first, ties to the smaller item index, NaN never returned, a
 * short list padded with GNN_ITEM_NONE / -INFINITY. With nprobe = nlist the
 * result equals gnn_topk's (tests/test_ivf.c); below that it is approximate
 * and bench/scale.sh reports its recall against the exact top-K.
 *
 * The index's arrays are either owned (built) or borrowed (views into a
 * saved model's blobs, gnn_ivf_view); gnn_ivf_destroy frees only owned ones.
 */
#ifndef GNNREC_GNN_IVF_H
#define GNNREC_GNN_IVF_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"

typedef struct gnn_ivf {
    uint32_t n_items, dim, nlist;
    const float *centroids;    /* [nlist x dim] */
    const uint32_t *list_ptr;  /* [nlist + 1]: list l holds positions list_ptr[l] .. list_ptr[l+1]-1 */
    const uint32_t *list_item; /* [n_items]: the item id at each position */
    const float *list_emb;     /* [n_items x dim]: the item's row at each position */
    void *owned;               /* the one allocation of a built index, or NULL for a view */
} gnn_ivf_t;

/* Build over items [n_items x dim]. nlist 0 = about 4 sqrt(n_items);
 * iters k-means rounds (0 = 10) on a seeded sample of at most 256 rows per
 * list, then every item is assigned to its nearest centroid. */
int gnn_ivf_build(gnn_ivf_t *ix, const float *items, uint32_t n_items, uint32_t dim, uint32_t nlist,
                  uint32_t iters, uint64_t seed, int threads, err_t *e);

/* A view over arrays kept elsewhere (a saved model's blobs); checks that
 * list_ptr is monotone and ends at n_items and that every list_item is an
 * item (ERR_CORRUPT otherwise). */
int gnn_ivf_view(gnn_ivf_t *ix, uint32_t n_items, uint32_t dim, uint32_t nlist, const float *centroids,
                 const uint32_t *list_ptr, const uint32_t *list_item, const float *list_emb, err_t *e);

void gnn_ivf_destroy(gnn_ivf_t *ix);

/* Approximate top-k of n_q queries q [n_q x dim], probing nprobe lists each
 * (clamped to 1..nlist). exclude / exclude_row / outputs as gnn_topk. */
int gnn_ivf_topk(const gnn_ivf_t *ix, const float *q, uint32_t n_q, const graph_csr_t *exclude,
                 const uint32_t *exclude_row, uint32_t k, uint32_t nprobe, int threads, uint32_t *out_items,
                 float *out_scores, err_t *e);

#endif
