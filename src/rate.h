/*
 * rate: how fast a connection delivers, and whether it still delivers at all.
 *
 * The connection module reads TCP_INFO and hands the figures here as a struct rate_sample
 * with the time of the read; this module keeps the delivery rate estimate the scheduler
 * uses and the stall detector that makes the session move traffic off a silent
 * connection. Pure: no sockets, no clock; time is passed in (seconds, any monotonic origin).
 */
#ifndef MPTUN_RATE_H
#define MPTUN_RATE_H

#include <stdint.h>

#define RATE_SPAN 0.02      /* measure over at least this (and 2 RTT), seconds */
#define RATE_STALE 2.0      /* an estimate this old grows (rate_grow) */
#define RATE_GROW_MAX 16    /* ...up to this many times the last measured rate */
#define RATE_STALL_MIN 0.05 /* no ack progress this long (seconds)... */
#define RATE_STALL_RTTVARS 4 /* ...and past RTT + this many RTT variations: stalled */
#define RATE_SHORT_RTT 2000  /* us: below it a congestion control's figure may read bursts */
#define RATE_BW_WINDOW 1.0    /* seconds: delivery samples kept for the maximum (two of them) */
#define RATE_QUIET_LOSSES 3  /* losses with the queue nearly empty that mark a path lossy */
#define RATE_FLOOR_SEGS 100  /* segments delivered before the smoothed RTT's floor counts */
#define RATE_REPAIR_SEGS 20000 /* segments: the loss rate's memory */
#define RATE_BOUND_MARGIN_US 5000  /* rate_bound: queue allowed beyond a quarter round trip */
#define RATE_BOUND_SLACK (64 * 1024) /* ...plus the kernel's unsent queue and a GSO segment */
#define RATE_BOUND_MIN (128 * 1024)  /* ...and never less than this */

/* What one TCP_INFO read says, with the bytes still waiting in our own queue. */
struct rate_sample {
	uint64_t bytes_sent;  /* tcpi_bytes_sent */
	uint64_t bytes_acked; /* tcpi_bytes_acked */
	uint32_t delivered;   /* tcpi_delivered: segments, SACKed ones included */
	uint32_t mss;         /* tcpi_snd_mss */
	uint32_t cwnd;        /* tcpi_snd_cwnd, segments */
	uint32_t rtt_us, rttvar_us, min_rtt_us;
	uint32_t unacked;     /* tcpi_unacked, segments */
	uint32_t total_retrans; /* tcpi_total_retrans: segments sent again, ever */
	uint64_t notsent;     /* tcpi_notsent_bytes */
	uint64_t queued;      /* bytes in our own queue, not yet written to the socket */
	int app_limited;      /* tcpi_delivery_rate_app_limited: the sender ran dry lately */
	uint64_t cc_bw;       /* the congestion control's own bottleneck estimate, bytes/s (0: none) */
	uint64_t delivery_rate; /* tcpi_delivery_rate: the kernel's latest sample, bytes/s */
};

struct rate {
	uint64_t est;          /* delivery rate estimate, bytes per second (0: not measured yet) */
	uint64_t measured;     /* the estimate after the last measurement (est above it: grown) */
	unsigned measures;     /* measurements taken, counted up to 2 */
	double at;             /* last measurement, or growth of an old one */
	double busy_since;     /* start of the present span with data always waiting (0: none) */
	uint64_t busy_acked;   /* bytes_acked at busy_since */
	uint32_t busy_delivered; /* delivered at busy_since */
	uint64_t sent_seen, waiting_seen; /* bytes_sent and waiting at the last look */
	uint64_t bw[2];        /* the largest delivery sample not limited by the sender: this
				  window of RATE_BW_WINDOW, the one before */
	double bw_at;          /* start of this window */
};

/* How often a connection's segments are lost (rate_repair_us). */
struct rate_repair {
	double loss;           /* re-sent segments per segment sent, weighted to the recent */
	uint32_t retrans_seen; /* total_retrans at the last update */
	uint64_t segs_seen;    /* segments sent at the last update */
};

/* A connection's progress as the stall detector sees it. */
struct rate_stall {
	uint64_t acked_seen; /* bytes_acked at the last progress */
	uint32_t delivered_seen; /* delivered at the last progress */
	double progress_at;  /* time of the last progress (or of the start) */
	int busy;            /* bytes were outstanding at the last look */
	int stalled;
};

enum rate_stall_event { RATE_STALL_NONE, RATE_STALL_BEGIN, RATE_STALL_END };

/* Losses that no queue explains (rate_lossy). */
struct rate_loss {
	uint32_t retrans_seen; /* total_retrans at the last sample */
	unsigned quiet;        /* losses seen with the round trip near its unloaded value */
	uint32_t floor_us;     /* the lowest smoothed RTT seen once warm (0: not yet) */
};

/* Take one sample read at time now. */
void rate_sample(struct rate *r, const struct rate_sample *s, double now);
/*
 * The rate the scheduler should assume, bytes per second: the congestion control's own
 * bottleneck estimate where it has one (BBR's), else the estimate, or before the first
 * measurement cwnd / RTT (0 when not even that is known).
 */
uint64_t rate_get(const struct rate *r, const struct rate_sample *s);
/*
 * The estimate after a measurement taken while the connection always had data waiting: a
 * higher one counts at once, a lower one pulls the estimate a quarter of the way down.
 */
uint64_t rate_update(uint64_t est, uint64_t measured);
/*
 * The estimate after a while without a measurement: a quarter higher, up to RATE_GROW_MAX
 * times the last measured rate, so that a path a low figure kept idle gets tried.
 */
uint64_t rate_grow(uint64_t est, uint64_t measured);

/*
 * Feed the stall detector one sample: a connection with data outstanding that sees nothing
 * acknowledged, not even selectively, for longer than max(RATE_STALL_MIN, RTT + 4 RTT
 * variations) is stalled; progress ends it. Says when either happens.
 */
enum rate_stall_event rate_stall_check(struct rate_stall *st, const struct rate_sample *s,
				       double now);

/*
 * Does the path lose packets at random, not only when its queue overflows? A loss a queue
 * explains comes with the round trip well above its unloaded value (the queue full); one
 * seen with the smoothed round trip within half that value plus 5 ms of it is counted, and
 * the RATE_QUIET_LOSSES-th says yes (once: the caller switches the connection to a
 * congestion control that does not take such losses for congestion). The unloaded value
 * is the lowest smoothed RTT seen once RATE_FLOOR_SEGS segments were delivered (before
 * that, the kernel's minimum): on a path with jitter the minimum is one lucky sample, far
 * below what the smoothed RTT ever reads without a queue.
 */
int rate_lossy(struct rate_loss *l, const struct rate_sample *s);
/*
 * The path's round trip without a queue as rate_lossy judges it (after rate_lossy took s):
 * the smoothed RTT's floor once warm, or the kernel's minimum when that is higher or the
 * floor not known yet. 0: neither known.
 */
uint32_t rate_unloaded_us(const struct rate_loss *l, const struct rate_sample *s);
/*
 * The bytes a loss-based connection (cubic, reno) may hold in the kernel, sent and unsent:
 * its rate times its round trip without a queue (the unloaded one plus the RTT variation,
 * which jitter keeps above the lowest) and a quarter of the unloaded one more, plus
 * RATE_BOUND_MARGIN_US at the rate and RATE_BOUND_SLACK; at least RATE_BOUND_MIN. Such a
 * sender fills any queue on its path up to the loss that halves it; held to this, it
 * keeps the path full and its queue within a quarter of a round trip plus the margin, and
 * the rest waits in mptun's backlog, which small packets skip and where the scheduler
 * still chooses its path. 0: no bound, when the rate or the round trip is unknown, or
 * while the queue (the smoothed RTT above the unloaded one and its variation) is under
 * half of what the bound allows: the path is not full, or its rate reads low (a path fed
 * little measures no more than it is fed), and a bound would keep it so.
 */
uint64_t rate_bound(uint64_t rate, uint32_t unloaded_us, uint32_t srtt_us, uint32_t rttvar_us);

/*
 * How often a connection's segments are lost, in re-sent segments per million sent: the
 * kernel's re-sent segments against the segments sent (bytes_sent / mss), weighted over
 * the last RATE_REPAIR_SEGS or so, so that a path keeps its figure while it carries
 * little (sched_late_us makes a repair tail of it).
 */
uint32_t rate_loss_ppm(struct rate_repair *r, const struct rate_sample *s);

#endif
