/* align.c - the item-entity alignment record (store.h's meta key
 * STORE_META_ITEM_ENTITY: (item, entity) u32 LE pairs sorted by item), merged
 * with new pairs inside build-graph's write transaction. */
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

typedef struct { uint32_t item, entity, line; } pair_t;

static int cmp_pair(const void *x, const void *y)
{
    const pair_t *a = x, *b = y;
    if (a->item != b->item) return a->item < b->item ? -1 : 1;
    if (a->entity != b->entity) return a->entity < b->entity ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* The external id of a stored dense id, for messages (buf: STORE_MAX_ID_LEN + 1). */
static const char *stored_name(store_txn_t *t, int node, uint32_t id, char *buf)
{
    const char *p;
    size_t len;
    if (store_id_name(t, node, id, &p, &len, NULL) != ERR_OK) return "?";
    snprintf(buf, STORE_MAX_ID_LEN + 1, "%.*s", (int)len, p);
    return buf;
}

/* Merge the file's pairs with the stored record; an item with two entities
 * or an entity with two items is bad input (an item is one kg node). */
int store_align_merge(store_txn_t *t, const uint32_t *a, const uint32_t *b, const uint32_t *line, uint64_t n_new,
                      const uint32_t *item_map, const uint32_t *entity_map, uint32_t n_entities, const char *path,
                      uint64_t *stored, err_t *e)
{
    const void *p;
    size_t len = 0;
    int rc = store_meta_get(t, STORE_META_ITEM_ENTITY, &p, &len, NULL);
    if (rc != ERR_OK && rc != ERR_NOTFOUND) return err_set(e, rc, "reading the item-entity record");
    if (rc) len = 0;
    rc = ERR_OK;
    uint64_t n0 = len / 8, n = n0 + n_new;
    pair_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return err_set(e, ERR_NOMEM, "out of memory");
    const unsigned char *rec = p;
    for (uint64_t k = 0; k < n0; k++) {
        const unsigned char *q = rec + 8 * k;
        v[k] = (pair_t){(uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24,
                        (uint32_t)q[4] | (uint32_t)q[5] << 8 | (uint32_t)q[6] << 16 | (uint32_t)q[7] << 24, 0};
    }
    for (uint64_t k = 0; k < n_new; k++) v[n0 + k] = (pair_t){item_map[a[k]], entity_map[b[k]], line[k]};
    qsort(v, n, sizeof *v, cmp_pair);
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (m && v[m - 1].item == v[k].item && v[m - 1].entity == v[k].entity) continue;
        if (m && v[m - 1].item == v[k].item) {
            char in[STORE_MAX_ID_LEN + 1], en[STORE_MAX_ID_LEN + 1];
            rc = err_set(e, ERR_INPUT, "%s:%u: item '%s' already is entity '%s'", path, v[k].line ? v[k].line : v[m - 1].line,
                         stored_name(t, STORE_ITEM, v[k].item, in), stored_name(t, STORE_ENTITY, v[m - 1].entity, en));
            free(v);
            return rc;
        }
        v[m++] = v[k];
    }
    uint32_t ne = n_entities;
    uint32_t *owner = malloc((ne ? ne : 1) * sizeof *owner);
    unsigned char *out = malloc(m ? 8 * m : 1);
    if (!owner || !out) { free(v); free(owner); free(out); return err_set(e, ERR_NOMEM, "out of memory"); }
    for (uint32_t x = 0; x < ne; x++) owner[x] = UINT32_MAX;
    for (uint64_t k = 0; k < m && !rc; k++) {
        if (owner[v[k].entity] != UINT32_MAX) {
            char en[STORE_MAX_ID_LEN + 1], in[STORE_MAX_ID_LEN + 1];
            rc = err_set(e, ERR_INPUT, "%s:%u: entity '%s' is already item '%s'", path, v[k].line,
                         stored_name(t, STORE_ENTITY, v[k].entity, en), stored_name(t, STORE_ITEM, owner[v[k].entity], in));
        }
        owner[v[k].entity] = v[k].item;
        uint32_t w[2] = {v[k].item, v[k].entity};
        for (int h = 0; h < 2; h++)
            for (int by = 0; by < 4; by++) out[8 * k + 4 * h + by] = (unsigned char)(w[h] >> (8 * by));
    }
    if (!rc) rc = store_meta_put(t, STORE_META_ITEM_ENTITY, out, 8 * m, e);
    *stored = m;
    free(v); free(owner); free(out);
    return rc;
}

