/*
 * buf: bounds-checked readers and writers for wire bytes, and a bounded byte queue.
 *
 * Every byte that comes from the network is read through a struct rd: a read past the end
 * fails (returns -1) and latches rd.err, so a parser can read a whole header and check once.
 * Nothing here allocates except bq_init and mem_zeroed; nothing casts a struct over bytes.
 */
#ifndef MPTUN_BUF_H
#define MPTUN_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

struct wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	int err;
};

/* Start reading len bytes at p. */
void rd_init(struct rd *r, const void *p, size_t len);
/* Bytes not yet read. */
size_t rd_left(const struct rd *r);
/* Read big-endian integers; -1 (and r->err set) when too short. */
int rd_u8(struct rd *r, uint8_t *v);
int rd_u16(struct rd *r, uint16_t *v);
int rd_u32(struct rd *r, uint32_t *v);
int rd_u64(struct rd *r, uint64_t *v);
/* Copy n bytes out. */
int rd_bytes(struct rd *r, void *out, size_t n);
/* Point at the next n bytes without copying. */
int rd_ptr(struct rd *r, const uint8_t **out, size_t n);

void wr_init(struct wr *w, void *p, size_t cap);
int wr_u8(struct wr *w, uint8_t v);
int wr_u16(struct wr *w, uint16_t v);
int wr_u32(struct wr *w, uint32_t v);
int wr_u64(struct wr *w, uint64_t v);
int wr_bytes(struct wr *w, const void *p, size_t n);

/*
 * A byte queue with a fixed capacity: data lives in [head, tail) of one allocation and is
 * moved to the front when space at the end runs short. Used for socket input and output.
 */
struct bq {
	uint8_t *data;
	size_t cap;
	size_t head;
	size_t tail;
	size_t high; /* the furthest tail since the queue was last empty */
};

/*
 * A queue's memory comes from mem_zeroed: only the bytes a burst reached are resident.
 * When it empties after a burst that reached past BQ_KEEP, the pages beyond go back to the
 * kernel, so a connection that once carried megabytes costs, idle, what an idle one does.
 */
#define BQ_KEEP (64 * 1024)

/* Allocate cap bytes; -1 on ENOMEM. */
int bq_init(struct bq *q, size_t cap);

/*
 * n zeroed bytes straight from the kernel (an anonymous mapping): a page costs memory only
 * once written, and all of it goes back at mem_release. For a session's rings and tables,
 * sized for a full window but barely touched by a quiet peer: a server holds one set per
 * peer. NULL on ENOMEM.
 */
void *mem_zeroed(size_t n);
/* Release what mem_zeroed gave (n: the same size); NULL is a no-op. */
void mem_release(void *p, size_t n);
/* Give back the pages of [p, p + n) that lie wholly inside it: they read as zero after. */
void mem_forget(void *p, size_t n);
void bq_free(struct bq *q);
static inline size_t
bq_len(const struct bq *q)
{
	return q->tail - q->head;
}
static inline uint8_t *
bq_start(const struct bq *q)
{
	return q->data + q->head;
}
/* Room that can be made at the end (after compaction). */
static inline size_t
bq_room(const struct bq *q)
{
	return q->cap - bq_len(q);
}
/* Make at least n contiguous bytes free at the tail and return a pointer to them, or NULL. */
uint8_t *bq_reserve(struct bq *q, size_t n);
/* Mark n bytes at the tail as written (after bq_reserve). */
void bq_commit(struct bq *q, size_t n);
/* Drop n bytes from the head. */
void bq_consume(struct bq *q, size_t n);
/* Append bytes; -1 if they do not fit. */
int bq_append(struct bq *q, const void *p, size_t n);
void bq_reset(struct bq *q);

#endif
