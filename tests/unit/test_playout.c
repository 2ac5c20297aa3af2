/*
 * test_playout: the playout buffer over a modelled path. Datagrams stamped every 20 ms
 * by a sender whose clock has nothing to do with ours cross a path of 10 ms plus up to
 * 20 ms of jitter (in order), and leave at the pace they were sent (within what the
 * base's slew allows) a fixed delay after the fastest transit once the base has learnt it.
 * A delay shorter than the jitter refuses the late ones; the byte bound refuses
 * what does not fit; a sender whose clock jumps (a restart) or drifts keeps being paced;
 * release times never go back.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "playout.h"

#define MS 1000u

static uint32_t rng = 12345;

static uint32_t
rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

struct run {
	int queued, late, full, released;
	uint64_t out[4096];	   /* release time of each released datagram, by seq */
	uint32_t seq_out[4096];	   /* seqs in the order they left */
	uint64_t sent_local[4096]; /* send time on our clock (what the model knows) */
	uint64_t min_transit;
};

/*
 * n datagrams every 20 ms over 10 ms + jitter; the sender's clock is ours + offset, scaled
 * by (1 + ppm / 1e6). Releases happen as a timer would fire: at the head's time exactly.
 */
static void
model(struct run *r, uint64_t delay, uint32_t jitter, int n, uint32_t offset, int ppm, size_t bytes)
{
	struct playout p;
	uint64_t t0 = 1000000, prev_arr = 0, at, arr[4096];
	uint8_t d[200];
	int i = 0;

	memset(r, 0, sizeof(*r));
	r->min_transit = UINT64_MAX;
	CHECK(playout_init(&p, delay, bytes) == 0);
	for (i = 0; i < n; i++) {
		uint64_t send = t0 + (uint64_t)i * 20 * MS;
		uint64_t a = send + 10 * MS + (jitter ? rnd(jitter) : 0);

		if (a < prev_arr)
			a = prev_arr; /* the path keeps order */
		prev_arr = arr[i] = a;
		r->sent_local[i] = send;
		if (a - send < r->min_transit)
			r->min_transit = a - send;
	}
	i = 0;
	for (;;) {
		/* the next event: an arrival, or the head's release, whichever comes first */
		int has_head = playout_next(&p, &at) == 0;

		if (i < n && (!has_head || arr[i] <= at)) {
			uint64_t send = r->sent_local[i];
			uint32_t stamp = (uint32_t)(send + offset + (int64_t)send * ppm / 1000000);

			memset(d, 0, sizeof(d));
			memcpy(d, &i, sizeof(i));
			switch (playout_put(&p, arr[i], stamp, d, sizeof(d))) {
			case PLAYOUT_QUEUED:
				r->queued++;
				break;
			case PLAYOUT_LATE:
				r->late++;
				break;
			case PLAYOUT_FULL:
				r->full++;
				break;
			}
			i++;
			continue;
		}
		if (!has_head)
			break;
		{
			const uint8_t *q;
			size_t len;
			int seq;

			CHECK(playout_peek(&p, at - 1, &len) == NULL); /* not before its time */
			q = playout_peek(&p, at, &len);
			CHECK(q != NULL && len == sizeof(d));
			if (q == NULL)
				break;
			memcpy(&seq, q, sizeof(seq));
			r->out[seq] = at;
			r->seq_out[r->released++] = (uint32_t)seq;
			playout_pop(&p);
		}
	}
	playout_free(&p);
}

/*
 * How far the spacing of consecutive released datagrams, from the k-th on, strays from
 * the sender's beyond what the base's slew allows: it moves 1/128 of the time
 * between their arrivals at most, the sender's spacing plus the jitter.
 */
static int64_t
worst_spacing_excess(const struct run *r, int k, uint64_t jitter)
{
	int64_t worst = INT64_MIN;
	int j;

	for (j = k + 1; j < r->released; j++) {
		uint32_t a = r->seq_out[j - 1], b = r->seq_out[j];
		int64_t dout = (int64_t)(r->out[b] - r->out[a]);
		int64_t din = (int64_t)(r->sent_local[b] - r->sent_local[a]);
		int64_t e = (dout > din ? dout - din : din - dout) - (din + (int64_t)jitter) / 128;

		if (e > worst)
			worst = e;
	}
	return worst;
}

static void
test_pacing(void)
{
	static struct run r;
	int j, order = 1;

	model(&r, 60 * MS, 20 * MS, 400, 0xfff00000u, 0, PLAYOUT_BYTES);
	CHECK(r.queued == 400 && r.late == 0 && r.full == 0 && r.released == 400);
	for (j = 1; j < r.released; j++)
		if (r.seq_out[j] != r.seq_out[j - 1] + 1)
			order = 0;
	CHECK(order);
	/* spacing within the slew while the base learns the fastest transit, and after */
	CHECK(worst_spacing_excess(&r, 0, 20 * MS) <= 1);
	/* once it has (the first 20 ms of extra transit are slewed off within 2.6 s), each
	 * leaves the delay after the fastest transit of the last epochs */
	for (j = 150; j < 400; j++)
		CHECK(r.out[j] >= r.sent_local[j] + r.min_transit + 60 * MS &&
		      r.out[j] <= r.sent_local[j] + r.min_transit + 62 * MS);
}

static void
test_late(void)
{
	static struct run r;

	model(&r, 5 * MS, 20 * MS, 400, 7, 0, PLAYOUT_BYTES);
	CHECK(r.late > 100 && r.queued > 50 && r.late + r.queued == 400);
	CHECK(r.released == r.queued);
	/* what is kept is still paced */
	CHECK(worst_spacing_excess(&r, 0, 20 * MS) <= 1);
	/* no jitter, no delay: every one goes at once, none late */
	model(&r, 0, 0, 50, 99, 0, PLAYOUT_BYTES);
	CHECK(r.queued == 50 && r.late == 0);
}

static void
test_full(void)
{
	static struct run r;

	/* room for two entries of 200 bytes: with 3 queued at 60 ms, some are refused */
	model(&r, 60 * MS, 0, 50, 0, 0, 2 * (PLAYOUT_ENTRY_HDR + 200) + 10);
	CHECK(r.full > 0 && r.queued + r.full == 50 && r.released == r.queued);
}

static void
test_drift(void)
{
	static struct run r;

	/* a sender's clock 100 ppm fast, and one 100 ppm slow, for 80 s */
	model(&r, 60 * MS, 20 * MS, 4000, 5, 100, PLAYOUT_BYTES);
	CHECK(r.late == 0 && r.released == 4000);
	CHECK(worst_spacing_excess(&r, 0, 20 * MS) <= 1);
	model(&r, 60 * MS, 20 * MS, 4000, 5, -100, PLAYOUT_BYTES);
	CHECK(r.late == 0 && r.released == 4000);
	CHECK(worst_spacing_excess(&r, 0, 20 * MS) <= 1);
}

static void
test_resync(void)
{
	struct playout p;
	uint64_t at, prev = 0;
	size_t len;
	uint8_t d[1] = {0};
	int i;

	CHECK(playout_init(&p, 60 * MS, PLAYOUT_BYTES) == 0);
	for (i = 0; i < 10; i++)
		CHECK(playout_put(&p, 1000000 + i * 20 * MS, 500 + i * 20 * MS, d, 1) ==
		      PLAYOUT_QUEUED);
	/* the peer restarts: its clock is an hour off, yet its datagrams are not late */
	for (i = 10; i < 20; i++)
		CHECK(playout_put(&p, 1000000 + i * 20 * MS, 3600000000u + i * 20 * MS, d, 1) ==
		      PLAYOUT_QUEUED);
	/* nor after a resync told so */
	playout_resync(&p);
	CHECK(playout_put(&p, 1000000 + 20 * 20 * MS, 77, d, 1) == PLAYOUT_QUEUED);
	/* a datagram just within the delay is kept, one past it refused */
	CHECK(playout_put(&p, 1000000 + 21 * 20 * MS + 60 * MS, 77 + 20 * MS, d, 1) ==
	      PLAYOUT_QUEUED);
	CHECK(playout_put(&p, 1000000 + 22 * 20 * MS + 60 * MS + 1, 77 + 2 * 20 * MS, d, 1) ==
	      PLAYOUT_LATE);
	/* a stamp that goes back (the sender's clock stepped) does not overtake */
	CHECK(playout_put(&p, 1000000 + 23 * 20 * MS, 77 + 3 * 20 * MS, d, 1) == PLAYOUT_QUEUED);
	CHECK(playout_put(&p, 1000000 + 23 * 20 * MS, 77 + 3 * 20 * MS - 5 * MS, d, 1) ==
	      PLAYOUT_QUEUED);
	/* release times never go back, whatever the clocks did */
	while (playout_next(&p, &at) == 0) {
		CHECK(at >= prev);
		prev = at;
		CHECK(playout_peek(&p, at, &len) != NULL && len == 1);
		playout_pop(&p);
	}
	CHECK(playout_peek(&p, UINT64_MAX, &len) == NULL);
	playout_free(&p);
}

int
main(void)
{
	test_pacing();
	test_late();
	test_full();
	test_drift();
	test_resync();
	return CHECK_RESULT();
}
