/* partition.c - the store's record of a node partition (store.h:
 * store_partition_*): a fixed little-endian header and one u32 per node,
 * under the meta key "partition". The record is copied out on read (a meta
 * value is not aligned), and every field is checked, so a damaged record is
 * "corrupt store", never an out-of-range part id in a job. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define HEAD 72   /* bytes before part[] */

static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int store_partition_put(store_txn_t *t, const store_partition_t *p, err_t *e)
{
    uint64_t n = (uint64_t)p->n_users + p->n_items + p->n_entities;
    if (p->parts == 0 || (n && !p->part)) return err_set(e, ERR_INTERNAL, "partition: no parts");
    for (uint64_t v = 0; v < n; v++)
        if (p->part[v] >= p->parts)
            return err_set(e, ERR_INTERNAL, "partition: node %llu in part %u of %u", (unsigned long long)v,
                           p->part[v], p->parts);
    size_t len = HEAD + (size_t)n * 4;
    unsigned char *b = malloc(len);
    if (!b) return err_set(e, ERR_NOMEM, "partition: out of memory for %llu nodes", (unsigned long long)n);
    memset(b, 0, HEAD);
    put32(b, STORE_PARTITION_VERSION);
    put32(b + 4, p->parts);
    put32(b + 8, p->method);
    put32(b + 12, p->balance);
    put64(b + 16, p->seed);
    put32(b + 24, p->n_users);
    put32(b + 28, p->n_items);
    put32(b + 32, p->n_entities);
    put64(b + 40, p->n_train);
    put64(b + 48, p->n_social);
    put64(b + 56, p->n_kg);
    put64(b + 64, p->edge_cut);
    for (uint64_t v = 0; v < n; v++) put32(b + HEAD + 4 * v, p->part[v]);
    int rc = store_meta_put(t, STORE_META_PARTITION, b, len, e);
    free(b);
    return rc;
}

int store_partition_get(store_txn_t *t, store_partition_t *p, err_t *e)
{
    const void *data;
    size_t len;
    memset(p, 0, sizeof *p);
    int rc = store_meta_get(t, STORE_META_PARTITION, &data, &len, e);
    if (rc == ERR_NOTFOUND) return err_set(e, ERR_NOTFOUND, "no partition recorded (run gnnrec partition)");
    if (rc) return rc;
    const unsigned char *b = data;
    if (len < HEAD || get32(b) != STORE_PARTITION_VERSION)
        return err_set(e, ERR_STORE, "partition record of %zu bytes, version %u (corrupt store?)", len,
                       len >= 4 ? get32(b) : 0);
    p->parts = get32(b + 4);
    p->method = get32(b + 8);
    p->balance = get32(b + 12);
    p->seed = get64(b + 16);
    p->n_users = get32(b + 24);
    p->n_items = get32(b + 28);
    p->n_entities = get32(b + 32);
    p->n_train = get64(b + 40);
    p->n_social = get64(b + 48);
    p->n_kg = get64(b + 56);
    p->edge_cut = get64(b + 64);
    uint64_t n = (uint64_t)p->n_users + p->n_items + p->n_entities;
    if (p->parts == 0 || (len - HEAD) / 4 != n || (len - HEAD) % 4)
        return err_set(e, ERR_STORE, "partition record: %u parts, %zu bytes for %llu nodes (corrupt store?)",
                       p->parts, len, (unsigned long long)n);
    p->part = malloc((size_t)(n ? n : 1) * sizeof *p->part);
    if (!p->part) return err_set(e, ERR_NOMEM, "partition: out of memory for %llu nodes", (unsigned long long)n);
    for (uint64_t v = 0; v < n; v++) {
        p->part[v] = get32(b + HEAD + 4 * v);
        if (p->part[v] >= p->parts) {
            rc = err_set(e, ERR_STORE, "partition record: node %llu in part %u of %u (corrupt store?)",
                         (unsigned long long)v, p->part[v], p->parts);
            store_partition_destroy(p);
            return rc;
        }
    }
    return ERR_OK;
}

int store_partition_current(store_txn_t *t, const store_partition_t *p, int *current, err_t *e)
{
    uint64_t u, i, ent, tr, so, kg;
    int rc;
    if ((rc = store_count_nodes(t, STORE_USER, &u, e)) || (rc = store_count_nodes(t, STORE_ITEM, &i, e)) ||
        (rc = store_count_nodes(t, STORE_ENTITY, &ent, e)) || (rc = store_count_edges(t, STORE_TRAIN, &tr, e)) ||
        (rc = store_count_edges(t, STORE_SOCIAL, &so, e)) || (rc = store_count_edges(t, STORE_KG, &kg, e)))
        return rc;
    /* entities count only when knowledge edges took part (graph/partition.h) */
    *current = u == p->n_users && i == p->n_items && (kg ? ent : 0) == p->n_entities && tr == p->n_train &&
               so == p->n_social && kg == p->n_kg;
    return ERR_OK;
}

void store_partition_destroy(store_partition_t *p)
{
    if (!p) return;
    free(p->part);
    p->part = NULL;
}
