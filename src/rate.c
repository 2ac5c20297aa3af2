/*
 * rate: delivery rate and stall detection from TCP_INFO samples (see rate.h).
 *
 * The rate is measured over spans in which data was always waiting, so that the path and
 * not the sender set the pace. Between two samples the queue cannot have run dry if the
 * kernel sent less than what waited at the first; otherwise the span starts anew (a sample
 * just after a write always sees data waiting, and an idle gap before that write would make
 * the path seem slow). TCP_INFO's own figures do not serve: the delivery rate of a mostly
 * idle rate-limited link reads what its token bucket lets through in a burst (Gbit/s on a
 * 5 Mbit/s link), and cwnd / RTT keeps what an idle connection once had. Until a first
 * measurement, cwnd / RTT stands in: it errs high, so the path gets traffic and then a
 * measurement.
 *
 * What arrived in a span is the lesser of two counts. The cumulative ACK (bytes acked)
 * stalls during a loss recovery and then leaps over everything the receiver had SACKed
 * meanwhile: a span that ends a recovery read 230 Mbit/s on a 5 Mbit/s link, and a higher
 * figure counts at once. Delivered segments count SACKed ones as they arrive, but a short
 * last segment of a write counts as a whole MSS. Each errs high where the other does not;
 * the lesser errs low only while a recovery stalls the ACK, and a low reading only pulls
 * the estimate a quarter of the way down.
 */
#include "config.h"

#include "rate.h"

uint64_t
rate_update(uint64_t est, uint64_t measured)
{
	if (measured >= est)
		return measured;
	return est - (est - measured) / 4;
}

uint64_t
rate_grow(uint64_t est, uint64_t measured)
{
	uint64_t cap = RATE_GROW_MAX * measured, grown = est + est / 4;

	if (est >= cap)
		return est;
	return grown < cap ? grown : cap;
}

static void
span_start(struct rate *r, const struct rate_sample *s, double now)
{
	r->busy_since = now;
	r->busy_acked = s->bytes_acked;
	r->busy_delivered = s->delivered;
}

void
rate_sample(struct rate *r, const struct rate_sample *s, double now)
{
	double span = 2 * s->rtt_us / 1e6;
	uint64_t waiting = s->notsent + s->queued;
	/*
	 * The sender kept the path busy since the last look: the kernel sent less than what
	 * waited then, or its latest delivery sample was not limited by the sender (a look
	 * that comes late, the loop busy elsewhere, misses no idle gap that way).
	 */
	int kept = s->bytes_sent - r->sent_seen < r->waiting_seen || !s->app_limited;

	if (span < RATE_SPAN)
		span = RATE_SPAN;
	if (now - r->bw_at >= RATE_BW_WINDOW) {
		r->bw[1] = r->bw[0];
		r->bw[0] = 0;
		r->bw_at = now;
	}
	if (!s->app_limited && s->delivery_rate > r->bw[0])
		r->bw[0] = s->delivery_rate;
	r->sent_seen = s->bytes_sent;
	r->waiting_seen = waiting;
	if (waiting == 0 && s->app_limited) {
		r->busy_since = 0;
	} else if (r->busy_since == 0 || !kept) {
		span_start(r, s, now);
	} else if (now - r->busy_since >= span) {
		uint64_t acked = s->bytes_acked - r->busy_acked;
		uint64_t delivered = (uint64_t)(uint32_t)(s->delivered - r->busy_delivered) * s->mss;
		uint64_t m = (uint64_t)((double)(acked < delivered ? acked : delivered) /
					(now - r->busy_since));

		/* a grown estimate was a guess: the measurement replaces it */
		r->est = r->est > r->measured ? m : rate_update(r->est, m);
		r->measured = r->est;
		r->measures += r->measures < 2;
		r->at = now;
		span_start(r, s, now);
	}
	if (r->est != 0 && now - r->at >= RATE_STALE) {
		r->est = rate_grow(r->est, r->measured);
		r->at = now;
	}
}

static uint64_t
window_rate(const struct rate_sample *s)
{
	return s->rtt_us ? (uint64_t)s->cwnd * s->mss * 1000000ULL / s->rtt_us : 0;
}

/*
 * BBR's estimate is the maximum of its delivery samples, each over about a round trip, and
 * counts only what the path carried while the sender kept it full: a path fed less than it
 * carries (new, or judged slow) reads low for ever, and a low figure keeps it fed little.
 * While its latest sample says the sender ran dry, what its window lets through in a round
 * trip stands in when higher, up to twice BBR's figure (BBR's window is twice what it
 * measured): a path given that much more measures it if it carries it, and so doubles its
 * figure each round trip until the path, not the sender, sets the pace. (show reports the
 * measured figure, not this.)
 * The same holds for the figure kept here for other congestion controls (sampled_bw).
 * Behind a token bucket (a policer, tbf) on a path whose round trip is under RATE_SHORT_RTT,
 * a burst the bucket lets through reads as Gbit/s, and so does the window over so short a
 * round trip. There our own spans (20 ms at least) measure the path better, and the lower
 * of the two stands; on longer paths our spans are rare (the kernel's short unsent queue
 * drains between two looks) and BBR's figure is the better.
 */
/*
 * The bottleneck's rate as the delivery samples tell: BBR's own figure, or for another
 * congestion control the same kind of figure kept here, the largest of the kernel's
 * delivery samples not limited by the sender over the last one to two RATE_BW_WINDOWs.
 */
static uint64_t
sampled_bw(const struct rate *r, const struct rate_sample *s)
{
	if (s->cc_bw != 0)
		return s->cc_bw;
	return r->bw[0] > r->bw[1] ? r->bw[0] : r->bw[1];
}

uint64_t
rate_get(const struct rate *r, const struct rate_sample *s)
{
	uint64_t w = window_rate(s), bw = sampled_bw(r, s);

	if (bw != 0 && s->min_rtt_us < RATE_SHORT_RTT)
		return r->measures >= 2 && r->est < bw ? r->est : bw;
	if (bw != 0 && s->app_limited && w > bw)
		return w < 2 * bw ? w : 2 * bw;
	if (bw != 0)
		return bw;
	if (r->est != 0)
		return r->est;
	return w;
}

/*
 * The kernel's own retransmission timeout without its 200 ms floor: the receiving end
 * acknowledges at once (TCP_QUICKACK), so silence that long means trouble. Outstanding:
 * sent and unacknowledged, or written and not even sent (a dead device). With an outer BBR
 * filling a bottleneck's queue, a tail drop and its repair held the cumulative ACK for
 * 60-130 ms on 50 Mbit/s, 20 ms paths while SACKs kept coming: counted as stalls then, they
 * moved traffic off healthy paths (14 times in 6 s, an inner flow 10 % slower).
 */
enum rate_stall_event
rate_stall_check(struct rate_stall *st, const struct rate_sample *s, double now)
{
	double limit = (s->rtt_us + RATE_STALL_RTTVARS * (double)s->rttvar_us) / 1e6;

	if (limit < RATE_STALL_MIN)
		limit = RATE_STALL_MIN;
	/*
	 * Progress: the cumulative ACK moved, or segments were delivered (SACKed) — a loss
	 * being repaired holds the cumulative ACK for a round trip or more while the path
	 * carries on.
	 */
	if (s->bytes_acked != st->acked_seen || s->delivered != st->delivered_seen ||
	    (s->unacked == 0 && s->notsent == 0)) {
		st->acked_seen = s->bytes_acked;
		st->delivered_seen = s->delivered;
		st->progress_at = now;
		st->busy = s->unacked != 0 || s->notsent != 0;
		if (st->stalled) {
			st->stalled = 0;
			return RATE_STALL_END;
		}
		return RATE_STALL_NONE;
	}
	/*
	 * Idle at the last look: the bytes outstanding now were written since, so the wait
	 * counts from now, not from that look (a connection that carries a few packets now and
	 * then, such as the ACKs of an inner flow, was seen to stall 51-64 ms against a limit
	 * of 50 by that error, and its traffic was moved for nothing).
	 */
	if (!st->busy) {
		st->busy = 1;
		st->progress_at = now;
	}
	if (!st->stalled && now - st->progress_at > limit) {
		st->stalled = 1;
		return RATE_STALL_BEGIN;
	}
	return RATE_STALL_NONE;
}

int
rate_lossy(struct rate_loss *l, const struct rate_sample *s)
{
	int lost = s->total_retrans != l->retrans_seen;
	uint32_t base;

	l->retrans_seen = s->total_retrans;
	if (s->delivered >= RATE_FLOOR_SEGS && s->rtt_us != 0 &&
	    (l->floor_us == 0 || s->rtt_us < l->floor_us))
		l->floor_us = s->rtt_us;
	base = rate_unloaded_us(l, s);
	if (!lost || base == 0 || s->rtt_us > base + base / 2 + 5000 ||
	    l->quiet >= RATE_QUIET_LOSSES)
		return 0;
	return ++l->quiet == RATE_QUIET_LOSSES;
}

uint32_t
rate_unloaded_us(const struct rate_loss *l, const struct rate_sample *s)
{
	return l->floor_us > s->min_rtt_us ? l->floor_us : s->min_rtt_us;
}

uint64_t
rate_bound(uint64_t rate, uint32_t unloaded_us, uint32_t srtt_us, uint32_t rttvar_us)
{
	uint64_t allow = (uint64_t)unloaded_us / 4 + RATE_BOUND_MARGIN_US, b;
	uint64_t empty = (uint64_t)unloaded_us + rttvar_us; /* the round trip without a queue */

	if (rate == 0 || unloaded_us == 0 || srtt_us < empty || srtt_us - empty < allow / 2)
		return 0;
	b = rate * (empty + allow) / 1000000 + RATE_BOUND_SLACK;
	return b < RATE_BOUND_MIN ? RATE_BOUND_MIN : b;
}

uint32_t
rate_loss_ppm(struct rate_repair *r, const struct rate_sample *s)
{
	uint64_t segs = s->mss ? s->bytes_sent / s->mss : 0, sent = segs - r->segs_seen;
	uint32_t lost = s->total_retrans - r->retrans_seen;
	double w;

	if (segs < r->segs_seen || s->total_retrans < r->retrans_seen) {
		r->segs_seen = segs; /* a new connection: start counting again */
		r->retrans_seen = s->total_retrans;
	} else if (sent >= 100) {
		w = (double)sent / RATE_REPAIR_SEGS;
		r->loss += ((double)lost / sent - r->loss) * (w < 1 ? w : 1);
		r->segs_seen = segs;
		r->retrans_seen = s->total_retrans;
	}
	return (uint32_t)(r->loss * 1e6 + 0.5);
}
