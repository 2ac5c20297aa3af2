/*
 * reorder: the receiver's buffer that restores the sender's order.
 *
 * Frames arrive over several connections; each connection keeps its own order, the session
 * order is restored here. The caller delivers an in-order frame straight from its input
 * (reorder_put says so) and only frames ahead of a gap are copied into a slot. The window
 * equals the sender's, so a frame that does not fit is a protocol violation. Deciding when a
 * gap is given up is the caller's policy (reorder_skip / reorder_skip_to). Pure.
 */
#ifndef MPTUN_REORDER_H
#define MPTUN_REORDER_H

#include <stddef.h>
#include <stdint.h>

enum reorder_verdict {
	REORDER_DELIVER, /* seq is the next one: deliver it now, then reorder_advance */
	REORDER_HELD,    /* copied; it waits for the gap before it */
	REORDER_DUP,     /* already delivered or already held: drop */
	REORDER_BEYOND,  /* outside the window: the peer broke the protocol */
	REORDER_TOOBIG,  /* larger than a slot */
};

struct reorder {
	uint8_t *mem;
	uint32_t *len; /* 0: slot empty */
	size_t slot_size;
	uint32_t nslots; /* a power of two */
	uint64_t next;   /* next seq to deliver */
	uint32_t held;   /* slots in use */
};

int reorder_init(struct reorder *r, uint32_t nslots, size_t slot_size);
void reorder_free(struct reorder *r);
/* Forget everything and expect next (the peer restarted). */
void reorder_reset(struct reorder *r, uint64_t next);
/* Classify seq; store a copy when it must wait. */
enum reorder_verdict reorder_put(struct reorder *r, uint64_t seq, const uint8_t *p, size_t len);
/* Copy the frame at r->next into its slot after all (the channel could not take it now). */
int reorder_keep(struct reorder *r, const uint8_t *p, size_t len);
/* The frame at r->next has been delivered: move past it. */
void reorder_advance(struct reorder *r);
/* The held frame that is next in order, or NULL. */
const uint8_t *reorder_peek(const struct reorder *r, size_t *len);
/* Give up the gap at r->next: move to the first held seq. Returns seqs skipped (0 if none held). */
uint64_t reorder_skip(struct reorder *r);
/* Nothing below seq will come: move next up to seq, releasing held frames below it
 * (they are dropped: the caller delivers held frames first). Returns seqs skipped. */
uint64_t reorder_skip_to(struct reorder *r, uint64_t seq);

#endif
