/*
 * imp: the impairment model (see imp.h). The queue is virtual: a direction only remembers
 * when its serializer falls idle, so the backlog at any instant is that remaining time
 * times the rate. A frame that fits is given its departure (end of its serialization plus
 * the propagation delay and jitter); the caller holds it in a delay heap until then.
 */
#include "config.h"

#include "imp.h"

void
imp_params_clear(struct imp_params *p)
{
	*p = (struct imp_params){.loss_model = IMP_LOSS_NONE, .ge_bad = 1.0};
}

void
imp_state_init(struct imp_state *s, uint64_t seed)
{
	*s = (struct imp_state){0};
	rng_seed(&s->rng, seed);
}

void
imp_reseed(struct imp_state *s, uint64_t seed)
{
	rng_seed(&s->rng, seed);
	s->ge_bad_state = 0;
}

static int
draw_loss(const struct imp_params *p, struct imp_state *s)
{
	switch (p->loss_model) {
	case IMP_LOSS_RANDOM:
		return rng_chance(&s->rng, p->loss);
	case IMP_LOSS_GE:
		/* move first, then lose according to the state the packet meets */
		if (s->ge_bad_state)
			s->ge_bad_state = !rng_chance(&s->rng, p->ge_r);
		else
			s->ge_bad_state = rng_chance(&s->rng, p->ge_p);
		return rng_chance(&s->rng, s->ge_bad_state ? p->ge_bad : p->ge_good);
	case IMP_LOSS_NONE:
		break;
	}
	return 0;
}

static int64_t
draw_jitter(const struct imp_params *p, struct imp_state *s)
{
	if (p->jitter_ns == 0)
		return 0;
	return (int64_t)rng_below(&s->rng, 2 * p->jitter_ns + 1) - (int64_t)p->jitter_ns;
}

void
imp_draw(const struct imp_params *p, struct imp_state *s, size_t len, struct imp_draw *d)
{
	*d = (struct imp_draw){.verdict = IMP_PASS};
	if (p->blackhole) {
		d->verdict = IMP_DROP_BLACKHOLE;
		return;
	}
	/* every draw below happens whatever the outcome, so the stream stays aligned */
	if (draw_loss(p, s))
		d->verdict = IMP_DROP_LOSS;
	if (p->dup > 0)
		d->dup = rng_chance(&s->rng, p->dup);
	if (p->corrupt > 0) {
		d->corrupt = rng_chance(&s->rng, p->corrupt);
		d->corrupt_off =
			IMP_L2_LEN + rng_below(&s->rng, len > IMP_L2_LEN ? len - IMP_L2_LEN : 0);
		d->corrupt_bit = (int)rng_below(&s->rng, 8);
		if (len <= IMP_L2_LEN)
			d->corrupt = 0;
	}
	d->jitter_ns = draw_jitter(p, s);
	if (d->dup)
		d->dup_jitter_ns = draw_jitter(p, s);
	if (d->verdict != IMP_PASS) {
		d->dup = 0;
		d->corrupt = 0;
	}
}

uint64_t
imp_queue_limit(const struct imp_params *p)
{
	uint64_t ns, bytes;

	if (p->queue_bytes)
		return p->queue_bytes;
	ns = p->queue_ns ? p->queue_ns : IMP_DEFAULT_QUEUE_NS;
	bytes = (uint64_t)((unsigned __int128)p->rate_bps * ns / 8 / IMP_NS_PER_SEC);
	return bytes < IMP_MIN_QUEUE_BYTES ? IMP_MIN_QUEUE_BYTES : bytes;
}

uint64_t
imp_backlog(const struct imp_params *p, const struct imp_state *s, uint64_t now)
{
	if (p->rate_bps == 0 || s->busy_until <= now)
		return 0;
	return (uint64_t)((unsigned __int128)(s->busy_until - now) * p->rate_bps / 8 /
			  IMP_NS_PER_SEC);
}

int
imp_admit(const struct imp_params *p, struct imp_state *s, uint64_t now, size_t len,
	  int64_t jitter_ns, uint64_t *depart)
{
	uint64_t t = now, bytes;
	int64_t delay;

	if (p->rate_bps) {
		/* the rate counts IP bytes: the Ethernet header is not on the emulated wire */
		bytes = len > IMP_L2_LEN ? len - IMP_L2_LEN : len;
		if (imp_backlog(p, s, now) + bytes > imp_queue_limit(p))
			return -1;
		if (s->busy_until > t)
			t = s->busy_until;
		t += (uint64_t)((unsigned __int128)bytes * 8 * IMP_NS_PER_SEC / p->rate_bps);
		s->busy_until = t;
	}
	delay = (int64_t)p->delay_ns + jitter_ns;
	if (delay > 0)
		t += (uint64_t)delay;
	if (!p->reorder) {
		if (t < s->last_depart)
			t = s->last_depart;
		s->last_depart = t;
	}
	*depart = t;
	return 0;
}
