/* mpi.c - dist.h over MPI (Open MPI 4.1 from Debian; any MPI-3 works).
 * MPI_COMM_WORLD is the job; its error handler stays MPI_ERRORS_ARE_FATAL
 * so a failed peer aborts every rank rather than leaving one waiting.
 * OpenMP threads run between the collectives, which only the main thread
 * calls (MPI_THREAD_FUNNELED). */
#include "dist/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

int dist_built(void) { return 1; }

int dist_init(dist_t *d, err_t *e)
{
    memset(d, 0, sizeof *d);
    d->size = 1;
    if (dist_env_size() == 0) return ERR_OK;   /* not launched: one process, MPI untouched */
    int inited = 0, provided = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return err_set(e, ERR_INTERNAL, "MPI_Init failed");
    d->mpi = !inited;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    return ERR_OK;
}

void dist_finalize(dist_t *d)
{
    if (d->mpi) {
        int done = 0;
        MPI_Finalized(&done);
        if (!done) MPI_Finalize();
    }
    d->mpi = 0;
}

int dist_agree(const dist_t *d, int rc, err_t *e)
{
    if (d->size <= 1) return rc;
    int mine = rc ? d->rank : d->size, first = d->size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == d->size) return ERR_OK;
    /* the failing rank's code and message, to everyone */
    struct { int code; char msg[sizeof e->msg]; } m;
    memset(&m, 0, sizeof m);
    if (d->rank == first) {
        m.code = rc;
        if (first == 0) snprintf(m.msg, sizeof m.msg, "%s", e->msg);
        else snprintf(m.msg, sizeof m.msg, "rank %d: %.1000s", first, e->msg[0] ? e->msg : err_strerror(rc));
    }
    MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, first, MPI_COMM_WORLD);
    e->code = m.code;
    snprintf(e->msg, sizeof e->msg, "%s", m.msg);
    return m.code ? m.code : ERR_INTERNAL;
}

int dist_chain_sum(const dist_t *d, const double *rows, uint64_t n, uint32_t width, double *sums, err_t *e)
{
    if (width > 4096) return err_set(e, ERR_INTERNAL, "dist_chain_sum: width %u", width);
    for (uint32_t j = 0; j < width; j++) sums[j] = 0.0;
    if (d->size > 1 && d->rank > 0)
        MPI_Recv(sums, (int)width, MPI_DOUBLE, d->rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (uint64_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < width; j++) sums[j] += rows[i * width + j];
    if (d->size > 1) {
        if (d->rank + 1 < d->size) MPI_Send(sums, (int)width, MPI_DOUBLE, d->rank + 1, 0, MPI_COMM_WORLD);
        MPI_Bcast(sums, (int)width, MPI_DOUBLE, d->size - 1, MPI_COMM_WORLD);
    }
    return ERR_OK;
}

int dist_sum_u64(const dist_t *d, uint64_t v, uint64_t *sum, err_t *e)
{
    (void)e;
    *sum = v;
    if (d->size > 1) MPI_Allreduce(&v, sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return ERR_OK;
}

int dist_max_u64(const dist_t *d, uint64_t v, uint64_t *max, err_t *e)
{
    (void)e;
    *max = v;
    if (d->size > 1) MPI_Allreduce(&v, max, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return ERR_OK;
}

int dist_barrier(const dist_t *d, err_t *e)
{
    (void)e;
    if (d->size > 1) MPI_Barrier(MPI_COMM_WORLD);
    return ERR_OK;
}

#define STREAM_CHUNK (1u << 20)

int dist_stream_to_root(const dist_t *d, dist_read_fn rd, void *rctx, dist_write_fn wr, void *wctx, err_t *e)
{
    if (d->size <= 1) return ERR_OK;
    char *buf = malloc(STREAM_CHUNK);
    int rc = buf ? ERR_OK : err_set(e, ERR_NOMEM, "out of memory for a %u-byte stream buffer", STREAM_CHUNK);
    /* a chunk is its length (int; 0 ends the stream) then its bytes; a rank
     * without a buffer still sends its end so rank 0 does not wait */
    if (d->rank > 0) {
        for (;;) {
            size_t n = 0;
            if (!rc && (rc = rd(rctx, buf, STREAM_CHUNK, &n, e))) n = 0;
            int len = (int)n;
            MPI_Send(&len, 1, MPI_INT, 0, 1, MPI_COMM_WORLD);
            if (len == 0) break;
            MPI_Send(buf, len, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        }
    } else {
        for (int r = 1; r < d->size; r++)
            for (;;) {
                int len = 0;
                MPI_Recv(&len, 1, MPI_INT, r, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (len <= 0) break;
                if (!buf || len > (int)STREAM_CHUNK) {   /* cannot happen between two gnnrec ranks */
                    MPI_Abort(MPI_COMM_WORLD, 1);
                    return ERR_INTERNAL;
                }
                MPI_Recv(buf, len, MPI_BYTE, r, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (!rc) rc = wr(wctx, buf, (size_t)len, e);
            }
    }
    free(buf);
    return rc;
}

/* A contiguous type of row_bytes bytes: counts in rows, not bytes, so a
 * halo of 10^8 rows does not overflow MPI's int counts. */
static MPI_Datatype row_type(size_t row_bytes)
{
    MPI_Datatype t;
    MPI_Type_contiguous((int)row_bytes, MPI_BYTE, &t);
    MPI_Type_commit(&t);
    return t;
}

int dist_alltoallv(const dist_t *d, const void *send, const int *scount, const int *sdispl, void *recv,
                   const int *rcount, const int *rdispl, size_t row_bytes, uint64_t *sent, err_t *e)
{
    if (row_bytes == 0 || row_bytes > INT_MAX) return err_set(e, ERR_INTERNAL, "dist_alltoallv: row of %zu bytes", row_bytes);
    uint64_t out = 0;
    for (int q = 0; q < d->size; q++)
        if (q != d->rank) out += (uint64_t)scount[q] * row_bytes;
    if (sent) *sent = out;
    if (d->size <= 1) {
        if (scount[0]) memcpy((char *)recv + (size_t)rdispl[0] * row_bytes,
                              (const char *)send + (size_t)sdispl[0] * row_bytes, (size_t)scount[0] * row_bytes);
        return ERR_OK;
    }
    MPI_Datatype t = row_type(row_bytes);
    MPI_Alltoallv(send, scount, sdispl, t, recv, rcount, rdispl, t, MPI_COMM_WORLD);
    MPI_Type_free(&t);
    return ERR_OK;
}

int dist_gatherv(const dist_t *d, const void *send, int n, void *recv, const int *rcount, const int *rdispl,
                 size_t row_bytes, err_t *e)
{
    if (row_bytes == 0 || row_bytes > INT_MAX) return err_set(e, ERR_INTERNAL, "dist_gatherv: row of %zu bytes", row_bytes);
    if (d->size <= 1) {
        if (n) memcpy((char *)recv + (size_t)rdispl[0] * row_bytes, send, (size_t)n * row_bytes);
        return ERR_OK;
    }
    MPI_Datatype t = row_type(row_bytes);
    MPI_Gatherv(send, n, t, recv, rcount, rdispl, t, 0, MPI_COMM_WORLD);
    MPI_Type_free(&t);
    return ERR_OK;
}

int dist_bcast(const dist_t *d, void *buf, size_t n, err_t *e)
{
    (void)e;
    if (d->size <= 1) return ERR_OK;
    for (size_t o = 0; o < n; o += 1u << 30) {
        size_t c = n - o < (1u << 30) ? n - o : (1u << 30);
        MPI_Bcast((char *)buf + o, (int)c, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
    return ERR_OK;
}

int dist_sum_doubles(const dist_t *d, double *v, int n, err_t *e)
{
    (void)e;
    if (d->size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return ERR_OK;
}

int dist_gather_u64(const dist_t *d, uint64_t v, uint64_t *all, err_t *e)
{
    (void)e;
    if (d->size <= 1) {
        all[0] = v;
        return ERR_OK;
    }
    MPI_Gather(&v, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    return ERR_OK;
}
