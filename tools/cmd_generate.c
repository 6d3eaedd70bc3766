/* cmd_generate.c - `gnnrec generate`: write a synthetic dataset to a
 * directory. Without --interactions / --mean-degree: the small built-in
 * dataset of the demo and tests (graph/generate.h), unchanged. With either:
 * a large streamed power-law graph with communities (graph/powerlaw.h,
 * docs/scale.md), written atomically by graph_pl_write_dir. */
#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "graph/generate.h"
#include "graph/powerlaw.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec generate --out DIR [--users N] [--items N] [--communities N] [--seed N]\n"
    "                       [--min-items N] [--max-items N]\n"
    "       gnnrec generate --out DIR --interactions N | --mean-degree X [--users N] [--items N]\n"
    "                       [--communities 20] [--seed N] [--user-alpha 3] [--item-alpha 2.5]\n"
    "                       [--affinity 0.8] [--min-degree N] [--max-degree N]\n"
    "                       [--test-fraction F] [--format adj|edges] [--progress]\n"
    "\n"
    "Without --interactions or --mean-degree: writes the small community-structured\n"
    "dataset made with igraph's stochastic block model: DIR/interactions.tsv (user\n"
    "item rating time) and DIR/social.tsv (user user). Load it with:\n"
    "  gnnrec build-graph --store S --interactions DIR/interactions.tsv \\\n"
    "      --columns user,item,rating,time --split temporal:0.2 --social DIR/social.tsv\n"
    "\n"
    "With --interactions N (up to 10^12) or --mean-degree X (N = X * users): streams a\n"
    "large graph in O(items) memory to DIR/train.txt (and DIR/test.txt with\n"
    "--test-fraction F: each user's items split at random), ids 0..users-1 and\n"
    "0..items-1, exactly N interactions, no user-item pair twice (docs/scale.md).\n"
    "  --users N            default N / 20 (100000 with --mean-degree)\n"
    "  --items N            default max(communities, users / 2)\n"
    "  --communities C      latent communities of users and items (default 20)\n"
    "  --user-alpha A       user degree exponent, P(k) ~ k^-A (default 3)\n"
    "  --item-alpha A       item degree exponent (default 2.5: a few very popular items)\n"
    "  --affinity P         share of a user's items from its own community (default 0.8)\n"
    "  --min-degree N       default min(10, mean / 2), at least 1\n"
    "  --max-degree N       default min(items / 2, max(64, 30 x mean))\n"
    "  --test-fraction F    in [0, 1) (default 0: no test file)\n"
    "  --format adj|edges   adj (default): `user item item ...` per line; edges: `user<TAB>item`\n"
    "  --progress           progress line even when stderr is not a terminal\n"
    "Load it with:\n"
    "  gnnrec build-graph --store S --format adj --interactions DIR/train.txt --test DIR/test.txt\n";

static const cli_flag_t flags[] = {"help", "progress", NULL};
static const char *const known[] = {"out", "users", "items", "communities", "seed", "min_items", "max_items",
                                    "interactions", "mean_degree", "user_alpha", "item_alpha", "affinity",
                                    "min_degree", "max_degree", "test_fraction", "format", "progress", "help",
                                    NULL};
/* the options of one mode that the other does not take */
static const char *const large_only[] = {"user_alpha", "item_alpha", "affinity", "min_degree", "max_degree",
                                         "test_fraction", "format", "progress", NULL};
static const char *const small_only[] = {"min_items", "max_items", NULL};

static int refuse(cli_opts_t *o, const char *const *keys, const char *why, err_t *e)
{
    for (int k = 0; keys[k]; k++)
        if (cli_has(o, keys[k])) return cli_error(o, keys[k], e, "%s", why);
    return ERR_OK;
}

static int run_large(cli_opts_t *o, const char *dir, err_t *e)
{
    graph_pl_params_t p;
    graph_pl_stats_t st;
    float mean = 0, ua, ia, aff, tf;
    int fmt, rc, progress = 0;
    static const char *const formats[] = {"adj", "edges", NULL};
    graph_pl_defaults(&p);
    if (cli_has(o, "interactions") && cli_has(o, "mean_degree"))
        return cli_error(o, "mean_degree", e, "give --interactions or --mean-degree, not both");
    if ((rc = refuse(o, small_only, "only for the small built-in dataset (without --interactions)", e)) ||
        (rc = cli_get_u64(o, "interactions", 0, 1, 1000000000000ULL, &p.n_interactions, e)) ||
        (rc = cli_get_float(o, "mean_degree", 0, FLT_MIN, 1e7, &mean, e)) ||
        (rc = cli_get_u32(o, "users", 0, 1, UINT32_MAX, &p.n_users, e)) ||
        (rc = cli_get_u32(o, "items", 0, 2, UINT32_MAX, &p.n_items, e)) ||
        (rc = cli_get_u32(o, "communities", p.n_communities, 1, 10000000, &p.n_communities, e)) ||
        (rc = cli_get_u32(o, "min_degree", 0, 1, GRAPH_PL_MAX_DEGREE, &p.min_degree, e)) ||
        (rc = cli_get_u32(o, "max_degree", 0, 1, GRAPH_PL_MAX_DEGREE, &p.max_degree, e)) ||
        (rc = cli_get_float(o, "user_alpha", (float)p.user_alpha, 1.001, 100, &ua, e)) ||
        (rc = cli_get_float(o, "item_alpha", (float)p.item_alpha, 1.001, 100, &ia, e)) ||
        (rc = cli_get_float(o, "affinity", (float)p.affinity, 0, 1, &aff, e)) ||
        (rc = cli_get_float(o, "test_fraction", 0, 0, 0.99, &tf, e)) ||
        (rc = cli_get_choice(o, "format", formats, GRAPH_PL_ADJ, &fmt, e)) ||
        (rc = cli_get_u64(o, "seed", p.seed, 0, UINT64_MAX, &p.seed, e)))
        return rc;
    if (cli_has(o, "progress") && (rc = cli_get_bool(o, "progress", 0, &progress, e))) return rc;
    if (cli_has(o, "progress")) progress = progress ? 1 : -1;
    p.mean_degree = mean;
    p.user_alpha = ua;
    p.item_alpha = ia;
    p.affinity = aff;
    p.test_fraction = tf;
    p.format = fmt;
    if ((rc = graph_pl_resolve(&p, e)) || (rc = graph_pl_write_dir(&p, dir, progress, &st, e))) return rc;
    char test_part[4300] = "";
    if (p.test_fraction > 0)
        snprintf(test_part, sizeof test_part, " and %s/test.txt (%llu)", dir, (unsigned long long)st.test);
    fprintf(stderr,
            "wrote %s/train.txt (%llu interactions)%s: %u users, %u items (%u drawn), %u communities, "
            "max user degree %u, seed %llu, %.2f s (%.1f M interactions/s)\n",
            dir, (unsigned long long)st.train, test_part, p.n_users, p.n_items, st.items_used, p.n_communities,
            st.max_user_degree, (unsigned long long)p.seed, st.seconds,
            st.seconds > 0 ? (double)(st.train + st.test) / st.seconds / 1e6 : 0.0);
    return ERR_OK;
}

static int run_small(cli_opts_t *o, const char *dir, err_t *e)
{
    graph_gen_params_t p;
    FILE *fi = NULL, *fs = NULL;
    char pi[4200], ps[4200];
    int rc;
    graph_gen_defaults(&p);
    if ((rc = refuse(o, large_only, "needs --interactions or --mean-degree (the large-graph mode)", e)) ||
        (rc = cli_get_u32(o, "users", p.n_users, 2, 10000000, &p.n_users, e)) ||
        (rc = cli_get_u32(o, "items", p.n_items, 2, 10000000, &p.n_items, e)) ||
        (rc = cli_get_u32(o, "communities", p.n_communities, 1, 10000, &p.n_communities, e)) ||
        (rc = cli_get_u32(o, "min_items", p.min_items, 1, 1000000, &p.min_items, e)) ||
        (rc = cli_get_u32(o, "max_items", p.max_items, 1, 1000000, &p.max_items, e)) ||
        (rc = cli_get_u64(o, "seed", p.seed, 0, UINT64_MAX, &p.seed, e)) ||
        (rc = graph_gen_check(&p, e)))   /* before any file is created */
        return rc;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return err_set(e, ERR_USAGE, "%s: cannot create: %s", dir, strerror(errno));
    snprintf(pi, sizeof pi, "%s/interactions.tsv", dir);
    snprintf(ps, sizeof ps, "%s/social.tsv", dir);
    if (!(fi = fopen(pi, "w")) || !(fs = fopen(ps, "w"))) {
        rc = err_set(e, ERR_USAGE, "%s: cannot write: %s", fi ? ps : pi, strerror(errno));
        goto out;
    }
    if ((rc = graph_generate(&p, fi, fs, e))) goto out;
    fprintf(stderr, "wrote %s and %s (%u users, %u items, %u communities, seed %llu)\n", pi, ps, p.n_users,
            p.n_items, p.n_communities, (unsigned long long)p.seed);
out:
    if (fi && fclose(fi) && !rc) rc = err_set(e, ERR_IO, "%s: write error", pi);
    if (fs && fclose(fs) && !rc) rc = err_set(e, ERR_IO, "%s: write error", ps);
    if (rc && fi) remove(pi);   /* no half-written dataset left behind */
    if (rc && fs) remove(ps);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    int rc, help = 0;
    const char *dir;
    cli_opts_init(&o);
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "out", &dir, &e))) goto out;
    rc = cli_has(&o, "interactions") || cli_has(&o, "mean_degree") ? run_large(&o, dir, &e) : run_small(&o, dir, &e);
out:
    cli_opts_destroy(&o);
    return rc ? cli_fail("generate", &e) : 0;
}
