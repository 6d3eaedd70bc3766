/* cmd_report.c - `gnnrec report`: one self-contained HTML page on a store's models (gnn/report.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gnn/report.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec report --store DIR --out FILE.html [--model NAME,...] [--users 2000] [--seed 1]\n"
    "                     [--threads N]\n\n"
    "One HTML file (inline SVG, no scripts or downloads), written atomically: the models' metrics, training\n"
    "curves, training degree distributions and the popularity bias of each model's top-20 for --users sampled\n"
    "users (coverage, Gini, top-1% share). --model: these models (default: every model of the store).\n";
static const cli_flag_t flags[] = {"help", NULL};
static const char *const known[] = {"store", "model", "out", "users", "seed", "threads", "help", NULL};

int cmd_report(int argc, char **argv)
{
    cli_job_t j;
    gnn_report_opts_t o = {0};
    gnn_report_summary_t r;
    char **models = NULL;
    size_t n = 0;
    uint32_t threads;
    const char *out;
    int rc;
    if ((rc = cli_job_start(&j, argc, argv, flags, known, usage_text)) || j.help ||
        (rc = cli_get_list(&j.o, "model", NULL, &models, &n, &j.e)) ||
        (rc = cli_need_output_path(&j.o, "out", &out, &j.e)) ||
        (rc = cli_get_u32(&j.o, "users", 2000, 1, 100000000, &o.users, &j.e)) ||
        (rc = cli_get_u64(&j.o, "seed", 1, 0, UINT64_MAX, &o.seed, &j.e)) ||
        (rc = cli_get_u32(&j.o, "threads", 0, 0, 1024, &threads, &j.e)) || (rc = cli_job_open(&j, STORE_RDONLY)))
        goto done;
    cli_set_threads(o.threads = (int)threads);
    if (!(rc = gnn_report_write(&j.s, (const char *const *)models, n, out, &o, &r, &j.e)))
        printf("report of %u models (%u charts, popularity over %u users) to %s (%llu bytes)\n", r.models, r.charts,
               r.sampled, out, (unsigned long long)r.bytes);
done:
    free(models);
    return cli_job_end(&j, "report", rc);
}
