/*
 * test_sched: the path choice policies — balance follows expected delivery, ordered fills by
 * priority and overflows, backup only without a primary, not-ready is never picked, a busy
 * fast path is waited for rather than an idle slow one used — and the expected delivery
 * itself: bytes waiting in a queue on the way count, bytes merely travelling do not.
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
		c[i] = (struct sched_cand){.up = 1, .ready = 1, .room = 1, .priority = i,
					   .rate = MBIT(100), .measured = 1, .rtt_us = 10000};
	}
}

static void
test_balance(void)
{
	int i, n[3] = {0, 0, 0}, k;

	reset();
	/* equal paths: the emptier queue wins */
	c[0].queued = 50000;
	c[1].queued = 10000;
	c[2].queued = 30000;
	CHECK(sched_pick(SCHED_BALANCE, p, 3, 1500) == 1);
	/* lower RTT wins when queues are equal */
	reset();
	c[2].rtt_us = 1000;
	CHECK(sched_pick(SCHED_BALANCE, p, 3, 1500) == 2);
	/* under a load above the sum of the rates, shares follow the rates */
	reset();
	c[0].rate = MBIT(10);
	c[1].rate = MBIT(20);
	c[2].rate = MBIT(70);
	for (i = 0; i < 10000; i++) {
		k = sched_pick(SCHED_BALANCE, p, 3, 1000);
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
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 1500) == 1);
	/* a slow path with an empty queue loses to a fast one with a short queue... */
	c[1].rate = MBIT(5);
	c[1].inflight = 0;
	c[0].inflight = 25000; /* 2 ms at 100 Mbit/s */
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 16000) == 0);
	/* ...and wins once the fast one's queue is longer than the slow one takes to deliver */
	c[0].inflight = 500000; /* 40 ms */
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 16000) == 1);
}

static void
test_ready_and_backup(void)
{
	reset();
	c[0].ready = c[1].ready = c[2].ready = 0;
	CHECK(sched_pick(SCHED_BALANCE, p, 3, 1500) == -1);
	c[1].ready = 1;
	CHECK(sched_pick(SCHED_BALANCE, p, 3, 1500) == 1);
	/* a backup is not used while a primary is up, even when the primary is full */
	reset();
	c[2].backup = 1;
	c[2].rtt_us = 1;
	c[0].ready = c[1].ready = 0;
	CHECK(sched_pick(SCHED_BALANCE, p, 3, 1500) == -1);
	c[0].up = c[1].up = 0;
	CHECK(sched_pick(SCHED_BALANCE, p, 3, 1500) == 2);
}

/*
 * A busy path that would still deliver sooner beats an idle one many times slower: the
 * sender waits (or, for tun/udp, queues on the busy one past ready) rather than hold up the
 * peer's reorder buffer for the slow path; near ties and paths of like rates do not make it
 * wait.
 */
static void
test_wait(void)
{
	reset();
	c[0].rate = MBIT(200);
	c[1].rate = MBIT(5);
	c[0].ready = 0;
	c[0].room = 1;
	c[0].queued = 100000; /* 4 ms at 200 Mbit/s; 16000 bytes take 25.6 ms at 5 */
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 16000) == -1);
	CHECK(sched_pick(SCHED_REDUNDANT, p, 2, 16000) == -1);
	CHECK(sched_pick_room(SCHED_BALANCE, p, 2, 16000) == 0);
	CHECK(sched_pick_ready(p, 2, 16000, -1) == 1); /* control frames and payloads read */
	/* full: tun/udp drop rather than send it late on the slow one */
	c[0].room = 0;
	CHECK(sched_pick_room(SCHED_BALANCE, p, 2, 16000) == -1);
	/* a small packet is delivered sooner by the idle slow path: it goes there */
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 100) == 1);
	/* ordered overflows to the next by priority, whatever the rates */
	CHECK(sched_pick(SCHED_ORDERED, p, 2, 16000) == 1);
	CHECK(sched_pick_room(SCHED_ORDERED, p, 2, 16000) == 1);
	/* the slow one's rate not measured twice yet: it takes the packet, and gets measured */
	c[1].measured = 0;
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 16000) == 1);
	c[1].measured = 1;
	/* the fast one's stand-in errs high, and waiting fills it so that it gets measured */
	c[0].measured = 0;
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 16000) == -1);
	c[0].measured = 1;
	/* a suspect (not up) connection is no reason to wait */
	c[0].up = 0;
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 16000) == 1);
	/* within a millisecond of the best: no wait */
	reset();
	c[0].rate = MBIT(800);
	c[0].ready = 0;
	c[1].queued = 10500; /* 0.945 ms later than the busy one */
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 1500) == 1);
	c[1].queued = 11500; /* 1.025 ms */
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 1500) == -1);
	/* less than eight times faster: estimates err that much, the ready one takes it */
	c[0].rate = MBIT(700);
	c[1].queued = 1000000;
	CHECK(sched_pick(SCHED_BALANCE, p, 2, 1500) == 1);
}

static void
test_ordered(void)
{
	reset();
	c[0].queued = 1000000; /* the first is busy but still ready: it is filled first */
	CHECK(sched_pick(SCHED_ORDERED, p, 3, 1500) == 0);
	c[0].ready = 0;
	CHECK(sched_pick(SCHED_ORDERED, p, 3, 1500) == 1);
	c[1].ready = 0;
	CHECK(sched_pick(SCHED_ORDERED, p, 3, 1500) == 2);
	/* redundant: a second, different path */
	reset();
	CHECK(sched_pick_ready(p, 3, 1500, 0) != 0 && sched_pick_ready(p, 3, 1500, 0) >= 0);
	c[1].ready = c[2].ready = 0;
	CHECK(sched_pick_ready(p, 3, 1500, 0) == -1);
}

int
main(void)
{
	test_balance();
	test_eta();
	test_ready_and_backup();
	test_wait();
	test_ordered();
	return CHECK_RESULT();
}
