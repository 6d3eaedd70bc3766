/* sampler.c - the epoch's BPR triples, drawn as LightGCN-PyTorch does:
 * n_train positives, each a uniform user among those with a training item,
 * then one of its items uniformly, then `negatives` items drawn uniformly
 * and rejected while they are in the user's training row.
 *
 * Chunks of CHUNK positives each own an rng stream derived from (seed,
 * epoch, chunk): the triples depend neither on the thread count nor on how
 * the epoch is cut. gnn_train_epoch draws one step's chunks at a time
 * (gnn_sample_range), so the triples in memory are a batch's, not an
 * epoch's (at 10^8 interactions and 4 negatives an epoch is 4.8 GB of
 * triples); a chunk that straddles two steps is drawn twice, which is
 * cheap next to the step. Users whose row holds every item have no
 * negative and are left out (LightGCN would loop forever on them).
 */
#include <stdlib.h>

#include <omp.h>

#include "base/rng.h"
#include "gnn/internal.h"

#define CHUNK 4096

int gnn_sampler_active(gnn_ws_t *w, const graph_csr_t *train, err_t *e)
{
    free(w->active);
    w->active = malloc(((size_t)train->n_rows + 1) * sizeof *w->active);
    if (!w->active) return err_set(e, ERR_NOMEM, "out of memory for the sampler");
    uint32_t n = 0;
    for (uint32_t u = 0; u < train->n_rows; u++) {
        uint64_t d = train->ptr[u + 1] - train->ptr[u];
        if (d > 0 && d < train->n_cols) w->active[n++] = u;
    }
    w->n_active = n;
    return ERR_OK;
}

/* Grow w->tu/ti/tj to hold need triples. */
static int reserve(gnn_ws_t *w, size_t need, err_t *e)
{
    if (need <= w->cap_triples) return ERR_OK;
    free(w->tu); free(w->ti); free(w->tj);
    w->tu = malloc(need * sizeof *w->tu);
    w->ti = malloc(need * sizeof *w->ti);
    w->tj = malloc(need * sizeof *w->tj);
    w->cap_triples = need;
    if (!w->tu || !w->ti || !w->tj) {
        free(w->tu); free(w->ti); free(w->tj);
        w->tu = w->ti = w->tj = NULL;
        w->cap_triples = 0;
        return err_set(e, ERR_NOMEM, "out of memory for %zu training triples", need);
    }
    return ERR_OK;
}

int gnn_sample_range(gnn_ws_t *w, const graph_csr_t *train, uint64_t seed, uint32_t epoch,
                     uint32_t negatives, uint64_t p0, uint64_t p1, int threads, size_t *off, err_t *e)
{
    const uint64_t n_pos = train->nnz;
    if (p1 > n_pos) p1 = n_pos;
    if (p0 >= p1) return err_set(e, ERR_INTERNAL, "empty sample range %llu..%llu", (unsigned long long)p0,
                                 (unsigned long long)p1);
    if (w->n_active == 0)
        return err_set(e, ERR_INPUT, "no user has both a training item and a possible negative");
    /* whole chunks: chunk c is always drawn from its own stream from its
     * start, so a range gets the triples the whole epoch would hold there */
    const uint64_t c0 = p0 / CHUNK, c1 = (p1 + CHUNK - 1) / CHUNK, q0 = c0 * CHUNK;
    const uint64_t q1 = c1 * CHUNK < n_pos ? c1 * CHUNK : n_pos;
    int rc = reserve(w, (size_t)(q1 - q0) * negatives, e);
    if (rc) return rc;
    const uint32_t *active = w->active, n_active = w->n_active, n_items = train->n_cols;
    uint32_t *tu = w->tu, *ti = w->ti, *tj = w->tj;
    /* stream ids above 2^32 keep epochs apart from the initialisation stream */
    const uint64_t base = ((uint64_t)epoch + 1) << 32;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(gnn_team(threads, 32.0 * (q1 - q0) * negatives))
    for (uint64_t c = c0; c < c1; c++) {
        rng_t r;
        rng_seed_stream(&r, seed, base + c);
        uint64_t hi = (c + 1) * CHUNK < n_pos ? (c + 1) * CHUNK : n_pos;
        for (uint64_t p = c * CHUNK; p < hi; p++) {
            uint32_t u = active[rng_below(&r, n_active)];
            uint64_t b = train->ptr[u], deg = train->ptr[u + 1] - b;
            uint32_t i = train->col[b + rng_below(&r, (uint32_t)deg)];
            for (uint32_t k = 0; k < negatives; k++) {
                uint32_t j;
                do j = rng_below(&r, n_items); while (graph_csr_has(train, u, j));
                size_t t = (size_t)(p - q0) * negatives + k;
                tu[t] = u; ti[t] = i; tj[t] = j;
            }
        }
    }
    *off = (size_t)(p0 - q0) * negatives;
    return ERR_OK;
}

int gnn_sample_epoch(gnn_ws_t *w, const graph_csr_t *train, uint64_t seed, uint32_t epoch,
                     uint32_t negatives, int threads, err_t *e)
{
    /* recomputed every epoch: microseconds, and never stale */
    int rc = gnn_sampler_active(w, train, e);
    if (rc) return rc;
    size_t off;
    return gnn_sample_range(w, train, seed, epoch, negatives, 0, train->nnz, threads, &off, e);
}
