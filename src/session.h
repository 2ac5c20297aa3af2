/*
 * session: everything two peers share across their connections.
 *
 * Sequence numbers, the sender's window (sendq), the receiver's reorder buffer, acks,
 * re-sending frames of dead connections, and delivery to the channel (tun device, UDP
 * socket, byte streams). One session per peer; nothing global. Connections report to it
 * through their paths (session_conn_up / _down / _on_frame; the session knows connections,
 * not paths); channels feed it (session_tx_slot / _commit).
 *
 * Timers owned here: the ack timer (an ACK at most SESSION_ACK_DELAY after a delivery),
 * the gap timer (a tun/udp gap is given up after ReorderHold) and the monitor (TCP_INFO of
 * every connection each SESSION_MONITOR, so a stalled one is suspected at once).
 */
#ifndef MPTUN_SESSION_H
#define MPTUN_SESSION_H

#include <ev.h>
#include <stdint.h>

#include "conf.h"
#include "conn.h"
#include "crypto.h"
#include "frame.h"
#include "reorder.h"
#include "sched.h"
#include "sendq.h"

#define SESSION_MAX_CONNS (CONF_MAX_PATHS * 4)
#define SESSION_WINDOW_BYTES (8u << 20) /* the sender's window; the reorder ring is twice that */
#define SESSION_ACK_DELAY 0.002 /* seconds */
#define SESSION_MONITOR 0.02    /* seconds between stall checks */
#define SESSION_SMALL_MAX 300   /* tun/udp payloads up to this go out past the backlog */
#define SESSION_IDLE_TRIM 10.0 /* seconds without a payload: the rings' pages go back */
#define SESSION_RT_CREDIT_MAX (100ull * 65536) /* real-time copy credit kept at most */
#define SESSION_GAP_WAIT_MAX 2.0 /* seconds a gap waits at most while its path still delivers */

/* Where payload comes from and goes to. */
struct chan {
	/*
	 * Deliver one payload (an IP packet, a datagram, stream bytes) in order: 0 when taken
	 * (or dropped and counted), -1 when the channel cannot take it now. The session then
	 * keeps it, delivers nothing more and stops acknowledging (so the peer's window
	 * fills), until the channel calls session_rx_resume.
	 */
	int (*deliver)(struct chan *ch, const uint8_t *p, size_t len);
	/* the session can take input again after session_tx_slot returned NULL */
	void (*resume)(struct chan *ch);
	/* optional: the peer restarted (a new session id); what the channel held with its
	 * previous run is void. Called from session_conn_up: no session calls from it. */
	void (*restart)(struct chan *ch);
	int reliable; /* streams: never give up a gap, always re-send */
	/* optional: is this small payload real-time (Realtime = auto: a copy goes on another
	 * path)? NULL: none is */
	int (*realtime)(struct chan *ch, const uint8_t *p, size_t len);
};

enum session_drop {
	DROP_DUPLICATE,  /* a copy already delivered (redundant scheduler, re-sends) */
	DROP_LOST,       /* gaps given up: tun/udp packets that never arrived */
	DROP_MALFORMED,  /* frames that did not parse, or broke the protocol */
	DROP_AUTH,       /* records that failed to open: connection closed */
	DROP_HANDSHAKE,  /* handshakes that failed: connection closed silently */
	DROP_HALFOPEN,   /* connections refused: too many handshakes at once */
	DROP_DELIVERY,   /* the channel refused a payload (e.g. not an IP packet) */
	DROP_OVERSIZE,   /* payloads larger than the MTU */
	DROP_EXPIRED,    /* tun/udp frames of a dead connection too old to send again */
	DROP_NOPATH,     /* tun/udp payloads read while no connection was up */
	DROP_FULL,       /* tun/udp payloads read while every connection was full */
	DROP_LATE,       /* udp datagrams later than PlayoutDelay */
	DROP_SOURCE,     /* packets from the peer from a source outside its AllowedIPs */
	DROP_MAX
};

struct session_stats {
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint64_t retransmits;
	uint64_t early;  /* small packets delivered ahead of a gap */
	uint64_t copies, copy_bytes; /* real-time copies sent on a second path, their bytes */
	uint64_t copy_first;  /* copies that arrived before their original (delivered) */
	uint64_t copy_spare;  /* copies, or originals, that arrived second (not drops) */
	uint64_t drops[DROP_MAX];
	/*
	 * tun/udp payloads read and discarded before any connection was ever up: the kernel's
	 * own start-up packets on a fresh device (IPv6 router solicitations, MLD reports).
	 * Not a drop: nothing a user sent was lost; DROP_NOPATH counts from the first up on.
	 */
	uint64_t before_up;
};

struct session {
	char name[CONF_NAME_MAX]; /* the peer's, in log lines; empty: the daemon's one peer */
	struct ev_loop *loop;
	const struct conf *conf;
	struct chan *chan;
	uint64_t sid;      /* ours, random per run */
	uint64_t peer_sid; /* 0 until the first HELLO */
	struct sendq sq;
	struct reorder ro;
	size_t payload_max; /* the channel's largest payload */

	struct conn *up[SESSION_MAX_CONNS]; /* established connections */
	struct sched_cand *cands[SESSION_MAX_CONNS];
	int nup;

	const struct crypto_id *cid; /* our keys and the peer's */
	struct crypto_peer peer;      /* the peer's key and handshake replay state */
	uint64_t resend;  /* lowest seq that may be unassigned (UINT64_MAX: none) */
	uint64_t backlog; /* bytes of frames no connection carries yet */
	uint64_t gap_seq; /* the gap the hold timer runs for */
	ev_tstamp gap_since; /* when that gap was first held */
	uint64_t acked;   /* the last ACK value we sent */
	uint64_t acked_bytes; /* st.rx_bytes when we sent it */
	uint64_t abandoned; /* the peer sends nothing below this */
	int src_paused;   /* the channel was told to wait */
	int rx_blocked;   /* the channel cannot take deliveries now */
	ev_timer ack_timer;
	ev_timer gap_timer;
	ev_timer monitor;
	ev_tstamp monitor_at; /* when the monitor last ran */
	uint8_t *scratch;     /* where payloads go to be dropped while no path is up */
	int discard;          /* DROP_MAX, or why the slot handed out is the scratch one */
	uint64_t abandon_sent; /* the last ABANDON we sent */
	ev_tstamp regrace_until; /* a connection died: gaps wait for re-sends until then */
	uint64_t rt_credit; /* hundredths of bytes real-time copies may still add */
	uint64_t idle_mark;   /* payloads both ways at the last look (SESSION_IDLE_TRIM) */
	ev_tstamp idle_since; /* ...and since when they have not changed; 0: trimmed */
	struct session_stats st;
};

const char *session_drop_name(enum session_drop d);
/* Set up the session for conf, delivering to ch payloads of up to payload_max bytes. -1 on ENOMEM. */
int session_init(struct session *s, struct ev_loop *loop, const struct conf *conf,
		 struct chan *ch, size_t payload_max, const struct crypto_id *cid);
void session_free(struct session *s);
/*
 * Room for the next payload (at most *cap bytes), or NULL when no connection can take it
 * or the window is full: the channel must stop reading until its resume() is called.
 */
uint8_t *session_tx_slot(struct session *s, size_t *cap);
/* Send the len bytes written at the slot. */
void session_tx_commit(struct session *s, size_t len);
/* The channel can take deliveries again. */
void session_rx_resume(struct session *s);
/* End of an input batch: push queued records to the sockets. */
void session_flush(struct session *s);

/* Connection events (c's sc.priority and sc.backup are set before session_conn_up). */
void session_conn_up(struct session *s, struct conn *c, const struct frame_hello *h);
void session_conn_down(struct session *s, struct conn *c);
/*
 * c stalled: send what it carried again elsewhere (it gets no new traffic meanwhile). Never
 * called from inside the session's own sending: the connection reports it from a timer.
 */
void session_conn_suspect(struct session *s, struct conn *c);
void session_conn_writable(struct session *s, struct conn *c);
void session_on_frame(struct session *s, struct conn *c, const struct frame *f);
void session_count_drop(struct session *s, enum session_drop d);
/* The counter of what a connection reports (struct conn_ops drop). */
enum session_drop session_drop_of(enum conn_drop d);
/* Count what a connection reports (struct conn_ops drop). */
void session_count_conn_drop(struct session *s, enum conn_drop d);
/* What the session's connections read of it (struct conn_env). */
void session_conn_env(struct session *s, struct conn_env *env);
/*
 * The mark a PING carries: the connection it goes on will carry no fresh frame below it
 * that it has not sent before the PING.
 */
uint64_t session_ping_mark(const struct session *s);
/* The HELLO this side sends on a new connection. */
void session_hello(struct session *s, struct frame_hello *h);

#endif
