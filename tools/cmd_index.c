/* cmd_index.c - `gnnrec index`: build the approximate top-K index (an
 * inverted file over the item embeddings, gnn/ivf.h) of a saved embedding
 * model and store it with the model, for `infer --index ivf`. One write
 * transaction: the model gains the index or the store is as it was. */
#include <stdio.h>

#include "base/clock.h"
#include "gnn/ivf.h"
#include "gnn/saved.h"
#include "gnn/scorer.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec index --store DIR [--model NAME] [--nlist N] [--iters N] [--seed N] [--threads N]\n"
    "\n"
    "Builds an inverted-file index over the model's item embeddings (seeded k-means into\n"
    "N lists) and saves it with the model; `gnnrec infer --index ivf --nprobe P` then ranks\n"
    "each user's items among its P nearest lists only (approximate, much faster on large\n"
    "catalogues; docs/scale.md). Retraining the model drops its index.\n"
    "  --model NAME   saved embedding model (default: the store's only model)\n"
    "  --nlist N      lists (0 = about 4 sqrt(items), the default)\n"
    "  --iters N      k-means rounds (10)\n"
    "  --seed N       seed of the k-means sample (2020)\n"
    "  --threads N    threads (0 = all cores)\n";

static const cli_flag_t flags[] = {"help", NULL};
static const char *const known[] = {"store", "model", "nlist", "iters", "seed", "threads", "help", NULL};

int cmd_index(int argc, char **argv)
{
    cli_job_t j;
    gnn_ivf_t ix = {0};
    int rc;
    const char *given;
    uint32_t nlist, iters, threads;
    uint64_t seed;
    char name[256];
    cli_opts_t *o = &j.o;
    err_t *e = &j.e;
    if ((rc = cli_job_start(&j, argc, argv, flags, known, usage_text)) || j.help) goto out;
    if ((rc = cli_get_str(o, "model", NULL, &given, e)) || (rc = cli_get_u32(o, "nlist", 0, 0, 1u << 24, &nlist, e)) ||
        (rc = cli_get_u32(o, "iters", 10, 1, 1000, &iters, e)) ||
        (rc = cli_get_u64(o, "seed", 2020, 0, UINT64_MAX, &seed, e)) ||
        (rc = cli_get_u32(o, "threads", 0, 0, 1024, &threads, e)) || (rc = cli_check_unused(o, e)))
        goto out;
    cli_set_threads((int)threads);
    double t0 = clock_now();
    if ((rc = cli_job_model(&j, 0, given, 0, name, sizeof name)) ||
        (rc = gnn_saved_ivf_build(&j.s, name, nlist, iters, seed, (int)threads, &ix, e)))
        goto out;
    uint32_t longest = 0;
    for (uint32_t l = 0; l < ix.nlist; l++)
        if (ix.list_ptr[l + 1] - ix.list_ptr[l] > longest) longest = ix.list_ptr[l + 1] - ix.list_ptr[l];
    printf("model %s: index of %u items in %u lists (longest %u), built in %.2fs\n", name, ix.n_items, ix.nlist,
           longest, clock_now() - t0);
out:
    gnn_ivf_destroy(&ix);
    return cli_job_end(&j, "index", rc);
}
