/* check.c - the store half of `gnnrec check` (check.h). Reads the
 * databases through store_t's handles directly, the way store.c does, so it
 * sees the raw keys the loaders would trust. Assumes store.c's key layout
 * (big-endian ids, the attribute encoding in store.h). */
#include "store/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_check_init(store_check_t *c, void (*note)(void *ctx, int problem, const char *msg), void *ctx)
{
    memset(c, 0, sizeof *c);
    c->note = note;
    c->ctx = ctx;
}

static void vreport(store_check_t *c, int problem, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (problem) c->problems++;
    else c->notes++;
    if (c->note) c->note(c->ctx, problem, msg);
}

void store_check_problem(store_check_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, 1, fmt, ap);
    va_end(ap);
}

void store_check_remark(store_check_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, 0, fmt, ap);
    va_end(ap);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *plural(int node)
{
    static const char *const p[STORE_N_NODE] = {"users", "items", "entities", "relations"};
    return node >= 0 && node < STORE_N_NODE ? p[node] : "?";
}

static int lmdb_fail(int rc, const char *what, err_t *e)
{
    return err_set(e, ERR_STORE, "check: %s: %s", what, mdb_strerror(rc));
}

/* Problems of one table: the first STORE_CHECK_MAX_LINES are reported, the
 * rest counted and summed up by table_done. */
typedef struct table {
    store_check_t *c;
    const char *name;
    uint64_t bad;
} table_t;

static void table_bad(table_t *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void table_bad(table_t *tb, const char *fmt, ...)
{
    if (tb->bad++ >= STORE_CHECK_MAX_LINES) return;
    va_list ap;
    va_start(ap, fmt);
    vreport(tb->c, 1, fmt, ap);
    va_end(ap);
}

static void table_done(table_t *tb)
{
    if (tb->bad > STORE_CHECK_MAX_LINES)
        store_check_problem(tb->c, "%s: %llu more problems like these", tb->name,
                            (unsigned long long)(tb->bad - STORE_CHECK_MAX_LINES));
}

static int entries(store_txn_t *t, MDB_dbi dbi, uint64_t *n, err_t *e)
{
    MDB_stat st;
    int rc = mdb_stat(t->txn, dbi, &st);
    if (rc) return lmdb_fail(rc, "stat", e);
    *n = st.ms_entries;
    return ERR_OK;
}

/* A scan's end: MDB_NOTFOUND is the normal one. */
static int scan_end(int rc, const char *what, err_t *e)
{
    return rc == MDB_NOTFOUND ? ERR_OK : lmdb_fail(rc, what, e);
}

/* name:<node> and id:<node> of one node type. */
static int check_nodes(store_txn_t *t, int node, store_check_t *c, err_t *e)
{
    const char *nn = store_node_name(node);
    char tname[32];
    snprintf(tname, sizeof tname, "name:%s", nn);
    uint64_t n_names = 0, n_ids = 0;
    int rc;
    if ((rc = entries(t, t->s->names[node], &n_names, e)) || (rc = entries(t, t->s->ids[node], &n_ids, e))) return rc;
    c->nodes[node] = n_names;
    if (n_names != n_ids)
        store_check_problem(c, "%s ids: %llu dense ids (name:%s) but %llu external ids (id:%s)", nn,
                            (unsigned long long)n_names, nn, (unsigned long long)n_ids, nn);
    table_t tb = {c, tname, 0};
    MDB_cursor *cur;
    MDB_val k, d;
    uint64_t i = 0;
    if ((rc = mdb_cursor_open(t->txn, t->s->names[node], &cur))) return lmdb_fail(rc, "cursor", e);
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), i++) {
        if (k.mv_size != 4) { table_bad(&tb, "%s: a key of %zu bytes (a dense id has 4)", tname, k.mv_size); continue; }
        const uint32_t id = be32(k.mv_data);
        if (id != i) {
            table_bad(&tb, "%s: dense id %u where %llu belongs (the ids are not 0..n-1)", tname, id,
                      (unsigned long long)i);
            continue;
        }
        if (d.mv_size == 0 || d.mv_size > STORE_MAX_ID_LEN) {
            table_bad(&tb, "%s: %s %u has an external id of %zu bytes", tname, nn, id, d.mv_size);
            continue;
        }
        MDB_val back;
        int r2 = mdb_get(t->txn, t->s->ids[node], &d, &back);
        if (r2 == MDB_NOTFOUND) table_bad(&tb, "%s: %s %u's external id is not in id:%s", tname, nn, id, nn);
        else if (r2) { mdb_cursor_close(cur); return lmdb_fail(r2, "id lookup", e); }
        else if (back.mv_size != 4 || be32(back.mv_data) != id)
            table_bad(&tb, "%s: %s %u's external id maps to dense id %u, not back to %u", tname, nn, id,
                      back.mv_size == 4 ? be32(back.mv_data) : UINT32_MAX, id);
    }
    mdb_cursor_close(cur);
    if ((rc = scan_end(rc, "scan names", e))) return rc;
    if (i != n_names)
        table_bad(&tb, "%s: %llu entries recorded, %llu found", tname, (unsigned long long)n_names,
                  (unsigned long long)i);
    table_done(&tb);

    snprintf(tname, sizeof tname, "id:%s", nn);
    table_t ti = {c, tname, 0};
    i = 0;
    if ((rc = mdb_cursor_open(t->txn, t->s->ids[node], &cur))) return lmdb_fail(rc, "cursor", e);
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), i++) {
        if (d.mv_size != 4) table_bad(&ti, "%s: a record of %zu bytes (a dense id has 4)", tname, d.mv_size);
        else if (be32(d.mv_data) >= n_names)
            table_bad(&ti, "%s: an external id maps to dense id %u, past the %llu %s", tname, be32(d.mv_data),
                      (unsigned long long)n_names, plural(node));
    }
    mdb_cursor_close(cur);
    if ((rc = scan_end(rc, "scan ids", e))) return rc;
    if (i != n_ids)
        table_bad(&ti, "%s: %llu entries recorded, %llu found", tname, (unsigned long long)n_ids,
                  (unsigned long long)i);
    table_done(&ti);
    return ERR_OK;
}

/* The attribute record: a flag byte, then exactly the fields it names. */
static int attr_ok(const MDB_val *d)
{
    if (d->mv_size < 1) return 0;
    const unsigned char has = *(const unsigned char *)d->mv_data;
    if (has & ~(STORE_HAS_RATING | STORE_HAS_TIME)) return 0;
    return d->mv_size == 1 + (has & STORE_HAS_RATING ? 4u : 0u) + (has & STORE_HAS_TIME ? 8u : 0u);
}

static int check_edges(store_txn_t *t, int edges, store_check_t *c, err_t *e)
{
    char tname[32];
    snprintf(tname, sizeof tname, "edges:%s", store_edges_name(edges));
    const uint64_t *nd = c->nodes;
    /* the node type of each id in the key, and its count */
    const int kg = edges == STORE_KG, social = edges == STORE_SOCIAL;
    const int type[3] = {kg ? STORE_ENTITY : STORE_USER, kg ? STORE_RELATION : social ? STORE_USER : STORE_ITEM,
                         STORE_ENTITY};
    const int nk = kg ? 3 : 2;
    const size_t klen = (size_t)nk * 4;
    uint64_t recorded = 0;
    int rc = entries(t, t->s->edges[edges], &recorded, e);
    if (rc) return rc;
    table_t tb = {c, tname, 0};
    MDB_cursor *cur;
    MDB_val k, d;
    uint64_t i = 0;
    if ((rc = mdb_cursor_open(t->txn, t->s->edges[edges], &cur))) return lmdb_fail(rc, "cursor", e);
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), i++) {
        if (k.mv_size != klen) {
            table_bad(&tb, "%s: a key of %zu bytes (an edge of this type has %zu)", tname, k.mv_size, klen);
            continue;
        }
        uint32_t id[3];
        for (int j = 0; j < nk; j++) id[j] = be32((const unsigned char *)k.mv_data + 4 * j);
        for (int j = 0; j < nk; j++)
            if (id[j] >= nd[type[j]]) {
                char ids[48];
                if (kg) snprintf(ids, sizeof ids, "(%u, %u, %u)", id[0], id[1], id[2]);
                else snprintf(ids, sizeof ids, "(%u, %u)", id[0], id[1]);
                table_bad(&tb, "%s: edge %s: %s id %u is past the %llu %s", tname, ids, store_node_name(type[j]),
                          id[j], (unsigned long long)nd[type[j]], plural(type[j]));
                break;
            }
        if (social && id[0] >= id[1])
            table_bad(&tb, "%s: tie (%u, %u) is not stored as (lower, higher) user id", tname, id[0], id[1]);
        if (!attr_ok(&d)) table_bad(&tb, "%s: edge %u, %u: a malformed attribute record (%zu bytes)", tname, id[0],
                                    id[1], d.mv_size);
    }
    mdb_cursor_close(cur);
    if ((rc = scan_end(rc, "scan edges", e))) return rc;
    if (i != recorded)
        table_bad(&tb, "%s: %llu entries recorded, %llu found", tname, (unsigned long long)recorded,
                  (unsigned long long)i);
    c->edges[edges] = recorded;
    table_done(&tb);
    return ERR_OK;
}

static void check_align(store_txn_t *t, store_check_t *c)
{
    const void *p;
    size_t len;
    err_t ignore;
    if (store_meta_get(t, STORE_META_ITEM_ENTITY, &p, &len, &ignore)) return;   /* no kg alignment */
    table_t tb = {c, "meta:" STORE_META_ITEM_ENTITY, 0};
    if (len % 8) {
        table_bad(&tb, "%s: a record of %zu bytes (pairs of 8)", tb.name, len);
        return;
    }
    const unsigned char *b = p;
    for (size_t i = 0; i < len / 8; i++) {
        uint32_t item, ent, prev = 0;
        memcpy(&item, b + 8 * i, 4);
        memcpy(&ent, b + 8 * i + 4, 4);
        if (i) memcpy(&prev, b + 8 * (i - 1), 4);
        if (item >= c->nodes[STORE_ITEM] || ent >= c->nodes[STORE_ENTITY])
            table_bad(&tb, "%s: pair (item %u, entity %u) past the %llu items or %llu entities", tb.name, item, ent,
                      (unsigned long long)c->nodes[STORE_ITEM], (unsigned long long)c->nodes[STORE_ENTITY]);
        else if (i && item <= prev)
            table_bad(&tb, "%s: pairs not sorted by item (%u after %u)", tb.name, item, prev);
    }
    table_done(&tb);
}

int store_check(store_txn_t *t, store_check_t *c, err_t *e)
{
    int rc;
    for (int node = 0; node < STORE_N_NODE; node++)
        if ((rc = check_nodes(t, node, c, e))) return rc;
    for (int edges = 0; edges < STORE_N_EDGES; edges++)
        if ((rc = check_edges(t, edges, c, e))) return rc;
    check_align(t, c);
    return ERR_OK;
}

int store_blob_owners(store_txn_t *t, void (*fn)(const char *name, void *ctx), void *ctx, err_t *e)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, t->s->models, &cur);
    if (rc) return lmdb_fail(rc, "cursor", e);
    MDB_val k, d;
    char name[256], last[256] = "";
    int have = 0;
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        const char *nul = memchr(k.mv_data, 0, k.mv_size);
        size_t ml = nul ? (size_t)(nul - (const char *)k.mv_data) : k.mv_size;
        if (ml >= sizeof name) ml = sizeof name - 1;
        memcpy(name, k.mv_data, ml);
        name[ml] = 0;
        if (have && !strcmp(name, last)) continue;
        memcpy(last, name, ml + 1);
        have = 1;
        fn(name, ctx);
    }
    mdb_cursor_close(cur);
    return scan_end(rc, "list models", e);
}

int store_blob_each(store_txn_t *t, const char *model,
                    void (*fn)(const char *key, const void *data, size_t len, void *ctx), void *ctx, err_t *e)
{
    const size_t ml = strlen(model);
    if (ml == 0 || ml > 200) return err_set(e, ERR_USAGE, "model name must be 1..200 bytes");
    unsigned char kb[202];
    memcpy(kb, model, ml);
    kb[ml] = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, t->s->models, &cur);
    if (rc) return lmdb_fail(rc, "cursor", e);
    MDB_val k = {ml + 1, kb}, d;
    char key[80];
    for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        if (k.mv_size < ml + 1 || memcmp(k.mv_data, kb, ml + 1)) { rc = MDB_NOTFOUND; break; }   /* past model */
        size_t kl = k.mv_size - ml - 1;
        if (kl >= sizeof key) kl = sizeof key - 1;
        memcpy(key, (const char *)k.mv_data + ml + 1, kl);
        key[kl] = 0;
        fn(key, d.mv_data, d.mv_size, ctx);
    }
    mdb_cursor_close(cur);
    return scan_end(rc, "scan model", e);
}
