/*
 * stream: byte streams multiplexed over one reliable session (mptun pipe).
 *
 * Each DATA payload carries a stream header (stream_hdr.h): the pipe's stdin/stdout is
 * stream 0, open from the start; with port forwarding, every TCP connection accepted on the
 * forward socket becomes a stream of its own, which the far side connects to its target.
 * Stream ids are never reused within a session: the dialing side numbers its streams odd,
 * the listening side even, so both may open streams at once.
 *
 * Flow control: bytes for a local socket that cannot take them wait in the stream's output
 * buffer (STREAM_OUT_CAP). When it is full, deliver refuses (-1): the session stops
 * delivering and acknowledging, the peer's window fills and the peer stops reading its
 * sources. One slow stream therefore holds up the others (they share one ordered session);
 * memory stays bounded at STREAM_TABLE_MAX * STREAM_OUT_CAP. When the session has no room,
 * every local source stops being read until the session calls resume.
 *
 * Half-close both ways: a source's end of file becomes a FIN, and a FIN from the peer
 * shuts down the local write half once the output buffer is drained. A local error resets
 * the stream at the peer (RESET) and a RESET from the peer resets the local socket.
 *
 * Stream 0 (stdio) is one-way aware: when the peer's FIN ends a stream that carried data
 * while our stdin is still open, has sent nothing and has nothing to read, this side is the
 * receiving end of a one-way transfer and its FIN follows at once, so both ends finish;
 * with two_way, once it has sent anything, or after an empty stream, the peer's FIN is
 * only a half-close. Stream 0 is announced with an
 * OPEN: a side without stdio but with a target connects it there (a stdio client of a
 * --target server, e.g. ssh's ProxyCommand), a stdio side ignores it.
 *
 * Timers owned here: ctl_timer sends control messages (OPEN, FIN, RESET) that had to wait
 * for room, outside the session's callbacks; rate_timer refills the --rate token bucket;
 * each socket stream's idle timer closes it after idle_timeout without a byte either way.
 */
#ifndef MPTUN_STREAM_H
#define MPTUN_STREAM_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "conf.h"
#include "session.h"
#include "stream_hdr.h"

#define STREAM_MAX	     128	      /* streams one side may open at once */
#define STREAM_TABLE_MAX     (2 * STREAM_MAX) /* ours and the peer's */
#define STREAM_OUT_CAP	     (256 * 1024)     /* bytes waiting for one local socket */
#define STREAM_READ_BUDGET   16		      /* reads per wake-up of one source */
#define STREAM_ACCEPT_BUDGET 16		      /* connections accepted per wake-up */
#define STREAM_RATE_TICK     0.005	      /* seconds between token refills */
#define STREAM_RATE_BURST    0.02	      /* seconds of rate a burst may use */
#define STREAM_ERR_MAX	     160

struct stream_mux;

/* One byte stream: its local end and the state of both halves. */
struct stream {
	uint32_t id;
	int rfd, wfd;	/* the local end: one socket, or stdin and stdout; -1: none */
	int stdio;	/* stream 0 */
	int connecting; /* the target's connect is in progress */
	int opened;	/* the peer knows the stream (we sent OPEN or it did) */
	int need_open;	/* OPEN waits for room */
	int need_fin;	/* stream 0: the peer's end ends ours too, unless stdin has data */
	int fin_sent;	/* our half is finished: FIN committed */
	int rx_fin;	/* the peer's half is finished */
	int wdone;	/* ... and the local write half is shut down */
	int resetting;	/* local end gone; RESET waits for room when need_reset */
	int need_reset;
	struct bq out; /* bytes for the local end */
	ev_io rio, wio;
	ev_timer idle;	/* socket streams, when the mux has an idle_timeout */
	ev_tstamp last; /* the last byte either way */
	struct stream_mux *m;
	uint64_t tx_bytes, rx_bytes;
};

/* Optional replacements of stream 0's ends (the pipe's --prbs). */
struct stream_hooks {
	/* up to cap bytes for the peer; 0: end of stream */
	size_t (*produce)(void *arg, uint8_t *p, size_t cap);
	/* bytes from the peer, in order; -1: refuse them (the stream failed) */
	int (*consume)(void *arg, const uint8_t *p, size_t len);
	void *arg;
};

/* The stream channel of one session. */
struct stream_mux {
	struct chan ch; /* first: the session calls back through it */
	struct ev_loop *loop;
	struct session *s;
	struct stream *v[STREAM_TABLE_MAX];
	int n;
	uint32_t next_id;	/* for streams we open */
	int nours;		/* streams we opened that are still open */
	struct stream *blocked; /* deliver refused bytes for it: resume when it drains */
	int paused;		/* the session has no room: sources wait for resume */

	/* stream 0 */
	struct stream_hooks hooks;
	ev_idle gen;	/* feeds stream 0 from hooks.produce while the session has room */
	uint64_t limit; /* bytes stream 0 may still send (UINT64_MAX: no limit) */
	int two_way;	/* the peer's end of stream 0 never ends ours */
	int reset_stdio_sent;
	double idle_timeout; /* close a socket stream this long without traffic (0: never), s */

	/* forwarding: accept here, or connect the peer's streams there */
	int lfd;
	ev_io accept_io;
	int has_target;
	struct sockaddr_storage target;
	socklen_t target_len;

	/* --rate */
	double rate, tokens; /* bytes per second (0: unlimited), bytes allowed now */
	ev_tstamp refilled;
	int throttled;
	ev_timer rate_timer;

	ev_timer ctl_timer;
	int failed; /* stream 0 broke: error says why */
	char error[STREAM_ERR_MAX];
	uint64_t tx_bytes, rx_bytes; /* stream payload, all streams */
	uint64_t opened, resets;     /* streams opened (either side), streams reset */
};

/* Set up the channel of session s (reliable); dialer: this side dials (odd stream ids). */
void stream_mux_init(struct stream_mux *m, struct ev_loop *loop, struct session *s, int dialer);
void stream_mux_free(struct stream_mux *m);
/* Open stream 0 over rfd / wfd (either may be -1 when hooks replaces it). -1 on ENOMEM. */
int stream_mux_stdio(struct stream_mux *m, int rfd, int wfd, const struct stream_hooks *h);
/* Accept TCP connections on hp, each a stream the peer connects to its target. -1 (logged). */
int stream_mux_forward(struct stream_mux *m, const struct conf_hostport *hp);
/* The address of hp (passive: one to bind), from the resolver now. -1 (logged). */
int stream_resolve(const struct conf_hostport *hp, int passive, struct sockaddr_storage *ss,
		   socklen_t *len);
/* Connect every stream the peer opens to ss (stream_resolve's, once for every session). */
void stream_mux_target(struct stream_mux *m, const struct sockaddr_storage *ss, socklen_t len);
/* Close each socket stream after secs without a byte either way (0: never). */
void stream_mux_idle(struct stream_mux *m, double secs);
/* Throttle what all sources send to bytes_per_sec (0: unlimited). */
void stream_mux_rate(struct stream_mux *m, double bytes_per_sec);
/* Stream 0 is finished both ways: FIN committed, the peer's FIN delivered, output shut. */
int stream_mux_stdio_done(const struct stream_mux *m);
/* Send the control messages that wait (a RESET before exiting), as far as there is room. */
void stream_mux_flush(struct stream_mux *m);
/* Streams open now. */
int stream_mux_count(const struct stream_mux *m);

#endif
