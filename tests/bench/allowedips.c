/*
 * allowedips: the cost of routing a packet by its inner address. Fills a table with
 * 100,000 random prefixes spread over 1,000 peers (half IPv4 /8../32, half IPv6
 * /32../128, lengths uniform), then times lookups of addresses that fall inside an
 * inserted prefix (host bits random) and of random addresses, and prints nanoseconds per
 * lookup, in CPU time; also the table's heap, and the dearest single change (a default
 * route, which reaches every slot of a jump table). Prints, never asserts: speed is
 * measured here, not tested.
 *
 *   tests/bench/allowedips [PREFIXES [LOOKUPS]]
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "allowedips.h"

#define PEERS 1000

struct addr {
	int family;
	uint8_t a[16];
};

static uint64_t state;

/* splitmix64: fixed seed, so every run draws the same table */
static uint64_t
rng(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ z >> 27) * 0x94d049bb133111ebULL;
	return z ^ z >> 31;
}

/* this process's CPU time: a busy machine's other work is not counted */
static double
now(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

/* Bytes the heap has handed out, mapped chunks included; 0 where that is not known. */
static size_t
heap_used(void)
{
#ifdef __GLIBC__
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
#else
	return 0;
#endif
}

static void
random_bytes(uint8_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i] = (uint8_t)rng();
}

/* Time lookups of addrs[0..n), repeated to at least 0.2 s; ns per lookup. */
static double
time_lookups(const struct allowedips *t, const struct addr *addrs, size_t n, size_t *hits)
{
	double t0 = now(), t1;
	size_t i, passes = 0, found = 0;

	do {
		for (i = 0; i < n; i++)
			found += allowedips_lookup(t, addrs[i].family, addrs[i].a) != NULL;
		passes++;
	} while ((t1 = now()) - t0 < 0.2);
	*hits = found / passes; /* each pass finds the same */
	return (t1 - t0) * 1e9 / (double)(passes * n);
}

int
main(int argc, char **argv)
{
	size_t nprefix = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t nlookup = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	static char peers[PEERS];
	struct allowedips *t = allowedips_new();
	struct addr *pfx = calloc(nprefix + 1, sizeof(*pfx));
	struct addr *inside = calloc(nlookup + 1, sizeof(*inside));
	struct addr *random = calloc(nlookup + 1, sizeof(*random));
	unsigned *len = calloc(nprefix + 1, sizeof(*len));
	size_t i, hits_in, hits_rand, heap0, heap;
	double t0, ins, ns_in, ns_rand;
	static const uint8_t zero[16];
	static char other;

	if (t == NULL || pfx == NULL || inside == NULL || random == NULL || len == NULL ||
	    nprefix == 0 || nlookup == 0) {
		fprintf(stderr, "usage: allowedips [PREFIXES [LOOKUPS]] (or out of memory)\n");
		return 1;
	}
	for (i = 0; i < nprefix; i++) {
		pfx[i].family = i % 2 ? AF_INET6 : AF_INET;
		random_bytes(pfx[i].a, pfx[i].family == AF_INET ? 4 : 16);
		len[i] = pfx[i].family == AF_INET ? 8 + (unsigned)(rng() % 25)
						  : 32 + (unsigned)(rng() % 97);
	}
	heap0 = heap_used(); /* the empty table's few hundred bytes are left out */
	t0 = now();
	for (i = 0; i < nprefix; i++)
		if (allowedips_insert(t, pfx[i].family, pfx[i].a, len[i], &peers[i % PEERS]) ==
		    -1) {
			perror("allowedips_insert");
			return 1;
		}
	ins = (now() - t0) * 1e9 / (double)nprefix;
	heap = heap_used() - heap0;
	for (i = 0; i < nlookup; i++) {
		/* inside: a prefix's bits, then random host bits */
		size_t k = (size_t)(rng() % nprefix), b;
		struct addr *x = &inside[i];

		*x = pfx[k];
		for (b = len[k]; b < (x->family == AF_INET ? 32u : 128u); b++)
			if (rng() & 1)
				x->a[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
		random[i].family = i % 2 ? AF_INET6 : AF_INET;
		random_bytes(random[i].a, 16);
	}
	ns_in = time_lookups(t, inside, nlookup, &hits_in);
	ns_rand = time_lookups(t, random, nlookup, &hits_rand);
	printf("allowedips: %zu prefixes (%zu IPv4 /8-/32, %zu IPv6 /32-/128) over %d peers, "
	       "%zu entries\n",
	       nprefix, (nprefix + 1) / 2, nprefix / 2, PEERS, allowedips_count(t));
	printf("insert: %.0f ns per prefix; %zu trie nodes\n", ins, allowedips_nodes(t));
	printf("lookup, address inside a prefix: %.1f ns (%zu of %zu matched)\n", ns_in, hits_in,
	       nlookup);
	printf("lookup, random address: %.1f ns (%zu of %zu matched)\n", ns_rand, hits_rand,
	       nlookup);
	printf("memory: %.1f MiB of heap, %.0f bytes per entry\n", (double)heap / 1048576,
	       (double)heap / (double)allowedips_count(t));
	t0 = now();
	for (i = 0; i < 20; i++) {
		allowedips_insert(t, AF_INET, zero, 0, &other);
		allowedips_insert(t, AF_INET6, zero, 0, &other);
		allowedips_remove_peer(t, &other);
	}
	printf("default route in both families, inserted then removed with its peer: "
	       "%.0f us\n",
	       (now() - t0) * 1e6 / 20);
	t0 = now();
	for (i = 0; i < PEERS; i++)
		allowedips_remove_peer(t, &peers[i]);
	printf("remove: %.0f ns per prefix (by peer), %zu left\n",
	       (now() - t0) * 1e9 / (double)nprefix, allowedips_count(t));
	allowedips_free(t);
	free(pfx);
	free(inside);
	free(random);
	free(len);
	return 0;
}
