/*
 * notify: sd_notify messages over NOTIFY_SOCKET (see notify.h). Messages are best effort:
 * a service manager that went away must not disturb the daemon.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "path.h"
#include "paths.h"
#include "peer.h"
#include "session.h"
#include "util.h"


struct notify {
	struct ev_loop *loop;
	const struct peers *set;
	int fd;
	struct sockaddr_un sun;
	socklen_t sunlen;
	int ready;
	ev_check ready_check; /* after each loop turn until READY=1: is a connection up? */
	ev_timer ready_max;
	ev_timer status;
	ev_timer watchdog;
	char last_status[NOTIFY_MSG_MAX];
};

/* One datagram per message; a full or missing socket only costs that message. */
static void
send_msg(struct notify *n, const char *msg)
{
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&n->sun, n->sunlen) ==
		    -1 &&
	    errno != EAGAIN)
		log_debug("notify %s: %s", msg, strerror(errno));
}

static void
status_text(struct notify *n, char *out, size_t len)
{
	const struct peers *set = n->set;
	const struct paths *ps = &set->peer[0]->paths;
	int i, up = 0, nup = peers_nup(set);

	if (set->n > 1) {
		for (i = 0; i < set->n; i++)
			up += set->peer[i]->s.nup > 0;
		snprintf(out, len, "STATUS=%s: %d of %d peers up, %d connection%s",
			 set->conf->ifname, up, set->n, nup, nup == 1 ? "" : "s");
		return;
	}
	for (i = 0; i < ps->n; i++)
		if (path_up_count(ps->path[i]) > 0)
			up++;
	snprintf(out, len, "STATUS=%s: %d of %d path%s up, %d connection%s", set->conf->ifname,
		 up, ps->n, ps->n == 1 ? "" : "s", nup, nup == 1 ? "" : "s");
}

/* STATUS= only when the text changes: systemd keeps the last one, no need to repeat it. */
static void
status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct notify *n = container_of(w, struct notify, status);
	char msg[NOTIFY_MSG_MAX];

	status_text(n, msg, sizeof(msg));
	if (strcmp(msg, n->last_status) != 0) {
		send_msg(n, msg);
		memcpy(n->last_status, msg, sizeof(msg));
	}
}

static void
become_ready(struct notify *n, const char *why)
{
	char msg[NOTIFY_MSG_MAX + 16];

	n->ready = 1;
	ev_check_stop(n->loop, &n->ready_check);
	ev_timer_stop(n->loop, &n->ready_max);
	status_text(n, n->last_status, sizeof(n->last_status));
	snprintf(msg, sizeof(msg), "READY=1\n%s", n->last_status);
	send_msg(n, msg);
	log_debug("notify: ready (%s)", why);
}

/*
 * A check watcher rather than a call from the path code: readiness is the service
 * manager's business, and the session's count of established connections says it all.
 * It runs after every loop iteration only until READY=1 is sent.
 */
static void
ready_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct notify *n = container_of(w, struct notify, ready_check);

	if (peers_nup(n->set) > 0)
		become_ready(n, "a connection is up");
}

static void
ready_max_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct notify *n = container_of(w, struct notify, ready_max);

	log_info("no path up after %.0f s: telling the service manager we are ready anyway",
		 NOTIFY_READY_MAX);
	become_ready(n, "timeout");
}

/* From the loop on purpose: a loop that no longer turns stops the pings and is restarted. */
static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	send_msg(container_of(w, struct notify, watchdog), "WATCHDOG=1");
}

/* The watchdog interval systemd asked for, in seconds; 0 for none (or not for us). */
static double
watchdog_interval(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return 0;
	return (double)v / 1e6;
}

struct notify *
notify_start(struct ev_loop *loop, const struct peers *set, int wait_path)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct notify *n;
	double wd;
	size_t len;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(n->sun.sun_path))
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->loop = loop;
	n->set = set;
	n->sun.sun_family = AF_UNIX;
	memcpy(n->sun.sun_path, path, len);
	if (n->sun.sun_path[0] == '@')
		n->sun.sun_path[0] = '\0'; /* abstract namespace */
	n->sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		log_warn("notify socket");
		free(n);
		return NULL;
	}
	ev_check_init(&n->ready_check, ready_check_cb);
	ev_timer_init(&n->ready_max, ready_max_cb, NOTIFY_READY_MAX, 0.);
	ev_timer_init(&n->status, status_cb, NOTIFY_STATUS_EVERY, NOTIFY_STATUS_EVERY);
	ev_timer_start(loop, &n->status);
	if ((wd = watchdog_interval()) > 0) {
		ev_timer_init(&n->watchdog, watchdog_cb, wd / 2, wd / 2);
		ev_timer_start(loop, &n->watchdog);
		send_msg(n, "WATCHDOG=1");
	}
	if (wait_path) {
		ev_check_start(loop, &n->ready_check);
		ev_timer_start(loop, &n->ready_max);
	} else {
		become_ready(n, "listening");
	}
	return n;
}

void
notify_stop(struct notify *n)
{
	if (n == NULL)
		return;
	send_msg(n, "STOPPING=1");
	ev_check_stop(n->loop, &n->ready_check);
	ev_timer_stop(n->loop, &n->ready_max);
	ev_timer_stop(n->loop, &n->status);
	ev_timer_stop(n->loop, &n->watchdog);
	close(n->fd);
	free(n);
}
