/* split.c - see split.h. */
#include "io/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

int io_split_parse(const char *s, io_split_t *sp, err_t *e)
{
    memset(sp, 0, sizeof *sp);
    if (!strcmp(s, "leave-one-out")) { sp->kind = IO_SPLIT_LOO; return ERR_OK; }
    const char *frac = NULL;
    if (!strncmp(s, "random:", 7)) { sp->kind = IO_SPLIT_RANDOM; frac = s + 7; }
    else if (!strncmp(s, "temporal:", 9)) { sp->kind = IO_SPLIT_TEMPORAL; frac = s + 9; }
    else return err_set(e, ERR_USAGE, "--split: expected random:FRACTION, temporal:FRACTION or leave-one-out, got '%s'", s);
    char *end;
    double f = strtod(frac, &end);
    if (end == frac || *end || !(f > 0.0 && f < 1.0))
        return err_set(e, ERR_USAGE, "--split: FRACTION must be a number in (0, 1), got '%s'", frac);
    sp->fraction = f;
    return ERR_OK;
}

/* Order of a user's rows by time, then by position (which is file order). */
typedef struct { int64_t time; uint64_t i; } trow_t;

static int cmp_trow(const void *x, const void *y)
{
    const trow_t *p = x, *q = y;
    if (p->time != q->time) return p->time < q->time ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

int io_split_rows(const io_rows_t *rows, uint32_t n_users, const io_split_t *sp, uint64_t seed,
                  uint8_t *is_test, err_t *e)
{
    uint64_t n = rows->n;
    memset(is_test, 0, n);
    if (sp->kind == IO_SPLIT_NONE) return ERR_OK;
    int has_time = n > 0 && rows->time && rows->time[0] != IO_NO_TIME;
    if (sp->kind == IO_SPLIT_TEMPORAL && !has_time)
        return err_set(e, ERR_USAGE, "--split temporal needs a time column (--columns user,item,...,time)");
    /* group row indices by user, file order kept within a user */
    uint64_t *start = calloc((size_t)n_users + 1, sizeof *start);
    uint64_t *idx = malloc((n ? n : 1) * sizeof *idx);
    trow_t *tr = malloc((n ? n : 1) * sizeof *tr);
    uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!start || !idx || !tr || !perm) {
        free(start); free(idx); free(tr); free(perm);
        return err_set(e, ERR_NOMEM, "out of memory splitting %llu rows", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++) start[rows->a[i] + 1]++;
    for (uint32_t u = 0; u < n_users; u++) start[u + 1] += start[u];
    {
        uint64_t *pos = malloc(((size_t)n_users + 1) * sizeof *pos);
        if (!pos) { free(start); free(idx); free(tr); free(perm); return err_set(e, ERR_NOMEM, "out of memory"); }
        memcpy(pos, start, ((size_t)n_users + 1) * sizeof *pos);
        for (uint64_t i = 0; i < n; i++) idx[pos[rows->a[i]]++] = i;
        free(pos);
    }
    rng_t rng;
    rng_seed(&rng, seed);
    for (uint32_t u = 0; u < n_users; u++) {
        uint64_t a = start[u], m = start[u + 1] - a;
        if (m < 2) continue;
        uint64_t k = sp->kind == IO_SPLIT_LOO ? 1 : (uint64_t)floor(sp->fraction * (double)m + 0.5);
        if (k >= m) k = m - 1;
        if (k == 0) continue;
        if (sp->kind == IO_SPLIT_RANDOM) {
            for (uint64_t j = 0; j < m; j++) perm[j] = (uint32_t)j;
            rng_shuffle_u32(&rng, perm, m);
            for (uint64_t j = 0; j < k; j++) is_test[idx[a + perm[j]]] = 1;
        } else if (has_time) {
            for (uint64_t j = 0; j < m; j++) tr[j] = (trow_t){rows->time[idx[a + j]], idx[a + j]};
            qsort(tr, m, sizeof *tr, cmp_trow);
            for (uint64_t j = m - k; j < m; j++) is_test[tr[j].i] = 1;
        } else {
            for (uint64_t j = m - k; j < m; j++) is_test[idx[a + j]] = 1;
        }
    }
    free(start); free(idx); free(tr); free(perm);
    return ERR_OK;
}

int io_split_apply(io_rows_t *train, io_rows_t *test, uint32_t n_users, const io_split_t *sp, uint64_t seed,
                   uint64_t *dup, err_t *e)
{
    /* a split works on file order: dedup keeping it, split (then the caller sorts) */
    int rc = io_rows_dedup(train, 0, dup, e);
    if (rc) return rc;
    uint8_t *is_test = malloc(train->n ? train->n : 1);
    if (!is_test) return err_set(e, ERR_NOMEM, "out of memory");
    rc = io_split_rows(train, n_users, sp, seed, is_test, e);
    if (!rc) rc = io_rows_partition(train, is_test, test, e);
    free(is_test);
    return rc;
}
