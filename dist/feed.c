/* feed.c (dist/) - dist/feed.h: every rank ranks its shard into a framed
 * file, rank 0 receives the others' files into one and merges them into
 * the output. Assumes every rank has the same store, candidates and
 * options. */
#include "dist/feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed/out.h"

typedef struct job_files {
    char mine[4096], recv[4100];   /* this rank's part; on rank 0 the other ranks' parts, one after the other */
    FILE *rf;                      /* recv, being written */
    uint64_t *sizes;               /* [size] on rank 0: the parts' bytes */
} job_files_t;

static int recv_chunk(void *ctx, const void *buf, size_t n, err_t *e)
{
    job_files_t *f = ctx;
    if (fwrite(buf, 1, n, f->rf) != n) return err_set(e, ERR_IO, "%s: %s", f->recv, strerror(errno));
    return ERR_OK;
}

/* The counts every rank adds to, summed (exact in doubles below 2^53);
 * rank 0 keeps its own of what all ranks share (the bad lines, the labels). */
static int sum_counts(const dist_t *d, feed_report_t *r, err_t *e)
{
    double v[] = {(double)r->cands, r->unk_viewers, (double)r->unk_viewer_cands, (double)r->unk_author_cands,
                  (double)r->unk_content, (double)r->author_content, (double)r->no_content,
                  (double)r->labels_matched, r->sort_runs};
    int rc = dist_sum_doubles(d, v, (int)(sizeof v / sizeof v[0]), e);
    r->cands = (uint64_t)v[0];
    r->unk_viewers = (uint32_t)v[1];
    r->unk_viewer_cands = (uint64_t)v[2];
    r->unk_author_cands = (uint64_t)v[3];
    r->unk_content = (uint64_t)v[4];
    r->author_content = (uint64_t)v[5];
    r->no_content = (uint64_t)v[6];
    r->labels_matched = (uint64_t)v[7];
    r->sort_runs = (uint32_t)v[8];
    return rc;
}

/* Rank 0: the parts (its own, then ranks 1.. from recv) merged into out. */
static int merge(const dist_t *d, job_files_t *f, const char *out, int sorted, feed_report_t *r, err_t *e)
{
    feed_part_t *p = calloc((size_t)d->size, sizeof *p);
    io_writer_t w;
    int rc = p ? ERR_OK : err_set(e, ERR_NOMEM, "out of memory");
    uint64_t off = 0;
    for (int q = 0; q < d->size && !rc; q++) {
        if (!(p[q].f = fopen(q ? f->recv : f->mine, "rb"))) rc = err_set(e, ERR_IO, "%s: %s", q ? f->recv : f->mine, strerror(errno));
        p[q].off = q ? off : 0;
        p[q].size = f->sizes[q];
        if (q) off += f->sizes[q];
    }
    if (!rc && !(rc = feed_out_open(&w, out, e))) {
        if (!(rc = feed_frames_merge(p, d->size, sorted, r->have_labels, &w, r, e))) rc = feed_out_close(&w, e);
        else feed_out_abort(&w);
    }
    for (int q = 0; p && q < d->size; q++)
        if (p[q].f) fclose(p[q].f);
    free(p);
    return rc;
}

/* Every rank's part, streamed to rank 0 and merged there. */
static int join(const dist_t *d, job_files_t *f, const char *out, int sorted, feed_report_t *r, err_t *e)
{
    struct stat st;
    int rc = stat(f->mine, &st) ? err_set(e, ERR_IO, "%s: %s", f->mine, strerror(errno)) : ERR_OK;
    if (!(rc = dist_agree(d, rc, e)) && !(rc = dist_gather_u64(d, (uint64_t)st.st_size, f->sizes, e))) {
        if (d->rank == 0 && !(f->rf = fopen(f->recv, "wb"))) rc = err_set(e, ERR_IO, "%s: %s", f->recv, strerror(errno));
        int rs = dist_stream_file_to_root(d, f->mine, recv_chunk, f, e);   /* every rank takes part, even after a failure */
        if (!rc) rc = rs;
        if (f->rf && fclose(f->rf) && !rc) rc = err_set(e, ERR_IO, "%s: %s", f->recv, strerror(errno));
        f->rf = NULL;
    }
    if ((rc = dist_agree(d, rc, e)) || (rc = sum_counts(d, r, e))) return rc;
    if (d->rank == 0) rc = merge(d, f, out, sorted, r, e);
    return dist_agree(d, rc, e);
}

int dist_rank_feed_check(const dist_t *d, const feed_settings_t *s, err_t *e)
{
    if (d->size <= 1) return ERR_OK;
    if (s->shards > 1)
        return err_set(e, ERR_USAGE, "--shard splits the viewers in one process (under mpirun the ranks split them)");
    if (!strcmp(s->candidates, "-"))
        return err_set(e, ERR_USAGE, "under mpirun --candidates must name a file every rank can read");
    return ERR_OK;
}

int dist_rank_feed(const dist_t *d, feed_job_t *j, const char *out, feed_report_t *r, err_t *e)
{
    if (d->size <= 1) return feed_job_run(j, r, e);
    job_files_t f = {0};
    const char *tmp = getenv("TMPDIR");
    snprintf(f.mine, sizeof f.mine, "%s/gnnrec-feed.%ld.r%d", tmp && *tmp ? tmp : "/tmp", (long)getpid(), d->rank);
    snprintf(f.recv, sizeof f.recv, "%s.in", f.mine);
    memset(r, 0, sizeof *r);
    int rc = d->rank == 0 && !(f.sizes = calloc((size_t)d->size, sizeof *f.sizes)) ? err_set(e, ERR_NOMEM, "out of memory") : ERR_OK;
    io_writer_t w;
    /* rank 0 checks the output's directory before any work (opened again at the end) */
    if (!rc && d->rank == 0 && strcmp(out, "-") && !(rc = feed_out_open(&w, out, e))) feed_out_abort(&w);
    if (!(rc = dist_agree(d, rc, e))) {
        feed_job_part(j, (uint32_t)d->rank, (uint32_t)d->size, f.mine, 0);
        rc = feed_job_run(j, r, e);
    }
    uint64_t sorted = 0;
    if (!(rc = dist_agree(d, rc, e)) && !(rc = dist_sum_u64(d, (uint64_t)r->sorted, &sorted, e)) && sorted &&
        !r->sorted) {   /* another rank's viewers came back: this one sorts too, so all order alike */
        feed_job_part(j, (uint32_t)d->rank, (uint32_t)d->size, f.mine, 1);
        rc = feed_job_run(j, r, e);
    }
    if (!(rc = dist_agree(d, rc, e))) rc = join(d, &f, out, sorted > 0, r, e);
    unlink(f.mine);
    if (d->rank == 0) unlink(f.recv);
    free(f.sizes);
    return rc;
}
