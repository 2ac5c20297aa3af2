/*
 * udpchan: the UDP datagram channel (see udpchan.h).
 *
 * Each datagram is received straight into its session slot (no copy). recvmmsg would need
 * several slots at once, while the session hands out one at a time, so datagrams are read
 * one by one, up to UDPCHAN_BATCH per wake-up. MSG_TRUNC makes recvmsg return the real
 * size of a datagram larger than the slot, so an oversized one is recognised and dropped
 * whole instead of leaving as a truncated datagram. Each goes in behind its send stamp
 * (udpchan.h), written in front of it in the slot; the stamp alone makes a frame of an
 * empty datagram, which is carried like any other.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
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

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

size_t
udpchan_payload_max(const struct conf *c)
{
	size_t mtu = (size_t)c->mtu;

	/* an MTU above the largest UDP payload only has to keep the frame within its limit */
	return (mtu < UDPCHAN_DATAGRAM_MAX ? mtu : UDPCHAN_DATAGRAM_MAX) + UDPCHAN_STAMP;
}

/* The playout buffer and its timer, with PlayoutDelay. -1 (logged). */
static int
playout_open(struct udpchan *u, const struct conf *c)
{
	if (c->playout_ms == 0)
		return 0;
	if (playout_init(&u->po, (uint64_t)c->playout_ms * 1000, PLAYOUT_BYTES) == -1) {
		log_warnx("udp playout buffer: out of memory");
		return -1;
	}
	if ((u->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_warn("udp playout timer");
		playout_free(&u->po);
		return -1;
	}
	u->playing = 1;
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
	u->fd = u->tfd = -1;
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
	/* without it the stamps are the time of reading, which is all they lose */
	setsockopt(u->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (c->has_udp_listen) {
		if (family == AF_INET6)
			setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(u->fd, (struct sockaddr *)&local, locallen) == -1) {
			proxy_format_hostport(&c->udp_listen, label, sizeof(label));
			log_warn("udp bind %s", label);
			goto fail;
		}
	}
	if (playout_open(u, c) == -1)
		goto fail;
	return 0;
fail:
	close(u->fd);
	u->fd = -1;
	return -1;
}

/*
 * When the datagram of m reached the socket, on the monotonic clock (us): the kernel's
 * timestamp is on the real-time clock, which may step, so only the age it gives is used,
 * against clocks read together at mono and rt. Without one: mono.
 */
static uint32_t
stamp_of(struct msghdr *m, uint64_t mono, const struct timespec *rt)
{
	struct cmsghdr *cm;
	struct timespec ts;
	int64_t age;

	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS ||
		    cm->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		age = ((int64_t)rt->tv_sec - (int64_t)ts.tv_sec) * 1000000 +
		      ((int64_t)rt->tv_nsec - (int64_t)ts.tv_nsec) / 1000;
		if (age > -UDPCHAN_AGE_MAX && age < UDPCHAN_AGE_MAX)
			return (uint32_t)(mono - (uint64_t)age);
	}
	return (uint32_t)mono;
}

/* Datagrams from the application: each goes straight into its session slot. */
static void
udpchan_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udpchan *u = container_of(w, struct udpchan, io);
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage from;
	struct msghdr m;
	struct iovec iov;
	struct timespec rt;
	struct wr wr;
	uint64_t mono = mono_us();
	int budget = UDPCHAN_BATCH;
	uint8_t *p;
	size_t cap;
	ssize_t n;

	clock_gettime(CLOCK_REALTIME, &rt);
	while (budget-- > 0) {
		if ((p = session_tx_slot(u->s, &cap)) == NULL) {
			/* every path is full: the socket buffer queues (and drops) until resume */
			ev_io_stop(loop, &u->io);
			break;
		}
		cap -= UDPCHAN_STAMP; /* the slot holds udpchan_payload_max: a stamp fits */
		iov.iov_base = p + UDPCHAN_STAMP;
		iov.iov_len = cap;
		memset(&m, 0, sizeof(m));
		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(u->fd, &m, MSG_TRUNC);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("udp receive");
			break;
		}
		if (!u->fixed) {
			memcpy(&u->dst, &from, m.msg_namelen);
			u->dstlen = m.msg_namelen;
		}
		if ((size_t)n > cap) {
			session_count_drop(u->s, DROP_OVERSIZE); /* never sent truncated */
			continue;
		}
		wr_init(&wr, p, UDPCHAN_STAMP);
		wr_u32(&wr, stamp_of(&m, mono, &rt));
		session_tx_commit(u->s, UDPCHAN_STAMP + (size_t)n);
	}
	session_flush(u->s);
}

static void
send_out(struct udpchan *u, const uint8_t *p, size_t len)
{
	/* like a link, UDP takes or drops: never push back on the session */
	if (u->dstlen == 0 || sendto(u->fd, p, len, MSG_DONTWAIT, (struct sockaddr *)&u->dst,
				     u->dstlen) != (ssize_t)len)
		session_count_drop(u->s, DROP_DELIVERY);
}

/* Set the timer for the first queued datagram, unless it is set for it already. */
static void
arm(struct udpchan *u)
{
	struct itimerspec its;
	uint64_t at;

	if (u->armed || playout_next(&u->po, &at) == -1)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(at / 1000000);
	its.it_value.tv_nsec = (long)(at % 1000000) * 1000;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1; /* zero would disarm it */
	if (timerfd_settime(u->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1) {
		log_warn("udp playout timer");
		return;
	}
	u->armed = 1;
}

/* The playout timer: send what is due, then wait for the next. */
static void
udpchan_timer_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udpchan *u = container_of(w, struct udpchan, tio);
	uint64_t expirations, now;
	const uint8_t *p;
	size_t len;

	if (read(u->tfd, &expirations, sizeof(expirations)) == -1 && errno != EAGAIN)
		log_warn("udp playout timer");
	u->armed = 0;
	now = mono_us();
	while ((p = playout_peek(&u->po, now, &len)) != NULL) {
		send_out(u, p, len);
		playout_pop(&u->po);
	}
	arm(u);
}

static int
udpchan_deliver(struct chan *ch, const uint8_t *p, size_t len)
{
	struct udpchan *u = (struct udpchan *)ch;
	const uint8_t *d;
	uint32_t stamp;
	struct rd r;

	rd_init(&r, p, len);
	if (rd_u32(&r, &stamp) == -1 || rd_ptr(&r, &d, rd_left(&r)) == -1) {
		session_count_drop(u->s, DROP_MALFORMED); /* no room for a stamp */
		return 0;
	}
	if (!u->playing) {
		send_out(u, d, len - UDPCHAN_STAMP);
		return 0;
	}
	/* release times only grow: a timer set for the first one stays right */
	switch (playout_put(&u->po, mono_us(), stamp, d, len - UDPCHAN_STAMP)) {
	case PLAYOUT_QUEUED:
		arm(u);
		break;
	case PLAYOUT_LATE:
		session_count_drop(u->s, DROP_LATE);
		break;
	case PLAYOUT_FULL:
		session_count_drop(u->s, DROP_DELIVERY);
		break;
	}
	return 0;
}

/* The peer restarted: its stamps come from another clock (maybe another boot). */
static void
udpchan_restart(struct chan *ch)
{
	struct udpchan *u = (struct udpchan *)ch;

	if (u->playing)
		playout_resync(&u->po);
}

/*
 * Every small datagram is real-time: the UDP channel carries VPNs and media whose small
 * packets are voice, video and game frames, or their own acknowledgements.
 */
static int
udpchan_realtime(struct chan *ch, const uint8_t *p, size_t len)
{
	return 1;
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
	u->ch.restart = udpchan_restart;
	u->ch.realtime = udpchan_realtime;
	u->ch.reliable = 0;
	u->loop = loop;
	u->s = s;
	ev_io_init(&u->io, udpchan_read_cb, u->fd, EV_READ);
	ev_io_start(loop, &u->io);
	if (u->playing) {
		ev_io_init(&u->tio, udpchan_timer_cb, u->tfd, EV_READ);
		ev_io_start(loop, &u->tio);
	}
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
	if (!u->playing)
		return;
	if (u->loop != NULL)
		ev_io_stop(u->loop, &u->tio);
	close(u->tfd);
	u->tfd = -1;
	playout_free(&u->po);
	u->playing = 0;
}
