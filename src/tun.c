/*
 * tun: open and configure the tun device (see tun.h).
 *
 * The transmit queue is not where packets wait for the paths: the daemon reads the device
 * whenever a path is up and queues or drops in bytes itself (see session.c, tx_verdict).
 * The device's queue, TUN_QUEUE_BYTES at the MTU or at least TUN_QUEUE_MIN packets, only
 * absorbs the moments the daemon is not running.
 *
 * Offloads: the device takes checksum offload and TSO (IPv4, IPv6, ECN), so the inner TCP
 * stacks on both hosts hand over and take back segments of up to 64 KiB without computing
 * a checksum, whatever the MTU: the per-byte work of the tunnel is then a few copies. The
 * GSO limit keeps a super-packet and its header within one frame.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <endian.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "log.h"
#include "netlink.h"
#include "tun.h"
#include "util.h"


#define TUN_QUEUE_BYTES (128 * 1024)
#define TUN_QUEUE_MIN 64 /* packets */
/*
 * A server of several peers never stops reading the device for one of them (a peer whose
 * window is full loses the packet instead), so its queue only absorbs the moments the
 * daemon is not running: with many peers those are many small packets (acknowledgements,
 * pings) at once.
 */
#define TUN_QUEUE_ROUTED 1024

/* The header's size and byte order (the wire's: little endian), then what the kernel may pass. */
static int
offload_setup(int fd, const char *name)
{
	int hdrlen = TUN_VNET_HDR_LEN, le = 1;
	unsigned int off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;

	static_assert(sizeof(struct virtio_net_hdr) == TUN_VNET_HDR_LEN, "virtio_net_hdr size");
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrlen) == -1) {
		log_warn("tun %s: header size", name);
		return -1;
	}
	/* native order is little endian on most hosts; elsewhere the kernel must convert */
	if (ioctl(fd, TUNSETVNETLE, &le) == -1 && htole16(1) != 1) {
		log_warn("tun %s: little-endian headers", name);
		return -1;
	}
	if (ioctl(fd, TUNSETOFFLOAD, off) == -1) {
		log_warn("tun %s: offloads", name);
		return -1;
	}
	return 0;
}

int
tun_open(const struct conf *c, int *ifindex)
{
	struct ifreq ifr;
	struct nl *nl = NULL;
	int fd, i, qlen;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_warn("open /dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, c->ifname, strnlen(c->ifname, IFNAMSIZ - 1)); /* conf checked it */
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		log_warn("tun %s", c->ifname);
		goto fail;
	}
	if (offload_setup(fd, ifr.ifr_name) == -1)
		goto fail;
	if ((*ifindex = (int)if_nametoindex(ifr.ifr_name)) == 0) {
		log_warn("tun %s: index", ifr.ifr_name);
		goto fail;
	}
	if ((nl = nl_open()) == NULL)
		goto fail;
	qlen = TUN_QUEUE_BYTES / c->mtu;
	if (qlen < TUN_QUEUE_MIN)
		qlen = TUN_QUEUE_MIN;
	if (c->npeers > 1 && qlen < TUN_QUEUE_ROUTED)
		qlen = TUN_QUEUE_ROUTED;
	if (nl_link_setup(nl, *ifindex, c->mtu, qlen, TUN_PACKET_MAX) == -1)
		goto fail;
	for (i = 0; i < c->naddrs; i++)
		if (nl_addr_add(nl, *ifindex, &c->addrs[i]) == -1)
			goto fail;
	nl_close(nl);
	log_info("%s: up, mtu %d, %d address%s", ifr.ifr_name, c->mtu, c->naddrs,
		 c->naddrs == 1 ? "" : "es");
	return fd;
fail:
	nl_close(nl);
	close(fd);
	return -1;
}

/* One session takes every packet: each read goes straight into its slot. */
static void
read_into_slots(struct tun *t)
{
	int budget = TUN_BATCH;
	uint8_t *p;
	size_t cap;
	ssize_t n;

	while (budget-- > 0) {
		if ((p = session_tx_slot(t->only, &cap)) == NULL) {
			/* every path is full: let the kernel queue (and drop) until resume */
			ev_io_stop(t->loop, &t->io);
			break;
		}
		n = read(t->fd, p, cap);
		if (n == -1 && (errno == EFAULT || errno == EINVAL)) {
			/* larger than a frame: the GSO limit should have prevented it */
			session_count_drop(t->only, DROP_OVERSIZE);
			continue;
		}
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read %s", t->name);
			break;
		}
		/* a destination outside the peer's AllowedIPs: the slot is not committed */
		if (t->route != NULL && t->route(t->arg, p, (size_t)n) != t->only)
			continue;
		session_tx_commit(t->only, (size_t)n);
	}
	session_flush(t->only);
}

/*
 * Several sessions: read a packet, ask its session, copy it into that session's slot. A
 * session that cannot take it now (its window is full) loses that packet, counted as
 * full, rather than holding up the device for every other peer.
 */
static void
read_routed(struct tun *t)
{
	struct session *touched[TUN_BATCH], *s;
	int budget = TUN_BATCH, ntouched = 0, i;
	uint8_t *p;
	size_t cap;
	ssize_t n;

	while (budget-- > 0) {
		n = read(t->fd, t->buf, TUN_PAYLOAD_MAX);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read %s", t->name);
			break;
		}
		if ((s = t->route(t->arg, t->buf, (size_t)n)) == NULL)
			continue;
		if ((p = session_tx_slot(s, &cap)) == NULL) {
			session_count_drop(s, DROP_FULL);
			continue;
		}
		if ((size_t)n > cap) {
			session_count_drop(s, DROP_OVERSIZE);
			continue;
		}
		memcpy(p, t->buf, (size_t)n);
		session_tx_commit(s, (size_t)n);
		for (i = 0; i < ntouched && touched[i] != s; i++)
			;
		if (i == ntouched)
			touched[ntouched++] = s;
	}
	for (i = 0; i < ntouched; i++)
		session_flush(touched[i]);
}

static void
tun_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tun *t = container_of(w, struct tun, io);

	if (t->only != NULL)
		read_into_slots(t);
	else
		read_routed(t);
}

int
tun_write(struct tun *t, const uint8_t *pkt, size_t len)
{
	/* the kernel takes or drops it (a bad header too): a tun device never pushes back */
	if (len <= TUN_VNET_HDR_LEN || write(t->fd, pkt, len) != (ssize_t)len)
		return -1;
	return 0;
}

void
tun_resume(struct tun *t)
{
	ev_io_start(t->loop, &t->io);
}

int
tun_packet_addr(const uint8_t *pkt, size_t len, int dst, int *family, const uint8_t **addr)
{
	const uint8_t *ip = pkt + TUN_VNET_HDR_LEN;
	size_t n = len > TUN_VNET_HDR_LEN ? len - TUN_VNET_HDR_LEN : 0;

	if (n >= 20 && ip[0] >> 4 == 4) {
		*family = AF_INET;
		*addr = ip + (dst ? 16 : 12);
		return 0;
	}
	if (n >= 40 && ip[0] >> 4 == 6) {
		*family = AF_INET6;
		*addr = ip + (dst ? 24 : 8);
		return 0;
	}
	return -1;
}

int
tun_packet_realtime(const uint8_t *pkt, size_t len)
{
	const uint8_t *ip = pkt + TUN_VNET_HDR_LEN;
	size_t n = len > TUN_VNET_HDR_LEN ? len - TUN_VNET_HDR_LEN : 0;
	int dscp, proto;

	if (n >= 20 && ip[0] >> 4 == 4) {
		dscp = ip[1] >> 2;
		proto = ip[9];
	} else if (n >= 40 && ip[0] >> 4 == 6) {
		dscp = ((ip[0] & 0x0f) << 2) | ip[1] >> 6;
		proto = ip[6];
	} else {
		return 0;
	}
	/* EF (46), AF41..AF43 (34, 36, 38) */
	return dscp == 46 || dscp == 34 || dscp == 36 || dscp == 38 || proto != IPPROTO_TCP;
}

int
tun_start(struct tun *t, struct ev_loop *loop, const char *name, int fd, int ifindex,
	  struct session *only, tun_route_fn route, void *arg)
{
	t->fd = fd;
	t->ifindex = ifindex;
	t->loop = loop;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->route = route;
	t->arg = arg;
	t->buf = NULL;
	if (tun_set_only(t, only) == -1)
		return -1;
	ev_io_init(&t->io, tun_read_cb, fd, EV_READ);
	ev_io_start(loop, &t->io);
	return 0;
}

int
tun_set_only(struct tun *t, struct session *only)
{
	t->only = only;
	if (only == NULL && t->buf == NULL && (t->buf = malloc(TUN_PAYLOAD_MAX)) == NULL)
		return -1;
	return 0;
}

void
tun_stop(struct tun *t)
{
	ev_io_stop(t->loop, &t->io);
	close(t->fd);
	free(t->buf);
	t->buf = NULL;
}
