/*
 * test_rate: the delivery rate estimate and the stall detector, fed TCP_INFO-like samples
 * of a modelled connection. The rate is measured only over spans with data always
 * waiting (an idle gap does not make a path look slow), the lesser of acked bytes and
 * delivered segments counts (a recovery's cumulative leap does not make it look fast), a
 * higher reading counts at once and a lower one a quarter of the way, an old estimate grows;
 * a connection with data outstanding and no ACK past RTT + 4 RTTVAR is stalled, progress
 * ends it.
 */
#include "config.h"

#include "check.h"
#include "rate.h"

#define MBIT(x) ((uint64_t)(x) * 1000000 / 8)

static void
test_update_grow(void)
{
	uint64_t r = 0;
	int i;

	r = rate_update(r, MBIT(100));
	CHECK(r == MBIT(100));
	r = rate_update(r, MBIT(200)); /* higher: at once */
	CHECK(r == MBIT(200));
	r = rate_update(r, MBIT(100)); /* lower: a quarter of the way */
	CHECK(r == MBIT(175));
	for (i = 0; i < 40; i++)
		r = rate_update(r, MBIT(5));
	CHECK(r >= MBIT(5) && r < MBIT(5) + 1000);
	/* an old estimate grows by a quarter at a time, up to 16 times the measured rate */
	CHECK(rate_grow(MBIT(8), MBIT(8)) == MBIT(10));
	r = MBIT(5);
	for (i = 0; i < 12; i++)
		r = rate_grow(r, MBIT(5));
	CHECK(r > MBIT(70) && r <= MBIT(80));
	for (i = 0; i < 10; i++)
		r = rate_grow(r, MBIT(5));
	CHECK(r == MBIT(80));
}

/*
 * A modelled connection on a link of `rate` bytes/s with `rtt` seconds: the sender keeps
 * `backlog` bytes waiting (0: idle), every ms a sample.
 */
struct model {
	struct rate_sample s;
	uint64_t arrived; /* bytes the receiver has */
	int late;         /* our looks come late: the kernel never ran dry, whatever they see */
	double t;
};

static void
step(struct model *m, struct rate *r, uint64_t rate, uint64_t backlog, double dt)
{
	uint64_t n = (uint64_t)(rate * dt);

	m->t += dt;
	m->s.app_limited = backlog == 0 && !m->late; /* the kernel's view: the sender ran dry */
	if (backlog == 0 && !m->late) {
		m->s.notsent = 0;
	} else {
		m->s.bytes_sent += n;
		m->s.bytes_acked += n;
		m->arrived += n;
		m->s.delivered = (uint32_t)(m->arrived / m->s.mss);
		m->s.notsent = backlog;
	}
	rate_sample(r, &m->s, m->t);
}

static void
test_measure(void)
{
	struct rate r = {0};
	struct model m = {.s = {.mss = 1448, .cwnd = 10, .rtt_us = 10000}};
	int i;

	/* before any measurement cwnd / RTT stands in */
	CHECK(rate_get(&r, &m.s) == 10ULL * 1448 * 100);
	for (i = 0; i < 100; i++)
		step(&m, &r, MBIT(40), 64000, 0.001);
	CHECK(r.est > MBIT(38) && r.est < MBIT(42));
	/* idle spells between busy ones do not pull the estimate down */
	for (i = 0; i < 300; i++)
		step(&m, &r, MBIT(40), i % 50 < 25 ? 64000 : 0, 0.001);
	CHECK(r.est > MBIT(38) && r.est < MBIT(42));
	/* a slower link: the estimate follows, a quarter per measurement */
	for (i = 0; i < 400; i++)
		step(&m, &r, MBIT(10), 64000, 0.001);
	CHECK(r.est > MBIT(9) && r.est < MBIT(12));
	/* a recovery's cumulative ACK leap: acked jumps, delivered segments do not */
	m.s.bytes_acked += 2000000;
	for (i = 0; i < 30; i++)
		step(&m, &r, MBIT(10), 64000, 0.001);
	CHECK(r.est < MBIT(12));
	/* not measured for RATE_STALE: grows so that the path gets tried */
	step(&m, &r, 0, 0, RATE_STALE + 0.1);
	CHECK(r.est > MBIT(12));
	/* a look that comes late sees nothing waiting, but the kernel says it never ran dry */
	r = (struct rate){0};
	m.late = 1;
	for (i = 0; i < 100; i++)
		step(&m, &r, MBIT(40), i % 10 == 9 ? 0 : 64000, 0.001);
	CHECK(r.est > MBIT(38) && r.est < MBIT(42));
}

static void
test_bbr(void)
{
	struct rate r = {0};
	struct rate_sample s = {.mss = 1000, .cwnd = 1000, .rtt_us = 100000, .min_rtt_us = 90000,
				.cc_bw = MBIT(20)};

	/* BBR's own figure is the rate */
	CHECK(rate_get(&r, &s) == MBIT(20));
	/* while the sender runs dry, what the window lets through stands in when higher, up
	 * to twice BBR's figure */
	s.app_limited = 1;
	CHECK(rate_get(&r, &s) == MBIT(40));
	s.cwnd = 275;
	CHECK(rate_get(&r, &s) == MBIT(22));
	s.cwnd = 10;
	CHECK(rate_get(&r, &s) == MBIT(20));
	/* a round trip under 2 ms: our own measurement, where it is lower, and no window */
	s.cwnd = 1000;
	s.min_rtt_us = s.rtt_us = 500;
	CHECK(rate_get(&r, &s) == MBIT(20));
	r.est = MBIT(5);
	r.measures = 2;
	CHECK(rate_get(&r, &s) == MBIT(5));
	/* no congestion control figure: the measured estimate, or before one cwnd / RTT */
	s.cc_bw = 0;
	CHECK(rate_get(&r, &s) == MBIT(5));
	r = (struct rate){0};
	CHECK(rate_get(&r, &s) == 1000ULL * 1000 * 2000);
}

static void
test_stall(void)
{
	struct rate_stall st = {0};
	struct rate_sample s = {.rtt_us = 20000, .rttvar_us = 5000, .unacked = 5};

	/* 20 + 4 x 5 = 40 ms, but at least 50 ms */
	CHECK(rate_stall_check(&st, &s, 0.0) == RATE_STALL_NONE);
	CHECK(rate_stall_check(&st, &s, 0.049) == RATE_STALL_NONE);
	CHECK(rate_stall_check(&st, &s, 0.051) == RATE_STALL_BEGIN);
	CHECK(rate_stall_check(&st, &s, 0.2) == RATE_STALL_NONE); /* said once */
	s.bytes_acked = 1000;
	CHECK(rate_stall_check(&st, &s, 0.21) == RATE_STALL_END);
	/* a slow path's own RTT sets the limit */
	s.rtt_us = 300000;
	CHECK(rate_stall_check(&st, &s, 0.5) == RATE_STALL_NONE);
	CHECK(rate_stall_check(&st, &s, 0.54) == RATE_STALL_BEGIN);
	/* idle, then bytes outstanding: the wait counts from the first look that sees them */
	st = (struct rate_stall){0};
	s.rtt_us = 20000;
	s.unacked = 0;
	CHECK(rate_stall_check(&st, &s, 2.0) == RATE_STALL_NONE);
	s.unacked = 1;
	CHECK(rate_stall_check(&st, &s, 2.02) == RATE_STALL_NONE);
	CHECK(rate_stall_check(&st, &s, 2.06) == RATE_STALL_NONE); /* 40 ms since, not 60 */
	CHECK(rate_stall_check(&st, &s, 2.08) == RATE_STALL_BEGIN);
	s.rtt_us = 300000;
	s.unacked = 5;
	/* segments SACKed while a loss is repaired: progress, though the cumulative ACK waits */
	st = (struct rate_stall){0};
	CHECK(rate_stall_check(&st, &s, 1.0) == RATE_STALL_NONE);
	s.delivered = 10;
	CHECK(rate_stall_check(&st, &s, 1.3) == RATE_STALL_NONE);
	s.delivered = 20;
	CHECK(rate_stall_check(&st, &s, 1.6) == RATE_STALL_NONE);
	CHECK(rate_stall_check(&st, &s, 1.95) == RATE_STALL_BEGIN);
	/* nothing outstanding: idle, not stalled */
	st = (struct rate_stall){0};
	s.unacked = 0;
	s.notsent = 0;
	CHECK(rate_stall_check(&st, &s, 5.0) == RATE_STALL_NONE);
	/* written and never sent (a dead device) is outstanding */
	s.notsent = 100;
	CHECK(rate_stall_check(&st, &s, 5.4) == RATE_STALL_NONE);
	CHECK(rate_stall_check(&st, &s, 5.8) == RATE_STALL_BEGIN);
}

/* The loss rate: none on a clean path, 0.5 % after enough segments at 0.5 %, kept while
 * the path carries little, and a new connection (counters back at 0) starts again. */
static void
test_loss_rate(void)
{
	struct rate_repair r = {0};
	struct rate_sample s = {.mss = 1000};
	uint32_t ppm = 0;
	int i;

	for (i = 0; i < 100; i++) {
		s.bytes_sent += 1000 * 1000; /* 1000 segments */
		ppm = rate_loss_ppm(&r, &s);
	}
	CHECK(ppm == 0);
	for (i = 0; i < 100; i++) {
		s.bytes_sent += 1000 * 1000;
		s.total_retrans += 5;
		ppm = rate_loss_ppm(&r, &s);
	}
	CHECK(ppm > 4900 && ppm < 5100);
	/* a path that carries little keeps its figure: 500 clean segments, 50 a look (judged
	 * 100 at a time), move it by 500 / 20000 of the way */
	for (i = 0; i < 10; i++) {
		s.bytes_sent += 50 * 1000;
		ppm = rate_loss_ppm(&r, &s);
	}
	CHECK(ppm > 4800 && ppm < 4900);
	/* a new connection: counting starts again, the figure is kept until it has news */
	s.bytes_sent = 0;
	s.total_retrans = 0;
	CHECK(rate_loss_ppm(&r, &s) == ppm);
	for (i = 0; i < 100; i++) {
		s.bytes_sent += 1000 * 1000;
		ppm = rate_loss_ppm(&r, &s);
	}
	CHECK(ppm < 100);
}

/* Losses with the queue nearly empty mark a path lossy; those of a full queue do not. */
static void
test_lossy(void)
{
	struct rate_loss l = {0};
	struct rate_sample s = {.rtt_us = 90000, .min_rtt_us = 40000};
	int i, said = 0;

	/* a full queue: 90 ms against 40 (more than 40 x 1.5 + 5) */
	for (i = 1; i <= 10; i++) {
		s.total_retrans = (uint32_t)i;
		said += rate_lossy(&l, &s);
	}
	CHECK(said == 0);
	/* the round trip near its minimum: the third such loss says so, once */
	s.rtt_us = 44000;
	for (i = 11; i <= 20; i++) {
		s.total_retrans = (uint32_t)i;
		said += rate_lossy(&l, &s);
		CHECK(said == (i >= 13));
	}
	/* no new loss, nothing counted */
	l = (struct rate_loss){.retrans_seen = 20};
	CHECK(rate_lossy(&l, &s) == 0 && l.quiet == 0);
}

/*
 * Jitter: the kernel's minimum is one lucky sample (20 ms on a 50 +- 30 ms path), so the
 * losses of an empty queue read far above it; the smoothed RTT's floor, once warm, is the
 * unloaded value. A queue's losses on a clean path still do not count.
 */
static void
test_lossy_jitter(void)
{
	struct rate_loss l = {0};
	struct rate_sample s = {.rtt_us = 50000, .min_rtt_us = 20000, .delivered = 10};
	int i, said = 0;

	/* not warm yet: the minimum is the base, and 50 ms is past 20 x 1.5 + 5 */
	s.total_retrans = 1;
	CHECK(rate_lossy(&l, &s) == 0 && l.quiet == 0 && l.floor_us == 0);
	/* warm: the smoothed RTT wanders 42-58 ms, losses among it */
	for (i = 0; i < 40; i++) {
		s.delivered = 100 + (uint32_t)i * 50;
		s.rtt_us = 42000 + (uint32_t)(i * 7919 % 16) * 1000;
		s.total_retrans = 2 + (uint32_t)i / 4;
		said += rate_lossy(&l, &s);
	}
	CHECK(l.floor_us == 42000);
	CHECK(said == 1 && l.quiet == RATE_QUIET_LOSSES);

	/* a clean path: 10 ms unloaded, losses only with its 50 ms queue full */
	l = (struct rate_loss){0};
	s = (struct rate_sample){.rtt_us = 11000, .min_rtt_us = 10000, .delivered = 200};
	CHECK(rate_lossy(&l, &s) == 0 && l.floor_us == 11000);
	s.rtt_us = 60000;
	for (said = 0, i = 1; i <= 10; i++) {
		s.total_retrans = (uint32_t)i;
		said += rate_lossy(&l, &s);
	}
	CHECK(said == 0 && l.quiet == 0);
}

/*
 * The bound on a loss-based connection: its bandwidth-delay product and a quarter, the
 * margin's 5 ms and the slack at its rate; a floor for slow or short paths; none until both
 * figures are known. The unloaded RTT: the warm floor, or the kernel's minimum when higher.
 */
static void
test_bound(void)
{
	struct rate_loss l = {0};
	struct rate_sample s = {.rtt_us = 30000, .min_rtt_us = 16000};

	/* 300 Mbit/s, 16 ms, a 20 ms queue: 600 KB + 150 KB + 187.5 KB + 64 KiB */
	CHECK(rate_bound(37500000, 16000, 36000, 0) ==
	      37500000ULL * 25000 / 1000000 + RATE_BOUND_SLACK);
	/* 50 Mbit/s, 40 ms, a full 50 ms queue: 312.5 KB + 31.25 KB + 64 KiB */
	CHECK(rate_bound(6250000, 40000, 90000, 0) ==
	      6250000ULL * 55000 / 1000000 + RATE_BOUND_SLACK);
	/* the RTT variation counts as round trip, not queue: 2 ms more of it */
	CHECK(rate_bound(6250000, 40000, 90000, 2000) ==
	      6250000ULL * 57000 / 1000000 + RATE_BOUND_SLACK);
	CHECK(rate_bound(125000, 20000, 60000, 0) == RATE_BOUND_MIN); /* 1 Mbit/s */
	CHECK(rate_bound(0, 20000, 60000, 0) == 0 && rate_bound(6250000, 0, 60000, 0) == 0);
	/* no queue worth it: under half of the 15 ms a 40 ms path's bound allows */
	CHECK(rate_bound(6250000, 40000, 47400, 0) == 0);
	CHECK(rate_bound(6250000, 40000, 47500, 0) != 0);
	CHECK(rate_bound(6250000, 40000, 47500, 5000) == 0); /* jitter, not a queue */
	CHECK(rate_bound(6250000, 40000, 39000, 0) == 0); /* below the unloaded: a floor moving */
	/* 100 Gbit/s over 2 s: no overflow */
	CHECK(rate_bound(12500000000ULL, 2000000, 3000000, 0) > 12500000000ULL * 2);

	CHECK(rate_unloaded_us(&l, &s) == 16000); /* not warm: the minimum */
	l.floor_us = 21000;
	CHECK(rate_unloaded_us(&l, &s) == 21000); /* the floor, above the lucky minimum */
	s.min_rtt_us = 25000;
	CHECK(rate_unloaded_us(&l, &s) == 25000);
	s.min_rtt_us = 0;
	l.floor_us = 0;
	CHECK(rate_unloaded_us(&l, &s) == 0);
}

int
main(void)
{
	test_update_grow();
	test_measure();
	test_stall();
	test_bbr();
	test_lossy();
	test_lossy_jitter();
	test_loss_rate();
	test_bound();
	return CHECK_RESULT();
}
