/*
 * test_backlog: which backlog frame each connection takes — the fast one the oldest, a slow
 * one a frame deep enough to arrive in time; every fresh frame in its connection's order,
 * also when the fastest changes for a moment (the frames one passed over go to the one
 * that can still carry them in order, however deep they lie); a frame no connection can
 * carry in order any more (its carrier lost) goes out marked as a re-send.
 */
#include "config.h"

#include "backlog.h"
#include "check.h"
#include "frame.h"

#define MBIT(x) ((uint64_t)(x) * 1000000 / 8)
#define FRAMES 64
#define FLEN 1500

static struct sched_cand c[3];
static struct sched_cand *cp[3] = {&c[0], &c[1], &c[2]};
static uint64_t hi[3];
static int taker[FRAMES]; /* who took each seq, -1: nobody */
static int out_of_order;  /* fresh frames taken below their taker's highest */
static struct sendq q;
static uint64_t resend = BACKLOG_NONE, bytes;

static uint64_t *
seq_hi(void *arg, int i)
{
	(void)arg;
	return &hi[i];
}

static void
take(void *arg, int i, uint64_t seq, uint8_t *fr, struct sendq_meta *m, int resent)
{
	(void)arg;
	m->conn_id = (uint32_t)i + 1;
	taker[seq] = i;
	out_of_order += !resent && (fr[1] & FRAME_F_RETX);
	/* one frame at a time: the connection is busy until the test says otherwise */
	c[i].ready = 0;
}

static void
push(int n)
{
	uint8_t *slot;

	while (n-- > 0) {
		slot = sendq_slot(&q);
		frame_put_data_hdr(slot, q.next, 0, FLEN - FRAME_DATA_OVERHEAD);
		if (resend == BACKLOG_NONE)
			resend = q.next;
		taker[sendq_push(&q, FLEN, 0, 0)] = -1;
		bytes += FLEN;
	}
}

static void
pump(int n)
{
	struct backlog_pump p = {
		.policy = SCHED_BALANCE, .cands = cp, .n = n, .len = FLEN, .now = 0,
		.age_fresh = UINT64_MAX, .age_retx = UINT64_MAX,
		.seq_hi = seq_hi, .take = take, .arg = NULL,
	};

	backlog_pump(&q, &resend, &bytes, &p);
}

static void
reset(void)
{
	int i;

	sendq_free(&q);
	CHECK(sendq_init(&q, FRAMES, FRAMES * FLEN, FLEN) == 0);
	resend = BACKLOG_NONE;
	bytes = 0;
	out_of_order = 0;
	for (i = 0; i < 3; i++) {
		c[i] = (struct sched_cand){.up = 1, .ready = 1, .rate = MBIT(12),
					   .min_rtt_us = 40000, .rtt_us = 40000};
		hi[i] = 0;
	}
}

/* The fast path takes the oldest, the slow one (100 ms later, 12 Mbit/s: 100 frames
 * deep, more than there are) nothing until the backlog is that deep; at a lower rate, the
 * frame that deep. */
static void
test_fast_and_slow(void)
{
	int i;

	reset();
	c[1].min_rtt_us = c[1].rtt_us = 240000;
	push(20);
	pump(2);
	CHECK(taker[0] == 0 && taker[1] == -1);
	c[0].ready = 1;
	/* 50 ms later at 1 Mbit/s: 6250 bytes, the slow one takes the fifth frame after the
	 * one the fast one takes */
	c[0].rate = c[1].rate = MBIT(1);
	c[1].min_rtt_us = c[1].rtt_us = 140000;
	pump(2);
	CHECK(taker[1] == 0);
	for (i = 2; i < 20; i++)
		CHECK(taker[i] == (i == 7 ? 1 : -1));
	CHECK(out_of_order == 0);
}

/*
 * The fast one is the slower for a moment and passes over frames; once fast again it may
 * not take them (they are below its highest): the other one owes them and takes them
 * however deep it would otherwise go.
 */
static void
test_flip(void)
{
	int i, owed = 0;

	reset();
	c[0].rate = c[1].rate = MBIT(1);
	c[1].min_rtt_us = c[1].rtt_us = 140000;
	push(30);
	/* 0 is slow for a moment: it goes deep, 1 takes the oldest */
	c[0].min_rtt_us = c[0].rtt_us = 240000;
	c[1].min_rtt_us = c[1].rtt_us = 40000;
	pump(2);
	CHECK(taker[0] == 1);
	CHECK(hi[0] > 2);
	/* 0 fast again, 1 slow: 1 takes the frames 0 passed over, one at a time */
	c[0].min_rtt_us = c[0].rtt_us = 40000;
	c[1].min_rtt_us = c[1].rtt_us = 240000;
	for (i = 0; i < 40; i++) {
		c[0].ready = c[1].ready = 1;
		pump(2);
	}
	for (i = 1; i < (int)hi[0]; i++) {
		CHECK(taker[i] >= 0);
		owed += taker[i] == 1;
	}
	CHECK(owed > 0);
	CHECK(out_of_order == 0);
	/* nothing left behind */
	for (i = 0; i < 30; i++)
		CHECK(taker[i] >= 0);
}

/* Three connections, two slow ones that each could carry the passed-over frames: one of
 * them (the sooner) does, none is left to nobody. */
static void
test_three(void)
{
	int i;

	reset();
	c[0].rate = c[1].rate = c[2].rate = MBIT(1);
	push(40);
	c[0].min_rtt_us = c[0].rtt_us = 240000;
	pump(3);
	c[0].min_rtt_us = c[0].rtt_us = 40000;
	c[1].min_rtt_us = c[1].rtt_us = 200000;
	c[2].min_rtt_us = c[2].rtt_us = 240000;
	for (i = 0; i < 60; i++) {
		c[0].ready = c[1].ready = c[2].ready = 1;
		pump(3);
	}
	for (i = 0; i < 40; i++)
		CHECK(taker[i] >= 0);
	CHECK(out_of_order == 0);
}

/* The connection that owed frames is lost: they are below the other one's highest, so
 * it takes them as re-sends, the oldest first. */
static void
test_orphan(void)
{
	int i, first = -1;

	reset();
	c[0].rate = c[1].rate = MBIT(1);
	push(30);
	c[0].min_rtt_us = c[0].rtt_us = 240000;
	pump(2);
	CHECK(taker[0] == 1 && hi[0] > 2);
	c[0].min_rtt_us = c[0].rtt_us = 40000;
	c[1].up = 0;
	c[0].ready = 1;
	pump(2);
	for (i = 0; i < 30 && first < 0; i++)
		if (taker[i] == 0)
			first = i;
	CHECK(first == 1); /* the oldest unassigned */
	CHECK(out_of_order == 1);
}

int
main(void)
{
	test_fast_and_slow();
	test_flip();
	test_three();
	test_orphan();
	sendq_free(&q);
	return CHECK_RESULT();
}
