/*
 * reorder: restore the session order (see reorder.h).
 *
 * Ring layout: every held frame is a header (its total size and whether it is still held)
 * and its bytes, rounded up to a cache line. When a frame does not fit before the end of
 * the ring, the rest of the ring becomes a free pad and the frame goes to the start.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reorder.h"
#include "util.h"

struct hdr {
	uint32_t size; /* header, frame and padding */
	uint32_t live; /* still held */
};

#define HDR_LEN CACHE_LINE /* frames start on a cache line too */

int
reorder_init(struct reorder *r, uint32_t nslots, size_t bytes, size_t frame_max)
{
	r->nslots = pow2_at_least(nslots);
	r->size = cache_align(bytes);
	r->frame_max = frame_max;
	r->mem = NULL;
	r->slot = NULL;
	if (r->size < HDR_LEN + cache_align(frame_max) || r->size > UINT32_MAX)
		return -1;
	r->mem = mem_zeroed(r->size);
	r->slot = mem_zeroed(r->nslots * sizeof(*r->slot));
	r->written = 0;
	if (r->mem == NULL || r->slot == NULL) {
		reorder_free(r);
		return -1;
	}
	reorder_reset(r, 0);
	return 0;
}

void
reorder_free(struct reorder *r)
{
	mem_release(r->mem, r->size);
	mem_release(r->slot, r->nslots * sizeof(*r->slot));
	r->mem = NULL;
	r->slot = NULL;
}

void
reorder_reset(struct reorder *r, uint64_t next)
{
	/* slots never written are zero still: a quiet session keeps them untouched */
	if (r->written)
		memset(r->slot, 0, r->nslots * sizeof(*r->slot));
	r->written = 0;
	r->held = 0;
	r->next = next;
	r->head = r->tail = r->used = 0;
}

void
reorder_forget(struct reorder *r)
{
	/* with nothing held every slot is zero again: the kernel's zero pages are the same */
	if (r->held != 0)
		return;
	mem_forget(r->mem, r->size);
	mem_forget(r->slot, r->nslots * sizeof(*r->slot));
	r->head = r->tail = r->used = 0;
	r->written = 0;
}

static struct hdr *
hdr_at(const struct reorder *r, size_t off)
{
	return (struct hdr *)(void *)(r->mem + off);
}

/* Room for need bytes at the head, marking the end of the ring as padding when it wraps. */
static size_t
ring_alloc(struct reorder *r, size_t need)
{
	size_t at;

	if (r->used == 0)
		r->head = r->tail = 0;
	if (r->used == 0 || r->head > r->tail) {
		if (r->head + need <= r->size) {
			at = r->head;
		} else if (need <= r->tail) {
			if (r->head < r->size) {
				*hdr_at(r, r->head) = (struct hdr){ (uint32_t)(r->size - r->head), 0 };
				r->used += r->size - r->head;
			}
			at = 0;
		} else {
			return SIZE_MAX;
		}
	} else if (r->head + need <= r->tail) {
		at = r->head;
	} else {
		return SIZE_MAX;
	}
	*hdr_at(r, at) = (struct hdr){ (uint32_t)need, 1 };
	r->head = at + need;
	r->used += need;
	return at + HDR_LEN;
}

/* The frame at off is no longer held: move the tail past every free frame. */
static void
ring_release(struct reorder *r, size_t off)
{
	struct hdr *h;

	hdr_at(r, off - HDR_LEN)->live = 0;
	while (r->used > 0) {
		h = hdr_at(r, r->tail);
		if (h->live)
			break;
		r->used -= h->size;
		r->tail += h->size;
		if (r->tail == r->size)
			r->tail = 0;
	}
}

static int
hold(struct reorder *r, uint64_t seq, const uint8_t *p, size_t len)
{
	struct reorder_slot *sl = &r->slot[seq & (r->nslots - 1)];
	size_t at = ring_alloc(r, HDR_LEN + cache_align(len));

	if (at == SIZE_MAX)
		return -1;
	r->written = 1;
	memcpy(r->mem + at, p, len);
	sl->off = at;
	sl->len = (uint32_t)len;
	r->held++;
	return 0;
}

enum reorder_verdict
reorder_put(struct reorder *r, uint64_t seq, const uint8_t *p, size_t len)
{
	uint32_t i;

	if (seq < r->next)
		return REORDER_DUP;
	if (seq - r->next >= r->nslots)
		return REORDER_BEYOND;
	i = seq & (r->nslots - 1);
	if (seq == r->next && r->slot[i].len == 0)
		return REORDER_DELIVER;
	if (r->slot[i].len != 0 || r->slot[i].early)
		return REORDER_DUP;
	if (len > r->frame_max || len == 0)
		return REORDER_TOOBIG;
	return hold(r, seq, p, len) == 0 ? REORDER_HELD : REORDER_FULL;
}

enum reorder_verdict
reorder_put_unordered(struct reorder *r, uint64_t seq)
{
	const struct reorder_slot *sl = &r->slot[seq & (r->nslots - 1)];

	if (seq < r->next || sl->len != 0 || sl->early)
		return REORDER_DUP;
	if (seq - r->next >= r->nslots)
		return REORDER_BEYOND;
	return seq == r->next ? REORDER_DELIVER : REORDER_EARLY;
}

void
reorder_early(struct reorder *r, uint64_t seq)
{
	r->slot[seq & (r->nslots - 1)].early = 1;
	r->written = 1;
	r->held++;
}

int
reorder_keep(struct reorder *r, const uint8_t *p, size_t len)
{
	if (len > r->frame_max || len == 0 || r->slot[r->next & (r->nslots - 1)].len != 0)
		return -1;
	return hold(r, r->next, p, len);
}

static void
release(struct reorder *r, uint64_t seq)
{
	struct reorder_slot *sl = &r->slot[seq & (r->nslots - 1)];

	if (sl->len != 0) {
		ring_release(r, sl->off);
		sl->len = 0;
		r->held--;
	}
	if (sl->early) {
		sl->early = 0;
		r->held--;
	}
}

/* Move past seqs delivered early at r->next. */
static void
pass_early(struct reorder *r)
{
	while (r->slot[r->next & (r->nslots - 1)].early)
		release(r, r->next++);
}

void
reorder_advance(struct reorder *r)
{
	release(r, r->next);
	r->next++;
	pass_early(r);
}

const uint8_t *
reorder_peek(const struct reorder *r, size_t *len)
{
	const struct reorder_slot *sl = &r->slot[r->next & (r->nslots - 1)];

	if (sl->len == 0)
		return NULL;
	*len = sl->len;
	return r->mem + sl->off;
}

uint64_t
reorder_skip(struct reorder *r)
{
	uint64_t seq;

	if (r->held == 0)
		return 0;
	for (seq = r->next; r->slot[seq & (r->nslots - 1)].len == 0 &&
			    !r->slot[seq & (r->nslots - 1)].early;
	     seq++)
		;
	return reorder_skip_to(r, seq);
}

uint64_t
reorder_skip_to(struct reorder *r, uint64_t seq)
{
	uint64_t n = 0;

	while (r->next < seq && r->held > 0) {
		n += !r->slot[r->next & (r->nslots - 1)].early; /* those were delivered */
		release(r, r->next);
		r->next++;
	}
	if (r->next < seq) {
		n += seq - r->next;
		r->next = seq;
	}
	pass_early(r);
	return n;
}
