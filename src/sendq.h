/*
 * sendq: the sender's window of sequenced frames not yet acknowledged by the peer.
 *
 * A ring of bytes in which frames sit back to back in seq order, plus a fixed array of
 * bookkeeping entries, one per seq modulo the window's frame count. A packet is read
 * straight into the ring (no copy, no malloc) and stays there until the peer's cumulative
 * ACK passes it, so it can be sent again on another connection when the one that carried it
 * dies; since ACKs release frames oldest first, the ring never fragments. The window is
 * full when it holds its frame count or the ring lacks room for one more frame of the
 * largest size: back pressure, stop reading the source. Small packets and 64 KiB GSO
 * packets share the same bytes, so neither wastes the other's room. Pure: times are passed in.
 */
#ifndef MPTUN_SENDQ_H
#define MPTUN_SENDQ_H

#include <stddef.h>
#include <stdint.h>

struct sendq_meta {
	uint32_t len;     /* frame bytes */
	uint32_t conn_id; /* connection that last carried it */
	uint64_t sent;    /* time of the first send, ns */
	size_t off;       /* where it starts in the ring */
};

struct sendq {
	uint8_t *mem;
	size_t size;      /* ring bytes */
	size_t frame_max; /* the largest frame; sendq_slot offers this much room */
	size_t head;      /* where the next frame would go, unless it must wrap */
	struct sendq_meta *meta;
	uint32_t nslots; /* frames at most; a power of two */
	uint64_t base;   /* oldest seq not acknowledged */
	uint64_t next;   /* next seq to assign */
};

/*
 * A window of at most nslots frames (rounded up to a power of two) in bytes of ring (at
 * least frame_max; rounded up to whole cache lines). -1 on ENOMEM or a ring too small.
 */
int sendq_init(struct sendq *q, uint32_t nslots, size_t bytes, size_t frame_max);
void sendq_free(struct sendq *q);
/* Frames held (sent, not acknowledged). */
static inline uint32_t
sendq_count(const struct sendq *q)
{
	return (uint32_t)(q->next - q->base);
}
/* Room for the next frame (frame_max bytes), or NULL while the window is full. */
uint8_t *sendq_slot(struct sendq *q);
/* Assign the next seq to the frame of len bytes written into sendq_slot(); return the seq. */
uint64_t sendq_push(struct sendq *q, uint32_t len, uint64_t now, uint32_t conn_id);
/* The frame of seq, or NULL if it is not held; *meta (optional) gets its bookkeeping. */
uint8_t *sendq_get(struct sendq *q, uint64_t seq, struct sendq_meta **meta);
/*
 * The peer has everything below next: release it. Returns frames released, or -1 if next is
 * beyond what was ever sent (a lying peer; nothing changes).
 */
long sendq_ack(struct sendq *q, uint64_t next);
/* Drop everything held (the peer restarted); seqs continue from q->next. */
void sendq_reset(struct sendq *q);
/* Empty: give the ring's and the table's pages back to the kernel (an idle session). */
void sendq_forget(struct sendq *q);

#endif
