/*
 * sched: which connection takes the next packet.
 *
 * Each connection keeps a struct sched_cand current (the connection module updates it from
 * TCP_INFO and its own queue); sched_pick chooses among them by the configured policy.
 * Back pressure is the input: a connection whose kernel queue is full (TCP_NOTSENT_LOWAT
 * reached) is not ready, and when none is ready the caller stops reading its source.
 * Pure: no sockets, no clock.
 */
#ifndef MPTUN_SCHED_H
#define MPTUN_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct sched_cand {
	int up;           /* established: counts for the backup rule */
	int ready;        /* can take a packet now */
	int room;         /* can queue one past ready: for sources that would drop it otherwise */
	int priority;     /* lower first, for ordered */
	int backup;       /* only while no primary is up */
	uint64_t queued;     /* bytes waiting ahead of a new packet: ours and the kernel's unsent */
	uint64_t inflight;   /* bytes sent and not yet acknowledged */
	uint64_t rate;       /* estimated delivery rate, bytes per second (0: unknown) */
	int measured;        /* the rate rests on two measurements or more, not a stand-in */
	uint32_t rtt_us;     /* smoothed RTT */
	uint32_t rttvar_us;  /* its variation */
	uint32_t min_rtt_us; /* lowest RTT seen: the path without queues (0: unknown) */
};

/*
 * Expected time in microseconds until a packet of len bytes given to c is delivered: what
 * is queued ahead of it drains at the rate, so does the part of what is in flight that
 * waits in a queue on the way rather than travels, then half the unloaded RTT.
 */
uint64_t sched_eta_us(const struct sched_cand *c, size_t len);
/*
 * Pick the connection for a packet of len bytes: index into cands, or -1 if none should take
 * it now. balance: earliest expected delivery among the ready ones, unless one at least 8
 * times faster that is not ready (or is full) would deliver it more than a millisecond
 * sooner, and the slower one's rate rests on two measurements: then -1, as waiting for that
 * one beats sending now on a much slower path. ordered: lowest priority first, overflowing
 * to the next when it is not ready; redundant: like balance (the caller adds copies with
 * sched_pick_ready). Backup connections are eligible only while no primary one is up.
 */
int sched_pick(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len);
/*
 * For tun/udp when sched_pick gives none: the earliest expected delivery among those with
 * room, under the same rule, or -1 (the caller drops the packet, like a router whose queue is
 * full).
 */
int sched_pick_room(enum conf_sched policy, struct sched_cand *const *cands, int n, size_t len);
/*
 * The earliest expected delivery among the ready ones other than index skip (-1: none), or
 * -1: for control frames, a redundant copy, and a reliable channel's payload already read.
 */
int sched_pick_ready(struct sched_cand *const *cands, int n, size_t len, int skip);

#endif
