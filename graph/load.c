/* load.c - see load.h. Store scans read keys in (a, b) order, so the CSR
 * comes out already sorted; graph_csr_from_pairs still sorts, which costs
 * little and keeps one construction path. */
#include "graph/load.h"

#include <stdlib.h>
#include <string.h>

static int corrupt(int edges, err_t *e)
{
    return err_set(e, ERR_STORE, "store: %s edge refers to an unknown node (corrupt store?)", store_edges_name(edges));
}

static int load_edges(store_txn_t *t, int edges, uint32_t n_a, uint32_t n_b, int want_attr, store_edge_list_t *out,
                      err_t *e)
{
    int rc = store_edges_load(t, edges, want_attr, out, e);
    if (rc) return rc;
    for (uint64_t i = 0; i < out->n; i++)
        if (out->a[i] >= n_a || out->b[i] >= n_b) {
            store_edge_list_destroy(out);
            return corrupt(edges, e);
        }
    return ERR_OK;
}

int graph_load_edges(store_txn_t *t, int edges, uint32_t n_a, uint32_t n_b, store_edge_list_t *out, err_t *e)
{
    return load_edges(t, edges, n_a, n_b, 0, out, e);
}

void graph_ratings_destroy(graph_ratings_t *r)
{
    if (!r) return;
    free(r->user); free(r->item); free(r->rating);
    memset(r, 0, sizeof *r);
}

int graph_load_ratings(store_txn_t *t, int edges, graph_ratings_t *out, err_t *e)
{
    memset(out, 0, sizeof *out);
    uint64_t nu, ni;
    store_edge_list_t l;
    int rc = store_count_nodes(t, STORE_USER, &nu, e);
    if (!rc) rc = store_count_nodes(t, STORE_ITEM, &ni, e);
    if (!rc) rc = load_edges(t, edges, (uint32_t)nu, (uint32_t)ni, 1, &l, e);
    if (rc) return rc;
    uint64_t n = 0;
    for (uint64_t i = 0; i < l.n; i++) n += (l.attr[i].has & STORE_HAS_RATING) != 0;
    out->user = malloc((n ? n : 1) * sizeof *out->user);
    out->item = malloc((n ? n : 1) * sizeof *out->item);
    out->rating = malloc((n ? n : 1) * sizeof *out->rating);
    if (!out->user || !out->item || !out->rating) {
        store_edge_list_destroy(&l);
        graph_ratings_destroy(out);
        return err_set(e, ERR_NOMEM, "out of memory loading %llu ratings", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < l.n; i++) {
        if (!(l.attr[i].has & STORE_HAS_RATING)) { out->n_unrated++; continue; }
        out->user[out->n] = l.a[i];
        out->item[out->n] = l.b[i];
        out->rating[out->n++] = l.attr[i].rating;
    }
    store_edge_list_destroy(&l);
    return ERR_OK;
}

int graph_load_csr(store_txn_t *t, int edges, uint32_t n_a, uint32_t n_b, graph_csr_t *m, err_t *e)
{
    store_edge_list_t l;
    int rc = graph_load_edges(t, edges, n_a, n_b, &l, e);
    if (rc) return rc;
    rc = graph_csr_from_pairs(m, n_a, n_b, l.a, l.b, l.n, e);
    store_edge_list_destroy(&l);
    return rc;
}

int graph_load_rows(store_txn_t *t, int edges, const uint32_t *a, size_t n, uint32_t n_b, graph_csr_t *m,
                    err_t *e)
{
    uint32_t **rows = calloc(n ? n : 1, sizeof *rows);
    uint64_t *cnt = calloc(n ? n : 1, sizeof *cnt), nnz = 0;
    int rc = ERR_OK;
    if (!rows || !cnt) { free(rows); free(cnt); return err_set(e, ERR_NOMEM, "out of memory"); }
    for (size_t j = 0; j < n && !rc; j++) {
        if ((rc = store_edges_of(t, edges, a[j], &rows[j], &cnt[j], e))) break;
        for (uint64_t i = 0; i < cnt[j] && !rc; i++)
            if (rows[j][i] >= n_b) rc = corrupt(edges, e);
        nnz += cnt[j];
    }
    if (!rc && !(rc = graph_csr_init(m, (uint32_t)n, n_b, nnz, 0, e)))
        for (size_t j = 0; j < n; j++) {
            memcpy(m->col + m->ptr[j], rows[j], cnt[j] * sizeof *m->col);
            m->ptr[j + 1] = m->ptr[j] + cnt[j];
        }
    for (size_t j = 0; j < n; j++) free(rows[j]);
    free(rows);
    free(cnt);
    return rc;
}

int graph_load_interactions(store_txn_t *t, graph_interactions_t *g, err_t *e)
{
    uint64_t nu, ni;
    int rc;
    memset(g, 0, sizeof *g);
    if ((rc = store_count_nodes(t, STORE_USER, &nu, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e)))
        return rc;
    g->n_users = (uint32_t)nu;
    g->n_items = (uint32_t)ni;
    if ((rc = graph_load_csr(t, STORE_TRAIN, g->n_users, g->n_items, &g->train, e))) return rc;
    if ((rc = graph_load_csr(t, STORE_TEST, g->n_users, g->n_items, &g->test, e))) {
        graph_csr_destroy(&g->train);
        return rc;
    }
    return ERR_OK;
}

int graph_load_igraph(store_txn_t *t, igraph_t *g, err_t *e)
{
    uint64_t nu, ni, ne, n_edges = 0, cnt;
    int rc;
    if ((rc = store_count_nodes(t, STORE_USER, &nu, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e)) ||
        (rc = store_count_nodes(t, STORE_ENTITY, &ne, e)))
        return rc;
    static const int kinds[3] = {STORE_TRAIN, STORE_SOCIAL, STORE_KG};
    for (int k = 0; k < 3; k++) {
        if ((rc = store_count_edges(t, kinds[k], &cnt, e))) return rc;
        n_edges += cnt;
    }
    igraph_vector_int_t ev;
    if (igraph_vector_int_init(&ev, (igraph_integer_t)(2 * n_edges)))
        return err_set(e, ERR_NOMEM, "out of memory for %llu edges", (unsigned long long)n_edges);
    igraph_integer_t *p = VECTOR(ev);
    for (int k = 0; k < 3; k++) {
        store_edge_list_t l;
        if ((rc = store_edges_load(t, kinds[k], 0, &l, e))) { igraph_vector_int_destroy(&ev); return rc; }
        /* offsets put each edge type's endpoints in the whole-graph layout */
        uint64_t oa = kinds[k] == STORE_KG ? nu + ni : 0;
        uint64_t ob = kinds[k] == STORE_TRAIN ? nu : kinds[k] == STORE_KG ? nu + ni : 0;
        for (uint64_t i = 0; i < l.n; i++) {
            uint32_t b = kinds[k] == STORE_KG ? l.c[i] : l.b[i];
            *p++ = (igraph_integer_t)(oa + l.a[i]);
            *p++ = (igraph_integer_t)(ob + b);
        }
        store_edge_list_destroy(&l);
    }
    igraph_error_t ig = igraph_create(g, &ev, (igraph_integer_t)(nu + ni + ne), IGRAPH_UNDIRECTED);
    igraph_vector_int_destroy(&ev);
    if (ig) return err_set(e, ERR_INTERNAL, "igraph: %s", igraph_strerror(ig));
    return ERR_OK;
}
