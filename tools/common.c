/* common.c - see common.h. */
#include "tools/common.h"
#include "tools/commands.h"
#include "gnn/scorer.h"

#include <stdio.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

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

const cli_flag_t cli_report_flags[] = {"json", "help", NULL};
const char *const cli_report_keys[] = {"store", "json", "help", NULL};

int cli_job_start(cli_job_t *j, int argc, char **argv, const cli_flag_t *flags, const char *const *known,
                  const char *usage)
{
    memset(j, 0, sizeof *j);
    cli_opts_init(&j->o);
    int rc = cli_start(&j->o, argc, argv, flags, known, usage, &j->help, &j->e);
    if (rc || j->help) return rc;
    return cli_need_str(&j->o, "store", &j->dir, &j->e);
}

int cli_job_open(cli_job_t *j, unsigned flags)
{
    int rc = store_open(&j->s, j->dir, flags, &j->e);
    if (!rc) j->opened = 1;
    return rc;
}

int cli_job_model(cli_job_t *j, unsigned flags, const char *given, int keep_txn, char *name, size_t cap)
{
    int rc;
    if ((!j->opened && (rc = cli_job_open(j, flags))) || (rc = store_read_begin(&j->s, &j->t, &j->e)) ||
        (rc = gnn_ranker_pick_model(&j->t, given, name, cap, &j->e)))
        return rc;
    if (!keep_txn) {
        store_read_end(&j->t);
        j->t.txn = NULL;
    }
    return ERR_OK;
}

void cli_job_close(cli_job_t *j)
{
    if (j->t.txn) store_read_end(&j->t);
    j->t.txn = NULL;
    if (j->opened) store_close(&j->s);
    j->opened = 0;
    cli_opts_destroy(&j->o);
}

int cli_job_end(cli_job_t *j, const char *cmd, int rc)
{
    cli_job_close(j);
    return rc ? cli_fail(cmd, &j->e) : 0;
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


int cli_dist_start(dist_t *d, err_t *e)
{
    int rc = dist_init(d, e);
    if (d->rank != 0 && !freopen("/dev/null", "w", stdout) && !rc)
        rc = err_set(e, ERR_IO, "rank %d: cannot send standard output to /dev/null", d->rank);
    return rc;
}

int cli_dist_end(dist_t *d, const char *cmd, int rc, const err_t *e)
{
    int code = 0;
    if (rc) code = d->rank == 0 ? cli_fail(cmd, e) : err_exit_code(e->code ? e->code : ERR_INTERNAL);
    dist_finalize(d);
    return code;
}
