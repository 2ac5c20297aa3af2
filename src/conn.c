/*
 * conn: one TCP connection (see conn.h for the states and timers).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <linux/inet_diag.h>

#include "conn.h"
#include "frame.h"
#include "log.h"
#include "util.h"

static uint32_t conn_next_id = 1;

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void conn_later_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void conn_close(struct conn *c);

/* The route a dialed connection follows (NULL: an accepted one). */
static const struct conf_path *
route(struct conn *c)
{
	return c->ops->route != NULL ? c->ops->route(c->owner, c) : NULL;
}

static void
count_drop(struct conn *c, enum conn_drop why)
{
	if (c->ops->drop != NULL)
		c->ops->drop(c->owner, c, why);
}

/* End of a batch: the owner pushes out what it queued meanwhile. */
static void
owner_flush(struct conn *c)
{
	if (c->ops->flush != NULL)
		c->ops->flush(c->owner, c);
}

void
conn_set_owner(struct conn *c, const struct conn_ops *ops, void *owner)
{
	c->ops = ops;
	c->owner = owner;
}

const char *
conn_state_name(const struct conn *c)
{
	static const char *const names[] = {"resolving", "dialing", "proxy", "handshake",
					    "hello", "up", "refused", "closing"};
	return names[c->state];
}

static uint64_t
now_ns(struct conn *c)
{
	return (uint64_t)(ev_now(c->loop) * 1e9);
}

static void
format_addr(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%d", host, port);
	} else {
		snprintf(out, len, "?");
	}
}

/*
 * Mark the outer packets with tos (DSCP << 2; 0: leave them unmarked). An IPv6 socket may
 * carry IPv4 (mapped addresses), which takes IP_TOS: it gets both.
 */
static void
mark_socket(int fd, int tos)
{
	int domain;
	socklen_t len = sizeof(domain);

	tos &= 0xfc; /* the ECN bits are the kernel's */
	if (tos == 0 || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == -1)
		return;
	if ((domain == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)) == -1) ||
	    (setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) == -1 && domain == AF_INET))
		log_warn("DSCP %d", tos >> 2);
}

/* Options every connection gets, on either side; tos marks its packets (mark_socket). */
static void
tune_socket(int fd, const char *congestion, int dead_ms, int tos)
{
	static char warned[CONF_NAME_MAX]; /* the last name that failed */
	int one = 1, lowat = CONN_NOTSENT_LOWAT, idle = 1, cnt = 3;
	unsigned int user_timeout = (unsigned int)dead_ms;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	/* the kernel agrees with our heartbeats: data unacknowledged for DeadTimeout kills it */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (congestion[0] != '\0' &&
	    setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, congestion, strlen(congestion)) == -1 &&
	    strcmp(warned, congestion) != 0) {
		/* once per name: every connection asking for it fails alike */
		log_warnx("congestion control %s: %s; the connection uses the kernel's default",
			  congestion, strerror(errno));
		snprintf(warned, sizeof(warned), "%s", congestion);
	}
	mark_socket(fd, tos);
}

static struct conn *
conn_new(const struct conn_env *env, const struct conn_ops *ops, void *owner, int fd, int initiator)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->id = conn_next_id++;
	c->fd = fd;
	c->initiator = initiator;
	c->env = *env;
	c->loop = env->loop;
	c->ops = ops;
	c->owner = owner;
	c->born = ev_now(c->loop);
	c->cc_bbr = -1;
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	ev_timer_init(&c->timer, conn_timer_cb, CONN_PHASE_TIMEOUT, 0.);
	ev_timer_init(&c->later, conn_later_cb, 0., 0.);
	ev_timer_start(c->loop, &c->timer);
	return c;
}

void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	if (c->state == CONN_DYING)
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->state = CONN_DYING;
	c->sc.up = c->sc.ready = 0;
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, 0., 0.);
	ev_timer_start(c->loop, &c->timer);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_stop(c->loop, &c->later);
	resolve_cancel(&c->rw);
	if (c->fd != -1)
		close(c->fd);
	crypto_hs_wipe(&c->hs);
	crypto_rec_wipe(&c->tx);
	crypto_rec_wipe(&c->rx);
	bq_free(&c->in);
	bq_free(&c->out);
	free(c);
}

/* The deferred close: tell the owner, then free. */
static void
conn_close(struct conn *c)
{
	if (c->up_at != 0 && c->ops->down != NULL)
		c->ops->down(c->owner, c);
	if (c->ops->closed != NULL)
		c->ops->closed(c->owner, c);
	conn_free(c);
}

/* --- dialing --- */

static void start_handshake(struct conn *c);
static void local_ifindex(struct conn *c);
static void hop_start(struct conn *c);

/* The first hop is resolved here; later hops are the proxies' job (names go as written). */
static const struct conf_hostport *
first_hop(struct conn *c)
{
	const struct conf_path *cp = route(c);

	return cp->nvia > 0 ? &cp->via[0].hp : conf_path_endpoint(c->env.conf, cp);
}

/*
 * The first hop's address did not answer: the slot's next dial tries the name's next
 * address, and the name is looked up again (the server may have moved).
 */
static void
dial_unreachable(struct conn *c)
{
	c->unreachable = 1;
	resolve_stale(first_hop(c)->host);
}

/* Open the socket, bind it as the path says and start connecting to ss; else fail c. */
static void
dial_addr(struct conn *c, const struct sockaddr_storage *ss, socklen_t sslen)
{
	const struct conf_path *cp = route(c);
	int fd;

	format_addr((const struct sockaddr *)ss, c->peer, sizeof(c->peer));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		conn_fail(c, "socket: %s", strerror(errno));
		return;
	}
	c->fd = fd; /* closed with c from here on */
	if (cp->ifname[0] != '\0' &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cp->ifname, strlen(cp->ifname)) == -1) {
		conn_fail(c, "bind to device %s: %s", cp->ifname, strerror(errno));
		return;
	}
	if (cp->has_source) {
		struct sockaddr_storage src;
		socklen_t srclen;

		memset(&src, 0, sizeof(src));
		if (cp->source.family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&src;
			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, cp->source.addr, 4);
			srclen = sizeof(*in);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&src;
			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, cp->source.addr, 16);
			srclen = sizeof(*in6);
		}
		if (bind(fd, (struct sockaddr *)&src, srclen) == -1) {
			conn_fail(c, "bind source: %s", strerror(errno));
			return;
		}
	}
	c->cc_auto = cp->congestion[0] == '\0';
	tune_socket(fd, c->cc_auto ? CONF_CONGESTION_DEFAULT : cp->congestion,
		    c->env.conf->dead_ms, conf_path_tos(cp));
	if (connect(fd, (const struct sockaddr *)ss, sslen) == -1 && errno != EINPROGRESS) {
		conn_fail(c, "connect %s: %s", c->peer, strerror(errno));
		dial_unreachable(c);
		return;
	}
	c->state = CONN_DIAL;
	ev_io_set(&c->rio, fd, EV_READ);
	ev_io_set(&c->wio, fd, EV_WRITE);
	ev_io_start(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, CONN_PHASE_TIMEOUT, 0.);
	ev_timer_start(c->loop, &c->timer);
}

/* The resolver's answer for a connection in RESOLVE. */
static void
resolved(struct resolve_wait *w, const struct sockaddr_storage *ss, socklen_t len, const char *err)
{
	struct conn *c = container_of(w, struct conn, rw);

	if (c->state != CONN_RESOLVE)
		return; /* failed meanwhile, its close pending */
	if (ss == NULL)
		conn_fail(c, "resolve %s: %s", first_hop(c)->host, err);
	else
		dial_addr(c, ss, len);
}

struct conn *
conn_dial(const struct conn_env *env, const struct conn_ops *ops, void *owner, const char *name,
	  int slot, unsigned pick)
{
	const struct conf_hostport *first;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *err = NULL;
	struct conn *c;

	if ((c = conn_new(env, ops, owner, -1, 1)) == NULL) {
		log_warn("path %s: cannot dial", name);
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->slot = slot;
	c->pick = pick;
	c->state = CONN_RESOLVE;
	c->rw.cb = resolved;
	first = first_hop(c);
	/* until there is an address, show and the messages name the host */
	snprintf(c->peer, sizeof(c->peer), "%.*s:%u", (int)sizeof(c->peer) - 7, first->host,
		 first->port);
	switch (resolve_get(c->loop, first->host, first->port, pick, &c->rw, &ss, &sslen, &err)) {
	case RESOLVE_DONE:
		dial_addr(c, &ss, sslen);
		break;
	case RESOLVE_WAIT:
		break; /* c->timer, started by conn_new, bounds the wait */
	case RESOLVE_ERR:
		conn_fail(c, "resolve %s: %s", first->host, err);
		break;
	}
	return c;
}

/* Send what sits in hsbuf-side output: proxy requests and handshake messages are small. */
static int
send_small(struct conn *c, const uint8_t *p, size_t len)
{
	ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == (ssize_t)len)
		return 0;
	/* a fresh socket has room for a few hundred bytes; anything else is a dead socket */
	conn_fail(c, "send: %s", n == -1 ? strerror(errno) : "short write");
	return -1;
}

static void
hop_send(struct conn *c)
{
	uint8_t out[PROXY_OUT_MAX];
	size_t n = proxy_output(&c->ph, out, sizeof(out));

	if (n > 0)
		send_small(c, out, n);
}

/* Start hop c->hop of the via-chain, or the handshake when the chain is done. */
static void
hop_start(struct conn *c)
{
	const struct conf_path *cp = route(c);
	const struct conf_hostport *target;

	if (c->hop >= cp->nvia) {
		start_handshake(c);
		return;
	}
	target = proxy_chain_target(cp->via, cp->nvia, c->hop, conf_path_endpoint(c->env.conf, cp));
	if (proxy_start(&c->ph, &cp->via[c->hop], target) == PROXY_DONE) {
		c->hop++;
		hop_start(c);
		return;
	}
	c->state = CONN_PROXY;
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, CONN_PHASE_TIMEOUT, 0.);
	ev_timer_start(c->loop, &c->timer);
	hop_send(c);
}

static void
dial_done(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	ev_io_stop(c->loop, &c->wio);
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		errno = err;
		conn_fail(c, "connect %s: %s", c->peer, strerror(err));
		dial_unreachable(c);
		return;
	}
	ev_io_start(c->loop, &c->rio);
	hop_start(c);
}

/* Bytes during PROXY: feed the hop, keep what follows its reply for the next layer. */
static void
proxy_read(struct conn *c)
{
	size_t used;
	int rc;

	rc = proxy_input(&c->ph, c->hsbuf, c->hslen, &used);
	if (rc == PROXY_ERR) {
		log_warnx("path %s: %s", c->name, proxy_error(&c->ph));
		conn_fail(c, "%s", proxy_error(&c->ph));
		return;
	}
	memmove(c->hsbuf, c->hsbuf + used, c->hslen - used);
	c->hslen -= used;
	if (rc == PROXY_MORE) {
		hop_send(c);
		return;
	}
	proxy_clear(&c->ph);
	c->hop++;
	hop_start(c);
}

/* --- handshake and hello --- */

static int
go_up_buffers(struct conn *c)
{
	if (bq_init(&c->in, CONN_IN_CAP) == -1 || bq_init(&c->out, CONN_OUT_CAP) == -1) {
		conn_fail(c, "out of memory");
		return -1;
	}
	/* what came after the handshake message belongs to the record stream */
	bq_append(&c->in, c->hsbuf, c->hslen);
	c->hslen = 0;
	return 0;
}

static void
send_hello(struct conn *c)
{
	struct frame_hello h;
	uint8_t buf[FRAME_CTL_MAX];

	c->ops->hello(c->owner, c, &h);
	conn_queue(c, buf, frame_put_hello(buf, &h));
	conn_flush(c);
}

static void
start_handshake(struct conn *c)
{
	uint8_t msg[CRYPTO_MSG1_LEN];
	int rc;

	c->state = CONN_HANDSHAKE;
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, CONN_PHASE_TIMEOUT, 0.);
	ev_timer_start(c->loop, &c->timer);
	if (!c->initiator)
		return;
	/* wall-clock time: the peer's replay check must hold across our restarts */
	rc = crypto_hs_initiate(&c->hs, c->env.cid, c->env.peer, (uint64_t)(ev_time() * 1e9), NULL,
				0, msg);
	if (rc != CRYPTO_OK) {
		conn_fail(c, "handshake: %s", crypto_strerror(rc));
		return;
	}
	send_small(c, msg, sizeof(msg));
}

/*
 * Why a listener most likely closed our handshake without a word: it does so only when it
 * cannot authenticate us, or (with Cipher set) when no cipher suits both; its log says which.
 * Each hint fits conn.why with the "handshake: closed by peer" before it.
 */
static const char *
refused_hint(struct conn *c)
{
	int psk = c->env.cid->mode == CRYPTO_MODE_PSK, cipher = c->env.conf->cipher != CIPHER_AUTO;
	const struct conf_path *cp = route(c);

	/* a tcp:// relay that cannot reach its target accepts, then closes just the same */
	if (cp != NULL && cp->nvia > 0)
		return ": likely a key mismatch, or a relay that cannot reach the server";
	if (cipher)
		return psk ? ": likely a key or Cipher mismatch (check PresharedKey, Cipher)"
			   : ": likely a key or Cipher mismatch (check PublicKey, Cipher)";
	return psk ? ": likely a key mismatch (check PresharedKey on both sides)"
		   : ": likely a key mismatch (check PublicKey on both sides)";
}

/* Bytes during HANDSHAKE, both roles. */
static void
handshake_read(struct conn *c)
{
	uint8_t reply[CRYPTO_MSG2_LEN], payload[CRYPTO_HS_PAYLOAD_MAX];
	size_t need = c->initiator ? CRYPTO_MSG2_LEN : CRYPTO_MSG1_LEN, plen;
	int rc;

	if (c->hslen < need)
		return;
	if (c->initiator) {
		rc = crypto_hs_finish(&c->hs, c->hsbuf, payload, &plen);
	} else {
		rc = c->env.find != NULL
			     ? crypto_hs_respond_find(&c->hs, c->env.cid, c->env.find,
						      c->env.find_arg, c->hsbuf, payload, &plen)
			     : crypto_hs_respond(&c->hs, c->env.cid, c->env.peer, 1, c->hsbuf,
						 payload, &plen);
		if (rc == CRYPTO_OK)
			rc = crypto_hs_reply(&c->hs, NULL, 0, reply);
	}
	memmove(c->hsbuf, c->hsbuf + need, c->hslen - need);
	c->hslen -= need;
	if (rc != CRYPTO_OK) {
		/* nothing is said to an unauthenticated peer: close silently; the listener
		 * logs why, rate-limited */
		count_drop(c, CONN_DROP_HANDSHAKE);
		if (c->ops->hs_failed != NULL)
			c->ops->hs_failed(c->owner, c, rc);
		conn_fail(c, "handshake failed: %s", crypto_strerror(rc));
		return;
	}
	if (!c->initiator) {
		/* the peer this connection belongs to, from now on (its owner asks) */
		c->env.peer = crypto_hs_peer(&c->hs);
		if (send_small(c, reply, sizeof(reply)) == -1)
			return;
	}
	if (crypto_hs_split(&c->hs, &c->tx, &c->rx) != CRYPTO_OK) {
		conn_fail(c, "handshake: cannot derive keys");
		return;
	}
	if (go_up_buffers(c) == -1)
		return;
	c->state = CONN_HELLO;
	if (c->ops->secured != NULL)
		c->ops->secured(c->owner, c); /* a listener hands c over here */
	if (c->initiator)
		send_hello(c);
}

/*
 * Tell the dialer why its connection is not taken, then close. The close waits for the
 * dialer's own (it closes on reading this) or the phase timer, so the answer is not lost
 * to a reset: c reads, and ignores, whatever else comes meanwhile.
 */
static void
refuse(struct conn *c, int refused)
{
	struct frame_hello h;
	uint8_t buf[FRAME_CTL_MAX];

	memset(&h, 0, sizeof(h));
	h.version = PROTO_VERSION;
	h.refused = (uint8_t)refused;
	snprintf(h.name, sizeof(h.name), "%s", c->name);
	conn_queue(c, buf, frame_put_hello(buf, &h));
	conn_flush(c);
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_REFUSED;
	snprintf(c->why, sizeof(c->why), "refused: %s", frame_refusal_text(refused));
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, CONN_REFUSED_LINGER, 0.);
	ev_timer_start(c->loop, &c->timer);
}

/* A refused connection's dialer closed, or took too long to: close with the refusal. */
static void
refused_end(struct conn *c)
{
	char why[sizeof(c->why)];

	memcpy(why, c->why, sizeof(why));
	conn_fail(c, "%s", why);
}

static void
go_up(struct conn *c, const struct frame_hello *h)
{
	if (h->version != PROTO_VERSION) {
		conn_fail(c, "peer speaks protocol version %u, not %u", h->version, PROTO_VERSION);
		return;
	}
	if (c->initiator && h->refused != FRAME_REFUSED_NONE) {
		conn_fail(c, "refused by the server: %s", frame_refusal_text(h->refused));
		return;
	}
	if (!c->initiator) {
		/* the HELLO names the peer's path: c's owner for good */
		int refused = c->ops->adopt(c->owner, c, h);

		if (refused != FRAME_REFUSED_NONE) {
			refuse(c, refused);
			return;
		}
		mark_socket(c->fd, h->tos); /* the dialer's marking, both ways */
		send_hello(c);
	}
	c->state = CONN_UP;
	c->up_at = c->last_rx = c->stall.progress_at = ev_now(c->loop);
	local_ifindex(c);
	ev_timer_stop(c->loop, &c->timer);
	ev_timer_set(&c->timer, c->env.conf->heartbeat_ms / 1000.,
		     c->env.conf->heartbeat_ms / 1000.);
	ev_timer_start(c->loop, &c->timer);
	c->ops->up(c->owner, c, h);
	conn_update(c, 1);
}

/* Which interface holds our end's address: a link going down there kills this connection. */
static void
local_ifindex(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct ifaddrs *ifa, *i;
	const struct conf_path *cp = route(c);

	c->ifindex = 0;
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == -1 || getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != ss.ss_family)
			continue;
		if ((ss.ss_family == AF_INET &&
		     memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			    &((struct sockaddr_in *)&ss)->sin_addr, 4) == 0) ||
		    (ss.ss_family == AF_INET6 &&
		     memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr, 16) == 0)) {
			c->ifindex = (int)if_nametoindex(i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
	if (cp != NULL && cp->ifname[0] != '\0')
		c->ifindex = (int)if_nametoindex(cp->ifname);
}

/* --- records --- */

int
conn_queue(struct conn *c, const uint8_t *plain, size_t len)
{
	uint8_t *dst = bq_reserve(&c->out, len + CRYPTO_RECORD_OVERHEAD);
	size_t n;

	if (dst == NULL)
		return -1;
	n = crypto_seal(&c->tx, now_ns(c), plain, len, dst);
	if (n == 0) {
		/* no memory for the next key at a rekey: nothing was sealed, and nothing can be */
		conn_fail(c, "cannot seal a record");
		return -1;
	}
	bq_commit(&c->out, n);
	c->sc.ready = 0; /* until conn_update says otherwise */
	return 0;
}

/* Open every whole record in the input and hand its frames to the owner. */
static void
records_read(struct conn *c)
{
	struct frame f;
	uint8_t *plain;
	size_t total, plen, off;
	long n;
	int rc;

	while (c->state == CONN_HELLO || c->state == CONN_UP) {
		rc = crypto_record_len(&c->rx, bq_start(&c->in), bq_len(&c->in), &total);
		if (rc == CRYPTO_ERR_SHORT)
			break;
		if (rc != 0) {
			count_drop(c, CONN_DROP_MALFORMED);
			conn_fail(c, "malformed record");
			return;
		}
		if (total > bq_len(&c->in))
			break; /* the rest is still on its way */
		if (crypto_open(&c->rx, bq_start(&c->in), total, &plain, &plen) != CRYPTO_OK) {
			count_drop(c, CONN_DROP_AUTH);
			conn_fail(c, "record failed authentication");
			return;
		}
		for (off = 0; off < plen; off += (size_t)n) {
			n = frame_decode(&f, plain + off, plen - off);
			if (n <= 0) {
				count_drop(c, CONN_DROP_MALFORMED);
				conn_fail(c, "malformed frame");
				return;
			}
			if (c->state == CONN_HELLO) {
				if (f.type != FRAME_HELLO) {
					count_drop(c, CONN_DROP_MALFORMED);
					conn_fail(c, "frame before HELLO");
					return;
				}
				go_up(c, &f.hello);
				if (c->state != CONN_UP)
					return;
				continue;
			}
			c->ops->frame(c->owner, c, &f);
			if (c->state != CONN_UP)
				return;
		}
		bq_consume(&c->in, total);
	}
}

/* --- I/O callbacks --- */

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, rio);
	int budget = CONN_READ_BUDGET;
	ssize_t n;

	while (budget-- > 0 && c->state != CONN_DYING) {
		uint8_t *dst;
		size_t room;

		if (c->state == CONN_REFUSED) {
			/* what the dialer sent before it read the refusal: not ours to read */
			uint8_t sink[4096];

			n = read(c->fd, sink, sizeof(sink));
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0)
				refused_end(c);
			continue;
		}
		if (c->state == CONN_HELLO || c->state == CONN_UP) {
			room = bq_room(&c->in);
			dst = bq_reserve(&c->in, room);
		} else {
			room = sizeof(c->hsbuf) - c->hslen;
			/* a handshake reads exactly its message: later bytes are records */
			if (c->state == CONN_HANDSHAKE) {
				size_t need = c->initiator ? CRYPTO_MSG2_LEN : CRYPTO_MSG1_LEN;
				room = need > c->hslen ? need - c->hslen : 0;
			}
			dst = c->hsbuf + c->hslen;
		}
		if (room == 0) {
			conn_fail(c, "input overflow");
			return;
		}
		n = read(c->fd, dst, room);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			if (c->state == CONN_PROXY) {
				proxy_eof(&c->ph);
				log_warnx("path %s: %s", c->name, proxy_error(&c->ph));
				conn_fail(c, "%s", proxy_error(&c->ph));
				return;
			}
			/* say in which phase; a listener closes a handshake it cannot
			 * authenticate without a word, so that one most likely means keys */
			conn_fail(c, "%s%s%s%s", c->state == CONN_UP ? "" : conn_state_name(c),
				  c->state == CONN_UP ? "" : ": ",
				  n == 0 ? "closed by peer" : strerror(errno),
				  n == 0 && c->state == CONN_HANDSHAKE && c->initiator
					  ? refused_hint(c)
					  : "");
			return;
		}
		c->last_rx = ev_now(loop);
		switch (c->state) {
		case CONN_PROXY:
			c->hslen += (size_t)n;
			proxy_read(c);
			break;
		case CONN_HANDSHAKE:
			c->hslen += (size_t)n;
			handshake_read(c);
			break;
		case CONN_HELLO:
		case CONN_UP:
			bq_commit(&c->in, (size_t)n);
			records_read(c);
			break;
		default:
			conn_fail(c, "unexpected bytes");
			return;
		}
		if ((size_t)n < room)
			break;
	}
	if (c->state == CONN_UP) {
		/*
		 * Acknowledge at once, not after the delayed-ACK timer (up to 200 ms): the
		 * sender reads our ACKs as its sign of life (see check_progress).
		 */
		int one = 1;

		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		owner_flush(c);
	}
}

static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, wio);

	if (c->state == CONN_DIAL) {
		dial_done(c);
		return;
	}
	conn_flush(c);
	if (!c->blocked && c->state == CONN_UP && c->ops->writable != NULL)
		c->ops->writable(c->owner, c);
}

void
conn_flush(struct conn *c)
{
	ssize_t n;

	while (bq_len(&c->out) > 0) {
		n = send(c->fd, bq_start(&c->out), bq_len(&c->out), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_fail(c, "send: %s", strerror(errno));
			return;
		}
		bq_consume(&c->out, (size_t)n);
		c->unsent += (uint64_t)n;
	}
	c->blocked = bq_len(&c->out) > 0;
	if (c->blocked)
		ev_io_start(c->loop, &c->wio);
	else
		ev_io_stop(c->loop, &c->wio);
	conn_update(c, 0);
}

/* The time the TCP_INFO just read stands for (see struct rate: not ev_now). */
static double
info_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * BBR's own bottleneck estimate, bytes per second, or 0 (another congestion control). BBR
 * takes it as the maximum of the delivery rate over its last ten round trips, samples the
 * sender limited left out: steady on links with long RTTs, where our own spans with data
 * always waiting are rare (the kernel's short unsent queue drains between two looks).
 */
static uint64_t
cc_bw(struct conn *c)
{
	union tcp_cc_info info;
	socklen_t len = sizeof(info);
	char name[16];

	if (c->cc_bbr < 0) {
		socklen_t nlen = sizeof(name);

		memset(name, 0, sizeof(name));
		c->cc_bbr = getsockopt(c->fd, IPPROTO_TCP, TCP_CONGESTION, name, &nlen) == 0 &&
			    strcmp(name, "bbr") == 0;
	}
	if (!c->cc_bbr || getsockopt(c->fd, IPPROTO_TCP, TCP_CC_INFO, &info, &len) == -1 ||
	    len < sizeof(info.bbr))
		return 0;
	return (uint64_t)info.bbr.bbr_bw_hi << 32 | info.bbr.bbr_bw_lo;
}

/*
 * Congestion unset: cubic until the path shows losses that no queue explains (rate_lossy),
 * then CONF_CONGESTION_LOSSY for the rest of the connection. Cubic fills a clean path to its
 * capacity and takes every loss for congestion, so random loss collapses it (two 50 Mbit/s,
 * 20 ms paths with 0.5 % loss: one inner flow got 11 Mbit/s through outer cubic, 70 through
 * outer BBR); BBR does not back off on loss, but on clean paths kept a standing queue that
 * cost one inner flow 10-20 % (2 x 50 Mbit/s, 20 ms: 77-81 against 92-94 with cubic).
 */
static void
auto_congestion(struct conn *c, const struct rate_sample *rs)
{
	const char *cc = CONF_CONGESTION_LOSSY;
	int lossy = rate_lossy(&c->loss, rs); /* always: it keeps the unloaded RTT */

	if (!c->cc_auto || !lossy)
		return;
	c->cc_auto = 0;
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) == -1) {
		log_warnx("%s: losses with an empty queue, but congestion control %s: %s", c->peer,
			  cc, strerror(errno));
		return;
	}
	c->cc_bbr = -1; /* asked again */
	log_info("%s: losses with an empty queue: congestion control %s", c->peer, cc);
}

/*
 * A loss-based congestion control (cubic, reno) fills every queue on its path until a loss
 * halves it: the path's queue then holds up every packet mptun sends that way, small ones
 * included, and its depth swings the path's delivery time by as much, which the scheduler
 * cannot foresee (see doc/protocol.md, "Sending"). Held to rate_bound bytes in the kernel,
 * it keeps the path full with a short queue, and what it would have queued waits in the
 * backlog. Not for an express connection (small packets only) nor for BBR, which bounds
 * its own queue and whose probing a bound cuts short (lossy paths: half their goodput).
 * A connection switched to BBR, or whose queue is gone (rate_bound), gets the kernel's
 * largest buffer back. SO_SNDBUFFORCE, as a bound may exceed net.core.wmem_max: without
 * CAP_NET_ADMIN no bound is set, rather than one that wmem_max would cut.
 */
static void
bound_queue(struct conn *c, const struct rate_sample *rs)
{
	uint64_t want;
	int v;

	if (c->bound_off || c->sc.express)
		return;
	want = c->cc_bbr != 0 || c->loss.floor_us == 0
		       ? 0
		       : rate_bound(c->sc.rate, rate_unloaded_us(&c->loss, rs), rs->rtt_us,
				    rs->rttvar_us);
	if (want == 0) {
		v = CONN_SNDBUF_FREE / 2; /* the kernel doubles it */
		if (c->bound != 0 &&
		    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) == 0)
			c->bound = 0;
		return;
	}
	/* within a sixteenth: not worth a system call */
	if (c->bound != 0 && want < c->bound + c->bound / 16 && want + c->bound / 16 > c->bound)
		return;
	v = want / 2 > INT_MAX ? INT_MAX : (int)(want / 2);
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) == -1) {
		log_debug("%s: send buffer bound: %s", c->peer, strerror(errno));
		c->bound_off = 1;
		return;
	}
	c->bound = want;
}

/*
 * A stalled connection gets no new traffic and what it carried goes out elsewhere. The
 * owner hears of it from c->later, on the next loop turn: conn_update runs inside the
 * session's sending (session_tx_commit -> pump -> conn_flush -> conn_update), which a
 * report here would re-enter with a payload half committed. Meanwhile sc.up is 0, so
 * nothing new is put on c.
 */
static void
check_progress(struct conn *c, const struct rate_sample *rs, ev_tstamp now)
{
	double since = now - c->stall.progress_at;

	if (c->state != CONN_UP && !c->stall.stalled) {
		c->stall.acked_seen = rs->bytes_acked;
		c->stall.progress_at = now;
		return;
	}
	switch (rate_stall_check(&c->stall, rs, now)) {
	case RATE_STALL_END:
		log_info("path %s: connection %d moving again", c->name, c->slot);
		break;
	case RATE_STALL_BEGIN:
		c->stalls++;
		log_info("path %s: connection %d stalled for %.0f ms: traffic moved", c->name,
			 c->slot, since * 1000);
		c->sc.up = c->sc.ready = 0;
		ev_timer_start(c->loop, &c->later);
		break;
	case RATE_STALL_NONE:
		break;
	}
}

void
conn_update(struct conn *c, int force)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	ev_tstamp now = ev_now(c->loop);

	if (force || now - c->info_at >= CONN_INFO_INTERVAL) {
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
			struct rate_sample rs = {
				.bytes_sent = ti.tcpi_bytes_sent, .bytes_acked = ti.tcpi_bytes_acked,
				.delivered = ti.tcpi_delivered, .mss = ti.tcpi_snd_mss,
				.cwnd = ti.tcpi_snd_cwnd, .rtt_us = ti.tcpi_rtt,
				.rttvar_us = ti.tcpi_rttvar, .min_rtt_us = ti.tcpi_min_rtt,
				.unacked = ti.tcpi_unacked, .total_retrans = ti.tcpi_total_retrans,
				.notsent = ti.tcpi_notsent_bytes, .queued = bq_len(&c->out),
				.app_limited = ti.tcpi_delivery_rate_app_limited,
				.cc_bw = cc_bw(c), .delivery_rate = ti.tcpi_delivery_rate,
			};

			c->info_at = now;
			/* held by its bound with data waiting: not short of data, as the kernel says */
			if (c->bound != 0 && (c->blocked || bq_len(&c->out) > 0))
				rs.app_limited = 0;
			check_progress(c, &rs, now);
			auto_congestion(c, &rs);
			c->unsent = ti.tcpi_notsent_bytes;
			c->sc.rtt_us = ti.tcpi_rtt;
			c->sc.rttvar_us = ti.tcpi_rttvar;
			c->sc.min_rtt_us = ti.tcpi_min_rtt;
			c->sc.inflight = (uint64_t)ti.tcpi_unacked * ti.tcpi_snd_mss;
			c->sc.window = (uint64_t)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
			/* holes the peer's TCP holds data behind: out-of-order ACKs, recovery */
			c->sc.recovery_us = ti.tcpi_ca_state == TCP_CA_Disorder ||
						    ti.tcpi_ca_state >= TCP_CA_Recovery || ti.tcpi_lost > 0
					    ? ti.tcpi_rtt
					    : 0;
			c->sc.loss_ppm = rate_loss_ppm(&c->repair, &rs);
			c->sc.mss = ti.tcpi_snd_mss;
			rate_sample(&c->rate, &rs, info_time());
			c->sc.rate = rate_get(&c->rate, &rs);
			rs.app_limited = 0; /* what it measured, without the probe above it */
			c->sc.rate_seen = rate_get(&c->rate, &rs);
			/* behind a token bucket on a short round trip a sample reads its bursts */
			c->sc.delivering = ti.tcpi_min_rtt >= RATE_SHORT_RTT ? ti.tcpi_delivery_rate : 0;
			/* fast paths batch more per write; slow ones keep decisions late */
			c->ready_max = c->sc.rate / 1000;
			if (c->ready_max < CONN_OUT_READY)
				c->ready_max = CONN_OUT_READY;
			if (c->ready_max > CONN_OUT_READY_MAX)
				c->ready_max = CONN_OUT_READY_MAX;
			bound_queue(c, &rs);
		}
	}
	c->sc.up = c->state == CONN_UP && !c->stall.stalled;
	c->sc.queued = bq_len(&c->out) + c->unsent;
	c->sc.ready = c->sc.up && !c->blocked && bq_len(&c->out) < c->ready_max;
}

/* --- timers --- */

/* The stall check_progress found, told now that no call of the owner's is under way. */
static void
conn_later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, later);

	if (c->state == CONN_UP && c->ops->suspect != NULL)
		c->ops->suspect(c->owner, c);
}

static void
heartbeat(struct conn *c)
{
	uint8_t buf[FRAME_CTL_MAX];
	ev_tstamp now = ev_now(c->loop);

	if (now - c->last_rx > c->env.conf->dead_ms / 1000.) {
		conn_fail(c, "no sign of life for %.0f ms", (now - c->last_rx) * 1000);
		return;
	}
	if (conn_queue(c, buf, frame_put_ping(buf, now_ns(c), c->ops->ping_mark(c->owner, c))) == 0)
		conn_flush(c);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = container_of(w, struct conn, timer);

	switch (c->state) {
	case CONN_DYING:
		conn_close(c);
		return;
	case CONN_UP:
		heartbeat(c);
		if (c->state == CONN_UP)
			owner_flush(c);
		return;
	case CONN_REFUSED:
		refused_end(c);
		return;
	case CONN_RESOLVE:
		/* the lookup goes on: its answer is cached for the next dial */
		conn_fail(c, "resolving %s timed out", first_hop(c)->host);
		return;
	default:
		if (c->state == CONN_PROXY) {
			proxy_timeout(&c->ph);
			log_warnx("path %s: %s", c->name, proxy_error(&c->ph));
			conn_fail(c, "%s", proxy_error(&c->ph));
			return;
		}
		if (c->initiator)
			log_warnx("path %s: %s with %s timed out", c->name, conn_state_name(c),
				  c->peer);
		else
			count_drop(c, CONN_DROP_HANDSHAKE); /* silent to the end: counted */
		if (c->state == CONN_DIAL)
			dial_unreachable(c);
		conn_fail(c, "%s timed out", conn_state_name(c));
		return;
	}
}

/* --- accepting --- */

struct conn *
conn_accept(const struct conn_env *env, const struct conn_ops *ops, void *owner, int fd,
	    const struct sockaddr *sa, socklen_t salen)
{
	struct conn *c = conn_new(env, ops, owner, fd, 0);

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->cc_auto = 1; /* the listening side has no Congestion of its own */
	tune_socket(fd, CONF_CONGESTION_DEFAULT, env->conf->dead_ms, 0); /* marked at HELLO */
	format_addr(sa, c->peer, sizeof(c->peer));
	start_handshake(c);
	ev_io_start(c->loop, &c->rio);
	return c;
}
