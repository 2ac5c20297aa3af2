/*
 * pipe_peer: the peers of one `mptun pipe`, each with a session, paths and streams of its own.
 *
 * A dialing pipe has one peer: the server. A listening pipe has one peer per client
 * process (the session id its HELLOs carry). With --target and no --forward it serves up
 * to PIPE_PEERS_MAX clients at once, each in its own session, so the streams of one never
 * reach another, and a client that restarts only loses its own old session. Otherwise
 * (stdin/stdout, or --forward, whose connections can go to one client only) it has one
 * peer, and another client process is refused (FRAME_REFUSED_BUSY) while that one is
 * connected.
 *
 * The listener hands every authenticated connection to pipe_peers_accept_ops, which finds
 * or makes the peer of its HELLO's sid and has that peer's paths adopt it.
 */
#ifndef MPTUN_PIPE_PEER_H
#define MPTUN_PIPE_PEER_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "conn.h"
#include "crypto.h"
#include "paths.h"
#include "session.h"
#include "stream.h"

#define PIPE_PEERS_MAX		256  /* clients served at once; beyond: FRAME_REFUSED_FULL */
#define PIPE_REFUSAL_NOTE_EVERY 10.0 /* seconds: one refusal line per refused client run */

struct pipe_peers;

/* One peer process: the server of a dialing pipe, or one client of a listening one. */
struct pipe_peer {
	struct pipe_peers *set;
	struct pipe_peer *next;
	unsigned id;		  /* "client N" in a listening pipe's log, from 1 */
	uint64_t sid;		  /* its run (HELLO sid); 0 until its first connection */
	char addr[CONF_HOST_MAX]; /* where its first connection came from, for the log */
	struct session s;
	struct paths paths; /* the session's */
	struct stream_mux mux;
	ev_tstamp down_since;	      /* since when no connection is up (0: one is) */
	uint64_t chaos_next, chaos_k; /* --chaos: the next cut, the connection it hits */
};

/* A pipe's peers, and what every new one gets. */
struct pipe_peers {
	struct ev_loop *loop;
	const struct conf *conf;
	const struct crypto_id *cid;
	/* the listener's handshake replay state: every client holds the one key */
	struct crypto_peer hs_peer;
	int many;  /* a session per client (listening, --target, no --forward) */
	int stdio; /* the one peer is on stdin/stdout (what a refusal says) */
	struct pipe_peer *list;
	int n;
	unsigned next_id;
	/* every peer's streams */
	int has_target;
	struct sockaddr_storage target;
	socklen_t target_len;
	double rate, idle_timeout;
	uint64_t chaos; /* --chaos: records between cuts */
	/* the last refusal logged, and those left unlogged since */
	uint64_t refused_sid;
	ev_tstamp refused_at;
	unsigned long refused_quiet;
	uint64_t conn_drops;	     /* connections dropped before a peer took them */
	uint64_t tx_bytes, rx_bytes; /* stream bytes of the peers freed so far */
};

/* An empty set for conf (keys: cid); many: a session per client (see above). */
void pipe_peers_init(struct pipe_peers *ps, struct ev_loop *loop, const struct conf *conf,
		     const struct crypto_id *cid, int many);
/* Free every peer (teardown: their connections close without a word). */
void pipe_peers_free(struct pipe_peers *ps);
/* A new peer: its session, paths (not started) and stream mux; NULL when out of memory. */
struct pipe_peer *pipe_peer_new(struct pipe_peers *ps);
/* What the listener's connections read (struct conn_env): the handshake state is the set's. */
void pipe_peers_env(struct pipe_peers *ps, struct conn_env *env);
/*
 * The owner of accepted connections from their handshake to their HELLO (listener_new's
 * next; the owner pointer is the struct pipe_peers): the HELLO's sid picks the peer.
 */
extern const struct conn_ops pipe_peers_accept_ops;
/*
 * A set of many: free each client whose session is over (its streams ended, nothing
 * unacknowledged, no connection left) or that had no connection for timeout seconds.
 */
void pipe_peers_expire(struct pipe_peers *ps, double timeout);

#endif
