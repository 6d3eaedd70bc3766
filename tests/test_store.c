/* test_store.c - the LMDB store (store/store.h): create and reopen in a temp
 * dir, id maps round trip (add, lookup, name, load, counts), edges put and
 * loaded back in key order with their attrs, the existed flag and the
 * append-order check, meta records, model blobs (get, float view, list,
 * delete without touching a model whose name shares a prefix), a failing
 * write callback leaves nothing behind (data.mdb unchanged byte for byte),
 * MAP_FULL growth from a 1 MB map (GNNREC_MAPSIZE_MB=1) with the callback
 * rerun, store_close_discard, and the open errors: missing store
 * (ERR_NOTFOUND), a non-store directory, a foreign LMDB, garbage data.mdb
 * and a newer schema version (ERR_USAGE). store_create_*: a new store put in
 * place at an absent and at an existing empty directory (its mode kept, no
 * staging left), and never over what appeared at DIR meanwhile.
 * store_check (store/check.h): a sound store passes; edge ids past the
 * counts, a social tie stored backwards, a flood of bad keys summed up.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/check.h"

#include "store/store.h"
#include "tests/check.h"

static char root[256];

static void path_in(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", root, name); }

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Whole file into memory (for byte-for-byte comparisons). */
static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f) { *len = 0; return NULL; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void rm_store(const char *dir)
{
    char p[400];
    snprintf(p, sizeof p, "%s/data.mdb", dir); unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir); unlink(p);
    snprintf(p, sizeof p, "%s/junk", dir); unlink(p);
    rmdir(dir);
}

/* ------------------------------------------------------------- write jobs */

typedef struct ids_job { const char *const *names; int n; int node; int fail_after; int runs; } ids_job_t;

static int add_ids(store_txn_t *t, void *ctx, err_t *e)
{
    ids_job_t *j = ctx;
    j->runs++;
    uint64_t n0;
    int rc = store_count_nodes(t, j->node, &n0, e);
    if (rc) return rc;
    for (int i = 0; i < j->n; i++) {
        if (i == j->fail_after) return err_set(e, ERR_INPUT, "simulated bad input");
        if ((rc = store_id_add(t, j->node, (uint32_t)n0 + (uint32_t)i, j->names[i], strlen(j->names[i]), e)))
            return rc;
    }
    return ERR_OK;
}

typedef struct edge_job {
    int edges, append, n, fail_at_end;
    const uint32_t (*ids)[3];
    const store_attr_t *attr;
    int existed[16];
    int rc_at[16];
} edge_job_t;

static int put_edges(store_txn_t *t, void *ctx, err_t *e)
{
    edge_job_t *j = ctx;
    for (int i = 0; i < j->n; i++) {
        j->existed[i] = -1;
        j->rc_at[i] = store_edge_put(t, j->edges, j->ids[i], j->attr ? &j->attr[i] : NULL, j->append,
                                     &j->existed[i], e);
        if (j->rc_at[i]) return j->rc_at[i];
    }
    return j->fail_at_end ? err_set(e, ERR_INPUT, "simulated failure after the puts") : ERR_OK;
}

/* Lots of data in one transaction: ids, edges and a blob. */
typedef struct big_job { uint32_t n_ids, n_edges; size_t blob_len; int runs; uint64_t mapsize_seen; } big_job_t;

static int big_write(store_txn_t *t, void *ctx, err_t *e)
{
    big_job_t *j = ctx;
    j->runs++;
    MDB_envinfo info;
    mdb_env_info(t->s->env, &info);
    j->mapsize_seen = info.me_mapsize;
    char name[32];
    int rc;
    for (uint32_t i = 0; i < j->n_ids; i++) {
        int l = snprintf(name, sizeof name, "user-%08u-padding-padding", i);
        if ((rc = store_id_add(t, STORE_USER, i, name, (size_t)l, e))) return rc;
    }
    for (uint32_t i = 0; i < j->n_edges; i++) {
        uint32_t ids[2] = {i / 50, i % 50 * 7};
        store_attr_t a = {STORE_HAS_RATING | STORE_HAS_TIME, (float)i, (int64_t)i * 1000};
        if ((rc = store_edge_put(t, STORE_TRAIN, ids, &a, 1, NULL, e))) return rc;
    }
    float *blob = malloc(j->blob_len * sizeof *blob);
    for (size_t i = 0; i < j->blob_len; i++) blob[i] = (float)i * 0.5f;
    rc = store_blob_put(t, "big", "emb", blob, j->blob_len * sizeof *blob, e);
    free(blob);
    if (rc) return rc;
    return store_blob_put(t, "big", "meta", "{}", 2, e);
}

typedef struct kv { const char *model, *key, *val; } kv_t;
typedef struct blob_job { const kv_t *kv; int n; const char *del; } blob_job_t;

static int put_blobs(store_txn_t *t, void *ctx, err_t *e)
{
    blob_job_t *j = ctx;
    int rc;
    for (int i = 0; i < j->n; i++)
        if ((rc = store_blob_put(t, j->kv[i].model, j->kv[i].key, j->kv[i].val, strlen(j->kv[i].val), e)))
            return rc;
    if (j->del && (rc = store_model_delete(t, j->del, e))) return rc;
    return ERR_OK;
}

static int put_schema(store_txn_t *t, void *ctx, err_t *e)
{
    return store_meta_put(t, "schema_version", ctx, 4, e);
}

static void list_cb(const char *name, void *ctx)
{
    char *acc = ctx;
    strcat(acc, name);
    strcat(acc, ";");
}

/* ------------------------------------------------------------------ tests */

static void test_ids_edges(void)
{
    char dir[300];
    path_in(dir, sizeof dir, "s1");
    store_t s;
    err_t e = {0};
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    CHECK(s.created == 1 && s.created_dir == 1);
    store_txn_t t;
    uint64_t n = 99;

    /* a fresh store is empty */
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    for (int k = 0; k < STORE_N_NODE; k++) {
        CHECK_EQ_INT(store_count_nodes(&t, k, &n, &e), ERR_OK);
        CHECK_EQ_INT(n, 0);
    }
    for (int k = 0; k < STORE_N_EDGES; k++) {
        CHECK_EQ_INT(store_count_edges(&t, k, &n, &e), ERR_OK);
        CHECK_EQ_INT(n, 0);
    }
    const void *d;
    size_t dl;
    CHECK_EQ_INT(store_meta_get(&t, "schema_version", &d, &dl, &e), ERR_OK);
    CHECK(dl == 4 && *(const uint32_t *)d == STORE_SCHEMA_VERSION);
    store_read_end(&t);

    /* ids: users in two writes, items once */
    static const char *const users[] = {"alice", "bob", "carol\twith tab", "d"};
    static const char *const users2[] = {"eve", "Alice"};
    static const char *const items[] = {"i-1", "i-2"};
    ids_job_t ju = {users, 4, STORE_USER, -1, 0}, ju2 = {users2, 2, STORE_USER, -1, 0}, ji = {items, 2, STORE_ITEM, -1, 0};
    CHECK_EQ_INT(store_write(&s, add_ids, &ju, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, add_ids, &ju2, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, add_ids, &ji, &e), ERR_OK);
    /* adding a known id again is refused (and the txn rolled back) */
    static const char *const again[] = {"zed", "bob"};
    ids_job_t ja = {again, 2, STORE_USER, -1, 0};
    CHECK(store_write(&s, add_ids, &ja, &e) != ERR_OK);

    /* edges: train out of key order, duplicates report existed */
    static const uint32_t tr[][3] = {{3, 1, 0}, {0, 1, 0}, {0, 0, 0}, {2, 1, 0}, {0, 1, 0}};
    static const store_attr_t tra[] = {
        {STORE_HAS_RATING, 4.5f, 0}, {STORE_HAS_TIME, 0, -1234567890123LL},
        {STORE_HAS_RATING | STORE_HAS_TIME, -2.0f, 7}, {0, 0, 0}, {STORE_HAS_RATING, 1.0f, 0}};
    edge_job_t je = {STORE_TRAIN, 0, 5, 0, tr, tra, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &je, &e), ERR_OK);
    CHECK(je.existed[0] == 0 && je.existed[1] == 0 && je.existed[4] == 1);
    /* append mode with a key not past the last one: refused */
    static const uint32_t ap[][3] = {{5, 0, 0}, {4, 9, 0}};
    edge_job_t jap = {STORE_TEST, 1, 2, 0, ap, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jap, &e), ERR_INTERNAL);
    CHECK(strstr(e.msg, "key order") != NULL);
    /* append mode in order: fine; kg triples with 3 ids, ordered (h, r, t) */
    static const uint32_t te[][3] = {{1, 0, 0}, {1, 1, 0}, {4, 0, 0}};
    edge_job_t jte = {STORE_TEST, 1, 3, 0, te, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jte, &e), ERR_OK);
    static const uint32_t kg[][3] = {{2, 0, 1}, {1, 5, 0}, {1, 0, 9}, {2, 0, 1}};
    edge_job_t jkg = {STORE_KG, 0, 4, 0, kg, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jkg, &e), ERR_OK);
    CHECK(jkg.existed[3] == 1);
    store_close(&s);

    /* reopen read-only: everything is there */
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_OK);
    CHECK(s.created == 0);
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    CHECK_EQ_INT(store_count_nodes(&t, STORE_USER, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_INT(store_count_nodes(&t, STORE_ITEM, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(store_count_nodes(&t, STORE_ENTITY, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, 0);
    uint32_t id = 99;
    CHECK_EQ_INT(store_id_lookup(&t, STORE_USER, "carol\twith tab", 14, &id, &e), ERR_OK);
    CHECK_EQ_INT(id, 2);
    CHECK_EQ_INT(store_id_lookup(&t, STORE_USER, "Alice", 5, &id, &e), ERR_OK);
    CHECK_EQ_INT(id, 5);
    CHECK_EQ_INT(store_id_lookup(&t, STORE_USER, "zed", 3, &id, &e), ERR_NOTFOUND);
    CHECK_EQ_INT(store_id_lookup(&t, STORE_ITEM, "alice", 5, &id, &e), ERR_NOTFOUND);
    CHECK_EQ_INT(store_id_lookup(&t, STORE_USER, "", 0, &id, &e), ERR_NOTFOUND);
    const char *nm;
    size_t nl;
    CHECK_EQ_INT(store_id_name(&t, STORE_USER, 4, &nm, &nl, &e), ERR_OK);
    CHECK(nl == 3 && !memcmp(nm, "eve", 3));
    CHECK_EQ_INT(store_id_name(&t, STORE_ITEM, 2, &nm, &nl, &e), ERR_NOTFOUND);
    strmap_t m;
    strmap_init(&m);
    CHECK_EQ_INT(store_id_load(&t, STORE_USER, &m, &e), ERR_OK);
    CHECK_EQ_INT(m.n, 6);
    for (uint32_t i = 0; i < 4; i++) CHECK(m.n == 6 && !strcmp(strmap_name(&m, i), users[i]));
    CHECK(m.n == 6 && !strcmp(strmap_name(&m, 5), "Alice"));
    strmap_destroy(&m);
    /* loading into a non-empty map is a corrupt-density error, not a silent shift */
    strmap_init(&m);
    strmap_intern(&m, "x", 1, NULL);
    CHECK_EQ_INT(store_id_load(&t, STORE_USER, &m, &e), ERR_STORE);
    strmap_destroy(&m);

    /* train edges come back in key order with their attrs */
    store_edge_list_t l;
    CHECK_EQ_INT(store_edges_load(&t, STORE_TRAIN, 1, &l, &e), ERR_OK);
    CHECK_EQ_INT(l.n, 4);
    static const uint32_t want[][2] = {{0, 0}, {0, 1}, {2, 1}, {3, 1}};
    for (uint64_t i = 0; i < l.n && i < 4; i++) CHECK(l.a[i] == want[i][0] && l.b[i] == want[i][1]);
    CHECK(l.c == NULL && l.attr != NULL);
    if (l.n == 4 && l.attr) {
        CHECK(l.attr[0].has == (STORE_HAS_RATING | STORE_HAS_TIME) && l.attr[0].rating == -2.0f && l.attr[0].time == 7);
        /* the first put of (0,1) won; the duplicate did not overwrite it */
        CHECK(l.attr[1].has == STORE_HAS_TIME && l.attr[1].time == -1234567890123LL);
        CHECK(l.attr[2].has == 0);
        CHECK(l.attr[3].has == STORE_HAS_RATING && l.attr[3].rating == 4.5f);
    }
    store_edge_list_destroy(&l);
    CHECK_EQ_INT(store_edges_load(&t, STORE_TEST, 0, &l, &e), ERR_OK);
    CHECK_EQ_INT(l.n, 3);   /* the refused append txn left nothing */
    CHECK(l.attr == NULL);
    store_edge_list_destroy(&l);
    CHECK_EQ_INT(store_edges_load(&t, STORE_KG, 1, &l, &e), ERR_OK);
    CHECK_EQ_INT(l.n, 3);
    static const uint32_t wkg[][3] = {{1, 0, 9}, {1, 5, 0}, {2, 0, 1}};
    for (uint64_t i = 0; i < l.n && i < 3; i++)
        CHECK(l.a[i] == wkg[i][0] && l.b[i] == wkg[i][1] && l.c[i] == wkg[i][2]);
    CHECK(l.n == 3 && l.attr[0].has == 0);
    store_edge_list_destroy(&l);
    CHECK_EQ_INT(store_edges_load(&t, STORE_SOCIAL, 0, &l, &e), ERR_OK);
    CHECK_EQ_INT(l.n, 0);
    store_edge_list_destroy(&l);
    int ex = -1;
    uint32_t q[3] = {2, 1, 0};
    CHECK_EQ_INT(store_edge_exists(&t, STORE_TRAIN, q, &ex, &e), ERR_OK);
    CHECK_EQ_INT(ex, 1);
    q[1] = 0;
    CHECK_EQ_INT(store_edge_exists(&t, STORE_TRAIN, q, &ex, &e), ERR_OK);
    CHECK_EQ_INT(ex, 0);
    store_read_end(&t);
    /* a read-only store refuses writes */
    CHECK_EQ_INT(store_write(&s, add_ids, &ju, &e), ERR_INTERNAL);
    uint64_t bytes = 0;
    CHECK_EQ_INT(store_disk_size(&s, &bytes, &e), ERR_OK);
    CHECK(bytes > 0);
    store_close(&s);

    /* opening an existing store with STORE_CREATE opens it (no re-create) */
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    CHECK(s.created == 0);
    store_close_discard(&s);   /* not created here: must keep it */
    CHECK(exists(dir));
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_OK);
    store_close(&s);
    rm_store(dir);
}

static void test_failed_write(void)
{
    char dir[300], data[340];
    path_in(dir, sizeof dir, "s2");
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    store_t s;
    err_t e = {0};
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    static const char *const names[] = {"a", "b", "c", "d", "e"};
    ids_job_t j = {names, 2, STORE_USER, -1, 0};
    CHECK_EQ_INT(store_write(&s, add_ids, &j, &e), ERR_OK);
    store_close(&s);
    size_t l0, l1;
    char *before = slurp(data, &l0);

    CHECK_EQ_INT(store_open(&s, dir, 0, &e), ERR_OK);
    /* the callback adds 2 ids, then fails: its error comes back unchanged */
    ids_job_t jf = {names + 2, 3, STORE_USER, 2, 0};
    CHECK_EQ_INT(store_write(&s, add_ids, &jf, &e), ERR_INPUT);
    CHECK(!strcmp(e.msg, "simulated bad input"));
    CHECK_EQ_INT(jf.runs, 1);
    /* edges then a failure */
    static const uint32_t ed[][3] = {{0, 0, 0}, {1, 1, 0}};
    edge_job_t je = {STORE_TRAIN, 0, 2, 1, ed, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &je, &e), ERR_INPUT);
    store_txn_t t;
    uint64_t n = 0;
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    CHECK_EQ_INT(store_count_nodes(&t, STORE_USER, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(store_count_edges(&t, STORE_TRAIN, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, 0);
    uint32_t id;
    CHECK_EQ_INT(store_id_lookup(&t, STORE_USER, "c", 1, &id, &e), ERR_NOTFOUND);
    store_read_end(&t);
    store_close(&s);
    char *after = slurp(data, &l1);
    CHECK_MSG(before && after && l0 == l1 && !memcmp(before, after, l0), "data.mdb changed (%zu -> %zu bytes)", l0, l1);
    free(before);
    free(after);

    /* a store created by this open and then discarded is gone without a trace */
    char dir3[300];
    path_in(dir3, sizeof dir3, "s3");
    CHECK_EQ_INT(store_open(&s, dir3, STORE_CREATE, &e), ERR_OK);
    CHECK(exists(dir3));
    CHECK_EQ_INT(store_write(&s, add_ids, &j, &e), ERR_OK);
    store_close_discard(&s);
    CHECK(!exists(dir3));
    /* ... and if the directory was there (empty) before, it stays, empty */
    mkdir(dir3, 0700);
    CHECK_EQ_INT(store_open(&s, dir3, STORE_CREATE, &e), ERR_OK);
    CHECK(s.created == 1 && s.created_dir == 0);
    store_close_discard(&s);
    char p[400];
    snprintf(p, sizeof p, "%s/data.mdb", dir3);
    CHECK(exists(dir3) && !exists(p));
    rmdir(dir3);
    rm_store(dir);
}

static void test_map_growth(void)
{
    char dir[300];
    path_in(dir, sizeof dir, "s4");
    setenv("GNNREC_MAPSIZE_MB", "1", 1);
    store_t s;
    err_t e = {0};
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    MDB_envinfo info;
    mdb_env_info(s.env, &info);
    CHECK_EQ_INT(info.me_mapsize, 1 << 20);
    /* ~1.6 MB of ids, ~3 MB of edges and 4 MB of blob in one transaction */
    big_job_t j = {30000, 100000, (size_t)1 << 20, 0, 0};
    int rc = store_write(&s, big_write, &j, &e);
    CHECK_MSG(rc == ERR_OK, "map growth: %s", e.msg);
    CHECK_MSG(e.code == ERR_OK && e.msg[0] == 0, "success left a stale error: %d %s", e.code, e.msg);
    CHECK_MSG(j.runs >= 3, "callback ran %d times: the map did not grow several times", j.runs);
    CHECK(j.mapsize_seen >= (uint64_t)8 << 20);
    store_close(&s);
    unsetenv("GNNREC_MAPSIZE_MB");

    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_OK);
    store_txn_t t;
    uint64_t n = 0;
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    CHECK_EQ_INT(store_count_nodes(&t, STORE_USER, &n, &e), ERR_OK);
    CHECK_EQ_INT(n, j.n_ids);
    store_edge_list_t l;
    CHECK_EQ_INT(store_edges_load(&t, STORE_TRAIN, 1, &l, &e), ERR_OK);
    CHECK_EQ_INT(l.n, j.n_edges);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < l.n; i++)
        if (l.a[i] != i / 50 || l.b[i] != i % 50 * 7 || l.attr[i].rating != (float)i || l.attr[i].time != (int64_t)i * 1000)
            bad++;
    CHECK_EQ_INT(bad, 0);
    store_edge_list_destroy(&l);
    const float *f;
    size_t nf;
    CHECK_EQ_INT(store_blob_get_floats(&t, "big", "emb", &f, &nf, &e), ERR_OK);
    CHECK_EQ_INT(nf, j.blob_len);
    CHECK(nf == j.blob_len && f[0] == 0.0f && f[12345] == 6172.5f && f[nf - 1] == (float)(nf - 1) * 0.5f);
    CHECK(((uintptr_t)f & 15) == 0);   /* big blobs are 16-byte aligned */
    uint32_t id;
    CHECK_EQ_INT(store_id_lookup(&t, STORE_USER, "user-00029999-padding-padding", 29, &id, &e), ERR_OK);
    CHECK_EQ_INT(id, 29999);
    store_read_end(&t);
    store_close(&s);

    /* a reopened store starts from a map at least twice its file: an append
     * to a grown store does not need to regrow from 1 MB */
    setenv("GNNREC_MAPSIZE_MB", "1", 1);
    CHECK_EQ_INT(store_open(&s, dir, 0, &e), ERR_OK);
    mdb_env_info(s.env, &info);
    uint64_t bytes = 0;
    store_disk_size(&s, &bytes, &e);
    CHECK(info.me_mapsize >= 2 * bytes);
    store_close(&s);
    unsetenv("GNNREC_MAPSIZE_MB");
    rm_store(dir);
}

/* store_reserve: the map grows to hold the bytes asked for past the pages
 * in use, never shrinks, and leaves the growth test hook alone. */
static void test_reserve(void)
{
    char dir[300];
    path_in(dir, sizeof dir, "s7");
    store_t s;
    err_t e = {0};
    MDB_envinfo info;
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    mdb_env_info(s.env, &info);
    uint64_t before = info.me_mapsize;
    CHECK_EQ_INT(store_reserve(&s, (uint64_t)3 << 30, &e), ERR_OK);
    mdb_env_info(s.env, &info);
    CHECK_MSG(info.me_mapsize >= ((uint64_t)3 << 30) && info.me_mapsize > before,
              "map %llu after reserving 3 GiB", (unsigned long long)info.me_mapsize);
    uint64_t grown = info.me_mapsize;
    CHECK_EQ_INT(store_reserve(&s, 1, &e), ERR_OK);   /* fits: unchanged */
    mdb_env_info(s.env, &info);
    CHECK_EQ_INT(info.me_mapsize, grown);
    /* a write after it runs once and lands */
    big_job_t j = {3000, 10000, 1024, 0, 0};
    CHECK_EQ_INT(store_write(&s, big_write, &j, &e), ERR_OK);
    CHECK_EQ_INT(j.runs, 1);
    uint64_t bytes = 0;
    store_disk_size(&s, &bytes, &e);
    CHECK_MSG(bytes < ((uint64_t)64 << 20), "data.mdb is %llu bytes: the file grew with the map", (unsigned long long)bytes);
    store_close(&s);
    setenv("GNNREC_MAPSIZE_MB", "1", 1);
    CHECK_EQ_INT(store_open(&s, dir, 0, &e), ERR_OK);
    mdb_env_info(s.env, &info);
    before = info.me_mapsize;
    CHECK_EQ_INT(store_reserve(&s, (uint64_t)1 << 30, &e), ERR_OK);
    mdb_env_info(s.env, &info);
    CHECK_EQ_INT(info.me_mapsize, before);   /* the hook keeps its small map */
    store_close(&s);
    unsetenv("GNNREC_MAPSIZE_MB");
    rm_store(dir);
}

static void test_blobs(void)
{
    char dir[300];
    path_in(dir, sizeof dir, "s5");
    store_t s;
    err_t e = {0};
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    static const kv_t kv[] = {
        {"a", "meta", "A"}, {"a", "params", "pa"}, {"ab", "meta", "AB"}, {"ab", "params", "pab"},
        {"b", "params", "no meta: not listed"}, {"c", "meta", "C"},
    };
    blob_job_t j = {kv, 6, NULL};
    CHECK_EQ_INT(store_write(&s, put_blobs, &j, &e), ERR_OK);
    store_txn_t t;
    char acc[256] = "";
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    CHECK_EQ_INT(store_model_list(&t, list_cb, acc, &e), ERR_OK);
    CHECK_MSG(!strcmp(acc, "a;ab;c;"), "models listed: %s", acc);
    const void *d;
    size_t dl;
    CHECK_EQ_INT(store_blob_get(&t, "ab", "params", &d, &dl, &e), ERR_OK);
    CHECK(dl == 3 && !memcmp(d, "pab", 3));
    CHECK_EQ_INT(store_blob_get(&t, "a", "emb", &d, &dl, &e), ERR_NOTFOUND);
    CHECK_EQ_INT(store_blob_get(&t, "", "meta", &d, &dl, &e), ERR_USAGE);
    const float *f;
    size_t nf;
    CHECK(store_blob_get_floats(&t, "a", "params", &f, &nf, &e) != ERR_OK);   /* 2 bytes: not floats */
    store_read_end(&t);

    /* overwrite a blob; delete model "a" but not "ab" */
    static const kv_t kv2[] = {{"c", "meta", "C2"}};
    blob_job_t j2 = {kv2, 1, "a"};
    CHECK_EQ_INT(store_write(&s, put_blobs, &j2, &e), ERR_OK);
    acc[0] = 0;
    CHECK_EQ_INT(store_read_begin(&s, &t, &e), ERR_OK);
    CHECK_EQ_INT(store_model_list(&t, list_cb, acc, &e), ERR_OK);
    CHECK_MSG(!strcmp(acc, "ab;c;"), "models listed: %s", acc);
    CHECK_EQ_INT(store_blob_get(&t, "a", "params", &d, &dl, &e), ERR_NOTFOUND);
    CHECK_EQ_INT(store_blob_get(&t, "ab", "params", &d, &dl, &e), ERR_OK);
    CHECK_EQ_INT(store_blob_get(&t, "c", "meta", &d, &dl, &e), ERR_OK);
    CHECK(dl == 2 && !memcmp(d, "C2", 2));
    store_read_end(&t);
    /* deleting a model that does not exist is fine */
    blob_job_t j3 = {kv, 0, "zz"};
    CHECK_EQ_INT(store_write(&s, put_blobs, &j3, &e), ERR_OK);
    store_close(&s);
    rm_store(dir);
}

static void test_open_errors(void)
{
    store_t s;
    err_t e = {0};
    char dir[300], p[400];

    /* missing store, read-only or plain open: ERR_NOTFOUND, nothing created */
    path_in(dir, sizeof dir, "missing");
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_NOTFOUND);
    CHECK_EQ_INT(store_open(&s, dir, 0, &e), ERR_NOTFOUND);
    CHECK(!exists(dir));
    /* an empty directory is not a store either (but may become one) */
    mkdir(dir, 0700);
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_NOTFOUND);
    rmdir(dir);

    /* creating fails inside LMDB (a map larger than the address space):
     * the directory this call made is removed again */
    path_in(dir, sizeof dir, "toobig");
    setenv("GNNREC_MAPSIZE_MB", "1000000000", 1);   /* ~1 PB */
    int rc0 = store_open(&s, dir, STORE_CREATE, &e);
    unsetenv("GNNREC_MAPSIZE_MB");
    CHECK_MSG(rc0 != ERR_OK, "a 1 PB map opened");
    if (rc0 == ERR_OK) store_close(&s);
    CHECK_MSG(!exists(dir), "failed create left %s behind", dir);
    rm_store(dir);

    /* a directory with other files: not a store, and not turned into one */
    path_in(dir, sizeof dir, "other");
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/junk", dir);
    FILE *f = fopen(p, "w");
    fputs("hello\n", f);
    fclose(f);
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_USAGE);
    CHECK(strstr(e.msg, "not a gnnrec store") != NULL);
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    CHECK(!exists(p));
    /* a regular file as the store dir */
    snprintf(p, sizeof p, "%s/junk", dir);
    CHECK_EQ_INT(store_open(&s, p, STORE_CREATE, &e), ERR_USAGE);
    CHECK_EQ_INT(store_open(&s, p, STORE_RDONLY, &e), ERR_USAGE);
    /* garbage in data.mdb */
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    f = fopen(p, "w");
    for (int i = 0; i < 2000; i++) fputs("this is not an lmdb file\n", f);
    fclose(f);
    int rc = store_open(&s, dir, STORE_RDONLY, &e);
    CHECK_MSG(rc == ERR_USAGE, "garbage data.mdb: rc %d (%s)", rc, e.msg);
    rc = store_open(&s, dir, 0, &e);
    CHECK_MSG(rc == ERR_USAGE, "garbage data.mdb: rc %d (%s)", rc, e.msg);
    rm_store(dir);

    /* an LMDB environment that is not a gnnrec store */
    path_in(dir, sizeof dir, "foreign");
    mkdir(dir, 0700);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 4);
    CHECK_EQ_INT(mdb_env_open(env, dir, 0, 0600), 0);
    mdb_txn_begin(env, NULL, 0, &txn);
    mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi);
    mdb_txn_commit(txn);
    mdb_env_close(env);
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_USAGE);
    CHECK(strstr(e.msg, "not a gnnrec store") != NULL);
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_USAGE);
    rm_store(dir);

    /* a newer schema version: ERR_USAGE telling to upgrade */
    path_in(dir, sizeof dir, "newer");
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    uint32_t v = STORE_SCHEMA_VERSION + 1;
    CHECK_EQ_INT(store_write(&s, put_schema, &v, &e), ERR_OK);
    store_close(&s);
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_USAGE);
    CHECK(strstr(e.msg, "newer") != NULL);
    CHECK_EQ_INT(store_open(&s, dir, 0, &e), ERR_USAGE);
    /* the current version opens */
    path_in(dir, sizeof dir, "newer");
    rm_store(dir);
}

/* Count the directory entries other than . and .. */
static int n_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static void test_create(void)
{
    store_t s;
    err_t e = {0};
    char dir[300], p[400];
    struct stat st;

    /* absent: made beside and renamed into place */
    path_in(dir, sizeof dir, "made");
    CHECK_EQ_INT(store_create_begin(&s, dir, &e), ERR_OK);
    CHECK(!exists(dir));   /* nothing at DIR until the commit */
    CHECK_EQ_INT(store_create_commit(&s, &e), ERR_OK);
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    CHECK(exists(p));
    CHECK_EQ_INT(n_entries(root), 1);   /* no made.partial-PID left */
    CHECK_EQ_INT(store_open(&s, dir, STORE_RDONLY, &e), ERR_OK);
    store_close(&s);
    CHECK_EQ_INT(store_create_check(dir, &e), ERR_USAGE);   /* a store is there now */
    rm_store(dir);

    /* an existing empty directory: made inside, the directory kept */
    path_in(dir, sizeof dir, "kept");
    mkdir(dir, 0700);
    chmod(dir, 0751);
    CHECK_EQ_INT(store_create_begin(&s, dir, &e), ERR_OK);
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    CHECK(!exists(p));
    CHECK_EQ_INT(store_create_commit(&s, &e), ERR_OK);
    CHECK(exists(p));
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0751);
    CHECK_EQ_INT(n_entries(dir), 1);   /* data.mdb only: staging and its lock gone */
    CHECK_EQ_INT(store_open(&s, dir, 0, &e), ERR_OK);
    store_close(&s);
    rm_store(dir);

    /* a data.mdb appeared in DIR meanwhile: refused, it is left alone */
    path_in(dir, sizeof dir, "race");
    mkdir(dir, 0700);
    CHECK_EQ_INT(store_create_begin(&s, dir, &e), ERR_OK);
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    FILE *f = fopen(p, "w");
    if (f) { fputs("theirs", f); fclose(f); }
    CHECK_EQ_INT(store_create_commit(&s, &e), ERR_USAGE);
    CHECK(strstr(e.msg, "appeared") != NULL);
    size_t len = 0;
    char *b = slurp(p, &len);
    CHECK(b && len == 6 && !memcmp(b, "theirs", 6));
    free(b);
    CHECK_EQ_INT(n_entries(dir), 1);
    rm_store(dir);

    /* DIR appeared (empty) meanwhile: the rename must not replace it */
    path_in(dir, sizeof dir, "race2");
    CHECK_EQ_INT(store_create_begin(&s, dir, &e), ERR_OK);
    mkdir(dir, 0755);
    CHECK_EQ_INT(store_create_commit(&s, &e), ERR_USAGE);
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0755 && n_entries(dir) == 0);
    CHECK_EQ_INT(n_entries(root), 1);
    rmdir(dir);

    /* a file, a directory with other files */
    path_in(dir, sizeof dir, "afile");
    f = fopen(dir, "w");
    if (f) fclose(f);
    CHECK_EQ_INT(store_create_check(dir, &e), ERR_USAGE);
    unlink(dir);
    path_in(dir, sizeof dir, "other");
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/junk", dir);
    f = fopen(p, "w");
    if (f) fclose(f);
    CHECK_EQ_INT(store_create_check(dir, &e), ERR_USAGE);
    CHECK(strstr(e.msg, "other files") != NULL);
    rm_store(dir);
}


/* ------------------------------------------------------------ store_check */

typedef struct notes { int problems, remarks; char last[1024], all[16384]; } notes_t;

static void note_cb(void *ctx, int problem, const char *msg)
{
    notes_t *n = ctx;
    if (problem) n->problems++;
    else n->remarks++;
    snprintf(n->last, sizeof n->last, "%s", msg);
    size_t l = strlen(n->all);
    snprintf(n->all + l, sizeof n->all - l, "%s\n", msg);
}

static int run_check(store_t *s, store_check_t *c, notes_t *n)
{
    store_txn_t t;
    err_t e = {0};
    memset(n, 0, sizeof *n);
    store_check_init(c, note_cb, n);
    int rc = store_read_begin(s, &t, &e);
    if (!rc) rc = store_check(&t, c, &e);
    store_read_end(&t);
    return rc;
}

/* A sound store passes with its counts; each kind of damage the API can
 * write (store_edge_put does not range-check: the loaders and check do) is
 * one problem naming it; more than STORE_CHECK_MAX_LINES bad keys in one
 * table are summed up in one more line. */
static void test_check(void)
{
    char dir[300];
    path_in(dir, sizeof dir, "chk");
    store_t s;
    err_t e = {0};
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    static const char *const users[] = {"u0", "u1", "u2"}, *const items[] = {"i0", "i1"};
    ids_job_t ju = {users, 3, STORE_USER, -1, 0}, ji = {items, 2, STORE_ITEM, -1, 0};
    CHECK_EQ_INT(store_write(&s, add_ids, &ju, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, add_ids, &ji, &e), ERR_OK);
    static const uint32_t tr[][3] = {{0, 0, 0}, {1, 1, 0}, {2, 0, 0}}, so[][3] = {{0, 2, 0}};
    edge_job_t je = {STORE_TRAIN, 0, 3, 0, tr, NULL, {0}, {0}}, js = {STORE_SOCIAL, 0, 1, 0, so, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &je, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, put_edges, &js, &e), ERR_OK);
    store_check_t c;
    notes_t n;
    CHECK_EQ_INT(run_check(&s, &c, &n), ERR_OK);
    CHECK_EQ_INT(c.problems, 0);
    CHECK_MSG(n.problems == 0, "%s", n.last);
    CHECK(c.nodes[STORE_USER] == 3 && c.nodes[STORE_ITEM] == 2 && c.edges[STORE_TRAIN] == 3 && c.edges[STORE_SOCIAL] == 1);

    /* an item id past the count */
    static const uint32_t bad_item[][3] = {{1, 2, 0}};
    edge_job_t jb = {STORE_TRAIN, 0, 1, 0, bad_item, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jb, &e), ERR_OK);
    CHECK_EQ_INT(run_check(&s, &c, &n), ERR_OK);
    CHECK_EQ_INT(c.problems, 1);
    CHECK_MSG(strstr(n.last, "edges:train: edge (1, 2): item id 2 is past the 2 items") != NULL, "%s", n.last);
    /* a social tie stored the wrong way round, and one to a user past the count */
    static const uint32_t bad_so[][3] = {{2, 1, 0}, {1, 7, 0}};
    edge_job_t jbs = {STORE_SOCIAL, 0, 2, 0, bad_so, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jbs, &e), ERR_OK);
    CHECK_EQ_INT(run_check(&s, &c, &n), ERR_OK);
    CHECK_EQ_INT(c.problems, 3);
    /* a kg triple with a relation past the (zero) relations */
    static const uint32_t bad_kg[][3] = {{0, 0, 0}};
    edge_job_t jk = {STORE_KG, 0, 1, 0, bad_kg, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jk, &e), ERR_OK);
    CHECK_EQ_INT(run_check(&s, &c, &n), ERR_OK);
    CHECK_EQ_INT(c.problems, 4);
    CHECK_MSG(strstr(n.last, "edges:kg: edge (0, 0, 0): entity id 0 is past the 0 entities") != NULL, "%s", n.last);
    /* 25 bad test keys: 10 lines and one "15 more" */
    uint32_t many[25][3];
    for (int i = 0; i < 25; i++) many[i][0] = 100 + (uint32_t)i, many[i][1] = many[i][2] = 0;
    edge_job_t jm = {STORE_TEST, 0, 16, 0, (const uint32_t (*)[3])many, NULL, {0}, {0}};
    CHECK_EQ_INT(store_write(&s, put_edges, &jm, &e), ERR_OK);
    jm.ids = (const uint32_t (*)[3])(many + 16);
    jm.n = 9;
    CHECK_EQ_INT(store_write(&s, put_edges, &jm, &e), ERR_OK);
    CHECK_EQ_INT(run_check(&s, &c, &n), ERR_OK);
    CHECK_EQ_INT(c.problems, 4 + STORE_CHECK_MAX_LINES + 1);
    CHECK_MSG(strstr(n.all, "edges:test: 15 more problems like these\n") != NULL, "%s", n.all);
    CHECK_MSG(strstr(n.all, "edges:test: edge (109, 0): user id 109") != NULL, "%s", n.all);   /* the 10th */
    CHECK_MSG(strstr(n.all, "edges:test: edge (110, 0)") == NULL, "%s", n.all);                /* the 11th: counted */
    store_close(&s);
    rm_store(dir);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/gnnrec-test-store-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    unsetenv("GNNREC_MAPSIZE_MB");
    test_ids_edges();
    test_failed_write();
    test_map_growth();
    test_reserve();
    test_blobs();
    test_open_errors();
    test_create();
    test_check();
    rmdir(root);
    return check_report();
}
