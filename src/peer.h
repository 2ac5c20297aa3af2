/*
 * peer: the daemon's remote peers, each with its own session and paths, and the set of
 * them (one for a dialing daemon, its server; one per [Peer] for a listening one).
 *
 * A peer owns its session (sequence space, window, reorder buffer, counters) and its paths:
 * a peer that stalls or floods fills only its own window and queues, so it takes neither
 * another peer's memory nor its share of the device. The set owns what the peers share:
 *
 * - Routing by AllowedIPs (allowedips.h), both ways. A packet read from the tun device goes
 *   to the peer whose AllowedIPs hold the longest prefix of its destination (none: dropped,
 *   counted as unrouted); a packet a peer delivers must come from a source its own
 *   AllowedIPs hold (else dropped, counted as its "source" drop). Traffic from one peer to
 *   another goes through the device, so the host's routing and firewall decide (a hub).
 *   One peer without AllowedIPs takes everything both ways, as a point-to-point link.
 * - The handshake's key table: an accepted connection's handshake names the peer by its
 *   key (peers_conn_env), and its HELLO is then adopted into that peer's paths.
 * - One key, one live client: a HELLO from a new run of a peer (another session id) while
 *   the current run is alive (a connection heard from within two heartbeats) is refused
 *   with FRAME_REFUSED_KEY_IN_USE; both ends log it, at most once per PEER_NOTE_EVERY. A
 *   run whose connections went quiet or closed is a restart: the session starts afresh.
 */
#ifndef MPTUN_PEER_H
#define MPTUN_PEER_H

#include <ev.h>
#include <stdint.h>

#include "conf.h"
#include "paths.h"
#include "session.h"

#define PEER_NOTE_EVERY 10.0 /* seconds between two "key in use" lines of one peer */

struct peers;
struct tun;
struct allowedips;
struct nl_event;

struct peer {
	struct peers *set;
	char name[CONF_NAME_MAX];
	struct session s; /* s.peer: its key and handshake replay state */
	struct paths paths;
	struct chan ch;	  /* its deliveries, to the tun device (tun mode) */
	uint64_t refused; /* connections refused: a live client holds the key */
	ev_tstamp refused_noted; /* when the last refusal was logged */
	unsigned long refused_quiet; /* refusals since, not logged */
};

struct peers {
	struct ev_loop *loop;
	struct conf *conf; /* the live configuration */
	const struct crypto_id *cid;
	struct peer *peer[CONF_MAX_PEERS]; /* in the order of the [Peer] sections */
	int n;
	struct allowedips *aips; /* NULL: one peer takes everything */
	struct tun *tun;	 /* tun mode: where deliveries go */
	struct chan *chan;	 /* udp mode: the one peer's channel */
	size_t payload_max;
	uint64_t unrouted;		 /* packets from the device to no peer's AllowedIPs */
	uint64_t drops[DROP_MAX];	 /* connections dropped before a peer was known */
};

/*
 * The peers of conf, each with its session and (empty) paths. tun mode: deliveries go to
 * tun (set later with peers_set_tun, before any connection); udp mode: to chan. -1 when
 * out of memory (logged).
 */
int peers_init(struct peers *set, struct ev_loop *loop, struct conf *conf,
	       const struct crypto_id *cid, struct chan *chan, size_t payload_max);
void peers_set_tun(struct peers *set, struct tun *tun);
/* Free every peer, its paths and its session. */
void peers_free(struct peers *set);
/* Dialing side: start the one peer's paths. -1 when out of memory. */
int peers_start(struct peers *set);
/* What a listener's connections read: the key table of every peer. */
void peers_conn_env(struct peers *set, struct conn_env *env);
/* The owner of accepted connections from their handshake to their HELLO (the set). */
extern const struct conn_ops peers_accept_ops;
/* The tun device's router (tun_route_fn): a packet's session, or NULL (counted). */
struct session *peers_route(void *arg, const uint8_t *pkt, size_t len);
/* A link or address changed (the netlink monitor's callback; arg is the set). */
void peers_net_event(void *arg, const struct nl_event *ev);
/* The peer named name, or NULL. */
struct peer *peers_find_name(const struct peers *set, const char *name);
/* Connections up, over every peer. */
int peers_nup(const struct peers *set);
/* The counters of every peer summed, with the set's own drops. */
void peers_totals(const struct peers *set, struct session_stats *st);
/* What a reload does to the peers between its two halves (see reload.h). */
struct peers_reload {
	struct paths_reload paths;	   /* the dialing side's one peer */
	struct peer *kept[CONF_MAX_PEERS]; /* peers that stay, by index in the new file */
	uint8_t replaced[CONF_MAX_PEERS];  /* a peer with that key was there, changed */
	int added, removed, changed;	   /* for the summary */
};

/*
 * Reload, first half, while set->conf holds the old settings: free the peers nc removes,
 * and those whose pre-shared key changed (their session ends), logging each; a kept peer
 * (the same key) loses nothing. The dialing side's one peer stays, and its paths are
 * pruned as paths_reload_prune does. Second half, once set->conf holds the new settings:
 * the peers in the new file's order (new and changed ones made), the AllowedIPs table
 * built anew, the path changes applied. -1 when out of memory (logged; what could be
 * made runs).
 */
void peers_reload_prune(struct peers *set, const struct conf *nc, struct peers_reload *r);
int peers_reload_apply(struct peers *set, struct peers_reload *r);

#endif
