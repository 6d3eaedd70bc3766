/* infer.h (dist/) - `infer` for stored users across the ranks of a job:
 * each rank ranks a contiguous share of the users asked for (in the order
 * given: gnn_rank_users_share), and the rows reach the one output in rank
 * order, so the file is byte for byte what one process writes.
 *
 * Every rank holds what one process holds (the model's embeddings, the
 * training rows for the exclusion, the names; from its own copy of the
 * store). Rank 0 writes its share straight into the output (PATH.tmp.PID,
 * or stdout); every other rank writes its share to a file of its own in
 * $TMPDIR (/tmp), local to its machine, and streams it to rank 0 over MPI
 * after all ranks finished ranking (dist_stream_to_root), so no shared
 * filesystem is needed. Only when every rank's rows arrived does rank 0
 * rename the output into place (io_writer_close): a failure on any rank
 * leaves the output path as it was and removes the ranks' files.
 */
#ifndef GNNREC_DIST_INFER_H
#define GNNREC_DIST_INFER_H

#include "dist/dist.h"
#include "gnn/scorer.h"

/* Collective. gnn_rank_users(r, spec, o) into out ("-": stdout; else
 * atomically written) across d's ranks; with d->size == 1 exactly that.
 * Errors are agreed: every rank returns the same status. */
int dist_rank_users(const dist_t *d, const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o,
                    const char *out, err_t *e);

#endif
