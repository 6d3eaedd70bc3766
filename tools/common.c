/* common.c - see common.h. */
#include "tools/common.h"

#include <stdio.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "gnn/saved.h"

int cli_start(cli_opts_t *o, int argc, char **argv, const cli_flag_t *flags,
              const char *const *known, const char *usage, int *help, err_t *e)
{
    const char *config = NULL;
    int rc;
    *help = 0;
    if ((rc = cli_parse_argv(o, argc, argv, flags, e)) || (rc = cli_get_bool(o, "help", 0, help, e))) return rc;
    if (*help) { fputs(usage, stdout); return ERR_OK; }
    int takes_config = 0;
    for (size_t i = 0; known[i]; i++) takes_config |= !strcmp(known[i], "config");
    if (takes_config && (rc = cli_get_str(o, "config", NULL, &config, e))) return rc;
    if (config && (rc = cli_load_yaml(o, config, e))) return rc;
    return cli_check_unknown(o, known, e);
}

void cli_put_escaped(const char *s, FILE *f)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
        else putc(*p, f);
    }
}

void cli_set_threads(int threads)
{
    int n = threads > 0 ? threads : omp_get_num_procs();
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

typedef struct names {
    char list[512];
    char first[256];
    int n;
} names_t;

static void add_name(const char *name, void *ctx)
{
    names_t *ns = ctx;
    if (ns->n++ == 0) snprintf(ns->first, sizeof ns->first, "%s", name);
    size_t l = strlen(ns->list);
    if (l + strlen(name) + 3 < sizeof ns->list) snprintf(ns->list + l, sizeof ns->list - l, "%s%s", l ? ", " : "", name);
}

int cli_pick_model(store_txn_t *t, const char *given, char *out, size_t n, err_t *e)
{
    names_t ns;
    memset(&ns, 0, sizeof ns);
    int rc = store_model_list(t, add_name, &ns, e);
    if (rc) return rc;
    if (given) {
        gnn_saved_meta_t meta;
        rc = gnn_saved_meta(t, given, &meta, e);
        if (rc == ERR_NOTFOUND)
            return err_set(e, ERR_NOTFOUND, "no model named '%s' in this store (models: %s)", given,
                           ns.n ? ns.list : "none; train one with gnnrec train");
        if (rc) return rc;
        snprintf(out, n, "%s", given);
        return ERR_OK;
    }
    if (ns.n == 0) return err_set(e, ERR_NOTFOUND, "no trained model in this store (train one with gnnrec train)");
    if (ns.n > 1) return err_set(e, ERR_USAGE, "the store has several models (%s): choose one with --model", ns.list);
    snprintf(out, n, "%s", ns.first);
    return ERR_OK;
}

