/* cmd_partition.c - `gnnrec partition`: split the store's joint graph into
 * P parts for distributed jobs (graph/partition.h), record the assignment
 * in the store (one write transaction; nothing written on error) and say
 * what it costs: edge cut, halo sizes, balance. */
#include <stdio.h>

#include "base/clock.h"
#include "graph/partition.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec partition --store DIR --parts P [--method metis|hash] [--balance nodes|work]\n"
    "                        [--seed N] [--json]\n"
    "\n"
    "Assigns every node of the store's graph (users, items, entities; the training\n"
    "interactions, social ties and knowledge triples as undirected edges) to one of P\n"
    "parts and records the assignment in the store (a new partition replaces the old).\n"
    "Prints the edge cut (edges between parts), each part's nodes and halo (nodes of\n"
    "other parts it has edges to: what a rank receives per propagation) and the\n"
    "balance (largest part / average part). docs/distributed.md.\n"
    "  --parts P      parts (ranks of the job), 1..65536 and at most the nodes\n"
    "  --method M     metis (METIS k-way, minimum edge cut; the default; needs a build\n"
    "                 with libmetis-dev) or hash (a seeded hash of the node id)\n"
    "  --balance B    what metis keeps even within 3%: nodes (the default: memory per\n"
    "                 part) or work (nodes and adjacency entries: memory and SpMM time per\n"
    "                 part, at a larger edge cut)\n"
    "  --seed N       seed of either method (1)\n"
    "  --json         one JSON object: parts, method, balance_by, seed, nodes, edges,\n"
    "                 edge_cut, max_part_nodes, min_part_nodes, balance, max_halo_nodes,\n"
    "                 total_halo_nodes, max_part_entries, work_balance, part_nodes,\n"
    "                 halo_nodes (balance: largest part / average part in nodes;\n"
    "                 work_balance: the same in adjacency entries)\n";

static const cli_flag_t flags[] = {"json", "help", NULL};
static const char *const known[] = {"store", "parts", "method", "balance", "seed", "json", "help", NULL};
static const char *const balances[] = {"nodes", "work", NULL};

static void print_list(const char *key, const uint64_t *a, uint32_t n)
{
    printf(",\"%s\":[", key);
    for (uint32_t p = 0; p < n; p++) printf("%s%llu", p ? "," : "", (unsigned long long)a[p]);
    printf("]");
}

int cmd_partition(int argc, char **argv)
{
    cli_job_t j;
    store_partition_t rec = {0};
    graph_part_stats_t st = {0};
    int rc, json = 0;
    const char *method_name;
    graph_part_opts_t po = {0};
    cli_opts_t *o = &j.o;
    err_t *e = &j.e;
    if ((rc = cli_job_start(&j, argc, argv, flags, known, usage_text)) || j.help) goto out;
    if ((rc = cli_get_u32(o, "parts", 0, 1, GRAPH_PART_MAX, &po.parts, e)) ||
        (rc = cli_get_str(o, "method", "metis", &method_name, e)) ||
        (rc = graph_part_method_parse(method_name, &po.method, e)) ||
        (rc = cli_get_choice(o, "balance", balances, 0, &po.balance, e)) ||
        (rc = cli_get_u64(o, "seed", 1, 0, UINT64_MAX, &po.seed, e)) ||
        (rc = cli_get_bool(o, "json", 0, &json, e)))
        goto out;
    if (!cli_has(o, "parts")) { rc = err_set(e, ERR_USAGE, "missing --parts (see --help)"); goto out; }
    if (po.method == GRAPH_PART_HASH && po.balance != GRAPH_PART_BY_NODES) {
        rc = err_set(e, ERR_USAGE, "--balance applies to --method metis (a hash is even in both already)");
        goto out;
    }
    if (po.method == GRAPH_PART_METIS && !graph_partition_metis_built()) {
        rc = err_set(e, ERR_USAGE, "--method metis: this gnnrec was built without METIS "
                                    "(install libmetis-dev and rebuild; or use --method hash)");
        goto out;
    }
    if ((rc = cli_job_open(&j, 0))) goto out;
    double t0 = clock_now();
    if ((rc = graph_partition_run(&j.s, &po, &rec, &st, e))) goto out;
    double secs = clock_now() - t0;
    double cut = st.edges ? (double)st.edge_cut / (double)st.edges : 0.0;
    double work = st.edges ? (double)st.max_part_entries * st.parts / (2.0 * (double)st.edges) : 0.0;
    const char *by = balances[po.balance];
    if (json) {
        printf("{\"parts\":%u,\"method\":\"%s\",\"balance_by\":\"%s\",\"seed\":%llu,\"nodes\":%llu,\"users\":%u,\"items\":%u,"
               "\"entities\":%u,\"edges\":%llu,\"edge_cut\":%llu,\"edge_cut_fraction\":%.6f,"
               "\"max_part_nodes\":%llu,\"min_part_nodes\":%llu,\"balance\":%.4f,\"max_halo_nodes\":%llu,"
               "\"total_halo_nodes\":%llu,\"max_part_entries\":%llu,\"work_balance\":%.4f",
               st.parts, graph_part_method_name(po.method), by, (unsigned long long)po.seed,
               (unsigned long long)st.nodes, rec.n_users, rec.n_items, rec.n_entities, (unsigned long long)st.edges,
               (unsigned long long)st.edge_cut, cut, (unsigned long long)st.max_part_nodes,
               (unsigned long long)st.min_part_nodes, st.balance, (unsigned long long)st.max_halo_nodes,
               (unsigned long long)st.total_halo_nodes, (unsigned long long)st.max_part_entries, work);
        print_list("part_nodes", st.part_nodes, st.parts);
        print_list("halo_nodes", st.halo_nodes, st.parts);
        printf(",\"seconds\":%.3f}\n", secs);
    } else {
        printf("%u parts by %s (balance by %s, seed %llu) of %llu nodes (%u users, %u items, %u entities), %llu edges, in %.2fs\n",
               st.parts, graph_part_method_name(po.method), by, (unsigned long long)po.seed,
               (unsigned long long)st.nodes, rec.n_users, rec.n_items, rec.n_entities, (unsigned long long)st.edges,
               secs);
        printf("edge cut %llu (%.2f%% of edges); halo nodes max %llu, total %llu; part nodes max %llu, min %llu "
               "(balance %.3f, work %.3f)\n",
               (unsigned long long)st.edge_cut, 100.0 * cut, (unsigned long long)st.max_halo_nodes,
               (unsigned long long)st.total_halo_nodes, (unsigned long long)st.max_part_nodes,
               (unsigned long long)st.min_part_nodes, st.balance, work);
        printf("part\tnodes\thalo\tentries\n");
        for (uint32_t p = 0; p < st.parts; p++)
            printf("%u\t%llu\t%llu\t%llu\n", p, (unsigned long long)st.part_nodes[p],
                   (unsigned long long)st.halo_nodes[p], (unsigned long long)st.part_entries[p]);
    }
out:
    store_partition_destroy(&rec);
    graph_part_stats_destroy(&st);
    return cli_job_end(&j, "partition", rc);
}
