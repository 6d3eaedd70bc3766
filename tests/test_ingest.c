/* test_ingest.c - the input layer: io/lines (line reader: CRLF, line numbers,
 * buffer refills, over-long lines, NUL bytes, missing files), io/ingest (the
 * edges and adj interaction formats, delimiters including auto, --header,
 * --columns with `_`, --min-rating, social and kg files, every kind of bad
 * line reported as "FILE:LINE: what is wrong", dedup keeping the first
 * occurrence; io_rows_sort_dedup against its reference twin; the row-size
 * estimate never cuts a file) and io/split (random, temporal, leave-one-out: counts per
 * user, determinism from the seed, single-interaction users stay in train,
 * temporal and leave-one-out put the latest rows in test).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/ingest.h"
#include "io/lines.h"
#include "io/split.h"
#include "tests/check.h"

static char tmpdir[256];
static int file_no;

/* Write len bytes to a fresh file in tmpdir; returns its path (static pool). */
static const char *write_bytes(const char *data, size_t len)
{
    static char paths[256][320];
    char *p = paths[file_no % 256];
    snprintf(p, 320, "%s/f%03d.txt", tmpdir, file_no);
    file_no++;
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(1); }
    if (len && fwrite(data, 1, len, f) != len) { perror(p); exit(1); }
    fclose(f);
    return p;
}

static const char *write_str(const char *s) { return write_bytes(s, strlen(s)); }

/* msg starts with "path:line: " and contains what. */
static int msg_at(const err_t *e, const char *path, long line, const char *what)
{
    char pre[400];
    if (line > 0) snprintf(pre, sizeof pre, "%s:%ld: ", path, line);
    else snprintf(pre, sizeof pre, "%s: ", path);
    return strncmp(e->msg, pre, strlen(pre)) == 0 && strstr(e->msg + strlen(pre), what) != NULL;
}

#define CHECK_ERR_AT(rc, e, path, line, what) do { \
    CHECK_EQ_INT((rc), ERR_INPUT); \
    CHECK_MSG(msg_at(&(e), (path), (line), (what)), "want '%s:%ld: ...%s...', got '%s'", \
              (path), (long)(line), (what), (e).msg); } while (0)

typedef struct maps { strmap_t users, items; io_rows_t rows; io_read_stats_t st; err_t e; } maps_t;

static void maps_init(maps_t *m)
{
    memset(m, 0, sizeof *m);
    strmap_init(&m->users);
    strmap_init(&m->items);
    io_rows_init(&m->rows);
}

static void maps_destroy(maps_t *m)
{
    strmap_destroy(&m->users);
    strmap_destroy(&m->items);
    io_rows_destroy(&m->rows);
}

static int read_spec(maps_t *m, const char *path, const io_spec_t *spec)
{
    return io_read_interactions(path, spec, &m->users, &m->items, &m->rows, &m->st, &m->e);
}

static const char *uname_(maps_t *m, uint64_t row) { return strmap_name(&m->users, m->rows.a[row]); }
static const char *iname_(maps_t *m, uint64_t row) { return strmap_name(&m->items, m->rows.b[row]); }

/* ---------------------------------------------------------------- lines */

static void test_lines(void)
{
    err_t e = {0};
    io_lines_t r;
    char *line;
    size_t len;

    /* CRLF, an empty line, a last line without newline */
    const char *p = write_str("ab\r\n\r\ncd\nlast");
    CHECK_EQ_INT(io_lines_open(&r, p, 100, &e), ERR_OK);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line && !strcmp(line, "ab") && len == 2 && r.line == 1);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line && !strcmp(line, "") && len == 0 && r.line == 2);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line && !strcmp(line, "cd") && r.line == 3);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line && !strcmp(line, "last") && len == 4 && r.line == 4);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line == NULL);
    io_lines_close(&r);

    /* empty file: end at once */
    p = write_str("");
    CHECK_EQ_INT(io_lines_open(&r, p, 100, &e), ERR_OK);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line == NULL);
    io_lines_close(&r);

    /* max_len: exactly max is fine, max+1 is an error naming the line */
    p = write_str("12345\n123456\n");
    CHECK_EQ_INT(io_lines_open(&r, p, 5, &e), ERR_OK);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK(line && len == 5);
    int rc = io_lines_next(&r, &line, &len, &e);
    CHECK_ERR_AT(rc, e, p, 2, "line longer than 5 bytes");
    io_lines_close(&r);
    /* ... also when the long line is the last one, without newline */
    p = write_str("ok\n1234567");
    CHECK_EQ_INT(io_lines_open(&r, p, 5, &e), ERR_OK);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    rc = io_lines_next(&r, &line, &len, &e);
    CHECK_ERR_AT(rc, e, p, 2, "line longer than 5 bytes");
    io_lines_close(&r);

    /* a NUL byte on line 3 */
    static const char bin[] = "a b\nc d\ne\0f\n";
    p = write_bytes(bin, sizeof bin - 1);
    CHECK_EQ_INT(io_lines_open(&r, p, 100, &e), ERR_OK);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    CHECK_EQ_INT(io_lines_next(&r, &line, &len, &e), ERR_OK);
    rc = io_lines_next(&r, &line, &len, &e);
    CHECK_ERR_AT(rc, e, p, 3, "binary data");
    io_lines_close(&r);

    /* missing file, directory */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-file", tmpdir);
    rc = io_lines_open(&r, missing, 100, &e);
    CHECK_ERR_AT(rc, e, missing, 0, "cannot open");
    rc = io_lines_open(&r, tmpdir, 100, &e);
    CHECK_ERR_AT(rc, e, tmpdir, 0, "directory");

    /* many lines across several 1 MiB buffer refills: every line comes back
     * whole and numbered, including those that straddle a refill */
    size_t n_lines = 300000, cap = n_lines * 16, off = 0;
    char *big = malloc(cap);
    for (size_t i = 0; i < n_lines; i++)
        off += (size_t)snprintf(big + off, cap - off, i % 3 ? "%zu x%zu\n" : "%zu x%zu\r\n", i, i * 7);
    p = write_bytes(big, off);
    free(big);
    CHECK_EQ_INT(io_lines_open(&r, p, 64, &e), ERR_OK);
    size_t seen = 0, bad = 0;
    char want[64];
    while (!io_lines_next(&r, &line, &len, &e) && line) {
        snprintf(want, sizeof want, "%zu x%zu", seen, seen * 7);
        if (strcmp(line, want) || len != strlen(want) || r.line != (long)seen + 1) bad++;
        seen++;
    }
    CHECK_EQ_INT(seen, n_lines);
    CHECK_EQ_INT(bad, 0);
    io_lines_close(&r);
}

static void test_split_fields(void)
{
    char *f[8];
    size_t fl[8];
    char l1[] = "  a \t b\t\tc  ";
    CHECK_EQ_INT(io_split_fields(l1, ' ', f, fl, 8), 3);
    CHECK(!strcmp(f[0], "a") && !strcmp(f[1], "b") && !strcmp(f[2], "c") && fl[2] == 1);
    char l2[] = "a,,b, c ";
    CHECK_EQ_INT(io_split_fields(l2, ',', f, fl, 8), 4);
    CHECK(!strcmp(f[0], "a") && fl[1] == 0 && !strcmp(f[2], "b") && !strcmp(f[3], "c"));
    char l3[] = "1\t2\t3\t4\t5";
    CHECK_EQ_INT(io_split_fields(l3, '\t', f, fl, 2), 5);   /* count beyond max */
    CHECK(!strcmp(f[0], "1") && !strcmp(f[1], "2"));
    char l4[] = "";
    CHECK_EQ_INT(io_split_fields(l4, ' ', f, fl, 8), 0);
    CHECK_EQ_INT(io_split_fields(l4, '\t', f, fl, 8), 1);   /* one empty field */
}

/* ------------------------------------------------------------ spec options */

static void test_spec(void)
{
    io_spec_t s;
    err_t e = {0};
    io_spec_default(&s);
    CHECK(s.format == IO_FORMAT_EDGES && s.delim == 0 && s.col[IO_COL_USER] == 0 && s.col[IO_COL_ITEM] == 1);
    CHECK(s.col[IO_COL_RATING] == -1 && s.col[IO_COL_TIME] == -1 && s.n_named == 2);
    CHECK_EQ_INT(io_spec_set_columns(&s, "_,item,_,user,time", &e), ERR_OK);
    CHECK(s.col[IO_COL_ITEM] == 1 && s.col[IO_COL_USER] == 3 && s.col[IO_COL_TIME] == 4 && s.col[IO_COL_RATING] == -1);
    CHECK_EQ_INT(s.n_named, 5);
    io_spec_default(&s);
    CHECK_EQ_INT(io_spec_set_columns(&s, "user,item,rate", &e), ERR_USAGE);
    CHECK(strstr(e.msg, "rate") != NULL);
    CHECK_EQ_INT(io_spec_set_columns(&s, "user,item,user", &e), ERR_USAGE);
    CHECK(strstr(e.msg, "twice") != NULL);
    CHECK_EQ_INT(io_spec_set_columns(&s, "user,rating", &e), ERR_USAGE);
    CHECK_EQ_INT(io_spec_set_columns(&s, "user,,item", &e), ERR_USAGE);
    /* a failed call leaves the spec alone */
    CHECK(s.col[IO_COL_USER] == 0 && s.col[IO_COL_ITEM] == 1 && s.n_named == 2);
    CHECK_EQ_INT(io_spec_set_delim(&s, "tab", &e), ERR_OK);
    CHECK(s.delim == '\t');
    CHECK_EQ_INT(io_spec_set_delim(&s, "comma", &e), ERR_OK);
    CHECK(s.delim == ',');
    CHECK_EQ_INT(io_spec_set_delim(&s, "space", &e), ERR_OK);
    CHECK(s.delim == ' ');
    CHECK_EQ_INT(io_spec_set_delim(&s, "auto", &e), ERR_OK);
    CHECK(s.delim == 0);
    CHECK_EQ_INT(io_spec_set_delim(&s, "semicolon", &e), ERR_USAGE);
}

/* ------------------------------------------------------------ edges format */

static void test_edges_good(void)
{
    io_spec_t s;
    err_t e = {0};
    maps_t m;

    /* auto delimiter: tab; CRLF; header; blank lines skipped */
    io_spec_default(&s);
    s.header = 1;
    CHECK_EQ_INT(io_spec_set_columns(&s, "user,item,rating,time", &e), ERR_OK);
    const char *p = write_str("userID\titemID\trating\tts\r\nu1\ti1\t4.5\t100\r\n\r\nu2\ti1\t3\t-5\r\nu1\ti2\t1e0\t7\r\n");
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 3);
    CHECK_EQ_INT(m.st.rows, 3);
    CHECK_EQ_INT(m.st.lines, 5);
    CHECK_EQ_INT(m.users.n, 2);
    CHECK_EQ_INT(m.items.n, 2);
    CHECK(!strcmp(uname_(&m, 0), "u1") && !strcmp(iname_(&m, 0), "i1"));
    CHECK(!strcmp(uname_(&m, 1), "u2") && !strcmp(iname_(&m, 2), "i2"));
    CHECK_EQ_INT(m.rows.a[0], 0); CHECK_EQ_INT(m.rows.a[1], 1); CHECK_EQ_INT(m.rows.a[2], 0);
    CHECK_NEAR(m.rows.rating[0], 4.5, 0);
    CHECK_NEAR(m.rows.rating[2], 1.0, 0);
    CHECK_EQ_INT(m.rows.time[0], 100);
    CHECK_EQ_INT(m.rows.time[1], -5);
    CHECK_EQ_INT(m.rows.line[0], 2);
    CHECK_EQ_INT(m.rows.line[1], 4);   /* the blank line 3 still counts */
    CHECK_EQ_INT(m.rows.line[2], 5);
    maps_destroy(&m);

    /* without --header the header is data: "rating" is not a number at line 1 */
    s.header = 0;
    maps_init(&m);
    int rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 1, "rating");
    maps_destroy(&m);

    /* comma (auto and explicit), blanks around fields trimmed */
    const char *delims[] = {"auto", "comma"};
    for (int d = 0; d < 2; d++) {
        io_spec_default(&s);
        io_spec_set_delim(&s, delims[d], &e);
        p = write_str("a, x\nb ,y\na,y\n");
        maps_init(&m);
        CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
        CHECK_EQ_INT(m.rows.n, 3);
        CHECK_EQ_INT(m.users.n, 2);
        CHECK_EQ_INT(m.items.n, 2);
        CHECK(m.rows.n == 3 && !strcmp(uname_(&m, 1), "b") && !strcmp(iname_(&m, 1), "y"));
        CHECK(isnan(m.rows.rating[0]) && m.rows.time[0] == IO_NO_TIME);
        maps_destroy(&m);
    }

    /* space: runs of blanks and tabs, leading blanks ignored (auto too) */
    const char *sd[] = {"space", "auto"};
    for (int d = 0; d < 2; d++) {
        io_spec_default(&s);
        io_spec_set_delim(&s, sd[d], &e);
        io_spec_set_columns(&s, "user,item,rating", &e);
        p = write_str("  1   10  5\n2 20 3  \n");
        maps_init(&m);
        CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
        CHECK_EQ_INT(m.rows.n, 2);
        CHECK(m.rows.n == 2 && !strcmp(uname_(&m, 0), "1") && !strcmp(iname_(&m, 1), "20"));
        CHECK_NEAR(m.rows.rating[1], 3.0, 0);
        maps_destroy(&m);
    }

    /* explicit tab: a space inside a field is part of the id */
    io_spec_default(&s);
    io_spec_set_delim(&s, "tab", &e);
    p = write_str("John Smith\tThe Movie\n");
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK(m.rows.n == 1 && !strcmp(uname_(&m, 0), "John Smith") && !strcmp(iname_(&m, 0), "The Movie"));
    maps_destroy(&m);

    /* --columns with `_` and reordered columns; the ignored column may hold anything */
    io_spec_default(&s);
    io_spec_set_columns(&s, "item,_,user,time", &e);
    p = write_str("i9\tjunk text\tu3\t42\ni8\t\tu4\t43\n");
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 2);
    CHECK(m.rows.n == 2 && !strcmp(uname_(&m, 0), "u3") && !strcmp(iname_(&m, 0), "i9"));
    CHECK(m.rows.n == 2 && !strcmp(uname_(&m, 1), "u4") && m.rows.time[1] == 43);
    maps_destroy(&m);

    /* extra columns beyond those named are allowed (and ignored) */
    io_spec_default(&s);
    p = write_str("u\ti\t5\t99\nv\tj\t4\t98\n");
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 2);
    maps_destroy(&m);

    /* --min-rating: rows below are counted and leave no ids behind */
    io_spec_default(&s);
    io_spec_set_columns(&s, "user,item,rating", &e);
    s.has_min_rating = 1;
    s.min_rating = 4;
    p = write_str("u1 i1 5\nu2 i2 3.9\nu1 i3 4\nu3 i1 1\n");
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 2);
    CHECK_EQ_INT(m.st.below_min_rating, 2);
    CHECK_EQ_INT(m.users.n, 1);
    CHECK_EQ_INT(m.items.n, 2);
    CHECK(strmap_get(&m.users, "u2", 2) == STRMAP_NONE && strmap_get(&m.items, "i2", 2) == STRMAP_NONE);
    CHECK_EQ_INT(m.rows.line[1], 3);
    maps_destroy(&m);
    /* a row below --min-rating is dropped, but a malformed id in it is still an error */
    p = write_str("u1,i1,5\n,i2,1\n");
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 2, "empty user id");
    maps_destroy(&m);
    p = write_str("u1,i1,5\nu2,,1\n");
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 2, "empty item id");
    maps_destroy(&m);
    /* ... and all rows below: an error, not an empty store */
    p = write_str("u1 i1 1\nu2 i2 2\n");
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 0, "below --min-rating");
    maps_destroy(&m);

    /* preloaded maps (--append): known ids keep their ids, new ones follow */
    io_spec_default(&s);
    maps_init(&m);
    strmap_intern(&m.users, "old", 3, NULL);
    strmap_intern(&m.items, "x", 1, NULL);
    strmap_intern(&m.items, "y", 1, NULL);
    p = write_str("new y\nold z\nold x\n");
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.users.n, 2);
    CHECK_EQ_INT(m.items.n, 3);
    CHECK(m.rows.n == 3 && m.rows.a[0] == 1 && m.rows.b[0] == 1);
    CHECK(m.rows.n == 3 && m.rows.a[1] == 0 && m.rows.b[1] == 2);
    CHECK(m.rows.n == 3 && m.rows.a[2] == 0 && m.rows.b[2] == 0);
    /* a second file appends to the same rows and maps */
    p = write_str("third x\n");
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 4);
    CHECK_EQ_INT(m.st.rows, 1);   /* stats are per file */
    CHECK(m.rows.n == 4 && m.rows.a[3] == 2 && m.rows.line[3] == 1);
    maps_destroy(&m);
}

/* Every kind of bad line: code ERR_INPUT and "FILE:LINE: ..." naming the
 * first bad line (or "FILE: ..." for whole-file problems). */
static void test_edges_bad(void)
{
    struct { const char *columns; const char *delim; const char *text; long line; const char *what; } cases[] = {
        {NULL, "auto", "u1\ti1\nu2\n", 2, "expected 2 columns"},
        {NULL, "auto", "u1\ti1\nu2\ti2\nu3\ti3\tx\n", 3, "like the first row, found 3"},
        {NULL, "tab", "u1 i1\n", 1, "expected 2 columns"},
        {"user,item,rating", "auto", "u1,i1,5\nu2,i2\n", 2, "expected 3 columns"},
        {"user,item,rating", "auto", "u1 i1 5\nu2 i2 five\n", 2, "rating: expected a finite number, got 'five'"},
        {"user,item,rating", "auto", "u1 i1 5\nu2 i2 4x\n", 2, "rating"},
        {"user,item,rating", "auto", "u1 i1 nan\n", 1, "rating"},
        {"user,item,rating", "auto", "u1 i1 inf\n", 1, "rating"},
        {"user,item,rating", "auto", "u1 i1 1e999\n", 1, "rating"},
        {"user,item,rating", "comma", "u1,i1,\n", 1, "rating"},
        {"user,item,rating,time", "auto", "u\ti\t5\t1\nu\tj\t5\tyesterday\n", 2, "time: expected an integer"},
        {"user,item,rating,time", "auto", "u\ti\t5\t12.5\n", 1, "time"},
        {"user,item,rating,time", "auto", "u\ti\t5\t99999999999999999999999\n", 1, "time"},
        {NULL, "comma", "u1,i1\n,i2\n", 2, "empty user id"},
        {NULL, "comma", "u1,i1\nu2,\n", 2, "empty item id"},
        {NULL, "tab", "u1\ti1\n\ti2\n", 2, "empty user id"},
        {NULL, "auto", "", 0, "empty file"},
        {NULL, "auto", "\n  \n\n", 0, "empty file"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        io_spec_t s;
        err_t e = {0};
        io_spec_default(&s);
        if (cases[c].columns) io_spec_set_columns(&s, cases[c].columns, &e);
        io_spec_set_delim(&s, cases[c].delim, &e);
        const char *p = write_str(cases[c].text);
        maps_t m;
        maps_init(&m);
        int rc = read_spec(&m, p, &s);
        CHECK_MSG(rc == ERR_INPUT, "case %zu: rc %d", c, rc);
        CHECK_MSG(msg_at(&m.e, p, cases[c].line, cases[c].what), "case %zu: want '%s:%ld: ...%s...', got '%s'",
                  c, p, cases[c].line, cases[c].what, m.e.msg);
        maps_destroy(&m);
    }

    io_spec_t s;
    io_spec_default(&s);
    maps_t m;
    int rc;

    /* only a header */
    s.header = 1;
    const char *p = write_str("user\titem\n");
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 0, "empty file");
    maps_destroy(&m);
    s.header = 0;

    /* an id over IO_MAX_ID_LEN bytes, on line 2 */
    char longid[IO_MAX_ID_LEN + 40];
    memset(longid, 'x', IO_MAX_ID_LEN + 1);
    longid[IO_MAX_ID_LEN + 1] = 0;
    char text[IO_MAX_ID_LEN + 100];
    snprintf(text, sizeof text, "a b\nc %s\n", longid);
    p = write_str(text);
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 2, "item id longer than");
    maps_destroy(&m);
    /* exactly IO_MAX_ID_LEN is fine */
    longid[IO_MAX_ID_LEN] = 0;
    snprintf(text, sizeof text, "%s b\n", longid);
    p = write_str(text);
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    maps_destroy(&m);

    /* a line over IO_MAX_LINE bytes, on line 3 */
    size_t big = IO_MAX_LINE + 10;
    char *buf = malloc(big + 32);
    strcpy(buf, "a b\nc d\n");
    size_t off = strlen(buf);
    memset(buf + off, 'y', big);
    off += big;
    buf[off++] = '\n';
    p = write_bytes(buf, off);
    free(buf);
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 3, "line longer than");
    maps_destroy(&m);

    /* binary data: NUL bytes on line 2 */
    static const char bin[] = "a b\n\x7f" "ELF\x02\x01\x01\0\0\0\0\n";
    p = write_bytes(bin, sizeof bin - 1);
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 2, "binary");
    maps_destroy(&m);

    /* missing file and a directory */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope.tsv", tmpdir);
    maps_init(&m);
    rc = read_spec(&m, missing, &s);
    CHECK_ERR_AT(rc, m.e, missing, 0, "cannot open");
    rc = read_spec(&m, tmpdir, &s);
    CHECK_ERR_AT(rc, m.e, tmpdir, 0, "directory");
    maps_destroy(&m);
}

/* -------------------------------------------------------------- adj format */

static void test_adj(void)
{
    io_spec_t s;
    io_spec_default(&s);
    s.format = IO_FORMAT_ADJ;
    maps_t m;
    maps_init(&m);
    const char *p = write_str("0 5 6 7\r\n1 6\n\n2\n  3\t7  8 \n");
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 6);
    CHECK_EQ_INT(m.users.n, 4);      /* user 2 has no items but is a user */
    CHECK_EQ_INT(m.items.n, 4);
    CHECK(m.rows.n == 6 && !strcmp(uname_(&m, 0), "0") && !strcmp(iname_(&m, 2), "7"));
    CHECK(m.rows.n == 6 && !strcmp(uname_(&m, 4), "3") && !strcmp(iname_(&m, 5), "8"));
    CHECK(m.rows.n == 6 && m.rows.line[3] == 2 && m.rows.line[4] == 5);
    CHECK(strmap_get(&m.users, "2", 1) == 2);
    maps_destroy(&m);

    /* --header skips the first line in adj too */
    s.header = 1;
    p = write_str("user items\n0 5 6\n1 5\n");
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 3);
    CHECK_EQ_INT(m.users.n, 2);
    CHECK(strmap_get(&m.users, "user", 4) == STRMAP_NONE && strmap_get(&m.items, "items", 5) == STRMAP_NONE);
    CHECK(m.rows.n == 3 && m.rows.line[0] == 2);
    maps_destroy(&m);
    s.header = 0;

    /* long adj lines (far beyond the edges limit) are fine */
    size_t n_items = 20000, cap = n_items * 8 + 16, off = 0;
    char *buf = malloc(cap);
    off += (size_t)snprintf(buf, cap, "u");
    for (size_t i = 0; i < n_items; i++) off += (size_t)snprintf(buf + off, cap - off, " %zu", i);
    buf[off++] = '\n';
    p = write_bytes(buf, off);
    free(buf);
    maps_init(&m);
    CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
    CHECK_EQ_INT(m.rows.n, n_items);
    CHECK_EQ_INT(m.items.n, n_items);
    maps_destroy(&m);

    /* bad adj input */
    char longid[IO_MAX_ID_LEN + 40];
    memset(longid, 'z', IO_MAX_ID_LEN + 1);
    longid[IO_MAX_ID_LEN + 1] = 0;
    char text[IO_MAX_ID_LEN + 100];
    snprintf(text, sizeof text, "0 1 2\n1 2 %s 3\n", longid);
    p = write_str(text);
    maps_init(&m);
    int rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 2, "item id longer than");
    maps_destroy(&m);
    static const char bin[] = "0 1\n1 2\n2 \0\0\n";
    p = write_bytes(bin, sizeof bin - 1);
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 3, "binary");
    maps_destroy(&m);
    p = write_str("");
    maps_init(&m);
    rc = read_spec(&m, p, &s);
    CHECK_ERR_AT(rc, m.e, p, 0, "empty file");
    maps_destroy(&m);
}

/* ----------------------------------------------------------- social and kg */

static void test_social_kg(void)
{
    maps_t m;
    maps_init(&m);
    strmap_intern(&m.users, "u0", 2, NULL);
    const char *p = write_str("u1\tu0\r\nu0\tu2\t0.5\r\n");
    CHECK_EQ_INT(io_read_social(p, &m.users, &m.rows, &m.st, &m.e), ERR_OK);
    CHECK_EQ_INT(m.rows.n, 2);
    CHECK_EQ_INT(m.users.n, 3);
    CHECK(m.rows.n == 2 && m.rows.a[0] == 1 && m.rows.b[0] == 0 && isnan(m.rows.rating[0]));
    CHECK(m.rows.n == 2 && m.rows.a[1] == 0 && m.rows.b[1] == 2);
    CHECK_NEAR(m.rows.rating[1], 0.5, 0);
    maps_destroy(&m);

    struct { const char *text; long line; const char *what; } bad[] = {
        {"a b\nc\n", 2, "expected 2 or 3 columns, found 1"},
        {"a b\nc d 1 2\n", 2, "expected 2 or 3 columns, found 4"},
        {"a b 1\nc d heavy\n", 2, "weight"},
        {"a,b\n,d\n", 2, "empty user id"},
        {"", 0, "empty file"},
    };
    for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
        maps_init(&m);
        p = write_str(bad[c].text);
        int rc = io_read_social(p, &m.users, &m.rows, &m.st, &m.e);
        CHECK_MSG(rc == ERR_INPUT && msg_at(&m.e, p, bad[c].line, bad[c].what),
                  "social case %zu: rc %d, want '%s:%ld: ...%s...', got '%s'", c, rc, p, bad[c].line, bad[c].what, m.e.msg);
        maps_destroy(&m);
    }

    /* kg: entities and relations get their own dense ids */
    strmap_t ent, rel;
    io_rows_t rows;
    io_read_stats_t st;
    err_t e = {0};
    strmap_init(&ent); strmap_init(&rel); io_rows_init(&rows);
    p = write_str("10\tfilm.genre\t20\n20\tfilm.genre\t30\n10\tfilm.actor\t30\n");
    CHECK_EQ_INT(io_read_kg(p, &ent, &rel, &rows, &st, &e), ERR_OK);
    CHECK_EQ_INT(rows.n, 3);
    CHECK_EQ_INT(ent.n, 3);
    CHECK_EQ_INT(rel.n, 2);
    CHECK(rows.n == 3 && rows.a[2] == 0 && rows.r[2] == 1 && rows.b[2] == 2);
    CHECK(!strcmp(strmap_name(&rel, 1), "film.actor"));
    io_rows_destroy(&rows); strmap_destroy(&ent); strmap_destroy(&rel);
    struct { const char *text; long line; const char *what; } kbad[] = {
        {"1 r 2\n1 r\n", 2, "expected 3 columns, found 2"},
        {"1 r 2\n1 r 2 3\n", 2, "expected 3 columns, found 4"},
        {"1,r,2\n1,,2\n", 2, "empty relation id"},
    };
    for (size_t c = 0; c < sizeof kbad / sizeof *kbad; c++) {
        strmap_init(&ent); strmap_init(&rel); io_rows_init(&rows);
        p = write_str(kbad[c].text);
        int rc = io_read_kg(p, &ent, &rel, &rows, &st, &e);
        CHECK_MSG(rc == ERR_INPUT && msg_at(&e, p, kbad[c].line, kbad[c].what),
                  "kg case %zu: rc %d, want '%s:%ld: ...%s...', got '%s'", c, rc, p, kbad[c].line, kbad[c].what, e.msg);
        io_rows_destroy(&rows); strmap_destroy(&ent); strmap_destroy(&rel);
    }
}

/* ------------------------------------------------------------------ dedup */

static void test_dedup(void)
{
    io_rows_t r;
    err_t e = {0};
    uint64_t dropped = 99;
    io_rows_init(&r);
    /* (a, b, r) with lines 1..8; duplicates of (1,2) at lines 4, 7 */
    uint32_t a[] = {1, 0, 2, 1, 0, 3, 1, 0};
    uint32_t b[] = {2, 5, 2, 2, 6, 3, 2, 5};
    uint32_t rr[] = {0, 0, 0, 0, 0, 0, 0, 1};
    for (uint32_t i = 0; i < 8; i++)
        io_rows_push(&r, a[i], b[i], rr[i], (float)i, 1000 + i, i + 1, &e);
    /* with_r: (0,5,r=0) at line 2 and (0,5,r=1) at line 8 differ */
    CHECK_EQ_INT(io_rows_dedup(&r, 1, &dropped, &e), ERR_OK);
    CHECK_EQ_INT(dropped, 2);
    CHECK_EQ_INT(r.n, 6);
    uint32_t want_line[] = {1, 2, 3, 5, 6, 8};
    for (uint64_t i = 0; i < r.n && i < 6; i++) {
        CHECK_EQ_INT(r.line[i], want_line[i]);
        CHECK_NEAR(r.rating[i], want_line[i] - 1, 0);     /* attrs travel with their row */
        CHECK_EQ_INT(r.time[i], 1000 + want_line[i] - 1);
    }
    /* without r: line 8 is now a duplicate of line 2 */
    CHECK_EQ_INT(io_rows_dedup(&r, 0, &dropped, &e), ERR_OK);
    CHECK_EQ_INT(dropped, 1);
    CHECK_EQ_INT(r.n, 5);
    CHECK(r.n == 5 && r.line[4] == 6);
    /* nothing to drop */
    CHECK_EQ_INT(io_rows_dedup(&r, 0, &dropped, &e), ERR_OK);
    CHECK_EQ_INT(dropped, 0);
    CHECK_EQ_INT(r.n, 5);
    io_rows_destroy(&r);
}

/* --------------------------------------------------------- sort_dedup */

/* The reference twin: io_rows_dedup (first occurrence, file order kept),
 * then a stable sort into key order (a, r, b) by qsort on (key, position). */
typedef struct { uint32_t a, r, b; uint64_t i; } refkey_t;

static int cmp_refkey(const void *x, const void *y)
{
    const refkey_t *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->r != q->r) return p->r < q->r ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

static void ref_sort_dedup(io_rows_t *r, int with_r, uint64_t *dropped)
{
    err_t e = {0};
    io_rows_dedup(r, with_r, dropped, &e);
    refkey_t *k = malloc((r->n ? r->n : 1) * sizeof *k);
    io_rows_t c;
    io_rows_init_cols(&c, r->cols);
    for (uint64_t i = 0; i < r->n; i++) k[i] = (refkey_t){r->a[i], with_r && r->r ? r->r[i] : 0, r->b[i], i};
    qsort(k, r->n, sizeof *k, cmp_refkey);
    for (uint64_t n = 0; n < r->n; n++) {
        uint64_t i = k[n].i;
        io_rows_push(&c, r->a[i], r->b[i], r->r ? r->r[i] : 0, r->rating ? r->rating[i] : NAN,
                     r->time ? r->time[i] : IO_NO_TIME, r->line ? r->line[i] : 0, &e);
    }
    free(k);
    io_rows_destroy(r);
    *r = c;
}

static void test_sort_dedup(void)
{
    /* cols: none (an adj file), rating+time (edges with --columns), all (kg) */
    static const unsigned colsets[] = {0, IO_ROWS_RATING | IO_ROWS_TIME, IO_ROWS_ALL};
    uint64_t seed = 12345;
    for (int cs = 0; cs < 3; cs++)
        for (int with_r = 0; with_r < 2; with_r++)
            for (int size = 0; size < 3; size++) {
                /* small id ranges so pairs repeat; user 0 gets many rows
                 * (the qsort path), the rest a few (insertion sort) */
                uint64_t n = size == 0 ? 1 : size == 1 ? 50 : 5000;
                io_rows_t x, y;
                err_t e = {0};
                io_rows_init_cols(&x, colsets[cs]);
                io_rows_init_cols(&y, colsets[cs]);
                for (uint64_t i = 0; i < n; i++) {
                    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                    uint32_t h = (uint32_t)(seed >> 33);
                    uint32_t a = h % 4 == 0 ? 0 : (h >> 2) % 97, b = (h >> 9) % 40, rr = (h >> 20) % 3;
                    /* line: file order; rows with attributes have a line
                     * each (edges), without they share lines (adj) */
                    uint32_t line = (uint32_t)(colsets[cs] ? i + 1 : i / 3 + 1);
                    io_rows_push(&x, a, b, rr, (float)i, (int64_t)i * 7, line, &e);
                    io_rows_push(&y, a, b, rr, (float)i, (int64_t)i * 7, line, &e);
                }
                uint64_t dx = 99, dy = 98;
                CHECK_EQ_INT(io_rows_sort_dedup(&x, with_r, &dx, &e), ERR_OK);
                ref_sort_dedup(&y, with_r, &dy);
                CHECK_MSG(dx == dy && x.n == y.n, "cols %u r %d n %llu: dropped %llu vs %llu", colsets[cs], with_r,
                          (unsigned long long)n, (unsigned long long)dx, (unsigned long long)dy);
                if (size == 2) CHECK(dx > 0);   /* the case had repeats to drop */
                int same = x.n == y.n;
                for (uint64_t i = 0; same && i < x.n; i++) {
                    same = x.a[i] == y.a[i] && x.b[i] == y.b[i] && (!x.r || x.r[i] == y.r[i]) &&
                           (!x.line || x.line[i] == y.line[i]);
                    /* rating and time are unique per row: the row kept is the first one */
                    if (same && x.rating) same = x.rating[i] == y.rating[i];
                    if (same && x.time) same = x.time[i] == y.time[i];
                }
                CHECK_MSG(same, "cols %u r %d n %llu: rows differ from the reference", colsets[cs], with_r,
                          (unsigned long long)n);
                /* a second pass finds nothing left to drop and keeps the order */
                CHECK_EQ_INT(io_rows_sort_dedup(&x, with_r, &dx, &e), ERR_OK);
                CHECK_EQ_INT(dx, 0);
                io_rows_destroy(&x);
                io_rows_destroy(&y);
            }
    /* edges-format rows (one row per line): the first occurrence's rating */
    {
        io_rows_t x;
        err_t e = {0};
        uint64_t d;
        io_rows_init_cols(&x, IO_ROWS_RATING);
        CHECK(x.line != NULL || x.cols & IO_ROWS_LINE);   /* an attribute brings its line */
        io_rows_push(&x, 1, 2, 0, 5.0f, IO_NO_TIME, 1, &e);
        io_rows_push(&x, 0, 9, 0, 1.0f, IO_NO_TIME, 2, &e);
        io_rows_push(&x, 1, 2, 0, 3.0f, IO_NO_TIME, 3, &e);
        CHECK_EQ_INT(io_rows_sort_dedup(&x, 0, &d, &e), ERR_OK);
        CHECK(d == 1 && x.n == 2 && x.a[0] == 0 && x.a[1] == 1 && x.rating[1] == 5.0f && x.line[1] == 1);
        CHECK(x.time == NULL && x.r == NULL);   /* absent columns are not allocated */
        io_rows_destroy(&x);
    }
}

/* The size estimate from the file's first bytes is only a hint: a file
 * whose later lines hold many more rows per byte than its first ones still
 * reads whole (the arrays grow past the estimate). */
static void test_size_estimate(void)
{
    for (int adj = 0; adj < 2; adj++) {
        /* 3000 lines with 200-byte ids, then 200000 rows of short ids: the
         * estimate from the first part is far too small */
        size_t cap = 3000 * 420 + 200000 * 12 + 64, len = 0;
        char *buf = malloc(cap);
        char longid[201];
        memset(longid, 'x', 200);
        longid[200] = 0;
        for (int i = 0; i < 3000; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%d%c%s%d\n", longid, i, adj ? ' ' : '\t', longid, i);
        uint64_t want = 3000;
        if (adj) {
            for (int u = 0; u < 2000; u++) {
                len += (size_t)snprintf(buf + len, cap - len, "u%d", u);
                for (int k = 0; k < 100; k++) len += (size_t)snprintf(buf + len, cap - len, " %d", k);
                buf[len++] = '\n';
                want += 100;
            }
        } else {
            for (int i = 0; i < 200000; i++) len += (size_t)snprintf(buf + len, cap - len, "u%d\t%d\n", i % 2000, i % 100);
            want += 200000;
        }
        const char *p = write_bytes(buf, len);
        free(buf);
        io_spec_t s;
        io_spec_default(&s);
        if (adj) s.format = IO_FORMAT_ADJ;
        maps_t m;
        maps_init(&m);
        io_rows_destroy(&m.rows);
        io_rows_init_cols(&m.rows, io_spec_row_cols(&s));
        CHECK_EQ_INT(read_spec(&m, p, &s), ERR_OK);
        CHECK_MSG(m.rows.n == want, "%s: %llu rows, want %llu", adj ? "adj" : "edges",
                  (unsigned long long)m.rows.n, (unsigned long long)want);
        CHECK(m.rows.cap >= m.rows.n);
        CHECK(m.rows.n == want && !strcmp(uname_(&m, want - 1), adj ? "u1999" : "u1999") &&
              !strcmp(iname_(&m, want - 1), "99"));
        CHECK(m.rows.line == NULL && m.rows.rating == NULL);   /* user,item rows: two columns */
        maps_destroy(&m);
    }
    /* io_lines offset: every byte of the file is consumed at the end */
    io_lines_t in;
    err_t e = {0};
    const char *p = write_str("a\r\nbb\n\nccc");
    char *line;
    size_t len;
    CHECK_EQ_INT(io_lines_open(&in, p, 100, &e), ERR_OK);
    CHECK_EQ_INT(in.size, 10);
    while (!io_lines_next(&in, &line, &len, &e) && line) {}
    CHECK_EQ_INT(in.offset, 10);
    io_lines_close(&in);
}

/* ------------------------------------------------------------------ split */

/* users 0..U-1, user u has u+1 interactions (items 0..u), time = reversed
 * item order for odd users so that "latest" differs from "last line". */
static void make_rows(io_rows_t *r, uint32_t n_users, int with_time)
{
    io_rows_init(r);
    err_t e = {0};
    uint32_t line = 1;
    /* interleave users so file order is not user order */
    for (uint32_t k = 0; k < n_users; k++)
        for (uint32_t u = 0; u < n_users; u++)
            if (k <= u) {
                int64_t t = with_time ? (u % 2 ? 1000 - (int64_t)k : (int64_t)k) : IO_NO_TIME;
                io_rows_push(r, u, k, 0, NAN, t, line++, &e);
            }
}

static void test_split(void)
{
    io_split_t sp;
    err_t e = {0};
    CHECK_EQ_INT(io_split_parse("random:0.2", &sp, &e), ERR_OK);
    CHECK(sp.kind == IO_SPLIT_RANDOM && fabs(sp.fraction - 0.2) < 1e-12);
    CHECK_EQ_INT(io_split_parse("temporal:0.5", &sp, &e), ERR_OK);
    CHECK(sp.kind == IO_SPLIT_TEMPORAL && sp.fraction == 0.5);
    CHECK_EQ_INT(io_split_parse("leave-one-out", &sp, &e), ERR_OK);
    CHECK(sp.kind == IO_SPLIT_LOO);
    const char *bad[] = {"random", "random:", "random:0", "random:1", "random:1.5", "random:-0.1",
                         "random:0.2x", "temporal:abc", "loo", "leave-one-out:1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(io_split_parse(bad[i], &sp, &e) == ERR_USAGE, "'%s' accepted", bad[i]);

    uint32_t U = 40;
    io_rows_t r;
    make_rows(&r, U, 1);
    uint8_t *t1 = malloc(r.n), *t2 = malloc(r.n), *t3 = malloc(r.n);

    /* random: per user round(F*m) in test, capped at m-1; m = 1 stays in train */
    io_split_parse("random:0.3", &sp, &e);
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 7, t1, &e), ERR_OK);
    int bad_count = 0;
    uint64_t total = 0;
    for (uint32_t u = 0; u < U; u++) {
        uint64_t m = u + 1, k = 0;
        for (uint64_t i = 0; i < r.n; i++) if (r.a[i] == u) k += t1[i];
        uint64_t want = (uint64_t)floor(0.3 * (double)m + 0.5);
        if (want >= m) want = m - 1;
        if (k != want) { bad_count++; fprintf(stderr, "random: user %u: %llu in test, want %llu\n", u, (unsigned long long)k, (unsigned long long)want); }
        total += k;
    }
    CHECK_EQ_INT(bad_count, 0);
    CHECK(total > 0);
    /* same seed, same split; another seed, another split */
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 7, t2, &e), ERR_OK);
    CHECK(memcmp(t1, t2, r.n) == 0);
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 8, t3, &e), ERR_OK);
    CHECK(memcmp(t1, t3, r.n) != 0);
    /* the choice is spread out: over many users, every position of a user's
     * rows is drawn sometimes (not always the first or last ones) */
    {
        io_rows_t big;
        io_rows_init(&big);
        for (uint32_t u = 0; u < 500; u++)
            for (uint32_t k = 0; k < 10; k++) io_rows_push(&big, u, k, 0, NAN, IO_NO_TIME, u * 10 + k + 1, &e);
        uint8_t *tb = malloc(big.n);
        io_split_parse("random:0.2", &sp, &e);
        CHECK_EQ_INT(io_split_rows(&big, 500, &sp, 1, tb, &e), ERR_OK);
        uint64_t per_pos[10] = {0};
        for (uint64_t i = 0; i < big.n; i++) per_pos[i % 10] += tb[i];
        for (int k = 0; k < 10; k++) CHECK_MSG(per_pos[k] > 50 && per_pos[k] < 150, "position %d drawn %llu times of ~100", k, (unsigned long long)per_pos[k]);
        free(tb);
        io_rows_destroy(&big);
    }

    /* temporal: the user's latest round(F*m) by time go to test */
    io_split_parse("temporal:0.25", &sp, &e);
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 7, t1, &e), ERR_OK);
    bad_count = 0;
    for (uint64_t i = 0; i < r.n; i++) {
        uint32_t u = r.a[i], k = r.b[i];
        uint64_t m = u + 1, want = (uint64_t)floor(0.25 * (double)m + 0.5);
        if (want >= m) want = m - 1;
        /* even users: time = k, latest = largest k; odd: time = 1000-k, latest = smallest k */
        int latest = u % 2 ? k < want : k >= m - want;
        if (t1[i] != latest) bad_count++;
    }
    CHECK_EQ_INT(bad_count, 0);
    /* deterministic regardless of seed */
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 12345, t2, &e), ERR_OK);
    CHECK(memcmp(t1, t2, r.n) == 0);

    /* leave-one-out with time: exactly the latest row of each user with m >= 2 */
    io_split_parse("leave-one-out", &sp, &e);
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 7, t1, &e), ERR_OK);
    bad_count = 0;
    for (uint64_t i = 0; i < r.n; i++) {
        uint32_t u = r.a[i], k = r.b[i];
        int latest = u == 0 ? 0 : u % 2 ? k == 0 : k == u;
        if (t1[i] != latest) bad_count++;
    }
    CHECK_EQ_INT(bad_count, 0);
    io_rows_destroy(&r);

    /* leave-one-out without time: the user's last line */
    make_rows(&r, U, 0);
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 7, t1, &e), ERR_OK);
    bad_count = 0;
    for (uint64_t i = 0; i < r.n; i++) {
        uint32_t u = r.a[i], k = r.b[i];
        if (t1[i] != (u > 0 && k == u)) bad_count++;
    }
    CHECK_EQ_INT(bad_count, 0);
    /* temporal without a time column: usage error */
    io_split_parse("temporal:0.2", &sp, &e);
    CHECK_EQ_INT(io_split_rows(&r, U, &sp, 7, t1, &e), ERR_USAGE);
    io_rows_destroy(&r);

    /* temporal ties: equal times, the later line is later */
    io_rows_init(&r);
    io_rows_push(&r, 0, 0, 0, NAN, 5, 1, &e);
    io_rows_push(&r, 0, 1, 0, NAN, 9, 2, &e);
    io_rows_push(&r, 0, 2, 0, NAN, 9, 3, &e);
    io_rows_push(&r, 0, 3, 0, NAN, 1, 4, &e);
    io_split_parse("leave-one-out", &sp, &e);
    CHECK_EQ_INT(io_split_rows(&r, 1, &sp, 7, t1, &e), ERR_OK);
    CHECK(t1[0] == 0 && t1[1] == 0 && t1[2] == 1 && t1[3] == 0);
    io_split_parse("temporal:0.5", &sp, &e);
    CHECK_EQ_INT(io_split_rows(&r, 1, &sp, 7, t1, &e), ERR_OK);
    CHECK(t1[0] == 0 && t1[1] == 1 && t1[2] == 1 && t1[3] == 0);
    /* a user with a single interaction stays in train under every split */
    io_rows_push(&r, 1, 0, 0, NAN, 3, 5, &e);
    const char *kinds[] = {"random:0.9", "temporal:0.9", "leave-one-out"};
    for (int k = 0; k < 3; k++) {
        io_split_parse(kinds[k], &sp, &e);
        CHECK_EQ_INT(io_split_rows(&r, 2, &sp, 7, t1, &e), ERR_OK);
        CHECK_MSG(t1[4] == 0, "%s moved a single interaction to test", kinds[k]);
        /* and the 4-row user keeps one in train even at 0.9 */
        CHECK_EQ_INT(t1[0] + t1[1] + t1[2] + t1[3], k == 2 ? 1 : 3);
    }
    io_rows_destroy(&r);
    free(t1); free(t2); free(t3);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/gnnrec-test-ingest-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    test_lines();
    test_split_fields();
    test_spec();
    test_edges_good();
    test_edges_bad();
    test_adj();
    test_social_kg();
    test_dedup();
    test_sort_dedup();
    test_size_estimate();
    test_split();
    /* clean up the temp files */
    char p[400];
    for (int i = 0; i < file_no; i++) {
        snprintf(p, sizeof p, "%s/f%03d.txt", tmpdir, i);
        unlink(p);
    }
    rmdir(tmpdir);
    return check_report();
}
