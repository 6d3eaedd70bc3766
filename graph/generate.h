/* generate.h - a synthetic recommender dataset from igraph's generators: the
 * built-in default data of the demo and of the tests, so gnnrec runs on a
 * fresh machine with nothing but its own repository.
 *
 * Users belong to communities; the social network is a stochastic block
 * model over them (igraph_sbm_game: dense inside a community, sparse
 * across). Items belong to communities too, with Zipf popularity inside each.
 * Each user's interactions come mostly from their own community, sometimes
 * from a friend's, sometimes from anywhere; timestamps increase per user, so
 * temporal splits work. A model that uses the graph can therefore beat
 * popularity by a wide margin, which is what the demo shows.
 *
 * The large streamed graphs of `generate --interactions` are powerlaw.h.
 *
 * Output files (tab-separated, ids written as "u<N>" and "i<N>"):
 *   interactions: user, item, rating (1-5), time     social: user, user
 */
#ifndef GNNREC_GRAPH_GENERATE_H
#define GNNREC_GRAPH_GENERATE_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

typedef struct graph_gen_params {
    uint32_t n_users;        /* 2000 */
    uint32_t n_items;        /* 1000 */
    uint32_t n_communities;  /* 8 */
    uint32_t min_items;      /* 10: interactions per user, uniform in [min, max] */
    uint32_t max_items;      /* 60 */
    double p_in, p_out;      /* SBM edge probabilities: 0.01, 0.0002 */
    double p_own, p_friend;  /* 0.7 own community, 0.2 a friend's, else anywhere */
    uint64_t seed;
} graph_gen_params_t;

void graph_gen_defaults(graph_gen_params_t *p);
/* ERR_USAGE, naming the offending value, unless users >= 2,
 * items >= communities >= 1 and 1 <= min_items <= max_items <= items/2. */
int graph_gen_check(const graph_gen_params_t *p, err_t *e);
/* ERR_NOMEM "out of memory: ..." if the memory igraph's SBM will need for the
 * expected number of social edges cannot be had (checked before calling it:
 * igraph 0.10 aborts instead of failing there). */
int graph_generate(const graph_gen_params_t *p, FILE *interactions, FILE *social, err_t *e);

#endif
