/* check.h - `gnnrec check`: the whole store's integrity check in one read
 * transaction: the store's ids, edges and records (store/check.h), then
 * every model and staging's blobs against their checksums and meta
 * (gnn_saved_check, gnn/saved.h). Cheap: one scan of each table and each
 * blob, no graph built, nothing written. Problems and remarks go to c's
 * note function; c->problems == 0 means the store is sound as far as these
 * checks see. ERR_OK unless the check itself could not run.
 *
 * What a reader-side load does not cover is what this is for: infer
 * --users ID reads only that user's rows, so a corrupt key of another user
 * is found here (or by the commands that load the whole table), not there.
 */
#ifndef GNNREC_GNN_CHECK_H
#define GNNREC_GNN_CHECK_H

#include "base/err.h"
#include "store/check.h"
#include "store/store.h"

int gnn_check_store(store_t *s, store_check_t *c, err_t *e);

#endif
