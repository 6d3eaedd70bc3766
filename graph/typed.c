/* typed.c - see typed.h: the joint graph of interaction, social and
 * knowledge edges.
 *
 * Built once per training run, so clarity beats speed: every undirected edge
 * becomes two (row, col, weight, relation) entries, one sort by (row, col)
 * merges duplicates, a pass sums weighted degrees and a last pass
 * normalizes. Assumes the store's kg triples use entity ids for heads and
 * tails (io_read_kg) and that the item-entity record holds (item, entity)
 * u32 little-endian pairs (store.h, STORE_META_ITEM_ENTITY).
 */
#include "graph/typed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ent { uint32_t r, c, rel; float w; } ent_t;

static int cmp_ent(const void *x, const void *y)
{
    const ent_t *a = x, *b = y;
    if (a->r != b->r) return a->r < b->r ? -1 : 1;
    if (a->c != b->c) return a->c < b->c ? -1 : 1;
    if (a->rel != b->rel) return a->rel < b->rel ? -1 : 1;
    return 0;
}

static void add2(ent_t *v, uint64_t *n, uint32_t a, uint32_t b, float w, uint32_t rel)
{
    v[(*n)++] = (ent_t){a, b, rel, w};
    v[(*n)++] = (ent_t){b, a, rel, w};
}

/* 0 interaction, 1 social (user-user), 2 knowledge (carries a relation). */
static int entry_type(const ent_t *x, uint32_t U)
{
    if (x->rel != GRAPH_NO_REL) return 2;
    return x->r < U && x->c < U ? 1 : 0;
}

static double type_weight(const graph_typed_opts_t *o, int ty)
{
    return ty == 0 ? 1.0 : ty == 1 ? (double)o->w_social : (double)o->w_knowledge;
}

/* The degree sums and the normalized value of a merged entry x, with deg
 * [T x N] (T = 1 joint, 3 per type): the one rule of graph_typed_build and
 * graph_typed_rows, so both give the same bits. */
static void deg_add(double *deg, uint32_t N, int T, const graph_typed_opts_t *o, uint32_t U, const ent_t *x)
{
    int ty = T == 1 ? 0 : entry_type(x, U);
    /* per type, degrees count edges (w / w_t); w_t is applied once, in norm_val */
    deg[(size_t)ty * N + x->r] += T == 1 ? x->w : x->w / type_weight(o, ty);
}

static float norm_val(const double *deg, uint32_t N, int T, uint32_t U, const ent_t *x)
{
    size_t base = (size_t)(T == 1 ? 0 : entry_type(x, U)) * N;
    return (float)(x->w / sqrt(deg[base + x->r] * deg[base + x->c]));
}

static void count_pair(graph_typed_t *g, uint32_t U, const ent_t *x)
{
    if (x->r < x->c) {   /* count each undirected pair once */
        if (x->r < U && x->c < U) g->social_pairs++;
        else if (x->rel != GRAPH_NO_REL) g->kg_pairs++;
    }
}

/* What graph_typed_build and graph_typed_rows refuse alike. */
static int check_in(const graph_typed_edges_t *in, const graph_typed_opts_t *o, err_t *e)
{
    const uint32_t U = in->n_users, I = in->n_items, E = o->knowledge ? in->n_entities : 0;
    if ((uint64_t)U + I + E > UINT32_MAX)
        return err_set(e, ERR_USAGE, "graph too large: %u users + %u items + %u entities", U, I, E);
    if (in->train->n_rows != U || in->train->n_cols != I)
        return err_set(e, ERR_USAGE, "train matrix is %u x %u, expected %u x %u", in->train->n_rows,
                       in->train->n_cols, U, I);
    if (!(o->w_social >= 0.0f) || !(o->w_knowledge >= 0.0f) || !isfinite(o->w_social) ||
        !isfinite(o->w_knowledge))
        return err_set(e, ERR_USAGE, "edge weights must be finite and >= 0");
    return ERR_OK;
}

/* The node pair of knowledge triple k, or ERR_STORE when out of range: an
 * aligned entity is its item, so its facts attach to the item node. */
static int kg_pair(const graph_typed_edges_t *in, uint64_t k, uint32_t *a, uint32_t *b, err_t *e)
{
    const uint32_t U = in->n_users, I = in->n_items, h = in->kh[k], t = in->kt[k];
    if (h >= in->n_entities || t >= in->n_entities || in->kr[k] >= in->n_relations)
        return err_set(e, ERR_STORE, "kg triple %llu out of range", (unsigned long long)k);
    *a = in->item_of_entity && in->item_of_entity[h] != GRAPH_NO_REL ? U + in->item_of_entity[h] : U + I + h;
    *b = in->item_of_entity && in->item_of_entity[t] != GRAPH_NO_REL ? U + in->item_of_entity[t] : U + I + t;
    return ERR_OK;
}

int graph_social_sym(graph_csr_t *s, uint32_t n_users, const uint32_t *a, const uint32_t *b, uint64_t n,
                     int with_self, err_t *e)
{
    memset(s, 0, sizeof *s);
    const uint64_t cap = 2 * n + (with_self ? n_users : 0);
    uint32_t *r = malloc((cap ? cap : 1) * sizeof *r), *c = malloc((cap ? cap : 1) * sizeof *c);
    if (!r || !c) {
        free(r); free(c);
        return err_set(e, ERR_NOMEM, "out of memory for %llu social ties", (unsigned long long)n);
    }
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (a[k] >= n_users || b[k] >= n_users) {
            free(r); free(c);
            return err_set(e, ERR_STORE, "social edge out of range");
        }
        if (a[k] == b[k]) continue;
        r[m] = a[k]; c[m++] = b[k];
        r[m] = b[k]; c[m++] = a[k];
    }
    if (with_self)
        for (uint32_t u = 0; u < n_users; u++) { r[m] = u; c[m++] = u; }
    int rc = graph_csr_from_pairs(s, n_users, n_users, r, c, m, e);
    free(r); free(c);
    return rc;
}

int graph_typed_build(const graph_typed_edges_t *in, const graph_typed_opts_t *o, graph_typed_t *g,
                      err_t *e)
{
    memset(g, 0, sizeof *g);
    int rc = check_in(in, o, e);
    if (rc) return rc;
    const uint32_t U = in->n_users, I = in->n_items, E = o->knowledge ? in->n_entities : 0;
    const uint32_t N = U + I + E;
    uint64_t cap = 2 * ((o->interaction ? in->train->nnz : 0) + (o->social ? in->n_social : 0) +
                        (o->knowledge ? in->n_kg : 0));
    ent_t *v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v) return err_set(e, ERR_NOMEM, "out of memory for the joint graph");
    uint64_t n = 0;
    if (o->interaction)
        for (uint32_t u = 0; u < U; u++)
            for (uint64_t k = in->train->ptr[u]; k < in->train->ptr[u + 1]; k++)
                add2(v, &n, u, U + in->train->col[k], 1.0f, GRAPH_NO_REL);
    if (o->social && o->w_social > 0.0f) {
        graph_csr_t s;
        rc = graph_social_sym(&s, U, in->su, in->sv, in->n_social, 0, e);
        if (rc) { free(v); return rc; }
        for (uint32_t u = 0; u < U; u++)   /* s holds both directions already */
            for (uint64_t k = s.ptr[u]; k < s.ptr[u + 1]; k++) v[n++] = (ent_t){u, s.col[k], GRAPH_NO_REL, o->w_social};
        graph_csr_destroy(&s);
    }
    if (o->knowledge && o->w_knowledge > 0.0f) {
        for (uint64_t k = 0; k < in->n_kg; k++) {
            uint32_t a = 0, b = 0;
            if ((rc = kg_pair(in, k, &a, &b, e))) {
                free(v);
                return rc;
            }
            if (a != b) add2(v, &n, a, b, o->w_knowledge, in->kr[k]);
        }
        if (in->item_of_entity)
            for (uint32_t x = 0; x < in->n_entities; x++) g->items_aligned += in->item_of_entity[x] != GRAPH_NO_REL;
    }
    qsort(v, n, sizeof *v, cmp_ent);
    /* merge duplicates: weights add, the lowest relation (first in order) stays */
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (m && v[m - 1].r == v[k].r && v[m - 1].c == v[k].c) { v[m - 1].w += v[k].w; continue; }
        v[m++] = v[k];
    }
    rc = graph_csr_init(&g->adj, N, N, m, 1, e);
    if (rc) { free(v); return rc; }
    g->rel = malloc((m ? m : 1) * sizeof *g->rel);
    /* deg [T x N]: T = 1 (joint) or 3 (per type: interaction, social, knowledge) */
    const int T = o->per_type_norm ? 3 : 1;
    double *deg = calloc((size_t)T * (N ? N : 1), sizeof *deg);
    if (!g->rel || !deg) {
        free(v); free(deg);
        graph_typed_destroy(g);
        return err_set(e, ERR_NOMEM, "out of memory for the joint graph");
    }
    for (uint64_t k = 0; k < m; k++) {
        deg_add(deg, N, T, o, U, &v[k]);
        g->adj.ptr[v[k].r + 1]++;
        count_pair(g, U, &v[k]);
    }
    for (uint32_t r = 0; r < N; r++) g->adj.ptr[r + 1] += g->adj.ptr[r];
    for (uint64_t k = 0; k < m; k++) {
        g->adj.col[k] = v[k].c;
        g->adj.val[k] = norm_val(deg, N, T, U, &v[k]);
        g->rel[k] = v[k].rel;
    }
    free(v);
    free(deg);
    g->n_users = U;
    g->n_items = I;
    g->n_entities = E;
    g->n_relations = o->knowledge ? in->n_relations : 0;
    return ERR_OK;
}

int graph_load_item_of_entity(store_txn_t *t, uint32_t **out, uint32_t *aligned, err_t *e)
{
    uint64_t ne, ni;
    int rc;
    *out = NULL;
    *aligned = 0;
    if ((rc = store_count_nodes(t, STORE_ENTITY, &ne, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e)))
        return rc;
    uint32_t *map = malloc((ne ? ne : 1) * sizeof *map);
    if (!map) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint64_t x = 0; x < ne; x++) map[x] = GRAPH_NO_REL;
    const void *p;
    size_t len;
    rc = store_meta_get(t, STORE_META_ITEM_ENTITY, &p, &len, NULL);
    if (rc == ERR_OK) {
        if (len % 8) { free(map); return err_set(e, ERR_STORE, "unreadable item-entity record"); }
        const unsigned char *b = p;
        for (size_t k = 0; k < len / 8; k++) {
            uint32_t it = (uint32_t)b[8 * k] | (uint32_t)b[8 * k + 1] << 8 | (uint32_t)b[8 * k + 2] << 16 |
                          (uint32_t)b[8 * k + 3] << 24;
            uint32_t en = (uint32_t)b[8 * k + 4] | (uint32_t)b[8 * k + 5] << 8 | (uint32_t)b[8 * k + 6] << 16 |
                          (uint32_t)b[8 * k + 7] << 24;
            if (it >= ni || en >= ne) { free(map); return err_set(e, ERR_STORE, "item-entity pair out of range"); }
            if (map[en] == GRAPH_NO_REL) (*aligned)++;
            map[en] = it;
        }
        *out = map;
        return ERR_OK;
    }
    if (rc != ERR_NOTFOUND) { free(map); return err_set(e, rc, "reading the item-entity record"); }
    /* KGAT's convention: item ids are the first entity ids, so an entity is
     * the item with the same external id */
    strmap_t items;
    if (strmap_init(&items)) { free(map); return err_set(e, ERR_NOMEM, "out of memory"); }
    if ((rc = store_id_load(t, STORE_ITEM, &items, e))) { strmap_destroy(&items); free(map); return rc; }
    for (uint32_t x = 0; x < ne; x++) {
        const char *name;
        size_t nl;
        if ((rc = store_id_name(t, STORE_ENTITY, x, &name, &nl, e))) break;
        uint32_t it = strmap_get(&items, name, nl);
        if (it != STRMAP_NONE) { map[x] = it; (*aligned)++; }
    }
    strmap_destroy(&items);
    if (rc) { free(map); return rc; }
    *out = map;
    return ERR_OK;
}

int graph_typed_src_load(store_txn_t *t, const graph_csr_t *train, const graph_typed_opts_t *o, graph_typed_src_t *s,
                         err_t *e)
{
    uint32_t aligned = 0;
    uint64_t ne = 0, nr = 0;
    int rc = ERR_OK;
    memset(s, 0, sizeof *s);
    if (o->social) rc = store_edges_load(t, STORE_SOCIAL, 0, &s->so, e);
    if (!rc && o->knowledge) {
        if ((rc = store_edges_load(t, STORE_KG, 0, &s->kg, e)) ||
            (rc = store_count_nodes(t, STORE_ENTITY, &ne, e)) ||
            (rc = store_count_nodes(t, STORE_RELATION, &nr, e)) ||
            (rc = graph_load_item_of_entity(t, &s->ioe, &aligned, e)))
            goto out;
    }
    if (rc) goto out;
    if (ne > UINT32_MAX || nr > UINT32_MAX) { rc = err_set(e, ERR_STORE, "too many entities"); goto out; }
    /* store kg keys are head . relation . tail: a = head, b = relation, c = tail */
    s->in = (graph_typed_edges_t){.n_users = train->n_rows, .n_items = train->n_cols, .n_entities = (uint32_t)ne,
                                  .n_relations = (uint32_t)nr, .train = train,
                                  .n_social = s->so.n, .su = s->so.a, .sv = s->so.b,
                                  .n_kg = s->kg.n, .kh = s->kg.a, .kr = s->kg.b, .kt = s->kg.c,
                                  .item_of_entity = s->ioe};
out:
    if (rc) graph_typed_src_destroy(s);
    return rc;
}

void graph_typed_src_destroy(graph_typed_src_t *s)
{
    free(s->ioe);
    store_edge_list_destroy(&s->so);
    store_edge_list_destroy(&s->kg);
    memset(s, 0, sizeof *s);
}

int graph_typed_load(store_txn_t *t, const graph_csr_t *train, const graph_typed_opts_t *o,
                     graph_typed_t *g, err_t *e)
{
    graph_typed_src_t s;
    memset(g, 0, sizeof *g);
    int rc = graph_typed_src_load(t, train, o, &s, e);
    if (rc) return rc;
    rc = graph_typed_build(&s.in, o, g, e);
    graph_typed_src_destroy(&s);
    return rc;
}

void graph_typed_destroy(graph_typed_t *g)
{
    if (!g) return;
    graph_csr_destroy(&g->adj);
    free(g->rel);
    memset(g, 0, sizeof *g);
}

/* ---- graph_typed_rows: chosen rows of the joint graph, row by row ---- */

/* Every node's typed edges as lists to generate a row from: R's rows and
 * R^T (users of each item), the symmetric social matrix, and the knowledge
 * pairs of each node (both directions, self-loops dropped). */
typedef struct rowsrc {
    const graph_typed_edges_t *in;
    const graph_typed_opts_t *o;
    uint32_t U, I, N;
    int inter, social, kg;
    graph_csr_t rt;           /* [I x U] R^T, without values */
    graph_csr_t s;            /* [U x U] social ties */
    uint64_t *kptr;           /* [N + 1] knowledge pairs of each node */
    uint32_t *kcol, *krel;
    ent_t *buf;               /* [most] one row's entries */
    uint64_t most;
} rowsrc_t;

static void rowsrc_destroy(rowsrc_t *x)
{
    free(x->kptr); free(x->kcol); free(x->krel); free(x->buf);
    graph_csr_destroy(&x->rt);
    graph_csr_destroy(&x->s);
}

static int rowsrc_init(rowsrc_t *x, const graph_typed_edges_t *in, const graph_typed_opts_t *o, err_t *e)
{
    const graph_csr_t *R = in->train;
    int rc = ERR_OK;
    x->U = in->n_users;
    x->I = in->n_items;
    x->N = x->U + x->I + (o->knowledge ? in->n_entities : 0);
    x->inter = o->interaction;
    x->social = o->social && o->w_social > 0.0f;
    x->kg = o->knowledge && o->w_knowledge > 0.0f;
    if (x->inter) {
        graph_csr_t pattern = *R;   /* R's entries only: ratings are not edge weights here */
        pattern.val = NULL;
        if ((rc = graph_csr_transpose(&pattern, &x->rt, e))) return rc;
    }
    if (x->social && (rc = graph_social_sym(&x->s, x->U, in->su, in->sv, in->n_social, 0, e))) return rc;
    if (x->kg) {
        x->kptr = calloc((size_t)x->N + 1, sizeof *x->kptr);
        x->kcol = malloc((2 * in->n_kg + 1) * sizeof *x->kcol);
        x->krel = malloc((2 * in->n_kg + 1) * sizeof *x->krel);
        if (!x->kptr || !x->kcol || !x->krel) return err_set(e, ERR_NOMEM, "out of memory for the joint graph's rows");
        for (int pass = 0; pass < 2; pass++) {
            for (uint64_t k = 0; k < in->n_kg; k++) {
                uint32_t a = 0, b = 0;
                if ((rc = kg_pair(in, k, &a, &b, e))) return rc;
                if (a == b) continue;
                if (pass == 0) {
                    x->kptr[a + 1]++;
                    x->kptr[b + 1]++;
                    continue;
                }
                x->kcol[x->kptr[a]] = b;
                x->krel[x->kptr[a]++] = in->kr[k];
                x->kcol[x->kptr[b]] = a;
                x->krel[x->kptr[b]++] = in->kr[k];
            }
            /* pass 0: counts into starts; pass 1 moved each start to its end */
            if (pass == 0)
                for (uint32_t v = 0; v < x->N; v++) x->kptr[v + 1] += x->kptr[v];
            else
                for (uint32_t v = x->N; v > 0; v--) x->kptr[v] = x->kptr[v - 1];
        }
        x->kptr[0] = 0;
    }
    for (uint32_t v = 0; v < x->N; v++) {
        uint64_t c = 0;
        if (x->inter) c += v < x->U ? R->ptr[v + 1] - R->ptr[v] : v < x->U + x->I ? x->rt.ptr[v - x->U + 1] - x->rt.ptr[v - x->U] : 0;
        if (x->social && v < x->U) c += x->s.ptr[v + 1] - x->s.ptr[v];
        if (x->kg) c += x->kptr[v + 1] - x->kptr[v];
        x->most = c > x->most ? c : x->most;
    }
    if (!(x->buf = malloc((x->most + 1) * sizeof *x->buf)))
        return err_set(e, ERR_NOMEM, "out of memory for the joint graph's rows");
    return ERR_OK;
}

/* Row v's merged entries into x->buf, in graph_typed_build's order (by
 * column, then relation; duplicates' weights added in that order). */
static uint64_t rowsrc_row(rowsrc_t *x, uint32_t v)
{
    const graph_csr_t *R = x->in->train;
    ent_t *b = x->buf;
    uint64_t n = 0;
    if (x->inter && v < x->U)
        for (uint64_t k = R->ptr[v]; k < R->ptr[v + 1]; k++) b[n++] = (ent_t){v, x->U + R->col[k], GRAPH_NO_REL, 1.0f};
    else if (x->inter && v < x->U + x->I)
        for (uint64_t k = x->rt.ptr[v - x->U]; k < x->rt.ptr[v - x->U + 1]; k++) b[n++] = (ent_t){v, x->rt.col[k], GRAPH_NO_REL, 1.0f};
    if (x->social && v < x->U)
        for (uint64_t k = x->s.ptr[v]; k < x->s.ptr[v + 1]; k++) b[n++] = (ent_t){v, x->s.col[k], GRAPH_NO_REL, x->o->w_social};
    if (x->kg)
        for (uint64_t k = x->kptr[v]; k < x->kptr[v + 1]; k++) b[n++] = (ent_t){v, x->kcol[k], x->krel[k], x->o->w_knowledge};
    qsort(b, n, sizeof *b, cmp_ent);
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (m && b[m - 1].c == b[k].c) { b[m - 1].w += b[k].w; continue; }
        b[m++] = b[k];
    }
    return m;
}

int graph_typed_rows(const graph_typed_edges_t *in, const graph_typed_opts_t *o, const uint32_t *rows, uint32_t n,
                     graph_csr_t *out, uint32_t **rel, graph_typed_t *counts, err_t *e)
{
    memset(out, 0, sizeof *out);
    if (rel) *rel = NULL;
    if (counts) memset(counts, 0, sizeof *counts);
    int rc = check_in(in, o, e);
    if (rc) return rc;
    rowsrc_t x = {.in = in, .o = o};
    graph_typed_t cnt = {0};
    const int T = o->per_type_norm ? 3 : 1;
    double *deg = NULL;
    uint32_t *len = NULL;
    if ((rc = rowsrc_init(&x, in, o, e))) goto out;
    const uint32_t N = x.N;
    for (uint32_t k = 0; k < n; k++)
        if (rows[k] >= N) {
            rc = err_set(e, ERR_USAGE, "row %u of a joint graph of %u nodes", rows[k], N);
            goto out;
        }
    deg = calloc((size_t)T * (N ? N : 1), sizeof *deg);
    len = malloc(((size_t)N + 1) * sizeof *len);
    if (!deg || !len) {
        rc = err_set(e, ERR_NOMEM, "out of memory for the joint graph's degrees");
        goto out;
    }
    /* pass 1: every row once, for the degrees every value needs */
    for (uint32_t v = 0; v < N; v++) {
        uint64_t m = rowsrc_row(&x, v);
        len[v] = (uint32_t)m;
        for (uint64_t k = 0; k < m; k++) {
            deg_add(deg, N, T, o, x.U, &x.buf[k]);
            count_pair(&cnt, x.U, &x.buf[k]);
        }
    }
    uint64_t nnz = 0;
    for (uint32_t k = 0; k < n; k++) nnz += len[rows[k]];
    if ((rc = graph_csr_init(out, n, N, nnz, 1, e))) goto out;
    if (rel && !(*rel = malloc((nnz ? nnz : 1) * sizeof **rel))) {
        rc = err_set(e, ERR_NOMEM, "out of memory for the joint graph's relations");
        goto out;
    }
    /* pass 2: the chosen rows, normalized */
    out->ptr[0] = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t m = rowsrc_row(&x, rows[k]), o0 = out->ptr[k];
        for (uint64_t j = 0; j < m; j++) {
            out->col[o0 + j] = x.buf[j].c;
            out->val[o0 + j] = norm_val(deg, N, T, x.U, &x.buf[j]);
            if (rel) (*rel)[o0 + j] = x.buf[j].rel;
        }
        out->ptr[k + 1] = o0 + m;
    }
    if (x.kg && in->item_of_entity)
        for (uint32_t v = 0; v < in->n_entities; v++) cnt.items_aligned += in->item_of_entity[v] != GRAPH_NO_REL;
    cnt.n_users = x.U;
    cnt.n_items = x.I;
    cnt.n_entities = N - x.U - x.I;
    cnt.n_relations = o->knowledge ? in->n_relations : 0;
    if (counts) *counts = cnt;
out:
    if (rc) {
        graph_csr_destroy(out);
        if (rel) {
            free(*rel);
            *rel = NULL;
        }
    }
    free(deg);
    free(len);
    rowsrc_destroy(&x);
    return rc;
}
