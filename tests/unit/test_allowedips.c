/*
 * test_allowedips: the routing trie against a naive list scan. Thousands of seeded random
 * prefixes (drawn near a few bases so that they nest and overlap, IPv4 and IPv6, every
 * length), replaced, removed by peer and walked; every lookup must give the peer of the
 * longest matching prefix exactly as the scan does. Then the edges: /0, host routes, a
 * chain of all 129 IPv6 lengths, host bits masked, bad arguments. Then tables large enough
 * for lookups to start from jump tables: prefixes shorter than, at and past their depth,
 * short ones changing hands, peers sharing slots leaving one by one (the tables shrinking
 * and going), and 76,000 prefixes for the largest tables, each checked against a scan.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "allowedips.h"
#include "check.h"

#define NPEERS	40
#define NBASES	24
#define REF_MAX 20000
#define LOOKUPS 5000

struct ref {
	int family;
	uint8_t addr[16];
	unsigned len;
	void *peer;
};

static char peers[NPEERS];
static struct ref ref[REF_MAX];
static size_t nref;
static uint64_t rng_state;
static uint8_t bases[2][NBASES][16];

static uint64_t
rng(void)
{
	/* xorshift64*: seeded, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned
width_of(int family)
{
	return family == AF_INET ? 32 : 128;
}

static void
mask(uint8_t *a, unsigned len)
{
	unsigned i;

	for (i = len; i < 128; i++)
		a[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

/* prefix has its host bits zero (mask) */
static int
contains(const uint8_t *prefix, unsigned len, const uint8_t *addr)
{
	unsigned whole = len / 8, rest = len % 8;

	if (memcmp(prefix, addr, whole) != 0)
		return 0;
	return rest == 0 || ((addr[whole] ^ prefix[whole]) & (0xff00 >> rest)) == 0;
}

static void *
ref_lookup(int family, const uint8_t *addr)
{
	void *best = NULL;
	int bestlen = -1;
	size_t i;

	for (i = 0; i < nref; i++)
		if (ref[i].family == family && (int)ref[i].len > bestlen &&
		    contains(ref[i].addr, ref[i].len, addr)) {
			best = ref[i].peer;
			bestlen = (int)ref[i].len;
		}
	return best;
}

/* The reference keeps each peer's prefixes in the order given to it, as the walk does. */
static void
ref_insert(int family, const uint8_t *addr, unsigned len, void *peer)
{
	struct ref r = {.family = family, .len = len, .peer = peer};
	size_t i;

	memcpy(r.addr, addr, 16);
	mask(r.addr, len);
	for (i = 0; i < nref; i++)
		if (ref[i].family == family && ref[i].len == len &&
		    memcmp(ref[i].addr, r.addr, 16) == 0) {
			if (ref[i].peer == peer)
				return;
			memmove(&ref[i], &ref[i + 1], (nref - i - 1) * sizeof(ref[0]));
			nref--;
			break;
		}
	if (nref < REF_MAX)
		ref[nref++] = r;
}

static size_t
ref_remove_peer(void *peer)
{
	size_t i, j, n = 0;

	for (i = j = 0; i < nref; i++)
		if (ref[i].peer == peer)
			n++;
		else
			ref[j++] = ref[i];
	nref = j;
	return n;
}

/* An address near one of the bases: a random number of its leading bits kept. */
static void
random_addr(int family, uint8_t *a)
{
	const uint8_t *base = bases[family == AF_INET6][rng() % NBASES];
	unsigned keep = (unsigned)(rng() % (width_of(family) + 1)), i;

	memset(a, 0, 16);
	for (i = 0; i < width_of(family) / 8; i++)
		a[i] = (uint8_t)rng();
	for (i = 0; i < keep; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		a[i / 8] = (uint8_t)((a[i / 8] & ~m) | (base[i / 8] & m));
	}
}

static int
random_family(void)
{
	return rng() % 2 ? AF_INET6 : AF_INET;
}

static void
insert_random(struct allowedips *t, int n)
{
	uint8_t a[16];
	int i, family;
	unsigned len;
	void *peer;

	for (i = 0; i < n; i++) {
		family = random_family();
		random_addr(family, a);
		len = (unsigned)(rng() % (width_of(family) + 1));
		peer = &peers[rng() % NPEERS];
		CHECK(allowedips_insert(t, family, a, len, peer) == 0);
		ref_insert(family, a, len, peer);
	}
}

static void
cross_check(const struct allowedips *t, const char *what)
{
	uint8_t a[16];
	int i, family, bad = 0;

	for (i = 0; i < LOOKUPS; i++) {
		family = random_family();
		random_addr(family, a);
		if (allowedips_lookup(t, family, a) != ref_lookup(family, a))
			bad++;
	}
	/* and every prefix's own first address, the likeliest to expose an off-by-one */
	for (i = 0; (size_t)i < nref; i++)
		if (allowedips_lookup(t, ref[i].family, ref[i].addr) !=
		    ref_lookup(ref[i].family, ref[i].addr))
			bad++;
	if (bad)
		fprintf(stderr, "%s: %d lookups differ from the list scan\n", what, bad);
	CHECK(bad == 0);
	CHECK(allowedips_count(t) == nref);
	/* branch points without a peer are spliced out as soon as they are not needed */
	CHECK(allowedips_nodes(t) <= (nref > 0 ? 2 * nref - 1 : 0));
}

struct walk_state {
	void *peer;
	size_t next; /* index into ref of the next entry expected */
	int bad;
	int count;
};

static int
walk_cb(void *arg, int family, const uint8_t *addr, unsigned len)
{
	struct walk_state *w = arg;

	while (w->next < nref && ref[w->next].peer != w->peer)
		w->next++;
	if (w->next == nref || ref[w->next].family != family || ref[w->next].len != len ||
	    memcmp(ref[w->next].addr, addr, 16) != 0)
		w->bad++;
	w->next++;
	w->count++;
	return 0;
}

/* Each peer's walk lists exactly its prefixes, in the reference's order. */
static void
check_walks(const struct allowedips *t)
{
	int p;

	for (p = 0; p < NPEERS; p++) {
		struct walk_state w = {.peer = &peers[p]};
		size_t i, n = 0;

		for (i = 0; i < nref; i++)
			n += ref[i].peer == &peers[p];
		CHECK(allowedips_walk(t, &peers[p], walk_cb, &w) == 0);
		CHECK(w.bad == 0);
		CHECK((size_t)w.count == n);
	}
}

/* Bytes the heap has handed out: nodes must be freed when their entries go. */
static size_t
heap_used(void)
{
#ifdef __GLIBC__
	return mallinfo2().uordblks;
#else
	return 0;
#endif
}

static void
test_random(uint64_t seed)
{
	struct allowedips *t = allowedips_new();
	size_t empty = heap_used();
	int round, p, i;

	rng_state = seed;
	nref = 0;
	for (i = 0; i < NBASES; i++) {
		int b;

		for (b = 0; b < 16; b++) {
			bases[0][i][b] = b < 4 ? (uint8_t)rng() : 0;
			bases[1][i][b] = (uint8_t)rng();
		}
	}
	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (round = 0; round < 4; round++) {
		insert_random(t, 2500); /* with replacements: bases make prefixes repeat */
		cross_check(t, "after inserting");
		check_walks(t);
		for (i = 0; i < 8; i++) {
			p = (int)(rng() % NPEERS);
			CHECK(allowedips_remove_peer(t, &peers[p]) == ref_remove_peer(&peers[p]));
		}
		cross_check(t, "after removing peers");
		check_walks(t);
	}
	for (p = 0; p < NPEERS; p++)
		CHECK(allowedips_remove_peer(t, &peers[p]) == ref_remove_peer(&peers[p]));
	CHECK(allowedips_count(t) == 0);
	/* every node freed: at most the owner hash's grown bucket array remains */
	if (heap_used() > empty + 4096)
		fprintf(stderr, "empty table still holds %zu bytes\n", heap_used() - empty);
	CHECK(heap_used() <= empty + 4096);
	cross_check(t, "empty");
	/* the emptied table works as a new one */
	insert_random(t, 1000);
	cross_check(t, "refilled");
	allowedips_free(t);
}

static void
v4(uint8_t *a, unsigned b0, unsigned b1, unsigned b2, unsigned b3)
{
	a[0] = (uint8_t)b0;
	a[1] = (uint8_t)b1;
	a[2] = (uint8_t)b2;
	a[3] = (uint8_t)b3;
}

static int
first_cb(void *arg, int family, const uint8_t *addr, unsigned len)
{
	struct ref *r = arg;

	r->family = family;
	memcpy(r->addr, addr, 16);
	r->len = len;
	return 1; /* stop: the walk returns this */
}

static void
test_edges(void)
{
	struct allowedips *t = allowedips_new();
	uint8_t a[16] = {0}, b[16] = {0};
	void *A = &peers[0], *B = &peers[1], *C = &peers[2];
	struct ref r;
	unsigned len;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	allowedips_free(NULL);
	CHECK(allowedips_lookup(t, AF_INET, a) == NULL);
	CHECK(allowedips_remove_peer(t, A) == 0);

	/* the default route; a /8 inside it; a host route inside that */
	CHECK(allowedips_insert(t, AF_INET, a, 0, A) == 0);
	v4(a, 10, 1, 2, 3);
	CHECK(allowedips_insert(t, AF_INET, a, 8, B) == 0); /* host bits given: masked */
	CHECK(allowedips_insert(t, AF_INET, a, 32, C) == 0);
	CHECK(allowedips_lookup(t, AF_INET, a) == C);
	v4(b, 10, 1, 2, 4);
	CHECK(allowedips_lookup(t, AF_INET, b) == B);
	v4(b, 11, 0, 0, 0);
	CHECK(allowedips_lookup(t, AF_INET, b) == A);
	v4(b, 255, 255, 255, 255);
	CHECK(allowedips_lookup(t, AF_INET, b) == A);
	/* the families are apart: no IPv6 route yet */
	CHECK(allowedips_lookup(t, AF_INET6, b) == NULL);
	CHECK(allowedips_walk(t, B, first_cb, &r) == 1);
	CHECK(r.family == AF_INET && r.len == 8 && r.addr[0] == 10 && r.addr[1] == 0 &&
	      r.addr[3] == 0);

	/* the same prefix again (other host bits) goes to the later peer */
	v4(a, 10, 200, 0, 1);
	CHECK(allowedips_insert(t, AF_INET, a, 8, C) == 0);
	CHECK(allowedips_count(t) == 3);
	CHECK(allowedips_lookup(t, AF_INET, b) == A);
	v4(b, 10, 9, 9, 9);
	CHECK(allowedips_lookup(t, AF_INET, b) == C);
	CHECK(allowedips_walk(t, B, first_cb, &r) == 0); /* B has nothing left */
	/* removing C leaves the default route under all of 10/8 */
	CHECK(allowedips_remove_peer(t, C) == 2);
	v4(b, 10, 1, 2, 3);
	CHECK(allowedips_lookup(t, AF_INET, b) == A);
	CHECK(allowedips_count(t) == 1);

	/* IPv6: a chain of all 129 lengths of one address, then every length's neighbour */
	memset(a, 0xa5, 16);
	for (len = 0; len <= 128; len++)
		CHECK(allowedips_insert(t, AF_INET6, a, len, &peers[len % NPEERS]) == 0);
	CHECK(allowedips_count(t) == 130);
	CHECK(allowedips_nodes(t) == 130); /* a chain: no branch points */
	CHECK(allowedips_lookup(t, AF_INET6, a) == &peers[128 % NPEERS]);
	for (len = 0; len < 128; len++) {
		/* flip bit len: the longest prefix still containing it has length len */
		memcpy(b, a, 16);
		b[len / 8] ^= (uint8_t)(0x80 >> (len % 8));
		if (allowedips_lookup(t, AF_INET6, b) != &peers[len % NPEERS])
			CHECK(!"the chain gives the wrong length");
	}
	for (len = 0; len < NPEERS; len++)
		allowedips_remove_peer(t, &peers[len]);
	CHECK(allowedips_count(t) == 0);
	CHECK(allowedips_nodes(t) == 0);
	CHECK(allowedips_lookup(t, AF_INET6, a) == NULL);

	/* bad arguments change nothing */
	errno = 0;
	CHECK(allowedips_insert(t, AF_INET, a, 33, A) == -1 && errno == EINVAL);
	CHECK(allowedips_insert(t, AF_INET6, a, 129, A) == -1 && errno == EINVAL);
	CHECK(allowedips_insert(t, AF_UNIX, a, 8, A) == -1 && errno == EINVAL);
	CHECK(allowedips_insert(t, AF_INET, a, 8, NULL) == -1 && errno == EINVAL);
	CHECK(allowedips_lookup(t, AF_UNIX, a) == NULL);
	CHECK(allowedips_count(t) == 0);
	allowedips_free(t);
}

/* Peers come and go by the thousand: the owner hash grows and finds them all. */
static void
test_many_peers(void)
{
	static char many[5000];
	struct allowedips *t = allowedips_new();
	uint8_t a[16] = {0};
	int i, bad = 0;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < 5000; i++) {
		v4(a, 10, (unsigned)(i >> 8), (unsigned)(i & 255), 0);
		CHECK(allowedips_insert(t, AF_INET, a, 24, &many[i]) == 0);
	}
	for (i = 0; i < 5000; i++) {
		v4(a, 10, (unsigned)(i >> 8), (unsigned)(i & 255), 77);
		bad += allowedips_lookup(t, AF_INET, a) != &many[i];
	}
	CHECK(bad == 0);
	for (i = 0; i < 5000; i += 2)
		CHECK(allowedips_remove_peer(t, &many[i]) == 1);
	for (i = 0, bad = 0; i < 5000; i++) {
		v4(a, 10, (unsigned)(i >> 8), (unsigned)(i & 255), 1);
		bad += allowedips_lookup(t, AF_INET, a) != (i % 2 ? &many[i] : NULL);
	}
	CHECK(bad == 0);
	CHECK(allowedips_count(t) == 2500);
	allowedips_free(t);
}

/* The address just outside prefix r: bit len flipped (r must be shorter than its width). */
static void
neighbour(const struct ref *r, uint8_t *a)
{
	memcpy(a, r->addr, 16);
	a[r->len / 8] ^= (uint8_t)(0x80 >> (r->len % 8));
}

/*
 * Every prefix's first and last address and its neighbour just outside, then random
 * addresses over the whole space: the table must answer as the list scan does.
 */
static void
check_edges_of(const struct allowedips *t, const char *what)
{
	uint8_t a[16];
	size_t i;
	unsigned b;
	int bad = 0, family;

	for (i = 0; i < nref; i++) {
		const struct ref *r = &ref[i];

		bad += allowedips_lookup(t, r->family, r->addr) != ref_lookup(r->family, r->addr);
		memcpy(a, r->addr, 16);
		for (b = r->len; b < width_of(r->family); b++)
			a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		bad += allowedips_lookup(t, r->family, a) != ref_lookup(r->family, a);
		if (r->len < width_of(r->family)) {
			neighbour(r, a);
			bad += allowedips_lookup(t, r->family, a) != ref_lookup(r->family, a);
		}
	}
	for (i = 0; i < 500; i++) {
		family = random_family();
		memset(a, 0, sizeof(a));
		for (b = 0; b < width_of(family) / 8; b++)
			a[b] = (uint8_t)rng();
		bad += allowedips_lookup(t, family, a) != ref_lookup(family, a);
	}
	if (bad)
		fprintf(stderr, "%s: %d lookups differ from the list scan\n", what, bad);
	CHECK(bad == 0);
	CHECK(allowedips_count(t) == nref);
}

static void
add(struct allowedips *t, int family, const uint8_t *a, unsigned len, void *peer)
{
	CHECK(allowedips_insert(t, family, a, len, peer) == 0);
	ref_insert(family, a, len, peer);
}

/*
 * A table large enough that lookups start from its jump tables (one slot per entry or so),
 * with prefixes shorter than the jump depth, at it and past it: a default route, random
 * prefixes over the whole space and in one cluster, then a chain of every length of one
 * address in each family, peers sharing slots. Then short prefixes change hands, and peers
 * go one by one (the jump tables shrink and go), every prefix's edges checked after each.
 */
static void
test_jump(void)
{
	struct allowedips *t = allowedips_new();
	uint8_t a[16], chain[2][16];
	int i, f, family;
	unsigned len;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	rng_state = 0x5eed0003;
	nref = 0;
	/* a default route from the start: slots between prefixes must give its peer */
	memset(a, 0, sizeof(a));
	add(t, AF_INET, a, 0, &peers[NPEERS - 1]);
	add(t, AF_INET6, a, 0, &peers[NPEERS - 1]);
	for (i = 0; i < 800; i++) {
		family = i % 2 ? AF_INET6 : AF_INET;
		memset(a, 0, sizeof(a));
		for (len = 0; len < width_of(family) / 8; len++)
			a[len] = (uint8_t)rng();
		if (i % 4 >= 2) {
			/* half in one cluster (10.0.0.0/12, 2001:db8::/32): wide gaps around it */
			static const uint8_t cluster[2][4] = {{10, 0, 0, 0},
							      {0x20, 0x01, 0x0d, 0xb8}};

			memcpy(a, cluster[family == AF_INET6], 4);
			a[1] |= (uint8_t)(family == AF_INET ? rng() & 0x0f : 0);
		}
		len = 12 + (unsigned)(rng() % (width_of(family) - 11));
		add(t, family, a, len, &peers[rng() % NPEERS]);
	}
	for (f = 0; f < 2; f++) {
		family = f ? AF_INET6 : AF_INET;
		memset(chain[f], 0, 16);
		for (i = 0; i < (int)width_of(family) / 8; i++)
			chain[f][i] = (uint8_t)rng();
		for (len = 0; len <= width_of(family); len++)
			add(t, family, chain[f], len, &peers[(len * 7) % NPEERS]);
	}
	check_edges_of(t, "jump: filled");
	/* /0, /1, /7 of each family change hands, to a peer with prefixes elsewhere */
	for (f = 0; f < 2; f++) {
		family = f ? AF_INET6 : AF_INET;
		add(t, family, chain[f], 0, &peers[3]);
		add(t, family, chain[f], 1, &peers[3]);
		add(t, family, chain[f], 7, &peers[5]);
		check_edges_of(t, "jump: short prefixes moved");
	}
	for (i = 0; i < NPEERS; i++) {
		CHECK(allowedips_remove_peer(t, &peers[i]) == ref_remove_peer(&peers[i]));
		check_edges_of(t, "jump: a peer removed");
	}
	CHECK(allowedips_count(t) == 0);
	CHECK(allowedips_nodes(t) == 0);
	allowedips_free(t);
}

/* A prefix for the large test, as two masked words: a scan over 10^5 of them is quick. */
struct big {
	uint64_t key[2], mask[2];
	unsigned len;
	void *peer;
};

#define BIG 38000 /* prefixes a family */

static struct big big[2][BIG]; /* IPv4, IPv6 */
static size_t nbig[2];

static void
big_key(int v6, const uint8_t *a, uint64_t key[2])
{
	int i;

	key[0] = key[1] = 0;
	for (i = 0; i < (v6 ? 16 : 4); i++)
		key[i / 8] |= (uint64_t)a[i] << (56 - 8 * (i % 8));
}

static void *
big_lookup(int v6, const uint64_t key[2])
{
	const struct big *p = big[v6];
	void *best = NULL;
	int bestlen = -1;
	size_t i;

	for (i = 0; i < nbig[v6]; i++)
		if (((key[0] ^ p[i].key[0]) & p[i].mask[0]) == 0 &&
		    ((key[1] ^ p[i].key[1]) & p[i].mask[1]) == 0 && (int)p[i].len > bestlen) {
			best = p[i].peer;
			bestlen = (int)p[i].len;
		}
	return best;
}

/* n lookups: inside a random prefix, just outside one, and anywhere; 0 if all agree. */
static int
big_check(const struct allowedips *t, int n, const char *what)
{
	uint8_t a[16];
	uint64_t key[2];
	int i, b, v6, bad = 0;

	for (i = 0; i < n; i++) {
		const struct big *p;

		v6 = i % 2;
		if (nbig[v6] == 0)
			continue;
		p = &big[v6][rng() % nbig[v6]];
		for (b = 0; b < 16; b++)
			a[b] = (uint8_t)rng();
		if (i % 3 != 2) {
			/* the prefix's bits, then random ones; for the neighbour, its last bit
			 * flipped */
			for (b = 0; b < (int)p->len; b++) {
				uint8_t m = (uint8_t)(0x80 >> (b % 8));
				uint64_t pb = p->key[b / 64] >> (63 - b % 64) & 1;

				a[b / 8] = (uint8_t)((a[b / 8] & ~m) | (pb ? m : 0));
			}
			if (i % 3 == 1 && p->len > 0)
				a[(p->len - 1) / 8] ^= (uint8_t)(0x80 >> ((p->len - 1) % 8));
		}
		big_key(v6, a, key);
		if (allowedips_lookup(t, v6 ? AF_INET6 : AF_INET, a) != big_lookup(v6, key))
			bad++;
	}
	if (bad)
		fprintf(stderr, "%s: %d of %d lookups differ from the scan\n", what, bad, n);
	return bad;
}

static void
big_insert(struct allowedips *t, int n)
{
	uint8_t a[16];
	struct big *p;
	size_t before, i;
	int k, b, v6;

	for (k = 0; k < n; k++) {
		v6 = (int)(rng() % 2);
		if (nbig[v6] == BIG)
			continue;
		p = &big[v6][nbig[v6]];
		for (b = 0; b < 16; b++)
			a[b] = (uint8_t)rng();
		/*
		 * mostly at and past a 16-bit jump depth, a few shorter: not much shorter, as a
		 * /4 would have every insert of it recompute a sixteenth of the slots
		 */
		p->len = rng() % 64 == 0 ? 8 + (unsigned)(rng() % 8)
					 : 16 + (unsigned)(rng() % (v6 ? 113 : 17));
		p->peer = &peers[rng() % NPEERS];
		big_key(v6, a, p->key);
		p->mask[0] = p->len == 0 ? 0 : ~(uint64_t)0 << (64 - (p->len < 64 ? p->len : 64));
		p->mask[1] = p->len <= 64 ? 0 : ~(uint64_t)0 << (128 - p->len);
		p->key[0] &= p->mask[0];
		p->key[1] &= p->mask[1];
		before = allowedips_count(t);
		CHECK(allowedips_insert(t, v6 ? AF_INET6 : AF_INET, a, p->len, p->peer) == 0);
		if (allowedips_count(t) > before) {
			nbig[v6]++;
			continue;
		}
		/* a prefix already there: it changes hands */
		for (i = 0; i < nbig[v6]; i++)
			if (big[v6][i].len == p->len && big[v6][i].key[0] == p->key[0] &&
			    big[v6][i].key[1] == p->key[1])
				big[v6][i].peer = p->peer;
	}
}

static size_t
big_remove_peer(void *peer)
{
	size_t i, j, n = 0;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		for (i = j = 0; i < nbig[v6]; i++)
			if (big[v6][i].peer == peer)
				n++;
			else
				big[v6][j++] = big[v6][i];
		nbig[v6] = j;
	}
	return n;
}

/*
 * Some 38,000 prefixes a family, enough for the largest jump tables, against a scan:
 * filled, half the peers removed, refilled, then emptied peer by peer.
 */
static void
test_large(void)
{
	struct allowedips *t = allowedips_new();
	int p;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	rng_state = 0x5eed0004;
	nbig[0] = nbig[1] = 0;
	big_insert(t, 60000);
	CHECK(allowedips_count(t) == nbig[0] + nbig[1]);
	CHECK(big_check(t, 1500, "large: filled") == 0);
	for (p = 0; p < NPEERS; p += 2)
		CHECK(allowedips_remove_peer(t, &peers[p]) == big_remove_peer(&peers[p]));
	CHECK(big_check(t, 1000, "large: half the peers removed") == 0);
	big_insert(t, 3 * BIG);
	CHECK(nbig[0] == BIG && nbig[1] == BIG);
	CHECK(allowedips_count(t) == nbig[0] + nbig[1]);
	CHECK(big_check(t, 1500, "large: refilled") == 0);
	for (p = 0; p < NPEERS; p++) {
		CHECK(allowedips_remove_peer(t, &peers[p]) == big_remove_peer(&peers[p]));
		CHECK(big_check(t, 100, "large: a peer removed") == 0);
	}
	CHECK(allowedips_count(t) == 0);
	CHECK(allowedips_nodes(t) == 0);
	allowedips_free(t);
}

int
main(void)
{
	test_edges();
	test_many_peers();
	test_jump();
	test_large();
	test_random(0x5eed0001);
	test_random(0x5eed0002);
	test_random(0x0123456789abcdefULL);
	return CHECK_RESULT();
}
