/*
 * sched: which connection takes the next packet.
 *
 * Each connection keeps a struct sched_cand current (the connection module updates it from
 * TCP_INFO and its own queue); sched_pick chooses among them by the configured policy.
 * Back pressure is the input: a connection whose kernel queue is full (TCP_NOTSENT_LOWAT
 * reached) is not ready, and when none is ready the caller stops reading its source.
 *
 * Express connections (a path's Express = yes) carry the small packets that go out past
 * the backlog and nothing else while any other connection is up, so a ping or a voice
 * frame never waits behind bulk bytes in a TCP send queue: only behind the link's own
 * queue. sched_pick_soonest prefers them; the bulk choices leave them out.
 * Pure: no sockets, no clock.
 */
#ifndef MPTUN_SCHED_H
#define MPTUN_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define SCHED_HOLD_MIN_US 2000    /* backlog worth holding at least, at the paths' rates */
#define SCHED_HOLD_MIN_BYTES 32768
#define SCHED_HOLD_MAX_US 400000  /* ...and at most: a path later than this is not waited for */

struct sched_cand {
	int up;           /* established: counts for the backup rule */
	int ready;        /* can take a packet now */
	int priority;     /* lower first, for ordered */
	int backup;       /* only while no primary is up */
	int express;      /* small packets only, while another connection is up */
	int group;        /* its path: a copy goes on another one */
	uint64_t queued;     /* bytes waiting ahead of a new packet: ours and the kernel's unsent */
	uint64_t inflight;   /* bytes sent and not yet acknowledged */
	uint64_t window;     /* bytes the congestion window lets be in flight (0: unknown) */
	uint64_t rate;       /* estimated delivery rate, bytes per second (0: unknown) */
	uint64_t rate_seen;  /* the rate measured, without a probe above it (0: as rate) */
	uint64_t delivering; /* the kernel's latest delivery sample, a floor on both (0: none) */
	uint32_t rtt_us;     /* smoothed RTT */
	uint32_t rttvar_us;  /* its variation */
	uint32_t recovery_us; /* a loss is being repaired: what it holds back arrives this late */
	uint32_t loss_ppm;   /* segments lost per million sent (rate_loss_ppm) */
	uint32_t mss;        /* segment size (0: unknown) */
	uint32_t min_rtt_us; /* lowest RTT seen: the path without queues (0: unknown) */
};

/*
 * Expected time in microseconds until a packet of len bytes given to c is delivered: what
 * is queued ahead of it drains at the rate, so does the part of what is in flight that
 * waits in a queue on the way rather than travels, then half the unloaded RTT.
 */
uint64_t sched_eta_us(const struct sched_cand *c, size_t len);
/*
 * When the receiver may have to wait for a frame of len bytes given to c: its expected
 * delivery plus its RTT variation and its repair tail (a late arrival holds the receiver
 * up, an early one costs nothing). The repair tail: a lost segment holds everything
 * behind it for a round trip or more, so the smoothed RTT times four times the chance that
 * one of the frame's segments is lost, at most the RTT (0.5 % loss: 88 % of it for a
 * 64 KB frame of 1448-byte segments).
 */
uint64_t sched_late_us(const struct sched_cand *c, size_t len);
/*
 * Where in the backlog connection i, ready now, should take its next frame (of len bytes):
 * the bytes of unassigned frames, oldest first, that should go ahead of that frame on the
 * other connections. 0: take the oldest. SCHED_NONE: take nothing now (not ready, a backup
 * while a primary is up, or ordered with a lower priority ready). A connection that would
 * deliver later than the others takes a frame that far back in the backlog that the others
 * deliver every frame before it by the time it arrives (see sched.c).
 */
#define SCHED_NONE UINT64_MAX
uint64_t sched_depth(enum conf_sched policy, struct sched_cand *const *cands, int n, int i,
		     size_t len);
/*
 * Whether connection j carries bulk frames now, ready or not: up, and neither a backup
 * while a primary is up nor an express one while another is up.
 */
int sched_carrier(struct sched_cand *const *cands, int n, int j);
/*
 * How many backlog bytes are worth holding: enough that every connection finds its frame
 * (half as much again as the largest depth) plus the shortest path's round trip at the sum
 * of the rates (at least SCHED_HOLD_MIN_US of it, and SCHED_HOLD_MIN_BYTES), at most
 * SCHED_HOLD_MAX_US at that sum.
 */
uint64_t sched_backlog_want(enum conf_sched policy, struct sched_cand *const *cands, int n,
			    size_t len);
/*
 * The earliest expected delivery among the ready ones other than index skip (-1: none), or
 * -1: for control frames, a redundant copy, and a reliable channel's payload already read.
 */
int sched_pick_ready(struct sched_cand *const *cands, int n, size_t len, int skip);

/*
 * The earliest expected delivery among the connections up, ready or not, express ones
 * first, or -1: for a small packet that goes out at once, past the backlog (see
 * session.c). skip >= 0: for its copy, not connection skip, and on another path than
 * skip's if one is up.
 */
int sched_pick_soonest(struct sched_cand *const *cands, int n, size_t len, int skip);

#endif
