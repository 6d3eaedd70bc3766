/* check.h - the store half of `gnnrec check` (gnn/check.h runs it with the
 * models' half): a cheap integrity check of everything store.h's loaders
 * trust, in one read transaction, without building any graph.
 *   id maps      per node type: name:<node> and id:<node> hold the same
 *                number of entries (their mdb_stat counts, what every
 *                loader sizes its arrays by, equal to what a scan finds);
 *                the dense ids are 0..n-1 in order; every external id maps
 *                to a dense id in range that maps back to it (invertible)
 *   edges        per edge type: every key of the right length with its node
 *                ids in range for its type (train/test user < users, item <
 *                items; social u < v < users; kg head, tail < entities,
 *                relation < relations), every attribute record well formed,
 *                and the recorded count equal to the entries scanned
 *   item_entity  the alignment record's pairs in range and sorted by item
 * What it finds goes to the caller's note function, one message per
 * problem ("what is wrong", no prefix; at most STORE_CHECK_MAX_LINES per
 * table, then one line with how many more), so a million bad keys do not
 * make a million lines.
 */
#ifndef GNNREC_STORE_CHECK_H
#define GNNREC_STORE_CHECK_H

#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

#define STORE_CHECK_MAX_LINES 10

typedef struct store_check {
    /* set by the caller (store_check_init) */
    void (*note)(void *ctx, int problem, const char *msg);   /* problem 1: wrong; 0: a remark */
    void *ctx;
    /* what was found and checked */
    uint64_t problems, notes;
    uint64_t nodes[STORE_N_NODE], edges[STORE_N_EDGES];
    uint64_t models, blobs, blobs_checked, blobs_unchecked;   /* gnn_saved_check fills these */
} store_check_t;

void store_check_init(store_check_t *c, void (*note)(void *ctx, int problem, const char *msg), void *ctx);
/* Report a problem / a remark (printf-style). */
void store_check_problem(store_check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void store_check_remark(store_check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Check ids, edges and store records as above; problems go to c. ERR_OK
 * unless the check could not run (an LMDB failure, out of memory). */
int store_check(store_txn_t *t, store_check_t *c, err_t *e);

/* fn(name, ctx) once per distinct name holding model blobs, stagings
 * (NAME~run) and models whose meta is missing included, in byte order
 * (store_model_list lists only names with a "meta"). */
int store_blob_owners(store_txn_t *t, void (*fn)(const char *name, void *ctx), void *ctx, err_t *e);
/* fn(key, data, len, ctx) once per blob of model, in key order. */
int store_blob_each(store_txn_t *t, const char *model,
                    void (*fn)(const char *key, const void *data, size_t len, void *ctx), void *ctx, err_t *e);

#endif
