/* sort.c - rank-feed's path for candidates that are not grouped by viewer
 * (job.h): a bounded-memory external sort by viewer, stable, so the output
 * is the job's output on the file as `LC_ALL=C sort -s` on the viewer
 * column would group it: viewers in byte order of their ids, each viewer's
 * candidates in file order.
 *
 * Pass 1 reads the input in chunks that are parsed and scored as in the
 * streaming path (chunk.c), but for the tie term, which the merge adds. Each line becomes a compact record (feed_srec_t:
 * the score terms, time, author key, line number and sort key, then the
 * post's and author's ids, and the viewer's only when the store does not
 * know it; a malformed line keeps its bytes, for rank.c to report it),
 * encoded in parallel into a run of about sort_memory bytes. The sort key
 * puts malformed lines first (so they are reported in file order), then
 * viewers in byte order of their ids: a known viewer's is its byte-order
 * rank among the store's users, an unknown one's the place its id would
 * take among them (those sharing a place compare by bytes). A full run is
 * ordered (an LSD radix sort on the key, stable) and written to a spill
 * file. Pass 2 (merge.c) merges the spilled runs and the last run, which
 * stays in memory, k-way (a heap), decoding each record into a line of a chunk
 * (viewer, post and author ids: all rank.c reads) that rank.c groups and
 * ranks as in the streaming path. When everything fits in one run,
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
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed/sort.h"

/* Bytes a line costs in a run besides its record: key, offsets, order, scratch. */
#define IDX_BYTES (3 * sizeof(uint32_t) + 2 * sizeof(uint64_t))

typedef struct named { const char *s; uint32_t len, id; } named_t;

static int named_cmp(const void *pa, const void *pb)
{
    const named_t *a = pa, *b = pb;
    int c = feed_bytes_cmp(a->s, a->len, b->s, b->len);
    return c ? c : a->id < b->id ? -1 : a->id > b->id;   /* equal names: by position (stable) */
}

typedef struct sorter {
    feed_job_t *j;
    uint32_t *byrank;         /* [n_users] the users in byte order of their ids */
    feed_run_t run;
    uint32_t *line;           /* [lcap] the chunk line of each record being appended */
    named_t *unk;             /* [ucap] unknown viewers of one key, being ordered */
    size_t lcap, ucap;
    feed_src_t *sp;                /* [FEED_MAX_RUNS + 1] */
    size_t ns;                /* spilled runs */
    char dir[4096], base[256];
    char *wb;                 /* [nwb][FEED_SPILL_WRITE] aligned: each thread's spill writes go through its block */
    int nwb;
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

/* Each store user's place in byte order of the ids (j->rank, kept for a
 * rerun) and its inverse. */
static int user_ranks(sorter_t *S, err_t *e)
{
    feed_job_t *j = S->j;
    uint32_t n = j->users.n;
    if (!(S->byrank = malloc((n ? n : 1) * sizeof *S->byrank))) return err_set(e, ERR_NOMEM, "out of memory");
    if (!j->rank) {
        named_t *v = malloc((n ? n : 1) * sizeof *v);
        if (!v || !(j->rank = malloc((n ? n : 1) * sizeof *j->rank))) {
            free(v);
            return err_set(e, ERR_NOMEM, "out of memory");
        }
        for (uint32_t i = 0; i < n; i++) v[i] = (named_t){strmap_name(&j->users, i), strmap_len(&j->users, i), i};
        qsort(v, n, sizeof *v, named_cmp);
        for (uint32_t i = 0; i < n; i++) j->rank[v[i].id] = i;
        free(v);
    }
    for (uint32_t i = 0; i < n; i++) S->byrank[j->rank[i]] = i;
    return ERR_OK;
}

/* The sort key of a good line: 2 * rank + 2 for a known viewer; for an
 * unknown one 2 * (the known ids below it) + 1. 0 is the malformed lines'. */
static uint32_t viewer_key(const sorter_t *S, const feed_rec_t *r, const char *line)
{
    if (r->viewer != FEED_NONE) return 2 * S->j->rank[r->viewer] + 2;
    const strmap_t *u = &S->j->users;
    uint32_t lo = 0, hi = u->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, id = S->byrank[mid];
        if (feed_bytes_cmp(strmap_name(u, id), strmap_len(u, id), line + r->f.vo, r->f.vl) < 0) lo = mid + 1;
        else hi = mid;
    }
    return 2 * lo + 1;
}

/* Bytes of line i's record after FEED_SREC_SIZE (0: a blank line or another shard's: no record). */
static uint32_t rec_len(const feed_chunk_t *ck, size_t i)
{
    const feed_rec_t *r = &ck->rec[i];
    if (r->blank) return 0;
    if (r->bad) return r->len;
    return (r->viewer == FEED_NONE ? r->f.vl : 0) + r->f.pl + r->f.al;
}

static void encode(const sorter_t *S, const feed_chunk_t *ck, size_t i, char *d, uint32_t *key)
{
    const feed_rec_t *r = &ck->rec[i];
    const feed_cand_t *c = &ck->cand[i];
    const char *line = ck->buf + r->start;
    feed_srec_t h;
    memset(&h, 0, sizeof h);
    h.order = c->order;
    h.len = rec_len(ck, i);
    if (r->bad) {
        h.bits = FEED_SREC_BAD | (r->nul ? FEED_SREC_NUL : 0);
        memcpy(d + FEED_SREC_SIZE, line, r->len);
    } else {
        h.author_key = c->author_key;
        h.time = c->time;
        h.content = c->content;
        h.author = c->author;
        h.key = viewer_key(S, r, line);
        h.viewer = r->viewer;
        h.unknown_content = r->unknown_content;
        h.flags = (uint8_t)c->flags;
        h.bits = (uint8_t)(r->label ? FEED_SREC_LABEL : 0);
        h.vl = (uint16_t)(r->viewer == FEED_NONE ? r->f.vl : 0);
        h.pl = (uint16_t)r->f.pl;
        char *p = d + FEED_SREC_SIZE;
        memcpy(p, line + r->f.vo, h.vl);
        memcpy(p + h.vl, line + r->f.po, r->f.pl);
        memcpy(p + h.vl + r->f.pl, line + r->f.ao, r->f.al);
    }
    memcpy(d, &h, FEED_SREC_SIZE);
    *key = h.key;
}

/* Room for need records in the run's index arrays. */
static int run_fit(feed_run_t *R, size_t need)
{
    if (need <= R->cap) return 0;
    size_t c = R->cap ? R->cap : 1024;
    while (c < need) c *= 2;
    uint32_t *k = realloc(R->key, c * sizeof *k);
    if (k) R->key = k;
    uint32_t *p = realloc(R->perm, c * sizeof *p);
    if (p) R->perm = p;
    uint32_t *t = realloc(R->tmp, c * sizeof *t);
    if (t) R->tmp = t;
    uint64_t *o = realloc(R->off, c * sizeof *o);
    if (o) R->off = o;
    uint64_t *so = realloc(R->soff, c * sizeof *so);
    if (so) R->soff = so;
    if (!k || !p || !t || !o || !so) return -1;
    R->cap = c;
    return 0;
}

/* The chunk's lines (blank ones and other shards' left out) appended to
 * the run as records: their places in a sequential scan, the records
 * themselves in parallel. */
static int run_append(sorter_t *S, const feed_chunk_t *ck, err_t *e)
{
    feed_run_t *R = &S->run;
    size_t n = ck->n, first = R->n, need = R->n, acap = R->acap;
    uint64_t at = R->have;
    for (size_t i = 0; i < n; i++)
        if (!ck->rec[i].blank) need++, at += FEED_SREC_SIZE + rec_len(ck, i);
    if (grow((void **)&R->arena, &acap, at, 1) || run_fit(R, need) ||
        grow((void **)&S->line, &S->lcap, need - first + 1, sizeof *S->line))
        return err_set(e, ERR_NOMEM, "out of memory for a run of the sort");
    R->acap = acap;
    uint64_t o = R->have;
    for (size_t i = 0, x = first; i < n; i++)
        if (!ck->rec[i].blank) {
            R->off[x] = o;
            S->line[x++ - first] = (uint32_t)i;
            o += FEED_SREC_SIZE + rec_len(ck, i);
        }
    const uint32_t *line = S->line;
#pragma omp parallel for schedule(static)
    for (size_t x = first; x < need; x++) encode(S, ck, line[x - first], R->arena + R->off[x], &R->key[x]);
    R->have = at;
    R->n = need;
    return ERR_OK;
}

/* The run's order into R->perm[0..n): by key (an LSD radix sort of 16-bit
 * digits, stable: file order within a key), then the unknown viewers that
 * share a key by their bytes. */
static int run_order(sorter_t *S, err_t *e)
{
    feed_run_t *R = &S->run;
    size_t n = R->n;
    uint32_t maxk = 0, *a = R->perm, *b = R->tmp;
    for (size_t i = 0; i < n; i++) {
        a[i] = (uint32_t)i;
        if (R->key[i] > maxk) maxk = R->key[i];
    }
    for (int shift = 0; shift < 32 && (shift == 0 || maxk >> shift); shift += 16) {
        static const size_t B = 1 << 16;
        size_t *count = calloc(B + 1, sizeof *count);
        if (!count) return err_set(e, ERR_NOMEM, "out of memory sorting");
        for (size_t i = 0; i < n; i++) count[((R->key[a[i]] >> shift) & 0xffff) + 1]++;
        for (size_t d = 0; d < B; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) b[count[(R->key[a[i]] >> shift) & 0xffff]++] = a[i];
        free(count);
        uint32_t *t = a; a = b; b = t;
    }
    if (a != R->perm) memcpy(R->perm, a, n * sizeof *a);
    for (size_t i = 0; i < n;) {   /* unknown viewers with one key: by their bytes */
        size_t k = i + 1;
        uint32_t key = R->key[R->perm[i]];
        while (k < n && R->key[R->perm[k]] == key) k++;
        if ((key & 1) && k - i > 1) {
            if (grow((void **)&S->unk, &S->ucap, k - i, sizeof *S->unk)) return err_set(e, ERR_NOMEM, "out of memory sorting");
            for (size_t x = i; x < k; x++)
                S->unk[x - i] = (named_t){R->arena + R->off[R->perm[x]] + FEED_SREC_SIZE, 0, R->perm[x]};
            for (size_t x = i; x < k; x++) {
                feed_srec_t h;
                memcpy(&h, R->arena + R->off[R->perm[x]], FEED_SREC_SIZE);
                S->unk[x - i].len = h.vl;
            }
            qsort(S->unk, k - i, sizeof *S->unk, named_cmp);
            for (size_t x = i; x < k; x++) R->perm[x] = S->unk[x - i].id;
        }
        i = k;
    }
    /* the offsets in order: independent loads here, so the gathers that read
     * the records in order (spill, merge) do not wait on each other's misses */
    for (size_t k = 0; k < n; k++) R->soff[k] = R->off[R->perm[k]];
    return ERR_OK;
}

/* A spill file, O_DIRECT when the file system takes it (tmpfs does not:
 * then through the page cache as before). */
static int spill_open(const sorter_t *S, int *fd, err_t *e)
{
    *fd = -1;
#ifdef O_TMPFILE
    *fd = open(S->dir, O_TMPFILE | O_RDWR | O_CLOEXEC | O_DIRECT, 0600);
    if (*fd < 0) *fd = open(S->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (*fd < 0) {   /* a file system without O_TMPFILE: a name, removed at once */
        char p[4400];
        snprintf(p, sizeof p, "%s/%s.tmp.%ld.sortXXXXXX", S->dir, S->base, (long)getpid());
        if ((*fd = mkstemp(p)) >= 0) {
            unlink(p);
            int fl = fcntl(*fd, F_GETFL);
            if (fl >= 0) (void)fcntl(*fd, F_SETFL, fl | O_DIRECT);   /* refused: buffered */
        }
    }
    if (*fd < 0) return err_set(e, ERR_IO, "cannot create a spill file for the sort in %s: %s", S->dir, strerror(errno));
    return ERR_OK;
}

/* n bytes (a multiple of FEED_SPILL_ALIGN) from the aligned p at offset at.
 * A file that refuses an O_DIRECT write (EINVAL) goes on through the page
 * cache (the flag is the file's: another thread may have cleared it). */
static int pwrite_all(int fd, const char *p, size_t n, uint64_t at)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)at);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EINVAL) {
            int fl = fcntl(fd, F_GETFL);
            if (fl >= 0 && (fl & O_DIRECT) && fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0) continue;
        }
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
        at += (uint64_t)w;
    }
    return 0;
}

/* Block b of the run's records in order (bytes [b W, b W + W) of them, W =
 * FEED_SPILL_WRITE; zeros past their end up to the alignment) into d: from
 * the record it begins in (pos[k]: where the k-th starts, slen[k]: its
 * bytes), read where soff says. Returns the bytes to write. */
static size_t spill_block(const feed_run_t *R, const uint64_t *pos, const uint32_t *slen, uint64_t total, size_t b, char *d)
{
    const uint64_t s = (uint64_t)b * FEED_SPILL_WRITE, end = s + FEED_SPILL_WRITE < total ? s + FEED_SPILL_WRITE : total;
    size_t lo = 0, hi = R->n;   /* the last k with pos[k] <= s */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (pos[mid] <= s) lo = mid;
        else hi = mid;
    }
    uint64_t at = s;
    for (size_t k = lo; at < end; k++) {
        if (k + 16 < R->n) {   /* a gather in key order: fetch ahead */
            const char *q = R->arena + R->soff[k + 16];
            __builtin_prefetch(q);
            __builtin_prefetch(q + 64);
        }
        const uint64_t from = at - pos[k], to = pos[k] + slen[k] < end ? slen[k] : end - pos[k];
        memcpy(d + (at - s), R->arena + R->soff[k] + from, to - from);
        at += to - from;
    }
    size_t n = (size_t)(end - s), pad = (FEED_SPILL_ALIGN - n % FEED_SPILL_ALIGN) % FEED_SPILL_ALIGN;
    memset(d + n, 0, pad);   /* the end: the merge reads total bytes */
    return n + pad;
}

/* The run ordered into a new spill file; the run is emptied. The file is
 * made of blocks that the threads gather and write independently (each at
 * its offset), so one thread's gather runs while another's write waits on
 * the disk: written by one thread, the spills were a third of the job's wall
 * time (docs/feed.md). */
static int spill_run(sorter_t *S, err_t *e)
{
    feed_run_t *R = &S->run;
    if (S->ns == FEED_MAX_RUNS)
        return err_set(e, ERR_USAGE, "the sort needs more than %d runs of --sort-memory %llu bytes: give it more",
                       FEED_MAX_RUNS, (unsigned long long)S->j->s.sort_memory);
    int rc = run_order(S, e), fd;
    if (rc || (rc = spill_open(S, &fd, e))) return rc;
    feed_src_t *src = &S->sp[S->ns++];
    *src = (feed_src_t){.fd = fd};
    /* where each record lands in the file: its bytes are the distance to the
     * next one in file order (the arena is contiguous); R->off, not needed
     * once the run is ordered, takes the places, R->tmp the lengths */
    uint64_t *pos = R->off, total = 0;
    uint32_t *slen = R->tmp;
    for (size_t k = 0; k < R->n; k++) {
        const uint32_t i = R->perm[k];
        slen[k] = (uint32_t)((i + 1 < R->n ? R->off[i + 1] : R->have) - R->off[i]);
    }
    for (size_t k = 0; k < R->n; k++) pos[k] = total, total += slen[k];
    src->size = total;
    const size_t nb = (size_t)((total + FEED_SPILL_WRITE - 1) / FEED_SPILL_WRITE);
    int failed = 0, err = 0;
#pragma omp parallel for num_threads(S->nwb) schedule(dynamic, 1) reduction(| : failed)
    for (size_t b = 0; b < nb; b++) {
        if (failed) continue;
        char *d = S->wb + (size_t)omp_get_thread_num() * FEED_SPILL_WRITE;
        if (pwrite_all(fd, d, spill_block(R, pos, slen, total, b, d), (uint64_t)b * FEED_SPILL_WRITE)) {
            failed = 1;
#pragma omp atomic write
            err = errno ? errno : EIO;
        }
    }
    if (failed) rc = err_set(e, ERR_IO, "cannot write a spill file of the sort in %s: %s", S->dir, strerror(err));
    R->n = R->have = 0;
    return rc;
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
    int rc = user_ranks(&S, e);
    spill_dir(&S, j->s.out);
    S.nwb = omp_get_max_threads();
    if (!rc && (!(S.sp = calloc(FEED_MAX_RUNS + 1, sizeof *S.sp)) ||
                posix_memalign((void **)&S.wb, FEED_SPILL_ALIGN, (size_t)S.nwb * FEED_SPILL_WRITE)))
        rc = err_set(e, ERR_NOMEM, "out of memory");
    if (ck->cap > budget / 4) ck->cap = ck->have > budget / 4 ? ck->have : budget / 4;   /* reads within the budget */
    /* the tie term waits for the merge (merge.c), where a viewer's lines are
     * together and its row of ties stays in cache: here every line has
     * another viewer and the search in its row missed (docs/feed.md) */
    const graph_csr_t *ties = j->m.ties;
    j->m.ties = NULL;
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
        if ((rc = run_append(&S, ck, e))) break;
        memmove(ck->buf, ck->buf + used, ck->have - used);
        ck->have -= used;
        line0 += ck->n;
        int last = eof && ck->have == 0;
        if (last) break;
        if (S.run.have + S.run.n * IDX_BYTES >= budget && (rc = spill_run(&S, e))) break;
    }
    j->m.ties = ties;
    j->r.sort_runs = (uint32_t)S.ns;
    size_t nsrc = S.ns;
    if (!rc && !(rc = run_order(&S, e))) {   /* the last run stays in memory: one more source */
        S.sp[nsrc++] = (feed_src_t){.fd = -1};
        rc = feed_sort_merge(j, &S.run, S.sp, nsrc, S.ns, ck, out, e);
    }
    for (size_t r = 0; r < nsrc; r++) {
        if (S.sp[r].fd >= 0) close(S.sp[r].fd);
        free(S.sp[r].buf);
    }
    feed_run_t *R = &S.run;
    free(R->arena); free(R->key); free(R->perm); free(R->tmp); free(R->off); free(R->soff);
    free(S.sp); free(S.line); free(S.unk); free(S.byrank);
    free(S.wb);
    return rc;
}
