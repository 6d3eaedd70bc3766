/* test_powerlaw.c - the alias tables against their plain reference (exact
 * probabilities and sampled frequencies), and the large-graph generator
 * through memory streams: exactly N interactions, every user on one line,
 * ids in range, no pair twice, the split, determinism, bad parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/alias.h"
#include "graph/powerlaw.h"
#include "tests/check.h"

static void alias_case(const double *w, uint32_t n, int draws)
{
    graph_alias_slot_t *t = malloc(n * sizeof *t);
    double *p = malloc(n * sizeof *p), sum = 0, worst = 0;
    uint32_t *st = malloc(n * sizeof *st), *cnt = calloc(n, sizeof *cnt);
    graph_alias_build(w, n, t, p, st);
    for (uint32_t k = 0; k < n; k++) sum += w[k];
    for (uint32_t k = 0; k < n; k++) {
        double d = fabs(graph_alias_prob(t, n, k) - w[k] / sum);
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 1e-9, "n %u: table probability off by %g", n, worst);
    rng_t r;
    rng_seed(&r, 11);
    int out = 0;
    for (int i = 0; i < draws; i++) {
        uint32_t k = graph_alias_draw(t, n, &r);
        if (k < n) cnt[k]++;
        else out++;
    }
    CHECK_EQ_INT(out, 0);
    /* each count within 5 sigma of its binomial mean (+1 for tiny cells) */
    int bad = 0;
    for (uint32_t k = 0; k < n; k++) {
        double q = w[k] / sum, mu = draws * q, sd = sqrt(draws * q * (1 - q));
        if (fabs(cnt[k] - mu) > 5 * sd + 1) bad++;
        if (w[k] == 0 && cnt[k]) bad++;
    }
    CHECK_MSG(bad == 0, "n %u: %d slots drawn off their weight", n, bad);
    free(t); free(p); free(st); free(cnt);
}

typedef struct mem { char *buf; size_t len; FILE *f; } mem_t;

static int run(const graph_pl_params_t *p, mem_t *tr, mem_t *te, graph_pl_stats_t *st)
{
    err_t e = {0};
    tr->f = open_memstream(&tr->buf, &tr->len);
    te->f = p->test_fraction > 0 ? open_memstream(&te->buf, &te->len) : NULL;
    int rc = graph_pl_generate(p, tr->f, "train", te->f, "test", -1, st, &e);
    fclose(tr->f);
    if (te->f) fclose(te->f);
    if (rc) fprintf(stderr, "generate: %s\n", e.msg);
    return rc;
}

/* parse adj text into pairs; returns the count, -1 if a line is malformed */
static long parse_adj(const char *s, uint32_t *uu, uint32_t *ii, long cap, uint32_t *line_users, long *lines)
{
    long n = 0;
    *lines = 0;
    while (*s) {
        char *end;
        unsigned long u = strtoul(s, &end, 10);
        if (end == s) return -1;
        line_users[(*lines)++] = (uint32_t)u;
        s = end;
        while (*s == ' ') {
            unsigned long i = strtoul(s + 1, &end, 10);
            if (end == s + 1 || n >= cap) return -1;
            uu[n] = (uint32_t)u; ii[n++] = (uint32_t)i;
            s = end;
        }
        if (*s != '\n') return -1;
        s++;
    }
    return n;
}

static int cmp_pair(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    /* alias: skewed, with zeros, a single slot, flat */
    enum { N1 = 1000 };
    static double w[N1];
    for (int k = 0; k < N1; k++) w[k] = k % 7 == 3 ? 0 : pow(k + 1.0, -0.9);
    alias_case(w, N1, 2000000);
    double one = 5;
    alias_case(&one, 1, 1000);
    double flat[3] = {1, 1, 1}, spike[4] = {1e-12, 1, 1e6, 0};
    alias_case(flat, 3, 30000);
    alias_case(spike, 4, 100000);

    /* the generator */
    graph_pl_params_t p;
    graph_pl_defaults(&p);
    p.n_interactions = 30000;
    p.n_users = 1500;
    p.n_items = 900;
    p.n_communities = 6;
    p.test_fraction = 0.25;
    err_t e = {0};
    CHECK(graph_pl_resolve(&p, &e) == 0);
    mem_t a = {0}, at = {0}, b = {0}, bt = {0};
    graph_pl_stats_t sa, sb;
    CHECK(run(&p, &a, &at, &sa) == 0);
    CHECK_EQ_INT(sa.train + sa.test, 30000);
    CHECK_NEAR((double)sa.test / 30000, 0.25, 0.02);
    CHECK(run(&p, &b, &bt, &sb) == 0);
    CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
    CHECK(at.len == bt.len && !memcmp(at.buf, bt.buf, at.len));
    long cap = 40000, lines, tlines;
    uint32_t *uu = malloc(cap * sizeof *uu), *ii = malloc(cap * sizeof *ii);
    uint32_t *lu = malloc(cap * sizeof *lu), *tl = malloc(cap * sizeof *tl);
    long n = parse_adj(a.buf, uu, ii, cap, lu, &lines);
    CHECK_EQ_INT(n, (long)sa.train);
    CHECK_EQ_INT(lines, 1500);   /* every user has a train line, in order */
    int ordered = 1;
    for (long k = 0; k < lines; k++) ordered &= lu[k] == (uint32_t)k;
    CHECK(ordered);
    long m = n >= 0 ? parse_adj(at.buf, uu + n, ii + n, cap - n, tl, &tlines) : -1;
    CHECK_EQ_INT(m, (long)sa.test);
    if (n >= 0 && m >= 0) {
        uint64_t *pairs = malloc((size_t)(n + m) * sizeof *pairs);
        int range = 1, dup = 0;
        for (long k = 0; k < n + m; k++) {
            range &= uu[k] < 1500 && ii[k] < 900;
            pairs[k] = (uint64_t)uu[k] << 32 | ii[k];
        }
        qsort(pairs, (size_t)(n + m), sizeof *pairs, cmp_pair);
        for (long k = 1; k < n + m; k++) dup += pairs[k] == pairs[k - 1];
        CHECK(range);
        CHECK_EQ_INT(dup, 0);   /* no pair twice, train and test together */
        free(pairs);
    }
    /* a different seed, the edges format */
    mem_t c = {0}, ct = {0};
    p.seed = 99;
    CHECK(run(&p, &c, &ct, &sa) == 0);
    CHECK(c.len != a.len || memcmp(c.buf, a.buf, a.len));
    free(c.buf); free(ct.buf);
    p.format = GRAPH_PL_EDGES;
    p.test_fraction = 0;
    CHECK(run(&p, &c, &ct, &sa) == 0);
    long tabs = 0, nl = 0;
    for (size_t k = 0; k < c.len; k++) { tabs += c.buf[k] == '\t'; nl += c.buf[k] == '\n'; }
    CHECK_EQ_INT(nl, 30000);
    CHECK_EQ_INT(tabs, 30000);
    free(c.buf);

    /* bad parameters */
    graph_pl_params_t q;
    graph_pl_defaults(&q);
    CHECK(graph_pl_resolve(&q, &e) == ERR_USAGE);   /* neither N nor mean */
    q.n_interactions = 100; q.n_users = 1000;
    CHECK(graph_pl_resolve(&q, &e) == ERR_USAGE);   /* mean 0.1 < min degree 1 */
    graph_pl_defaults(&q);
    q.n_interactions = 1000000; q.n_users = 100; q.n_items = 1000;
    CHECK(graph_pl_resolve(&q, &e) == ERR_USAGE);   /* mean 10000 > items / 2 */
    graph_pl_defaults(&q);
    q.n_interactions = 1000; q.n_items = 10; q.n_communities = 20;
    CHECK(graph_pl_resolve(&q, &e) == ERR_USAGE);   /* communities > items */
    graph_pl_defaults(&q);
    q.mean_degree = 12.5; q.n_users = 400;
    CHECK(graph_pl_resolve(&q, &e) == 0);
    CHECK_EQ_INT(q.n_interactions, 5000);
    free(uu); free(ii); free(lu); free(tl);
    free(a.buf); free(at.buf); free(b.buf); free(bt.buf);
    return check_report();
}
