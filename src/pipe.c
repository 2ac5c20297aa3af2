/*
 * pipe: `mptun pipe listen|connect`, a byte stream or forwarded TCP ports (see pipe.h).
 *
 * The command line becomes a struct conf (pipe_args.c); the session, paths, connections
 * and listeners are then the daemon's own. Only the channel differs: the stream channel
 * (stream.c) instead of a tun device, and it is reliable. This file is the life cycle:
 * set-up, the test stream hooks, progress, failure and the orderly end.
 *
 * Completion (stdin/stdout mode): the pipe is done when our FIN is committed and
 * acknowledged (the session's send window is empty), the peer's FIN has been delivered and
 * stdout closed, and our acknowledgement of it has been written to the sockets. (Our FIN
 * follows the peer's at once when this side is the receiving end of a one-way transfer:
 * see stream.h.) Then, once
 * the peer has sent nothing for PIPE_QUIET (it re-sends what it lacks an ACK for), each
 * connection's write half is shut down and the pipe waits (at most PIPE_LINGER) for the
 * peer to close, so that acknowledgement is not lost to a reset. Exit status 0 means every
 * byte was delivered and acknowledged both ways.
 *
 * Outages: while no connection is up the session, its window and the stream state stay as
 * they are and the paths keep dialing; when one is back the session re-sends what was not
 * acknowledged and the transfer resumes where it stopped. Only --timeout (PIPE_TIMEOUT_
 * DEFAULT: minutes, so a router's reboot or a DSL resync is ridden out) without any
 * connection gives up.
 *
 * Timers owned here: tick (PIPE_TICK: progress line, the peer-gone timeout, linger), and a
 * check watcher after every loop iteration (completion, failures, --chaos).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include <ev.h>
#include <sodium.h>

#include "conf.h"
#include "conn.h"
#include "crypto.h"
#include "listener.h"
#include "log.h"
#include "path.h"
#include "paths.h"
#include "pipe.h"
#include "pipe_args.h"
#include "prbs.h"
#include "proxy.h"
#include "session.h"
#include "stream.h"

#define PIPE_TICK	    0.2 /* seconds between housekeeping ticks */
#define PIPE_PROGRESS_TICKS 5	/* a progress line every this many ticks */
#define PIPE_LINGER	    2.0 /* longest wait for the peer to close at the end, s */
#define PIPE_QUIET	    0.2 /* no data from the peer this long before we stop answering, s */

struct pipe {
	struct pipe_opts o;
	struct conf *conf;
	struct ev_loop *loop;
	struct crypto_id cid;
	struct session s;
	struct paths paths; /* the session's */
	struct stream_mux mux;
	struct listener *listeners[CONF_MAX_LISTEN];
	int stdio;    /* stdin/stdout (or --prbs) mode, not forwarding */
	int fl0, fl1; /* stdin/stdout flags to restore */
	uint64_t first_sid;
	int ever_up;
	ev_tstamp start, down_since, linger_start;
	uint64_t rx_seen; /* data frames received, duplicates included */
	ev_tstamp rx_at;  /* when the last one came */
	int lingering, shut, done, rc, stopped;
	ev_timer tick;
	ev_check check;
	ev_signal sig_int, sig_term, sig_hup, sig_usr1;
	int ticks, progress;
	uint64_t last_bytes;
	ev_tstamp last_at;
	uint64_t gen_off, chk_off; /* --prbs offsets */
	int mismatch;
	uint64_t chaos_next, chaos_k, cuts;
};
/* --- --prbs: the test stream in place of stdin and stdout --- */

static size_t
prbs_produce(void *arg, uint8_t *buf, size_t cap)
{
	struct pipe *p = arg;

	/* --limit bounds the stream in stream.c, as it bounds stdin */
	prbs_fill(p->o.prbs_seed, p->gen_off, buf, cap);
	p->gen_off += cap;
	return cap;
}

static int
prbs_consume(void *arg, const uint8_t *buf, size_t len)
{
	struct pipe *p = arg;
	long bad = prbs_check(p->o.prbs_seed, p->chk_off, buf, len);
	uint8_t want;

	if (bad >= 0) {
		prbs_fill(p->o.prbs_seed, p->chk_off + (uint64_t)bad, &want, 1);
		fprintf(stderr,
			"mptun pipe: prbs: mismatch at byte offset %llu: got 0x%02x, expected "
			"0x%02x\n",
			(unsigned long long)(p->chk_off + (uint64_t)bad), buf[bad], want);
		p->mismatch = 1;
		return -1;
	}
	p->chk_off += len;
	return 0;
}

/* --- progress --- */

static void
human(char *out, size_t len, double v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
}

static uint64_t
path_bytes(const struct path *pa)
{
	uint64_t n = pa->tx_bytes + pa->rx_bytes;
	int i;

	for (i = 0; i < CONF_MAX_CONNS; i++)
		if (pa->slots[i].conn != NULL)
			n += pa->slots[i].conn->tx_bytes + pa->slots[i].conn->rx_bytes;
	return n;
}

/* One line: bytes each way, the rate since the last line, each path's share. */
static void
progress_line(struct pipe *p, char *out, size_t len)
{
	char tx[32], rx[32], rate[32];
	uint64_t total = 0, b;
	ev_tstamp now = ev_now(p->loop);
	size_t off;
	int i;

	human(tx, sizeof(tx), (double)p->mux.tx_bytes);
	human(rx, sizeof(rx), (double)p->mux.rx_bytes);
	b = p->mux.tx_bytes + p->mux.rx_bytes;
	human(rate, sizeof(rate),
	      now > p->last_at ? (double)(b - p->last_bytes) / (now - p->last_at) : 0);
	p->last_bytes = b;
	p->last_at = now;
	off = (size_t)snprintf(out, len, "sent %s, received %s, %s/s, %d conn%s", tx, rx, rate,
			       p->s.nup, p->s.nup == 1 ? "" : "s");
	for (i = 0; i < p->paths.n; i++)
		total += path_bytes(p->paths.path[i]);
	for (i = 0; i < p->paths.n && total > 0 && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s %s %.0f%%", i == 0 ? ";" : ",",
					p->paths.path[i]->name,
					100.0 * (double)path_bytes(p->paths.path[i]) /
						(double)total);
}

static void
summary(struct pipe *p)
{
	char tx[32], rx[32], rate[32];
	double secs = ev_now(p->loop) - p->start;

	human(tx, sizeof(tx), (double)p->mux.tx_bytes);
	human(rx, sizeof(rx), (double)p->mux.rx_bytes);
	human(rate, sizeof(rate),
	      secs > 0 ? (double)(p->mux.tx_bytes + p->mux.rx_bytes) / secs : 0);
	fprintf(stderr,
		"mptun pipe: sent %s, received %s in %.2f s (%s/s), %llu re-sent, "
		"%llu connection%s cut\n",
		tx, rx, secs, rate, (unsigned long long)p->s.st.retransmits,
		(unsigned long long)p->cuts, p->cuts == 1 ? "" : "s");
	if (p->o.has_prbs)
		fprintf(stderr, "mptun pipe: prbs: %llu bytes verified\n",
			(unsigned long long)p->chk_off);
}

/* --- the end --- */

static void
stop(struct pipe *p, int rc)
{
	if (p->stopped)
		return;
	p->stopped = 1;
	p->rc = rc;
	if (p->progress)
		fputc('\n', stderr);
	session_flush(&p->s);
	ev_break(p->loop, EVBREAK_ALL);
}

static void linger(struct pipe *p);

/* The transfer cannot complete: say why (unless why is NULL), tell the peer, then stop. */
static void
fail(struct pipe *p, int rc, const char *why)
{
	char line[256];

	if (p->lingering)
		return;
	if (p->progress)
		fputc('\n', stderr);
	p->progress = 0;
	if (why != NULL) {
		progress_line(p, line, sizeof(line));
		fprintf(stderr,
			"mptun pipe: %s; the stream is incomplete (%s, %u frame%s not "
			"acknowledged)\n",
			why, line, sendq_count(&p->s.sq), sendq_count(&p->s.sq) == 1 ? "" : "s");
	}
	p->rc = rc;
	stream_mux_flush(&p->mux); /* the RESET of stream 0: the peer stops at once too */
	linger(p);
}

/* Everything is delivered and acknowledged both ways, our last ACK is on the wire. */
static int
finished(struct pipe *p)
{
	int i;

	if (!stream_mux_stdio_done(&p->mux) || sendq_count(&p->s.sq) > 0 ||
	    p->s.acked != p->s.ro.next)
		return 0;
	for (i = 0; i < p->s.nup; i++)
		if (bq_len(&p->s.up[i]->out) > 0)
			return 0;
	return 1;
}

/* The end: refuse new connections; shut_down follows once our last bytes are through. */
static void
linger(struct pipe *p)
{
	int i;

	/* closing every connection is the plan now, not news for the default log */
	if (p->o.verbose == 0)
		log_set_level(LOG_LVL_WARN);
	p->lingering = 1;
	p->linger_start = ev_now(p->loop);
	for (i = 0; i < CONF_MAX_LISTEN; i++) {
		listener_free(p->listeners[i]);
		p->listeners[i] = NULL;
	}
}

/*
 * Once the peer's TCP has acknowledged every byte we wrote (our last ACK among them), shut
 * our write halves: the peer closes in turn. Not before: a connection closed with unread
 * input sends a reset, and a reset discards what is still unsent in our kernel. And not
 * while the peer still sends: its TCP taking our ACK is not the peer reading it (a
 * connection that dies there loses it), and a peer that lost it re-sends at once, so we
 * stay able to answer until the peer has been quiet for PIPE_QUIET.
 */
static void
shut_down(struct pipe *p)
{
	int i, n;

	if (ev_now(p->loop) - p->rx_at < PIPE_QUIET)
		return;

	for (i = 0; i < p->s.nup; i++)
		if (p->s.up[i]->state == CONN_UP &&
		    (bq_len(&p->s.up[i]->out) > 0 ||
		     (ioctl(p->s.up[i]->fd, SIOCOUTQ, &n) == 0 && n > 0)))
			return;
	p->shut = 1;
	for (i = 0; i < p->s.nup; i++)
		if (p->s.up[i]->state == CONN_UP)
			shutdown(p->s.up[i]->fd, SHUT_WR);
}

/* Connections that were up when the linger began. */
static int
old_conns(struct pipe *p)
{
	int i, n = 0;

	for (i = 0; i < p->s.nup; i++)
		if (p->s.up[i]->up_at <= p->linger_start)
			n++;
	return n;
}

/* --- loop watchers --- */

static void
chaos(struct pipe *p)
{
	struct conn *c;

	if (p->o.chaos == 0 || p->s.st.tx_packets < p->chaos_next)
		return;
	p->chaos_next = p->s.st.tx_packets + p->o.chaos;
	if (p->s.nup < 2)
		return; /* keep one: the point is re-sending, not a dead pipe */
	c = p->s.up[p->chaos_k++ % (uint64_t)p->s.nup];
	p->cuts++;
	conn_fail(c, "chaos: cut after %llu records", (unsigned long long)p->s.st.tx_packets);
}

static void
check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct pipe *p = w->data;

	if (p->stopped)
		return;
	if (p->mismatch)
		fail(p, PIPE_EXIT_MISMATCH, NULL); /* prbs_consume said where */
	else if (p->mux.failed)
		fail(p, PIPE_EXIT_FAIL, p->mux.error);
	if (p->s.peer_sid != 0) {
		if (p->first_sid == 0)
			p->first_sid = p->s.peer_sid;
		if (p->s.peer_sid != p->first_sid && p->stdio)
			fail(p, PIPE_EXIT_FAIL, "the peer restarted");
	}
	if (p->s.nup > 0)
		p->ever_up = 1;
	if (!p->lingering)
		chaos(p);
	if (p->stdio && !p->lingering && finished(p)) {
		p->done = 1;
		p->rc = PIPE_EXIT_OK;
		linger(p);
	}
	if (p->s.st.rx_packets + p->s.st.drops[DROP_DUPLICATE] != p->rx_seen) {
		p->rx_seen = p->s.st.rx_packets + p->s.st.drops[DROP_DUPLICATE];
		p->rx_at = ev_now(loop);
	}
	if (p->lingering && !p->shut)
		shut_down(p);
	if (p->lingering && old_conns(p) == 0)
		stop(p, p->rc);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pipe *p = w->data;
	ev_tstamp now = ev_now(loop);
	char line[256];

	if (p->lingering) {
		if (now - p->linger_start >= PIPE_LINGER)
			stop(p, p->rc);
		return;
	}
	if (p->s.nup > 0) {
		p->down_since = 0;
	} else if (p->down_since == 0) {
		p->down_since = now;
	} else if (p->stdio && (p->ever_up || !p->o.listen) &&
		   now - p->down_since >= p->o.timeout) {
		snprintf(line, sizeof(line), "no connection to the peer for %.0f s", p->o.timeout);
		fail(p, PIPE_EXIT_FAIL, line);
		return;
	}
	if (p->progress && ++p->ticks % PIPE_PROGRESS_TICKS == 0) {
		progress_line(p, line, sizeof(line));
		fprintf(stderr, "\r%-100.100s", line);
	}
}

/* The session's window and each connection, for the debug log (SIGUSR1 with -vv). */
static void
debug_state(struct pipe *p)
{
	struct session *s = &p->s;
	struct conn *c;
	int i;

	log_debug("window %llu..%llu, resend %lld, delivered to %llu, %u held, %s, %d streams",
		  (unsigned long long)s->sq.base, (unsigned long long)s->sq.next,
		  s->resend == UINT64_MAX ? -1LL : (long long)s->resend,
		  (unsigned long long)s->ro.next, s->ro.held,
		  s->rx_blocked ? "delivery blocked" : "delivering", stream_mux_count(&p->mux));
	for (i = 0; i < s->nup; i++) {
		c = s->up[i];
		log_debug("  %s/%d %s%s: out %zu, ready %d, mark %llu", c->name, c->slot,
			  conn_state_name(c), c->stall.stalled ? " (suspect)" : "", bq_len(&c->out),
			  c->sc.ready, (unsigned long long)c->mark);
	}
}

static void
sig_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct pipe *p = w->data;
	char line[256];

	if (w->signum == SIGUSR1) {
		progress_line(p, line, sizeof(line));
		fprintf(stderr, "%smptun pipe: %s\n", p->progress ? "\n" : "", line);
		debug_state(p);
		return;
	}
	if (p->stdio && !p->lingering)
		fail(p, PIPE_EXIT_FAIL, w->signum == SIGHUP ? "hung up" : "interrupted");
	else
		stop(p, p->stdio ? p->rc : PIPE_EXIT_OK); /* a second signal, or forwarding */
}

/* --- set-up --- */

static void
set_nonblock(int fd, int *saved)
{
	*saved = fcntl(fd, F_GETFL);
	if (*saved != -1)
		fcntl(fd, F_SETFL, *saved | O_NONBLOCK);
}

static int
channel_start(struct pipe *p)
{
	struct stream_hooks h = {prbs_produce, prbs_consume, p};
	struct conf_hostport hp;
	char err[256], addr[CONF_HOST_MAX + 8];

	if (p->o.forward != NULL || p->o.target != NULL) {
		if (p->o.forward != NULL) {
			/* a bare port listens on loopback: forwarding is for local clients */
			if (strspn(p->o.forward, "0123456789") == strlen(p->o.forward))
				snprintf(addr, sizeof(addr), "127.0.0.1:%s", p->o.forward);
			else
				snprintf(addr, sizeof(addr), "%s", p->o.forward);
			if (proxy_parse_hostport(&hp, addr, err, sizeof(err)) == -1) {
				fprintf(stderr, "mptun pipe: --forward %s: %s\n", p->o.forward,
					err);
				return -1;
			}
			if (stream_mux_forward(&p->mux, &hp) == -1)
				return -1;
		}
		if (p->o.target != NULL) {
			if (proxy_parse_hostport(&hp, p->o.target, err, sizeof(err)) == -1) {
				fprintf(stderr, "mptun pipe: --target %s: %s\n", p->o.target, err);
				return -1;
			}
			if (stream_mux_target(&p->mux, &hp) == -1)
				return -1;
		}
		return 0;
	}
	p->stdio = 1;
	p->mux.limit = p->o.limit;
	p->mux.two_way = p->o.two_way;
	if (p->o.has_prbs)
		return stream_mux_stdio(&p->mux, -1, -1, &h);
	set_nonblock(STDIN_FILENO, &p->fl0);
	set_nonblock(STDOUT_FILENO, &p->fl1);
	return stream_mux_stdio(&p->mux, STDIN_FILENO, STDOUT_FILENO, NULL);
}

static int
run(struct pipe *p)
{
	const struct conf *c = p->conf;
	struct conn_env env;
	int i, rc;

	rc = crypto_id_init(&p->cid, c->has_private_key ? c->private_key : NULL,
			    c->has_psk ? c->psk : NULL, (enum crypto_cipher)c->cipher);
	if (rc != CRYPTO_OK) {
		fprintf(stderr, "mptun pipe: keys: %s\n", crypto_strerror(rc));
		return PIPE_EXIT_USAGE;
	}
	stream_mux_init(&p->mux, p->loop, &p->s, conf_is_client(c));
	if (session_init(&p->s, p->loop, c, &p->mux.ch, (size_t)c->mtu, &p->cid) == -1)
		fatalx("out of memory");
	paths_init(&p->paths, &p->s);
	crypto_peer_init(&p->s.peer, c->peers[0].has_key ? c->peers[0].key : NULL);
	if (channel_start(p) == -1)
		return PIPE_EXIT_USAGE;
	stream_mux_rate(&p->mux, p->o.rate);
	stream_mux_idle(&p->mux, p->o.idle_timeout);
	session_conn_env(&p->s, &env);
	for (i = 0; i < c->nlisten; i++)
		if ((p->listeners[i] = listener_new(&env, &c->listen[i], &paths_accept_ops,
						    &p->paths)) == NULL)
			return PIPE_EXIT_FAIL;
	if (paths_start(&p->paths) == -1)
		fatalx("out of memory");
	p->start = p->last_at = ev_now(p->loop);
	p->progress = !p->o.quiet && isatty(STDERR_FILENO);
	p->chaos_next = p->o.chaos;
	ev_timer_init(&p->tick, tick_cb, PIPE_TICK, PIPE_TICK);
	ev_check_init(&p->check, check_cb);
	ev_signal_init(&p->sig_int, sig_cb, SIGINT);
	ev_signal_init(&p->sig_term, sig_cb, SIGTERM);
	ev_signal_init(&p->sig_hup, sig_cb, SIGHUP); /* ssh ends its ProxyCommand so */
	ev_signal_init(&p->sig_usr1, sig_cb, SIGUSR1);
	p->tick.data = p->check.data = p->sig_int.data = p->sig_term.data = p->sig_usr1.data = p;
	p->sig_hup.data = p;
	ev_timer_start(p->loop, &p->tick);
	ev_check_start(p->loop, &p->check);
	ev_signal_start(p->loop, &p->sig_int);
	ev_signal_start(p->loop, &p->sig_term);
	ev_signal_start(p->loop, &p->sig_hup);
	ev_signal_start(p->loop, &p->sig_usr1);
	ev_run(p->loop, 0);
	if (p->done && (p->progress || p->o.verbose || p->o.has_prbs))
		summary(p);
	return p->rc;
}

int
pipe_main(int argc, char **argv)
{
	struct pipe *p = calloc(1, sizeof(*p));
	int i, rc;

	if (p == NULL)
		fatal("calloc");
	p->fl0 = p->fl1 = -1;
	if (pipe_args_parse(&p->o, argc, argv) == -1) {
		fprintf(stderr, "mptun pipe: see mptun pipe --help\n");
		free(p);
		return PIPE_EXIT_USAGE;
	}
	log_init("mptun pipe", 0);
	/* by default paths going down and up and a peer's restart are said; -q: problems only */
	log_set_level(p->o.verbose >= 1 ? LOG_LVL_DEBUG : p->o.quiet ? LOG_LVL_WARN : LOG_LVL_INFO);
	if ((p->conf = pipe_args_conf(&p->o)) == NULL) {
		free(p);
		return PIPE_EXIT_USAGE;
	}
	if (crypto_init() == -1)
		fatalx("cannot initialise libsodium or the record cipher library");
	signal(SIGPIPE, SIG_IGN);
	p->loop = ev_default_loop(EVFLAG_AUTO);
	rc = run(p);
	for (i = 0; i < CONF_MAX_LISTEN; i++)
		listener_free(p->listeners[i]);
	stream_mux_free(&p->mux);
	paths_free(&p->paths);
	session_free(&p->s);
	crypto_id_wipe(&p->cid);
	if (p->fl0 != -1)
		fcntl(STDIN_FILENO, F_SETFL, p->fl0);
	if (p->fl1 != -1)
		fcntl(STDOUT_FILENO, F_SETFL, p->fl1);
	sodium_memzero(p->conf, sizeof(*p->conf));
	free(p->conf);
	free(p);
	return rc;
}
