/*
 * tun: the tun device: open it, configure it (netlink), and move packets in batches.
 */
#ifndef MPTUN_TUN_H
#define MPTUN_TUN_H

#include <ev.h>

#include "conf.h"
#include "session.h"

#define TUN_BATCH 64 /* packets read per wake-up before others get a turn */
/*
 * Every packet read from or written to the device starts with a virtio_net_hdr (10 bytes,
 * little endian), and the session carries it along: the kernel hands over TCP segments as
 * unchecksummed GSO super-packets of up to 64 KiB and takes them back the same way (see
 * doc/protocol.md). TUN_PAYLOAD_MAX is the largest header + packet, one frame's payload.
 */
#define TUN_VNET_HDR_LEN 10
#define TUN_PAYLOAD_MAX 65535
#define TUN_PACKET_MAX (TUN_PAYLOAD_MAX - TUN_VNET_HDR_LEN)

/* The tun device as a session channel. */
struct tun {
	struct chan ch; /* first: the session calls back through it */
	ev_io io;
	int fd;
	int ifindex;
	struct ev_loop *loop;
	struct session *s;
};

/*
 * Create (or attach to) the tun device c->ifname, configure its addresses, MTU and queue
 * length, and bring it up. Returns a non-blocking fd, or -1 (logged). *ifindex is set.
 */
int tun_open(const struct conf *c, int *ifindex);
/* Make t the channel of session s over the open device fd and start reading. */
void tun_start(struct tun *t, struct ev_loop *loop, struct session *s, int fd, int ifindex);
void tun_stop(struct tun *t);

#endif
