/*
 * conn: one TCP connection of a path — dial, via-chain, handshake, records, heartbeats.
 *
 * A connection climbs RESOLVE -> DIAL -> PROXY (one hop at a time) -> HANDSHAKE -> HELLO -> UP
 * (RESOLVE only while the first hop's name is being looked up, see resolve.h). Once
 * up it carries records (sealed per crypto.c) holding frames (frame.h) and reports each
 * frame to its session. It keeps its own output short (CONN_OUT_READY) and the kernel's too
 * (TCP_NOTSENT_LOWAT), so the scheduler decides late; its struct sched_cand is refreshed
 * from TCP_INFO. Bad bytes close this connection only, counted by reason.
 *
 * Timers owned here: c->timer is the phase deadline (resolve, connect, proxy, handshake: each
 * CONN_PHASE_TIMEOUT) and, once up, the heartbeat (PING every Heartbeat, dead after
 * DeadTimeout without a byte from the peer). A zero timer defers the close of a failed
 * connection to the next loop turn, so nothing is freed under a caller's feet.
 */
#ifndef MPTUN_CONN_H
#define MPTUN_CONN_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
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
	CONN_DYING,
};

struct session;
struct path;
struct listener;

struct conn {
	uint32_t id;
	int fd;
	int initiator;
	enum conn_state state;
	struct ev_loop *loop;
	struct session *s;
	struct path *path;
	int slot;                  /* index in the path */
	struct listener *listener; /* while a half-open accepted connection */
	struct resolve_wait rw;    /* while RESOLVE */
	struct conn *next_half;    /* the listener's list of half-open connections */
	ev_io rio, wio;
	ev_timer timer;
	ev_tstamp born;

	uint8_t hsbuf[CONN_HS_BUF];
	size_t hslen;
	int hop; /* proxy hop in progress */
	struct proxy_hop ph;
	struct crypto_hs hs;
	struct crypto_rec tx, rx;

	struct bq in, out;
	int blocked; /* the last write met EAGAIN */
	size_t ready_max; /* our own queue's limit: CONN_OUT_READY .. CONN_OUT_READY_MAX */
	struct sched_cand sc;
	uint64_t unsent;  /* the kernel's unsent bytes at the last TCP_INFO, plus writes since */
	/* the rate's times are CLOCK_MONOTONIC seconds at a TCP_INFO read, not ev_now */
	struct rate rate;
	int cc_bbr;       /* the congestion control is BBR (-1: not asked yet) */
	uint64_t rate_seen; /* the rate measured, bytes/s (sc.rate may probe above it) */
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
 * Dial slot `slot` of a dialing path: at once to a numeric or cached first hop, else once
 * the resolver answers (RESOLVE meanwhile). A failure, resolving included, comes back
 * through path_conn_closed with its reason. NULL only when out of memory.
 */
struct conn *conn_dial(struct session *s, struct path *p, int slot);
/* Take an accepted socket of a listener; the handshake decides the rest. */
struct conn *conn_accept(struct session *s, struct listener *l, int fd,
			 const struct sockaddr *sa, socklen_t salen);
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
