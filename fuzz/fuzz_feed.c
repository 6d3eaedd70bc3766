/* fuzz_feed.c - libFuzzer harness: the parsers of `gnnrec rank-feed`'s
 * input files (feed/candidates.h), called directly: no store, no model.
 *
 * Input layout: byte 0 picks the options (bits 0-1 the delimiter, 2-3 the
 * columns; bit 4 also reads the bytes as a labels file); the rest is the
 * candidates file, cut into lines the way the job cuts them ('\n', a final
 * '\r' dropped). Checked for every line: the fast pass (no message) and the
 * reporting pass agree on good and bad (the job relies on it to report the
 * line the fast pass refused), a bad line is ERR_INPUT with a message
 * naming FILE:LINE, and a good line's fields and content ids lie inside the
 * line, non-empty and at most STORE_MAX_ID_LEN bytes. The labels parser
 * returns ERR_OK or ERR_INPUT, never anything else.
 */
#include <stdlib.h>

#include "fuzz/fuzz_common.h"
#include "feed/candidates.h"

static void check_field(const char *line, uint32_t len, uint32_t off, uint32_t l)
{
    FUZZ_CHECK(l > 0 && l <= STORE_MAX_ID_LEN && off <= len && l <= len - off);
    (void)line;
}

static void scan(const feed_cols_t *c, const char *s, uint32_t len, uint64_t line)
{
    static feed_tok_t tok[FEED_MAX_CONTENT];
    feed_fields_t f;
    int64_t time;
    uint32_t nt = 0;
    err_t e = {0};
    int fast = feed_scan_line(c, s, len, line, 1, &f, &time, tok, &nt, NULL);
    int slow = feed_scan_line(c, s, len, line, 1, &f, &time, tok, &nt, &e);
    FUZZ_CHECK(fast == slow);
    if (slow) {
        char want[64];
        snprintf(want, sizeof want, "%s:%llu: ", c->path, (unsigned long long)line);
        FUZZ_CHECK(slow == ERR_INPUT && strstr(e.msg, want) == e.msg);
        return;
    }
    check_field(s, len, f.vo, f.vl);
    check_field(s, len, f.po, f.pl);
    check_field(s, len, f.ao, f.al);
    FUZZ_CHECK(nt <= FEED_MAX_CONTENT);
    for (uint32_t i = 0; i < nt; i++)
        FUZZ_CHECK(tok[i].len > 0 && tok[i].s >= s && tok[i].s + tok[i].len <= s + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {'\t', ',', ' ', '\t'};
    static const char *const columns[] = {"viewer,post,author,content,time", "viewer,post,author",
                                          "viewer,post,author,content", "_,viewer,post,author,time"};
    if (size < 1) return 0;
    uint8_t opt = data[0];
    feed_cols_t c;
    FUZZ_CHECK(feed_cols_parse(&c, columns[(opt >> 2) & 3], NULL) == ERR_OK);
    c.path = "cands.tsv";
    c.delim = delims[opt & 3];
    size_t n = size - 1;
    char *buf = malloc(n + FEED_PAD);   /* the job's chunk buffer has FEED_PAD bytes of slack */
    FUZZ_CHECK(buf);
    memcpy(buf, data + 1, n);
    memset(buf + n, 0, FEED_PAD);
    uint64_t line = 0;
    for (size_t lo = 0; lo < n;) {
        const char *nl = memchr(buf + lo, '\n', n - lo);
        size_t end = nl ? (size_t)(nl - buf) : n, len = end - lo;
        if (len && buf[end - 1] == '\r') len--;
        line++;
        if (len <= ((size_t)1 << 20)) scan(&c, buf + lo, (uint32_t)len, line);
        lo = end + 1;
    }
    free(buf);
    if (opt & 0x10) {
        strmap_t labels;
        uint64_t loaded;
        err_t e = {0};
        FUZZ_CHECK(strmap_init(&labels) == 0);
        int rc = feed_labels_load(fuzz_file(data + 1, size - 1), &labels, &loaded, &e);
        FUZZ_CHECK(rc == ERR_OK || rc == ERR_INPUT);
        FUZZ_CHECK(rc || loaded == labels.n);
        strmap_destroy(&labels);
    }
    return 0;
}
