/* commands.h - the gnnrec subcommands and what they share.
 *
 * Each cmd_* (tools/cmd_*.c) takes the subcommand's argv (argv[0] = its name), does its
 * job, prints data to stdout and diagnostics to stderr, and returns the
 * process exit code: 0 success, 2 bad usage or bad input, 1 other failures
 * (err_exit_code). Library layers below never print; this layer does.
 */
#ifndef GNNREC_TOOLS_COMMANDS_H
#define GNNREC_TOOLS_COMMANDS_H

#include "base/err.h"

/* Data in: files into a store, synthetic files. */
int cmd_build_graph(int argc, char **argv), cmd_generate(int argc, char **argv);
/* Reports on a store. */
int cmd_stats(int argc, char **argv), cmd_check(int argc, char **argv), cmd_models(int argc, char **argv);
/* Models: fit, measure, serve. */
int cmd_train(int argc, char **argv), cmd_eval(int argc, char **argv), cmd_infer(int argc, char **argv),
    cmd_index(int argc, char **argv);
/* Batch jobs and hand-offs. */
int cmd_rank_feed(int argc, char **argv), cmd_export(int argc, char **argv), cmd_report(int argc, char **argv),
    cmd_partition(int argc, char **argv);

/* Print "gnnrec CMD: message" to stderr and return the exit code for e. */
int cli_fail(const char *cmd, const err_t *e);

#endif
