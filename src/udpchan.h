/*
 * udpchan: a local UDP socket as the session's channel (Mode = udp).
 *
 * Datagrams that arrive on the socket are sent to the peer, one DATA frame each, boundaries
 * kept; the peer's datagrams leave the socket towards UdpTarget, or towards whoever sent
 * the latest datagram when UdpTarget is unset (the application behind UdpListen). Like the
 * tun device the channel is lossy: order is restored, but a datagram that cannot be sent
 * is dropped and counted, never queued, and a datagram larger than the MTU is dropped and
 * counted (drops.oversize), never truncated.
 *
 * Each datagram travels behind a 4-byte stamp: the sender's monotonic clock in
 * microseconds (modulo 2^32) when the datagram reached its socket, taken from the kernel's
 * receive timestamp so a busy loop does not blur it. With PlayoutDelay the receiving side
 * paces the peer's datagrams by these stamps (playout.h) and drops the late ones
 * (drops.late); without it they leave as soon as they are in order.
 *
 * Timers owned here: the playout timer, a timerfd armed (absolute, monotonic) for the
 * release of the first queued datagram. Not an ev_timer: libev's epoll backend rounds its
 * waits up to whole milliseconds, and the pacing must hold to far less than that.
 */
#ifndef MPTUN_UDPCHAN_H
#define MPTUN_UDPCHAN_H

#include <ev.h>
#include <sys/socket.h>

#include "conf.h"
#include "playout.h"
#include "session.h"

#define UDPCHAN_BATCH	     64 /* datagrams read per wake-up before others get a turn */
#define UDPCHAN_SOCKBUF	     (2 * 1024 * 1024) /* socket buffers asked for, each way */
#define UDPCHAN_STAMP	     4		       /* bytes of send stamp in front of each datagram */
#define UDPCHAN_DATAGRAM_MAX 65527	       /* the largest UDP payload (IPv6, no jumbograms) */
#define UDPCHAN_AGE_MAX	     1000000	       /* us: a kernel timestamp further off is not used */

struct udpchan {
	struct chan ch; /* first: the session calls back through it */
	ev_io io;
	int fd;
	struct ev_loop *loop;
	struct session *s;
	struct sockaddr_storage dst; /* where the peer's datagrams go */
	socklen_t dstlen;	     /* 0: nowhere yet (no target, nobody has sent) */
	int fixed;		     /* dst is UdpTarget, not the latest sender */
	int playing;		     /* PlayoutDelay is set: po and the timer exist */
	struct playout po;
	ev_io tio; /* the playout timer's timerfd */
	int tfd;   /* -1 without PlayoutDelay */
	int armed; /* the timer is set for the first queued datagram */
};

/* Open the socket of c (bound to UdpListen, if set) and resolve UdpTarget; with
 * PlayoutDelay, the playout buffer and its timer too. -1 (logged). */
int udpchan_open(struct udpchan *u, const struct conf *c);
/* The session's largest payload for c: a datagram of up to the MTU and its stamp. */
size_t udpchan_payload_max(const struct conf *c);
/* Make u the channel of session s and start reading. */
void udpchan_start(struct udpchan *u, struct ev_loop *loop, struct session *s);
void udpchan_stop(struct udpchan *u);

#endif
