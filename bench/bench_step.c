/* bench_step.c - seconds per training step of one large-graph batch, for an
 * A/B of step kernels when a whole epoch is too long to repeat (a 16M-
 * interaction epoch is 50 steps of minutes each on a loaded machine). Loads
 * a store as bench_train --store does, numbers the nodes as `gnnrec train`
 * does (gnn_trainer_order, auto), then runs the first N steps of epoch 0
 * at the trainer's batch (gnn_batch_positives) through gnn_sample_range +
 * gnn_train_step, each timed, and prints every step's seconds and loss.
 * Only internal calls that exist since the step-sampling change, so the
 * same file builds against an older tree's libraries for the baseline.
 * Usage: bench_step --store DIR [--steps-per-epoch 50] [--neg 4] [--steps 4]
 *                   [--threads 2] [--lr 0.02]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "base/clock.h"
#include "gnn/internal.h"
#include "gnn/model.h"
#include "gnn/trainer.h"
#include "graph/csr.h"
#include "graph/load.h"
#include "store/store.h"

int main(int argc, char **argv)
{
    const char *store_dir = NULL;
    gnn_trainer_opts_t o;
    gnn_trainer_defaults(&o);
    gnn_hparams_t *hp = &o.hp;
    hp->steps_per_epoch = 50;
    hp->negatives = 4;
    hp->lr = 0.02f;
    hp->threads = 2;
    int steps = 4;
    for (int a = 1; a + 1 < argc; a += 2) {
        const char *k = argv[a], *v = argv[a + 1];
        if (!strcmp(k, "--store")) store_dir = v;
        else if (!strcmp(k, "--steps-per-epoch")) hp->steps_per_epoch = (uint32_t)atoi(v);
        else if (!strcmp(k, "--neg")) hp->negatives = (uint32_t)atoi(v);
        else if (!strcmp(k, "--steps")) steps = atoi(v);
        else if (!strcmp(k, "--threads")) hp->threads = atoi(v);
        else if (!strcmp(k, "--lr")) hp->lr = (float)atof(v);
        else { fprintf(stderr, "bench_step: unknown option %s\n", k); return 2; }
    }
    if (!store_dir) { fprintf(stderr, "usage: bench_step --store DIR [...]\n"); return 2; }
    store_t s;
    store_txn_t t;
    graph_interactions_t g;
    err_t e = {0};
    if (store_open(&s, store_dir, STORE_RDONLY, &e)) { fprintf(stderr, "bench_step: %s\n", e.msg); return 77; }
    int rc = store_read_begin(&s, &t, &e) || graph_load_interactions(&t, &g, &e);
    store_read_end(&t);
    store_close(&s);
    if (rc) { fprintf(stderr, "bench_step: %s\n", e.msg); return 1; }
    omp_set_num_threads(hp->threads);
    openblas_set_num_threads(hp->threads);
    graph_csr_t fit = {0}, adj;
    uint32_t *perm = NULL;
    graph_order_id_t how;
    if (gnn_trainer_order(&o, &g.train, &fit, &perm, &how, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    const graph_csr_t *tr = perm ? &fit : &g.train;
    gnn_model_t m;
    if (graph_norm_bipartite(tr, &adj, &e) || gnn_model_init(&m, hp, tr->n_rows, tr->n_cols, &e)
        || gnn_sampler_active(m.ws, tr, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    gnn_ws_t *w = m.ws;
    const uint64_t bs = gnn_batch_positives(hp, tr->nnz);
    printf("%s: %u users, %u items, %llu train, node order %s, batch %llu x %u negatives, %d threads\n", store_dir,
           tr->n_rows, tr->n_cols, (unsigned long long)tr->nnz, graph_order_info(how)->name,
           (unsigned long long)bs, hp->negatives, hp->threads);
    double sum = 0.0;
    for (int k = 0; k < steps && (uint64_t)k * bs < tr->nnz; k++) {
        const uint64_t b = (uint64_t)k * bs, cnt = tr->nnz - b < bs ? tr->nnz - b : bs;
        size_t off;
        double loss, t0 = clock_now();
        if (gnn_sample_range(w, tr, hp->seed, 0, hp->negatives, b, b + cnt, hp->threads, &off, &e)) break;
        double t1 = clock_now();
        if (gnn_train_step(&m, &adj, w->tu + off, w->ti + off, w->tj + off, (uint32_t)(cnt * hp->negatives), &loss,
                           &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
        double t2 = clock_now();
        sum += t2 - t0;
        printf("step %d: %.3f s (sample %.3f, step %.3f), loss %.6f\n", k + 1, t2 - t0, t1 - t0, t2 - t1, loss);
    }
    printf("mean %.3f s per step\n", sum / steps);
    gnn_model_destroy(&m);
    graph_csr_destroy(&adj); graph_csr_destroy(&fit);
    free(perm);
    graph_interactions_destroy(&g);
    return 0;
}
