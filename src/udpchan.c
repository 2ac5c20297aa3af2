/*
 * udpchan: the UDP datagram channel (see udpchan.h).
 *
 * Each datagram is received straight into its session slot (no copy). recvmmsg would need
 * several slots at once, while the session hands out one at a time, so datagrams are read
 * one by one, up to UDPCHAN_BATCH per wake-up. MSG_TRUNC makes recvfrom return the real
 * size of a datagram larger than the slot, so an oversized one is recognised and dropped
 * whole instead of leaving as a truncated datagram.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"
#include "udpchan.h"
#include "util.h"


static int
resolve(const struct conf_hostport *hp, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;
	char port[8], label[CONF_HOST_MAX + 8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", hp->port);
	if ((rc = getaddrinfo(hp->host[0] ? hp->host : NULL, port, &hints, &res)) != 0) {
		proxy_format_hostport(hp, label, sizeof(label));
		log_warnx("udp %s: %s", label, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
udpchan_open(struct udpchan *u, const struct conf *c)
{
	struct sockaddr_storage local;
	socklen_t locallen = 0;
	char label[CONF_HOST_MAX + 8];
	int family, size = UDPCHAN_SOCKBUF, one = 1;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	if (c->has_udp_listen && resolve(&c->udp_listen, AF_UNSPEC, &local, &locallen) == -1)
		return -1;
	family = c->has_udp_listen ? local.ss_family : AF_UNSPEC;
	if (c->has_udp_target) {
		if (resolve(&c->udp_target, family, &u->dst, &u->dstlen) == -1)
			return -1;
		u->fixed = 1;
		family = u->dst.ss_family;
	}
	u->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd == -1) {
		log_warn("udp socket");
		return -1;
	}
	setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (c->has_udp_listen) {
		if (family == AF_INET6)
			setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(u->fd, (struct sockaddr *)&local, locallen) == -1) {
			proxy_format_hostport(&c->udp_listen, label, sizeof(label));
			log_warn("udp bind %s", label);
			close(u->fd);
			u->fd = -1;
			return -1;
		}
	}
	return 0;
}

/* Datagrams from the application: each goes straight into its session slot. */
static void
udpchan_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udpchan *u = container_of(w, struct udpchan, io);
	struct sockaddr_storage from;
	socklen_t fromlen;
	int budget = UDPCHAN_BATCH;
	uint8_t *p;
	size_t cap;
	ssize_t n;

	while (budget-- > 0) {
		if ((p = session_tx_slot(u->s, &cap)) == NULL) {
			/* every path is full: the socket buffer queues (and drops) until resume */
			ev_io_stop(loop, &u->io);
			break;
		}
		fromlen = sizeof(from);
		n = recvfrom(u->fd, p, cap, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("udp receive");
			break;
		}
		if (!u->fixed) {
			memcpy(&u->dst, &from, fromlen);
			u->dstlen = fromlen;
		}
		if ((size_t)n > cap) {
			session_count_drop(u->s, DROP_OVERSIZE); /* never sent truncated */
			continue;
		}
		if (n == 0) {
			session_count_drop(u->s, DROP_DELIVERY); /* a frame cannot be empty */
			continue;
		}
		session_tx_commit(u->s, (size_t)n);
	}
	session_flush(u->s);
}

static int
udpchan_deliver(struct chan *ch, const uint8_t *p, size_t len)
{
	struct udpchan *u = (struct udpchan *)ch;

	/* like a link, UDP takes or drops: never push back on the session */
	if (u->dstlen == 0 || sendto(u->fd, p, len, MSG_DONTWAIT, (struct sockaddr *)&u->dst,
				     u->dstlen) != (ssize_t)len)
		session_count_drop(u->s, DROP_DELIVERY);
	return 0;
}

static void
udpchan_resume(struct chan *ch)
{
	struct udpchan *u = (struct udpchan *)ch;

	ev_io_start(u->loop, &u->io);
}

void
udpchan_start(struct udpchan *u, struct ev_loop *loop, struct session *s)
{
	u->ch.deliver = udpchan_deliver;
	u->ch.resume = udpchan_resume;
	u->ch.reliable = 0;
	u->loop = loop;
	u->s = s;
	ev_io_init(&u->io, udpchan_read_cb, u->fd, EV_READ);
	ev_io_start(loop, &u->io);
}

void
udpchan_stop(struct udpchan *u)
{
	if (u->fd == -1)
		return;
	if (u->loop != NULL)
		ev_io_stop(u->loop, &u->io);
	close(u->fd);
	u->fd = -1;
}
