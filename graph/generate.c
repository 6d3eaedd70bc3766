/* generate.c - see generate.h. igraph's RNG is seeded from p->seed for the
 * social network; everything else draws from gnnrec's own rng, so the same
 * seed gives the same files. */
#include "graph/generate.h"

#include <igraph.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

void graph_gen_defaults(graph_gen_params_t *p)
{
    *p = (graph_gen_params_t){.n_users = 2000, .n_items = 1000, .n_communities = 8, .min_items = 10,
                              .max_items = 60, .p_in = 0.01, .p_out = 0.0002, .p_own = 0.7,
                              .p_friend = 0.2, .seed = 2020};
}

/* Draw a 0-based rank from Zipf(1) over n ranks by inverting the CDF table. */
static uint32_t zipf(rng_t *r, const double *cdf, uint32_t n)
{
    double u = rng_double(r) * cdf[n - 1];
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int graph_gen_check(const graph_gen_params_t *p, err_t *e)
{
    if (p->n_users < 2) return err_set(e, ERR_USAGE, "generate: need at least 2 users, got %u", p->n_users);
    if (p->n_communities < 1 || p->n_items < p->n_communities)
        return err_set(e, ERR_USAGE, "generate: need 1 <= communities (%u) <= items (%u)", p->n_communities,
                       p->n_items);
    if (p->min_items < 1 || p->max_items < p->min_items || p->max_items > p->n_items / 2)
        return err_set(e, ERR_USAGE, "generate: need 1 <= min_items (%u) <= max_items (%u) <= items/2 (%u)",
                       p->min_items, p->max_items, p->n_items / 2);
    return ERR_OK;
}

int graph_generate(const graph_gen_params_t *p, FILE *fi, FILE *fs, err_t *e)
{
    uint32_t nu = p->n_users, ni = p->n_items, nc = p->n_communities;
    int rc = graph_gen_check(p, e);
    if (rc) return rc;
    igraph_t g;
    igraph_matrix_t pref;
    igraph_vector_int_t sizes, nb;
    double *cdf = NULL;
    uint8_t *taken = NULL;
    uint32_t *comm_of = NULL;
    if (igraph_matrix_init(&pref, nc, nc)) return err_set(e, ERR_NOMEM, "out of memory");
    if (igraph_vector_int_init(&sizes, nc)) { igraph_matrix_destroy(&pref); return err_set(e, ERR_NOMEM, "out of memory"); }
    for (uint32_t a = 0; a < nc; a++) {
        VECTOR(sizes)[a] = nu / nc + (a < nu % nc);
        for (uint32_t b = 0; b < nc; b++) MATRIX(pref, a, b) = a == b ? p->p_in : p->p_out;
    }
    /* igraph 0.10's sbm_game ends in igraph_fatal (abort) when its edge
     * list cannot grow, whatever the error handler (issue 20 #10). So check
     * first that the memory it will need can be had: about 96 bytes per
     * expected edge (the edge list while it doubles, then the graph's from,
     * to and two index vectors, with slack). Probing with malloc catches
     * ulimit -v and overcommit refusals; it touches no page. */
    double edges = 0;
    for (uint32_t a = 0; a < nc; a++)
        for (uint32_t b = a; b < nc; b++) {
            double na = (double)VECTOR(sizes)[a], nb_ = (double)VECTOR(sizes)[b];
            edges += a == b ? na * (na - 1) / 2 * p->p_in : na * nb_ * p->p_out;
        }
    double need = 96.0 * edges + 64.0 * nu;
    void *probe = need < 9e18 ? malloc((size_t)need) : NULL;
    if (!probe) {
        igraph_matrix_destroy(&pref);
        igraph_vector_int_destroy(&sizes);
        return err_set(e, ERR_NOMEM, "out of memory: the social network of %u users would have about %.3g edges "
                       "(%.1f GiB for igraph); use fewer --users or the large-graph mode (--interactions)",
                       nu, edges, need / 1073741824.0);
    }
    free(probe);
    igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)p->seed);
    igraph_error_t ig = igraph_sbm_game(&g, nu, &pref, &sizes, 0, 0);
    igraph_matrix_destroy(&pref);
    igraph_vector_int_destroy(&sizes);
    if (ig) return err_set(e, ERR_INTERNAL, "igraph_sbm_game: %s", igraph_strerror(ig));
    if (igraph_vector_int_init(&nb, 0)) { igraph_destroy(&g); return err_set(e, ERR_NOMEM, "out of memory"); }

    /* users are laid out block by block: community of user u */
    comm_of = malloc(nu * sizeof *comm_of);
    uint32_t per = (ni + nc - 1) / nc;
    cdf = malloc(per * sizeof *cdf);
    taken = calloc(ni, 1);
    if (!comm_of || !cdf || !taken) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t u = 0, c = 0, left = nu / nc + (0 < nu % nc); u < nu; u++) {
        if (left == 0) { c++; left = nu / nc + (c < nu % nc); }
        comm_of[u] = c;
        left--;
    }
    for (uint32_t k = 0; k < per; k++) cdf[k] = (k ? cdf[k - 1] : 0.0) + 1.0 / (k + 1.0);

    igraph_integer_t ne = igraph_ecount(&g);
    for (igraph_integer_t k = 0; k < ne; k++)
        fprintf(fs, "u%lld\tu%lld\n", (long long)IGRAPH_FROM(&g, k), (long long)IGRAPH_TO(&g, k));

    rng_t r;
    rng_seed_stream(&r, p->seed, 0x9e4);
    uint32_t *mine = malloc(p->max_items * sizeof *mine);
    if (!mine) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (uint32_t u = 0; u < nu; u++) {
        uint32_t n = p->min_items + rng_below(&r, p->max_items - p->min_items + 1), got = 0;
        igraph_neighbors(&g, &nb, u, IGRAPH_ALL);
        int64_t t = 1500000000 + (int64_t)rng_below(&r, 1000000);
        for (uint32_t tries = 0; got < n && tries < 20 * n; tries++) {
            double x = rng_double(&r);
            uint32_t c;
            if (x < p->p_own) c = comm_of[u];
            else if (x < p->p_own + p->p_friend && igraph_vector_int_size(&nb) > 0)
                c = comm_of[VECTOR(nb)[rng_below(&r, (uint32_t)igraph_vector_int_size(&nb))]];
            else c = rng_below(&r, nc);
            /* items of community c are c, c + nc, c + 2 nc, ... */
            uint32_t count = (ni - c + nc - 1) / nc;
            uint32_t item = c + nc * zipf(&r, cdf, count);
            if (taken[item]) continue;
            taken[item] = 1;
            mine[got++] = item;
            t += 60 + rng_below(&r, 86400);
            fprintf(fi, "u%u\ti%u\t%u\t%lld\n", u, item, 1 + rng_below(&r, 5), (long long)t);
        }
        for (uint32_t k = 0; k < got; k++) taken[mine[k]] = 0;
    }
    free(mine);
    if (ferror(fi) || ferror(fs)) rc = err_set(e, ERR_IO, "generate: write error");
out:
    igraph_vector_int_destroy(&nb);
    igraph_destroy(&g);
    free(comm_of); free(cdf); free(taken);
    return rc;
}
