/*
 * sendq: the window of unacknowledged frames (see sendq.h).
 *
 * The frames held occupy the ring from the oldest one's offset (the tail) to head, maybe
 * wrapping once past the end. Frames start on cache lines.
 */
#include "config.h"

#include <stdlib.h>

#include "buf.h"
#include "sendq.h"
#include "util.h"

int
sendq_init(struct sendq *q, uint32_t nslots, size_t bytes, size_t frame_max)
{
	q->nslots = pow2_at_least(nslots);
	q->size = cache_align(bytes);
	q->frame_max = frame_max;
	q->head = 0;
	q->base = q->next = 0;
	q->mem = NULL;
	q->meta = NULL;
	if (q->size < frame_max)
		return -1;
	q->mem = mem_zeroed(q->size);
	q->meta = mem_zeroed(q->nslots * sizeof(*q->meta));
	if (q->mem == NULL || q->meta == NULL) {
		sendq_free(q);
		return -1;
	}
	return 0;
}

void
sendq_free(struct sendq *q)
{
	mem_release(q->mem, q->size);
	mem_release(q->meta, q->nslots * sizeof(*q->meta));
	q->mem = NULL;
	q->meta = NULL;
}

/* Where a frame of up to frame_max bytes fits now, or SIZE_MAX. */
static size_t
room_at(const struct sendq *q)
{
	size_t tail;

	if (sendq_count(q) == 0)
		return 0;
	if (sendq_count(q) >= q->nslots)
		return SIZE_MAX;
	tail = q->meta[q->base & (q->nslots - 1)].off;
	if (q->head > tail) { /* held: [tail, head) */
		if (q->head + q->frame_max <= q->size)
			return q->head;
		return q->frame_max <= tail ? 0 : SIZE_MAX; /* wrap to the start */
	}
	/* wrapped, held: [tail, end) and [0, head) */
	return q->head + q->frame_max <= tail ? q->head : SIZE_MAX;
}

uint8_t *
sendq_slot(struct sendq *q)
{
	size_t at = room_at(q);

	return at == SIZE_MAX ? NULL : q->mem + at;
}

uint64_t
sendq_push(struct sendq *q, uint32_t len, uint64_t now, uint32_t conn_id)
{
	struct sendq_meta *m = &q->meta[q->next & (q->nslots - 1)];

	m->off = room_at(q); /* where sendq_slot said: nothing changed since */
	m->len = len;
	m->conn_id = conn_id;
	m->sent = now;
	q->head = cache_align(m->off + len);
	return q->next++;
}

uint8_t *
sendq_get(struct sendq *q, uint64_t seq, struct sendq_meta **meta)
{
	struct sendq_meta *m;

	if (seq < q->base || seq >= q->next)
		return NULL;
	m = &q->meta[seq & (q->nslots - 1)];
	if (meta != NULL)
		*meta = m;
	return q->mem + m->off;
}

long
sendq_ack(struct sendq *q, uint64_t next)
{
	long n;

	if (next > q->next)
		return -1;
	if (next <= q->base)
		return 0;
	n = (long)(next - q->base);
	q->base = next;
	if (sendq_count(q) == 0)
		q->head = 0;
	return n;
}

void
sendq_reset(struct sendq *q)
{
	q->base = q->next;
	q->head = 0;
}

void
sendq_forget(struct sendq *q)
{
	if (sendq_count(q) != 0)
		return;
	mem_forget(q->mem, q->size);
	mem_forget(q->meta, q->nslots * sizeof(*q->meta));
}
