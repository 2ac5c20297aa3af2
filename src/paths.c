/*
 * paths: the set of a peer's paths (see paths.h).
 *
 * Discovery: each template path (Interface = *) gets a path "NAME-IFNAME" for every usable
 * interface (up, running, an address that is not loopback or link-local) as it appears;
 * path_link then follows the interface down and up. A discovered path keeps its own copy
 * of its template's settings (path->own_cp). No timers here: links and addresses come from
 * the netlink monitor, reloads from the control socket and SIGHUP.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>

#include "conn.h"
#include "frame.h"
#include "log.h"
#include "netlink.h"
#include "path.h"
#include "paths.h"
#include "session.h"

void
paths_init(struct paths *ps, struct session *s)
{
	memset(ps, 0, sizeof(*ps));
	ps->s = s;
	ps->conf = s->conf;
}

void
paths_free(struct paths *ps)
{
	int i;

	for (i = 0; i < ps->n; i++)
		path_free(ps->path[i]);
	ps->n = 0;
}

int
paths_start(struct paths *ps)
{
	const struct conf *c = ps->conf;
	struct path *p;
	int i;

	for (i = 0; conf_is_client(c) && i < c->npaths; i++) {
		if ((p = path_new(ps->s, i, c->paths[i].name, &c->paths[i])) == NULL)
			return -1;
		ps->path[ps->n++] = p;
		path_start(p);
	}
	return 0;
}

struct path *
paths_find(struct paths *ps, const char *name)
{
	int i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->path[i]->name, name) == 0)
			return ps->path[i];
	if (ps->n >= PATHS_MAX)
		return NULL;
	if ((ps->path[ps->n] = path_new(ps->s, ps->n, name, NULL)) == NULL)
		return NULL;
	return ps->path[ps->n++];
}

/* --- accepted connections, between their handshake and their HELLO --- */

static int
accept_adopt(void *owner, struct conn *c, const struct frame_hello *h)
{
	struct path *p = paths_find(owner, h->name);

	return p != NULL && path_attach(p, c) == 0 ? FRAME_REFUSED_NONE : FRAME_REFUSED_FULL;
}

static void
accept_drop(void *owner, struct conn *c, enum conn_drop why)
{
	session_count_conn_drop(((struct paths *)owner)->s, why);
}

const struct conn_ops paths_accept_ops = {
	.adopt = accept_adopt,
	.drop = accept_drop,
};

/* --- links and addresses --- */

/* Does c's local end have this address? */
static int
conn_has_local(struct conn *c, int family, const uint8_t *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == -1 || ss.ss_family != family)
		return 0;
	if (family == AF_INET)
		return memcmp(&((struct sockaddr_in *)&ss)->sin_addr, addr, 4) == 0;
	return memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, addr, 16) == 0;
}

/* Has ifname an address a path can use: up, not loopback, not link-local? */
static int
iface_usable(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	int ok = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && !ok; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, ifname) != 0 ||
		    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_RUNNING))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			ok = (ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr) >> 16) !=
			     0xa9fe; /* 169.254/16 */
		else if (i->ifa_addr->sa_family == AF_INET6)
			ok = !IN6_IS_ADDR_LINKLOCAL(
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	return ok;
}

/* Each template's path over ifname, made and started unless it is there already. */
static void
discover(struct paths *ps, const char *ifname)
{
	const struct conf *c = ps->conf;
	char name[CONF_NAME_MAX];
	struct conf_path *cp;
	struct path *p;
	int i, j;

	if (ifname[0] == '\0' || strcmp(ifname, c->ifname) == 0 || !iface_usable(ifname))
		return;
	for (i = 0; i < c->npaths; i++) {
		if (strcmp(c->paths[i].ifname, CONF_PATH_ANY_IFACE) != 0)
			continue;
		snprintf(name, sizeof(name), "%.15s-%s", c->paths[i].name, ifname);
		for (j = 0; j < ps->n; j++)
			if (strcmp(ps->path[j]->name, name) == 0)
				break;
		if (j < ps->n || ps->n >= PATHS_MAX)
			continue;
		if ((cp = malloc(sizeof(*cp))) == NULL)
			continue;
		*cp = c->paths[i];
		snprintf(cp->name, sizeof(cp->name), "%s", name);
		snprintf(cp->ifname, sizeof(cp->ifname), "%s", ifname);
		if ((p = path_new(ps->s, ps->n, name, cp)) == NULL) {
			free(cp);
			continue;
		}
		p->own_cp = cp;
		ps->path[ps->n++] = p;
		log_info("path %s: discovered", name);
		path_start(p);
	}
}

void
paths_net_event(void *arg, const struct nl_event *ev)
{
	struct paths *ps = arg;
	const struct conf_path *cp;
	size_t alen = ev->family == AF_INET ? 4 : 16;
	char ifname[IFNAMSIZ];
	int i, k;

	if (conf_is_client(ps->conf) && ev->up) {
		if (ev->kind == NL_EV_LINK)
			discover(ps, ev->ifname);
		else if (if_indextoname((unsigned int)ev->ifindex, ifname) != NULL)
			discover(ps, ifname);
	}

	for (i = 0; i < ps->n; i++) {
		cp = ps->path[i]->cp;
		if (cp == NULL)
			continue;
		if (ev->kind == NL_EV_LINK && cp->ifname[0] != '\0' &&
		    strcmp(cp->ifname, ev->ifname) == 0)
			path_link(ps->path[i], ev->up, ev->up ? "link up" : "link down");
		if (ev->kind == NL_EV_ADDR && cp->has_source && cp->source.family == ev->family &&
		    memcmp(cp->source.addr, ev->addr, alen) == 0)
			path_link(ps->path[i], ev->up,
				  ev->up ? "source address back" : "source address gone");
	}
	/* connections that are not bound to a device: by the address of their end */
	for (i = 0; i < ps->n; i++) {
		for (k = 0; k < CONF_MAX_CONNS; k++) {
			struct conn *c = ps->path[i]->slots[k].conn;

			if (c == NULL || c->state != CONN_UP)
				continue;
			if (ev->kind == NL_EV_LINK && !ev->up && c->ifindex == ev->ifindex)
				conn_fail(c, "link %s down", ev->ifname);
			else if (ev->kind == NL_EV_ADDR && !ev->up &&
				 conn_has_local(c, ev->family, ev->addr))
				conn_fail(c, "local address gone");
		}
	}
}

/* --- reload --- */

/* Zero the bytes after the NUL, so that two equal strings compare equal bytewise. */
static void
clean(char *str, size_t size)
{
	size_t n = strnlen(str, size);

	if (n < size)
		memset(str + n, 0, size - n);
}

/*
 * Same settings? Compared bytewise after normalising the strings and the line number, so
 * a key added to struct conf_path later is compared too without anyone remembering to.
 * The endpoint a path dials without its own comes from [Peer]: compared as well.
 */
static int
path_same(const struct conf *oc, const struct conf_path *op, const struct conf *nc,
	  const struct conf_path *np)
{
	struct conf_path a = *op, b = *np;
	const struct conf_hostport *ea = conf_path_endpoint(oc, op),
				   *eb = conf_path_endpoint(nc, np);
	int i;

	a.line = b.line = a.congestion_line = b.congestion_line = 0;
	for (i = 0; i < 2; i++) {
		struct conf_path *x = i ? &b : &a;
		int v;

		clean(x->name, sizeof(x->name));
		clean(x->ifname, sizeof(x->ifname));
		clean(x->endpoint.host, sizeof(x->endpoint.host));
		clean(x->congestion, sizeof(x->congestion));
		for (v = 0; v < CONF_MAX_VIA; v++) {
			clean(x->via[v].hp.host, sizeof(x->via[v].hp.host));
			clean(x->via[v].user, sizeof(x->via[v].user));
			clean(x->via[v].pass, sizeof(x->via[v].pass));
		}
	}
	i = memcmp(&a, &b, sizeof(a)) == 0 && ea->port == eb->port &&
	    strcmp(ea->host, eb->host) == 0;
	sodium_memzero(&a, sizeof(a)); /* proxy passwords */
	sodium_memzero(&b, sizeof(b));
	return i;
}

static int
find_path(const struct conf *c, const char *name)
{
	int i;

	for (i = 0; i < c->npaths; i++)
		if (strcmp(c->paths[i].name, name) == 0)
			return i;
	return -1;
}

/* The template (Interface = *) in c that discovered path p came from, or -1. */
static int
template_of(const struct conf *c, const struct path *p)
{
	char name[CONF_NAME_MAX];
	int i;

	for (i = 0; i < c->npaths; i++) {
		if (strcmp(c->paths[i].ifname, CONF_PATH_ANY_IFACE) != 0)
			continue;
		/* the name discovery gives it: see discover */
		snprintf(name, sizeof(name), "%.15s-%.15s", c->paths[i].name, p->cp->ifname);
		if (strcmp(name, p->name) == 0)
			return i;
	}
	return -1;
}

/*
 * Templates new or changed by the reload discover the interfaces that are already there:
 * each running interface is taken as if it had just come up.
 */
static void
rediscover(struct paths *ps)
{
	struct ifaddrs *ifa, *i;
	struct nl_event ev;

	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		/* one entry per interface: the AF_PACKET one; only those up with carrier */
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_PACKET ||
		    (i->ifa_flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.kind = NL_EV_LINK;
		ev.up = 1;
		ev.ifindex = (int)if_nametoindex(i->ifa_name);
		snprintf(ev.ifname, sizeof(ev.ifname), "%s", i->ifa_name);
		paths_net_event(ps, &ev);
	}
	freeifaddrs(ifa);
}

void
paths_reload_prune(struct paths *ps, const struct conf *nc, struct paths_reload *r)
{
	const struct conf *live = ps->conf;
	int i, j;

	memset(r, 0, sizeof(*r));
	for (i = 0; conf_is_client(live) && i < ps->n; i++) {
		struct path *p = ps->path[i];
		int oj;

		if (p->own_cp != NULL) {
			/* discovered: stays while its template stays the same */
			oj = template_of(live, p);
			j = template_of(nc, p);
			if (oj >= 0 && j >= 0 &&
			    path_same(live, &live->paths[oj], nc, &nc->paths[j])) {
				r->found[r->nfound++] = p;
				continue;
			}
			log_info("path %s: removed by reload (its template changed)", p->tag);
			path_close(p, "template changed by reload");
			path_free(p); /* not counted: the summary counts [Path] sections */
			continue;
		}
		j = find_path(nc, p->name);
		if (j >= 0)
			r->existed[j] = 1;
		if (j >= 0 && path_same(live, p->cp, nc, &nc->paths[j])) {
			r->kept[j] = p;
			r->nkept++;
			continue;
		}
		log_info("path %s: %s by reload", p->tag, j < 0 ? "removed" : "changed");
		path_close(p, j < 0 ? "removed by reload" : "changed by reload");
		path_free(p);
		if (j < 0)
			r->nremoved++;
		else
			r->nchanged++;
	}
	/* what is not in r is freed: until paths_reload_apply, the array holds only these */
	if (conf_is_client(live))
		ps->n = 0;
}

void
paths_reload_apply(struct paths *ps, struct paths_reload *r)
{
	const struct conf *live = ps->conf;
	struct path *fresh[CONF_MAX_PATHS] = {NULL};
	int i, j, n = 0, templates = 0;

	if (!conf_is_client(live))
		return; /* the listening side's paths are the peer's: a reload keeps them */
	for (j = 0; j < live->npaths; j++) {
		struct path *p = r->kept[j];

		if (p != NULL) {
			p->cp = &live->paths[j];
			p->index = j;
		} else if ((p = fresh[j] = path_new(ps->s, j, live->paths[j].name,
						    &live->paths[j])) == NULL) {
			log_warnx("path %s: out of memory, not added", live->paths[j].name);
			continue;
		} else if (!r->existed[j]) {
			log_info("path %s: added by reload", p->name);
			r->nadded++;
		}
		ps->path[n++] = p;
		if (path_is_template(p) && p != r->kept[j])
			templates = 1;
	}
	for (i = 0; i < r->nfound; i++) {
		if (n == PATHS_MAX) {
			/* more configured paths now: no room left for this discovered one */
			log_warnx("path %s: removed by reload (too many paths)", r->found[i]->name);
			path_close(r->found[i], "too many paths");
			path_free(r->found[i]);
			continue;
		}
		r->found[i]->index = n;
		ps->path[n++] = r->found[i];
	}
	ps->n = n;
	for (j = 0; j < CONF_MAX_PATHS; j++)
		if (fresh[j] != NULL)
			path_start(fresh[j]);
	if (templates)
		rediscover(ps);
}
