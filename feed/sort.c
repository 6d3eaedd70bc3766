/* sort.c - rank-feed's path for candidates that are not grouped by viewer
 * (job.h): a bounded-memory external sort by viewer, stable, so the output
 * is the job's output on the file as `LC_ALL=C sort -s` on the viewer
 * column would group it: viewers in byte order of their ids, each viewer's
 * candidates in file order.
 *
 * Pass 1 reads the input in chunks that are parsed and scored as in the
 * streaming path (chunk.c) and appends the records (the line's bytes, its
 * feed_rec_t and feed_cand_t) to a run of about sort_memory bytes. A full
 * run is ordered (malformed lines first in file order, so that rank.c
 * reports them; known viewers by a counting sort on their byte-order rank;
 * unknown ones by qsort on the bytes; the two merged) and written to a
 * spill file. Pass 2 merges the runs k-way into chunks that rank.c groups
 * and ranks as in the streaming path. When everything fits in one run,
 * nothing is spilled.
 *
 * Spill files are opened with O_TMPFILE (no name, so a failure or a kill
 * leaves nothing), else made by mkstemp as OUT.tmp.PID.sortXXXXXX and
 * unlinked at once (out.c removes such names of dead processes). They are
 * beside the output, in $TMPDIR (else /tmp) for stdout. Records are raw
 * structs: written and read back by the same process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed/internal.h"

#define MAX_RUNS 1000
/* Bytes a line costs in a run besides its text: its records, twice while
 * they are permuted, and the sort's index arrays. */
#define REC_BYTES (2 * (sizeof(feed_rec_t) + sizeof(feed_cand_t)) + 2 * sizeof(uint32_t))

typedef struct named { const char *s; uint32_t len, id; } named_t;

static int bytes_cmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : al < bl ? -1 : al > bl;
}

static int named_cmp(const void *pa, const void *pb)
{
    const named_t *a = pa, *b = pb;
    int c = bytes_cmp(a->s, a->len, b->s, b->len);
    return c ? c : a->id < b->id ? -1 : a->id > b->id;   /* equal names: by position (stable) */
}

/* The order of two records: malformed lines first, then the viewer's bytes
 * (known viewers through their rank, the same order), then file order. */
static int key_cmp(const feed_job_t *j, const feed_rec_t *a, const char *la, uint64_t oa, const feed_rec_t *b,
                   const char *lb, uint64_t ob)
{
    if (a->bad != b->bad) return a->bad ? -1 : 1;
    if (!a->bad) {
        if (a->viewer != FEED_NONE && b->viewer != FEED_NONE) {
            if (a->viewer != b->viewer) return j->rank[a->viewer] < j->rank[b->viewer] ? -1 : 1;
        } else {
            int c = bytes_cmp(la + a->f.vo, a->f.vl, lb + b->f.vo, b->f.vl);
            if (c) return c;
        }
    }
    return oa < ob ? -1 : oa > ob;
}

/* Each store user's place in byte order of the ids. */
static int user_ranks(feed_job_t *j, err_t *e)
{
    uint32_t n = j->users.n;
    named_t *v = malloc((n ? n : 1) * sizeof *v);
    j->rank = malloc((n ? n : 1) * sizeof *j->rank);
    if (!v || !j->rank) {
        free(v);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++) v[i] = (named_t){strmap_name(&j->users, i), strmap_len(&j->users, i), i};
    qsort(v, n, sizeof *v, named_cmp);
    for (uint32_t i = 0; i < n; i++) j->rank[v[i].id] = i;
    free(v);
    return ERR_OK;
}

typedef struct spill_hdr { feed_rec_t r; feed_cand_t c; } spill_hdr_t;   /* then the line's bytes */

typedef struct spill {
    int fd;
    char *buf;                /* [cap] read from the file: bytes lo..hi not used yet */
    size_t cap, lo, hi, cur;  /* cur: bytes of the current record at lo */
    feed_rec_t r;             /* the current record (copied out: the buffer is unaligned) */
    feed_cand_t c;
    const char *line;         /* its bytes, in buf */
} spill_t;

typedef struct sorter {
    feed_job_t *j;
    feed_chunk_t run;         /* the run being built: buf, rec, cand, n */
    uint32_t *perm, *tmp, *count;   /* [pcap], [tcap], [n_users + 1] */
    named_t *unk;             /* [ucap] */
    size_t pcap, tcap, ucap;
    spill_t *sp;              /* [MAX_RUNS] */
    size_t ns;
    char dir[4096], base[256];
    io_buf_t wb;              /* spill writes go through here */
} sorter_t;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * size);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Records of the chunk's lines (blank ones and lines of other shards left
 * out) and their bytes buf[0..used) appended to the run. */
static int run_append(feed_chunk_t *R, const feed_chunk_t *ck, size_t used, err_t *e)
{
    size_t bcap = R->cap, rcap = R->rcap;
    if (grow((void **)&R->buf, &bcap, R->have + used + FEED_PAD, 1)) return err_set(e, ERR_NOMEM, "out of memory");
    R->cap = bcap;
    if (grow((void **)&R->rec, &rcap, R->n + ck->n, sizeof *R->rec) ||
        (rcap > R->rcap && !(R->cand = realloc(R->cand, rcap * sizeof *R->cand))))
        return err_set(e, ERR_NOMEM, "out of memory");
    R->rcap = rcap;
    memcpy(R->buf + R->have, ck->buf, used);
    memset(R->buf + R->have + used, 0, FEED_PAD);
    for (size_t i = 0; i < ck->n; i++) {
        if (ck->rec[i].blank) continue;
        R->rec[R->n] = ck->rec[i];
        R->rec[R->n].start += (uint32_t)R->have;
        R->cand[R->n++] = ck->cand[i];
    }
    R->have += used;
    return ERR_OK;
}

/* The run's order into S->perm[0..n). */
static int run_order(sorter_t *S, err_t *e)
{
    const feed_job_t *j = S->j;
    feed_chunk_t *R = &S->run;
    size_t n = R->n, nb = 0, nk = 0, nu = 0;
    if (grow((void **)&S->perm, &S->pcap, n, sizeof *S->perm) || grow((void **)&S->tmp, &S->tcap, n, sizeof *S->tmp) ||
        grow((void **)&S->unk, &S->ucap, n, sizeof *S->unk))
        return err_set(e, ERR_NOMEM, "out of memory sorting");
    uint32_t nusers = j->users.n, *count = S->count;
    memset(count, 0, ((size_t)nusers + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        const feed_rec_t *r = &R->rec[i];
        if (r->bad) S->perm[nb++] = (uint32_t)i;
        else if (r->viewer != FEED_NONE) count[j->rank[r->viewer] + 1]++;
        else S->unk[nu++] = (named_t){R->buf + r->start + r->f.vo, r->f.vl, (uint32_t)i};
    }
    for (uint32_t u = 0; u < nusers; u++) count[u + 1] += count[u];
    for (size_t i = 0; i < n; i++) {
        const feed_rec_t *r = &R->rec[i];
        if (!r->bad && r->viewer != FEED_NONE) S->tmp[count[j->rank[r->viewer]]++] = (uint32_t)i, nk++;
    }
    qsort(S->unk, nu, sizeof *S->unk, named_cmp);
    for (size_t a = 0, b = 0, o = nb; a < nk || b < nu;) {
        const feed_rec_t *r = a < nk ? &R->rec[S->tmp[a]] : NULL;
        int known = b == nu || (r && bytes_cmp(R->buf + r->start + r->f.vo, r->f.vl, S->unk[b].s, S->unk[b].len) < 0);
        S->perm[o++] = known ? S->tmp[a++] : S->unk[b++].id;
    }
    return ERR_OK;
}

static int spill_open(const sorter_t *S, int *fd, err_t *e)
{
    *fd = -1;
#ifdef O_TMPFILE
    *fd = open(S->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (*fd < 0) {   /* a file system without O_TMPFILE: a name, removed at once */
        char p[4400];
        snprintf(p, sizeof p, "%s/%s.tmp.%ld.sortXXXXXX", S->dir, S->base, (long)getpid());
        if ((*fd = mkstemp(p)) >= 0) unlink(p);
    }
    if (*fd < 0) return err_set(e, ERR_IO, "cannot create a spill file for the sort in %s: %s", S->dir, strerror(errno));
    return ERR_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The ordered run into a new spill file; the run is emptied. */
static int spill_run(sorter_t *S, err_t *e)
{
    feed_chunk_t *R = &S->run;
    if (S->ns == MAX_RUNS)
        return err_set(e, ERR_USAGE, "the sort needs more than %d runs of --sort-memory %llu bytes: give it more",
                       MAX_RUNS, (unsigned long long)S->j->s.sort_memory);
    int rc = run_order(S, e), fd;
    if (rc || (rc = spill_open(S, &fd, e))) return rc;
    S->sp[S->ns++] = (spill_t){.fd = fd};
    for (size_t k = 0; k < R->n && !rc; k++) {
        const feed_rec_t *r = &R->rec[S->perm[k]];
        spill_hdr_t h = {*r, R->cand[S->perm[k]]};
        io_buf_put(&S->wb, &h, sizeof h);
        io_buf_put(&S->wb, R->buf + r->start, r->len);
        if (S->wb.oom) rc = err_set(e, ERR_NOMEM, "out of memory");
        else if ((S->wb.n >= ((size_t)1 << 20) || k + 1 == R->n) && write_all(fd, S->wb.p, S->wb.n))
            rc = err_set(e, ERR_IO, "cannot write a spill file of the sort in %s: %s", S->dir,
                         strerror(errno ? errno : EIO));
        else if (S->wb.n >= ((size_t)1 << 20)) S->wb.n = 0;
    }
    S->wb.n = 0;
    R->n = R->have = 0;
    return rc;
}

/* At least need bytes at s->buf + s->lo unless the file ends first. */
static int refill(spill_t *s, size_t need, err_t *e)
{
    if (s->hi - s->lo >= need) return ERR_OK;
    memmove(s->buf, s->buf + s->lo, s->hi - s->lo);
    s->hi -= s->lo;
    s->lo = 0;
    if (need > s->cap) {
        char *b = realloc(s->buf, need);
        if (!b) return err_set(e, ERR_NOMEM, "out of memory");
        s->buf = b;
        s->cap = need;
    }
    while (s->hi < need) {
        ssize_t got = read(s->fd, s->buf + s->hi, s->cap - s->hi);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return err_set(e, ERR_IO, "reading a spill file of the sort back: %s", strerror(errno));
        if (got == 0) break;
        s->hi += (size_t)got;
    }
    return ERR_OK;
}

/* The next record of a spill file; *done at its end. */
static int spill_next(spill_t *s, int *done, err_t *e)
{
    const size_t hdr = sizeof(spill_hdr_t);
    spill_hdr_t h;
    s->lo += s->cur;
    s->cur = 0;
    int rc = refill(s, hdr, e);
    *done = !rc && s->hi == s->lo;
    if (rc || *done) return rc;
    if (s->hi - s->lo < hdr) return err_set(e, ERR_IO, "reading a spill file of the sort back: short");
    memcpy(&h, s->buf + s->lo, hdr);
    s->r = h.r;
    s->c = h.c;
    if (s->r.len > FEED_MAX_LINE) return err_set(e, ERR_IO, "reading a spill file of the sort back: damaged");
    if ((rc = refill(s, hdr + s->r.len, e))) return rc;
    if (s->hi - s->lo < hdr + s->r.len) return err_set(e, ERR_IO, "reading a spill file of the sort back: short");
    s->line = s->buf + s->lo + hdr;
    s->cur = hdr + s->r.len;
    s->r.start = 0;
    return ERR_OK;
}

static int spill_less(const feed_job_t *j, const spill_t *a, const spill_t *b)
{
    return key_cmp(j, &a->r, a->line, a->c.order, &b->r, b->line, b->c.order) < 0;
}

static void sift(const feed_job_t *j, spill_t *sp, uint32_t *h, size_t m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        if (l < m && spill_less(j, &sp[h[l]], &sp[h[best]])) best = l;
        if (l + 1 < m && spill_less(j, &sp[h[l + 1]], &sp[h[best]])) best = l + 1;
        if (best == i) return;
        uint32_t t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

/* Append the record of spill s to the chunk (grown for it when empty). */
static int put_rec(feed_chunk_t *ck, const spill_t *s, err_t *e)
{
    size_t rcap = ck->rcap;
    if (grow((void **)&ck->rec, &rcap, ck->n + 1, sizeof *ck->rec) ||
        (rcap > ck->rcap && !(ck->cand = realloc(ck->cand, rcap * sizeof *ck->cand))))
        return err_set(e, ERR_NOMEM, "out of memory");
    ck->rcap = rcap;
    memcpy(ck->buf + ck->have, s->line, s->r.len);
    ck->buf[ck->have + s->r.len] = '\n';
    ck->rec[ck->n] = s->r;
    ck->rec[ck->n].start = (uint32_t)ck->have;
    ck->cand[ck->n++] = s->c;
    ck->have += s->r.len + 1;
    return ERR_OK;
}

/* Pass 2: the spill files merged into ck, ranked a chunk at a time; the
 * last viewer of a chunk waits for the next (as in the streaming path). */
static int merge(sorter_t *S, feed_chunk_t *ck, io_writer_t *out, err_t *e)
{
    feed_job_t *j = S->j;
    uint32_t h[MAX_RUNS];
    size_t m = 0, vbuf = ((size_t)j->s.sort_memory / 4) / S->ns;
    int rc = ERR_OK, done;
    vbuf = vbuf < (64 << 10) ? (64 << 10) : vbuf > (1 << 20) ? (1 << 20) : vbuf;
    for (size_t r = 0; r < S->ns && !rc; r++) {
        spill_t *s = &S->sp[r];
        if (lseek(s->fd, 0, SEEK_SET)) return err_set(e, ERR_IO, "reading a spill file of the sort back: %s", strerror(errno));
        if (!(s->buf = malloc(vbuf))) return err_set(e, ERR_NOMEM, "out of memory");
        s->cap = vbuf;
        if (!(rc = spill_next(s, &done, e)) && !done) h[m++] = (uint32_t)r;
    }
    for (size_t i = m; i-- > 0;) sift(j, S->sp, h, m, i);
    ck->have = ck->n = 0;
    while (!rc) {
        while (m && !rc) {
            spill_t *s = &S->sp[h[0]];
            if (ck->have + s->r.len + 1 > ck->cap) {
                if (ck->n) break;
                char *b = realloc(ck->buf, 2 * (ck->cap + s->r.len) + FEED_PAD);
                if (!b) return err_set(e, ERR_NOMEM, "out of memory");
                ck->buf = b;
                ck->cap = 2 * (ck->cap + s->r.len);
            }
            if ((rc = put_rec(ck, s, e)) || (rc = spill_next(s, &done, e))) break;
            if (done) h[0] = h[--m];
            sift(j, S->sp, h, m, 0);
        }
        if (rc) break;
        memset(ck->buf + ck->have, 0, FEED_PAD);
        size_t cut = m ? feed_last_run(ck) : ck->n;
        if (cut == 0 && m) {   /* one viewer fills the chunk */
            char *b = realloc(ck->buf, 2 * ck->cap + FEED_PAD);
            if (!b) return err_set(e, ERR_NOMEM, "out of memory for one viewer's candidates");
            ck->buf = b;
            ck->cap *= 2;
            continue;
        }
        size_t keep = cut < ck->n ? ck->rec[cut].start : ck->have;
        if ((rc = feed_group_chunk(j, ck, cut, e)) || (rc = feed_rank_chunk(j, ck, out, e))) break;
        memmove(ck->buf, ck->buf + keep, ck->have - keep);
        memmove(ck->rec, ck->rec + cut, (ck->n - cut) * sizeof *ck->rec);
        memmove(ck->cand, ck->cand + cut, (ck->n - cut) * sizeof *ck->cand);
        ck->have -= keep;
        ck->n -= cut;
        for (size_t i = 0; i < ck->n; i++) ck->rec[i].start -= (uint32_t)keep;
        if (!m && !ck->n) break;
    }
    return rc;
}

/* One run in memory: ordered, then grouped and ranked as one chunk. */
static int rank_in_memory(sorter_t *S, io_writer_t *out, err_t *e)
{
    feed_chunk_t *R = &S->run;
    int rc = run_order(S, e);
    if (rc || !R->n) return rc;
    feed_rec_t *rec = malloc(R->n * sizeof *rec);
    feed_cand_t *cand = malloc(R->n * sizeof *cand);
    if (!rec || !cand) {
        free(rec); free(cand);
        return err_set(e, ERR_NOMEM, "out of memory sorting");
    }
    for (size_t k = 0; k < R->n; k++) {
        rec[k] = R->rec[S->perm[k]];
        cand[k] = R->cand[S->perm[k]];
    }
    free(R->rec); free(R->cand);
    R->rec = rec;
    R->cand = cand;
    R->rcap = R->n;
    if ((rc = feed_group_chunk(S->j, R, R->n, e))) return rc;
    return feed_rank_chunk(S->j, R, out, e);
}

static void spill_dir(sorter_t *S, const char *out)
{
    const char *slash = strrchr(out, '/'), *tmp = getenv("TMPDIR");
    if (!strcmp(out, "-")) {
        snprintf(S->dir, sizeof S->dir, "%s", tmp && *tmp ? tmp : "/tmp");
        snprintf(S->base, sizeof S->base, "%s", FEED_SPILL_BASE);
    } else {
        snprintf(S->dir, sizeof S->dir, "%.*s", slash ? (int)(slash - out) + (slash == out) : 1, slash ? out : ".");
        snprintf(S->base, sizeof S->base, "%s", slash ? slash + 1 : out);
    }
}

int feed_sort_job(feed_job_t *j, feed_chunk_t *ck, int eof, io_writer_t *out, err_t *e)
{
    sorter_t S = {.j = j};
    uint64_t line0 = 0, budget = j->s.sort_memory;
    int rc = user_ranks(j, e);
    spill_dir(&S, j->s.out);
    if (!rc && (!(S.count = malloc(((size_t)j->users.n + 1) * sizeof *S.count)) ||
                !(S.sp = calloc(MAX_RUNS, sizeof *S.sp)) || io_buf_init(&S.wb, (size_t)1 << 21, e)))
        rc = err_set(e, ERR_NOMEM, "out of memory");
    if (ck->cap > budget / 4) ck->cap = ck->have > budget / 4 ? ck->have : budget / 4;   /* reads within the budget */
    while (!rc) {
        size_t used = 0;
        if ((rc = feed_read_more(j, ck, &eof, e)) ||
            (rc = feed_scan_chunk(j, ck, eof, line0, j->s.header, &used, e)))
            break;
        if (used == 0 && !eof) {   /* no whole line yet: read more of it */
            char *b = realloc(ck->buf, 2 * ck->cap + FEED_PAD);
            if (!b) { rc = err_set(e, ERR_NOMEM, "out of memory"); break; }
            ck->buf = b;
            ck->cap *= 2;
            continue;
        }
        if ((rc = run_append(&S.run, ck, used, e))) break;
        memmove(ck->buf, ck->buf + used, ck->have - used);
        ck->have -= used;
        line0 += ck->n;
        int last = eof && ck->have == 0;
        if ((S.run.have + S.run.n * REC_BYTES >= budget || (last && S.ns)) && (rc = spill_run(&S, e))) break;
        if (last) break;
    }
    j->r.sort_runs = (uint32_t)S.ns;
    if (!rc) rc = S.ns ? merge(&S, ck, out, e) : rank_in_memory(&S, out, e);
    for (size_t r = 0; r < S.ns; r++) {
        close(S.sp[r].fd);
        free(S.sp[r].buf);
    }
    free(S.sp); free(S.perm); free(S.tmp); free(S.unk); free(S.count);
    io_buf_destroy(&S.wb);
    feed_chunk_free(&S.run);
    return rc;
}
