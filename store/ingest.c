/* ingest.c - the write phase of build-graph (ingest.h): ids assigned and
 * edges put inside the caller's write transaction. Assumes the rows are in
 * key order (io_rows_sort_dedup) and, in a new store, that parse ids are
 * the stored ids. */
#include "store/ingest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static store_attr_t row_attr(const io_rows_t *rows, uint64_t i)
{
    store_attr_t a = {0, 0.0f, 0};
    if (rows->rating && !isnan(rows->rating[i])) { a.has |= STORE_HAS_RATING; a.rating = rows->rating[i]; }
    if (rows->time && rows->time[i] != IO_NO_TIME) { a.has |= STORE_HAS_TIME; a.time = rows->time[i]; }
    return a;
}

/* Put rows of one edge type; rows are in key order (io_rows_sort_dedup).
 * skip_if_in: another edge type whose stored pair makes this row a conflict
 * (test pair already in train), or -1. In a new store the parse ids are the
 * stored ids and the pairs of skip_rows (also sorted) are what that type
 * holds, so the check is a merge with them rather than a B-tree lookup per
 * row (which would pull the whole train table into memory), and the puts
 * append: keys arrive ascending into an empty database. */
static int put_rows(store_txn_t *t, store_ingest_t *j, int edges, const io_rows_t *rows, int skip_if_in,
                    const io_rows_t *skip_rows, uint64_t *skipped, uint64_t *dup, uint64_t *added, err_t *e)
{
    int kg = edges == STORE_KG;
    int rc = ERR_OK;
    /* the node types of a, b (and r for kg) */
    const uint32_t *ma = j->map[kg ? STORE_ENTITY : STORE_USER];
    const uint32_t *mb = j->map[kg ? STORE_ENTITY : edges == STORE_SOCIAL ? STORE_USER : STORE_ITEM];
    const uint32_t *mr = j->map[STORE_RELATION];
    uint64_t sk = 0;   /* merge position in skip_rows */
    for (uint64_t i = 0; i < rows->n && !rc; i++) {
        if (!(++j->written & 0xffff)) progress_update(&j->pg, j->written);
        if (skip_if_in >= 0 && !j->append) {
            uint64_t key = (uint64_t)rows->a[i] << 32 | rows->b[i];
            while (sk < skip_rows->n && ((uint64_t)skip_rows->a[sk] << 32 | skip_rows->b[sk]) < key) sk++;
            if (sk < skip_rows->n && ((uint64_t)skip_rows->a[sk] << 32 | skip_rows->b[sk]) == key) {
                (*skipped)++;
                continue;
            }
        }
        /* a new store's map is the identity: skip its lookups */
        uint32_t a = j->append ? ma[rows->a[i]] : rows->a[i], b = j->append ? mb[rows->b[i]] : rows->b[i];
        if (edges == STORE_SOCIAL && a > b) { uint32_t x = a; a = b; b = x; }   /* stored as (min, max) */
        uint32_t ids[3] = {a, kg ? (j->append ? mr[rows->r[i]] : rows->r[i]) : b, b};
        if (skip_if_in >= 0 && j->append) {
            int in = 0;
            if ((rc = store_edge_exists(t, skip_if_in, ids, &in, e))) break;
            if (in) { (*skipped)++; continue; }
        }
        store_attr_t at = row_attr(rows, i);
        int existed = 0;
        rc = store_edge_put(t, edges, ids, &at, !j->append, &existed, e);
        if (existed) (*dup)++;
        else if (!rc) (*added)++;
    }
    return rc;
}


/* Dense ids for the parsed ids of one node type, inside the write
 * transaction: ids below n0 are the store's own (ids are never removed or
 * renumbered); a new one gets the next dense id, unless another writer
 * added the same external id since phase 1 (then it is looked up). */
static int assign_ids(store_txn_t *t, store_ingest_t *j, int node, err_t *e)
{
    uint64_t have;
    int rc = store_count_nodes(t, node, &have, e);
    if (rc) return rc;
    if (have < j->n0[node])
        return err_set(e, ERR_STORE, "the store has fewer %s ids than when this command started (replaced meanwhile?)",
                       store_node_name(node));
    const strmap_t *m = &j->ids[node];
    uint32_t next = (uint32_t)have;
    j->added[node] = 0;
    for (uint32_t id = j->n0[node]; id < m->n; id++) {
        const char *name = strmap_name(m, id);
        size_t len = strmap_len(m, id);
        if (have > j->n0[node]) {   /* others appended: this id may be theirs now */
            uint32_t got;
            rc = store_id_lookup(t, node, name, len, &got, NULL);
            if (rc == ERR_OK) { j->map[node][id] = got; continue; }
            if (rc != ERR_NOTFOUND) return store_id_lookup(t, node, name, len, &got, e);
        }
        if (next == UINT32_MAX) return err_set(e, ERR_NOMEM, "more than 2^32-1 %s ids", store_node_name(node));
        if ((rc = store_id_add(t, node, next, name, len, e))) return rc;
        j->map[node][id] = next++;
        j->added[node]++;
    }
    j->total[node] = next;
    return ERR_OK;
}

int store_ingest_write(store_txn_t *t, void *ctx, err_t *e)
{
    store_ingest_t *j = ctx;
    memset(&j->w, 0, sizeof j->w);
    j->written = 0;
    progress_init(&j->pg, "writing edges", j->train.n + j->test.n + j->social.n + j->kg.n, j->progress ? 1 : 0);
    int rc;
    for (int node = 0; node < STORE_N_NODE; node++)
        if ((rc = assign_ids(t, j, node, e))) return rc;
    if ((rc = put_rows(t, j, STORE_TRAIN, &j->train, j->append ? STORE_TEST : -1, NULL, &j->w.train_in_test,
                       &j->w.dup_train, &j->w.new_train, e)) ||
        (rc = put_rows(t, j, STORE_TEST, &j->test, STORE_TRAIN, &j->train, &j->w.test_in_train, &j->w.dup_test,
                       &j->w.new_test, e)) ||
        (rc = put_rows(t, j, STORE_SOCIAL, &j->social, -1, NULL, NULL, &j->w.social_dup, &j->w.new_social, e)) ||
        (rc = put_rows(t, j, STORE_KG, &j->kg, -1, NULL, NULL, &j->w.kg_dup, &j->w.new_kg, e))) {
        progress_done(&j->pg);
        return rc;
    }
    progress_update(&j->pg, j->written);
    progress_done(&j->pg);
    if (j->align.n &&
        (rc = store_align_merge(t, j->align.a, j->align.b, j->align.line, j->align.n, j->map[STORE_ITEM],
                                j->map[STORE_ENTITY], j->total[STORE_ENTITY], j->align_path, &j->align_stored, e)))
        return rc;
    if (j->names.names.n) {
        uint32_t *dense = malloc(j->names.names.n * sizeof *dense);
        if (!dense) return err_set(e, ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < j->names.names.n; i++) dense[i] = j->map[STORE_ITEM][j->names.item[i]];
        rc = store_names_merge(t, dense, &j->names.names, &j->names_stored, e);
        free(dense);
        if (rc) return rc;
    }
    if (j->test.n) {
        /* test interactions on items without any training interaction: kept,
         * but worth knowing (no model can rank them from interactions) */
        uint64_t n_items = j->total[STORE_ITEM];
        uint8_t *seen = calloc(n_items ? n_items : 1, 1);
        if (!seen) return err_set(e, ERR_NOMEM, "out of memory");
        if (j->append) {   /* the stored train edges, older ones included */
            store_edge_list_t tr;
            if ((rc = store_edges_load(t, STORE_TRAIN, 0, &tr, e))) { free(seen); return rc; }
            for (uint64_t i = 0; i < tr.n; i++) seen[tr.b[i]] = 1;
            store_edge_list_destroy(&tr);
        } else {           /* a new store's train edges are the train rows */
            for (uint64_t i = 0; i < j->train.n; i++) seen[j->train.b[i]] = 1;
        }
        for (uint64_t i = 0; i < j->test.n; i++) j->w.test_unseen_item += !seen[j->map[STORE_ITEM][j->test.b[i]]];
        free(seen);
    }
    return ERR_OK;
}
