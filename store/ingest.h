/* ingest.h - the write phase of `gnnrec build-graph`: the parsed ids and
 * rows of one job (store_ingest_t, filled by the command's parse phase)
 * put into the store in one write transaction (store_ingest_write, a
 * store_write callback).
 *
 * Inside the transaction the dense ids of new external ids are assigned
 * (another --append may have committed new ids since the parse phase read
 * the store's: each new id is looked up again and rows go through map[],
 * parse id -> stored id), the edges are put (a test pair already in
 * training, an edge already stored: counted, not written), the item-entity
 * alignment merged, and test interactions on items without training
 * interactions counted. store_write may run it again from the start (map
 * full): the counts in w are reset at each run.
 */
#ifndef GNNREC_STORE_INGEST_H
#define GNNREC_STORE_INGEST_H

#include <stdint.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/strmap.h"
#include "io/ingest.h"
#include "store/store.h"

typedef struct store_ingest_counts {
    uint64_t dup_train, dup_test, test_in_train, train_in_test, below_min;
    uint64_t social_rows, social_self, social_dup, kg_rows, kg_dup;
    uint64_t test_unseen_item, split_test;
    uint64_t new_train, new_test, new_social, new_kg;
} store_ingest_counts_t;

typedef struct store_ingest {
    int append;
    int progress;                   /* --progress: the reading line even off a terminal */
    strmap_t ids[STORE_N_NODE];
    uint32_t n0[STORE_N_NODE];      /* ids the store had when phase 1 read them */
    uint32_t *map[STORE_N_NODE];    /* [ids[node].n] parse id -> stored dense id (set in phase 2) */
    uint32_t added[STORE_N_NODE];   /* ids phase 2 added */
    uint32_t total[STORE_N_NODE];   /* ids in the store after phase 2 */
    io_rows_t train, test, social, kg;
    io_rows_t align;                /* --item-entities: a = item, b = entity */
    const char *align_path;
    uint64_t align_stored;          /* pairs in the store's record after phase 2 */
    io_item_names_t names;          /* --item-names (items are parse ids) */
    uint64_t names_stored;          /* names in the store's record after phase 2 */
    store_ingest_counts_t parse;                 /* counts from phase 1 */
    store_ingest_counts_t w;                     /* counts from phase 2 (reset at each try) */
    progress_t pg;                  /* phase 2: edges written of all rows */
    uint64_t written;               /* rows put so far in this try */
} store_ingest_t;

/* The store_write callback: ctx is a store_ingest_t with ids, n0, map
 * (ids below n0 mapped to themselves), rows and append set. */
int store_ingest_write(store_txn_t *t, void *ctx, err_t *e);

#endif
