/* common.h - what every gnnrec subcommand does the same way: option
 * parsing with --help and --config, the thread count, picking the model. */
#ifndef GNNREC_TOOLS_COMMON_H
#define GNNREC_TOOLS_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
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

#endif
