/*
 * listener: accept connections and bound the half-open ones (see listener.h).
 *
 * A failed handshake is logged at the default level, at most once per source address per
 * LISTENER_NOTE_EVERY seconds, with the count of failures left unlogged; the peer itself
 * is told nothing.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "conn.h"
#include "crypto.h"
#include "listener.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

static void listener_forget(struct listener *l, struct conn *c);
static void listener_hs_failed(struct listener *l, const char *peer, int err);

/* --- what a half-open connection reports (struct conn_ops) --- */

/* Authenticated: the listener's part is done, its next owner takes it. */
static void
on_secured(void *owner, struct conn *c)
{
	struct listener *l = owner;

	listener_forget(l, c);
	conn_set_owner(c, l->next_ops, l->next);
}

static void
on_drop(void *owner, struct conn *c, enum conn_drop why)
{
	struct listener *l = owner;

	l->next_ops->drop(l->next, c, why);
}

static void
on_hs_failed(void *owner, struct conn *c, int err)
{
	listener_hs_failed(owner, c->peer, err);
}

static void
on_closed(void *owner, struct conn *c)
{
	listener_forget(owner, c);
}

static const struct conn_ops listener_conn_ops = {
	.secured = on_secured,
	.drop = on_drop,
	.hs_failed = on_hs_failed,
	.closed = on_closed,
};

static void
listener_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = container_of(w, struct listener, io);
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct conn *c, *oldest, **pp;
	int budget = LISTENER_ACCEPT_BUDGET, fd;

	while (budget-- > 0) {
		sslen = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept on %s", l->label);
			return;
		}
		if (l->nhalf >= LISTENER_HALF_OPEN_MAX) {
			/* drop the oldest handshake: a flood ages out, a real peer gets in */
			for (pp = &l->half; (*pp)->next_half != NULL; pp = &(*pp)->next_half)
				;
			oldest = *pp;
			l->next_ops->drop(l->next, oldest, CONN_DROP_HALFOPEN);
			listener_forget(l, oldest);
			/* its close goes to the next owner, which never knew it */
			conn_set_owner(oldest, l->next_ops, l->next);
			conn_fail(oldest, "too many handshakes at once");
		}
		if ((c = conn_accept(&l->env, &listener_conn_ops, l, fd, (struct sockaddr *)&ss,
				     sslen)) == NULL)
			continue;
		c->next_half = l->half;
		l->half = c;
		l->nhalf++;
	}
}

/* A half-open connection finished its handshake or died: forget it. */
static void
listener_forget(struct listener *l, struct conn *c)
{
	struct conn **pp;

	for (pp = &l->half; *pp != NULL; pp = &(*pp)->next_half) {
		if (*pp == c) {
			*pp = c->next_half;
			c->next_half = NULL;
			l->nhalf--;
			return;
		}
	}
}

struct listener *
listener_new(const struct conn_env *env, const struct conf_hostport *hp,
	     const struct conn_ops *next_ops, void *next)
{
	struct addrinfo hints, *res;
	struct listener *l;
	char port[8];
	int rc, one = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->env = *env;
	l->next_ops = next_ops;
	l->next = next;
	l->fd = -1;
	proxy_format_hostport(hp, l->label, sizeof(l->label));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", hp->port);
	if ((rc = getaddrinfo(hp->host[0] ? hp->host : NULL, port, &hints, &res)) != 0) {
		log_warnx("listen %s: %s", l->label, gai_strerror(rc));
		goto fail;
	}
	l->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd == -1) {
		log_warn("listen %s: socket", l->label);
		freeaddrinfo(res);
		goto fail;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, res->ai_addr, res->ai_addrlen) == -1 || listen(l->fd, 128) == -1) {
		log_warn("listen %s", l->label);
		freeaddrinfo(res);
		goto fail;
	}
	freeaddrinfo(res);
	ev_io_init(&l->io, listener_cb, l->fd, EV_READ);
	ev_io_start(l->env.loop, &l->io);
	log_info("listening on %s", l->label);
	return l;
fail:
	if (l->fd != -1)
		close(l->fd);
	free(l);
	return NULL;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	while (l->half != NULL) {
		struct conn *c = l->half;

		l->half = c->next_half;
		conn_free(c);
	}
	ev_io_stop(l->env.loop, &l->io);
	close(l->fd);
	free(l);
}

/* Why a handshake failed, for the operator of the listening side. */
static const char *
hs_failure(int err)
{
	switch (err) {
	case CRYPTO_ERR_UNKNOWN_PEER:
		return "unknown key (its public key is not this side's [Peer] PublicKey)";
	case CRYPTO_ERR_MAC:
		return "bad MAC (it has a wrong PublicKey for this side, or another "
		       "PresharedKey, or is not mptun)";
	case CRYPTO_ERR_REPLAY:
		return "replay or stale timestamp (a copied handshake, or its clock went back)";
	case CRYPTO_ERR_MODE:
		return "mode mismatch (one side has PresharedKey, the other key pairs)";
	case CRYPTO_ERR_CIPHER:
		return "no Cipher both sides accept";
	default:
		return crypto_strerror(err);
	}
}

/* A handshake from peer ("addr:port") failed with err (crypto.h): log it, rate-limited. */
static void
listener_hs_failed(struct listener *l, const char *peer, int err)
{
	struct listener_note *n = NULL, *old = &l->notes[0];
	ev_tstamp now = ev_now(l->env.loop);
	const char *colon = strrchr(peer, ':');
	char addr[CONF_HOST_MAX];
	int i;

	snprintf(addr, sizeof(addr), "%.*s", colon ? (int)(colon - peer) : (int)strlen(peer), peer);
	for (i = 0; i < LISTENER_NOTES && n == NULL; i++) {
		if (strcmp(l->notes[i].addr, addr) == 0)
			n = &l->notes[i];
		else if (l->notes[i].at < old->at)
			old = &l->notes[i];
	}
	if (n == NULL && now - old->at >= LISTENER_NOTE_EVERY) {
		n = old; /* the address logged longest ago, or an unused note */
		snprintf(n->addr, sizeof(n->addr), "%s", addr);
		n->quiet = 0;
	}
	if (n == NULL || now - n->at < LISTENER_NOTE_EVERY) {
		if (n != NULL)
			n->quiet++;
		else
			l->quiet++; /* many addresses at once: counted, told with the next line */
		return;
	}
	if (n->quiet > 0 || l->quiet > 0)
		log_warnx("listen %s: handshake from %s failed: %s; %lu more from it and %lu from "
			  "other addresses since its last such line",
			  l->label, addr, hs_failure(err), n->quiet, l->quiet);
	else
		log_warnx("listen %s: handshake from %s failed: %s", l->label, addr,
			  hs_failure(err));
	n->at = now;
	n->quiet = l->quiet = 0;
}
