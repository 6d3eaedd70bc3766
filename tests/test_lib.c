/* test_lib.c - the public API (lib/gnnrec.h) on a tiny store with two
 * hand-made mf models: top-K against dot products worked out here (seen
 * items excluded, k larger than the catalogue), candidate scores, similar
 * items, the model list and its early stop, and the error path: codes,
 * messages on the handles, unknown store/model/user/item, k = 0, a NULL
 * model name with several models, closes of NULL and after failed opens. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/gnnrec.h"
#include "gnn/saved.h"
#include "store/store.h"
#include "tests/check.h"

/* users a, b, c; items x0..x4; dim 2. Training: a-x0, b-x1. */
static const float EMB[] = {1, 0, 0, 1, 1, 1,   5, 0, 1, 3, 2, 2, 0, 1, -1, -1};

static int fill(store_txn_t *t, void *ctx, err_t *e)
{
    (void)ctx;
    static const char *const users[] = {"a", "b", "c"};
    static const uint32_t train[][2] = {{0, 0}, {1, 1}};
    int rc = ERR_OK, existed;
    char b[8];
    for (uint32_t u = 0; u < 3 && !rc; u++) rc = store_id_add(t, STORE_USER, u, users[u], 1, e);
    for (uint32_t i = 0; i < 5 && !rc; i++) rc = store_id_add(t, STORE_ITEM, i, b, (size_t)sprintf(b, "x%u", i), e);
    for (int k = 0; k < 2 && !rc; k++) rc = store_edge_put(t, STORE_TRAIN, train[k], &(store_attr_t){0}, 0, &existed, e);
    gnn_saved_meta_t m = {.version = GNN_SAVED_VERSION, .n_users = 3, .n_items = 5, .dim = 2, .best_metric = -1};
    snprintf(m.arch, sizeof m.arch, "mf");
    for (int k = 0; k < 2 && !rc; k++) {
        const char *name = k ? "m2" : "m";
        if (!(rc = store_blob_put(t, name, "meta", &m, sizeof m, e))) rc = store_blob_put(t, name, "emb", EMB, sizeof EMB, e);
    }
    return rc;
}

static int seen_models(const char *name, void *ctx)
{
    char *list = ctx;
    strcat(list, name);
    strcat(list, ";");
    return 0;
}

static int stop_at_first(const char *name, void *ctx)
{
    (void)name;
    ++*(int *)ctx;
    return 7;
}

int main(void)
{
    char dir[] = "/tmp/test_lib.XXXXXX", sdir[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(sdir, sizeof sdir, "%s/s", dir);
    err_t e = {0};
    store_t s;
    CHECK_EQ_INT(store_open(&s, sdir, STORE_CREATE, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, fill, NULL, &e), ERR_OK);
    store_close(&s);

    /* codes and their names */
    CHECK(!strcmp(gnnrec_strerror(GNNREC_OK), "success"));
    CHECK(!strcmp(gnnrec_strerror(GNNREC_ENOTFOUND), "not found"));
    CHECK(gnnrec_strerror(12345) != NULL);
    CHECK(!strcmp(gnnrec_store_errmsg(NULL), "") && !strcmp(gnnrec_model_errmsg(NULL), ""));
    gnnrec_store_close(NULL);
    gnnrec_model_close(NULL);

    /* no store there: a handle with the message, closed all the same */
    gnnrec_store_t *st;
    char missing[80];
    snprintf(missing, sizeof missing, "%s/none", dir);
    CHECK_EQ_INT(gnnrec_store_open(missing, &st), GNNREC_ENOTFOUND);
    CHECK(st && strlen(gnnrec_store_errmsg(st)) > 0);
    gnnrec_model_t *md = (gnnrec_model_t *)&md;
    CHECK_EQ_INT(gnnrec_model_open(st, "m", &md), GNNREC_EUSAGE);   /* the store is not open */
    CHECK(md == NULL);
    gnnrec_store_close(st);

    CHECK_EQ_INT(gnnrec_store_open(sdir, &st), GNNREC_OK);
    char list[64] = "";
    CHECK_EQ_INT(gnnrec_models_list(st, seen_models, list), GNNREC_OK);
    CHECK_MSG(!strcmp(list, "m;m2;"), "%s", list);
    int calls = 0;
    CHECK_EQ_INT(gnnrec_models_list(st, stop_at_first, &calls), 7);
    CHECK_EQ_INT(calls, 1);

    /* model by name: unknown (the message lists the models), none with several */
    CHECK_EQ_INT(gnnrec_model_open(st, "nope", &md), GNNREC_ENOTFOUND);
    CHECK(md == NULL);
    CHECK_MSG(strstr(gnnrec_store_errmsg(st), "nope") && strstr(gnnrec_store_errmsg(st), "m, m2"), "%s",
              gnnrec_store_errmsg(st));
    gnnrec_model_close(md);
    CHECK_EQ_INT(gnnrec_model_open(st, NULL, &md), GNNREC_EUSAGE);
    CHECK_MSG(strstr(gnnrec_store_errmsg(st), "several"), "%s", gnnrec_store_errmsg(st));

    CHECK_EQ_INT(gnnrec_model_open(st, "m", &md), GNNREC_OK);
    CHECK(!strcmp(gnnrec_store_errmsg(st), ""));   /* a success clears the store's message */
    const char *arch;
    size_t nu, ni;
    CHECK_EQ_INT(gnnrec_model_info(md, &arch, &nu, &ni), GNNREC_OK);
    CHECK(!strcmp(arch, "mf") && nu == 3 && ni == 5);

    /* a = (1,0): x0 5 (seen), x2 2, x1 1, x3 0, x4 -1; k = 10 > 5 items */
    const char *items[10];
    float sc[10];
    size_t n = 99;
    CHECK_EQ_INT(gnnrec_topk(md, "a", 10, items, sc, &n), GNNREC_OK);
    CHECK_EQ_INT(n, 4);
    CHECK(n == 4 && !strcmp(items[0], "x2") && !strcmp(items[1], "x1") && !strcmp(items[2], "x3") &&
          !strcmp(items[3], "x4"));
    CHECK(n == 4 && sc[0] == 2 && sc[1] == 1 && sc[2] == 0 && sc[3] == -1);
    /* b = (0,1): x1 3 (seen), x2 2, x3 1 */
    CHECK_EQ_INT(gnnrec_topk(md, "b", 2, items, sc, &n), GNNREC_OK);
    CHECK(n == 2 && !strcmp(items[0], "x2") && sc[0] == 2 && !strcmp(items[1], "x3") && sc[1] == 1);
    const char *kept = items[0];
    CHECK_EQ_INT(gnnrec_topk(md, "c", 1, items, sc, &n), GNNREC_OK);   /* c = (1,1): x0 5 */
    CHECK(n == 1 && !strcmp(items[0], "x0") && sc[0] == 5);
    CHECK(!strcmp(kept, "x2"));   /* an earlier answer's ids stay valid */

    /* unknown user, k = 0 */
    n = 99;
    CHECK_EQ_INT(gnnrec_topk(md, "zed", 5, items, sc, &n), GNNREC_ENOTFOUND);
    CHECK(n == 0);
    CHECK_MSG(strstr(gnnrec_model_errmsg(md), "zed") != NULL, "%s", gnnrec_model_errmsg(md));
    CHECK_EQ_INT(gnnrec_topk(md, "a", 0, items, sc, &n), GNNREC_EUSAGE);
    CHECK_EQ_INT(gnnrec_topk(md, NULL, 3, items, sc, &n), GNNREC_EUSAGE);
    CHECK_EQ_INT(gnnrec_topk(md, "a", 3, items, sc, &n), GNNREC_OK);
    CHECK(!strcmp(gnnrec_model_errmsg(md), ""));

    /* candidates: the top-K scores, seen items scored too */
    const char *cand[] = {"x0", "x4", "x2"};
    float cs[3] = {0};
    CHECK_EQ_INT(gnnrec_score_candidates(md, "a", cand, 3, cs), GNNREC_OK);
    CHECK(cs[0] == 5 && cs[1] == -1 && cs[2] == 2);
    const char *bad[] = {"x1", "x9"};
    CHECK_EQ_INT(gnnrec_score_candidates(md, "a", bad, 2, cs), GNNREC_ENOTFOUND);
    CHECK_MSG(strstr(gnnrec_model_errmsg(md), "x9") != NULL, "%s", gnnrec_model_errmsg(md));
    CHECK_EQ_INT(gnnrec_score_candidates(md, "zed", cand, 3, cs), GNNREC_ENOTFOUND);
    CHECK_EQ_INT(gnnrec_score_candidates(md, "a", cand, 0, cs), GNNREC_OK);

    /* similar to x2 = (2,2): x1 4/sqrt(20) = 0.894, then x0 and x3 0.707 */
    CHECK_EQ_INT(gnnrec_similar_items(md, "x2", 10, items, sc, &n), GNNREC_OK);
    CHECK_EQ_INT(n, 4);
    CHECK(!strcmp(items[0], "x1"));
    CHECK_NEAR(sc[0], 4 / sqrt(20), 1e-6);
    CHECK_NEAR(sc[1], sqrt(0.5), 1e-6);
    CHECK(!strcmp(items[3], "x4"));
    for (size_t i = 0; i < n; i++) CHECK(strcmp(items[i], "x2") != 0);
    CHECK_EQ_INT(gnnrec_similar_items(md, "a", 3, items, sc, &n), GNNREC_ENOTFOUND);   /* a user, not an item */

    gnnrec_model_close(md);
    /* a second model beside it, then both closed before the store */
    gnnrec_model_t *m1, *m2;
    CHECK_EQ_INT(gnnrec_model_open(st, "m", &m1), GNNREC_OK);
    CHECK_EQ_INT(gnnrec_model_open(st, "m2", &m2), GNNREC_OK);
    CHECK_EQ_INT(gnnrec_topk(m2, "a", 1, items, sc, &n), GNNREC_OK);
    CHECK(n == 1 && !strcmp(items[0], "x2"));
    gnnrec_model_close(m2);
    gnnrec_model_close(m1);
    gnnrec_store_close(st);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return check_report();
}
