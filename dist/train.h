/* train.h (dist/) - `mpirun -np P gnnrec train`: BPR training of lightgcn
 * and mf across the ranks of a job, owner-computes (docs/distributed.md).
 *
 * Every rank loads the store's training matrix R (its own copy of the
 * store) and the node partition: the one recorded by `gnnrec partition`
 * when it was made for P parts and the current graph, else one made now
 * (METIS when built, on rank 0, broadcast; else the seeded hash). A rank
 * owns the nodes of its part: their layer-0 rows, Adam moments and
 * gradients, their rows of A_hat (dist/halo.h) and a halo of the other
 * ranks' rows its rows reach. A step is the single-process step of
 * gnn/model.h computed by owners:
 *   - every rank draws the step's triples exactly as one process does
 *     (gnn_sample_range, same seed, same chunks);
 *   - forward: K products over the owned rows, each after one halo
 *     exchange of the previous table (float16 or float32 as one process's
 *     tables), Z_K on the owned rows;
 *   - BPR: each rank scores the triples that touch one of its nodes, with
 *     the batch rows it lacks fetched from their owners (one Alltoallv), and
 *     keeps the gradient rows it owns: each row gets every contribution, in
 *     triple order, as in one process; the loss is summed over the triples
 *     of owned users and reduced across ranks;
 *   - backward (A_hat is symmetric): the same products from G, each after a
 *     halo exchange, the last fused with Adam on the owned rows.
 * Every product sums a row's terms in A_hat's column order, so the trained
 * parameters are bit-identical to one process's (the summation order is
 * the same; only the loss's reduction differs in its last bits).
 * Evaluation (every eval_every epochs and at the end): final embeddings by
 * the same owner-computes propagation, kept on their owners; rank 0 reads
 * the item rows and then the evaluated users' rows block by block
 * (dist/rows.h) and computes the metrics with one process's gnn_topk runs.
 * The save: rank 0 writes the finished model in one transaction
 * (gnn_saved_put_filled), each table's blob reserved in LMDB and filled
 * block by block from the ranks' rows, so no rank holds a whole [N x dim]
 * table and eval/infer/rank-feed read it as today. Checkpoints
 * (checkpoint_every) are staged the same way in one process's staging
 * format, and --resume scatters a checkpoint's rows (store ids) to their
 * owners, so any P or one process continues it (dist/evalsave.h). A
 * killed rank makes MPI stop the job; an unfinished save commits nothing.
 * The joint graph (social and knowledge edges): every rank builds only its
 * rows of graph/typed.h's A_hat (dist_halo_init_joint).
 * The step is dist/step.h; evaluation, save and resume dist/evalsave.h.
 * Supported: lightgcn and mf, --loss bpr, the papers' protocol
 * (valid_fraction 0), the interactions or the joint graph, no
 * --init-from, at most DIST_TRAIN_MAX_RANKS ranks; anything else is
 * ERR_USAGE before any work.
 */
#ifndef GNNREC_DIST_TRAIN_H
#define GNNREC_DIST_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "gnn/trainer.h"
#include "store/store.h"

#define DIST_TRAIN_MAX_RANKS 64
#define DIST_TRAIN_FIGURES 7       /* the per-rank arrays of the dist line */

/* What the job measured, per rank (rank 0 holds every rank's figures). */
typedef struct dist_train_stats {
    int ranks;
    char partition[64];           /* "recorded metis", "metis (made now)", "hash (made now)", ... */
    uint64_t edge_cut;            /* undirected edges whose ends are on two ranks */
    uint32_t epochs;              /* epochs trained */
    uint64_t own[DIST_TRAIN_MAX_RANKS], halo[DIST_TRAIN_MAX_RANKS];           /* nodes */
    uint64_t halo_bytes[DIST_TRAIN_MAX_RANKS];    /* sent by the steps' halo exchanges, per epoch */
    uint64_t batch_bytes[DIST_TRAIN_MAX_RANKS];   /* sent by the steps' batch-row fetches, per epoch */
    uint64_t eval_bytes[DIST_TRAIN_MAX_RANKS];    /* sent for evaluations and the save, whole run */
    uint64_t rss_kb[DIST_TRAIN_MAX_RANKS];        /* peak resident set (VmHWM) at the end */
    uint64_t train_rss_kb[DIST_TRAIN_MAX_RANKS];  /* the same before the final save (the training's) */
    double train_seconds;         /* the epochs' training time (no evaluation) */
} dist_train_stats_t;

/* 1 when dist_train_run runs o (d->size ranks); else ERR_USAGE saying why. */
int dist_train_supported(const dist_t *d, const gnn_trainer_opts_t *o, err_t *e);

/* Collective. Train o->hp on store s (writable on rank 0; any mode on the
 * others) and save model `name` from rank 0. o->on_epoch and o->on_note are
 * called on rank 0 only. Errors are agreed: every rank returns the same
 * status. out and st are filled on rank 0. */
int dist_train_run(const dist_t *d, store_t *s, const char *name, const gnn_trainer_opts_t *o,
                   gnn_trainer_result_t *out, dist_train_stats_t *st, err_t *e);

/* st as one JSON object (no newline) into buf [n]: ranks, partition,
 * edge_cut, epochs, train_seconds and the per-rank arrays own_nodes,
 * halo_nodes, halo_bytes_per_epoch, batch_bytes_per_epoch,
 * eval_save_bytes, peak_rss_kb, train_peak_rss_kb (the peak before the final
 * save). Truncated to fit n. */
void dist_train_stats_json(const dist_train_stats_t *st, char *buf, size_t n);

/* This process's peak resident set in kB (VmHWM of /proc/self/status), 0
 * when unknown. */
uint64_t dist_peak_rss_kb(void);

#endif
