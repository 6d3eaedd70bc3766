/* cmd_build_graph.c - `gnnrec build-graph`: read interaction, social and
 * knowledge files and write them into a store.
 *
 * Two phases, so that bad input can never touch the store:
 *   1. parse: every file is read and validated into memory (ids interned in
 *      order of first appearance, after the ids the store already has when
 *      --append), duplicates collapsed, the split made;
 *   2. write: one LMDB transaction adds the new ids and edges. Checks that
 *      need the stored graph (a test pair already in train, an edge already
 *      stored) happen inside it, so --append counts them the same way. The
 *      dense ids of new external ids are assigned inside it too: another
 *      --append may have committed new ids since phase 1 read the store's,
 *      so each new id is looked up again there and the rows go through
 *      map[] (parse id -> stored id) rather than being trusted as parsed.
 * A failure in either phase leaves the store as it was (a store this command
 * created is removed again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strmap.h"
#include "io/ingest.h"
#include "io/lines.h"
#include "io/split.h"
#include "store/ingest.h"
#include "store/store.h"
#include "io/cli.h"
#include "tools/commands.h"

static const char usage_text[] =
    "usage: gnnrec build-graph --store DIR [--append] [--config FILE]\n"
    "         --interactions FILE [--format adj|edges] [--delim tab|comma|space|auto] [--header]\n"
    "         [--columns user,item[,rating][,time]] [--min-rating R]\n"
    "         [--test FILE | --split random:F | --split temporal:F | --split leave-one-out] [--seed N]\n"
    "         [--social FILE] [--kg FILE] [--item-entities FILE]\n"
    "\n"
    "Reads the files, checks every line, then writes everything in one transaction:\n"
    "on any error nothing is written. Ids are opaque strings.\n"
    "  --store DIR          the store (created if absent; with --append it must exist)\n"
    "  --append             add to an existing store (new ids get new dense ids)\n"
    "  --interactions FILE  training interactions (all interactions when --split is given)\n"
    "  --format adj|edges   adj: `user item item ...` per line (LightGCN); edges (default): one per line\n"
    "  --delim D            edges column separator; auto (default) picks tab, comma or blanks\n"
    "  --header             skip the first line of the interactions and test files\n"
    "  --columns LIST       names of the edges columns, default user,item; `_` ignores a column\n"
    "  --min-rating R       keep only rows with rating >= R (needs a rating column)\n"
    "  --test FILE          held-out interactions in the same format\n"
    "  --split S            random:F, temporal:F (per user, by the time column) or leave-one-out\n"
    "  --seed N             seed of the random split (default 2020)\n"
    "  --social FILE        `user user [weight]` per line, undirected\n"
    "  --kg FILE            `head relation tail` per line (entity and relation ids)\n"
    "  --item-entities FILE `item entity` per line: which kg entity each item is (KGCN's\n"
    "                       item_index2entity_id.txt); without it an entity whose id equals\n"
    "                       an item's id is that item (KGAT's convention)\n"
    "  --item-names FILE    `item<TAB>name` per line: names infer --names prints (docs/infer.md)\n"
    "  --progress           progress lines on stderr (done/total, rate, ETA) while reading the\n"
    "                       interactions and test files and while writing the edges, also when\n"
    "                       stderr is not a terminal (on a terminal they are always shown)\n"
    "Exit codes: 0 ok, 2 bad usage or bad input (FILE:LINE: what is wrong), 1 other failure.\n";

static const cli_flag_t flags[] = {"append", "header", "help", "progress", NULL};
static const char *const known[] = {"store", "append", "config", "interactions", "format", "delim",
                                    "header", "columns", "min_rating", "test", "split", "seed",
                                    "social", "kg", "help", "progress", "item_entities", "item_names", NULL};

static void print_summary(const store_ingest_t *j, const char *dir, store_t *s, store_txn_t *t, double secs)
{
    static const char *node_label[STORE_N_NODE] = {"users", "items", "entities", "relations"};
    err_t e = {0};
    (void)s;
    printf("store %s (%s)\n", dir, j->append ? "appended" : "new");
    for (int n = 0; n < STORE_N_NODE; n++) {
        uint64_t c = 0;
        store_count_nodes(t, n, &c, &e);
        printf("  %-20s %10llu  (+%u)\n", node_label[n], (unsigned long long)c, j->added[n]);
    }
    static const char *edge_label[STORE_N_EDGES] = {"train interactions", "test interactions",
                                                    "social edges", "kg triples"};
    const uint64_t added[STORE_N_EDGES] = {j->w.new_train, j->w.new_test, j->w.new_social, j->w.new_kg};
    for (int k = 0; k < STORE_N_EDGES; k++) {
        uint64_t c = 0;
        store_count_edges(t, k, &c, &e);
        printf("  %-20s %10llu  (+%llu)\n", edge_label[k], (unsigned long long)c, (unsigned long long)added[k]);
    }
    const store_ingest_counts_t *p = &j->parse, *w = &j->w;
    if (j->align.n)
        printf("  %-20s %10llu  (item-entity pairs)\n", "aligned items", (unsigned long long)j->align_stored);
    if (j->names.names.n) printf("  %-20s %10llu\n", "named items", (unsigned long long)j->names_stored);
    printf("dropped:\n");
    printf("  %-46s %llu\n", "duplicate training interactions",
           (unsigned long long)(p->dup_train + w->dup_train));
    printf("  %-46s %llu\n", "duplicate test interactions", (unsigned long long)(p->dup_test + w->dup_test));
    printf("  %-46s %llu\n", "test pairs already in training", (unsigned long long)w->test_in_train);
    if (j->append)
        printf("  %-46s %llu\n", "training pairs already stored as test", (unsigned long long)w->train_in_test);
    printf("  %-46s %llu\n", "rows below --min-rating", (unsigned long long)p->below_min);
    printf("  %-46s %llu\n", "social self-loops", (unsigned long long)p->social_self);
    printf("  %-46s %llu\n", "duplicate social ties (either direction)",
           (unsigned long long)(p->social_dup + w->social_dup));
    printf("  %-46s %llu\n", "duplicate kg triples", (unsigned long long)(p->kg_dup + w->kg_dup));
    printf("kept, worth knowing:\n");
    if (p->split_test) printf("  %-46s %llu\n", "interactions moved to test by --split", (unsigned long long)p->split_test);
    printf("  %-46s %llu\n", "test interactions on items unseen in training",
           (unsigned long long)w->test_unseen_item);
    printf("seconds %.2f\n", secs);
}

static int parse_inputs(cli_opts_t *o, store_ingest_t *j, err_t *e)
{
    const char *inter, *test, *split_s, *social, *kg, *fmt, *delim, *columns, *names;
    int header, rc;
    float min_rating;
    uint64_t seed;
    io_spec_t spec;
    io_split_t split = {IO_SPLIT_NONE, 0};
    io_spec_default(&spec);
    if ((rc = cli_need_str(o, "interactions", &inter, e)) ||
        (rc = cli_get_str(o, "test", NULL, &test, e)) ||
        (rc = cli_get_str(o, "split", NULL, &split_s, e)) ||
        (rc = cli_get_str(o, "social", NULL, &social, e)) ||
        (rc = cli_get_str(o, "kg", NULL, &kg, e)) ||
        (rc = cli_get_str(o, "format", "edges", &fmt, e)) ||
        (rc = cli_get_str(o, "delim", "auto", &delim, e)) ||
        (rc = cli_get_str(o, "columns", NULL, &columns, e)) ||
        (rc = cli_get_bool(o, "header", 0, &header, e)) ||
        (rc = cli_get_u64(o, "seed", 2020, 0, UINT64_MAX, &seed, e)) ||
        (rc = cli_get_float(o, "min_rating", 0.0f, -1e30, 1e30, &min_rating, e)))
        return rc;
    if (test && split_s) return cli_error(o, "split", e, "give either --test or --split, not both");
    if (!strcmp(fmt, "adj")) spec.format = IO_FORMAT_ADJ;
    else if (strcmp(fmt, "edges")) return cli_error(o, "format", e, "expected adj or edges, got '%s'", fmt);
    if ((rc = io_spec_set_delim(&spec, delim, e))) return rc;
    if (columns && (rc = io_spec_set_columns(&spec, columns, e))) return rc;
    spec.header = header;
    if (cli_has(o, "min_rating")) {
        if (spec.col[IO_COL_RATING] < 0)
            return cli_error(o, "min_rating", e, "needs a rating column (--columns user,item,rating)");
        spec.has_min_rating = 1;
        spec.min_rating = min_rating;
    }
    if (spec.format == IO_FORMAT_ADJ && (columns || spec.has_min_rating))
        return cli_error(o, columns ? "columns" : "min_rating", e, "only applies to --format edges");
    if (split_s && (rc = io_split_parse(split_s, &split, e))) return rc;
    if (split.kind == IO_SPLIT_TEMPORAL && spec.col[IO_COL_TIME] < 0)
        return cli_error(o, "split", e, "temporal needs a time column (--columns user,item,...,time)");

    spec.progress = j->progress ? 1 : 0;
    /* only the columns the files have: an adj row is 8 bytes, not 28 */
    io_rows_destroy(&j->train); io_rows_destroy(&j->test);
    io_rows_init_cols(&j->train, io_spec_row_cols(&spec));
    io_rows_init_cols(&j->test, io_spec_row_cols(&spec));
    io_read_stats_t st;
    strmap_t *users = &j->ids[STORE_USER], *items = &j->ids[STORE_ITEM];
    if ((rc = io_read_interactions(inter, &spec, users, items, &j->train, &st, e))) return rc;
    j->parse.below_min += st.below_min_rating;
    if (test) {
        if ((rc = io_read_interactions(test, &spec, users, items, &j->test, &st, e))) return rc;
        j->parse.below_min += st.below_min_rating;
    }
    if (split.kind != IO_SPLIT_NONE) {
        if ((rc = io_split_apply(&j->train, &j->test, users->n, &split, seed, &j->parse.dup_train, e))) return rc;
        j->parse.split_test = j->test.n;
    }
    /* key order, in place: puts append, and the test-in-train check is a merge */
    uint64_t none = 0;
    if ((rc = io_rows_sort_dedup(&j->train, 0, split.kind != IO_SPLIT_NONE ? &none : &j->parse.dup_train, e)) ||
        (rc = io_rows_sort_dedup(&j->test, 0, &j->parse.dup_test, e)))
        return rc;
    if (social) {
        if ((rc = io_read_social(social, users, &j->social, &st, e))) return rc;
        j->parse.social_rows = st.rows;
        if ((rc = io_rows_undirected(&j->social, &j->parse.social_self, e)) ||
            (rc = io_rows_sort_dedup(&j->social, 0, &j->parse.social_dup, e)))
            return rc;
    }
    if (cli_has(o, "item_entities")) {
        if ((rc = cli_get_str(o, "item_entities", NULL, &j->align_path, e)) ||
            (rc = io_read_item_entities(j->align_path, &j->ids[STORE_ITEM], &j->ids[STORE_ENTITY], &j->align, e)))
            return rc;
    }
    if (cli_has(o, "item_names") && ((rc = cli_get_str(o, "item_names", NULL, &names, e)) ||
                                     (rc = io_read_item_names(names, &j->ids[STORE_ITEM], &j->names, e))))
        return rc;
    if (kg) {
        if ((rc = io_read_kg(kg, &j->ids[STORE_ENTITY], &j->ids[STORE_RELATION], &j->kg, &st, e))) return rc;
        j->parse.kg_rows = st.rows;
        if ((rc = io_rows_sort_dedup(&j->kg, 1, &j->parse.kg_dup, e))) return rc;
    }
    return ERR_OK;
}

int cmd_build_graph(int argc, char **argv)
{
    const char *cmd = "build-graph";
    err_t e = {0};
    cli_opts_t o;
    store_ingest_t j;
    store_t s;
    int rc, help = 0, store_open_ok = 0;
    double t0 = clock_now();
    memset(&j, 0, sizeof j);
    memset(&s, 0, sizeof s);
    cli_opts_init(&o);
    for (int n = 0; n < STORE_N_NODE; n++)
        if (strmap_init(&j.ids[n])) { err_set(&e, ERR_NOMEM, "out of memory"); rc = e.code; goto out; }
    io_rows_init(&j.train); io_rows_init(&j.test); io_rows_init(&j.social); io_rows_init(&j.kg);
    io_rows_init(&j.align);

    const char *config = NULL, *dir = NULL;
    if ((rc = cli_parse_argv(&o, argc, argv, flags, &e))) goto out;
    if ((rc = cli_get_bool(&o, "help", 0, &help, &e))) goto out;
    if (help) { fputs(usage_text, stdout); goto out; }
    if ((rc = cli_get_str(&o, "config", NULL, &config, &e)) ||
        (config && (rc = cli_load_yaml(&o, config, &e))) ||
        (rc = cli_check_unknown(&o, known, &e)) ||
        (rc = cli_need_str(&o, "store", &dir, &e)) ||
        (rc = cli_get_bool(&o, "append", 0, &j.append, &e)))
        goto out;
    if ((rc = cli_get_bool(&o, "progress", 0, &j.progress, &e))) goto out;

    if (j.append) {
        /* the store's ids come first so known ids keep their dense ids */
        if ((rc = store_open(&s, dir, 0, &e))) goto out;
        store_open_ok = 1;
        store_txn_t t;
        if ((rc = store_read_begin(&s, &t, &e))) goto out;
        for (int n = 0; n < STORE_N_NODE && !rc; n++) {
            rc = store_id_load(&t, n, &j.ids[n], &e);
            j.n0[n] = j.ids[n].n;
        }
        store_read_end(&t);
        if (rc) goto out;
    } else {
        store_t probe;
        err_t pe = {0};
        if ((rc = store_open(&probe, dir, STORE_RDONLY, &pe)) == ERR_OK) {
            store_close(&probe);
            rc = err_set(&e, ERR_USAGE, "%s: a store already exists; use --append to add to it, or remove it", dir);
            goto out;
        }
        if (rc != ERR_NOTFOUND) { e = pe; goto out; }   /* a file, a broken store, ... */
        if ((rc = store_create_check(dir, &e))) goto out;   /* before parsing: fail fast */
    }
    if ((rc = parse_inputs(&o, &j, &e))) goto out;
    if ((rc = cli_check_unused(&o, &e))) goto out;
    for (int n = 0; n < STORE_N_NODE; n++) {
        uint32_t cnt = j.ids[n].n;
        if (!(j.map[n] = malloc((cnt ? cnt : 1) * sizeof *j.map[n]))) { rc = err_set(&e, ERR_NOMEM, "out of memory"); goto out; }
        for (uint32_t id = 0; id < j.n0[n]; id++) j.map[n][id] = id;   /* the store's own ids */
    }
    /* a new store is made in a staging directory and put in place once
     * written: killed at any moment, the command leaves either no store or
     * the whole one (store_create_begin) */
    if (!j.append) {
        if ((rc = store_open(&s, dir, STORE_RDONLY, &e)) == ERR_OK) {   /* made meanwhile */
            store_close(&s);
            rc = err_set(&e, ERR_USAGE, "%s: a store already exists; use --append to add to it, or remove it", dir);
            goto out;
        }
        if (rc != ERR_NOTFOUND) goto out;          /* not a store (a file, other files, ...) */
        if ((rc = store_create_begin(&s, dir, &e))) goto out;
        store_open_ok = 1;
    }
    /* room for the whole write up front: a map that fills mid-write makes
     * store_write start over (a second pass over every row). Per edge at
     * most key 12 + attr 13 + node 8 + index 2 bytes, doubled for half-full
     * pages; per id two records of its name + 4 bytes + 10 */
    uint64_t need = 70 * (j.train.n + j.test.n + j.social.n + j.kg.n) + ((uint64_t)1 << 20);
    for (int n = 0; n < STORE_N_NODE; n++) need += 2 * (j.ids[n].arena_len + 30 * (uint64_t)j.ids[n].n);
    if ((rc = store_reserve(&s, need, &e))) goto out;
    if ((rc = store_write(&s, store_ingest_write, &j, &e))) goto out;
    store_txn_t t;
    if ((rc = store_read_begin(&s, &t, &e))) goto out;
    print_summary(&j, dir, &s, &t, clock_now() - t0);
    store_read_end(&t);
    if (!j.append) {
        store_open_ok = 0;
        if ((rc = store_create_commit(&s, &e))) goto out;
    }
out:
    if (store_open_ok) {
        if (rc) store_close_discard(&s);
        else store_close(&s);
    }
    for (int n = 0; n < STORE_N_NODE; n++) { strmap_destroy(&j.ids[n]); free(j.map[n]); }
    io_rows_destroy(&j.train); io_rows_destroy(&j.test);
    io_rows_destroy(&j.social); io_rows_destroy(&j.kg); io_rows_destroy(&j.align);
    io_item_names_destroy(&j.names);
    cli_opts_destroy(&o);
    return rc ? cli_fail(cmd, &e) : 0;
}
