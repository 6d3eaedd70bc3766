/* cmd_rank_feed.c - `gnnrec rank-feed`: rank each viewer's social-feed
 * candidates with a saved model and write the top N per viewer
 * (docs/feed.md).
 *
 * Streaming: the candidates file must be grouped by viewer (one run of
 * consecutive lines per viewer; a viewer that comes back later is an input
 * error naming both lines). The file is read in chunks of whole lines; each
 * chunk is parsed, looked up and scored in parallel (OpenMP over lines), cut
 * into viewer groups, the groups ranked in parallel, and the output written
 * in input order. The last group of a chunk may continue in the next one, so
 * its lines are carried over; memory is therefore the chunk plus the largest
 * group, not the file. Ids are resolved through in-memory hash maps built
 * once from the store's id maps; embeddings are read zero-copy.
 *
 * Output goes to a temporary file beside --out, renamed over it only when the
 * job succeeds: a failed or killed job never leaves a partial FILE.
 * Assumes ids of at most STORE_MAX_ID_LEN bytes, lines of at most 1 MiB and
 * integer timestamps.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#include "base/clock.h"
#include "base/strmap.h"
#include "gnn/feed.h"
#include "gnn/saved.h"
#include "io/lines.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec rank-feed --config FILE | --store DIR --candidates FILE --out FILE [--KEY VALUE ...]\n"
    "\n"
    "Ranks each viewer's candidate posts with a saved model and writes the top N per viewer\n"
    "with the score and its terms. Keys (YAML config or --key value; the command line wins):\n"
    "  --store DIR            the store; --model NAME the saved model (default: the only one)\n"
    "  --candidates FILE      one candidate per line, grouped by viewer ('-' = stdin)\n"
    "  --columns LIST         its columns (viewer,post,author,content,time); `_` ignores one;\n"
    "                         content is a '|'-separated list of item ids, may be empty\n"
    "  --delim D              tab (default), comma or space (runs of blanks)\n"
    "  --header               skip the first line\n"
    "  --out FILE             output, replaced atomically at the end ('-' = stdout)\n"
    "  --format F             tsv (default): viewer rank post author score content author tie recency;\n"
    "                         jsonl: one object per viewer\n"
    "  --top N                posts per viewer (50)\n"
    "  --author-cap N         at most N posts of one author in the top N (3; 0 = no cap)\n"
    "  --weights.content X    weight of dot(viewer, post content) (1)\n"
    "  --weights.author X     weight of dot(viewer, author) (0.25)\n"
    "  --weights.tie X        weight of a social tie viewer-author (0.25)\n"
    "  --weights.recency X    weight of 2^(-age/half-life) (0.25)\n"
    "  --half-life S          in the time column's unit (86400)\n"
    "  --now T                age reference: an integer time, or auto (default: each viewer's newest post)\n"
    "  --labels FILE          `viewer post` engagements: NDCG@10 and AUC against reverse-chronological\n"
    "                         and author-popularity orders, to stdout (stderr when --out is -)\n"
    "  --json                 the evaluation as one JSON object\n"
    "  --max-bad-lines N      skip up to N malformed lines, reporting them (0: the first one fails)\n"
    "  --chunk-bytes N        read size (16 MiB); memory: a read + ~100 bytes a line\n"
    "  --threads N            threads (0 = all cores); --progress shows a progress line\n"
    "Exit codes: 0 ok, 2 bad usage or bad input (FILE:LINE: what is wrong), 1 other failure.\n";

static const cli_flag_t flags[] = {"header", "json", "progress", "help", NULL};
static const char *const known[] = {"config", "store", "model", "arch", "candidates", "columns", "delim", "header",
                                    "out", "format", "top", "author_cap", "weights.content", "weights.author",
                                    "weights.tie", "weights.recency", "half_life", "now", "labels", "json",
                                    "max_bad_lines", "chunk_bytes", "threads", "progress", "help", NULL};

#define MAX_LINE ((size_t)1 << 20)
#define PAD 64                     /* slack after the chunk buffer (split_char reads ahead) */
#define CHUNK ((size_t)16 << 20)
#define MAX_FIELDS 16
#define MAX_CONTENT 256
#define EVAL_K 10
#define EMB_COPY_MAX ((size_t)512 << 20)   /* larger models are read in place */
#define N_REPORT 5               /* names shown per kind of unknown id */

enum col { C_VIEWER, C_POST, C_AUTHOR, C_CONTENT, C_TIME, N_COL };
static const char *const col_names[N_COL] = {"viewer", "post", "author", "content", "time"};
enum method { M_GNNREC, M_RECENT, M_POPULAR, N_METHOD };
static const char *const method_names[N_METHOD] = {"gnnrec", "reverse_chronological", "author_popularity"};

/* One input line of the current chunk; offsets are from the line's start. */
typedef struct rec {
    uint32_t start, len;            /* in the chunk buffer */
    uint32_t vo, vl, po, pl, ao, al;/* viewer, post, author fields */
    uint32_t viewer;                /* dense user id or GNN_FEED_NONE */
    uint16_t unknown_content;       /* content ids the store does not know */
    uint8_t bad, blank, label;
    uint8_t nul;                    /* the chunk has a NUL byte: check each line */
} rec_t;

typedef struct job {
    const char *path;
    char delim;
    int header, col[N_COL], n_cols, fmt;
    uint32_t top, cap;
    gnn_feed_weights_t w;
    int64_t now;                    /* GNN_FEED_NO_TIME: each viewer's newest */
    uint64_t max_bad;
    size_t chunk;                   /* bytes read at a time */
    gnn_feed_index_t users, items;  /* the store's id maps */
    strmap_t labels;                /* "viewer\tpost" of each engagement */
    int have_labels;
    gnn_feed_model_t m;
    double *popularity;             /* [n_users] author-popularity baseline */
    float *emb_copy;                /* the embeddings on huge pages, or NULL */
    uint64_t *first_line;           /* [n_users] where each viewer's group began, 0 = not yet */
    strmap_t unk_viewers;           /* unknown viewers seen, for the grouping check */
    uint64_t *unk_first;            /* [unk_viewers.n] their first lines */
    size_t unk_cap;
    /* counts */
    uint64_t cands, groups, bad, unk_viewer_cands, unk_author_cands, unk_content, author_content,
        no_content, labels_loaded, labels_matched, rows;
    char unk_author_names[N_REPORT][64];
    int n_unk_author_names;
    /* evaluation sums over viewers */
    uint64_t eval_ndcg_n, eval_auc_n;
    double ndcg[N_METHOD], auc[N_METHOD];
} job_t;

/* Output of consecutive groups, formatted in parallel, written in order. */
typedef struct obuf { char *p; size_t n, cap; uint64_t rows; int oom; } obuf_t;
#define PUT_LIT(b, lit) put(b, lit, sizeof lit - 1)

/* The lines in flight. */
typedef struct chunk {
    char *buf;                      /* [cap] whole lines (plus an unread tail) */
    size_t cap, have;
    rec_t *rec;                     /* [rcap] */
    gnn_feed_cand_t *cand;          /* [rcap] */
    size_t n, rcap;
    uint32_t *gstart;               /* [ngroups + 1] group g = cand[gstart[g] .. gstart[g+1]) */
    size_t ng, gcap;
    double *gm;                     /* [ngroups x 2 x N_METHOD] per-viewer ndcg, auc (NaN = undefined) */
    obuf_t *parts;                  /* [nparts] output of consecutive groups */
    size_t nparts;
    struct batch **bt;              /* [nbt] per-thread parsing state, kept across chunks */
    int nbt;
} chunk_t;

/* ---- parsing ---------------------------------------------------------- */

static int set_columns(job_t *j, const char *spec, err_t *e)
{
    for (int c = 0; c < N_COL; c++) j->col[c] = -1;
    int n = 0;
    for (const char *p = spec;;) {
        const char *q = strchr(p, ',');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        int found = l == 1 && *p == '_';
        for (int c = 0; c < N_COL && !found; c++)
            if (strlen(col_names[c]) == l && !strncmp(p, col_names[c], l)) {
                if (j->col[c] >= 0) return err_set(e, ERR_USAGE, "--columns: '%s' named twice", col_names[c]);
                j->col[c] = n;
                found = 1;
            }
        if (!found)
            return err_set(e, ERR_USAGE,
                           "--columns: unknown column '%.*s' (expected viewer, post, author, content, time or _)",
                           (int)l, p);
        if (++n > MAX_FIELDS) return err_set(e, ERR_USAGE, "--columns: more than %d columns", MAX_FIELDS);
        if (!q) break;
        p = q + 1;
    }
    if (j->col[C_VIEWER] < 0 || j->col[C_POST] < 0 || j->col[C_AUTHOR] < 0)
        return err_set(e, ERR_USAGE, "--columns must name viewer, post and author (got '%s')", spec);
    j->n_cols = n;
    return ERR_OK;
}

/* Fields of s[0..len) separated by one character: offsets and lengths;
 * returns the number of fields (may exceed max). Little-endian machines look
 * at 8 bytes at a time, reading up to 7 bytes past len: the chunk buffer
 * has PAD bytes of slack for that. */
static int split_char(const char *s, uint32_t len, char delim, uint32_t *off, uint32_t *flen, int max)
{
    uint32_t start = 0;
    int n = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, low7 = 0x7f7f7f7f7f7f7f7fULL, pat = ones * (unsigned char)delim;
    for (uint32_t p = 0; p < len; p += 8) {
        uint64_t w;
        memcpy(&w, s + p, 8);
        w ^= pat;
        uint64_t m = ~(((w & low7) + low7) | w | low7);   /* 0x80 in each byte equal to delim */
        for (; m; m &= m - 1) {
            uint32_t at = p + (uint32_t)(__builtin_ctzll(m) >> 3);
            if (at >= len) break;
            if (n < max) { off[n] = start; flen[n] = at - start; }
            n++;
            start = at + 1;
        }
    }
#else
    for (uint32_t at = 0; at < len; at++)
        if (s[at] == delim) {
            if (n < max) { off[n] = start; flen[n] = at - start; }
            n++;
            start = at + 1;
        }
#endif
    if (n < max) { off[n] = start; flen[n] = len - start; }
    return n + 1;
}

/* Field boundaries of s[0..len), blanks around fields trimmed like
 * build-graph does; delim ' ' means runs of blanks. Returns the number of
 * fields (may exceed max). */
static int split(const char *s, uint32_t len, char delim, uint32_t *off, uint32_t *flen, int max)
{
    int n = 0;
    if (delim == ' ') {
        for (uint32_t p = 0;;) {
            while (p < len && (s[p] == ' ' || s[p] == '\t')) p++;
            if (p == len) return n;
            uint32_t q = p;
            while (q < len && s[q] != ' ' && s[q] != '\t') q++;
            if (n < max) { off[n] = p; flen[n] = q - p; }
            n++;
            p = q;
        }
    }
    n = split_char(s, len, delim, off, flen, max);
    for (int i = 0; i < n && i < max; i++) {
        uint32_t a = off[i], b = a + flen[i];
        while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
        off[i] = a;
        flen[i] = b - a;
    }
    return n;
}

/* A malformed line: ERR_INPUT, with "FILE:LINE: ..." in e unless e is NULL
 * (the parallel pass only needs to know; reporting parses the line again). */
__attribute__((format(printf, 4, 5)))
static int bad_line(err_t *e, const job_t *j, uint64_t line, const char *fmt, ...)
{
    if (!e) return ERR_INPUT;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_input(e, j->path, (long)line, "%s", msg);
}

static int check_id(const job_t *j, const char *what, const char *s, uint32_t l, uint64_t line, err_t *e)
{
    if (l == 0) return bad_line(e, j, line, "empty %s id", what);
    if (l > STORE_MAX_ID_LEN)
        return bad_line(e, j, line, "%s id longer than %d bytes: '%.40s...'", what, STORE_MAX_ID_LEN, s);
    return ERR_OK;
}

/* Integer timestamp; the empty field means "no time". */
static int parse_time(const job_t *j, const char *s, uint32_t l, uint64_t line, int64_t *t, err_t *e)
{
    if (l == 0) { *t = GNN_FEED_NO_TIME; return ERR_OK; }
    uint32_t i = s[0] == '-', ok = i < l && l - i <= 18;   /* 18 digits cannot overflow */
    int64_t v = 0;
    for (; ok && i < l; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (s[i] - '0');
    }
    if (!ok) return bad_line(e, j, line, "time: expected an integer timestamp, got '%.*s'", (int)(l > 40 ? 40 : l), s);
    *t = s[0] == '-' ? -v : v;
    return ERR_OK;
}

/* A field of a line: an id to resolve. */
typedef struct tok { const char *s; uint32_t len, id; uint64_t h; } tok_t;

/* Split and check one line (no lookups): fields into r, the time into *time,
 * the content ids (or the post, when there is no content column) into
 * tok[0..*ntok). e may be NULL: the parallel pass only needs to know that a
 * line is bad; the message is made again, in order, when it is reported. */
static int scan_line(const job_t *j, const char *s, uint32_t len, uint64_t line, rec_t *r, int64_t *time,
                     tok_t *tok, uint32_t *ntok, err_t *e)
{
    uint32_t off[MAX_FIELDS], fl[MAX_FIELDS], nc = 0;
    r->bad = 1;
    if (r->nul && memchr(s, '\0', len)) return bad_line(e, j, line, "binary data (NUL byte); expected a text file");
    int n = split(s, len, j->delim, off, fl, MAX_FIELDS);
    if (n < j->n_cols) return bad_line(e, j, line, "expected %d columns (--columns), got %d", j->n_cols, n);
    int cv = j->col[C_VIEWER], cp = j->col[C_POST], ca = j->col[C_AUTHOR], rc;
    r->vo = off[cv]; r->vl = fl[cv];
    r->po = off[cp]; r->pl = fl[cp];
    r->ao = off[ca]; r->al = fl[ca];
    if ((rc = check_id(j, "viewer", s + r->vo, r->vl, line, e)) ||
        (rc = check_id(j, "post", s + r->po, r->pl, line, e)) ||
        (rc = check_id(j, "author", s + r->ao, r->al, line, e)))
        return rc;
    *time = GNN_FEED_NO_TIME;
    if (j->col[C_TIME] >= 0 && (rc = parse_time(j, s + off[j->col[C_TIME]], fl[j->col[C_TIME]], line, time, e)))
        return rc;
    if (j->col[C_CONTENT] < 0) {   /* no content column: a post is an item (a share of it) */
        tok[nc++] = (tok_t){s + r->po, r->pl, 0, 0};
    } else {
        const char *p = s + off[j->col[C_CONTENT]];
        uint32_t to[MAX_CONTENT + 1], tl[MAX_CONTENT + 1];
        int k = fl[j->col[C_CONTENT]] ? split_char(p, fl[j->col[C_CONTENT]], '|', to, tl, MAX_CONTENT + 1) : 0;
        for (int i = 0; i < k; i++) {
            if (i > MAX_CONTENT || (tl[i] && nc == MAX_CONTENT))
                return bad_line(e, j, line, "more than %d content ids", MAX_CONTENT);
            if (tl[i]) tok[nc++] = (tok_t){p + to[i], tl[i], 0, 0};   /* "a||b": empty ones are skipped */
        }
    }
    *ntok = nc;
    r->bad = 0;
    return ERR_OK;
}

#define BATCH 32

/* Per-thread state of parse_range: one batch of lines in flight. */
typedef struct batch {
    tok_t tok[BATCH * (2 + MAX_CONTENT)];
    uint32_t first[BATCH + 1];     /* line b: tokens first[b] (viewer), +1 (author), +2.. (content) */
    uint8_t same_viewer[BATCH];    /* viewer string equal to the previous good line's */
    size_t line[BATCH];            /* chunk record of each batch line */
    uint32_t content[MAX_CONTENT];
} batch_t;

static void lookup(const gnn_feed_index_t *x, tok_t *t)
{
    t->id = gnn_feed_index_get(x, t->h, t->s, t->len);
}

static void prefetch_row(const float *row, uint32_t dim)
{
    for (uint32_t d = 0; d < dim; d += 16) __builtin_prefetch(row + d);
}

/* Score lines lo..hi of the chunk. Lines go through in batches, stage by
 * stage, so the cache misses of one stage (hash slots, names, embedding
 * rows) overlap across a batch instead of being paid one after another. */
static void parse_range(const job_t *j, chunk_t *ck, size_t lo, size_t hi, batch_t *bt)
{
    const char *pv = NULL;            /* the last good line's viewer */
    uint32_t pvl = 0, pvid = GNN_FEED_NONE, dim = j->m.dim;
    for (size_t i = lo; i < hi;) {
        uint32_t nb = 0, nt = 0;
        /* 1: split, check, hash, prefetch the slots */
        for (; i < hi && nb < BATCH; i++) {
            rec_t *r = &ck->rec[i];
            if (r->blank) continue;
            const char *s = ck->buf + r->start;
            uint32_t nc;
            if (scan_line(j, s, r->len, ck->cand[i].order, r, &ck->cand[i].time, bt->tok + nt + 2, &nc, NULL))
                continue;
            tok_t *t = bt->tok + nt;
            t[0] = (tok_t){s + r->vo, r->vl, 0, 0};
            t[1] = (tok_t){s + r->ao, r->al, 0, 0};
            bt->same_viewer[nb] = pv && pvl == r->vl && gnn_feed_same(pv, t[0].s, pvl);
            pv = t[0].s;
            pvl = r->vl;
            for (uint32_t k = bt->same_viewer[nb]; k < 2 + nc; k++) {
                t[k].h = gnn_feed_hash(t[k].s, t[k].len);
                gnn_feed_index_prefetch(k < 2 ? &j->users : &j->items, t[k].h);
            }
            bt->first[nb] = nt;
            bt->line[nb++] = i;
            nt += 2 + nc;
        }
        bt->first[nb] = nt;
        /* 2: resolve the ids, prefetch the embedding rows */
        for (uint32_t b = 0; b < nb; b++) {
            tok_t *t = bt->tok + bt->first[b];
            uint32_t n = bt->first[b + 1] - bt->first[b];
            if (bt->same_viewer[b]) t[0].id = pvid;
            else lookup(&j->users, &t[0]);
            pvid = t[0].id;
            lookup(&j->users, &t[1]);
            for (uint32_t k = 2; k < n; k++) lookup(&j->items, &t[k]);
            if (t[0].id == GNN_FEED_NONE) continue;
            for (uint32_t k = 1; k < n; k++)
                if (t[k].id != GNN_FEED_NONE)
                    prefetch_row(k == 1 ? j->m.users + (size_t)t[1].id * dim
                                        : j->m.content + (size_t)t[k].id * dim, dim);
        }
        /* 3: the terms */
        for (uint32_t b = 0; b < nb; b++) {
            tok_t *t = bt->tok + bt->first[b];
            uint32_t n = bt->first[b + 1] - bt->first[b], nc = 0;
            rec_t *r = &ck->rec[bt->line[b]];
            gnn_feed_cand_t *c = &ck->cand[bt->line[b]];
            uint16_t unknown = 0;
            for (uint32_t k = 2; k < n; k++) {
                if (t[k].id != GNN_FEED_NONE) bt->content[nc++] = t[k].id;
                else unknown++;
            }
            r->viewer = t[0].id;
            gnn_feed_terms(&j->m, t[0].id, t[1].id, bt->content, nc, c);
            /* unknown authors are still capped: key them by their name */
            c->author_key = t[1].id != GNN_FEED_NONE ? t[1].id : t[1].h | (1ULL << 63);
            r->unknown_content = j->col[C_CONTENT] >= 0 ? unknown : 0;
            r->label = 0;
            if (j->have_labels) {
                char key[2 * STORE_MAX_ID_LEN + 2];
                memcpy(key, t[0].s, r->vl);
                key[r->vl] = '\t';
                memcpy(key + r->vl + 1, ck->buf + r->start + r->po, r->pl);
                r->label = strmap_get(&j->labels, key, r->vl + 1 + r->pl) != STRMAP_NONE;
            }
        }
    }
}

/* ---- output ----------------------------------------------------------- */


static void put(obuf_t *b, const char *s, size_t l)
{
    if (b->n + l > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + l) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, l);
    b->n += l;
}

static void put_u64(obuf_t *b, uint64_t v)
{
    char t[24];
    int i = sizeof t;
    do { t[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    put(b, t + i, sizeof t - (size_t)i);
}

/* A number with 6 decimals, trailing zeros dropped: printf's %g costs more
 * than all the scoring when the output is large. */
static void put_num(obuf_t *b, double x)
{
    if (!(fabs(x) < 1e12)) {
        char t[40];
        int l = snprintf(t, sizeof t, "%.6g", x);
        put(b, t, (size_t)l);
        return;
    }
    int64_t v = llround(x * 1e6);
    if (v < 0) { PUT_LIT(b, "-"); v = -v; }
    put_u64(b, (uint64_t)(v / 1000000));
    int f = (int)(v % 1000000), d = 6;
    if (!f) return;
    while (f % 10 == 0) { f /= 10; d--; }
    char t[8];
    t[0] = '.';
    for (int i = d; i > 0; i--) { t[i] = (char)('0' + f % 10); f /= 10; }
    put(b, t, (size_t)d + 1);
}

static void put_json_str(obuf_t *b, const char *s, uint32_t l)
{
    PUT_LIT(b, "\"");
    for (uint32_t i = 0; i < l; i++) {
        unsigned char ch = (unsigned char)s[i];
        char t[8];
        if (ch == '"' || ch == '\\') { t[0] = '\\'; t[1] = (char)ch; put(b, t, 2); }
        else if (ch < 0x20) { snprintf(t, sizeof t, "\\u%04x", ch); put(b, t, 6); }
        else put(b, (const char *)&s[i], 1);
    }
    PUT_LIT(b, "\"");
}

/* ---- one chunk -------------------------------------------------------- */

/* Same viewer in two lines (known ids compare by id, unknown by name). */
static int same_viewer(const chunk_t *ck, const rec_t *a, const rec_t *b)
{
    if (a->viewer != b->viewer) return 0;
    if (a->viewer != STRMAP_NONE) return 1;
    return a->vl == b->vl && !memcmp(ck->buf + a->start + a->vo, ck->buf + b->start + b->vo, a->vl);
}

typedef struct scratch {
    uint32_t *idx, *top;
    double *key;
    uint8_t *label;
    size_t cap;
} scratch_t;

static int scratch_fit(scratch_t *s, size_t n, uint32_t top)
{
    if (n <= s->cap && s->top) return 0;
    size_t cap = n > s->cap ? n : s->cap;
    free(s->idx); free(s->top); free(s->key); free(s->label);
    s->idx = malloc(2 * cap * sizeof *s->idx);
    s->top = malloc((top ? top : 1) * sizeof *s->top);
    s->key = malloc(cap * sizeof *s->key);
    s->label = malloc(cap);
    s->cap = cap;
    return s->idx && s->top && s->key && s->label ? 0 : -1;
}

/* Rank group g: score, select the top, format the rows, evaluate. */
static int rank_group(const job_t *j, chunk_t *ck, size_t g, obuf_t *o, scratch_t *s)
{
    gnn_feed_cand_t *c = ck->cand + ck->gstart[g];
    const rec_t *r = ck->rec + ck->gstart[g];
    uint32_t n = ck->gstart[g + 1] - ck->gstart[g];
    if (scratch_fit(s, n, j->top)) return -1;
    int64_t now = j->now != GNN_FEED_NO_TIME ? j->now : gnn_feed_newest(c, n);
    gnn_feed_score(&j->w, now, c, n);
    uint32_t got = gnn_feed_top(c, n, j->top, j->cap, s->top, s->idx);
    const char *vs = ck->buf + r->start + r->vo;
    if (j->fmt == 1) { PUT_LIT(o, "{\"viewer\":"); put_json_str(o, vs, r->vl); PUT_LIT(o, ",\"posts\":["); }
    for (uint32_t k = 0; k < got; k++) {
        const gnn_feed_cand_t *x = &c[s->top[k]];
        const rec_t *y = &r[s->top[k]];
        const char *ls = ck->buf + y->start;
        double t[4] = {j->w.content * x->content, j->w.author * x->author, j->w.tie * x->tie,
                       j->w.recency * x->recency};
        if (j->fmt == 0) {
            put(o, vs, r->vl);
            PUT_LIT(o, "\t");
            put_u64(o, k + 1);
            PUT_LIT(o, "\t");
            put(o, ls + y->po, y->pl);
            PUT_LIT(o, "\t");
            put(o, ls + y->ao, y->al);
            PUT_LIT(o, "\t");
            put_num(o, x->score);
            for (int i = 0; i < 4; i++) { PUT_LIT(o, "\t"); put_num(o, t[i]); }
            PUT_LIT(o, "\n");
        } else {
            static const char *const keys[5] = {",\"score\":", ",\"terms\":{\"content\":", ",\"author\":",
                                                ",\"tie\":", ",\"recency\":"};
            if (k) PUT_LIT(o, ",");
            PUT_LIT(o, "{\"rank\":");
            put_u64(o, k + 1);
            PUT_LIT(o, ",\"post\":");
            put_json_str(o, ls + y->po, y->pl);
            PUT_LIT(o, ",\"author\":");
            put_json_str(o, ls + y->ao, y->al);
            for (int i = 0; i < 5; i++) {
                put(o, keys[i], strlen(keys[i]));
                put_num(o, i ? t[i - 1] : x->score);
            }
            PUT_LIT(o, "}}");
        }
    }
    if (j->fmt == 1) PUT_LIT(o, "]}\n");
    o->rows += got;
    if (!j->have_labels) return o->oom ? -1 : 0;
    double *gm = ck->gm + g * 2 * N_METHOD;
    for (uint32_t i = 0; i < n; i++) s->label[i] = r[i].label;
    for (int m = 0; m < N_METHOD; m++) {
        for (uint32_t i = 0; i < n; i++) {
            if (m == M_GNNREC) s->key[i] = c[i].score;
            else if (m == M_RECENT) s->key[i] = c[i].time == GNN_FEED_NO_TIME ? -INFINITY : (double)c[i].time;
            else s->key[i] = c[i].author_key >> 63 ? -1.0 : j->popularity[c[i].author_key];
        }
        gnn_feed_metrics(s->key, s->label, n, EVAL_K, s->idx, &gm[m], &gm[N_METHOD + m]);
    }
    return o->oom ? -1 : 0;
}

/* Remember an unknown viewer's group; 0 if new, else its first line. */
static int unknown_viewer_seen(job_t *j, const char *s, uint32_t l, uint64_t line, uint64_t *first, err_t *e)
{
    int added;
    uint32_t id = strmap_intern(&j->unk_viewers, s, l, &added);
    if (id == STRMAP_NONE) return err_set(e, ERR_NOMEM, "out of memory");
    if (!added) { *first = j->unk_first[id]; return ERR_OK; }
    if (id >= j->unk_cap) {
        size_t cap = j->unk_cap ? 2 * j->unk_cap : 1024;
        uint64_t *p = realloc(j->unk_first, cap * sizeof *p);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        j->unk_first = p;
        j->unk_cap = cap;
    }
    j->unk_first[id] = line;
    *first = 0;
    return ERR_OK;
}

/* Sequential pass over rec[0..cut): report bad lines, drop them and blank
 * lines (compacting rec/cand), cut the rest into viewer groups, check that
 * no viewer comes back, count unknowns. */
static int group_chunk(job_t *j, chunk_t *ck, size_t cut, err_t *e)
{
    size_t w = 0;
    ck->ng = 0;
    for (size_t i = 0; i < cut; i++) {
        rec_t *r = &ck->rec[i];
        if (r->blank) continue;
        uint64_t line = ck->cand[i].order;
        if (r->bad) {
            tok_t tok[MAX_CONTENT];
            uint32_t nt;
            int64_t time;
            int rc = scan_line(j, ck->buf + r->start, r->len, line, r, &time, tok, &nt, e);
            if (!rc) rc = err_set(e, ERR_INTERNAL, "%s:%llu: line parsed differently twice", j->path,
                                  (unsigned long long)line);
            if (++j->bad > j->max_bad) {
                if (j->max_bad) err_prefix(e, "more than %llu bad lines; ", (unsigned long long)j->max_bad);
                return rc;
            }
            if (j->bad <= 10) fprintf(stderr, "gnnrec rank-feed: skipped %s\n", e->msg);
            continue;
        }
        if (w == 0 || !same_viewer(ck, &ck->rec[w - 1], r)) {
            uint64_t first = 0;
            const char *vs = ck->buf + r->start + r->vo;
            if (r->viewer != STRMAP_NONE) {
                first = j->first_line[r->viewer];
                if (!first) j->first_line[r->viewer] = line;
            } else {
                int rc = unknown_viewer_seen(j, vs, r->vl, line, &first, e);
                if (rc) return rc;
            }
            if (first)
                return err_input(e, j->path, (long)line,
                                 "viewer '%.*s' already had its candidates at line %llu: the file must be grouped "
                                 "by viewer (sort -s -k1,1 groups it)",
                                 (int)r->vl, vs, (unsigned long long)first);
            if (ck->ng + 2 > ck->gcap) {
                size_t cap = ck->gcap ? 2 * ck->gcap : 4096;
                uint32_t *p = realloc(ck->gstart, cap * sizeof *p);
                double *q = realloc(ck->gm, cap * 2 * N_METHOD * sizeof *q);
                if (p) ck->gstart = p;
                if (q) ck->gm = q;
                if (!p || !q) return err_set(e, ERR_NOMEM, "out of memory");
                ck->gcap = cap;
            }
            ck->gstart[ck->ng++] = (uint32_t)w;
        }
        const gnn_feed_cand_t *c = &ck->cand[i];
        j->unk_viewer_cands += (c->flags & GNN_FEED_UNKNOWN_VIEWER) != 0;
        j->author_content += (c->flags & GNN_FEED_AUTHOR_CONTENT) != 0;
        j->no_content += (c->flags & GNN_FEED_NO_CONTENT) != 0;
        j->unk_content += r->unknown_content;
        j->labels_matched += r->label;
        if (c->flags & GNN_FEED_UNKNOWN_AUTHOR) {
            if (j->n_unk_author_names < N_REPORT)
                snprintf(j->unk_author_names[j->n_unk_author_names++], 64, "%.*s", (int)(r->al > 60 ? 60 : r->al),
                         ck->buf + r->start + r->ao);
            j->unk_author_cands++;
        }
        if (w != i) {
            ck->rec[w] = *r;
            ck->cand[w] = *c;
        }
        w++;
    }
    if (ck->ng) ck->gstart[ck->ng] = (uint32_t)w;
    j->cands += w;
    j->groups += ck->ng;
    return ERR_OK;
}

/* Rank the groups in parallel, in parts of consecutive groups of about equal
 * size, and write the parts in order. */
static int rank_chunk(job_t *j, chunk_t *ck, FILE *out, err_t *e)
{
    if (!ck->ng) return ERR_OK;
    size_t want = (size_t)omp_get_max_threads() * 4, total = ck->gstart[ck->ng];
    if (want > ck->ng) want = ck->ng;
    if (want > ck->nparts) {
        obuf_t *p = realloc(ck->parts, want * sizeof *p);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        memset(p + ck->nparts, 0, (want - ck->nparts) * sizeof *p);
        ck->parts = p;
        ck->nparts = want;
    }
    size_t pstart[want + 1];
    pstart[0] = 0;
    for (size_t p = 1, g = 0; p <= want; p++) {
        size_t goal = total * p / want;
        while (g < ck->ng && (ck->gstart[g] < goal || g < pstart[p - 1] + 1)) g++;
        pstart[p] = p == want ? ck->ng : g;
    }
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        scratch_t s = {0};
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < want; p++) {
            ck->parts[p].n = 0;
            ck->parts[p].rows = 0;
            for (size_t g = pstart[p]; g < pstart[p + 1] && !failed; g++)
                if (rank_group(j, ck, g, &ck->parts[p], &s)) failed = 1;
        }
        free(s.idx); free(s.top); free(s.key); free(s.label);
    }
    if (failed) return err_set(e, ERR_NOMEM, "out of memory ranking");
    for (size_t p = 0; p < want; p++) j->rows += ck->parts[p].rows;
    for (size_t p = 0; p < want; p++)
        if (ck->parts[p].n && fwrite(ck->parts[p].p, 1, ck->parts[p].n, out) != ck->parts[p].n)
            return err_set(e, ERR_IO, "cannot write the output: %s", strerror(errno));
    if (j->have_labels)   /* summed in viewer order: the same result for any thread count */
        for (size_t g = 0; g < ck->ng; g++) {
            const double *gm = ck->gm + g * 2 * N_METHOD;
            if (!isnan(gm[0])) {
                j->eval_ndcg_n++;
                for (int m = 0; m < N_METHOD; m++) j->ndcg[m] += gm[m];
            }
            if (!isnan(gm[N_METHOD])) {
                j->eval_auc_n++;
                for (int m = 0; m < N_METHOD; m++) j->auc[m] += gm[N_METHOD + m];
            }
        }
    return ERR_OK;
}

/* ---- the stream ------------------------------------------------------- */

/* Records for the lines of buf[lo..hi) (whole lines), numbered from rec
 * index i; 0, or the index of the first line longer than MAX_LINE + 1. */
static size_t fill_lines(chunk_t *ck, size_t lo, size_t hi, size_t i)
{
    uint8_t nul = memchr(ck->buf + lo, '\0', hi - lo) != NULL;   /* one scan instead of one per line */
    while (lo < hi) {
        const char *nl = memchr(ck->buf + lo, '\n', hi - lo);
        size_t end = nl ? (size_t)(nl - ck->buf) : hi, len = end - lo;
        if (len > MAX_LINE) return i + 1;
        if (len && ck->buf[end - 1] == '\r') len--;
        size_t b = 0;
        while (b < len && (ck->buf[lo + b] == ' ' || ck->buf[lo + b] == '\t')) b++;
        rec_t *r = &ck->rec[i];
        r->start = (uint32_t)lo;
        r->len = (uint32_t)len;
        r->blank = b == len;
        r->bad = 0;
        r->nul = nul;
        i++;
        lo = end + 1;
    }
    return 0;
}

static size_t count_lines(const char *s, size_t n)
{
    size_t c = 0;
    for (const char *p = s, *end = s + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) c++;
    return c;
}

/* Cut buf[0..have) into line records and parse them, in parallel: the
 * bytes are cut into pieces that start after a newline (several per thread,
 * handed out dynamically, so a thread the OS pauses does not hold up the
 * others); each piece's lines are counted, then filled in and parsed at the
 * piece's offset in the record array. The last line counts only at end of
 * file or when it ends with '\n'; *used = the bytes of the lines taken. */
static int scan_chunk(const job_t *j, chunk_t *ck, int eof, uint64_t line0, int header, size_t *used, err_t *e)
{
    size_t whole = ck->have;
    if (!eof) {
        while (whole && ck->buf[whole - 1] != '\n') whole--;
        if (ck->have - whole > MAX_LINE)
            return err_input(e, j->path, (long)(line0 + count_lines(ck->buf, whole) + 1), "line longer than %zu bytes",
                             MAX_LINE);
    }
    *used = whole;
    int nt = omp_get_max_threads();
    if (ck->nbt < nt) {
        batch_t **b = realloc(ck->bt, (size_t)nt * sizeof *b);
        if (!b) return err_set(e, ERR_NOMEM, "out of memory");
        ck->bt = b;
        for (; ck->nbt < nt; ck->nbt++)
            if (!(ck->bt[ck->nbt] = malloc(sizeof **b))) return err_set(e, ERR_NOMEM, "out of memory");
    }
    size_t np = (size_t)nt * 8;
    size_t *bound = malloc((np + 1) * sizeof *bound), *first = malloc((np + 1) * sizeof *first),
           *too_long = calloc(np, sizeof *too_long);
    int failed = !bound || !first || !too_long;
    if (!failed) {
        bound[0] = 0;
        for (size_t p = 1; p <= np; p++) {   /* piece p begins after a newline */
            size_t at = whole * p / np;
            const char *nl = at && at < whole ? memchr(ck->buf + at - 1, '\n', whole - at + 1) : NULL;
            at = p == np ? whole : nl ? (size_t)(nl - ck->buf) + 1 : whole;
            bound[p] = at < bound[p - 1] ? bound[p - 1] : at;
        }
    }
#pragma omp parallel num_threads(nt) reduction(| : failed) if (!failed)
    {
        batch_t *bt = failed ? NULL : ck->bt[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < np; p++) {
            if (!bt) continue;
            first[p + 1] = count_lines(ck->buf + bound[p], bound[p + 1] - bound[p]);
            if (p == np - 1 && whole && ck->buf[whole - 1] != '\n') first[p + 1]++;   /* no final '\n' */
        }
#pragma omp single
        {
            first[0] = 0;
            for (size_t p = 0; p < np; p++) first[p + 1] += first[p];
            ck->n = first[np];
            if (ck->n > ck->rcap) {
                rec_t *r = realloc(ck->rec, ck->n * sizeof *r);
                if (r) ck->rec = r;
                gnn_feed_cand_t *cd = realloc(ck->cand, ck->n * sizeof *cd);
                if (cd) ck->cand = cd;
                if (r && cd) ck->rcap = ck->n;
                else failed = 1;
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < np; p++) {
            if (!bt || ck->rcap < ck->n) continue;
            too_long[p] = fill_lines(ck, bound[p], bound[p + 1], first[p]);
            for (size_t i = first[p]; i < first[p + 1]; i++) ck->cand[i].order = line0 + i + 1;
            if (header && line0 == 0 && p == 0 && first[1] > 0) ck->rec[0].blank = 1;
            if (!too_long[p]) parse_range(j, ck, first[p], first[p + 1], bt);
        }
    }
    int rc = failed ? err_set(e, ERR_NOMEM, "out of memory") : ERR_OK;
    for (size_t p = 0; p < np && !rc; p++)
        if (too_long[p])
            rc = err_input(e, j->path, (long)(line0 + too_long[p]), "line longer than %zu bytes", MAX_LINE);
    free(bound); free(first); free(too_long);
    return rc;
}

/* Where the last viewer's run starts: it may go on in the next chunk. */
static size_t last_run(const chunk_t *ck)
{
    size_t last = ck->n, cut = ck->n;
    for (size_t i = ck->n; i-- > 0;) {
        const rec_t *r = &ck->rec[i];
        if (r->blank || r->bad) continue;
        if (last == ck->n) last = i;
        else if (!same_viewer(ck, r, &ck->rec[last])) break;
        cut = i;
    }
    return cut;
}

static void chunk_free(chunk_t *ck)
{
    free(ck->buf); free(ck->rec); free(ck->cand); free(ck->gstart); free(ck->gm);
    for (size_t p = 0; p < ck->nparts; p++) free(ck->parts[p].p);
    free(ck->parts);
    for (int t = 0; t < ck->nbt; t++) free(ck->bt[t]);
    free(ck->bt);
}

static int run(job_t *j, FILE *in, uint64_t in_size, FILE *out, int progress, err_t *e)
{
    chunk_t ck = {0};
    progress_t pg;
    int rc = ERR_OK, eof = 0, header = j->header;   /* skip line 1 */
    uint64_t line0 = 0, consumed = 0;
    ck.cap = j->chunk;
    if (!(ck.buf = calloc(1, ck.cap + PAD))) return err_set(e, ERR_NOMEM, "out of memory");
    progress_init(&pg, "rank-feed", in_size, progress ? 1 : 0);
    while (!rc) {
        if (!eof && ck.have < ck.cap) {
            size_t got = fread(ck.buf + ck.have, 1, ck.cap - ck.have, in);
            if (got < ck.cap - ck.have) {
                if (ferror(in)) { rc = err_input(e, j->path, 0, "read error: %s", strerror(errno)); break; }
                eof = 1;
            }
            ck.have += got;
        }
        size_t used = 0;
        if ((rc = scan_chunk(j, &ck, eof, line0, header, &used, e))) break;
        size_t cut = eof ? ck.n : last_run(&ck);
        if (cut == 0 && !eof) {   /* one viewer fills the buffer: make room for the rest of it */
            char *b = realloc(ck.buf, 2 * ck.cap + PAD);
            if (!b) { rc = err_set(e, ERR_NOMEM, "out of memory for one viewer's candidates"); break; }
            memset(b + ck.cap + PAD, 0, ck.cap);
            ck.buf = b;
            ck.cap *= 2;
            continue;
        }
        if ((rc = group_chunk(j, &ck, cut, e)) || (rc = rank_chunk(j, &ck, out, e))) break;
        size_t keep = cut < ck.n ? ck.rec[cut].start : used;
        memmove(ck.buf, ck.buf + keep, ck.have - keep);
        ck.have -= keep;
        consumed += keep;
        line0 += cut;
        progress_update(&pg, consumed);
        if (eof && ck.have == 0) break;
    }
    progress_done(&pg);
    chunk_free(&ck);
    return rc;
}

/* ---- setup ------------------------------------------------------------ */

static int load_labels(job_t *j, const char *path, err_t *e)
{
    io_lines_t in;
    char *line, *f[2], key[2 * STORE_MAX_ID_LEN + 2];
    size_t len, fl[2];
    int rc;
    if (strmap_init(&j->labels)) return err_set(e, ERR_NOMEM, "out of memory");
    j->have_labels = 1;
    if ((rc = io_lines_open(&in, path, 1 << 16, e))) return rc;
    while (!(rc = io_lines_next(&in, &line, &len, e)) && line) {
        int n = io_split_fields(line, ' ', f, fl, 2);
        if (n == 0) continue;
        if (n < 2) { rc = err_input(e, path, in.line, "expected `viewer post`, got one field"); break; }
        if (fl[0] > STORE_MAX_ID_LEN || fl[1] > STORE_MAX_ID_LEN) {
            rc = err_input(e, path, in.line, "id longer than %d bytes", STORE_MAX_ID_LEN);
            break;
        }
        memcpy(key, f[0], fl[0]);
        key[fl[0]] = '\t';
        memcpy(key + fl[0] + 1, f[1], fl[1]);
        int added;
        if (strmap_intern(&j->labels, key, fl[0] + 1 + fl[1], &added) == STRMAP_NONE) {
            rc = err_set(e, ERR_NOMEM, "out of memory reading %s", path);
            break;
        }
        j->labels_loaded += (uint64_t)added;
    }
    io_lines_close(&in);
    return rc;
}

/* The author-popularity baseline: social degree (followers), ties broken by
 * the number of training interactions. */
static int load_popularity(job_t *j, store_txn_t *t, err_t *e)
{
    store_edge_list_t tr = {0};
    int rc = store_edges_load(t, STORE_TRAIN, 0, &tr, e);
    if (rc) return rc;
    uint32_t nu = j->m.n_users;
    double *act = calloc(nu ? nu : 1, sizeof *act);
    j->popularity = calloc(nu ? nu : 1, sizeof *j->popularity);
    if (!act || !j->popularity) {
        free(act);
        store_edge_list_destroy(&tr);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    double top = 0;
    for (uint64_t i = 0; i < tr.n; i++)
        if (tr.a[i] < nu && ++act[tr.a[i]] > top) top = act[tr.a[i]];
    for (uint32_t u = 0; u < nu; u++)
        j->popularity[u] = (j->m.tie_off ? (double)(j->m.tie_off[u + 1] - j->m.tie_off[u]) : 0.0) + act[u] / (top + 1);
    free(act);
    store_edge_list_destroy(&tr);
    return ERR_OK;
}

static int load_model(job_t *j, store_txn_t *t, const char *given, int want_popularity, err_t *e)
{
    char name[256];
    gnn_saved_meta_t meta;
    const float *emb;
    store_edge_list_t so = {0};
    int rc;
    if ((rc = cli_pick_model(t, given, name, sizeof name, e)) || (rc = gnn_saved_embeddings(t, name, &meta, &emb, e)))
        return rc;
    strmap_t ids[2];
    for (int k = 0; k < 2; k++) {
        if (strmap_init(&ids[k])) return err_set(e, ERR_NOMEM, "out of memory");
        rc = store_id_load(t, k ? STORE_ITEM : STORE_USER, &ids[k], e);
        if (!rc) rc = gnn_feed_index_build(k ? &j->items : &j->users, &ids[k], e);
        strmap_destroy(&ids[k]);
        if (rc) return rc;
    }
    /* Content rows are the items; when models save entity rows after the
     * items, entity ids resolve to n_items + entity and n_content grows. */
    /* A private copy on huge pages: scoring reads rows at random, and with
     * 4 KiB pages of the store's map most reads also miss the TLB. */
    size_t floats = ((size_t)meta.n_users + meta.n_items) * meta.dim;
    float *copy = floats * sizeof *copy <= EMB_COPY_MAX ? gnn_feed_alloc_hot(floats * sizeof *copy) : NULL;
    if (copy) {
        memcpy(copy, emb, floats * sizeof *copy);
        j->emb_copy = copy;
        emb = copy;
    }
    j->m.users = emb;
    j->m.content = emb + (size_t)meta.n_users * meta.dim;
    j->m.n_users = meta.n_users;
    j->m.n_content = meta.n_items;
    j->m.dim = meta.dim;
    if ((rc = store_edges_load(t, STORE_SOCIAL, 0, &so, e))) return rc;
    uint64_t *off = NULL;
    uint32_t *nbr = NULL;
    if (so.n && (rc = gnn_feed_ties_build(so.a, so.b, so.n, meta.n_users, &off, &nbr, e))) {
        store_edge_list_destroy(&so);
        return rc;
    }
    store_edge_list_destroy(&so);
    j->m.tie_off = off;
    j->m.tie_nbr = nbr;
    if (!(j->first_line = calloc(meta.n_users ? meta.n_users : 1, sizeof *j->first_line)))
        return err_set(e, ERR_NOMEM, "out of memory");
    return want_popularity ? load_popularity(j, t, e) : ERR_OK;
}

/* A temporary file beside path, with the permissions a new file gets. */
static int open_tmp(const char *path, char *tmp, size_t n, FILE **f, err_t *e)
{
    if ((size_t)snprintf(tmp, n, "%s.tmp.XXXXXX", path) >= n) return err_set(e, ERR_USAGE, "--out: path too long");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int bad = errno == ENOENT || errno == ENOTDIR || errno == EACCES;
        return err_set(e, bad ? ERR_USAGE : ERR_IO, "--out %s: cannot create %s: %s", path, tmp, strerror(errno));
    }
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0666 & ~um) || !(*f = fdopen(fd, "w"))) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return err_set(e, ERR_IO, "--out %s: %s", path, strerror(err));
    }
    return ERR_OK;
}

static void report(const job_t *j, const char *out, double secs)
{
    fprintf(stderr, "gnnrec rank-feed: %llu candidates of %llu viewers ranked in %.2f s "
            "(%.2fM candidates/s, %d threads); "
            "%llu rows to %s\n", (unsigned long long)j->cands, (unsigned long long)j->groups, secs,
            secs > 0 ? (double)j->cands / secs / 1e6 : 0.0, omp_get_max_threads(), (unsigned long long)j->rows,
            strcmp(out, "-") ? out : "stdout");
    if (j->unk_viewers.n) {
        fprintf(stderr, "gnnrec rank-feed: %u unknown viewers (%llu candidates, ranked by recency only):",
                j->unk_viewers.n, (unsigned long long)j->unk_viewer_cands);
        for (uint32_t i = 0; i < j->unk_viewers.n && i < N_REPORT; i++)
            fprintf(stderr, " %s", strmap_name(&j->unk_viewers, i));
        fprintf(stderr, "%s\n", j->unk_viewers.n > N_REPORT ? " ..." : "");
    }
    if (j->unk_author_cands) {
        fprintf(stderr, "gnnrec rank-feed: %llu candidates by unknown authors (no author or tie term):",
                (unsigned long long)j->unk_author_cands);
        for (int i = 0; i < j->n_unk_author_names; i++) fprintf(stderr, " %s", j->unk_author_names[i]);
        fprintf(stderr, "%s\n", j->unk_author_cands > N_REPORT ? " ..." : "");
    }
    if (j->unk_content || j->author_content || j->no_content)
        fprintf(stderr, "gnnrec rank-feed: %llu content ids not in the store; %llu posts without known content "
                "scored by their author's embedding, %llu with no content term\n", (unsigned long long)j->unk_content,
                (unsigned long long)j->author_content, (unsigned long long)j->no_content);
    if (j->bad) fprintf(stderr, "gnnrec rank-feed: skipped %llu bad lines\n", (unsigned long long)j->bad);
}

static void report_eval(const job_t *j, FILE *f, int json)
{
    double nn = j->eval_ndcg_n ? (double)j->eval_ndcg_n : 1, na = j->eval_auc_n ? (double)j->eval_auc_n : 1;
    if (json) {
        fprintf(f, "{\"labels\":%llu,\"labels_matched\":%llu,\"viewers_ndcg\":%llu,\"viewers_auc\":%llu",
                (unsigned long long)j->labels_loaded, (unsigned long long)j->labels_matched,
                (unsigned long long)j->eval_ndcg_n, (unsigned long long)j->eval_auc_n);
        for (int m = 0; m < N_METHOD; m++)
            fprintf(f, ",\"%s\":{\"ndcg@%d\":%.6f,\"auc\":%.6f}", method_names[m], EVAL_K, j->ndcg[m] / nn,
                    j->auc[m] / na);
        fputs("}\n", f);
        return;
    }
    fprintf(f, "labels: %llu engagements, %llu found among the candidates\n", (unsigned long long)j->labels_loaded,
            (unsigned long long)j->labels_matched);
    fprintf(f, "viewers: %llu with an engaged candidate (NDCG), %llu also with a non-engaged one (AUC)\n",
            (unsigned long long)j->eval_ndcg_n, (unsigned long long)j->eval_auc_n);
    fprintf(f, "%-24s %9s %9s\n", "method", "ndcg@10", "auc");
    for (int m = 0; m < N_METHOD; m++)
        fprintf(f, "%-24s %9.4f %9.4f\n", method_names[m], j->ndcg[m] / nn, j->auc[m] / na);
}

static int get_settings(cli_opts_t *o, job_t *j, const char **labels, int *json, err_t *e)
{
    static const char *const formats[] = {"tsv", "jsonl", NULL};
    static const char *const delims[] = {"tab", "comma", "space", NULL};
    const char *columns, *now;
    int rc, d;
    uint32_t top, cap;
    uint64_t max_bad, chunk;
    gnn_feed_weights_default(&j->w);
    float hl = (float)j->w.half_life;
    if ((rc = cli_get_str(o, "columns", "viewer,post,author,content,time", &columns, e)) ||
        (rc = set_columns(j, columns, e)) || (rc = cli_get_choice(o, "delim", delims, 0, &d, e)) ||
        (rc = cli_get_bool(o, "header", 0, &j->header, e)) ||
        (rc = cli_get_choice(o, "format", formats, 0, &j->fmt, e)) ||
        (rc = cli_get_u32(o, "top", 50, 1, 1000000, &top, e)) ||
        (rc = cli_get_u32(o, "author_cap", 3, 0, 1000000, &cap, e)) ||
        (rc = cli_get_float(o, "weights.content", j->w.content, -1e6, 1e6, &j->w.content, e)) ||
        (rc = cli_get_float(o, "weights.author", j->w.author, -1e6, 1e6, &j->w.author, e)) ||
        (rc = cli_get_float(o, "weights.tie", j->w.tie, -1e6, 1e6, &j->w.tie, e)) ||
        (rc = cli_get_float(o, "weights.recency", j->w.recency, -1e6, 1e6, &j->w.recency, e)) ||
        (rc = cli_get_float(o, "half_life", hl, 1e-6, 1e18, &hl, e)) ||
        (rc = cli_get_str(o, "now", "auto", &now, e)) || (rc = cli_get_str(o, "labels", NULL, labels, e)) ||
        (rc = cli_get_bool(o, "json", 0, json, e)) ||
        (rc = cli_get_u64(o, "max_bad_lines", 0, 0, UINT64_MAX - 1, &max_bad, e)) ||
        (rc = cli_get_u64(o, "chunk_bytes", CHUNK, 4096, (uint64_t)1 << 32, &chunk, e)))
        return rc;
    j->chunk = (size_t)chunk;
    j->delim = "\t, "[d];
    j->top = top;
    j->cap = cap;
    j->max_bad = max_bad;
    j->w.half_life = hl;
    j->now = GNN_FEED_NO_TIME;
    if (strcmp(now, "auto")) {
        char *end;
        errno = 0;
        long long v = strtoll(now, &end, 10);
        if (end == now || *end || errno || v == GNN_FEED_NO_TIME)
            return cli_error(o, "now", e, "expected an integer time or auto, got \"%s\"", now);
        j->now = v;
    }
    return ERR_OK;
}

/* The saved model: --model NAME, or a job config's `model: NAME` (which
 * cli.h files under "arch"; rank-feed has no architecture to pick). */
static int pick_model_name(cli_opts_t *o, const char **given, err_t *e)
{
    const char *yaml_model;
    int rc;
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->v[i].key, "arch") && !o->v[i].file)
            return cli_error(o, "arch", e, "rank-feed takes no architecture; name the saved model with --model");
    if ((rc = cli_get_str(o, "model", NULL, given, e)) || (rc = cli_get_str(o, "arch", NULL, &yaml_model, e)))
        return rc;
    if (!*given) *given = yaml_model;
    return ERR_OK;
}

int cli_cmd_rank_feed(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    job_t j;
    store_t s;
    store_txn_t t = {0};
    FILE *in = NULL, *out = NULL;
    char tmp[4096] = "";
    const char *dir, *given, *cands, *out_path, *labels;
    int rc, help = 0, opened = 0, json = 0, progress = 0;
    uint32_t threads;
    memset(&j, 0, sizeof j);
    cli_opts_init(&o);
    if (strmap_init(&j.unk_viewers)) return cli_fail("rank-feed", &(err_t){ERR_NOMEM, "out of memory"});
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "store", &dir, &e)) || (rc = pick_model_name(&o, &given, &e)) ||
        (rc = cli_need_str(&o, "candidates", &cands, &e)) || (rc = cli_need_str(&o, "out", &out_path, &e)) ||
        (rc = get_settings(&o, &j, &labels, &json, &e)) ||
        (rc = cli_get_u32(&o, "threads", 0, 0, 1024, &threads, &e)) ||
        (rc = cli_get_bool(&o, "progress", 0, &progress, &e)))
        goto out;
    cli_set_threads((int)threads);
    double t0 = clock_now();
    j.path = strcmp(cands, "-") ? cands : "stdin";
    struct stat st = {0};
    if (strcmp(cands, "-")) {
        if (stat(cands, &st) || S_ISDIR(st.st_mode) || !(in = fopen(cands, "rb"))) {
            rc = err_input(&e, cands, 0, "cannot open: %s", S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
            goto out;
        }
    } else {
        in = stdin;
    }
    if ((rc = store_open(&s, dir, STORE_RDONLY, &e))) goto out;
    opened = 1;
    if ((rc = store_read_begin(&s, &t, &e)) || (rc = load_model(&j, &t, given, labels != NULL, &e)) ||
        (labels && (rc = load_labels(&j, labels, &e))))
        goto out;
    if (!strcmp(out_path, "-")) out = stdout;
    else if ((rc = open_tmp(out_path, tmp, sizeof tmp, &out, &e))) goto out;
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    double t1 = clock_now();
    if ((rc = run(&j, in, (uint64_t)st.st_size, out, progress, &e))) goto out;
    if (fflush(out) || ferror(out) || (out != stdout && fsync(fileno(out)))) {
        rc = err_set(&e, ERR_IO, "cannot write %s: %s", out_path, strerror(errno));
        goto out;
    }
    if (out != stdout) {
        int c = fclose(out);
        out = NULL;
        if (c || rename(tmp, out_path)) {
            rc = err_set(&e, ERR_IO, "cannot write %s: %s", out_path, strerror(errno));
            goto out;
        }
        tmp[0] = '\0';
    }
    double t2 = clock_now();
    report(&j, out_path, t2 - t1);
    fprintf(stderr, "gnnrec rank-feed: %.2f s in all (store and maps %.2f s)\n", t2 - t0, t1 - t0);
    if (labels) report_eval(&j, strcmp(out_path, "-") ? stdout : stderr, json);
out:
    if (out && out != stdout) fclose(out);
    if (tmp[0]) unlink(tmp);
    if (in && in != stdin) fclose(in);
    gnn_feed_index_destroy(&j.users);
    gnn_feed_index_destroy(&j.items);
    strmap_destroy(&j.unk_viewers);
    if (j.have_labels) strmap_destroy(&j.labels);
    free((void *)j.m.tie_off); free((void *)j.m.tie_nbr);
    free(j.popularity); free(j.first_line); free(j.unk_first); free(j.emb_copy);
    if (t.txn) store_read_end(&t);
    if (opened) store_close(&s);
    cli_opts_destroy(&o);
    return rc ? cli_fail("rank-feed", &e) : 0;
}
