/* cmd_stats.c - `gnnrec stats`: what is in a store. Counts come from the
 * store's entry counts; degrees from the training CSR; connected components
 * from igraph over the whole training graph (interactions, social ties and
 * kg triples). Read-only: it never writes to the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/load.h"
#include "store/store.h"
#include "tools/cli.h"
#include "tools/commands.h"

static const char usage_text[] =
    "usage: gnnrec stats --store DIR [--json]\n"
    "\n"
    "Counts of nodes and edges per type, degree summaries (min / median / p99 / max)\n"
    "of users and items in training, connected components of the training graph\n"
    "(interactions + social + kg, via igraph) and the interaction density.\n"
    "  --json   one JSON object on stdout (keys: users, items, entities, relations,\n"
    "           train_interactions, test_interactions, social_edges, kg_triples,\n"
    "           user_degree, item_degree, components, largest_component, density, models)\n";

static const cli_flag_t flags[] = {"json", "help", NULL};
static const char *const known[] = {"store", "json", "help", NULL};

typedef struct degsum { uint64_t min, median, p99, max; double mean; } degsum_t;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Degree summary of the rows of m; nearest-rank percentiles. */
static int summarize(const graph_csr_t *m, degsum_t *d, err_t *e)
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

int cli_cmd_stats(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    store_t s;
    int rc, help = 0, json = 0, opened = 0, in_txn = 0, have_graph = 0, have_ig = 0;
    const char *dir;
    store_txn_t t;
    graph_interactions_t g;
    igraph_t ig;
    cli_opts_init(&o);
    if ((rc = cli_parse_argv(&o, argc, argv, flags, &e)) || (rc = cli_get_bool(&o, "help", 0, &help, &e)))
        goto out;
    if (help) { fputs(usage_text, stdout); goto out; }
    if ((rc = cli_check_unknown(&o, known, &e)) || (rc = cli_need_str(&o, "store", &dir, &e)) ||
        (rc = cli_get_bool(&o, "json", 0, &json, &e)))
        goto out;
    if ((rc = store_open(&s, dir, STORE_RDONLY, &e))) goto out;
    opened = 1;
    if ((rc = store_read_begin(&s, &t, &e))) goto out;
    in_txn = 1;

    uint64_t nodes[STORE_N_NODE], edges[STORE_N_EDGES], models = 0, disk = 0;
    for (int n = 0; n < STORE_N_NODE; n++)
        if ((rc = store_count_nodes(&t, n, &nodes[n], &e))) goto out;
    for (int k = 0; k < STORE_N_EDGES; k++)
        if ((rc = store_count_edges(&t, k, &edges[k], &e))) goto out;
    if ((rc = store_model_list(&t, count_model, &models, &e))) goto out;
    store_disk_size(&s, &disk, NULL);
    if ((rc = graph_load_interactions(&t, &g, &e))) goto out;
    have_graph = 1;
    degsum_t du, di;
    graph_csr_t rt;
    if ((rc = summarize(&g.train, &du, &e)) || (rc = graph_csr_transpose(&g.train, &rt, &e))) goto out;
    rc = summarize(&rt, &di, &e);
    graph_csr_destroy(&rt);
    if (rc) goto out;
    if ((rc = graph_load_igraph(&t, &ig, &e))) goto out;
    have_ig = 1;
    igraph_vector_int_t csize;
    igraph_integer_t ncomp = 0, largest = 0;
    igraph_vector_int_init(&csize, 0);
    if (igraph_connected_components(&ig, NULL, &csize, &ncomp, IGRAPH_WEAK)) {
        igraph_vector_int_destroy(&csize);
        rc = err_set(&e, ERR_INTERNAL, "igraph: connected components failed");
        goto out;
    }
    if (ncomp > 0) largest = igraph_vector_int_max(&csize);
    igraph_vector_int_destroy(&csize);
    double density = nodes[STORE_USER] && nodes[STORE_ITEM]
                         ? (double)edges[STORE_TRAIN] / ((double)nodes[STORE_USER] * (double)nodes[STORE_ITEM])
                         : 0.0;
    uint64_t total_nodes = nodes[STORE_USER] + nodes[STORE_ITEM] + nodes[STORE_ENTITY];

    if (json) {
        printf("{\"users\":%llu,\"items\":%llu,\"entities\":%llu,\"relations\":%llu,"
               "\"train_interactions\":%llu,\"test_interactions\":%llu,\"social_edges\":%llu,"
               "\"kg_triples\":%llu,",
               (unsigned long long)nodes[0], (unsigned long long)nodes[1], (unsigned long long)nodes[2],
               (unsigned long long)nodes[3], (unsigned long long)edges[0], (unsigned long long)edges[1],
               (unsigned long long)edges[2], (unsigned long long)edges[3]);
        const degsum_t *ds[2] = {&du, &di};
        const char *dn[2] = {"user_degree", "item_degree"};
        for (int k = 0; k < 2; k++)
            printf("\"%s\":{\"min\":%llu,\"median\":%llu,\"p99\":%llu,\"max\":%llu,\"mean\":%.4f},", dn[k],
                   (unsigned long long)ds[k]->min, (unsigned long long)ds[k]->median,
                   (unsigned long long)ds[k]->p99, (unsigned long long)ds[k]->max, ds[k]->mean);
        printf("\"components\":%lld,\"largest_component\":%lld,\"density\":%.6g,\"models\":%llu,"
               "\"store_bytes\":%llu}\n",
               (long long)ncomp, (long long)largest, density, (unsigned long long)models,
               (unsigned long long)disk);
    } else {
        printf("store %s (%.1f MB on disk, %llu saved models)\n", dir, (double)disk / 1e6,
               (unsigned long long)models);
        printf("nodes   users %llu  items %llu  entities %llu  relations %llu\n",
               (unsigned long long)nodes[0], (unsigned long long)nodes[1], (unsigned long long)nodes[2],
               (unsigned long long)nodes[3]);
        printf("edges   train %llu  test %llu  social %llu  kg %llu\n", (unsigned long long)edges[0],
               (unsigned long long)edges[1], (unsigned long long)edges[2], (unsigned long long)edges[3]);
        printf("train degree   %-6s %8s %8s %8s %8s %10s\n", "", "min", "median", "p99", "max", "mean");
        printf("               %-6s %8llu %8llu %8llu %8llu %10.2f\n", "users", (unsigned long long)du.min,
               (unsigned long long)du.median, (unsigned long long)du.p99, (unsigned long long)du.max, du.mean);
        printf("               %-6s %8llu %8llu %8llu %8llu %10.2f\n", "items", (unsigned long long)di.min,
               (unsigned long long)di.median, (unsigned long long)di.p99, (unsigned long long)di.max, di.mean);
        printf("components     %lld, the largest with %lld of %llu nodes (%.1f%%)\n", (long long)ncomp,
               (long long)largest, (unsigned long long)total_nodes,
               total_nodes ? 100.0 * (double)largest / (double)total_nodes : 0.0);
        printf("density        %.6g (train interactions / (users x items))\n", density);
    }
out:
    if (have_ig) igraph_destroy(&ig);
    if (have_graph) graph_interactions_destroy(&g);
    if (in_txn) store_read_end(&t);
    if (opened) store_close(&s);
    cli_opts_destroy(&o);
    return rc ? cli_fail("stats", &e) : 0;
}
