/*
 * reorder: the receiver's buffer that restores the sender's order.
 *
 * Frames arrive over several connections; each connection keeps its own order, the session
 * order is restored here. The caller delivers an in-order frame straight from its input
 * (reorder_put says so) and only frames ahead of a gap are copied. The window (frames) equals
 * the sender's, so a seq outside it is a protocol violation. Deciding when a gap is given up
 * is the caller's policy (reorder_skip / reorder_skip_to). Pure.
 *
 * Held frames are copied into a ring of bytes in arrival order, each behind a small header;
 * a delivered frame is marked free and the ring's tail moves past free frames only, so a
 * frame held long keeps the bytes after it. Frames arrive nearly in seq order and the
 * sender's window bounds the bytes of any window's worth of seqs, so twice the sender's
 * bytes always suffice; a peer that overruns that breaks the protocol (REORDER_FULL).
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
	REORDER_TOOBIG,  /* larger than the largest frame */
	REORDER_FULL,    /* no room left to hold it: the peer overran its window */
	REORDER_EARLY,   /* an unordered frame ahead of a gap: deliver it now, then reorder_early */
};

/* A held frame: where its bytes are (0 len: not held), or one delivered ahead of order. */
struct reorder_slot {
	size_t off;
	uint32_t len;
	uint8_t early; /* delivered already: passed over when order reaches it */
};

struct reorder {
	uint8_t *mem;
	size_t size;       /* ring bytes */
	size_t frame_max;  /* the largest frame */
	size_t head, tail; /* the ring holds [tail, head), maybe wrapping */
	size_t used;       /* bytes between tail and head, padding included */
	struct reorder_slot *slot; /* per seq modulo nslots */
	uint32_t nslots;   /* a power of two */
	uint64_t next;     /* next seq to deliver */
	uint32_t held;     /* frames held, and seqs delivered early */
	int written;       /* a slot was written since the last reset */
};

/* A window of nslots seqs (rounded up to a power of two), frames of at most frame_max bytes
 * held in a ring of bytes (rounded up to whole cache lines). -1 on ENOMEM or too small. */
int reorder_init(struct reorder *r, uint32_t nslots, size_t bytes, size_t frame_max);
void reorder_free(struct reorder *r);
/* Forget everything and expect next (the peer restarted). */
void reorder_reset(struct reorder *r, uint64_t next);
/* Nothing held: give the ring's and the slots' pages back to the kernel (an idle session). */
void reorder_forget(struct reorder *r);
/* Classify seq; store a copy when it must wait. */
enum reorder_verdict reorder_put(struct reorder *r, uint64_t seq, const uint8_t *p, size_t len);
/*
 * Classify seq of a frame that may be delivered out of order (a small packet of its own
 * flow): REORDER_EARLY when it is ahead of a gap (deliver it now, then reorder_early), else
 * as reorder_put but without holding a copy (REORDER_HELD is never said).
 */
enum reorder_verdict reorder_put_unordered(struct reorder *r, uint64_t seq);
/* seq, ahead of r->next, was delivered: order passes over it when it gets there. */
void reorder_early(struct reorder *r, uint64_t seq);
/* Copy the frame at r->next after all (the channel could not take it now). -1: no room. */
int reorder_keep(struct reorder *r, const uint8_t *p, size_t len);
/* The frame at r->next has been delivered: move past it, and past seqs delivered early. */
void reorder_advance(struct reorder *r);
/* The held frame that is next in order, or NULL (r->next is a gap). */
const uint8_t *reorder_peek(const struct reorder *r, size_t *len);
/* Give up the gap at r->next: move to the first held seq. Returns seqs skipped (0 if none held). */
uint64_t reorder_skip(struct reorder *r);
/* Nothing below seq will come: move next up to seq, releasing held frames below it
 * (they are dropped: the caller delivers held frames first). Returns seqs skipped. */
uint64_t reorder_skip_to(struct reorder *r, uint64_t seq);

#endif
