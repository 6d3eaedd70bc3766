/* common.c - what dist.h needs in both builds (with MPI and the one-rank
 * stub): the launcher's environment and the contiguous split. */
#include "dist/dist.h"

#include <stdlib.h>

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
