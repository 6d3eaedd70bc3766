/* order.c - the node orders of order.h: label propagation and degree sort
 * for bipartite graphs, CSR relabelling, in-place row permutation.
 * Assumes r is a binary (or valued) CSR with sorted unique columns. */
#include "graph/order.h"

#include <stdlib.h>
#include <string.h>

/* names in id order, NULL-terminated (what option parsers take) */
static const char *const names[GRAPH_ORDER_N + 1] = {"auto", "none", "degree", "community", NULL};

static const graph_order_info_t orders[GRAPH_ORDER_N] = {
    {GRAPH_ORDER_AUTO, "auto", "community when the embedding tables outgrow the cache, else none"},
    {GRAPH_ORDER_NONE, "none", "the store's ids (order of first appearance)"},
    {GRAPH_ORDER_DEGREE, "degree", "highest degree first"},
    {GRAPH_ORDER_COMMUNITY, "community", "label-propagation communities, highest degree first in each"},
};

const graph_order_info_t *graph_order_info(graph_order_id_t id) { return &orders[id]; }
const char *const *graph_order_names(void) { return names; }

int graph_order_find(const char *name, graph_order_id_t *out, err_t *e)
{
    for (int k = 0; k < GRAPH_ORDER_N; k++)
        if (!strcmp(orders[k].name, name)) {
            *out = orders[k].id;
            return ERR_OK;
        }
    return err_set(e, ERR_USAGE, "unknown node order '%s' (auto, none, degree or community)", name);
}

/* A node's sort key: label, then degree (descending), then id. */
typedef struct key {
    uint32_t label, deg, id;
} okey_t;

static int cmp_key(const void *a, const void *b)
{
    const okey_t *x = a, *y = b;
    if (x->label != y->label) return x->label < y->label ? -1 : 1;
    if (x->deg != y->deg) return x->deg > y->deg ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* new_id[k[j].id] = j after sorting k [n]. */
static void rank_keys(okey_t *k, uint32_t n, uint32_t *new_id)
{
    qsort(k, n, sizeof *k, cmp_key);
    for (uint32_t j = 0; j < n; j++) new_id[k[j].id] = j;
}

/* One half-round: dst[v] = the label most frequent among v's neighbours'
 * src labels (ties to the smaller label); a node without neighbours keeps
 * none_label + v, a label of its own past every real one. cnt is zeroed
 * scratch over labels, returned zeroed; seen is scratch. */
static void lpa_half(const graph_csr_t *m, const uint32_t *src, uint32_t *dst, uint32_t none_label, uint32_t *cnt,
                     uint32_t *seen)
{
    for (uint32_t v = 0; v < m->n_rows; v++) {
        uint32_t ns = 0, best = UINT32_MAX, bc = 0;
        for (uint64_t q = m->ptr[v]; q < m->ptr[v + 1]; q++) {
            uint32_t l = src[m->col[q]];
            if (cnt[l]++ == 0) seen[ns++] = l;
            if (cnt[l] > bc || (cnt[l] == bc && l < best)) {
                bc = cnt[l];
                best = l;
            }
        }
        for (uint32_t s = 0; s < ns; s++) cnt[seen[s]] = 0;
        dst[v] = ns ? best : none_label + v;
    }
}

int graph_order_bipartite(const graph_csr_t *r, graph_order_id_t how, uint32_t *new_user, uint32_t *new_item,
                          err_t *e)
{
    const uint32_t nu = r->n_rows, ni = r->n_cols;
    if (how == GRAPH_ORDER_NONE || how == GRAPH_ORDER_AUTO) {
        for (uint32_t u = 0; u < nu; u++) new_user[u] = u;
        for (uint32_t i = 0; i < ni; i++) new_item[i] = i;
        return ERR_OK;
    }
    graph_csr_t rt = {0};
    int rc = graph_csr_transpose(r, &rt, e);
    if (rc) return rc;
    /* labels live in [0, ni) (an item's own id) or past it (isolated nodes) */
    const uint64_t n_labels = (uint64_t)ni + nu + ni;
    const uint32_t big = nu > ni ? nu : ni;
    uint32_t *lu = malloc((size_t)nu * sizeof *lu), *li = malloc((size_t)ni * sizeof *li);
    uint32_t *cnt = calloc((size_t)n_labels, sizeof *cnt), *seen = malloc((size_t)big * sizeof *seen + 1);
    okey_t *k = malloc((size_t)big * sizeof *k + 1);
    if (!lu || !li || !cnt || !seen || !k) {
        rc = err_set(e, ERR_NOMEM, "out of memory ordering %u + %u nodes", nu, ni);
        goto out;
    }
    if (n_labels > UINT32_MAX) {
        rc = err_set(e, ERR_USAGE, "node order: %u users + %u items is too many to label", nu, ni);
        goto out;
    }
    if (how == GRAPH_ORDER_DEGREE) {
        memset(lu, 0, (size_t)nu * sizeof *lu);
        memset(li, 0, (size_t)ni * sizeof *li);
    } else {
        for (uint32_t i = 0; i < ni; i++) li[i] = i;
        for (int round = 0; round < GRAPH_ORDER_LPA_ROUNDS; round++) {
            lpa_half(r, li, lu, ni, cnt, seen);          /* users from items */
            lpa_half(&rt, lu, li, ni + nu, cnt, seen);   /* items from users */
        }
    }
    for (uint32_t u = 0; u < nu; u++) k[u] = (okey_t){lu[u], (uint32_t)(r->ptr[u + 1] - r->ptr[u]), u};
    rank_keys(k, nu, new_user);
    for (uint32_t i = 0; i < ni; i++) k[i] = (okey_t){li[i], (uint32_t)(rt.ptr[i + 1] - rt.ptr[i]), i};
    rank_keys(k, ni, new_item);
out:
    free(lu);
    free(li);
    free(cnt);
    free(seen);
    free(k);
    graph_csr_destroy(&rt);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sort col[0..n) ascending, val along when non-NULL (insertion sort for
 * the short rows that are most of a power-law graph). */
static void sort_row(uint32_t *col, float *val, uint64_t n)
{
    if (!val && n > 32) {
        qsort(col, n, sizeof *col, cmp_u32);
        return;
    }
    for (uint64_t a = 1; a < n; a++) {
        uint32_t c = col[a];
        float v = val ? val[a] : 0.0f;
        uint64_t b = a;
        for (; b > 0 && col[b - 1] > c; b--) {
            col[b] = col[b - 1];
            if (val) val[b] = val[b - 1];
        }
        col[b] = c;
        if (val) val[b] = v;
    }
}

int graph_csr_relabel(const graph_csr_t *m, const uint32_t *new_row, const uint32_t *new_col, graph_csr_t *out,
                      err_t *e)
{
    int rc = graph_csr_init(out, m->n_rows, m->n_cols, m->nnz, m->val != NULL, e);
    if (rc) return rc;
    for (uint32_t r = 0; r < m->n_rows; r++) out->ptr[new_row[r] + 1] = m->ptr[r + 1] - m->ptr[r];
    for (uint32_t r = 0; r < m->n_rows; r++) out->ptr[r + 1] += out->ptr[r];
#pragma omp parallel for schedule(dynamic, 1024)
    for (uint32_t r = 0; r < m->n_rows; r++) {
        uint64_t o = out->ptr[new_row[r]], n = m->ptr[r + 1] - m->ptr[r];
        for (uint64_t q = 0; q < n; q++) {
            uint32_t c = m->col[m->ptr[r] + q];
            out->col[o + q] = new_col ? new_col[c] : c;
            if (m->val) out->val[o + q] = m->val[m->ptr[r] + q];
        }
        sort_row(out->col + o, out->val ? out->val + o : NULL, n);
    }
    return ERR_OK;
}

void graph_permute_rows(float *t, uint32_t n, uint32_t dim, const uint32_t *perm, int to_new, uint8_t *seen,
                        float *row)
{
    const size_t w = (size_t)dim * sizeof *t;
    memset(seen, 0, n);
    for (uint32_t i = 0; i < n; i++) {
        if (seen[i] || perm[i] == i) continue;
        if (to_new) {
            /* row holds the content bound for perm[j]; swap it in, carry the displaced one on */
            memcpy(row, t + (size_t)i * dim, w);
            uint32_t j = perm[i];
            seen[i] = 1;
            while (j != i) {
                float *d = t + (size_t)j * dim;
                for (uint32_t c = 0; c < dim; c++) {
                    float x = d[c];
                    d[c] = row[c];
                    row[c] = x;
                }
                seen[j] = 1;
                j = perm[j];
            }
            memcpy(t + (size_t)i * dim, row, w);
        } else {
            /* row i takes row perm[i]; the cycle closes with the saved row i */
            memcpy(row, t + (size_t)i * dim, w);
            uint32_t j = i;
            for (;;) {
                seen[j] = 1;
                uint32_t k = perm[j];
                if (k == i) {
                    memcpy(t + (size_t)j * dim, row, w);
                    break;
                }
                memcpy(t + (size_t)j * dim, t + (size_t)k * dim, w);
                j = k;
            }
        }
    }
}
