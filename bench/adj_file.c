/* adj_file.c - see adj_file.h. Lines without a leading number are skipped. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/adj_file.h"

typedef struct pairs { uint32_t *u, *i; size_t n, cap; } pairs_t;

static int push(pairs_t *p, uint32_t u, uint32_t i)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : (size_t)1 << 20;
        uint32_t *nu = realloc(p->u, cap * sizeof *nu);
        if (!nu) return -1;
        p->u = nu;
        uint32_t *ni = realloc(p->i, cap * sizeof *ni);
        if (!ni) return -1;
        p->i = ni;
        p->cap = cap;
    }
    p->u[p->n] = u;
    p->i[p->n++] = i;
    return 0;
}

static int read_file(const char *dir, const char *name, pairs_t *p, uint32_t *nu, uint32_t *ni)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!rc && getline(&line, &cap, f) > 0) {
        char *s = line, *end;
        unsigned long u = strtoul(s, &end, 10);
        if (end == s) continue;
        if (u + 1 > *nu) *nu = (uint32_t)u + 1;
        for (s = end; !rc; s = end) {
            unsigned long it = strtoul(s, &end, 10);
            if (end == s) break;
            if (it + 1 > *ni) *ni = (uint32_t)it + 1;
            rc = push(p, (uint32_t)u, (uint32_t)it);
        }
    }
    free(line);
    fclose(f);
    return rc;
}

int bench_load_split(const char *dir, graph_csr_t *train, graph_csr_t *test)
{
    pairs_t tr = {0}, te = {0};
    uint32_t nu = 0, ni = 0;
    err_t e = {0};
    int rc = read_file(dir, "train.txt", &tr, &nu, &ni);
    if (!rc && test) rc = read_file(dir, "test.txt", &te, &nu, &ni);
    if (!rc) rc = graph_csr_from_pairs(train, nu, ni, tr.u, tr.i, tr.n, &e) ? -1 : 0;
    if (!rc && test && graph_csr_from_pairs(test, nu, ni, te.u, te.i, te.n, &e)) {
        graph_csr_destroy(train);
        rc = -1;
    }
    free(tr.u); free(tr.i); free(te.u); free(te.i);
    return rc;
}

void bench_spmm_plain(const graph_csr_t *a, const float *x, float *y, uint32_t dim)
{
    #pragma omp parallel for schedule(static)
    for (uint32_t r = 0; r < a->n_rows; r++) {
        float *out = y + (size_t)r * dim;
        for (uint32_t d = 0; d < dim; d++) out[d] = 0;
        for (uint64_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
            const float *xj = x + (size_t)a->col[k] * dim;
            float w = a->val[k];
            for (uint32_t d = 0; d < dim; d++) out[d] += w * xj[d];
        }
    }
}
