/*
 * udpchan: a local UDP socket as the session's channel (Mode = udp).
 *
 * Datagrams that arrive on the socket are sent to the peer, one DATA frame each, boundaries
 * kept; the peer's datagrams leave the socket towards UdpTarget, or towards whoever sent
 * the latest datagram when UdpTarget is unset (the application behind UdpListen). Like the
 * tun device the channel is lossy: order is restored, but a datagram that cannot be sent
 * is dropped and counted, never queued, and a datagram larger than the MTU is dropped and
 * counted (drops.oversize), never truncated.
 */
#ifndef MPTUN_UDPCHAN_H
#define MPTUN_UDPCHAN_H

#include <ev.h>
#include <sys/socket.h>

#include "conf.h"
#include "session.h"

#define UDPCHAN_BATCH	64		  /* datagrams read per wake-up before others get a turn */
#define UDPCHAN_SOCKBUF (2 * 1024 * 1024) /* socket buffers asked for, each way */

struct udpchan {
	struct chan ch; /* first: the session calls back through it */
	ev_io io;
	int fd;
	struct ev_loop *loop;
	struct session *s;
	struct sockaddr_storage dst; /* where the peer's datagrams go */
	socklen_t dstlen;	     /* 0: nowhere yet (no target, nobody has sent) */
	int fixed;		     /* dst is UdpTarget, not the latest sender */
};

/* Open the socket of c (bound to UdpListen, if set) and resolve UdpTarget. -1 (logged). */
int udpchan_open(struct udpchan *u, const struct conf *c);
/* Make u the channel of session s and start reading. */
void udpchan_start(struct udpchan *u, struct ev_loop *loop, struct session *s);
void udpchan_stop(struct udpchan *u);

#endif
