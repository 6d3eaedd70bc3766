/* test_model.c - training end to end on a small synthetic graph with
 * community structure (users mostly interact with their community's items):
 * the loss goes down and the ranking beats random for lightgcn, mf and gcn;
 * same seed -> bit-identical parameters (lightgcn also across thread
 * counts), different seed -> different; the fused step equals loss_grad +
 * plain Adam; embeddings are the mean of propagated layers. The contrastive
 * term (gnn/contrast.h): off at cl_weight 0 whatever its other settings (the
 * same bits as before it existed), on it learns, is deterministic across
 * threads, and its fused float16 step stays close to the float32 one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "gnn/internal.h"
#include "gnn/model.h"
#include "gnn/spmm.h"
#include "graph/csr.h"
#include "tests/check.h"

#define NU 240
#define NI 160
#define COMM 4
#define PER_USER 14
#define TEST_PER_USER 3

static graph_csr_t train, test, adj;

static void community_graph(void)
{
    rng_t r;
    rng_seed(&r, 99);
    uint32_t tu[NU * PER_USER], ti[NU * PER_USER], eu[NU * TEST_PER_USER], ei[NU * TEST_PER_USER];
    uint32_t nt = 0, ne = 0;
    for (uint32_t u = 0; u < NU; u++) {
        uint32_t c = u % COMM, picked[PER_USER + TEST_PER_USER], np = 0;
        while (np < PER_USER + TEST_PER_USER) {
            /* 90% inside the community's block of NI/COMM items */
            uint32_t it = rng_below(&r, 10) ? c * (NI / COMM) + rng_below(&r, NI / COMM)
                                            : rng_below(&r, NI);
            int dup = 0;
            for (uint32_t q = 0; q < np; q++) dup |= picked[q] == it;
            if (!dup) picked[np++] = it;
        }
        for (uint32_t q = 0; q < np; q++) {
            if (q < PER_USER) { tu[nt] = u; ti[nt++] = picked[q]; }
            else { eu[ne] = u; ei[ne++] = picked[q]; }
        }
    }
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&train, NU, NI, tu, ti, nt, &e) == 0);
    CHECK(graph_csr_from_pairs(&test, NU, NI, eu, ei, ne, &e) == 0);
    CHECK(graph_norm_bipartite(&train, &adj, &e) == 0);
}

/* Recall@10 over users, training items excluded (plain, for a test). */
static double recall10(const float *emb, uint32_t dim)
{
    double sum = 0;
    for (uint32_t u = 0; u < NU; u++) {
        float s[NI];
        for (uint32_t i = 0; i < NI; i++) {
            const float *a = emb + (size_t)u * dim, *b = emb + (size_t)(NU + i) * dim;
            float d = 0;
            for (uint32_t k = 0; k < dim; k++) d += a[k] * b[k];
            s[i] = graph_csr_has(&train, u, i) ? -INFINITY : d;
        }
        uint32_t hits = 0;
        for (int k = 0; k < 10; k++) {
            uint32_t best = 0;
            for (uint32_t i = 1; i < NI; i++) if (s[i] > s[best]) best = i;
            hits += graph_csr_has(&test, u, best);
            s[best] = -INFINITY;
        }
        sum += (double)hits / (double)(test.ptr[u + 1] - test.ptr[u]);
    }
    return sum / NU;
}

static gnn_hparams_t hparams(const char *arch, uint64_t seed, int threads)
{
    gnn_hparams_t hp = {.dim = 16, .layers = 2, .batch_size = 256, .negatives = 1,
                        .lr = 0.01f, .reg = 1e-4f, .seed = seed, .threads = threads};
    hp.arch = gnn_arch_find(arch)->id;
    return hp;
}

static void check_learns(const char *arch, int epochs)
{
    gnn_hparams_t hp = hparams(arch, 5, 0);
    gnn_model_t m;
    err_t e = {0};
    CHECK(gnn_model_init(&m, &hp, NU, NI, &e) == 0);
    float *emb = malloc((size_t)(NU + NI) * hp.dim * sizeof *emb);
    CHECK(gnn_model_embed(&m, &adj, emb, &e) == 0);
    double r0 = recall10(emb, hp.dim), first = 0, last = 0;
    for (int ep = 0; ep < epochs; ep++) {
        double loss;
        CHECK(gnn_train_epoch(&m, &train, &adj, (uint32_t)ep, &loss, &e) == 0);
        if (ep == 0) first = loss;
        last = loss;
    }
    CHECK(gnn_model_embed(&m, &adj, emb, &e) == 0);
    double r1 = recall10(emb, hp.dim);
    /* random ranking: 10 of ~146 candidate items -> recall ~0.07 */
    printf("%-8s loss %.4f -> %.4f, recall@10 %.3f -> %.3f (random ~%.3f)\n", arch, first, last,
           r0, r1, 10.0 / (NI - PER_USER));
    CHECK_MSG(last < 0.6 * first, "%s: loss %g -> %g", arch, first, last);
    /* the best possible is ~0.35: ~26 unseen items per community, 10 picks */
    CHECK_MSG(r1 > 3 * 10.0 / (NI - PER_USER), "%s: recall@10 %g", arch, r1);
    CHECK_EQ_INT(m.step, (uint64_t)epochs * ((NU * PER_USER + hp.batch_size - 1) / hp.batch_size));
    free(emb);
    gnn_model_destroy(&m);
}

static void train_n(gnn_model_t *m, const gnn_hparams_t *hp, int epochs)
{
    err_t e = {0};
    CHECK(gnn_model_init(m, hp, NU, NI, &e) == 0);
    for (int ep = 0; ep < epochs; ep++) {
        double loss;
        CHECK(gnn_train_epoch(m, &train, &adj, (uint32_t)ep, &loss, &e) == 0);
    }
}

static void check_determinism(const char *arch, int fp32_tables)
{
    gnn_hparams_t a = hparams(arch, 11, 2), b = hparams(arch, 12, 2);
    a.negatives = b.negatives = 2;
    a.fp32_tables = b.fp32_tables = fp32_tables;
    gnn_model_t m1, m2, m3, m4;
    train_n(&m1, &a, 3);
    train_n(&m2, &a, 3);
    train_n(&m3, &b, 3);
    CHECK_MSG(!memcmp(m1.params, m2.params, m1.n_params * sizeof(float)), "%s: same seed differs", arch);
    CHECK_MSG(!memcmp(m1.adam_v, m2.adam_v, m1.n_params * sizeof(float)), "%s: same seed, Adam differs", arch);
    CHECK_MSG(memcmp(m1.params, m3.params, m1.n_params * sizeof(float)), "%s: seeds 11 and 12 agree", arch);
    if (strcmp(arch, "gcn")) {
        /* every sum has a fixed order: even the thread count does not matter */
        for (int th = 1; th <= 3; th += 2) {
            a.threads = th;
            train_n(&m4, &a, 3);
            CHECK_MSG(!memcmp(m1.params, m4.params, m1.n_params * sizeof(float)),
                      "%s: %d and 2 threads differ", arch, th);
            gnn_model_destroy(&m4);
        }
    }
    gnn_model_destroy(&m1); gnn_model_destroy(&m2); gnn_model_destroy(&m3);
}

/* gnn_train_step (fused for lightgcn/mf) against gnn_loss_grad + gnn_adam_ref,
 * with float32 tables: the same arithmetic up to rounding. */
static void check_fused_step(const char *arch, float cl)
{
    gnn_hparams_t hp = hparams(arch, 3, 0);
    hp.fp32_tables = 1;
    hp.cl_weight = cl; hp.cl_eps = 0.1f; hp.cl_temp = 0.2f; hp.cl_layer = 1;
    gnn_model_t a, b;
    err_t e = {0};
    CHECK(gnn_model_init(&a, &hp, NU, NI, &e) == 0);
    CHECK(gnn_model_init(&b, &hp, NU, NI, &e) == 0);
    uint32_t u[64], i[64], j[64];
    rng_t r;
    rng_seed(&r, 8);
    double worst = 0;
    for (int step = 1; step <= 3; step++) {
        for (int k = 0; k < 64; k++) {
            u[k] = rng_below(&r, NU);
            i[k] = train.col[train.ptr[u[k]] + rng_below(&r, (uint32_t)(train.ptr[u[k] + 1] - train.ptr[u[k]]))];
            do j[k] = rng_below(&r, NI); while (graph_csr_has(&train, u[k], j[k]));
        }
        double la, lb;
        CHECK(gnn_train_step(&a, &adj, u, i, j, 64, &la, &e) == 0);
        CHECK(gnn_loss_grad(&b, &adj, u, i, j, 64, &lb, &e) == 0);
        gnn_adam_t ad;
        gnn_adam_setup(&ad, hp.lr, ++b.step);
        gnn_adam_ref(b.params, b.adam_m, b.adam_v, b.grads, b.n_params, &ad);
        CHECK_NEAR(la, lb, 1e-9);
        for (size_t k = 0; k < a.n_params; k++) {
            double d = fabs((double)a.params[k] - b.params[k]);
            if (d > worst) worst = d;
        }
    }
    CHECK_MSG(worst < 1e-3 * hp.lr, "%s: fused step differs by %g", arch, worst);
    CHECK_EQ_INT(a.step, 3);
    gnn_model_destroy(&a);
    gnn_model_destroy(&b);
}

/* The float16 tables (lightgcn's default) against float32 ones over a few
 * epochs: the loss and the parameters stay close. Adam's first steps move a
 * parameter by ~lr whatever its gradient's size, so a gradient component
 * near zero may flip sign under float16 rounding: compare the typical
 * difference, not the worst. */
static void check_half_tables(void)
{
    gnn_hparams_t hp = hparams("lightgcn", 6, 0), hq = hp;
    hq.fp32_tables = 1;
    gnn_model_t a, b;
    err_t e = {0};
    CHECK(gnn_model_init(&a, &hp, NU, NI, &e) == 0);
    CHECK(gnn_model_init(&b, &hq, NU, NI, &e) == 0);
    double la = 0, lb = 0, worst_loss = 0;
    for (int ep = 0; ep < 3; ep++) {
        CHECK(gnn_train_epoch(&a, &train, &adj, (uint32_t)ep, &la, &e) == 0);
        CHECK(gnn_train_epoch(&b, &train, &adj, (uint32_t)ep, &lb, &e) == 0);
        double d = fabs(la - lb) / lb;
        if (d > worst_loss) worst_loss = d;
    }
    double sum = 0, norm = 0;
    size_t far = 0;
    for (size_t k = 0; k < a.n_params; k++) {
        double d = fabs((double)a.params[k] - b.params[k]);
        sum += d;
        norm += fabs((double)b.params[k]);
        far += d > 0.5 * hp.lr;
    }
    printf("float16 tables vs float32, 3 epochs (%llu steps): loss rel diff <= %.2e, "
           "mean |dp| %.2e (lr %g, mean |p| %.2e), %.2f%% of params off by > lr/2\n",
           (unsigned long long)a.step, worst_loss, sum / a.n_params, (double)hp.lr,
           norm / a.n_params, 100.0 * far / a.n_params);
    CHECK_MSG(worst_loss < 1e-3, "float16 loss differs by %g", worst_loss);
    CHECK_MSG(sum / a.n_params < 0.05 * hp.lr, "float16 params differ by %g on average", sum / a.n_params);
    CHECK_MSG(far < a.n_params / 100, "%zu of %zu params differ by > lr/2", far, a.n_params);
    gnn_model_destroy(&a);
    gnn_model_destroy(&b);
}

/* A batch whose one-hop field is most, not all, of the graph: the float16
 * backward then zeroes the rows outside Y_1's support and gathers every
 * neighbour (prop.c, widen_support). Garbage left in those rows (the
 * forward's tables share the buffers) would move ~half of all parameters
 * the wrong way; rounding moves only near-zero gradient components. */
static void check_partial_field(void)
{
    enum { U = 20, I = 20 };
    uint32_t pu[64], pi[64], n = 0;
    for (uint32_t it = 0; it < 16; it++) { pu[n] = 0; pi[n++] = it; }   /* user 0: items 0..15 */
    for (uint32_t u = 1; u < U; u++) {
        pu[n] = u; pi[n++] = 16 + u % 4;
        pu[n] = u; pi[n++] = 1 + u % 15;
    }
    graph_csr_t r, a;
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&r, U, I, pu, pi, n, &e) == 0);
    CHECK(graph_norm_bipartite(&r, &a, &e) == 0);
    gnn_hparams_t hp = hparams("lightgcn", 5, 1), hq;
    hp.layers = 3;
    hq = hp;
    hq.fp32_tables = 1;
    gnn_model_t mh, mf;
    CHECK(gnn_model_init(&mh, &hp, U, I, &e) == 0);
    CHECK(gnn_model_init(&mf, &hq, U, I, &e) == 0);
    /* a first step over everything fills the shared buffers with non-zeros */
    uint32_t au[U], ai[U], aj[U];
    for (uint32_t u = 0; u < U; u++) { au[u] = u; ai[u] = r.col[r.ptr[u]]; aj[u] = u ? 0 : 17; }
    double lh, lf;
    CHECK(gnn_train_step(&mh, &a, au, ai, aj, U, &lh, &e) == 0);
    CHECK(gnn_train_step(&mf, &a, au, ai, aj, U, &lf, &e) == 0);
    memcpy(mh.params, mf.params, mf.n_params * sizeof(float));
    memcpy(mh.adam_m, mf.adam_m, mf.n_params * sizeof(float));
    memcpy(mh.adam_v, mf.adam_v, mf.n_params * sizeof(float));
    mh.step++; mf.step++;    /* params were written: refresh the half copy of E0 */
    const uint32_t u1 = 0, i1 = 0, j1 = 17;
    CHECK(gnn_train_step(&mh, &a, &u1, &i1, &j1, 1, &lh, &e) == 0);
    CHECK(gnn_train_step(&mf, &a, &u1, &i1, &j1, 1, &lf, &e) == 0);
    CHECK_NEAR(lh, lf, 1e-3 * lf);
    size_t far = 0;
    for (size_t k = 0; k < mf.n_params; k++) far += fabs((double)mh.params[k] - mf.params[k]) > 0.5 * hp.lr;
    CHECK_MSG(far <= mf.n_params / 100, "%zu of %zu params differ by > lr/2", far, mf.n_params);
    gnn_model_destroy(&mh); gnn_model_destroy(&mf);
    graph_csr_destroy(&r); graph_csr_destroy(&a);
}

/* lightgcn embed = mean of E0, A E0, A^2 E0 by plain reference products. */
static void check_embed(void)
{
    gnn_hparams_t hp = hparams("lightgcn", 4, 0);
    gnn_model_t m;
    err_t e = {0};
    CHECK(gnn_model_init(&m, &hp, NU, NI, &e) == 0);
    const size_t sz = (size_t)(NU + NI) * hp.dim;
    float *out = malloc(sz * 4), *l1 = malloc(sz * 4), *l2 = malloc(sz * 4);
    CHECK(gnn_model_embed(&m, &adj, out, &e) == 0);
    gnn_spmm_ref(&(gnn_spmm_t){.a = &adj, .x32 = m.emb0, .y32 = l1, .dim = hp.dim});
    gnn_spmm_ref(&(gnn_spmm_t){.a = &adj, .x32 = l1, .y32 = l2, .dim = hp.dim});
    double worst = 0;
    for (size_t k = 0; k < sz; k++) {
        double d = fabs(out[k] - (m.emb0[k] + l1[k] + l2[k]) / 3.0);
        if (d > worst) worst = d;
    }
    CHECK_MSG(worst < 1e-6, "embed differs by %g", worst);
    /* a wrong-sized adjacency is a usage error */
    graph_csr_t small;
    uint32_t z = 0;
    CHECK(graph_csr_from_pairs(&small, 3, 3, &z, &z, 1, &e) == 0);
    CHECK_EQ_INT(gnn_model_embed(&m, &small, out, &e), ERR_USAGE);
    double loss;
    CHECK_EQ_INT(gnn_train_epoch(&m, &train, &small, 0, &loss, &e), ERR_USAGE);
    uint32_t bad = NU;
    CHECK_EQ_INT(gnn_loss_grad(&m, &adj, &bad, &z, &z, 1, &loss, &e), ERR_USAGE);
    graph_csr_destroy(&small);
    free(out); free(l1); free(l2);
    gnn_model_destroy(&m);
}

/* Thread-count independence where the work is large enough for the kernels
 * to go parallel (gnn_team: small products run on one thread, which would
 * make check_determinism's comparison vacuous for them). */
static void check_determinism_parallel(void)
{
    enum { U = 3000, I = 1500, PER = 12 };
    static uint32_t pu[U * PER], pi[U * PER];
    rng_t r;
    rng_seed(&r, 5);
    uint32_t n = 0;
    for (uint32_t u = 0; u < U; u++)
        for (uint32_t k = 0; k < PER; k++) { pu[n] = u; pi[n++] = (u * 7 + k * k * 13 + rng_below(&r, 40)) % I; }
    graph_csr_t tr, a;
    err_t e = {0};
    CHECK(graph_csr_from_pairs(&tr, U, I, pu, pi, n, &e) == 0);
    CHECK(graph_norm_bipartite(&tr, &a, &e) == 0);
    CHECK_MSG(gnn_team(2, (double)a.nnz * 64) == 2, "the test graph is too small to go parallel");
    float *ref = NULL;
    for (int th = 1; th <= 3; th++) {
        gnn_hparams_t hp = {.arch = GNN_ARCH_LIGHTGCN, .dim = 64, .layers = 3, .batch_size = 8192, .negatives = 2,
                            .lr = 0.01f, .reg = 1e-4f, .seed = 3, .threads = th};
        gnn_model_t m;
        CHECK(gnn_model_init(&m, &hp, U, I, &e) == 0);
        double loss;
        CHECK(gnn_train_epoch(&m, &tr, &a, 0, &loss, &e) == 0);
        if (!ref) {
            ref = malloc(m.n_params * sizeof *ref);
            memcpy(ref, m.params, m.n_params * sizeof *ref);
        } else {
            CHECK_MSG(!memcmp(ref, m.params, m.n_params * sizeof *ref), "%d threads differ from 1", th);
        }
        gnn_model_destroy(&m);
    }
    free(ref);
    graph_csr_destroy(&tr); graph_csr_destroy(&a);
}

static int same_params(const gnn_model_t *a, const gnn_model_t *b)
{
    return !memcmp(a->params, b->params, a->n_params * sizeof(float)) &&
           !memcmp(a->adam_v, b->adam_v, a->n_params * sizeof(float));
}

static void check_contrast(void)
{
    /* cl_weight 0: the other keys are not read, the run is plain lightgcn */
    gnn_hparams_t a = hparams("lightgcn", 4, 2), b = a;
    b.cl_eps = 0.3f; b.cl_temp = 0.1f; b.cl_layer = 2; b.cl_batch = 7;
    gnn_model_t m1, m2, m3;
    train_n(&m1, &a, 3);
    train_n(&m2, &b, 3);
    CHECK_MSG(same_params(&m1, &m2), "cl_weight 0 with cl settings differs from lightgcn");
    gnn_model_destroy(&m2);
    /* on: a different run that still learns (as check_learns), the same bits on 1, 2 and 3 threads */
    b.cl_weight = 0.2f; b.cl_eps = 0.1f; b.cl_temp = 0.2f; b.cl_layer = 1; b.cl_batch = 64;   /* ~3 chunks a set */
    train_n(&m2, &b, 3);
    CHECK_MSG(!same_params(&m1, &m2), "the contrastive term changed nothing");
    for (int th = 1; th <= 3; th += 2) {
        b.threads = th;
        train_n(&m3, &b, 3);
        CHECK_MSG(same_params(&m2, &m3), "contrastive run: %d and 2 threads differ", th);
        gnn_model_destroy(&m3);
    }
    gnn_model_destroy(&m1);
    gnn_model_destroy(&m2);
    err_t e = {0};
    b.threads = 2;
    b.lr = 0.01f;
    /* tau 0.5: at 0.2 InfoNCE's push to tell apart every user of a community
     * from the rest outweighs BPR on a graph this small (recall ~0.03) */
    b.cl_temp = 0.5f;
    CHECK(gnn_model_init(&m1, &b, NU, NI, &e) == 0);
    float *emb = malloc((size_t)(NU + NI) * b.dim * sizeof *emb);
    double first = 0, last = 0;
    for (int ep = 0; ep < 30; ep++) {
        CHECK(gnn_train_epoch(&m1, &train, &adj, (uint32_t)ep, &last, &e) == 0);
        if (ep == 0) first = last;
    }
    CHECK(gnn_model_embed(&m1, &adj, emb, &e) == 0);
    double r1 = recall10(emb, b.dim);
    printf("lightgcn+cl loss %.4f -> %.4f, recall@10 %.3f (random ~%.3f)\n", first, last, r1,
           10.0 / (NI - PER_USER));
    CHECK_MSG(last < 0.8 * first, "contrastive: loss %g -> %g", first, last);
    CHECK_MSG(r1 > 3 * 10.0 / (NI - PER_USER), "contrastive: recall@10 %g", r1);
    free(emb);
    gnn_model_destroy(&m1);
    /* the float16 step against the float32 one (as check_half_tables),
     * without noise: with it, rounding flips the sign of a few near-zero
     * entries, and their noise with it (a jump of 2 eps, not a rounding) */
    gnn_hparams_t h = b, q = b;
    h.cl_eps = q.cl_eps = 0.0f;
    q.fp32_tables = 1;
    CHECK(gnn_model_init(&m1, &h, NU, NI, &e) == 0);
    CHECK(gnn_model_init(&m2, &q, NU, NI, &e) == 0);
    double la = 0, lb = 0;
    for (int ep = 0; ep < 3; ep++) {
        CHECK(gnn_train_epoch(&m1, &train, &adj, (uint32_t)ep, &la, &e) == 0);
        CHECK(gnn_train_epoch(&m2, &train, &adj, (uint32_t)ep, &lb, &e) == 0);
        CHECK_MSG(fabs(la - lb) < 1e-3 * lb, "contrastive float16 loss %g, float32 %g", la, lb);
    }
    double sum = 0;
    for (size_t k = 0; k < m1.n_params; k++) sum += fabs((double)m1.params[k] - m2.params[k]);
    CHECK_MSG(sum / m1.n_params < 0.05 * h.lr, "contrastive float16 params differ by %g", sum / m1.n_params);
    gnn_model_destroy(&m1);
    gnn_model_destroy(&m2);
    /* the settings are checked when the term is on */
    q.cl_layer = 3;   /* > layers */
    CHECK_EQ_INT(gnn_model_init(&m1, &q, NU, NI, &e), ERR_USAGE);
    q.cl_layer = 1; q.cl_temp = 0.0f;
    CHECK_EQ_INT(gnn_model_init(&m1, &q, NU, NI, &e), ERR_USAGE);
    q = hparams("mf", 4, 2);
    q.cl_weight = 0.1f; q.cl_temp = 0.2f; q.cl_layer = 1;
    CHECK_EQ_INT(gnn_model_init(&m1, &q, NU, NI, &e), ERR_USAGE);
}

/* The schedule's shape at its landmarks, computed by hand. */
static void check_lr_schedule(void)
{
    gnn_hparams_t hp = {.lr = 0.02f};
    CHECK_NEAR(gnn_lr_at(&hp, 0.0), 0.02, 1e-9);          /* constant */
    CHECK_NEAR(gnn_lr_at(&hp, 1e6), 0.02, 1e-9);
    hp.lr_warmup = 4.0f;
    CHECK_NEAR(gnn_lr_at(&hp, 0.0), 0.0002, 1e-9);        /* warm-up starts at lr/100 */
    CHECK_NEAR(gnn_lr_at(&hp, 2.0), 0.02 * (0.01 + 0.99 * 0.5), 1e-8);
    CHECK_NEAR(gnn_lr_at(&hp, 4.0), 0.02, 1e-9);
    CHECK_NEAR(gnn_lr_at(&hp, 50.0), 0.02, 1e-9);        /* no decay asked */
    hp.lr_decay = GNN_LR_COSINE;
    hp.lr_min = 0.1f;
    hp.lr_epochs = 104;
    CHECK_NEAR(gnn_lr_at(&hp, 4.0), 0.02, 1e-8);
    CHECK_NEAR(gnn_lr_at(&hp, 54.0), 0.02 * (0.1 + 0.9 * 0.5), 1e-8);   /* cosine midpoint */
    CHECK_NEAR(gnn_lr_at(&hp, 29.0), 0.02 * (0.1 + 0.9 * 0.5 * (1 + cos(M_PI / 4))), 1e-8);
    CHECK_NEAR(gnn_lr_at(&hp, 104.0), 0.002, 1e-8);
    CHECK_NEAR(gnn_lr_at(&hp, 500.0), 0.002, 1e-8);      /* held after the end (--resume further) */
    hp.lr_decay = GNN_LR_LINEAR;
    CHECK_NEAR(gnn_lr_at(&hp, 79.0), 0.02 * (0.1 + 0.9 * 0.25), 1e-8);
    /* the decay is monotone */
    float prev = gnn_lr_at(&hp, 4.0);
    int mono = 1;
    for (double t = 4.0; t <= 104.0; t += 0.37) {
        float x = gnn_lr_at(&hp, t);
        mono &= x <= prev;
        prev = x;
    }
    CHECK(mono);
    /* a bad schedule is refused at init */
    gnn_model_t m;
    err_t e = {0};
    gnn_hparams_t bad = {.arch = GNN_ARCH_MF, .dim = 8, .batch_size = 4, .negatives = 1, .lr = 0.01f, .lr_min = 2.0f};
    CHECK_EQ_INT(gnn_model_init(&m, &bad, 3, 3, &e), ERR_USAGE);
    bad.lr_min = 0.0f;
    bad.lr_decay = 7;
    CHECK_EQ_INT(gnn_model_init(&m, &bad, 3, 3, &e), ERR_USAGE);
}

/* gnn_epoch_walk, the step walk gnn_train_epoch and the distributed
 * trainer share: the batches tile 0..n_pos-1 in order, each step's lr is
 * the schedule at its start, the loss is the steps' mean, the hook counts
 * the steps, and an error stops the walk at once. */
typedef struct {
    uint64_t next, steps, fail_at;
    int bad, hooked;
    gnn_hparams_t hp;
} walk_t;

static int walk_fn(void *ctx, uint32_t epoch, uint64_t b, uint64_t cnt, float lr, double *loss, err_t *e)
{
    walk_t *w = ctx;
    w->bad |= b != w->next || cnt == 0 || lr != gnn_lr_at(&w->hp, epoch + (double)b / 1000.0);
    w->next = b + cnt;
    if (++w->steps == w->fail_at) return err_set(e, ERR_INTERNAL, "step %llu fails", (unsigned long long)w->steps);
    *loss = (double)w->steps;   /* 1, 2, ..., n: the mean is (n + 1) / 2 */
    return ERR_OK;
}

static void walk_hook(void *ctx, uint64_t step, uint64_t steps)
{
    walk_t *w = ctx;
    w->bad |= step != w->steps || steps != 4;
    w->hooked++;
}

static void check_epoch_walk(void)
{
    walk_t w = {.hp = {.lr = 0.02f, .lr_warmup = 2.0f, .steps_per_epoch = 4}};
    err_t e = {0};
    double loss = -1;
    /* 1000 positives in 4 steps: batches of 250 */
    CHECK_EQ_INT(gnn_epoch_walk(&w.hp, 1, 1000, walk_fn, &w, walk_hook, &w, &loss, &e), ERR_OK);
    CHECK(!w.bad);
    CHECK_EQ_INT((int)w.next, 1000);
    CHECK_EQ_INT((int)w.steps, 4);
    CHECK_EQ_INT(w.hooked, 4);
    CHECK_NEAR(loss, 2.5, 1e-12);
    /* a fixed batch that does not divide: 1000 = 3 x 300 + 100 */
    walk_t v = {.hp = {.lr = 0.01f, .batch_size = 300}};
    CHECK_EQ_INT(gnn_epoch_walk(&v.hp, 0, 1000, walk_fn, &v, NULL, NULL, &loss, &e), ERR_OK);
    CHECK(!v.bad);
    CHECK_EQ_INT((int)v.steps, 4);
    /* the second step fails: the walk stops there with its error */
    walk_t f = {.hp = {.lr = 0.01f, .batch_size = 300}, .fail_at = 2};
    loss = -1;
    CHECK_EQ_INT(gnn_epoch_walk(&f.hp, 0, 1000, walk_fn, &f, NULL, NULL, &loss, &e), ERR_INTERNAL);
    CHECK_EQ_INT((int)f.steps, 2);
    CHECK_NEAR(loss, -1, 0);
    CHECK_EQ_INT(gnn_epoch_walk(&f.hp, 0, 0, walk_fn, &f, NULL, NULL, &loss, &e), ERR_INPUT);
}

/* gnn_train_epoch draws each step's triples on its own (gnn_sample_range):
 * the epoch must equal steps over the whole epoch's triples drawn up front,
 * bit for bit, also when a step's range starts inside a sampler chunk
 * (batch 1120 = steps_per_epoch 3 on 3,360 positives). */
static void check_step_sampling(int steps_per_epoch, uint32_t batch)
{
    gnn_hparams_t hp = {.arch = GNN_ARCH_LIGHTGCN, .dim = 16, .layers = 2, .batch_size = batch, .negatives = 3,
                        .steps_per_epoch = (uint32_t)steps_per_epoch, .lr = 0.01f, .reg = 1e-4f, .seed = 11,
                        .threads = 2};
    gnn_model_t a, b;
    err_t e = {0};
    CHECK(gnn_model_init(&a, &hp, NU, NI, &e) == 0);
    CHECK(gnn_model_init(&b, &hp, NU, NI, &e) == 0);
    double la = 0.0, lb = 0.0;
    uint64_t steps = 0, calls = 0;
    for (uint32_t ep = 0; ep < 2; ep++) {
        CHECK(gnn_train_epoch(&a, &train, &adj, ep, &la, &e) == 0);
        gnn_ws_t *w = b.ws;
        CHECK(gnn_sample_epoch(w, &train, hp.seed, ep, hp.negatives, 1, &e) == 0);
        const uint64_t bs = gnn_batch_positives(&hp, train.nnz);
        double sum = 0.0;
        steps = 0;
        for (uint64_t p = 0; p < train.nnz; p += bs, steps++) {
            uint64_t cnt = train.nnz - p < bs ? train.nnz - p : bs;
            size_t o = (size_t)p * hp.negatives;
            double l;
            CHECK(gnn_train_step(&b, &adj, w->tu + o, w->ti + o, w->tj + o, (uint32_t)(cnt * hp.negatives), &l,
                                 &e) == 0);
            sum += l;
            calls++;
        }
        lb = sum / (double)steps;
    }
    if (steps_per_epoch) CHECK_EQ_INT(steps, steps_per_epoch);
    CHECK(calls == 2 * steps);
    CHECK_NEAR(la, lb, 0.0);
    CHECK_MSG(!memcmp(a.params, b.params, a.n_params * sizeof *a.params),
              "per-step sampling differs from the whole epoch's triples (steps_per_epoch %d, batch %u)",
              steps_per_epoch, batch);
    gnn_model_destroy(&a);
    gnn_model_destroy(&b);
}

/* A batch on most of the nodes skips bcols (Y_1 gathers G through adj,
 * gnn/prop.c): the same bits as through bcols, in both precisions. */
static void check_wide_batch(int fp32_tables)
{
    gnn_hparams_t hp = {.arch = GNN_ARCH_LIGHTGCN, .dim = 16, .layers = 3, .batch_size = 2048, .negatives = 2,
                        .lr = 0.01f, .reg = 1e-4f, .seed = 21, .threads = 2, .fp32_tables = fp32_tables};
    gnn_model_t a, b;
    err_t e = {0};
    CHECK(gnn_model_init(&a, &hp, NU, NI, &e) == 0);
    CHECK(gnn_model_init(&b, &hp, NU, NI, &e) == 0);
    ((gnn_ws_t *)b.ws)->wide = 0;   /* b always builds bcols */
    double la, lb;
    for (uint32_t ep = 0; ep < 2; ep++) {
        CHECK(gnn_train_epoch(&a, &train, &adj, ep, &la, &e) == 0);
        CHECK(gnn_train_epoch(&b, &train, &adj, ep, &lb, &e) == 0);
    }
    const gnn_ws_t *wa = a.ws, *wb = b.ws;
    CHECK_MSG(wa->y1 == &adj && wb->y1 == &wb->bcols, "the batch should be wide (%u of %u nodes)",
              wa->list_n[0], wa->n);
    CHECK_MSG(wa->bcols_cap == 0, "a wide batch allocated bcols");
    CHECK_NEAR(la, lb, 0.0);
    CHECK_MSG(!memcmp(a.params, b.params, a.n_params * sizeof *a.params),
              "wide batch differs from bcols (fp32_tables %d)", fp32_tables);
    gnn_model_destroy(&a);
    gnn_model_destroy(&b);
}

/* gnn_model_final (into the model's buffers) equals gnn_model_embed (into
 * the caller's table) bit for bit, also after training steps. */
static void check_final(const char *arch)
{
    gnn_hparams_t hp = hparams(arch, 8, 2);
    gnn_model_t m;
    err_t e = {0};
    CHECK(gnn_model_init(&m, &hp, NU, NI, &e) == 0);
    double loss;
    CHECK(gnn_train_epoch(&m, &train, &adj, 0, &loss, &e) == 0);
    const size_t sz = (size_t)(NU + NI) * m.hp.dim;
    float *out = malloc(sz * sizeof *out);
    const float *fin = NULL;
    CHECK(gnn_model_embed(&m, &adj, out, &e) == 0);
    CHECK(gnn_model_final(&m, &adj, &fin, &e) == 0);
    CHECK_MSG(fin && !memcmp(out, fin, sz * sizeof *out), "%s: final differs from embed", arch);
    /* training on after it is unaffected: the next epoch matches a model that never called it */
    gnn_model_t ref;
    CHECK(gnn_model_init(&ref, &hp, NU, NI, &e) == 0);
    CHECK(gnn_train_epoch(&ref, &train, &adj, 0, &loss, &e) == 0);
    CHECK(gnn_train_epoch(&ref, &train, &adj, 1, &loss, &e) == 0);
    CHECK(gnn_train_epoch(&m, &train, &adj, 1, &loss, &e) == 0);
    CHECK_MSG(!memcmp(ref.params, m.params, m.n_params * sizeof *m.params), "%s: final disturbed training", arch);
    /* the scratch given back around a save (gnn_model_release, keeping the
     * table the saved embeddings sit in) changes nothing either: the kept
     * table holds them, the freed ones come back zeroed, the next epochs
     * match the model that kept everything (lightgcn: its float16 path) */
    CHECK(gnn_model_final(&m, &adj, &fin, &e) == 0);
    float *spare = gnn_model_spare(&m, fin);
    if (spare != fin) memcpy(spare, fin, sz * sizeof *spare);
    CHECK(gnn_model_embed(&m, &adj, out, &e) == 0);
    gnn_model_release(&m, spare);
    CHECK_MSG(!memcmp(out, spare, sz * sizeof *out), "%s: release lost the kept table", arch);
    CHECK(gnn_train_epoch(&ref, &train, &adj, 2, &loss, &e) == 0);
    CHECK(gnn_train_epoch(&m, &train, &adj, 2, &loss, &e) == 0);
    gnn_model_release(&m, NULL);
    CHECK(gnn_train_epoch(&ref, &train, &adj, 3, &loss, &e) == 0);
    CHECK(gnn_train_epoch(&m, &train, &adj, 3, &loss, &e) == 0);
    CHECK_MSG(!memcmp(ref.params, m.params, m.n_params * sizeof *m.params), "%s: release changed training", arch);
    CHECK_MSG(!memcmp(ref.adam_v, m.adam_v, m.n_params * sizeof *m.adam_v), "%s: release changed Adam", arch);
    free(out);
    gnn_model_destroy(&m);
    gnn_model_destroy(&ref);
}

/* gnn_bpr_rows (norms once per distinct row, kept scratch) and
 * gnn_bpr_part (a batch in pieces) against their reference twin gnn_bpr:
 * the same loss, G and L2 coefficients to the bit,
 * at every thread count, with repeated nodes (users drawn from a small range
 * on half the triples) and widths that are and are not multiples of 8;
 * 136 x 4,000 rows is enough work for two threads in every pass. */
static void check_bpr_rows(void)
{
    const uint32_t nu = 3000, ni = 1000, n = nu + ni, t = 6000;
    const uint32_t dims[] = {16, 136};
    uint32_t *u = malloc(t * sizeof *u), *i = malloc(t * sizeof *i), *j = malloc(t * sizeof *j);
    uint32_t *rows = malloc(n * sizeof *rows);
    uint8_t *in = calloc(n, 1);
    rng_t r;
    rng_seed(&r, 5);
    for (uint32_t k = 0; k < t; k++) {
        u[k] = k % 2 ? rng_below(&r, 40) : rng_below(&r, nu);
        i[k] = rng_below(&r, ni);
        j[k] = rng_below(&r, ni);
        in[u[k]] = in[nu + i[k]] = in[nu + j[k]] = 1;
    }
    uint32_t nr = 0;
    for (uint32_t q = 0; q < n; q++)
        if (in[q]) rows[nr++] = q;
    for (int di = 0; di < 2; di++) {
        const uint32_t d = dims[di];
        const size_t sz = (size_t)n * d;
        float *z = malloc(sz * sizeof *z), *e0 = malloc(sz * sizeof *e0);
        float *ga = calloc(sz, sizeof *ga), *gb = calloc(sz, sizeof *gb);
        float *la = calloc(n, sizeof *la), *lb = calloc(n, sizeof *lb);
        for (size_t q = 0; q < sz; q++) { z[q] = rng_normal(&r); e0[q] = 0.1f * rng_normal(&r); }
        const double ref = gnn_bpr(z, 0.25f, e0, d, nu, u, i, j, t, 1e-4f, ga, la, 1);
        for (int th = 1; th <= 3; th++) {
            gnn_bpr_ws_t ws = {.nrm = malloc(n * sizeof(double))};
            memset(gb, 0, sz * sizeof *gb);
            memset(lb, 0, n * sizeof *lb);
            /* twice on the same scratch: the kept buffers are reused */
            double got = 0.0;
            for (int rep = 0; rep < 2; rep++) {
                if (rep) { memset(gb, 0, sz * sizeof *gb); memset(lb, 0, n * sizeof *lb); }
                got = gnn_bpr_rows(z, 0.25f, e0, d, nu, u, i, j, t, 1e-4f, rows, nr, &ws, gb, lb, th);
            }
            CHECK_MSG(got == ref, "bpr_rows loss %.17g vs %.17g (dim %u, %d threads)", got, ref, d, th);
            CHECK_MSG(!memcmp(ga, gb, sz * sizeof *ga), "bpr_rows G differs (dim %u, %d threads)", d, th);
            CHECK_MSG(!memcmp(la, lb, n * sizeof *la), "bpr_rows l2 differs (dim %u, %d threads)", d, th);
            gnn_bpr_ws_free(&ws);
            /* gnn_bpr_part: the batch in pieces of 701 triples, in order,
             * into one G, gives the whole batch's bits; with g_rows = 2,500
             * the rows below are those bits and the rest are never written */
            for (int lim = 0; lim < 2; lim++) {
                const size_t gr = lim ? 2500 : SIZE_MAX;
                for (size_t q = 0; q < sz; q++) gb[q] = lim && q >= (size_t)2500 * d ? 7.0f : 0.0f;
                for (uint32_t q = 0; q < n; q++) lb[q] = lim && q >= 2500 ? 7.0f : 0.0f;
                for (uint32_t k0 = 0; k0 < t; k0 += 701) {
                    uint32_t m = t - k0 < 701 ? t - k0 : 701;
                    (void)gnn_bpr_part(z, 0.25f, e0, d, nu, u + k0, i + k0, j + k0, m, t, 1e-4f, gb, lb, gr, th);
                }
                const size_t below = lim ? 2500 : n;
                CHECK_MSG(!memcmp(ga, gb, below * d * sizeof *ga), "bpr_part G differs (dim %u, %d threads, lim %d)",
                          d, th, lim);
                CHECK_MSG(!memcmp(la, lb, below * sizeof *la), "bpr_part l2 differs (dim %u, %d threads, lim %d)", d,
                          th, lim);
                int untouched = 1;
                for (size_t q = below * d; q < sz; q++) untouched &= gb[q] == 7.0f;
                for (size_t q = below; q < n; q++) untouched &= lb[q] == 7.0f;
                CHECK_MSG(untouched, "bpr_part wrote rows past g_rows (dim %u, %d threads)", d, th);
            }
        }
        free(z); free(e0); free(ga); free(gb); free(la); free(lb);
    }
    free(u); free(i); free(j); free(rows); free(in);
}

int main(void)
{
    community_graph();
    check_learns("lightgcn", 30);
    check_learns("mf", 30);
    check_learns("gcn", 30);
    check_determinism("lightgcn", 0);
    check_determinism("lightgcn", 1);
    check_determinism("mf", 0);
    check_determinism("gcn", 0);
    check_fused_step("lightgcn", 0.0f);
    check_fused_step("lightgcn", 0.5f);
    check_fused_step("mf", 0.0f);
    check_fused_step("gcn", 0.0f);
    check_contrast();
    check_half_tables();
    check_embed();
    check_lr_schedule();
    check_epoch_walk();
    check_partial_field();
    check_determinism_parallel();
    check_step_sampling(3, 2048);
    check_step_sampling(0, 512);
    check_wide_batch(0);
    check_wide_batch(1);
    check_final("lightgcn");
    check_final("mf");
    check_final("gcn");
    check_bpr_rows();
    graph_csr_destroy(&train); graph_csr_destroy(&test); graph_csr_destroy(&adj);
    return check_report();
}
