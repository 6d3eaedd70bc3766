/* rank_pairs.c - `infer --pairs FILE` (gnn/scorer.h gnn_rank_pairs): the
 * model's prediction for given (user, item) pairs, one output row per input
 * pair in file order. Embedding models only: a rating model (loss mse)
 * predicts the rating (mean + dot, clipped to the training range), others
 * print the dot product they rank by; an MLP head's score (gnn/head.h,
 * plus the bias columns' dot) takes the dot product's place. Assumes r was opened by
 * gnn_ranker_open (its embeddings are the store's current ids). */
#include <stdio.h>
#include <string.h>

#include "gnn/rank_job.h"
#include "gnn/rating.h"
#include "io/ingest.h"
#include "io/lines.h"

/* The dense id of name, or ERR_NOTFOUND "PATH:LINE: unknown what 'name'". */
static int lookup(const gnn_ranker_t *r, int node, uint32_t n, const char *s, size_t l, const char *path,
                  uint64_t line, uint32_t *id, err_t *e)
{
    int rc = store_id_lookup(r->t, node, s, l, id, e);
    if (rc == ERR_OK && *id >= n) rc = ERR_NOTFOUND;   /* appended since the model was trained */
    if (rc == ERR_NOTFOUND)
        return err_set(e, ERR_NOTFOUND, "%s:%llu: unknown %s '%.*s'", path, (unsigned long long)line,
                       store_node_name(node), (int)l, s);
    return rc;
}

static float predict(const gnn_ranker_t *r, uint32_t u, uint32_t i)
{
    const uint32_t d = r->meta.dim;
    const float *p = r->emb + (size_t)u * d, *q = r->emb + ((size_t)r->meta.n_users + i) * d;
    float y = 0.0f;
    if (r->head_w) y = gnn_head_pair(&r->head, r->head_w, p, q, d);
    else
        for (uint32_t k = 0; k < d; k++) y += p[k] * q[k];
    if (r->meta.loss != GNN_LOSS_MSE) return y;
    y += r->meta.rating_mean;
    return y < r->meta.rating_min ? r->meta.rating_min : y > r->meta.rating_max ? r->meta.rating_max : y;
}

int gnn_rank_pairs(const gnn_ranker_t *r, const char *path, const gnn_rank_opts_t *o, io_writer_t *w, err_t *e)
{
    if (!r->emb) return err_set(e, ERR_USAGE, "--pairs: model '%s' (%s) has no embeddings to score pairs with",
                                r->model, r->meta.arch);
    if (o->format != GNN_RANK_TSV) return err_set(e, ERR_USAGE, "--pairs writes tsv rows (user, item, prediction)");
    io_lines_t lr;
    int rc = io_lines_open(&lr, path, IO_MAX_LINE, e);
    if (rc) return rc;
    char *line, *f[3];
    size_t len, fl[3];
    uint64_t skipped = 0;
    while ((rc = io_lines_next(&lr, &line, &len, e)) == ERR_OK && line) {
        const uint64_t ln = (uint64_t)lr.line;
        int nf = io_split_fields(line, ' ', f, fl, 3);
        if (nf == 0) continue;
        if (nf != 2) { rc = err_set(e, ERR_INPUT, "%s:%llu: expected `user item`", path, (unsigned long long)ln); break; }
        uint32_t u, i;
        rc = lookup(r, STORE_USER, r->meta.n_users, f[0], fl[0], path, ln, &u, e);
        if (!rc) rc = lookup(r, STORE_ITEM, r->meta.n_items, f[1], fl[1], path, ln, &i, e);
        if (rc == ERR_NOTFOUND && o->skip_unknown) {
            if (skipped++ < 10) gnn_rank_note(o, "%s", e->msg);
            rc = ERR_OK;
            continue;
        }
        if (rc) break;
        char num[32];
        int nn = snprintf(num, sizeof num, "\t%.6g\n", (double)predict(r, u, i));
        io_buf_put(&w->buf, f[0], fl[0]);
        io_buf_put(&w->buf, "\t", 1);
        io_buf_put(&w->buf, f[1], fl[1]);
        io_buf_put(&w->buf, num, (size_t)nn);
        if ((rc = io_writer_maybe_flush(w, e))) break;
    }
    io_lines_close(&lr);
    if (!rc && skipped) gnn_rank_note(o, "%s: %llu pairs with an unknown id skipped", path, (unsigned long long)skipped);
    return rc;
}
