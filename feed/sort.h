/* sort.h - the records, runs and merge inputs of rank-feed's external
 * sort (not an API): sort.c builds, orders and spills the runs, merge.c
 * merges them back into chunks for rank.c. */
#ifndef GNNREC_FEED_SORT_H
#define GNNREC_FEED_SORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "feed/internal.h"

#define FEED_MAX_RUNS 1000
/* Spill files are written and read in blocks of this alignment, with
 * O_DIRECT where the file system has it: on the machines measured, filling
 * new page-cache pages cost more CPU than the whole sort (docs/feed.md) */
#define FEED_SPILL_ALIGN 4096
#define FEED_SPILL_WRITE ((size_t)1 << 20)   /* bytes a spill write takes (a multiple of the alignment) */

/* A record: this fixed part (FEED_SREC_SIZE bytes, copied in and out with
 * memcpy: records are unaligned in runs and spill files), then len bytes:
 * a malformed line's text, or [viewer id if unknown] post id, author id. */
typedef struct feed_srec {
    uint64_t order, author_key;
    int64_t time;
    float content, author;
    uint32_t key, viewer, len;
    uint16_t unknown_content, vl, pl;
    uint8_t flags, bits;
} feed_srec_t;
#define FEED_SREC_SIZE (offsetof(feed_srec_t, bits) + 1)
#define FEED_SREC_BAD 1u
#define FEED_SREC_NUL 2u
#define FEED_SREC_LABEL 4u

static inline int feed_bytes_cmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : al < bl ? -1 : al > bl;
}

/* A run being built (pass 1), or the last one, kept for the merge. */
typedef struct feed_run {
    char *arena;              /* [acap] the records, in file order */
    size_t have, acap;
    uint32_t *key, *perm, *tmp;    /* [cap] sort key of record i; the order; radix scratch */
    uint64_t *off, *soff;     /* [cap] where record i starts in arena; where the k-th in order does */
    size_t n, cap;
} feed_run_t;

typedef struct feed_src {          /* one input of the merge: a spill file, or the last run (fd -1) */
    int fd;
    uint64_t size, left;      /* bytes of records in the file (padded past them to FEED_SPILL_ALIGN); not read yet */
    char *buf;                /* [cap] FEED_SPILL_ALIGN-aligned, read from the file: bytes lo..hi not used yet */
    size_t cap, lo, hi, cur;  /* cur: bytes of the current record at lo */
    size_t k;                 /* the last run: its next record in order */
    feed_srec_t h;                 /* the current record */
    const char *bytes;        /* its bytes */
} feed_src_t;

/* Pass 2: the sources sp[0..nsrc) (nspilled of them spill files, then
 * the last run R) merged into ck, which is ranked a chunk at a time into out. */
int feed_sort_merge(feed_job_t *j, const feed_run_t *R, feed_src_t *sp, size_t nsrc, size_t nspilled, feed_chunk_t *ck,
                    io_writer_t *out, err_t *e);

#endif
