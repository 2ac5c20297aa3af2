/*
 * sched: path choice by back pressure (see sched.h).
 *
 * The estimate: a packet given to a connection is delivered after everything queued ahead
 * of it has drained at the connection's rate, plus half the unloaded RTT for the last byte to
 * cross. "Ahead of it" includes bytes already sent that wait in a bottleneck's queue (a
 * rate-limited link fed by a TCP that fills it): those in flight beyond what the unloaded RTT
 * holds at that rate. The smoothed RTT alone would see that queue late and only half.
 * A connection repairing a loss holds everything sent after the lost segment until the
 * repair arrives, a round trip later at best: that much later too.
 * An unknown rate (a fresh connection) counts as SCHED_RATE_GUESS so it gets tried.
 */
#include "config.h"

#include "sched.h"

#define SCHED_RATE_GUESS    (1250000ULL) /* 10 Mbit/s in bytes per second */

static uint64_t
rate_of(const struct sched_cand *c)
{
	return c->rate ? c->rate : SCHED_RATE_GUESS;
}

/*
 * What c delivers at least, as far as the backlog's size is concerned: its rate estimate,
 * or the window in flight per round trip (Little's law) when that is more. The rates lag
 * while the paths and an inner flow start together (a path's rate is measured no higher
 * than it is fed), and a backlog sized by them refused a starting inner flow's packets at
 * a fifth of the paths' capacity (100 + 10 Mbit/s: 5.6 Mbit/s measured on the fast path
 * with 240 KB in flight), which ended its slow start there. Not for the expected delivery:
 * after a large frame given to a slow path whose smoothed RTT still reads its idle
 * moments, the window in flight per round trip reads ten times its rate.
 */
static uint64_t
rate_now(const struct sched_cand *c)
{
	uint64_t little = c->rtt_us ? c->inflight * 1000000ULL / c->rtt_us : 0;

	return rate_of(c) > little ? rate_of(c) : little;
}

uint64_t
sched_eta_us(const struct sched_cand *c, size_t len)
{
	/*
	 * A path delivers at least what the kernel's latest sample saw it deliver, sender-
	 * limited or not: a rate measured while the path was fed less than it carries is low,
	 * and stays low if it makes the path look slow or queued (100 + 10 Mbit/s: 8 Mbit/s
	 * measured on the fast path with 200 KB in flight over 40 ms round trips, so those
	 * counted as 160 ms of queue and the slow path got as much to carry).
	 */
	uint64_t rate = rate_of(c) > c->delivering ? rate_of(c) : c->delivering;
	uint64_t base = c->min_rtt_us ? c->min_rtt_us : c->rtt_us;
	/* what is in flight drains at the measured rate: a probe above it is a guess */
	uint64_t seen = c->rate_seen ? c->rate_seen : rate;
	uint64_t drain = c->inflight * 1000000ULL / (seen > c->delivering ? seen : c->delivering);
	uint64_t wait = (c->queued + len) * 1000000ULL / rate;

	/*
	 * Room in the window: the packet leaves at once, whatever the rate estimate says. A
	 * path fed less than it carries (new, or judged slow) measures no more than it was
	 * fed; this way it is fed what its window takes, and its window grows with what it
	 * then delivers.
	 */
	if (c->window != 0 && c->inflight + c->queued + len <= c->window)
		wait = 0;
	return wait + (drain > base ? drain - base : 0) + base / 2 + c->recovery_us;
}

/* Which connections may carry what: see who_of. */
struct who {
	int no_backup;	/* a primary is up: backups carry nothing */
	int no_express; /* another connection is up: express ones carry small packets only */
};

static struct who
who_of(struct sched_cand *const *cands, int n)
{
	struct who w = {0, 0};
	int i;

	for (i = 0; i < n; i++)
		if (cands[i]->up && !cands[i]->backup)
			w.no_backup = 1;
	for (i = 0; i < n; i++)
		if (cands[i]->up && !cands[i]->express && !(w.no_backup && cands[i]->backup))
			w.no_express = 1;
	return w;
}

static int
eligible(const struct sched_cand *c, const struct who *w)
{
	return c->up && !(w->no_backup && c->backup) && !(w->no_express && c->express);
}

uint64_t
sched_late_us(const struct sched_cand *c, size_t len)
{
	uint64_t segs = c->mss ? (len + c->mss - 1) / c->mss : 1;
	uint64_t p = 4 * (uint64_t)c->loss_ppm * segs; /* per million */

	return sched_eta_us(c, len) + c->rttvar_us +
	       (p < 1000000 ? c->rtt_us * p / 1000000 : c->rtt_us);
}

/*
 * The depth of cands[i] whether or not it is ready: how much later than the best of the
 * others a frame given to it may arrive (sched_late_us); the others drain the backlog at
 * the sum of their rates, so a frame that many microseconds later in it reaches the
 * receiver when i's would.
 */
static uint64_t
depth_of(struct sched_cand *const *cands, int n, int i, size_t len, const struct who *w)
{
	const struct sched_cand *c = cands[i];
	uint64_t eta = sched_late_us(c, len), best = UINT64_MAX, rate = 0, e;
	int j;

	for (j = 0; j < n; j++) {
		if (j == i || !eligible(cands[j], w))
			continue;
		e = sched_late_us(cands[j], len);
		if (e < best)
			best = e;
		rate += rate_of(cands[j]);
	}
	if (best == UINT64_MAX || eta <= best)
		return 0;
	return (eta - best) * rate / 1000000;
}

uint64_t
sched_depth(enum conf_sched policy, struct sched_cand *const *cands, int n, int i, size_t len)
{
	const struct sched_cand *c = cands[i];
	struct who w = who_of(cands, n);
	int j;

	if (!c->ready || !eligible(c, &w))
		return SCHED_NONE;
	if (policy == SCHED_ORDERED) {
		for (j = 0; j < n; j++)
			if (j != i && cands[j]->ready && eligible(cands[j], &w) &&
			    cands[j]->priority < c->priority)
				return SCHED_NONE;
		return 0;
	}
	return depth_of(cands, n, i, len, &w);
}

int
sched_carrier(struct sched_cand *const *cands, int n, int j)
{
	struct who w = who_of(cands, n);

	return eligible(cands[j], &w);
}

uint64_t
sched_backlog_want(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len)
{
	struct who w = who_of(cands, n);
	uint64_t rate = 0, want = 0, d, lo, hi, rtt = UINT64_MAX, r;
	int i;

	for (i = 0; i < n; i++)
		if (eligible(cands[i], &w)) {
			rate += rate_now(cands[i]);
			r = cands[i]->min_rtt_us ? cands[i]->min_rtt_us : cands[i]->rtt_us;
			if (r < rtt)
				rtt = r;
		}
	/*
	 * At least a round trip of the shortest path at the sum of the rates: a TCP flow
	 * inside that halves its window on a drop here still keeps every path busy, as with
	 * a router's buffer of one bandwidth-delay product. Small packets do not wait behind
	 * it (session.c), so it costs the bulk flow's own packets only.
	 */
	if (rtt == UINT64_MAX || rtt < SCHED_HOLD_MIN_US)
		rtt = SCHED_HOLD_MIN_US;
	lo = rate * rtt / 1000000;
	if (lo < SCHED_HOLD_MIN_BYTES)
		lo = SCHED_HOLD_MIN_BYTES;
	hi = rate * SCHED_HOLD_MAX_US / 1000000;
	if (hi < lo)
		hi = lo;
	if (policy != SCHED_ORDERED)
		for (i = 0; i < n; i++)
			if (eligible(cands[i], &w) && (d = depth_of(cands, n, i, len, &w)) > want)
				want = d;
	/*
	 * Half as much again beyond the deepest: a TCP flow inside that meets the limit backs
	 * off by up to a half and the backlog drains by as much; the slow path still finds
	 * its frames then, instead of carrying only at the peaks of the flow's saw-tooth.
	 */
	want += want / 2 + lo;
	return want > hi ? hi : want;
}

/*
 * The earliest expected delivery among the candidates w allows (express_only: only
 * those; other_group: none on skip's path).
 */
static int
pick(struct sched_cand *const *cands, int n, size_t len, int skip, int need_ready,
     const struct who *w, int express_only, int other_group)
{
	int i, besti = -1;
	uint64_t best = UINT64_MAX, eta;

	for (i = 0; i < n; i++) {
		if (i == skip || (need_ready && !cands[i]->ready) || !eligible(cands[i], w) ||
		    (express_only && !cands[i]->express) ||
		    (other_group && cands[i]->group == cands[skip]->group))
			continue;
		eta = sched_eta_us(cands[i], len);
		if (eta < best) {
			best = eta;
			besti = i;
		}
	}
	return besti;
}

int
sched_pick_ready(struct sched_cand *const *cands, int n, size_t len, int skip)
{
	struct who w = who_of(cands, n);

	return pick(cands, n, len, skip, 1, &w, 0, 0);
}

int
sched_pick_soonest(struct sched_cand *const *cands, int n, size_t len, int skip)
{
	struct who w = who_of(cands, n), any = w;
	int i, other;

	/* an express connection first, any other when none is up; a copy on another path
	 * first, on another connection of the same one when no other path is up */
	any.no_express = 0;
	for (other = skip >= 0; other >= 0; other--) {
		if ((i = pick(cands, n, len, skip, 0, &any, 1, other)) >= 0)
			return i;
		if ((i = pick(cands, n, len, skip, 0, &w, 0, other)) >= 0)
			return i;
	}
	return -1;
}
