/* powerlaw.h - large synthetic interaction graphs (10^6 to 10^10 edges),
 * streamed: `gnnrec generate --interactions N` (docs/scale.md).
 *
 * The model. Users and items each belong to one of C communities (users by
 * a draw from their own random stream, items round-robin over a seeded
 * shuffle, so communities are the same size). Item i has a global
 * popularity weight (rank + 1)^(-1 / (item_alpha - 1)) over a seeded random
 * ranking: expected item degrees then follow P(k) ~ k^-item_alpha. User u's
 * degree is clamp(c * x_u^(-1 / (user_alpha - 1)), min_degree, max_degree)
 * with x_u = (pi(u) + 1/2) / U for a seeded permutation pi of the users
 * (stratified, so the total does not wander) and c solved for so that the
 * degrees sum to N; rounding carries from user to user, so exactly N
 * interactions are written (train + test together). Each interaction goes
 * with probability `affinity` to an item of the user's community drawn by
 * popularity within it, otherwise to an item drawn by global popularity.
 * A user's items are distinct: a repeat is redrawn (4 times by popularity,
 * then 4 times uniformly in the same pool, then uniformly over all items,
 * which ends because max_degree <= items / 2). So no user-item pair is ever
 * written twice.
 *
 * Streaming: users are generated one at a time from their own stream
 * rng_seed_stream(seed, 16 + u), so memory is O(items + max_degree) (about
 * 24 bytes per item, 48 while the tables are built) whatever N is, and the
 * output is a function of the parameters alone (byte-identical for a seed
 * on a given libm). Draws use alias tables (alias.h).
 *
 * Output, ids plain decimal (users 0..U-1, items 0..I-1; an item no one
 * drew does not appear):
 *   GRAPH_PL_ADJ    `user item item ...` per line (LightGCN / gowalla)
 *   GRAPH_PL_EDGES  `user<TAB>item` per line
 * With test_fraction f > 0 each user with d >= 2 items sends
 * floor(f d + U[0,1)) of them (at most d - 1, chosen at random) to the test
 * file instead; users with no test item get no test line.
 */
#ifndef GNNREC_GRAPH_POWERLAW_H
#define GNNREC_GRAPH_POWERLAW_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

enum { GRAPH_PL_ADJ = 0, GRAPH_PL_EDGES = 1 };

#define GRAPH_PL_MAX_DEGREE 4000000u   /* keeps an adj line under build-graph's 64 MiB */

typedef struct graph_pl_params {
    uint64_t n_interactions;   /* N, train + test; 0: mean_degree * users */
    double mean_degree;        /* used when n_interactions == 0 */
    uint32_t n_users;          /* 0: ceil(N / 20), or 100000 with mean_degree */
    uint32_t n_items;          /* 0: max(communities, users / 2) */
    uint32_t n_communities;    /* 20 */
    uint32_t min_degree;       /* 0: min(10, mean / 2), at least 1 */
    uint32_t max_degree;       /* 0: min(items / 2, max(64, 30 * mean), GRAPH_PL_MAX_DEGREE) */
    double user_alpha;         /* 3.0: user degree exponent, > 1 */
    double item_alpha;         /* 2.5: item degree exponent, > 1 */
    double affinity;           /* 0.8: share of draws from the user's community */
    double test_fraction;      /* 0: no test file */
    int format;                /* GRAPH_PL_ADJ */
    uint64_t seed;             /* 2020 */
} graph_pl_params_t;

typedef struct graph_pl_stats {
    uint64_t train, test;      /* interactions written to each file */
    uint32_t max_user_degree;
    uint32_t items_used;       /* items drawn at least once */
    double seconds;
} graph_pl_stats_t;

void graph_pl_defaults(graph_pl_params_t *p);
/* Fill the 0 = default fields from the others and check everything:
 * ERR_USAGE naming the value unless users >= 1, communities >= 1,
 * items >= max(2, communities), 1 <= min_degree <= max_degree <= items / 2,
 * min_degree * users <= N <= max_degree * users, alphas > 1, affinity and
 * test_fraction in [0, 1). */
int graph_pl_resolve(graph_pl_params_t *p, err_t *e);

/* Generate into train (and test, needed iff test_fraction > 0); the names
 * are for messages. Checks every write (ERR_IO "NAME: write error: ...");
 * ERR_NOMEM "out of memory" if the tables do not fit. progress: 0 auto
 * (on a terminal), 1 always, -1 never (base/clock.h). p must be resolved. */
int graph_pl_generate(const graph_pl_params_t *p, FILE *train, const char *train_name, FILE *test,
                      const char *test_name, int progress, graph_pl_stats_t *st, err_t *e);

/* The atomic version: creates DIR if needed, writes DIR/train.txt.partial
 * (and test.txt.partial), checks fflush/fclose, then renames them to
 * DIR/train.txt and DIR/test.txt. On any error the partial files are
 * removed and no final name is touched. A cannot-create DIR is ERR_USAGE. */
int graph_pl_write_dir(const graph_pl_params_t *p, const char *dir, int progress, graph_pl_stats_t *st,
                       err_t *e);

#endif
