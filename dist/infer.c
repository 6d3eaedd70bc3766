/* infer.c (dist/) - dist/infer.h: rank a share, then join the shares in
 * rank order into the one output. Assumes every rank has the same store
 * contents and options (the user list resolves the same everywhere). */
#include "dist/infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/writer.h"

/* rank 0's own rows may still sit in the writer's buffer: they go first */
static int write_chunk(void *ctx, const void *buf, size_t n, err_t *e)
{
    io_writer_t *w = ctx;
    int rc = w->buf.n ? io_writer_flush(w, e) : ERR_OK;
    return rc ? rc : io_writer_write(w, buf, n, e);
}

int dist_rank_users(const dist_t *d, const gnn_ranker_t *r, const char *spec, const gnn_rank_opts_t *o,
                    const char *out, err_t *e)
{
    io_writer_t w = {0};
    int rc, have_w = 0;
    if (d->size <= 1) {
        if ((rc = io_writer_open(&w, out, 0, e))) return rc;
        if ((rc = gnn_rank_users(r, spec, o, &w, e))) {
            io_writer_abort(&w);
            return rc;
        }
        return io_writer_close(&w, e);
    }
    /* rank 0: the output itself; others: a file of their own, on their machine */
    char mine[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(mine, sizeof mine, "%s/gnnrec-infer.%ld.r%d", tmp && *tmp ? tmp : "/tmp", (long)getpid(), d->rank);
    int have_mine = 0;
    rc = io_writer_open(&w, d->rank == 0 ? out : mine, 0, e);
    if (!rc) {
        have_w = 1;
        rc = gnn_rank_users_share(r, spec, (uint32_t)d->rank, (uint32_t)d->size, o, &w, e);
    }
    if (!rc && d->rank > 0) {
        have_w = 0;
        if (!(rc = io_writer_close(&w, e))) have_mine = 1;
    }
    if ((rc = dist_agree(d, rc, e))) goto out;
    rc = dist_stream_file_to_root(d, mine, write_chunk, &w, e);
    if ((rc = dist_agree(d, rc, e))) goto out;
    if (d->rank == 0) {   /* every rank's rows are in: the output goes into place */
        have_w = 0;
        rc = io_writer_close(&w, e);
    }
    rc = dist_agree(d, rc, e);
out:
    if (have_w) io_writer_abort(&w);
    if (have_mine) unlink(mine);
    return rc;
}
