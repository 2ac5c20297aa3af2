/*
 * path: a route's connections and their re-dialing (see path.h).
 *
 * A path owns its connections: it dials them, and each reports to it (path_conn_ops); it
 * passes what concerns the session on to it (frames, up, down, stalls) and keeps the rest
 * (slots, backoff, the path's own up and down).
 *
 * Timers owned here: one retry timer per connection slot. A slot whose connection failed
 * waits backoff seconds (doubling from PATH_BACKOFF_MIN to PATH_BACKOFF_MAX, with up to
 * 25 % jitter so paths that fail together do not dial together) and dials again; a
 * connection that was up resets the backoff.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "frame.h"
#include "hooks.h"
#include "log.h"
#include "path.h"
#include "session.h"
#include "util.h"

static void slot_failed(struct path *p, struct path_slot *sl, int was_up, const char *reason);
static void path_conn_up(struct path *p, struct conn *c);
static void path_conn_closed(struct path *p, struct conn *c, const char *reason);

/* --- what the path's connections report (struct conn_ops) --- */

static const struct conf_path *
on_route(void *owner, struct conn *c)
{
	return ((struct path *)owner)->cp;
}

/* The dialing side's express connection is the slot after the Connections ones. */
static int
path_express_slot(const struct path *p, int slot)
{
	return p->cp != NULL && p->cp->express && slot == p->cp->connections;
}

static void
on_hello(void *owner, struct conn *c, struct frame_hello *h)
{
	struct path *p = owner;

	session_hello(p->s, h);
	if (c->initiator) {
		h->path = (uint8_t)p->index;
		h->conn = (uint8_t)c->slot;
		if (p->cp->backup)
			h->flags |= FRAME_HELLO_F_BACKUP;
		if (path_express_slot(p, c->slot))
			h->flags |= FRAME_HELLO_F_EXPRESS;
		h->tos = (uint8_t)conf_path_tos(p->cp);
		snprintf(h->name, sizeof(h->name), "%s", p->name);
	}
}

static uint64_t
on_ping_mark(void *owner, struct conn *c)
{
	return session_ping_mark(((struct path *)owner)->s);
}

static void
on_up(void *owner, struct conn *c, const struct frame_hello *h)
{
	struct path *p = owner;

	c->sc.priority = (p->cp ? p->cp->priority : 0) * CONF_MAX_PATHS + p->index;
	/* the listening side learns from the HELLO which paths the dialer keeps as backups */
	c->sc.backup = p->cp ? p->cp->backup : !!(h->flags & FRAME_HELLO_F_BACKUP);
	c->sc.express = p->cp ? path_express_slot(p, c->slot) : !!(h->flags & FRAME_HELLO_F_EXPRESS);
	session_conn_up(p->s, c, h);
	path_conn_up(p, c);
}

static void
on_frame(void *owner, struct conn *c, const struct frame *f)
{
	session_on_frame(((struct path *)owner)->s, c, f);
}

static void
on_suspect(void *owner, struct conn *c)
{
	session_conn_suspect(((struct path *)owner)->s, c);
}

static void
on_writable(void *owner, struct conn *c)
{
	session_conn_writable(((struct path *)owner)->s, c);
}

static void
on_flush(void *owner, struct conn *c)
{
	session_flush(((struct path *)owner)->s);
}

static void
on_drop(void *owner, struct conn *c, enum conn_drop why)
{
	session_count_conn_drop(((struct path *)owner)->s, why);
}

static void
on_hs_failed(void *owner, struct conn *c, int err)
{
	log_warnx("path %s: handshake with %s failed: %s", ((struct path *)owner)->tag, c->peer,
		  crypto_strerror(err));
}

static void
on_down(void *owner, struct conn *c)
{
	session_conn_down(((struct path *)owner)->s, c);
}

static void
on_closed(void *owner, struct conn *c)
{
	path_conn_closed(owner, c, c->why);
}

static const struct conn_ops path_conn_ops = {
	.route = on_route,
	.hello = on_hello,
	.ping_mark = on_ping_mark,
	.up = on_up,
	.frame = on_frame,
	.suspect = on_suspect,
	.writable = on_writable,
	.flush = on_flush,
	.drop = on_drop,
	.hs_failed = on_hs_failed,
	.down = on_down,
	.closed = on_closed,
};

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct path_slot *sl = container_of(w, struct path_slot, retry);
	struct path *p = sl->path;
	struct conn_env env;

	session_conn_env(p->s, &env);
	sl->conn = conn_dial(&env, &path_conn_ops, p, p->name, sl->idx, sl->pick);
	if (sl->conn == NULL)
		slot_failed(p, sl, 0, "cannot dial");
}

struct path *
path_new(struct session *s, int index, const char *name, const struct conf_path *cp)
{
	struct path *p = calloc(1, sizeof(*p));
	int i;

	if (p == NULL)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->tag, sizeof(p->tag), "%s%s%s", s->name, s->name[0] ? "/" : "", name);
	p->index = index;
	p->cp = cp;
	p->s = s;
	p->nslots = cp != NULL ? cp->connections + cp->express : CONF_MAX_CONNS;
	for (i = 0; i < CONF_MAX_CONNS; i++) {
		struct path_slot *sl = &p->slots[i];

		sl->path = p;
		sl->idx = i;
		sl->backoff = PATH_BACKOFF_MIN;
		ev_timer_init(&sl->retry, retry_cb, 0., 0.);
	}
	return p;
}

void
path_free(struct path *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < CONF_MAX_CONNS; i++) {
		ev_timer_stop(p->s->loop, &p->slots[i].retry);
		if (p->slots[i].conn != NULL) {
			conn_free(p->slots[i].conn);
			p->slots[i].conn = NULL;
		}
	}
	free(p->own_cp);
	free(p);
}

/*
 * Close every connection now, telling the session first (it re-sends their unacknowledged
 * frames on the other paths), and stop dialing; for a reload that removes or changes p.
 */
void
path_close(struct path *p, const char *reason)
{
	int i;

	for (i = 0; i < CONF_MAX_CONNS; i++) {
		struct conn *c = p->slots[i].conn;

		ev_timer_stop(p->s->loop, &p->slots[i].retry);
		if (c == NULL)
			continue;
		p->slots[i].conn = NULL;
		if (c->up_at != 0)
			session_conn_down(p->s, c);
		conn_free(c);
	}
	if (p->up_since != 0) {
		p->up_since = 0;
		log_info("path %s: down (%s)", p->tag, reason);
		hooks_path(p, "down", reason);
	}
}

int
path_is_template(const struct path *p)
{
	return p->cp != NULL && strcmp(p->cp->ifname, CONF_PATH_ANY_IFACE) == 0;
}

void
path_start(struct path *p)
{
	int i;

	if (path_is_template(p))
		return; /* paths_net_event opens its paths as interfaces appear */
	for (i = 0; i < p->nslots; i++) {
		struct path_slot *sl = &p->slots[i];

		if (sl->conn == NULL && !ev_is_active(&sl->retry)) {
			ev_timer_set(&sl->retry, 0., 0.);
			ev_timer_start(p->s->loop, &sl->retry);
		}
	}
}

int
path_up_count(const struct path *p)
{
	int i, n = 0;

	for (i = 0; i < CONF_MAX_CONNS; i++)
		if (p->slots[i].conn != NULL && p->slots[i].conn->state == CONN_UP)
			n++;
	return n;
}

const char *
path_state(const struct path *p)
{
	int i;

	if (path_is_template(p))
		return "template";
	if (path_up_count(p) > 0)
		return "up";
	for (i = 0; i < CONF_MAX_CONNS; i++)
		if (p->slots[i].conn != NULL)
			return "connecting";
	return "down";
}

static void
path_conn_up(struct path *p, struct conn *c)
{
	p->slots[c->slot].backoff = PATH_BACKOFF_MIN;
	if (p->up_since == 0) {
		p->up_since = ev_now(p->s->loop);
		log_info("path %s: up (%s)", p->tag, c->peer);
		hooks_path(p, "up", c->peer);
	}
}

int
path_attach(struct path *p, struct conn *c)
{
	int i;

	for (i = 0; i < CONF_MAX_CONNS; i++) {
		if (p->slots[i].conn == NULL) {
			p->slots[i].conn = c;
			c->slot = i;
			snprintf(c->name, sizeof(c->name), "%s", p->name);
			conn_set_owner(c, &path_conn_ops, p);
			return 0;
		}
	}
	return -1;
}

/* Slot sl lost its connection (or could not dial): note why and dial again later. */
static void
slot_failed(struct path *p, struct path_slot *sl, int was_up, const char *reason)
{
	int news = strcmp(p->last_error, reason) != 0;
	double wait;

	snprintf(p->last_error, sizeof(p->last_error), "%s", reason);
	p->failures++;
	if (p->up_since != 0 && path_up_count(p) == 0) {
		p->up_since = 0;
		log_info("path %s: down (%s)", p->tag, reason);
		hooks_path(p, "down", reason);
	} else if (!was_up && news && p->cp != NULL) {
		/* a path that cannot come up says why once, and again when the reason changes */
		log_warnx("path %s: connection %d: %s", p->tag, sl->idx, reason);
	} else if (!was_up) {
		log_debug("path %s: connection %d: %s", p->tag, sl->idx, reason);
	}
	if (p->cp == NULL || p->link_down)
		return; /* the listening side does not dial; a path without its link waits */
	wait = sl->backoff * (1.0 + (double)(rand() % 250) / 1000.0);
	sl->backoff = sl->backoff * 2 > PATH_BACKOFF_MAX ? PATH_BACKOFF_MAX : sl->backoff * 2;
	ev_timer_stop(p->s->loop, &sl->retry);
	ev_timer_set(&sl->retry, wait, 0.);
	ev_timer_start(p->s->loop, &sl->retry);
}

static void
path_conn_closed(struct path *p, struct conn *c, const char *reason)
{
	struct path_slot *sl = &p->slots[c->slot];

	if (sl->conn != c)
		return;
	sl->conn = NULL;
	if (c->unreachable)
		sl->pick++; /* the next dial tries the first hop's next address */
	p->tx_bytes += c->tx_bytes;
	p->rx_bytes += c->rx_bytes;
	p->tx_packets += c->tx_packets;
	p->rx_packets += c->rx_packets;
	slot_failed(p, sl, c->up_at != 0, reason);
}

void
path_link(struct path *p, int up, const char *reason)
{
	int i;

	if (up == !p->link_down)
		return;
	p->link_down = !up;
	log_info("path %s: %s", p->tag, reason);
	for (i = 0; i < p->nslots; i++) {
		struct path_slot *sl = &p->slots[i];

		ev_timer_stop(p->s->loop, &sl->retry);
		sl->backoff = PATH_BACKOFF_MIN;
		if (!up && sl->conn != NULL)
			conn_fail(sl->conn, "%s", reason);
	}
	if (up)
		path_start(p);
}
