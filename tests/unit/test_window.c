/*
 * test_window: the sender's window (sendq) and the receiver's reorder buffer — in-order
 * delivery without copies, holding frames ahead of a gap, duplicates, the window bound,
 * giving gaps up, acks that release frames, and both rings' byte accounting.
 */
#include "config.h"

#include <string.h>

#include "check.h"
#include "reorder.h"
#include "sendq.h"

static void
test_sendq(void)
{
	struct sendq q;
	struct sendq_meta *m;
	uint8_t *s;
	int i;

	CHECK(sendq_init(&q, 5, 1000, 100) == 0);
	CHECK(q.nslots == 8 && q.size == 1024);
	for (i = 0; i < 8; i++) {
		s = sendq_slot(&q);
		CHECK(s != NULL);
		memset(s, i, 100);
		CHECK(sendq_push(&q, 100, 1000 + i, 7) == (uint64_t)i);
	}
	CHECK(sendq_slot(&q) == NULL); /* full: back pressure (frame count) */
	CHECK(sendq_get(&q, 3, &m)[0] == 3 && m->sent == 1003 && m->conn_id == 7);
	CHECK(sendq_ack(&q, 9) == -1); /* beyond what was sent */
	CHECK(sendq_ack(&q, 4) == 4 && sendq_count(&q) == 4);
	CHECK(sendq_get(&q, 3, NULL) == NULL);
	CHECK(sendq_ack(&q, 2) == 0); /* old ack: nothing */
	CHECK(sendq_slot(&q) != NULL);
	s = sendq_slot(&q);
	memset(s, 0xaa, 100);
	sendq_push(&q, 100, 2000, 7);
	sendq_forget(&q); /* frames held: nothing happens */
	CHECK(sendq_get(&q, 8, &m)[99] == 0xaa && m->sent == 2000);
	sendq_reset(&q);
	CHECK(sendq_count(&q) == 0 && q.next == 9);
	/* idle: the pages go back, and the window works on */
	sendq_forget(&q);
	s = sendq_slot(&q);
	CHECK(s != NULL);
	memset(s, 5, 100);
	CHECK(sendq_push(&q, 100, 3000, 2) == 9);
	CHECK(sendq_get(&q, 9, &m)[50] == 5 && m->sent == 3000 && m->conn_id == 2);
	sendq_free(&q);
}

/* Frames of mixed sizes share the ring's bytes; it wraps, and never overwrites a held frame. */
static void
test_sendq_bytes(void)
{
	struct sendq q;
	uint8_t *s, *f;
	uint64_t seq, acked = 0;
	uint32_t len;
	int i, full = 0;

	CHECK(sendq_init(&q, 64, 4096, 1000) == 0);
	/* small frames: the frame count is the limit, not the bytes */
	for (i = 0; i < 20; i++) {
		CHECK((s = sendq_slot(&q)) != NULL);
		sendq_push(&q, 10, 0, 0);
	}
	CHECK(sendq_ack(&q, 20) == 20 && q.head == 0);
	/* large frames: room for 1000 more bytes is the limit */
	for (i = 0; (s = sendq_slot(&q)) != NULL; i++) {
		memset(s, (uint8_t)q.next, 1000);
		sendq_push(&q, 1000, 0, 0);
	}
	CHECK(i == 4); /* 4 x 1024 of 4096: the fifth needs room the oldest still holds */
	acked = q.base;
	/* a long run of acks and pushes of varied sizes: every held frame keeps its bytes */
	for (i = 0; i < 20000; i++) {
		s = sendq_slot(&q);
		if (s == NULL) {
			full++;
			CHECK(sendq_ack(&q, acked + 1) == 1);
			acked++;
			for (seq = acked; seq < q.next; seq++) {
				struct sendq_meta *m;

				f = sendq_get(&q, seq, &m);
				CHECK(f != NULL && f[0] == (uint8_t)seq && f[m->len - 1] == (uint8_t)seq);
			}
			continue;
		}
		len = 1 + (uint32_t)(i * 7919) % 1000;
		CHECK(s >= q.mem && s + 1000 <= q.mem + q.size);
		memset(s, (uint8_t)q.next, len);
		sendq_push(&q, len, 0, 0);
	}
	CHECK(full > 1000);
	sendq_free(&q);
	CHECK(sendq_init(&q, 4, 100, 1000) == -1); /* a ring smaller than one frame */
}

static void
test_reorder(void)
{
	struct reorder r;
	uint8_t a[10] = "abcdefghi", b[10] = "ABCDEFGHI";
	const uint8_t *p;
	size_t len;

	CHECK(reorder_init(&r, 8, 4096, 16) == 0);
	CHECK(reorder_put(&r, 0, a, 3) == REORDER_DELIVER);
	reorder_advance(&r);
	CHECK(reorder_put(&r, 0, a, 3) == REORDER_DUP);
	CHECK(reorder_put(&r, 2, b, 4) == REORDER_HELD);
	CHECK(reorder_put(&r, 2, b, 4) == REORDER_DUP);
	CHECK(reorder_put(&r, 9, b, 4) == REORDER_BEYOND);
	CHECK(reorder_put(&r, 3, b, 17) == REORDER_TOOBIG);
	CHECK(reorder_peek(&r, &len) == NULL); /* seq 1 missing */
	CHECK(reorder_put(&r, 1, a, 2) == REORDER_DELIVER);
	reorder_advance(&r);
	p = reorder_peek(&r, &len);
	CHECK(p != NULL && len == 4 && memcmp(p, "ABCD", 4) == 0);
	reorder_advance(&r);
	CHECK(r.next == 3 && r.held == 0);
	/* give up a gap: skip to the first held */
	CHECK(reorder_put(&r, 6, a, 1) == REORDER_HELD);
	CHECK(reorder_skip(&r) == 3 && r.next == 6);
	CHECK(reorder_peek(&r, &len) != NULL);
	reorder_advance(&r);
	CHECK(reorder_skip(&r) == 0); /* nothing held: nothing to skip to */
	/* abandon far ahead */
	CHECK(reorder_put(&r, 8, a, 1) == REORDER_HELD);
	CHECK(reorder_skip_to(&r, 1000) == 1000 - 7 && r.next == 1000 && r.held == 0);
	reorder_reset(&r, 5);
	CHECK(r.next == 5 && reorder_put(&r, 5, a, 1) == REORDER_DELIVER);
	reorder_advance(&r);
	/* an idle window gives its pages back and works on as before */
	CHECK(reorder_put(&r, 7, b, 4) == REORDER_HELD);
	reorder_forget(&r); /* held: nothing happens */
	CHECK(reorder_put(&r, 6, a, 2) == REORDER_DELIVER);
	reorder_advance(&r);
	p = reorder_peek(&r, &len);
	CHECK(p != NULL && len == 4 && memcmp(p, "ABCD", 4) == 0);
	reorder_advance(&r);
	CHECK(r.held == 0);
	reorder_forget(&r);
	CHECK(reorder_put(&r, 9, b, 3) == REORDER_HELD && reorder_put(&r, 8, a, 1) == REORDER_DELIVER);
	reorder_advance(&r);
	p = reorder_peek(&r, &len);
	CHECK(p != NULL && len == 3 && memcmp(p, "ABC", 3) == 0);
	reorder_free(&r);
}

/* Held frames of any size share the ring; freed room comes back once older frames go. */
static void
test_reorder_ring(void)
{
	struct reorder r;
	uint8_t big[1000];
	const uint8_t *p;
	size_t len;
	uint64_t seq;
	int i, n;

	CHECK(reorder_init(&r, 64, 8192, 1000) == 0);
	memset(big, 'x', sizeof(big));
	/* seq 0 missing: hold 1.. until the ring is full */
	for (seq = 1; reorder_put(&r, seq, big, 1000) == REORDER_HELD; seq++)
		;
	CHECK(seq > 5 && r.held == seq - 1); /* 1024 + 64 bytes each in 8192 */
	CHECK(reorder_put(&r, seq, big, 1000) == REORDER_FULL);
	CHECK(reorder_put(&r, seq + 1, big, 1) == REORDER_HELD || r.used + 128 > r.size);
	reorder_reset(&r, 0);
	/* a long run: frames arrive one ahead, so each is held once then delivered */
	for (i = 0, n = 0; i < 10000; i += 2) {
		uint8_t a[800], b[800];
		size_t la = 1 + (size_t)(i * 31) % 800, lb = 1 + (size_t)(i * 17) % 800;

		memset(a, (uint8_t)i, la);
		memset(b, (uint8_t)(i + 1), lb);
		CHECK(reorder_put(&r, (uint64_t)i + 1, b, lb) == REORDER_HELD);
		CHECK(reorder_put(&r, (uint64_t)i, a, la) == REORDER_DELIVER);
		reorder_advance(&r);
		p = reorder_peek(&r, &len);
		CHECK(p != NULL && len == lb && p[0] == (uint8_t)(i + 1) && p[lb - 1] == (uint8_t)(i + 1));
		reorder_advance(&r);
		n += r.used == 0;
	}
	CHECK(n == 5000 && r.held == 0);
	/* a frame the channel could not take is kept, then delivered from the ring */
	CHECK(reorder_keep(&r, big, 10) == 0 && reorder_keep(&r, big, 10) == -1);
	CHECK(reorder_peek(&r, &len) != NULL && len == 10);
	reorder_free(&r);
	CHECK(reorder_init(&r, 8, 100, 1000) == -1); /* a ring smaller than one frame */
}

/* A small packet delivered ahead of a gap: order passes over it, copies of it are dups. */
static void
test_reorder_early(void)
{
	struct reorder r;
	const uint8_t a[4] = {1, 2, 3, 4};
	size_t len;

	CHECK(reorder_init(&r, 8, 4096, 16) == 0);
	CHECK(reorder_put_unordered(&r, 0) == REORDER_DELIVER); /* in order: as any frame */
	reorder_advance(&r);
	CHECK(reorder_put_unordered(&r, 3) == REORDER_EARLY);
	reorder_early(&r, 3);
	CHECK(r.held == 1 && reorder_peek(&r, &len) == NULL);
	CHECK(reorder_put_unordered(&r, 3) == REORDER_DUP);
	CHECK(reorder_put(&r, 3, a, 4) == REORDER_DUP); /* a re-sent copy */
	CHECK(reorder_put(&r, 2, a, 4) == REORDER_HELD);
	CHECK(reorder_put(&r, 1, a, 4) == REORDER_DELIVER);
	reorder_advance(&r);
	CHECK(reorder_peek(&r, &len) != NULL && len == 4);
	reorder_advance(&r); /* 2, then past 3 */
	CHECK(r.next == 4 && r.held == 0);
	/* a gap given up before an early one: the early one is not counted lost */
	CHECK(reorder_put_unordered(&r, 6) == REORDER_EARLY);
	reorder_early(&r, 6);
	CHECK(reorder_skip(&r) == 2 && r.next == 7 && r.held == 0);
	CHECK(reorder_put_unordered(&r, 8) == REORDER_EARLY);
	reorder_early(&r, 8);
	CHECK(reorder_skip_to(&r, 10) == 2 && r.next == 10 && r.held == 0);
	CHECK(reorder_put_unordered(&r, 20) == REORDER_BEYOND);
	reorder_free(&r);
}

int
main(void)
{
	test_sendq();
	test_sendq_bytes();
	test_reorder();
	test_reorder_ring();
	test_reorder_early();
	return CHECK_RESULT();
}
