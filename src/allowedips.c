/*
 * allowedips: longest-prefix match from inner addresses to peers (see allowedips.h).
 *
 * Keys are held as two 64-bit words in host order, bit 0 the most significant bit of the
 * address; an IPv4 address fills the top 32 bits of the first word and leaves the rest
 * zero, so both families share one walk. Invariants, kept by insert and prune:
 *   - a node's key has no bits set beyond its cidr;
 *   - a child's cidr is greater than its parent's and its key extends the parent's, and it
 *     sits under the parent's bit at position parent->cidr;
 *   - a node without a peer has exactly two children (else it is spliced out).
 * The last one bounds the table at 2n - 1 nodes for n entries; the first two bound every
 * walk at width + 1 nodes. Peers are found by pointer in a small chained hash of owners,
 * each holding its entries as a list in insertion order.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "allowedips.h"

#define AI_BUCKETS_MIN 16 /* owner hash buckets at first; doubled as peers come */

struct ai_node {
	struct ai_node *bit[2];
	uint64_t key[2];
	void *peer; /* NULL: a branch point */
	uint8_t cidr;
	uint8_t v6;
	struct ai_node *parent;
	struct ai_node *prev, *next; /* the peer's entries */
};

struct ai_owner {
	const void *peer;
	struct ai_node *first, *last;
	size_t n;
	struct ai_owner *hnext;
};

struct allowedips {
	struct ai_node *root[2]; /* IPv4, IPv6 */
	struct ai_owner **buckets;
	size_t nbuckets; /* a power of two */
	size_t nowners;
	size_t count;
	size_t nodes;
};

/* --- keys --- */

static uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static void
store_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* addr as a key; its width in bits, or 0 for an unknown family. */
static unsigned
to_key(int family, const uint8_t *addr, uint64_t key[2])
{
	if (family == AF_INET) {
		uint32_t v;

		memcpy(&v, addr, sizeof(v));
		key[0] = (uint64_t)be32toh(v) << 32;
		key[1] = 0;
		return 32;
	}
	if (family == AF_INET6) {
		key[0] = load64(addr);
		key[1] = load64(addr + 8);
		return 128;
	}
	return 0;
}

/* The bits of word w (0 or 1) that lie within the first cidr bits of a key. */
static inline uint64_t
word_mask(unsigned cidr, unsigned w)
{
	unsigned lo = w * 64;

	if (cidr <= lo)
		return 0;
	if (cidr >= lo + 64)
		return ~(uint64_t)0;
	return ~(uint64_t)0 << (64 - (cidr - lo));
}

static inline unsigned
bit_at(const uint64_t key[2], unsigned i)
{
	return (unsigned)(key[i >> 6] >> (63 - (i & 63))) & 1;
}

/* How many leading bits a and b share (128 when equal). */
static inline unsigned
common_bits(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t x;

	if ((x = a[0] ^ b[0]) != 0)
		return (unsigned)__builtin_clzll(x);
	if ((x = a[1] ^ b[1]) != 0)
		return 64 + (unsigned)__builtin_clzll(x);
	return 128;
}

/* --- owners: a peer's entries --- */

static size_t
bucket_of(const void *peer, size_t nbuckets)
{
	uint64_t h = (uint64_t)(uintptr_t)peer * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ h >> 32) & (nbuckets - 1);
}

static struct ai_owner *
owner_find(const struct allowedips *t, const void *peer)
{
	struct ai_owner *o;

	for (o = t->buckets[bucket_of(peer, t->nbuckets)]; o != NULL; o = o->hnext)
		if (o->peer == peer)
			return o;
	return NULL;
}

/* Double the buckets once there are as many owners; a failure keeps the old ones. */
static void
owners_grow(struct allowedips *t)
{
	size_t nb = t->nbuckets * 2, i;
	struct ai_owner **b, *o, *next;

	if ((b = calloc(nb, sizeof(*b))) == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (o = t->buckets[i]; o != NULL; o = next) {
			next = o->hnext;
			o->hnext = b[bucket_of(o->peer, nb)];
			b[bucket_of(o->peer, nb)] = o;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

/* The owner record of peer, made when it has none; NULL on ENOMEM. */
static struct ai_owner *
owner_get(struct allowedips *t, const void *peer)
{
	struct ai_owner *o, **b;

	if ((o = owner_find(t, peer)) != NULL)
		return o;
	if (t->nowners >= t->nbuckets)
		owners_grow(t);
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->peer = peer;
	b = &t->buckets[bucket_of(peer, t->nbuckets)];
	o->hnext = *b;
	*b = o;
	t->nowners++;
	return o;
}

/* Forget o, which has no entries left. */
static void
owner_drop(struct allowedips *t, struct ai_owner *o)
{
	struct ai_owner **b = &t->buckets[bucket_of(o->peer, t->nbuckets)];

	while (*b != o)
		b = &(*b)->hnext;
	*b = o->hnext;
	free(o);
	t->nowners--;
}

static void
owner_link(struct ai_owner *o, struct ai_node *n)
{
	n->prev = o->last;
	n->next = NULL;
	if (o->last != NULL)
		o->last->next = n;
	else
		o->first = n;
	o->last = n;
	o->n++;
}

static void
owner_unlink(struct ai_owner *o, struct ai_node *n)
{
	*(n->prev != NULL ? &n->prev->next : &o->first) = n->next;
	*(n->next != NULL ? &n->next->prev : &o->last) = n->prev;
	n->prev = n->next = NULL;
	o->n--;
}

/* --- the trie --- */

struct allowedips *
allowedips_new(void)
{
	struct allowedips *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nbuckets = AI_BUCKETS_MIN;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

/* Free a subtree without recursion: descend to a leaf, free it, climb back. */
static void
free_tree(struct ai_node *n)
{
	struct ai_node *up;

	while (n != NULL) {
		if (n->bit[0] != NULL || n->bit[1] != NULL) {
			int b = n->bit[0] == NULL;

			up = n;
			n = n->bit[b];
			up->bit[b] = NULL;
			continue;
		}
		up = n->parent;
		free(n);
		n = up;
	}
}

void
allowedips_free(struct allowedips *t)
{
	struct ai_owner *o, *next;
	size_t i;

	if (t == NULL)
		return;
	free_tree(t->root[0]);
	free_tree(t->root[1]);
	for (i = 0; i < t->nbuckets; i++)
		for (o = t->buckets[i]; o != NULL; o = next) {
			next = o->hnext;
			free(o);
		}
	free(t->buckets);
	free(t);
}

/* Give the entry at n to o (n may be a branch point, or another peer's entry). */
static void
set_owner(struct allowedips *t, struct ai_node *n, struct ai_owner *o)
{
	struct ai_owner *old;

	if (n->peer == o->peer)
		return;
	if (n->peer != NULL) {
		old = owner_find(t, n->peer);
		owner_unlink(old, n);
		if (old->n == 0)
			owner_drop(t, old);
	} else {
		t->count++;
	}
	n->peer = (void *)(uintptr_t)o->peer;
	owner_link(o, n);
}

static struct ai_node *
node_new(struct allowedips *t, const uint64_t key[2], unsigned cidr, int v6, struct ai_node *parent)
{
	struct ai_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	t->nodes++;
	n->key[0] = key[0] & word_mask(cidr, 0);
	n->key[1] = key[1] & word_mask(cidr, 1);
	n->cidr = (uint8_t)cidr;
	n->v6 = (uint8_t)v6;
	n->parent = parent;
	return n;
}

int
allowedips_insert(struct allowedips *t, int family, const uint8_t *addr, unsigned len, void *peer)
{
	struct ai_node **slot, *n, *parent = NULL, *leaf, *branch;
	struct ai_owner *o;
	uint64_t key[2];
	unsigned width = to_key(family, addr, key), common = 0;
	int v6 = family == AF_INET6;

	if (width == 0 || len > width || peer == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((o = owner_get(t, peer)) == NULL)
		return -1;
	key[0] &= word_mask(len, 0);
	key[1] &= word_mask(len, 1);
	/* Descend while the node's prefix contains ours; at most width + 1 steps. */
	for (slot = &t->root[v6]; (n = *slot) != NULL; slot = &n->bit[bit_at(key, n->cidr)]) {
		common = common_bits(key, n->key);
		if (common > len)
			common = len;
		if (common < n->cidr)
			break; /* ours is above n, or leaves its path */
		if (n->cidr == len) {
			set_owner(t, n, o);
			return 0;
		}
		parent = n;
	}
	if ((leaf = node_new(t, key, len, v6, parent)) == NULL)
		goto fail;
	if (n == NULL) {
		*slot = leaf;
	} else if (common == len) {
		/* ours contains n: the new entry goes between n and its parent */
		leaf->bit[bit_at(n->key, len)] = n;
		n->parent = leaf;
		*slot = leaf;
	} else {
		/* the two part at bit `common`: a branch point there holds both */
		if ((branch = node_new(t, key, common, v6, parent)) == NULL) {
			free(leaf);
			t->nodes--;
			goto fail;
		}
		branch->bit[bit_at(key, common)] = leaf;
		branch->bit[bit_at(n->key, common)] = n;
		leaf->parent = n->parent = branch;
		*slot = branch;
	}
	set_owner(t, leaf, o);
	return 0;
fail:
	if (o->n == 0)
		owner_drop(t, o);
	errno = ENOMEM;
	return -1;
}

static struct ai_node **
slot_of(struct allowedips *t, struct ai_node *n)
{
	if (n->parent != NULL)
		return &n->parent->bit[n->parent->bit[1] == n];
	return &t->root[n->v6];
}

/*
 * n has just lost its peer: splice out the nodes that are no longer needed. A node with one
 * child is replaced by that child (the parent keeps two children); a node with none is
 * removed, and then its parent may be a branch point left with one child.
 */
static void
prune(struct allowedips *t, struct ai_node *n)
{
	struct ai_node *child, *parent;

	while (n != NULL && n->peer == NULL && (n->bit[0] == NULL || n->bit[1] == NULL)) {
		child = n->bit[0] != NULL ? n->bit[0] : n->bit[1];
		parent = n->parent;
		*slot_of(t, n) = child;
		free(n);
		t->nodes--;
		if (child != NULL) {
			child->parent = parent;
			break;
		}
		n = parent;
	}
}

size_t
allowedips_remove_peer(struct allowedips *t, const void *peer)
{
	struct ai_owner *o = owner_find(t, peer);
	struct ai_node *n, *next;
	size_t removed;

	if (o == NULL)
		return 0;
	removed = o->n;
	/* prune frees only nodes without a peer: the ones still on o's list are safe */
	for (n = o->first; n != NULL; n = next) {
		next = n->next;
		n->peer = NULL;
		n->prev = n->next = NULL;
		prune(t, n);
	}
	t->count -= removed;
	owner_drop(t, o);
	return removed;
}

void *
allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr)
{
	const struct ai_node *n;
	uint64_t key[2];
	unsigned width = to_key(family, addr, key);
	void *best = NULL;

	if (width == 0)
		return NULL;
	for (n = t->root[family == AF_INET6]; n != NULL && common_bits(key, n->key) >= n->cidr;
	     n = n->bit[bit_at(key, n->cidr)]) {
		if (n->peer != NULL)
			best = n->peer;
		if (n->cidr == width)
			break;
	}
	return best;
}

int
allowedips_walk(const struct allowedips *t, const void *peer,
		int (*fn)(void *arg, int family, const uint8_t *addr, unsigned len), void *arg)
{
	const struct ai_owner *o = owner_find(t, peer);
	const struct ai_node *n;
	uint8_t addr[16];
	int rc;

	for (n = o != NULL ? o->first : NULL; n != NULL; n = n->next) {
		memset(addr, 0, sizeof(addr));
		if (n->v6) {
			store_be(addr, n->key[0], 8);
			store_be(addr + 8, n->key[1], 8);
		} else {
			store_be(addr, n->key[0] >> 32, 4);
		}
		if ((rc = fn(arg, n->v6 ? AF_INET6 : AF_INET, addr, n->cidr)) != 0)
			return rc;
	}
	return 0;
}

size_t
allowedips_count(const struct allowedips *t)
{
	return t->count;
}

size_t
allowedips_nodes(const struct allowedips *t)
{
	return t->nodes;
}
