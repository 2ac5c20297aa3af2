/*
 * sendq: the sender's window of sequenced frames not yet acknowledged by the peer.
 *
 * A fixed array of slots, one per seq modulo the window size, each large enough for one
 * whole frame: a packet is read straight into its slot (no copy, no malloc) and stays there
 * until the peer's cumulative ACK passes it, so it can be sent again on another connection
 * when the one that carried it dies. A full window is back pressure: stop reading the source.
 * Pure: times are passed in.
 */
#ifndef MPTUN_SENDQ_H
#define MPTUN_SENDQ_H

#include <stddef.h>
#include <stdint.h>

struct sendq_meta {
	uint32_t len;     /* frame bytes in the slot */
	uint32_t conn_id; /* connection that last carried it */
	uint64_t sent;    /* time of the first send, ns */
};

struct sendq {
	uint8_t *mem;
	struct sendq_meta *meta;
	size_t slot_size;
	uint32_t nslots; /* a power of two */
	uint64_t base;   /* oldest seq not acknowledged */
	uint64_t next;   /* next seq to assign */
};

/* nslots is rounded up to a power of two. -1 on ENOMEM. */
int sendq_init(struct sendq *q, uint32_t nslots, size_t slot_size);
void sendq_free(struct sendq *q);
/* Frames held (sent, not acknowledged). */
static inline uint32_t
sendq_count(const struct sendq *q)
{
	return (uint32_t)(q->next - q->base);
}
/* The slot for the next seq, or NULL while the window is full. */
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

#endif
