/* cmd_stats.c - `gnnrec stats`: what is in a store (graph/stats.h computes
 * it: counts, degrees, igraph components, density), printed as text or one
 * JSON object. Read-only: it never writes to the store. */
#include <stdio.h>

#include "graph/partition.h"
#include "graph/stats.h"
#include "io/cli.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec stats --store DIR [--json]\n"
    "\n"
    "Counts of nodes and edges per type, degree summaries (min / median / p99 / max)\n"
    "of users and items in training, connected components of the training graph\n"
    "(interactions + social + kg, via igraph), the interaction density and the node\n"
    "partition `gnnrec partition` recorded, if any (stale when the graph changed since),\n"
    "and the ratings when the store has them (build-graph --columns user,item,rating).\n"
    "  --json   one JSON object on stdout (keys: users, items, entities, relations,\n"
    "           train_interactions, test_interactions, social_edges, kg_triples,\n"
    "           user_degree, item_degree, components, largest_component, density, models;\n"
    "           partition: {parts, method, seed, edge_cut, current} when one is recorded;\n"
    "           ratings: {train, test, min, mean, max, counts: {VALUE: N}} when there are)\n";


static void print_json(const graph_stats_t *st)
{
    const uint64_t *nd = st->nodes, *ed = st->edges;
    printf("{\"users\":%llu,\"items\":%llu,\"entities\":%llu,\"relations\":%llu,"
           "\"train_interactions\":%llu,\"test_interactions\":%llu,\"social_edges\":%llu,"
           "\"kg_triples\":%llu,",
           (unsigned long long)nd[0], (unsigned long long)nd[1], (unsigned long long)nd[2],
           (unsigned long long)nd[3], (unsigned long long)ed[0], (unsigned long long)ed[1],
           (unsigned long long)ed[2], (unsigned long long)ed[3]);
    const graph_degsum_t *ds[2] = {&st->user_degree, &st->item_degree};
    const char *dn[2] = {"user_degree", "item_degree"};
    for (int k = 0; k < 2; k++)
        printf("\"%s\":{\"min\":%llu,\"median\":%llu,\"p99\":%llu,\"max\":%llu,\"mean\":%.4f},", dn[k],
               (unsigned long long)ds[k]->min, (unsigned long long)ds[k]->median,
               (unsigned long long)ds[k]->p99, (unsigned long long)ds[k]->max, ds[k]->mean);
    printf("\"components\":%lld,\"largest_component\":%lld,\"density\":%.6g,\"models\":%llu,"
           "\"store_bytes\":%llu",
           (long long)st->components, (long long)st->largest, st->density, (unsigned long long)st->models,
           (unsigned long long)st->disk);
    if (st->partition_parts)
        printf(",\"partition\":{\"parts\":%u,\"method\":\"%s\",\"seed\":%llu,\"edge_cut\":%llu,\"current\":%s}",
               st->partition_parts, graph_part_method_name((int)st->partition_method),
               (unsigned long long)st->partition_seed, (unsigned long long)st->partition_edge_cut,
               st->partition_current ? "true" : "false");
    const graph_rating_summary_t *r = &st->ratings;
    if (r->n) {
        printf(",\"ratings\":{\"train\":%llu,\"test\":%llu,\"min\":%g,\"mean\":%.4f,\"max\":%g,\"counts\":{",
               (unsigned long long)r->train, (unsigned long long)r->test, (double)r->min, r->mean, (double)r->max);
        for (int k = 0; k < r->n_values; k++)
            printf("%s\"%g\":%llu", k ? "," : "", (double)r->value[k], (unsigned long long)r->count[k]);
        printf("}}");
    }
    printf("}\n");
}

static void print_text(const char *dir, const graph_stats_t *st)
{
    const uint64_t *nd = st->nodes, *ed = st->edges;
    const graph_degsum_t *du = &st->user_degree, *di = &st->item_degree;
    printf("store %s (%.1f MB on disk, %llu saved models)\n", dir, (double)st->disk / 1e6,
           (unsigned long long)st->models);
    printf("nodes   users %llu  items %llu  entities %llu  relations %llu\n", (unsigned long long)nd[0],
           (unsigned long long)nd[1], (unsigned long long)nd[2], (unsigned long long)nd[3]);
    printf("edges   train %llu  test %llu  social %llu  kg %llu\n", (unsigned long long)ed[0],
           (unsigned long long)ed[1], (unsigned long long)ed[2], (unsigned long long)ed[3]);
    printf("train degree   %-6s %8s %8s %8s %8s %10s\n", "", "min", "median", "p99", "max", "mean");
    printf("               %-6s %8llu %8llu %8llu %8llu %10.2f\n", "users", (unsigned long long)du->min,
           (unsigned long long)du->median, (unsigned long long)du->p99, (unsigned long long)du->max, du->mean);
    printf("               %-6s %8llu %8llu %8llu %8llu %10.2f\n", "items", (unsigned long long)di->min,
           (unsigned long long)di->median, (unsigned long long)di->p99, (unsigned long long)di->max, di->mean);
    printf("components     %lld, the largest with %lld of %llu nodes (%.1f%%)\n", (long long)st->components,
           (long long)st->largest, (unsigned long long)st->total_nodes,
           st->total_nodes ? 100.0 * (double)st->largest / (double)st->total_nodes : 0.0);
    printf("density        %.6g (train interactions / (users x items))\n", st->density);
    if (st->partition_parts)
        printf("partition      %u parts by %s (seed %llu), edge cut %llu%s\n", st->partition_parts,
               graph_part_method_name((int)st->partition_method), (unsigned long long)st->partition_seed,
               (unsigned long long)st->partition_edge_cut,
               st->partition_current ? "" : "; stale: the graph changed since (run partition again)");
    const graph_rating_summary_t *r = &st->ratings;
    if (!r->n) return;
    printf("ratings        %llu (train %llu, test %llu): min %g  mean %.4f  max %g\n", (unsigned long long)r->n,
           (unsigned long long)r->train, (unsigned long long)r->test, (double)r->min, r->mean, (double)r->max);
    for (int k = 0; k < r->n_values; k++)
        printf("%s%g: %llu", k ? "  " : "               ", (double)r->value[k], (unsigned long long)r->count[k]);
    if (r->n_values) printf("\n");
}

int cmd_stats(int argc, char **argv)
{
    cli_job_t j;
    graph_stats_t st;
    int rc, json = 0;
    if ((rc = cli_job_start(&j, argc, argv, cli_report_flags, cli_report_keys, usage_text)) || j.help) goto out;
    if ((rc = cli_get_bool(&j.o, "json", 0, &json, &j.e)) || (rc = cli_job_open(&j, STORE_RDONLY))) goto out;
    rc = graph_stats(&j.s, &st, &j.e);   /* (j.dir lives in the options: print before cli_job_end) */
    if (!rc && json) print_json(&st);
    else if (!rc) print_text(j.dir, &st);
out:
    return cli_job_end(&j, "stats", rc);
}
