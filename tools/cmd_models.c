/* cmd_models.c - `gnnrec models`: list the saved models of a store, show
 * one (`models show NAME`), remove one (`models rm NAME`, one write
 * transaction). gnn/saved.h does the work; this file parses and prints. */
#include <stdio.h>
#include <string.h>

#include "gnn/saved.h"
#include "io/writer.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec models --store DIR [--json]\n"
    "       gnnrec models show --store DIR NAME\n"
    "       gnnrec models rm --store DIR NAME\n"
    "\n"
    "Lists the store's saved models, one TSV row each after a header line: name, kind (model,\n"
    "or staged for the checkpoint NAME~run of a run in progress or interrupted), arch, dim,\n"
    "layers, epochs, best_epoch, users, items, metrics (what the metrics log holds for the\n"
    "best epoch, key=value,...; - if none), bytes (all its blobs), saved (UTC; - if not recorded).\n"
    "  --json   JSON lines instead (metrics an object, saved null if not recorded, and blobs)\n"
    "show NAME  the meta record as # comment lines, then the configuration it was trained with\n"
    "rm NAME    removes the model with all its blobs (embeddings, checkpoint, index, checksums)\n"
    "           and its staging, in one transaction; NAME~run removes only a staging.\n"
    "           An unknown NAME exits 2 naming the models; the store is then unchanged.\n";


/* Take the one positional argument (NAME) out of argv: an argument that is
 * neither an option nor the value of a --key option. */
static int take_name(int *argc, char **argv, const char **name)
{
    int n = 1;
    *name = NULL;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        int opt = !strncmp(a, "--", 2) || !strcmp(a, "-h");
        if (opt) {
            argv[n++] = argv[i];
            int flag = !strcmp(a, "--json") || !strcmp(a, "--help") || !strcmp(a, "-h") || strchr(a, '=');
            if (!flag && i + 1 < *argc) argv[n++] = argv[++i];
        } else if (*name) return ERR_USAGE;
        else *name = a;
    }
    *argc = n;
    return ERR_OK;
}

typedef struct list_out {
    io_writer_t *w;
    int json;
} list_out_t;

static int print_one(const gnn_saved_info_t *in, void *ctx, err_t *e)
{
    const list_out_t *l = ctx;
    int rc = gnn_saved_info_format(in, l->json, &l->w->buf, e);
    return rc ? rc : io_writer_maybe_flush(l->w, e);
}

static int remove_one(store_txn_t *t, void *ctx, err_t *e) { return gnn_saved_remove(t, ctx, e); }

int cmd_models(int argc, char **argv)
{
    cli_job_t j;
    io_writer_t w = {0};
    int rc, json = 0;
    const char *name, *sub = argc > 1 && argv[1][0] != '-' ? argv[1] : "list";
    if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "rm")) sub = "list";   /* NAME alone: an error below */
    else if (argc > 1 && argv[1][0] != '-') argc--, argv++;
    const int listing = !strcmp(sub, "list"), bad = take_name(&argc, argv, &name);
    if ((rc = cli_job_start(&j, argc, argv, cli_report_flags, cli_report_keys, usage_text)) || j.help) goto out;
    if (bad || listing != !name) {
        rc = err_set(&j.e, ERR_USAGE, "%s", listing ? "models takes no NAME (models show NAME, models rm NAME)"
                                                    : "models show and rm take one NAME (see --help)");
        goto out;
    }
    if ((rc = cli_get_bool(&j.o, "json", 0, &json, &j.e))) goto out;
    if (json && !listing) { rc = err_set(&j.e, ERR_USAGE, "--json: only for the listing"); goto out; }
    if ((rc = cli_job_open(&j, strcmp(sub, "rm") ? STORE_RDONLY : 0))) goto out;
    if (!strcmp(sub, "rm")) {
        if (!(rc = store_write(&j.s, remove_one, (void *)name, &j.e))) printf("removed model %s\n", name);
        goto out;
    }
    if ((rc = store_read_begin(&j.s, &j.t, &j.e)) || (rc = io_writer_open(&w, "-", 0, &j.e))) goto out;
    if (!listing) rc = gnn_saved_show(&j.t, name, &w.buf, &j.e);
    else {
        list_out_t l = {&w, json};
        if (!json) gnn_saved_info_header(&w.buf);
        rc = gnn_saved_list(&j.t, 1, print_one, &l, &j.e);
    }
    if (!rc) rc = io_writer_close(&w, &j.e);
out:
    io_writer_abort(&w);
    return cli_job_end(&j, "models", rc);
}
