/* common.h - what every gnnrec subcommand does the same way: option
 * parsing with --help and --config, the thread count, picking the model. */
#ifndef GNNREC_TOOLS_COMMON_H
#define GNNREC_TOOLS_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "dist/dist.h"
#include "store/store.h"
#include "tools/cli.h"

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
