/*
 * prbs: the test stream generator and verifier (see prbs.h).
 */
#include "config.h"

#include <string.h>

#include "prbs.h"

#define PRBS_CHUNK 4096 /* bytes generated at a time when checking */

static uint64_t
word(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed * PRBS_MUL_SEED + idx;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
put_le(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
prbs_fill(uint64_t seed, uint64_t off, uint8_t *p, size_t len)
{
	uint64_t idx = off / 8;
	uint8_t w[8];
	size_t skip = off % 8, n;

	if (skip != 0 && len > 0) {
		/* a partial first word */
		put_le(w, word(seed, idx++));
		n = 8 - skip < len ? 8 - skip : len;
		memcpy(p, w + skip, n);
		p += n;
		len -= n;
	}
	for (; len >= 8; len -= 8, p += 8)
		put_le(p, word(seed, idx++));
	if (len > 0) {
		put_le(w, word(seed, idx));
		memcpy(p, w, len);
	}
}

long
prbs_check(uint64_t seed, uint64_t off, const uint8_t *p, size_t len)
{
	uint8_t want[PRBS_CHUNK];
	size_t done = 0, n, i;

	while (done < len) {
		n = len - done < sizeof(want) ? len - done : sizeof(want);
		prbs_fill(seed, off + done, want, n);
		if (memcmp(want, p + done, n) != 0) {
			for (i = 0; want[i] == p[done + i]; i++)
				;
			return (long)(done + i);
		}
		done += n;
	}
	return -1;
}
