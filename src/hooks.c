/*
 * hooks: run the configured shell commands on events (see hooks.h).
 *
 * The running hooks are kept in one small table for the whole process: child processes
 * belong to the process, not to a session, and SIGCHLD (hence ev_child) exists only on the
 * default loop. Timers owned here: one per running hook, its HOOKS_TIMEOUT deadline.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "hooks.h"
#include "log.h"
#include "path.h"
#include "session.h"
#include "util.h"

#define HOOKS_WHAT_MAX		      80       /* "OnPathDown site/lte", for messages */
#define HOOKS_POLL_NS		      20000000 /* shutdown waits poll children this often */

struct hook_env {
	const char *name;
	const char *value;
};

struct hook {
	pid_t pid; /* 0: the entry is free */
	struct ev_loop *loop;
	ev_child child;
	ev_timer timer;
	struct timespec deadline; /* for the waits of hooks_finish */
	char what[HOOKS_WHAT_MAX];
};

static struct hook running[HOOKS_MAX];

static void
deadline_in(struct timespec *ts, double secs)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)secs;
	ts->tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
past(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* The child: a clean signal state, its own process group, no inherited descriptors. */
static void __attribute__((noreturn))
child_exec(const char *cmd, const struct hook_env *env, int nenv)
{
	static const int sigs[] = {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD};
	sigset_t none;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* libev may block signals it reads by fd */
	setpgid(0, 0);
	if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	close_range(3, ~0U, 0); /* sockets, the tun device, keys' files: not the hook's */
	for (i = 0; i < (size_t)nenv; i++)
		setenv(env[i].name, env[i].value != NULL ? env[i].value : "", 1);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static pid_t
spawn(const char *what, const char *cmd, const struct hook_env *env, int nenv)
{
	pid_t pid = fork();

	if (pid == -1)
		log_warn("hook %s: fork", what);
	else if (pid == 0)
		child_exec(cmd, env, nenv);
	else
		setpgid(pid, pid); /* also here: kill(-pid) must work even before the child runs */
	return pid;
}

static void
report(const char *what, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("hook %s: done", what);
	else if (WIFEXITED(status))
		log_warnx("hook %s: exited with status %d", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("hook %s: killed by signal %d", what, WTERMSIG(status));
}

static void
hook_forget(struct hook *h)
{
	if (h->loop != NULL) {
		ev_child_stop(h->loop, &h->child);
		ev_timer_stop(h->loop, &h->timer);
	}
	h->pid = 0;
	h->loop = NULL;
}

static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hook *h = container_of(w, struct hook, child);

	report(h->what, w->rstatus);
	hook_forget(h);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hook *h = container_of(w, struct hook, timer);

	log_warnx("hook %s: still running after %.0f s, killed", h->what, HOOKS_TIMEOUT);
	kill(-h->pid, SIGKILL); /* the child_cb reaps it */
}

/*
 * Start cmd in the background and watch it: the ev_child reaps it (libev's SIGCHLD handler
 * runs waitpid for us), the timer kills its whole process group, since `sh -c` may have
 * started children of its own that would otherwise outlive the kill.
 */
static void
run_async(struct ev_loop *loop, const char *what, const char *cmd, const struct hook_env *env,
	  int nenv)
{
	struct hook *h = NULL;
	int i;

	for (i = 0; i < HOOKS_MAX && h == NULL; i++)
		if (running[i].pid == 0)
			h = &running[i];
	if (h == NULL) {
		log_warnx("hook %s: %d hooks already running, skipped", what, HOOKS_MAX);
		return;
	}
	if ((h->pid = spawn(what, cmd, env, nenv)) == -1) {
		h->pid = 0;
		return;
	}
	snprintf(h->what, sizeof(h->what), "%s", what);
	h->loop = loop;
	deadline_in(&h->deadline, HOOKS_TIMEOUT);
	ev_child_init(&h->child, child_cb, h->pid, 0);
	ev_timer_init(&h->timer, timeout_cb, HOOKS_TIMEOUT, 0.);
	ev_child_start(loop, &h->child);
	ev_timer_start(loop, &h->timer);
	log_debug("hook %s: started (pid %d)", what, (int)h->pid);
}

/*
 * Wait for pid until deadline, then kill its group; returns once it is reaped. Used only
 * when the loop no longer runs (shutdown), so polling waitpid is the simplest correct way.
 */
static void
wait_bounded(const char *what, pid_t pid, const struct timespec *deadline)
{
	const struct timespec tick = {0, HOOKS_POLL_NS};
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			report(what, status);
			return;
		}
		if (r == -1 && errno != EINTR)
			return; /* already reaped (by libev) or not ours */
		if (past(deadline)) {
			log_warnx("hook %s: still running after %.0f s, killed", what,
				  HOOKS_TIMEOUT);
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			return;
		}
		nanosleep(&tick, NULL);
	}
}

static void
hostport(char *out, size_t len, const struct conf_hostport *hp)
{
	snprintf(out, len, strchr(hp->host, ':') != NULL ? "[%s]:%u" : "%s:%u", hp->host,
		 (unsigned)hp->port);
}

void
hooks_path(const struct path *p, const char *event, const char *reason)
{
	const struct conf *c = p->s->conf;
	const struct conf_path *cp = p->cp;
	const char *cmd = strcmp(event, "up") == 0 ? c->on_path_up : c->on_path_down;
	char ev[16], what[HOOKS_WHAT_MAX], local[CONF_NAME_MAX + INET6_ADDRSTRLEN + 2] = "";
	char remote[CONF_HOST_MAX + 16] = "", src[INET6_ADDRSTRLEN] = "";
	int i;

	if (cmd[0] == '\0')
		return;
	snprintf(ev, sizeof(ev), "path-%s", event);
	snprintf(what, sizeof(what), "%s %s", strcmp(event, "up") == 0 ? "OnPathUp" : "OnPathDown",
		 p->tag);
	if (cp != NULL) {
		if (cp->has_source)
			inet_ntop(cp->source.family, cp->source.addr, src, sizeof(src));
		snprintf(local, sizeof(local), "%s%s%s", cp->ifname,
			 cp->ifname[0] != '\0' && src[0] != '\0' ? " " : "", src);
		hostport(remote, sizeof(remote), conf_path_endpoint(c, cp));
	} else {
		for (i = 0; i < CONF_MAX_CONNS && remote[0] == '\0'; i++)
			if (p->slots[i].conn != NULL)
				snprintf(remote, sizeof(remote), "%s", p->slots[i].conn->peer);
	}
	{
		const struct hook_env env[] = {
			{"MPTUN_EVENT", ev},	  {"MPTUN_INTERFACE", c->ifname},
			{"MPTUN_PATH", p->name},  {"MPTUN_LOCAL", local},
			{"MPTUN_REMOTE", remote}, {"MPTUN_REASON", reason},
			{"MPTUN_PEER", p->s->name},
		};

		run_async(p->s->loop, what, cmd, env, (int)(sizeof(env) / sizeof(env[0])));
	}
}

void
hooks_post_up(struct ev_loop *loop, const struct conf *c)
{
	const struct hook_env env[] = {
		{"MPTUN_EVENT", "post-up"},
		{"MPTUN_INTERFACE", c->ifname},
	};

	if (c->post_up[0] != '\0')
		run_async(loop, "PostUp", c->post_up, env, 2);
}

void
hooks_down(const struct conf *c, const char *event)
{
	const int pre = strcmp(event, "pre-down") == 0;
	const char *cmd = pre ? c->pre_down : c->post_down;
	const struct hook_env env[] = {
		{"MPTUN_EVENT", event},
		{"MPTUN_INTERFACE", c->ifname},
	};
	struct timespec deadline;
	pid_t pid;

	if (cmd[0] == '\0')
		return;
	if ((pid = spawn(pre ? "PreDown" : "PostDown", cmd, env, 2)) == -1)
		return;
	deadline_in(&deadline, HOOKS_TIMEOUT);
	wait_bounded(pre ? "PreDown" : "PostDown", pid, &deadline);
}

void
hooks_finish(void)
{
	int i;

	for (i = 0; i < HOOKS_MAX; i++) {
		struct hook *h = &running[i];

		if (h->pid == 0)
			continue;
		wait_bounded(h->what, h->pid, &h->deadline);
		hook_forget(h);
	}
}
