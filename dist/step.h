/* step.h (dist/) - one rank's state and the owner-computes BPR step of
 * lightgcn and mf (dist/train.h says how a distributed run is organised;
 * docs/distributed.md what each rank holds).
 *
 * A rank's tables, in local ids (dist/halo.h: owned rows, then the halo):
 *   emb0, am, av [n_own x dim]  layer-0 rows and Adam moments
 *   tab [n_loc x dim]    the one table a product gathers from, with its
 *                        halo rows: float16 or float32 rows as the
 *                        products' tables (E0, Z_j; Y_j in the backward;
 *                        E0's float16 rows are gnn_f2h of emb0 each step,
 *                        the bits one process keeps in a table of its own),
 *                        float32 for G and for dist_step_final's products
 *                        (lightgcn only)
 *   zb [zb_rows x dim]   Z_K on the owned rows, then a piece's fetched
 *                        batch rows, then one zero row (non-touching
 *                        triples); the products' owned rows pass through
 *                        it on their way into tab; after dist_step_final,
 *                        the final embeddings on the owned rows (what the
 *                        save writes)
 *   g [g_rows x dim], l2 [g_rows]  G and the L2 coefficients of the owned
 *                        rows (zero between steps; gnn_bpr_part writes no
 *                        gradient for fetched rows)
 * A step's triples run in pieces (t->piece triples, the same on every
 * rank), each drawn by the sampler in its turn, so the triples in memory
 * are a piece's and zb holds the owned rows plus one piece's fetched rows,
 * not every row a large step names.
 * Assumes every rank loaded the same store (same R, same partition) and
 * got the same options. Uses the training engine's sampler and BPR kernel
 * (gnn/internal.h) unchanged, so a step's arithmetic is one process's.
 *
 *   dist_step_t t = {.d = d, .o = o, .hp = ..., .fit = R, .owner = owner, ...};
 *   dist_step_init(&t, e);                 // halo, tables, E0 as one process draws it
 *   for (epoch ...) dist_step_epoch(&t, epoch, &loss, e);   // collective
 *   dist_step_final(&t, e);                // final embeddings into zb (collective)
 *   dist_step_free_work(&t);               // before the save
 *   dist_step_destroy(&t);
 */
#ifndef GNNREC_DIST_STEP_H
#define GNNREC_DIST_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "dist/halo.h"
#include "dist/train.h"
#include "gnn/internal.h"
#include "gnn/trainer.h"

#define DIST_STEP_PIECES 16   /* most pieces a step is cut into (dist_step_t.piece is raised to fit) */

typedef struct dist_step {
    const dist_t *d;
    const gnn_trainer_opts_t *o;
    gnn_hparams_t hp;             /* the model's (layers 0 for mf) */
    const graph_csr_t *fit;       /* R in training ids */
    const graph_typed_edges_t *joint;   /* the joint graph's lists (o->edges), NULL: R's bipartite graph;
                                         * read by dist_step_init only */
    uint32_t nu, ni, n, dim, K;
    int half;
    uint32_t *owner;              /* [n] rank of each training id */
    dist_halo_t h;
    float *emb0, *am, *av, *zb, *g, *l2;
    void *tab;                    /* [(n_loc + 1) x dim] float32 bytes */
    size_t zb_rows, g_rows;
    gnn_ws_t ws;                  /* the sampler's part only */
    uint64_t step;
    /* the step's batch exchange */
    uint64_t *smask;              /* [n_own] ranks that need an owned row this step */
    uint8_t *need;                /* [n] a remote row this piece needs (zero between pieces) */
    uint64_t *nlist;              /* [nlist_cap] the piece's needed nodes, owner << 32 | node */
    size_t nlist_cap;
    uint32_t piece;               /* triples per piece of a step (raised to fit DIST_STEP_PIECES) */
    int piece_exact;              /* GNNREC_DIST_PIECE_TRIPLES set it: never raised */
    uint32_t *bidx;               /* [n] its row in zb */
    double *nrm;                  /* [zb_rows] squared norm of the layer-0 row (the loss's L2 term) */
    uint32_t *slist;              /* [n_send] owned rows to send, grouped by destination */
    double *snrm;                 /* [n_send] their norms */
    float *sbuf;                  /* [size x round x dim] one round of rows to send */
    size_t slist_cap, snrm_cap, sbuf_cap;
    uint32_t round;               /* rows per destination per exchange of batch rows */
    uint64_t batch_bytes, eval_bytes;
} dist_step_t;

/* The rank's state: its rows of A_hat and halo (dist/halo.h), the tables,
 * and E0 drawn as gnn_model_init_nodes draws it (stream 0 of the seed over
 * every node in order; a rank keeps its rows). Set d, o, hp, fit, joint,
 * nu, ni, n (users + items + entities), dim, K, half and owner first. Not
 * collective. */
int dist_step_init(dist_step_t *t, err_t *e);
void dist_step_destroy(dist_step_t *t);
/* After the last epoch: the step's tables go before the save (zb keeps
 * the final rows the save writes). */
void dist_step_free_work(dist_step_t *t);
/* Collective: one epoch, as gnn_train_epoch: the same steps and triples;
 * *loss the mean of the steps' losses (every rank). */
int dist_step_epoch(dist_step_t *t, uint32_t epoch, double *loss, err_t *e);
/* Collective: the final embeddings (gnn_lgcn_embed_all's products, in
 * float32) on the owned rows, into zb (mf: E0's rows). */
int dist_step_final(dist_step_t *t, err_t *e);

#endif
