/* rank_new.c - top-K for new users (gnn_rank_new_users, scorer.h): their
 * items read from a file, folded in by the model's rule (gnn/foldin.h) or,
 * for graph filters, scored from their item rows; the popularity ranking
 * for a user with no known item. Assumes the ranker's read transaction
 * outlives the call; nothing is written to the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/eval.h"
#include "gnn/foldin.h"
#include "gnn/rank_job.h"
#include "graph/load.h"


/* The new users' queries: for filters their item rows (hist), for
 * embedding models their folded-in vectors q [n x dim] (an empty user's
 * row stays zero and takes the fallback). */
static int fold_in(const gnn_ranker_t *r, const graph_csr_t *train, const graph_csr_t *hist,
                   const gnn_rank_opts_t *o, float *q, err_t *e)
{
    uint32_t nu = r->meta.n_users, ni = r->meta.n_items, dim = r->meta.dim;
    const float *emb0 = r->emb;   /* mf: the final embeddings are the layer-0 ones */
    int rc;
    if (r->arch->caps & GNN_CAP_PROPAGATES) {
        size_t np;
        if ((rc = gnn_saved_floats(r->t, r->model, GNN_SAVED_KEY_PARAMS, &emb0, &np, e))) {
            if (rc == ERR_NOTFOUND)
                rc = err_set(e, ERR_USAGE, "model '%s' has no saved layer-0 parameters (pruned?): fold-in needs them",
                             r->model);
            return rc;
        }
        if (np < ((size_t)nu + ni) * dim) return err_set(e, ERR_STORE, "model '%s': short params blob", r->model);
    }
    gnn_foldin_t f;
    if ((rc = gnn_foldin_init(&f, r->meta.arch, nu, ni, dim, r->meta.layers, emb0, train, o->threads, e)))
        return rc;
    f.rule = o->foldin_rule;
    for (uint32_t u = 0; u < hist->n_rows && !rc; u++) {
        uint64_t a = hist->ptr[u], b = hist->ptr[u + 1];
        if (a < b) rc = gnn_foldin_user(&f, hist->col + a, (uint32_t)(b - a), NULL, q + (size_t)u * dim, e);
    }
    gnn_foldin_destroy(&f);
    return rc;
}

/* The file's users and their known items as lists [n x items], row u =
 * user u's items in file order, duplicates kept (fold-in sums them in that
 * order), not sorted: not a CSR for the kernels. */
static int new_user_lists(const gnn_ranker_t *r, const io_user_items_t *f, const gnn_rank_opts_t *o,
                          graph_csr_t *lists, err_t *e)
{
    ids_t items = {0};
    uint8_t *known = malloc(f->items.n ? f->items.n : 1);
    int rc = known ? gnn_rank_resolve(r->t, STORE_ITEM, &f->items, o->skip_unknown, o, &items, known, e)
                   : err_set(e, ERR_NOMEM, "out of memory");
    if (!rc && !(rc = graph_csr_init(lists, (uint32_t)f->users.n, r->meta.n_items, items.n, 0, e))) {
        uint64_t nnz = 0;
        for (size_t u = 0; u < f->users.n; u++) {
            for (uint32_t i = f->start[u]; i < f->start[u + 1]; i++)
                if (known[i]) lists->col[nnz] = items.id[nnz], nnz++;
            lists->ptr[u + 1] = nnz;
        }
    }
    free(known);
    free(items.id);
    return rc;
}

int gnn_rank_new_users(const gnn_ranker_t *r, const char *path, const gnn_rank_opts_t *o, io_writer_t *w,
                       err_t *e)
{
    uint32_t nu = r->meta.n_users, ni = r->meta.n_items, dim = r->meta.dim, kk = o->k;
    int filter = r->arch->kind == GNN_KIND_FILTER, joint = !filter && gnn_saved_joint(&r->meta);
    if (r->head_w)
        return err_set(e, ERR_USAGE, "model '%s' (%s with an mlp head): fold-in of new users is defined for dot "
                       "products only", r->model, r->meta.arch);
    if (!(r->arch->caps & GNN_CAP_FOLDIN) || joint)
        return err_set(e, ERR_USAGE, "model '%s' (%s%s): fold-in of new users is defined for lightgcn, mf and pop "
                       "models trained on interactions only", r->model, r->meta.arch, joint ? " on a joint graph" : "");
    io_user_items_t f = {0};
    graph_csr_t lists = {0}, hist = {0}, train = {0};
    graph_interactions_t g = {0};
    gnn_scorer_t s = {0};
    names_t in = {0};
    float *q = NULL, *deg = NULL, *psc = NULL;
    uint32_t *rows = NULL, *ptop = NULL;
    uint8_t *empty = NULL;
    int rc, have_g = 0;
    if ((rc = io_user_items_read(&f, path, STORE_MAX_ID_LEN, e)) || (rc = new_user_lists(r, &f, o, &lists, e)))
        goto out;
    size_t n = f.users.n, n_empty = 0;
    if (n == 0) goto out;
    rows = malloc(n * sizeof *rows);
    empty = malloc(n);
    deg = malloc((ni ? ni : 1) * sizeof *deg);
    ptop = malloc(kk * sizeof *ptop);
    psc = malloc(kk * sizeof *psc);
    if (!rows || !empty || !deg || !ptop || !psc) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    uint32_t *pr = malloc((lists.nnz ? lists.nnz : 1) * sizeof *pr);
    if (!pr) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
    for (size_t u = 0; u < n; u++) {
        rows[u] = (uint32_t)u;
        empty[u] = lists.ptr[u] == lists.ptr[u + 1];
        n_empty += empty[u];
        for (uint64_t i = lists.ptr[u]; i < lists.ptr[u + 1]; i++) pr[i] = (uint32_t)u;
    }
    /* sorted, deduplicated rows: what each new user has seen, and what a
     * graph filter scores from */
    rc = graph_csr_from_pairs(&hist, (uint32_t)n, ni, pr, lists.col, lists.nnz, e);
    free(pr);
    if (rc) goto out;
    if (filter) {
        if ((rc = graph_load_interactions(r->t, &g, e))) goto out;
        have_g = 1;
        if ((rc = gnn_scorer_open(r->t, r->model, &g, &s, e))) goto out;
    } else {
        if ((rc = graph_load_csr(r->t, STORE_TRAIN, nu, ni, &train, e))) goto out;
        if (!(q = calloc(n * dim, sizeof *q))) { rc = err_set(e, ERR_NOMEM, "out of memory"); goto out; }
        if ((rc = fold_in(r, &train, &lists, o, q, e))) goto out;
        gnn_scorer_emb(&s, r->meta.arch, q, (uint32_t)n, r->emb + (size_t)nu * dim, ni, dim);
    }
    /* a user with no known item: the popularity ranking (the scalar 1
     * against the item degrees, through the same kernel) */
    static const float one = 1.0f;
    graph_csr_col_degrees(filter ? &g.train : &train, deg);
    if ((rc = gnn_topk(&one, 1, deg, ni, 1, NULL, NULL, kk, 1, ptop, psc, e))) goto out;
    if (n_empty)
        gnn_rank_note(o, "%zu new user%s with no known item got the popularity ranking", n_empty, n_empty > 1 ? "s" : "");
    if ((rc = gnn_rank_names_init(&in, r->t, STORE_ITEM, ni, (uint64_t)n * kk > ni / 4, e))) goto out;
    /* block 1 for embeddings when a user falls back: the rows then come out
     * of one-row products as they always did (a block's SGEMM may round the
     * last digit differently), so the output bytes did not change */
    job_t j = {.s = &s, .hist = filter ? &hist : NULL, .rows = rows, .n_q = n, .ex = o->include_seen ? NULL : &hist,
               .block = n_empty && !filter ? 1 : 0, .fallback = empty, .fb_top = ptop, .fb_sc = psc,
               .qstr = &f.users, .cnames = &in, .qkey = "user", .ckey = "item", .lkey = "items"};
    rc = gnn_rank_run_job(&j, o, w, e);
out:
    io_user_items_destroy(&f);
    graph_csr_destroy(&lists);
    graph_csr_destroy(&hist);
    graph_csr_destroy(&train);
    gnn_scorer_destroy(&s);
    if (have_g) graph_interactions_destroy(&g);
    gnn_rank_names_free(&in);
    free(q); free(deg); free(psc); free(rows); free(ptop); free(empty);
    return rc;
}
