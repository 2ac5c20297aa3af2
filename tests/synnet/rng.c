/*
 * rng: xoshiro256** with splitmix64 seeding (see rng.h). The algorithms are the public
 * domain ones by Blackman and Vigna; they are fast, have no bad seeds once splitmix has
 * spread the seed over the state, and behave identically on every machine.
 */
#include "config.h"

#include "rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
rng_unit(struct rng *r)
{
	/* the top 53 bits fill a double's mantissa exactly */
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

int
rng_chance(struct rng *r, double p)
{
	double u = rng_unit(r);

	return u < p;
}

uint64_t
rng_below(struct rng *r, uint64_t n)
{
	uint64_t x = rng_next(r);

	if (n == 0)
		return 0;
	/* multiply-shift: the bias is at most n / 2^64, far below anything a test sees */
	return (uint64_t)(((unsigned __int128)x * n) >> 64);
}

uint64_t
rng_mix(uint64_t seed, uint64_t index)
{
	uint64_t x = seed ^ (index * 0xd1342543de82ef95ULL);

	return splitmix64(&x);
}
