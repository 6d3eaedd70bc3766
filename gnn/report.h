/* report.h - `gnnrec report`: one self-contained HTML page about a store's
 * models (inline SVG from gnn/svg.h, no scripts, no external references),
 * written atomically through io/writer.h (PATH.tmp.PID renamed over PATH;
 * nothing partial is left on failure). What the page holds:
 *   - the models' metrics side by side: the evaluated metrics of each
 *     model's best epoch, as `gnnrec models` lists them (gnn_saved_list),
 *     printed as logged, so the numbers equal `models --json`'s;
 *   - training curves per model: loss per epoch and every evaluated metric
 *     per epoch, from the model's metrics log (saved.h "metrics"); models
 *     without a log (pop, gf-cf, bspm) get a line saying so;
 *   - degree distributions of users and items in training (log-log: number
 *     of nodes with each degree >= 1);
 *   - popularity bias of each model's recommendations: the top-k of a seeded
 *     sample of stored users, ranked by gnn_rank_user_ids (infer's path,
 *     training items excluded), then item coverage (share of items
 *     recommended to anyone), the Gini of the recommendation counts over all
 *     items, and the share of recommendations going to the top 1% most
 *     popular items (by training degree, ties by id; at least one item). The
 *     same figures of the training interactions themselves come first, for
 *     comparison.
 */
#ifndef GNNREC_GNN_REPORT_H
#define GNNREC_GNN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

typedef struct gnn_report_opts {
    uint32_t users;     /* users sampled for the popularity figures (0: 2000; all when fewer) */
    uint32_t k;         /* recommendations per user (0: 20) */
    uint64_t seed;      /* the sample's seed */
    int threads;        /* 0: all cores */
} gnn_report_opts_t;

/* What was written, for the command's summary line. */
typedef struct gnn_report_summary {
    uint32_t models, charts, sampled;
    uint64_t bytes;
} gnn_report_summary_t;

/* Write the report on models[0..n) of store s (n == 0: every model, in
 * name order) to out_path. An unknown model is ERR_NOTFOUND naming the
 * store's models (nothing written); out_path's directory missing is
 * ERR_USAGE; a failed write ERR_IO with the temporary file removed.
 * sum may be NULL. */
int gnn_report_write(store_t *s, const char *const *models, size_t n, const char *out_path,
                     const gnn_report_opts_t *opts, gnn_report_summary_t *sum, err_t *e);

/* The Gini coefficient of x[0..n) (0: all equal; (n-1)/n: one holds all);
 * sorts x in place. 0 for n == 0 or a zero sum. */
double gnn_report_gini(double *x, size_t n);

#endif
