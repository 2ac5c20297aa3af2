/*
 * allowedips: which peer an inner address belongs to, by longest-prefix match over IPv4 and
 * IPv6 prefixes (a peer's AllowedIPs, as WireGuard means them).
 *
 * One path-compressed binary trie per address family. Every node holds a prefix, masked to
 * its length; a node's children extend its prefix by at least one bit, so a walk from the
 * root visits at most 33 (IPv4) or 129 (IPv6) nodes and nothing here recurses. A node
 * without a peer is a branch point and always has two children, so n entries take at most
 * 2n - 1 nodes. A family of many entries also has a jump table, about one slot per entry,
 * indexed by the address's first bits, from which a lookup starts that deep in the trie: at
 * 100,000 random prefixes it reads a slot and 1.4 nodes on average, where a walk from the
 * root would read 16. Each peer's entries are chained, so removing a peer or listing its
 * prefixes costs its own entries, not the table (and, for a prefix shorter than the jump
 * table's depth d, a scan of its 2^(d - len) slots: at most 65,536 for a default route).
 *
 * Memory: 44 bytes a node, in chunks of 256 that are given back only when the table empties;
 * a jump table of 8-byte slots, one or two an entry (up to eight once removals have shrunk
 * the family), at most 512 KiB a family; a record per peer. About 90 bytes an entry in all
 * at 100,000 prefixes.
 *
 * The peer is an opaque non-NULL pointer; the table never dereferences it. Pure: no fds,
 * no clock, no event loop; not thread-safe (the owner serialises changes and lookups).
 */
#ifndef MPTUN_ALLOWEDIPS_H
#define MPTUN_ALLOWEDIPS_H

#include <stddef.h>
#include <stdint.h>

struct allowedips;

/* An empty table; NULL on ENOMEM. */
struct allowedips *allowedips_new(void);
/* Free the table and every entry (the peers are the caller's). NULL is a no-op. */
void allowedips_free(struct allowedips *t);

/*
 * Route family (AF_INET or AF_INET6) prefix addr/len (addr: 4 or 16 bytes, network order;
 * host bits beyond len are ignored) to peer. The same prefix inserted again is given to the
 * later peer. 0, or -1 with errno EINVAL (bad family, len, or NULL peer) or ENOMEM (the
 * table is unchanged).
 */
int allowedips_insert(struct allowedips *t, int family, const uint8_t *addr, unsigned len,
		      void *peer);
/* Drop every prefix routed to peer; the number dropped. */
size_t allowedips_remove_peer(struct allowedips *t, const void *peer);
/* The peer of the longest prefix containing addr (4 or 16 bytes), or NULL. */
void *allowedips_lookup(const struct allowedips *t, int family, const uint8_t *addr);

/*
 * Call fn for each prefix of peer (addr: 16 bytes, the first 4 used for AF_INET, host bits
 * zero), in the order they were given to it, until fn returns non-zero (then return that).
 * fn must not change the table.
 */
int allowedips_walk(const struct allowedips *t, const void *peer,
		    int (*fn)(void *arg, int family, const uint8_t *addr, unsigned len), void *arg);
/* Entries in the table (prefixes routed to some peer). */
size_t allowedips_count(const struct allowedips *t);
/* Trie nodes in use: at most 2 * count - 1 (44 bytes each, allocated 256 at a time). */
size_t allowedips_nodes(const struct allowedips *t);

#endif
