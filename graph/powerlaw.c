/* powerlaw.c - see powerlaw.h. One pass over the users writes everything;
 * before it, a few passes over the degree ranks solve for the scale c (no
 * per-user memory: pi is a Feistel permutation, not a table). Assumes
 * IEEE doubles; pow/log come from libm, so byte-identical output is
 * promised for one build on one machine, not across libm versions. */
#include "graph/powerlaw.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/rng.h"
#include "graph/alias.h"

enum { STREAM_RANK = 1, STREAM_COMM = 2, STREAM_PERM = 3, STREAM_USER0 = 16 };

void graph_pl_defaults(graph_pl_params_t *p)
{
    *p = (graph_pl_params_t){.n_communities = 20, .user_alpha = 3.0, .item_alpha = 2.5, .affinity = 0.8,
                             .format = GRAPH_PL_ADJ, .seed = 2020};
}

int graph_pl_resolve(graph_pl_params_t *p, err_t *e)
{
    if (p->n_interactions == 0 && !(p->mean_degree > 0))
        return err_set(e, ERR_USAGE, "give --interactions N or --mean-degree X");
    if (p->n_users == 0) {
        uint64_t u = p->n_interactions ? (p->n_interactions + 19) / 20 : 100000;
        if (u > UINT32_MAX)
            return err_set(e, ERR_USAGE, "%llu interactions need --users (the default N / 20 is over 2^32)",
                           (unsigned long long)p->n_interactions);
        p->n_users = (uint32_t)u;
    }
    if (p->n_interactions == 0) {
        double n = p->mean_degree * p->n_users;
        if (!(n >= 1 && n < 1e15))
            return err_set(e, ERR_USAGE, "mean degree %g x %u users is out of range", p->mean_degree, p->n_users);
        p->n_interactions = (uint64_t)llround(n);
    }
    if (p->n_communities < 1) return err_set(e, ERR_USAGE, "need at least 1 community");
    if (p->n_items == 0) p->n_items = p->n_users / 2 > p->n_communities ? p->n_users / 2 : p->n_communities;
    if (p->n_items < 2 || p->n_items < p->n_communities)
        return err_set(e, ERR_USAGE, "need 2 <= items and communities (%u) <= items (%u)", p->n_communities,
                       p->n_items);
    double mean = (double)p->n_interactions / p->n_users;
    if (p->min_degree == 0) p->min_degree = mean / 2 >= 10 ? 10 : mean >= 2 ? (uint32_t)(mean / 2) : 1;
    if (p->max_degree == 0) {
        double m = 30 * mean > 64 ? 30 * mean : 64;
        if (m > p->n_items / 2) m = p->n_items / 2;
        if (m > GRAPH_PL_MAX_DEGREE) m = GRAPH_PL_MAX_DEGREE;
        p->max_degree = (uint32_t)m;
        if (p->max_degree < p->min_degree) p->max_degree = p->min_degree;
    }
    if (p->max_degree > p->n_items / 2 || p->max_degree > GRAPH_PL_MAX_DEGREE)
        return err_set(e, ERR_USAGE, "max degree %u is over items / 2 (%u) or %u", p->max_degree,
                       p->n_items / 2, GRAPH_PL_MAX_DEGREE);
    if (p->min_degree < 1 || p->min_degree > p->max_degree)
        return err_set(e, ERR_USAGE, "need 1 <= min degree (%u) <= max degree (%u)", p->min_degree,
                       p->max_degree);
    if ((double)p->n_interactions < (double)p->min_degree * p->n_users ||
        (double)p->n_interactions > (double)p->max_degree * p->n_users)
        return err_set(e, ERR_USAGE,
                       "%llu interactions over %u users is a mean degree of %.3g, outside [min degree %u, "
                       "max degree %u]", (unsigned long long)p->n_interactions, p->n_users, mean, p->min_degree,
                       p->max_degree);
    if (!(p->user_alpha > 1 && p->user_alpha <= 100) || !(p->item_alpha > 1 && p->item_alpha <= 100))
        return err_set(e, ERR_USAGE, "the degree exponents must be in (1, 100], got %g and %g",
                       p->user_alpha, p->item_alpha);
    if (!(p->affinity >= 0 && p->affinity <= 1))
        return err_set(e, ERR_USAGE, "affinity must be in [0, 1], got %g", p->affinity);
    if (!(p->test_fraction >= 0 && p->test_fraction < 1))
        return err_set(e, ERR_USAGE, "test fraction must be in [0, 1), got %g", p->test_fraction);
    if (p->format != GRAPH_PL_ADJ && p->format != GRAPH_PL_EDGES)
        return err_set(e, ERR_USAGE, "unknown format %d", p->format);
    return ERR_OK;
}

/* ---- the user permutation: a 4-round Feistel network on 2h bits, walked
 * until it lands below n (a bijection of [0, n); at most 4 steps expected) */

typedef struct perm { uint64_t n, mask, key[4]; int half; } perm_t;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void perm_init(perm_t *q, uint64_t n, uint64_t seed)
{
    int bits = 1;
    while (bits < 64 && (1ULL << bits) < n) bits++;
    q->n = n;
    q->half = (bits + 1) / 2;
    q->mask = (1ULL << q->half) - 1;
    rng_t r;
    rng_seed_stream(&r, seed, STREAM_PERM);
    for (int k = 0; k < 4; k++) q->key[k] = rng_u64(&r);
}

static uint64_t perm_apply(const perm_t *q, uint64_t x)
{
    do {
        uint64_t l = x >> q->half, r = x & q->mask;
        for (int k = 0; k < 4; k++) {
            uint64_t t = l ^ (mix64(r ^ q->key[k]) & q->mask);
            l = r;
            r = t;
        }
        x = (l << q->half) | r;
    } while (x >= q->n);
    return x;
}

/* ---- degrees: y_r = clamp(c q_r, lo, hi), q_r = ((r + 1/2) / U)^-s ---- */

typedef struct degrees { uint32_t n_users; double s, lo, hi, c; } degrees_t;

static double deg_y(const degrees_t *d, uint64_t r)
{
    double y = d->c * pow(((double)r + 0.5) / d->n_users, -d->s);
    return y < d->lo ? d->lo : y > d->hi ? d->hi : y;
}

/* S(c) = sum_r y_r and its slope sum of q_r over the unclamped ranks. */
static double deg_sum(const degrees_t *d, double c, double *slope)
{
    double s = 0, ds = 0;
    for (uint64_t r = 0; r < d->n_users; r++) {
        double q = pow(((double)r + 0.5) / d->n_users, -d->s), y = c * q;
        if (y <= d->lo) s += d->lo;
        else if (y >= d->hi) s += d->hi;
        else { s += y; ds += q; }
    }
    *slope = ds;
    return s;
}

/* Solve S(c) = N: Newton steps from c = 1, kept inside the bracket
 * (a, b) of the values tried so far with S(a) < N < S(b); doubling while
 * no upper end is known, bisection when a step leaves the bracket. S is
 * continuous and nondecreasing (piecewise linear), so this ends; it takes
 * 4-9 passes over the ranks, |S - N| < 0.01. */
static void deg_solve(degrees_t *d, uint64_t n)
{
    double target = (double)n, a = 0, b = INFINITY, c = 1;
    for (int it = 0; it < 200; it++) {
        double slope, s = deg_sum(d, c, &slope);
        if (fabs(s - target) < 0.01) break;
        if (s < target) a = c; else b = c;
        double next = slope > 0 ? c + (target - s) / slope : NAN;
        if (!(next > a && next < b)) next = isinf(b) ? 2 * c : (a + b) / 2;
        if (next == c) break;
        c = next;
    }
    d->c = c;
}

/* ---- buffered writer: every fwrite checked ---- */

typedef struct wbuf { FILE *f; const char *name; char *buf; size_t n, cap; int failed; } wbuf_t;

static int wb_flush(wbuf_t *w, err_t *e)
{
    if (w->n && !w->failed && fwrite(w->buf, 1, w->n, w->f) != w->n) {
        w->failed = 1;
        return err_set(e, ERR_IO, "%s: write error: %s", w->name, strerror(errno ? errno : EIO));
    }
    w->n = 0;
    return w->failed ? ERR_IO : ERR_OK;
}

/* decimal v and then sep; room for 11 bytes must be there */
static inline void wb_u32(wbuf_t *w, uint32_t v, char sep)
{
    char t[10];
    int k = 0;
    do { t[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    char *o = w->buf + w->n;
    while (k) *o++ = t[--k];
    *o++ = sep;
    w->n = (size_t)(o - w->buf);
}

/* one user's items to a file; at most 4 MiB of room is kept free */
static int wb_user(wbuf_t *w, int format, uint32_t u, const uint32_t *it, uint32_t n, err_t *e)
{
    if (format == GRAPH_PL_ADJ) {
        if (w->n + 11 > w->cap && wb_flush(w, e)) return ERR_IO;
        wb_u32(w, u, n ? ' ' : '\n');
        for (uint32_t k = 0; k < n; k++) {
            if (w->n + 11 > w->cap && wb_flush(w, e)) return ERR_IO;
            wb_u32(w, it[k], k + 1 < n ? ' ' : '\n');
        }
    } else {
        for (uint32_t k = 0; k < n; k++) {
            if (w->n + 22 > w->cap && wb_flush(w, e)) return ERR_IO;
            wb_u32(w, u, '\t');
            wb_u32(w, it[k], '\n');
        }
    }
    return ERR_OK;
}

/* ---- the item tables ---- */

typedef struct tables {
    uint32_t n_items, n_comm;
    graph_alias_slot_t *glob;   /* [I] global popularity, values = item ids */
    graph_alias_slot_t *comm;   /* [I] pool c is comm[off[c] .. off[c+1]), values = item ids */
    uint32_t *off;              /* [C + 1] */
} tables_t;

static void tables_destroy(tables_t *t)
{
    free(t->glob); free(t->comm); free(t->off);
}

static int tables_init(tables_t *t, const graph_pl_params_t *p, err_t *e)
{
    uint32_t ni = p->n_items, nc = p->n_communities;
    memset(t, 0, sizeof *t);
    /* malloc under overcommit may promise more than the machine has, and the
     * OOM killer would end the job while the tables are filled: refuse what
     * exceeds physical memory here, with the figure */
    double need = 48.0 * ni, phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (phys > 0 && need > phys)
        return err_set(e, ERR_NOMEM, "out of memory: the tables of %u items need %.1f GiB, the machine has %.1f GiB",
                       ni, need / 1073741824.0, phys / 1073741824.0);
    t->n_items = ni;
    t->n_comm = nc;
    size_t n = ni;
    t->glob = malloc(n * sizeof *t->glob);
    t->comm = malloc(n * sizeof *t->comm);
    t->off = malloc(((size_t)nc + 1) * sizeof *t->off);
    double *w = malloc(n * sizeof *w), *pw = malloc(n * sizeof *pw);
    uint32_t *perm = malloc(n * sizeof *perm), *stack = malloc(n * sizeof *stack);
    if (!t->glob || !t->comm || !t->off || !w || !pw || !perm || !stack) {
        free(w); free(pw); free(perm); free(stack);
        tables_destroy(t);
        return err_set(e, ERR_NOMEM, "out of memory: the tables of %u items need %.1f GiB", ni,
                       need / 1073741824.0);
    }
    /* popularity: item perm[r] has weight (r + 1)^-s */
    rng_t r;
    double s = 1.0 / (p->item_alpha - 1.0);
    for (uint32_t k = 0; k < ni; k++) perm[k] = k;
    rng_seed_stream(&r, p->seed, STREAM_RANK);
    rng_shuffle_u32(&r, perm, ni);
    for (uint32_t k = 0; k < ni; k++) w[perm[k]] = pow((double)k + 1.0, -s);
    graph_alias_build(w, ni, t->glob, pw, stack);
    /* communities: round-robin over an independent shuffle, so pool c is
     * items perm[c], perm[c + C], ... in that order */
    for (uint32_t k = 0; k < ni; k++) perm[k] = k;
    rng_seed_stream(&r, p->seed, STREAM_COMM);
    rng_shuffle_u32(&r, perm, ni);
    t->off[0] = 0;
    for (uint32_t c = 0; c < nc; c++) t->off[c + 1] = t->off[c] + (ni - c + nc - 1) / nc;
    for (uint32_t k = 0; k < ni; k++) stack[t->off[k % nc] + k / nc] = perm[k];   /* pool positions */
    for (uint32_t k = 0; k < ni; k++) pw[k] = w[stack[k]];
    memcpy(perm, stack, n * sizeof *perm);   /* perm = pool: position -> item */
    for (uint32_t c = 0; c < nc; c++) {
        uint32_t o = t->off[c], m = t->off[c + 1] - o;
        graph_alias_build(pw + o, m, t->comm + o, w + o, stack + o);
        for (uint32_t k = 0; k < m; k++) {   /* slots of the pool -> item ids */
            t->comm[o + k].keep = perm[o + t->comm[o + k].keep];
            t->comm[o + k].other = perm[o + t->comm[o + k].other];
        }
    }
    free(w); free(pw); free(perm); free(stack);
    return ERR_OK;
}

/* ---- one user ---- */

#define TAKEN(b, i) ((b)[(i) >> 6] >> ((i) & 63) & 1)

/* d distinct items for a user of community comm into out */
static void user_items(const tables_t *t, uint32_t comm, uint32_t aff, uint32_t d, rng_t *r, uint64_t *taken,
                       uint32_t *out)
{
    uint32_t o = t->off[comm], m = t->off[comm + 1] - o;
    const graph_alias_slot_t *pool = t->comm + o;
    for (uint32_t k = 0; k < d; k++) {
        uint32_t item;
        int own = (uint32_t)(rng_u64(r) >> 32) < aff;
        int tries = 0;
        for (;;) {
            if (tries < 4)
                item = own ? graph_alias_draw(pool, m, r) : graph_alias_draw(t->glob, t->n_items, r);
            else if (tries < 8)
                item = own ? pool[rng_below(r, m)].keep : rng_below(r, t->n_items);
            else
                item = rng_below(r, t->n_items);   /* <= half taken: ends */
            if (!TAKEN(taken, item)) break;
            tries++;
        }
        taken[item >> 6] |= 1ULL << (item & 63);
        out[k] = item;
    }
    for (uint32_t k = 0; k < d; k++) taken[out[k] >> 6] &= ~(1ULL << (out[k] & 63));
}

int graph_pl_generate(const graph_pl_params_t *p, FILE *train, const char *train_name, FILE *test,
                      const char *test_name, int progress, graph_pl_stats_t *st, err_t *e)
{
    double t0 = clock_now();
    memset(st, 0, sizeof *st);
    tables_t t;
    int rc = tables_init(&t, p, e);
    if (rc) return rc;
    size_t words = ((size_t)p->n_items + 63) / 64;
    uint64_t *taken = calloc(words, sizeof *taken), *used = calloc(words, sizeof *used);
    uint32_t *items = malloc((size_t)p->max_degree * sizeof *items);
    wbuf_t wt = {train, train_name, NULL, 0, 1u << 20, 0}, ws = {test, test_name, NULL, 0, 1u << 20, 0};
    wt.buf = malloc(wt.cap);
    ws.buf = test ? malloc(ws.cap) : NULL;
    if (!taken || !used || !items || !wt.buf || (test && !ws.buf)) {
        rc = err_set(e, ERR_NOMEM, "out of memory");
        goto out;
    }
    degrees_t dg = {p->n_users, 1.0 / (p->user_alpha - 1.0), p->min_degree, p->max_degree, 1};
    deg_solve(&dg, p->n_interactions);
    perm_t pm;
    perm_init(&pm, p->n_users, p->seed);
    progress_t pg;
    progress_init(&pg, "generate", p->n_interactions, progress);
    uint32_t aff = p->affinity >= 1 ? UINT32_MAX : (uint32_t)ldexp(p->affinity, 32);
    double acc = 0;
    uint64_t emitted = 0;
    for (uint32_t u = 0; u < p->n_users; u++) {
        acc += deg_y(&dg, perm_apply(&pm, u));
        uint64_t upto = (uint64_t)floor(acc + 0.5);
        uint32_t d = (uint32_t)(upto - emitted);
        if (d > p->max_degree) d = p->max_degree;   /* rounding cannot pass it; belt and braces */
        emitted += d;
        rng_t r;
        rng_seed_stream(&r, p->seed, STREAM_USER0 + (uint64_t)u);
        uint32_t comm = rng_below(&r, p->n_communities);
        user_items(&t, comm, aff, d, &r, taken, items);
        uint32_t ntest = 0;
        if (test && d >= 2) {
            double x = floor(p->test_fraction * d + rng_double(&r));
            ntest = x > d - 1 ? d - 1 : (uint32_t)x;
            for (uint32_t k = 0; k < ntest; k++) {   /* partial Fisher-Yates to the tail */
                uint32_t j = rng_below(&r, d - k), z = items[j];
                items[j] = items[d - 1 - k];
                items[d - 1 - k] = z;
            }
        }
        for (uint32_t k = 0; k < d; k++) used[items[k] >> 6] |= 1ULL << (items[k] & 63);
        if (d > st->max_user_degree) st->max_user_degree = d;
        st->train += d - ntest;
        st->test += ntest;
        if ((rc = wb_user(&wt, p->format, u, items, d - ntest, e))) goto out;
        if (ntest && (rc = wb_user(&ws, p->format, u, items + d - ntest, ntest, e))) goto out;
        if ((u & 1023) == 0) progress_update(&pg, emitted);
    }
    progress_update(&pg, emitted);
    progress_done(&pg);
    if ((rc = wb_flush(&wt, e)) || (test && (rc = wb_flush(&ws, e)))) goto out;
    if (fflush(train) || (test && fflush(test))) {
        rc = err_set(e, ERR_IO, "%s: write error: %s", ferror(train) ? train_name : test_name, strerror(errno));
        goto out;
    }
    for (size_t k = 0; k < words; k++) st->items_used += (uint32_t)__builtin_popcountll(used[k]);
    st->seconds = clock_now() - t0;
out:
    free(taken); free(used); free(items); free(wt.buf); free(ws.buf);
    tables_destroy(&t);
    return rc;
}

int graph_pl_write_dir(const graph_pl_params_t *p, const char *dir, int progress, graph_pl_stats_t *st,
                       err_t *e)
{
    char tr[4200], te[4200], trp[4300], tep[4300];
    int want_test = p->test_fraction > 0, rc = ERR_OK;
    if (strlen(dir) > 4000) return err_set(e, ERR_USAGE, "%s: path too long", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return err_set(e, ERR_USAGE, "%s: cannot create: %s", dir, strerror(errno));
    snprintf(tr, sizeof tr, "%s/train.txt", dir);
    snprintf(te, sizeof te, "%s/test.txt", dir);
    snprintf(trp, sizeof trp, "%s.partial", tr);
    snprintf(tep, sizeof tep, "%s.partial", te);
    FILE *ft = fopen(trp, "w"), *fs = NULL;
    if (!ft) return err_set(e, ERR_IO, "%s: cannot write: %s", trp, strerror(errno));
    if (want_test && !(fs = fopen(tep, "w"))) {
        rc = err_set(e, ERR_IO, "%s: cannot write: %s", tep, strerror(errno));
        fclose(ft);
        remove(trp);
        return rc;
    }
    rc = graph_pl_generate(p, ft, tr, fs, te, progress, st, e);
    if (fclose(ft) && !rc) rc = err_set(e, ERR_IO, "%s: write error: %s", tr, strerror(errno));
    if (fs && fclose(fs) && !rc) rc = err_set(e, ERR_IO, "%s: write error: %s", te, strerror(errno));
    if (!rc && want_test && rename(tep, te)) rc = err_set(e, ERR_IO, "%s: cannot rename: %s", te, strerror(errno));
    if (!rc && rename(trp, tr)) rc = err_set(e, ERR_IO, "%s: cannot rename: %s", tr, strerror(errno));
    if (rc) {
        remove(trp);
        if (want_test) remove(tep);
    }
    return rc;
}
