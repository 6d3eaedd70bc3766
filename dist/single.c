/* single.c - dist.h without MPI: a job of one rank. Every collective is
 * the one-process case (a copy or nothing); a launch of several ranks is
 * refused, since each would do the whole job and print it. */
#include "dist/dist.h"

#include <string.h>

int dist_built(void) { return 0; }

int dist_init(dist_t *d, err_t *e)
{
    memset(d, 0, sizeof *d);
    d->size = 1;
    int n = dist_env_size();
    if (n > 1) {
        d->rank = dist_env_rank();
        d->size = n;
        return err_set(e, ERR_USAGE, "started as one of %d ranks, but this gnnrec was built without MPI "
                                     "(install libopenmpi-dev and build with meson -Dmpi=enabled)", n);
    }
    return ERR_OK;
}

void dist_finalize(dist_t *d) { d->mpi = 0; }

int dist_agree(const dist_t *d, int rc, err_t *e)
{
    (void)d;
    (void)e;
    return rc;
}

int dist_chain_sum(const dist_t *d, const double *rows, uint64_t n, uint32_t width, double *sums, err_t *e)
{
    (void)d;
    (void)e;
    for (uint32_t j = 0; j < width; j++) sums[j] = 0.0;
    for (uint64_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < width; j++) sums[j] += rows[i * width + j];
    return ERR_OK;
}

int dist_sum_u64(const dist_t *d, uint64_t v, uint64_t *sum, err_t *e)
{
    (void)d;
    (void)e;
    *sum = v;
    return ERR_OK;
}

int dist_max_u64(const dist_t *d, uint64_t v, uint64_t *max, err_t *e)
{
    (void)d, (void)e;
    *max = v;
    return ERR_OK;
}

int dist_barrier(const dist_t *d, err_t *e)
{
    (void)d;
    (void)e;
    return ERR_OK;
}

int dist_stream_to_root(const dist_t *d, dist_read_fn rd, void *rctx, dist_write_fn wr, void *wctx, err_t *e)
{
    (void)d, (void)rd, (void)rctx, (void)wr, (void)wctx, (void)e;
    return ERR_OK;   /* rank 0 alone: nothing to receive */
}

int dist_alltoallv(const dist_t *d, const void *send, const int *scount, const int *sdispl, void *recv,
                   const int *rcount, const int *rdispl, size_t row_bytes, uint64_t *sent, err_t *e)
{
    (void)d, (void)rcount, (void)e;
    if (sent) *sent = 0;
    if (scount[0]) memcpy((char *)recv + (size_t)rdispl[0] * row_bytes,
                          (const char *)send + (size_t)sdispl[0] * row_bytes, (size_t)scount[0] * row_bytes);
    return ERR_OK;
}

int dist_gatherv(const dist_t *d, const void *send, int n, void *recv, const int *rcount, const int *rdispl,
                 size_t row_bytes, err_t *e)
{
    (void)d, (void)rcount, (void)e;
    if (n) memcpy((char *)recv + (size_t)rdispl[0] * row_bytes, send, (size_t)n * row_bytes);
    return ERR_OK;
}

int dist_bcast(const dist_t *d, void *buf, size_t n, err_t *e)
{
    (void)d, (void)buf, (void)n, (void)e;
    return ERR_OK;
}

int dist_sum_doubles(const dist_t *d, double *v, int n, err_t *e)
{
    (void)d, (void)v, (void)n, (void)e;
    return ERR_OK;
}

int dist_gather_u64(const dist_t *d, uint64_t v, uint64_t *all, err_t *e)
{
    (void)d, (void)e;
    all[0] = v;
    return ERR_OK;
}
