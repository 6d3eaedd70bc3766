/* stats.c - see stats.h. Counts come from the store's entry counts (no
 * scan); degrees from the training CSR and its transpose; components from
 * igraph over graph_load_igraph's whole graph. */
#include "graph/stats.h"

#include <stdlib.h>
#include <string.h>

#include "graph/load.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int graph_degsum(const graph_csr_t *m, graph_degsum_t *d, err_t *e)
{
    memset(d, 0, sizeof *d);
    if (m->n_rows == 0) return ERR_OK;
    uint64_t *deg = malloc(m->n_rows * sizeof *deg);
    if (!deg) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint32_t r = 0; r < m->n_rows; r++) deg[r] = m->ptr[r + 1] - m->ptr[r];
    qsort(deg, m->n_rows, sizeof *deg, cmp_u64);
    uint64_t n = m->n_rows;
    d->min = deg[0];
    d->max = deg[n - 1];
    d->median = deg[(n - 1) / 2];
    uint64_t r99 = (99 * n + 99) / 100;   /* ceil(0.99 n), 1-based rank */
    d->p99 = deg[(r99 ? r99 : 1) - 1];
    d->mean = (double)m->nnz / (double)n;
    free(deg);
    return ERR_OK;
}

static void count_model(const char *name, void *ctx)
{
    (void)name;
    (*(uint64_t *)ctx)++;
}

/* Weak components of the whole training graph. */
static int components(store_txn_t *t, graph_stats_t *st, err_t *e)
{
    igraph_t ig;
    int rc = graph_load_igraph(t, &ig, e);
    if (rc) return rc;
    igraph_vector_int_t csize;
    igraph_integer_t ncomp = 0;
    if (igraph_vector_int_init(&csize, 0)) {
        igraph_destroy(&ig);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    if (igraph_connected_components(&ig, NULL, &csize, &ncomp, IGRAPH_WEAK))
        rc = err_set(e, ERR_INTERNAL, "igraph: connected components failed");
    else if (ncomp > 0) st->largest = igraph_vector_int_max(&csize);
    st->components = ncomp;
    igraph_vector_int_destroy(&csize);
    igraph_destroy(&ig);
    return rc;
}

void graph_rating_summary_add(const float *r, uint64_t n, graph_rating_summary_t *out)
{
    graph_rating_summary_t *s = out;
    for (uint64_t i = 0; i < n; i++) {
        const float v = r[i];
        if (!s->n || v < s->min) s->min = v;
        if (!s->n || v > s->max) s->max = v;
        s->mean += ((double)v - s->mean) / (double)(s->n + 1);   /* running mean: no large sums */
        s->n++;
        if (s->n_values < 0) continue;
        int k = 0;
        while (k < s->n_values && s->value[k] < v) k++;
        if (k < s->n_values && s->value[k] == v) { s->count[k]++; continue; }
        if (s->n_values == GRAPH_RATING_VALUES) { s->n_values = -1; continue; }
        memmove(s->value + k + 1, s->value + k, (size_t)(s->n_values - k) * sizeof *s->value);
        memmove(s->count + k + 1, s->count + k, (size_t)(s->n_values - k) * sizeof *s->count);
        s->value[k] = v;
        s->count[k] = 1;
        s->n_values++;
    }
}

static int ratings(store_txn_t *t, graph_stats_t *st, err_t *e)
{
    graph_rating_summary_t *s = &st->ratings;
    for (int k = STORE_TRAIN; k <= STORE_TEST; k++) {
        graph_ratings_t r;
        int rc = graph_load_ratings(t, k, &r, e);
        if (rc) return rc;
        graph_rating_summary_add(r.rating, r.n, s);
        if (k == STORE_TRAIN) s->train = r.n;
        else s->test = r.n;
        graph_ratings_destroy(&r);
    }
    if (s->n_values < 0) s->n_values = 0;
    return ERR_OK;
}

/* Counts and degrees within t. */
static int counts(store_txn_t *t, graph_stats_t *st, err_t *e)
{
    int rc = ERR_OK;
    for (int n = 0; n < STORE_N_NODE && !rc; n++) rc = store_count_nodes(t, n, &st->nodes[n], e);
    for (int k = 0; k < STORE_N_EDGES && !rc; k++) rc = store_count_edges(t, k, &st->edges[k], e);
    if (!rc) rc = store_model_list(t, count_model, &st->models, e);
    if (rc) return rc;
    store_partition_t p;
    rc = store_partition_get(t, &p, e);
    if (rc == ERR_OK) {
        st->partition_parts = p.parts;
        st->partition_method = p.method;
        st->partition_seed = p.seed;
        st->partition_edge_cut = p.edge_cut;
        rc = store_partition_current(t, &p, &st->partition_current, e);
        store_partition_destroy(&p);
    } else if (rc == ERR_NOTFOUND) {
        rc = ERR_OK;
    }
    if (rc) return rc;
    graph_interactions_t g;
    graph_csr_t rt;
    if ((rc = graph_load_interactions(t, &g, e))) return rc;
    if (!(rc = graph_degsum(&g.train, &st->user_degree, e)) && !(rc = graph_csr_transpose(&g.train, &rt, e))) {
        rc = graph_degsum(&rt, &st->item_degree, e);
        graph_csr_destroy(&rt);
    }
    graph_interactions_destroy(&g);
    return rc ? rc : ratings(t, st, e);
}

int graph_stats(store_t *s, graph_stats_t *st, err_t *e)
{
    memset(st, 0, sizeof *st);
    store_txn_t t;
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    if (!(rc = counts(&t, st, e))) rc = components(&t, st, e);
    store_read_end(&t);
    store_disk_size(s, &st->disk, NULL);
    const uint64_t *nd = st->nodes;
    st->total_nodes = nd[STORE_USER] + nd[STORE_ITEM] + nd[STORE_ENTITY];
    if (nd[STORE_USER] && nd[STORE_ITEM])
        st->density = (double)st->edges[STORE_TRAIN] / ((double)nd[STORE_USER] * (double)nd[STORE_ITEM]);
    return rc;
}
