/* common.h - what every gnnrec subcommand does the same way: option
 * parsing with --help and --config, the thread count, picking the model. */
#ifndef GNNREC_TOOLS_COMMON_H
#define GNNREC_TOOLS_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "dist/dist.h"
#include "store/store.h"
#include "io/cli.h"

/* What a command over one store holds, with its one cleanup: the options,
 * the error, the store (--store, required) once opened, and a read
 * transaction when it took one. cli_job_start, then cli_get_*(&j.o, ...),
 * cli_job_open or cli_job_model, the work, and `return cli_job_end(...)`. */
typedef struct cli_job {
    err_t e;
    cli_opts_t o;
    store_t s;
    store_txn_t t;      /* t.txn != NULL: a read transaction is open */
    const char *dir;    /* --store */
    int help;           /* --help: the usage is printed, there is nothing else to do */
    int opened;         /* s is open */
} cli_job_t;

/* The options of the reports on a store (stats, check, models): --store DIR
 * [--json] [--help]. */
extern const cli_flag_t cli_report_flags[];
extern const char *const cli_report_keys[];

/* cli_start (argv, --help, --config, unknown keys), then the required --store. */
int cli_job_start(cli_job_t *j, int argc, char **argv, const cli_flag_t *flags, const char *const *known,
                  const char *usage);
/* Open the store (store_open flags: 0 or STORE_RDONLY). */
int cli_job_open(cli_job_t *j, unsigned flags);
/* Open the store, begin a read transaction and resolve --model (given may be
 * NULL: the store's only or newest model, gnn_ranker_pick_model) into name.
 * keep_txn 0 ends the transaction again (the job opens its own). */
int cli_job_model(cli_job_t *j, unsigned flags, const char *given, int keep_txn, char *name, size_t cap);
/* The one cleanup (transaction, store, options); cli_job_end also returns
 * the exit code for rc, printing j->e (cli_fail) when rc != 0. */
void cli_job_close(cli_job_t *j);
int cli_job_end(cli_job_t *j, const char *cmd, int rc);

/* Parse argv; on --help print usage to stdout and set *help = 1; otherwise
 * load --config FILE (if the command knows "config") and reject unknown
 * keys. The command then reads its settings with the cli_get_* getters. */
int cli_start(cli_opts_t *o, int argc, char **argv, const cli_flag_t *flags,
              const char *const *known, const char *usage, int *help, err_t *e);

/* Write s to f with control bytes (below 0x20, and 0x7f) shown as \xHH:
 * messages quote ids, paths and file contents, which must not reach a
 * terminal raw (an ESC sequence, a fake second line). */
void cli_put_escaped(const char *s, FILE *f);

/* OpenMP and OpenBLAS threads; 0 = all cores. */
void cli_set_threads(int threads);

/* The commands that run under mpirun (eval, infer): join the job
 * (dist_init; size 1 when not launched) and, on ranks other than 0, send
 * stdout to /dev/null, so that rank 0's output is what one process prints.
 * cli_dist_end: leave the job (dist_finalize) and return the exit code for
 * rc, printing e (cli_fail) on rank 0 only: errors are agreed across ranks
 * (dist_agree), so one message says it. */
int cli_dist_start(dist_t *d, err_t *e);
int cli_dist_end(dist_t *d, const char *cmd, int rc, const err_t *e);

#endif
