/* test_trainer.c - gnn/trainer on a tiny store: a run stopped and resumed
 * equals an uninterrupted one bit for bit (parameters, Adam state, step,
 * saved embeddings); checkpoints are staged exactly every
 * checkpoint_every epochs (also before any evaluation) and never touch the
 * served model until the run ends; the epoch reports' evaluation schedule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn/saved.h"
#include "gnn/trainer.h"
#include "tests/check.h"

enum { NU = 60, NI = 40 };

static int fill(store_txn_t *t, void *ctx, err_t *e)
{
    (void)ctx;
    char name[32];
    int rc;
    for (uint32_t u = 0; u < NU; u++) {
        int l = snprintf(name, sizeof name, "u%u", u);
        if ((rc = store_id_add(t, STORE_USER, u, name, (size_t)l, e))) return rc;
    }
    for (uint32_t i = 0; i < NI; i++) {
        int l = snprintf(name, sizeof name, "i%u", i);
        if ((rc = store_id_add(t, STORE_ITEM, i, name, (size_t)l, e))) return rc;
    }
    /* two communities: users see mostly the items of their half */
    for (uint32_t u = 0; u < NU; u++)
        for (uint32_t k = 0; k < 10; k++) {
            uint32_t i = (u % 2) * (NI / 2) + (u * 7 + k * 3) % (NI / 2);
            uint32_t ids[2] = {u, i};
            int existed;
            if ((rc = store_edge_put(t, k < 8 ? STORE_TRAIN : STORE_TEST, ids, NULL, 0, &existed, e))) return rc;
        }
    return ERR_OK;
}

static void base_opts(gnn_trainer_opts_t *o, uint32_t epochs)
{
    static const uint32_t ks[1] = {10};
    gnn_trainer_defaults(o);
    o->hp.dim = 8;
    o->hp.layers = 2;
    o->hp.batch_size = 64;
    o->hp.lr = 0.01f;
    o->hp.seed = 11;
    o->hp.threads = 1;
    o->hp.lr_epochs = 8;
    o->epochs = epochs;
    o->eval_every = 2;
    o->checkpoint_every = 1;
    o->ks = ks;
    o->n_k = 1;
    o->progress = -1;
}

/* The checkpoint of model name (staged or saved) copied out. */
typedef struct snap {
    gnn_saved_meta_t meta;
    int staged;
    size_t n;
    float *params, *adam_v, *emb;
    size_t n_emb;
} snap_t;

static int snap(store_t *s, const char *name, snap_t *out)
{
    store_txn_t t;
    gnn_saved_checkpoint_t c;
    err_t e = {0};
    memset(out, 0, sizeof *out);
    if (store_read_begin(s, &t, &e)) return -1;
    int rc = gnn_saved_checkpoint(&t, name, &c, &e);
    if (!rc) {
        out->meta = c.meta;
        out->staged = c.staged;
        out->n = c.n_params;
        out->params = malloc(c.n_params * sizeof(float));
        out->adam_v = malloc(c.n_params * sizeof(float));
        memcpy(out->params, c.params, c.n_params * sizeof(float));
        memcpy(out->adam_v, c.adam_v, c.n_params * sizeof(float));
        out->n_emb = c.n_emb;
        if (c.emb) {
            out->emb = malloc(c.n_emb * sizeof(float));
            memcpy(out->emb, c.emb, c.n_emb * sizeof(float));
        }
    }
    store_read_end(&t);
    return rc;
}

static void snap_free(snap_t *s) { free(s->params); free(s->adam_v); free(s->emb); }

/* What the cadence test sees at each epoch report: the store's checkpoint
 * of the run in progress and the served model. */
typedef struct watch {
    store_t *s;
    uint32_t every, bad_stage, bad_served, reports, evaluated_at[16], n_eval;
} watch_t;

static void on_epoch(void *ctx, const gnn_epoch_report_t *r)
{
    watch_t *w = ctx;
    w->reports++;
    if (r->evaluated && w->n_eval < 16) w->evaluated_at[w->n_eval++] = r->epoch;
    if (!w->s || r->epoch == r->epochs) return;   /* the last one is saved after the report */
    store_txn_t t;
    err_t e = {0};
    store_read_begin(w->s, &t, &e);
    uint32_t want = (r->epoch - 1) / w->every * w->every;   /* epoch r->epoch is not saved yet */
    int staged = gnn_saved_staged(&t, "c");
    gnn_saved_meta_t m;
    int served = gnn_saved_meta(&t, "c", &m, &e) == ERR_OK;
    store_read_end(&t);
    snap_t sn;
    int got = staged ? (snap(w->s, "c", &sn) == 0 ? (int)sn.meta.epoch : -1) : 0;
    if (staged) snap_free(&sn);
    if (got != (int)want) {
        w->bad_stage++;
        fprintf(stderr, "epoch %u: staged checkpoint at %d, expected %u\n", r->epoch, got, want);
    }
    if (!served || m.epoch != 2) w->bad_served++;   /* the previous finished run of c had 2 epochs */
}

int main(void)
{
    char dir[] = "/tmp/gnnrec-test-trainer-XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    store_t s;
    err_t e = {0};
    gnn_trainer_opts_t o;
    gnn_trainer_result_t res;
    CHECK_EQ_INT(store_open(&s, dir, STORE_CREATE, &e), ERR_OK);
    CHECK_EQ_INT(store_write(&s, fill, NULL, &e), ERR_OK);

    /* resume = uninterrupted, bit for bit */
    base_opts(&o, 8);
    CHECK_EQ_INT(gnn_trainer_run(&s, "a", &o, &res, &e), ERR_OK);
    CHECK(res.have_test && res.epoch == 8 && res.best_epoch == 8);
    base_opts(&o, 3);
    CHECK_EQ_INT(gnn_trainer_run(&s, "b", &o, &res, &e), ERR_OK);
    base_opts(&o, 8);
    o.resume = 1;
    CHECK_EQ_INT(gnn_trainer_run(&s, "b", &o, &res, &e), ERR_OK);
    CHECK_EQ_INT(res.start_epoch, 3);
    snap_t a, b;
    CHECK_EQ_INT(snap(&s, "a", &a), 0);
    CHECK_EQ_INT(snap(&s, "b", &b), 0);
    CHECK(!a.staged && !b.staged);
    CHECK(a.n > 0 && a.n == b.n && a.meta.step == b.meta.step && a.meta.epoch == 8 && b.meta.epoch == 8);
    CHECK(a.n == b.n && !memcmp(a.params, b.params, a.n * sizeof(float)));
    CHECK(a.n == b.n && !memcmp(a.adam_v, b.adam_v, a.n * sizeof(float)));
    CHECK(a.emb && b.emb && a.n_emb == (size_t)(NU + NI) * 8 && a.n_emb == b.n_emb &&
          !memcmp(a.emb, b.emb, a.n_emb * sizeof(float)));
    CHECK(a.meta.version == GNN_SAVED_VERSION && a.meta.arch_id == GNN_ARCH_LIGHTGCN &&
          a.meta.edges == GNN_SAVED_EDGE_INTERACTION && !gnn_saved_joint(&a.meta));
    snap_free(&a);
    snap_free(&b);
    /* another seed gives other parameters (the comparison above can fail) */
    base_opts(&o, 3);
    o.hp.seed = 12;
    CHECK_EQ_INT(gnn_trainer_run(&s, "b", &o, &res, &e), ERR_OK);
    CHECK_EQ_INT(snap(&s, "b", &b), 0);
    CHECK(b.meta.epoch == 3);
    snap_free(&b);

    /* checkpoint cadence over a served model: c is a finished 2-epoch run,
     * then a 9-epoch run with checkpoint_every 3 and no evaluation before
     * the end */
    base_opts(&o, 2);
    CHECK_EQ_INT(gnn_trainer_run(&s, "c", &o, &res, &e), ERR_OK);
    watch_t w = {.s = &s, .every = 3};
    base_opts(&o, 9);
    o.eval_every = 0;
    o.checkpoint_every = 3;
    o.on_epoch = on_epoch;
    o.ctx = &w;
    CHECK_EQ_INT(gnn_trainer_run(&s, "c", &o, &res, &e), ERR_OK);
    CHECK_EQ_INT(w.reports, 9);
    CHECK_EQ_INT(w.bad_stage, 0);
    CHECK_EQ_INT(w.bad_served, 0);
    CHECK(w.n_eval == 1 && w.evaluated_at[0] == 9);
    CHECK_EQ_INT(snap(&s, "c", &b), 0);
    CHECK(!b.staged && b.meta.epoch == 9);   /* the finished run replaced c and dropped the staging */
    snap_free(&b);
    /* the evaluation schedule: every 2 epochs and the last */
    watch_t w2 = {.s = NULL, .every = 1};
    base_opts(&o, 5);
    o.on_epoch = on_epoch;
    o.ctx = &w2;
    gnn_trainer_result_t r2;
    CHECK_EQ_INT(gnn_trainer_run(&s, "d", &o, &r2, &e), ERR_OK);
    CHECK(w2.n_eval == 3 && w2.evaluated_at[0] == 2 && w2.evaluated_at[1] == 4 && w2.evaluated_at[2] == 5);

    store_close(&s);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
