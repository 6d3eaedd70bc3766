/* arch.h - the one table of architectures: every name `train --arch` takes,
 * what kind of model it is and what it can do. Code asks this table
 * ("can it fold in?", "is it scored by a filter?") instead of comparing
 * architecture names; adding an architecture is adding a row to arch.c.
 *
 * Kinds:
 *   GNN_KIND_EMBED   trained embeddings (gnn_model_t with BPR, or gnn/rating.h's
 *                    models on ratings); scored by dot products of the saved
 *                    final embeddings
 *   GNN_KIND_COUNT   no training: popularity counts saved as 1-dim embeddings
 *   GNN_KIND_FILTER  training-free graph filters (gnn/gfcf.h); scored from
 *                    the training graph and a saved SVD factor (itemknn: a
 *                    saved neighbour table)
 */
#ifndef GNNREC_GNN_ARCH_H
#define GNNREC_GNN_ARCH_H

#include <stdint.h>

#include "base/err.h"

typedef enum gnn_arch_id {
    GNN_ARCH_LIGHTGCN,
    GNN_ARCH_MF,
    GNN_ARCH_GCN,
    GNN_ARCH_POP,
    GNN_ARCH_KGLIGHTGCN,
    GNN_ARCH_GFCF,
    GNN_ARCH_BSPM,
    GNN_ARCH_CHEBYCF,
    GNN_ARCH_ITEMKNN,
    GNN_ARCH_EASE,
    GNN_ARCH_SVDPP,       /* appended: saved models keep their arch_id */
    GNN_ARCH_N            /* the number of architectures; not one */
} gnn_arch_id_t;

typedef enum gnn_arch_kind { GNN_KIND_EMBED, GNN_KIND_COUNT, GNN_KIND_FILTER } gnn_arch_kind_t;

/* Capabilities (bit flags of gnn_arch_t.caps) */
enum {
    GNN_CAP_BPR = 1u << 0,        /* trained by gnn_model_* with BPR and Adam */
    GNN_CAP_FOLDIN = 1u << 1,     /* new users placed without retraining (gnn/foldin.h) */
    GNN_CAP_JOINT = 1u << 2,      /* may train on social/knowledge edges (graph/typed.h) */
    GNN_CAP_NEEDS_KG = 1u << 3,   /* needs knowledge edges in its graph */
    GNN_CAP_PROPAGATES = 1u << 4, /* final embeddings are propagated layer-0 rows (layers > 0) */
    GNN_CAP_MSE = 1u << 5,        /* trains on explicit ratings with --loss mse (gnn/rating.h) */
    GNN_CAP_IMPLICIT = 1u << 6,   /* SVD++'s implicit term: user row p_u + |N(u)|^-1/2 sum_N(u) y_j
                                   * (gnn/rating.h; ratings only, no --head mlp) */
    GNN_CAP_WARM = 1u << 7,       /* parameters a warm start can take over: node rows (and a rating
                                   * model's biases, y rows, head), nothing else (gnn/warm.h) */
};

typedef struct gnn_arch {
    gnn_arch_id_t id;
    const char *name;             /* as in --arch, configs and the saved meta */
    gnn_arch_kind_t kind;
    unsigned caps;                /* GNN_CAP_* */
    uint32_t default_layers;      /* --layers default (mf: always 0) */
} gnn_arch_t;

/* The row of id (id < GNN_ARCH_N). */
const gnn_arch_t *gnn_arch_get(gnn_arch_id_t id);
/* The row named name, or NULL. */
const gnn_arch_t *gnn_arch_find(const char *name);
/* The row named name, or ERR_USAGE "unknown architecture 'x' (lightgcn, mf, ...)". */
int gnn_arch_lookup(const char *name, const gnn_arch_t **out, err_t *e);
/* All names in id order, NULL-terminated (what cli_get_choice takes). */
const char *const *gnn_arch_names(void);
/* Does the architecture named name have every capability in caps?
 * (0 for an unknown name.) */
int gnn_arch_can(const char *name, unsigned caps);

#endif
