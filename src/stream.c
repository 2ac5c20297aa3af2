/*
 * stream: the stream channel (see stream.h for the model and its limits).
 *
 * Send side: a source (a local socket, stdin, or the produce hook) is read straight into
 * the session's next slot behind room for the stream header, as the tun device is. The
 * OPEN of a stream always precedes its first DATA, and its FIN follows its last, because
 * all three leave through the one ordered session and OPEN is sent before the source is
 * first read. Control messages that find no room wait for ctl_timer, which also keeps
 * session_tx_commit out of the session's own callbacks (deliver, resume).
 *
 * Receive side: deliver decodes the header; DATA is written to the local end at once when
 * nothing is queued before it, and the rest is queued (bounded). Nothing of a payload is
 * consumed when deliver refuses it, since the session hands the same payload again.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "log.h"
#include "proxy.h"
#include "stream.h"
#include "util.h"


static void stream_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void stream_write_cb(struct ev_loop *loop, ev_io *w, int revents);
static void stream_idle_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void sources_update(struct stream_mux *m);

/* --- the table --- */

static struct stream *
find(struct stream_mux *m, uint32_t id)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->v[i]->id == id)
			return m->v[i];
	return NULL;
}

/* Did this side open stream id? (ids of the side that opens them have next_id's parity) */
static int
ours(const struct stream_mux *m, uint32_t id)
{
	return id != STREAM_ID_STDIO && (id & 1) == (m->next_id & 1);
}

/* A stream over the local end rfd/wfd (either may be -1); NULL when full or out of memory. */
static struct stream *
stream_new(struct stream_mux *m, uint32_t id, int rfd, int wfd)
{
	struct stream *st;

	if (m->n >= STREAM_TABLE_MAX || (st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if (bq_init(&st->out, STREAM_OUT_CAP) == -1) {
		free(st);
		return NULL;
	}
	st->id = id;
	st->rfd = rfd;
	st->wfd = wfd;
	st->m = m;
	ev_io_init(&st->rio, stream_read_cb, rfd, EV_READ);
	ev_io_init(&st->wio, stream_write_cb, wfd, EV_WRITE);
	ev_timer_init(&st->idle, stream_idle_cb, 0., 0.);
	st->last = ev_now(m->loop);
	m->v[m->n++] = st;
	if (ours(m, id))
		m->nours++;
	m->opened++;
	return st;
}

/* Close the local end; reset: make the local peer see a reset, not an end of file. */
static void
close_local(struct stream *st, int reset)
{
	struct linger lg = {1, 0};

	ev_io_stop(st->m->loop, &st->rio);
	ev_io_stop(st->m->loop, &st->wio);
	ev_timer_stop(st->m->loop, &st->idle);
	if (st->stdio) {
		if (st->wfd != -1 && !st->wdone)
			close(st->wfd);
		st->rfd = st->wfd = -1;
		return;
	}
	if (st->rfd != -1) {
		if (reset)
			setsockopt(st->rfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(st->rfd);
	}
	st->rfd = st->wfd = -1;
}

/* Forget a stream that is finished or reset. Stream 0 stays: the pipe reads its state. */
static void
stream_remove(struct stream *st)
{
	struct stream_mux *m = st->m;
	int i;

	if (st->stdio)
		return;
	close_local(st, 0);
	for (i = 0; i < m->n; i++) {
		if (m->v[i] == st) {
			m->v[i] = m->v[--m->n];
			break;
		}
	}
	if (ours(m, st->id) && m->nours-- == STREAM_MAX && m->lfd != -1)
		ev_io_start(m->loop, &m->accept_io); /* room for another connection */
	if (m->blocked == st) {
		/* its refused payload is for a stream that is gone: take the next one */
		m->blocked = NULL;
		session_rx_resume(m->s);
	}
	bq_free(&st->out);
	free(st);
}

/* Both halves finished: the stream is done. */
static void
maybe_done(struct stream *st)
{
	if (st->fin_sent && st->wdone)
		stream_remove(st);
}

/* Control messages go out from the loop (ctl_timer), never from inside a session callback. */
static void
want_ctl(struct stream_mux *m)
{
	if (!ev_is_active(&m->ctl_timer))
		ev_timer_start(m->loop, &m->ctl_timer);
}

/* The local end failed (what: why): stream 0 fails the pipe; others are reset at the peer. */
static void
local_fail(struct stream *st, const char *what, const char *why)
{
	struct stream_mux *m = st->m;

	if (st->stdio) {
		/* the pipe fails; the peer hears of it at once rather than by a timeout */
		if (!m->failed)
			snprintf(m->error, sizeof(m->error), "%s: %s", what, why);
		m->failed = 1;
		close_local(st, 0);
		st->resetting = 1;
		st->need_reset = 1;
		want_ctl(m);
		return;
	}
	log_debug("stream %u: %s: %s", st->id, what, why);
	close_local(st, 1);
	m->resets++;
	st->resetting = 1;
	st->need_reset = st->opened;
	st->need_open = 0;
	if (!st->need_reset)
		stream_remove(st);
	else
		want_ctl(m);
}

/* --- send side --- */

/* The session has no room: no source is read until mux_resume. */
static void
pause_sources(struct stream_mux *m)
{
	m->paused = 1;
	sources_update(m);
}

/* One header-only message; -1 when the session has no room (sources paused). */
static int
send_ctl(struct stream_mux *m, enum stream_kind kind, uint32_t id)
{
	size_t cap;
	uint8_t *p = session_tx_slot(m->s, &cap);

	if (p == NULL) {
		pause_sources(m);
		return -1;
	}
	stream_hdr_put(p, kind, id);
	session_tx_commit(m->s, STREAM_HDR_LEN);
	return 0;
}

/* Our FIN of st is committed: its source is read no more. May free st. */
static void
fin_done(struct stream *st)
{
	st->fin_sent = 1;
	st->need_fin = 0;
	ev_io_stop(st->m->loop, &st->rio);
	if (st->stdio)
		ev_idle_stop(st->m->loop, &st->m->gen);
	maybe_done(st);
}

/* Has st's source something to read now (bytes, or its end of file)? */
static int
source_ready(const struct stream *st)
{
	struct pollfd pfd = {st->rfd, POLLIN, 0};

	if (st->stdio && st->m->hooks.produce != NULL)
		return st->m->limit > 0;
	if (st->rfd == -1)
		return 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* Send the control messages that wait: OPENs, FINs and RESETs. -1 when room ran out. */
static int
flush_ctl(struct stream_mux *m)
{
	struct stream *st;
	int i;

	for (i = m->n - 1; i >= 0; i--) {
		st = m->v[i];
		if (st->need_open) {
			if (send_ctl(m, STREAM_OPEN, st->id) == -1)
				return -1;
			st->need_open = 0;
			st->opened = 1;
		}
		if (st->need_fin && !st->fin_sent && !st->resetting) {
			/* the peer's end arrived while we had sent nothing: one-way, unless our
			 * stdin has something after all (then it is read, and goes on to its end) */
			if (st->tx_bytes > 0 || source_ready(st)) {
				st->need_fin = 0;
			} else {
				if (send_ctl(m, STREAM_FIN, st->id) == -1)
					return -1;
				log_info("the peer's stream ended, and ours had nothing to send: it "
					 "ends too (one-way; --two-way to send after the peer's end)");
				fin_done(st); /* stream 0: never freed */
			}
		}
		if (st->need_reset) {
			if (send_ctl(m, STREAM_RESET, st->id) == -1)
				return -1;
			st->need_reset = 0;
			stream_remove(st); /* i now holds another stream, already visited */
		}
	}
	if (m->reset_stdio_sent == 1) {
		if (send_ctl(m, STREAM_RESET, STREAM_ID_STDIO) == -1)
			return -1;
		m->reset_stdio_sent = 2;
	}
	return 0;
}

static void
ctl_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream_mux *m = container_of(w, struct stream_mux, ctl_timer);

	flush_ctl(m);
	session_flush(m->s);
}

/* How many bytes the token bucket allows now (rate limit); 0 throttles every source. */
static size_t
allowed(struct stream_mux *m, size_t want)
{
	if (m->rate <= 0)
		return want;
	if (m->tokens < 1) {
		m->throttled = 1;
		sources_update(m);
		return 0;
	}
	return m->tokens < (double)want ? (size_t)m->tokens : want;
}

/* Read one source into session slots until it would block, ends, or the budget is spent. */
static void
source_read(struct stream *st)
{
	struct stream_mux *m = st->m;
	int budget = STREAM_READ_BUDGET;
	size_t cap, room;
	uint8_t *p;
	ssize_t n;

	while (budget-- > 0 && !m->paused && !m->throttled && !st->fin_sent && !st->resetting) {
		if (st->need_open) {
			if (send_ctl(m, STREAM_OPEN, st->id) == -1)
				return;
			st->need_open = 0;
			st->opened = 1;
		}
		if ((p = session_tx_slot(m->s, &cap)) == NULL) {
			pause_sources(m);
			return;
		}
		room = cap - STREAM_HDR_LEN;
		if (st->stdio && m->limit < room)
			room = (size_t)m->limit;
		if (room > 0 && (room = allowed(m, room)) == 0)
			return;
		if (room == 0)
			n = 0; /* --limit reached: the end of the stream */
		else if (st->stdio && m->hooks.produce != NULL)
			n = (ssize_t)m->hooks.produce(m->hooks.arg, p + STREAM_HDR_LEN, room);
		else
			n = read(st->rfd, p + STREAM_HDR_LEN, room);
		if (n > 0) {
			stream_hdr_put(p, STREAM_DATA, st->id);
			session_tx_commit(m->s, STREAM_HDR_LEN + (size_t)n);
			st->last = ev_now(m->loop);
			st->tx_bytes += (uint64_t)n;
			m->tx_bytes += (uint64_t)n;
			if (st->stdio)
				m->limit -= (uint64_t)n;
			if (m->rate > 0)
				m->tokens -= (double)n;
			continue;
		}
		if (n == 0) {
			stream_hdr_put(p, STREAM_FIN, st->id);
			session_tx_commit(m->s, STREAM_HDR_LEN);
			fin_done(st);
			return;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
		local_fail(st, st->stdio ? "stdin" : "read", strerror(errno));
		return;
	}
}

/* A local source is readable. */
static void
stream_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream *st = container_of(w, struct stream, rio);
	struct stream_mux *m = st->m;

	source_read(st);
	session_flush(m->s);
}

/* Stream 0 from the produce hook: runs every loop turn while the session has room. */
static void
gen_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct stream_mux *m = container_of(w, struct stream_mux, gen);
	struct stream *st = find(m, STREAM_ID_STDIO);

	if (st == NULL) {
		ev_idle_stop(loop, w);
		return;
	}
	source_read(st);
	session_flush(m->s);
}

/* Read every source that may be read now, and none that may not. */
static void
sources_update(struct stream_mux *m)
{
	struct stream *st;
	int i, want;

	for (i = 0; i < m->n; i++) {
		st = m->v[i];
		want = !m->paused && !m->throttled && !st->fin_sent && !st->resetting &&
		       !st->connecting;
		if (st->stdio && m->hooks.produce != NULL) {
			if (want)
				ev_idle_start(m->loop, &m->gen);
			else
				ev_idle_stop(m->loop, &m->gen);
		} else if (st->rfd != -1) {
			if (want)
				ev_io_start(m->loop, &st->rio);
			else
				ev_io_stop(m->loop, &st->rio);
		}
	}
}

/* The session has room again (it said no to session_tx_slot before). */
static void
mux_resume(struct chan *ch)
{
	struct stream_mux *m = (struct stream_mux *)ch;
	int i;

	m->paused = 0;
	sources_update(m);
	for (i = 0; i < m->n; i++)
		if (m->v[i]->need_open || m->v[i]->need_reset || m->v[i]->need_fin)
			want_ctl(m);
	if (m->reset_stdio_sent == 1)
		want_ctl(m);
}

/* --rate: a token bucket refilled every STREAM_RATE_TICK, holding STREAM_RATE_BURST. */
static void
rate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream_mux *m = container_of(w, struct stream_mux, rate_timer);
	ev_tstamp now = ev_now(loop);
	double burst = m->rate * STREAM_RATE_BURST;

	m->tokens += m->rate * (now - m->refilled);
	m->refilled = now;
	if (burst < 1)
		burst = 1;
	if (m->tokens > burst)
		m->tokens = burst;
	if (m->throttled && m->tokens >= 1) {
		m->throttled = 0;
		sources_update(m);
	}
}

/* --- receive side --- */

/* The peer's half is over and every byte is out: shut the local write half. */
static void
shut_write(struct stream *st)
{
	if (st->wdone || !st->rx_fin || bq_len(&st->out) > 0 || st->connecting)
		return;
	st->wdone = 1;
	if (st->stdio) {
		if (st->wfd != -1)
			close(st->wfd);
		st->wfd = -1;
	} else if (st->wfd != -1) {
		shutdown(st->wfd, SHUT_WR);
	}
	maybe_done(st);
}

/* Write queued output until done or EAGAIN. -1 when the stream failed. */
static int
drain_out(struct stream *st)
{
	ssize_t n;

	while (bq_len(&st->out) > 0) {
		n = write(st->wfd, bq_start(&st->out), bq_len(&st->out));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			ev_io_start(st->m->loop, &st->wio);
			return 0;
		}
		if (n <= 0) {
			local_fail(st, st->stdio ? "stdout" : "write",
				   n == 0 ? "short write" : strerror(errno));
			return -1;
		}
		bq_consume(&st->out, (size_t)n);
	}
	ev_io_stop(st->m->loop, &st->wio);
	return 0;
}

/* A target connection completed (or failed). */
static void
connect_done(struct stream *st)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(st->wfd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		local_fail(st, "connect", strerror(err));
		return;
	}
	st->connecting = 0;
	sources_update(st->m);
}

/* The local end is writable: a connect completed, or queued output can go. */
static void
stream_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream *st = container_of(w, struct stream, wio);
	struct stream_mux *m = st->m;

	if (st->connecting) {
		connect_done(st);
		if (st->resetting) {
			session_flush(m->s);
			return;
		}
	}
	if (drain_out(st) == -1) {
		session_flush(m->s);
		return;
	}
	if (m->blocked == st && bq_room(&st->out) >= m->s->payload_max) {
		m->blocked = NULL;
		shut_write(st);		 /* may remove st: not touched below */
		session_rx_resume(m->s); /* delivers what waited, then flushes */
		return;
	}
	shut_write(st);
}

/* Close st after idle_timeout without a byte either way (reflect's --idle-timeout). */
static void
idle_start(struct stream *st)
{
	struct stream_mux *m = st->m;

	if (m->idle_timeout <= 0)
		return;
	st->idle.repeat = m->idle_timeout;
	ev_timer_again(m->loop, &st->idle);
}

static void
stream_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct stream *st = container_of(w, struct stream, idle);
	struct stream_mux *m = st->m;
	ev_tstamp left = st->last + m->idle_timeout - ev_now(loop);

	/* pushed back lazily: re-arm for what is left (libev's pattern) */
	if (left > 0) {
		w->repeat = left;
		ev_timer_again(loop, w);
		return;
	}
	log_info("stream %u: no traffic for %.0f s: closed", st->id, m->idle_timeout);
	local_fail(st, "idle", "timeout"); /* the peer resets its end too */
}

/* The peer opens a stream: connect it to the target. */
static void
peer_open(struct stream_mux *m, uint32_t id)
{
	struct stream *st = find(m, id);
	int fd, one = 1;

	if (id == STREAM_ID_STDIO && st != NULL && st->stdio)
		return; /* both ends are stdio: stream 0 is open already */
	if (id == STREAM_ID_STDIO && st == NULL && !m->has_target) {
		/* a stdio peer, and neither stdio nor a target here: refuse it at once */
		if (m->reset_stdio_sent == 0) {
			m->reset_stdio_sent = 1;
			want_ctl(m);
		}
		return;
	}
	if (st != NULL || ours(m, id)) {
		session_count_drop(m->s, DROP_MALFORMED);
		return;
	}
	fd = -1;
	if (m->has_target && m->n - m->nours < STREAM_MAX) {
		fd = socket(m->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd != -1)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if ((st = stream_new(m, id, fd, fd)) == NULL) {
		if (fd != -1)
			close(fd);
		session_count_drop(m->s, DROP_DELIVERY); /* table full: the peer broke the limit */
		return;
	}
	st->opened = 1;
	if (fd == -1) {
		local_fail(st, "open", m->has_target ? "no socket" : "no --target here");
		return;
	}
	if (connect(fd, (struct sockaddr *)&m->target, m->target_len) == -1 &&
	    errno != EINPROGRESS) {
		local_fail(st, "connect", strerror(errno));
		return;
	}
	st->connecting = 1;
	ev_io_start(m->loop, &st->wio);
	idle_start(st);
}

/* DATA for st: write it out, or queue it; -1 when it does not fit (nothing consumed). */
static int
peer_data(struct stream *st, const uint8_t *p, size_t len)
{
	struct stream_mux *m = st->m;
	ssize_t n = 0;

	if (st->stdio && m->hooks.consume != NULL) {
		if (m->hooks.consume(m->hooks.arg, p, len) == -1)
			local_fail(st, "stdout", "output refused");
		return 0;
	}
	if (bq_len(&st->out) + len > st->out.cap) {
		m->blocked = st;
		return -1;
	}
	st->last = ev_now(m->loop);
	if (bq_len(&st->out) == 0 && !st->connecting) {
		n = write(st->wfd, p, len);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			local_fail(st, st->stdio ? "stdout" : "write", strerror(errno));
			return 0;
		}
		if (n == -1)
			n = 0;
	}
	if ((size_t)n < len) {
		bq_append(&st->out, p + n, len - (size_t)n);
		if (!st->connecting)
			ev_io_start(m->loop, &st->wio);
	}
	return 0;
}

/* One payload from the peer, in session order (the chan contract: -1 pushes back). */
static int
mux_deliver(struct chan *ch, const uint8_t *p, size_t len)
{
	struct stream_mux *m = (struct stream_mux *)ch;
	struct stream_msg msg;
	struct stream *st;

	if (stream_hdr_decode(&msg, p, len) == -1) {
		session_count_drop(m->s, DROP_MALFORMED);
		return 0;
	}
	if (msg.kind == STREAM_OPEN) {
		peer_open(m, msg.id);
		return 0;
	}
	st = find(m, msg.id);
	if (st == NULL || st->resetting) {
		/* a stream we reset or finished; or stream 0 where there is none: refuse it */
		if (st == NULL && msg.id == STREAM_ID_STDIO && msg.kind != STREAM_RESET &&
		    m->reset_stdio_sent == 0) {
			m->reset_stdio_sent = 1;
			want_ctl(m);
		}
		if (msg.kind == STREAM_DATA)
			session_count_drop(m->s, DROP_DELIVERY);
		return 0;
	}
	switch (msg.kind) {
	case STREAM_DATA:
		if (st->rx_fin) {
			session_count_drop(m->s, DROP_MALFORMED); /* data after the end */
			return 0;
		}
		if (peer_data(st, msg.data, msg.len) == -1)
			return -1;
		st->rx_bytes += msg.len;
		m->rx_bytes += msg.len;
		return 0;
	case STREAM_FIN:
		st->rx_fin = 1;
		if (st->stdio && m->hooks.consume != NULL)
			st->wdone = 1;
		/*
		 * The end of a stream that carried data, to a side that sent none: one-way,
		 * probably (decided from the loop: is there input after all?). An empty stream
		 * ends nothing: it is a receiver's (stdin /dev/null) before a slow sender starts.
		 */
		if (st->stdio && !st->fin_sent && !m->two_way && st->tx_bytes == 0 &&
		    st->rx_bytes > 0) {
			st->need_fin = 1;
			want_ctl(m);
		}
		shut_write(st); /* may remove st (it ends it when it is done): not touched below */
		return 0;
	case STREAM_RESET:
		m->resets++;
		if (st->stdio) {
			local_fail(st, "peer",
				   "reset the stream (its output or its --target connection "
				   "failed, it only forwards, or it was interrupted)");
			st->need_reset = 0; /* it knows */
			return 0;
		}
		close_local(st, 1);
		stream_remove(st);
		return 0;
	}
	return 0;
}

/* --- forwarding --- */

/* --forward: each accepted connection becomes a stream; its OPEN goes first. */
static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream_mux *m = container_of(w, struct stream_mux, accept_io);
	struct stream *st;
	int budget = STREAM_ACCEPT_BUDGET, fd, one = 1;

	while (budget-- > 0) {
		if (m->nours >= STREAM_MAX) {
			ev_io_stop(loop, w); /* the backlog waits until a stream closes */
			return;
		}
		fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((st = stream_new(m, m->next_id, fd, fd)) == NULL) {
			close(fd);
			continue;
		}
		m->next_id += 2;
		idle_start(st);
		st->need_open = 1;
		want_ctl(m); /* the OPEN goes even if the local side says nothing first */
		sources_update(m);
	}
}

int
stream_resolve(const struct conf_hostport *hp, int passive, struct sockaddr_storage *ss,
	       socklen_t *len)
{
	struct addrinfo hints, *res;
	char port[8], label[CONF_HOST_MAX + 8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	snprintf(port, sizeof(port), "%u", hp->port);
	if ((rc = getaddrinfo(hp->host[0] ? hp->host : NULL, port, &hints, &res)) != 0) {
		proxy_format_hostport(hp, label, sizeof(label));
		log_warnx("%s: %s", label, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
stream_mux_forward(struct stream_mux *m, const struct conf_hostport *hp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char label[CONF_HOST_MAX + 8];
	int one = 1;

	if (stream_resolve(hp, 1, &ss, &len) == -1)
		return -1;
	proxy_format_hostport(hp, label, sizeof(label));
	m->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd == -1) {
		log_warn("forward %s: socket", label);
		return -1;
	}
	setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->lfd, (struct sockaddr *)&ss, len) == -1 || listen(m->lfd, 128) == -1) {
		log_warn("forward %s", label);
		close(m->lfd);
		m->lfd = -1;
		return -1;
	}
	ev_io_init(&m->accept_io, accept_cb, m->lfd, EV_READ);
	ev_io_start(m->loop, &m->accept_io);
	log_info("forwarding connections to %s", label);
	return 0;
}

void
stream_mux_target(struct stream_mux *m, const struct sockaddr_storage *ss, socklen_t len)
{
	memcpy(&m->target, ss, len);
	m->target_len = len;
	m->has_target = 1;
}

/* --- life cycle --- */

/*
 * The peer restarted: its previous run's streams are gone with it, and it numbers its new
 * ones from the start again. Every socket stream is reset locally (stream 0 over stdio is
 * the pipe's to fail). From session_conn_up: nothing is sent from here.
 */
static void
mux_restart(struct chan *ch)
{
	struct stream_mux *m = (struct stream_mux *)ch;
	struct stream *st;
	int i;

	m->blocked = NULL; /* the session starts delivering afresh */
	m->reset_stdio_sent = 0;
	for (i = m->n - 1; i >= 0; i--) {
		st = m->v[i];
		if (st->stdio)
			continue;
		close_local(st, 1);
		m->resets++;
		stream_remove(st); /* i now holds another stream, already visited */
	}
}

void
stream_mux_init(struct stream_mux *m, struct ev_loop *loop, struct session *s, int dialer)
{
	memset(m, 0, sizeof(*m));
	m->ch.deliver = mux_deliver;
	m->ch.resume = mux_resume;
	m->ch.restart = mux_restart;
	m->ch.reliable = 1;
	m->loop = loop;
	m->s = s;
	m->next_id = dialer ? 1 : 2;
	m->lfd = -1;
	m->limit = UINT64_MAX;
	ev_idle_init(&m->gen, gen_cb);
	/* the generator yields to nothing else: it feeds the session whenever there is room */
	ev_set_priority(&m->gen, EV_MAXPRI);
	ev_timer_init(&m->ctl_timer, ctl_timer_cb, 0., 0.);
	ev_timer_init(&m->rate_timer, rate_timer_cb, STREAM_RATE_TICK, STREAM_RATE_TICK);
}

int
stream_mux_stdio(struct stream_mux *m, int rfd, int wfd, const struct stream_hooks *h)
{
	struct stream *st;

	if (h != NULL)
		m->hooks = *h;
	if ((st = stream_new(m, STREAM_ID_STDIO, rfd, wfd)) == NULL)
		return -1;
	st->stdio = 1;
	st->opened = 1;
	st->need_open = 1; /* a peer with a target connects it there; a stdio peer ignores it */
	want_ctl(m);
	sources_update(m);
	return 0;
}

void
stream_mux_idle(struct stream_mux *m, double secs)
{
	m->idle_timeout = secs;
}

void
stream_mux_rate(struct stream_mux *m, double bytes_per_sec)
{
	m->rate = bytes_per_sec;
	m->tokens = 0;
	m->refilled = ev_now(m->loop);
	if (bytes_per_sec > 0)
		ev_timer_start(m->loop, &m->rate_timer);
	else
		ev_timer_stop(m->loop, &m->rate_timer);
}

int
stream_mux_stdio_done(const struct stream_mux *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->v[i]->stdio)
			return m->v[i]->fin_sent && m->v[i]->wdone;
	return 0;
}

void
stream_mux_flush(struct stream_mux *m)
{
	flush_ctl(m);
	session_flush(m->s);
}

int
stream_mux_count(const struct stream_mux *m)
{
	return m->n;
}

void
stream_mux_free(struct stream_mux *m)
{
	struct stream *st;

	if (m->loop == NULL)
		return;
	ev_timer_stop(m->loop, &m->ctl_timer);
	ev_timer_stop(m->loop, &m->rate_timer);
	ev_idle_stop(m->loop, &m->gen);
	if (m->lfd != -1) {
		ev_io_stop(m->loop, &m->accept_io);
		close(m->lfd);
		m->lfd = -1;
	}
	while (m->n > 0) {
		st = m->v[--m->n];
		close_local(st, 0);
		bq_free(&st->out);
		free(st);
	}
	m->blocked = NULL;
}
