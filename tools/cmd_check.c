/* cmd_check.c - `gnnrec check`: the store's integrity check (gnn/check.h:
 * ids, edges, counts, every model blob against its checksum and meta),
 * printed as lines or one JSON object. Read-only. Exit 0 when sound, 1
 * with one `check: ...` line per problem, 2 for usage. */
#include <stdio.h>
#include <string.h>

#include "gnn/check.h"
#include "io/writer.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec check --store DIR [--json]\n"
    "\n"
    "Checks a store's integrity without changing it: every node id map (counts of\n"
    "both directions equal, dense ids 0..n-1, each external id maps back), every\n"
    "edge's node ids in range for its type, each table's recorded count against\n"
    "its entries, and every saved model's blobs against their CRC-32C checksums\n"
    "and the sizes their meta implies. Models saved before checksums were recorded\n"
    "are noted (\"no checksum\") and checked against their meta only.\n"
    "Prints one `check: ...` line per problem and exits 1 when it finds any;\n"
    "otherwise a summary (and `note: ...` remarks), exit 0.\n"
    "  --json   one JSON object on stdout instead (keys: ok, problems, notes, users,\n"
    "           items, entities, relations, train_interactions, test_interactions,\n"
    "           social_edges, kg_triples, models, blobs, blobs_checked, blobs_unchecked)\n";


typedef struct out {
    int json;
    io_buf_t problems, notes;   /* --json: the messages as JSON array items */
} out_t;

static void note(void *ctx, int problem, const char *msg)
{
    out_t *o = ctx;
    if (o->json) {
        io_buf_t *b = problem ? &o->problems : &o->notes;
        if (b->n) io_buf_put(b, ",", 1);
        io_buf_json_str(b, msg, strlen(msg));
        return;
    }
    fputs(problem ? "check: " : "note: ", stdout);
    cli_put_escaped(msg, stdout);
    fputc('\n', stdout);
}

static void print_json(const store_check_t *c, out_t *o)
{
    const uint64_t *nd = c->nodes, *ed = c->edges;
    printf("{\"ok\":%s,\"problems\":[%.*s],\"notes\":[%.*s],\"users\":%llu,\"items\":%llu,\"entities\":%llu,"
           "\"relations\":%llu,\"train_interactions\":%llu,\"test_interactions\":%llu,\"social_edges\":%llu,"
           "\"kg_triples\":%llu,\"models\":%llu,\"blobs\":%llu,\"blobs_checked\":%llu,\"blobs_unchecked\":%llu}\n",
           c->problems ? "false" : "true", (int)o->problems.n, o->problems.p ? o->problems.p : "", (int)o->notes.n,
           o->notes.p ? o->notes.p : "", (unsigned long long)nd[0], (unsigned long long)nd[1],
           (unsigned long long)nd[2], (unsigned long long)nd[3], (unsigned long long)ed[0],
           (unsigned long long)ed[1], (unsigned long long)ed[2], (unsigned long long)ed[3],
           (unsigned long long)c->models, (unsigned long long)c->blobs, (unsigned long long)c->blobs_checked,
           (unsigned long long)c->blobs_unchecked);
}

static void print_text(const char *dir, const store_check_t *c)
{
    const uint64_t *nd = c->nodes, *ed = c->edges;
    fputs("store ", stdout);
    cli_put_escaped(dir, stdout);
    if (c->problems) printf(": %llu problem%s found\n", (unsigned long long)c->problems, c->problems == 1 ? "" : "s");
    else fputs(": ok\n", stdout);
    printf("nodes   users %llu  items %llu  entities %llu  relations %llu (id maps checked)\n",
           (unsigned long long)nd[0], (unsigned long long)nd[1], (unsigned long long)nd[2], (unsigned long long)nd[3]);
    printf("edges   train %llu  test %llu  social %llu  kg %llu (node ids and counts checked)\n",
           (unsigned long long)ed[0], (unsigned long long)ed[1], (unsigned long long)ed[2], (unsigned long long)ed[3]);
    printf("models  %llu with %llu blobs: %llu checked against their checksum, %llu with no checksum\n",
           (unsigned long long)c->models, (unsigned long long)c->blobs, (unsigned long long)c->blobs_checked,
           (unsigned long long)c->blobs_unchecked);
}

int cmd_check(int argc, char **argv)
{
    cli_job_t j;
    store_check_t c;
    out_t out = {0};
    int rc;
    store_check_init(&c, note, &out);
    if ((rc = cli_job_start(&j, argc, argv, cli_report_flags, cli_report_keys, usage_text)) || j.help) goto done;
    if ((rc = cli_get_bool(&j.o, "json", 0, &out.json, &j.e)) || (rc = cli_check_unused(&j.o, &j.e))) goto done;
    if (out.json && ((rc = io_buf_init(&out.problems, 4096, &j.e)) || (rc = io_buf_init(&out.notes, 4096, &j.e))))
        goto done;
    if ((rc = cli_job_open(&j, STORE_RDONLY)) || (rc = gnn_check_store(&j.s, &c, &j.e))) goto done;
    if (out.json && (out.problems.oom || out.notes.oom)) {
        rc = err_set(&j.e, ERR_NOMEM, "out of memory collecting the messages");
        goto done;
    }
    if (out.json) print_json(&c, &out);
    else print_text(j.dir, &c);
done:
    io_buf_destroy(&out.problems);
    io_buf_destroy(&out.notes);
    rc = cli_job_end(&j, "check", rc);
    return rc ? rc : c.problems ? 1 : 0;
}
