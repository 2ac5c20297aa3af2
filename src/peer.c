/*
 * peer: the daemon's peers and what they share (see peer.h).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "allowedips.h"
#include "conn.h"
#include "crypto.h"
#include "frame.h"
#include "log.h"
#include "path.h"
#include "peer.h"
#include "tun.h"
#include "util.h"

static struct peer *
peer_of_crypto(struct crypto_peer *cp)
{
	return container_of(cp, struct peer, s.peer);
}

/* --- deliveries to the tun device --- */

static int
peer_deliver(struct chan *ch, const uint8_t *p, size_t len)
{
	struct peer *pe = container_of(ch, struct peer, ch);
	struct peers *set = pe->set;
	const uint8_t *src;
	int family;

	if (set->aips != NULL &&
	    (tun_packet_addr(p, len, 0, &family, &src) == -1 ||
	     allowedips_lookup(set->aips, family, src) != pe)) {
		session_count_drop(&pe->s, DROP_SOURCE);
		return 0;
	}
	if (tun_write(set->tun, p, len) == -1)
		session_count_drop(&pe->s, DROP_DELIVERY);
	return 0;
}

static int
peer_realtime(struct chan *ch, const uint8_t *p, size_t len)
{
	return tun_packet_realtime(p, len);
}

static void
peer_resume(struct chan *ch)
{
	struct peer *pe = container_of(ch, struct peer, ch);

	tun_resume(pe->set->tun);
}

struct session *
peers_route(void *arg, const uint8_t *pkt, size_t len)
{
	struct peers *set = arg;
	const uint8_t *dst;
	struct peer *pe;
	int family;

	if (set->aips == NULL)
		return &set->peer[0]->s;
	if (tun_packet_addr(pkt, len, 1, &family, &dst) == -1 ||
	    (pe = allowedips_lookup(set->aips, family, dst)) == NULL) {
		set->unrouted++;
		return NULL;
	}
	return &pe->s;
}

/* --- making and freeing peers --- */

static struct peer *
peer_new(struct peers *set, const struct conf_peer *cp)
{
	struct peer *pe = calloc(1, sizeof(*pe));

	if (pe == NULL)
		return NULL;
	pe->set = set;
	snprintf(pe->name, sizeof(pe->name), "%s", cp->name);
	pe->ch.deliver = peer_deliver;
	pe->ch.resume = peer_resume;
	pe->ch.realtime = peer_realtime;
	if (session_init(&pe->s, set->loop, set->conf, set->chan != NULL ? set->chan : &pe->ch,
			 set->payload_max, set->cid) == -1) {
		free(pe);
		return NULL;
	}
	/* a listening daemon names its peers in log lines; a dialing one has one */
	if (!conf_is_client(set->conf))
		snprintf(pe->s.name, sizeof(pe->s.name), "%s", cp->name);
	crypto_peer_init(&pe->s.peer, cp->has_key ? cp->key : NULL);
	if (cp->has_psk)
		crypto_peer_set_psk(&pe->s.peer, cp->psk);
	paths_init(&pe->paths, &pe->s);
	return pe;
}

static void
peer_free(struct peer *pe)
{
	paths_free(&pe->paths);
	session_free(&pe->s);
	crypto_peer_wipe(&pe->s.peer);
	free(pe);
}

/*
 * The AllowedIPs table of the live configuration, made anew (a reload changes any peer's).
 * NULL when no peer has AllowedIPs: the one peer takes everything. -1 when out of memory.
 */
static int
routes_build(struct peers *set)
{
	const struct conf *c = set->conf;
	struct allowedips *t;
	int i, j;

	allowedips_free(set->aips);
	set->aips = NULL;
	if (c->nallowed_ips == 0)
		return 0;
	if ((t = allowedips_new()) == NULL)
		return -1;
	for (i = 0; i < set->n; i++) {
		const struct conf_peer *cp = &c->peers[i];

		for (j = cp->allowed; j < cp->allowed + cp->nallowed; j++)
			if (allowedips_insert(t, c->allowed_ips[j].family, c->allowed_ips[j].addr,
					      c->allowed_ips[j].prefix, set->peer[i]) == -1) {
				allowedips_free(t);
				return -1;
			}
	}
	set->aips = t;
	return 0;
}

/* The tun device reads into the one peer's slots, or routes among several. */
static int
tun_mode(struct peers *set)
{
	if (set->tun == NULL)
		return 0;
	return tun_set_only(set->tun, set->n == 1 ? &set->peer[0]->s : NULL);
}

int
peers_init(struct peers *set, struct ev_loop *loop, struct conf *conf,
	   const struct crypto_id *cid, struct chan *chan, size_t payload_max)
{
	int i;

	memset(set, 0, sizeof(*set));
	set->loop = loop;
	set->conf = conf;
	set->cid = cid;
	set->chan = chan;
	set->payload_max = payload_max;
	for (i = 0; i < conf->npeers; i++) {
		if ((set->peer[i] = peer_new(set, &conf->peers[i])) == NULL) {
			log_warnx("out of memory for peer %s", conf->peers[i].name);
			return -1;
		}
		set->n++;
	}
	if (routes_build(set) == -1) {
		log_warnx("out of memory for AllowedIPs");
		return -1;
	}
	return 0;
}

void
peers_set_tun(struct peers *set, struct tun *tun)
{
	set->tun = tun;
}

void
peers_free(struct peers *set)
{
	int i;

	for (i = 0; i < set->n; i++)
		peer_free(set->peer[i]);
	set->n = 0;
	allowedips_free(set->aips);
	set->aips = NULL;
}

int
peers_start(struct peers *set)
{
	if (!conf_is_client(set->conf))
		return 0;
	return paths_start(&set->peer[0]->paths);
}

struct peer *
peers_find_name(const struct peers *set, const char *name)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->peer[i]->name, name) == 0)
			return set->peer[i];
	return NULL;
}

int
peers_nup(const struct peers *set)
{
	int i, n = 0;

	for (i = 0; i < set->n; i++)
		n += set->peer[i]->s.nup;
	return n;
}

void
peers_totals(const struct peers *set, struct session_stats *st)
{
	int i, d;

	memset(st, 0, sizeof(*st));
	for (d = 0; d < DROP_MAX; d++)
		st->drops[d] = set->drops[d];
	for (i = 0; i < set->n; i++) {
		const struct session_stats *p = &set->peer[i]->s.st;

		st->tx_bytes += p->tx_bytes;
		st->rx_bytes += p->rx_bytes;
		st->tx_packets += p->tx_packets;
		st->rx_packets += p->rx_packets;
		st->retransmits += p->retransmits;
		st->early += p->early;
		st->before_up += p->before_up;
		st->copies += p->copies;
		st->copy_bytes += p->copy_bytes;
		st->copy_first += p->copy_first;
		st->copy_spare += p->copy_spare;
		for (d = 0; d < DROP_MAX; d++)
			st->drops[d] += p->drops[d];
	}
}

/* --- accepted connections: the handshake names the peer, the HELLO its path --- */

static struct crypto_peer *
find_key(void *arg, const uint8_t *pub)
{
	struct peers *set = arg;
	int i;

	if (pub == NULL) /* pre-shared-key mode: one peer */
		return set->n == 1 ? &set->peer[0]->s.peer : NULL;
	for (i = 0; i < set->n; i++)
		if (sodium_memcmp(pub, set->peer[i]->s.peer.pub, CRYPTO_KEY_LEN) == 0)
			return &set->peer[i]->s.peer;
	return NULL;
}

void
peers_conn_env(struct peers *set, struct conn_env *env)
{
	memset(env, 0, sizeof(*env));
	env->loop = set->loop;
	env->conf = set->conf;
	env->cid = set->cid;
	env->find = find_key;
	env->find_arg = set;
}

/*
 * Is another run of pe's client alive? Its connections ping every Heartbeat: one heard
 * from within two of them is a live client, not the leftovers of one that restarted.
 */
static int
key_in_use(const struct peer *pe, uint64_t sid, ev_tstamp now)
{
	const struct session *s = &pe->s;
	double live = 2 * s->conf->heartbeat_ms / 1000.0;
	int i;

	if (s->peer_sid == 0 || sid == s->peer_sid)
		return 0;
	for (i = 0; i < s->nup; i++)
		if (s->up[i]->peer_sid == s->peer_sid && now - s->up[i]->last_rx < live)
			return 1;
	return 0;
}

static void
note_refusal(struct peer *pe, const struct conn *c, ev_tstamp now)
{
	const struct session *s = &pe->s;
	const char *live = s->nup > 0 ? s->up[0]->peer : "?";

	pe->refused++;
	if (pe->refused_noted != 0 && now - pe->refused_noted < PEER_NOTE_EVERY) {
		pe->refused_quiet++;
		return;
	}
	log_warnx("peer %s: refused a connection from %s: a live client (%s) holds this key; "
		  "two instances with one key? (%lu more refused since the last line)",
		  pe->name, c->peer, live, pe->refused_quiet);
	pe->refused_noted = now;
	pe->refused_quiet = 0;
}

static int
accept_adopt(void *owner, struct conn *c, const struct frame_hello *h)
{
	struct peer *pe = peer_of_crypto(c->env.peer);
	ev_tstamp now = ev_now(c->loop);

	if (key_in_use(pe, h->sid, now)) {
		note_refusal(pe, c, now);
		return FRAME_REFUSED_KEY_IN_USE;
	}
	return paths_accept_ops.adopt(&pe->paths, c, h);
}

static void
accept_drop(void *owner, struct conn *c, enum conn_drop why)
{
	((struct peers *)owner)->drops[session_drop_of(why)]++;
}

const struct conn_ops peers_accept_ops = {
	.adopt = accept_adopt,
	.drop = accept_drop,
};

/* --- links and addresses --- */

void
peers_net_event(void *arg, const struct nl_event *ev)
{
	struct peers *set = arg;
	int i;

	for (i = 0; i < set->n; i++)
		paths_net_event(&set->peer[i]->paths, ev);
}

/* --- reload --- */

/* The [Peer] of c that is pe (same key; in pre-shared-key mode the one), or -1. */
static int
match_peer(const struct conf *c, const struct peer *pe)
{
	int i;

	for (i = 0; i < c->npeers; i++)
		if (c->peers[i].has_key
			    ? sodium_memcmp(c->peers[i].key, pe->s.peer.pub, CRYPTO_KEY_LEN) == 0
			    : sodium_is_zero(pe->s.peer.pub, CRYPTO_KEY_LEN))
			return i;
	return -1;
}

/* Does pe's handshake change under cp (its pre-shared key)? */
static int
keys_changed(const struct peer *pe, const struct conf_peer *cp)
{
	return pe->s.peer.has_psk != cp->has_psk ||
	       (cp->has_psk && sodium_memcmp(pe->s.peer.psk, cp->psk, CRYPTO_KEY_LEN) != 0);
}

void
peers_reload_prune(struct peers *set, const struct conf *nc, struct peers_reload *r)
{
	int i, j;

	memset(r, 0, sizeof(*r));
	/* the dialing side's one peer keeps its session: only its paths change */
	if (conf_is_client(set->conf)) {
		paths_reload_prune(&set->peer[0]->paths, nc, &r->paths);
		r->kept[0] = set->peer[0];
		return;
	}
	for (i = 0; i < set->n; i++) {
		struct peer *pe = set->peer[i];

		j = match_peer(nc, pe);
		if (j >= 0 && !keys_changed(pe, &nc->peers[j])) {
			r->kept[j] = pe;
			continue;
		}
		log_info("peer %s: %s by reload", pe->name, j < 0 ? "removed" : "changed");
		if (j < 0)
			r->removed++;
		else
			r->changed++, r->replaced[j] = 1;
		peer_free(pe);
	}
	set->n = 0; /* until the apply, only r->kept holds peers */
}

int
peers_reload_apply(struct peers *set, struct peers_reload *r)
{
	const struct conf *c = set->conf;
	int j, rc = 0;

	if (conf_is_client(c)) {
		paths_reload_apply(&set->peer[0]->paths, &r->paths);
		return 0;
	}
	for (j = 0; j < c->npeers; j++) {
		struct peer *pe = r->kept[j];

		if (pe != NULL) {
			/* the same key: a new Name or AllowedIPs touch nothing of its session */
			snprintf(pe->name, sizeof(pe->name), "%s", c->peers[j].name);
			snprintf(pe->s.name, sizeof(pe->s.name), "%s", c->peers[j].name);
		} else if ((pe = peer_new(set, &c->peers[j])) == NULL) {
			log_warnx("peer %s: out of memory, not added", c->peers[j].name);
			rc = -1;
			continue;
		} else if (!r->replaced[j]) {
			log_info("peer %s: added by reload", pe->name);
			r->added++;
		}
		set->peer[set->n++] = pe;
	}
	if (routes_build(set) == -1) {
		log_warnx("reload: out of memory for AllowedIPs: nothing is routed to the peers");
		rc = -1;
	}
	if (tun_mode(set) == -1)
		rc = -1;
	return rc;
}
