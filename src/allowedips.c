/*
 * allowedips: longest-prefix match from inner addresses to peers (see allowedips.h).
 *
 * Keys are held as two 64-bit words in host order, bit 0 the most significant bit of the
 * address; an IPv4 address fills the top 32 bits of the first word and leaves the rest
 * zero, so both families share one walk. Invariants, kept by insert and prune:
 *   - a node's key has no bits set beyond its cidr;
 *   - a child's cidr is greater than its parent's and its key extends the parent's, and it
 *     sits under the parent's bit at position parent->cidr;
 *   - a node without an owner has exactly two children (else it is spliced out).
 * The last one bounds the table at 2n - 1 nodes for n entries; the first two bound every
 * walk at width + 1 nodes.
 *
 * Laid out for the lookup, which a large table makes a chain of cache misses, one a node:
 *   - Nodes name each other by 32-bit index (0 is none). What a lookup reads (key,
 *     children, owner, cidr) is a 32-byte record, two to a 64-byte aligned cache line; the
 *     parent and the owner's list links, which only changes read, sit apart. Records come
 *     in chunks of AI_CHUNK, found through a small table of chunks, so that growing never
 *     moves or copies them; freed ones are chained for reuse, and the chunks are given back
 *     when the table empties.
 *   - A family with at least 2^AI_JUMP_MIN entries has a jump table of 2^k slots, k the
 *     smallest with 2^k >= its entries, at most AI_JUMP_MAX. Slot s says what a walk from
 *     the root for an address whose first k bits are s finds above depth k: the first node
 *     of cidr k or more it meets (0: the walk ends above), and the node of the longest
 *     prefix with an owner it passed (0: none; its owner is read only when the walk below
 *     finds none). A lookup starts there: k levels down, where the random prefixes of a
 *     large table are one or two nodes apart.
 * The slots are derived from the trie alone, and each change mends only what it touches:
 *   - a node of cidr k or more that takes or leaves a position is named by at most one
 *     slot, the one of its first k bits, and only when nothing above it has cidr k or more;
 *   - a node of cidr below k that gains or loses its owner changes the best of its own
 *     2^(k - cidr) slots, and only those whose best was the nearest owned node above it
 *     (or itself): a scan, no walk;
 *   - branch points and owners changing hands are in no slot.
 * A resize (doubling with the entries, or to a quarter of the slots, with hysteresis)
 * rebuilds the table by one walk of the trie above depth k, a few milliseconds at 2^16
 * slots and as many nodes above, paid once each doubling; a failure to allocate a new one
 * keeps the old, which stays exact.
 *
 * Peers are numbered: one owner record per peer in an array, found by pointer through a
 * chained hash of indices, holds the peer's entries as a list in insertion order.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "allowedips.h"

#define AI_BUCKETS_MIN 16 /* owner hash buckets at first; doubled as peers come */
#define AI_CHUNK_BITS  8  /* node records come 256 at a time: 11 KiB */
#define AI_CHUNK       (1u << AI_CHUNK_BITS)
#define AI_OWNERS_MIN  16 /* owner records at first; doubled as needed */
#define AI_JUMP_MIN    8  /* the fewest slot bits worth a jump table (256 entries) */
#define AI_JUMP_MAX    16 /* the most: 512 KiB a family */

/* What a lookup reads: 32 bytes. */
struct ai_node {
	uint64_t key[2];
	uint32_t bit[2]; /* children; 0: none */
	uint32_t owner;	 /* 0: a branch point */
	uint8_t cidr;
	uint8_t v6;
};

/* What only changes read, at the same index as the node. */
struct ai_link {
	uint32_t parent;
	uint32_t prev, next; /* the owner's entries; next also chains free records */
};

/* Records i * AI_CHUNK to (i + 1) * AI_CHUNK - 1, 64-byte aligned. */
struct ai_chunk {
	struct ai_node node[AI_CHUNK];
	struct ai_link link[AI_CHUNK];
};

struct ai_owner {
	const void *peer; /* NULL: a free record */
	uint32_t first, last;
	uint32_t n;
	uint32_t hnext; /* the bucket's next owner, or the next free record */
};

struct ai_slot {
	uint32_t node; /* where the walk goes on; 0: it has ended */
	uint32_t best; /* the node of the longest prefix with an owner above it; 0: none */
};

struct ai_jump {
	struct ai_slot *slot; /* NULL: no table, walks start at the root */
	unsigned bits;
};

struct allowedips {
	struct ai_chunk **chunk; /* record 0 unused: index 0 means none */
	uint32_t nchunks, chunkcap;
	uint32_t nused;	  /* records handed out so far, [0] included */
	uint32_t nfree;	  /* the first free record */
	size_t nodes;	  /* records in the trie */
	uint32_t root[2]; /* IPv4, IPv6 */
	struct ai_jump jump[2];
	size_t fcount[2];	/* entries per family */
	struct ai_owner *owner; /* [0] unused */
	uint32_t ocap, oused, ofree;
	uint32_t *buckets;
	size_t nbuckets; /* a power of two */
	size_t nowners;
	size_t count;
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

/* --- node records --- */

static inline struct ai_node *
node_of(const struct allowedips *t, uint32_t i)
{
	return &t->chunk[i >> AI_CHUNK_BITS]->node[i & (AI_CHUNK - 1)];
}

static inline struct ai_link *
link_of(const struct allowedips *t, uint32_t i)
{
	return &t->chunk[i >> AI_CHUNK_BITS]->link[i & (AI_CHUNK - 1)];
}

/*
 * Room for two more nodes, the most an insert adds; -1 (ENOMEM) changes nothing. Records
 * come a chunk at a time and never move: growing copies nothing.
 */
static int
nodes_reserve(struct allowedips *t)
{
	size_t cap = (size_t)t->nchunks * AI_CHUNK;
	size_t spare = cap - t->nused + (t->nused > 0 ? t->nused - 1 - t->nodes : 0);
	struct ai_chunk **chunk;
	void *c;

	if (spare >= 2)
		return 0;
	if (cap + AI_CHUNK > UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	if (t->nchunks == t->chunkcap) {
		size_t n = t->chunkcap > 0 ? (size_t)t->chunkcap * 2 : 4;

		if ((chunk = realloc(t->chunk, n * sizeof(*chunk))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		t->chunk = chunk;
		t->chunkcap = (uint32_t)n;
	}
	/* aligned, so that no node straddles two cache lines */
	if (posix_memalign(&c, 64, sizeof(struct ai_chunk)) != 0) {
		errno = ENOMEM;
		return -1;
	}
	t->chunk[t->nchunks++] = c;
	if (t->nused == 0)
		t->nused = 1;
	return 0;
}

/* A node for prefix key/cidr under parent, from the room nodes_reserve made. */
static uint32_t
node_new(struct allowedips *t, const uint64_t key[2], unsigned cidr, int v6, uint32_t parent)
{
	struct ai_node *n;
	uint32_t i;

	if (t->nfree != 0) {
		i = t->nfree;
		t->nfree = link_of(t, i)->next;
	} else {
		i = t->nused++;
	}
	n = node_of(t, i);
	n->key[0] = key[0] & word_mask(cidr, 0);
	n->key[1] = key[1] & word_mask(cidr, 1);
	n->bit[0] = n->bit[1] = 0;
	n->owner = 0;
	n->cidr = (uint8_t)cidr;
	n->v6 = (uint8_t)v6;
	link_of(t, i)->parent = parent;
	link_of(t, i)->prev = link_of(t, i)->next = 0;
	t->nodes++;
	return i;
}

static void
node_free(struct allowedips *t, uint32_t i)
{
	link_of(t, i)->next = t->nfree;
	t->nfree = i;
	t->nodes--;
}

/* --- owners: a peer's entries --- */

static size_t
bucket_of(const void *peer, size_t nbuckets)
{
	uint64_t h = (uint64_t)(uintptr_t)peer * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ h >> 32) & (nbuckets - 1);
}

/* peer's owner record, or 0. */
static uint32_t
owner_find(const struct allowedips *t, const void *peer)
{
	uint32_t o;

	for (o = t->buckets[bucket_of(peer, t->nbuckets)]; o != 0; o = t->owner[o].hnext)
		if (t->owner[o].peer == peer)
			return o;
	return 0;
}

/* Double the buckets once there are as many owners; a failure keeps the old ones. */
static void
owners_grow(struct allowedips *t)
{
	size_t nb = t->nbuckets * 2, i, b;
	uint32_t *bk, o, next;

	if ((bk = calloc(nb, sizeof(*bk))) == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (o = t->buckets[i]; o != 0; o = next) {
			next = t->owner[o].hnext;
			b = bucket_of(t->owner[o].peer, nb);
			t->owner[o].hnext = bk[b];
			bk[b] = o;
		}
	free(t->buckets);
	t->buckets = bk;
	t->nbuckets = nb;
}

/* The owner record of peer, made when it has none; 0 on ENOMEM. */
static uint32_t
owner_get(struct allowedips *t, const void *peer)
{
	struct ai_owner *ow;
	uint32_t o, *b;

	if ((o = owner_find(t, peer)) != 0)
		return o;
	if (t->nowners >= t->nbuckets)
		owners_grow(t);
	if (t->ofree != 0) {
		o = t->ofree;
		t->ofree = t->owner[o].hnext;
	} else {
		if (t->oused >= t->ocap) {
			size_t cap = t->ocap > 0 ? (size_t)t->ocap * 2 : AI_OWNERS_MIN;

			if (cap > UINT32_MAX ||
			    (ow = realloc(t->owner, cap * sizeof(*ow))) == NULL) {
				errno = ENOMEM;
				return 0;
			}
			t->owner = ow;
			t->ocap = (uint32_t)cap;
			if (t->oused == 0)
				t->oused = 1;
		}
		o = t->oused++;
	}
	ow = &t->owner[o];
	memset(ow, 0, sizeof(*ow));
	ow->peer = peer;
	b = &t->buckets[bucket_of(peer, t->nbuckets)];
	ow->hnext = *b;
	*b = o;
	t->nowners++;
	return o;
}

/* Forget o, which has no entries left. */
static void
owner_drop(struct allowedips *t, uint32_t o)
{
	uint32_t *b = &t->buckets[bucket_of(t->owner[o].peer, t->nbuckets)];

	while (*b != o)
		b = &t->owner[*b].hnext;
	*b = t->owner[o].hnext;
	t->owner[o].peer = NULL;
	t->owner[o].hnext = t->ofree;
	t->ofree = o;
	t->nowners--;
}

static void
owner_link(struct allowedips *t, uint32_t o, uint32_t n)
{
	struct ai_owner *ow = &t->owner[o];

	link_of(t, n)->prev = ow->last;
	link_of(t, n)->next = 0;
	if (ow->last != 0)
		link_of(t, ow->last)->next = n;
	else
		ow->first = n;
	ow->last = n;
	ow->n++;
	node_of(t, n)->owner = o;
}

static void
owner_unlink(struct allowedips *t, uint32_t o, uint32_t n)
{
	struct ai_owner *ow = &t->owner[o];
	struct ai_link *l = link_of(t, n);

	*(l->prev != 0 ? &link_of(t, l->prev)->next : &ow->first) = l->next;
	*(l->next != 0 ? &link_of(t, l->next)->prev : &ow->last) = l->prev;
	l->prev = l->next = 0;
	ow->n--;
}

/* --- the jump tables --- */

static void
jump_set(struct ai_slot *s, uint32_t lo, uint32_t hi, uint32_t node, uint32_t best)
{
	for (; lo < hi; lo++) {
		s[lo].node = node;
		s[lo].best = best;
	}
}

/*
 * Compute family f's slots from the trie: go down from the root as a lookup would, through
 * the nodes of cidr below k, depth first. Each level adds at most one pending entry and
 * cidr grows by one at least, so the stack holds at most k + 1.
 */
static void
jump_fill(struct allowedips *t, int f)
{
	struct ai_jump *j = &t->jump[f];
	struct pending {
		uint32_t node, best, lo, hi; /* the slots [lo, hi) reach node, best above it */
	} st[AI_JUMP_MAX + 1], c;
	unsigned k = j->bits, sp = 0;
	const struct ai_node *n;
	uint32_t a, size, best;

	st[sp++] = (struct pending){t->root[f], 0, 0, (uint32_t)1 << k};
	while (sp > 0) {
		c = st[--sp];
		if (c.node == 0) {
			jump_set(j->slot, c.lo, c.hi, 0, c.best);
			continue;
		}
		n = node_of(t, c.node);
		a = (uint32_t)(n->key[0] >> (64 - k));
		size = n->cidr < k ? (uint32_t)1 << (k - n->cidr) : 1;
		/* slots outside n's prefix leave the walk at n */
		jump_set(j->slot, c.lo, a, 0, c.best);
		jump_set(j->slot, a + size, c.hi, 0, c.best);
		if (n->cidr >= k) {
			jump_set(j->slot, a, a + 1, c.node, c.best);
			continue;
		}
		best = n->owner != 0 ? c.node : c.best;
		/* the walk is a cache miss a node: ask for both children at once */
		__builtin_prefetch(node_of(t, n->bit[1]));
		__builtin_prefetch(node_of(t, n->bit[0]));
		st[sp++] = (struct pending){n->bit[1], best, a + size / 2, a + size};
		st[sp++] = (struct pending){n->bit[0], best, a, a + size / 2};
	}
}

/*
 * Node now took the place of node was (either may be 0: none) at the position of prefix
 * key/cidr of family f. At cidr k or more, one slot reaches the position, and it names the
 * first node of cidr k or more on its walk: was, if that is this position (else one above).
 * Above cidr k the slots name no node of the position: their walks go on below it.
 */
static void
jump_moved(struct allowedips *t, int f, const uint64_t key[2], unsigned cidr, uint32_t was,
	   uint32_t now)
{
	struct ai_jump *j = &t->jump[f];
	struct ai_slot *s;

	if (j->slot == NULL || cidr < j->bits || was == now)
		return;
	s = &j->slot[key[0] >> (64 - j->bits)];
	if (s->node == was)
		s->node = now;
}

/* The nearest node above x with an owner, or 0. */
static uint32_t
owned_above(const struct allowedips *t, uint32_t x)
{
	while ((x = link_of(t, x)->parent) != 0 && node_of(t, x)->owner == 0)
		;
	return x;
}

/*
 * Node x gained (or lost) its owner. If its cidr is below k, the slots under it whose best
 * was the nearest node above x with an owner now have x (or the other way round). Slots
 * whose best lies below x keep it.
 */
static void
jump_owner(struct allowedips *t, uint32_t x, int gained)
{
	const struct ai_node *n = node_of(t, x);
	struct ai_jump *j = &t->jump[n->v6];
	uint32_t lo, hi, above, old, now;

	if (j->slot == NULL || n->cidr >= j->bits)
		return;
	above = owned_above(t, x);
	old = gained ? above : x;
	now = gained ? x : above;
	lo = (uint32_t)(n->key[0] >> (64 - j->bits));
	hi = lo + ((uint32_t)1 << (j->bits - n->cidr));
	for (; lo < hi; lo++)
		if (j->slot[lo].best == old)
			j->slot[lo].best = now;
}

/*
 * Size family f's jump table to its entries: made at 2^AI_JUMP_MIN, doubled as they
 * double, shrunk when they fall under a quarter of the slots (so that one entry more or less
 * does not rebuild it each time), dropped under 2^(AI_JUMP_MIN - 2). A rebuild costs about
 * as much as the entries it is sized for; on ENOMEM the old table stays.
 */
static void
jump_resize(struct allowedips *t, int f)
{
	struct ai_jump *j = &t->jump[f];
	struct ai_slot *s;
	unsigned want = 0;

	while (want < AI_JUMP_MAX && ((size_t)1 << want) < t->fcount[f])
		want++;
	if (j->slot == NULL ? want < AI_JUMP_MIN : want <= j->bits && want + 2 >= j->bits)
		return;
	if (want < AI_JUMP_MIN) {
		free(j->slot);
		j->slot = NULL;
		j->bits = 0;
		return;
	}
	if ((s = malloc(sizeof(*s) << want)) == NULL)
		return;
	free(j->slot);
	j->slot = s;
	j->bits = want;
	jump_fill(t, f);
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

/* Free every node, owner and jump table: the table is left empty, its buckets kept. */
static void
release(struct allowedips *t)
{
	uint32_t i;

	for (i = 0; i < t->nchunks; i++)
		free(t->chunk[i]);
	free(t->chunk);
	free(t->owner);
	free(t->jump[0].slot);
	free(t->jump[1].slot);
	t->chunk = NULL;
	t->owner = NULL;
	t->nchunks = t->chunkcap = t->nused = t->nfree = 0;
	t->ocap = t->oused = t->ofree = 0;
	memset(t->root, 0, sizeof(t->root));
	memset(t->jump, 0, sizeof(t->jump));
	memset(t->fcount, 0, sizeof(t->fcount));
	memset(t->buckets, 0, t->nbuckets * sizeof(*t->buckets));
	t->nodes = t->nowners = t->count = 0;
}

void
allowedips_free(struct allowedips *t)
{
	if (t == NULL)
		return;
	release(t);
	free(t->buckets);
	free(t);
}

/* Give the entry at n to o (n may be a branch point, or another owner's entry). */
static void
set_owner(struct allowedips *t, uint32_t n, uint32_t o)
{
	uint32_t old = node_of(t, n)->owner;

	if (old == o)
		return;
	if (old != 0) {
		owner_unlink(t, old, n);
		if (t->owner[old].n == 0)
			owner_drop(t, old);
	} else {
		t->count++;
		t->fcount[node_of(t, n)->v6]++;
	}
	owner_link(t, o, n);
}

int
allowedips_insert(struct allowedips *t, int family, const uint8_t *addr, unsigned len, void *peer)
{
	uint32_t *slot, n, parent = 0, leaf, top, o;
	struct ai_node *nd = NULL;
	uint64_t key[2];
	unsigned width = to_key(family, addr, key), common = 0;
	int v6 = family == AF_INET6;

	if (width == 0 || len > width || peer == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* room first: past this point nothing fails, and slot may point into the nodes */
	if (nodes_reserve(t) == -1 || (o = owner_get(t, peer)) == 0)
		return -1;
	key[0] &= word_mask(len, 0);
	key[1] &= word_mask(len, 1);
	/* Descend while the node's prefix contains ours; at most width + 1 steps. */
	for (slot = &t->root[v6]; (n = *slot) != 0; slot = &nd->bit[bit_at(key, nd->cidr)]) {
		nd = node_of(t, n);
		common = common_bits(key, nd->key);
		if (common > len)
			common = len;
		if (common < nd->cidr)
			break; /* ours is above n, or leaves its path */
		if (nd->cidr == len)
			break;
		parent = n;
	}
	if (n != 0 && nd->cidr == len && common == len) {
		leaf = top = n; /* the same prefix: it changes hands */
	} else if (n == 0) {
		leaf = top = *slot = node_new(t, key, len, v6, parent);
	} else if (common == len) {
		/* ours contains n: the new entry goes between n and its parent */
		leaf = top = node_new(t, key, len, v6, parent);
		node_of(t, leaf)->bit[bit_at(node_of(t, n)->key, len)] = n;
		link_of(t, n)->parent = leaf;
		*slot = leaf;
	} else {
		/* the two part at bit `common`: a branch point there holds both */
		leaf = node_new(t, key, len, v6, 0);
		top = node_new(t, key, common, v6, parent);
		node_of(t, top)->bit[bit_at(key, common)] = leaf;
		node_of(t, top)->bit[bit_at(node_of(t, n)->key, common)] = n;
		link_of(t, leaf)->parent = link_of(t, n)->parent = top;
		*slot = top;
	}
	if (node_of(t, leaf)->owner == 0)
		jump_owner(t, leaf, 1);
	set_owner(t, leaf, o);
	jump_moved(t, v6, node_of(t, top)->key, node_of(t, top)->cidr, n, top);
	if (leaf != top)
		jump_moved(t, v6, node_of(t, leaf)->key, node_of(t, leaf)->cidr, 0, leaf);
	jump_resize(t, v6);
	return 0;
}

static uint32_t *
slot_of(struct allowedips *t, uint32_t n)
{
	uint32_t p = link_of(t, n)->parent;

	if (p != 0)
		return &node_of(t, p)->bit[node_of(t, p)->bit[1] == n];
	return &t->root[node_of(t, n)->v6];
}

/*
 * n has just lost its owner: splice out the nodes that are no longer needed. A node with one
 * child is replaced by that child (the parent keeps two children); a node with none is
 * removed, and then its parent may be a branch point left with one child.
 */
static void
prune(struct allowedips *t, uint32_t n)
{
	uint32_t child, parent;
	struct ai_node *nd;

	jump_owner(t, n, 0);
	while (n != 0 && (nd = node_of(t, n))->owner == 0 && (nd->bit[0] == 0 || nd->bit[1] == 0)) {
		child = nd->bit[0] != 0 ? nd->bit[0] : nd->bit[1];
		parent = link_of(t, n)->parent;
		*slot_of(t, n) = child;
		jump_moved(t, nd->v6, nd->key, nd->cidr, n, child);
		node_free(t, n);
		if (child != 0) {
			link_of(t, child)->parent = parent;
			break;
		}
		n = parent;
	}
}

size_t
allowedips_remove_peer(struct allowedips *t, const void *peer)
{
	uint32_t o = owner_find(t, peer), n, next;
	size_t removed;

	if (o == 0)
		return 0;
	removed = t->owner[o].n;
	/* prune frees only nodes without an owner: the ones still on o's list are safe */
	for (n = t->owner[o].first; n != 0; n = next) {
		next = link_of(t, n)->next;
		node_of(t, n)->owner = 0;
		link_of(t, n)->prev = link_of(t, n)->next = 0;
		t->fcount[node_of(t, n)->v6]--;
		prune(t, n);
	}
	t->count -= removed;
	owner_drop(t, o);
	if (t->count == 0) {
		release(t);
	} else {
		jump_resize(t, 0);
		jump_resize(t, 1);
	}
	return removed;
}

void *
allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr)
{
	const struct ai_jump *j;
	const struct ai_node *n;
	uint64_t key[2];
	unsigned width = to_key(family, addr, key);
	uint32_t i, above = 0, best = 0;

	if (width == 0)
		return NULL;
	j = &t->jump[width == 128];
	if (j->slot != NULL) {
		i = j->slot[key[0] >> (64 - j->bits)].node;
		above = j->slot[key[0] >> (64 - j->bits)].best;
	} else {
		i = t->root[width == 128];
	}
	while (i != 0) {
		n = node_of(t, i);
		if (common_bits(key, n->key) < n->cidr)
			break;
		if (n->owner != 0)
			best = n->owner;
		if (n->cidr == width)
			break;
		i = n->bit[bit_at(key, n->cidr)];
	}
	if (best == 0 && above != 0)
		best = node_of(t, above)->owner; /* only when the walk found none below */
	return best != 0 ? (void *)(uintptr_t)t->owner[best].peer : NULL;
}

int
allowedips_walk(const struct allowedips *t, const void *peer,
		int (*fn)(void *arg, int family, const uint8_t *addr, unsigned len), void *arg)
{
	uint32_t o = owner_find(t, peer), n;
	const struct ai_node *nd;
	uint8_t addr[16];
	int rc;

	for (n = o != 0 ? t->owner[o].first : 0; n != 0; n = link_of(t, n)->next) {
		nd = node_of(t, n);
		memset(addr, 0, sizeof(addr));
		if (nd->v6) {
			store_be(addr, nd->key[0], 8);
			store_be(addr + 8, nd->key[1], 8);
		} else {
			store_be(addr, nd->key[0] >> 32, 4);
		}
		if ((rc = fn(arg, nd->v6 ? AF_INET6 : AF_INET, addr, nd->cidr)) != 0)
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
