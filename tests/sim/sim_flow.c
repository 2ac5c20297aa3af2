/*
 * sim_flow: the inner TCP models (see sim_flow.h).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_flow.h"

#define CUBIC_C (0.4 * 1448 / SIM_FLOW_PKT) /* cubic's C, in these packets */
#define CUBIC_BETA 0.7
#define STARTUP_GAIN 2.89

static const double gains[8] = {1.25, 0.75, 1, 1, 1, 1, 1, 1};

int
sim_flow_init(struct sim_flow *f, enum sim_cc cc, int64_t rev_us, int64_t t0, int64_t t1)
{
	memset(f, 0, sizeof(*f));
	f->cc = cc;
	f->rev_us = rev_us;
	f->cwnd = 2;
	f->ssthresh = 1e9;
	f->srtt_us = f->min_rtt_us = 2 * rev_us + 1000;
	f->startup = 1;
	f->t0 = f->progress_at = t0;
	f->t1 = t1;
	f->sent_at = calloc(SIM_FLOW_WIN, sizeof(*f->sent_at));
	f->del_at = calloc(SIM_FLOW_WIN, sizeof(*f->del_at));
	f->del_time_at = calloc(SIM_FLOW_WIN, sizeof(*f->del_time_at));
	f->got = calloc(SIM_FLOW_WIN, 1);
	if (f->sent_at == NULL || f->del_at == NULL || f->del_time_at == NULL || f->got == NULL ||
	    sim_fifo_init(&f->lost, SIM_FLOW_WIN) == -1 ||
	    sim_fifo_init(&f->retx, SIM_FLOW_WIN) == -1 ||
	    sim_fifo_init(&f->acks, SIM_FLOW_WIN) == -1) {
		sim_flow_free(f);
		return -1;
	}
	sim_max_update(&f->bw, 10, 0, 10ULL * 1448 * 1000000 / (uint64_t)f->srtt_us);
	return 0;
}

void
sim_flow_free(struct sim_flow *f)
{
	free(f->sent_at);
	free(f->del_at);
	free(f->del_time_at);
	free(f->got);
	free(f->lost.ev);
	free(f->retx.ev);
	free(f->acks.ev);
	memset(f, 0, sizeof(*f));
}

static double
window(const struct sim_flow *f)
{
	if (f->cc == SIM_CUBIC)
		return f->cwnd;
	return (f->startup ? STARTUP_GAIN : 2) * (double)f->bw.s[0].v * (double)f->min_rtt_us /
		       1e6 / SIM_FLOW_PKT + 4;
}

static void
on_ack(struct sim_flow *f, uint64_t id, int64_t now)
{
	uint64_t i = id & (SIM_FLOW_WIN - 1);
	int64_t rtt = now - f->sent_at[i], interval;
	double t, k, target;

	f->pipe--;
	f->delivered++;
	f->delivered_time = now;
	f->srtt_us += (rtt - f->srtt_us) / 8;
	if (rtt < f->min_rtt_us)
		f->min_rtt_us = rtt;
	if (f->del_at[i] >= f->next_round_delivered) {
		f->round++;
		f->next_round_delivered = f->delivered;
		if (f->startup) {
			if (f->bw.s[0].v >= f->full_bw + f->full_bw / 4) {
				f->full_bw = f->bw.s[0].v;
				f->full_rounds = 0;
			} else if (++f->full_rounds >= 3) {
				f->startup = 0;
			}
		}
	}
	interval = now - f->del_time_at[i];
	if (interval > 0)
		sim_max_update(&f->bw, 10, f->round,
			       (f->delivered - f->del_at[i]) * SIM_FLOW_PKT * 1000000ULL /
				       (uint64_t)interval);
	if (f->cc != SIM_CUBIC)
		return;
	if (f->cwnd < f->ssthresh) {
		f->cwnd += 1;
		return;
	}
	t = (double)(now - f->epoch) / 1e6;
	k = cbrt(f->wmax * (1 - CUBIC_BETA) / CUBIC_C);
	target = CUBIC_C * (t - k) * (t - k) * (t - k) + f->wmax;
	f->cwnd += target > f->cwnd ? (target - f->cwnd) / f->cwnd : 0.01 / f->cwnd;
}

static void
on_loss(struct sim_flow *f, uint64_t id, int64_t now)
{
	f->pipe--;
	sim_fifo_push(&f->retx, now, id, 0);
	if (f->cc != SIM_CUBIC || id < f->recover)
		return;
	f->recover = f->nxt;
	f->wmax = f->cwnd;
	f->cwnd = f->ssthresh = f->cwnd * CUBIC_BETA > 2 ? f->cwnd * CUBIC_BETA : 2;
	f->epoch = now;
}

/* Offer packet id; on a drop it is noticed one smoothed RTT later. */
static int
put(struct sim_flow *f, uint64_t id, int64_t now,
    enum sim_offer (*offer)(void *arg, uint64_t id, uint32_t len), void *arg)
{
	uint64_t i = id & (SIM_FLOW_WIN - 1);
	enum sim_offer r = offer(arg, id, SIM_FLOW_PKT);

	if (r == SIM_WAIT)
		return -1;
	f->sent_at[i] = now;
	if (f->pipe == 0)
		f->delivered_time = now;
	f->del_at[i] = f->delivered;
	f->del_time_at[i] = f->delivered_time;
	f->pipe++;
	f->credit -= SIM_FLOW_PKT;
	if (r == SIM_DROPPED) {
		f->drops++;
		sim_fifo_push(&f->lost, now + f->srtt_us, id, 0);
	}
	return 0;
}

void
sim_flow_step(struct sim_flow *f, int64_t now,
	      enum sim_offer (*offer)(void *arg, uint64_t id, uint32_t len), void *arg)
{
	const struct sim_ev *e;
	double pace;

	while ((e = sim_fifo_due(&f->acks, now)) != NULL) {
		f->acks.head++;
		on_ack(f, e->a, e->t);
	}
	while ((e = sim_fifo_due(&f->lost, now)) != NULL) {
		f->lost.head++;
		on_loss(f, e->a, e->t);
	}
	if (f->cc == SIM_BBR) {
		if (!f->startup && now - f->phase_at >= f->min_rtt_us) {
			f->phase = (f->phase + 1) & 7;
			f->phase_at = now;
		}
		pace = (f->startup ? STARTUP_GAIN : gains[f->phase]) * (double)f->bw.s[0].v;
		f->credit += pace * (double)(now - f->last_send) / 1e6;
		if (f->credit > 4 * SIM_FLOW_PKT)
			f->credit = 4 * SIM_FLOW_PKT;
	} else {
		f->credit = 1e18;
	}
	f->last_send = now;
	while (f->credit > 0 && (double)f->pipe < window(f)) {
		if ((e = sim_fifo_due(&f->retx, now)) != NULL) {
			if (put(f, e->a, now, offer, arg) == -1)
				break;
			f->retx.head++;
			continue;
		}
		if (f->nxt - f->rcv_nxt >= SIM_FLOW_WIN - 1 || put(f, f->nxt, now, offer, arg) == -1)
			break;
		f->nxt++;
	}
}

void
sim_flow_rx(struct sim_flow *f, uint64_t id, int64_t t)
{
	if (id < f->rcv_nxt || f->got[id & (SIM_FLOW_WIN - 1)])
		return;
	f->got[id & (SIM_FLOW_WIN - 1)] = 1;
	while (f->got[f->rcv_nxt & (SIM_FLOW_WIN - 1)]) {
		f->got[f->rcv_nxt & (SIM_FLOW_WIN - 1)] = 0;
		f->rcv_nxt++;
		if (t >= f->t0 && t < f->t1) {
			f->good += SIM_FLOW_PKT;
			if (t - f->progress_at > f->stall_us)
				f->stall_us = t - f->progress_at;
			f->progress_at = t;
		}
	}
	sim_fifo_push(&f->acks, t + f->rev_us, id, 0);
}
