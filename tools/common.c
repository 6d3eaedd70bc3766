/* common.c - see common.h. */
#include "tools/common.h"
#include "tools/commands.h"

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
