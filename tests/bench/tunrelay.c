/*
 * tunrelay: the baseline for the tunnel's own cost. A bare tun <-> TCP relay: one
 * connection, a 4-byte length before each packet, no sequence numbers, no encryption, two
 * threads with blocking I/O. The device takes the same offloads as mptun's (virtio header,
 * checksum offload, TSO), so the difference to mptun is everything mptun adds.
 *
 *   tunrelay IFNAME ADDR PORT listen|connect
 *
 * Creates IFNAME (configure its address and MTU with ip(8) afterwards), then listens on or
 * connects to ADDR:PORT (IPv4) and relays until the connection ends.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PKT_MAX 65536
#define IN_BUF (1 << 20)

static int tun_fd, sock_fd;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

/* tun -> socket: each packet with its length in front */
static void *
up(void *arg)
{
	static uint8_t buf[4 + PKT_MAX];
	ssize_t n;

	for (;;) {
		if ((n = read(tun_fd, buf + 4, PKT_MAX)) <= 0)
			die("read tun");
		buf[0] = (uint8_t)(n >> 24);
		buf[1] = (uint8_t)(n >> 16);
		buf[2] = (uint8_t)(n >> 8);
		buf[3] = (uint8_t)n;
		write_all(sock_fd, buf, (size_t)n + 4);
	}
	return arg;
}

/* socket -> tun: every whole packet in what has arrived */
static void *
down(void *arg)
{
	static uint8_t buf[IN_BUF];
	size_t have = 0, off;
	uint32_t len;
	ssize_t n;

	for (;;) {
		if ((n = read(sock_fd, buf + have, sizeof(buf) - have)) <= 0)
			exit(0); /* the peer is gone: done */
		have += (size_t)n;
		for (off = 0; have - off >= 4; off += 4 + len) {
			len = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
			      (uint32_t)buf[off + 2] << 8 | buf[off + 3];
			if (len > PKT_MAX)
				die("bad length");
			if (have - off < 4 + len)
				break;
			/* the kernel takes it or drops it, as it may */
			n = write(tun_fd, buf + off + 4, len);
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	return arg;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct ifreq ifr;
	pthread_t t1, t2;
	int s, one = 1;

	if (argc != 5 || (strcmp(argv[4], "listen") != 0 && strcmp(argv[4], "connect") != 0)) {
		fprintf(stderr, "usage: tunrelay IFNAME ADDR PORT listen|connect\n");
		return 2;
	}
	if ((tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(tun_fd, TUNSETIFF, &ifr) == -1)
		die("TUNSETIFF");
	if (ioctl(tun_fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == -1)
		die("TUNSETOFFLOAD");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		die("address");
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	if (strcmp(argv[4], "listen") == 0) {
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(s, 1) == -1)
			die("listen");
		if ((sock_fd = accept(s, NULL, NULL)) == -1)
			die("accept");
	} else {
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			die("connect");
		sock_fd = s;
	}
	setsockopt(sock_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (pthread_create(&t1, NULL, up, NULL) != 0 || pthread_create(&t2, NULL, down, NULL) != 0)
		die("pthread_create");
	pthread_join(t2, NULL);
	return 0;
}
