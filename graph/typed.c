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
    const uint32_t U = in->n_users, I = in->n_items, E = o->knowledge ? in->n_entities : 0;
    if ((uint64_t)U + I + E > UINT32_MAX)
        return err_set(e, ERR_USAGE, "graph too large: %u users + %u items + %u entities", U, I, E);
    if (in->train->n_rows != U || in->train->n_cols != I)
        return err_set(e, ERR_USAGE, "train matrix is %u x %u, expected %u x %u", in->train->n_rows,
                       in->train->n_cols, U, I);
    if (!(o->w_social >= 0.0f) || !(o->w_knowledge >= 0.0f) || !isfinite(o->w_social) ||
        !isfinite(o->w_knowledge))
        return err_set(e, ERR_USAGE, "edge weights must be finite and >= 0");
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
        int rc = graph_social_sym(&s, U, in->su, in->sv, in->n_social, 0, e);
        if (rc) { free(v); return rc; }
        for (uint32_t u = 0; u < U; u++)   /* s holds both directions already */
            for (uint64_t k = s.ptr[u]; k < s.ptr[u + 1]; k++) v[n++] = (ent_t){u, s.col[k], GRAPH_NO_REL, o->w_social};
        graph_csr_destroy(&s);
    }
    if (o->knowledge && o->w_knowledge > 0.0f) {
        for (uint64_t k = 0; k < in->n_kg; k++) {
            uint32_t h = in->kh[k], t = in->kt[k], r = in->kr[k];
            if (h >= in->n_entities || t >= in->n_entities || r >= in->n_relations) {
                free(v);
                return err_set(e, ERR_STORE, "kg triple %llu out of range", (unsigned long long)k);
            }
            /* an aligned entity is its item: its facts attach to the item node */
            uint32_t a = in->item_of_entity && in->item_of_entity[h] != GRAPH_NO_REL ? U + in->item_of_entity[h] : U + I + h;
            uint32_t b = in->item_of_entity && in->item_of_entity[t] != GRAPH_NO_REL ? U + in->item_of_entity[t] : U + I + t;
            if (a != b) add2(v, &n, a, b, o->w_knowledge, r);
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
    int rc = graph_csr_init(&g->adj, N, N, m, 1, e);
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
        int ty = T == 1 ? 0 : entry_type(&v[k], U);
        /* per type, degrees count edges (w / w_t); w_t is applied once, below */
        deg[(size_t)ty * N + v[k].r] += T == 1 ? v[k].w : v[k].w / type_weight(o, ty);
        g->adj.ptr[v[k].r + 1]++;
        if (v[k].r < v[k].c) {   /* count each undirected pair once */
            if (v[k].r < U && v[k].c < U) g->social_pairs++;
            else if (v[k].rel != GRAPH_NO_REL) g->kg_pairs++;
        }
    }
    for (uint32_t r = 0; r < N; r++) g->adj.ptr[r + 1] += g->adj.ptr[r];
    for (uint64_t k = 0; k < m; k++) {
        g->adj.col[k] = v[k].c;
        size_t base = (size_t)(T == 1 ? 0 : entry_type(&v[k], U)) * N;
        g->adj.val[k] = (float)(v[k].w / sqrt(deg[base + v[k].r] * deg[base + v[k].c]));
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

int graph_typed_load(store_txn_t *t, const graph_csr_t *train, const graph_typed_opts_t *o,
                     graph_typed_t *g, err_t *e)
{
    store_edge_list_t so = {0}, kg = {0};
    uint32_t *ioe = NULL, aligned = 0;
    uint64_t ne = 0, nr = 0;
    int rc = ERR_OK;
    memset(g, 0, sizeof *g);
    if (o->social) rc = store_edges_load(t, STORE_SOCIAL, 0, &so, e);
    if (!rc && o->knowledge) {
        if ((rc = store_edges_load(t, STORE_KG, 0, &kg, e)) ||
            (rc = store_count_nodes(t, STORE_ENTITY, &ne, e)) ||
            (rc = store_count_nodes(t, STORE_RELATION, &nr, e)) ||
            (rc = graph_load_item_of_entity(t, &ioe, &aligned, e)))
            goto out;
    }
    if (rc) goto out;
    if (ne > UINT32_MAX || nr > UINT32_MAX) { rc = err_set(e, ERR_STORE, "too many entities"); goto out; }
    /* store kg keys are head . relation . tail: a = head, b = relation, c = tail */
    graph_typed_edges_t in = {.n_users = train->n_rows, .n_items = train->n_cols, .n_entities = (uint32_t)ne,
                              .n_relations = (uint32_t)nr, .train = train,
                              .n_social = so.n, .su = so.a, .sv = so.b,
                              .n_kg = kg.n, .kh = kg.a, .kr = kg.b, .kt = kg.c, .item_of_entity = ioe};
    rc = graph_typed_build(&in, o, g, e);
out:
    free(ioe);
    store_edge_list_destroy(&so);
    store_edge_list_destroy(&kg);
    return rc;
}

void graph_typed_destroy(graph_typed_t *g)
{
    if (!g) return;
    graph_csr_destroy(&g->adj);
    free(g->rel);
    memset(g, 0, sizeof *g);
}
