/* frames.c - job.h's feed_frames_merge: the framed outputs of the parts of
 * a distributed rank-feed job (every part one shard of the viewers, each
 * viewer once) put back into the order one process writes. Each part's
 * viewers are already in that order, so a merge that takes the smallest
 * head each time is the whole order; the evaluation is summed in it, so the
 * means are the bits one process computes. A handful of parts: the
 * smallest head is found by a scan, not a heap. */
#include <stdlib.h>
#include <string.h>

#include "feed/internal.h"

typedef struct head {
    feed_part_t *p;
    uint64_t left;            /* bytes of the part not read yet */
    feed_frame_t fr;          /* the current viewer's frame */
    char *id, *rows;          /* [idcap], [rcap]: its id and rows */
    size_t idcap, rcap;
    int live;
} head_t;

static int grow(char **p, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    char *q = realloc(*p, need);
    if (!q) return -1;
    *p = q;
    *cap = need;
    return 0;
}

static int take(head_t *h, void *dst, size_t n, err_t *e)
{
    if (n > h->left || fread(dst, 1, n, h->p->f) != n)
        return err_set(e, ERR_IO, "a part of the distributed rank-feed job is short or damaged");
    h->left -= n;
    return ERR_OK;
}

/* The part's next viewer into h (h->live = 0 at its end). */
static int next(head_t *h, err_t *e)
{
    int rc;
    h->live = h->left > 0;
    if (!h->live) return ERR_OK;
    if ((rc = take(h, &h->fr, sizeof h->fr, e))) return rc;
    if (h->fr.vlen > h->left || h->fr.rlen > h->left)
        return err_set(e, ERR_IO, "a part of the distributed rank-feed job is damaged");
    if (grow(&h->id, &h->idcap, h->fr.vlen + 1) || grow(&h->rows, &h->rcap, h->fr.rlen + 1))
        return err_set(e, ERR_NOMEM, "out of memory");
    if ((rc = take(h, h->id, h->fr.vlen, e))) return rc;
    return take(h, h->rows, h->fr.rlen, e);
}

/* a comes before b: by id bytes (sorted input) or first line */
static int before(const head_t *a, const head_t *b, int sorted)
{
    if (sorted) {
        uint32_t n = a->fr.vlen < b->fr.vlen ? a->fr.vlen : b->fr.vlen;
        int c = memcmp(a->id, b->id, n);
        if (c || a->fr.vlen != b->fr.vlen) return c ? c < 0 : a->fr.vlen < b->fr.vlen;
    }
    return a->fr.first < b->fr.first;
}

int feed_frames_merge(feed_part_t *parts, int n, int sorted, int have_labels, io_writer_t *out, feed_report_t *r,
                      err_t *e)
{
    head_t *h = calloc(n > 0 ? (size_t)n : 1, sizeof *h);
    int rc = h ? ERR_OK : err_set(e, ERR_NOMEM, "out of memory");
    r->rows = r->groups = r->eval_ndcg_n = r->eval_auc_n = 0;
    memset(r->ndcg, 0, sizeof r->ndcg);
    memset(r->auc, 0, sizeof r->auc);
    for (int i = 0; i < n && !rc; i++) {
        h[i] = (head_t){.p = &parts[i], .left = parts[i].size};
        if (fseeko(parts[i].f, (off_t)parts[i].off, SEEK_SET))
            rc = err_set(e, ERR_IO, "a part of the distributed rank-feed job cannot be read");
        else rc = next(&h[i], e);
    }
    while (!rc) {
        head_t *b = NULL;
        for (int i = 0; i < n; i++)
            if (h[i].live && (!b || before(&h[i], b, sorted))) b = &h[i];
        if (!b) break;
        if ((rc = io_writer_write(out, b->rows, b->fr.rlen, e))) break;
        r->groups++;
        r->rows += b->fr.rows;
        if (have_labels) feed_report_add(r, b->fr.gm);   /* in one process's order: its sums */
        rc = next(b, e);
    }
    if (!rc) feed_report_means(r);
    for (int i = 0; h && i < n; i++) {
        free(h[i].id);
        free(h[i].rows);
    }
    free(h);
    return rc;
}
