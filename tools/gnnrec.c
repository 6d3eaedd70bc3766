/* gnnrec.c - the `gnnrec` command: dispatch to a subcommand, then check
 * that what it printed reached standard output (a full disk, a closed pipe
 * or /dev/full make a run that printed nothing exit 1, not 0). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <igraph.h>

#include "dist/dist.h"
#include "tools/commands.h"
#include "tools/common.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
    int dist;   /* 1: runs under mpirun with several ranks (cli_dist_start) */
} commands[] = {   /* in the order of --help: a store, its models, their upkeep, batch jobs */
    {"build-graph", cmd_build_graph, "load interactions, social ties and a knowledge graph into a store", 0},
    {"stats", cmd_stats, "counts, degrees and components of a store's graph", 0},
    {"check", cmd_check, "check a store's ids, edges, counts and model checksums (exit 1 if corrupt)", 0},
    /* models */
    {"train", cmd_train, "train a GCN recommender (lightgcn, mf, gcn) and save it in the store", 1},
    {"eval", cmd_eval, "Recall/NDCG/Precision/Hit@K of a saved model on the test split", 1},
    {"infer", cmd_infer, "top-K recommendations for users from a saved model", 1},
    /* upkeep of saved models */
    {"models", cmd_models, "list the saved models of a store, show one, remove one (models rm NAME)", 0},
    {"export", cmd_export, "write a model's user and item embeddings with their ids (.npy or TSV)", 0},
    {"report", cmd_report, "write an HTML report: metrics, training curves, degrees, popularity bias", 0},
    {"index", cmd_index, "build a model's approximate top-K index (infer --index ivf)", 0},
    /* distributed and batch jobs, synthetic data */
    {"partition", cmd_partition, "split the store's graph into parts for distributed jobs (METIS or hash)", 0},
    {"rank-feed", cmd_rank_feed, "rank each viewer's social-feed candidates (offline feed jobs)", 1},
    {"generate", cmd_generate, "write the built-in synthetic dataset (igraph stochastic block model)", 0},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gnnrec COMMAND [OPTIONS]   (gnnrec COMMAND --help for its options)\n\n"
               "gnnrec: a graph-neural-network recommender for CPU servers.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].what);
}

int cli_fail(const char *cmd, const err_t *e)
{
    fprintf(stderr, "gnnrec %s: ", cmd);
    cli_put_escaped(e->msg[0] ? e->msg : err_strerror(e->code), stderr);
    fputc('\n', stderr);
    return err_exit_code(e->code ? e->code : ERR_INTERNAL);
}

/* The one check of every write to stdout: stdio keeps the first error in
 * ferror(), and buffered output only meets the file at the flush, so flush
 * and close here, after the command, whatever it printed. A command that
 * already failed keeps its exit code (its own message says why). */
static int finish(const char *cmd, int rc)
{
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (fclose(stdout) != 0 && !bad) { bad = 1; err = errno; }
    if (bad && rc == 0) {
        fprintf(stderr, "gnnrec%s%s: writing standard output: %s\n", cmd ? " " : "", cmd ? cmd : "",
                err ? strerror(err) : "write error");
        return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    /* igraph aborts on errors by default; gnnrec reports them instead */
    igraph_set_error_handler(igraph_error_handler_ignore);
    igraph_set_warning_handler(igraph_warning_handler_ignore);
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return finish(NULL, 0);
    }
    if (!strcmp(argv[1], "--version")) { printf("gnnrec 0.1.0\n"); return finish(NULL, 0); }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        /* one job started P times by mpirun would do the work P times (P
         * writers of one store): only the distributed commands run so */
        int ranks = dist_env_size();
        if (ranks > 1 && !commands[i].dist) {
            if (dist_env_rank() == 0)
                fprintf(stderr, "gnnrec %s: runs as one process, not as %d ranks under mpirun or srun "
                                "(distributed: eval, infer, rank-feed, train; docs/distributed.md)\n", commands[i].name, ranks);
            return 2;
        }
        return finish(commands[i].name, commands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "gnnrec: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
