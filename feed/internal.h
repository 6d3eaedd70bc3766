/* internal.h - the state a rank-feed job shares between its files (not an
 * API): job.c opens, loads and runs the stream; chunk.c cuts a read into
 * line records and parses and scores them; rank.c groups the records by
 * viewer, ranks the groups and formats the output.
 */
#ifndef GNNREC_FEED_INTERNAL_H
#define GNNREC_FEED_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "base/strmap.h"
#include "feed/job.h"
#include "feed/out.h"
#include "graph/csr.h"
#include "io/writer.h"

#define FEED_MAX_LINE ((size_t)1 << 20)

/* One input line of the current chunk; offsets are from the line's start. */
typedef struct feed_rec {
    uint32_t start, len;            /* in the chunk buffer */
    feed_fields_t f;                /* viewer, post, author fields */
    uint32_t viewer;                /* dense user id or FEED_NONE */
    uint16_t unknown_content;       /* content ids the store does not know */
    uint8_t bad, blank, label;
    uint8_t nul;                    /* the chunk has a NUL byte: check each line */
} feed_rec_t;

struct feed_job {
    feed_settings_t s;
    FILE *in;
    uint64_t in_size;               /* 0 when unknown (stdin) */
    strmap_t users, items;          /* the store's id maps */
    strmap_t labels;                /* feed_label_key of each engagement */
    int have_labels, have_ties, maps;
    feed_model_t m;
    graph_csr_t ties;               /* [n_users x n_users] */
    double *popularity;             /* [n_users] author-popularity baseline */
    float *emb_copy;                /* the embeddings on huge pages, or NULL */
    gnn_head_t head;                /* the model's MLP head (m.head points here), if it has one */
    float *head_items;              /* [n_items x w_1] its first layer's item half (m.head_items) */
    float *head_wt;                 /* its layers 2..L transposed (m.head_wt) */
    uint64_t *first_line;           /* [n_users] where each viewer's group began, 0 = not yet */
    strmap_t unk_viewers;           /* unknown viewers seen, for the grouping check */
    uint64_t *unk_first;            /* [unk_viewers.n] their first lines */
    size_t unk_cap;
    feed_report_t r;                /* counts; ndcg/auc hold sums until the end */
    uint64_t not_grouped;           /* the line where a viewer came back (rank.c), 0 = none yet */
    uint32_t *rank;                 /* [n_users] each user's place in byte order of the ids (sort.c) */
    int ran;                        /* feed_job_run ran: a next run starts the input again */
};

/* The lines in flight. */
typedef struct feed_chunk {
    char *buf;                      /* [cap + FEED_PAD] whole lines (plus an unread tail) */
    size_t cap, have;
    feed_rec_t *rec;                /* [rcap] */
    feed_cand_t *cand;              /* [rcap] */
    size_t n, rcap;
    uint32_t *gstart;               /* [ngroups + 1] group g = cand[gstart[g] .. gstart[g+1]) */
    size_t ng, gcap;
    double *gm;                     /* [ngroups x 2 x FEED_N_METHOD] per-viewer ndcg, auc (NaN = undefined) */
    io_buf_t *parts;                /* [nparts] output of consecutive groups */
    size_t nparts;
    struct feed_batch **bt;         /* [nbt] per-thread parsing state, kept across chunks */
    int nbt;
} feed_chunk_t;

/* chunk.c: cut buf[0..have) into records and parse and score them;
 * *used = the bytes of the whole lines taken. */
int feed_scan_chunk(const feed_job_t *j, feed_chunk_t *ck, int eof, uint64_t line0, int header, size_t *used,
                    err_t *e);
/* Where the last viewer's run starts: it may go on in the next chunk. */
size_t feed_last_run(const feed_chunk_t *ck);
/* Same viewer in two lines (known ids compare by id, unknown by name);
 * inline: it runs once per line. */
static inline int feed_same_viewer(const feed_chunk_t *ck, const feed_rec_t *a, const feed_rec_t *b)
{
    if (a->viewer != b->viewer) return 0;
    if (a->viewer != STRMAP_NONE) return 1;
    return a->f.vl == b->f.vl && !memcmp(ck->buf + a->start + a->f.vo, ck->buf + b->start + b->f.vo, a->f.vl);
}
void feed_chunk_free(feed_chunk_t *ck);
/* job.c: fill ck->buf from the input up to ck->cap (sets *eof at its end). */
int feed_read_more(feed_job_t *j, feed_chunk_t *ck, int *eof, err_t *e);

/* rank.c: report bad lines and cut rec[0..cut) into viewer groups; then
 * rank the groups and write them in order. */
int feed_group_chunk(feed_job_t *j, feed_chunk_t *ck, size_t cut, err_t *e);
int feed_rank_chunk(feed_job_t *j, feed_chunk_t *ck, io_writer_t *out, err_t *e);
/* One viewer's NDCG and AUC per method, gm [2 x FEED_N_METHOD] (NaN:
 * undefined), added to r's sums. */
void feed_report_add(feed_report_t *r, const double *gm);

/* sort.c: rank candidates that are not grouped by viewer (an external
 * sort, job.h). ck holds what was read from the input's start (its first
 * ck->have bytes, eof: nothing more) and is reused. */
int feed_sort_job(feed_job_t *j, feed_chunk_t *ck, int eof, io_writer_t *out, err_t *e);

#endif
