/* feed.h (dist/) - `rank-feed` across the ranks of a job (docs/feed.md):
 * rank r ranks shard r/P of the viewers (feed/job.h's --shard split: every
 * rank reads the whole candidates file, from its own copy), framed, into a
 * file of its own in $TMPDIR (/tmp); the files reach rank 0 over MPI
 * (dist_stream_file_to_root) once every rank is done, and rank 0 merges
 * them (feed_frames_merge) into the one output in the order one process
 * writes, atomically: the output is byte for byte one process's, and the
 * evaluation's sums are added in one process's order (the same bits).
 *
 * A grouped input stays grouped in every shard, and a viewer that comes back
 * comes back in its own shard; so when any rank had to sort (the input is
 * not grouped), the ranks that streamed rank again through the sort, and all
 * order their viewers alike. A failure on any rank is agreed: every rank
 * returns it, the output is left as it was, the ranks' files removed.
 */
#ifndef GNNREC_DIST_FEED_H
#define GNNREC_DIST_FEED_H

#include "dist/dist.h"
#include "feed/job.h"

/* Collective. feed_job_run of j (opened and loaded on every rank with the
 * same settings) across d's ranks into out ("-": stdout on rank 0); with
 * d->size == 1 exactly feed_job_run. *r on rank 0: the whole job's counts
 * (the bad lines and the names of unknown ids as rank 0 saw them: every rank
 * sees every bad line). */
int dist_rank_feed(const dist_t *d, feed_job_t *j, const char *out, feed_report_t *r, err_t *e);
/* ERR_USAGE when settings s cannot run on d's ranks: a --shard (the ranks
 * split the viewers themselves) or candidates on stdin (rank 0's only). */
int dist_rank_feed_check(const dist_t *d, const feed_settings_t *s, err_t *e);

#endif
