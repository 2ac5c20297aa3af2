/*
 * ctl: control socket server and client (see ctl.h). Each connection has a bounded line
 * buffer for input and a growing, capped buffer for replies; it reads until EAGAIN,
 * stops reading while a reply is pending, and writes with a watcher when the socket
 * fills. Commands run synchronously inside the event loop.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"
#include "ctl.h"
#include "log.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct client {
	struct ctl *ctl;
	int fd;
	ev_io rw;
	ev_io ww;
	char in[CMD_LINE_MAX + 2];
	size_t inlen;
	char *out;
	size_t outlen;
	size_t outoff;
	int eof;
};

static void
client_free(struct client *cl)
{
	struct ev_loop *loop = cl->ctl->emu->loop;

	ev_io_stop(loop, &cl->rw);
	ev_io_stop(loop, &cl->ww);
	close(cl->fd);
	cl->ctl->nclients--;
	free(cl->out);
	free(cl);
}

/* Append n bytes of reply; -1 if the reply cap is reached. */
static int
reply(struct client *cl, const char *p, size_t n)
{
	char *o;

	if (cl->outlen + n > CTL_OUT_MAX)
		return -1;
	o = realloc(cl->out, cl->outlen + n + 1);
	if (o == NULL)
		return -1;
	memcpy(o + cl->outlen, p, n);
	cl->out = o;
	cl->outlen += n;
	return 0;
}

static void
run_line(struct client *cl, const char *line)
{
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = open_memstream(&buf, &len);
	if (f == NULL) {
		reply(cl, "error: out of memory\n", 21);
		return;
	}
	rc = cmd_exec(cl->ctl->emu, line, f, err, sizeof(err));
	if (rc == 0)
		fputs("ok\n", f);
	else
		fprintf(f, "error: %s\n", err);
	fclose(f);
	if (reply(cl, buf, len) == -1)
		cl->eof = 1;
	free(buf);
	if (cmd_quit)
		ev_break(cl->ctl->emu->loop, EVBREAK_ALL);
}

/* Write what is pending; 1 when the client is finished and freed. */
static int
flush(struct client *cl)
{
	struct ev_loop *loop = cl->ctl->emu->loop;
	ssize_t n;

	while (cl->outoff < cl->outlen) {
		n = write(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_stop(loop, &cl->rw);
			ev_io_start(loop, &cl->ww);
			return 0;
		}
		if (n == -1) {
			client_free(cl);
			return 1;
		}
		cl->outoff += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = 0;
	ev_io_stop(loop, &cl->ww);
	if (cl->eof) {
		client_free(cl);
		return 1;
	}
	ev_io_start(loop, &cl->rw);
	return 0;
}

static void
read_cb(EV_P_ ev_io *w, int revents)
{
	struct client *cl = container_of(w, struct client, rw);
	char *nl, *line;
	ssize_t n;

	n = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* a last line without its newline still counts */
		if (n == 0 && cl->inlen > 0) {
			cl->in[cl->inlen] = '\0';
			run_line(cl, cl->in);
			cl->inlen = 0;
		}
		cl->eof = 1;
		flush(cl);
		return;
	}
	cl->inlen += (size_t)n;
	cl->in[cl->inlen] = '\0';
	line = cl->in;
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		run_line(cl, line);
		line = nl + 1;
	}
	cl->inlen -= (size_t)(line - cl->in);
	memmove(cl->in, line, cl->inlen);
	if (cl->inlen == sizeof(cl->in) - 1) {
		reply(cl, "error: line too long\n", 21);
		cl->eof = 1;
	}
	flush(cl);
}

static void
write_cb(EV_P_ ev_io *w, int revents)
{
	flush(container_of(w, struct client, ww));
}

static void
accept_cb(EV_P_ ev_io *w, int revents)
{
	struct ctl *c = container_of(w, struct ctl, w);
	struct client *cl;
	int fd;

	fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (c->nclients == CTL_MAX_CLIENTS || (cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->fd = fd;
	c->nclients++;
	ev_io_init(&cl->rw, read_cb, fd, EV_READ);
	ev_io_init(&cl->ww, write_cb, fd, EV_WRITE);
	ev_io_start(loop, &cl->rw);
}

int
ctl_listen(struct ctl *c, struct emu *e, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	c->emu = e;
	c->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: control socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	strcpy(c->path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		log_warn("socket");
		return -1;
	}
	unlink(path);
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(c->fd, 16) == -1) {
		log_warn("%s", path);
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	ev_io_init(&c->w, accept_cb, c->fd, EV_READ);
	ev_io_start(e->loop, &c->w);
	return 0;
}

void
ctl_close(struct ctl *c)
{
	if (c->fd == -1)
		return;
	ev_io_stop(c->emu->loop, &c->w);
	close(c->fd);
	unlink(c->path);
	c->fd = -1;
}

int
ctl_client(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char line[CMD_LINE_MAX + 2], buf[65536], *last;
	size_t len = 0, have = 0, cap = 0;
	char *all = NULL, *o;
	ssize_t n;
	int fd, i, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: synnet ctl SOCKET COMMAND...\n");
		return 2;
	}
	if (strlen(argv[0]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "synnet: socket path too long\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[0]);
	for (i = 1; i < argc; i++) {
		rc = snprintf(line + len, sizeof(line) - len, "%s%s", i > 1 ? " " : "", argv[i]);
		if (rc < 0 || (size_t)rc >= sizeof(line) - len - 1) {
			fprintf(stderr, "synnet: command too long\n");
			return 2;
		}
		len += (size_t)rc;
	}
	line[len++] = '\n';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "synnet: %s: %s\n", argv[0], strerror(errno));
		return 2;
	}
	if (write(fd, line, len) != (ssize_t)len || shutdown(fd, SHUT_WR) == -1) {
		fprintf(stderr, "synnet: %s: %s\n", argv[0], strerror(errno));
		close(fd);
		return 2;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (have + (size_t)n + 1 > cap) {
			cap = (have + (size_t)n + 1) * 2;
			if ((o = realloc(all, cap)) == NULL) {
				free(all);
				close(fd);
				return 2;
			}
			all = o;
		}
		memcpy(all + have, buf, (size_t)n);
		have += (size_t)n;
	}
	close(fd);
	if (have == 0 || all[have - 1] != '\n') {
		fprintf(stderr, "synnet: %s: no reply\n", argv[0]);
		free(all);
		return 2;
	}
	all[have - 1] = '\0';
	/* the status is the last line; everything before it is the output */
	last = strrchr(all, '\n');
	last = last ? last + 1 : all;
	fwrite(all, 1, (size_t)(last - all), stdout);
	rc = strcmp(last, "ok") == 0 ? 0 : 1;
	if (rc)
		fprintf(stderr, "synnet: %s\n", last);
	free(all);
	return rc;
}
