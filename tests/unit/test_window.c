/*
 * test_window: the sender's window (sendq) and the receiver's reorder buffer — in-order
 * delivery without copies, holding frames ahead of a gap, duplicates, the window bound,
 * giving gaps up, and acks that release slots.
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

	CHECK(sendq_init(&q, 5, 100) == 0);
	CHECK(q.nslots == 8);
	for (i = 0; i < 8; i++) {
		s = sendq_slot(&q);
		CHECK(s != NULL);
		memset(s, i, 100);
		CHECK(sendq_push(&q, 100, 1000 + i, 7) == (uint64_t)i);
	}
	CHECK(sendq_slot(&q) == NULL); /* full: back pressure */
	CHECK(sendq_get(&q, 3, &m)[0] == 3 && m->sent == 1003 && m->conn_id == 7);
	CHECK(sendq_ack(&q, 9) == -1); /* beyond what was sent */
	CHECK(sendq_ack(&q, 4) == 4 && sendq_count(&q) == 4);
	CHECK(sendq_get(&q, 3, NULL) == NULL);
	CHECK(sendq_ack(&q, 2) == 0); /* old ack: nothing */
	CHECK(sendq_slot(&q) != NULL);
	sendq_reset(&q);
	CHECK(sendq_count(&q) == 0 && q.next == 8);
	sendq_free(&q);
}

static void
test_reorder(void)
{
	struct reorder r;
	uint8_t a[10] = "abcdefghi", b[10] = "ABCDEFGHI";
	const uint8_t *p;
	size_t len;

	CHECK(reorder_init(&r, 8, 16) == 0);
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
	reorder_free(&r);
}

int
main(void)
{
	test_sendq();
	test_reorder();
	return CHECK_RESULT();
}
