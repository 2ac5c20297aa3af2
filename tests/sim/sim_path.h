/*
 * sim_path: one modelled path and the one outer TCP connection it carries.
 *
 * The path: a bottleneck of a given rate with a tail-drop queue (a segment that meets more
 * than queue_us of queue is dropped), then a one-way delay with uniform jitter (first in,
 * first out: no overtaking), random loss per packet and loss bursts; the ACKs come back
 * after the same delay, never lost. The connection: our own output queue and the kernel's
 * unsent queue (writes taken while it holds less than TCP_NOTSENT_LOWAT), segments of up to
 * SIM_SEG_MSS packets, a BBR-like sender (paced at its bandwidth estimate times a gain
 * cycle, window twice the estimate times the minimum RTT; the estimate the maximum of the
 * delivery rate samples over ten rounds, sender-limited ones only when higher, as Linux
 * does), a lost packet re-sent one RTT after it was sent and everything behind it held at
 * the receiver until it arrives (in-order delivery). The connection produces what conn.c
 * reads from TCP_INFO (struct rate_sample) and its struct sched_cand by conn.c's rules.
 * Time is passed in (microseconds); randomness comes from the connection's own stream.
 */
#ifndef SIM_PATH_H
#define SIM_PATH_H

#include <stdint.h>

#include "rate.h"
#include "sched.h"
#include "tests/synnet/rng.h"

#define SIM_MSS 1448
#define SIM_SEG_MSS 4           /* a segment: a burst of up to this many packets */
#define SIM_SEGS 16384          /* segments outstanding at most (a power of two) */
#define SIM_FRAMES 8192         /* frames queued on a connection at most (a power of two) */

struct sim_link {
	uint64_t rate;    /* bytes per second */
	int64_t owd_us;   /* one-way delay */
	int64_t jitter_us; /* uniform 0..jitter added to each segment's delay */
	double loss;      /* chance per packet */
	double burst;     /* chance per segment that a burst of 2..8 lost segments starts */
	int64_t queue_us; /* bottleneck queue: more than this waiting drops the segment */
};

/* The windowed maximum Linux keeps (lib/minmax.c): three samples, time in rounds. */
struct sim_max {
	struct {
		uint64_t t, v;
	} s[3];
};

/* A BBR-like bandwidth estimate and pacing, shared by the outer and the inner model. */
struct sim_bbr {
	struct sim_max bw;
	uint64_t round, next_round_delivered;
	int64_t min_rtt_us;
	int phase;          /* gain cycle position, 0..7 */
	int64_t phase_at;
	int startup;        /* gain 2.89 until the estimate stops growing */
	uint64_t full_bw;
	int full_rounds;
};

struct sim_seg {
	uint64_t off;
	uint32_t len;
	uint8_t lost, received, resent, app_limited;
	int64_t sent_at, first_tx, del_time;
	uint64_t del;
};

/* A frame as the connection carries it: where it ends in the byte stream. */
struct sim_frame {
	uint64_t end, seq;
	uint32_t len;
	uint8_t flags;
};

struct sim_ev {
	int64_t t;
	uint64_t a, b;
};

struct sim_fifo {
	struct sim_ev *ev;
	uint32_t size, head, tail; /* size a power of two */
};

struct sim_conn {
	struct sim_link l;
	struct rng rng;
	int burst_left;

	/* our queue, the kernel's */
	uint64_t out;       /* bytes in our own output queue */
	uint64_t written;   /* bytes given to the kernel */
	uint64_t snd_nxt;   /* bytes sent at least once */
	uint64_t snd_una;   /* bytes cumulatively acknowledged */
	uint64_t sent_total; /* bytes sent, re-sends included */
	uint64_t pipe;      /* bytes in the network: sent, not acknowledged, not lost */
	uint64_t delivered; /* bytes acknowledged, selectively or not */
	int64_t delivered_time, first_tx;
	uint64_t app_limited_until;
	int last_app_limited;
	double credit;
	int64_t last_send;
	struct sim_bbr bbr;
	int64_t srtt_us, rttvar_us;
	uint64_t cwnd_bytes;

	struct sim_seg *seg;
	uint64_t seg_una, seg_next; /* segments not acknowledged: [seg_una, seg_next) */
	int64_t link_free, last_arrive;
	struct sim_fifo wire, acks, lost;

	/* the receiving end */
	uint64_t rcv_idx, rcv_nxt;
	struct sim_frame *frame;
	uint64_t fhead, ftail;

	/* what conn.c keeps */
	struct rate rate;
	struct rate_repair repair;
	uint32_t retrans; /* segments re-sent, as tcpi_total_retrans */
	struct rate_sample rs;
	int64_t info_at;
	uint64_t ready_max;
	struct sched_cand sc;
};

/* Set up c for link l, its random stream seeded; warm: the estimates of a busy connection. */
int sim_conn_init(struct sim_conn *c, const struct sim_link *l, uint64_t seed);
void sim_conn_free(struct sim_conn *c);
/* Queue a frame (our output queue, then the kernel's as it takes writes). */
void sim_conn_queue(struct sim_conn *c, uint64_t seq, uint32_t len, uint8_t flags);
/* Give the kernel bytes outside any frame: a plain TCP flow with that much to send. */
void sim_conn_fill(struct sim_conn *c, uint64_t bytes);
/*
 * Advance c to time now: arrivals at the far end (each whole frame reported through
 * arrive), ACKs, loss recovery, sends; then the TCP_INFO read (each ms) and the candidate.
 */
void sim_conn_step(struct sim_conn *c, int64_t now,
		   void (*arrive)(void *arg, const struct sim_frame *f, int64_t t), void *arg);
/* Refresh c->sc's queue and ready flag (after a write), as conn_update does without a read. */
void sim_conn_ready(struct sim_conn *c);

/* A queue of timed events, taken in the order put (times must not go down). */
int sim_fifo_init(struct sim_fifo *f, uint32_t size);
/* -1 when full */
int sim_fifo_push(struct sim_fifo *f, int64_t t, uint64_t a, uint64_t b);
/* The oldest event if its time has come (take it with f->head++), else NULL. */
const struct sim_ev *sim_fifo_due(const struct sim_fifo *f, int64_t now);

/* The windowed maximum: take sample v at round t, window win rounds; the maximum. */
uint64_t sim_max_update(struct sim_max *m, uint64_t win, uint64_t t, uint64_t v);

#endif
