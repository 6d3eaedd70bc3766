/* common.c - what dist.h needs in both builds (with MPI and the one-rank
 * stub): the launcher's environment, the contiguous split, a file streamed
 * to rank 0, the check that every rank reads the same store version. */
#include "dist/dist.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ranks whose versions rank 0 gathers to name the first that differs */
#define DIST_MAX_RANKS_CHECKED 1024

/* A positive decimal integer from the environment, or -1. */
static long env_long(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) return -1;
    char *end;
    long x = strtol(v, &end, 10);
    return *end || x < 0 || x > 1 << 24 ? -1 : x;
}

int dist_env_size(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        long x = env_long(names[i]);
        if (x > 0) return (int)x;
    }
    return 0;
}

int dist_env_rank(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        long x = env_long(names[i]);
        if (x >= 0) return (int)x;
    }
    return 0;
}

void dist_share(uint64_t n, int rank, int size, uint64_t *lo, uint64_t *hi)
{
    uint64_t p = size > 0 ? (uint64_t)size : 1, r = rank > 0 ? (uint64_t)rank : 0;
    if (r >= p) r = p - 1;
    uint64_t q = n / p, extra = n % p;
    *lo = r * q + (r < extra ? r : extra);
    *hi = *lo + q + (r < extra);
}

typedef struct file_reader { FILE *f; const char *path; } file_reader_t;

static int read_chunk(void *ctx, void *buf, size_t cap, size_t *n, err_t *e)
{
    file_reader_t *fr = ctx;
    *n = fr->f ? fread(buf, 1, cap, fr->f) : 0;   /* no file (it failed to open): an empty stream */
    if (*n == 0 && ferror(fr->f)) return err_set(e, ERR_IO, "%s: %s", fr->path, strerror(errno));
    return ERR_OK;
}

int dist_stream_file_to_root(const dist_t *d, const char *path, dist_write_fn wr, void *wctx, err_t *e)
{
    file_reader_t fr = {NULL, path};
    int rc = ERR_OK;
    if (d->rank > 0 && !(fr.f = fopen(path, "rb"))) rc = err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    /* a rank that cannot open its file still takes part: it sends nothing */
    int rs = dist_stream_to_root(d, read_chunk, &fr, wr, wctx, e);
    if (fr.f) fclose(fr.f);
    return rc ? rc : rs;
}

int dist_agree_store(const dist_t *d, int rc, const store_txn_t *t, err_t *e)
{
    /* a rank that failed may have no transaction to read: its version is
     * never compared, since dist_agree_version stops at the failure */
    return dist_agree_version(d, rc, rc ? 0 : store_txn_version(t), e);
}

int dist_agree_version(const dist_t *d, int rc, uint64_t mine, err_t *e)
{
    if ((rc = dist_agree(d, rc, e)) || d->size < 2) return rc;
    uint64_t all[DIST_MAX_RANKS_CHECKED] = {0};
    uint64_t hi = 0, lo = 0;
    if ((rc = dist_max_u64(d, mine, &hi, e)) || (rc = dist_max_u64(d, UINT64_MAX - mine, &lo, e))) return rc;
    if (hi == UINT64_MAX - lo) return ERR_OK;   /* every rank the same version */
    if (d->size <= DIST_MAX_RANKS_CHECKED && (rc = dist_gather_u64(d, mine, all, e))) return rc;
    if (d->rank == 0) {
        int r = 1;
        while (r < d->size && r < DIST_MAX_RANKS_CHECKED && all[r] == all[0]) r++;
        if (r < d->size && r < DIST_MAX_RANKS_CHECKED)
            rc = err_set(e, ERR_USAGE, "rank %d's copy of the store is not rank 0's (version %llu, rank 0's %llu): "
                         "a distributed train writes rank 0's copy only; copy rank 0's store directory to every "
                         "machine again (docs/distributed.md)", r, (unsigned long long)all[r],
                         (unsigned long long)all[0]);
        else
            rc = err_set(e, ERR_USAGE, "the ranks' copies of the store differ (versions %llu to %llu): copy rank 0's "
                         "store directory to every machine again (docs/distributed.md)",
                         (unsigned long long)(UINT64_MAX - lo), (unsigned long long)hi);
    }
    return dist_agree(d, rc, e);
}
