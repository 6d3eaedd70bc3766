/* gfcf.h - training-free graph-filter models: GF-CF (Shen et al. 2021),
 * BSPM (Choi et al. 2023) and ChebyCF (Kim et al. 2025), docs/gfcf.md.
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
 *   chebycf: s0 = r Di^-b (b = cheby_beta), L~ = I - 2P (spectrum in [-1, 1]),
 *            s = (sum_{k=0..K} c_k T_k(L~) s0 + alpha s0 V V^T) Di^b
 *            T_k the Chebyshev polynomials (T_k = 2 L~ T_{k-1} - T_{k-2}), c_k
 *            the interpolation of a flat low-pass plateau of flatness phi
 *            (gnn_chebycf_coeffs); V holds svd_k (eta) singular vectors.
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
 * chebycf saves the same records (arch "chebycf"); ease too, with
 * dim = I, gfcf_v = B [I x I] and gfcf_s = diag(P) [I].
 */
#ifndef GNNREC_GNN_GFCF_H
#define GNNREC_GNN_GFCF_H

#include <stdint.h>

#include "base/err.h"
#include "graph/csr.h"

#define GNN_GFCF_VERSION 3u      /* 1: without the cheby_* fields (64 bytes); 2: without ease_lambda (80) */
#define GNN_GFCF_V1_SIZE 64u
#define GNN_GFCF_V2_SIZE 80u
#define GNN_CHEBY_MAX_ORDER 32u

/* gnn_gfcf_params_t.variant */
enum { GNN_GFCF_PLAIN = 0, GNN_GFCF_BSPM = 1, GNN_GFCF_CHEBYCF = 2, GNN_GFCF_ITEMKNN = 3, GNN_GFCF_EASE = 4 };

typedef struct gnn_gfcf_params {
    uint32_t version;
    uint32_t variant;         /* GNN_GFCF_PLAIN (gf-cf), _BSPM, _CHEBYCF */
    float alpha;              /* gf-cf, chebycf: weight of the ideal low-pass term (0.3; chebycf 0.2) */
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
    /* version 2 */
    uint32_t cheby_order;     /* chebycf: Chebyshev order K (8) */
    float cheby_phi;          /* chebycf: flatness of the plateau (1.5) */
    float cheby_beta;         /* chebycf: exponent of the degree normalization (0.4) */
    float knn_shrink;         /* itemknn: shrinkage of the cosine (10); svd_k is its k (100) */
    /* version 3 */
    float ease_lambda;        /* ease: the L2 weight lambda of X^T X + lambda I (500) */
    uint32_t reserved;        /* 0 (no padding bytes of unknown value in the saved record) */
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
    float *di_pre, *di_post;  /* chebycf: [I] Di^-b, Di^b (0 for an empty column) */
    float *di_pre_is;         /* chebycf: [I] Di^-b-1/2 (s0 Di^-1/2, the first hop of s0 P) */
    double coef[GNN_CHEBY_MAX_ORDER + 1];   /* chebycf: c_0..c_K */
    /* chebycf's scorer: R and R^T with items and users renumbered by
     * descending degree (gnn_chebycf_layout, from gnn_gfcf_init), so the
     * rows that most non-zeros read are contiguous in its buffers */
    uint32_t *ch_inew;        /* [I] item -> its rank */
    graph_csr_t ch_r, ch_rt;  /* [U x I], [I x U] in ranks */
    float *ch_du_inv;         /* [U] 1/Du by user rank */
    float *ch_di4;            /* [I] 4/Di by item rank (0 for an empty column) */
    /* itemknn: v [I x k] the similarities of each item's k neighbours, best
     * first, idx [I x k] their items (padding: weight 0); rev the reversed
     * lists: for item i, the (j, sim) with i among j's neighbours */
    const uint32_t *idx;
    uint32_t *idx_own;
    uint64_t *rev_ptr;        /* [I + 1] */
    uint32_t *rev_item;
    float *rev_w;
    /* ease: B's rows in chunks of ease_rows rows (one value of the store
     * holds less than 2 GiB): row i at ease_b[i / ease_rows] +
     * (i % ease_rows) * I; the chunk array owned, the rows borrowed or v_own */
    const float **ease_b;
    uint32_t ease_rows, ease_chunks;
} gnn_gfcf_t;

/* Defaults above into p (variant gf-cf). */
void gnn_gfcf_defaults(gnn_gfcf_params_t *p);
/* The defaults of variant: chebycf takes the paper's gowalla values
 * (alpha 0.2, svd_k = eta 512, order 8, phi 1.5, beta 0.4). */
void gnn_gfcf_defaults_variant(gnn_gfcf_params_t *p, uint32_t variant);

/* A saved parameter record (len bytes, version 1 or 2) into p; ERR_USAGE
 * naming model when it is neither. */
int gnn_gfcf_params_read(const void *blob, size_t len, const char *model, gnn_gfcf_params_t *p, err_t *e);

/* ChebyCF's coefficients c[0..order] (order 1..GNN_CHEBY_MAX_ORDER): the
 * degree-order polynomial sum c_k T_k(x) through the values of the plateau
 * h(x) = 1/2 + 1/2 |x|^phi (x < 0), 1/2 - 1/2 x^phi (x >= 0), taken at the
 * points cos((order - j) pi / order) and rounded to 3 decimals, placed at
 * the Chebyshev nodes x_j = cos((order + 1/2 - j) pi / (order + 1)),
 * j = 0..order (what the authors' code computes; docs/gfcf.md). */
void gnn_chebycf_coeffs(uint32_t order, double phi, double *c);
/* The plateau target values f[0..order] and the nodes x[0..order] above. */
void gnn_chebycf_targets(uint32_t order, double phi, double *f, double *x);

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

/* Building block of the scorers: out [n x I] = (r w) V V^T for the rows of
 * hist with item weights w [I]; x [n x k] zero on entry (scratch). */
void gnn_gfcf_ideal(const gnn_gfcf_t *m, const float *w, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                    float *x, float *out);

/* Building block of the scorers: y [I] += ((r w) R^T Du^-1) R for the row
 * r = items[0..n_it) with item weights w [I] (the caller scales the result
 * by Di^-1/2 on the right). acc [U] zero on entry and exit, touched [U]. */
void gnn_gfcf_sparse_rp(const gnn_gfcf_t *m, const float *w, const uint32_t *items, uint64_t n_it, float *acc,
                        uint32_t *touched, float *y);

/* chebycf's scorer and its reference (gnn/chebycf.c); gnn_gfcf_score and
 * gnn_gfcf_score_ref call them for the chebycf variant. */
int gnn_chebycf_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                      err_t *e);
int gnn_chebycf_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                          float *out, err_t *e);
/* The renumbered copy of R that gnn_chebycf_score reads (ch_*; freed by
 * gnn_gfcf_destroy). Needs rt and the degrees. */
int gnn_chebycf_layout(gnn_gfcf_t *m, err_t *e);

/* itemknn (gnn/itemknn.c): the neighbour tables of the fit (v_own, idx_own,
 * s_own = the mean similarity of the t-th neighbour), or saved tables
 * (borrowed; checked: ERR_USAGE when an item is out of range), and their
 * reversed lists; the scorer and the brute-force reference (dense counts,
 * a full sort per item). */
int gnn_itemknn_fit(gnn_gfcf_t *m, int threads, err_t *e);
int gnn_itemknn_set(gnn_gfcf_t *m, const float *w, const uint32_t *idx, uint32_t k, err_t *e);
int gnn_itemknn_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                      err_t *e);
int gnn_itemknn_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                          float *out, err_t *e);

/* ease (gnn/ease.c; Steck 2019): B = I - P diag(1/diag(P)) with
 * P = (X^T X + lambda I)^-1, X = R, fitted densely (OpenBLAS spotrf +
 * spotri, I^3 flops) into v_own = B [I x I] (k = I) and s_own = diag(P)
 * [I]; the score of a history row r is r B. budget: the bytes the I x I
 * matrix may take (0 = half of the machine's memory): past it, and when
 * X^T X + lambda I is not positive definite (lambda 0 with an empty
 * item), ERR_USAGE and nothing fitted. The reference inverts in double
 * (Gauss-Jordan). */
int gnn_ease_fit(gnn_gfcf_t *m, int threads, size_t budget, err_t *e);
/* How B is saved: chunk c of gnn_ease_chunks(I) holds the rows
 * [c r, min((c + 1) r, I)) with r = gnn_ease_chunk_rows(I) (under 2 GiB a
 * chunk: a larger value fails the store's write), under the key
 * gnn_ease_chunk_key(c) ("gfcf_v", "gfcf_v1", ...; buf of 24). */
uint32_t gnn_ease_chunk_rows(uint32_t n_items);
uint32_t gnn_ease_chunks(uint32_t n_items);
/* The rows chunk c holds (c < gnn_ease_chunks(n_items)): r, or what is
 * left for the last one. */
uint32_t gnn_ease_chunk_len(uint32_t n_items, uint32_t c);
const char *gnn_ease_chunk_key(uint32_t c, char *buf);
/* Score from saved chunks (borrowed, gnn_ease_chunks(I) of them, each
 * checked by the caller to hold its rows); the pointer array is copied. */
int gnn_ease_set(gnn_gfcf_t *m, const float *const *chunks, err_t *e);
int gnn_ease_score(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                   err_t *e);
int gnn_ease_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n, float *out,
                       err_t *e);

/* The variant of an architecture name (gf-cf, bspm, chebycf, itemknn, ease; -1
 * for any other) and back. */
int gnn_gfcf_variant_of(const char *arch);
const char *gnn_gfcf_variant_name(uint32_t variant);

/* Plain reference: forms P densely (I x I, tiny inputs only) and applies the
 * equations above literally, in double. out [n x I]. */
int gnn_gfcf_score_ref(const gnn_gfcf_t *m, const graph_csr_t *hist, const uint32_t *rows, uint32_t n,
                       float *out, err_t *e);

#endif
