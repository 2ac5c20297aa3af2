/*
 * playout: release datagrams at the pace they were sent (see playout.h).
 *
 * Stamps and (arrival - stamp) offsets are 32-bit microsecond counters that wrap every 71
 * minutes: they are only ever compared through their signed difference, which is right
 * as long as the two lie within 35 minutes of each other (PLAYOUT_RESYNC keeps them far
 * closer).
 */
#include "config.h"

#include <string.h>

#include "playout.h"

/* a before b, on a wrapping 32-bit clock */
static int
before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

int
playout_init(struct playout *p, uint64_t delay, size_t bytes)
{
	memset(p, 0, sizeof(*p));
	p->delay = delay;
	return bq_init(&p->q, bytes);
}

void
playout_free(struct playout *p)
{
	bq_free(&p->q);
	p->count = 0;
}

void
playout_resync(struct playout *p)
{
	p->synced = 0;
}

/*
 * Learn from one datagram's offset d = arrival - stamp: keep the lowest of this epoch and
 * the last, and move the base towards it at the slew rate.
 */
static void
track(struct playout *p, uint64_t now, uint32_t d)
{
	uint32_t target;
	uint64_t step;
	int32_t off = (int32_t)(d - p->base);

	if (!p->synced || off > PLAYOUT_RESYNC || off < -PLAYOUT_RESYNC) {
		/* the first datagram, or the clocks changed under us: start from this one */
		p->base = p->min_prev = p->min_cur = d;
		p->epoch_at = p->slew_at = now;
		p->synced = 1;
		return;
	}
	if (now - p->epoch_at >= 2 * (uint64_t)PLAYOUT_EPOCH) {
		/* a long silence: the old minima say nothing about the paths of now */
		p->min_prev = p->min_cur = d;
		p->epoch_at = now;
	} else if (now - p->epoch_at >= PLAYOUT_EPOCH) {
		p->min_prev = p->min_cur;
		p->min_cur = d;
		p->epoch_at = now;
	}
	if (before(d, p->min_cur))
		p->min_cur = d;
	target = before(p->min_prev, p->min_cur) ? p->min_prev : p->min_cur;
	/* whole microseconds of slew; the remainder of the time stays for the next datagram */
	step = (now - p->slew_at) / PLAYOUT_SLEW;
	p->slew_at += step * PLAYOUT_SLEW;
	off = (int32_t)(target - p->base);
	if (off > 0 && (uint64_t)off > step)
		p->base += (uint32_t)step;
	else if (off < 0 && (uint64_t)(-(int64_t)off) > step)
		p->base -= (uint32_t)step;
	else
		p->base = target;
}

enum playout_verdict
playout_put(struct playout *p, uint64_t now, uint32_t stamp, const uint8_t *d, size_t len)
{
	struct wr w;
	uint8_t *slot;
	uint64_t at;
	int64_t extra;

	track(p, now, (uint32_t)now - stamp);
	/* how much longer than the base this one took; negative: faster */
	extra = (int32_t)((uint32_t)now - stamp - p->base);
	if (extra > (int64_t)p->delay)
		return PLAYOUT_LATE;
	at = now + p->delay - (uint64_t)extra;
	if (at < p->last_at)
		at = p->last_at;
	if (len > UINT32_MAX - PLAYOUT_ENTRY_HDR ||
	    (slot = bq_reserve(&p->q, PLAYOUT_ENTRY_HDR + len)) == NULL)
		return PLAYOUT_FULL;
	wr_init(&w, slot, PLAYOUT_ENTRY_HDR + len);
	wr_u64(&w, at);
	wr_u32(&w, (uint32_t)len);
	wr_bytes(&w, d, len);
	bq_commit(&p->q, w.off);
	p->last_at = at;
	p->count++;
	return PLAYOUT_QUEUED;
}

/* The first entry's release time and length; -1 when empty. */
static int
head(const struct playout *p, uint64_t *at, uint32_t *len)
{
	struct rd r;

	if (p->count == 0)
		return -1;
	rd_init(&r, bq_start(&p->q), bq_len(&p->q));
	rd_u64(&r, at);
	rd_u32(&r, len);
	return r.err || rd_left(&r) < *len ? -1 : 0;
}

int
playout_next(const struct playout *p, uint64_t *at)
{
	uint32_t len;

	return head(p, at, &len);
}

const uint8_t *
playout_peek(const struct playout *p, uint64_t now, size_t *len)
{
	uint64_t at;
	uint32_t l;

	if (head(p, &at, &l) == -1 || at > now)
		return NULL;
	*len = l;
	return bq_start(&p->q) + PLAYOUT_ENTRY_HDR;
}

void
playout_pop(struct playout *p)
{
	uint64_t at;
	uint32_t len;

	if (head(p, &at, &len) == -1)
		return;
	bq_consume(&p->q, PLAYOUT_ENTRY_HDR + len);
	p->count--;
}
