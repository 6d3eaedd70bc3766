/* ingest.c - see ingest.h. */
#include "io/ingest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "io/lines.h"

#define MAX_FIELDS 64

void io_spec_default(io_spec_t *s)
{
    memset(s, 0, sizeof *s);
    s->format = IO_FORMAT_EDGES;
    s->col[IO_COL_USER] = 0;
    s->col[IO_COL_ITEM] = 1;
    s->col[IO_COL_RATING] = -1;
    s->col[IO_COL_TIME] = -1;
    s->n_named = 2;
    s->progress = -1;
}

int io_spec_set_columns(io_spec_t *s, const char *columns, err_t *e)
{
    static const char *names[IO_N_COL] = {"user", "item", "rating", "time"};
    int col[IO_N_COL] = {-1, -1, -1, -1}, n = 0;
    const char *p = columns;
    while (*p) {
        const char *q = strchr(p, ',');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        int known = 0;
        for (int c = 0; c < IO_N_COL; c++)
            if (strlen(names[c]) == l && !strncmp(p, names[c], l)) {
                if (col[c] >= 0) return err_set(e, ERR_USAGE, "--columns: '%s' named twice", names[c]);
                col[c] = n;
                known = 1;
            }
        if (!known && !(l == 1 && *p == '_'))
            return err_set(e, ERR_USAGE, "--columns: unknown column '%.*s' (expected user, item, rating, time or _)",
                           (int)l, p);
        if (++n > MAX_FIELDS) return err_set(e, ERR_USAGE, "--columns: too many columns");
        if (!q) break;
        p = q + 1;
    }
    if (col[IO_COL_USER] < 0 || col[IO_COL_ITEM] < 0)
        return err_set(e, ERR_USAGE, "--columns must name user and item (got '%s')", columns);
    memcpy(s->col, col, sizeof col);
    s->n_named = n;
    return ERR_OK;
}

int io_spec_set_delim(io_spec_t *s, const char *name, err_t *e)
{
    if (!strcmp(name, "tab")) s->delim = '\t';
    else if (!strcmp(name, "comma")) s->delim = ',';
    else if (!strcmp(name, "space")) s->delim = ' ';
    else if (!strcmp(name, "auto")) s->delim = 0;
    else return err_set(e, ERR_USAGE, "--delim: expected tab, comma, space or auto, got '%s'", name);
    return ERR_OK;
}

void io_rows_init(io_rows_t *rows) { io_rows_init_cols(rows, IO_ROWS_ALL); }

void io_rows_init_cols(io_rows_t *rows, unsigned cols)
{
    memset(rows, 0, sizeof *rows);
    /* an attribute needs its line: it says which of two rows is first */
    if (cols & (IO_ROWS_RATING | IO_ROWS_TIME)) cols |= IO_ROWS_LINE;
    rows->cols = cols & IO_ROWS_ALL;
}

void io_rows_destroy(io_rows_t *rows)
{
    free(rows->a); free(rows->b); free(rows->r);
    free(rows->rating); free(rows->time); free(rows->line);
    memset(rows, 0, sizeof *rows);
}

unsigned io_spec_row_cols(const io_spec_t *s)
{
    if (s->format == IO_FORMAT_ADJ) return 0;
    return (s->col[IO_COL_RATING] >= 0 ? IO_ROWS_RATING | IO_ROWS_LINE : 0) |
           (s->col[IO_COL_TIME] >= 0 ? IO_ROWS_TIME | IO_ROWS_LINE : 0);
}

int io_rows_reserve(io_rows_t *rows, uint64_t cap, err_t *e)
{
    if (cap <= rows->cap) return ERR_OK;
    if (cap > SIZE_MAX / sizeof(int64_t)) goto nomem;
    void *p;
    /* large blocks are mmapped: realloc moves them with mremap (no copy,
     * no second resident copy) and untouched capacity costs no RSS */
#define GROW(f) do { p = realloc(rows->f, cap * sizeof *rows->f); if (!p) goto nomem; rows->f = p; } while (0)
    GROW(a); GROW(b);
    if (rows->cols & IO_ROWS_R) GROW(r);
    if (rows->cols & IO_ROWS_RATING) GROW(rating);
    if (rows->cols & IO_ROWS_TIME) GROW(time);
    if (rows->cols & IO_ROWS_LINE) GROW(line);
#undef GROW
    rows->cap = cap;
    return ERR_OK;
nomem:
    return err_set(e, ERR_NOMEM, "out of memory after %llu rows", (unsigned long long)rows->n);
}

int io_rows_push(io_rows_t *rows, uint32_t a, uint32_t b, uint32_t r, float rating,
                 int64_t time, uint32_t line, err_t *e)
{
    if (rows->n == rows->cap && io_rows_reserve(rows, rows->cap ? rows->cap * 2 : 4096, e)) return ERR_NOMEM;
    uint64_t i = rows->n++;
    rows->a[i] = a; rows->b[i] = b;
    if (rows->r) rows->r[i] = r;
    if (rows->rating) rows->rating[i] = rating;
    if (rows->time) rows->time[i] = time;
    if (rows->line) rows->line[i] = line;
    return ERR_OK;
}

/* Before rows fill up: room for the rest of the file at the rate of rows
 * per byte seen so far, plus 1/16 and 4096 rows of slack. Only a size
 * hint: io_rows_push still grows the arrays when the estimate falls short,
 * so an estimate can never cut the input. */
static int reserve_estimate(io_rows_t *rows, uint64_t n0, const io_lines_t *in, err_t *e)
{
    if (rows->n < rows->cap) return ERR_OK;
    uint64_t seen = rows->n - n0, want = rows->cap ? rows->cap * 2 : 4096;
    if (in->offset > 0 && in->size > in->offset && seen > 0) {
        double per_byte = (double)seen / (double)in->offset;
        double rest = per_byte * (double)(in->size - in->offset);
        uint64_t est = rows->n + (uint64_t)(rest + rest / 16) + 4096;
        if (est > rows->n) want = est;
    }
    return io_rows_reserve(rows, want, e);
}

static uint32_t line_no(const io_lines_t *in)
{
    return in->line > (long)UINT32_MAX ? UINT32_MAX : (uint32_t)in->line;
}

int io_check_id(const char *what, const char *s, size_t len, const char *path, long line, err_t *e)
{
    if (len == 0) return err_input(e, path, line, "empty %s id", what);
    if (len > IO_MAX_ID_LEN)
        return err_input(e, path, line, "%s id longer than %d bytes", what, IO_MAX_ID_LEN);
    /* a TAB or newline inside an id (possible in a comma-delimited file)
     * would break every tab-separated output; other control bytes would
     * reach terminals raw */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return err_input(e, path, line, "%s id contains a control byte (0x%02x at byte %zu)", what, c, i + 1);
    }
    return ERR_OK;
}

static int check_id(const char *what, const char *s, size_t len, const io_lines_t *in, err_t *e)
{
    return io_check_id(what, s, len, in->path, in->line, e);
}

/* Intern one id field, rejecting what cannot be an id. */
static int intern(strmap_t *m, const char *what, const char *s, size_t len, const io_lines_t *in,
                  uint32_t *id, err_t *e)
{
    int rc = check_id(what, s, len, in, e);
    if (rc) return rc;
    *id = strmap_intern(m, s, len, NULL);
    if (*id == STRMAP_NONE)
        return err_set(e, ERR_NOMEM, "%s:%ld: out of memory (or more than 2^32-1 %s ids)", in->path, in->line, what);
    return ERR_OK;
}

static int parse_float(const char *s, const io_lines_t *in, const char *what, float *out, err_t *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) || fabs(v) > 3.0e38)
        return err_input(e, in->path, in->line, "%s: expected a finite number, got '%s'", what, s);
    *out = (float)v;
    return ERR_OK;
}

static int parse_time(const char *s, const io_lines_t *in, int64_t *out, err_t *e)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v == IO_NO_TIME)
        return err_input(e, in->path, in->line, "time: expected an integer timestamp, got '%s'", s);
    *out = v;
    return ERR_OK;
}

static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return *s == '\0';
}

/* Guess the delimiter from the first data line: tab, then comma, else blanks. */
static char detect_delim(const char *line)
{
    if (strchr(line, '\t')) return '\t';
    if (strchr(line, ',')) return ',';
    return ' ';
}

static int read_adj(io_lines_t *in, int header, strmap_t *users, strmap_t *items, io_rows_t *out,
                    progress_t *pg, io_read_stats_t *st, err_t *e)
{
    char *line;
    size_t len;
    int rc;
    uint64_t n0 = out->n;
    while (!(rc = io_lines_next(in, &line, &len, e)) && line) {
        st->lines++;
        if (!(st->lines & 1023)) progress_update(pg, in->offset);
        if (header && st->lines == 1) continue;
        /* tokens in batches: an adj line can hold thousands of items, and
         * hashing a batch and prefetching its slots first lets the table's
         * cache misses overlap instead of coming one per item */
        enum { BATCH = 32 };
        const char *tok[BATCH];
        size_t tl[BATCH];
        uint64_t th[BATCH];
        const char *p = line;
        uint32_t user = 0;
        int first = 1;
        for (;;) {
            int nt = 0;
            while (nt < BATCH) {
                while (*p == ' ' || *p == '\t') p++;
                if (!*p) break;
                const char *q = p;
                while (*q && *q != ' ' && *q != '\t') q++;
                tok[nt] = p;
                tl[nt++] = (size_t)(q - p);
                p = q;
            }
            if (nt == 0) break;
            int k = 0;
            if (first) {
                if ((rc = intern(users, "user", tok[0], tl[0], in, &user, e))) return rc;
                first = 0;
                k = 1;
            }
            for (int x = k; x < nt; x++) {
                if ((rc = check_id("item", tok[x], tl[x], in, e))) return rc;
                th[x] = strmap_hash(tok[x], tl[x]);
                strmap_prefetch(items, th[x]);
            }
            for (int x = k; x < nt; x++) {
                uint32_t id = strmap_intern_hashed(items, th[x], tok[x], tl[x], NULL);
                if (id == STRMAP_NONE)
                    return err_set(e, ERR_NOMEM, "%s:%ld: out of memory (or more than 2^32-1 item ids)", in->path, in->line);
                if ((rc = reserve_estimate(out, n0, in, e)) ||
                    (rc = io_rows_push(out, user, id, 0, NAN, IO_NO_TIME, line_no(in), e)))
                    return rc;
                st->rows++;
            }
        }
    }
    return rc;
}

int io_read_interactions(const char *path, const io_spec_t *spec, strmap_t *users,
                         strmap_t *items, io_rows_t *out, io_read_stats_t *st, err_t *e)
{
    io_lines_t in;
    memset(st, 0, sizeof *st);
    int adj = spec->format == IO_FORMAT_ADJ;
    int rc = io_lines_open(&in, path, adj ? IO_MAX_ADJ_LINE : IO_MAX_LINE, e);
    if (rc) return rc;
    uint64_t n0 = out->n;
    /* the progress line counts bytes: the file size is the one total known
     * before the end */
    progress_t pg;
    char what[512];
    snprintf(what, sizeof what, "reading %.480s, bytes", path);
    progress_init(&pg, what, in.size, in.size ? spec->progress : -1);
    if (adj) {
        rc = read_adj(&in, spec->header, users, items, out, &pg, st, e);
        goto done;
    }
    char delim = spec->delim;
    int expect = -1;     /* column count of the first data row */
    char *line;
    size_t len;
    char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    const int *col = spec->col;
    while (!(rc = io_lines_next(&in, &line, &len, e)) && line) {
        st->lines++;
        if (!(st->lines & 1023)) progress_update(&pg, in.offset);
        if (spec->header && st->lines == 1) continue;
        if (blank(line)) continue;
        if (!delim) delim = detect_delim(line);
        int n = io_split_fields(line, delim, f, fl, MAX_FIELDS);
        if (n > MAX_FIELDS) { rc = err_input(e, path, in.line, "more than %d columns (an adj file? use --format adj)", MAX_FIELDS); break; }
        if (n < spec->n_named) {
            rc = err_input(e, path, in.line, "expected %d columns (%s), found %d", spec->n_named,
                           spec->n_named == 2 ? "user, item" : "as named by --columns", n);
            break;
        }
        if (expect < 0) expect = n;
        if (n != expect) {
            rc = err_input(e, path, in.line, "expected %d columns like the first row, found %d", expect, n);
            break;
        }
        float rating = NAN;
        int64_t time = IO_NO_TIME;
        if (col[IO_COL_RATING] >= 0 &&
            (rc = parse_float(f[col[IO_COL_RATING]], &in, "rating", &rating, e))) break;
        if (col[IO_COL_TIME] >= 0 && (rc = parse_time(f[col[IO_COL_TIME]], &in, &time, e))) break;
        if (spec->has_min_rating && rating < spec->min_rating) {
            /* dropped, but a malformed id is still an error */
            if ((rc = check_id("user", f[col[IO_COL_USER]], fl[col[IO_COL_USER]], &in, e)) ||
                (rc = check_id("item", f[col[IO_COL_ITEM]], fl[col[IO_COL_ITEM]], &in, e)))
                break;
            st->below_min_rating++;
            continue;
        }
        uint32_t u, i;
        if ((rc = intern(users, "user", f[col[IO_COL_USER]], fl[col[IO_COL_USER]], &in, &u, e)) ||
            (rc = intern(items, "item", f[col[IO_COL_ITEM]], fl[col[IO_COL_ITEM]], &in, &i, e)) ||
            (rc = reserve_estimate(out, n0, &in, e)) ||
            (rc = io_rows_push(out, u, i, 0, rating, time, line_no(&in), e)))
            break;
        st->rows++;
    }
done:
    if (!rc) progress_update(&pg, in.size);   /* the last line shows the whole file's rate */
    progress_done(&pg);
    if (!rc && out->n == n0) {
        rc = st->below_min_rating
                 ? err_input(e, path, 0, "no interactions left: all %llu rows are below --min-rating %g",
                             (unsigned long long)st->below_min_rating, spec->min_rating)
                 : err_input(e, path, 0, "empty file: no interactions");
    }
    io_lines_close(&in);
    return rc;
}

/* Shared reader of the small whitespace/comma/tab files: social and kg. */
static int read_tuples(const char *path, int min_cols, int max_cols, io_lines_t *in,
                       int (*row)(char **f, size_t *fl, int n, io_lines_t *in, void *ctx, err_t *e),
                       void *ctx, io_read_stats_t *st, err_t *e)
{
    memset(st, 0, sizeof *st);
    int rc = io_lines_open(in, path, IO_MAX_LINE, e);
    if (rc) return rc;
    char delim = 0;
    char *line;
    size_t len;
    char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    while (!(rc = io_lines_next(in, &line, &len, e)) && line) {
        st->lines++;
        if (blank(line)) continue;
        if (!delim) delim = detect_delim(line);
        int n = io_split_fields(line, delim, f, fl, MAX_FIELDS);
        if (n < min_cols || n > max_cols) {
            rc = min_cols == max_cols
                     ? err_input(e, path, in->line, "expected %d columns, found %d", min_cols, n)
                     : err_input(e, path, in->line, "expected %d or %d columns, found %d", min_cols, max_cols, n);
            break;
        }
        if ((rc = row(f, fl, n, in, ctx, e))) break;
        st->rows++;
    }
    if (!rc && st->rows == 0) rc = err_input(e, path, 0, "empty file: no rows");
    io_lines_close(in);
    return rc;
}

struct social_ctx { strmap_t *users; io_rows_t *out; };

static int social_row(char **f, size_t *fl, int n, io_lines_t *in, void *vctx, err_t *e)
{
    struct social_ctx *c = vctx;
    uint32_t u, v;
    float w = NAN;
    int rc;
    if ((rc = intern(c->users, "user", f[0], fl[0], in, &u, e)) ||
        (rc = intern(c->users, "user", f[1], fl[1], in, &v, e)))
        return rc;
    if (n == 3 && (rc = parse_float(f[2], in, "weight", &w, e))) return rc;
    return io_rows_push(c->out, u, v, 0, w, IO_NO_TIME, line_no(in), e);
}

int io_read_social(const char *path, strmap_t *users, io_rows_t *out, io_read_stats_t *st,
                   err_t *e)
{
    io_lines_t in;
    struct social_ctx c = {users, out};
    return read_tuples(path, 2, 3, &in, social_row, &c, st, e);
}

struct kg_ctx { strmap_t *ent, *rel; io_rows_t *out; };

static int kg_row(char **f, size_t *fl, int n, io_lines_t *in, void *vctx, err_t *e)
{
    (void)n;
    struct kg_ctx *c = vctx;
    uint32_t h, r, t;
    int rc;
    if ((rc = intern(c->ent, "entity", f[0], fl[0], in, &h, e)) ||
        (rc = intern(c->rel, "relation", f[1], fl[1], in, &r, e)) ||
        (rc = intern(c->ent, "entity", f[2], fl[2], in, &t, e)))
        return rc;
    return io_rows_push(c->out, h, t, r, NAN, IO_NO_TIME, line_no(in), e);
}

int io_read_kg(const char *path, strmap_t *entities, strmap_t *relations, io_rows_t *out,
               io_read_stats_t *st, err_t *e)
{
    io_lines_t in;
    struct kg_ctx c = {entities, relations, out};
    return read_tuples(path, 3, 3, &in, kg_row, &c, st, e);
}

/* rows[w] = rows[i], every present column. */
static void move_row(io_rows_t *rows, uint64_t w, uint64_t i)
{
    rows->a[w] = rows->a[i]; rows->b[w] = rows->b[i];
    if (rows->r) rows->r[w] = rows->r[i];
    if (rows->rating) rows->rating[w] = rows->rating[i];
    if (rows->time) rows->time[w] = rows->time[i];
    if (rows->line) rows->line[w] = rows->line[i];
}

/* Sort key for dedup: (a, b, r, position). */
typedef struct { uint32_t a, b, r; uint64_t i; } dkey_t;

static int cmp_dkey(const void *x, const void *y)
{
    const dkey_t *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    if (p->r != q->r) return p->r < q->r ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

int io_rows_dedup(io_rows_t *rows, int with_r, uint64_t *dropped, err_t *e)
{
    *dropped = 0;
    uint64_t n = rows->n;
    if (n < 2) return ERR_OK;
    with_r = with_r && rows->r;
    dkey_t *k = malloc(n * sizeof *k);
    uint8_t *keep = calloc(n, 1);
    if (!k || !keep) { free(k); free(keep); return err_set(e, ERR_NOMEM, "out of memory"); }
    for (uint64_t i = 0; i < n; i++)
        k[i] = (dkey_t){rows->a[i], rows->b[i], with_r ? rows->r[i] : 0, i};
    qsort(k, n, sizeof *k, cmp_dkey);
    for (uint64_t i = 0; i < n; i++)
        if (i == 0 || k[i].a != k[i - 1].a || k[i].b != k[i - 1].b || k[i].r != k[i - 1].r)
            keep[k[i].i] = 1;
    free(k);
    uint64_t w = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (!keep[i]) continue;
        move_row(rows, w++, i);
    }
    free(keep);
    *dropped = n - w;
    rows->n = w;
    return ERR_OK;
}

/* ---- io_rows_sort_dedup ---- */

/* One row of a user's bucket: (r, b) packed, the line, the row's position. */
typedef struct { uint64_t k; uint32_t line; uint32_t pos; } bkey_t;

static int bkey_less(const bkey_t *p, const bkey_t *q)
{
    return p->k != q->k ? p->k < q->k : p->line < q->line;
}

static int cmp_bkey(const void *x, const void *y)
{
    const bkey_t *p = x, *q = y;
    return bkey_less(p, q) ? -1 : bkey_less(q, p);
}

/* Swap rows i and j in every present column. */
static void swap_rows(io_rows_t *rows, uint64_t i, uint64_t j)
{
#define SW(f) do { if (rows->f) { __typeof__(*rows->f) x_ = rows->f[i]; rows->f[i] = rows->f[j]; rows->f[j] = x_; } } while (0)
    SW(a); SW(b); SW(r); SW(rating); SW(time); SW(line);
#undef SW
}

/* Gather bucket rows [s, s + m) in the order of k[] into rows [w, w + kept)
 * dropping repeated keys; tmp: m * 8 bytes of scratch. Returns kept. */
static uint64_t gather_bucket(io_rows_t *rows, uint64_t s, uint64_t w, const bkey_t *k, uint64_t m,
                              void *tmp)
{
    uint64_t kept = 0;
    /* column by column through tmp: the first row of each key stays */
#define GATHER(f) do {                                                        \
        if (rows->f) {                                                        \
            __typeof__(*rows->f) *t_ = tmp;                                   \
            uint64_t c_ = 0;                                                  \
            for (uint64_t j = 0; j < m; j++)                                  \
                if (j == 0 || k[j].k != k[j - 1].k) t_[c_++] = rows->f[s + k[j].pos]; \
            memcpy(rows->f + w, t_, c_ * sizeof *t_);                         \
            kept = c_;                                                        \
        }                                                                     \
    } while (0)
    GATHER(b); GATHER(r); GATHER(rating); GATHER(time); GATHER(line);
#undef GATHER
    uint32_t a = rows->a[s];
    for (uint64_t j = 0; j < kept; j++) rows->a[w + j] = a;
    return kept;
}

int io_rows_sort_dedup(io_rows_t *rows, int with_r, uint64_t *dropped, err_t *e)
{
    *dropped = 0;
    uint64_t n = rows->n;
    if (n == 0) return ERR_OK;
    with_r = with_r && rows->r;
    uint32_t max_a = 0;
    for (uint64_t i = 0; i < n; i++) if (rows->a[i] > max_a) max_a = rows->a[i];
    /* start [max_a + 2]: bucket of a at start[a] .. start[a + 1] */
    uint64_t nb = (uint64_t)max_a + 1;
    uint64_t *start = calloc(nb + 1, sizeof *start), *next = malloc((nb + 1) * sizeof *next);
    if (!start || !next) { free(start); free(next); return err_set(e, ERR_NOMEM, "out of memory sorting %llu rows", (unsigned long long)n); }
    for (uint64_t i = 0; i < n; i++) start[rows->a[i] + 1]++;
    uint64_t big = 0;
    for (uint64_t u = 0; u < nb; u++) {
        if (start[u + 1] > big) big = start[u + 1];
        start[u + 1] += start[u];
    }
    if (big > UINT32_MAX) {
        free(start); free(next);
        return err_set(e, ERR_NOMEM, "more than 2^32-1 rows share one id");
    }
    memcpy(next, start, (nb + 1) * sizeof *next);
    /* in place by cycles (American flag sort): each row moves once */
    for (uint64_t u = 0; u < nb; u++) {
        while (next[u] < start[u + 1]) {
            uint32_t v = rows->a[next[u]];
            if (v == u) { next[u]++; continue; }
            swap_rows(rows, next[u], next[v]++);
        }
    }
    free(next);
    bkey_t *k = malloc(big * sizeof *k);
    void *tmp = malloc(big * sizeof(int64_t));
    if (!k || !tmp) { free(start); free(k); free(tmp); return err_set(e, ERR_NOMEM, "out of memory sorting %llu rows", (unsigned long long)n); }
    uint64_t w = 0;
    for (uint64_t u = 0; u < nb; u++) {
        uint64_t s = start[u], m = start[u + 1] - s;
        if (m == 0) continue;
        for (uint64_t j = 0; j < m; j++)
            k[j] = (bkey_t){(uint64_t)(with_r ? rows->r[s + j] : 0) << 32 | rows->b[s + j],
                            rows->line ? rows->line[s + j] : 0, (uint32_t)j};
        if (m <= 32) {   /* most users: insertion sort beats qsort's call per compare */
            for (uint64_t j = 1; j < m; j++) {
                bkey_t x = k[j];
                uint64_t h = j;
                for (; h > 0 && bkey_less(&x, &k[h - 1]); h--) k[h] = k[h - 1];
                k[h] = x;
            }
        } else {
            qsort(k, m, sizeof *k, cmp_bkey);
        }
        w += gather_bucket(rows, s, w, k, m, tmp);
    }
    free(start); free(k); free(tmp);
    *dropped = n - w;
    rows->n = w;
    return ERR_OK;
}

/* --item-entities FILE: `item entity` per line, blank-separated. */
int io_read_item_entities(const char *path, strmap_t *items, strmap_t *entities, io_rows_t *out,
                           err_t *e)
{
    io_lines_t rd;
    int rc = io_lines_open(&rd, path, IO_MAX_LINE, e);
    if (rc) return rc;
    char *line;
    size_t len;
    while ((rc = io_lines_next(&rd, &line, &len, e)) == 0 && line) {
        char *f[3];
        size_t fl[3];
        int nf = io_split_fields(line, ' ', f, fl, 3);
        if (nf == 0) continue;
        if (nf != 2) { rc = err_set(e, ERR_INPUT, "%s:%ld: expected `item entity`, got %d fields", path, rd.line, nf); break; }
        if ((rc = io_check_id("item", f[0], fl[0], path, rd.line, e)) ||
            (rc = io_check_id("entity", f[1], fl[1], path, rd.line, e)))
            break;
        int added;
        uint32_t it = strmap_intern(items, f[0], fl[0], &added), en = strmap_intern(entities, f[1], fl[1], &added);
        if (it == STRMAP_NONE || en == STRMAP_NONE) { rc = err_set(e, ERR_NOMEM, "out of memory"); break; }
        if ((rc = io_rows_push(out, it, en, 0, NAN, IO_NO_TIME, (uint32_t)rd.line, e))) break;
    }
    io_lines_close(&rd);
    return rc;
}

/* Move the rows with flag[i] set to *moved, keeping both in order. */
int io_rows_partition(io_rows_t *rows, const uint8_t *flag, io_rows_t *moved, err_t *e)
{
    uint64_t w = 0;
    for (uint64_t i = 0; i < rows->n; i++) {
        if (flag[i]) {
            int rc = io_rows_push(moved, rows->a[i], rows->b[i], rows->r ? rows->r[i] : 0,
                                  rows->rating ? rows->rating[i] : NAN, rows->time ? rows->time[i] : IO_NO_TIME,
                                  rows->line ? rows->line[i] : 0, e);
            if (rc) return rc;
            continue;
        }
        rows->a[w] = rows->a[i]; rows->b[w] = rows->b[i];
        if (rows->r) rows->r[w] = rows->r[i];
        if (rows->rating) rows->rating[w] = rows->rating[i];
        if (rows->time) rows->time[w] = rows->time[i];
        if (rows->line) rows->line[w] = rows->line[i];
        w++;
    }
    rows->n = w;
    return ERR_OK;
}

int io_rows_undirected(io_rows_t *rows, uint64_t *self_loops, err_t *e)
{
    uint8_t *self = calloc(rows->n ? rows->n : 1, 1);
    if (!self) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < rows->n; i++) {
        uint32_t a = rows->a[i], b = rows->b[i];
        if (a == b) { self[i] = 1; (*self_loops)++; }
        if (a > b) { rows->a[i] = b; rows->b[i] = a; }
    }
    io_rows_t dropped;
    io_rows_init(&dropped);
    int rc = io_rows_partition(rows, self, &dropped, e);
    free(self);
    io_rows_destroy(&dropped);
    return rc;
}

/* ---- --item-names ---------------------------------------------------- */

void io_item_names_destroy(io_item_names_t *n)
{
    io_idlist_destroy(&n->names);
    free(n->item);
    memset(n, 0, sizeof *n);
}

static int check_name(const char *s, size_t len, const char *path, long line, err_t *e)
{
    if (len == 0) return err_input(e, path, line, "empty name");
    if (len > IO_MAX_NAME_LEN) return err_input(e, path, line, "name longer than %d bytes", IO_MAX_NAME_LEN);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return err_input(e, path, line, "control byte 0x%02x in the name", (unsigned char)s[i]);
    return ERR_OK;
}

int io_read_item_names(const char *path, const strmap_t *items, io_item_names_t *out, err_t *e)
{
    io_lines_t rd;
    uint32_t *named = calloc(items->n ? items->n : 1, sizeof *named);   /* line that named each item */
    if (!named) return err_set(e, ERR_NOMEM, "out of memory");
    io_idlist_init(&out->names);
    int rc = io_lines_open(&rd, path, IO_MAX_LINE, e), opened = !rc;
    char *line;
    size_t len;
    while (!rc && (rc = io_lines_next(&rd, &line, &len, e)) == 0 && line) {
        char *f[2];
        size_t fl[2];
        size_t b = 0;
        while (b < len && (line[b] == ' ' || line[b] == '\t')) b++;
        if (b == len) continue;
        if (io_split_fields(line, '\t', f, fl, 2) < 2) {
            rc = err_input(e, path, rd.line, "expected `item<TAB>name`, got one field");
            break;
        }
        if ((rc = io_check_id("item", f[0], fl[0], path, rd.line, e)) ||
            (rc = check_name(f[1], fl[1], path, rd.line, e)))
            break;
        uint32_t it = strmap_get(items, f[0], fl[0]);
        if (it == STRMAP_NONE) {
            rc = err_input(e, path, rd.line, "item '%.*s' is not in the store or the interactions", (int)fl[0], f[0]);
            break;
        }
        if (named[it]) {
            rc = err_input(e, path, rd.line, "item '%.*s' already named at line %u", (int)fl[0], f[0], named[it]);
            break;
        }
        named[it] = (uint32_t)rd.line;
        size_t n = out->names.n;
        if (n == out->cap) {
            size_t cap = out->cap ? 2 * out->cap : 1024;
            uint32_t *p = realloc(out->item, cap * sizeof *p);
            if (!p) { rc = err_set(e, ERR_NOMEM, "out of memory"); break; }
            out->item = p;
            out->cap = cap;
        }
        if ((rc = io_idlist_push(&out->names, f[1], fl[1], rd.line, e))) break;
        out->item[n] = it;
    }
    if (opened) io_lines_close(&rd);
    free(named);
    return rc;
}
