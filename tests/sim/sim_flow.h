/*
 * sim_flow: an inner TCP flow through the tunnel, and a sparse interactive one.
 *
 * Packets of SIM_FLOW_PKT bytes (a GSO packet) are offered to the tunnel; the tunnel drops
 * (DROP_FULL), takes, or makes the flow wait (window full). A dropped packet is noticed one
 * smoothed RTT later (duplicate ACKs) and sent again. cubic: slow start, then on a loss a
 * window of 0.7 times and cubic growth; bbr: paced at its bandwidth estimate (the maximum
 * delivery rate over ten rounds) times 2.89 in start-up and a gain cycle after, inflight
 * capped at twice the estimate times the minimum RTT, losses ignored. ACKs come back after
 * the reverse delay (the fastest path's). Time in microseconds.
 */
#ifndef SIM_FLOW_H
#define SIM_FLOW_H

#include <stdint.h>

#include "sim_path.h"

#define SIM_FLOW_PKT 16384
#define SIM_FLOW_WIN 16384 /* packets outstanding at most (a power of two) */

enum sim_cc { SIM_CUBIC, SIM_BBR };

enum sim_offer { SIM_SENT, SIM_DROPPED, SIM_WAIT };

struct sim_flow {
	enum sim_cc cc;
	int64_t rev_us;      /* the ACKs' delay */
	uint64_t nxt;        /* next new packet */
	uint64_t pipe;       /* packets sent, not acknowledged, not known lost */
	uint64_t recover;    /* losses of packets below this: the same recovery */
	double cwnd, ssthresh, wmax;
	int64_t epoch, srtt_us, min_rtt_us;
	struct sim_fifo lost, retx, acks;
	int64_t *sent_at;    /* per packet */
	uint8_t *got;        /* per packet: the receiver has it */
	uint64_t rcv_nxt;    /* the receiver's in-order point */
	/* bbr */
	struct sim_max bw;
	uint64_t delivered, round, next_round_delivered, *del_at;
	int64_t *del_time_at, delivered_time;
	uint64_t full_bw;
	int full_rounds, startup, phase;
	int64_t phase_at, last_send;
	double credit;
	/* measured between t0 and t1 */
	int64_t t0, t1, progress_at, stall_us;
	uint64_t good, drops;
};

int sim_flow_init(struct sim_flow *f, enum sim_cc cc, int64_t rev_us, int64_t t0, int64_t t1);
void sim_flow_free(struct sim_flow *f);
/* Send what the window and pacing allow; offer() puts a packet into the tunnel. */
void sim_flow_step(struct sim_flow *f, int64_t now,
		   enum sim_offer (*offer)(void *arg, uint64_t id, uint32_t len), void *arg);
/* The tunnel delivered packet id at time t. */
void sim_flow_rx(struct sim_flow *f, uint64_t id, int64_t t);

#endif
