/*
 * reload: apply a re-read configuration to the running daemon (see reload.h for what
 * changes and why the pointers into the live struct conf stay valid).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "peer.h"
#include "reload.h"

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

	/* the dialing side's one peer is its server: its keys are the process's */
	FIXED(conf_is_client(o) &&
		      (o->peers[0].has_key != n->peers[0].has_key ||
		       sodium_memcmp(o->peers[0].key, n->peers[0].key, CONF_KEY_LEN) != 0 ||
		       o->peers[0].has_psk != n->peers[0].has_psk ||
		       sodium_memcmp(o->peers[0].psk, n->peers[0].psk, CONF_KEY_LEN) != 0),
	      "[Peer] PublicKey or PresharedKey");
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
	memcpy(o->peers, n->peers, sizeof(o->peers[0]) * (size_t)n->npeers);
	o->npeers = n->npeers;
	memcpy(o->allowed_ips, n->allowed_ips, sizeof(o->allowed_ips[0]) * (size_t)n->nallowed_ips);
	o->nallowed_ips = n->nallowed_ips;
	memcpy(o->paths, n->paths, sizeof(o->paths));
	o->npaths = n->npaths;
}

int
reload_apply(struct peers *set, struct conf *live, char *msg, size_t len)
{
	struct peers_reload *r;
	struct paths_reload *pr;
	char err[1024];
	struct conf *nc;

	msg[0] = '\0';
	nc = calloc(1, sizeof(*nc));
	r = calloc(1, sizeof(*r));
	if (nc == NULL || r == NULL) {
		log_warnx("reload refused: out of memory");
		say(msg, len, "error: out of memory");
		free(nc);
		free(r);
		return -1;
	}
	if (conf_load(nc, live->file, err, sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: %s", err);
		say(msg, len, "error: %s", err);
		free(nc);
		free(r);
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
		free(r);
		return -1;
	}
	fixed_changes(live, nc, msg, len);
	/* 1. Close and free the peers and paths that go away or change: nothing points at
	 * them after. */
	peers_reload_prune(set, nc, r);
	/* 2. Rewrite the live configuration in place. */
	take_reloadable(live, nc);
	sodium_memzero(nc, sizeof(*nc));
	free(nc);
	/* 3. Peers and paths in the new file order: kept ones re-pointed, the others made. */
	peers_reload_apply(set, r);
	pr = &r->paths;
	if (conf_is_client(live)) {
		log_info("%s: reloaded: %d path%s kept, %d added, %d removed, %d changed",
			 live->file, pr->nkept, pr->nkept == 1 ? "" : "s", pr->nadded, pr->nremoved,
			 pr->nchanged);
		say(msg, len, "reloaded: %d kept, %d added, %d removed, %d changed", pr->nkept,
		    pr->nadded, pr->nremoved, pr->nchanged);
	} else {
		int kept = set->n - r->added - r->changed;

		log_info("%s: reloaded: %d peer%s kept, %d added, %d removed, %d changed",
			 live->file, kept, kept == 1 ? "" : "s", r->added, r->removed, r->changed);
		say(msg, len, "reloaded: %d peers kept, %d added, %d removed, %d changed", kept,
		    r->added, r->removed, r->changed);
	}
	free(r);
	return 0;
}
