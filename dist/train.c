/* train.c (dist/) - dist/train.h: what runs distributed, the partition a
 * run uses, the load and the epoch loop. The step is dist/step.c, the
 * evaluation and the save dist/evalsave.c.
 * Assumes every rank loaded the same store and got the same options.
 */
#include "dist/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "dist/evalsave.h"
#include "graph/load.h"
#include "graph/partition.h"
uint64_t dist_peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

void dist_train_stats_json(const dist_train_stats_t *st, char *buf, size_t n)
{
    const uint64_t *rows[DIST_TRAIN_FIGURES] = {st->own,         st->halo,       st->halo_bytes, st->batch_bytes,
                                                st->eval_bytes,  st->rss_kb,     st->train_rss_kb};
    static const char *const keys[DIST_TRAIN_FIGURES] = {"own_nodes",       "halo_nodes",  "halo_bytes_per_epoch",
                                                         "batch_bytes_per_epoch", "eval_save_bytes", "peak_rss_kb",
                                                         "train_peak_rss_kb"};
    size_t o = 0;
#define PUT(...) (o += (size_t)snprintf(buf + (o < n ? o : n), o < n ? n - o : 0, __VA_ARGS__))
    PUT("{\"ranks\":%d,\"partition\":\"%s\",\"edge_cut\":%llu,\"epochs\":%u,\"train_seconds\":%.2f", st->ranks,
        st->partition, (unsigned long long)st->edge_cut, st->epochs, st->train_seconds);
    for (int k = 0; k < DIST_TRAIN_FIGURES; k++) {
        PUT(",\"%s\":[", keys[k]);
        for (int q = 0; q < st->ranks && q < DIST_TRAIN_MAX_RANKS; q++)
            PUT("%s%llu", q ? "," : "", (unsigned long long)rows[k][q]);
        PUT("]");
    }
    PUT("}");
#undef PUT
}

int dist_train_supported(const dist_t *d, const gnn_trainer_opts_t *o, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_get(o->hp.arch);
    const char *why = NULL;
    if (o->hp.arch != GNN_ARCH_LIGHTGCN && o->hp.arch != GNN_ARCH_MF)
        why = a && a->kind == GNN_KIND_EMBED ? "this architecture" : "a model without BPR training";
    else if (o->hp.loss != GNN_LOSS_BPR) why = "--loss mse";
    else if (o->hp.head) why = "--head mlp";
    else if (o->init_from) why = "--init-from";
    else if (o->valid_fraction > 0.0f || o->patience) why = "a validation split (--valid-fraction, --patience)";
    else if (o->time_limit > 0.0f) why = "--time-limit (each rank has its own clock)";
    else if (d->size > DIST_TRAIN_MAX_RANKS) why = "more than 64 ranks";
    if (!why) return ERR_OK;
    return err_set(e, ERR_USAGE, "distributed training (%d ranks) supports lightgcn and mf with --loss bpr on the "
                   "interactions or the joint graph, without --init-from or a validation split; not %s (%s): run "
                   "it as one process",
                   d->size, why, a ? a->name : "?");
}

/* ---- the run ---- */

/* The owner of every training id: the recorded partition when made for P
 * parts on this graph, else METIS on rank 0 (broadcast), else the hash. */
static int pick_owner(dist_step_t *t, store_t *s, const uint32_t *perm, dist_train_stats_t *st, err_t *e)
{
    const dist_t *d = t->d;
    const uint32_t n = t->n, P = (uint32_t)d->size;
    store_txn_t tx;
    store_partition_t rec = {0};
    int cur = 0, have = 0;
    int rc = store_read_begin(s, &tx, e);
    if (rc) return rc;
    rc = store_partition_get(&tx, &rec, e);
    if (rc == ERR_NOTFOUND) rc = ERR_OK;
    else if (!rc) {
        have = 1;
        rc = store_partition_current(&tx, &rec, &cur, e);
    }
    store_read_end(&tx);
    if (rc) {
        if (have) store_partition_destroy(&rec);
        return rc;
    }
    uint32_t *part = malloc(((size_t)n + 1) * sizeof *part);
    if (!part) rc = err_set(e, ERR_NOMEM, "out of memory");
    if (!rc && have && cur && rec.parts == P && rec.n_users == t->nu && rec.n_items == t->ni) {
        memcpy(part, rec.part, (size_t)n * sizeof *part);
        snprintf(st->partition, sizeof st->partition, "recorded %s", graph_part_method_name((int)rec.method));
    } else if (!rc && graph_partition_metis_built()) {
        /* rank 0 partitions the training graph (store ids), the others wait */
        snprintf(st->partition, sizeof st->partition, "metis (made now%s)",
                 have ? (rec.parts != P ? ": the recorded one has other parts" : ": the recorded one is stale") : "");
        if (d->rank == 0) {
            graph_csr_t adj = {0};
            const graph_csr_t *r = t->fit;
            rc = ERR_OK;
            graph_csr_t rs = {0};
            if (perm) {   /* back to store ids: the partition is of the store's graph */
                uint32_t *inv = malloc(((size_t)n + 1) * sizeof *inv);
                if (!inv) rc = err_set(e, ERR_NOMEM, "out of memory");
                for (uint32_t v = 0; !rc && v < n; v++) inv[perm[v]] = v;
                for (uint32_t i = 0; !rc && i < t->ni; i++) inv[t->nu + i] -= t->nu;
                if (!rc) rc = graph_csr_relabel(r, inv, inv + t->nu, &rs, e);
                free(inv);
                r = &rs;
            }
            graph_typed_t ty = {0};
            if (!rc && t->joint) {   /* the joint graph the run trains on (no node order) */
                if (!(rc = graph_typed_build(t->joint, &t->o->edges, &ty, e)))
                    rc = graph_partition_metis(&ty.adj, P, t->hp.seed, GRAPH_PART_BY_WORK, part, e);
            } else if (!rc && !(rc = graph_norm_bipartite(r, &adj, e))) {
                rc = graph_partition_metis(&adj, P, t->hp.seed, GRAPH_PART_BY_WORK, part, e);
            }
            graph_typed_destroy(&ty);
            graph_csr_destroy(&adj);
            graph_csr_destroy(&rs);
        }
        int rc2 = dist_agree(d, rc, e);
        rc = rc2;
        if (!rc) rc = dist_bcast(d, part, (size_t)n * sizeof *part, e);
    } else if (!rc) {
        snprintf(st->partition, sizeof st->partition, "hash (made now; METIS not built)");
        graph_partition_hash(n, P, t->hp.seed, part);
    }
    if (have) store_partition_destroy(&rec);
    if (!rc) {
        for (uint32_t v = 0; v < n; v++) t->owner[perm ? perm[v] : v] = part[v];
    }
    free(part);
    return rc;
}

static void note(const gnn_trainer_opts_t *o, const dist_t *d, const gnn_trainer_note_t *n)
{
    if (d->rank == 0 && o->on_note) o->on_note(o->ctx, n);
}

static int run_load(dist_run_t *r, store_t *s, err_t *e)
{
    dist_step_t *t = &r->t;
    const gnn_trainer_opts_t *o = t->o;
    store_txn_t tx;
    int rc = store_read_begin(s, &tx, e);
    if (rc) return rc;
    rc = graph_load_interactions(&tx, &r->g, e);
    /* the joint graph's edge lists (every rank: each builds its own rows);
     * no node order is made for a joint graph (gnn_trainer_order), so the
     * lists are in the training ids already */
    const int joint = o->edges.social || o->edges.knowledge;
    if (!rc && joint && !(rc = graph_typed_src_load(&tx, &r->g.train, &o->edges, &r->src, e))) r->have_src = 1;
    r->version = store_txn_version(&tx);
    store_read_end(&tx);
    if (rc) return rc;
    /* the load read every edge record once: its map pages leave this
     * rank's resident set, as in the one-process trainer */
    store_drop_pages(s);
    if (r->g.train.nnz == 0) return err_set(e, ERR_USAGE, "%s: the store has no training interactions", s->dir);
    graph_order_id_t how;
    double t0 = clock_now();
    if ((rc = gnn_trainer_order(o, &r->g.train, &r->fit_o, &r->perm, &how, e))) return rc;
    if (r->perm) {
        gnn_trainer_note_t n = {.kind = GNN_NOTE_ORDER, .order = how, .seconds = clock_now() - t0};
        note(o, t->d, &n);
    }
    t->fit = r->perm ? &r->fit_o : &r->g.train;
    t->nu = r->g.n_users;
    t->ni = r->g.n_items;
    const uint32_t ne = r->have_src && o->edges.knowledge ? r->src.in.n_entities : 0;
    if ((uint64_t)t->nu + t->ni + ne > UINT32_MAX) return err_set(e, ERR_USAGE, "too many nodes");
    t->n = t->nu + t->ni + ne;
    t->joint = r->have_src ? &r->src.in : NULL;
    /* only rank 0 evaluates, from the test split; the exclusion's R in
     * store ids it rebuilds from t->fit when it evaluates (eval_root) */
    if (t->d->rank != 0) graph_csr_destroy(&r->g.test);
    if (r->perm) graph_csr_destroy(&r->g.train);
    return ERR_OK;
}

int dist_train_run(const dist_t *d, store_t *s, const char *name, const gnn_trainer_opts_t *o,
                   gnn_trainer_result_t *out, dist_train_stats_t *st, err_t *e)
{
    memset(out, 0, sizeof *out);
    memset(st, 0, sizeof *st);
    out->kind = GNN_KIND_EMBED;
    st->ranks = d->size;
    int rc = dist_train_supported(d, o, e);
    if (rc) return rc;
    dist_run_t *r = calloc(1, sizeof *r);
    if (!r) return dist_agree(d, err_set(e, ERR_NOMEM, "out of memory"), e);
    int have_g = 0;
    dist_step_t *t = &r->t;
    t->d = d;
    t->o = o;
    t->hp = o->hp;
    if (t->hp.arch == GNN_ARCH_MF) t->hp.layers = 0;
    t->K = t->hp.layers;
    t->dim = o->hp.dim;
    t->half = t->hp.arch == GNN_ARCH_LIGHTGCN && t->K > 0 && !t->hp.fp32_tables;
    /* the hyper-parameters one process would refuse */
    gnn_model_t probe;
    rc = gnn_model_init(&probe, &o->hp, 1, 1, e);
    if (!rc) gnn_model_destroy(&probe);
    if (!rc) {
        rc = run_load(r, s, e);
        have_g = r->g.train.ptr != NULL;
    }
    if (!rc && t->hp.dim > GNN_MAX_DIM) rc = err_set(e, ERR_USAGE, "dim %u > %d", t->hp.dim, GNN_MAX_DIM);
    if (!rc && !(t->owner = malloc(((size_t)t->n + 1) * sizeof *t->owner))) rc = err_set(e, ERR_NOMEM, "out of memory");
    /* agreed, and every rank's copy of the store rank 0's */
    if ((rc = dist_agree_version(d, rc, r->version, e))) goto out;
    if ((rc = pick_owner(t, s, r->perm, st, e))) goto out;
    rc = dist_step_init(t, e);
    /* the edge lists made this rank's rows: not needed past them */
    if (r->have_src) graph_typed_src_destroy(&r->src);
    r->have_src = 0;
    t->joint = NULL;
    if ((rc = dist_agree(d, rc, e)) || (rc = dist_run_setup(r, e))) goto out;
    if (o->edges.social || o->edges.knowledge) {
        gnn_trainer_note_t nj = {.kind = GNN_NOTE_JOINT, .typed = &t->h.counts};
        note(o, d, &nj);
    }
    dist_resume_t rs;
    if ((rc = dist_run_begin(r, s, name, &rs, e))) goto out;
    if (o->resume) {
        gnn_trainer_note_t nr = {.kind = GNN_NOTE_RESUME, .start_epoch = rs.start, .best_epoch = rs.best_epoch,
                                 .best_metric = rs.best, .watch = "test"};
        note(o, d, &nr);
    }
    gnn_trainer_note_t n = {.kind = GNN_NOTE_START, .n_users = t->nu, .n_items = t->ni, .n_train = t->fit->nnz};
    note(o, d, &n);
    double t_run = clock_now(), best = rs.best;
    uint32_t epoch, best_epoch = rs.best_epoch;
    out->start_epoch = rs.start;
    for (epoch = rs.start; epoch < o->epochs; epoch++) {
        gnn_epoch_report_t rep = {.epoch = epoch + 1, .epochs = o->epochs, .watch = "test"};
        double t0 = clock_now();
        rc = dist_step_epoch(t, epoch, &rep.loss, e);
        if ((rc = dist_agree(d, rc, e))) goto out;
        rep.seconds = clock_now() - t0;
        st->train_seconds += rep.seconds;
        const int last = epoch + 1 == o->epochs;
        rep.lr = gnn_lr_at(&t->hp, epoch + 1.0 - 1e-9);
        rep.eta = (clock_now() - t_run) / (double)(epoch + 1 - rs.start) * (double)(o->epochs - epoch - 1);
        if ((o->eval_every && (epoch + 1) % o->eval_every == 0) || last) {
            double te = clock_now();
            if ((rc = dist_run_eval(r, &rep.metrics, last, e))) goto out;
            rep.eval_seconds = clock_now() - te;
            rep.evaluated = 1;
            best = rep.metrics.recall[0];
            best_epoch = epoch + 1;
            out->test = rep.metrics;
        }
        rep.best_epoch = best_epoch;
        if (d->rank == 0) {
            char line[2048];
            gnn_trainer_log_line(&rep, line, sizeof line);
            rc = gnn_mlog_line(&r->log, line, e);
            if (!rc && o->on_epoch) o->on_epoch(o->ctx, &rep);
        }
        if ((rc = dist_agree(d, rc, e))) goto out;
        /* a checkpoint as one process stages it (the last epoch saves the model) */
        if (!last && o->checkpoint_every && (epoch + 1) % o->checkpoint_every == 0) {
            dist_save_t cp = {.epoch = epoch + 1, .best_epoch = best_epoch, .best = best,
                              .secs = rs.secs + clock_now() - t_run};
            if ((rc = dist_run_save(r, s, name, &cp, e))) goto out;
        }
    }
    st->epochs = epoch - rs.start;
    out->epoch = out->best_epoch = epoch;
    out->seconds = rs.secs + clock_now() - t_run;
    if (epoch == rs.start) {   /* --resume of a run that has done its epochs: nothing saved */
        out->nothing_to_do = 1;
        out->best_epoch = rs.best_epoch;
        goto out;
    }
    /* the step's tables went at the last evaluation (dist_run_eval); rank 0's test split is not the save's: freed before it, as the
     * other ranks freed it at the load */
    out->have_test = r->g.test.nnz > 0;
    graph_csr_destroy(&r->g.test);
    const uint64_t train_kb = dist_peak_rss_kb();   /* the peak before the save */
    dist_save_t sv = {.final = 1, .epoch = epoch, .best_epoch = best_epoch, .best = best, .secs = out->seconds};
    if ((rc = dist_run_save(r, s, name, &sv, e))) goto out;
    /* the figures of every rank, to rank 0 */
    const uint64_t E = st->epochs ? st->epochs : 1;
    uint64_t mine[DIST_TRAIN_FIGURES] = {t->h.n_own,        t->h.n_halo,        t->h.bytes / E, t->batch_bytes / E,
                                         t->eval_bytes + r->rows.bytes, dist_peak_rss_kb(), train_kb};
    uint64_t *dst[DIST_TRAIN_FIGURES] = {st->own,        st->halo,   st->halo_bytes,  st->batch_bytes,
                                         st->eval_bytes, st->rss_kb, st->train_rss_kb};
    for (int k = 0; k < DIST_TRAIN_FIGURES && !rc; k++) rc = dist_gather_u64(d, mine[k], dst[k], e);
    uint64_t cut2 = 0, cut = 0;
    for (uint32_t q = 0; q < t->h.n_own; q++)
        for (uint64_t k = t->h.a.ptr[q]; k < t->h.a.ptr[q + 1]; k++) cut2 += t->h.a.col[k] >= t->h.n_own;
    if (!rc) rc = dist_sum_u64(d, cut2, &cut, e);
    st->edge_cut = cut / 2;
out:
    rc = gnn_mlog_close(&r->log, rc, e);   /* rank 0's --metrics-log: its close checked */
    dist_step_destroy(t);
    dist_rows_destroy(&r->rows);
    free(r->eval_list);
    free(r->perm);
    graph_csr_destroy(&r->fit_o);
    if (r->have_src) graph_typed_src_destroy(&r->src);
    if (have_g) graph_interactions_destroy(&r->g);
    free(r);
    return rc;
}
