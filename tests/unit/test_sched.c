/*
 * test_sched: the path choice policies — balance follows expected delivery, ordered fills by
 * priority and overflows, backup only without a primary, not-ready takes nothing, a slower
 * path takes a frame so deep in the backlog that it arrives in time — the expected delivery
 * itself (bytes waiting in a queue on the way count, bytes merely travelling do not, room in
 * the window means no wait) and how much backlog is worth holding.
 */
#include "config.h"

#include "check.h"
#include "sched.h"

#define MBIT(x) ((uint64_t)(x) * 1000000 / 8)

static struct sched_cand c[4];
static struct sched_cand *p[4] = {&c[0], &c[1], &c[2], &c[3]};

static void
reset(void)
{
	int i;

	for (i = 0; i < 4; i++) {
		c[i] = (struct sched_cand){.up = 1, .ready = 1, .priority = i,
					   .rate = MBIT(100), .rtt_us = 10000};
	}
}

/* The connection that takes the oldest frame (depth 0), or -1. */
static int
head_taker(enum conf_sched policy, int n, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (sched_depth(policy, p, n, i, len) == 0)
			return i;
	return -1;
}

static void
test_balance(void)
{
	int i, n[3] = {0, 0, 0}, k;

	reset();
	/* equal paths: the emptier queue takes the oldest frame, the others wait deeper */
	c[0].queued = 50000;
	c[1].queued = 10000;
	c[2].queued = 30000;
	CHECK(head_taker(SCHED_BALANCE, 3, 1500) == 1);
	CHECK(sched_depth(SCHED_BALANCE, p, 3, 0, 1500) > 0);
	/* lower RTT wins when queues are equal */
	reset();
	c[2].rtt_us = 1000;
	CHECK(head_taker(SCHED_BALANCE, 3, 1500) == 2);
	/* under a load above the sum of the rates, shares follow the rates */
	reset();
	c[0].rate = MBIT(10);
	c[1].rate = MBIT(20);
	c[2].rate = MBIT(70);
	for (i = 0; i < 10000; i++) {
		k = head_taker(SCHED_BALANCE, 3, 1000);
		CHECK(k >= 0);
		n[k]++;
		c[k].queued += 1000;
		if (i % 2 == 0) /* 2000 bytes offered per 100 us: 160 Mbit/s */
			continue;
		for (int j = 0; j < 3; j++) /* each drains at its rate for 100 us */
			c[j].queued -= c[j].queued < c[j].rate / 10000 ? c[j].queued : c[j].rate / 10000;
	}
	CHECK(n[0] > 700 && n[0] < 1300);
	CHECK(n[1] > 1600 && n[1] < 2400);
	CHECK(n[2] > 6300 && n[2] < 7700);
}

static void
test_eta(void)
{
	reset();
	/* 100 Mbit/s, 10 ms unloaded: 125000 bytes in flight just fill the path, no queue */
	c[0].min_rtt_us = 10000;
	c[0].inflight = 125000;
	CHECK(sched_eta_us(&c[0], 1250) == 100 + 5000);
	/* 237500 in flight: 9 ms of it wait in a queue on the way */
	c[0].inflight = 237500;
	CHECK(sched_eta_us(&c[0], 1250) == 100 + 9000 + 5000);
	/* our own and the kernel's queue come first */
	c[0].queued = 12500;
	CHECK(sched_eta_us(&c[0], 1250) == 1100 + 9000 + 5000);
	/* ...unless the window has room for all of it: it leaves at once */
	c[0].window = 300000;
	CHECK(sched_eta_us(&c[0], 1250) == 9000 + 5000);
	c[0].window = 250000;
	CHECK(sched_eta_us(&c[0], 1250) == 1100 + 9000 + 5000);
	c[0].window = 0;
	/* no minimum RTT yet: the smoothed one stands in */
	c[0].min_rtt_us = 0;
	c[0].queued = c[0].inflight = 0;
	CHECK(sched_eta_us(&c[0], 1250) == 100 + 5000);
	/* an unknown rate is a guess of 10 Mbit/s */
	c[0].rate = 0;
	CHECK(sched_eta_us(&c[0], 1250) == 1000 + 5000);

	/*
	 * Equal queues of our own, but one path's link holds a standing queue (its TCP filled a
	 * rate-limited link): the other wins, though the smoothed RTTs are still equal.
	 */
	reset();
	c[0].min_rtt_us = c[1].min_rtt_us = 1000;
	c[0].inflight = 250000; /* 20 ms at 100 Mbit/s */
	c[1].inflight = 12500;
	CHECK(head_taker(SCHED_BALANCE, 2, 1500) == 1);
	/* a slow path with an empty queue loses to a fast one with a short queue... */
	c[1].rate = MBIT(5);
	c[1].inflight = 0;
	c[0].inflight = 25000; /* 2 ms at 100 Mbit/s */
	CHECK(head_taker(SCHED_BALANCE, 2, 16000) == 0);
	/* ...and wins once the fast one's queue is longer than the slow one takes to deliver */
	c[0].inflight = 500000; /* 40 ms */
	CHECK(head_taker(SCHED_BALANCE, 2, 16000) == 1);
}

/*
 * Unequal delays: 50 Mbit/s at 20 ms and 50 Mbit/s at 120 ms one way. The slow one takes a
 * frame as deep in the backlog as the fast one drains while the slow one's frame travels:
 * 100 ms at 50 Mbit/s, so that the frame arrives when the receiver needs it.
 */
static void
test_depth(void)
{
	uint64_t d;

	reset();
	c[0].rate = c[1].rate = MBIT(50);
	c[0].min_rtt_us = 40000;
	c[1].min_rtt_us = 240000;
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 0, 1500) == 0);
	d = sched_depth(SCHED_BALANCE, p, 2, 1, 1500);
	CHECK(d == (120000 - 20000) * MBIT(50) / 1000000);
	/* the fast one's queue counts: the slow one goes less deep */
	c[0].queued = MBIT(50) / 100; /* 10 ms */
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 1, 1500) < d);
	/* RTT variation makes the slow one go deeper: arriving late holds the receiver up */
	c[0].queued = 0;
	c[1].rttvar_us = 5000;
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 1, 1500) == d + 5000 * MBIT(50) / 1000000);
	/* two fast paths drain the backlog twice as fast: twice as deep */
	reset();
	c[0].rate = c[1].rate = c[2].rate = MBIT(50);
	c[0].min_rtt_us = c[1].min_rtt_us = 40000;
	c[2].min_rtt_us = 240000;
	CHECK(sched_depth(SCHED_BALANCE, p, 3, 2, 1500) == 2 * d);
	/* how much backlog is worth holding: the deepest and half again, plus the shortest
	 * round trip (40 ms) at the sum of the rates */
	CHECK(sched_backlog_want(SCHED_BALANCE, p, 3, 1500) ==
	      2 * d + d + 3 * MBIT(50) * 40 / 1000);
	/* at most 400 ms at the sum of the rates: a path that late is not waited for */
	c[2].min_rtt_us = 2000000;
	CHECK(sched_backlog_want(SCHED_BALANCE, p, 3, 1500) == 3 * MBIT(50) * 400 / 1000);
	/* at least 2 ms of the rates, and 32 KiB */
	reset();
	c[0].rate = c[1].rate = MBIT(400);
	c[0].rtt_us = c[1].rtt_us = 100;
	CHECK(sched_backlog_want(SCHED_BALANCE, p, 2, 1500) == 2 * MBIT(400) * 2 / 1000);
	reset();
	c[0].rate = c[1].rate = MBIT(1);
	CHECK(sched_backlog_want(SCHED_BALANCE, p, 2, 1500) >= 32768);
}

static void
test_ready_and_backup(void)
{
	reset();
	c[0].ready = c[1].ready = c[2].ready = 0;
	CHECK(head_taker(SCHED_BALANCE, 3, 1500) == -1);
	CHECK(sched_depth(SCHED_BALANCE, p, 3, 0, 1500) == SCHED_NONE);
	c[1].ready = 1;
	CHECK(head_taker(SCHED_BALANCE, 3, 1500) == 1);
	/* a busy fast path is waited for: the ready slow one takes only frames deep enough */
	reset();
	c[0].rate = MBIT(200);
	c[1].rate = MBIT(5);
	c[0].ready = 0;
	c[0].queued = 100000; /* 4 ms at 200 Mbit/s; 16000 bytes take 25.6 ms at 5 */
	CHECK(head_taker(SCHED_BALANCE, 2, 16000) == -1);
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 1, 16000) > 500000);
	CHECK(sched_pick_ready(p, 2, 16000, -1) == 1); /* control frames */
	/* a suspect (not up) connection is no reason to wait */
	c[0].up = 0;
	CHECK(head_taker(SCHED_BALANCE, 2, 16000) == 1);
	/* a backup is not used while a primary is up, even when the primary is full */
	reset();
	c[2].backup = 1;
	c[2].rtt_us = 1;
	c[0].ready = c[1].ready = 0;
	CHECK(head_taker(SCHED_BALANCE, 3, 1500) == -1);
	CHECK(sched_depth(SCHED_BALANCE, p, 3, 2, 1500) == SCHED_NONE);
	c[0].up = c[1].up = 0;
	CHECK(head_taker(SCHED_BALANCE, 3, 1500) == 2);
}

static void
test_ordered(void)
{
	reset();
	c[0].queued = 1000000; /* the first is busy but still ready: it is filled first */
	CHECK(head_taker(SCHED_ORDERED, 3, 1500) == 0);
	CHECK(sched_depth(SCHED_ORDERED, p, 3, 1, 1500) == SCHED_NONE);
	c[0].ready = 0;
	CHECK(head_taker(SCHED_ORDERED, 3, 1500) == 1);
	c[1].ready = 0;
	CHECK(head_taker(SCHED_ORDERED, 3, 1500) == 2);
	/* redundant: a second, different path */
	reset();
	CHECK(sched_pick_ready(p, 3, 1500, 0) != 0 && sched_pick_ready(p, 3, 1500, 0) >= 0);
	c[1].ready = c[2].ready = 0;
	CHECK(sched_pick_ready(p, 3, 1500, 0) == -1);
}

/* Express connections: small packets only while another is up; everything when alone. */
static void
test_express(void)
{
	reset();
	c[1].express = 1;
	c[1].rate = MBIT(1); /* app-limited: it measures little */
	c[0].queued = 200000; /* bulk waits on the other */
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 1, 1500) == SCHED_NONE);
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 0, 1500) == 0);
	CHECK(sched_pick_ready(p, 2, 100, -1) == 0);
	CHECK(sched_pick_soonest(p, 2, 100, -1) == 1);
	/* even when the bulk one looks sooner: the small packet must not queue behind bulk */
	c[0].queued = 0;
	c[1].queued = 5000;
	CHECK(sched_pick_soonest(p, 2, 100, -1) == 1);
	/* its redundant copy goes elsewhere */
	CHECK(sched_pick_soonest(p, 2, 100, 1) == 0);
	/* alone, an express connection carries everything */
	c[0].up = 0;
	CHECK(sched_depth(SCHED_BALANCE, p, 2, 1, 1500) == 0);
	CHECK(sched_pick_ready(p, 2, 100, -1) == 1);
	/* a backup's express does not count while a primary's bulk is up */
	reset();
	c[1].express = c[1].backup = 1;
	c[2].express = 1;
	CHECK(sched_pick_soonest(p, 3, 100, -1) == 2);
	CHECK(sched_backlog_want(SCHED_BALANCE, p, 3, 1500) ==
	      sched_backlog_want(SCHED_BALANCE, p, 1, 1500));
}

int
main(void)
{
	test_balance();
	test_eta();
	test_depth();
	test_ready_and_backup();
	test_ordered();
	test_express();
	return CHECK_RESULT();
}
