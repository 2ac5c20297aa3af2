/*
 * buf: bounds-checked wire readers/writers and the bounded byte queue (see buf.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"

void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

size_t
rd_left(const struct rd *r)
{
	return r->len - r->off;
}

int
rd_ptr(struct rd *r, const uint8_t **out, size_t n)
{
	if (r->err || rd_left(r) < n) {
		r->err = 1;
		return -1;
	}
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

int
rd_bytes(struct rd *r, void *out, size_t n)
{
	const uint8_t *p;

	if (rd_ptr(r, &p, n) == -1)
		return -1;
	memcpy(out, p, n);
	return 0;
}

static int
rd_be(struct rd *r, uint64_t *v, size_t n)
{
	const uint8_t *p;
	uint64_t x = 0;
	size_t i;

	if (rd_ptr(r, &p, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		x = x << 8 | p[i];
	*v = x;
	return 0;
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	uint64_t x;

	if (rd_be(r, &x, 1) == -1)
		return -1;
	*v = (uint8_t)x;
	return 0;
}

int
rd_u16(struct rd *r, uint16_t *v)
{
	uint64_t x;

	if (rd_be(r, &x, 2) == -1)
		return -1;
	*v = (uint16_t)x;
	return 0;
}

int
rd_u32(struct rd *r, uint32_t *v)
{
	uint64_t x;

	if (rd_be(r, &x, 4) == -1)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
rd_u64(struct rd *r, uint64_t *v)
{
	return rd_be(r, v, 8);
}

void
wr_init(struct wr *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->off = 0;
	w->err = 0;
}

int
wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->err || w->cap - w->off < n) {
		w->err = 1;
		return -1;
	}
	if (n > 0)
		memcpy(w->p + w->off, p, n);
	w->off += n;
	return 0;
}

static int
wr_be(struct wr *w, uint64_t v, size_t n)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return wr_bytes(w, b, n);
}

int
wr_u8(struct wr *w, uint8_t v)
{
	return wr_be(w, v, 1);
}

int
wr_u16(struct wr *w, uint16_t v)
{
	return wr_be(w, v, 2);
}

int
wr_u32(struct wr *w, uint32_t v)
{
	return wr_be(w, v, 4);
}

int
wr_u64(struct wr *w, uint64_t v)
{
	return wr_be(w, v, 8);
}

int
bq_init(struct bq *q, size_t cap)
{
	q->data = mem_zeroed(cap);
	if (q->data == NULL)
		return -1;
	q->cap = cap;
	q->head = q->tail = q->high = 0;
	return 0;
}

void
bq_free(struct bq *q)
{
	mem_release(q->data, q->cap);
	q->data = NULL;
	q->cap = q->head = q->tail = q->high = 0;
}

void
bq_reset(struct bq *q)
{
	q->head = q->tail = 0;
}

uint8_t *
bq_reserve(struct bq *q, size_t n)
{
	if (q->cap - q->tail >= n)
		return q->data + q->tail;
	if (bq_room(q) < n)
		return NULL;
	memmove(q->data, q->data + q->head, bq_len(q));
	q->tail -= q->head;
	q->head = 0;
	return q->data + q->tail;
}

void
bq_commit(struct bq *q, size_t n)
{
	q->tail += n;
	if (q->tail > q->high)
		q->high = q->tail;
}

void
bq_consume(struct bq *q, size_t n)
{
	q->head += n;
	if (q->head != q->tail)
		return;
	q->head = q->tail = 0;
	if (q->high > BQ_KEEP)
		mem_forget(q->data + BQ_KEEP, q->high - BQ_KEEP);
	q->high = 0;
}

int
bq_append(struct bq *q, const void *p, size_t n)
{
	uint8_t *dst = bq_reserve(q, n);

	if (dst == NULL)
		return -1;
	memcpy(dst, p, n);
	bq_commit(q, n);
	return 0;
}

void *
mem_zeroed(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
mem_forget(void *p, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)p, b = a + n;

	a = (a + page - 1) & ~(page - 1);
	b &= ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

void
mem_release(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, n);
}
