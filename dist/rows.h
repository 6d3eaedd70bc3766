/* rows.h (dist/) - rank 0 reads rows of tables that are spread over the
 * ranks of a job, block by block, in the order it asks for them: what the
 * distributed trainer's evaluation and save use so that no rank, rank 0
 * included, holds a whole [N x dim] table (docs/distributed.md).
 *
 * Every rank holds its owned rows of up to DIST_ROWS_TABLES tables,
 * [n_own x dim] float32 each, owned row k being the k-th node (training
 * id, ascending) the partition gives the rank (owner, pos as dist/halo.h).
 * Requests name nodes in store ids (perm maps a store id to its training
 * id, or NULL when they are the same), either a range [a, b) of store ids
 * or the entries [a, b) of a list every rank was given (the evaluated
 * users). A request is collective: rank 0 broadcasts it and every rank
 * sends the requested rows it owns, in request order (one MPI_Gatherv);
 * rank 0 puts them in order. So rank 0 serves its own calls from a loop
 * (dist_rows_get ... dist_rows_stop) while the other ranks sit in
 * dist_rows_serve, answering until the stop: rank 0 can request inside a
 * store write transaction, and ask again when LMDB reruns it.
 *
 * Buffers are made once (dist_rows_init: block rows, 16 MiB of rows per
 * buffer by default, GNNREC_DIST_BLOCK_ROWS=N overrides it for tests), so
 * serving never allocates and never fails between two collectives.
 */
#ifndef GNNREC_DIST_ROWS_H
#define GNNREC_DIST_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "dist/dist.h"

#define DIST_ROWS_TABLES 4

typedef struct dist_rows {
    const dist_t *d;
    uint32_t n, dim;                  /* nodes (store ids 0..n-1), floats per row */
    const uint32_t *owner, *pos;      /* borrowed [n], by training id */
    const uint32_t *perm;             /* borrowed [n] training id of each store id, or NULL */
    const float *tab[DIST_ROWS_TABLES];   /* this rank's rows [n_own x dim], set before serving */
    const uint32_t *list;             /* borrowed [n_list] store ids (the same on every rank) */
    uint64_t n_list;
    uint32_t block;                   /* rows per request at most */
    float *send, *recv;               /* [block x dim] */
    uint8_t *src;                     /* rank 0: [block] owner rank of each requested row */
    uint64_t bytes;                   /* bytes this rank sent to rank 0 (ranks > 0) */
} dist_rows_t;

/* Buffers for blocks of rows (collective only in that every rank calls it
 * before the first request; agree on its status). d->size <= 256. */
int dist_rows_init(dist_rows_t *r, const dist_t *d, uint32_t n, uint32_t dim, const uint32_t *owner,
                   const uint32_t *pos, const uint32_t *perm, err_t *e);
void dist_rows_destroy(dist_rows_t *r);

/* Rank 0: rows of table tab for the store ids [a, b) (from_list: for
 * list[a..b)) into out [(b - a) x dim], b - a <= r->block. */
int dist_rows_get(dist_rows_t *r, int tab, int from_list, uint64_t a, uint64_t b, float *out, err_t *e);
/* Rank 0: rows [a, b) of table tab, a whole range in blocks, into out
 * [(b - a) x dim]. */
int dist_rows_get_range(dist_rows_t *r, int tab, uint64_t a, uint64_t b, float *out, err_t *e);
/* Rank 0: ends the other ranks' dist_rows_serve. */
int dist_rows_stop(dist_rows_t *r, err_t *e);
/* Ranks > 0: answer rank 0's requests until dist_rows_stop. */
int dist_rows_serve(dist_rows_t *r, err_t *e);
/* Collective, the other way (not inside a serving loop): rank 0's table
 * src [n x dim] in store ids (read on rank 0 only) to its owners, each
 * rank's rows into dst [n_own x dim] at their pos: blocks of store ids, one
 * Alltoallv each. What --resume of a distributed run restores E0 and the
 * Adam moments with. */
int dist_rows_scatter(dist_rows_t *r, const float *src, float *dst, err_t *e);

#endif
