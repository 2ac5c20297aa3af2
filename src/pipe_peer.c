/*
 * pipe_peer: the peers of one `mptun pipe` (see pipe_peer.h).
 *
 * Which session a connection joins is decided once, at its HELLO (pipe_peers_accept_ops):
 * the sid it carries is the client's run. A peer is never shared: its session, reorder
 * buffer, send window and streams are its own, so one client's bytes can only reach its
 * own streams. The set is bounded (PIPE_PEERS_MAX peers, each with its session's fixed
 * buffers and the stream table's bounds), and a client of many is freed once it is over.
 *
 * Refusals are logged at most once per refused client run, and once every
 * PIPE_REFUSAL_NOTE_EVERY seconds at most, with the count left unlogged.
 *
 * No timers here: the pipe's tick calls pipe_peers_expire.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "pipe_peer.h"

void
pipe_peers_init(struct pipe_peers *ps, struct ev_loop *loop, const struct conf *conf,
		const struct crypto_id *cid, int many)
{
	memset(ps, 0, sizeof(*ps));
	ps->loop = loop;
	ps->conf = conf;
	ps->cid = cid;
	ps->many = many;
	crypto_peer_init(&ps->hs_peer, conf->peers[0].has_key ? conf->peers[0].key : NULL);
}

struct pipe_peer *
pipe_peer_new(struct pipe_peers *ps)
{
	const struct conf *c = ps->conf;
	struct pipe_peer *pp = calloc(1, sizeof(*pp));

	if (pp == NULL)
		return NULL;
	pp->set = ps;
	stream_mux_init(&pp->mux, ps->loop, &pp->s, conf_is_client(c));
	if (session_init(&pp->s, ps->loop, c, &pp->mux.ch, (size_t)c->mtu, ps->cid) == -1) {
		session_free(&pp->s);
		free(pp);
		return NULL;
	}
	paths_init(&pp->paths, &pp->s);
	crypto_peer_init(&pp->s.peer, c->peers[0].has_key ? c->peers[0].key : NULL);
	if (ps->has_target)
		stream_mux_target(&pp->mux, &ps->target, ps->target_len);
	stream_mux_rate(&pp->mux, ps->rate);
	stream_mux_idle(&pp->mux, ps->idle_timeout);
	pp->chaos_next = ps->chaos;
	pp->id = ++ps->next_id;
	pp->next = ps->list;
	ps->list = pp;
	ps->n++;
	return pp;
}

/* Unlink pp and free it with its streams and connections. */
static void
peer_free(struct pipe_peer *pp)
{
	struct pipe_peers *ps = pp->set;
	struct pipe_peer **l;

	for (l = &ps->list; *l != NULL; l = &(*l)->next) {
		if (*l == pp) {
			*l = pp->next;
			ps->n--;
			break;
		}
	}
	ps->tx_bytes += pp->mux.tx_bytes;
	ps->rx_bytes += pp->mux.rx_bytes;
	stream_mux_free(&pp->mux);
	paths_free(&pp->paths);
	session_free(&pp->s);
	free(pp);
}

void
pipe_peers_free(struct pipe_peers *ps)
{
	while (ps->list != NULL)
		peer_free(ps->list);
}

void
pipe_peers_env(struct pipe_peers *ps, struct conn_env *env)
{
	env->loop = ps->loop;
	env->conf = ps->conf;
	env->cid = ps->cid;
	env->peer = &ps->hs_peer;
}

/* --- accepted connections, between their handshake and their HELLO --- */

/* c's address without its port, for the log. */
static void
peer_addr(const struct conn *c, char *out, size_t len)
{
	const char *colon = strrchr(c->peer, ':');

	snprintf(out, len, "%.*s", colon ? (int)(colon - c->peer) : (int)strlen(c->peer), c->peer);
}

/*
 * Log a refusal of the client run sid, unless that run was the last one logged (it has
 * several connections, and redials) or another was logged less than a second ago.
 */
static void
note_refusal(struct pipe_peers *ps, uint64_t sid, const char *whom, const char *addr,
	     const char *why)
{
	ev_tstamp now = ev_now(ps->loop);
	double since = now - ps->refused_at;

	if ((sid == ps->refused_sid && since < PIPE_REFUSAL_NOTE_EVERY) || since < 1.0) {
		if (sid != ps->refused_sid)
			ps->refused_quiet++;
		return;
	}
	if (ps->refused_quiet > 0)
		log_warnx("refused %s from %s: %s (and %lu other client%s since the last such "
			  "line)",
			  whom, addr, why, ps->refused_quiet, ps->refused_quiet == 1 ? "" : "s");
	else
		log_warnx("refused %s from %s: %s", whom, addr, why);
	ps->refused_sid = sid;
	ps->refused_at = now;
	ps->refused_quiet = 0;
}

/* The peer of a set of one for run sid, or NULL when another run is connected. */
static struct pipe_peer *
the_one(struct pipe_peers *ps, uint64_t sid)
{
	struct pipe_peer *pp = ps->list;

	/*
	 * Another run while none is connected: the client restarted, and its session resets
	 * (the pipe decides what that means for stdin/stdout, see pipe.c).
	 */
	if (pp->sid != 0 && pp->sid != sid && pp->s.nup > 0)
		return NULL;
	pp->sid = sid;
	return pp;
}

static int
accept_adopt(void *owner, struct conn *c, const struct frame_hello *h)
{
	struct pipe_peers *ps = owner;
	struct frame_hello named;
	struct pipe_peer *pp;
	char addr[CONF_HOST_MAX], why[64];

	peer_addr(c, addr, sizeof(addr));
	if (!ps->many) {
		if ((pp = the_one(ps, h->sid)) == NULL) {
			note_refusal(ps, h->sid, "a second client", addr,
				     ps->stdio ? "this pipe serves one client on standard output"
					       : "this pipe forwards its connections to one "
						 "client");
			return FRAME_REFUSED_BUSY;
		}
		return paths_accept_ops.adopt(&pp->paths, c, h);
	}
	for (pp = ps->list; pp != NULL && pp->sid != h->sid; pp = pp->next)
		;
	if (pp == NULL) {
		if (ps->n >= PIPE_PEERS_MAX) {
			snprintf(why, sizeof(why), "%d clients are connected already", ps->n);
			note_refusal(ps, h->sid, "a client", addr, why);
			return FRAME_REFUSED_FULL;
		}
		if ((pp = pipe_peer_new(ps)) == NULL) {
			note_refusal(ps, h->sid, "a client", addr, "out of memory");
			return FRAME_REFUSED_FULL;
		}
		pp->sid = h->sid;
		snprintf(pp->addr, sizeof(pp->addr), "%s", addr);
		log_info("client %u (%s): connected", pp->id, pp->addr);
	}
	/*
	 * Every client names its paths alike: the log says whose they are ("path c3/p1:
	 * up"). A peer left without a connection here is freed by pipe_peers_expire.
	 */
	named = *h;
	snprintf(named.name, sizeof(named.name), "c%u/%.*s", pp->id, FRAME_NAME_MAX - 12, h->name);
	return paths_accept_ops.adopt(&pp->paths, c, &named);
}

static void
accept_drop(void *owner, struct conn *c, enum conn_drop why)
{
	struct pipe_peers *ps = owner;

	if (!ps->many)
		session_count_conn_drop(&ps->list->s, why);
	else
		ps->conn_drops++; /* no client's yet */
}

const struct conn_ops pipe_peers_accept_ops = {
	.adopt = accept_adopt,
	.drop = accept_drop,
};

/* --- the end of a client --- */

void
pipe_peers_expire(struct pipe_peers *ps, double timeout)
{
	ev_tstamp now = ev_now(ps->loop);
	struct pipe_peer *pp, *next;
	char why[96];
	int n;

	for (pp = ps->list; pp != NULL; pp = next) {
		next = pp->next;
		if (pp->s.nup > 0) {
			pp->down_since = 0;
			continue;
		}
		if (pp->down_since == 0)
			pp->down_since = now;
		n = stream_mux_count(&pp->mux);
		if (n == 0 && sendq_count(&pp->s.sq) == 0)
			snprintf(why, sizeof(why), "its streams ended, its connections closed");
		else if (now - pp->down_since >= timeout)
			snprintf(why, sizeof(why), "no connection for %.0f s; %d stream%s closed",
				 timeout, n, n == 1 ? "" : "s");
		else
			continue;
		log_info("client %u (%s): gone (%s)", pp->id, pp->addr, why);
		peer_free(pp);
	}
}
