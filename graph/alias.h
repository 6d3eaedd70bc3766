/* alias.h - Walker/Vose alias tables: draw one of n weighted slots in O(1).
 *
 * The large-graph generator (powerlaw.h) draws every interaction's item by
 * popularity, up to billions of times, from catalogues of up to 10^8 items;
 * a cumulative table with binary search would cost ~27 dependent cache
 * misses a draw there, an alias table costs two reads.
 *
 * A table over n slots is two arrays of n uint32 (the caller owns them):
 *   thr   [n]  slot k is kept if the low 32 random bits are < thr[k]
 *   alias [n]  otherwise the draw is alias[k]
 * Slots kept with certainty have thr = UINT32_MAX and alias[k] = k, so the
 * 2^-32 quantisation never moves mass to another slot. graph_alias_prob()
 * is the plain reference: the probability the table gives slot k, summed
 * the slow way, which the unit test compares with w[k] / sum(w).
 */
#ifndef GNNREC_GRAPH_ALIAS_H
#define GNNREC_GRAPH_ALIAS_H

#include <stdint.h>

#include "base/err.h"
#include "base/rng.h"

/* Build the table of weights w[0..n) (finite, >= 0, sum > 0) into thr and
 * alias; p [n] and stack [n] are scratch. n >= 1. Deterministic. */
void graph_alias_build(const double *w, uint32_t n, uint32_t *thr, uint32_t *alias, double *p,
                       uint32_t *stack);

/* One draw: a slot in [0, n), one 64-bit random number. */
static inline uint32_t graph_alias_draw(const uint32_t *thr, const uint32_t *alias, uint32_t n, rng_t *r)
{
    uint64_t v = rng_u64(r);
    uint32_t k = (uint32_t)(((v >> 32) * (uint64_t)n) >> 32);
    return (uint32_t)v < thr[k] ? k : alias[k];
}

/* Reference: the probability the table draws slot k (O(n)). */
double graph_alias_prob(const uint32_t *thr, const uint32_t *alias, uint32_t n, uint32_t k);

#endif
