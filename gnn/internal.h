/* internal.h - what the files of the training engine (model.c, prop.c,
 * bpr.c, sampler.c, gcn.c) share and nobody else should use: the workspace
 * behind gnn_model_t.ws and the per-stage functions of one training step.
 *
 * A step on a batch of T triples (u, i+, i-):
 *   1. prop:    mark the batch's nodes (level 0) and the nodes within
 *               1..K-1 hops (the receptive field) -> dist[], level lists
 *   2. forward: final embeddings of the batch's nodes only
 *   3. bpr:     loss, g = dL/dF on the batch's rows, L2 coefficients
 *   4. backward + Adam (fused for lightgcn/mf; gcn goes through grads)
 * Buffers are dense [n x dim] but only the rows a stage's support needs are
 * written or read; dist[] says which rows are valid.
 */
#ifndef GNNREC_GNN_INTERNAL_H
#define GNNREC_GNN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "gnn/model.h"
#include "gnn/spmm.h"
#include "graph/csr.h"

#define GNN_MAX_LAYERS 8
#define GNN_DIST_FAR 255   /* dist[] of a node outside the receptive field */
#define GNN_WIDE_BATCH 4   /* a batch on more than 1/4 of the nodes skips bcols (prop.c) */

/* gnn_bpr_rows' scratch: nrm [n] squared layer-0 norms (valid on the
 * batch's rows during a call), cz [cap] and lk [2 cap] per triple. */
typedef struct gnn_bpr_ws {
    double *nrm;
    float *cz;
    double *lk;
    size_t cap;
} gnn_bpr_ws_t;

typedef struct gnn_cl_ws gnn_cl_ws_t;   /* contrast.c's */

typedef struct gnn_ws {
    uint32_t n;               /* nodes = n_users + n_items */
    float *g;                 /* [n x dim] dL/dF; zero outside the batch's nodes between steps */
    float *l2;                /* [n] reg * occurrences / T; zero outside the batch's nodes */
    float *buf[2];            /* [n x dim] each: forward Horner sums, then backward ones
                               * (in the half path a half table [n x dim] uses the first half) */
    /* E0 as halves [n x dim], what the half path's first product gathers;
     * rewritten by the fused Adam pass. Valid when e0h_ok and e0h_step ==
     * m->step (gnn_train_epoch clears e0h_ok: params may have been loaded). */
    uint16_t *e0h;
    uint64_t e0h_step;
    int e0h_ok;
    uint8_t *dist;            /* [n] hops from the batch (GNN_DIST_FAR beyond K-1) */
    uint32_t *lists;          /* [GNN_MAX_LAYERS x n]: level j = nodes with dist <= j, ascending */
    uint32_t list_n[GNN_MAX_LAYERS];
    uint32_t *frontier;       /* [n] nodes with dist == j while expanding */
    /* A restricted to the batch's columns, A[:, level 0]: the first backward
     * product gathers from G, which is non-zero on the batch's rows only, so
     * it runs on this (ptr [n+1], col/val [adj nnz] capacity) instead of
     * scanning every neighbour of 75% of the graph for the few in the batch. */
    graph_csr_t bcols;
    uint64_t bcols_cap;       /* entries bcols can hold (0: not allocated) */
    /* what Y_1 gathers G through this step: &bcols, or adj itself when the
     * batch's rows are more than 1/GNN_WIDE_BATCH of the graph (prop.c) */
    const graph_csr_t *y1;
    uint32_t wide;            /* GNN_WIDE_BATCH; 0 = always bcols (tests compare the two) */
    uint64_t *fill;           /* [n + 1] scratch for building bcols */
    /* seconds spent per product since allocation, for bench_train's profile:
     * [j-1] forward Z_j, [GNN_MAX_LAYERS + j-1] backward Y_j (Y_K with Adam) */
    double prof[2 * GNN_MAX_LAYERS];
    double prof_bcols;        /* ... and building bcols (part of gnn_prop_field) */
    gnn_bpr_ws_t bpr;         /* gnn_bpr_rows' scratch (lightgcn/mf steps) */
    /* the epoch's triples, [cap_triples] each (sampler output) */
    uint32_t *tu, *ti, *tj;
    size_t cap_triples;
    uint32_t *active;         /* [n_users] users with a positive and a possible negative */
    uint32_t n_active;
    /* gcn only: per layer k < K, [K x n x dim] each */
    float *gcn_t;             /* A E_k */
    float *gcn_p;             /* (A E_k) W_k, pre-activation */
    float *gcn_e;             /* E_{k+1} = act(p) */
    float *gcn_f;             /* [n x dim] final (mean of layers) */
    float *gcn_dt;            /* [n x dim] scratch gradients */
    float *gcn_dp;            /* [n x dim] */
    float *gcn_de;            /* [n x dim] */
    /* the contrastive term (hp.cl_weight > 0, contrast.c), NULL until its first step */
    gnn_cl_ws_t *cl;
    /* set by gnn_cl_inject for one backward pass, else NULL: the add table of
     * Horner stage inj_stage (G plus the e'_l gradient, on level 0), or, at
     * stage 0, what Y_1 gathers instead of G */
    const float *inj;
    uint32_t inj_stage;
} gnn_ws_t;

/* prop.c */
/* Level 0 = the triples' nodes; expand to dist <= levels-1 and build lists
 * (and bcols when asked: lightgcn with K >= 1). */
int gnn_prop_field(gnn_ws_t *w, const graph_csr_t *adj, uint32_t n_users,
                   const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t,
                   uint32_t levels, int with_bcols, int threads, err_t *e);
/* The rows of level l for a product, NULL when it holds every row. */
const uint32_t *gnn_prop_rows(const gnn_ws_t *w, uint32_t l);
/* Forward over the field: returns z with F[r] = zscale * z[r] valid on level 0.
 * half: intermediate tables as float16 (needs w->e0h current), else float32. */
const float *gnn_lgcn_forward(gnn_model_t *m, const graph_csr_t *adj, int half, float *zscale);
/* Backward from w->g, w->l2: either Adam-updates (fused, grads untouched) or
 * writes m->grads (adam == NULL). gmul > 0 (with adam, K >= 1): the float16
 * path, G scaled by gmul (a power of two) while stored as halves, w->e0h
 * rewritten; gmul == 0: float32 throughout. */
void gnn_lgcn_backward(gnn_model_t *m, const graph_csr_t *adj, const gnn_adam_t *adam, float gmul);
/* Full propagation of every node (inference): out [n x dim]; tmp [n x dim]. */
void gnn_lgcn_embed_all(const gnn_model_t *m, const graph_csr_t *adj, float *out, float *tmp);
/* Clear g and l2 on the level-0 rows (after a step). */
void gnn_prop_clear(gnn_ws_t *w, uint32_t dim);

/* bpr.c: loss of T triples from F = zscale * z, accumulating g and l2 and
 * reading layer-0 rows from emb0 for the L2 term. Returns the batch loss;
 * the same bits whatever threads (0 = all cores). */
double gnn_bpr(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
               const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, float reg,
               float *g, float *l2, int threads);
/* The same for t triples that are a piece of a batch of t_all (t <= t_all):
 * every coefficient and L2 term is scaled by 1/t_all, so the pieces of a
 * batch, run in order into the same g and l2, add each row's terms in the
 * batch's order and give gnn_bpr's bits on the whole batch (dist/step.c
 * runs a large step in pieces to bound its fetched rows); returns the
 * piece's terms / t_all. Only rows below g_rows of g and l2 are written
 * (SIZE_MAX: all), so a caller whose z has rows it wants no gradient for
 * (a rank's fetched rows) puts them last and needs no G for them. gnn_bpr
 * is gnn_bpr_part with t_all = t and every row. */
double gnn_bpr_part(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
                    const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, uint32_t t_all, float reg,
                    float *g, float *l2, size_t g_rows, int threads);

/* The same from a batch whose distinct nodes are rows[0..n_rows) ascending
 * (prop's level 0), with scratch kept between steps (s->nrm [n] is the
 * caller's; NULL, or a failed allocation, falls back to gnn_bpr): the same
 * bits as gnn_bpr, its reference twin, with the layer-0 norms computed once
 * per distinct row instead of gathered per triple. */
double gnn_bpr_rows(const float *z, float zscale, const float *emb0, uint32_t dim, uint32_t n_users,
                    const uint32_t *u, const uint32_t *i, const uint32_t *j, uint32_t t, float reg,
                    const uint32_t *rows, uint32_t n_rows, gnn_bpr_ws_t *s, float *g, float *l2, int threads);
void gnn_bpr_ws_free(gnn_bpr_ws_t *s);

/* contrast.c (gnn/contrast.h says what it computes) */
/* The perturbed propagation over the field: *z with F' = zscale * z valid on
 * level 0 (half: gathers float16 tables, w->e0h current); picks the step's U and I and keeps their e'_l rows. */
int gnn_cl_forward(gnn_model_t *m, const graph_csr_t *adj, const uint32_t *u, const uint32_t *i, uint32_t t,
                   int half, const float **z, float *zscale, err_t *e);
/* InfoNCE of U and I from z (after BPR or before: adds to w->g); *loss its value. */
int gnn_cl_loss(gnn_model_t *m, const float *z, float zscale, double *loss, err_t *e);
/* Before a backward pass, after G is final (scaled by gmul): sets w->inj when
 * the step has a contrastive gradient. */
void gnn_cl_inject(gnn_model_t *m, float gmul);
void gnn_cl_free(gnn_ws_t *w);

/* sampler.c */
/* Users with >= 1 training item and >= 1 item outside their row. */
int gnn_sampler_active(gnn_ws_t *w, const graph_csr_t *train, err_t *e);
/* n_pos = train->nnz positives, `negatives` triples each, into w->tu/ti/tj
 * (grown as needed); deterministic in (seed, epoch) whatever the threads. */
int gnn_sample_epoch(gnn_ws_t *w, const graph_csr_t *train, uint64_t seed, uint32_t epoch,
                     uint32_t negatives, int threads, err_t *e);
/* The epoch's positives [p0, p1) (same triples as gnn_sample_epoch holds
 * there) after gnn_sampler_active: w->tu/ti/tj + *off hold them. */
int gnn_sample_range(gnn_ws_t *w, const graph_csr_t *train, uint64_t seed, uint32_t epoch,
                     uint32_t negatives, uint64_t p0, uint64_t p1, int threads, size_t *off, err_t *e);

/* gcn.c */
int gnn_gcn_alloc(gnn_ws_t *w, uint32_t layers, uint32_t dim, err_t *e);
/* Forward of every node; F in w->gcn_f (or out when non-NULL, for embed). */
void gnn_gcn_forward(const gnn_model_t *m, gnn_ws_t *w, const graph_csr_t *adj, float *out);
/* Backward from w->g, w->l2 into m->grads (embedding and weights). */
void gnn_gcn_backward(gnn_model_t *m, const graph_csr_t *adj);

#endif
