/*
 * sched: path choice by back pressure (see sched.h).
 *
 * The estimate: a packet given to a connection is delivered after everything queued ahead
 * of it has drained at the connection's rate, plus half the RTT for the last byte to cross.
 * An unknown rate (a fresh connection) counts as SCHED_RATE_GUESS so it gets tried.
 */
#include "config.h"

#include "sched.h"

#define SCHED_RATE_GUESS (1250000ULL) /* 10 Mbit/s in bytes per second */

uint64_t
sched_eta_us(const struct sched_cand *c, size_t len)
{
	uint64_t rate = c->rate ? c->rate : SCHED_RATE_GUESS;

	return (c->queued + len) * 1000000ULL / rate + c->rtt_us / 2;
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

int
sched_pick(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len)
{
	return pick(policy, cands, n, len, -1, 0);
}

int
sched_pick_room(struct sched_cand *const *cands, int n, size_t len)
{
	return pick(SCHED_BALANCE, cands, n, len, -1, 1);
}

int
sched_pick_other(struct sched_cand *const *cands, int n, size_t len, int skip)
{
	return pick(SCHED_BALANCE, cands, n, len, skip, 0);
}
