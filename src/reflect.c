/*
 * reflect: the built-in TCP reflector (see reflect.h).
 *
 * One libev loop; every socket non-blocking. Each accepted connection gets a socket to
 * TARGET and two directions (client->target, target->client). A direction moves bytes with
 * splice() through its own pipe, so they never enter user space; if the kernel refuses
 * splice for these fds (EINVAL) the direction falls back to read()/write() through a
 * REFLECT_COPY_BUF buffer. Either way a direction holds at most one pipe or buffer of data:
 * it reads only while its sink has taken everything, so memory stays bounded and back
 * pressure reaches the sender through TCP.
 *
 * End of stream is propagated (EOF from one side becomes shutdown(SHUT_WR) on the other
 * once the direction is drained); the connection closes when both directions have ended,
 * or at once on an error from either side.
 *
 * Timers (one ev_timer per connection, and one for the listener):
 *   - connect: TARGET must accept within --connect-timeout, else the next address is tried;
 *   - idle: no byte in either direction for --idle-timeout closes the connection (0: never);
 *   - accept pause: when accept() runs out of fds, accepting stops for a second.
 * Signals only flag or break the loop: SIGUSR1 logs the counters, SIGINT/SIGTERM stop.
 *
 * --chaos N cuts every connection after exactly N KiB forwarded (both directions counted):
 * reads are clipped so that no byte beyond that is taken in, then both sides are closed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "conf.h"
#include "log.h"
#include "proxy.h"
#include "reflect.h"
#include "util.h"

#define REFLECT_MAX_CONNS	1024	     /* default --max-conns */
#define REFLECT_CONNECT_TIMEOUT 10.0	     /* default --connect-timeout, seconds */
#define REFLECT_IDLE_TIMEOUT	600.0	     /* default --idle-timeout, seconds */
#define REFLECT_PIPE_SIZE	(256 * 1024) /* asked of F_SETPIPE_SZ; the default 64 KiB if refused */
#define REFLECT_COPY_BUF	(64 * 1024) /* per direction, only when splice is refused */
#define REFLECT_MAX_ADDRS	8	    /* TARGET addresses tried in turn */
#define REFLECT_ACCEPT_BUDGET	64	    /* accepts per wake-up */
#define REFLECT_IO_ROUNDS	16	    /* read/write rounds per direction per wake-up */
#define REFLECT_ACCEPT_PAUSE	1.0	    /* seconds without accepting after EMFILE */
#define REFLECT_WARN_INTERVAL	10.0	    /* at most one connect-failure warning per interval */

#define SIDE_CLIENT 0
#define SIDE_TARGET 1


/* Data moving from fd[i] to fd[1 - i]; dir[i] of a connection. */
struct reflect_dir {
	int pipe[2];  /* splice mode; -1 in copy mode */
	uint8_t *buf; /* copy mode: [off, len) still to write */
	size_t off;
	size_t len; /* bytes taken in and not yet written (in the pipe or buf) */
	int eof;    /* the source has ended */
	int shut;   /* SHUT_WR sent to the sink */
	uint64_t bytes;
};

struct reflect_conn {
	struct reflect *r;
	struct reflect_conn *prev, *next;
	uint64_t id;
	int fd[2];
	ev_io rio[2]; /* rio[s]: fd[s] readable, feeds dir[s] */
	ev_io wio[2]; /* wio[s]: fd[s] writable, drains dir[1 - s] (and completes the connect) */
	ev_timer timer;
	ev_tstamp last; /* last byte moved, for the idle timeout */
	int connecting;
	int addr; /* TARGET address being tried */
	struct reflect_dir dir[2];
};

struct reflect {
	struct ev_loop *loop;
	int lfd;
	ev_io accept_io;
	ev_timer accept_pause;
	ev_signal sig_int, sig_term, sig_usr1;
	struct sockaddr_storage target[REFLECT_MAX_ADDRS];
	socklen_t target_len[REFLECT_MAX_ADDRS];
	int ntarget;
	char target_name[PROXY_LABEL_MAX];
	/* options */
	long max_conns;
	double connect_timeout, idle_timeout;
	uint64_t chaos; /* bytes; 0: off */
	int no_splice;
	/* state and counters */
	struct reflect_conn *conns;
	uint64_t next_id;
	long active;
	uint64_t total, refused, failed, cut;
	uint64_t bytes[2]; /* [SIDE_CLIENT]: client->target, [SIDE_TARGET]: target->client */
	ev_tstamp last_warn;
};

static void conn_connect_next(struct reflect_conn *c);

static void
io_set(struct ev_loop *loop, ev_io *w, int on)
{
	if (on && !ev_is_active(w))
		ev_io_start(loop, w);
	else if (!on && ev_is_active(w))
		ev_io_stop(loop, w);
}

static void
set_nodelay(int fd)
{
	int one = 1;

	/* a relay must not add coalescing delay: the sender already chose its segments */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
dir_free(struct reflect_dir *d)
{
	if (d->pipe[0] != -1) {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
	free(d->buf);
	d->buf = NULL;
}

static void
conn_close(struct reflect_conn *c, const char *why)
{
	struct reflect *r = c->r;
	int s;

	log_debug("conn %llu: closed (%s): %llu bytes client->target, %llu target->client",
		  (unsigned long long)c->id, why, (unsigned long long)c->dir[SIDE_CLIENT].bytes,
		  (unsigned long long)c->dir[SIDE_TARGET].bytes);
	for (s = 0; s < 2; s++) {
		ev_io_stop(r->loop, &c->rio[s]);
		ev_io_stop(r->loop, &c->wio[s]);
		if (c->fd[s] != -1)
			close(c->fd[s]);
		dir_free(&c->dir[s]);
	}
	ev_timer_stop(r->loop, &c->timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	r->active--;
	free(c);
	/* room again: resume accepting if it had paused on the limit of fds */
	if (!ev_is_active(&r->accept_io) && !ev_is_active(&r->accept_pause) && r->lfd != -1)
		ev_io_start(r->loop, &r->accept_io);
}

/* Bytes direction i may still take in under --chaos (SIZE_MAX without it). */
static size_t
chaos_room(const struct reflect_conn *c)
{
	uint64_t used = c->dir[0].bytes + c->dir[1].bytes + c->dir[0].len + c->dir[1].len;

	if (c->r->chaos == 0)
		return SIZE_MAX;
	return used >= c->r->chaos ? 0 : (size_t)(c->r->chaos - used);
}

static int
chaos_done(const struct reflect_conn *c)
{
	return c->r->chaos != 0 && c->dir[0].bytes + c->dir[1].bytes >= c->r->chaos;
}

/* Write what direction i holds to its sink: 0 when drained, 1 when the sink is full, -1. */
static int
dir_flush(struct reflect_conn *c, int i)
{
	struct reflect_dir *d = &c->dir[i];
	int sink = c->fd[1 - i];
	ssize_t n;

	while (d->len > 0) {
		if (d->pipe[0] != -1)
			n = splice(d->pipe[0], NULL, sink, NULL, d->len,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else
			n = send(sink, d->buf + d->off, d->len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (errno == EINTR)
				continue;
			log_debug("conn %llu: write: %s", (unsigned long long)c->id,
				  strerror(errno));
			return -1;
		}
		if (d->pipe[0] == -1)
			d->off += (size_t)n;
		d->len -= (size_t)n;
		d->bytes += (uint64_t)n;
		c->r->bytes[i] += (uint64_t)n;
		c->last = ev_now(c->r->loop);
	}
	d->off = 0;
	return 0;
}

/* splice() is refused here: move direction i to read()/write() copying for good. */
static int
dir_to_copy(struct reflect_conn *c, int i)
{
	struct reflect_dir *d = &c->dir[i];

	log_debug("conn %llu: splice refused, copying", (unsigned long long)c->id);
	dir_free(d);
	d->buf = malloc(REFLECT_COPY_BUF);
	return d->buf == NULL ? -1 : 0;
}

/* Take bytes in from direction i's source: >0 taken, 0 end of stream, -1 EAGAIN, -2 error. */
static ssize_t
dir_fill(struct reflect_conn *c, int i, size_t max)
{
	struct reflect_dir *d = &c->dir[i];
	int src = c->fd[i];
	ssize_t n;

	for (;;) {
		if (d->pipe[0] != -1) {
			if (max > REFLECT_PIPE_SIZE)
				max = REFLECT_PIPE_SIZE;
			n = splice(src, NULL, d->pipe[1], NULL, max,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
				if (dir_to_copy(c, i) == -1)
					return -2;
				continue;
			}
		} else {
			if (max > REFLECT_COPY_BUF)
				max = REFLECT_COPY_BUF;
			n = recv(src, d->buf, max, 0);
		}
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		log_debug("conn %llu: read: %s", (unsigned long long)c->id, strerror(errno));
		return -2;
	}
}

/*
 * Move what can be moved in direction i, then arm the watchers it needs. Returns -1 when the
 * connection must close (it is not closed here).
 */
static int
dir_pump(struct reflect_conn *c, int i)
{
	struct reflect_dir *d = &c->dir[i];
	int rounds, blocked = 0;
	ssize_t n;

	for (rounds = 0; rounds < REFLECT_IO_ROUNDS; rounds++) {
		blocked = dir_flush(c, i);
		if (blocked == -1)
			return -1;
		if (blocked)
			break;
		if (chaos_done(c))
			return -1;
		if (d->eof) {
			if (!d->shut && shutdown(c->fd[1 - i], SHUT_WR) == -1 && errno != ENOTCONN)
				return -1;
			d->shut = 1;
			break;
		}
		if (chaos_room(c) == 0)
			break;
		n = dir_fill(c, i, chaos_room(c));
		if (n == -2)
			return -1;
		if (n == -1)
			break;
		if (n == 0)
			d->eof = 1;
		d->len += (size_t)n;
	}
	/* read only while the sink has taken everything: one pipe or buffer per direction */
	io_set(c->r->loop, &c->rio[i], !d->eof && d->len == 0 && chaos_room(c) > 0);
	io_set(c->r->loop, &c->wio[1 - i], d->len > 0);
	return 0;
}

/* After a pump: close when both directions have ended and been passed on. */
static int
conn_finished(const struct reflect_conn *c)
{
	return c->dir[0].shut && c->dir[1].shut;
}

/* Pump direction i; -1 when that closed the connection (c is gone). */
static int
conn_pump(struct reflect_conn *c, int i)
{
	if (dir_pump(c, i) == -1) {
		if (chaos_done(c)) {
			c->r->cut++;
			conn_close(c, "chaos cut");
		} else {
			conn_close(c, "error");
		}
		return -1;
	}
	if (conn_finished(c)) {
		conn_close(c, "done");
		return -1;
	}
	return 0;
}

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct reflect_conn *c = w->data;

	conn_pump(c, w == &c->rio[SIDE_CLIENT] ? SIDE_CLIENT : SIDE_TARGET);
}

static void
conn_established(struct reflect_conn *c)
{
	struct reflect *r = c->r;

	c->connecting = 0;
	c->last = ev_now(r->loop);
	ev_timer_stop(r->loop, &c->timer);
	if (r->idle_timeout > 0) {
		c->timer.repeat = r->idle_timeout;
		ev_timer_again(r->loop, &c->timer);
	}
	set_nodelay(c->fd[SIDE_TARGET]);
	log_debug("conn %llu: connected to %s", (unsigned long long)c->id, r->target_name);
	/* the client may have sent already: pump both ways, which arms the readers */
	if (conn_pump(c, SIDE_CLIENT) == -1)
		return;
	conn_pump(c, SIDE_TARGET);
}

/* Writable: completes the connect to TARGET, or drains the direction that feeds this side. */
static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct reflect_conn *c = w->data;
	int s = w == &c->wio[SIDE_CLIENT] ? SIDE_CLIENT : SIDE_TARGET;
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->connecting) {
		if (getsockopt(c->fd[SIDE_TARGET], SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			errno = err;
			if (ev_now(loop) - c->r->last_warn >= REFLECT_WARN_INTERVAL) {
				c->r->last_warn = ev_now(loop);
				log_warn("connect to %s", c->r->target_name);
			}
			c->addr++;
			conn_connect_next(c);
			return;
		}
		ev_io_stop(loop, w);
		conn_established(c);
		return;
	}
	conn_pump(c, 1 - s);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct reflect_conn *c = container_of(w, struct reflect_conn, timer);
	ev_tstamp left;

	if (c->connecting) {
		log_debug("conn %llu: connect to %s timed out", (unsigned long long)c->id,
			  c->r->target_name);
		c->addr++;
		conn_connect_next(c);
		return;
	}
	/* the idle timer is pushed back lazily: re-arm for what is left (libev's pattern) */
	left = c->last + c->r->idle_timeout - ev_now(loop);
	if (left > 0) {
		w->repeat = left;
		ev_timer_again(loop, w);
		return;
	}
	conn_close(c, "idle");
}

/* Dial TARGET address c->addr (and on, past the ones that fail at once); close if none. */
static void
conn_connect_next(struct reflect_conn *c)
{
	struct reflect *r = c->r;

	ev_io_stop(r->loop, &c->wio[SIDE_TARGET]);
	ev_timer_stop(r->loop, &c->timer);
	if (c->fd[SIDE_TARGET] != -1) {
		close(c->fd[SIDE_TARGET]);
		c->fd[SIDE_TARGET] = -1;
	}
	for (; c->addr < r->ntarget; c->addr++) {
		const struct sockaddr *sa = (const struct sockaddr *)&r->target[c->addr];
		int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd == -1) {
			log_warn("socket");
			continue;
		}
		if (connect(fd, sa, r->target_len[c->addr]) == -1 && errno != EINPROGRESS) {
			log_debug("conn %llu: connect: %s", (unsigned long long)c->id,
				  strerror(errno));
			close(fd);
			continue;
		}
		c->fd[SIDE_TARGET] = fd;
		ev_io_set(&c->rio[SIDE_TARGET], fd, EV_READ);
		ev_io_set(&c->wio[SIDE_TARGET], fd, EV_WRITE);
		ev_io_start(r->loop, &c->wio[SIDE_TARGET]);
		ev_timer_set(&c->timer, r->connect_timeout, 0);
		ev_timer_start(r->loop, &c->timer);
		return;
	}
	r->failed++;
	conn_close(c, "target unreachable");
}

/* Give a direction its pipe (or, with --no-splice, its copy buffer). */
static int
dir_init(struct reflect_dir *d, int no_splice)
{
	d->pipe[0] = d->pipe[1] = -1;
	if (no_splice) {
		d->buf = malloc(REFLECT_COPY_BUF);
		return d->buf == NULL ? -1 : 0;
	}
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	/* a bigger pipe means fewer wake-ups; the default 64 KiB works too */
	(void)fcntl(d->pipe[1], F_SETPIPE_SZ, REFLECT_PIPE_SIZE);
	return 0;
}

/*
 * A connection accepted: allocate it (the only allocation per connection, besides its pipes),
 * then dial TARGET. Reading the client waits until TARGET has accepted, so early bytes stay
 * in the kernel's queue and the client feels TCP back pressure, not a buffer of ours.
 */
static void
conn_new(struct reflect *r, int fd)
{
	struct reflect_conn *c = calloc(1, sizeof(*c));
	int s;

	if (c == NULL) {
		log_warn("calloc");
		close(fd);
		return;
	}
	c->r = r;
	c->id = ++r->next_id;
	c->fd[SIDE_CLIENT] = fd;
	c->fd[SIDE_TARGET] = -1;
	c->dir[0].pipe[0] = c->dir[0].pipe[1] = c->dir[1].pipe[0] = c->dir[1].pipe[1] = -1;
	for (s = 0; s < 2; s++) {
		ev_io_init(&c->rio[s], read_cb, c->fd[s], EV_READ);
		ev_io_init(&c->wio[s], write_cb, c->fd[s], EV_WRITE);
		c->rio[s].data = c->wio[s].data = c;
	}
	ev_init(&c->timer, timer_cb);
	c->next = r->conns;
	if (r->conns != NULL)
		r->conns->prev = c;
	r->conns = c;
	r->active++;
	r->total++;
	c->connecting = 1;
	set_nodelay(fd);
	if (dir_init(&c->dir[0], r->no_splice) == -1 || dir_init(&c->dir[1], r->no_splice) == -1) {
		log_warn("conn %llu: pipe", (unsigned long long)c->id);
		conn_close(c, "no resources");
		return;
	}
	log_debug("conn %llu: accepted", (unsigned long long)c->id);
	conn_connect_next(c);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct reflect *r = container_of(w, struct reflect, accept_io);
	int i, fd;

	for (i = 0; i < REFLECT_ACCEPT_BUDGET; i++) {
		fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_warn("accept (pausing for %.0f s)", REFLECT_ACCEPT_PAUSE);
				ev_io_stop(loop, w);
				ev_timer_set(&r->accept_pause, REFLECT_ACCEPT_PAUSE, 0);
				ev_timer_start(loop, &r->accept_pause);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_warn("accept");
			}
			return;
		}
		if (r->active >= r->max_conns) {
			/* over the limit: closed at once, counted, never dialed */
			r->refused++;
			close(fd);
			continue;
		}
		conn_new(r, fd);
	}
}

static void
accept_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct reflect *r = container_of(w, struct reflect, accept_pause);

	ev_io_start(loop, &r->accept_io);
}

static void
reflect_stats(struct reflect *r)
{
	log_info("reflect %s: connections active %ld total %llu refused %llu failed %llu "
		 "cut %llu; bytes client->target %llu target->client %llu",
		 r->target_name, r->active, (unsigned long long)r->total,
		 (unsigned long long)r->refused, (unsigned long long)r->failed,
		 (unsigned long long)r->cut, (unsigned long long)r->bytes[SIDE_CLIENT],
		 (unsigned long long)r->bytes[SIDE_TARGET]);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct reflect *r = w->data;

	if (w->signum == SIGUSR1) {
		reflect_stats(r);
		return;
	}
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* host:port through the shared parser, then getaddrinfo (once, at start). */
static int
resolve(const char *what, const char *arg, int passive, struct addrinfo **res)
{
	struct conf_hostport hp;
	struct addrinfo hints;
	char err[256], port[8];
	int rc;

	if (proxy_parse_hostport(&hp, arg, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", what, err);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_ADDRCONFIG);
	snprintf(port, sizeof(port), "%u", (unsigned)hp.port);
	rc = getaddrinfo(hp.host, port, &hints, res);
	if (rc != 0) {
		log_warnx("%s %s: %s", what, arg, gai_strerror(rc));
		return -1;
	}
	return 0;
}

static int
listen_on(struct reflect *r, const char *arg)
{
	struct addrinfo *res, *ai;
	int one = 1;

	if (resolve("listen", arg, 1, &res) == -1)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		r->lfd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (r->lfd == -1)
			continue;
		setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(r->lfd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(r->lfd, SOMAXCONN) == 0)
			break;
		log_warn("listen on %s", arg);
		close(r->lfd);
		r->lfd = -1;
	}
	freeaddrinfo(res);
	return r->lfd == -1 ? -1 : 0;
}

static int
target_set(struct reflect *r, const char *arg)
{
	struct addrinfo *res, *ai;

	if (resolve("target", arg, 0, &res) == -1)
		return -1;
	for (ai = res; ai != NULL && r->ntarget < REFLECT_MAX_ADDRS; ai = ai->ai_next) {
		memcpy(&r->target[r->ntarget], ai->ai_addr, ai->ai_addrlen);
		r->target_len[r->ntarget++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	snprintf(r->target_name, sizeof(r->target_name), "%s", arg);
	return r->ntarget > 0 ? 0 : -1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mptun reflect [options] LISTEN TARGET\n"
		"  Accept TCP connections on LISTEN (addr:port or [v6]:port) and forward each\n"
		"  one to TARGET (host:port, resolved once at start).\n"
		"options:\n"
		"  -m, --max-conns N         concurrent connections; more are closed at once "
		"(%d)\n"
		"  -c, --connect-timeout S   seconds for TARGET to accept (%.0f)\n"
		"  -i, --idle-timeout S      close after S seconds without traffic; 0: never "
		"(%.0f)\n"
		"      --chaos N             cut every connection after N KiB forwarded (tests)\n"
		"      --no-splice           copy through user space instead of splice()\n"
		"  -v, --verbose             log every connection\n"
		"  -h, --help                this text\n"
		"SIGUSR1 logs the counters; SIGINT or SIGTERM stops.\n",
		REFLECT_MAX_CONNS, REFLECT_CONNECT_TIMEOUT, REFLECT_IDLE_TIMEOUT);
}

/* A non-negative number, whole when whole is set; -1 when s is not one. */
static double
number(const char *s, int whole)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1e12 ||
	    (whole && v != (double)(long long)v))
		return -1;
	return v;
}

static int
parse_args(struct reflect *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"max-conns", required_argument, NULL, 'm'},
		{"connect-timeout", required_argument, NULL, 'c'},
		{"idle-timeout", required_argument, NULL, 'i'},
		{"chaos", required_argument, NULL, 'C'},
		{"no-splice", no_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double v;
	int ch;

	optind = 0; /* glibc: start afresh even if main used getopt */
	while ((ch = getopt_long(argc, argv, "m:c:i:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if ((v = number(optarg, 1)) < 1 || v > 1000000)
				goto bad;
			r->max_conns = (long)v;
			break;
		case 'c':
			if ((v = number(optarg, 0)) <= 0)
				goto bad;
			r->connect_timeout = v;
			break;
		case 'i':
			if ((v = number(optarg, 0)) < 0)
				goto bad;
			r->idle_timeout = v;
			break;
		case 'C':
			if ((v = number(optarg, 1)) < 1 || v > (double)(UINT64_MAX >> 11))
				goto bad;
			r->chaos = (uint64_t)v * 1024;
			break;
		case 'S':
			r->no_splice = 1;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind != 2) {
		if (argc - optind < 2)
			fprintf(stderr, "mptun reflect: missing %s\n",
				argc == optind ? "LISTEN and TARGET" : "TARGET");
		else
			fprintf(stderr, "mptun reflect: unexpected argument '%s'\n",
				argv[optind + 2]);
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	log_warnx("reflect: bad value '%s' for -%c (see mptun reflect --help)", optarg, ch);
	return -1;
}

int
reflect_main(int argc, char **argv)
{
	struct reflect r;
	int rc = 1;

	memset(&r, 0, sizeof(r));
	r.lfd = -1;
	r.max_conns = REFLECT_MAX_CONNS;
	r.connect_timeout = REFLECT_CONNECT_TIMEOUT;
	r.idle_timeout = REFLECT_IDLE_TIMEOUT;
	log_warnings_fatal(1); /* until it runs, every warning ends the program */
	switch (parse_args(&r, argc, argv)) {
	case 1:
		return 0;
	case -1:
		return 2;
	}
	if (target_set(&r, argv[optind + 1]) == -1 || listen_on(&r, argv[optind]) == -1)
		goto out;
	log_warnings_fatal(0);
	/* splice() into a socket whose peer is gone would raise SIGPIPE: errors suffice */
	signal(SIGPIPE, SIG_IGN);

	r.loop = ev_default_loop(EVFLAG_AUTO);
	if (r.loop == NULL) {
		log_warnx("reflect: no event loop");
		goto out;
	}
	ev_io_init(&r.accept_io, accept_cb, r.lfd, EV_READ);
	ev_io_start(r.loop, &r.accept_io);
	ev_init(&r.accept_pause, accept_pause_cb);
	ev_signal_init(&r.sig_int, signal_cb, SIGINT);
	ev_signal_init(&r.sig_term, signal_cb, SIGTERM);
	ev_signal_init(&r.sig_usr1, signal_cb, SIGUSR1);
	r.sig_int.data = r.sig_term.data = r.sig_usr1.data = &r;
	ev_signal_start(r.loop, &r.sig_int);
	ev_signal_start(r.loop, &r.sig_term);
	ev_signal_start(r.loop, &r.sig_usr1);
	log_info("reflect: %s -> %s (max %ld connections%s%s)", argv[optind], r.target_name,
		 r.max_conns, r.chaos ? ", chaos" : "", r.no_splice ? ", copying" : "");

	ev_run(r.loop, 0);

	reflect_stats(&r);
	ev_io_stop(r.loop, &r.accept_io);
	ev_timer_stop(r.loop, &r.accept_pause);
	close(r.lfd);
	r.lfd = -1;
	while (r.conns != NULL)
		conn_close(r.conns, "shutdown");
	ev_signal_stop(r.loop, &r.sig_int);
	ev_signal_stop(r.loop, &r.sig_term);
	ev_signal_stop(r.loop, &r.sig_usr1);
	rc = 0;
out:
	if (r.lfd != -1)
		close(r.lfd);
	return rc;
}
