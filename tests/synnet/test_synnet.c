/*
 * test_synnet: unit test of synnet's pure parts: the random stream, the impairment
 * model (loss rates, Gilbert-Elliott bursts, rate and queue, FIFO under jitter), the
 * settings parser and printer, and RST forging. Exit 0 on success, 1 on failure.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "imp.h"
#include "opt.h"
#include "rng.h"
#include "rst.h"

static int failures;

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);      \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void
test_rng(void)
{
	struct rng a, b;
	int i, same = 1, hits = 0;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	for (i = 0; i < 1000; i++)
		same &= rng_next(&a) == rng_next(&b);
	CHECK(same);
	rng_seed(&b, 43);
	CHECK(rng_next(&a) != rng_next(&b));
	for (i = 0; i < 100000; i++) {
		uint64_t x = rng_below(&a, 10);

		CHECK(x < 10);
		hits += x == 3;
	}
	CHECK(hits > 9500 && hits < 10500);
	CHECK(rng_mix(1, 1) != rng_mix(1, 2));
}

/* Loss rate and mean burst length over n frames. */
static void
loss_run(const struct imp_params *p, uint64_t seed, int n, double *rate, double *burst)
{
	struct imp_state s;
	struct imp_draw d;
	int i, lost = 0, bursts = 0, last = 0;

	imp_state_init(&s, seed);
	for (i = 0; i < n; i++) {
		imp_draw(p, &s, 100, &d);
		if (d.verdict == IMP_DROP_LOSS) {
			lost++;
			bursts += !last;
			last = 1;
		} else {
			last = 0;
		}
	}
	*rate = (double)lost / n;
	*burst = bursts ? (double)lost / bursts : 0;
}

static void
test_loss(void)
{
	struct imp_params p;
	double rate, burst, rate2, burst2;

	imp_params_clear(&p);
	p.loss_model = IMP_LOSS_RANDOM;
	p.loss = 0.10;
	loss_run(&p, 7, 200000, &rate, &burst);
	CHECK(fabs(rate - 0.10) < 0.005);
	CHECK(burst > 1.05 && burst < 1.2); /* 1 / (1 - p) = 1.11 */
	loss_run(&p, 7, 200000, &rate2, &burst2);
	CHECK(rate == rate2 && burst == burst2);

	imp_params_clear(&p);
	p.loss_model = IMP_LOSS_GE;
	p.ge_p = 0.05;
	p.ge_r = 0.50;
	loss_run(&p, 7, 200000, &rate, &burst);
	CHECK(fabs(rate - 0.05 / 0.55) < 0.01);
	CHECK(fabs(burst - 2.0) < 0.15); /* 1 / r */
}

static void
test_queue(void)
{
	struct imp_params p;
	struct imp_state s;
	uint64_t t[8];
	int i, rc[8];

	imp_params_clear(&p);
	p.rate_bps = 8000000; /* 1000 IP bytes take 1 ms */
	p.queue_bytes = 5000;
	p.delay_ns = 10000000;
	imp_state_init(&s, 1);
	for (i = 0; i < 8; i++)
		rc[i] = imp_admit(&p, &s, 0, 1000 + IMP_L2_LEN, 0, &t[i]);
	for (i = 0; i < 5; i++) {
		CHECK(rc[i] == 0);
		CHECK(t[i] == (uint64_t)(i + 1) * 1000000 + 10000000);
	}
	CHECK(rc[5] == -1 && rc[6] == -1);
	/* 2.5 ms later 2.5 frames have left: two more fit */
	CHECK(imp_backlog(&p, &s, 2500000) == 2500);
	CHECK(imp_admit(&p, &s, 2500000, 1014, 0, &t[0]) == 0);
	CHECK(imp_admit(&p, &s, 2500000, 1014, 0, &t[0]) == 0);
	CHECK(imp_admit(&p, &s, 2500000, 1014, 0, &t[0]) == -1);
	/* default queue: 50 ms at the rate */
	p.queue_bytes = 0;
	CHECK(imp_queue_limit(&p) == 50000); /* 8 Mbit/s for 50 ms */
}

static void
test_jitter(void)
{
	struct imp_params p;
	struct imp_state s;
	struct imp_draw d;
	uint64_t t, last = 0, lo = UINT64_MAX, hi = 0;
	int i, fifo = 1, overtakes = 0;

	imp_params_clear(&p);
	p.delay_ns = 20000000;
	p.jitter_ns = 5000000;
	imp_state_init(&s, 3);
	for (i = 0; i < 10000; i++) {
		imp_draw(&p, &s, 100, &d);
		CHECK(d.jitter_ns >= -5000000 && d.jitter_ns <= 5000000);
		imp_admit(&p, &s, (uint64_t)i * 100000, 100, d.jitter_ns, &t);
		fifo &= t >= last;
		last = t;
	}
	CHECK(fifo);
	p.reorder = 1;
	imp_state_init(&s, 3);
	last = 0;
	for (i = 0; i < 10000; i++) {
		imp_draw(&p, &s, 100, &d);
		imp_admit(&p, &s, (uint64_t)i * 100000, 100, d.jitter_ns, &t);
		overtakes += t < last;
		last = t;
		t -= (uint64_t)i * 100000;
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	CHECK(overtakes > 1000);
	CHECK(lo >= 15000000 && hi <= 25000000 && lo < 15100000 && hi > 24900000);
}

static int
parse_line(struct imp_params *p, const char *line, char *err, size_t errlen)
{
	char buf[512], *w[32], *save = NULL, *s;
	int n = 0, i = 0, used;

	snprintf(buf, sizeof(buf), "%s", line);
	for (s = strtok_r(buf, " ", &save); s && n < 32; s = strtok_r(NULL, " ", &save))
		w[n++] = s;
	while (i < n) {
		used = opt_setting(p, n - i, w + i, err, errlen);
		if (used == -1)
			return -1;
		i += used;
	}
	return 0;
}

static void
test_opt(void)
{
	static const char *good[] = {
		"rate 100mbit queue 64kb delay 20ms jitter 2ms reorder on loss 1.5%",
		"rate 1gbit queue 30ms delay 1500us loss gemodel 1% 30% 90% 0.1%",
		"rate 64kbit duplicate 0.5% corrupt 0.01% blackhole on",
		"rate 12345bit queue 1500b delay 7ns",
		"",
	};
	static const char *bad[] = {
		"rate",	      "rate fast",	 "rate -1mbit",	 "delay 3parsecs",
		"loss 101%",  "loss gemodel 1%", "queue 0",	 "reorder maybe",
		"jitter nan", "rate 2000gbit",	 "frobnicate 1", "delay 1e300s",
	};
	struct imp_params p, q;
	char err[128], out[OPT_FORMAT_MAX], out2[OPT_FORMAT_MAX];
	uint64_t v;
	double d;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		imp_params_clear(&p);
		CHECK(parse_line(&p, good[i], err, sizeof(err)) == 0);
		opt_format(&p, out, sizeof(out));
		CHECK(strcmp(out, good[i]) == 0);
		if (strcmp(out, good[i]))
			fprintf(stderr, "  '%s' printed as '%s'\n", good[i], out);
		imp_params_clear(&q);
		CHECK(parse_line(&q, out, err, sizeof(err)) == 0);
		opt_format(&q, out2, sizeof(out2));
		CHECK(strcmp(out, out2) == 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		imp_params_clear(&p);
		CHECK(parse_line(&p, bad[i], err, sizeof(err)) == -1);
	}
	CHECK(opt_time("20", &v) == 0 && v == 20000000);
	CHECK(opt_time("1.5s", &v) == 0 && v == 1500000000);
	CHECK(opt_rate("10M", &v) == 0 && v == 10000000);
	CHECK(opt_rate("1mbps", &v) == 0 && v == 8000000);
	CHECK(opt_size("64k", &v) == 0 && v == 65536);
	CHECK(opt_prob("5%", &d) == 0 && fabs(d - 0.05) < 1e-12);
	CHECK(opt_prob("100%", &d) == 0 && d == 1.0);
	/* what strtod/strtoull would take but a setting must not: blanks, signs */
	CHECK(opt_prob("\f-0%", &d) == -1 && opt_prob(" 5%", &d) == -1 && opt_prob("-0%", &d) == -1);
	CHECK(opt_u64(" -5", &v) == -1 && opt_u64("+5", &v) == -1 && opt_u64("\t5", &v) == -1);
	CHECK(opt_time("\n20ms", &v) == -1 && opt_u64("5", &v) == 0 && v == 5);
	imp_params_clear(&p);
	CHECK(parse_line(&p, "loss 5% loss off", err, sizeof(err)) == 0);
	CHECK(p.loss_model == IMP_LOSS_NONE);
	CHECK(parse_line(&p, "loss gemodel 2% 20%", err, sizeof(err)) == 0);
	CHECK(p.loss_model == IMP_LOSS_GE && p.ge_bad == 1.0 && p.ge_good == 0);
}

static uint16_t
sum_be(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
test_rst(void)
{
	/* Ethernet + IPv4 + TCP (ACK|PSH, seq 1000, ack 2000) + 10 bytes of payload */
	uint8_t f[14 + 20 + 20 + 10] = {
		1, 2,  3,    4,	   5,	 6,    7,  8, 9,    10,	  11, 12, 0x08, 0x00, 0x45, 0,
		0, 50, 0,    0,	   0x40, 0,    64, 6, 0,    0,	  10, 77, 1,	1,    10,   77,
		1, 2,  0x13, 0x89, 0xc0, 0x00, 0,  0, 0x03, 0xe8, 0,  0,  0x07, 0xd0, 0x50, 0x18,
	};
	uint8_t out[RST_FRAME_MAX];
	struct rst_seg seg, r;
	uint32_t ps;
	size_t n, i;

	CHECK(rst_parse(f, sizeof(f), &seg) == 0);
	CHECK(seg.sport == 5001 && seg.dport == 0xc000 && seg.seq == 1000 && seg.ack == 2000);
	CHECK(seg.paylen == 10);
	CHECK(rst_match(&seg, 5001) && rst_match(&seg, 0) && !rst_match(&seg, 80));
	n = rst_forge(f, sizeof(f), &seg, out, sizeof(out));
	CHECK(n == 54);
	CHECK(rst_parse(out, n, &r) == 0);
	CHECK(r.seq == 1010 && r.ack == 2000 && r.flags == (RST_TCP_RST | RST_TCP_ACK));
	CHECK(!rst_match(&r, 0));
	CHECK(rst_same_flow(&seg, &r));
	memcpy(r.src, seg.dst, 4);
	memcpy(r.dst, seg.src, 4);
	r.sport = seg.dport;
	r.dport = seg.sport;
	CHECK(rst_same_flow(&seg, &r));
	r.dport = 1;
	CHECK(!rst_match(&r, 5001) && !rst_same_flow(&seg, &r));
	CHECK(sum_be(out + 14, 20, 0) == 0xffff);
	ps = sum_be(out + 26, 8, 0) + RST_PROTO_TCP + 20;
	CHECK(sum_be(out + 34, 20, ps) == 0xffff);
	CHECK(memcmp(out, f, 12) == 0);
	/* every truncation is refused, never read past */
	for (i = 0; i < sizeof(f); i++)
		CHECK(rst_parse(f, i, &seg) == -1);
	f[14 + 6] = 0x20; /* more fragments */
	CHECK(rst_parse(f, sizeof(f), &seg) == -1);
}

int
main(void)
{
	test_rng();
	test_loss();
	test_queue();
	test_jitter();
	test_opt();
	test_rst();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
