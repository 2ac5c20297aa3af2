/*
 * reload: apply a re-read configuration to the running daemon (see reload.h for what
 * changes and why the pointers into the live struct conf stay valid).
 */
#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "netlink.h"
#include "path.h"
#include "reload.h"
#include "session.h"

/* Append a line to the client's summary (truncated quietly: the log has it all). */
static void __attribute__((format(printf, 3, 4))) say(char *msg, size_t len, const char *fmt, ...)
{
	size_t off = strlen(msg);
	va_list ap;

	if (off + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg + off, len - off, fmt, ap);
	va_end(ap);
	off = strlen(msg);
	if (off + 1 < len) {
		msg[off] = '\n';
		msg[off + 1] = '\0';
	}
}

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
		/* the name discovery gives it: see session.c */
		snprintf(name, sizeof(name), "%.15s-%.15s", c->paths[i].name, p->cp->ifname);
		if (strcmp(name, p->name) == 0)
			return i;
	}
	return -1;
}

/*
 * Templates new or changed by the reload discover the interfaces that are already there:
 * the session hears of each running interface as if it had just come up.
 */
static void
rediscover(struct session *s)
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
		session_net_event(s, &ev);
	}
	freeifaddrs(ifa);
}

/* Settings only a restart applies: report each that changed (they keep their old value). */
static void
fixed_changes(const struct conf *o, const struct conf *n, char *msg, size_t len)
{
#define FIXED(changed, what)                                                                       \
	do {                                                                                       \
		if (changed) {                                                                     \
			log_warnx("reload: %s changed: applies only at restart", what);            \
			say(msg, len, "warning: %s changed: applies only at restart", what);       \
		}                                                                                  \
	} while (0)
	FIXED(strcmp(o->ifname, n->ifname) != 0, "Name");
	FIXED(o->mode != n->mode, "Mode");
	FIXED(o->naddrs != n->naddrs || memcmp(o->addrs, n->addrs, sizeof(o->addrs)) != 0,
	      "Address");
	FIXED(o->mtu != n->mtu, "MTU");
	FIXED(o->nlisten != n->nlisten || memcmp(o->listen, n->listen, sizeof(o->listen)) != 0,
	      "Listen");
	FIXED(o->has_private_key != n->has_private_key ||
		      sodium_memcmp(o->private_key, n->private_key, CONF_KEY_LEN) != 0,
	      "PrivateKey");
	FIXED(o->has_psk != n->has_psk || sodium_memcmp(o->psk, n->psk, CONF_KEY_LEN) != 0,
	      "PresharedKey");
	FIXED(o->has_peer_key != n->has_peer_key ||
		      sodium_memcmp(o->peer_key, n->peer_key, CONF_KEY_LEN) != 0,
	      "PublicKey");
	FIXED(o->cipher != n->cipher, "Cipher");
	FIXED(strcmp(o->control_socket, n->control_socket) != 0, "ControlSocket");
	FIXED(strcmp(o->user, n->user) != 0, "User");
	FIXED(o->has_udp_listen != n->has_udp_listen ||
		      memcmp(&o->udp_listen, &n->udp_listen, sizeof(o->udp_listen)) != 0,
	      "UdpListen");
	FIXED(o->has_udp_target != n->has_udp_target ||
		      memcmp(&o->udp_target, &n->udp_target, sizeof(o->udp_target)) != 0,
	      "UdpTarget");
	FIXED(o->playout_ms != n->playout_ms, "PlayoutDelay");
#undef FIXED
}

/*
 * Copy what a reload may change from n into the live struct o. The paths array is copied
 * whole: the caller re-points every kept path at its new slot right after, and the paths
 * that pointed into slots which now hold other settings were freed before.
 */
static void
take_reloadable(struct conf *o, const struct conf *n)
{
	o->sched = n->sched;
	o->reorder_hold_ms = n->reorder_hold_ms;
	o->retransmit_age_ms = n->retransmit_age_ms;
	o->heartbeat_ms = n->heartbeat_ms;
	o->dead_ms = n->dead_ms;
	memcpy(o->post_up, n->post_up, sizeof(o->post_up));
	memcpy(o->pre_down, n->pre_down, sizeof(o->pre_down));
	memcpy(o->post_down, n->post_down, sizeof(o->post_down));
	memcpy(o->on_path_up, n->on_path_up, sizeof(o->on_path_up));
	memcpy(o->on_path_down, n->on_path_down, sizeof(o->on_path_down));
	o->has_endpoint = n->has_endpoint;
	o->endpoint = n->endpoint;
	memcpy(o->paths, n->paths, sizeof(o->paths));
	o->npaths = n->npaths;
}

int
reload_apply(struct session *s, struct conf *live, char *msg, size_t len)
{
	struct path *kept[CONF_MAX_PATHS] = {NULL}, *fresh[CONF_MAX_PATHS] = {NULL};
	struct path *found[CONF_MAX_PATHS * 2]; /* discovered paths that stay */
	int existed[CONF_MAX_PATHS] = {0};
	int i, j, n = 0, nfound = 0, nkept = 0, nadded = 0, nremoved = 0, nchanged = 0;
	int templates = 0;
	char err[1024];
	struct conf *nc;

	msg[0] = '\0';
	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		log_warnx("reload refused: out of memory");
		say(msg, len, "error: out of memory");
		return -1;
	}
	if (conf_load(nc, live->file, err, sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: %s", err);
		say(msg, len, "error: %s", err);
		free(nc);
		return -1;
	}
	if (conf_is_client(nc) != conf_is_client(live)) {
		log_warnx("reload refused: %s: Listen decides the side (dialing or listening), "
			  "which changes only at restart",
			  live->file);
		say(msg, len, "error: %s: Listen added or removed: restart to change sides",
		    live->file);
		sodium_memzero(nc, sizeof(*nc));
		free(nc);
		return -1;
	}
	fixed_changes(live, nc, msg, len);

	/* 1. Close and free the paths that go away or change: nothing points at them after. */
	for (i = 0; conf_is_client(live) && i < s->npaths; i++) {
		struct path *p = s->paths[i];
		int oj;

		if (p->own_cp != NULL) {
			/* discovered: stays while its template stays the same */
			oj = template_of(live, p);
			j = template_of(nc, p);
			if (oj >= 0 && j >= 0 &&
			    path_same(live, &live->paths[oj], nc, &nc->paths[j])) {
				found[nfound++] = p;
				continue;
			}
			log_info("path %s: removed by reload (its template changed)", p->name);
			path_close(p, "template changed by reload");
			path_free(p); /* not counted: the summary counts [Path] sections */
			continue;
		}
		j = find_path(nc, p->name);
		if (j >= 0)
			existed[j] = 1;
		if (j >= 0 && path_same(live, p->cp, nc, &nc->paths[j])) {
			kept[j] = p;
			nkept++;
			continue;
		}
		log_info("path %s: %s by reload", p->name, j < 0 ? "removed" : "changed");
		path_close(p, j < 0 ? "removed by reload" : "changed by reload");
		path_free(p);
		if (j < 0)
			nremoved++;
		else
			nchanged++;
	}
	/* 2. Rewrite the live configuration in place. */
	take_reloadable(live, nc);
	sodium_memzero(nc, sizeof(*nc));
	free(nc);
	/* 3. The paths in the new file order: kept ones re-pointed, the others made anew. */
	for (j = 0; conf_is_client(live) && j < live->npaths; j++) {
		struct path *p = kept[j];

		if (p != NULL) {
			p->cp = &live->paths[j];
			p->index = j;
		} else if ((p = fresh[j] = path_new(s, j, live->paths[j].name, &live->paths[j])) ==
			   NULL) {
			log_warnx("path %s: out of memory, not added", live->paths[j].name);
			continue;
		} else if (!existed[j]) {
			log_info("path %s: added by reload", p->name);
			nadded++;
		}
		s->paths[n++] = p;
		if (path_is_template(p) && p != kept[j])
			templates = 1;
	}
	for (i = 0; i < nfound; i++) {
		if (n == (int)(sizeof(s->paths) / sizeof(s->paths[0]))) {
			/* more configured paths now: no room left for this discovered one */
			log_warnx("path %s: removed by reload (too many paths)", found[i]->name);
			path_close(found[i], "too many paths");
			path_free(found[i]);
			continue;
		}
		found[i]->index = n;
		s->paths[n++] = found[i];
	}
	if (conf_is_client(live))
		s->npaths = n;
	for (j = 0; j < CONF_MAX_PATHS; j++)
		if (fresh[j] != NULL)
			path_start(fresh[j]);
	if (templates)
		rediscover(s);
	log_info("%s: reloaded: %d path%s kept, %d added, %d removed, %d changed", live->file,
		 nkept, nkept == 1 ? "" : "s", nadded, nremoved, nchanged);
	say(msg, len, "reloaded: %d kept, %d added, %d removed, %d changed", nkept, nadded,
	    nremoved, nchanged);
	return 0;
}
