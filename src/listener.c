/*
 * listener: accept connections and bound the half-open ones (see listener.h).
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
#include "listener.h"
#include "log.h"
#include "proxy.h"
#include "session.h"
#include "util.h"


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
			session_count_drop(l->s, DROP_HALFOPEN);
			listener_forget(l, oldest);
			oldest->listener = NULL;
			conn_fail(oldest, "too many handshakes at once");
		}
		if ((c = conn_accept(l->s, l, fd, (struct sockaddr *)&ss, sslen)) == NULL)
			continue;
		c->next_half = l->half;
		l->half = c;
		l->nhalf++;
	}
}

void
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
listener_new(struct session *s, const struct conf_hostport *hp)
{
	struct addrinfo hints, *res;
	struct listener *l;
	char port[8];
	int rc, one = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->s = s;
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
	ev_io_start(s->loop, &l->io);
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
	ev_io_stop(l->s->loop, &l->io);
	close(l->fd);
	free(l);
}
