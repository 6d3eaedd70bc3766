/* cmd_infer.c - `gnnrec infer`: top-K items for users from a saved model,
 * top-K for new users folded in from their items, similar items, and people
 * a user may know (docs/infer.md).
 *
 * Options in, one gnn_rank_* call (gnn/scorer.h: the one ranking path that
 * eval takes too), rows out through io_writer_t to stdout or --out FILE
 * (atomically). Notes (ids skipped, a fallback taken) go to stderr. Under
 * mpirun the stored-users mode runs distributed (dist/infer.h): each rank
 * a share of the users, the rows joined in rank order by rank 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/infer.h"
#include "gnn/foldin.h"
#include "gnn/scorer.h"
#include "io/idlist.h"
#include "io/writer.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec infer --store DIR [--model NAME] [--users all|FILE|ID,ID,...] [--k 20]\n"
    "                    [--format tsv|jsonl] [--include-seen] [--skip-unknown] [--threads N]\n"
    "                    [--index ivf [--nprobe N]] [--out FILE]\n"
    "                    [--new-user-items FILE | --similar-items all|FILE|ID,... | --friends |\n"
    "                     --pairs FILE]\n"
    "\n"
    "Top-K items for each user, scored by the saved model's embeddings (dot product).\n"
    "  --users U        all (default); @FILE or a path with a '/' (./FILE): one user id\n"
    "                   per line (first column); else a comma-separated list of ids\n"
    "  --k N            results per query (20)\n"
    "  --format F       tsv (default): user<TAB>rank<TAB>item<TAB>score rows;\n"
    "                   jsonl: {\"user\":..,\"items\":[{\"item\":..,\"score\":..},..]} per user\n"
    "  --include-seen   keep the user's training items (excluded by default)\n"
    "  --skip-unknown   warn about and skip unknown ids instead of failing\n"
    "  --names          a name column after each item (jsonl: \"name\"), from build-graph --item-names\n"
    "  --threads N      threads (0 = all cores)\n"
    "  --out FILE       write the rows to FILE (atomically: FILE.tmp.PID, then renamed;\n"
    "                   FILE is untouched on failure) instead of standard output\n"
    "  --shard I/N      only shard I (0..N-1) of the users asked for: a contiguous piece, in\n"
    "                   order, of whole blocks of 1024 users, so shards 0..N-1 concatenated\n"
    "                   are the whole output byte for byte (for xargs, Slurm arrays)\n"
    "  --index ivf      approximate top-K through the model's inverted-file index (built by\n"
    "                   `gnnrec index`): each user scores only the items of its --nprobe\n"
    "                   nearest lists (24); exact (every item) without it\n"
    "Other modes (one at a time):\n"
    "  --new-user-items FILE  lines `new_user item item ...`: users not in training, folded\n"
    "                   in from their items by the model's propagation rule (lightgcn, mf,\n"
    "                   pop); their items are excluded; a user with no known item gets the\n"
    "                   popularity ranking\n"
    "  --similar-items I  nearest items by cosine of the final embeddings (not the item\n"
    "                   itself): item<TAB>rank<TAB>item<TAB>score; jsonl {\"item\":..,\"items\":[..]}\n"
    "  --friends        people each --users user may know: cosine of the user embeddings,\n"
    "                   without the user and its social ties: user<TAB>rank<TAB>user<TAB>score;\n"
    "                   jsonl {\"user\":..,\"users\":[{\"user\":..,\"score\":..},..]}\n"
    "  --pairs FILE     lines `user item`: user<TAB>item<TAB>prediction per pair, in file order\n"
    "                   (a model trained with --loss mse: the predicted rating, clipped to the\n"
    "                   training range; other embedding models: the dot product they rank by)\n"
    "Under mpirun -np P (a build with MPI) the top-K of stored users runs on P ranks,\n"
    "each a contiguous share of the users; the output is what one process writes\n"
    "(docs/distributed.md). The other modes run as one process.\n";

static const cli_flag_t flags[] = {"include_seen", "skip_unknown", "friends", "help", "names", NULL};
static const char *const known[] = {"store", "model", "users", "k", "format", "include_seen", "skip_unknown",
                                    "threads", "new_user_items", "similar_items", "friends", "pairs", "index", "nprobe",
                                    "out", "shard", "help", "names", NULL};

static void note(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "gnnrec infer: %s\n", msg);
}

int cmd_infer(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    store_t s;
    store_txn_t t = {0};
    io_writer_t w = {0};
    gnn_rank_opts_t ro = {.note = note};
    gnn_ranker_t r;
    int rc, help = 0, opened = 0, friends = 0, have_w = 0;
    const char *dir, *given, *users_spec, *new_items, *similar, *out_path, *pairs, *shard_spec;
    dist_t d;
    uint32_t threads, shard, shards;
    char name[256];
    static const char *const formats[] = {"tsv", "jsonl", NULL}, *const indexes[] = {"none", "ivf", NULL};
    cli_opts_init(&o);
    if ((rc = cli_dist_start(&d, &e))) goto out;
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "store", &dir, &e)) || (rc = cli_get_str(&o, "model", NULL, &given, &e)) ||
        (rc = cli_get_str(&o, "users", "all", &users_spec, &e)) ||
        (rc = cli_get_u32(&o, "k", 20, 1, 100000, &ro.k, &e)) ||
        (rc = cli_get_choice(&o, "format", formats, 0, &ro.format, &e)) ||
        (rc = cli_get_bool(&o, "include_seen", 0, &ro.include_seen, &e)) ||
        (rc = cli_get_bool(&o, "skip_unknown", 0, &ro.skip_unknown, &e)) ||
        (rc = cli_get_bool(&o, "names", 0, &ro.names, &e)) ||
        (rc = cli_get_bool(&o, "friends", 0, &friends, &e)) ||
        (rc = cli_get_str(&o, "new_user_items", NULL, &new_items, &e)) ||
        (rc = cli_get_str(&o, "similar_items", NULL, &similar, &e)) ||
        (rc = cli_get_str(&o, "pairs", NULL, &pairs, &e)) ||
        (rc = cli_get_u32(&o, "threads", 0, 0, 1024, &threads, &e)) ||
        (rc = cli_get_choice(&o, "index", indexes, 0, &ro.use_index, &e)) ||
        (rc = cli_get_u32(&o, "nprobe", GNN_RANK_NPROBE, 1, 1u << 20, &ro.nprobe, &e)) ||
        (rc = cli_get_output_path(&o, "out", "-", &out_path, &e)) || (rc = cli_get_str(&o, "shard", NULL, &shard_spec, &e)) ||
        (rc = io_shard_parse(shard_spec, &shard, &shards, &e)))
        goto out;
    friends |= (pairs != NULL) << 1;   /* the one-process modes: friends 1, pairs 2 */
    if (ro.names && friends && (rc = err_set(&e, ERR_USAGE, "--names prints item names: not with --friends or --pairs")))
        goto out;
    if (cli_has(&o, "shard") && (d.size > 1 || new_items || similar || friends)) {
        rc = err_set(&e, ERR_USAGE, "--shard splits the top-K of stored users in one process (not under mpirun, "
                     "not with the other modes)");
        goto out;
    }
    if (d.size > 1 && (new_items || similar || friends)) {
        rc = err_set(&e, ERR_USAGE, "--%s runs as one process; under mpirun only the top-K of stored users runs "
                     "distributed", new_items ? "new-user-items" : similar ? "similar-items" : friends & 2 ? "pairs" : "friends");
        goto out;
    }
    if (d.rank != 0) ro.note = NULL;   /* every rank resolves the same ids: rank 0 says it once */
    if (ro.use_index && (new_items || similar || friends)) {
        rc = err_set(&e, ERR_USAGE, "--index ranks stored users' items; it does not apply to the other modes");
        goto out;
    }
    if ((new_items != NULL) + (similar != NULL) + (friends & 1) + (pairs != NULL) > 1) {
        rc = err_set(&e, ERR_USAGE, "--new-user-items, --similar-items, --friends and --pairs are separate modes: pick one");
        goto out;
    }
    if ((new_items || similar || pairs) && cli_has(&o, "users")) {
        rc = err_set(&e, ERR_USAGE, "--users does not apply to --%s",
                     new_items ? "new-user-items" : similar ? "similar-items" : "pairs");
        goto out;
    }
    ro.threads = (int)threads;
    const char *rule = getenv("GNNREC_FOLDIN_RULE");   /* for bench/foldin_lastfm.sh's comparison */
    ro.foldin_rule = rule && !strcmp(rule, "zero") ? GNN_FOLDIN_ZERO0 : GNN_FOLDIN_MEAN0;
    cli_set_threads((int)threads);
    /* every rank opens its copy; a failure anywhere is agreed before the job */
    if (!(rc = store_open(&s, dir, STORE_RDONLY, &e))) opened = 1;
    if (!rc && !(rc = store_read_begin(&s, &t, &e)) && !(rc = gnn_ranker_pick_model(&t, given, name, sizeof name, &e)))
        rc = gnn_ranker_open(&r, &t, name, &e);
    if ((rc = dist_agree_store(&d, rc, &t, &e))) goto out;
    if (!new_items && !similar && !friends && d.size <= 1 && shards > 1) {
        if ((rc = io_writer_open(&w, out_path, 0, &e))) goto out;
        have_w = 1;
        if (!(rc = gnn_rank_users_share(&r, users_spec, shard, shards, &ro, &w, &e)))
            rc = io_writer_close(&w, &e), have_w = 0;
        goto out;
    }
    if (!new_items && !similar && !friends) {
        rc = dist_rank_users(&d, &r, users_spec, &ro, out_path, &e);
        goto out;
    }
    if ((rc = io_writer_open(&w, out_path, 0, &e))) goto out;
    have_w = 1;
    if (new_items) rc = gnn_rank_new_users(&r, new_items, &ro, &w, &e);
    else if (similar) rc = gnn_rank_similar_items(&r, similar, &ro, &w, &e);
    else if (pairs) rc = gnn_rank_pairs(&r, pairs, &ro, &w, &e);
    else rc = gnn_rank_friends(&r, users_spec, &ro, &w, &e);
    if (!rc) rc = io_writer_close(&w, &e), have_w = 0;
out:
    if (have_w) io_writer_abort(&w);
    if (t.txn) store_read_end(&t);
    if (opened) store_close(&s);
    cli_opts_destroy(&o);
    return cli_dist_end(&d, "infer", rc, &e);
}
