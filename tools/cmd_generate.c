/* cmd_generate.c - `gnnrec generate`: write the built-in synthetic dataset
 * (graph/generate.h) to a directory, for the demo, tests and benchmarks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "graph/generate.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec generate --out DIR [--users N] [--items N] [--communities N] [--seed N]\n"
    "                       [--min-items N] [--max-items N]\n"
    "\n"
    "Writes a community-structured synthetic dataset made with igraph's stochastic\n"
    "block model: DIR/interactions.tsv (user item rating time) and DIR/social.tsv\n"
    "(user user). Load it with:\n"
    "  gnnrec build-graph --store S --interactions DIR/interactions.tsv \\\n"
    "      --columns user,item,rating,time --split temporal:0.2 --social DIR/social.tsv\n";

static const cli_flag_t flags[] = {"help", NULL};
static const char *const known[] = {"out", "users", "items", "communities", "seed", "min_items", "max_items",
                                    "help", NULL};

int cli_cmd_generate(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    graph_gen_params_t p;
    int rc, help = 0;
    const char *dir;
    FILE *fi = NULL, *fs = NULL;
    char pi[4200], ps[4200];
    graph_gen_defaults(&p);
    cli_opts_init(&o);
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "out", &dir, &e)) ||
        (rc = cli_get_u32(&o, "users", p.n_users, 2, 10000000, &p.n_users, &e)) ||
        (rc = cli_get_u32(&o, "items", p.n_items, 2, 10000000, &p.n_items, &e)) ||
        (rc = cli_get_u32(&o, "communities", p.n_communities, 1, 10000, &p.n_communities, &e)) ||
        (rc = cli_get_u32(&o, "min_items", p.min_items, 1, 1000000, &p.min_items, &e)) ||
        (rc = cli_get_u32(&o, "max_items", p.max_items, 1, 1000000, &p.max_items, &e)) ||
        (rc = cli_get_u64(&o, "seed", p.seed, 0, UINT64_MAX, &p.seed, &e)) ||
        (rc = graph_gen_check(&p, &e)))   /* before any file is created */
        goto out;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = err_set(&e, ERR_USAGE, "%s: cannot create: %s", dir, strerror(errno));
        goto out;
    }
    snprintf(pi, sizeof pi, "%s/interactions.tsv", dir);
    snprintf(ps, sizeof ps, "%s/social.tsv", dir);
    if (!(fi = fopen(pi, "w")) || !(fs = fopen(ps, "w"))) {
        rc = err_set(&e, ERR_USAGE, "%s: cannot write: %s", fi ? ps : pi, strerror(errno));
        goto out;
    }
    if ((rc = graph_generate(&p, fi, fs, &e))) goto out;
    fprintf(stderr, "wrote %s and %s (%u users, %u items, %u communities, seed %llu)\n", pi, ps, p.n_users,
            p.n_items, p.n_communities, (unsigned long long)p.seed);
out:
    if (fi && fclose(fi) && !rc) rc = err_set(&e, ERR_IO, "%s: write error", pi);
    if (fs && fclose(fs) && !rc) rc = err_set(&e, ERR_IO, "%s: write error", ps);
    if (rc && fi) remove(pi);   /* no half-written dataset left behind */
    if (rc && fs) remove(ps);
    cli_opts_destroy(&o);
    return rc ? cli_fail("generate", &e) : 0;
}
