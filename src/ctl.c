/*
 * ctl: control socket server and client (see ctl.h).
 *
 * The default socket lives in /run/mptun/, named after the interface; daemons in other
 * network namespaces add the namespace's inode to the name, so two daemons with the same
 * interface name on one machine never collide.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "ctl.h"
#include "log.h"
#include "path.h"
#include "session.h"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define CTL_DIR "/run/mptun"

struct ctl {
	ev_io io;
	int fd;
	struct ev_loop *loop;
	struct session *s;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct ctl_client {
	ev_io io;
	ev_timer timer;
	struct ctl *ctl;
	char req[CTL_REQ_MAX];
	size_t len;
};

static unsigned long
netns_inode(const char *pid)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%s/ns/net", pid);
	return stat(p, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

void
ctl_path(const struct conf *c, char *out, size_t len)
{
	unsigned long self = netns_inode("self"), init = netns_inode("1");

	if (c->control_socket[0] != '\0')
		snprintf(out, len, "%s", c->control_socket);
	else if (self == init || self == 0)
		snprintf(out, len, CTL_DIR "/%s.sock", c->ifname);
	else
		snprintf(out, len, CTL_DIR "/%s.%lu.sock", c->ifname, self);
}

/* --- state as text --- */

static void
conn_totals(const struct path *p, uint64_t *tx, uint64_t *rx)
{
	int i;

	*tx = p->tx_bytes;
	*rx = p->rx_bytes;
	for (i = 0; i < CONF_MAX_CONNS; i++) {
		const struct conn *c = p->slots[i].conn;

		if (c != NULL) {
			*tx += c->tx_bytes;
			*rx += c->rx_bytes;
		}
	}
}

static double
conn_rtt(const struct conn *c)
{
	if (c->rtt_ms > 0)
		return c->rtt_ms;
	return c->sc.rtt_us / 1000.0;
}

static void
write_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
write_json(struct session *s, FILE *f)
{
	const struct session_stats *st = &s->st;
	ev_tstamp now = ev_now(s->loop);
	uint64_t tx, rx;
	int i, j, first;

	fprintf(f, "{\"interface\":");
	write_json_string(f, s->conf->ifname);
	fprintf(f, ",\"mode\":\"%s\",\"session\":{\"state\":\"%s\",\"tx_bytes\":%llu,"
		   "\"rx_bytes\":%llu,\"tx_packets\":%llu,\"rx_packets\":%llu,"
		   "\"retransmits\":%llu,\"window\":%u,\"drops\":{",
		s->conf->mode == MODE_TUN ? "tun" : "udp", s->nup > 0 ? "up" : "down",
		(unsigned long long)st->tx_bytes, (unsigned long long)st->rx_bytes,
		(unsigned long long)st->tx_packets, (unsigned long long)st->rx_packets,
		(unsigned long long)st->retransmits, sendq_count(&s->sq));
	for (i = 0; i < DROP_MAX; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", session_drop_name(i),
			(unsigned long long)st->drops[i]);
	fprintf(f, "}},\"paths\":[");
	for (i = 0; i < s->npaths; i++) {
		const struct path *p = s->paths[i];

		conn_totals(p, &tx, &rx);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		write_json_string(f, p->name);
		fprintf(f, ",\"state\":\"%s\",\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
			   "\"failures\":%llu,\"up_seconds\":%.1f,\"last_error\":",
			path_state(p), (unsigned long long)tx, (unsigned long long)rx,
			(unsigned long long)p->failures, p->up_since ? now - p->up_since : 0.0);
		write_json_string(f, p->last_error);
		fprintf(f, ",\"connections\":[");
		for (j = 0, first = 1; j < CONF_MAX_CONNS; j++) {
			const struct conn *c = p->slots[j].conn;

			if (c == NULL)
				continue;
			fprintf(f, "%s{\"state\":\"%s\",\"peer\":", first ? "" : ",",
				conn_state_name(c));
			write_json_string(f, c->peer);
			fprintf(f, ",\"rtt_ms\":%.2f,\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
				   "\"tx_packets\":%llu,\"rx_packets\":%llu,\"queued_bytes\":%llu}",
				conn_rtt(c), (unsigned long long)c->tx_bytes,
				(unsigned long long)c->rx_bytes, (unsigned long long)c->tx_packets,
				(unsigned long long)c->rx_packets, (unsigned long long)c->sc.queued);
			first = 0;
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

static void
human_bytes(char *out, size_t len, uint64_t n)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

static void
write_human(struct session *s, FILE *f)
{
	const struct session_stats *st = &s->st;
	char a[32], b[32];
	uint64_t tx, rx, drops = 0;
	int i, j, up;

	for (i = 0; i < DROP_MAX; i++)
		drops += st->drops[i];
	human_bytes(a, sizeof(a), st->tx_bytes);
	human_bytes(b, sizeof(b), st->rx_bytes);
	fprintf(f, "%s: %s, session %s, sent %s (%llu pkts), received %s (%llu pkts), drops %llu\n",
		s->conf->ifname, s->conf->mode == MODE_TUN ? "tun" : "udp",
		s->nup > 0 ? "up" : "down", a, (unsigned long long)st->tx_packets, b,
		(unsigned long long)st->rx_packets, (unsigned long long)drops);
	for (i = 0; i < DROP_MAX; i++)
		if (st->drops[i])
			fprintf(f, "  drop %s: %llu\n", session_drop_name(i),
				(unsigned long long)st->drops[i]);
	fprintf(f, "  %-12s %-10s %5s %9s %11s %11s\n", "path", "state", "conns", "rtt", "sent",
		"received");
	for (i = 0; i < s->npaths; i++) {
		const struct path *p = s->paths[i];
		double rtt = 0;

		conn_totals(p, &tx, &rx);
		up = path_up_count(p);
		for (j = 0; j < CONF_MAX_CONNS; j++)
			if (p->slots[j].conn != NULL && p->slots[j].conn->state == CONN_UP &&
			    (rtt == 0 || conn_rtt(p->slots[j].conn) < rtt))
				rtt = conn_rtt(p->slots[j].conn);
		human_bytes(a, sizeof(a), tx);
		human_bytes(b, sizeof(b), rx);
		fprintf(f, "  %-12s %-10s %2d/%-2d %6.1f ms %11s %11s", p->name, path_state(p), up,
			p->nslots, rtt, a, b);
		if (up == 0 && p->last_error[0])
			fprintf(f, "  (%s)", p->last_error);
		fputc('\n', f);
	}
}

void
ctl_write_state(struct session *s, FILE *f, int json)
{
	if (json)
		write_json(s, f);
	else
		write_human(s, f);
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

static void
client_answer(struct ctl_client *cl)
{
	struct session *s = cl->ctl->s;
	char *text = NULL;
	size_t len = 0, off = 0;
	ssize_t n;
	FILE *f;
	int fd = cl->io.fd, flags;

	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	if (strcmp(cl->req, "show") == 0)
		ctl_write_state(s, f, 0);
	else if (strcmp(cl->req, "show json") == 0)
		ctl_write_state(s, f, 1);
	else
		fprintf(f, "error: unknown request\n");
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
	ssize_t n;
	char *nl;

	n = read(w->fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		client_free(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->req[cl->len] = '\0';
	if ((nl = strchr(cl->req, '\n')) == NULL) {
		if (cl->len == sizeof(cl->req) - 1)
			client_free(cl); /* no line in CTL_REQ_MAX bytes: not a client of ours */
		return;
	}
	*nl = '\0';
	client_answer(cl);
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

struct ctl *
ctl_open(struct ev_loop *loop, const char *path, struct session *s)
{
	struct sockaddr_un sun;
	struct ctl *ctl;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return NULL;
	}
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return NULL;
	ctl->loop = loop;
	ctl->s = s;
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
	unlink(path);
	old = umask(0117);
	if (bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(ctl->fd, 8) == -1) {
		umask(old);
		log_warn("control socket %s", path);
		close(ctl->fd);
		free(ctl);
		return NULL;
	}
	umask(old);
	ev_io_init(&ctl->io, ctl_accept_cb, ctl->fd, EV_READ);
	ev_io_start(loop, &ctl->io);
	return ctl;
}

void
ctl_close(struct ctl *ctl)
{
	if (ctl == NULL)
		return;
	ev_io_stop(ctl->loop, &ctl->io);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

/* --- client --- */

int
ctl_request(const char *path, const char *req, FILE *out)
{
	struct sockaddr_un sun;
	char buf[4096];
	ssize_t n;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "mptun: %s: %s (is the daemon running?)\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	dprintf(fd, "%s\n", req);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	return 0;
}
