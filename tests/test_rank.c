/* test_rank.c - the ranking jobs of gnn/scorer.h on a tiny store with a
 * hand-made mf model: top-K rows against dot products worked out here,
 * seen items excluded, unknown ids (refused, or noted and skipped), users
 * in the order asked, new users folded in (mf: the mean of their items),
 * the popularity fallback, similar items by cosine, the JSON lines form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn/foldin.h"
#include "gnn/scorer.h"
#include "tests/check.h"

static char dir[] = "/tmp/test_rank.XXXXXX";

/* users u0..u2, items i0..i3; dim 2 */
static const float EMB[] = {
    1, 0,      /* u0 */
    0, 1,      /* u1 */
    1, 1,      /* u2 */
    3, 0,      /* i0 */
    2, 2,      /* i1 */
    0, 4,      /* i2 */
    -1, 0.5f,  /* i3 */
};
/* training edges: u0-i0, u1-i2, u2-i0, u2-i1 */
static const uint32_t TRAIN[][2] = {{0, 0}, {1, 2}, {2, 0}, {2, 1}};

static int fill(store_txn_t *t, void *ctx, err_t *e)
{
    (void)ctx;
    int rc = ERR_OK;
    char b[8];
    for (uint32_t u = 0; u < 3 && !rc; u++) rc = store_id_add(t, STORE_USER, u, b, (size_t)sprintf(b, "u%u", u), e);
    for (uint32_t i = 0; i < 4 && !rc; i++) rc = store_id_add(t, STORE_ITEM, i, b, (size_t)sprintf(b, "i%u", i), e);
    for (int k = 0; k < 4 && !rc; k++) {
        store_attr_t a = {0};
        int existed;
        rc = store_edge_put(t, STORE_TRAIN, TRAIN[k], &a, 0, &existed, e);
    }
    gnn_saved_meta_t m = {.version = GNN_SAVED_VERSION, .n_users = 3, .n_items = 4, .dim = 2, .best_metric = -1};
    snprintf(m.arch, sizeof m.arch, "mf");
    if (!rc) rc = store_blob_put(t, "m", "meta", &m, sizeof m, e);
    if (!rc) rc = store_blob_put(t, "m", "emb", EMB, sizeof EMB, e);
    if (!rc) rc = store_blob_put(t, "m", "config", "arch: mf\n", 9, e);
    return rc;
}

static int n_notes;
static char last_note[1024];
static void note(void *ctx, const char *msg)
{
    (void)ctx;
    n_notes++;
    snprintf(last_note, sizeof last_note, "%s", msg);
}

/* Run one job into a file and return its text (static buffer). */
typedef int (*job_fn)(const gnn_ranker_t *, const char *, const gnn_rank_opts_t *, io_writer_t *, err_t *);
static const char *run(job_fn f, const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o, int *rc)
{
    static char text[4096];
    char path[300];
    snprintf(path, sizeof path, "%s/out", dir);
    err_t e = {0};
    io_writer_t w;
    text[0] = '\0';
    if ((*rc = io_writer_open(&w, path, 0, &e))) return text;
    if ((*rc = f(r, spec, o, &w, &e))) { io_writer_abort(&w); snprintf(text, sizeof text, "%s", e.msg); return text; }
    if ((*rc = io_writer_close(&w, &e))) return text;
    FILE *in = fopen(path, "r");
    size_t n = fread(text, 1, sizeof text - 1, in);
    text[n] = '\0';
    fclose(in);
    unlink(path);
    return text;
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    char sdir[300];
    snprintf(sdir, sizeof sdir, "%s/s", dir);
    err_t e = {0};
    store_t s;
    store_txn_t t;
    CHECK_EQ_INT(store_open(&s, sdir, STORE_CREATE, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, fill, NULL, &e), ERR_OK);
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    gnn_ranker_t r;
    CHECK_EQ_INT(gnn_ranker_open(&r, &t, "m", &e), ERR_OK);
    CHECK(r.arch && r.arch->id == GNN_ARCH_MF && r.emb);
    gnn_rank_opts_t o = {.k = 2, .note = note};
    int rc;
    /* u1 = (0,1): i2 4 (seen), i1 2, i3 0.5, i0 0; u0 = (1,0): i0 3 (seen), i1 2, i2 0, i3 -1 */
    const char *out = run(gnn_rank_users, &r, "u1,u0", &o, &rc);
    CHECK_EQ_INT(rc, ERR_OK);
    CHECK_MSG(!strcmp(out, "u1\t1\ti1\t2\nu1\t2\ti3\t0.5\nu0\t1\ti1\t2\nu0\t2\ti2\t0\n"), "%s", out);
    /* all users: u2 = (1,1) has seen i0, i1: i2 4, i3 -0.5 */
    out = run(gnn_rank_users, &r, "all", &o, &rc);
    CHECK_MSG(rc == ERR_OK && strstr(out, "u2\t1\ti2\t4\nu2\t2\ti3\t-0.5\n") && !strncmp(out, "u0\t1\ti1\t2\n", 10),
              "%s", out);
    o.include_seen = 1;
    out = run(gnn_rank_users, &r, "u0", &o, &rc);
    CHECK_MSG(!strcmp(out, "u0\t1\ti0\t3\nu0\t2\ti1\t2\n"), "%s", out);
    o.include_seen = 0;
    /* unknown ids: refused, naming them; skipped with a note */
    out = run(gnn_rank_users, &r, "u0,nobody,ghost", &o, &rc);
    CHECK_EQ_INT(rc, ERR_NOTFOUND);
    CHECK_MSG(strstr(out, "2 unknown user ids: nobody, ghost") != NULL, "%s", out);
    o.skip_unknown = 1;
    n_notes = 0;
    out = run(gnn_rank_users, &r, "nobody,u0", &o, &rc);
    CHECK(rc == ERR_OK && !strcmp(out, "u0\t1\ti1\t2\nu0\t2\ti2\t0\n"));
    CHECK(n_notes == 1 && strstr(last_note, "skipped 1 unknown user ids: nobody"));
    o.skip_unknown = 0;
    /* JSON lines */
    o.format = GNN_RANK_JSONL;
    out = run(gnn_rank_users, &r, "u1", &o, &rc);
    CHECK_MSG(!strcmp(out, "{\"user\":\"u1\",\"items\":[{\"item\":\"i1\",\"score\":2},{\"item\":\"i3\",\"score\":0.5}]}\n"),
              "%s", out);
    o.format = GNN_RANK_TSV;
    /* new users (mf: mean of the items' vectors), in file order; n2 knows
     * no item: popularity (degrees i0 2, i1 1, i2 1, i3 0; ties by index) */
    char np[300];
    snprintf(np, sizeof np, "%s/new", dir);
    FILE *f = fopen(np, "w");
    fputs("n1 i0 i2\nn2 zzz\n", f);
    fclose(f);
    o.skip_unknown = 1;
    n_notes = 0;
    out = run(gnn_rank_new_users, &r, np, &o, &rc);
    /* n1 = (1.5, 2): i1 7, i3 -0.5 (i0, i2 are its own) */
    CHECK_MSG(rc == ERR_OK && !strcmp(out, "n1\t1\ti1\t7\nn1\t2\ti3\t-0.5\nn2\t1\ti0\t2\nn2\t2\ti1\t1\n"), "%s", out);
    CHECK_EQ_INT(n_notes, 2);   /* the skipped item and the fallback */
    CHECK(strstr(last_note, "1 new user with no known item got the popularity ranking") != NULL);
    o.skip_unknown = 0;
    out = run(gnn_rank_new_users, &r, np, &o, &rc);
    CHECK(rc == ERR_NOTFOUND && strstr(out, "zzz"));
    /* similar items: cosine, never the item itself; i0 = (1,0): i1 0.707107, i2 0 */
    out = run(gnn_rank_similar_items, &r, "i0", &o, &rc);
    CHECK_MSG(rc == ERR_OK && !strcmp(out, "i0\t1\ti1\t0.707107\ni0\t2\ti2\t0\n"), "%s", out);
    /* friends: no social ties here, so everyone but the user; u0: u2 0.707107, u1 0 */
    out = run(gnn_rank_friends, &r, "u0", &o, &rc);
    CHECK_MSG(rc == ERR_OK && !strcmp(out, "u0\t1\tu2\t0.707107\nu0\t2\tu1\t0\n"), "%s", out);
    store_read_end(&t);
    store_close(&s);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
    return check_report();
}
