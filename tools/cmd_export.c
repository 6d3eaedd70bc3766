/* cmd_export.c - `gnnrec export`: a saved model's final user and item
 * embeddings with their external ids, as .npy or TSV files in a directory
 * put in place atomically (gnn/export.h does the work). */
#include <stdio.h>
#include <string.h>

#include "gnn/export.h"
#include "gnn/scorer.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec export --store DIR --out OUTDIR [--model NAME] [--format npy|tsv]\n"
    "\n"
    "Writes the model's final user and item embeddings (the rows infer scores with: user . item)\n"
    "with their external ids, for a serving system (numpy, Faiss, hnswlib):\n"
    "  npy  OUTDIR/users.npy, items.npy (float32 [n x dim], little-endian) and user_ids.txt,\n"
    "       item_ids.txt (one id per line, in row order)   (the default)\n"
    "  tsv  OUTDIR/users.tsv, items.tsv (id<TAB>v1<TAB>...<TAB>vdim)\n"
    "OUTDIR is written as OUTDIR.tmp.PID and renamed into place at the end: it must be absent,\n"
    "empty or an earlier export (then replaced whole); nothing partial is left on failure.\n"
    "Graph filters (gf-cf, bspm) and pop have no embeddings: refused (exit 2).\n"
    "  --model NAME   saved model (default: the store's only model)\n";

static const cli_flag_t flags[] = {"help", NULL};
static const char *const known[] = {"store", "model", "out", "format", "help", NULL};

int cmd_export(int argc, char **argv)
{
    cli_job_t j;
    gnn_export_report_t r;
    int rc;
    const char *given, *out, *fmt;
    char name[256];
    if ((rc = cli_job_start(&j, argc, argv, flags, known, usage_text)) || j.help) goto done;
    if ((rc = cli_get_str(&j.o, "model", NULL, &given, &j.e)) || (rc = cli_need_output_path(&j.o, "out", &out, &j.e)) ||
        (rc = cli_get_str(&j.o, "format", "npy", &fmt, &j.e)))
        goto done;
    if (strcmp(fmt, "npy") && strcmp(fmt, "tsv")) {
        rc = err_set(&j.e, ERR_USAGE, "--format: expected npy or tsv, got \"%s\"", fmt);
        goto done;
    }
    if ((rc = cli_job_model(&j, STORE_RDONLY, given, 0, name, sizeof name))) goto done;
    if (!(rc = gnn_export(&j.s, name, out, strcmp(fmt, "tsv") ? GNN_EXPORT_NPY : GNN_EXPORT_TSV, &r, &j.e)))
        printf("model %s: %u users and %u items x %u dims to %s (%s, %llu bytes%s)\n", name, r.n_users, r.n_items,
               r.dim, out, fmt, (unsigned long long)r.bytes, r.replaced ? ", replacing the earlier export" : "");
done:
    return cli_job_end(&j, "export", rc);
}
