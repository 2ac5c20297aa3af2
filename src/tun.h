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

/*
 * Where the packets read from the device go: the session route returns for a packet (its
 * virtio header first), or NULL to drop it (the router counts it). With one session
 * (only), packets are read straight into its slots and route, if set, only filters; with
 * several, each is read into buf, then copied into its session's slot.
 */
typedef struct session *(*tun_route_fn)(void *arg, const uint8_t *pkt, size_t len);

struct tun {
	ev_io io;
	int fd;
	int ifindex;
	struct ev_loop *loop;
	char name[CONF_NAME_MAX];
	struct session *only;
	tun_route_fn route;
	void *arg;
	uint8_t *buf; /* TUN_PAYLOAD_MAX bytes, without only */
};

/*
 * Create (or attach to) the tun device c->ifname, configure its addresses, MTU and queue
 * length, and bring it up. Returns a non-blocking fd, or -1 (logged). *ifindex is set.
 */
int tun_open(const struct conf *c, int *ifindex);
/*
 * Start reading the open device fd: into only's slots, or (only NULL) through route to
 * each packet's session. -1 when out of memory.
 */
int tun_start(struct tun *t, struct ev_loop *loop, const char *name, int fd, int ifindex,
	      struct session *only, tun_route_fn route, void *arg);
void tun_stop(struct tun *t);
/* Switch to reading into only's slots, or (NULL) to routing. -1 when out of memory. */
int tun_set_only(struct tun *t, struct session *only);
/* Hand one packet (virtio header first) to the kernel: 0, or -1 when it refused it. */
int tun_write(struct tun *t, const uint8_t *pkt, size_t len);
/* A session can take packets again (struct chan resume): read on. */
void tun_resume(struct tun *t);
/*
 * The inner source (dst 0) or destination (dst 1) address of a packet read from or for the
 * device: *family AF_INET or AF_INET6, *addr its 4 or 16 bytes in the packet. -1 when it is
 * neither an IPv4 nor an IPv6 packet long enough to hold its addresses.
 */
int tun_packet_addr(const uint8_t *pkt, size_t len, int dst, int *family, const uint8_t **addr);

#endif
