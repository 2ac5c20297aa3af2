/*
 * sendq: the window of unacknowledged frames (see sendq.h).
 */
#include "config.h"

#include <stdlib.h>

#include "sendq.h"
#include "util.h"

int
sendq_init(struct sendq *q, uint32_t nslots, size_t slot_size)
{
	uint32_t n = pow2_at_least(nslots);

	q->nslots = n;
	q->slot_size = slot_size;
	q->base = q->next = 0;
	q->mem = malloc((size_t)n * slot_size);
	q->meta = calloc(n, sizeof(*q->meta));
	if (q->mem == NULL || q->meta == NULL) {
		sendq_free(q);
		return -1;
	}
	return 0;
}

void
sendq_free(struct sendq *q)
{
	free(q->mem);
	free(q->meta);
	q->mem = NULL;
	q->meta = NULL;
}

uint8_t *
sendq_slot(struct sendq *q)
{
	if (sendq_count(q) >= q->nslots)
		return NULL;
	return q->mem + (size_t)(q->next & (q->nslots - 1)) * q->slot_size;
}

uint64_t
sendq_push(struct sendq *q, uint32_t len, uint64_t now, uint32_t conn_id)
{
	struct sendq_meta *m = &q->meta[q->next & (q->nslots - 1)];

	m->len = len;
	m->conn_id = conn_id;
	m->sent = now;
	return q->next++;
}

uint8_t *
sendq_get(struct sendq *q, uint64_t seq, struct sendq_meta **meta)
{
	uint32_t i;

	if (seq < q->base || seq >= q->next)
		return NULL;
	i = seq & (q->nslots - 1);
	if (meta != NULL)
		*meta = &q->meta[i];
	return q->mem + (size_t)i * q->slot_size;
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
	return n;
}

void
sendq_reset(struct sendq *q)
{
	q->base = q->next;
}
