/* gfcf.h - training-free graph-filter models: GF-CF (Shen et al. 2021) and
 * BSPM (Choi et al. 2023), docs/gfcf.md.
 *
 * R [U x I] is the binary training matrix, Du, Di its user and item degrees,
 * R~ = Du^-1/2 R Di^-1/2 and P = R~^T R~ [I x I] the normalized item graph.
 * V [I x k] holds the top k right singular vectors of R~. For a query whose
 * history is the binary row r [1 x I] (a training row, or a new user's items):
 *   ideal(r) = r Di^-1/2 V V^T Di^1/2
 *   gf-cf:   s = r P + alpha * ideal(r)
 *   bspm:    y0 = r P + beta * ideal(r)                  (blurring, one step)
 *            dy/dt = -y P on [0, T_s], K_s steps of h = T_s / K_s   (sharpening)
 *              Euler: y <- y - h y P
 *              RK4:   y <- y + h/6 (k1 + 2 k2 + 2 k3 + k4), k1 = -y P,
 *                     k2 = -(y + h/2 k1) P, k3 = -(y + h/2 k2) P, k4 = -(y + h k3) P
 *            s = y_{K_s}
 * Items with no training interaction have Di = 0: their Di^-1/2 and Di^1/2 are
 * taken as 0, so they score 0 in every term.
 *
 * P is never formed: r P = ((r Di^-1/2) R^T Du^-1) R Di^-1/2 is computed per
 * query with two sparse passes through the users that share an item with r
 * (a dense [U] accumulator per thread), and y P for a dense y the same way
 * over all of R. The ideal term is one SGEMM per block of queries.
 *
 * The fit is a randomized SVD (Halko, Martinsson, Tropp 2011) with subspace
 * iterations: SpMMs with R~ and R~^T, QR factorizations (LAPACK sgeqrf /
 * sorgqr from OpenBLAS) and the SVD of a small (k+p) x (k+p) factor (sgesdd).
 *
 * Saved models (gnn/saved.h conventions): meta (arch "gf-cf" or "bspm",
 * dim = svd_k), config (YAML text), gfcf (gnn_gfcf_params_t), gfcf_v
 * float32 [n_items x svd_k], gfcf_s float32 [svd_k] (singular values).
 */
#ifndef GNNREC_GNN_GFCF_H
#define GNNREC_GNN_GFCF_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"

#define GNN_GFCF_VERSION 1u

typedef struct gnn_gfcf_params {
    uint32_t version;
    uint32_t bspm;            /* 0: gf-cf, 1: bspm */
    float alpha;              /* gf-cf: weight of the ideal low-pass term (0.3) */
    uint32_t svd_k;           /* singular vectors kept (256) */
    uint32_t svd_oversample;  /* extra columns of the randomized SVD (64) */
    uint32_t svd_iters;       /* subspace iterations, each one product with P (8) */
    uint64_t seed;            /* of the random start */
    float beta;               /* bspm: weight of the ideal term in y0 (0.2) */
    float t_s;                /* bspm: sharpening time T_s (2.5) */
    uint32_t k_s;             /* bspm: steps of the sharpening (1) */
    uint32_t rk4;             /* bspm: 1 = RK4 steps, 0 = Euler steps (1) */
    uint32_t n_users, n_items;
    uint64_t nnz;             /* training interactions fitted on (detects appended data) */
} gnn_gfcf_params_t;

typedef struct gnn_gfcf {
    gnn_gfcf_params_t p;
    uint32_t n_users, n_items, k;
    const graph_csr_t *r;     /* R [U x I], borrowed */
    graph_csr_t rt;           /* R^T [I x U] */
    float *du_inv;            /* [U] 1/Du (0 for an empty row) */
    float *di_is, *di_s;      /* [I] Di^-1/2, Di^1/2 (0 for an empty column) */
    const float *v;           /* [I x k] right singular vectors (owned or borrowed) */
    float *v_own, *s_own;     /* [I x k], [k] when fitted here */
} gnn_gfcf_t;

/* Defaults above into p. */
void gnn_gfcf_defaults(gnn_gfcf_params_t *p);

/* Degrees and R^T of r (borrowed: must outlive m); no SVD yet. */
int gnn_gfcf_init(gnn_gfcf_t *m, const graph_csr_t *r, const gnn_gfcf_params_t *p, err_t *e);

/* Randomized SVD of R~: m->v (= v_own) [I x k] and s_own [k], descending.
 * k = min(svd_k, U, I). threads: 0 = all cores. */
int gnn_gfcf_fit(gnn_gfcf_t *m, int threads, err_t *e);

/* Use a saved V [I x k] (borrowed) instead of fitting. */
void gnn_gfcf_set_v(gnn_gfcf_t *m, const float *v, uint32_t k);

void gnn_gfcf_destroy(gnn_gfcf_t *m);

/* A callback scorer over m (borrowed; m must outlive it and not move). */
struct gnn_scorer;   /* gnn/scorer.h */
void gnn_gfcf_scorer(gnn_gfcf_t *m, struct gnn_scorer *s);

/* The scorer's callback: out [n x I] for history rows rows[0..n) of hist. */
int gnn_gfcf_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                   float *out, err_t *e);

/* Plain reference: forms P densely (I x I, tiny inputs only) and applies the
 * equations above literally, in double. out [n x I]. */
int gnn_gfcf_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                       float *out, err_t *e);

#endif
