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
#include <string.h>
#include <sys/ioctl.h>
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

/* Packets from the kernel: each read goes straight into its session slot. */
static void
tun_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tun *t = container_of(w, struct tun, io);
	int budget = TUN_BATCH;
	uint8_t *p;
	size_t cap;
	ssize_t n;

	while (budget-- > 0) {
		if ((p = session_tx_slot(t->s, &cap)) == NULL) {
			/* every path is full: let the kernel queue (and drop) until resume */
			ev_io_stop(loop, &t->io);
			break;
		}
		n = read(t->fd, p, cap);
		if (n == -1 && (errno == EFAULT || errno == EINVAL)) {
			/* larger than a frame: the GSO limit should have prevented it */
			session_count_drop(t->s, DROP_OVERSIZE);
			continue;
		}
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read %s", t->s->conf->ifname);
			break;
		}
		session_tx_commit(t->s, (size_t)n);
	}
	session_flush(t->s);
}

static int
tun_deliver(struct chan *ch, const uint8_t *p, size_t len)
{
	struct tun *t = (struct tun *)ch;

	/* the kernel takes or drops it (a bad header too): a tun device never pushes back */
	if (len <= TUN_VNET_HDR_LEN || write(t->fd, p, len) != (ssize_t)len)
		session_count_drop(t->s, DROP_DELIVERY);
	return 0;
}

static void
tun_resume(struct chan *ch)
{
	struct tun *t = (struct tun *)ch;

	ev_io_start(t->loop, &t->io);
}

void
tun_start(struct tun *t, struct ev_loop *loop, struct session *s, int fd, int ifindex)
{
	t->ch.deliver = tun_deliver;
	t->ch.resume = tun_resume;
	t->ch.reliable = 0;
	t->fd = fd;
	t->ifindex = ifindex;
	t->loop = loop;
	t->s = s;
	ev_io_init(&t->io, tun_read_cb, fd, EV_READ);
	ev_io_start(loop, &t->io);
}

void
tun_stop(struct tun *t)
{
	ev_io_stop(t->loop, &t->io);
	close(t->fd);
}
