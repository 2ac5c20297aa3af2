/*
 * rng: the seeded pseudo-random generator behind every random choice of synnet.
 *
 * xoshiro256** seeded through splitmix64, so a 64-bit seed gives one reproducible stream.
 * Each emulated link direction owns its own stream, so traffic on one link never shifts
 * the choices made on another. Pure: no clock, no global state.
 */
#ifndef SYNNET_RNG_H
#define SYNNET_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Start the stream that seed names; the same seed always gives the same stream. */
void rng_seed(struct rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* A uniform double in [0, 1). */
double rng_unit(struct rng *r);
/* 1 with probability p (p <= 0: never, p >= 1: always); always consumes one draw. */
int rng_chance(struct rng *r, double p);
/* A uniform integer in [0, n); n == 0 gives 0. Consumes one draw. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Mix a base seed with a small index into an independent stream seed. */
uint64_t rng_mix(uint64_t seed, uint64_t index);

#endif
