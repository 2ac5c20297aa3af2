/*
 * playout: the UDP channel's playout buffer (PlayoutDelay): the peer's datagrams leave at
 * the pace the peer read them, jitter removed.
 *
 * Each datagram carries the sender's clock when it was read (a 32-bit microsecond stamp,
 * see udpchan.h). The clocks of the two hosts are not synchronised and need not be: what
 * counts is how much longer than the fastest one a datagram took. The receiver keeps the
 * base, the lowest (arrival - stamp) seen over the last PLAYOUT_EPOCH to twice that, and a
 * datagram leaves at stamp + base + delay on its own clock: `delay` after it would have
 * arrived by the fastest transit seen. One that took more than `delay` longer than that is
 * late: refused. The base follows a lower transit or the clocks' drift by at most
 * 1/PLAYOUT_SLEW of the time that passes, so the pacing never jumps; release times never
 * go back (each at least the one before), so datagrams leave in the order they came.
 *
 * Queued datagrams sit back to back in one byte queue, at most `bytes` of them (headers
 * included): beyond that a datagram is refused, never queued without bound. Pure: times
 * (microseconds on the local monotonic clock) are passed in; no clock read, no timer.
 */
#ifndef MPTUN_PLAYOUT_H
#define MPTUN_PLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PLAYOUT_BYTES	  (4u << 20) /* queued bytes at most, entry headers included */
#define PLAYOUT_ENTRY_HDR 12	     /* per datagram: release time 8, length 4 */
#define PLAYOUT_EPOCH	  2000000    /* us: the base is the lowest transit of 1 to 2 epochs */
#define PLAYOUT_SLEW	  128	     /* the base moves by at most 1/128 of the time passed */
#define PLAYOUT_RESYNC	  2000000    /* us: a stamp this far off the base means new clocks */

enum playout_verdict {
	PLAYOUT_QUEUED, /* it leaves at its time (playout_next) */
	PLAYOUT_LATE,	/* more than the delay later than the fastest transit: refused */
	PLAYOUT_FULL,	/* no room: refused */
};

struct playout {
	uint64_t delay;	  /* us */
	struct bq q;	  /* entries: release time, length, datagram */
	size_t count;	  /* datagrams queued */
	uint64_t last_at; /* release time of the latest one queued */
	int synced;	  /* base and minima hold values */
	uint32_t base;	  /* the schedule's (arrival - stamp), slewed towards the minimum */
	uint32_t min_prev, min_cur; /* lowest (arrival - stamp) of the last epoch and this one */
	uint64_t epoch_at;	    /* when this epoch began */
	uint64_t slew_at;	    /* the time up to which the base has been slewed */
};

/* A buffer releasing datagrams delay us after the fastest transit, holding at most bytes.
 * -1 on ENOMEM. */
int playout_init(struct playout *p, uint64_t delay, size_t bytes);
void playout_free(struct playout *p);
/* The peer's clock is another one now (it restarted): learn the base anew. */
void playout_resync(struct playout *p);
/* A datagram of len bytes stamped stamp by the peer arrives at now. */
enum playout_verdict playout_put(struct playout *p, uint64_t now, uint32_t stamp, const uint8_t *d,
				 size_t len);
/* The release time of the first datagram queued: 0, or -1 when none is. */
int playout_next(const struct playout *p, uint64_t *at);
/* The first datagram if its time has come by now (NULL otherwise); playout_pop drops it. */
const uint8_t *playout_peek(const struct playout *p, uint64_t now, size_t *len);
void playout_pop(struct playout *p);

#endif
