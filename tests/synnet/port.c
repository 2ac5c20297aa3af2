/*
 * port: AF_PACKET socket on one interface (see port.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "port.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* The virtio-net header the kernel puts before each frame (PACKET_VNET_HDR). */
static struct virtio_net_hdr rx_hdr[PORT_BATCH];
static const struct virtio_net_hdr tx_hdr; /* all zero: no offload asked */

int
port_open(struct port *pt, const char *ifname)
{
	struct sockaddr_ll sll = {0};
	int one = 1, sz = PORT_SOCKBUF, save;

	memset(pt, 0, sizeof(*pt));
	pt->fd = -1;
	if (strlen(ifname) >= sizeof(pt->name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(pt->name, ifname);
	pt->ifindex = (int)if_nametoindex(ifname);
	if (pt->ifindex == 0)
		return -1;
	/* protocol 0: receives nothing until bound, so no other interface leaks in */
	pt->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pt->fd == -1)
		return -1;
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == -1)
		goto fail;
	/* best effort: older kernels lack these, and the checks below cover for them */
	(void)setsockopt(pt->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	(void)setsockopt(pt->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(pt->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(pt->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = pt->ifindex;
	if (bind(pt->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		goto fail;
	return 0;
fail:
	save = errno;
	close(pt->fd);
	pt->fd = -1;
	errno = save;
	return -1;
}

void
port_close(struct port *pt)
{
	if (pt->fd != -1)
		close(pt->fd);
	pt->fd = -1;
}

/* Fold a 32-bit one's-complement sum to 16 bits. */
static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Finish a checksum the sender left for offload: the field holds the pseudo-header sum,
 * the sum runs from csum_start to the end of the frame. -1 if the offsets do not fit.
 */
static int
csum_complete(struct pkt *p, const struct virtio_net_hdr *h)
{
	uint32_t sum = 0, start = h->csum_start, field = (uint32_t)h->csum_start + h->csum_offset;
	uint16_t c;
	uint32_t i;

	if (start >= p->len || field + 2 > p->len)
		return -1;
	for (i = start; i + 1 < p->len; i += 2)
		sum += (uint32_t)p->data[i] << 8 | p->data[i + 1];
	if (i < p->len)
		sum += (uint32_t)p->data[i] << 8;
	c = (uint16_t)~csum_fold(sum);
	p->data[field] = (uint8_t)(c >> 8);
	p->data[field + 1] = (uint8_t)c;
	return 0;
}

int
port_recv(struct port *pt, struct pkt **pkts, int n, int *ngood)
{
	struct mmsghdr m[PORT_BATCH];
	struct iovec iov[PORT_BATCH][2];
	struct sockaddr_ll from[PORT_BATCH];
	struct pkt *t;
	int i, got, good = 0;

	*ngood = 0;
	if (n > PORT_BATCH)
		n = PORT_BATCH;
	for (i = 0; i < n; i++) {
		iov[i][0] = (struct iovec){&rx_hdr[i], sizeof(rx_hdr[i])};
		iov[i][1] = (struct iovec){pkts[i]->data, sizeof(pkts[i]->data)};
		m[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
					       .msg_namelen = sizeof(from[i]),
					       .msg_iov = iov[i],
					       .msg_iovlen = 2};
	}
	got = recvmmsg(pt->fd, m, (unsigned)n, MSG_DONTWAIT, NULL);
	if (got <= 0) {
		/* EAGAIN: drained; ENETDOWN: reported once after the interface went down */
		if (got == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENETDOWN &&
		    errno != EINTR)
			log_warn("%s: recvmmsg", pt->name);
		return 0;
	}
	for (i = 0; i < got; i++) {
		struct pkt *p = pkts[i];
		size_t len = m[i].msg_len;

		if (from[i].sll_pkttype == PACKET_OUTGOING || len < sizeof(rx_hdr[i]))
			continue;
		len -= sizeof(rx_hdr[i]);
		if ((m[i].msg_hdr.msg_flags & MSG_TRUNC) || len > sizeof(p->data)) {
			pt->rx_oversize++;
			continue;
		}
		if (rx_hdr[i].gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			pt->rx_gso++;
			continue;
		}
		p->len = (uint32_t)len;
		if ((rx_hdr[i].flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && csum_complete(p, &rx_hdr[i]))
			continue;
		/* keep the good ones at the front, the buffers of the others behind them */
		t = pkts[good];
		pkts[good++] = p;
		pkts[i] = t;
	}
	*ngood = good;
	return got;
}

int
port_queue(struct port *pt, struct pkt *p)
{
	pt->tx[pt->ntx++] = p;
	return pt->ntx == PORT_BATCH;
}

void
port_flush(struct port *pt, void (*done)(struct pkt *p, int err, void *arg), void *arg)
{
	struct mmsghdr m[PORT_BATCH];
	struct iovec iov[PORT_BATCH][2];
	int i, off = 0, sent;

	for (i = 0; i < pt->ntx; i++) {
		iov[i][0] = (struct iovec){(void *)&tx_hdr, sizeof(tx_hdr)};
		iov[i][1] = (struct iovec){pt->tx[i]->data, pt->tx[i]->len};
		m[i].msg_hdr = (struct msghdr){.msg_iov = iov[i], .msg_iovlen = 2};
	}
	while (off < pt->ntx) {
		sent = sendmmsg(pt->fd, m + off, (unsigned)(pt->ntx - off), MSG_DONTWAIT);
		if (sent == -1 && errno == EINTR)
			continue;
		if (sent <= 0) {
			/* the first frame failed: count it lost and go on with the rest */
			done(pt->tx[off], sent == -1 ? errno : EIO, arg);
			off++;
			continue;
		}
		for (i = 0; i < sent; i++)
			done(pt->tx[off + i], 0, arg);
		off += sent;
	}
	pt->ntx = 0;
}

int
port_set_up(struct port *pt, int up)
{
	struct ifreq ifr = {0};

	strcpy(ifr.ifr_name, pt->name);
	if (ioctl(pt->fd, SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ioctl(pt->fd, SIOCSIFFLAGS, &ifr);
}
