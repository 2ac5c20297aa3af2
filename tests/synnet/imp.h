/*
 * imp: the impairment model of one direction of an emulated link.
 *
 * A packet's fate is decided in two steps. imp_draw makes every random choice (loss,
 * duplication, corruption, jitter) from the direction's own stream, always consuming the
 * same draws for the same settings and packet length: so with one seed, the n-th packet
 * meets the same fate whatever the timing. imp_admit then runs the byte-limited queue in
 * front of a serializer at the configured rate (real queueing delay, tail drop when the
 * queue is full) and adds the propagation delay. Time is passed in (nanoseconds on any
 * monotonic clock); nothing here reads a clock or touches a packet's bytes.
 */
#ifndef SYNNET_IMP_H
#define SYNNET_IMP_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define IMP_NS_PER_SEC 1000000000ULL
/* Without an explicit queue, a rate-limited direction holds this much time of traffic. */
#define IMP_DEFAULT_QUEUE_NS (50 * 1000000ULL)
/* ...but never fewer bytes than this, so slow rates still pass a few full frames. */
#define IMP_MIN_QUEUE_BYTES (16 * 1024)
/* Ethernet header length: corruption and rate accounting start behind it. */
#define IMP_L2_LEN 14

enum imp_loss {
	IMP_LOSS_NONE,
	IMP_LOSS_RANDOM, /* independent (Bernoulli) loss */
	IMP_LOSS_GE,	 /* Gilbert-Elliott two-state bursts */
};

struct imp_params {
	uint64_t rate_bps;    /* serializer rate in bit/s of IP bytes; 0: unlimited */
	uint64_t queue_bytes; /* queue limit in bytes; 0: derived from queue_ns */
	uint64_t queue_ns;    /* queue limit as time at the rate; 0: IMP_DEFAULT_QUEUE_NS */
	uint64_t delay_ns;
	uint64_t jitter_ns; /* delay is uniform in [delay - jitter, delay + jitter], >= 0 */
	int reorder;	    /* 0: keep FIFO order despite jitter; 1: let packets overtake */
	enum imp_loss loss_model;
	double loss;	/* RANDOM: loss probability */
	double ge_p;	/* GE: probability good -> bad per packet */
	double ge_r;	/* GE: probability bad -> good per packet */
	double ge_bad;	/* GE: loss probability in the bad state (1 - h) */
	double ge_good; /* GE: loss probability in the good state (1 - k) */
	double dup;	/* duplication probability */
	double corrupt; /* probability of flipping one bit behind the Ethernet header */
	int blackhole;	/* drop everything */
};

struct imp_state {
	struct rng rng;
	int ge_bad_state;
	uint64_t busy_until;  /* when the serializer finishes the last admitted byte */
	uint64_t last_depart; /* latest departure handed out (FIFO mode) */
};

enum imp_verdict {
	IMP_PASS,
	IMP_DROP_BLACKHOLE,
	IMP_DROP_LOSS,
};

/* The random part of a packet's fate. */
struct imp_draw {
	enum imp_verdict verdict;
	int dup;     /* send a second copy */
	int corrupt; /* flip bit corrupt_bit of byte corrupt_off */
	size_t corrupt_off;
	int corrupt_bit;
	int64_t jitter_ns;     /* jitter of the packet */
	int64_t dup_jitter_ns; /* jitter of the copy */
};

/* Parameters of a clean link: no limit, no delay, no loss. */
void imp_params_clear(struct imp_params *p);
/* Reset the state and start the random stream of seed. */
void imp_state_init(struct imp_state *s, uint64_t seed);
/* Restart the random stream (and the loss state) of a running direction. */
void imp_reseed(struct imp_state *s, uint64_t seed);
/* Make the random choices for a frame of len bytes. */
void imp_draw(const struct imp_params *p, struct imp_state *s, size_t len, struct imp_draw *d);
/*
 * Queue a frame of len bytes arriving at now with the given jitter: 0 and *depart set to
 * the time it leaves the link, or -1 when the queue is full (tail drop).
 */
int imp_admit(const struct imp_params *p, struct imp_state *s, uint64_t now, size_t len,
	      int64_t jitter_ns, uint64_t *depart);
/* Queue limit in bytes that p implies. */
uint64_t imp_queue_limit(const struct imp_params *p);
/* Bytes waiting for the serializer at now. */
uint64_t imp_backlog(const struct imp_params *p, const struct imp_state *s, uint64_t now);

#endif
