/* job.h - one `gnnrec rank-feed` job: rank each viewer's social-feed
 * candidates with a saved model and write the top N per viewer
 * (docs/feed.md).
 *
 * Streaming: a file grouped by viewer (one run of consecutive lines per
 * viewer) streams. The file is read in chunks of whole lines; each
 * chunk is parsed, looked up and scored in parallel (OpenMP over lines), cut
 * into viewer groups, the groups ranked in parallel, and the output written
 * in input order. The last group of a chunk may continue in the next one, so
 * its lines are carried over; memory is therefore the chunk plus the largest
 * group, not the file. Ids are resolved through the store's id maps loaded
 * into strmaps; embeddings are copied onto huge pages when they fit.
 *
 * Use: feed_job_open (settings; opens the candidates), feed_job_load (the
 * model, ties, labels from an open store transaction), feed_job_run (the
 * output, feed/out.h, then the counts in the report), feed_job_close.
 * Assumes ids of at most STORE_MAX_ID_LEN bytes, lines of at most 1 MiB and
 * integer timestamps.
 */
#ifndef GNNREC_FEED_JOB_H
#define GNNREC_FEED_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "base/err.h"
#include "feed/candidates.h"
#include "feed/feed.h"
#include "io/writer.h"
#include "store/store.h"

#define FEED_EVAL_K 10
#define FEED_N_REPORT 5          /* names shown per kind of unknown id or leftover */

enum feed_format { FEED_TSV, FEED_JSONL };
enum feed_method { FEED_M_GNNREC, FEED_M_RECENT, FEED_M_POPULAR, FEED_N_METHOD };
extern const char *const feed_method_names[FEED_N_METHOD];

typedef struct feed_settings {
    const char *candidates;  /* path, "-" = stdin */
    const char *out;         /* path, "-" = stdout */
    const char *labels;      /* `viewer post` engagements, NULL: no evaluation */
    feed_cols_t cols;        /* delim and columns (feed_cols_parse); path is set by feed_job_open */
    int header, format;      /* skip line 1; FEED_TSV or FEED_JSONL */
    uint32_t top, cap;       /* posts per viewer; per-author cap (0 = none) */
    feed_weights_t w;
    int64_t now;             /* FEED_NO_TIME: each viewer's newest post */
    uint64_t max_bad;        /* malformed lines skipped before failing */
    size_t chunk;            /* bytes read at a time */
    int progress;            /* a progress line on stderr */
    uint64_t sort_memory;    /* bytes a run of the sort holds (ungrouped input) */
    uint32_t shard, shards;  /* rank only the viewers whose id hashes to shard mod shards (0 of 1: all) */
    int framed;              /* a part of a distributed job: a feed_frame_t before each viewer's rows */
    int sort;                /* through the external sort even when the input is grouped */
} feed_settings_t;

/* The defaults the command documents (columns viewer,post,author,content,
 * time, tab, top 50, cap 3, 16 MiB reads, 256 MiB sort runs,
 * feed_weights_default). */
void feed_settings_default(feed_settings_t *s);
/* --now: "auto" or an integer time (else ERR_USAGE "expected ..."). */
int feed_settings_now(feed_settings_t *s, const char *v, err_t *e);
/* The shard of a viewer id (--shard I/N: the viewers with
 * feed_shard_of(id, N) == I): strmap_hash, a fixed 64-bit hash, mod N. */
uint32_t feed_shard_of(const char *id, size_t len, uint32_t n);

#define FEED_N_SKIPPED 10         /* skipped bad lines whose message is kept */

typedef struct feed_report {
    uint64_t cands, groups, rows, bad;
    char skipped[FEED_N_SKIPPED][1024];       /* "FILE:LINE: what" of the first bad lines skipped */
    int n_skipped;
    uint32_t unk_viewers;                     /* distinct unknown viewers */
    const char *unk_viewer_name[FEED_N_REPORT];   /* the first ones (valid until feed_job_close) */
    uint64_t unk_viewer_cands, unk_author_cands, unk_content, author_content, no_content;
    char unk_author_name[FEED_N_REPORT][64];  /* the first ones, cut at 60 bytes */
    int n_unk_author_names;
    uint32_t leftovers;                       /* temporary files of dead jobs removed (io_writer_leftovers) */
    char leftover[FEED_N_REPORT][4096];
    double secs;                              /* the ranking pass, output included */
    int sorted;                               /* the input was not grouped: it went through the sort */
    uint32_t sort_runs;                       /* runs spilled by the sort (0: it fitted in memory) */
    uint32_t spills_removed;                  /* spill files of dead jobs removed */
    /* the evaluation (with labels): means over viewers with a positive
     * (NDCG@FEED_EVAL_K) and with a positive and a negative (AUC) */
    int have_labels;
    uint64_t labels_loaded, labels_matched, eval_ndcg_n, eval_auc_n;
    double ndcg[FEED_N_METHOD], auc[FEED_N_METHOD];
} feed_report_t;

typedef struct feed_job feed_job_t;

/* Copy the settings, open the candidates file (ERR_INPUT when it cannot be
 * read). *j is NULL on failure. */
int feed_job_open(feed_job_t **j, const feed_settings_t *s, err_t *e);
/* The saved model `model` (its final embeddings), the id maps, social ties,
 * the author-popularity baseline and the labels, from t (which must stay
 * open until feed_job_close: embeddings may be read in place). */
int feed_job_load(feed_job_t *j, store_txn_t *t, const char *model, err_t *e);
/* Rank everything into the output; *r gets the counts (also on failure:
 * r->leftovers is worth printing either way). */
int feed_job_run(feed_job_t *j, feed_report_t *r, err_t *e);
void feed_job_close(feed_job_t *j);

/* ---- parts of a distributed job (dist/feed.h) ----------------------------
 * Each part ranks one shard of the viewers into a file of its own, framed:
 * every viewer's rows come after a feed_frame_t and the viewer's id, so
 * feed_frames_merge can put the parts' viewers back in the one-process
 * order (the order of their first lines for a grouped input, byte order of
 * the ids for a sorted one) and add their evaluation in that order. Frames
 * are raw structs: read back by the same build. */
typedef struct feed_frame {
    uint64_t first;                      /* the viewer's first input line */
    uint32_t vlen, rlen;                 /* bytes of the id and of the rows that follow */
    uint32_t rows, pad;                  /* rows in them */
    double gm[2 * FEED_N_METHOD];        /* NDCG@FEED_EVAL_K, AUC per method (NaN: undefined; 0 without labels) */
} feed_frame_t;

/* Make j part `part` of `parts`: its viewers are shard part/parts, its
 * output is `out` (a path that must stay valid), framed; sort != 0: through
 * the external sort even if the input is grouped (so every part orders its
 * viewers alike). A job that ran already starts again from the input's
 * beginning (ERR_INPUT if it cannot be read again). */
void feed_job_part(feed_job_t *j, uint32_t part, uint32_t parts, const char *out, int sort);

/* One part's framed output: bytes [off, off + size) of f. */
typedef struct feed_part { FILE *f; uint64_t off, size; } feed_part_t;

/* The framed outputs of n parts merged into out in the one-process order
 * (sorted: by the viewers' ids, else by their first lines); r->rows, the
 * groups and the evaluation (means, as feed_job_run's) are recomputed from
 * the frames. ERR_IO on a short or damaged part. */
int feed_frames_merge(feed_part_t *parts, int n, int sorted, int have_labels, io_writer_t *out, feed_report_t *r,
                      err_t *e);
/* ndcg/auc of r: sums over viewers into means (feed_job_run does it). */
void feed_report_means(feed_report_t *r);

#endif
