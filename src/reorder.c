/*
 * reorder: restore the session order (see reorder.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "reorder.h"
#include "util.h"

int
reorder_init(struct reorder *r, uint32_t nslots, size_t slot_size)
{
	uint32_t n = pow2_at_least(nslots);

	r->nslots = n;
	r->slot_size = slot_size;
	r->mem = malloc((size_t)n * slot_size);
	r->len = calloc(n, sizeof(*r->len));
	if (r->mem == NULL || r->len == NULL) {
		reorder_free(r);
		return -1;
	}
	reorder_reset(r, 0);
	return 0;
}

void
reorder_free(struct reorder *r)
{
	free(r->mem);
	free(r->len);
	r->mem = NULL;
	r->len = NULL;
}

void
reorder_reset(struct reorder *r, uint64_t next)
{
	memset(r->len, 0, r->nslots * sizeof(*r->len));
	r->held = 0;
	r->next = next;
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
	if (seq == r->next && r->len[i] == 0)
		return REORDER_DELIVER;
	if (r->len[i] != 0)
		return REORDER_DUP;
	if (len > r->slot_size || len == 0)
		return REORDER_TOOBIG;
	memcpy(r->mem + (size_t)i * r->slot_size, p, len);
	r->len[i] = (uint32_t)len;
	r->held++;
	return REORDER_HELD;
}

int
reorder_keep(struct reorder *r, const uint8_t *p, size_t len)
{
	uint32_t i = r->next & (r->nslots - 1);

	if (len > r->slot_size || len == 0 || r->len[i] != 0)
		return -1;
	memcpy(r->mem + (size_t)i * r->slot_size, p, len);
	r->len[i] = (uint32_t)len;
	r->held++;
	return 0;
}

static void
release(struct reorder *r, uint64_t seq)
{
	uint32_t i = seq & (r->nslots - 1);

	if (r->len[i] != 0) {
		r->len[i] = 0;
		r->held--;
	}
}

void
reorder_advance(struct reorder *r)
{
	release(r, r->next);
	r->next++;
}

const uint8_t *
reorder_peek(const struct reorder *r, size_t *len)
{
	uint32_t i = r->next & (r->nslots - 1);

	if (r->len[i] == 0)
		return NULL;
	*len = r->len[i];
	return r->mem + (size_t)i * r->slot_size;
}

uint64_t
reorder_skip(struct reorder *r)
{
	uint64_t seq;

	if (r->held == 0)
		return 0;
	for (seq = r->next; r->len[seq & (r->nslots - 1)] == 0; seq++)
		;
	return reorder_skip_to(r, seq);
}

uint64_t
reorder_skip_to(struct reorder *r, uint64_t seq)
{
	uint64_t n = 0;

	while (r->next < seq && r->held > 0) {
		release(r, r->next);
		r->next++;
		n++;
	}
	if (r->next < seq) {
		n += seq - r->next;
		r->next = seq;
	}
	return n;
}
