/*
 * ctl: control socket server and client (see ctl.h).
 *
 * The default socket lives in /run/mptun/, named after the interface and the identity of
 * the network namespace (the inode of /proc/self/ns/net, which a process can always read,
 * unlike another process's), so two daemons with the same interface name in different
 * namespaces never share a name, and `mptun show` in a namespace finds the daemon of that
 * namespace. A socket is never taken from a live daemon: one that answers there makes a
 * new daemon refuse to start; a file nothing answers on is a stale socket, replaced.
 *
 * Timers owned here: each client's CTL_TIMEOUT deadline, and the rate sampler (every
 * CTL_RATE_EVERY seconds: per-path bytes per second for `show`).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "conf_value.h"
#include "ctl.h"
#include "ctl_req.h"
#include "log.h"
#include "peer.h"
#include "session.h"
#include "show.h"
#include "util.h"

#define CTL_DIR		   "/run/mptun"
#define CTL_RELOAD_MSG_MAX 2048
#define CTL_WATCH_MAX	   3600	      /* longest --watch interval, seconds */
#define CTL_ANSWER_WAIT	   5	      /* seconds a client waits for the daemon */
#define CTL_ANSWER_MAX	   (16 << 20) /* longest answer a client takes, bytes */

struct ctl {
	ev_io io;
	int fd;
	struct ev_loop *loop;
	const struct peers *set;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int (*reload)(void *arg, char *msg, size_t len);
	void *reload_arg;
	ev_timer rate_timer;
	ev_tstamp rate_at;
	struct show_rates rates;
};

struct ctl_client {
	ev_io io;
	ev_timer timer;
	struct ctl *ctl;
	char req[CTL_REQ_MAX];
	size_t len;
};

/*
 * The default name depends on nothing but the caller's own namespace: comparing it with
 * pid 1's, as a "host or not" test, fails where /proc/1 cannot be read (a user other than
 * root, a container's own /proc), and then two namespaces chose one name. Without /proc at
 * all the name has no suffix: two such daemons would then meet on one name, and the second
 * is refused (ctl_claim), never handed the first one's socket.
 */
void
ctl_path(const struct conf *c, char *out, size_t len)
{
	struct stat st;

	if (c->control_socket[0] != '\0')
		snprintf(out, len, "%s", c->control_socket);
	else if (stat("/proc/self/ns/net", &st) == 0)
		snprintf(out, len, CTL_DIR "/%s.%lu.sock", c->ifname, (unsigned long)st.st_ino);
	else
		snprintf(out, len, CTL_DIR "/%s.sock", c->ifname);
}

/*
 * Who holds path? CTL_FREE (nothing there), CTL_STALE (a socket file nothing listens on:
 * its daemon died, or dropped privileges and could not remove it), CTL_LIVE (a process
 * listens: a connection was accepted, or its backlog is full), or -1 (logged): path is not
 * a socket, or it cannot be told.
 */
enum { CTL_FREE, CTL_STALE, CTL_LIVE };

static int
holder(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc, err;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return CTL_FREE;
		log_warn("control socket %s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("control socket %s: exists and is not a socket (left alone)", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("control socket %s", path);
		return -1;
	}
	/* non-blocking: a wedged daemon's full backlog answers EAGAIN instead of a hang */
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	close(fd);
	if (rc == 0 || err == EAGAIN || err == EINPROGRESS)
		return CTL_LIVE;
	if (err == ECONNREFUSED)
		return CTL_STALE;
	errno = err;
	log_warn("control socket %s: cannot tell whether a daemon uses it", path);
	return -1;
}

/* Refuse path when a live process holds it; remove a stale socket. 0 or -1 (logged). */
static int
claim(const char *path, int h)
{
	if (h == CTL_LIVE) {
		log_warnx("control socket %s: another mptun is running there (stop it, or give "
			  "this one another Name or ControlSocket)",
			  path);
		return -1;
	}
	if (h == CTL_STALE && unlink(path) == -1 && errno != ENOENT) {
		log_warn("control socket %s: removing the stale socket", path);
		return -1;
	}
	return h == -1 ? -1 : 0;
}

int
ctl_claim(const char *path)
{
	return claim(path, holder(path));
}

void
ctl_write_state(const struct peers *set, FILE *f, int json)
{
	if (json)
		show_json(set, NULL, f);
	else
		show_text(set, NULL, NULL, f);
}

/* --- server --- */

static void
client_free(struct ctl_client *cl)
{
	ev_io_stop(cl->ctl->loop, &cl->io);
	ev_timer_stop(cl->ctl->loop, &cl->timer);
	close(cl->io.fd);
	free(cl);
}

/* Answer r, or "error: unknown request" when r is NULL. */
static void
client_answer(struct ctl_client *cl, const struct ctl_req *r)
{
	const struct peers *set = cl->ctl->set;
	const struct peer *only = NULL;
	char *text = NULL;
	size_t len = 0, off = 0;
	ssize_t n;
	FILE *f;
	int fd = cl->io.fd, flags;

	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	if (r != NULL && r->kind == CTL_REQ_SHOW && r->peer[0] != '\0' &&
	    (only = peers_find_name(set, r->peer)) == NULL) {
		fprintf(f, "error: no peer named %s\n", r->peer);
	} else if (r != NULL && r->kind == CTL_REQ_SHOW) {
		switch (r->form) {
		case CTL_SHOW_TEXT:
			show_text(set, only, &cl->ctl->rates, f);
			break;
		case CTL_SHOW_TABLE:
			show_table(set, only, &cl->ctl->rates, f);
			break;
		case CTL_SHOW_JSON:
			show_json(set, only, f);
			break;
		case CTL_SHOW_PROMETHEUS:
			show_prometheus(set, only, f);
			break;
		}
	} else if (r != NULL && r->kind == CTL_REQ_RELOAD && cl->ctl->reload != NULL) {
		char msg[CTL_RELOAD_MSG_MAX];

		cl->ctl->reload(cl->ctl->reload_arg, msg, sizeof(msg));
		fputs(msg, f);
	} else {
		fprintf(f, "error: %s\n", ctl_req_strerror(CTL_REQ_ERR_UNKNOWN));
	}
	fclose(f);
	/* local and small: finish it now, bounded by the send timeout */
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	while (off < len && (n = write(fd, text + off, len - off)) > 0)
		off += (size_t)n;
	free(text);
}

static void
client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *cl = container_of(w, struct ctl_client, io);
	struct ctl_req r;
	ssize_t n;
	int rc;

	n = read(w->fd, cl->req + cl->len, sizeof(cl->req) - cl->len);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		client_free(cl);
		return;
	}
	cl->len += (size_t)n;
	/* MORE only while the buffer has room, so the next read never asks for 0 bytes */
	if ((rc = ctl_req_parse(&r, cl->req, cl->len)) == CTL_REQ_MORE)
		return;
	/* a line too long or with a NUL byte: not a client of ours, closed without an answer */
	if (rc == CTL_REQ_DONE || r.err == CTL_REQ_ERR_UNKNOWN)
		client_answer(cl, rc == CTL_REQ_DONE ? &r : NULL);
	client_free(cl);
}

static void
client_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_free(container_of(w, struct ctl_client, timer));
}

static void
ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl *ctl = container_of(w, struct ctl, io);
	struct ctl_client *cl;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = {2, 0};
	int fd;

	if ((fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid()) || (cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cl->ctl = ctl;
	ev_io_init(&cl->io, client_read_cb, fd, EV_READ);
	ev_timer_init(&cl->timer, client_timer_cb, CTL_TIMEOUT, 0.);
	ev_io_start(loop, &cl->io);
	ev_timer_start(loop, &cl->timer);
}

/*
 * The daemon keeps one rate sample per path, a second old at most, so a single `show`
 * from a client has rates at once (a client sampling twice would make every call wait).
 */
static void
rate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl *ctl = container_of(w, struct ctl, rate_timer);
	ev_tstamp now = ev_now(loop);

	show_rates_sample(&ctl->rates, ctl->set, now - ctl->rate_at);
	ctl->rate_at = now;
}

void
ctl_on_reload(struct ctl *ctl, int (*fn)(void *arg, char *msg, size_t len), void *arg)
{
	ctl->reload = fn;
	ctl->reload_arg = arg;
}

struct ctl *
ctl_open(struct ev_loop *loop, const char *path, const struct peers *set)
{
	struct sockaddr_un sun;
	struct ctl *ctl;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return NULL;
	}
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return NULL;
	ctl->loop = loop;
	ctl->set = set;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	if (strncmp(path, CTL_DIR "/", sizeof(CTL_DIR)) == 0)
		mkdir(CTL_DIR, 0755);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd == -1) {
		log_warn("control socket");
		free(ctl);
		return NULL;
	}
	old = umask(0117);
	rc = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	/*
	 * bind never replaces a file: a name taken since ctl_claim (another daemon starting
	 * at the same time) is looked at again, and only a stale socket is removed.
	 */
	if (rc == -1 && errno == EADDRINUSE) {
		if (claim(path, holder(path)) == -1)
			goto fail; /* said why */
		rc = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	}
	if (rc == -1 || listen(ctl->fd, 8) == -1) {
		if (strncmp(path, CTL_DIR "/", sizeof(CTL_DIR)) == 0 && geteuid() != 0)
			log_warnx("cannot create control socket %s: %s; run as root, or set "
				  "ControlSocket to a path this user can write",
				  path, strerror(errno));
		else
			log_warn("control socket %s", path);
		goto fail;
	}
	umask(old);
	ev_io_init(&ctl->io, ctl_accept_cb, ctl->fd, EV_READ);
	ev_io_start(loop, &ctl->io);
	ctl->rate_at = ev_now(loop);
	show_rates_sample(&ctl->rates, set, 0);
	ev_timer_init(&ctl->rate_timer, rate_cb, CTL_RATE_EVERY, CTL_RATE_EVERY);
	ev_timer_start(loop, &ctl->rate_timer);
	return ctl;
fail:
	umask(old);
	close(ctl->fd);
	free(ctl);
	return NULL;
}

void
ctl_close(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	ev_io_stop(ctl->loop, &ctl->io);
	ev_timer_stop(ctl->loop, &ctl->rate_timer);
	close(ctl->fd);
	unlink(ctl->path); /* fails after a privilege drop: the next start replaces it */
	free(ctl);
}

/* --- client --- */

/* Say why a request to path failed: err, or the daemon's silence (SO_*TIMEO ran out). */
static void
request_error(const char *path, int err, const char *hint)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		fprintf(stderr, "mptun: %s: no answer within %d s (is it mptun's socket?)\n", path,
			CTL_ANSWER_WAIT);
	else
		fprintf(stderr, "mptun: %s: %s%s\n", path, strerror(err), hint);
}

/*
 * Connect to the daemon at path, send req, and read the whole answer into *out (malloc).
 * The whole answer first, so that --watch redraws a screen in one write without flicker.
 * A socket that does not take the request or answer within CTL_ANSWER_WAIT seconds (a
 * wedged daemon, or not mptun's socket at all), or answers more than CTL_ANSWER_MAX bytes,
 * is an error. The send timeout also bounds connect(), which waits while a wedged daemon's
 * listen backlog is full.
 */
static int
request(const char *path, const char *req, char **out, size_t *outlen)
{
	struct timeval wait = {.tv_sec = CTL_ANSWER_WAIT};
	struct sockaddr_un sun;
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	FILE *f;
	int fd, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		request_error(path, errno, " (is the daemon running?)");
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((f = open_memstream(out, outlen)) == NULL) {
		request_error(path, errno, "");
		close(fd);
		return -1;
	}
	if (dprintf(fd, "%s\n", req) < 0)
		n = -1;
	else
		while ((n = read(fd, buf, sizeof(buf))) > 0 && (got += (size_t)n) <= CTL_ANSWER_MAX)
			fwrite(buf, 1, (size_t)n, f);
	err = errno;
	fclose(f);
	close(fd);
	if (n == 0)
		return 0;
	if (n > 0)
		fprintf(stderr, "mptun: %s: answer longer than %d bytes\n", path, CTL_ANSWER_MAX);
	else
		request_error(path, err, "");
	free(*out);
	*out = NULL;
	return -1;
}

int
ctl_request(const char *path, const char *req, FILE *out)
{
	char *text = NULL;
	size_t len = 0;

	int failed;

	if (request(path, req, &text, &len) == -1)
		return 1;
	/* "error: no peer named x": on standard error, and the exit status says so */
	failed = len > 0 && ctl_req_answer_failed(text, len);
	fwrite(text, 1, len, failed ? stderr : out);
	free(text);
	return failed;
}

/*
 * The socket of -c CONFIG, or the default one for mp0 in this network namespace. Loading
 * the config checks its key files too: a user who cannot read them cannot use -c (and
 * should use -s, or no option for mp0).
 */
static int
socket_of_config(const char *file, char *path, size_t len)
{
	struct conf *c = calloc(1, sizeof(*c));
	char err[1024];

	if (c == NULL)
		return -1;
	if (file != NULL && conf_load(c, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		free(c);
		return -1;
	}
	if (file == NULL)
		snprintf(c->ifname, sizeof(c->ifname), "mp0");
	ctl_path(c, path, len);
	sodium_memzero(c, sizeof(*c));
	free(c);
	return 0;
}

/* show's or reload's help: on stdout, exit 0, for --help; on stderr, exit 2, after an error. */
static void __attribute__((noreturn)) client_usage(FILE *f, int is_show)
{
	if (is_show)
		fprintf(f, "usage: mptun show [-c CONFIG | -s SOCKET] [--json | --prometheus] "
			   "[--peer NAME] [--watch [SECS]]\n");
	else
		fprintf(f, "usage: mptun reload [-c CONFIG | -s SOCKET]\n");
	if (f == stdout)
		fprintf(f,
			"%s"
			"  -c, --config CONFIG  the daemon of CONFIG (its ControlSocket, or "
			"default)\n"
			"  -s, --socket SOCKET  the daemon listening on SOCKET\n"
			"Without -c or -s: the daemon of interface mp0 in this network "
			"namespace.\n",
			is_show ? "Print the state of a running daemon: session, paths, "
				  "connections.\n"
				  "  --json, --prometheus  one JSON object, or the Prometheus "
				  "text\n"
				  "  --peer NAME          that peer only (a daemon with several)\n"
				  "  --watch [SECS]       again every SECS seconds (default 1, at "
				  "most 3600)\n"
				: "Make a running daemon read its configuration file again.\n");
	exit(f == stdout ? 0 : 2);
}

/* A usage error of show or reload: what was wrong, then the usage. */
static void __attribute__((noreturn, format(printf, 2, 3)))
client_error(int is_show, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mptun %s: ", is_show ? "show" : "reload");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	client_usage(stderr, is_show);
}

/* Parse -c/-s (and, for show, the output options) into the socket path. */
static void
client_args(int argc, char **argv, int is_show, char *path, size_t len, int *form, double *watch,
	    const char **peer)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"prometheus", no_argument, NULL, 'p'},
		{"watch", optional_argument, NULL, 'w'},
		{"peer", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	char *end;
	int ch;

	path[0] = '\0';
	while ((ch = getopt_long(argc, argv, is_show ? "c:s:jpw::h" : "c:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			if (!is_show)
				client_error(is_show, "--peer is an option of show");
			if (!conf_value_label(optarg, CONF_NAME_MAX - 1))
				client_error(is_show,
					     "--peer %s: not a peer name (1 to %d of A-Z a-z 0-9 _ . "
					     "-)",
					     optarg, CONF_NAME_MAX - 1);
			*peer = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			if (strlen(optarg) >= len)
				client_error(is_show, "-s %s: longer than a socket name can be",
					     optarg);
			snprintf(path, len, "%s", optarg);
			break;
		case 'j':
		case 'p':
			if (!is_show)
				client_error(is_show, "--%s is an option of show",
					     ch == 'j' ? "json" : "prometheus");
			*form = ch;
			break;
		case 'w':
			if (!is_show)
				client_error(is_show, "--watch is an option of show");
			*watch = 1;
			/* --watch=SECS, -wSECS, or --watch SECS: show takes no operands, so a
			 * word after --watch that is no option is its value */
			if (optarg == NULL && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			if (optarg != NULL) {
				*watch = strtod(optarg, &end);
				if (end == optarg || *end != '\0' || !(*watch > 0) ||
				    *watch > CTL_WATCH_MAX)
					client_error(is_show,
						     "--watch %s: not a number of seconds above 0 "
						     "and at most %d",
						     optarg, CTL_WATCH_MAX);
			}
			break;
		case 'h':
			client_usage(stdout, is_show);
		default:
			client_usage(stderr, is_show); /* getopt has said what */
		}
	}
	if (optind < argc)
		client_error(is_show, "unexpected argument '%s'", argv[optind]);
	if (config != NULL && path[0] != '\0')
		client_error(is_show, "-c and -s exclude each other");
	if (path[0] == '\0' && socket_of_config(config, path, len) == -1)
		exit(1);
}

int
ctl_cmd_show(int argc, char **argv)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], *text;
	const int tty = isatty(STDOUT_FILENO);
	enum ctl_show_form show = CTL_SHOW_TEXT;
	const char *req, *peer = NULL;
	char line[CTL_REQ_MAX];
	double watch = 0;
	int form = 0;
	size_t len;

	client_args(argc, argv, 1, path, sizeof(path), &form, &watch, &peer);
	if (form == 'j')
		show = CTL_SHOW_JSON;
	else if (form == 'p')
		show = CTL_SHOW_PROMETHEUS;
	else if (tty)
		show = CTL_SHOW_TABLE; /* a person: the table; a pipe: the stable columns */
	req = ctl_req_line(CTL_REQ_SHOW, show);
	if (peer != NULL) {
		snprintf(line, sizeof(line), "%s peer %s", req, peer);
		req = line;
	}
	if (watch == 0)
		return ctl_request(path, req, stdout);
	for (;;) {
		struct timespec ts = {(time_t)watch, (long)((watch - (double)(time_t)watch) * 1e9)};

		text = NULL;
		len = 0;
		if (request(path, req, &text, &len) == 0) {
			if (tty)
				fputs("\033[H\033[2J", stdout); /* home, clear */
			fwrite(text, 1, len, stdout);
			if (!tty)
				fputc('\n', stdout);
			fflush(stdout);
		}
		free(text);
		nanosleep(&ts, NULL);
	}
}

int
ctl_cmd_reload(int argc, char **argv)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], *text = NULL;
	const char *peer = NULL;
	double watch = 0;
	int form = 0, rc;
	size_t len = 0;

	client_args(argc, argv, 0, path, sizeof(path), &form, &watch, &peer);
	if (request(path, ctl_req_line(CTL_REQ_RELOAD, CTL_SHOW_TEXT), &text, &len) == -1)
		return 1;
	rc = ctl_req_answer_failed(text, len);
	fwrite(text, 1, len, rc ? stderr : stdout);
	if (len == 0)
		fprintf(stderr, "mptun: %s: no answer to reload\n", path);
	free(text);
	return rc;
}
