/* rating_fd.h - the finite-difference half of the rating models' gradient
 * checks (tests/test_rating.c: biased MF and LightGCN on ratings;
 * tests/test_head.c: the same through an MLP head): central differences
 * with h = 1e-3 of the plain reference loss gnn_rating_loss_ref at every
 * parameter, against the analytic gradient ana. A coordinate is off when
 * it misses 1% relative + 5e-5; an informative one (|num| > 1e-2) must
 * also tell ana from 0.95 ana (bad_scaled counts those that do). */
#ifndef GNNREC_TESTS_RATING_FD_H
#define GNNREC_TESTS_RATING_FD_H

#include <math.h>
#include <string.h>

#include "gnn/rating.h"

typedef struct fd_count {
    int bad, bad_scaled, informative;
} fd_count_t;

static int fd_close(double num, double ana) { return fabs(num - ana) <= 0.01 * fabs(num) + 5e-5; }

/* ana [m->n_params] := m->grads (the analytic gradient just computed),
 * num [m->n_params] := the differences; c counts as above. */
static void fd_check(gnn_rating_model_t *m, const uint32_t *u, const uint32_t *i, const float *r, uint32_t n,
                     float reg, float *ana, double *num, fd_count_t *c)
{
    const float h = 1e-3f;
    memcpy(ana, m->grads, m->n_params * sizeof *ana);
    c->bad = c->bad_scaled = c->informative = 0;
    for (size_t k = 0; k < m->n_params; k++) {
        const float x = m->params[k];
        m->params[k] = x + h;
        const double lp = gnn_rating_loss_ref(m, u, i, r, n, reg);
        m->params[k] = x - h;
        const double lm = gnn_rating_loss_ref(m, u, i, r, n, reg);
        m->params[k] = x;
        num[k] = (lp - lm) / (2.0 * h);
        c->bad += !fd_close(num[k], ana[k]);
        if (fabs(num[k]) > 1e-2) {
            c->informative++;
            c->bad_scaled += !fd_close(num[k], 0.95 * ana[k]);
        }
    }
}

#endif
