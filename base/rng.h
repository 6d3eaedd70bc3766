/* rng.h - small, fast, seedable random numbers (xoshiro256**).
 *
 * Every random choice in gnnrec (splits, negative sampling, initialisation,
 * shuffles) draws from an rng_t seeded from the user's --seed, so the same
 * seed gives the same numbers. Parallel code gets one independent stream per
 * thread or per chunk with rng_seed_stream(seed, stream_id); results then do
 * not depend on scheduling as long as work is split by chunk, not by thread.
 */
#ifndef GNNREC_BASE_RNG_H
#define GNNREC_BASE_RNG_H

#include <stdint.h>

typedef struct rng { uint64_t s[4]; } rng_t;

void rng_seed(rng_t *r, uint64_t seed);
void rng_seed_stream(rng_t *r, uint64_t seed, uint64_t stream);

static inline uint64_t rng_rotl_(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_u64(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = rng_rotl_(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rng_rotl_(s[3], 45);
    return out;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, bias < 2^-32
 * for n < 2^32, which is below anything a recommender can notice). */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform float in [0, 1). */
static inline float rng_float(rng_t *r) { return (float)(rng_u64(r) >> 40) * (1.0f / 16777216.0f); }
static inline double rng_double(rng_t *r) { return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }

/* Standard normal (Box-Muller; one value per call, the twin is dropped). */
float rng_normal(rng_t *r);

/* Fisher-Yates shuffle of n uint32. */
void rng_shuffle_u32(rng_t *r, uint32_t *a, uint64_t n);

#endif
