/* trainer_text.c - the lines `gnnrec train` prints (trainer.h's
 * gnn_trainer_*_text): a note before training, one line per epoch, the
 * result. The library makes the text so that every front end (the command,
 * a program on libgnnrec) says the same thing; tools/ only prints it.
 * Lines end in '\n' and are cut, not overrun, at cap bytes. */
#include "gnn/trainer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gnn/arch.h"

typedef struct text {
    char *buf;
    size_t cap, n;
} text_t;

static void put(text_t *t, const char *fmt, ...)
{
    if (t->n + 1 >= t->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->buf + t->n, t->cap - t->n, fmt, ap);
    va_end(ap);
    if (k > 0) t->n = t->n + (size_t)k < t->cap ? t->n + (size_t)k : t->cap - 1;
}

void gnn_trainer_note_text(const gnn_trainer_opts_t *o, const char *name, const gnn_trainer_note_t *n, char *buf,
                           size_t cap)
{
    text_t t = {buf, cap, 0};
    const gnn_hparams_t *h = &o->hp;
    const char *arch = gnn_arch_get(h->arch)->name;
    const graph_typed_t *ty = n->typed;
    buf[0] = '\0';
    if (n->kind == GNN_NOTE_JOINT)
        put(&t, "joint graph: %u users, %u items, %u entities, %u relations; %llu social pairs (weight %g), "
            "%llu knowledge pairs (weight %g), %u items aligned to entities\n", ty->n_users, ty->n_items,
            ty->n_entities, ty->n_relations, (unsigned long long)ty->social_pairs, (double)o->edges.w_social,
            (unsigned long long)ty->kg_pairs, (double)o->edges.w_knowledge, ty->items_aligned);
    else if (n->kind == GNN_NOTE_WARM)
        put(&t, "warm start from '%s': %u users, %u items copied; new: %u users, %u items at their neighbours' "
            "mean, %u, %u random\n", n->from, n->warm->users_copied, n->warm->items_copied, n->warm->users_placed,
            n->warm->items_placed, n->warm->users_random, n->warm->items_random);
    else if (n->kind == GNN_NOTE_RESUME)
        put(&t, "resuming model '%s' at epoch %u (best %s %.4f at epoch %u)\n", name, n->start_epoch, n->watch,
            n->best_metric, n->best_epoch);
    else if (n->kind == GNN_NOTE_START) {
        put(&t, "train %s '%s': %u users, %u items, %llu training interactions%s, dim %u, %u layers, batch %llu", arch,
            name, n->n_users, n->n_items, (unsigned long long)n->n_train,
            n->split ? " (after the validation split)" : "", h->dim, h->layers,
            (unsigned long long)gnn_batch_positives(h, n->n_train));
        if (h->steps_per_epoch) put(&t, " (%u steps per epoch)", h->steps_per_epoch);
        if (o->eval_users) put(&t, ", evaluations on %u sampled users", o->eval_users);
        put(&t, ", lr %g, %u epochs\n", (double)h->lr, o->epochs);
    } else if (n->kind == GNN_NOTE_ORDER)
        put(&t, "node order: %s (%.2fs)\n", graph_order_info(n->order)->name, n->seconds);
    else if (n->kind == GNN_NOTE_FITTED)
        put(&t, "%s: %u users, %u items, %s %u fitted in %.2fs\n", arch, n->n_users, n->n_items,
            h->arch == GNN_ARCH_ITEMKNN ? "neighbours" : h->arch == GNN_ARCH_EASE ? "item rows" : "SVD k",
            n->svd_k, n->seconds);
}

void gnn_trainer_epoch_text(const gnn_trainer_opts_t *o, const gnn_epoch_report_t *p, char *buf, size_t cap)
{
    text_t t = {buf, cap, 0};
    buf[0] = '\0';
    put(&t, "epoch %4u/%u  loss %.5f  %6.2fs", p->epoch, p->epochs, p->loss, p->seconds);
    if (o->hp.lr_warmup > 0.0f || o->hp.lr_decay != GNN_LR_CONSTANT) put(&t, "  lr %.3g", p->lr);
    for (int k = 0; p->evaluated && k < p->metrics.n_k; k++)
        put(&t, "  %s recall@%u %.4f ndcg@%u %.4f", p->watch, p->metrics.k[k], p->metrics.recall[k], p->metrics.k[k],
            p->metrics.ndcg[k]);
    if (p->valid_rated) put(&t, "  valid rmse %.4f mae %.4f", p->valid_rmse, p->valid_mae);
    if (p->rated) put(&t, "  test rmse %.4f mae %.4f", p->rmse, p->mae);
    if (p->stop == GNN_STOP_PATIENCE)
        put(&t, "  (no improvement in %u evaluations: stopping; best epoch %u)", o->patience, p->best_epoch);
    if (p->stop == GNN_STOP_TIME) put(&t, "  (time limit %gs reached: stopping)", (double)o->time_limit);
    put(&t, "  eta %.0fs\n", p->eta);
}

void gnn_trainer_result_text(const gnn_trainer_opts_t *o, const char *name, const gnn_trainer_result_t *res,
                             char *buf, size_t cap)
{
    text_t t = {buf, cap, 0};
    const char *arch = gnn_arch_get(o->hp.arch)->name;
    buf[0] = '\0';
    if (res->nothing_to_do || !res->have_test) return;
    if (res->kind == GNN_KIND_COUNT) put(&t, "model %s (pop)", name);
    else if (res->kind == GNN_KIND_FILTER)
        put(&t, "model %s (%s, fit %.1fs, eval %.1fs)", name, arch, res->seconds, res->eval_seconds);
    else put(&t, "model %s (%s, epoch %u of %u, %.1fs)", name, arch, res->best_epoch, res->epoch, res->seconds);
    const gnn_metrics_t *met = &res->test;
    if (res->n_rated) put(&t, "  test rmse %.4f  mae %.4f", res->rmse, res->mae);
    put(&t, "  test users %u", met->users_evaluated);
    for (int k = 0; k < met->n_k; k++)
        put(&t, "  recall@%u %.4f  ndcg@%u %.4f", met->k[k], met->recall[k], met->k[k], met->ndcg[k]);
    put(&t, "\n");
}
