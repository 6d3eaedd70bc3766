/* dist.h - the MPI layer: one rank's view of a distributed job
 * (docs/distributed.md).
 *
 * A dist_t is the communicator a command runs in: rank and size, and the
 * few collectives gnnrec's jobs use. Built without MPI (meson -Dmpi=disabled,
 * or no libopenmpi-dev), dist/single.c is a stub of one rank, so callers
 * never #ifdef: with size 1 every collective is a copy or a no-op and a
 * job's one-process path runs unchanged.
 *
 * MPI is initialised only when a launcher started the process (mpirun,
 * mpiexec or srun put their variables in the environment: see
 * dist_env_size); a plain `gnnrec eval` never touches MPI. Communicator
 * errors are fatal (MPI_ERRORS_ARE_FATAL, MPI's default): a rank that dies
 * makes the launcher stop the others, so a job never hangs on a dead peer.
 *
 * Errors inside a job are agreed before any collective that could wait on a
 * failed rank: each rank calls dist_agree with its own status, and every
 * rank gets the status and message of the lowest-numbered failing rank, so
 * rank 0 can report it once and every rank exits with the same code.
 *
 *   dist_t d;
 *   if (dist_init(&d, &e)) ...;           // size 1 unless launched
 *   rc = local_work(...);
 *   if ((rc = dist_agree(&d, rc, &e))) goto out;
 *   dist_chain_sum(&d, rows, n, width, sums, &e);
 *   dist_finalize(&d);
 */
#ifndef GNNREC_DIST_DIST_H
#define GNNREC_DIST_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

typedef struct dist {
    int rank, size;
    int mpi;          /* 1: dist_init called MPI_Init (dist_finalize ends it) */
} dist_t;

/* 1 when this gnnrec was built with MPI. */
int dist_built(void);

/* The job size and this process's rank as the launcher's environment gives
 * them, without MPI: OMPI_COMM_WORLD_SIZE/RANK (Open MPI's mpirun), PMI_SIZE/
 * PMI_RANK (MPICH's mpiexec, srun --mpi=pmi2), SLURM_STEP_NUM_TASKS/
 * SLURM_PROCID (srun). 0 size when none is set (not launched). Commands that
 * run as one process use it to refuse a run of several ranks. */
int dist_env_size(void);
int dist_env_rank(void);

/* Join the job: MPI_Init when launched (dist_env_size() > 0), else size 1.
 * Without MPI built, a launch of more than one rank is ERR_USAGE (d->rank
 * and d->size are still the environment's, so only rank 0 need print). */
int dist_init(dist_t *d, err_t *e);
/* MPI_Finalize when dist_init started MPI. */
void dist_finalize(dist_t *d);

/* Collective: the status of the lowest-numbered rank whose rc != 0 (ERR_OK
 * when none), with that rank's message in e on every rank ("rank R: ..."
 * prefixed when R != 0). */
int dist_agree(const dist_t *d, int rc, err_t *e);
/* dist_agree, then (all ranks well) that every rank's store copy is rank
 * 0's: the version read transaction t sees (store_txn_version) is the same
 * on every rank, else ERR_USAGE naming the first rank whose copy differs
 * (its copy is older or newer than rank 0's: a distributed train writes
 * rank 0's copy only). Where a distributed job agrees its load went well. */
int dist_agree_store(const dist_t *d, int rc, const store_txn_t *t, err_t *e);
/* The same with the version already read (store_txn_version). */
int dist_agree_version(const dist_t *d, int rc, uint64_t version, err_t *e);

/* Collective: sums [width] = the rows of every rank added one after the
 * other in rank order, rank 0's first: rows [n x width] of this rank, each
 * rank's rows in order. The additions are the ones one process makes going
 * through all rows in order (the running sum passes from rank r to r + 1),
 * so the result is bit-identical to it. Every rank gets sums. width <= 4096. */
int dist_chain_sum(const dist_t *d, const double *rows, uint64_t n, uint32_t width, double *sums, err_t *e);

/* Collective: the sum of v over ranks. */
int dist_sum_u64(const dist_t *d, uint64_t v, uint64_t *sum, err_t *e);
/* Collective: the largest v over ranks. */
int dist_max_u64(const dist_t *d, uint64_t v, uint64_t *max, err_t *e);

/* Collective: the bytes of ranks 1..size-1 to rank 0, one rank after the
 * other in rank order (a distributed job's output joined in rank order).
 * Ranks > 0 call rd(rctx, buf, cap, &n, e) until it gives n == 0, sending
 * each chunk; rank 0 calls wr(wctx, chunk, n, e) for every chunk of rank 1,
 * then rank 2, ... A failing rd ends that rank's stream; after a failing wr
 * rank 0 still receives (and drops) the rest, so no rank waits forever.
 * Returns this rank's first failure: agree on it (dist_agree) afterwards. */
typedef int (*dist_read_fn)(void *ctx, void *buf, size_t cap, size_t *n, err_t *e);
typedef int (*dist_write_fn)(void *ctx, const void *buf, size_t n, err_t *e);
int dist_stream_to_root(const dist_t *d, dist_read_fn rd, void *rctx, dist_write_fn wr, void *wctx, err_t *e);
/* Collective: dist_stream_to_root of a file: every rank > 0 sends the bytes
 * of its file `path` (a rank's output on its own machine); rank 0's wr gets
 * them (its own path is not read). ERR_IO when a file cannot be read. */
int dist_stream_file_to_root(const dist_t *d, const char *path, dist_write_fn wr, void *wctx, err_t *e);

/* Collective: rows of row_bytes bytes each from every rank to every rank
 * (MPI_Alltoallv over a row datatype, so counts stay small): this rank
 * sends scount[q] rows from send + sdispl[q] rows to rank q and receives
 * rcount[q] rows from rank q at recv + rdispl[q] rows ([size] each, in
 * rows). One rank: its own segment copied. *sent (may be NULL) gets the
 * bytes this rank sent to other ranks (what crosses the network). */
int dist_alltoallv(const dist_t *d, const void *send, const int *scount, const int *sdispl, void *recv,
                   const int *rcount, const int *rdispl, size_t row_bytes, uint64_t *sent, err_t *e);

/* Collective: n rows of row_bytes from every rank to rank 0, rank q's at
 * recv + rdispl[q] rows (rcount, rdispl [size], read on rank 0 only). */
int dist_gatherv(const dist_t *d, const void *send, int n, void *recv, const int *rcount, const int *rdispl,
                 size_t row_bytes, err_t *e);

/* Collective: rank 0's bytes [n] to every rank (any size; chunked). */
int dist_bcast(const dist_t *d, void *buf, size_t n, err_t *e);

/* Collective: v [n] summed over ranks, in place, on every rank. */
int dist_sum_doubles(const dist_t *d, double *v, int n, err_t *e);

/* Collective: v of every rank into all [size] on rank 0 (rank order). */
int dist_gather_u64(const dist_t *d, uint64_t v, uint64_t *all, err_t *e);

/* Collective barrier. */
int dist_barrier(const dist_t *d, err_t *e);

/* Rank r's contiguous share [*lo, *hi) of n things split into size parts
 * as evenly as possible (the first n % size ranks get one more). */
void dist_share(uint64_t n, int rank, int size, uint64_t *lo, uint64_t *hi);

#endif
