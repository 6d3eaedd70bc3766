/* test_feed.c - unit tests of feed/feed.h: the score terms on a hand-made
 * model, recency, the top N with a per-author cap (against a brute-force
 * reference on random cases, including the path where the cap rejects more
 * than the first selection holds), NDCG/AUC on hand-computed cases and the
 * tie CSR (graph_social_sym); the merge of a distributed job's framed
 * parts (feed_frames_merge: order, sums, a damaged part). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "feed/feed.h"
#include "feed/job.h"
#include "graph/typed.h"

/* users: u0 = (1,0), u1 = (0,1), u2 = (1,1); content: c0 = (2,0), c1 = (0,3) */
static const float users[] = {1, 0, 0, 1, 1, 1};
static const float content[] = {2, 0, 0, 3};

static void test_terms(void)
{
    uint32_t ta[] = {0, 1, 2}, tb[] = {2, 1, 0};   /* tie 0-2 twice, a self-loop 1-1 */
    graph_csr_t ties;
    CHECK(graph_social_sym(&ties, 3, ta, tb, 3, 0, NULL) == ERR_OK);
    CHECK(ties.nnz == 2 && ties.ptr[1] == 1 && ties.ptr[2] == 1);   /* 0-2 and 2-0, once each */
    uint32_t bad[] = {3};
    graph_csr_t none;
    CHECK(graph_social_sym(&none, 3, ta, bad, 1, 0, NULL) == ERR_STORE);   /* user 3 of 3 */
    feed_model_t m = {users, content, 3, 2, 2, &ties, NULL, NULL, NULL, NULL};
    CHECK(feed_tie(&m, 0, 2) && feed_tie(&m, 2, 0));
    CHECK(!feed_tie(&m, 1, 1) && !feed_tie(&m, 0, 1) && !feed_tie(&m, 7, 0));

    feed_cand_t c;
    uint32_t both[] = {0, 1}, one_unknown[] = {1, 99};
    feed_terms(&m, 0, 2, both, 2, &c);
    CHECK_NEAR(c.content, 1.0, 1e-6);          /* mean of dot = (2 + 0) / 2 */
    CHECK_NEAR(c.author, 1.0, 1e-6);
    CHECK_NEAR(c.tie, 1.0, 0);
    CHECK_EQ_INT(c.flags, 0);
    feed_terms(&m, 1, 0, one_unknown, 2, &c);   /* unknown content rows are left out of the mean */
    CHECK_NEAR(c.content, 3.0, 1e-6);
    CHECK_NEAR(c.author, 0.0, 1e-6);
    CHECK_NEAR(c.tie, 0.0, 0);
    feed_terms(&m, 1, 2, NULL, 0, &c);     /* no content: the author's embedding stands in */
    CHECK_NEAR(c.content, 1.0, 1e-6);
    CHECK_EQ_INT(c.flags, FEED_AUTHOR_CONTENT);
    feed_terms(&m, 1, FEED_NONE, one_unknown + 1, 1, &c);
    CHECK_EQ_INT(c.flags, FEED_UNKNOWN_AUTHOR | FEED_NO_CONTENT);
    CHECK(c.content == 0 && c.author == 0 && c.tie == 0);
    feed_terms(&m, FEED_NONE, 2, both, 2, &c);
    CHECK(c.flags & FEED_UNKNOWN_VIEWER);
    CHECK(c.content == 0 && c.author == 0 && c.tie == 0);
    feed_model_t no_ties = m;
    no_ties.ties = NULL;
    feed_terms(&no_ties, 0, 2, both, 2, &c);
    CHECK_NEAR(c.tie, 0.0, 0);
    graph_csr_destroy(&ties);
}

static void test_score(void)
{
    feed_weights_t w = {2.0f, 0.5f, 3.0f, 4.0f, 100.0};
    feed_cand_t c[5];
    memset(c, 0, sizeof c);
    int64_t t[5] = {1000, 900, 800, 1100, FEED_NO_TIME};
    for (int i = 0; i < 5; i++) { c[i].time = t[i]; c[i].content = 1; c[i].author = 2; c[i].tie = (float)(i % 2); }
    CHECK_EQ_INT(feed_newest(c, 5), 1100);
    CHECK_EQ_INT(feed_newest(c + 4, 1), FEED_NO_TIME);
    feed_score(&w, 1000, c, 5);
    CHECK_NEAR(c[0].recency, 1.0, 1e-6);
    CHECK_NEAR(c[1].recency, 0.5, 1e-6);    /* one half-life old */
    CHECK_NEAR(c[2].recency, 0.25, 1e-6);
    CHECK_NEAR(c[3].recency, 1.0, 1e-6);    /* newer than now: age 0 */
    CHECK_NEAR(c[4].recency, 0.0, 0);       /* no time, no recency */
    CHECK_NEAR(c[1].score, 2 * 1 + 0.5 * 2 + 3 * 1 + 4 * 0.5, 1e-5);
    CHECK_NEAR(c[4].score, 2 * 1 + 0.5 * 2 + 0, 1e-5);
    feed_score(&w, FEED_NO_TIME, c, 1);
    CHECK_NEAR(c[0].recency, 0.0, 0);
}

/* Reference: sort everything, then take greedily within the cap. */
static int cmp_ref(const void *a, const void *b, const feed_cand_t *c)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (c[x].score != c[y].score) return c[x].score > c[y].score ? -1 : 1;
    return c[x].order < c[y].order ? -1 : 1;
}

static uint32_t top_ref(const feed_cand_t *c, uint32_t n, uint32_t top, uint32_t cap, uint32_t *out)
{
    uint32_t *idx = malloc(n * sizeof *idx), got = 0;
    for (uint32_t i = 0; i < n; i++) idx[i] = i;
    for (uint32_t i = 1; i < n; i++)   /* insertion sort: n is small here */
        for (uint32_t k = i; k > 0 && cmp_ref(&idx[k], &idx[k - 1], c) < 0; k--) {
            uint32_t t = idx[k]; idx[k] = idx[k - 1]; idx[k - 1] = t;
        }
    for (uint32_t i = 0; i < n && got < top; i++) {
        uint32_t same = 0;
        for (uint32_t k = 0; k < got; k++) same += c[out[k]].author_key == c[idx[i]].author_key;
        if (!cap || same < cap) out[got++] = idx[i];
    }
    free(idx);
    return got;
}

static void test_top(void)
{
    /* hand case: authors A A A B B C, scores descending, cap 2, top 4 */
    feed_cand_t c[6];
    memset(c, 0, sizeof c);
    float sc[6] = {9, 8, 7, 6, 5, 4};
    uint64_t au[6] = {1, 1, 1, 2, 2, 3};
    for (int i = 0; i < 6; i++) { c[i].score = sc[i]; c[i].author_key = au[i]; c[i].order = (uint64_t)i; }
    uint32_t out[6], scratch[6];
    uint32_t got = feed_top(c, 6, 4, 2, out, scratch);
    CHECK_EQ_INT(got, 4);
    CHECK(out[0] == 0 && out[1] == 1 && out[2] == 3 && out[3] == 4);   /* the third A is skipped */
    got = feed_top(c, 6, 6, 1, out, scratch);
    CHECK_EQ_INT(got, 3);                   /* no filling up beyond the cap */
    CHECK(out[0] == 0 && out[1] == 3 && out[2] == 5);
    got = feed_top(c, 6, 3, 0, out, scratch);
    CHECK(got == 3 && out[0] == 0 && out[1] == 1 && out[2] == 2);
    CHECK_EQ_INT(feed_top(c, 6, 0, 2, out, scratch), 0);
    CHECK_EQ_INT(feed_top(c, 0, 3, 2, out, scratch), 0);
    /* equal scores: input order decides */
    c[4].score = c[3].score;
    c[3].order = 10;
    got = feed_top(c, 6, 6, 0, out, scratch);
    CHECK(out[3] == 4 && out[4] == 3);

    /* random cases against the reference, many with one dominant author so
     * that the cap rejects more than the first selection (2 x top) holds */
    srand(7);
    int mismatches = 0;
    for (int it = 0; it < 2000; it++) {
        uint32_t n = 1 + (uint32_t)(rand() % 120), top = 1 + (uint32_t)(rand() % 12), cap = (uint32_t)(rand() % 4);
        uint32_t authors = 1 + (uint32_t)(rand() % 6);
        feed_cand_t *x = malloc(n * sizeof *x);
        uint32_t *o1 = malloc(n * sizeof *o1), *o2 = malloc(n * sizeof *o2), *s = malloc(n * sizeof *s);
        for (uint32_t i = 0; i < n; i++) {
            memset(&x[i], 0, sizeof x[i]);
            x[i].score = (float)(rand() % 20);   /* many ties */
            x[i].author_key = rand() % 3 ? 0 : (uint64_t)(rand() % (int)authors);
            x[i].order = (uint64_t)(n - i) * 3;  /* order unrelated to position */
        }
        uint32_t g1 = feed_top(x, n, top, cap, o1, s), g2 = top_ref(x, n, top, cap, o2);
        if (g1 != g2 || memcmp(o1, o2, g1 * sizeof *o1)) mismatches++;
        free(x); free(o1); free(o2); free(s);
    }
    CHECK_EQ_INT(mismatches, 0);
}

static void test_metrics(void)
{
    uint32_t scratch[16];
    double ndcg, auc;
    /* positives at ranks 2 and 4 of 4 */
    double k1[] = {0.9, 0.8, 0.7, 0.6};
    uint8_t l1[] = {0, 1, 0, 1};
    feed_metrics(k1, l1, 4, 10, scratch, &ndcg, &auc);
    double dcg = 1 / log2(3.0) + 1 / log2(5.0), idcg = 1 + 1 / log2(3.0);
    CHECK_NEAR(ndcg, dcg / idcg, 1e-12);
    CHECK_NEAR(auc, 0.25, 1e-12);           /* 1 of 4 (pos, neg) pairs in order */
    feed_metrics(k1, l1, 4, 1, scratch, &ndcg, &auc);
    CHECK_NEAR(ndcg, 0.0, 1e-12);           /* @1: the top one is not engaged */
    /* the input order does not matter, only the keys */
    double k2[] = {0.6, 0.9, 0.7, 0.8};
    uint8_t l2[] = {1, 0, 0, 1};
    feed_metrics(k2, l2, 4, 10, scratch, &ndcg, &auc);
    CHECK_NEAR(ndcg, dcg / idcg, 1e-12);
    CHECK_NEAR(auc, 0.25, 1e-12);
    /* ties: half a pair for AUC; the earlier index ranks first for NDCG */
    double k3[] = {1, 1, 0};
    uint8_t l3[] = {1, 0, 0}, l4[] = {0, 1, 0};
    feed_metrics(k3, l3, 3, 10, scratch, &ndcg, &auc);
    CHECK_NEAR(ndcg, 1.0, 1e-12);
    CHECK_NEAR(auc, 0.75, 1e-12);
    feed_metrics(k3, l4, 3, 10, scratch, &ndcg, &auc);
    CHECK_NEAR(ndcg, 1 / log2(3.0), 1e-12);
    CHECK_NEAR(auc, 0.75, 1e-12);
    /* perfect, and undefined cases */
    double k5[] = {3, 2, 1};
    uint8_t l5[] = {1, 1, 0}, none[] = {0, 0, 0}, all[] = {1, 1, 1};
    feed_metrics(k5, l5, 3, 10, scratch, &ndcg, &auc);
    CHECK_NEAR(ndcg, 1.0, 1e-12);
    CHECK_NEAR(auc, 1.0, 1e-12);
    feed_metrics(k5, none, 3, 10, scratch, &ndcg, &auc);
    CHECK(isnan(ndcg) && isnan(auc));
    feed_metrics(k5, all, 3, 10, scratch, &ndcg, &auc);
    CHECK_NEAR(ndcg, 1.0, 1e-12);
    CHECK(isnan(auc));
    /* a reversed ranking */
    double k6[] = {1, 2, 3, 4};
    uint8_t l6[] = {1, 1, 0, 0};
    feed_metrics(k6, l6, 4, 10, scratch, &ndcg, &auc);
    CHECK_NEAR(auc, 0.0, 1e-12);
    CHECK_NEAR(ndcg, (1 / log2(4.0) + 1 / log2(5.0)) / idcg, 1e-12);
}

/* One framed viewer (as rank.c writes it) appended to f. */
static void put_frame(FILE *f, uint64_t first, const char *id, const char *rows, uint32_t nrows, double ndcg)
{
    feed_frame_t fr = {.first = first, .vlen = (uint32_t)strlen(id), .rlen = (uint32_t)strlen(rows), .rows = nrows};
    for (int m = 0; m < 2 * FEED_N_METHOD; m++) fr.gm[m] = m < FEED_N_METHOD ? ndcg + m : NAN;
    fwrite(&fr, sizeof fr, 1, f);
    fputs(id, f);
    fputs(rows, f);
}

static int merged(feed_part_t *p, int n, int sorted, char *got, size_t cap, feed_report_t *r)
{
    FILE *o = tmpfile();
    io_writer_t w = {.f = o, .path = "merged"};   /* io_writer_write: straight to the file */
    memset(r, 0, sizeof *r);
    int rc = feed_frames_merge(p, n, sorted, 1, &w, r, NULL);
    fflush(o);
    rewind(o);
    size_t k = fread(got, 1, cap - 1, o);
    got[k] = 0;
    fclose(o);
    return rc;
}

static void test_frames(void)
{
    /* part 0: viewers b (line 1) and d (line 9); part 1: a (line 4), c (line 6), both in one file after junk */
    FILE *f0 = tmpfile(), *f1 = tmpfile();
    put_frame(f0, 1, "b", "b1\nb2\n", 2, 0.5);
    put_frame(f0, 9, "d", "d1\n", 1, 0.25);
    fputs("junk", f1);
    long off = ftell(f1);
    put_frame(f1, 4, "a", "a1\n", 1, 1.0);
    put_frame(f1, 6, "c", "c1\n", 1, NAN);   /* no positive: out of the NDCG mean */
    feed_part_t p[2] = {{f0, 0, (uint64_t)ftell(f0)}, {f1, (uint64_t)off, (uint64_t)(ftell(f1) - off)}};
    char got[256];
    feed_report_t r;
    CHECK(merged(p, 2, 0, got, sizeof got, &r) == ERR_OK);
    CHECK(!strcmp(got, "b1\nb2\na1\nc1\nd1\n"));   /* by first line: 1 4 6 9 */
    CHECK_EQ_INT(r.groups, 4);
    CHECK_EQ_INT(r.rows, 5);
    CHECK_EQ_INT(r.eval_ndcg_n, 3);
    CHECK_NEAR(r.ndcg[0], (0.5 + 1.0 + 0.25) / 3, 1e-12);
    CHECK_NEAR(r.ndcg[2], (2.5 + 3.0 + 2.25) / 3, 1e-12);
    CHECK_EQ_INT(r.eval_auc_n, 0);
    CHECK(merged(p, 2, 1, got, sizeof got, &r) == ERR_OK);
    CHECK(!strcmp(got, "a1\nb1\nb2\nc1\nd1\n"));   /* by id */
    p[1].size -= 2;   /* the last frame cut short */
    CHECK(merged(p, 2, 0, got, sizeof got, &r) == ERR_IO);
    fclose(f0);
    fclose(f1);
}

int main(void)
{
    test_terms();
    test_frames();
    test_score();
    test_top();
    test_metrics();
    return check_report();
}
