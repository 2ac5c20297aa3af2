/*
 * sched: path choice by back pressure (see sched.h).
 *
 * The estimate: a packet given to a connection is delivered after everything queued ahead
 * of it has drained at the connection's rate, plus half the unloaded RTT for the last byte to
 * cross. "Ahead of it" includes bytes already sent that wait in a bottleneck's queue (a
 * rate-limited link fed by a TCP that fills it): those in flight beyond what the unloaded RTT
 * holds at that rate. The smoothed RTT alone would see that queue late and only half.
 * An unknown rate (a fresh connection) counts as SCHED_RATE_GUESS so it gets tried.
 */
#include "config.h"

#include "sched.h"

#define SCHED_RATE_GUESS    (1250000ULL) /* 10 Mbit/s in bytes per second */
#define SCHED_WAIT_SLACK_US 1000
#define SCHED_WAIT_RATIO    8

static uint64_t
rate_of(const struct sched_cand *c)
{
	return c->rate ? c->rate : SCHED_RATE_GUESS;
}

uint64_t
sched_eta_us(const struct sched_cand *c, size_t len)
{
	uint64_t rate = rate_of(c);
	uint64_t base = c->min_rtt_us ? c->min_rtt_us : c->rtt_us;
	uint64_t drain = c->inflight * 1000000ULL / rate;

	return (c->queued + len) * 1000000ULL / rate + (drain > base ? drain - base : 0) + base / 2;
}

static int
primary_up(struct sched_cand *const *cands, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (cands[i]->up && !cands[i]->backup)
			return 1;
	return 0;
}

/* Is c better than best for this policy? */
static int
better(enum conf_sched policy, const struct sched_cand *c, uint64_t eta,
       const struct sched_cand *best, uint64_t best_eta)
{
	if (best == NULL)
		return 1;
	if (policy == SCHED_ORDERED && c->priority != best->priority)
		return c->priority < best->priority;
	return eta < best_eta;
}

static int
pick(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len, int skip,
     int room)
{
	int no_backup = primary_up(cands, n);
	const struct sched_cand *best = NULL;
	uint64_t best_eta = 0, eta;
	int i, besti = -1;

	for (i = 0; i < n; i++) {
		const struct sched_cand *c = cands[i];

		if (i == skip || !(room ? c->room : c->ready) || (no_backup && c->backup))
			continue;
		eta = sched_eta_us(c, len);
		if (better(policy, c, eta, best, best_eta)) {
			best = c;
			best_eta = eta;
			besti = i;
		}
	}
	return besti;
}

/*
 * Is waiting better than cands[i]? For balance and redundant: when a connection that cannot
 * take the packet now (not ready, or full), at least SCHED_WAIT_RATIO times faster, would
 * still deliver it more than SCHED_WAIT_SLACK_US sooner. A path too slow for the load (a
 * 5 Mbit/s link beside 200 Mbit/s ones) thus carries only what it delivers in time; given
 * more, it would hold up everything sent after it in the peer's reorder buffer. Between
 * paths of like rates, where estimates err by a factor of two or three (a relay's buffers
 * make its path look faster), the ready one takes it, as waiting would starve a path whose
 * estimate is low of the traffic that would correct it. So would judging a path slow on
 * its cwnd / RTT stand-in (on an idle connection to a relay that delays its ACKs it reads
 * far below the link) or on a single measurement (one taken while a relay on a busy
 * machine stalled for a moment; the estimate grows back only slowly). The faster one may
 * rest on its stand-in: that errs high, and waiting fills the connection, so it gets
 * measured. The slack keeps near ties from making the sender wait.
 */
static int
sooner_elsewhere(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len, int i)
{
	int no_backup = primary_up(cands, n);
	uint64_t eta = sched_eta_us(cands[i], len);
	int j;

	if (policy == SCHED_ORDERED || !cands[i]->measured)
		return 0;
	for (j = 0; j < n; j++) {
		const struct sched_cand *c = cands[j];

		if (j != i && c->up && !(no_backup && c->backup) &&
		    rate_of(c) >= SCHED_WAIT_RATIO * rate_of(cands[i]) &&
		    sched_eta_us(c, len) + SCHED_WAIT_SLACK_US < eta)
			return 1;
	}
	return 0;
}

int
sched_pick(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len)
{
	int i = pick(policy, cands, n, len, -1, 0);

	return i >= 0 && sooner_elsewhere(policy, cands, n, len, i) ? -1 : i;
}

int
sched_pick_room(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len)
{
	int i = pick(SCHED_BALANCE, cands, n, len, -1, 1);

	return i >= 0 && sooner_elsewhere(policy, cands, n, len, i) ? -1 : i;
}

int
sched_pick_ready(struct sched_cand *const *cands, int n, size_t len, int skip)
{
	return pick(SCHED_BALANCE, cands, n, len, skip, 0);
}
