/*
 * resolve: host names to addresses for dialing, off the event loop (see resolve.h).
 *
 * getaddrinfo blocks as long as the resolver takes: seconds when the uplink that reaches it
 * has just died (the very moment paths redial), for ever when an NSS module hangs. Called in
 * the loop it stopped every path, its heartbeats and its stall detection. Here each lookup
 * runs getaddrinfo on a detached thread of its own, which wakes the loop with
 * ev_async_send, the one libev call that is safe from another thread. Everything else (the
 * cache, the waiters, their callbacks) lives on the loop's thread; the two share only the
 * finished-jobs list and a job's orphaned flag, under one mutex.
 *
 * Why a thread and getaddrinfo: it resolves exactly as every other program on the host
 * (nsswitch.conf, /etc/hosts, mDNS, systemd-resolved, search domains) with libc alone.
 * c-ares would be a new dependency that speaks DNS only and so resolves some names
 * differently. glibc's getaddrinfo_a is a thread pool of its own behind a signal or thread
 * notification, glibc-only, and cannot stop a lookup in progress either; a thread of ours
 * costs the same and keeps the bounds in our hands.
 *
 * Bounds: one lookup in flight per name, whatever number of dials wait for it; at most
 * RESOLVE_NAMES names are remembered (the least recently used idle one makes room), so at
 * most that many threads, each with a small stack. A thread blocked for ever holds its
 * stack and its job, nothing else: shutdown marks the job orphaned and does not wait, the
 * thread frees the job if it ever returns, and the process's exit ends it otherwise.
 *
 * Lifetimes: getaddrinfo gives no TTL. An answer is used for RESOLVE_TTL, a failure
 * remembered for RESOLVE_TTL_FAIL so that redials do not hammer a dead resolver. A dial
 * that cannot reach an address marks its name stale (resolve_stale), and the next dial asks
 * again. When asking again fails, the last answer stands in: a resolver that died with its
 * uplink must not keep the paths over the other uplinks from redialing a server that has
 * not moved.
 *
 * Timers: none; lifetimes are checked when an address is asked for.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "conf.h"
#include "log.h"
#include "resolve.h"

#define RESOLVE_STACK (1024 * 1024) /* a lookup thread's stack, NSS modules included */
#define RESOLVE_WHY_MAX 96

struct resolve_answer {
	int n;
	struct sockaddr_storage addr[RESOLVE_ADDRS]; /* port 0 */
	socklen_t len[RESOLVE_ADDRS];
};

/* One lookup: written by its thread, handed to the loop through the done list. */
struct job {
	struct resolve_name *name; /* the loop's side only */
	int orphaned;              /* under lock: nobody will collect it, the thread frees it */
	int rc, err;               /* getaddrinfo's return, and errno for EAI_SYSTEM */
	struct resolve_answer ans;
	struct job *next; /* the done list, under lock */
	char host[CONF_HOST_MAX];
};

/* A name and what is known of it; the loop's thread only. */
struct resolve_name {
	char host[CONF_HOST_MAX];
	struct resolve_answer ans; /* the last answer (n 0: none yet) */
	ev_tstamp good_until;      /* ans is fresh until then */
	ev_tstamp fail_until;      /* the last lookup failed: do not ask again until then */
	ev_tstamp used_at;
	char why[RESOLVE_WHY_MAX]; /* why the last lookup failed */
	struct job *job;           /* in flight, or NULL */
	struct resolve_wait *waiters;
	int waking; /* its waiters' callbacks are running: not to be evicted */
	struct resolve_name *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct ev_loop *loop; /* NULL until the first lookup and after shutdown */
	ev_async wake;
	struct job *done; /* finished, not yet collected: under lock */
	struct resolve_name *names;
	int nnames;
} R;

/* --- the lookup thread --- */

static void *
lookup(void *arg)
{
	struct job *j = arg;
	struct addrinfo hints, *res, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	j->rc = getaddrinfo(j->host, NULL, &hints, &res);
	j->err = errno;
	if (j->rc == 0) {
		for (ai = res; ai != NULL && j->ans.n < RESOLVE_ADDRS; ai = ai->ai_next) {
			if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
			    ai->ai_addrlen > sizeof(j->ans.addr[0]))
				continue;
			memcpy(&j->ans.addr[j->ans.n], ai->ai_addr, ai->ai_addrlen);
			j->ans.len[j->ans.n++] = ai->ai_addrlen;
		}
		freeaddrinfo(res);
	}
	pthread_mutex_lock(&lock);
	if (j->orphaned) {
		pthread_mutex_unlock(&lock);
		free(j);
		return NULL;
	}
	j->next = R.done;
	R.done = j;
	ev_async_send(R.loop, &R.wake);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Start a lookup of n on its own thread. -1 with errno when the thread cannot be made. */
static int
ask(struct resolve_name *n)
{
	struct job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rc;

	if (j == NULL)
		return -1;
	j->name = n;
	memcpy(j->host, n->host, sizeof(j->host));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, RESOLVE_STACK);
	/* signals are the loop's: the thread inherits a mask that blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, lookup, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(j);
		errno = rc;
		return -1;
	}
	n->job = j;
	return 0;
}

/* --- the loop's side --- */

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void
pick_addr(const struct resolve_answer *a, unsigned pick, uint16_t port, struct sockaddr_storage *ss,
	  socklen_t *len)
{
	int i = (int)(pick % (unsigned)a->n);

	memcpy(ss, &a->addr[i], a->len[i]);
	*len = a->len[i];
	set_port(ss, port);
}

/* An IPv4 or IPv6 literal needs no resolver: 1 and the address if host is one. */
static int
numeric(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	if (res->ai_addrlen > sizeof(*ss) ||
	    (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
		freeaddrinfo(res);
		return 0;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	set_port(ss, port);
	return 1;
}

/* Call back every waiter of n with what is known now. */
static void
wake_waiters(struct resolve_name *n)
{
	struct resolve_wait *w;
	struct sockaddr_storage ss;
	socklen_t len;

	/* one at a time from the list: a callback may cancel another waiter */
	n->waking = 1;
	while ((w = n->waiters) != NULL) {
		n->waiters = w->next;
		w->name = NULL;
		w->next = NULL;
		if (n->ans.n > 0) {
			pick_addr(&n->ans, w->pick, w->port, &ss, &len);
			w->cb(w, &ss, len, NULL);
		} else {
			w->cb(w, NULL, 0, n->why);
		}
	}
	n->waking = 0;
}

/* A finished job: its answer into the cache, then the waiters. */
static void
collect(struct job *j)
{
	struct resolve_name *n = j->name;
	ev_tstamp now = ev_now(R.loop);

	n->job = NULL;
	if (j->rc == 0 && j->ans.n > 0) {
		if (n->why[0] != '\0' && n->ans.n > 0)
			log_info("resolve %s: answered again", n->host);
		n->ans = j->ans;
		n->good_until = now + RESOLVE_TTL;
		n->fail_until = 0;
		n->why[0] = '\0';
		log_debug("resolved %s: %d address%s", n->host, n->ans.n,
			  n->ans.n == 1 ? "" : "es");
	} else {
		const char *why = j->rc == EAI_SYSTEM ? strerror(j->err) : gai_strerror(j->rc);

		if (j->rc == 0)
			why = "no IPv4 or IPv6 address";

		/* said once per failure, not at every lookup while the resolver stays away */
		if (n->ans.n > 0 && strcmp(n->why, why) != 0)
			log_info("resolve %s: %s; dialing its last known address", n->host, why);
		snprintf(n->why, sizeof(n->why), "%s", why);
		n->fail_until = now + RESOLVE_TTL_FAIL;
	}
	free(j);
	wake_waiters(n);
}

static void
wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct job *list, *j;

	pthread_mutex_lock(&lock);
	list = R.done;
	R.done = NULL;
	pthread_mutex_unlock(&lock);
	while ((j = list) != NULL) {
		list = j->next;
		collect(j);
	}
}

static struct resolve_name *
find(const char *host)
{
	struct resolve_name *n;

	for (n = R.names; n != NULL; n = n->next)
		if (strcmp(n->host, host) == 0)
			return n;
	return NULL;
}

/* Make room for one more name: drop the least recently used one nobody waits for. */
static int
evict(void)
{
	struct resolve_name *n, **pp, **victim = NULL;

	for (pp = &R.names; (n = *pp) != NULL; pp = &n->next)
		if (n->job == NULL && n->waiters == NULL && !n->waking &&
		    (victim == NULL || n->used_at < (*victim)->used_at))
			victim = pp;
	if (victim == NULL)
		return -1;
	n = *victim;
	*victim = n->next;
	free(n);
	R.nnames--;
	return 0;
}

static struct resolve_name *
add(const char *host)
{
	struct resolve_name *n;

	if (R.nnames >= RESOLVE_NAMES && evict() == -1)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	snprintf(n->host, sizeof(n->host), "%s", host);
	n->next = R.names;
	R.names = n;
	R.nnames++;
	return n;
}

static void
bind_loop(struct ev_loop *loop)
{
	pthread_mutex_lock(&lock);
	R.loop = loop;
	ev_async_init(&R.wake, wake_cb);
	ev_async_start(loop, &R.wake);
	ev_unref(loop); /* lookups in flight alone do not keep the loop running */
	pthread_mutex_unlock(&lock);
}

enum resolve_rc
resolve_get(struct ev_loop *loop, const char *host, uint16_t port, unsigned pick,
	    struct resolve_wait *w, struct sockaddr_storage *ss, socklen_t *len, const char **err)
{
	struct resolve_name *n;
	ev_tstamp now = ev_now(loop);

	if (numeric(host, port, ss, len))
		return RESOLVE_DONE;
	if (R.loop == NULL)
		bind_loop(loop);
	if ((n = find(host)) == NULL && (n = add(host)) == NULL) {
		*err = "too many names to resolve at once";
		return RESOLVE_ERR;
	}
	n->used_at = now;
	if (n->ans.n > 0 && now < n->good_until) {
		pick_addr(&n->ans, pick, port, ss, len);
		return RESOLVE_DONE;
	}
	if (n->job == NULL && now < n->fail_until) {
		if (n->ans.n == 0) {
			*err = n->why;
			return RESOLVE_ERR;
		}
		pick_addr(&n->ans, pick, port, ss, len); /* the last answer stands in */
		return RESOLVE_DONE;
	}
	if (n->job == NULL && ask(n) == -1) {
		snprintf(n->why, sizeof(n->why), "cannot start a lookup: %s", strerror(errno));
		n->fail_until = now + RESOLVE_TTL_FAIL;
		*err = n->why;
		return RESOLVE_ERR;
	}
	w->name = n;
	w->port = port;
	w->pick = pick;
	w->next = n->waiters;
	n->waiters = w;
	return RESOLVE_WAIT;
}

void
resolve_cancel(struct resolve_wait *w)
{
	struct resolve_wait **pp;

	if (w->name == NULL)
		return;
	for (pp = &w->name->waiters; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->name = NULL;
	w->next = NULL;
}

void
resolve_stale(const char *host)
{
	struct resolve_name *n = find(host);

	if (n != NULL)
		n->good_until = 0;
}

void
resolve_shutdown(void)
{
	struct resolve_name *n;
	struct resolve_wait *w;
	struct job *j;

	pthread_mutex_lock(&lock);
	/* finished and not collected: ours to free; still running: the thread's */
	while ((j = R.done) != NULL) {
		R.done = j->next;
		j->name->job = NULL;
		free(j);
	}
	for (n = R.names; n != NULL; n = n->next)
		if (n->job != NULL)
			n->job->orphaned = 1;
	if (R.loop != NULL) {
		ev_ref(R.loop);
		ev_async_stop(R.loop, &R.wake);
		R.loop = NULL;
	}
	pthread_mutex_unlock(&lock);
	while ((n = R.names) != NULL) {
		R.names = n->next;
		while ((w = n->waiters) != NULL) { /* none should be left: made harmless */
			n->waiters = w->next;
			w->name = NULL;
			w->next = NULL;
		}
		free(n);
	}
	R.nnames = 0;
}
