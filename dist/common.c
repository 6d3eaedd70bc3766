/* common.c - what dist.h needs in both builds (with MPI and the one-rank
 * stub): the launcher's environment, the contiguous split, a file streamed
 * to rank 0. */
#include "dist/dist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
