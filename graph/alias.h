/* alias.h - Walker/Vose alias tables: draw one of n weighted slots in O(1).
 *
 * The large-graph generator (powerlaw.h) draws every interaction's item by
 * popularity, up to billions of times, from catalogues of up to 10^8 items;
 * a cumulative table with binary search would cost ~27 dependent cache
 * misses a draw there, an alias table one.
 *
 * A table is n slots of 12 bytes (the caller owns the array): slot k
 * returns keep if the low 32 random bits are < thr, else other. The builder
 * writes keep = k and other = the alias slot; a caller that wants values
 * instead of slot numbers (item ids of a community, say) may rewrite both
 * through its own map, so a draw costs one cache line. Slots kept with
 * certainty have thr = UINT32_MAX and other = keep, so the 2^-32
 * quantisation never moves mass to another slot. graph_alias_prob() is the
 * plain reference: the probability the table gives slot k, summed the slow
 * way, which the unit test compares with w[k] / sum(w).
 */
#ifndef GNNREC_GRAPH_ALIAS_H
#define GNNREC_GRAPH_ALIAS_H

#include <stdint.h>

#include "base/rng.h"

typedef struct graph_alias_slot { uint32_t thr, keep, other; } graph_alias_slot_t;

/* Build the table of weights w[0..n) (finite, >= 0, sum > 0) into t [n];
 * p [n] and stack [n] are scratch. n >= 1. Deterministic. */
void graph_alias_build(const double *w, uint32_t n, graph_alias_slot_t *t, double *p, uint32_t *stack);

/* One draw (one 64-bit random number): keep or other of a uniform slot. */
static inline uint32_t graph_alias_draw(const graph_alias_slot_t *t, uint32_t n, rng_t *r)
{
    uint64_t v = rng_u64(r);
    const graph_alias_slot_t *s = t + (((v >> 32) * (uint64_t)n) >> 32);
    return (uint32_t)v < s->thr ? s->keep : s->other;
}

/* Reference, on a table as built (keep = slot): P(draw = k), in O(n). */
double graph_alias_prob(const graph_alias_slot_t *t, uint32_t n, uint32_t k);

#endif
