/* candidates.c - see candidates.h. The split reads 8 bytes at a time on
 * little-endian machines (one word compare finds every delimiter in it):
 * with short ids most lines are a handful of words. */
#include "feed/candidates.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/lines.h"

static const char *const col_names[FEED_N_COL] = {"viewer", "post", "author", "content", "time"};

int feed_cols_parse(feed_cols_t *c, const char *spec, err_t *e)
{
    for (int k = 0; k < FEED_N_COL; k++) c->col[k] = -1;
    int n = 0;
    for (const char *p = spec;;) {
        const char *q = strchr(p, ',');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        int found = l == 1 && *p == '_';
        for (int k = 0; k < FEED_N_COL && !found; k++)
            if (strlen(col_names[k]) == l && !strncmp(p, col_names[k], l)) {
                if (c->col[k] >= 0) return err_set(e, ERR_USAGE, "--columns: '%s' named twice", col_names[k]);
                c->col[k] = n;
                found = 1;
            }
        if (!found)
            return err_set(e, ERR_USAGE,
                           "--columns: unknown column '%.*s' (expected viewer, post, author, content, time or _)",
                           (int)l, p);
        if (++n > FEED_MAX_FIELDS) return err_set(e, ERR_USAGE, "--columns: more than %d columns", FEED_MAX_FIELDS);
        if (!q) break;
        p = q + 1;
    }
    if (c->col[FEED_C_VIEWER] < 0 || c->col[FEED_C_POST] < 0 || c->col[FEED_C_AUTHOR] < 0)
        return err_set(e, ERR_USAGE, "--columns must name viewer, post and author (got '%s')", spec);
    c->n_cols = n;
    return ERR_OK;
}

/* Fields of s[0..len) separated by one character: offsets and lengths;
 * returns the number of fields (may exceed max). Reads up to 7 bytes past
 * len on little-endian machines (FEED_PAD). */
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

/* Field boundaries of s[0..len), blanks around fields trimmed; delim ' '
 * means runs of blanks. Returns the number of fields (may exceed max). */
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
static int bad_line(err_t *e, const feed_cols_t *c, uint64_t line, const char *fmt, ...)
{
    if (!e) return ERR_INPUT;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_input(e, c->path, (long)line, "%s", msg);
}

static int check_id(const feed_cols_t *c, const char *what, const char *s, uint32_t l, uint64_t line, err_t *e)
{
    if (l == 0) return bad_line(e, c, line, "empty %s id", what);
    if (l > STORE_MAX_ID_LEN)
        return bad_line(e, c, line, "%s id longer than %d bytes: '%.40s...'", what, STORE_MAX_ID_LEN, s);
    return ERR_OK;
}

/* Integer timestamp; the empty field means "no time". */
static int parse_time(const feed_cols_t *c, const char *s, uint32_t l, uint64_t line, int64_t *t, err_t *e)
{
    if (l == 0) { *t = FEED_NO_TIME; return ERR_OK; }
    uint32_t i = s[0] == '-', ok = i < l && l - i <= 18;   /* 18 digits cannot overflow */
    int64_t v = 0;
    for (; ok && i < l; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (s[i] - '0');
    }
    if (!ok) return bad_line(e, c, line, "time: expected an integer timestamp, got '%.*s'", (int)(l > 40 ? 40 : l), s);
    *t = s[0] == '-' ? -v : v;
    return ERR_OK;
}

int feed_scan_line(const feed_cols_t *c, const char *s, uint32_t len, uint64_t line, int check_nul,
                   feed_fields_t *f, int64_t *time, feed_tok_t *tok, uint32_t *ntok, err_t *e)
{
    uint32_t off[FEED_MAX_FIELDS], fl[FEED_MAX_FIELDS], nc = 0;
    if (check_nul && memchr(s, '\0', len)) return bad_line(e, c, line, "binary data (NUL byte); expected a text file");
    int n = split(s, len, c->delim, off, fl, FEED_MAX_FIELDS);
    if (n < c->n_cols) return bad_line(e, c, line, "expected %d columns (--columns), got %d", c->n_cols, n);
    int cv = c->col[FEED_C_VIEWER], cp = c->col[FEED_C_POST], ca = c->col[FEED_C_AUTHOR], ct = c->col[FEED_C_TIME],
        cc = c->col[FEED_C_CONTENT], rc;
    *f = (feed_fields_t){off[cv], fl[cv], off[cp], fl[cp], off[ca], fl[ca]};
    if ((rc = check_id(c, "viewer", s + f->vo, f->vl, line, e)) ||
        (rc = check_id(c, "post", s + f->po, f->pl, line, e)) ||
        (rc = check_id(c, "author", s + f->ao, f->al, line, e)))
        return rc;
    *time = FEED_NO_TIME;
    if (ct >= 0 && (rc = parse_time(c, s + off[ct], fl[ct], line, time, e))) return rc;
    if (cc < 0) {   /* no content column: a post is an item (a share of it) */
        tok[nc++] = (feed_tok_t){s + f->po, f->pl, 0, 0};
    } else {
        const char *p = s + off[cc];
        uint32_t to[FEED_MAX_CONTENT + 1], tl[FEED_MAX_CONTENT + 1];
        int k = fl[cc] ? split_char(p, fl[cc], '|', to, tl, FEED_MAX_CONTENT + 1) : 0;
        for (int i = 0; i < k; i++) {
            if (i > FEED_MAX_CONTENT || (tl[i] && nc == FEED_MAX_CONTENT))
                return bad_line(e, c, line, "more than %d content ids", FEED_MAX_CONTENT);
            if (tl[i]) tok[nc++] = (feed_tok_t){p + to[i], tl[i], 0, 0};   /* "a||b": empty ones are skipped */
        }
    }
    *ntok = nc;
    return ERR_OK;
}

int feed_labels_load(const char *path, strmap_t *labels, uint64_t *loaded, err_t *e)
{
    io_lines_t in;
    char *line, *f[2], key[2 * STORE_MAX_ID_LEN + 2];
    size_t len, fl[2];
    int rc;
    *loaded = 0;
    if ((rc = io_lines_open(&in, path, 1 << 16, e))) return rc;
    while (!(rc = io_lines_next(&in, &line, &len, e)) && line) {
        int n = io_split_fields(line, ' ', f, fl, 2);
        if (n == 0) continue;
        if (n < 2) { rc = err_input(e, path, in.line, "expected `viewer post`, got one field"); break; }
        if (fl[0] > STORE_MAX_ID_LEN || fl[1] > STORE_MAX_ID_LEN) {
            rc = err_input(e, path, in.line, "id longer than %d bytes", STORE_MAX_ID_LEN);
            break;
        }
        int added;
        if (strmap_intern(labels, key, feed_label_key(key, f[0], (uint32_t)fl[0], f[1], (uint32_t)fl[1]), &added) ==
            STRMAP_NONE) {
            rc = err_set(e, ERR_NOMEM, "out of memory reading %s", path);
            break;
        }
        *loaded += (uint64_t)added;
    }
    io_lines_close(&in);
    return rc;
}
