/*
 * conn: one TCP connection of a path — dial, via-chain, handshake, records, heartbeats.
 *
 * A connection climbs RESOLVE -> DIAL -> PROXY (one hop at a time) -> HANDSHAKE -> HELLO -> UP
 * (RESOLVE only while the first hop's name is being looked up, see resolve.h). Once
 * up it carries records (sealed per crypto.c) holding frames (frame.h) and reports each
 * frame to its owner. It keeps its own output short (CONN_OUT_READY) and the kernel's too
 * (TCP_NOTSENT_LOWAT), so the scheduler decides late; its struct sched_cand is refreshed
 * from TCP_INFO. Bad bytes close this connection only, counted by reason.
 *
 * A connection knows nothing of sessions, paths or listeners: it reads what it needs of
 * its peer from a struct conn_env handed at creation and reports upward through the
 * struct conn_ops its owner sets (a path for the connections it dials or adopts, a
 * listener while an accepted one is in its handshake). Reports come only from the
 * connection's own watchers, never from inside a call its owner made into it (conn_queue,
 * conn_flush, conn_update, conn_fail): an owner is never re-entered half way through.
 *
 * Timers owned here: c->timer is the phase deadline (resolve, connect, proxy, handshake: each
 * CONN_PHASE_TIMEOUT) and, once up, the heartbeat (PING every Heartbeat, dead after
 * DeadTimeout without a byte from the peer). A zero timer defers the close of a failed
 * connection to the next loop turn, so nothing is freed under a caller's feet; another
 * (c->later) defers the report of a stall, which conn_update finds, for the same reason.
 */
#ifndef MPTUN_CONN_H
#define MPTUN_CONN_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "proxy.h"
#include "rate.h"
#include "resolve.h"
#include "sched.h"

#define CONN_IN_CAP (512 * 1024)
#define CONN_OUT_CAP (320 * 1024)
#define CONN_OUT_READY (16 * 1024)     /* our own queue beyond this: not ready... */
#define CONN_OUT_READY_MAX (128 * 1024) /* ...or beyond 1 ms at the path's rate, up to this */
#define CONN_NOTSENT_LOWAT (32 * 1024) /* the kernel's unsent queue */
#define CONN_SNDBUF_FREE (4 << 20)      /* a bound lifted: the kernel's own largest buffer */
#define CONN_REFUSED_LINGER 2.0 /* seconds a refused connection waits for its dialer */
#define CONN_PHASE_TIMEOUT 5.0 /* seconds for a name, connect, each proxy hop, handshake */
#define CONN_HS_BUF 1024               /* handshake and proxy replies, before buffers exist */
#define CONN_READ_BUDGET 16            /* reads per wake-up before others get a turn */
#define CONN_INFO_INTERVAL 0.001       /* TCP_INFO at most this often, seconds */

enum conn_state {
	CONN_RESOLVE,
	CONN_DIAL,
	CONN_PROXY,
	CONN_HANDSHAKE,
	CONN_HELLO,
	CONN_UP,
	CONN_REFUSED, /* accepted, told why it is not taken: waits for the dialer to close */
	CONN_DYING,
};

struct conn;
struct frame;
struct frame_hello;

/* What a connection counts against its peer (the owner maps it to its own counters). */
enum conn_drop {
	CONN_DROP_MALFORMED, /* a record or frame that did not parse, or broke the protocol */
	CONN_DROP_AUTH,	     /* a record that failed authentication */
	CONN_DROP_HANDSHAKE, /* a handshake that failed or timed out (listening side) */
	CONN_DROP_HALFOPEN,  /* refused by its listener: too many handshakes at once */
};

/*
 * The peer a connection belongs to, as the connection sees it: copied at creation; what it
 * points at outlives the connection. Only the handshake writes (peer's replay state).
 */
struct conn_env {
	struct ev_loop *loop;
	const struct conf *conf;     /* Heartbeat, DeadTimeout, Cipher, the [Peer] Endpoint */
	const struct crypto_id *cid; /* our keys */
	struct crypto_peer *peer;    /* the peer's key and handshake replay state (an accepted
				      * connection: the peer its handshake authenticated) */
	/* accepted connections, when a listener serves several peers: the one whose key the
	 * handshake brings (crypto.h); NULL: peer is the only one */
	crypto_find_peer find;
	void *find_arg;
};

/*
 * Events a connection reports to its owner, each called with the owner pointer. Entries
 * marked optional may be NULL. After closed the connection is freed: the owner must
 * forget it there. The questions (route, hello, ping_mark) may be asked at any time.
 */
struct conn_ops {
	/* optional: the route a dialed connection follows, asked at each use (a reload may
	 * move it); NULL for an accepted one */
	const struct conf_path *(*route)(void *owner, struct conn *c);
	/* fill in the HELLO c sends */
	void (*hello)(void *owner, struct conn *c, struct frame_hello *h);
	/* the mark c's next PING carries (see session_ping_mark) */
	uint64_t (*ping_mark)(void *owner, struct conn *c);
	/* optional: an accepted connection is authenticated; its HELLO is next */
	void (*secured)(void *owner, struct conn *c);
	/* an accepted connection's HELLO came: give c its owner for good (conn_set_owner) and
	 * return FRAME_REFUSED_NONE, or return why it is refused (enum frame_refusal): the
	 * dialer is told, and c ends */
	int (*adopt)(void *owner, struct conn *c, const struct frame_hello *h);
	/* c is established; h is the peer's HELLO */
	void (*up)(void *owner, struct conn *c, const struct frame_hello *h);
	/* a frame came on c (after its HELLO) */
	void (*frame)(void *owner, struct conn *c, const struct frame *f);
	/* optional: c stalled (no new traffic for it until it moves again); reported from a
	 * zero timer, not from inside conn_update, which the owner calls while it sends */
	void (*suspect)(void *owner, struct conn *c);
	/* optional: c's output drained below its limit */
	void (*writable)(void *owner, struct conn *c);
	/* optional: the end of a batch of input or a heartbeat: push out what was queued */
	void (*flush)(void *owner, struct conn *c);
	/* optional: count a drop */
	void (*drop)(void *owner, struct conn *c, enum conn_drop why);
	/* optional: the handshake failed with err (crypto.h); c closes next */
	void (*hs_failed)(void *owner, struct conn *c, int err);
	/* optional: c, which was up, is going away (closed follows at once) */
	void (*down)(void *owner, struct conn *c);
	/* optional: c closes (c->why says why); it is freed on return (an owner that holds
	 * it, a path, forgets it here; an accept owner holds nothing yet) */
	void (*closed)(void *owner, struct conn *c);
};

struct conn {
	uint32_t id;
	int fd;
	int initiator;
	enum conn_state state;
	struct ev_loop *loop;
	struct conn_env env;
	const struct conn_ops *ops;
	void *owner;
	char name[CONF_NAME_MAX]; /* its path's, for messages (empty until it has one) */
	int slot;		  /* index in the path */
	unsigned pick;		  /* which of the first hop's addresses it dialed */
	int unreachable;	  /* that address did not answer: the next dial tries another */
	struct resolve_wait rw;	  /* while RESOLVE */
	struct conn *next_half;	  /* the listener's list of half-open connections */
	ev_io rio, wio;
	ev_timer timer;
	ev_timer later; /* reports a stall outside conn_update */
	ev_tstamp born;

	uint8_t hsbuf[CONN_HS_BUF];
	size_t hslen;
	int hop; /* proxy hop in progress */
	struct proxy_hop ph;
	struct crypto_hs hs;
	struct crypto_rec tx, rx;

	struct bq in, out;
	int blocked; /* the last write met EAGAIN */
	uint64_t bound;   /* the kernel's send buffer as bound_queue set it (0: its own sizing) */
	int bound_off;    /* the kernel refused a bound: left to its own sizing */
	size_t ready_max; /* our own queue's limit: CONN_OUT_READY .. CONN_OUT_READY_MAX */
	struct sched_cand sc;
	uint64_t unsent;  /* the kernel's unsent bytes at the last TCP_INFO, plus writes since */
	/* the rate's times are CLOCK_MONOTONIC seconds at a TCP_INFO read, not ev_now */
	struct rate rate;
	struct rate_repair repair; /* its segments' loss rate */
	int cc_bbr;       /* the congestion control is BBR (-1: not asked yet) */
	int cc_auto;      /* Congestion unset: cubic until the path proves lossy */
	struct rate_loss loss;
	ev_tstamp info_at;
	uint64_t peer_sid; /* the peer's run this connection belongs to */
	int ifindex;       /* interface of our end's address (0: unknown) */
	struct rate_stall stall; /* stall.stalled: no new traffic until acks move again */
	uint64_t stalls;   /* times stalled */
	uint64_t mark;    /* every seq below this sent on this connection has arrived */
	uint64_t seq_hi;  /* above the highest fresh seq sent on this connection */
	ev_tstamp last_rx, up_at;
	double rtt_ms;    /* from heartbeats */
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets; /* channel payload */
	char peer[64];    /* address of the other end, for messages */
	char why[96];     /* why it is dying */
};

/*
 * Dial slot `slot` of a path named name, reporting to owner through ops (ops->route gives
 * the route), trying the first hop's address number pick: at once to a numeric or cached
 * first hop, else once the resolver answers (RESOLVE meanwhile). A failure, resolving
 * included, comes back through ops->closed with its reason. NULL only when out of memory.
 */
struct conn *conn_dial(const struct conn_env *env, const struct conn_ops *ops, void *owner,
		       const char *name, int slot, unsigned pick);
/* Take an accepted socket; the handshake decides the rest. ops/owner: its listener's. */
struct conn *conn_accept(const struct conn_env *env, const struct conn_ops *ops, void *owner,
			 int fd, const struct sockaddr *sa, socklen_t salen);
/* Report to another owner from now on (a listener hands a connection over so). */
void conn_set_owner(struct conn *c, const struct conn_ops *ops, void *owner);
/* Close now (teardown only; in operation use conn_fail). */
void conn_free(struct conn *c);
/* Mark failed with a reason; the close happens on the next loop turn. */
void conn_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Queue one frame (or several) as one record. -1 if the output is full (not queued). */
int conn_queue(struct conn *c, const uint8_t *plain, size_t len);
/* Write queued records until done or EAGAIN. */
void conn_flush(struct conn *c);
/* Refresh c->sc from TCP_INFO and the queues (rate limited unless force). */
void conn_update(struct conn *c, int force);
const char *conn_state_name(const struct conn *c);

#endif
