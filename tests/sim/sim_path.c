/*
 * sim_path: the modelled path and outer connection (see sim_path.h).
 *
 * A lost segment is noticed when the packets behind it are acknowledged, one RTT after it
 * was sent; only the lost packet is sent again (one MSS of the link's time), and the
 * receiver holds everything behind the segment until it arrives.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "sim_path.h"

#define SEG_BYTES (SIM_SEG_MSS * SIM_MSS)
#define BW_ROUNDS 10

static const double gains[8] = {1.25, 0.75, 1, 1, 1, 1, 1, 1};

int
sim_fifo_init(struct sim_fifo *f, uint32_t size)
{
	f->size = size;
	f->head = f->tail = 0;
	f->ev = calloc(size, sizeof(*f->ev));
	return f->ev == NULL ? -1 : 0;
}

int
sim_fifo_push(struct sim_fifo *f, int64_t t, uint64_t a, uint64_t b)
{
	if (f->tail - f->head >= f->size)
		return -1;
	f->ev[f->tail++ & (f->size - 1)] = (struct sim_ev){t, a, b};
	return 0;
}

const struct sim_ev *
sim_fifo_due(const struct sim_fifo *f, int64_t now)
{
	const struct sim_ev *e;

	if (f->head == f->tail)
		return NULL;
	e = &f->ev[f->head & (f->size - 1)];
	return e->t <= now ? e : NULL;
}

uint64_t
sim_max_update(struct sim_max *m, uint64_t win, uint64_t t, uint64_t v)
{
	uint64_t dt;

	if (v >= m->s[0].v || t - m->s[2].t > win) {
		m->s[0].t = m->s[1].t = m->s[2].t = t;
		m->s[0].v = m->s[1].v = m->s[2].v = v;
		return v;
	}
	if (v >= m->s[1].v) {
		m->s[2].t = m->s[1].t = t;
		m->s[2].v = m->s[1].v = v;
	} else if (v >= m->s[2].v) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
	dt = t - m->s[0].t;
	if (dt > win) {
		m->s[0] = m->s[1];
		m->s[1] = m->s[2];
		m->s[2].t = t;
		m->s[2].v = v;
		if (t - m->s[0].t > win) {
			m->s[0] = m->s[1];
			m->s[1] = m->s[2];
		}
	} else if (m->s[1].t == m->s[0].t && dt > win / 4) {
		m->s[2].t = m->s[1].t = t;
		m->s[2].v = m->s[1].v = v;
	} else if (m->s[2].t == m->s[1].t && dt > win / 2) {
		m->s[2].t = t;
		m->s[2].v = v;
	}
	return m->s[0].v;
}

int
sim_conn_init(struct sim_conn *c, const struct sim_link *l, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->l = *l;
	rng_seed(&c->rng, seed);
	c->seg = calloc(SIM_SEGS, sizeof(*c->seg));
	c->frame = calloc(SIM_FRAMES, sizeof(*c->frame));
	if (c->seg == NULL || c->frame == NULL || sim_fifo_init(&c->wire, SIM_SEGS) == -1 ||
	    sim_fifo_init(&c->acks, SIM_SEGS) == -1 || sim_fifo_init(&c->lost, SIM_SEGS) == -1) {
		sim_conn_free(c);
		return -1;
	}
	/* warm: the estimates of a connection that has carried traffic for a while */
	c->bbr.min_rtt_us = 2 * l->owd_us + (int64_t)(SEG_BYTES * 1000000ULL / l->rate);
	sim_max_update(&c->bbr.bw, BW_ROUNDS, 0, l->rate);
	c->bbr.phase = (int)rng_below(&c->rng, 8);
	c->srtt_us = c->bbr.min_rtt_us;
	c->rttvar_us = c->bbr.min_rtt_us / 8;
	c->sc.up = 1;
	c->info_at = -1000000;
	return 0;
}

void
sim_conn_free(struct sim_conn *c)
{
	free(c->seg);
	free(c->frame);
	free(c->wire.ev);
	free(c->acks.ev);
	free(c->lost.ev);
	c->seg = NULL;
	c->frame = NULL;
	c->wire.ev = c->acks.ev = c->lost.ev = NULL;
}

static struct sim_seg *
seg_at(struct sim_conn *c, uint64_t idx)
{
	return &c->seg[idx & (SIM_SEGS - 1)];
}

/* Put wirelen bytes of segment idx on the link at now: queue, loss, delay. */
static void
transmit(struct sim_conn *c, uint64_t idx, uint32_t wirelen, int64_t now)
{
	struct sim_seg *s = seg_at(c, idx);
	int64_t queue = c->link_free > now ? c->link_free - now : 0, at;
	int npk = (int)((wirelen + SIM_MSS - 1) / SIM_MSS), lost = 0;

	if (c->pipe == 0)
		c->first_tx = c->delivered_time = now;
	s->sent_at = now;
	s->first_tx = c->first_tx;
	s->del = c->delivered;
	s->del_time = c->delivered_time;
	s->app_limited = c->app_limited_until != 0;
	c->sent_total += wirelen;
	if (queue > c->l.queue_us) {
		lost = 1; /* tail drop */
		at = now;
	} else {
		c->link_free = (c->link_free > now ? c->link_free : now) +
			       (int64_t)(wirelen * 1000000ULL / c->l.rate);
		at = c->link_free;
	}
	if (c->burst_left > 0) {
		c->burst_left--;
		lost = 1;
	} else if (rng_chance(&c->rng, c->l.burst)) {
		c->burst_left = 1 + (int)rng_below(&c->rng, 7);
		lost = 1;
	}
	if (rng_chance(&c->rng, 1 - pow(1 - c->l.loss, npk)))
		lost = 1;
	at += c->l.owd_us + (c->l.jitter_us ? (int64_t)rng_below(&c->rng, c->l.jitter_us + 1) : 0);
	if (lost) {
		s->lost = 1;
		sim_fifo_push(&c->lost, at + c->l.owd_us, idx, 0);
		return;
	}
	if (at < c->last_arrive)
		at = c->last_arrive; /* first in, first out */
	c->last_arrive = at;
	sim_fifo_push(&c->wire, at, idx, 0);
}

/* The far end: segments arrive, the in-order point moves, whole frames are reported. */
static void
receive(struct sim_conn *c, int64_t now,
	void (*arrive)(void *arg, const struct sim_frame *f, int64_t t), void *arg)
{
	const struct sim_ev *e;
	struct sim_seg *s;

	while ((e = sim_fifo_due(&c->wire, now)) != NULL) {
		int64_t t = e->t;
		uint64_t idx = e->a;

		c->wire.head++;
		seg_at(c, idx)->received = 1;
		while (c->rcv_idx < c->seg_next && (s = seg_at(c, c->rcv_idx))->received) {
			c->rcv_nxt = s->off + s->len;
			c->rcv_idx++;
		}
		while (c->fhead < c->ftail && c->frame[c->fhead & (SIM_FRAMES - 1)].end <= c->rcv_nxt) {
			if (arrive != NULL)
				arrive(arg, &c->frame[c->fhead & (SIM_FRAMES - 1)], t);
			c->fhead++;
		}
		sim_fifo_push(&c->acks, t + c->l.owd_us, idx, c->rcv_nxt);
	}
}

static uint64_t
bw_of(const struct sim_conn *c)
{
	return c->bbr.bw.s[0].v;
}

/* The sender: selective and cumulative acknowledgements, with their RTT and rate samples. */
static void
on_acks(struct sim_conn *c, int64_t now)
{
	const struct sim_ev *e;
	struct sim_seg *s;
	int64_t rtt, interval;

	while ((e = sim_fifo_due(&c->acks, now)) != NULL) {
		s = seg_at(c, e->a);
		c->acks.head++;
		c->delivered += s->len;
		c->delivered_time = now;
		c->first_tx = s->sent_at;
		c->pipe -= s->len;
		if (!s->resent) {
			rtt = now - s->sent_at;
			if (rtt < c->bbr.min_rtt_us)
				c->bbr.min_rtt_us = rtt;
			c->rttvar_us += (llabs(rtt - c->srtt_us) - c->rttvar_us) / 4;
			c->srtt_us += (rtt - c->srtt_us) / 8;
		}
		if (s->del >= c->bbr.next_round_delivered) {
			c->bbr.round++;
			c->bbr.next_round_delivered = c->delivered;
		}
		interval = now - s->del_time;
		if (s->sent_at - s->first_tx > interval)
			interval = s->sent_at - s->first_tx;
		if (interval > 0) {
			uint64_t bw = (c->delivered - s->del) * 1000000ULL / (uint64_t)interval;

			if (!s->app_limited || bw >= bw_of(c))
				sim_max_update(&c->bbr.bw, BW_ROUNDS, c->bbr.round, bw);
		}
		c->last_app_limited = s->app_limited;
		if (e->b > c->snd_una)
			c->snd_una = e->b;
		while (c->seg_una < c->seg_next &&
		       seg_at(c, c->seg_una)->off + seg_at(c, c->seg_una)->len <= c->snd_una)
			c->seg_una++;
	}
	if (c->app_limited_until != 0 && c->delivered > c->app_limited_until)
		c->app_limited_until = 0;
}

static void
flush(struct sim_conn *c)
{
	uint64_t n;

	while (c->out > 0 && c->written - c->snd_nxt < CONN_NOTSENT_LOWAT) {
		n = c->out < 65536 ? c->out : 65536;
		c->out -= n;
		c->written += n;
	}
}

static void
send_data(struct sim_conn *c, int64_t now)
{
	const struct sim_ev *e;
	struct sim_seg *s;
	uint64_t bw = bw_of(c), cwnd;
	double pace;

	/* re-send what was lost: one packet's worth of the link */
	while ((e = sim_fifo_due(&c->lost, now)) != NULL) {
		s = seg_at(c, e->a);
		c->lost.head++;
		s->lost = 0;
		s->resent = 1;
		c->retrans++;
		transmit(c, e->a, SIM_MSS < s->len ? SIM_MSS : s->len, now);
	}
	if (now - c->bbr.phase_at >= c->bbr.min_rtt_us) {
		c->bbr.phase = (c->bbr.phase + 1) & 7;
		c->bbr.phase_at = now;
	}
	pace = gains[c->bbr.phase] * (double)bw;
	cwnd = 2 * bw * (uint64_t)c->bbr.min_rtt_us / 1000000 + 3 * SEG_BYTES;
	c->credit += pace * (double)(now - c->last_send) / 1e6;
	c->last_send = now;
	if (c->credit > 2 * SEG_BYTES)
		c->credit = 2 * SEG_BYTES;
	while (c->credit > 0 && c->written > c->snd_nxt && c->pipe + SEG_BYTES <= cwnd &&
	       c->seg_next - c->seg_una < SIM_SEGS - 1) {
		uint64_t len = c->written - c->snd_nxt;

		s = seg_at(c, c->seg_next);
		memset(s, 0, sizeof(*s));
		s->off = c->snd_nxt;
		s->len = (uint32_t)(len < SEG_BYTES ? len : SEG_BYTES);
		c->snd_nxt += s->len;
		c->pipe += s->len;
		c->credit -= s->len;
		transmit(c, c->seg_next++, s->len, now);
	}
	if (c->written == c->snd_nxt && c->pipe + SEG_BYTES <= cwnd)
		c->app_limited_until = c->delivered + c->pipe + 1;
	c->cwnd_bytes = cwnd;
}

/* What conn_update reads from TCP_INFO and makes of it. */
static void
info(struct sim_conn *c, int64_t now)
{
	struct rate_sample *rs = &c->rs;

	rs->bytes_sent = c->sent_total;
	rs->bytes_acked = c->snd_una;
	rs->delivered = (uint32_t)(c->delivered / SIM_MSS);
	rs->mss = SIM_MSS;
	rs->cwnd = (uint32_t)(c->cwnd_bytes / SIM_MSS);
	rs->rtt_us = (uint32_t)c->srtt_us;
	rs->rttvar_us = (uint32_t)c->rttvar_us;
	rs->unacked = (uint32_t)((c->snd_nxt - c->snd_una + SIM_MSS - 1) / SIM_MSS);
	rs->notsent = c->written - c->snd_nxt;
	rs->queued = c->out;
	rs->app_limited = c->last_app_limited;
	rs->cc_bw = bw_of(c);
	c->info_at = now;
	c->sc.rtt_us = rs->rtt_us;
	c->sc.rttvar_us = rs->rttvar_us;
	c->sc.min_rtt_us = (uint32_t)c->bbr.min_rtt_us;
	c->sc.inflight = (uint64_t)rs->unacked * SIM_MSS;
	c->sc.window = (uint64_t)rs->cwnd * SIM_MSS;
	rs->total_retrans = c->retrans;
	c->sc.loss_ppm = rate_loss_ppm(&c->repair, rs);
	c->sc.mss = SIM_MSS;
	rate_sample(&c->rate, rs, (double)now / 1e6);
	c->sc.rate = rate_get(&c->rate, rs);
	c->ready_max = c->sc.rate / 1000;
	if (c->ready_max < CONN_OUT_READY)
		c->ready_max = CONN_OUT_READY;
	if (c->ready_max > CONN_OUT_READY_MAX)
		c->ready_max = CONN_OUT_READY_MAX;
}

void
sim_conn_ready(struct sim_conn *c)
{
	c->sc.queued = c->out + (c->written - c->snd_nxt);
	c->sc.ready = c->sc.up && c->out == 0 && c->out < c->ready_max;
}

void
sim_conn_queue(struct sim_conn *c, uint64_t seq, uint32_t len, uint8_t flags)
{
	c->out += len;
	c->frame[c->ftail++ & (SIM_FRAMES - 1)] =
		(struct sim_frame){c->written + c->out, seq, len, flags};
	flush(c);
	sim_conn_ready(c);
}

void
sim_conn_fill(struct sim_conn *c, uint64_t bytes)
{
	c->written += bytes;
}

void
sim_conn_step(struct sim_conn *c, int64_t now,
	      void (*arrive)(void *arg, const struct sim_frame *f, int64_t t), void *arg)
{
	receive(c, now, arrive, arg);
	on_acks(c, now);
	send_data(c, now);
	flush(c);
	if (now - c->info_at >= 1000)
		info(c, now);
	sim_conn_ready(c);
}
