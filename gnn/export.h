/* export.h - a saved embedding model's final user and item embeddings (the
 * rows infer scores with: user . item, gnn/scorer.h) written out for a
 * serving system, with their external ids, as `gnnrec export` does.
 *
 * Formats (files in DIR):
 *   npy  users.npy, items.npy: float32 [n x dim], NumPy format 1.0 ('<f4',
 *        C order, the header padded to 64 bytes, written here byte by byte,
 *        little-endian on any host); user_ids.txt, item_ids.txt: one
 *        external id per line, in row order
 *   tsv  users.tsv, items.tsv: id<TAB>v1<TAB>...<TAB>vdim per row, the
 *        values as %.9g (float32 round-trips)
 * Rows are dense ids in order (store order), so row r of users.npy is the
 * user on line r + 1 of user_ids.txt. An id holding a TAB or a newline
 * cannot be written as a line and is refused (ERR_INPUT).
 *
 * Atomic: the files are written into DIR.tmp.PID (each fsync'ed), which
 * then replaces DIR in one rename: DIR absent or an empty directory, or a
 * directory holding only an earlier export's files (swapped with
 * renameat2(RENAME_EXCHANGE), the old files then removed); any other DIR
 * is refused (ERR_USAGE) and never touched. On any failure the staging is
 * removed; a process killed meanwhile leaves DIR as it was plus its
 * DIR.tmp.PID, which the next export to DIR removes (its process is gone).
 * Graph filters and popularity have no embeddings: ERR_USAGE.
 */
#ifndef GNNREC_GNN_EXPORT_H
#define GNNREC_GNN_EXPORT_H

#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

enum { GNN_EXPORT_NPY, GNN_EXPORT_TSV };

typedef struct gnn_export_report {
    uint32_t n_users, n_items, dim;
    uint64_t bytes;           /* bytes written (all files) */
    int replaced;             /* 1: an earlier export in DIR was replaced */
} gnn_export_report_t;

/* Export model `model` of s to dir in format fmt (GNN_EXPORT_*). */
int gnn_export(store_t *s, const char *model, const char *dir, int fmt, gnn_export_report_t *out, err_t *e);

#endif
