/* partition.c - graph/partition.h: the hash baseline, what a partition
 * costs, and the store job (load the joint graph, partition, record).
 * METIS itself is in part_metis.c (part_nometis.c without libmetis-dev).
 * Assumes the adjacency is symmetric with sorted rows and no self-loops, as
 * graph_typed_build makes it. */
#include "graph/partition.h"

#include <stdlib.h>
#include <string.h>

#include "graph/load.h"
#include "graph/typed.h"

const char *graph_part_method_name(int method)
{
    return method == GRAPH_PART_HASH ? "hash" : method == GRAPH_PART_METIS ? "metis" : "?";
}

int graph_part_method_parse(const char *name, int *method, err_t *e)
{
    if (!strcmp(name, "hash")) *method = GRAPH_PART_HASH;
    else if (!strcmp(name, "metis")) *method = GRAPH_PART_METIS;
    else return err_set(e, ERR_USAGE, "--method: '%s' is not a partition method (metis, hash)", name);
    return ERR_OK;
}

/* splitmix64's finalizer: every bit of the id and seed moves every bit */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int graph_partition_hash(uint32_t n_nodes, uint32_t parts, uint64_t seed, uint32_t *part)
{
    uint64_t s = mix64(seed ^ 0x9e3779b97f4a7c15ull);
    for (uint32_t v = 0; v < n_nodes; v++)
        part[v] = (uint32_t)(((mix64(s + v) >> 32) * (uint64_t)parts) >> 32);
    return ERR_OK;
}

void graph_part_stats_destroy(graph_part_stats_t *st)
{
    if (!st) return;
    free(st->part_nodes);
    free(st->halo_nodes);
    free(st->part_entries);
    memset(st, 0, sizeof *st);
}

int graph_partition_eval(const graph_csr_t *adj, const uint32_t *part, uint32_t parts, graph_part_stats_t *st,
                         err_t *e)
{
    memset(st, 0, sizeof *st);
    uint32_t n = adj->n_rows;
    st->parts = parts;
    st->nodes = n;
    st->part_nodes = calloc(parts, sizeof *st->part_nodes);
    st->halo_nodes = calloc(parts, sizeof *st->halo_nodes);
    st->part_entries = calloc(parts, sizeof *st->part_entries);
    uint32_t *seen = malloc((size_t)parts * sizeof *seen);   /* [parts] last node that counted p */
    if (!st->part_nodes || !st->halo_nodes || !st->part_entries || !seen) {
        free(seen);
        graph_part_stats_destroy(st);
        return err_set(e, ERR_NOMEM, "partition: out of memory for %u parts", parts);
    }
    for (uint32_t p = 0; p < parts; p++) seen[p] = UINT32_MAX;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t pv = part[v];
        st->part_nodes[pv]++;
        st->part_entries[pv] += adj->ptr[v + 1] - adj->ptr[v];
        /* v is in the halo of every other part it has an edge into, once */
        for (uint64_t k = adj->ptr[v]; k < adj->ptr[v + 1]; k++) {
            uint32_t w = adj->col[k], pw = part[w];
            if (w > v) {
                st->edges++;
                st->edge_cut += pw != pv;
            }
            if (pw != pv && seen[pw] != v) {
                seen[pw] = v;
                st->halo_nodes[pw]++;
            }
        }
    }
    free(seen);
    st->min_part_nodes = parts ? st->part_nodes[0] : 0;
    for (uint32_t p = 0; p < parts; p++) {
        if (st->part_nodes[p] > st->max_part_nodes) st->max_part_nodes = st->part_nodes[p];
        if (st->part_nodes[p] < st->min_part_nodes) st->min_part_nodes = st->part_nodes[p];
        if (st->halo_nodes[p] > st->max_halo_nodes) st->max_halo_nodes = st->halo_nodes[p];
        if (st->part_entries[p] > st->max_part_entries) st->max_part_entries = st->part_entries[p];
        st->total_halo_nodes += st->halo_nodes[p];
    }
    st->balance = n ? (double)st->max_part_nodes * parts / n : 0.0;
    return ERR_OK;
}

/* The joint graph of the store as the trainer's typed builder makes it
 * (every edge type present, unit weights), and the counts it was made of. */
static int load_graph(store_txn_t *t, graph_typed_t *g, store_partition_t *rec, err_t *e)
{
    uint64_t nu, ni, tr, so, kg;
    graph_csr_t train = {0};
    int rc;
    if ((rc = store_count_nodes(t, STORE_USER, &nu, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e)) ||
        (rc = store_count_edges(t, STORE_TRAIN, &tr, e)) || (rc = store_count_edges(t, STORE_SOCIAL, &so, e)) ||
        (rc = store_count_edges(t, STORE_KG, &kg, e)))
        return rc;
    if (nu > UINT32_MAX || ni > UINT32_MAX) return err_set(e, ERR_STORE, "too many users or items");
    if ((rc = graph_load_csr(t, STORE_TRAIN, (uint32_t)nu, (uint32_t)ni, &train, e))) return rc;
    graph_typed_opts_t o = {.interaction = 1, .social = so > 0, .knowledge = kg > 0, .w_social = 1.0f,
                            .w_knowledge = 1.0f, .per_type_norm = 0};
    rc = graph_typed_load(t, &train, &o, g, e);
    graph_csr_destroy(&train);
    if (rc) return rc;
    rec->n_users = g->n_users;
    rec->n_items = g->n_items;
    rec->n_entities = g->n_entities;
    rec->n_train = tr;
    rec->n_social = so;
    rec->n_kg = kg;
    return ERR_OK;
}

/* the write transaction: the graph must be the one partitioned */
static int put_record(store_txn_t *t, void *ctx, err_t *e)
{
    const store_partition_t *rec = ctx;
    int current = 0, rc = store_partition_current(t, rec, &current, e);
    if (rc) return rc;
    if (!current)
        return err_set(e, ERR_USAGE, "the store's graph changed while it was being partitioned (run partition again)");
    return store_partition_put(t, rec, e);
}

int graph_partition_run(store_t *s, const graph_part_opts_t *o, store_partition_t *rec, graph_part_stats_t *st,
                        err_t *e)
{
    store_txn_t t = {0};
    graph_typed_t g;
    memset(&g, 0, sizeof g);
    memset(rec, 0, sizeof *rec);
    memset(st, 0, sizeof *st);
    int rc = ERR_OK;
    if (o->method != GRAPH_PART_HASH && o->method != GRAPH_PART_METIS)
        return err_set(e, ERR_USAGE, "partition: unknown method %d", o->method);
    if (o->method == GRAPH_PART_METIS && !graph_partition_metis_built())
        return err_set(e, ERR_USAGE, "--method metis: this gnnrec was built without METIS "
                                     "(install libmetis-dev and rebuild; or use --method hash)");
    if (o->parts == 0 || o->parts > GRAPH_PART_MAX)
        return err_set(e, ERR_USAGE, "--parts: %u, must be 1..%u", o->parts, GRAPH_PART_MAX);
    if ((rc = store_read_begin(s, &t, e))) return rc;
    rc = load_graph(&t, &g, rec, e);
    store_read_end(&t);
    if (rc) goto out;
    uint32_t n = g.adj.n_rows;
    if (o->parts > n) {
        rc = err_set(e, ERR_USAGE, "--parts: %u parts for a graph of %u nodes", o->parts, n);
        goto out;
    }
    rec->parts = o->parts;
    rec->method = (uint32_t)o->method;
    rec->seed = o->seed;
    rec->balance = o->method == GRAPH_PART_METIS ? (uint32_t)o->balance : GRAPH_PART_BY_NODES;
    if (!(rec->part = malloc((size_t)(n ? n : 1) * sizeof *rec->part))) {
        rc = err_set(e, ERR_NOMEM, "partition: out of memory for %u nodes", n);
        goto out;
    }
    if (o->method == GRAPH_PART_HASH) rc = graph_partition_hash(n, o->parts, o->seed, rec->part);
    else rc = graph_partition_metis(&g.adj, o->parts, o->seed, o->balance, rec->part, e);
    if (rc || (rc = graph_partition_eval(&g.adj, rec->part, o->parts, st, e))) goto out;
    rec->edge_cut = st->edge_cut;
    rc = store_write(s, put_record, rec, e);
out:
    graph_typed_destroy(&g);
    if (rc) {
        store_partition_destroy(rec);
        graph_part_stats_destroy(st);
    }
    return rc;
}
